"""What routes read, on the real Comtrade oil files: reconciled flows where Saudi Arabia
reports almost nothing by partner and the United States reports USD 85.8 bn of imports from
it (2014-2016), imports from World read through the scope, and the leg's basis in the JSON
and the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transship.cli.app import app
from transship.flows.route_data import BASIS, load_flows
from transship.flows.routes import Route, find_routes
from transship.ingest.pipeline import ingest_file
from transship.store import connect
from transship.store.engine import DuckDBEngine

#: The US's reported imports of HS 27 from Saudi Arabia (CIF), 2014, 2015, 2016.
US_FROM_SAU = (47_172_693_996.0, 21_845_716_997.0, 16_763_207_924.0)
#: What Saudi Arabia reports exporting to the US: 2014 only.
SAU_TO_US_2014 = 62_166.0


@pytest.fixture(scope="module")
def oil_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oil") / "oil.duckdb"
    folder = shared_data / "comtrade-hs2-oil-wood-sample"
    with connect(path) as store:
        for year in (2014, 2015, 2016):
            ingest_file(store, folder / f"comtrade_oil_hs27_{year}.csv")
    return path


@pytest.fixture(scope="module")
def sau_usa(oil_db: Path) -> list[Route]:
    with connect(oil_db, read_only=True) as store:
        return find_routes(store, "SAU", "USA", product="27", years="2014-2016", resamples=50)


def test_the_importers_report_fills_the_exporters_silence(sau_usa: list[Route]) -> None:
    direct = next(r for r in sau_usa if r.path == ["SAU", "USA"])
    leg = direct.legs[0]
    assert leg.importer_reported_usd == pytest.approx(sum(US_FROM_SAU))
    assert leg.exporter_reported_usd == pytest.approx(SAU_TO_US_2014)
    by_year = {g.year: g for g in leg.years}
    # 2015-2016: Saudi Arabia is silent, the value is the US report brought to FOB
    for year, reported in zip((2015, 2016), US_FROM_SAU[1:], strict=True):
        g = by_year[year]
        assert g.basis == "importer" and g.exporter_weight == 0.0
        assert g.exporter_reported_usd is None
        assert g.importer_fob_usd is not None and leg.cif_fob_margin is not None
        assert g.value_usd == pytest.approx(reported / leg.cif_fob_margin)
    # 2014: both report, USD 62 thousand against USD 47 billion; the fitted reliability of
    # Saudi partner detail gives its figure almost no weight (the old reading took it whole)
    g14 = by_year[2014]
    assert g14.basis == "both" and g14.exporter_weight is not None and g14.exporter_weight < 0.1
    assert g14.value_usd > 0.5 * US_FROM_SAU[0]
    assert leg.basis == "mixed"
    assert 1.0 < leg.cif_fob_margin < 1.3
    # the leg now carries the imports the US reported, not USD 36.8 bn of which 62 thousand
    # for 2014 (before: exporter's figure first, importer's / 1.05 only where it was silent)
    assert leg.value_usd > 0.75 * sum(US_FROM_SAU)
    assert leg.importer_weight is not None and leg.importer_weight > 0.95
    # the route attributes part of it to US absorption (the US passes some fuel on)
    assert 0 < direct.value_usd < leg.value_usd
    assert direct.interval_level == 0.9 and direct.value_low < direct.value_high


def test_json_names_each_legs_basis(sau_usa: list[Route]) -> None:
    d = sau_usa[0].to_dict()
    json.dumps(d)
    assert d["interval_level"] == 0.9 and "fitted" in d["interval_model"]
    for leg in d["legs"]:
        assert leg["basis"] in {*BASIS, "mixed"}
        assert {"exporter_weight", "importer_weight", "importer_fob_usd", "years"} <= leg.keys()
        for y in leg["years"]:
            assert y["basis"] in BASIS
            if y["exporter_weight"] is not None:
                assert y["exporter_weight"] + y["importer_weight"] == pytest.approx(1.0)


def test_world_imports_through_the_scope(oil_db: Path) -> None:
    """Saudi Arabia's imports from World (the chain's supply floor) come from its World
    rows, at FOB with the fitted margin, with their record ids."""
    with connect(oil_db, read_only=True) as store:
        pd = load_flows(DuckDBEngine(store), "27", (2014, 2016))["27"]
        sa = pd.index["sa"]
        world = store.query(
            "SELECT year, value_usd, record_id FROM trade_flows WHERE reporter = 'sa' "
            "AND flow = 'M' AND partner_is_world ORDER BY year"
        ).to_pylist()
    assert [r["year"] for r in world] == [2014, 2015, 2016]
    for r in world:
        assert pd.world_imports[r["year"]][sa] == pytest.approx(r["value_usd"] / pd.margin)
        assert pd.world_ids[(r["year"], sa)] == [r["record_id"]]
    assert not pd.simulated and pd.dispersion


def test_cli_table_says_where_legs_come_from(oil_db: Path) -> None:
    args = ["routes", "--origin", "SAU", "--destination", "USA", "--product", "27"]
    args += ["--years", "2014-2016", "--db", str(oil_db), "--limit", "3", "--resamples", "20"]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "[90%]" in res.stdout and "legs from" in res.stdout
    first = next(line for line in res.stdout.splitlines() if "SAU>USA " in line)
    assert "imp 9" in first  # the direct leg rests on the US report (>= 90 %)


def test_values_reconciled_elsewhere_have_no_interval(tmp_path: Path) -> None:
    """A store of BACI-style rows only (values reconciled by someone else, no reports):
    the routes use them (basis 'reconciled') and state that there is nothing fitted to draw
    an interval from, instead of a band of zero width posing as 90 %."""
    import pyarrow as pa

    from tests.flows.flowdata import generated_rows

    d = generated_rows().to_pydict()
    keep = [
        i
        for i, f in enumerate(d["flow"])
        if f == "X" and not d["partner_is_world"][i] and not d["partner_is_area"][i]
    ]
    rows = {k: [v[i] for i in keep] for k, v in d.items()}
    rows["value_basis"] = ["reconciled"] * len(keep)
    rows["dataset"] = ["baci"] * len(keep)
    with connect(tmp_path / "baci.duckdb") as store:
        store.append("trade_flows", pa.table(rows))
        routes = find_routes(store, "SRB", "UKR", product="9306", resamples=20)
    assert routes
    for r in routes:
        assert r.interval_level is None and "no fitted dispersion" in r.interval_model
        assert r.low == r.share == r.high
        assert {g.basis for g in r.legs} == {"reconciled"}
        assert all(g.exporter_weight is None for g in r.legs)
