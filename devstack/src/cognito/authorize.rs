//! The browser-facing OAuth endpoints: `/oauth2/authorize` (checked here for every hosted-UI page,
//! which all carry its query on) and `/logout`. The pages themselves are in `account_flow/`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use url::Url;

use super::CognitoState;
use super::grants::{CODE_LIFETIME_SECS, CodeGrant, LoginSession, MAX_LIVE_CODES};
use super::login_page::error_page;
use crate::config::AppClientConfig;

/// The managed-login session cookie (Cognito's name).
pub(super) const SESSION_COOKIE: &str = "cognito";
/// The CSRF cookie of the login form (Cognito's name); the form echoes it in `_csrf`.
pub(super) const CSRF_COOKIE: &str = "XSRF-TOKEN";

/// The longest `state` or `nonce` accepted (devstack's bound; Cognito documents none). Both are
/// kept with the code until it is used, and a client needs a few dozen random bytes at most.
const MAX_STATE_OR_NONCE_BYTES: usize = 2048;

/// Query parameters of `/oauth2/authorize` (and `/login`, which carries them on).
#[derive(Debug, Deserialize)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
    identity_provider: Option<String>,
    idp_identifier: Option<String>,
    login_hint: Option<String>,
    prompt: Option<String>,
    // `lang` and unknown parameters are ignored: the stand-in has one language.
}

/// A checked authorize request.
#[derive(Debug)]
pub(super) struct AuthorizeRequest {
    pub(super) client_id: String,
    pub(super) client_name: String,
    /// Exactly as sent (and registered); the token request must repeat it.
    redirect_uri_sent: String,
    pub(super) redirect_uri: Url,
    state: Option<String>,
    scopes: Vec<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
    pub(super) login_hint: Option<String>,
    prompt: Prompt,
    /// The query as received, carried from `/oauth2/authorize` to `/login`.
    pub(super) query: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    /// Use the session if there is one.
    Default,
    /// Always show the form.
    Login,
    /// Never show the form: without a session, answer `login_required`.
    None,
}

/// How an authorize request is refused.
#[derive(Debug)]
pub(super) enum AuthorizeError {
    /// Unknown client or unregistered redirect URI: a page, never a redirect (no open redirect).
    Page(&'static str),
    /// Anything else: back to the client with `error`, `error_description` and `state`.
    Redirect {
        redirect_uri: Box<Url>,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(message) => error_page(StatusCode::BAD_REQUEST, "Invalid request", message),
            Self::Redirect {
                mut redirect_uri,
                error,
                description,
                state,
            } => {
                {
                    let mut pairs = redirect_uri.query_pairs_mut();
                    pairs.append_pair("error", error);
                    pairs.append_pair("error_description", &description);
                    if let Some(state) = &state {
                        pairs.append_pair("state", state);
                    }
                }
                found(redirect_uri.as_str())
            }
        }
    }
}

/// 302 Found, as Cognito redirects.
pub(super) fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

