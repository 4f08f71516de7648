//! cognito-spa: a Leptos single-page app that signs users in through Amazon Cognito's
//! hosted UI (authorization code + PKCE) and calls an API Gateway HTTP API.

pub mod auth;
pub mod config;

use leptos::prelude::*;

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    view! { <main><h1>"cognito-spa"</h1></main> }
}
