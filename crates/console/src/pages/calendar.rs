//! The workspace calendar: the Agenda (a month of due dates, days shaded by the calendar) and
//! the calendar's settings — time zone, working days and hours, holidays, and the holiday
//! sync (console-design §4.4.11). Reads and writes go through the API's own
//! `routes::calendar::{get, update, sync}`, and the due dates through the task readers.

use askama::Template;
use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
};
use enspace_api::{
    extract::QueryPairs,
    routes::{
        calendar::{self, CalendarInput, CalendarView, SyncInput},
        quick_tasks,
        schedule_tasks::{Listing, Tasks},
    },
    AppState,
};
use enspace_domain::{
    time::{format_ms, parse_instant},
    Detail,
};
use jiff::{civil, tz::TimeZone, ToSpan};
use serde_json::{json, Value};

use super::{auth::query_value, form_refusal, render, see_other, tasks::open_pairs, Page, Problem, Problems};
use crate::{
    context::{ConsoleWs, WsPosted},
    errors::{ConsoleError, PageResult},
    i18n::work::Work,
};

/// How the calendar counts a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayKind {
    Work,
    Rest,
    Holiday,
}

/// One day of a month grid.
pub(crate) struct Day {
    pub date: civil::Date,
    /// Whether it belongs to the month shown (the grid's first and last weeks spill over).
    pub in_month: bool,
    pub kind: DayKind,
    pub holiday: String,
    pub entries: Vec<Entry>,
}

impl Day {
    pub(crate) fn class(&self) -> &'static str {
        match (self.in_month, self.kind) {
            (false, _) => "outside",
            (true, DayKind::Work) => "work",
            (true, DayKind::Rest) => "rest",
            (true, DayKind::Holiday) => "holiday",
        }
    }

    pub(crate) fn label(&self, w: &Work) -> &'static str {
        match self.kind {
            DayKind::Work => w.work_day,
            DayKind::Rest => w.non_work_day,
            DayKind::Holiday => w.holiday,
        }
    }
}

/// Something due on a day.
pub(crate) struct Entry {
    pub href: String,
    pub name: String,
    pub time: String,
    pub late: bool,
}

/// The weeks (Monday first) that hold `month`, each day shaded by the calendar: a holiday, a
/// working weekday, or a day off.
pub(crate) fn month_grid(first: civil::Date, calendar: &CalendarView) -> Vec<Vec<Day>> {
    let work_days: Vec<i64> =
        calendar.work_days.as_array().map(|d| d.iter().filter_map(Value::as_i64).collect()).unwrap_or_default();
    let holiday_of = |date: civil::Date| -> Option<String> {
        let text = date.to_string();
        calendar
            .holidays
            .as_array()?
            .iter()
            .find(|h| h["date"] == text.as_str())
            .map(|h| h["name"].as_str().unwrap_or_default().to_string())
    };
    let start = first.checked_sub(i64::from(first.weekday().to_monday_zero_offset()).days()).unwrap_or(first);
    let mut weeks = Vec::new();
    let mut day = start;
    loop {
        let mut week = Vec::with_capacity(7);
        for _ in 0..7 {
            let holiday = holiday_of(day);
            let kind = match &holiday {
                Some(_) => DayKind::Holiday,
                None if work_days.contains(&i64::from(day.weekday().to_monday_one_offset())) => DayKind::Work,
                None => DayKind::Rest,
            };
            week.push(Day {
                date: day,
                in_month: day.year() == first.year() && day.month() == first.month(),
                kind,
                holiday: holiday.unwrap_or_default(),
                entries: Vec::new(),
            });
            day = day.tomorrow().unwrap_or(day);
        }
        weeks.push(week);
        if day.year() != first.year() || day.month() != first.month() {
            break;
        }
    }
    weeks
}

/// The month a `?month=YYYY-MM` names, else the one of `today`.
fn month_of(query: Option<&str>, today: civil::Date) -> civil::Date {
    query_value(query, "month")
        .and_then(|m| format!("{m}-01").parse::<civil::Date>().ok())
        .unwrap_or_else(|| today.first_of_month())
}

