//! The auth context's decisions, apart from the timers, storage and requests that carry them
//! out: whether a session ends, is kept, or is tried again later. Pure functions, tested on the
//! host.

use std::time::Duration;

use super::{AuthState, SignOutReason};
use crate::auth::error::{AuthError, TokenError};
use crate::auth::session::{Session, StoredTokens};
use crate::auth::types::AccessToken;

/// What a renewal's outcome means for the session.
#[derive(Debug, PartialEq)]
pub(super) enum AfterRenewal {
    /// Renewed, or there was nothing to renew (no session, or it ended meanwhile).
    Done,
    /// A definite refusal: the session ends with this reason.
    End(SignOutReason),
    /// A failure that may pass (network, 5xx, a lock wait): the session is kept, the problem
    /// shown, and renewing tried again later.
    RetryLater(AuthError),
}

/// Only a definite refusal ends a session ([`AuthError::ends_session`]).
pub(super) fn after_renewal(result: &Result<(), AuthError>) -> AfterRenewal {
    match result {
        Ok(()) | Err(AuthError::NotSignedIn) => AfterRenewal::Done,
        Err(error) if error.ends_session() => {
            AfterRenewal::End(SignOutReason::RefreshFailed(error.clone()))
        }
        Err(error) => AfterRenewal::RetryLater(error.clone()),
    }
}

/// What restoring a stored session does when its tokens did not pass their checks (or could
/// not be kept).
#[derive(Debug, PartialEq)]
pub(super) enum RestoreStep {
    /// They have expired but can be renewed: renew first.
    RenewFirst,
    /// They are bad for good: forget them, saying why.
    Forget(SignOutReason),
    /// They could not be checked for a reason that may pass (the issuer's keys unreachable):
    /// keep them for later, renewing again later when they can be renewed.
    Postpone {
        /// Whether there is a refresh token to try again with.
        retry: bool,
        /// What stopped the check.
        error: AuthError,
    },
}

/// The restore's decision on what stopped the stored tokens.
pub(super) fn restore_step(error: &AuthError, can_refresh: bool) -> RestoreStep {
    match error {
        AuthError::Token(TokenError::Expired { .. }) if can_refresh => RestoreStep::RenewFirst,
        error if error.ends_session() => {
            RestoreStep::Forget(SignOutReason::RestoreFailed(error.clone()))
        }
        error => RestoreStep::Postpone {
            retry: can_refresh,
            error: error.clone(),
        },
    }
}

/// The reason the restore settles with after renewing expired tokens: a failure that may pass
/// keeps them (and the renewal planned its next try); anything else has already settled the
/// session (signed in, or signed out with the renewal's reason).
pub(super) fn after_restore_renewal(result: &Result<(), AuthError>) -> Option<SignOutReason> {
    match result {
        Err(error) if !error.ends_session() => Some(SignOutReason::RestorePostponed(error.clone())),
        _ => None,
    }
}

/// The one timer a kept session runs.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// Renew the tokens after this long.
    Renew(Duration),
    /// No refresh token: end the session when the tokens expire, after this long.
    Expire(Duration),
}

/// The timer for a session kept at `now`.
pub(super) fn timer_for(session: &Session, now: i64) -> Timer {
    if session.refresh_token().is_some() {
        Timer::Renew(session.refresh_delay(now))
    } else {
        Timer::Expire(Duration::from_secs(
            u64::try_from(session.expires_at() - now).unwrap_or(0),
        ))
    }
}

/// Inside the refresh lock: whether another refresh renewed the tokens while this one waited.
/// `seen` is the access token the caller had, `current` this tab's now, `stored` the stored one.
pub(super) fn renewed_meanwhile(
    seen: Option<&AccessToken>,
    current: Option<&AccessToken>,
    stored: &AccessToken,
) -> bool {
    seen != Some(stored) && current == Some(stored)
}

/// Whether tokens another tab renewed are worth noting: newer tokens of this tab's sign-in, and
/// newer than any noted before.
pub(super) fn worth_noting(
    theirs: &StoredTokens,
    ours: &StoredTokens,
    noted: Option<&StoredTokens>,
) -> bool {
    theirs.supersede(ours) && noted.is_none_or(|noted| theirs.supersede(noted))
}

/// Whether a sign-out announced by another tab ends this tab's session: a signed-in one, or one
/// kept for a later try, unless this tab is signing out itself.
pub(super) fn ends_on_sign_out_elsewhere(state: &AuthState, has_stored_session: bool) -> bool {
    match state {
        AuthState::SigningOut => false,
        AuthState::SignedIn(_) => true,
        _ => has_stored_session,
    }
}

/// What to do when the browser shows this page again.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PageShow {
    /// Nothing.
    Stay,
    /// Restored from the back/forward cache while signing in: that trip to the hosted UI was
    /// abandoned, so offer a new one instead of waiting forever.
    OfferSignIn,
    /// Restored while signing out: that trip to /logout is over and the tokens were forgotten
    /// before it, so load the signed-out page afresh.
    ShowSignedOut,
}

