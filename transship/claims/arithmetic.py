"""Arithmetic and currency: the figures of one claim checked against each other.

Parts stated beside a total that add up to more than the total, a percentage beside its parts
that does not match them, an amount in EUR beside USD at a rate far from the ECB's mean of the
year, and a share of GDP beside an amount (the implied GDP is shown for the reader to compare).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transship.claims.facts import ecb_rate
from transship.claims.findings import Finding
from transship.claims.sourced import SourcedClaim

_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_MONEY = re.compile(
    r"(?P<pre>€|\$|EUR|USD|US\$)\s?(?P<num>\d[\d,.]*)\s*(?P<mult>billion|bn|million|m|mn|thousand)?"
    r"(?![\w])|(?P<num2>\d[\d,.]*)\s*(?P<mult2>billion|bn|million|m|mn)?\s*(?P<post>EUR|USD|euros?|"
    r"dollars?)\b",
    re.I,
)
_PCT = re.compile(
    r"(\d+(?:[.,]\d+)?)\s?(%|percent|per cent|posto|odsto|одсто|посто|процент\w*|"
    r"відсот\w*|procent\w*)",
    re.I,
)
_MULT = {"billion": 1e9, "bn": 1e9, "million": 1e6, "m": 1e6, "mn": 1e6, "thousand": 1e3}


@dataclass(slots=True)
class Amount:
    """A money amount as written: value (multiplier applied), currency, where and the words."""

    value: float
    currency: str
    start: int
    end: int
    text: str


def amounts_in(text: str) -> list[Amount]:
    """Money amounts written in a text (``€800 million``, ``USD 1.094 billion``, ``42.17 m``
    after a currency named earlier in the same text)."""
    out: list[Amount] = []
    for m in _MONEY.finditer(text):
        num = m.group("num") or m.group("num2")
        mult = (m.group("mult") or m.group("mult2") or "").lower()
        cur = (m.group("pre") or m.group("post") or "").upper()
        cur = {"€": "EUR", "$": "USD", "US$": "USD", "EUROS": "EUR", "EURO": "EUR"}.get(cur, cur)
        cur = "USD" if cur.startswith("DOLLAR") else cur
        try:
            value = (
                float(num.replace(",", ""))
                if num.count(",") != 1 or len(num.split(",")[1]) == 3
                else float(num.replace(",", "."))
            )
        except ValueError:
            continue
        out.append(Amount(value * _MULT.get(mult, 1.0), cur, m.start(), m.end(), m.group(0)))
    # "42.17 m" after "USD 110 m": bare amounts with a multiplier take the text's currency
    if out:
        cur = out[0].currency
        for m in re.finditer(r"(?<![\w.$€])(\d[\d,.]*)\s*(m|million|bn|billion)\b", text):
            if any(a.start <= m.start() < a.end for a in out):
                continue
            try:
                v = float(m.group(1).replace(",", ""))
            except ValueError:
                continue
            out.append(Amount(v * _MULT[m.group(2).lower()], cur, m.start(), m.end(), m.group(0)))
    out.sort(key=lambda a: a.start)
    return out


def amounts_of(sc: SourcedClaim) -> list[Amount]:
    """Money amounts of a claim's words: in English by :func:`amounts_in`; in the region's
    languages by the extractor's quantity rules ("800 miliona evra (oko 955 miliona dolara)",
    decimal commas, scale words in each language)."""
    text = sc.claim.text
    lang = (sc.document.language or "").lower()
    if not lang or lang == "und" or lang.startswith("en"):
        return amounts_in(text)
    from transship.claims.quantities import find_quantities

    out = [
        Amount(m.quantity.value, m.quantity.currency, m.start, m.end, m.quantity.wording)
        for m in find_quantities(text, sc.document.language)
        if m.quantity.kind == "money" and m.quantity.value is not None and m.quantity.currency
    ]
    return out or amounts_in(text)


def check_arithmetic(sc: SourcedClaim) -> list[Finding]:
    """Parts beside their total, a percentage beside its parts, EUR beside USD."""
    text = sc.claim.text
    out: list[Finding] = []
    amts = amounts_of(sc)
    year = sc.years[1] if sc.years else None
    # EUR beside USD: "EUR 800 million (about USD 855 million)"
    for a, b in zip(amts, amts[1:], strict=False):
        if {a.currency, b.currency} == {"EUR", "USD"} and b.start - a.end < 30:
            eur, usd = (a, b) if a.currency == "EUR" else (b, a)
            y, rate = ecb_rate(year)
            implied = usd.value / eur.value
            gap = implied / rate - 1
            if abs(gap) > 0.05:
                out.append(
                    Finding(
                        "currency.pair",
                        "medium",
                        [sc.id],
                        f"{eur.text!r} beside {usd.text!r} implies USD {implied:.4f} per euro; "
                        f"the ECB's {y} mean rate is {rate:.4f} ({gap:+.1%}).",
                        {"eur": eur.value, "usd": usd.value, "year": y, "ecb_rate": rate},
                    )
                )
    for segment_start, segment in _sentences(text):
        seg = [a for a in amts if segment_start <= a.start < segment_start + len(segment)]
        out += _parts(sc, text, seg)
    # a share and a total together: "EUR 1.34 billion ... 2.8% of GDP"
    pcts = [m for m in _PCT.finditer(text)]
    if len(amts) == 1 and len(pcts) == 1:
        of = re.match(
            r"\s*(?:of\s+)?(?:[\w’']+\s+){0,2}?(GDP|gross domestic product)",
            text[pcts[0].end() :],
            re.I,
        )
        if of:
            share = float(pcts[0].group(1).replace(",", "."))
            if share > 0:
                implied_total = amts[0].value * 100 / share
                out.append(
                    Finding(
                        "arithmetic.implied",
                        "low",
                        [sc.id],
                        f"{amts[0].text!r} being {share:g}% of GDP implies a GDP of "
                        f"{amts[0].currency} {implied_total / 1e9:,.1f} billion; compare with the "
                        "national accounts of the year.",
                        {"amount": amts[0].value, "share_pct": share, "implied": implied_total},
                    )
                )
    return out


def _sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pieces: a full stop followed by a space and a capital ends one
    (decimals such as ``42.17`` do not)."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in re.finditer(r"(?<=[\w)])\.\s+(?=[A-Z])", text):
        out.append((start, text[start : m.start() + 1]))
        start = m.end()
    out.append((start, text[start:]))
    return out


def _year_near(text: str, a: Amount) -> str | None:
    m = _YEAR.search(text[a.end : a.end + 12])
    return m.group(1) if m else None


def _parts(sc: SourcedClaim, text: str, amts: list[Amount]) -> list[Finding]:
    """The first amount of a sentence is its total; later amounts in the same currency, not
    tied to another year ("USD 698 million in 2016"), are its parts."""
    out: list[Finding] = []
    if len(amts) < 2:
        return out
    total = amts[0]
    year = _year_near(text, total)
    parts = [
        a for a in amts[1:] if a.currency == total.currency and _year_near(text, a) in (None, year)
    ]
    if not parts:
        return out
    if len(parts) >= 2 and sum(p.value for p in parts) > total.value * 1.001:
        out.append(
            Finding(
                "arithmetic.parts",
                "high",
                [sc.id],
                f"parts {', '.join(repr(p.text) for p in parts)} add up to "
                f"{sum(p.value for p in parts):,.0f}, more than the total {total.text!r} "
                f"({total.value:,.0f}).",
                {"total": total.value, "parts": [p.value for p in parts]},
            )
        )
    for p in parts:
        pm = _PCT.match(text[p.end : p.end + 12].lstrip(" (~about"))
        if pm and total.value:
            stated = float(pm.group(1).replace(",", "."))
            actual = 100 * p.value / total.value
            if abs(actual - stated) > max(1.0, stated * 0.05):
                out.append(
                    Finding(
                        "arithmetic.percent",
                        "medium",
                        [sc.id],
                        f"{p.text!r} is {actual:.1f}% of {total.text!r}, not the stated "
                        f"{stated:g}%.",
                        {"part": p.value, "total": total.value, "stated_pct": stated},
                    )
                )
    return out
