//! What an end user meets: the release SPA in headless Chromium against devstack on three
//! loopback origins. Every scenario also checks, on every page it visits, that nothing is in
//! localStorage, no token or code is in the address bar or history, and no CSP violation happened.

use anyhow::{Context, Result};
use devstack::config::TokenStorage;
use e2e::scenario::TOKENS_KEY;
use e2e::{ADMIN, Browser, DEMO, Scenario, User, assert_contains};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod support;
use support::refresh_with;

/// The signed-out home page's heading.
const HOME_SIGNED_OUT: &str = "Sign in with Cognito, then call a protected API";

/// The app loads under a strict Content-Security-Policy (so "no violation" below means
/// something), signed out, and an unknown address shows the not-found page.
#[tokio::test]
async fn home_page_loads_signed_out_under_a_strict_csp() -> Result<()> {
    Scenario::run("smoke", async |s| {
        let index = reqwest::get(s.spa_url().as_str()).await?;
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

        let browser = &s.browser;
        s.open("/").await?;
        browser.wait_for_text(HOME_SIGNED_OUT).await?;
        browser.button("Sign in").await?;
        browser.assert_clean_and_screenshot("home").await?;

        s.open("/no-such-page").await?;
        browser.wait_for_text("Page not found").await?;
        browser.wait_for_text("/no-such-page").await?;
        browser.assert_clean_and_screenshot("not-found").await
    })
    .await
}

/// Scenario 1: sign in as demo from the home page, come back to it, and see the profile.
#[tokio::test]
async fn demo_signs_in_lands_where_they_started_and_sees_their_profile() -> Result<()> {
    Scenario::run("sign-in", async |s| {
        let browser = &s.browser;
        s.open("/").await?;
        browser.wait_for_text(HOME_SIGNED_OUT).await?;
        browser
            .assert_clean_and_screenshot("home-signed-out")
            .await?;

        browser.click_button("Sign in").await?;
        s.wait_for_hosted_ui().await?;
        browser.element("#username").await?;
        browser.assert_clean_and_screenshot("hosted-ui").await?;
        s.enter_password(DEMO).await?;

        browser.wait_for_text("Hello, demo").await?;
        s.wait_for_spa_path("/").await?;
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
        browser
            .assert_clean_and_screenshot("home-signed-in")
            .await?;

        browser.follow_link("/profile").await?;
        s.wait_for_spa_path("/profile").await?;
        browser.wait_for_text("Your profile").await?;
        browser.wait_for_text("Access token").await?;
        // userInfo answers after the page shows; its email row is the last thing to appear.
        browser.element(".user-info dl").await?;
        let profile = browser.page_text().await?;
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
            s.issuer(),
            "3n4b5urk1ft4fl3mg5e62d9ado",
        ] {
            assert!(
                profile.contains(expected),
                "profile lacks {expected:?}:\n{profile}"
            );
        }
        browser.assert_clean_and_screenshot("profile").await
    })
    .await
}

/// Scenario 2: every route from the API console as demo, who is refused /admin with the reason.
#[tokio::test]
async fn api_console_calls_every_route_and_explains_the_admin_refusal() -> Result<()> {
    Scenario::run("api-console", async |s| {
        let browser = &s.browser;
        s.sign_in_as(DEMO).await?;
        browser.follow_link("/api").await?;
        browser.wait_for_text("API console").await?;

        let open = s.call_route("get-open").await?;
        assert_contains(
            &open,
            &["GET /open answered 200.", "\"time\"", "x-request-id"],
        );
        call_hello_as_demo(s).await?;
        let echo = s.call_route("get-echo").await?;
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
        let posted = s.call_route("post-echo").await?;
        assert_contains(
            &posted,
            &["POST /echo answered 200.", "\"sent_by\": \"e2e\""],
        );
        let admin = s.call_route("get-admin").await?;
        assert_contains(
            &admin,
            &[
                "GET /admin is only for members of the admin group, and you are not one (403).",
                "Sign in as a user in the admin group",
            ],
        );
        browser.assert_clean_and_screenshot("demo").await
    })
    .await
}

