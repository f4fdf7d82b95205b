//! Category flows as they run (spec/flows-and-tasks.md § How flows run): flow items started in
//! the item write's transaction, schedule tasks made with their responsibles and due dates,
//! assign, complete (answers written through the item writer), stage ends, transitions and the
//! end of a run, removal with the item. Every step appends its event in the same transaction,
//! cause before consequence (decision 69); every command on a run locks its flow item first
//! (decision 41), so concurrent completes take turns and the loser sees the winner's state.
//! The rules themselves are `domain::flow_run`'s.

use std::collections::HashMap;

use enspace_domain::{
    access::MemberType,
    calendar::{Calendar, SlaOrigin, SlaType},
    conditions::{self, ItemFacts},
    flow_run::{
        self, answers_digest, audience_attributes, is_open, recipients, render, stage_log_row, task_log_row, Caller,
        ItemPeople, Person, Responsibles, Visit, STAGE_ENTRY_CAP,
    },
    integrations::SENDGRID,
    item_columns::TypeColumns,
    stage_tasks::{Responsible, RuleDef, StageTaskDef},
    time::{now_ms, parse_instant},
    Detail,
};
use enspace_store::{
    emails::NewEmail,
    events::{NewEvent, Subject},
    fields::FieldRecord,
    flows::{FlowItemRecord, FlowRecord, RuleRecord, StageRecord, StageTaskRecord, TransitionRecord},
    items::ItemRecord,
    record,
    schedule_tasks::{self as store, NewScheduleTask, ScheduleTaskRecord, Startable},
    types::TypeRecord,
    Db, StoreError, Tx,
};
use serde_json::{json, Map, Value};

use crate::items::{self, Author, ItemError, UpdateRequest};

/// Why a command on a schedule task was refused.
#[derive(Debug)]
pub enum RunError {
    /// No such task in the workspace.
    NotFound,
    /// The caller may not act on it (decision 42: before any state is told).
    Forbidden(String),
    /// Its state does not allow it: what the state is.
    Conflict(String),
    /// The answers are wrong: every problem.
    Invalid(Vec<Detail>),
    /// An answer for a unique field is another item's value (as on an item update).
    Duplicate(Detail),
    Store(StoreError),
}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        RunError::Store(e)
    }
}

impl From<ItemError> for RunError {
    fn from(e: ItemError) -> Self {
        // The body is flat (`{"tipo": …}`): name answers as sent, not as `data.tipo`.
        let flat = |d: Detail| Detail::new(d.path.strip_prefix("data.").unwrap_or(&d.path).to_string(), d.message);
        match e {
            ItemError::Invalid(details) => RunError::Invalid(details.into_iter().map(flat).collect()),
            ItemError::Duplicate(detail) => RunError::Duplicate(flat(detail)),
            ItemError::Store(e) => RunError::Store(e),
        }
    }
}

/// Who acts on a task, as the handler established it.
pub struct Acting<'a> {
    pub author: Author<'a>,
    pub caller: Caller<'a>,
    /// May act on others' tasks: the owner, a role-less `full` member, `tasks::scheduled::update`
    /// with read on the type (decision 32).
    pub overrides: bool,
}

impl Acting<'_> {
    fn may_act(&self, task: &ScheduleTaskRecord) -> bool {
        flow_run::may_act(&self.caller, &responsibles_of(task), task.assigned, self.overrides)
    }

    fn email(&self) -> Option<&str> {
        self.author.email
    }
}

pub fn responsibles_of(task: &ScheduleTaskRecord) -> Responsibles {
    Responsibles {
        everybody: task.everybody,
        users: task.responsible_users.clone(),
        groups: task.responsible_groups.clone(),
        external: task.external_email.clone(),
    }
}

fn facts(item: &ItemRecord) -> ItemFacts<'_> {
    ItemFacts {
        id: item.id,
        reference: &item.reference,
        status: &item.status,
        is_draft: item.is_draft,
        form: Some(&item.form),
        request_email: item.request_email.as_deref(),
        user_id: item.user_id,
        created_at: item.created_at,
        updated_at: item.updated_at,
        data: &item.data,
    }
}

/// A conditional holds for the item: absent or empty always does; one that no longer parses
/// (a field changed kind since it was saved) does not, so that a broken condition never starts
/// work nobody asked for.
fn holds(conditional: Option<&Value>, item: &ItemRecord, columns: &TypeColumns) -> bool {
    let Some(value) = conditional.filter(|c| !c.is_null()) else { return true };
    match conditions::parse(value, columns) {
        Ok(condition) => conditions::holds(&condition, &facts(item), columns),
        Err(_) => false,
    }
}

/// One command's run: what it reads once (the type, its calendar) and how many stages it
/// entered by itself (decision 18's cap).
/// An instance about to be made: what its stage task and the item decided.
struct Instance {
    task_id: i64,
    stage_id: i64,
    def: StageTaskDef,
    resolved: Responsibles,
    unified: String,
    due_date: Option<i64>,
}

struct Run<'a> {
    record: &'a TypeRecord,
    columns: TypeColumns,
    calendar: Calendar,
    /// The person (or form, or system) whose change caused the run's steps; their events say
    /// `source: flow` (decision 68).
    author: Author<'a>,
    now: i64,
    entries: usize,
    /// The deadline notification settings, when read with the start plan (else read when a
    /// visit makes tasks that notify).
    notifications: Option<enspace_domain::notifications::Settings>,
}

