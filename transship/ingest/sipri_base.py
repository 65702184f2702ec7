"""What the three SIPRI readers share (see ``ingest.sipri``): numbers, years and yes/no as
SIPRI writes them, SIPRI's actor names as territories, the columns of the trade register's
two layouts, and the schemas of ``arms_transfers`` and ``arms_tiv``. Moved out of
``ingest.sipri`` unchanged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pyarrow as pa

from transship.ingest import checks
from transship.normalise import territories

# --------------------------------------------------------------------------------------
# Numbers, years, yes/no
# --------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_YEAR4 = re.compile(r"\d{4}")


def parse_number(text: str) -> float | None:
    """A plain number as SIPRI writes it ('12', '0.25', '1,162'); empty -> None.

    Raises ValueError for anything else; the caller turns that into a reject.
    """
    t = text.strip()
    if not t:
        return None
    try:
        value = float(t)
    except ValueError:
        t = t.replace("\u00a0", "")
        if not _THOUSANDS.fullmatch(t):
            raise ValueError(f"not a number: {text!r}") from None
        value = float(t.replace(",", ""))
    if not math.isfinite(value):
        raise ValueError(f"not a number: {text!r}")
    return value


def parse_year(text: str) -> tuple[int | None, bool]:
    """('2012', False), ('(2012)', True), ('2012?', True); '' -> (None, False)."""
    t = text.strip()
    if len(t) == 4 and t.isdigit():
        return int(t), False
    if not t:
        return None, False
    uncertain = "?" in t or "(" in t
    t = t.strip("()? ")
    if not _YEAR4.fullmatch(t):
        raise ValueError(f"not a year: {text!r}")
    return int(t), uncertain


def parse_yes_no(text: str) -> bool | None:
    t = text.strip().lower()
    if not t:
        return None
    if t in ("yes", "y", "true", "1"):
        return True
    if t in ("no", "n", "false", "0"):
        return False
    raise ValueError(f"expected Yes/No, found {text!r}")


def checked_amount(text: str, what: str) -> float | None:
    """``parse_number`` then the plausibility check: a TIV or a number of weapons is
    finite, not negative and below ``checks.MAX_AMOUNT`` (ValueError with the reason)."""
    value = parse_number(text)
    if value is not None:
        problem = checks.amount_problem(value, what, text.strip())
        if problem is not None:
            raise ValueError(problem)
    return value


def checked_year(year: int | None, what: str = "year", first: int | None = None) -> int | None:
    """A year inside SIPRI's coverage (deliveries from 1950, to next year); ValueError."""
    if year is not None:
        problem = checks.year_problem(year, "sipri", what, first)
        if problem is not None:
            raise ValueError(problem)
    return year


# --------------------------------------------------------------------------------------
# Names -> territories
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """What a SIPRI supplier/recipient name stands for: a rigour code and ISO alpha-3.

    ``territories.from_name`` gives ``zz`` for SIPRI's 'unknown recipient(s)', ``zz-nsa``
    for non-state actors (SIPRI's ``*`` mark, and the few secessionist entities it lists
    without one, such as Biafra) and ``zz-org`` for organisations (``**``) other than the
    EU and the UN. Those codes are deliberate: never the country named in brackets.
    """

    code: str
    iso3: str | None


def actor(name: str) -> Actor:
    """Resolve a SIPRI actor name; ``UnknownCode`` when no table knows it."""
    t = territories.from_name(name.strip())
    return Actor(t.code, t.iso3)


# --------------------------------------------------------------------------------------
# Columns and schemas
# --------------------------------------------------------------------------------------

#: Both sides of a transfer as the store keeps them: rigour code, ISO3, SIPRI's own name.
ACTOR_FIELDS = [
    ("supplier", pa.string()),
    ("supplier_iso3", pa.string()),
    ("supplier_orig", pa.string()),
    ("recipient", pa.string()),
    ("recipient_iso3", pa.string()),
    ("recipient_orig", pa.string()),
]

TRANSFER_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("deal_id", pa.string()),
        *ACTOR_FIELDS,
        ("designation", pa.string()),
        ("description", pa.string()),
        ("category", pa.string()),
        ("order_year", pa.int32()),
        ("order_year_uncertain", pa.bool_()),
        ("number_ordered", pa.float64()),
        ("number_ordered_uncertain", pa.bool_()),
        ("number_delivered", pa.float64()),
        ("number_delivered_uncertain", pa.bool_()),
        ("delivery_year", pa.int32()),
        ("delivery_year_uncertain", pa.bool_()),
        ("delivery_years", pa.string()),
        ("status", pa.string()),
        ("comments", pa.string()),
        ("local_production", pa.bool_()),
        ("tiv_unit", pa.float64()),
        ("tiv_deal_unit", pa.float64()),
        ("tiv_order", pa.float64()),
        ("tiv_delivered", pa.float64()),
    ]
)

#: Current layout (2020s exports): header -> our field, parser.
NEW_COLUMNS: dict[str, tuple[str, str]] = {
    "sipri at database id": ("deal_id", "text"),
    "supplier": ("supplier", "actor"),
    "recipient": ("recipient", "actor"),
    "designation": ("designation", "text"),
    "description": ("description", "text"),
    "armament category": ("category", "text"),
    "order date": ("order_year", "year"),
    "order date is estimate": ("order_year_uncertain", "yesno"),
    "numbers delivered": ("number_delivered", "number"),
    "numbers delivered is estimate": ("number_delivered_uncertain", "yesno"),
    "delivery year": ("delivery_year", "year"),
    "delivery year is estimate": ("delivery_year_uncertain", "yesno"),
    "status": ("status", "text"),
    "sipri estimate": ("tiv_unit", "number"),
    "tiv deal unit": ("tiv_deal_unit", "number"),
    "tiv delivery values": ("tiv_delivered", "number"),
    "local production": ("local_production", "yesno"),
}
NEW_REQUIRED = [
    "SIPRI AT Database ID",
    "Supplier",
    "Recipient",
    "Delivery year",
    "TIV delivery values",
]

#: Classic layout (CONVENTIONS 4.4); an unnamed column right after a flagged one is its '?'.
CLASSIC_COLUMNS: dict[str, tuple[str, str]] = {
    "recipient": ("recipient", "actor"),
    "supplier": ("supplier", "actor"),
    "year of order": ("order_year", "year"),
    "number ordered": ("number_ordered", "number"),
    "weapon designation": ("designation", "text"),
    "weapon description": ("description", "text"),
    "number delivered": ("number_delivered", "number"),
    "year(s) of delivery": ("delivery_years", "years"),
    "status": ("status", "text"),
    "comments": ("comments", "text"),
    "sipri tiv per unit": ("tiv_unit", "number"),
    "sipri tiv for total order": ("tiv_order", "number"),
    "sipri tiv of delivered weapons": ("tiv_delivered", "number"),
}
CLASSIC_REQUIRED = [
    "Recipient",
    "Supplier",
    "Year(s) of delivery",
    "SIPRI TIV of delivered weapons",
]

TIV_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("sub", pa.int64()),
        *ACTOR_FIELDS,
        ("year", pa.int32()),
        ("tiv", pa.float64()),
        ("tiv_orig", pa.string()),
    ]
)
TIDY_SCHEMA = pa.schema([f for f in TIV_SCHEMA if f.name != "sub"])
