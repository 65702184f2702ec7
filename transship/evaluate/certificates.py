"""Certificate checks scored two ways: as document checks, and as diversion detection.

The checks (:mod:`transship.risk.certificates`) read the certificates and the customs records
that cite them; nothing else. The same simulator that plants diversion also plants the flaws
the checks look for, so "flaws found" alone would score the checks on their own answer key.
Four rows, the first the one users should read:

* ``certificates:diverted`` -- **diverted consignments found**. Unit: a consignment (one
  movement of goods: a diverted consignment is every leg of it that reached the customs
  extract; a legitimate one is its single customs record). A consignment is flagged when a
  record of it cites a certificate that fails a check. Positives: every consignment truth
  says was diverted, whether or not its paper carries a flaw (two thirds carry none: genuine
  papers naming the first intermediary as end user). The ranking for average precision is
  the number of distinct checks failed by the certificates the consignment cites. Baselines:
  the same consignments ranked by customs value (the largest of its records, since the legs
  carry the same goods; largest first: where an officer with no checks would look first),
  and at random.
* ``certificates:flaws`` -- **planted document flaws found**. Unit: a certificate.
  Positives: certificates carrying a flaw the simulator planted where a check can see it: a
  forged paper's missing authority, signatory or end-use clause, or expired validity; a
  reused paper; an end user with no compatible weapon system; an onward customs record citing
  the paper (a third-country destination); and legitimate papers' sloppiness (missing
  signatory, late delivery, first shipment declared to a neighbour). This says whether the
  checks work as checks; it says nothing about papers with no flaw.
* ``certificates`` -- false certificates found (the original row, unchanged): flagged
  certificates against every certificate truth calls false, flawed or not.
* ``shipments`` -- customs records citing a flagged certificate against diverted records
  (the original row, unchanged; records, not consignments, so a three-leg consignment
  counts three times).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from transship.evaluate.scoring import EvalRow, ranked_row, score
from transship.evaluate.truth import certificate_records, shipment_records
from transship.store import Store

#: Certificate truth reasons that leave a trace a check can see (``misleading`` and a bare
#: ``forged`` leave none).
VISIBLE_REASONS = frozenset(
    {
        "missing_issuing_authority",
        "missing_signatory",
        "missing_end_use",
        "expired",
        "reused",
        "no_compatible_system",
    }
)
DATA = (
    "simulated certificates and customs records (data/customs) as the checks read them; "
    "truth.jsonl only labels the result"
)


def holdings(manifest: dict[str, Any]) -> Callable[[str, str, str | None], list[str]]:
    """Shipped operator table plus the case holdings the manifest carries (what an analyst
    would load from the case file)."""
    from transship.exc import InvalidInput
    from transship.normalise.military import calibre as canonical
    from transship.risk.certificates import shipped_holdings

    extra: dict[str, list[list[str | None]]] = manifest.get("holdings", {})

    def held(country: str, cal: str, kind: str | None) -> list[str]:
        names = set(shipped_holdings(country, cal, kind))
        for system, s_cal, s_kind in extra.get(country.lower(), []):
            try:
                same = canonical(str(s_cal)) == canonical(cal)
            except InvalidInput:
                same = False
            if same and (kind is None or s_kind is None or kind in str(s_kind)):
                names.add(str(system))
        return sorted(names)

    return held


def sha_list(shas: list[str]) -> str:
    """A SQL ``IN`` list of hex digests (anything not hex is dropped)."""
    ok = [s for s in shas if s and all(c in "0123456789abcdef" for c in s)]
    return "(" + ", ".join("'" + s + "'" for s in ok or ["none"]) + ")"


def certificate_stages(
    store: Store,
    cert_shas: list[str],
    ship_shas: list[str],
    truth: list[dict[str, Any]],
    manifest: dict[str, Any],
    noise: str,
) -> list[EvalRow]:
    """The four certificate rows (module docstring) for the files with these digests."""
    from transship.risk.certificates import failed, run_checks

    if not cert_shas:
        return []
    certs = store.query(
        f"SELECT * FROM certificates WHERE source_sha256 IN {sha_list(cert_shas)} "
        "ORDER BY certificate_id"
    ).to_pylist()
    ships = store.query(
        "SELECT record_id, shipment_id, date, certificate_id, quantity, unit, sender_country, "
        "departure_country, destination_country, value_usd FROM shipments "
        f"WHERE source_sha256 IN {sha_list(ship_shas)} ORDER BY shipment_id"
    ).to_pylist()
    results = run_checks(certs, ships, holdings(manifest))
    failures = failed(results)
    flagged = set(failures)
    t_certs = certificate_records(truth)
    t_ships = shipment_records(truth)
    return [
        _diverted(ships, failures, t_ships, noise),
        _flaws(certs, ships, flagged, t_certs, t_ships, noise),
        _false_certificates(flagged, t_certs, noise),
        _records(ships, flagged, t_ships, noise),
    ]


def _diverted(
    ships: list[dict[str, Any]],
    failures: dict[str, list[Any]],
    t_ships: list[dict[str, Any]],
    noise: str,
) -> EvalRow:
    consignment = {
        str(t["id"]): str(t["consignment"]) for t in t_ships if t.get("diverted")
    }  # legitimate records are their own consignment
    checks: dict[str, set[str]] = defaultdict(set)
    value: dict[str, float] = defaultdict(float)
    for s in ships:
        sid = str(s["shipment_id"])
        key = consignment.get(sid, sid)
        cid = s.get("certificate_id")
        checks[key] |= {f.check for f in failures.get(str(cid), [])} if cid else set()
        # one movement's value: the legs of a consignment carry the same goods, so the
        # largest record, not their sum (a sum would favour multi-leg, i.e. diverted, ones)
        value[key] = max(value[key], float(s.get("value_usd") or 0.0))
    ranking = {k: float(len(v)) for k, v in checks.items()}
    actual = {c for c in consignment.values() if c in checks}
    unseen = len(set(consignment.values()) - actual)
    no_flaw = sum(1 for k in actual if not checks[k])
    row = ranked_row(
        "certificates:diverted",
        noise,
        ranking,
        actual,
        1.0,
        baselines=[
            ("value", "consignments by customs value (largest record), largest first", value),
        ],
        universe=(len(ranking), len(actual)),
        note=(
            f"a consignment is flagged when a record of it cites a certificate failing a "
            f"check; {no_flaw} of {len(actual)} diverted consignments cite no failing paper"
            + (f"; {unseen} diverted consignments have no customs record" if unseen else "")
        ),
        data=DATA,
    )
    return row


def _flaws(
    certs: list[dict[str, Any]],
    ships: list[dict[str, Any]],
    flagged: set[str],
    t_certs: list[dict[str, Any]],
    t_ships: list[dict[str, Any]],
    noise: str,
) -> EvalRow:
    present = {str(c["certificate_id"]) for c in certs}
    onward = {str(t["id"]) for t in t_ships if t.get("diverted") and int(t.get("leg") or 1) > 1}
    cited_onward = {
        str(s["certificate_id"])
        for s in ships
        if s.get("certificate_id") and str(s["shipment_id"]) in onward
    }
    planted: set[str] = set()
    for t in t_certs:
        cid = str(t["id"])
        if cid not in present:
            continue
        if t.get("false"):
            if VISIBLE_REASONS & set(t.get("reasons") or []) or cid in cited_onward:
                planted.add(cid)
        elif t.get("legitimate_flaws"):
            planted.add(cid)
    legit = sum(1 for t in t_certs if not t.get("false") and t.get("legitimate_flaws"))
    row = score(
        "certificates:flaws",
        noise,
        flagged & present,
        planted,
        f"certificates with a flaw the simulator planted where a check can see it ({legit} of "
        f"them legitimate but sloppy papers); scores the checks as checks, not as diversion "
        "detection",
    )
    row.data = DATA
    row.candidates = len(present)
    return row


def _false_certificates(flagged: set[str], t_certs: list[dict[str, Any]], noise: str) -> EvalRow:
    false = {str(t["id"]) for t in t_certs if t.get("false")}
    misleading = {
        str(t["id"]) for t in t_certs if t.get("false") and t.get("reasons") == ["misleading"]
    }
    row = score(
        "certificates",
        noise,
        flagged,
        false,
        f"{len(misleading)} of {len(false)} false certificates are genuine but misleading "
        "papers with no visible flaw",
    )
    row.data = DATA
    row.candidates = len(t_certs)
    return row


def _records(
    ships: list[dict[str, Any]], flagged: set[str], t_ships: list[dict[str, Any]], noise: str
) -> EvalRow:
    diverted = {str(t["id"]) for t in t_ships if t.get("diverted")}
    cited = {str(s["shipment_id"]) for s in ships if s.get("certificate_id") in flagged}
    row = score(
        "shipments",
        noise,
        cited,
        diverted,
        "a customs record is flagged when it cites a flagged certificate",
    )
    row.data = DATA
    row.candidates = len(ships)
    return row