impl<'a> Run<'a> {
    async fn new(
        tx: &mut Tx,
        record: &'a TypeRecord,
        fields: &[FieldRecord],
        author: &Author<'a>,
        now: i64,
    ) -> Result<Run<'a>, StoreError> {
        let calendar = crate::calendar::get_in(tx, record.workspace_id).await?;
        Ok(Run::with_calendar(record, fields, author, now, calendar))
    }

    fn with_calendar(
        record: &'a TypeRecord,
        fields: &[FieldRecord],
        author: &Author<'a>,
        now: i64,
        calendar: Calendar,
    ) -> Run<'a> {
        Run {
            record,
            columns: TypeColumns::new(fields.iter().map(|f| &f.def)),
            calendar,
            author: Author { source: "flow", ..author.clone() },
            now,
            entries: 0,
            notifications: None,
        }
    }

    /// A run that only removes: it reads no fields or calendar.
    fn bare(record: &'a TypeRecord, author: &Author<'a>, now: i64) -> Run<'a> {
        Run {
            record,
            columns: TypeColumns::new([]),
            calendar: Calendar::default(),
            author: Author { source: "flow", ..author.clone() },
            now,
            entries: 0,
            notifications: None,
        }
    }

    /// After `removed` left its visit: with nothing open, the visit ends by itself and the run
    /// moves on (decision 17).
    async fn after_removal(
        &mut self,
        tx: &mut Tx,
        run: &mut FlowItemRecord,
        removed: &ScheduleTaskRecord,
    ) -> Result<(), StoreError> {
        let ws = self.record.workspace_id;
        if run.run_status != "running" || run.stage_id != Some(removed.stage_id) {
            return Ok(());
        }
        if !store::open_of_flow_item(tx, ws, run.id).await?.is_empty() {
            return Ok(());
        }
        let Some(stage) = record::get_in::<StageRecord>(tx, ws, removed.stage_id).await? else { return Ok(()) };
        let Some(item) = enspace_store::items::get_in(tx, ws, self.record.id, &removed.item_reference).await? else {
            return Ok(());
        };
        if let Some(next) = self.leave(tx, run, stage.id, None, false, &item).await? {
            self.enter(tx, run, next, &item).await?;
        }
        Ok(())
    }

    fn event(
        &self,
        tx: &mut Tx,
        kind: &str,
        subject: (&str, i64),
        item: (i64, &str),
        changes: Value,
        author: &Author<'_>,
    ) {
        self.event_for(tx, kind, subject, item, changes, author, None)
    }

    /// A schedule task's event, with its audience attributes (its responsibles, and who held
    /// it before and after: decision 65).
    fn task_event(
        &self,
        tx: &mut Tx,
        kind: &str,
        task: &ScheduleTaskRecord,
        held_before: Option<i64>,
        changes: Value,
        author: &Author<'_>,
    ) {
        let audience = audience_attributes(&responsibles_of(task), &[held_before, task.assigned]);
        let (subject, item) = (("schedule_task", task.id), (task.item_id, task.item_reference.as_str()));
        self.event_for(tx, kind, subject, item, changes, author, Some(audience))
    }

    #[allow(clippy::too_many_arguments)]
    fn event_for(
        &self,
        tx: &mut Tx,
        kind: &str,
        (resource, id): (&str, i64),
        item: (i64, &str),
        changes: Value,
        author: &Author<'_>,
        audience: Option<Value>,
    ) {
        let event = NewEvent {
            workspace_id: self.record.workspace_id,
            kind,
            subject: Subject {
                kind: resource,
                id: Some(id),
                reference: None,
                type_id: Some(self.record.id),
                item_type: Some(&self.record.slug),
                item_id: Some(item.0),
                item_reference: Some(item.1),
            },
            changes: changes.as_object().cloned().unwrap_or_default(),
            actor: author.actor(),
            source: author.source,
            now: self.now,
        };
        enspace_store::events::append_for(tx, event, audience);
    }

    /// Starts each of `flows` (the type's startable ones) whose start condition holds.
    async fn start(&mut self, tx: &mut Tx, flows: Vec<Startable>, item: &ItemRecord) -> Result<(), StoreError> {
        for Startable { flow, start_stage, tasks } in flows {
            if flow.start_type == "conditional" && !holds(flow.conditional.as_ref(), item, &self.columns) {
                continue;
            }
            // Inserted with its start row: the first entry needs no second write.
            let log = json!([stage_log_row("start", start_stage, self.now, None)]);
            let id =
                store::insert_flow_item(tx, self.record.workspace_id, item.id, flow.id, start_stage, &log, self.now)
                    .await?;
            let changes =
                json!({ "flow": { "from": null, "to": flow.id }, "run_status": { "from": null, "to": "running" } });
            self.event(tx, "flow_item.started", ("flow_item", id), (item.id, &item.reference), changes, &self.author);
            let mut run = FlowItemRecord {
                id,
                workspace_id: self.record.workspace_id,
                item_id: item.id,
                item_reference: Some(item.reference.clone()),
                flow_id: flow.id,
                stage_id: Some(start_stage),
                type_slug: self.record.slug.clone(),
                status: "active".into(),
                run_status: "running".into(),
                stages_log: log,
                created_at: self.now,
                updated_at: self.now,
            };
            self.entered(tx, &mut run, start_stage, Some(tasks), item).await?;
        }
        Ok(())
    }

    /// Enters `stage_id`: its `start` row, then [`Run::entered`].
    async fn enter(
        &mut self,
        tx: &mut Tx,
        run: &mut FlowItemRecord,
        stage_id: i64,
        item: &ItemRecord,
    ) -> Result<(), StoreError> {
        self.log_entry(tx, run, stage_id).await?;
        self.entered(tx, run, stage_id, None, item).await
    }

    async fn log_entry(&self, tx: &mut Tx, run: &mut FlowItemRecord, stage_id: i64) -> Result<(), StoreError> {
        run.stages_log
            .as_array_mut()
            .expect("stages_log is a list")
            .push(stage_log_row("start", stage_id, self.now, None));
        run.stage_id = Some(stage_id);
        store::save_flow_item(tx, run, self.now).await
    }

    /// Goes on by itself from a stage just entered (its `start` row written) while nobody is
    /// needed: every instance of the stage is made, then its `sendmail` tasks are done, then a
    /// visit left with nothing open ends and its transition is followed (decisions 17, 18) —
    /// until a visit waits for someone, the run ends, or the cap is reached. The stage is one
    /// the caller found active (a start stage, or a transition's target `leave` checked);
    /// `tasks`: its tasks when the caller has read them already.
    async fn entered(
        &mut self,
        tx: &mut Tx,
        run: &mut FlowItemRecord,
        stage_id: i64,
        mut tasks: Option<Vec<StageTaskRecord>>,
        item: &ItemRecord,
    ) -> Result<(), StoreError> {
        let mut stage_id = stage_id;
        loop {
            self.entries += 1;
            let visit = (run.stages_log.as_array().map_or(0, Vec::len) as i64 - 1).max(0);
            let tasks: Vec<StageTaskRecord> = match tasks.take() {
                Some(tasks) => tasks,
                None => {
                    record::all_in(tx, self.record.workspace_id, "k.stage_id", stage_id, "k.position, k.id").await?
                }
            };
            let mut planned = Vec::new();
            for task in &tasks {
                let def = StageTaskDef::from_map(&task.def);
                if def.start_type == "conditional" && !holds(def.conditional.as_ref(), item, &self.columns) {
                    continue;
                }
                planned.push(self.plan(tx, task, def, item).await?);
            }
            let made = self.instantiate(tx, run, visit, item, planned).await?;
            let mut open = made.len();
            for (id, def) in made.iter().filter(|(_, def)| def.action == "sendmail") {
                self.send(tx, def, item).await?;
                let author = self.author.clone();
                self.complete_by_system(tx, *id, &author).await?;
                open -= 1;
            }
            if open > 0 {
                return Ok(());
            }
            if self.entries >= STAGE_ENTRY_CAP {
                // Decision 18: the run waits here, and says so where operators and webhooks look.
                tracing::error!(
                    flow_item = run.id,
                    stage = stage_id,
                    "a flow item entered {STAGE_ENTRY_CAP} stages in one command; it waits in this one"
                );
                let system = Author { user_id: None, email: None, key: None, source: "system" };
                let changes = json!({ "automatic_entries": { "from": null, "to": STAGE_ENTRY_CAP } });
                self.event(
                    tx,
                    "flow_item.stalled",
                    ("flow_item", run.id),
                    (item.id, &item.reference),
                    changes,
                    &system,
                );
                return Ok(());
            }
            match self.leave(tx, run, stage_id, None, false, item).await? {
                Some(next) => {
                    self.log_entry(tx, run, next).await?;
                    stage_id = next;
                }
                None => return Ok(()),
            }
        }
    }

    /// Plans one instance: its responsibles resolved and its due date fixed now (decision 22).
    async fn plan(
        &self,
        tx: &mut Tx,
        task: &StageTaskRecord,
        def: StageTaskDef,
        item: &ItemRecord,
    ) -> Result<Instance, StoreError> {
        let rule = if def.responsibility_type == "responsible_rules" {
            let rules: Vec<RuleRecord> =
                record::all_in(tx, self.record.workspace_id, "u.type_id", self.record.id, "u.position, u.id").await?;
            let picked = rules
                .iter()
                .map(|r| RuleDef::from_map(&r.def))
                .find(|r| holds(r.conditional.as_ref(), item, &self.columns));
            Some(picked.unwrap_or_else(|| RuleDef { responsible_type: "everybody".into(), ..RuleDef::default() }))
        } else {
            None
        };
        let responsible = match &rule {
            Some(rule) => rule.responsible(),
            None => def.responsible(),
        };
        let (resolved, unified) = self.responsibles(tx, &responsible, item).await?;
        let due_date = self.due_date(&def, item);
        Ok(Instance { task_id: task.id, stage_id: task.stage_id, def, resolved, unified, due_date })
    }

    /// Makes a visit's planned instances (one statement for them all), each with its
    /// `schedule_task.created`; answers their ids with their definitions.
    async fn instantiate(
        &self,
        tx: &mut Tx,
        run: &FlowItemRecord,
        visit: i64,
        item: &ItemRecord,
        planned: Vec<Instance>,
    ) -> Result<Vec<(i64, StageTaskDef)>, StoreError> {
        let log = json!([task_log_row(None, "waiting", self.now)]);
        let new: Vec<NewScheduleTask> = planned
            .iter()
            .map(|p| NewScheduleTask {
                workspace_id: self.record.workspace_id,
                type_id: self.record.id,
                flow_item_id: run.id,
                task_id: p.task_id,
                stage_id: p.stage_id,
                visit,
                item_reference: &item.reference,
                due_date: p.due_date,
                responsibility_type: &p.def.responsibility_type,
                everybody: p.resolved.everybody,
                users: &p.resolved.users,
                groups: &p.resolved.groups,
                external_email: p.resolved.external.as_deref(),
                unified_responsible: &p.unified,
                task_log: &log,
                now: self.now,
            })
            .collect();
        let ids = store::insert_tasks(tx, &new).await?;
        let notifying: Vec<(i64, i64)> = planned
            .iter()
            .zip(&ids)
            .filter_map(|(p, id)| p.due_date.filter(|_| p.def.notify).map(|due| (*id, due)))
            .collect();
        let settings = self.notifications.as_ref();
        crate::notifications::plan_schedule_tasks(tx, self.record.workspace_id, &notifying, settings, self.now).await?;
        for (p, id) in planned.iter().zip(&ids) {
            let changes = json!({
                "work_status": { "from": null, "to": "waiting" },
                "task": { "from": null, "to": p.task_id },
                "due_date": { "from": null, "to": p.due_date.map(enspace_domain::time::format_ms) },
                "unified_responsible": { "from": null, "to": p.unified },
            });
            let audience = audience_attributes(&p.resolved, &[]);
            let (subject, item_ref) = (("schedule_task", *id), (item.id, item.reference.as_str()));
            self.event_for(tx, "schedule_task.created", subject, item_ref, changes, &self.author, Some(audience));
        }
        Ok(ids.into_iter().zip(planned.into_iter().map(|p| p.def)).collect())
    }

    /// Who `responsible` names for the item, and how people read it.
    async fn responsibles(
        &self,
        tx: &mut Tx,
        responsible: &Responsible<'_>,
        item: &ItemRecord,
    ) -> Result<(Responsibles, String), StoreError> {
        let people = self.people(tx, responsible, item).await?;
        let who = ItemPeople { creator: item.user_id, request_email: item.request_email.as_deref(), data: &item.data };
        let resolved = flow_run::resolve(responsible, &who, &people);
        let names: HashMap<i64, String> =
            store::group_names(tx, self.record.workspace_id, &resolved.groups).await?.into_iter().collect();
        let unified = flow_run::unified(&resolved, &people, &names);
        Ok((resolved, unified))
    }

    /// Decision 35: an item change moves its open tasks that follow a field — a due date from
    /// `sla_field`, a `field_based` responsible — with a `schedule_task.updated` each.
    /// Conditionals are not evaluated again.
    async fn follow(
        &self,
        tx: &mut Tx,
        runs: Vec<FlowItemRecord>,
        item: &ItemRecord,
        changed: &[String],
    ) -> Result<(), StoreError> {
        let ws = self.record.workspace_id;
        let touches = |field: &Option<String>| field.as_ref().is_some_and(|f| changed.contains(f));
        // Tasks whose due date moved: their reminders are planned for the new one (decision 61).
        let mut moved = Vec::new();
        for run in runs {
            for mut task in store::open_of_flow_item(tx, ws, run.id).await? {
                let def = StageTaskDef::from_map(&task.task_def);
                let mut changes = Map::new();
                if def.sla_origin == "field" && touches(&def.sla_field) {
                    let due = self.due_date(&def, item);
                    if due != task.due_date {
                        let shown = |at: Option<i64>| at.map(enspace_domain::time::format_ms);
                        changes.insert("due_date".into(), json!({ "from": shown(task.due_date), "to": shown(due) }));
                        task.due_date = due;
                        moved.extend(due.filter(|_| def.notify).map(|due| (task.id, due)));
                    }
                }
                if def.responsibility_type == "field_based" && touches(&def.responsible_field) {
                    let responsible = def.responsible();
                    let (resolved, unified) = self.responsibles(tx, &responsible, item).await?;
                    if resolved != responsibles_of(&task) {
                        let change = json!({ "from": task.unified_responsible, "to": unified });
                        changes.insert("unified_responsible".into(), change);
                        task.responsible_users = resolved.users;
                        task.responsible_groups = resolved.groups;
                        task.external_email = resolved.external;
                        task.everybody = resolved.everybody;
                        task.unified_responsible = unified;
                    }
                }
                if !changes.is_empty() {
                    store::save_plan(tx, &mut task, self.now).await?;
                    let (kind, changes) = ("schedule_task.updated", Value::Object(changes));
                    self.task_event(tx, kind, &task, task.assigned, changes, &self.author);
                }
            }
        }
        crate::notifications::plan_schedule_tasks(tx, ws, &moved, self.notifications.as_ref(), self.now).await
    }

    /// The members resolution may name: the listed users, the creator or the public-form
    /// filler, the field's address — only what the kind reads.
    async fn people(
        &self,
        tx: &mut Tx,
        responsible: &Responsible<'_>,
        item: &ItemRecord,
    ) -> Result<Vec<Person>, StoreError> {
        let (mut ids, mut emails): (Vec<i64>, Vec<String>) = (Vec::new(), Vec::new());
        match responsible.kind {
            "users" => ids.extend_from_slice(responsible.users),
            "request_user" => {
                ids.extend(item.user_id);
                emails.extend(item.request_email.iter().map(|e| e.to_lowercase()));
            }
            "field_based" => {
                let value = responsible.field.and_then(|f| item.data.get(f)).and_then(Value::as_str);
                emails.extend(value.map(|text| text.trim().to_lowercase()));
            }
            _ => return Ok(Vec::new()),
        }
        let rows = store::people(tx, self.record.workspace_id, &ids, &emails).await?;
        Ok(rows
            .into_iter()
            .map(|r| Person {
                user_id: r.user_id,
                email: r.email,
                member_type: MemberType::parse(&r.member_type).unwrap_or(MemberType::Viewer),
                active: r.status == "active",
            })
            .collect())
    }

    fn due_date(&self, def: &StageTaskDef, item: &ItemRecord) -> Option<i64> {
        let origin = SlaOrigin::parse(&def.sla_origin)?;
        let kind = SlaType::parse(&def.sla_type)?;
        // A date-only value is local midnight in the workspace zone (decision 24).
        let field = def.sla_field.as_deref().and_then(|f| item.data.get(f)).and_then(Value::as_str).and_then(|text| {
            if text.len() == 10 {
                self.calendar.local_instant(&format!("{text}T00:00"))
            } else {
                parse_instant(text)
            }
        });
        self.calendar.due_date(origin.base(self.now, item.created_at, field), def.sla, kind)
    }

    /// A `sendmail` task's email, through the outbox (decisions 26, 27).
    async fn send(&self, tx: &mut Tx, def: &StageTaskDef, item: &ItemRecord) -> Result<(), StoreError> {
        let Some(email) = def.email.as_ref() else { return Ok(()) };
        let creator = match item.user_id {
            Some(id) => {
                store::people(tx, self.record.workspace_id, &[id], &[]).await?.into_iter().next().map(|p| p.email)
            }
            None => None,
        };
        let to_list = email.get("to").and_then(Value::as_array).cloned().unwrap_or_default();
        let to = recipients(&to_list, &item.data, creator.as_deref().or(item.request_email.as_deref()));
        if to.is_empty() {
            return Ok(());
        }
        let text = |key: &str| email.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        let subject = render(&text("subject"), &item.reference, &item.data, &self.calendar);
        let body = render(&text("body"), &item.reference, &item.data, &self.calendar);
        let new = NewEmail {
            to: &to,
            subject: &subject,
            text: Some(&body),
            html: None,
            reply_to: None,
            created_by: self.author.user_id,
        };
        let ws = self.record.workspace_id;
        if store::has_active_integration(tx, ws, SENDGRID).await? {
            crate::emails::queue(tx, ws, new, None, self.now).await?;
        } else {
            enspace_store::emails::insert_failed(tx, ws, new, "no_active_email_integration", self.now).await?;
        }
        Ok(())
    }

    /// Completes a task the server does itself (`sendmail`): no person, `updated_by_email` null.
    async fn complete_by_system(&self, tx: &mut Tx, id: i64, author: &Author<'_>) -> Result<(), StoreError> {
        let Some(mut task) = record::get_in::<ScheduleTaskRecord>(tx, self.record.workspace_id, id).await? else {
            return Ok(());
        };
        let from = task.work_status.clone();
        task.work_status = "complete".into();
        task.completed_at = Some(self.now);
        task.updated_by_email = None;
        task.task_log.push(task_log_row(None, "complete", self.now));
        store::save_task(tx, &mut task, self.now).await?;
        let changes = json!({ "work_status": { "from": from, "to": "complete" } });
        self.task_event(tx, "schedule_task.completed", &task, task.assigned, changes, author);
        Ok(())
    }

    /// Removes a task (`removed`, `inactive`, `deleted_at`, a `task_log` row; decision 43).
    async fn remove_task(
        &self,
        tx: &mut Tx,
        task: &mut ScheduleTaskRecord,
        by: Option<&str>,
        author: &Author<'_>,
    ) -> Result<(), StoreError> {
        let from = std::mem::replace(&mut task.work_status, "removed".into());
        task.status = "inactive".into();
        task.deleted_at = Some(self.now);
        task.task_log.push(task_log_row(by, "removed", self.now));
        store::save_task(tx, task, self.now).await?;
        let changes = json!({ "work_status": { "from": from, "to": "removed" }, "status": { "from": "active", "to": "inactive" } });
        self.task_event(tx, "schedule_task.removed", task, task.assigned, changes, author);
        Ok(())
    }

    /// Ends the visit of stage `stage_id`: its open tasks removed, its `complete` row (with
    /// `by`, the person whose completion ended it), then the first transition that holds — or,
    /// with `close_flow` or none holding, the end of the run. Answers the stage to enter next.
    async fn leave(
        &mut self,
        tx: &mut Tx,
        run: &mut FlowItemRecord,
        stage_id: i64,
        by: Option<&str>,
        close_flow: bool,
        item: &ItemRecord,
    ) -> Result<Option<i64>, StoreError> {
        let ws = self.record.workspace_id;
        let author = self.author.clone();
        for mut task in store::open_of_flow_item(tx, ws, run.id).await? {
            self.remove_task(tx, &mut task, by, &author).await?;
        }
        run.stages_log
            .as_array_mut()
            .expect("stages_log is a list")
            .push(stage_log_row("complete", stage_id, self.now, by));
        let next = if close_flow {
            None
        } else {
            let transitions: Vec<TransitionRecord> =
                record::all_in(tx, ws, "r.from_stage", stage_id, "r.position, r.id").await?;
            let mut next = None;
            for transition in transitions {
                if !holds(transition.conditional.as_ref(), item, &self.columns) {
                    continue;
                }
                // A transition into an inactive or deleted stage does not hold (decision 16).
                if enspace_store::flows::enterable_stage(tx, ws, transition.to_stage).await? {
                    next = Some(transition.to_stage);
                    break;
                }
            }
            next
        };
        let (kind, changes) = match next {
            Some(to) => ("flow_item.stage_changed", json!({ "stage": { "from": stage_id, "to": to } })),
            None => {
                run.run_status = "complete".into();
                store::save_flow_item(tx, run, self.now).await?;
                ("flow_item.completed", json!({ "run_status": { "from": "running", "to": "complete" } }))
            }
        };
        self.event(tx, kind, ("flow_item", run.id), (item.id, &item.reference), changes, &author);
        Ok(next)
    }
}

