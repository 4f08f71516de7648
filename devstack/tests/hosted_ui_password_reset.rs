//! A forgotten password on the hosted UI: the code by e-mail, the new password, the login form
//! again; the refusals on the way, and the same vague pages for accounts that do not exist.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use cognito_support::hosted_ui::{
    Browser, RULES, assert_nothing_leaked, error, intro, listed_rules, notice, start, title,
    with_users, without_csrf,
};
use cognito_support::{Answer, DEMO};
use reqwest::StatusCode;
use serde_json::json;

const NEW_PASSWORD: &str = "Renewed-Passw0rd!";
const FORGOT_EXPIRED: &str = "This form has expired. Please try again.";

/// Follows the login page's "Forgot your password?" link and asks for a code for `username`.
async fn request_code(ui: &Browser<'_>, username: &str) -> Answer {
    let login = ui.login_page().await;
    assert!(
        login.body.contains("Forgot your password?</a>"),
        "{}",
        login.body
    );
    let page = ui.open("/forgotPassword").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(title(&page), "Forgot your password?");
    ui.submit(&page, &[("username", username)]).await
}

fn assert_reset_page(page: &Answer, intro_text: &str) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(title(page), "Reset your password");
    assert_eq!(intro(page), intro_text);
    assert_eq!(listed_rules(page), RULES);
}

