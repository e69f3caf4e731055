-- Time-based retention (docs/retention.md): the definition's keep-last/hourly/daily/weekly/monthly/yearly as one
-- JSON object, e.g. {"keepLast":3,"keepDaily":7}; NULL = none given (keep_generations, if set, is keep-last).
ALTER TABLE backup_definition ADD COLUMN retention TEXT;
-- Protected backups: no prune and no delete removes them. is_protected 1 = protected; protected_until_us NULL =
-- indefinitely, otherwise until that time (microseconds since the epoch), after which the backup is prunable again.
ALTER TABLE backup_data ADD COLUMN is_protected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE backup_data ADD COLUMN protected_until_us INTEGER;
