-- Access milestone: v1-compatibility members, group permissions, sessions, invitations, and
-- login failure counters (in the database so that every process of a deployment shares them).
ALTER TABLE members ADD COLUMN v1_compatibility BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE member_group_permissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES member_groups(id) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]',
    rules TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (group_id, reference)
);
CREATE INDEX member_group_permissions_ws ON member_group_permissions (workspace_id, group_id);

-- Session tokens are stored as SHA-256 digests only.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- An invitation's token is stored as a digest; accepting it sets the user's password.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT
);
CREATE INDEX invitations_member ON invitations (member_id);

-- Failed logins per email and per address in the current window.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT
);
