"""Territories: contract examples, every name/code in the real source files, round trips."""

from __future__ import annotations

import ast
import csv
import random
import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transship.exc import UnknownCode
from transship.normalise._tables import read_table
from transship.normalise.territories import (
    HIGH_SEAS,
    NON_STATE,
    NOT_APPLICABLE,
    ORGANISATION,
    SEVERAL,
    UNKNOWN,
    WORLD,
    Territory,
    all_territories,
    comtrade_codes,
    from_baci,
    from_comtrade,
    from_iso,
    from_name,
    is_non_state,
    lookup,
    territory_arrays,
)

ALL = all_territories()
CURRENT = [t for t in ALL if t.iso2 is not None and t.iso3 is not None and t.m49 is not None]


# --- contract examples --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected", "iso3", "m49"),
    [
        (842, "us", "USA", "840"),
        ("251", "fr", "FRA", "250"),
        (699, "in", "IND", "356"),
        (757, "ch", "CHE", "756"),
        (579, "no", "NOR", "578"),
        (490, "tw", "TWN", "158"),
        (891, "csxx", "SCG", "891"),
        (890, "yucs", "YUG", "890"),
        (810, "suhh", "SUN", "810"),
        (688, "rs", "SRB", "688"),
        ("804", "ua", "UKR", "804"),
        (" 203 ", "cz", "CZE", "203"),
        ("616.0", "pl", "POL", "616"),
    ],
)
def test_comtrade_codes(code: int | str, expected: str, iso3: str, m49: str) -> None:
    terr = from_comtrade(code)
    assert (terr.code, terr.iso3, terr.m49) == (expected, iso3, m49)
    assert terr.is_country and not terr.is_area and not terr.is_world


def test_comtrade_world_and_areas() -> None:
    assert from_comtrade(0) is WORLD
    assert WORLD.is_world and not WORLD.is_country and WORLD.iso3 == "WLD"
    for code in (568, 636, 637, 837, 838, 839, 899, 472, 58):
        terr = from_comtrade(code)
        assert terr.code == f"zz-{code}"
        assert terr.is_area and not terr.is_country and terr.iso3 is None and terr.m49 is None


def test_comtrade_unknown_code_raises() -> None:
    for bad in (9999, "abc", "", -5, True):
        with pytest.raises(UnknownCode):
            from_comtrade(bad)


def test_baci_italy_and_shared_deviations() -> None:
    assert from_baci(381).code == "it"
    assert from_baci(380).code == "it"
    assert from_baci(842).code == "us"
    assert from_baci("490").code == "tw"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("RS", "rs"),
        ("rs", "rs"),
        ("SRB", "rs"),
        ("688", "rs"),
        ("SUHH", "suhh"),
        ("suhh", "suhh"),
        ("SU", "suhh"),
        ("YUCS", "yucs"),
        ("YU", "yucs"),
        ("CSXX", "csxx"),
        ("SCG", "csxx"),
        ("CSHH", "cshh"),
        ("DDDE", "dd"),
        ("DDR", "dd"),
        ("XK", "xk"),
        ("XKX", "xk"),
        ("ua-cri", "ua-cri"),
        ("TWN", "tw"),
        ("158", "tw"),
        ("4", "af"),
        ("004", "af"),
        ("WLD", "world"),
        ("world", "world"),
        ("zz", "zz"),
        ("zz-899", "zz-899"),
        ("YDYE", "ydye"),
    ],
)
def test_from_iso(code: str, expected: str) -> None:
    assert from_iso(code).code == expected


def test_from_iso_unknown() -> None:
    for bad in ("QQ", "QQQ", "999", "", "not a code"):
        with pytest.raises(UnknownCode):
            from_iso(bad)


