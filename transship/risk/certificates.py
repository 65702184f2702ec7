"""End-user certificate checks: the basic pass/fail checks, and the officer's findings.

:func:`check_certificates` (issue 14) gives, for each certificate in a store or in files,
every :class:`~transship.risk.model.Finding` -- code, severity, plain-words explanation,
the rows and sources behind it -- from :mod:`transship.risk.elements` (essential elements)
and :mod:`transship.risk.crosscheck` (licences, shipments, trade flows, reuse, the end user's
forces), and what could not be checked. The older pass/fail checks below stay for
``transship.evaluate``.

Basic checks of end-user certificates against themselves and the shipments that cite them.

An end-user certificate is the paper a licensing officer relies on; diversion schemes forge
them, reuse them past their quantity, or name an end user who could not use the goods. These
checks look only at what the documents say (the certificates, licences and customs records in
the store), so each result explains itself: which certificate, which check, passed or not,
why, and the record ids of the rows that show it.

Checks (Wassenaar best practices; EU User's Guide to Common Position 2008/944/CFSP):

* ``essential_elements`` -- exporter, consignee, end user, country of final destination,
  goods and quantity, end use, non-re-export clause, issuing authority, signatory, date of
  issue and validity must all be there;
* ``quantity_reuse`` -- shipments out of the exporter's country citing the certificate must
  not add up to more than it covers;
* ``end_user_capability`` -- the end user's country must be known to hold a weapon system
  for the calibre (``transship/data/weapon_systems.csv``, plus any holdings passed in);
* ``consignee_destination`` -- shipments citing the certificate must go to its consignee's
  or end user's country;
* ``validity`` -- shipments must leave between the date of issue and the end of validity.

``passed`` is ``None`` when a check cannot be made (no shipments cite the certificate, no
calibre, no validity date): "not checked" is never reported as a pass or a failure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from transship.exc import InvalidInput
from transship.normalise.military import calibre as canonical_calibre
from transship.normalise.military import known_operator
from transship.risk.config import Weights, default_weights
from transship.risk.crosscheck import (
    Context,
    StoreIndex,
    index_store,
    licence_findings,
    load_context,
    plausibility_findings,
    reexport_findings,
    reuse_findings,
    shipment_findings,
)
from transship.risk.documents import read_certificates
from transship.risk.elements import NOT_IN_FORMAT, element_findings
from transship.risk.holdings import SystemRow, system_rows
from transship.risk.model import CertificateCheck, Finding
from transship.store import Store

CHECKS = (
    "essential_elements",
    "quantity_reuse",
    "end_user_capability",
    "consignee_destination",
    "validity",
)

#: Fields a certificate must carry (``final_destination`` may stand in for the end user's country).
ESSENTIAL = (
    "exporter",
    "consignee",
    "consignee_country",
    "end_user",
    "end_user_country",
    "goods_description",
    "quantity",
    "end_use",
    "non_reexport_clause",
    "issuing_authority",
    "signatory",
    "issue_date",
    "valid_until",
)
#: Quantities may be rounded on customs records: allow this much over the certificate.
QUANTITY_TOLERANCE = 0.01

#: ``(country, calibre, ammunition word) -> systems held``; empty when none is known.
Holdings = Callable[[str, str, str | None], list[str]]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check of one certificate, with why and the rows that show it."""

    certificate_id: str
    check: str
    passed: bool | None
    detail: str
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def shipped_holdings(country: str, calibre: str, ammunition: str | None = None) -> list[str]:
    """Systems of ``calibre`` the country is known to operate (shipped table only)."""
    return sorted({r.weapon_system for r in known_operator(country, calibre, ammunition)})


def ammunition_word(text: str | None) -> str | None:
    """The ammunition kind a goods description names: narrows 122 mm rockets from 122 mm
    howitzer shells."""
    low = (text or "").lower()
    for word in ("rocket", "mortar", "cartridge", "howitzer", "shell"):
        if word in low:
            return word
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _day(value: Any) -> str | None:
    """ISO date prefix as text (``2023``, ``2023-05``, ``2023-05-04``), or None."""
    if _blank(value):
        return None
    return str(value).strip()[:10]


