//! Accounts through the JSON API, no token needed: SignUp, ConfirmSignUp,
//! ResendConfirmationCode, ForgotPassword, ConfirmForgotPassword, with the codes read from
//! devstack's mailbox, and every refusal (codes wrong, reused or expired; the password policy).
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::time::Duration;

use cognito_support::idp::{CLI_CLIENT_ID, assert_aws_error, ok};
use cognito_support::{DEMO, Harness};
use devstack::MailKind;
use serde_json::{Value, json};

const NEW_USER: (&str, &str) = ("nora", "Nora-Passw0rd!!");
const WRONG_CODE: &str = "Invalid verification code provided, please try again.";
const EXPIRED_CODE: &str = "Invalid code provided, please request a code again.";

fn sign_up_body(username: &str, password: &str, attributes: Value) -> Value {
    json!({
        "ClientId": CLI_CLIENT_ID,
        "Username": username,
        "Password": password,
        "UserAttributes": attributes,
    })
}

fn email(address: &str) -> Value {
    json!([{"Name": "email", "Value": address}])
}

async fn sign_up(harness: &Harness) -> Value {
    ok(&harness
        .idp(
            "SignUp",
            sign_up_body(NEW_USER.0, NEW_USER.1, email("nora@example.com")),
        )
        .await)
}

fn with_code(username: &str, code: &str) -> Value {
    json!({"ClientId": CLI_CLIENT_ID, "Username": username, "ConfirmationCode": code})
}

/// A six-digit code that is not `code`.
fn other_than(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

#[tokio::test]
async fn sign_up_then_confirm_with_the_mailed_code_then_sign_in() {
    let harness = Harness::start(|_| {}).await;
    let answer = sign_up(&harness).await;
    let sub = answer["UserSub"].as_str().unwrap();
    assert!(uuid_like(sub), "{sub}");
    assert_eq!(
        answer,
        json!({
            "UserConfirmed": false,
            "UserSub": sub,
            "CodeDeliveryDetails": {
                "Destination": "n***@e***.com",
                "DeliveryMedium": "EMAIL",
                "AttributeName": "email",
            },
        })
    );
    let mail = harness.last_mail("nora", MailKind::SignUpCode);
    assert_eq!(mail.to, "nora@example.com");
    assert_eq!(
        mail.body,
        format!("Your confirmation code is {}", mail.code)
    );

    assert_aws_error(
        &harness.initiate_password_auth(NEW_USER).await,
        "UserNotConfirmedException",
        "User is not confirmed.",
    );
    assert_aws_error(
        &harness
            .idp("ConfirmSignUp", with_code("nora", other_than(&mail.code)))
            .await,
        "CodeMismatchException",
        WRONG_CODE,
    );
    let confirmed = harness
        .idp("ConfirmSignUp", with_code("nora", &mail.code))
        .await;
    assert_eq!(ok(&confirmed), json!({}));
    assert_aws_error(
        &harness
            .idp("ConfirmSignUp", with_code("nora", &mail.code))
            .await,
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    );
    let tokens = harness.cli_tokens(NEW_USER).await;
    let user = ok(&harness
        .with_token("GetUser", &tokens["AccessToken"], json!({}))
        .await);
    assert_eq!(
        user["UserAttributes"],
        json!([
            {"Name": "sub", "Value": sub},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "email", "Value": "nora@example.com"},
        ])
    );
    harness.stack.shutdown().await;
}

fn uuid_like(text: &str) -> bool {
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && text.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
}

