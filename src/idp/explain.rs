//! What went wrong with a call to Cognito's user API, in words a person can act on: what
//! happened, and what to do about it. Every message is built here, once.

use super::wire::{IdpError, Operation, USER_ADMIN_SCOPE};

/// A failed call, explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trouble {
    /// One sentence: what happened.
    pub summary: String,
    /// What the person can do about it.
    pub advice: &'static str,
}

/// `parts` joined into a summary (one `concat`, not a `format!` per message: the page is
/// counted in bytes).
fn trouble(parts: &[&str], advice: &'static str) -> Trouble {
    Trouble {
        summary: parts.concat(),
        advice,
    }
}

/// What the page was doing, as the first words of a summary.
fn doing(operation: Operation) -> &'static str {
    match operation {
        Operation::GetUser => "Reading your account's security settings",
        Operation::AssociateSoftwareToken => "Starting the authenticator setup",
        Operation::VerifySoftwareToken => "Checking the code",
        Operation::TurnOnTotp => "Turning the authenticator on",
        Operation::TurnOffTotp => "Turning the authenticator off",
        Operation::ChangePassword => "Changing the password",
        Operation::GlobalSignOut => "Signing out everywhere",
    }
}

const SIGN_IN_AGAIN: &str = "Sign out and sign in again, then try once more.";
const WAIT: &str = "Cognito limits how often an account may do this. Wait a while (up to an hour), then try again.";
const FORGOT: &str = "Sign out, then choose \"Forgot your password?\" on the sign-in page.";

/// Explains `error`, which calling `operation` at `endpoint` (the JSON API's URL) ended with.
pub fn explain(operation: Operation, error: &IdpError, endpoint: &str) -> Trouble {
    let doing = doing(operation);
    match error {
        IdpError::Refused { kind, message } => refused(operation, kind, message),
        IdpError::Status(status) => trouble(
            &[
                doing,
                " failed: ",
                endpoint,
                " answered HTTP ",
                &status.to_string(),
                ", which is not an answer of Cognito's API.",
            ],
            "The endpoint is the origin of config.json's issuer; check that the issuer is the user pool's (https://cognito-idp.<region>.amazonaws.com/<pool id>). If it is, try again in a moment.",
        ),
        IdpError::Unexpected(what) => trouble(
            &[
                doing,
                " failed: the answer from ",
                endpoint,
                " has no ",
                what,
                ".",
            ],
            "Check that config.json's issuer is the user pool's: its origin is where these calls go.",
        ),
        IdpError::BlockedByCors => trouble(
            &[
                doing,
                " failed: ",
                endpoint,
                " answered, but the browser withheld the answer from this page (CORS).",
            ],
            "Cognito's endpoint allows every origin. If the issuer in config.json is right, something between (a proxy or an extension) removes its CORS headers.",
        ),
        IdpError::Unreachable => trouble(
            &[doing, " failed: nothing answered at ", endpoint, "."],
            "Check the network connection. The endpoint is the origin of config.json's issuer, and the page's Content-Security-Policy must allow it in connect-src; a browser extension blocking the request looks the same.",
        ),
        IdpError::NotSignedIn => trouble(
            &[doing, " needs you to be signed in, and you are not."],
            "Sign in, then come back to this page.",
        ),
        IdpError::TokenNotRenewed(reason) => trouble(
            &[
                doing,
                " failed: your access token has expired and could not be renewed (",
                &reason.to_string(),
                "), so nothing was sent.",
            ],
            "The app keeps trying to renew it. Check the network connection and try again; if this persists, sign out and sign in again.",
        ),
    }
}

/// Cognito's refusals, by exception and, where one exception means several things, message.
fn refused(operation: Operation, kind: &str, message: &str) -> Trouble {
    let doing = doing(operation);
    match kind {
        "NotAuthorizedException" => not_authorized(operation, message),
        "CodeMismatchException" | "EnableSoftwareTokenMFAException" | "ExpiredCodeException" => {
            trouble(
                &["That code is not the one your authenticator app shows for this account now."],
                "Type the current 6-digit code (it changes every 30 seconds). If every code is refused, check that the phone's clock is set automatically, or remove the entry from the app and start the setup again.",
            )
        }
        "InvalidPasswordException" => trouble(
            // "Password did not conform with policy: Password must have uppercase characters"
            &[
                "The new password does not meet the user pool's password policy: ",
                message.split_once(": ").map_or(message, |(_, rule)| rule),
                ".",
            ],
            "Choose a new password that meets every rule of the policy, and try again.",
        ),
        "PasswordHistoryPolicyViolationException" => trouble(
            &["The new password is one you used recently, which the user pool does not allow."],
            "Choose a password you have not used before.",
        ),
        "LimitExceededException" | "TooManyFailedAttemptsException" => trouble(
            &[
                doing,
                " was refused: too many attempts for this account (",
                message,
                ").",
            ],
            WAIT,
        ),
        "TooManyRequestsException" => trouble(
            &[
                doing,
                " was refused: Cognito is receiving too many requests right now.",
            ],
            "Wait a few seconds, then try again.",
        ),
        "InvalidParameterException" if operation == Operation::TurnOffTotp => trouble(
            &["Cognito refused to turn the authenticator off: ", message],
            "A user pool that requires MFA (MfaConfiguration ON) does not let anyone turn their authenticator off; only an administrator who makes MFA optional can change that.",
        ),
        "InvalidParameterException" => trouble(
            &[doing, " was refused as invalid: ", message],
            "Check what you typed (a code is exactly 6 digits; a password has no spaces at either end) and try again.",
        ),
        "SoftwareTokenMFANotFoundException" if operation == Operation::VerifySoftwareToken => {
            trouble(
                &[
                    doing,
                    " failed: Cognito has no authenticator being set up (",
                    message,
                    ").",
                ],
                "Start the setup again.",
            )
        }
        "SoftwareTokenMFANotFoundException" | "InvalidUserPoolConfigurationException" => trouble(
            &[
                "This user pool does not offer authenticator apps (",
                message,
                ").",
            ],
            "An administrator must turn on TOTP software-token MFA for the pool (MFA optional or required).",
        ),
        "PasswordResetRequiredException" => trouble(
            &[doing, " failed: your password must be reset first."],
            FORGOT,
        ),
        _ => trouble(
            &[doing, " was refused: ", kind, ": ", message],
            SIGN_IN_AGAIN,
        ),
    }
}

