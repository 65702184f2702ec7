"""Basic end-user certificate checks: each result says why and cites its rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from transship.exc import InvalidInput
from transship.ingest.pipeline import ingest_paths
from transship.risk.certificates import (
    CHECKS,
    ammunition_word,
    check_store_certificates,
    failed,
    run_checks,
    shipped_holdings,
)
from transship.store import Store


def cert(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": "c:1",
        "certificate_id": "EUC-1",
        "exporter": "Exporter d.o.o.",
        "exporter_country": "rs",
        "consignee": "Consignee a.s.",
        "consignee_country": "cz",
        "end_user": "Czech armed forces",
        "end_user_country": "cz",
        "final_destination": "cz",
        "goods_description": "155 mm artillery shell",
        "calibre": "155 mm",
        "quantity": 1000.0,
        "unit": "pieces",
        "end_use": "own use",
        "non_reexport_clause": True,
        "issuing_authority": "Ministry of Defence",
        "signatory": "A. Officer",
        "issue_date": "2023-01-10",
        "valid_until": "2024-01-10",
    }
    base.update(over)
    return base


def ship(n: int, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_id": f"s:{n}",
        "shipment_id": f"S{n}",
        "certificate_id": "EUC-1",
        "date": "2023-03-01",
        "quantity": 400.0,
        "unit": "pieces",
        "sender_country": "rs",
        "departure_country": "rs",
        "destination_country": "cz",
    }
    base.update(over)
    return base


def by_check(results: list[Any]) -> dict[str, Any]:
    return {r.check: r for r in results}


def test_a_clean_certificate_passes_every_check() -> None:
    results = by_check(run_checks([cert()], [ship(1), ship(2)]))
    assert set(results) == set(CHECKS)
    assert all(r.passed for r in results.values()), [r.detail for r in results.values()]
    assert "CAESAR" in results["end_user_capability"].detail  # from the shipped operator table
    assert results["quantity_reuse"].evidence == ["c:1", "s:1", "s:2"]


def test_missing_elements_are_named() -> None:
    r = by_check(
        run_checks([cert(signatory=None, issuing_authority=" ", non_reexport_clause=False)], [])
    )
    e = r["essential_elements"]
    assert e.passed is False
    assert (
        "signatory" in e.detail
        and "issuing_authority" in e.detail
        and "non_reexport_clause" in e.detail
    )
    assert e.evidence == ["c:1"]


def test_reuse_beyond_quantity() -> None:
    ships = [
        ship(1, quantity=600.0),
        ship(2, quantity=600.0),
        ship(3, quantity=900.0, sender_country="cz", departure_country="cz"),
    ]
    r = by_check(run_checks([cert()], ships))["quantity_reuse"]
    assert r.passed is False
    assert "1,200" in r.detail and "1,000" in r.detail  # the onward leg from cz is not counted
    assert r.evidence == ["c:1", "s:1", "s:2"]


def test_end_user_without_a_compatible_system() -> None:
    held = {"cz": ["CAESAR"]}

    def holdings(country: str, calibre: str, kind: str | None) -> list[str]:
        return held.get(country, []) if calibre == "155 mm" else []

    ok = by_check(run_checks([cert()], [], holdings))["end_user_capability"]
    assert ok.passed is True
    bad = by_check(run_checks([cert(end_user_country="ke", final_destination="ke")], [], holdings))
    assert bad["end_user_capability"].passed is False
    assert "ke" in bad["end_user_capability"].detail
    unknown = by_check(run_checks([cert(calibre=None)], [], holdings))["end_user_capability"]
    assert unknown.passed is None


def test_shipped_table_separates_rockets_from_howitzer_shells() -> None:
    assert ammunition_word("122 mm Grad-type rocket") == "rocket"
    assert shipped_holdings("ro", "122 mm", "rocket") == ["APR-40"]
    assert "BM-21 Grad" not in shipped_holdings("ro", "122 mm", "howitzer")


def test_destination_other_than_the_consignee() -> None:
    ships = [
        ship(1),
        ship(2, destination_country="ua", sender_country="cz", departure_country="cz"),
    ]
    r = by_check(run_checks([cert()], ships))["consignee_destination"]
    assert r.passed is False
    assert "ua" in r.detail
    assert r.evidence == ["c:1", "s:2"]


def test_shipped_after_expiry_or_before_issue() -> None:
    ships = [ship(1, date="2024-02-01"), ship(2, date="2022-12-01"), ship(3)]
    r = by_check(run_checks([cert()], ships))["validity"]
    assert r.passed is False
    assert "after it expired" in r.detail and "before it was issued" in r.detail
    assert r.evidence == ["c:1", "s:1", "s:2"]
    none = by_check(run_checks([cert()], []))["validity"]
    assert none.passed is None


def test_failed_groups_failures_and_unknown_checks_raise() -> None:
    results = run_checks(
        [cert(), cert(certificate_id="EUC-2", record_id="c:2", signatory=None)], [ship(1)]
    )
    assert list(failed(results)) == ["EUC-2"]
    with pytest.raises(InvalidInput, match="unknown certificate checks"):
        run_checks([cert()], [], checks=["graphology"])


def test_checks_on_a_store(store: Store, tmp_path: Path) -> None:
    certs = tmp_path / "certificates.csv"
    certs.write_text(
        "# SIMULATED test file\n"
        "certificate_id,exporter,exporter_country,consignee,consignee_country,end_user,end_user_country,"
        "final_destination,goods_description,calibre,quantity,unit,end_use,non_reexport_clause,"
        "issuing_authority,signatory,issue_date,valid_until\n"
        "EUC-9,Exp,rs,Con,bg,Army,bg,bg,122 mm rocket,122 mm,100,pieces,own use,true,MoD,,"
        "2023-01-01,2024-01-01\n",
        "utf-8",
    )
    ships = tmp_path / "shipments.csv"
    ships.write_text(
        "# SIMULATED test file\n"
        "shipment_id,direction,date,sender_country,departure_country,destination_country,quantity,unit,"
        "certificate_id,hs_code\n"
        "S1,export,2023-02-01,rs,rs,bg,80,pieces,EUC-9,930690\n"
        "S2,export,2023-03-01,rs,rs,ua,80,pieces,EUC-9,930690\n",
        "utf-8",
    )
    results = ingest_paths(store, [certs, ships])
    assert [r.status for r in results] == ["ok", "ok"]
    out = by_check(check_store_certificates(store))
    assert out["essential_elements"].passed is False
    assert out["quantity_reuse"].passed is False
    assert out["consignee_destination"].passed is False
    # evidence are store record ids, which trace back to file and line
    ids = out["consignee_destination"].evidence
    rows = store.fetchall(
        f"SELECT line FROM shipments WHERE record_id IN ({', '.join('?' * len(ids))})", ids
    )
    assert rows == [(4,)]