#[tokio::test]
async fn sign_up_refusals() {
    let harness = Harness::start(|_| {}).await;
    let policy = "Password did not conform with policy: ";
    let cases = [
        (
            sign_up_body("demo", "Another-Passw0rd!", email("x@example.com")),
            "UsernameExistsException",
            "User already exists".to_owned(),
        ),
        (
            sign_up_body("nora", NEW_USER.1, json!([])),
            "InvalidParameterException",
            "Attributes did not conform to the schema: email: The attribute is required".to_owned(),
        ),
        (
            sign_up_body("nora", NEW_USER.1, email("not-an-address")),
            "InvalidParameterException",
            "Invalid email address format.".to_owned(),
        ),
        (
            sign_up_body("nora@example.com", NEW_USER.1, email("nora@example.com")),
            "InvalidParameterException",
            "Username cannot be of email format, since user pool is configured for email alias."
                .to_owned(),
        ),
        (
            sign_up_body(
                "nora",
                NEW_USER.1,
                json!([{"Name": "email", "Value": "nora@example.com"}, {"Name": "nickname", "Value": "N"}]),
            ),
            "InvalidParameterException",
            "Attributes did not conform to the schema: nickname: Attribute does not exist in the schema."
                .to_owned(),
        ),
        (
            sign_up_body(
                "nora",
                NEW_USER.1,
                json!([{"Name": "email", "Value": "nora@example.com"}, {"Name": "email_verified", "Value": "true"}]),
            ),
            "NotAuthorizedException",
            "A client attempted to write unauthorized attribute".to_owned(),
        ),
        (
            json!({"ClientId": "unknown-client", "Username": "nora", "Password": NEW_USER.1}),
            "ResourceNotFoundException",
            "User pool client unknown-client does not exist.".to_owned(),
        ),
        (
            json!({"ClientId": CLI_CLIENT_ID, "Username": "nora"}),
            "InvalidParameterException",
            "1 validation error detected: Value null at 'password' failed to satisfy constraint: \
             Member must not be null"
                .to_owned(),
        ),
        // The policy: 12 characters, upper and lower case, a digit, a symbol; the message
        // names the first rule broken.
        (
            sign_up_body("nora", "Sh0rt-Pass!", email("nora@example.com")),
            "InvalidPasswordException",
            format!("{policy}Password not long enough"),
        ),
        (
            sign_up_body("nora", "all-lower-passw0rd!", email("nora@example.com")),
            "InvalidPasswordException",
            format!("{policy}Password must have uppercase characters"),
        ),
        (
            sign_up_body("nora", "ALL-UPPER-PASSW0RD!", email("nora@example.com")),
            "InvalidPasswordException",
            format!("{policy}Password must have lowercase characters"),
        ),
        (
            sign_up_body("nora", "No-Digits-Password!", email("nora@example.com")),
            "InvalidPasswordException",
            format!("{policy}Password must have numeric characters"),
        ),
        (
            sign_up_body("nora", "NoSymbolsPassw0rd", email("nora@example.com")),
            "InvalidPasswordException",
            format!("{policy}Password must have symbol characters"),
        ),
    ];
    for (body, kind, message) in cases {
        assert_aws_error(&harness.idp("SignUp", body).await, kind, &message);
    }
    assert!(
        harness.stack.mailbox().is_empty(),
        "no refused sign-up sent a code"
    );
    harness.stack.shutdown().await;

    let closed = Harness::start(|config| config.user_pool.allow_self_sign_up = false).await;
    assert_aws_error(
        &closed
            .idp(
                "SignUp",
                sign_up_body(NEW_USER.0, NEW_USER.1, email("nora@example.com")),
            )
            .await,
        "NotAuthorizedException",
        "SignUp is not permitted for this user pool",
    );
    closed.stack.shutdown().await;
}

#[tokio::test]
async fn a_confirmation_code_expires_after_a_day_and_a_new_one_can_be_sent() {
    let harness = Harness::start(|_| {}).await;
    sign_up(&harness).await;
    let first = harness.last_mail("nora", MailKind::SignUpCode);
    harness
        .stack
        .clock()
        .advance(Duration::from_secs(24 * 3600));
    assert_aws_error(
        &harness
            .idp("ConfirmSignUp", with_code("nora", &first.code))
            .await,
        "ExpiredCodeException",
        EXPIRED_CODE,
    );
    let resend = json!({"ClientId": CLI_CLIENT_ID, "Username": "nora"});
    let answer = ok(&harness.idp("ResendConfirmationCode", resend.clone()).await);
    assert_eq!(
        answer,
        json!({"CodeDeliveryDetails": {
            "Destination": "n***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email",
        }})
    );
    let second = harness.last_mail("nora", MailKind::SignUpCode);
    assert_ne!(second.id, first.id);
    // Five wrong codes void the code; a new one is needed.
    let wrong = other_than(&second.code);
    for _ in 0..4 {
        assert_aws_error(
            &harness.idp("ConfirmSignUp", with_code("nora", wrong)).await,
            "CodeMismatchException",
            WRONG_CODE,
        );
    }
    assert_aws_error(
        &harness.idp("ConfirmSignUp", with_code("nora", wrong)).await,
        "TooManyFailedAttemptsException",
        "Too many failed attempts: request a new code.",
    );
    assert_aws_error(
        &harness
            .idp("ConfirmSignUp", with_code("nora", &second.code))
            .await,
        "ExpiredCodeException",
        EXPIRED_CODE,
    );
    ok(&harness.idp("ResendConfirmationCode", resend.clone()).await);
    let third = harness.last_mail("nora", MailKind::SignUpCode);
    ok(&harness
        .idp("ConfirmSignUp", with_code("nora", &third.code))
        .await);

    assert_aws_error(
        &harness.idp("ResendConfirmationCode", resend).await,
        "InvalidParameterException",
        "User is already confirmed.",
    );
    // An unknown user is not told apart (PreventUserExistenceErrors): a delivery that looks
    // real, and nothing sent; confirming for one is a wrong code.
    let mails = harness.stack.mailbox().len();
    let unknown = json!({"ClientId": CLI_CLIENT_ID, "Username": "nobody"});
    let answer = ok(&harness.idp("ResendConfirmationCode", unknown).await);
    assert_eq!(
        answer["CodeDeliveryDetails"]["DeliveryMedium"],
        json!("EMAIL"),
        "{answer}"
    );
    assert_eq!(harness.stack.mailbox().len(), mails);
    assert_aws_error(
        &harness
            .idp("ConfirmSignUp", with_code("nobody", "123456"))
            .await,
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    );
    harness.stack.shutdown().await;
}

