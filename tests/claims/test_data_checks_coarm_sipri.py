"""Claims against the EU's COARM reports and SIPRI's trade register, on the real data.

The store is built once from ../shared/data: CAAT's COARM files (brokering 2008-2013,
missions, consultations; CAAT's export.csv is not in the shared folder) and SIPRI's trade
register 1995-2024. Claims are written in the claims-file format (``claims.jsonl``), so they
go through the same reading as the Serbia case. The figures asserted are the real rows' (file
and line in each comment); the export path (measures b and c) is exercised on the hand-made
fixture tests/fixtures/coarm_export.csv, whose figures are not real.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from transship.claims.check import check_case, check_documents
from transship.claims.data_checks import DataCheck
from transship.ingest.pipeline import ingest_paths
from transship.store import Store, connect

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"


@pytest.fixture(scope="module")
def real_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = connect(tmp_path_factory.mktemp("coarm_sipri") / "store.duckdb")
    ingest_paths(s, [shared_data / "caat-eu-arms-exports", shared_data / "sipri-trade-register"])
    try:
        yield s
    finally:
        s.close()


def _claims(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _checks(store: Store, path: Path, data: str) -> dict[str, DataCheck]:
    r = check_documents([path], store)
    return {d.claim: d for d in r.data_checks if d.data == data}


def _claim(cid: str, text: str, qty: float, period: str, origin: str, dest: str | None,
           **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": cid,
        "claim": text,
        "quantity": qty,
        "period": period,
        "origin": origin,
        "destination": dest,
        "original_source": "Reuters, 2025-01-10",
        **extra,
    }


def test_coarm_brokering_consistent_contradicted_and_outside(
    real_store: Store, tmp_path: Path
) -> None:
    text = (
        "British brokers were licensed in 2008 to arrange the sale of Serbian ammunition "
        "worth EUR {} to Kenya."
    )
    path = _claims(
        tmp_path,
        [
            # broker.csv line 92: GB broker, KE destination, RS origin, ML3, 1,162,575 EUR
            _claim(
                "ok",
                text.format("1.16 million"),
                1.16e6,
                "2008",
                "RS",
                "KE",
                currency="EUR",
                intermediaries=["GB"],
            ),  # fmt: skip
            _claim(
                "far",
                text.format("15 million"),
                1.5e7,
                "2008",
                "RS",
                "KE",
                currency="EUR",
                intermediaries=["GB"],
            ),  # fmt: skip
            # brokering rows end in 2013
            _claim(
                "late",
                text.format("1.16 million").replace("2008", "2016"),
                1.16e6,
                "2016",
                "RS",
                "KE",
                currency="EUR",
                intermediaries=["GB"],
            ),  # fmt: skip
            # no export rows in the store (CAAT's export.csv is not in the shared data)
            _claim(
                "exp",
                "Bulgaria's arms exports to Ukraine were worth EUR 500 million in 2022.",
                5e8,
                "2022",
                "BG",
                "UA",
                currency="EUR",
            ),  # fmt: skip
            # Serbia is not an EU member state
            _claim(
                "srb",
                "Serbia's total arms exports were worth EUR 1.34 billion in 2023.",
                1.34e9,
                "2023",
                "RS",
                None,
                currency="EUR",
            ),  # fmt: skip
        ],
    )
    c = _checks(real_store, path, "coarm")
    ok = c["ok"]
    assert ok.verdict == "consistent", ok.explanation
    assert ok.data_value == pytest.approx(1162575)
    assert ok.query["measure"] == "value_licensed" and ok.query["exporter"] == "gb"
    assert [r["line"] for r in ok.rows] == [92]
    assert ok.record_ids == [ok.rows[0]["record_id"]] and ok.record_ids[0].endswith(":92:1")
    assert c["far"].verdict == "contradicted"
    assert c["far"].data_value == pytest.approx(1162575)
    assert c["late"].verdict == "outside_coverage" and "2008-2013" in c["late"].explanation
    assert c["exp"].verdict == "outside_coverage"
    assert "no export rows" in c["exp"].explanation
    assert c["srb"].verdict == "outside_coverage"
    assert "not an EU member state" in c["srb"].explanation


def test_coarm_exports_and_licences(store: Store, fixtures: Path, tmp_path: Path) -> None:
    """Measure c when the state reports it; licences (b) as an upper bound when it does not.
    The fixture's figures are hand-made (the real export.csv is not in the shared data)."""
    ingest_paths(store, [fixtures / "coarm_export.csv"])
    path = _claims(
        tmp_path,
        [
            # BG -> UA 2021: c = 18,250,990
            _claim(
                "c_ok",
                "Bulgaria exported arms worth EUR 18 million to Ukraine in 2021.",
                1.8e7,
                "2021",
                "BG",
                "UA",
                currency="EUR",
            ),  # fmt: skip
            _claim(
                "c_far",
                "Bulgaria exported arms worth EUR 60 million to Ukraine in 2021.",
                6e7,
                "2021",
                "BG",
                "UA",
                currency="EUR",
            ),  # fmt: skip
            # CZ -> UA 2022: no c, b = 410,226,500
            _claim(
                "b_ok",
                "Czech arms exports to Ukraine reached EUR 300 million in 2022.",
                3e8,
                "2022",
                "CZ",
                "UA",
                currency="EUR",
            ),  # fmt: skip
            _claim(
                "b_far",
                "Czech arms exports to Ukraine reached EUR 2 billion in 2022.",
                2e9,
                "2022",
                "CZ",
                "UA",
                currency="EUR",
            ),  # fmt: skip
        ],
    )
    c = _checks(store, path, "coarm")
    assert c["c_ok"].verdict == "consistent" and c["c_ok"].query["measure"] == "c"
    assert c["c_ok"].data_value == pytest.approx(18250990)
    assert c["c_far"].verdict == "contradicted"
    assert c["b_ok"].verdict == "consistent" and c["b_ok"].query["measure"] == "b"
    assert c["b_ok"].tolerance == "bound" and "upper bound" in c["b_ok"].explanation
    assert c["b_far"].verdict == "contradicted"


