//! The hosted UI's account flows: signing in (with its challenges), signing up, a forgotten
//! password. Each page is the answer to the form before it, in the same authorize request: every
//! form posts to `<path>?<authorize query>`, is CSRF-checked (the `XSRF-TOKEN` cookie echoed in
//! `_csrf`, compared in constant time), and a challenge's `Session` travels in a hidden field,
//! never in a URL. A flow ends with the managed-login session cookie and a redirect to the
//! client's callback with a code.
//!
//! The decisions are the account core's (`crate::accounts`); these handlers only choose the page
//! that shows the outcome. Work that hashes or checks a password runs on the blocking pool
//! through `CognitoState::password_checks`.

mod password_reset;
mod sign_in;
mod sign_up;

pub(super) use password_reset::{
    confirm_forgot_form, confirm_forgot_submit, forgot_form, forgot_submit,
};
pub(super) use sign_in::{
    back_to_login, login_form, login_submit, mfa_setup_submit, mfa_submit, new_password_submit,
};
pub(super) use sign_up::{confirm_form, confirm_submit, resend_code, sign_up_form, sign_up_submit};

use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::authorize::{
    AuthorizeError, AuthorizeRequest, CSRF_COOKIE, SESSION_COOKIE, cookie, removal,
};
use super::grants::{LoginSession, SESSION_LIFETIME_SECS, random_handle};
use super::login_page::error_page;
use super::pages::{self, Context, Message};
use super::{CognitoState, read_form};
use crate::accounts::{
    AccountError, Accounts, Challenge, ChallengeSession, ErrorKind, Next, Progress, mask_email,
};

/// A form that was posted with an old page, or from another site.
const FORM_EXPIRED: &str = "This form has expired. Please sign in again.";
/// A challenge session that ended (3 minutes) or never was.
const TOOK_TOO_LONG: &str = "Your sign-in took too long. Please sign in again.";

/// A posted form: every one carries the CSRF field.
trait Posted: DeserializeOwned {
    fn csrf(&self) -> &str;

    /// The page for a form that fails its CSRF check (403): the login form, unless the form's
    /// own flow has a better page to start again from.
    fn forged(flow: Flow) -> Response {
        flow.expired_form()
    }
}

/// A handler's argument for a posted step of a flow: the flow of the authorize request in the
/// query and its form, once the form's CSRF token matches the cookie. A bad authorize request is
/// answered as `/oauth2/authorize` answers it, an unreadable form with a 400 page, a forged one
/// with [`Posted::forged`]; the handler does not run.
pub(in crate::cognito) struct Submitted<T>(Flow, T);

impl<T: Posted> FromRequest<Arc<CognitoState>> for Submitted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<CognitoState>) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let jar = CookieJar::from_headers(&parts.headers);
        let query = parts.uri.query().map(str::to_owned);
        let flow =
            Flow::open(Arc::clone(state), jar, query).map_err(IntoResponse::into_response)?;
        let form: T = read_form(&parts.headers, body).await.map_err(|error| {
            error_page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                &error.to_string(),
            )
        })?;
        let sent = form.csrf();
        let matches = flow.jar.get(CSRF_COOKIE).is_some_and(|cookie| {
            !sent.is_empty() && bool::from(cookie.value().as_bytes().ct_eq(sent.as_bytes()))
        });
        if matches {
            Ok(Self(flow, form))
        } else {
            Err(T::forged(flow))
        }
    }
}

/// One step of a flow: the checked authorize request it belongs to, and the browser's cookies.
pub(in crate::cognito) struct Flow {
    state: Arc<CognitoState>,
    request: AuthorizeRequest,
    jar: CookieJar,
}

impl Flow {
    /// The flow of the authorize request in `query`; a bad one is answered as
    /// `/oauth2/authorize` answers it.
    fn open(
        state: Arc<CognitoState>,
        jar: CookieJar,
        query: Option<String>,
    ) -> Result<Self, AuthorizeError> {
        let request = state.check_authorize(query.as_deref())?;
        Ok(Self {
            state,
            request,
            jar,
        })
    }

