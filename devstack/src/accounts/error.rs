//! Why an account operation was refused, as Cognito says it: an exception name (`__type` in the
//! JSON API) and a message a person can act on (shown as it is on the managed login pages).

/// Cognito's exception names, for the refusals devstack makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Wrong password, disabled user, bad or expired session, self sign-up off, missing scope.
    NotAuthorized,
    /// No such user (only where Cognito tells, e.g. the administrators' operations).
    UserNotFound,
    /// The username is taken.
    UsernameExists,
    /// The e-mail address belongs to another user (it is a sign-in alias).
    AliasExists,
    /// The user has not confirmed the sign-up yet.
    UserNotConfirmed,
    /// The code is not the one sent (or not the authenticator's).
    CodeMismatch,
    /// The code has expired, was never requested, or was already used.
    ExpiredCode,
    /// The password breaks the pool's policy.
    InvalidPassword,
    /// The user must reset the password first.
    PasswordResetRequired,
    /// A parameter is missing, malformed or not allowed here.
    InvalidParameter,
    /// Too many attempts: try again later.
    LimitExceeded,
    /// Too many wrong codes in a row for this code.
    TooManyFailedAttempts,
    /// Unknown app client, user pool or group.
    ResourceNotFound,
    /// The first code of a new authenticator did not match.
    EnableSoftwareTokenMfa,
    /// The user has no authenticator (or the pool has MFA off).
    SoftwareTokenMfaNotFound,
}

impl ErrorKind {
    /// The exception's name, e.g. `NotAuthorizedException`.
    pub fn name(self) -> &'static str {
        match self {
            Self::NotAuthorized => "NotAuthorizedException",
            Self::UserNotFound => "UserNotFoundException",
            Self::UsernameExists => "UsernameExistsException",
            Self::AliasExists => "AliasExistsException",
            Self::UserNotConfirmed => "UserNotConfirmedException",
            Self::CodeMismatch => "CodeMismatchException",
            Self::ExpiredCode => "ExpiredCodeException",
            Self::InvalidPassword => "InvalidPasswordException",
            Self::PasswordResetRequired => "PasswordResetRequiredException",
            Self::InvalidParameter => "InvalidParameterException",
            Self::LimitExceeded => "LimitExceededException",
            Self::TooManyFailedAttempts => "TooManyFailedAttemptsException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::EnableSoftwareTokenMfa => "EnableSoftwareTokenMFAException",
            Self::SoftwareTokenMfaNotFound => "SoftwareTokenMFANotFoundException",
        }
    }
}

/// A refused account operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.name())]
pub struct AccountError {
    /// Which exception.
    pub kind: ErrorKind,
    /// What went wrong, in Cognito's words where they are known.
    pub message: String,
}

impl AccountError {
    /// A refusal of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The one answer for an unknown user and a wrong password (PreventUserExistenceErrors).
    pub fn wrong_credentials() -> Self {
        Self::new(ErrorKind::NotAuthorized, "Incorrect username or password.")
    }

    /// A challenge session that is unknown, expired, used up or another user's.
    pub fn invalid_session() -> Self {
        Self::new(
            ErrorKind::NotAuthorized,
            "Invalid session for the user, session is expired.",
        )
    }
}
