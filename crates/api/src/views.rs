//! Response shapes: what clients see. Each converts from a store record.

use std::collections::BTreeMap;

use enspace_domain::{access::FieldGrant, time::format_ms};
use enspace_store::{api_keys::ApiKeyRecord, request_logs::RequestLog, users::UserRecord, workspaces::WorkspaceRecord};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceView {
    pub id: i64,
    pub name: String,
    /// The workspace's slug: what `en-workspace` and key scopes name.
    pub reference: String,
    pub status: String,
    pub description: String,
    /// An iconify id.
    pub icon: Option<String>,
    pub language: String,
    #[schema(value_type = Object)]
    pub modules: Map<String, Value>,
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    pub members_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<WorkspaceRecord> for WorkspaceView {
    fn from(w: WorkspaceRecord) -> Self {
        WorkspaceView {
            id: w.id,
            name: w.name,
            reference: w.reference,
            status: w.status,
            description: w.description,
            icon: w.icon,
            language: w.language,
            modules: w.modules,
            settings: w.settings,
            members_count: w.members_count,
            created_at: format_ms(w.created_at),
            updated_at: format_ms(w.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lname: Option<String>,
}

/// A user [wire shape].
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub created_at: String,
    pub email: String,
    pub meta: UserMeta,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        UserView {
            id: u.id,
            created_at: format_ms(u.created_at),
            email: u.email.clone(),
            meta: UserMeta { fname: u.fname.clone(), lname: u.lname.clone() },
        }
    }
}

/// The caller (`GET /user`): the user shape plus the caller's own settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentUserView {
    #[serde(flatten)]
    pub user: UserView,
    /// `pt`, `en` or `es`.
    pub language: String,
}

impl From<&UserRecord> for CurrentUserView {
    fn from(u: &UserRecord) -> Self {
        CurrentUserView { user: u.into(), language: u.language.clone() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyScopeView {
    /// A subset of `read`, `write`, `delete`.
    pub global: Vec<String>,
    /// Workspace references, or `["*"]`.
    pub workspaces: Vec<String>,
}

impl From<&ApiKeyRecord> for KeyScopeView {
    fn from(k: &ApiKeyRecord) -> Self {
        KeyScopeView {
            global: k.scopes.to_list().into_iter().map(|s| s.as_str().to_string()).collect(),
            workspaces: if k.all_workspaces { vec!["*".to_string()] } else { k.workspaces.clone() },
        }
    }
}

/// An API key [wire shape]; never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub description: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    /// The key's public 16-character handle.
    pub reference: String,
    pub scope: KeyScopeView,
}

impl From<&ApiKeyRecord> for ApiKeyView {
    fn from(k: &ApiKeyRecord) -> Self {
        ApiKeyView {
            id: k.id,
            created_at: format_ms(k.created_at),
            updated_at: format_ms(k.updated_at),
            description: k.description.clone(),
            expires_at: k.expires_at.map(format_ms),
            last_used_at: k.last_used_at.map(format_ms),
            reference: k.reference.clone(),
            scope: k.into(),
        }
    }
}

/// A new key: the key object plus its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyView {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// `en.` followed by 34 characters.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberSummary {
    pub id: i64,
    #[serde(rename = "type")]
    pub member_type: String,
    pub status: String,
    pub role: Option<i64>,
    pub groups: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionSummary {
    pub resource: String,
    pub resource_id: String,
    pub action: String,
    /// The fields a type's `read` or `update` covers (`["*"]`: all) [ours].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContextKeyView {
    pub reference: String,
    pub scope: KeyScopeView,
}

/// Everything a client needs to draw its screens for this caller (`GET /ws`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContextView {
    pub workspace: WorkspaceView,
    pub user: UserView,
    pub member: MemberSummary,
    /// `*` in every position means unrestricted (owners, and `full` members without a role).
    pub permissions: Vec<PermissionSummary>,
    pub key: Option<ContextKeyView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStats {
    pub total: i64,
    pub by_type: BTreeMap<String, i64>,
    pub by_status: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskStats {
    pub open: i64,
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    pub members: MemberStats,
    pub types: i64,
    pub fields: i64,
    pub items: i64,
    pub items_by_type: BTreeMap<String, i64>,
    pub roles: i64,
    pub groups: i64,
    pub integrations: i64,
    pub flows: i64,
    pub tasks: TaskStats,
    /// Bytes of uploaded files.
    pub storage_bytes: i64,
}

/// What `DELETE /ws` would remove, per kind, plus the reference to confirm with.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletionPreviewView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub counts: BTreeMap<&'static str, i64>,
    pub requires_confirmation: String,
}

/// An action with no resource to return [wire].
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    pub data: bool,
    pub message: String,
}

impl ActionResult {
    pub fn ok(message: &str) -> Self {
        ActionResult { data: true, message: message.to_string() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestLogView {
    pub id: i64,
    pub created_at: String,
    pub method: String,
    pub path: String,
    /// With the values of secret-looking parameters replaced by `[redacted]`.
    pub query: String,
    pub status: i64,
    pub duration_ms: f64,
    pub workspace: Option<String>,
    pub key_reference: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: String,
}

impl From<RequestLog> for RequestLogView {
    fn from(l: RequestLog) -> Self {
        RequestLogView {
            id: l.id,
            created_at: format_ms(l.created_at),
            method: l.method,
            path: l.path,
            query: l.query,
            status: l.status,
            duration_ms: l.duration_ms,
            workspace: l.workspace,
            key_reference: l.key_reference,
            ip: l.ip,
            user_agent: l.user_agent,
            request_id: l.request_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub icon: Option<String>,
    pub color: Option<String>,
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    #[serde(rename = "itemVersioning")]
    pub item_versioning: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::types::TypeRecord> for TypeView {
    fn from(t: enspace_store::types::TypeRecord) -> Self {
        TypeView {
            id: t.id,
            name: t.name,
            slug: t.slug,
            description: t.description,
            icon: t.icon,
            color: t.color,
            settings: t.settings,
            item_versioning: t.item_versioning,
            created_at: format_ms(t.created_at),
            updated_at: format_ms(t.updated_at),
        }
    }
}

/// A field [wire]: `refId` (= `slug`), `name`, `label`, `type`, flags, `default_value`,
/// `validation`, `options`, `config`, `opt_config`, `cFormat`, `nested`, `order`, and
/// `index_status` for indexed fields [ours].
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct FieldView(pub Map<String, Value>);

impl From<&enspace_store::fields::FieldRecord> for FieldView {
    fn from(f: &enspace_store::fields::FieldRecord) -> Self {
        let mut out = Map::new();
        out.insert("id".into(), json!(f.id));
        out.extend(enspace_domain::fields::field_json(&f.def));
        out.insert("order".into(), json!(f.position));
        if f.def.wants_index() {
            out.insert("index_status".into(), json!(f.index_status));
        }
        out.insert("created_at".into(), json!(format_ms(f.created_at)));
        out.insert("updated_at".into(), json!(format_ms(f.updated_at)));
        FieldView(out)
    }
}

impl FieldView {
    /// A built-in column as a read-only field [ours].
    pub fn native(ref_id: &str, field_type: &str, order: i64) -> FieldView {
        let map = json!({
            "id": null, "refId": ref_id, "slug": ref_id, "name": ref_id, "label": ref_id, "type": field_type,
            "required": false, "unique": matches!(ref_id, "id" | "reference"), "indexed": true, "active": true,
            "native": true, "order": order, "default_value": null, "validation": [], "options": [], "config": {},
            "opt_config": {}, "cFormat": { "type": "text" }, "nested": [], "created_at": null, "updated_at": null
        });
        FieldView(map.as_object().cloned().unwrap_or_default())
    }

    /// The type's fields in order, then the native ones.
    pub fn all(fields: &[enspace_store::fields::FieldRecord]) -> Vec<FieldView> {
        let last = fields.iter().map(|f| f.position).max().unwrap_or(0);
        let mut out: Vec<FieldView> = fields.iter().map(Into::into).collect();
        for (i, (name, field_type)) in enspace_domain::fields::NATIVE_FIELDS.iter().enumerate() {
            out.push(FieldView::native(name, field_type, last + 1 + i as i64));
        }
        out
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormView {
    pub id: i64,
    pub hash: String,
    pub name: String,
    /// `create`, `edit`, `view` or `general`.
    #[serde(rename = "type")]
    pub form_type: String,
    /// `private` or `public`.
    pub visibility: String,
    #[schema(value_type = Vec<Object>)]
    pub fields: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::forms::FormRecord> for FormView {
    fn from(f: enspace_store::forms::FormRecord) -> Self {
        FormView {
            id: f.id,
            hash: f.hash,
            name: f.name,
            form_type: f.form_type,
            visibility: f.visibility,
            fields: f.fields,
            created_at: format_ms(f.created_at),
            updated_at: format_ms(f.updated_at),
        }
    }
}

/// A type with its fields and forms.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeDetailView {
    #[serde(flatten)]
    pub record: TypeView,
    pub fields: Vec<FieldView>,
    pub forms: Vec<FormView>,
}

impl TypeDetailView {
    pub fn new(
        record: enspace_store::types::TypeRecord,
        fields: &[enspace_store::fields::FieldRecord],
        forms: Vec<FormView>,
    ) -> Self {
        TypeDetailView { record: record.into(), fields: FieldView::all(fields), forms }
    }
}

/// A value a field list may hide (access.md step 6): serialized as the value, or left out of
/// its object altogether (with `skip_serializing_if = "Shown::is_hidden"`).
#[derive(Debug, Clone, PartialEq)]
pub enum Shown<T> {
    Value(T),
    Hidden,
}

impl<T> Shown<T> {
    pub fn is_hidden(&self) -> bool {
        matches!(self, Shown::Hidden)
    }

    fn hide_unless(&mut self, visible: bool) {
        if !visible {
            *self = Shown::Hidden;
        }
    }
}

impl<T: Serialize> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Value(value) => value.serialize(serializer),
            Shown::Hidden => serializer.serialize_none(),
        }
    }
}

/// An item [wire]. Columns and fields the reader's field list leaves out are absent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    /// 32 characters: three letters of the type, then 29 hex digits.
    pub reference: String,
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub created_at: Shown<String>,
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub updated_at: Shown<String>,
    /// `active` or `inactive`.
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub status: Shown<String>,
    #[serde(rename = "isDraft")]
    pub is_draft: bool,
    /// `default` or a form id.
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub form: Shown<String>,
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = Option<String>)]
    pub request_email: Shown<Option<String>>,
    /// The creator's user id.
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = Option<i64>)]
    pub user: Shown<Option<i64>>,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

impl ItemView {
    /// The item as a reader with `grant` sees it.
    pub fn masked(mut self, grant: &FieldGrant) -> ItemView {
        if grant.is_all() {
            return self;
        }
        self.created_at.hide_unless(grant.covers("created_at"));
        self.updated_at.hide_unless(grant.covers("updated_at"));
        self.status.hide_unless(grant.covers("status"));
        self.form.hide_unless(grant.covers("form"));
        self.request_email.hide_unless(grant.covers("request_email"));
        self.user.hide_unless(grant.covers("user"));
        self.data.retain(|ref_id, _| grant.covers(&format!("data.{ref_id}")));
        self
    }
}

impl From<enspace_store::items::ItemRecord> for ItemView {
    fn from(i: enspace_store::items::ItemRecord) -> Self {
        ItemView {
            id: i.id,
            reference: i.reference,
            created_at: Shown::Value(format_ms(i.created_at)),
            updated_at: Shown::Value(format_ms(i.updated_at)),
            status: Shown::Value(i.status),
            is_draft: i.is_draft,
            form: Shown::Value(i.form),
            request_email: Shown::Value(i.request_email),
            user: Shown::Value(i.user_id),
            data: i.data,
        }
    }
}

/// One entry of an item's history [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub id: i64,
    /// `create`, `update`, `status` or `delete`.
    pub action: String,
    /// `{refId: {from, to}}`.
    #[schema(value_type = Object)]
    pub changes: Map<String, Value>,
    pub user: Option<i64>,
    /// `api`, `form`, `flow` or `system`.
    pub source: String,
    pub created_at: String,
}

impl HistoryView {
    /// The entry as a reader with `grant` sees it: changes of fields it may not read are left
    /// out (`status` is the native column, or a field of that refId: both must be readable).
    pub fn masked(mut self, grant: &FieldGrant) -> HistoryView {
        self.changes = enspace_domain::events::readable_changes(&self.changes, grant);
        self
    }
}

impl From<enspace_store::events::EventRecord> for HistoryView {
    fn from(e: enspace_store::events::EventRecord) -> Self {
        HistoryView {
            id: e.id,
            action: enspace_domain::events::history_action(&e.kind, &e.changes).to_string(),
            changes: e.changes,
            user: e.actor_user,
            source: e.source,
            created_at: format_ms(e.created_at),
        }
    }
}

/// One entry of a public form: the form's layout marks and the field's definition, so that an
/// anonymous client can render it without reading the type [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicFormField {
    #[serde(rename = "refId")]
    pub ref_id: String,
    pub required: bool,
    pub width: String,
    pub section: Option<String>,
    #[schema(value_type = Object)]
    pub field: FieldView,
}

/// A public form's definition: what `GET /public/forms/{hash}` answers [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicFormView {
    pub hash: String,
    pub name: String,
    #[serde(rename = "type")]
    pub form_type: String,
    pub fields: Vec<PublicFormField>,
}

