-- Outgoing webhooks (spec/events.md § Webhooks, decisions 76-83). A webhook reads the event
-- log from `position` (the last event its dispatcher looked at); each matching event becomes a
-- delivery job. Secrets are sealed (domain::secrets) against the row; while a rotation is under
-- way the previous one signs too, until `previous_expires_at`.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    item_types TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret TEXT NOT NULL DEFAULT '',
    previous_secret TEXT,
    previous_expires_at BIGINT,
    position BIGINT NOT NULL,
    -- Whose access the deliveries have (checked at each delivery).
    created_by BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    failing_since BIGINT,
    last_delivery_at BIGINT,
    last_delivery_status INTEGER,
    last_delivery_error TEXT,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_ws ON webhooks (workspace_id, id);
CREATE INDEX webhooks_active ON webhooks (active, id);

-- Each attempt of each delivery, kept as long as events are (the retention prunes both).
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    -- The x-enspace-delivery header: the event id, or ping-<uuid> for a test.
    delivery TEXT NOT NULL,
    event_id BIGINT,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status INTEGER,
    duration_ms BIGINT NOT NULL,
    error TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at);
