//! The workspace calendar and due dates (spec/flows-and-tasks.md § Due dates, decisions 24 and
//! 49–52): a time zone, working weekdays, working hours and holidays, and the SLA arithmetic
//! that fixes a task's `due_date` when the task is created.
//!
//! Instants are milliseconds since the epoch (as everywhere in the store); local dates and times
//! are the calendar's zone's. `hours` is elapsed time; `days` and `workDays` keep the base's
//! local wall-clock time, a nonexistent local time moving forward by the gap and a repeated one
//! taking the earlier instant (Temporal's "compatible", decision 52); `workHours` counts local
//! minutes inside the working intervals of working days.

use jiff::{
    civil::{Date, DateTime, Time, Weekday},
    tz::TimeZone,
    Timestamp, ToSpan,
};
use serde_json::{json, Value};

use crate::Detail;

/// A new workspace's zone [ours]: the product's market.
pub const DEFAULT_TIME_ZONE: &str = "America/Sao_Paulo";
/// How far a working-day search looks before giving up (decision 24).
const SEARCH_DAYS: i64 = 3 * 366;

/// A local working interval, `start` before `end`, both within one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: Time,
    pub end: Time,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    pub time_zone: TimeZone,
    /// ISO weekday numbers, 1 = Monday … 7 = Sunday.
    pub work_days: Vec<i8>,
    /// Ordered, non-overlapping.
    pub work_hours: Vec<Interval>,
    pub holidays: Vec<Holiday>,
}

impl Default for Calendar {
    /// São Paulo, Monday to Friday, 09:00–18:00, no holidays [ours: the product starts with no
    /// working day, which makes every working-day SLA endless].
    fn default() -> Self {
        Calendar {
            time_zone: TimeZone::get(DEFAULT_TIME_ZONE).expect("the bundled tz database has São Paulo"),
            work_days: vec![1, 2, 3, 4, 5],
            work_hours: vec![Interval { start: Time::constant(9, 0, 0, 0), end: Time::constant(18, 0, 0, 0) }],
            holidays: Vec::new(),
        }
    }
}

/// How an SLA counts [wire values].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaType {
    Hours,
    Days,
    WorkDays,
    /// [ours] hours inside the working intervals.
    WorkHours,
}

impl SlaType {
    pub const VALUES: [&'static str; 4] = ["hours", "days", "workDays", "workHours"];

    pub fn parse(text: &str) -> Option<SlaType> {
        match text {
            "hours" => Some(SlaType::Hours),
            "days" => Some(SlaType::Days),
            "workDays" => Some(SlaType::WorkDays),
            "workHours" => Some(SlaType::WorkHours),
            _ => None,
        }
    }
}

/// Where an SLA counts from [wire values].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaOrigin {
    TaskCreated,
    ItemCreated,
    /// The item's date field `sla_field`.
    Field,
}

