//! Refresh-token rotation over HTTP, as Cognito's RefreshTokenRotation has it: a new refresh
//! token on every refresh, valid for what is left of the sign-in's lifetime; the old one
//! working for the client's grace period, then refused; revocation ending every token of the
//! sign-in; REFRESH_TOKEN_AUTH refused on a rotating client. The clock is advanced, never
//! waited for.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::time::Duration;

use cognito_support::idp::assert_aws_error;
use cognito_support::{Answer, CLIENT_ID, DEMO, Harness, verify_jwt};
use devstack::{Config, Listeners};
use reqwest::StatusCode;
use serde_json::json;

const ROTATED: &str = "the refresh token was replaced by rotation and its grace period is over";
const UNKNOWN: &str = "the refresh token is unknown, expired or revoked";

/// The SPA's client rotating with a grace period of `grace` seconds (and no
/// REFRESH_TOKEN_AUTH, which rotation rules out).
fn rotating(grace: u32) -> impl FnOnce(&mut Config) {
    move |config| {
        let client = &mut config.app_clients[0];
        client.refresh_token_rotation = true;
        client.refresh_token_retry_grace_seconds = grace;
        client.explicit_auth_flows.clear();
    }
}

/// A successful refresh's new refresh token.
fn new_refresh_token(answer: &Answer) -> String {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["refresh_token"]
        .as_str()
        .expect("a new refresh token")
        .to_owned()
}

fn assert_invalid_grant(answer: &Answer, description: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(
        answer.json(),
        json!({"error": "invalid_grant", "error_description": description})
    );
}