SERBIA_CASE = {
    "rs": ["Serbia", "Srbija", "Србија", "SERBIA"],
    "ua": ["Ukraine", "Ukrajina", "Украјина", "UKRAINE"],
    "ru": ["Russia", "Rusija", "Русија", "Russian Federation"],
    "cz": ["Czechia", "Češka", "Чешка", "Czech Republic", "CZECH REPUBLIC"],
    "pl": ["Poland", "Poljska", "Пољска"],
    "bg": ["Bulgaria", "Bugarska", "Бугарска", "BULGARIA"],
    "ke": ["Kenya", "Kenija", "Кенија"],
    "ng": ["Nigeria", "Nigerija", "Нигерија"],
    "tr": ["Türkiye", "Turkiye", "Turkey", "Turska", "Турска"],
    "us": ["USA", "United States", "SAD", "САД", "Sjedinjene Američke Države"],
    "es": ["Spain", "Španija", "Шпанија"],
    "sk": ["Slovakia", "Slovačka", "Словачка"],
    "ro": ["Romania", "Rumunija", "Румунија"],
    "hu": ["Hungary", "Mađarska", "Мађарска"],
    "de": ["Germany", "Nemačka", "Немачка"],
    "gb": ["UK", "United Kingdom", "Velika Britanija", "Велика Британија"],
    "ae": ["UAE", "United Arab Emirates", "Ujedinjeni Arapski Emirati"],
    "ba": ["Bosnia-Herzegovina", "Bosnia & Herzegovina", "Bosna i Hercegovina"],
    "ci": ["Cote d'Ivoire", "Côte d’Ivoire", "Ivory Coast", "Obala Slonovače"],
    "cd": ["DR Congo", "Democratic Republic of Congo", "DR Kongo"],
    "mk": ["North Macedonia", "FYROM", "Macedonia", "Severna Makedonija"],
    "kr": ["South Korea", "Korea, Republic of", "Korea South"],
    "suhh": ["Soviet Union", "USSR", "Sovjetski Savez", "СССР"],
    "yucs": ["Yugoslavia", "Jugoslavija", "СФРЈ"],
    "csxx": [
        "Serbia and Montenegro",
        "Srbija i Crna Gora",
        "SRJ",
        "Federal Republic of Yugoslavia",
    ],
    "cshh": ["Czechoslovakia", "Čehoslovačka"],
    "dd": ["East Germany (GDR)", "East Germany"],
}


@pytest.mark.parametrize(("expected", "names"), sorted(SERBIA_CASE.items()))
def test_names_of_the_serbia_case(expected: str, names: list[str]) -> None:
    for name in names:
        assert from_name(name).code == expected, name
        assert lookup(name).code == expected, name


def test_non_state_and_special_names() -> None:
    assert from_name("unknown recipient(s)") is UNKNOWN
    assert from_name("Unknown supplier(s)") is UNKNOWN
    assert from_name("Hezbollah (Lebanon)*") is NON_STATE
    assert from_name("PKK (Turkiye)*") is NON_STATE
    assert from_name("Unknown rebel group*") is NON_STATE
    assert from_name("Biafra") is NON_STATE
    assert from_name("NATO**") is ORGANISATION
    assert from_name("African Union**") is ORGANISATION
    assert from_name("European Union**").code == "eu"
    assert from_name("Multiple countries") is SEVERAL
    assert from_name("Vessel, Platform in International Waters") is HIGH_SEAS
    assert from_name("Not Applicable-licence issued for promotional activity only") is (
        NOT_APPLICABLE
    )
    assert is_non_state(NON_STATE) and is_non_state(ORGANISATION)
    assert not is_non_state(from_name("Serbia"))
    for special in (NON_STATE, ORGANISATION, UNKNOWN, SEVERAL):
        assert not special.is_country


def test_real_file_names_need_no_rigour_fallback(shared_data: Path) -> None:
    """rigour's own name lookup costs ~5 s on first use; the names of the real files must be
    answered from our index (rigour/pycountry names plus aliases) without it."""
    from transship.normalise.territories import _index, _name_key

    names = _sipri_register_names(shared_data) | _sipri_tiv_names(shared_data)
    by_name = _index().by_name
    missing = {n for n in names if not n.endswith("*") and _name_key(n) not in by_name}
    assert missing == set()


def test_multilingual_names_come_from_our_index() -> None:
    """rigour's multilingual names are in our index (fast), not only in its slow lookup."""
    from transship.normalise.territories import _index, _name_key

    by_name = _index().by_name
    for name, code in (("Україна", "ua"), ("Serbien", "rs"), ("Turquie", "tr"), ("Kenia", "ke")):
        assert by_name[_name_key(name)].code == code
        assert from_name(name).code == code


def test_unknown_name_raises() -> None:
    for bad in ("Atlantis", "", "   ", "*"):
        with pytest.raises(UnknownCode):
            from_name(bad)


def test_lookup_dispatch() -> None:
    assert lookup(842).code == "us"
    assert lookup("842").code == "us"
    assert lookup("SRB").code == "rs"
    assert lookup("Iran").code == "ir"  # four letters, not an alpha-4 code
    assert lookup("Peru").code == "pe"
    assert lookup("Mali").code == "ml"
    assert lookup("ua-cri").code == "ua-cri"
    assert lookup("UA-CRI").code == "ua-cri"
    assert lookup("zz-899").is_area


# --- every name and code in the real files -----------------------------------------------


