"""Party screening's ownership finding: a party whose list entry listed parties own at least
50 % (FtM Ownership edges, the 50 % rule) is flagged critical and names its owners; a smaller
listed stake is flagged high; an unowned entry is not flagged at all."""

from __future__ import annotations

import json
from pathlib import Path

from transship.ingest.pipeline import ingest_paths
from transship.risk.assess import assess_licence
from transship.risk.model import Finding
from transship.store import Store


def _entity(i: str, schema: str, target: bool = False, **props: list[str]) -> str:
    return json.dumps({"id": i, "schema": schema, "properties": props, "target": target})


LIST = [
    _entity("x", "Company", True, name=["Listed Holding"], topics=["sanction"]),
    _entity("a", "Company", name=["Alpha Arms d.o.o."]),
    _entity("c", "Company", name=["Gamma Supply d.o.o."]),
    _entity("d", "Company", name=["Delta Defence d.o.o."]),
    _entity("o1", "Ownership", owner=["x"], asset=["a"], percentage=["60"]),
    _entity("o2", "Ownership", owner=["x"], asset=["c"], percentage=["30"]),
]


def _owned(store: Store, licence_id: str) -> list[Finding]:
    a = assess_licence(store, licence_id)
    return [f for f in a.findings if f.code == "screening.owned_by_listed"]


def test_owned_by_listed(store: Store, tmp_path: Path) -> None:
    ftm = tmp_path / "list.ftm.jsonl"
    ftm.write_text("\n".join(LIST) + "\n", "utf-8")
    lic = tmp_path / "licences.csv"
    rows = [
        "licence_id,authority_country,exporter,consignee,consignee_country,end_user,"
        "end_user_country,destination,goods_description,calibre,quantity,unit,issued_date"
    ]
    for lid, consignee in (
        ("T-A", "Alpha Arms d.o.o."),
        ("T-C", "Gamma Supply d.o.o."),
        ("T-D", "Delta Defence d.o.o."),
    ):
        rows.append(
            f"{lid},RS,Fictive Exporter a.d.,{consignee},CZ,Czech armed forces,CZ,CZ,"
            "155 mm artillery shell,155 mm,100,pieces,2024-01-01"
        )
    lic.write_text("\n".join(rows) + "\n", "utf-8")
    results = ingest_paths(store, [ftm, lic])
    assert all(r.status == "ok" for r in results), [(r.file, r.message) for r in results]

    # 60 % held by a sanctioned company: caught by the 50 % rule, critical, owner named
    (alpha,) = _owned(store, "T-A")
    assert alpha.severity == "critical"
    assert "60 % owned by listed parties (50 % rule)" in alpha.explanation
    assert alpha.evidence[:2] == ["ftm:a", "ftm:x"] and alpha.subject == "consignee"
    assert assess_licence(store, "T-A").level == "refuse-indicated"
    # 30 %: a listed stake below the rule is still said, as high, not critical
    (gamma,) = _owned(store, "T-C")
    assert gamma.severity == "high" and "in part" in gamma.explanation
    # no listed owner: nothing to say about ownership
    assert _owned(store, "T-D") == []
