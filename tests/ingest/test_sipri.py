"""SIPRI readers on the real files in ../shared/data and on hand-made fixtures.

The real-case figures come from ../shared/data/sipri-trade-register/SOURCE.md and
../shared/data/sipri-tiv-360info/SOURCE.md.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.ingest import ingest_file
from transship.ingest.base import ReadContext, Reject, Rows
from transship.ingest.registry import read_head, sniff
from transship.ingest.sipri import (
    ATTRIBUTION,
    SipriRegisterReader,
    SipriTivTidyReader,
    SipriTivWideReader,
)
from transship.store import Store

REGISTER = "sipri-trade-register/trade_register_1995_2025.csv"
TIDY = "sipri-tiv-360info/sipri-exports-processed.csv"
WIDE_DIR = "sipri-tiv-360info/raw-tiv-by-exporter"
SERBIA_WIDE = f"{WIDE_DIR}/TIV-Export-SER-1950-2021.csv"
CLASSIC = "sipri_register_classic.csv"


def one(store: Store, sql: str, params: list[object] | None = None) -> object:
    rows = store.fetchall(sql, params)
    assert len(rows) == 1, rows
    return rows[0][0]


@pytest.fixture(scope="module")
def register_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Store:
    """The real trade register, loaded once for the read-only tests of this module."""
    from transship.store import connect

    store = connect(tmp_path_factory.mktemp("sipri") / "register.duckdb")
    result = ingest_file(store, shared_data / REGISTER)
    assert result.status == "ok"
    return store


# ---------------------------------------------------------------------------------------
# Trade register, current layout (real file)
# ---------------------------------------------------------------------------------------


def test_register_real_file_loads_every_row(register_store: Store, shared_data: Path) -> None:
    run = register_store.fetchall(
        "SELECT format, rows_loaded, rows_rejected, status FROM ingest_runs"
    )
    assert run == [("sipri-register", 25_024, 0, "ok")]
    assert register_store.count("arms_transfers") == 25_024
    assert one(register_store, "SELECT attribution FROM sources") == ATTRIBUTION
    # Line numbers are physical: 11 preamble lines, the header on line 12, data from 13.
    first = register_store.fetchall(
        "SELECT line, deal_id, supplier, recipient, designation, local_production "
        "FROM arms_transfers ORDER BY line LIMIT 1"
    )
    assert first == [(13, "55238", "al", "bf", "PM-43 120mm", False)]
    last_line = sum(1 for _ in open(shared_data / REGISTER, "rb"))
    assert one(register_store, "SELECT max(line) FROM arms_transfers") == last_line


def test_register_ukraine_imports_match_source_md(register_store: Store) -> None:
    totals = dict(
        register_store.fetchall(
            "SELECT delivery_year, round(sum(tiv_delivered), 1) FROM arms_transfers "
            "WHERE recipient = 'ua' AND delivery_year BETWEEN 2021 AND 2024 GROUP BY 1"
        )
    )
    assert totals[2021] == pytest.approx(44, abs=0.5)
    assert totals[2022] == pytest.approx(2930, abs=0.5)
    assert totals[2023] == pytest.approx(4291, abs=0.5)
    assert totals[2024] == pytest.approx(5230, abs=0.5)
    by_supplier = dict(
        register_store.fetchall(
            "SELECT supplier || ':' || delivery_year, round(sum(tiv_delivered), 1) "
            "FROM arms_transfers WHERE recipient = 'ua' GROUP BY 1"
        )
    )
    assert by_supplier["pl:2022"] == 704.5
    assert by_supplier["pl:2023"] == 572.3
    assert by_supplier["cz:2022"] == 148.2
    assert by_supplier["sk:2023"] == 153.6
    assert by_supplier["bg:2024"] == 14.0
    assert "bg:2022" not in by_supplier and "bg:2023" not in by_supplier


def test_register_serbia_cases(register_store: Store) -> None:
    kenya = register_store.fetchall(
        "SELECT designation, delivery_year, number_delivered, tiv_delivered, order_year, "
        "order_year_uncertain FROM arms_transfers WHERE supplier = 'rs' AND recipient = 'ke' "
        "ORDER BY designation, delivery_year"
    )
    assert kenya == [
        ("BOV M-11", 2014, 5.0, 1.0, 2012, True),
        ("BOV M-11", 2015, 5.0, 1.0, 2012, True),
        ("Nora-B-52 155mm", 2014, 6.0, 9.0, 2012, True),
        ("Nora-B-52 155mm", 2015, 12.0, 18.0, 2012, True),
    ]
    nigeria = register_store.fetchall(
        "SELECT designation, delivery_year, number_delivered FROM arms_transfers "
        "WHERE supplier = 'rs' AND recipient = 'ng' ORDER BY delivery_year"
    )
    assert nigeria == [("M-75 120mm", 2015, 51.0), ("M-75 120mm", 2016, 49.0)]
    none = one(
        register_store,
        "SELECT count(*) FROM arms_transfers WHERE supplier = 'rs' "
        "AND recipient IN ('cz', 'pl', 'bg', 'ua')",
    )
    assert none == 0
    unknown = dict(
        register_store.fetchall(
            "SELECT delivery_year, round(sum(tiv_delivered), 1) FROM arms_transfers "
            "WHERE supplier = 'rs' AND recipient = 'zz' GROUP BY 1"
        )
    )
    assert unknown == {2019: 7.2, 2020: 14.4}
    last = register_store.fetchall(
        "SELECT DISTINCT recipient FROM arms_transfers WHERE supplier = 'rs' AND delivery_year = "
        "(SELECT max(delivery_year) FROM arms_transfers WHERE supplier = 'rs') ORDER BY 1"
    )
    assert last == [("cy",), ("tm",)]


def test_register_every_name_is_a_territory_or_knowingly_not(register_store: Store) -> None:
    for side in ("supplier", "recipient"):
        assert one(register_store, f"SELECT count(*) FROM arms_transfers WHERE {side} IS NULL") == 0
        special = register_store.fetchall(
            f"SELECT DISTINCT {side}_orig, {side} FROM arms_transfers WHERE {side} LIKE 'zz%'"
        )
        for orig, code in special:
            if orig.endswith("**"):
                assert code == "zz-org", orig
            elif orig.endswith("*"):
                assert code == "zz-nsa", orig
            elif orig.lower().startswith("unknown"):
                assert code == "zz", orig
            else:  # SIPRI lists it without a mark; the territory table knows it is no state
                assert orig in {"Northern Cyprus"}, orig
    named_orgs = dict(
        register_store.fetchall(
            "SELECT DISTINCT recipient_orig, recipient FROM arms_transfers "
            "WHERE recipient_orig IN ('NATO**', 'European Union**', 'United Nations**')"
        )
    )
    assert named_orgs["NATO**"] == "zz-org"
    assert named_orgs.get("European Union**", "eu") == "eu"
    iso3 = dict(
        register_store.fetchall(
            "SELECT DISTINCT supplier, supplier_iso3 FROM arms_transfers "
            "WHERE supplier IN ('rs', 'tr', 'ae', 'cz')"
        )
    )
    assert iso3 == {"rs": "SRB", "tr": "TUR", "ae": "ARE", "cz": "CZE"}


def test_tiv_never_lands_in_a_money_column(register_store: Store, shared_data: Path) -> None:
    for table in ("arms_transfers", "arms_tiv"):
        cols = set(register_store.columns(table))
        assert not {"value", "value_usd", "value_eur", "currency"} & cols
    assert register_store.count("trade_flows") == 0
    assert register_store.count("licence_stats") == 0
    assert register_store.count("licences") == 0
    assert (
        one(register_store, "SELECT count(*) FROM arms_transfers WHERE tiv_delivered IS NULL") == 0
    )


def test_register_reingest_is_idempotent(store: Store, shared_data: Path) -> None:
    path = shared_data / REGISTER
    first = ingest_file(store, path)
    ids = store.fetchall("SELECT count(DISTINCT record_id), count(*) FROM arms_transfers")
    second = ingest_file(store, path)
    assert (first.status, second.status) == ("ok", "skipped")
    assert second.run_id == first.run_id
    assert store.fetchall("SELECT count(DISTINCT record_id), count(*) FROM arms_transfers") == ids
    assert ids == [(25_024, 25_024)]


# ---------------------------------------------------------------------------------------
# Trade register, classic layout (Latin-1 fixture)
# ---------------------------------------------------------------------------------------


def test_classic_layout_fixture(store: Store, fixtures: Path) -> None:
    path = fixtures / CLASSIC
    assert b"C\xf4te d'Ivoire" in path.read_bytes()  # really Latin-1 bytes
    result = ingest_file(store, path)
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("sipri-register", 12, 0)
    rows = {
        (r["recipient_orig"], r["designation"]): r
        for r in store.query("SELECT * FROM arms_transfers").to_pylist()
    }
    nora = rows[("Kenya", "Nora-B-52 155mm")]
    assert nora["line"] == 10  # header on line 9
    assert (nora["supplier"], nora["recipient"], nora["recipient_iso3"]) == ("rs", "ke", "KEN")
    assert (nora["order_year"], nora["order_year_uncertain"]) == (2012, True)
    assert (nora["number_ordered"], nora["number_ordered_uncertain"]) == (18.0, False)
    assert (nora["number_delivered"], nora["number_delivered_uncertain"]) == (18.0, True)
    # One row per deal: the delivery list stays text, no single delivery year is invented.
    assert (nora["delivery_years"], nora["delivery_year"]) == ("2014; 2015", None)
    assert nora["comments"] == "Part of $50 m deal, incl. BOV M-11"
    assert (nora["tiv_unit"], nora["tiv_order"], nora["tiv_delivered"]) == (1.5, 27.0, 27.0)
    assert nora["deal_id"] is None and nora["tiv_deal_unit"] is None

    ivory = rows[("C\u00f4te d'Ivoire", "Mi-24D")]
    assert (ivory["recipient"], ivory["supplier"]) == ("ci", "by")
    assert (ivory["delivery_year"], ivory["delivery_year_uncertain"]) == (2002, False)
    assert rows[("Afghanistan", "T-55")]["supplier"] == "suhh"
    assert rows[("Myanmar", "G-4 Super Galeb")]["supplier"] == "yucs"
    galeb = rows[("Myanmar", "G-4 Super Galeb")]
    assert (galeb["delivery_years"], galeb["delivery_year_uncertain"]) == ("1991; (1992)", True)
    assert rows[("Hezbollah (Lebanon)*", "Fajr-3")]["recipient"] == "zz-nsa"
    unknown = rows[("unknown recipient(s)", "M-92 82mm")]
    assert unknown["recipient"] == "zz"
    assert unknown["tiv_delivered"] == 0.0  # '0' = between 0 and 0.5 million, not "none"
    t72 = rows[("Ukraine", "T-72M1")]
    assert (t72["number_ordered"], t72["tiv_order"], t72["number_delivered"]) == (None, None, 230.0)
    cyprus = rows[("Cyprus", "Nora-B-52 155mm")]
    assert cyprus["tiv_delivered"] is None and cyprus["delivery_years"] is None  # no deliveries


def test_simulated_marker_is_skipped_and_kept(store: Store, fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "sim.csv"
    path.write_bytes(b"# SIMULATED test register\r\n" + (fixtures / CLASSIC).read_bytes())
    result = ingest_file(store, path)
    assert result.rows_loaded == 12
    assert store.fetchall("SELECT DISTINCT simulated FROM arms_transfers") == [(True,)]
    assert one(store, "SELECT simulated FROM sources") is True
    assert one(store, "SELECT min(line) FROM arms_transfers") == 11  # the marker counts as line 1


def _with_bad_row(fixtures: Path, tmp_path: Path) -> tuple[Path, int]:
    lines = (fixtures / CLASSIC).read_bytes().split(b"\r\n")
    bad = b"Kenya,Serbia,2013,,4,,BOV M-16,armoured vehicle,4,,2016,,,0.3,1.2,n/a"
    lines.insert(12, bad)  # physical line 13
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\r\n".join(lines))
    return path, 13


def test_bad_row_is_rejected_with_line_and_column(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    path, line = _with_bad_row(fixtures, tmp_path)
    result = ingest_file(store, path)
    assert (result.rows_loaded, result.rows_rejected) == (12, 1)
    rejects = store.fetchall('SELECT line, "column", reason, raw FROM rejects')
    assert len(rejects) == 1
    assert rejects[0][:2] == (line, "SIPRI TIV of delivered weapons")
    assert "n/a" in rejects[0][2] and rejects[0][3].startswith("Kenya,Serbia,2013")


def test_strict_stops_at_first_bad_row(store: Store, fixtures: Path, tmp_path: Path) -> None:
    path, line = _with_bad_row(fixtures, tmp_path)
    with pytest.raises(SourceFormatError) as err:
        ingest_file(store, path, strict=True)
    assert err.value.line == line
    assert err.value.column == "SIPRI TIV of delivered weapons"
    assert store.count("arms_transfers") == 0  # all or nothing
    assert store.fetchall("SELECT status FROM ingest_runs") == [("failed",)]


def test_missing_columns_is_a_format_error(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text(
        "Source: SIPRI Arms Transfers Database;\n"
        "SIPRI AT Database ID,Supplier,Recipient,Designation,Delivery year;\n"
        "1,Serbia,Kenya,BOV M-11,2014;\n"
    )
    with pytest.raises(SourceFormatError, match="missing columns: TIV delivery values") as err:
        ingest_file(store, path, format="sipri-register")
    assert err.value.line == 2


def test_wrong_kind_of_file_is_a_format_error(store: Store, shared_data: Path) -> None:
    with pytest.raises(SourceFormatError, match="no SIPRI trade register header"):
        ingest_file(
            store, shared_data / "caat-eu-arms-exports/consult.csv", format="sipri-register"
        )
    with pytest.raises(SourceFormatError, match="no title line"):
        ingest_file(store, shared_data / REGISTER, format="sipri-tiv-wide")
    with pytest.raises(SourceFormatError, match="missing columns"):
        ingest_file(store, shared_data / REGISTER, format="sipri-tiv-tidy")


# ---------------------------------------------------------------------------------------
# TIV tables
# ---------------------------------------------------------------------------------------


def test_tiv_wide_serbia(store: Store, shared_data: Path) -> None:
    result = ingest_file(store, shared_data / SERBIA_WIDE)
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("sipri-tiv-wide", 34, 0)
    assert store.fetchall("SELECT DISTINCT supplier, supplier_iso3 FROM arms_tiv") == [
        ("rs", "SRB")
    ]
    kenya = store.fetchall(
        "SELECT year, tiv, line FROM arms_tiv WHERE recipient = 'ke' ORDER BY year"
    )
    assert kenya == [(2014, 10.0, 19), (2015, 19.0, 19)]
    # The 'Total' row and column are sums, not a partner or a year.
    assert one(store, "SELECT count(*) FROM arms_tiv WHERE recipient_orig ILIKE 'total'") == 0
    assert one(store, "SELECT sum(tiv) FROM arms_tiv") == 326.0  # Total says 327 (rounding)
    assert one(store, "SELECT tiv_orig FROM arms_tiv WHERE recipient = 'ae' AND year = 2018") == "0"
    unknown = store.fetchall("SELECT year, tiv FROM arms_tiv WHERE recipient = 'zz' ORDER BY year")
    assert unknown == [(2019, 7.0), (2020, 14.0)]
    assert store.fetchall("SELECT count(*), count(DISTINCT record_id) FROM arms_tiv") == [(34, 34)]


def test_tiv_wide_every_exporter_file(shared_data: Path) -> None:
    """All 134 exporter tables read cleanly (reader only: the pipeline is tested above)."""
    files = sorted((shared_data / WIDE_DIR).glob("*.csv"))
    assert len(files) == 134
    suppliers: dict[str, str] = {}
    rows = 0
    for path in files:
        ctx = ReadContext(path=path, sha256="0" * 64, run_id=1)
        try:
            items = list(SipriTivWideReader().read(ctx))
        finally:
            ctx.close()
        assert not [i for i in items if isinstance(i, Reject)], path.name
        for item in items:
            assert isinstance(item, Rows)
            data = item.data.to_pydict()
            assert None not in data["supplier"] and None not in data["recipient"], path.name
            assert not any(r.lower() == "total" for r in data["recipient_orig"]), path.name
            suppliers.update(zip(data["supplier_orig"], data["supplier"], strict=True))
            rows += item.data.num_rows
    assert rows == 22_225
    assert len(suppliers) == 134
    picked = {
        k: suppliers[k]
        for k in ("Czechia", "Czechoslovakia", "Soviet Union", "Yugoslavia", "Serbia")
    }
    assert picked == {
        "Czechia": "cz",
        "Czechoslovakia": "cshh",
        "Soviet Union": "suhh",
        "Yugoslavia": "yucs",
        "Serbia": "rs",
    }
    assert suppliers["Mujahedin (Afghanistan)*"] == "zz-nsa"
    assert suppliers["Unknown supplier(s)"] == "zz"


def test_tiv_wide_imports_table(store: Store, fixtures: Path) -> None:
    result = ingest_file(store, fixtures / "sipri_tiv_imports_ukraine.csv")
    assert (result.format, result.rows_loaded, result.rows_rejected) == ("sipri-tiv-wide", 26, 0)
    assert store.fetchall("SELECT DISTINCT recipient FROM arms_tiv") == [("ua",)]
    assert one(store, "SELECT tiv FROM arms_tiv WHERE supplier = 'pl' AND year = 2022") == 705.0
    assert one(store, "SELECT tiv FROM arms_tiv WHERE supplier = 'pl' AND year = 2020") == 0.0
    assert one(store, "SELECT count(*) FROM arms_tiv WHERE supplier = 'zz'") == 2
    assert one(store, "SELECT count(*) FROM arms_tiv WHERE supplier = 'bg'") == 1


def test_tiv_tidy_real_file(store: Store, shared_data: Path) -> None:
    result = ingest_file(store, shared_data / TIDY)
    assert (result.format, result.rows_loaded, result.rows_rejected) == (
        "sipri-tiv-tidy",
        21_324,
        0,
    )
    assert (
        one(store, "SELECT count(*) FROM arms_tiv WHERE supplier IS NULL OR recipient IS NULL") == 0
    )
    assert store.fetchall(
        "SELECT year, tiv, tiv_orig FROM arms_tiv WHERE supplier = 'rs' AND recipient = 'ke' "
        "ORDER BY year"
    ) == [(2014, 10.0, "10"), (2015, 19.0, "19")]
    assert (
        one(store, "SELECT DISTINCT recipient FROM arms_tiv WHERE recipient_orig = 'NATO**'")
        == "zz-org"
    )
    assert one(store, "SELECT min(line) FROM arms_tiv") == 2  # header is line 1
    with open(shared_data / TIDY, newline="") as f:
        expected = sum(float(r["value"]) for r in csv.DictReader(f))
    assert one(store, "SELECT sum(tiv) FROM arms_tiv") == pytest.approx(expected)


# ---------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------

SIPRI_READERS = (SipriRegisterReader, SipriTivWideReader, SipriTivTidyReader)


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        (REGISTER, "sipri-register"),
        (SERBIA_WIDE, "sipri-tiv-wide"),
        (f"{WIDE_DIR}/TIV-Export-USR-1950-2021.csv", "sipri-tiv-wide"),
        (TIDY, "sipri-tiv-tidy"),
    ],
)
def test_sniff_real_files(shared_data: Path, relpath: str, expected: str) -> None:
    path = shared_data / relpath
    assert sniff(path).name == expected
    head = read_head(path)
    scores = {cls.name: cls.sniff(path, head) for cls in SIPRI_READERS}
    assert scores[expected] >= 90
    assert all(score < 30 for name, score in scores.items() if name != expected), scores


@pytest.mark.parametrize(
    ("name", "expected"),
    [(CLASSIC, "sipri-register"), ("sipri_tiv_imports_ukraine.csv", "sipri-tiv-wide")],
)
def test_sniff_fixtures(fixtures: Path, name: str, expected: str) -> None:
    assert sniff(fixtures / name).name == expected


def test_sniff_does_not_claim_other_files(shared_data: Path, tmp_path: Path) -> None:
    comtrade = tmp_path / "comtrade.csv"
    comtrade.write_text(
        "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,"
        "reporterDesc,flowCode,flowDesc,partnerCode,partnerISO,partnerDesc,cmdCode,primaryValue\n"
        "C,A,20220101,2022,52,2022,688,SRB,Serbia,X,Export,804,UKR,Ukraine,930630,1000\n"
    )
    others = [comtrade] + [
        shared_data / f"caat-eu-arms-exports/{n}"
        for n in ("broker.csv", "mission.csv", "consult.csv")
    ]
    # Real Comtrade bulk CSVs, OpenSanctions fixtures and reference tables (read in place).
    others += sorted((shared_data / "comtrade-hs2-oil-wood-sample").glob("*.csv"))
    others += sorted((shared_data / "opensanctions-ftm-fixtures").glob("*.csv"))
    others += sorted((shared_data / "reference").glob("*.csv"))
    for path in others:
        head = read_head(path)
        assert all(cls.sniff(path, head) < 30 for cls in SIPRI_READERS), path.name


def test_reader_streams_in_bounded_batches(shared_data: Path) -> None:
    path = shared_data / REGISTER
    ctx = ReadContext(path=path, sha256="0" * 64, run_id=1, batch_rows=5_000)
    try:
        sizes = [
            item.data.num_rows for item in SipriRegisterReader().read(ctx) if hasattr(item, "data")
        ]
    finally:
        ctx.close()
    assert max(sizes) == 5_000 and sum(sizes) == 25_024
