"""Real diversion patterns (tests/fixtures/risk/README.md) raise the findings they must."""

from __future__ import annotations

from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.ingest.pipeline import ingest_paths
from transship.risk.assess import assess_certificate_file, assess_licence, assess_licence_file
from transship.risk.certificates import check_certificates
from transship.risk.model import CertificateCheck
from transship.store import Store


def codes(check: CertificateCheck) -> set[str]:
    return {f.code for f in check.findings}


@pytest.fixture
def risk(fixtures: Path) -> Path:
    return fixtures / "risk"


def test_every_case_file_names_its_public_source(risk: Path) -> None:
    for path in sorted(risk.glob("*.csv")):
        first = path.read_bytes().splitlines()[0]
        assert first.startswith(b"#"), path
        if not path.name.startswith("bad_"):
            assert b"SOURCE" in first or b"ILLUSTRATIVE" in first, path
    readme = (risk / "README.md").read_text(encoding="utf-8")
    for source in ("Making a Killing", "Conflict Armament Research", "S/2000/203", "SIPRI"):
        assert source in readme


def test_gulf_soviet_calibre_end_user_fields_no_weapon(risk: Path) -> None:
    # BIRN/OCCRP 2016: 82 mm mortar bombs and 7.62x39 mm cartridges certified for Saudi
    # forces, which field no weapon known to fire either.
    checks = check_certificates(risk / "gulf_soviet_calibre_certificates.csv")
    assert [c.certificate_id for c in checks] == ["SA-MOD-2015-0417", "SA-MOD-2015-0418"]
    for c in checks:
        assert "end_user.no_weapon_system" in codes(c), c.to_dict()
        finding = next(f for f in c.findings if f.code == "end_user.no_weapon_system")
        assert finding.severity == "high"
        assert any(e.startswith("weapon_systems.csv:") for e in finding.evidence)
        assert "gulf_soviet_calibre_certificates.csv:" in finding.evidence[0]


def test_gulf_case_in_the_store_shows_the_diversion(store: Store, risk: Path) -> None:
    results = ingest_paths(
        store,
        [
            risk / "gulf_soviet_calibre_certificates.csv",
            risk / "gulf_soviet_calibre_licences.csv",
            risk / "gulf_soviet_calibre_shipments.csv",
        ],
    )
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    a = assess_licence(store, "RS-2015-0311")
    found = {f.code: f for f in a.findings}
    assert found["shipments.other_destination"].severity == "critical"
    assert "JO" in found["shipments.other_destination"].explanation
    assert "licence.shipped_over_quantity" in found  # 60,000 shipped on 50,000 licensed
    assert "shipments.over_certified" in found
    assert "end_user.no_weapon_system" in found
    assert a.level == "refuse-indicated"
    ship_ids = {r["record_id"] for r in store.query("SELECT record_id FROM shipments").to_pylist()}
    assert ship_ids & set(found["shipments.other_destination"].evidence)
    # the other licence of the case was not shipped: no shipment finding, still implausible
    b = assess_licence(store, "BG-2015-0907")
    assert "end_user.no_weapon_system" in {f.code for f in b.findings}
    assert not any(f.code.startswith("shipments.") for f in b.findings)
    assert b.score < a.score
    # as the officer saw the request, before anything was shipped: only the papers speak
    early = assess_licence(store, "RS-2015-0311", before_shipment=True)
    early_codes = {f.code for f in early.findings}
    assert not any(c.startswith(("shipments.", "licence.shipped")) for c in early_codes)
    assert "end_user.no_weapon_system" in early_codes
    assert any("before any shipment" in x for x in early.not_checked)
    assert early.score < a.score


def test_togolese_certificate_number_reused(risk: Path) -> None:
    # UN S/2000/203: one Togolese certificate number on several deals.
    checks = check_certificates(risk / "togo_reuse_certificates.csv")
    reused = [c for c in checks if c.certificate_id == "TG-EMG-1997-031"]
    assert len(reused) == 2
    for c in reused:
        assert "reuse.same_number" in codes(c)
    other = next(c for c in checks if c.certificate_id == "TG-EMG-1997-044")
    assert "reuse.near_identical" in codes(other)
    assert "reuse.same_number" not in codes(other)


