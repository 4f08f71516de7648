//! The API Gateway stand-in over real HTTP on 127.0.0.1: JWT authorizer, CORS, routing, bodies.
//! Tokens are signed here with an RSA key made at test time.

use std::{
    net::SocketAddr,
    sync::LazyLock,
    time::{SystemTime, UNIX_EPOCH},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use devstack::Clock;
use devstack::gateway::{
    self, ApiConfig, AuthorizerKind, Integration, JwtAuthorizer, MAX_PAYLOAD_BYTES, RouteConfig,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::JwkSet};
use reqwest::{Method, StatusCode, header::HeaderMap};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::oneshot};

const ISSUER: &str = "http://127.0.0.1:9229/us-east-1_GatewayTest";
const CLIENT_ID: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
const SPA_ORIGIN: &str = "http://localhost:8080";
const KID: &str = "gateway-test-key";

/// One RSA key for the whole test binary (generation is slow in debug builds).
struct TestKey {
    encoding: EncodingKey,
    jwks: JwkSet,
}

static KEY: LazyLock<TestKey> = LazyLock::new(|| {
    let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key");
    let der = private.to_pkcs1_der().expect("PKCS#1");
    let jwks = json!({"keys": [{
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
    }]});
    TestKey {
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwks: serde_json::from_value(jwks).expect("JWKS"),
    }
});

fn now() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(elapsed.as_secs()).expect("seconds fit")
}

/// Claims shaped like a Cognito access token of `username` in `groups`.
fn access_claims(username: &str, groups: &[&str]) -> Value {
    let now = now();
    json!({
        "sub": format!("sub-of-{username}"),
        "cognito:groups": groups,
        "iss": ISSUER,
        "version": 2,
        "client_id": CLIENT_ID,
        "origin_jti": "4a1e9b5c-1d2e-4f3a-8b7c-6d5e4f3a2b1c",
        "token_use": "access",
        "scope": "openid email profile api/read api/write",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "username": username,
    })
}

/// Claims shaped like a Cognito ID token (no `scope`, `aud` instead of `client_id`).
fn id_claims() -> Value {
    let now = now();
    json!({
        "sub": "sub-of-demo",
        "cognito:groups": ["users"],
        "email_verified": true,
        "iss": ISSUER,
        "cognito:username": "demo",
        "origin_jti": "4a1e9b5c-1d2e-4f3a-8b7c-6d5e4f3a2b1c",
        "aud": CLIENT_ID,
        "token_use": "id",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
        "email": "demo@example.com",
    })
}

fn sign(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    jsonwebtoken::encode(&header, claims, &KEY.encoding).expect("sign")
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().expect("object").remove(name);
    claims
}

/// A running gateway; stops when dropped.
struct Gateway {
    base: String,
    client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

async fn start(config: ApiConfig) -> Gateway {
    start_with_clock(config, Clock::system()).await
}

async fn start_with_clock(config: ApiConfig, clock: Clock) -> Gateway {
    let authorizer =
        JwtAuthorizer::new(ISSUER, vec![CLIENT_ID.into()], &KEY.jwks, clock).expect("authorizer");
    let app = gateway::router(&config, authorizer).expect("valid config");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
    });
    Gateway {
        base: format!("http://{address}"),
        client: reqwest::Client::new(),
        _stop: stop,
    }
}

/// What a test checks of a response.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ascii"))
    }

    fn assert_request_id(&self) {
        let id = self.header("x-request-id").expect("x-request-id");
        assert_eq!(id.len(), 16, "{id}");
        assert_eq!(self.header("apigw-requestid"), Some(id));
    }

    fn assert_unauthorized(&self, description: &str) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{self:?}");
        assert_eq!(self.body, json!({"message": "Unauthorized"}));
        assert_eq!(
            self.header("www-authenticate"),
            Some(
                format!(
                    "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{description}\""
                )
                .as_str()
            )
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        self.assert_request_id();
    }

    fn assert_no_cors(&self) {
        let cors: Vec<_> = self
            .headers
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .collect();
        assert!(cors.is_empty(), "unexpected CORS headers {cors:?}");
    }
}

