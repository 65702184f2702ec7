"""Who a sentence credits for what it says, and which claims each credit covers.

The grading downstream turns on this: "€800 million, according to the Financial Times" is a
claim *of the Financial Times* relayed by the document, and "Oryx data cited by the Institute
for the Study of War" is one origin (Oryx) and one relay (ISW). Rules, not a model, because
the cue words are few and closed per language ("according to", "per", "as reported by",
"cited by", "prema", "prenosi", "према", "по данным", "за даними", "według", "според"), and
a rule can say why it matched.

An :class:`Credit` is found with its span and the date written with it ("a May 29, 2025,
statement", "updated March 2024"); :func:`assign` decides which quantity each credit covers:
a credit after a clause ("..., per Eurostat") covers the clause before it; a credit that
opens the sentence ("According to X," / "A 2024 report by X found that") covers what
follows until the next credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from transship.claims.dates import DateMention, find_dates
from transship.claims.entities import CAPITAL
from transship.claims.model import Attribution
from transship.claims.sources_cell import is_sources_header as is_sources_header
from transship.claims.sources_cell import parse_sources_cell as parse_sources_cell

_CAP = rf"(?:{CAPITAL}[\w’'.&/-]*|\d+[A-Za-z]?\b(?=\s+{CAPITAL}))"
_CONNECT = r"(?:of|for|the|and|on|de|du|der|für|za|i|и|за|na|w|dla|in|&)"
_NAME = rf"(?:the\s+)?(?:[\w-]+-based\s+)?{_CAP}(?:\s+(?:{_CONNECT}\s+)*{_CAP}|\s*\([A-Z][A-Za-z0-9]{{1,8}}\))*"
_PUBLICATION = (
    r"(?:report|statement|survey|analysis|assessment|briefing|editorial|projection|poll|"
    r"data|database|study|estimate|estimates|figures|statistics|yearbook|review|update|"
    r"announcement|article|investigation|note|release|press\s+release|monitor|tracker|"
    r"izveštaj|izvještaj|izvješće|podaci|analiza|procena|procjena|istraživanje|"
    r"извештај|подаци|анализа|доклад|данные|отчет|отчёт|звіт|дані|raport|dane|analiza)"
)
_WORKS = (
    r"outlook|yearbook|database|report|update|statistics|summary|tracker|statement|"
    r"strategy|review|monitor|survey|poll|data"
)

#: Cues before the credited name: (pattern, role of the name, leading?).
_BEFORE: tuple[str, ...] = (
    r"according\s+to",
    r"per",
    r"as\s+(?:reported|noted|documented|cited|stated|estimated|highlighted|shown|detailed)"
    r"\s+(?:by|in)",
    r"(?:reported|documented|cited|published|compiled|estimated|confirmed)\s+by",
    r"citing",
    r"quoted\s+by",
    r"data\s+from",
    r"figures\s+from",
    r"sources?:",
    r"(?:a|an|the|its)?\s*" + _PUBLICATION + r"\s+(?:by|from|of)",
    r"съобщава|както\s+съобщава|по\s+данни\s+на|пише",
    r"prema(?:\s+(?:podacima|pisanju|navodima|izveštaju|izvještaju|procenama|procjenama))?",
    r"kako\s+(?:prenosi|piše|navodi|javlja|izveštava)",
    r"prenosi",
    r"prenose",
    r"navodi",
    r"piše",
    r"javlja",
    r"према(?:\s+(?:подацима|писању|наводима|извештају|проценама))?",
    r"преноси|наводи|пише|јавља|како\s+(?:преноси|пише|наводи|јавља)",
    r"по\s+(?:данным|информации|сведениям|оценкам|словам)",
    r"как\s+(?:сообщает|сообщил[аи]?|пишет|передает|передаёт)",
    r"сообщает",
    r"со\s+ссылкой\s+на",
    r"за\s+(?:даними|інформацією|оцінками|словами)",
    r"згідно\s+з(?:\s+(?:даними|оцінками|інформацією))?",
    r"як\s+(?:повідомляє|пише)",
    r"според(?:\s+(?:данните|данни|информация))?",
    r"według(?:\s+(?:danych|raportu|informacji|szacunków))?",
    r"jak\s+(?:podaje|podał[ao]?|informuje|pisze)",
    r"za\s+(?:danymi|informacjami)",
)
_RELAY = re.compile(
    rf"(?:\s+{_PUBLICATION})?,?\s*(?:(?:as\s+)?(?:cited|quoted|relayed|reported|published)\s+(?:by|via|in)|"
    r"via|через|preko|putem)\s+",
    re.I,
)
_SPEECH = (
    r"said|says|stated|states|told|reported|reports|estimated|estimates|noted|notes|found|"
    r"finds|warned|warns|announced|claimed|claims|alleged|alleges|acknowledged|wrote|writes|"
    r"highlighted|highlights|indicated|indicates|projects|projected|izjavio|izjavila|rekao|"
    r"rekla|saopštio|saopštila|navodi|navela|заявил|заявила|сообщил|сообщила|заявив|"
    r"заявила|повідомив|повідомила|каза|заяви|podał|stwierdził|poinformował|оценивала|"
    r"оценил|оценила|сообщила|писала|пишет|оцінює|оцінила|procenio|procijenio|procenjuje"
)
#: A speech verb that is also a plural noun ("African states", "press reports", "Gulf
#: states and ..."), read as the noun when a comma or a joining word follows it.
_PLURAL_NOUN = re.compile(
    r"(?:states|claims|reports|notes|estimates|finds|projects|highlights|indicates)"
    r"(?:\s*[,.;:)]|\s+(?:and|or|of|in|on|such|like|to|from|which|who|were|are|have|had|"
    r"with|for|as)\b)",
    re.I,
)
_NOT_NAMES = frozenset(
    (
        "the a an its his her their this that these those it he she they we which who "
        "serbia serbian in on at by for to of and or as since while however yet"
    ).split()
)


#: Credits that open what they cover ("X said that...", "X’s report notes that", "a 2024
#: Demostat poll indicated"); "per X", "according to X" mid-sentence and "(X, 2024)" close it.
_LEADING_CUES = frozenset(("speech", "possessive", "named publication"))

#: Placeholder name of a credit to the claim's own subject ("per its annual report"); the
#: extractor replaces it with the party the sentence is about, or drops it.
SELF = "<subject>"


@dataclass(slots=True)
class Credit:
    """A credit in the text: the credited name(s) (origin first for a relay chain), its span,
    and whether it opens what it covers (``leading``) or closes it."""

    start: int
    end: int
    names: list[Attribution]
    leading: bool = False
    cue: str = ""
    covers: list[tuple[int, int]] = field(default_factory=list)


def _span_of(name: str, text: str, start: int, end: int, offset: int) -> tuple[int, int]:
    """Document span of the cleaned ``name`` inside text[start:end] (articles and titles cut)."""
    at = text.find(name, start, end)
    if at < 0:
        return offset + start, offset + end
    return offset + at, offset + at + len(name)


def _clean_name(name: str) -> str:
    name = re.sub(r"^(?:the|a|an)\s+", "", name.strip(), flags=re.I)
    name = re.sub(r"^[\w-]+-based\s+", "", name)
    name = re.sub(r"^(?:Ранее|Раније|Ranije|Earlier|Also|Затем|Потом|Тогда|Wcześniej)\s+", "", name)
    name = re.sub(
        r"^(?:[A-Z][\w’']+\s+)?(?:President|Prime\s+Minister|Minister|[Ss]pokes(?:man|person)|"
        r"Director|Chief|Predsednik|Premijer|Президент|Премьер)\s+(?=[A-ZА-Я])",
        "",
        name,
    )
    # "Gazprom’s Annual Report" credits Gazprom; "Russia’s Foreign Intelligence Service" stays
    owner = re.match(r"(.+?)[’']s\s+(.*)$", name)
    if owner and (
        re.search(rf"(?:{_PUBLICATION}|{_WORKS})$", owner.group(2), re.I)
        or re.match(r"(?:\d{4}|[A-Z][a-z]+\s+\d{4})", owner.group(2))
    ):
        name = owner.group(1)
    name = re.sub(r"[’']s$", "", name)
    name = name.strip(" ,.;:’'\"“”")
    while True:
        cut = re.sub(rf"\s+{_CONNECT}$", "", name)
        if cut == name:
            break
        name = cut.strip(" ,")
    return name


def _in_date(pos: int, dates: list[DateMention]) -> DateMention | None:
    for d in dates:
        if d.start <= pos < d.end:
            return d
    return None


def _name_at(text: str, pos: int, dates: list[DateMention]) -> tuple[str, int, int] | None:
    """The credited name starting at ``pos`` (after articles, dates, "a 2024 report by").

    Returns (name, start, end) or None."""
    i = pos
    for _ in range(6):
        m = re.match(r"\s*(?:the|a|an|its|their|his|her|their)\s+", text[i:], re.I)
        if m:
            i += m.end()
            continue
        d = _in_date(i + len(text[i:]) - len(text[i:].lstrip()), dates)
        if d is not None:
            i = d.end
            m = re.match(r",?\s*", text[i:])
            i += m.end() if m else 0
            continue
        m = re.match(rf"\s*(?:[\w-]+\s+){{0,2}}{_PUBLICATION}\s+(?:by|from|of)\s+", text[i:], re.I)
        if m and not re.match(rf"\s*{CAPITAL}", text[i:]):
            i += m.end()
            continue
        break
    m = re.match(rf"\s*({_NAME})", text[i:])
    if not m:
        return None
    raw = m.group(1)
    # a name ends where a date begins ("the World Bank’s 2024 Economic Update"); the credit's
    # span still covers the whole phrase, so that date is the source's, not the claim's
    start = i + m.start(1)
    raw = raw.rstrip(" ,.;:")  # "per Eurostat." ends the sentence, not the name
    full_end = end = start + len(raw)
    for d in dates:
        if start < d.start < end:
            end = d.start
    raw = text[start:end].rstrip(" ,")
    # "according to SIPRI data", "the SIPRI database, updated March 2024": the credit goes on
    tail = re.match(rf"\s+(?:{_PUBLICATION})(?![\w])", text[full_end:], re.I)
    if tail and end == full_end:
        full_end += tail.end()
    name = _clean_name(raw)
    if not name or name.lower() in _NOT_NAMES:
        return None
    first = name.split()[0].lower().strip("’'")
    if first in _NOT_NAMES and len(name.split()) == 1:
        return None
    from transship.claims.dates import month_names

    if first in month_names() and len(name.split()) <= 2:
        return None
    return name, start, full_end


_BODY = re.compile(
    r"\s*(?:(?:figures|data|statistics|estimates)\s+(?:from|of|by)\s+)?(?:the\s+|a\s+)?"
    r"((?:[a-z][\w-]*\s+){0,3}(?:ministry|office|agency|service|institute|bank|council|"
    r"government|customs|authority|bureau|committee|statistics\s+office)"
    r"(?:\s+of\s+[\w-]+){0,2})(?![\w])"
)


def _body_at(text: str, pos: int) -> tuple[str, int, int] | None:
    """An institution written in lower case ("figures from the economy ministry")."""
    m = _BODY.match(text, pos)
    if not m:
        return None
    return m.group(1), m.start(1), m.end(1)


def _phrase_at(text: str, pos: int, dates: list[DateMention]) -> tuple[str, int, int] | None:
    """The credited name after a cue in the region's languages, where only the first word
    of an institution is capitalised ("Министарства трговине", "Službe spoljne
    obaveštajne"): the words up to the next punctuation (at most six); when no punctuation
    comes within six words, only the capitalised words ("Według Financial Times serbska...")."""
    m = re.match(r"\s*([^,.;:()\n]{1,80})", text[pos:])
    if not m:
        return None
    start = pos + m.start(1)
    phrase = m.group(1)
    for d in dates:
        if start <= d.start < start + len(phrase):
            phrase = phrase[: d.start - start]
    words = phrase.split()
    if not words:
        return None
    ended = start + len(m.group(1)) < len(text) and text[start + len(m.group(1))] in ",.;:()"
    if len(words) > 6 or not ended:
        caps: list[str] = []
        for w in words:
            if w[0].isupper() or (caps and re.fullmatch(r"[A-Z0-9&/.-]+", w)):
                caps.append(w)
            elif caps:
                break
        if not caps:
            return None
        words = caps
    name = " ".join(words).strip(" ,")
    if not name or name.lower() in _NOT_NAMES:
        return None
    s0 = text.index(words[0], start)
    return name, s0, s0 + len(name)


def _date_near(end: int, text: str, dates: list[DateMention], start: int) -> tuple[str | None, int]:
    """The date written with a credit: inside it, or right after (", updated March 2024",
    " on April 11, 2024", "’s April 2025 World Economic Outlook")."""
    for d in dates:
        if start <= d.start < end and d.first:
            return d.first, end
    rest = text[end : end + 40]
    m = re.match(
        r"(?:,\s*(?:updated|published|released|dated|issued)(?:\s+(?:on|in))?\s+|"
        r"\s+(?:from|of|on|in|for|dated)\s+|\s+)(?:the\s+)?",
        rest,
        re.I,
    )
    pos = end + (m.end() if m else 0)
    for d in dates:
        if d.start == pos and d.first and d.kind != "since":
            return d.first, d.end
    return None, end


@cache
def _cue_re() -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + "|".join(_BEFORE) + r")(?![\w])[:\s]*", re.I)


def find_credits(text: str, ref: str | None = None, offset: int = 0) -> list[Credit]:
    """Every credit in a sentence (or cell), left to right, spans shifted by ``offset``."""
    dates = find_dates(text, ref)
    out: list[Credit] = []
    taken: list[tuple[int, int]] = []
    cue_re = _cue_re()
    for m in cue_re.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        found = None
        own = re.match(
            rf"\s*(?:its|their|the\s+(?:company|firm|group|enterprise|ministry)[’']s|"
            rf"(?:a|the)\s+(?:company|firm|group|corporate))\s+"
            rf"(?:\d{{4}}\s+)?(?:[\w-]+\s+){{0,3}}?{_PUBLICATION}(?![\w])",
            text[m.end() :],
            re.I,
        )
        if own:
            s0, e0 = m.end() + own.start(), m.end() + own.end()
            own_dates = [d for d in dates if s0 <= d.start < e0 and d.first]
            first = own_dates[0].first if own_dates else None
            names = [Attribution(SELF, first, (offset + s0, offset + e0))]
            out.append(Credit(m.start() + offset, e0 + offset, names, cue=m.group(0).strip()))
            taken.append((m.start(), e0))
            continue
        if not m.group(0).isascii() or re.match(
            r"(?:prema|kako|prenos|navodi|piše|javlja|jak|za\s+dany|według)", m.group(0), re.I
        ):
            found = _phrase_at(text, m.end(), dates)
        if found is None:
            found = _name_at(text, m.end(), dates) or _body_at(text, m.end())
        if found is None:
            continue
        name, ns, ne = found
        date, end = _date_near(ne, text, dates, m.start())
        if date is None:
            before = [d for d in dates if m.start() - 30 <= d.start < m.start() and d.first]
            if before and re.match(
                rf"\s*(?:,\s*)?(?:{_PUBLICATION})", text[before[-1].end :], re.I
            ):
                date = before[-1].first
        names = [Attribution(name, date, _span_of(name, text, ns, ne, offset))]
        # relays: "X, cited by Y", "published via Sputnik"
        r = _RELAY.match(text, end)
        if r:
            relay = _name_at(text, r.end(), dates)
            if relay is not None:
                rname, rs, re_ = relay
                rdate, end = _date_near(re_, text, dates, r.start())
                names[0].role = "origin"
                names.append(
                    Attribution(rname, rdate, _span_of(rname, text, rs, re_, offset), "relay")
                )
        start = m.start()
        # "A June 22, 2024, report by X": the credit starts at the article and the date
        lead = re.search(
            r"(?:(?:^|\s)(?:a|an|the)\s+)?(?:[\w’',\s]{0,30})$", text[max(0, start - 40) : start]
        )
        prior = [d for d in dates if d.end <= start and start - d.end <= 3]
        if prior and re.match(rf"(?:a|an|the|its)?\s*{_PUBLICATION}", m.group(0), re.I):
            start = prior[-1].start
            art = re.search(r"(?:^|\s)(?:a|an|the)\s+$", text[max(0, start - 5) : start], re.I)
            if art:
                start -= len(art.group(0).lstrip())
        del lead
        out.append(Credit(start + offset, end + offset, names, cue=m.group(0).strip()))
        taken.append((start, end))
    # "a 2024 Demostat poll", "a March 2025 UN Security Council briefing"
    named = re.compile(
        rf"(?<![\w])(?:[Aa]|[Aa]n|[Tt]he)\s+((?:{CAPITAL}[a-z]+\.?\s+)?(?:\d{{1,2}},?\s+)?\d{{4}},?\s+)?"
        rf"({_NAME})\s+{_PUBLICATION}(?![\w])"
    )
    for m in named.finditer(text):
        if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
            continue
        name = _clean_name(m.group(2))
        if not name or name.split()[0].lower() in _NOT_NAMES:
            continue
        date = None
        if m.group(1):
            within = [d for d in dates if m.start(1) <= d.start < m.end(1) and d.first]
            date = within[0].first if within else None
        names = [Attribution(name, date, _span_of(name, text, m.start(2), m.end(2), offset))]
        out.append(Credit(m.start() + offset, m.end() + offset, names, cue="named publication"))
        taken.append(m.span())
    # "Gazprom’s Annual Report", "The World Bank’s October 2024 report notes that"
    poss = re.compile(
        rf"({_NAME})(?:[’']s|(?<=s)[’'])\s+(?:(?:[\w-]+,?\s+){{0,5}}){_PUBLICATION}(?![\w])"
        rf"(?:\s+(?:for|on)\s+\d{{4}})?",
        re.I,
    )
    for m in poss.finditer(text):
        if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
            continue
        name = _clean_name(m.group(1))
        if not name or name.split()[0].lower() in _NOT_NAMES or not name[0].isupper():
            continue
        date, end = _date_near(m.end(), text, dates, m.start())
        names = [Attribution(name, date, _span_of(name, text, m.start(1), m.end(1), offset))]
        out.append(Credit(m.start() + offset, end + offset, names, cue="possessive"))
        taken.append((m.start(), end))
    # "X said/estimated/reported ..." right before a speech verb
    # "its chief executive said", "the company said": the sentence's own party
    for m in re.finditer(
        rf"(?<![\w])(?:its|their|the\s+(?:company|firm|group|ministry)[’']s|the\s+company|"
        rf"the\s+firm)(?:\s+[a-z][\w-]*){{0,2}}\s+(?:{_SPEECH})(?![\w])",
        text,
    ):
        if any(a <= m.start() < b for a, b in taken):
            continue
        names = [Attribution(SELF, None, (offset + m.start(), offset + m.end()))]
        out.append(Credit(m.start() + offset, m.end() + offset, names, True, cue="speech"))
        taken.append(m.span())
    # "izjavio je ministar odbrane", "заявил министр обороны": the speaker after the verb
    for m in re.finditer(
        r"(?<![\w])(?:izjavio|izjavila|rekao|rekla|saopštio|saopštila|naveo|navela|изјавио|"
        r"изјавила|рекао|рекла)\s+(?:je\s+|је\s+)([^\W\d_][^\W\d_]*(?:\s+[^\W\d_]+){0,3})"
        r"(?=\s*[,.;]|$)",
        text,
    ):
        if any(a <= m.start() < b for a, b in taken):
            continue
        name = m.group(1)
        names = [Attribution(name, None, (offset + m.start(1), offset + m.end(1)))]
        out.append(Credit(m.start() + offset, m.end() + offset, names, cue="speech after"))
        taken.append(m.span())
    speech = re.compile(
        rf"({_NAME})(?:,[^,]{{3,60}},|\s+\d{{1,2}}\.?\s+[^\W\d_]+)?\s+(?:{_SPEECH})(?![\w])"
    )
    for m in speech.finditer(text):
        if any(a <= m.start(1) < b for a, b in taken):
            continue
        if _PLURAL_NOUN.match(text, m.end() - len(m.group().split()[-1])):
            continue  # "unspecified African states, using ...": a noun, not a verb
        name = _clean_name(m.group(1))
        if not name or name.split()[0].lower() in _NOT_NAMES or re.search(r"[’']s$", m.group(1)):
            continue
        from transship.claims.dates import month_names

        if name.split()[0].lower() in month_names():
            continue
        names = [Attribution(name, None, _span_of(name, text, m.start(1), m.end(1), offset))]
        end = m.end(1)
        # "the Financial Times reported, as cited by Kyiv Independent": origin, then relay
        r = _RELAY.match(text, m.end())
        relayed = r and next(
            (c for c in out if m.end() <= c.start - offset <= r.end() and len(c.names) == 1),
            None,
        )
        if relayed:
            out.remove(relayed)
            names[0].role = "origin"
            names.append(replace(relayed.names[0], role="relay"))
            end = relayed.end - offset
        out.append(Credit(m.start(1) + offset, end + offset, names, True, cue="speech"))
        taken.append((m.start(1), end))
    # parentheses: "(Demostat, 2024)", "(Newsweek, June 24, 2024)"
    for m in re.finditer(r"\(([^()]{2,90})\)", text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        inner = m.group(1)
        head = inner.split(",")[0].strip()
        if re.fullmatch(r"[A-Z][A-Za-z0-9]{1,8}", head) and "," not in inner:
            continue  # an acronym after its name: "(SVR)", "(MLRS)"
        if re.match(r"(?:e\.g\.|i\.e\.|see|incl)", head, re.I):
            continue
        found = _name_at(inner, 0, find_dates(inner, ref))
        if found is None or found[1] > 2:
            continue
        name, ns, ne = found
        if len(name.split()) > 8:
            continue
        idates = find_dates(inner, ref)
        rest = inner[ne:].strip(" ,")
        tail = [d for d in idates if d.start >= ne - 1]
        only_date = not rest or (len(tail) == 1 and inner[tail[0].end :].strip(" ,.") == "")
        if not only_date or re.fullmatch(r"[A-Z]{3}", name):
            continue
        date = next((d.first for d in idates if d.start >= ne - 1 and d.first), None)
        s0 = m.start() + 1 + ns
        names = [Attribution(name, date, (offset + s0, offset + s0 + (ne - ns)))]
        out.append(Credit(m.start() + offset, m.end() + offset, names, cue="parentheses"))
        taken.append(m.span())
    out.sort(key=lambda c: c.start)
    return out


def clause_start(text: str, pos: int, protected: list[tuple[int, int]]) -> int:
    """Start of the clause ending at ``pos``: after the previous comma, semicolon, dash or
    opening parenthesis that is not inside a date or a number."""
    i = pos - 1
    while i > 0 and text[i] in " ,;—–-":
        i -= 1
    while i > 0:
        ch = text[i]
        if ch in ",;—–(" and not any(a <= i < b for a, b in protected):
            if ch == "," and i + 1 < len(text) and text[i + 1].isdigit():
                i -= 1
                continue
            return i + 1
        i -= 1
    return 0


def assign(
    credits: list[Credit],
    quantities: list[tuple[int, int]],
    text: str,
    offset: int,
    protected: list[tuple[int, int]],
    fallback: bool = True,
) -> list[list[Attribution] | None]:
    """For each quantity span (document offsets), the credits that cover it (see module doc).

    ``text`` is the sentence, ``offset`` where it starts in the document, ``protected`` the
    date spans (document offsets) whose commas do not end a clause."""
    if not credits:
        return [[] if fallback else None for _ in quantities]
    local = [(a - offset, b - offset) for a, b in protected]
    firsts = sorted(q[0] for q in quantities)
    for c in credits:
        before = [q for q in firsts if q < c.start]
        prev_end = max([k.end for k in credits if k.end <= c.start] + [offset])
        opens = (
            c.start - offset <= 3
            or c.cue in _LEADING_CUES
            or bool(re.search(rf"{_PUBLICATION}\s+(?:by|from|of)$", c.cue, re.I))
        )
        c.leading = c.leading or (opens and not any(prev_end <= q for q in before))
        if not c.leading:
            c.covers = [(offset + clause_start(text, c.start - offset, local), c.start)]
    out: list[list[Attribution] | None] = []
    for qs, _qe in quantities:
        chosen: Credit | None = None
        for c in credits:
            if not c.leading and any(a <= qs < b for a, b in c.covers):
                chosen = c
                break
        if chosen is None:
            leading = [c for c in credits if c.leading and c.end <= qs]
            if leading:
                chosen = leading[-1]
        if chosen is None and not fallback:
            out.append(None)  # no credit covers it: the caller has a better default
            continue
        if chosen is None:
            after = [c for c in credits if c.start >= qs]
            if after:
                chosen = after[0]
        if chosen is None:
            before_all = [c for c in credits if c.end <= qs]
            chosen = before_all[-1] if before_all else credits[0]
        out.append(list(chosen.names))
    return out
