//! The handlers driven with payload-2.0 events shaped like API Gateway's, converted the way
//! `lambda_http::run` converts them.

use api::app;
use axum::body::to_bytes;
use base64::Engine as _;
use lambda_http::{Request, http::StatusCode, request::from_str};
use serde_json::{Value, json};
use tower::ServiceExt as _;

const JWT_EVENT: &str = include_str!("fixtures/jwt_event.json");
const OPEN_EVENT: &str = include_str!("fixtures/open_event.json");

/// The fixture, sent to `method path` with an optional body (and its content type).
fn event(fixture: &str, method: &str, path: &str, body: Option<(&str, &str)>) -> Value {
    let mut event: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    let route_key = format!("{method} {path}");
    event["routeKey"] = json!(route_key);
    event["rawPath"] = json!(path);
    event["requestContext"]["routeKey"] = json!(route_key);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    if let Some((content_type, body)) = body {
        event["headers"]["content-type"] = json!(content_type);
        event["headers"]["content-length"] = json!(body.len().to_string());
        event["body"] = json!(body);
    }
    event
}

fn with_groups(mut event: Value, groups: &str) -> Value {
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!(groups);
    event
}

fn request(event: &Value) -> Request {
    from_str(&event.to_string()).expect("lambda_http accepts the event")
}

async fn call(event: Value) -> (StatusCode, Option<String>, Option<String>, Value) {
    let response = app().oneshot(request(&event)).await.expect("infallible");
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().expect("ascii header").to_owned())
    };
    let content_type = header("content-type");
    let request_id = header("x-request-id");
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let body = serde_json::from_slice(&body).expect("every answer is JSON");
    (status, content_type, request_id, body)
}