def _before(a: str, b: str) -> bool:
    """a < b comparing only the precision both dates have."""
    n = min(len(a), len(b))
    return a[:n] < b[:n]


def check_essential(cert: Mapping[str, Any], evidence: list[str]) -> CheckResult:
    missing = []
    for name in ESSENTIAL:
        value = cert.get(name)
        if name == "end_user_country" and _blank(value):
            value = cert.get("final_destination")
        if name == "non_reexport_clause":
            if value is not True:
                missing.append("non_reexport_clause (absent or not agreed)")
            continue
        if name == "quantity":
            if value is None or not float(value) > 0:
                missing.append("quantity")
            continue
        if _blank(value):
            missing.append(name)
    if missing:
        return CheckResult(
            cert["certificate_id"],
            "essential_elements",
            False,
            "missing: " + ", ".join(missing),
            evidence,
        )
    return CheckResult(
        cert["certificate_id"],
        "essential_elements",
        True,
        "all essential elements present",
        evidence,
    )


def check_reuse(
    cert: Mapping[str, Any], ships: list[Mapping[str, Any]], evidence: list[str]
) -> CheckResult:
    cid = cert["certificate_id"]
    exp_country = cert.get("exporter_country")
    out = [
        s
        for s in ships
        if exp_country is None
        or s.get("departure_country") in (None, exp_country)
        or s.get("sender_country") == exp_country
    ]
    out = [
        s
        for s in out
        if s.get("quantity") is not None
        and (not cert.get("unit") or s.get("unit") in (None, cert["unit"]))
    ]
    if not out:
        return CheckResult(
            cid,
            "quantity_reuse",
            None,
            "no shipment from the exporter's country cites it",
            evidence,
        )
    if cert.get("quantity") is None:
        return CheckResult(
            cid, "quantity_reuse", None, "the certificate states no quantity", evidence
        )
    used = sum(float(s["quantity"]) for s in out)
    allowed = float(cert["quantity"])
    ids = evidence + [str(s["record_id"]) for s in out if s.get("record_id")]
    unit = cert.get("unit") or ""
    if used > allowed * (1 + QUANTITY_TOLERANCE):
        return CheckResult(
            cid,
            "quantity_reuse",
            False,
            f"{len(out)} shipments carry {used:,.0f} {unit} against {allowed:,.0f} certified "
            f"({used / allowed:.0%})",
            ids,
        )
    return CheckResult(
        cid,
        "quantity_reuse",
        True,
        f"{len(out)} shipments, {used:,.0f} of {allowed:,.0f} {unit}",
        ids,
    )


def check_capability(
    cert: Mapping[str, Any], holdings: Holdings, evidence: list[str]
) -> CheckResult:
    cid = cert["certificate_id"]
    country = cert.get("end_user_country") or cert.get("final_destination")
    cal = cert.get("calibre")
    if _blank(cal):
        return CheckResult(
            cid, "end_user_capability", None, "no calibre on the certificate", evidence
        )
    if _blank(country):
        return CheckResult(cid, "end_user_capability", None, "no end-user country", evidence)
    try:
        wanted = canonical_calibre(str(cal))
    except InvalidInput:
        return CheckResult(
            cid, "end_user_capability", None, f"calibre {cal!r} not understood", evidence
        )
    kind = ammunition_word(cert.get("goods_description"))
    systems = holdings(str(country), wanted, kind)
    what = f"{wanted} {kind}" if kind else wanted
    if systems:
        return CheckResult(
            cid,
            "end_user_capability",
            True,
            f"{country} holds {', '.join(systems)} ({what})",
            evidence,
        )
    return CheckResult(
        cid,
        "end_user_capability",
        False,
        f"no weapon system for {what} known in {country}: "
        "the named end user could not use the goods",
        evidence,
    )