/// The decision for a `pageshow` event.
pub(super) fn after_page_show(persisted: bool, state: &AuthState) -> PageShow {
    match state {
        _ if !persisted => PageShow::Stay,
        AuthState::SigningIn => PageShow::OfferSignIn,
        AuthState::SigningOut => PageShow::ShowSignedOut,
        _ => PageShow::Stay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::types::{IdToken, SessionId};

    fn refused(error: &str) -> AuthError {
        AuthError::Refused {
            endpoint: "the token endpoint",
            error: error.into(),
            description: None,
        }
    }

    fn unreachable() -> AuthError {
        AuthError::Unreachable {
            endpoint: "the token endpoint",
            message: "offline".into(),
        }
    }

    fn tokens(session: &str, renewals: u64) -> StoredTokens {
        StoredTokens {
            id_token: IdToken::new("id"),
            access_token: AccessToken::new(format!("access-{renewals}")),
            refresh_token: None,
            session_id: SessionId::new(session),
            renewals,
        }
    }

    #[test]
    fn only_a_definite_refusal_ends_the_session() {
        assert_eq!(after_renewal(&Ok(())), AfterRenewal::Done);
        assert_eq!(
            after_renewal(&Err(AuthError::NotSignedIn)),
            AfterRenewal::Done
        );
        assert_eq!(
            after_renewal(&Err(refused("invalid_grant"))),
            AfterRenewal::End(SignOutReason::RefreshFailed(refused("invalid_grant")))
        );
        assert_eq!(
            after_renewal(&Err(unreachable())),
            AfterRenewal::RetryLater(unreachable())
        );
        let server_error = AuthError::Status {
            endpoint: "the token endpoint",
            status: 503,
        };
        assert_eq!(
            after_renewal(&Err(server_error.clone())),
            AfterRenewal::RetryLater(server_error)
        );
    }

    #[test]
    fn restoring_renews_forgets_or_postpones() {
        let expired = AuthError::Token(TokenError::Expired {
            token: "ID token",
            exp: 1,
            now: 2,
        });
        assert_eq!(restore_step(&expired, true), RestoreStep::RenewFirst);
        assert_eq!(
            restore_step(&expired, false),
            RestoreStep::Forget(SignOutReason::RestoreFailed(expired.clone()))
        );
        assert_eq!(
            restore_step(&unreachable(), true),
            RestoreStep::Postpone {
                retry: true,
                error: unreachable()
            }
        );
        assert_eq!(
            restore_step(&unreachable(), false),
            RestoreStep::Postpone {
                retry: false,
                error: unreachable()
            }
        );
        assert_eq!(after_restore_renewal(&Ok(())), None);
        assert_eq!(after_restore_renewal(&Err(refused("invalid_grant"))), None);
        assert_eq!(
            after_restore_renewal(&Err(unreachable())),
            Some(SignOutReason::RestorePostponed(unreachable()))
        );
    }

    #[test]
    fn a_renewal_that_happened_while_waiting_is_recognised() {
        let (old, new) = (AccessToken::new("old"), AccessToken::new("new"));
        assert!(renewed_meanwhile(Some(&old), Some(&new), &new));
        assert!(
            !renewed_meanwhile(Some(&new), Some(&new), &new),
            "nothing new"
        );
        assert!(
            !renewed_meanwhile(Some(&old), Some(&old), &new),
            "stored by another tab, not taken up here"
        );
        assert!(renewed_meanwhile(None, Some(&new), &new));
    }

    #[test]
    fn only_newer_tokens_of_the_same_sign_in_are_noted() {
        let ours = tokens("a", 1);
        assert!(worth_noting(&tokens("a", 2), &ours, None));
        assert!(!worth_noting(&tokens("a", 1), &ours, None), "not newer");
        assert!(
            !worth_noting(&tokens("b", 5), &ours, None),
            "another sign-in"
        );
        assert!(!worth_noting(&tokens("a", 2), &ours, Some(&tokens("a", 3))));
        assert!(worth_noting(&tokens("a", 4), &ours, Some(&tokens("a", 3))));
    }

    #[test]
    fn a_sign_out_elsewhere_ends_sessions_here_unless_signing_out() {
        assert!(!ends_on_sign_out_elsewhere(&AuthState::SigningOut, true));
        assert!(ends_on_sign_out_elsewhere(
            &AuthState::SignedOut(None),
            true
        ));
        assert!(!ends_on_sign_out_elsewhere(
            &AuthState::SignedOut(None),
            false
        ));
        assert!(!ends_on_sign_out_elsewhere(&AuthState::Initializing, false));
    }

    #[test]
    fn a_page_back_from_the_cache_leaves_abandoned_trips() {
        assert_eq!(
            after_page_show(true, &AuthState::SigningIn),
            PageShow::OfferSignIn
        );
        assert_eq!(
            after_page_show(true, &AuthState::SigningOut),
            PageShow::ShowSignedOut
        );
        assert_eq!(
            after_page_show(false, &AuthState::SigningOut),
            PageShow::Stay
        );
        assert_eq!(
            after_page_show(true, &AuthState::SignedOut(None)),
            PageShow::Stay
        );
    }
}
