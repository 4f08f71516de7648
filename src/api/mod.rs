//! The API client: one fetch wrapper for the API Gateway routes, and the pure logic that turns
//! what happened into words a person can act on.
//!
//! Requests carry at most two non-simple things, `Authorization: Bearer <access token>` and
//! `Content-Type: application/json`, which is exactly what the API's CORS AllowHeaders permits.
//! An access token about to expire is renewed before it is sent. A 401, or a CORS failure while
//! the token has expired meanwhile (an authorizer 401 without CORS headers looks like that),
//! gets one token refresh and one retry; anything else is reported as it came.
//!
//! `mod.rs` is the route catalogue and the shapes of what comes back; `explain` turns an outcome
//! into words; `transport` sends the requests.

mod explain;
mod transport;

use std::fmt;

use crate::auth::AuthError;
use crate::json::{self, Value};

pub use explain::{Explanation, Origins, Verdict, explain};
pub use transport::{Exchange, answers_without_cors, call, refresh_may_help};

/// The routes of the API, one control each in the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /open`: no authorizer.
    Open,
    /// `GET /hello`: needs `api/read`.
    Hello,
    /// `GET /echo`: needs `api/read`; echoes the caller's claims.
    Echo,
    /// `POST /echo`: needs `api/write`; echoes the JSON body too.
    EchoPost,
    /// `GET /admin`: needs `api/read` and membership of the `admin` group.
    Admin,
}

/// The HTTP methods the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`, with a JSON body.
    Post,
}

/// What a caller needs before a route answers with 2xx.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The scope the authorizer wants in the access token, if the route has an authorizer.
    pub scope: Option<&'static str>,
    /// The Cognito group the handler itself checks, if any.
    pub group: Option<&'static str>,
}

impl Route {
    /// Every route, in the order the console shows them.
    pub const ALL: [Route; 5] = [
        Route::Open,
        Route::Hello,
        Route::Echo,
        Route::EchoPost,
        Route::Admin,
    ];

    /// The HTTP method.
    pub fn method(self) -> Method {
        match self {
            Route::EchoPost => Method::Post,
            Route::Open | Route::Hello | Route::Echo | Route::Admin => Method::Get,
        }
    }

    /// The path below the API's base URL.
    pub fn path(self) -> &'static str {
        match self {
            Route::Open => "/open",
            Route::Hello => "/hello",
            Route::Echo | Route::EchoPost => "/echo",
            Route::Admin => "/admin",
        }
    }

    /// What the caller needs: the route scopes of devstack's `ApiConfig::default` and the
    /// template (devstack/tests/infra_in_step keeps those two in step), and the handler's group.
    pub fn requirement(self) -> Requirement {
        let (scope, group) = match self {
            Route::Open => (None, None),
            Route::Hello | Route::Echo => (Some("api/read"), None),
            Route::EchoPost => (Some("api/write"), None),
            Route::Admin => (Some("api/read"), Some("admin")),
        };
        Requirement { scope, group }
    }

    /// Whether the request carries the access token.
    pub fn needs_token(self) -> bool {
        self.requirement().scope.is_some()
    }

    /// The full URL of this route below `api_base_url` (with or without a trailing slash).
    pub fn url(self, api_base_url: &str) -> String {
        format!("{}{}", api_base_url.trim_end_matches('/'), self.path())
    }

    /// A stable id fragment for the console's markup, e.g. `get-echo`.
    pub fn slug(self) -> String {
        format!(
            "{}-{}",
            self.method().to_string().to_ascii_lowercase(),
            self.path().trim_start_matches('/')
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
        })
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.path())
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.scope, self.group) {
            (None, _) => f.write_str("open to anyone"),
            (Some(scope), None) => write!(f, "scope {scope}"),
            (Some(scope), Some(group)) => write!(f, "scope {scope} and group {group}"),
        }
    }
}

/// A JSON body typed by the person using the console, rejected before it is sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    /// Nothing but whitespace was typed.
    #[error("The body is empty. Type a JSON value, for example {{\"note\": \"hi\"}}.")]
    Empty,
    /// The text is not JSON; the browser's parser says where.
    #[error("This is not valid JSON: {0}.")]
    NotJson(String),
}

/// Checks a request body typed in the console, so that bad JSON never reaches the API.
pub fn parse_body(text: &str) -> Result<Value, BodyError> {
    if text.trim().is_empty() {
        return Err(BodyError::Empty);
    }
    json::parse(text).map_err(BodyError::NotJson)
}

/// A response body as it came back.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// No bytes at all.
    Empty,
    /// Parsed JSON.
    Json(Value),
    /// Text that is not JSON, with the parser's complaint.
    NotJson {
        /// The raw text.
        text: String,
        /// Why it is not JSON.
        error: String,
    },
}

