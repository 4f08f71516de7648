//! The API Gateway HTTP API side: routes, the JWT authorizer, CORS, and the `api` handlers
//! called in-process with the payload-2.0 request context.
//!
//! # Configuration (`[api]` in devstack's TOML)
//!
//! ```toml
//! [api]
//! audiences = ["3n4b5urk1ft4fl3mg5e62d9ado"] # the JWT authorizer's; absent: the SPA's client
//!
//! [[api.routes]]
//! method = "GET"                      # or POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY
//! path = "/hello"                     # literal segments, {param}, and a final {proxy+}
//! integration = "api"                 # the `api` crate, in-process (the only integration)
//! authorizer = "jwt"                  # or "none" (the default)
//! authorization_scopes = ["api/read"] # the token needs at least one of them
//!
//! [api.cors]
//! allow_origins = ["http://localhost:8080"]
//! allow_methods = ["GET", "POST", "OPTIONS"]
//! allow_headers = ["authorization", "content-type"]
//! expose_headers = ["x-request-id"]
//! max_age = 3600
//! allow_credentials = false
//! ```
//!
//! Without an `[api]` section the routes and CORS policy the template deploys apply
//! ([`ApiConfig::default`]); keys left out of `[api.cors]` keep those defaults too. Unknown keys
//! are refused; [`ApiConfig::validate`] names the field and the reason.
//!
//! # Serving
//!
//! [`router`] builds the whole API as an axum [`Router`] for the API listener; the caller builds
//! the [`JwtAuthorizer`] from the pool's issuer, the audiences (`[api] audiences`: app client ids,
//! by default the SPA's client only, see [`crate::Config::api_audiences`]) and its JWKS.
//! Serve it with `into_make_service_with_connect_info::<SocketAddr>()` so the request context
//! carries the caller's address as `sourceIp` (otherwise `127.0.0.1` is assumed).
//!
//! # What a request goes through, in API Gateway's order
//!
//! 1. Every response gets a fresh request id as `x-request-id` and `apigw-requestid` (API
//!    Gateway's own header); the same id is `requestContext.requestId`.
//! 2. A CORS preflight is answered here (see the `cors` module docs), without the integration.
//!    As on API Gateway, a route that catches `OPTIONS` on the path (`ANY /{proxy+}`) runs its
//!    JWT authorizer first, so such a preflight gets the authorizer's 401 (with CORS headers as
//!    in step 7); an `OPTIONS /{proxy+}` route without an authorizer is the known fix.
//! 3. Routing: the most specific route wins; no match (also: right path, wrong method) is
//!    404 `{"message":"Not Found"}`.
//! 4. The body is read up to [`MAX_PAYLOAD_BYTES`] (API Gateway's 10 MB payload quota); more is
//!    413 `{"message":"Request Entity Too Large"}`.
//! 5. The JWT authorizer, on routes that have it: 401 `{"message":"Unauthorized"}` or 403
//!    `{"message":"Forbidden"}` (see [`JwtAuthorizer`]).
//! 6. The `api` Router is called in-process with `RequestContext::ApiGatewayV2` in the request
//!    extensions (route key, `$default` stage, request id, time, method, path, source IP, user
//!    agent, and `authorizer.jwt.claims`/`scopes`), plus the raw path, query string and path
//!    parameters that lambda_http would set.
//!    A panic in a handler is API Gateway's answer to a failed Lambda invocation: 500
//!    `{"message":"Internal Server Error"}`.
//! 7. CORS headers are set from the configuration on every non-preflight response, replacing any
//!    the integration sent; the 401/403 of step 5 get them too (devstack's choice, see cors.rs).
//!
//! Request logging (method, path, status, latency) is the job of the layer that serves this
//! router; nothing here logs a header or a token.

mod authorizer;
mod config;
mod cors;
mod routing;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Json, Router,
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::Utc;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use lambda_http::{
    RequestExt as _,
    aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
        ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
    },
    request::RequestContext,
};
use serde_json::json;
use tower::ServiceExt as _;
use tower_http::catch_panic::CatchPanicLayer;

