//! The Cognito side: managed login (hosted UI), the OAuth 2.0 endpoints, discovery and JWKS.
//!
//! The identity-provider JSON API (`POST /`, `idp_api/`) is served here too: locally the
//! issuer's host and the hosted UI are one origin.
//!
//! Endpoints and their answers follow `shared/reference/aws-behavior.md`. Where Cognito's
//! behaviour is not documented, the choice is the RFC's and is said where it is made.

mod access_token;
mod account_flow;
mod authorize;
mod grants;
mod idp_api;
pub(crate) mod keys;
mod login_page;
mod mailbox_page;
mod minting;
mod pages;
mod refresh_tokens;
mod token_endpoint;
mod userinfo;

use std::num::NonZero;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tower_http::cors::{Any, CorsLayer};
use url::Url;

use crate::accounts::Accounts;
use crate::clock::Clock;
use crate::config::{AppClientConfig, Config};
use keys::PoolKeys;

pub use grants::Grants;
pub(crate) use mailbox_page::newest_first as mailbox_newest_first;

/// Largest form body accepted by the endpoints (Cognito's requests are a few hundred bytes).
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Everything the Cognito endpoints share.
#[derive(Debug)]
pub struct CognitoState {
    /// The configuration (pool, clients, testing switches).
    pub config: Arc<Config>,
    /// The pool's signing keys.
    pub keys: Arc<PoolKeys>,
    /// The users and their account flows.
    pub accounts: Accounts,
    /// The stand-in's clock.
    pub clock: Clock,
    /// Where the hosted UI is served, e.g. `http://localhost:9229/`.
    pub hosted_ui: Url,
    /// The issuer, e.g. `http://localhost:9229/us-east-1_DevStack01`.
    pub issuer: String,
    grants: Mutex<Grants>,
    password_checks: PasswordChecks,
}

impl CognitoState {
    /// State for a pool served at `hosted_ui`.
    pub fn new(
        config: Arc<Config>,
        keys: Arc<PoolKeys>,
        accounts: Accounts,
        clock: Clock,
        hosted_ui: Url,
    ) -> Self {
        let issuer = issuer_for(&hosted_ui, &config.user_pool.id);
        Self {
            config,
            keys,
            accounts,
            clock,
            hosted_ui,
            issuer,
            grants: Mutex::new(Grants::default()),
            password_checks: PasswordChecks::per_core(),
        }
    }

    fn client(&self, client_id: &str) -> Option<&AppClientConfig> {
        self.config.client(client_id)
    }

    fn grants(&self) -> MutexGuard<'_, Grants> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than refusing every later request would.
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.hosted_ui.as_str().trim_end_matches('/'))
    }
}

/// Runs password checks on the blocking pool, at most one per core at a time: each argon2 check
/// takes ~19 MiB and a core's worth of work, so a burst of sign-ins waits for a permit instead
/// of filling tokio's 512 blocking threads (and gigabytes of memory).
#[derive(Debug, Clone)]
struct PasswordChecks {
    permits: Arc<Semaphore>,
}

impl PasswordChecks {
    fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, NonZero::get))
    }

    fn new(permits: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(permits)),
        }
    }

    /// `check`'s result, or `None` if it panicked. The permit stays with the blocking task, so a
    /// caller that goes away does not free it while the work still runs.
    async fn run<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        // The semaphore is never closed, so acquiring only waits.
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            check()
        })
        .await
        .ok()
    }
}

/// The issuer URL for a pool whose hosted UI is at `hosted_ui` (both on one origin locally).
pub fn issuer_for(hosted_ui: &Url, pool_id: &str) -> String {
    format!("{}/{pool_id}", hosted_ui.as_str().trim_end_matches('/'))
}

/// The Cognito router.
pub fn router(state: Arc<CognitoState>) -> Router {
    let pool = state.config.user_pool.id.clone();
    // Cognito sends `Access-Control-Allow-Origin: *` on these (no custom policy); the hosted
    // UI pages (authorize, login, logout) are navigations and get no CORS headers.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    let api = Router::new()
        .route("/oauth2/token", post(token_endpoint::token))
        .route("/oauth2/revoke", post(token_endpoint::revoke))
        .route(
            "/oauth2/userInfo",
            get(userinfo::user_info).post(userinfo::user_info),
        )
        .route(
            &format!("/{pool}/.well-known/openid-configuration"),
            get(discovery),
        )
        .route(&format!("/{pool}/.well-known/jwks.json"), get(jwks))
        .layer(cors);
    Router::new()
        .route("/", post(idp_api::dispatch).options(idp_api::preflight))
        .route("/oauth2/authorize", get(authorize::authorize))
        .route("/logout", get(authorize::logout))
        .route("/login.css", get(login_page::stylesheet))
        .merge(hosted_ui_pages())
        .route("/devstack/mailbox", get(mailbox_page::page))
        .route("/devstack/mailbox.json", get(mailbox_page::json))
        .merge(api)
        .fallback(not_found)
        .with_state(state)
}