impl SlaOrigin {
    pub const VALUES: [&'static str; 3] = ["task_created", "item_created", "field"];

    pub fn parse(text: &str) -> Option<SlaOrigin> {
        match text {
            "task_created" => Some(SlaOrigin::TaskCreated),
            "item_created" => Some(SlaOrigin::ItemCreated),
            "field" => Some(SlaOrigin::Field),
            _ => None,
        }
    }

    /// The instant an SLA counts from: the task's creation, the item's, or the date field's value
    /// (`None` when it is empty: the task then has no due date).
    pub fn base(self, task_created: i64, item_created: i64, field: Option<i64>) -> Option<i64> {
        match self {
            SlaOrigin::TaskCreated => Some(task_created),
            SlaOrigin::ItemCreated => Some(item_created),
            SlaOrigin::Field => field,
        }
    }
}

impl Calendar {
    /// A calendar from its parts, checked: a known IANA zone, at least one working weekday
    /// (1–7, each once), ordered non-overlapping intervals, holidays on distinct dates, and a
    /// working day within the search window of any date (decisions 24 and 49). The error names
    /// the part and what is wrong with it.
    pub fn new(
        time_zone: &str,
        work_days: Vec<i8>,
        work_hours: Vec<Interval>,
        holidays: Vec<Holiday>,
    ) -> Result<Calendar, (&'static str, String)> {
        let zone = TimeZone::get(time_zone)
            .map_err(|_| ("time_zone", format!("expected an IANA time zone name, got {time_zone:?}")))?;
        if work_days.is_empty() {
            return Err(("work_days", "expected at least one working weekday".into()));
        }
        for (i, day) in work_days.iter().enumerate() {
            if !(1..=7).contains(day) {
                return Err(("work_days", format!("expected ISO weekdays 1 (Monday) to 7 (Sunday), got {day}")));
            }
            if work_days[..i].contains(day) {
                return Err(("work_days", format!("weekday {day} is listed twice")));
            }
        }
        if work_hours.is_empty() {
            return Err(("work_hours", "expected at least one working interval".into()));
        }
        for (i, interval) in work_hours.iter().enumerate() {
            if interval.start >= interval.end {
                return Err(("work_hours", format!("interval {i} ends before it starts")));
            }
            if i > 0 && work_hours[i - 1].end > interval.start {
                return Err(("work_hours", format!("interval {i} overlaps or precedes the one before")));
            }
        }
        for (i, holiday) in holidays.iter().enumerate() {
            if holidays[..i].iter().any(|h| h.date == holiday.date) {
                return Err(("holidays", format!("{} is listed twice", holiday.date)));
            }
        }
        let calendar = Calendar { time_zone: zone, work_days, work_hours, holidays };
        // Holidays are finite, so only a list covering years of working days could starve the
        // search: refuse it rather than leave SLAs without a due date.
        for holiday in &calendar.holidays {
            if calendar.next_working_day(holiday.date).is_none() {
                return Err(("holidays", "leave no working day for three years".into()));
            }
        }
        Ok(calendar)
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        let weekday = date.weekday().to_monday_one_offset();
        self.work_days.contains(&weekday) && !self.holidays.iter().any(|h| h.date == date)
    }

    /// `date` if it is a working day, else the next one (within the search window).
    fn next_working_day(&self, date: Date) -> Option<Date> {
        (0..SEARCH_DAYS).filter_map(|n| date.checked_add(n.days()).ok()).find(|d| self.is_working_day(*d))
    }

    fn local(&self, at: i64) -> Option<DateTime> {
        Some(Timestamp::from_millisecond(at).ok()?.to_zoned(self.time_zone.clone()).datetime())
    }

    fn instant(&self, local: DateTime) -> Option<i64> {
        Some(local.to_zoned(self.time_zone.clone()).ok()?.timestamp().as_millisecond())
    }

    /// A zone-less date-time (`YYYY-MM-DDTHH:MM[:SS[.mmm]]`) read in the calendar's zone, as
    /// an instant; a nonexistent or repeated local time as decision 52 says.
    pub fn local_instant(&self, text: &str) -> Option<i64> {
        let local: DateTime = text.parse().ok()?;
        if text.len() < 16 {
            return None;
        }
        self.instant(local)
    }

    /// An instant as the calendar's local `YYYY-MM-DD HH:MM` (for text people read).
    pub fn local_text(&self, at: i64) -> Option<String> {
        Some(self.local(at)?.strftime("%Y-%m-%d %H:%M").to_string())
    }

    /// The due date of an SLA of `sla` units of `kind` from `base`; `None` when there is no
    /// SLA (or no base, or no working day within the search window).
    pub fn due_date(&self, base: Option<i64>, sla: Option<f64>, kind: SlaType) -> Option<i64> {
        let (base, sla) = (base?, sla?);
        if !sla.is_finite() || sla < 0.0 {
            return None;
        }
        match kind {
            SlaType::Hours => Some(base + (sla * 3_600_000.0).round() as i64),
            SlaType::Days => {
                let local = self.local(base)?;
                self.instant(local.checked_add((sla.round() as i64).days()).ok()?)
            }
            SlaType::WorkDays => {
                let local = self.local(base)?;
                let mut date = local.date();
                let wanted = sla.round() as i64;
                if wanted == 0 {
                    date = self.next_working_day(date)?;
                } else {
                    let mut counted = 0;
                    for _ in 0..SEARCH_DAYS {
                        date = date.tomorrow().ok()?;
                        if self.is_working_day(date) {
                            counted += 1;
                            if counted == wanted {
                                break;
                            }
                        }
                    }
                    if counted < wanted {
                        return None;
                    }
                }
                self.instant(date.to_datetime(local.time()))
            }
            SlaType::WorkHours => self.add_work_minutes(base, (sla * 60.0).round() as i64),
        }
    }

