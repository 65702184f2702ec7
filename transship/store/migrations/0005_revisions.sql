-- Revised releases (docs/store.md, "Revisions").
--
-- A later file of the same dataset supersedes the rows it covers (same natural key, declared
-- by each reader: `Reader.natural_key` / `Reader.revision_unit`). The superseded rows are not
-- lost and not copied into a ten-times-larger statements table: they MOVE, unchanged, from the
-- fact table to `<table>_superseded` (same columns plus `superseded_by`, the run that replaced
-- them), so the fact tables show the latest value and `statements_all` still lists every
-- version with its file (source_sha256, run_id) and line: `superseded_statements` unpivots the
-- `*_superseded` tables exactly as the `<table>_statements` views of 0003 unpivot the fact
-- tables (origin `<table>_superseded`). A BACI row moves narrow (`baci_rows_superseded`); its
-- file and code tables stay, so `trade_flows_superseded` puts it into trade_flows' columns.
--
-- `ingest_runs` says which run superseded which: `supersedes` (the earlier runs whose rows this
-- run replaced), `rows_superseded` (how many), `as_new` (loaded with `--as-new`: nothing
-- superseded, a dataset of its own).
-- Generated once by a short script from 0003 (the unpivots must stay identical); edit together.

ALTER TABLE ingest_runs ADD COLUMN supersedes BIGINT[];
ALTER TABLE ingest_runs ADD COLUMN rows_superseded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN as_new BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE trade_flow_rows_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM trade_flow_rows WITH NO DATA;
CREATE TABLE baci_rows_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM baci_rows WITH NO DATA;
CREATE TABLE arms_transfers_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM arms_transfers WITH NO DATA;
CREATE TABLE arms_tiv_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM arms_tiv WITH NO DATA;
CREATE TABLE licences_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM licences WITH NO DATA;
CREATE TABLE licence_stats_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM licence_stats WITH NO DATA;
CREATE TABLE shipments_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM shipments WITH NO DATA;
CREATE TABLE certificates_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM certificates WITH NO DATA;
CREATE TABLE entities_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM entities WITH NO DATA;
CREATE TABLE documents_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM documents WITH NO DATA;
CREATE TABLE claims_superseded AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM claims WITH NO DATA;

CREATE VIEW trade_flows_superseded AS
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
JOIN baci_codes m ON m.run_id = b.run_id AND m.code = b.j;

CREATE VIEW trade_flows_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'TradeFlow' AS schema, value, dataset, NULL AS lang,
       CAST(CASE prop WHEN 'reporter' THEN reporter_orig WHEN 'partner' THEN partner_orig WHEN 'flow' THEN flow_orig WHEN 'hs_code' THEN hs_orig WHEN 'value_usd' THEN value_orig ELSE NULL END AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'trade_flows_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, flow_orig, hs_orig, partner_orig, reporter_orig, value_orig, CAST("reporter" AS VARCHAR) AS "reporter", CAST("partner" AS VARCHAR) AS "partner", CAST("flow" AS VARCHAR) AS "flow", CAST("year" AS VARCHAR) AS "year", CAST("period" AS VARCHAR) AS "period", CAST("classification" AS VARCHAR) AS "classification", CAST("hs_code" AS VARCHAR) AS "hs_code", CAST("value_usd" AS VARCHAR) AS "value_usd", CAST("value_basis" AS VARCHAR) AS "value_basis", CAST("qty" AS VARCHAR) AS "qty", CAST("qty_unit" AS VARCHAR) AS "qty_unit", CAST("net_weight_kg" AS VARCHAR) AS "net_weight_kg" FROM trade_flows_superseded)
      ON "reporter", "partner", "flow", "year", "period", "classification", "hs_code", "value_usd", "value_basis", "qty", "qty_unit", "net_weight_kg" INTO NAME prop VALUE value);

CREATE VIEW arms_transfers_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'ArmsTransfer' AS schema, value, dataset, NULL AS lang,
       CAST(CASE prop WHEN 'supplier' THEN supplier_orig WHEN 'recipient' THEN recipient_orig ELSE NULL END AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'arms_transfers_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, recipient_orig, supplier_orig, CAST("supplier" AS VARCHAR) AS "supplier", CAST("recipient" AS VARCHAR) AS "recipient", CAST("deal_id" AS VARCHAR) AS "deal_id", CAST("designation" AS VARCHAR) AS "designation", CAST("description" AS VARCHAR) AS "description", CAST("category" AS VARCHAR) AS "category", CAST("order_year" AS VARCHAR) AS "order_year", CAST("number_ordered" AS VARCHAR) AS "number_ordered", CAST("number_delivered" AS VARCHAR) AS "number_delivered", CAST("delivery_year" AS VARCHAR) AS "delivery_year", CAST("delivery_years" AS VARCHAR) AS "delivery_years", CAST("status" AS VARCHAR) AS "status", CAST("tiv_unit" AS VARCHAR) AS "tiv_unit", CAST("tiv_deal_unit" AS VARCHAR) AS "tiv_deal_unit", CAST("tiv_order" AS VARCHAR) AS "tiv_order", CAST("tiv_delivered" AS VARCHAR) AS "tiv_delivered" FROM arms_transfers_superseded)
      ON "supplier", "recipient", "deal_id", "designation", "description", "category", "order_year", "number_ordered", "number_delivered", "delivery_year", "delivery_years", "status", "tiv_unit", "tiv_deal_unit", "tiv_order", "tiv_delivered" INTO NAME prop VALUE value);

