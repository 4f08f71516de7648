//! The SPA's Account security page (`/account`) in headless Chromium against devstack, whose
//! identity-provider JSON API it calls with the session's access token: setting up an
//! authenticator app (the code computed from the key the page shows) that the next sign-in asks
//! for, turning it off, changing the password, and signing out everywhere. Every page is checked
//! (no secret in the address bar or history, nothing in localStorage, no CSP violation) and
//! photographed.
//!
//! One test here drives two browsers; the others one each, so the binary's two browser slots
//! cannot deadlock (keep it that way).

use anyhow::{Context, Result};
use devstack::config::TokenStorage;
use e2e::scenario::stored_token;
use e2e::{Browser, DEMO, Scenario, User, assert_contains};
use std::time::Duration;

mod support;
use support::refresh_with;

/// A password the default policy accepts (12 characters, every class).
const CHOSEN: &str = "Chosen-Passw0rd!";

/// Signs in as demo and opens Account security from the header's link.
async fn open_account_security(s: &Scenario) -> Result<()> {
    s.sign_in_as(DEMO).await?;
    s.browser.follow_link("/account").await?;
    s.wait_for_spa_path("/account").await?;
    s.browser.wait_for_text("Account security").await
}

/// A six-digit code the authenticator with `secret` does not show now, nor one step either
/// side (devstack accepts those): certainly wrong, with no luck involved.
fn wrong_code(s: &Scenario, secret: &devstack::TotpSecret) -> Result<String> {
    let now = s.stack()?.clock().now_secs();
    let accepted = [now - 30, now, now + 30].map(|at| secret.code_at(at));
    (0..10)
        .map(|digit| digit.to_string().repeat(6))
        .find(|code| !accepted.contains(code))
        .context("no wrong code found")
}

/// Set up from the page, the authenticator is asked for at the next sign-in; then it is turned
/// off after the confirmation.
#[tokio::test]
async fn an_authenticator_set_up_on_the_page_is_asked_for_at_the_next_sign_in() -> Result<()> {
    Scenario::run("account-totp", async |s| {
        let browser = &s.browser;
        open_account_security(s).await?;
        browser
            .wait_for_text("No authenticator app is set up: signing in needs only your password.")
            .await?;
        browser.assert_clean_and_screenshot("account").await?;

        browser.click_button("Set up an authenticator app").await?;
        browser.element("svg.qr path").await?;
        let grouped = browser.text_of("#totp-secret").await?;
        let key: String = grouped.split_whitespace().collect();
        let secret = devstack::TotpSecret::from_base32(&key)
            .map_err(|error| anyhow::anyhow!("the page's key {error}"))?;
        assert_contains(
            &browser.page_text().await?,
            &["Account demo, issuer cognito-spa"],
        );
        let kept = browser.session_storage_text().await?;
        assert!(!kept.contains(&key), "the secret is in sessionStorage");
        browser.assert_clean_and_screenshot("setup").await?;

        // A code that is not six digits is refused before anything is sent.
        browser.fill("input[name=code]", "12345").await?;
        browser.click_button("Turn it on").await?;
        browser
            .wait_for_text("Type the 6-digit code your authenticator app shows for this account.")
            .await?;
        // A wrong code is refused by Cognito, explained.
        browser
            .fill("input[name=code]", &wrong_code(s, &secret)?)
            .await?;
        browser.click_button("Turn it on").await?;
        browser
            .wait_for_text(
                "That code is not the one your authenticator app shows for this account now.",
            )
            .await?;
        browser.assert_clean_and_screenshot("wrong-code").await?;

        browser.fill("input[name=device]", "e2e phone").await?;
        let code = s.authenticator_code(&key)?;
        browser.fill("input[name=code]", &code).await?;
        browser.click_button("Turn it on").await?;
        browser
            .wait_for_text("Your authenticator app is set up and turned on.")
            .await?;
        browser
            .wait_for_text("An authenticator app is set up and preferred")
            .await?;
        let page = browser.page_text().await?;
        assert!(
            !page.contains(&grouped[..9]) && browser.texts("#totp-secret").await?.is_empty(),
            "the key is still on the page:\n{page}"
        );
        browser.assert_clean_and_screenshot("turned-on").await?;

        browser.click_button("Sign out").await?;
        s.wait_for_spa_path("/signed-out").await?;
        s.press_sign_in_on_home().await?;
        s.enter_password(DEMO).await?;
        browser
            .wait_for_text("Enter the 6-digit code your authenticator app shows.")
            .await?;
        // The code above was used; an app shows the next one 30 seconds later.
        s.stack()?.clock().advance(Duration::from_secs(30));
        s.enter_code(&s.authenticator_code(&key)?, "Sign in")
            .await?;
        browser.wait_for_text("Hello, demo").await?;

        browser.follow_link("/account").await?;
        browser.click_button("Turn it off…").await?;
        browser
            .wait_for_text("Turn off the authenticator app?")
            .await?;
        // The pressed button was redrawn away; the keyboard focus goes to the question.
        browser
            .wait_for("the focus on the question", || async {
                let focused = browser
                    .script("return document.activeElement && document.activeElement.id;")
                    .await?;
                Ok((focused == "totp-status").then_some(()))
            })
            .await?;
        browser.assert_clean_and_screenshot("turn-off").await?;
        browser.click_button("Turn it off").await?;
        browser
            .wait_for_text("The authenticator app is turned off")
            .await?;
        browser
            .wait_for_text("No authenticator app is set up")
            .await?;
        browser.assert_clean().await
    })
    .await
}