pub use authorizer::{
    Authorized, AuthorizerError, JwksError, JwtAuthorizer, VERIFIED_TOKENS_CAPACITY,
    claim_to_string,
};
pub use config::{ApiConfig, ApiConfigError, AuthorizerKind, CorsConfig, Integration, RouteConfig};

use cors::Cors;
use routing::{Matched, RouteTable};

/// The largest request body the gateway accepts: API Gateway's 10 MB payload quota.
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The header API Gateway puts its request id in.
pub const APIGW_REQUEST_ID: HeaderName = HeaderName::from_static("apigw-requestid");

/// The request id header every API response carries (exposed to the SPA through CORS).
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The API as an axum Router: mount it on the API listener. Fails when `config` is not valid.
pub fn router(config: &ApiConfig, authorizer: JwtAuthorizer) -> Result<Router, ApiConfigError> {
    router_with_integration(config, authorizer, api::app())
}

/// [`router`] with another integration in place of the `api` crate (for tests).
fn router_with_integration(
    config: &ApiConfig,
    authorizer: JwtAuthorizer,
    integration: Router,
) -> Result<Router, ApiConfigError> {
    config.validate()?;
    let routes = RouteTable::new(config).map_err(|reason| ApiConfigError {
        field: "api.routes".into(),
        reason,
    })?;
    let gateway = Gateway {
        routes,
        cors: Cors::new(&config.cors),
        authorizer,
        // A panicking handler fails its request (a Lambda error: 500) instead of dropping the
        // connection. Caught in place: a task per request would cost every request a hand-off.
        integration: integration.layer(CatchPanicLayer::custom(|_panic| {
            GatewayError::IntegrationFailed.into_response()
        })),
    };
    Ok(Router::new().fallback(handle).with_state(Arc::new(gateway)))
}

struct Gateway {
    routes: RouteTable,
    cors: Cors,
    authorizer: JwtAuthorizer,
    integration: Router,
}

/// What the gateway itself answers, as API Gateway words it.
#[derive(Debug, thiserror::Error)]
enum GatewayError {
    /// No route for this method and path.
    #[error("Not Found")]
    NotFound,
    /// The body is over [`MAX_PAYLOAD_BYTES`].
    #[error("Request Entity Too Large")]
    PayloadTooLarge,
    /// The body could not be read from the connection.
    #[error("Bad Request")]
    UnreadableBody,
    /// The integration panicked: API Gateway's answer to a failed Lambda invocation.
    #[error("Internal Server Error")]
    IntegrationFailed,
    /// The JWT authorizer refused the request.
    #[error(transparent)]
    Authorizer(#[from] AuthorizerError),
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::Authorizer(refusal) => return refusal.into_response(),
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnreadableBody => StatusCode::BAD_REQUEST,
            Self::IntegrationFailed => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "message": self.to_string() }))).into_response()
    }
}

async fn handle(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let request_id = new_request_id();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let answer = match gateway.cors.preflight(&request) {
        Some(preflight) => match gateway.authorize_preflight(&request) {
            Ok(()) => return with_request_id(preflight, &request_id),
            Err(refusal) => Err(refusal),
        },
        None => gateway.dispatch(request, &request_id).await,
    };
    let mut response = answer.unwrap_or_else(IntoResponse::into_response);
    gateway.cors.apply(origin.as_ref(), &mut response);
    with_request_id(response, &request_id)
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(X_REQUEST_ID, value.clone());
        response.headers_mut().insert(APIGW_REQUEST_ID, value);
    }
    response
}

impl Gateway {
    /// API Gateway's trap, reproduced: a preflight is the gateway's to answer unless a route
    /// catches `OPTIONS` on its path (`ANY /{proxy+}`, say); then that route's JWT authorizer
    /// runs first, and a preflight (which carries no token) gets its 401. The known fix, an
    /// `OPTIONS /{proxy+}` route without an authorizer, lets the gateway answer it again.
    fn authorize_preflight(&self, request: &Request) -> Result<(), GatewayError> {
        let Some(matched) = self.routes.find(&Method::OPTIONS, request.uri().path()) else {
            return Ok(());
        };
        match matched.route.authorizer {
            AuthorizerKind::None => Ok(()),
            AuthorizerKind::Jwt => {
                self.authorizer
                    .authorize(request.headers(), &matched.route.scopes)?;
                Ok(())
            }
        }
    }

