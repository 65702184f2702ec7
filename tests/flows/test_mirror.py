"""Mirror gaps: the fitted margin and reporter effects, phantom flows, evidence, real data."""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from tests.flows import flowdata
from transship.cli.app import app
from transship.flows import merge, mirror
from transship.flows.mirror import COLUMNS, mirror_gaps, reporting_reliability
from transship.store import Store, connect
from transship.store.engine import DuckDBEngine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gen_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = flowdata.generated_store(tmp_path_factory.mktemp("mirror") / "gen.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def wood_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Store]:
    path = shared_data / "comtrade-hs2-oil-wood-sample" / "comtrade_wood_hs44_2017.csv"
    store = connect(tmp_path_factory.mktemp("wood") / "wood.duckdb")
    flowdata.load(store, flowdata.comtrade_rows(path))
    yield store
    store.close()


def _row(table: pa.Table, **keys: object) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        r for r in table.to_pylist() if all(r[k] == v for k, v in keys.items())
    ]
    assert len(rows) == 1, (keys, len(rows))
    return rows[0]


def test_columns_and_never_pairs_aggregates(gen_store: Store) -> None:
    table = mirror_gaps(DuckDBEngine(gen_store), product="93")
    assert tuple(table.schema.names) == COLUMNS
    parties = set(table.column("exporter").to_pylist()) | set(table.column("importer").to_pylist())
    assert "world" not in parties
    assert not any(p.startswith("zz") for p in parties)
    assert set(table.column("product").to_pylist()) == {"93"}
    assert all(table.column("simulated").to_pylist())


def test_fitted_margin_and_biased_reporter(gen_store: Store) -> None:
    """The generator adds 6% CIF and makes 'us' report imports 30% high."""
    eng = DuckDBEngine(gen_store)
    table = mirror_gaps(eng, product="9306")
    margin = table.column("cif_fob_margin")[0].as_py()
    assert abs(margin - math.log(1.06)) < 0.03
    rel = {r["territory"]: r for r in reporting_reliability(eng, product="9306").to_pylist()}
    assert abs(rel["us"]["importer_effect"] - math.log(1.3)) < 0.08
    others = [abs(r["importer_effect"]) for k, r in rel.items() if k != "us"]
    assert max(others) < 0.1
    # 'tr' reports with 8x the noise of everyone else: its dispersion says so
    assert rel["tr"]["importer_sigma"] > 2 * max(
        r["importer_sigma"] for k, r in rel.items() if k != "tr"
    )


