//! A signed-in session: its tokens, their checked claims, and the rules for renewing them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::claims::{self, AccessClaims, Expected, IdClaims};
use super::error::{AuthError, TokenError};
use super::jwt::DecodedJwt;
use super::types::{AccessToken, IdToken, Nonce, RefreshToken, SessionId};

/// The longest margin kept between a refresh and the expiry of the tokens.
pub const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The shortest wait before a refresh, so that a clock far off from the issuer's (every new token
/// looking due already) cannot turn refreshing into a loop.
pub const MIN_REFRESH_DELAY: Duration = Duration::from_secs(5);

/// The longest wait before trying again after renewing failed for a reason that may pass (the
/// network, the token endpoint, another tab holding the refresh lock).
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// An access token that expires sooner than this is renewed before it is sent: it could expire
/// on the way to the API.
pub const SEND_MARGIN: Duration = Duration::from_secs(10);

/// The tokens of a session, as kept in memory or `sessionStorage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokens {
    /// The ID token.
    pub id_token: IdToken,
    /// The access token.
    pub access_token: AccessToken,
    /// The refresh token, when the token endpoint gave one.
    pub refresh_token: Option<RefreshToken>,
    /// The sign-in these tokens come from. Only tabs of the same sign-in take up each other's
    /// renewed tokens (a separate sign-in in another tab has its own refresh token).
    pub session_id: SessionId,
    /// How many times the tokens were renewed since the sign-in: a late message never brings
    /// back older tokens.
    pub renewals: u64,
}

impl StoredTokens {
    /// Whether these tokens, renewed in another tab, replace `ours`: only tokens of the same
    /// sign-in, and only newer ones.
    pub fn supersede(&self, ours: &StoredTokens) -> bool {
        self.session_id == ours.session_id && self.renewals > ours.renewals
    }

    /// Whether these are the very tokens `other` are (same sign-in, same renewal). A renewal of
    /// tokens that are no longer the stored ones is not kept: the session ended, was signed in
    /// anew, or was renewed otherwise while it was under way.
    pub fn same_version(&self, other: &StoredTokens) -> bool {
        self.session_id == other.session_id && self.renewals == other.renewals
    }
}

/// The token endpoint's answer (`/oauth2/token`, both grants).
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    /// The new access token.
    pub access_token: Option<AccessToken>,
    /// The new ID token.
    pub id_token: Option<IdToken>,
    /// A refresh token: on sign-in, and on refresh only when rotation is on.
    pub refresh_token: Option<RefreshToken>,
}

impl TokenResponse {
    /// The tokens of a new sign-in, named `session_id`.
    pub fn into_sign_in(self, session_id: SessionId) -> Result<StoredTokens, AuthError> {
        Ok(StoredTokens {
            id_token: self.id_token.ok_or(AuthError::MissingToken("ID token"))?,
            access_token: self
                .access_token
                .ok_or(AuthError::MissingToken("access token"))?,
            refresh_token: self.refresh_token,
            session_id,
            renewals: 0,
        })
    }

    /// The tokens that renew `current`, in the same session. `current`'s refresh token stays in
    /// use when the answer carries none (Cognito without rotation), and is replaced when it does
    /// (rotation on: the old one stops working after the client's grace period).
    pub fn into_renewal_of(self, current: &StoredTokens) -> Result<StoredTokens, AuthError> {
        let renewed = self.into_sign_in(current.session_id.clone())?;
        Ok(StoredTokens {
            refresh_token: renewed
                .refresh_token
                .or_else(|| current.refresh_token.clone()),
            renewals: current.renewals.saturating_add(1),
            ..renewed
        })
    }
}

/// A signed-in session whose tokens passed every check.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    tokens: StoredTokens,
    /// The ID token's checked claims.
    pub id_claims: IdClaims,
    /// The access token's checked claims.
    pub access_claims: AccessClaims,
    /// The ID token decoded (header and all claims), for display.
    pub id_token: DecodedJwt,
    /// The access token decoded (header and all claims), for display.
    pub access_token: DecodedJwt,
}

impl Session {
    /// Checks the claims of both tokens (their signatures must have been verified already) and
    /// builds the session. `nonce` is the sign-in's nonce, `None` after a refresh or a reload.
    pub fn from_verified(
        tokens: StoredTokens,
        id_token: DecodedJwt,
        access_token: DecodedJwt,
        expected: &Expected<'_>,
        nonce: Option<&Nonce>,
    ) -> Result<Self, AuthError> {
        let id_claims = claims::validate_id_token(&id_token, expected, nonce)?;
        let access_claims = claims::validate_access_token(&access_token, expected)?;
        if access_claims.sub != id_claims.sub {
            return Err(TokenError::SubjectMismatch.into());
        }
        Ok(Self {
            tokens,
            id_claims,
            access_claims,
            id_token,
            access_token,
        })
    }

    /// The tokens, for storing.
    pub fn tokens(&self) -> &StoredTokens {
        &self.tokens
    }

