-- A stage's tasks (spec/flows-and-tasks.md § Stage task): the checked definition as JSON
-- (domain::stage_tasks::StageTaskDef), with the keys lists filter on beside it. Tombstoned
-- like the rest of a flow's configuration (decision 23: completed instances keep their task).
CREATE TABLE stage_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    stage_id BIGINT NOT NULL REFERENCES flow_stages(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    action TEXT NOT NULL,
    def TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX stage_tasks_stage ON stage_tasks (stage_id, position, id);
