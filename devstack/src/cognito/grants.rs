//! What the pool remembers between requests: authorization codes, managed-login sessions,
//! refresh tokens and revoked sign-ins. All in memory; a restart forgets them.

use std::collections::HashMap;

pub use crate::accounts::random_handle;

/// Codes live 5 minutes (Cognito).
pub const CODE_LIFETIME_SECS: u64 = 5 * 60;
/// At most this many unused, unexpired codes at once (devstack's bound, so a loop of sign-ins
/// cannot grow memory without end); over it, `/oauth2/authorize` redirects with `server_error`.
pub const MAX_LIVE_CODES: usize = 10_000;
/// The managed-login session cookie lives 1 hour (Cognito).
pub const SESSION_LIFETIME_SECS: u64 = 60 * 60;

/// An authorization code's binding: everything the token request must match.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The exact `redirect_uri` of the authorize request.
    pub redirect_uri: String,
    /// The S256 `code_challenge`, if the client sent one (Cognito makes PKCE optional).
    pub code_challenge: Option<String>,
    /// The `nonce`, copied into the ID token.
    pub nonce: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The user.
    pub username: String,
    /// When the user signed in (seconds).
    pub auth_time: u64,
    /// When the code stops working (seconds).
    pub expires_at: u64,
}

/// A managed-login session (the `cognito` cookie).
#[derive(Debug, Clone)]
pub struct LoginSession {
    /// The user.
    pub username: String,
    /// When they entered their password.
    pub auth_time: u64,
    /// When the session ends.
    pub expires_at: u64,
}

/// What a refresh token stands for.
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
    /// When the refresh token expires.
    pub expires_at: u64,
}

/// The maps, behind one lock. Their keys are secrets (codes, session ids, refresh tokens):
/// Debug shows only how many there are.
#[derive(Default)]
pub struct Grants {
    codes: HashMap<String, CodeGrant>,
    sessions: HashMap<String, LoginSession>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// Revoked `origin_jti`s, each with the moment from which no access token of it can be
    /// alive any more; then it is forgotten.
    revoked_origins: HashMap<String, u64>,
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants")
            .field("codes", &self.codes.len())
            .field("sessions", &self.sessions.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .field("revoked_origins", &self.revoked_origins.len())
            .finish()
    }
}

impl Grants {
    /// Stores a code (a UUID, like Cognito's) and returns it, or `None` when
    /// [`MAX_LIVE_CODES`] unexpired codes are waiting. Expired codes and sessions are dropped on
    /// the way, so unused ones do not pile up.
    pub fn insert_code(&mut self, grant: CodeGrant, now: u64) -> Option<String> {
        self.codes.retain(|_, g| g.expires_at > now);
        self.sessions.retain(|_, s| s.expires_at > now);
        if self.codes.len() >= MAX_LIVE_CODES {
            return None;
        }
        let code = uuid::Uuid::new_v4().to_string();
        self.codes.insert(code.clone(), grant);
        Some(code)
    }

    /// Removes and returns a code's grant: a code works at most once, even when the request
    /// that used it fails.
    pub fn take_code(&mut self, code: &str) -> Option<CodeGrant> {
        self.codes.remove(code)
    }

    /// Starts a session and returns the cookie value.
    pub fn insert_session(&mut self, session: LoginSession) -> String {
        let id = random_handle();
        self.sessions.insert(id.clone(), session);
        id
    }

