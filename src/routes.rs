//! The SPA's routes: every page with its path, title and guard, and the `/sign-in` address a
//! protected page sends a signed-out visitor to. Apart from the shell (app.rs), so the pages and
//! components that link to each other depend on this list, not on the shell.

use crate::encoding;

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
    /// ask for `aws.cognito.signin.user.admin`, which its calls to Cognito need, and never in a
    /// build without the page (no `account-page` feature).
    pub fn is_offered(
        self,
        #[cfg_attr(
            not(feature = "account-page"),
            expect(unused_variables, reason = "only the page reads the scopes")
        )]
        config_scopes: &[String],
    ) -> bool {
        match self {
            #[cfg(feature = "account-page")]
            Page::AccountSecurity => crate::idp::wire::scope_requested(config_scopes),
            #[cfg(not(feature = "account-page"))]
            Page::AccountSecurity => false,
            _ => true,
        }
    }

    /// The absolute path, e.g. `/profile`.
    pub const fn path(self) -> &'static str {
        match self {
            Page::Home => "/",
            Page::Callback => "/callback",
            Page::Profile => "/profile",
            Page::ApiConsole => "/api",
            Page::AccountSecurity => "/account",
            Page::SignedOut => "/signed-out",
            Page::SignIn => "/sign-in",
        }
    }

    /// The path segment after the leading `/` (empty for home).
    pub fn segment(self) -> &'static str {
        &self.path()[1..]
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
    let query = encoding::form(&[(RETURN_TO, return_to.to_owned())]);
    [Page::SignIn.path(), "?", &query].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_matches_the_contract() {
        let table: Vec<(String, bool)> = Page::ALL
            .iter()
            .map(|page| (page.path().to_owned(), page.is_protected()))
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
    fn every_page_is_served_index_html_by_devstack_and_cloudfront() {
        for page in Page::ALL {
            let path = page.path();
            assert!(
                contract::is_spa_route(path),
                "{path} would be looked up as a file, not answered with the app"
            );
        }
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

    #[cfg(feature = "account-page")]
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
            assert_eq!(Page::from_path(page.path()), Some(page));
        }
        assert_eq!(Page::from_path("/profile/"), Some(Page::Profile));
        assert_eq!(Page::from_path("/nowhere"), None);
        assert_eq!(Page::from_path("profile"), None);
        assert_eq!(Page::document_title("/api"), "API console · cognito-spa");
        assert_eq!(Page::document_title("/"), "Home · cognito-spa");
        assert_eq!(Page::document_title("/x"), "Not found · cognito-spa");
    }

    // `sign_in_path`, which the browser encodes: tests/web_encoding.rs.
}
