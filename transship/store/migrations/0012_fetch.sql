-- What `transship fetch` downloaded (issue 17): one row per file, keyed by the sha256 that
-- `sources` also carries (for a zip, `sources.archive_sha256`), so a stored row's provenance
-- reaches the URL or API call that fetched it. `params` is the call as JSON (secrets removed).
CREATE TABLE IF NOT EXISTS fetches (
    sha256      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,   -- comtrade | baci | opensanctions
    file        VARCHAR NOT NULL,   -- where the file was written
    url         VARCHAR NOT NULL,
    params      VARCHAR,
    fetched_at  TIMESTAMP NOT NULL,
    size_bytes  BIGINT,
    rows        BIGINT,
    licence     VARCHAR NOT NULL,
    PRIMARY KEY (sha256, file)
);