def test_biased_reporter_is_not_flagged(gen_store: Store) -> None:
    """A +30% gap is the expectation for 'us' imports, not an anomaly."""
    table = mirror_gaps(DuckDBEngine(gen_store), product="9306", partner="us")
    matched = table.filter(pc.equal(table.column("kind"), "matched"))
    into_us = matched.filter(pc.equal(matched.column("importer"), "us"))
    gaps = into_us.column("log_gap").to_pylist()
    zs = into_us.column("z").to_pylist()
    assert sum(gaps) / len(gaps) > 0.2  # raw ratios look suspicious ...
    assert sorted(abs(z) for z in zs)[len(zs) // 2] < 1.5  # ... scored residuals do not


def test_phantom_export(gen_store: Store) -> None:
    table = mirror_gaps(DuckDBEngine(gen_store), years=(2019, 2019))
    row = _row(table, exporter="pl", importer="cz", product="930300")
    assert row["kind"] == "phantom_export"
    assert row["import_value_usd"] is None
    assert row["z"] is not None and row["z"] > 3
    phantoms = table.filter(pc.equal(table.column("kind"), "phantom_export"))
    assert phantoms.column("exporter")[0].as_py() == "pl"  # the biggest one comes first


def test_evidence_adds_up(gen_store: Store) -> None:
    """Every row's evidence is the trade_flows rows whose values it reports."""
    table = mirror_gaps(DuckDBEngine(gen_store), product="93", limit=40)
    for r in table.to_pylist():
        ids = r["evidence"]
        assert ids
        flows = gen_store.query(
            "SELECT flow, sum(value_usd) AS v FROM trade_flows WHERE record_id IN "
            f"({', '.join(repr(i) for i in ids)}) GROUP BY flow"
        ).to_pylist()
        by_flow = {f["flow"]: f["v"] for f in flows}
        assert by_flow.get("X") == pytest.approx(r["export_value_usd"])
        assert by_flow.get("M") == pytest.approx(r["import_value_usd"])


def test_prefix_aggregates_codes(gen_store: Store) -> None:
    eng = DuckDBEngine(gen_store)
    agg = _row(mirror_gaps(eng, product="93", years=(2023, 2023)), exporter="rs", importer="bg")
    codes = mirror_gaps(eng, product="9306", years=(2023, 2023), reporter="rs", partner="bg")
    assert codes.num_rows == 2  # both directions
    direct = gen_store.query(
        "SELECT sum(value_usd) FROM trade_flows WHERE reporter = 'rs' AND partner = 'bg' "
        "AND flow = 'X' AND year = 2023 AND hs_code LIKE '93%'"
    ).column(0)[0]
    assert agg["export_value_usd"] == pytest.approx(direct.as_py())


def _same_rows(a: pa.Table, b: pa.Table) -> None:
    """Same rows in the same order, same values up to the rounding of float sums (parallel
    aggregates add in no fixed order), same evidence."""
    assert a.schema == b.schema and a.num_rows == b.num_rows
    keys = ("exporter", "importer", "product", "year")
    for ra, rb in zip(a.to_pylist(), b.to_pylist(), strict=True):
        assert [ra[k] for k in keys] == [rb[k] for k in keys]
        for col, value in ra.items():
            if isinstance(value, float):
                assert rb[col] == pytest.approx(value, rel=1e-9, abs=1e-12), col
            else:
                assert value == rb[col], col


def test_year_batches_give_the_same_table(
    gen_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big scopes are grouped, scored and fetched one batch of years at a time and ordered
    in Arrow at the end (docs/performance.md, Flows): the rows, values, order and evidence
    must be those of the single-batch run, and ``limit`` the first rows of the whole."""
    eng = DuckDBEngine(gen_store)
    whole = mirror_gaps(eng)
    monkeypatch.setattr(mirror, "PAIRS_BATCH_ROWS", 1)  # every year a batch of its own
    split = mirror_gaps(eng)
    assert len(set(split.column("year").to_pylist())) > 2
    assert whole.num_rows > 1000
    _same_rows(whole, split)
    _same_rows(split.slice(0, 25), mirror_gaps(eng, limit=25))
    # columns too big for one Arrow array are gathered through the 64-bit-offset types
    monkeypatch.setattr(merge, "ONE_ARRAY_BYTES", 0)
    monkeypatch.setattr(merge, "GATHER_ROWS", 1000)
    large = mirror_gaps(eng)
    assert large.column("evidence").num_chunks > 1
    _same_rows(whole, large)
    assert mirror_gaps(eng, limit=0).num_rows == 0
    rank = [
        (r["unexplained_usd"], abs(r["z"]))
        for r in split.to_pylist()
        if r["unexplained_usd"] is not None
    ]
    assert rank == sorted(rank, reverse=True)


def test_empty_scope_keeps_the_columns(gen_store: Store) -> None:
    table = mirror_gaps(DuckDBEngine(gen_store), product="01")
    assert table.num_rows == 0
    assert tuple(table.schema.names) == COLUMNS


def test_one_level_and_annual_rows_only(store: Store) -> None:
    """Chapter totals beside subheadings, monthly rows beside annual ones: never summed twice."""
    rows = [
        flowdata._row("a:1", "t", 1, ("rs", "SRB"), ("bg", "BGR"), "X", 2022, "93", 100.0),
        flowdata._row("a:2", "t", 2, ("rs", "SRB"), ("bg", "BGR"), "X", 2022, "930610", 60.0),
        flowdata._row("a:3", "t", 3, ("rs", "SRB"), ("bg", "BGR"), "X", 2022, "930690", 30.0),
        flowdata._row("a:4", "t", 4, ("bg", "BGR"), ("rs", "SRB"), "M", 2022, "930610", 66.0),
        flowdata._row("a:5", "t", 5, ("bg", "BGR"), ("rs", "SRB"), "M", 2022, "930690", 33.0),
        flowdata._row(
            "a:6", "t", 6, ("bg", "BGR"), ("rs", "SRB"), "M", 2022, "930610", 99.0, period="2022-03"
        ),
    ]
    flowdata.load(store, pa.Table.from_pylist(rows))
    row = _row(mirror_gaps(DuckDBEngine(store), product="93"), exporter="rs", importer="bg")
    assert row["export_value_usd"] == 100.0  # the chapter total, not 190
    assert row["import_value_usd"] == 99.0  # annual subheadings, not the monthly row too
    assert sorted(row["evidence"]) == ["a:1", "a:4", "a:5"]


def test_real_comtrade_asymmetry_is_not_overflagged(wood_store: Store) -> None:
    """SOURCE.md: Serbia-Czechia HS44 2017, ratios 1.14 and 0.68, both ordinary."""
    table = mirror_gaps(DuckDBEngine(wood_store), product="44", reporter="rs", partner="cz")
    rs_cz = _row(table, exporter="rs", importer="cz")
    cz_rs = _row(table, exporter="cz", importer="rs")
    assert rs_cz["export_value_usd"] == 1_285_663
    assert rs_cz["import_value_usd"] == 1_466_737
    assert cz_rs["export_value_usd"] == 4_273_496
    assert cz_rs["import_value_usd"] == 2_917_849
    assert rs_cz["exporter_iso3"] == "SRB" and rs_cz["importer_iso3"] == "CZE"
    assert abs(rs_cz["z"]) < 2 and abs(cz_rs["z"]) < 2
    assert len(rs_cz["evidence"]) == 2
    assert 0.0 < rs_cz["cif_fob_margin"] < 0.2  # imports CIF exceed exports FOB


def test_real_comtrade_phantoms_and_ordering(wood_store: Store) -> None:
    """Rows come largest unexplained amount first, then largest |z|; unscored rows last."""
    table = mirror_gaps(DuckDBEngine(wood_store))
    kinds = set(table.column("kind").to_pylist())
    assert {"matched", "phantom_export", "phantom_import"} <= kinds
    rows = table.to_pylist()
    scored = [r for r in rows if r["unexplained_usd"] is not None]
    keys = [(r["unexplained_usd"], abs(r["z"])) for r in scored]
    assert keys == sorted(keys, reverse=True)
    assert max(abs(r["z"]) for r in scored) > 5
    # a matched gap is unexplained only beyond twice the pair's scatter: |z| > 2 exactly then
    for r in scored:
        if r["kind"] == "matched":
            assert (r["unexplained_usd"] > 0) == (abs(r["z"]) > mirror.NOISE_BAND), r
    # unscored rows (unreported flows) last, the larger value first among them
    tail = table.slice(len(scored))
    assert tail.num_rows > 1000 and tail.column("z").null_count == tail.num_rows
    size = pc.coalesce(tail.column("export_value_usd"), tail.column("import_value_usd"))
    assert size.to_pylist() == sorted(size.to_pylist(), reverse=True)


@pytest.fixture(scope="module")
def oil_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Store]:
    folder = shared_data / "comtrade-hs2-oil-wood-sample"
    store = connect(tmp_path_factory.mktemp("oil") / "oil.duckdb")
    for year in (2013, 2014, 2015, 2016, 2017):
        flowdata.load(store, flowdata.comtrade_rows(folder / f"comtrade_oil_hs27_{year}.csv"))
    yield store
    store.close()


def test_real_oil_top_results_are_material(oil_store: Store) -> None:
    """The real oil sample's top gaps by |z| alone were immaterial (KIR -> IND, a USD 7
    phantom export at z -23). Ranked by the unexplained amount, the top rows are large and
    surprising: each matched one beyond twice its pair's scatter, each phantom a flow the
    partner, which reports imports that year, does not report."""
    eng = DuckDBEngine(oil_store)
    top = mirror_gaps(eng, product="27", limit=20).to_pylist()
    assert len(top) == 20
    for r in top:
        assert r["unexplained_usd"] >= 1e8, r  # measured: USD 4.5 bn and more
        assert r["kind"] in ("matched", "phantom_export", "phantom_import")
        if r["kind"] == "matched":
            assert abs(r["z"]) > mirror.NOISE_BAND
        assert r["evidence"]
    whole = mirror_gaps(eng, product="27")
    by_z = sorted((r for r in whole.to_pylist() if r["z"] is not None), key=lambda r: -abs(r["z"]))
    kir_ind = [r for r in by_z[:5] if (r["exporter_iso3"], r["importer_iso3"]) == ("KIR", "IND")]
    assert kir_ind and kir_ind[0]["export_value_usd"] < 100  # the old headline, still scored
    order = [(r["exporter"], r["importer"], r["year"]) for r in whole.to_pylist()]
    assert order.index(("ki", "in", kir_ind[0]["year"])) > 1000
    # --min-usd keeps pairs whose larger reported value reaches it, in the same order
    big = mirror_gaps(eng, product="27", min_usd=1e9).to_pylist()
    assert big and all(
        max(r["export_value_usd"] or 0, r["import_value_usd"] or 0) >= 1e9 for r in big
    )
    kept = [
        r
        for r in whole.to_pylist()
        if max(r["export_value_usd"] or 0, r["import_value_usd"] or 0) >= 1e9
    ]
    assert [(r["exporter"], r["importer"], r["year"]) for r in big] == [
        (r["exporter"], r["importer"], r["year"]) for r in kept
    ]


def test_cli_json_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    flowdata.generated_store(tmp_path / "cli.duckdb").close()
    db = str(tmp_path / "cli.duckdb")
    res = runner.invoke(
        app,
        ["mirror", "--db", db, "--product", "9306", "--reporter", "SRB", "--json", "--limit", "5"],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert 0 < len(rows) <= 5
    assert all("rs" in (r["exporter"], r["importer"]) for r in rows)
    assert all(r["evidence"] for r in rows)
    bad = runner.invoke(app, ["mirror", "--db", db, "--reporter", "Atlantis"])
    assert bad.exit_code == 1
    assert "unknown territory" in bad.output
    bad = runner.invoke(app, ["mirror", "--db", db, "--years", "2024-2019"])
    assert bad.exit_code == 1
    bad = runner.invoke(app, ["mirror", "--db", db, "--min-usd", "-1"])
    assert bad.exit_code == 2 and "--min-usd" in bad.output
    res = runner.invoke(app, ["mirror", "--db", db, "--min-usd", "1e6", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and all(
        max(r["export_value_usd"] or 0, r["import_value_usd"] or 0) >= 1e6 for r in rows
    )
    assert {"z", "unexplained_usd", "evidence"} <= set(rows[0])


def test_fit_sample_leaves_real_terms_alone(
    wood_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Comtrade wood sample has no country over FIT_PAIRS matched pairs: the default
    fit is the full one. Forcing a small threshold samples the big countries and moves
    their effects a little (docs/methods.md gives the figures)."""
    eng = DuckDBEngine(wood_store)
    default = {r["territory"]: r for r in reporting_reliability(eng, product="44").to_pylist()}
    monkeypatch.setattr(mirror, "FIT_PAIRS", 10**12)
    full = {r["territory"]: r for r in reporting_reliability(eng, product="44").to_pylist()}
    assert default == full
    monkeypatch.setattr(mirror, "FIT_PAIRS", 60)
    small = {r["territory"]: r for r in reporting_reliability(eng, product="44").to_pylist()}
    sampled = [c for c, r in full.items() if (r["pairs_as_exporter"] or 0) > 60 and c in small]
    assert len(sampled) > 30
    for c in sampled:  # each keeps about 60 of its pairs or more, not all
        assert 45 < small[c]["pairs_as_exporter"] <= full[c]["pairs_as_exporter"]
    assert sum(small[c]["pairs_as_exporter"] for c in sampled) < sum(
        full[c]["pairs_as_exporter"] for c in sampled
    )
    moves = sorted(abs(small[c]["exporter_effect"] - full[c]["exporter_effect"]) for c in sampled)
    assert moves[len(moves) // 2] < 0.05  # median move, against a spread of ~0.5


def test_benchmark_baseline_gives_the_same_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/flows.py's hand-written SQL must produce transship's output (same fitted
    model, sample included) for the ratio to mean anything: checked here with a threshold
    small enough that the sample is a real subset."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("_bench_flows", ROOT / "benchmarks" / "flows.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    db = tmp_path / "bench.duckdb"
    bench.generate(db, 60_000)
    monkeypatch.setattr(mirror, "FIT_PAIRS", 40)
    with connect(db, read_only=True) as store:
        ours = mirror_gaps(DuckDBEngine(store))
        base = store.query(bench.baseline_mirror(40))
        n_fit = sum(
            r["pairs_as_exporter"] or 0
            for r in reporting_reliability(DuckDBEngine(store)).to_pylist()
        )
    matched = pc.sum(pc.equal(ours.column("kind"), "matched")).as_py()
    assert 0 < n_fit < matched  # the sample is a proper subset
    assert ours.num_rows == base.num_rows > 10_000
    # the same rows and values; compared in key order (the output is ranked by the
    # unexplained amount, the baseline by |z|: the sort is the same work either way)
    ours = ours.sort_by([(c, "ascending") for c in ("exporter", "importer", "product", "year")])
    base = base.sort_by([(c, "ascending") for c in ("e", "i", "product", "year")])
    names = {"exporter": "e", "importer": "i", "product": "product", "year": "year"}
    names |= {"kind": "kind", "evidence": "evidence", "exporter_iso3": "e_iso3"}
    for ours_col, base_col in names.items():
        assert ours.column(ours_col).to_pylist() == base.column(base_col).to_pylist(), ours_col
    for ours_col, base_col in (("z", "z"), ("expected_log_gap", "expected")):
        diff = pc.max(pc.abs(pc.subtract(ours.column(ours_col), base.column(base_col))))
        assert diff.as_py() < 1e-9, ours_col
