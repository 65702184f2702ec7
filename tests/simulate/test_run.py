"""`transship simulate`: determinism, labelling, formats the readers take, ground truth."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from transship.exc import InvalidInput
from transship.ingest.pipeline import ingest_paths
from transship.simulate import run
from transship.simulate.run import SimulationResult, parse_years
from transship.simulate.truth import TRUTH_FLOWS, TRUTH_FLOWS_SCHEMA, read_true_flows
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"
SMALL = {"seed": 7, "scale": 0.25, "years": "2021-2024"}


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return run(CASE, tmp_path_factory.mktemp("sim") / "out", **SMALL)  # type: ignore[arg-type]


def test_same_seed_gives_identical_files(sim: SimulationResult, tmp_path: Path) -> None:
    again = run(CASE, tmp_path / "again", **SMALL)  # type: ignore[arg-type]
    first, second = _hashes(sim.out_dir), _hashes(again.out_dir)
    assert first == second
    # Comtrade per year, customs, the forces' register, truth.jsonl, truth_flows.csv.gz,
    # manifest: no BACI-style file.
    assert len(first) == 4 + 3 + 1 + 3
    assert not any("baci" in name.lower() for name in first)
    other = run(CASE, tmp_path / "other", seed=8, scale=0.25, years="2021-2024")
    assert _hashes(other.out_dir)["truth.jsonl"] != first["truth.jsonl"]


def test_every_file_says_it_is_simulated(sim: SimulationResult) -> None:
    for path in sim.out_dir.rglob("*.csv"):
        assert path.read_text("utf-8").splitlines()[0].startswith("# SIMULATED"), path
    manifest = json.loads(sim.manifest_path.read_text("utf-8"))
    assert manifest["simulated"] is True
    for line in sim.truth_path.read_text("utf-8").splitlines():
        assert json.loads(line)["simulated"] is True
    shipments = sim.data_dir / "customs" / "shipments.csv"
    rows = list(csv.DictReader(shipments.read_text("utf-8").splitlines()[1:]))
    assert rows and all(r["simulated"] == "true" for r in rows)


def test_comtrade_files_use_the_comtrade_plus_field_names(sim: SimulationResult) -> None:
    path = sim.data_dir / "comtrade" / "comtrade_plus_sim_2023.csv"
    lines = path.read_text("utf-8").splitlines()
    header = next(csv.reader([lines[1]]))
    for name in (
        "reporterCode",
        "reporterISO",
        "partnerCode",
        "flowCode",
        "cmdCode",
        "classificationCode",
        "period",
        "primaryValue",
        "cifvalue",
        "fobvalue",
        "qty",
        "netWgt",
        "partner2Code",
        "customsCode",
        "motCode",
    ):
        assert name in header
    rows = list(csv.DictReader(lines[1:]))
    assert {r["flowCode"] for r in rows} <= {"X", "M", "RX"}
    assert all(len(r["cmdCode"]) == 6 for r in rows)
    assert {r["partner2Code"] for r in rows} == {"0"} and {r["customsCode"] for r in rows} == {
        "C00"
    }
    imports = [r for r in rows if r["flowCode"] == "M"]
    assert all(r["cifvalue"] and not r["fobvalue"] for r in imports)
    assert {r["classificationCode"] for r in rows} >= {"H6"}
    # Background trade among many countries and products, not just the case.
    assert len({r["reporterCode"] for r in rows}) > 60
    assert len({r["cmdCode"] for r in rows}) > 30
    assert any(r["reporterCode"] == "688" and r["cmdCode"] == "930690" for r in rows)


def test_true_flows_are_kept_outside_the_data(sim: SimulationResult) -> None:
    """The answer key of the flows measurements: one true FOB value per exporter, importer,
    HS6 and year, beside truth.jsonl (never under data/), labelled simulated."""
    assert sim.truth_flows_path.parent == sim.out_dir
    with gzip.open(sim.truth_flows_path, "rt", encoding="utf-8") as f:
        assert f.readline().startswith("# SIMULATED")
    flows = read_true_flows(sim.out_dir)
    assert flows.schema == TRUTH_FLOWS_SCHEMA
    assert flows.num_rows == sim.counts["true_flows"]
    keys = flows.select(["year", "exporter_iso3", "importer_iso3", "hs6"]).to_pylist()
    assert len({tuple(k.values()) for k in keys}) == len(keys), "one row per flow"
    assert set(flows.column("year").to_pylist()) == {2021, 2022, 2023, 2024}
    srb_cze = [
        r
        for r in flows.to_pylist()
        if (r["exporter_iso3"], r["importer_iso3"], r["hs6"], r["year"])
        == ("SRB", "CZE", "930690", 2023)
    ]
    # The planted Serbia -> Czechia leg: S1 alone moves tens of millions of EUR a year.
    assert srb_cze and srb_cze[0]["value_usd"] > 10e6
    manifest = json.loads(sim.manifest_path.read_text("utf-8"))
    assert "baci_rows" not in manifest["counts"]
    assert TRUTH_FLOWS in {f["path"] for f in manifest["files"]}
    with pytest.raises(InvalidInput, match="truth_flows"):
        read_true_flows(sim.data_dir)


def test_simulated_folder_ingests_and_stays_simulated(sim: SimulationResult, store: Store) -> None:
    results = ingest_paths(store, [sim.data_dir])
    assert {r.status for r in results} == {"ok"}
    assert sum(r.rows_rejected for r in results) == 0
    assert {r.format for r in results} == {
        "comtrade-plus-csv",
        "shipments",
        "licences",
        "certificates",
        "sipri-register",
    }
    for table in ("trade_flows", "shipments", "licences", "certificates", "arms_transfers"):
        flags = store.fetchall(f"SELECT DISTINCT simulated FROM {table}")
        assert flags == [(True,)], table
    assert store.fetchall("SELECT DISTINCT simulated FROM sources") == [(True,)]


def test_truth_matches_the_documents(sim: SimulationResult) -> None:
    truth = [json.loads(x) for x in sim.truth_path.read_text("utf-8").splitlines()]
    ships = {
        r["shipment_id"]: r
        for r in csv.DictReader(
            (sim.data_dir / "customs/shipments.csv").read_text("utf-8").splitlines()[1:]
        )
    }
    certs = {
        r["certificate_id"]: r
        for r in csv.DictReader(
            (sim.data_dir / "customs/certificates.csv").read_text("utf-8").splitlines()[1:]
        )
    }
    t_ships = {t["id"]: t for t in truth if t["kind"] == "shipment"}
    t_certs = {t["id"]: t for t in truth if t["kind"] == "certificate"}
    assert set(t_ships) == set(ships)
    assert set(t_certs) == set(certs)
    diverted = [t for t in t_ships.values() if t["diverted"]]
    # the case's schemes end in Ukraine; the request population's diversions elsewhere too
    assert diverted and all(t["final_destination"] == "ua" for t in diverted if t["scheme"])
    assert any(t.get("request") for t in diverted)
    # A certificate reused beyond its quantity really is: its first-leg shipments exceed it
    # (unless a consignment fell outside the simulated years).
    reused = [cid for cid, t in t_certs.items() if "reused" in t["reasons"]]
    exceeded = 0
    for cid in reused:
        origin = certs[cid]["exporter_country"]
        first_leg = [
            s
            for s in ships.values()
            if s["certificate_id"] == cid and s["sender_country"] == origin
        ]
        exceeded += sum(float(s["quantity"]) for s in first_leg) > float(certs[cid]["quantity"])
    assert reused and exceeded >= 0.8 * len(reused)
    routes = [tuple(t["path"]) for t in truth if t["kind"] == "route"]
    assert ("SRB", "CZE", "UKR") in routes and ("SRB", "KEN", "POL", "UKR") in routes


def test_serbian_diversion_volume_follows_the_case(tmp_path: Path) -> None:
    result = run(CASE, tmp_path / "full", seed=3, scale=0.1, years="2022-2024")
    rows = list(
        csv.DictReader(
            (result.data_dir / "customs/shipments.csv").read_text("utf-8").splitlines()[1:]
        )
    )
    truth = {
        t["id"]: t
        for t in map(json.loads, result.truth_path.read_text("utf-8").splitlines())
        if t["kind"] == "shipment"
    }
    first_legs = [
        r
        for r in rows
        if truth[r["shipment_id"]]["diverted"]
        and truth[r["shipment_id"]]["leg"] == 1
        and truth[r["shipment_id"]]["scheme"]  # the case's schemes, not the request population
    ]
    serbian = sum(float(r["value"]) for r in first_legs if r["origin_country"] == "rs")
    # EUR 800 million over 2022-2024 (claim SR03), within the spread of unit prices.
    assert 600e6 < serbian < 1000e6


def test_years_and_errors(tmp_path: Path) -> None:
    assert parse_years("2019-2024") == (2019, 2024)
    assert parse_years("2023") == (2023, 2023)
    with pytest.raises(InvalidInput):
        parse_years("2024-2019")
    with pytest.raises(InvalidInput):
        parse_years("twenty")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", "utf-8")
    with pytest.raises(InvalidInput, match="not empty"):
        run(CASE, busy)
    with pytest.raises(InvalidInput, match="noise"):
        run(CASE, tmp_path / "x", noise="extreme")


def test_scale_grows_the_background(tmp_path: Path) -> None:
    small = run(CASE, tmp_path / "s", scale=0.2, years="2023")
    large = run(CASE, tmp_path / "l", scale=0.8, years="2023")
    ratio = large.counts["flow_components"] / small.counts["flow_components"]
    assert 2.5 < ratio < 5.5
