"""Territories, parties and products named in a claim, linked to the store's keys.

Why gazetteers and not a named-entity model: no model may download at run time, the
region's spaCy pipelines are not installable, and the names that matter are few and known —
the territories (transship's normaliser with its English, Serbian Latin and Cyrillic
aliases), the parties in the store (sanctions lists, licences) and the munitions the weapon
table knows. What a gazetteer misses (a firm not in the store) is still reported as a party
mention without an id, so nothing is silently dropped.

Slavic case endings are the one twist: "Ukrajini", "Srbije", "Украине", "Сербии" are the
same countries as "Ukrajina", "Srbija", "Украина", "Сербия"; :func:`territory_of` tries the
nominative stems before giving up.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from transship.claims.model import EntityRef
from transship.exc import UnknownCode
from transship.normalise import territories

if TYPE_CHECKING:
    from transship.store import Store

_DATA = Path(__file__).resolve().parent.parent / "data"

#: Adjectives and short forms that name a territory ("Serbian firms", "Czech", "srpska").
_DEMONYMS: dict[str, Sequence[str]] = {
    "rs": (
        "serbian serbians serbs serb srpski srpska srpske srpskih srpskog srpsku srbi "
        "српски српска српске српских срби сербский сербская сербские сербских сербской "
        "сербии сербия сербію сербії сербська сербські сръбски сръбска serbski serbska "
        "serbskie serbii belgrade beograd београд белград"
    ).split(),
    "ua": (
        "ukrainian ukrainians ukrajinski ukrajinska ukrajinske ukrajinu ukrajini ukrajine "
        "украјински украјини украјину украјине украинский украинская украинские украину "
        "украине украины українські український україну україні україни украйна украйнски "
        "ukraiński ukraińskie ukrainie ukrainy ukrainę kyiv kiev kijev кијев киев київ"
    ).split(),
    "ru": (
        "russian russians ruski ruska ruske ruskih rusiji rusije rusiju руски руска руске "
        "русији русије российский российская российские россии россию русия руски "
        "rosyjski rosyjskie rosji rosję moscow moskva москва moskwa kremlin"
    ).split(),
    "cz": "czech czechs češki češka češke češku češkoj чешки чешская чешский чехии czeski czeskie czech republic prague praha".split(),
    "pl": "polish poles poljski poljska poljske poljsku poljskoj пољска польский польши польщі polski polskie polsce warsaw varšava".split(),
    "bg": "bulgarian bulgarians bugarski bugarska bugarske bugarsku bugarskoj бугарска болгарский болгарии болгарію български bułgarski bułgarii sofia".split(),
    "hu": "hungarian mađarski mađarska венгерский węgierski".split(),
    "ro": "romanian rumunski rumunija румынский rumuński".split(),
    "hr": "croatian hrvatski hrvatska hrvatske хрватски хорватский chorwacki".split(),
    "ba": (
        "bosnian bosanski bosanska bosanske bosna bosne bosni bosnu bosnom hercegovina "
        "hercegovine bih босански боснийский bośniacki"
    ).split(),
    "me": "montenegrin crnogorski crna gora црна гора черногорский".split(),
    "mk": "macedonian makedonski makedonija македонски македонский".split(),
    "sk": "slovak slovački словацкий słowacki".split(),
    "us": "american americans u.s. us usa united states amerika американски американский amerykański".split(),
    "gb": "british uk britain britanski британский brytyjski".split(),
    "fr": "french francuski francuska французский francuski".split(),
    "de": "german nemački njemački немецкий niemiecki".split(),
    "es": "spanish španski španjolski испанский hiszpański".split(),
    "il": "israeli izraelski израильский izraelski".split(),
    "cn": "chinese kineski китайский chiński".split(),
    "tr": "turkish turski турецкий turecki türkiye".split(),
    "by": "belarusian beloruski білоруський белорусский białoruski".split(),
    "ke": "kenyan".split(),
    "ng": "nigerian".split(),
    "ae": "emirati uae".split(),
    "sa": "saudi".split(),
    "at": "austrian".split(),
    "mt": "maltese".split(),
    "am": "armenian".split(),
    "xk": "kosovo kosova kosovu косово".split(),
}
_STEM_ENDINGS = (
    ("iji", "ija"),
    ("ije", "ija"),
    ("iju", "ija"),
    ("ijom", "ija"),
    ("ии", "ия"),
    ("ию", "ия"),
    ("ией", "ия"),
    ("ији", "ија"),
    ("ије", "ија"),
    ("ију", "ија"),
    ("ом", ""),
    ("oj", "a"),
    ("i", "a"),
    ("e", "a"),
    ("u", "a"),
    ("y", "a"),
    ("ę", "a"),
    ("е", "а"),
    ("и", "а"),
    ("у", "а"),
    ("ы", "а"),
    ("і", "а"),
    ("ї", "я"),
)

_PRODUCT_WORDS: dict[str, Sequence[str]] = {
    "ammunition": (
        "ammunition munitions municija municije municiju муниција муниције боеприпасы "
        "боеприпасов боєприпаси боєприпасів боеприпаси amunicja amunicji"
    ).split(),
    "shells": "shells shell granate granata снаряды снарядов снаряди снарядів pociski pocisków".split(),
    "rockets": "rockets rocket rakete raketa ракеты ракет ракети rakiety rakiet".split(),
    "small arms ammunition": ("small-arms", "small arms"),
    "howitzers": "howitzers howitzer haubice гаубицы гаубиці haubice".split(),
    "mortars": "mortars mortar minobacači минометы moździerze".split(),
    "explosives": "explosives eksploziv взрывчатка materiały".split(),
    "natural gas": ("gas", "gasa", "gaz", "газ", "газа"),
    "oil": ("oil", "nafta", "нафта", "нефть", "ropa"),
    "air defence systems": ("air defense systems", "air defence systems", "air defense"),
    # the class of launcher, in English and in the Russian and Ukrainian abbreviations
    "multiple rocket launchers": ("MLRS", "multiple rocket launchers", "РСЗО", "РСЗВ"),
    "jets": ("jets", "fighter jets"),
}


def _capitals() -> str:
    """A character class of every upper- and title-case letter of the Basic Multilingual
    Plane (Unicode categories Lu, Lt): Latin with its diacritics (Š, Ž, Č, Ć, Đ), Cyrillic
    (Ђ, Ћ, Ж, Ї, Ґ), Greek. A hand-written range such as ``Ā-Ž`` would take in the lower-case
    letters that alternate with the capitals there (ā, ć, š, ž)."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp)) in ("Lu", "Lt"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    parts = (re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges)
    return "[" + "".join(parts) + "]"


