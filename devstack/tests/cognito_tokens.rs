//! The tokens: signatures checked against the served JWKS with the `rsa` crate (independent of
//! the `jsonwebtoken` signer), claim sets exactly Cognito's, refresh-token expiry, tampering,
//! discovery. Rotation: `cognito_rotation.rs`.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_support::{ADMIN, CLIENT_ID, DEMO, Harness, Pkce, claim_names, verify_jwt};
use devstack::Config;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn claims_are_exactly_cognitos_and_verify_against_the_jwks() {
    let harness = Harness::start(|_| {}).await;
    let tokens = harness.tokens(ADMIN).await;
    let jwks = harness.jwks().await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0]["kid"], keys[1]["kid"]);
    for key in keys {
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["e"], "AQAB");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(key["n"].as_str().unwrap())
                .unwrap()
                .len(),
            256,
            "RSA-2048"
        );
    }

    let access = tokens["access_token"].as_str().unwrap();
    let (access_header, access_claims) = verify_jwt(access, &jwks).unwrap();
    let (id_header, id_claims) = verify_jwt(tokens["id_token"].as_str().unwrap(), &jwks).unwrap();
    assert_ne!(
        access_header["kid"], id_header["kid"],
        "separate keys for ID and access tokens"
    );

    assert_eq!(
        claim_names(&id_claims),
        [
            "at_hash",
            "aud",
            "auth_time",
            "cognito:groups",
            "cognito:username",
            "email",
            "email_verified",
            "exp",
            "iat",
            "iss",
            "jti",
            "nonce",
            "origin_jti",
            "sub",
            "token_use"
        ]
    );
    assert_eq!(
        claim_names(&access_claims),
        [
            "auth_time",
            "client_id",
            "cognito:groups",
            "exp",
            "iat",
            "iss",
            "jti",
            "origin_jti",
            "scope",
            "sub",
            "token_use",
            "username",
            "version"
        ]
    );

    let issuer = harness.stack.issuer();
    assert!(issuer.ends_with("/us-east-1_DevStack01"), "{issuer}");
    assert_eq!(id_claims["iss"], issuer);
    assert_eq!(access_claims["iss"], issuer);
    assert_eq!(id_claims["token_use"], "id");
    assert_eq!(access_claims["token_use"], "access");
    assert_eq!(id_claims["aud"], CLIENT_ID);
    assert_eq!(access_claims["client_id"], CLIENT_ID);
    assert_eq!(access_claims["version"], 2);
    assert_eq!(
        access_claims["scope"],
        "openid email profile api/read api/write"
    );
    assert_eq!(id_claims["cognito:username"], "admin");
    assert_eq!(access_claims["username"], "admin");
    assert_eq!(
        id_claims["cognito:groups"],
        serde_json::json!(["admin", "users"])
    );
    assert_eq!(
        access_claims["cognito:groups"],
        serde_json::json!(["admin", "users"])
    );
    assert_eq!(id_claims["email"], "admin@example.com");
    assert_eq!(id_claims["email_verified"], true);
    assert_eq!(id_claims["sub"], access_claims["sub"]);
    assert_eq!(id_claims["origin_jti"], access_claims["origin_jti"]);
    assert_ne!(id_claims["jti"], access_claims["jti"]);
    let number = |claims: &serde_json::Map<String, serde_json::Value>, name: &str| {
        claims[name].as_u64().unwrap()
    };
    assert_eq!(
        number(&access_claims, "exp") - number(&access_claims, "iat"),
        3600
    );
    assert_eq!(number(&id_claims, "exp") - number(&id_claims, "iat"), 3600);
    assert!(number(&id_claims, "auth_time") <= number(&id_claims, "iat"));
    let hash = Sha256::digest(access.as_bytes());
    assert_eq!(id_claims["at_hash"], URL_SAFE_NO_PAD.encode(&hash[..16]));
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn lifetimes_follow_the_client_config() {
    let harness = Harness::start(|config| {
        let client = &mut config.app_clients[0];
        client.access_token_validity_minutes = 5;
        client.id_token_validity_minutes = 1440;
    })
    .await;
    let tokens = harness.tokens(DEMO).await;
    assert_eq!(tokens["expires_in"], 300);
    let jwks = harness.jwks().await;
    let (_, access) = verify_jwt(tokens["access_token"].as_str().unwrap(), &jwks).unwrap();
    let (_, id) = verify_jwt(tokens["id_token"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(
        access["exp"].as_u64().unwrap() - access["iat"].as_u64().unwrap(),
        300
    );
    assert_eq!(
        id["exp"].as_u64().unwrap() - id["iat"].as_u64().unwrap(),
        86400
    );
    harness.stack.shutdown().await;
}

/// `exp - iat` of a verified JWT.
fn lifetime(token: &serde_json::Value, jwks: &serde_json::Value) -> u64 {
    let token = token.as_str().expect("a token");
    let (_, claims) = verify_jwt(token, jwks).expect("a valid JWT");
    let number = |name: &str| claims[name].as_u64().expect("a numeric claim");
    number("exp") - number("iat")
}

#[tokio::test]
async fn the_testing_override_makes_tokens_live_seconds() {
    let harness = Harness::start(|config| {
        config.testing.token_lifetime_seconds_override = Some(20);
        config.app_clients[0].id_token_validity_minutes = 1440;
    })
    .await;
    let jwks = harness.jwks().await;
    let tokens = harness.tokens(DEMO).await;
    assert_eq!(tokens["expires_in"], 20);
    assert_eq!(lifetime(&tokens["access_token"], &jwks), 20);
    assert_eq!(lifetime(&tokens["id_token"], &jwks), 20);

    // Refreshed tokens follow it too, and the API refuses a token 21 s later.
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        harness.api_get("/hello", access).await.status,
        StatusCode::OK
    );
    let refreshed = harness
        .refresh(tokens["refresh_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(refreshed["expires_in"], 20);
    assert_eq!(lifetime(&refreshed["access_token"], &jwks), 20);
    assert_eq!(lifetime(&refreshed["id_token"], &jwks), 20);
    harness
        .stack
        .clock()
        .advance(std::time::Duration::from_secs(21));
    let answer = harness.api_get("/hello", access).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn the_api_and_the_cognito_side_share_one_clock() {
    let harness = Harness::start(|_| {}).await;
    let tokens = harness.tokens(DEMO).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        harness.api_get("/hello", access).await.status,
        StatusCode::OK
    );

    // Past the access token's exp (3600 s): the API refuses it, as userInfo does.
    harness
        .stack
        .clock()
        .advance(std::time::Duration::from_secs(3601));
    let answer = harness.api_get("/hello", access).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert!(
        answer
            .header("www-authenticate")
            .is_some_and(|challenge| challenge.contains("the token has expired")),
        "{:?}",
        answer.header("www-authenticate")
    );
    assert_eq!(
        harness.user_info(access).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Tokens issued after the advance are not "issued in the future" to the API.
    let refreshed = harness
        .refresh(tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let renewed = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = harness.api_get("/hello", &renewed).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let fresh = harness.tokens(ADMIN).await;
    let answer = harness
        .api_get("/admin", fresh["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    harness.stack.shutdown().await;
}

/// A second app client of the pool, like the SPA's (same URLs and scopes) but another id.
const SECOND_CLIENT: &str = "secondclient01";

fn add_second_client(config: &mut Config) {
    let mut second = config.app_clients[0].clone();
    second.client_id = SECOND_CLIENT.into();
    second.name = "second".into();
    config.app_clients.push(second);
}

/// The scopes the SPA asks for.
const SPA_SCOPES: &str = "openid email profile api/read api/write";

/// Signs demo in through `client_id` asking for `scope` (the login page, unless this browser
/// has a session already) and exchanges the code: the token response.
async fn sign_in_through(harness: &Harness, client_id: &str, scope: &str) -> serde_json::Value {
    let pkce = Pkce::new();
    let authorize_url = harness.authorize_url(&pkce, &[("client_id", client_id), ("scope", scope)]);
    let first = harness.get(&authorize_url).await;
    let answer = if first.location().path() == "/login" {
        let page = harness.open_login_page(&authorize_url).await;
        harness.submit_login(&page, DEMO.0, DEMO.1).await
    } else {
        first
    };
    let code = answer.location_param("code").expect("a code");
    let answer = harness
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", client_id),
                ("code", &code),
                ("redirect_uri", &harness.redirect_uri),
                ("code_verifier", &pkce.verifier),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn the_api_accepts_only_the_spa_client_unless_audiences_say_otherwise() {
    // The deployed authorizer's audience is [SpaClient]: another client's token is refused.
    let harness = Harness::start(add_second_client).await;
    let second = sign_in_through(&harness, SECOND_CLIENT, SPA_SCOPES).await;
    let second = second["access_token"].as_str().unwrap();
    let answer = harness.api_get("/hello", second).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({"message": "Unauthorized"})
    );
    // The Cognito side still honours it: only the API's audience is narrower.
    assert_eq!(harness.user_info(second).await.status, StatusCode::OK);
    let spa = harness.tokens(DEMO).await;
    let answer = harness
        .api_get("/hello", spa["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    harness.stack.shutdown().await;

    let harness = Harness::start(|config| {
        add_second_client(config);
        config.api.audiences = Some(vec![CLIENT_ID.into(), SECOND_CLIENT.into()]);
    })
    .await;
    let second = sign_in_through(&harness, SECOND_CLIENT, SPA_SCOPES).await;
    let second = second["access_token"].as_str().unwrap();
    let answer = harness.api_get("/hello", second).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    harness.stack.shutdown().await;
}

/// The ID token's claims and the userInfo answer for a sign-in asking for `scope`.
async fn attributes_for(
    harness: &Harness,
    scope: &str,
) -> (
    serde_json::Map<String, serde_json::Value>,
    serde_json::Value,
) {
    let tokens = sign_in_through(harness, CLIENT_ID, scope).await;
    let jwks = harness.jwks().await;
    let (_, id_claims) = verify_jwt(tokens["id_token"].as_str().unwrap(), &jwks).unwrap();
    let answer = harness
        .user_info(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    (id_claims, answer.json())
}

#[tokio::test]
async fn email_claims_follow_the_granted_scopes() {
    let harness = Harness::start(|_| {}).await;

    // `profile` without `email`: neither the ID token nor userInfo has the email.
    let (id_claims, user_info) = attributes_for(&harness, "openid profile").await;
    assert!(!id_claims.contains_key("email"), "{id_claims:?}");
    assert!(!id_claims.contains_key("email_verified"), "{id_claims:?}");
    assert_eq!(id_claims["cognito:username"], "demo");
    assert_eq!(
        user_info,
        serde_json::json!({"sub": id_claims["sub"], "username": "demo"})
    );

    // `openid` alone: every attribute the client may read, the email included.
    let (id_claims, user_info) = attributes_for(&harness, "openid").await;
    assert_eq!(id_claims["email"], "demo@example.com");
    assert_eq!(id_claims["email_verified"], true);
    assert_eq!(
        user_info,
        serde_json::json!({"sub": id_claims["sub"], "email": "demo@example.com", "email_verified": "true", "username": "demo"})
    );

    // The SPA's scopes: as before, the email is there.
    let (id_claims, user_info) = attributes_for(&harness, SPA_SCOPES).await;
    assert_eq!(id_claims["email"], "demo@example.com");
    assert_eq!(user_info["email"], "demo@example.com");
    assert_eq!(user_info["email_verified"], "true");
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn refresh_tokens_expire_with_the_clock() {
    // Without rotation: the one refresh token works until its hour is over (with rotation:
    // `cognito_rotation.rs`).
    let harness = Harness::start(|config| {
        config.app_clients[0].refresh_token_validity_minutes = 60;
        config.app_clients[0].refresh_token_rotation = false;
    })
    .await;
    let tokens = harness.tokens(DEMO).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    harness
        .stack
        .clock()
        .advance(std::time::Duration::from_secs(59 * 60));
    assert_eq!(harness.refresh(refresh).await.status, StatusCode::OK);
    harness
        .stack
        .clock()
        .advance(std::time::Duration::from_secs(60));
    assert_eq!(
        harness.refresh(refresh).await.json()["error"],
        "invalid_grant"
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn tamper_switch_issues_tokens_that_fail_verification() {
    let harness = Harness::start(|config| config.testing.tamper_signatures = true).await;
    let tokens = harness.tokens(DEMO).await;
    let jwks = harness.jwks().await;
    for name in ["access_token", "id_token"] {
        let token = tokens[name].as_str().unwrap();
        assert_eq!(
            verify_jwt(token, &jwks).unwrap_err(),
            "bad signature",
            "{name}"
        );
    }
    let access = tokens["access_token"].as_str().unwrap();
    let api = harness.api_get("/hello", access).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.body);
    assert_eq!(
        harness.user_info(access).await.status,
        StatusCode::UNAUTHORIZED
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn discovery_and_jwks_are_served_with_cors() {
    let harness = Harness::start(|_| {}).await;
    let issuer = harness.stack.issuer();
    let cognito = harness
        .stack
        .cognito_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let answer = cognito_support::read(
        reqwest::Client::new()
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .header("origin", "http://localhost:8080")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    let discovery = answer.json();
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(
        discovery["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{cognito}/oauth2/authorize")
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{cognito}/oauth2/token")
    );
    assert_eq!(
        discovery["userinfo_endpoint"],
        format!("{cognito}/oauth2/userInfo")
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert!(
        discovery.get("code_challenge_methods_supported").is_none(),
        "Cognito does not list it"
    );

    let jwks = cognito_support::read(
        reqwest::Client::new()
            .get(discovery["jwks_uri"].as_str().unwrap())
            .header("origin", "http://localhost:8080")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(jwks.header("access-control-allow-origin"), Some("*"));
    assert_eq!(jwks.json()["keys"].as_array().unwrap().len(), 2);

    // userInfo takes a Bearer header, so a browser asks first.
    let preflight = cognito_support::read(
        reqwest::Client::new()
            .request(
                reqwest::Method::OPTIONS,
                format!("{cognito}/oauth2/userInfo"),
            )
            .header("origin", "http://localhost:8080")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("authorization"),
        "{:?}",
        preflight.headers
    );
    // The hosted UI pages are navigations: no CORS headers there.
    let login = harness.get(&harness.cognito("/oauth2/authorize")).await;
    assert!(login.headers.get("access-control-allow-origin").is_none());
    harness.stack.shutdown().await;
}
