"""Hub scores: a planted hub ranks first, every indicator documented and evidenced."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests.flows import flowdata
from transship.cli.app import app
from transship.exc import InvalidInput
from transship.flows import hubs, merge
from transship.flows.explain import weighted_score
from transship.flows.hub_indicators import ENTREPOT, KINDS, SILENCE_IS_NOT_EVIDENCE
from transship.flows.hubs import HUB_INDICATORS, hub_scores, hub_table
from transship.store import Store, connect
from transship.store.engine import DuckDBEngine


@pytest.fixture(scope="module")
def gen_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = flowdata.generated_store(tmp_path_factory.mktemp("hubs") / "gen.duckdb")
    yield store
    store.close()


def test_every_indicator_is_documented() -> None:
    assert HUB_INDICATORS is KINDS["conduit"] and list(KINDS) == ["conduit", "entrepot"]
    methods = (Path(__file__).resolve().parents[2] / "docs" / "methods.md").read_text()
    for kind, indicators in KINDS.items():
        assert abs(sum(w for _, w in indicators.values()) - 1.0) < 1e-9, kind
        assert f"`{kind}`" in methods, f"kind {kind} missing from docs/methods.md"
        for name, (fn, weight) in indicators.items():
            assert fn.__doc__ and len(fn.__doc__.split()) > 20, name
            assert weight > 0
            assert f"`{name}`" in methods, f"{name} missing from docs/methods.md"


def test_planted_hub_ranks_first(gen_store: Store) -> None:
    """From 2022 'bg' passes most of the 9306 it gets from 'rs' on to 'ua'."""
    eng = DuckDBEngine(gen_store)
    found = hub_scores(eng, product="9306", years=(2022, 2024), break_year=2022)
    assert found[0].territory == "BGR" and found[0].code == "bg"
    assert {h.year for h in found[:3] if h.territory == "BGR"} >= {2022, 2023}
    # without the self-reported re-exports it still stands out
    blind = hub_scores(eng, product="9306", years=(2022, 2024), use_reexports=False)
    top = [h.territory for h in blind[:4]]
    assert "BGR" in top


def test_scores_explain_themselves(gen_store: Store) -> None:
    eng = DuckDBEngine(gen_store)
    found = hub_scores(eng, product="9306", limit=15)
    assert len(found) == 15
    ids = set(gen_store.query("SELECT record_id FROM trade_flows").column(0).to_pylist())
    for h in found:
        assert h.kind == "conduit" and set(h.scores) == set(KINDS)
        assert h.score == h.scores["conduit"]
        assert h.indicators == h.indicators_by_kind["conduit"]
        for kind, inds in h.indicators_by_kind.items():
            assert [i.name for i in inds] == list(KINDS[kind])
            assert 0.0 <= h.scores[kind] <= 1.0
            assert h.scores[kind] == pytest.approx(weighted_score(inds))
            for ind in inds:
                assert ind.detail
                if ind.weight > 0:
                    assert 0.0 <= ind.value <= 1.0
                    assert ind.evidence and set(ind.evidence) <= ids
                else:
                    assert ind.detail.startswith("not computed")
                    assert ind.name in SILENCE_IS_NOT_EVIDENCE
    bg = next(h for h in found if h.territory == "BGR" and h.year == 2023)
    rx = next(i for i in bg.indicators if i.name == "reexport_share")
    rx_ids = (
        gen_store.query("SELECT record_id FROM trade_flows WHERE flow = 'RX' AND year = 2023")
        .column(0)
        .to_pylist()
    )
    assert set(rx_ids) <= set(rx.evidence)
    assert rx.value == 1.0


def test_break_year_gates_the_surge(gen_store: Store) -> None:
    """With a break, the surge compares with the mean before it and exists only from the
    break on; before it, and in the first year without one, it counts as 0 (full weight,
    no value) instead of leaving the score to the static indicators."""
    weight = HUB_INDICATORS["surge"][1]
    rows = hub_table(DuckDBEngine(gen_store), product="9306", break_year=2022).to_pylist()
    for r in rows:
        assert r["surge_w"] == weight
        if r["year"] < 2022:
            assert r["surge"] is None
    bg22 = [r for r in rows if r["code"] == "bg" and r["year"] == 2022][0]
    assert bg22["surge"] > 0.5
    no_break = hub_table(DuckDBEngine(gen_store), product="9306").to_pylist()
    first = min(r["year"] for r in no_break)
    assert all(r["surge"] is None for r in no_break if r["year"] == first)
    assert any(r["surge"] is not None for r in no_break if first < r["year"] < 2022)


def test_year_batches_give_the_same_table(
    gen_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big scopes are grouped one batch of years at a time and their evidence attached per
    batch (docs/performance.md, Flows): the rows, values, order and evidence must be those
    of the single-batch run."""
    eng = DuckDBEngine(gen_store)
    whole = hub_table(eng, product="93", break_year=2022)
    monkeypatch.setattr(hubs, "PAIRS_BATCH_ROWS", 1)  # every year a batch of its own
    split = hub_table(eng, product="93", break_year=2022)
    assert len({r["year"] for r in split.select(["year"]).to_pylist()}) > 2
    assert split.schema == whole.schema and split.num_rows == whole.num_rows > 0
    _same_table(whole, split)
    # evidence columns too big for one Arrow array are gathered through the 64-bit types
    monkeypatch.setattr(merge, "ONE_ARRAY_BYTES", 0)
    monkeypatch.setattr(merge, "GATHER_ROWS", 50)
    large = hub_table(eng, product="93", break_year=2022)
    assert large.column("in_ids").num_chunks > 1
    _same_table(whole, large)