#: Every upper- and title-case letter, as one character class (the sentence splitter and
#: attribution read it too).
CAPITAL = _capitals()
#: A name: words that each start at a word boundary with a capital ("Krušik", "Šabac",
#: "Прва Петолетка"), joined by spaces or a linking word ("Bank of Serbia"). The look-behind
#: keeps a match from starting inside a word ("trećih" gives no "ćih").
_CAP = CAPITAL
_ORG = re.compile(
    rf"(?<!\w){_CAP}[\w’'&.-]*"
    rf"(?:\s+(?:(?:of|for|the|and|de|za|i)\s+|&\s*)?(?<!\w){_CAP}[\w’'&.-]*)*"
)
_COMMON_CAPS = frozenset(
    (
        "the a an in on at by for to of and or as since while however yet this these those "
        "it its their his her we they some most many several despite although though after "
        "before during with without between among nato un eu gdp mlrs u.s. un’s eu’s "
        "according per moscow’s belgrade’s serbia’s russia’s ukraine’s"
    ).split()
)


@cache
def _territory_names() -> dict[str, str]:
    out: dict[str, str] = {}
    path = _DATA / "territory_aliases.csv"
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            alias, code = row["alias"].strip().lower(), row["territory"].strip()
            if code and not code.startswith("zz") and len(alias) > 2:
                out.setdefault(alias, code)
    for t in territories.all_territories():
        if t.is_country and t.name:
            out.setdefault(t.name.lower(), t.code)
    for code, words in _DEMONYMS.items():
        for w in words:
            out.setdefault(w.lower(), code)
    return out


