"""EU Common Military List (ML1..ML22) categories, whatever the spelling.

COARM annual reports, CAAT's extractions and national reports write ``ML 4``, ``ML4``, ``ml4``,
``4``, ``ML04`` or a sub-category ``ML4a`` / ``ML 3a`` / ``ML10.b.1``. The store keys on
``ML1``..``ML22`` (no space, CONVENTIONS 4.6) and keeps the sub-category apart, so licences
from different reports meet on one key. Short descriptions, in our own words, are in
``transship/data/military_list.csv``.
"""

from __future__ import annotations

import re
from functools import cache

from transship.exc import UnknownCode
from transship.normalise._tables import read_table

_PATTERN = re.compile(
    r"^(?:EU\s*)?(?:(?:CATEGORY|CAT\.?)\s*)?(?:ML)?\s*[-.:]?\s*0*(?P<num>\d{1,2})(?P<rest>[A-Z0-9.\s]*?)\.?$"
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


def ml_categories(text: str) -> list[str]:
    """Every category in a list such as ``'ML1;ML3'`` or ``'ML 1, ML 4a'`` (order kept,
    duplicates dropped). Empty text gives an empty list."""
    out: list[str] = []
    for part in _SPLIT.split(str(text).upper()):
        if part.strip():
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

__all__ = [
    "ML_CATEGORIES",
    "ml_categories",
    "ml_category",
    "ml_description",
    "ml_short",
    "ml_subcategory",
]
