-- How far each workspace's event log has been pruned (events older than the retention, except
-- an existing item's, which are its history): a reader resuming below it missed events and is
-- told so (410 on the feed, `event: reset` on the stream).
CREATE TABLE event_watermarks (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    pruned_through BIGINT NOT NULL
);
