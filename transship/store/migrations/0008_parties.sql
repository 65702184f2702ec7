-- Resolution of party records into actors (issue 13, point 5; docs/resolve.md, "Resolution").
--
-- A *party record* is one name in one role of one source row: the exporter of a licence, the
-- receiver of a shipment, the end user of a certificate, the mission of a COARM row, an FtM
-- party entity. Its id (`party_id`) is stable across runs: `<table>:<record_id>:<role>` for
-- tabular sources, `entity:<FtM id>` for FtM entities.
--
-- `party_judgements` keeps every verdict a reviewer gave on two party records (never
-- deleted: a later verdict on the same pair supersedes an earlier one). Each run applies them
-- before any automatic decision. `party_runs` records each run; `party_actors` (actor id per
-- party record) and `party_links` (the scored pairs and judgements that joined records) hold
-- the latest run's result only: a new run replaces them, its run record stays.

CREATE SEQUENCE IF NOT EXISTS party_judgement_seq START 1;

CREATE TABLE party_judgements (
    judgement_id  BIGINT PRIMARY KEY,
    a             VARCHAR NOT NULL,      -- party_id, a < b
    b             VARCHAR NOT NULL,
    verdict       VARCHAR NOT NULL,      -- same | different | unsure
    who           VARCHAR NOT NULL,
    why           VARCHAR,
    judged_at     TIMESTAMP NOT NULL,
    a_name        VARCHAR,               -- the names as they were when judged
    b_name        VARCHAR
);

CREATE TABLE party_runs (
    run_id             BIGINT PRIMARY KEY,
    started            TIMESTAMP NOT NULL,
    finished           TIMESTAMP,
    status             VARCHAR NOT NULL,  -- running | ok | failed
    threshold          DOUBLE NOT NULL,
    engine             VARCHAR NOT NULL,
    records            BIGINT NOT NULL DEFAULT 0,
    nodes              BIGINT NOT NULL DEFAULT 0,  -- distinct (kind, name, country, ids)
    actors             BIGINT NOT NULL DEFAULT 0,
    pairs_compared     BIGINT NOT NULL DEFAULT 0,
    pairs_linked       BIGINT NOT NULL DEFAULT 0,
    judgements_applied BIGINT NOT NULL DEFAULT 0,
    seconds            DOUBLE,
    records_by_source  JSON,
    notes              VARCHAR[]
);

CREATE TABLE party_actors (
    run_id         BIGINT NOT NULL,
    party_id       VARCHAR NOT NULL,
    actor_id       VARCHAR NOT NULL,
    node           BIGINT NOT NULL,      -- records of one node share kind, name, country, ids
    source_table   VARCHAR NOT NULL,     -- licences | shipments | certificates | licence_stats | entities
    record_id      VARCHAR NOT NULL,     -- the source row (entities: the FtM entity id)
    dataset        VARCHAR,
    role           VARCHAR NOT NULL,
    schema         VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    names          VARCHAR[],            -- all names of an FtM entity (name, alias, ...)
    country        VARCHAR,
    identifiers    VARCHAR[],
    source_sha256  VARCHAR,
    line           BIGINT,
    simulated      BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE party_links (
    run_id         BIGINT NOT NULL,
    a              VARCHAR NOT NULL,     -- party_id (a node's first record)
    b              VARCHAR NOT NULL,
    actor_id       VARCHAR NOT NULL,
    score          DOUBLE,               -- NULL for a judgement
    how            VARCHAR NOT NULL,     -- score | judgement | refused (a judgement keeps them apart)
    explanation    JSON                  -- features (score, detail, weight) or the judgement
);
