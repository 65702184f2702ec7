"""Amounts in text: money, counts, percentages, volumes and masses, in the region's languages.

Why hand-written rules: the figures analysts compare are written a dozen ways for the same
number — "€1,2 mlrd", "1,6 milijardi evra", "800 млн евро", "$855m", "USD 409.05 million" —
and a general number parser gets the decimal comma, the scale word or the currency wrong in
just the cases that matter. Each match keeps its exact ``wording`` and span, so a reader can
check the number against the words.

Two things that look like quantities are not: calibres (``155mm``, ``122-мм``, ``7.62x39``)
are returned separately by :func:`find_calibres` and never counted; and years or day numbers
inside a date are skipped (pass the date spans). Vague amounts ("hundreds of thousands of
shells", "сотни тысяч снарядов") become a range with ``value`` None and the words kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from transship.claims.model import Quantity, QuantityKind
from transship.exc import InvalidInput
from transship.normalise.military import calibre as canonical_calibre

# -- vocabularies ---------------------------------------------------------------------------

_SCALES: dict[float, Sequence[str]] = {
    1e3: (
        "thousand thousands k tys tys. tysięcy tysiące tysiąc hiljada hiljade hiljadu "
        "tisuća tisuće tisuću хиљада хиљаде хиљаду тысяч тысячи тысяча тыс тыс. тис тис. "
        "тисяч тисячі тисяча хил. хиляди хиляда"
    ).split(),
    1e6: (
        "million millions m mn mln mln. milion miliona milioni milionów miliony milijun "
        "milijuna milijuni милион милиона милиони миллион миллиона миллионов млн млн. "
        "мільйон мільйона мільйонів мільйони милиона миллионы"
    ).split(),
    1e9: (
        "billion billions bn b bln mld mld. mlrd mlrd. milijarda milijardi milijarde "
        "milijardu miliard miliardy miliardów miliarda милијарда милијарди милијарде "
        "миллиард миллиарда миллиардов млрд млрд. мільярд мільярда мільярдів милиард "
        "милиарда"
    ).split(),
    1e12: "trillion trillions tn trn bilion biliona bilionów трлн трлн. триллион".split(),
}

_CURRENCY_WORDS: dict[str, Sequence[str]] = {
    "EUR": ("eur euro euros eura evra evro евра евро євро еура euro").split(),
    "USD": (
        "usd us$ dollars dollar dolara dolari dolar долара долари долларов доллара доллар "
        "доларів долари долара dolarów dolary"
    ).split(),
    "RSD": "rsd dinara dinar dinari динара динар динари дин.".split(),
    "CZK": "czk kč korun koruna crowns kruna krune kruna крона крон крони koron".split(),
    "BGN": "bgn лв лв. лева лев leva".split(),
    "PLN": "pln zł złotych złote".split(),
    "RUB": "rub рублей рубля рубль руб. руб".split(),
    "UAH": "uah гривень гривні грн грн.".split(),
    "HRK": "hrk kuna kune".split(),
    "BAM": "bam km maraka".split(),
    "GBP": "gbp pounds".split(),
}
_CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "us$": "USD", "£": "GBP", "₽": "RUB", "₴": "UAH"}

#: Count units with a canonical name; any other noun after a number is kept as written.
_COUNT_UNITS: dict[str, Sequence[str]] = {
    "shells": (
        "shells shell granata granate granati снарядов снаряда снаряди снарядів снаряд "
        "гранати граната pocisków pociski pocisk"
    ).split(),
    "rounds": (
        "rounds round cartridges cartridge metaka metak naboja naboji патронов патрона метака "
        "патрони патронів патрон metci nabojów naboi"
    ).split(),
    "rockets": "rockets rocket rakete raketa rakiet rakiety ракет ракеты ракети ракета".split(),
    "missiles": "missiles missile projektila ракеты".split(),
    "mortar bombs": "mines".split(),
    "pieces": "pieces pcs pcs. komada комада штук шт. sztuk".split(),
}
_PERCENT_WORDS = (
    "per cent",
    *(
        "percent pct posto odsto procenata процента процентов відсотків відсотка "
        "процент procent procent. proc. proc одсто посто процената процента процентов на сто"
    ).split(),
)
_MASS_WORDS = "tonnes tonne tons ton t tona tone tonnes тонн тонны тона тони тонни тонн ton".split()
_BCM = re.compile(
    r"(?:bcm|billion\s+cubic\s+met(?:er|re)s?|cubic\s+met(?:er|re)s?|m3|m³|"
    r"kubnih\s+metara|kubika|кубометров|кубических\s+метров|куб\.?\s*м|кубних\s+метара|"
    r"кубічних\s+метрів|metrów\s+sześciennych)(?!\w)",
    re.I,
)

_NUMBER_WORDS: dict[str, float] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "half a": 0.5,
    "jedan": 1,
    "jednu": 1,
    "dva": 2,
    "dve": 2,
    "dvije": 2,
    "tri": 3,
    "один": 1,
    "одна": 1,
    "два": 2,
    "две": 2,
    "три": 3,
    "jeden": 1,
    "dwa": 2,
    "trzy": 3,
}

#: Vague amounts: pattern -> (low, high). Kept as ranges with their wording.
_VAGUE: tuple[tuple[str, float, float], ...] = (
    (
        r"hundreds\s+of\s+thousands|stotine\s+(?:hiljada|tisuća)|стотине\s+хиљада|"
        r"сотни\s+тысяч|сотні\s+тисяч|стотици\s+хиляди|setki\s+tysięcy",
        1e5,
        1e6,
    ),
    (
        r"tens\s+of\s+thousands|desetine\s+(?:hiljada|tisuća)|desetke\s+tisuća|"
        r"десетине\s+хиљада|десятки\s+тысяч|десятки\s+тисяч|десетки\s+хиляди|"
        r"dziesiątki\s+tysięcy",
        1e4,
        1e5,
    ),
    (
        r"tens\s+of\s+millions|desetine\s+miliona|десятки\s+миллионов|dziesiątki\s+milionów",
        1e7,
        1e8,
    ),
    (
        r"hundreds\s+of\s+millions|stotine\s+miliona|сотни\s+миллионов|setki\s+milionów",
        1e8,
        1e9,
    ),
    (r"millions\s+of|milioni|миллионы|мільйони|miliony", 1e6, 1e7),
    (
        r"thousands\s+of|hiljade|tisuće|хиљаде|тысячи|тисячі|хиляди|tysiące",
        1e3,
        1e4,
    ),
    (r"hundreds\s+of|stotine|стотине|сотни|сотні|стотици|setki", 100, 1e3),
    (r"dozens\s+of|desetine|десетине|десятки|dziesiątki", 24, 100),
)

_QUALIFIERS = {
    "at_least": r"at\s+least|more\s+than|over|in\s+excess\s+of|exceeded|exceeding|"
    r"najmanje|više\s+od|preko|най-малко|над|более|свыше|не\s+менее|понад|ponad|co\s+najmniej",
    "at_most": r"up\s+to|as\s+many\s+as|at\s+most|less\s+than|under|do|до|najviše|manje\s+od|"
    r"менее|не\s+более|менше|poniżej|mniej\s+niż",
    "about": r"about|approximately|approx\.?|around|roughly|nearly|almost|some|an\s+estimated|"
    r"estimated|oko|približno|otprilike|skoro|gotovo|около|примерно|почти|приблизно|майже|"
    r"близо|około|prawie|blisko",
}
_STOP_AFTER = frozenset(
    (
        "in of for to from by per and or the a an with on at as since until which that was "
        "were is are be been its their his her this these those than annually each year "
        "years percent u od za iz i je su do na sa po в и на из за от по с у для до що і "
        "them it us you those these whom what who all both each other others which them"
    ).split()
)
#: Endings of Slavic adjectives: "60 товарни полета", "12 nowych czołgów" take the noun too.
_ADJ_END = r"(?:ни|ne|ni|ски|ска|ские|ских|ых|ые|ий|ый|ая|ие|ski|ska|skih|owe|owych|nih|ih)$"
_GENERIC_MODIFIERS = frozenset(
    (
        "armored armoured artillery cargo small natural military mercenary global arms "
        "air new old heavy light combat main battle ammunition tank"
    ).split()
)

# -- patterns -------------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:(?:[,.]|[ \u00a0\u202f](?=\d{3}(?!\w)))\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_CALIBRE = re.compile(
    r"(?<![\w.,])(?:"
    r"\d{1,2}[.,]\d{1,2}\s?[x×х]\s?\d{2,3}(?:(?-i:R)(?![\w]))?(?:\s?(?:mm|мм))?"  # 7.62x39, 7,62×54R
    r"|\d{1,3}(?:[.,]\d{1,2})?(?:\s?-\s?|\s)?(?:mm|мм|millimet(?:er|re))(?![a-zа-я])"
    r"|\.(?:50|45|308|338|223)\s?(?:BMG|cal\.?|calibre|caliber)?"
    r")",
    re.I,
)


@dataclass(slots=True)
class QuantityMention:
    """A quantity and where it is: [start, end) in the text it was found in."""

    start: int
    end: int
    quantity: Quantity


@dataclass(slots=True)
class CalibreMention:
    start: int
    end: int
    text: str
    calibre: str


@cache
def _scale_words() -> dict[str, float]:
    return {w: scale for scale, words in _SCALES.items() for w in words}


@cache
def _currency_words() -> dict[str, str]:
    return {w: code for code, words in _CURRENCY_WORDS.items() for w in words}


@cache
def _count_words() -> dict[str, str]:
    return {w: unit for unit, words in _COUNT_UNITS.items() for w in words}


def _alt(words: list[str] | tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@cache
def _re_scale() -> re.Pattern[str]:
    return re.compile(rf"\s?(?:{_alt(list(_scale_words()))})(?![\w])", re.I)


@cache
def _re_currency_after() -> re.Pattern[str]:
    words = list(_currency_words()) + ["€", "$"]
    return re.compile(rf"\s?(?:{_alt(words)})(?![\w])", re.I)


@cache
def _re_currency_before() -> re.Pattern[str]:
    codes = [w for w in _currency_words() if w.isascii() and len(w) == 3 and w.isalpha()]
    syms = list(_CURRENCY_SYMBOLS)
    return re.compile(rf"(?:(?<![\w])(?:{_alt(codes)})\s?|{_alt(syms)}\s?)$", re.I)


@cache
def _re_percent() -> re.Pattern[str]:
    return re.compile(rf"\s?(?:%|(?:{_alt(_PERCENT_WORDS)})(?![\w]))", re.I)


@cache
def _re_mass() -> re.Pattern[str]:
    return re.compile(rf"\s?(?:{_alt(_MASS_WORDS)})(?![\w])", re.I)


@cache
def _re_number() -> re.Pattern[str]:
    words = _alt(list(_NUMBER_WORDS))
    scales = _alt([w for s, ws in _SCALES.items() if s >= 1e3 for w in ws if len(w) > 2])
    return re.compile(
        rf"(?<![\w\-/.,])(?:(?P<num>{_NUM})|(?P<word>(?:{words}))(?=\s+(?:{scales})(?!\w)))",
        re.I,
    )


@cache
def _re_vague() -> re.Pattern[str]:
    return re.compile(
        "|".join(
            f"(?P<v{i}>(?<!\\w)(?<!\\d\\s)(?:{p})(?!\\w))" for i, (p, _, _) in enumerate(_VAGUE)
        ),
        re.I,
    )


@cache
def _re_qualifier() -> dict[str, re.Pattern[str]]:
    return {k: re.compile(rf"(?<!\w)(?:{p})\s*$", re.I) for k, p in _QUALIFIERS.items()}


# -- numbers --------------------------------------------------------------------------------


def parse_number(text: str, language: str | None = None, scaled: bool = False) -> float:
    """A written number as float, reading thousands and decimal separators by language.

    English writes ``1,234.5``; the region writes ``1.234,5`` and ``1 234,5``. A single
    separator followed by exactly three digits is ambiguous: thousands in English ("1,200"),
    and in the other languages a decimal only when a scale word follows ("1,340 milijardi")
    and thousands otherwise ("1.500 evra"). ``scaled`` says a scale word follows.
    """
    raw = text.strip().replace("\u00a0", " ").replace("\u202f", " ").replace("'", "")
    raw = raw.replace(" ", "")
    if not raw or not re.fullmatch(r"[\d.,]+", raw):
        raise InvalidInput(f"not a number: {text!r}")
    english = language is None or language.startswith("en")
    if "," in raw and "." in raw:
        dec = "," if raw.rfind(",") > raw.rfind(".") else "."
        thou = "." if dec == "," else ","
        return float(raw.replace(thou, "").replace(dec, "."))
    for sep in (",", "."):
        if sep in raw:
            parts = raw.split(sep)
            if len(parts) > 2:
                return float(raw.replace(sep, ""))
            frac = parts[1]
            if len(frac) != 3:
                return float(raw.replace(sep, "."))
            thousands = (sep == ",") if english else not (scaled and sep == ",")
            if not english and sep == "." and not scaled:
                thousands = True
            if english and sep == ".":
                thousands = False
            return float(raw.replace(sep, "")) if thousands else float(raw.replace(sep, "."))
    return float(raw)


# -- calibres -------------------------------------------------------------------------------


def find_calibres(text: str) -> list[CalibreMention]:
    """Calibres written in the text (``155mm``, ``122-мм``, ``7.62x39``), canonical form
    from :func:`transship.normalise.military.calibre`."""
    out: list[CalibreMention] = []
    for m in _CALIBRE.finditer(text):
        written = m.group(0).strip()
        try:
            canon = canonical_calibre(written.replace("-", "").replace("millimetre", "mm"))
        except InvalidInput:
            continue
        out.append(CalibreMention(m.start(), m.start() + len(written), written, canon))
    return out


# -- quantities -----------------------------------------------------------------------------


def _kind_for(unit: str | None, currency: str | None) -> QuantityKind:
    if currency:
        return "money"
    if unit == "percent":
        return "percent"
    if unit == "bcm":
        return "volume"
    if unit == "tonnes":
        return "mass"
    return "count"


def _skip_blocked(text: str, pos: int, blocked: list[tuple[int, int]]) -> int:
    """Move past whitespace and any calibre span that starts right here ("100,000 155mm
    shells": the calibre sits between the number and its unit)."""
    while True:
        p = pos
        while p < len(text) and text[p] in " \u00a0-":
            p += 1
        for a, b in blocked:
            if a == p:
                pos = b
                break
        else:
            return pos


def _unit_after(text: str, pos: int) -> tuple[str | None, str | None, int]:
    """(unit, currency, end) of the words right after a number (and its scale)."""
    rest = text[pos : pos + 60]
    m = _re_percent().match(rest)
    if m:
        return "percent", None, pos + m.end()
    m = _re_currency_after().match(rest)
    if m:
        word = m.group(0).strip().lower()
        code = _CURRENCY_SYMBOLS.get(word) or _currency_words().get(word)
        if code:
            return code, code, pos + m.end()
    m = re.match(r"\s?", rest)
    lead = m.end() if m else 0
    m2 = _BCM.match(rest, lead)
    if m2:
        return "bcm", None, pos + m2.end()
    m = _re_mass().match(rest)
    if m and (m.group(0).strip().lower() != "t" or not re.match(r"\s?t[\w.]", rest)):
        return "tonnes", None, pos + m.end()
    return None, None, pos


def _noun_after(text: str, pos: int) -> tuple[str | None, int]:
    """A count's unit: the noun phrase after the number ("65 artillery systems" ->
    "artillery systems", head "systems"), canonical for known munitions."""
    words = list(re.finditer(r"\s+(?:of\s+)?([^\W\d_][\w’'-]*)", text[pos : pos + 60]))
    phrase: list[str] = []
    end = pos
    expect = 0
    for w in words:
        if w.start() != expect:
            break
        token = w.group(1)
        low = token.lower()
        if low in _STOP_AFTER or (token[0].isupper() and not phrase and low not in _count_words()):
            break
        phrase.append(low)
        end = pos + w.end()
        expect = w.end()
        if low in _count_words() or low not in _GENERIC_MODIFIERS or len(phrase) >= 3:
            if low in _GENERIC_MODIFIERS and len(phrase) < 3:
                continue
            break
    # a known unit a few words on: "hundreds of thousands of MLRS and howitzer shells"
    ahead = re.match(r"[^,.;:()\n]{0,60}", text[pos:])
    if ahead:
        for k, w in enumerate(re.finditer(r"[^\W\d_]+", ahead.group(0))):
            if k >= 6:
                break
            if w.group(0).lower() in _count_words():
                return _count_words()[w.group(0).lower()], pos + w.end()
    if len(phrase) == 1 and re.search(_ADJ_END, phrase[0]) and len(words) > 1:
        nxt = words[1]
        if nxt.start() == words[0].end():
            low = nxt.group(1).lower()
            if low not in _STOP_AFTER:
                phrase.append(low)
                end = pos + nxt.end()
    if not phrase:
        return None, pos
    head = phrase[-1]
    canon = _count_words().get(head)
    if canon is None:
        for word in phrase:
            if word in _count_words():
                canon = _count_words()[word]
    return canon or " ".join(phrase), end


def _qualifier(text: str, start: int) -> tuple[str | None, int]:
    before = text[max(0, start - 30) : start]
    for kind, pattern in _re_qualifier().items():
        m = pattern.search(before)
        if m:
            return kind, start - (len(before) - m.start())
    return None, start


def find_quantities(
    text: str,
    language: str | None = None,
    blocked: list[tuple[int, int]] | None = None,
) -> list[QuantityMention]:
    """Every quantity in ``text`` with its span; numbers inside ``blocked`` spans (dates) and
    calibres are not quantities. A bare number with no unit is kept as a count only when it
    is not a year (1800-2099)."""
    calibres = [(c.start, c.end) for c in find_calibres(text)]
    block = sorted((blocked or []) + calibres)
    out: list[QuantityMention] = []
    taken_until = 0

    def inside(s: int, e: int) -> bool:
        return any(s < b and e > a for a, b in block)

    for m in _re_vague().finditer(text):
        if inside(*m.span()):
            continue
        idx = int(next(k for k, v in m.groupdict().items() if v)[1:])
        _, vlow, vhigh = _VAGUE[idx]
        end = _skip_blocked(text, m.end(), block)
        unit, currency, uend = _unit_after(text, end)
        if unit is None:
            unit, uend = _noun_after(text, end)
        q = Quantity(None, vlow, vhigh, unit, "range", currency, text[m.start() : uend].strip())
        out.append(QuantityMention(m.start(), uend, q))
        block.append((m.start(), uend))

    lone = re.compile(
        rf"(?<![\w])(?:(?:{_QUALIFIERS['about']})\s+(?:a\s+)?|a\s+)"
        r"(million|миллиона|миллион|мільйона|мільйон|miliona|milion|милиона|милион|milijun|"
        r"milijuna)(?=\s+[^\W\d_])",
        re.I,
    )
    for m in lone.finditer(text):
        s, e = m.start(1), m.end(1)
        if inside(s, e):
            continue
        unit, uend = _noun_after(text, e)
        if unit is None:
            continue
        qual, qstart = _qualifier(text, s)
        q = Quantity(1e6, 1e6, 1e6, unit, _kind_for(unit, None), None, text[qstart:uend].strip())
        out.append(QuantityMention(qstart, uend, q))
        block.append((qstart, uend))

    for m in _re_number().finditer(text):
        s, e = m.span()
        if s < taken_until or inside(s, e):
            continue
        before = text[max(0, s - 6) : s]
        cur = _re_currency_before().search(before)
        currency = None
        start = s
        if cur:
            word = cur.group(0).strip().lower()
            currency = _CURRENCY_SYMBOLS.get(word) or _currency_words().get(word)
            start = s - len(cur.group(0))
        pos = e
        # a range: "1.1-1.3", "275,000 to 325,000", "70-80"
        second: str | None = None
        r = re.match(rf"\s*(?:-|–|—|to|do|до|и|and)\s*(?:€|\$)?\s*({_NUM})", text[pos : pos + 40])
        if r and not inside(pos + r.start(1), pos + r.end(1)):
            second = r.group(1)
            pos += r.end()
        sm = _re_scale().match(text, pos)
        scale = 1.0
        money = [x for x in out if x.quantity.currency and s - x.end < 200]
        carry = money[-1].quantity.currency if money else None
        short = sm is not None and sm.group(0).strip().lower() in ("m", "b", "k", "t", "bn", "mn")
        if sm and short and currency is None and carry and sm.group(0).strip().lower() != "t":
            currency = carry  # "USD 110 m, Cyprus 42.17 m": the sentence's currency goes on
        if sm and not (short and currency is None):
            word = sm.group(0).strip().lower()
            scale = _scale_words().get(word, 1.0)
            pos = sm.end()
        try:
            if m.group("word"):
                first_value = float(_NUMBER_WORDS[m.group("word").lower()])
            else:
                first_value = parse_number(m.group("num"), language, scaled=scale > 1)
            second_value = (
                parse_number(second, language, scaled=scale > 1) if second is not None else None
            )
        except InvalidInput:
            continue
        bcm_scale = scale
        unit, cur2, uend = _unit_after(text, pos)
        if unit is None and currency is None:
            # the scale word may itself be read as a unit start: "2.4 billion cubic meters"
            pos_noun = _skip_blocked(text, pos, block)
            noun, nend = _noun_after(text, pos_noun)
            if noun is not None:
                unit, uend = noun, nend
        if cur2:
            currency = cur2
        if unit is None and currency is None and scale >= 1e6 and carry:
            currency = carry  # "USD 254.19 m, of which Russia 201.87 million"
        if currency and unit in (None, currency):
            unit = currency
        elif currency and unit not in (None, currency):
            # "$ 5 percent" does not happen; a currency before and a noun after:
            # "€6.50 per hour" -> money
            unit = currency
        if unit == "bcm":
            # value in billion cubic metres whatever the scale written
            bcm_scale = scale / 1e9
            scale = bcm_scale
        value = first_value * scale
        if unit is None and currency is None:
            raw = m.group("num") or ""
            if re.fullmatch(r"1[89]\d\d|20\d\d", raw) and second is None:
                continue  # a year, not an amount
            if re.match(r"['’]?s\b", text[e : e + 3]):
                continue  # a decade: "1990s"
            continue  # a bare number without unit: an ordinal, a page, a date part
        low: float | None = value
        high: float | None = value
        point: float | None = value
        if second_value is not None:
            low, high, point = first_value * scale, second_value * scale, None
            if high < low:
                continue
        qual, qstart = _qualifier(text, start)
        if qual == "at_least":
            high = None
        elif qual == "at_most":
            low = None
        end = max(uend, pos)
        wording = text[qstart:end].strip()
        kind = _kind_for(unit, currency)
        q = Quantity(point, low, high, unit, kind, currency, wording)
        out.append(QuantityMention(qstart, end, q))
        taken_until = end
    out.sort(key=lambda q: q.start)
    return out
