//! The Lambda handlers behind the HTTP API.
//!
//! [`app`] is one axum [`Router`]: in AWS `lambda_http::run` serves it (see `main.rs`), and devstack
//! calls it in-process. Either way the caller arrives the same way, as API Gateway's payload-2.0
//! request context (`lambda_http::request::RequestContext::ApiGatewayV2`) in the request
//! extensions, which the [`Caller`] extractor reads; the handlers never ask where they run.
//!
//! Routes (the API Gateway side guards them with its JWT authorizer and route scopes):
//!
//! | route        | answer |
//! |--------------|--------|
//! | `GET /open`  | `{"message", "time"}`, no caller needed |
//! | `GET /hello` | `{"message": "Hello, <username>!", "username", "sub"}` |
//! | `GET /echo`  | `{"claims": {..}, "scopes": [..]}` |
//! | `POST /echo` | the same plus `"body"`: the JSON sent; 415 unless `content-type` is JSON, 400 unless the body is, 413 over [`ECHO_BODY_LIMIT`] bytes |
//! | `GET /admin` | `{"message", "username"}` for members of the `admin` group, else 403 |
//!
//! Behind API Gateway keep the `$default` stage (as infra/ does): with a named stage lambda_http
//! puts the stage in front of the path (unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set)
//! and no route would match.
//!
//! Every answer is JSON; errors are `{"message": ...}` (see [`AppError`]). When the request
//! context carries a request id, the response repeats it as `x-request-id`, so a browser can
//! show it (API Gateway itself only sends `apigw-requestid`).

mod caller;
mod error;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Request, rejection::BytesRejection},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use chrono::{SecondsFormat, Utc};
use lambda_http::request::RequestContext;
use serde_json::{Value, json};

pub use caller::{Caller, parse_groups};
pub use error::AppError;

/// The largest body `POST /echo` accepts, in bytes.
pub const ECHO_BODY_LIMIT: usize = 64 * 1024;

/// The response header that repeats the request id of the request context.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The group whose members may use `GET /admin`.
const ADMIN_GROUP: &str = "admin";

/// All routes of the API, ready for `lambda_http::run` or an in-process call.
pub fn app() -> Router {
    Router::new()
        .route("/open", get(open))
        .route("/hello", get(hello))
        .route(
            "/echo",
            get(echo)
                .post(echo_body)
                .layer(DefaultBodyLimit::max(ECHO_BODY_LIMIT)),
        )
        .route("/admin", get(admin))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn(repeat_request_id))
}

async fn open() -> Json<Value> {
    Json(json!({
        "message": "Hello from the open route: no sign-in needed.",
        "time": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    }))
}

async fn hello(caller: Caller) -> Result<Json<Value>, AppError> {
    let username = caller.username()?;
    Ok(Json(json!({
        "message": format!("Hello, {username}!"),
        "username": username,
        "sub": caller.sub()?,
    })))
}

async fn echo(caller: Caller) -> Json<Value> {
    Json(json!({ "claims": caller.claims, "scopes": caller.scopes }))
}

async fn echo_body(
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    if !is_json_content_type(&headers) {
        return Err(AppError::UnsupportedMediaType);
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge {
                limit: ECHO_BODY_LIMIT,
            }
        } else {
            AppError::UnreadableBody
        }
    })?;
    let body: Value =
        serde_json::from_slice(&body).map_err(|error| AppError::InvalidJson(error.to_string()))?;
    Ok(Json(json!({
        "claims": caller.claims,
        "scopes": caller.scopes,
        "body": body,
    })))
}

async fn admin(caller: Caller) -> Result<Json<Value>, AppError> {
    if !caller.groups().iter().any(|group| group == ADMIN_GROUP) {
        return Err(AppError::NotAdmin);
    }
    let username = caller.username()?;
    Ok(Json(json!({
        "message": format!("Welcome to the admin area, {username}."),
        "username": username,
    })))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// `application/json` or any `application/*+json`, parameters (charset) allowed.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

async fn repeat_request_id(request: Request, next: Next) -> Response {
    let request_id = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .request_id
            .as_deref()
            .and_then(|id| HeaderValue::from_str(id).ok()),
        _ => None,
    };
    let mut response = next.run(request).await;
    if let Some(request_id) = request_id {
        response.headers_mut().insert(REQUEST_ID_HEADER, request_id);
    }
    response
}
