//! Checking tokens before anyone counts as signed in: RS256 signatures against the issuer's
//! keys (fetched again once for an unknown `kid`, as after a key rotation), then the claims,
//! and for a renewal the same identity as before.

use leptos::prelude::*;

use super::{Auth, now_seconds};
use crate::auth::claims::{self, Expected, Identity};
use crate::auth::error::{AuthError, TokenError};
use crate::auth::jwt::{DecodedJwt, Jwk};
use crate::auth::session::{Session, StoredTokens};
use crate::auth::types::Nonce;
use crate::auth::{crypto, endpoints};
use crate::config::AppConfig;

impl Auth {
    fn expected<'a>(config: &'a AppConfig, now: i64) -> Expected<'a> {
        Expected {
            issuer: &config.issuer,
            client_id: &config.client_id,
            now,
        }
    }

    /// Checks both tokens' signatures against the issuer's keys, then their claims.
    pub(super) async fn verify(
        &self,
        tokens: StoredTokens,
        nonce: Option<&Nonce>,
    ) -> Result<Session, AuthError> {
        let id_token = DecodedJwt::decode(tokens.id_token.secret(), "ID token")?;
        let access_token = DecodedJwt::decode(tokens.access_token.secret(), "access token")?;
        for (jwt, which) in [(&id_token, "ID token"), (&access_token, "access token")] {
            let key = self.signing_key(jwt.rs256_key_id(which)?, which).await?;
            crypto::verify_rs256(jwt, &key, which).await?;
        }
        let config = self.config.get_value();
        let session = Session::from_verified(
            tokens,
            id_token,
            access_token,
            &Self::expected(&config, now_seconds()),
            nonce,
        )?;
        let access_token_hash = crypto::at_hash(session.access_token()).await?;
        claims::check_access_token_hash(&session.id_token, &access_token_hash)?;
        Ok(session)
    }

    /// The issuer's key `kid`, fetching the key set again (once) when it is not known yet, as
    /// happens after a key rotation.
    async fn signing_key(&self, kid: &str, which: &'static str) -> Result<Jwk, AuthError> {
        let inner = self.inner();
        let known = inner.jwks.borrow().find(kid).cloned();
        if let Some(key) = known {
            return Ok(key);
        }
        let fetched = endpoints::jwks(&self.config.get_value()).await?;
        let key = fetched.find(kid).cloned();
        inner.jwks.replace(fetched);
        key.ok_or_else(|| {
            TokenError::UnknownKeyId {
                token: which,
                kid: kid.to_owned(),
            }
            .into()
        })
    }

    /// Checks renewed tokens as a refresh's: signatures and claims, and the same `iss`, `sub`
    /// and `aud` as the tokens they renew.
    pub(super) async fn check_renewal(
        &self,
        current: &StoredTokens,
        renewed: StoredTokens,
    ) -> Result<Session, AuthError> {
        let before =
            Identity::of_stored(&DecodedJwt::decode(current.id_token.secret(), "ID token")?)?;
        let session = self.verify(renewed, None).await?;
        claims::check_same_identity(&before, &session.id_claims.identity())?;
        Ok(session)
    }
}
