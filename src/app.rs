//! The application shell: loads `/config.json`, provides the auth context, and routes.

use leptos::{ev::MouseEvent, html, prelude::*};
use leptos_router::{
    StaticSegment,
    components::{A, ProtectedRoute, Route, Router, Routes},
    hooks::use_location,
};

use crate::auth::{provide_auth, use_auth};
use crate::components::time::provide_clock;
use crate::components::{ConfigErrorPage, PageSkeleton, SessionCorner, Task};
use crate::config::{self, AppConfig};
use crate::pages::{
    AccountSecurity, ApiConsole, Callback, Home, NotFound, Profile, SignIn, SignedOut,
};
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
    let auth = provide_auth(config);
    provide_clock();
    let main_ref = NodeRef::<html::Main>::new();
    // The router would treat `#main` as a navigation to `/`; move focus ourselves instead.
    let skip_to_main = move |event: MouseEvent| {
        event.prevent_default();
        if let Some(main) = main_ref.get() {
            _ = main.focus();
        }
    };
    // While signing out (or in), the protected pages wait instead of sending the visitor on.
    let signed_in = move || auth.signed_in();

    view! {
        <Router>
            <a class="skip-link" href="#main" on:click=skip_to_main>
                "Skip to content"
            </a>
            <DocumentTitle />
            <SiteHeader />
            <main id="main" class="site-main" tabindex="-1" node_ref=main_ref>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment(Page::Home.segment()) view=Home />
                    <Route path=StaticSegment(Page::Callback.segment()) view=Callback />
                    <Route path=StaticSegment(Page::SignedOut.segment()) view=SignedOut />
                    <Route path=StaticSegment(Page::SignIn.segment()) view=SignIn />
                    <ProtectedRoute
                        path=StaticSegment(Page::Profile.segment())
                        view=Profile
                        condition=signed_in
                        redirect_path=return_here
                        fallback=PageSkeleton
                    />
                    <ProtectedRoute
                        path=StaticSegment(Page::ApiConsole.segment())
                        view=ApiConsole
                        condition=signed_in
                        redirect_path=return_here
                        fallback=PageSkeleton
                    />
                    <ProtectedRoute
                        path=StaticSegment(Page::AccountSecurity.segment())
                        view=AccountSecurity
                        condition=signed_in
                        redirect_path=return_here
                        fallback=PageSkeleton
                    />
                </Routes>
            </main>
            <footer class="site-footer">
                "Signs in with the hosted UI (authorization code + PKCE); tokens are kept in this tab only."
            </footer>
        </Router>
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
    Effect::new(move || {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(&Page::document_title(&path.read()));
        }
    });
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
