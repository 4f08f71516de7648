//! Small building blocks shared by the pages.

mod task;
pub mod time;

pub use task::Task;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::auth::{AuthState, use_auth};
use crate::config::ConfigError;
use crate::json::{Object, Value};
use crate::routes::Page;
use time::Moment;

/// An event handler, boxed: `on:click=handler(move |_| ...)`. Every handler of the app is then
/// one type, whose listener code is built once instead of once per closure.
pub fn handler<E: 'static>(handle: impl FnMut(E) + 'static) -> Box<dyn FnMut(E)> {
    Box::new(handle)
}

/// An effect's body, boxed: `Effect::new(effect(move || ...))`. Every effect of the app is then
/// one type, whose scheduling code is built once instead of once per closure.
pub fn effect(run: impl FnMut() + 'static) -> Box<dyn FnMut()> {
    Box::new(run)
}

/// A function that signs out: the auth context revokes the tokens and leaves for `/logout`,
/// and says [`AuthState::SigningOut`] meanwhile.
pub fn use_sign_out() -> impl Fn() + Copy + 'static {
    let auth = use_auth();
    move || auth.sign_out()
}

/// What the header shows on the right: a placeholder of the same size while the session is
/// not known, the user and Sign out when signed in, Sign in otherwise.
#[component]
pub fn SessionCorner() -> impl IntoView {
    let auth = use_auth();
    let sign_out = use_sign_out();
    let location = use_location();
    let sign_in = move |_| {
        // Come back to the page the button was pressed on, except pages that only make sense
        // once (the callback) or that say you are signed out.
        let path = location.pathname.get_untracked();
        let once = [Page::Callback, Page::SignedOut, Page::SignIn];
        let return_to = if once.into_iter().any(|page| page.path() == path) {
            Page::Home.path()
        } else {
            &path
        };
        auth.sign_in(return_to);
    };
    view! {
        <div class="session">
            // Drawn anew on every change of the state, in place when it looks the same (a
            // renewal), so that focus stays on Sign out.
            {move || auth.state().with(|state| match state {
                AuthState::SigningOut => view! { <span class="muted">"Signing out…"</span> }.into_any(),
                AuthState::Initializing | AuthState::SigningIn => {
                    view! {
                        <span class="skeleton skeleton-button" aria-hidden="true"></span>
                        <span class="visually-hidden">"Checking your session…"</span>
                    }
                        .into_any()
                }
                AuthState::SignedIn(session) => {
                    let name = session.username().to_owned();
                    view! {
                        <A href=Page::Profile.path() attr:class="session-user">
                            <span class="visually-hidden">"Signed in as "</span>
                            {name}
                        </A>
                        <button class="button" type="button" on:click=handler(move |_| sign_out())>
                            "Sign out"
                        </button>
                    }
                        .into_any()
                }
                AuthState::SignedOut(_) | AuthState::Failed(_) => {
                    view! {
                        <button class="button button-primary" type="button" on:click=handler(sign_in)>
                            "Sign in"
                        </button>
                    }
                        .into_any()
                }
            })}
        </div>
    }
}

/// Grey bars where a page's content will be, so nothing jumps when it arrives.
#[component]
pub fn PageSkeleton() -> impl IntoView {
    view! {
        <div class="stack" aria-hidden="true">
            <span class="skeleton skeleton-line skeleton-short"></span>
            <span class="skeleton skeleton-line"></span>
            <span class="skeleton skeleton-block"></span>
        </div>
    }
}

/// A notice that something went wrong, with its explanation and optional actions below.
#[component]
pub fn Problem(
    /// The headline.
    #[prop(into)]
    title: String,
    /// What went wrong, in words.
    #[prop(into)]
    detail: String,
    /// Buttons or links offered to recover.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="notice notice-problem" role="alert">
            <p class="notice-title">{title}</p>
            <p>{detail}</p>
            {children.map(|children| view! { <div class="actions">{children()}</div> })}
        </div>
    }
}

/// The page shown instead of the app when `/config.json` is missing or wrong.
#[component]
pub fn ConfigErrorPage(
    /// What is wrong with the configuration.
    error: ConfigError,
) -> impl IntoView {
    let field = match &error {
        ConfigError::Missing { field } | ConfigError::Invalid { field, .. } => {
            Some((*field).to_owned())
        }
        ConfigError::UnknownField { field } => Some(field.clone()),
        ConfigError::Unreachable(_)
        | ConfigError::Status(_)
        | ConfigError::WebPage
        | ConfigError::NotJson(_) => None,
    };
    view! {
        <main id="main" class="site-main stack">
            <h1>"The app is not configured correctly"</h1>
            <Problem title="config.json could not be used" detail=error.to_string() />
            {field
                .map(|field| {
                    view! {
                        <p>
                            "Fix the field " <code>{field}</code>
                            " in config.json (served next to index.html), then reload this page."
                        </p>
                    }
                })}
            <p class="muted">
                "config.json tells this app where the hosted UI, the token issuer and the API are; "
                "one build serves any stack, so each deployment writes its own."
            </p>
        </main>
    }
}

/// A JSON object as a definition list: token headers and claims, userInfo attributes. Unix
/// times (`exp`, `iat`, ...) also appear in readable form.
#[component]
pub fn Facts(
    /// The object to show, in its own order.
    entries: Object,
) -> impl IntoView {
    let rows = entries
        .into_iter()
        .map(|(name, value)| {
            let readable = value
                .as_i64()
                .zip(time::time_claim(&name))
                .map(|(at, kind)| view! { <span class="readable"><Moment at kind /></span> });
            view! {
                <dt>{name}</dt>
                <dd>
                    <span class="mono">{display_value(&value)}</span>
                    {readable}
                </dd>
            }
        })
        .collect_view();
    view! { <dl class="facts">{rows}</dl> }
}

/// A JSON value as text: strings without their quotes, anything else as compact JSON.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_display_without_string_quotes() {
        let display = |value: serde_json::Value| display_value(&value.into());
        assert_eq!(display(json!("demo")), "demo");
        assert_eq!(display(json!(1_795_317_120)), "1795317120");
        assert_eq!(display(json!(["admin", "users"])), r#"["admin","users"]"#);
        assert_eq!(display(json!(true)), "true");
    }
}
