"""The validation harnesses from the command line (``python -m transship.flows.validate``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transship.store import Store, connect


def main(argv: Sequence[str] | None = None) -> int:
    from transship.flows.validate.common import open_source
    from transship.flows.validate.planted import validate_planted
    from transship.flows.validate.real import validate_reexports
    from transship.flows.validate.simulated import validate_simulated, validate_simulated_hubs

    parser = argparse.ArgumentParser(
        prog="python -m transship.flows.validate",
        description="Validate hubs and routes against withheld re-exports and planted routes.",
    )
    parser.add_argument("--data", type=Path, help="Comtrade files/folder with RX rows")
    parser.add_argument("--db", type=Path, help="a store to validate on instead of --data")
    parser.add_argument("--planted", action="store_true", help="run the planted-route harness")
    parser.add_argument(
        "--simulated", type=Path, action="append", help="a `transship simulate` output folder"
    )
    parser.add_argument("--seeds", type=int, default=3, help="worlds per noise level")
    parser.add_argument("--details", action="store_true", help="keep per product-year pair rows")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {}
    if args.data or args.db:
        src: Store | Path = connect(args.db, read_only=True) if args.db else args.data
        res = validate_reexports(src)
        if not args.details:
            res["pairs"].pop("per_product_year", None)
        out["reexports"] = res
    if args.planted:
        out["planted"] = validate_planted(seeds=tuple(range(args.seeds)))
    if args.simulated:
        out["simulated"] = []
        out["simulated_hubs"] = []
        for d in args.simulated:
            store, _ = open_source(Path(d) / "data")
            try:
                out["simulated"].append(validate_simulated(d, store=store))
                out["simulated_hubs"].append(validate_simulated_hubs(d, store=store))
            finally:
                store.close()
    if not out:
        parser.error("give --data/--db, --planted and/or --simulated")
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
