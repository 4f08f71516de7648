//! The API client: one fetch wrapper for the API Gateway routes, and the pure logic that turns
//! what happened into words a person can act on.
//!
//! Requests carry at most two non-simple things, `Authorization: Bearer <access token>` and
//! `Content-Type: application/json`, which is exactly what the API's CORS AllowHeaders permits.
//! An access token about to expire is renewed before it is sent. A 401, or a CORS failure while
//! the token has expired meanwhile (an authorizer 401 without CORS headers looks like that),
//! gets one token refresh and one retry; anything else is reported as it came.

use gloo_net::http::RequestBuilder;
use serde_json::Value;
use std::fmt;
use web_sys::RequestMode;

use crate::auth::{AccessToken, Auth, AuthError};

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
    /// The text is not JSON; serde_json says where.
    #[error("This is not valid JSON: {0}.")]
    NotJson(String),
}

/// Checks a request body typed in the console, so that bad JSON never reaches the API.
pub fn parse_body(text: &str) -> Result<Value, BodyError> {
    if text.trim().is_empty() {
        return Err(BodyError::Empty);
    }
    serde_json::from_str(text).map_err(|error| BodyError::NotJson(error.to_string()))
}

/// A response body as it came back.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// No bytes at all.
    Empty,
    /// Parsed JSON.
    Json(Value),
    /// Text that is not JSON, with serde_json's complaint.
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
        match serde_json::from_str(&text) {
            Ok(json) => Body::Json(json),
            Err(error) => Body::NotJson {
                text,
                error: error.to_string(),
            },
        }
    }

    /// The body for display: JSON pretty-printed, anything else as it came.
    pub fn pretty(&self) -> String {
        match self {
            Body::Empty => String::new(),
            Body::Json(json) => serde_json::to_string_pretty(json).unwrap_or_default(),
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

/// Where the page and the API live; the explanations name them.
#[derive(Clone, Copy, Debug)]
pub struct Origins<'a> {
    /// The origin this page runs on, e.g. `http://localhost:8080`.
    pub page: &'a str,
    /// The API's base URL from config.json, e.g. `http://localhost:3000`.
    pub api_base_url: &'a str,
}

/// Whether an outcome is what the caller hoped for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx with a JSON body.
    Success,
    /// Anything else.
    Problem,
}

/// An outcome in words: what happened, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// Success or problem.
    pub verdict: Verdict,
    /// One sentence: what happened.
    pub summary: String,
    /// What the person can do about it, when there is something to do.
    pub advice: Option<String>,
}

impl Explanation {
    fn success(summary: String) -> Self {
        Self {
            verdict: Verdict::Success,
            summary,
            advice: None,
        }
    }

    fn problem(summary: String, advice: String) -> Self {
        Self {
            verdict: Verdict::Problem,
            summary,
            advice: Some(advice),
        }
    }
}

/// Turns the outcome of calling `route` into a sentence and a piece of advice.
pub fn explain(route: Route, outcome: &Outcome, origins: Origins<'_>) -> Explanation {
    let url = route.url(origins.api_base_url);
    match outcome {
        Outcome::NotSignedIn => Explanation::problem(
            format!("You are not signed in, so there is no access token to send to {route}."),
            "Sign in, then try again.".to_owned(),
        ),
        Outcome::Unreachable => Explanation::problem(
            format!("Nothing answered at {url}."),
            format!(
                "Check that the API is running and that api_base_url in config.json ({}) is \
                 right. A network outage or a browser extension blocking the request looks the \
                 same.",
                origins.api_base_url
            ),
        ),
        Outcome::BlockedByCors => Explanation::problem(
            format!(
                "The API at {} answered, but the browser withheld the answer from this page \
                 (CORS).",
                origins.api_base_url
            ),
            format!(
                "This page runs on {}. The API's CORS AllowOrigins must include exactly that \
                 origin, AllowMethods must include {}, and AllowHeaders must include \
                 authorization and content-type. An authorizer 401 sent without CORS headers \
                 also looks like this: if the CORS settings are right, sign in again.",
                origins.page,
                route.method()
            ),
        ),
        Outcome::TokenNotRenewed(error) => Explanation::problem(
            format!(
                "Your access token has expired and could not be renewed, so nothing was sent to \
                 {route}: {error}"
            ),
            "The app keeps trying to renew it. Check the network connection and try again; if \
             this persists, sign out and sign in again."
                .to_owned(),
        ),
        Outcome::Answered(answer) => explain_answer(route, answer, &url),
    }
}