/// Starts the flows of a new (or just final) item, in its write's transaction.
pub(crate) async fn start(
    tx: &mut Tx,
    record: &TypeRecord,
    fields: &[FieldRecord],
    item: &ItemRecord,
    author: &Author<'_>,
    now: i64,
) -> Result<(), StoreError> {
    // Most types have no flow: one indexed read decides it, and when there is one it brought
    // what the start needs.
    let plan = store::start_plan(tx, record.workspace_id, record.id).await?;
    if plan.flows.is_empty() {
        return Ok(());
    }
    let calendar = crate::calendar::stored_or_default(record.workspace_id, plan.calendar);
    let mut run = Run::with_calendar(record, fields, author, now, calendar);
    run.notifications = Some(crate::notifications::parsed(plan.notifications));
    run.start(tx, plan.flows, item).await
}

/// An item update moves the open tasks that follow the changed fields (decision 35), in the
/// update's transaction. `changed`: the data keys the update changed.
pub(crate) async fn follow_fields(
    tx: &mut Tx,
    record: &TypeRecord,
    fields: &[FieldRecord],
    item: &ItemRecord,
    changed: &[String],
    author: &Author<'_>,
    now: i64,
) -> Result<(), StoreError> {
    if changed.is_empty() {
        return Ok(());
    }
    let runs = store::running_of_item(tx, record.workspace_id, item.id).await?;
    if runs.is_empty() {
        return Ok(());
    }
    let run = Run::new(tx, record, fields, author, now).await?;
    run.follow(tx, runs, item, changed).await
}

