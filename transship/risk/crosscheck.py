"""A certificate against the store: licences, shipments, trade flows, other certificates, and
the end user's forces.

Each function returns findings with the store ``record_id`` values they rest on, and says
what it could not check (no licence in the store, no shipment citing the certificate...), so
"nothing found" is never confused with "nothing looked at".

What the checks read from the store is ``transship.risk.store_index``; the end user's
capability (``end_user.*`` findings) is ``transship.risk.end_user``. Both are importable from
here as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

from transship.risk.config import Weights
from transship.risk.elements import before
from transship.risk.end_user import ammunition_word, plausibility_findings
from transship.risk.model import Finding
from transship.risk.store_index import (
    Context,
    StoreIndex,
    index_store,
    load_context,
    trade_rows,
)
from transship.store import Store

#: Quantities on customs records may be rounded: allow this much over.
TOLERANCE = 0.01
#: Fields compared for near-identical certificates (the wording a forger copies).
TEXT_FIELDS = (
    "exporter",
    "consignee",
    "end_user",
    "goods_description",
    "end_use",
    "issuing_authority",
    "signatory",
)


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    """Store record ids of the rows (``file:line`` for rows read from a file)."""
    return [
        str(r.get("record_id") or r.get("source"))
        for r in rows
        if r.get("record_id") or r.get("source")
    ]


def _norm(name: Any) -> str:
    return " ".join(str(name or "").lower().replace(".", " ").replace(",", " ").split())


def _same_party(a: Any, b: Any) -> bool:
    if not a or not b:
        return True  # nothing to compare
    return fuzz.token_set_ratio(_norm(a), _norm(b)) >= 85


def licence_findings(
    cert: Mapping[str, Any], ctx: Context, evidence: list[str]
) -> tuple[list[Finding], list[str]]:
    """The certificate against the licences it supports, and the shipments under them."""
    cid = str(cert.get("certificate_id") or "")
    if not ctx.licences:
        why = (
            f"licence {cert['licence_id']} is not in the store"
            if cert.get("licence_id")
            else "no licence in the store names this certificate"
        )
        return [], [f"licence cross-checks: {why}"]
    out: list[Finding] = []
    for lic in ctx.licences:
        lid = str(lic.get("licence_id"))
        ev = [*evidence, *_ids([lic])]
        if lic.get("source"):
            ev.append(str(lic["source"]))
        differ = [
            role
            for role, lf, cf in (
                ("exporter", "exporter", "exporter"),
                ("consignee", "consignee", "consignee"),
                ("end user", "end_user", "end_user"),
            )
            if not _same_party(lic.get(lf), cert.get(cf))
        ]
        if differ:
            out.append(
                Finding(
                    "licence.parties_differ",
                    "medium",
                    f"licence {lid} names a different {', '.join(differ)} than the certificate",
                    ev,
                    cid,
                )
            )
        cert_dest = cert.get("final_destination") or cert.get("end_user_country")
        lic_dest = lic.get("destination") or lic.get("end_user_country")
        if cert_dest and lic_dest and cert_dest != lic_dest:
            out.append(
                Finding(
                    "licence.countries_differ",
                    "high",
                    f"licence {lid} is for {str(lic_dest).upper()}, the certificate for "
                    f"{str(cert_dest).upper()}",
                    ev,
                    cid,
                )
            )
        lq, cq = lic.get("quantity"), cert.get("quantity")
        same_unit = not lic.get("unit") or not cert.get("unit") or lic["unit"] == cert["unit"]
        if lq is not None and cq is not None and same_unit and lq > cq * (1 + TOLERANCE):
            out.append(
                Finding(
                    "licence.quantity_over_certificate",
                    "high",
                    f"licence {lid} covers {lq:,.0f} but the certificate only {cq:,.0f}",
                    ev,
                    cid,
                )
            )
        issued, c_issued = lic.get("issued_date"), cert.get("issue_date")
        c_until = cert.get("valid_until")
        if issued and c_issued and before(str(issued)[:10], str(c_issued)[:10]):
            out.append(
                Finding(
                    "licence.before_certificate",
                    "medium",
                    f"licence {lid} was issued ({issued}) before the certificate ({c_issued})",
                    ev,
                    cid,
                )
            )
        if issued and c_until and before(str(c_until)[:10], str(issued)[:10]):
            out.append(
                Finding(
                    "licence.after_expiry",
                    "medium",
                    f"licence {lid} was issued ({issued}) after the certificate expired "
                    f"({c_until})",
                    ev,
                    cid,
                )
            )
        out += _shipped_under_licence(lic, ctx.shipments, ev, cid)
    return out, []


def _shipped_under_licence(
    lic: Mapping[str, Any], ships: list[dict[str, Any]], ev: list[str], cid: str
) -> list[Finding]:
    lid = lic.get("licence_id")
    under = [s for s in ships if s.get("licence_id") == lid]
    out: list[Finding] = []
    if not under:
        return out
    qty = [s for s in under if s.get("quantity") is not None]
    lq = lic.get("quantity")
    if lq and qty:
        total = sum(float(s["quantity"]) for s in qty)
        if total > float(lq) * (1 + TOLERANCE):
            out.append(
                Finding(
                    "licence.shipped_over_quantity",
                    "high",
                    f"{len(qty)} shipments under licence {lid} carry {total:,.0f} against "
                    f"{float(lq):,.0f} licensed ({total / float(lq):.0%})",
                    [*ev, *_ids(qty)],
                    cid,
                )
            )
    lv, cur = lic.get("value"), lic.get("currency")
    valued = [s for s in under if s.get("value") is not None and s.get("currency") == cur]
    if lv and valued:
        total = sum(float(s["value"]) for s in valued)
        if total > float(lv) * (1 + TOLERANCE):
            out.append(
                Finding(
                    "licence.shipped_over_value",
                    "high",
                    f"shipments under licence {lid} are worth {total:,.0f} {cur} against "
                    f"{float(lv):,.0f} {cur} licensed",
                    [*ev, *_ids(valued)],
                    cid,
                )
            )
    issued, until = lic.get("issued_date"), lic.get("valid_until")
    outside = [
        s
        for s in under
        if s.get("date")
        and (
            (issued and before(str(s["date"])[:10], str(issued)[:10]))
            or (until and before(str(until)[:10], str(s["date"])[:10]))
        )
    ]
    if outside:
        out.append(
            Finding(
                "licence.shipped_outside_validity",
                "medium",
                f"{len(outside)} shipments under licence {lid} left outside its validity "
                f"({issued} .. {until or 'open'})",
                [*ev, *_ids(outside)],
                cid,
            )
        )
    return out


def shipment_findings(
    cert: Mapping[str, Any], ctx: Context, evidence: list[str]
) -> tuple[list[Finding], list[str]]:
    """Shipments citing the certificate (or its licences): beyond the certified quantity,
    to another country, outside the validity."""
    cid = str(cert.get("certificate_id") or "")
    ships = ctx.shipments
    if not ships:
        return [], ["shipments: no customs record in the store cites this certificate or licence"]
    out: list[Finding] = []
    exp = cert.get("exporter_country")
    outbound = [
        s
        for s in ships
        if not exp or s.get("departure_country") in (None, exp) or s.get("sender_country") == exp
    ]
    cq, unit = cert.get("quantity"), cert.get("unit")
    counted = [
        s
        for s in outbound
        if s.get("quantity") is not None and (not unit or s.get("unit") in (None, unit))
    ]
    if cq and counted:
        total = sum(float(s["quantity"]) for s in counted)
        if total > float(cq) * (1 + TOLERANCE):
            out.append(
                Finding(
                    "shipments.over_certified",
                    "high",
                    f"{len(counted)} shipments carry {total:,.0f} {unit or ''} against "
                    f"{float(cq):,.0f} certified ({total / float(cq):.0%}): the certificate "
                    "is being used for more than it covers",
                    [*evidence, *_ids(counted)],
                    cid,
                )
            )
    allowed = {
        c
        for c in (
            cert.get("consignee_country"),
            cert.get("end_user_country"),
            cert.get("final_destination"),
        )
        if c
    }
    elsewhere = [
        s for s in ships if s.get("destination_country") and s["destination_country"] not in allowed
    ]
    if allowed and elsewhere:
        where = sorted({str(s["destination_country"]).upper() for s in elsewhere})
        out.append(
            Finding(
                "shipments.other_destination",
                "critical",
                f"{len(elsewhere)} of {len(ships)} shipments went to {', '.join(where)}, not to "
                f"the certified {', '.join(sorted(c.upper() for c in allowed))}",
                [*evidence, *_ids(elsewhere)],
                cid,
            )
        )
    issued, until = cert.get("issue_date"), cert.get("valid_until")
    dated = [s for s in ships if s.get("date")]
    outside = [
        s
        for s in dated
        if (issued and before(str(s["date"])[:10], str(issued)[:10]))
        or (until and before(str(until)[:10], str(s["date"])[:10]))
    ]
    if outside:
        out.append(
            Finding(
                "shipments.outside_validity",
                "medium",
                f"{len(outside)} shipments left outside the certificate's validity "
                f"({issued or '?'} .. {until or 'open'})",
                [*evidence, *_ids(outside)],
                cid,
            )
        )
    return out, []


def reexport_findings(
    store: Store,
    cert: Mapping[str, Any],
    evidence: list[str],
    index: StoreIndex | None = None,
) -> tuple[list[Finding], list[str]]:
    """The consignee's (or destination's) country reports re-exports (Comtrade flow RX) of
    the product: the goods have a known way onward."""
    cid = str(cert.get("certificate_id") or "")
    hs = str(cert.get("hs_code") or "")[:4] or "9306"
    countries = [
        c
        for c in dict.fromkeys([cert.get("consignee_country"), cert.get("final_destination")])
        if c
    ]
    if not countries:
        return [], ["re-exports: no consignee or destination country"]
    rows = [
        r for r in trade_rows(store, hs, index) if r["flow"] == "RX" and r["reporter"] in countries
    ]
    if not rows:
        return [], [
            f"re-exports: no re-export (RX) record of HS {hs} by "
            f"{', '.join(c.upper() for c in countries)} in the store"
        ]
    out: list[Finding] = []
    for country in countries:
        mine = [r for r in rows if r["reporter"] == country and (r["usd"] or 0) > 0]
        if not mine:
            continue
        total = sum(float(r["usd"] or 0) for r in mine)
        years = f"{mine[0]['year']}-{mine[-1]['year']}"
        ids = [str(i) for r in mine for i in (r["ids"] or [])][:50]
        out.append(
            Finding(
                "flows.consignee_reexports",
                "medium",
                f"{country.upper()} reports re-exports of HS {hs} worth {total:,.0f} USD "
                f"({years}): goods of this kind are known to move on from there",
                [*evidence, *ids],
                cid,
            )
        )
    return out, []


def _text(cert: Mapping[str, Any]) -> str:
    return " | ".join(_norm(cert.get(f)) for f in TEXT_FIELDS)


def _deal(cert: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        _norm(cert.get("exporter")),
        _norm(cert.get("end_user")),
        cert.get("final_destination"),
        cert.get("quantity"),
        cert.get("licence_id"),
    )


def reuse_findings(
    cert: Mapping[str, Any], ctx: Context, evidence: list[str], weights: Weights
) -> tuple[list[Finding], list[str]]:
    """One certificate number on different deals; near-identical text under another number."""
    cid = str(cert.get("certificate_id") or "")
    out: list[Finding] = []
    other_deals = [r for r in ctx.same_number if _deal(r) != _deal(cert)]
    lic_ids = {str(r.get("licence_id")) for r in ctx.licences if r.get("licence_id")}
    if other_deals:
        out.append(
            Finding(
                "reuse.same_number",
                "high",
                f"certificate number {cid} appears on {len(other_deals)} other record(s) with "
                "a different exporter, end user, destination, quantity or licence",
                [*evidence, *_ids(other_deals)],
                cid,
            )
        )
    elif len(lic_ids) > 1:
        out.append(
            Finding(
                "reuse.same_number",
                "high",
                f"certificate {cid} supports {len(lic_ids)} licences "
                f"({', '.join(sorted(lic_ids))}): one undertaking for several deals",
                [*evidence, *_ids(ctx.licences)],
                cid,
            )
        )
    mine = _text(cert)
    similar = [
        r
        for r in ctx.others
        if fuzz.token_set_ratio(mine, _text(r)) >= weights.near_identical
        and _norm(r.get("signatory"))
        and _norm(r.get("signatory")) == _norm(cert.get("signatory"))
        and r.get("quantity") != cert.get("quantity")
    ]
    if similar:
        ids = sorted({str(r.get("certificate_id")) for r in similar})
        out.append(
            Finding(
                "reuse.near_identical",
                "medium",
                f"{len(similar)} other certificate(s) ({', '.join(ids[:5])}) carry nearly the "
                "same wording, parties and signatory under another number: a template being "
                "reused, or one undertaking split into several; ask the issuing authority",
                [*evidence, *_ids(similar)],
                cid,
            )
        )
    return out, []


__all__ = [
    "Context",
    "StoreIndex",
    "index_store",
    "trade_rows",
    "ammunition_word",
    "licence_findings",
    "load_context",
    "plausibility_findings",
    "reexport_findings",
    "reuse_findings",
    "shipment_findings",
]
