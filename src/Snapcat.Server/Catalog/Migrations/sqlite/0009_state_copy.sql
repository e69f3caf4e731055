-- Issue 13, "server state travels with the backups" (docs/disaster-recovery.md): the server's identity and the generation
-- of its state copy. server_id names this server's catalog volumes and tape file sets; generation only grows (a rebuild
-- that restores a copy moves it past the copy's, so the next copy is the newest). written_us: when the last copy was
-- written; restored_*: which copy a rebuild restored (NULL: none).
CREATE TABLE server_state (
    singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_id        TEXT NOT NULL,
    generation       INTEGER NOT NULL DEFAULT 0,
    written_us       INTEGER,
    restored_from    TEXT,
    restored_generation INTEGER,
    restored_us      INTEGER
);