impl CognitoState {
    pub(super) fn check_authorize(
        &self,
        query: Option<&str>,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        let query = query.unwrap_or_default();
        let params: AuthorizeParams = serde_urlencoded::from_str(query).map_err(|_| {
            AuthorizeError::Page("The request's query string is malformed or repeats a parameter.")
        })?;
        let client = params
            .client_id
            .as_deref()
            .and_then(|id| self.client(id))
            .ok_or(AuthorizeError::Page(
                "The client_id is missing or unknown to this user pool.",
            ))?;
        let (redirect_uri_sent, redirect_uri) = params
            .redirect_uri
            .as_deref()
            .filter(|uri| client.callback_urls.iter().any(|c| c == uri))
            .and_then(|uri| Some((uri.to_owned(), Url::parse(uri).ok()?)))
            .ok_or(AuthorizeError::Page(
                "The redirect_uri is missing or is not one of this app client's callback URLs.",
            ))?;
        if params
            .state
            .as_ref()
            .is_some_and(|state| state.len() > MAX_STATE_OR_NONCE_BYTES)
        {
            // Not echoed: a state that long would only bloat the redirect.
            return Err(AuthorizeError::Redirect {
                redirect_uri: Box::new(redirect_uri),
                error: "invalid_request",
                description: format!("state is longer than {MAX_STATE_OR_NONCE_BYTES} bytes"),
                state: None,
            });
        }
        let state = params.state.clone();
        let refuse = |error: &'static str, description: &str| AuthorizeError::Redirect {
            redirect_uri: Box::new(redirect_uri.clone()),
            error,
            description: description.to_owned(),
            state: state.clone(),
        };
        match params.response_type.as_deref() {
            Some("code") => {}
            // The implicit grant is disabled on the app client.
            Some("token") => {
                return Err(refuse(
                    "unauthorized_client",
                    "the implicit grant is not enabled for this client",
                ));
            }
            Some(_) => {
                return Err(refuse(
                    "unsupported_response_type",
                    "response_type must be code",
                ));
            }
            None => return Err(refuse("invalid_request", "response_type is missing")),
        }
        if params
            .nonce
            .as_ref()
            .is_some_and(|nonce| nonce.len() > MAX_STATE_OR_NONCE_BYTES)
        {
            return Err(refuse(
                "invalid_request",
                &format!("nonce is longer than {MAX_STATE_OR_NONCE_BYTES} bytes"),
            ));
        }
        let code_challenge = match (
            params.code_challenge.as_deref(),
            params.code_challenge_method.as_deref(),
        ) {
            (None, None) => None,
            (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {
                Some(challenge.to_owned())
            }
            (Some(_), Some("S256")) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge must be 43 base64url characters (S256)",
                ));
            }
            (Some(_), None | Some("plain")) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge_method must be S256 (plain is not allowed)",
                ));
            }
            (None, Some(_)) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge_method without code_challenge",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge_method must be S256",
                ));
            }
        };
        let scopes = match params.scope.as_deref() {
            // Without `scope`, Cognito grants every scope the client is allowed.
            None => client.allowed_scopes.clone(),
            Some(scope) => {
                let scopes: Vec<String> = scope
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if scopes.is_empty() || !scopes.iter().all(|s| client.allowed_scopes.contains(s)) {
                    return Err(refuse(
                        "invalid_scope",
                        "a requested scope is not allowed for this client",
                    ));
                }
                dedup(scopes)
            }
        };
        if params
            .identity_provider
            .as_deref()
            .is_some_and(|p| p != "COGNITO")
            || params.idp_identifier.is_some()
        {
            return Err(refuse(
                "invalid_request",
                "the only identity provider is COGNITO",
            ));
        }
        let prompt = match params.prompt.as_deref() {
            None | Some("select_account" | "consent") => Prompt::Default,
            Some("login") => Prompt::Login,
            Some("none") => Prompt::None,
            Some(_) => {
                return Err(refuse(
                    "invalid_request",
                    "prompt must be none, login, select_account or consent",
                ));
            }
        };
        Ok(AuthorizeRequest {
            client_id: client.client_id.clone(),
            client_name: display_name(client),
            redirect_uri_sent,
            redirect_uri,
            state: params.state,
            scopes,
            code_challenge,
            nonce: params.nonce,
            login_hint: params.login_hint,
            prompt,
            query: query.to_owned(),
        })
    }

    fn live_session(&self, jar: &CookieJar) -> Option<LoginSession> {
        let id = jar.get(SESSION_COOKIE)?.value();
        self.grants().session(id, self.clock.now_secs())
    }

    /// Issues a code for the signed-in user and sends the browser back to the client.
    pub(super) fn redirect_with_code(
        &self,
        request: &AuthorizeRequest,
        username: &str,
        auth_time: u64,
    ) -> Response {
        let now = self.clock.now_secs();
        let grant = CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri_sent.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            scopes: request.scopes.clone(),
            username: username.to_owned(),
            auth_time,
            expires_at: now + CODE_LIFETIME_SECS,
        };
        let Some(code) = self.grants().insert_code(grant, now) else {
            return AuthorizeError::Redirect {
                redirect_uri: Box::new(request.redirect_uri.clone()),
                error: "server_error",
                description: format!(
                    "more than {MAX_LIVE_CODES} authorization codes are waiting to be used; try again when some have expired ({CODE_LIFETIME_SECS} s)"
                ),
                state: request.state.clone(),
            }
            .into_response();
        };
        let mut location = request.redirect_uri.clone();
        {
            let mut pairs = location.query_pairs_mut();
            pairs.append_pair("code", &code);
            if let Some(state) = &request.state {
                pairs.append_pair("state", state);
            }
        }
        found(location.as_str())
    }
}