fn explain_answer(route: Route, answer: &Answer, url: &str) -> Explanation {
    let status = answer.status;
    let logs_hint = match answer.request_id() {
        Some(id) => format!("Look for request id {id} in the API's logs."),
        None => "The API's logs should say why.".to_owned(),
    };
    match status {
        200..=299 => match &answer.body {
            Body::Json(_) => Explanation::success(format!("{route} answered {status}.")),
            Body::Empty => Explanation::problem(
                format!("{route} answered {status} with an empty body where JSON was expected."),
                logs_hint,
            ),
            Body::NotJson { error, .. } => Explanation::problem(
                format!("{route} answered {status}, but the body is not JSON ({error})."),
                logs_hint,
            ),
        },
        400 => Explanation::problem(
            format!(
                "The API rejected the request as malformed (400): {}",
                answer.body.message().unwrap_or("no reason given")
            ),
            "Fix the request body and send it again.".to_owned(),
        ),
        401 => Explanation::problem(
            "The API no longer accepts your session (401 Unauthorized), even after refreshing \
             the tokens."
                .to_owned(),
            "Sign out and sign in again.".to_owned(),
        ),
        403 => explain_forbidden(route, &answer.body),
        404 => Explanation::problem(
            format!("The API has no route {route} (404): {url} was not found."),
            "Check that api_base_url in config.json points at the API (including any stage \
             path) and that the route is deployed."
                .to_owned(),
        ),
        413 => Explanation::problem(
            "The request body is too large for the API (413).".to_owned(),
            "Send a smaller body.".to_owned(),
        ),
        500..=599 => Explanation::problem(
            format!("The API failed while handling {route} ({status})."),
            logs_hint,
        ),
        _ => Explanation::problem(
            format!("{route} answered with an unexpected status {status}."),
            logs_hint,
        ),
    }
}

/// 403 has two sources: the authorizer ("Forbidden": the token lacks the route's scope) and the
/// `/admin` handler (its own message: the caller is not in the group).
fn explain_forbidden(route: Route, body: &Body) -> Explanation {
    let requirement = route.requirement();
    let from_authorizer = body.message() == Some("Forbidden");
    match (requirement.group, from_authorizer) {
        (Some(group), false) => Explanation::problem(
            format!("{route} is only for members of the {group} group, and you are not one (403)."),
            format!(
                "Sign in as a user in the {group} group. If you were just added to it, sign out \
                 and in again so that your tokens carry the new group."
            ),
        ),
        _ => {
            let scope = requirement.scope.unwrap_or("a scope");
            Explanation::problem(
                format!("Your access token lacks {scope}, which {route} needs (403)."),
                format!(
                    "Sign in again. If this persists, the app client must allow {scope} and the \
                     scopes in config.json must ask for it."
                ),
            )
        }
    }
}

/// One call as the console shows it: what happened, how long it took, whether a refresh
/// happened in between.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// What happened.
    pub outcome: Outcome,
    /// Milliseconds from sending the (last) request to having the whole answer.
    pub latency_ms: u32,
    /// Whether a 401 (or a CORS failure with a due token) led to a token refresh and a retry.
    pub retried_after_refresh: bool,
}

