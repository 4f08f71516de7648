//! Signing up: `/signup` (only when the pool allows self sign-up), then `/confirm` with the
//! e-mailed code, which signs the user in (a confirmation session: the password was entered in
//! this browser), and `/resendcode` for another code.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{Flow, Posted, Submitted};
use crate::accounts::{AccountError, Challenge};
use crate::cognito::CognitoState;
use crate::cognito::login_page::error_page;
use crate::cognito::pages::{self, ConfirmPage, Message};

/// Shown when the pool does not allow self sign-up (`allow_self_sign_up = false`).
const SIGN_UP_OFF: &str = "Sign-up is not enabled for this app.";

fn sign_up_off() -> Response {
    error_page(StatusCode::NOT_FOUND, "Sign-up is not enabled", SIGN_UP_OFF)
}

fn sent_to(destination: &str) -> String {
    format!("We sent a code to {destination}. Enter it below to confirm your account.")
}

fn sign_up_page(
    flow: Flow,
    status: StatusCode,
    (username, email): (&str, &str),
    message: Message<'_>,
) -> Response {
    let requirements = flow.requirements();
    flow.show(|page| pages::sign_up(page, status, username, email, &requirements, message))
}

/// `GET /signup`.
pub(in crate::cognito) async fn sign_up_form(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    match Flow::open(state, jar, query) {
        Ok(flow) if !flow.accounts().pool().allow_self_sign_up => sign_up_off(),
        Ok(flow) => sign_up_page(flow, StatusCode::OK, ("", ""), Message::None),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
pub(in crate::cognito) struct SignUpForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

impl Posted for SignUpForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn forged(flow: Flow) -> Response {
        expired_sign_up(flow)
    }
}

fn expired_sign_up(flow: Flow) -> Response {
    if !flow.accounts().pool().allow_self_sign_up {
        return sign_up_off();
    }
    sign_up_page(
        flow,
        StatusCode::FORBIDDEN,
        ("", ""),
        Message::Error("This form has expired. Please try again."),
    )
}

/// `POST /signup`: a new unconfirmed user and a code by e-mail, then the confirmation page.
pub(in crate::cognito) async fn sign_up_submit(
    Submitted(flow, form): Submitted<SignUpForm>,
) -> Response {
    if !flow.accounts().pool().allow_self_sign_up {
        return sign_up_off();
    }
    let (username, email) = (
        form.username.trim().to_owned(),
        form.email.trim().to_owned(),
    );
    if let Some(refusal) = flow.password_refusal(&form.password, None) {
        return sign_up_page(
            flow,
            StatusCode::OK,
            (&username, &email),
            Message::Error(&refusal),
        );
    }
    let (name, address, password) = (username.clone(), email.clone(), form.password);
    let outcome = flow
        .off_the_workers(move |state| {
            let address = Some(address.as_str()).filter(|a| !a.is_empty());
            let now = state.clock.now_secs();
            state.accounts.sign_up(&name, &password, address, now)
        })
        .await;
    match outcome {
        Ok(Ok((_sub, delivery))) => {
            let session =
                flow.accounts()
                    .confirmation_session(&username, flow.client_id(), flow.now());
            let page = ConfirmPage {
                session: Some(&session),
                username: &username,
                intro: &sent_to(&delivery.destination),
            };
            confirm_page(flow, &page, Message::None)
        }
        Ok(Err(error)) => sign_up_page(
            flow,
            StatusCode::OK,
            (&username, &email),
            Message::Error(&error.message),
        ),
        Err(response) => response,
    }
}

pub(super) fn confirm_page(flow: Flow, page: &ConfirmPage<'_>, message: Message<'_>) -> Response {
    flow.show(|context| pages::confirm(context, StatusCode::OK, page, message))
}

/// The confirmation page of a confirmation session.
pub(super) fn confirm_session_page(
    flow: Flow,
    (username, session): (&str, &str),
    message: Message<'_>,
) -> Response {
    let intro = flow.destination(username).map_or_else(
        || "Enter the code we sent you by e-mail to confirm your account.".to_owned(),
        |destination| sent_to(&destination),
    );
    let page = ConfirmPage {
        session: Some(session),
        username,
        intro: &intro,
    };
    confirm_page(flow, &page, message)
}

/// After the right password of a user who never confirmed the sign-up: a new code, and the
/// confirmation page (confirming goes on signing in).
pub(super) fn unconfirmed(flow: Flow, identifier: &str) -> Response {
    let Some(user) = flow.accounts().find(identifier) else {
        return flow.login_page(
            StatusCode::OK,
            identifier,
            Message::Error(&AccountError::wrong_credentials().message),
        );
    };
    let username = user.username;
    let now = flow.now();
    let session = flow
        .accounts()
        .confirmation_session(&username, flow.client_id(), now);
    let sent = flow.accounts().resend_confirmation_code(&username, now);
    let (intro, message) = match &sent {
        Ok(delivery) => (
            format!(
                "Your account is not confirmed yet. We sent a code to {}. Enter it below to confirm your account.",
                delivery.destination
            ),
            Message::None,
        ),
        Err(error) => (
            "Your account is not confirmed yet. Enter the code we sent you by e-mail.".to_owned(),
            Message::Error(&error.message),
        ),
    };
    let page = ConfirmPage {
        session: Some(&session),
        username: &username,
        intro: &intro,
    };
    confirm_page(flow, &page, message)
}

/// `GET /confirm`: the code of a sign-up started elsewhere (no session: the username is asked
/// for, and confirming leads to the login form).
pub(in crate::cognito) async fn confirm_form(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    match Flow::open(state, jar, query) {
        Ok(flow) => {
            let page = ConfirmPage {
                session: None,
                username: "",
                intro: "Enter your username and the code we sent you by e-mail.",
            };
            confirm_page(flow, &page, Message::None)
        }
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
pub(in crate::cognito) struct ConfirmForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    session: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    code: String,
}

impl Posted for ConfirmForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /confirm`: the sign-up's code. With a confirmation session the user is signed in (or
/// asked for the next step); without, the login form follows.
pub(in crate::cognito) async fn confirm_submit(
    Submitted(flow, form): Submitted<ConfirmForm>,
) -> Response {
    let code = super::typed_code(&form.code);
    let Some(session) = form.session.as_deref() else {
        let username = form.username.trim();
        return match flow.accounts().confirm_sign_up(username, &code, flow.now()) {
            Ok(()) => flow.login_page(
                StatusCode::OK,
                username,
                Message::Notice("Your account is confirmed. Sign in to go on."),
            ),
            Err(error) => {
                let page = ConfirmPage {
                    session: None,
                    username,
                    intro: "Enter your username and the code we sent you by e-mail.",
                };
                confirm_page(flow, &page, Message::Error(&error.message))
            }
        };
    };
    let Some(waiting) = flow.challenge(session, Challenge::ConfirmSignUp) else {
        return flow.took_too_long();
    };
    match flow
        .accounts()
        .answer_confirmation(session, flow.client_id(), &code, flow.now())
    {
        Ok(progress) => flow.proceed(progress),
        Err(error) if error == AccountError::invalid_session() => flow.took_too_long(),
        Err(error) => confirm_session_page(
            flow,
            (&waiting.username, session),
            Message::Error(&error.message),
        ),
    }
}

/// `POST /resendcode`: another confirmation code (ResendConfirmationCode; 5 codes an hour).
pub(in crate::cognito) async fn resend_code(
    Submitted(flow, form): Submitted<ConfirmForm>,
) -> Response {
    let (username, session) = match form.session.as_deref() {
        Some(session) => match flow.challenge(session, Challenge::ConfirmSignUp) {
            Some(waiting) => (waiting.username, Some(session)),
            None => return flow.took_too_long(),
        },
        None => (form.username.trim().to_owned(), None),
    };
    let sent = flow
        .accounts()
        .resend_confirmation_code(&username, flow.now());
    let notice;
    let message = match &sent {
        Ok(delivery) => {
            notice = format!("We sent a new code to {}.", delivery.destination);
            Message::Notice(&notice)
        }
        Err(error) => Message::Error(&error.message),
    };
    match session {
        Some(session) => confirm_session_page(flow, (&username, session), message),
        None => {
            let page = ConfirmPage {
                session: None,
                username: &username,
                intro: "Enter your username and the code we sent you by e-mail.",
            };
            confirm_page(flow, &page, message)
        }
    }
}
