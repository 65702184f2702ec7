-- Where a source's content came from when it was packed (issue 10, point 8; ingest.archive).
-- A zip member or a .gz file is stored under the sha256 of its unpacked content (so record ids
-- stay <sha256[:16]>:<line> and the same CSV loose or packed is loaded once); these columns
-- keep the archive file's own sha256, the zip member's name, and the byte-order mark the text
-- was transcoded from (utf-16-le, utf-16-be, utf-32-*, or utf-8-sig for a dropped UTF-8 BOM).
-- NULL for a plain file read as it is.
ALTER TABLE sources ADD COLUMN archive_sha256 VARCHAR;
ALTER TABLE sources ADD COLUMN member VARCHAR;
ALTER TABLE sources ADD COLUMN encoding VARCHAR;
