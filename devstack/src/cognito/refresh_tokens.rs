//! Refresh tokens, kept by sign-in: every token of one sign-in (one `origin_jti`) belongs to its
//! family, which holds what they stand for and when they all expire.
//!
//! Rotation follows Cognito's `RefreshTokenRotation` (API reference, RefreshTokenRotationType;
//! developer guide, "Refresh tokens"): each refresh returns a new refresh token that is valid
//! for what is left of the original's lifetime, never a fresh one, and the token it was given
//! keeps working for the client's `RetryGracePeriodSeconds` after it was rotated (0: not at
//! all), then is refused. Where AWS says nothing, devstack chose:
//!
//! - A refresh with a token inside its grace period is a full refresh: new ID and access tokens
//!   and another new refresh token, while the one the first refresh returned stays valid too.
//!   The grace period runs from the token's first rotation; using it again does not extend it.
//! - Revoking any token of a sign-in (the newest, a rotated one, one in its grace period) ends
//!   the whole family, and the access tokens of the sign-in for userInfo and the JSON API.
//! - A rotated token is remembered after its grace period, so its refusal can say so. A family
//!   holds at most [`MAX_TOKENS_PER_SIGN_IN`] tokens: past that, its oldest is forgotten first
//!   (only a client retrying within a grace period over and over gets there).
//! - Reusing a rotated token after its grace period does not revoke the family (RFC 9700
//!   4.14.2 allows that; Cognito documents only the refusal).

use std::collections::HashMap;

use crate::accounts::random_handle;

/// The most refresh tokens one sign-in keeps, rotated ones included (devstack's bound, so that
/// retries within a grace period cannot grow memory without end).
pub const MAX_TOKENS_PER_SIGN_IN: usize = 8;

/// What a sign-in's refresh tokens stand for.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The user.
    pub username: String,
    /// Scopes of the original grant.
    pub scopes: Vec<String>,
    /// Whether refreshes issue ID tokens too.
    pub id_token: bool,
    /// When the user signed in.
    pub auth_time: u64,
    /// Shared by every token of this sign-in (`origin_jti`); revocation works on it.
    pub origin_jti: String,
    /// When every refresh token of the sign-in expires: the first one's lifetime, which
    /// rotation does not extend.
    pub expires_at: u64,
}

/// Why a refresh token was refused. Each says it in devstack's words (`error_description`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued, forgotten, expired, or its sign-in revoked.
    Unknown,
    /// Replaced by a rotation, and its grace period is over.
    Rotated,
    /// Issued to another app client.
    OtherClient,
}

impl Refusal {
    /// The `error_description` of the token endpoint's `invalid_grant`.
    pub fn description(self) -> &'static str {
        match self {
            Self::Unknown => "the refresh token is unknown, expired or revoked",
            Self::Rotated => {
                "the refresh token was replaced by rotation and its grace period is over"
            }
            Self::OtherClient => "the refresh token was issued to another client",
        }
    }
}

/// One token of a family.
#[derive(Debug)]
struct Member {
    token: String,
    /// `None` until it is rotated; then the moment its grace period ends.
    usable_until: Option<u64>,
}

/// The tokens of one sign-in, oldest first.
#[derive(Debug)]
struct Family {
    grant: RefreshGrant,
    members: Vec<Member>,
}

/// Every sign-in's refresh tokens, and the sign-ins revoked lately. Keys are secrets (refresh
/// tokens) or ids of sign-ins: Debug shows only how many there are.
#[derive(Default)]
pub struct RefreshTokens {
    /// By `origin_jti`.
    families: HashMap<String, Family>,
    /// Each refresh token's `origin_jti`.
    owners: HashMap<String, String>,
    /// Revoked `origin_jti`s, each with the moment from which no access token of it can be
    /// alive any more; then it is forgotten.
    revoked_origins: HashMap<String, u64>,
}

impl std::fmt::Debug for RefreshTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshTokens")
            .field("sign_ins", &self.families.len())
            .field("tokens", &self.owners.len())
            .field("revoked_origins", &self.revoked_origins.len())
            .finish()
    }
}

