"""Names as the matcher sees them: ASCII tokens, transliteration-blind skeletons, legal forms.

The same firm reaches transship as ``KRUSIK AD VALJEVO`` (a customs record), ``Krušik a.d.``
(a licence) and ``Крушик`` (a report); the same official as ``Жуков Сергей``, ``Sergei
Zhukov`` (BGN/PCGN), ``Sergej Žukov`` (ISO 9 / Serbian Latin) and ``ZHUKOV, Sergey``
(passport). Three steps make such names comparable:

1. **ASCII** through rigour (``rigour.names.Name``: its tokenizer and each part's ASCII form):
   diacritics go (``Krušik`` -> ``krusik``), Cyrillic, Greek and the other admitted scripts
   are transliterated by rigour's tables (``Крушик`` -> ``krushik``), punctuation splits or
   joins tokens as rigour decides (``a.d.`` -> ``ad``, ``JUGOIMPORT-SDPR`` -> two tokens).
2. **Skeletons**: one key per token that erases the differences between romanisation
   systems, so ``krushik`` (Russian-style, rigour), ``krusik`` (Serbian Latin without
   diacritics) and ``kruszik`` (Polish) meet: digraphs of one sound collapse (``shch``,
   ``sh``, ``sz``, ``š`` -> ``s``; ``zh``, ``rz`` -> ``z``; ``kh``, ``h``, ``g`` -> ``h``
   (Ukrainian г is h); ``ch``, ``cz``, ``ts``, ``tz``, ``c``, ``k``, ``q`` -> ``c``;
   ``dj``, ``dzh`` -> ``d``/``dz``; ``ou`` -> ``u``), ``y`` and ``j`` become ``i``
   (``Yugoimport`` = ``Jugoimport``; ``Sergey`` = ``Sergej`` = ``Sergei`` = ``Serhii``)
   and doubled letters collapse (``Abdullah`` = ``Abdulah``). Skeletons are the blocking keys
   and a token pair whose skeletons agree scores as a transliteration variant (0.95), not a
   typo.
3. **Legal forms** of the region's languages (:data:`LEGAL_FORMS`: a.d., d.o.o., j.p., AO,
   OAO, PAO, OOO, ZAO, JSC, LLC, s.r.o., a.s., Sp. z o.o., EOOD, AD, GmbH, ...) are taken
   out of the name and kept as a class (``JSC``, ``LLC``, ``STATE``, ...), so ``Izhmash
   OJSC`` and ``ОАО «Ижмаш»`` both become the name ``izhmash`` with the form class ``JSC``.
   rigour's own org-type tables (``replace_org_types_compare``) miss most of these forms
   (``a.d.``, ``ОАО``, ``EOOD``, ``J.P.`` stay in the name), so the table is ours, matched
   on skeleton tokens so that every romanisation of a Cyrillic form is found.

Token weights say how much a token identifies its bearer: generic words of firm names
(``company``, ``zavod``, ``trading``) and name particles (``al``, ``bin``, ``van``) weigh
less, places (``Valjevo``, ``Izhevsk``) less again when they are the only difference.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rigour.names import Name

from transship.resolve.legal_forms import (
    AMBIGUOUS_FORMS,
    FORM_STARTS,
    LEGAL_BY_SKELETON,
    LEGAL_FORMS,
    MAX_FORM_TOKENS,
)
from transship.resolve.spelling import NAME_CACHE, WORD_CACHE, memo, skeleton

#: The kinds of names: persons, organisations (firms, bodies), objects (vessels) and
#: unknown (``LegalEntity``, ``Thing``: either of the first two).
Kind = Literal["PER", "ORG", "OBJ", "ENT"]

# -- token weights ---------------------------------------------------------------------------

#: The same generic word in the region's languages: two tokens of one concept pair as
#: synonyms (``Trayal Corporation`` / ``Trayal Korporacija``, ``Derzhavnyi kontsern`` /
#: ``State Concern``). Skeletons of the spellings.
CONCEPTS: dict[str, str] = {
    skeleton(w): concept
    for concept, words in {
        "CORPORATION": "corporation korporacija korporatsiia korporatsiya korporacja korporace",
        "CONCERN": "concern koncern kontsern konzern",
        "PLANT": "plant plants works factory zavod zavodi zavody fabrika fabryka zaklady "
        "zavodu tovarna kombinat werk werke",
        "STATE": "state gosudarstvennoe gosudarstvennaia derzhavnyi derzhavne drzavno drzavni "
        "drzhavno panstwowe statni",
        "ARMS": "arms armament armaments weapons oruzje oruzhie oruzheinyi oruzheiny zbrojni "
        "zbrojeniowa broni zbrane",
        "GROUP": "group grupa gruppa grupe skupina",
        "TRADE": "trade trading trgovina torgovyi torgovaia obchod handel",
        "ENTERPRISE": "enterprise preduzece predpriiatie pidpryiemstvo podnik przedsiebiorstwo",
        "MACHINE": "machine mashinostroitelnyi mashinostroitelnye mashinostroitelni "
        "mashinostroitelnii masinogradnja",
        "SCIENTIFIC": "scientific nauchno naucno naukovo",
        "PRODUCTION": "production proizvodstvennoe proizvodstvennoie vyrobnyche proizvodnja",
        "DESIGN": "design konstruktorskoe konstruktorsko",
        "BUREAU": "bureau biuro byuro biro",
        "INDUSTRY": "industry industries industrija industriia przemysl prumysl",
        "EXPORT": "export eksport izvoz",
        "IMPORT": "import uvoz",
        "HOLDING": "holding holdings holding",
        "CENTRE": "center centre centar tsentr centrum",
        "DEFENCE": "defence defense odbrana oborona obrana obrony",
        "METAL": "metal metalowe metalski metallicheskii kovo",
        "MECHANICAL": "mechanical mekhanicheskii mehanicki mechaniczne",
        "CHEMICAL": "chemical khimicheskii hemijski chemiczne",
        "SPECIAL": "special namenska namjenska spetsialnyi specjalne",
    }.items()
    for w in words.split()
}

#: Particles of personal names that identify little (Arabic, Dutch, German, Romance, Slavic).
PARTICLES = frozenset(
    "al el ul ur ud ad bin ben ibn bint abu abou umm van von der den de del della di da dos "
    "du la le mac mc ter haji hajji".split()
)

#: Generic words of organisation names: they say what a firm is, not which firm it is.
#: Skeletons of English, Serbian/Croatian, Russian (transliterated), Bulgarian, Czech,
#: Polish words.
GENERIC_ORG_WORDS = frozenset(CONCEPTS) | frozenset(
    skeleton(w)
    for w in (
        "group grupa grupe gruppa holding holdings concern koncern kontsern company companies "
        "trading trade trgovina promet export import eksport ekspot international "
        "internacional intl industries industry industrija industriia industrial "
        "enterprise enterprises preduzece predprijatie predpriyatie podjetje przedsiebiorstwo "
        "plant zavod zavodi fabrika factory works werk zaklady zavody kombinat "
        "corporation korporatsiia korporacija korporacja "
        "association obedinenie udruzenje obedinenie npo npp nii kb okb "
        "scientific nauchno nauchnoe proizvodstvennoe proizvodstvennoye research production "
        "design bureau byuro biuro institute institut "
        "state gosudarstvennoe federal federalnoe national narodnyi "
        "defence defense odbrana oborona oboronnye "
        "systems sistemi sistemy technologies tehnologije tekhnologii technology "
        "services usluge service solutions logistics logistika "
        "center centre centar tsentr "
        "and i ili a the of"
    ).split()
)

#: Places that firms put in their names (``Krušik a.d. Valjevo``, ``Izhevsk Mechanical
#: Plant``): where a name differs only by one of them it is the same name qualified.
#: The region's arms-industry towns and capitals; skeletons of their common spellings.
PLACE_WORDS = frozenset(
    skeleton(w)
    for w in (
        "beograd belgrade valjevo cacak uzice kragujevac lucani trstenik sopot novi sad nis "
        "krusevac kraljevo bor obrenovac pancevo zemun vrsac "
        "zagreb sarajevo konjic vitez novi travnik gorazde banja luka podgorica skopje "
        "sofia sofiya kazanlak karlovo sopot kostenets kazanlik lovech plovdiv ruse "
        "lyaskovets gabrovo sliven "
        "praha prague brno uhersky brod vsetin semtin pardubice "
        "warszawa warsaw krakow radom skarzysko kamienna pionki nowa deba "
        "bucuresti bucharest cugir sadu "
        "kyiv kiev kharkiv kharkov lviv odesa odessa zaporizhzhia mykolaiv "
        "moskva moscow izhevsk tula kovrov perm kazan ekaterinburg yekaterinburg "
        "sankt peterburg petersburg nizhny novgorod chelyabinsk novosibirsk samara "
        "minsk tbilisi baku yerevan almaty astana "
        "serbia srbija bulgaria balgariya bulgariya russia rossiia rossii ukraine ukraina "
        "czech ceska poland polska romania"
    ).split()
)

#: Weight of a token by its role (relative to an ordinary name token, 1.0).
WEIGHT_PARTICLE = 0.3
WEIGHT_GENERIC = 0.35
WEIGHT_PLACE = 0.35
WEIGHT_INITIAL = 0.5
WEIGHT_NUMBER = 1.3


@dataclass(frozen=True, slots=True)
class NameForm:
    """One name analysed for matching (immutable; cached per text and kind)."""

    #: The name as the source wrote it.
    original: str
    kind: Kind
    #: ASCII lower-case tokens without legal forms, in the source's order.
    tokens: tuple[str, ...]
    #: :func:`skeleton` of each token.
    skeletons: tuple[str, ...]
    #: Weight of each token (see ``WEIGHT_*``; times 0.75 for two letters, 0.875 for three).
    weights: tuple[float, ...]
    #: Legal-form classes found (``JSC``, ``LLC``, ``STATE``, ``CORP``, ``PARTNERSHIP``).
    legal: tuple[str, ...]
    #: The legal forms as ASCII text (``ad``, ``sp z oo``), for explanations.
    legal_text: tuple[str, ...]

    @property
    def comparable(self) -> str:
        """The ASCII tokens joined: two names with the same comparable form are literally equal."""
        return " ".join(self.tokens)

    @property
    def key(self) -> str:
        """The skeletons joined: equal keys mean the same name in another romanisation."""
        return " ".join(self.skeletons)


# -- ISO 9 ----------------------------------------------------------------------------------

#: Letters only ISO 9 (GOST 7.79 system A) writes among the scripts a list name comes in:
#: soft and hard signs, ŝ (щ), ë (ё), è (э), ǎ (Bulgarian ъ), ì/ï (Ukrainian і/ї), and û (ю:
#: French writes it in a handful of words, never in names). With one of them, the name is
#: read as ISO 9. č, š, ž are not among them: Czech, Slovak, Slovene, Croatian and Serbian
#: Latin write them too.
_ISO9_MARKS = frozenset("ʹʺŝŜëËèÈǎǍìÌïÏûÛ")
#: Letters of the languages that write â for a vowel of their own (Vietnamese Lâm, Âu;
#: Romanian Câmpeanu; Turkish Kâzım): a name holding one of them is not ISO 9.
_NOT_ISO9 = frozenset("ăĂơƠưƯđĐșȘşŞțȚţŢîÎıİğĞ")
_VOWELS = frozenset("aeiouyAEIOUYëËèÈïÏìÌ")
_ISO9_IOTATED = {"â": "ya", "Â": "Ya", "û": "yu", "Û": "Yu"}


def iso9_readings(text: str) -> str:
    """``text`` with ISO 9's â and û (я, ю) written ``ya`` and ``yu``, as BGN/PCGN and the
    passport systems write them (``Vâčeslav Ûdin`` -> ``Vyačeslav Yudin``), so that the ASCII
    step reads them as it reads я and ю, not as ``a`` and ``u`` (``Ûdin`` against ``Юдин``
    was ``udin`` against ``yudin``). neither rigour nor followthemoney read ISO 9 back
    (rigour's ``maybe_ascii`` only strips the circumflex).

    â is also a vowel of Vietnamese, Romanian, Turkish, French and Portuguese, so it is read
    as ``ya`` only when the name is ISO 9: it holds another letter only ISO 9 writes
    (:data:`_ISO9_MARKS`), or the â/û begins a word or follows a vowel or a soft sign (where
    those languages do not put it; ``Âkov``, ``Anastasiâ``, ``Darʹâ``), and no letter of
    the other languages (:data:`_NOT_ISO9`)."""
    if "â" not in text and "Â" not in text and "û" not in text and "Û" not in text:
        return text
    text = unicodedata.normalize("NFC", text)
    if not _NOT_ISO9.isdisjoint(text):
        return text
    iso9 = not _ISO9_MARKS.isdisjoint(text)
    if not iso9:
        for m in re.finditer("[âÂ]", text):
            before = text[m.start() - 1] if m.start() else " "
            if not before.isalpha() or before in _VOWELS or before in "ʹʺ":
                iso9 = True
                break
    if not iso9:
        return text
    return re.sub("[âÂûÛ]", lambda m: _ISO9_IOTATED[m.group()], text)


def ascii_tokens(text: str) -> list[str]:
    """``text`` split into lower-case name tokens and transliterated to ASCII by rigour
    (``rigour.names.Name``: its tokenizer, then each part's ``ascii`` form; about 5 µs a
    name, where ``rigour.text.translit.maybe_ascii`` on a whole non-ASCII string takes
    about a millisecond). What rigour cannot transliterate (scripts outside its admitted
    set) stays as written, so equal text still matches equal text.

    Text is read word by word, each word's tokens cached: rigour's transliteration costs
    0.1 to 10 ms a word outside ASCII, and its tokenizer 5 to 50 µs a name in ASCII, while
    names repeat their words (a cached word costs a dictionary look-up). rigour's tokenizer
    never joins across spaces: word by word and whole names give the same tokens on every
    non-ASCII name of the fixtures and of the labelled set (258 names) and on 105,432 ASCII
    names (the fixtures', the labelled set's and 120,000 of benchmarks/screen.py's)."""
    out: list[str] = []
    for word in text.split():
        out.extend(_word_tokens(word))
    return out


def _name_tokens(text: str) -> list[str]:
    return [p.ascii or p.form for p in Name(text, phonetics=False).parts if p.form]


@memo(WORD_CACHE)
def _word_tokens(word: str) -> tuple[str, ...]:
    low = word.lower()
    if _CYRILLIC.issuperset(low) and not low.endswith(_CYRILLIC_ENDINGS):
        return (low.translate(_cyrillic_table()),)
    return tuple(_name_tokens(word))


#: Russian (and Bulgarian) Cyrillic letters that rigour transliterates one by one, the same
#: in every word: a word made only of them is read with rigour's own letter table, built
#: once from ``maybe_ascii`` (about 1 µs a word where rigour takes 100 to 400 µs; rigour's
#: answer for every such word of the fixtures, the romanisation set and 300,000 generated
#: list names, 32,000 words, is the table's; tests/resolve/test_names.py checks a sample).
#: Words with a letter of Serbian, Macedonian, Ukrainian or Belarusian (ј, љ, ћ, і, ї, є,
#: ґ, ў ...) go to rigour, which reads the whole word by that language's table (Serbian ц =
#: c, Ukrainian г = h), as do words ending in -ий/-ый (rigour writes -y: Dmitry).
_CYRILLIC = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_CYRILLIC_ENDINGS = ("ий", "ый")
_CYRILLIC_TABLE: dict[int, str] = {}


def _cyrillic_table() -> dict[int, str]:
    if not _CYRILLIC_TABLE:
        from rigour.text.translit import maybe_ascii

        _CYRILLIC_TABLE.update({ord(c): maybe_ascii(c) for c in sorted(_CYRILLIC)})
    return _CYRILLIC_TABLE


#: Abbreviations written with dots (``a.d.``, ``J.P.``, ``s. r. o.``): never ordinary words.
_DOTTED_RE = re.compile(r"(?<![^\W\d_])((?:[^\W\d_]\.\s?){2,})")


def _dotted(text: str) -> frozenset[str]:
    """The dotted abbreviations of ``text`` as tokens (``a.d.`` -> ``ad``)."""
    if "." not in text:
        return frozenset()
    out = set()
    for m in _DOTTED_RE.finditer(text.lower()):
        letters = re.sub(r"[.\s]", "", m.group(1))
        out.update(ascii_tokens(letters))
    return frozenset(out)


def _strip_legal(
    tokens: list[str], skels: list[str], dotted: frozenset[str]
) -> tuple[list[int], list[str], list[str]]:
    """Indexes of tokens that are legal forms, and the forms' classes and texts.

    A form that is also a word (``AD``, ``AS``, ``CO``) counts only at the name's start or
    end, when written with dots (``a.d.``), or when only places follow it (``KRUSIK AD
    VALJEVO``)."""
    n = len(tokens)
    taken: list[int] = []
    classes: list[str] = []
    texts: list[str] = []
    i = 0
    while i < n:
        found = False
        for size in range(min(MAX_FORM_TOKENS, n - i), 0, -1):
            exact = tuple(tokens[i : i + size])
            cls_exact = LEGAL_FORMS.get(exact)
            hit = (
                (cls_exact, exact)
                if cls_exact is not None
                else LEGAL_BY_SKELETON.get(tuple(skels[i : i + size]))
            )
            if hit is None:
                continue
            cls, form = hit
            at_edge = i == 0 or i + size == n
            if size == 1 and form[0] in AMBIGUOUS_FORMS and not at_edge:
                places_after = all(s in PLACE_WORDS for s in skels[i + size :])
                if form[0] not in dotted and not places_after:
                    continue
            if size == n:  # a name that is only a legal form keeps it as its name
                continue
            taken.extend(range(i, i + size))
            classes.append(cls)
            texts.append(" ".join(tokens[i : i + size]))
            i += size
            found = True
            break
        if not found:
            i += 1
    return taken, classes, texts


def _length_factor(skel: str) -> float:
    """Short tokens identify less (``Un``, ``Ko``): 0.75 for two letters, 1.0 from four."""
    n = len(skel)
    if n >= 4 or n <= 1:
        return 1.0
    return 0.5 + n / 8


def _weight(token: str, skel: str, kind: Kind) -> float:
    return _role_weight(token, skel, kind) * _length_factor(skel)


def _role_weight(token: str, skel: str, kind: Kind) -> float:
    if token.isdigit():
        return WEIGHT_NUMBER
    if len(token) == 1:
        return WEIGHT_INITIAL
    if skel in PARTICLES or token in PARTICLES:
        return WEIGHT_PARTICLE
    if kind != "PER":
        if skel in GENERIC_ORG_WORDS:
            return WEIGHT_GENERIC
        if skel in PLACE_WORDS:
            return WEIGHT_PLACE
    return 1.0


def analyse(text: str, kind: Kind = "ENT") -> NameForm:
    """Analyse one name: tokens, skeletons, weights and legal forms (cached).

    Legal forms are removed for organisations and unknown parties (``ENT``), never for
    persons (``Ad``, ``Ao`` can be given names) or objects. A name that is nothing but a
    legal form keeps its tokens. A person's name written ``FAMILY, Given`` is put in its
    own order (``Given FAMILY``).
    """
    return _analysed((text, kind))


@memo(NAME_CACHE)
def _analysed(key: tuple[str, Kind]) -> NameForm:
    text, kind = key
    written = text
    text = iso9_readings(text)
    if kind == "PER" and text.count(",") == 1:
        # ``FAMILY, Given``: lists write persons family name first with a comma; the
        # tokens go in the name's own order (given names first), which the given-name rule
        # of :func:`~transship.resolve.compare.compare_names` reads
        family, given = text.split(",")
        tokens = ascii_tokens(given) + ascii_tokens(family)
    else:
        tokens = ascii_tokens(text)
    skels = [skeleton(t) for t in tokens]
    classes: list[str] = []
    texts: list[str] = []
    if kind in ("ORG", "ENT") and len(tokens) > 1 and not FORM_STARTS.isdisjoint(tokens + skels):
        taken, classes, texts = _strip_legal(tokens, skels, _dotted(text))
        if taken:
            drop = set(taken)
            tokens = [t for i, t in enumerate(tokens) if i not in drop]
            skels = [s for i, s in enumerate(skels) if i not in drop]
    weights = tuple(_weight(t, s, kind) for t, s in zip(tokens, skels, strict=True))
    return NameForm(
        original=written,
        kind=kind,
        tokens=tuple(tokens),
        skeletons=tuple(skels),
        weights=weights,
        legal=tuple(classes),
        legal_text=tuple(texts),
    )
