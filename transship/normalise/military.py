"""EU Common Military List (ML1..ML22) categories, whatever the spelling.

COARM annual reports, CAAT's extractions and national reports write ``ML 4``, ``ML4``, ``ml4``,
``4``, ``ML04`` or a sub-category ``ML4a`` / ``ML 3a`` / ``ML10.b.1``. The store keys on
``ML1``..``ML22`` (no space, CONVENTIONS 4.6) and keeps the sub-category apart, so licences
from different reports meet on one key. Short descriptions, in our own words, are in
``transship/data/military_list.csv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from transship.exc import InvalidInput, UnknownCode
from transship.normalise._tables import read_table

_PATTERN = re.compile(
    r"^(?:EU\s*)?(?:(?:CATEGORY|CAT\.?)\s*)?(?:ML)*\s*[-.:]?\s*0*(?P<num>\d{1,2})(?P<rest>[A-Z0-9.\s]*?)\.?$"
)
_TOKEN = re.compile(r"[A-Z]|\d+")
_SPLIT = re.compile(r"[;,/|+&\n]|\s+AND\s+")


def _parse(value: object) -> tuple[str, list[str]]:
    if isinstance(value, bool):
        raise UnknownCode("ML category", value)
    text = str(value).strip().upper()
    match = _PATTERN.match(text)
    if match is None:
        raise UnknownCode("ML category", value)
    number = int(match["num"])
    if not 1 <= number <= 22:
        raise UnknownCode("ML category", value)
    rest = match["rest"].strip(" .")
    tokens = _TOKEN.findall(rest)
    if rest and "".join(tokens) != re.sub(r"[.\s]", "", rest):
        raise UnknownCode("ML category", value)
    # Wassenaar sub-items alternate letter and number: a, a.1, a.1.b, a.1.b.2.
    for position, token in enumerate(tokens):
        if token.isdigit() != (position % 2 == 1) or position > 3:
            raise UnknownCode("ML category", value)
    return f"ML{number}", [t.lower() for t in tokens]


def ml_category(value: str | int) -> str:
    """Category key: ``'ML 4'``, ``'ml4'``, ``'4'``, ``4``, ``'ML04'``, ``'ML4a'`` -> ``'ML4'``.

    ``'ML 3a'`` -> ``'ML3'``. Idempotent. Raises :class:`UnknownCode` outside ML1..ML22.
    """
    return _parse(value)[0]


def ml_subcategory(value: str | int) -> str | None:
    """Sub-category in Wassenaar dotted form (``'ML4a'`` -> ``'ML4.a'``, ``'ML10 b 1'`` ->
    ``'ML10.b.1'``), or ``None`` when the value names only the category. Idempotent."""
    category, tokens = _parse(value)
    if not tokens:
        return None
    return category + "." + ".".join(tokens)


# Ratings of other lists that licence reports mix with ML categories: UK national ratings
# (PL5017, PL5001b), "NLR" (not listed) and EU dual-use codes (1C011, 5A002a).
_OTHER_LISTS = re.compile(r"^(PL\d{4}\w*|NLR|\d[A-E]\d{3}\w*)$")
_GLUED = re.compile(r"(?<=[0-9A-Z])(?=PL\d{4})")


def ml_categories(text: str) -> list[str]:
    """Every ML category in a list such as ``'ML1;ML3'``, ``'ML 1, ML 4a'`` or
    ``'ML2, 14, 18'`` (order kept, duplicates dropped; empty text gives ``[]``).

    Ratings of other lists (``PL5017``, ``NLR``, dual-use ``5A002``) are skipped, also when
    glued on (``ML6aPL5017``). Raises :class:`UnknownCode` when a part is neither.
    """
    out: list[str] = []
    upper = _GLUED.sub(";", str(text).upper())
    for part in _SPLIT.split(upper):
        part = part.strip()
        if not part or _OTHER_LISTS.match(part):
            continue
        category = ml_category(part)
        if category not in out:
            out.append(category)
    return out


@cache
def _table() -> dict[str, tuple[str, str]]:
    return {r["category"]: (r["short"], r["description"]) for r in read_table("military_list.csv")}


def ml_description(category: str | int) -> str:
    """Our short description of a category (``'ML3'`` -> ammunition...)."""
    return _table()[ml_category(category)][1]


def ml_short(category: str | int) -> str:
    """A two- or three-word label (``'ML3'`` -> ``'ammunition'``) for tables and charts."""
    return _table()[ml_category(category)][0]


ML_CATEGORIES: tuple[str, ...] = tuple(f"ML{n}" for n in range(1, 23))


# --- calibres and the weapon systems that fire them -------------------------------------------

_CALIBRE_ALIASES = {
    ".50bmg": "12.7x99 mm",
    ".50cal": "12.7x99 mm",
    ".50": "12.7x99 mm",
    "7.62nato": "7.62x51 mm",
    "5.56nato": "5.56x45 mm",
    "5.45": "5.45x39 mm",
}


def calibre(value: str | int | float) -> str:
    """Canonical calibre: ``'122mm'`` -> ``'122 mm'``, ``'7,62x39'`` -> ``'7.62x39 mm'``,
    ``'7.62 x 54 R'`` -> ``'7.62x54R'``, ``'12.7×108mm'`` -> ``'12.7x108 mm'``,
    ``'.50 BMG'`` -> ``'12.7x99 mm'``. Idempotent; :class:`InvalidInput` otherwise."""
    text = str(value).strip().lower().replace(",", ".").replace("×", "x").replace("х", "x")
    text = re.sub(r"\s+|mm|мм|cal\.?(?=\d)", "", text)
    if text in _CALIBRE_ALIASES:
        return _CALIBRE_ALIASES[text]
    cartridge = re.fullmatch(r"(\d+(?:\.\d+)?)x(\d+)(r?)", text)
    if cartridge:
        bore = _number(cartridge[1])
        return f"{bore}x{cartridge[2]}R" if cartridge[3] else f"{bore}x{cartridge[2]} mm"
    bore_only = re.fullmatch(r"\d+(?:\.\d+)?", text)
    if bore_only:
        return f"{_number(text)} mm"
    raise InvalidInput(f"not a calibre: {value!r}")


def _number(text: str) -> str:
    value = float(text)
    return str(int(value)) if value.is_integer() else f"{value:g}"


@dataclass(frozen=True, slots=True)
class WeaponSystem:
    """One row of ``transship/data/weapon_systems.csv``.

    ``operators`` are rigour territory codes of armed forces publicly reported to operate the
    system; the list is partial. ``assumption`` is true when the note flags any part of the row
    as unverified. A country missing here is "not known to operate", never "does not operate".
    """

    calibre: str
    ammunition: str
    weapon_system: str
    operators: tuple[str, ...]
    note: str

    @property
    def assumption(self) -> bool:
        return "assumption" in self.note


@cache
def _systems() -> tuple[WeaponSystem, ...]:
    return tuple(
        WeaponSystem(
            row["calibre"],
            row["ammunition"],
            row["weapon_system"],
            tuple(code.strip().lower() for code in row["operators"].split(";") if code.strip()),
            row["note"],
        )
        for row in read_table("weapon_systems.csv")
    )


def weapon_systems(
    calibre_value: str | None = None, ammunition: str | None = None
) -> tuple[WeaponSystem, ...]:
    """Systems firing a calibre (any spelling :func:`calibre` reads), optionally narrowed by a
    word of the ammunition description (``'rocket'``, ``'howitzer'``, ``'mortar'``)."""
    rows = _systems()
    if calibre_value is not None:
        wanted = calibre(calibre_value)
        rows = tuple(r for r in rows if r.calibre == wanted)
    if ammunition is not None:
        word = ammunition.strip().lower()
        rows = tuple(r for r in rows if word in r.ammunition.lower())
    return rows


def known_operator(
    territory_code: str, calibre_value: str, ammunition: str | None = None
) -> tuple[WeaponSystem, ...]:
    """Systems of this calibre the territory (rigour code, e.g. ``'ke'``) is known to operate.

    An empty answer is a flag to look at (ammunition sent where no compatible weapon is known),
    not proof of diversion: the shipped table is partial.
    """
    code = territory_code.strip().lower()
    return tuple(r for r in weapon_systems(calibre_value, ammunition) if code in r.operators)


__all__ = [
    "ML_CATEGORIES",
    "WeaponSystem",
    "calibre",
    "known_operator",
    "weapon_systems",
    "ml_categories",
    "ml_category",
    "ml_description",
    "ml_short",
    "ml_subcategory",
]
