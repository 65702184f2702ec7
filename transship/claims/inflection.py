"""Nominative forms of a Slavic noun written in another case.

Press in the region's languages names places in the case the sentence needs: "u Čačku"
(Serbian locative of Čačak), "в Польшу" (Russian accusative of Польша), "у Чешкој" (Serbian
locative of Чешка), "w Rzeszowie" (Polish locative of Rzeszów). A list of places holds the
nominative only. :func:`nominatives` gives the forms a word may have in the nominative, by
taking off an ending of the oblique cases and putting on an ending of the nominative; the
caller keeps the candidates its list holds. The endings are those of the common noun
declensions (feminine in -a, masculine in a consonant, neuter in -o/-e) of
Serbo-Croatian, Slovene, Polish, Czech, Slovak, Russian, Ukrainian and Belarusian, in Latin
and Cyrillic script, as any grammar of these languages gives them (written here from the
standard declension tables, not from a corpus).

Also covered: the consonant that softens before a dative or locative ending (Polish
"Polsce" of "Polska", "Pradze" of "Praga", Czech "Praze" of "Praha", Serbian "Americi" of
"Amerika", Ukrainian "Празі" of "Прага"; :data:`_SOFTENED`), the Ukrainian і that is о or
е in the other cases ("Києві" of "Київ", "Львова" of "Львів"), and, for names of two words
(:func:`nominative_phrases`), the adjective before the noun ("Novom Sadu" of "Novi Sad",
"Crnoj Gori" of "Crna Gora"). Not covered: the plural, other vowel alternations inside the
stem (Polish "mieście" of "miasto"). Nothing here knows which words are places: a candidate
is only a candidate.
"""

from __future__ import annotations

import unicodedata

#: Oblique-case endings (genitive, dative, accusative, instrumental, locative, vocative)
#: of the three common declensions, longest first within each script.
_OBLIQUE = {
    "latin": (
        "ijom",  # sr/hr instrumental of -ija (Srbijom)
        "owi",  # pl dative (Rzeszowowi)
        "ovi",  # cs/sk dative (Brnovi)
        "ie",  # pl locative (Rzeszowie, Warszawie)
        "om",  # sr/hr/sk instrumental (Beogradom, Srbijom)
        "em",  # sr/hr/cs/pl instrumental (Kijevem)
        "oj",  # sr/hr dative, locative of -a (Češkoj)
        "ou",  # cs instrumental of -a (Ostravou)
        "ě",  # cs dative, locative (Ostravě, Brně)
        "ą",  # pl instrumental of -a (Warszawą)
        "ę",  # pl accusative of -a (Warszawę)
        "a",  # genitive of the masculine and neuter (Beograda, Valjeva)
        "e",  # genitive of -a (Srbije); locative, vocative
        "i",  # dative, locative of -a (Srbiji)
        "u",  # accusative of -a (Srbiju); dative, locative of the masculine (Čačku)
        "y",  # pl/cs/sk genitive of -a (Warszawy)
        "o",  # vocative of -a
    ),
    "cyrillic": (
        "ією",  # uk instrumental of -ія
        "ијом",  # sr instrumental of -ија
        "ові",  # uk dative of the masculine
        "ою",  # uk/ru instrumental of -а
        "ею",  # uk/ru instrumental of -я
        "ей",  # ru instrumental of -я, -ия (Чехией)
        "ой",  # ru instrumental of -а (Польшей, Москвой)
        "ој",  # sr dative, locative of -а (Чешкој)
        "ом",  # instrumental of the masculine and neuter; sr of -а
        "ем",  # instrumental of the soft masculine
        "а",  # genitive of the masculine and neuter
        "я",  # genitive of the soft masculine
        "е",  # ru dative, locative (Польше); sr genitive of -а
        "и",  # ru/sr genitive, dative (Польши, Србији)
        "у",  # accusative of -а (Польшу); dative, locative of the masculine
        "ю",  # accusative of -я (Чехию)
        "ы",  # ru genitive of -а
        "і",  # uk dative, locative (Польщі)
        "ї",  # uk genitive of -ія (Чехії)
        "о",  # vocative of -а
    ),
}
#: A consonant softened before the dative or locative ending, and the nominative ending it
#: comes back with: (oblique ending, nominative ending), longest first.
_SOFTENED = {
    "latin": (
        ("dzie", "da"),  # pl Kanadzie
        ("cie", "ta"),  # pl Warcie
        ("dze", "ga"),  # pl Pradze, Rydze
        ("rze", "ra"),  # pl Górze
        ("ře", "ra"),  # cs Hoře
        ("ce", "ka"),  # pl Polsce, Ameryce; cs Americe
        ("ze", "ha"),  # cs Praze
        ("ze", "ga"),  # cs (Olze)
        ("le", "ła"),  # pl Wiśle
        ("ci", "ka"),  # sr/hr Americi, Rijeci
        ("zi", "ga"),  # sr/hr Volzi
        ("si", "ha"),  # sr/hr (Snasi)
    ),
    "cyrillic": (
        ("ці", "ка"),  # uk Америці
        ("зі", "га"),  # uk Празі, Ризі
        ("сі", "ха"),  # uk
        ("ци", "ка"),  # sr Америци
        ("зи", "га"),  # sr
    ),
}
#: Ukrainian: the і (ї after a vowel) of a masculine nominative's last syllable is о or е
#: (є) in the other cases: Київ -> Києва, Львів -> Львова, Харків -> Харкова.
_UK_I = {"о": "і", "е": "і", "є": "ї"}
#: Adjectival endings of the masculine and neuter oblique cases (Serbo-Croatian, Russian,
#: Ukrainian), whose nominative is -i / -ий, -ій, -ый (Novom -> Novi, Новом -> Нови, Новий).
_ADJECTIVE = {
    "latin": (("om", "i"), ("og", "i"), ("em", "i"), ("eg", "i"), ("omu", "i"), ("im", "i")),
    "cyrillic": (
        ("ом", "и"),
        ("ом", "ий"),
        ("ого", "ий"),
        ("ому", "ий"),
        ("ім", "ий"),
        ("ом", "ый"),
        ("ом", "ій"),
    ),
}
#: Nominative endings: masculine (none, soft sign, й), feminine, neuter.
_NOMINATIVE = {
    "latin": ("", "a", "o", "e"),
    "cyrillic": ("", "а", "я", "о", "е", "ь", "й"),
}
#: The fleeting vowel of a masculine nominative, lost in the other cases: Čačak -> Čačku,
#: Kragujevac -> Kragujevcu (sr/hr a), Орёл -> Орла (ru о/е/ё), Kocek -> Kocku (cs/pl e).
_FLEETING = {"latin": ("a", "e", "o"), "cyrillic": ("а", "е", "о", "ё")}
#: A stem shorter than this is not cut: short words are too often another word.
MIN_STEM = 3
_VOWELS = frozenset("aeiouyáéíóúýäëöüěůąęаеёиоуыэюяіїєьъй")