impl PublicFormView {
    pub fn new(form: enspace_store::forms::FormRecord, fields: &[enspace_store::fields::FieldRecord]) -> Self {
        let entries = form
            .fields
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let ref_id = entry.get("refId")?.as_str()?;
                let field = fields.iter().find(|f| f.def.ref_id == ref_id)?;
                Some(PublicFormField {
                    ref_id: ref_id.to_string(),
                    required: entry.get("required").and_then(Value::as_bool).unwrap_or(false) || field.def.required,
                    width: entry.get("width").and_then(Value::as_str).unwrap_or("12").to_string(),
                    section: entry.get("section").and_then(Value::as_str).map(str::to_string),
                    field: field.into(),
                })
            })
            .collect();
        PublicFormView { hash: form.hash, name: form.name, form_type: form.form_type, fields: entries }
    }
}

/// A role [wire shape].
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub icon: Option<String>,
    /// `active` or `inactive`.
    pub status: String,
    pub permissions_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::roles::RoleRecord> for RoleView {
    fn from(r: enspace_store::roles::RoleRecord) -> Self {
        RoleView {
            id: r.id,
            name: r.name,
            description: r.description,
            icon: r.icon,
            status: r.status,
            permissions_count: r.permissions_count,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}

/// A role permission [wire shape]: `role` is a string, as the product's screens send it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    pub id: i64,
    /// `<area>::<target>::<action>`.
    pub reference: String,
    /// Field paths for `types::<slug>::read|update` (`["*"]`: every field, also later ones).
    #[schema(value_type = Vec<String>)]
    pub fields: Value,
    /// Kept and returned as given.
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
    pub role: String,
}

impl From<enspace_store::roles::PermissionRecord> for PermissionView {
    fn from(p: enspace_store::roles::PermissionRecord) -> Self {
        PermissionView {
            id: p.id,
            reference: p.reference,
            fields: p.fields,
            rules: p.rules,
            role: p.role_id.to_string(),
        }
    }
}

/// A member [wire shape, exactly: `v1_compatibility` shows only in what the member may do].
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub user: UserView,
    pub email: String,
    /// `owner`, `full`, `standard` or `viewer`.
    #[serde(rename = "type")]
    pub member_type: String,
    pub role: Option<i64>,
    pub groups: Vec<i64>,
    /// `active`, `inactive` or `blocked`.
    pub status: String,
}

