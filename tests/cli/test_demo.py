"""`transship demo` builds a fresh store from the shipped case, labelled where simulated."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from transship.cli.app import app
from transship.evaluate.truth import planted_routes, read_truth
from transship.store import connect

runner = CliRunner()


def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    (out).mkdir()
    keep = out / "my-notes.txt"
    keep.write_text("not the demo's", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert keep.exists(), "the demo must not delete files it did not write"
    tables = {t["table"]: t for t in report["tables"]}
    # The case's real parties and claims are in, and not marked simulated.
    assert tables["entities"]["rows"] > 0 and tables["entities"]["simulated"] == 0
    assert tables["claims"]["rows"] > 0
    # Simulated statistics are in, and every one of them is marked simulated.
    assert tables["trade_flows"]["rows"] > 0
    assert tables["trade_flows"]["simulated"] == tables["trade_flows"]["rows"]
    titles = [s["title"] for s in report["sections"]]
    assert any("SIMULATED" in t for t in titles)
    # every later stage shows its part (parties, risk, claims, outlook)
    joined = " ".join(titles).lower()
    for word in ("part", "assess", "claim", "outlook"):
        assert word in joined, (word, titles)
    assert not any(t.endswith(": failed") for t in titles), titles
    _check_marks(report, out / "simulated")
    # the HTML report of the demo store (issue 12), labelled simulated
    assert report["report"] == str(out / "report.html")
    assert "SIMULATED" in (out / "report.html").read_text(encoding="utf-8")
    with connect(Path(report["store"])) as s:
        assert s.count("ingest_runs") >= 3
        names = {r[0] for r in s.fetchall("SELECT caption FROM entities")}
        assert any("Kru" in n for n in names) and any("Yugoimport" in n for n in names)


def _check_marks(report: dict[str, Any], sim_dir: Path) -> None:
    """Every route and hub shown is marked from the truth, and the precision and recall
    printed are those of the marks."""
    truth = read_truth(sim_dir)
    paths = {path for path, product in planted_routes(truth) if product.startswith("9306")}
    hub_years = {
        (t["territory"], int(t["year"]))
        for t in truth
        if t.get("kind") == "hub" and str(t["product"]).startswith("9306")
    }
    (flows,) = [s for s in report["sections"] if s["title"].startswith("Flows")]
    routes = [x for x in flows["lines"] if re.match(r"\s*\[(PLANTED|not planted)\] route", x)]
    hubs = [x for x in flows["lines"] if re.match(r"\s*\[(PLANTED|not planted)\] hub", x)]
    assert routes and hubs
    for line in routes:
        path = tuple(line.split("] route ")[1].split(":")[0].split(" -> "))
        assert ("[PLANTED]" in line) == (path in paths), line
    for line in hubs:
        territory, year = line.split("] hub ")[1].split(":")[0].split()
        assert ("[PLANTED]" in line) == ((territory, int(year)) in hub_years), line
    for kind, shown in (("routes", routes), ("hubs", hubs)):
        marks = report["marks"][kind]
        hits = sum("[PLANTED]" in x for x in shown)
        assert marks["shown"] == len(shown) and marks["planted_shown"] == hits
        assert marks["precision"] == round(hits / len(shown), 4)
        assert marks["recall"] == round(hits / marks["planted"], 4)
    assert report["marks"]["hubs"]["planted"] == len(hub_years)
    # more planted intermediary-years than hubs shown: the misses are listed
    missed = [x for x in flows["lines"] if "missed (planted, not in the list): hub" in x]
    assert len(missed) == len(hub_years) - report["marks"]["hubs"]["planted_shown"]


def test_demo_twice_gives_fresh_store(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = runner.invoke(app, ["demo", "--out", str(out), "--json"])
    second = runner.invoke(app, ["demo", "--out", str(out), "--json"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    a = {t["table"]: t["rows"] for t in json.loads(first.stdout)["tables"]}
    b = {t["table"]: t["rows"] for t in json.loads(second.stdout)["tables"]}
    assert a == b


#: Not installed by `make demo` (the Spark extra and the dev group): the demo must not need them.
NOT_FOR_THE_DEMO = ("pyspark", "sqlglot", "pandas", "pytest", "hypothesis")


def test_demo_needs_no_spark_and_prints_runnable_next_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo` installs neither the Spark extra nor the dev group; the demo then tells the
    user what to type next, and each command it prints works as printed (issue 10, point 11)."""
    out = tmp_path / "demo"
    script = (
        "import sys\n"
        "class Absent:  # imports fail as in an environment without these packages\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.partition('.')[0] in {NOT_FOR_THE_DEMO!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Absent())\n"
        "from transship.cli.main import main\n"
        f"sys.argv = ['transship', 'demo', '--out', {str(out)!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    steps = [line.strip() for line in lines[lines.index("Next") + 1 :] if line.strip()]
    commands = [s.split("   #")[0] for s in steps if s.startswith("transship ")]
    assert commands and all(f"--db {out / 'transship.duckdb'}" in c for c in commands)
    # `transship serve` would serve until stopped: it runs up to the point it would listen
    # (on a free port: another program may hold the default one)
    import uvicorn

    from transship.cli import serve as serve_cli

    bind = serve_cli.bind
    monkeypatch.setattr(serve_cli, "bind", lambda host, port: bind(host, 0))
    served: list[object] = []

    def run(self: uvicorn.Server, sockets: list[Any] | None = None) -> None:
        served.append(self)
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    for command in commands:
        args = shlex.split(command)[1:]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.output)
    assert len(served) == sum(c.startswith("transship serve ") for c in commands)