    fn accounts(&self) -> &Accounts {
        &self.state.accounts
    }

    fn now(&self) -> u64 {
        self.state.clock.now_secs()
    }

    fn client_id(&self) -> &str {
        &self.request.client_id
    }

    /// The live challenge session `id` of this client waiting for `challenge`.
    fn challenge(&self, id: &str, challenge: Challenge) -> Option<ChallengeSession> {
        self.accounts()
            .session_user(id, self.client_id(), self.now())
            .filter(|session| session.challenge == challenge)
    }

    /// The policy's rules, as listed under a new-password field.
    fn requirements(&self) -> Vec<String> {
        self.accounts().pool().password_policy.requirements()
    }

    /// Runs `job` (it hashes or checks a password) on the blocking pool, a bounded number at a
    /// time. A job that panicked is a 500 page.
    async fn off_the_workers<T: Send + 'static>(
        &self,
        job: impl FnOnce(&CognitoState) -> T + Send + 'static,
    ) -> Result<T, Response> {
        let state = self.state.clone();
        self.state
            .password_checks
            .run(move || job(&state))
            .await
            .ok_or_else(|| {
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "devstack could not check the password; its log says why.",
                )
            })
    }

    /// Shows a page with the browser's CSRF token (a new one if it has none), in the cookie
    /// and for the page's forms. The token stays the same until the sign-in ends, so a page
    /// still open in another tab keeps working.
    fn show(self, render: impl FnOnce(&Context<'_>) -> Response) -> Response {
        let csrf = self
            .jar
            .get(CSRF_COOKIE)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| is_handle(value))
            .unwrap_or_else(random_handle);
        let jar = self
            .jar
            .add(cookie(CSRF_COOKIE, csrf.clone(), SESSION_LIFETIME_SECS));
        let context = Context {
            client_name: &self.request.client_name,
            query: &self.request.query,
            csrf: &csrf,
            form_target: &self.request.redirect_uri,
            self_sign_up: self.state.accounts.pool().allow_self_sign_up,
        };
        (jar, render(&context)).into_response()
    }

    fn login_page(self, status: StatusCode, username: &str, message: Message<'_>) -> Response {
        self.show(|page| pages::login(page, status, username, message))
    }

    /// The login form again, for a form that failed its CSRF check.
    fn expired_form(self) -> Response {
        self.login_page(StatusCode::FORBIDDEN, "", Message::Error(FORM_EXPIRED))
    }

    /// The login form again, for a challenge session that ended.
    fn took_too_long(self) -> Response {
        self.login_page(StatusCode::OK, "", Message::Error(TOOK_TOO_LONG))
    }

    /// Starts the managed-login session and sends the browser to the callback with a code.
    fn signed_in(self, username: &str) -> Response {
        let auth_time = self.now();
        let session_id = self.state.grants().insert_session(LoginSession {
            username: username.to_owned(),
            auth_time,
            expires_at: auth_time + SESSION_LIFETIME_SECS,
        });
        let jar = self
            .jar
            .add(cookie(SESSION_COOKIE, session_id, SESSION_LIFETIME_SECS))
            .remove(removal(CSRF_COOKIE));
        let redirect = self
            .state
            .redirect_with_code(&self.request, username, auth_time);
        (jar, redirect).into_response()
    }

    /// The page for what comes after a step: the callback once signed in, else the
    /// challenge's page.
    fn proceed(self, progress: Progress) -> Response {
        let Progress {
            username,
            next,
            session,
        } = progress;
        let (Next::Challenge(challenge), Some(session)) = (next, session) else {
            return self.signed_in(&username);
        };
        match challenge {
            Challenge::NewPasswordRequired => {
                sign_in::new_password_page(self, &username, &session, Message::None)
            }
            Challenge::SoftwareTokenMfa => {
                self.show(|page| pages::mfa_code(page, &username, &session, Message::None))
            }
            Challenge::MfaSetup => sign_in::mfa_setup_page(
                self,
                (&username, &session),
                sign_in::SetupSecret::New,
                "",
                Message::None,
            ),
            Challenge::ConfirmSignUp => {
                sign_up::confirm_session_page(self, (&username, &session), Message::None)
            }
        }
    }

    /// The page for a sign-in the core refused after the password.
    fn refused_sign_in(self, identifier: &str, error: &AccountError) -> Response {
        match after_refusal(error.kind) {
            AfterRefusal::Confirm => sign_up::unconfirmed(self, identifier),
            AfterRefusal::Reset => self.show(|page| {
                pages::forgot(
                    page,
                    StatusCode::OK,
                    identifier,
                    Message::Error(
                        "Your password must be reset before you can sign in. Send yourself a \
                         code to choose a new one.",
                    ),
                )
            }),
            AfterRefusal::Show => {
                self.login_page(StatusCode::OK, identifier, Message::Error(&error.message))
            }
        }
    }

    /// Why a new password cannot be used, in the page's words: the two entries differ, or
    /// every rule of the policy it breaks. `None` when it can.
    fn password_refusal(&self, password: &str, again: Option<&str>) -> Option<String> {
        if again.is_some_and(|again| again != password) {
            return Some("The two passwords are not the same.".to_owned());
        }
        match self.accounts().check_new_password(password) {
            Ok(()) => None,
            Err((_, broken)) if !broken.is_empty() => {
                let needs: Vec<String> = broken.into_iter().map(|r| r.requirement()).collect();
                Some(format!("The password needs {}.", join_with_and(&needs)))
            }
            Err((error, _)) => Some(error.message),
        }
    }

    /// Where the user's codes go, masked (`d***@e***.com`).
    fn destination(&self, username: &str) -> Option<String> {
        self.accounts().user(username).map(|u| mask_email(&u.email))
    }
}