/// An item's deletion removes its running flow items and their open tasks (step 6), in the
/// delete's transaction.
pub(crate) async fn remove_with_item(
    tx: &mut Tx,
    record: &TypeRecord,
    item: &ItemRecord,
    author: &Author<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let runs = store::running_of_item(tx, record.workspace_id, item.id).await?;
    remove_runs(tx, record, runs, author, now).await
}

/// A forced flow delete removes the flow's running flow items and their open tasks first.
pub(crate) async fn remove_with_flow(
    tx: &mut Tx,
    flow: &FlowRecord,
    author: &Author<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let runs = store::running_of_flow(tx, flow.workspace_id, flow.id).await?;
    if runs.is_empty() {
        return Ok(());
    }
    let record =
        enspace_store::types::by_id_in(tx, flow.workspace_id, flow.type_id).await?.ok_or(StoreError::NotFound)?;
    remove_runs(tx, &record, runs, author, now).await
}

/// Marks `runs` (locked) `removed`/`inactive` — no `stages_log` row (decision 34) — and removes
/// their open tasks, naming the remover; one event each (bounded by what runs, decision 71).
async fn remove_runs(
    tx: &mut Tx,
    record: &TypeRecord,
    runs: Vec<FlowItemRecord>,
    author: &Author<'_>,
    now: i64,
) -> Result<(), StoreError> {
    if runs.is_empty() {
        return Ok(());
    }
    let run = Run::bare(record, author, now);
    for mut flow_item in runs {
        flow_item.run_status = "removed".into();
        flow_item.status = "inactive".into();
        store::save_flow_item(tx, &mut flow_item, now).await?;
        let reference = flow_item.item_reference.clone().unwrap_or_default();
        let changes = json!({ "run_status": { "from": "running", "to": "removed" } });
        let item = (flow_item.item_id, reference.as_str());
        run.event(tx, "flow_item.removed", ("flow_item", flow_item.id), item, changes, &run.author);
        for mut task in store::open_of_flow_item(tx, record.workspace_id, flow_item.id).await? {
            run.remove_task(tx, &mut task, author.email, &run.author).await?;
        }
    }
    Ok(())
}

