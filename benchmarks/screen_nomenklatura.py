"""nomenklatura's logic-v2 scores on the screening quality sets, for docs/validation.md.

nomenklatura 4.17 pins ``duckdb<2`` and transship needs duckdb 2, so logic-v2 runs in an
isolated environment of its own, from PyPI only, and writes its raw scores as JSON that
``python -m tests.resolve.quality`` reads beside transship's and rapidfuzz's:

    uv run --isolated --no-project --with 'nomenklatura==4.17.*' \\
        python benchmarks/screen_nomenklatura.py

(run from the repository root; ``--shared DIR`` if the shared data is not at ../shared).
The pairs are exactly those of tests/resolve/quality.py: (a) every treated UN name against
every raw one (683 x 683, as Person), (b) OFAC's 170 pairs (LegalEntity), (c) the labelled
set of tests/resolve/labelled.py (its own schema per pair). Every entity gets its own id:
logic-v2 caches name analysis per entity id.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.resolve.labelled import pairs  # noqa: E402  (pure Python, no transship import)

FIXTURES = "opensanctions-ftm-fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "out" / "screen_nomenklatura.json"
    )
    args = parser.parse_args()
    folder = args.shared / "data" / FIXTURES

    from followthemoney import model
    from nomenklatura.matching import get_algorithm
    from nomenklatura.matching.types import ScoringConfig

    algo = get_algorithm("logic-v2")
    assert algo is not None
    config = ScoringConfig.defaults()
    counter = [0]

    def entity(name: str, schema: str) -> Any:
        counter[0] += 1
        return model.get_proxy(
            {"id": f"e{counter[0]}", "schema": schema, "properties": {"name": [name]}}
        )

    def score(a: Any, b: Any) -> float:
        return float(algo.compare(a, b, config).score)

    start = time.perf_counter()
    with (folder / "un_sanctions_positives_untreated.csv").open(encoding="utf-8") as fh:
        raw = [r["full_name"] for r in csv.DictReader(fh)]
    with (folder / "un_sanctions_positives_treated.csv").open(encoding="utf-8") as fh:
        treated = [r["full_name"] for r in csv.DictReader(fh)]
    cands = [entity(n, "Person") for n in raw]
    # sparse: (query row, candidate row, score) for scores of 0.3 or more
    un: list[tuple[int, int, float]] = []
    for i, name in enumerate(treated):
        q = entity(name, "Person")
        for j, c in enumerate(cands):
            s = score(q, c)
            if s >= 0.3:
                un.append((i, j, round(s, 4)))
        if i % 50 == 0:
            print(f"UN {i}/{len(treated)} {time.perf_counter() - start:.0f}s", file=sys.stderr)
    with (folder / "ofac_name_matching_fixtures.csv").open(encoding="utf-8") as fh:
        ofac_rows = [(r["query_name"], r["result_name"]) for r in csv.DictReader(fh)]
    ofac = [
        round(score(entity(a, "LegalEntity"), entity(b, "LegalEntity")), 4) for a, b in ofac_rows
    ]
    labelled = [
        round(score(entity(p.query, p.schema), entity(p.candidate, p.schema)), 4) for p in pairs()
    ]
    seconds = time.perf_counter() - start
    n_pairs = len(treated) * len(raw) + len(ofac) + len(labelled)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "version": version("nomenklatura"),
                "rigour": version("rigour"),
                "followthemoney": version("followthemoney"),
                "algorithm": "logic-v2",
                "pairs": n_pairs,
                "seconds": round(seconds, 1),
                "un_shape": [len(treated), len(raw)],
                "un": un,
                "ofac": ofac,
                "labelled": labelled,
            }
        )
    )
    print(f"wrote {args.out} ({n_pairs} pairs in {seconds:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