impl Body {
    /// Classifies the raw text of a response.
    pub fn from_text(text: String) -> Self {
        if text.trim().is_empty() {
            return Body::Empty;
        }
        match json::parse(&text) {
            Ok(json) => Body::Json(json),
            Err(error) => Body::NotJson { text, error },
        }
    }

    /// The body for display: JSON pretty-printed, anything else as it came.
    pub fn pretty(&self) -> String {
        match self {
            Body::Empty => String::new(),
            Body::Json(json) => json.pretty(),
            Body::NotJson { text, .. } => text.clone(),
        }
    }

    /// The `message` field API Gateway and the handlers put in their JSON answers.
    fn message(&self) -> Option<&str> {
        match self {
            Body::Json(json) => json.get("message").and_then(Value::as_str),
            Body::Empty | Body::NotJson { .. } => None,
        }
    }
}

/// An HTTP answer the page was allowed to read.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers visible to the page (CORS-safelisted plus ExposeHeaders).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Answer {
    /// The `x-request-id` the API puts on every response, for finding it in the logs.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-request-id"))
            .map(|(_, value)| value.as_str())
    }
}

/// What happened to one call.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The API answered, whatever the status.
    Answered(Answer),
    /// `fetch` failed, yet the API answers a plain `no-cors` request to the same URL: the browser
    /// withheld the answer because its CORS headers did not allow this page's origin.
    BlockedByCors,
    /// `fetch` failed and so did the `no-cors` probe: nothing answers at that URL.
    Unreachable,
    /// The route needs a token and there is no session to take one from.
    NotSignedIn,
    /// The route needs a token, the session's has expired, and renewing it failed (the error
    /// says why): nothing was sent.
    TokenNotRenewed(AuthError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An answer of `status` with `body`, as the console's tests of the explanations and the
    /// transport build them.
    pub(super) fn answered(status: u16, body: Body) -> Outcome {
        Outcome::Answered(Answer {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-request-id".into(), "req-42".into()),
            ],
            body,
        })
    }

    /// A JSON body `{"message": text}`.
    pub(super) fn message(text: &str) -> Body {
        Body::Json(json!({ "message": text }).into())
    }

    #[test]
    fn route_table_matches_the_contract() {
        let table: Vec<(String, &str, bool)> = Route::ALL
            .iter()
            .map(|route| {
                (
                    route.to_string(),
                    route.requirement().scope.unwrap_or("-"),
                    route.needs_token(),
                )
            })
            .collect();
        assert_eq!(
            table,
            [
                ("GET /open".to_owned(), "-", false),
                ("GET /hello".to_owned(), "api/read", true),
                ("GET /echo".to_owned(), "api/read", true),
                ("POST /echo".to_owned(), "api/write", true),
                ("GET /admin".to_owned(), "api/read", true),
            ]
        );
        assert_eq!(Route::Admin.requirement().group, Some("admin"));
        assert_eq!(
            Route::Admin.requirement().to_string(),
            "scope api/read and group admin"
        );
        assert_eq!(Route::Open.requirement().to_string(), "open to anyone");
    }

    #[test]
    fn urls_join_with_or_without_trailing_slash() {
        assert_eq!(
            Route::Hello.url("http://localhost:3000"),
            "http://localhost:3000/hello"
        );
        assert_eq!(
            Route::Hello.url("http://localhost:3000/"),
            "http://localhost:3000/hello"
        );
        assert_eq!(
            Route::EchoPost.url("https://abc.execute-api.us-east-1.amazonaws.com/prod"),
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/echo"
        );
    }

    #[test]
    fn slugs_are_unique() {
        let mut slugs: Vec<String> = Route::ALL.iter().map(|route| route.slug()).collect();
        assert_eq!(slugs[3], "post-echo");
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), Route::ALL.len());
    }

    // What the browser's parser makes of typed bodies and answers: tests/web_json.rs.
    #[test]
    fn an_empty_body_is_refused_before_parsing() {
        assert_eq!(parse_body("  \n"), Err(BodyError::Empty));
        assert!(
            BodyError::NotJson("at position 9".into())
                .to_string()
                .starts_with("This is not valid JSON: ")
        );
    }

    #[test]
    fn response_bodies_are_classified_and_pretty_printed() {
        assert_eq!(Body::from_text(" ".into()), Body::Empty);
        assert_eq!(message("hi").pretty(), "{\n  \"message\": \"hi\"\n}");
        assert_eq!(message("hi").message(), Some("hi"));
        let html = Body::NotJson {
            text: "<html>".into(),
            error: "Unexpected token".into(),
        };
        assert_eq!(html.pretty(), "<html>");
        assert_eq!(html.message(), None);
    }

    #[test]
    fn request_id_is_found_case_insensitively() {
        let answer = Answer {
            status: 200,
            headers: vec![("X-Request-Id".into(), "abc".into())],
            body: Body::Empty,
        };
        assert_eq!(answer.request_id(), Some("abc"));
    }
}