/// Removes the open instances of a stage task (its forced delete, decision 23); a visit left
/// with nothing open then ends by itself and the run moves on (decision 17). Answers how many.
pub(crate) async fn remove_instances(
    tx: &mut Tx,
    task: &StageTaskRecord,
    author: &Author<'_>,
    now: i64,
) -> Result<usize, StoreError> {
    let open = store::open_of_task(tx, task).await?;
    if open.is_empty() {
        return Ok(0);
    }
    let ws = task.workspace_id;
    let record = enspace_store::types::by_id_in(tx, ws, task.type_id).await?.ok_or(StoreError::NotFound)?;
    let fields = enspace_store::fields::of_type_in(tx, ws, task.type_id).await?;
    let mut runner = Run::new(tx, &record, &fields, author, now).await?;
    for mut instance in open.iter().cloned() {
        let Some(mut run) = store::lock_flow_item(tx, ws, instance.flow_item_id).await? else { continue };
        runner.remove_task(tx, &mut instance, author.email, author).await?;
        runner.after_removal(tx, &mut run, &instance).await?;
    }
    Ok(open.len())
}

/// What a command needs of the task's type: its record and fields, read in the command's
/// transaction after the lock.
async fn type_of(tx: &mut Tx, task: &ScheduleTaskRecord) -> Result<(TypeRecord, Vec<FieldRecord>), StoreError> {
    let record =
        enspace_store::types::by_id_in(tx, task.workspace_id, task.type_id).await?.ok_or(StoreError::NotFound)?;
    let fields = enspace_store::fields::of_type_in(tx, task.workspace_id, task.type_id).await?;
    Ok((record, fields))
}

