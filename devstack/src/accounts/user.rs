//! A user as the pool keeps them: attributes, status, an argon2 password hash, the authenticator
//! and the codes waiting to be used.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::totp::{Authenticator, TotpSecret};

/// Cognito's `UserStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Signed up, not yet confirmed with the e-mailed code.
    Unconfirmed,
    /// Can sign in.
    Confirmed,
    /// Has a temporary password that must be changed at the first sign-in.
    ForceChangePassword,
    /// Must reset the password (ForgotPassword) before signing in.
    ResetRequired,
}

impl UserStatus {
    /// Cognito's spelling, e.g. `FORCE_CHANGE_PASSWORD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconfirmed => "UNCONFIRMED",
            Self::Confirmed => "CONFIRMED",
            Self::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            Self::ResetRequired => "RESET_REQUIRED",
        }
    }
}

/// A one-time code sent by e-mail (sign-up confirmation or password reset).
#[derive(Clone)]
pub struct MailedCode {
    /// Six digits.
    pub value: String,
    /// When it stops working (Unix seconds).
    pub expires_at: u64,
    /// Wrong codes sent for it so far.
    pub failures: u8,
}

impl std::fmt::Debug for MailedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailedCode")
            .field("value", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A user of the pool.
#[derive(Debug, Clone)]
pub struct User {
    /// The sign-in name (`cognito:username`, `username`).
    pub username: String,
    /// A UUID, stable for a pool id and username so sessions survive restarts.
    pub sub: String,
    /// The `email` attribute (also a sign-in alias once verified).
    pub email: String,
    /// `email_verified`.
    pub email_verified: bool,
    /// Group names (`cognito:groups`).
    pub groups: Vec<String>,
    /// Where the account stands.
    pub status: UserStatus,
    /// `Enabled` (a disabled user cannot sign in).
    pub enabled: bool,
    /// When the user was created (Unix seconds).
    pub created_at: u64,
    /// When the user last changed (Unix seconds).
    pub modified_at: u64,
    /// With [`UserStatus::ForceChangePassword`]: when the temporary password stops working.
    pub temporary_password_expires_at: Option<u64>,
    /// The verified authenticator app, if any.
    pub authenticator: Option<Authenticator>,
    /// A secret from AssociateSoftwareToken, waiting for its first code.
    pub pending_secret: Option<TotpSecret>,
    /// Whether sign-in asks for the authenticator's code (`UserMFASettingList`).
    pub totp_enabled: bool,
    /// Whether TOTP is the preferred factor (`PreferredMfaSetting`).
    pub totp_preferred: bool,
    /// The sign-up confirmation code waiting to be used.
    pub confirmation_code: Option<MailedCode>,
    /// The password-reset code waiting to be used.
    pub reset_code: Option<MailedCode>,
    /// GlobalSignOut: access tokens issued at or before this moment are refused by the user
    /// operations of the JSON API.
    pub signed_out_at: Option<u64>,
    password_hash: String,
}

/// The password hasher failed (it does not, for valid parameters).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash a password: {0}")]
pub struct HashError(argon2::password_hash::Error);

/// An argon2id hash of `password` (PHC string).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(HashError)
}

/// Whether `password` matches the PHC string `hash`.
pub fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The `sub` of `username` in the pool `pool_id`: a UUID v5, so it is the same across restarts.
pub fn stable_sub(pool_id: &str, username: &str) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, pool_id.as_bytes());
    uuid::Uuid::new_v5(&namespace, username.to_lowercase().as_bytes()).to_string()
}

/// What a new user starts with.
#[derive(Debug)]
pub struct NewUser {
    /// The sign-in name.
    pub username: String,
    /// The `sub`.
    pub sub: String,
    /// The `email` attribute.
    pub email: String,
    /// `email_verified`.
    pub email_verified: bool,
    /// Groups.
    pub groups: Vec<String>,
    /// The starting status.
    pub status: UserStatus,
    /// The argon2 hash of the password (temporary with `ForceChangePassword`).
    pub password_hash: String,
    /// Now (Unix seconds).
    pub now: u64,
    /// With `ForceChangePassword`: when the temporary password expires.
    pub temporary_password_expires_at: Option<u64>,
}

