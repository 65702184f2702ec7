"""The case format and the shipped serbia-2025 case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from transship.exc import NotFound, SourceFormatError
from transship.ingest.pipeline import ingest_paths
from transship.simulate.case import case_files, load_case, parties_ftm
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"
SEVEN = {"Yugoimport SDPR", "Krušik", "Prvi Partizan", "Sloboda", "Zenitprom", "Sofag", "Reyer DTI"}


def test_serbia_case_loads_with_the_report_parties_and_routes() -> None:
    case = load_case(CASE)
    names = {p.name for p in case.parties.values() if p.country == "rs"}
    assert SEVEN <= names
    intermediaries = {c for s in case.schemes if s.path[0] == "rs" for c in s.path[1:-1]}
    assert {"cz", "pl", "bg", "ke", "ng", "tr", "us", "es"} <= intermediaries
    assert {s.path[-1] for s in case.schemes} == {"ua"}
    kinds = {p.id for p in case.products.values()}
    assert {"shell-155", "rocket-122", "saa-762", "mortar-120", "explosive"} <= kinds


def test_serbian_diversion_adds_up_to_the_reported_800_million() -> None:
    case = load_case(CASE)
    total = sum(s.value_eur.value for s in case.schemes if s.path[0] == "rs" and s.value_eur)
    assert total == pytest.approx(800e6, rel=0.01)
    spans = {(s.start[:4], s.end[:4]) for s in case.schemes if s.path[0] == "rs"}
    assert all("2022" <= a <= b <= "2024" for a, b in spans)


def test_krusik_capacity_rests_on_the_jane_claim() -> None:
    case = load_case(CASE)
    cap = case.parties["krusik"].capacities["shell-155"]
    assert cap.value == 100_000
    assert cap.source == "SR06"
    assert "100,000" in case.claims["SR06"]["claim"]


def test_every_number_has_a_basis_and_every_cited_claim_exists() -> None:
    raw = yaml.safe_load((CASE / "case.yaml").read_text("utf-8"))
    case = load_case(CASE)

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if ("value" in node or "low" in node) and any(
                isinstance(node.get(k), int | float) for k in ("value", "low")
            ):
                assert "source" in node or ("assumption" in node and node.get("reason")), where
                if "source" in node:
                    assert node["source"] in case.claims, where
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(raw, "")


def test_doubtful_attributions_are_recorded() -> None:
    case = load_case(CASE)
    doubts = {d["claim"]: d["doubt"] for d in case.raw["doubts"]}
    assert "TIV" in doubts["SR05"]
    assert "SR07" in doubts


def test_claims_file_follows_the_claims_format() -> None:
    schema = json.loads((ROOT / "transship/data/schemas/claim.schema.json").read_text("utf-8"))
    lines = (CASE / "claims.jsonl").read_text("utf-8").splitlines()
    assert len(lines) >= 20
    for line in lines:
        claim = json.loads(line)
        jsonschema.validate(claim, schema)
        assert claim["original_source"]


def test_parties_file_is_what_the_case_says(tmp_path: Path) -> None:
    case = load_case(CASE)
    written = [json.loads(x) for x in (CASE / "parties.ftm.jsonl").read_text("utf-8").splitlines()]
    assert written == parties_ftm(case)
    names = {e["properties"]["name"][0] for e in written}
    assert SEVEN <= names
    assert not any("simulated" in n for n in names)
    for e in written:
        assert e["datasets"] == ["transship_case_serbia_2025"]
        assert e["id"].startswith("ts-co-")
        assert all(c == c.lower() for c in e["properties"]["country"])
        assert "claim SR" in e["properties"]["notes"][0]


def test_case_files_ingest(store: Store) -> None:
    case = load_case(CASE)
    files = case_files(case)
    assert [f.name for f in files] == ["parties.ftm.jsonl", "claims.jsonl"]
    results = ingest_paths(store, files)
    assert [r.status for r in results] == ["ok", "ok"]
    assert all(r.rows_rejected == 0 for r in results)
    n_claims = store.fetchall("SELECT count(*) FROM claims")[0][0]
    assert n_claims == len(case.claims)
    assert store.fetchall("SELECT count(*) FROM entities")[0][0] == len(parties_ftm(case))


def _broken(tmp_path: Path, edit: str, old: str) -> Path:
    folder = tmp_path / "case"
    shutil.copytree(CASE, folder)
    text = (folder / "case.yaml").read_text("utf-8")
    assert old in text
    (folder / "case.yaml").write_text(text.replace(old, edit, 1), "utf-8")
    return folder


def test_a_number_without_basis_names_file_and_field(tmp_path: Path) -> None:
    folder = _broken(
        tmp_path,
        "annual_capacity: {value: 100000}",
        "annual_capacity: {value: 100000, source: SR06}",
    )
    with pytest.raises(SourceFormatError) as err:
        load_case(folder)
    assert "case.yaml" in err.value.message
    assert "parties[1].products[0].annual_capacity" in err.value.message
    assert "basis" in err.value.message


def test_an_unknown_claim_names_the_field(tmp_path: Path) -> None:
    folder = _broken(
        tmp_path,
        "annual_capacity: {value: 100000, source: SR99}",
        "annual_capacity: {value: 100000, source: SR06}",
    )
    with pytest.raises(SourceFormatError) as err:
        load_case(folder)
    assert "SR99" in err.value.message
    assert "annual_capacity.source" in err.value.message


def test_an_unknown_product_and_bad_yaml(tmp_path: Path) -> None:
    folder = _broken(tmp_path, "product: shell-999", "product: shell-155")
    with pytest.raises(SourceFormatError, match="unknown product 'shell-999'"):
        load_case(folder)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "case.yaml").write_text("id: [unclosed\n", "utf-8")
    with pytest.raises(SourceFormatError, match="line"):
        load_case(bad)
    with pytest.raises(NotFound):
        load_case(tmp_path / "nowhere")
