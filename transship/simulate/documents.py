"""The case's own trade, consignment by consignment: contracts, licences, end-user
certificates, customs declarations for every leg, the physical flows they add to the
statistics, and the ground truth (which consignment was diverted, via whom, which
certificate is false and why).

Split along its seams: :mod:`transship.simulate.records` builds and numbers the rows,
:mod:`transship.simulate.legitimate` writes ordinary contracts,
:mod:`transship.simulate.schemes` the case's alleged diversion schemes, and this module
puts them together with the truth of what the schemes plant (routes and hubs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from transship.simulate.case import Case
from transship.simulate.legitimate import legitimate
from transship.simulate.records import Documents, FlowParts, RecordBuilder
from transship.simulate.requests import write_requests
from transship.simulate.schemes import scheme
from transship.simulate.world import Territories


def build_documents(
    case: Case,
    terr: Territories,
    years: tuple[int, int],
    rng: np.random.Generator,
    noise: float,
    requests_rng: np.random.Generator | None = None,
) -> Documents:
    """Every case consignment, in case order (legitimate demand, then schemes), then the
    population of licence requests (:mod:`transship.simulate.requests`) when
    ``requests_rng`` is given (its own stream: the case's consignments draw the same numbers
    with or without it)."""
    b = RecordBuilder(case, terr, years, rng, noise)
    for dem in case.legitimate:
        legitimate(b, dem)
    for s in case.schemes:
        scheme(b, s)
    if requests_rng is not None:
        write_requests(b, requests_rng)
    _merge_certificate_truth(b.docs)
    _licence_truth(b.docs)
    b.docs.truth.extend(_planted(case, b.docs, terr, years))
    return b.docs


def _merge_certificate_truth(docs: Documents) -> None:
    """One truth row per certificate (a reused one appears once per consignment: merge)."""
    merged: dict[str, dict[str, Any]] = {}
    rest = []
    for row in docs.truth:
        if row["kind"] != "certificate":
            rest.append(row)
            continue
        prev = merged.get(row["id"])
        if prev is None:
            merged[row["id"]] = row
            continue
        prev["reasons"] = sorted(set(prev["reasons"]) | set(row["reasons"]))
        prev["shipments"] = prev["shipments"] + row["shipments"]
        prev["quantity_used"] = max(prev.get("quantity_used", 0.0), row.get("quantity_used", 0.0))
    present = {c["certificate_id"] for c in docs.certificates}
    docs.truth = rest + [r for r in merged.values() if r["id"] in present]


def _licence_truth(docs: Documents) -> None:
    """One ``licence`` truth row per issued licence of the case's demand and schemes (the
    request population writes its own, with its latent facts): diverted when a diverted
    customs record cites its certificate. Refusals are history, not requests: no row."""
    have = {str(t["id"]) for t in docs.truth if t["kind"] == "licence"}
    by_cert: dict[str, str] = {
        str(c["certificate_id"]): str(c["licence_id"]) for c in docs.certificates
    }
    diverted: dict[str, str] = {}
    for t in docs.truth:
        if t["kind"] == "shipment" and t.get("diverted") and t.get("certificate"):
            lid = by_cert.get(str(t["certificate"]))
            if lid is not None:
                diverted.setdefault(lid, str(t.get("scheme")))
    rows = []
    for lic in docs.licences:
        lid = str(lic["licence_id"])
        if lid in have or lic.get("status") == "refused":
            continue
        rows.append(
            {
                "simulated": True,
                "kind": "licence",
                "id": lid,
                "diverted": lid in diverted,
                "source": "scheme" if lid in diverted else "demand",
                "scheme": diverted.get(lid),
            }
        )
    docs.truth.extend(rows)


def _planted(
    case: Case, docs: Documents, terr: Territories, years: tuple[int, int]
) -> list[dict[str, Any]]:
    """Routes and hubs the schemes plant: what the flow stages should find."""
    out: list[dict[str, Any]] = []
    iso3 = {terr.iso2[i]: terr.iso3[i] for i in range(len(terr))}
    for s in case.schemes:
        y0, y1 = max(int(s.start[:4]), years[0]), min(int(s.end[:4]), years[1])
        if y0 > y1:
            continue
        hs = case.products[s.product].hs_code
        out.append(
            {
                "simulated": True,
                "kind": "route",
                "scheme": s.id,
                "path": [iso3[c] for c in s.path],
                "product": hs,
                "years": [y0, y1],
                "description": s.description,
            }
        )
        for c in s.path[1:-1]:
            for y in range(y0, y1 + 1):
                out.append(
                    {
                        "simulated": True,
                        "kind": "hub",
                        "scheme": s.id,
                        "territory": iso3[c],
                        "product": hs,
                        "year": y,
                    }
                )
    return out


__all__ = ["Documents", "FlowParts", "build_documents"]
