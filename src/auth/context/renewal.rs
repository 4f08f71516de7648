//! Renewing the tokens: the timer a kept session runs, refreshes serialized across tabs by the
//! refresh lock, renewals heard from other tabs of the same sign-in, and what becomes of a
//! renewal that finishes after the session moved on.

use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::decide::{self, Timer};
use super::{Auth, AuthState, SignOutReason, now_seconds};
use crate::auth::endpoints;
use crate::auth::error::AuthError;
use crate::auth::session::{self, Session, StoredTokens};
use crate::auth::tabs::{self, TabMessage};
use crate::auth::types::AccessToken;
use crate::config::TokenStorage;

/// How long a refresh waits for the refresh lock: longer than a refresh takes, short enough that
/// a frozen tab holding it cannot block renewing here for good.
pub(super) const REFRESH_LOCK_WAIT_MS: u32 = 15_000;

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
pub(super) fn lock_failure(error: tabs::LockError) -> AuthError {
    AuthError::Browser {
        action: "get the refresh lock",
        message: error.to_string(),
    }
}

/// A delay for `setTimeout`, which takes at most 2^31 - 1 milliseconds.
pub(super) fn timer_millis(delay: std::time::Duration) -> u32 {
    u32::try_from(delay.as_millis()).map_or(i32::MAX as u32, |millis| millis.min(i32::MAX as u32))
}

impl Auth {
    /// Keeps a checked session: stores it, publishes it, and plans its renewal.
    pub(super) fn keep(&self, session: Session) -> Result<(), AuthError> {
        let inner = self.inner();
        inner.tokens.save(session.tokens())?;
        inner.failed_renewals.set(0);
        self.renewal_problem.set(None);
        let auth = *self;
        let timer = match decide::timer_for(&session, now_seconds()) {
            Timer::Renew(delay) => self.renewal_timer(delay),
            Timer::Expire(delay) => Timeout::new(timer_millis(delay), move || {
                spawn_local(auth.forget_session(Some(SignOutReason::Expired)));
            }),
        };
        inner.refresh_timer.replace(Some(timer));
        self.state.set(AuthState::SignedIn(session));
        Ok(())
    }

    /// After a renewal failed for a reason that may pass: shows why, and plans the next try,
    /// later with each failure in a row ([`session::retry_delay`]).
    pub(super) fn retry_renewal_later(&self, error: AuthError) {
        let inner = self.inner();
        let failures = inner.failed_renewals.get().saturating_add(1);
        inner.failed_renewals.set(failures);
        let timer = self.renewal_timer(session::retry_delay(failures));
        inner.refresh_timer.replace(Some(timer));
        self.renewal_problem.set(Some(error));
    }

    /// A timer that renews the tokens after `delay`. A failure signs the user out with the
    /// reason, or plans the next try: nothing more to do here.
    fn renewal_timer(&self, delay: std::time::Duration) -> Timeout {
        let auth = *self;
        Timeout::new(timer_millis(delay), move || {
            spawn_local(async move {
                let _ = auth.refresh().await;
            });
        })
    }

    /// Inside the refresh lock: takes up tokens another tab of this session renewed, else
    /// re-reads the stored tokens, since another refresh may have renewed them while this one
    /// waited (`seen` is the access token the caller had), else refreshes and shares the result.
    pub(super) async fn refresh_locked(self, seen: Option<AccessToken>) -> Result<(), AuthError> {
        if self.adopt_renewal_heard().await {
            return Ok(());
        }
        let stored = self.inner().tokens.load()?.ok_or(AuthError::NotSignedIn)?;
        if decide::renewed_meanwhile(
            seen.as_ref(),
            self.access_token().as_ref(),
            &stored.access_token,
        ) {
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
    /// new one (rotation): nobody else has it, and it would stay valid for the rest of the
    /// sign-in's lifetime.
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
    pub(super) fn hear_renewal(self, theirs: StoredTokens) {
        let inner = self.inner();
        let Ok(Some(ours)) = inner.tokens.load() else {
            return;
        };
        if !decide::worth_noting(&theirs, &ours, inner.renewed_elsewhere.borrow().as_ref()) {
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
    pub(super) async fn adopt_renewal_heard(self) -> bool {
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
}
