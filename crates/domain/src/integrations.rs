//! The integration catalogue (spec/integrations.md): the eight types, the settings each takes,
//! and the checks of an install or an update's `data`.

use serde_json::{json, Map, Value};

use crate::{user::check_email, Detail};

/// How a setting's value is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Email,
    Url,
    Bool,
    /// A whole number within `[min, max]`.
    Int {
        min: i64,
        max: i64,
    },
    Choice(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Never echoed; stored encrypted.
    pub secret: bool,
    pub default: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
pub struct IntegrationType {
    pub id: i64,
    pub slug: &'static str,
    pub name: &'static str,
    pub settings: &'static [Setting],
}

const ENVIRONMENTS: &[&str] = &["stage", "production"];

const fn setting(key: &'static str, kind: Kind, required: bool, secret: bool) -> Setting {
    Setting { key, kind, required, secret, default: None }
}

const ENVIRONMENT: Setting = setting("environment", Kind::Choice(ENVIRONMENTS), true, false);
const CHANGE_KEYS: Setting =
    Setting { key: "changeKeys", kind: Kind::Bool, required: false, secret: false, default: None };
const WEBHOOK: Setting = setting("webhookCatcherEndpoint", Kind::Url, false, false);
const MINUTES: Kind = Kind::Int { min: 0, max: 59 };
const COUNT: Kind = Kind::Int { min: 0, max: 1_000_000 };

pub const CERTISIGN: i64 = 1;
pub const ADOBE_SIGN: i64 = 2;
pub const D4SIGN: i64 = 3;
pub const CLICKSIGN: i64 = 5;
pub const DOCUSIGN: i64 = 8;
pub const WHATSAPP_TWILIO: i64 = 6;
pub const SENDGRID: i64 = 4;
pub const OPENAI: i64 = 7;
/// The model an OpenAI integration uses when none is set [ours].
pub const OPENAI_DEFAULT_MODEL: &str = "gpt-4o-mini";

/// The catalogue [wire ids, slugs and names where the reference shows them].
pub const CATALOGUE: [IntegrationType; 8] = [
    IntegrationType {
        id: 1,
        slug: "certisign",
        name: "Certisign",
        settings: &[
            ENVIRONMENT,
            setting("token", Kind::Text, true, true),
            WEBHOOK,
            setting(CALLBACK_TOKEN, Kind::Text, false, true),
            CHANGE_KEYS,
        ],
    },
    IntegrationType {
        id: 2,
        slug: "adobe_sign",
        name: "Adobe Sign",
        settings: &[
            ENVIRONMENT,
            setting("client_id", Kind::Text, true, false),
            setting("client_secret", Kind::Text, true, true),
            setting("refresh_token", Kind::Text, true, true),
            setting("api_access_point", Kind::Url, false, false),
            CHANGE_KEYS,
        ],
    },
    IntegrationType {
        id: 3,
        slug: "d4sign",
        name: "D4Sign",
        settings: &[
            ENVIRONMENT,
            setting("token", Kind::Text, true, true),
            setting("crypt_key", Kind::Text, true, true),
            // The safe documents go to (default: the account's first) and the "Secret Key MAC"
            // D4Sign signs its webhooks with; callbacks are refused until it is set [ours].
            setting("safe_uuid", Kind::Text, false, false),
            setting("hmac_secret", Kind::Text, false, true),
            CHANGE_KEYS,
        ],
    },
    IntegrationType {
        id: SENDGRID,
        slug: "sendgrid",
        name: "Sendgrid",
        settings: &[
            ENVIRONMENT,
            setting("api_key", Kind::Text, true, true),
            setting("from_email", Kind::Email, true, false),
            setting("from_name", Kind::Text, false, false),
            CHANGE_KEYS,
        ],
    },
    IntegrationType {
        id: 5,
        slug: "clicksign",
        name: "Clicksign",
        settings: &[
            ENVIRONMENT,
            setting("token", Kind::Text, true, true),
            WEBHOOK,
            // The HMAC SHA256 secret Clicksign shows for the account's webhook; callbacks are
            // refused until it is set [ours].
            setting("webhook_secret", Kind::Text, false, true),
            CHANGE_KEYS,
        ],
    },
    IntegrationType {
        id: WHATSAPP_TWILIO,
        slug: "whatsapp_twilio",
        name: "Whatsapp Twilio",
        settings: &[
            setting("phone_number", Kind::Text, true, false),
            setting("autoclose_hours", COUNT, false, false),
            setting("autoclose_minutes", MINUTES, false, false),
            setting("send_autoclose_message_minutes", COUNT, false, false),
            setting("autoclose_message", Kind::Text, false, false),
            setting("post_autoclose_message", Kind::Text, false, false),
            setting("account_sid", Kind::Text, false, false),
            setting("auth_token", Kind::Text, false, true),
            CHANGE_KEYS,
        ],
    },
    IntegrationType {
        id: OPENAI,
        slug: "openai",
        name: "OpenAi",
        settings: &[
            setting("api_key", Kind::Text, true, true),
            Setting {
                key: "model",
                kind: Kind::Text,
                required: false,
                secret: false,
                default: Some(OPENAI_DEFAULT_MODEL),
            },
            setting("organization", Kind::Text, false, false),
            setting("base_url", Kind::Url, false, false),
            CHANGE_KEYS,
        ],
    },
    IntegrationType {
        id: 8,
        slug: "docusign",
        name: "Docusign",
        settings: &[
            ENVIRONMENT,
            setting("user_id", Kind::Text, true, false),
            setting("account_id", Kind::Text, true, false),
            setting("integration_key", Kind::Text, true, false),
            setting("access_token", Kind::Text, true, true),
            // Connect's HMAC keys, one or more separated by spaces or commas (several while
            // keys rotate); callbacks are refused until one is set [ours].
            setting("connect_hmac_keys", Kind::Text, false, true),
            CHANGE_KEYS,
        ],
    },
];

/// Longest text setting [ours]: messages and tokens fit, nothing unbounded is stored.
pub const TEXT_MAX: usize = 4096;

pub fn by_id(id: i64) -> Option<&'static IntegrationType> {
    CATALOGUE.iter().find(|t| t.id == id)
}

