//! Signing in, one step after another: the password, then the challenges (a new password, the
//! authenticator's code, an authenticator's setup, a sign-up confirmation), each answered with
//! the `Session` the previous step returned.

use super::error::{AccountError, ErrorKind};
use super::flow::{self, Challenge, Next};
use super::totp::CodeRefusal;
use super::{Accounts, CHALLENGE_LIFETIME_SECS, Directory, MAX_CHALLENGE_FAILURES, random_handle};

/// A sign-in waiting for the answer to a challenge. Keyed by its `Session` string.
#[derive(Debug, Clone)]
pub struct ChallengeSession {
    /// The user signing in.
    pub username: String,
    /// The app client the sign-in is for.
    pub client_id: String,
    /// What the user must answer.
    pub challenge: Challenge,
    /// With [`Challenge::MfaSetup`]: the new authenticator's first code was verified.
    pub setup_verified: bool,
    /// When the session ends.
    pub expires_at: u64,
    /// Wrong answers so far.
    pub failures: u8,
}

/// Where a sign-in stands after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The user (the real username, also when they signed in with their e-mail address).
    pub username: String,
    /// What comes next.
    pub next: Next,
    /// The `Session` that answers the next challenge; `None` once signed in.
    pub session: Option<String>,
}

impl Directory {
    /// Opens a session for `challenge`, or reports the user signed in.
    fn progress(&mut self, username: &str, client_id: &str, next: Next, now: u64) -> Progress {
        let session = match next {
            Next::SignedIn => None,
            Next::Challenge(challenge) => {
                self.sessions.retain(|_, s| s.expires_at > now);
                let id = random_handle();
                self.sessions.insert(
                    id.clone(),
                    ChallengeSession {
                        username: username.to_owned(),
                        client_id: client_id.to_owned(),
                        challenge,
                        setup_verified: false,
                        expires_at: now + CHALLENGE_LIFETIME_SECS,
                        failures: 0,
                    },
                );
                Some(id)
            }
        };
        Progress {
            username: username.to_owned(),
            next,
            session,
        }
    }

    /// The live session `id` of `client_id` waiting for `challenge`, answered for `username`
    /// (the username or an alias of the session's user; the JSON API's `USERNAME`).
    fn session(
        &mut self,
        id: &str,
        client_id: &str,
        challenge: Challenge,
        username: Option<&str>,
        now: u64,
    ) -> Result<ChallengeSession, AccountError> {
        let session = self
            .sessions
            .get(id)
            .filter(|s| s.expires_at > now && s.client_id == client_id)
            .cloned()
            .ok_or_else(AccountError::invalid_session)?;
        if session.challenge != challenge {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                format!(
                    "This session answers {}, not {}.",
                    session.challenge.name(),
                    challenge.name()
                ),
            ));
        }
        let same_user = username.is_none_or(|name| {
            self.position(name)
                .is_some_and(|i| self.users[i].username == session.username)
        });
        if !same_user {
            return Err(AccountError::invalid_session());
        }
        Ok(session)
    }

    /// Counts a wrong answer; the session ends after [`MAX_CHALLENGE_FAILURES`].
    fn fail(&mut self, id: &str) {
        if let Some(session) = self.sessions.get_mut(id) {
            session.failures += 1;
            if session.failures >= MAX_CHALLENGE_FAILURES {
                self.sessions.remove(id);
            }
        }
    }
}

impl Accounts {
    /// Checks the password of the user `identifier` names (username or verified e-mail
    /// address) and says what comes next. An unknown user and a wrong password get the same
    /// answer, after the same work.
    pub fn sign_in(
        &self,
        client_id: &str,
        identifier: &str,
        password: &str,
        now: u64,
    ) -> Result<Progress, AccountError> {
        let user = self.find(identifier);
        if !self.password_matches(user.as_ref(), password) {
            return Err(AccountError::wrong_credentials());
        }
        let user = user.ok_or_else(AccountError::wrong_credentials)?;
        let next = flow::after_password(&user, self.pool.mfa, now)?;
        Ok(self
            .directory()
            .progress(&user.username, client_id, next, now))
    }

    /// The user of a live challenge session of `client_id` (for the managed login pages).
    pub fn session_user(
        &self,
        session: &str,
        client_id: &str,
        now: u64,
    ) -> Option<ChallengeSession> {
        self.directory()
            .sessions
            .get(session)
            .filter(|s| s.expires_at > now && s.client_id == client_id)
            .cloned()
    }

    /// Answers `NEW_PASSWORD_REQUIRED`: the temporary password is replaced and the user is
    /// `CONFIRMED`. A password the policy refuses leaves the session for another try.
    pub fn answer_new_password(
        &self,
        session: &str,
        client_id: &str,
        username: Option<&str>,
        new_password: &str,
        now: u64,
    ) -> Result<Progress, AccountError> {
        let waiting = self.directory().session(
            session,
            client_id,
            Challenge::NewPasswordRequired,
            username,
            now,
        )?;
        let hash = self.hash_new_password(new_password)?;
        let mut directory = self.directory();
        // Checked again under the lock that applies it: the session is used once.
        directory.session(
            session,
            client_id,
            Challenge::NewPasswordRequired,
            None,
            now,
        )?;
        directory.sessions.remove(session);
        let user = directory
            .find_mut(&waiting.username)
            .ok_or_else(AccountError::invalid_session)?;
        user.set_password_hash(hash, None, now);
        let next = flow::second_factor(user, self.pool.mfa);
        Ok(directory.progress(&waiting.username, client_id, next, now))
    }

