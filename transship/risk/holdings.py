"""Which armed forces can fire a calibre, on what evidence, and how many weapons they hold.

The end-user plausibility check asks two questions of a certificate for ammunition:

1. does the named end user's country field a weapon that fires it? The answer comes from
   ``transship/data/weapon_systems.csv`` (plus any file the user adds, ``--systems FILE``
   or the setting ``TRANSSHIP_WEAPON_SYSTEMS``), where each operator carries its basis:
   ``sipri`` with the SIPRI Arms Transfers Database deal ids that record the delivery,
   ``producer`` (the armed forces of the state whose industry makes the system), ``user``
   (a row of the user's own file) or ``assumption`` (unverified open-source knowledge). Only
   an unverified assumption standing between the goods and "no known weapon" is itself a
   finding: the officer should know the check rests on nothing firmer;
2. could those forces use the quantity? The fleet is estimated from the SIPRI register rows
   *in the store* (``arms_transfers``, matched by the system's ``sipri_designation``
   pattern), which is a floor (older stock and local production are not in the register);
   the use per weapon and year is a stated assumption (``weights.yaml``, ``use_per_system``).

A country missing from the table is "not known to operate", never "does not operate".
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from transship import settings
from transship.exc import InvalidInput, SourceFormatError
from transship.normalise.military import calibre as canonical_calibre
from transship.store import Store

SHIPPED = "weapon_systems.csv"
BASES = ("sipri", "producer", "user", "assumption")
_REQUIRED = ("calibre", "ammunition", "weapon_system", "operators")


@dataclass(slots=True)
class SystemRow:
    """One row of a weapon-system table, with where it came from (``file:line``)."""

    calibre: str
    ammunition: str
    weapon_system: str
    operators: tuple[str, ...]
    note: str
    sipri_designation: str
    bases: dict[str, tuple[str, list[str]]]
    source: str
    ref: str


@dataclass(slots=True)
class Holding:
    """A country's known holding of one system that fires the calibre."""

    country: str
    weapon_system: str
    ammunition: str
    basis: str
    refs: list[str] = field(default_factory=list)
    row: str = ""
    sipri_designation: str = ""

    @property
    def verified(self) -> bool:
        return self.basis != "assumption"

    def cite(self) -> str:
        """``'BM-21 Grad (sipri 59794; weapon_systems.csv:2)'``."""
        what = self.basis + (" " + " ".join(self.refs) if self.refs else "")
        return f"{self.weapon_system} ({what}; {self.row})"


def _parse_bases(text: str, operators: tuple[str, ...], default: str) -> dict[str, Any]:
    out: dict[str, tuple[str, list[str]]] = {}
    for part in (text or "").split("|"):
        if ":" not in part:
            continue
        code, _, rest = part.partition(":")
        words = rest.split()
        if not words:
            continue
        basis = words[0].lower()
        out[code.strip().lower()] = (basis, words[1:])
    for op in operators:
        out.setdefault(op, (default, []))
    return out


def _read(text: str, name: str, default_basis: str) -> list[SystemRow]:
    lines = text.splitlines()
    body = [(n, ln) for n, ln in enumerate(lines, start=1) if not ln.startswith("#")]
    if not body:
        return []
    reader = csv.DictReader(io.StringIO("\n".join(ln for _, ln in body)))
    missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceFormatError(name, f"weapon-system table lacks column(s) {', '.join(missing)}")
    rows: list[SystemRow] = []
    for index, raw in enumerate(reader, start=1):
        line = body[index][0] if index < len(body) else index + 1
        rec = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        for col in _REQUIRED:
            if not rec.get(col):
                raise SourceFormatError(name, f"{col} is empty", line, col)
        try:
            cal = canonical_calibre(rec["calibre"])
        except InvalidInput as exc:
            raise SourceFormatError(name, exc.message, line, "calibre") from exc
        ops = tuple(c.strip().lower() for c in rec["operators"].split(";") if c.strip())
        pattern = rec.get("sipri_designation", "")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SourceFormatError(
                    name, f"not a regular expression: {exc}", line, "sipri_designation"
                ) from exc
        rows.append(
            SystemRow(
                calibre=cal,
                ammunition=rec["ammunition"],
                weapon_system=rec["weapon_system"],
                operators=ops,
                note=rec.get("note", ""),
                sipri_designation=pattern,
                bases=_parse_bases(rec.get("operator_sources", ""), ops, default_basis),
                source=rec.get("source", ""),
                ref=f"{name}:{line}",
            )
        )
    return rows


@cache
def shipped_rows() -> tuple[SystemRow, ...]:
    """The shipped table (read once)."""
    text = resources.files("transship.data").joinpath(SHIPPED).read_text(encoding="utf-8")
    return tuple(_read(text, SHIPPED, "assumption"))