impl From<enspace_store::members::MemberDetail> for MemberView {
    fn from(d: enspace_store::members::MemberDetail) -> Self {
        MemberView {
            id: d.member.id,
            created_at: format_ms(d.member.created_at),
            updated_at: format_ms(d.member.updated_at),
            email: d.user.email.clone(),
            user: (&d.user).into(),
            member_type: d.member.member_type,
            role: d.member.role_id,
            groups: d.groups,
            status: d.member.status,
        }
    }
}

/// A new member; `invitation_url` when the user must still accept (set a password) and no
/// email integration sent it [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedMemberView {
    #[serde(flatten)]
    pub member: MemberView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_url: Option<String>,
}

/// A member group [wire shape]; `permissions` apply to its v1 compatibility members.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: Vec<i64>,
    pub permissions: Vec<GroupPermissionView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPermissionView {
    pub id: i64,
    pub reference: String,
    #[schema(value_type = Vec<String>)]
    pub fields: Value,
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
}

impl From<enspace_store::member_groups::GroupRecord> for GroupView {
    fn from(g: enspace_store::member_groups::GroupRecord) -> Self {
        GroupView {
            id: g.id,
            name: g.name,
            description: g.description,
            members: g.members,
            permissions: g
                .permissions
                .into_iter()
                .map(|p| GroupPermissionView { id: p.id, reference: p.reference, fields: p.fields, rules: p.rules })
                .collect(),
            created_at: format_ms(g.created_at),
            updated_at: format_ms(g.updated_at),
        }
    }
}

