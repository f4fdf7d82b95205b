-- The workspace email outbox: written with its sending job in one transaction, sent by the job
-- worker through the workspace's SendGrid integration.
CREATE TABLE emails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    recipients TEXT NOT NULL DEFAULT '[]',
    subject TEXT NOT NULL,
    text_body TEXT,
    html_body TEXT,
    reply_to TEXT,
    status TEXT NOT NULL DEFAULT 'queued',
    provider_message_id TEXT,
    last_error TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX emails_ws ON emails (workspace_id, id);
