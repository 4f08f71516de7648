//! The session state machine, provided once to the whole app as the `Copy` context [`Auth`].
//!
//! This file holds the states and the public API; the work is split by job: `verify` (checking
//! tokens), `renewal` (timers, refreshes across tabs), `restore` (a kept session at start, and
//! forgetting one), and `decide`, the decisions they make, as pure functions.

mod decide;
mod renewal;
mod restore;
mod verify;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::error::AuthError;
use super::jwt::Jwks;
use super::session::{self, Session, StoredTokens};
use super::storage::{self, TokenStore};
use super::tabs::{self, TabChannel, TabMessage};
use super::types::AccessToken;
use super::{crypto, endpoints, flow, return_path};
use crate::config::AppConfig;
use crate::encoding;
use crate::json::{Object, Value};

/// Where the session stands.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one state lives in one signal; boxing the session would only add an indirection for the pages"
)]
pub enum AuthState {
    /// Restoring a session kept in `sessionStorage`; nothing is known yet.
    Initializing,
    /// On the way to the hosted UI, or back from it with a code being exchanged.
    SigningIn,
    /// Signing out in this tab: the tokens are being forgotten and revoked, then the browser
    /// goes to the hosted UI's `/logout`. Protected pages wait instead of asking to sign in.
    SigningOut,
    /// Signed in with tokens that passed every check.
    SignedIn(Session),
    /// Not signed in; the reason, when the session ended without the user asking here.
    SignedOut(Option<SignOutReason>),
    /// Signing in failed; the error says why.
    Failed(AuthError),
}

/// Why a session ended without the user signing out in this tab.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignOutReason {
    /// The user signed out in another tab.
    #[error("You signed out in another tab.")]
    SignedOutElsewhere,
    /// The tokens could not be renewed.
    #[error("Your session could not be renewed: {0}")]
    RefreshFailed(AuthError),
    /// The tokens expired and there was no refresh token to renew them.
    #[error("Your session expired.")]
    Expired,
    /// The session kept in this tab could not be restored.
    #[error("The saved session could not be restored: {0}")]
    RestoreFailed(AuthError),
    /// The session kept in this tab could not be checked or renewed just now, for a reason that
    /// may pass (the network, the sign-in service). It is kept, and tried again.
    #[error(
        "Your saved session could not be checked just now: {0}. It is kept: the app tries again by itself, or reload the page."
    )]
    RestorePostponed(AuthError),
}

/// The user's attributes from `/oauth2/userInfo`, for the signed-in user.
#[derive(Clone, Debug, PartialEq)]
pub struct UserInfo {
    /// The user's id; equal to the ID token's `sub` (checked).
    pub sub: String,
    /// Every attribute returned (`sub`, `email`, `email_verified`, `username`, ...).
    pub attributes: Object,
}

/// One of the context's operations under way. Boxed: awaited in many places, its state machine
/// is built once and each caller holds a pointer to it, not a copy of its states and their drop
/// glue.
pub type AuthFuture<T> = Pin<Box<dyn Future<Output = Result<T, AuthError>>>>;

/// The auth context: read the state, start and finish signing in, refresh, sign out.
///
/// Provided once by [`provide_auth`]; get it anywhere below with [`use_auth`]. It is `Copy`, so
/// move it into closures freely.
#[derive(Clone, Copy)]
pub struct Auth {
    state: RwSignal<AuthState>,
    /// Why the last renewal failed, while the session is kept and renewing is tried again.
    renewal_problem: RwSignal<Option<AuthError>>,
    config: StoredValue<AppConfig>,
    inner: StoredValue<Rc<Inner>, LocalStorage>,
}

/// What the tab keeps besides the state: not `Send`, and never shown to the UI.
struct Inner {
    tokens: TokenStore,
    jwks: RefCell<Jwks>,
    refresh_timer: RefCell<Option<Timeout>>,
    channel: RefCell<Option<TabChannel>>,
    /// Newer tokens of this session that another tab renewed, not taken up yet: noted the moment
    /// they are heard, so a refresh about to start here does not use the refresh token they
    /// retire.
    renewed_elsewhere: RefCell<Option<StoredTokens>>,
    /// Renewals in a row that failed for a reason that may pass: how long to wait before the next.
    failed_renewals: Cell<u32>,
    /// The return path of the sign-in the callback last took up, for trying again if it failed.
    callback_return_path: RefCell<Option<String>>,
}