/// Whether a refresh and one retry may turn `outcome` into an answer: a 401, or a failure the
/// browser reports as CORS for a route that sends a token which is (about to be) expired, since
/// an authorizer's 401 without CORS headers looks like that.
pub fn refresh_may_help(route: Route, outcome: &Outcome, token_due: bool) -> bool {
    match outcome {
        Outcome::Answered(answer) => answer.status == 401,
        Outcome::BlockedByCors => route.needs_token() && token_due,
        Outcome::Unreachable | Outcome::NotSignedIn | Outcome::TokenNotRenewed(_) => false,
    }
}

/// Calls `route` below `api_base_url`, with the access token when the route needs one (renewed
/// first if it is about to expire) and `body` as JSON for POST. A 401, or a CORS failure with an
/// expired token, gets one refresh and one retry.
pub async fn call(auth: Auth, api_base_url: &str, route: Route, body: Option<Value>) -> Exchange {
    let url = route.url(api_base_url);
    let first = send(&auth, &url, route, body.as_ref()).await;
    if refresh_may_help(route, &first.0, auth.access_token_due()) && auth.refresh().await.is_ok() {
        let (outcome, latency_ms) = send(&auth, &url, route, body.as_ref()).await;
        return Exchange {
            outcome,
            latency_ms,
            retried_after_refresh: true,
        };
    }
    let (outcome, latency_ms) = first;
    Exchange {
        outcome,
        latency_ms,
        retried_after_refresh: false,
    }
}

/// One request, timed. Only `Authorization` and `Content-Type: application/json` are added, the
/// two headers the API's CORS configuration allows.
async fn send(auth: &Auth, url: &str, route: Route, body: Option<&Value>) -> (Outcome, u32) {
    let token = if route.needs_token() {
        match auth.fresh_access_token().await {
            Ok(token) => Some(token),
            Err(AuthError::NotSignedIn) => return (Outcome::NotSignedIn, 0),
            Err(error) => return (Outcome::TokenNotRenewed(error), 0),
        }
    } else {
        None
    };
    let request = match request(url, route, token.as_ref(), body) {
        Ok(request) => request,
        Err(outcome) => return (outcome, 0),
    };
    let started = js_sys::Date::now();
    let sent = match request.send().await {
        Ok(response) => Ok(read_answer(response).await),
        Err(error) => Err(error),
    };
    // The latency of the call itself; the probe below is not part of it.
    let latency_ms = (js_sys::Date::now() - started).max(0.0) as u32;
    let outcome = match sent {
        Ok(answer) => Outcome::Answered(answer),
        Err(_) if answers_without_cors(url).await => Outcome::BlockedByCors,
        Err(_) => Outcome::Unreachable,
    };
    (outcome, latency_ms)
}

fn request(
    url: &str,
    route: Route,
    token: Option<&AccessToken>,
    body: Option<&Value>,
) -> Result<gloo_net::http::Request, Outcome> {
    let mut builder = match route.method() {
        Method::Get => RequestBuilder::new(url).method(gloo_net::http::Method::GET),
        Method::Post => RequestBuilder::new(url).method(gloo_net::http::Method::POST),
    };
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {}", token.secret()));
    }
    let built = match body {
        Some(json) => builder.json(json),
        None => builder.build(),
    };
    // Building fails only on a URL the browser cannot parse; config.json's URLs are checked.
    built.map_err(|_| Outcome::Unreachable)
}