/// A catalogue entry: the integration type object [wire] with the JSON Schema of its `data`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueEntry {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub kind: Value,
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// An installed integration [wire]; secrets never appear, `configured_secrets` names the set ones.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub id: i64,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    #[schema(value_type = Object)]
    pub integration: Value,
    /// `active` or `inactive`.
    pub status: String,
    pub configured_secrets: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl IntegrationView {
    pub fn new(
        record: enspace_store::integrations::IntegrationRecord,
        kind: Value,
        configured_secrets: Vec<String>,
    ) -> Self {
        IntegrationView {
            id: record.id,
            data: record.data,
            integration: kind,
            status: record.status,
            configured_secrets,
            created_at: format_ms(record.created_at),
            updated_at: format_ms(record.updated_at),
        }
    }
}

/// An outbox email [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailView {
    pub id: i64,
    pub to: Vec<String>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub reply_to: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// SendGrid's `X-Message-Id`, once sent.
    pub provider_message_id: Option<String>,
    /// The last attempt's error (the provider's own message; never a credential).
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

impl From<enspace_store::emails::EmailRecord> for EmailView {
    fn from(e: enspace_store::emails::EmailRecord) -> Self {
        EmailView {
            id: e.id,
            to: e.to,
            subject: e.subject,
            text: e.text,
            html: e.html,
            reply_to: e.reply_to,
            status: e.status,
            provider_message_id: e.provider_message_id,
            last_error: e.last_error,
            created_at: format_ms(e.created_at),
            updated_at: format_ms(e.updated_at),
            sent_at: e.sent_at.map(format_ms),
        }
    }
}

