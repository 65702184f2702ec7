"""model/ records match the store schema column for column."""

from __future__ import annotations

from transship.model import RECORDS, TradeFlow


def test_records_match_store_columns(store) -> None:  # type: ignore[no-untyped-def]
    for table, cls in RECORDS.items():
        assert cls.field_names() == store.columns(table), table


def test_record_from_row_ignores_unknown_keys() -> None:
    r = TradeFlow.from_row({"reporter": "rs", "flow": "X", "not_a_field": 1})
    assert r.reporter == "rs" and r.to_dict()["flow"] == "X"