def check_destination(
    cert: Mapping[str, Any], ships: list[Mapping[str, Any]], evidence: list[str]
) -> CheckResult:
    cid = cert["certificate_id"]
    if not ships:
        return CheckResult(cid, "consignee_destination", None, "no shipment cites it", evidence)
    allowed = {
        c
        for c in (
            cert.get("consignee_country"),
            cert.get("end_user_country"),
            cert.get("final_destination"),
        )
        if c
    }
    bad = [
        s for s in ships if s.get("destination_country") and s["destination_country"] not in allowed
    ]
    if bad:
        where = sorted({str(s["destination_country"]) for s in bad})
        return CheckResult(
            cid,
            "consignee_destination",
            False,
            f"{len(bad)} of {len(ships)} shipments go to {', '.join(where)}, not the consignee's "
            f"{', '.join(sorted(allowed))}",
            evidence + [str(s["record_id"]) for s in bad if s.get("record_id")],
        )
    return CheckResult(
        cid,
        "consignee_destination",
        True,
        f"{len(ships)} shipments to {', '.join(sorted(allowed))}",
        evidence,
    )


def check_validity(
    cert: Mapping[str, Any], ships: list[Mapping[str, Any]], evidence: list[str]
) -> CheckResult:
    cid = cert["certificate_id"]
    issued, until = _day(cert.get("issue_date")), _day(cert.get("valid_until"))
    if until is None and issued is None:
        return CheckResult(cid, "validity", None, "no dates on the certificate", evidence)
    dated = [s for s in ships if _day(s.get("date"))]
    if not dated:
        return CheckResult(cid, "validity", None, "no dated shipment cites it", evidence)
    late = [s for s in dated if until is not None and _before(until, str(_day(s["date"])))]
    early = [s for s in dated if issued is not None and _before(str(_day(s["date"])), issued)]
    if late or early:
        parts = []
        if late:
            parts.append(f"{len(late)} shipped after it expired on {until}")
        if early:
            parts.append(f"{len(early)} shipped before it was issued on {issued}")
        ids = evidence + [str(s["record_id"]) for s in late + early if s.get("record_id")]
        return CheckResult(cid, "validity", False, "; ".join(parts), ids)
    return CheckResult(
        cid, "validity", True, f"{len(dated)} shipments within {issued} .. {until}", evidence
    )


def run_checks(
    certificates: Iterable[Mapping[str, Any]],
    shipments: Iterable[Mapping[str, Any]],
    holdings: Holdings | None = None,
    checks: Iterable[str] = CHECKS,
) -> list[CheckResult]:
    """Every check on every certificate (rows as dicts with store column names; a
    ``record_id`` on each row becomes evidence)."""
    wanted = list(checks)
    unknown = [c for c in wanted if c not in CHECKS]
    if unknown:
        raise InvalidInput(
            f"unknown certificate checks: {', '.join(unknown)}; known: {', '.join(CHECKS)}"
        )
    hold = holdings or shipped_holdings
    by_cert: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in shipments:
        if s.get("certificate_id"):
            by_cert[str(s["certificate_id"])].append(s)
    out: list[CheckResult] = []
    seen: set[str] = set()
    for cert in certificates:
        cid = str(cert["certificate_id"])
        if cid in seen:  # the same certificate in two files: check it once
            continue
        seen.add(cid)
        ev = [str(cert["record_id"])] if cert.get("record_id") else []
        ships = by_cert.get(cid, [])
        for check in wanted:
            if check == "essential_elements":
                out.append(check_essential(cert, ev))
            elif check == "quantity_reuse":
                out.append(check_reuse(cert, ships, ev))
            elif check == "end_user_capability":
                out.append(check_capability(cert, hold, ev))
            elif check == "consignee_destination":
                out.append(check_destination(cert, ships, ev))
            else:
                out.append(check_validity(cert, ships, ev))
    return out


