"""Spelling keys of name tokens: romanisation-blind skeletons (step 2 of
:mod:`transship.resolve.names`), and the dictionary caches the name analysis keeps."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


def memo(maxsize: int) -> Callable[[Callable[[_K], _V]], Callable[[_K], _V]]:
    """A cache of a one-argument function in a plain dictionary that keeps its first
    ``maxsize`` answers and computes the rest without storing them.

    Not ``functools.lru_cache``: a hit on an LRU cache relinks its list nodes and a miss on
    a full one evicts the oldest answer, both writes to objects the process that analysed
    the screening list made. In a worker forked from it
    (:meth:`~transship.resolve.screen.Screener.screen` with ``workers``) each such write copies a page of
    the parent's heap (copy-on-write: 4,400 page copies per 500 queries for the analysis
    at 200,000 entries, docs/performance.md); a dictionary hit writes only the answer's
    reference count and a full dictionary is never written. The sizes hold the words of a
    million-entry list (257,721 vocabulary tokens), which a 200,000-entry LRU evicted."""

    def wrap(fn: Callable[[_K], _V]) -> Callable[[_K], _V]:
        cache: dict[_K, _V] = {}
        get = cache.get

        def cached(arg: _K) -> _V:
            out = get(arg)
            if out is None:
                out = fn(arg)
                if len(cache) < maxsize:
                    cache[arg] = out
            return out

        cached.__doc__ = fn.__doc__
        cached.__name__ = fn.__name__
        cached.__wrapped__ = fn  # type: ignore[attr-defined]
        return cached

    return wrap


#: Distinct words (and tokens) kept by the analysis caches.
WORD_CACHE = 1_000_000
#: Distinct (name, kind) analyses kept.
NAME_CACHE = 1_000_000

# -- skeletons -------------------------------------------------------------------------------

#: Multi-letter spellings of one sound, longest first; each becomes one skeleton letter.
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("shch", "s"),  # Russian щ (BGN/PCGN, passport)
    ("szcz", "s"),  # Polish szcz
    ("sch", "s"),  # German sch, Russian щ (some systems)
    ("sc", "s"),  # šč (Serbian, Croatian, Slovene for щ) after diacritics go
    ("sht", "s"),  # Bulgarian щ
    ("tch", "c"),  # French-style ч
    ("dzh", "dz"),  # Russian дж
    ("dž", "dz"),
    ("zh", "z"),  # ж
    ("rz", "z"),  # Polish rz = ż
    ("kh", "h"),  # х (BGN/PCGN) against h (rigour, Ukrainian, ISO)
    ("ch", "c"),  # ч
    ("cz", "c"),  # Polish cz
    ("ts", "c"),  # ц (BGN/PCGN) against c (ISO 9, Serbian Latin)
    ("tz", "c"),
    ("sh", "s"),  # ш
    ("sz", "s"),  # Polish sz
    ("dj", "d"),  # Serbian ђ written dj against đ -> d
    ("ph", "f"),
    ("ck", "c"),
    ("ou", "u"),  # French-style у (Boutros, Oustinov)
    ("q", "c"),
    ("x", "cs"),
    ("k", "c"),  # Viktor/Victor, Arkus/Arcus
    ("g", "h"),  # Ukrainian г = h against Russian г = g (Husiev/Gusev, Serhii/Sergei)
    ("w", "v"),
    ("y", "i"),  # й, ы, я/ю/ё onsets
    ("j", "i"),  # Serbian/Czech/Polish j, German-style й
)
_DIGRAPH_RE = re.compile("|".join(re.escape(a) for a, _ in _DIGRAPHS))
_DIGRAPH_MAP = dict(_DIGRAPHS)
_DOUBLE_RE = re.compile(r"(.)\1+")


@memo(WORD_CACHE)
def respell(token: str) -> str:
    """:func:`skeleton` before doubled letters collapse (``gajic`` -> ``gaiic``): position by
    position comparable with another respelled token of the same length."""
    if token.isdigit():
        return token
    # then є/ye/ie (Ukrainian) = e: Husiev, Husyev, Husev; and ё written yo/io/jo (BGN/PCGN,
    # rigour) = e (the passport's ICAO 9303, ISO 9 without its diaeresis, Russian print):
    # Artyom, Artiom, Artem, Артём; Solovyov, Solov'ev, Соловьёв. Not at a token's start,
    # where jo/yo is mostly a name's own (John, Jong, Yoshida), not ё.
    respelled = _DIGRAPH_RE.sub(lambda m: _DIGRAPH_MAP[m.group()], token).replace("ie", "e")
    return respelled[:1] + respelled[1:].replace("io", "e")


@memo(WORD_CACHE)
def skeleton(token: str) -> str:
    """A key for ``token`` (ASCII, lower case) that is the same in every romanisation.

    ``skeleton("krushik") == skeleton("krusik") == "krusik"``;
    ``skeleton("zhukov") == skeleton("zukov")``; ``skeleton("yugoimport") ==
    skeleton("jugoimport")``; ``skeleton("tsvetan") == skeleton("cvetan")``.
    Digits are kept as they are (``zavod 9`` is not ``zavod 12``).
    """
    if token.isdigit():
        return token
    return _DOUBLE_RE.sub(r"\1", respell(token))