def test_togolese_reuse_across_datasets_in_the_store(
    store: Store, risk: Path, tmp_path: Path
) -> None:
    # The same number from two licensing authorities' files (two datasets: a later file of
    # one dataset would supersede the earlier one).
    lines = (risk / "togo_reuse_certificates.csv").read_text(encoding="utf-8").splitlines()
    bg, ua = tmp_path / "bg.csv", tmp_path / "ua.csv"
    bg.write_text("\n".join([lines[0], lines[1], lines[2], lines[4]]) + "\n", "utf-8")
    ua.write_text("\n".join([lines[0], lines[1], lines[3]]) + "\n", "utf-8")
    ingest_paths(store, [bg], dataset="certificates-bg")
    ingest_paths(store, [ua], dataset="certificates-ua")
    checks = check_certificates(store)
    assert len(checks) == 3
    for c in checks:
        if c.certificate_id == "TG-EMG-1997-031":
            assert "reuse.same_number" in codes(c)
            f = next(f for f in c.findings if f.code == "reuse.same_number")
            assert len(f.evidence) == 2 and all(":" in e for e in f.evidence)


def test_kenyan_122mm_rockets_rest_on_an_assumption(risk: Path) -> None:
    (check,) = check_certificates(risk / "kenya_122mm_certificate.csv")
    found = {f.code: f for f in check.findings}
    assert "end_user.capability_unverified" in found
    assert "end_user.no_weapon_system" not in found
    assert "assumption" in found["end_user.capability_unverified"].explanation
    assert "consignee.intermediate" in found  # consignee in BG, end user in KE


def test_kenyan_licence_request_assessed_from_files(risk: Path) -> None:
    (a,) = assess_licence_file(
        risk / "kenya_122mm_licence.csv",
        None,
        certificates=[risk / "kenya_122mm_certificate.csv"],
    )
    assert a.subject == "RS-2024-0777"
    assert a.summary["end_user_country"] == "ke"
    by = {i.code: i for i in a.indicators}
    assert by["end_user_plausibility"].checked and by["end_user_plausibility"].value > 0
    assert by["governance"].checked  # Kenya is in the shipped WGI table
    assert not by["party_screening"].checked
    assert any("party screening NOT RUN" in x for x in a.not_checked)
    assert not by["consignee_hub"].checked  # no store


def test_the_licence_file_is_checked_against_the_certificate_without_a_store(
    risk: Path, tmp_path: Path
) -> None:
    """Papers given together are cross-checked even without a store: the licence against
    the certificate it names."""
    kwargs = {"certificates": [risk / "kenya_122mm_certificate.csv"]}
    (same,) = assess_licence_file(risk / "kenya_122mm_licence.csv", None, **kwargs)
    cross = {i.code: i for i in same.indicators}["certificate_crosscheck"]
    assert cross.checked and cross.value == 0.0 and "given with it" in cross.explanation
    text = (risk / "kenya_122mm_licence.csv").read_text(encoding="utf-8")
    more = tmp_path / "licence.csv"
    more.write_text(text.replace(",40000,pieces,", ",60000,pieces,"), encoding="utf-8")
    (a,) = assess_licence_file(more, None, **kwargs)
    found = {f.code: f for f in a.findings}
    assert found["licence.quantity_over_certificate"].severity == "high"
    assert any(e.startswith(str(more)) for e in found["licence.quantity_over_certificate"].evidence)
    assert {i.code: i for i in a.indicators}["certificate_crosscheck"].value > 0
    assert a.score > same.score


def test_certificate_file_assessment_needs_no_store(risk: Path) -> None:
    a = assess_certificate_file(risk / "kenya_122mm_certificate.csv", None)
    assert a.kind == "certificate"
    assert a.subject == "KE-MOD-2024-0122"
    assert 0.0 <= a.score <= 1.0


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("bad_fields.csv", ["line 3, field 'end_user'", "line 4, field 'quantity'", "'perhaps'"]),
        ("bad_types.json", ["field 'quantity'", "field 'end_user'", "not of type"]),
        ("bad_encoding.csv", ["line 4", "not UTF-8"]),
    ],
)
def test_bad_papers_fail_whole_with_file_line_field_reason(
    risk: Path, store: Store, name: str, wanted: list[str]
) -> None:
    before = store.fetchall("SELECT count(*) FROM certificates")
    with pytest.raises(SourceFormatError) as info:
        check_certificates([risk / "kenya_122mm_certificate.csv", risk / name], store)
    message = info.value.message
    assert name in message
    for part in wanted:
        assert part in message, message
    assert "\n" not in message
    assert store.fetchall("SELECT count(*) FROM certificates") == before
