-- Items of one type of one workspace, in id order: the tenant-scoped default list reads it in
-- order, and it replaces (type_id, id) and (workspace_id, type_id), between which SQLite's
-- planner chose badly. A type's items are deleted through it before the type (see
-- store::types::delete), so the foreign-key cascade never scans for them.
DROP INDEX items_type;
DROP INDEX items_ws;
CREATE INDEX items_scope ON items (workspace_id, type_id, id);
