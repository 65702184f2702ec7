-- transship store, first schema. Every fact table carries its provenance on the row
-- (dataset, source_sha256, run_id, line, record_id) plus the source's own text for every
-- normalised field (*_orig); the `statements_all` view (0002) unpivots them into FtM
-- statement rows, so bulk statistics need no second copy to be traceable.

CREATE SEQUENCE IF NOT EXISTS ingest_run_seq START 1;

-- Every file ever read, by content hash.
CREATE TABLE sources (
    sha256        VARCHAR PRIMARY KEY,
    path          VARCHAR NOT NULL,
    format        VARCHAR NOT NULL,
    dataset       VARCHAR NOT NULL,
    size_bytes    BIGINT,
    simulated     BOOLEAN NOT NULL DEFAULT false,
    first_seen    TIMESTAMP NOT NULL,
    attribution   VARCHAR
);

CREATE TABLE ingest_runs (
    run_id        BIGINT PRIMARY KEY,
    file          VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    format        VARCHAR,
    dataset       VARCHAR,
    started       TIMESTAMP NOT NULL,
    finished      TIMESTAMP,
    rows_loaded   BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    status        VARCHAR NOT NULL,      -- ok | skipped | failed
    message       VARCHAR
);

CREATE TABLE rejects (
    run_id        BIGINT NOT NULL,
    file          VARCHAR NOT NULL,
    line          BIGINT,
    "column"      VARCHAR,
    reason        VARCHAR NOT NULL,
    raw           VARCHAR
);

-- FollowTheMoney statements (for entities: parties, sanctions, ownership, certificates...).
CREATE TABLE statements (
    id             VARCHAR NOT NULL,
    entity_id      VARCHAR NOT NULL,
    canonical_id   VARCHAR NOT NULL,
    prop           VARCHAR NOT NULL,
    prop_type      VARCHAR NOT NULL,
    schema         VARCHAR NOT NULL,
    value          VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    lang           VARCHAR,
    original_value VARCHAR,
    first_seen     TIMESTAMP,
    last_seen      TIMESTAMP,
    external       BOOLEAN NOT NULL DEFAULT false,
    origin         VARCHAR,
    source_sha256  VARCHAR,
    line           BIGINT,
    run_id         BIGINT,
    simulated      BOOLEAN NOT NULL DEFAULT false
);

-- FtM entities as read (one row per entity and source line); parties, sanctions and
-- ownership edges are views over it (0002).
CREATE TABLE entities (
    record_id     VARCHAR NOT NULL,
    dataset       VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    run_id        BIGINT NOT NULL,
    line          BIGINT NOT NULL,
    simulated     BOOLEAN NOT NULL DEFAULT false,
    id            VARCHAR NOT NULL,
    schema        VARCHAR NOT NULL,
    caption       VARCHAR,
    properties    JSON NOT NULL,
    datasets      VARCHAR[],
    referents     VARCHAR[],
    first_seen    VARCHAR,
    last_seen     VARCHAR
);

-- Bilateral trade statistics: Comtrade (legacy bulk, Comtrade+ CSV/JSON), BACI.
CREATE TABLE trade_flows (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,      -- comtrade | baci | simulated dataset name
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    reporter       VARCHAR,               -- rigour territory code (join key)
    reporter_iso3  VARCHAR,
    reporter_m49   VARCHAR,
    reporter_orig  VARCHAR,
    partner        VARCHAR,
    partner_iso3   VARCHAR,
    partner_m49    VARCHAR,
    partner_orig   VARCHAR,
    partner_is_world BOOLEAN NOT NULL DEFAULT false,
    partner_is_area  BOOLEAN NOT NULL DEFAULT false,  -- nes / bunkers / free zones: not a country
    flow           VARCHAR NOT NULL,      -- X export, M import, RX re-export, RM re-import
    flow_orig      VARCHAR,
    year           INTEGER NOT NULL,
    period         VARCHAR NOT NULL,      -- 2022 or 2022-05
    classification VARCHAR,               -- H0..H6, or H5 for BACI HS17 etc.
    hs_code        VARCHAR NOT NULL,      -- zero padded, 2/4/6 digits
    hs_orig        VARCHAR,
    value_usd      DOUBLE,
    value_orig     VARCHAR,
    value_basis    VARCHAR,               -- fob | cif | reconciled
    qty            DOUBLE,
    qty_unit       VARCHAR,
    net_weight_kg  DOUBLE,
    flag           VARCHAR
);

-- SIPRI trade register rows (major conventional arms; TIV, never money).
CREATE TABLE arms_transfers (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    deal_id        VARCHAR,
    supplier       VARCHAR,
    supplier_iso3  VARCHAR,
    supplier_orig  VARCHAR,
    recipient      VARCHAR,
    recipient_iso3 VARCHAR,
    recipient_orig VARCHAR,
    designation    VARCHAR,
    description    VARCHAR,
    category       VARCHAR,
    order_year     INTEGER,
    order_year_uncertain BOOLEAN,
    number_ordered DOUBLE,
    number_ordered_uncertain BOOLEAN,
    number_delivered DOUBLE,
    number_delivered_uncertain BOOLEAN,
    delivery_year  INTEGER,
    delivery_year_uncertain BOOLEAN,
    delivery_years VARCHAR,               -- the source's list, as text
    status         VARCHAR,
    comments       VARCHAR,
    local_production BOOLEAN,
    tiv_unit       DOUBLE,
    tiv_deal_unit  DOUBLE,
    tiv_order      DOUBLE,
    tiv_delivered  DOUBLE
);

