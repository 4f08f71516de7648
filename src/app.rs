//! The application shell: loads `/config.json`, provides the auth context, and routes.

use leptos::tachys::view::iterators::StaticVec;
use leptos::{ev::MouseEvent, html, prelude::*};
use leptos_router::{
    MatchNestedRoutes, StaticSegment,
    components::{A, Route, Router, Routes},
    hooks::{use_location, use_navigate},
};

use crate::auth::{provide_auth, use_auth};
use crate::components::time::provide_clock;
use crate::components::{ConfigErrorPage, PageSkeleton, SessionCorner, Task, effect, handler};
use crate::config::{self, AppConfig};
#[cfg(feature = "account-page")]
use crate::pages::AccountSecurity;
use crate::pages::{ApiConsole, Callback, Home, NotFound, Profile, SignIn, SignedOut};
use crate::routes::{Page, sign_in_path};

/// The root component: config first, then the shell, or a page saying what is wrong with it.
#[component]
pub fn App() -> impl IntoView {
    let config = Task::started(config::load());
    move || match config.outcome() {
        None => view! { <ShellSkeleton /> }.into_any(),
        Some(Ok(config)) => view! { <Shell config /> }.into_any(),
        Some(Err(error)) => view! { <ConfigErrorPage error /> }.into_any(),
    }
}

/// The header, main area and footer, laid out as they will be, while config.json loads.
#[component]
fn ShellSkeleton() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="site-header-inner">
                <span class="brand">"cognito-spa"</span>
            </div>
        </header>
        <main class="site-main" aria-busy="true">
            <p class="visually-hidden">"Loading the app configuration…"</p>
            <PageSkeleton />
        </main>
    }
}

#[component]
fn Shell(config: AppConfig) -> impl IntoView {
    provide_auth(config);
    provide_clock();
    let main_ref = NodeRef::<html::Main>::new();
    // The router would treat `#main` as a navigation to `/`; move focus ourselves instead.
    let skip_to_main = move |event: MouseEvent| {
        event.prevent_default();
        if let Some(main) = main_ref.get() {
            _ = main.focus();
        }
    };

    view! {
        <Router>
            <a class="skip-link" href="#main" on:click=handler(skip_to_main)>
                "Skip to content"
            </a>
            <DocumentTitle />
            <SiteHeader />
            <main id="main" class="site-main" tabindex="-1" node_ref=main_ref>
                <Routes fallback=NotFound children=ToChildren::to_children(routes) />
            </main>
            <footer class="site-footer">
                "Signs in with the hosted UI (authorization code + PKCE); tokens are kept in this tab only."
            </footer>
        </Router>
    }
}

/// Every page's route, all of one type (a page and its view function), so that the router's
/// matching and rendering code is built once rather than once per page.
fn routes() -> impl MatchNestedRoutes + Clone {
    let mut routes = Vec::new();
    for page in Page::ALL {
        if let Some(view) = page_view(page) {
            routes.push(
                view! { <Route path=StaticSegment(page.segment()) view=move || view() /> }
                    .into_inner(),
            );
        }
    }
    StaticVec::from(routes)
}

/// The view of `page`, protected pages behind [`Protected`]; `None` for a page this build
/// leaves out (Account security, without the `account-page` feature).
fn page_view(page: Page) -> Option<fn() -> AnyView> {
    Some(match page {
        Page::Home => || view! { <Home /> }.into_any(),
        Page::Callback => || view! { <Callback /> }.into_any(),
        Page::SignedOut => || view! { <SignedOut /> }.into_any(),
        Page::SignIn => || view! { <SignIn /> }.into_any(),
        Page::Profile => {
            || view! { <Protected page=|| view! { <Profile /> }.into_any() /> }.into_any()
        }
        Page::ApiConsole => {
            || view! { <Protected page=|| view! { <ApiConsole /> }.into_any() /> }.into_any()
        }
        #[cfg(feature = "account-page")]
        Page::AccountSecurity => {
            || view! { <Protected page=|| view! { <AccountSecurity /> }.into_any() /> }.into_any()
        }
        #[cfg(not(feature = "account-page"))]
        Page::AccountSecurity => return None,
    })
}

/// A protected page: shown to a signed-in user; while the session is not known yet (or is
/// signing out) the page waits under a skeleton; a signed-out visitor is sent to sign in. Drawn
/// anew only when that answer changes, not on every renewal of the tokens.
#[component]
fn Protected(page: fn() -> AnyView) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let signed_in = Memo::new(move |_| auth.signed_in());
    move || match signed_in.get() {
        Some(true) => page(),
        Some(false) => {
            navigate(&return_here(), Default::default());
            ().into_any()
        }
        None => view! { <PageSkeleton /> }.into_any(),
    }
}

/// Sends a signed-out visitor of a protected page to sign in, then back to the same address.
fn return_here() -> String {
    let location = use_location();
    let path = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    if search.is_empty() {
        sign_in_path(&path)
    } else {
        sign_in_path(&format!("{path}?{search}"))
    }
}

/// Keeps the tab's title on the current page, which is also what screen readers announce
/// after a client-side navigation.
#[component]
fn DocumentTitle() -> impl IntoView {
    let path = use_location().pathname;
    Effect::new(effect(move || {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(&Page::document_title(&path.read()));
        }
    }));
}

#[component]
fn SiteHeader() -> impl IntoView {
    let scopes = use_auth().config().scopes;
    let links = Page::NAV
        .into_iter()
        .filter(|page| page.is_offered(&scopes))
        .map(|page| {
            view! {
                <li>
                    <A href=page.path()>{page.title()}</A>
                </li>
            }
        })
        .collect_view();
    view! {
        <header class="site-header">
            <div class="site-header-inner">
                <a class="brand" href="/">
                    "cognito-spa"
                </a>
                <nav class="site-nav" aria-label="Main">
                    <ul>{links}</ul>
                </nav>
                <SessionCorner />
            </div>
        </header>
    }
}