fn reset_fields<'a>(
    username: &'a str,
    code: &'a str,
    password: &'a str,
    again: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("username", username),
        ("code", code),
        ("password", password),
        ("password_confirmation", again),
    ]
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_the_mailed_code() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let page = request_code(&ui, "demo").await;
    assert_reset_page(
        &page,
        "We sent a code to d***@e***.com. Enter it below with a new password.",
    );
    assert!(page.body.contains("value=\"demo\""), "{}", page.body);
    let mail = harness.stack.mailbox().remove(0);
    assert_eq!(
        (mail.to.as_str(), mail.subject.as_str()),
        ("demo@example.com", "Your verification code")
    );
    assert_eq!(
        mail.body,
        format!("Your password reset code is {}", mail.code)
    );
    let code = mail.code;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let later = "Enter the code from the e-mail we sent you, and a new password.";
    let refusals = [
        (
            wrong,
            NEW_PASSWORD,
            NEW_PASSWORD,
            "Invalid verification code provided, please try again.",
        ),
        (
            code.as_str(),
            NEW_PASSWORD,
            "Renewed-Passw0rd?",
            "The two passwords are not the same.",
        ),
        (
            code.as_str(),
            "renewed",
            "renewed",
            "The password needs at least 12 characters, an uppercase letter, a number and a symbol such as ! @ # $ % ^ & *.",
        ),
    ];
    let mut page = page;
    for (code, password, again, message) in refusals {
        page = ui
            .submit(&page, &reset_fields("demo", code, password, again))
            .await;
        assert_reset_page(&page, later);
        assert_eq!(error(&page).as_deref(), Some(message));
    }

    let done = ui
        .submit(
            &page,
            &reset_fields("demo", &code, NEW_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(title(&done), "Sign in");
    assert_eq!(
        notice(&done).as_deref(),
        Some("Your password has been reset. Sign in with the new one.")
    );
    assert!(done.body.contains("value=\"demo\""), "{}", done.body);

    // The code is used up.
    let reused = ui
        .submit(
            &page,
            &reset_fields("demo", &code, "Another-Passw0rd!", "Another-Passw0rd!"),
        )
        .await;
    assert_reset_page(&reused, later);
    assert_eq!(
        error(&reused).as_deref(),
        Some("Invalid code provided, please request a code again.")
    );

    let old = Browser::new(&harness).sign_in(DEMO.0, DEMO.1).await;
    assert_eq!(
        error(&old).as_deref(),
        Some("Incorrect username or password.")
    );
    let answer = ui
        .submit(&done, &[("username", "demo"), ("password", NEW_PASSWORD)])
        .await;
    ui.signed_in_as(&answer, "demo").await;
    assert_nothing_leaked(&[&code, NEW_PASSWORD, DEMO.1]);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn the_email_address_names_the_account_too() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let page = request_code(&ui, "Admin@Example.com").await;
    assert_reset_page(
        &page,
        "We sent a code to a***@e***.com. Enter it below with a new password.",
    );
    let code = harness.latest_code("admin@example.com");
    let done = ui
        .submit(
            &page,
            &reset_fields("Admin@Example.com", &code, NEW_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(
        notice(&done).as_deref(),
        Some("Your password has been reset. Sign in with the new one.")
    );
    let answer = ui
        .submit(&done, &[("username", "admin"), ("password", NEW_PASSWORD)])
        .await;
    ui.signed_in_as(&answer, "admin").await;
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn an_account_that_does_not_exist_gets_the_same_pages() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    for (who, destination) in [
        ("nobody", "u***@e***.com"),
        ("ghost@example.org", "g***@e***.org"),
    ] {
        let page = request_code(&ui, who).await;
        assert_reset_page(
            &page,
            &format!("We sent a code to {destination}. Enter it below with a new password."),
        );
        let refused = ui
            .submit(
                &page,
                &reset_fields(who, "123456", NEW_PASSWORD, NEW_PASSWORD),
            )
            .await;
        assert_eq!(
            error(&refused).as_deref(),
            Some("Invalid verification code provided, please try again.")
        );
    }
    assert!(harness.stack.mailbox().is_empty(), "mail for nobody");
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn requests_the_account_cannot_take_are_explained() {
    let harness = start(|config| {
        with_users(
            config,
            vec![json!({
                "username": "newcomer", "email": "newcomer@example.com",
                "password": "Temp-Passw0rd!", "password_is_temporary": true,
            })],
        );
    })
    .await;
    let ui = Browser::new(&harness);
    let page = request_code(&ui, "newcomer").await;
    assert_eq!(title(&page), "Forgot your password?");
    assert_eq!(
        error(&page).as_deref(),
        Some("User password cannot be reset in the current state.")
    );
    let page = request_code(&ui, "  ").await;
    assert_eq!(title(&page), "Forgot your password?");
    assert_eq!(
        error(&page).as_deref(),
        Some("Enter your username or e-mail address.")
    );

    // A code requested earlier can be entered from the page's own address.
    let page = ui.open("/confirmForgotPassword").await;
    assert_reset_page(
        &page,
        "Enter the code from the e-mail we sent you, and a new password.",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn both_forms_refuse_a_missing_or_wrong_csrf_token() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let forgot = ui.open("/forgotPassword").await;
    let reset = ui.open("/confirmForgotPassword").await;
    let cases: [(&Answer, Vec<(&str, &str)>); 2] = [
        (&forgot, vec![("username", "demo")]),
        (
            &reset,
            reset_fields("demo", "123456", NEW_PASSWORD, NEW_PASSWORD).to_vec(),
        ),
    ];
    for (page, fields) in cases {
        let action = page.form_action();
        let mut bare: Vec<(String, String)> = without_csrf(page);
        bare.extend(
            fields
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        let bare: Vec<(&str, &str)> = bare.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let mut wrong = bare.clone();
        wrong.push(("_csrf", "not-the-cookie"));
        for form in [bare, wrong] {
            let forged = ui.post(&action, &form).await;
            assert_eq!(
                forged.status,
                StatusCode::FORBIDDEN,
                "{action}: {}",
                forged.body
            );
            assert_eq!(title(&forged), "Forgot your password?");
            assert_eq!(error(&forged).as_deref(), Some(FORGOT_EXPIRED));
        }
    }
    assert!(
        harness.stack.mailbox().is_empty(),
        "a forged request sent a code"
    );
    harness.stack.shutdown().await;
}
