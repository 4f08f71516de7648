//! The harness's own checks can fail: against a small page server that breaks each rule on
//! purpose, the detectors the scenarios rely on (CSP reports, localStorage, history) fire; and a
//! scenario that fails half-way still stops what it started.

use anyhow::Context;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use e2e::{Browser, Scenario};
use url::Url;

const CSP: &str = "default-src 'none'; script-src 'self'";

fn page(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
        ],
        body,
    )
}

fn script(body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript")], body)
}

fn pages() -> Router {
    Router::new()
        .route(
            "/clean",
            get(|| async { page("<!DOCTYPE html><title>clean</title><p>clean page</p>") }),
        )
        .route(
            "/inline",
            get(|| async {
                page("<!DOCTYPE html><title>inline</title><p>inline page</p><script>document.title = 'ran';</script>")
            }),
        )
        .route(
            "/store",
            get(|| async {
                page("<!DOCTYPE html><title>store</title><p>store page</p><script src=\"/store.js\"></script>")
            }),
        )
        .route(
            "/store.js",
            get(|| async { script("localStorage.setItem('leak', '1');") }),
        )
        .route(
            "/push",
            get(|| async {
                page("<!DOCTYPE html><title>push</title><p>push page</p><script src=\"/push.js\"></script>")
            }),
        )
        .route(
            "/push.js",
            get(|| async {
                script(
                    "history.pushState(null, '', '/callback?code=abc&state=xyz');\
                     history.pushState(null, '', '/after');",
                )
            }),
        )
}

#[tokio::test]
async fn the_detectors_fire_on_pages_that_break_the_rules() -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = Url::parse(&format!("http://{}", listener.local_addr()?))?;
    let server = tokio::spawn(async move { axum::serve(listener, pages()).await });
    let browser = Browser::launch("harness").await?;

    browser.goto(origin.join("/clean")?.as_str()).await?;
    browser.wait_for_text("clean page").await?;
    browser.assert_clean().await?;
    let screenshot = browser.screenshot("clean").await?;
    assert!(
        std::fs::metadata(&screenshot)?.len() > 0,
        "empty screenshot"
    );

    browser.goto(origin.join("/inline")?.as_str()).await?;
    browser.wait_for_text("inline page").await?;
    let refused = browser
        .assert_clean()
        .await
        .expect_err("inline script allowed");
    assert!(
        refused.to_string().contains("Content-Security-Policy"),
        "{refused:#}"
    );
    assert_eq!(
        browser.client().title().await?,
        "inline",
        "the inline script ran"
    );

    // A fresh session for the leak checks: the CSP report above stays counted.
    browser.close().await?;
    let browser = Browser::launch("harness-leaks").await?;
    browser.goto(origin.join("/store")?.as_str()).await?;
    browser.wait_for_text("store page").await?;
    assert_eq!(browser.local_storage_keys().await?, ["leak"]);
    let refused = browser.assert_clean().await.expect_err("localStorage used");
    assert!(refused.to_string().contains("localStorage"), "{refused:#}");

    browser.goto(origin.join("/push")?.as_str()).await?;
    browser.wait_for_path(&origin, "/after").await?;
    let history = browser.history_urls().await?;
    assert!(
        history
            .iter()
            .any(|url| url.ends_with("/callback?code=abc&state=xyz")),
        "{history:?}"
    );
    let refused = browser.assert_clean().await.expect_err("code in history");
    assert!(
        refused.to_string().contains("history entry keeps `code`"),
        "{refused:#}"
    );
    browser.close().await?;

    server.abort();
    Ok(())
}

#[tokio::test]
async fn a_scenario_that_fails_reports_why_and_still_stops_its_stack() -> anyhow::Result<()> {
    let mut spa_url = None;
    let outcome = Scenario::run("harness-teardown", async |s| {
        spa_url = Some(s.spa_url().clone());
        s.open("/").await?;
        anyhow::bail!("the body failed on purpose")
    })
    .await;
    let error = outcome.expect_err("the body's error was lost");
    assert!(error.to_string().contains("on purpose"), "{error:#}");
    let spa_url = spa_url.context("the body did not run")?;
    assert!(
        reqwest::get(spa_url.as_str()).await.is_err(),
        "devstack still answers at {spa_url} after its scenario failed"
    );
    Ok(())
}