def _same_table(whole: pa.Table, split: pa.Table) -> None:
    assert split.schema == whole.schema and split.num_rows == whole.num_rows > 0
    for a, b in zip(whole.to_pylist(), split.to_pylist(), strict=True):
        assert (a["code"], a["product"], a["year"]) == (b["code"], b["product"], b["year"])
        for col, value in a.items():
            if isinstance(value, float):
                assert b[col] == pytest.approx(value, rel=1e-9, abs=1e-12), col
            elif isinstance(value, list):
                assert sorted(value) == sorted(b[col]), col
            else:
                assert value == b[col], col


def _flows(rows: list[tuple[str, str, int, float]]) -> pa.Table:
    """Hand-made X rows (exporter, importer, year, USD) of HS 930690, labelled simulated."""
    out = [
        flowdata._row(f"hand:{n}", "hand", n, (e, e.upper()), (i, i.upper()), "X", y, "930690", v)
        for n, (e, i, y, v) in enumerate(rows, start=1)
    ]
    return pa.Table.from_pylist(out)


def test_indicators_measure_pass_through_not_size(tmp_path: Path) -> None:
    """A small entrepot that starts passing goods on at the break outranks a producer ten
    times its size whose exports jump and a big steady two-way trader; the producer's
    growth is not read as supply from abroad."""
    rows = []
    for y in range(2018, 2024):
        post = y >= 2021
        rows += [
            # 'pp': a producer, no imports, exports jump at the break
            ("pp", "aa", y, 1e9 * (3 if post else 1)),
            # 'tt': a big steady trader, imports and exports alike every year
            ("aa", "tt", y, 5e8),
            ("tt", "bb", y, 5e8),
        ]
        if post:  # 'hh': a small hub opening at the break, pp -> hh -> ua
            rows += [("pp", "hh", y, 2e7), ("hh", "ua", y, 1.9e7)]
    store = connect(tmp_path / "hand.duckdb")
    store.append("trade_flows", _flows(rows))
    table = hub_table(DuckDBEngine(store), product="9306", break_year=2021).to_pylist()
    by = {(r["code"], r["year"]): r for r in table}
    hub, producer, trader = by[("hh", 2022)], by[("pp", 2022)], by[("tt", 2022)]
    assert hub["score"] > max(producer["score"], trader["score"]) + 0.3
    assert hub["surge"] == pytest.approx(1.0) and hub["co_movement"] > 0.9
    assert hub["excess_exports"] == pytest.approx(1.0)
    # the producer's jump is one-sided: no surge, and no imports to cover its exports
    assert producer["surge"] == 0.0 and producer["excess_exports"] == 0.0
    # the steady trader is a conduit by its ratios, but nothing happened at the break
    assert trader["pass_through"] == pytest.approx(1.0) and trader["surge"] == 0.0
    store.close()


