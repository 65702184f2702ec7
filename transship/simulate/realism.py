"""Does simulated trade look like real trade? The same mirror statistics on both.

For every (year, product, exporter, importer) where both countries report that product in
that year: is the flow seen by both sides or by one only; for flows both see, the log of the
importer's value over the exporter's (the log mirror ratio: CIF/FOB margin plus both sides'
errors); and how many rows have no quantity. ``real_stats`` reads the legacy Comtrade bulk
CSVs of ../shared/data/comtrade-hs2-oil-wood-sample; ``simulated_stats`` reads the
Comtrade+ CSVs a simulation wrote. docs/simulation.md compares the two; tests/simulate/
test_realism.py keeps them within the bands justified there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from transship.exc import NotFound
from transship.store import Store, connect

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MirrorStats:
    flows: int  # exporter x importer x product x year with at least one side reporting
    one_sided_share: float
    log_ratio_median: float
    log_ratio_q25: float
    log_ratio_q75: float
    log_ratio_p10: float
    log_ratio_p90: float
    zero_qty_share: float  # share of bilateral rows with no (or zero) quantity

    @property
    def log_ratio_iqr(self) -> float:
        return self.log_ratio_q75 - self.log_ratio_q25

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["log_ratio_iqr"] = self.log_ratio_iqr
        return d


_STATS_SQL = """
WITH x AS (SELECT y, k, r AS i, p AS j, sum(v) AS v FROM rows_ WHERE f = 'X' GROUP BY ALL),
     m AS (SELECT y, k, p AS i, r AS j, sum(v) AS v FROM rows_ WHERE f = 'M' GROUP BY ALL),
     rep AS (SELECT DISTINCT y, k, r FROM rows_),
     pairs AS (
        SELECT coalesce(x.y, m.y) AS y, coalesce(x.k, m.k) AS k, coalesce(x.i, m.i) AS i,
               coalesce(x.j, m.j) AS j, x.v AS xv, m.v AS mv
        FROM x FULL JOIN m ON x.y = m.y AND x.k = m.k AND x.i = m.i AND x.j = m.j),
     both_report AS (
        SELECT p.* FROM pairs p
        JOIN rep a ON a.y = p.y AND a.k = p.k AND a.r = p.i
        JOIN rep b ON b.y = p.y AND b.k = p.k AND b.r = p.j)
SELECT count(*) AS flows,
       avg(CASE WHEN xv IS NULL OR mv IS NULL THEN 1 ELSE 0 END) AS one_sided,
       quantile_cont(CASE WHEN xv > 0 AND mv > 0 THEN ln(mv / xv) END,
                     [0.1, 0.25, 0.5, 0.75, 0.9]) AS q
FROM both_report
"""

#: Where a pair is reported by both sides in at least four years, each year with a gap over
#: twenty times (|ln(M / X)| > 3) set against each side's own median over the pair's years:
#: the side that moved is the side that erred (docs/simulation.md, "Which side moved").
_SIDE_SQL = (
    _STATS_SQL.split("SELECT count(*) AS flows")[0]
    + """, b AS (SELECT * FROM both_report WHERE xv > 0 AND mv > 0),
     med AS (SELECT k, i, j, median(ln(xv)) AS mx, median(ln(mv)) AS mm FROM b
             GROUP BY ALL HAVING count(*) >= 4),
     big AS (SELECT CASE WHEN ln(mv / xv) > 0 THEN ln(xv) - mx ELSE ln(mv) - mm END AS lo,
                    CASE WHEN ln(mv / xv) > 0 THEN ln(mv) - mm ELSE ln(xv) - mx END AS hi
             FROM b JOIN med USING (k, i, j) WHERE abs(ln(mv / xv)) > 3)
SELECT count(*) AS n, median(lo) AS low_median, avg(lo) AS low_mean,
       median(hi) AS high_median, avg(hi) AS high_mean FROM big
