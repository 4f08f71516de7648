//! Minting tokens: the ID and access tokens, with exactly the claims Cognito puts in them, and
//! the sign-ins and refreshes that issue them (with a refresh token) for the endpoints and the
//! JSON API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::CognitoState;
use super::keys::KeyError;
use super::refresh_tokens::RefreshGrant;
use crate::accounts::User;
use crate::config::AppClientConfig;

/// Claims of a Cognito ID token.
#[derive(Debug, Serialize)]
pub struct IdClaims<'a> {
    sub: &'a str,
    aud: &'a str,
    iss: &'a str,
    token_use: &'static str,
    auth_time: u64,
    exp: u64,
    iat: u64,
    jti: String,
    origin_jti: &'a str,
    #[serde(rename = "cognito:username")]
    cognito_username: &'a str,
    #[serde(rename = "cognito:groups", skip_serializing_if = "<[_]>::is_empty")]
    cognito_groups: &'a [String],
    /// Only when the scopes release it ([`releases_email`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    at_hash: String,
}

/// Claims of a Cognito access token (no `aud`: API Gateway checks `client_id` instead).
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user's UUID.
    pub sub: String,
    /// The pool's issuer.
    pub iss: String,
    /// The app client.
    pub client_id: String,
    /// `access`.
    pub token_use: String,
    /// Granted scopes, space separated.
    pub scope: String,
    /// When the user signed in.
    pub auth_time: u64,
    /// Expiry.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// This token's id.
    pub jti: String,
    /// The sign-in's id, shared by refreshed tokens.
    pub origin_jti: String,
    /// The username.
    pub username: String,
    /// The user's groups, omitted when there are none (as Cognito does).
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cognito_groups: Vec<String>,
    /// Always 2.
    pub version: u32,
}

/// The tokens of one issue. Debug shows no token text.
pub struct IssuedTokens {
    /// The access token.
    pub access_token: String,
    /// The ID token, when `openid` was granted.
    pub id_token: Option<String>,
    /// The access token's lifetime in seconds.
    pub expires_in: u64,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("access_token", &"[redacted]")
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Whether granted `scopes` release the `email` and `email_verified` attributes, in the ID token
/// and from `/oauth2/userInfo` alike. Cognito: `email` releases them; `openid` without any other
/// OIDC scope releases every attribute the client may read; `profile` (name, preferred_username,
/// ... and custom attributes; devstack's users have none) or `phone` without `email` do not.
/// `aws.cognito.signin.user.admin` and custom scopes change nothing. Sources: "Access token
/// scopes and their effect on the userInfo response" in
/// <https://docs.aws.amazon.com/cognito/latest/developerguide/userinfo-endpoint.html>, and the
/// CDK's `OAuthScope` (`OPENID`: all readable attributes in the ID token; `EMAIL`: the `email`
/// and `email_verified` claims).
pub(super) fn releases_email<'a>(scopes: impl IntoIterator<Item = &'a str>) -> bool {
    let mut other_oidc_scope = false;
    for scope in scopes {
        match scope {
            "email" => return true,
            "profile" | "phone" => other_oidc_scope = true,
            _ => {}
        }
    }
    !other_oidc_scope
}

/// `at_hash`: the left half of the SHA-256 of the access token, base64url (OIDC Core 3.1.3.6).
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// What a new sign-in grants.
#[derive(Debug)]
pub struct SignIn<'a> {
    /// Scopes of the access token.
    pub scopes: Vec<String>,
    /// Whether ID tokens are issued (`openid` granted, or the JSON API's flows).
    pub id_token: bool,
    /// When the user entered their password.
    pub auth_time: u64,
    /// Copied into the first ID token.
    pub nonce: Option<&'a str>,
}

/// Why a refresh token was refused.
#[derive(Debug)]
pub enum RefreshRefusal {
    /// Unknown, expired, revoked, rotated out (its grace period over) or another client's, or
    /// its user is gone; the text says which.
    Refused(&'static str),
    /// Signing failed.
    Sign(KeyError),
}

impl CognitoState {
    /// Starts a sign-in (a new `origin_jti`): tokens and a refresh token.
    pub(super) fn start_sign_in(
        &self,
        client: &AppClientConfig,
        user: &User,
        sign_in: SignIn<'_>,
    ) -> Result<(IssuedTokens, String), KeyError> {
        let now = self.clock.now_secs();
        let grant = RefreshGrant {
            client_id: client.client_id.clone(),
            username: user.username.clone(),
            scopes: sign_in.scopes,
            id_token: sign_in.id_token,
            auth_time: sign_in.auth_time,
            origin_jti: uuid::Uuid::new_v4().to_string(),
            expires_at: now + u64::from(client.refresh_token_validity_minutes) * 60,
        };
        let tokens = self.issue_tokens(client, user, &grant, sign_in.nonce)?;
        let refresh_token = self.grants().refresh_tokens.start(grant, now);
        Ok((tokens, refresh_token))
    }