#[derive(Template)]
#[template(path = "calendar/agenda.html")]
struct AgendaPage {
    page: Page,
    title: String,
    /// This month's address (the grid re-fetched from it when tasks change).
    here: String,
    prev: String,
    next: String,
    weeks: Vec<Vec<Day>>,
    weekdays: [&'static str; 7],
    empty: bool,
}

pub(crate) async fn agenda(State(state): State<AppState>, ws: ConsoleWs, RawQuery(query): RawQuery) -> PageResult {
    let ctx = &ws.ctx;
    let w = ws.caller.locale.msg().work;
    let view = calendar::get(&state, ctx).await?;
    let zone = TimeZone::get(&view.time_zone).unwrap_or(TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
    let first = month_of(query.as_deref(), today);
    let next_first = first.checked_add(1.month()).unwrap_or(first);
    let mut weeks = month_grid(first, &view);
    let start_of = |d: civil::Date| d.to_zoned(zone.clone()).map_or(0, |z| z.timestamp().as_millisecond());
    let (from, to) = (format_ms(start_of(first)), format_ms(start_of(next_first)));
    let range = |key: &str| vec![(format!("{key}_gte"), from.clone()), (format!("{key}_lt"), to.clone())];
    let base = format!("/app/w/{}", ctx.workspace.reference);
    let mut due: Vec<(i64, Entry)> = Vec::new();
    let now = enspace_domain::time::now_ms();
    // The member's open schedule tasks, and the quick tasks it sees, due this month.
    let tasks = Tasks::of(&state, ctx, Listing::InCharge).await?;
    let mut pairs = open_pairs();
    pairs.extend(range("due_date"));
    pairs.push(("_limit".to_string(), state.config.paging.max_limit.to_string()));
    for row in tasks.list(&state, ctx, &QueryPairs(pairs)).await? {
        let Some(at) = row.due_date.as_deref().and_then(parse_instant) else { continue };
        let name = format!("{} · {}", row.task_name, row.item_type_name);
        due.push((
            at,
            Entry { href: format!("{base}/tasks/scheduled/{}", row.id), name, time: String::new(), late: at < now },
        ));
    }
    let mut pairs = range("due_date");
    pairs.push(("status_ne".to_string(), "completed".to_string()));
    pairs.push(("_limit".to_string(), state.config.paging.max_limit.to_string()));
    for task in quick_tasks::list(&state, ctx, &QueryPairs(pairs)).await? {
        let Some(at) = task.due_date.as_deref().and_then(parse_instant) else { continue };
        due.push((
            at,
            Entry {
                href: format!("{base}/tasks/quick/{}", task.id),
                name: task.name,
                time: String::new(),
                late: at < now,
            },
        ));
    }
    due.sort_by_key(|(at, _)| *at);
    let empty = due.is_empty();
    for (at, mut entry) in due {
        let Ok(stamp) = jiff::Timestamp::from_millisecond(at) else { continue };
        let local = stamp.to_zoned(zone.clone());
        entry.time = local.strftime("%H:%M").to_string();
        if let Some(day) = weeks.iter_mut().flatten().find(|d| d.date == local.date()) {
            day.entries.push(entry);
        }
    }
    let link = |d: civil::Date| format!("{base}/calendar?month={}", d.strftime("%Y-%m"));
    let mut page = Page::signed_in(&ws.caller, w.agenda);
    page.nav = Some(ws.nav(&state).await?);
    let agenda = AgendaPage {
        page,
        title: w.month_title(first.year(), first.month()),
        here: link(first),
        prev: link(first.checked_sub(1.month()).unwrap_or(first)),
        next: link(next_first),
        weeks,
        weekdays: w.weekdays,
        empty,
    };
    render(StatusCode::OK, &agenda)
}

// ---- Calendar settings ----

struct HoursRow {
    start: String,
    end: String,
}

struct HolidayRow {
    date: String,
    name: String,
}

#[derive(Template)]
#[template(path = "calendar/settings.html")]
struct CalendarPage {
    page: Page,
    action: String,
    zones: Vec<String>,
    time_zone: String,
    work_days: Vec<(i64, &'static str, bool)>,
    hours: Vec<HoursRow>,
    holidays: Vec<HolidayRow>,
    problems: Problems,
    year: i16,
    weeks: Vec<Vec<Day>>,
    weekdays: [&'static str; 7],
    month_title: String,
}

/// Empty rows the form offers for new working hours and holidays.
const NEW_ROWS: usize = 2;

async fn calendar_page(state: &AppState, ws: &ConsoleWs, problems: Problems) -> Result<CalendarPage, ConsoleError> {
    // Every member reads the calendar (the API's GET); only a system manager gets its form.
    enspace_api::extract::workspace::allowed(
        &ws.ctx.access,
        &enspace_domain::access::Action::ManageSettings(enspace_domain::access::SettingsArea::System),
    )?;
    let w = ws.caller.locale.msg().work;
    let view = calendar::get(state, &ws.ctx).await?;
    let days: Vec<i64> =
        view.work_days.as_array().map(|d| d.iter().filter_map(Value::as_i64).collect()).unwrap_or_default();
    let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_string();
    let mut hours: Vec<HoursRow> = view
        .work_hours
        .as_array()
        .map(|l| l.iter().map(|h| HoursRow { start: text(h, "start"), end: text(h, "end") }).collect())
        .unwrap_or_default();
    hours.extend((0..NEW_ROWS).map(|_| HoursRow { start: String::new(), end: String::new() }));
    let mut holidays: Vec<HolidayRow> = view
        .holidays
        .as_array()
        .map(|l| l.iter().map(|h| HolidayRow { date: text(h, "date"), name: text(h, "name") }).collect())
        .unwrap_or_default();
    holidays.extend((0..NEW_ROWS).map(|_| HolidayRow { date: String::new(), name: String::new() }));
    let zone = TimeZone::get(&view.time_zone).unwrap_or(TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let mut zones: Vec<String> = jiff::tz::db().available().map(|name| name.to_string()).collect();
    zones.sort();
    let mut page = Page::signed_in(&ws.caller, w.work_days);
    page.nav = Some(ws.nav(state).await?);
    Ok(CalendarPage {
        page,
        action: format!("/app/w/{}/settings/calendar", ws.ctx.workspace.reference),
        zones,
        work_days: (1..=7).map(|d| (d, w.weekdays[(d - 1) as usize], days.contains(&d))).collect(),
        hours,
        holidays,
        problems,
        year: today.year(),
        weeks: month_grid(today.first_of_month(), &view),
        weekdays: w.weekdays,
        month_title: w.month_title(today.year(), today.month()),
        time_zone: view.time_zone,
    })
}

pub(crate) async fn settings(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    render(StatusCode::OK, &calendar_page(&state, &ws, Problems::default()).await?)
}

/// The engine's problems of the calendar, each labelled by its part.
fn calendar_problems(details: &[Detail], w: &Work) -> Problems {
    let label = |path: &str| {
        if path.starts_with("time_zone") {
            w.time_zone
        } else if path.starts_with("work_days") {
            w.work_days
        } else if path.starts_with("work_hours") {
            w.work_hours
        } else if path.starts_with("holidays") {
            w.holidays
        } else if path.starts_with("year") {
            w.year
        } else {
            w.country
        }
    };
    let list = details
        .iter()
        .map(|d| Problem {
            field: d.path.clone(),
            anchor: d.path.split(['.', '[']).next().unwrap_or("main").replace('_', "-"),
            label: label(&d.path).to_string(),
            message: d.message.clone(),
        })
        .collect();
    Problems { list }
}

/// Saves the whole form: the zone, the checked days, the hours and holidays rows filled in
/// (a holiday row marked for removal is left out).
pub(crate) async fn save(State(state): State<AppState>, posted: WsPosted) -> PageResult {
    let WsPosted { ws, form } = posted;
    let w = ws.caller.locale.msg().work;
    let all =
        |name: &str| form.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).collect::<Vec<_>>();
    let days: Vec<Value> = all("work_days").iter().filter_map(|d| d.parse::<i64>().ok()).map(Value::from).collect();
    let (starts, ends) = (all("hours_start"), all("hours_end"));
    let hours: Vec<Value> = starts
        .iter()
        .zip(ends.iter())
        .filter(|(s, e)| !s.is_empty() || !e.is_empty())
        .map(|(s, e)| json!({ "start": s, "end": e }))
        .collect();
    let (dates, names, removed) = (all("holiday_date"), all("holiday_name"), all("holiday_remove"));
    let holidays: Vec<Value> = dates
        .iter()
        .zip(names.iter())
        .filter(|(d, _)| !d.is_empty() && !removed.contains(d))
        .map(|(d, n)| json!({ "date": d, "name": n }))
        .collect();
    let input = CalendarInput {
        time_zone: form.get("time_zone").map(str::to_string),
        work_days: Some(Value::Array(days)),
        work_hours: Some(Value::Array(hours)),
        holidays: Some(Value::Array(holidays)),
    };
    match calendar::update(&state, &ws.ctx, input).await {
        Ok(_) => Ok(see_other(&format!("/app/w/{}/settings/calendar", ws.ctx.workspace.reference))),
        Err(error) => {
            let details = form_refusal(error)?;
            let page = calendar_page(&state, &ws, calendar_problems(&details, w)).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// Adds a country's national holidays of a year.
pub(crate) async fn sync(State(state): State<AppState>, posted: WsPosted) -> PageResult {
    let WsPosted { ws, form } = posted;
    let w = ws.caller.locale.msg().work;
    let year = form.get("year").and_then(|y| y.trim().parse::<i64>().ok());
    let input = SyncInput { country: form.get("country").map(str::to_string), year };
    match calendar::sync(&state, &ws.ctx, input).await {
        Ok(_) => Ok(see_other(&format!("/app/w/{}/settings/calendar", ws.ctx.workspace.reference))),
        Err(error) => {
            let details = form_refusal(error)?;
            let page = calendar_page(&state, &ws, calendar_problems(&details, w)).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(days: &[i64], holidays: Value) -> CalendarView {
        CalendarView { time_zone: "UTC".into(), work_days: json!(days), work_hours: json!([]), holidays }
    }

    #[test]
    fn a_month_grid_runs_monday_to_sunday_and_shades_each_day() {
        let view = calendar(&[1, 2, 3, 4, 5], json!([{ "date": "2026-12-25", "name": "Natal" }]));
        let first: civil::Date = "2026-12-01".parse().unwrap();
        let weeks = month_grid(first, &view);
        assert_eq!(weeks.len(), 5, "30 Nov – 3 Jan");
        assert_eq!(weeks[0][0].date.to_string(), "2026-11-30");
        assert!(!weeks[0][0].in_month && weeks[0][1].in_month);
        let christmas = weeks.iter().flatten().find(|d| d.date.to_string() == "2026-12-25").unwrap();
        assert_eq!(
            (christmas.kind, christmas.holiday.as_str(), christmas.class()),
            (DayKind::Holiday, "Natal", "holiday")
        );
        let saturday = weeks.iter().flatten().find(|d| d.date.to_string() == "2026-12-05").unwrap();
        assert_eq!(saturday.kind, DayKind::Rest);
        assert_eq!(weeks[4][6].date.to_string(), "2027-01-03");
        // A month that starts on a Monday starts the grid.
        let february: civil::Date = "2027-02-01".parse().unwrap();
        assert_eq!(month_grid(february, &view)[0][0].date, february);
    }

    #[test]
    fn the_month_comes_from_the_url_or_today() {
        let today: civil::Date = "2026-12-06".parse().unwrap();
        assert_eq!(month_of(Some("month=2027-03"), today).to_string(), "2027-03-01");
        assert_eq!(month_of(Some("month=nope"), today).to_string(), "2026-12-01");
        assert_eq!(month_of(None, today).to_string(), "2026-12-01");
    }
}
