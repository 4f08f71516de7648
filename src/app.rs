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

/// The pages of the app and their paths (the callback and sign-out ones are registered in
/// devstack's config and the template as the app client's URLs), plus `/sign-in`, where a
/// protected page sends a signed-out visitor on their way to the hosted UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/`
    Home,
    /// `/callback`: the redirect URI.
    Callback,
    /// `/profile`: protected.
    Profile,
    /// `/api`: the API console, protected.
    ApiConsole,
    /// `/account`: Account security (authenticator, password, sign out everywhere), protected;
    /// linked only when config.json asks for `aws.cognito.signin.user.admin`.
    AccountSecurity,
    /// `/signed-out`: the sign-out URI.
    SignedOut,
    /// `/sign-in?return_to=...`: starts signing in, then comes back to `return_to`.
    SignIn,
}

impl Page {
    /// Every page.
    pub const ALL: [Page; 7] = [
        Page::Home,
        Page::Callback,
        Page::Profile,
        Page::ApiConsole,
        Page::AccountSecurity,
        Page::SignedOut,
        Page::SignIn,
    ];

    /// The pages linked from the header, in order (see [`Page::is_offered`]).
    pub const NAV: [Page; 4] = [
        Page::Home,
        Page::Profile,
        Page::ApiConsole,
        Page::AccountSecurity,
    ];

    /// Whether the app links to the page: Account security only when config.json's `scopes`
    /// ask for `aws.cognito.signin.user.admin`, which its calls to Cognito need.
    pub fn is_offered(self, config_scopes: &[String]) -> bool {
        self != Page::AccountSecurity || crate::idp::wire::scope_requested(config_scopes)
    }

    /// The path segment after the leading `/` (empty for home).
    pub const fn segment(self) -> &'static str {
        match self {
            Page::Home => "",
            Page::Callback => "callback",
            Page::Profile => "profile",
            Page::ApiConsole => "api",
            Page::AccountSecurity => "account",
            Page::SignedOut => "signed-out",
            Page::SignIn => "sign-in",
        }
    }

    /// The absolute path, e.g. `/profile`.
    pub fn path(self) -> String {
        format!("/{}", self.segment())
    }

    /// The name shown in navigation and titles.
    pub const fn title(self) -> &'static str {
        match self {
            Page::Home => "Home",
            Page::Callback => "Signing in",
            Page::Profile => "Profile",
            Page::ApiConsole => "API console",
            Page::AccountSecurity => "Account security",
            Page::SignedOut => "Signed out",
            Page::SignIn => "Sign in",
        }
    }

    /// The page at `path`, if any.
    pub fn from_path(path: &str) -> Option<Page> {
        let segment = path.strip_prefix('/')?.trim_end_matches('/');
        Page::ALL.into_iter().find(|page| page.segment() == segment)
    }

    /// The document title for the page at `path` (unknown paths are "Not found").
    pub fn document_title(path: &str) -> String {
        let name = Page::from_path(path).map_or("Not found", Page::title);
        format!("{name} · cognito-spa")
    }

    /// Whether a signed-out visitor is sent to sign in first.
    pub const fn is_protected(self) -> bool {
        matches!(
            self,
            Page::Profile | Page::ApiConsole | Page::AccountSecurity
        )
    }
}

/// The query parameter of `/sign-in` that carries the path to come back to.
pub const RETURN_TO: &str = "return_to";

/// `/sign-in?return_to=<path>`: where a protected page sends a signed-out visitor. The auth code
/// sanitises the path again before it is used, so nothing here can become an open redirect.
pub fn sign_in_path(return_to: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(RETURN_TO, return_to)
        .finish();
    format!("{}?{query}", Page::SignIn.path())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_matches_the_contract() {
        let table: Vec<(String, bool)> = Page::ALL
            .iter()
            .map(|page| (page.path(), page.is_protected()))
            .collect();
        assert_eq!(
            table,
            [
                ("/".to_owned(), false),
                ("/callback".to_owned(), false),
                ("/profile".to_owned(), true),
                ("/api".to_owned(), true),
                ("/account".to_owned(), true),
                ("/signed-out".to_owned(), false),
                ("/sign-in".to_owned(), false),
            ]
        );
    }

    #[test]
    fn the_navigation_links_pages_people_visit_on_purpose() {
        assert_eq!(
            Page::NAV,
            [
                Page::Home,
                Page::Profile,
                Page::ApiConsole,
                Page::AccountSecurity
            ]
        );
        assert!(!Page::NAV.contains(&Page::Callback));
    }

    #[test]
    fn account_security_is_offered_only_with_the_user_admin_scope() {
        let without = ["openid".to_owned(), "api/read".to_owned()];
        let with = [
            "openid".to_owned(),
            "aws.cognito.signin.user.admin".to_owned(),
        ];
        assert!(!Page::AccountSecurity.is_offered(&without));
        assert!(Page::AccountSecurity.is_offered(&with));
        assert!(Page::ApiConsole.is_offered(&without));
        assert_eq!(
            Page::document_title("/account"),
            "Account security · cognito-spa"
        );
    }

    #[test]
    fn pages_are_found_by_path_and_titled() {
        for page in Page::ALL {
            assert_eq!(Page::from_path(&page.path()), Some(page));
        }
        assert_eq!(Page::from_path("/profile/"), Some(Page::Profile));
        assert_eq!(Page::from_path("/nowhere"), None);
        assert_eq!(Page::from_path("profile"), None);
        assert_eq!(Page::document_title("/api"), "API console · cognito-spa");
        assert_eq!(Page::document_title("/"), "Home · cognito-spa");
        assert_eq!(Page::document_title("/x"), "Not found · cognito-spa");
    }

    #[test]
    fn sign_in_path_carries_the_return_path_encoded() {
        assert_eq!(sign_in_path("/profile"), "/sign-in?return_to=%2Fprofile");
        assert_eq!(
            sign_in_path("/api?tab=post&x=1"),
            "/sign-in?return_to=%2Fapi%3Ftab%3Dpost%26x%3D1"
        );
    }
}
