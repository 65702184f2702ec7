"""`transship fetch opensanctions` against a fake dataset index: versions, checks, changes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fetch.fake import Reply, Request, ranged, serve
from transship.cli.app import app
from transship.exc import InvalidInput
from transship.fetch import opensanctions
from transship.fetch.http import FetchError
from transship.store import connect

runner = CliRunner()


def entity(eid: str, name: str, country: str = "rs") -> dict[str, Any]:
    """Hand-made FtM entities (invented firms), not OpenSanctions data."""
    return {
        "id": eid,
        "schema": "Company",
        "properties": {"name": [name], "country": [country]},
        "datasets": ["test"],
    }


V1 = [
    entity("t-1", "Alpha Munitions DOO"),
    entity("t-2", "Beta Trading LLC"),
    entity("t-3", "Gamma Logistics AD"),
]
V2 = [
    entity("t-1", "Alpha Munitions DOO"),
    entity("t-2", "Beta Trading LLC", "ae"),
    entity("t-4", "Delta Brokers EOOD", "bg"),
]


def jsonl(entities: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in entities).encode()


class Site:
    """The fake data site: an index per version, the entities file, a checksum."""

    def __init__(self) -> None:
        self.version = "20261201"
        self.files = {"20261201": jsonl(V1), "20261207": jsonl(V2)}
        self.bad_checksum = False
        self.url = ""

    def index(self, r: Request) -> Reply:
        data = self.files[self.version]
        checksum = "0" * 40 if self.bad_checksum else hashlib.sha1(data).hexdigest()
        body = {
            "name": "test",
            "version": self.version,
            "resources": [
                {"name": "names.txt", "url": f"{self.url}/x/names.txt", "checksum": "1" * 40},
                {
                    "name": "entities.ftm.json",
                    "url": f"{self.url}/artifacts/{self.version}/entities.ftm.json",
                    "checksum": checksum,
                },
            ],
        }
        return Reply(200, json.dumps(body).encode())

    def file(self, r: Request) -> Reply:
        return ranged(self.files[r.path.split("/")[2]], r)


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Any:
    s = Site()
    routes = {
        "/test/index.json": s.index,
        "/artifacts/20261201/entities.ftm.json": s.file,
        "/artifacts/20261207/entities.ftm.json": s.file,
    }
    with serve(routes) as fake:
        s.url = fake.url
        monkeypatch.setenv("TRANSSHIP_OPENSANCTIONS_URL", fake.url)
        monkeypatch.setenv("TRANSSHIP_FETCH_BACKOFF", "0")
        yield s


def test_versions_are_kept_and_changes_counted(site: Site, tmp_path: Path) -> None:
    first = opensanctions.fetch("test", tmp_path)
    assert first.entities == 3 and first.changes.added == 3 and first.changes.since is None
    site.version = "20261207"
    second = opensanctions.fetch("test", tmp_path)
    assert second.changes.to_dict() == {"since": "20261201", "added": 1, "changed": 1, "removed": 1}
    assert (tmp_path / "test/20261201/entities.ftm.json").exists()  # the earlier version stays
    again = opensanctions.fetch("test", tmp_path)
    assert again.already_had and again.changes.added == 1


def test_a_checksum_mismatch_fails_and_keeps_nothing(site: Site, tmp_path: Path) -> None:
    site.bad_checksum = True
    with pytest.raises(FetchError, match="published sha1"):
        opensanctions.fetch("test", tmp_path)
    assert (
        not list(tmp_path.rglob("entities.ftm.json*")) and not (tmp_path / "manifest.json").exists()
    )


def test_an_index_without_the_resource_is_a_format_change(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serve(
        {"/test/index.json": lambda r: Reply(200, b'{"version": "1", "resources": []}')}
    ) as fake:
        monkeypatch.setenv("TRANSSHIP_OPENSANCTIONS_URL", fake.url)
        with pytest.raises(FetchError, match="index format may have changed"):
            opensanctions.fetch("test", tmp_path)
    with pytest.raises(InvalidInput):
        opensanctions.fetch("../etc", tmp_path)


def test_cli_ingests_each_version_as_a_revision(site: Site, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    args = [
        "fetch",
        "opensanctions",
        "--dataset",
        "test",
        "--out",
        str(tmp_path / "f"),
        "--db",
        str(db),
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert (
        "3 added" in first.output
        and "CC BY-NC" in first.output
        and "non-commercial" in first.output
    )
    site.version = "20261207"
    second = runner.invoke(app, [*args, "--json"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["changes"]["removed"] == 1
    with connect(db, read_only=True) as store:
        current = store.fetchall(
            "SELECT id, properties ->> '$.country[0]' FROM entities_current "
            "WHERE dataset = 'opensanctions-test' ORDER BY id"
        )
        retired = store.fetchall(
            "SELECT id FROM entities_superseded WHERE dataset = 'opensanctions-test'"
        )
        [(fetched,)] = store.fetchall("SELECT count(*) FROM fetches WHERE source = 'opensanctions'")
    # the delisted Gamma is gone from the current list; Beta shows its new country
    assert current == [("t-1", "rs"), ("t-2", "ae"), ("t-4", "bg")]
    assert ("t-3",) in retired and fetched == 2
