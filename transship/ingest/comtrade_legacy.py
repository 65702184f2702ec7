"""UN Comtrade legacy bulk/API CSV (``Classification,Year,Period,...,Trade Value (US$),Flag``).

Flow codes 1/2/3/4 become M/X/RX/RM; see ``ingest.comtrade`` for what the Comtrade readers
share and how values, quantities and World rows are stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from transship.ingest.base import (
    ReadContext,
    Reader,
    Reject,
    Rows,
    require_columns,
)
from transship.ingest.comtrade import (
    COMTRADE_KEY,
    LEGACY_FLOWS,
    ComtradeCaches,
    ComtradeFields,
    comtrade_rows,
    not_blank,
    present_fields,
)
from transship.ingest.csvstream import csv_head, header_fields, stream_csv
from transship.ingest.tabular import TABLE, csv_raw

LEGACY = ComtradeFields(
    reporter="Reporter Code",
    partner="Partner Code",
    flow="Trade Flow Code",
    hs="Commodity Code",
    value="Trade Value (US$)",
    year="Year",
    period="Period",
    classification="Classification",
    qty="Qty",
    qty_unit="Qty Unit Code",
    qty_abbr=None,
    net_weight="Netweight (kg)",
    flag="Flag",
)
LEGACY_REQUIRED = [
    "Year",
    "Trade Flow Code",
    "Reporter Code",
    "Partner Code",
    "Commodity Code",
    "Trade Value (US$)",
]
LEGACY_OPTIONAL = ["Classification", "Period", "Qty Unit Code", "Qty", "Netweight (kg)", "Flag"]


class ComtradeLegacyReader(Reader):
    """UN Comtrade legacy bulk/API CSV (``Classification,Year,...,Trade Value (US$),Flag``)."""

    name: ClassVar[str] = "comtrade-legacy"
    dataset: ClassVar[str] = "comtrade"
    description: ClassVar[str] = (
        "UN Comtrade legacy CSV (Trade Flow Code 1-4, Reporter/Partner Code, Trade Value (US$))"
    )
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {TABLE: COMTRADE_KEY}
    attribution: ClassVar[str | None] = "Source: UN Comtrade, United Nations Statistics Division"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        fields = set(header_fields(head))
        need = {"Trade Flow Code", "Reporter Code", "Partner Code", "Commodity Code"}
        if need <= fields:
            return 95 if "Trade Value (US$)" in fields else 60
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        head = csv_head(ctx.path, ctx.head())
        ctx.simulated = ctx.simulated or head.simulated
        require_columns(ctx.path, head.header, LEGACY_REQUIRED, line=head.header_line)
        columns = [c for c in head.header if c in LEGACY_REQUIRED + LEGACY_OPTIONAL]
        names = present_fields(LEGACY, head.header)
        caches = ComtradeCaches()
        for part in stream_csv(ctx, head, columns):
            batch = part.batch
            if not batch.num_rows:
                yield from part.rejects
                continue
            raw = csv_raw(batch, head.delimiter)
            keep = not_blank(batch)
            yield from comtrade_rows(
                batch, part.lines, names, LEGACY_FLOWS, caches, raw, keep, None, part.rejects
            )
