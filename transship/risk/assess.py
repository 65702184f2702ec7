"""The criterion-7 diversion-risk assessment of a licence request (contract H5 -> H6).

EU Common Position 2008/944/CFSP criterion 7 and Arms Trade Treaty article 11 ask the
licensing officer to assess the risk that the goods are diverted. This module weighs what
transship can see -- the certificate's findings, party screening, the consignee's and
destination's hub and route evidence, their re-export record, prior diversion claims about
the parties and countries (graded by the claims stage), treaty membership and governance
indicators -- into a score in [0, 1] and a level, each indicator with its value,
weight, contribution and evidence, and says what was NOT checked.

It reads only the store's fact tables and the reference tables shipped in
``transship/data``; never a simulator's truth files or parameters.

Public functions (the contract ``transship.evaluate`` uses):

* :func:`assess_licence` ``(store, licence_id) -> Assessment``
* :func:`assess_all` ``(store) -> list[Assessment]`` (every licence request in the store)
* :func:`assess_certificate_file` ``(path, store) -> Assessment``

and :func:`assess_licence_file`, :func:`score` (the combination rule, property-tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from transship.exc import NotFound
from transship.risk.certificates import LICENCE_GIVEN, check_one, step_checked
from transship.risk.config import Weights, default_weights
from transship.risk.context import (
    DEFAULT_PRODUCT,
    governance_indicator,
    hub_indicator,
    reexport_indicator,
    route_indicator,
    treaty_indicator,
)
from transship.risk.crosscheck import StoreIndex, index_store, plausibility_findings
from transship.risk.documents import read_certificates, read_licences
from transship.risk.holdings import SystemRow, system_rows
from transship.risk.model import LEVELS, Assessment, CertificateCheck, Finding, Indicator
from transship.risk.prior_claims import prior_claims_indicator
from transship.risk.screening import screen_parties
from transship.risk.size import request_size_indicator
from transship.store import Store

#: Which indicator a finding feeds, by the start of its code (first match wins).
_ROUTING: tuple[tuple[str, str | None], ...] = (
    ("end_user.no_weapon_system", "end_user_plausibility"),
    ("end_user.capability_unverified", "end_user_plausibility"),
    ("end_user.quantity_beyond_use", "end_user_plausibility"),
    ("screening.", "party_screening"),
    ("licence.", "certificate_crosscheck"),
    ("shipments.", "certificate_crosscheck"),
    ("reuse.", "certificate_crosscheck"),
    ("flows.", None),  # shown as a finding; weighed by the reexport_record indicator
    ("claims.", None),  # one per prior allegation; weighed by the prior_claims indicator
    ("certificate.", "certificate_document"),
    ("", "certificate_document"),
)

#: What is never checked, whatever the data.
ALWAYS_NOT_CHECKED = (
    "the end user's stockpile management and physical security (needs an on-site visit)",
    "the exporter's own compliance record beyond the lists in the store",
)


def indicator_for(code: str) -> str | None:
    """The indicator a finding code feeds (None: shown only)."""
    for prefix, name in _ROUTING:
        if code.startswith(prefix):
            return name
    return "certificate_document"


def noisy_or(values: Sequence[float]) -> float:
    """1 - prod(1 - v): grows with every value, stays in [0, 1]."""
    rest = 1.0
    for v in values:
        rest *= 1.0 - max(0.0, min(1.0, v))
    return 1.0 - rest


def score(indicators: Sequence[Indicator]) -> float:
    """The weighted mean of the checked indicators' values (0 when none is checked).
    Monotone in each value for a fixed set of checked indicators; always in [0, 1]."""
    total = sum(i.weight for i in indicators if i.checked and i.weight > 0)
    if total <= 0:
        return 0.0
    s = sum(i.weight * max(0.0, min(1.0, i.value)) for i in indicators if i.checked) / total
    return max(0.0, min(1.0, s))


def _finish(indicators: list[Indicator]) -> float:
    total = sum(i.weight for i in indicators if i.checked and i.weight > 0)
    for i in indicators:
        i.value = max(0.0, min(1.0, i.value))
        i.contribution = i.weight * i.value / total if i.checked and total > 0 else 0.0
    return score(indicators)


def _finding_indicator(
    name: str, findings: list[Finding], weights: Weights, checked: bool, none_text: str
) -> Indicator:
    mine = [f for f in findings if indicator_for(f.code) == name]
    value = noisy_or([weights.severity_values[f.severity] for f in mine])
    if mine:
        worst = sorted(mine, key=lambda f: -weights.severity_values[f.severity])
        text = f"{len(mine)} finding(s): " + "; ".join(
            f"{f.code} ({f.severity})" for f in worst[:6]
        )
    else:
        text = none_text
    evidence = list(dict.fromkeys(e for f in mine for e in f.evidence))[:40]
    return Indicator(name, value, weights.indicators[name], 0.0, text, evidence, checked)


def _as_certificate(licence: Mapping[str, Any]) -> dict[str, Any]:
    """A licence's own statements in certificate terms, for the plausibility check when no
    certificate is at hand."""
    return {
        "certificate_id": f"licence {licence.get('licence_id')}",
        "end_user_country": licence.get("end_user_country"),
        "final_destination": licence.get("destination"),
        "calibre": licence.get("calibre"),
        "goods_description": licence.get("goods_description"),
        "quantity": licence.get("quantity"),
        "issue_date": licence.get("issued_date"),
        "valid_until": licence.get("valid_until"),
        "record_id": licence.get("record_id"),
        "source": licence.get("source"),
    }


def assess_records(
    store: Store | None,
    licence: Mapping[str, Any] | None,
    certificates: list[dict[str, Any]],
    *,
    weights: Weights | None = None,
    rows: list[SystemRow] | None = None,
    index: StoreIndex | None = None,
    extra_licences: list[dict[str, Any]] | None = None,
    before_shipment: bool = False,
) -> Assessment:
    """Assess one licence request (``licence``, a store row or a row read from a file) and
    the certificates that go with it. The building block of every public function.

    ``before_shipment``: leave out the shipments citing this request's certificate or licence
    (the assessment as the officer makes it, before anything is shipped; an evaluation that
    asks which requests *led to* diversion must not read their own shipments)."""
    w = weights or default_weights()
    table = rows if rows is not None else system_rows()
    ix = index if index is not None else (index_store(store) if store is not None else None)
    findings: list[Finding] = []
    checked: list[str] = []
    not_checked: list[str] = []
    checks: list[CertificateCheck] = []
    for cert in certificates:
        c = check_one(
            cert,
            store,
            weights=w,
            rows=table,
            licences=extra_licences,
            index=ix,
            before_shipment=before_shipment,
        )
        checks.append(c)
        findings += c.findings
        checked += [f"certificate {c.certificate_id}: {x}" for x in c.checked]
        not_checked += [f"certificate {c.certificate_id}: {x}" for x in c.not_checked]
    plausibility_ran = bool(certificates) and not any(
        "end-user plausibility:" in x for c in checks for x in c.not_checked
    )
    if not certificates:
        cid = licence.get("certificate_id") if licence else None
        findings.append(
            Finding(
                "certificate.absent",
                "high",
                f"the end-user certificate {cid} named by the licence is not in the store"
                if cid
                else "no end-user certificate goes with this licence request: the Common "
                "Position expects a thoroughly checked one",
                [str(licence["record_id"])] if licence and licence.get("record_id") else [],
                str(cid or ""),
            )
        )
        if licence is not None:
            as_cert = _as_certificate(licence)
            found, missing = plausibility_findings(store, as_cert, [], w, table, ix)
            findings += found
            not_checked += missing
            plausibility_ran = not any("end-user plausibility:" in x for x in missing)
            if ran := step_checked(
                "the licence's end user against the weapon-system table", found, missing
            ):
                checked.append(ran)
    parties: list[Mapping[str, Any]] = ([licence] if licence else []) + list(certificates)
    screening = screen_parties(store, parties, w)
    findings += screening.findings
    if screening.ran:
        checked.append(
            "party screening of " + "; ".join(screening.screened) + f" against "
            f"{', '.join(screening.lists)}"
        )
    else:
        not_checked.append(f"party screening NOT RUN: {screening.why_not}")
    first = certificates[0] if certificates else {}
    consignee_country = (licence or {}).get("consignee_country") or first.get("consignee_country")
    destination = (
        (licence or {}).get("destination")
        or first.get("final_destination")
        or (licence or {}).get("end_user_country")
        or first.get("end_user_country")
    )
    end_user_country = (
        (licence or {}).get("end_user_country") or first.get("end_user_country") or destination
    )
    hs = str((licence or {}).get("hs_code") or first.get("hs_code") or "")[:4] or DEFAULT_PRODUCT
    countries = [c for c in (consignee_country, destination) if c]
    claims_ind, claim_findings = prior_claims_indicator(
        store,
        _claim_parties(parties),
        [
            ("consignee", consignee_country),
            ("end user", end_user_country),
            ("destination", destination),
        ],
        w,
        ix,
    )
    findings += claim_findings
    if claims_ind.checked:
        checked.append(
            "prior diversion claims in the store (claims stage grades) about the parties "
            "and their countries"
        )
    indicators = [
        _finding_indicator(
            "certificate_document",
            findings,
            w,
            True,
            "every essential element is there and consistent",
        ),
        _finding_indicator(
            "certificate_crosscheck",
            findings,
            w,
            _crosschecked(store, checks, findings),
            (
                "licences and shipments in the store that refer to it agree with it"
                if store is not None
                else "the licence request given with it agrees with it (no store: shipments "
                "and reuse not checked)"
            )
            if _crosschecked(store, checks, [])
            else "no licence or shipment in the store refers to the certificate",
        ),
        _finding_indicator(
            "end_user_plausibility",
            findings,
            w,
            plausibility_ran,
            "the end user's forces are known to field a weapon for the goods",
        ),
        _finding_indicator(
            "party_screening",
            findings,
            w,
            screening.ran,
            "no party matched a list entry" if screening.ran else screening.why_not,
        ),
        hub_indicator(store, countries, hs, w.hub_years, w.indicators["consignee_hub"], ix),
        route_indicator(
            store,
            (licence or {}).get("authority_country") or first.get("exporter_country"),
            consignee_country or destination,
            hs,
            w.hub_years,
            w.indicators["consignee_route"],
            ix,
        ),
        reexport_indicator(store, countries, hs, w.indicators["reexport_record"], ix),
        treaty_indicator(end_user_country, w.indicators["treaty_commitments"]),
        governance_indicator(end_user_country, w.indicators["governance"]),
        request_size_indicator(store, licence, certificates, w, table, ix),
        claims_ind,
    ]
    if store is None or not certificates:
        not_checked.append(
            "certificate cross-checks (licences, shipments, reuse): "
            + ("no store" if store is None else "no certificate")
        )
    for ind in indicators:
        if not ind.checked and ind.code != "party_screening":  # said above
            not_checked.append(f"{ind.code}: {ind.explanation}")
    total = _finish(indicators)
    critical = any(f.severity == "critical" for f in findings)
    subject = str(
        (licence or {}).get("licence_id") or first.get("certificate_id") or "unnamed request"
    )
    simulated = bool((licence or {}).get("simulated")) or any(
        c.get("simulated") for c in certificates
    )
    return Assessment(
        subject=subject,
        score=total,
        level=w.level(total, critical),
        indicators=indicators,
        findings=findings,
        not_checked=[*not_checked, *ALWAYS_NOT_CHECKED],
        checked=checked,
        kind="licence" if licence is not None else "certificate",
        summary=_summary(licence, certificates, hs, critical, w),
        simulated=simulated,
    )


def _claim_parties(records: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The consignee, end user and broker (the exporter of a brokering licence) the papers
    name, for matching against prior claims; the exporter of an export licence is not a
    party whose record criterion 7 asks about."""
    out: list[tuple[str, str]] = []
    for rec in records:
        roles = [("consignee", "consignee"), ("end user", "end_user")]
        if rec.get("licence_type") == "brokering":
            roles.append(("broker", "exporter"))
        for role, key in roles:
            name = str(rec.get(key) or "").strip()
            if name and (role, name) not in out:
                out.append((role, name))
    return out


