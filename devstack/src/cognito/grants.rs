//! What the pool remembers between requests: authorization codes, managed-login sessions,
//! refresh tokens and revoked sign-ins. All in memory; a restart forgets them.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// Codes live 5 minutes (Cognito).
pub const CODE_LIFETIME_SECS: u64 = 5 * 60;
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

/// The maps, behind one lock.
#[derive(Debug, Default)]
pub struct Grants {
    codes: HashMap<String, CodeGrant>,
    sessions: HashMap<String, LoginSession>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    revoked_origins: HashSet<String>,
}

/// 32 random bytes, base64url: opaque handles for sessions, CSRF and refresh tokens.
pub fn random_handle() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Grants {
    /// Stores a code (a UUID, like Cognito's) and returns it. Expired codes and sessions are
    /// dropped on the way, so unused ones do not pile up.
    pub fn insert_code(&mut self, grant: CodeGrant, now: u64) -> String {
        self.codes.retain(|_, g| g.expires_at > now);
        self.sessions.retain(|_, s| s.expires_at > now);
        let code = uuid::Uuid::new_v4().to_string();
        self.codes.insert(code.clone(), grant);
        code
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
            .filter(|g| g.expires_at > now && !self.revoked_origins.contains(&g.origin_jti))
    }

    /// Forgets a refresh token (rotation retires the old one at once: a grace period of 0 s).
    pub fn remove_refresh_token(&mut self, token: &str) {
        self.refresh_tokens.remove(token);
    }

    /// The grant of a refresh token, live or not, for revocation.
    pub fn refresh_token_client(&self, token: &str) -> Option<&str> {
        self.refresh_tokens.get(token).map(|g| g.client_id.as_str())
    }

    /// Revokes a refresh token and every token of the same sign-in (same `origin_jti`).
    pub fn revoke(&mut self, token: &str) {
        if let Some(grant) = self.refresh_tokens.remove(token) {
            let origin = grant.origin_jti;
            self.refresh_tokens.retain(|_, g| g.origin_jti != origin);
            self.revoked_origins.insert(origin);
        }
    }

    /// Whether tokens with this `origin_jti` were revoked.
    pub fn is_revoked(&self, origin_jti: &str) -> bool {
        self.revoked_origins.contains(origin_jti)
    }
}
