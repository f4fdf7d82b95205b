-- Quick tasks (spec/flows-and-tasks.md § Quick tasks): a workspace's to-dos, outside any flow.
-- The linked item's reference and type are copied in when the link is made (references never
-- change; a deleted item leaves the link in place, decision 56). `collaborators` and `tag_ids`
-- are kept in the order given; `quick_task_people` repeats creator, assignee and
-- collaborators one per row, so that "the tasks I may see without tasks::quick::read" and the
-- `collaborators=` filter are index lookups. Both tables carry `workspace_id` in their keys
-- (issue 17: new tables are ready for distribution by workspace).
CREATE TABLE quick_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    due_date BIGINT,
    points BIGINT,
    meta TEXT NOT NULL,
    creator BIGINT NOT NULL,
    assigned_to BIGINT,
    completed_by BIGINT,
    completed_at BIGINT,
    item_id BIGINT,
    item_reference TEXT,
    item_type_id BIGINT,
    notification_task BOOLEAN NOT NULL,
    archived BOOLEAN NOT NULL,
    tag_ids TEXT NOT NULL,
    collaborators TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX quick_tasks_reference ON quick_tasks (workspace_id, reference);
-- Every read names the workspace: pages of a workspace's tasks in id order.
CREATE UNIQUE INDEX quick_tasks_key ON quick_tasks (workspace_id, id);
-- "My open tasks" (assigned_to with a status filter, newest pages by id) without a sort.
CREATE INDEX quick_tasks_assigned ON quick_tasks (workspace_id, assigned_to, id);
CREATE INDEX quick_tasks_item ON quick_tasks (workspace_id, item_id) WHERE item_id IS NOT NULL;

CREATE TABLE quick_task_people (
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL REFERENCES quick_tasks(id) ON DELETE CASCADE,
    -- creator, assignee or collaborator
    role TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id, task_id, role)
);
CREATE INDEX quick_task_people_task ON quick_task_people (task_id);

-- The foundation's placeholder for workspace statistics, never written by a route: the
-- statistics now count quick tasks and schedule tasks (decision 84).
DROP TABLE tasks;
