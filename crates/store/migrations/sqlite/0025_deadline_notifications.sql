-- Deadline notifications (spec/flows-and-tasks.md § Deadline notifications): the workspace's
-- rules per kind of task (absent: the three defaults), and one row per notification that went
-- out (or was skipped for want of an email integration). The row is written in the transaction
-- that queues the emails, and its key is (task, rule, due date): a notification job run twice
-- (a crash before it was marked done, two processes) finds the row and sends nothing again.
CREATE TABLE notification_settings (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE deadline_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    -- quick_tasks or scheduled_tasks
    task_kind TEXT NOT NULL,
    task_id BIGINT NOT NULL,
    rule_id TEXT NOT NULL,
    due_date BIGINT NOT NULL,
    -- sent, or skipped (no active email integration then)
    outcome TEXT NOT NULL,
    recipients BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX deadline_notices_once ON deadline_notices (workspace_id, task_kind, task_id, rule_id, due_date);

-- Every job is written once and read by its due time: the index by workspace served only a
-- workspace's deletion (a scan of the queue now), and cost every enqueue a page — deadline
-- notifications enqueue one with most task creations.
DROP INDEX jobs_ws;
