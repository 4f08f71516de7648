//! The AWS CLI itself (`aws cognito-idp ...` from the project's virtualenv) against devstack,
//! step by step as the seed articles and docs/cli.md run it: a sign-in with a TOTP code and a
//! call to the API (seed 001), an administrator's user and its first sign-in (seeds 003 and
//! 004), a sign-up confirmed with the mailed code. The CLI signs with dummy credentials and
//! parses devstack's answers and errors with its own botocore.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use cognito_support::Harness;
use cognito_support::idp::{CLI_CLIENT_ID, POOL_ID, TOTP_SECRET, TOTP_USER, totp_user};
use devstack::MailKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// GET /hello with the access token: the greeting.
async fn hello(harness: &Harness, result: &Value) -> String {
    let answer = harness
        .api_get("/hello", result["AccessToken"].as_str().unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_001_a_password_then_the_authenticator_code_then_the_api() {
    let harness = Harness::start(|config| config.users.push(totp_user())).await;
    let password = format!("USERNAME={},PASSWORD={}", TOTP_USER.0, TOTP_USER.1);
    let first = harness
        .aws(&[
            "initiate-auth",
            "--auth-flow",
            "USER_PASSWORD_AUTH",
            "--client-id",
            CLI_CLIENT_ID,
            "--auth-parameters",
            &password,
        ])
        .json();
    assert_eq!(first["ChallengeName"], "SOFTWARE_TOKEN_MFA", "{first}");
    let responses = format!(
        "USERNAME={},SOFTWARE_TOKEN_MFA_CODE={}",
        TOTP_USER.0,
        harness.totp_now(TOTP_SECRET)
    );
    let second = harness
        .aws(&[
            "respond-to-auth-challenge",
            "--client-id",
            CLI_CLIENT_ID,
            "--challenge-name",
            "SOFTWARE_TOKEN_MFA",
            "--session",
            first["Session"].as_str().unwrap(),
            "--challenge-responses",
            &responses,
        ])
        .json();
    let result = &second["AuthenticationResult"];
    assert_eq!(result["TokenType"], "Bearer");
    assert_eq!(hello(&harness, result).await, "Hello, totp-user!");

    // The CLI reads devstack's errors as AWS's.
    let wrong = harness.aws(&[
        "initiate-auth",
        "--auth-flow",
        "USER_PASSWORD_AUTH",
        "--client-id",
        CLI_CLIENT_ID,
        "--auth-parameters",
        "USERNAME=totp-user,PASSWORD=Wrong-Passw0rd!",
    ]);
    assert!(!wrong.success);
    assert_eq!(
        wrong.stderr.trim(),
        "An error occurred (NotAuthorizedException) when calling the InitiateAuth operation: \
         Incorrect username or password."
    );
    harness.stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_003_004_an_invited_user_sets_a_password_at_the_first_sign_in() {
    let harness = Harness::start(|_| {}).await;
    let created = harness
        .aws(&[
            "admin-create-user",
            "--user-pool-id",
            POOL_ID,
            "--username",
            "invitee",
            "--user-attributes",
            "Name=email,Value=invitee@example.com",
            "Name=email_verified,Value=true",
        ])
        .json();
    assert_eq!(created["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");
    assert_eq!(created["User"]["Enabled"], true);
    let temporary = harness.last_mail("invitee", MailKind::Invitation).code;
    // JSON, not shorthand: a generated password may hold `=` or `,`.
    let parameters = json!({"USERNAME": "invitee", "PASSWORD": temporary}).to_string();
    let challenge = harness
        .aws(&[
            "admin-initiate-auth",
            "--user-pool-id",
            POOL_ID,
            "--client-id",
            CLI_CLIENT_ID,
            "--auth-flow",
            "ADMIN_USER_PASSWORD_AUTH",
            "--auth-parameters",
            &parameters,
        ])
        .json();
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let done = harness
        .aws(&[
            "admin-respond-to-auth-challenge",
            "--user-pool-id",
            POOL_ID,
            "--client-id",
            CLI_CLIENT_ID,
            "--challenge-name",
            "NEW_PASSWORD_REQUIRED",
            "--session",
            challenge["Session"].as_str().unwrap(),
            "--challenge-responses",
            "NEW_PASSWORD=Invitee-Passw0rd!,USERNAME=invitee",
        ])
        .json();
    let result = &done["AuthenticationResult"];
    assert!(result["RefreshToken"].is_string(), "{done}");
    assert_eq!(hello(&harness, result).await, "Hello, invitee!");
    harness.stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_confirmed_with_the_mailed_code_then_a_sign_in() {
    let harness = Harness::start(|_| {}).await;
    let signed_up = harness
        .aws(&[
            "sign-up",
            "--client-id",
            CLI_CLIENT_ID,
            "--username",
            "newcomer",
            "--password",
            "Newcomer-Passw0rd!",
            "--user-attributes",
            "Name=email,Value=newcomer@example.com",
        ])
        .json();
    assert_eq!(signed_up["UserConfirmed"], false);
    assert_eq!(
        signed_up["CodeDeliveryDetails"]["Destination"],
        "n***@e***.com"
    );
    let code = harness.last_mail("newcomer", MailKind::SignUpCode).code;
    let confirmed = harness.aws(&[
        "confirm-sign-up",
        "--client-id",
        CLI_CLIENT_ID,
        "--username",
        "newcomer",
        "--confirmation-code",
        &code,
    ]);
    assert!(confirmed.success, "{}", confirmed.stderr);
    let tokens = harness
        .aws(&[
            "initiate-auth",
            "--auth-flow",
            "USER_PASSWORD_AUTH",
            "--client-id",
            CLI_CLIENT_ID,
            "--auth-parameters",
            "USERNAME=newcomer,PASSWORD=Newcomer-Passw0rd!",
        ])
        .json();
    let result = &tokens["AuthenticationResult"];
    assert_eq!(hello(&harness, result).await, "Hello, newcomer!");
    let user = harness
        .aws(&[
            "get-user",
            "--access-token",
            result["AccessToken"].as_str().unwrap(),
        ])
        .json();
    assert_eq!(user["Username"], "newcomer");
    harness.stack.shutdown().await;
}
