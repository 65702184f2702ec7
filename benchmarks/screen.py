"""Screening speed and blocking recall at scale (issue 13, point 4).

Generates (seeded) a list of 1,000,000 entries from the name distributions of the real
fixtures in ../shared/data/opensanctions-ftm-fixtures (UN, OFAC, EU and Zala names: their
tokens, recombined and respelled into a large vocabulary) and the labelled set of
tests/resolve/labelled.py, and 10,000 query names (half of them altered copies of list
entries: typos, word order, legal forms, Cyrillic, diacritics, dropped tokens; half new
names). Then, in one run:

* **transship**: warm-up (rigour's name data, once per process), analysis and index build,
  then screening of the 10,000 queries on 2 worker processes (names/s, peak memory);
* **recall of the blocking** against all-pairs scoring with the same matcher, on a
  subsample of queries: the reference compares each sampled query with every list entry
  that could reach the threshold at all (every entry holding a token within the edit
  budget of a query token, or a whole name within three edits: what a pair needs to score,
  see transship/resolve/compare.py), found with rapidfuzz over the whole list; recall is
  given over all such pairs and over the first 10 per query (a screening returns at most
  ``limit`` results per query: yente's default is 5);
* **baseline**: all-pairs rapidfuzz ``process.cdist`` (token_sort_ratio) of the same
  subsample against the whole list on 2 workers (names/s).

``--smoke`` runs the same at 20,000 entries and 1,000 queries (CI: ``make bench-smoke``)
and checks only that it runs and that recall is reported; the full run prints the targets
(recall >= 0.98, >= 10,000 names/s) as met or not. Results go to
benchmarks/out/screen.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURES = "opensanctions-ftm-fixtures"
THRESHOLD = 0.7
#: Results a screening returns per query (yente's limit; its default is 5, its maximum 500).
LIMIT = 10

_CYR = {
    "shch": "щ",
    "sh": "ш",
    "zh": "ж",
    "kh": "х",
    "ch": "ч",
    "ts": "ц",
    "yu": "ю",
    "ya": "я",
    "a": "а",
    "b": "б",
    "v": "в",
    "g": "г",
    "d": "д",
    "e": "е",
    "z": "з",
    "i": "и",
    "y": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "f": "ф",
    "h": "х",
    "c": "ц",
    "j": "ј",
    "w": "в",
    "x": "кс",
    "q": "к",
}
_CYR_KEYS = sorted(_CYR, key=len, reverse=True)
_DIACRITICS = {"s": "š", "c": "č", "z": "ž", "e": "é", "a": "á", "o": "ö", "u": "ü", "i": "í"}
LEGAL = [
    "d.o.o.",
    "a.d.",
    "AD",
    "EOOD",
    "OOO",
    "AO",
    "JSC",
    "LLC",
    "s.r.o.",
    "a.s.",
    "Sp. z o.o.",
    "S.A.",
    "GmbH",
    "Ltd",
    "OAO",
    "PAO",
    "EAD",
    "J.P.",
]
GENERIC = [
    "Trading",
    "Group",
    "Holding",
    "Zavod",
    "Plant",
    "Industries",
    "Konzern",
    "Export",
    "Import",
    "Trgovina",
    "Promet",
    "Systems",
    "Technologies",
    "Logistics",
]


def to_cyrillic(text: str) -> str:
    out = []
    i = 0
    low = text.lower()
    while i < len(low):
        for k in _CYR_KEYS:
            if low.startswith(k, i):
                out.append(_CYR[k])
                i += len(k)
                break
        else:
            out.append(low[i])
            i += 1
    return "".join(out).title()


def fixture_tokens(shared: Path) -> tuple[list[str], list[str], list[str]]:
    """(person tokens, organisation tokens, surnames) from the fixtures and labelled set."""
    from tests.resolve.labelled import HARD_NEGATIVES, PARTIES

    folder = shared / "data" / FIXTURES
    persons: list[str] = []
    families: list[str] = []
    orgs: list[str] = []
    with (folder / "un_sanctions_positives_untreated.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            toks = [t for t in r["full_name"].replace(",", " ").split() if t.isalpha()]
            persons.extend(toks[:-1])
            families.extend(toks[-1:])
    with (folder / "ofac_name_matching_fixtures.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            for col in ("query_name", "result_name"):
                toks = [t for t in r[col].replace(",", " ").split() if t.isalpha()]
                (orgs if len(toks) > 3 else persons).extend(toks)
    for name in ("zala_entities.ftm.jsonl", "eu_fsf_t1_entities.ftm.jsonl"):
        with (folder / name).open(encoding="utf-8") as fh:
            for line in fh:
                e = json.loads(line)
                if e.get("schema") not in ("Person", "Company", "Organization", "LegalEntity"):
                    continue
                target = persons if e["schema"] == "Person" else orgs
                for n in e.get("properties", {}).get("name", []):
                    target.extend(t for t in n.replace('"', " ").split() if t.isalpha())
    for _, schema, names in PARTIES:
        for n in names:
            toks = [t for t in n.replace(",", " ").split() if t.isalpha()]
            (persons if schema == "Person" else orgs).extend(toks)
    for a, b, schema, _ in HARD_NEGATIVES:
        for n in (a, b):
            toks = [t for t in n.replace(",", " ").split() if t.isalpha()]
            (persons if schema == "Person" else orgs).extend(toks)
    return persons, orgs, families


def vocabulary(tokens: list[str], rng: random.Random, size: int) -> list[str]:
    """``size`` name tokens: the fixtures' own tokens, and new ones spliced from their halves
    (``Krusik`` + ``Zakharov`` -> ``Kruharov``), so the list's vocabulary is as large as a
    real list's, not a few thousand repeated words."""
    base = sorted({t.capitalize() for t in tokens if len(t) > 2 and t.isascii()})
    out = list(base)
    seen = set(out)
    while len(out) < size:
        a, b = rng.choice(base), rng.choice(base)
        cut_a = rng.randint(2, max(2, len(a) - 1))
        cut_b = rng.randint(1, max(1, len(b) - 2))
        t = (a[:cut_a] + b[cut_b:]).capitalize()
        if 3 <= len(t) <= 14 and t not in seen:
            seen.add(t)
            out.append(t)
    return out