-- SIPRI TIV tables (supplier x recipient x year), wide or tidy.
CREATE TABLE arms_tiv (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    supplier       VARCHAR,
    supplier_iso3  VARCHAR,
    supplier_orig  VARCHAR,
    recipient      VARCHAR,
    recipient_iso3 VARCHAR,
    recipient_orig VARCHAR,
    year           INTEGER NOT NULL,
    tiv            DOUBLE,                -- millions of SIPRI TIV
    tiv_orig       VARCHAR
);

-- Individual licences (transship licence format) and licence statistics (EU COARM via CAAT).
CREATE TABLE licences (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    licence_id     VARCHAR NOT NULL,
    authority_country VARCHAR,
    licence_type   VARCHAR,               -- export | brokering | transit | import
    status         VARCHAR,               -- issued | refused | revoked | expired
    exporter       VARCHAR,
    exporter_id    VARCHAR,
    consignee      VARCHAR,
    consignee_country VARCHAR,
    end_user       VARCHAR,
    end_user_country VARCHAR,
    destination    VARCHAR,
    destination_orig VARCHAR,
    ml_category    VARCHAR,
    ml_orig        VARCHAR,
    hs_code        VARCHAR,
    goods_description VARCHAR,
    calibre        VARCHAR,
    quantity       DOUBLE,
    unit           VARCHAR,
    value          DOUBLE,
    currency       VARCHAR,
    value_eur      DOUBLE,
    value_usd      DOUBLE,
    issued_date    VARCHAR,               -- ISO prefix dates (2021, 2021-03, 2021-03-04)
    valid_until    VARCHAR,
    certificate_id VARCHAR,
    denial_criteria VARCHAR
);

CREATE TABLE licence_stats (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    kind           VARCHAR NOT NULL,      -- export | brokering | mission | consultation
    year           INTEGER NOT NULL,
    source_country VARCHAR,               -- the licensing member state
    source_orig    VARCHAR,
    destination    VARCHAR,
    destination_orig VARCHAR,
    origin_country VARCHAR,               -- brokering: where the goods come from
    origin_orig    VARCHAR,
    ml_category    VARCHAR,
    ml_orig        VARCHAR,
    status         VARCHAR,               -- issued | refused (brokering)
    measure        VARCHAR,               -- a b c d e1..e8, count, value_licensed, value_brokered...
    value          DOUBLE,
    value_orig     VARCHAR,
    currency       VARCHAR,
    quantity_text  VARCHAR,
    mission        VARCHAR,
    description    VARCHAR,
    embargo        BOOLEAN
);

-- Customs records (transship shipment format; FtM EconomicActivity compatible).
CREATE TABLE shipments (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    shipment_id    VARCHAR NOT NULL,
    ccd_number     VARCHAR,
    direction      VARCHAR,               -- export | import | transit
    date           VARCHAR,
    year           INTEGER,
    declarant      VARCHAR,
    sender         VARCHAR,
    sender_country VARCHAR,
    receiver       VARCHAR,
    receiver_country VARCHAR,
    origin_country VARCHAR,
    departure_country VARCHAR,
    destination_country VARCHAR,
    trading_country VARCHAR,
    transit_countries VARCHAR[],
    hs_code        VARCHAR,
    hs_orig        VARCHAR,
    ml_category    VARCHAR,
    goods_description VARCHAR,
    calibre        VARCHAR,
    quantity       DOUBLE,
    unit           VARCHAR,
    net_weight_kg  DOUBLE,
    value          DOUBLE,
    currency       VARCHAR,
    value_usd      DOUBLE,
    licence_id     VARCHAR,
    certificate_id VARCHAR,
    transport      VARCHAR
);

-- End-user certificates (transship format; Wassenaar essential elements).
CREATE TABLE certificates (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    certificate_id VARCHAR NOT NULL,
    exporter       VARCHAR,
    exporter_country VARCHAR,
    consignee      VARCHAR,
    consignee_country VARCHAR,
    end_user       VARCHAR,
    end_user_country VARCHAR,
    final_destination VARCHAR,
    goods_description VARCHAR,
    hs_code        VARCHAR,
    ml_category    VARCHAR,
    calibre        VARCHAR,
    quantity       DOUBLE,
    unit           VARCHAR,
    end_use        VARCHAR,
    non_reexport_clause BOOLEAN,
    issuing_authority VARCHAR,
    signatory      VARCHAR,
    issue_date     VARCHAR,
    valid_until    VARCHAR,
    delivery_verification VARCHAR,
    licence_id     VARCHAR
);

-- Documents (reports, press pieces) and the claims read from them.
CREATE TABLE documents (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    document_id    VARCHAR NOT NULL,
    title          VARCHAR,
    publisher      VARCHAR,
    published      VARCHAR,
    url            VARCHAR,
    kind           VARCHAR,
    text           VARCHAR
);

CREATE TABLE claims (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    claim_id       VARCHAR NOT NULL,
    document_id    VARCHAR,
    text           VARCHAR NOT NULL,
    quantity       DOUBLE,
    unit           VARCHAR,               -- EUR, USD, pieces, rounds...
    period         VARCHAR,
    origin         VARCHAR,
    intermediaries VARCHAR[],
    destination    VARCHAR,
    attributed_to  VARCHAR,               -- the original source the document names
    urls           VARCHAR[],
    reliability    VARCHAR,               -- Admiralty A-F (later stage)
    credibility    VARCHAR,               -- Admiralty 1-6 (later stage)
    testable_with  VARCHAR
);