impl RefreshTokens {
    /// Starts a sign-in's family and returns its first refresh token. Expired families are
    /// dropped on the way.
    pub fn start(&mut self, grant: RefreshGrant, now: u64) -> String {
        let expired: Vec<String> = self
            .families
            .iter()
            .filter(|(_, family)| family.grant.expires_at <= now)
            .map(|(origin, _)| origin.clone())
            .collect();
        for origin in expired {
            self.forget_family(&origin);
        }
        let token = random_handle();
        let origin = grant.origin_jti.clone();
        self.owners.insert(token.clone(), origin.clone());
        self.families.insert(
            origin,
            Family {
                grant,
                members: vec![Member {
                    token: token.clone(),
                    usable_until: None,
                }],
            },
        );
        token
    }

    /// A refresh of `client_id` with `token`: the sign-in's grant and, when the client rotates
    /// (`rotation` is its grace period in seconds), a new refresh token of the same family.
    /// The token it was given is then retired: refused from `now + grace` on (already retired:
    /// its grace period stays as it was).
    pub fn refresh(
        &mut self,
        token: &str,
        client_id: &str,
        rotation: Option<u64>,
        now: u64,
    ) -> Result<(RefreshGrant, Option<String>), Refusal> {
        let origin = self.owners.get(token).ok_or(Refusal::Unknown)?.clone();
        let family = self.families.get_mut(&origin).ok_or(Refusal::Unknown)?;
        if family.grant.expires_at <= now {
            return Err(Refusal::Unknown);
        }
        let member = family
            .members
            .iter_mut()
            .find(|member| member.token == token)
            .ok_or(Refusal::Unknown)?;
        if member.usable_until.is_some_and(|until| until <= now) {
            return Err(Refusal::Rotated);
        }
        if family.grant.client_id != client_id {
            return Err(Refusal::OtherClient);
        }
        let Some(grace) = rotation else {
            return Ok((family.grant.clone(), None));
        };
        member.usable_until.get_or_insert(now + grace);
        let new_token = random_handle();
        family.members.push(Member {
            token: new_token.clone(),
            usable_until: None,
        });
        let excess = family.members.len().saturating_sub(MAX_TOKENS_PER_SIGN_IN);
        let forgotten: Vec<Member> = family.members.drain(..excess).collect();
        let grant = family.grant.clone();
        for member in forgotten {
            self.owners.remove(&member.token);
        }
        self.owners.insert(new_token.clone(), origin);
        Ok((grant, Some(new_token)))
    }

    /// The client a refresh token was issued to, whether or not it still works (revocation
    /// checks it).
    pub fn client_of(&self, token: &str) -> Option<&str> {
        let origin = self.owners.get(token)?;
        self.families
            .get(origin)
            .map(|family| family.grant.client_id.as_str())
    }

    /// Revokes the sign-in of a refresh token: every token of its family, and its access
    /// tokens. The revocation is remembered for `access_token_lifetime` seconds (the longest
    /// any client's access tokens live): after that, every access token of the sign-in has
    /// expired anyway. Revocations older than that are forgotten on the way. An unknown token
    /// revokes nothing.
    pub fn revoke(&mut self, token: &str, now: u64, access_token_lifetime: u64) {
        self.revoked_origins.retain(|_, until| *until > now);
        if let Some(origin) = self.owners.get(token).cloned() {
            self.forget_family(&origin);
            self.revoked_origins
                .insert(origin, now + access_token_lifetime);
        }
    }

    /// Revokes every sign-in of `username` (GlobalSignOut, AdminDeleteUser) as
    /// [`RefreshTokens::revoke`] revokes one.
    pub fn revoke_user(&mut self, username: &str, now: u64, access_token_lifetime: u64) {
        self.revoked_origins.retain(|_, until| *until > now);
        let origins: Vec<String> = self
            .families
            .iter()
            .filter(|(_, family)| family.grant.username.eq_ignore_ascii_case(username))
            .map(|(origin, _)| origin.clone())
            .collect();
        for origin in origins {
            self.forget_family(&origin);
            self.revoked_origins
                .insert(origin, now + access_token_lifetime);
        }
    }

