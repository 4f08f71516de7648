//! config.json's URLs as the browser reads them (`new URL`), with the checks and messages of
//! src/config.rs; the host tests run the same cases with the `url` crate.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use cognito_spa::config::{AppConfig, ConfigError, ParsedUrl, browser_url};
use cognito_spa::json::Value;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

include!("support/url_cases.rs");

/// public/config.json with `hosted_ui_url` set to `url`.
fn config_with_hosted_ui(url: &str) -> Result<AppConfig, ConfigError> {
    let text = include_str!("../public/config.json").replace(
        r#""hosted_ui_url": "http://localhost:9229""#,
        &format!(r#""hosted_ui_url": {}"#, Value::String(url.into())),
    );
    AppConfig::from_json(&text)
}

#[wasm_bindgen_test]
fn urls_are_checked_as_the_browser_reads_them() {
    for (text, expected) in URL_CASES {
        match config_with_hosted_ui(text) {
            Ok(_) => assert!(expected.is_empty(), "{text} accepted"),
            Err(ConfigError::Invalid { field, problem }) => {
                assert_eq!(field, "hosted_ui_url");
                assert!(
                    !expected.is_empty() && problem.contains(expected),
                    "{text}: {problem}"
                );
            }
            Err(other) => panic!("{text}: {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
fn the_browser_normalises_what_the_checks_read() {
    assert_eq!(
        browser_url("HTTPS://Me:pw@A.Example.com:443/x?y#z"),
        Some(ParsedUrl {
            scheme: "https:".into(),
            host: "a.example.com".into(),
            origin: "https://a.example.com".into(),
            has_user_info: true,
        })
    );
    assert_eq!(
        browser_url("http://[0:0::1]:3000/").map(|url| url.host),
        Some("[::1]".into())
    );
    assert_eq!(
        browser_url("http://0x7f.1/").map(|url| url.host),
        Some("127.0.0.1".into())
    );
    assert_eq!(browser_url("/relative"), None);
}
