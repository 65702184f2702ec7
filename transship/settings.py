"""Every setting transship reads, in one place. Read from the environment once, on import.

``docs/settings.md`` lists the same table; a test checks they agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def value(self) -> str:
        return os.environ.get(self.name, self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting("TRANSSHIP_DB", "./transship.duckdb", "Path of the DuckDB store file (`--db` wins)."),
    Setting("TRANSSHIP_DUCKDB_MEMORY", "8GB", "DuckDB `memory_limit` for the store connection."),
    Setting(
        "TRANSSHIP_DUCKDB_THREADS", "2", "DuckDB `threads` (the project machines have 2 cores)."
    ),
    Setting(
        "TRANSSHIP_DUCKDB_BACKGROUND_FREE",
        "false",
        "DuckDB `allocator_background_threads`: `true` returns freed memory to the system "
        "on a background thread (mirror at 50M rows: peak 13.6 GiB instead of 15.9).",
    ),
    Setting(
        "TRANSSHIP_LOCK_WAIT",
        "15",
        "Seconds a command waits while another process (an ingest) holds the store before it "
        "fails naming that process (docs/store.md, Process model).",
    ),
    Setting(
        "TRANSSHIP_BATCH_ROWS", "262144", "Rows per batch when streaming a file into the store."
    ),
    Setting(
        "TRANSSHIP_MAX_REJECT_SHARE",
        "0.5",
        "Share of a file's rows (0 to 1) that may be rejected; above it the file fails and "
        "nothing of it is stored (`ingest --max-reject-share` wins; 1 turns the rule off).",
    ),
    Setting("TRANSSHIP_SHARED", "", "Folder holding shared real data (`../shared` when empty)."),
    Setting("TRANSSHIP_SPARK_MASTER", "local[2]", "Spark master URL for `--engine spark`."),
    Setting(
        "TRANSSHIP_MAX_UNPACK_RATIO",
        "100",
        "A `.gz` file or zip member may unpack to this many times its packed size (at least "
        "64 MiB); past that the read stops (a zip bomb). Real CSVs pack 4-20x.",
    ),
    Setting(
        "TRANSSHIP_MAX_UNPACK_BYTES",
        "68719476736",
        "Most bytes one `.gz` file or zip member may unpack to, whatever its ratio (64 GiB).",
    ),
    Setting(
        "TRANSSHIP_MAX_FIELD_BYTES",
        "2097152",
        "Longest CSV field (own formats, SIPRI, COARM) or CSV line (BACI, Comtrade: at least "
        "2 MiB, two of Arrow's parse blocks) a reader accepts; a longer one is a reject (line, "
        "column, reason). At least 65536.",
    ),
    Setting(
        "TRANSSHIP_MAX_JSON_DEPTH",
        "64",
        "Deepest nesting of arrays and objects a JSON record may have (real records need 4); "
        "a deeper record is a reject. At most 500.",
    ),
    Setting(
        "TRANSSHIP_API_TOKEN",
        "",
        "Bearer token that `transship serve` asks of every write (`POST /api/ingest`); empty: "
        "the server starts read-only and refuses writes with 403.",
    ),
    Setting(
        "TRANSSHIP_UPLOAD_MAX_BYTES",
        "2147483648",
        "Largest request body `POST /api/ingest` accepts (2 GiB); a larger upload is refused "
        "with 413 as soon as it passes the limit, and nothing of it is kept.",
    ),
    Setting(
        "TRANSSHIP_UPLOAD_DIR",
        "",
        "Folder where `transship serve` keeps uploaded files (the provenance path of their "
        "rows); empty: `<store>.uploads` beside the store file.",
    ),
    Setting(
        "TRANSSHIP_SQL_TIMEOUT",
        "10",
        "Seconds a `GET /api/sql` query may run before it is interrupted (422 query_timeout).",
    ),
    Setting(
        "TRANSSHIP_SQL_MAX_ROWS",
        "10000",
        "Most rows `GET /api/sql` returns; a longer result is cut and says so (`truncated`).",
    ),
    Setting(
        "TRANSSHIP_SERVE_READERS",
        "4",
        "Connections `transship serve` answers reads on (one request each at a time); more "
        "requests wait for one to be free.",
    ),
    Setting(
        "TRANSSHIP_WEAPON_SYSTEMS",
        "",
        "A CSV of weapon systems and operators added to the shipped `weapon_systems.csv` by "
        "the certificate checks and `transship assess` (`--systems` wins).",
    ),
    Setting(
        "TRANSSHIP_SOURCES",
        "",
        "Source registry CSVs (`:`-separated) that add to or replace, by `id`, rows of the "
        "shipped `sources.csv` for `transship claims` (`--sources` files come after them).",
    ),
    Setting(
        "TRANSSHIP_FETCH_DIR",
        "./fetched",
        "Folder `transship fetch` writes raw downloads and their manifest to (`--out` wins).",
    ),
    Setting(
        "TRANSSHIP_COMTRADE_KEY",
        "",
        "UN Comtrade subscription key (`--key` wins); without one, `fetch comtrade` uses the "
        "public preview (500 rows per call).",
    ),
    Setting(
        "TRANSSHIP_COMTRADE_URL",
        "https://comtradeapi.un.org",
        "Base URL of the UN Comtrade API (tests point it at a local fake server).",
    ),
    Setting(
        "TRANSSHIP_COMTRADE_CALLS_PER_MINUTE",
        "30",
        "Most calls per minute `fetch comtrade` makes (the API answers 429 above its limit).",
    ),
    Setting(
        "TRANSSHIP_BACI_URL",
        "https://www.cepii.fr/DATA_DOWNLOAD/baci/data",
        "Folder URL of CEPII's BACI releases (`BACI_<HS>_V<release>.zip`).",
    ),
    Setting(
        "TRANSSHIP_OPENSANCTIONS_URL",
        "https://data.opensanctions.org/datasets/latest",
        "Base URL of OpenSanctions' published datasets (`<dataset>/index.json`).",
    ),
    Setting(
        "TRANSSHIP_FETCH_RETRIES",
        "4",
        "Times `transship fetch` retries a call that failed on the network, a 429 or a 5xx.",
    ),
    Setting(
        "TRANSSHIP_FETCH_BACKOFF",
        "2",
        "Seconds before the first retry; each retry waits twice as long (a server's "
        "Retry-After wins).",
    ),
    Setting(
        "TRANSSHIP_FETCH_TIMEOUT",
        "120",
        "Seconds `transship fetch` waits for a server to answer or send more bytes.",
    ),
    Setting(
        "TRANSSHIP_SCREEN_WORKERS",
        "2",
        "Processes `transship screen` scores a batch of more than 500 names on (forked, "
        "POSIX only; `--workers` wins); 1 scores in the command's own process.",
    ),
    Setting(
        "TRANSSHIP_SERVE_CACHE",
        "256",
        "Analysis results (routes, hubs, mirror, territory pages) `transship serve` keeps in "
        "memory per query, beside up to 256 MiB of finished responses; an ingest through the "
        "server empties both; 0 keeps nothing.",
    ),
)


def get(name: str) -> str:
    for setting in SETTINGS:
        if setting.name == name:
            return setting.value
    raise KeyError(name)


def db_path() -> Path:
    return Path(get("TRANSSHIP_DB"))


def batch_rows() -> int:
    return int(get("TRANSSHIP_BATCH_ROWS"))


def max_unpack_ratio() -> int:
    """``TRANSSHIP_MAX_UNPACK_RATIO``, at least 1."""
    return max(1, int(get("TRANSSHIP_MAX_UNPACK_RATIO")))


def max_unpack_bytes() -> int:
    """``TRANSSHIP_MAX_UNPACK_BYTES``, at least 1 MiB."""
    return max(1 << 20, int(get("TRANSSHIP_MAX_UNPACK_BYTES")))


def max_field_bytes() -> int:
    """``TRANSSHIP_MAX_FIELD_BYTES``, never below 64 KiB: a sniffer reads 64 KiB heads."""
    return max(int(get("TRANSSHIP_MAX_FIELD_BYTES")), 65_536)


def max_json_depth() -> int:
    """``TRANSSHIP_MAX_JSON_DEPTH`` within 2..500: Python's own decoder recurses once per
    level and stops near 1,000, so a larger bound could not be honoured."""
    return min(max(int(get("TRANSSHIP_MAX_JSON_DEPTH")), 2), 500)


def lock_wait() -> float:
    """Seconds to wait for a store another process holds (0: fail at once)."""
    return max(0.0, float(get("TRANSSHIP_LOCK_WAIT")))


def api_token() -> str | None:
    """``TRANSSHIP_API_TOKEN``, or None when unset or blank (a read-only server)."""
    token = get("TRANSSHIP_API_TOKEN").strip()
    return token or None


def upload_max_bytes() -> int:
    """``TRANSSHIP_UPLOAD_MAX_BYTES``, at least 1 KiB."""
    return max(1024, int(get("TRANSSHIP_UPLOAD_MAX_BYTES")))


def sql_timeout() -> float:
    """``TRANSSHIP_SQL_TIMEOUT`` in seconds, at least 0.1."""
    return max(0.1, float(get("TRANSSHIP_SQL_TIMEOUT")))


def sql_max_rows() -> int:
    """``TRANSSHIP_SQL_MAX_ROWS``, at least 1."""
    return max(1, int(get("TRANSSHIP_SQL_MAX_ROWS")))


def serve_readers() -> int:
    """``TRANSSHIP_SERVE_READERS`` within 1..64."""
    return min(64, max(1, int(get("TRANSSHIP_SERVE_READERS"))))


def serve_cache() -> int:
    """``TRANSSHIP_SERVE_CACHE``, at least 0 (0 turns the cache off)."""
    return max(0, int(get("TRANSSHIP_SERVE_CACHE")))


def fetch_dir() -> Path:
    return Path(get("TRANSSHIP_FETCH_DIR"))


def comtrade_key() -> str | None:
    """``TRANSSHIP_COMTRADE_KEY``, or None when unset or blank (the public preview)."""
    return get("TRANSSHIP_COMTRADE_KEY").strip() or None


def fetch_retries() -> int:
    return max(0, int(get("TRANSSHIP_FETCH_RETRIES")))


def fetch_backoff() -> float:
    return max(0.0, float(get("TRANSSHIP_FETCH_BACKOFF")))


def fetch_timeout() -> float:
    return max(0.1, float(get("TRANSSHIP_FETCH_TIMEOUT")))


def comtrade_calls_per_minute() -> float:
    return max(0.1, float(get("TRANSSHIP_COMTRADE_CALLS_PER_MINUTE")))


def screen_workers() -> int:
    """``TRANSSHIP_SCREEN_WORKERS``, at least 1."""
    return max(1, int(get("TRANSSHIP_SCREEN_WORKERS")))