def check_store_certificates(
    store: Store,
    holdings: Holdings | None = None,
    checks: Iterable[str] = CHECKS,
    dataset: str | None = None,
) -> list[CheckResult]:
    """The five basic pass/fail checks (:data:`CHECKS`) on every certificate in the store
    against the shipments citing it (what ``transship.evaluate`` scores; the findings of
    :func:`check_certificates` go further)."""
    where = " WHERE dataset = ?" if dataset else ""
    params = [dataset] if dataset else []
    certs = store.query(
        f"SELECT * FROM certificates{where} ORDER BY certificate_id, record_id", params
    ).to_pylist()
    ships = store.query(
        "SELECT record_id, shipment_id, date, certificate_id, quantity, unit, sender_country, "
        "departure_country, destination_country "
        f"FROM shipments{where} ORDER BY shipment_id, record_id",
        params,
    ).to_pylist()
    return run_checks(certs, ships, holdings, checks)


def failed(results: Iterable[CheckResult]) -> dict[str, list[CheckResult]]:
    """Certificates with at least one failed check, and those failures."""
    out: dict[str, list[CheckResult]] = defaultdict(list)
    for r in results:
        if r.passed is False:
            out[r.certificate_id].append(r)
    return dict(out)


# --- findings: the officer's checks (issue 14) -------------------------------------------


def check_one(
    cert: Mapping[str, Any],
    store: Store | None = None,
    *,
    weights: Weights | None = None,
    rows: list[SystemRow] | None = None,
    licences: list[dict[str, Any]] | None = None,
    index: StoreIndex | None = None,
    peers: Sequence[Mapping[str, Any]] = (),
    before_shipment: bool = False,
) -> CertificateCheck:
    """Every finding about one certificate (a store row or a row read from a file): its
    essential elements, and, with a store, the licences, shipments, trade flows and other
    certificates that bear on it, and the end user's forces."""
    w = weights or default_weights()
    table = rows if rows is not None else system_rows()
    cid = str(cert.get("certificate_id") or "")
    evidence = [str(cert[k]) for k in ("record_id", "source") if cert.get(k)]
    check = CertificateCheck(
        certificate_id=cid,
        source=str(cert.get("source") or cert.get("record_id") or ""),
        record={k: v for k, v in cert.items() if k not in _PROVENANCE},
        simulated=bool(cert.get("simulated")),
    )
    check.findings += element_findings(cert, evidence)
    check.checked.append("essential elements (Wassenaar best practices; EU User's Guide)")
    check.not_checked += list(NOT_IN_FORMAT)
    if store is None:
        check.not_checked.append(
            "licences, shipments, trade flows, fleet size and reuse against the store: "
            "no store given"
        )
        found, missing = plausibility_findings(None, cert, evidence, w, table)
        check.findings += found
        check.not_checked += missing
        if ran := step_checked("end user's weapon systems (weapon-system table)", found, missing):
            check.checked.append(ran)
        lic_id = cert.get("licence_id")
        given = [
            r
            for r in licences or []
            if r.get("certificate_id") == cid or (lic_id and r.get("licence_id") == lic_id)
        ]
        if given:
            found, missing = licence_findings(cert, Context(licences=given), evidence)
            check.findings += found
            check.not_checked += missing
            check.checked.append(LICENCE_GIVEN)
        if any(p is not cert for p in peers):
            ctx = Context()
            _add_peers(ctx, cert, peers)
            check.findings += reuse_findings(cert, ctx, evidence, w)[0]
            check.checked.append("reuse among the certificates checked together")
        return check
    ix = index if index is not None else index_store(store)
    ctx = load_context(store, cert, licences, ix)
    _add_peers(ctx, cert, peers)
    if before_shipment:
        ctx.shipments = []
        check.not_checked.append(
            "shipments citing it: left out (assessed as of the request, before any shipment)"
        )
    steps: list[tuple[str, tuple[list[Finding], list[str]]]] = [
        (
            "licences (parties, countries, quantity, value, dates)",
            licence_findings(cert, ctx, evidence),
        ),
        (
            "shipments citing it (quantity, destination, dates)",
            shipment_findings(cert, ctx, evidence),
        ),
        (
            "re-exports of the product by the consignee's country",
            reexport_findings(store, cert, evidence, ix),
        ),
        ("reuse (same number, near-identical text)", reuse_findings(cert, ctx, evidence, w)),
        (
            "end user's weapon systems and fleet size",
            plausibility_findings(store, cert, evidence, w, table, ix),
        ),
    ]
    for name, (found, missing) in steps:
        check.findings += found
        check.not_checked += missing
        if ran := step_checked(name, found, missing):
            check.checked.append(ran)
    return check