def test_sipri_consistent_contradicted_and_outside(real_store: Store, tmp_path: Path) -> None:
    path = _claims(
        tmp_path,
        [
            # SIPRI: PL -> UA 2022, PT-91M 20 + T-72M1 240 (both estimates)
            _claim(
                "ok",
                "Poland delivered 260 tanks to Ukraine in 2022.",
                260,
                "2022",
                "PL",
                "UA",
                unit="tanks",
            ),  # fmt: skip
            # CZ -> UA 2022: T-72M1 1 + 20 + 20, T-55AM-2 22 = 63
            _claim(
                "far",
                "Czechia delivered 200 tanks to Ukraine in 2022.",
                200,
                "2022",
                "CZ",
                "UA",
                unit="tanks",
            ),  # fmt: skip
            # deliveries in the export end in 2024
            _claim(
                "late",
                "Poland delivered 20 howitzers to Ukraine in 2025.",
                20,
                "2025",
                "PL",
                "UA",
                unit="howitzers",
            ),  # fmt: skip
            # small-arms ammunition: a measure SIPRI does not record
            _claim(
                "rounds",
                "Serbian firms delivered one million rounds to Ukraine.",
                1e6,
                "2022-2025",
                "RS",
                "UA",
                unit="rounds",
            ),  # fmt: skip
            # a money claim is never compared with SIPRI
            _claim(
                "money",
                "Poland delivered arms worth EUR 2 billion to Ukraine in 2022.",
                2e9,
                "2022",
                "PL",
                "UA",
                currency="EUR",
            ),  # fmt: skip
        ],
    )
    c = _checks(real_store, path, "sipri")
    ok = c["ok"]
    assert ok.verdict == "consistent", ok.explanation
    assert ok.data_value == 260 and len(ok.record_ids) == 2
    assert {r["designation"] for r in ok.rows} == {"PT-91M", "T-72M1"}
    assert all(r["line"] for r in ok.rows)
    assert c["far"].verdict == "contradicted" and c["far"].data_value == 63
    assert c["late"].verdict == "outside_coverage" and "1995-2024" in c["late"].explanation
    assert c["rounds"].verdict == "outside_coverage"
    assert "does not record" in c["rounds"].explanation
    assert "money" not in c


def test_serbia_case_against_coarm_and_sipri(real_store: Store) -> None:
    r = check_case(CASE, real_store)
    by = {(d.claim, d.data): d for d in r.data_checks}
    # SR01 counts rounds: compared with SIPRI, outside its coverage (not contradicted)
    assert by[("SR01", "sipri")].verdict == "outside_coverage"
    # SR05: Serbia's exports are not in the EU's reports
    assert by[("SR05", "coarm")].verdict == "outside_coverage"
    assert "not an EU member state" in by[("SR05", "coarm")].explanation
    # SR21: Bulgaria is a member state, but the store holds no COARM export rows
    assert "no export rows" in by[("SR21", "coarm")].explanation
    assert not any(d.verdict == "contradicted" for d in r.data_checks if d.data != "trade")
    out = r.to_dict()
    assert {"claim_usd", "data_usd", "data", "claim_value", "unit"} <= set(out["data_checks"][0])
