//! The security headers every page devstack serves carries, the hosted UI's and the SPA's alike.

use axum::http::{HeaderMap, HeaderValue, header};

/// What a page gets when its policy cannot be sent as a header: nothing may load, so a policy
/// that went wrong fails closed instead of leaving the page with no policy at all.
const FAIL_CLOSED_CSP: &str = "default-src 'none'";

/// Sets the page's Content-Security-Policy, `Referrer-Policy: no-referrer` and
/// `X-Content-Type-Options: nosniff`.
pub fn insert_security_headers(headers: &mut HeaderMap, csp: &str) {
    let csp = HeaderValue::from_str(csp).unwrap_or_else(|_| {
        tracing::error!(
            "the Content-Security-Policy is not a valid header value; serving {FAIL_CLOSED_CSP:?}"
        );
        HeaderValue::from_static(FAIL_CLOSED_CSP)
    });
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_that_cannot_be_a_header_fails_closed() {
        let mut headers = HeaderMap::new();
        insert_security_headers(&mut headers, "default-src 'self'\nscript-src *");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], FAIL_CLOSED_CSP);
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[test]
    fn a_valid_policy_is_sent_as_given() {
        let mut headers = HeaderMap::new();
        insert_security_headers(&mut headers, "default-src 'none'; img-src 'self'");
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; img-src 'self'"
        );
    }
}
