//! JSON, parsed and written by the browser (`JSON.parse`, `JSON.stringify`) instead of a parser
//! shipped in the wasm: serde_json cost about 14 kB gzip of every first load.
//!
//! Answers whose shape the app does not fix (token claims, userInfo, the API's bodies,
//! config.json, Cognito's JSON API) become a [`Value`]: plain Rust data, so the decisions taken
//! on them stay pure functions tested on the host, which builds its values in tests. The one way
//! in from text is [`parse`]. Typed data (the token endpoint's answer, the key set, what is kept
//! in `sessionStorage`, the messages between tabs) keeps its serde derives and goes through
//! `serde-wasm-bindgen`: [`from_text`], [`to_text`]. Those three need the browser; they are
//! tested in headless Chromium (`tests/web_json.rs`).

use std::fmt::{self, Write as _};

use js_sys::{Array, JSON};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null` (and what JSON cannot hold, such as a number too large for a double).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as JavaScript writes it (`1800000000`, `0.5`, `1e+21`): kept as text, so that
    /// neither reading nor showing it needs float formatting code in the wasm.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Object),
}

/// A JSON object's members, in their order (`JSON.parse` keeps the last of repeated names).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// The member `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Adds a member; the names a caller adds are its own, so they are not checked for repeats.
    pub fn push(&mut self, name: &str, value: impl Into<Value>) {
        self.0.push((name.to_owned(), value.into()));
    }

    /// The member names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }
}

impl IntoIterator for Object {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<(String, Value)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(members: I) -> Self {
        Self(members.into_iter().collect())
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<Object> for Value {
    fn from(object: Object) -> Self {
        Value::Object(object)
    }
}

impl Value {
    /// The member `name`, if this is an object that has it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_object()?.get(name)
    }

    /// The text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if this is an integer that fits an `i64` (`1.5` and `1e+21` do not).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The value as `JSON.stringify(value, null, 2)` writes it, for reading.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(0));
        out
    }

    /// Writes the value as JSON: compact with `indent` `None`, else pretty at that depth.
    fn write(&self, out: &mut String, indent: Option<usize>) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Value::Number(text) => out.push_str(text),
            Value::String(text) => write_string(out, text),
            Value::Array(items) => write_members(out, "[]", indent, items, |out, item, indent| {
                item.write(out, indent);
            }),
            Value::Object(object) => {
                write_members(
                    out,
                    "{}",
                    indent,
                    &object.0,
                    |out, (name, value), indent| {
                        write_string(out, name);
                        out.push_str(if indent.is_some() { ": " } else { ":" });
                        value.write(out, indent);
                    },
                );
            }
        }
    }
}

/// `items` between `brackets`, each written by `each`, separated by commas; pretty-printed one
/// to a line, two spaces further in than `indent`, when `indent` is given.
fn write_members<T>(
    out: &mut String,
    brackets: &str,
    indent: Option<usize>,
    items: &[T],
    each: impl Fn(&mut String, &T, Option<usize>),
) {
    let (open, close) = brackets.split_at(1);
    out.push_str(open);
    let inner = indent.map(|depth| depth + 2);
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        if let Some(depth) = inner {
            new_line(out, depth);
        }
        each(out, item, inner);
    }
    if let Some(depth) = indent.filter(|_| !items.is_empty()) {
        new_line(out, depth);
    }
    out.push_str(close);
}

fn new_line(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', depth));
}

/// A JSON string literal, escaped as `JSON.stringify` does.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Compact JSON, as `JSON.stringify` writes it.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out, None);
        f.write_str(&out)
    }
}

/// The message of what JavaScript threw.
fn message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .unwrap_or_else(|| "not JSON".into())
}

/// Parses `text` with `JSON.parse`; the error is the browser's message, which says where.
pub fn parse(text: &str) -> Result<Value, String> {
    JSON::parse(text)
        .map(|value| from_js(&value))
        .map_err(|error| message(&error))
}

