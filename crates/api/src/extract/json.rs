//! JSON request bodies: bounded, `application/json` only, malformed JSON, repeated keys and
//! unknown keys rejected in the error shape with the path of the problem.

use axum::{
    body::Bytes,
    extract::{FromRequest, OptionalFromRequest, Request},
    http::{header::CONTENT_TYPE, StatusCode},
};
use enspace_domain::Detail;
use serde::{
    de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor},
    Deserialize,
};
use serde_json::{Map, Value};

use crate::{error::ApiError, AppState};

/// Keys a client may send back from a response that the server owns: ignored, never an error.
const READ_ONLY_KEYS: &[&str] = &["id", "created_at", "updated_at"];

/// A body input type; `READ_ONLY` adds the keys of its resource that the server owns.
pub trait Input: DeserializeOwned {
    const READ_ONLY: &'static [&'static str] = &[];
}

pub struct ApiJson<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: Input> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        <Self as OptionalFromRequest<AppState>>::from_request(request, state)
            .await?
            .ok_or_else(|| ApiError::bad_request("A JSON object body is required"))
    }
}

/// A body that may be left out (`Option<ApiJson<T>>`): an empty body is `None`; one that is
/// sent is read exactly as a required one.
impl<T: Input> OptionalFromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Option<Self>, ApiError> {
        let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("Request body is larger than the limit of {} bytes", state.config.body_limit),
                )
            } else {
                ApiError::bad_request(format!("Could not read the request body: {rejection}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !content_type.as_deref().is_some_and(is_json) {
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json"));
        }
        let mut value = parse_unique(&bytes)?;
        let Some(object) = value.as_object_mut() else {
            return Err(ApiError::bad_request("The request body must be a JSON object"));
        };
        for key in READ_ONLY_KEYS.iter().chain(T::READ_ONLY) {
            object.remove(*key);
        }
        serde_path_to_error::deserialize(value).map(|v| Some(ApiJson(v))).map_err(|error| {
            let path = error.path().to_string();
            let message = error.inner().to_string();
            ApiError::validation(vec![Detail::new(if path == "." { String::new() } else { path }, message)])
        })
    }
}

/// For `#[serde(default, deserialize_with = "not_null")]` on a key that may be left out but,
/// when sent, must hold a value: `{"data": null}` is a 400, never read as "not sent".
pub fn not_null<'de, D: Deserializer<'de>, T: serde::Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom("must not be null: leave the key out instead")),
    }
}

/// Parses a body, refusing a key given twice in one object (`{"data": 1, "data": 2}`): plain
/// JSON parsers keep the last one and silently drop the other, which loses what the client sent.
fn parse_unique(bytes: &[u8]) -> Result<Value, ApiError> {
    let repeated = std::cell::RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Unique { at: &At::Root, repeated: &repeated }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, repeated.into_inner()) {
        (_, Some(path)) => Err(ApiError::validation(vec![Detail::new(path, "is given more than once")])),
        (Ok(value), None) => Ok(value),
        (Err(error), None) => Err(ApiError::bad_request(format!("Malformed JSON body: {error}"))),
    }
}

/// Where a value is, as a chain back to the root: written out (`data.itens[2].nome`) only for
/// the error, so a body that is fine costs no path strings.
enum At<'p> {
    Root,
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl At<'_> {
    fn path(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Key(At::Root, key) => key.to_string(),
            At::Key(parent, key) => format!("{}.{key}", parent.path()),
            At::Index(parent, index) => format!("{}[{index}]", parent.path()),
        }
    }
}

/// A JSON value at `at`; the first repeated key's path lands in `repeated`.
struct Unique<'r, 'p> {
    at: &'p At<'p>,
    repeated: &'r std::cell::RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Unique<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        loop {
            let at = At::Index(self.at, values.len());
            match seq.next_element_seed(Unique { at: &at, repeated: self.repeated })? {
                Some(value) => values.push(value),
                None => return Ok(Value::Array(values)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = At::Key(self.at, &key);
            if object.contains_key(&key) {
                *self.repeated.borrow_mut() = Some(at.path());
                return Err(serde::de::Error::custom("repeated key"));
            }
            let value = map.next_value_seed(Unique { at: &at, repeated: self.repeated })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_unique;

    #[test]
    fn repeated_keys_are_named_by_path() {
        let detail = |body: &str| {
            let error = parse_unique(body.as_bytes()).unwrap_err();
            (error.message.to_string(), error.details.first().map(|d| (d.path.clone(), d.message.clone())))
        };
        let repeated = |path: &str| {
            ("Validation failed".to_string(), Some((path.to_string(), "is given more than once".to_string())))
        };
        assert_eq!(detail(r#"{"data":{"nome":"a"},"data":{"nome":"b"}}"#), repeated("data"));
        assert_eq!(detail(r#"{"data":{"nome":"a","nome":"b"}}"#), repeated("data.nome"));
        assert_eq!(detail(r#"{"items":[{"a":1},{"a":1,"a":2}]}"#), repeated("items[1].a"));
        assert_eq!(detail(r#"{"a":1} x"#).0, "Malformed JSON body: trailing characters at line 1 column 9");
        assert_eq!(
            parse_unique(r#"{"a":[1,2.5,"x",null,true,{"b":{}}],"b":-3}"#.as_bytes()).unwrap(),
            serde_json::json!({"a":[1,2.5,"x",null,true,{"b":{}}],"b":-3})
        );
    }
}
