"""Harmonized System (HS) codes: one spelling, one edition name, the arms headings we watch.

Sources write the same code as ``9306.30``, ``930630``, ``93 06 30`` or, after a spreadsheet
dropped the leading zero, ``10121`` for ``010121``. Comtrade names the editions ``H0``..``H6``,
BACI ``HS92``..``HS22``, others the year. Everything here turns those into one form so that
flows from different sources meet on the same key.

``transship/data/hs_codes.csv`` lists chapter 93 (arms and ammunition) with the codes of
earlier editions still found in long Comtrade series (``930610`` was retired in HS 2022), and
the neighbours that chapter 93's notes exclude but a tracer must watch: chapter 36 explosives,
8710 armoured vehicles, 8802/8803/8806/8807 aircraft, UAVs and their parts, 8906 warships,
radar 852610 and weapon sights 901310. Descriptions are our own short wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from transship.exc import InvalidInput, UnknownCode
from transship.normalise._tables import read_table

# Edition -> year the WCO edition came into force.
EDITIONS: dict[str, int] = {
    "H0": 1992,
    "H1": 1996,
    "H2": 2002,
    "H3": 2007,
    "H4": 2012,
    "H5": 2017,
    "H6": 2022,
}
_YEAR_TO_EDITION = {year: ed for ed, year in EDITIONS.items()}
_SHORT_YEAR = {str(year)[2:]: ed for ed, year in EDITIONS.items()}
_SEPARATORS = re.compile(r"[\s.\-_/]+")


@dataclass(frozen=True, slots=True)
class HsHeading:
    """One row of the shipped HS table."""

    code: str
    level: int
    editions: str  # 'H0-H6', 'H6' (new in HS 2022), '?-H6' (first edition unchecked), 'pre-H6'
    group: str
    description: str
    note: str

    def in_edition(self, edition: str | int) -> bool | None:
        """Whether the code exists in an edition; ``None`` when the table does not know."""
        wanted = hs_edition(edition)
        if self.editions == "pre-H6":
            return False if wanted == "H6" else None
        first, _, last = self.editions.partition("-")
        last = last or first
        if first == "?":
            return True if wanted >= last else None
        return first <= wanted <= last


def hs_code(value: str | int | float, edition: str | None = None) -> str:
    """Canonical HS code: digits only, 2/4/6/8/10 long, leading zero restored.

    ``'9306.30'`` -> ``'930630'``, ``'10121'`` -> ``'010121'``, ``930630`` -> ``'930630'``.
    Idempotent. ``edition``, when given, is checked to be a real HS edition (so a reader that
    passes a SITC classification by mistake fails loudly); it does not change the code.
    Raises :class:`InvalidInput` for anything that is not an HS code.
    """
    if edition is not None:
        hs_edition(edition)
    if isinstance(value, bool) or (isinstance(value, int | float) and value < 0):
        raise InvalidInput(f"not an HS code: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidInput(f"not an HS code: {value!r}")
        value = int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0", text):  # a spreadsheet turned the code into a float
        text = text[:-2]
    text = _SEPARATORS.sub("", text)
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"not an HS code: {value!r}")
    if len(text) % 2 == 1:
        text = "0" + text
    if len(text) not in (2, 4, 6, 8, 10):
        raise InvalidInput(f"not an HS code (need 2, 4, 6, 8 or 10 digits): {value!r}")
    return text


def hs_edition(value: str | int) -> str:
    """Edition name ``H0``..``H6`` from ``'H5'``, ``'HS17'``, ``'HS2017'``, ``'2017'``, ``2017``.

    Only the years an edition came into force are accepted (``2019`` is not an edition; use
    :func:`edition_in_force` for "which edition applied in 2019").
    """
    text = str(value).strip().upper().replace(" ", "")
    if text in EDITIONS:
        return text
    if text.startswith("HS"):
        text = text[2:]
    if len(text) == 4 and text.isdigit() and int(text) in _YEAR_TO_EDITION:
        return _YEAR_TO_EDITION[int(text)]
    if len(text) == 2 and text in _SHORT_YEAR:
        return _SHORT_YEAR[text]
    raise UnknownCode("HS edition", value)


def edition_in_force(year: int) -> str:
    """The HS edition in force in a calendar year (2019 -> ``'H5'``)."""
    if year < 1988:
        raise InvalidInput(f"no HS edition before 1988: {year}")
    current = "H0"
    for edition, start in EDITIONS.items():
        if year >= start:
            current = edition
    return current


def hs_chapter(code: str | int) -> str:
    """Two-digit chapter of a code (``'930630'`` -> ``'93'``)."""
    return hs_code(code)[:2]


@cache
def _table() -> dict[str, HsHeading]:
    out: dict[str, HsHeading] = {}
    for row in read_table("hs_codes.csv"):
        out[row["code"]] = HsHeading(
            row["code"],
            int(row["level"]),
            row["editions"],
            row["group"],
            row["description"],
            row["note"],
        )
    return out


def hs_headings() -> tuple[HsHeading, ...]:
    """Every shipped HS row, in code order."""
    return tuple(sorted(_table().values(), key=lambda h: h.code))


def hs_description(code: str | int) -> str | None:
    """Our short description of a watched code, or ``None`` when we ship none.

    National 8- and 10-digit codes take the description of their 6-digit subheading.
    """
    canon = hs_code(code)
    table = _table()
    if canon in table:
        return table[canon].description
    if len(canon) > 6 and canon[:6] in table:
        return table[canon[:6]].description
    return None


def hs_group(code: str | int) -> str | None:
    """Watch group of a code: ``arms``, ``explosives``, ``vehicles``, ``aircraft``, ``uav``,
    ``ships``, ``radar``, ``optics``; ``None`` when outside the watched headings."""
    canon = hs_code(code)
    table = _table()
    for length in (6, 4, 2):
        if len(canon) >= length and canon[:length] in table:
            return table[canon[:length]].group
    return None


def is_arms(code: str | int) -> bool:
    """True for chapter 93 (arms and ammunition)."""
    return hs_chapter(code) == "93"


def is_watched(code: str | int) -> bool:
    """True for chapter 93 and the military neighbours in the shipped table."""
    return hs_group(code) is not None


__all__ = [
    "EDITIONS",
    "HsHeading",
    "edition_in_force",
    "hs_chapter",
    "hs_code",
    "hs_description",
    "hs_edition",
    "hs_group",
    "hs_headings",
    "is_arms",
    "is_watched",
]
