//! The pool's accounts: users and their lifecycle (sign-up with an e-mailed code, temporary
//! passwords, password resets, TOTP authenticators), the challenge sessions of a sign-in in
//! several steps, and the mailbox. The managed login pages and the JSON API are two faces of
//! these operations, so both refuse the same things with the same words.
//!
//! Every operation is synchronous. Those that hash or check a password (argon2: ~19 MiB and a
//! core's worth of work) are meant to run on the blocking pool; they never hold the lock while
//! hashing.
//!
//! Behaviour follows `shared/reference/account-lifecycle.md`; where Cognito documents nothing,
//! the choice is said here and in devstack/README.md:
//! - a wrong MFA code keeps the challenge session for another try, up to
//!   [`MAX_CHALLENGE_FAILURES`] wrong codes, then the session ends;
//! - VerifySoftwareToken enables the new authenticator for sign-in at once (what users of
//!   Cognito report); SetUserMFAPreference can turn it off where the pool allows;
//! - an authenticator code already used (or an older one) is `ExpiredCodeException` "Your
//!   software token has already been used once.";
//! - a mailed code allows [`MAX_CODE_FAILURES`] wrong tries, then it is void
//!   (`TooManyFailedAttemptsException`) and a new one must be requested.

mod challenge;
mod error;
mod flow;
mod lifecycle;
mod mailbox;
mod mfa;
mod policy;
mod totp;
mod user;

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{Rng, RngCore};

pub use challenge::{ChallengeSession, Progress};
pub use error::{AccountError, ErrorKind};
pub use flow::{Challenge, Next};
pub use lifecycle::AdminCreateUser;
pub use mailbox::{Mail, MailKind, mask_email};
pub use mfa::SetupBy;
pub use policy::{PasswordPolicy, PasswordRule, has_password_shape};
pub use totp::{TotpSecret, is_code_shape, qr_svg};
pub use user::{HashError, User, UserStatus};

use crate::config::{Config, UserPoolConfig};
use user::{NewUser, hash_password, stable_sub};

/// Wrong MFA codes a challenge session takes before it ends.
pub const MAX_CHALLENGE_FAILURES: u8 = 5;
/// Wrong tries a mailed code takes before it is void.
pub const MAX_CODE_FAILURES: u8 = 5;
/// How long a challenge session lives: 3 minutes, Cognito's default `AuthSessionValidity`.
pub const CHALLENGE_LIFETIME_SECS: u64 = 3 * 60;
/// A sign-up confirmation code lives 24 hours (Cognito's quotas page).
pub const CONFIRMATION_CODE_LIFETIME_SECS: u64 = 24 * 60 * 60;
/// A password-reset code lives 1 hour (Cognito's quotas page).
pub const RESET_CODE_LIFETIME_SECS: u64 = 60 * 60;
/// Requests of one kind (codes sent, password changes) a user may make in an hour; Cognito's
/// quota for ResendConfirmationCode and ChangePassword is 5.
pub const HOURLY_REQUESTS: usize = 5;

/// 32 random bytes, base64url: opaque handles for sessions, CSRF tokens and refresh tokens.
pub fn random_handle() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Six random digits: the codes Cognito e-mails.
fn random_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000))
}

/// Kinds of request counted per user and hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Metered {
    /// A code e-mailed (sign-up, resend, forgot password).
    CodeSent,
    /// ChangePassword.
    PasswordChange,
}

/// What the lock guards.
#[derive(Debug, Default)]
struct Directory {
    users: Vec<User>,
    sessions: HashMap<String, ChallengeSession>,
    mailbox: mailbox::Mailbox,
    /// Moments of recent metered requests per user (lower-cased username) and kind.
    requests: HashMap<(String, Metered), VecDeque<u64>>,
}

impl Directory {
    fn position(&self, identifier: &str) -> Option<usize> {
        // The username first: an alias never shadows another user's name.
        self.users
            .iter()
            .position(|u| u.username.eq_ignore_ascii_case(identifier))
            .or_else(|| self.users.iter().position(|u| u.is_named(identifier)))
    }

    fn find_mut(&mut self, identifier: &str) -> Option<&mut User> {
        let index = self.position(identifier)?;
        self.users.get_mut(index)
    }

    /// Records a metered request, or refuses it when the user made [`HOURLY_REQUESTS`] of that
    /// kind in the last hour.
    fn meter(&mut self, username: &str, kind: Metered, now: u64) -> Result<(), AccountError> {
        let recent = self
            .requests
            .entry((username.to_lowercase(), kind))
            .or_default();
        while recent.front().is_some_and(|&at| at + 3600 <= now) {
            recent.pop_front();
        }
        if recent.len() >= HOURLY_REQUESTS {
            return Err(AccountError::new(
                ErrorKind::LimitExceeded,
                "Attempt limit exceeded, please try after some time.",
            ));
        }
        recent.push_back(now);
        Ok(())
    }
}

/// The pool's accounts.
#[derive(Debug)]
pub struct Accounts {
    pool: UserPoolConfig,
    pool_id: String,
    /// Group names of the pool (AdminAddUserToGroup refuses others).
    groups: Vec<String>,
    /// Checked when the username is unknown, so both failures take the same time.
    decoy_hash: String,
    directory: Mutex<Directory>,
}

