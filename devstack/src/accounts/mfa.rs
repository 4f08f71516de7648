//! Authenticator apps: AssociateSoftwareToken (a new secret), VerifySoftwareToken (its first
//! code), SetUserMFAPreference. The first two take a signed-in user (access token) or an
//! `MFA_SETUP` challenge session.

use super::Accounts;
use super::error::{AccountError, ErrorKind};
use super::totp::{Authenticator, TotpSecret, is_code_shape};
use crate::config::MfaConfiguration;

/// Who sets up the authenticator.
#[derive(Debug, Clone, Copy)]
pub enum SetupBy<'a> {
    /// A signed-in user, named by their access token.
    User(&'a str),
    /// A sign-in waiting on `MFA_SETUP`, by its `Session`.
    Session(&'a str),
}

impl Accounts {
    fn mfa_available(&self) -> Result<(), AccountError> {
        if self.pool.mfa == MfaConfiguration::Off {
            return Err(AccountError::new(
                ErrorKind::SoftwareTokenMfaNotFound,
                "Software Token MFA has not been enabled by the userPool",
            ));
        }
        Ok(())
    }

    fn setup_username(&self, by: SetupBy<'_>, now: u64) -> Result<String, AccountError> {
        match by {
            SetupBy::User(username) => Ok(username.to_owned()),
            SetupBy::Session(session) => Ok(self.setup_session(session, now)?.username),
        }
    }

    /// AssociateSoftwareToken: a new secret for the user, waiting for its first code (the
    /// authenticator already set up, if any, stays until then).
    pub fn associate_software_token(
        &self,
        by: SetupBy<'_>,
        now: u64,
    ) -> Result<TotpSecret, AccountError> {
        self.mfa_available()?;
        let username = self.setup_username(by, now)?;
        let secret = TotpSecret::generate();
        let mut directory = self.directory();
        let user = directory
            .find_mut(&username)
            .ok_or_else(AccountError::invalid_session)?;
        user.pending_secret = Some(secret.clone());
        Ok(secret)
    }

    /// VerifySoftwareToken: the first code of the associated secret makes it the user's
    /// authenticator, enabled for sign-in. With a session, returns the session that answers
    /// `MFA_SETUP`.
    pub fn verify_software_token(
        &self,
        by: SetupBy<'_>,
        code: &str,
        device_name: Option<&str>,
        now: u64,
    ) -> Result<Option<String>, AccountError> {
        self.mfa_available()?;
        if !is_code_shape(code) {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "1 validation error detected: Value at 'userCode' failed to satisfy constraint: \
                 Member must have length 6 and contain digits only",
            ));
        }
        let username = self.setup_username(by, now)?;
        {
            let mut directory = self.directory();
            let user = directory
                .find_mut(&username)
                .ok_or_else(AccountError::invalid_session)?;
            let secret = user.pending_secret.clone().ok_or_else(|| {
                AccountError::new(
                    ErrorKind::SoftwareTokenMfaNotFound,
                    "No authenticator is being set up: call AssociateSoftwareToken first.",
                )
            })?;
            let Some(step) = secret.matching_step(code, now) else {
                return Err(AccountError::new(
                    ErrorKind::EnableSoftwareTokenMfa,
                    "Code mismatch and fail enable Software Token MFA",
                ));
            };
            user.authenticator = Some(Authenticator::verified(
                secret,
                device_name.filter(|n| !n.is_empty()).map(str::to_owned),
                step,
            ));
            user.pending_secret = None;
            user.totp_enabled = true;
            user.modified_at = now;
        }
        Ok(match by {
            SetupBy::User(_) => None,
            SetupBy::Session(session) => Some(self.verified_setup_session(session, now)),
        })
    }

    /// SetUserMFAPreference for TOTP: `enabled` turns sign-in's code on or off (off is refused
    /// where the pool requires MFA), `preferred` makes it the preferred factor.
    pub fn set_mfa_preference(
        &self,
        username: &str,
        enabled: Option<bool>,
        preferred: Option<bool>,
        now: u64,
    ) -> Result<(), AccountError> {
        let mut directory = self.directory();
        let user = directory
            .find_mut(username)
            .ok_or_else(|| AccountError::new(ErrorKind::UserNotFound, "User does not exist."))?;
        let turning_on = enabled == Some(true) || preferred == Some(true);
        if turning_on && user.authenticator.is_none() {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "User has not verified software token mfa",
            ));
        }
        if enabled == Some(false) && self.pool.mfa == MfaConfiguration::On {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "The user pool requires MFA: the authenticator cannot be turned off.",
            ));
        }
        if let Some(enabled) = enabled {
            user.totp_enabled = enabled;
            if !enabled {
                user.totp_preferred = false;
            }
        }
        if let Some(preferred) = preferred {
            user.totp_preferred = preferred;
            if preferred {
                user.totp_enabled = true;
            }
        }
        user.modified_at = now;
        Ok(())
    }
}
