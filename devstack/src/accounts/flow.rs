//! The sign-in decisions: after a right password, what comes next for this user in this pool.
//! Pure functions of the user and the pool's MFA setting, shared by the managed login pages and
//! the JSON API (InitiateAuth, RespondToAuthChallenge).

use super::error::{AccountError, ErrorKind};
use super::user::{User, UserStatus};
use crate::config::MfaConfiguration;

/// A step the user must take before tokens are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// Replace the temporary password (`NEW_PASSWORD_REQUIRED`).
    NewPasswordRequired,
    /// Enter the authenticator's code (`SOFTWARE_TOKEN_MFA`).
    SoftwareTokenMfa,
    /// Set up an authenticator first, the pool requires one (`MFA_SETUP`).
    MfaSetup,
    /// Confirm the sign-up with the e-mailed code, then go on signing in. Managed login only:
    /// the JSON API answers `UserNotConfirmedException` instead.
    ConfirmSignUp,
}

impl Challenge {
    /// The `ChallengeName` of the JSON API (`CONFIRM_SIGN_UP` is devstack's own, never sent).
    pub fn name(self) -> &'static str {
        match self {
            Self::NewPasswordRequired => "NEW_PASSWORD_REQUIRED",
            Self::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            Self::MfaSetup => "MFA_SETUP",
            Self::ConfirmSignUp => "CONFIRM_SIGN_UP",
        }
    }
}

/// What follows a step of the sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Issue the tokens.
    SignedIn,
    /// Ask for this first.
    Challenge(Challenge),
}

/// After the right password: the account's state decides (Cognito's InitiateAuth outcomes),
/// then the second factor.
pub fn after_password(user: &User, mfa: MfaConfiguration, now: u64) -> Result<Next, AccountError> {
    if !user.enabled {
        return Err(AccountError::new(
            ErrorKind::NotAuthorized,
            "User is disabled.",
        ));
    }
    match user.status {
        UserStatus::Unconfirmed => Err(AccountError::new(
            ErrorKind::UserNotConfirmed,
            "User is not confirmed.",
        )),
        UserStatus::ResetRequired => Err(AccountError::new(
            ErrorKind::PasswordResetRequired,
            "Password reset required for the user",
        )),
        UserStatus::ForceChangePassword
            if user
                .temporary_password_expires_at
                .is_some_and(|expires| expires <= now) =>
        {
            Err(AccountError::new(
                ErrorKind::NotAuthorized,
                "Temporary password has expired and must be reset by an administrator.",
            ))
        }
        UserStatus::ForceChangePassword => Ok(Next::Challenge(Challenge::NewPasswordRequired)),
        UserStatus::Confirmed => Ok(second_factor(user, mfa)),
    }
}

/// Once the password (and any new one) is settled: the authenticator's code when the user has
/// one enabled; with MFA required and none set up, its setup; otherwise done.
pub fn second_factor(user: &User, mfa: MfaConfiguration) -> Next {
    match mfa {
        MfaConfiguration::Off => Next::SignedIn,
        _ if user.needs_totp_code() => Next::Challenge(Challenge::SoftwareTokenMfa),
        MfaConfiguration::Optional => Next::SignedIn,
        MfaConfiguration::On => Next::Challenge(Challenge::MfaSetup),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::totp::{Authenticator, TotpSecret};
    use crate::accounts::user::NewUser;

    fn user(status: UserStatus) -> User {
        User::new(NewUser {
            username: "demo".into(),
            sub: "sub".into(),
            email: "demo@example.com".into(),
            email_verified: true,
            groups: vec![],
            status,
            // Decisions never look at the hash.
            password_hash: String::new(),
            now: 0,
            temporary_password_expires_at: (status == UserStatus::ForceChangePassword)
                .then_some(100),
        })
    }

    fn with_totp(mut user: User) -> User {
        user.authenticator = Some(Authenticator::verified(TotpSecret::generate(), None, 1));
        user.totp_enabled = true;
        user
    }

    #[test]
    fn the_account_state_decides_first() {
        use MfaConfiguration::*;
        let kind = |r: Result<Next, AccountError>| r.unwrap_err().kind;
        assert_eq!(
            kind(after_password(&user(UserStatus::Unconfirmed), Off, 0)),
            ErrorKind::UserNotConfirmed
        );
        assert_eq!(
            kind(after_password(&user(UserStatus::ResetRequired), Off, 0)),
            ErrorKind::PasswordResetRequired
        );
        let mut disabled = user(UserStatus::Confirmed);
        disabled.enabled = false;
        assert_eq!(
            after_password(&disabled, Off, 0).unwrap_err().message,
            "User is disabled."
        );
        assert_eq!(
            after_password(&user(UserStatus::ForceChangePassword), On, 99),
            Ok(Next::Challenge(Challenge::NewPasswordRequired))
        );
        let expired = after_password(&user(UserStatus::ForceChangePassword), Off, 100);
        assert_eq!(
            expired.unwrap_err().message,
            "Temporary password has expired and must be reset by an administrator."
        );
    }

    #[test]
    fn the_second_factor_follows_the_pool_and_the_user() {
        use MfaConfiguration::*;
        let plain = user(UserStatus::Confirmed);
        let enrolled = with_totp(user(UserStatus::Confirmed));
        assert_eq!(second_factor(&plain, Off), Next::SignedIn);
        assert_eq!(second_factor(&enrolled, Off), Next::SignedIn);
        assert_eq!(second_factor(&plain, Optional), Next::SignedIn);
        assert_eq!(
            second_factor(&enrolled, Optional),
            Next::Challenge(Challenge::SoftwareTokenMfa)
        );
        assert_eq!(
            second_factor(&plain, On),
            Next::Challenge(Challenge::MfaSetup)
        );
        assert_eq!(
            second_factor(&enrolled, On),
            Next::Challenge(Challenge::SoftwareTokenMfa)
        );
        let mut turned_off = enrolled.clone();
        turned_off.totp_enabled = false;
        assert_eq!(second_factor(&turned_off, Optional), Next::SignedIn);
    }
}