    /// Whether tokens with this `origin_jti` were revoked.
    pub fn is_revoked(&self, origin_jti: &str) -> bool {
        self.revoked_origins.contains_key(origin_jti)
    }

    fn forget_family(&mut self, origin: &str) {
        if let Some(family) = self.families.remove(origin) {
            for member in family.members {
                self.owners.remove(&member.token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "client";

    fn grant(origin_jti: &str, now: u64) -> RefreshGrant {
        RefreshGrant {
            client_id: CLIENT.into(),
            username: "demo".into(),
            scopes: vec!["openid".into()],
            id_token: true,
            auth_time: now,
            origin_jti: origin_jti.into(),
            expires_at: now + 3600,
        }
    }

    /// A rotating refresh with a grace period of `grace` seconds: the new token.
    fn rotate(tokens: &mut RefreshTokens, token: &str, grace: u64, now: u64) -> String {
        let (_, new) = tokens
            .refresh(token, CLIENT, Some(grace), now)
            .expect("refreshed");
        new.expect("a new refresh token")
    }

    #[test]
    fn debug_shows_counts_and_no_secret() {
        let mut tokens = RefreshTokens::default();
        let token = tokens.start(grant("origin-jti", 1_000), 1_000);
        let debug = format!("{tokens:?}");
        for secret in [token.as_str(), "origin-jti"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert_eq!(
            debug,
            "RefreshTokens { sign_ins: 1, tokens: 1, revoked_origins: 0 }"
        );
    }

    #[test]
    fn without_rotation_the_same_token_works_until_the_sign_in_expires() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let token = tokens.start(grant("first", now), now);
        for at in [now, now + 3_599] {
            let (grant, new) = tokens.refresh(&token, CLIENT, None, at).unwrap();
            assert_eq!((grant.origin_jti.as_str(), new), ("first", None));
        }
        assert_eq!(
            tokens
                .refresh(&token, CLIENT, None, now + 3_600)
                .unwrap_err(),
            Refusal::Unknown
        );
        assert_eq!(
            tokens.refresh(&token, "other", None, now).unwrap_err(),
            Refusal::OtherClient
        );
        assert_eq!(
            tokens.refresh("unknown", CLIENT, None, now).unwrap_err(),
            Refusal::Unknown
        );
    }

    #[test]
    fn rotation_keeps_the_sign_ins_expiry_and_retires_after_the_grace_period() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let first = tokens.start(grant("first", now), now);
        let second = rotate(&mut tokens, &first, 10, now + 100);
        assert_ne!(second, first);
        // The old one works for 10 s after its rotation, then says why it does not.
        let retry = rotate(&mut tokens, &first, 10, now + 109);
        assert_eq!(
            tokens
                .refresh(&first, CLIENT, Some(10), now + 110)
                .unwrap_err(),
            Refusal::Rotated
        );
        // Both new ones work, until the sign-in's first token would have expired.
        let (grant, _) = tokens
            .refresh(&retry, CLIENT, Some(10), now + 3_599)
            .unwrap();
        assert_eq!(grant.expires_at, now + 3_600);
        let third = rotate(&mut tokens, &second, 10, now + 3_599);
        assert_eq!(
            tokens
                .refresh(&third, CLIENT, Some(10), now + 3_600)
                .unwrap_err(),
            Refusal::Unknown
        );
    }

    #[test]
    fn a_grace_period_of_zero_retires_at_once_and_retries_do_not_extend_one() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let first = tokens.start(grant("first", now), now);
        rotate(&mut tokens, &first, 0, now);
        assert_eq!(
            tokens.refresh(&first, CLIENT, Some(0), now).unwrap_err(),
            Refusal::Rotated
        );

        let other = tokens.start(grant("other", now), now);
        rotate(&mut tokens, &other, 10, now);
        rotate(&mut tokens, &other, 10, now + 9);
        assert_eq!(
            tokens
                .refresh(&other, CLIENT, Some(10), now + 10)
                .unwrap_err(),
            Refusal::Rotated,
            "the grace period ran from the first rotation"
        );
    }

    #[test]
    fn a_sign_in_keeps_a_bounded_number_of_tokens_oldest_forgotten_first() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let first = tokens.start(grant("first", now), now);
        let siblings: Vec<String> = (0..MAX_TOKENS_PER_SIGN_IN - 1)
            .map(|_| rotate(&mut tokens, &first, 60, now))
            .collect();
        assert_eq!(tokens.owners.len(), MAX_TOKENS_PER_SIGN_IN);
        // One more retry: the oldest, the retried token itself, is forgotten.
        let last = rotate(&mut tokens, &first, 60, now);
        assert_eq!(tokens.owners.len(), MAX_TOKENS_PER_SIGN_IN);
        assert_eq!(
            tokens.families["first"].members.len(),
            MAX_TOKENS_PER_SIGN_IN
        );
        assert_eq!(
            tokens.refresh(&first, CLIENT, Some(60), now).unwrap_err(),
            Refusal::Unknown
        );
        for token in siblings.iter().chain([&last]) {
            assert!(tokens.refresh(token, CLIENT, None, now).is_ok());
        }
    }

    #[test]
    fn revoking_any_token_of_a_sign_in_ends_all_of_it() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let first = tokens.start(grant("first", now), now);
        let second = rotate(&mut tokens, &first, 10, now);
        let third = rotate(&mut tokens, &second, 10, now);
        let other = tokens.start(grant("other", now), now);
        // The oldest, rotated and in its grace period, revokes the newest too.
        tokens.revoke(&first, now, 3_600);
        for token in [&first, &second, &third] {
            assert_eq!(
                tokens.refresh(token, CLIENT, Some(10), now).unwrap_err(),
                Refusal::Unknown
            );
            assert_eq!(tokens.client_of(token), None);
        }
        assert!(tokens.is_revoked("first"));
        assert!(tokens.refresh(&other, CLIENT, Some(10), now).is_ok());
        assert!(!tokens.is_revoked("other"));
        assert_eq!(tokens.families.len(), 1);
    }

