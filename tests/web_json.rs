//! JSON in a real browser: what `JSON.parse` makes of text ([`json::parse`]), that the app writes
//! JSON as `JSON.stringify` does, and every reader of the app that starts from text (tokens,
//! config.json, the API's and Cognito's answers, typed answers through serde).
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_spa::api::{self, Body, BodyError};
use cognito_spa::auth::TokenError;
use cognito_spa::auth::jwt::{DecodedJwt, Jwks};
use cognito_spa::auth::session::TokenResponse;
use cognito_spa::config::{AppConfig, ConfigError};
use cognito_spa::json::{self, Value};
use js_sys::JSON;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn parsed(text: &str) -> Value {
    json::parse(text).unwrap()
}

/// What the browser itself writes for `text`, compact or with two spaces.
fn stringified(text: &str, pretty: bool) -> String {
    let value = JSON::parse(text).unwrap();
    let written = if pretty {
        JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &JsValue::from(2))
    } else {
        JSON::stringify(&value)
    };
    written.unwrap().into()
}

#[wasm_bindgen_test]
fn every_kind_of_value_is_read() {
    let value = parsed(r#"{"s": "é\n\"", "t": true, "z": null, "a": [1, [2]], "o": {"k": "v"}}"#);
    assert_eq!(value.get("s").and_then(Value::as_str), Some("é\n\""));
    assert_eq!(value.get("t"), Some(&Value::Bool(true)));
    assert_eq!(value.get("z"), Some(&Value::Null));
    assert_eq!(value.get("a").and_then(Value::as_array).unwrap().len(), 2);
    assert_eq!(
        value
            .get("o")
            .and_then(|o| o.get("k"))
            .and_then(Value::as_str),
        Some("v")
    );
    let names: Vec<&str> = value.as_object().unwrap().names().collect();
    assert_eq!(names, ["s", "t", "z", "a", "o"], "the object's own order");
}

#[wasm_bindgen_test]
fn numbers_are_kept_as_javascript_writes_them() {
    for (text, written, integer) in [
        ("1800000000", "1800000000", Some(1_800_000_000)),
        ("-5", "-5", Some(-5)),
        ("1e3", "1000", Some(1000)),
        ("1.5", "1.5", None),
        ("1.0", "1", Some(1)),
        ("1e21", "1e+21", None),
    ] {
        let value = parsed(text);
        assert_eq!(value, Value::Number(written.into()), "{text}");
        assert_eq!(value.as_i64(), integer, "{text}");
    }
    assert_eq!(
        parsed("1e999"),
        Value::Null,
        "Infinity, which JSON writes as null"
    );
}

#[wasm_bindgen_test]
fn a_repeated_name_keeps_its_last_value() {
    let value = parsed(r#"{"alg": "none", "alg": "RS256"}"#);
    assert_eq!(value.get("alg").and_then(Value::as_str), Some("RS256"));
    assert_eq!(value.as_object().unwrap().names().count(), 1);
}

#[wasm_bindgen_test]
fn the_app_writes_json_as_the_browser_does() {
    let text = r#"{"message": "tab\t \"quoted\" \\ \u0001 é", "n": [1, 2.5, -0.25, 1e21],
        "nested": {"empty": {}, "list": [], "flag": false, "none": null}}"#;
    assert_eq!(parsed(text).to_string(), stringified(text, false));
    assert_eq!(parsed(text).pretty(), stringified(text, true));
}

#[wasm_bindgen_test]
fn text_that_is_not_json_is_refused_with_the_browsers_reason() {
    for bad in ["", "{", "{\"a\": 1,\n}", "<html>", "nul", "'a'"] {
        let reason = json::parse(bad).unwrap_err();
        assert!(!reason.is_empty(), "{bad:?}");
    }
    // Chromium says where, as serde_json did.
    let reason = json::parse("{\"a\": 1,\n}").unwrap_err();
    assert!(reason.contains("line 2"), "{reason}");
}

/// A token of these JSON texts (not signed: decoding checks no signature).
fn token(header: &str, claims: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(b"signature"),
    )
}

#[wasm_bindgen_test]
fn a_token_is_decoded_into_header_claims_and_signature() {
    let text = token(
        r#"{"alg":"RS256","kid":"k1"}"#,
        r#"{"sub":"u","exp":1800000000}"#,
    );
    let jwt = DecodedJwt::decode(&text, "ID token").unwrap();
    assert_eq!(jwt.claims.get("sub").and_then(Value::as_str), Some("u"));
    assert_eq!(
        jwt.claims.get("exp").and_then(Value::as_i64),
        Some(1_800_000_000)
    );
    assert_eq!(jwt.rs256_key_id("ID token").unwrap(), "k1");
    assert_eq!(jwt.signature(), b"signature");
    let dot = text.rfind('.').unwrap();
    assert_eq!(jwt.signing_input(), &text.as_bytes()[..dot]);
    let rendered = format!("{jwt:?}");
    assert!(
        !rendered.contains(text.split('.').next().unwrap()),
        "{rendered}"
    );
}