CREATE VIEW arms_tiv_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'ArmsTIV' AS schema, value, dataset, NULL AS lang,
       CAST(CASE prop WHEN 'supplier' THEN supplier_orig WHEN 'recipient' THEN recipient_orig WHEN 'tiv' THEN tiv_orig ELSE NULL END AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'arms_tiv_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, recipient_orig, supplier_orig, tiv_orig, CAST("supplier" AS VARCHAR) AS "supplier", CAST("recipient" AS VARCHAR) AS "recipient", CAST("year" AS VARCHAR) AS "year", CAST("tiv" AS VARCHAR) AS "tiv" FROM arms_tiv_superseded)
      ON "supplier", "recipient", "year", "tiv" INTO NAME prop VALUE value);

CREATE VIEW licences_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'Licence' AS schema, value, dataset, NULL AS lang,
       CAST(CASE prop WHEN 'destination' THEN destination_orig WHEN 'ml_category' THEN ml_orig ELSE NULL END AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'licences_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, destination_orig, ml_orig, CAST("licence_id" AS VARCHAR) AS "licence_id", CAST("authority_country" AS VARCHAR) AS "authority_country", CAST("licence_type" AS VARCHAR) AS "licence_type", CAST("status" AS VARCHAR) AS "status", CAST("exporter" AS VARCHAR) AS "exporter", CAST("consignee" AS VARCHAR) AS "consignee", CAST("end_user" AS VARCHAR) AS "end_user", CAST("destination" AS VARCHAR) AS "destination", CAST("ml_category" AS VARCHAR) AS "ml_category", CAST("hs_code" AS VARCHAR) AS "hs_code", CAST("goods_description" AS VARCHAR) AS "goods_description", CAST("quantity" AS VARCHAR) AS "quantity", CAST("unit" AS VARCHAR) AS "unit", CAST("value" AS VARCHAR) AS "value", CAST("currency" AS VARCHAR) AS "currency", CAST("issued_date" AS VARCHAR) AS "issued_date", CAST("valid_until" AS VARCHAR) AS "valid_until", CAST("certificate_id" AS VARCHAR) AS "certificate_id" FROM licences_superseded)
      ON "licence_id", "authority_country", "licence_type", "status", "exporter", "consignee", "end_user", "destination", "ml_category", "hs_code", "goods_description", "quantity", "unit", "value", "currency", "issued_date", "valid_until", "certificate_id" INTO NAME prop VALUE value);

CREATE VIEW licence_stats_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'LicenceStatistic' AS schema, value, dataset, NULL AS lang,
       CAST(CASE prop WHEN 'source_country' THEN source_orig WHEN 'destination' THEN destination_orig WHEN 'origin_country' THEN origin_orig WHEN 'ml_category' THEN ml_orig WHEN 'value' THEN value_orig ELSE NULL END AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'licence_stats_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, destination_orig, ml_orig, origin_orig, source_orig, value_orig, CAST("kind" AS VARCHAR) AS "kind", CAST("year" AS VARCHAR) AS "year", CAST("source_country" AS VARCHAR) AS "source_country", CAST("destination" AS VARCHAR) AS "destination", CAST("origin_country" AS VARCHAR) AS "origin_country", CAST("ml_category" AS VARCHAR) AS "ml_category", CAST("status" AS VARCHAR) AS "status", CAST("measure" AS VARCHAR) AS "measure", CAST("value" AS VARCHAR) AS "value", CAST("currency" AS VARCHAR) AS "currency", CAST("quantity_text" AS VARCHAR) AS "quantity_text", CAST("mission" AS VARCHAR) AS "mission", CAST("description" AS VARCHAR) AS "description" FROM licence_stats_superseded)
      ON "kind", "year", "source_country", "destination", "origin_country", "ml_category", "status", "measure", "value", "currency", "quantity_text", "mission", "description" INTO NAME prop VALUE value);

