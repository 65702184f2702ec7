"""The newcomer's path (issue 10, point 11): the README's commands work as written after
`make demo`, which installs neither the test tools nor the Spark extra."""

from __future__ import annotations

import re
import shlex
import subprocess

from transship.cli.docgen import ROOT

#: Commands that read or write a store, so a tour line without --db would use another one.
STORE_COMMANDS = {
    "ingest",
    "runs",
    "rejects",
    "sql",
    "export",
    "tables",
    "mirror",
    "hubs",
    "routes",
    "reconcile",
    "report",
    "serve",
    "screen",
    "parties",
    "check-certificate",
    "assess",
    "claims",
    "fetch",
    "sources",
}


def _tour_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()]


def test_readme_needs_nothing_bootstrap_does_not_put_on_path() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "uv run" not in readme, "bootstrap leaves uv in ~/.local/bin, off most PATHs"
    assert "source .venv/bin/activate" in readme


def test_every_tour_line_that_uses_a_store_names_it() -> None:
    lines = [line for line in _tour_lines() if line.startswith("transship ")]
    assert len(lines) > 10
    for line in lines:
        words = shlex.split(line.split(" | ")[0].split("  #")[0])
        if words[1] in STORE_COMMANDS:
            assert "--db" in words, f"README line without --db: {line}"


def test_make_demo_installs_no_spark_and_no_dev_group() -> None:
    make = subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "bootstrap demo" in make and "--no-dev transship demo" in make
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text(encoding="utf-8")
    demo = re.search(r"^\s*demo\) sync=\((.*)\) ;;$", bootstrap, flags=re.M)
    assert demo is not None and "extra" not in demo.group(1) and "--no-dev" in demo.group(1)
    bad = subprocess.run([ROOT / "scripts" / "bootstrap", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr
