-- Job history: every backup, restore, delete, rebuild and copy the server ran.
CREATE TABLE job (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    definition    TEXT,
    description   TEXT NOT NULL,
    state         INTEGER NOT NULL,             -- Snapcat.Core.Jobs.JobState
    created_us    BIGINT NOT NULL,
    finished_us   BIGINT,
    error_code    TEXT,
    error_message TEXT,
    log           TEXT NOT NULL DEFAULT '[]',   -- JSON array of log entries
    result        TEXT
);

CREATE INDEX job_created ON job (created_us);
CREATE INDEX job_definition ON job (definition, created_us);
