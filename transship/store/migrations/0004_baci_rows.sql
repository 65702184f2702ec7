-- BACI rows stored as the source wrote them, normalised by the `trade_flows` view.
--
-- Why (docs/store.md, docs/performance.md): a BACI release is ~10 million rows a year of six
-- numbers. Stored as 28-column `trade_flows` rows (three codes per party, provenance, the
-- source's own text) it cost five times DuckDB's own CSV load; stored as its own typed columns
-- it costs about what that load costs. Nothing is lost: the original values *are* the stored
-- columns (`i`, `j`, `k`, `v`, `q` in BACI's codes and units), the codes were resolved and
-- checked by the reader once per distinct value (`baci_codes`, with the line that first used
-- each code), and record ids are the same `<sha256[:16]>:<line>` as every other row.
--
-- `trade_flows` is now a view: the wide rows every other reader writes (`trade_flow_rows`;
-- `Store.append("trade_flows", ...)` writes there) UNION ALL the BACI rows put into the same
-- columns. Everything that reads `trade_flows` reads both.

ALTER TABLE trade_flows RENAME TO trade_flow_rows;

-- One row per BACI CSV row that passed the reader's checks: BACI's own columns, typed.
CREATE TABLE baci_rows (
    run_id  INTEGER NOT NULL,
    line    BIGINT NOT NULL,
    t       SMALLINT NOT NULL,   -- year
    i       INTEGER NOT NULL,    -- exporter, BACI country code
    j       INTEGER NOT NULL,    -- importer, BACI country code
    k       INTEGER NOT NULL,    -- HS6 product, as BACI writes it (a number: 10121 is 010121)
    v       DOUBLE,              -- value, thousands of USD
    q       DOUBLE               -- quantity, metric tonnes
);

-- One row per BACI file (run): what holds for all its rows.
CREATE TABLE baci_files (
    run_id          INTEGER NOT NULL,
    dataset         VARCHAR NOT NULL,
    source_sha256   VARCHAR NOT NULL,
    simulated       BOOLEAN NOT NULL DEFAULT false,
    classification  VARCHAR,             -- HS edition from the file name (HS17 -> H5), or NULL
    line            BIGINT NOT NULL      -- the header line
);

-- Each BACI country code a file used, resolved once by the reader (the shipped table, then the
-- release's own country_codes_*.csv beside the file); `line` is the first line that used it.
CREATE TABLE baci_codes (
    run_id      INTEGER NOT NULL,
    code        INTEGER NOT NULL,
    territory   VARCHAR NOT NULL,
    iso3        VARCHAR,
    m49         VARCHAR,
    is_world    BOOLEAN NOT NULL DEFAULT false,
    is_area     BOOLEAN NOT NULL DEFAULT false,
    line        BIGINT NOT NULL
);

CREATE VIEW trade_flows AS
SELECT * FROM trade_flow_rows
UNION ALL
SELECT
    substr(f.source_sha256, 1, 16) || ':' || CAST(b.line AS VARCHAR) AS record_id,
    f.dataset,
    f.source_sha256,
    CAST(b.run_id AS BIGINT) AS run_id,
    b.line,
    f.simulated,
    e.territory AS reporter,
    e.iso3 AS reporter_iso3,
    e.m49 AS reporter_m49,
    CAST(b.i AS VARCHAR) AS reporter_orig,
    m.territory AS partner,
    m.iso3 AS partner_iso3,
    m.m49 AS partner_m49,
    CAST(b.j AS VARCHAR) AS partner_orig,
    m.is_world AS partner_is_world,
    m.is_area AS partner_is_area,
    'X' AS flow,
    CAST(NULL AS VARCHAR) AS flow_orig,
    CAST(b.t AS INTEGER) AS year,
    CAST(b.t AS VARCHAR) AS period,
    f.classification,
    lpad(CAST(b.k AS VARCHAR), 6, '0') AS hs_code,
    CAST(b.k AS VARCHAR) AS hs_orig,
    b.v * 1000.0 AS value_usd,
    CAST(b.v AS VARCHAR) AS value_orig,
    'reconciled' AS value_basis,
    b.q AS qty,
    CASE WHEN b.q IS NOT NULL THEN 't' END AS qty_unit,
    b.q * 1000.0 AS net_weight_kg,
    CAST(NULL AS VARCHAR) AS flag
FROM baci_rows b
JOIN baci_files f ON f.run_id = b.run_id
JOIN baci_codes e ON e.run_id = b.run_id AND e.code = b.i
JOIN baci_codes m ON m.run_id = b.run_id AND m.code = b.j;