CREATE VIEW shipments_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'EconomicActivity' AS schema, value, dataset, NULL AS lang,
       CAST(CASE prop WHEN 'hs_code' THEN hs_orig ELSE NULL END AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'shipments_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, hs_orig, CAST("shipment_id" AS VARCHAR) AS "shipment_id", CAST("ccd_number" AS VARCHAR) AS "ccd_number", CAST("direction" AS VARCHAR) AS "direction", CAST("date" AS VARCHAR) AS "date", CAST("sender" AS VARCHAR) AS "sender", CAST("receiver" AS VARCHAR) AS "receiver", CAST("origin_country" AS VARCHAR) AS "origin_country", CAST("departure_country" AS VARCHAR) AS "departure_country", CAST("destination_country" AS VARCHAR) AS "destination_country", CAST("hs_code" AS VARCHAR) AS "hs_code", CAST("goods_description" AS VARCHAR) AS "goods_description", CAST("quantity" AS VARCHAR) AS "quantity", CAST("unit" AS VARCHAR) AS "unit", CAST("value" AS VARCHAR) AS "value", CAST("currency" AS VARCHAR) AS "currency", CAST("licence_id" AS VARCHAR) AS "licence_id", CAST("certificate_id" AS VARCHAR) AS "certificate_id" FROM shipments_superseded)
      ON "shipment_id", "ccd_number", "direction", "date", "sender", "receiver", "origin_country", "departure_country", "destination_country", "hs_code", "goods_description", "quantity", "unit", "value", "currency", "licence_id", "certificate_id" INTO NAME prop VALUE value);

CREATE VIEW certificates_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'EndUseCertificate' AS schema, value, dataset, NULL AS lang,
       CAST(NULL AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'certificates_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, CAST("certificate_id" AS VARCHAR) AS "certificate_id", CAST("exporter" AS VARCHAR) AS "exporter", CAST("consignee" AS VARCHAR) AS "consignee", CAST("end_user" AS VARCHAR) AS "end_user", CAST("end_user_country" AS VARCHAR) AS "end_user_country", CAST("final_destination" AS VARCHAR) AS "final_destination", CAST("goods_description" AS VARCHAR) AS "goods_description", CAST("hs_code" AS VARCHAR) AS "hs_code", CAST("calibre" AS VARCHAR) AS "calibre", CAST("quantity" AS VARCHAR) AS "quantity", CAST("end_use" AS VARCHAR) AS "end_use", CAST("non_reexport_clause" AS VARCHAR) AS "non_reexport_clause", CAST("issuing_authority" AS VARCHAR) AS "issuing_authority", CAST("signatory" AS VARCHAR) AS "signatory", CAST("issue_date" AS VARCHAR) AS "issue_date", CAST("valid_until" AS VARCHAR) AS "valid_until" FROM certificates_superseded)
      ON "certificate_id", "exporter", "consignee", "end_user", "end_user_country", "final_destination", "goods_description", "hs_code", "calibre", "quantity", "end_use", "non_reexport_clause", "issuing_authority", "signatory", "issue_date", "valid_until" INTO NAME prop VALUE value);

CREATE VIEW claims_superseded_statements AS
SELECT record_id || '.' || prop AS id, record_id AS entity_id, record_id AS canonical_id, prop,
       'text' AS prop_type, 'Claim' AS schema, value, dataset, NULL AS lang,
       CAST(NULL AS VARCHAR) AS original_value, NULL::TIMESTAMP AS first_seen, NULL::TIMESTAMP AS last_seen,
       false AS external, 'claims_superseded' AS origin, source_sha256, line, run_id, simulated
FROM (UNPIVOT (SELECT record_id, dataset, source_sha256, line, run_id, simulated, CAST("claim_id" AS VARCHAR) AS "claim_id", CAST("text" AS VARCHAR) AS "text", CAST("quantity" AS VARCHAR) AS "quantity", CAST("unit" AS VARCHAR) AS "unit", CAST("period" AS VARCHAR) AS "period", CAST("origin" AS VARCHAR) AS "origin", CAST("destination" AS VARCHAR) AS "destination", CAST("attributed_to" AS VARCHAR) AS "attributed_to" FROM claims_superseded)
      ON "claim_id", "text", "quantity", "unit", "period", "origin", "destination", "attributed_to" INTO NAME prop VALUE value);

CREATE VIEW superseded_statements AS
SELECT * FROM trade_flows_superseded_statements
UNION ALL
SELECT * FROM arms_transfers_superseded_statements
UNION ALL
SELECT * FROM arms_tiv_superseded_statements
UNION ALL
SELECT * FROM licences_superseded_statements
UNION ALL
SELECT * FROM licence_stats_superseded_statements
UNION ALL
SELECT * FROM shipments_superseded_statements
UNION ALL
SELECT * FROM certificates_superseded_statements
UNION ALL
SELECT * FROM claims_superseded_statements;

CREATE OR REPLACE VIEW statements_all AS
SELECT id, entity_id, canonical_id, prop, prop_type, schema, value, dataset, lang, original_value, first_seen, last_seen, external, origin, source_sha256, line, run_id, simulated FROM statements
UNION ALL
SELECT * FROM trade_flows_statements
UNION ALL
SELECT * FROM arms_transfers_statements
UNION ALL
SELECT * FROM arms_tiv_statements
UNION ALL
SELECT * FROM licences_statements
UNION ALL
SELECT * FROM licence_stats_statements
UNION ALL
SELECT * FROM shipments_statements
UNION ALL
SELECT * FROM certificates_statements
UNION ALL
SELECT * FROM claims_statements
UNION ALL
SELECT * FROM superseded_statements;