#[tokio::test]
async fn open_answers_without_a_caller_with_the_time() {
    let (status, content_type, request_id, body) =
        call(event(OPEN_EVENT, "GET", "/open", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(request_id.as_deref(), Some("Mc7UVjCEvHcEKQA="));
    assert_eq!(
        body["message"],
        "Hello from the open route: no sign-in needed."
    );
    let time = body["time"].as_str().expect("time is a string");
    let parsed = chrono::DateTime::parse_from_rfc3339(time).expect("RFC 3339");
    assert_eq!(parsed.offset().local_minus_utc(), 0, "UTC: {time}");
    assert!(time.ends_with('Z'), "{time}");
}

#[tokio::test]
async fn hello_greets_the_caller_by_username() {
    let (status, _, request_id, body) = call(event(JWT_EVENT, "GET", "/hello", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(request_id.as_deref(), Some("Mc7UVioPPHcEKPA="));
    assert_eq!(
        body,
        json!({
            "message": "Hello, demo!",
            "username": "demo",
            "sub": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        })
    );
}

#[tokio::test]
async fn hello_uses_cognito_username_of_an_id_token() {
    let mut event = event(JWT_EVENT, "GET", "/hello", None);
    let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
    let claims = claims.as_object_mut().expect("claims object");
    claims.remove("username");
    claims.insert("cognito:username".into(), json!("admin"));
    let (status, _, _, body) = call(event).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"], "Hello, admin!");
}

#[tokio::test]
async fn echo_returns_claims_and_scopes_as_strings() {
    let (status, _, _, body) = call(event(JWT_EVENT, "GET", "/echo", None)).await;
    assert_eq!(status, StatusCode::OK);
    let fixture: Value = serde_json::from_str(JWT_EVENT).expect("fixture");
    let jwt = &fixture["requestContext"]["authorizer"]["jwt"];
    assert_eq!(
        body,
        json!({ "claims": jwt["claims"], "scopes": jwt["scopes"] })
    );
    assert_eq!(body["claims"]["exp"], "1732243600");
}

#[tokio::test]
async fn post_echo_returns_the_json_body() {
    let sent = r#"{"note":"hi","n":[1,2,3]}"#;
    let (status, _, _, body) = call(event(
        JWT_EVENT,
        "POST",
        "/echo",
        Some(("application/json", sent)),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["body"], json!({"note": "hi", "n": [1, 2, 3]}));
    assert_eq!(body["claims"]["username"], "demo");
    assert_eq!(body["scopes"][3], "api/read");
}

#[tokio::test]
async fn post_echo_reads_a_base64_encoded_body() {
    let mut event = event(JWT_EVENT, "POST", "/echo", Some(("application/json", "")));
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(br#"{"a":1}"#));
    event["isBase64Encoded"] = json!(true);
    let (status, _, _, body) = call(event).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["body"], json!({"a": 1}));
}

#[tokio::test]
async fn post_echo_refuses_a_body_that_is_not_json() {
    let (status, content_type, _, body) = call(event(
        JWT_EVENT,
        "POST",
        "/echo",
        Some(("application/json", "{not json")),
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(
        body["message"],
        "The body is not valid JSON: key must be a string at line 1 column 2"
    );
}

#[tokio::test]
async fn post_echo_refuses_an_empty_body() {
    let (status, _, _, body) = call(event(
        JWT_EVENT,
        "POST",
        "/echo",
        Some(("application/json", "")),
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "The body is not valid JSON: EOF while parsing a value at line 1 column 0"
    );
}

#[tokio::test]
async fn post_echo_wants_a_json_content_type() {
    let (status, _, _, body) = call(event(
        JWT_EVENT,
        "POST",
        "/echo",
        Some(("text/plain", "{}")),
    ))
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        body["message"],
        "Send the body as JSON, with `content-type: application/json`"
    );
    let (status, _, _, _) = call(event(
        JWT_EVENT,
        "POST",
        "/echo",
        Some(("application/merge-patch+json; charset=utf-8", "{}")),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn post_echo_refuses_a_body_over_the_limit() {
    let big = format!("\"{}\"", "x".repeat(api::ECHO_BODY_LIMIT));
    let (status, _, _, body) = call(event(
        JWT_EVENT,
        "POST",
        "/echo",
        Some(("application/json", &big)),
    ))
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["message"], "The body is larger than 65536 bytes");
}

#[tokio::test]
async fn admin_refuses_a_caller_outside_the_admin_group() {
    let (status, _, _, body) = call(event(JWT_EVENT, "GET", "/admin", None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"message": "Forbidden: /admin is only for members of the `admin` group"})
    );
}

#[tokio::test]
async fn admin_refuses_a_caller_without_groups() {
    let mut event = event(JWT_EVENT, "GET", "/admin", None);
    let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
    claims
        .as_object_mut()
        .expect("claims")
        .remove("cognito:groups");
    let (status, _, _, _) = call(event).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_welcomes_an_admin_in_either_groups_form() {
    for groups in ["[admin users]", r#"["users","admin"]"#] {
        let (status, _, _, body) =
            call(with_groups(event(JWT_EVENT, "GET", "/admin", None), groups)).await;
        assert_eq!(status, StatusCode::OK, "{groups}");
        assert_eq!(
            body,
            json!({"message": "Welcome to the admin area, demo.", "username": "demo"})
        );
    }
}

#[tokio::test]
async fn protected_routes_refuse_a_request_without_authorizer_context() {
    let routes = [
        ("GET", "/hello", None),
        ("GET", "/echo", None),
        ("POST", "/echo", Some(("application/json", "{}"))),
        ("GET", "/admin", None),
    ];
    for (method, path, body) in routes {
        let (status, _, _, body) = call(event(OPEN_EVENT, method, path, body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(
            body["message"],
            "Unauthorized: this route expects API Gateway's JWT authorizer, and none ran"
        );
    }
}

#[tokio::test]
async fn a_request_without_any_request_context_is_refused_too() {
    let request = Request::new(lambda_http::Body::Empty);
    let (mut parts, body) = request.into_parts();
    parts.uri = "/hello".parse().expect("uri");
    let response = app()
        .oneshot(Request::from_parts(parts, body))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("x-request-id").is_none());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_not_found() {
    for (method, path) in [("GET", "/nope"), ("DELETE", "/echo"), ("POST", "/open")] {
        let (status, _, _, body) = call(event(JWT_EVENT, method, path, None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(body, json!({"message": "Not Found"}));
    }
}