impl IntegrationType {
    /// The type object as embedded in responses [wire]: the catalogue's rows carry the
    /// reference's fixed timestamps.
    pub fn wire(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": format!("integrations.{}.description", self.slug),
            "category": format!("integrations.{}.category", self.slug),
            "slug": self.slug,
            "created_at": "2025-06-17T15:40:10.459Z",
            "updated_at": "2025-06-17T15:40:10.459Z",
            "media": [],
        })
    }

    /// The JSON Schema of `data` [ours]: secrets are `writeOnly` and marked `x-secret`.
    pub fn schema(&self) -> Value {
        let mut properties = Map::new();
        for s in self.settings {
            let mut p = match s.kind {
                Kind::Text => json!({ "type": "string", "maxLength": TEXT_MAX }),
                Kind::Email => json!({ "type": "string", "format": "email" }),
                Kind::Url => json!({ "type": "string", "format": "uri" }),
                Kind::Bool => json!({ "type": "boolean", "default": false }),
                Kind::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
                Kind::Choice(values) => json!({ "type": "string", "enum": values }),
            };
            if s.secret {
                p["writeOnly"] = json!(true);
                p["x-secret"] = json!(true);
            }
            if let Some(default) = s.default {
                p["default"] = json!(default);
            }
            properties.insert(s.key.to_string(), p);
        }
        let required: Vec<&str> = self.settings.iter().filter(|s| s.required).map(|s| s.key).collect();
        json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
    }

    fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.key == key)
    }

    pub fn secret_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.settings.iter().filter(|s| s.secret).map(|s| s.key)
    }
}

/// Settings split: what is echoed, and what is stored encrypted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub public: Map<String, Value>,
    pub secrets: Map<String, Value>,
}