/// A WhatsApp conversation [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: i64,
    pub integration: i64,
    /// The contact's number, E.164.
    pub contact: String,
    /// The contact's WhatsApp profile name, when Twilio sent one.
    pub contact_name: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    pub last_inbound_at: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::conversations::ConversationRecord> for ConversationView {
    fn from(c: enspace_store::conversations::ConversationRecord) -> Self {
        ConversationView {
            id: c.id,
            integration: c.integration_id,
            contact: c.contact,
            contact_name: c.contact_name,
            status: c.status,
            last_inbound_at: c.last_inbound_at.map(format_ms),
            closed_at: c.closed_at.map(format_ms),
            created_at: format_ms(c.created_at),
            updated_at: format_ms(c.updated_at),
        }
    }
}

/// A message of a conversation [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationMessageView {
    pub id: i64,
    pub conversation: i64,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `message`, `autoclose_warning` or `autoclose_closing`.
    pub kind: String,
    pub body: String,
    /// Inbound `received`; outbound `queued`, `sent`, `delivered`, `read`, `failed`, `undelivered`.
    pub status: String,
    /// Twilio's MessageSid.
    pub provider_sid: Option<String>,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    /// Who sent an outbound message (none for automatic ones).
    pub user: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::conversations::MessageRecord> for ConversationMessageView {
    fn from(m: enspace_store::conversations::MessageRecord) -> Self {
        ConversationMessageView {
            id: m.id,
            conversation: m.conversation_id,
            direction: m.direction,
            kind: m.kind,
            body: m.body,
            status: m.status,
            provider_sid: m.provider_sid,
            error_code: m.error_code,
            last_error: m.last_error,
            user: m.created_by,
            created_at: format_ms(m.created_at),
            updated_at: format_ms(m.updated_at),
        }
    }
}

