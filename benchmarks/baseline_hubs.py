"""The hand-written DuckDB SQL baseline for ``transship hubs`` (benchmarks/flows.py).

Same output as ``transship.flows.hubs.hub_table`` without a product, years or break
(both kinds' indicators and scores, evidence lists, order by the default conduit score),
written as one statement by hand: what transship's hubs are measured against. Keep it in
step with the indicators in transship/flows/hub_indicators.py (docs/methods.md, "Hubs").
i1-i6 are the conduit indicators (excess_exports, pass_through, reexport_share,
co_movement, surge, concentration), i7-i10 the entrepot's own (import_cover,
foreign_origin, mirror_gap, no_output).
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
           sum(value_usd) FILTER (WHERE flow = 'M') AS m,
           bool_or(simulated) AS sim,
           list_sort(list(record_id)) AS evidence
    FROM trade_flows WHERE {_BASE_SCOPE} GROUP BY ALL
),
iso AS (SELECT code, max(iso3) AS iso3 FROM (
        SELECT reporter AS code, max(reporter_iso3) AS iso3 FROM trade_flows GROUP BY 1
        UNION ALL SELECT partner, max(partner_iso3) FROM trade_flows GROUP BY 1) GROUP BY 1),
rm AS (SELECT DISTINCT i AS ri, product AS rp, year AS ry FROM p WHERE m > 0),
o AS (SELECT e AS t, product, year, sum(v) AS out_v, sum(x) AS x_out, bool_or(sim) AS sim_o,
        sum(v * v) / (sum(v) * sum(v)) AS hhi, flatten(list(evidence)) AS out_ids,
        coalesce(sum(x) FILTER (WHERE ri IS NOT NULL AND x > 0), 0) AS mx,
        coalesce(sum(coalesce(m, 0) / 1.05) FILTER (WHERE ri IS NOT NULL AND x > 0), 0) AS mm
      FROM p LEFT JOIN rm ON ri = i AND rp = product AND ry = year
      WHERE v > 0 GROUP BY e, product, year),
n AS (SELECT i AS t, product, year, sum(v) AS in_v, bool_or(sim) AS sim_i,
        flatten(list(evidence)) AS in_ids
      FROM p WHERE v > 0 GROUP BY ALL),
y AS (SELECT year, row_number() OVER (ORDER BY year) AS yi
      FROM (SELECT DISTINCT year FROM p WHERE v > 0)),
b AS (SELECT t, product, year, coalesce(out_v, 0) AS out_v, x_out, hhi, coalesce(in_v, 0) AS in_v,
        coalesce(mx, 0) AS mx, coalesce(mm, 0) AS mm,
        coalesce(sim_o, false) OR coalesce(sim_i, false) AS sim, out_ids, in_ids, yi
      FROM o FULL JOIN n USING (t, product, year) JOIN y USING (year)),
s AS (SELECT *, count(*) OVER w AS nr, min(out_v - in_v) OVER w AS mn,
        sum(in_v) OVER w AS si, sum(out_v) OVER w AS so, sum(in_v * in_v) OVER w AS sii,
        sum(out_v * out_v) OVER w AS soo, sum(in_v * out_v) OVER w AS sio,
        count(*) FILTER (WHERE out_v > 0) OVER w AS n_out,
        count(*) FILTER (WHERE out_v > 0 AND in_v >= out_v) OVER w AS n_cover
      FROM b WINDOW w AS (PARTITION BY t, product ORDER BY year
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
m AS (SELECT *, sii / yi - (si / yi) ^ 2 AS vi, soo / yi - (so / yi) ^ 2 AS vo
      FROM s WHERE out_v > 0),
r AS (SELECT reporter AS t, hs_code AS product, year, sum(value_usd) AS rx_v,
        list_sort(list(record_id)) AS rx_ids
      FROM trade_flows WHERE flow = 'RX' AND NOT partner_is_world AND NOT partner_is_area
        AND reporter <> partner GROUP BY ALL),
rr AS (SELECT DISTINCT t, year FROM r),
ind AS (SELECT m.*, r.rx_v, r.rx_ids,
        least(in_v, greatest(0, out_v - CASE WHEN nr < yi THEN 0 ELSE greatest(0, mn) END))
            / out_v AS i1,
        CASE WHEN in_v > 0 THEN least(in_v, out_v) / greatest(in_v, out_v) ELSE 0 END AS i2,
        CASE WHEN rr.t IS NOT NULL THEN CASE WHEN coalesce(x_out, 0) > 0
            THEN least(1, coalesce(rx_v, 0) / x_out) ELSE 0 END END AS i3,
        CASE WHEN yi >= 3 AND vi > 1e-9 * sii / yi AND vo > 1e-9 * soo / yi
            THEN greatest(0, least(1, (sio / yi - (si / yi) * (so / yi)) / sqrt(vi * vo))) END AS i4,
        CASE WHEN yi >= 2 THEN CASE WHEN in_v > 0
            THEN least(greatest(0, 1 - (so - out_v) / (yi - 1) / out_v),
                       greatest(0, 1 - (si - in_v) / (yi - 1) / in_v)) ELSE 0 END END AS i5,
        hhi AS i6,
        in_v / (in_v + out_v) AS i7,
        CASE WHEN mx > 0 THEN CASE WHEN mx > mm THEN 1 - mm / mx ELSE 0 END END AS i8,
        CASE WHEN mx > 0 THEN 1 - least(mx, mm) / greatest(mx, mm) END AS i9,
        n_cover / n_out AS i10
      FROM m LEFT JOIN r USING (t, product, year) LEFT JOIN rr USING (t, year)),
sc AS (SELECT *,
    (0.2 * i1 + 0.15 * i2 + coalesce(0.2 * i3, 0) + 0.15 * coalesce(i4, 0)
     + 0.25 * coalesce(i5, 0) + 0.05 * i6) / (CASE WHEN i3 IS NULL THEN 0.8 ELSE 1.0 END)
    AS conduit_score,
    (0.4 * i7 + coalesce(0.2 * i8, 0) + coalesce(0.2 * i3, 0) + coalesce(0.1 * i9, 0)
     + 0.1 * i10) / (0.5 + CASE WHEN i8 IS NULL THEN 0 ELSE 0.3 END
                         + CASE WHEN i3 IS NULL THEN 0 ELSE 0.2 END) AS entrepot_score
    FROM ind)
SELECT t, product, year, conduit_score AS score, conduit_score, entrepot_score, iso.iso3,
    i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, in_v, out_v, rx_v, mx, mm, sim,
    out_ids, in_ids, rx_ids
FROM sc LEFT JOIN iso ON iso.code = sc.t ORDER BY score DESC, out_v DESC, t, product, year
"""
