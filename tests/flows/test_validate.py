"""Validation harnesses, and the levels they reached (docs/validation.md, "Flows").

Routes and the simulated case: each threshold sits a little under the figure measured when
it was written, so a change that makes them worse fails here. The entrepot score on real
data is checked against its two baselines computed in the same run, per product-year, with
no threshold at all. The figures and the commands that reproduce them are in
docs/validation.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from transship.flows import validate as v
from transship.flows.routes import Route, load_flows
from transship.store import connect
from transship.store.engine import DuckDBEngine

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
    assert v.average_precision([(0.9, False), (0.8, True)], 1) == pytest.approx(0.5)


def test_auc_is_the_share_of_pairs_ranked_right() -> None:
    assert v.auc([3.0, 2.0], [1.0, 0.0]) == 1.0
    assert v.auc([0.0], [1.0]) == 0.0
    # ties count one half: 2 of 4 pairs right, 1 tied
    assert v.auc([1.0, 3.0], [1.0, 2.0]) == pytest.approx(0.625)
    assert v.auc([], [1.0]) is None


def test_rank_metrics() -> None:
    pred = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    truth = np.array([0.0, 9.0, 1.0, 0.0, 8.0])
    m = v.rank_metrics(pred, truth, (2,))
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
    assert set(by) == {(d, m) for d in ("reconciled", "comtrade") for m in ("open", "destination")}
    # measured (seed 0, scale 0.2, noise low): AP 0.87 / 0.62 on transship's
    # reconciliation with / without the destination, 0.87 / 0.66 on Comtrade as reported.
    # (Before the request population's background re-exports: 0.88 / 0.79 and 0.89 / 0.78;
    # the open queries now meet some 40 more Serbian consignees a year and their onward
    # trade. Re-export routes the simulation plants outside the case are left out of the
    # ranking, neither credited nor charged: `background_left_out`.)
    assert by[("reconciled", "destination")]["average_precision"] >= 0.8
    assert by[("reconciled", "open")]["average_precision"] >= 0.55
    assert by[("comtrade", "destination")]["average_precision"] >= 0.8
    assert by[("comtrade", "open")]["average_precision"] >= 0.55
    assert by[("reconciled", "open")]["background_left_out"] > 0
    assert by[("reconciled", "destination")]["planted_found"] == 10


def test_simulated_case_hubs(sim_case: Path) -> None:
    """The planted intermediaries rank well above size and chance (docs/validation.md)."""
    res = v.validate_simulated_hubs(sim_case)
    assert res["simulated"] is True and res["threshold"] == v.HUB_THRESHOLD
    by = {r["dataset"]: r for r in res["results"]}
    assert set(by) == {"reconciled", "comtrade"}
    reconciled, comtrade = by["reconciled"], by["comtrade"]
    assert reconciled["planted"] == 21
    # measured (seed 0, scale 0.2, noise low), on transship's reconciliation of the reports:
    # P / R / F1 0.73 / 0.38 / 0.50, average precision 0.62 (by exports 0.29, by imports /
    # exports 0.12, random 0.09); on Comtrade as reported F1 0.39, AP 0.52 (by exports 0.37).
    # 192 candidates that are the request population's background re-exporters are left out.
    # (Before that population: 0.67 / 0.48 / 0.56, AP 0.68, Comtrade AP 0.55 (exports 0.30);
    # before the simulator stopped writing near-true BACI files: 1.00 / 0.57 / 0.73, AP 0.76,
    # scored on data close to the truth.)
    assert reconciled["precision"] >= 0.6 and reconciled["recall"] >= 0.33
    assert reconciled["f1"] >= 0.45 and reconciled["average_precision"] >= 0.55
    assert comtrade["f1"] >= 0.33 and comtrade["average_precision"] >= 0.45
    assert reconciled["background_left_out"] > 0
    assert reconciled["average_precision"] >= reconciled["exports_baseline_ap"] + 0.2
    for r in (reconciled, comtrade):
        assert r["kind"] == "conduit"
        assert r["average_precision"] >= r["exports_baseline_ap"] + 0.1
        assert r["average_precision"] > r["ratio_baseline_ap"]
        assert r["average_precision"] >= 5 * r["random_ap"]
        # the entrepot score answers another question: the planted conduits are not
        # entrepots, and it ranks them below the conduit score does
        assert r["entrepot_ap"] < r["average_precision"]


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
    # measured: precision@10 0.93, @25 0.88, @50 0.81; overlap@50 0.26; Spearman 0.31
    assert routes["precision@10"] >= 0.85
    assert routes["precision@25"] >= 0.8
    assert routes["precision@50"] >= 0.72
    assert routes["overlap@50"] >= 0.22
    assert routes["spearman"] >= 0.27
    # routes beat ranking by exports alone at the top of the list (0.88 against 0.84 with
    # routes reading reconciled values; 0.85 against 0.74 before)
    assert routes["precision@25"] > base["precision@25"]
    assert routes["precision@10"] > base["precision@10"]
    assert routes["precision@25"] > 2 * routes["random_precision@25"]


#: Where the entrepot score does NOT beat the imports / exports ratio on real data: wood 2015
#: only, the Spearman against RX / X (0.578 against 0.634) and the AUC against territories
#: reporting little (< 5 %) re-exports (0.859 against 0.894); none for the AUC. Oil 2017 left
#: the list with import cover's log scale (0c7c409). docs/validation.md says so; a change that
#: wins or loses elsewhere fails here, so the doc has to follow. Neither the evidence-weighted
#: mirror indicators alone (13 variants) nor persistence across years (6 variants,
#: pre-registered) removed wood 2015; neither was adopted (same section).
KNOWN_LOSSES = {"spearman": ["44-2015"], "auc_little": ["44-2015"]}


@pytest.mark.slow
def test_entrepot_score_beats_both_baselines(reexports: dict[str, Any]) -> None:
    """Per product-year, in the same run: the entrepot score ranks the territories that
    report re-exports of at least 30 % of their exports above those that report none (AUC)
    better than imports / exports and than total exports; and ranks the re-export
    reporters by their re-export share (Spearman) better than total exports everywhere and
    than the ratio except where docs/validation.md says it does not."""
    hubs = reexports["hubs"]
    per = hubs["per_product_year"]
    assert len(per) == 10 and {(r["product"], r["year"]) for r in per} == {
        (p, y) for p in ("27", "44") for y in range(2013, 2018)
    }
    for r in per:
        assert r["positives"] >= 8 and r["negatives"] >= 100 and r["rx_reporters"] >= 30
        auc, rho = r["auc"], r["spearman"]
        assert auc["entrepot"] > auc["ratio"], r
        assert auc["entrepot"] > auc["exports"], r
        assert rho["entrepot"] > rho["exports"], r
        assert r["auc_little"]["entrepot"] > r["auc_little"]["exports"], r
    beats = hubs["entrepot_beats"]
    for metric in ("auc", "auc_little", "spearman"):
        assert beats["exports"][metric]["lost"] == []
        assert beats["ratio"][metric]["lost"] == KNOWN_LOSSES.get(metric, [])
    mean = hubs["mean_over_product_years"]
    for metric in ("auc", "auc_little", "spearman"):
        assert mean[metric]["entrepot"] > mean[metric]["ratio"] > mean[metric]["exports"]
    # the conduit score is not an entrepot score: it does no better than chance here
    assert mean["auc"]["conduit"] < 0.55


@pytest.mark.slow
def test_withheld_reexports_territories_pooled(reexports: dict[str, Any]) -> None:
    by_x = reexports["hubs"]["pooled"]["rx_share_of_exports"]
    by_m = reexports["hubs"]["pooled"]["rx_share_of_imports"]
    assert by_x["entrepot"]["n"] > 400 and by_m["chain_export_share"]["n"] > 400
    # pooled over product-years too, the entrepot score ranks by re-export share of exports
    # better than both baselines (measured 0.499 against 0.362 and -0.209)
    assert by_x["entrepot"]["spearman"] > by_x["ratio"]["spearman"]
    assert by_x["entrepot"]["spearman"] > by_x["exports"]["spearman"]
    # measured: the chain 0.43 (RX/X) and 0.20 (RX/M)
    assert by_x["chain_import_share"]["spearman"] >= 0.35
    assert by_m["chain_export_share"]["spearman"] >= 0.15
    # the other notion of hub, the share of imports passed on, follows pass-through (0.236)
    # and size (0.277), not the entrepot score (-0.05): docs/validation.md
    assert by_m["indicator:pass_through"]["spearman"] >= 0.2
    assert by_m["entrepot"]["spearman"] < by_m["exports"]["spearman"]