/// Whether `value` looks like a token [`random_handle`] made (43 base64url characters), so a
/// cookie someone else set is not taken over as it is.
fn is_handle(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a refused sign-in leads to.
#[derive(Debug, PartialEq, Eq)]
enum AfterRefusal {
    /// The sign-up was never confirmed: send a code, ask for it.
    Confirm,
    /// The password must be reset first: the forgot-password page.
    Reset,
    /// Anything else: the message on the login page.
    Show,
}

fn after_refusal(kind: ErrorKind) -> AfterRefusal {
    match kind {
        ErrorKind::UserNotConfirmed => AfterRefusal::Confirm,
        ErrorKind::PasswordResetRequired => AfterRefusal::Reset,
        _ => AfterRefusal::Show,
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_with_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A code as typed: authenticator apps show `123 456`.
fn typed_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_sign_in_leads_to_the_page_that_helps() {
        assert_eq!(
            after_refusal(ErrorKind::UserNotConfirmed),
            AfterRefusal::Confirm
        );
        assert_eq!(
            after_refusal(ErrorKind::PasswordResetRequired),
            AfterRefusal::Reset
        );
        for kind in [
            ErrorKind::NotAuthorized,
            ErrorKind::InvalidParameter,
            ErrorKind::LimitExceeded,
        ] {
            assert_eq!(after_refusal(kind), AfterRefusal::Show);
        }
    }

    #[test]
    fn lists_read_as_a_sentence() {
        let words = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(join_with_and(&words(&[])), "");
        assert_eq!(join_with_and(&words(&["a"])), "a");
        assert_eq!(join_with_and(&words(&["a", "b"])), "a and b");
        assert_eq!(join_with_and(&words(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn only_tokens_of_our_making_are_kept() {
        assert!(is_handle(&random_handle()));
        assert!(!is_handle("short"));
        assert!(!is_handle(&"a".repeat(42)));
        assert!(!is_handle(&format!("{}=", "a".repeat(42))));
    }

    #[test]
    fn typed_codes_lose_their_spaces() {
        assert_eq!(typed_code(" 123 456\t"), "123456");
    }
}
