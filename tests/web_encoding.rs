//! The browser's encodings as the app uses them: base64url through `btoa` and `atob`, as
//! strict as JWTs require; forms and queries through `URLSearchParams`, as the crates wrote
//! them.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_spa::auth::flow;
use cognito_spa::auth::{Nonce, PkceCodeChallenge, State};
use cognito_spa::config::AppConfig;
use cognito_spa::encoding::{base64url, base64url_decode, form, query_pairs};
use cognito_spa::routes::sign_in_path;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn rfc7636_appendix_b_verifier() {
    let octets: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    assert_eq!(
        base64url(&octets).unwrap(),
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
}

#[wasm_bindgen_test]
fn every_byte_and_length_round_trips_as_the_base64_crate_writes_it() {
    let bytes: Vec<u8> = (0..=255).rev().collect();
    for length in [0, 1, 2, 3, 4, 31, 32, 33, 256] {
        let part = &bytes[..length];
        let text = base64url(part).unwrap();
        assert_eq!(text, URL_SAFE_NO_PAD.encode(part), "{length}");
        assert_eq!(base64url_decode(&text).as_deref(), Some(part), "{length}");
    }
}

#[wasm_bindgen_test]
fn only_canonical_unpadded_base64url_is_decoded() {
    assert_eq!(base64url_decode("e30").unwrap(), b"{}");
    for bad in [
        // Padding, white space, plain base64's alphabet, leftover bits, a lone character.
        "e30=", " e30", "e3\n0", "+/8", "_-+", "e31", "e", "!!", "é",
    ] {
        assert_eq!(base64url_decode(bad), None, "{bad:?}");
        assert!(
            URL_SAFE_NO_PAD.decode(bad).is_err(),
            "the crate refused {bad:?} too"
        );
    }
}

/// Tricky values for forms and queries: reserved characters, spaces, non-ASCII, a `%`.
const VALUES: [&str; 6] = [
    "http://localhost:8080/callback",
    "openid email api/read",
    "r+1/=&x=?#",
    "Jane's phone (é, 😀)",
    "100% *-._~!'()",
    "",
];

#[wasm_bindgen_test]
fn forms_are_written_as_form_urlencoded_writes_them() {
    for value in VALUES {
        let written = form(&[("a", value.to_owned()), ("b c", "d".to_owned())]);
        let expected = form_urlencoded::Serializer::new(String::new())
            .append_pair("a", value)
            .append_pair("b c", "d")
            .finish();
        assert_eq!(written, expected, "{value:?}");
    }
    assert_eq!(form(&[]), "");
}

#[wasm_bindgen_test]
fn queries_are_read_back_in_order() {
    for value in VALUES {
        let query = form(&[("state", value.to_owned()), ("code", "c".to_owned())]);
        let pairs = vec![
            ("state".to_owned(), value.to_owned()),
            ("code".to_owned(), "c".to_owned()),
        ];
        assert_eq!(query_pairs(&query), pairs, "{value:?}");
        assert_eq!(query_pairs(&format!("?{query}")), pairs, "with its ?");
    }
    assert_eq!(
        query_pairs("?code=abc%2B1&state=s+1&error_description=a%2Fb+c&bad=%zz&flag"),
        [
            ("code", "abc+1"),
            ("state", "s 1"),
            ("error_description", "a/b c"),
            ("bad", "%zz"),
            ("flag", ""),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
    );
    assert!(query_pairs("").is_empty());
}

#[wasm_bindgen_test]
fn the_redirects_carry_their_parameters_encoded() {
    let config = AppConfig::from_json(include_str!("../public/config.json")).unwrap();
    let url = flow::authorize_url(
        &config,
        &State::new("st"),
        &Nonce::new("no"),
        &PkceCodeChallenge::new("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    );
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, "http://localhost:9229/oauth2/authorize");
    assert!(
        query.contains("&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&"),
        "{url}"
    );
    assert!(query.contains("&scope=openid+email+profile+"), "{url}");
    assert!(query.ends_with("&code_challenge_method=S256"), "{url}");
    assert_eq!(
        flow::logout_url(&config),
        "http://localhost:9229/logout?client_id=3n4b5urk1ft4fl3mg5e62d9ado\
         &logout_uri=http%3A%2F%2Flocalhost%3A8080%2Fsigned-out"
    );
    assert_eq!(sign_in_path("/profile"), "/sign-in?return_to=%2Fprofile");
    assert_eq!(
        sign_in_path("/api?tab=post&x=1"),
        "/sign-in?return_to=%2Fapi%3Ftab%3Dpost%26x%3D1"
    );
}
