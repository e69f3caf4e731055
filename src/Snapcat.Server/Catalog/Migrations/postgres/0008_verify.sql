-- Verify jobs (issue 13, docs/verify.md). verify_run: one row per verify of a backup, by hand or by a verify plan;
-- kept when the backup row goes (the history of a deleted backup still says what was found). outcome: ok, sealed,
-- mismatch or failed. root: the digest the data had now; expected_root: what it was compared with (NULL when sealed).
CREATE TABLE verify_run (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    backup_id     BIGINT NOT NULL,
    started_us    BIGINT NOT NULL,
    finished_us   BIGINT NOT NULL,
    outcome       TEXT NOT NULL,
    root          TEXT,
    expected_root TEXT,
    bytes         BIGINT NOT NULL DEFAULT 0,
    seconds       DOUBLE PRECISION NOT NULL DEFAULT 0,
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
    older_than_s  BIGINT NOT NULL,
    max_per_run   BIGINT,
    share_percent DOUBLE PRECISION,
    kind          TEXT,
    device_id     TEXT,
    created_us    BIGINT NOT NULL,
    last_fire_us  BIGINT,
    last_report   TEXT
);
