"""What a claim is about: the facts the checks compare, read from an extracted claim.

Topic (what kind of source could publish the figure), product scope, years and periods,
territories as ISO3, the figure's dimension and point value, money at the ECB annual rate,
subjects and the trade direction its words give. These are plain functions of an
:class:`~transship.claims.model.ExtractedClaim` or its text, so each can be tested alone;
:func:`transship.claims.sourced.sourced` puts them together.
"""

from __future__ import annotations

import re

from transship.claims.model import ExtractedClaim
from transship.claims.sources import fold

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("poll", re.compile(r"\b(poll|survey|respondents|viewed|oppose[sd]?|support(ed)? by)\b", re.I)),
    ("losses", re.compile(r"\b(loss|losses|lost|destroyed)\b", re.I)),
    ("sanctions", re.compile(r"\bsanction", re.I)),
    ("energy", re.compile(r"\b(gas|oil|bcm|cubic met|energy|fuel)\b", re.I)),
    ("military_expenditure", re.compile(r"\b(defen[cs]e budget|military (spending|expend))", re.I)),
    (
        "arms_trade",
        re.compile(
            r"\b(arms|defen[cs]e|ammunition|munitions?|shells?|rounds?|rockets?|weapons?|"
            r"artillery|military)\b",
            re.I,
        ),
    ),
    ("company", re.compile(r"\b(revenues?|profits?|turnover|annual financial)\b", re.I)),
    ("macro", re.compile(r"\b(gdp|growth|current account|deficit|inflation)\b", re.I)),
    ("trade", re.compile(r"\b(export|import|trade)", re.I)),
    ("protest", re.compile(r"\b(protest|protesters|participants|gathering)", re.I)),
)
_SMALL_ARMS = re.compile(
    r"\b(small[- ]arms?|rounds?|cartridges?|rifles?|7[.,]62|5[.,]56|9 ?mm|12[.,]7|14[.,]5)\b", re.I
)
_AMMUNITION = re.compile(
    r"\b(ammunition|munitions?|shells?|rockets?|mortars?|grenades?|projectiles?|"
    r"15[25] ?mm|12[02] ?mm|grad)\b",
    re.I,
)
_ARMS = re.compile(r"\b(arms|weapons?|defen[cs]e exports?|military equipment)\b", re.I)


#: Measures (as extraction names them) whose topic does not depend on the sentence's words.
MEASURE_TOPIC = {
    "deficit": "macro",
    "growth": "macro",
    "gdp": "macro",
    "inflation": "macro",
    "revenue": "company",
    "profit": "company",
    "opinion": "poll",
    "losses": "losses",
    "participants": "protest",
    "budget": "military_expenditure",
}


def topic_of(text: str, measure: str) -> str:
    """The topic a claim's figure belongs to (what kind of source could publish it).

    The measure phrase decides first; then the claim's text. A percentage "of GDP" is macro
    only when nothing else names the numerator ("defence exports ... 2.8% of GDP" is arms
    trade expressed against GDP)."""
    fixed = MEASURE_TOPIC.get((measure or "").strip().lower())
    if fixed:
        return fixed
    words = f"{measure} {text}"
    for name, rx in _TOPICS:
        if rx.search(words):
            return name
    return "other"


def scope_of(text: str, calibres: list[str]) -> str | None:
    """Product scope: ``small_arms`` (rifle/pistol rounds), ``ammunition`` (artillery,
    rockets, mortars), ``arms`` (weapons in general) or None."""
    if _SMALL_ARMS.search(text) and not re.search(r"\b(shells?|rockets?)\b", text, re.I):
        return "small_arms"
    if any(_small_calibre(c) for c in calibres) and not _AMMUNITION.search(text):
        return "small_arms"
    if _AMMUNITION.search(text) or calibres:
        return "ammunition"
    if _ARMS.search(text):
        return "arms"
    return None


def _small_calibre(calibre: str) -> bool:
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)", calibre)
    return m is not None and float(m.group(1).replace(",", ".")) < 20


def years_of(period: tuple[str | None, str | None] | None) -> tuple[int, int] | None:
    """(first, last) year of an ISO period: years are what sources and trade rows share."""
    if not period:
        return None
    ys = [int(p[:4]) for p in period if p and p[:4].isdigit()]
    if not ys:
        return None
    return (min(ys), max(ys))