    /// The bearer token for the API.
    pub fn access_token(&self) -> &AccessToken {
        &self.tokens.access_token
    }

    /// The refresh token, if there is one.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.tokens.refresh_token.as_ref()
    }

    /// When the first of the two tokens expires, seconds since the epoch.
    pub fn expires_at(&self) -> i64 {
        self.id_claims.exp.min(self.access_claims.exp)
    }

    /// The user's name: `cognito:username`, else `username`, else `sub`.
    pub fn username(&self) -> &str {
        self.id_claims
            .username
            .as_deref()
            .or(self.access_claims.username.as_deref())
            .unwrap_or(&self.id_claims.sub)
    }

    /// How long to wait before refreshing, from `now` (seconds since the epoch).
    pub fn refresh_delay(&self, now: i64) -> Duration {
        refresh_delay(self.access_claims.iat, self.expires_at(), now)
    }

    /// Whether the tokens have expired at `now`, or will within `margin`.
    pub fn expires_within(&self, now: i64, margin: Duration) -> bool {
        let margin = i64::try_from(margin.as_secs()).unwrap_or(i64::MAX);
        self.expires_at().saturating_sub(now) <= margin
    }

    /// Whether the tokens have expired at `now`: they are not sent anywhere any more.
    pub fn has_expired(&self, now: i64) -> bool {
        self.expires_within(now, Duration::ZERO)
    }
}

/// How long to wait before the next try after `failures` renewals in a row failed for reasons
/// that may pass: [`MIN_REFRESH_DELAY`], doubling with each failure, at most [`MAX_RETRY_DELAY`].
pub fn retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    MIN_REFRESH_DELAY
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_DELAY)
}

