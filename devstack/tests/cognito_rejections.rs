//! Every refusal of the Cognito side, asserted exactly.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::time::Duration;

use cognito_support::{CLIENT_ID, DEMO, Harness, Pkce};
use reqwest::StatusCode;

/// Asserts a token-endpoint style JSON error.
/// [`assert_oauth_error`], and the description says `about`.
fn assert_oauth_error_about(
    answer: &cognito_support::Answer,
    status: StatusCode,
    error: &str,
    about: &str,
) {
    assert_oauth_error(answer, status, error);
    let description = answer.json()["error_description"].clone();
    assert!(
        description.as_str().is_some_and(|d| d.contains(about)),
        "expected a description about {about:?}: {}",
        answer.body
    );
}

fn assert_oauth_error(answer: &cognito_support::Answer, status: StatusCode, error: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.json()["error"], error, "{}", answer.body);
    assert!(
        answer.json()["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{}",
        answer.body
    );
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
}

/// Asserts an authorize error sent back to the client.
fn assert_redirected_error(answer: &cognito_support::Answer, harness: &Harness, error: &str) {
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert!(
        answer
            .location()
            .as_str()
            .starts_with(&harness.redirect_uri),
        "{}",
        answer.location()
    );
    assert_eq!(answer.location_param("error").as_deref(), Some(error));
    assert!(answer.location_param("error_description").is_some());
    assert_eq!(answer.location_param("state").as_deref(), Some("state-123"));
    assert!(answer.location_param("code").is_none());
}

/// Asserts an error page: HTML, no redirect.
fn assert_error_page(answer: &cognito_support::Answer, text: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.headers.get("location").is_none());
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        answer.headers
    );
    assert!(answer.body.contains(text), "{}", answer.body);
}