def zipf_pick(rng: random.Random, words: list[str], s: float = 1.0) -> str:
    """A word by a skewed rank: ``s`` = 1 gives the most common word about 6 % of picks
    (given names: Mohammad, Aleksandr), ``s`` = 0.3 well under 0.1 % (family names).
    Firms' distinctive words are drawn uniformly: a real list has a few entries called
    Kalashnikov, not hundreds."""
    n = len(words)
    u = rng.random()
    rank = int(n ** (u**s)) - 1
    return words[max(0, min(n - 1, rank))]


_VOCAB: dict[tuple[int, int], tuple[list[str], list[str], list[str]]] = {}


def vocabularies(n: int, seed: int, shared: Path) -> tuple[list[str], list[str], list[str]]:
    """Given names, family names and firm-name words for a list of ``n`` entries (cached)."""
    key = (n, seed)
    if key not in _VOCAB:
        rng = random.Random(seed)
        persons, orgs, families = fixture_tokens(shared)
        given = vocabulary(persons, rng, max(2_000, n // 25))
        family = vocabulary(families + persons, rng, max(5_000, n // 6))
        org = vocabulary(orgs, rng, max(5_000, n // 8))
        for words in (given, family, org):
            rng.shuffle(words)
        _VOCAB[key] = (given, family, org)
    return _VOCAB[key]


def make_list(n: int, seed: int, shared: Path, vocab_n: int | None = None) -> list[tuple[str, str]]:
    """(schema, name) for ``n`` list entries."""
    given, family, org = vocabularies(vocab_n or n, seed, shared)
    rng = random.Random(seed + n)
    out: list[tuple[str, str]] = []
    for _ in range(n):
        if rng.random() < 0.6:
            parts = [zipf_pick(rng, given)]
            if rng.random() < 0.4:
                parts.append(zipf_pick(rng, given))
            parts.append(zipf_pick(rng, family, 0.3))
            name = " ".join(parts)
            if rng.random() < 0.3:
                fam = parts[-1].upper()
                name = f"{fam}, {' '.join(parts[:-1])}"
            if rng.random() < 0.1:
                name = to_cyrillic(name)
            out.append(("Person", name))
        else:
            parts = [rng.choice(org) for _ in range(rng.choice((1, 2, 2, 2, 3)))]
            if rng.random() < 0.4:
                parts.append(rng.choice(GENERIC))
            name = " ".join(parts)
            if rng.random() < 0.1:
                name = to_cyrillic(name)
            r = rng.random()
            if r < 0.5:
                name = f"{name} {rng.choice(LEGAL)}"
            elif r < 0.7:
                name = f"{rng.choice(LEGAL)} {name}"
            out.append(("Company", name))
    return out


def alter(name: str, rng: random.Random) -> str:
    """One realistic change to a name."""
    toks = name.replace(",", "").split()
    kind = rng.randrange(7)
    if kind == 0 and len(toks) > 1:
        rng.shuffle(toks)
    elif kind == 1:
        i = rng.randrange(len(toks))
        t = toks[i]
        if len(t) > 4:
            j = rng.randrange(1, len(t) - 1)
            op = rng.randrange(3)
            if op == 0:
                t = t[:j] + t[j + 1 :]
            elif op == 1:
                t = t[:j] + t[j] + t[j:]
            else:
                t = t[: j - 1] + t[j] + t[j - 1] + t[j + 1 :]
        toks[i] = t
    elif kind == 2 and all(t.isascii() for t in toks):
        return to_cyrillic(" ".join(toks))
    elif kind == 3:
        return " ".join("".join(_DIACRITICS.get(c, c) for c in t) for t in toks)
    elif kind == 4:
        toks = [t for t in toks if t not in LEGAL] + [rng.choice(LEGAL)]
    elif kind == 5:
        return " ".join(toks).upper()
    elif kind == 6 and len(toks) > 2:
        toks.pop(rng.randrange(len(toks)))
    return " ".join(toks)


def make_queries(
    entries: list[tuple[str, str]], n: int, seed: int, shared: Path
) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    fresh = make_list(n, seed + 2, shared, vocab_n=len(entries))
    out: list[tuple[str, str]] = []
    for i in range(n):
        if i % 2 == 0:
            schema, name = entries[rng.randrange(len(entries))]
            out.append((schema, alter(name, rng)))
        else:
            out.append(fresh[i])
    return out


def peak_mib() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return me / 1024


def reference(
    screener: Any,
    queries: list[Any],
    sample: list[int],
    skeleton_names: list[str],
    budget_s: float = float("inf"),
) -> dict[int, set[int]]:
    """All-pairs matches (score >= THRESHOLD) of the sampled queries: every entry that could
    reach the threshold is scored (see the module docstring for why that is all of them).

    Stops taking new queries after ``budget_s`` seconds (the sample is in random order, so
    the queries done are a random subsample); the result says how many were done."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from transship.resolve.compare import edit_budget
    from transship.resolve.match import party_names, score_pair

    vocab: dict[str, list[int]] = {}
    for row, forms in enumerate(screener.names):
        for f in forms:
            for s in f.skeletons:
                vocab.setdefault(s, []).append(row)
    words = list(vocab)
    out: dict[int, set[int]] = {}
    start = time.perf_counter()
    for n, qi in enumerate(sample):
        if time.perf_counter() - start > budget_s:
            print(f"reference: time budget spent after {n} of {len(sample)} queries", flush=True)
            break
        if n % 25 == 0:
            print(f"reference: {n}/{len(sample)} {time.perf_counter() - start:.0f} s", flush=True)
        q = queries[qi]
        qn = party_names(q)
        rows: set[int] = set()
        for f in qn:
            for s in set(f.skeletons):
                # a token pair needs d <= edit_budget(longer length) (transposition: one
                # edit, i.e. two for Levenshtein); the longer token is at most 3 longer
                cutoff = min(4, edit_budget(len(s) + 3) + 1)
                for _, _, k in process.extract(
                    s, words, scorer=Levenshtein.distance, score_cutoff=cutoff, limit=None
                ):
                    rows.update(vocab[words[k]])
            joined = " ".join(f.skeletons)
            for _, _, k in process.extract(
                joined,
                skeleton_names,
                scorer=Levenshtein.distance,
                score_cutoff=3,
                limit=None,
                processor=None,
            ):
                rows.add(k)
        hits = set()
        for r in rows:
            if score_pair(q, screener.parties[r], qn, screener.names[r]).score >= THRESHOLD:
                hits.add(r)
        out[qi] = hits
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20,000 entries, 1,000 queries")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--queries", type=int, default=None)
    parser.add_argument("--sample", type=int, default=None, help="queries in the recall check")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--speed-only", action="store_true", help="skip the recall reference and the baseline"
    )
    parser.add_argument(
        "--reference-budget",
        type=float,
        default=float("inf"),
        help="seconds for the all-pairs reference (a random subsample of the sample is done)",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "screen.json")
    args = parser.parse_args()
    n_entries = args.entries or (20_000 if args.smoke else 1_000_000)
    n_queries = args.queries or (1_000 if args.smoke else 10_000)
    n_sample = args.sample or (100 if args.smoke else 300)
    result: dict[str, Any] = {"entries": n_entries, "queries": n_queries, "seed": args.seed}

    t0 = time.perf_counter()
    from transship.resolve.screen import warm_up

    result["warm_up_s"] = round(warm_up() + (time.perf_counter() - t0), 2)
    print(f"warm-up (imports and rigour's name data): {result['warm_up_s']} s", flush=True)

    t = time.perf_counter()
    entries = make_list(n_entries, args.seed, args.shared)
    query_names = make_queries(entries, n_queries, args.seed, args.shared)
    result["generate_s"] = round(time.perf_counter() - t, 1)
    print(
        f"generated {n_entries} entries, {n_queries} queries in {result['generate_s']} s",
        flush=True,
    )

    from transship.resolve.parties import party_from_properties, query_party
    from transship.resolve.screen import Screener

    t = time.perf_counter()
    parties = [
        party_from_properties(f"e{i}", schema, {"name": [name]})
        for i, (schema, name) in enumerate(entries)
    ]
    screener = Screener(parties, exhaustive=False)
    result["index_s"] = round(time.perf_counter() - t, 1)
    result["index_keys"] = len(screener.index.vocab) if screener.index else 0
    print(
        f"analysed and indexed the list in {result['index_s']} s ({result['index_keys']} keys); peak {peak_mib():.0f} MiB",
        flush=True,
    )

    queries = [query_party(f"q{i}", name, schema) for i, (schema, name) in enumerate(query_names)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_self = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    # what `transship screen --file ... --workers N` runs (with every result at or above
    # the threshold: the recall below counts them all)
    results = screener.screen(queries, workers=args.workers, min_score=THRESHOLD)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    # the workers' CPU and the parent's (which forks them and reads their results back)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu += (after_self.ru_utime - before_self.ru_utime) + (
        after_self.ru_stime - before_self.ru_stime
    )
    # The machine is shared: wall time depends on what else runs. CPU seconds of the
    # workers say what the screening itself costs; 2 idle cores would do 2 CPU-seconds
    # a second.
    result["screen_cpu_s"] = round(cpu, 2)
    result["screen_worker_cpu_s"] = round(
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
    )
    # system time and minor page faults of the workers: mostly copy-on-write copies of the
    # parent's pages (reference counts written on list objects the workers read)
    result["screen_sys_s"] = round(after.ru_stime - before.ru_stime, 2)
    result["screen_page_faults"] = after.ru_minflt - before.ru_minflt
    result["names_per_cpu_s"] = round(n_queries / cpu) if cpu else None
    result["load_average"] = round(os.getloadavg()[0], 1)
    result["screen_s"] = round(wall, 2)
    result["names_per_s"] = round(n_queries / wall)
    scores = [[(s.index, s.result.score) for s in r.results] for r in results]
    result["queries_with_match"] = sum(1 for s in scores if s)
    result["peak_mib"] = round(peak_mib())
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["peak_worker_mib"] = round(children)
    print(
        f"transship: {n_queries} names in {wall:.2f} s = {result['names_per_s']} names/s "
        f"on {args.workers} workers (load average {result['load_average']}); "
        f"{cpu:.1f} CPU-s (workers {result['screen_worker_cpu_s']}, of it "
        f"{result['screen_sys_s']} system, "
        f"{result['screen_page_faults']} page faults) = "
        f"{result['names_per_cpu_s']} names per CPU-second; "
        f"{result['queries_with_match']} with a match; peak {result['peak_mib']} MiB "
        f"(workers {result['peak_worker_mib']} MiB)",
        flush=True,
    )

    if args.speed_only:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
        print(json.dumps(result))
        return

    # -- recall of the blocking against all-pairs scoring, on a sample ----------------------
    rng = random.Random(args.seed + 3)
    sample = rng.sample(range(n_queries), n_sample)
    skeleton_names = [" ".join(f.skeletons) for forms in screener.names for f in forms[:1]]
    t = time.perf_counter()
    ref = reference(screener, queries, sample, skeleton_names, args.reference_budget)
    result["reference_s"] = round(time.perf_counter() - t, 1)
    sample = [qi for qi in sample if qi in ref]
    n_sample = len(sample)
    found = total = found_at = total_at = 0
    for qi in sample:
        got = {r for r, _ in scores[qi]}
        hits = len(ref[qi] & got)
        total += len(ref[qi])
        found += hits
        total_at += min(LIMIT, len(ref[qi]))
        found_at += min(LIMIT, hits)
    result["sample"] = n_sample
    result["reference_matches"] = total
    result["blocked_found"] = found
    result["recall"] = round(found / total, 4) if total else None
    result[f"recall_at_{LIMIT}"] = round(found_at / total_at, 4) if total_at else None
    print(
        f"recall of blocking vs all-pairs scoring on {n_sample} queries: {found}/{total} = {result['recall']} of all pairs; {found_at}/{total_at} = {result[f'recall_at_{LIMIT}']} of the first {LIMIT} per query (reference took {result['reference_s']} s)",
        flush=True,
    )

    # -- baseline: all-pairs rapidfuzz cdist on the sample -------------------------------------
    from rapidfuzz import fuzz, process, utils

    names = [name for _, name in entries]
    sub = [query_names[i][1] for i in sample]
    import numpy as np

    t = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    m = process.cdist(
        sub,
        names,
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        workers=args.workers,
        score_cutoff=80,
        dtype=np.uint8,
    )
    cd = time.perf_counter() - t
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    cd_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    result["cdist_cpu_s"] = round(cd_cpu, 2)
    result["cdist_names_per_cpu_s"] = round(n_sample / cd_cpu, 2) if cd_cpu else None
    result["cdist_s"] = round(cd, 2)
    result["cdist_names_per_s"] = round(n_sample / cd, 1)
    result["cdist_pairs_at_80"] = int((m >= 80).sum())
    del m
    print(
        f"baseline rapidfuzz cdist token_sort_ratio, all pairs: {n_sample} names x "
        f"{n_entries} in {cd:.1f} s = {result['cdist_names_per_s']} names/s; {cd_cpu:.1f} "
        f"CPU-s = {result['cdist_names_per_cpu_s']} names per CPU-second",
        flush=True,
    )
    result["speedup_vs_cdist"] = round(result["names_per_s"] / result["cdist_names_per_s"], 1)
    if result["names_per_cpu_s"] and result["cdist_names_per_cpu_s"]:
        result["cpu_speedup_vs_cdist"] = round(
            result["names_per_cpu_s"] / result["cdist_names_per_cpu_s"], 1
        )
    result["peak_mib_end"] = round(peak_mib())
    if not args.smoke:
        # the target is 10,000 names/s on 2 cores: on a shared machine the workers' CPU
        # seconds say what 2 idle cores would do (2 CPU-seconds a second), wall time what
        # this machine did
        ok_speed = result["names_per_s"] >= 10_000
        ok_cpu = 2 * (result["names_per_cpu_s"] or 0) >= 10_000
        ok_recall = (result["recall"] or 0) >= 0.98
        print(
            f"targets: >= 10,000 names/s {'met' if ok_speed else 'NOT met'} (wall), "
            f"{'met' if ok_cpu else 'NOT met'} (2 x names per CPU-second); "
            f"recall of all-pairs matches >= 0.98 {'met' if ok_recall else 'NOT met'}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