    /// New tokens for a refresh token of `client`; with rotation, a new refresh token too, valid
    /// for what is left of the sign-in's refresh-token lifetime, while the one it was given
    /// works for the client's grace period more ([`super::refresh_tokens`]).
    pub(super) fn refresh_sign_in(
        &self,
        client: &AppClientConfig,
        token: &str,
    ) -> Result<(IssuedTokens, Option<String>), RefreshRefusal> {
        let now = self.clock.now_secs();
        let rotation = client
            .refresh_token_rotation
            .then_some(u64::from(client.refresh_token_retry_grace_seconds));
        // Checked and (with rotation) rotated under one lock: a revocation cannot come between.
        let (grant, refresh_token) = self
            .grants()
            .refresh_tokens
            .refresh(token, &client.client_id, rotation, now)
            .map_err(|refusal| RefreshRefusal::Refused(refusal.description()))?;
        let user = self
            .accounts
            .user(&grant.username)
            .ok_or(RefreshRefusal::Refused("the user no longer exists"))?;
        let tokens = self
            .issue_tokens(client, &user, &grant, None)
            .map_err(RefreshRefusal::Sign)?;
        Ok((tokens, refresh_token))
    }

    /// The longest an access token of any client lives, in seconds: how long a revocation must
    /// be remembered for `/oauth2/userInfo`.
    pub(super) fn longest_access_token_lifetime(&self) -> u64 {
        self.config
            .app_clients
            .iter()
            .map(|client| {
                self.config
                    .testing
                    .token_lifetime_secs(client.access_token_validity_minutes)
            })
            .max()
            .unwrap_or_default()
    }

    /// Signs an access token and, when the grant has them, an ID token, for one sign-in
    /// (`grant.origin_jti`). `nonce` goes into the ID token (only on the code exchange).
    fn issue_tokens(
        &self,
        client: &AppClientConfig,
        user: &User,
        grant: &RefreshGrant,
        nonce: Option<&str>,
    ) -> Result<IssuedTokens, KeyError> {
        let now = self.clock.now_secs();
        let tamper = self.config.testing.tamper_signatures;
        let lifetime = |minutes| self.config.testing.token_lifetime_secs(minutes);
        let access_lifetime = lifetime(client.access_token_validity_minutes);
        let access = AccessClaims {
            sub: user.sub.clone(),
            iss: self.issuer.clone(),
            client_id: client.client_id.clone(),
            token_use: "access".into(),
            scope: grant.scopes.join(" "),
            auth_time: grant.auth_time,
            exp: now + access_lifetime,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            origin_jti: grant.origin_jti.clone(),
            username: user.username.clone(),
            cognito_groups: user.groups.clone(),
            version: 2,
        };
        let access_token = self.keys.access.sign(&access, tamper)?;
        let id_token = if grant.id_token {
            let email = releases_email(grant.scopes.iter().map(String::as_str));
            let id = IdClaims {
                sub: &user.sub,
                aud: &client.client_id,
                iss: &self.issuer,
                token_use: "id",
                auth_time: grant.auth_time,
                exp: now + lifetime(client.id_token_validity_minutes),
                iat: now,
                jti: uuid::Uuid::new_v4().to_string(),
                origin_jti: &grant.origin_jti,
                cognito_username: &user.username,
                cognito_groups: &user.groups,
                email: email.then_some(user.email.as_str()),
                email_verified: email.then_some(user.email_verified),
                nonce,
                at_hash: at_hash(&access_token),
            };
            Some(self.keys.id.sign(&id, tamper)?)
        } else {
            None
        };
        Ok(IssuedTokens {
            access_token,
            id_token,
            expires_in: access_lifetime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_left_half_of_sha256() {
        // sha256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a396177a9cb410ff61f20015ad
        let expected = URL_SAFE_NO_PAD.encode([
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23,
        ]);
        assert_eq!(at_hash("abc"), expected);
    }

    #[test]
    fn email_is_released_by_the_email_scope_or_by_openid_alone() {
        let released = |scopes: &str| releases_email(scopes.split(' '));
        assert!(released("openid email profile api/read api/write"));
        assert!(released("openid email"));
        assert!(released("openid"));
        assert!(released("openid api/read aws.cognito.signin.user.admin"));
        assert!(!released("openid profile"));
        assert!(!released("openid phone api/read"));
    }

    #[test]
    fn debug_shows_no_token_text() {
        let tokens = IssuedTokens {
            access_token: "eyJ.access-token-text.sig".into(),
            id_token: Some("eyJ.id-token-text.sig".into()),
            expires_in: 3600,
        };
        let debug = format!("{tokens:?}");
        assert!(!debug.contains("token-text"), "{debug}");
        assert_eq!(
            debug,
            r#"IssuedTokens { access_token: "[redacted]", id_token: Some("[redacted]"), expires_in: 3600 }"#
        );
    }
}