#[tokio::test]
async fn token_exchange_refusals() {
    let harness = Harness::start(|_| {}).await;

    // Wrong verifier: invalid_grant, and the code is spent.
    let pkce = Pkce::new();
    let code = harness.sign_in(&pkce, DEMO).await;
    let wrong = Pkce::new();
    assert_oauth_error(
        &harness.exchange(&code, &wrong.verifier).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_oauth_error(
        &harness.exchange(&code, &pkce.verifier).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );

    // Reused code.
    let pkce = Pkce::new();
    let code = harness.sign_in(&pkce, DEMO).await;
    assert_eq!(
        harness.exchange(&code, &pkce.verifier).await.status,
        StatusCode::OK
    );
    let reused = harness.exchange(&code, &pkce.verifier).await;
    assert_oauth_error_about(
        &reused,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "already used",
    );

    // Expired code (5 minutes), without sleeping.
    let pkce = Pkce::new();
    let code = harness.sign_in(&pkce, DEMO).await;
    harness
        .stack
        .clock()
        .advance(Duration::from_secs(5 * 60 + 1));
    let expired = harness.exchange(&code, &pkce.verifier).await;
    assert_oauth_error_about(
        &expired,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "expired",
    );

    // Redirect URI differs from the authorize request's.
    let pkce = Pkce::new();
    let code = harness.sign_in(&pkce, DEMO).await;
    let other_redirect = format!("{}/", harness.redirect_uri);
    let mismatch = harness
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("code", &code),
                ("redirect_uri", &other_redirect),
                ("code_verifier", &pkce.verifier),
            ],
        )
        .await;
    assert_oauth_error_about(
        &mismatch,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "redirect_uri",
    );

    // Missing verifier for a code issued with a challenge.
    let pkce = Pkce::new();
    let code = harness.sign_in(&pkce, DEMO).await;
    let missing = harness
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("code", &code),
                ("redirect_uri", &harness.redirect_uri),
            ],
        )
        .await;
    assert_oauth_error(&missing, StatusCode::BAD_REQUEST, "invalid_grant");

    // Unknown client, unsupported grant type, missing grant type, a public client with a secret.
    let unknown = harness
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "nope"),
                ("refresh_token", "x"),
            ],
        )
        .await;
    assert_oauth_error(&unknown, StatusCode::BAD_REQUEST, "invalid_client");
    let password = harness
        .post_form(
            "/oauth2/token",
            &[("grant_type", "password"), ("client_id", CLIENT_ID)],
        )
        .await;
    assert_oauth_error(&password, StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let none = harness
        .post_form("/oauth2/token", &[("client_id", CLIENT_ID)])
        .await;
    assert_oauth_error(&none, StatusCode::BAD_REQUEST, "invalid_request");
    let secret = harness
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("client_secret", "s"),
                ("refresh_token", "x"),
            ],
        )
        .await;
    assert_oauth_error(&secret, StatusCode::BAD_REQUEST, "invalid_client");
    let unknown_refresh = harness.refresh("not-a-refresh-token").await;
    assert_oauth_error(&unknown_refresh, StatusCode::BAD_REQUEST, "invalid_grant");
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn malformed_and_oversized_token_requests_are_clear_4xx() {
    let harness = Harness::start(|_| {}).await;
    let http = reqwest::Client::new();
    let token_url = harness.cognito("/oauth2/token");
    let send = |request: reqwest::RequestBuilder| async move {
        cognito_support::read(request.send().await.unwrap()).await
    };

    let json_body = send(
        http.post(&token_url)
            .json(&serde_json::json!({"grant_type": "authorization_code"})),
    )
    .await;
    assert_oauth_error(&json_body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        json_body.body.contains("application/x-www-form-urlencoded"),
        "{}",
        json_body.body
    );

    let repeated = send(
        http.post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=refresh_token&grant_type=authorization_code&client_id=x"),
    )
    .await;
    assert_oauth_error(&repeated, StatusCode::BAD_REQUEST, "invalid_request");

    let garbage = send(
        http.post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![0xff, 0xfe, b'=', 0x00, b'%']),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.body);
    assert!(garbage.json()["error"].is_string());

    let huge = format!(
        "grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token={}",
        "a".repeat(64 * 1024)
    );
    let oversized = send(
        http.post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge.clone()),
    )
    .await;
    assert_oauth_error_about(
        &oversized,
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
        "larger than",
    );

    let revoke_huge = send(
        http.post(harness.cognito("/oauth2/revoke"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge),
    )
    .await;
    assert_oauth_error(
        &revoke_huge,
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
    );

    // The server is still fine afterwards.
    assert_eq!(harness.tokens(DEMO).await["token_type"], "Bearer");

    // Preflight of the token endpoint for a browser's fetch.
    let preflight = send(
        http.request(reqwest::Method::OPTIONS, &token_url)
            .header("origin", "http://localhost:1234")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type"),
    )
    .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn authorize_refusals() {
    let harness = Harness::start(|_| {}).await;
    let pkce = Pkce::new();

    // Unknown client and unregistered redirect URI: an error page, never a redirect.
    let unknown = harness
        .get(&harness.authorize_url(&pkce, &[("client_id", "unknownclient")]))
        .await;
    assert_error_page(&unknown, "client_id is missing or unknown");
    let evil = harness
        .get(&harness.authorize_url(&pkce, &[("redirect_uri", "https://evil.example/callback")]))
        .await;
    assert_error_page(&evil, "redirect_uri is missing or is not one of");
    assert!(
        !evil.body.contains("evil.example"),
        "the page does not echo the URI"
    );
    let prefix = harness
        .get(&harness.authorize_url(
            &pkce,
            &[("redirect_uri", &format!("{}x", harness.redirect_uri))],
        ))
        .await;
    assert_error_page(&prefix, "redirect_uri");

    // Everything else goes back to the client with error and state.
    let cases: [(&[(&str, &str)], &str); 8] = [
        (&[("response_type", "token")], "unauthorized_client"),
        (
            &[("response_type", "id_token")],
            "unsupported_response_type",
        ),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (
            &[
                ("code_challenge", "too-short"),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (&[("scope", "openid api/delete")], "invalid_scope"),
        (&[("scope", "openid phone")], "invalid_scope"),
        (&[("identity_provider", "Google")], "invalid_request"),
        (&[("prompt", "bogus")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let answer = harness.get(&harness.authorize_url(&pkce, extra)).await;
        assert_redirected_error(&answer, &harness, error);
    }
    // Over-long state and nonce: refused, and the long state is not echoed back.
    let long = "s".repeat(2049);
    let answer = harness
        .get(&harness.authorize_url(&pkce, &[("state", &long)]))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert_eq!(
        answer.location_param("error").as_deref(),
        Some("invalid_request")
    );
    assert!(
        answer
            .location_param("error_description")
            .is_some_and(|d| d.contains("state is longer than 2048 bytes"))
    );
    assert_eq!(answer.location_param("state"), None);
    let answer = harness
        .get(&harness.authorize_url(&pkce, &[("nonce", &long)]))
        .await;
    assert_redirected_error(&answer, &harness, "invalid_request");
    assert!(
        answer
            .location_param("error_description")
            .is_some_and(|d| d.contains("nonce is longer than 2048 bytes"))
    );
    // 2048 bytes are still fine: the login page is shown.
    let fits = "s".repeat(2048);
    harness
        .open_login_page(&harness.authorize_url(&pkce, &[("state", &fits), ("nonce", &fits)]))
        .await;
    // A challenge without a method defaults to plain (RFC 7636 4.3), which is refused.
    let mut url = url::Url::parse(&harness.cognito("/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", &harness.redirect_uri)
        .append_pair("state", "state-123")
        .append_pair("code_challenge", &pkce.challenge);
    assert_redirected_error(
        &harness.get(url.as_str()).await,
        &harness,
        "invalid_request",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn login_form_refusals() {
    let harness = Harness::start(|_| {}).await;
    let pkce = Pkce::new();
    let mut page = harness
        .open_login_page(&harness.authorize_url(&pkce, &[]))
        .await;

    // Wrong password and unknown user: the same message, on the page, no redirect. Each answer
    // is a fresh form (new CSRF token), which the next attempt uses.
    for (username, password) in [("demo", "wrong-password"), ("nobody", "Demo-Passw0rd!")] {
        let answer = harness.submit_login(&page, username, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert!(answer.headers.get("location").is_none());
        assert!(
            answer.body.contains("Incorrect username or password."),
            "{}",
            answer.body
        );
        assert!(!answer.body.contains("wrong-password"));
        page = answer;
    }
    // The username is kept in the form, escaped.
    let answer = harness.submit_login(&page, "<b>x</b>", "p").await;
    assert!(
        answer.body.contains("value=\"&lt;b&gt;x&lt;/b&gt;\""),
        "{}",
        answer.body
    );

    // Missing CSRF field.
    let action = harness.cognito(&page.form_action());
    let no_csrf = cognito_support::read(
        harness
            .browser
            .post(&action)
            .form(&[("username", DEMO.0), ("password", DEMO.1)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{}", no_csrf.body);
    assert!(
        no_csrf.body.contains("This form has expired"),
        "{}",
        no_csrf.body
    );
    assert!(no_csrf.headers.get("location").is_none());

    // A CSRF field that does not match the cookie (e.g. another browser's form).
    let page = harness
        .open_login_page(&harness.authorize_url(&pkce, &[]))
        .await;
    let other_browser = Harness::new_browser();
    let forged = cognito_support::read(
        other_browser
            .post(&action)
            .form(&[
                ("_csrf", page.csrf_field().as_str()),
                ("username", DEMO.0),
                ("password", DEMO.1),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let mismatched = cognito_support::read(
        harness
            .browser
            .post(&action)
            .form(&[
                ("_csrf", "not-the-cookie"),
                ("username", DEMO.0),
                ("password", DEMO.1),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        mismatched.status,
        StatusCode::FORBIDDEN,
        "{}",
        mismatched.body
    );

    // The right form still works afterwards.
    let page = harness
        .open_login_page(&harness.authorize_url(&pkce, &[]))
        .await;
    let answer = harness.submit_login(&page, DEMO.0, DEMO.1).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn logout_refusals() {
    let harness = Harness::start(|_| {}).await;
    let logout = |pairs: &[(&str, &str)]| {
        let mut url = url::Url::parse(&harness.cognito("/logout")).unwrap();
        url.query_pairs_mut().extend_pairs(pairs);
        url.to_string()
    };
    let unregistered = harness
        .get(&logout(&[
            ("client_id", CLIENT_ID),
            ("logout_uri", "https://evil.example/bye"),
        ]))
        .await;
    assert_error_page(&unregistered, "logout_uri is not one of");
    let near_miss = format!("{}/", harness.logout_uri);
    let near = harness
        .get(&logout(&[
            ("client_id", CLIENT_ID),
            ("logout_uri", &near_miss),
        ]))
        .await;
    assert_error_page(&near, "logout_uri");
    let unknown = harness
        .get(&logout(&[
            ("client_id", "nope"),
            ("logout_uri", &harness.logout_uri),
        ]))
        .await;
    assert_error_page(&unknown, "client_id");
    let neither = harness.get(&logout(&[("client_id", CLIENT_ID)])).await;
    assert_error_page(&neither, "logout_uri");
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn userinfo_and_revoke_refusals() {
    let harness = Harness::start(|_| {}).await;
    let tokens = harness.tokens(DEMO).await;
    let access = tokens["access_token"].as_str().unwrap();
    let id = tokens["id_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    // No bearer token at all is a bad request (Cognito: 400, error="invalid_request"); a bearer
    // token that is not a valid one is 401 invalid_token.
    let user_info_with = |authorization: Option<&'static str>| {
        let mut request = reqwest::Client::new().get(harness.cognito("/oauth2/userInfo"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        async move { cognito_support::read(request.send().await.unwrap()).await }
    };
    for authorization in [
        None,
        Some("Basic ZGVtbzp4"),
        Some("Bearer "),
        Some("Bearer"),
    ] {
        let answer = user_info_with(authorization).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{authorization:?}: {}",
            answer.body
        );
        assert!(
            answer
                .header("www-authenticate")
                .unwrap()
                .contains("error=\"invalid_request\""),
            "{authorization:?}: {:?}",
            answer.header("www-authenticate")
        );
        assert_eq!(answer.json()["error"], "invalid_request");
    }
    let malformed = user_info_with(Some("Bearer not-a-jwt")).await;
    assert_eq!(malformed.status, StatusCode::UNAUTHORIZED);
    assert!(
        malformed
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );
    let id_token = harness.user_info(id).await;
    assert_eq!(
        id_token.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        id_token.body
    );

    // An access token without openid.
    let pkce = Pkce::new();
    // (this browser has a session, so authorize answers with a code at once)
    let answer = harness
        .get(&harness.authorize_url(&pkce, &[("scope", "api/read")]))
        .await;
    let code = answer.location_param("code").unwrap();
    let scoped = harness.exchange(&code, &pkce.verifier).await.json();
    assert!(
        scoped.get("id_token").is_none(),
        "no openid, no ID token: {scoped}"
    );
    let no_openid = harness
        .user_info(scoped["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        no_openid.status,
        StatusCode::FORBIDDEN,
        "{}",
        no_openid.body
    );
    assert_eq!(no_openid.json()["error"], "insufficient_scope");

    // Expired access token at userInfo.
    harness.stack.clock().advance(Duration::from_secs(3601));
    let expired = harness.user_info(access).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(
        expired.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    // Revoking an access token, or another client's token.
    let jwt = harness
        .post_form(
            "/oauth2/revoke",
            &[("token", access), ("client_id", CLIENT_ID)],
        )
        .await;
    assert_oauth_error(&jwt, StatusCode::BAD_REQUEST, "unsupported_token_type");
    let unknown_client = harness
        .post_form(
            "/oauth2/revoke",
            &[("token", refresh), ("client_id", "nope")],
        )
        .await;
    assert_oauth_error(&unknown_client, StatusCode::BAD_REQUEST, "invalid_client");
    let missing = harness
        .post_form("/oauth2/revoke", &[("client_id", CLIENT_ID)])
        .await;
    assert_oauth_error(&missing, StatusCode::BAD_REQUEST, "invalid_request");
    // The refresh token survived the refused revocations.
    assert_eq!(harness.refresh(refresh).await.status, StatusCode::OK);
    harness.stack.shutdown().await;
}
