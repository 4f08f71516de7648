//! CORS with API Gateway's semantics (AWS developer guide, "http-api-cors"):
//! - a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered by the
//!   gateway itself, without the integration, for any path (unless a route that catches
//!   `OPTIONS` there has the JWT authorizer, which then refuses it: see the gateway docs): `204` with
//!   `Access-Control-Allow-Origin/-Methods/-Headers/-Max-Age` when the origin, the method and
//!   every requested header are allowed; a plain `204` without any CORS header otherwise (so the
//!   browser refuses the real request);
//! - every other response, including the authorizer's 401/403 and the gateway's own 404/413 (a
//!   choice: the AWS documents do not say; devstack/README.md lists it), gets `Access-Control-Allow-Origin`
//!   (and `-Expose-Headers`, `-Allow-Credentials` as configured) when its `Origin` is allowed;
//! - CORS headers from the integration are dropped: the configuration is the only source;
//! - `Vary: Origin` is sent whenever the answer depends on the origin (not with `*`).

use axum::{
    body::Body,
    http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header},
    response::Response,
};

use super::config::CorsConfig;

/// The CORS policy of the API.
#[derive(Debug, Clone)]
pub(crate) struct Cors {
    config: CorsConfig,
}

impl Cors {
    pub(crate) fn new(config: &CorsConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }

    /// The gateway's own answer when `request` is a preflight, else `None`.
    pub(crate) fn preflight(&self, request: &Request<Body>) -> Option<Response> {
        let headers = request.headers();
        if request.method() != Method::OPTIONS {
            return None;
        }
        let origin = headers.get(header::ORIGIN)?;
        let requested_method = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let out = response.headers_mut();
        self.vary(out);

        let requested_headers = requested_headers(headers);
        if !self.origin_allowed(origin)
            || !self.method_allowed(requested_method)
            || !requested_headers
                .iter()
                .all(|name| self.header_allowed(name))
        {
            return Some(response);
        }
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            self.allow_origin_value(origin),
        );
        let methods = if self.config.allow_methods.iter().any(|m| m == "*") {
            requested_method.clone()
        } else {
            list_value(&self.config.allow_methods)?
        };
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
        let allowed_headers = if self.config.allow_headers.iter().any(|h| h == "*") {
            requested_headers
        } else {
            self.config.allow_headers.clone()
        };
        if !allowed_headers.is_empty() {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                list_value(&allowed_headers)?,
            );
        }
        if let Some(max_age) = self.config.max_age {
            out.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(max_age));
        }
        if self.config.allow_credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        Some(response)
    }

    /// Replaces whatever CORS headers `response` has with the configured ones for `origin`.
    pub(crate) fn apply(&self, origin: Option<&HeaderValue>, response: &mut Response) {
        let out = response.headers_mut();
        let from_integration: Vec<HeaderName> = out
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in from_integration {
            out.remove(name);
        }
        self.vary(out);
        let Some(origin) = origin.filter(|origin| self.origin_allowed(origin)) else {
            return;
        };
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            self.allow_origin_value(origin),
        );
        if let Some(expose) = list_value(&self.config.expose_headers) {
            out.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose);
        }
        if self.config.allow_credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }

    fn origin_allowed(&self, origin: &HeaderValue) -> bool {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        self.config.any_origin() || self.config.allow_origins.iter().any(|o| o == origin)
    }

    fn method_allowed(&self, method: &HeaderValue) -> bool {
        let Ok(method) = method.to_str() else {
            return false;
        };
        self.config
            .allow_methods
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(method))
    }

    fn header_allowed(&self, name: &str) -> bool {
        self.config
            .allow_headers
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(name))
    }

    /// `*` when every origin is allowed without credentials, else the request's own origin.
    fn allow_origin_value(&self, origin: &HeaderValue) -> HeaderValue {
        if self.config.any_origin() && !self.config.allow_credentials {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        }
    }

    fn vary(&self, out: &mut HeaderMap) {
        if !self.config.any_origin() || self.config.allow_credentials {
            out.append(header::VARY, HeaderValue::from_static("origin"));
        }
    }
}

/// The names in `Access-Control-Request-Headers`, lower-cased.
fn requested_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// `a,b,c`, or `None` for an empty list. Items are validated HTTP tokens, so the value is valid.
fn list_value(items: &[String]) -> Option<HeaderValue> {
    if items.is_empty() {
        return None;
    }
    HeaderValue::from_str(&items.join(",")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration_response() -> Response {
        let mut response = Response::new(Body::empty());
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("DELETE"),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }

    #[test]
    fn the_integrations_cors_headers_are_replaced_by_the_configuration() {
        let cors = Cors::new(&CorsConfig::default());
        let mut response = integration_response();
        let spa = HeaderValue::from_static("http://localhost:8080");
        cors.apply(Some(&spa), &mut response);
        let headers = response.headers();
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:8080"
        );
        assert_eq!(
            headers[header::ACCESS_CONTROL_EXPOSE_HEADERS],
            "x-request-id"
        );
        assert!(headers.get(header::ACCESS_CONTROL_ALLOW_METHODS).is_none());
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(headers[header::VARY], "origin");
    }

    #[test]
    fn a_disallowed_or_missing_origin_gets_no_cors_headers_even_from_the_integration() {
        let cors = Cors::new(&CorsConfig::default());
        for origin in [Some(HeaderValue::from_static("http://evil.example")), None] {
            let mut response = integration_response();
            cors.apply(origin.as_ref(), &mut response);
            let names: Vec<&str> = response.headers().keys().map(HeaderName::as_str).collect();
            assert_eq!(names, ["content-type", "vary"], "{origin:?}");
        }
    }

    #[test]
    fn a_plain_options_request_is_no_preflight() {
        let cors = Cors::new(&CorsConfig::default());
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/echo")
            .header(header::ORIGIN, "http://localhost:8080")
            .body(Body::empty())
            .expect("request");
        assert!(
            cors.preflight(&request).is_none(),
            "routed like any request"
        );
    }
}
