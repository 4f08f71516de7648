//! The Account security page: an authenticator app (TOTP), the password, signing out
//! everywhere, all through Cognito's own user API with the session's access token
//! ([`crate::idp`]). Offered only when config.json asks for `aws.cognito.signin.user.admin`.

mod authenticator;
mod password;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::auth::{AuthState, use_auth};
use crate::components::time::Moment;
use crate::components::{Problem, use_sign_out};
use crate::idp::explain::scope_missing;
use crate::idp::wire::{USER_ADMIN_SCOPE, scope_requested};
use crate::idp::{self, Request, Trouble};
use authenticator::Authenticator;
use password::ChangePassword;

/// The page: what it manages, or what to change when the app or the token cannot use it.
#[component]
pub fn AccountSecurity() -> impl IntoView {
    let auth = use_auth();
    let requested = scope_requested(&auth.config().scopes);
    // Whether this session's access token may call the user API; re-renders only if that changes.
    let scoped = Memo::new(move |_| {
        auth.state().with(|state| match state {
            AuthState::SignedIn(session) => session
                .access_claims
                .scopes
                .iter()
                .any(|scope| scope == USER_ADMIN_SCOPE),
            _ => false,
        })
    });
    let body = move || {
        match (requested, scoped.get()) {
        (false, _) => view! {
            <Problem
                title="Account security is not enabled for this app"
                detail=format!(
                    "The page calls Cognito's user API, which needs the scope {USER_ADMIN_SCOPE}. Add it to config.json's scopes and to the app client's allowed OAuth scopes, then sign in again.",
                )
            />
        }
        .into_any(),
        (true, false) => {
            let Trouble { summary, advice } = scope_missing();
            view! { <Problem title=summary detail=advice /> }.into_any()
        }
        (true, true) => view! {
            <div class="stack">
                <Authenticator />
                <ChangePassword />
                <SignOutEverywhere />
            </div>
        }
        .into_any(),
    }
    };
    view! {
        <h1>"Account security"</h1>
        <p class="lead">
            "These settings belong to your account in the user pool, so they apply wherever you "
            "sign in. The app sends them straight to Cognito with your access token."
        </p>
        {body}
    }
}

/// What a card shows after its last action: nothing yet, done (in words), or what went wrong.
pub(super) type Outcome = RwSignal<Option<Result<&'static str, Trouble>>>;

/// The outcome of a card's last action, as a notice.
pub(super) fn outcome_view(outcome: Outcome) -> impl IntoView {
    move || {
        outcome.get().map(|outcome| match outcome {
            Ok(done) => view! { <p class="notice notice-ok" role="status">{done}</p> }.into_any(),
            Err(Trouble { summary, advice }) => {
                view! { <Problem title=summary detail=advice /> }.into_any()
            }
        })
    }
}

/// Starts a card's action unless one is under way: busy, and the last outcome cleared.
pub(super) fn begin(busy: RwSignal<bool>, outcome: Outcome) -> bool {
    if busy.get_untracked() {
        return false;
    }
    busy.set(true);
    outcome.set(None);
    true
}

/// Ends a card's action with its outcome.
pub(super) fn finish(
    busy: RwSignal<bool>,
    outcome: Outcome,
    result: Result<&'static str, Trouble>,
) {
    outcome.set(Some(result));
    busy.set(false);
}

/// GlobalSignOut, then this tab's usual sign-out (revoke, `/logout`).
#[component]
fn SignOutEverywhere() -> impl IntoView {
    let auth = use_auth();
    let sign_out = use_sign_out();
    let busy = RwSignal::new(false);
    let outcome: Outcome = RwSignal::new(None);
    let expires_at = Memo::new(move |_| {
        auth.state().with(|state| match state {
            AuthState::SignedIn(session) => session.expires_at(),
            _ => 0,
        })
    });
    let press = move |_| {
        if !begin(busy, outcome) {
            return;
        }
        spawn_local(async move {
            match idp::call(auth, Request::GlobalSignOut).await {
                // Stays busy: the tab is on its way to /logout.
                Ok(_) => sign_out(),
                Err(trouble) => finish(busy, outcome, Err(trouble)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="everywhere-heading">
            <h2 id="everywhere-heading">"Sign out everywhere"</h2>
            <p>
                "Signs this account out of every browser and device, this one included: Cognito "
                "revokes every refresh token, so no session can renew its tokens any more, and "
                "its access tokens are refused by Cognito's user API."
            </p>
            <p class="muted">
                "Access tokens already issued still work with APIs that only check the token "
                "(this app's API among them) until they expire; this tab's expires "
                {move || view! { <Moment at=expires_at.get() /> }} "."
            </p>
            {outcome_view(outcome)}
            <div class="actions">
                <button
                    class="button button-primary"
                    type="button"
                    aria-disabled=move || busy.get().to_string()
                    on:click=press
                >
                    {move || if busy.get() { "Signing out everywhere…" } else { "Sign out everywhere" }}
                </button>
            </div>
        </section>
    }
}