impl Gateway {
    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the gateway answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.request(Method::GET, path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request).await
    }

    async fn preflight(&self, path: &str, origin: &str, method: &str, headers: &str) -> Answer {
        self.send(
            self.request(Method::OPTIONS, path)
                .header("origin", origin)
                .header("access-control-request-method", method)
                .header("access-control-request-headers", headers),
        )
        .await
    }
}

#[tokio::test]
async fn a_valid_access_token_reaches_every_route() {
    let gateway = start(ApiConfig::default()).await;
    let token = sign(&access_claims("demo", &["users"]));

    let open = gateway.get("/open", None).await;
    assert_eq!(open.status, StatusCode::OK);
    assert_eq!(
        open.body["message"],
        "Hello from the open route: no sign-in needed."
    );
    open.assert_request_id();

    let hello = gateway.get("/hello", Some(&token)).await;
    assert_eq!(hello.status, StatusCode::OK);
    assert_eq!(hello.header("content-type"), Some("application/json"));
    assert_eq!(
        hello.body,
        json!({"message": "Hello, demo!", "username": "demo", "sub": "sub-of-demo"})
    );
    hello.assert_request_id();

    let echo = gateway.get("/echo", Some(&token)).await;
    assert_eq!(echo.status, StatusCode::OK);
    let claims = &echo.body["claims"];
    assert_eq!(claims["cognito:groups"], "[users]");
    assert_eq!(claims["version"], "2");
    assert_eq!(claims["client_id"], CLIENT_ID);
    assert_eq!(claims["exp"], (now_from(claims, "iat") + 3600).to_string());
    assert_eq!(claims.as_object().expect("claims").len(), 13);
    assert_eq!(
        echo.body["scopes"],
        json!(["openid", "email", "profile", "api/read", "api/write"])
    );

    let admin_token = sign(&access_claims("admin", &["admin", "users"]));
    let admin = gateway.get("/admin", Some(&admin_token)).await;
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(
        admin.body,
        json!({"message": "Welcome to the admin area, admin.", "username": "admin"})
    );
}

fn now_from(claims: &Value, name: &str) -> i64 {
    claims[name]
        .as_str()
        .expect("string")
        .parse()
        .expect("number")
}

#[tokio::test]
async fn post_echo_echoes_the_json_body() {
    let gateway = start(ApiConfig::default()).await;
    let token = sign(&access_claims("demo", &["users"]));
    let sent = json!({"note": "héllo", "list": [1, 2.5, null, true]});
    let answer = gateway
        .send(
            gateway
                .request(Method::POST, "/echo?x=1")
                .bearer_auth(&token)
                .header("origin", SPA_ORIGIN)
                .json(&sent),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["body"], sent);
    assert_eq!(answer.body["claims"]["username"], "demo");
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(SPA_ORIGIN)
    );
    assert_eq!(
        answer.header("access-control-expose-headers"),
        Some("x-request-id")
    );
    assert_eq!(answer.header("vary"), Some("origin"));
}

