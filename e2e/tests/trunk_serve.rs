//! The development loop (`cargo xtask dev --watch`, README: Develop with live reload): the real
//! `trunk serve` from Trunk.toml, debug build with its live-reload script, beside devstack
//! serving no SPA. A developer signs in, calls the API, saves a file and gets the page reloaded,
//! with no Content-Security-Policy violation: the dev headers are strict enough to show one.
//!
//! Its own test binary, so that trunk's build does not share the two cores with the other
//! scenarios' browsers (cargo runs test binaries one after another).

use anyhow::{Context, Result};
use e2e::{DEMO, Scenario, assert_contains};
use std::time::{Duration, Instant};

/// How long a rebuild after a save may take (cargo finds nothing to do; wasm-bindgen runs again).
const REBUILD_DEADLINE: Duration = Duration::from_secs(120);

#[tokio::test]
async fn trunk_serve_beside_devstack_signs_in_calls_the_api_and_reloads_under_the_dev_csp()
-> Result<()> {
    let started = Instant::now();
    Scenario::run_with_trunk_serve("trunk-serve", async |s| {
        println!("trunk serve's first build: {:.0?}", started.elapsed());
        let index = reqwest::get(s.spa_url().as_str()).await?;
        let csp = index
            .headers()
            .get("content-security-policy")
            .context("trunk serve sends no Content-Security-Policy")?
            .to_str()?
            .to_owned();
        let html = index.text().await?;
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'nonce-"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            csp.contains(&format!(
                "connect-src 'self' {} {};",
                s.cognito_url().origin().ascii_serialization(),
                s.api_url().origin().ascii_serialization()
            )),
            "{csp}"
        );
        // The page really carries trunk's live-reload script, so "no violation" covers it.
        assert!(html.contains(".well-known/trunk/ws"), "no live reload:\n{html}");

        let browser = &s.browser;
        s.sign_in_as(DEMO).await?;
        browser.assert_clean_and_screenshot("home-signed-in").await?;
        browser.follow_link("/api").await?;
        browser.wait_for_text("API console").await?;
        let hello = s.call_route("get-hello").await?;
        assert_contains(&hello, &["GET /hello answered 200.", "Hello, demo!"]);
        browser.assert_clean_and_screenshot("api-console").await?;

        // Saving a watched file: trunk rebuilds and the live-reload script reloads the page. On
        // the home page, which a reload (the session was in memory) shows signed out.
        browser.follow_link("/").await?;
        s.wait_for_spa_path("/").await?;
        browser.script("window.beforeTheEdit = true; return null;").await?;
        let trunk = s.trunk().context("the scenario runs trunk serve")?;
        trunk.trigger_rebuild()?;
        let rebuild = Instant::now();
        browser
            .wait_for_within(REBUILD_DEADLINE, "the page reloaded by trunk", || async {
                let reloaded = browser
                    .script("return document.readyState === 'complete' && window.beforeTheEdit === undefined;")
                    .await?;
                Ok((reloaded == serde_json::Value::Bool(true)).then_some(()))
            })
            .await
            .with_context(|| format!("trunk's output:\n{}", trunk.log_tail()))?;
        println!("rebuild and reload after a save: {:.1?}", rebuild.elapsed());
        browser.button("Sign in").await?;
        browser.assert_clean_and_screenshot("reloaded").await
    })
    .await?;
    println!("whole scenario: {:.0?}", started.elapsed());
    Ok(())
}