/// Deduplicates while keeping the order.
fn dedup(mut scopes: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    scopes.retain(|s| seen.insert(s.clone()));
    scopes
}

fn display_name(client: &AppClientConfig) -> String {
    if client.name.is_empty() {
        client.client_id.clone()
    } else {
        client.name.clone()
    }
}

/// An S256 challenge is the base64url SHA-256 of the verifier: 43 characters.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An HttpOnly, SameSite=Lax cookie for the hosted UI's origin. Not `Secure`: the stand-in
/// serves plain http on localhost (Cognito's domain is https and its cookies are Secure).
pub(super) fn cookie(name: &'static str, value: String, max_age_secs: u64) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(
            i64::try_from(max_age_secs).unwrap_or(i64::MAX),
        ))
        .build()
}

pub(super) fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

/// `GET /oauth2/authorize`: checks the request, then skips the form when the browser has a
/// session, or sends it to the login page with the same query.
pub(super) async fn authorize(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let request = match state.check_authorize(query.as_deref()) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    if request.prompt != Prompt::Login
        && let Some(session) = state.live_session(&jar)
    {
        return state.redirect_with_code(&request, &session.username, session.auth_time);
    }
    if request.prompt == Prompt::None {
        return AuthorizeError::Redirect {
            redirect_uri: Box::new(request.redirect_uri),
            error: "login_required",
            description: "there is no managed login session".into(),
            state: request.state,
        }
        .into_response();
    }
    found(&format!("/login?{}", request.query))
}

#[derive(Deserialize)]
struct LogoutParams {
    client_id: Option<String>,
    logout_uri: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
}

/// `GET /logout`: ends the managed-login session and redirects to a registered sign-out URL
/// (`logout_uri`), or, with `redirect_uri` and `response_type`, back to sign in.
pub(super) async fn logout(
    State(state): State<Arc<CognitoState>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let Ok(params) = serde_urlencoded::from_str::<LogoutParams>(&query) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The query string is malformed or repeats a parameter.",
        );
    };
    let Some(client) = params.client_id.as_deref().and_then(|id| state.client(id)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The client_id is missing or unknown to this user pool.",
        );
    };
    let location = match (
        &params.logout_uri,
        &params.redirect_uri,
        &params.response_type,
    ) {
        (Some(uri), _, _) if client.logout_urls.contains(uri) => uri.clone(),
        (Some(_), _, _) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "The logout_uri is not one of this app client's sign-out URLs.",
            );
        }
        (None, Some(uri), Some(_)) if client.callback_urls.contains(uri) => {
            // Back to sign in: the authorize request checks the rest of the parameters.
            format!("/oauth2/authorize?{query}")
        }
        (None, Some(_), Some(_)) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "The redirect_uri is not one of this app client's callback URLs.",
            );
        }
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "Send logout_uri, or redirect_uri with response_type.",
            );
        }
    };
    if let Some(session) = jar.get(SESSION_COOKIE) {
        state.grants().remove_session(session.value());
    }
    (jar.remove(removal(SESSION_COOKIE)), found(&location)).into_response()
}
