-- Issue 9.5: a job row is written when the job starts, so a server crash leaves it 'running' (state 1).
-- The agent's job id and host are stored as soon as the agent accepted the order, so the next start can
-- mark the row interrupted (state 5) and ask the agent how its part ended. reconcile: NULL = nothing to do,
-- 'pending' = interrupted and not yet reconciled with the agent, 'done' = reconciled (or given up, see the log).
ALTER TABLE job ADD COLUMN agent_host TEXT;
ALTER TABLE job ADD COLUMN agent_job TEXT;
ALTER TABLE job ADD COLUMN reconcile TEXT;
-- Progress, so a finished job read back from history still says how much it moved.
ALTER TABLE job ADD COLUMN bytes_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job ADD COLUMN bytes_total BIGINT NOT NULL DEFAULT 0;

CREATE INDEX job_state ON job (state);

-- Issue 15.3: a preprocess without a postprocess is refused unless the definition says so (1 = pre-only).
ALTER TABLE backup_definition ADD COLUMN pre_only INTEGER NOT NULL DEFAULT 0;