/// What `JSON.parse` made, as a [`Value`].
fn from_js(value: &JsValue) -> Value {
    if let Some(text) = value.as_string() {
        Value::String(text)
    } else if let Some(flag) = value.as_bool() {
        Value::Bool(flag)
    } else if let Some(number) = value.as_f64() {
        // `JSON.parse("1e999")` is Infinity, which JSON writes as null.
        match js_sys::Number::from(number).to_string_with_radix(10) {
            Ok(text) if number.is_finite() => Value::Number(text.into()),
            _ => Value::Null,
        }
    } else if Array::is_array(value) {
        Value::Array(
            value
                .unchecked_ref::<Array>()
                .iter()
                .map(|item| from_js(&item))
                .collect(),
        )
    } else if let Some(object) = value.dyn_ref::<js_sys::Object>() {
        Value::Object(
            js_sys::Object::entries(object)
                .iter()
                .map(|entry| {
                    let entry = entry.unchecked_into::<Array>();
                    (
                        entry.get(0).as_string().unwrap_or_default(),
                        from_js(&entry.get(1)),
                    )
                })
                .collect(),
        )
    } else {
        Value::Null
    }
}

/// Parses `text` with `JSON.parse` into `T` (its serde derive, through `serde-wasm-bindgen`).
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = JSON::parse(text).map_err(|error| message(&error))?;
    serde_wasm_bindgen::from_value(value).map_err(|error| error.to_string())
}

/// `value` as JSON text, by `JSON.stringify` (its serde derive, through `serde-wasm-bindgen`).
pub fn to_text<T: Serialize>(value: &T) -> Result<String, String> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| error.to_string())?;
    JSON::stringify(&value)
        .map(String::from)
        .map_err(|error| message(&error))
}

/// Values built in host tests with `serde_json::json!`, as [`parse`] would have made them.
#[cfg(test)]
impl From<serde_json::Value> for Value {
    fn from(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(flag) => Value::Bool(flag),
            serde_json::Value::Number(number) => Value::Number(number.to_string()),
            serde_json::Value::String(text) => Value::String(text),
            serde_json::Value::Array(items) => {
                Value::Array(items.into_iter().map(Value::from).collect())
            }
            serde_json::Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(name, value)| (name, value.into()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_read_like_serde_json_values() {
        let value = Value::from(json!({"s": "x", "n": 1_800_000_000, "f": 1.5, "a": [1], "o": {}}));
        assert_eq!(value.get("s").and_then(Value::as_str), Some("x"));
        assert_eq!(value.get("n").and_then(Value::as_i64), Some(1_800_000_000));
        assert_eq!(
            value.get("f").and_then(Value::as_i64),
            None,
            "not an integer"
        );
        assert_eq!(value.get("s").and_then(Value::as_i64), None);
        assert_eq!(
            value.get("a").and_then(Value::as_array).map(<[Value]>::len),
            Some(1)
        );
        assert!(value.get("o").and_then(Value::as_object).is_some());
        assert_eq!(value.get("absent"), None);
        assert_eq!(Value::Null.get("s"), None);
        let names: Vec<&str> = value.as_object().unwrap().names().collect();
        assert_eq!(
            names,
            ["a", "f", "n", "o", "s"],
            "serde_json's own order, kept"
        );
    }

    #[test]
    fn compact_output_is_what_json_stringify_writes() {
        let value = Value::from(json!({"a": [1, "two", null, true], "b": {"c": false}}));
        assert_eq!(
            value.to_string(),
            r#"{"a":[1,"two",null,true],"b":{"c":false}}"#
        );
        assert_eq!(Value::from(json!([])).to_string(), "[]");
        assert_eq!(
            Value::from("quote \" backslash \\ newline \n tab \t bell \u{7} é").to_string(),
            r#""quote \" backslash \\ newline \n tab \t bell \u0007 é""#
        );
    }

    #[test]
    fn pretty_output_is_what_json_stringify_with_two_spaces_writes() {
        let value = Value::from(json!({"message": "hi", "list": [1, {}], "empty": []}));
        assert_eq!(
            value.pretty(),
            "{\n  \"empty\": [],\n  \"list\": [\n    1,\n    {}\n  ],\n  \"message\": \"hi\"\n}"
        );
        assert_eq!(Value::from(json!({})).pretty(), "{}");
        assert_eq!(Value::from(json!(42)).pretty(), "42");
    }

    #[test]
    fn objects_are_built_in_order() {
        let mut object = Object::new();
        object.push("b", "1");
        object.push("a", true);
        assert_eq!(Value::from(object).to_string(), r#"{"b":"1","a":true}"#);
    }
}
