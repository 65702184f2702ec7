"""Parties named in claims as party records (issue 13, point 5: "later claims"): the Serbia
case's claims file and a document read by the claims stage, resolved beside the case's
parties; ``parties show`` lists the claims that name a firm, with claim, span and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from transship.ingest.pipeline import ingest_file
from transship.resolve.actors import resolve_parties
from transship.resolve.claim_parties import ROLE, claim_mentions, looks_like_party
from transship.resolve.party_view import show_party
from transship.store import Store, connect

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"


def _span(party_id: str) -> tuple[int, int]:
    a, b = party_id.rsplit(":", 1)[1].split("-")
    return int(a), int(b)


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("claim-parties")
    doc = folder / "report.md"
    doc.write_text(
        "# Serbian shells\n\nKrušik exported EUR 5 million of mortar rounds to Poland in "
        "2023, according to Reuters.\n",
        encoding="utf-8",
    )
    s = connect(folder / "store.duckdb")
    try:
        ingest_file(s, CASE / "parties.ftm.jsonl", dataset="case")
        ingest_file(s, CASE / "claims.jsonl")
        ingest_file(s, doc)
        resolve_parties(s)
        yield s
    finally:
        s.close()


def test_krusik_lists_the_claims_that_name_it(resolved: Store) -> None:
    view = show_party(resolved, "Krušik")
    assert view.caption == "Krušik"
    named = view.records_by_role[ROLE]
    claims = {
        json.loads(line)["id"]: json.loads(line)["claim"]
        for line in (CASE / "claims.jsonl").read_text("utf-8").splitlines()
    }
    from_file = [r for r in named if r["source_table"] == "claims"]
    # SR01 lists seven firms, Krusik among them; SR06 is about Krusik itself
    assert sorted(r["record_id"] for r in from_file) == ["SR01", "SR06"]
    for r in from_file:
        start, end = _span(r["party_id"])
        assert claims[r["record_id"]][start:end] == r["name"] == "Krusik"
        assert r["line"] == list(claims).index(r["record_id"]) + 1  # the claim's line
        assert r["file"].endswith("claims.jsonl")
    [doc] = [r for r in named if r["source_table"] == "documents"]
    [(text,)] = resolved.fetchall("SELECT text FROM documents")
    start, end = _span(doc["party_id"])
    assert text[start:end] == "Krušik" and ":clm:" in doc["party_id"]
    # the case's own entity is in the same actor
    assert view.records_by_role["entity"][0]["dataset"] == "case"


def test_each_firm_of_a_list_claim_is_its_own_actor(resolved: Store) -> None:
    yi = show_party(resolved, "Yugoimport SDPR")
    assert {r["record_id"] for r in yi.records_by_role[ROLE]} >= {"SR01", "SR08"}
    pp = show_party(resolved, "Prvi Partizan")
    assert pp.actor_id != yi.actor_id
    assert "SR01" in {r["record_id"] for r in pp.records_by_role[ROLE]}


def test_credited_sources_dates_and_places_are_not_parties() -> None:
    text = (
        "Russia's foreign intelligence service (SVR) alleged that two firms (Krusik, Sloboda) "
        "delivered shells to Ukraine in 2024, according to Sputnik."
    )
    names = [m[2] for m in claim_mentions(text)]
    assert "Krusik" in names and "Sloboda" in names
    assert not {"Sputnik", "Ukraine", "Russia", "2024"} & set(names)


@pytest.mark.parametrize("name", ["Soviet-era", "NATO-standard", "Third-party", "Bulgaria-Ukraine"])
def test_hyphenated_compounds_the_finder_returns_are_not_parties(name: str) -> None:
    """The claims stage's capitalised-name finder returns these from the Serbia case and the
    press claims; unknown to the store, they are not party records."""
    assert not looks_like_party(name, None)


@pytest.mark.parametrize("name", ["SVR", "Zenitprom", "National Security Council", "Former Kintex"])
def test_single_words_acronyms_and_longer_names_are_kept(name: str) -> None:
    assert looks_like_party(name, None)


def test_a_name_the_store_knows_is_kept_whatever_its_form() -> None:
    assert looks_like_party("Soviet-era", "party-1")


def test_a_mention_leaves_the_sentence_punctuation_behind(resolved: Store) -> None:
    """A name the store knows is matched up to the sentence's full stop; the record's name
    and span stop before it."""
    from transship.claims.entities import PartyIndex

    text = "Shells were sold to the Polish Government Strategic Reserves Agency."
    [(start, end, name, linked)] = claim_mentions(text, PartyIndex.from_store(resolved))
    assert linked and name == "Polish Government Strategic Reserves Agency" == text[start:end]
