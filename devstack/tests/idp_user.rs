//! The access-token operations of the JSON API: GetUser, ChangePassword, GlobalSignOut (which
//! ends every sign-in of the user, the hosted UI's included), and how a token in the body is
//! refused: expired, revoked, without the scope, malformed, not an access token.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::time::Duration;

use cognito_support::idp::{CLI_CLIENT_ID, assert_aws_error, ok};
use cognito_support::{DEMO, Harness};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn refresh(token: &Value) -> Value {
    json!({
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": CLI_CLIENT_ID,
        "AuthParameters": {"REFRESH_TOKEN": token},
    })
}

#[tokio::test]
async fn get_user_answers_the_tokens_user() {
    let harness = Harness::start(|_| {}).await;
    let tokens = harness.cli_tokens(DEMO).await;
    let user = ok(&harness
        .with_token("GetUser", &tokens["AccessToken"], json!({}))
        .await);
    let sub = user["UserAttributes"][0]["Value"].clone();
    assert_eq!(
        user,
        json!({
            "Username": "demo",
            "UserAttributes": [
                {"Name": "sub", "Value": sub},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "email", "Value": "demo@example.com"},
            ],
        })
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn change_password_needs_the_previous_one_and_the_policy() {
    let harness = Harness::start(|_| {}).await;
    let access = harness.cli_tokens(DEMO).await["AccessToken"].clone();
    let change = |previous: &str, proposed: &str| json!({"PreviousPassword": previous, "ProposedPassword": proposed});
    let cases = [
        (
            change("Wrong-Passw0rd!", "Changed-Passw0rd!"),
            "NotAuthorizedException",
            "Incorrect username or password.",
        ),
        (
            change(DEMO.1, "changed-passw0rd!"),
            "InvalidPasswordException",
            "Password did not conform with policy: Password must have uppercase characters",
        ),
        (
            json!({"ProposedPassword": "Changed-Passw0rd!"}),
            "InvalidParameterException",
            "1 validation error detected: Value null at 'previousPassword' failed to satisfy \
             constraint: Member must not be null",
        ),
    ];
    for (body, kind, message) in cases {
        assert_aws_error(
            &harness.with_token("ChangePassword", &access, body).await,
            kind,
            message,
        );
    }
    let changed = harness
        .with_token(
            "ChangePassword",
            &access,
            change(DEMO.1, "Changed-Passw0rd!"),
        )
        .await;
    assert_eq!(ok(&changed), json!({}));
    assert_aws_error(
        &harness.initiate_password_auth(DEMO).await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    harness.cli_tokens(("demo", "Changed-Passw0rd!")).await;
    // The token that changed it stays valid (Cognito documents nothing else).
    ok(&harness.with_token("GetUser", &access, json!({})).await);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn global_sign_out_ends_every_sign_in_of_the_user() {
    let harness = Harness::start(|_| {}).await;
    let cli = harness.cli_tokens(DEMO).await;
    // The same user through the hosted UI (the SPA's code flow), and another user.
    let browser = harness.tokens(DEMO).await;
    let other = harness.cli_tokens(cognito_support::ADMIN).await;

    let answer = harness
        .with_token("GlobalSignOut", &cli["AccessToken"], json!({}))
        .await;
    assert_eq!(ok(&answer), json!({}));

    for token in [&cli["AccessToken"], &browser["access_token"]] {
        assert_aws_error(
            &harness.with_token("GetUser", token, json!({})).await,
            "NotAuthorizedException",
            "Access Token has been revoked",
        );
    }
    assert_aws_error(
        &harness
            .idp("InitiateAuth", refresh(&cli["RefreshToken"]))
            .await,
        "NotAuthorizedException",
        "Invalid Refresh Token",
    );
    let refreshed = harness
        .refresh(browser["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        refreshed.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refreshed.body
    );
    assert_eq!(refreshed.json()["error"], "invalid_grant");
    let info = harness
        .user_info(browser["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.status, StatusCode::UNAUTHORIZED, "{}", info.body);
    assert_eq!(
        info.json()["error_description"],
        "the access token has been revoked"
    );

    // API Gateway's authorizer checks only the JWT: it accepts the token until it expires,
    // as on AWS.
    let hello = harness
        .api_get("/hello", cli["AccessToken"].as_str().unwrap())
        .await;
    assert_eq!(hello.status, StatusCode::OK, "{}", hello.body);

    // Other users are untouched, and a new sign-in (even in the same second) works.
    ok(&harness
        .with_token("GetUser", &other["AccessToken"], json!({}))
        .await);
    ok(&harness
        .idp("InitiateAuth", refresh(&other["RefreshToken"]))
        .await);
    let again = harness.cli_tokens(DEMO).await;
    ok(&harness
        .with_token("GetUser", &again["AccessToken"], json!({}))
        .await);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_token_in_the_body_is_refused_when_it_is_not_a_live_access_token_with_the_scope() {
    let harness = Harness::start(|_| {}).await;
    let cli = harness.cli_tokens(DEMO).await;
    // The hosted UI's access token has the SPA's scopes, not aws.cognito.signin.user.admin.
    let browser = harness.tokens(DEMO).await;
    let cases = [
        (json!("not-a-jwt"), "Invalid Access Token"),
        (cli["IdToken"].clone(), "Invalid Access Token"),
        (
            json!(tampered(cli["AccessToken"].as_str().unwrap())),
            "Invalid Access Token",
        ),
        (
            browser["access_token"].clone(),
            "Access Token does not have required scopes",
        ),
    ];
    for operation in [
        "GetUser",
        "GlobalSignOut",
        "SetUserMFAPreference",
        "AssociateSoftwareToken",
    ] {
        for (token, message) in &cases {
            assert_aws_error(
                &harness.with_token(operation, token, json!({})).await,
                "NotAuthorizedException",
                message,
            );
        }
    }
    assert_aws_error(
        &harness.idp("GetUser", json!({})).await,
        "InvalidParameterException",
        "1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: \
         Member must not be null",
    );
    harness.stack.clock().advance(Duration::from_secs(3600));
    assert_aws_error(
        &harness
            .with_token("GetUser", &cli["AccessToken"], json!({}))
            .await,
        "NotAuthorizedException",
        "Access Token has expired",
    );
    harness.stack.shutdown().await;
}

/// The token with a character in the middle of its signature changed.
fn tampered(token: &str) -> String {
    let signature_start = token.rfind('.').unwrap() + 1;
    let at = signature_start + (token.len() - signature_start) / 2;
    let mut bytes = token.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}
