//! The SPA served by another server (`trunk serve`, `--spa-origin`): devstack binds no SPA
//! listener, the client's callback and sign-out URLs and the API's CORS origin follow the given
//! origin, the SPA's /config.json is on the Cognito side, and a malformed origin stops the start.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cognito_support::{CLIENT_ID, DEMO, Harness, Pkce, read};
use devstack::{Config, Listeners, SPA_CONFIG_PATH, SpaOrigin};
use reqwest::{Method, StatusCode};
use url::Url;

const BIN: &str = env!("CARGO_BIN_EXE_devstack");

/// A stack for an SPA on `origin`, the embedded default moved there, as `--spa-origin` does.
async fn stack_for(origin: &str) -> Harness {
    let origin = SpaOrigin::parse(origin).unwrap();
    let listeners = Listeners::loopback_ephemeral_without_spa(origin.clone())
        .await
        .unwrap();
    assert!(!listeners.serves_spa());
    assert_eq!(&listeners.spa_url(), origin.url());
    let mut config = Config::embedded_default();
    config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
    let stack = devstack::spawn(config, listeners, None).await.unwrap();
    Harness {
        redirect_uri: format!("{origin}/callback"),
        logout_uri: format!("{origin}/signed-out"),
        stack,
        browser: Harness::new_browser(),
    }
}

