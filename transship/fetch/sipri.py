"""`transship fetch sipri`: what to do by hand, because SIPRI offers no program download.

SIPRI's Arms Transfers Database (https://www.sipri.org/databases/armstransfers) is queried
through its web front end (https://armstransfers.sipri.org): the trade register and the TIV
tables are generated per request in a browser. SIPRI documents no API or bulk file for
programs, and its terms ask for attribution ("Source: SIPRI Arms Transfers Database"), so
transship does not scrape the front end's private calls; it prints the steps and the file
name ``transship ingest`` reads (decision in docs/sources.md, "Getting the data").
"""

from __future__ import annotations

from transship.fetch.http import FetchError

SOURCE = "sipri"
LICENCE = "Source: SIPRI Arms Transfers Database (attribution required with any use)."


def manual_steps(supplier: str | None, recipient: str | None, years: str | None) -> list[str]:
    span = years or "the years you need (e.g. 2019-2024)"
    return [
        "open https://armstransfers.sipri.org/ and choose 'Trade registers'",
        f"supplier: {supplier or 'the supplier(s), e.g. Serbia'}; recipient: {recipient or 'all, or the recipient(s)'}; years: {span}",
        "choose the CSV output and download it (a file like trade-register.csv, with SIPRI's "
        "preamble lines and 'Data generated: <date>')",
        "run: transship ingest trade-register.csv   (read by the `sipri-register` reader)",
        f"credit it wherever it is shown: {LICENCE}",
    ]


def fetch(
    supplier: str | None = None, recipient: str | None = None, years: str | None = None
) -> None:
    """Always a FetchError carrying the manual steps (exit 1: nothing was fetched)."""
    steps = "; ".join(
        f"{i}) {s}" for i, s in enumerate(manual_steps(supplier, recipient, years), 1)
    )
    raise FetchError(
        SOURCE, "SIPRI offers no download a program may use", f"get the file by hand: {steps}"
    )


__all__ = ["LICENCE", "fetch", "manual_steps"]
