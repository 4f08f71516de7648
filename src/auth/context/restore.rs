//! The session's start and end in this tab: restoring one kept in `sessionStorage`, and
//! forgetting it (revoking the refresh token on the way).

use leptos::prelude::*;

use super::decide::{self, RestoreStep};
use super::{Auth, AuthState, SignOutReason};
use crate::auth::{endpoints, storage};

impl Auth {
    /// At start: takes up a session kept in `sessionStorage`, renewing it if it has expired.
    /// When that fails for a reason that may pass, the tokens are kept and renewing them is
    /// tried again later.
    pub(super) async fn restore(self) {
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
        let error = match outcome {
            Ok(session) => match self.keep(session) {
                Ok(()) => return self.settle(None),
                // The tokens passed but could not be stored.
                Err(error) => error,
            },
            Err(error) => error,
        };
        match decide::restore_step(&error, can_refresh) {
            RestoreStep::RenewFirst => {
                // A failed refresh signs out with its own reason, or plans the next try itself.
                let renewed = self.refresh().await;
                self.settle(decide::after_restore_renewal(&renewed));
            }
            RestoreStep::Forget(reason) => self.forget_session(Some(reason)).await,
            RestoreStep::Postpone { retry, error } => {
                // Not known to be bad (the issuer's keys could not be fetched...): kept for later.
                if retry {
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
    pub(super) async fn forget_session(self, reason: Option<SignOutReason>) {
        self.end_session(AuthState::SignedOut(reason)).await;
    }

    /// Ends the session as [`Auth::forget_session`] does, leaving the state at `then`: signed
    /// out, or still [`AuthState::SigningOut`] on the way to the hosted UI's `/logout`.
    pub(super) async fn end_session(self, then: AuthState) {
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
        self.state.set(then);
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
