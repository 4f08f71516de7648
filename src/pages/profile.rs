//! The profile page: attributes, groups, the decoded tokens, the session's expiry, userInfo.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::jwt::DecodedJwt;
use crate::auth::{AuthError, AuthState, Session, use_auth};
use crate::components::time::{Countdown, Moment, TimeKind};
use crate::components::{Facts, PageSkeleton, Problem, Task, handler, use_sign_out};
use crate::routes::Page;

/// Everything the app knows about the signed-in user, with Refresh now and Sign out.
#[component]
pub fn Profile() -> impl IntoView {
    let auth = use_auth();
    view! {
        <h1>"Your profile"</h1>
        <div class="stack">
            <SessionCard />
            {move || {
                auth.state()
                    .with(|state| match state {
                        AuthState::SignedIn(session) => {
                            view! { <SessionDetails session=session.clone() /> }.into_any()
                        }
                        _ => view! { <PageSkeleton /> }.into_any(),
                    })
            }}
            <UserInfoCard />
        </div>
    }
}

/// Expiry and the two buttons. Rendered once and updated in place, so a keyboard user keeps
/// focus on Refresh now while the tokens are replaced.
#[component]
fn SessionCard() -> impl IntoView {
    let auth = use_auth();
    let sign_out = use_sign_out();
    let refresh = Task::<Result<(), AuthError>>::new();
    let refreshing = move || refresh.running();
    // A failure of Refresh now, else one of the renewals the app does by itself that it will
    // try again (the session is kept meanwhile, but an expired token is not sent anywhere).
    let refresh_error = move || match (refresh.outcome(), auth.renewal_problem()) {
        (Some(Err(error)), _) => {
            Some(view! { <Problem title="Refreshing failed" detail=error.to_string() /> })
        }
        (_, Some(error)) => Some(view! {
            <Problem
                title="Renewing the tokens failed"
                detail=format!("{error}. The app tries again by itself.")
            />
        }),
        _ => None,
    };
    let expires_at = Signal::derive(move || {
        auth.state().with(|state| match state {
            AuthState::SignedIn(session) => session.expires_at(),
            _ => 0,
        })
    });

    view! {
        <section class="card" aria-labelledby="session-heading">
            <h2 id="session-heading">"Session"</h2>
            <p class="expiry">
                <span>"Tokens expire in"</span>
                <Countdown until=expires_at />
                <span class="muted">{move || view! { <Moment at=expires_at.get() kind=TimeKind::Either /> }}</span>
            </p>
            {refresh_error}
            <div class="actions">
                <button
                    class="button button-primary"
                    type="button"
                    // Not `disabled`: that would drop keyboard focus to the page.
                    aria-disabled=move || refreshing().to_string()
                    on:click=handler(move |_| refresh.run(async move { auth.refresh().await }))
                >
                    {move || if refreshing() { "Refreshing…" } else { "Refresh now" }}
                </button>
                {Page::AccountSecurity
                    .is_offered(&auth.config().scopes)
                    .then(|| {
                        view! {
                            <A href=Page::AccountSecurity.path() attr:class="button">
                                "Account security"
                            </A>
                        }
                    })}
                <button class="button" type="button" on:click=handler(move |_| sign_out())>
                    "Sign out"
                </button>
            </div>
        </section>
    }
}

/// Attributes, groups and the decoded tokens of one session.
#[component]
fn SessionDetails(session: Session) -> impl IntoView {
    let groups = session.id_claims.groups.clone();
    let scopes = session.access_claims.scopes.clone();
    view! {
        <section class="card" aria-labelledby="attributes-heading">
            <h2 id="attributes-heading">"Attributes and groups"</h2>
            <dl class="facts">
                <dt>"username"</dt>
                <dd>{session.username().to_owned()}</dd>
                <dt>"email"</dt>
                <dd>{session.id_claims.email.clone().unwrap_or_else(|| "(none)".into())}</dd>
                <dt>"sub"</dt>
                <dd class="mono">{session.id_claims.sub.clone()}</dd>
                <dt>"groups"</dt>
                <dd>
                    <Tags items=groups />
                </dd>
                <dt>"scopes"</dt>
                <dd>
                    <Tags items=scopes />
                </dd>
            </dl>
        </section>
        <div class="grid">
            <TokenCard title="ID token" slug="id-token" token=session.id_token.clone() />
            <TokenCard title="Access token" slug="access-token" token=session.access_token.clone() />
        </div>
    }
}

#[component]
fn Tags(items: Vec<String>) -> impl IntoView {
    if items.is_empty() {
        return view! { <span class="muted">"(none)"</span> }.into_any();
    }
    view! {
        <ul class="tags">
            {items.into_iter().map(|item| view! { <li class="tag">{item}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// A decoded token: its header and its claims. The token itself is never shown.
#[component]
fn TokenCard(title: &'static str, slug: &'static str, token: DecodedJwt) -> impl IntoView {
    let heading = format!("{slug}-heading");
    let labelled_by = heading.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading>{title}</h2>
            <h3>"Header"</h3>
            <Facts entries=token.header />
            <h3>"Claims"</h3>
            <Facts entries=token.claims />
        </section>
    }
}

/// What `/oauth2/userInfo` says about the user (its `sub` is checked against the ID token).
#[component]
fn UserInfoCard() -> impl IntoView {
    let auth = use_auth();
    let user_info = Task::started(async move { auth.user_info().await });
    view! {
        <section class="card user-info" aria-labelledby="userinfo-heading">
            <h2 id="userinfo-heading">"From " <code>"/oauth2/userInfo"</code></h2>
            {move || match user_info.outcome() {
                None => view! { <PageSkeleton /> }.into_any(),
                Some(Ok(info)) => view! { <Facts entries=info.attributes /> }.into_any(),
                Some(Err(error)) => {
                    view! { <Problem title="Could not read userInfo" detail=error.to_string() /> }
                        .into_any()
                }
            }}
        </section>
    }
}