/// Locks the task's run and reads the task again: 404 when it is not the workspace's, 403 when
/// the caller may not act on it (decision 42's order: state is told only to those who may act).
async fn locked(
    tx: &mut Tx,
    workspace_id: i64,
    id: i64,
    acting: &Acting<'_>,
) -> Result<(ScheduleTaskRecord, FlowItemRecord), RunError> {
    let task = record::get_in::<ScheduleTaskRecord>(tx, workspace_id, id).await?.ok_or(RunError::NotFound)?;
    let run = store::lock_flow_item(tx, workspace_id, task.flow_item_id).await?.ok_or(RunError::NotFound)?;
    let task = record::get_in::<ScheduleTaskRecord>(tx, workspace_id, id).await?.ok_or(RunError::NotFound)?;
    if !acting.may_act(&task) {
        return Err(RunError::Forbidden(format!("you are not a responsible of task {id}")));
    }
    Ok((task, run))
}

fn state(task: &ScheduleTaskRecord) -> String {
    match task.assigned {
        Some(user) if task.work_status == "working" => format!("task {} is working (taken by user {user})", task.id),
        _ => format!("task {} is {}", task.id, task.work_status),
    }
}

/// `POST /c-flow-item-tasks/{id}/assign`: the caller takes the task (decisions 32, 40).
pub async fn assign(db: &Db, workspace_id: i64, id: i64, acting: &Acting<'_>) -> Result<ScheduleTaskRecord, RunError> {
    let mut tx = db.begin().await?;
    let (mut task, _) = locked(&mut tx, workspace_id, id, acting).await?;
    let me = acting.caller.user_id;
    match task.work_status.as_str() {
        "waiting" => {}
        // Taking it again is a retry.
        "working" if task.assigned == Some(me) => return Ok(task),
        "working" if acting.overrides => {}
        _ => return Err(RunError::Conflict(format!("{}: only a waiting task can be assigned", state(&task)))),
    }
    let now = now_ms();
    let from = (task.work_status.clone(), task.assigned);
    task.work_status = "working".into();
    task.assigned = Some(me);
    task.task_log.push(task_log_row(acting.email(), "working", now));
    store::save_task(&mut tx, &mut task, now).await?;
    // The assignee has it in charge (and one who was taken over from no longer does).
    store::save_people(&mut tx, &task).await?;
    let (record, _) = type_of(&mut tx, &task).await?;
    let run = Run { author: acting.author.clone(), ..Run::bare(&record, &acting.author, now) };
    let changes =
        json!({ "work_status": { "from": from.0, "to": "working" }, "assigned": { "from": from.1, "to": me } });
    run.task_event(&mut tx, "schedule_task.assigned", &task, from.1, changes, &acting.author);
    tx.commit().await?;
    Ok(task)
}

