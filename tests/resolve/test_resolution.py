"""Resolution of party records into actors: nodes, blocking, scores, judgements, the store.

Real data: the repository's hand-made licence, shipment, certificate and COARM fixtures,
the Serbia case's parties, and OpenSanctions' Zala fixture read in place.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from transship.exc import InvalidInput, NotFound
from transship.ingest.pipeline import ingest_file
from transship.resolve.actors import (
    count_actors,
    judge,
    list_actors,
    resolve_parties,
    show_party,
)
from transship.resolve.judgements import Constraints, JudgementRow, cluster
from transship.resolve.resolution import (
    BLOCK_SQL,
    RECORD_COLUMNS,
    ScoredPair,
    ambiguous_nodes,
    build_nodes,
    node_keys,
    resolve_records,
)
from transship.store import Store, connect
from transship.store.engine import DuckDBEngine

ROOT = Path(__file__).resolve().parents[2]
ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"


def records(rows: list[tuple[str, str | None]], schema: str = "LegalEntity") -> pa.Table:
    """A records table of (name, country) rows, one party record each."""
    cols: dict[str, list[Any]] = {c: [] for c in RECORD_COLUMNS}
    for i, (name, country) in enumerate(rows):
        cols["party_id"].append(f"t:{i:04d}:exporter")
        cols["source_table"].append("licences")
        cols["record_id"].append(f"{i:04d}")
        cols["dataset"].append("test")
        cols["role"].append("exporter")
        cols["schema"].append(schema)
        cols["name"].append(name)
        cols["country"].append(country)
        cols["names"].append([])
        cols["identifiers"].append([])
        cols["source_sha256"].append("x")
        cols["line"].append(i + 1)
        cols["simulated"].append(False)
    return pa.table(cols)


def actors_of(store: Store, rows: list[tuple[str, str | None]], **kw: Any) -> list[str]:
    res = resolve_records(records(rows), DuckDBEngine(store), workers=1, **kw)
    return res.actor_per_record()


def test_spellings_of_one_firm_are_one_actor_and_hard_negatives_are_not(store: Store) -> None:
    rows = [
        ("Krušik a.d. Valjevo", "rs"),
        ("KRUSIK AD VALJEVO", "rs"),
        ("Krusik AD", None),
        ("Крушик", "rs"),
        ("Sloboda Čačak", "rs"),
        ("Sloboda Trgovina", "rs"),
        ("Yugoimport SDPR J.P.", "rs"),
        ("JUGOIMPORT-SDPR", "rs"),
        ("Југоимпорт СДПР", None),
        ("Prvi Partizan", "rs"),
        ("Zastava Oružje", "rs"),
        ("Zastava Promet", "rs"),
    ]
    a = actors_of(store, rows)
    assert len({a[0], a[1], a[2], a[3]}) == 1  # Krušik in four writings
    assert a[4] != a[5]  # 'Sloboda Čačak' vs 'Sloboda Trgovina'
    assert len({a[6], a[7], a[8]}) == 1  # Yugoimport in Latin, Cyrillic, with J.P.
    assert a[10] != a[11]  # firms that share a word
    assert len(set(a)) == 7


def test_one_name_in_two_countries_is_two_actors_and_no_record_bridges_them(
    store: Store,
) -> None:
    rows = [
        ("Ministry of Defence", "ae"),
        ("Ministry of Defence", "ae"),
        ("Ministry of Defence", "cz"),
        ("Ministry of Defence", None),  # which state's? not linked to either
        ("Primer Arms d.o.o.", "rs"),
        ("PRIMER ARMS DOO", None),  # a firm with no country given links
    ]
    a = actors_of(store, rows)
    assert a[0] == a[1]
    assert a[0] != a[2]
    assert a[3] not in (a[0], a[2])
    assert a[4] == a[5]


def test_nodes_group_exact_names_and_keys_cover_transliteration() -> None:
    tbl = records([("Krušik a.d.", "rs"), ("KRUSIK A.D.", "rs"), ("Krusik doo", "rs")])
    nodes, record_node = build_nodes(tbl)
    assert record_node.tolist()[0] == record_node.tolist()[1]  # same name, form, country
    assert record_node.tolist()[2] != record_node.tolist()[0]  # another legal form class
    keys = set(node_keys(nodes[0]))
    assert "n:crusic" in keys and "t:crusic" in keys
    assert any(k.startswith("p:") for k in keys)  # rigour's metaphone
    cyr = build_nodes(records([("Крушик", "rs")]))[0][0]
    assert "n:crusic" in node_keys(cyr)  # Cyrillic meets Latin on the whole-name key


def test_ambiguous_nodes_are_names_in_several_countries_without_one() -> None:
    tbl = records([("Ministry of Defence", "ae"), ("Ministry of Defence", "cz"),
                   ("Ministry of Defence", None), ("Sofag", "rs"), ("Sofag", None)])  # fmt: skip
    nodes, record_node = build_nodes(tbl)
    amb = ambiguous_nodes(nodes)
    assert amb == {int(record_node[2])}


def test_blocking_sql_is_one_statement_in_duckdb_dialect() -> None:
    from transship.store.engine import to_spark_sql

    sql = BLOCK_SQL.format(keys="k", total=10, max_df=5, top_k=3)
    spark = to_spark_sql(sql)
    assert "ROW_NUMBER()" in spark.upper() and "LN(" in spark.upper()


def _j(jid: int, a: str, b: str, verdict: str) -> JudgementRow:
    return JudgementRow(jid, a, b, verdict, "tester", None, "2026-12-07")


def test_cluster_applies_judgements_before_scores_and_stays_consistent() -> None:
    # nodes 0-1-2 chained by strong scores; 3 alone
    scored = [ScoredPair(0, 1, 0.99, {}), ScoredPair(1, 2, 0.95, {})]
    parties = {"p0": 0, "p1": 1, "p2": 2, "p3": 3}
    plain = cluster(4, scored, Constraints(), parties)
    assert plain.labels[0] == plain.labels[1] == plain.labels[2] != plain.labels[3]

    # 'different' splits: no score joins 0 and 2, even through 1
    cons = Constraints(different=[_j(1, "p0", "p2", "different")])
    out = cluster(4, scored, cons, parties)
    assert out.labels[0] != out.labels[2]
    assert [(s.a, s.b) for s in out.refused] == [(1, 2)]

    # 'same' merges what no score links, and a later contradicting 'same' is refused
    cons = Constraints(
        same=[_j(2, "p0", "p3", "same"), _j(3, "p2", "p3", "same")],
        different=[_j(1, "p0", "p2", "different")],
    )
    out = cluster(4, scored, cons, parties)
    assert out.labels[0] == out.labels[3]
    assert out.labels[2] != out.labels[0]
    assert any("#3" in n and "not applied" in n for n in out.notes)

    # a judgement on a record no longer in the store is reported, not fatal
    cons = Constraints(same=[_j(4, "p0", "gone", "same")])
    out = cluster(4, scored, cons, parties)
    assert any("no longer in the store" in n for n in out.notes)


def test_scored_links_never_join_clusters_of_disjoint_countries() -> None:
    scored = [ScoredPair(0, 2, 0.99, {}), ScoredPair(1, 2, 0.98, {})]
    countries = [frozenset({"ae"}), frozenset({"cz"}), frozenset()]
    out = cluster(3, scored, Constraints(), {}, countries)
    assert out.labels[2] == out.labels[0] != out.labels[1]


def test_scored_links_never_join_clusters_with_different_strong_identifiers() -> None:
    # 0 (INN 1) and 2 (INN 2) both score high against 1 (no INN): 1 joins one of them only
    scored = [ScoredPair(0, 1, 0.99, {}), ScoredPair(1, 2, 0.98, {}), ScoredPair(0, 2, 0.97, {})]
    ids: list[dict[str, frozenset[str]]] = [
        {"inn": frozenset({"1841015504"})},
        {},
        {"inn": frozenset({"9715478507"})},
    ]
    out = cluster(3, scored, Constraints(), {}, identifiers=ids)
    assert out.labels[0] == out.labels[1] != out.labels[2]
    assert [(s.a, s.b) for s in out.refused] == [(1, 2), (0, 2)]
    # a shared value of another strong kind (a re-registered firm: new INN, same OGRN) joins
    ids[0]["ogrn"] = ids[2]["ogrn"] = frozenset({"1101841007938"})
    out = cluster(3, scored, Constraints(), {}, identifiers=ids)
    assert out.labels[0] == out.labels[1] == out.labels[2]
    # a 'same' judgement still may
    ids = [{"inn": frozenset({"1"})}, {}, {"inn": frozenset({"2"})}]
    cons = Constraints(same=[_j(1, "p0", "p2", "same")])
    out = cluster(3, [], cons, {"p0": 0, "p2": 2}, identifiers=ids)
    assert out.labels[0] == out.labels[2]


@pytest.fixture(scope="module")
def loaded_file(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A store with every kind of party record, built once (tests get a copy)."""
    fixtures = ROOT / "tests" / "fixtures"
    path = tmp_path_factory.mktemp("parties") / "loaded.duckdb"
    with connect(path) as s:
        for name in ("licences.csv", "shipments.csv", "certificates.csv", "coarm_mission.csv"):
            ingest_file(s, fixtures / name, max_reject_share=1.0)
        ingest_file(s, ROOT / "cases" / "serbia-2025" / "parties.ftm.jsonl", dataset="case")
        ingest_file(s, shared_data / ZALA, dataset="zala")
    return path


