"""A table's Sources cell ("Financial Times, June 22, 2024; SIPRI ..., March 2024") as
credits: :func:`is_sources_header` tells the column by its header, :func:`parse_sources_cell`
reads each source with its date and span (an origin and its relay when one is cited by
another). Credits in running text are :mod:`transship.claims.attribution`'s.
"""

from __future__ import annotations

import re

from transship.claims.dates import find_dates
from transship.claims.model import Attribution

_SOURCE_HEADERS = re.compile(
    r"^(?:sources?|izvori?|извори?|источники|источник|джерела|джерело|източници|źródła|"
    r"źródło|references?|cited)$",
    re.I,
)


def parse_sources_cell(cell: str, offset: int = 0, ref: str | None = None) -> list[Attribution]:
    """A table's Sources cell ("Financial Times, June 22, 2024; SIPRI ..., March 2024") as
    credits, each with its date and span."""
    out: list[Attribution] = []
    pos = 0
    for part in re.split(r";", cell):
        start = pos + (len(part) - len(part.lstrip()))
        pos += len(part) + 1
        item = part.strip().rstrip(".")
        if not item:
            continue
        dates = find_dates(item, ref)
        cut = min([d.start for d in dates] + [len(item)])
        name = item[:cut].strip(" ,")
        if not name:
            continue
        relay = re.search(r"\s+(?:cited\s+by|via|per)\s+", name)
        date = dates[0].first if dates else None
        if relay:
            origin, relay_name = name[: relay.start()], name[relay.end() :]
            o_end = start + len(origin)
            r_start = start + relay.end()
            out.append(
                Attribution(origin.strip(), date, (offset + start, offset + o_end), "origin")
            )
            out.append(
                Attribution(
                    relay_name.strip(),
                    date,
                    (offset + r_start, offset + r_start + len(relay_name)),
                    "relay",
                )
            )
            continue
        # "Archive of Public Gatherings, Radio Free Europe/Radio Liberty, March 15, 2025"
        bits = [b.strip() for b in name.split(",") if b.strip()]
        if len(bits) == 2 and all(b[0].isupper() for b in bits):
            first_end = start + name.index(bits[1]) - 2
            out.append(Attribution(bits[0], date, (offset + start, offset + first_end), "origin"))
            s2 = start + name.index(bits[1])
            out.append(
                Attribution(bits[1], date, (offset + s2, offset + s2 + len(bits[1])), "relay")
            )
            continue
        out.append(Attribution(name, date, (offset + start, offset + start + len(name))))
    return out


def is_sources_header(cell: str) -> bool:
    return bool(_SOURCE_HEADERS.match(cell.strip().strip("*_ ")))
