-- The data engine: types, fields, items, history, counters, forms, files. The foundation's
-- placeholder tables held no rows (no route wrote them), so they are replaced whole.
DROP TABLE items;
DROP TABLE fields;
DROP TABLE files;
DROP TABLE types;

CREATE TABLE types (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    icon TEXT,
    color TEXT,
    settings TEXT NOT NULL DEFAULT '{}',
    item_versioning BOOLEAN NOT NULL DEFAULT FALSE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, slug)
);

-- `def` is the whole definition (domain::fields::FieldDef); the columns are what queries need.
CREATE TABLE fields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    ref_id TEXT NOT NULL,
    field_type TEXT NOT NULL,
    position BIGINT NOT NULL,
    def TEXT NOT NULL,
    index_status TEXT NOT NULL DEFAULT 'none',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (type_id, ref_id)
);
CREATE INDEX fields_ws ON fields (workspace_id, type_id, position);

CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    reference TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'active',
    is_draft BOOLEAN NOT NULL DEFAULT FALSE,
    form TEXT NOT NULL DEFAULT 'default',
    request_email TEXT,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    data TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX items_type ON items (type_id, id);
CREATE INDEX items_ws ON items (workspace_id, type_id);

-- History outlives its item (a `delete` entry), not its type.
CREATE TABLE item_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX item_history_item ON item_history (item_id, id);
CREATE INDEX item_history_type ON item_history (type_id);

-- Code counters only go up, so a number is never given twice, even after deletions.
CREATE TABLE type_counters (
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (type_id, name)
);

CREATE TABLE forms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    form_type TEXT NOT NULL,
    visibility TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX forms_type ON forms (type_id, id);
CREATE INDEX forms_ws ON forms (workspace_id);

-- A file belongs to its uploader until it is attached to an item (one item at most).
CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    type_id BIGINT REFERENCES types(id) ON DELETE SET NULL,
    item_id BIGINT REFERENCES items(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX files_ws ON files (workspace_id, id);
CREATE INDEX files_item ON files (item_id);
