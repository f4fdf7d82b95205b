-- WhatsApp conversations over Twilio: at most one open conversation per contact and
-- integration; inbound messages deduplicated by Twilio's MessageSid.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    integration_id BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    contact_name TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    last_inbound_at BIGINT,
    last_inbound_message_id BIGINT,
    warned_for_message_id BIGINT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX conversations_open ON conversations (integration_id, contact) WHERE status = 'open';
CREATE INDEX conversations_ws ON conversations (workspace_id, id);

CREATE TABLE conversation_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    integration_id BIGINT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'message',
    body TEXT NOT NULL,
    provider_sid TEXT,
    status TEXT NOT NULL,
    error_code TEXT,
    last_error TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (integration_id, provider_sid)
);
CREATE INDEX conversation_messages_conv ON conversation_messages (workspace_id, conversation_id, id);
