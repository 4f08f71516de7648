//! TOTP multi-factor authentication through the JSON API: SOFTWARE_TOKEN_MFA with codes
//! computed from the secret at the stack's clock, MFA_SETUP by session in a pool that requires
//! MFA, AssociateSoftwareToken / VerifySoftwareToken with an access token, and
//! SetUserMFAPreference.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::time::Duration;

use cognito_support::idp::{TOTP_SECRET, TOTP_USER, assert_aws_error, ok, totp_code, totp_user};
use cognito_support::{DEMO, Harness};
use devstack::config::MfaConfiguration;
use reqwest::StatusCode;
use serde_json::{Value, json};

const INVALID_SESSION: &str = "Invalid session for the user, session is expired.";

fn mfa_answer(username: &str, code: &str) -> Value {
    json!({"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code})
}

/// Moves the clock to the next 30-second step, so the authenticator shows a new code.
fn next_step(harness: &Harness) {
    harness.stack.clock().advance(Duration::from_secs(30));
}

#[tokio::test]
async fn software_token_mfa_takes_the_authenticators_current_code_once() {
    let harness = Harness::start(|config| config.users.push(totp_user())).await;
    let challenge = harness.cli_challenge(TOTP_USER, "SOFTWARE_TOKEN_MFA").await;
    assert_eq!(
        challenge["ChallengeParameters"],
        json!({"USER_ID_FOR_SRP": "totp-user"})
    );
    let session = &challenge["Session"];

    let right = harness.totp_now(TOTP_SECRET);
    let wrong = harness.wrong_totp_now(TOTP_SECRET);
    assert_aws_error(
        &harness
            .respond(
                "SOFTWARE_TOKEN_MFA",
                session,
                mfa_answer("totp-user", &wrong),
            )
            .await,
        "CodeMismatchException",
        "Invalid code received for user",
    );
    // A wrong code keeps the session for another try.
    let done = ok(&harness
        .respond(
            "SOFTWARE_TOKEN_MFA",
            session,
            mfa_answer("totp-user", &right),
        )
        .await);
    assert_eq!(done["ChallengeParameters"], json!({}));
    let access = done["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap();
    let hello = harness.api_get("/hello", access).await;
    assert_eq!(hello.status, StatusCode::OK, "{}", hello.body);
    assert_eq!(hello.json()["message"], "Hello, totp-user!");

    // The same code in the next sign-in is refused; the next step's code works.
    let again = harness.cli_challenge(TOTP_USER, "SOFTWARE_TOKEN_MFA").await;
    assert_aws_error(
        &harness
            .respond(
                "SOFTWARE_TOKEN_MFA",
                &again["Session"],
                mfa_answer("totp-user", &right),
            )
            .await,
        "ExpiredCodeException",
        "Your software token has already been used once.",
    );
    next_step(&harness);
    let code = harness.totp_now(TOTP_SECRET);
    ok(&harness
        .respond(
            "SOFTWARE_TOKEN_MFA",
            &again["Session"],
            mfa_answer("totp-user", &code),
        )
        .await);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn mfa_sessions_are_the_users_and_end_after_three_minutes_or_five_wrong_codes() {
    let harness = Harness::start(|config| config.users.push(totp_user())).await;
    let challenge = harness.cli_challenge(TOTP_USER, "SOFTWARE_TOKEN_MFA").await;
    let session = &challenge["Session"];
    let code = harness.totp_now(TOTP_SECRET);
    for (session, username) in [
        (&json!("an-unknown-session-string"), "totp-user"),
        // A challenge answered for another user.
        (session, DEMO.0),
    ] {
        assert_aws_error(
            &harness
                .respond("SOFTWARE_TOKEN_MFA", session, mfa_answer(username, &code))
                .await,
            "NotAuthorizedException",
            INVALID_SESSION,
        );
    }
    // Five wrong codes end the session: the right one comes too late.
    let wrong = harness.wrong_totp_now(TOTP_SECRET);
    for _ in 0..5 {
        assert_aws_error(
            &harness
                .respond(
                    "SOFTWARE_TOKEN_MFA",
                    session,
                    mfa_answer("totp-user", &wrong),
                )
                .await,
            "CodeMismatchException",
            "Invalid code received for user",
        );
    }
    assert_aws_error(
        &harness
            .respond(
                "SOFTWARE_TOKEN_MFA",
                session,
                mfa_answer("totp-user", &code),
            )
            .await,
        "NotAuthorizedException",
        INVALID_SESSION,
    );
    // A session left three minutes has expired.
    let challenge = harness.cli_challenge(TOTP_USER, "SOFTWARE_TOKEN_MFA").await;
    harness.stack.clock().advance(Duration::from_secs(180));
    let code = harness.totp_now(TOTP_SECRET);
    assert_aws_error(
        &harness
            .respond(
                "SOFTWARE_TOKEN_MFA",
                &challenge["Session"],
                mfa_answer("totp-user", &code),
            )
            .await,
        "NotAuthorizedException",
        INVALID_SESSION,
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_pool_that_requires_mfa_has_users_set_up_an_authenticator_by_session() {
    let harness = Harness::start(|config| config.user_pool.mfa = MfaConfiguration::On).await;
    let challenge = harness.cli_challenge(DEMO, "MFA_SETUP").await;
    assert_eq!(
        challenge["ChallengeParameters"],
        json!({"MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]", "USER_ID_FOR_SRP": "demo"})
    );
    let session = &challenge["Session"];
    assert_aws_error(
        &harness
            .respond("MFA_SETUP", session, json!({"USERNAME": "demo"}))
            .await,
        "InvalidParameterException",
        "Verify the authenticator's first code (VerifySoftwareToken) with this session first.",
    );

    let associated = ok(&harness
        .idp("AssociateSoftwareToken", json!({"Session": session}))
        .await);
    let mut keys: Vec<&String> = associated.as_object().unwrap().keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["SecretCode", "Session"]);
    assert_eq!(associated["Session"], *session);
    let secret = associated["SecretCode"].as_str().unwrap();
    assert_eq!(secret.len(), 52, "{secret}");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );

    let verify = |code: &str| json!({"Session": associated["Session"], "UserCode": code, "FriendlyDeviceName": "phone"});
    let code = harness.totp_now(secret);
    let wrong = harness.wrong_totp_now(secret);
    assert_aws_error(
        &harness.idp("VerifySoftwareToken", verify(&wrong)).await,
        "EnableSoftwareTokenMFAException",
        "Code mismatch and fail enable Software Token MFA",
    );
    assert_aws_error(
        &harness.idp("VerifySoftwareToken", verify("12345")).await,
        "InvalidParameterException",
        "1 validation error detected: Value at 'userCode' failed to satisfy constraint: Member \
         must have length 6 and contain digits only",
    );
    let verified = ok(&harness.idp("VerifySoftwareToken", verify(&code)).await);
    assert_eq!(verified["Status"], "SUCCESS");
    let setup_session = &verified["Session"];
    assert_ne!(setup_session, session);
    let done = ok(&harness
        .respond("MFA_SETUP", setup_session, json!({"USERNAME": "demo"}))
        .await);
    assert!(
        done["AuthenticationResult"]["AccessToken"].is_string(),
        "{done}"
    );
    let access = done["AuthenticationResult"]["AccessToken"].clone();

    // From now on the new authenticator's code is asked, under its device name.
    let next = harness.cli_challenge(DEMO, "SOFTWARE_TOKEN_MFA").await;
    assert_eq!(
        next["ChallengeParameters"],
        json!({"USER_ID_FOR_SRP": "demo", "FRIENDLY_DEVICE_NAME": "phone"})
    );
    // The pool requires MFA: the authenticator cannot be turned off.
    assert_aws_error(
        &harness
            .with_token(
                "SetUserMFAPreference",
                &access,
                json!({"SoftwareTokenMfaSettings": {"Enabled": false}}),
            )
            .await,
        "InvalidParameterException",
        "The user pool requires MFA: the authenticator cannot be turned off.",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_signed_in_user_adds_an_authenticator_and_chooses_whether_sign_in_asks_for_it() {
    let harness = Harness::start(|_| {}).await;
    let access = harness.cli_tokens(DEMO).await["AccessToken"].clone();
    let associated = ok(&harness
        .with_token("AssociateSoftwareToken", &access, json!({}))
        .await);
    assert_eq!(associated.as_object().unwrap().len(), 1, "{associated}");
    let secret = associated["SecretCode"].as_str().unwrap().to_owned();
    let code = totp_code(&secret, harness.stack.clock().now_secs());
    let verified = ok(&harness
        .with_token("VerifySoftwareToken", &access, json!({"UserCode": code}))
        .await);
    assert_eq!(verified, json!({"Status": "SUCCESS"}));

    // Verified means enabled for sign-in; preferred only once the user says so.
    let user = ok(&harness.with_token("GetUser", &access, json!({})).await);
    assert_eq!(user["UserMFASettingList"], json!(["SOFTWARE_TOKEN_MFA"]));
    assert!(user.get("PreferredMfaSetting").is_none(), "{user}");
    let prefer = json!({"SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true}});
    assert_eq!(
        ok(&harness
            .with_token("SetUserMFAPreference", &access, prefer)
            .await),
        json!({})
    );
    let user = ok(&harness.with_token("GetUser", &access, json!({})).await);
    assert_eq!(user["PreferredMfaSetting"], "SOFTWARE_TOKEN_MFA");
    harness.cli_challenge(DEMO, "SOFTWARE_TOKEN_MFA").await;

    let turn_off = json!({"SoftwareTokenMfaSettings": {"Enabled": false, "PreferredMfa": false}});
    ok(&harness
        .with_token("SetUserMFAPreference", &access, turn_off)
        .await);
    let user = ok(&harness.with_token("GetUser", &access, json!({})).await);
    assert!(user.get("UserMFASettingList").is_none(), "{user}");
    harness.cli_tokens(DEMO).await;

    let cases = [
        (
            "SetUserMFAPreference",
            json!({"AccessToken": access, "SMSMfaSettings": {"Enabled": true}}),
            "InvalidParameterException",
            "devstack has no SMS or e-mail MFA: SMSMfaSettings cannot be enabled",
        ),
        (
            "SetUserMFAPreference",
            json!({"AccessToken": access, "SoftwareTokenMfaSettings": {"Enabled": "yes"}}),
            "SerializationException",
            "Member Enabled must be a boolean",
        ),
        (
            "AssociateSoftwareToken",
            json!({"AccessToken": access, "Session": "a-session"}),
            "InvalidParameterException",
            "Send either AccessToken or Session, not both",
        ),
        (
            "VerifySoftwareToken",
            json!({"UserCode": "123456"}),
            "InvalidParameterException",
            "Missing required parameter AccessToken or Session",
        ),
        (
            "AssociateSoftwareToken",
            json!({"Session": "an-unknown-session-string"}),
            "NotAuthorizedException",
            INVALID_SESSION,
        ),
    ];
    for (operation, body, kind, message) in cases {
        assert_aws_error(&harness.idp(operation, body).await, kind, message);
    }
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_pool_without_mfa_has_no_authenticators() {
    let harness = Harness::start(|config| config.user_pool.mfa = MfaConfiguration::Off).await;
    let access = harness.cli_tokens(DEMO).await["AccessToken"].clone();
    assert_aws_error(
        &harness
            .with_token("AssociateSoftwareToken", &access, json!({}))
            .await,
        "SoftwareTokenMFANotFoundException",
        "Software Token MFA has not been enabled by the userPool",
    );
    harness.stack.shutdown().await;
}
