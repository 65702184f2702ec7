"""Every stored value traces to a statement: dataset, record, property, value, original, file, line."""

from __future__ import annotations

from pathlib import Path

from transship.ingest import ingest_file


def test_trade_flow_statements_trace_to_file_and_line(store, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    src = shared_data / "comtrade-hs2-oil-wood-sample" / "comtrade_wood_hs44_2017.csv"
    result = ingest_file(store, src)
    # Serbia (688) reported exports to Czechia (203): the SOURCE.md figure.
    [(rid, line, value)] = store.fetchall(
        "SELECT record_id, line, value_usd FROM trade_flows WHERE reporter_iso3 = 'SRB' "
        "AND partner_iso3 = 'CZE' AND flow = 'X'"
    )
    assert value == 1_285_663
    stmts = {
        r[0]: r[1:]
        for r in store.fetchall(
            "SELECT prop, value, original_value, source_sha256, line, dataset FROM statements_all WHERE entity_id = ?",
            [rid],
        )
    }
    assert stmts["reporter"][0] == "rs" and stmts["reporter"][1] == "688"
    assert stmts["partner"][1] == "203"
    assert float(stmts["value_usd"][0]) == 1_285_663
    assert stmts["value_usd"][2] == result.sha256 and stmts["value_usd"][3] == line
    # The line really is that row of the file.
    text = src.read_text(encoding="utf-8-sig").splitlines()[line - 1]
    assert ",688,Serbia," in text and ",203," in text and "1285663" in text
