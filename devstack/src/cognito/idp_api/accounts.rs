//! Accounts people make and mend themselves, no token needed: SignUp, ConfirmSignUp,
//! ResendConfirmationCode, ForgotPassword, ConfirmForgotPassword. Each names an app client
//! (`ClientId`), as Cognito requires; codes go to devstack's mailbox.

use serde_json::json;

use super::request::Request;
use super::{Answer, CognitoState, check_attribute_names, client, code_delivery};

pub(super) fn sign_up(state: &CognitoState, request: &Request) -> Answer {
    client(state, request)?;
    let username = request.str("Username")?;
    let password = request.str("Password")?;
    let attributes = request.attributes("UserAttributes")?;
    check_attribute_names(attributes.iter().map(|(name, _)| name.as_str()), false)?;
    let email = attributes
        .iter()
        .find(|(name, _)| name == "email")
        .map(|(_, value)| value.as_str());
    let (sub, delivery) =
        state
            .accounts
            .sign_up(username, password, email, state.clock.now_secs())?;
    Ok(json!({
        "UserConfirmed": false,
        "UserSub": sub,
        "CodeDeliveryDetails": code_delivery(&delivery.destination),
    }))
}

pub(super) fn confirm_sign_up(state: &CognitoState, request: &Request) -> Answer {
    client(state, request)?;
    let username = request.str("Username")?;
    let code = request.str("ConfirmationCode")?;
    state
        .accounts
        .confirm_sign_up(username, code, state.clock.now_secs())?;
    Ok(json!({}))
}

pub(super) fn resend_confirmation_code(state: &CognitoState, request: &Request) -> Answer {
    client(state, request)?;
    let username = request.str("Username")?;
    let delivery = state
        .accounts
        .resend_confirmation_code(username, state.clock.now_secs())?;
    Ok(json!({"CodeDeliveryDetails": code_delivery(&delivery.destination)}))
}

pub(super) fn forgot_password(state: &CognitoState, request: &Request) -> Answer {
    client(state, request)?;
    let username = request.str("Username")?;
    let delivery = state
        .accounts
        .forgot_password(username, state.clock.now_secs())?;
    Ok(json!({"CodeDeliveryDetails": code_delivery(&delivery.destination)}))
}

pub(super) fn confirm_forgot_password(state: &CognitoState, request: &Request) -> Answer {
    client(state, request)?;
    let username = request.str("Username")?;
    let code = request.str("ConfirmationCode")?;
    let password = request.str("Password")?;
    state
        .accounts
        .confirm_forgot_password(username, code, password, state.clock.now_secs())?;
    Ok(json!({}))
}
