//! The sign-out URI: where the hosted UI's `/logout` sends the browser back to.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::Page;
use crate::auth::{AuthState, use_auth};

/// "You are signed out", with the reason when the session ended on its own.
#[component]
pub fn SignedOut() -> impl IntoView {
    let auth = use_auth();
    let reason = move || {
        auth.state().with(|state| match state {
            AuthState::SignedOut(Some(reason)) => Some(reason.to_string()),
            AuthState::Failed(error) => Some(format!("Signing in failed: {error}.")),
            _ => None,
        })
    };
    let sign_in = move |_| auth.sign_in(&Page::Home.path());
    view! {
        <h1>"You are signed out"</h1>
        {move || reason().map(|reason| view! { <p class="notice">{reason}</p> })}
        <p class="lead">
            "Your tokens were revoked and removed from this tab, and the hosted UI's own session "
            "was ended, so signing in again asks for your password."
        </p>
        <div class="actions">
            <button class="button button-primary" type="button" on:click=sign_in>
                "Sign in again"
            </button>
            <A href=Page::Home.path() attr:class="button">
                "Home"
            </A>
        </div>
    }
}
