-- Documents out for e-signature: one row per provider envelope/document/agreement, found by the
-- provider's id when its callbacks arrive. Signers and the events received are kept on the row
-- (a request has a handful of each), updated together under the row's lock.
CREATE TABLE signature_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    integration_id BIGINT REFERENCES integrations(id) ON DELETE SET NULL,
    provider TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    signers TEXT NOT NULL DEFAULT '[]',
    events TEXT NOT NULL DEFAULT '[]',
    item_type TEXT,
    item_reference TEXT,
    document_name TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider, provider_id)
);
CREATE INDEX signature_requests_ws ON signature_requests (workspace_id, id);