/// A wrong current password, a new one the policy refuses (naming its rule), a confirmation
/// that differs, then the change; the next sign-in takes the new password only.
#[tokio::test]
async fn a_password_changed_on_the_page_is_the_one_that_signs_in() -> Result<()> {
    Scenario::run("account-password", async |s| {
        let browser = &s.browser;
        open_account_security(s).await?;
        let change = async |current: &str, new: &str, confirmation: &str| -> Result<()> {
            browser.fill("input[name=current]", current).await?;
            browser.fill("input[name=new]", new).await?;
            browser.fill("input[name=confirm]", confirmation).await?;
            browser.click_button("Change the password").await
        };

        change("not-the-password", CHOSEN, CHOSEN).await?;
        browser
            .wait_for_text("The current password is not right (Incorrect username or password.).")
            .await?;
        change(DEMO.password, "chosen-passw0rd!", "chosen-passw0rd!").await?;
        browser
            .wait_for_text("The new password does not meet the user pool's password policy: Password must have uppercase characters.")
            .await?;
        browser.assert_clean_and_screenshot("refused").await?;
        change(DEMO.password, CHOSEN, "Chosen-Passw0rd?").await?;
        browser
            .wait_for_text("The new password and its confirmation differ")
            .await?;
        change(DEMO.password, CHOSEN, CHOSEN).await?;
        browser.wait_for_text("Your password is changed.").await?;
        browser.assert_clean_and_screenshot("changed").await?;

        browser.click_button("Sign out").await?;
        s.wait_for_spa_path("/signed-out").await?;
        s.press_sign_in_on_home().await?;
        s.enter_password(DEMO).await?;
        browser
            .wait_for_text("Incorrect username or password.")
            .await?;
        s.enter_password(User {
            username: DEMO.username,
            password: CHOSEN,
        })
        .await?;
        browser.wait_for_text("Hello, demo").await?;
        browser.assert_clean().await
    })
    .await
}

fn session_storage(config: &mut devstack::Config) {
    config.spa.token_storage = TokenStorage::Session;
}

/// Signing out everywhere in one browser: this one goes through /logout, the other browser's
/// refresh token is refused, Cognito's user API refuses its access token, and the API still
/// takes that token until it expires (as the page says).
#[tokio::test]
async fn signing_out_everywhere_ends_the_other_browsers_session() -> Result<()> {
    Scenario::run_with("account-everywhere", session_storage, async |s| {
        let other = Browser::launch("account-everywhere-other").await?;
        let outcome = other_browser_signed_out(s, &other).await;
        let closed = other.close().await;
        outcome.and(closed)
    })
    .await
}

async fn other_browser_signed_out(s: &Scenario, other: &Browser) -> Result<()> {
    other.goto(s.spa("/")?.as_str()).await?;
    other.click_button("Sign in").await?;
    other.sign_in_on_hosted_ui(s.cognito_url(), DEMO).await?;
    other.wait_for_text("Hello, demo").await?;
    let refresh_token = stored_token(other, "refresh_token")
        .await?
        .context("no refresh token in the other browser")?;
    assert_eq!(refresh_with(s, &refresh_token).await?.status(), 200);

    let browser = &s.browser;
    open_account_security(s).await?;
    browser
        .wait_for_text("Access tokens already issued still work")
        .await?;
    browser.assert_clean_and_screenshot("account").await?;
    browser.click_button("Sign out everywhere").await?;
    s.wait_for_spa_path("/signed-out").await?;
    browser.wait_for_text("You are signed out").await?;
    browser.assert_clean_and_screenshot("signed-out").await?;

    let refused = refresh_with(s, &refresh_token).await?;
    assert_eq!(refused.status(), 400, "the other browser can still refresh");
    let refusal: serde_json::Value = refused.json().await?;
    assert_eq!(refusal["error"], "invalid_grant", "{refusal}");

    // Its access token: still good for the API, refused by Cognito's user API.
    other.follow_link("/api").await?;
    other
        .element("button[aria-controls='get-hello-result']")
        .await?
        .click()
        .await?;
    other.wait_for_text("Hello, demo!").await?;
    other.follow_link("/account").await?;
    other
        .wait_for_text("Cognito no longer accepts this session's access token: it was revoked")
        .await?;
    other.assert_clean_and_screenshot("other-browser").await
}
