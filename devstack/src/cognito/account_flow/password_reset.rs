//! A forgotten password: `/forgotPassword` (who; a code by e-mail) then
//! `/confirmForgotPassword` (the code and a new password), then the login form again. An unknown
//! user gets the same pages as a known one: the core makes up where the code went.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{Flow, Posted, Submitted, typed_code};
use crate::cognito::CognitoState;
use crate::cognito::pages::{self, Message};

/// The reset page's line when where the code went is not known (any page but the first).
const ENTER_THE_CODE: &str = "Enter the code from the e-mail we sent you, and a new password.";

fn forgot_page(flow: Flow, status: StatusCode, username: &str, message: Message<'_>) -> Response {
    flow.show(|page| pages::forgot(page, status, username, message))
}

fn reset_page(flow: Flow, username: &str, intro: &str, message: Message<'_>) -> Response {
    let requirements = flow.requirements();
    flow.show(|page| pages::confirm_forgot(page, username, intro, &requirements, message))
}

fn expired_forgot(flow: Flow) -> Response {
    forgot_page(
        flow,
        StatusCode::FORBIDDEN,
        "",
        Message::Error("This form has expired. Please try again."),
    )
}

/// `GET /forgotPassword`.
pub(in crate::cognito) async fn forgot_form(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    match Flow::open(state, jar, query) {
        Ok(flow) => forgot_page(flow, StatusCode::OK, "", Message::None),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
pub(in crate::cognito) struct ForgotForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    username: String,
}

impl Posted for ForgotForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn forged(flow: Flow) -> Response {
        expired_forgot(flow)
    }
}

/// `POST /forgotPassword`: a reset code by e-mail (ForgotPassword), then the reset page.
pub(in crate::cognito) async fn forgot_submit(
    Submitted(flow, form): Submitted<ForgotForm>,
) -> Response {
    let username = form.username.trim();
    if username.is_empty() {
        return forgot_page(
            flow,
            StatusCode::OK,
            "",
            Message::Error("Enter your username or e-mail address."),
        );
    }
    match flow.accounts().forgot_password(username, flow.now()) {
        Ok(delivery) => {
            let intro = format!(
                "We sent a code to {}. Enter it below with a new password.",
                delivery.destination
            );
            reset_page(flow, username, &intro, Message::None)
        }
        Err(error) => forgot_page(
            flow,
            StatusCode::OK,
            username,
            Message::Error(&error.message),
        ),
    }
}

/// `GET /confirmForgotPassword`: for a code requested earlier.
pub(in crate::cognito) async fn confirm_forgot_form(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    match Flow::open(state, jar, query) {
        Ok(flow) => reset_page(flow, "", ENTER_THE_CODE, Message::None),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
pub(in crate::cognito) struct ResetForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

impl Posted for ResetForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn forged(flow: Flow) -> Response {
        expired_forgot(flow)
    }
}

/// `POST /confirmForgotPassword`: the code and the new password (ConfirmForgotPassword), then
/// the login form.
pub(in crate::cognito) async fn confirm_forgot_submit(
    Submitted(flow, form): Submitted<ResetForm>,
) -> Response {
    let username = form.username.trim().to_owned();
    if let Some(refusal) = flow.password_refusal(&form.password, Some(&form.password_confirmation))
    {
        return reset_page(flow, &username, ENTER_THE_CODE, Message::Error(&refusal));
    }
    let (name, code, password) = (username.clone(), typed_code(&form.code), form.password);
    let outcome = flow
        .off_the_workers(move |state| {
            let now = state.clock.now_secs();
            state
                .accounts
                .confirm_forgot_password(&name, &code, &password, now)
        })
        .await;
    match outcome {
        Ok(Ok(())) => flow.login_page(
            StatusCode::OK,
            &username,
            Message::Notice("Your password has been reset. Sign in with the new one."),
        ),
        Ok(Err(error)) => reset_page(
            flow,
            &username,
            ENTER_THE_CODE,
            Message::Error(&error.message),
        ),
        Err(response) => response,
    }
}