/// Creates the auth context for `config`, provides it to the app below, and starts restoring a
/// session kept in `sessionStorage` (with `token_storage: "session"`). Call it once, in the app
/// shell, after [`crate::config::load`].
pub fn provide_auth(config: AppConfig) -> Auth {
    let storage_kind = config.token_storage;
    let channel_name = format!("cognito-spa.auth.{}", config.client_id);
    let auth = Auth {
        state: RwSignal::new(AuthState::Initializing),
        renewal_problem: RwSignal::new(None),
        config: StoredValue::new(config),
        inner: StoredValue::new_local(Rc::new(Inner {
            tokens: TokenStore::new(storage_kind),
            jwks: RefCell::new(Jwks::default()),
            refresh_timer: RefCell::new(None),
            channel: RefCell::new(None),
            renewed_elsewhere: RefCell::new(None),
            failed_renewals: Cell::new(0),
            callback_return_path: RefCell::new(None),
        })),
    };
    let channel = TabChannel::open(&channel_name, move |message| match message {
        TabMessage::SignedOut => {
            let ends = auth.state.with_untracked(|state| {
                decide::ends_on_sign_out_elsewhere(state, auth.has_stored_session())
            });
            if ends {
                spawn_local(auth.forget_session(Some(SignOutReason::SignedOutElsewhere)));
            }
        }
        TabMessage::Renewed(tokens) => auth.hear_renewal(tokens),
    });
    auth.inner().channel.replace(channel);
    // The browser may show this page again from its back/forward cache, in the middle of a
    // trip to the hosted UI that is over. The listener lives as long as the page.
    let _page_show = window_event_listener(leptos::ev::pageshow, move |event| {
        let show = auth
            .state
            .with_untracked(|state| decide::after_page_show(event.persisted(), state));
        match show {
            decide::PageShow::Stay => {}
            decide::PageShow::OfferSignIn => auth.state.set(AuthState::SignedOut(None)),
            decide::PageShow::ShowSignedOut => {
                // A fresh load, so nothing of the old page's state stays. If the browser
                // refuses, the page stays as it was; nothing else to do.
                let signed_out = auth.config.with_value(|config| config.sign_out_uri.clone());
                if let Some(window) = web_sys::window() {
                    let _ = window.location().replace(&signed_out);
                }
            }
        }
    });
    provide_context(auth);
    spawn_local(auth.restore());
    auth
}

/// The auth context provided by [`provide_auth`].
///
/// # Panics
/// When called outside the tree below [`provide_auth`] (a programming error, not an input).
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

impl Auth {
    /// The session state, reactive.
    pub fn state(&self) -> Signal<AuthState> {
        self.state.into()
    }

    /// For the route guard (the shell's `Protected`): `None` while it is not known yet
    /// (initializing, signing in), then whether the user is signed in. Reactive.
    pub fn signed_in(&self) -> Option<bool> {
        self.state.with(|state| match state {
            AuthState::Initializing | AuthState::SigningIn | AuthState::SigningOut => None,
            AuthState::SignedIn(_) => Some(true),
            AuthState::SignedOut(_) | AuthState::Failed(_) => Some(false),
        })
    }

    /// The configuration the app was started with (the API base URL, for instance).
    pub fn config(&self) -> AppConfig {
        self.config.get_value()
    }

    /// Why renewing the tokens failed last, while the session is kept and renewing is tried
    /// again by itself (the network or the sign-in service failed); `None` otherwise. Reactive.
    pub fn renewal_problem(&self) -> Option<AuthError> {
        self.renewal_problem.get()
    }

    /// The current access token, for `Authorization: Bearer`; `None` when signed out or when it
    /// has expired (an expired token is never sent). Not reactive: read it when sending a
    /// request, or better use [`Auth::fresh_access_token`].
    pub fn access_token(&self) -> Option<AccessToken> {
        self.state.with_untracked(|state| match state {
            AuthState::SignedIn(session) if !session.has_expired(now_seconds()) => {
                Some(session.access_token().clone())
            }
            _ => None,
        })
    }

    /// An access token to send now, renewed first when it expires within
    /// [`session::SEND_MARGIN`]. Fails with [`AuthError::NotSignedIn`] when signed out, and
    /// with the renewal's error when the token has expired and could not be renewed.
    pub async fn fresh_access_token(&self) -> Result<AccessToken, AuthError> {
        if self.access_token_due()
            && self.has_refresh_token()
            && let Err(error) = self.refresh().await
        {
            // Still good for a few seconds, or nothing to send.
            return self.access_token().ok_or(error);
        }
        self.access_token().ok_or(AuthError::NotSignedIn)
    }