fn check_value(kind: Kind, value: &Value) -> Result<(), String> {
    let text = |v: &Value| v.as_str().map(str::to_string).ok_or_else(|| "expected a string".to_string());
    match kind {
        Kind::Text => {
            let t = text(value)?;
            if t.trim().is_empty() {
                Err("must not be empty".into())
            } else if t.len() > TEXT_MAX {
                Err(format!("must have at most {TEXT_MAX} bytes"))
            } else {
                Ok(())
            }
        }
        Kind::Email => check_email(&text(value)?),
        Kind::Url => {
            let t = text(value)?;
            match url::Url::parse(&t) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
                _ => Err(format!("expected an http(s) URL, got {t:?}")),
            }
        }
        Kind::Bool => value.as_bool().map(|_| ()).ok_or_else(|| "expected true or false".into()),
        Kind::Int { min, max } => match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            Some(n) => Err(format!("must be between {min} and {max}, got {n}")),
            None => Err("expected a whole number".into()),
        },
        Kind::Choice(values) => {
            let t = text(value)?;
            if values.contains(&t.as_str()) {
                Ok(())
            } else {
                Err(format!("expected one of {}, got {t:?}", values.join(", ")))
            }
        }
    }
}

/// The secret path segment of a Certisign installation's callback address (generated when not
/// set: Certisign's callbacks carry no signature, so the address itself is the secret) [ours].
pub const CALLBACK_TOKEN: &str = "callback_token";

/// Checks `sent` against the type and merges it over `stored` (empty on install): a key sent
/// replaces its value, `null` clears an optional one, an absent key (secrets included) keeps
/// its value. Defaults fill what is still unset; `webhook_url` is the default of
/// `webhookCatcherEndpoint`. Every problem is reported, at `data.<key>`.
pub fn merge(
    kind: &IntegrationType,
    stored: &Settings,
    sent: &Map<String, Value>,
    webhook_url: &str,
) -> Result<Settings, Vec<Detail>> {
    let mut details = Vec::new();
    let mut out = stored.clone();
    for (key, value) in sent {
        let path = format!("data.{key}");
        let Some(setting) = kind.setting(key) else {
            details.push(Detail::new(path, format!("unknown setting for {}", kind.slug)));
            continue;
        };
        let target = if setting.secret { &mut out.secrets } else { &mut out.public };
        if value.is_null() {
            target.remove(key);
            continue;
        }
        match check_value(setting.kind, value) {
            // Stored as given (phone numbers included).
            Ok(()) => {
                target.insert(key.clone(), value.clone());
            }
            Err(message) => details.push(Detail::new(path, message)),
        }
    }
    for setting in kind.settings {
        let target = if setting.secret { &mut out.secrets } else { &mut out.public };
        if target.contains_key(setting.key) {
            continue;
        }
        if let Some(default) = setting.default {
            target.insert(setting.key.into(), json!(default));
        } else if setting.key == "webhookCatcherEndpoint" {
            target.insert(setting.key.into(), json!(webhook_url));
        } else if setting.key == "changeKeys" {
            target.insert(setting.key.into(), json!(false));
        } else if setting.key == CALLBACK_TOKEN {
            target.insert(setting.key.into(), json!(crate::key::random_alphanumeric(40)));
        } else if setting.required && !details.iter().any(|d| d.path == format!("data.{}", setting.key)) {
            details.push(Detail::new(format!("data.{}", setting.key), "is required"));
        }
    }
    if kind.id == WHATSAPP_TWILIO {
        check_autoclose(&out.public, &mut details);
    }
    if details.is_empty() {
        Ok(out)
    } else {
        Err(details)
    }
}

/// The auto-close window in minutes (0: never close), from the WhatsApp settings.
pub fn autoclose_window(public: &Map<String, Value>) -> i64 {
    let get = |k: &str| public.get(k).and_then(Value::as_i64).unwrap_or(0);
    get("autoclose_hours") * 60 + get("autoclose_minutes")
}

fn check_autoclose(public: &Map<String, Value>, details: &mut Vec<Detail>) {
    let window = autoclose_window(public);
    if let Some(warning) = public.get("send_autoclose_message_minutes").and_then(Value::as_i64) {
        if window > 0 && warning >= window {
            details.push(Detail::new(
                "data.send_autoclose_message_minutes",
                format!("must be smaller than the auto-close window of {window} minutes"),
            ));
        }
    }
}

