//! The pool's signing keys: one RSA-2048 key for ID tokens and one for access tokens, as Cognito
//! has, both published in jwks.json, RS256 with a `kid` header.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Why keys could not be made or a token signed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// RSA key generation failed.
    #[error("cannot generate an RSA key: {0}")]
    Generate(#[from] rsa::Error),
    /// The key could not be encoded for the signer.
    #[error("cannot encode the RSA key: {0}")]
    Encode(#[from] rsa::pkcs1::Error),
    /// The JWT library refused to sign.
    #[error("cannot sign a token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// One RS256 signing key and its public half.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    public: RsaPublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("private", &"[redacted]")
            .finish()
    }
}

/// A JSON Web Key as Cognito publishes it.
#[derive(Debug, Clone, Serialize)]
pub struct Jwk {
    /// Always `RS256`.
    pub alg: &'static str,
    /// Public exponent, base64url.
    pub e: String,
    /// Key id, as in the tokens' headers.
    pub kid: String,
    /// Always `RSA`.
    pub kty: &'static str,
    /// Modulus, base64url.
    pub n: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
}

impl SigningKey {
    fn generate() -> Result<Self, KeyError> {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
        let public = private.to_public_key();
        let der = private.to_pkcs1_der()?;
        // A stable id derived from the key itself (base64 like Cognito's kids).
        let kid = STANDARD.encode(Sha256::digest(public.n().to_bytes_be()));
        Ok(Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            public,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Jwk {
        Jwk {
            alg: "RS256",
            e: URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
            kid: self.kid.clone(),
            kty: "RSA",
            n: URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
            use_: "sig",
        }
    }

    /// Signs claims as a compact RS256 JWT; with `tamper`, the signature is corrupted.
    pub fn sign(&self, claims: &impl Serialize, tamper: bool) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, claims, &self.encoding)?;
        Ok(if tamper {
            tamper_signature(&token)
        } else {
            token
        })
    }
}

/// Flips bits in the first signature byte: still well-formed base64url, no longer valid.
fn tamper_signature(token: &str) -> String {
    match token.rsplit_once('.') {
        Some((signed, signature)) => {
            let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
            if let Some(first) = bytes.first_mut() {
                *first ^= 0xff;
            }
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
        }
        None => token.to_owned(),
    }
}

/// The pool's two keys.
#[derive(Debug)]
pub struct PoolKeys {
    /// Signs ID tokens.
    pub id: SigningKey,
    /// Signs access tokens.
    pub access: SigningKey,
}

/// The body of jwks.json.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks {
    /// Every key of the pool.
    pub keys: Vec<Jwk>,
}

impl PoolKeys {
    /// Generates both keys (about a second in total with the optimised `rsa` build).
    pub fn generate() -> Result<Self, KeyError> {
        Ok(Self {
            id: SigningKey::generate()?,
            access: SigningKey::generate()?,
        })
    }

    /// The JWKS document listing both keys.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![self.id.jwk(), self.access.jwk()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    fn verify(jwk: &Jwk, token: &str) -> bool {
        let n = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(&jwk.n).unwrap());
        let e = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(&jwk.e).unwrap());
        let key = VerifyingKey::<Sha256>::new(RsaPublicKey::new(n, e).unwrap());
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let signature =
            Signature::try_from(URL_SAFE_NO_PAD.decode(signature).unwrap().as_slice()).unwrap();
        key.verify(signed.as_bytes(), &signature).is_ok()
    }

    #[test]
    fn keys_have_distinct_kids_and_sign_verifiably() {
        let keys = PoolKeys::generate().unwrap();
        assert_ne!(keys.id.kid(), keys.access.kid());
        let jwks = keys.jwks();
        assert_eq!(jwks.keys.len(), 2);
        assert_eq!(jwks.keys[0].e, "AQAB");

        let token = keys
            .id
            .sign(&serde_json::json!({"sub": "x"}), false)
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], keys.id.kid());
        assert!(verify(&jwks.keys[0], &token));
        assert!(
            !verify(&jwks.keys[1], &token),
            "the access key must not verify an ID token"
        );

        let tampered = keys
            .id
            .sign(&serde_json::json!({"sub": "x"}), true)
            .unwrap();
        assert_eq!(tampered.split('.').count(), 3);
        assert!(!verify(&jwks.keys[0], &tampered));
    }
}
