"""An assessment as the officer's file note: what was checked, found, on what evidence, and
what was NOT checked -- as text lines (CLI, demo) or a self-contained HTML page.

The HTML page is one file with its style inline (no script, nothing fetched), rendered by
jinja2 with autoescaping on, so names and explanations taken from the papers cannot inject
markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources

import jinja2

from transship.risk.model import SEVERITIES, Assessment, CertificateCheck, Finding

#: How many evidence references a line shows before "and N more".
SHOWN_EVIDENCE = 4


def _evidence(refs: Sequence[str]) -> str:
    if not refs:
        return "no rows (a rule on the paper itself)"
    shown = ", ".join(refs[:SHOWN_EVIDENCE])
    more = len(refs) - SHOWN_EVIDENCE
    return shown + (f" and {more} more" if more > 0 else "")


def _ordered(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.code))


def _money(value: object) -> str:
    if isinstance(value, int | float):
        return f"{value:,.0f}"
    return str(value or "?")


def request_line(a: Assessment) -> str:
    """One line naming the request: parties, destination, goods, quantity."""
    s = a.summary
    parts = [
        f"licence {s.get('licence_id')}" if s.get("licence_id") else "no licence in hand",
        "certificate " + ", ".join(str(c) for c in s.get("certificates") or [])
        if s.get("certificates")
        else "no certificate",
        f"exporter {s.get('exporter') or '?'}",
        f"consignee {s.get('consignee') or '?'} ({str(s.get('consignee_country') or '?').upper()})",
        f"end user {s.get('end_user') or '?'} ({str(s.get('end_user_country') or '?').upper()})",
        f"destination {str(s.get('destination') or '?').upper()}",
        f"goods {s.get('goods') or '?'}"
        + (
            f", {_money(s.get('quantity'))} {s.get('unit') or ''}".rstrip()
            if s.get("quantity")
            else ""
        ),
    ]
    return "; ".join(parts)


def file_note(a: Assessment) -> list[str]:
    """The assessment as the lines of a file note."""
    label = " [SIMULATED DATA]" if a.simulated else ""
    levels = a.summary.get("levels") or {}
    out = [
        f"FILE NOTE: diversion-risk assessment (EU Common Position 2008/944/CFSP criterion 7; "
        f"ATT art. 11){label}",
        f"Request: {request_line(a)}",
        f"Result: {a.level.upper()}"
        + (
            " because of a critical finding"
            if a.summary.get("critical_finding") and a.level == "refuse-indicated"
            else ""
        )
        + f", score {a.score:.2f} of 1"
        + (
            f" (medium from {levels.get('medium', 0):.2f}, high from {levels.get('high', 0):.2f}, "
            f"refuse-indicated from {levels.get('refuse-indicated', 0):.2f} or on any critical "
            "finding)"
            if levels
            else ""
        ),
        "",
        "What was checked:",
        *(f"  - {c}" for c in dict.fromkeys(a.checked)),
        "",
        f"What was found ({len(a.findings)} finding(s), most severe first):",
    ]
    if not a.findings:
        out.append("  nothing")
    for n, f in enumerate(_ordered(a.findings), start=1):
        out.append(f"  {n}. [{f.severity}] {f.code}: {f.explanation}")
        out.append(f"     evidence: {_evidence(f.evidence)}")
    out += ["", "Indicators (value x weight -> share of the score):"]
    for i in sorted(a.indicators, key=lambda i: -i.contribution):
        if i.checked:
            out.append(
                f"  {i.code}: {i.value:.2f} x {i.weight:.2f} -> {i.contribution:.3f}. "
                f"{i.explanation}"
            )
            if i.evidence:
                out.append(f"     evidence: {_evidence(i.evidence)}")
        else:
            out.append(f"  {i.code}: NOT CHECKED ({i.explanation})")
    out += ["", "What was NOT checked:", *(f"  - {x}" for x in dict.fromkeys(a.not_checked))]
    out += [
        "",
        f"Weights and thresholds: {a.summary.get('weights', 'transship/risk/weights.yaml')}. "
        'Evidence ids are store record ids (transship sql "SELECT * FROM trade_flows WHERE '
        "record_id = '...'\"; claims, licences, shipments alike), reference-table rows "
        "(file:line), list entries (ftm:id) or document spans (doc:id:start-end).",
    ]
    return out


def check_lines(c: CertificateCheck) -> list[str]:
    """One certificate's findings as lines."""
    label = " [SIMULATED]" if c.simulated else ""
    out = [f"{c.certificate_id} ({c.source}){label}: {len(c.findings)} finding(s), worst {c.worst}"]
    for f in _ordered(c.findings):
        out.append(f"  [{f.severity}] {f.code}: {f.explanation}")
        out.append(f"     evidence: {_evidence(f.evidence)}")
    for x in c.not_checked:
        out.append(f"  not checked: {x}")
    return out


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (
                resources.files("transship.risk")
                .joinpath("templates", name)
                .read_text(encoding="utf-8")
            )
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render_html(assessments: Sequence[Assessment], title: str = "Diversion-risk assessment") -> str:
    """A self-contained HTML page of one or more assessments (escaped; no external files)."""
    template = _environment().get_template("assessment.html")
    return template.render(
        title=title,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        items=[
            {
                "a": a,
                "request": request_line(a),
                "findings": _ordered(a.findings),
                "indicators": sorted(a.indicators, key=lambda i: -i.contribution),
                "checked": list(dict.fromkeys(a.checked)),
                "not_checked": list(dict.fromkeys(a.not_checked)),
            }
            for a in assessments
        ],
    )


__all__ = ["check_lines", "file_note", "render_html", "request_line"]