    #[test]
    fn revoking_a_user_ends_all_their_sign_ins_and_no_one_elses() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let first = tokens.start(grant("first", now), now);
        let rotated = rotate(&mut tokens, &first, 10, now);
        let second = tokens.start(grant("second", now), now);
        let other = tokens.start(
            RefreshGrant {
                username: "admin".into(),
                ..grant("other", now)
            },
            now,
        );
        tokens.revoke_user("DEMO", now, 3_600);
        for token in [&first, &rotated, &second] {
            assert!(tokens.refresh(token, CLIENT, None, now).is_err());
        }
        assert!(tokens.is_revoked("first") && tokens.is_revoked("second"));
        assert!(tokens.refresh(&other, CLIENT, None, now).is_ok());
        assert!(!tokens.is_revoked("other"));
        assert_eq!(tokens.owners.len(), 1);
        // Remembered as long as their access tokens may live, then forgotten.
        tokens.revoke_user("nobody", now + 3_600, 3_600);
        assert!(!tokens.is_revoked("first"));
    }

    #[test]
    fn revocations_are_forgotten_once_their_access_tokens_have_expired() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let lifetime = 3_600;
        let first = tokens.start(grant("first", now), now);
        tokens.revoke(&first, now, lifetime);
        assert!(tokens.is_revoked("first"));

        let second = tokens.start(grant("second", now), now);
        tokens.revoke(&second, now + lifetime - 1, lifetime);
        assert!(
            tokens.is_revoked("first"),
            "its access tokens may still live"
        );

        tokens.revoke("unknown", now + lifetime, lifetime);
        assert!(!tokens.is_revoked("first"));
        assert!(tokens.is_revoked("second"));
        assert_eq!(tokens.revoked_origins.len(), 1);
    }

    #[test]
    fn expired_sign_ins_are_dropped_when_a_new_one_starts() {
        let mut tokens = RefreshTokens::default();
        let now = 1_000;
        let first = tokens.start(grant("first", now), now);
        rotate(&mut tokens, &first, 10, now);
        tokens.start(grant("second", now + 3_600), now + 3_600);
        assert_eq!(tokens.families.len(), 1);
        assert_eq!(tokens.owners.len(), 1);
    }
}