/// The managed login's pages (Cognito's paths where it has them). A challenge page's GET (a
/// reload) goes back to the login form: its session is never in the URL.
fn hosted_ui_pages() -> Router<Arc<CognitoState>> {
    use account_flow as flow;
    Router::new()
        .route("/login", get(flow::login_form).post(flow::login_submit))
        .route(
            "/resetPassword",
            get(flow::back_to_login).post(flow::new_password_submit),
        )
        .route("/mfa", get(flow::back_to_login).post(flow::mfa_submit))
        .route(
            "/mfaSetup",
            get(flow::back_to_login).post(flow::mfa_setup_submit),
        )
        .route(
            "/signup",
            get(flow::sign_up_form).post(flow::sign_up_submit),
        )
        .route(
            "/confirm",
            get(flow::confirm_form).post(flow::confirm_submit),
        )
        .route("/resendcode", post(flow::resend_code))
        .route(
            "/forgotPassword",
            get(flow::forgot_form).post(flow::forgot_submit),
        )
        .route(
            "/confirmForgotPassword",
            get(flow::confirm_forgot_form).post(flow::confirm_forgot_submit),
        )
}

async fn not_found() -> Response {
    login_page::error_page(
        axum::http::StatusCode::NOT_FOUND,
        "Not found",
        "There is no page at this address.",
    )
}

/// The discovery document, shaped like Cognito's (no `code_challenge_methods_supported`).
async fn discovery(State(state): State<Arc<CognitoState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "authorization_endpoint": state.endpoint("/oauth2/authorize"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": state.issuer,
        "jwks_uri": format!("{}/.well-known/jwks.json", state.issuer),
        "response_types_supported": ["code", "token"],
        "revocation_endpoint": state.endpoint("/oauth2/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": state.endpoint("/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": state.endpoint("/oauth2/userInfo"),
    }))
}

async fn jwks(State(state): State<Arc<CognitoState>>) -> Json<keys::Jwks> {
    Json(state.keys.jwks())
}

/// Why a form body was refused.
#[derive(Debug, thiserror::Error)]
enum FormError {
    /// Not `application/x-www-form-urlencoded`.
    #[error("the body must be application/x-www-form-urlencoded")]
    ContentType,
    /// Over [`MAX_FORM_BYTES`] (or the body stream failed).
    #[error("the body is larger than {MAX_FORM_BYTES} bytes")]
    TooLarge,
    /// Not a form, or a parameter repeated.
    #[error("the body is not a valid form: {0}")]
    Malformed(String),
}

/// Reads a urlencoded body of at most [`MAX_FORM_BYTES`]; a repeated parameter is an error
/// (RFC 6749 section 3.2).
async fn read_form<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T, FormError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(FormError::ContentType);
    }
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| FormError::TooLarge)?;
    serde_urlencoded::from_bytes(&bytes).map_err(|e| FormError::Malformed(e.to_string()))
}

/// A JSON OAuth error body: `{"error": ..., "error_description": ...}`.
#[derive(Debug, Serialize)]
struct OAuthErrorBody {
    error: &'static str,
    error_description: String,
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    response
}

fn json_response(status: axum::http::StatusCode, body: &impl Serialize) -> Response {
    no_store((status, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn password_checks_run_no_more_at_once_than_there_are_permits() {
        let checks = PasswordChecks::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let jobs: Vec<_> = (0..5)
            .map(|_| {
                let (checks, running, most, gate) =
                    (checks.clone(), running.clone(), most.clone(), gate.clone());
                tokio::spawn(async move {
                    checks
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            let _ = gate.lock().map(|gate| gate.recv());
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();

        let deadline = Instant::now() + Duration::from_secs(10);
        while running.load(Ordering::SeqCst) < 2 {
            assert!(Instant::now() < deadline, "two checks never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(checks.permits.available_permits(), 0);
        for _ in 0..5 {
            release.send(()).expect("a check waits");
        }
        for job in jobs {
            assert_eq!(job.await.expect("joined"), Some(()));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(checks.permits.available_permits(), 2);
    }
}
