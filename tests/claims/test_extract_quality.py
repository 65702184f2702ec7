"""Measured extraction quality against the hand-labelled sets (tests/claims/quality.py).

The floors sit just under the figures of docs/validation.md ("Claims extraction") so a change
that makes extraction worse fails here; the baseline must stay behind on every field.
"""

from __future__ import annotations

from tests.claims.quality import FIELDS, baseline_preds, corpora, score, table, transship_preds

#: set -> field -> (precision floor, recall floor)
FLOORS = {
    "seed report": {
        "quantity": (0.97, 0.97),
        "unit": (0.97, 0.97),
        "period": (0.88, 0.95),
        "source": (0.95, 0.95),
    },
    "press claims": {"quantity": (0.95, 0.95), "unit": (0.95, 0.95), "period": (0.85, 0.80)},
    "regional languages": {
        "quantity": (0.95, 0.95),
        "unit": (0.95, 0.95),
        "period": (0.85, 0.95),
        "source": (0.95, 0.95),
    },
    "held-out": {
        "quantity": (0.95, 0.90),
        "unit": (0.95, 0.90),
        "period": (0.85, 0.75),
        "source": (0.95, 0.75),
    },
    "held-out 2": {
        "quantity": (0.95, 0.95),
        "unit": (0.90, 0.90),
        "period": (0.80, 0.80),
        "source": (0.95, 0.85),
    },
}


def test_extraction_quality_against_labels_and_baseline() -> None:
    rows = []
    for name, (docs, gold) in corpora().items():
        ours = score(docs, gold, transship_preds)
        base = score(docs, gold, baseline_preds)
        rows += [(name, "transship", ours), (name, "baseline", base)]
        for field, (p, r) in FLOORS[name].items():
            assert ours[field].precision >= p and ours[field].recall >= r, (
                name,
                field,
                ours[field],
            )
        for field in ("quantity", "period"):
            assert ours[field].precision > base[field].precision, (name, field)
            assert ours[field].recall >= base[field].recall, (name, field)
    print("\n" + table(rows))
    assert set(FIELDS) >= {"quantity", "unit", "period", "source"}