/// What makes an installation unique in its workspace [ours]: the type, or for WhatsApp the
/// type and its phone number (digits only, so formatting does not make a second one).
pub fn unique_key(kind: &IntegrationType, public: &Map<String, Value>) -> String {
    if kind.id == WHATSAPP_TWILIO {
        let phone = public.get("phone_number").and_then(Value::as_str).unwrap_or_default();
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        format!("{}:{digits}", kind.slug)
    } else {
        kind.slug.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_catalogue_has_the_eight_with_their_ids() {
        let ids: Vec<(i64, &str)> = CATALOGUE.iter().map(|t| (t.id, t.slug)).collect();
        assert_eq!(
            ids,
            [
                (1, "certisign"),
                (2, "adobe_sign"),
                (3, "d4sign"),
                (4, "sendgrid"),
                (5, "clicksign"),
                (6, "whatsapp_twilio"),
                (7, "openai"),
                (8, "docusign")
            ]
        );
        let schema = by_id(4).unwrap().schema();
        assert_eq!(schema["required"], json!(["environment", "api_key", "from_email"]));
        assert_eq!(schema["properties"]["api_key"]["writeOnly"], true);
    }

    #[test]
    fn an_install_splits_secrets_and_fills_defaults() {
        let sendgrid = by_id(SENDGRID).unwrap();
        let sent = map(json!({ "environment": "stage", "api_key": "SG.x", "from_email": "a@b.co" }));
        let merged = merge(sendgrid, &Settings::default(), &sent, "http://h/webhooks/sendgrid").unwrap();
        assert_eq!(
            Value::Object(merged.public),
            json!({ "environment": "stage", "from_email": "a@b.co", "changeKeys": false })
        );
        assert_eq!(Value::Object(merged.secrets), json!({ "api_key": "SG.x" }));
        let clicksign = by_id(5).unwrap();
        let sent = map(json!({ "environment": "production", "token": "t" }));
        let merged = merge(clicksign, &Settings::default(), &sent, "http://h/webhooks/clicksign").unwrap();
        assert_eq!(merged.public["webhookCatcherEndpoint"], "http://h/webhooks/clicksign");
    }

    #[test]
    fn every_problem_is_reported() {
        let whatsapp = by_id(WHATSAPP_TWILIO).unwrap();
        let sent = map(json!({ "autoclose_minutes": 60, "autoclose_hours": "2", "colour": "red" }));
        let problems = merge(whatsapp, &Settings::default(), &sent, "").unwrap_err();
        let paths: Vec<(&str, &str)> = problems.iter().map(|d| (d.path.as_str(), d.message.as_str())).collect();
        assert_eq!(
            paths,
            [
                ("data.autoclose_hours", "expected a whole number"),
                ("data.autoclose_minutes", "must be between 0 and 59, got 60"),
                ("data.colour", "unknown setting for whatsapp_twilio"),
                ("data.phone_number", "is required"),
            ]
        );
        let sent =
            map(json!({ "phone_number": "21 99999-9999", "autoclose_hours": 1, "send_autoclose_message_minutes": 60 }));
        let problems = merge(whatsapp, &Settings::default(), &sent, "").unwrap_err();
        assert_eq!(problems[0].message, "must be smaller than the auto-close window of 60 minutes");
    }

    #[test]
    fn an_update_merges_and_keeps_absent_secrets() {
        let sendgrid = by_id(SENDGRID).unwrap();
        let stored = Settings {
            public: map(
                json!({ "environment": "stage", "from_email": "a@b.co", "from_name": "A", "changeKeys": false }),
            ),
            secrets: map(json!({ "api_key": "SG.old" })),
        };
        let merged =
            merge(sendgrid, &stored, &map(json!({ "from_name": null, "environment": "production" })), "").unwrap();
        assert_eq!(
            Value::Object(merged.public),
            json!({ "environment": "production", "from_email": "a@b.co", "changeKeys": false })
        );
        assert_eq!(merged.secrets["api_key"], "SG.old");
        let problems = merge(sendgrid, &stored, &map(json!({ "api_key": null })), "").unwrap_err();
        assert_eq!((problems[0].path.as_str(), problems[0].message.as_str()), ("data.api_key", "is required"));
    }

    #[test]
    fn whatsapp_is_unique_per_phone_digits() {
        let whatsapp = by_id(WHATSAPP_TWILIO).unwrap();
        assert_eq!(
            unique_key(whatsapp, &map(json!({ "phone_number": "21 99999-9999" }))),
            unique_key(whatsapp, &map(json!({ "phone_number": "(21) 999999999" })))
        );
        assert_eq!(unique_key(by_id(4).unwrap(), &Map::new()), "sendgrid");
    }
}
