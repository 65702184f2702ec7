"""One reader per source format -> canonical rows + rejects (file, line, column, reason)."""

from transship.ingest.base import ReadContext, Reader, Reject, Rows
from transship.ingest.pipeline import IngestResult, ingest_file, ingest_paths

__all__ = ["IngestResult", "ReadContext", "Reader", "Reject", "Rows", "ingest_file", "ingest_paths"]