/// Scenario 2: the admin user may call /admin from the API console.
#[tokio::test]
async fn api_console_lets_the_admin_call_the_admin_route() -> Result<()> {
    Scenario::run("api-console-admin", async |s| {
        s.sign_in_as(ADMIN).await?;
        s.browser.follow_link("/api").await?;
        let admin = s.call_route("get-admin").await?;
        assert_contains(&admin, &["GET /admin answered 200.", "\"admin\""]);
        s.browser.assert_clean_and_screenshot("admin").await
    })
    .await
}

/// Scenario 6: a deep link to a protected page while signed out comes back there after sign-in.
#[tokio::test]
async fn deep_link_to_a_protected_page_returns_there_after_sign_in() -> Result<()> {
    Scenario::run("deep-link", async |s| {
        s.open("/api").await?;
        s.enter_password(DEMO).await?;
        s.wait_for_spa_path("/api").await?;
        s.browser.wait_for_text("API console").await?;
        let hello = s.call_route("get-hello").await?;
        assert_contains(&hello, &["Hello, demo!"]);
        s.browser.assert_clean_and_screenshot("api").await
    })
    .await
}

/// A sign-in link whose return path resolves to another host (`/.//evil.example` is the path
/// `//evil.example`) lands on the home page, both through the hosted UI and, signed in (the
/// session kept in this tab), straight away; and the app keeps working.
#[tokio::test]
async fn a_sign_in_link_cannot_send_anyone_to_another_host() -> Result<()> {
    Scenario::run_with("return-to-elsewhere", session_storage, async |s| {
        let link = "/sign-in?return_to=%2F.%2F%2Fevil.example";
        s.open(link).await?;
        s.enter_password(DEMO).await?;
        s.wait_for_spa_path("/").await?;
        s.browser.wait_for_text("Hello, demo").await?;

        s.open(link).await?;
        s.wait_for_spa_path("/").await?;
        s.browser.wait_for_text("Hello, demo").await?;
        s.browser.follow_link("/profile").await?;
        s.browser.wait_for_text("Your profile").await?;
        s.browser.assert_clean().await
    })
    .await
}

/// Scenario 7: a wrong password is refused on the hosted UI, and the right one then works.
#[tokio::test]
async fn wrong_password_is_refused_on_the_hosted_ui() -> Result<()> {
    Scenario::run("wrong-password", async |s| {
        s.press_sign_in_on_home().await?;
        let wrong = User {
            username: DEMO.username,
            password: "not-the-password",
        };
        s.enter_password(wrong).await?;
        s.browser
            .wait_for_text("Incorrect username or password.")
            .await?;
        s.browser.assert_clean_and_screenshot("hosted-ui").await?;
        s.enter_password(DEMO).await?;
        s.browser.wait_for_text("Hello, demo").await?;
        s.browser.assert_clean().await
    })
    .await
}

/// Scenario 7: an answer whose `state` was not issued by this tab is refused before any code
/// exchange, and nobody is signed in.
#[tokio::test]
async fn forged_state_is_refused() -> Result<()> {
    Scenario::run("forged-state", async |s| {
        s.start_sign_in().await?;
        s.open("/callback?code=attacker-code&state=attacker-state")
            .await?;
        let browser = &s.browser;
        browser
            .wait_for_text("This sign-in answer cannot be used")
            .await?;
        browser
            .wait_for_text("does not belong to the sign-in this tab started")
            .await?;
        browser.button("Try again").await?;
        browser.assert_clean_and_screenshot("callback").await
    })
    .await
}

/// Scenario 7: `error=access_denied` from the hosted UI is shown in plain words.
#[tokio::test]
async fn access_denied_from_the_hosted_ui_is_explained() -> Result<()> {
    Scenario::run("access-denied", async |s| {
        let state = s.start_sign_in().await?;
        let mut answer = s.spa("/callback")?;
        answer
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "The user cancelled")
            .append_pair("state", &state);
        let browser = &s.browser;
        browser.goto(answer.as_str()).await?;
        browser
            .wait_for_text("The sign-in page sent you back with an error")
            .await?;
        browser
            .wait_for_text("Sign-in was cancelled or access was denied.")
            .await?;
        browser.assert_clean_and_screenshot("callback").await
    })
    .await
}

