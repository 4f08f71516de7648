//! What an end user meets: the release SPA in headless Chromium against devstack on three
//! loopback origins. Every scenario also checks, on every page it visits, that nothing is in
//! localStorage, no token or code is in the address bar or history, and no CSP violation happened.

use anyhow::{Context, Result};
use devstack::config::TokenStorage;
use e2e::{ADMIN, Browser, DEMO, User, start_devstack};
use fantoccini::Locator;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::Url;

/// The signed-out home page's heading.
const HOME_SIGNED_OUT: &str = "Sign in with Cognito, then call a protected API";

/// The app loads under a strict Content-Security-Policy (so "no violation" below means
/// something), signed out, and an unknown address shows the not-found page.
#[tokio::test]
async fn home_page_loads_signed_out_under_a_strict_csp() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let index = reqwest::get(stack.spa_url().as_str()).await?;
    let csp = index
        .headers()
        .get("content-security-policy")
        .context("the SPA is served without a Content-Security-Policy")?
        .to_str()?
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive:?}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("'unsafe-eval'"), "{csp}");

    let browser = Browser::launch("smoke").await?;
    browser.goto(stack.spa_url().as_str()).await?;
    browser.wait_for_text(HOME_SIGNED_OUT).await?;
    browser.button("Sign in").await?;
    browser.assert_clean().await?;
    browser.screenshot("home").await?;

    browser
        .goto(stack.spa_url().join("/no-such-page")?.as_str())
        .await?;
    browser.wait_for_text("Page not found").await?;
    browser.wait_for_text("/no-such-page").await?;
    browser.assert_clean().await?;
    browser.screenshot("not-found").await?;
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
    let kept = browser.session_storage_keys().await?;
    assert!(
        !kept.iter().any(|key| key.contains("pending")),
        "the one-time sign-in state outlived the sign-in: {kept:?}"
    );
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

/// Opens the SPA's home page and signs in as `user` through the hosted UI.
async fn sign_in_from_home(browser: &Browser, stack: &devstack::Stack, user: User) -> Result<()> {
    browser.goto(stack.spa_url().as_str()).await?;
    browser.click_button("Sign in").await?;
    browser
        .sign_in_on_hosted_ui(stack.cognito_url(), user)
        .await?;
    browser
        .wait_for_text(&format!("Hello, {}", user.username))
        .await
}

/// Presses Send on the API console's card for `slug` (e.g. `get-hello`) and returns what the
/// card shows once the answer is in.
async fn call_route(browser: &Browser, slug: &str) -> Result<String> {
    browser
        .element(&format!("button[aria-controls='{slug}-result']"))
        .await?
        .click()
        .await?;
    let result = format!("#{slug}-result");
    let result = result.as_str();
    browser
        .wait_for(&format!("the answer to {slug}"), || async move {
            let card = browser.client().find(Locator::Css(result)).await?;
            let busy = card.attr("aria-busy").await?;
            let text = card.text().await?;
            Ok((busy.as_deref() == Some("false") && !text.trim().is_empty()).then_some(text))
        })
        .await
}

fn assert_contains(text: &str, expected: &[&str]) {
    for needle in expected {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }
}

