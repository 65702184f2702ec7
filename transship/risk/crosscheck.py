"""A certificate against the store: licences, shipments, trade flows, other certificates, and
the end user's forces.

Each function returns findings with the store ``record_id`` values they rest on, and says
what it could not check (no licence in the store, no shipment citing the certificate...), so
"nothing found" is never confused with "nothing looked at".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from transship.exc import InvalidInput
from transship.normalise.military import calibre as canonical_calibre
from transship.risk.config import Weights
from transship.risk.elements import before
from transship.risk.holdings import (
    SystemRow,
    any_holdings,
    arms_by_recipient,
    fleet_estimate,
    holdings,
)
from transship.risk.model import Finding
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
_AMMO_WORDS = ("rocket", "mortar", "cartridge", "howitzer", "shell", "grenade")


def ammunition_word(text: str | None) -> str | None:
    """The ammunition kind a goods description names (``'122 mm Grad rockets'`` ->
    ``'rocket'``): narrows 122 mm rockets from 122 mm howitzer shells."""
    low = (text or "").lower()
    for word in _AMMO_WORDS:
        if word in low:
            return word
    return None


@dataclass(slots=True)
class Context:
    """The store rows that bear on one certificate."""

    licences: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    same_number: list[dict[str, Any]] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    """Store record ids of the rows (``file:line`` for rows read from a file)."""
    return [
        str(r.get("record_id") or r.get("source"))
        for r in rows
        if r.get("record_id") or r.get("source")
    ]


_SHIP_COLS = (
    "record_id, shipment_id, date, certificate_id, licence_id, quantity, unit, value, currency, "
    "value_usd, sender_country, departure_country, destination_country, receiver, "
    "receiver_country"
)


@dataclass(slots=True)
class StoreIndex:
    """The licences, shipments and certificates of a store, read once and indexed, so that
    checking every certificate (``assess_all``) costs three queries, not three per
    certificate."""

    licences_by_cert: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    licences_by_id: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shipments_by_cert: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shipments_by_licence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    certs_by_id: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    certs_by_country: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    certs_by_licence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: caches filled on first use: RX/M sums per product, hub evidence per product, SIPRI
    #: deliveries per recipient
    trade: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    hubs: dict[str, Any] = field(default_factory=dict)
    arms: dict[str, list[dict[str, Any]]] | None = None


def trade_rows(store: Store, product: str, index: StoreIndex | None) -> list[dict[str, Any]]:
    """Re-exports (RX) and imports (M) of ``product`` per reporter and year, with the record
    ids (one query per product, cached in ``index``)."""
    if index is not None and product in index.trade:
        return index.trade[product]
    # one dataset (Comtrade's reports when present, else the largest): datasets that restate
    # the same trade (a reconciliation, BACI) must not add up; and one level of the HS
    # hierarchy per reporter, flow and year (the heading itself when reported, else its
    # subheadings), or a heading and its subheadings would be counted twice
    found: list[dict[str, Any]] = store.query(
        "WITH pick AS (SELECT dataset FROM trade_flows GROUP BY dataset "
        "ORDER BY (dataset = 'comtrade') DESC, count(*) DESC, dataset LIMIT 1) "
        "SELECT reporter, flow, year, hs_code = ? AS exact, sum(value_usd) AS usd, "
        "list(record_id) AS ids FROM trade_flows WHERE flow IN ('RX', 'M') AND hs_code LIKE ? "
        "AND dataset = (SELECT dataset FROM pick) AND partner_is_world IS NOT TRUE "
        "GROUP BY reporter, flow, year, exact ORDER BY reporter, flow, year",
        [product, product + "%"],
    ).to_pylist()
    exact = {(r["reporter"], r["flow"], r["year"]) for r in found if r["exact"]}
    rows = [
        {k: r[k] for k in ("reporter", "flow", "year", "usd", "ids")}
        for r in found
        if r["exact"] or (r["reporter"], r["flow"], r["year"]) not in exact
    ]
    if index is not None:
        index.trade[product] = rows
    return rows


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get(key):
            out.setdefault(str(r[key]), []).append(r)
    return out


def index_store(store: Store) -> StoreIndex:
    """Read the store's licences, shipments and certificates once (see :class:`StoreIndex`)."""
    lic = store.query("SELECT * FROM licences ORDER BY licence_id, record_id").to_pylist()
    ships = store.query(
        f"SELECT {_SHIP_COLS} FROM shipments WHERE certificate_id IS NOT NULL "
        "OR licence_id IS NOT NULL ORDER BY date, shipment_id"
    ).to_pylist()
    certs = store.query("SELECT * FROM certificates ORDER BY certificate_id, record_id").to_pylist()
    by_country: dict[str, list[dict[str, Any]]] = {}
    for c in certs:
        for country in {c.get("end_user_country"), c.get("final_destination")} - {None}:
            by_country.setdefault(str(country), []).append(c)
    return StoreIndex(
        licences_by_cert=_group(lic, "certificate_id"),
        licences_by_id=_group(lic, "licence_id"),
        shipments_by_cert=_group(ships, "certificate_id"),
        shipments_by_licence=_group(ships, "licence_id"),
        certs_by_id=_group(certs, "certificate_id"),
        certs_by_country=by_country,
        certs_by_licence=_group(certs, "licence_id"),
        arms=arms_by_recipient(store),
    )


