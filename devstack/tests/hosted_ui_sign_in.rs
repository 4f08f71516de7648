//! Signing in on the hosted UI when the account asks for more than a password: a temporary
//! password to replace, an authenticator's code, an authenticator to set up; and sign-in by
//! e-mail address. Over real HTTP, every page and refusal asserted.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use cognito_support::hosted_ui::{
    Browser, FORM_EXPIRED, RULES, TOOK_TOO_LONG, assert_nothing_leaked, error, hidden, intro,
    listed_rules, start, title, with_users, without_csrf, wrong_totp,
};
use cognito_support::{Answer, DEMO};
use devstack::config::MfaConfiguration;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const TEMPORARY: &str = "Temp-Passw0rd!";
const CHOSEN: &str = "Chosen-Passw0rd!";
/// RFC 6238's SHA-1 test secret, "12345678901234567890", in base32.
const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn newcomer(config: &mut devstack::Config) {
    with_users(
        config,
        vec![json!({
            "username": "newcomer", "email": "newcomer@example.com",
            "password": TEMPORARY, "password_is_temporary": true,
        })],
    );
}

fn totp_user(config: &mut devstack::Config) {
    with_users(
        config,
        vec![json!({
            "username": "mfa-user", "email": "mfa@example.com",
            "password": DEMO.1, "totp_secret": SECRET,
        })],
    );
}

fn assert_page(page: &Answer, expected_title: &str) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(title(page), expected_title, "{}", page.body);
}

