//! Signing in: `/login` (the password), then the challenges the core asks for:
//! `/resetPassword` (a new password in place of a temporary one), `/mfa` (the authenticator's
//! code), `/mfaSetup` (an authenticator, when the pool requires one).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{Flow, Posted, Submitted, typed_code};
use crate::accounts::{AccountError, Challenge, SetupBy, TotpSecret, is_code_shape, qr_svg};
use crate::cognito::CognitoState;
use crate::cognito::authorize::found;
use crate::cognito::pages::{self, Message, MfaSetupPage};

/// The challenge session ended after too many wrong codes.
const TOO_MANY_CODES: &str = "Too many wrong codes. Please sign in again.";
/// A code that is not six digits (not counted as a wrong code).
const NOT_A_CODE: &str = "Enter the 6-digit code your authenticator app shows.";

/// `GET /login`: the form.
pub(in crate::cognito) async fn login_form(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    match Flow::open(state, jar, query) {
        Ok(flow) => {
            let hint = flow.request.login_hint.clone().unwrap_or_default();
            flow.login_page(StatusCode::OK, &hint, Message::None)
        }
        Err(error) => error.into_response(),
    }
}

/// `GET` of a challenge page (a reload, a typed address): its session is not in the URL, so
/// back to the login form.
pub(in crate::cognito) async fn back_to_login(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    match Flow::open(state, jar, query) {
        Ok(flow) => found(&format!("/login?{}", flow.request.query)),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
pub(in crate::cognito) struct LoginForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

impl Posted for LoginForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /login`: the password (of the username or the verified e-mail address), then what
/// the account needs next.
pub(in crate::cognito) async fn login_submit(
    Submitted(flow, form): Submitted<LoginForm>,
) -> Response {
    let client_id = flow.client_id().to_owned();
    let (identifier, password) = (form.username.clone(), form.password);
    // One answer for an unknown user and a wrong password, after the same work.
    let outcome = flow
        .off_the_workers(move |state| {
            let now = state.clock.now_secs();
            state
                .accounts
                .sign_in(&client_id, &identifier, &password, now)
        })
        .await;
    match outcome {
        Ok(Ok(progress)) => flow.proceed(progress),
        Ok(Err(error)) => flow.refused_sign_in(&form.username, &error),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub(in crate::cognito) struct NewPasswordForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

impl Posted for NewPasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) fn new_password_page(
    flow: Flow,
    username: &str,
    session: &str,
    message: Message<'_>,
) -> Response {
    let requirements = flow.requirements();
    flow.show(|page| pages::new_password(page, username, session, &requirements, message))
}

/// `POST /resetPassword`: answers `NEW_PASSWORD_REQUIRED`.
pub(in crate::cognito) async fn new_password_submit(
    Submitted(flow, form): Submitted<NewPasswordForm>,
) -> Response {
    let Some(waiting) = flow.challenge(&form.session, Challenge::NewPasswordRequired) else {
        return flow.took_too_long();
    };
    if let Some(refusal) = flow.password_refusal(&form.password, Some(&form.password_confirmation))
    {
        return new_password_page(
            flow,
            &waiting.username,
            &form.session,
            Message::Error(&refusal),
        );
    }
    let client_id = flow.client_id().to_owned();
    let (session, password) = (form.session.clone(), form.password);
    let outcome = flow
        .off_the_workers(move |state| {
            let now = state.clock.now_secs();
            state
                .accounts
                .answer_new_password(&session, &client_id, None, &password, now)
        })
        .await;
    match outcome {
        Ok(Ok(progress)) => flow.proceed(progress),
        Ok(Err(error)) if error == AccountError::invalid_session() => flow.took_too_long(),
        Ok(Err(error)) => new_password_page(
            flow,
            &waiting.username,
            &form.session,
            Message::Error(&error.message),
        ),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub(in crate::cognito) struct CodeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    device_name: String,
}

impl Posted for CodeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /mfa`: answers `SOFTWARE_TOKEN_MFA`. A wrong code keeps the session for another try,
/// up to the core's limit.
pub(in crate::cognito) async fn mfa_submit(Submitted(flow, form): Submitted<CodeForm>) -> Response {
    let Some(waiting) = flow.challenge(&form.session, Challenge::SoftwareTokenMfa) else {
        return flow.took_too_long();
    };
    let code = typed_code(&form.code);
    let refusal = if is_code_shape(&code) {
        match flow.accounts().answer_mfa_code(
            &form.session,
            flow.client_id(),
            None,
            &code,
            flow.now(),
        ) {
            Ok(progress) => return flow.proceed(progress),
            Err(error) if error == AccountError::invalid_session() => {
                return flow.took_too_long();
            }
            Err(error) => error.message,
        }
    } else {
        NOT_A_CODE.to_owned()
    };
    if flow
        .challenge(&form.session, Challenge::SoftwareTokenMfa)
        .is_none()
    {
        return flow.login_page(
            StatusCode::OK,
            &waiting.username,
            Message::Error(TOO_MANY_CODES),
        );
    }
    flow.show(|page| {
        pages::mfa_code(
            page,
            &waiting.username,
            &form.session,
            Message::Error(&refusal),
        )
    })
}

/// Whether the setup page shows a new secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetupSecret {
    /// The first time: AssociateSoftwareToken makes one.
    New,
    /// After a refused code: the one being set up, so an app that scanned it keeps working.
    Pending,
}

/// The setup page of the `MFA_SETUP` session `session`.
pub(super) fn mfa_setup_page(
    flow: Flow,
    (username, session): (&str, &str),
    secret: SetupSecret,
    device_name: &str,
    message: Message<'_>,
) -> Response {
    let pending = match secret {
        SetupSecret::New => None,
        SetupSecret::Pending => flow
            .accounts()
            .user(username)
            .and_then(|u| u.pending_secret),
    };
    let secret: TotpSecret = match pending {
        Some(secret) => secret,
        None => match flow
            .accounts()
            .associate_software_token(SetupBy::Session(session), flow.now())
        {
            Ok(secret) => secret,
            Err(error) => {
                return flow.login_page(StatusCode::OK, username, Message::Error(&error.message));
            }
        },
    };
    let uri = secret.otpauth_uri(&flow.request.client_name, username);
    let svg = qr_svg(&uri);
    let base32 = secret.to_base32();
    let setup = MfaSetupPage {
        username,
        session,
        secret: &base32,
        uri: &uri,
        qr_svg: svg.as_deref(),
        device_name,
    };
    flow.show(|page| pages::mfa_setup(page, &setup, message))
}

/// `POST /mfaSetup`: the new authenticator's first code (VerifySoftwareToken with the
/// session), then answers `MFA_SETUP`.
pub(in crate::cognito) async fn mfa_setup_submit(
    Submitted(flow, form): Submitted<CodeForm>,
) -> Response {
    let Some(waiting) = flow.challenge(&form.session, Challenge::MfaSetup) else {
        return flow.took_too_long();
    };
    let code = typed_code(&form.code);
    let device_name = form.device_name.trim();
    if !is_code_shape(&code) {
        return mfa_setup_page(
            flow,
            (&waiting.username, &form.session),
            SetupSecret::Pending,
            device_name,
            Message::Error(NOT_A_CODE),
        );
    }
    let verified = flow.accounts().verify_software_token(
        SetupBy::Session(&form.session),
        &code,
        Some(device_name),
        flow.now(),
    );
    let answered = match verified {
        Ok(Some(session)) => {
            flow.accounts()
                .answer_mfa_setup(&session, flow.client_id(), None, flow.now())
        }
        Ok(None) => Err(AccountError::invalid_session()),
        Err(error) if error == AccountError::invalid_session() => return flow.took_too_long(),
        Err(error) => {
            return mfa_setup_page(
                flow,
                (&waiting.username, &form.session),
                SetupSecret::Pending,
                device_name,
                Message::Error(&error.message),
            );
        }
    };
    match answered {
        Ok(progress) => flow.proceed(progress),
        Err(_) => flow.took_too_long(),
    }
}
