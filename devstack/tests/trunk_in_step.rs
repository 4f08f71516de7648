//! Trunk.toml's `[serve]` (the `trunk serve` development loop) against devstack: the same
//! security headers as devstack's SPA listener, the CSP differing only in how the inline scripts
//! are allowed (a per-response nonce instead of the loader's hash), and the origins and the
//! `/config.json` proxy on devstack's defaults. The deployed policy never gets the nonce.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

use std::path::PathBuf;

use devstack::contract::csp::policy as content_security_policy_with;
use devstack::{Config, Listeners, SPA_CONFIG_PATH};

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn trunk_toml() -> toml::Table {
    repo_file("Trunk.toml").parse().unwrap()
}

fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// devstack's default Cognito and API origins, as the SPA's `connect-src` names them.
fn default_connect_origins() -> [String; 2] {
    [
        origin(&devstack::default_cognito_url()),
        origin(&devstack::default_api_url()),
    ]
}

#[test]
fn the_dev_csp_is_devstacks_with_a_nonce_for_the_inline_scripts() {
    let trunk = trunk_toml();
    let [cognito, api] = default_connect_origins();
    let connect = [cognito.as_str(), api.as_str()];
    // Trunk joins the list with ';' and puts the response's nonce in place of {{NONCE}}.
    let csp: Vec<&str> = trunk["serve"]["csp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part.as_str().unwrap())
        .collect();
    assert_eq!(
        csp.join(";"),
        content_security_policy_with(&["'nonce-{{NONCE}}'"], &connect),
        "Trunk.toml [serve] csp (HTML pages)"
    );
    assert_eq!(
        trunk["serve"]["headers"]["Content-Security-Policy"].as_str(),
        Some(content_security_policy_with(&[], &connect).as_str()),
        "Trunk.toml [serve.headers] (every other response: no inline script at all)"
    );
    // Without it Trunk writes no nonce attributes, and sends no per-page policy.
    assert_eq!(
        trunk["build"]["create_nonce"].as_bool(),
        Some(true),
        "Trunk.toml [build] create_nonce"
    );
}

#[test]
fn the_deployed_policy_has_no_nonce_source() {
    let template = repo_file("infra/template.yaml");
    assert!(
        !template.contains("'nonce-"),
        "the nonce is trunk serve's alone; CloudFront allows the loader by its hash"
    );
}

#[tokio::test]
async fn the_other_security_headers_are_devstacks() {
    let trunk = trunk_toml();
    let dev_headers = trunk["serve"]["headers"].as_table().unwrap();
    let listeners = Listeners::loopback_ephemeral().await.unwrap();
    let stack = devstack::spawn(Config::embedded_default(), listeners, None)
        .await
        .unwrap();
    let page = reqwest::get(stack.spa_url().clone()).await.unwrap();
    let mut compared = Vec::new();
    for name in ["referrer-policy", "x-content-type-options"] {
        let devstack = page.headers().get(name).unwrap().to_str().unwrap();
        let trunk = dev_headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_str());
        assert_eq!(trunk, Some(devstack), "Trunk.toml [serve.headers] {name}");
        compared.push(name);
    }
    // Every header Trunk.toml adds is one devstack sends too (no dev-only header).
    for key in dev_headers.keys() {
        assert!(
            page.headers().contains_key(key.as_str()),
            "Trunk.toml [serve.headers] {key} is not sent by devstack"
        );
    }
    stack.shutdown().await;
}

#[test]
fn trunk_serves_devstacks_default_spa_origin_and_proxies_its_config() {
    let trunk = trunk_toml();
    let serve = &trunk["serve"];
    let spa = devstack::default_spa_url();
    assert_eq!(
        serve["port"].as_integer(),
        spa.port().map(i64::from),
        "Trunk.toml [serve] port is the origin `--spa-origin` gets by default"
    );
    assert_eq!(
        serve["addresses"].as_array().unwrap(),
        &[toml::Value::from(
            devstack::DEFAULT_SPA_ADDR.ip().to_string()
        )]
    );
    let proxies = trunk["proxy"].as_array().unwrap();
    let config_proxy = proxies
        .iter()
        .find(|proxy| proxy["rewrite"].as_str() == Some("/config.json"))
        .expect("a [[proxy]] for /config.json");
    let mut backend = devstack::default_cognito_url();
    backend.set_path(SPA_CONFIG_PATH);
    assert_eq!(config_proxy["backend"].as_str(), Some(backend.as_str()));
}