#: What ``checked`` says when a licence read from a file was checked against the certificate
#: without a store.
LICENCE_GIVEN = "the licence request given with it (parties, countries, quantity, dates)"

#: Not-checked reasons with which a step of :func:`check_one` says it could not run at all
#: (the early returns of :mod:`transship.risk.crosscheck`); "end-user quantity: ..." is a part.
STEP_NOT_RUN = ("licence cross-checks:", "shipments:", "re-exports:", "end-user plausibility:")


def step_checked(name: str, found: list[Finding], missing: list[str]) -> str | None:
    """What ``checked`` says of a step: its name when it ran in full, marked "in part" when
    some of it could not run, None when none of it could (then only ``not_checked`` names
    it: a step is never both checked and not checked)."""
    if missing and not found and all(m.startswith(STEP_NOT_RUN) for m in missing):
        return None
    return f"{name} (in part: see not checked)" if missing else name


_PROVENANCE = frozenset({"dataset", "source_sha256", "run_id"})


def _add_peers(ctx: Context, cert: Mapping[str, Any], peers: Sequence[Mapping[str, Any]]) -> None:
    """Certificates checked together (several files, or several records of one file) count
    for reuse as if they were in the store."""
    cid = cert.get("certificate_id")
    country = cert.get("end_user_country") or cert.get("final_destination")
    for p in peers:
        if p is cert:
            continue
        if p.get("certificate_id") == cid:
            ctx.same_number.append(dict(p))
        elif country and country in (p.get("end_user_country"), p.get("final_destination")):
            ctx.others.append(dict(p))


def _paths(source: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(source, str | Path):
        return [Path(source)]
    return [Path(p) for p in source]


def check_certificates(
    source: Store | str | Path | Sequence[str | Path],
    store: Store | None = None,
    *,
    systems: str | Path | None = None,
    weights: Weights | None = None,
    licences: list[dict[str, Any]] | None = None,
    dataset: str | None = None,
) -> list[CertificateCheck]:
    """Findings for certificates: every certificate in a store (``source`` a Store: checked
    against that store), or those in certificate files (``source`` paths: checked against
    ``store`` when given, nothing stored). Every file is read before any is checked, so a bad
    file fails the call (one line per bad record) and no result is half made. ``systems``
    adds a weapon-system file to the shipped table; ``licences`` adds licence rows read from
    files."""
    rows = system_rows(systems)
    w = weights or default_weights()
    if isinstance(source, Store):
        where = " WHERE dataset = ?" if dataset else ""
        certs = source.query(
            f"SELECT * FROM certificates{where} ORDER BY certificate_id, record_id",
            [dataset] if dataset else [],
        ).to_pylist()
        ix = index_store(source)
        return [
            check_one(c, source, weights=w, rows=rows, licences=licences, index=ix) for c in certs
        ]
    certs = [c for p in _paths(source) for c in read_certificates(p)]
    ix_or_none = index_store(store) if store is not None else None
    return [
        check_one(c, store, weights=w, rows=rows, licences=licences, index=ix_or_none, peers=certs)
        for c in certs
    ]


__all__ = [
    "CHECKS",
    "CertificateCheck",
    "CheckResult",
    "Finding",
    "Holdings",
    "ammunition_word",
    "check_certificates",
    "check_one",
    "check_store_certificates",
    "failed",
    "run_checks",
    "shipped_holdings",
    "step_checked",
]