@cache
def territory_of(word: str) -> str | None:
    """Territory code for a name, alias, demonym or inflected form; None if unknown."""
    key = word.strip().lower().rstrip("’'s").strip() if word.endswith(("’s", "'s")) else word
    key = key.strip().lower()
    names = _territory_names()
    if key in names:
        return names[key]
    try:
        t = territories.from_name(word)
        if t.is_country:
            return t.code
    except (UnknownCode, ValueError):
        pass
    for ending, repl in _STEM_ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= 3:
            cand = key[: len(key) - len(ending)] + repl
            if cand in names:
                return names[cand]
    return None


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    ref: EntityRef


@cache
def _multi_word_names() -> re.Pattern[str]:
    multi = sorted((n for n in _territory_names() if " " in n), key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, multi)) + r")(?![\w])", re.I)


def find_territories(text: str, offset: int = 0) -> list[Mention]:
    """Territories named in the text (countries, their adjectives, capitals used for states)."""
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in _multi_word_names().finditer(text):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        code = _territory_names().get(m.group(0).lower())
        if code is None:
            continue
        taken.append(m.span())
        out.append(
            Mention(
                offset + m.start(),
                offset + m.end(),
                EntityRef("territory", m.group(0), code),
            )
        )
    for m in re.finditer(r"[^\W\d_][\w.’'-]*", text):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        word = m.group(0).rstrip(".")
        base = re.sub(r"[’']s$", "", word)
        if not base or (base[0].islower() and base.lower() not in ("u.s.",)):
            # lowercase adjectives are territory words in the region's languages ("srpska")
            if base.lower() not in _territory_names() or len(base) < 5:
                continue
        found = territory_of(base)
        if found is None:
            continue
        out.append(
            Mention(
                offset + m.start(),
                offset + m.start() + len(base),
                EntityRef("territory", base, found),
            )
        )
    out.sort(key=lambda x: x.start)
    return out


@cache
def _weapon_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    out: list[tuple[re.Pattern[str], str]] = []
    path = _DATA / "weapon_systems.csv"
    if path.exists():
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for name in row.get("weapon_system", "").split(" / "):
                    name = name.strip()
                    if len(name) >= 3:
                        out.append((re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])"), name))
    for canon, words in _PRODUCT_WORDS.items():
        alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        out.append((re.compile(rf"(?<![\w])(?:{alt})(?![\w])", re.I), canon))
    out.append((re.compile(r"(?<![\w])Grad(?![\w])"), "BM-21 Grad"))
    return tuple(out)


def find_products(text: str, offset: int = 0) -> list[Mention]:
    """Munitions, weapon systems and goods named in the text (calibres are separate)."""
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern, canon in _weapon_patterns():
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append(m.span())
            out.append(
                Mention(
                    offset + m.start(), offset + m.end(), EntityRef("product", m.group(0), canon)
                )
            )
    out.sort(key=lambda x: x.start)
    return out


