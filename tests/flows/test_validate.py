"""Validation harnesses, and the levels they reached (docs/validation.md, "Flows").

Each threshold below sits a little under the figure measured when it was written, so a
change that makes hubs or routes worse at finding what they should fails here. The figures
and the commands that reproduce them are in docs/validation.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from transship.flows import validate as v
from transship.flows.engine import DuckDBEngine
from transship.flows.routes import Route, load_flows
from transship.store import connect

ROOT = Path(__file__).resolve().parents[2]


# -- the generator ------------------------------------------------------------------------------
def test_planted_world_is_labelled_deterministic_and_carries_its_routes() -> None:
    table, planted = v.planted_world(seed=4, noise=0.2)
    again, planted2 = v.planted_world(seed=4, noise=0.2)
    assert table.equals(again) and planted == planted2
    assert all(table.column("simulated").to_pylist())
    assert set(table.column("dataset").to_pylist()) == {"simulated-planted"}
    assert len(planted) == 6
    for p in planted:
        # no two planted routes of one product share a territory
        others = [q for q in planted if q.product == p.product and q is not p]
        assert all(not set(p.path) & set(q.path) for q in others)
    store = connect(":memory:")
    store.append("trade_flows", table)
    data = load_flows(DuckDBEngine(store))
    for p in planted:
        pd = data[p.product]
        legs = list(zip(p.path, p.path[1:], strict=False))
        for a, b in legs:
            i = pd.labels.index(a)
            j = pd.labels.index(b)
            # every planted leg carries at least the planted value after the break
            assert pd.point(2023)[i, j] > 0.3 * p.value_usd
    store.close()


def test_scoring_counts_exact_paths() -> None:
    planted = [v.PlantedRoute(("SRB", "BGR", "UKR"), "930690", 2022, 1.0)]

    def route(path: list[str]) -> Route:
        return Route(path, "930690", [2022], 0.1, 0.1, 0.1, 1.0, 1.0, 1.0, 0.9, [], [])

    res = v.score_routes([route(["SRB", "BGR", "UKR"]), route(["SRB", "BGR"])], planted)
    assert res == {"flagged": 2, "planted": 1, "hits": 1, "precision": 0.5, "recall": 1.0}
    assert v._average_precision([(0.9, False), (0.8, True)], 1) == pytest.approx(0.5)


def test_rank_metrics() -> None:
    pred = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    truth = np.array([0.0, 9.0, 1.0, 0.0, 8.0])
    m = v._rank_metrics(pred, truth, (2,))
    assert m["precision@2"] == 0.5  # one of the top two predicted has re-exports
    assert m["overlap@2"] == 0.5  # and it is one of the two largest
    assert m["random_precision@2"] == pytest.approx(0.6)


# -- planted routes (generated worlds) ------------------------------------------------------
def test_planted_routes_are_found() -> None:
    res = v.validate_planted(noise_levels=(0.05, 1.0), seeds=(0,))
    assert res["simulated"] is True
    low, high = res["levels"]
    # measured: average precision 0.83 at noise 0.05, 0.55 at noise 1.0 (seed 0)
    assert low["average_precision"] >= 0.75
    assert high["average_precision"] >= 0.45
    assert low["r_precision"] >= 0.6
    strict = {t["score_at_least"]: t for t in low["thresholds"]}[0.7]
    assert strict["precision"] >= 0.9 and strict["recall"] >= 0.45


# -- the simulation stage's output ----------------------------------------------------------
@pytest.fixture(scope="module")
def sim_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transship.simulate.run import run

    out = tmp_path_factory.mktemp("case") / "sim"
    run(ROOT / "cases" / "serbia-2025", out, seed=0, scale=0.2, noise="low")
    return out


def test_simulated_case_routes(sim_case: Path) -> None:
    planted, manifest = v.read_planted(sim_case)
    assert planted and manifest["simulated"] is True
    res = v.validate_simulated(sim_case)
    by = {(r["dataset"], r["mode"]): r for r in res["results"]}
    assert set(by) == {(d, m) for d in ("baci", "comtrade") for m in ("open", "destination")}
    # measured (seed 0, scale 0.2, noise low): AP 0.97 / 0.86 on BACI with / without the
    # destination, 0.89 / 0.65 on Comtrade as reported
    assert by[("baci", "destination")]["average_precision"] >= 0.85
    assert by[("baci", "open")]["average_precision"] >= 0.75
    assert by[("comtrade", "destination")]["average_precision"] >= 0.8
    assert by[("comtrade", "open")]["average_precision"] >= 0.55


def test_simulated_case_hubs(sim_case: Path) -> None:
    """The planted intermediaries rank well above size and chance (docs/validation.md)."""
    res = v.validate_simulated_hubs(sim_case)
    assert res["simulated"] is True and res["threshold"] == v.HUB_THRESHOLD
    by = {r["dataset"]: r for r in res["results"]}
    assert set(by) == {"baci", "comtrade"}
    baci, comtrade = by["baci"], by["comtrade"]
    assert baci["planted"] == 21
    # measured (seed 0, scale 0.2, noise low): BACI P / R / F1 1.00 / 0.57 / 0.73, average
    # precision 0.76 (by exports 0.34, random 0.07); Comtrade F1 0.41, AP 0.55 (0.30)
    assert baci["precision"] >= 0.9 and baci["recall"] >= 0.5 and baci["f1"] >= 0.65
    assert baci["average_precision"] >= 0.7
    assert comtrade["f1"] >= 0.35 and comtrade["average_precision"] >= 0.45
    for r in (baci, comtrade):
        assert r["average_precision"] >= r["exports_baseline_ap"] + 0.2
        assert r["average_precision"] >= 5 * r["random_ap"]


# -- real data: withheld re-exports -----------------------------------------------------------
@pytest.fixture(scope="module")
def reexports(shared_data: Path) -> dict[str, Any]:
    return v.validate_reexports(shared_data / "comtrade-hs2-oil-wood-sample")


@pytest.mark.slow
def test_withheld_reexports_pairs(reexports: dict[str, Any]) -> None:
    assert reexports["rx_reporter_years"] > 200 and reexports["rx_pairs"] > 7000
    routes = reexports["pairs"]["mean_over_product_years"]["routes"]
    base = reexports["pairs"]["mean_over_product_years"]["exports_baseline"]
    assert reexports["pairs"]["product_years"] == 10
    # measured: precision@10 0.89, @25 0.85, @50 0.77; overlap@50 0.27; Spearman 0.31
    assert routes["precision@10"] >= 0.85
    assert routes["precision@25"] >= 0.8
    assert routes["precision@50"] >= 0.72
    assert routes["overlap@50"] >= 0.22
    assert routes["spearman"] >= 0.27
    # routes beat ranking by exports alone at the top of the list (0.85 against 0.74)
    assert routes["precision@25"] >= base["precision@25"] + 0.05
    assert routes["precision@25"] > 2 * routes["random_precision@25"]


@pytest.mark.slow
def test_withheld_reexports_territories(reexports: dict[str, Any]) -> None:
    by_x = reexports["hubs"]["rx_share_of_exports"]
    by_m = reexports["hubs"]["rx_share_of_imports"]
    chain_x = by_x["chain_import_share_of_supply"]
    chain_m = by_m["chain_export_share_of_supply"]
    hub_x, hub_m = by_x["hub_score"], by_m["hub_score"]
    assert chain_x["n"] > 400 and hub_x["n"] > 400
    # measured: the chain 0.415 (RX/X) and 0.237 (RX/M)
    assert chain_x["spearman"] >= 0.35
    assert chain_m["spearman"] >= 0.18
    # measured: hub score 0.094 (RX/X) against -0.209 for ranking by exports alone (it was
    # -0.20 before the indicators were made size-neutral), and 0.013 (RX/M; exports alone
    # 0.277): see docs/validation.md
    assert hub_x["spearman"] >= 0.06
    assert hub_x["spearman"] >= by_x["exports_baseline"]["spearman"] + 0.25
    assert hub_m["spearman"] >= -0.03
    # the indicators that carry each notion of "hub": imports-backed exports (0.351) for
    # the re-export share of exports, pass-through (0.236) for the share of imports
    assert by_x["indicator:excess_exports"]["spearman"] >= 0.3
    assert by_m["indicator:pass_through"]["spearman"] >= 0.2
