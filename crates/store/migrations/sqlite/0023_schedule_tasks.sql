-- Schedule tasks (spec/flows-and-tasks.md § Schedule task): a stage task's instance in one
-- visit of a flow item to its stage. Who is responsible is resolved once, when the instance is
-- made (decision 22), and kept here: `everybody`, user ids, member-group ids (their
-- membership stays live) or an outside address. `schedule_task_responsibles` repeats the
-- users and groups one per row so that "my tasks" is an index lookup, not a JSON scan.
-- The type, the item's reference and the visit are copied in: lists filter on them and they
-- never change; names (task, stage, flow, type) are read live through the joins.
CREATE TABLE schedule_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type_id BIGINT NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    flow_item_id BIGINT NOT NULL REFERENCES flow_items(id) ON DELETE CASCADE,
    task_id BIGINT NOT NULL REFERENCES stage_tasks(id) ON DELETE CASCADE,
    stage_id BIGINT NOT NULL,
    -- Which visit of the stage made it: the index of the stage's `start` row in stages_log.
    visit BIGINT NOT NULL,
    item_reference TEXT NOT NULL,
    work_status TEXT NOT NULL,
    status TEXT NOT NULL,
    due_date BIGINT,
    responsibility_type TEXT NOT NULL,
    everybody BOOLEAN NOT NULL,
    responsible_users TEXT NOT NULL,
    responsible_groups TEXT NOT NULL,
    external_email TEXT,
    unified_responsible TEXT NOT NULL,
    assigned BIGINT,
    task_log TEXT NOT NULL,
    -- Who completed it and a digest of the answers: a retry by the same person with the same
    -- answers is answered 200 without a change (decision 40).
    completed_by BIGINT,
    answers_digest TEXT,
    completed_at BIGINT,
    updated_by_email TEXT,
    deleted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A run's open tasks: every equality in the index, so that SQLite's planner (which has no
-- statistics) never prefers walking the workspace's tasks in id order instead. Each index is a
-- page more written by every item create on a type with a flow: only those the run and the
-- lists need.
CREATE INDEX schedule_tasks_flow_item ON schedule_tasks (workspace_id, flow_item_id, work_status);
CREATE INDEX schedule_tasks_ws ON schedule_tasks (workspace_id, id);

-- What runs in a flow, and in a stage of it, from one index instead of two.
DROP INDEX flow_items_flow;
DROP INDEX flow_items_stage;
CREATE INDEX flow_items_running ON flow_items (flow_id, run_status, stage_id);

CREATE TABLE schedule_task_responsibles (
    task_id BIGINT NOT NULL REFERENCES schedule_tasks(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL,
    user_id BIGINT,
    group_id BIGINT
);
CREATE INDEX schedule_task_responsibles_user ON schedule_task_responsibles (workspace_id, user_id, task_id);
CREATE INDEX schedule_task_responsibles_group ON schedule_task_responsibles (workspace_id, group_id, task_id);
CREATE INDEX schedule_task_responsibles_task ON schedule_task_responsibles (task_id);

-- Item history reads only the item's own and its signature requests' events; flow events name
-- the item too but are not history, so they stay out of the index (three fewer index entries
-- per item created on a type with a flow).
DROP INDEX events_item;
CREATE INDEX events_item ON events (item_id, id) WHERE subject_type IN ('item', 'signature_request');

-- Who else may read an event beside those its kind's permission admits (decisions 65, 66): for
-- a schedule task's events, its responsibles and assignees as they were then.
ALTER TABLE events ADD COLUMN audience TEXT;
