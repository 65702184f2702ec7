-- Claims extraction (issue 15.1-3): what a document read by `transship ingest` (text,
-- Markdown, HTML, PDF; reader `documents`) knows beside the `documents` row of 0001.
--
-- `documents` keeps title, publisher, published (ISO prefix), url, kind (text | markdown |
-- html | pdf) and the extracted text in which claim spans are counted. Its columns are the
-- model's `Document` record and are not changed here; the language and the reading details
-- go in this side table, one row per document, joined on document_id (= "doc:" + the first
-- 16 hex digits of the file's sha256, so re-reading the same bytes gives the same id).
CREATE TABLE document_meta (
    record_id      VARCHAR NOT NULL,
    dataset        VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    simulated      BOOLEAN NOT NULL DEFAULT false,
    document_id    VARCHAR NOT NULL,
    language       VARCHAR,               -- BCP 47: en, sr-Latn, sr-Cyrl, hr, bs, pl, bg, ru, uk, und
    language_given BOOLEAN,               -- true: the file said so (front matter, HTML); false: guessed
    format         VARCHAR,               -- text | markdown | html | pdf
    path           VARCHAR,
    chars          BIGINT                 -- length of documents.text
);
