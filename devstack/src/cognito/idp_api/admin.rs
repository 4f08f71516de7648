//! The administrators' operations (SigV4-signed on AWS; `mod.rs` asks for a signature):
//! AdminCreateUser, AdminSetUserPassword, AdminResetUserPassword, AdminGetUser,
//! AdminAddUserToGroup, AdminDeleteUser.
//! Each names the pool (`UserPoolId`). AdminInitiateAuth and AdminRespondToAuthChallenge are in
//! `sign_in.rs`.

use serde_json::{Value, json};

use super::request::Request;
use super::{Answer, AwsError, CognitoState, attributes, check_attribute_names, check_pool};
use crate::accounts::{AdminCreateUser, User};

pub(super) fn create_user(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    let username = request.str("Username")?;
    let given = request.attributes("UserAttributes")?;
    check_attribute_names(given.iter().map(|(name, _)| name.as_str()), true)?;
    let value = |name: &str| {
        given
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let email = value("email").ok_or_else(|| {
        AwsError::invalid_parameter(
            "Attributes did not conform to the schema: email: The attribute is required",
        )
    })?;
    let email_verified = match value("email_verified") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => {
            return Err(AwsError::invalid_parameter(
                "email_verified must be \"true\" or \"false\"",
            ));
        }
    };
    let suppress_invitation = match request.optional_str("MessageAction")? {
        None => false,
        Some("SUPPRESS") => true,
        // RESEND needs an invitation of an existing user sent again with a new temporary
        // password; devstack leaves that to AdminSetUserPassword.
        Some("RESEND") => {
            return Err(AwsError::invalid_parameter(
                "devstack does not implement MessageAction RESEND: give the user a new \
                 temporary password with AdminSetUserPassword (Permanent false)",
            ));
        }
        Some(other) => {
            return Err(AwsError::invalid_parameter(format!(
                "1 validation error detected: Value '{other}' at 'messageAction' failed to \
                 satisfy constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]"
            )));
        }
    };
    let user = state.accounts.admin_create_user(
        AdminCreateUser {
            username: username.to_owned(),
            email: email.to_owned(),
            email_verified,
            temporary_password: request
                .optional_str("TemporaryPassword")?
                .map(str::to_owned),
            suppress_invitation,
        },
        state.clock.now_secs(),
    )?;
    let mut described = describe(&user);
    // UserType names the list `Attributes` (AdminGetUser says `UserAttributes`).
    described["Attributes"] = attributes(&user);
    Ok(json!({"User": described}))
}

pub(super) fn set_user_password(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    let username = request.str("Username")?;
    let password = request.str("Password")?;
    let permanent = request.optional_bool("Permanent")?.unwrap_or(false);
    state.accounts.admin_set_user_password(
        username,
        password,
        permanent,
        state.clock.now_secs(),
    )?;
    Ok(json!({}))
}

pub(super) fn get_user(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    let user = state
        .accounts
        .find(request.str("Username")?)
        .ok_or_else(user_not_found)?;
    let mut described = describe(&user);
    described["UserAttributes"] = attributes(&user);
    add_mfa_settings(&mut described, &user);
    Ok(described)
}

pub(super) fn add_user_to_group(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    let username = request.str("Username")?;
    let group = request.str("GroupName")?;
    state
        .accounts
        .admin_add_user_to_group(username, group, state.clock.now_secs())?;
    Ok(json!({}))
}

/// Ends the user's sign-ins too, so that a user created again under the name cannot be reached
/// with the old refresh tokens.
pub(super) fn delete_user(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    let username = state.accounts.admin_delete_user(request.str("Username")?)?;
    state.grants().refresh_tokens.revoke_user(
        &username,
        state.clock.now_secs(),
        state.longest_access_token_lifetime(),
    );
    Ok(json!({}))
}

/// The user must reset the password: a reset code is mailed, and signing in with the old one
/// answers `PasswordResetRequiredException` until ConfirmForgotPassword. Answers `{}`.
pub(super) fn reset_user_password(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    state
        .accounts
        .admin_reset_user_password(request.str("Username")?, state.clock.now_secs())?;
    Ok(json!({}))
}

fn user_not_found() -> AwsError {
    AwsError::new("UserNotFoundException", "User does not exist.")
}

/// The members of `UserType` and AdminGetUser but the attribute list. Dates are epoch seconds.
fn describe(user: &User) -> Value {
    json!({
        "Username": user.username,
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.modified_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    })
}

/// `UserMFASettingList` and `PreferredMfaSetting`, when the user has them (GetUser too).
pub(super) fn add_mfa_settings(described: &mut Value, user: &User) {
    let list = user.mfa_setting_list();
    if !list.is_empty() {
        described["UserMFASettingList"] = json!(list);
    }
    if let Some(preferred) = user.preferred_mfa() {
        described["PreferredMfaSetting"] = preferred.into();
    }
}
