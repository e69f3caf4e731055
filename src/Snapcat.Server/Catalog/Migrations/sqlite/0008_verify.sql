-- Verify jobs (issue 13, docs/verify.md). verify_run: one row per verify of a backup, by hand or by a verify plan;
-- kept when the backup row goes (the history of a deleted backup still says what was found). outcome: ok, sealed,
-- mismatch or failed. root: the digest the data had now; expected_root: what it was compared with (NULL when sealed).
CREATE TABLE verify_run (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    backup_id     INTEGER NOT NULL,
    started_us    INTEGER NOT NULL,
    finished_us   INTEGER NOT NULL,
    outcome       TEXT NOT NULL,
    root          TEXT,
    expected_root TEXT,
    bytes         INTEGER NOT NULL DEFAULT 0,
    seconds       REAL NOT NULL DEFAULT 0,
    job_id        TEXT,
    plan          TEXT,
    error         TEXT
);

CREATE INDEX verify_run_backup ON verify_run (backup_id, finished_us);

-- Verify plans: a cron schedule and a coverage policy. older_than_s: re-verify a backup whose last verify is older;
-- max_per_run or share_percent (at most one): how many per run; kind, device_id: the scope (NULL = all).
-- last_report: the JSON report of the newest run.
CREATE TABLE verify_plan (
    name          TEXT PRIMARY KEY,
    schedule      TEXT NOT NULL,
    time_zone     TEXT NOT NULL DEFAULT 'UTC',
    older_than_s  INTEGER NOT NULL,
    max_per_run   INTEGER,
    share_percent REAL,
    kind          TEXT,
    device_id     TEXT,
    created_us    INTEGER NOT NULL,
    last_fire_us  INTEGER,
    last_report   TEXT
);