def _script(word: str) -> str | None:
    letter = word[-1:]
    if not letter.isalpha():
        return None
    name = unicodedata.name(letter, "")
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    if name.startswith("LATIN"):
        return "latin"
    return None


def nominatives(word: str) -> list[str]:
    """The forms ``word`` may have in the nominative if it is a Slavic noun in another case,
    nearest first, ``word`` itself not among them: "Čačku" -> [..., "Čačak", ...], "Польшу"
    -> [..., "Польша", ...], "Чешкој" -> [..., "Чешка", ...]. Endings are matched in lower
    case as written, so an acronym ("NIS", "SVR") gives nothing."""
    script = _script(word)
    if script is None:
        return []
    out: list[str] = []
    for ending in _OBLIQUE[script]:
        if not word.endswith(ending) or len(word) - len(ending) < MIN_STEM:
            continue
        stem = word[: len(word) - len(ending)]
        for nominative in _NOMINATIVE[script]:
            out.append(stem + nominative)
        if not _VOWELS & {stem[-1].lower(), stem[-2].lower()}:
            # a masculine stem that lost its fleeting vowel (it ends in two consonants; a
            # soft sign or й counts as a vowel here): put the vowel back before the last letter
            for vowel in _FLEETING[script]:
                out.append(stem[:-1] + vowel + stem[-1])
    for ending, nominative in _SOFTENED[script]:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM - 1:
            out.append(word[: len(word) - len(ending)] + nominative)
    if script == "cyrillic":
        for ending in ("", *_OBLIQUE[script]):
            stem = word[: len(word) - len(ending)]
            if not word.endswith(ending) or len(stem) < MIN_STEM:
                continue
            alt = _UK_I.get(stem[-2].lower())
            if alt is not None and stem[-1].lower() not in _VOWELS:
                out.append(stem[:-2] + (alt.upper() if stem[-2].isupper() else alt) + stem[-1])
    return [w for w in dict.fromkeys(out) if w != word]


def nominative_phrases(name: str) -> list[str]:
    """The forms a name of two words may have in the nominative, ``name`` itself not among
    them: each word as written or in one of its nominative forms, the first also as an
    adjective ("Novom Sadu" -> [..., "Novi Sad", ...], "Crnoj Gori" -> [..., "Crna Gora",
    ...]). Longer names give nothing (their combinations grow too fast to be worth it)."""
    words = name.split()
    if len(words) != 2:
        return []
    first, second = words
    script = _script(first)
    firsts = [first, *nominatives(first)]
    if script is not None:
        for ending, nominative in _ADJECTIVE[script]:
            if first.endswith(ending) and len(first) - len(ending) >= MIN_STEM:
                firsts.append(first[: len(first) - len(ending)] + nominative)
    seconds = [second, *nominatives(second)]
    out = [f"{a} {b}" for a in dict.fromkeys(firsts) for b in seconds]
    return [p for p in dict.fromkeys(out) if p != name]
