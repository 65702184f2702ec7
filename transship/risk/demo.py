"""The risk stage's part of ``transship demo``: one licence request from the Serbia case,
assessed against the demo store, and why it scores as it does.

The request is the pattern the seed report alleges (Serbian 122 mm Grad-type rockets, an
end-user certificate naming the Kenyan armed forces, an intermediary consignee in a NATO
state); its papers are ILLUSTRATIVE (fictional companies, numbers of our choosing), and the
store it is checked against holds SIMULATED statistics, customs records and certificates:
both are labelled so in what the section prints. The assessment reads the store only, never
the simulation's truth files or parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transship.risk.assess import assess_all, assess_records
from transship.risk.model import LEVELS, Assessment
from transship.risk.note import render_html
from transship.store import Store

#: The sample request, in store terms (normalised codes): see the module docstring.
SAMPLE_LICENCE: dict[str, Any] = {
    "licence_id": "DEMO-RS-2024-0122",
    "authority_country": "rs",
    "licence_type": "export",
    "status": "issued",
    "exporter": "Demo Rockets a.d. (fictional)",
    "consignee": "Demo Defence Supplies Ltd (fictional)",
    "consignee_country": "bg",
    "end_user": "Kenya Defence Forces",
    "end_user_country": "ke",
    "destination": "ke",
    "ml_category": "ML4",
    "hs_code": "930690",
    "goods_description": "122 mm rockets (Grad type), HE",
    "calibre": "122 mm",
    "quantity": 40000.0,
    "unit": "pieces",
    "value": 48000000.0,
    "currency": "EUR",
    "issued_date": "2024-02-01",
    "valid_until": "2025-02-01",
    "certificate_id": "DEMO-KE-MOD-2024-0122",
    "source": "transship/risk/demo.py (illustrative request)",
}
SAMPLE_CERTIFICATE: dict[str, Any] = {
    "certificate_id": "DEMO-KE-MOD-2024-0122",
    "exporter": "Demo Rockets a.d. (fictional)",
    "exporter_country": "rs",
    "consignee": "Demo Defence Supplies Ltd (fictional)",
    "consignee_country": "bg",
    "end_user": "Kenya Defence Forces",
    "end_user_country": "ke",
    "final_destination": "ke",
    "goods_description": "122 mm rockets (Grad type), HE",
    "hs_code": "930690",
    "ml_category": "ML4",
    "calibre": "122 mm",
    "quantity": 40000.0,
    "unit": "pieces",
    "end_use": "armed forces use",
    "non_reexport_clause": True,
    "issuing_authority": "Ministry of Defence",
    "signatory": "Brig. C. Example, Director Logistics",
    "issue_date": "2024-01-15",
    "valid_until": "2025-01-15",
    "delivery_verification": None,
    "licence_id": "DEMO-RS-2024-0122",
    "source": "transship/risk/demo.py (illustrative certificate)",
}


def sample_assessment(store: Store | None) -> Assessment:
    """The sample request assessed against ``store`` (nothing is stored)."""
    return assess_records(store, dict(SAMPLE_LICENCE), [dict(SAMPLE_CERTIFICATE)])


def _why(a: Assessment) -> list[str]:
    lines = []
    for i in sorted(a.indicators, key=lambda i: -i.contribution):
        if i.checked:
            lines.append(
                f"  {i.code}: {i.value:.2f} x weight {i.weight:.2f} = {i.contribution:.3f} of the "
                f"score. {i.explanation}"
            )
        else:
            lines.append(f"  {i.code}: not checked ({i.explanation})")
    return lines


def demo_section(store: Store, out_dir: Path) -> dict[str, Any]:
    """``{"title", "lines"}`` for ``transship demo``; writes ``risk_assessment.html`` in
    ``out_dir`` (the sample request's file note as a page)."""
    a = sample_assessment(store)
    lines = [
        "Licence request (ILLUSTRATIVE papers, fictional companies; the pattern the seed report "
        "alleges): 40,000 122 mm Grad-type rockets from Serbia, certificate naming the Kenya "
        "Defence Forces, consignee in Bulgaria. Checked against the demo store (SIMULATED "
        "statistics, customs records and certificates).",
        f"Result: {a.level} (score {a.score:.2f} of 1). Why:",
        *_why(a),
        "Findings:",
        *(
            f"  [{f.severity}] {f.code}: {f.explanation}"
            for f in sorted(a.findings, key=lambda f: f.code)
        ),
        "Not checked: "
        + "; ".join(x for x in a.not_checked if not x.startswith("certificate DEMO")),
    ]
    try:
        every = assess_all(store)
    except Exception as exc:  # noqa: BLE001 - the demo must say, never stop, on a store it cannot read
        lines.append(f"The store's licence requests could not be assessed: {exc}")
        every = []
    if every:
        counts = {lv: sum(1 for x in every if x.level == lv) for lv in LEVELS}
        lines.append(
            f"The store's {len(every)} licence requests [SIMULATED]: "
            + ", ".join(f"{n} {lv}" for lv, n in counts.items())
            + " (how well this ranking finds the diverted ones: transship evaluate, "
            "docs/validation.md)"
        )
    page = out_dir / "risk_assessment.html"
    try:
        page.write_text(render_html([a], "Sample licence request (illustrative)"), encoding="utf-8")
        lines.append(f"File note as a page: {page}")
    except OSError as exc:
        lines.append(f"could not write {page}: {exc.strerror}")
    return {"title": "Diversion-risk assessment (criterion 7, ATT art. 11)", "lines": lines}


__all__ = ["SAMPLE_CERTIFICATE", "SAMPLE_LICENCE", "demo_section", "sample_assessment"]
