-- A workspace's calendar (spec/flows-and-tasks.md § Due dates): its time zone, working
-- weekdays and hours, and holidays. No row means the default (São Paulo, Monday to Friday,
-- 09:00-18:00, no holidays: domain::calendar::Calendar::default).
CREATE TABLE workspace_calendars (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    time_zone TEXT NOT NULL,
    -- ISO weekdays, [1, 2, 3, 4, 5]
    work_days TEXT NOT NULL,
    -- [{"start": "09:00", "end": "18:00"}]
    work_hours TEXT NOT NULL,
    -- [{"date": "2026-12-25", "name": "Natal"}]
    holidays TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