impl User {
    /// A user as created.
    pub fn new(new: NewUser) -> Self {
        Self {
            username: new.username,
            sub: new.sub,
            email: new.email,
            email_verified: new.email_verified,
            groups: new.groups,
            status: new.status,
            enabled: true,
            created_at: new.now,
            modified_at: new.now,
            temporary_password_expires_at: new.temporary_password_expires_at,
            authenticator: None,
            pending_secret: None,
            totp_enabled: false,
            totp_preferred: false,
            confirmation_code: None,
            reset_code: None,
            signed_out_at: None,
            password_hash: new.password_hash,
        }
    }

    /// Whether `password` is this user's.
    pub fn password_is(&self, password: &str) -> bool {
        password_matches(&self.password_hash, password)
    }

    /// Replaces the password with one already hashed; `temporary_until` makes it a temporary
    /// one (`FORCE_CHANGE_PASSWORD`), else the user is `CONFIRMED`.
    pub fn set_password_hash(&mut self, hash: String, temporary_until: Option<u64>, now: u64) {
        self.password_hash = hash;
        self.status = if temporary_until.is_some() {
            UserStatus::ForceChangePassword
        } else {
            UserStatus::Confirmed
        };
        self.temporary_password_expires_at = temporary_until;
        self.reset_code = None;
        self.modified_at = now;
    }

    /// Whether sign-in asks this user for an authenticator code.
    pub fn needs_totp_code(&self) -> bool {
        self.totp_enabled && self.authenticator.is_some()
    }

    /// `UserMFASettingList`.
    pub fn mfa_setting_list(&self) -> Vec<&'static str> {
        if self.needs_totp_code() {
            vec!["SOFTWARE_TOKEN_MFA"]
        } else {
            Vec::new()
        }
    }

    /// `PreferredMfaSetting`.
    pub fn preferred_mfa(&self) -> Option<&'static str> {
        (self.needs_totp_code() && self.totp_preferred).then_some("SOFTWARE_TOKEN_MFA")
    }

    /// Whether `identifier` names this user: the username, or the e-mail address once
    /// verified (an alias), both without regard to case.
    pub fn is_named(&self, identifier: &str) -> bool {
        self.username.eq_ignore_ascii_case(identifier)
            || (self.email_verified && self.email.eq_ignore_ascii_case(identifier))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email_verified: bool) -> User {
        User::new(NewUser {
            username: "demo".into(),
            sub: stable_sub("us-east-1_X", "demo"),
            email: "Demo@Example.com".into(),
            email_verified,
            groups: vec![],
            status: UserStatus::Confirmed,
            password_hash: hash_password("Demo-Passw0rd!").unwrap(),
            now: 0,
            temporary_password_expires_at: None,
        })
    }

    #[test]
    fn passwords_are_kept_as_argon2_hashes() {
        let demo = user(true);
        assert!(demo.password_hash.starts_with("$argon2id$"));
        assert!(demo.password_is("Demo-Passw0rd!"));
        assert!(!demo.password_is("demo-passw0rd!"));
        assert!(!format!("{demo:?}").contains("Demo-Passw0rd!"));
    }

    #[test]
    fn the_email_is_an_alias_only_once_verified() {
        assert!(user(true).is_named("DEMO"));
        assert!(user(true).is_named("demo@example.com"));
        assert!(!user(false).is_named("demo@example.com"));
        assert!(!user(true).is_named("someone"));
    }

    #[test]
    fn sub_is_stable_per_pool_and_name() {
        assert_eq!(stable_sub("p_1", "Demo"), stable_sub("p_1", "demo"));
        assert_ne!(stable_sub("p_1", "demo"), stable_sub("p_2", "demo"));
        assert_ne!(stable_sub("p_1", "demo"), stable_sub("p_1", "admin"));
    }
}
