"""The prior_claims indicator: diversion allegations in the store, graded by the claims stage.

The real case: the Serbia case's claims.jsonl (cases/serbia-2025) names Czechia, Poland and
Bulgaria as intermediaries of Serbian ammunition reaching Ukraine; the claims stage grades
the SVR's allegation D4 (a party to the war, no independent origin).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transship.exc import InvalidInput
from transship.ingest.pipeline import ingest_paths
from transship.risk.assess import ALWAYS_NOT_CHECKED, assess_licence, score
from transship.risk.config import (
    CREDIBILITIES,
    INDICATORS,
    RELIABILITIES,
    default_weights,
    parse_weights,
)
from transship.risk.model import Indicator
from transship.risk.note import file_note
from transship.risk.prior_claims import (
    ClaimBase,
    StoredClaim,
    claim_strength,
    claims_value,
    match_claims,
)
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
CASE_CLAIMS = ROOT / "cases" / "serbia-2025" / "claims.jsonl"

HEADER = (
    "licence_id,authority_country,exporter,consignee,consignee_country,end_user,"
    "end_user_country,destination,goods_description,calibre,quantity,unit,issued_date\n"
)
# Fictional parties (the companies are invented); the countries are what is matched.
LICENCES = (
    "BG-2024-1,RS,Fictive Munitions a.d.,Balkan Ordnance Trading EOOD,BG,Balkan Ordnance "
    "Trading EOOD,BG,BG,122 mm rockets,122 mm,4000,pieces,2024-03-01\n"
    "CL-2024-1,RS,Fictive Munitions a.d.,Andes Defensa SpA,CL,Andes Defensa SpA,CL,CL,"
    "122 mm rockets,122 mm,4000,pieces,2024-03-01\n"
    "BG-2024-2,RS,Fictive Munitions a.d.,VMZ Sopot,BG,Fictive Land Systems Ltd,AE,AE,"
    "122 mm rockets,122 mm,4000,pieces,2024-03-01\n"
)


@pytest.fixture
def serbia_store(store: Store, tmp_path: Path) -> Store:
    lic = tmp_path / "licences.csv"
    lic.write_text(HEADER + LICENCES, "utf-8")
    results = ingest_paths(store, [CASE_CLAIMS, lic])
    assert [r.status for r in results] == ["ok", "ok"]
    return store


def _prior(store: Store, licence_id: str) -> Indicator:
    a = assess_licence(store, licence_id)
    return {i.code: i for i in a.indicators}["prior_claims"]


def test_a_bulgarian_consignee_meets_the_serbia_case_allegations(serbia_store: Store) -> None:
    a = assess_licence(serbia_store, "BG-2024-1")
    ind = {i.code: i for i in a.indicators}["prior_claims"]
    assert ind.checked and 0.0 < ind.value < 1.0 and ind.weight == 0.10
    ev = "\n".join(ind.evidence)
    # SR02 (the SVR: CZ, PL, BG as intermediaries) graded D4 with no independent origin;
    # SR10 (VMZ Sopot, Bulgaria) and SR21 (Bulgaria's indirect exports) graded B2
    assert "claim SR02 D4 (0 independent origins" in ev
    assert "claim SR10 B2 (1 independent origin" in ev and "claim SR21 B2" in ev
    assert "names BG (consignee's country) as intermediary" in ev
    # each claim points at its row in the store (file and line) and says why it matched
    rows = {
        str(r[0]): str(r[1])
        for r in serbia_store.fetchall("SELECT claim_id, record_id FROM claims")
    }
    for cid in ("SR02", "SR10", "SR21"):
        line = next(e for e in ind.evidence if e.startswith(f"claim {cid} "))
        assert rows[cid] in line and "alleges" in line
    # claims that do not involve Bulgaria are not there: SR09 (Czechia only), SR20 (a
    # trade figure naming Bulgaria as a buyer, no allegation)
    assert "SR09" not in ev and "SR20" not in ev
    # the weak SVR claim counts far less than the B2 claims
    strength = {f.subject: f for f in a.findings if f.code == "claims.prior_allegation"}
    assert set(strength) == {"SR02", "SR10", "SR21"}
    assert strength["SR02"].severity == "info" and strength["SR10"].severity == "low"
    assert strength["SR02"].evidence == [rows["SR02"]]
    # the indicator counts in the score and is listed as checked, not as not checked
    assert ind.contribution > 0
    assert any("prior diversion claims" in x for x in a.checked)
    assert not any("prior" in x and "claim" in x for x in a.not_checked)
    note = "\n".join(file_note(a))
    assert "prior_claims" in note and "SR10 B2" in note


def test_a_country_no_claim_names_scores_zero_but_checked(serbia_store: Store) -> None:
    ind = _prior(serbia_store, "CL-2024-1")
    assert ind.checked and ind.value == 0.0 and ind.evidence == []
    assert "22 claim(s)" in ind.explanation and "none involves" in ind.explanation
    assert "CL" in ind.explanation


def test_a_consignee_named_in_a_claim_counts_more_than_its_country(serbia_store: Store) -> None:
    by_country = _prior(serbia_store, "BG-2024-1")
    by_name = _prior(serbia_store, "BG-2024-2")  # VMZ Sopot, named by SR10
    line = next(e for e in by_name.evidence if e.startswith("claim SR10 "))
    assert "names the consignee 'VMZ Sopot'" in line and "vmz sopot" in line
    assert by_name.value > by_country.value


def test_without_claims_the_indicator_is_not_checked(store: Store, tmp_path: Path) -> None:
    lic = tmp_path / "licences.csv"
    lic.write_text(HEADER + LICENCES, "utf-8")
    ingest_paths(store, [lic])
    a = assess_licence(store, "BG-2024-1")
    ind = {i.code: i for i in a.indicators}["prior_claims"]
    assert not ind.checked and ind.value == 0.0 and ind.contribution == 0.0
    assert "no claims in the store" in ind.explanation
    assert any(x.startswith("prior_claims: no claims in the store") for x in a.not_checked)
    assert not any("claims stage is not wired" in x for x in a.not_checked)
    assert not any("claim" in x for x in ALWAYS_NOT_CHECKED)
    # not checked means left out of the score: the others keep their weights
    others = [i for i in a.indicators if i.code != "prior_claims"]
    assert abs(score(others) - a.score) < 1e-12


def test_claims_read_from_a_stored_document(store: Store, tmp_path: Path) -> None:
    doc = tmp_path / "rockets.md"
    doc.write_text(
        "---\ntitle: Rockets moved on\npublisher: Balkan Investigative Reporting Network\n"
        "date: 2024-05-02\n---\n"
        "According to Conflict Armament Research, 3,000 rockets exported to Bulgaria in 2022 "
        "were re-exported to Sudan through a trading company.\n",
        "utf-8",
    )
    lic = tmp_path / "licences.csv"
    lic.write_text(HEADER + LICENCES, "utf-8")
    ingest_paths(store, [doc, lic])
    ind = _prior(store, "BG-2024-1")
    assert ind.checked and ind.value > 0
    (line,) = ind.evidence
    assert line.startswith("claim clm:") and "at doc:" in line and "(Rockets moved on)" in line
    assert "names BG (consignee's country) as named" in line and "'re-exported'" in line


# -- the weighing rule ----------------------------------------------------------------------


def _claim(cid: str, grade: str, origins: int, origin: str, group: str) -> StoredClaim:
    return StoredClaim(
        cid, f"0123456789abcdef:{cid}", "test", "passed through BG", grade[0], int(grade[1]),
        origins, origin, origin, group, "passed through", {"bg": "intermediary"},
    )  # fmt: skip


def test_a_weak_single_origin_claim_weighs_far_less_than_a_corroborated_one() -> None:
    w = default_weights()
    d4 = claim_strength("D", 4, 1, w)
    b2 = claim_strength("B", 2, 3, w)
    assert b2 > 10 * d4
    assert 0.0 < d4 < b2 <= 1.0


def test_one_origin_counts_once() -> None:
    w = default_weights()
    five = [_claim(f"C{i}", "B2", 1, "ft", f"G{i}") for i in range(5)]
    found = match_claims(ClaimBase(five, 5, 0), [], [("consignee", "bg")], w)
    assert len(found) == 5 and sum(m.counted_with is None for m in found) == 1
    assert abs(claims_value(found) - claim_strength("B", 2, 1, w) * 0.6) < 1e-12
    two = [_claim("A", "B2", 1, "ft", "G1"), _claim("B", "B2", 1, "reuters", "G2")]
    assert claims_value(match_claims(ClaimBase(two, 2, 0), [], [("consignee", "bg")], w)) > (
        claims_value(found)
    )


grades_st = st.tuples(
    st.sampled_from(RELIABILITIES), st.sampled_from(CREDIBILITIES), st.integers(0, 6)
)


@settings(max_examples=200, deadline=None)
@given(grades_st, st.integers(0, 5), st.integers(0, 5), st.integers(1, 4))
def test_strength_is_monotone_in_each_grade(
    g: tuple[str, int, int], up_r: int, up_c: int, more: int
) -> None:
    w = default_weights()
    rel, cred, n = g
    base = claim_strength(rel, cred, n, w)
    assert 0.0 <= base <= 1.0
    assert claim_strength(rel, cred, n + more, w) >= base
    # a better reliability (A..E) or credibility (1..5) never counts less; F and 6 ("cannot
    # be judged") are outside the order
    if rel != "F":
        better = RELIABILITIES[max(0, RELIABILITIES.index(rel) - up_r)]
        assert claim_strength(better, cred, n, w) >= base
    if cred != 6:
        assert claim_strength(rel, max(1, cred - up_c), n, w) >= base


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(grades_st, st.sampled_from(["o1", "o2", "o3"])), max_size=6), grades_st)
def test_another_claim_never_lowers_the_indicator(
    claims: list[tuple[tuple[str, int, int], str]], extra: tuple[str, int, int]
) -> None:
    w = default_weights()

    def value(items: list[tuple[tuple[str, int, int], str]]) -> float:
        stored = [
            _claim(f"C{i}", f"{g[0]}{g[1]}", g[2], origin, f"G{i}")
            for i, (g, origin) in enumerate(items)
        ]
        return claims_value(match_claims(ClaimBase(stored, len(stored), 0), [], [("c", "bg")], w))

    before = value(claims)
    assert 0.0 <= before <= 1.0
    assert value([*claims, (extra, "new-origin")]) >= before - 1e-12


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=len(INDICATORS), max_size=len(INDICATORS)),
    st.floats(0.0, 1.0),
    st.booleans(),
)
def test_score_is_monotone_in_prior_claims(values: list[float], bump: float, others: bool) -> None:
    w = default_weights()
    inds = [
        Indicator(name, v, w.indicators[name], 0.0, "", [], others or name == "prior_claims")
        for name, v in zip(INDICATORS, values, strict=True)
    ]
    before = score(inds)
    assert 0.0 <= before <= 1.0
    raised = [Indicator(i.code, i.value, i.weight, 0.0, "", [], i.checked) for i in inds]
    raised[INDICATORS.index("prior_claims")].value = min(1.0, values[-1] + bump)
    assert score(raised) >= before - 1e-12


def test_prior_claims_weights_are_checked() -> None:
    import yaml

    shipped = ROOT / "transship" / "risk" / "weights.yaml"
    doc = yaml.safe_load(shipped.read_text("utf-8"))
    assert parse_weights(doc, "ok.yaml").prior_claims.roles["party"] == 1.0
    bad = dict(doc, prior_claims=dict(doc["prior_claims"], reliability={"A": 0.2, "B": 0.9}))
    with pytest.raises(InvalidInput, match="prior_claims"):
        parse_weights(bad, "bad.yaml")
    order = {k: v for k, v in zip(RELIABILITIES, itertools.repeat(0.5), strict=False)}
    order["B"] = 0.9
    worse = dict(doc, prior_claims=dict(doc["prior_claims"], reliability=order))
    with pytest.raises(InvalidInput, match="better grade"):
        parse_weights(worse, "worse.yaml")
    missing = {k: v for k, v in doc.items() if k != "prior_claims"}
    with pytest.raises(InvalidInput, match="prior_claims"):
        parse_weights(missing, "missing.yaml")


def test_weight_zero_leaves_the_claims_unread(serbia_store: Store) -> None:
    import dataclasses

    w = default_weights()
    zero = dataclasses.replace(w, indicators={**w.indicators, "prior_claims": 0.0})
    a = assess_licence(serbia_store, "BG-2024-1", weights=zero)
    ind = {i.code: i for i in a.indicators}["prior_claims"]
    assert not ind.checked and "weight 0" in ind.explanation
    assert not any(f.code == "claims.prior_allegation" for f in a.findings)


def test_the_same_origin_in_two_claims_files_counts_once(
    store: Store, shared_data: Path, tmp_path: Path
) -> None:
    # the shared press claims re-report the Financial Times (C01) as the case does (SR18):
    # one origin, counted once for a Czech consignee
    lic = tmp_path / "licences.csv"
    lic.write_text(
        HEADER + "CZ-2024-1,RS,Fictive Munitions a.d.,Fictive Trading s.r.o.,CZ,Fictive "
        "Trading s.r.o.,CZ,CZ,155 mm shells,155 mm,4000,pieces,2024-03-01\n",
        "utf-8",
    )
    press = shared_data / "press-claims" / "claims.jsonl"
    results = ingest_paths(store, [CASE_CLAIMS, press, lic])
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    ind = _prior(store, "CZ-2024-1")
    by_id = {e.split()[1]: e for e in ind.evidence}
    assert {"C01", "SR18", "SR09", "SR02"} <= set(by_id)
    ft = [by_id[c] for c in ("C01", "SR18")]
    assert all("origin Financial Times" in e for e in ft)
    assert sum("counted with" in e for e in ft) == 1
    counted = [e for e in ind.evidence if "counted with" not in e]
    rest = 1.0
    for e in counted:
        rest *= 1.0 - float(e.rsplit("counts ", 1)[1].split(",")[0])
    assert abs(ind.value - (1.0 - rest)) < 0.005  # strengths shown to three decimals