    /// Answers `SOFTWARE_TOKEN_MFA` with the authenticator's current code.
    pub fn answer_mfa_code(
        &self,
        session: &str,
        client_id: &str,
        username: Option<&str>,
        code: &str,
        now: u64,
    ) -> Result<Progress, AccountError> {
        let mut directory = self.directory();
        let waiting = directory.session(
            session,
            client_id,
            Challenge::SoftwareTokenMfa,
            username,
            now,
        )?;
        let accepted = directory
            .find_mut(&waiting.username)
            .and_then(|u| u.authenticator.as_mut())
            .ok_or_else(|| {
                AccountError::new(
                    ErrorKind::SoftwareTokenMfaNotFound,
                    "Software Token MFA has not been set up for the user.",
                )
            })?
            .accept(code, now);
        match accepted {
            Ok(()) => {
                directory.sessions.remove(session);
                Ok(directory.progress(&waiting.username, client_id, Next::SignedIn, now))
            }
            Err(refusal) => {
                directory.fail(session);
                Err(code_refusal(refusal))
            }
        }
    }

    /// Answers `MFA_SETUP`, once the new authenticator's first code was verified with this
    /// session (AssociateSoftwareToken, then VerifySoftwareToken).
    pub fn answer_mfa_setup(
        &self,
        session: &str,
        client_id: &str,
        username: Option<&str>,
        now: u64,
    ) -> Result<Progress, AccountError> {
        let mut directory = self.directory();
        let waiting = directory.session(session, client_id, Challenge::MfaSetup, username, now)?;
        if !waiting.setup_verified {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "Verify the authenticator's first code (VerifySoftwareToken) with this session first.",
            ));
        }
        directory.sessions.remove(session);
        Ok(directory.progress(&waiting.username, client_id, Next::SignedIn, now))
    }

    /// Opens a session in which the managed login confirms a sign-up and goes on signing in:
    /// only after the user's password was checked in this browser (sign-up, or a sign-in of an
    /// unconfirmed user).
    pub fn confirmation_session(&self, username: &str, client_id: &str, now: u64) -> String {
        self.directory()
            .progress(
                username,
                client_id,
                Next::Challenge(Challenge::ConfirmSignUp),
                now,
            )
            .session
            .unwrap_or_default()
    }

    /// Confirms the sign-up of the session's user with the e-mailed code and goes on signing
    /// in (the authenticator's code or setup next, when the pool asks for it).
    pub fn answer_confirmation(
        &self,
        session: &str,
        client_id: &str,
        code: &str,
        now: u64,
    ) -> Result<Progress, AccountError> {
        let waiting =
            self.directory()
                .session(session, client_id, Challenge::ConfirmSignUp, None, now)?;
        self.confirm_sign_up(&waiting.username, code, now)?;
        let mut directory = self.directory();
        directory.sessions.remove(session);
        let user = directory
            .find_mut(&waiting.username)
            .ok_or_else(AccountError::invalid_session)?;
        let next = flow::second_factor(user, self.pool.mfa);
        Ok(directory.progress(&waiting.username, client_id, next, now))
    }

    /// Marks an `MFA_SETUP` session as verified and hands out the session that answers it.
    pub(super) fn verified_setup_session(&self, session: &str, now: u64) -> String {
        let mut directory = self.directory();
        let Some(mut waiting) = directory.sessions.remove(session) else {
            return String::new();
        };
        waiting.setup_verified = true;
        let id = random_handle();
        waiting.expires_at = now + CHALLENGE_LIFETIME_SECS;
        directory.sessions.insert(id.clone(), waiting);
        id
    }

    /// The live `MFA_SETUP` session `session`, for AssociateSoftwareToken and
    /// VerifySoftwareToken (which name no client).
    pub(super) fn setup_session(
        &self,
        session: &str,
        now: u64,
    ) -> Result<ChallengeSession, AccountError> {
        self.directory()
            .sessions
            .get(session)
            .filter(|s| s.expires_at > now && s.challenge == Challenge::MfaSetup)
            .cloned()
            .ok_or_else(AccountError::invalid_session)
    }
}

/// The JSON API's answer to a refused authenticator code.
pub(super) fn code_refusal(refusal: CodeRefusal) -> AccountError {
    match refusal {
        CodeRefusal::Mismatch => {
            AccountError::new(ErrorKind::CodeMismatch, "Invalid code received for user")
        }
        CodeRefusal::AlreadyUsed => AccountError::new(
            ErrorKind::ExpiredCode,
            "Your software token has already been used once.",
        ),
    }
}
