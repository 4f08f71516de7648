//! What signed-in users do with their own access token, sent in the body as `AccessToken`
//! (never an `Authorization` header): GetUser, ChangePassword, GlobalSignOut,
//! SetUserMFAPreference, and AssociateSoftwareToken / VerifySoftwareToken, which take the
//! `Session` of an `MFA_SETUP` challenge instead when the user is still signing in.
//!
//! The token must be a live access token of this pool (the check userInfo makes, revocation
//! included) with the scope `aws.cognito.signin.user.admin`.

use serde_json::json;

use super::admin::add_mfa_settings;
use super::request::Request;
use super::sign_in::USER_ADMIN_SCOPE;
use super::{Answer, AwsError, CognitoState, attributes};
use crate::accounts::{SetupBy, User};
use crate::cognito::access_token::AccessTokenError;

/// The username of the user whose access token is `AccessToken`.
fn token_user(state: &CognitoState, request: &Request) -> Result<String, AwsError> {
    let token = request.str("AccessToken")?;
    let claims = state.verify_access_token(token).map_err(|error| {
        AwsError::not_authorized(match error {
            AccessTokenError::Invalid(_) => "Invalid Access Token",
            AccessTokenError::Expired => "Access Token has expired",
            AccessTokenError::Revoked => "Access Token has been revoked",
        })
    })?;
    if !claims.scope.split(' ').any(|s| s == USER_ADMIN_SCOPE) {
        return Err(AwsError::not_authorized(
            "Access Token does not have required scopes",
        ));
    }
    Ok(claims.username)
}

fn user(state: &CognitoState, username: &str) -> Result<User, AwsError> {
    state
        .accounts
        .user(username)
        .ok_or_else(|| AwsError::new("UserNotFoundException", "User does not exist."))
}

/// Who sets up an authenticator: `AccessToken` or `Session`, exactly one.
enum Setup {
    User(String),
    Session(String),
}

fn setup(state: &CognitoState, request: &Request) -> Result<Setup, AwsError> {
    match (
        request.optional_str("AccessToken")?,
        request.optional_str("Session")?,
    ) {
        (Some(_), None) => Ok(Setup::User(token_user(state, request)?)),
        (None, Some(session)) if !session.is_empty() => Ok(Setup::Session(session.to_owned())),
        (Some(_), Some(_)) => Err(AwsError::invalid_parameter(
            "Send either AccessToken or Session, not both",
        )),
        (None, _) => Err(AwsError::invalid_parameter(
            "Missing required parameter AccessToken or Session",
        )),
    }
}

impl Setup {
    fn by(&self) -> SetupBy<'_> {
        match self {
            Self::User(username) => SetupBy::User(username),
            Self::Session(session) => SetupBy::Session(session),
        }
    }
}

pub(super) fn get_user(state: &CognitoState, request: &Request) -> Answer {
    let user = user(state, &token_user(state, request)?)?;
    let mut described = json!({
        "Username": user.username,
        "UserAttributes": attributes(&user),
    });
    add_mfa_settings(&mut described, &user);
    Ok(described)
}

pub(super) fn change_password(state: &CognitoState, request: &Request) -> Answer {
    let username = token_user(state, request)?;
    let previous = request.str("PreviousPassword")?;
    let proposed = request.str("ProposedPassword")?;
    state
        .accounts
        .change_password(&username, previous, proposed, state.clock.now_secs())?;
    Ok(json!({}))
}

/// Every access token of the user is refused here and by userInfo from now on, and every
/// refresh token stops working. API Gateway's authorizer, which checks only the JWT, accepts
/// the access tokens until they expire, as on AWS.
pub(super) fn global_sign_out(state: &CognitoState, request: &Request) -> Answer {
    let username = token_user(state, request)?;
    let now = state.clock.now_secs();
    state.accounts.global_sign_out(&username, now)?;
    state.grants().refresh_tokens.revoke_user(
        &username,
        now,
        state.longest_access_token_lifetime(),
    );
    Ok(json!({}))
}

pub(super) fn associate_software_token(state: &CognitoState, request: &Request) -> Answer {
    let setup = setup(state, request)?;
    let secret = state
        .accounts
        .associate_software_token(setup.by(), state.clock.now_secs())?;
    Ok(match setup {
        Setup::User(_) => json!({"SecretCode": secret.to_base32()}),
        // The sign-in's session goes on to VerifySoftwareToken as it is.
        Setup::Session(session) => json!({"SecretCode": secret.to_base32(), "Session": session}),
    })
}

pub(super) fn verify_software_token(state: &CognitoState, request: &Request) -> Answer {
    let setup = setup(state, request)?;
    let code = request.str("UserCode")?;
    let device = request.optional_str("FriendlyDeviceName")?;
    let session =
        state
            .accounts
            .verify_software_token(setup.by(), code, device, state.clock.now_secs())?;
    Ok(match session {
        Some(session) => json!({"Status": "SUCCESS", "Session": session}),
        None => json!({"Status": "SUCCESS"}),
    })
}

pub(super) fn set_user_mfa_preference(state: &CognitoState, request: &Request) -> Answer {
    let username = token_user(state, request)?;
    // devstack's only factor is an authenticator app: SMS and e-mail codes cannot be turned on.
    for other in ["SMSMfaSettings", "EmailMfaSettings"] {
        if let Some(settings) = request.optional_object(other)? {
            let on = settings.optional_bool("Enabled")? == Some(true)
                || settings.optional_bool("PreferredMfa")? == Some(true);
            if on {
                return Err(AwsError::invalid_parameter(format!(
                    "devstack has no SMS or e-mail MFA: {other} cannot be enabled"
                )));
            }
        }
    }
    if let Some(settings) = request.optional_object("SoftwareTokenMfaSettings")? {
        state.accounts.set_mfa_preference(
            &username,
            settings.optional_bool("Enabled")?,
            settings.optional_bool("PreferredMfa")?,
            state.clock.now_secs(),
        )?;
    }
    Ok(json!({}))
}