def _crosschecked(
    store: Store | None, checks: list[CertificateCheck], findings: list[Finding]
) -> bool:
    """Whether the store held anything to check the certificates against: a licence or a
    shipment referring to one, or a finding of the cross-checks (reuse needs neither)."""
    if not checks:
        return False
    if any(indicator_for(f.code) == "certificate_crosscheck" for f in findings):
        return True
    if store is None:  # a licence read from a file, checked against the certificate
        return any(x == LICENCE_GIVEN for c in checks for x in c.checked)
    for c in checks:
        missing = " ".join(c.not_checked)
        if "licence cross-checks:" not in missing or "shipments:" not in missing:
            return True
    return False


def _summary(
    licence: Mapping[str, Any] | None,
    certificates: list[dict[str, Any]],
    hs: str,
    critical: bool,
    w: Weights,
) -> dict[str, Any]:
    lic = dict(licence or {})
    first = certificates[0] if certificates else {}

    def pick(*keys: str) -> Any:
        for k in keys:
            for src in (lic, first):
                if src.get(k) not in (None, ""):
                    return src[k]
        return None

    return {
        "licence_id": lic.get("licence_id"),
        "certificates": [c.get("certificate_id") for c in certificates],
        "exporter": pick("exporter"),
        "consignee": pick("consignee"),
        "consignee_country": pick("consignee_country"),
        "end_user": pick("end_user"),
        "end_user_country": pick("end_user_country"),
        "destination": pick("destination", "final_destination"),
        "goods": pick("goods_description"),
        "calibre": pick("calibre"),
        "quantity": pick("quantity"),
        "unit": pick("unit"),
        "value": lic.get("value"),
        "currency": lic.get("currency"),
        "product": hs,
        "critical_finding": critical,
        "weights": w.path,
        "levels": dict(w.levels),
    }


