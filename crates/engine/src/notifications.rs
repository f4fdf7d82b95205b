//! Deadline notifications as commands and jobs (spec/flows-and-tasks.md § Deadline
//! notifications; decisions 59–62).
//!
//! - Planning: a task with a due date gets a `deadline.notify` job at the moment of its next
//!   rule ([`plan`]; tasks due together share one), with a dedupe key so that planning twice
//!   is one job. Quick
//!   task commands plan on create and whenever the due date, status, archive or trash state
//!   changes; a flow plans the schedule tasks it makes (stage tasks with `notify: true`).
//! - Sending ([`Deadlines`]): the job re-reads the task. A task completed, removed, trashed or
//!   archived, a due date that changed, or a rule no longer in the settings sends nothing (the
//!   change planned anew, so nothing is "dropped" by hand). Otherwise it records the notice —
//!   whose key (task, rule, due date) makes a second run send nothing — queues one email per
//!   recipient through the outbox in the same transaction, and plans the next rule.
//! - Settings: changing the rules replans every open task in the background (`deadline.replan`),
//!   in batches; rules that were sent keep their notices.

use std::sync::Arc;

use enspace_domain::{
    access::{decide, Action},
    integrations::SENDGRID,
    jobs::DEFAULT_MAX_ATTEMPTS,
    notifications::{default_text, due_text, fill, next_rule, Filling, Rule, Settings, QUICK, SCHEDULED},
    stage_tasks::StageTaskDef,
    time::now_ms,
};
use enspace_store::{
    emails::NewEmail,
    jobs::{JobRecord, NewJob},
    notifications::Notice,
    quick_tasks::QuickTaskRecord,
    schedule_tasks::ScheduleTaskRecord,
    Db, StoreError, Tx,
};
use serde_json::{json, Map, Value};

use crate::jobs::{Handler, JobError, JobFuture};

pub const NOTIFY: &str = "deadline.notify";
pub const REPLAN: &str = "deadline.replan";
const REPLAN_BATCH: i64 = 500;

/// Stored settings as the domain reads them (the defaults when none or unreadable).
pub fn parsed(stored: Option<Value>) -> Settings {
    stored.and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default()
}

/// The workspace's settings (the defaults until changed).
pub async fn settings(db: &Db, workspace_id: i64) -> Result<Settings, StoreError> {
    Ok(parsed(enspace_store::notifications::get(db, workspace_id).await?))
}

async fn settings_in(tx: &mut Tx, workspace_id: i64) -> Result<Settings, StoreError> {
    Ok(parsed(enspace_store::notifications::get_in(tx, workspace_id).await?))
}

/// Whether the workspace has an active email integration now (`email_integration`).
pub async fn email_integration(db: &Db, workspace_id: i64) -> Result<bool, StoreError> {
    Ok(enspace_store::integrations::active_of_type(db, workspace_id, SENDGRID).await?.is_some())
}

/// Stores the settings and replans the open tasks in the background.
pub async fn update_settings(db: &Db, workspace_id: i64, settings: &Settings) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let stored = serde_json::to_value(settings).map_err(|e| StoreError::Decode(e.to_string()))?;
    enspace_store::notifications::put(&mut tx, workspace_id, stored, now).await?;
    let job = NewJob {
        workspace_id: Some(workspace_id),
        kind: REPLAN,
        payload: json!({}),
        run_at: now,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        dedupe_key: None,
    };
    enspace_store::jobs::enqueue(&mut tx, job, now).await?;
    tx.commit().await
}

