//! The session state machine, provided once to the whole app as the `Copy` context [`Auth`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};

use super::claims::{self, Expected, Identity};
use super::error::{AuthError, TokenError};
use super::jwt::{DecodedJwt, Jwk, Jwks};
use super::session::{self, Session, StoredTokens};
use super::storage::{self, TokenStore};
use super::tabs::{self, TabChannel, TabMessage};
use super::types::{AccessToken, Nonce};
use super::{crypto, endpoints, flow, return_path};
use crate::config::{AppConfig, TokenStorage};

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
    pub attributes: Map<String, Value>,
}

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
            // A session kept for a later try counts too: it must not come back.
            if auth.is_signed_in() || auth.has_stored_session() {
                spawn_local(auth.forget_session(Some(SignOutReason::SignedOutElsewhere)));
            }
        }
        TabMessage::Renewed(tokens) => auth.hear_renewal(tokens),
    });
    auth.inner().channel.replace(channel);
    // Back from the hosted UI, the browser may show this page from its back/forward cache, still
    // `SigningIn`: that sign-in was abandoned, so offer a new one instead of waiting forever.
    // The listener lives as long as the page.
    let _page_show = window_event_listener(leptos::ev::pageshow, move |event| {
        if event.persisted()
            && auth
                .state
                .with_untracked(|state| *state == AuthState::SigningIn)
        {
            auth.state.set(AuthState::SignedOut(None));
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

    /// For route guards (`ProtectedRoute`'s `condition`): `None` while it is not known yet
    /// (initializing, signing in), then whether the user is signed in. Reactive.
    pub fn signed_in(&self) -> Option<bool> {
        self.state.with(|state| match state {
            AuthState::Initializing | AuthState::SigningIn => None,
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
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let seen = self.session_access_token();
        let auth = *self;
        let result = tabs::with_lock(&self.lock_name(), REFRESH_LOCK_WAIT_MS, async move {
            auth.refresh_locked(seen).await
        })
        .await
        .unwrap_or_else(|error| Err(lock_failure(error)));
        match &result {
            // Nothing to end: there was no session to renew, or it ended meanwhile.
            Err(AuthError::NotSignedIn) | Ok(()) => {}
            Err(error) if error.ends_session() => {
                self.forget_session(Some(SignOutReason::RefreshFailed(error.clone())))
                    .await;
            }
            Err(error) => self.retry_renewal_later(error.clone()),
        }
        result
    }

    /// Signs out: revokes the refresh token (giving up after
    /// [`endpoints::REVOKE_TIMEOUT_MS`]), forgets everything, tells the other tabs, and goes to
    /// the hosted UI's `/logout`, which comes back to `sign_out_uri`.
    pub fn sign_out(&self) {
        let auth = *self;
        spawn_local(async move {
            auth.forget_session(None).await;
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

    fn is_signed_in(&self) -> bool {
        self.state
            .with_untracked(|state| matches!(state, AuthState::SignedIn(_)))
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

    fn expected<'a>(config: &'a AppConfig, now: i64) -> Expected<'a> {
        Expected {
            issuer: &config.issuer,
            client_id: &config.client_id,
            now,
        }
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
        let code = flow::check_callback(query, pending.as_ref(), now_seconds())?;
        let pending = pending.ok_or(AuthError::UnknownState)?;
        let config = self.config.get_value();
        let tokens = endpoints::exchange_code(&config, &code, &pending.verifier)
            .await?
            .into_sign_in(crypto::new_session_id()?)?;
        let session = self.verify(tokens, Some(&pending.nonce)).await?;
        self.keep(session)?;
        Ok(return_path::sanitize_return_path(&pending.return_path))
    }

    /// Checks both tokens' signatures against the issuer's keys, then their claims.
    async fn verify(
        &self,
        tokens: StoredTokens,
        nonce: Option<&Nonce>,
    ) -> Result<Session, AuthError> {
        let id_token = DecodedJwt::decode(tokens.id_token.secret(), "ID token")?;
        let access_token = DecodedJwt::decode(tokens.access_token.secret(), "access token")?;
        for (jwt, which) in [(&id_token, "ID token"), (&access_token, "access token")] {
            let key = self.signing_key(jwt.rs256_key_id(which)?, which).await?;
            crypto::verify_rs256(jwt, &key, which).await?;
        }
        let config = self.config.get_value();
        let session = Session::from_verified(
            tokens,
            id_token,
            access_token,
            &Self::expected(&config, now_seconds()),
            nonce,
        )?;
        let access_token_digest =
            crypto::sha256(session.access_token().secret().as_bytes()).await?;
        claims::check_access_token_hash(&session.id_token, &access_token_digest)?;
        Ok(session)
    }

    /// The issuer's key `kid`, fetching the key set again (once) when it is not known yet, as
    /// happens after a key rotation.
    async fn signing_key(&self, kid: &str, which: &'static str) -> Result<Jwk, AuthError> {
        let inner = self.inner();
        let known = inner.jwks.borrow().find(kid).cloned();
        if let Some(key) = known {
            return Ok(key);
        }
        let fetched = endpoints::jwks(&self.config.get_value()).await?;
        let key = fetched.find(kid).cloned();
        inner.jwks.replace(fetched);
        key.ok_or_else(|| {
            TokenError::UnknownKeyId {
                token: which,
                kid: kid.to_owned(),
            }
            .into()
        })
    }

    /// Keeps a checked session: stores it, publishes it, and plans its renewal.
    fn keep(&self, session: Session) -> Result<(), AuthError> {
        let inner = self.inner();
        inner.tokens.save(session.tokens())?;
        inner.failed_renewals.set(0);
        self.renewal_problem.set(None);
        let auth = *self;
        let delay = session.refresh_delay(now_seconds());
        let timer = if session.refresh_token().is_some() {
            Timeout::new(timer_millis(delay), move || {
                spawn_local(async move {
                    // A failure signs the user out with the reason; nothing more to do here.
                    let _ = auth.refresh().await;
                });
            })
        } else {
            let until_expiry = std::time::Duration::from_secs(
                u64::try_from(session.expires_at() - now_seconds()).unwrap_or(0),
            );
            Timeout::new(timer_millis(until_expiry), move || {
                spawn_local(auth.forget_session(Some(SignOutReason::Expired)));
            })
        };
        inner.refresh_timer.replace(Some(timer));
        self.state.set(AuthState::SignedIn(session));
        Ok(())
    }

    /// After a renewal failed for a reason that may pass: shows why, and plans the next try,
    /// later with each failure in a row ([`session::retry_delay`]).
    fn retry_renewal_later(&self, error: AuthError) {
        let inner = self.inner();
        let failures = inner.failed_renewals.get().saturating_add(1);
        inner.failed_renewals.set(failures);
        let auth = *self;
        let timer = Timeout::new(timer_millis(session::retry_delay(failures)), move || {
            spawn_local(async move {
                // A failure plans the next try or signs out; nothing more to do here.
                let _ = auth.refresh().await;
            });
        });
        inner.refresh_timer.replace(Some(timer));
        self.renewal_problem.set(Some(error));
    }

    /// Inside the refresh lock: takes up tokens another tab of this session renewed, else
    /// re-reads the stored tokens, since another refresh may have renewed them while this one
    /// waited (`seen` is the access token the caller had), else refreshes and shares the result.
    async fn refresh_locked(self, seen: Option<AccessToken>) -> Result<(), AuthError> {
        if self.adopt_renewal_heard().await {
            return Ok(());
        }
        let stored = self.inner().tokens.load()?.ok_or(AuthError::NotSignedIn)?;
        let renewed_meanwhile = seen.as_ref() != Some(&stored.access_token)
            && self.access_token().as_ref() == Some(&stored.access_token);
        if renewed_meanwhile {
            return Ok(());
        }
        let refresh_token = stored
            .refresh_token
            .as_ref()
            .ok_or(AuthError::NoRefreshToken)?;
        let renewed = endpoints::refresh(&self.config.get_value(), refresh_token)
            .await
            .and_then(|response| response.into_renewal_of(&stored));
        let checked = match &renewed {
            Ok(tokens) => self.check_renewal(&stored, tokens.clone()).await,
            Err(error) => Err(error.clone()),
        };
        if !self.still_stored(&stored) {
            // Signed out (here or in another tab), or signed in anew, while the request was
            // out: the answer is not wanted, whatever it is.
            if let Ok(tokens) = renewed {
                self.revoke_unkept(&stored, tokens);
            }
            return Err(AuthError::NotSignedIn);
        }
        match checked {
            Ok(session) => {
                let tokens = session.tokens().clone();
                self.keep(session)?;
                self.share_renewal(tokens);
                Ok(())
            }
            // Another tab of this session may have rotated the refresh token just before this
            // tab got the lock, its message still on the way.
            Err(error) if is_invalid_grant(&error) && self.adopt_renewal_on_its_way().await => {
                Ok(())
            }
            Err(error) => {
                // Tokens that failed their checks are not kept, nor is a refresh token that
                // came with them.
                if let Ok(tokens) = renewed {
                    self.revoke_unkept(&stored, tokens);
                }
                Err(error)
            }
        }
    }

    /// Revokes (best effort) the refresh token a renewal that is not kept brought, if it is a
    /// new one (rotation): nobody else has it, and it would stay valid for its whole lifetime.
    fn revoke_unkept(&self, renewed_from: &StoredTokens, unkept: StoredTokens) {
        let Some(rotated) = unkept
            .refresh_token
            .filter(|token| Some(token) != renewed_from.refresh_token.as_ref())
        else {
            return;
        };
        let config = self.config.get_value();
        spawn_local(async move {
            if let Err(error) = endpoints::revoke(&config, &rotated).await {
                leptos::logging::warn!("could not revoke an unused refresh token: {error}");
            }
        });
    }

    /// Checks renewed tokens as a refresh's: signatures and claims, and the same `iss`, `sub`
    /// and `aud` as the tokens they renew.
    async fn check_renewal(
        &self,
        current: &StoredTokens,
        renewed: StoredTokens,
    ) -> Result<Session, AuthError> {
        let before =
            Identity::of_stored(&DecodedJwt::decode(current.id_token.secret(), "ID token")?)?;
        let session = self.verify(renewed, None).await?;
        claims::check_same_identity(&before, &session.id_claims.identity())?;
        Ok(session)
    }

    /// Hands renewed tokens to the tabs that share this session: with `session` storage, a tab
    /// opened from this one started with a copy of it. Memory is never shared, so nothing is
    /// sent then.
    fn share_renewal(&self, tokens: StoredTokens) {
        if self.config.with_value(|config| config.token_storage) != TokenStorage::Session {
            return;
        }
        if let Some(channel) = self.inner().channel.borrow().as_ref() {
            channel.announce(&TabMessage::Renewed(tokens));
        }
    }

    /// Another tab renewed its tokens. Newer tokens of this tab's session are noted at once,
    /// then taken up under the refresh lock; anything else is ignored.
    fn hear_renewal(self, theirs: StoredTokens) {
        let inner = self.inner();
        let Ok(Some(ours)) = inner.tokens.load() else {
            return;
        };
        let newest_heard = inner
            .renewed_elsewhere
            .borrow()
            .as_ref()
            .is_none_or(|noted| theirs.supersede(noted));
        if !theirs.supersede(&ours) || !newest_heard {
            return;
        }
        inner.renewed_elsewhere.replace(Some(theirs));
        let auth = self;
        spawn_local(async move {
            // Whether or not they were taken up, this tab's session carries on.
            let _ = tabs::with_lock(
                &auth.lock_name(),
                REFRESH_LOCK_WAIT_MS,
                auth.adopt_renewal_heard(),
            )
            .await;
        });
    }

    /// Inside the refresh lock: takes up the tokens noted from another tab if they still
    /// supersede this tab's and pass the checks of a refresh. Whether it did.
    async fn adopt_renewal_heard(self) -> bool {
        let inner = self.inner();
        let Some(theirs) = inner.renewed_elsewhere.take() else {
            return false;
        };
        let Ok(Some(ours)) = inner.tokens.load() else {
            return false;
        };
        if !theirs.supersede(&ours) {
            return false;
        }
        let adopted = match self.check_renewal(&ours, theirs).await {
            // The session ended or moved on while the tokens were checked: leave it be.
            Ok(_) if !self.still_stored(&ours) => return false,
            Ok(session) => self.keep(session),
            Err(error) => Err(error),
        };
        if let Err(error) = &adopted {
            leptos::logging::warn!("tokens renewed in another tab were not taken up: {error}");
        }
        adopted.is_ok()
    }

    /// Inside the refresh lock, after the refresh token was refused: waits a moment for the
    /// message of another tab of this session that retired it (only `session` storage shares
    /// sessions), and takes up its tokens. Whether it did.
    async fn adopt_renewal_on_its_way(self) -> bool {
        if self.config.with_value(|config| config.token_storage) != TokenStorage::Session {
            return false;
        }
        let deadline = js_sys::Date::now() + RENEWAL_MESSAGE_WAIT_MS;
        while js_sys::Date::now() < deadline {
            if self.adopt_renewal_heard().await {
                return true;
            }
            gloo_timers::future::TimeoutFuture::new(RENEWAL_MESSAGE_POLL_MS).await;
        }
        false
    }

    /// At start: takes up a session kept in `sessionStorage`, renewing it if it has expired.
    /// When that fails for a reason that may pass, the tokens are kept and renewing them is
    /// tried again later.
    async fn restore(self) {
        let stored = match self.inner().tokens.load() {
            Ok(Some(stored)) => stored,
            Ok(None) => return self.settle(None),
            Err(error) => return self.settle(Some(SignOutReason::RestoreFailed(error))),
        };
        let can_refresh = stored.refresh_token.is_some();
        let outcome = self.verify(stored, None).await;
        if !self
            .state
            .with_untracked(|state| matches!(state, AuthState::Initializing))
        {
            // A sign-in started meanwhile and owns the session now.
            return;
        }
        let result = match outcome {
            Ok(session) => self.keep(session),
            // A failed refresh signs out with its own reason, or plans the next try itself.
            Err(AuthError::Token(TokenError::Expired { .. })) if can_refresh => {
                match self.refresh().await {
                    // Kept, and the next try is planned.
                    Err(error) if !error.ends_session() => {
                        return self.settle(Some(SignOutReason::RestorePostponed(error)));
                    }
                    _ => Ok(()),
                }
            }
            Err(error) => Err(error),
        };
        match result {
            // Signed in, or signed out by the refresh with its reason, or nothing left to restore.
            Ok(()) => self.settle(None),
            Err(error) if error.ends_session() => {
                self.forget_session(Some(SignOutReason::RestoreFailed(error)))
                    .await;
            }
            // Not known to be bad (the issuer's keys could not be fetched...): kept for later.
            Err(error) => {
                if can_refresh {
                    self.retry_renewal_later(error.clone());
                }
                self.settle(Some(SignOutReason::RestorePostponed(error)));
            }
        }
    }

    /// Leaves `Initializing` for signed out, unless a sign-in has taken over meanwhile.
    fn settle(&self, reason: Option<SignOutReason>) {
        if self
            .state
            .with_untracked(|state| matches!(state, AuthState::Initializing))
        {
            self.state.set(AuthState::SignedOut(reason));
        }
    }

    /// Ends the session in this tab: revokes the refresh token (best effort), forgets the tokens
    /// and any pending sign-in, stops the refresh timer.
    async fn forget_session(self, reason: Option<SignOutReason>) {
        let inner = self.inner();
        inner.refresh_timer.replace(None);
        inner.failed_renewals.set(0);
        self.renewal_problem.set(None);
        let stored = inner.tokens.load().ok().flatten();
        // Forget first, so nothing uses the tokens while the revocation is under way.
        let forgotten = inner
            .tokens
            .clear()
            .and(storage::take_pending_sign_in().map(drop));
        self.state.set(AuthState::SignedOut(reason));
        if let Some(refresh_token) = stored.and_then(|tokens| tokens.refresh_token)
            && let Err(error) = endpoints::revoke(&self.config.get_value(), &refresh_token).await
        {
            leptos::logging::warn!("could not revoke the refresh token: {error}");
        }
        if let Err(error) = forgotten {
            self.state.set(AuthState::Failed(error));
        }
    }
}

/// How long a refresh waits for the refresh lock: longer than a refresh takes, short enough that
/// a frozen tab holding it cannot block renewing here for good.
const REFRESH_LOCK_WAIT_MS: u32 = 15_000;

/// How long a refresh whose refresh token was refused waits for another tab's renewal message.
const RENEWAL_MESSAGE_WAIT_MS: f64 = 3000.0;
/// How often it looks for that message meanwhile.
const RENEWAL_MESSAGE_POLL_MS: u32 = 50;

/// Whether the token endpoint refused the grant (a used, expired, rotated or revoked refresh
/// token).
fn is_invalid_grant(error: &AuthError) -> bool {
    matches!(error, AuthError::Refused { error, .. } if error == "invalid_grant")
}

/// A refresh lock not granted in time, or lost: may pass, so the session is kept.
fn lock_failure(error: tabs::LockError) -> AuthError {
    AuthError::Browser {
        action: "get the refresh lock",
        message: error.to_string(),
    }
}

/// Seconds since the epoch, from the browser's clock.
fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// A delay for `setTimeout`, which takes at most 2^31 - 1 milliseconds.
fn timer_millis(delay: std::time::Duration) -> u32 {
    u32::try_from(delay.as_millis()).map_or(i32::MAX as u32, |millis| millis.min(i32::MAX as u32))
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
