"""Resolution quality and speed at scale (issue 13, point 5).

Generates (seeded) party records with known clusters, resolves them with
:func:`transship.resolve.resolution.resolve_records` on DuckDB, and in the same run a simple
baseline: records with the same normalised name (case, diacritics, punctuation and spaces
folded) are one actor. Reports pairwise precision, recall and F1 over record pairs, pairs
compared, time per step and peak memory.

The records: actors are firms (70 %) and people (30 %) whose names come from the
screening benchmark's generator (benchmarks/screen.py: tokens of the real fixtures in
../shared/data/opensanctions-ftm-fixtures, read in place, and of the labelled set,
recombined into a vocabulary as large as a real list's) plus the Serbia case's own
parties (cases/serbia-2025/parties.ftm.jsonl). Each actor writes its name in one to five
ways (the screening benchmark's ``alter``: typos, word order, Cyrillic, diacritics, legal
forms, capitals, a dropped word); a record takes one of them (the first most often), the
actor's country in 80 % of records, and for a fifth of firms a registration number in a
third of their records. Records per actor are skewed (an exporter in thousands of
shipments, most parties in a few). Hard negatives are built in: for one firm in ten a
*sibling* in the same country shares its first word and nothing else (``Sloboda Čačak`` /
``Sloboda Trgovina``), and public bodies with the same name in many countries
(``Ministry of Defence``) are different actors.

``--smoke`` runs 20,000 records (about a minute); the default is 1,000,000. Results go to
benchmarks/out/resolve.json (or resolve-smoke.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.screen import LEGAL, alter, vocabularies, zipf_pick  # noqa: E402
from benchmarks.screen import make_list as _make_names  # noqa: E402

COUNTRIES = [
    "rs", "bg", "cz", "pl", "ru", "ua", "by", "cy", "ae", "tr", "sk", "hu", "ro", "hr",
    "ba", "me", "mk", "gr", "de", "gb", "us", "il", "in", "pk", "sa", "eg", "ly", "dz",
    "ng", "kz", "am", "az", "ge", "md", "at", "ch", "nl", "fr", "it", "es",
]  # fmt: skip
PUBLIC_BODIES = [
    "Ministry of Defence",
    "Ministry of Interior",
    "General Staff of the Armed Forces",
    "Ministry of Defence Procurement Agency",
    "State Security Service",
]
ROLES = [
    ("licences", "exporter"),
    ("licences", "consignee"),
    ("licences", "end_user"),
    ("shipments", "sender"),
    ("shipments", "receiver"),
    ("shipments", "declarant"),
    ("certificates", "consignee"),
    ("certificates", "end_user"),
]


_LEGAL_WORDS = frozenset(LEGAL)


def case_names() -> list[tuple[str, list[str], str | None]]:
    """(schema, names, country) of the Serbia case's parties."""
    out = []
    path = ROOT / "cases" / "serbia-2025" / "parties.ftm.jsonl"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            e = json.loads(line)
            props = e.get("properties", {})
            names = props.get("name", []) + props.get("alias", [])
            country = (props.get("country") or [None])[0]
            if names:
                out.append((e["schema"], names, country))
    return out


def generate(n_records: int, seed: int, shared: Path) -> dict[str, list[Any]]:
    """``n_records`` party records as columns (resolution.RECORD_COLUMNS plus ``truth``)."""
    rng = random.Random(seed)
    n_actors = max(50, n_records // 12)
    base = _make_names(n_actors, seed, shared)
    _, _, org_words = vocabularies(n_actors, seed, shared)
    actors: list[tuple[str, list[str], str, str | None]] = []  # schema, variants, country, id
    for schema, names, country in case_names():
        variants = list(dict.fromkeys(names))
        actors.append((schema, variants, country or "rs", None))
    for schema, name in base:
        if len(actors) >= n_actors:
            break
        schema = "Person" if schema == "Person" else "LegalEntity"
        country = COUNTRIES[min(len(COUNTRIES) - 1, int(rng.expovariate(0.12)))]
        variants = [name]
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            v = alter(rng.choice(variants), rng)
            if schema == "Person" and not _LEGAL_WORDS.isdisjoint(v.split()):
                continue  # a person's name never gains a company form
            if v.strip() and v not in variants:
                variants.append(v)
        reg = None
        if schema == "LegalEntity" and rng.random() < 0.2:
            reg = str(rng.randrange(10_000_000, 99_999_999))
        actors.append((schema, variants, country, reg))
        if schema == "LegalEntity" and rng.random() < 0.1:
            first = name.split()[0]
            other = zipf_pick(rng, org_words, 0.5)
            actors.append(("LegalEntity", [f"{first} {other}"], country, None))
    for body in PUBLIC_BODIES:
        for c in COUNTRIES:
            actors.append(("PublicBody", [body], c, None))
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "party_id", "source_table", "record_id", "dataset", "role", "schema", "name",
            "country", "names", "identifiers", "source_sha256", "line", "simulated", "truth",
        )
    }  # fmt: skip
    order = list(range(len(actors)))
    rng.shuffle(order)
    for i in range(n_records):
        # every actor once, then skewed: a few actors in thousands of records
        a = order[i] if i < len(order) else order[int(len(order) ** rng.random() ** 0.6) - 1]
        schema, variants, country, reg = actors[a]
        name = variants[0] if rng.random() < 0.5 else rng.choice(variants)
        table, role = ROLES[rng.randrange(len(ROLES))]
        if schema == "PublicBody":
            table, role = "certificates", "end_user"
        cols["party_id"].append(f"{table}:gen{i}:{role}")
        cols["source_table"].append(table)
        cols["record_id"].append(f"gen{i}")
        cols["dataset"].append(f"generated-{table}")
        cols["role"].append(role)
        cols["schema"].append(schema)
        cols["name"].append(name)
        cols["country"].append(country if rng.random() < 0.8 else None)
        cols["names"].append([])
        ids = [f"registration:{reg}"] if reg and rng.random() < 0.33 else []
        cols["identifiers"].append(ids)
        cols["source_sha256"].append("generated")
        cols["line"].append(i + 1)
        cols["simulated"].append(True)
        cols["truth"].append(a)
    return cols