/// Scenario 7: tokens with a bad signature (devstack's `testing.tamper_signatures`) sign
/// nobody in, and the page says why.
#[tokio::test]
async fn tokens_with_a_bad_signature_are_refused() -> Result<()> {
    let tamper = |config: &mut devstack::Config| config.testing.tamper_signatures = true;
    Scenario::run_with("tampered-token", tamper, async |s| {
        let browser = &s.browser;
        s.press_sign_in_on_home().await?;
        s.enter_password(DEMO).await?;
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
        browser.assert_clean_and_screenshot("callback").await
    })
    .await
}

/// Scenario 7: the SPA served from an origin the API's CORS does not allow explains the
/// blocked request, naming the page's origin.
#[tokio::test]
async fn an_origin_the_api_does_not_allow_is_explained() -> Result<()> {
    let allow_another_origin = |config: &mut devstack::Config| {
        config.api.cors.allow_origins = vec!["https://app.example.com".to_owned()];
    };
    Scenario::run_with("cors-refused", allow_another_origin, async |s| {
        s.sign_in_as(DEMO).await?;
        s.browser.follow_link("/api").await?;
        let page_origin = s.spa_url().origin().ascii_serialization();
        for slug in ["get-open", "get-hello"] {
            let refused = s.call_route(slug).await?;
            assert_contains(
                &refused,
                &[
                    "the browser withheld the answer from this page (CORS)",
                    &format!("This page runs on {page_origin}."),
                ],
            );
        }
        s.browser.assert_clean_and_screenshot("api").await
    })
    .await
}

/// Scenario 7: the API going away while the page is open is explained as unreachable.
#[tokio::test]
async fn an_unreachable_api_is_explained() -> Result<()> {
    Scenario::run("api-unreachable", async |s| {
        s.sign_in_as(DEMO).await?;
        s.browser.follow_link("/api").await?;
        s.browser.wait_for_text("API console").await?;
        let api_url = s.api_url().join("/open")?;
        // The page stays loaded in the browser; every server of the stack stops.
        s.stop_stack().await;
        let unreachable = s.call_route("get-open").await?;
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
        s.browser.assert_clean_and_screenshot("api").await
    })
    .await
}

fn session_storage(config: &mut devstack::Config) {
    config.spa.token_storage = TokenStorage::Session;
}

/// Scenario 4: with `session` storage a reload keeps the session.
#[tokio::test]
async fn reload_keeps_the_session_with_session_storage() -> Result<()> {
    Scenario::run_with("reload-session", session_storage, async |s| {
        let browser = &s.browser;
        s.sign_in_as(DEMO).await?;
        browser.follow_link("/profile").await?;
        browser.wait_for_text("demo@example.com").await?;
        let keys = browser.session_storage_keys().await?;
        assert!(keys.iter().any(|key| key == TOKENS_KEY), "{keys:?}");

        browser.client().refresh().await?;
        browser.wait_for_text("demo@example.com").await?;
        s.wait_for_spa_path("/profile").await?;
        assert_eq!(
            s.hosted_ui_history_entries().await?,
            1,
            "the reload went through the hosted UI"
        );
        browser
            .assert_clean_and_screenshot("profile-after-reload")
            .await
    })
    .await
}

/// Scenario 4: with `memory` storage a reload forgets the tokens; signing in again bounces
/// through the hosted UI without the password form (its session cookie).
#[tokio::test]
async fn reload_with_memory_storage_signs_in_again_without_the_password() -> Result<()> {
    let memory_storage = |config: &mut devstack::Config| {
        config.spa.token_storage = TokenStorage::Memory;
    };
    Scenario::run_with("reload-memory", memory_storage, async |s| {
        let browser = &s.browser;
        s.sign_in_as(DEMO).await?;
        browser.follow_link("/profile").await?;
        browser.wait_for_text("demo@example.com").await?;
        let stored = browser.session_storage_text().await?;
        assert!(
            !stored.contains("eyJ"),
            "memory storage put a token in sessionStorage:\n{stored}"
        );
        assert_eq!(s.hosted_ui_history_entries().await?, 1);

        browser.client().refresh().await?;
        // Signed out by the reload, the protected page sends the browser to the hosted UI, whose
        // session cookie sends it straight back with a code.
        browser.wait_for_text("demo@example.com").await?;
        s.wait_for_spa_path("/profile").await?;
        assert_eq!(
            s.hosted_ui_history_entries().await?,
            1,
            "the password form was shown again"
        );
        browser
            .assert_clean_and_screenshot("profile-after-reload")
            .await
    })
    .await
}

