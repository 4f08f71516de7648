//! The account flows a user meets on the hosted UI, from the release SPA in headless Chromium:
//! signing up with a mailed code, a first sign-in with a temporary password, an authenticator's
//! code, setting one up, a forgotten password, signing in with the e-mail address. Every page
//! is checked (no secret in the address bar or history, nothing in localStorage, no CSP
//! violation) and photographed.

use anyhow::Result;
use devstack::config::{MfaConfiguration, UserConfig};
use e2e::{DEMO, Scenario, User};
use serde_json::json;

/// A password the default policy accepts (12 characters, every class).
const CHOSEN: &str = "Chosen-Passw0rd!";
/// The invited user's temporary password.
const TEMPORARY: &str = "Temp-Passw0rd!";
/// The authenticator secret of `mfa-user` (RFC 6238's test secret, base32).
const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// Adds a `[[users]]` entry, as devstack's configuration file has them.
fn add_user(config: &mut devstack::Config, fields: serde_json::Value) {
    match serde_json::from_value::<UserConfig>(fields) {
        Ok(user) => config.users.push(user),
        Err(error) => panic!("not a [[users]] entry: {error}"),
    }
}

/// Signing up from a deep link to the profile: the form, the code from the e-mail, and the user
/// is on their profile, signed in.
#[tokio::test]
async fn a_new_user_signs_up_confirms_the_mailed_code_and_lands_on_their_profile() -> Result<()> {
    Scenario::run("sign-up", async |s| {
        let browser = &s.browser;
        s.open("/profile").await?;
        s.wait_for_hosted_ui().await?;
        browser.click_link("Sign up").await?;
        browser.fill("#username", "newuser").await?;
        browser.fill("#email", "newuser@example.com").await?;
        browser.fill("#password", CHOSEN).await?;
        browser.assert_clean_and_screenshot("sign-up").await?;
        browser.click_button("Sign up").await?;

        browser
            .wait_for_text("We sent a code to n***@e***.com.")
            .await?;
        browser.assert_clean_and_screenshot("confirm").await?;
        let code = s.mailed_code("newuser@example.com")?;
        s.enter_code(&code, "Confirm account").await?;

        s.wait_for_spa_path("/profile").await?;
        browser.wait_for_text("Your profile").await?;
        browser.wait_for_text("newuser@example.com").await?;
        browser.assert_clean_and_screenshot("profile").await
    })
    .await
}

fn invited(config: &mut devstack::Config) {
    add_user(
        config,
        json!({
            "username": "invited", "email": "invited@example.com",
            "password": TEMPORARY, "password_is_temporary": true,
        }),
    );
}

/// A user an administrator created signs in with the temporary password, is asked for a new
/// one (a weak one is refused, naming the rules it breaks) and lands signed in.
#[tokio::test]
async fn an_invited_user_chooses_a_new_password_at_the_first_sign_in() -> Result<()> {
    Scenario::run_with("new-password", invited, async |s| {
        let browser = &s.browser;
        s.press_sign_in_on_home().await?;
        s.enter_password(User {
            username: "invited",
            password: TEMPORARY,
        })
        .await?;
        browser
            .wait_for_text("Your password was temporary. Choose a new one to go on.")
            .await?;
        s.choose_password("weak", "Change password").await?;
        browser
            .wait_for_text("The password needs at least 12 characters, an uppercase letter, a number and a symbol")
            .await?;
        browser.assert_clean_and_screenshot("refused").await?;
        s.choose_password(CHOSEN, "Change password").await?;
        browser.wait_for_text("Hello, invited").await?;
        browser.assert_clean_and_screenshot("home").await
    })
    .await
}

fn with_authenticator(config: &mut devstack::Config) {
    add_user(
        config,
        json!({
            "username": "mfa-user", "email": "mfa@example.com",
            "password": DEMO.password, "totp_secret": SECRET,
        }),
    );
}

/// A user with an authenticator app is asked for its code after the password.
#[tokio::test]
async fn a_user_with_an_authenticator_enters_its_code_after_the_password() -> Result<()> {
    Scenario::run_with("mfa-code", with_authenticator, async |s| {
        let browser = &s.browser;
        s.press_sign_in_on_home().await?;
        s.enter_password(User {
            username: "mfa-user",
            password: DEMO.password,
        })
        .await?;
        browser
            .wait_for_text("Enter the 6-digit code your authenticator app shows.")
            .await?;
        browser.assert_clean_and_screenshot("code").await?;
        s.enter_code(&s.authenticator_code(SECRET)?, "Sign in")
            .await?;
        browser.wait_for_text("Hello, mfa-user").await?;
        browser.assert_clean_and_screenshot("home").await
    })
    .await
}

/// With MFA required, the first sign-in sets up an authenticator from the QR code's key.
#[tokio::test]
async fn with_mfa_required_the_first_sign_in_sets_up_an_authenticator() -> Result<()> {
    let mfa_on = |config: &mut devstack::Config| config.user_pool.mfa = MfaConfiguration::On;
    Scenario::run_with("mfa-setup", mfa_on, async |s| {
        let browser = &s.browser;
        s.press_sign_in_on_home().await?;
        s.enter_password(DEMO).await?;
        browser.element(".qr svg").await?;
        browser.assert_clean_and_screenshot("setup").await?;
        let secret = s.secret_on_setup_page().await?;
        browser.fill("#device_name", "e2e phone").await?;
        s.enter_code(&s.authenticator_code(&secret)?, "Verify and sign in")
            .await?;
        browser.wait_for_text("Hello, demo").await?;
        browser.assert_clean_and_screenshot("home").await
    })
    .await
}

/// "Forgot your password?": a code by e-mail, a new password, then signing in with it.
#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_sign_in_page() -> Result<()> {
    Scenario::run("forgot-password", async |s| {
        let browser = &s.browser;
        s.press_sign_in_on_home().await?;
        s.wait_for_hosted_ui().await?;
        browser.click_link("Forgot your password?").await?;
        browser.fill("#username", DEMO.username).await?;
        browser.click_button("Send code").await?;
        browser
            .wait_for_text("We sent a code to d***@e***.com.")
            .await?;
        browser.assert_clean_and_screenshot("reset").await?;
        browser
            .fill("#code", &s.mailed_code("demo@example.com")?)
            .await?;
        s.choose_password(CHOSEN, "Reset password").await?;
        browser
            .wait_for_text("Your password has been reset. Sign in with the new one.")
            .await?;
        browser.assert_clean_and_screenshot("signed-out").await?;
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

/// The verified e-mail address signs in as well as the username.
#[tokio::test]
async fn the_email_address_signs_in_as_the_user() -> Result<()> {
    Scenario::run("email-sign-in", async |s| {
        s.press_sign_in_on_home().await?;
        s.enter_password(User {
            username: "demo@example.com",
            password: DEMO.password,
        })
        .await?;
        s.browser.wait_for_text("Hello, demo").await?;
        s.browser.assert_clean_and_screenshot("home").await
    })
    .await
}