/// The refIds a task's form shows, and which of them it requires.
fn task_fields(def: &StageTaskDef) -> Vec<(String, bool)> {
    def.fields
        .iter()
        .filter_map(|f| {
            let ref_id = f.get("refId").and_then(Value::as_str)?;
            Some((ref_id.to_string(), f.get("required").and_then(Value::as_bool).unwrap_or(false)))
        })
        .collect()
}

fn empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(l)) => l.is_empty(),
        Some(Value::Object(m)) => m.is_empty(),
        _ => false,
    }
}

/// `PUT /c-flow-item-tasks/{id}/complete`: the answers written to the item through the item
/// writer (history source `flow`), the task completed, then its stage ends if it should and the
/// run moves on — all in one transaction.
pub async fn complete(
    db: &Db,
    workspace_id: i64,
    id: i64,
    answers: &Map<String, Value>,
    acting: &Acting<'_>,
) -> Result<ScheduleTaskRecord, RunError> {
    let mut tx = db.begin().await?;
    let (mut task, mut run) = locked(&mut tx, workspace_id, id, acting).await?;
    let me = acting.caller.user_id;
    let def = StageTaskDef::from_map(&task.task_def);
    let digest = answers_digest(answers);
    match task.work_status.as_str() {
        // The same person sending the same answers again is a retry (decision 40).
        "complete" if task.completed_by == Some(me) && task.answers_digest.as_deref() == Some(&digest) => {
            return Ok(task)
        }
        "complete" | "removed" => return Err(RunError::Conflict(format!("{}: it cannot be completed", state(&task)))),
        "waiting" if def.require_assignment => {
            return Err(RunError::Conflict(format!("{}: it must be assigned before it is completed", state(&task))))
        }
        "working" if def.require_assignment && task.assigned != Some(me) && !acting.overrides => {
            return Err(RunError::Conflict(format!("{}: only whoever took it may complete it", state(&task))))
        }
        _ => {}
    }
    let (record, fields) = type_of(&mut tx, &task).await?;
    let stage = record::get_in::<StageRecord>(&mut tx, workspace_id, task.stage_id).await?;
    let progress = stage.as_ref().map_or("closing_task", |s| s.progress_type.as_str()).to_string();
    if progress == "all_tasks" && flow_run::is_closing(&def.action) {
        let others: Vec<String> = store::open_of_flow_item(&mut tx, workspace_id, run.id)
            .await?
            .into_iter()
            .filter(|t| t.id != task.id)
            .map(|t| format!("{} ({})", t.id, t.task_name))
            .collect();
        if !others.is_empty() {
            return Err(RunError::Conflict(format!(
                "task {} closes an all_tasks stage: complete the other open tasks first: {}",
                task.id,
                others.join(", ")
            )));
        }
    }
    // Answers: only the task's fields; its required ones present or already on the item.
    let allowed = task_fields(&def);
    let item = enspace_store::items::get_in(&mut tx, workspace_id, record.id, &task.item_reference)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut details = Vec::new();
    for key in answers.keys() {
        if !allowed.iter().any(|(f, _)| f == key) {
            details.push(Detail::new(key.clone(), "is not a field of this task"));
        }
    }
    for (field, required) in &allowed {
        let answered = answers.get(field);
        if *required && empty(answered) && (answered.is_some() || empty(item.data.get(field))) {
            details.push(Detail::new(field.clone(), "is required by this task"));
        }
    }
    if !details.is_empty() {
        return Err(RunError::Invalid(details));
    }
    let now = now_ms();
    let mut runner = Run::new(&mut tx, &record, &fields, &acting.author, now).await?;
    let mut data = answers.clone();
    let defs: Vec<_> = fields.iter().map(|f| f.def.clone()).collect();
    flow_run::localize_dates(&mut data, &defs, &runner.calendar);
    let item = if data.is_empty() {
        item
    } else {
        let request = UpdateRequest {
            data: Some(&data),
            server_values: None,
            status: None,
            is_draft: None,
            problems: Vec::new(),
        };
        let flow_author = Author { source: "flow", ..acting.author.clone() };
        items::update_in(&mut tx, &record, &fields, &task.item_reference, &request, &flow_author)
            .await?
            .ok_or(StoreError::NotFound)?
    };
    let from = task.work_status.clone();
    task.work_status = "complete".into();
    task.completed_by = Some(me);
    task.answers_digest = Some(digest);
    task.completed_at = Some(now);
    task.updated_by_email = acting.email().map(str::to_string);
    task.task_log.push(task_log_row(acting.email(), "complete", now));
    store::save_task(&mut tx, &mut task, now).await?;
    let changes = json!({ "work_status": { "from": from, "to": "complete" } });
    runner.task_event(&mut tx, "schedule_task.completed", &task, task.assigned, changes, &acting.author);
    if let Some(stage) = stage.filter(|_| run.run_status == "running" && run.stage_id == Some(task.stage_id)) {
        let open = store::open_of_flow_item(&mut tx, workspace_id, run.id).await?.len();
        if let Visit::Ends { close_flow } = flow_run::visit_after(&progress, Some(&def.action), open) {
            if let Some(next) = runner.leave(&mut tx, &mut run, stage.id, acting.email(), close_flow, &item).await? {
                runner.enter(&mut tx, &mut run, next, &item).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(task)
}

/// `DELETE /c-flow-item-tasks/{id}`: removes an open task; a visit left with nothing open ends
/// by itself (decision 17).
pub async fn remove(db: &Db, workspace_id: i64, id: i64, acting: &Acting<'_>) -> Result<ScheduleTaskRecord, RunError> {
    let mut tx = db.begin().await?;
    let (mut task, mut run) = locked(&mut tx, workspace_id, id, acting).await?;
    if !is_open(&task.work_status) {
        return Err(RunError::Conflict(format!("{}: only an open task can be removed", state(&task))));
    }
    let (record, fields) = type_of(&mut tx, &task).await?;
    let now = now_ms();
    let mut runner = Run::new(&mut tx, &record, &fields, &acting.author, now).await?;
    runner.remove_task(&mut tx, &mut task, acting.email(), &acting.author.clone()).await?;
    runner.after_removal(&mut tx, &mut run, &task).await?;
    tx.commit().await?;
    Ok(task)
}
