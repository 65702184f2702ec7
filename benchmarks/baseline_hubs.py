"""The hand-written DuckDB SQL baseline for ``transship hubs`` (benchmarks/flows.py).

Same output as ``transship.flows.hubs`` (columns, indicators, weights, evidence lists, order),
written as one statement by hand: what transship's hubs are measured against.
"""

from __future__ import annotations


def baseline_hubs(scope: str) -> str:
    """The statement, over the rows ``scope`` (a WHERE condition) admits."""
    _BASE_SCOPE = scope
    return f"""
WITH p AS (
    SELECT CASE WHEN flow = 'X' THEN reporter ELSE partner END AS e,
           CASE WHEN flow = 'X' THEN partner ELSE reporter END AS i,
           hs_code AS product, year,
           coalesce(sum(value_usd) FILTER (WHERE flow = 'X'),
                    sum(value_usd) FILTER (WHERE flow = 'M') / 1.05) AS v,
           sum(value_usd) FILTER (WHERE flow = 'X') AS x,
           bool_or(simulated) AS sim,
           list_sort(list(record_id)) AS evidence
    FROM trade_flows WHERE {_BASE_SCOPE} GROUP BY ALL
),
iso AS (SELECT code, max(iso3) AS iso3 FROM (
        SELECT reporter AS code, max(reporter_iso3) AS iso3 FROM trade_flows GROUP BY 1
        UNION ALL SELECT partner, max(partner_iso3) FROM trade_flows GROUP BY 1) GROUP BY 1),
o AS (SELECT e AS t, product, year, sum(v) AS out_v, sum(x) AS x_out, bool_or(sim) AS sim,
        sum(v * v) / (sum(v) * sum(v)) AS hhi, flatten(list(evidence)) AS out_ids
      FROM p WHERE v > 0 GROUP BY ALL),
n AS (SELECT i AS t, product, year, sum(v) AS in_v, flatten(list(evidence)) AS in_ids
      FROM p WHERE v > 0 GROUP BY ALL),
r AS (SELECT reporter AS t, hs_code AS product, year, sum(value_usd) AS rx_v,
        list_sort(list(record_id)) AS rx_ids
      FROM trade_flows WHERE flow = 'RX' AND NOT partner_is_world AND NOT partner_is_area
        AND reporter <> partner GROUP BY ALL),
rr AS (SELECT DISTINCT t, year FROM r),
b AS (SELECT o.*, n.in_v, n.in_ids, r.rx_v, r.rx_ids, rr.t IS NOT NULL AS rxrep
      FROM o LEFT JOIN n USING (t, product, year) LEFT JOIN r USING (t, product, year)
      LEFT JOIN rr USING (t, year)),
s AS (SELECT *, count(*) OVER w AS ny, min(out_v - coalesce(in_v, 0)) OVER w AS min_net,
        corr(in_v, out_v) OVER w AS co, count(in_v) OVER w AS nco,
        avg(out_v) OVER (w ORDER BY year ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior
      FROM b WINDOW w AS (PARTITION BY t, product)),
ind AS (SELECT *,
        CASE WHEN ny >= 2 THEN greatest(0, out_v - coalesce(in_v, 0) - greatest(0, min_net)) / out_v END AS i1,
        CASE WHEN coalesce(in_v, 0) > 0 THEN least(in_v, out_v) / greatest(in_v, out_v) ELSE 0 END AS i2,
        CASE WHEN rxrep THEN CASE WHEN coalesce(x_out, 0) > 0 THEN least(1, coalesce(rx_v, 0) / x_out) ELSE 0 END END AS i3,
        CASE WHEN nco >= 3 AND co BETWEEN -1 AND 1 THEN greatest(0, co) END AS i4,
        CASE WHEN prior IS NOT NULL AND prior >= 0 THEN greatest(0, 1 - prior / out_v) END AS i5,
        hhi AS i6 FROM s)
SELECT t, product, year,
    (coalesce(0.25 * i1, 0) + coalesce(0.2 * i2, 0) + coalesce(0.2 * i3, 0) + coalesce(0.15 * i4, 0)
     + coalesce(0.1 * i5, 0) + coalesce(0.1 * i6, 0))
    / (CASE WHEN i1 IS NULL THEN 0 ELSE 0.25 END + 0.2 + CASE WHEN i3 IS NULL THEN 0 ELSE 0.2 END
       + CASE WHEN i4 IS NULL THEN 0 ELSE 0.15 END + CASE WHEN i5 IS NULL THEN 0 ELSE 0.1 END + 0.1)
    AS score, iso.iso3, i1, i2, i3, i4, i5, i6, in_v, out_v, rx_v, sim, out_ids, in_ids, rx_ids
FROM ind LEFT JOIN iso ON iso.code = ind.t ORDER BY score DESC, out_v DESC, t, product, year
"""