def _two_sided(rows: list[tuple[str, str, int, float, float | None]]) -> pa.Table:
    """Hand-made HS 440710 rows (exporter, importer, year, exporter's X, importer's M or
    None when the importer does not report it), labelled simulated."""
    out = []
    n = 0
    for e, i, y, x, m in rows:
        n += 1
        out.append(
            flowdata._row(f"two:{n}", "two", n, (e, e.upper()), (i, i.upper()), "X", y, "440710", x)
        )
        if m is not None:
            n += 1
            out.append(
                flowdata._row(
                    f"two:{n}", "two", n, (i, i.upper()), (e, e.upper()), "M", y, "440710", m
                )
            )
    return pa.Table.from_pylist(out)


def test_entrepot_score_picks_the_entrepot(tmp_path: Path) -> None:
    """'hk' buys 'cn's wood and ships it on to 'us', which records it as Chinese (origin):
    imports cover its exports every year and its partner does not attribute them to it.
    'cc' is a consumer: it imports as much but exports a little of its own, which its
    partner records as from 'cc'. 'pp' is a producer. The entrepot score ranks hk first,
    the consumer second, the producer last; the conduit score, which looks for a route
    opening after a break, sees nothing of the sort in any of them."""
    rows: list[tuple[str, str, int, float, float | None]] = []
    for y in range(2015, 2019):
        rows += [
            ("cn", "hk", y, 1.0e8, 1.06e8),  # China -> Hong Kong, both report
            ("hk", "us", y, 0.9e8, None),  # re-exported: 'us' records it as from China
            ("cn", "us", y, 2.0e8, 2.0e8 * 1.05 + 0.9e8 * 1.05),
            ("pp", "cc", y, 1.0e8, 1.05e8),  # a producer's exports to a consumer
            ("cc", "us", y, 0.5e7, 0.525e7),  # the consumer's own small exports
            ("pp", "us", y, 3.0e8, 3.15e8),
        ]
    store = connect(tmp_path / "two.duckdb")
    store.append("trade_flows", _two_sided(rows))
    eng = DuckDBEngine(store)
    found = hub_scores(eng, product="44", years=(2018, 2018), kind="entrepot")
    by = {h.territory: h for h in found}
    assert [h.territory for h in found[:2]] == ["HK", "CC"]
    hk, cc, pp = by["HK"], by["CC"], by["PP"]
    assert hk.kind == "entrepot" and hk.score == hk.scores["entrepot"]
    assert hk.score > cc.score > pp.score
    ind = {i.name: i for i in hk.indicators}
    assert ind["foreign_origin"].value == pytest.approx(1.0)  # 'us' attributes none to hk
    assert ind["mirror_gap"].value == pytest.approx(1.0)
    assert ind["no_output"].value == pytest.approx(1.0)
    # imports 1.0, exports 0.9 of the unit: 0.5 + log10(1 / 0.9) / 8
    assert ind["import_cover"].value == pytest.approx(0.5 + math.log10(1.0 / 0.9) / 8, rel=0.01)
    assert "reported exports to partners that report imports" in ind["foreign_origin"].detail
    cc_ind = {i.name: i for i in cc.indicators}
    assert cc_ind["foreign_origin"].value == pytest.approx(0.0, abs=1e-9)
    assert pp.score < 0.1
    # ranked by the conduit score instead, hk is nothing special (no break, no surge)
    conduit = hub_scores(eng, product="44", years=(2018, 2018))
    assert all(h.kind == "conduit" and h.score == h.scores["conduit"] for h in conduit)
    assert hk.scores["conduit"] < 0.6
    # min_usd: the consumer's USD 5 million of exports are below USD 10 million
    big = hub_scores(eng, product="44", years=(2018, 2018), kind="entrepot", min_usd=1e7)
    assert {h.territory for h in big} == {"HK", "PP", "CN"}
    with pytest.raises(InvalidInput):
        hub_scores(eng, product="44", kind="broker")
    with pytest.raises(InvalidInput):
        hub_table(eng, product="44", kind="")
    store.close()


