//! The whole sign-in flow over real HTTP, as the SPA and a browser drive it.

mod cognito_support;

use cognito_support::{ADMIN, CLIENT_ID, DEMO, Harness, Pkce, verify_jwt};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sign_in_call_the_api_refresh_revoke_and_sign_out() {
    let harness = Harness::start(|_| {}).await;
    let pkce = Pkce::new();

    // authorize -> login page -> code.
    let page = harness
        .open_login_page(&harness.authorize_url(&pkce, &[]))
        .await;
    assert!(page.body.contains("<form method=\"post\""), "{}", page.body);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' http://localhost:"),
        "{csp}"
    );
    let answer = harness.submit_login(&page, DEMO.0, DEMO.1).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    let callback = answer.location();
    assert_eq!(
        format!(
            "{}{}",
            callback.origin().ascii_serialization(),
            callback.path()
        ),
        harness.redirect_uri
    );
    assert_eq!(answer.location_param("state").as_deref(), Some("state-123"));
    let session_cookie = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("cognito="))
        .expect("the managed-login session cookie");
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(session_cookie.contains("Max-Age=3600"), "{session_cookie}");
    let code = answer.location_param("code").unwrap();

    // Token exchange with the verifier; CORS * for the SPA's fetch.
    let answer = harness.exchange(&code, &pkce.verifier).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let tokens = answer.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let id = tokens["id_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let jwks = harness.jwks().await;
    let (_, id_claims) = verify_jwt(id, &jwks).unwrap();
    assert_eq!(id_claims["nonce"], "nonce-456");
    assert_eq!(id_claims["aud"], CLIENT_ID);

    // Every API route with the access token.
    let open = harness.api_get("/open", &access).await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.body);
    let hello = harness.api_get("/hello", &access).await;
    assert_eq!(hello.status, StatusCode::OK, "{}", hello.body);
    assert_eq!(hello.json()["message"], "Hello, demo!");
    assert_eq!(hello.json()["sub"], id_claims["sub"]);
    let echo = harness.api_get("/echo", &access).await;
    assert_eq!(echo.status, StatusCode::OK, "{}", echo.body);
    assert_eq!(echo.json()["claims"]["client_id"], CLIENT_ID);
    assert_eq!(echo.json()["claims"]["cognito:groups"], "[users]");
    let posted = reqwest::Client::new()
        .post(harness.api("/echo"))
        .bearer_auth(&access)
        .json(&json!({"greeting": "hi"}))
        .send()
        .await
        .unwrap();
    let posted = cognito_support::read(posted).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    assert_eq!(posted.json()["body"], json!({"greeting": "hi"}));
    let admin = harness.api_get("/admin", &access).await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN, "{}", admin.body);

    // userInfo agrees with the ID token.
    let info = harness.user_info(&access).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    assert_eq!(info.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        info.json(),
        json!({"sub": id_claims["sub"], "email": "demo@example.com", "email_verified": "true", "username": "demo"})
    );

    // Refresh (rotation on, as by default: a new refresh token of the same sign-in).
    let answer = harness.refresh(&refresh).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let refreshed = answer.json();
    let rotated = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, refresh);
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    let (_, new_id) = verify_jwt(refreshed["id_token"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(new_id["sub"], id_claims["sub"]);
    assert_eq!(new_id["origin_jti"], id_claims["origin_jti"]);
    assert_eq!(new_id["auth_time"], id_claims["auth_time"]);
    assert!(
        new_id.get("nonce").is_none(),
        "a refreshed ID token carries no nonce"
    );
    assert_eq!(
        harness.api_get("/hello", new_access).await.status,
        StatusCode::OK
    );

    // Revoke the first refresh token, then it, the one it was rotated into and (at userInfo)
    // the access tokens of the sign-in stop working.
    let answer = harness
        .post_form(
            "/oauth2/revoke",
            &[("token", &refresh), ("client_id", CLIENT_ID)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    for token in [&refresh, &rotated] {
        let answer = harness.refresh(token).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.json()["error"], "invalid_grant");
    }
    for token in [access.as_str(), new_access] {
        let info = harness.user_info(token).await;
        assert_eq!(info.status, StatusCode::UNAUTHORIZED, "{}", info.body);
        assert_eq!(info.json()["error"], "invalid_token");
    }
    // API Gateway only verifies the JWT: a revoked access token passes until it expires.
    assert_eq!(
        harness.api_get("/hello", &access).await.status,
        StatusCode::OK
    );

    // Sign out: back to the registered sign-out URL, session cookie cleared.
    let mut logout = url::Url::parse(&harness.cognito("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("logout_uri", &harness.logout_uri);
    let answer = harness.get(logout.as_str()).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert_eq!(answer.location().as_str(), harness.logout_uri);
    assert!(
        answer.location().query().is_none(),
        "no state or other parameters"
    );
    // The next authorize shows the form again.
    let again = harness.get(&harness.authorize_url(&Pkce::new(), &[])).await;
    assert_eq!(again.status, StatusCode::FOUND);
    assert_eq!(again.location().path(), "/login");

    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_second_authorize_skips_the_form_with_the_session_cookie() {
    let harness = Harness::start(|_| {}).await;
    let first = harness.tokens(ADMIN).await;
    let jwks = harness.jwks().await;
    let (_, first_id) = verify_jwt(first["id_token"].as_str().unwrap(), &jwks).unwrap();

    let pkce = Pkce::new();
    let answer = harness
        .get(&harness.authorize_url(&pkce, &[("state", "second"), ("nonce", "n2")]))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert!(
        answer
            .location()
            .as_str()
            .starts_with(&harness.redirect_uri),
        "straight back to the client: {}",
        answer.location()
    );
    assert_eq!(answer.location_param("state").as_deref(), Some("second"));
    let code = answer.location_param("code").unwrap();
    let tokens = harness.exchange(&code, &pkce.verifier).await.json();
    let (_, id) = verify_jwt(tokens["id_token"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(id["cognito:username"], "admin");
    assert_eq!(id["nonce"], "n2");
    assert_eq!(id["auth_time"], first_id["auth_time"], "same sign-in");
    assert_ne!(id["origin_jti"], first_id["origin_jti"], "a new grant");
    let admin = harness
        .api_get("/admin", tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.body);

    // prompt=login shows the form despite the session.
    let forced = harness
        .get(&harness.authorize_url(&pkce, &[("prompt", "login")]))
        .await;
    assert_eq!(forced.location().path(), "/login");

    // Another browser has no session: prompt=none answers login_required.
    let stranger = Harness::new_browser();
    let answer = cognito_support::read(
        stranger
            .get(harness.authorize_url(&pkce, &[("prompt", "none")]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        answer.location_param("error").as_deref(),
        Some("login_required")
    );
    assert_eq!(answer.location_param("state").as_deref(), Some("state-123"));
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn logout_with_redirect_uri_sends_the_user_back_to_sign_in() {
    let harness = Harness::start(|_| {}).await;
    harness.tokens(DEMO).await;
    let pkce = Pkce::new();
    let mut logout = url::Url::parse(&harness.cognito("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", &harness.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("state", "s")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    let answer = harness.get(logout.as_str()).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert_eq!(answer.location().path(), "/oauth2/authorize");
    // The session is gone, so authorize asks for the password again.
    let authorize = harness
        .get(&harness.cognito(&format!(
            "{}?{}",
            answer.location().path(),
            answer.location().query().unwrap()
        )))
        .await;
    assert_eq!(authorize.status, StatusCode::FOUND);
    assert_eq!(authorize.location().path(), "/login");
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn hostile_parameters_are_escaped_on_the_login_page_and_survive_the_round_trip() {
    let harness = Harness::start(|_| {}).await;
    let pkce = Pkce::new();
    let state = "\"><script>alert(1)</script>&x=1";
    let hint = "<img src=x onerror=alert(2)>";
    let page = harness
        .open_login_page(&harness.authorize_url(
            &pkce,
            &[("state", state), ("login_hint", hint), ("lang", "fr")],
        ))
        .await;
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(!page.body.contains("<img"), "{}", page.body);
    assert!(
        page.body
            .contains("value=\"&lt;img src=x onerror=alert(2)&gt;\""),
        "login_hint prefills: {}",
        page.body
    );
    let answer = harness.submit_login(&page, DEMO.0, DEMO.1).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert_eq!(
        answer.location_param("state").as_deref(),
        Some(state),
        "state comes back byte for byte"
    );
    harness.stack.shutdown().await;
}