def _certificates_for(
    store: Store, licence: Mapping[str, Any], index: StoreIndex
) -> list[dict[str, Any]]:
    cid = licence.get("certificate_id")
    found = list(index.certs_by_id.get(str(cid), [])) if cid else []
    lid = str(licence.get("licence_id") or "")
    found += [c for c in index.certs_by_licence.get(lid, []) if c not in found]
    return found


def assess_licence(
    store: Store,
    licence_id: str,
    *,
    weights: Weights | None = None,
    systems: str | Path | None = None,
    index: StoreIndex | None = None,
    rows: list[SystemRow] | None = None,
    before_shipment: bool = False,
) -> Assessment:
    """Assess the licence request ``licence_id`` in the store (NotFound when there is none),
    with the certificate it names (or that names it) and everything the store holds on it
    (``before_shipment``: without the shipments citing it, see :func:`assess_records`)."""
    ix = index if index is not None else index_store(store)
    found = ix.licences_by_id.get(licence_id)
    if not found:
        raise NotFound(f"no licence {licence_id!r} in the store")
    licence = found[-1]
    table = rows if rows is not None else system_rows(systems)
    return assess_records(
        store,
        licence,
        _certificates_for(store, licence, ix),
        weights=weights,
        rows=table,
        index=ix,
        before_shipment=before_shipment,
    )