    /// The live session with this id.
    pub fn session(&mut self, id: &str, now: u64) -> Option<LoginSession> {
        match self.sessions.get(id) {
            Some(s) if s.expires_at > now => Some(s.clone()),
            Some(_) => {
                self.sessions.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove_session(&mut self, id: &str) {
        self.sessions.remove(id);
    }

    /// Stores a refresh token and returns it; expired ones are dropped on the way.
    pub fn insert_refresh_token(&mut self, grant: RefreshGrant, now: u64) -> String {
        self.refresh_tokens.retain(|_, g| g.expires_at > now);
        let token = random_handle();
        self.refresh_tokens.insert(token.clone(), grant);
        token
    }

    /// The live grant of a refresh token.
    pub fn refresh_grant(&self, token: &str, now: u64) -> Option<&RefreshGrant> {
        self.refresh_tokens
            .get(token)
            .filter(|g| g.expires_at > now && !self.revoked_origins.contains_key(&g.origin_jti))
    }

    /// Forgets a refresh token (rotation retires the old one at once: a grace period of 0 s).
    pub fn remove_refresh_token(&mut self, token: &str) {
        self.refresh_tokens.remove(token);
    }

    /// The grant of a refresh token, live or not, for revocation.
    pub fn refresh_token_client(&self, token: &str) -> Option<&str> {
        self.refresh_tokens.get(token).map(|g| g.client_id.as_str())
    }

    /// Revokes a refresh token and every token of the same sign-in (same `origin_jti`). The
    /// revocation is remembered for `access_token_lifetime` seconds (the longest any client's
    /// access tokens live): after that, every access token of the sign-in has expired anyway.
    /// Revocations older than that are forgotten on the way.
    pub fn revoke(&mut self, token: &str, now: u64, access_token_lifetime: u64) {
        self.revoked_origins.retain(|_, until| *until > now);
        if let Some(grant) = self.refresh_tokens.remove(token) {
            let origin = grant.origin_jti;
            self.refresh_tokens.retain(|_, g| g.origin_jti != origin);
            self.revoked_origins
                .insert(origin, now + access_token_lifetime);
        }
    }

    /// Revokes every refresh token of `username` (GlobalSignOut, AdminDeleteUser) and the
    /// access tokens of those sign-ins, remembered as [`Grants::revoke`] remembers them.
    pub fn revoke_user(&mut self, username: &str, now: u64, access_token_lifetime: u64) {
        self.revoked_origins.retain(|_, until| *until > now);
        let mut origins = Vec::new();
        self.refresh_tokens.retain(|_, grant| {
            let theirs = grant.username.eq_ignore_ascii_case(username);
            if theirs {
                origins.push(grant.origin_jti.clone());
            }
            !theirs
        });
        for origin in origins {
            self.revoked_origins
                .insert(origin, now + access_token_lifetime);
        }
    }

    /// Whether tokens with this `origin_jti` were revoked.
    pub fn is_revoked(&self, origin_jti: &str) -> bool {
        self.revoked_origins.contains_key(origin_jti)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_grant(now: u64) -> CodeGrant {
        CodeGrant {
            client_id: "client".into(),
            redirect_uri: "http://localhost:8080/callback".into(),
            code_challenge: None,
            nonce: None,
            scopes: vec!["openid".into()],
            username: "demo".into(),
            auth_time: now,
            expires_at: now + CODE_LIFETIME_SECS,
        }
    }

    fn refresh_grant(origin_jti: &str, now: u64) -> RefreshGrant {
        RefreshGrant {
            client_id: "client".into(),
            username: "demo".into(),
            scopes: vec!["openid".into()],
            id_token: true,
            auth_time: now,
            origin_jti: origin_jti.into(),
            expires_at: now + 3600,
        }
    }

    #[test]
    fn debug_shows_counts_and_no_secret() {
        let mut grants = Grants::default();
        let now = 1_000;
        let code = grants.insert_code(code_grant(now), now).expect("room");
        let session = grants.insert_session(LoginSession {
            username: "demo".into(),
            auth_time: now,
            expires_at: now + SESSION_LIFETIME_SECS,
        });
        let refresh = grants.insert_refresh_token(refresh_grant("origin-jti", now), now);
        let debug = format!("{grants:?}");
        for secret in [&code, &session, &refresh, "origin-jti"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert_eq!(
            debug,
            "Grants { codes: 1, sessions: 1, refresh_tokens: 1, revoked_origins: 0 }"
        );
    }

    #[test]
    fn live_codes_are_capped_until_some_expire() {
        let mut grants = Grants::default();
        let now = 1_000;
        for _ in 0..MAX_LIVE_CODES {
            assert!(grants.insert_code(code_grant(now), now).is_some());
        }
        assert_eq!(grants.insert_code(code_grant(now), now + 1), None);
        let later = now + CODE_LIFETIME_SECS;
        assert!(grants.insert_code(code_grant(later), later).is_some());
        assert_eq!(grants.codes.len(), 1, "the expired codes were dropped");
    }

    #[test]
    fn revoking_a_user_ends_all_their_sign_ins_and_no_one_elses() {
        let mut grants = Grants::default();
        let now = 1_000;
        let first = grants.insert_refresh_token(refresh_grant("first", now), now);
        let second = grants.insert_refresh_token(refresh_grant("second", now), now);
        let other = grants.insert_refresh_token(
            RefreshGrant {
                username: "admin".into(),
                ..refresh_grant("other", now)
            },
            now,
        );
        grants.revoke_user("DEMO", now, 3_600);
        assert!(grants.refresh_grant(&first, now).is_none());
        assert!(grants.refresh_grant(&second, now).is_none());
        assert!(grants.is_revoked("first") && grants.is_revoked("second"));
        assert!(grants.refresh_grant(&other, now).is_some());
        assert!(!grants.is_revoked("other"));
        // Remembered as long as their access tokens may live, then forgotten.
        grants.revoke_user("nobody", now + 3_600, 3_600);
        assert!(!grants.is_revoked("first"));
    }

    #[test]
    fn revocations_are_forgotten_once_their_access_tokens_have_expired() {
        let mut grants = Grants::default();
        let now = 1_000;
        let lifetime = 3_600;
        let first = grants.insert_refresh_token(refresh_grant("first", now), now);
        grants.revoke(&first, now, lifetime);
        assert!(grants.is_revoked("first"));

        let second = grants.insert_refresh_token(refresh_grant("second", now), now);
        grants.revoke(&second, now + lifetime - 1, lifetime);
        assert!(
            grants.is_revoked("first"),
            "its access tokens may still live"
        );

        grants.revoke("unknown", now + lifetime, lifetime);
        assert!(!grants.is_revoked("first"));
        assert!(grants.is_revoked("second"));
        assert_eq!(grants.revoked_origins.len(), 1);
    }
}
