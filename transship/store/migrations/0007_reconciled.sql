-- Reconciled flows derived by transship itself (issue 11, point 1; transship.flows.reconcile,
-- docs/methods.md "Reconciliation").
--
-- `transship reconcile` derives one FOB value per exporter, importer, product and year from the
-- two sides' reports, as CEPII does for BACI. Each derivation is a run in `ingest_runs`
-- (format 'reconcile', dataset 'reconciled', file = the scope it covered, sha256 = a digest of
-- its inputs and method, so record ids are `<sha256[:16]>:<line>` like every other row). The
-- rows keep what makes them traceable: the record ids of both sides' rows behind the value
-- (`evidence`), the weights used, the CIF/FOB margin, the dispersions and the value's own
-- standard deviation on the log scale. A later reconciliation of the same scope (or any later
-- reconciliation giving a value for the same exporter, importer, product and year) supersedes
-- the earlier rows: they MOVE to `reconciled_flows_superseded` with `superseded_by` (the rule
-- of 0005).
--
-- `trade_flows` (and `trade_flows_superseded`) are recreated with the reconciled rows as a
-- third part: flow 'X', reporter = exporter, partner = importer, value_basis 'reconciled', the
-- basis ('both' | 'exporter' | 'importer') in `flag`. Readers that pair reported sides
-- (`chains.scope_sql(reconciled=False)`) leave them out; reconciliation never reads them.

CREATE TABLE reconciled_flows (
    record_id      VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,     -- the row's number within its run (1-based)
    simulated      BOOLEAN NOT NULL DEFAULT false,
    exporter       VARCHAR NOT NULL,    -- store territory codes
    exporter_iso3  VARCHAR,
    importer       VARCHAR NOT NULL,
    importer_iso3  VARCHAR,
    product        VARCHAR NOT NULL,    -- the HS code or prefix reconciled (as hs_code)
    year           INTEGER NOT NULL,
    value_usd      DOUBLE NOT NULL,     -- reconciled FOB value
    x_value        DOUBLE,              -- exporter's report (FOB), NULL when silent
    m_value        DOUBLE,              -- importer's report (CIF), NULL when silent
    m_fob          DOUBLE,              -- m_value / margin
    margin         DOUBLE NOT NULL,     -- CIF/FOB factor used (exp of the chapter's fitted mu)
    w_x            DOUBLE NOT NULL,     -- weight of the exporter's log value (w_x + w_m = 1)
    w_m            DOUBLE NOT NULL,
    basis          VARCHAR NOT NULL,    -- both | exporter | importer
    sigma_x        DOUBLE,              -- exporter's own reporting error (log sd) as used
    sigma_m        DOUBLE,              -- importer's
    log_sd         DOUBLE,              -- standard deviation of ln(value_usd); NULL: nothing fitted
    evidence       VARCHAR[] NOT NULL   -- record ids of both sides' rows
);

CREATE TABLE reconciled_flows_superseded AS
SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM reconciled_flows WITH NO DATA;

-- One row per reconciliation run: the scope as asked, for the revision rule.
CREATE TABLE reconcile_runs (
    run_id         BIGINT NOT NULL,
    product        VARCHAR,             -- NULL = every product
    first_year     INTEGER,             -- NULL = every year
    last_year      INTEGER,
    source_dataset VARCHAR,             -- NULL = every non-reconciled dataset
    scope          VARCHAR NOT NULL,    -- the three above as one key
    pairs          BIGINT NOT NULL,
    pairs_both     BIGINT NOT NULL,
    pairs_exporter BIGINT NOT NULL,
    pairs_importer BIGINT NOT NULL,
    method         VARCHAR NOT NULL,    -- method version (a change re-derives identical inputs)
    inputs_sha256  VARCHAR NOT NULL     -- digest of method, scope and every evidence record id
);

CREATE OR REPLACE VIEW trade_flows AS
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
JOIN baci_codes m ON m.run_id = b.run_id AND m.code = b.j
UNION ALL
SELECT
    r.record_id,
    g.dataset,
    g.sha256 AS source_sha256,
    r.run_id,
    r.line,
    r.simulated,
    r.exporter AS reporter,
    r.exporter_iso3 AS reporter_iso3,
    CAST(NULL AS VARCHAR) AS reporter_m49,
    CAST(NULL AS VARCHAR) AS reporter_orig,
    r.importer AS partner,
    r.importer_iso3 AS partner_iso3,
    CAST(NULL AS VARCHAR) AS partner_m49,
    CAST(NULL AS VARCHAR) AS partner_orig,
    false AS partner_is_world,
    false AS partner_is_area,
    'X' AS flow,
    CAST(NULL AS VARCHAR) AS flow_orig,
    r.year,
    CAST(r.year AS VARCHAR) AS period,
    CAST(NULL AS VARCHAR) AS classification,
    r.product AS hs_code,
    CAST(NULL AS VARCHAR) AS hs_orig,
    r.value_usd,
    CAST(NULL AS VARCHAR) AS value_orig,
    'reconciled' AS value_basis,
    CAST(NULL AS DOUBLE) AS qty,
    CAST(NULL AS VARCHAR) AS qty_unit,
    CAST(NULL AS DOUBLE) AS net_weight_kg,
    r.basis AS flag
FROM reconciled_flows r
JOIN ingest_runs g ON g.run_id = r.run_id;

CREATE OR REPLACE VIEW trade_flows_superseded AS
SELECT * FROM trade_flow_rows_superseded
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
    CAST(NULL AS VARCHAR) AS flag,
    b.superseded_by
FROM baci_rows_superseded b
JOIN baci_files f ON f.run_id = b.run_id
JOIN baci_codes e ON e.run_id = b.run_id AND e.code = b.i
JOIN baci_codes m ON m.run_id = b.run_id AND m.code = b.j
UNION ALL
SELECT
    r.record_id,
    g.dataset,
    g.sha256 AS source_sha256,
    r.run_id,
    r.line,
    r.simulated,
    r.exporter AS reporter,
    r.exporter_iso3 AS reporter_iso3,
    CAST(NULL AS VARCHAR) AS reporter_m49,
    CAST(NULL AS VARCHAR) AS reporter_orig,
    r.importer AS partner,
    r.importer_iso3 AS partner_iso3,
    CAST(NULL AS VARCHAR) AS partner_m49,
    CAST(NULL AS VARCHAR) AS partner_orig,
    false AS partner_is_world,
    false AS partner_is_area,
    'X' AS flow,
    CAST(NULL AS VARCHAR) AS flow_orig,
    r.year,
    CAST(r.year AS VARCHAR) AS period,
    CAST(NULL AS VARCHAR) AS classification,
    r.product AS hs_code,
    CAST(NULL AS VARCHAR) AS hs_orig,
    r.value_usd,
    CAST(NULL AS VARCHAR) AS value_orig,
    'reconciled' AS value_basis,
    CAST(NULL AS DOUBLE) AS qty,
    CAST(NULL AS VARCHAR) AS qty_unit,
    CAST(NULL AS DOUBLE) AS net_weight_kg,
    r.basis AS flag,
    r.superseded_by
FROM reconciled_flows_superseded r
JOIN ingest_runs g ON g.run_id = r.run_id;