    async fn dispatch(&self, request: Request, request_id: &str) -> Result<Response, GatewayError> {
        let (parts, body) = request.into_parts();
        let matched = self
            .routes
            .find(&parts.method, parts.uri.path())
            .ok_or(GatewayError::NotFound)?;
        let body = read_body(body).await?;
        let authorized = match matched.route.authorizer {
            AuthorizerKind::None => None,
            AuthorizerKind::Jwt => Some(
                self.authorizer
                    .authorize(&parts.headers, &matched.route.scopes)?,
            ),
        };
        let event = lambda_request(parts, body, &matched, authorized, request_id);
        let Ok(response) = self.integration.clone().oneshot(event).await;
        Ok(response)
    }
}

async fn read_body(body: Body) -> Result<Vec<u8>, GatewayError> {
    match Limited::new(body, MAX_PAYLOAD_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(error) if error.is::<LengthLimitError>() => Err(GatewayError::PayloadTooLarge),
        Err(_) => Err(GatewayError::UnreadableBody),
    }
}

/// The request as lambda_http makes it from API Gateway's payload-2.0 event.
fn lambda_request(
    parts: Parts,
    body: Vec<u8>,
    matched: &Matched<'_>,
    authorized: Option<Authorized>,
    request_id: &str,
) -> lambda_http::Request {
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "127.0.0.1".to_owned(), |info| info.0.ip().to_string());
    let header_text = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let host = header_text(header::HOST);
    let now = Utc::now();

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(parts.uri.path().to_owned());
    http.protocol = Some(format!("{:?}", parts.version));
    http.source_ip = Some(source_ip.clone());
    http.user_agent = header_text(header::USER_AGENT);

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(matched.route.key.clone());
    context.account_id = Some("000000000000".into());
    context.apiid = Some("devstack".into());
    context.stage = Some("$default".into());
    context.request_id = Some(request_id.to_owned());
    context.domain_prefix = host
        .as_deref()
        .map(|host| host.split(['.', ':']).next().unwrap_or(host).to_owned());
    context.domain_name = host;
    context.time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = now.timestamp_millis();
    context.http = http;
    context.authorizer = authorized.map(|authorized| {
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        // The context owns its claims: the one copy of the request (the authorizer shares them).
        jwt.claims = Arc::unwrap_or_clone(authorized.claims);
        jwt.scopes = authorized.scopes.map(|scopes| scopes.to_vec());
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        authorizer
    });

    let raw_query = parts.uri.query().unwrap_or_default();
    let mut query = std::collections::HashMap::<String, Vec<String>>::new();
    for (name, value) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }

    let body = if body.is_empty() {
        lambda_http::Body::Empty
    } else {
        match String::from_utf8(body) {
            Ok(text) => lambda_http::Body::Text(text),
            Err(binary) => lambda_http::Body::Binary(binary.into_bytes()),
        }
    };
    let mut request = lambda_http::Request::new(body);
    *request.method_mut() = parts.method;
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers;
    let forwarded = [
        ("x-forwarded-for", source_ip),
        ("x-forwarded-proto", "http".to_owned()),
    ];
    for (name, value) in forwarded {
        if let Ok(value) = HeaderValue::from_str(&value) {
            request.headers_mut().insert(name, value);
        }
    }
    request
        .with_raw_http_path(parts.uri.path())
        .with_query_string_parameters(query)
        .with_path_parameters(matched.path_parameters.clone())
        .with_request_context(RequestContext::ApiGatewayV2(context))
}

