//! Reading a JSON API request body: one JSON object whose members are read by name and type.
//! Errors name the member and the type it needs, never the value sent (it may be a password,
//! a code or a token), so no serde message (which quotes values) reaches the answer.

use std::collections::HashMap;

use axum::body::Body;
use serde_json::{Map, Value};

use super::AwsError;
use crate::cognito::MAX_FORM_BYTES;

/// A request body: a JSON object.
#[derive(Debug)]
pub(super) struct Request(Map<String, Value>);

/// Cognito's validation error for a missing member, with the member named as AWS's messages
/// name it (`ClientId` is `clientId`).
fn not_null(member: &str) -> AwsError {
    AwsError::invalid_parameter(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member \
         must not be null",
        camel(member)
    ))
}

fn camel(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn wrong_type(member: &str, kind: &str) -> AwsError {
    AwsError::serialization(format!("Member {member} must be {kind}"))
}

impl Request {
    /// Reads at most [`MAX_FORM_BYTES`]; an empty body is an empty object.
    pub(super) async fn read(body: Body) -> Result<Self, AwsError> {
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                AwsError::invalid_parameter(format!(
                    "The request body is larger than {MAX_FORM_BYTES} bytes"
                ))
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        // serde_json's syntax errors give a position, never the text.
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(members)) => Ok(Self(members)),
            Ok(_) => Err(AwsError::serialization(
                "The request body must be a JSON object",
            )),
            Err(error) => Err(AwsError::serialization(format!(
                "The request body is not JSON: {error}"
            ))),
        }
    }

    /// A body with these members (for unit tests).
    #[cfg(test)]
    pub(super) fn from_value(value: Value) -> Self {
        match value {
            Value::Object(members) => Self(members),
            _ => Self(Map::new()),
        }
    }

    fn member(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// An optional string member.
    pub(super) fn optional_str(&self, name: &str) -> Result<Option<&str>, AwsError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    /// A required, non-empty string member.
    pub(super) fn str(&self, name: &str) -> Result<&str, AwsError> {
        match self.optional_str(name)? {
            None => Err(not_null(name)),
            Some("") => Err(AwsError::invalid_parameter(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: \
                 Member must have length greater than or equal to 1",
                camel(name)
            ))),
            Some(text) => Ok(text),
        }
    }

    /// An optional boolean member.
    pub(super) fn optional_bool(&self, name: &str) -> Result<Option<bool>, AwsError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    /// An optional structure member.
    pub(super) fn optional_object(&self, name: &str) -> Result<Option<Request>, AwsError> {
        match self.member(name) {
            None => Ok(None),
            Some(Value::Object(members)) => Ok(Some(Self(members.clone()))),
            Some(_) => Err(wrong_type(name, "an object")),
        }
    }

    /// A map of strings (`AuthParameters`, `ChallengeResponses`); absent is empty.
    pub(super) fn parameters(&self, name: &str) -> Result<Parameters, AwsError> {
        let Some(value) = self.member(name) else {
            return Ok(Parameters::default());
        };
        let Value::Object(members) = value else {
            return Err(wrong_type(name, "an object of strings"));
        };
        let mut parameters = HashMap::with_capacity(members.len());
        for (key, value) in members {
            let Value::String(text) = value else {
                return Err(wrong_type(name, "an object of strings"));
            };
            parameters.insert(key.clone(), text.clone());
        }
        Ok(Parameters(parameters))
    }

    /// A list of `{"Name", "Value"}` attributes (`UserAttributes`); absent is empty.
    pub(super) fn attributes(&self, name: &str) -> Result<Vec<(String, String)>, AwsError> {
        let Some(value) = self.member(name) else {
            return Ok(Vec::new());
        };
        let kind = "a list of {\"Name\", \"Value\"} objects of strings";
        let Value::Array(items) = value else {
            return Err(wrong_type(name, kind));
        };
        items
            .iter()
            .map(|item| match (item.get("Name"), item.get("Value")) {
                (Some(Value::String(name)), Some(Value::String(value))) => {
                    Ok((name.clone(), value.clone()))
                }
                (Some(Value::String(name)), None | Some(Value::Null)) => {
                    Ok((name.clone(), String::new()))
                }
                _ => Err(wrong_type(name, kind)),
            })
            .collect()
    }
}

/// `AuthParameters` or `ChallengeResponses`.
#[derive(Debug, Default)]
pub(super) struct Parameters(HashMap<String, String>);

impl Parameters {
    /// A required, non-empty parameter: Cognito's "Missing required parameter USERNAME".
    pub(super) fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                AwsError::invalid_parameter(format!("Missing required parameter {name}"))
            })
    }

    /// The parameters whose names start with `prefix`, the prefix removed.
    pub(super) fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0
            .iter()
            .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_read_by_type_and_errors_never_quote_values() {
        let request = Request::from_value(json!({
            "ClientId": "abc",
            "Password": 12345678,
            "Permanent": "Secret-Passw0rd!",
            "Empty": "",
            "Gone": null,
            "AuthParameters": {"USERNAME": "demo", "PASSWORD": 5},
        }));
        assert_eq!(request.str("ClientId").unwrap(), "abc");
        let cases = [
            (
                request.str("Password").unwrap_err(),
                "Member Password must be a string",
            ),
            (
                request.optional_bool("Permanent").unwrap_err(),
                "Member Permanent must be a boolean",
            ),
            (
                request.str("Gone").unwrap_err(),
                "1 validation error detected: Value null at 'gone' failed to satisfy \
                 constraint: Member must not be null",
            ),
            (
                request.str("Empty").unwrap_err(),
                "1 validation error detected: Value at 'empty' failed to satisfy constraint: \
                 Member must have length greater than or equal to 1",
            ),
            (
                request.parameters("AuthParameters").unwrap_err(),
                "Member AuthParameters must be an object of strings",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.message, message);
            assert!(!error.message.contains("12345678") && !error.message.contains("Secret"));
        }
        assert_eq!(request.optional_str("Missing").unwrap(), None);
    }

    #[test]
    fn attributes_are_name_value_pairs() {
        let request = Request::from_value(json!({
            "UserAttributes": [{"Name": "email", "Value": "a@example.com"}, {"Name": "x"}],
            "Bad": [{"Name": 1, "Value": "v"}],
        }));
        assert_eq!(
            request.attributes("UserAttributes").unwrap(),
            [
                ("email".to_owned(), "a@example.com".to_owned()),
                ("x".to_owned(), String::new())
            ]
        );
        assert_eq!(request.attributes("Absent").unwrap(), []);
        assert_eq!(
            request.attributes("Bad").unwrap_err().kind,
            "SerializationException"
        );
    }
}
