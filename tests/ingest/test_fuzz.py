"""Property-based fuzzing of every reader (issue 10, point 4): hostile bytes get a message.

Random bytes and mutated real files (small samples of the real data and of the fixtures,
cut to a few KiB, then bytes flipped, hostile tokens inserted, lines repeated or cut) go
through ``ingest_file(store, path, format=name)`` for every registered reader, lenient and
strict, and through the sniffer. Whatever the input, the only exceptions allowed out are the
project's named errors (``TransshipError`` and its subclasses: ``SourceFormatError`` ...);
a ``RecursionError``, ``csv.Error``, ``KeyError`` or Arrow error escaping is a bug in the
reader that parses.

The cost is kept small for CI: a few hundred examples in all, no example database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transship.exc import TransshipError
from transship.ingest import ingest_file
from transship.ingest.registry import readers
from transship.store import Store

CUT = 4096  # bytes kept of each real file

#: Real files (read in place, never copied into the repo) and fixtures, by reader. The
#: file name matters to some readers (BACI's edition), so each sample keeps its own.
SAMPLES: dict[str, list[str]] = {
    "comtrade-legacy": ["shared:comtrade-hs2-oil-wood-sample/comtrade_oil_hs27_2013.csv"],
    "comtrade-plus-csv": ["fixtures:comtrade_plus_9306.csv", "fixtures:comtrade_plus_bad.csv"],
    "comtrade-plus-json": [
        "fixtures:comtrade_plus_9306.json",
        "fixtures:comtrade_plus_9306_min.json",
    ],
    "baci": ["fixtures:baci_HS17_Y2022_V202401_sample.csv", "fixtures:baci_bad.csv"],
    "sipri-register": [
        "shared:sipri-trade-register/trade_register_1995_2025.csv",
        "fixtures:sipri_register_classic.csv",
    ],
    "sipri-tiv-wide": [
        "shared:sipri-tiv-360info/raw-tiv-by-exporter/TIV-Export-SER-1950-2021.csv",
        "fixtures:sipri_tiv_imports_ukraine.csv",
    ],
    "sipri-tiv-tidy": ["shared:sipri-tiv-360info/sipri-exports-processed.csv"],
    "coarm-export": ["fixtures:coarm_export.csv"],
    "coarm-broker": ["shared:caat-eu-arms-exports/broker.csv", "fixtures:coarm_broker.csv"],
    "coarm-mission": ["shared:caat-eu-arms-exports/mission.csv"],
    "coarm-consult": ["shared:caat-eu-arms-exports/consult.csv"],
    "ftm": [
        "shared:opensanctions-ftm-fixtures/zala_entities.ftm.jsonl",
        "fixtures:bad_entities.ftm.jsonl",
    ],
    "licences": ["fixtures:licences.csv", "fixtures:licences.json"],
    "shipments": ["fixtures:shipments.csv", "fixtures:shipments.jsonl"],
    "certificates": ["fixtures:certificates.csv", "fixtures:certificates.json"],
    "claims": ["shared:press-claims/claims.jsonl"],
    "documents": [
        "fixtures:../claims/fixtures/sr_latn_municija.md",
        "fixtures:../claims/fixtures/ru_svr.html",
        "fixtures:../claims/fixtures/pdf/export_note.pdf",
    ],
}

#: Tokens that broke readers before (issue 10) or sit at parser edges.
HOSTILE = [
    b"1e400",
    b"-5",
    b"nan",
    b"NaN",
    b"Infinity",
    b"-1e999",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b'"',
    b'""',
    b",",
    b";",
    b"\t",
    b"\r",
    b"\n",
    b"\n\n",
    b"[" * 3000,
    b"{" * 50 + b"}" * 50,
    b'{"a":' * 200,
    b"]",
    b"}",
    b"#",
    b"# SIMULATED\n",
    b"0" * 70_000,
    b"9" * 400,
    b"\xe2\x80",
    b"[u'X', 'issued', [",
    b'"simulated": true',
    b"TOTAL",
]


def _sample_bytes(shared_data: Path, fixtures: Path) -> dict[str, list[tuple[str, bytes]]]:
    out: dict[str, list[tuple[str, bytes]]] = {}
    for name, refs in SAMPLES.items():
        for ref in refs:
            where, rel = ref.split(":", 1)
            path = (shared_data if where == "shared" else fixtures) / rel
            out.setdefault(name, []).append((path.name, path.read_bytes()[:CUT]))
    return out


def test_samples_cover_every_reader() -> None:
    assert set(SAMPLES) == set(readers())


@st.composite
def _mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few random edits: flips, hostile tokens, cuts, repeated lines."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "replace", "cut", "repeat", "drop"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(HOSTILE))
        elif kind == "replace":
            span = draw(st.integers(1, 12))
            data[at : at + span] = draw(st.sampled_from(HOSTILE))
        elif kind == "cut":
            del data[at:]
        elif kind == "repeat":
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i] * draw(st.integers(1, 3)))
            data = bytearray(b"\n".join(lines))
        elif kind == "drop":
            lines = bytes(data).split(b"\n")
            if len(lines) > 1:
                del lines[draw(st.integers(0, len(lines) - 1))]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _check(
    store: Store, folder: Path, name: str, data: bytes, fmt: str | None, strict: bool
) -> None:
    """Ingest ``data`` as file ``name``: only the project's named errors may come out."""
    path = folder / name
    path.write_bytes(data)
    try:
        ingest_file(store, path, format=fmt, strict=strict)
    except TransshipError:
        pass  # a one-line message: what a hostile file should get


FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_mutated_real_files_never_crash(
    fmt: str, shared_data: Path, fixtures: Path, store: Store, tmp_path: Path
) -> None:
    samples = _sample_bytes(shared_data, fixtures)[fmt]

    @FUZZ
    @given(data=st.data(), strict=st.booleans())
    def run(data: st.DataObject, strict: bool) -> None:
        name, seed = data.draw(st.sampled_from(samples))
        mutated = data.draw(_mutated(seed))
        _check(store, tmp_path, name, mutated, fmt, strict)

    run()


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_random_bytes_never_crash(fmt: str, store: Store, tmp_path: Path) -> None:
    name = {"baci": "BACI_HS17_Y2022_V202401.csv", "ftm": "x.ftm.jsonl"}.get(fmt, "x.csv")

    @settings(FUZZ, max_examples=6)
    @given(data=st.binary(max_size=600), strict=st.booleans())
    def run(data: bytes, strict: bool) -> None:
        _check(store, tmp_path, name, data, fmt, strict)

    run()


def test_sniffing_mutated_files_never_crashes(
    shared_data: Path, fixtures: Path, store: Store, tmp_path: Path
) -> None:
    every = [s for group in _sample_bytes(shared_data, fixtures).values() for s in group]
    check: Callable[[str, bytes], None] = lambda name, data: _check(  # noqa: E731 - brief
        store, tmp_path, name, data, None, False
    )

    @settings(FUZZ, max_examples=40)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        name, seed = data.draw(st.sampled_from(every))
        check(name, data.draw(_mutated(seed)))

    run()
