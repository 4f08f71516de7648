//! An account's life: self sign-up and its confirmation code, password resets, the
//! administrators' operations (create with a temporary password, set a password, groups,
//! delete), a password change and a global sign-out.

use super::error::{AccountError, ErrorKind};
use super::mailbox::{MailKind, mask_email};
use super::user::{MailedCode, NewUser, User, UserStatus, stable_sub};
use super::{
    Accounts, CONFIRMATION_CODE_LIFETIME_SECS, Directory, MAX_CODE_FAILURES, Metered,
    RESET_CODE_LIFETIME_SECS, random_code,
};

/// Where a code went (`CodeDeliveryDetails`): always e-mail here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDelivery {
    /// The masked address, e.g. `d***@e***.com`.
    pub destination: String,
}

/// AdminCreateUser's request, checked by the caller for shape.
#[derive(Debug)]
pub struct AdminCreateUser {
    /// The new username.
    pub username: String,
    /// The `email` attribute (required by the pool).
    pub email: String,
    /// `email_verified` as given.
    pub email_verified: bool,
    /// The temporary password; generated when absent.
    pub temporary_password: Option<String>,
    /// `MessageAction: SUPPRESS`: no invitation is sent.
    pub suppress_invitation: bool,
}

fn user_not_found() -> AccountError {
    AccountError::new(ErrorKind::UserNotFound, "User does not exist.")
}

/// What a code request for an unknown user answers (PreventUserExistenceErrors, as the
/// template's clients have it): a delivery that looks real, so the answer does not tell who
/// exists. Nothing is sent.
fn made_up_delivery(identifier: &str) -> CodeDelivery {
    CodeDelivery {
        destination: mask_email(if identifier.contains('@') {
            identifier
        } else {
            "user@example.com"
        }),
    }
}

fn code_mismatch() -> AccountError {
    AccountError::new(
        ErrorKind::CodeMismatch,
        "Invalid verification code provided, please try again.",
    )
}

/// Checks `sent` against the user's code in `slot`; a right code is used up, a wrong one
/// counts, and [`MAX_CODE_FAILURES`] wrong ones void it.
fn use_code(slot: &mut Option<MailedCode>, sent: &str, now: u64) -> Result<(), AccountError> {
    let Some(code) = slot.as_mut() else {
        return Err(AccountError::new(
            ErrorKind::ExpiredCode,
            "Invalid code provided, please request a code again.",
        ));
    };
    if code.expires_at <= now {
        *slot = None;
        return Err(AccountError::new(
            ErrorKind::ExpiredCode,
            "Invalid code provided, please request a code again.",
        ));
    }
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        code.value.as_bytes(),
        sent.trim().as_bytes(),
    )) {
        code.failures += 1;
        if code.failures >= MAX_CODE_FAILURES {
            *slot = None;
            return Err(AccountError::new(
                ErrorKind::TooManyFailedAttempts,
                "Too many failed attempts: request a new code.",
            ));
        }
        return Err(code_mismatch());
    }
    *slot = None;
    Ok(())
}

impl Directory {
    /// E-mails a new code of `kind` to the user at `index`, metered per hour.
    fn mail_code(
        &mut self,
        index: usize,
        kind: MailKind,
        now: u64,
    ) -> Result<CodeDelivery, AccountError> {
        let username = self.users[index].username.clone();
        self.meter(&username, Metered::CodeSent, now)?;
        let value = random_code();
        let user = &mut self.users[index];
        let code = MailedCode {
            value: value.clone(),
            expires_at: now
                + match kind {
                    MailKind::PasswordResetCode => RESET_CODE_LIFETIME_SECS,
                    _ => CONFIRMATION_CODE_LIFETIME_SECS,
                },
            failures: 0,
        };
        match kind {
            MailKind::PasswordResetCode => user.reset_code = Some(code),
            _ => user.confirmation_code = Some(code),
        }
        let to = user.email.clone();
        self.mailbox.send(now, &to, &username, kind, &value);
        Ok(CodeDelivery {
            destination: mask_email(&to),
        })
    }