/// Scenario 5: signing out revokes the refresh token, signs out the other tab, and Back does not
/// bring the session back.
#[tokio::test]
async fn sign_out_revokes_signs_out_other_tabs_and_back_does_not_restore() -> Result<()> {
    Scenario::run_with("sign-out", session_storage, async |s| {
        let browser = &s.browser;
        s.sign_in_as(DEMO).await?;
        browser.follow_link("/profile").await?;
        browser.wait_for_text("demo@example.com").await?;
        let first_tab = browser.current_tab().await?;
        let refresh_token = s
            .stored_token("refresh_token")
            .await?
            .context("no refresh token stored")?;
        let before = refresh_with(s, &refresh_token).await?;
        assert_eq!(
            before.status(),
            200,
            "the refresh token works before sign-out"
        );

        // A second tab signs in too (the hosted UI's cookie: no password) and shows the profile.
        let second_tab = browser.open_tab(s.spa("/profile")?.as_str()).await?;
        browser.wait_for_text("demo@example.com").await?;

        browser.switch_to(&first_tab).await?;
        browser.click_button("Sign out").await?;
        s.wait_for_spa_path("/signed-out").await?;
        browser.wait_for_text("You are signed out").await?;
        browser.assert_clean_and_screenshot("signed-out").await?;
        assert_eq!(s.stored_token("refresh_token").await?, None);

        let after = refresh_with(s, &refresh_token).await?;
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
        assert_eq!(s.stored_token("access_token").await?, None);
        browser.assert_clean_and_screenshot("other-tab").await?;

        browser.switch_to(&first_tab).await?;
        browser.client().back().await?;
        // From the back/forward cache the page comes back as it was left, waiting for /logout,
        // and moves on to the signed-out page; loaded afresh it moves on to /sign-in and waits
        // there (Back is not sent straight to the hosted UI). Either way signed out, not stuck.
        let spa_origin = s.spa_url().origin();
        browser
            .wait_for_url("the app signed out again", |url| {
                url.origin() == spa_origin && ["/signed-out", "/sign-in"].contains(&url.path())
            })
            .await?;
        browser.button("Sign in").await?;
        let text = browser.page_text().await?;
        assert!(
            !text.contains("demo@example.com") && !text.contains("Signing out"),
            "Back restored the session, or a page stuck signing out:\n{text}"
        );
        assert_eq!(s.stored_token("access_token").await?, None);
        browser.assert_clean_and_screenshot("after-back").await?;

        // Signing in again from there: the hosted UI's session ended too, so it asks for the
        // password again.
        browser.click_button("Sign in").await?;
        s.wait_for_hosted_ui().await?;
        browser.element("#password").await?;
        browser.assert_clean().await
    })
    .await
}

/// Token lifetime for the refresh scenarios (devstack's test switch; Cognito's shortest is five
/// minutes). The SPA renews 10 % of it before expiry (three seconds here), and waits at least
/// five seconds after a renewal, so 30 seconds leaves a clear margin on both sides.
const SHORT_LIFETIME_SECONDS: u32 = 30;
/// Long enough for a 30-second token to be renewed and to expire, with room for a slow machine.
const REFRESH_DEADLINE: Duration = Duration::from_secs(45);