#[wasm_bindgen_test]
fn malformed_tokens_are_refused() {
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "!!.e30.c2ln",
        "e30.!!.c2ln",
        // `null`, then `[]`: JSON, but not objects.
        "bnVsbA.e30.c2ln",
        "e30.W10.c2ln",
        // The claims part decodes to the byte 0xFF: not UTF-8, so not JSON.
        "e30._w.c2ln",
        // `{` alone.
        "e30.ew.c2ln",
        "e30.e30.!!",
    ] {
        assert!(
            matches!(
                DecodedJwt::decode(bad, "ID token"),
                Err(TokenError::Malformed { .. })
            ),
            "{bad}"
        );
    }
}

#[wasm_bindgen_test]
fn config_json_text_is_parsed_then_checked() {
    let shipped = AppConfig::from_json(include_str!("../public/config.json")).unwrap();
    assert_eq!(shipped.client_id.as_str(), "3n4b5urk1ft4fl3mg5e62d9ado");
    let Err(ConfigError::NotJson(reason)) = AppConfig::from_json("{") else {
        panic!("a broken file accepted");
    };
    let message = ConfigError::NotJson(reason).to_string();
    assert!(
        message.starts_with("/config.json is not a valid JSON object: "),
        "{message}"
    );
    assert!(matches!(
        AppConfig::from_json("[1]"),
        Err(ConfigError::NotJson(_))
    ));
    assert_eq!(
        AppConfig::from_json("<!DOCTYPE html><html></html>"),
        Err(ConfigError::WebPage)
    );
    let text = include_str!("../public/config.json").replace("\"memory\"", "3");
    let Err(ConfigError::Invalid { field, problem }) = AppConfig::from_json(&text) else {
        panic!("a number accepted as token_storage");
    };
    assert_eq!(
        (field, problem.as_str()),
        ("token_storage", "must be \"memory\" or \"session\", not 3")
    );
}

#[wasm_bindgen_test]
fn console_bodies_are_parsed_and_refused_with_where() {
    assert_eq!(
        api::parse_body(r#" {"a": [1, 2]} "#).unwrap().to_string(),
        r#"{"a":[1,2]}"#
    );
    assert_eq!(api::parse_body("42"), Ok(Value::Number("42".into())));
    assert_eq!(api::parse_body("  \n"), Err(BodyError::Empty));
    let Err(error) = api::parse_body("{\"a\": 1,\n}") else {
        panic!("a trailing comma accepted");
    };
    assert!(
        error.to_string().starts_with("This is not valid JSON: "),
        "{error}"
    );
}

#[wasm_bindgen_test]
fn api_answers_are_classified() {
    assert_eq!(Body::from_text(" ".into()), Body::Empty);
    let json = Body::from_text(r#"{"message":"hi"}"#.into());
    assert_eq!(json.pretty(), "{\n  \"message\": \"hi\"\n}");
    let html = Body::from_text("<html>".into());
    assert!(
        matches!(&html, Body::NotJson { text, error } if text == "<html>" && !error.is_empty())
    );
    assert_eq!(html.pretty(), "<html>");
}

// Cognito's user API is the Account security page's (the `account-page` feature).
#[cfg(feature = "account-page")]
#[wasm_bindgen_test]
fn cognito_answers_are_read_from_their_text() {
    use cognito_spa::idp::wire::{self, IdpError};
    assert_eq!(wire::body_json(""), Some(parsed("{}")));
    assert_eq!(wire::body_json("<html>Not Found</html>"), None);
    assert_eq!(
        wire::read_answer(200, None, wire::body_json(r#"{"SecretCode":"X"}"#)),
        Ok(parsed(r#"{"SecretCode":"X"}"#))
    );
    assert_eq!(
        wire::read_answer(404, None, wire::body_json("<html>Not Found</html>")),
        Err(IdpError::Status(404))
    );
    assert_eq!(
        wire::read_answer(
            400,
            None,
            wire::body_json(
                r#"{"__type":"NotAuthorizedException","message":"Access Token has expired"}"#
            )
        ),
        Err(IdpError::Refused {
            kind: "NotAuthorizedException".into(),
            message: "Access Token has expired".into()
        })
    );
}

#[wasm_bindgen_test]
fn typed_answers_are_read_through_their_serde_shapes() {
    let response: TokenResponse = json::from_text(
        r#"{"id_token":"i","access_token":"a","token_type":"Bearer","expires_in":3600}"#,
    )
    .unwrap();
    assert!(response.refresh_token.is_none());
    assert!(response.id_token.is_some() && response.access_token.is_some());
    let jwks: Jwks = json::from_text(
        r#"{"keys": [
            {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"},
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kid": "enc", "kty": "RSA", "use": "enc", "n": "AQ", "e": "AQAB"},
            {"kid": "good", "kty": "RSA", "alg": "RS256", "use": "sig", "n": "AQ", "e": "AQAB"}
        ]}"#,
    )
    .unwrap();
    assert_eq!(jwks.keys.len(), 4);
    assert_eq!(jwks.find("good").map(|key| key.kid.as_str()), Some("good"));
    assert!(jwks.find("enc").is_none(), "`use` is read");
    assert!(json::from_text::<Jwks>(r#"{"keys": "none"}"#).is_err());
    assert!(json::from_text::<Jwks>("not json").is_err());
}