async fn revoke(harness: &Harness, token: &str) {
    let answer = harness
        .post_form(
            "/oauth2/revoke",
            &[("token", token), ("client_id", CLIENT_ID)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

fn advance(harness: &Harness, seconds: u64) {
    harness.stack.clock().advance(Duration::from_secs(seconds));
}

#[tokio::test]
async fn every_refresh_returns_a_new_refresh_token_of_the_same_sign_in() {
    let harness = Harness::start(rotating(10)).await;
    let tokens = harness.tokens(DEMO).await;
    let jwks = harness.jwks().await;
    let (_, signed_in) = verify_jwt(tokens["id_token"].as_str().unwrap(), &jwks).unwrap();
    let mut seen = vec![tokens["refresh_token"].as_str().unwrap().to_owned()];
    for _ in 0..3 {
        let answer = harness.refresh(seen.last().unwrap()).await;
        let next = new_refresh_token(&answer);
        assert!(
            !seen.contains(&next),
            "a refresh token is never handed out twice"
        );
        let body = answer.json();
        let (_, id) = verify_jwt(body["id_token"].as_str().unwrap(), &jwks).unwrap();
        assert_eq!(id["origin_jti"], signed_in["origin_jti"]);
        assert_eq!(body["token_type"], "Bearer");
        seen.push(next);
    }
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_rotated_refresh_token_lives_only_as_long_as_the_first_one() {
    let harness = Harness::start(|config| {
        rotating(10)(config);
        config.app_clients[0].refresh_token_validity_minutes = 60;
    })
    .await;
    let first = harness.tokens(DEMO).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    advance(&harness, 30 * 60);
    let second = new_refresh_token(&harness.refresh(&first).await);
    advance(&harness, 29 * 60 + 59);
    let third = new_refresh_token(&harness.refresh(&second).await);
    // The sign-in's hour is over: a fresh lifetime would have left the newest 59 minutes more.
    advance(&harness, 1);
    assert_invalid_grant(&harness.refresh(&third).await, UNKNOWN);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn the_old_refresh_token_works_for_the_grace_period_then_is_refused() {
    let harness = Harness::start(rotating(10)).await;
    let first = harness.tokens(DEMO).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = new_refresh_token(&harness.refresh(&first).await);

    // A retry with the old token 9 s later, as after a lost answer: new tokens again, and
    // another new refresh token; the first new one stays valid.
    advance(&harness, 9);
    let retried = new_refresh_token(&harness.refresh(&first).await);
    assert_ne!(retried, second);
    assert_ne!(retried, first);

    // 10 s after its rotation, the old token is refused, saying why; the others work.
    advance(&harness, 1);
    assert_invalid_grant(&harness.refresh(&first).await, ROTATED);
    new_refresh_token(&harness.refresh(&second).await);
    new_refresh_token(&harness.refresh(&retried).await);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn two_refreshes_with_one_token_both_win_within_the_grace_period() {
    let harness = Harness::start(rotating(10)).await;
    let first = harness.tokens(DEMO).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (one, two) = tokio::join!(harness.refresh(&first), harness.refresh(&first));
    let (one, two) = (new_refresh_token(&one), new_refresh_token(&two));
    assert_ne!(one, two);
    for token in [&one, &two] {
        new_refresh_token(&harness.refresh(token).await);
    }
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn without_a_grace_period_the_old_token_stops_at_once_and_one_racer_wins() {
    let harness = Harness::start(rotating(0)).await;
    let first = harness.tokens(DEMO).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = new_refresh_token(&harness.refresh(&first).await);
    assert_invalid_grant(&harness.refresh(&first).await, ROTATED);

    let (one, two) = tokio::join!(harness.refresh(&second), harness.refresh(&second));
    let mut statuses = [one.status, two.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let (winner, loser) = if one.status == StatusCode::OK {
        (one, two)
    } else {
        (two, one)
    };
    assert_invalid_grant(&loser, ROTATED);
    new_refresh_token(&harness.refresh(&new_refresh_token(&winner)).await);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn revoking_any_token_of_a_sign_in_ends_every_token_of_it() {
    let harness = Harness::start(rotating(10)).await;
    // Revoking the newest; revoking the old one while its grace period runs.
    for revoke_oldest in [false, true] {
        let tokens = harness.tokens(DEMO).await;
        let first = tokens["refresh_token"].as_str().unwrap().to_owned();
        let answer = harness.refresh(&first).await;
        let second = new_refresh_token(&answer);
        let access = answer.json()["access_token"].as_str().unwrap().to_owned();
        let third = new_refresh_token(&harness.refresh(&first).await);
        assert_eq!(harness.user_info(&access).await.status, StatusCode::OK);

        revoke(&harness, if revoke_oldest { &first } else { &third }).await;
        for token in [&first, &second, &third] {
            assert_invalid_grant(&harness.refresh(token).await, UNKNOWN);
        }
        // The access tokens of the sign-in too, for userInfo.
        for access in [&access, tokens["access_token"].as_str().unwrap()] {
            assert_eq!(
                harness.user_info(access).await.status,
                StatusCode::UNAUTHORIZED
            );
        }
    }
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn refresh_token_auth_is_refused_on_a_rotating_client() {
    let harness = Harness::start(rotating(10)).await;
    let refresh_token = harness.tokens(DEMO).await["refresh_token"].clone();
    for flow in ["REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"] {
        let answer = harness
            .idp(
                "InitiateAuth",
                json!({
                    "AuthFlow": flow,
                    "ClientId": CLIENT_ID,
                    "AuthParameters": {"REFRESH_TOKEN": refresh_token},
                }),
            )
            .await;
        assert_aws_error(
            &answer,
            "InvalidParameterException",
            "REFRESH_TOKEN_AUTH flow not enabled for this client",
        );
    }
    // The refresh token was not used up: the token endpoint still rotates it.
    new_refresh_token(&harness.refresh(refresh_token.as_str().unwrap()).await);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn refresh_token_auth_is_refused_on_a_rotating_client_even_if_a_config_built_in_code_allows_it()
 {
    // Config::validate refuses this client; a Config built in code is not validated.
    let listeners = Listeners::loopback_ephemeral().await.unwrap();
    let mut config = Config::embedded_default();
    config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
    rotating(10)(&mut config);
    config.app_clients[0].explicit_auth_flows = vec!["ALLOW_REFRESH_TOKEN_AUTH".into()];
    assert!(config.validate().is_err());
    let redirect_uri = config.app_clients[0].callback_urls[0].clone();
    let logout_uri = config.app_clients[0].logout_urls[0].clone();
    let harness = Harness {
        stack: devstack::spawn(config, listeners, None).await.unwrap(),
        browser: Harness::new_browser(),
        redirect_uri,
        logout_uri,
    };
    let refresh_token = harness.tokens(DEMO).await["refresh_token"].clone();
    let answer = harness
        .idp(
            "InitiateAuth",
            json!({
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "ClientId": CLIENT_ID,
                "AuthParameters": {"REFRESH_TOKEN": refresh_token},
            }),
        )
        .await;
    assert_aws_error(
        &answer,
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    );
    harness.stack.shutdown().await;
}
