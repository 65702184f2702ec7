"""The weapon-system table: every operator sourced or marked an assumption; user files extend
it; SIPRI deliveries in the store bound what a force can use."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.ingest.pipeline import ingest_paths
from transship.normalise.territories import from_name
from transship.risk.certificates import check_certificates
from transship.risk.holdings import BASES, holdings, read_user_rows, shipped_rows, system_rows
from transship.store import Store

REGISTER = "sipri-trade-register/trade_register_1995_2025.csv"


def test_every_row_has_a_source_and_every_operator_a_basis() -> None:
    rows = shipped_rows()
    assert len(rows) > 60
    for r in rows:
        assert r.source, r.ref
        assert set(r.bases) == set(r.operators), r.ref
        for code, (basis, refs) in r.bases.items():
            assert basis in BASES, (r.ref, code, basis)
            assert (basis == "sipri") == bool(refs), (r.ref, code)
    bases = {b for r in rows for b, _ in r.bases.values()}
    assert {"sipri", "producer", "assumption"} <= bases


def _register(shared_data: Path) -> list[list[str]]:
    lines = (shared_data / REGISTER).read_text(encoding="utf-8", errors="replace").splitlines()
    return list(csv.reader(io.StringIO("\n".join(ln.rstrip(";") for ln in lines[12:]))))


def test_sipri_references_are_in_the_register(shared_data: Path) -> None:
    deals: dict[str, tuple[str, str]] = {}
    for row in _register(shared_data):
        if row and row[0].isdigit():
            deals[row[0]] = (row[2], row[3])
    cited = 0
    for r in shipped_rows():
        for code, (basis, refs) in r.bases.items():
            if basis != "sipri":
                continue
            for ref in refs:
                cited += 1
                recipient, designation = deals[ref]
                assert from_name(recipient).code == code, (r.ref, code, ref, recipient)
                assert designation, ref
    assert cited > 100


def test_kenya_is_sourced_for_155mm_and_an_assumption_for_122mm_rockets() -> None:
    (nora,) = holdings("ke", "155 mm")
    assert nora.weapon_system == "Nora B-52" and nora.basis == "sipri" and "51406" in nora.refs
    grad = holdings("ke", "122 mm", "rocket")
    assert grad and all(not h.verified for h in grad)


def test_a_user_file_extends_the_table(tmp_path: Path, fixtures: Path) -> None:
    mine = tmp_path / "systems.csv"
    mine.write_text(
        "calibre,ammunition,weapon_system,operators,note,operator_sources\n"
        "122 mm,122 mm rocket (9M22 Grad family),RM-70 (our attache's report),ke,,"
        "ke:user attache report 2024-03\n",
        "utf-8",
    )
    rows = read_user_rows(mine)
    assert rows[0].ref == f"{mine}:2" and rows[0].bases["ke"] == (
        "user",
        ["attache", "report", "2024-03"],
    )
    assert any(h.verified for h in holdings("ke", "122mm", "rocket", system_rows(mine)))
    cert = fixtures / "risk" / "kenya_122mm_certificate.csv"
    (plain,) = check_certificates(cert)
    (extended,) = check_certificates(cert, systems=mine)
    assert "end_user.capability_unverified" in {f.code for f in plain.findings}
    assert "end_user.capability_unverified" not in {f.code for f in extended.findings}


def test_a_bad_user_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "systems.csv"
    bad.write_text("calibre,weapon_system\n122 mm,BM-21\n", "utf-8")
    with pytest.raises(SourceFormatError, match="lacks column"):
        read_user_rows(bad)
    bad.write_text("calibre,ammunition,weapon_system,operators\nbig,shell,X,ke\n", "utf-8")
    with pytest.raises(SourceFormatError, match="line 2"):
        read_user_rows(bad)


def test_quantity_beyond_what_the_known_fleet_can_fire(
    store: Store, shared_data: Path, tmp_path: Path
) -> None:
    # SIPRI records 18 Nora B-52 delivered to Kenya (deal 51406): at a generous 1,000 shells a
    # gun a year, 100,000 shells in one year is beyond what that fleet can fire.
    head = (shared_data / REGISTER).read_text(encoding="utf-8", errors="replace").splitlines()
    kenya = [ln for ln in head[12:] if ",Kenya," in ln]
    register = tmp_path / "sipri_kenya.csv"
    register.write_text("\n".join(head[:12] + kenya) + "\n", "utf-8")
    assert ingest_paths(store, [register])[0].status == "ok"
    cert = tmp_path / "cert.csv"
    cert.write_text(
        "certificate_id,end_user,end_user_country,final_destination,goods_description,calibre,"
        "quantity,unit,issue_date,valid_until\n"
        "KE-1,Kenya Defence Forces,KE,KE,155 mm artillery shell,155 mm,100000,pieces,"
        "2024-01-01,2025-01-01\n"
        "KE-2,Kenya Defence Forces,KE,KE,155 mm artillery shell,155 mm,5000,pieces,"
        "2024-01-01,2025-01-01\n",
        "utf-8",
    )
    big, small = check_certificates(cert, store)
    found = {f.code: f for f in big.findings}
    assert "end_user.quantity_beyond_use" in found
    f = found["end_user.quantity_beyond_use"]
    assert "SIPRI AT deal 51406" in f.evidence and "18 Nora B-52" in f.explanation
    assert "end_user.quantity_beyond_use" not in {x.code for x in small.findings}