    /// Whether the signed-in session's access token carries `scope` (those the sign-in was
    /// granted). Not reactive.
    pub fn access_token_has_scope(&self, scope: &str) -> bool {
        self.state.with_untracked(|state| {
            matches!(state, AuthState::SignedIn(session) if session.access_claims.scopes.iter().any(|granted| granted == scope))
        })
    }

    /// Whether the signed-in session's access token expires within [`session::SEND_MARGIN`]
    /// (or has expired). Not reactive.
    pub fn access_token_due(&self) -> bool {
        self.state.with_untracked(|state| match state {
            AuthState::SignedIn(session) => {
                session.expires_within(now_seconds(), session::SEND_MARGIN)
            }
            _ => false,
        })
    }

    /// Where the sign-in that the callback last took up meant to return to, for trying again
    /// after it failed; home when not known. [`Auth::sign_in`] sanitizes it again.
    pub fn callback_return_path(&self) -> String {
        self.inner()
            .callback_return_path
            .borrow()
            .clone()
            .unwrap_or_else(|| return_path::HOME.to_owned())
    }

    /// Starts signing in: a fresh PKCE verifier, state and nonce are kept in `sessionStorage`
    /// and the browser goes to the hosted UI. `return_to` is where to come back to afterwards;
    /// anything but a same-origin path becomes `/`. Failures end up in [`AuthState::Failed`].
    pub fn sign_in(&self, return_to: &str) {
        let auth = *self;
        let return_path = return_path::sanitize_return_path(return_to);
        self.state.set(AuthState::SigningIn);
        spawn_local(async move {
            if let Err(error) = auth.redirect_to_sign_in(return_path).await {
                auth.state.set(AuthState::Failed(error));
            }
        });
    }

    /// Finishes signing in on the callback page, given the page's query string (`?code=..&state=..`).
    ///
    /// Checks the state (one-time: it is consumed whatever happens), exchanges the code, checks
    /// both tokens, keeps them, and removes `code` and `state` from the address bar
    /// (`history.replaceState`). Returns the sanitized path to go to; navigate there with
    /// `replace: true`. Reloading a used callback URL is harmless: when a session exists it
    /// answers `Ok("/")`, otherwise [`AuthError::UnknownState`].
    pub async fn complete_sign_in(&self, query: &str) -> Result<String, AuthError> {
        let pending = storage::take_pending_sign_in();
        remove_query_from_address_bar();
        let pending = pending?;
        if let Some(pending) = &pending {
            self.inner()
                .callback_return_path
                .replace(Some(pending.return_path.clone()));
        }
        if pending.is_none() && self.has_stored_session() {
            return Ok(return_path::HOME.to_owned());
        }
        self.state.set(AuthState::SigningIn);
        let result = self.exchange_callback(query, pending).await;
        if let Err(error) = &result {
            self.state.set(AuthState::Failed(error.clone()));
        }
        result
    }

    /// Renews the tokens with the refresh token. Refreshes are serialized across tabs, and one
    /// that finds the tokens already renewed while it waited does nothing. The API wrapper calls
    /// this once on a 401 and then retries once. On a failure that ends the session
    /// ([`AuthError::ends_session`]) the user is signed out with
    /// [`SignOutReason::RefreshFailed`]; on one that may pass the session is kept, the error is
    /// shown by [`Auth::renewal_problem`], and renewing is tried again later (backing off). The
    /// error is returned either way.
    pub fn refresh(&self) -> AuthFuture<()> {
        let auth = *self;
        Box::pin(async move {
            let seen = auth.session_access_token();
            let result = tabs::with_lock(
                &auth.lock_name(),
                renewal::REFRESH_LOCK_WAIT_MS,
                auth.refresh_locked(seen),
            )
            .await
            .unwrap_or_else(|error| Err(renewal::lock_failure(error)));
            match decide::after_renewal(&result) {
                decide::AfterRenewal::Done => {}
                decide::AfterRenewal::End(reason) => auth.forget_session(Some(reason)).await,
                decide::AfterRenewal::RetryLater(error) => auth.retry_renewal_later(error),
            }
            result
        })
    }

    /// Signs out: revokes the refresh token (giving up after
    /// [`endpoints::REVOKE_TIMEOUT_MS`]), forgets everything, tells the other tabs, and goes to
    /// the hosted UI's `/logout`, which comes back to `sign_out_uri`.
    pub fn sign_out(&self) {
        let auth = *self;
        self.state.set(AuthState::SigningOut);
        spawn_local(async move {
            auth.end_session(AuthState::SigningOut).await;
            if let Some(channel) = auth.inner().channel.borrow().as_ref() {
                channel.announce(&TabMessage::SignedOut);
            }
            let logout = flow::logout_url(&auth.config.get_value());
            if let Err(error) = assign_location(&logout) {
                auth.state.set(AuthState::Failed(error));
            }
        });
    }