fn reset(username: &str, code: &str, password: &str) -> Value {
    json!({
        "ClientId": CLI_CLIENT_ID,
        "Username": username,
        "ConfirmationCode": code,
        "Password": password,
    })
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_the_mailed_code_once() {
    let harness = Harness::start(|_| {}).await;
    let forgot = json!({"ClientId": CLI_CLIENT_ID, "Username": "demo"});
    let answer = ok(&harness.idp("ForgotPassword", forgot.clone()).await);
    assert_eq!(
        answer["CodeDeliveryDetails"]["Destination"],
        "d***@e***.com"
    );
    let mail = harness.last_mail("demo", MailKind::PasswordResetCode);
    assert_eq!(
        mail.body,
        format!("Your password reset code is {}", mail.code)
    );

    let new_password = "Reset-Passw0rd!!";
    let cases = [
        (
            reset("demo", other_than(&mail.code), new_password),
            "CodeMismatchException",
            WRONG_CODE,
        ),
        (
            reset("demo", &mail.code, "weak"),
            "InvalidPasswordException",
            "Password did not conform with policy: Password not long enough",
        ),
        // An unknown user is answered as a wrong code, telling nothing.
        (
            reset("nobody", &mail.code, new_password),
            "CodeMismatchException",
            WRONG_CODE,
        ),
    ];
    for (body, kind, message) in cases {
        assert_aws_error(
            &harness.idp("ConfirmForgotPassword", body).await,
            kind,
            message,
        );
    }
    // The old password works until the reset is confirmed.
    harness.cli_tokens(DEMO).await;
    let done = harness
        .idp(
            "ConfirmForgotPassword",
            reset("demo", &mail.code, new_password),
        )
        .await;
    assert_eq!(ok(&done), json!({}));
    assert_aws_error(
        &harness.initiate_password_auth(DEMO).await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    harness.cli_tokens(("demo", new_password)).await;
    // The code was used up.
    assert_aws_error(
        &harness
            .idp(
                "ConfirmForgotPassword",
                reset("demo", &mail.code, "Again-Passw0rd!!"),
            )
            .await,
        "ExpiredCodeException",
        EXPIRED_CODE,
    );
    // A reset code lives an hour.
    ok(&harness.idp("ForgotPassword", forgot).await);
    let late = harness.last_mail("demo", MailKind::PasswordResetCode);
    harness.stack.clock().advance(Duration::from_secs(3600));
    assert_aws_error(
        &harness
            .idp(
                "ConfirmForgotPassword",
                reset("demo", &late.code, "Again-Passw0rd!!"),
            )
            .await,
        "ExpiredCodeException",
        EXPIRED_CODE,
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn forgot_password_tells_nothing_about_unknown_users() {
    let harness = Harness::start(|config| {
        config.users.push(cognito_support::idp::user_config(json!({
            "username": "invited",
            "email": "invited@example.com",
            "password": "Invited-Passw0rd!",
            "password_is_temporary": true,
        })));
    })
    .await;
    let forgot = |username: &str| json!({"ClientId": CLI_CLIENT_ID, "Username": username});
    let unknown = ok(&harness.idp("ForgotPassword", forgot("nobody")).await);
    assert_eq!(
        unknown["CodeDeliveryDetails"],
        json!({"Destination": "u***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    );
    assert!(harness.stack.mailbox().is_empty());
    assert_aws_error(
        &harness.idp("ForgotPassword", forgot("invited")).await,
        "NotAuthorizedException",
        "User password cannot be reset in the current state.",
    );
    harness.stack.shutdown().await;
}