def test_years_filter_keeps_history(gen_store: Store) -> None:
    """Asking for one year uses the earlier years (never later ones) for the time series."""
    eng = DuckDBEngine(gen_store)
    one = {(r["code"], r["year"]): r for r in hub_table(eng, "9306", (2023, 2023)).to_pylist()}
    full = {(r["code"], r["year"]): r for r in hub_table(eng, "9306", (2017, 2023)).to_pylist()}
    assert {y for _, y in one} == {2023}
    for key, r in one.items():
        assert r["score"] == pytest.approx(full[key]["score"])
        assert r["co_movement_w"] == full[key]["co_movement_w"]


def test_real_comtrade_reexporters(shared_data: Path, tmp_path: Path) -> None:
    """Real legacy Comtrade (HS44, 2016-2017): RX reporters get the re-export indicator."""
    store = connect(tmp_path / "wood.duckdb")
    folder = shared_data / "comtrade-hs2-oil-wood-sample"
    for year in (2016, 2017):
        flowdata.load(store, flowdata.comtrade_rows(folder / f"comtrade_wood_hs44_{year}.csv"))
    rx_reporters = set(
        store.query(
            "SELECT DISTINCT reporter_iso3 FROM trade_flows WHERE flow = 'RX' AND year = 2017"
        )
        .column(0)
        .to_pylist()
    )
    assert rx_reporters
    found = hub_scores(DuckDBEngine(store), product="44", years=(2017, 2017))
    by_territory = {h.territory: h for h in found}
    for iso3 in rx_reporters:
        if iso3 in by_territory:
            ind = next(i for i in by_territory[iso3].indicators if i.name == "reexport_share")
            assert ind.weight > 0
    assert all(len(h.territory) == 3 for h in found)
    store.close()


def test_cli_json_contract(tmp_path: Path) -> None:
    flowdata.generated_store(tmp_path / "cli.duckdb").close()
    res = CliRunner().invoke(
        app,
        ["hubs", "--db", str(tmp_path / "cli.duckdb"), "--product", "9306", "--years", "2022-2024"]
        + ["--json", "--limit", "3"],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 3
    for r in rows:
        assert {"territory", "product", "year", "score", "indicators"} <= set(r)
        assert r["kind"] == "conduit" and r["score"] == r["scores"]["conduit"]
        assert set(r["scores"]) == set(r["indicators_by_kind"]) == {"conduit", "entrepot"}
        assert len(r["territory"]) == 3
        for ind in r["indicators"]:
            assert {"name", "value", "weight", "evidence"} <= set(ind)
    res = CliRunner().invoke(
        app,
        ["hubs", "--db", str(tmp_path / "cli.duckdb"), "--kind", "entrepot", "--json"]
        + ["--limit", "5", "--min-usd", "1000"],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and all(r["kind"] == "entrepot" for r in rows)
    assert all(r["outflow_usd"] >= 1000 for r in rows)
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert [i["name"] for i in rows[0]["indicators"]] == list(ENTREPOT)
    bad = CliRunner().invoke(app, ["hubs", "--db", str(tmp_path / "cli.duckdb"), "--kind", "x"])
    assert bad.exit_code == 2 and "--kind" in bad.output
