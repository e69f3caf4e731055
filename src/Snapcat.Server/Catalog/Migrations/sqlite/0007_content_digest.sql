-- Content digests (issue 13, docs/integrity.md): the root of the backup's SHA-256 digest over 64 KiB chunks, as
-- 'sha256:' and 64 hex digits; NULL until known (a mirror's comes with its copy, a snapshot's with its first verify).
ALTER TABLE backup_data ADD COLUMN digest TEXT;
