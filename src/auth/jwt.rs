//! JWT decoding (RFC 7519 compact form) and the issuer's key set. Decoding checks nothing about
//! trust: signatures are checked by [`crate::auth::crypto`], claims by [`crate::auth::claims`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::TokenError;

/// The only signature algorithm accepted: Cognito signs with RS256, and pinning it rules out
/// `none` and algorithm-confusion tricks.
pub const ALGORITHM: &str = "RS256";

/// A JWT split into its parts and decoded; its signature is not yet checked. `Debug` shows the
/// header and claims only: with the signature, they would make a usable token.
#[derive(Clone, PartialEq)]
pub struct DecodedJwt {
    /// The JOSE header (`alg`, `kid`, ...).
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl DecodedJwt {
    /// Decodes `token`; `which` names the token in errors ("ID token", "access token").
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
        let json_object = |part: &str, name: &str| -> Result<Map<String, Value>, TokenError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| malformed(&format!("the {name} is not base64url")))?;
            // Through `&str`, like every other JSON the app reads: a second serde_json reader
            // (for byte slices) would add 2 kB gzip to the wasm.
            match std::str::from_utf8(&bytes).map(serde_json::from_str) {
                Ok(Ok(Value::Object(map))) => Ok(map),
                _ => Err(malformed(&format!("the {name} is not a JSON object"))),
            }
        };
        Ok(Self {
            header: json_object(header, "header")?,
            claims: json_object(claims, "claims part")?,
            signing_input: format!("{header}.{claims}"),
            signature: URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| malformed("the signature is not base64url"))?,
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
pub(crate) mod tests {
    use super::*;

    /// An unsigned-looking token with the given header and claims, for decoding tests.
    pub(crate) fn token(header: &Value, claims: &Value) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(b"signature"),
        )
    }

    #[test]
    fn decodes_header_claims_and_signature() {
        let header = serde_json::json!({"alg": "RS256", "kid": "k1"});
        let text = token(&header, &serde_json::json!({"sub": "u"}));
        let jwt = DecodedJwt::decode(&text, "ID token").unwrap();
        assert_eq!(jwt.claims["sub"], "u");
        assert_eq!(jwt.rs256_key_id("ID token").unwrap(), "k1");
        assert_eq!(jwt.signature(), b"signature");
        let dot = text.rfind('.').unwrap();
        assert_eq!(jwt.signing_input(), &text.as_bytes()[..dot]);
    }

    #[test]
    fn debug_shows_no_signature() {
        let header = serde_json::json!({"alg": "RS256", "kid": "k1"});
        let text = token(&header, &serde_json::json!({"sub": "u"}));
        let jwt = DecodedJwt::decode(&text, "ID token").unwrap();
        let rendered = format!("{jwt:?}");
        assert!(rendered.contains("\"sub\""), "{rendered}");
        assert!(!rendered.contains("signature"), "{rendered}");
        assert!(
            !rendered.contains(text.split('.').next().unwrap()),
            "{rendered}"
        );
    }

    #[test]
    fn rejects_malformed_tokens() {
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.c2ln",
            "e30.!!.c2ln",
            "bnVsbA.e30.c2ln",
            // The claims part decodes to the byte 0xFF: not UTF-8, so not JSON.
            "e30._w.c2ln",
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

    #[test]
    fn alg_none_and_hs256_are_refused() {
        for header in [
            serde_json::json!({"alg": "none", "kid": "k1"}),
            serde_json::json!({"alg": "HS256", "kid": "k1"}),
            serde_json::json!({"kid": "k1"}),
        ] {
            let jwt =
                DecodedJwt::decode(&token(&header, &serde_json::json!({})), "ID token").unwrap();
            assert!(matches!(
                jwt.rs256_key_id("ID token"),
                Err(TokenError::UnsupportedAlgorithm { .. })
            ));
        }
    }

    #[test]
    fn a_missing_kid_is_refused() {
        let header = serde_json::json!({"alg": "RS256"});
        let jwt = DecodedJwt::decode(&token(&header, &serde_json::json!({})), "ID token").unwrap();
        assert_eq!(
            jwt.rs256_key_id("ID token"),
            Err(TokenError::MissingKeyId { token: "ID token" })
        );
    }

    #[test]
    fn jwks_finds_only_rsa_signing_keys() {
        let jwks: Jwks = serde_json::from_value(serde_json::json!({"keys": [
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
