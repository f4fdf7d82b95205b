-- The event log (spec/events.md): one row per change, written in the change's transaction.
-- An item's history is its events (`item_id`), so each change is recorded once: item_history's
-- rows move here and the table goes. An item's events are kept as long as the item.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id BIGINT,
    subject_reference TEXT,
    -- The type the subject belongs to (who may read the event), its slug then, and the item
    -- whose history the event is part of.
    type_id BIGINT,
    item_type TEXT,
    item_id BIGINT,
    changes TEXT NOT NULL DEFAULT '{}',
    actor_user BIGINT,
    actor_email TEXT,
    actor_key TEXT,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO events (workspace_id, kind, subject_type, subject_id, subject_reference, type_id, item_type, item_id,
    changes, actor_user, actor_email, source, created_at)
SELECT h.workspace_id,
    CASE h.action WHEN 'create' THEN 'item.created' WHEN 'delete' THEN 'item.deleted'
        WHEN 'signature_request' THEN 'signature_request.updated' ELSE 'item.updated' END,
    CASE h.action WHEN 'signature_request' THEN 'signature_request' ELSE 'item' END,
    CASE h.action WHEN 'signature_request' THEN NULL ELSE h.item_id END,
    i.reference, h.type_id, t.slug, h.item_id, h.changes, h.user_id, u.email, h.source, h.created_at
FROM item_history h
LEFT JOIN items i ON i.id = h.item_id
LEFT JOIN types t ON t.id = h.type_id
LEFT JOIN users u ON u.id = h.user_id
ORDER BY h.id;
DROP TABLE item_history;
CREATE INDEX events_ws ON events (workspace_id, id);
CREATE INDEX events_item ON events (item_id, id);