class PartyIndex:
    """Party names from the store (the ``parties`` view: sanctions lists and other FtM
    entities), looked up by normalised n-grams so a large list stays fast."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.longest = max((len(n.split()) for n in names), default=0)

    @classmethod
    def from_store(cls, store: Store | None) -> PartyIndex:
        names: dict[str, str] = {}
        if store is None or "parties" not in store.tables():
            return cls(names)
        table = store.query("SELECT id, name, names, aliases FROM parties")
        for row in table.to_pylist():
            for value in [row["name"], *(row["names"] or []), *(row["aliases"] or [])]:
                if value and len(str(value)) >= 4:
                    names.setdefault(_norm(str(value)), str(row["id"]))
        return cls(names)

    def find(self, text: str, offset: int = 0) -> list[Mention]:
        if not self.names:
            return []
        tokens = list(re.finditer(r"[\w’'&.-]+", text))
        out: list[Mention] = []
        i = 0
        while i < len(tokens):
            hit = None
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                s, e = tokens[i].start(), tokens[i + n - 1].end()
                key = _norm(text[s:e])
                if key in self.names:
                    hit = (n, s, e, self.names[key])
                    break
            if hit:
                n, s, e, pid = hit
                out.append(Mention(offset + s, offset + e, EntityRef("party", text[s:e], pid)))
                i += n
            else:
                i += 1
        return out


@cache
def _is_currency(word: str) -> bool:
    from transship.claims.quantities import _CURRENCY_WORDS

    w = word.lower()
    return any(w == code.lower() or w in words for code, words in _CURRENCY_WORDS.items())


def _norm(name: str) -> str:
    return re.sub(r"[^\w]+", " ", name.lower()).strip()


_LINK_TAIL = re.compile(r"(?:\s+(?:of|for|the|and|de|za|i|&))*\s*$")


def _outside(
    text: str, offset: int, s: int, e: int, taken: list[tuple[int, int]]
) -> tuple[int, str] | None:
    """The last piece of the name ``text[s:e]`` (offsets with ``offset``) that no taken span
    covers: "Romania’s Romarm", "Bulgaria’s VMZ Sopot" give the name after the excluded
    part; "Elbit Systems for PULS" (a product or a date at the end) the name before it,
    without the linking word, but "National Bank of Serbia" and "Novi Sad" give nothing (a
    territory or what follows "of" belongs to the name). None when no piece starts with a
    capital."""
    cuts = sorted((max(a, s), min(b, e)) for a, b in taken if a < e and s < b)
    pieces: list[tuple[int, int]] = []
    at = s
    for a, b in cuts:
        if a > at:
            pieces.append((at, a))
        at = max(at, b)
    if at < e:
        pieces.append((at, e))
    for a, b in reversed(pieces):
        piece = text[a - offset : b - offset]
        lead = len(piece) - len(re.sub(r"^(?:[’']s)?\s*", "", piece))
        piece = piece[lead:]
        if b < e:
            # a taken span follows: a product or a date ends the name ("Elbit Systems for
            # PULS", "Dmitry Peskov’s February 25"); a territory is part of it ("Novi Sad",
            # "Naftna Industrija Srbije"), and so is anything after "of" ("Bank of ...")
            after = next(text[x - offset : y - offset] for x, y in cuts if x == b)
            tail = _LINK_TAIL.search(piece)
            if territory_of(after) is not None or (
                tail and re.search(r"\b(?:of|de)\b", tail.group(0))
            ):
                continue
            piece = piece[: tail.start()] if tail else piece
        if piece and piece[0].isupper():
            return a + lead, piece
    return None


def find_parties(
    text: str,
    offset: int = 0,
    index: PartyIndex | None = None,
    exclude: list[tuple[int, int]] | None = None,
) -> list[Mention]:
    """Parties: the store's names first (linked), then other capitalised names that are not
    territories, months, credited sources or sentence-initial function words (unlinked)."""
    from transship.claims.dates import month_names

    found = index.find(text, offset) if index is not None else []
    taken = [(m.start, m.end) for m in found] + list(exclude or [])
    for m in _ORG.finditer(text):
        s, e = offset + m.start(), offset + m.end()
        raw = m.group(0)
        if any(a < e and s < b for a, b in taken):
            piece = _outside(text, offset, s, e, taken)
            if piece is None:
                continue
            s, raw = piece
        name = re.sub(r"[’']s$", "", raw).strip(" .")
        words = name.split()
        while words and (words[0].lower() in _COMMON_CAPS or words[0].lower() in month_names()):
            words = words[1:]
        if not words:
            continue
        name = " ".join(words)
        if territory_of(name) is not None or all(territory_of(w) for w in words):
            continue
        if len(words) == 1 and (len(name) < 3 or name.lower() in _COMMON_CAPS):
            continue
        # "EUR 800 million", "Yugoimport SDPR and RSD 5 billion": a currency code is no party
        while words and _is_currency(words[-1]):
            words = words[:-1]
            while words and words[-1].lower() in ("and", "&", "i", "и"):
                words = words[:-1]
        if not words:
            continue
        name = " ".join(words)
        if any(territory_of(w) for w in words[:1]) and len(words) == 1:
            continue
        start = s + raw.find(name)
        found.append(Mention(start, start + len(name), EntityRef("party", name, None)))
    found.sort(key=lambda x: x.start)
    return found
