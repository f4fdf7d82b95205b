-- The event log (spec/events.md): one row per change, written in the change's transaction.
-- Item events point at the item's history row, which holds their `changes`: one record of each
-- change, not two. Other kinds keep their own `changes`.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id BIGINT,
    subject_reference TEXT,
    -- The type the subject belongs to (who may read the event) and its slug then.
    type_id BIGINT,
    item_type TEXT,
    history_id BIGINT,
    changes TEXT,
    actor_user BIGINT,
    actor_email TEXT,
    actor_key TEXT,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_ws ON events (workspace_id, id);
CREATE INDEX events_created ON events (created_at);