/// When to refresh tokens issued at `issued_at` that expire at `expires_at`: a margin of 10 % of
/// their lifetime, at most [`MAX_REFRESH_MARGIN`] and at least one second, before expiry; when
/// that moment has passed, soon ([`MIN_REFRESH_DELAY`]), never at a time in the past.
pub fn refresh_delay(issued_at: i64, expires_at: i64, now: i64) -> Duration {
    let lifetime = (expires_at - issued_at).max(0);
    let margin = (lifetime / 10).clamp(1, MAX_REFRESH_MARGIN.as_secs() as i64);
    let wait = expires_at - margin - now;
    Duration::from_secs(u64::try_from(wait).unwrap_or(0)).max(MIN_REFRESH_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::claims::tests::{CLIENT, ISSUER, NOW, access_claims, id_claims, jwt};
    use crate::auth::types::ClientId;

    fn tokens(refresh: Option<&str>) -> StoredTokens {
        StoredTokens {
            id_token: IdToken::new("id"),
            access_token: AccessToken::new("access"),
            refresh_token: refresh.map(RefreshToken::new),
            session_id: SessionId::new("session-1"),
            renewals: 0,
        }
    }

    fn session_for(id: serde_json::Value) -> Result<Session, AuthError> {
        let client = ClientId::new(CLIENT);
        let expected = Expected {
            issuer: ISSUER,
            client_id: &client,
            now: NOW,
        };
        Session::from_verified(
            tokens(Some("r")),
            jwt(&id),
            jwt(&access_claims()),
            &expected,
            None,
        )
    }

    #[test]
    fn the_old_refresh_token_stays_when_the_answer_has_none() {
        let response: TokenResponse = serde_json::from_str(
            r#"{"id_token":"i2","access_token":"a2","token_type":"Bearer","expires_in":3600}"#,
        )
        .unwrap();
        let tokens = response.into_renewal_of(&tokens(Some("r1"))).unwrap();
        assert_eq!(tokens.refresh_token, Some(RefreshToken::new("r1")));
        assert_eq!(tokens.access_token, AccessToken::new("a2"));
    }

    #[test]
    fn a_renewal_stays_in_its_session_and_counts() {
        let response: TokenResponse =
            serde_json::from_str(r#"{"id_token":"i2","access_token":"a2"}"#).unwrap();
        let mut current = tokens(Some("r1"));
        current.renewals = 4;
        let renewed = response.into_renewal_of(&current).unwrap();
        assert_eq!(renewed.session_id, SessionId::new("session-1"));
        assert_eq!(renewed.renewals, 5);
        let response: TokenResponse =
            serde_json::from_str(r#"{"id_token":"i1","access_token":"a1","refresh_token":"r1"}"#)
                .unwrap();
        let signed_in = response.into_sign_in(SessionId::new("new")).unwrap();
        assert_eq!(signed_in.renewals, 0);
        assert_eq!(signed_in.refresh_token, Some(RefreshToken::new("r1")));
    }

    #[test]
    fn only_newer_tokens_of_the_same_sign_in_supersede() {
        let ours = tokens(Some("r1"));
        let newer = StoredTokens {
            renewals: 1,
            ..tokens(Some("r2"))
        };
        assert!(newer.supersede(&ours));
        assert!(!ours.supersede(&newer), "a late message is older");
        assert!(
            !ours.supersede(&ours),
            "the same tokens again change nothing"
        );
        let other_sign_in = StoredTokens {
            session_id: SessionId::new("session-2"),
            renewals: 9,
            ..tokens(Some("r9"))
        };
        assert!(
            !other_sign_in.supersede(&ours),
            "another sign-in's tokens never take this session over"
        );
    }

    #[test]
    fn a_rotated_refresh_token_replaces_the_old_one() {
        let response: TokenResponse =
            serde_json::from_str(r#"{"id_token":"i2","access_token":"a2","refresh_token":"r2"}"#)
                .unwrap();
        let tokens = response.into_renewal_of(&tokens(Some("r1"))).unwrap();
        assert_eq!(tokens.refresh_token, Some(RefreshToken::new("r2")));
    }

    #[test]
    fn an_answer_without_id_or_access_token_is_refused() {
        let response: TokenResponse = serde_json::from_str(r#"{"access_token":"a2"}"#).unwrap();
        assert_eq!(
            response.into_sign_in(SessionId::new("s")),
            Err(AuthError::MissingToken("ID token"))
        );
        let response: TokenResponse = serde_json::from_str(r#"{"id_token":"i2"}"#).unwrap();
        assert_eq!(
            response.into_renewal_of(&tokens(None)),
            Err(AuthError::MissingToken("access token"))
        );
    }

    #[test]
    fn tokens_of_two_users_do_not_make_a_session() {
        let mut id = id_claims();
        id["sub"] = "user-2".into();
        assert_eq!(
            session_for(id),
            Err(AuthError::Token(TokenError::SubjectMismatch))
        );
    }

    #[test]
    fn session_reports_expiry_and_name() {
        let session = session_for(id_claims()).unwrap();
        assert_eq!(session.expires_at(), NOW + 3600);
        assert_eq!(session.username(), "demo");
        assert_eq!(session.refresh_token(), Some(&RefreshToken::new("r")));
        assert_eq!(session.refresh_delay(NOW), Duration::from_secs(3540));
    }

    #[test]
    fn expiry_is_seen_with_and_without_a_margin() {
        let session = session_for(id_claims()).unwrap();
        let expires_at = session.expires_at();
        assert!(!session.has_expired(expires_at - 1));
        assert!(
            session.has_expired(expires_at),
            "exp is the first second it is invalid"
        );
        assert!(session.has_expired(expires_at + 1));
        assert!(!session.expires_within(expires_at - 11, SEND_MARGIN));
        assert!(session.expires_within(expires_at - 10, SEND_MARGIN));
        assert!(session.expires_within(expires_at + 100, SEND_MARGIN));
    }

    #[test]
    fn retries_back_off_up_to_a_bound() {
        let delays: Vec<u64> = (1..=9).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(retry_delay(0), MIN_REFRESH_DELAY);
        assert_eq!(retry_delay(u32::MAX), MAX_RETRY_DELAY);
    }

    #[test]
    fn only_the_same_sign_in_and_renewal_are_the_same_version() {
        let stored = tokens(Some("r1"));
        assert!(stored.same_version(&tokens(Some("r1"))));
        let renewed = StoredTokens {
            renewals: 1,
            ..tokens(Some("r2"))
        };
        assert!(
            !stored.same_version(&renewed),
            "renewed meanwhile: the renewal under way is stale"
        );
        let signed_in_anew = StoredTokens {
            session_id: SessionId::new("session-2"),
            ..tokens(Some("r9"))
        };
        assert!(!stored.same_version(&signed_in_anew));
    }

    #[test]
    fn refresh_happens_a_minute_before_a_long_lived_token_expires() {
        assert_eq!(refresh_delay(0, 3600, 0), Duration::from_secs(3540));
        assert_eq!(refresh_delay(0, 3600, 1000), Duration::from_secs(2540));
    }

    #[test]
    fn short_lived_tokens_refresh_at_ten_percent_of_their_lifetime() {
        assert_eq!(refresh_delay(0, 300, 0), Duration::from_secs(270));
        assert_eq!(refresh_delay(100, 120, 100), Duration::from_secs(18));
    }

    #[test]
    fn never_at_the_last_second() {
        // Even a 30-second token keeps a margin of three seconds.
        assert_eq!(refresh_delay(0, 30, 0), Duration::from_secs(27));
        assert_eq!(refresh_delay(0, 30, 20), Duration::from_secs(7));
    }

    #[test]
    fn overdue_refreshes_happen_soon_but_never_in_a_loop() {
        assert_eq!(refresh_delay(0, 3600, 3550), MIN_REFRESH_DELAY);
        assert_eq!(refresh_delay(0, 3600, 99_999), MIN_REFRESH_DELAY);
        assert_eq!(
            refresh_delay(100, 50, 0),
            Duration::from_secs(49),
            "nonsense times do not panic"
        );
    }
}
