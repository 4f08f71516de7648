//! The home page: what this is, and who you are once signed in.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::{AuthState, Session, use_auth};
use crate::components::time::{Countdown, Moment, TimeKind};
use crate::components::{PageSkeleton, Problem, handler};
use crate::routes::Page;

/// Signed out: what this app is and a Sign in button. Signed in: who you are and when the
/// session expires.
#[component]
pub fn Home() -> impl IntoView {
    let auth = use_auth();
    let state = auth.state();
    view! {
        {move || match state.get() {
            AuthState::Initializing | AuthState::SigningIn | AuthState::SigningOut => {
                view! {
                    <h1>"cognito-spa"</h1>
                    <PageSkeleton />
                }
                    .into_any()
            }
            AuthState::SignedIn(session) => view! { <Welcome session /> }.into_any(),
            AuthState::SignedOut(reason) => {
                view! { <Introduction reason=reason.map(|reason| reason.to_string()) /> }
                    .into_any()
            }
            AuthState::Failed(error) => {
                view! { <Introduction reason=Some(format!("Signing in failed: {error}.")) /> }
                    .into_any()
            }
        }}
    }
}

#[component]
fn Introduction(reason: Option<String>) -> impl IntoView {
    let auth = use_auth();
    view! {
        <h1>"Sign in with Cognito, then call a protected API"</h1>
        {reason.map(|reason| view! { <Problem title="You are signed out" detail=reason /> })}
        <p class="lead">
            "This single-page app, written in Rust and compiled to WebAssembly, signs you in "
            "through the Amazon Cognito hosted UI with the authorization code flow and PKCE, "
            "checks the tokens it gets back, and calls an API Gateway HTTP API with them."
        </p>
        <ul>
            <li>"No client secret: the app is a public client and proves itself with PKCE."</li>
            <li>"Tokens stay in this tab, never in localStorage, cookies or the address bar."</li>
            <li>"The API console shows what the API answers, and why when it refuses."</li>
        </ul>
        <div class="actions">
            <button
                class="button button-primary"
                type="button"
                on:click=handler(move |_| auth.sign_in(Page::Home.path()))
            >
                "Sign in"
            </button>
        </div>
    }
}

#[component]
fn Welcome(session: Session) -> impl IntoView {
    let expires_at = session.expires_at();
    let groups = session.id_claims.groups.clone();
    view! {
        <h1>"Hello, " {session.username().to_owned()}</h1>
        <div class="grid">
            <section class="card" aria-labelledby="who-heading">
                <h2 id="who-heading">"Who you are"</h2>
                <dl class="facts">
                    <dt>"username"</dt>
                    <dd>{session.username().to_owned()}</dd>
                    <dt>"email"</dt>
                    <dd>{session.id_claims.email.clone().unwrap_or_else(|| "(none)".into())}</dd>
                    <dt>"groups"</dt>
                    <dd>
                        {if groups.is_empty() {
                            view! { <span class="muted">"(none)"</span> }.into_any()
                        } else {
                            view! {
                                <ul class="tags">
                                    {groups
                                        .into_iter()
                                        .map(|group| view! { <li class="tag">{group}</li> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                    </dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="session-heading">
                <h2 id="session-heading">"Your session"</h2>
                <p class="expiry">
                    <span>"Tokens expire in"</span>
                    <Countdown until=expires_at />
                </p>
                <p class="muted">
                    <Moment at=expires_at kind=TimeKind::Either />
                    ". They are renewed shortly before, as long as the refresh token is valid."
                </p>
                <div class="actions">
                    <A href=Page::Profile.path() attr:class="button">
                        "See your tokens"
                    </A>
                    <A href=Page::ApiConsole.path() attr:class="button button-primary">
                        "Call the API"
                    </A>
                </div>
            </section>
        </div>
    }
}