    /// The signed-in user's attributes from `/oauth2/userInfo` (refreshing first when the
    /// access token is due, and once on a 401). Its `sub` must equal the ID token's.
    pub async fn user_info(&self) -> Result<UserInfo, AuthError> {
        let config = self.config.get_value();
        let token = self.fresh_access_token().await?;
        let attributes = match endpoints::user_info(&config, &token).await {
            Err(AuthError::Status { status: 401, .. }) => {
                self.refresh().await?;
                let token = self.fresh_access_token().await?;
                endpoints::user_info(&config, &token).await?
            }
            other => other?,
        };
        let sub = attributes
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthError::BadResponse {
                endpoint: "the userInfo endpoint",
                message: "the answer has no `sub`".into(),
            })?
            .to_owned();
        let expected = self.state.with_untracked(|state| match state {
            AuthState::SignedIn(session) => Some(session.id_claims.sub.clone()),
            _ => None,
        });
        match expected {
            None => Err(AuthError::NotSignedIn),
            Some(expected) if expected == sub => Ok(UserInfo { sub, attributes }),
            Some(_) => Err(AuthError::UserInfoMismatch { found: sub }),
        }
    }

    fn inner(&self) -> Rc<Inner> {
        self.inner.get_value()
    }

    fn has_stored_session(&self) -> bool {
        matches!(self.inner().tokens.load(), Ok(Some(_)))
    }

    /// Whether the stored tokens are still `tokens` (same sign-in, same renewal): a renewal of
    /// them that finishes after a sign-out or another renewal must not be kept.
    fn still_stored(&self, tokens: &StoredTokens) -> bool {
        matches!(self.inner().tokens.load(), Ok(Some(stored)) if stored.same_version(tokens))
    }

    /// The signed-in session's access token, expired or not: only to compare with the stored one.
    fn session_access_token(&self) -> Option<AccessToken> {
        self.state.with_untracked(|state| match state {
            AuthState::SignedIn(session) => Some(session.access_token().clone()),
            _ => None,
        })
    }

    fn has_refresh_token(&self) -> bool {
        self.state.with_untracked(|state| {
            matches!(state, AuthState::SignedIn(session) if session.refresh_token().is_some())
        })
    }

    fn lock_name(&self) -> String {
        format!("cognito-spa.refresh.{}", self.config.get_value().client_id)
    }

    async fn redirect_to_sign_in(self, return_path: String) -> Result<(), AuthError> {
        let verifier = crypto::new_verifier()?;
        let challenge = crypto::pkce_challenge(&verifier).await?;
        let state = crypto::new_state()?;
        let nonce = crypto::new_nonce()?;
        let url = flow::authorize_url(&self.config.get_value(), &state, &nonce, &challenge);
        storage::save_pending_sign_in(&flow::PendingSignIn {
            verifier,
            state,
            nonce,
            return_path,
            created_at: now_seconds(),
        })?;
        assign_location(&url)
    }

    async fn exchange_callback(
        &self,
        query: &str,
        pending: Option<flow::PendingSignIn>,
    ) -> Result<String, AuthError> {
        let query = encoding::query_pairs(query);
        let code = flow::check_callback(&query, pending.as_ref(), now_seconds())?;
        let pending = pending.ok_or(AuthError::UnknownState)?;
        let config = self.config.get_value();
        let tokens = endpoints::exchange_code(&config, &code, &pending.verifier)
            .await?
            .into_sign_in(crypto::new_session_id()?)?;
        let session = self.verify(tokens, Some(&pending.nonce)).await?;
        self.keep(session)?;
        Ok(return_path::sanitize_return_path(&pending.return_path))
    }
}

/// Seconds since the epoch, from the browser's clock.
pub(super) fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

fn assign_location(url: &str) -> Result<(), AuthError> {
    web_sys::window()
        .ok_or(AuthError::Browser {
            action: "navigate",
            message: "there is no window".into(),
        })?
        .location()
        .assign(url)
        .map_err(|error| AuthError::Browser {
            action: "navigate",
            message: crypto::describe(&error),
        })
}

/// Drops `code` and `state` from the address bar and the history entry, keeping the path.
fn remove_query_from_address_bar() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(path) = window.location().pathname() else {
        return;
    };
    if let Ok(history) = window.history() {
        // If this fails the code is still single-use and already consumed; nothing else to do.
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}
