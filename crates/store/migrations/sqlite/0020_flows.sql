-- Category flows (spec/flows-and-tasks.md): a flow on a type, its stages and the transitions
-- between them, and the flow items (an item's run through a flow). Configuration is
-- tombstoned (deleted_at) rather than deleted, so the runs that used it keep their history
-- (decision 14); deleting the type removes everything. The foundation's placeholder `flows`
-- (counted by statistics, never written) gives way to the real table.
DROP TABLE flows;
CREATE TABLE flows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    start_type TEXT NOT NULL,
    conditional TEXT,
    icon TEXT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX flows_ws ON flows (workspace_id, type_id);

CREATE TABLE flow_stages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    flow_id BIGINT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    progress_type TEXT NOT NULL,
    is_start BOOLEAN NOT NULL,
    hex_color TEXT,
    icon TEXT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX flow_stages_flow ON flow_stages (flow_id);
-- At most one start stage per flow (decision 15).
CREATE UNIQUE INDEX flow_stages_start ON flow_stages (flow_id) WHERE is_start AND deleted_at IS NULL;

CREATE TABLE flow_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    flow_id BIGINT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    from_stage BIGINT NOT NULL REFERENCES flow_stages(id) ON DELETE CASCADE,
    to_stage BIGINT NOT NULL REFERENCES flow_stages(id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    conditional TEXT,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX flow_transitions_from ON flow_transitions (from_stage, position, id);

CREATE TABLE flow_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL,
    flow_id BIGINT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    stage_id BIGINT REFERENCES flow_stages(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    run_status TEXT NOT NULL,
    stages_log TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- A flow starts at most once per item (decision 12).
    UNIQUE (item_id, flow_id)
);
CREATE INDEX flow_items_flow ON flow_items (flow_id, run_status);
CREATE INDEX flow_items_stage ON flow_items (stage_id, run_status);