def _sipri_register_names(shared: Path) -> set[str]:
    path = shared / "sipri-trade-register" / "trade_register_1995_2025.csv"
    with path.open(encoding="latin-1", newline="") as handle:
        rows = list(csv.reader(handle))
    header = next(i for i, row in enumerate(rows) if row and row[0].startswith("SIPRI AT"))
    cols = [rows[header].index("Supplier"), rows[header].index("Recipient")]
    return {row[c] for row in rows[header + 1 :] if len(row) > max(cols) for c in cols}


def _sipri_tiv_names(shared: Path) -> set[str]:
    names: set[str] = set()
    base = shared / "sipri-tiv-360info"
    with (base / "sipri-exports-processed.csv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            names.update((record["supplier"], record["recipient"]))
    for path in sorted((base / "raw-tiv-by-exporter").glob("*.csv")):
        with path.open(encoding="latin-1", newline="") as handle:
            rows = list(csv.reader(handle))
        title = rows[0][0]  # "TIV of arms exports from Albania, 1950-2021"
        names.add(title.split(" from ", 1)[1].rsplit(",", 1)[0])
        year_row = next(i for i, row in enumerate(rows) if len(row) > 1 and row[1] == "1950")
        for row in rows[year_row + 1 :]:
            if row and row[0] and row[0] != "Total":
                names.add(row[0])
    return names


def test_every_sipri_name_resolves(shared_data: Path) -> None:
    names = _sipri_register_names(shared_data) | _sipri_tiv_names(shared_data)
    assert len(names) > 250
    resolved = {name: from_name(name) for name in sorted(names)}  # raises on any miss
    starred = {n for n in names if n.endswith("*")}
    assert starred, "the SIPRI files mark non-state actors with '*'"
    for name in starred:
        assert is_non_state(resolved[name]) or resolved[name].code in ("eu", "un"), name
    # Names without a star are countries, former countries, unknown, secessionist entities
    # (Biafra, Katanga) or Northern Cyprus (rigour's unrecognised-state code).
    for name, terr in resolved.items():
        if name not in starred:
            allowed = terr.is_country or terr in (UNKNOWN, NON_STATE) or terr.code == "cy-trnc"
            assert allowed, name
    assert resolved["Turkiye"].code == "tr"
    assert resolved["Czechia"].code == "cz"
    assert resolved["Soviet Union"].code == "suhh"


def _split(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]


def test_every_caat_name_and_code_resolves(shared_data: Path) -> None:
    folder = shared_data / "caat-eu-arms-exports"
    names: set[str] = set()
    codes: set[str] = set()
    layout = {"broker.csv": ([2, 5, 12], [1, 4, 11]), "consult.csv": ([2, 4], [1, 3])}
    layout["mission.csv"] = layout["consult.csv"]
    for file, (name_cols, code_cols) in layout.items():
        with (folder / file).open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                if not row or row[0].startswith("["):
                    continue
                names.update(p for c in name_cols if c < len(row) for p in _split(row[c]))
                codes.update(p for c in code_cols if c < len(row) for p in _split(row[c]))
    # The 195 malformed broker rows are Python reprs spanning lines; their names are
    # upper-case member states ('BULGARIA') and free text ('UK, Latvia, Russia').
    text = (folder / "broker.csv").read_text(encoding="utf-8")
    buffer, reprs = "", 0
    for line in text.split("\n"):
        if not (line.startswith("[") or buffer):
            continue
        buffer += line + "\n"
        try:
            record = ast.literal_eval(buffer.strip())
        except SyntaxError:
            continue
        buffer, reprs = "", reprs + 1
        for value in [record[0], *record[2], *record[-1]]:
            for part in _split(value):
                names.update([part] if "," not in part or _resolves(part) else part.split(","))
    assert reprs == 195
    assert {"BULGARIA", "CZECH REPUBLIC", "Korea, Republic of"} <= names
    for name in sorted(n.strip() for n in names if n.strip()):
        from_name(name)
    for code in sorted(codes):
        from_iso(code)


def _resolves(name: str) -> bool:
    try:
        from_name(name)
    except UnknownCode:
        return False
    return True


def _comtradr_rows(shared: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in ("comtrade_partners.csv", "comtrade_reporters.csv"):
        with (shared / "reference" / name).open(encoding="utf-8-sig", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


# Codes where we knowingly differ from comtradr's iso_3 column, and why.
COMTRADE_ISO3_EXCEPTIONS = {
    "58": "Belgium-Luxembourg union is an area, not Belgium",
    "492": "Europe EU nes is an area; comtradr reuses Monaco's MCO",
    "97": "EU aggregate: no ISO alpha-3",
    "412": "Kosovo: comtradr writes _KS, we use XKX",
    "488": "Midway: comtradr _MI, ISO 3166-3 MID",
    "490": "Other Asia nes = Taiwan (TWN), comtradr writes S19",
    "872": "Wake Island: comtradr _WI, ISO 3166-3 WAK",
}


def test_every_comtrade_code_resolves(shared_data: Path) -> None:
    rows = _comtradr_rows(shared_data)
    assert len(rows) > 500
    for row in rows:
        terr = from_comtrade(row["id"])
        official = row["iso_3"].strip()
        real_iso3 = re.fullmatch(r"[A-Z]{3}", official) is not None
        if row["id"] in COMTRADE_ISO3_EXCEPTIONS or row["id"] == "0":
            continue
        if real_iso3 and official != "EUR":
            assert terr.iso3 == official, (row["id"], row["country"], terr)
            assert terr.is_country
        else:
            # Pseudo codes (_AC, X1, S19, R4...) are areas and aggregates.
            assert terr.is_area and terr.iso3 is None, (row["id"], row["country"], terr)
    assert from_comtrade(0).is_world


# Names in the code lists we knowingly resolve elsewhere or not at all.
NAME_EXCEPTIONS = {
    "Saint Helena": "rigour's 'sh-hl' (the island) wins over 'sh' (with Ascension, Tristan)",
    "CÙte d'Ivoire": "BACI file mojibake",
    "CuraÁao": "BACI file mojibake",
}


def test_every_code_list_name_resolves_to_its_code(shared_data: Path) -> None:
    """Comtrade's names and notes, BACI's names: by name, the same territory as by code.

    Only our own index is asked (no rigour fallback), so readers never pay its start-up."""
    from transship.normalise.territories import _index, _name_keys

    by_name = _index().by_name

    def by_our_index(name: str) -> Territory | None:
        return next((by_name[k] for k in _name_keys(name) if k in by_name), None)

    checked = 0
    for row in _comtradr_rows(shared_data):
        for name in (row["country"].strip(), row["note"].strip()):
            if name and name not in NAME_EXCEPTIONS:
                assert by_our_index(name) == from_comtrade(row["id"]), (row["id"], name)
                checked += 1
    path = shared_data / "reference" / "baci_country_codes.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            for col in ("country_name_abbreviation", "country_name_full"):
                if row[col] not in NAME_EXCEPTIONS:
                    expected = from_baci(row["country_code"])
                    assert by_our_index(row[col]) == expected, (row["country_code"], row[col])
                    checked += 1
    assert checked > 1000


def test_every_code_in_real_comtrade_files_resolves(shared_data: Path) -> None:
    """Legacy Comtrade CSVs use codes the reference lists lack (381 Italy)."""
    seen: set[str] = set()
    for path in sorted((shared_data / "comtrade-hs2-oil-wood-sample").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(line for line in handle if not line.startswith("#"))
            header = next(rows)
            cols = [i for i, h in enumerate(header) if h in ("Reporter Code", "Partner Code")]
            assert len(cols) == 2, header
            for row in rows:
                seen.update(row[i] for i in cols if i < len(row) and row[i].strip())
    assert "381" in seen and len(seen) > 150
    for code in sorted(seen):
        from_comtrade(code)
    assert from_comtrade(381).code == "it"


def test_every_baci_code_resolves(shared_data: Path) -> None:
    path = shared_data / "reference" / "baci_country_codes.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 230
    # Areas (58, 711); Taiwan; the former US Pacific islands carry ISO 3166-3 PUS.
    exceptions = {"58": None, "711": None, "490": "TWN", "849": "PUS"}
    for row in rows:
        terr = from_baci(row["country_code"])
        code = row["country_code"]
        expected = exceptions[code] if code in exceptions else row["iso_3digit_alpha"]
        if expected == "N/A":
            assert terr.is_area, row
        else:
            assert terr.iso3 == expected, row


def test_shipped_comtrade_table_is_consistent() -> None:
    table = read_table("comtrade_areas.csv")
    codes = comtrade_codes()
    assert {int(r["code"]) for r in table} == set(codes)
    for row in table:
        terr = codes[int(row["code"])]
        assert terr.code == row["territory"]
        assert (terr.iso3 or "") == row["iso3"], row
        assert terr.is_area == (row["is_area"] == "true"), row
    # The documented Taiwan decision.
    assert codes[490] == Territory("tw", "TW", "TWN", "158", "Taiwan", is_country=True)


def test_alias_table_targets_exist_and_do_not_conflict() -> None:
    seen: dict[str, str] = {}
    for row in read_table("territory_aliases.csv"):
        assert from_iso(row["territory"]).code == row["territory"], row
        assert row["lang"] in {"en", "sr-Latn", "sr-Cyrl"}, row
        key = row["alias"].casefold()
        assert seen.setdefault(key, row["territory"]) == row["territory"], row
        assert from_name(row["alias"]).code == row["territory"], row


# --- properties ---------------------------------------------------------------------------


@given(st.sampled_from(ALL))
def test_code_round_trip(terr: Territory) -> None:
    assert from_iso(terr.code) == terr
    assert lookup(terr.code) == terr


@given(st.sampled_from([t for t in ALL if t.iso3]))
def test_iso3_round_trip(terr: Territory) -> None:
    assert from_iso(terr.iso3 or "") == terr
    assert from_iso((terr.iso3 or "").lower()) == terr


@given(st.sampled_from(CURRENT))
def test_iso2_iso3_m49_agree(terr: Territory) -> None:
    assert from_iso(terr.iso2 or "") == terr
    assert from_iso(terr.iso3 or "") == terr
    assert from_iso(terr.m49 or "") == terr
    assert len(terr.m49 or "") == 3


@given(st.sampled_from(ALL))
def test_name_round_trip(terr: Territory) -> None:
    # Two territories may share a name (the Indian state and the former kingdom of Sikkim);
    # the name must at least lead back to a territory of that name.
    assert lookup(terr.name).name == terr.name or lookup(terr.name) == terr


@given(st.sampled_from(sorted(comtrade_codes())))
def test_comtrade_to_iso3_and_back(code: int) -> None:
    terr = from_comtrade(code)
    if terr.iso3:
        assert from_iso(terr.iso3) == terr
    assert from_comtrade(str(code)) == terr


def test_current_countries_cover_iso_3166() -> None:
    import pycountry

    assert len(CURRENT) >= len(pycountry.countries) - 1
    for country in pycountry.countries:
        terr = from_iso(country.alpha_3)
        assert terr.iso2 == country.alpha_2
        assert terr.m49 == country.numeric


# --- territory_arrays ---------------------------------------------------------------------

VALUES = ["842", "0", "688", "490", "899", "9999", None, "", " 251 ", "804", "842"]


def test_territory_arrays_matches_row_by_row() -> None:
    out = territory_arrays(pa.array(VALUES), from_comtrade)
    assert set(out) == {"code", "iso3", "m49", "is_world", "is_area", "unknown"}
    assert out["code"].to_pylist() == [
        "us",
        "world",
        "rs",
        "tw",
        "zz-899",
        "zz",
        None,
        None,
        "fr",
        "ua",
        "us",
    ]
    assert out["iso3"].to_pylist()[:4] == ["USA", "WLD", "SRB", "TWN"]
    assert out["m49"].to_pylist()[:3] == ["840", "001", "688"]
    assert out["is_world"].to_pylist()[:2] == [False, True]
    assert out["is_area"].to_pylist()[4] is True
    assert out["unknown"].to_pylist() == [False] * 5 + [True] + [False] * 5
    assert all(len(a) == len(VALUES) for a in out.values())


def test_territory_arrays_accepts_integers_and_chunks() -> None:
    ints = pa.chunked_array([[842, 0], [688, None]])
    out = territory_arrays(ints, from_comtrade)
    assert out["code"].to_pylist() == ["us", "world", "rs", None]


def test_territory_arrays_resolves_each_unique_value_once() -> None:
    calls: list[str] = []

    def counting(value: str) -> Territory:
        calls.append(value)
        return from_comtrade(value)

    values = pa.array(["842", "688"] * 50_000)
    out = territory_arrays(values, counting)
    assert sorted(calls) == ["688", "842"]
    assert out["code"].to_pylist()[:3] == ["us", "rs", "us"]


@settings(max_examples=30)
@given(st.lists(st.sampled_from(VALUES + ["Serbia", "UAE", "zz"]), min_size=1, max_size=40))
def test_territory_arrays_order_independent(values: list[str | None]) -> None:
    shuffled = list(enumerate(values))
    random.Random(len(values)).shuffle(shuffled)
    first = territory_arrays(pa.array(values, pa.string()), lookup)
    second = territory_arrays(pa.array([v for _, v in shuffled], pa.string()), lookup)
    for key in first:
        forward = first[key].to_pylist()
        back = second[key].to_pylist()
        assert [forward[i] for i, _ in shuffled] == back