/// Scenario 2: every route from the API console, as demo and as admin.
#[tokio::test]
async fn api_console_calls_every_route_and_explains_the_admin_refusal() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("api-console").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/api").await?;
    browser.wait_for_text("API console").await?;

    let open = call_route(&browser, "get-open").await?;
    assert_contains(
        &open,
        &["GET /open answered 200.", "\"time\"", "x-request-id"],
    );
    let hello = call_route(&browser, "get-hello").await?;
    assert_contains(&hello, &["GET /hello answered 200.", "Hello, demo!"]);
    let echo = call_route(&browser, "get-echo").await?;
    assert_contains(
        &echo,
        &[
            "GET /echo answered 200.",
            "\"username\": \"demo\"",
            "\"cognito:groups\": \"[users]\"",
            "\"token_use\": \"access\"",
            "api/read",
        ],
    );
    browser
        .fill("#post-echo-body", r#"{"sent_by": "e2e", "items": [1, 2]}"#)
        .await?;
    let posted = call_route(&browser, "post-echo").await?;
    assert_contains(
        &posted,
        &["POST /echo answered 200.", "\"sent_by\": \"e2e\""],
    );
    let admin = call_route(&browser, "get-admin").await?;
    assert_contains(
        &admin,
        &[
            "GET /admin is only for members of the admin group, and you are not one (403).",
            "Sign in as a user in the admin group",
        ],
    );
    browser.assert_clean().await?;
    browser.screenshot("demo").await?;
    browser.close().await?;

    let browser = Browser::launch("api-console-admin").await?;
    sign_in_from_home(&browser, &stack, ADMIN).await?;
    browser.follow_link("/api").await?;
    let admin = call_route(&browser, "get-admin").await?;
    assert_contains(&admin, &["GET /admin answered 200.", "\"admin\""]);
    browser.assert_clean().await?;
    browser.screenshot("admin").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 6: a deep link to a protected page while signed out comes back there after sign-in.
#[tokio::test]
async fn deep_link_to_a_protected_page_returns_there_after_sign_in() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("deep-link").await?;
    browser.goto(stack.spa_url().join("/api")?.as_str()).await?;
    browser
        .sign_in_on_hosted_ui(stack.cognito_url(), DEMO)
        .await?;
    browser.wait_for_path(stack.spa_url(), "/api").await?;
    browser.wait_for_text("API console").await?;
    let hello = call_route(&browser, "get-hello").await?;
    assert_contains(&hello, &["Hello, demo!"]);
    browser.assert_clean().await?;
    browser.screenshot("api").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 7: a wrong password is refused on the hosted UI, and the right one then works.
#[tokio::test]
async fn wrong_password_is_refused_on_the_hosted_ui() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("wrong-password").await?;
    browser.goto(stack.spa_url().as_str()).await?;
    browser.click_button("Sign in").await?;
    let wrong = User {
        username: DEMO.username,
        password: "not-the-password",
    };
    browser
        .sign_in_on_hosted_ui(stack.cognito_url(), wrong)
        .await?;
    browser
        .wait_for_text("Incorrect username or password.")
        .await?;
    browser.assert_clean().await?;
    browser.screenshot("hosted-ui").await?;
    browser
        .sign_in_on_hosted_ui(stack.cognito_url(), DEMO)
        .await?;
    browser.wait_for_text("Hello, demo").await?;
    browser.assert_clean().await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Starts signing in and returns the `state` the SPA sent to the hosted UI.
async fn start_sign_in(browser: &Browser, stack: &devstack::Stack) -> Result<String> {
    browser.goto(stack.spa_url().as_str()).await?;
    browser.click_button("Sign in").await?;
    let at_hosted_ui = browser
        .wait_for_url("the hosted UI with a state", |url| {
            url.origin() == stack.cognito_url().origin()
                && url.query_pairs().any(|(name, _)| name == "state")
        })
        .await?;
    at_hosted_ui
        .query_pairs()
        .find(|(name, _)| name == "state")
        .map(|(_, state)| state.into_owned())
        .context("no state")
}

/// Scenario 7: an answer whose `state` was not issued by this tab is refused before any code
/// exchange, and nobody is signed in.
#[tokio::test]
async fn forged_state_is_refused() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("forged-state").await?;
    start_sign_in(&browser, &stack).await?;
    let forged = stack
        .spa_url()
        .join("/callback?code=attacker-code&state=attacker-state")?;
    browser.goto(forged.as_str()).await?;
    browser
        .wait_for_text("This sign-in answer cannot be used")
        .await?;
    browser
        .wait_for_text("does not belong to the sign-in this tab started")
        .await?;
    browser.button("Try again").await?;
    browser.assert_clean().await?;
    browser.screenshot("callback").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 7: `error=access_denied` from the hosted UI is shown in plain words.
#[tokio::test]
async fn access_denied_from_the_hosted_ui_is_explained() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("access-denied").await?;
    let state = start_sign_in(&browser, &stack).await?;
    let mut answer = stack.spa_url().join("/callback")?;
    answer
        .query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_description", "The user cancelled")
        .append_pair("state", &state);
    browser.goto(answer.as_str()).await?;
    browser
        .wait_for_text("The sign-in page sent you back with an error")
        .await?;
    browser
        .wait_for_text("Sign-in was cancelled or access was denied.")
        .await?;
    browser.assert_clean().await?;
    browser.screenshot("callback").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 7: tokens with a bad signature (devstack's `testing.tamper_signatures`) sign
/// nobody in, and the page says why.
#[tokio::test]
async fn tokens_with_a_bad_signature_are_refused() -> Result<()> {
    let stack = start_devstack(|config| config.testing.tamper_signatures = true).await?;
    let browser = Browser::launch("tampered-token").await?;
    browser.goto(stack.spa_url().as_str()).await?;
    browser.click_button("Sign in").await?;
    browser
        .sign_in_on_hosted_ui(stack.cognito_url(), DEMO)
        .await?;
    browser
        .wait_for_text("The tokens from the sign-in did not pass the checks")
        .await?;
    browser
        .wait_for_text("signature does not verify with the issuer's key")
        .await?;
    assert!(
        !browser.page_text().await?.contains("Hello, demo"),
        "signed in with a tampered token"
    );
    browser.assert_clean().await?;
    browser.screenshot("callback").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 7: the SPA served from an origin the API's CORS does not allow explains the
/// blocked request, naming the page's origin.
#[tokio::test]
async fn an_origin_the_api_does_not_allow_is_explained() -> Result<()> {
    let stack = start_devstack(|config| {
        config.api.cors.allow_origins = vec!["https://app.example.com".to_owned()];
    })
    .await?;
    let browser = Browser::launch("cors-refused").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/api").await?;
    let page_origin = stack.spa_url().origin().ascii_serialization();
    for slug in ["get-open", "get-hello"] {
        let refused = call_route(&browser, slug).await?;
        assert_contains(
            &refused,
            &[
                "the browser withheld the answer from this page (CORS)",
                &format!("This page runs on {page_origin}."),
            ],
        );
    }
    browser.assert_clean().await?;
    browser.screenshot("api").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 7: the API going away while the page is open is explained as unreachable.
#[tokio::test]
async fn an_unreachable_api_is_explained() -> Result<()> {
    let stack = start_devstack(|_| {}).await?;
    let browser = Browser::launch("api-unreachable").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/api").await?;
    browser.wait_for_text("API console").await?;
    let api_url = stack.api_url().join("/open")?;
    // The page stays loaded in the browser; every server of the stack stops.
    stack.shutdown().await;
    let unreachable = call_route(&browser, "get-open").await?;
    assert_contains(
        &unreachable,
        &[
            &format!(
                "Nothing answered at {}.",
                api_url.as_str().trim_end_matches('/')
            ),
            "api_base_url",
        ],
    );
    browser.assert_clean().await?;
    browser.screenshot("api").await?;
    browser.close().await?;
    Ok(())
}

/// The sessionStorage key where the SPA keeps tokens with `token_storage: "session"`.
const TOKENS_KEY: &str = "cognito-spa.tokens";

/// One of the tokens the current tab keeps in sessionStorage (`id_token`, `access_token`,
/// `refresh_token`), if any.
async fn stored_token(browser: &Browser, name: &str) -> Result<Option<String>> {
    let token = browser
        .client()
        .execute(
            "const stored = sessionStorage.getItem(arguments[0]);\
             return stored === null ? null : JSON.parse(stored)[arguments[1]];",
            vec![json!(TOKENS_KEY), json!(name)],
        )
        .await?;
    Ok(token.as_str().map(str::to_owned))
}

/// How many entries of this tab's history are on the hosted UI's origin.
async fn hosted_ui_history_entries(browser: &Browser, stack: &devstack::Stack) -> Result<usize> {
    let origin = stack.cognito_url().origin();
    Ok(browser
        .history_urls()
        .await?
        .iter()
        .filter(|url| Url::parse(url).is_ok_and(|url| url.origin() == origin))
        .count())
}

/// Scenario 4: with `session` storage a reload keeps the session.
#[tokio::test]
async fn reload_keeps_the_session_with_session_storage() -> Result<()> {
    let stack = start_devstack(|config| config.spa.token_storage = TokenStorage::Session).await?;
    let browser = Browser::launch("reload-session").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/profile").await?;
    browser.wait_for_text("demo@example.com").await?;
    let keys = browser.session_storage_keys().await?;
    assert!(keys.iter().any(|key| key == TOKENS_KEY), "{keys:?}");

    browser.client().refresh().await?;
    browser.wait_for_text("demo@example.com").await?;
    browser.wait_for_path(stack.spa_url(), "/profile").await?;
    assert_eq!(
        hosted_ui_history_entries(&browser, &stack).await?,
        1,
        "the reload went through the hosted UI"
    );
    browser.assert_clean().await?;
    browser.screenshot("profile-after-reload").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 4: with `memory` storage a reload forgets the tokens; signing in again bounces
/// through the hosted UI without the password form (its session cookie).
#[tokio::test]
async fn reload_with_memory_storage_signs_in_again_without_the_password() -> Result<()> {
    let stack = start_devstack(|config| config.spa.token_storage = TokenStorage::Memory).await?;
    let browser = Browser::launch("reload-memory").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/profile").await?;
    browser.wait_for_text("demo@example.com").await?;
    let stored = browser.session_storage_text().await?;
    assert!(
        !stored.contains("eyJ"),
        "memory storage put a token in sessionStorage:\n{stored}"
    );
    assert_eq!(hosted_ui_history_entries(&browser, &stack).await?, 1);

    browser.client().refresh().await?;
    // Signed out by the reload, the protected page sends the browser to the hosted UI, whose
    // session cookie sends it straight back with a code.
    browser.wait_for_text("demo@example.com").await?;
    browser.wait_for_path(stack.spa_url(), "/profile").await?;
    assert_eq!(
        hosted_ui_history_entries(&browser, &stack).await?,
        1,
        "the password form was shown again"
    );
    browser.assert_clean().await?;
    browser.screenshot("profile-after-reload").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Asks the token endpoint for new tokens with `refresh_token`, as a client would.
async fn refresh_with(stack: &devstack::Stack, refresh_token: &str) -> Result<reqwest::Response> {
    let client_id = "3n4b5urk1ft4fl3mg5e62d9ado";
    Ok(reqwest::Client::new()
        .post(stack.cognito_url().join("/oauth2/token")?)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await?)
}

/// Scenario 5: signing out revokes the refresh token, signs out the other tab, and Back does not
/// bring the session back.
#[tokio::test]
async fn sign_out_revokes_signs_out_other_tabs_and_back_does_not_restore() -> Result<()> {
    let stack = start_devstack(|config| config.spa.token_storage = TokenStorage::Session).await?;
    let browser = Browser::launch("sign-out").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/profile").await?;
    browser.wait_for_text("demo@example.com").await?;
    let first_tab = browser.current_tab().await?;
    let refresh_token = stored_token(&browser, "refresh_token")
        .await?
        .context("no refresh token stored")?;
    let before = refresh_with(&stack, &refresh_token).await?;
    assert_eq!(
        before.status(),
        200,
        "the refresh token works before sign-out"
    );

    // A second tab signs in too (the hosted UI's cookie: no password) and shows the profile.
    let second_tab = browser
        .open_tab(stack.spa_url().join("/profile")?.as_str())
        .await?;
    browser.wait_for_text("demo@example.com").await?;

    browser.switch_to(&first_tab).await?;
    browser.click_button("Sign out").await?;
    browser
        .wait_for_path(stack.spa_url(), "/signed-out")
        .await?;
    browser.wait_for_text("You are signed out").await?;
    browser.assert_clean().await?;
    browser.screenshot("signed-out").await?;
    assert_eq!(stored_token(&browser, "refresh_token").await?, None);

    let after = refresh_with(&stack, &refresh_token).await?;
    assert_eq!(after.status(), 400, "the revoked refresh token still works");
    let refusal: serde_json::Value = after.json().await?;
    assert_eq!(refusal["error"], "invalid_grant", "{refusal}");

    browser.switch_to(&second_tab).await?;
    browser
        .wait_for_text("You signed out in another tab.")
        .await?;
    assert!(
        !browser.page_text().await?.contains("demo@example.com"),
        "the other tab still shows the profile"
    );
    assert_eq!(stored_token(&browser, "access_token").await?, None);
    browser.assert_clean().await?;
    browser.screenshot("other-tab").await?;

    browser.switch_to(&first_tab).await?;
    browser.client().back().await?;
    // From the back/forward cache the page comes back as it was left, waiting for /logout, and
    // moves on to the signed-out page; loaded afresh it moves on to /sign-in and waits there
    // (Back is not sent straight to the hosted UI). Either way signed out, not stuck.
    browser
        .wait_for_url("the app signed out again", |url| {
            url.origin() == stack.spa_url().origin()
                && ["/signed-out", "/sign-in"].contains(&url.path())
        })
        .await?;
    browser.button("Sign in").await?;
    let text = browser.page_text().await?;
    assert!(
        !text.contains("demo@example.com") && !text.contains("Signing out"),
        "Back restored the session, or a page stuck signing out:\n{text}"
    );
    assert_eq!(stored_token(&browser, "access_token").await?, None);
    browser.assert_clean().await?;
    browser.screenshot("after-back").await?;

    // Signing in again from there: the hosted UI's session ended too, so it asks for the
    // password again.
    browser.click_button("Sign in").await?;
    browser
        .wait_for_url("the hosted UI", |url| {
            url.origin() == stack.cognito_url().origin()
        })
        .await?;
    browser.element("#password").await?;
    browser.assert_clean().await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Token lifetime for the refresh scenarios (devstack's test switch; Cognito's shortest is five
/// minutes). The SPA renews 10 % of it before expiry (three seconds here), and waits at least
/// five seconds after a renewal, so 30 seconds leaves a clear margin on both sides.
const SHORT_LIFETIME_SECONDS: u32 = 30;
/// Long enough for a 30-second token to be renewed and to expire, with room for a slow machine.
const REFRESH_DEADLINE: Duration = Duration::from_secs(45);

fn short_lived_tokens(config: &mut devstack::Config, rotation: bool) {
    config.spa.token_storage = TokenStorage::Session;
    config.testing.token_lifetime_seconds_override = Some(SHORT_LIFETIME_SECONDS);
    for client in &mut config.app_clients {
        client.refresh_token_rotation = rotation;
    }
}

/// The `exp` claim of a JWT, read in the page (the test only looks, it does not verify).
async fn expiry_of(browser: &Browser, jwt: &str) -> Result<u64> {
    let exp = browser
        .client()
        .execute(
            "const part = arguments[0].split('.')[1].replace(/-/g, '+').replace(/_/g, '/');\
             return JSON.parse(atob(part)).exp;",
            vec![json!(jwt)],
        )
        .await?;
    exp.as_u64().context("the token has no numeric exp")
}

/// Waits until the current tab's stored access token is no longer `old`.
async fn wait_for_renewal(browser: &Browser, old: &str) -> Result<String> {
    browser
        .wait_for_within(REFRESH_DEADLINE, "the session to renew itself", || async {
            Ok(stored_token(browser, "access_token")
                .await?
                .filter(|token| token != old))
        })
        .await
}

/// Waits until the clock is past `exp` (seconds since the epoch), so a call with the first
/// token would be refused.
async fn wait_until_expired(browser: &Browser, exp: u64) -> Result<()> {
    browser
        .wait_for_within(
            REFRESH_DEADLINE,
            "the first access token to expire",
            || async {
                let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
                Ok((now > exp).then_some(()))
            },
        )
        .await
}

/// Scenario 3: with 30-second tokens the session renews by itself, and the API keeps
/// answering after the first token expired, without a 401 and retry.
#[tokio::test]
async fn short_lived_tokens_are_renewed_before_they_expire() -> Result<()> {
    let stack = start_devstack(|config| short_lived_tokens(config, false)).await?;
    let browser = Browser::launch("refresh").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/api").await?;
    let first = stored_token(&browser, "access_token")
        .await?
        .context("no access token stored")?;
    let first_refresh = stored_token(&browser, "refresh_token").await?;
    let first_exp = expiry_of(&browser, &first).await?;

    wait_for_renewal(&browser, &first).await?;
    assert_eq!(
        stored_token(&browser, "refresh_token").await?,
        first_refresh,
        "without rotation the refresh token stays"
    );
    wait_until_expired(&browser, first_exp).await?;
    let hello = call_route(&browser, "get-hello").await?;
    assert_contains(&hello, &["GET /hello answered 200.", "Hello, demo!"]);
    assert!(
        !hello.contains("retried after a token refresh"),
        "the token was renewed late:\n{hello}"
    );
    browser.assert_clean().await?;
    browser.screenshot("api").await?;
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}

/// Scenario 3: with rotation on, two tabs sharing one session (the second opened from the
/// first, so it starts with a copy of its sessionStorage) both stay signed in through renewals.
#[tokio::test]
async fn two_tabs_sharing_a_rotating_session_both_keep_working() -> Result<()> {
    let stack = start_devstack(|config| short_lived_tokens(config, true)).await?;
    let browser = Browser::launch("refresh-two-tabs").await?;
    sign_in_from_home(&browser, &stack, DEMO).await?;
    browser.follow_link("/api").await?;
    let first_tab = browser.current_tab().await?;
    let first = stored_token(&browser, "access_token")
        .await?
        .context("no access token stored")?;
    let first_refresh = stored_token(&browser, "refresh_token").await?;
    let first_exp = expiry_of(&browser, &first).await?;

    let second_tab = browser
        .open_tab_from_page(stack.spa_url().join("/api")?.as_str())
        .await?;
    browser.wait_for_text("API console").await?;
    assert_eq!(
        stored_token(&browser, "refresh_token").await?,
        first_refresh,
        "the second tab does not share the session"
    );

    for tab in [&first_tab, &second_tab] {
        browser.switch_to(tab).await?;
        wait_for_renewal(&browser, &first).await?;
    }
    wait_until_expired(&browser, first_exp).await?;
    for (tab, name) in [(&first_tab, "first-tab"), (&second_tab, "second-tab")] {
        browser.switch_to(tab).await?;
        assert_ne!(
            stored_token(&browser, "refresh_token").await?,
            first_refresh,
            "rotation gave {name} no new refresh token"
        );
        let hello = call_route(&browser, "get-hello").await?;
        assert_contains(&hello, &["GET /hello answered 200.", "Hello, demo!"]);
        browser.assert_clean().await?;
        browser.screenshot(name).await?;
    }
    browser.close().await?;
    stack.shutdown().await;
    Ok(())
}