#[tokio::test]
async fn the_token_may_come_without_bearer() {
    let gateway = start(ApiConfig::default()).await;
    let token = sign(&access_claims("demo", &["users"]));
    let answer = gateway
        .send(
            gateway
                .request(Method::GET, "/hello")
                .header("authorization", token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["username"], "demo");
}

#[tokio::test]
async fn bad_tokens_are_unauthorized_with_the_reason() {
    let gateway = start(ApiConfig::default()).await;
    let claims = access_claims("demo", &["users"]);
    let now = now();

    let valid = sign(&claims);
    let (head, signature) = valid.rsplit_once('.').expect("three parts");
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{head}.{flipped}{}", &signature[1..]);

    let unknown_kid = {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("some-other-key".into());
        jsonwebtoken::encode(&header, &claims, &KEY.encoding).expect("sign")
    };
    let no_kid =
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &KEY.encoding).expect("sign");
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(b"guessable"))
            .expect("sign")
    };
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": KID, "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
    );

    let cases = [
        (tampered, "the token signature is invalid"),
        (
            sign(&with(claims.clone(), "exp", json!(now - 10))),
            "the token has expired",
        ),
        (
            sign(&with(claims.clone(), "nbf", json!(now + 600))),
            "the token is not valid yet",
        ),
        (
            sign(&with(claims.clone(), "iat", json!(now + 600))),
            "the token was issued in the future",
        ),
        (
            sign(&without(claims.clone(), "exp")),
            "the token has no exp claim",
        ),
        (
            sign(&with(
                claims.clone(),
                "iss",
                json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
            )),
            "the token does not have a valid issuer",
        ),
        (
            sign(&without(claims.clone(), "iss")),
            "the token does not have a valid issuer",
        ),
        (
            sign(&with(claims.clone(), "client_id", json!("another-client"))),
            "the token does not have a valid audience",
        ),
        (
            sign(&without(claims.clone(), "client_id")),
            "the token does not have a valid audience",
        ),
        (
            // `aud` wins over `client_id` when both are present.
            sign(&with(claims.clone(), "aud", json!("another-client"))),
            "the token does not have a valid audience",
        ),
        (
            unknown_kid,
            "no key in the issuer's JWKS matches the token's kid",
        ),
        (no_kid, "the token has no kid"),
        (
            hs256,
            "the signing method is invalid: only RS256 is accepted",
        ),
        (alg_none, "the token is malformed"),
        ("not-a-jwt".to_owned(), "the token is malformed"),
    ];
    for (token, description) in cases {
        let answer = gateway.get("/hello", Some(&token)).await;
        answer.assert_unauthorized(description);
    }

    let odd_headers: [&[u8]; 3] = [b"Bearer \xff\xfe", b"Basic ZGVtbzpkZW1v", b"Bearer a.b.c"];
    for value in odd_headers {
        let value = reqwest::header::HeaderValue::from_bytes(value).expect("obs-text is allowed");
        let answer = gateway
            .send(
                gateway
                    .request(Method::GET, "/hello")
                    .header("authorization", value),
            )
            .await;
        answer.assert_unauthorized("the token is malformed");
    }
}

/// Every byte of `token` changed in turn (the `.` separators too), each to another base64url
/// character: none of these tokens is the one that was signed.
fn one_byte_changes(token: &str) -> impl Iterator<Item = String> + '_ {
    (0..token.len()).map(move |index| {
        let mut bytes = token.as_bytes().to_vec();
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).expect("ASCII")
    })
}

