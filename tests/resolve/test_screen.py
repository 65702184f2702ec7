"""Screening: yente's /match response shape, the blocking index against all pairs, CSVs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from transship.exc import SourceFormatError
from transship.resolve.lists import read_ftm_file
from transship.resolve.parties import party_from_properties, query_party
from transship.resolve.queries import read_query_csv
from transship.resolve.screen import QueryResult, Screener, match_response

ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"
T1 = "opensanctions-ftm-fixtures/eu_fsf_t1_entities.ftm.jsonl"


@pytest.fixture(scope="module")
def zala(shared_data: Path) -> Screener:
    lst = read_ftm_file(shared_data / ZALA)
    lst.extend(read_ftm_file(shared_data / T1))
    return Screener(lst.parties)


def test_screens_the_zala_cluster_in_every_script(zala: Screener) -> None:
    queries = [
        query_party("izhmash", "Izhmash OJSC", "Company"),
        query_party("kalashnikov", "Концерн Калашников", "Company"),
        query_party("zakharov", "Захаров Александр Вячеславович", "Person"),
        query_party("tobacco", "Inter Tobacco LLC", "Organization", country="by"),
        query_party("nobody", "Sloboda Trgovina d.o.o.", "Company"),
    ]
    res = {r.query.id: r for r in zala.screen(queries)}
    assert res["izhmash"].results[0].party.id == "NK-nR5AXM9AVPq4pQaSPSaVam"
    assert res["kalashnikov"].results[0].party.id == "NK-nR5AXM9AVPq4pQaSPSaVam"
    assert res["zakharov"].results[0].party.id == "NK-aU5ybkbRFJucf8YMwsJvDw"
    assert res["tobacco"].results[0].party.id == "NK-2GdmHtZTeNXjNVrBGEXZNj"
    assert all(s.result.score < 0.7 for s in res["nobody"].results)


def test_response_follows_yente_match(zala: Screener) -> None:
    results = zala.screen([query_party("q1", "JSC Kalashnikov", "Company")])
    response = match_response(results, threshold=0.7, limit=2)
    assert response["limit"] == 2
    q1 = response["responses"]["q1"]
    assert q1["status"] == 200
    assert q1["query"]["schema"] == "Company"
    assert q1["total"]["relation"] == "eq"
    top = q1["results"][0]
    for key in (
        "id",
        "caption",
        "schema",
        "properties",
        "datasets",
        "referents",
        "target",
        "first_seen",
        "last_seen",
        "score",
        "match",
        "features",
        "explanations",
    ):
        assert key in top
    assert top["match"] is True
    assert set(top["explanations"]["name_match"]) >= {"score", "detail", "query", "candidate"}
    assert top["features"]["name_match"] == top["explanations"]["name_match"]["score"]
    assert len(q1["results"]) <= 2


def test_blocking_finds_what_all_pairs_scoring_finds(shared_data: Path) -> None:
    """The index (forced on a small list) returns the same matches as comparing all pairs."""
    import csv

    folder = shared_data / "opensanctions-ftm-fixtures"
    with (folder / "un_sanctions_positives_untreated.csv").open(encoding="utf-8") as fh:
        raw = [r["full_name"] for r in csv.DictReader(fh)]
    with (folder / "un_sanctions_positives_treated.csv").open(encoding="utf-8") as fh:
        treated = [r["full_name"] for r in csv.DictReader(fh)]
    parties = [party_from_properties(f"un{i}", "Person", {"name": [n]}) for i, n in enumerate(raw)]
    queries = [query_party(f"q{i}", n, "Person") for i, n in enumerate(treated[:200])]
    full = Screener(parties, exhaustive=True).screen(queries, min_score=0.7)
    blocked_screener = Screener(parties, exhaustive=False)
    assert blocked_screener.index is not None
    blocked = blocked_screener.screen(queries, min_score=0.7)
    want = {(r.query.id, s.party.id) for r in full for s in r.results}
    got = {(r.query.id, s.party.id) for r in blocked for s in r.results}
    assert got <= want
    assert len(got) >= 0.98 * len(want)
    assert sum(r.compared for r in blocked) < sum(r.compared for r in full) / 20


def test_parallel_screening_matches_the_serial_one(shared_data: Path) -> None:
    """Screening on forked workers (``screen --workers``, the benchmark's path) returns the
    same entries, scores and explanations as in one process, and the index's vocabulary as
    code points (what the compiled neighbour search reads) is the vocabulary itself."""

    lst = read_ftm_file(shared_data / ZALA)
    lst.extend(read_ftm_file(shared_data / T1))
    screener = Screener(lst.parties, exhaustive=False)
    assert screener.index is not None
    words = list(screener.index.vocab)
    cp, ptr = screener.index.voc_cp, screener.index.voc_ptr
    assert [
        cp[a:b].tobytes().decode("utf-32-le") for a, b in zip(ptr[:-1], ptr[1:], strict=True)
    ] == words
    queries = [
        query_party(f"q{i}", n, "Company" if i % 2 else "Person")
        for i, n in enumerate(
            [
                "Izhmash OJSC",
                "Концерн Калашников",
                "Захаров Александр Вячеславович",
                "Inter Tobacco LLC",
                "Kalashnikov Concern",
                "Zaharov Aleksandr",
                "Sloboda Trgovina d.o.o.",
            ]
        )
    ]

    def shown(results: list[QueryResult]) -> list[Any]:
        return [
            (
                r.query.id,
                r.compared,
                [
                    (
                        s.index,
                        s.result.score,
                        s.result.features,
                        [f.to_dict() for f in s.result.explanations.values()],
                    )
                    for s in r.results
                ],
            )
            for r in results
        ]

    serial = shown(screener.screen(queries))
    assert any(r[2] for r in serial)
    assert shown(screener.screen(queries, workers=2, chunk=3)) == serial
    # progress: every query counted once, chunk by chunk, in one process and on workers
    for workers in (1, 2):
        done: list[int] = []
        assert shown(screener.screen(queries, workers=workers, chunk=3, progress=done.append)) == (
            serial
        )
        assert sorted(done) == [1, 3, 3]


def test_identifiers_find_entries_the_names_miss(zala: Screener) -> None:
    q = query_party(
        "q", "Totally Renamed Ltd", "Company", identifiers={"ogrnCode": "1111832003018"}
    )
    blocked = Screener(zala.parties, exhaustive=False)
    res = blocked.screen([q])[0]
    assert res.results[0].party.id == "NK-nR5AXM9AVPq4pQaSPSaVam"
    assert "identifier_match" in res.results[0].result.explanations
    # an INN given as a registration number (a screening CSV's registration_number
    # column): LLC Unmanned Systems lists 1831069701 as an INN only
    q = query_party(
        "q", "Totally Renamed Ltd", "Company", identifiers={"registrationNumber": "1831069701"}
    )
    top = blocked.screen([q])[0].results[0]
    assert top.party.id == "NK-cWSvGMvufNH5KwEV88FwTA"
    feature = top.result.explanations["identifier_match"]
    assert feature.detail == "same number 1831069701 (REGISTRATION / INN)"


def test_reads_a_screening_csv(tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(
        "name,schema,country,birth_date,inn,imo\n"
        "Krušik a.d. Valjevo,Company,Serbia,,,\n"
        "Aleksandr Zakharov,Person,ru;gb,1966-05-02,183111242406,\n"
        "Sparta IV,Vessel,,,,IMO 9321483\n",
        encoding="utf-8",
    )
    parties = read_query_csv(path)
    assert [p.id for p in parties] == ["row-2", "row-3", "row-4"]
    assert parties[0].countries == frozenset({"rs"})
    assert parties[1].countries == frozenset({"ru", "gb"})
    assert parties[1].birth_dates == ("1966-05-02",)
    assert parties[1].identifiers["inn"] == frozenset({"183111242406"})
    assert parties[2].identifiers["imo"] == frozenset({"9321483"})


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        ("nom,country\nX,rs\n", 1, "nom", "unknown column"),
        ("country\nrs\n", 1, "name", "no name column"),
        ("name,schema\nX,Compny\n", 2, "schema", "unknown schema"),
        ("name,country\nX,Narnia\n", 2, "country", "not a country"),
        ("name,country\n,rs\n", 2, "name", "empty name"),
        ("name\n", None, None, "no parties"),
    ],
)
def test_bad_screening_csvs(
    tmp_path: Path, text: str, line: int | None, column: str | None, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        read_query_csv(path)
    assert err.value.line == line
    assert err.value.column == column
    assert reason in err.value.reason