/// Short-lived tokens in `session` storage; the SPA's client rotating refresh tokens or not
/// (the command line's client never does: it refreshes with REFRESH_TOKEN_AUTH).
fn short_lived_tokens(config: &mut devstack::Config, rotation: bool) {
    config.spa.token_storage = TokenStorage::Session;
    config.testing.token_lifetime_seconds_override = Some(SHORT_LIFETIME_SECONDS);
    config.app_clients[0].refresh_token_rotation = rotation;
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
async fn wait_for_renewal(s: &Scenario, old: &str) -> Result<String> {
    s.browser
        .wait_for_within(REFRESH_DEADLINE, "the session to renew itself", || async {
            Ok(s.stored_token("access_token")
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

/// The tokens a session started with, to tell renewed ones from them.
struct FirstTokens {
    access: String,
    refresh: Option<String>,
    /// The access token's `exp`.
    access_expiry: u64,
}

/// Signs in as demo, opens the API console and notes the tokens the session started with.
async fn sign_in_on_the_api_console(s: &Scenario) -> Result<FirstTokens> {
    s.sign_in_as(DEMO).await?;
    s.browser.follow_link("/api").await?;
    let access = s
        .stored_token("access_token")
        .await?
        .context("no access token stored")?;
    Ok(FirstTokens {
        refresh: s.stored_token("refresh_token").await?,
        access_expiry: expiry_of(&s.browser, &access).await?,
        access,
    })
}

/// Sends GET /hello from the API console, checks that it greeted demo, and returns the card.
async fn call_hello_as_demo(s: &Scenario) -> Result<String> {
    let hello = s.call_route("get-hello").await?;
    assert_contains(&hello, &["GET /hello answered 200.", "Hello, demo!"]);
    Ok(hello)
}

/// Scenario 3: with 30-second tokens the session renews by itself, and the API keeps
/// answering after the first token expired, without a 401 and retry.
#[tokio::test]
async fn short_lived_tokens_are_renewed_before_they_expire() -> Result<()> {
    let no_rotation = |config: &mut devstack::Config| short_lived_tokens(config, false);
    Scenario::run_with("refresh", no_rotation, async |s| {
        let first = sign_in_on_the_api_console(s).await?;

        wait_for_renewal(s, &first.access).await?;
        assert_eq!(
            s.stored_token("refresh_token").await?,
            first.refresh,
            "without rotation the refresh token stays"
        );
        wait_until_expired(&s.browser, first.access_expiry).await?;
        let hello = call_hello_as_demo(s).await?;
        assert!(
            !hello.contains("retried after a token refresh"),
            "the token was renewed late:\n{hello}"
        );
        s.browser.assert_clean_and_screenshot("api").await
    })
    .await
}

/// Scenario 3: with rotation on (devstack's default), two tabs sharing one session (the second
/// opened from the first, so it starts with a copy of its sessionStorage) both stay signed in
/// through renewals. Without a grace period, the strictest setting Cognito allows: a refresh
/// with a token the other tab already rotated is refused at once, so the tabs must serialize
/// their refreshes (the refresh lock) and take up each other's renewals.
#[tokio::test]
async fn two_tabs_sharing_a_rotating_session_both_keep_working() -> Result<()> {
    let rotation = |config: &mut devstack::Config| {
        short_lived_tokens(config, true);
        config.app_clients[0].refresh_token_retry_grace_seconds = 0;
    };
    Scenario::run_with("refresh-two-tabs", rotation, async |s| {
        let browser = &s.browser;
        let first = sign_in_on_the_api_console(s).await?;
        let first_tab = browser.current_tab().await?;

        let second_tab = browser.open_tab_from_page(s.spa("/api")?.as_str()).await?;
        browser.wait_for_text("API console").await?;
        assert_eq!(
            s.stored_token("refresh_token").await?,
            first.refresh,
            "the second tab does not share the session"
        );

        for tab in [&first_tab, &second_tab] {
            browser.switch_to(tab).await?;
            wait_for_renewal(s, &first.access).await?;
        }
        wait_until_expired(browser, first.access_expiry).await?;
        for (tab, name) in [(&first_tab, "first-tab"), (&second_tab, "second-tab")] {
            browser.switch_to(tab).await?;
            assert_ne!(
                s.stored_token("refresh_token").await?,
                first.refresh,
                "rotation gave {name} no new refresh token"
            );
            call_hello_as_demo(s).await?;
            browser.assert_clean_and_screenshot(name).await?;
        }
        Ok(())
    })
    .await
}