/// A chat completion [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatView {
    pub content: String,
    pub model: String,
    pub usage: ChatUsage,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatUsage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
}

/// What `POST /integrations/{id}/test` found [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationTestView {
    pub ok: bool,
    pub message: String,
}

/// A document out for signature [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureRequestView {
    pub id: i64,
    /// The installation that sent it (`null` once uninstalled).
    pub integration: Option<i64>,
    /// The integration type's slug.
    pub provider: String,
    /// The provider's id for it (envelope, document, agreement).
    pub provider_id: String,
    pub title: String,
    /// `sent`, `partially_signed`, `signed`, `refused`, `cancelled`, `expired` or `failed`.
    pub status: String,
    pub signers: Vec<SignatureSignerView>,
    /// The provider events received, in arrival order.
    pub events: Vec<SignatureEventView>,
    /// The item it is about: `{type, reference}`.
    #[schema(value_type = Option<Object>)]
    pub item: Option<serde_json::Value>,
    pub document_name: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureSignerView {
    pub email: String,
    pub name: Option<String>,
    /// In the provider's vocabulary.
    pub action: String,
    /// `pending`, `signed` or `refused`.
    pub status: String,
    pub signed_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureEventView {
    /// The provider's name for the event (`recipient-completed`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub received_at: String,
}

impl From<enspace_store::signature_requests::SignatureRequestRecord> for SignatureRequestView {
    fn from(r: enspace_store::signature_requests::SignatureRequestRecord) -> Self {
        use enspace_domain::esign::SignerStatus;
        let item = match (r.item_type, r.item_reference) {
            (Some(kind), Some(reference)) => Some(serde_json::json!({ "type": kind, "reference": reference })),
            _ => None,
        };
        SignatureRequestView {
            id: r.id,
            integration: r.integration_id,
            provider: r.provider,
            provider_id: r.provider_id,
            title: r.title,
            status: r.status.as_str().to_string(),
            signers: r
                .signers
                .into_iter()
                .map(|s| SignatureSignerView {
                    email: s.email,
                    name: s.name,
                    action: s.action,
                    status: match s.status {
                        SignerStatus::Pending => "pending",
                        SignerStatus::Signed => "signed",
                        SignerStatus::Refused => "refused",
                    }
                    .to_string(),
                    signed_at: s.signed_at.map(format_ms),
                })
                .collect(),
            events: r
                .events
                .iter()
                .map(|e| SignatureEventView {
                    kind: e["type"].as_str().unwrap_or_default().to_string(),
                    received_at: e["received_at"].as_str().unwrap_or_default().to_string(),
                })
                .collect(),
            item,
            document_name: r.document_name,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}