/// Plans the next notification of each task `(id, due date)` of `kind`: the first rule whose
/// moment is after `not_before` and still ahead (decision 61: past moments are skipped).
/// Tasks whose next notification is the same rule at the same moment (a stage's tasks made
/// together, a replan's batch) share one job; each task's notice still goes once.
pub async fn plan(
    tx: &mut Tx,
    workspace_id: i64,
    kind: &str,
    tasks: &[(i64, i64)],
    rules: &[Rule],
    not_before: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    // (rule, due, moment) → tasks, in the order first met.
    type Moment<'r> = (&'r str, i64, i64);
    let mut groups: Vec<(Moment, Vec<i64>)> = Vec::new();
    for (task, due) in tasks {
        let Some((rule, at)) = next_rule(rules, *due, not_before, now) else { continue };
        let group = (rule.id.as_str(), *due, at);
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, ids)) => ids.push(*task),
            None => groups.push((group, vec![*task])),
        }
    }
    let keys: Vec<String> = groups
        .iter()
        .map(|((rule, due, _), ids)| {
            let (first, last) = (ids[0], ids[ids.len() - 1]);
            // Short: every key is an entry of the queue's unique index.
            let tag = if kind == QUICK { 'q' } else { 's' };
            format!("dl:{workspace_id}:{tag}:{rule}:{due}:{first}-{last}-{}", ids.len())
        })
        .collect();
    let jobs: Vec<NewJob> = groups
        .iter()
        .zip(&keys)
        .map(|(((rule, due, at), ids), key)| NewJob {
            workspace_id: Some(workspace_id),
            kind: NOTIFY,
            payload: json!({ "kind": kind, "tasks": ids, "rule": rule, "due": due }),
            run_at: *at,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            dedupe_key: Some(key),
        })
        .collect();
    enspace_store::jobs::enqueue_many(tx, &jobs, now).await
}

/// Plans a quick task's next notification, if it is open and has a due date.
pub async fn plan_quick_task(tx: &mut Tx, task: &QuickTaskRecord, now: i64) -> Result<(), StoreError> {
    let v = &task.values;
    let (Some(due), true) = (v.due_date, quick_open(task)) else { return Ok(()) };
    let rules = settings_in(tx, task.workspace_id).await?.rules(QUICK);
    plan(tx, task.workspace_id, QUICK, &[(task.id, due)], &rules, None, now).await
}

/// Plans new schedule tasks' notifications: `(id, due date)` of those whose stage task
/// notifies.
/// `settings`: the workspace's, when the caller read them with something else (an item
/// create's start plan); else they are read here.
pub async fn plan_schedule_tasks(
    tx: &mut Tx,
    workspace_id: i64,
    tasks: &[(i64, i64)],
    settings: Option<&Settings>,
    now: i64,
) -> Result<(), StoreError> {
    if tasks.is_empty() {
        return Ok(());
    }
    let rules = match settings {
        Some(settings) => settings.rules(SCHEDULED),
        None => settings_in(tx, workspace_id).await?.rules(SCHEDULED),
    };
    plan(tx, workspace_id, SCHEDULED, tasks, &rules, None, now).await
}

fn quick_open(task: &QuickTaskRecord) -> bool {
    task.values.status != "completed" && !task.values.archived && task.deleted_at.is_none()
}

/// Runs `deadline.notify` and `deadline.replan` jobs.
pub struct Deadlines {
    pub db: Db,
}

impl Handler for Deadlines {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(async move {
            let Some(workspace_id) = job.workspace_id else {
                return Err(JobError::Fatal("a deadline job names its workspace".into()));
            };
            if job.kind == REPLAN {
                return self.replan(workspace_id).await;
            }
            let payload = &job.payload;
            let tasks: Vec<i64> = payload["tasks"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
            let (Some(kind), Some(rule), Some(due)) =
                (payload["kind"].as_str(), payload["rule"].as_str(), payload["due"].as_i64())
            else {
                return Err(JobError::Fatal(format!("a deadline job without kind, tasks, rule or due: {payload}")));
            };
            self.notify(workspace_id, kind, &tasks, rule, due).await
        })
    }
}

/// Where a job's emails are written: the workspace, its calendar (its zone) and language.
struct Place {
    workspace_id: i64,
    calendar: enspace_domain::calendar::Calendar,
    language: String,
}

/// A task as a notification sees it.
struct Due {
    name: String,
    due: i64,
    /// Its item: (type id, reference).
    item: Option<(i64, String)>,
    /// Users to notify (members, resolved to the active ones at send time), their groups, and
    /// an outside address.
    users: Vec<i64>,
    groups: Vec<i64>,
    external: Option<String>,
}

