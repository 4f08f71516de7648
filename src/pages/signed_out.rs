//! The sign-out URI: where the hosted UI's `/logout` sends the browser back to.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::{AuthState, use_auth};
use crate::components::{Problem, handler};
use crate::routes::Page;

/// "You are signed out", with the reason when the session ended on its own.
#[component]
pub fn SignedOut() -> impl IntoView {
    let auth = use_auth();
    let sign_in = move |_| auth.sign_in(Page::Home.path());
    let signed_in = move || auth.signed_in() == Some(true);
    let body = move || {
        auth.state().with(|state| match state {
            AuthState::SignedIn(session) => view! {
                <p class="lead">
                    "You are still signed in as " {session.username().to_owned()}
                    " in this tab. Use Sign out at the top to end the session."
                </p>
            }
            .into_any(),
            AuthState::SignedOut(Some(reason)) => {
                view! { <Problem title="Your session ended" detail=reason.to_string() /> }
                    .into_any()
            }
            AuthState::Failed(error) => {
                view! { <Problem title="Signing in did not work" detail=error.to_string() /> }
                    .into_any()
            }
            AuthState::SignedOut(None)
            | AuthState::Initializing
            | AuthState::SigningIn
            | AuthState::SigningOut => view! {
                <p class="lead">
                    "Your tokens were removed from this tab and the app asked the sign-in service "
                    "to revoke them; the hosted UI's own session was ended, so signing in again "
                    "asks for your password. An access token already issued is accepted by the "
                    "API until it expires (an hour after it was issued, by default)."
                </p>
            }
            .into_any(),
        })
    };
    view! {
        <h1>{move || if signed_in() { "You are still signed in" } else { "You are signed out" }}</h1>
        {body}
        <div class="actions">
            <button class="button button-primary" type="button" on:click=handler(sign_in)>
                "Sign in again"
            </button>
            <A href=Page::Home.path() attr:class="button">
                "Home"
            </A>
        </div>
    }
}
