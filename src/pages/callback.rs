//! The redirect URI: the hosted UI sends the browser here with `code` and `state`, or `error`.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate},
};

use crate::auth::{AuthError, use_auth};
use crate::components::{Problem, Task, effect, handler};

/// Finishes signing in: shows progress, then goes to the page the sign-in started from; on
/// failure, says why in plain words and offers to try again.
#[component]
pub fn Callback() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    // Read once: the auth code clears the address bar as soon as it has the query.
    let query = use_location().search.get_untracked();
    let outcome = Task::started(async move { auth.complete_sign_in(&query).await });
    Effect::new(effect(move || {
        if let Some(Ok(return_path)) = outcome.outcome() {
            navigate(
                &return_path,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    }));

    let failed = move || outcome.with(|outcome| matches!(outcome, Some(Err(_))));
    view! {
        <h1>{move || if failed() { "Signing in did not work" } else { "Signing you in" }}</h1>
        {move || match outcome.outcome() {
            None | Some(Ok(_)) => {
                view! {
                    <p class="lead" role="status" aria-live="polite">
                        "Checking the answer from the sign-in page and the tokens it brought…"
                    </p>
                }
                    .into_any()
            }
            Some(Err(error)) => view! { <CallbackFailure error /> }.into_any(),
        }}
    }
}

#[component]
fn CallbackFailure(error: AuthError) -> impl IntoView {
    let auth = use_auth();
    let title = match &error {
        AuthError::HostedUi { .. } => "The sign-in page sent you back with an error",
        AuthError::Token(_) => "The tokens from the sign-in did not pass the checks",
        AuthError::MissingState
        | AuthError::UnknownState
        | AuthError::StateMismatch
        | AuthError::SignInExpired { .. } => "This sign-in answer cannot be used",
        _ => "Something went wrong on the way back",
    };
    view! {
        <Problem title detail=sentence(&error.to_string())>
            <button
                class="button button-primary"
                type="button"
                // Back to where the failed sign-in was going (sanitized again by sign_in).
                on:click=handler(move |_| auth.sign_in(&auth.callback_return_path()))
            >
                "Try again"
            </button>
        </Problem>
    }
}

/// The auth errors read as sentence fragments ("the ID token ..."); a page shows sentences.
/// Every one of them starts with an ASCII letter, so ASCII upper-casing is enough (and keeps
/// Unicode's case tables, about 20 KB, out of the wasm).
fn sentence(fragment: &str) -> String {
    let mut chars = fragment.trim().chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut text: String = std::iter::once(first.to_ascii_uppercase())
        .chain(chars)
        .collect();
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn fragments_become_sentences() {
        assert_eq!(sentence("the ID token expired"), "The ID token expired.");
        assert_eq!(sentence("Already done."), "Already done.");
        assert_eq!(sentence(" why? "), "Why?");
        assert_eq!(sentence(""), "");
    }
}
