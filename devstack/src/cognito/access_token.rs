//! Verifying an access token of this pool: the one check behind `/oauth2/userInfo` and the JSON
//! API's user operations (GetUser, ChangePassword, ...). Unlike API Gateway's JWT authorizer,
//! both know about revocation: `/oauth2/revoke` (the sign-in's `origin_jti`) and GlobalSignOut.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::CognitoState;
use super::minting::AccessClaims;

/// Why an access token was refused. Each caller words it its own way (RFC 6750 for userInfo,
/// Cognito's exception messages for the JSON API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AccessTokenError {
    /// Not a JWT, not this pool's access-token key, a bad signature, another issuer, or not an
    /// access token; the text says which (for userInfo's `error_description`).
    Invalid(&'static str),
    /// Past its `exp` on the stand-in's clock.
    Expired,
    /// Its sign-in was revoked (`/oauth2/revoke`, GlobalSignOut, AdminDeleteUser).
    Revoked,
}

impl CognitoState {
    /// The claims of `token` if it is a live access token of this pool: RS256 with the pool's
    /// access-token key, this issuer, `token_use` `access`, not expired, not revoked. Scopes are
    /// the caller's to check.
    pub(super) fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<AccessClaims, AccessTokenError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AccessTokenError::Invalid("the token is not a JWT"))?;
        let key = &self.keys.access;
        if header.kid.as_deref() != Some(key.kid()) {
            return Err(AccessTokenError::Invalid(
                "the token is not an access token of this pool",
            ));
        }
        let jwk = key.jwk();
        let decoding = DecodingKey::from_rsa_components(&jwk.n, &jwk.e)
            .map_err(|_| AccessTokenError::Invalid("the pool's key cannot be used"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        // Expiry is checked against the stand-in's clock below.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[&self.issuer]);
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &decoding, &validation)
            .map_err(|_| {
                AccessTokenError::Invalid("the access token's signature or issuer is not valid")
            })?
            .claims;
        if claims.token_use != "access" {
            return Err(AccessTokenError::Invalid(
                "the token is not an access token",
            ));
        }
        if claims.exp <= self.clock.now_secs() {
            return Err(AccessTokenError::Expired);
        }
        if self.grants().refresh_tokens.is_revoked(&claims.origin_jti)
            || self.signed_out_after(&claims)
        {
            return Err(AccessTokenError::Revoked);
        }
        Ok(claims)
    }

    /// Whether the token's user signed out everywhere (GlobalSignOut) after it was issued. A
    /// token of the very second of the sign-out is judged by its sign-in's `origin_jti`, which
    /// GlobalSignOut revokes: comparing `>=` here would refuse a new sign-in made in that second.
    fn signed_out_after(&self, claims: &AccessClaims) -> bool {
        self.accounts
            .user(&claims.username)
            .and_then(|user| user.signed_out_at)
            .is_some_and(|at| at > claims.iat)
    }
}