impl Accounts {
    /// The configured users, their passwords hashed; a temporary password's validity starts
    /// `now`.
    pub fn from_config(config: &Config, now: u64) -> Result<Self, HashError> {
        let pool = &config.user_pool;
        let mut users = Vec::with_capacity(config.users.len());
        for configured in &config.users {
            let temporary = configured.password_is_temporary;
            let mut user = User::new(NewUser {
                username: configured.username.clone(),
                sub: stable_sub(&pool.id, &configured.username),
                email: configured.email.clone(),
                email_verified: configured.email_verified,
                groups: configured.groups.clone(),
                status: if temporary {
                    UserStatus::ForceChangePassword
                } else {
                    UserStatus::Confirmed
                },
                password_hash: hash_password(configured.password.expose())?,
                now,
                temporary_password_expires_at: temporary
                    .then(|| now + pool.temporary_password_lifetime_secs()),
            });
            // Validated at load: a secret that does not parse is refused there.
            if let Some(secret) = configured
                .totp_secret
                .as_ref()
                .and_then(|s| TotpSecret::from_base32(s.expose()).ok())
            {
                user.authenticator = Some(totp::Authenticator {
                    secret,
                    device_name: None,
                    last_used_step: None,
                });
                user.totp_enabled = true;
                user.totp_preferred = true;
            }
            users.push(user);
        }
        Ok(Self {
            pool: pool.clone(),
            pool_id: pool.id.clone(),
            groups: config.group_names(),
            decoy_hash: hash_password("decoy password, never matches a real sign-in")?,
            directory: Mutex::new(Directory {
                users,
                ..Directory::default()
            }),
        })
    }

    fn directory(&self) -> MutexGuard<'_, Directory> {
        // Every update is a few field writes; a panic between them cannot leave worse than
        // refusing every later request would.
        self.directory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The pool's account settings.
    pub fn pool(&self) -> &UserPoolConfig {
        &self.pool
    }

    /// The user with this username (not an alias), as tokens name them.
    pub fn user(&self, username: &str) -> Option<User> {
        self.directory()
            .users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
            .cloned()
    }

    /// The user this username or verified e-mail address names.
    pub fn find(&self, identifier: &str) -> Option<User> {
        let directory = self.directory();
        directory
            .position(identifier)
            .map(|i| directory.users[i].clone())
    }

    /// The mailbox's messages, oldest first.
    pub fn mailbox(&self) -> Vec<Mail> {
        self.directory().mailbox.messages()
    }

    /// Checks a new password against `PasswordType` and the pool's policy. Cognito names one
    /// broken rule; every broken rule is in the [`PasswordRule`] list for the pages.
    pub fn check_new_password(
        &self,
        password: &str,
    ) -> Result<(), (AccountError, Vec<PasswordRule>)> {
        if !has_password_shape(password) {
            return Err((
                AccountError::new(
                    ErrorKind::InvalidParameter,
                    "1 validation error detected: Value at 'password' failed to satisfy \
                     constraint: Member must have length less than or equal to 256 and must not \
                     begin or end with white space",
                ),
                Vec::new(),
            ));
        }
        let broken = self.pool.password_policy.violations(password);
        match broken.first() {
            None => Ok(()),
            Some(rule) => Err((
                AccountError::new(
                    ErrorKind::InvalidPassword,
                    format!(
                        "Password did not conform with policy: {}",
                        rule.cognito_message()
                    ),
                ),
                broken,
            )),
        }
    }

    /// A hash of an accepted new password.
    fn hash_new_password(&self, password: &str) -> Result<String, AccountError> {
        self.check_new_password(password).map_err(|(e, _)| e)?;
        hash_password(password)
            .map_err(|e| AccountError::new(ErrorKind::InvalidParameter, e.to_string()))
    }

    /// Whether `password` is the user's; an unknown user costs the same check.
    fn password_matches(&self, user: Option<&User>, password: &str) -> bool {
        match user {
            Some(user) => user.password_is(password),
            None => {
                user::password_matches(&self.decoy_hash, password);
                false
            }
        }
    }

    /// A password a temporary-password invitation can carry: the policy's length (at least
    /// 12) with every character class.
    fn generate_temporary_password(&self) -> String {
        const CLASSES: [&[u8]; 4] = [
            b"ABCDEFGHJKLMNPQRSTUVWXYZ",
            b"abcdefghijkmnopqrstuvwxyz",
            b"23456789",
            b"!#%+-=@^_",
        ];
        let mut rng = rand::rngs::OsRng;
        let length = usize::from(self.pool.password_policy.minimum_length).max(12);
        let mut password: Vec<u8> = (0..length)
            .map(|i| {
                let class = CLASSES[i % CLASSES.len()];
                class[rng.gen_range(0..class.len())]
            })
            .collect();
        // Shuffle so the classes are not in a fixed order.
        for i in (1..password.len()).rev() {
            password.swap(i, rng.gen_range(0..=i));
        }
        String::from_utf8(password).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