async fn preflight(api: &str, origin: &str) -> cognito_support::Answer {
    let response = reqwest::Client::new()
        .request(Method::OPTIONS, format!("{api}hello"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    read(response).await
}

#[tokio::test]
async fn callback_sign_out_and_cors_follow_the_spa_origin() {
    let origin = "http://localhost:8081";
    let h = stack_for(origin).await;
    assert!(!h.stack.serves_spa());
    assert_eq!(h.stack.spa_url().as_str(), "http://localhost:8081/");

    // The SPA's /config.json, for trunk serve's proxy: pointing at this stack and the origin.
    let config_url = h.stack.spa_config_url();
    assert_eq!(config_url.origin(), h.stack.cognito_url().origin());
    assert_eq!(config_url.path(), SPA_CONFIG_PATH);
    let runtime = h.get(config_url.as_str()).await;
    assert_eq!(runtime.status, StatusCode::OK, "{}", runtime.body);
    assert_eq!(runtime.header("cache-control"), Some("no-cache"));
    let runtime = runtime.json();
    assert_eq!(runtime["redirect_uri"], "http://localhost:8081/callback");
    assert_eq!(runtime["sign_out_uri"], "http://localhost:8081/signed-out");
    assert_eq!(runtime["client_id"], CLIENT_ID);
    assert_eq!(runtime["issuer"], h.stack.issuer());
    assert_eq!(
        runtime["api_base_url"],
        h.stack.api_url().as_str().trim_end_matches('/')
    );

    // The hosted UI takes the origin's callback and refuses the default one, and signs in.
    let pkce = Pkce::new();
    let code = h.sign_in(&pkce, DEMO).await;
    let tokens = h.exchange(&code, &pkce.verifier).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let old = h.authorize_url(&pkce, &[("redirect_uri", "http://localhost:8080/callback")]);
    let refused = h.get(&old).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("is not one of this app client's callback URLs"),
        "{}",
        refused.body
    );

    // Sign-out back to the origin, not to the default.
    let logout = |uri: &str| {
        let mut url = Url::parse(&h.cognito("/logout")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", CLIENT_ID)
            .append_pair("logout_uri", uri);
        url.to_string()
    };
    let signed_out = h.get(&logout("http://localhost:8081/signed-out")).await;
    assert_eq!(signed_out.status, StatusCode::FOUND, "{}", signed_out.body);
    assert_eq!(
        signed_out.location().as_str(),
        "http://localhost:8081/signed-out"
    );
    let refused = h.get(&logout("http://localhost:8080/signed-out")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    // CORS: the API lets the origin's pages call it, and not the default origin's.
    let api = h.stack.api_url().as_str().to_owned();
    let allowed = preflight(&api, origin).await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(origin),
        "{:?}",
        allowed.headers
    );
    let other = preflight(&api, "http://localhost:8080").await;
    assert_eq!(other.header("access-control-allow-origin"), None);

    h.stack.shutdown().await;
}

#[tokio::test]
async fn a_stack_serving_the_spa_itself_has_no_devstack_config_path() {
    let listeners = Listeners::loopback_ephemeral().await.unwrap();
    assert!(listeners.serves_spa());
    let stack = devstack::spawn(Config::embedded_default(), listeners, None)
        .await
        .unwrap();
    assert_eq!(
        stack.spa_config_url().as_str(),
        format!("{}config.json", stack.spa_url())
    );
    let mut on_cognito = stack.cognito_url().clone();
    on_cognito.set_path(SPA_CONFIG_PATH);
    let answer = reqwest::get(on_cognito).await.unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    stack.shutdown().await;
}

/// Runs the binary on ephemeral Cognito and API ports with `args`; returns it and its banner.
fn start(args: &[&str]) -> (Child, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(["--cognito-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, banner) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    while !printed
        .last()
        .is_some_and(|l: &String| l.contains("Ctrl-C stops"))
    {
        match banner.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => printed.push(line),
            Err(error) => {
                child.kill().unwrap();
                panic!("no banner ({error}): {printed:?}");
            }
        }
    }
    (child, printed)
}

fn banner_url(printed: &[String], label: &str) -> Url {
    let line = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in {printed:?}"));
    Url::parse(line.split_whitespace().next().unwrap()).unwrap()
}

#[test]
fn the_binary_binds_no_spa_listener_and_points_the_config_at_the_origin() {
    // Holding the SPA origin's port: a devstack that tried to bind it would fail to start.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let origin = format!("http://localhost:{port}");
    let (mut child, printed) = start(&["--spa-origin", &origin]);
    let banner = printed.join("\n");
    assert!(
        banner.contains("served by another server, such as trunk serve; not by devstack"),
        "{banner}"
    );
    assert!(!banner.contains("warning"), "{banner}");
    let config_url = banner_url(&printed, "SPA config");
    assert_eq!(config_url.path(), SPA_CONFIG_PATH);
    let api = banner_url(&printed, "API");

    let (runtime, cors) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let runtime: serde_json::Value = reqwest::get(config_url)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (runtime, preflight(api.as_str(), &origin).await)
    });
    assert_eq!(runtime["redirect_uri"], format!("{origin}/callback"));
    assert_eq!(runtime["sign_out_uri"], format!("{origin}/signed-out"));
    assert_eq!(
        cors.header("access-control-allow-origin"),
        Some(origin.as_str())
    );
    child.kill().unwrap();
    child.wait().unwrap();
    drop(taken);
}

#[test]
fn a_config_file_without_the_origin_gets_a_warning() {
    let path = std::env::temp_dir().join(format!("devstack-origin-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&path, devstack::config::EMBEDDED_DEFAULT).unwrap();
    let (mut child, printed) = start(&[
        "--config",
        path.to_str().unwrap(),
        "--spa-origin",
        "http://localhost:8081",
    ]);
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        printed.iter().any(|line| line.trim()
            == "warning: http://localhost:8081 is missing from the config's callback URLs, \
                sign-out URLs, [api.cors] allow_origins: the hosted UI or the API will refuse \
                the SPA there"),
        "{printed:?}"
    );
}

#[test]
fn a_malformed_origin_is_refused_at_start_with_the_reason() {
    for (origin, reason) in [
        ("localhost:8080", "the scheme must be http or https"),
        (
            "http://127.0.0.1:8080",
            "Cognito allows http callback URLs only on localhost",
        ),
        ("http://localhost:8080/app", "write http://localhost:8080"),
        ("not a url", "not an absolute URL"),
    ] {
        let output = Command::new(BIN)
            .args(["--cognito-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"])
            .args(["--spa-origin", origin])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{origin}: {stderr}");
        assert!(stderr.contains("--spa-origin"), "{stderr}");
        assert!(stderr.contains(reason), "{origin}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing started: {origin}");
    }
    // Serving no SPA and serving one from a directory do not go together.
    let output = Command::new(BIN)
        .args(["--spa-origin", "http://localhost:8080", "--spa-dir", "dist"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
