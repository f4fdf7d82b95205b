-- A type's responsibility rules (spec/flows-and-tasks.md § Responsibility rules): tried by
-- position for a task with responsibility_type responsible_rules; the first whose conditional
-- holds names who is responsible. The checked rule is kept as JSON
-- (domain::stage_tasks::RuleDef) beside the keys lists filter on.
CREATE TABLE responsibility_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    responsible_type TEXT NOT NULL,
    def TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX responsibility_rules_type ON responsibility_rules (type_id, position, id);
