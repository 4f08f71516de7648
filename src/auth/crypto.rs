//! WebCrypto, the browser's own implementation: random bytes, SHA-256 and RS256 verification.

use js_sys::{Array, JSON, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, SubtleCrypto};

use super::error::{AuthError, TokenError};
use super::jwt::{DecodedJwt, Jwk};
use super::types::{AccessToken, Nonce, PkceCodeChallenge, PkceCodeVerifier, SessionId, State};
use crate::encoding::base64url;

/// The algorithm object for RS256 in WebCrypto's terms.
const RS256_PARAMETERS: &str = r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-256"}"#;

fn browser_error(action: &'static str) -> impl Fn(JsValue) -> AuthError {
    move |error| AuthError::Browser {
        action,
        message: describe(&error),
    }
}

/// A readable message from a JavaScript exception or rejection.
pub(crate) fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

fn crypto() -> Result<Crypto, AuthError> {
    let missing = || AuthError::Browser {
        action: "use WebCrypto",
        message: "window.crypto is not available (WebCrypto needs https or localhost)".into(),
    };
    web_sys::window()
        .ok_or_else(missing)?
        .crypto()
        .map_err(|_| missing())
}

fn subtle() -> Result<SubtleCrypto, AuthError> {
    Ok(crypto()?.subtle())
}

/// 32 bytes from the browser's cryptographically secure generator.
pub fn random_bytes() -> Result<[u8; 32], AuthError> {
    let mut bytes = [0_u8; 32];
    crypto()?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(browser_error("generate random bytes"))?;
    Ok(bytes)
}

/// `bytes` in base64url, by the browser.
fn encoded(bytes: &[u8]) -> Result<String, AuthError> {
    base64url(bytes).ok_or_else(|| AuthError::Browser {
        action: "encode in base64url",
        message: "there is no window".into(),
    })
}

/// 32 fresh random bytes in base64url: 43 characters, 256 bits of entropy.
fn random_value() -> Result<String, AuthError> {
    encoded(&random_bytes()?)
}

/// A fresh PKCE verifier: 32 random octets, base64url, as RFC 7636 4.1 recommends.
pub fn new_verifier() -> Result<PkceCodeVerifier, AuthError> {
    Ok(PkceCodeVerifier::new(random_value()?))
}

/// A fresh one-time state.
pub fn new_state() -> Result<State, AuthError> {
    Ok(State::new(random_value()?))
}

/// A fresh nonce.
pub fn new_nonce() -> Result<Nonce, AuthError> {
    Ok(Nonce::new(random_value()?))
}

/// A fresh session id, for a new sign-in.
pub fn new_session_id() -> Result<SessionId, AuthError> {
    Ok(SessionId::new(random_value()?))
}

/// SHA-256 of `data` with `crypto.subtle.digest`.
pub async fn sha256(data: &[u8]) -> Result<[u8; 32], AuthError> {
    let promise = subtle()?
        .digest_with_str_and_u8_array("SHA-256", data)
        .map_err(browser_error("compute SHA-256"))?;
    let digest = JsFuture::from(promise)
        .await
        .map_err(browser_error("compute SHA-256"))?;
    let bytes = Uint8Array::new(&digest).to_vec();
    bytes.try_into().map_err(|_| AuthError::Browser {
        action: "compute SHA-256",
        message: "the digest is not 32 bytes long".into(),
    })
}

/// The S256 challenge for `verifier`: `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 4.2).
pub async fn pkce_challenge(verifier: &PkceCodeVerifier) -> Result<PkceCodeChallenge, AuthError> {
    let digest = sha256(verifier.secret().as_bytes()).await?;
    Ok(PkceCodeChallenge::new(encoded(&digest)?))
}

/// What an ID token's `at_hash` must be for `access_token`: the base64url of the left half of
/// its SHA-256 (OIDC Core 3.1.3.8; checked by [`super::claims::check_access_token_hash`]).
pub async fn at_hash(access_token: &AccessToken) -> Result<String, AuthError> {
    let digest = sha256(access_token.secret().as_bytes()).await?;
    encoded(&digest[..16])
}

/// Verifies the RS256 signature of `jwt` with `key` (`crypto.subtle.importKey("jwk")` then
/// `verify`). `which` names the token in errors.
pub async fn verify_rs256(
    jwt: &DecodedJwt,
    key: &Jwk,
    which: &'static str,
) -> Result<(), AuthError> {
    let import_failed = browser_error("import the issuer's signing key");
    let parameters: Object = JSON::parse(RS256_PARAMETERS)
        .map_err(&import_failed)?
        .unchecked_into();
    // Only the public parts, and `alg` pinned, whatever else the key set says.
    let jwk = Object::new();
    for (name, value) in [
        ("kty", JsValue::from_str("RSA")),
        ("n", JsValue::from_str(&key.n)),
        ("e", JsValue::from_str(&key.e)),
        ("alg", JsValue::from_str("RS256")),
        ("ext", JsValue::TRUE),
    ] {
        Reflect::set(&jwk, &JsValue::from_str(name), &value).map_err(&import_failed)?;
    }
    let usages = Array::of1(&JsValue::from_str("verify"));
    let subtle = subtle()?;
    let promise = subtle
        .import_key_with_object("jwk", &jwk, &parameters, false, &usages)
        .map_err(&import_failed)?;
    let crypto_key: CryptoKey = JsFuture::from(promise)
        .await
        .map_err(&import_failed)?
        .unchecked_into();
    let verify_failed = browser_error("verify a token signature");
    let promise = subtle
        .verify_with_object_and_u8_array_and_u8_array(
            &parameters,
            &crypto_key,
            jwt.signature(),
            jwt.signing_input(),
        )
        .map_err(&verify_failed)?;
    let valid = JsFuture::from(promise).await.map_err(&verify_failed)?;
    if valid.as_bool() == Some(true) {
        Ok(())
    } else {
        Err(TokenError::BadSignature { token: which }.into())
    }
}