def assess_all(
    store: Store,
    *,
    weights: Weights | None = None,
    systems: str | Path | None = None,
    before_shipment: bool = False,
) -> list[Assessment]:
    """Assess every licence request in the store (ordered by licence id); the store's
    licences, shipments and certificates are read once. ``before_shipment``: each request
    without the shipments citing it (see :func:`assess_records`)."""
    ix = index_store(store)
    table = system_rows(systems)
    return [
        assess_licence(
            store, lid, weights=weights, index=ix, rows=table, before_shipment=before_shipment
        )
        for lid in sorted(ix.licences_by_id)
    ]


def assess_certificate_file(
    path: str | Path,
    store: Store | None,
    *,
    weights: Weights | None = None,
    systems: str | Path | None = None,
) -> Assessment:
    """Assess the certificate(s) in a file against the store, without storing them (a file
    with several certificates is assessed as one request: they go together)."""
    certs = read_certificates(path)
    ix = index_store(store) if store is not None else None
    licence: dict[str, Any] | None = None
    lid = certs[0].get("licence_id")
    if ix is not None and lid and ix.licences_by_id.get(str(lid)):
        licence = ix.licences_by_id[str(lid)][-1]
    return assess_records(
        store, licence, certs, weights=weights, rows=system_rows(systems), index=ix
    )


def assess_licence_file(
    path: str | Path,
    store: Store | None,
    *,
    certificates: Sequence[str | Path] = (),
    weights: Weights | None = None,
    systems: str | Path | None = None,
) -> list[Assessment]:
    """Assess each licence request in a licence file, with its certificate from
    ``certificates`` files or the store; nothing is stored."""
    licences = read_licences(path)
    certs = [c for p in certificates for c in read_certificates(p)]
    ix = index_store(store) if store is not None else None
    table = system_rows(systems)
    out = []
    for lic in licences:
        mine = [
            c
            for c in certs
            if c.get("certificate_id") == lic.get("certificate_id")
            or (c.get("licence_id") and c.get("licence_id") == lic.get("licence_id"))
        ]
        if not mine and ix is not None and lic.get("certificate_id"):
            mine = list(ix.certs_by_id.get(str(lic["certificate_id"]), []))
        out.append(
            assess_records(
                store, lic, mine, weights=weights, rows=table, index=ix, extra_licences=licences
            )
        )
    return out


__all__ = [
    "ALWAYS_NOT_CHECKED",
    "LEVELS",
    "Assessment",
    "Finding",
    "Indicator",
    "assess_all",
    "assess_certificate_file",
    "assess_licence",
    "assess_licence_file",
    "assess_records",
    "indicator_for",
    "noisy_or",
    "score",
]