#[tokio::test]
async fn a_temporary_password_is_replaced_at_the_first_sign_in() {
    let harness = start(newcomer).await;
    let ui = Browser::new(&harness);
    let page = ui.sign_in("newcomer", TEMPORARY).await;
    assert_page(&page, "Change your password");
    assert_eq!(
        intro(&page),
        "Your password was temporary. Choose a new one to go on."
    );
    assert_eq!(listed_rules(&page), RULES);
    let session = hidden(&page, "session");

    let refusals = [
        (
            CHOSEN,
            "Chosen-Passw0rd?",
            "The two passwords are not the same.",
        ),
        (
            "chosen",
            "chosen",
            "The password needs at least 12 characters, an uppercase letter, a number and a symbol such as ! @ # $ % ^ & *.",
        ),
        (
            " Chosen-Passw0rd!",
            " Chosen-Passw0rd!",
            "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256 and must not begin or end with white space",
        ),
    ];
    let mut page = page;
    for (password, again, message) in refusals {
        page = ui
            .submit(
                &page,
                &[("password", password), ("password_confirmation", again)],
            )
            .await;
        assert_page(&page, "Change your password");
        assert_eq!(error(&page).as_deref(), Some(message));
        assert_eq!(hidden(&page, "session"), session, "the session is kept");
    }
    let answer = ui
        .submit(
            &page,
            &[("password", CHOSEN), ("password_confirmation", CHOSEN)],
        )
        .await;
    ui.signed_in_as(&answer, "newcomer").await;

    // Another browser: the temporary password is gone, the new one signs straight in.
    let later = Browser::new(&harness);
    let old = later.sign_in("newcomer", TEMPORARY).await;
    assert_eq!(
        error(&old).as_deref(),
        Some("Incorrect username or password.")
    );
    let answer = later.sign_in("newcomer", CHOSEN).await;
    later.signed_in_as(&answer, "newcomer").await;
    assert_nothing_leaked(&[TEMPORARY, CHOSEN, &session]);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn an_expired_temporary_password_is_refused() {
    let harness = start(newcomer).await;
    harness
        .stack
        .clock()
        .advance(Duration::from_secs(7 * 24 * 60 * 60 + 1));
    let page = Browser::new(&harness).sign_in("newcomer", TEMPORARY).await;
    assert_page(&page, "Sign in");
    assert_eq!(
        error(&page).as_deref(),
        Some("Temporary password has expired and must be reset by an administrator.")
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_user_with_an_authenticator_is_asked_for_its_code_once_per_code() {
    let harness = start(totp_user).await;
    let ui = Browser::new(&harness);
    let page = ui.sign_in("mfa-user", DEMO.1).await;
    assert_page(&page, "Multi-factor authentication");
    assert_eq!(
        intro(&page),
        "Enter the 6-digit code your authenticator app shows."
    );
    let session = hidden(&page, "session");

    let wrong = wrong_totp(&harness, SECRET);
    let page = ui.submit(&page, &[("code", &wrong)]).await;
    assert_page(&page, "Multi-factor authentication");
    assert_eq!(
        error(&page).as_deref(),
        Some("Invalid code received for user")
    );
    let page = ui.submit(&page, &[("code", "12345")]).await;
    assert_eq!(
        error(&page).as_deref(),
        Some("Enter the 6-digit code your authenticator app shows.")
    );
    assert_eq!(hidden(&page, "session"), session);

    // As an app shows it, with a space in the middle.
    let code = harness.totp(SECRET, 0);
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let answer = ui.submit(&page, &[("code", &spaced)]).await;
    ui.signed_in_as(&answer, "mfa-user").await;

    // The same code again, in another sign-in: refused; the next one works.
    let again = Browser::new(&harness);
    let page = again.sign_in("mfa-user", DEMO.1).await;
    let reused = again.submit(&page, &[("code", &code)]).await;
    assert_page(&reused, "Multi-factor authentication");
    assert_eq!(
        error(&reused).as_deref(),
        Some("Your software token has already been used once.")
    );
    let answer = again
        .submit(&reused, &[("code", &harness.totp(SECRET, 1))])
        .await;
    again.signed_in_as(&answer, "mfa-user").await;
    assert_nothing_leaked(&[DEMO.1, SECRET, &code, &session]);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn five_wrong_codes_end_the_sign_in() {
    let harness = start(totp_user).await;
    let ui = Browser::new(&harness);
    let first = ui.sign_in("mfa-user", DEMO.1).await;
    let wrong = wrong_totp(&harness, SECRET);
    let mut page = ui.submit(&first, &[("code", &wrong)]).await;
    for _ in 0..3 {
        assert_page(&page, "Multi-factor authentication");
        page = ui.submit(&page, &[("code", &wrong)]).await;
    }
    assert_page(&page, "Multi-factor authentication");
    let ended = ui.submit(&page, &[("code", &wrong)]).await;
    assert_page(&ended, "Sign in");
    assert_eq!(
        error(&ended).as_deref(),
        Some("Too many wrong codes. Please sign in again.")
    );
    assert!(ended.body.contains("value=\"mfa-user\""), "{}", ended.body);
    let late = ui
        .submit(&first, &[("code", &harness.totp(SECRET, 0))])
        .await;
    assert_page(&late, "Sign in");
    assert_eq!(error(&late).as_deref(), Some(TOOK_TOO_LONG));
    harness.stack.shutdown().await;
}

/// The setup page's secret, from the Key URI it shows (and checked against the grouped text
/// and the QR code beside it).
fn setup_secret(page: &Answer, username: &str) -> String {
    assert_page(page, "Set up an authenticator app");
    let start = page.body.find("<code class=\"uri\">").unwrap() + "<code class=\"uri\">".len();
    let end = start + page.body[start..].find("</code>").unwrap();
    let uri = page.body[start..end].replace("&amp;", "&");
    let prefix = format!("otpauth://totp/cognito-spa:{username}?secret=");
    let secret = uri
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix("&issuer=cognito-spa"))
        .unwrap_or_else(|| panic!("not the Key URI: {uri}"))
        .to_owned();
    assert_eq!(secret.len(), 52, "{secret}");
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    assert!(
        page.body.contains(&format!(
            "<code class=\"secret\">{}</code>",
            grouped.join(" ")
        )),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{}",
        page.body
    );
    secret
}

#[tokio::test]
async fn with_mfa_on_an_authenticator_is_set_up_at_the_first_sign_in() {
    let harness = start(|config| config.user_pool.mfa = MfaConfiguration::On).await;
    let ui = Browser::new(&harness);
    let page = ui.sign_in(DEMO.0, DEMO.1).await;
    let secret = setup_secret(&page, "demo");
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'"),
        "the QR code needs no relaxed policy"
    );

    let wrong = ui
        .submit(
            &page,
            &[
                ("device_name", "Pixel"),
                ("code", &wrong_totp(&harness, &secret)),
            ],
        )
        .await;
    assert_eq!(
        setup_secret(&wrong, "demo"),
        secret,
        "the same secret again"
    );
    assert_eq!(
        error(&wrong).as_deref(),
        Some("Code mismatch and fail enable Software Token MFA")
    );
    assert!(wrong.body.contains("value=\"Pixel\""), "{}", wrong.body);
    let short = ui.submit(&wrong, &[("code", "abc")]).await;
    assert_eq!(
        error(&short).as_deref(),
        Some("Enter the 6-digit code your authenticator app shows.")
    );

    let first_code = harness.totp(&secret, 0);
    let answer = ui
        .submit(&short, &[("device_name", "Pixel"), ("code", &first_code)])
        .await;
    ui.signed_in_as(&answer, "demo").await;

    // From now on the code is asked for; the setup's code is used up.
    let later = Browser::new(&harness);
    let page = later.sign_in(DEMO.0, DEMO.1).await;
    assert_page(&page, "Multi-factor authentication");
    let reused = later.submit(&page, &[("code", &first_code)]).await;
    assert_eq!(
        error(&reused).as_deref(),
        Some("Your software token has already been used once.")
    );
    let answer = later
        .submit(&reused, &[("code", &harness.totp(&secret, 1))])
        .await;
    later.signed_in_as(&answer, "demo").await;
    assert_nothing_leaked(&[DEMO.1, &secret, &first_code, &hidden(&page, "session")]);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn with_mfa_on_a_new_account_sets_up_its_authenticator_after_the_confirmation() {
    let harness = start(|config| config.user_pool.mfa = MfaConfiguration::On).await;
    let ui = Browser::new(&harness);
    let page = ui.open("/signup").await;
    let page = ui
        .submit(
            &page,
            &[
                ("username", "grace"),
                ("email", "grace@example.com"),
                ("password", CHOSEN),
            ],
        )
        .await;
    assert_page(&page, "Confirm your account");
    let page = ui
        .submit(
            &page,
            &[("code", &harness.latest_code("grace@example.com"))],
        )
        .await;
    let secret = setup_secret(&page, "grace");
    let answer = ui
        .submit(&page, &[("code", &harness.totp(&secret, 0))])
        .await;
    ui.signed_in_as(&answer, "grace").await;
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_challenge_left_three_minutes_goes_back_to_the_login_form() {
    let harness = start(|config| {
        newcomer(config);
        totp_user(config);
    })
    .await;
    let ui = Browser::new(&harness);
    let mfa = ui.sign_in("mfa-user", DEMO.1).await;
    assert_page(&mfa, "Multi-factor authentication");
    let new_password = ui.sign_in("newcomer", TEMPORARY).await;
    assert_page(&new_password, "Change your password");
    harness.stack.clock().advance(Duration::from_secs(181));

    let late = ui.submit(&mfa, &[("code", &harness.totp(SECRET, 0))]).await;
    assert_page(&late, "Sign in");
    assert_eq!(error(&late).as_deref(), Some(TOOK_TOO_LONG));
    let late = ui
        .submit(
            &new_password,
            &[("password", CHOSEN), ("password_confirmation", CHOSEN)],
        )
        .await;
    assert_page(&late, "Sign in");
    assert_eq!(error(&late).as_deref(), Some(TOOK_TOO_LONG));

    // A made-up session is no better.
    let page = ui.login_page().await;
    let csrf = page.csrf_field();
    let form = [
        ("_csrf", csrf.as_str()),
        ("session", "made-up"),
        ("code", "123456"),
        ("password", CHOSEN),
        ("password_confirmation", CHOSEN),
    ];
    for path in [
        "/mfa",
        "/mfaSetup",
        "/resetPassword",
        "/confirm",
        "/resendcode",
    ] {
        let answer = ui.post(&format!("{path}?{}", ui.query()), &form).await;
        assert_page(&answer, "Sign in");
        assert_eq!(error(&answer).as_deref(), Some(TOOK_TOO_LONG), "{path}");
    }

    // A challenge page opened by its address (a reload) goes back to the login form.
    for path in ["/mfa", "/mfaSetup", "/resetPassword"] {
        let answer = ui.open(path).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{path}");
        assert_eq!(answer.location().path(), "/login");
        assert_eq!(answer.location().query(), Some(ui.query().as_str()));
    }
    harness.stack.shutdown().await;
}

/// Posts `page`'s form to its action without the CSRF token, then with a wrong one: both
/// refused with the login form, and nothing done.
async fn assert_csrf_protected(ui: &Browser<'_>, page: &Answer, fields: &[(&str, &str)]) {
    let action = page.form_action();
    let mut form = without_csrf(page);
    form.extend(
        fields
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    let bare: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
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
        assert_eq!(title(&forged), "Sign in");
        assert_eq!(error(&forged).as_deref(), Some(FORM_EXPIRED));
        assert!(forged.header("location").is_none());
    }
}

#[tokio::test]
async fn every_challenge_form_refuses_a_missing_or_wrong_csrf_token() {
    let harness = start(|config| {
        newcomer(config);
        totp_user(config);
        config.user_pool.mfa = MfaConfiguration::On;
    })
    .await;
    let ui = Browser::new(&harness);

    let page = ui.sign_in("newcomer", TEMPORARY).await;
    let fields = [("password", CHOSEN), ("password_confirmation", CHOSEN)];
    assert_csrf_protected(&ui, &page, &fields).await;
    let setup = ui.submit(&page, &fields).await;
    let secret = setup_secret(&setup, "newcomer");
    let code = harness.totp(&secret, 0);
    assert_csrf_protected(&ui, &setup, &[("code", &code)]).await;
    let answer = ui.submit(&setup, &[("code", &code)]).await;
    ui.signed_in_as(&answer, "newcomer").await;

    let ui = Browser::new(&harness);
    let page = ui.sign_in("mfa-user", DEMO.1).await;
    let code = harness.totp(SECRET, 0);
    assert_csrf_protected(&ui, &page, &[("code", &code)]).await;
    let answer = ui.submit(&page, &[("code", &code)]).await;
    ui.signed_in_as(&answer, "mfa-user").await;
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn the_verified_email_address_signs_in_as_well_as_the_username() {
    let harness = start(|config| {
        with_users(
            config,
            vec![json!({
                "username": "unverified", "email": "unverified@example.com",
                "email_verified": false, "password": CHOSEN,
            })],
        );
    })
    .await;
    for identifier in ["demo@example.com", "Demo@Example.COM"] {
        let ui = Browser::new(&harness);
        let answer = ui.sign_in(identifier, DEMO.1).await;
        ui.signed_in_as(&answer, "demo").await;
    }
    let ui = Browser::new(&harness);
    let refused = ui.sign_in("unverified@example.com", CHOSEN).await;
    assert_page(&refused, "Sign in");
    assert_eq!(
        error(&refused).as_deref(),
        Some("Incorrect username or password.")
    );
    assert!(
        refused.body.contains("value=\"unverified@example.com\""),
        "{}",
        refused.body
    );
    let answer = ui
        .submit(
            &refused,
            &[("username", "unverified"), ("password", CHOSEN)],
        )
        .await;
    ui.signed_in_as(&answer, "unverified").await;
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_username_with_markup_is_shown_as_text_on_every_page() {
    let hostile = "<script>alert(1)</script>";
    let harness = start(|config| {
        config.user_pool.mfa = MfaConfiguration::On;
        with_users(
            config,
            vec![json!({
                "username": hostile, "email": "hostile@example.com",
                "password": TEMPORARY, "password_is_temporary": true,
            })],
        );
    })
    .await;
    let ui = Browser::new(&harness);
    let page = ui.sign_in(hostile, TEMPORARY).await;
    assert_page(&page, "Change your password");
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    assert!(
        page.body
            .contains(&format!("<p class=\"client\">{escaped} · cognito-spa</p>")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script"), "{}", page.body);
    let setup = ui
        .submit(
            &page,
            &[("password", CHOSEN), ("password_confirmation", CHOSEN)],
        )
        .await;
    assert_page(&setup, "Set up an authenticator app");
    assert!(!setup.body.contains("<script"), "{}", setup.body);
    assert!(
        setup
            .body
            .contains("otpauth://totp/cognito-spa:%3Cscript%3Ealert%281%29%3C%2Fscript%3E?secret="),
        "{}",
        setup.body
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn the_login_page_links_to_the_other_flows_with_the_same_request() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let page = ui.login_page().await;
    let query = ui.query().replace('&', "&amp;");
    for (path, label) in [
        ("/forgotPassword", "Forgot your password?"),
        ("/signup", "Sign up"),
    ] {
        assert!(
            page.body
                .contains(&format!("<a href=\"{path}?{query}\">{label}</a>")),
            "{}",
            page.body
        );
    }
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' http://localhost:"),
        "{csp}"
    );
    assert!(!page.body.contains("<script"), "the pages run no script");
    harness.stack.shutdown().await;
}
