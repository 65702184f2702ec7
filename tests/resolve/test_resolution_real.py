"""Resolution measured on real names: the UN list, raw against OpenSanctions' "treated"
spelling variants (683 persons, two records each; read in place from
../shared/data/opensanctions-ftm-fixtures), beside the exact normalised-name baseline.

Every UN row is taken as its own person (two rows of one person would count as false
merges here), so precision is a floor. Figures in docs/validation.md ("Resolution").
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from transship.resolve.resolution import RECORD_COLUMNS, resolve_records
from transship.store import Store
from transship.store.engine import DuckDBEngine

UN = "opensanctions-ftm-fixtures/un_sanctions_positives_{}.csv"


def _pairs(counts: Counter[Any]) -> int:
    return sum(c * (c - 1) // 2 for c in counts.values())


def pair_scores(truth: list[int], pred: list[str]) -> tuple[float, float]:
    tp = _pairs(Counter(zip(truth, pred, strict=True)))
    return tp / max(1, _pairs(Counter(pred))), tp / max(1, _pairs(Counter(truth)))


def _normalised(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def test_un_names_raw_and_treated_resolve_to_their_person(shared_data: Path, store: Store) -> None:
    truth: list[int] = []
    cols: dict[str, list[Any]] = {c: [] for c in RECORD_COLUMNS}
    for kind in ("untreated", "treated"):
        with (shared_data / UN.format(kind)).open(encoding="utf-8") as fh:
            for i, r in enumerate(csv.DictReader(fh)):
                j = len(truth)
                truth.append(i)
                country = (r["nationality"] or "").split(";")[0].strip().lower() or None
                for c, v in (
                    ("party_id", f"un:{j}"), ("source_table", "entities"),
                    ("record_id", str(j)), ("dataset", f"un-{kind}"), ("role", "listed"),
                    ("schema", "Person"), ("name", r["full_name"]), ("country", country),
                    ("names", []), ("identifiers", []), ("source_sha256", "x"),
                    ("line", i + 2), ("simulated", False),
                ):  # fmt: skip
                    cols[c].append(v)
    assert len(truth) == 2 * 683
    res = resolve_records(pa.table(cols), DuckDBEngine(store), workers=1)
    precision, recall = pair_scores(truth, res.actor_per_record())
    base_p, base_r = pair_scores(truth, [_normalised(n) for n in cols["name"]])
    assert recall >= 0.97 and precision >= 0.98
    assert recall > base_r + 0.15  # the baseline misses a quarter of the pairs
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 > 2 * base_p * base_r / (base_p + base_r)
    # blocking compares a few pairs per record (at most 2 x TOP_K), not all 932,000
    assert res.pairs_compared < 8 * len(truth)


def test_labelled_field_names_and_hard_negatives(store: Store) -> None:
    """The screening's labelled set of this field's names (tests/resolve/labelled.py): every
    spelling of each of its 68 parties as a record with the party's country, and every name
    of its hard negatives ('Sloboda Čačak' / 'Sloboda Trgovina') as a record of its own,
    resolved together: spellings should become one actor, hard negatives stay apart."""
    from tests.resolve.labelled import HARD_NEGATIVES, PARTIES

    rows: list[tuple[int, str, str, str | None]] = []
    for i, (country, schema, names) in enumerate(PARTIES):
        rows.extend((i, schema, n, country) for n in names)
    n_parties = len(rows)
    known = {r[2] for r in rows}
    for a, b, schema, _ in HARD_NEGATIVES:
        for n in (a, b):
            if n not in known:
                known.add(n)
                rows.append((10_000 + len(rows), schema, n, None))
    cols: dict[str, list[Any]] = {c: [] for c in RECORD_COLUMNS}
    for j, (_, schema, name, cty) in enumerate(rows):
        for c, v in (
            ("party_id", f"lab:{j}"), ("source_table", "licences"), ("record_id", str(j)),
            ("dataset", "labelled"), ("role", "party"), ("schema", schema), ("name", name),
            ("country", cty), ("names", []), ("identifiers", []),
            ("source_sha256", "x"), ("line", j + 1), ("simulated", False),
        ):  # fmt: skip
            cols[c].append(v)
    actors = resolve_records(pa.table(cols), DuckDBEngine(store), workers=1).actor_per_record()
    truth = [r[0] for r in rows[:n_parties]]
    precision, recall = pair_scores(truth, actors[:n_parties])
    _, base_recall = pair_scores(truth, [_normalised(r[2]) for r in rows[:n_parties]])
    assert precision >= 0.99 and recall >= 0.78  # translations and acronyms are the misses
    assert base_recall < 0.05  # exact names almost never agree across scripts and forms
    actor = {r[2]: actors[j] for j, r in enumerate(rows)}
    apart = sum(actor[a] != actor[b] for a, b, _, _ in HARD_NEGATIVES)
    assert apart / len(HARD_NEGATIVES) >= 0.88
    assert actor["Sloboda Čačak"] != actor["Sloboda Trgovina"]
    assert actor["Krušik a.d. Valjevo"] == actor["Крушик а.д. Ваљево"] == actor["Krusik"]
