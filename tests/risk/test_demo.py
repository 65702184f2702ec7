"""The risk stage's demo section."""

from __future__ import annotations

from pathlib import Path

from transship.ingest.pipeline import ingest_paths
from transship.risk.demo import demo_section, sample_assessment
from transship.store import Store


def test_demo_section_explains_the_sample_request(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    ingest_paths(store, [fixtures / "licences_simulated.csv"])
    out = demo_section(store, tmp_path)
    assert set(out) == {"title", "lines"}
    text = "\n".join(out["lines"])
    assert "ILLUSTRATIVE" in text and "SIMULATED" in text
    assert "end_user.capability_unverified" in text
    assert "Why:" in text and "x weight" in text
    assert (tmp_path / "risk_assessment.html").read_text(encoding="utf-8").count("<h2>") == 1


def test_sample_assessment_without_a_store() -> None:
    a = sample_assessment(None)
    assert a.subject == "DEMO-RS-2024-0122"
    assert {f.code for f in a.findings} >= {"end_user.capability_unverified"}


def test_demo_section_weighs_the_case_claims(store: Store, tmp_path: Path) -> None:
    # the demo store holds the Serbia case's claims: the sample's Bulgarian consignee and
    # Kenyan end user meet the allegations naming BG (SR02, SR10, SR21) and KE (SR12)
    case_claims = Path(__file__).resolve().parents[2] / "cases" / "serbia-2025" / "claims.jsonl"
    ingest_paths(store, [case_claims])
    a = sample_assessment(store)
    prior = {i.code: i for i in a.indicators}["prior_claims"]
    assert prior.checked and prior.value > 0
    assert {"SR02", "SR10", "SR12", "SR21"} <= {
        f.subject for f in a.findings if f.code == "claims.prior_allegation"
    }
    text = "\n".join(demo_section(store, tmp_path)["lines"])
    assert "prior_claims:" in text and "claim SR12 B4" in text
