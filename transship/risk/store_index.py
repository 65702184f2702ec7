"""The store rows a certificate check reads: the licences, shipments and certificates of a
store indexed once (:class:`StoreIndex`), the rows that bear on one certificate
(:func:`load_context`), and re-exports and imports per product (:func:`trade_rows`).
``transship.risk.crosscheck`` and ``transship.risk.end_user`` check a certificate against
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from transship.risk.holdings import arms_by_recipient
from transship.store import Store


@dataclass(slots=True)
class Context:
    """The store rows that bear on one certificate."""

    licences: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    same_number: list[dict[str, Any]] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)


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