#[tokio::test]
async fn a_token_one_byte_off_a_verified_one_is_still_refused() {
    let gateway = start(ApiConfig::default()).await;
    let valid = sign(&access_claims("demo", &["users"]));
    assert_eq!(
        gateway.get("/hello", Some(&valid)).await.status,
        StatusCode::OK
    );

    let mut checked = 0;
    for tampered in one_byte_changes(&valid) {
        let answer = gateway.get("/hello", Some(&tampered)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{tampered}");
        checked += 1;
    }
    assert_eq!(checked, valid.len());
    // Refusing its neighbours did not make the verified token itself suspect.
    assert_eq!(
        gateway.get("/hello", Some(&valid)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_verified_token_is_refused_once_it_expires() {
    let clock = Clock::system();
    let gateway = start_with_clock(ApiConfig::default(), clock.clone()).await;
    let token = sign(&with(
        access_claims("demo", &["users"]),
        "exp",
        json!(now() + 60),
    ));
    for _ in 0..2 {
        assert_eq!(
            gateway.get("/hello", Some(&token)).await.status,
            StatusCode::OK
        );
    }

    clock.advance(std::time::Duration::from_secs(120));
    gateway
        .get("/hello", Some(&token))
        .await
        .assert_unauthorized("the token has expired");
}

#[tokio::test]
async fn a_verified_token_not_valid_yet_is_refused_until_its_nbf() {
    let clock = Clock::system();
    let gateway = start_with_clock(ApiConfig::default(), clock.clone()).await;
    let token = sign(&with(
        access_claims("demo", &["users"]),
        "nbf",
        json!(now() + 60),
    ));
    // The signature verifies (and is remembered) even though the token is refused.
    for _ in 0..2 {
        gateway
            .get("/hello", Some(&token))
            .await
            .assert_unauthorized("the token is not valid yet");
    }

    clock.advance(std::time::Duration::from_secs(120));
    assert_eq!(
        gateway.get("/hello", Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_remembered_token_gives_each_route_its_own_scopes() {
    let mut config = ApiConfig::default();
    let echo = config
        .routes
        .iter_mut()
        .find(|route| route.method == "GET" && route.path == "/echo")
        .expect("GET /echo");
    echo.authorization_scopes.clear();
    let gateway = start(config).await;
    let token = sign(&access_claims("demo", &["users"]));

    // Verified on a route with scopes, then served from the cache on one without.
    assert_eq!(
        gateway.get("/hello", Some(&token)).await.status,
        StatusCode::OK
    );
    for _ in 0..2 {
        let echo = gateway.get("/echo", Some(&token)).await;
        assert_eq!(echo.status, StatusCode::OK);
        assert_eq!(echo.body["claims"]["username"], "demo");
        assert_eq!(
            echo.body["scopes"],
            json!([]),
            "API Gateway sends no scopes on a route without them"
        );
    }
    let post = gateway
        .send(
            gateway
                .request(Method::POST, "/echo")
                .header("authorization", format!("Bearer {token}"))
                .json(&json!({"a": 1})),
        )
        .await;
    assert_eq!(post.status, StatusCode::OK, "{post:?}");
    assert_eq!(
        post.body["scopes"],
        json!(["openid", "email", "profile", "api/read", "api/write"])
    );
}

#[tokio::test]
async fn a_verified_token_still_needs_the_routes_scope() {
    let gateway = start(ApiConfig::default()).await;
    let token = sign(&with(
        access_claims("demo", &["users"]),
        "scope",
        json!("openid api/read"),
    ));
    assert_eq!(
        gateway.get("/hello", Some(&token)).await.status,
        StatusCode::OK
    );
    let answer = gateway
        .send(
            gateway
                .request(Method::POST, "/echo")
                .header("authorization", format!("Bearer {token}"))
                .json(&json!({"a": 1})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{answer:?}");
}

#[tokio::test]
async fn an_id_token_with_the_client_as_audience_is_valid_but_lacks_scopes() {
    let gateway = start(ApiConfig::default()).await;
    let id_token = sign(&id_claims());
    for path in ["/hello", "/echo", "/admin"] {
        let answer = gateway.get(path, Some(&id_token)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer.body, json!({"message": "Forbidden"}));
        assert_eq!(
            answer.header("www-authenticate"),
            Some(
                "Bearer scope=\"api/read aws.cognito.signin.user.admin\" error=\"insufficient_scope\" error_description=\"expected scopes: [api/read aws.cognito.signin.user.admin]\""
            )
        );
        answer.assert_request_id();
    }
    let wrong_audience = sign(&with(id_claims(), "aud", json!(["x", "y"])));
    gateway
        .get("/hello", Some(&wrong_audience))
        .await
        .assert_unauthorized("the token does not have a valid audience");
}

#[tokio::test]
async fn a_route_without_scopes_accepts_an_id_token_as_api_gateway_does() {
    let mut config = ApiConfig::default();
    for route in &mut config.routes {
        route.authorization_scopes.clear();
    }
    let gateway = start(config).await;
    let answer = gateway.get("/echo", Some(&sign(&id_claims()))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["claims"]["cognito:username"], "demo");
    assert_eq!(answer.body["claims"]["email_verified"], "true");
    assert_eq!(
        answer.body["scopes"],
        json!([]),
        "API Gateway sends no scopes then"
    );
}

#[tokio::test]
async fn a_missing_token_is_unauthorized_with_a_bare_challenge() {
    let gateway = start(ApiConfig::default()).await;
    for path in ["/hello", "/echo", "/admin"] {
        let answer = gateway.get(path, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer.body, json!({"message": "Unauthorized"}));
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        answer.assert_request_id();
    }
}

#[tokio::test]
async fn admin_refuses_a_user_outside_the_admin_group() {
    let gateway = start(ApiConfig::default()).await;
    let answer = gateway
        .get("/admin", Some(&sign(&access_claims("demo", &["users"]))))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.body,
        json!({"message": "Forbidden: /admin is only for members of the `admin` group"})
    );
    assert_eq!(
        answer.header("www-authenticate"),
        None,
        "the handler refused, not the authorizer"
    );
    let no_groups = sign(&without(access_claims("demo", &[]), "cognito:groups"));
    assert_eq!(
        gateway.get("/admin", Some(&no_groups)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_preflight_from_the_spa_is_answered_without_the_authorizer() {
    let gateway = start(ApiConfig::default()).await;
    // /admin needs a token, /nowhere is no route: the gateway answers both preflights itself.
    for path in ["/admin", "/echo", "/nowhere"] {
        let answer = gateway
            .preflight(path, SPA_ORIGIN, "POST", "Authorization, Content-Type")
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(answer.body, Value::Null);
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some(SPA_ORIGIN)
        );
        assert_eq!(
            answer.header("access-control-allow-methods"),
            Some("GET,POST,OPTIONS")
        );
        assert_eq!(
            answer.header("access-control-allow-headers"),
            Some("authorization,content-type")
        );
        assert_eq!(answer.header("access-control-max-age"), Some("3600"));
        assert_eq!(answer.header("access-control-allow-credentials"), None);
        assert_eq!(answer.header("vary"), Some("origin"));
        assert_eq!(answer.header("www-authenticate"), None);
        answer.assert_request_id();
    }
}

/// A route for every method and path, behind the JWT authorizer (API Gateway's CORS trap).
fn any_proxy_behind_the_authorizer() -> ApiConfig {
    let mut config = ApiConfig::default();
    config.routes.push(RouteConfig {
        method: "ANY".into(),
        path: "/{proxy+}".into(),
        integration: Integration::Api,
        authorizer: AuthorizerKind::Jwt,
        authorization_scopes: vec![],
    });
    config
}

#[tokio::test]
async fn a_route_that_catches_options_with_an_authorizer_refuses_the_preflight() {
    let gateway = start(any_proxy_behind_the_authorizer()).await;
    for path in ["/echo", "/nowhere/deeper"] {
        let answer = gateway
            .preflight(path, SPA_ORIGIN, "POST", "authorization, content-type")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer.body, json!({"message": "Unauthorized"}));
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        answer.assert_request_id();
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some(SPA_ORIGIN),
            "CORS headers are added to the refusal as to any 401"
        );
        assert_eq!(answer.header("access-control-allow-methods"), None);
    }
}

#[tokio::test]
async fn an_options_route_without_an_authorizer_lets_the_gateway_answer_the_preflight() {
    let mut config = any_proxy_behind_the_authorizer();
    config.routes.push(RouteConfig {
        method: "OPTIONS".into(),
        path: "/{proxy+}".into(),
        integration: Integration::Api,
        authorizer: AuthorizerKind::None,
        authorization_scopes: vec![],
    });
    let gateway = start(config).await;
    let answer = gateway
        .preflight("/echo", SPA_ORIGIN, "POST", "authorization, content-type")
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(SPA_ORIGIN)
    );
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    answer.assert_request_id();
    // Other methods still go through the catch-all route and its authorizer.
    assert_eq!(
        gateway.get("/nowhere", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_preflight_that_is_not_allowed_gets_no_cors_headers() {
    let gateway = start(ApiConfig::default()).await;
    let cases = [
        ("http://evil.example", "GET", "authorization"),
        ("http://localhost:8081", "GET", "authorization"),
        ("http://localhost:8080.evil.example", "GET", ""),
        (SPA_ORIGIN, "DELETE", "authorization"),
        (SPA_ORIGIN, "POST", "authorization, x-custom"),
    ];
    for (origin, method, headers) in cases {
        let answer = gateway.preflight("/echo", origin, method, headers).await;
        assert_eq!(
            answer.status,
            StatusCode::NO_CONTENT,
            "{origin} {method} {headers}"
        );
        answer.assert_no_cors();
        answer.assert_request_id();
    }
}

#[tokio::test]
async fn refusals_carry_cors_headers_for_an_allowed_origin_only() {
    let gateway = start(ApiConfig::default()).await;
    let expired = sign(&with(
        access_claims("demo", &["users"]),
        "exp",
        json!(now() - 1),
    ));
    let request = |origin: &str| {
        gateway
            .request(Method::GET, "/hello")
            .bearer_auth(&expired)
            .header("origin", origin)
    };

    let answer = gateway.send(request(SPA_ORIGIN)).await;
    answer.assert_unauthorized("the token has expired");
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some(SPA_ORIGIN)
    );
    assert_eq!(
        answer.header("access-control-expose-headers"),
        Some("x-request-id")
    );
    assert_eq!(answer.header("vary"), Some("origin"));

    let answer = gateway.send(request("http://evil.example")).await;
    answer.assert_unauthorized("the token has expired");
    answer.assert_no_cors();

    let forbidden = gateway
        .send(
            gateway
                .request(Method::GET, "/hello")
                .bearer_auth(sign(&id_claims()))
                .header("origin", SPA_ORIGIN),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(
        forbidden.header("access-control-allow-origin"),
        Some(SPA_ORIGIN)
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_not_found() {
    let gateway = start(ApiConfig::default()).await;
    let token = sign(&access_claims("demo", &["users"]));
    let cases = [
        (Method::GET, "/nowhere"),
        (Method::DELETE, "/echo"),
        (Method::POST, "/open"),
        (Method::GET, "/hello/"),
        (Method::OPTIONS, "/echo"),
    ];
    for (method, path) in cases {
        let answer = gateway
            .send(
                gateway
                    .request(method.clone(), path)
                    .bearer_auth(&token)
                    .header("origin", SPA_ORIGIN),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(answer.body, json!({"message": "Not Found"}));
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some(SPA_ORIGIN)
        );
        answer.assert_request_id();
    }
}

#[tokio::test]
async fn bodies_that_are_too_large_or_not_json_are_refused_clearly() {
    let gateway = start(ApiConfig::default()).await;
    let token = sign(&access_claims("demo", &["users"]));
    let post = |body: Vec<u8>| {
        gateway
            .request(Method::POST, "/echo")
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
    };

    let answer = gateway.send(post(vec![b' '; MAX_PAYLOAD_BYTES + 1])).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body, json!({"message": "Request Entity Too Large"}));
    answer.assert_request_id();

    let answer = gateway
        .send(post(vec![b' '; api::ECHO_BODY_LIMIT + 1]))
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer.body,
        json!({"message": "The body is larger than 65536 bytes"})
    );

    let answer = gateway.send(post(b"{\"unterminated\": ".to_vec())).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body,
        json!({"message": "The body is not valid JSON: EOF while parsing a value at line 1 column 17"})
    );

    let answer = gateway.send(post(vec![0xff, 0xfe, b'{'])).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body,
        json!({"message": "The body is not valid JSON: expected value at line 1 column 1"})
    );
}

#[tokio::test]
async fn routes_and_cors_follow_the_configuration() {
    let mut config = ApiConfig::default();
    config.routes.retain(|route| route.path == "/open");
    config.routes[0].authorizer = AuthorizerKind::Jwt;
    config.routes[0].authorization_scopes = vec!["api/admin".into(), "api/read".into()];
    config.cors.allow_origins = vec!["*".into()];
    config.cors.allow_headers = vec!["*".into()];
    config.cors.max_age = None;
    let gateway = start(config).await;

    assert_eq!(
        gateway.get("/hello", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        gateway.get("/open", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let answer = gateway
        .get("/open", Some(&sign(&access_claims("demo", &[]))))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "api/read is one of the route's scopes"
    );

    let answer = gateway
        .preflight(
            "/open",
            "https://anywhere.example",
            "GET",
            "x-custom, authorization",
        )
        .await;
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("x-custom,authorization")
    );
    assert_eq!(answer.header("access-control-max-age"), None);
    assert_eq!(answer.header("vary"), None);
}

#[test]
fn a_bad_configuration_is_refused_by_the_router() {
    let mut config = ApiConfig::default();
    config.routes[1].path = "hello".into();
    let authorizer = JwtAuthorizer::new(ISSUER, vec![CLIENT_ID.into()], &KEY.jwks, Clock::system())
        .expect("authorizer");
    let error = gateway::router(&config, authorizer).expect_err("invalid path");
    assert_eq!(
        error.to_string(),
        "config field `api.routes[1].path` is not valid: \"hello\" must start with \"/\""
    );
}
