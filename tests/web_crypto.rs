//! WebCrypto adapters in a real browser: SHA-256, random verifiers, RS256 verification.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_spa::auth::crypto;
use cognito_spa::auth::jwt::{DecodedJwt, Jwk};
use cognito_spa::auth::{AccessToken, AuthError, PkceCodeVerifier, TokenError};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::CryptoKey;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn sha256_gives_the_rfc7636_challenge() {
    let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    let challenge = crypto::pkce_challenge(&verifier).await.unwrap();
    assert_eq!(
        challenge.as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[wasm_bindgen_test]
async fn at_hash_is_the_left_half_of_the_access_tokens_sha256() {
    let token = AccessToken::new("eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    // `printf %s eyJhbGciOiJSUzI1NiJ9.e30.c2ln | sha256sum`, its first 16 bytes in base64url.
    assert_eq!(
        crypto::at_hash(&token).await.unwrap(),
        "zFKdmxuKgzYy8vEAuCkuLw"
    );
}

#[wasm_bindgen_test]
async fn sha256_of_abc() {
    let digest = crypto::sha256(b"abc").await.unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.encode(digest),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
}

#[wasm_bindgen_test]
fn verifiers_are_43_base64url_characters_and_distinct() {
    let first = crypto::new_verifier().unwrap();
    let second = crypto::new_verifier().unwrap();
    for verifier in [&first, &second] {
        assert_eq!(verifier.secret().len(), 43);
        assert!(
            verifier
                .secret()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{}",
            verifier.secret()
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(verifier.secret()).unwrap().len(), 32);
    }
    assert_ne!(first.secret(), second.secret());
    assert_ne!(crypto::new_state().unwrap(), crypto::new_state().unwrap());
    assert_ne!(crypto::new_nonce().unwrap(), crypto::new_nonce().unwrap());
}

/// A fresh RS256 key pair from WebCrypto: the private key, and the public key as a JWK.
async fn key_pair(kid: &str) -> (CryptoKey, Jwk) {
    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    let parameters = Object::new();
    for (name, value) in [
        ("name", JsValue::from_str("RSASSA-PKCS1-v1_5")),
        ("modulusLength", JsValue::from_f64(2048.0)),
        ("publicExponent", Uint8Array::from(&[1_u8, 0, 1][..]).into()),
        ("hash", JsValue::from_str("SHA-256")),
    ] {
        Reflect::set(&parameters, &JsValue::from_str(name), &value).unwrap();
    }
    let usages = js_sys::Array::of2(&"sign".into(), &"verify".into());
    let pair = JsFuture::from(
        subtle
            .generate_key_with_object(&parameters, true, &usages)
            .unwrap(),
    )
    .await
    .unwrap();
    let private: CryptoKey = Reflect::get(&pair, &"privateKey".into())
        .unwrap()
        .unchecked_into();
    let public: CryptoKey = Reflect::get(&pair, &"publicKey".into())
        .unwrap()
        .unchecked_into();
    let exported = JsFuture::from(subtle.export_key("jwk", &public).unwrap())
        .await
        .unwrap();
    let part = |name: &str| {
        Reflect::get(&exported, &name.into())
            .unwrap()
            .as_string()
            .unwrap()
    };
    let jwk = Jwk {
        kid: kid.to_owned(),
        kty: part("kty"),
        alg: Some("RS256".into()),
        key_use: Some("sig".into()),
        n: part("n"),
        e: part("e"),
    };
    (private, jwk)
}

async fn signed_token(private: &CryptoKey, claims: &serde_json::Value) -> String {
    let header = serde_json::json!({"alg": "RS256", "kid": "test-key", "typ": "JWT"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    let signature = JsFuture::from(
        subtle
            .sign_with_str_and_u8_array("RSASSA-PKCS1-v1_5", private, signing_input.as_bytes())
            .unwrap(),
    )
    .await
    .unwrap();
    let signature = Uint8Array::new(&signature).to_vec();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn bad_signature() -> AuthError {
    AuthError::Token(TokenError::BadSignature { token: "ID token" })
}

#[wasm_bindgen_test]
async fn rs256_accepts_a_valid_token_and_refuses_tampered_ones() {
    let (private, jwk) = key_pair("test-key").await;
    let claims = serde_json::json!({"sub": "user-1", "token_use": "id", "exp": 4_000_000_000_i64});
    let token = signed_token(&private, &claims).await;

    let valid = DecodedJwt::decode(&token, "ID token").unwrap();
    assert_eq!(crypto::verify_rs256(&valid, &jwk, "ID token").await, Ok(()));

    // Claims changed after signing (sub swapped for another user's).
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(
        serde_json::json!({"sub": "admin", "token_use": "id", "exp": 4_000_000_000_i64})
            .to_string(),
    );
    parts[1] = &forged_claims;
    let forged = DecodedJwt::decode(&parts.join("."), "ID token").unwrap();
    assert_eq!(
        crypto::verify_rs256(&forged, &jwk, "ID token").await,
        Err(bad_signature())
    );

    // One bit of the signature flipped.
    let mut signature = URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().unwrap())
        .unwrap();
    signature[10] ^= 1;
    let dot = token.rfind('.').unwrap();
    let flipped = format!("{}.{}", &token[..dot], URL_SAFE_NO_PAD.encode(signature));
    let flipped = DecodedJwt::decode(&flipped, "ID token").unwrap();
    assert_eq!(
        crypto::verify_rs256(&flipped, &jwk, "ID token").await,
        Err(bad_signature())
    );
}

#[wasm_bindgen_test]
async fn rs256_refuses_a_token_signed_by_another_key() {
    let (private, _) = key_pair("test-key").await;
    let (_, other_public) = key_pair("test-key").await;
    let token = signed_token(&private, &serde_json::json!({"sub": "user-1"})).await;
    let jwt = DecodedJwt::decode(&token, "ID token").unwrap();
    assert_eq!(
        crypto::verify_rs256(&jwt, &other_public, "ID token").await,
        Err(bad_signature())
    );
}

#[wasm_bindgen_test]
async fn a_broken_key_is_reported_not_accepted() {
    let (private, mut jwk) = key_pair("test-key").await;
    jwk.n = "AQ".into();
    let token = signed_token(&private, &serde_json::json!({"sub": "user-1"})).await;
    let jwt = DecodedJwt::decode(&token, "ID token").unwrap();
    let result = crypto::verify_rs256(&jwt, &jwk, "ID token").await;
    assert!(result.is_err(), "{result:?}");
}
