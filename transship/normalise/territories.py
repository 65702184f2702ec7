"""Countries, historic states and statistical areas, from every spelling the sources use.

Every party and flow in the store carries three codes side by side (CONVENTIONS 4.7): the
rigour territory code (``territory``, the join key: ``rs``, ``suhh``, ``ua-cri``), ISO alpha-3
and the UN M49 number as zero-padded text. This module turns whatever a source writes into a
:class:`Territory` holding all three.

Sources disagree in small, costly ways:

* UN Comtrade and CEPII BACI use their own numbers for a few reporters (842 USA, 251 France,
  699 India, 757 Switzerland, 579 Norway, 490 "Other Asia, nes" = Taiwan in practice) and
  numbers for aggregates that are not countries (0 World, 837 Bunkers, 899 Areas nes...).
  A naive M49 join silently loses the USA, France and India, so the deviations live in our own
  table ``transship/data/comtrade_areas.csv`` (facts only; no third-party file is shipped).
* SIPRI, COARM and CAAT write names (``Turkiye``, ``UAE``, ``Bosnia-Herzegovina``,
  ``BULGARIA``), historic states (``Soviet Union``, ``East Germany (GDR)``) and non-state
  actors marked with ``*`` (``Hezbollah (Lebanon)*``) or organisations with ``**``.
  ``transship/data/territory_aliases.csv`` holds the names rigour and pycountry miss, plus
  Serbian Latin and Cyrillic names used in Serbian export reports.

rigour gives the codes (lowercase ISO alpha-2 plus ``xk``, ``suhh``, ``yucs``, ``csxx``,
``cshh``, ``dd``, sub-national ``ua-cri``) and some 27,000 names in many languages, indexed
here once with our own fast key; pycountry gives ISO numeric codes and the ISO 3166-3
alpha-4 codes of former countries. Former countries rigour does not know keep their
alpha-4 code, lowercased, as their code (``ydye`` South Yemen, ``vdvn`` North Vietnam).

Special codes: ``world`` for the World aggregate, ``zz`` for an unknown party (a source that
says "unknown recipient(s)"), ``zz-<comtrade code>`` for Comtrade/BACI areas that are not
countries (``zz-899`` Areas nes), ``zz-nsa`` for non-state actors, ``zz-org`` for
international organisations other than the EU and the UN, and three placeholders licence
reports use instead of a country: ``zz-multi`` ("multiple countries", "Nordic countries"),
``zz-na`` ("not applicable - promotional licence") and ``zz-sea`` (international waters).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc
import pycountry
from rigour.territories import get_territories, get_territory, lookup_territory

from transship.exc import InvalidInput, UnknownCode
from transship.normalise._tables import read_table


@dataclass(frozen=True, slots=True)
class Territory:
    """One country, former country, sub-national area or statistical area.

    ``is_country`` is true for states and dependent territories that trade in their own name
    (everything with an ISO 3166-1 code, Kosovo, and former states); it is false for the
    World aggregate, unknown parties, Comtrade's "nes" areas, sub-national regions,
    non-state actors and organisations.
    """

    code: str
    iso2: str | None
    iso3: str | None
    m49: str | None
    name: str
    is_country: bool
    is_world: bool = False
    is_area: bool = False


WORLD = Territory("world", None, "WLD", "001", "World", is_country=False, is_world=True)
UNKNOWN = Territory("zz", None, None, None, "Unknown", is_country=False)
NON_STATE = Territory("zz-nsa", None, None, None, "Non-state actor", is_country=False)
ORGANISATION = Territory("zz-org", None, None, None, "International organisation", is_country=False)
SEVERAL = Territory(
    "zz-multi", None, None, None, "Several countries, not specified", is_country=False, is_area=True
)
NOT_APPLICABLE = Territory(
    "zz-na", None, None, None, "No destination (not applicable)", is_country=False, is_area=True
)
HIGH_SEAS = Territory(
    "zz-sea", None, None, None, "International waters", is_country=False, is_area=True
)

_SPECIAL = (WORLD, UNKNOWN, NON_STATE, ORGANISATION, SEVERAL, NOT_APPLICABLE, HIGH_SEAS)

# M49 numbers of former states. pycountry gives 891 to both Yugoslavia and Serbia and
# Montenegro; M49 (and Comtrade) use 890 for the Socialist Federal Republic.
_HISTORIC_M49 = {
    "suhh": "810",
    "yucs": "890",
    "csxx": "891",
    "cshh": "200",
    "dd": "278",
    "an": "530",
    "zr": "180",
}
# Readable names for former countries rigour lacks (pycountry's are "Viet-Nam, Democratic...").
_HISTORIC_NAMES = {
    "VDVN": "North Vietnam",
    "YDYE": "South Yemen",
    "DYBJ": "Dahomey",
    "HVBF": "Upper Volta",
    "RHZW": "Southern Rhodesia",
    "NHVU": "New Hebrides",
    "GEHH": "Gilbert and Ellice Islands",
    "AIDJ": "French Afars and Issas",
}
# Rigour entries that are neither countries nor regions of one: not trade partners.
_AREA_CODES = frozenset({"eu", "un", "ip"})


@dataclass(slots=True)
class _Index:
    by_code: dict[str, Territory]
    by_iso2: dict[str, Territory]
    by_iso3: dict[str, Territory]
    by_alpha4: dict[str, Territory]
    by_numeric: dict[str, Territory]
    by_comtrade: dict[int, Territory]
    by_baci: dict[int, Territory]
    by_name: dict[str, Territory]


_DROP = re.compile(r"[^\w]+")


# Abbreviations of statistical code lists (Comtrade, BACI, World Bank), expanded on both sides.
_ABBREVIATIONS = {
    "rep": "republic",
    "dem": "democratic",
    "fed": "federal",
    "isds": "islands",
    "isd": "island",
    "st": "saint",
    "sts": "states",
    "terr": "territory",
    "br": "british",
    "fr": "french",
    "n": "northern",
    "so": "southern",
    "misc": "miscellaneous",
    "excl": "excluding",
    "nes": "not elsewhere specified",
    "sar": "",
    "the": "",
}
# Qualifiers that do not change which territory is meant: "(...1990)", "(to 1992)",
# "(Overseas France)", "(former)", leading "Former"/"Fmr".
_QUALIFIERS = re.compile(
    r"\(\s*(?:\.\.\.|to)\s*\d{4}\s*\)|\(\d{4}\s*-\s*\d{4}\)|\(overseas france\)|\(former\)",
    re.IGNORECASE,
)
_FORMER = re.compile(r"^\s*(?:former|fmr\.?)\s+", re.IGNORECASE)


def _name_key(text: str) -> str:
    """Comparison key for names: case, accents, punctuation, spacing and the usual
    abbreviations (``Rep.``, ``Dem.``, ``Isds``, ``St.``, ``nes``) do not matter.

    Cyrillic letters stay Cyrillic; only their combining marks go (й -> и), and the aliases
    are keyed the same way, so both sides meet.
    """
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("ß", "ss").replace("đ", "dj").replace("ђ", "дј")
    words = _DROP.sub(" ", text).replace("_", " ").split()
    return " ".join(w for w in (_ABBREVIATIONS.get(w, w) for w in words) if w)


def _name_keys(text: str) -> list[str]:
    """The key of a name, then the keys of the name without date or status qualifiers."""
    keys = [_name_key(text)]
    bare = _QUALIFIERS.sub(" ", text)
    for variant in (bare, _FORMER.sub("", bare)):
        key = _name_key(variant)
        if key and key not in keys:
            keys.append(key)
    return keys


def _pyc_numeric(alpha_2: str) -> str | None:
    country = pycountry.countries.get(alpha_2=alpha_2.upper())
    return None if country is None else str(country.numeric)


def _from_rigour(code: str) -> Territory:
    t = get_territory(code)
    assert t is not None
    iso2: str | None = None
    m49: str | None = None
    if len(t.code) == 2 and pycountry.countries.get(alpha_2=t.code.upper()) is not None:
        iso2 = t.code.upper()
        m49 = _pyc_numeric(t.code)
    elif t.code == "xk":
        iso2 = "XK"  # user-assigned, used by the EU, SIPRI and most registries
    if t.code in _HISTORIC_M49:
        m49 = _HISTORIC_M49[t.code]
    iso3 = t.alpha3.upper() if t.alpha3 else None
    is_area = t.code in _AREA_CODES
    former = bool(t.is_historical) and "-" not in t.code  # Netherlands Antilles, not SSRs
    is_country = not is_area and (iso2 is not None or bool(t.is_country) or former)
    return Territory(t.code, iso2, iso3, m49, str(t.name), is_country=is_country, is_area=is_area)


def _put(mapping: dict[str, Territory], key: str, value: Territory) -> None:
    """First writer wins: current countries are indexed before former ones."""
    if key and key not in mapping:
        mapping[key] = value


def _build() -> _Index:
    idx = _Index({}, {}, {}, {}, {}, {}, {}, {})
    for special in _SPECIAL:
        idx.by_code[special.code] = special
    idx.by_iso3["WLD"] = WORLD
    idx.by_numeric["001"] = WORLD  # M49 World

    rigour_all = get_territories()
    # Current ISO countries first, so that codes and numbers shared with former states
    # (Zaire 180 = DR Congo 180) point at today's country.
    ordered = sorted(rigour_all, key=lambda t: (bool(t.is_historical), len(t.code), t.code))
    for rt in ordered:
        if rt.code == "zz":  # rigour's "Global"; ours means unknown
            continue
        terr = _from_rigour(rt.code)
        idx.by_code[terr.code] = terr
        if terr.iso2:
            _put(idx.by_iso2, terr.iso2, terr)
        if terr.iso3:
            _put(idx.by_iso3, terr.iso3, terr)
        if terr.m49:
            _put(idx.by_numeric, terr.m49, terr)

    # ISO 3166-3 former countries.
    for hist in pycountry.historic_countries:
        alpha4 = str(hist.alpha_4)
        known = get_territory(alpha4.lower())
        if known is None:
            by_a2 = get_territory(str(hist.alpha_2).lower())
            known = by_a2 if by_a2 is not None and by_a2.is_historical else None
        if known is not None:
            terr = idx.by_code[known.code]
        else:
            # Former codes may have been reused (ATF, 854): keep only the free ones.
            numeric = getattr(hist, "numeric", None)
            alpha3 = str(hist.alpha_3)
            terr = Territory(
                alpha4.lower(),
                None,
                None if alpha3 in idx.by_iso3 else alpha3,
                None if not numeric or str(numeric) in idx.by_numeric else str(numeric),
                _HISTORIC_NAMES.get(alpha4, str(hist.name)),
                is_country=True,
            )
            idx.by_code[terr.code] = terr
        idx.by_alpha4[alpha4] = terr
        if terr.iso3:
            _put(idx.by_iso3, terr.iso3, terr)
        if terr.m49:
            _put(idx.by_numeric, terr.m49, terr)

    idx.by_comtrade = _area_table("comtrade_areas.csv", idx)
    idx.by_baci = _area_table("baci_areas.csv", idx)
    for terr in list(idx.by_comtrade.values()) + list(idx.by_baci.values()):
        idx.by_code.setdefault(terr.code, terr)

    # Names: rigour and pycountry first (current countries before former ones, first writer
    # wins), our aliases last (they override).
    for terr in sorted(idx.by_code.values(), key=lambda t: (t.iso2 is None, len(t.code), t.code)):
        _put(idx.by_name, _name_key(terr.name), terr)
    for rt in ordered:
        if rt.code != "zz" and rt.full_name:
            _put(idx.by_name, _name_key(str(rt.full_name)), idx.by_code[rt.code])
    for country in pycountry.countries:
        current = idx.by_iso2.get(str(country.alpha_2))
        if current is None:
            continue
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                _put(idx.by_name, _name_key(str(value)), current)
    for hist in pycountry.historic_countries:
        terr = idx.by_alpha4[str(hist.alpha_4)]
        _put(idx.by_name, _name_key(str(hist.name)), terr)
    for code, name in _rigour_names():
        if code != "zz" and code in idx.by_code:
            _put(idx.by_name, _name_key(name), idx.by_code[code])
    for row in read_table("territory_aliases.csv"):
        target = idx.by_code.get(row["territory"])
        if target is None:
            raise UnknownCode("territory", row["territory"])
        idx.by_name[_name_key(row["alias"])] = target
    return idx


def _rigour_names() -> list[tuple[str, str]]:
    """rigour's multilingual names (strong, then weak), keyed with our fast :func:`_name_key`.

    ``rigour.territories.lookup_territory`` normalises its ~27,000 names on first use, which
    costs several seconds; reading the same data here takes a fraction of that. The data file
    is reached through rigour internals, so any change there just leaves these names out (the
    slow lookup remains as a fallback).
    """
    try:
        from rigour._core import territories_jsonl
        from rigour.data import iter_jsonl_text
    except ImportError:  # pragma: no cover - depends on the rigour version
        return []
    strong: list[tuple[str, str]] = []
    weak: list[tuple[str, str]] = []
    for data in iter_jsonl_text(territories_jsonl()):
        code = str(data.get("code", ""))
        strong += [(code, str(n)) for n in data.get("names_strong", [])]
        weak += [(code, str(n)) for n in data.get("names_weak", [])]
    return strong + weak


def _area_table(name: str, idx: _Index) -> dict[int, Territory]:
    out: dict[int, Territory] = {}
    for row in read_table(name):
        code = row["territory"]
        if code.startswith("zz-"):
            terr = Territory(code, None, None, None, row["name"], is_country=False, is_area=True)
        else:
            found = idx.by_code.get(code)
            if found is None:
                raise UnknownCode("territory", code)
            terr = found
        out[int(row["code"])] = terr
    return out


@cache
def _index() -> _Index:
    return _build()


def _int_code(code: int | str) -> int:
    if isinstance(code, bool):
        raise UnknownCode("territory", code)
    if isinstance(code, int):
        return code
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        raise UnknownCode("territory", code)
    return int(text)


def from_comtrade(code: int | str) -> Territory:
    """Comtrade reporter/partner code -> territory (842 -> us, 490 -> tw, 0 -> World).

    Codes absent from our deviations table are ISO 3166 numeric codes.
    """
    idx = _index()
    number = _int_code(code)
    found = idx.by_comtrade.get(number) or idx.by_numeric.get(f"{number:03d}")
    if found is None:
        raise UnknownCode("territory", code)
    return found


def from_baci(code: int | str) -> Territory:
    """CEPII BACI country code -> territory (Comtrade's deviations plus 381 Italy)."""
    idx = _index()
    number = _int_code(code)
    found = idx.by_baci.get(number)
    if found is not None:
        return found
    return from_comtrade(number)


def from_iso(code: str) -> Territory:
    """ISO alpha-2/alpha-3/alpha-4/numeric (or rigour code) -> territory.

    ``RS``, ``SRB``, ``688``, ``rs``, ``SUHH``, ``suhh``, ``SU``, ``ua-cri`` all work.
    Former alpha-2 codes follow rigour (``CS`` -> Czechoslovakia, not Serbia and Montenegro).
    """
    idx = _index()
    text = str(code).strip()
    if not text:
        raise UnknownCode("territory", code)
    if text.isdigit():
        found = idx.by_numeric.get(text.zfill(3))
        if found is None:
            raise UnknownCode("territory", code)
        return found
    lower = text.lower()
    upper = text.upper()
    if len(upper) == 3 and upper in idx.by_iso3:
        return idx.by_iso3[upper]
    if len(upper) == 4 and upper in idx.by_alpha4:
        return idx.by_alpha4[upper]
    if lower in idx.by_code:
        return idx.by_code[lower]
    known = get_territory(lower)
    if known is not None:
        return idx.by_code[known.code] if known.code != "zz" else UNKNOWN
    if len(upper) == 2:
        hist = pycountry.historic_countries.get(alpha_2=upper)
        if hist is not None:
            return idx.by_alpha4[str(hist.alpha_4)]
    raise UnknownCode("territory", code)


_MEMO_SIZE = 65_536


def _remembered(fn: Callable[[str], Territory]) -> Callable[[str], Territory]:
    """Memoise a pure resolver, misses included: readers ask for the same few hundred names
    and codes on every row, and a miss (``UnknownCode``) costs as much as a hit."""
    seen: dict[object, Territory | UnknownCode] = {}

    @functools.wraps(fn)
    def wrapper(value: str) -> Territory:
        try:
            hit = seen.get(value)
        except TypeError:  # unhashable: not worth remembering
            return fn(value)
        if hit is None:
            try:
                hit = fn(value)
            except UnknownCode as exc:
                hit = exc
            if len(seen) >= _MEMO_SIZE:
                seen.clear()
            seen[value] = hit
        if isinstance(hit, UnknownCode):
            raise UnknownCode(hit.kind, hit.value)
        return hit

    return wrapper


@_remembered
def from_name(name: str) -> Territory:
    """English, SIPRI, COARM/CAAT, Serbian Latin or Cyrillic name -> territory.

    A trailing ``*`` (SIPRI's mark for non-state actors) gives :data:`NON_STATE`; ``**``
    (organisations) gives the EU or UN territory when named, otherwise :data:`ORGANISATION`.
    """
    idx = _index()
    text = str(name).strip()
    stars = len(text) - len(text.rstrip("*"))
    base = text.rstrip("*").strip()
    keys = _name_keys(base)
    if not keys[0]:
        raise UnknownCode("territory", name)
    if stars >= 2:
        found = idx.by_name.get(keys[0])
        return found if found is not None and found.code in ("eu", "un") else ORGANISATION
    if stars == 1:
        return NON_STATE
    for key in keys:
        found = idx.by_name.get(key)
        if found is not None:
            return found
    known = lookup_territory(base)
    if known is not None and known.code in idx.by_code:
        return idx.by_code[known.code] if known.code != "zz" else UNKNOWN
    raise UnknownCode("territory", name)


_CODE_LIKE = re.compile(r"^[A-Za-z]{2,4}$|^[A-Za-z]{2}-[A-Za-z0-9-]+$")


@_remembered
def lookup(value: str | int) -> Territory:
    """Any code or name: digits are Comtrade/ISO numeric, short letter codes are ISO/rigour
    codes (falling back to names: ``Iran``, ``Peru``), everything else is a name."""
    if isinstance(value, int) and not isinstance(value, bool):
        return from_comtrade(value)
    text = str(value).strip()
    if text.isdigit():
        return from_comtrade(text)
    if _CODE_LIKE.match(text):
        try:
            return from_iso(text)
        except UnknownCode:
            pass
    return from_name(text)


def is_non_state(territory: Territory) -> bool:
    """True for non-state actors and international organisations (not countries, not areas)."""
    return territory.code in (NON_STATE.code, ORGANISATION.code)


def all_territories() -> tuple[Territory, ...]:
    """Every territory the index knows, sorted by code (for docs and tests)."""
    return tuple(sorted(set(_index().by_code.values()), key=lambda t: t.code))


def comtrade_codes() -> dict[int, Territory]:
    """The shipped Comtrade deviations table: code -> territory."""
    return dict(_index().by_comtrade)


def territory_arrays(
    values: pa.Array | pa.ChunkedArray, resolve: Callable[[str], Territory]
) -> dict[str, pa.Array]:
    """Resolve a column of codes or names at once.

    Resolves each distinct value once (``resolve`` is called per unique value) and spreads the
    answers back with ``pyarrow.compute.index_in`` + ``take``, so a 250k-row batch costs a few
    hundred Python calls. Returns arrays aligned with ``values``: ``code``, ``iso3``, ``m49``
    (strings), ``is_world``, ``is_area``, ``unknown`` (booleans). Values that ``resolve`` rejects
    get the :data:`UNKNOWN` codes and ``unknown = True``; null or blank inputs give null codes
    and ``unknown = False`` (nothing was claimed, nothing failed).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    text = pc.utf8_trim_whitespace(values)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    uniques = pc.unique(text).drop_null()
    codes: list[str | None] = []
    iso3s: list[str | None] = []
    m49s: list[str | None] = []
    worlds: list[bool] = []
    areas: list[bool] = []
    unknowns: list[bool] = []
    for raw in uniques.to_pylist():
        failed = False
        try:
            terr = resolve(raw)
        except (UnknownCode, InvalidInput):
            terr, failed = UNKNOWN, True
        codes.append(terr.code)
        iso3s.append(terr.iso3)
        m49s.append(terr.m49)
        worlds.append(terr.is_world)
        areas.append(terr.is_area)
        unknowns.append(failed)
    positions = pc.index_in(text, value_set=uniques)

    def spread(items: list[str | None] | list[bool], kind: pa.DataType) -> pa.Array:
        taken = pa.array(items, kind).take(positions)
        if kind == pa.bool_():
            taken = pc.fill_null(taken, False)
        return taken

    return {
        "code": spread(codes, pa.string()),
        "iso3": spread(iso3s, pa.string()),
        "m49": spread(m49s, pa.string()),
        "is_world": spread(worlds, pa.bool_()),
        "is_area": spread(areas, pa.bool_()),
        "unknown": spread(unknowns, pa.bool_()),
    }


__all__ = [
    "HIGH_SEAS",
    "NON_STATE",
    "NOT_APPLICABLE",
    "ORGANISATION",
    "SEVERAL",
    "UNKNOWN",
    "WORLD",
    "Territory",
    "all_territories",
    "comtrade_codes",
    "from_baci",
    "from_comtrade",
    "from_iso",
    "from_name",
    "is_non_state",
    "lookup",
    "territory_arrays",
]