@pytest.fixture
def loaded(loaded_file: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "copy.duckdb"
    shutil.copy(loaded_file, path)
    s = connect(path)
    try:
        yield s
    finally:
        s.close()


def test_resolve_store_links_sources_and_shows_records_by_role(loaded: Store) -> None:
    run = resolve_parties(loaded)
    assert run.records > 50 and run.actors < run.records
    assert {"licences", "customs", "certificates", "coarm", "case", "zala"} <= set(
        run.records_by_source
    )
    view = show_party(loaded, "Primer Arms d.o.o.")
    roles = view.records_by_role
    assert {"exporter", "sender"} <= set(roles)
    datasets = {r["dataset"] for rs in roles.values() for r in rs}
    assert datasets == {"licences", "customs", "certificates"}
    first = roles["exporter"][0]
    assert first["file"].endswith(".csv") and first["line"] >= 2
    assert {s["dataset"] for s in view.sources} == datasets
    # the end user of licences and certificates in the same country is one actor
    usc = show_party(loaded, "Unknown Security Company")
    assert {r["dataset"] for r in usc.records_by_role["end_user"]} == {"licences", "certificates"}
    # actor ids, record ids and another script find the same actor
    assert show_party(loaded, view.actor_id).actor_id == view.actor_id
    assert show_party(loaded, first["party_id"]).actor_id == view.actor_id
    assert show_party(loaded, "Крушик").caption == "Krušik"
    short = show_party(loaded, "Primer Arms d.o.o.", limit=1)
    assert all(len(rs) == 1 for rs in short.records_by_role.values())
    assert short.record_counts == {k: len(v) for k, v in roles.items()}
    assert len(short.links) <= 1 and short.links_total == len(view.links)
    summaries = list_actors(loaded, "primer")
    assert [s.actor_id for s in summaries] == [view.actor_id]
    assert summaries[0].records == sum(len(x) for x in roles.values())
    assert list_actors(loaded, limit=3)[0].records >= summaries[0].records
    assert count_actors(loaded, "primer") == 1
    assert count_actors(loaded) == len(list_actors(loaded, limit=10_000))


def test_zala_sanctions_owners_and_aliases_from_the_real_fixture(loaded: Store) -> None:
    resolve_parties(loaded)
    view = show_party(loaded, "Zala Aero")  # an alias of LLC CST
    assert "Zala Aero" in view.aliases
    assert view.sanctions and all(s["entity_id"] for s in view.sanctions)
    owners = {o["path"][0] for o in view.owners if o["direct"]}
    assert "JSC Kalashnikov Concern" in owners
    kc = [o for o in view.owners if o["path"][0] == "JSC Kalashnikov Concern" and o["direct"]]
    assert any(49.0 in o["percentages"] for o in kc)
    # and the other way: what Kalashnikov Concern and Zakharov hold
    kalashnikov = show_party(loaded, "JSC Kalashnikov Concern")
    assert {(o["path"][-1], o["percentages"][0]) for o in kalashnikov.holdings} == {
        ("LLC CST", 49.0),
        ("LLC CST", None),  # "subsidiary of", no share stated
    }
    assert all(o["path"][0] == "JSC Kalashnikov Concern" for o in kalashnikov.holdings)
    zakharov = show_party(loaded, "Alexander Vyacheslavovich ZAKHAROV")
    held = {o["ids"][-1]: o for o in zakharov.holdings if o["direct"]}
    assert held["ru-inn-5920040846"]["percentages"] == [100.0]
    assert held["NK-cPks3aTbes8k4aCerfBAzN"]["percentages"] == [None]  # JSC Zala Aero
    listed = view.records_by_role["listed"]
    assert listed[0]["file"].endswith("zala_entities.ftm.jsonl")
    # every link says why: scores with features, judgements with who and why
    for link in view.links:
        assert link["how"] in ("score", "judgement", "refused")
        if link["how"] == "score":
            assert "name_match" in link["explanation"] or "identifier_match" in link["explanation"]


def test_zala_firms_with_different_inns_stay_apart_whatever_their_names(
    loaded: Store,
) -> None:
    """LLC CST (INN 1841015504) lists "Zala Aero" among its names, as JSC Zala Aero (INN
    9715478507) does; ООО "ЦСТ" (INN 5920040846, Perm krai) is another CST. Names alone
    score 1.0; the INNs keep the three apart, at any threshold."""
    cst, jsc, perm = (
        "entity:NK-abdzbEBkqyT29GyREbiURZ",
        "entity:NK-cPks3aTbes8k4aCerfBAzN",
        "entity:ru-inn-5920040846",
    )
    for threshold in (0.75, 0.5):
        resolve_parties(loaded, threshold=threshold)
        actors = {k: show_party(loaded, k).actor_id for k in (cst, jsc, perm)}
        assert len(set(actors.values())) == 3, threshold
    links = loaded.fetchall(
        "SELECT a, b, how, explanation FROM party_links WHERE a = ? OR b = ?", [cst, cst]
    )
    refused = {(a, b): json.loads(x) for a, b, how, x in links if how == "refused"}
    assert set(refused) == {(cst, jsc), (cst, perm)}
    for expl in refused.values():
        assert expl["name_match"]["score"] == 1.0
        assert expl["identifier_conflict"]["detail"].startswith("different INN")


def test_ownership_chains_up_and_down(tmp_path: Path) -> None:
    def e(i: str, schema: str, **props: list[str]) -> str:
        return json.dumps({"id": i, "schema": schema, "properties": props, "target": i == "x"})

    lines = [
        e("x", "Company", name=["Listed Holding"], topics=["sanction"]),
        e("a", "Company", name=["Alpha d.o.o."]),
        e("b", "Company", name=["Beta d.o.o."]),
        e("o1", "Ownership", owner=["x"], asset=["a"], percentage=["60"]),
        e("o2", "Ownership", owner=["a"], asset=["b"], percentage=["50"]),
    ]
    path = tmp_path / "chain.ftm.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with connect(tmp_path / "chain.duckdb") as s:
        ingest_file(s, path, dataset="chain")
        resolve_parties(s)
        down = show_party(s, "Listed Holding").holdings
        up = show_party(s, "Beta d.o.o.").owners
        middle = show_party(s, "Alpha d.o.o.")
    chain = {"path": ["Listed Holding", "Alpha d.o.o.", "Beta d.o.o."], "ids": ["x", "a", "b"],
             "percentages": [60.0, 50.0], "edges": ["o1", "o2"], "direct": False}  # fmt: skip
    assert chain in down and chain in up
    assert [o["ids"] for o in down] == [["x", "a"], ["x", "a", "b"]]
    assert [o["ids"] for o in middle.owners] == [["x", "a"]]
    assert [o["ids"] for o in middle.holdings] == [["a", "b"]]


def test_judgements_are_stored_and_applied_at_the_next_run(loaded: Store) -> None:
    resolve_parties(loaded)
    primer = show_party(loaded, "Primer Arms d.o.o.")
    n = sum(len(x) for x in primer.records_by_role.values())
    lic = primer.records_by_role["exporter"][0]["party_id"]
    ship = primer.records_by_role["sender"][0]["party_id"]
    j = judge(loaded, lic, ship, "different", "analyst", "different registration")
    assert (j.verdict, j.who, j.why) == ("different", "analyst", "different registration")
    assert j.a < j.b and j.at
    run = resolve_parties(loaded)
    assert run.judgements_applied == 1
    assert show_party(loaded, lic).actor_id != show_party(loaded, ship).actor_id
    total = sum(
        len(x) for key in (lic, ship) for x in show_party(loaded, key).records_by_role.values()
    )
    assert total == n  # split, nothing lost

    # 'same' merges what the scores keep apart; the latest verdict on a pair wins
    with pytest.raises(InvalidInput, match="several actors"):  # split: a name is ambiguous
        judge(loaded, "Primer Arms d.o.o.", "Exemplar Trading s.r.o.", "same", "analyst", None)
    exemplar = show_party(loaded, "Exemplar Trading s.r.o.")
    other = next(iter(exemplar.records_by_role.values()))[0]["party_id"]
    j2 = judge(loaded, lic, other, "same", "analyst", None)
    resolve_parties(loaded)
    merged = show_party(loaded, j2.a)
    assert show_party(loaded, j2.b).actor_id == merged.actor_id
    assert any(ln["how"] == "judgement" for ln in merged.links)
    judge(loaded, lic, ship, "same", "analyst", "checked the registry")
    resolve_parties(loaded)
    assert show_party(loaded, lic).actor_id == show_party(loaded, ship).actor_id
    # 'unsure' is kept and shown, and changes nothing
    before = show_party(loaded, lic).actor_id
    judge(loaded, lic, "Fictive Logistics Ltd", "unsure", "analyst", "same director?")
    resolve_parties(loaded)
    view = show_party(loaded, lic)
    assert view.actor_id == before
    assert view.judgements[0]["verdict"] == "unsure"
    assert view.judgements[0]["why"] == "same director?"
    assert [j["verdict"] for j in view.judgements[1:]] == ["same", "same", "different"]
    rows = loaded.fetchall("SELECT count(*) FROM party_judgements")
    assert rows[0][0] == 4  # every judgement kept


def test_an_empty_store_has_nothing_to_resolve(tmp_path: Path) -> None:
    with connect(tmp_path / "empty.duckdb") as empty:
        with pytest.raises(NotFound, match="no party records"):
            resolve_parties(empty)


def test_errors_are_named(loaded: Store) -> None:
    with pytest.raises(NotFound, match="parties resolve"):
        show_party(loaded, "Primer Arms d.o.o.")
    with pytest.raises(InvalidInput):
        resolve_parties(loaded, threshold=1.5)
    resolve_parties(loaded)
    with pytest.raises(NotFound):
        show_party(loaded, "No Such Firm Anywhere")
    with pytest.raises(InvalidInput, match="same party record"):
        judge(loaded, "Primer Arms d.o.o.", "Primer Arms d.o.o.", "same", "x", None)
    with pytest.raises(InvalidInput, match="verdict"):
        judge(loaded, "Primer Arms d.o.o.", "Sofag", "maybe", "x", None)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        judge(loaded, "Primer Arms d.o.o.", "Nobody At All", "same", "x", None)
