//! What the pool remembers between requests: authorization codes, managed-login sessions,
//! refresh tokens and revoked sign-ins ([`RefreshTokens`]). All in memory; a restart forgets
//! them.

use std::collections::HashMap;

use super::refresh_tokens::RefreshTokens;
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

/// The maps, behind one lock. Their keys are secrets (codes, session ids, refresh tokens):
/// Debug shows only how many there are.
#[derive(Default)]
pub struct Grants {
    codes: HashMap<String, CodeGrant>,
    sessions: HashMap<String, LoginSession>,
    /// Refresh tokens by sign-in, and revoked sign-ins.
    pub refresh_tokens: RefreshTokens,
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants")
            .field("codes", &self.codes.len())
            .field("sessions", &self.sessions.len())
            .field("refresh_tokens", &self.refresh_tokens)
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
        let debug = format!("{grants:?}");
        for secret in [&code, &session] {
            assert!(!debug.contains(secret.as_str()), "{debug}");
        }
        assert_eq!(
            debug,
            "Grants { codes: 1, sessions: 1, refresh_tokens: RefreshTokens { sign_ins: 0, \
             tokens: 0, revoked_origins: 0 } }"
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
}
