//! One log line per request: service, method, path, status, latency. Never the query string
//! (codes and state travel there), headers (tokens, cookies) or bodies (passwords).

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Logs the request after it is answered.
pub async fn log_request(
    State(service): State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        service,
        %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = format_args!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    response
}
