//! What an end user meets: the release SPA in headless Chromium against devstack on three
//! loopback origins. Every scenario also checks, on every page it visits, that nothing is in
//! localStorage, no token or code is in the address bar or history, and no CSP violation happened.

use anyhow::Result;
use e2e::{Browser, DEMO, start_devstack};

/// The signed-out home page's heading.
const HOME_SIGNED_OUT: &str = "Sign in with Cognito, then call a protected API";

#[tokio::test]
async fn home_page_loads_signed_out_without_csp_violations() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("smoke").await?;
    browser.goto(stack.spa_url().as_str()).await?;
    browser.wait_for_text(HOME_SIGNED_OUT).await?;
    browser.button("Sign in").await?;
    browser.assert_clean().await?;
    browser.screenshot("home").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 1: sign in as demo from the home page, come back to it, and see the profile.
#[tokio::test]
async fn demo_signs_in_lands_where_they_started_and_sees_their_profile() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("sign-in").await?;
    browser.goto(stack.spa_url().as_str()).await?;
    browser.wait_for_text(HOME_SIGNED_OUT).await?;
    browser.assert_clean().await?;
    browser.screenshot("home-signed-out").await?;

    browser.click_button("Sign in").await?;
    browser
        .wait_for_url("the hosted UI", |url| {
            url.origin() == stack.cognito_url().origin()
        })
        .await?;
    browser.element("#username").await?;
    browser.assert_clean().await?;
    browser.screenshot("hosted-ui").await?;
    browser
        .sign_in_on_hosted_ui(stack.cognito_url(), DEMO)
        .await?;

    browser.wait_for_text("Hello, demo").await?;
    browser.wait_for_path(stack.spa_url(), "/").await?;
    let home = browser.page_text().await?;
    for expected in ["demo@example.com", "Tokens expire in"] {
        assert!(home.contains(expected), "home lacks {expected:?}:\n{home}");
    }
    assert_eq!(browser.texts(".tag").await?, ["users"], "demo's groups");
    browser.assert_clean().await?;
    browser.screenshot("home-signed-in").await?;

    browser.follow_link("/profile").await?;
    browser.wait_for_path(stack.spa_url(), "/profile").await?;
    browser.wait_for_text("Your profile").await?;
    browser.wait_for_text("Access token").await?;
    // userInfo answers after the page shows; its email row is the last thing to appear.
    browser.element(".user-info dl").await?;
    let profile = browser.page_text().await?;
    let issuer = stack.issuer();
    let tags = browser.texts(".tag").await?;
    for expected in ["users", "openid", "api/read", "api/write"] {
        assert!(
            tags.iter().any(|tag| tag == expected),
            "no tag {expected:?} in {tags:?}"
        );
    }
    assert!(
        !tags.iter().any(|tag| tag == "admin"),
        "demo is not an admin: {tags:?}"
    );
    for expected in [
        "demo@example.com",
        "api/write",
        "RS256",
        "cognito:username",
        "token_use",
        issuer,
        "3n4b5urk1ft4fl3mg5e62d9ado",
    ] {
        assert!(
            profile.contains(expected),
            "profile lacks {expected:?}:\n{profile}"
        );
    }
    browser.assert_clean().await?;
    browser.screenshot("profile").await?;

    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}