async fn read_answer(response: gloo_net::http::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().entries().collect();
    let body = match response.text().await {
        Ok(text) => Body::from_text(text),
        Err(error) => Body::NotJson {
            text: String::new(),
            error: format!("the body could not be read: {error}"),
        },
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// After a failed fetch: does a `no-cors` request to the same URL get through? The browser
/// gives no-cors answers to the page unread (opaque), CORS headers or not, so success means the
/// API is up and CORS withheld the real answer. Also used for Cognito's JSON API ([`crate::idp`]).
pub(crate) async fn answers_without_cors(url: &str) -> bool {
    RequestBuilder::new(url)
        .mode(RequestMode::NoCors)
        .send()
        .await
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ORIGINS: Origins<'static> = Origins {
        page: "http://localhost:8080",
        api_base_url: "http://localhost:3000/",
    };

    fn answered(status: u16, body: Body) -> Outcome {
        Outcome::Answered(Answer {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-request-id".into(), "req-42".into()),
            ],
            body,
        })
    }

    fn message(text: &str) -> Body {
        Body::Json(json!({ "message": text }))
    }

    fn problem_text(route: Route, outcome: &Outcome) -> (String, String) {
        let explanation = explain(route, outcome, ORIGINS);
        assert_eq!(explanation.verdict, Verdict::Problem, "{explanation:?}");
        (explanation.summary, explanation.advice.unwrap_or_default())
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

    #[test]
    fn body_validation_accepts_json_and_explains_the_rest() {
        assert_eq!(parse_body(r#" {"a": [1, 2]} "#), Ok(json!({"a": [1, 2]})));
        assert_eq!(parse_body("42"), Ok(json!(42)));
        assert_eq!(parse_body("  \n"), Err(BodyError::Empty));
        let Err(BodyError::NotJson(reason)) = parse_body("{\"a\": 1,\n}") else {
            panic!("trailing comma accepted");
        };
        assert!(reason.contains("line 2"), "{reason}");
        assert!(
            BodyError::NotJson(reason)
                .to_string()
                .starts_with("This is not valid JSON: ")
        );
    }

    #[test]
    fn response_bodies_are_classified_and_pretty_printed() {
        assert_eq!(Body::from_text(" ".into()), Body::Empty);
        let json = Body::from_text(r#"{"message":"hi"}"#.into());
        assert_eq!(json.pretty(), "{\n  \"message\": \"hi\"\n}");
        let html = Body::from_text("<html>".into());
        assert!(matches!(&html, Body::NotJson { text, .. } if text == "<html>"));
        assert_eq!(html.pretty(), "<html>");
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

    #[test]
    fn success_needs_json() {
        let explanation = explain(
            Route::Hello,
            &answered(200, message("Hello, demo!")),
            ORIGINS,
        );
        assert_eq!(explanation.verdict, Verdict::Success);
        assert_eq!(explanation.summary, "GET /hello answered 200.");
        assert_eq!(explanation.advice, None);
    }

    #[test]
    fn bad_json_in_a_success_response_is_a_problem() {
        let (summary, advice) =
            problem_text(Route::Open, &answered(200, Body::from_text("oops".into())));
        assert!(summary.contains("not JSON"), "{summary}");
        assert!(advice.contains("req-42"), "{advice}");
        let (summary, _) = problem_text(Route::Open, &answered(204, Body::Empty));
        assert!(summary.contains("empty body"), "{summary}");
    }

    #[test]
    fn unreachable_names_the_url_and_the_config_field() {
        let (summary, advice) = problem_text(Route::Hello, &Outcome::Unreachable);
        assert!(summary.contains("http://localhost:3000/hello"), "{summary}");
        assert!(advice.contains("api_base_url"), "{advice}");
    }

    #[test]
    fn cors_names_the_page_origin_and_what_to_check() {
        let (summary, advice) = problem_text(Route::EchoPost, &Outcome::BlockedByCors);
        assert!(summary.contains("CORS"), "{summary}");
        assert!(advice.contains("runs on http://localhost:8080"), "{advice}");
        assert!(advice.contains("AllowOrigins"), "{advice}");
        assert!(
            advice.contains("AllowMethods must include POST"),
            "{advice}"
        );
        assert!(advice.contains("401"), "{advice}");
    }

    #[test]
    fn unauthorized_asks_to_sign_in_again() {
        let (summary, advice) = problem_text(Route::Hello, &answered(401, message("Unauthorized")));
        assert!(summary.contains("401"), "{summary}");
        assert!(advice.contains("sign in again"), "{advice}");
    }

    #[test]
    fn forbidden_by_the_authorizer_names_the_scope() {
        let (summary, _) = problem_text(Route::EchoPost, &answered(403, message("Forbidden")));
        assert!(summary.contains("lacks api/write"), "{summary}");
        let (summary, _) = problem_text(Route::Admin, &answered(403, message("Forbidden")));
        assert!(summary.contains("lacks api/read"), "{summary}");
    }

    #[test]
    fn forbidden_by_the_admin_handler_names_the_group() {
        let outcome = answered(403, message("Only admins may call this route"));
        let (summary, advice) = problem_text(Route::Admin, &outcome);
        assert!(summary.contains("admin group"), "{summary}");
        assert!(advice.contains("sign out and in again"), "{advice}");
    }

    #[test]
    fn other_statuses_are_explained() {
        let (summary, advice) = problem_text(Route::Hello, &answered(404, message("Not Found")));
        assert!(summary.contains("GET /hello (404)"), "{summary}");
        assert!(advice.contains("api_base_url"), "{advice}");
        let (summary, _) = problem_text(Route::EchoPost, &answered(413, Body::Empty));
        assert!(summary.contains("too large"), "{summary}");
        let (summary, _) =
            problem_text(Route::EchoPost, &answered(400, message("body is not JSON")));
        assert!(summary.ends_with("body is not JSON"), "{summary}");
        let (summary, advice) = problem_text(Route::Echo, &answered(502, Body::Empty));
        assert!(summary.contains("502"), "{summary}");
        assert!(advice.contains("req-42"), "{advice}");
        let (summary, _) = problem_text(Route::Echo, &answered(302, Body::Empty));
        assert!(summary.contains("unexpected status 302"), "{summary}");
    }

    #[test]
    fn only_a_401_or_cors_with_a_due_token_is_worth_a_refresh() {
        let unauthorized = answered(401, message("Unauthorized"));
        assert!(refresh_may_help(Route::Hello, &unauthorized, false));
        assert!(!refresh_may_help(
            Route::Hello,
            &answered(403, message("Forbidden")),
            true
        ));
        assert!(
            refresh_may_help(Route::Hello, &Outcome::BlockedByCors, true),
            "an expired token's 401 may arrive as a CORS failure"
        );
        assert!(
            !refresh_may_help(Route::Hello, &Outcome::BlockedByCors, false),
            "a fresh token: CORS is really misconfigured"
        );
        assert!(!refresh_may_help(
            Route::Open,
            &Outcome::BlockedByCors,
            true
        ));
        assert!(!refresh_may_help(Route::Hello, &Outcome::Unreachable, true));
        let not_renewed = Outcome::TokenNotRenewed(AuthError::NoRefreshToken);
        assert!(!refresh_may_help(Route::Hello, &not_renewed, true));
    }

    #[test]
    fn an_expired_token_that_could_not_be_renewed_says_so() {
        let outcome = Outcome::TokenNotRenewed(AuthError::Status {
            endpoint: "the token endpoint",
            status: 503,
        });
        let (summary, advice) = problem_text(Route::Hello, &outcome);
        assert!(
            summary.contains("expired and could not be renewed"),
            "{summary}"
        );
        assert!(
            summary.contains("nothing was sent to GET /hello"),
            "{summary}"
        );
        assert!(summary.contains("HTTP 503"), "{summary}");
        assert!(advice.contains("keeps trying"), "{advice}");
    }

    #[test]
    fn not_signed_in_asks_to_sign_in() {
        let (summary, advice) = problem_text(Route::Admin, &Outcome::NotSignedIn);
        assert!(summary.contains("GET /admin"), "{summary}");
        assert_eq!(advice, "Sign in, then try again.");
    }
}