    fn email_taken(&self, email: &str, by_other_than: &str) -> bool {
        self.users.iter().any(|u| {
            u.email_verified
                && u.email.eq_ignore_ascii_case(email)
                && !u.username.eq_ignore_ascii_case(by_other_than)
        })
    }
}

impl Accounts {
    fn check_new_username(&self, username: &str) -> Result<(), AccountError> {
        let ok = !username.is_empty()
            && username.chars().count() <= 128
            && !username
                .chars()
                .any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "1 validation error detected: Value at 'username' failed to satisfy constraint: \
                 Member must have length between 1 and 128 and contain no white space",
            ));
        }
        if username.contains('@') {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "Username cannot be of email format, since user pool is configured for email alias.",
            ));
        }
        Ok(())
    }

    fn check_email(email: &str) -> Result<(), AccountError> {
        let ok = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        });
        if ok {
            Ok(())
        } else {
            Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "Invalid email address format.",
            ))
        }
    }

    /// SignUp: a new `UNCONFIRMED` user, and a confirmation code e-mailed. Returns the `sub`
    /// and where the code went.
    pub fn sign_up(
        &self,
        username: &str,
        password: &str,
        email: Option<&str>,
        now: u64,
    ) -> Result<(String, CodeDelivery), AccountError> {
        if !self.pool.allow_self_sign_up {
            return Err(AccountError::new(
                ErrorKind::NotAuthorized,
                "SignUp is not permitted for this user pool",
            ));
        }
        self.check_new_username(username)?;
        let email = email.ok_or_else(|| {
            AccountError::new(
                ErrorKind::InvalidParameter,
                "Attributes did not conform to the schema: email: The attribute is required",
            )
        })?;
        Self::check_email(email)?;
        let hash = self.hash_new_password(password)?;
        let mut directory = self.directory();
        if directory
            .users
            .iter()
            .any(|u| u.username.eq_ignore_ascii_case(username))
        {
            return Err(AccountError::new(
                ErrorKind::UsernameExists,
                "User already exists",
            ));
        }
        // A taken e-mail address does not stop the sign-up: the confirmation does
        // (AliasExistsException), as Cognito does with an email alias.
        let sub = stable_sub(&self.pool_id, username);
        directory.users.push(User::new(NewUser {
            username: username.to_owned(),
            sub: sub.clone(),
            email: email.to_owned(),
            email_verified: false,
            groups: Vec::new(),
            status: UserStatus::Unconfirmed,
            password_hash: hash,
            now,
            temporary_password_expires_at: None,
        }));
        let index = directory.users.len() - 1;
        // The user exists even when the code cannot be sent now (as Cognito).
        let delivery = directory.mail_code(index, MailKind::SignUpCode, now)?;
        Ok((sub, delivery))
    }

    /// ConfirmSignUp: the code makes the user `CONFIRMED` and the e-mail address verified. An
    /// unknown user gets the answer of a wrong code (PreventUserExistenceErrors).
    pub fn confirm_sign_up(
        &self,
        identifier: &str,
        code: &str,
        now: u64,
    ) -> Result<(), AccountError> {
        let mut directory = self.directory();
        let index = directory.position(identifier).ok_or_else(code_mismatch)?;
        let (username, email) = {
            let user = &directory.users[index];
            if user.status != UserStatus::Unconfirmed {
                return Err(AccountError::new(
                    ErrorKind::NotAuthorized,
                    format!(
                        "User cannot be confirmed. Current status is {}",
                        user.status.as_str()
                    ),
                ));
            }
            (user.username.clone(), user.email.clone())
        };
        use_code(&mut directory.users[index].confirmation_code, code, now)?;
        if directory.email_taken(&email, &username) {
            return Err(AccountError::new(
                ErrorKind::AliasExists,
                "An account with the email already exists.",
            ));
        }
        let user = &mut directory.users[index];
        user.status = UserStatus::Confirmed;
        user.email_verified = true;
        user.modified_at = now;
        Ok(())
    }

    /// ResendConfirmationCode: a new code for an unconfirmed user; an unknown user gets a
    /// made-up delivery, as with ForgotPassword.
    pub fn resend_confirmation_code(
        &self,
        identifier: &str,
        now: u64,
    ) -> Result<CodeDelivery, AccountError> {
        let mut directory = self.directory();
        let Some(index) = directory.position(identifier) else {
            return Ok(made_up_delivery(identifier));
        };
        if directory.users[index].status != UserStatus::Unconfirmed {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "User is already confirmed.",
            ));
        }
        directory.mail_code(index, MailKind::SignUpCode, now)
    }

    /// ForgotPassword: a reset code to the user's verified e-mail address. An unknown user gets
    /// a made-up delivery (PreventUserExistenceErrors), so the answer does not tell who exists.
    pub fn forgot_password(
        &self,
        identifier: &str,
        now: u64,
    ) -> Result<CodeDelivery, AccountError> {
        let mut directory = self.directory();
        let Some(index) = directory.position(identifier) else {
            return Ok(made_up_delivery(identifier));
        };
        let user = &directory.users[index];
        if user.status == UserStatus::ForceChangePassword {
            return Err(AccountError::new(
                ErrorKind::NotAuthorized,
                "User password cannot be reset in the current state.",
            ));
        }
        if !user.email_verified {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "Cannot reset password for the user as there is no registered/verified email or phone_number",
            ));
        }
        directory.mail_code(index, MailKind::PasswordResetCode, now)
    }

    /// ConfirmForgotPassword: the reset code and a new password; the user is `CONFIRMED`.
    pub fn confirm_forgot_password(
        &self,
        identifier: &str,
        code: &str,
        new_password: &str,
        now: u64,
    ) -> Result<(), AccountError> {
        self.check_new_password(new_password).map_err(|(e, _)| e)?;
        {
            let mut directory = self.directory();
            let index = directory.position(identifier).ok_or_else(code_mismatch)?;
            use_code(&mut directory.users[index].reset_code, code, now)?;
        }
        let hash = self.hash_new_password(new_password)?;
        let mut directory = self.directory();
        let user = directory.find_mut(identifier).ok_or_else(user_not_found)?;
        user.set_password_hash(hash, None, now);
        Ok(())
    }

    /// AdminCreateUser: a `FORCE_CHANGE_PASSWORD` user with a temporary password, and (unless
    /// suppressed) an invitation carrying it.
    pub fn admin_create_user(
        &self,
        request: AdminCreateUser,
        now: u64,
    ) -> Result<User, AccountError> {
        self.check_new_username(&request.username)?;
        Self::check_email(&request.email)?;
        let password = request
            .temporary_password
            .clone()
            .unwrap_or_else(|| self.generate_temporary_password());
        let hash = self.hash_new_password(&password)?;
        let mut directory = self.directory();
        if directory
            .users
            .iter()
            .any(|u| u.username.eq_ignore_ascii_case(&request.username))
        {
            return Err(AccountError::new(
                ErrorKind::UsernameExists,
                "User account already exists",
            ));
        }
        if request.email_verified && directory.email_taken(&request.email, &request.username) {
            return Err(AccountError::new(
                ErrorKind::AliasExists,
                "An account with the email already exists.",
            ));
        }
        let user = User::new(NewUser {
            username: request.username.clone(),
            sub: stable_sub(&self.pool_id, &request.username),
            email: request.email.clone(),
            email_verified: request.email_verified,
            groups: Vec::new(),
            status: UserStatus::ForceChangePassword,
            password_hash: hash,
            now,
            temporary_password_expires_at: Some(now + self.pool.temporary_password_lifetime_secs()),
        });
        directory.users.push(user.clone());
        if !request.suppress_invitation {
            directory.mailbox.send(
                now,
                &request.email,
                &request.username,
                MailKind::Invitation,
                &password,
            );
        }
        Ok(user)
    }

    /// AdminSetUserPassword: a permanent password makes the user `CONFIRMED`; a temporary one
    /// `FORCE_CHANGE_PASSWORD` with a fresh validity.
    pub fn admin_set_user_password(
        &self,
        identifier: &str,
        password: &str,
        permanent: bool,
        now: u64,
    ) -> Result<(), AccountError> {
        if self.find(identifier).is_none() {
            return Err(user_not_found());
        }
        let hash = self.hash_new_password(password)?;
        let temporary_until =
            (!permanent).then(|| now + self.pool.temporary_password_lifetime_secs());
        let mut directory = self.directory();
        let user = directory.find_mut(identifier).ok_or_else(user_not_found)?;
        user.set_password_hash(hash, temporary_until, now);
        Ok(())
    }

    /// AdminResetUserPassword: the user must reset the password (`RESET_REQUIRED`) and gets a
    /// reset code; the old password signs in no more (`PasswordResetRequiredException`).
    pub fn admin_reset_user_password(
        &self,
        identifier: &str,
        now: u64,
    ) -> Result<CodeDelivery, AccountError> {
        let mut directory = self.directory();
        let index = directory.position(identifier).ok_or_else(user_not_found)?;
        if !directory.users[index].email_verified {
            return Err(AccountError::new(
                ErrorKind::InvalidParameter,
                "Cannot reset password for the user as there is no registered/verified email or phone_number",
            ));
        }
        let delivery = directory.mail_code(index, MailKind::PasswordResetCode, now)?;
        let user = &mut directory.users[index];
        user.status = UserStatus::ResetRequired;
        user.temporary_password_expires_at = None;
        user.modified_at = now;
        Ok(delivery)
    }

    /// AdminAddUserToGroup.
    pub fn admin_add_user_to_group(
        &self,
        identifier: &str,
        group: &str,
        now: u64,
    ) -> Result<(), AccountError> {
        if !self.groups.iter().any(|g| g == group) {
            return Err(AccountError::new(
                ErrorKind::ResourceNotFound,
                "Group not found.",
            ));
        }
        let mut directory = self.directory();
        let user = directory.find_mut(identifier).ok_or_else(user_not_found)?;
        if !user.groups.iter().any(|g| g == group) {
            user.groups.push(group.to_owned());
            user.modified_at = now;
        }
        Ok(())
    }

    /// AdminDeleteUser; returns the deleted username.
    pub fn admin_delete_user(&self, identifier: &str) -> Result<String, AccountError> {
        let mut directory = self.directory();
        let index = directory.position(identifier).ok_or_else(user_not_found)?;
        let user = directory.users.remove(index);
        directory
            .sessions
            .retain(|_, s| s.username != user.username);
        Ok(user.username)
    }

    /// ChangePassword for a signed-in user (metered: 5 an hour).
    pub fn change_password(
        &self,
        username: &str,
        previous: &str,
        proposed: &str,
        now: u64,
    ) -> Result<(), AccountError> {
        let user = self.user(username).ok_or_else(user_not_found)?;
        self.directory()
            .meter(username, Metered::PasswordChange, now)?;
        if !user.password_is(previous) {
            return Err(AccountError::wrong_credentials());
        }
        let hash = self.hash_new_password(proposed)?;
        let mut directory = self.directory();
        let user = directory.find_mut(username).ok_or_else(user_not_found)?;
        user.set_password_hash(hash, None, now);
        Ok(())
    }

    /// GlobalSignOut's part here: the user's access tokens issued until now stop working for
    /// the user operations. (The caller revokes the refresh tokens.)
    pub fn global_sign_out(&self, username: &str, now: u64) -> Result<(), AccountError> {
        let mut directory = self.directory();
        let user = directory.find_mut(username).ok_or_else(user_not_found)?;
        user.signed_out_at = Some(now);
        Ok(())
    }
}
