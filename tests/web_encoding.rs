//! The browser's encodings as the app uses them: base64url through `btoa` and `atob`, as
//! strict as JWTs require.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_spa::encoding::{base64url, base64url_decode};
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