    /// `minutes` of working time after `base`: counted inside the working intervals of working
    /// days, starting at the next working interval when `base` is outside one.
    fn add_work_minutes(&self, base: i64, minutes: i64) -> Option<i64> {
        let seconds_of = |t: Time| i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second());
        let local = self.local(base)?;
        let mut left = minutes * 60;
        let mut date = local.date();
        for day in 0..SEARCH_DAYS {
            if self.is_working_day(date) {
                for interval in &self.work_hours {
                    let from = if day == 0 { interval.start.max(local.time()) } else { interval.start };
                    let available = seconds_of(interval.end) - seconds_of(from);
                    if available <= 0 {
                        continue;
                    }
                    if left <= available {
                        let end = from.checked_add(left.seconds()).ok()?;
                        return self.instant(date.to_datetime(end));
                    }
                    left -= available;
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

/// A calendar's parts as JSON [ours wire shape]: `work_days` ISO weekday numbers,
/// `work_hours` `[{start, end}]` as `HH:MM`, `holidays` `[{date, name}]` with `YYYY-MM-DD`.
/// What `GET /ws/calendar` answers and what the store keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct WireParts {
    pub time_zone: String,
    pub work_days: Value,
    pub work_hours: Value,
    pub holidays: Value,
}

impl Calendar {
    pub fn to_wire(&self) -> WireParts {
        let hm = |t: Time| format!("{:02}:{:02}", t.hour(), t.minute());
        WireParts {
            time_zone: self.time_zone.iana_name().unwrap_or(DEFAULT_TIME_ZONE).to_string(),
            work_days: json!(self.work_days),
            work_hours: Value::Array(
                self.work_hours.iter().map(|i| json!({ "start": hm(i.start), "end": hm(i.end) })).collect(),
            ),
            holidays: Value::Array(
                self.holidays.iter().map(|h| json!({ "date": h.date.to_string(), "name": h.name })).collect(),
            ),
        }
    }

    /// A calendar from its wire parts, every problem reported with its path.
    pub fn from_wire(parts: &WireParts) -> Result<Calendar, Vec<Detail>> {
        let mut details = Vec::new();
        let work_days = match parts.work_days.as_array() {
            Some(days) => days
                .iter()
                .enumerate()
                .filter_map(|(i, d)| match d.as_i64().and_then(|d| i8::try_from(d).ok()) {
                    Some(d) => Some(d),
                    None => {
                        details.push(Detail::new(
                            format!("work_days[{i}]"),
                            format!("expected a weekday number, got {d}"),
                        ));
                        None
                    }
                })
                .collect(),
            None => {
                details.push(Detail::new("work_days", "expected a list of ISO weekday numbers (1 = Monday)"));
                Vec::new()
            }
        };
        let time = |value: &Value| -> Option<Time> {
            let text = value.as_str()?;
            let (h, m) = text.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
        };
        let mut work_hours = Vec::new();
        match parts.work_hours.as_array() {
            Some(list) => {
                for (i, interval) in list.iter().enumerate() {
                    let mut bound = |key: &str| {
                        let found = interval.get(key).and_then(time);
                        if found.is_none() {
                            details.push(Detail::new(format!("work_hours[{i}].{key}"), "expected a local time HH:MM"));
                        }
                        found
                    };
                    if let (Some(start), Some(end)) = (bound("start"), bound("end")) {
                        work_hours.push(Interval { start, end });
                    }
                }
            }
            None => details.push(Detail::new("work_hours", "expected a list of {start, end} intervals")),
        }
        let mut holidays = Vec::new();
        match parts.holidays.as_array() {
            Some(list) => {
                for (i, holiday) in list.iter().enumerate() {
                    let date = holiday.get("date").and_then(Value::as_str).and_then(|d| d.parse::<Date>().ok());
                    let name = holiday.get("name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
                    match date {
                        None => details.push(Detail::new(format!("holidays[{i}].date"), "expected a date YYYY-MM-DD")),
                        Some(_) if name.is_empty() || name.chars().count() > 100 => details
                            .push(Detail::new(format!("holidays[{i}].name"), "expected a name of 1 to 100 characters")),
                        Some(date) => holidays.push(Holiday { date, name: name.to_string() }),
                    }
                }
            }
            None => details.push(Detail::new("holidays", "expected a list of {date, name}")),
        }
        if !details.is_empty() {
            return Err(details);
        }
        holidays.sort_by_key(|h| h.date);
        Calendar::new(&parts.time_zone, work_days, work_hours, holidays)
            .map_err(|(path, message)| vec![Detail::new(path, message)])
    }

    /// Adds `found` holidays whose dates it does not have yet; an existing date keeps its name
    /// (decision 51).
    pub fn add_holidays(&mut self, found: Vec<Holiday>) {
        for holiday in found {
            if !self.holidays.iter().any(|h| h.date == holiday.date) {
                self.holidays.push(holiday);
            }
        }
        self.holidays.sort_by_key(|h| h.date);
    }
}

/// Countries whose national holidays `holidays/sync` computes (decision 51).
pub const HOLIDAY_COUNTRIES: [&str; 2] = ["BR", "US"];

/// A country's national holidays of `year`, computed locally (never fetched): Brazil's fixed
/// holidays (Consciência Negra from 2024, Law 14.759/2023) with the movable ones the spec names
/// — Carnival (Monday and Tuesday), Good Friday and Corpus Christi — and the United States'
/// eleven federal holidays on their own dates (not the weekday they are observed on).
pub fn national_holidays(country: &str, year: i16) -> Result<Vec<Holiday>, String> {
    let on = |month: i8, day: i8, name: &str| Holiday { date: Date::constant(year, month, day), name: name.into() };
    let mut out = match country {
        "BR" => {
            let easter = computus::gregorian(i32::from(year)).map_err(|_| format!("no Easter for year {year}"))?;
            let easter = Date::new(year, easter.month as i8, easter.day as i8).map_err(|e| e.to_string())?;
            let from_easter = |days: i64, name: &str| -> Result<Holiday, String> {
                Ok(Holiday { date: easter.checked_add(days.days()).map_err(|e| e.to_string())?, name: name.into() })
            };
            let mut list = vec![
                on(1, 1, "Confraternização Universal"),
                from_easter(-48, "Carnaval (segunda-feira)")?,
                from_easter(-47, "Carnaval")?,
                from_easter(-2, "Sexta-feira Santa")?,
                on(4, 21, "Tiradentes"),
                on(5, 1, "Dia do Trabalho"),
                from_easter(60, "Corpus Christi")?,
                on(9, 7, "Independência do Brasil"),
                on(10, 12, "Nossa Senhora Aparecida"),
                on(11, 2, "Finados"),
                on(11, 15, "Proclamação da República"),
                on(12, 25, "Natal"),
            ];
            if year >= 2024 {
                list.push(on(11, 20, "Dia Nacional de Zumbi e da Consciência Negra"));
            }
            list
        }
        "US" => {
            let nth = |month: i8, weekday: Weekday, n: i8, name: &str| -> Result<Holiday, String> {
                let date =
                    Date::constant(year, month, 1).nth_weekday_of_month(n, weekday).map_err(|e| e.to_string())?;
                Ok(Holiday { date, name: name.into() })
            };
            let mut list = vec![
                on(1, 1, "New Year's Day"),
                nth(1, Weekday::Monday, 3, "Birthday of Martin Luther King, Jr.")?,
                nth(2, Weekday::Monday, 3, "Washington's Birthday")?,
                nth(5, Weekday::Monday, -1, "Memorial Day")?,
                on(7, 4, "Independence Day"),
                nth(9, Weekday::Monday, 1, "Labor Day")?,
                nth(10, Weekday::Monday, 2, "Columbus Day")?,
                on(11, 11, "Veterans Day"),
                nth(11, Weekday::Thursday, 4, "Thanksgiving Day")?,
                on(12, 25, "Christmas Day"),
            ];
            if year >= 2021 {
                list.push(on(6, 19, "Juneteenth National Independence Day"));
            }
            list
        }
        other => return Err(format!("expected a supported country ({}), got {other:?}", HOLIDAY_COUNTRIES.join(", "))),
    };
    out.sort_by_key(|h| h.date);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn at(ms: i64) -> String {
        Timestamp::from_millisecond(ms).unwrap().to_string()
    }

    fn sao_paulo(holidays: &[(i16, i8, i8)]) -> Calendar {
        let holidays =
            holidays.iter().map(|(y, m, d)| Holiday { date: Date::constant(*y, *m, *d), name: "x".into() }).collect();
        Calendar::new(DEFAULT_TIME_ZONE, vec![1, 2, 3, 4, 5], Calendar::default().work_hours, holidays).unwrap()
    }

    #[test]
    fn each_origin_gives_its_base_and_an_empty_field_none() {
        assert_eq!(SlaOrigin::TaskCreated.base(1, 2, Some(3)), Some(1));
        assert_eq!(SlaOrigin::ItemCreated.base(1, 2, Some(3)), Some(2));
        assert_eq!(SlaOrigin::Field.base(1, 2, Some(3)), Some(3));
        assert_eq!(SlaOrigin::Field.base(1, 2, None), None);
        let cal = Calendar::default();
        for kind in [SlaType::Hours, SlaType::Days, SlaType::WorkDays, SlaType::WorkHours] {
            assert_eq!(cal.due_date(SlaOrigin::Field.base(1, 2, None), Some(4.0), kind), None, "{kind:?}");
            assert_eq!(cal.due_date(Some(1), None, kind), None, "no SLA, no due date: {kind:?}");
        }
        assert_eq!(SlaOrigin::parse("field"), Some(SlaOrigin::Field));
        assert_eq!(SlaType::parse("workDays"), Some(SlaType::WorkDays));
        assert_eq!(SlaType::parse("weeks"), None);
    }

    #[test]
    fn hours_and_days() {
        let cal = Calendar::default();
        // Friday 2026-11-27 15:30 in São Paulo (UTC-3).
        let base = ms("2026-11-27T18:30:00Z");
        assert_eq!(at(cal.due_date(Some(base), Some(4.0), SlaType::Hours).unwrap()), "2026-11-27T22:30:00Z");
        assert_eq!(at(cal.due_date(Some(base), Some(0.5), SlaType::Hours).unwrap()), "2026-11-27T19:00:00Z");
        // Calendar days count weekends.
        assert_eq!(at(cal.due_date(Some(base), Some(2.0), SlaType::Days).unwrap()), "2026-11-29T18:30:00Z");
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Friday 2026-11-27 15:30; Monday 30 is a holiday here.
        let cal = sao_paulo(&[(2026, 11, 30)]);
        let base = Some(ms("2026-11-27T18:30:00Z"));
        assert_eq!(at(cal.due_date(base, Some(1.0), SlaType::WorkDays).unwrap()), "2026-12-01T18:30:00Z");
        assert_eq!(at(cal.due_date(base, Some(3.0), SlaType::WorkDays).unwrap()), "2026-12-03T18:30:00Z");
        // Zero: the base when it is a working day, else the next working day at the same time.
        assert_eq!(at(cal.due_date(base, Some(0.0), SlaType::WorkDays).unwrap()), "2026-11-27T18:30:00Z");
        let saturday = Some(ms("2026-11-28T13:00:00Z"));
        assert_eq!(at(cal.due_date(saturday, Some(0.0), SlaType::WorkDays).unwrap()), "2026-12-01T13:00:00Z");
        assert!(cal.is_working_day(Date::constant(2026, 12, 1)));
        assert!(!cal.is_working_day(Date::constant(2026, 11, 30)));
        assert!(!cal.is_working_day(Date::constant(2026, 11, 29)));
    }

    #[test]
    fn working_hours_count_inside_the_intervals() {
        let intervals = vec![
            Interval { start: Time::constant(9, 0, 0, 0), end: Time::constant(12, 0, 0, 0) },
            Interval { start: Time::constant(13, 0, 0, 0), end: Time::constant(18, 0, 0, 0) },
        ];
        let cal = Calendar::new(DEFAULT_TIME_ZONE, vec![1, 2, 3, 4, 5], intervals, Vec::new()).unwrap();
        // Friday 11:00 local + 3 h: one before lunch, two after.
        let friday_11 = Some(ms("2026-11-27T14:00:00Z"));
        assert_eq!(at(cal.due_date(friday_11, Some(3.0), SlaType::WorkHours).unwrap()), "2026-11-27T18:00:00Z");
        // Friday 17:00 + 2 h: one on Friday, one on Monday from 09:00.
        let friday_17 = Some(ms("2026-11-27T20:00:00Z"));
        assert_eq!(at(cal.due_date(friday_17, Some(2.0), SlaType::WorkHours).unwrap()), "2026-11-30T13:00:00Z");
        // Saturday night + 30 min: from Monday's first interval.
        let saturday = Some(ms("2026-11-29T01:00:00Z"));
        assert_eq!(at(cal.due_date(saturday, Some(0.5), SlaType::WorkHours).unwrap()), "2026-11-30T12:30:00Z");
    }

    #[test]
    fn days_keep_the_wall_clock_across_daylight_saving() {
        // New York springs forward on 2026-03-08 at 02:00 (EST UTC-5 → EDT UTC-4).
        let cal = Calendar::new("America/New_York", vec![1, 2, 3, 4, 5, 6, 7], Calendar::default().work_hours, vec![])
            .unwrap();
        let saturday_9am = Some(ms("2026-03-07T14:00:00Z"));
        // One calendar day later is 09:00 local again: 23 elapsed hours.
        assert_eq!(at(cal.due_date(saturday_9am, Some(1.0), SlaType::Days).unwrap()), "2026-03-08T13:00:00Z");
        assert_eq!(at(cal.due_date(saturday_9am, Some(1.0), SlaType::WorkDays).unwrap()), "2026-03-08T13:00:00Z");
        // Hours are elapsed time.
        assert_eq!(at(cal.due_date(saturday_9am, Some(24.0), SlaType::Hours).unwrap()), "2026-03-08T14:00:00Z");
        // 02:30 does not exist on the 8th: it moves forward by the gap, to 03:30 EDT.
        let saturday_230 = Some(ms("2026-03-07T07:30:00Z"));
        assert_eq!(at(cal.due_date(saturday_230, Some(1.0), SlaType::Days).unwrap()), "2026-03-08T07:30:00Z");
        // Falling back on 2026-11-01: 01:30 happens twice, the earlier (EDT) is taken.
        let saturday_130 = Some(ms("2026-10-31T05:30:00Z"));
        assert_eq!(at(cal.due_date(saturday_130, Some(1.0), SlaType::Days).unwrap()), "2026-11-01T05:30:00Z");
    }

    #[test]
    fn bad_calendars_are_refused_by_part() {
        let hours = Calendar::default().work_hours;
        let refused =
            |zone: &str, days: Vec<i8>, hours: Vec<Interval>| Calendar::new(zone, days, hours, vec![]).unwrap_err().0;
        assert_eq!(refused("Mars/Olympus", vec![1], hours.clone()), "time_zone");
        assert_eq!(refused(DEFAULT_TIME_ZONE, vec![], hours.clone()), "work_days");
        assert_eq!(refused(DEFAULT_TIME_ZONE, vec![8], hours.clone()), "work_days");
        assert_eq!(refused(DEFAULT_TIME_ZONE, vec![1, 1], hours.clone()), "work_days");
        let backwards = vec![Interval { start: Time::constant(18, 0, 0, 0), end: Time::constant(9, 0, 0, 0) }];
        assert_eq!(refused(DEFAULT_TIME_ZONE, vec![1], backwards), "work_hours");
        let twice = vec![Holiday { date: Date::constant(2026, 1, 1), name: "a".into() }; 2];
        assert_eq!(Calendar::new(DEFAULT_TIME_ZONE, vec![1], hours, twice).unwrap_err().0, "holidays");
    }

    #[test]
    fn brazils_national_holidays_for_2026_and_2027() {
        let list = |year| -> Vec<String> {
            national_holidays("BR", year).unwrap().iter().map(|h| format!("{} {}", h.date, h.name)).collect()
        };
        assert_eq!(
            list(2026),
            [
                "2026-01-01 Confraternização Universal",
                "2026-02-16 Carnaval (segunda-feira)",
                "2026-02-17 Carnaval",
                "2026-04-03 Sexta-feira Santa",
                "2026-04-21 Tiradentes",
                "2026-05-01 Dia do Trabalho",
                "2026-06-04 Corpus Christi",
                "2026-09-07 Independência do Brasil",
                "2026-10-12 Nossa Senhora Aparecida",
                "2026-11-02 Finados",
                "2026-11-15 Proclamação da República",
                "2026-11-20 Dia Nacional de Zumbi e da Consciência Negra",
                "2026-12-25 Natal",
            ]
        );
        assert_eq!(
            list(2027),
            [
                "2027-01-01 Confraternização Universal",
                "2027-02-08 Carnaval (segunda-feira)",
                "2027-02-09 Carnaval",
                "2027-03-26 Sexta-feira Santa",
                "2027-04-21 Tiradentes",
                "2027-05-01 Dia do Trabalho",
                "2027-05-27 Corpus Christi",
                "2027-09-07 Independência do Brasil",
                "2027-10-12 Nossa Senhora Aparecida",
                "2027-11-02 Finados",
                "2027-11-15 Proclamação da República",
                "2027-11-20 Dia Nacional de Zumbi e da Consciência Negra",
                "2027-12-25 Natal",
            ]
        );
        assert_eq!(national_holidays("BR", 2023).unwrap().len(), 12, "Consciência Negra is national from 2024");
    }

    #[test]
    fn us_federal_holidays_and_unknown_countries() {
        let dates: Vec<String> = national_holidays("US", 2026).unwrap().iter().map(|h| h.date.to_string()).collect();
        assert_eq!(
            dates,
            [
                "2026-01-01",
                "2026-01-19",
                "2026-02-16",
                "2026-05-25",
                "2026-06-19",
                "2026-07-04",
                "2026-09-07",
                "2026-10-12",
                "2026-11-11",
                "2026-11-26",
                "2026-12-25"
            ]
        );
        assert_eq!(national_holidays("AR", 2026).unwrap_err(), "expected a supported country (BR, US), got \"AR\"");
    }

    #[test]
    fn the_wire_parts_round_trip_and_name_each_problem() {
        let calendar = Calendar::default();
        let wire = calendar.to_wire();
        assert_eq!(
            (wire.time_zone.as_str(), &wire.work_days, &wire.work_hours, &wire.holidays),
            ("America/Sao_Paulo", &json!([1, 2, 3, 4, 5]), &json!([{ "start": "09:00", "end": "18:00" }]), &json!([]))
        );
        assert_eq!(Calendar::from_wire(&wire).unwrap().to_wire(), wire);
        let bad = WireParts {
            time_zone: DEFAULT_TIME_ZONE.into(),
            work_days: json!([1, "x"]),
            work_hours: json!([{ "start": "9", "end": "18:00" }]),
            holidays: json!([{ "date": "2026-02-30", "name": "x" }, { "date": "2026-12-25", "name": "" }]),
        };
        let paths: Vec<String> = Calendar::from_wire(&bad).unwrap_err().into_iter().map(|d| d.path).collect();
        assert_eq!(paths, ["work_days[1]", "work_hours[0].start", "holidays[0].date", "holidays[1].name"]);
        let mut calendar = sao_paulo(&[(2026, 12, 25)]);
        calendar.add_holidays(national_holidays("BR", 2026).unwrap());
        assert_eq!(calendar.holidays.len(), 13);
        assert_eq!(calendar.holidays.iter().find(|h| h.date == Date::constant(2026, 12, 25)).unwrap().name, "x");
    }
}
