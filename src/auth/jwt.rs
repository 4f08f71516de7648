//! JWT decoding (RFC 7519 compact form) and the issuer's key set. Decoding checks nothing about
//! trust: signatures are checked by [`crate::auth::crypto`], claims by [`crate::auth::claims`].

use serde::{Deserialize, Serialize};

use super::error::TokenError;
use crate::encoding::base64url_decode;
use crate::json::{self, Object, Value};

/// The only signature algorithm accepted: Cognito signs with RS256, and pinning it rules out
/// `none` and algorithm-confusion tricks.
pub const ALGORITHM: &str = "RS256";

/// A JWT split into its parts and decoded; its signature is not yet checked. `Debug` shows the
/// header and claims only: with the signature, they would make a usable token.
#[derive(Clone, PartialEq)]
pub struct DecodedJwt {
    /// The JOSE header (`alg`, `kid`, ...).
    pub header: Object,
    /// The claims.
    pub claims: Object,
    signing_input: String,
    signature: Vec<u8>,
}

impl DecodedJwt {
    /// Decodes `token`; `which` names the token in errors ("ID token", "access token"). The
    /// browser does the base64url (strictly, [`base64url_decode`]) and the JSON ([`json::parse`]).
    pub fn decode(token: &str, which: &'static str) -> Result<Self, TokenError> {
        let malformed = |reason: &str| TokenError::Malformed {
            token: which,
            reason: reason.into(),
        };
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "it does not have exactly three dot-separated parts",
            ));
        };
        let json_object = |part: &str, name: &str| -> Result<Object, TokenError> {
            let bytes = base64url_decode(part)
                .ok_or_else(|| malformed(&format!("the {name} is not base64url")))?;
            match std::str::from_utf8(&bytes).map(json::parse) {
                Ok(Ok(Value::Object(object))) => Ok(object),
                _ => Err(malformed(&format!("the {name} is not a JSON object"))),
            }
        };
        Ok(Self {
            header: json_object(header, "header")?,
            claims: json_object(claims, "claims part")?,
            signing_input: format!("{header}.{claims}"),
            signature: base64url_decode(signature)
                .ok_or_else(|| malformed("the signature is not base64url"))?,
        })
    }

    /// The key id to verify with, after checking that the header asks for RS256.
    pub fn rs256_key_id(&self, which: &'static str) -> Result<&str, TokenError> {
        match self.header.get("alg").and_then(Value::as_str) {
            Some(ALGORITHM) => {}
            other => {
                return Err(TokenError::UnsupportedAlgorithm {
                    token: which,
                    alg: other.unwrap_or("(none given)").to_owned(),
                });
            }
        }
        self.header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or(TokenError::MissingKeyId { token: which })
    }

    /// The bytes the signature covers: `base64url(header) "." base64url(claims)`.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The raw signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

impl std::fmt::Debug for DecodedJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedJwt")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// One public key of the issuer, as published in `jwks.json`. Every field but `kty` may be
/// missing, so that a key of another type (EC, with no `n` or `e`) does not spoil the set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// The key id that token headers name.
    #[serde(default)]
    pub kid: String,
    /// Key type; only `RSA` keys are used.
    pub kty: String,
    /// Intended algorithm, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use, when published (`sig`).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default)]
    pub n: String,
    /// RSA public exponent, base64url.
    #[serde(default)]
    pub e: String,
}

/// The issuer's key set (`<issuer>/.well-known/jwks.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Jwks {
    /// The keys. Entries that are not complete RSA signing keys are kept but never chosen.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The RS256 signing key with this id, if the set has one.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|key| {
            !key.kid.is_empty()
                && key.kid == kid
                && key.kty == "RSA"
                && !key.n.is_empty()
                && !key.e.is_empty()
                && key.alg.as_deref().is_none_or(|alg| alg == ALGORITHM)
                && key
                    .key_use
                    .as_deref()
                    .is_none_or(|key_use| key_use == "sig")
        })
    }
}

#[cfg(test)]
impl DecodedJwt {
    /// A token with this header and these claims (JSON objects), as [`DecodedJwt::decode`]
    /// would have decoded it in the browser, with the bytes of `signature` as its signature.
    pub(crate) fn for_test(header: serde_json::Value, claims: serde_json::Value) -> Self {
        let object = |value: serde_json::Value| match Value::from(value) {
            Value::Object(object) => object,
            other => panic!("not a JSON object: {other}"),
        };
        Self {
            signing_input: format!("{header}.{claims}"),
            header: object(header),
            claims: object(claims),
            signature: b"signature".to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_shows_no_signature() {
        let jwt = DecodedJwt::for_test(json!({"alg": "RS256", "kid": "k1"}), json!({"sub": "u"}));
        let rendered = format!("{jwt:?}");
        assert!(rendered.contains("\"sub\""), "{rendered}");
        assert!(!rendered.contains("signature"), "{rendered}");
    }

    #[test]
    fn the_key_id_comes_with_rs256_only() {
        let jwt = DecodedJwt::for_test(json!({"alg": "RS256", "kid": "k1"}), json!({}));
        assert_eq!(jwt.rs256_key_id("ID token").unwrap(), "k1");
    }

    #[test]
    fn alg_none_and_hs256_are_refused() {
        for header in [
            json!({"alg": "none", "kid": "k1"}),
            json!({"alg": "HS256", "kid": "k1"}),
            json!({"kid": "k1"}),
        ] {
            let jwt = DecodedJwt::for_test(header, json!({}));
            assert!(matches!(
                jwt.rs256_key_id("ID token"),
                Err(TokenError::UnsupportedAlgorithm { .. })
            ));
        }
    }

    #[test]
    fn a_missing_kid_is_refused() {
        let jwt = DecodedJwt::for_test(json!({"alg": "RS256"}), json!({}));
        assert_eq!(
            jwt.rs256_key_id("ID token"),
            Err(TokenError::MissingKeyId { token: "ID token" })
        );
    }

    #[test]
    fn jwks_finds_only_rsa_signing_keys() {
        let jwks: Jwks = serde_json::from_value(json!({"keys": [
            {"kid": "enc", "kty": "RSA", "use": "enc", "n": "AQ", "e": "AQAB"},
            {"kid": "ec", "kty": "EC", "n": "AQ", "e": "AQAB"},
            {"kid": "hs", "kty": "RSA", "alg": "HS256", "n": "AQ", "e": "AQAB"},
            {"kid": "good", "kty": "RSA", "alg": "RS256", "use": "sig", "n": "AQ", "e": "AQAB"}
        ]}))
        .unwrap();
        assert_eq!(jwks.find("good").map(|key| key.kid.as_str()), Some("good"));
        for kid in ["enc", "ec", "hs", "absent"] {
            assert!(jwks.find(kid).is_none(), "{kid}");
        }
    }

    #[test]
    fn keys_of_other_shapes_do_not_spoil_the_set() {
        let jwks: Jwks = serde_json::from_str(
            r#"{"keys": [
                {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"},
                {"kty": "oct", "k": "c2VjcmV0"},
                {"kid": "half", "kty": "RSA", "e": "AQAB"},
                {"kty": "RSA", "n": "AQ", "e": "AQAB"},
                {"kid": "good", "kty": "RSA", "n": "AQ", "e": "AQAB"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(jwks.find("good").map(|key| key.kid.as_str()), Some("good"));
        // Neither the EC key, nor an RSA key without a modulus, nor one without an id.
        for kid in ["ec", "half", ""] {
            assert!(jwks.find(kid).is_none(), "{kid:?}");
        }
    }
}
