-- The job queue: work that outlives a request (provider calls, timed work). A job is enqueued in
-- the transaction of the change that caused it, claimed by one worker at a time under a lease
-- (an expired lease is claimed again: a crashed process loses nothing), retried with backoff,
-- and keeps its last error. `dedupe_key` makes "at most one such job" a constraint.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_ws ON jobs (workspace_id, id);