/// `NotAuthorizedException` means an expired, revoked or under-scoped token, or (changing the
/// password) a wrong current password.
fn not_authorized(operation: Operation, message: &str) -> Trouble {
    match message {
        "Access Token has expired" => trouble(
            &["Cognito says your access token has expired."],
            "Check that this computer's clock is right, then sign out and sign in again.",
        ),
        "Access Token has been revoked" => trouble(
            &[
                "Cognito no longer accepts this session's access token: it was revoked (signed out everywhere, perhaps from another device).",
            ],
            "Sign out and sign in again.",
        ),
        "Access Token does not have required scopes" => scope_missing(),
        _ if operation == Operation::ChangePassword => trouble(
            &["The current password is not right (", message, ")."],
            "Type your current password again. If you forgot it, sign out and choose \"Forgot your password?\" on the sign-in page.",
        ),
        _ => trouble(
            &[doing(operation), " was refused: ", message],
            SIGN_IN_AGAIN,
        ),
    }
}

/// The session's access token lacks [`USER_ADMIN_SCOPE`]: what to change, and where.
pub fn scope_missing() -> Trouble {
    trouble(
        &[
            "Your access token does not carry the scope ",
            USER_ADMIN_SCOPE,
            ", which Cognito's user API needs.",
        ],
        "The app client must allow aws.cognito.signin.user.admin (AllowedOAuthScopes; devstack: allowed_scopes) and config.json's scopes must ask for it. Then sign out and sign in again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthError;

    const ENDPOINT: &str = "https://cognito-idp.eu-west-1.amazonaws.com/";

    fn refusal(operation: Operation, kind: &str, message: &str) -> Trouble {
        explain(
            operation,
            &IdpError::Refused {
                kind: kind.into(),
                message: message.into(),
            },
            ENDPOINT,
        )
    }

    #[test]
    fn a_wrong_code_asks_for_the_current_one() {
        for kind in ["CodeMismatchException", "EnableSoftwareTokenMFAException"] {
            let trouble = refusal(
                Operation::VerifySoftwareToken,
                kind,
                "Code mismatch and fail enable Software Token MFA",
            );
            assert_eq!(
                trouble.summary,
                "That code is not the one your authenticator app shows for this account now."
            );
            assert!(trouble.advice.contains("every 30 seconds"), "{trouble:?}");
            assert!(trouble.advice.contains("clock"), "{trouble:?}");
        }
    }

    #[test]
    fn a_refused_password_names_the_policy_rule() {
        let trouble = refusal(
            Operation::ChangePassword,
            "InvalidPasswordException",
            "Password did not conform with policy: Password must have uppercase characters",
        );
        assert_eq!(
            trouble.summary,
            "The new password does not meet the user pool's password policy: Password must have uppercase characters."
        );
        let history = refusal(
            Operation::ChangePassword,
            "PasswordHistoryPolicyViolationException",
            "",
        );
        let reset = refusal(Operation::GetUser, "PasswordResetRequiredException", "");
        assert!(reset.advice.contains("Forgot your password?"), "{reset:?}");
        assert!(history.advice.contains("not used before"), "{history:?}");
    }

    #[test]
    fn a_wrong_current_password_is_named_as_such() {
        let trouble = refusal(
            Operation::ChangePassword,
            "NotAuthorizedException",
            "Incorrect username or password.",
        );
        assert_eq!(
            trouble.summary,
            "The current password is not right (Incorrect username or password.)."
        );
        assert!(
            trouble.advice.contains("Forgot your password?"),
            "{trouble:?}"
        );
    }

    #[test]
    fn token_refusals_say_which_and_what_to_do() {
        let expired = refusal(
            Operation::GetUser,
            "NotAuthorizedException",
            "Access Token has expired",
        );
        assert!(expired.advice.contains("clock"), "{expired:?}");
        let revoked = refusal(
            Operation::ChangePassword,
            "NotAuthorizedException",
            "Access Token has been revoked",
        );
        assert!(revoked.summary.contains("revoked"), "{revoked:?}");
        assert_eq!(revoked.advice, "Sign out and sign in again.");
        let scopes = refusal(
            Operation::GetUser,
            "NotAuthorizedException",
            "Access Token does not have required scopes",
        );
        assert_eq!(scopes, scope_missing());
        assert!(
            scopes.summary.contains("aws.cognito.signin.user.admin"),
            "{scopes:?}"
        );
        assert!(scopes.advice.contains("AllowedOAuthScopes"), "{scopes:?}");
        assert!(scopes.advice.contains("config.json's scopes"), "{scopes:?}");
    }

    #[test]
    fn throttling_says_to_wait() {
        let limit = refusal(
            Operation::ChangePassword,
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time.",
        );
        assert_eq!(
            limit.summary,
            "Changing the password was refused: too many attempts for this account (Attempt limit exceeded, please try after some time.)."
        );
        assert!(limit.advice.contains("up to an hour"), "{limit:?}");
        let busy = refusal(
            Operation::GetUser,
            "TooManyRequestsException",
            "Rate exceeded",
        );
        assert_eq!(
            busy.summary,
            "Reading your account's security settings was refused: Cognito is receiving too many requests right now."
        );
        assert_eq!(busy.advice, "Wait a few seconds, then try again.");
    }

    #[test]
    fn turning_off_in_a_pool_that_requires_mfa_says_so() {
        let trouble = refusal(
            Operation::TurnOffTotp,
            "InvalidParameterException",
            "The user pool requires MFA: the authenticator cannot be turned off.",
        );
        assert!(
            trouble.summary.starts_with(
                "Cognito refused to turn the authenticator off: The user pool requires MFA"
            ),
            "{trouble:?}"
        );
        assert!(trouble.advice.contains("requires MFA"), "{trouble:?}");
        let other = refusal(
            Operation::VerifySoftwareToken,
            "InvalidParameterException",
            "bad",
        );
        assert_eq!(
            other.summary,
            "Checking the code was refused as invalid: bad"
        );
    }

    #[test]
    fn a_pool_without_authenticators_is_named() {
        let trouble = refusal(
            Operation::AssociateSoftwareToken,
            "SoftwareTokenMFANotFoundException",
            "Software Token MFA has not been enabled by the userPool",
        );
        assert_eq!(
            trouble.summary,
            "This user pool does not offer authenticator apps (Software Token MFA has not been enabled by the userPool)."
        );
        let lost = refusal(
            Operation::VerifySoftwareToken,
            "SoftwareTokenMFANotFoundException",
            "No authenticator is being set up",
        );
        assert_eq!(lost.advice, "Start the setup again.");
    }

    #[test]
    fn unknown_refusals_show_cognitos_words() {
        let trouble = refusal(Operation::GlobalSignOut, "SomethingNewException", "why");
        assert_eq!(
            trouble.summary,
            "Signing out everywhere was refused: SomethingNewException: why"
        );
    }

    #[test]
    fn transport_failures_name_the_endpoint() {
        let unreachable = explain(Operation::GetUser, &IdpError::Unreachable, ENDPOINT);
        assert_eq!(
            unreachable.summary,
            "Reading your account's security settings failed: nothing answered at https://cognito-idp.eu-west-1.amazonaws.com/."
        );
        assert!(
            unreachable.advice.contains("connect-src"),
            "{unreachable:?}"
        );
        let cors = explain(
            Operation::ChangePassword,
            &IdpError::BlockedByCors,
            ENDPOINT,
        );
        assert!(cors.summary.contains("(CORS)"), "{cors:?}");
        let status = explain(Operation::GlobalSignOut, &IdpError::Status(404), ENDPOINT);
        assert!(status.summary.contains("HTTP 404"), "{status:?}");
        assert!(status.advice.contains("issuer"), "{status:?}");
        let odd = explain(
            Operation::AssociateSoftwareToken,
            &IdpError::Unexpected("SecretCode"),
            ENDPOINT,
        );
        assert!(odd.summary.ends_with("has no SecretCode."), "{odd:?}");
    }

    #[test]
    fn session_problems_say_nothing_was_sent() {
        let signed_out = explain(Operation::GetUser, &IdpError::NotSignedIn, ENDPOINT);
        assert_eq!(signed_out.advice, "Sign in, then come back to this page.");
        let error = IdpError::TokenNotRenewed(AuthError::Status {
            endpoint: "the token endpoint",
            status: 503,
        });
        let not_renewed = explain(Operation::TurnOnTotp, &error, ENDPOINT);
        assert!(
            not_renewed.summary.contains("nothing was sent"),
            "{not_renewed:?}"
        );
        assert!(not_renewed.summary.contains("HTTP 503"), "{not_renewed:?}");
    }
}
