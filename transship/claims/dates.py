"""Dates and periods in text, in English and the region's languages.

Why not dateparser alone: it misses the forms these documents use most — Serbian genitive
months ("12. marta 2017", "12 марта"), year spans ("2023-2024", "September-October 2024"),
"since 2022" — and it cannot say where in the sentence a date is, which extraction needs to
tell a claim's period from its source's date. These rules are small, offline, and return
character spans.

Every mention becomes a :class:`DateMention` whose ``first``/``last`` are ISO prefixes at the
precision written (``2024``, ``2024-06``, ``2024-06-22``); a day and month without a year
("12 марта") and relative dates ("last year", "prošle godine", "в прошлом году") are resolved
against the document's date when one is given, and dropped when none is (never guessed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

DateKind = Literal["day", "month", "year", "range", "since", "until", "relative"]

#: Month forms by month number: nominative, genitive, locative (and short forms) per language.
_MONTH_FORMS: tuple[Sequence[str], ...] = (
    # en, sr/bs Latin, hr, sr Cyrillic, ru, uk, bg, pl
    (
        "january jan januar januara januaru siječanj siječnja siječnju "
        "јануар јануара јануару январь января январе січень січня січні януари "
        "styczeń stycznia styczniu"
    ).split(),
    (
        "february feb februar februara februaru veljača veljače veljači "
        "фебруар фебруара фебруару февраль февраля феврале лютий лютого лютому февруари "
        "luty lutego lutym"
    ).split(),
    (
        "march mar mart marta martu ožujak ožujka ožujku "
        "март марта марту марте березень березня березні "
        "marzec marca marcu"
    ).split(),
    (
        "april apr aprila aprilu travanj travnja travnju "
        "април априла априлу апрель апреля апреле квітень квітня квітні "
        "kwiecień kwietnia kwietniu"
    ).split(),
    (
        "may maj maja maju svibanj svibnja svibnju "
        "мај маја мају май мая мае травень травня травні "
        "maj maja maju"
    ).split(),
    (
        "june jun juni juna junu lipanj lipnja lipnju "
        "јун јуна јуну июнь июня июне червень червня червні юни "
        "czerwiec czerwca czerwcu"
    ).split(),
    (
        "july jul juli jula julu srpanj srpnja srpnju "
        "јул јула јулу июль июля июле липень липня липні юли "
        "lipiec lipca lipcu"
    ).split(),
    (
        "august aug avgust avgusta avgustu augusta augustu kolovoz kolovoza kolovozu "
        "август августа августу августе серпень серпня серпні "
        "sierpień sierpnia sierpniu"
    ).split(),
    (
        "september sep sept septembar septembra septembru rujan rujna rujnu "
        "септембар септембра септембру сентябрь сентября сентябре вересень вересня вересні "
        "септември wrzesień września wrześniu"
    ).split(),
    (
        "october oct oktobar oktobra oktobru listopad listopada listopadu "
        "октобар октобра октобру октябрь октября октябре жовтень жовтня жовтні октомври "
        "październik października październiku"
    ).split(),
    (
        "november nov novembar novembra novembru studeni studenoga studenog studenom "
        "новембар новембра новембру ноябрь ноября ноябре листопад листопада листопаді "
        "ноември"
    ).split(),
    (
        "december dec decembar decembra decembru prosinac prosinca prosincu "
        "децембар децембра децембру декабрь декабря декабре грудень грудня грудні декември "
        "grudzień grudnia grudniu"
    ).split(),
)
# "listopad" is October in Croatian and Polish but November in Ukrainian: the Cyrillic
# "листопад" is Ukrainian, so the Latin spelling keeps October.


@cache
def month_names() -> dict[str, int]:
    """Lower-case month form -> month number (1-12)."""
    out: dict[str, int] = {}
    for number, forms in enumerate(_MONTH_FORMS, start=1):
        for form in forms:
            out.setdefault(form, number)
    return out


@dataclass(slots=True)
class DateMention:
    """A date or period written in the text: [start, end) span, the words, and the ISO
    prefixes of its first and last day (equal for a single date)."""

    start: int
    end: int
    text: str
    first: str | None
    last: str | None
    kind: DateKind

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _month_alt() -> str:
    names = sorted(month_names(), key=len, reverse=True)
    return "|".join(re.escape(n) for n in names)


_YEAR = r"(?:1[89]\d\d|20\d\d)"
_SINCE = (
    r"(?:since|od|від|с|со|от|od\s+početka|since\s+the\s+start\s+of|"
    r"starting\s+in|beginning\s+in)"
)


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    m = f"(?:{_month_alt()})"
    b = r"(?<![\w.])"
    e = r"(?![\w])"
    day = r"(?:[0-3]?\d)"
    ys = r"(?:\s*(?:г\.|godine|године|года|року|година|roku|r\.)|\.)?"
    return [
        ("iso", re.compile(rf"{b}({_YEAR})-(\d\d)-(\d\d){e}")),
        ("dmy_num", re.compile(rf"{b}({day})\.\s?([01]?\d)\.\s?({_YEAR})\.?(?!\d)")),
        (
            "month_range",
            re.compile(rf"{b}({m})\.?\s*(?:-|–|—|to|and|i|и)\s*({m})\.?,?\s+({_YEAR}){e}", re.I),
        ),
        (
            "mdy",
            re.compile(rf"{b}({m})\.?\s+({day})(?:st|nd|rd|th)?,?\s+({_YEAR}){e}", re.I),
        ),
        ("dmy", re.compile(rf"{b}({day})\.?\s+(?:of\s+)?({m})\.?,?\s+({_YEAR}){ys}{e}", re.I)),
        (
            "part",
            re.compile(
                rf"{b}(?:(?:in\s+)?the\s+)?(first|second|1st|2nd|third|fourth|3rd|4th|"
                rf"prv(?:a|oj|e)|drug(?:a|oj|e)|перв(?:ом|ая|ой)|втор(?:ом|ая|ой)|"
                rf"pierwsz(?:ym|a|ej)|drugi(?:m|ej))\s+"
                rf"(half|quarter|polovin[aieu]|полугоди[иея]|kvartal[ua]?|квартал[еа]?|"
                rf"półroczu|kwartale)\s+(?:of\s+)?({_YEAR}){ys}{e}",
                re.I,
            ),
        ),
        ("quarter", re.compile(rf"{b}(H[12]|Q[1-4])\s*({_YEAR}){e}")),
        ("my", re.compile(rf"{b}({m})\.?,?\s+(?:of\s+)?({_YEAR}){ys}{e}", re.I)),
        ("dm", re.compile(rf"{b}({day})\.?\s+({m}){e}", re.I)),
        ("m", re.compile(rf"(?<![\w])(?:in|u|w|в|во|през|у)\s+({m}){e}", re.I)),
        ("year_range", re.compile(rf"{b}({_YEAR})\s*(?:-|–|—|/)\s*({_YEAR}|\d\d){e}")),
        (
            "year_range_words",
            re.compile(
                rf"{b}(?:between|from|od|з|с|от)\s+({_YEAR})\.?\s+(?:and|to|until|do|i|до|по|и)"
                rf"\s+({_YEAR})\.?{e}",
                re.I,
            ),
        ),
        ("since", re.compile(rf"{b}{_SINCE}\s+({_YEAR}){ys}{e}", re.I)),
        ("year", re.compile(rf"{b}({_YEAR}){ys}(?![\w\d%])")),
    ]


_RELATIVE: tuple[tuple[re.Pattern[str], str, int], ...] = tuple(
    (re.compile(rf"(?<!\w){p}(?!\w)", re.I), unit, delta)
    for p, unit, delta in (
        (r"today|danas|данас|сегодня|сьогодні|днес|dzi(?:siaj|ś)", "day", 0),
        (r"yesterday|juče|jučer|јуче|вчера|вчора|wczoraj", "day", -1),
        (
            r"last\s+year|prošle\s+godine|прошле\s+године|в\s+прошлом\s+году|"
            r"в\s+минулому\s+році|минулого\s+року|миналата\s+година|"
            r"w\s+(?:zeszłym|ubiegłym)\s+roku|u\s+prošloj\s+godini",
            "year",
            -1,
        ),
        (
            r"this\s+year|ove\s+godine|ове\s+године|в\s+этом\s+году|цього\s+року|"
            r"тази\s+година|w\s+tym\s+roku|earlier\s+this\s+year",
            "year",
            0,
        ),
        (
            r"next\s+year|sledeće\s+godine|sljedeće\s+godine|iduće\s+godine|следеће\s+године|"
            r"в\s+следующем\s+году|наступного\s+року|догодина|w\s+przyszłym\s+roku",
            "year",
            1,
        ),
        (
            r"last\s+month|prošlog\s+mes?eca|prošlog\s+mjeseca|прошлог\s+месеца|"
            r"в\s+прошлом\s+месяце|минулого\s+місяця|миналия\s+месец|w\s+zeszłym\s+miesiącu",
            "month",
            -1,
        ),
        (
            r"this\s+month|ovog\s+mes?eca|ovog\s+mjeseca|овог\s+месеца|в\s+этом\s+месяце|"
            r"цього\s+місяця|този\s+месец|w\s+tym\s+miesiącu",
            "month",
            0,
        ),
        (
            r"last\s+week|prošle\s+nedelje|prošlog\s+tjedna|прошле\s+недеље|"
            r"на\s+прошлой\s+неделе|минулого\s+тижня|миналата\s+седмица|w\s+zeszłym\s+tygodniu",
            "week",
            -1,
        ),
    )
)


def _ref(ref: str | date | None) -> date | None:
    if ref is None:
        return None
    if isinstance(ref, date):
        return ref
    m = re.match(r"(\d{4})(?:-(\d\d))?(?:-(\d\d))?", ref)
    if not m:
        return None
    return date(int(m[1]), int(m[2] or 1), int(m[3] or 1))


def _month(word: str) -> int | None:
    return month_names().get(word.lower().rstrip("."))


def _ymd(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _english_may(text: str, start: int, word: str) -> bool:
    """'may' as a verb is not a month: require the capital in English text."""
    return word.lower() == "may" and not word[0].isupper()


def find_dates(text: str, ref: str | date | None = None) -> list[DateMention]:
    """Every date or period in ``text``, left to right, without overlaps.

    ``ref`` is the document's date (ISO prefix or date): it resolves relative dates and a
    day-month without a year (the latest such date not after ``ref``)."""
    taken: list[tuple[int, int]] = []
    out: list[DateMention] = []
    refdate = _ref(ref)

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def add(s: int, e: int, first: str | None, last: str | None, kind: DateKind) -> None:
        if first is None and last is None:
            return
        taken.append((s, e))
        out.append(DateMention(s, e, text[s:e], first, last, kind))

    for name, pattern in _patterns():
        for m in pattern.finditer(text):
            s, e = m.span()
            if not free(s, e):
                continue
            g = m.groups()
            if name == "iso":
                d = _ymd(int(g[0]), int(g[1]), int(g[2]))
                add(s, e, d, d, "day")
            elif name == "dmy_num":
                d = _ymd(int(g[2]), int(g[1]), int(g[0]))
                add(s, e, d, d, "day")
            elif name == "month_range":
                if _english_may(text, s, g[0]) or _english_may(text, s, g[1]):
                    continue
                m1, m2, year = _month(g[0]), _month(g[1]), int(g[2])
                if m1 and m2:
                    add(s, e, _ymd(year, m1), _ymd(year, m2), "range")
            elif name == "mdy":
                if _english_may(text, s, g[0]):
                    continue
                d = _ymd(int(g[2]), _month(g[0]), int(g[1]))
                add(s, e, d, d, "day")
            elif name == "dmy":
                if _english_may(text, s, g[1]):
                    continue
                d = _ymd(int(g[2]), _month(g[1]), int(g[0]))
                add(s, e, d, d, "day")
            elif name == "part":
                year, word, unit_word = int(g[2]), g[0].lower(), g[1].lower()
                n = 1 if word[:3] in ("fir", "1st", "prv", "пер", "pie") else 2
                if word[:3] in ("thi", "3rd"):
                    n = 3
                elif word[:3] in ("fou", "4th"):
                    n = 4
                half = unit_word.startswith(("half", "polov", "полуг", "półr"))
                if half and n > 2:
                    continue
                span_months = 6 if half else 3
                first_m = (n - 1) * span_months + 1
                add(s, e, _ymd(year, first_m), _ymd(year, first_m + span_months - 1), "range")
            elif name == "quarter":
                year, code = int(g[1]), g[0]
                n, span_months = int(code[1]), (6 if code[0] == "H" else 3)
                first_m = (n - 1) * span_months + 1
                add(s, e, _ymd(year, first_m), _ymd(year, first_m + span_months - 1), "range")
            elif name == "m":
                if refdate is None or (g[0] == "may" or g[0].lower() in ("mar", "jan", "dec")):
                    continue
                month = _month(g[0])
                if month is None or len(g[0]) < 3:
                    continue
                year = refdate.year if month <= refdate.month else refdate.year - 1
                d = _ymd(year, month)
                add(s, e, d, d, "month")
            elif name == "my":
                if _english_may(text, s, g[0]):
                    continue
                d = _ymd(int(g[1]), _month(g[0]))
                add(s, e, d, d, "month")
            elif name == "dm":
                if refdate is None or _english_may(text, s, g[1]):
                    continue
                month, day = _month(g[1]), int(g[0])
                if month is None or not 1 <= day <= 31:
                    continue
                year = refdate.year
                d = _ymd(year, month, day)
                if d is not None and d > refdate.isoformat():
                    d = _ymd(year - 1, month, day)
                add(s, e, d, d, "day")
            elif name in ("year_range", "year_range_words"):
                y1 = int(g[0])
                y2 = int(g[1]) if len(g[1]) == 4 else (y1 // 100) * 100 + int(g[1])
                if y2 < y1 or y2 - y1 > 50:
                    continue
                add(s, e, f"{y1:04d}", f"{y2:04d}", "range")
            elif name == "since":
                add(s, e, f"{int(g[0]):04d}", None, "since")
            elif name == "year":
                add(s, e, f"{int(g[0]):04d}", f"{int(g[0]):04d}", "year")
    # "since/od/с March 2022" leaves the end open; "by/until/do 2024" the start
    for i, mention in enumerate(out):
        if mention.kind not in ("day", "month", "year"):
            continue
        before = text[max(0, mention.start - 12) : mention.start]
        if re.search(r"(?<!\w)(?:since|od|от|с|со|з|із|від|od\s+početka)\s+$", before, re.I):
            out[i] = DateMention(
                mention.start, mention.end, mention.text, mention.first, None, "since"
            )
        elif re.search(r"(?<!\w)(?:by|until|till|do|до|по)\s+$", before, re.I):
            out[i] = DateMention(
                mention.start, mention.end, mention.text, None, mention.last, "until"
            )
    if refdate is not None:
        for pattern, unit, delta in _RELATIVE:
            for m in pattern.finditer(text):
                s, e = m.span()
                if not free(s, e):
                    continue
                first, last = _relative(refdate, unit, delta)
                add(s, e, first, last, "relative")
    out.sort(key=lambda d: d.start)
    return out


@cache
def _day_month() -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.])[0-3]?\d\.?\s+(?:{_month_alt()})(?![\w])", re.I)


def date_like_spans(text: str) -> list[tuple[int, int]]:
    """Day-month mentions without a year ("12. марта"): dates even when no document date
    lets them be resolved, so their numbers are never read as quantities."""
    pattern = _day_month()
    return [
        x.span()
        for x in pattern.finditer(text)
        if not _english_may(text, 0, x.group(0).split()[-1])
    ]


def _relative(ref: date, unit: str, delta: int) -> tuple[str, str]:
    if unit == "day":
        d = (ref + timedelta(days=delta)).isoformat()
        return d, d
    if unit == "week":
        start = ref - timedelta(days=ref.weekday() + 7)
        return start.isoformat(), (start + timedelta(days=6)).isoformat()
    if unit == "month":
        index = ref.year * 12 + ref.month - 1 + delta
        iso = f"{index // 12:04d}-{index % 12 + 1:02d}"
        return iso, iso
    year = f"{ref.year + delta:04d}"
    return year, year


def period_of(mentions: list[DateMention]) -> tuple[str | None, str | None] | None:
    """One (first, last) period from the dates of a claim: the span from the earliest start
    to the latest end; "since X" leaves the end open."""
    if not mentions:
        return None
    firsts = [m.first for m in mentions if m.first]
    lasts = [m.last for m in mentions if m.last]
    open_end = any(m.kind == "since" for m in mentions)
    first = min(firsts) if firsts else None
    last = None if open_end and len(mentions) == 1 else (max(lasts) if lasts else None)
    return first, last