def load_context(
    store: Store,
    cert: Mapping[str, Any],
    licences: list[dict[str, Any]] | None = None,
    index: StoreIndex | None = None,
) -> Context:
    """Licences naming the certificate (or named by it), shipments citing either, other
    certificates with the same number, and certificates for the same end-user country (for
    the near-identical text check). ``licences`` adds licence rows not in the store."""
    ix = index if index is not None else index_store(store)
    cid = str(cert.get("certificate_id") or "")
    lic_id = cert.get("licence_id")
    ctx = Context()
    stored = [*ix.licences_by_cert.get(cid, [])]
    if lic_id:
        stored += [r for r in ix.licences_by_id.get(str(lic_id), []) if r not in stored]
    extra = [
        r for r in licences or [] if r.get("certificate_id") == cid or r.get("licence_id") == lic_id
    ]
    seen = {r.get("licence_id") for r in extra}
    ctx.licences = extra + [r for r in stored if r.get("licence_id") not in seen]
    lic_ids = sorted({str(r["licence_id"]) for r in ctx.licences if r.get("licence_id")})
    ships = {id(s): s for s in ix.shipments_by_cert.get(cid, [])}
    for lid in lic_ids:
        ships.update({id(s): s for s in ix.shipments_by_licence.get(lid, [])})
    ctx.shipments = sorted(
        ships.values(), key=lambda s: (str(s.get("date") or ""), str(s.get("shipment_id")))
    )
    own = cert.get("record_id")
    ctx.same_number = [r for r in ix.certs_by_id.get(cid, []) if r.get("record_id") != own]
    country = cert.get("end_user_country") or cert.get("final_destination")
    if country:
        ctx.others = [
            r for r in ix.certs_by_country.get(str(country), []) if r.get("certificate_id") != cid
        ]
    return ctx


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


def plausibility_findings(
    store: Store | None,
    cert: Mapping[str, Any],
    evidence: list[str],
    weights: Weights,
    rows: list[SystemRow],
    index: StoreIndex | None = None,
) -> tuple[list[Finding], list[str]]:
    """Does the end user's country field a weapon for the calibre, and could it use the
    quantity in the certificate's period?"""
    cid = str(cert.get("certificate_id") or "")
    country = cert.get("end_user_country") or cert.get("final_destination")
    cal = cert.get("calibre")
    if not cal:
        return [], ["end-user plausibility: the certificate gives no calibre"]
    if not country:
        return [], ["end-user plausibility: no end-user country"]
    try:
        wanted = canonical_calibre(str(cal))
    except InvalidInput:
        return [], [f"end-user plausibility: calibre {cal!r} not understood"]
    word = ammunition_word(cert.get("goods_description"))
    what = f"{wanted} {word}" if word else wanted
    if not any_holdings(wanted, word, rows):
        return [], [f"end-user plausibility: the weapon-system table knows no system for {what}"]
    found = holdings(str(country), wanted, word, rows)
    code = str(country).upper()
    if not found:
        return [
            Finding(
                "end_user.no_weapon_system",
                "high",
                f"no weapon system firing {what} is known in {code}'s forces (weapon-system "
                "table, SIPRI deliveries 1995-2024 and the makers' states): the named end user "
                "could not use the goods. The table is partial; a missing country means "
                "'not known', so ask for the systems the ammunition is for",
                [*evidence, *sorted({r.ref for r in rows if r.calibre == wanted})[:8]],
                cid,
            )
        ], []
    verified = [h for h in found if h.verified]
    out: list[Finding] = []
    not_checked: list[str] = []
    if not verified:
        out.append(
            Finding(
                "end_user.capability_unverified",
                "medium",
                f"only an unverified assumption says {code} fields a weapon for {what} "
                f"({'; '.join(h.cite() for h in found)}); no SIPRI-recorded delivery and no "
                "home production supports it: ask for the systems the ammunition is for",
                [*evidence, *(h.row for h in found)],
                cid,
            )
        )
    quantity = cert.get("quantity")
    if store is None:
        not_checked.append("end-user quantity: no store to read SIPRI deliveries from")
        return out, not_checked
    if not quantity:
        not_checked.append("end-user quantity: the certificate gives no quantity")
        return out, not_checked
    fleet = fleet_estimate(store, str(country), found, index.arms if index else None)
    if fleet is None:
        not_checked.append(
            f"end-user quantity: no SIPRI-recorded delivery of {', '.join(h.weapon_system for h in found)} "
            f"to {code} in the store, so no fleet estimate"
        )
        return out, not_checked
    per = weights.use_per_system.get(word or "default", weights.use_per_system.get("default", 0))
    years = _years(cert.get("issue_date"), cert.get("valid_until"))
    ceiling = fleet.count * per * years
    if ceiling > 0 and float(quantity) > ceiling:
        systems = ", ".join(f"{n:,.0f} {s}" for s, n in sorted(fleet.by_system.items()))
        out.append(
            Finding(
                "end_user.quantity_beyond_use",
                "high",
                f"{float(quantity):,.0f} {word or 'rounds'} is more than {code}'s known fleet "
                f"({systems}, SIPRI deliveries: a floor) could fire in {years:g} year(s) at a "
                f"generous {per:,.0f} per weapon a year (an assumption, weights.yaml): "
                f"{ceiling:,.0f}",
                [
                    *evidence,
                    *fleet.record_ids[:20],
                    *(f"SIPRI AT deal {d}" for d in fleet.deals[:10]),
                ],
                cid,
            )
        )
    return out, not_checked


def _years(issued: Any, until: Any) -> float:
    """Years the certificate runs (at least 1; 1 when either date is missing)."""
    try:
        a, b = int(str(issued)[:4]), int(str(until)[:4])
    except (TypeError, ValueError):
        return 1.0
    return float(max(1, b - a))


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
