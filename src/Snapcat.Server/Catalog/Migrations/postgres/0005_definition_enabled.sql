-- Issue 12 (day-2 commands): a definition can be disabled ('snapcat definition disable'); the scheduler never
-- fires a disabled one, a run by hand still works. 1 = enabled (every definition stored before this migration).
ALTER TABLE backup_definition ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
