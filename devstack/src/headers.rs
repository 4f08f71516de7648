//! The security headers every page devstack serves carries, the hosted UI's and the SPA's alike.

use axum::http::{HeaderMap, HeaderValue, header};

/// Sets the page's Content-Security-Policy, `Referrer-Policy: no-referrer` and
/// `X-Content-Type-Options: nosniff`.
pub fn insert_security_headers(headers: &mut HeaderMap, csp: &str) {
    if let Ok(csp) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
