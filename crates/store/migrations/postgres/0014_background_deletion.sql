-- Deleting a workspace or a type hides it at once (this mark, and its reference or slug moved
-- aside so the name is free again) and removes its rows in small batches through the job
-- queue, so that no request holds the writer for long (store::purge).
ALTER TABLE workspaces ADD COLUMN deleted_at BIGINT;
ALTER TABLE types ADD COLUMN deleted_at BIGINT;
