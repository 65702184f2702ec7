"""The request_size indicator: the request against the end user's recorded fleet and the
country's earlier licences; in [0, 1], monotone in the request's size, and not checked (never
a silent pass) when neither reference exists."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from transship.risk.config import default_weights
from transship.risk.crosscheck import StoreIndex
from transship.risk.holdings import _read
from transship.risk.size import fleet_ratio, history_ratio, request_size_indicator, scaled

ROWS = _read(
    "calibre,ammunition,weapon_system,operators,sipri_designation,operator_sources\n"
    "122 mm,rocket,BM-21 Grad,ke,BM-21,ke:sipri 1\n",
    "test_systems.csv",
    "assumption",
)


def licence(lid: str, value: float, day: str, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": f"l:{lid}",
        "licence_id": lid,
        "authority_country": "rs",
        "status": "issued",
        "end_user_country": "ke",
        "destination": "ke",
        "value_eur": value,
        "issued_date": day,
        "valid_until": None,
        "quantity": value / 1000.0,
        "calibre": "122 mm",
        "goods_description": "122 mm Grad rockets",
    }
    return base | over


def index(*licences: dict[str, Any], fleet: float | None = None) -> StoreIndex:
    arms = (
        {
            "ke": [
                {
                    "record_id": "a:1",
                    "deal_id": "1",
                    "designation": "BM-21",
                    "number_delivered": fleet,
                }
            ]
        }
        if fleet
        else {}
    )
    return StoreIndex(licences_by_id={r["licence_id"]: [r] for r in licences}, arms=arms)


EARLIER = (
    licence("A", 1e6, "2020-01-01"),
    licence("B", 2e6, "2020-06-01"),
    licence("C", 3e6, "2021-01-01"),
    # none of these is the country's usual order: later, refused, another country or authority
    licence("D", 50e6, "2023-01-01"),
    licence("E", 50e6, "2020-01-01", status="refused"),
    licence("F", 50e6, "2020-01-01", end_user_country="ng", destination="ng"),
    licence("G", 50e6, "2020-01-01", authority_country="bg"),
)


def test_history_reads_only_earlier_issued_licences_for_the_country() -> None:
    req = licence("R", 8e6, "2022-01-01")
    ratio, text, evidence = history_ratio(req, index(*EARLIER, req), 1) or (0.0, "", [])
    assert ratio == 4.0  # 8m over the median of A, B, C (2m)
    assert sorted(evidence) == ["l:A", "l:B", "l:C"]
    assert "3 licences issued earlier" in text
    assert history_ratio(req, index(*EARLIER, req), 4) is None  # fewer than the minimum


def test_the_indicator_grades_the_request_and_says_when_it_cannot() -> None:
    w = default_weights()
    big = licence("R", 8e6, "2022-01-01")
    small = licence("S", 1e6, "2022-01-01")
    ix = index(*EARLIER, big, small)
    hi = request_size_indicator(None, big, [], w, ROWS, ix)
    lo = request_size_indicator(None, small, [], w, ROWS, ix)
    assert hi.checked and lo.checked and hi.value == 1.0 and lo.value == 0.0
    assert "l:A" in hi.evidence and "median" in hi.explanation
    first = licence("N", 8e6, "2019-01-01")  # nothing earlier, no fleet: not checked
    none = request_size_indicator(None, first, [], w, ROWS, index(*EARLIER, first))
    assert not none.checked and none.value == 0.0 and "neither" in none.explanation


def test_fleet_ratio_reads_the_register_and_the_stated_use() -> None:
    w = default_weights()
    per = w.use_per_system["rocket"]
    req = licence("R", 1e6, "2022-01-01", quantity=2 * 10 * per)
    ratio, text, evidence = fleet_ratio(object(), req, w, ROWS, index(fleet=10)) or (0, "", [])
    assert ratio == 2.0 and "a:1" in evidence and "SIPRI AT deal 1" in evidence
    assert fleet_ratio(object(), req, w, ROWS, index()) is None  # no recorded fleet
    assert fleet_ratio(None, req, w, ROWS, index(fleet=10)) is None  # no store


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-6, 1e6), st.floats(1e-6, 1e6))
def test_scaled_stays_in_range_and_rises(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert 0.0 <= scaled(lo, 0.25, 2.0) <= scaled(hi, 0.25, 2.0) <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.floats(1e3, 1e9), st.floats(1.0, 100.0), st.sampled_from([None, 1.0, 40.0]))
def test_indicator_is_monotone_in_the_request(
    value: float, more: float, fleet: float | None
) -> None:
    w = default_weights()
    small = licence("R", value, "2022-01-01")
    large = licence("R", value * more, "2022-01-01")
    a = request_size_indicator(object(), small, [], w, ROWS, index(*EARLIER, small, fleet=fleet))
    b = request_size_indicator(object(), large, [], w, ROWS, index(*EARLIER, large, fleet=fleet))
    assert a.checked and b.checked
    assert 0.0 <= a.value <= b.value <= 1.0
