-- Issues 9.1, 15.2, 15.7: what a backup data row needs so that a rebuilt catalog equals the lost one.
--
-- definition: the backup definition that made the backup (from the volume information, record version 2);
-- NULL when unknown (a version 1 record). Retention prunes by it, so one definition never deletes
-- another's generations.
ALTER TABLE backup_data ADD COLUMN definition TEXT;

-- Rows recorded before this migration: a backup row gets the name of the one definition that matches it
-- (same kind, host, mount point, destination and label); with none or several it stays NULL (unknown), and
-- no definition's retention ever deletes it.
UPDATE backup_data SET definition = (
    SELECT d.name FROM backup_definition d
    WHERE d.kind = backup_data.kind AND d.host = backup_data.host AND d.mount_point = backup_data.mount_point
      AND d.device_id = backup_data.device_id AND d.label = backup_data.label)
WHERE origin = 'backup' AND 1 = (
    SELECT COUNT(*) FROM backup_definition d
    WHERE d.kind = backup_data.kind AND d.host = backup_data.host AND d.mount_point = backup_data.mount_point
      AND d.device_id = backup_data.device_id AND d.label = backup_data.label);

CREATE INDEX backup_data_definition ON backup_data (definition, device_id, time_us);

-- Backup IDs come from this one-row sequence (the same in both dialects), and the server supplies every
-- ID: the server takes a number before it orders the backup and writes it into the record; a rebuild
-- restores that number and moves next_id past it. An identity column would refuse the restored IDs.
ALTER TABLE backup_data ALTER COLUMN id DROP IDENTITY;

CREATE TABLE backup_number (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    next_id      BIGINT NOT NULL
);

INSERT INTO backup_number (singleton, next_id) SELECT 1, COALESCE(MAX(id), 0) + 1 FROM backup_data;
