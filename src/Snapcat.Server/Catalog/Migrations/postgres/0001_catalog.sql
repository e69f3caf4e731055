-- The catalog of the backup server: the description's backup volume table 25 (FIG. 4),
-- backup definition table 26 (FIG. 5) and backup data table 27 (FIG. 6).
-- Times are microseconds since 1970-01-01 UTC (the volume information record's unit).

CREATE TABLE backup_volume (
    host         TEXT NOT NULL,
    mount_point  TEXT NOT NULL,
    device_id    TEXT NOT NULL,                -- array holding the primary volume
    updated_us   BIGINT NOT NULL,
    PRIMARY KEY (host, mount_point)
);

-- The copy-to volume number list of FIG. 4, one row per secondary volume.
CREATE TABLE backup_volume_target (
    host         TEXT NOT NULL,
    mount_point  TEXT NOT NULL,
    volume       BIGINT NOT NULL,
    PRIMARY KEY (host, mount_point, volume),
    FOREIGN KEY (host, mount_point) REFERENCES backup_volume (host, mount_point) ON DELETE CASCADE
);

CREATE TABLE backup_definition (
    name               TEXT PRIMARY KEY,
    host               TEXT NOT NULL,
    mount_point        TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('mirror', 'snapshot', 'tape')),
    device_id          TEXT NOT NULL,           -- destination array (or tape library) device ID
    destination_volume BIGINT,                 -- mirror: secondary volume number
    pre_hook           TEXT,
    post_hook          TEXT,
    label              TEXT NOT NULL,
    schedule           TEXT,                    -- cron expression, NULL = by hand only
    time_zone          TEXT NOT NULL DEFAULT 'UTC',
    keep_generations   INTEGER,                 -- snapshot: generations kept
    missed_runs        TEXT NOT NULL DEFAULT 'skip' CHECK (missed_runs IN ('skip', 'run_once')),
    last_fire_us       BIGINT,                 -- last scheduled occurrence handled (run or skipped)
    created_us         BIGINT NOT NULL
);

CREATE TABLE backup_data (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host         TEXT NOT NULL,
    mount_point  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    device_id    TEXT NOT NULL,                 -- where the backup is: array device ID or tape library ID
    media_id     TEXT NOT NULL,                 -- volume number, or VOLSER/file sequence on tape
    label        TEXT NOT NULL,
    time_us      BIGINT NOT NULL,              -- time stamp of the volume information
    backup_id    TEXT NOT NULL,                 -- the record's backup ID, equal on every copy
    volume_info  BYTEA NOT NULL,                 -- the raw 512-byte record
    origin       TEXT NOT NULL CHECK (origin IN ('backup', 'rebuild', 'copy')),
    recorded_us  BIGINT NOT NULL,
    UNIQUE (device_id, media_id)
);

CREATE INDEX backup_data_host_time ON backup_data (host, mount_point, time_us);
CREATE INDEX backup_data_label_time ON backup_data (label, time_us);
CREATE INDEX backup_data_time ON backup_data (time_us);
CREATE INDEX backup_data_backup_id ON backup_data (backup_id);
