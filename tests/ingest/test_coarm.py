"""EU COARM / CAAT readers on the real files in ../shared/data and on hand-made fixtures.

Real cases from ../shared/data/caat-eu-arms-exports/SOURCE.md. ``export.csv`` is not in
../shared/data, so its reader is tested on a fixture built from CAAT's README.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from transship.exc import SourceFormatError, UnknownCode
from transship.ingest import ingest_file
from transship.ingest.coarm import CoarmConsultReader, CoarmExportReader, CoarmMissionReader
from transship.ingest.coarm_base import ATTRIBUTION, Places, ml_pieces
from transship.ingest.coarm_broker import CoarmBrokerReader, broker_rows, parse_python_row
from transship.ingest.registry import read_head, sniff
from transship.normalise import territories
from transship.store import Store

CAAT = "caat-eu-arms-exports"
BROKER = f"{CAAT}/broker.csv"
MISSION = f"{CAAT}/mission.csv"
CONSULT = f"{CAAT}/consult.csv"
COARM_READERS = (CoarmExportReader, CoarmBrokerReader, CoarmMissionReader, CoarmConsultReader)


def one(store: Store, sql: str, params: list[object] | None = None) -> object:
    rows = store.fetchall(sql, params)
    assert len(rows) == 1, rows
    return rows[0][0]


def _no_country(name: str) -> str | None:
    """What a group/region text becomes: the territory table's special code if it has one
    (e.g. ``zz-multi``), else NULL. Never a country code."""
    try:
        code: str | None = territories.from_name(name).code
    except UnknownCode:
        code = None
    assert code is None or code.startswith("zz"), (name, code)
    return code


def physical_lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8").split("\n")


# ---------------------------------------------------------------------------------------
# broker.csv
# ---------------------------------------------------------------------------------------


def test_broker_real_file(store: Store, shared_data: Path) -> None:
    path = shared_data / BROKER
    result = ingest_file(store, path)
    assert (result.format, result.status) == ("coarm-broker", "ok")
    # 1,089 lines: 195 python-list rows (lines 702-896) are reported, every other line loads.
    assert result.rows_rejected == 195
    lines = store.fetchall("SELECT min(line), max(line), count(*) FROM rejects")
    assert lines == [(702, 896, 195)]
    assert one(store, "SELECT count(DISTINCT line) FROM licence_stats") == 1089 - 195
    assert one(store, "SELECT count(*) FROM licence_stats") == result.rows_loaded
    assert store.fetchall("SELECT DISTINCT kind, dataset FROM licence_stats") == [
        ("brokering", "coarm")
    ]
    assert one(store, "SELECT attribution FROM sources") == ATTRIBUTION
    # Each row's line really is where its record sits in the file.
    text = physical_lines(path)
    for line, year, orig in store.fetchall(
        "SELECT DISTINCT line, year, source_orig FROM licence_stats"
    ):
        assert text[line - 1].startswith(f"{year},"), line
        assert f",{orig}," in text[line - 1], line


def test_broker_uk_serbian_ammunition_to_kenya(store: Store, shared_data: Path) -> None:
    ingest_file(store, shared_data / BROKER)
    rows = store.fetchall(
        "SELECT line, status, measure, value, currency, ml_orig FROM licence_stats "
        "WHERE year = 2008 AND source_country = 'gb' AND destination = 'ke' "
        "AND origin_country = 'rs' AND ml_category = 'ML3' ORDER BY measure"
    )
    assert rows == [
        (92, "issued", "count", 1.0, None, "ML3a"),
        (92, "issued", "value_licensed", 1_162_575.0, "EUR", "ML3a"),
    ]


def test_broker_destination_and_origin_follow_the_data(store: Store, shared_data: Path) -> None:
    """README says columns 5-6 are the source; the rows read destination (5-6), origin (12-13)."""
    ingest_file(store, shared_data / BROKER)
    rows = store.fetchall(
        "SELECT destination, destination_orig, origin_country, origin_orig, status, value "
        "FROM licence_stats WHERE year = 2011 AND source_country = 'de' "
        "AND measure = 'value_licensed' "
        "AND destination = 'rs'"
    )
    assert rows == [("rs", "Serbia", "ch", "Switzerland", "refused", 30_000.0)]


def test_broker_python_rows_are_parsed_and_reported_not_double_counted(
    store: Store, shared_data: Path
) -> None:
    path = shared_data / BROKER
    ingest_file(store, path)
    raw, reason = store.fetchall("SELECT raw, reason FROM rejects WHERE line = 703")[0]
    assert raw.startswith("[u'BULGARIA', 'issued', [u'Tajikistan']")
    assert (
        "Bulgaria issued -> Tajikistan, origin Serbia, ML1, 1 licence(s), 24,370.00 EUR" in reason
    )
    assert "not loaded" in reason
    # Parsing the raw row gives the same licence CAAT lists cleaned for 2013 on line 898...
    parsed = parse_python_row(raw)
    assert (parsed.broker_name, parsed.status, parsed.dest_names, parsed.origin_names) == (
        "Bulgaria",
        "issued",
        "Tajikistan",
        "Serbia",
    )
    assert (parsed.value_licensed, parsed.ml_text, parsed.quantity) == (
        ["24370,00 EUR"],
        "ML1",
        ["200 pcs"],
    )
    rows = {r["measure"]: r for r in broker_rows(parsed, Places())}
    assert (rows["value_licensed"]["value"], rows["value_licensed"]["currency"]) == (
        24_370.0,
        "EUR",
    )
    assert (rows["count"]["ml_category"], rows["count"]["origin_country"]) == ("ML1", "rs")
    assert rows["count"]["destination"] == "tj" and rows["count"]["source_country"] == "bg"
    # ... and the store holds that licence once, from the cleaned line.
    stored = store.fetchall(
        "SELECT line, year, measure, value FROM licence_stats WHERE source_country = 'bg' "
        "AND destination = 'tj' AND origin_country = 'rs' AND ml_category = 'ML1' ORDER BY measure"
    )
    assert stored == [
        (898, 2013, "count", 1.0),
        (898, 2013, "quantity", None),
        (898, 2013, "value_brokered", 24_370.0),
        (898, 2013, "value_licensed", 24_370.0),
    ]
    # Every python-list row parses (none is "cannot parse").
    assert (
        one(
            store,
            "SELECT count(*) FROM rejects WHERE reason LIKE 'python-list row without a year%'",
        )
        == 195
    )


def test_python_row_values_split_at_thousands_are_rejoined() -> None:
    row = (
        "[u'GERMANY', 'issued', [u'Oman'], 2, [u'2', u'00', u'', u'000 EUR\\n1', u'', u'125 EUR'], "
        "[u'ML 6A\\nML 7F'], [u'1 piece\\n48 pieces'], [u'2', u'00', u'', u'000 EUR\\n1', u'', "
        "u'125 EUR'], [u'United Arab Emirates;\\nUnited States']]"
    )
    parsed = parse_python_row(row)
    assert parsed.value_licensed == ["200000 EUR", "1125 EUR"]
    rows = broker_rows(parsed, Places())
    values = [(r["ml_category"], r["value"]) for r in rows if r["measure"] == "value_licensed"]
    assert values == [("ML6", 200_000.0), ("ML7", 1_125.0)]  # one figure per ML category
    counts = [(r["ml_category"], r["value"]) for r in rows if r["measure"] == "count"]
    assert counts == [("ML6", 2.0), ("ML7", 2.0)]
    assert {r["origin_country"] for r in rows} == {"ae;us"}
    austria = parse_python_row(
        "[u'AUSTRIA', 'issued', [u'Canada'], 2, [u'1', u'5', u'0', u'00', u'', u'000'], "
        "[u'ML 2\\nML 3\\nML 12'], [u'10\\n19', u'', u'000\\n2'], [u'1', u'5', u'0', u'00', u'', "
        "u'000'], [u'Russia']]"
    )
    assert austria.value_licensed == ["15000000"]  # CAAT's cleaned line 897 says 15000000 too
    assert austria.quantity == ["10", "19000", "2"]


def test_python_rows_are_never_evaluated(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="not a Python literal"):
        parse_python_row("[__import__('os').system('echo pwned')]")
    assert "pwned" not in capfd.readouterr().out
    with pytest.raises(ValueError, match="list of 9 items"):
        parse_python_row("[u'BULGARIA', 'issued']")


def test_ml_lists_split_into_categories() -> None:
    assert ml_pieces("ML 2\nML 3\nML 12") == [("ML2", "ML 2"), ("ML3", "ML 3"), ("ML12", "ML 12")]
    assert ml_pieces("ML4;ML3") == [("ML4", "ML4"), ("ML3", "ML3")]
    assert ml_pieces("ML1, 3, 4") == [("ML1", "ML1"), ("ML3", "3"), ("ML4", "4")]
    assert ml_pieces("ML1aPL5017") == [("ML1", "ML1a"), (None, "PL5017")]
    assert ml_pieces("MLMultiple categories") == [(None, "MLMultiple categories")]
    assert ml_pieces("ML134") == [(None, "ML134")]  # CAAT lost the separators of 'ML1, 3, 4'


def test_broker_fixture(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "coarm_broker.csv")
    assert result.format == "coarm-broker"
    rejects = dict(store.fetchall("SELECT line, reason FROM rejects ORDER BY line"))
    assert sorted(rejects) == [6, 7, 8, 9, 10]
    assert "expected issued or refused" in rejects[6]
    assert "not loaded" in rejects[7] and "not loaded" in rejects[8]
    assert rejects[9].startswith("cannot parse python-list row")
    assert rejects[10].startswith("cannot parse python-list row")
    # Multi-ML line with one total: counts per category, the value once with no category.
    de = store.query(
        "SELECT measure, ml_category, ml_orig, value, quantity_text, description "
        "FROM licence_stats "
        "WHERE line = 2 ORDER BY measure, ml_category"
    ).to_pylist()
    by = {(r["measure"], r["ml_category"]): r for r in de}
    assert by[("value_licensed", None)]["value"] == 85_722.0
    assert by[("value_licensed", None)]["ml_orig"] == "ML11A; ML21A"
    assert "several ML categories" in by[("value_licensed", None)]["description"]
    assert (by[("value_brokered", "ML11")]["value"], by[("value_brokered", "ML21")]["value"]) == (
        69_370.0,
        16_352.0,
    )
    assert by[("quantity", "ML21")]["quantity_text"] == "1 piece"
    # Several destinations and origins stay on one row, as ';'-joined codes.
    listed = store.fetchall(
        "SELECT DISTINCT destination, origin_country, measure FROM licence_stats WHERE line = 4"
    )
    assert listed == [("lk;ke;om", "ke;om;lk", "listed")]
    vessel = store.fetchall(
        "SELECT DISTINCT destination, destination_orig FROM licence_stats WHERE line = 5"
    )
    assert vessel == [(_no_country("Vessel, Platform in International Waters"), vessel[0][1])]
    assert vessel[0][1] == "Vessel, Platform in International Waters"
    qty = one(
        store, "SELECT quantity_text FROM licence_stats WHERE line = 12 AND measure = 'quantity'"
    )
    assert qty == "2772000 pcs"  # CAAT's "2772; ; 000 pcs", its split thousands joined back
    pl = store.fetchall(
        "SELECT ml_category, ml_orig FROM licence_stats WHERE line = 13 AND measure = 'count'"
    )
    assert pl == [("ML1", "ML1a")]


def test_broker_strict_stops_at_first_python_row(store: Store, shared_data: Path) -> None:
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, shared_data / BROKER, strict=True)
    assert err.value.line == 702
    assert store.count("licence_stats") == 0


def test_broker_reingest_is_idempotent(store: Store, shared_data: Path) -> None:
    first = ingest_file(store, shared_data / BROKER)
    before = store.fetchall(
        "SELECT count(*), count(DISTINCT record_id), sum(value) FROM licence_stats"
    )
    second = ingest_file(store, shared_data / BROKER)
    assert second.status == "skipped"
    assert (
        store.fetchall("SELECT count(*), count(DISTINCT record_id), sum(value) FROM licence_stats")
        == before
    )
    assert before[0][0] == before[0][1] == first.rows_loaded


# ---------------------------------------------------------------------------------------
# mission.csv and consult.csv
# ---------------------------------------------------------------------------------------


def test_mission_real_file_counts_physical_lines(store: Store, shared_data: Path) -> None:
    path = shared_data / MISSION
    result = ingest_file(store, path)
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("coarm-mission", 715, 1)
    # Line 634 is '2013,,,GW,Guinea-Bissau,,': a destination and nothing else.
    assert one(store, "SELECT line FROM rejects") == 634
    text = physical_lines(path)
    for line, year, src in store.fetchall("SELECT line, year, source_orig FROM licence_stats"):
        assert text[line - 1].startswith(f"{year},"), line
        assert src is None or src in text[line - 1]
    # The record on line 619 runs onto line 620 (a newline inside quotes): no row starts there.
    assert store.fetchall(
        "SELECT source_country, destination FROM licence_stats WHERE line = 619"
    ) == [("hu", "af")]
    assert one(store, "SELECT count(*) FROM licence_stats WHERE line = 620") == 0
    assert one(store, "SELECT count(*) FROM licence_stats WHERE line = 621") == 1
    other = store.fetchall(
        "SELECT destination, destination_orig FROM licence_stats WHERE line = 726"
    )
    assert other == [(_no_country("OTHER"), "OTHER")]
    assert one(store, "SELECT count(*) FROM licence_stats WHERE kind <> 'mission'") == 0


def test_mission_fixture(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "coarm_mission.csv")
    assert (result.rows_loaded, result.rows_rejected) == (5, 1)
    rows = {r["line"]: r for r in store.query("SELECT * FROM licence_stats").to_pylist()}
    assert sorted(rows) == [1, 2, 5, 6, 7]
    assert rows[2]["description"].startswith("Bullet-proof jacket, gas-mask,\n7,62 PKMSZ")
    assert (rows[5]["source_country"], rows[5]["ml_category"], rows[5]["ml_orig"]) == (
        "at",
        "ML1",
        "ML 1",
    )
    assert (rows[6]["ml_category"], rows[6]["ml_orig"]) == (None, "ML 13; ML 3")
    assert rows[5]["mission"] == "United Nations Mission in Liberia (UNMIL)"
    assert one(store, "SELECT line || ':' || \"column\" FROM rejects") == "8:source"


def test_consult_real_file(store: Store, shared_data: Path) -> None:
    result = ingest_file(store, shared_data / CONSULT)
    # consult.csv lists Indonesia's 2013 consultations twice (lines 700 and 702: 2, then 1):
    # one natural key, two values, so the second is a reject (docs/store.md, Revisions).
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("coarm-consult", 1079, 1)
    [(line, reason)] = store.fetchall("SELECT line, reason FROM rejects")
    assert line == 702 and reason.startswith("duplicate key (kind=consultation, year=2013")
    assert reason.endswith("first seen on line 700")
    romania = store.fetchall(
        "SELECT measure, value FROM licence_stats "
        "WHERE year = 2005 AND source_country = 'ro' ORDER BY 1"
    )
    assert romania == [("initiated", 1.0), ("received", 0.0)]
    andorra = store.fetchall(
        "SELECT measure, value, source_country FROM licence_stats "
        "WHERE destination = 'ad' AND year = 2005"
    )
    assert andorra == [("concerning", 3.0, None)]
    total = store.fetchall("SELECT measure, value FROM licence_stats WHERE line = 127 ORDER BY 1")
    assert total == [("initiated_total", 133.0), ("received_total", 0.0)]
    fry = territories.from_name("Federal Republic of Yugoslavia").code  # the table's choice
    assert store.fetchall(
        "SELECT DISTINCT destination FROM licence_stats "
        "WHERE destination_orig = 'Federal Republic of Yugoslavia'"
    ) == [(fry,)]
    others = store.fetchall(
        "SELECT DISTINCT destination FROM licence_stats WHERE destination_orig = 'Others'"
    )
    assert others == [(_no_country("Others"),)]
    unresolved = store.fetchall(
        "SELECT DISTINCT destination_orig FROM licence_stats "
        "WHERE destination IS NULL AND destination_orig IS NOT NULL"
    )
    assert set(unresolved) <= {("Others",)}


def test_consult_fixture(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "coarm_consult.csv")
    assert (result.rows_loaded, result.rows_rejected) == (8, 1)
    assert one(store, 'SELECT "column" FROM rejects WHERE line = 7') == "received"
    # Whatever the territory table makes of Northern Cyprus, the reader passes it through.
    expected = territories.from_name("Northern Cyprus").code
    assert one(store, "SELECT destination FROM licence_stats WHERE line = 6") == expected


# ---------------------------------------------------------------------------------------
# export.csv (fixture built from CAAT's README)
# ---------------------------------------------------------------------------------------


def test_export_fixture(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "coarm_export.csv")
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("coarm-export", 15, 3)
    rejects = dict(store.fetchall('SELECT line, "column" FROM rejects'))
    assert rejects == {16: "rating", 17: "category", 18: "value"}
    bg_ua = store.fetchall(
        "SELECT measure, value, currency, ml_category, ml_orig, embargo FROM licence_stats "
        "WHERE year = 2021 AND source_country = 'bg' AND destination = 'ua' ORDER BY measure"
    )
    assert bg_ua == [
        ("a", 14.0, None, "ML3", "ML 3", False),
        ("b", 35_412_760.0, "EUR", "ML3", "ML 3", False),
        ("c", 18_250_990.0, "EUR", "ML3", "ML 3", False),
    ]
    assert (
        one(store, "SELECT value FROM licence_stats WHERE source_country = 'pl' AND measure = 'b'")
        == 1_234_567.89
    )
    assert store.fetchall(
        "SELECT DISTINCT embargo FROM licence_stats WHERE destination = 'ru'"
    ) == [(True,)]
    assert store.fetchall(
        "SELECT DISTINCT source_orig FROM licence_stats WHERE source_country = 'cz' ORDER BY 1"
    ) == [("Czech Republic",), ("Czechia",)]
    assert (
        one(store, "SELECT description FROM licence_stats WHERE line = 1")
        == "region EUO Other Europe"
    )


def test_export_strict_and_simulated(store: Store, fixtures: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, fixtures / "coarm_export.csv", strict=True)
    assert (err.value.line, err.value.column) == (16, "rating")
    sim = tmp_path / "export_sim.csv"
    sim.write_text("# SIMULATED licence statistics\n" + (fixtures / "coarm_export.csv").read_text())
    result = ingest_file(store, sim)
    assert (result.format, result.rows_loaded) == ("coarm-export", 15)
    assert store.fetchall("SELECT DISTINCT simulated FROM licence_stats") == [(True,)]
    assert one(store, "SELECT min(line) FROM licence_stats") == 2


def test_wrong_kind_is_a_format_error(store: Store, shared_data: Path, fixtures: Path) -> None:
    with pytest.raises(SourceFormatError, match="expected 13 fields"):
        ingest_file(store, shared_data / MISSION, format="coarm-broker")
    with pytest.raises(SourceFormatError, match="expected 7 fields"):
        ingest_file(store, shared_data / CONSULT, format="coarm-mission")
    with pytest.raises(SourceFormatError, match="not COARM export data"):
        ingest_file(store, fixtures / "sipri_register_classic.csv", format="coarm-export")


# ---------------------------------------------------------------------------------------
# Names and sniffing
# ---------------------------------------------------------------------------------------


def test_every_caat_place_resolves_or_is_a_known_aggregate(store: Store, shared_data: Path) -> None:
    for name in (BROKER, MISSION, CONSULT):
        ingest_file(store, shared_data / name)
    for col in ("source", "destination", "origin"):
        code = (
            "origin_country" if col == "origin" else ("source_country" if col == "source" else col)
        )
        unresolved = {
            r[0]
            for r in store.fetchall(
                f"SELECT DISTINCT {col}_orig FROM licence_stats "
                f"WHERE {code} IS NULL AND {col}_orig IS NOT NULL"
            )
        }
        assert all(
            u.lower().startswith(
                (
                    "worldwide",
                    "multiple",
                    "different",
                    "not applicable",
                    "vessel",
                    "nato+",
                    "nordic",
                    "other",
                )
            )
            for u in unresolved
        ), unresolved
    assert (
        one(
            store,
            "SELECT count(*) FROM licence_stats "
            "WHERE source_country IS NULL AND kind <> 'consultation'",
        )
        == 0
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"shared:{BROKER}", "coarm-broker"),
        (f"shared:{MISSION}", "coarm-mission"),
        (f"shared:{CONSULT}", "coarm-consult"),
        ("fixtures:coarm_export.csv", "coarm-export"),
        ("fixtures:coarm_broker.csv", "coarm-broker"),
        ("fixtures:coarm_mission.csv", "coarm-mission"),
        ("fixtures:coarm_consult.csv", "coarm-consult"),
    ],
)
def test_sniff(shared_data: Path, fixtures: Path, path: str, expected: str) -> None:
    where, name = path.split(":")
    full = (shared_data if where == "shared" else fixtures) / name
    assert sniff(full).name == expected
    head = read_head(full)
    scores = {cls.name: cls.sniff(full, head) for cls in COARM_READERS}
    assert scores[expected] >= 80, scores
    assert all(s < 30 for n, s in scores.items() if n != expected), scores


def test_sniff_does_not_claim_other_formats(
    shared_data: Path, fixtures: Path, tmp_path: Path
) -> None:
    comtrade = tmp_path / "comtrade.csv"
    comtrade.write_text(
        "Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow Code,"
        "Trade Flow,Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,"
        "Commodity Code,Commodity,Trade Value (US$)\n"
        "H5,2021,2021,2021,6,1,2,Export,688,Serbia,SRB,804,Ukraine,UKR,930630,Cartridges,12345\n"
    )
    others = [
        comtrade,
        shared_data / "sipri-trade-register/trade_register_1995_2025.csv",
        shared_data / "sipri-tiv-360info/sipri-exports-processed.csv",
        shared_data / "sipri-tiv-360info/raw-tiv-by-exporter/TIV-Export-SER-1950-2021.csv",
        fixtures / "sipri_register_classic.csv",
    ]
    # Real Comtrade bulk CSVs, OpenSanctions fixtures and reference tables (read in place).
    others += sorted((shared_data / "comtrade-hs2-oil-wood-sample").glob("*.csv"))
    others += sorted((shared_data / "opensanctions-ftm-fixtures").glob("*.csv"))
    others += sorted((shared_data / "reference").glob("*.csv"))
    for path in others:
        head = read_head(path)
        assert all(cls.sniff(path, head) < 30 for cls in COARM_READERS), path.name
