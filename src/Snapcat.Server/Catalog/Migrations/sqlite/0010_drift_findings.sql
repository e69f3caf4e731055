-- Drift detection (docs/drift.md): what the last reconcile of catalog vs arrays vs tape library found. One row per finding,
-- its ID stable (derived from kind and target) so a finding seen again keeps its first_seen; a finding that is gone is deleted.
-- fingerprint: a hash of what both sides said, so a fix can tell that the state it is about to act on is still the one found.
CREATE TABLE drift_finding (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    device_id TEXT NOT NULL,
    media_id TEXT,
    backup INTEGER,
    catalog_says TEXT NOT NULL,
    storage_says TEXT NOT NULL,
    fix TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    first_seen_us INTEGER NOT NULL,
    last_seen_us INTEGER NOT NULL
);
CREATE INDEX drift_finding_kind ON drift_finding (kind);
-- The last reconcile: when it ran and which arrays it could not read (their findings are kept, not cleared).
CREATE TABLE drift_check (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    checked_us INTEGER NOT NULL,
    unreadable TEXT NOT NULL
);