def normalised(name: str) -> str:
    """The baseline's key: case, diacritics, punctuation and spaces folded."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def pair_scores(truth: list[int], pred: list[Any]) -> dict[str, float]:
    """Pairwise precision, recall and F1 over all record pairs (from cluster sizes)."""

    def pairs(counts: Counter[Any]) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    both = Counter(zip(truth, pred, strict=True))
    tp = pairs(both)
    # B-cubed: per record, the share of its predicted cluster that is truly its actor and
    # the share of its actor that its predicted cluster holds (big clusters weigh less)
    size_t, size_p = Counter(truth), Counter(pred)
    n = len(truth)
    b3p = sum(c * c / size_p[p] for (t, p), c in both.items()) / n
    b3r = sum(c * c / size_t[t] for (t, p), c in both.items()) / n
    true_pairs = pairs(Counter(truth))
    pred_pairs = pairs(Counter(pred))
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "bcubed_precision": round(b3p, 4),
        "bcubed_recall": round(b3r, 4),
        "bcubed_f1": round(2 * b3p * b3r / (b3p + b3r), 4) if b3p + b3r else 0.0,
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "clusters": len(set(pred)),
        "true_clusters": len(set(truth)),
    }


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true", help="20,000 records")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--top-k", type=int, default=None, help="candidate pairs per node")
    parser.add_argument("--max-df", type=int, default=None, help="longest key posting")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    n = 20_000 if args.smoke else args.records

    import pyarrow as pa

    from transship.resolve.resolution import DEFAULT_THRESHOLD, MAX_DF, TOP_K, resolve_records
    from transship.resolve.screen import warm_up
    from transship.store import connect
    from transship.store.engine import DuckDBEngine

    threshold = args.threshold or DEFAULT_THRESHOLD
    out: dict[str, Any] = {"records": n, "seed": args.seed, "threshold": threshold}
    out["top_k"] = args.top_k or TOP_K
    out["max_df"] = args.max_df or MAX_DF
    t0 = time.perf_counter()
    cols = generate(n, args.seed, args.shared)
    truth = cols.pop("truth")
    records = pa.table(cols)
    out["generate_s"] = round(time.perf_counter() - t0, 1)
    out["actors_true"] = len(set(truth))
    out["distinct_names"] = len(set(cols["name"]))
    print(f"generated {n:,} records of {out['actors_true']:,} actors in {out['generate_s']} s")

    t0 = time.perf_counter()
    base = [normalised(x) for x in cols["name"]]
    out["baseline_name"] = pair_scores(truth, base)
    out["baseline_name"]["seconds"] = round(time.perf_counter() - t0, 2)
    out["baseline_name"]["pairs_compared"] = 0
    base_c = [f"{b}|{c or ''}" for b, c in zip(base, cols["country"], strict=True)]
    out["baseline_name_country"] = pair_scores(truth, base_c)
    print("baseline (normalised name):", out["baseline_name"])

    out["warm_up_s"] = round(warm_up(), 2)
    last = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 10 or done == total:
            last[0] = now
            print(f"  {stage}: {done:,}/{total:,}", file=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        store = connect(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        res = resolve_records(
            records,
            DuckDBEngine(store),
            threshold,
            progress=progress,
            workers=args.workers,
            max_df=args.max_df or MAX_DF,
            top_k=args.top_k or TOP_K,
        )
        secs = time.perf_counter() - t0
        store.close()
    pred = res.actor_per_record()
    out["transship"] = pair_scores(truth, pred)
    out["transship"].update(
        {
            "seconds": round(secs, 1),
            "records_per_s": round(n / secs),
            "nodes": len(res.nodes),
            "pairs_compared": res.pairs_compared,
            "pairs_linked": len(res.linked),
            "pairs_refused": len(res.refused),
            "timings": {k: round(v, 1) for k, v in res.timings.items()},
        }
    )
    out["peak_rss_mib"] = round(peak_mib())
    out["cpus"] = os.cpu_count()
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print("transship:", json.dumps(out["transship"]))
    folder = ROOT / "benchmarks" / "out"
    folder.mkdir(parents=True, exist_ok=True)
    name = "resolve-smoke.json" if args.smoke else f"resolve-{n}.json"
    (folder / name).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"written benchmarks/out/{name}")


if __name__ == "__main__":
    main()
