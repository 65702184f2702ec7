"""`transship demo` builds a fresh store from the shipped case, labelled where simulated."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from transship.cli.app import app
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
    assert set(report["not_built"]) >= {"resolve", "outlook", "serve"}
    # The routes as a picture, labelled simulated in the picture itself.
    picture = (out / "routes.html").read_text(encoding="utf-8")
    assert "<svg" in picture and "SIMULATED DATA" in picture and "UKR" in picture
    with connect(Path(report["store"])) as s:
        assert s.count("ingest_runs") >= 3
        names = {r[0] for r in s.fetchall("SELECT caption FROM entities")}
        assert any("Kru" in n for n in names) and any("Yugoimport" in n for n in names)


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


def test_demo_needs_no_spark_and_prints_runnable_next_steps(tmp_path: Path) -> None:
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
    commands = [s for s in steps if s.startswith("transship ")]
    assert commands and all(f"--db {out / 'transship.duckdb'}" in c for c in commands)
    for command in commands:
        args = shlex.split(command)[1:]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.output)
