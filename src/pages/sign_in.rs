//! `/sign-in?return_to=...`: where protected pages send a signed-out visitor. It starts the trip
//! to the hosted UI at once, and comes back to `return_to` afterwards.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};
use wasm_bindgen::JsCast;
use web_sys::{NavigationType, PerformanceNavigationTiming};

use crate::auth::{AuthState, sanitize_return_path, use_auth};
use crate::components::{Problem, effect, handler};
use crate::routes::{Page, RETURN_TO};

/// Sends the visitor to sign in, unless they just came back here with the Back button (then it
/// waits for a click, so Back is not a trap) or the session ended with a reason worth reading.
#[component]
pub fn SignIn() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let query = use_query_map();
    // Read when needed, not tracked: the query does not change while this page shows.
    let return_to = move || {
        sanitize_return_path(
            &query
                .read_untracked()
                .get(RETURN_TO)
                .unwrap_or_else(|| Page::Home.path().to_owned()),
        )
    };
    // Read untracked only: a signal of a type the app has anyway, used as a cell.
    let started = RwSignal::new(false);
    let start = move || {
        started.set(true);
        auth.sign_in(&return_to());
    };
    Effect::new(effect(move || match auth.state().get() {
        AuthState::SignedIn(_) => navigate(
            &return_to(),
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        ),
        AuthState::SignedOut(None) if !started.get_untracked() && !came_back_with_history() => {
            start();
        }
        _ => {}
    }));

    view! {
        <h1>"Sign in to continue"</h1>
        {move || match auth.state().get() {
            AuthState::SignedOut(Some(reason)) => {
                view! { <Problem title="You were signed out" detail=reason.to_string() /> }
                    .into_any()
            }
            AuthState::Failed(error) => {
                view! { <Problem title="Signing in did not work" detail=error.to_string() /> }
                    .into_any()
            }
            AuthState::SignedOut(None) => {
                view! {
                    <p class="lead">
                        "The page you asked for needs you to be signed in."
                    </p>
                }
                    .into_any()
            }
            AuthState::Initializing
            | AuthState::SigningIn
            | AuthState::SigningOut
            | AuthState::SignedIn(_) => {
                view! {
                    <p class="lead" role="status">
                        "The page you asked for needs you to be signed in. "
                        "Taking you to the sign-in page…"
                    </p>
                }
                    .into_any()
            }
        }}
        <div class="actions">
            <button class="button button-primary" type="button" on:click=handler(move |_| start())>
                "Continue to sign in"
            </button>
        </div>
    }
}

/// Whether this document was loaded by Back or Forward: the visitor left the hosted UI on
/// purpose, so sending them straight back there would trap them.
fn came_back_with_history() -> bool {
    web_sys::window()
        .and_then(|window| window.performance())
        .and_then(|performance| {
            performance
                .get_entries_by_type("navigation")
                .get(0)
                .dyn_into::<PerformanceNavigationTiming>()
                .ok()
        })
        .is_some_and(|entry| entry.type_() == NavigationType::BackForward)
}