impl Deadlines {
    /// Every open task of the workspace with a due date, planned again for the rules now in
    /// force, a batch per transaction.
    async fn replan(&self, workspace_id: i64) -> Result<(), JobError> {
        let settings = settings(&self.db, workspace_id).await?;
        let mut after = 0;
        loop {
            let batch =
                enspace_store::notifications::open_quick_tasks(&self.db, workspace_id, after, REPLAN_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            let mut tx = self.db.begin().await?;
            plan(&mut tx, workspace_id, QUICK, &batch, &settings.rules(QUICK), None, now_ms()).await?;
            tx.commit().await?;
        }
        let mut after = 0;
        loop {
            let batch =
                enspace_store::notifications::open_schedule_tasks(&self.db, workspace_id, after, REPLAN_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            let tasks: Vec<(i64, i64)> = batch.iter().filter(|t| t.2).map(|t| (t.0, t.1)).collect();
            let mut tx = self.db.begin().await?;
            plan(&mut tx, workspace_id, SCHEDULED, &tasks, &settings.rules(SCHEDULED), None, now_ms()).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    async fn notify(
        &self,
        workspace_id: i64,
        kind: &str,
        tasks: &[i64],
        rule_id: &str,
        due: i64,
    ) -> Result<(), JobError> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let rules = settings_in(&mut tx, workspace_id).await?.rules(kind);
        // The rules changed since: the replan that followed plans what applies now.
        let Some(rule) = rules.iter().find(|r| r.id == rule_id) else { return Ok(()) };
        let at = due.saturating_add(rule.offset_ms());
        let integrated = enspace_store::schedule_tasks::has_active_integration(&mut tx, workspace_id, SENDGRID).await?;
        // What every email of the job is written with, read once for its tasks.
        let place = if integrated {
            let calendar = crate::calendar::get_in(&mut tx, workspace_id).await?;
            let workspace = enspace_store::workspaces::get(&self.db, workspace_id).await?;
            let language = workspace.map(|w| w.language).unwrap_or_else(|| "pt".into());
            Some(Place { workspace_id, calendar, language })
        } else {
            None
        };
        let mut next = Vec::new();
        for &task_id in tasks {
            let Some(task) = due_task(&mut tx, workspace_id, kind, task_id).await? else { continue };
            // A due date that moved was planned anew with it.
            if task.due != due {
                continue;
            }
            let recipients =
                enspace_store::notifications::recipients(&mut tx, workspace_id, &task.users, &task.groups).await?;
            let notice = Notice {
                workspace_id,
                task_kind: kind,
                task_id,
                rule_id,
                due_date: due,
                outcome: if integrated { "sent" } else { "skipped" },
                recipients: recipients.len() as i64 + i64::from(task.external.is_some()),
            };
            if enspace_store::notifications::record_notice(&mut tx, &notice, now).await? {
                if let Some(place) = &place {
                    self.send(&mut tx, place, &task, rule, &recipients, now).await?;
                }
            }
            next.push((task_id, due));
        }
        plan(&mut tx, workspace_id, kind, &next, &rules, Some(at), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One email per recipient, in its language, with the item's values it may read.
    async fn send(
        &self,
        tx: &mut Tx,
        place: &Place,
        task: &Due,
        rule: &Rule,
        recipients: &[enspace_store::notifications::Recipient],
        now: i64,
    ) -> Result<(), JobError> {
        let (workspace_id, calendar, workspace_language) = (place.workspace_id, &place.calendar, &place.language);
        let (item, slug) = match &task.item {
            Some((type_id, reference)) => {
                let record = enspace_store::types::by_id_in(tx, workspace_id, *type_id).await?;
                let item = enspace_store::items::get_in(tx, workspace_id, *type_id, reference).await?;
                (item, record.map(|r| r.slug))
            }
            None => (None, None),
        };
        let reference = item.as_ref().map(|i| i.reference.clone()).unwrap_or_default();
        let no_data = Map::new();
        let mut letters: Vec<(String, String, String)> = Vec::new();
        for recipient in recipients {
            let member = enspace_store::members::of_user(&self.db, workspace_id, recipient.user_id).await?;
            let data = match (&item, &slug, member) {
                (Some(item), Some(slug), Some(member)) => {
                    let access = crate::members::access_of(&self.db, &member).await?;
                    let mut data = Map::new();
                    if decide(&access, &Action::read_type(slug)).is_ok() {
                        data = item.data.clone();
                        access.fields(slug, "read").retain_readable(&mut data);
                    }
                    data
                }
                _ => Map::new(),
            };
            let language = if recipient.language.is_empty() { workspace_language } else { &recipient.language };
            letters.push(letter(task, rule, language, &reference, &data, calendar, &recipient.email));
        }
        if let Some(address) = &task.external {
            // An outside address gets no item values (decision 60).
            letters.push(letter(task, rule, workspace_language, &reference, &no_data, calendar, address));
        }
        for (to, subject, body) in letters {
            let to = [to];
            let email = NewEmail {
                to: &to,
                subject: &subject,
                text: Some(&body),
                html: None,
                reply_to: None,
                created_by: None,
            };
            crate::emails::queue(tx, workspace_id, email, None, now).await?;
        }
        Ok(())
    }
}

/// (to, subject, body) of one recipient's email.
fn letter(
    task: &Due,
    rule: &Rule,
    language: &str,
    reference: &str,
    data: &Map<String, Value>,
    calendar: &enspace_domain::calendar::Calendar,
    to: &str,
) -> (String, String, String) {
    let due_shown = due_text(task.due, language, calendar);
    let filling = Filling { task_name: &task.name, due_text: &due_shown, reference, data };
    let (subject, body) = if rule.subject.is_empty() {
        let (s, b) = default_text(&rule.id, language);
        (s.to_string(), b.to_string())
    } else {
        (rule.subject.clone(), rule.body.clone())
    };
    (to.to_string(), fill(&subject, &filling, calendar), fill(&body, &filling, calendar))
}

/// The task if it is still open and notifies: its name, due date, item and people.
async fn due_task(tx: &mut Tx, workspace_id: i64, kind: &str, id: i64) -> Result<Option<Due>, StoreError> {
    if kind == QUICK {
        let task: Option<QuickTaskRecord> = enspace_store::record::get_in(tx, workspace_id, id).await?;
        let Some(task) = task.filter(quick_open) else { return Ok(None) };
        let v = task.values;
        let Some(due) = v.due_date else { return Ok(None) };
        // The assignee and collaborators, or the creator while nobody is assigned (decision 59).
        let mut users = vec![v.assigned_to.unwrap_or(task.creator)];
        users.extend(v.collaborators);
        return Ok(Some(Due {
            name: v.name,
            due,
            item: v.item.map(|i| (i.type_id, i.reference)),
            users,
            groups: Vec::new(),
            external: None,
        }));
    }
    let task: Option<ScheduleTaskRecord> = enspace_store::record::get_in(tx, workspace_id, id).await?;
    let Some(task) = task.filter(|t| enspace_domain::flow_run::is_open(&t.work_status)) else { return Ok(None) };
    let Some(due) = task.due_date else { return Ok(None) };
    if !StageTaskDef::from_map(&task.task_def).notify {
        return Ok(None);
    }
    // The assignee, else the responsibles; `everybody` without an assignee is nobody.
    let (users, groups, external) = match task.assigned {
        Some(assigned) => (vec![assigned], Vec::new(), None),
        None if task.everybody => (Vec::new(), Vec::new(), None),
        None => (task.responsible_users, task.responsible_groups, task.external_email),
    };
    Ok(Some(Due {
        name: task.task_name,
        due,
        item: Some((task.type_id, task.item_reference)),
        users,
        groups,
        external,
    }))
}

/// The handlers of this module, for `Jobs::standard`.
pub fn handlers(db: &Db) -> Vec<(&'static str, Arc<dyn Handler>)> {
    let deadlines: Arc<dyn Handler> = Arc::new(Deadlines { db: db.clone() });
    vec![(NOTIFY, deadlines.clone()), (REPLAN, deadlines)]
}
