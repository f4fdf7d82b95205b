//! Workspace calendars, stored as their wire JSON parts; `domain::calendar` checks and reads
//! them.

use serde_json::Value as Json;

use crate::{
    db::{Db, Tx},
    error::Result,
    params,
};

/// A calendar as stored: the zone name and the JSON of the other parts.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarRow {
    pub time_zone: String,
    pub work_days: Json,
    pub work_hours: Json,
    pub holidays: Json,
}

const SELECT: &str =
    "SELECT time_zone, work_days, work_hours, holidays FROM workspace_calendars WHERE workspace_id = $1";

pub(crate) fn from_row(r: &crate::db::Row) -> Result<CalendarRow> {
    Ok(CalendarRow {
        time_zone: r.text("time_zone")?,
        work_days: r.json("work_days")?,
        work_hours: r.json("work_hours")?,
        holidays: r.json("holidays")?,
    })
}

/// The workspace's calendar, or `None` while it keeps the default.
pub async fn get(db: &Db, workspace_id: i64) -> Result<Option<CalendarRow>> {
    let row = db.fetch_optional(SELECT, &params![workspace_id]).await?;
    row.as_ref().map(from_row).transpose()
}

/// Stores the workspace's calendar whole.
pub async fn put(tx: &mut Tx, workspace_id: i64, calendar: &CalendarRow, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO workspace_calendars (workspace_id, time_zone, work_days, work_hours, holidays, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id) DO UPDATE SET time_zone = excluded.time_zone, \
         work_days = excluded.work_days, work_hours = excluded.work_hours, holidays = excluded.holidays, \
         updated_at = excluded.updated_at",
        &params![
            workspace_id,
            calendar.time_zone.as_str(),
            calendar.work_days.clone(),
            calendar.work_hours.clone(),
            calendar.holidays.clone(),
            now
        ],
    )
    .await?;
    Ok(())
}

/// [`get`] inside a command's transaction.
pub async fn get_in(tx: &mut Tx, workspace_id: i64) -> Result<Option<CalendarRow>> {
    let row = tx.fetch_optional(SELECT, &params![workspace_id]).await?;
    row.as_ref().map(from_row).transpose()
}
