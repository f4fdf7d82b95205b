//! The workspace calendar as commands: read it (the default while none is stored), change it,
//! and add a country's national holidays for a year.

use enspace_domain::{
    calendar::{national_holidays, Calendar, WireParts},
    time::now_ms,
};
use enspace_store::{calendars::CalendarRow, Db, StoreError, Tx};

#[derive(Debug)]
pub enum CalendarError {
    /// A holiday sync for a country whose holidays are not known here.
    UnknownCountry(String),
    /// The stored calendar no longer reads (a zone the bundled database dropped): a bug or a
    /// hand-edited row, never the client's.
    Stored(String),
    Store(StoreError),
}

impl From<StoreError> for CalendarError {
    fn from(e: StoreError) -> Self {
        CalendarError::Store(e)
    }
}

/// The workspace's calendar.
pub async fn get(db: &Db, workspace_id: i64) -> Result<Calendar, CalendarError> {
    read(workspace_id, enspace_store::calendars::get(db, workspace_id).await?)
}

/// The workspace's calendar, read in a command's transaction. A stored calendar that no longer
/// reads falls back to the default rather than failing the write that needs a due date (it is
/// logged: a bug or a hand-edited row).
pub async fn get_in(tx: &mut Tx, workspace_id: i64) -> Result<Calendar, StoreError> {
    Ok(stored_or_default(workspace_id, enspace_store::calendars::get_in(tx, workspace_id).await?))
}

/// A calendar row a command read with something else ([`get_in`]'s fallback).
pub(crate) fn stored_or_default(workspace_id: i64, row: Option<CalendarRow>) -> Calendar {
    read(workspace_id, row).unwrap_or_else(|e| {
        tracing::error!(error = ?e, "a stored calendar does not read; using the default");
        Calendar::default()
    })
}

fn read(workspace_id: i64, row: Option<CalendarRow>) -> Result<Calendar, CalendarError> {
    let Some(row) = row else { return Ok(Calendar::default()) };
    let parts = WireParts {
        time_zone: row.time_zone,
        work_days: row.work_days,
        work_hours: row.work_hours,
        holidays: row.holidays,
    };
    Calendar::from_wire(&parts).map_err(|details| {
        let problems: Vec<String> = details.iter().map(|d| format!("{}: {}", d.path, d.message)).collect();
        CalendarError::Stored(format!("workspace {workspace_id}'s calendar: {}", problems.join("; ")))
    })
}

/// Stores `calendar` (checked) as the workspace's. Due dates already set do not move (decision 50).
pub async fn put(db: &Db, workspace_id: i64, calendar: &Calendar) -> Result<(), StoreError> {
    let wire = calendar.to_wire();
    let row = CalendarRow {
        time_zone: wire.time_zone,
        work_days: wire.work_days,
        work_hours: wire.work_hours,
        holidays: wire.holidays,
    };
    let mut tx = db.begin().await?;
    enspace_store::calendars::put(&mut tx, workspace_id, &row, now_ms()).await?;
    tx.commit().await
}

/// Adds `country`'s national holidays of `year` to the workspace's calendar (an existing date
/// keeps its name); answers the calendar.
pub async fn sync_holidays(db: &Db, workspace_id: i64, country: &str, year: i16) -> Result<Calendar, CalendarError> {
    let found = national_holidays(country, year).map_err(CalendarError::UnknownCountry)?;
    let mut calendar = get(db, workspace_id).await?;
    calendar.add_holidays(found);
    put(db, workspace_id, &calendar).await?;
    Ok(calendar)
}