"""
)


@dataclass(frozen=True, slots=True)
class SideMoved:
    """Wide mirror gaps: how far each side sits from its own usual level (log)."""

    pair_years: int
    low_median: float
    low_mean: float
    high_median: float
    high_mean: float


def _side_moved(store: Store, _zero_qty_sql: str) -> SideMoved:
    row = store.query(_SIDE_SQL).to_pylist()[0]
    return SideMoved(
        pair_years=int(row["n"]),
        low_median=float(row["low_median"]),
        low_mean=float(row["low_mean"]),
        high_median=float(row["high_median"]),
        high_mean=float(row["high_mean"]),
    )


def _stats(store: Store, zero_qty_sql: str) -> MirrorStats:
    row = store.query(_STATS_SQL).to_pylist()[0]
    zero = store.query(zero_qty_sql).to_pylist()[0]["z"]
    q = row["q"]
    return MirrorStats(
        flows=int(row["flows"]),
        one_sided_share=float(row["one_sided"]),
        log_ratio_median=float(q[2]),
        log_ratio_q25=float(q[1]),
        log_ratio_q75=float(q[3]),
        log_ratio_p10=float(q[0]),
        log_ratio_p90=float(q[4]),
        zero_qty_share=float(zero),
    )


def _memory() -> Store:
    store = connect(":memory:")
    store.execute("SET enable_progress_bar = false")
    return store


def _glob(folder: Path, pattern: str) -> list[str]:
    files = sorted(str(p) for p in folder.glob(pattern))
    if not files:
        raise NotFound(f"no {pattern} files in {folder}")
    return files


def _sql_list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def real_stats(folder: str | Path) -> MirrorStats:
    """Mirror statistics of legacy Comtrade bulk CSVs (imports M=1, exports X=2; partner 0 and
    the non-country areas left out, as they are never one side of a bilateral flow)."""
    return _real(folder, _stats)


def real_side_moved(folder: str | Path) -> SideMoved:
    """Which side of a wide real mirror gap moved (:data:`_SIDE_SQL`)."""
    return _real(folder, _side_moved)


def simulated_side_moved(sim_dir: str | Path) -> SideMoved:
    """Which side of a wide simulated mirror gap moved (:data:`_SIDE_SQL`)."""
    return _simulated(sim_dir, _side_moved)


def _real(folder: str | Path, measure: Callable[[Store, str], T]) -> T:
    """``measure`` over the rows of legacy Comtrade bulk CSVs (view ``rows_``)."""
    files = _sql_list(_glob(Path(folder), "*.csv"))
    with _memory() as store:
        store.execute(
            f"""CREATE TEMP VIEW raw_ AS SELECT * FROM read_csv({files}, header = true,
                all_varchar = true, union_by_name = true)"""
        )
        store.execute(
            """CREATE TEMP VIEW rows_ AS SELECT "Year" AS y, "Commodity Code" AS k,
                   "Reporter Code" AS r,
                   "Partner Code" AS p, CASE "Trade Flow Code" WHEN '1' THEN 'M' ELSE 'X' END AS f,
                   try_cast("Trade Value (US$)" AS DOUBLE) AS v, try_cast("Qty" AS DOUBLE) AS qty
               FROM raw_ WHERE "Trade Flow Code" IN ('1', '2')
                 AND "Partner Code" NOT IN
                     ('0', '490', '568', '636', '637', '837', '838', '839', '899')"""
        )
        return measure(
            store, "SELECT avg(CASE WHEN coalesce(qty, 0) = 0 THEN 1 ELSE 0 END) AS z FROM rows_"
        )


def simulated_stats(sim_dir: str | Path) -> MirrorStats:
    """Mirror statistics of a simulation's Comtrade+ CSVs (X and M; RX counted as X)."""
    return _simulated(sim_dir, _stats)


def _simulated(sim_dir: str | Path, measure: Callable[[Store, str], T]) -> T:
    """``measure`` over the rows of a simulation's Comtrade+ CSVs (view ``rows_``)."""
    files = _sql_list(_glob(Path(sim_dir) / "data" / "comtrade", "*.csv"))
    with _memory() as store:
        store.execute(
            f"""CREATE TEMP VIEW raw_ AS SELECT * FROM read_csv({files}, header = true, skip = 1,
                all_varchar = true, union_by_name = true)"""
        )
        store.execute(
            """CREATE TEMP VIEW rows_ AS SELECT "refYear" AS y, "cmdCode" AS k, "reporterCode" AS r,
                   "partnerCode" AS p, CASE WHEN "flowCode" = 'M' THEN 'M' ELSE 'X' END AS f,
                   try_cast("primaryValue" AS DOUBLE) AS v, try_cast("qty" AS DOUBLE) AS qty
               FROM raw_ WHERE "flowCode" IN ('X', 'M', 'RX') AND "partnerCode" <> '899'"""
        )
        return measure(
            store, "SELECT avg(CASE WHEN coalesce(qty, 0) = 0 THEN 1 ELSE 0 END) AS z FROM rows_"
        )