def user_file() -> Path | None:
    """The weapon-system file named by the setting ``TRANSSHIP_WEAPON_SYSTEMS``, if any."""
    try:
        value = settings.get("TRANSSHIP_WEAPON_SYSTEMS")
    except KeyError:  # the setting is not registered in this version
        return None
    return Path(value) if value.strip() else None


def read_user_rows(path: str | Path) -> list[SystemRow]:
    """Rows of a user's own weapon-system file (same columns as the shipped table;
    ``operator_sources`` optional, operators without one count as basis ``user``)."""
    file = Path(path)
    if not file.is_file():
        raise SourceFormatError(file, "no such weapon-system file")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(file, "not UTF-8 text") from exc
    return _read(text, str(file), "user")


def system_rows(extra: str | Path | None = None) -> list[SystemRow]:
    """The shipped rows plus the user's (``extra``, else the setting's file)."""
    rows = list(shipped_rows())
    path = extra if extra is not None else user_file()
    if path is not None:
        rows += read_user_rows(path)
    return rows


def holdings(
    country: str,
    calibre_value: str,
    ammunition: str | None = None,
    rows: list[SystemRow] | None = None,
) -> list[Holding]:
    """Systems of the calibre (narrowed by an ammunition word such as ``'rocket'``) that
    ``country`` is known to operate, each with its basis and references."""
    wanted = canonical_calibre(calibre_value)
    code = country.strip().lower()
    word = (ammunition or "").strip().lower()
    out: list[Holding] = []
    for r in rows if rows is not None else system_rows():
        if r.calibre != wanted or code not in r.operators:
            continue
        if word and word not in r.ammunition.lower():
            continue
        basis, refs = r.bases.get(code, ("assumption", []))
        out.append(
            Holding(
                country=code,
                weapon_system=r.weapon_system,
                ammunition=r.ammunition,
                basis=basis,
                refs=list(refs),
                row=r.ref,
                sipri_designation=r.sipri_designation,
            )
        )
    return out


def any_holdings(
    calibre_value: str, ammunition: str | None = None, rows: list[SystemRow] | None = None
) -> bool:
    """Whether the table knows any system for the calibre (otherwise the check cannot run)."""
    wanted = canonical_calibre(calibre_value)
    word = (ammunition or "").strip().lower()
    return any(
        r.calibre == wanted and (not word or word in r.ammunition.lower())
        for r in (rows if rows is not None else system_rows())
    )


@dataclass(slots=True)
class Fleet:
    """Weapons delivered to a country per the SIPRI register rows in the store."""

    count: float
    by_system: dict[str, float]
    record_ids: list[str]
    deals: list[str]


def arms_by_recipient(store: Store) -> dict[str, list[dict[str, Any]]]:
    """SIPRI register rows in the store with a delivered number, by recipient (read once)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in store.query(
        "SELECT record_id, deal_id, recipient, designation, number_delivered "
        "FROM arms_transfers WHERE number_delivered IS NOT NULL AND recipient IS NOT NULL"
    ).to_pylist():
        out.setdefault(str(r["recipient"]).lower(), []).append(r)
    return out


def fleet_estimate(
    store: Store,
    country: str,
    found: list[Holding],
    arms: dict[str, list[dict[str, Any]]] | None = None,
) -> Fleet | None:
    """Sum of SIPRI-recorded deliveries of the held systems to ``country`` (a floor of the
    fleet). None when the store holds no SIPRI register or no matching delivery. ``arms``:
    :func:`arms_by_recipient`, when already read."""
    patterns = {h.weapon_system: h.sipri_designation for h in found if h.sipri_designation}
    if not patterns:
        return None
    code = country.strip().lower()
    if arms is not None:
        rows = arms.get(code, [])
    else:
        rows = store.query(
            "SELECT record_id, deal_id, designation, number_delivered FROM arms_transfers "
            "WHERE lower(recipient) = ? AND number_delivered IS NOT NULL",
            [code],
        ).to_pylist()
    by_system: dict[str, float] = {}
    ids: list[str] = []
    deals: set[str] = set()
    for system, pattern in patterns.items():
        rx = re.compile(pattern)
        for r in rows:
            if r["designation"] and rx.search(str(r["designation"])):
                by_system[system] = by_system.get(system, 0.0) + float(r["number_delivered"])
                ids.append(str(r["record_id"]))
                if r["deal_id"]:
                    deals.add(str(r["deal_id"]))
    if not by_system:
        return None
    return Fleet(sum(by_system.values()), by_system, ids, sorted(deals))


__all__ = [
    "BASES",
    "Fleet",
    "Holding",
    "SystemRow",
    "any_holdings",
    "arms_by_recipient",
    "fleet_estimate",
    "holdings",
    "read_user_rows",
    "shipped_rows",
    "system_rows",
    "user_file",
]
