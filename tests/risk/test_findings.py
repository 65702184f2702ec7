"""Every finding code of the certificate checks is raised by the case it names, and only by
it: a clean certificate against a clean licence and clean shipments raises nothing, and each
test changes one thing (issue 14, point 1: each finding a code, a severity, an explanation
and the rows behind it)."""

from __future__ import annotations

from typing import Any

import pytest

from transship.risk.certificates import check_one, step_checked
from transship.risk.crosscheck import Context, licence_findings, shipment_findings
from transship.risk.elements import element_findings
from transship.risk.model import Finding

EV = ["c:1"]


def cert(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": "c:1",
        "certificate_id": "EUC-1",
        "exporter": "Exporter d.o.o.",
        "exporter_country": "rs",
        "consignee": "Ministry of Defence of the Czech Republic",
        "consignee_country": "cz",
        "end_user": "Czech armed forces",
        "end_user_country": "cz",
        "final_destination": "cz",
        "goods_description": "155 mm artillery shell",
        "calibre": "155 mm",
        "quantity": 1000.0,
        "unit": "pieces",
        "end_use": "own use by the armed forces",
        "non_reexport_clause": True,
        "issuing_authority": "Ministry of Defence",
        "signatory": "A. Officer, Director of Logistics",
        "issue_date": "2023-01-10",
        "valid_until": "2024-01-10",
        "delivery_verification": "delivery verification certificate required",
        "licence_id": "L-1",
    }
    base.update(over)
    return base


def lic(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": "l:1",
        "licence_id": "L-1",
        "certificate_id": "EUC-1",
        "exporter": "Exporter d.o.o.",
        "consignee": "Ministry of Defence of the Czech Republic",
        "end_user": "Czech armed forces",
        "destination": "cz",
        "end_user_country": "cz",
        "quantity": 1000.0,
        "unit": "pieces",
        "value": 1_000_000.0,
        "currency": "EUR",
        "issued_date": "2023-02-01",
        "valid_until": "2024-02-01",
    }
    base.update(over)
    return base


def ship(n: int, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": f"s:{n}",
        "shipment_id": f"S{n}",
        "certificate_id": "EUC-1",
        "licence_id": "L-1",
        "date": "2023-03-01",
        "quantity": 400.0,
        "unit": "pieces",
        "value": 400_000.0,
        "currency": "EUR",
        "sender_country": "rs",
        "departure_country": "rs",
        "destination_country": "cz",
    }
    base.update(over)
    return base


def codes(found: list[Finding]) -> set[str]:
    return {f.code for f in found}


def store_findings(c: dict[str, Any], licences: list[dict[str, Any]], ships: list[dict[str, Any]]):
    ctx = Context(licences=licences, shipments=ships)
    return licence_findings(c, ctx, EV)[0] + shipment_findings(c, ctx, EV)[0]


def test_the_clean_papers_raise_nothing() -> None:
    assert element_findings(cert(), EV) == []
    assert store_findings(cert(), [lic()], [ship(1), ship(2)]) == []


@pytest.mark.parametrize(
    ("over", "code", "severity"),
    [
        ({"non_reexport_clause": False}, "clause.refused", "high"),
        ({"signatory": "Petar Petrović"}, "signatory.no_position", "low"),
        ({"delivery_verification": "none"}, "delivery_verification.none", "low"),
        ({"end_use": "resale to third parties"}, "end_use.commercial", "high"),
        ({"end_user": "Balkan Trading Ltd"}, "end_user.company", "medium"),
        (
            {"final_destination": "sk", "consignee_country": "sk"},
            "destination.inconsistent",
            "medium",
        ),
        ({"consignee_country": "bg"}, "consignee.intermediate", "low"),
        ({"valid_until": "2022-12-31"}, "dates.order", "high"),
        ({"quantity": 0.0}, "missing.quantity", "high"),
    ],
)
def test_each_consistency_finding(over: dict[str, Any], code: str, severity: str) -> None:
    found = element_findings(cert(**over), EV)
    assert codes(found) == {code}
    (f,) = found
    assert f.severity == severity and f.evidence == EV and f.subject == "EUC-1"
    assert len(f.explanation) > 30  # a sentence, not a code


def test_an_undertaking_is_not_an_end_use() -> None:
    """ "No re-export" in the end use is the undertaking, not a commercial use."""
    assert element_findings(cert(end_use="own use; no re-export without consent"), EV) == []


@pytest.mark.parametrize(
    ("licence", "ships", "code", "severity"),
    [
        (lic(consignee="Another Company s.r.o."), [], "licence.parties_differ", "medium"),
        (lic(destination="sk", end_user_country="sk"), [], "licence.countries_differ", "high"),
        (lic(quantity=1500.0), [], "licence.quantity_over_certificate", "high"),
        (lic(issued_date="2022-12-01"), [], "licence.before_certificate", "medium"),
        (lic(issued_date="2024-03-01"), [], "licence.after_expiry", "medium"),
        (
            lic(quantity=600.0),
            [ship(1), ship(2)],
            "licence.shipped_over_quantity",
            "high",
        ),
        (lic(value=500_000.0), [ship(1), ship(2)], "licence.shipped_over_value", "high"),
    ],
)
def test_each_licence_finding(
    licence: dict[str, Any], ships: list[dict[str, Any]], code: str, severity: str
) -> None:
    found = store_findings(cert(), [licence], ships)
    assert codes(found) == {code}, [f.explanation for f in found]
    (f,) = found
    assert f.severity == severity and "l:1" in f.evidence
    assert set(f.evidence) >= {s["record_id"] for s in ships}


def test_shipped_outside_the_validity_of_licence_and_certificate() -> None:
    late = ship(1, date="2024-06-01")
    found = store_findings(cert(), [lic()], [late])
    assert codes(found) == {"licence.shipped_outside_validity", "shipments.outside_validity"}
    assert all("s:1" in f.evidence for f in found)
    # inside the licence but before the certificate's issue date: only the certificate's
    early = ship(2, date="2023-01-05")
    found = store_findings(cert(), [lic(issued_date="2023-01-01")], [early])
    assert "shipments.outside_validity" in codes(found)
    assert "licence.shipped_outside_validity" not in codes(found)


def test_shipments_beyond_the_certificate_and_elsewhere() -> None:
    found = store_findings(cert(), [], [ship(1, quantity=800.0), ship(2, quantity=800.0)])
    assert codes(found) == {"shipments.over_certified"}
    found = store_findings(cert(), [], [ship(1), ship(2, destination_country="ua")])
    (f,) = found
    assert f.code == "shipments.other_destination" and f.severity == "critical"
    assert f.evidence == [*EV, "s:2"] and "UA" in f.explanation


def test_a_step_is_never_both_checked_and_not_checked() -> None:
    """Without a calibre the plausibility step cannot run: it is not listed as checked."""
    alone = check_one(cert(calibre=None))
    assert not any("weapon systems" in x for x in alone.checked)
    assert any("end-user plausibility" in x for x in alone.not_checked)
    # with a calibre the table is read, the fleet size (no store) is not: "in part"
    part = check_one(cert())
    assert any(x.startswith("end user's weapon systems") and "in part" in x for x in part.checked)
    # a single certificate has nothing to be reused with
    assert not any("reuse" in x for x in part.checked)
    assert step_checked("x", [], ["shipments: none cite it"]) is None
    assert step_checked("x", [], []) == "x"
    assert step_checked("x", [], ["end-user quantity: no store"]) == "x (in part: see not checked)"