def text_periods(text: str) -> list[tuple[int, int]]:
    """Periods the words of a claim give: ``2023-2024``, ``in 2023``, ``since February 2022``
    (to the latest year named, or the same year)."""
    out: list[tuple[int, int]] = []
    for m in re.finditer(r"\b(20\d\d)\s*[-–/]\s*(20\d\d)\b", text):
        out.append((int(m.group(1)), int(m.group(2))))
    for m in re.finditer(r"\bsince\s+(?:[A-Z][a-z]+\s+)?(20\d\d)\b", text):
        out.append((int(m.group(1)), -1))
    return out


def territory_code(value: str | None) -> str | None:
    """ISO3 of a territory written as ISO2, ISO3 or a name; the text upper-cased otherwise."""
    if not value:
        return None
    from transship.normalise.territories import lookup

    try:
        t = lookup(value)
    except Exception:  # noqa: BLE001 - an unknown place stays as written
        return value.strip().upper()
    return t.iso3 or t.code.upper()


def dimension_of(claim: ExtractedClaim) -> str | None:
    """What the figure measures in: ``money``, ``percent`` or ``<kind>:<unit>`` (figures
    compare only within one dimension); None without a figure."""
    q = claim.quantity
    if q is None or (q.value is None and q.low is None):
        return None
    if q.kind == "money" or q.currency:
        return "money"
    if q.kind == "percent" or (q.unit or "").lower() in ("percent", "%"):
        return "percent"
    return f"{q.kind}:{(q.unit or '').lower()}"


def point(claim: ExtractedClaim) -> float | None:
    """One number for the figure: its value, else the geometric middle of its range (figures
    spread over orders of magnitude), else whichever end it gives."""
    q = claim.quantity
    if q is None:
        return None
    if q.value is not None:
        return q.value
    if q.low is not None and q.high is not None:
        return (q.low * q.high) ** 0.5 if q.low > 0 else (q.low + q.high) / 2
    return q.low if q.low is not None else q.high


def quantity_wording(claim: ExtractedClaim) -> str:
    """The exact words of the claim's quantity ("EUR 800 million"), or "" when it has none."""
    q = claim.quantity
    return q.wording if q is not None and q.wording else ""


def ecb_rate(year: int | None) -> tuple[int, float]:
    """(year used, USD per EUR): the ECB annual mean rate of ``year``, or of the nearest
    shipped year (the latest when the year is unknown), so every claim gets a rate."""
    from transship.normalise.money import rate_years, usd_per_eur

    first, last = rate_years()
    y = min(max(year or last, first), last)
    return y, usd_per_eur(y)


def money_values(
    amount: float, currency: str | None, year: int | None
) -> tuple[float | None, float | None]:
    """(USD, EUR) at the ECB annual mean rate of ``year`` (:func:`ecb_rate`)."""
    if currency not in ("EUR", "USD"):
        return None, None
    _y, rate = ecb_rate(year)
    if currency == "USD":
        return amount, amount / rate
    return amount * rate, amount


def subjects_of(claim: ExtractedClaim) -> frozenset[str]:
    """``kind:id`` keys of what the claim is about (territories as ISO3), so two tellings of
    one figure can be matched whatever their wording."""
    keys: set[str] = set()
    for e in claim.subject:
        if e.kind == "territory":
            keys.add(f"territory:{territory_code(e.id or e.text)}")
        else:
            keys.add(f"{e.kind}:{(e.id or fold(e.text))}".lower())
    return frozenset(keys)


_TRADE_DIRECTION = (
    (re.compile(r"\b([A-Z][\w-]+)['’]s (?:\w+ ){0,2}exports to ([A-Z][\w-]+)"), False),
    (re.compile(r"\bexports from ([A-Z][\w-]+) to ([A-Z][\w-]+)"), False),
    (re.compile(r"\b([A-Z][\w-]+)['’]s (?:\w+ ){0,2}imports from ([A-Z][\w-]+)"), True),
)


def direction_in(text: str) -> tuple[str | None, str | None]:
    """(origin, destination) ISO3 from "Serbia's exports to China", "exports from A to B",
    "A's imports from B" (-> B, A), when extraction gave no direction; (None, None) else."""
    from transship.normalise.territories import lookup

    for rx, reverse in _TRADE_DIRECTION:
        m = rx.search(text)
        if not m:
            continue
        try:
            a, b = lookup(m.group(1)).iso3, lookup(m.group(2)).iso3
        except Exception:  # noqa: BLE001 - not territories: no direction
            continue
        if a and b:
            return (b, a) if reverse else (a, b)
    return None, None
