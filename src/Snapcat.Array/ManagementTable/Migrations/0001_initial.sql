-- The volume management table of FIG. 7 (volume number 371, port address 373, LUN 374, mirror
-- destination volume numbers 375, volume information 376), plus sizes and the snapshot relation.

CREATE TABLE volumes (
    -- AUTOINCREMENT: numbers are never reused, even after the highest volume is deleted (see VolumeTable).
    number        INTEGER PRIMARY KEY AUTOINCREMENT CHECK (number BETWEEN 1 AND 4294967295),
    size          INTEGER NOT NULL CHECK (size >= 0),
    kind          TEXT    NOT NULL CHECK (kind IN ('volume', 'snapshot')),
    -- For a snapshot, the volume it was taken of; the snapshot list of X is "source_number = X".
    source_number INTEGER NULL REFERENCES volumes(number),
    created       TEXT    NOT NULL,            -- ISO 8601 UTC
    volume_info   BLOB    NULL CHECK (volume_info IS NULL OR length(volume_info) = 512)
);

CREATE INDEX volumes_source ON volumes(source_number) WHERE source_number IS NOT NULL;

CREATE TABLE assignments (
    port      TEXT    NOT NULL,                -- data port address host:port, canonical NbdAddress text
    lun       INTEGER NOT NULL CHECK (lun BETWEEN 0 AND 4294967295),
    volume    INTEGER NOT NULL REFERENCES volumes(number),
    read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    PRIMARY KEY (port, lun)
);

CREATE INDEX assignments_volume ON assignments(volume);

CREATE TABLE mirror_destinations (
    primary_volume   INTEGER NOT NULL REFERENCES volumes(number),
    secondary_volume INTEGER NOT NULL REFERENCES volumes(number),
    PRIMARY KEY (primary_volume, secondary_volume),
    CHECK (primary_volume <> secondary_volume)
);

CREATE INDEX mirror_destinations_secondary ON mirror_destinations(secondary_volume);
