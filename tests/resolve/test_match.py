"""Entity-level scores: identifiers, qualifiers, weak aliases, schemata, explanations."""

from __future__ import annotations

import pytest

from transship.resolve.match import DEFAULT_THRESHOLD, WEIGHTS, score_pair
from transship.resolve.parties import Party, party_from_properties, query_party


def listed(**props: list[str]) -> Party:
    schema = props.pop("schema", ["Company"])[0]
    return party_from_properties("c1", schema, dict(props), datasets=["test"])


def test_shared_inn_is_strong_evidence_whatever_the_name() -> None:
    q = query_party("q", "Completely Other Name", "Company", identifiers={"innCode": "1832090230"})
    c = listed(name=["JSC Kalashnikov Concern"], innCode=["1832090230"])
    result = score_pair(q, c)
    assert result.score == pytest.approx(WEIGHTS["identifier_match"])
    feat = result.explanations["identifier_match"]
    assert feat.query == feat.candidate == "1832090230"
    assert "INN" in (feat.detail or "")


def test_one_number_under_two_kinds_matches_but_short_numbers_do_not() -> None:
    c = listed(name=["JSC Kalashnikov Concern"], innCode=["1832090230"], idNumber=["12345"])
    q = query_party("q", "Other", "Company", identifiers={"taxNumber": "1832090230"})
    assert score_pair(q, c).score == pytest.approx(WEIGHTS["identifier_match"])
    q = query_party("q", "Other", "Company", identifiers={"registrationNumber": "12345"})
    assert "identifier_match" not in score_pair(q, c).explanations
    # a conflicting INN is no conflict when the other number is the same
    q = query_party(
        "q", "Other", "Company", identifiers={"innCode": "7707083893", "taxNumber": "1832090230"}
    )
    assert "identifier_conflict" not in score_pair(q, c).explanations


def test_conflicting_inn_counts_against() -> None:
    q = query_party("q", "Kalashnikov Concern", "Company", identifiers={"innCode": "1832090230"})
    c = listed(name=["Kalashnikov Concern"], innCode=["7707083893"])
    result = score_pair(q, c)
    assert "identifier_conflict" in result.explanations
    assert result.score == pytest.approx(1.0 + WEIGHTS["identifier_conflict"])
    # strong counter-evidence: the same name alone is no match any more
    assert result.score < DEFAULT_THRESHOLD


def test_imo_numbers_compare_normalised() -> None:
    q = query_party("q", "Sparta IV", "Vessel", identifiers={"imoNumber": "IMO 9321483"})
    c = listed(schema=["Vessel"], name=["SPARTA IV"], imoNumber=["9321483"])
    assert "identifier_match" in score_pair(q, c).explanations


def test_country_and_birth_date_qualify() -> None:
    q = query_party("q", "Aleksandr Zakharov", "Person", country="Serbia", birth_date="1970")
    c = listed(
        schema=["Person"],
        name=["Alexander Zakharov"],
        nationality=["ru"],
        birthDate=["1966-05-02"],
    )
    result = score_pair(q, c)
    ex = result.explanations
    assert set(ex) == {"name_match", "country_mismatch", "dob_year_disjoint"}
    expected = ex["name_match"].score - 0.2 - 0.15
    assert result.score == pytest.approx(expected)
    # every part of the score is there to recompute it
    assert result.score == pytest.approx(sum(f.score * f.weight for f in ex.values()))


def test_birth_day_disjoint_when_the_year_agrees() -> None:
    q = query_party("q", "Aleksandr Zakharov", "Person", birth_date="1966-05-03")
    c = listed(schema=["Person"], name=["Aleksandr Zakharov"], birthDate=["1966-05-02"])
    assert "dob_day_disjoint" in score_pair(q, c).explanations


def test_weak_alias_counts_only_when_written_the_same() -> None:
    c = listed(
        name=["Limited Liability Company Center for Special Technologies"], weakAlias=["CST"]
    )
    same = score_pair(query_party("q", "CST", "Company"), c)
    assert same.explanations["weak_alias_match"].score == 1.0
    assert same.score == pytest.approx(WEIGHTS["weak_alias_match"])
    near = score_pair(query_party("q", "CSR", "Company"), c)
    assert "weak_alias_match" not in near.explanations


def test_a_person_is_never_a_company() -> None:
    q = query_party("q", "Zala Aero", "Person")
    c = listed(name=["Zala Aero"])
    assert score_pair(q, c).score == 0.0
    # an unknown party (LegalEntity) may be either
    assert score_pair(query_party("q", "Zala Aero"), c).score == 1.0


def test_org_form_mismatch_is_a_small_qualifier() -> None:
    q = query_party("q", "Arsenal AD", "Company")
    c = listed(name=["Arsenal EOOD"])
    result = score_pair(q, c)
    assert result.explanations["org_form_mismatch"].weight == WEIGHTS["org_form_mismatch"]
    assert result.score == pytest.approx(0.95)


def test_explanations_have_yentes_shape() -> None:
    q = query_party("q", "Krusik a.d. Valjevo", "Company")
    c = listed(name=["Krušik AD"])
    feat = score_pair(q, c).explanations["name_match"].to_dict()
    assert set(feat) == {"score", "detail", "query", "candidate", "weight"}
    assert feat["query"] == "Krusik a.d. Valjevo"
    assert feat["candidate"] == "Krušik AD"
    assert "krusik=krusik" in feat["detail"]
