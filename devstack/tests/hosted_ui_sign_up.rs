//! Signing up on the hosted UI: the form, the code in devstack's mailbox, the confirmation that
//! signs the user in, and every refusal on the way, over real HTTP.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use cognito_support::hosted_ui::{
    Browser, FORM_EXPIRED, RULES, TOOK_TOO_LONG, assert_nothing_leaked, error, hidden, intro,
    listed_rules, notice, start, title, without_csrf,
};
use cognito_support::{Answer, read};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const PASSWORD: &str = "Alice-Passw0rd!";

/// Opens the sign-up page from the login page's link and submits it.
async fn sign_up(ui: &Browser<'_>, username: &str, email: &str, password: &str) -> Answer {
    let login = ui.login_page().await;
    assert!(
        login.body.contains(&format!(
            "<a href=\"/signup?{}\">Sign up</a>",
            ui.query().replace('&', "&amp;")
        )),
        "{}",
        login.body
    );
    let page = ui.open("/signup").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(title(&page), "Sign up");
    assert_eq!(listed_rules(&page), RULES);
    ui.submit(
        &page,
        &[
            ("username", username),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

fn assert_confirm_page(page: &Answer, destination: &str) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(title(page), "Confirm your account");
    assert_eq!(
        intro(page),
        format!("We sent a code to {destination}. Enter it below to confirm your account.")
    );
    assert!(
        page.body.contains("formaction=\"/resendcode?"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn sign_up_then_the_mailed_code_signs_the_new_user_in() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let page = sign_up(&ui, "alice", "alice@example.com", PASSWORD).await;
    assert_confirm_page(&page, "a***@e***.com");
    let session = hidden(&page, "session");

    let mail = harness.stack.mailbox().remove(0);
    assert_eq!(mail.to, "alice@example.com");
    assert_eq!(mail.subject, "Your verification code");
    assert_eq!(
        mail.body,
        format!("Your confirmation code is {}", mail.code)
    );

    // A wrong code: the same page, the message, the session still good.
    let wrong = if mail.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let again = ui.submit(&page, &[("code", wrong)]).await;
    assert_confirm_page(&again, "a***@e***.com");
    assert_eq!(
        error(&again).as_deref(),
        Some("Invalid verification code provided, please try again.")
    );
    assert_eq!(hidden(&again, "session"), session);

    let answer = ui.submit(&again, &[("code", &mail.code)]).await;
    let claims = ui.signed_in_as(&answer, "alice").await;
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);

    // The managed-login session is on: the next authorize skips the form.
    let next = ui.get(&harness.authorize_url(&ui.pkce, &[])).await;
    assert!(
        next.location().as_str().starts_with(&harness.redirect_uri),
        "{}",
        next.location()
    );
    assert_nothing_leaked(&[PASSWORD, &mail.code, &session]);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn sign_up_refusals_name_the_problem_and_keep_what_was_typed() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let cases: [(&str, &str, &str, &str); 7] = [
        (
            "weak",
            "weak@example.com",
            "password",
            "The password needs at least 12 characters, an uppercase letter, a number and a symbol such as ! @ # $ % ^ & *.",
        ),
        (
            "weak",
            "weak@example.com",
            "PASSWORD-WITHOUT-LOWER-1",
            "The password needs a lowercase letter.",
        ),
        ("demo", "other@example.com", PASSWORD, "User already exists"),
        ("DEMO", "other@example.com", PASSWORD, "User already exists"),
        (
            "nomail",
            "",
            PASSWORD,
            "Attributes did not conform to the schema: email: The attribute is required",
        ),
        (
            "badmail",
            "not-an-address",
            PASSWORD,
            "Invalid email address format.",
        ),
        (
            "x@example.com",
            "x@example.com",
            PASSWORD,
            "Username cannot be of email format, since user pool is configured for email alias.",
        ),
    ];
    for (username, email, password, message) in cases {
        let answer = sign_up(&ui, username, email, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(title(&answer), "Sign up", "{username}");
        assert_eq!(error(&answer).as_deref(), Some(message), "{username}");
        assert!(
            answer.body.contains(&format!("value=\"{username}\"")),
            "{}",
            answer.body
        );
        assert!(
            !answer.body.contains(&format!("value=\"{password}\"")),
            "the password came back"
        );
    }

    // What was typed comes back escaped.
    let hostile = "<script>alert(1)</script>";
    let answer = sign_up(&ui, hostile, "x@example.com", "weak").await;
    assert!(!answer.body.contains("<script>"), "{}", answer.body);
    assert!(
        answer
            .body
            .contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{}",
        answer.body
    );

    // Without the CSRF token, or with another one: refused, nothing created.
    let page = ui.open("/signup").await;
    let fields = [
        ("username", "forged"),
        ("email", "f@example.com"),
        ("password", PASSWORD),
    ];
    let action = page.form_action();
    for csrf in [None, Some("not-the-cookie")] {
        let mut form = fields.to_vec();
        form.extend(csrf.map(|c| ("_csrf", c)));
        let forged = ui.post(&action, &form).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
        assert_eq!(title(&forged), "Sign up");
        assert_eq!(
            error(&forged).as_deref(),
            Some("This form has expired. Please try again.")
        );
    }
    assert!(
        harness.stack.mailbox().is_empty(),
        "a refused sign-up mailed a code"
    );
    assert_nothing_leaked(&[PASSWORD]);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn sign_up_is_refused_when_the_pool_does_not_allow_it() {
    let harness = start(|config| config.user_pool.allow_self_sign_up = false).await;
    let ui = Browser::new(&harness);
    let login = ui.login_page().await;
    assert!(!login.body.contains("/signup"), "{}", login.body);
    assert!(
        login.body.contains("Forgot your password?"),
        "{}",
        login.body
    );

    let page = ui.open("/signup").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    assert_eq!(title(&page), "Sign-up is not enabled");
    assert_eq!(
        error(&page).as_deref(),
        Some("Sign-up is not enabled for this app.")
    );

    // A post with a valid CSRF token (from the login page) is refused the same way.
    let mut form = vec![("_csrf".to_owned(), login.csrf_field())];
    form.extend(
        [
            ("username", "mallory"),
            ("email", "m@example.com"),
            ("password", PASSWORD),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned())),
    );
    let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let posted = ui.post(&format!("/signup?{}", ui.query()), &form).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND, "{}", posted.body);
    assert_eq!(
        error(&posted).as_deref(),
        Some("Sign-up is not enabled for this app.")
    );
    assert!(harness.stack.mailbox().is_empty());
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn another_code_can_be_sent_five_an_hour_and_only_the_newest_works() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let page = sign_up(&ui, "bob", "bob@example.com", PASSWORD).await;
    let first = harness.latest_code("bob@example.com");

    let mut page = page;
    // The sign-up sent one code; four more may follow within the hour.
    for _ in 0..4 {
        page = ui.submit_to(&page, "/resendcode", &[]).await;
        assert_confirm_page(&page, "b***@e***.com");
        assert_eq!(
            notice(&page).as_deref(),
            Some("We sent a new code to b***@e***.com.")
        );
    }
    let newest = harness.latest_code("bob@example.com");
    assert_eq!(harness.stack.mailbox().len(), 5);
    let limited = ui.submit_to(&page, "/resendcode", &[]).await;
    assert_confirm_page(&limited, "b***@e***.com");
    assert_eq!(
        error(&limited).as_deref(),
        Some("Attempt limit exceeded, please try after some time.")
    );
    assert_eq!(harness.stack.mailbox().len(), 5);

    // (Six random digits may come out the same twice, once in a million.)
    if first != newest {
        let old = ui.submit(&limited, &[("code", &first)]).await;
        assert_eq!(
            error(&old).as_deref(),
            Some("Invalid verification code provided, please try again.")
        );
    }
    let answer = ui.submit(&limited, &[("code", &newest)]).await;
    ui.signed_in_as(&answer, "bob").await;
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn an_unconfirmed_user_signing_in_gets_a_new_code_and_confirming_signs_them_in() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    sign_up(&ui, "dave", "dave@example.com", PASSWORD).await;

    // Later, in another browser: the wrong password says nothing of the account's state.
    let later = Browser::new(&harness);
    let wrong = later.sign_in("dave", "Wrong-Passw0rd!").await;
    assert_eq!(
        error(&wrong).as_deref(),
        Some("Incorrect username or password.")
    );

    let page = later.sign_in("Dave", PASSWORD).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(title(&page), "Confirm your account");
    assert_eq!(
        intro(&page),
        "Your account is not confirmed yet. We sent a code to d***@e***.com. Enter it below to confirm your account."
    );
    assert_eq!(harness.stack.mailbox().len(), 2);
    let answer = later
        .submit(&page, &[("code", &harness.latest_code("dave@example.com"))])
        .await;
    later.signed_in_as(&answer, "dave").await;
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_code_can_be_confirmed_without_a_session_and_the_user_then_signs_in() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    sign_up(&ui, "carol", "carol@example.com", PASSWORD).await;
    let code = harness.latest_code("carol@example.com");

    let elsewhere = Browser::new(&harness);
    let page = elsewhere.open("/confirm").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(title(&page), "Confirm your account");
    assert_eq!(
        intro(&page),
        "Enter your username and the code we sent you by e-mail."
    );
    assert!(page.body.contains("id=\"username\""), "{}", page.body);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = elsewhere
        .submit(&page, &[("username", "carol"), ("code", wrong)])
        .await;
    assert_eq!(
        error(&refused).as_deref(),
        Some("Invalid verification code provided, please try again.")
    );
    assert!(refused.body.contains("value=\"carol\""), "{}", refused.body);

    let confirmed = elsewhere
        .submit(&refused, &[("username", "carol"), ("code", &code)])
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(title(&confirmed), "Sign in");
    assert_eq!(
        notice(&confirmed).as_deref(),
        Some("Your account is confirmed. Sign in to go on.")
    );
    let again = elsewhere
        .submit(&confirmed, &[("username", "carol"), ("password", PASSWORD)])
        .await;
    assert_eq!(
        again.status,
        StatusCode::FOUND,
        "the login form signs in: {}",
        again.body
    );
    elsewhere.signed_in_as(&again, "carol").await;

    // Confirming twice is refused with Cognito's words.
    let page = ui.open("/confirm").await;
    let twice = ui
        .submit(&page, &[("username", "carol"), ("code", &code)])
        .await;
    assert_eq!(
        error(&twice).as_deref(),
        Some("User cannot be confirmed. Current status is CONFIRMED")
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn the_confirmation_forms_are_csrf_protected_and_their_session_expires() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let page = sign_up(&ui, "erin", "erin@example.com", PASSWORD).await;
    let code = harness.latest_code("erin@example.com");
    for path in ["/confirm", "/resendcode"] {
        let action = format!("{path}?{}", ui.query());
        let mut fields = without_csrf(&page);
        fields.push(("code".into(), code.clone()));
        let bare: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let forged = ui.post(&action, &bare).await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            forged.body
        );
        assert_eq!(title(&forged), "Sign in");
        assert_eq!(error(&forged).as_deref(), Some(FORM_EXPIRED));
        let mut wrong = bare.clone();
        wrong.push(("_csrf", "not-the-cookie"));
        let forged = ui.post(&action, &wrong).await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            forged.body
        );
    }
    assert_eq!(
        harness.stack.mailbox().len(),
        1,
        "a forged resend sent a code"
    );

    // The confirmation session lives 3 minutes, like a challenge's.
    harness.stack.clock().advance(Duration::from_secs(181));
    let late = ui.submit(&page, &[("code", &code)]).await;
    assert_eq!(late.status, StatusCode::OK, "{}", late.body);
    assert_eq!(title(&late), "Sign in");
    assert_eq!(error(&late).as_deref(), Some(TOOK_TOO_LONG));
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn the_mailbox_lists_every_message_newest_first() {
    let harness = start(|_| {}).await;
    let ui = Browser::new(&harness);
    let empty = harness.get(&harness.cognito("/devstack/mailbox")).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No messages yet."), "{}", empty.body);

    sign_up(&ui, "frank", "<i>frank</i>@example.com", PASSWORD).await;
    let page = ui.open("/forgotPassword").await;
    ui.submit(&page, &[("username", "demo")]).await;
    let signup_code = harness.stack.mailbox()[1].code.clone();
    let reset_code = harness.latest_code("demo@example.com");

    let answer = read(
        reqwest::get(harness.cognito("/devstack/mailbox.json"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("access-control-allow-origin"), None);
    let messages = answer.json()["messages"].clone();
    let sent_at = |i: usize| messages[i]["sent_at"].as_u64().unwrap();
    assert_eq!(
        messages,
        json!([
            {
                "id": 2, "sent_at": sent_at(0), "to": "demo@example.com", "username": "demo",
                "kind": "password_reset_code", "subject": "Your verification code",
                "body": format!("Your password reset code is {reset_code}"), "code": reset_code,
            },
            {
                "id": 1, "sent_at": sent_at(1), "to": "<i>frank</i>@example.com", "username": "frank",
                "kind": "sign_up_code", "subject": "Your verification code",
                "body": format!("Your confirmation code is {signup_code}"), "code": signup_code,
            },
        ])
    );

    let page = harness.get(&harness.cognito("/devstack/mailbox")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .starts_with("default-src 'none'; style-src 'self'; form-action 'none'"),
    );
    let newest = page
        .body
        .find(&format!("Your password reset code is {reset_code}"))
        .unwrap();
    let oldest = page
        .body
        .find(&format!("Your confirmation code is {signup_code}"))
        .unwrap();
    assert!(newest < oldest, "not newest first: {}", page.body);
    assert!(
        page.body
            .contains("<td>&lt;i&gt;frank&lt;/i&gt;@example.com</td>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<i>frank"), "{}", page.body);
    assert!(page.body.contains(" UTC</td>"), "{}", page.body);

    // Reading the mailbox leaves no code in the request log.
    assert_nothing_leaked(&[&signup_code, &reset_code, PASSWORD]);
    harness.stack.shutdown().await;
}