/// A request id shaped like API Gateway's (`Mc7UVioPPHcEKPA=`: 11 random bytes in base64).
fn new_request_id() -> String {
    STANDARD.encode(rand::random::<[u8; 11]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integration_gets_the_payload_2_0_request_context() {
        let mut config = ApiConfig::default();
        config.routes[2].path = "/echo/{item}".into();
        let routes = RouteTable::new(&config).expect("routes");
        let matched = routes.find(&Method::GET, "/echo/42").expect("route");
        let (mut parts, ()) = axum::http::Request::builder()
            .method(Method::GET)
            .uri("/echo/42?a=1&a=2&b=x%20y")
            .header(header::HOST, "localhost:3000")
            .header(header::USER_AGENT, "test-agent")
            .header(header::AUTHORIZATION, "Bearer token")
            .body(())
            .expect("request")
            .into_parts();
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 2], 5555))));
        let authorized = Authorized {
            claims: Arc::new([("username".to_owned(), "demo".to_owned())].into()),
            scopes: Some(["api/read".to_owned()].into()),
        };

        let request = lambda_request(
            parts,
            b"{}".to_vec(),
            &matched,
            Some(authorized),
            "Mc7UVioPPHcEKPA=",
        );

        assert_eq!(request.uri(), "/echo/42?a=1&a=2&b=x%20y");
        assert_eq!(request.raw_http_path(), "/echo/42");
        assert_eq!(request.headers()["authorization"], "Bearer token");
        assert_eq!(request.headers()["x-forwarded-for"], "127.0.0.2");
        let query = request.query_string_parameters();
        assert_eq!(query.all("a"), Some(vec!["1", "2"]));
        assert_eq!(query.first("b"), Some("x y"));
        assert_eq!(request.path_parameters().first("item"), Some("42"));
        assert!(matches!(request.body(), lambda_http::Body::Text(text) if text == "{}"));

        let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
            panic!("no payload-2.0 context");
        };
        assert_eq!(context.route_key.as_deref(), Some("GET /echo/{item}"));
        assert_eq!(context.stage.as_deref(), Some("$default"));
        assert_eq!(context.request_id.as_deref(), Some("Mc7UVioPPHcEKPA="));
        assert_eq!(context.domain_name.as_deref(), Some("localhost:3000"));
        assert_eq!(context.domain_prefix.as_deref(), Some("localhost"));
        assert_eq!(context.http.method, Method::GET);
        assert_eq!(context.http.path.as_deref(), Some("/echo/42"));
        assert_eq!(context.http.source_ip.as_deref(), Some("127.0.0.2"));
        assert_eq!(context.http.user_agent.as_deref(), Some("test-agent"));
        let time = context.time.as_deref().expect("time");
        assert!(
            chrono::DateTime::parse_from_str(time, "%d/%b/%Y:%H:%M:%S %z").is_ok(),
            "{time}"
        );
        assert!(context.time_epoch > 1_700_000_000_000, "milliseconds");
        let jwt = context
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .expect("jwt");
        assert_eq!(jwt.claims["username"], "demo");
        assert_eq!(jwt.scopes, Some(vec!["api/read".to_owned()]));
    }

    #[tokio::test]
    async fn a_panicking_handler_is_an_internal_server_error_with_cors() {
        let mut config = ApiConfig::default();
        config.routes.push(RouteConfig {
            method: "GET".into(),
            path: "/panics".into(),
            integration: Integration::Api,
            authorizer: AuthorizerKind::None,
            authorization_scopes: vec![],
        });
        let authorizer = JwtAuthorizer::new(
            "http://localhost:9229/us-east-1_Test",
            vec![],
            &jsonwebtoken::jwk::JwkSet { keys: vec![] },
            crate::Clock::system(),
        )
        .expect("authorizer");
        async fn fails() -> &'static str {
            panic!("the handler failed")
        }
        let integration = Router::new().route("/panics", axum::routing::get(fails));
        let gateway =
            router_with_integration(&config, authorizer, integration).expect("valid config");
        let request = axum::http::Request::builder()
            .uri("/panics")
            .header(header::ORIGIN, "http://localhost:8080")
            .body(Body::empty())
            .expect("request");

        let response = gateway.oneshot(request).await.expect("infallible");

        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers();
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:8080"
        );
        assert!(headers.contains_key(X_REQUEST_ID));
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        assert_eq!(&body[..], br#"{"message":"Internal Server Error"}"#);
    }

    #[test]
    fn request_ids_look_like_api_gateways() {
        let id = new_request_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
        assert_ne!(id, new_request_id());
    }
}
