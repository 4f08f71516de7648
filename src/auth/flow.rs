//! The redirects of the authorization code flow: the authorize URL, the callback, the logout URL.

use serde::{Deserialize, Serialize};

use super::error::AuthError;
use super::types::{AuthorizationCode, Nonce, PkceCodeChallenge, PkceCodeVerifier, State};
use crate::config::AppConfig;

/// How long a started sign-in stays acceptable. Cognito's codes live 5 minutes; the user also
/// needs time to type a password.
pub const MAX_SIGN_IN_SECONDS: i64 = 15 * 60;

/// A sign-in this tab started, kept in `sessionStorage` until its callback arrives.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// The PKCE verifier for the code exchange.
    pub verifier: PkceCodeVerifier,
    /// The state sent to the hosted UI.
    pub state: State,
    /// The nonce sent to the hosted UI.
    pub nonce: Nonce,
    /// Where to go after signing in (already sanitised).
    pub return_path: String,
    /// When the sign-in started, seconds since the epoch.
    pub created_at: i64,
}

/// `{hosted_ui_url}/oauth2/authorize?...` for the code flow with PKCE S256 (always sent: Cognito
/// treats PKCE as optional, so only the client can insist on it).
pub fn authorize_url(
    config: &AppConfig,
    state: &State,
    nonce: &Nonce,
    challenge: &PkceCodeChallenge,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", config.client_id.as_str())
        .append_pair("redirect_uri", config.redirect_uri.as_str())
        .append_pair("scope", &config.scopes.join(" "))
        .append_pair("state", state.secret())
        .append_pair("nonce", nonce.secret())
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{}?{query}", config.hosted_ui_endpoint("/oauth2/authorize"))
}

/// `{hosted_ui_url}/logout?client_id=...&logout_uri=...`: ends the hosted UI's own session and
/// comes back to the sign-out page.
pub fn logout_url(config: &AppConfig) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", config.client_id.as_str())
        .append_pair("logout_uri", &config.sign_out_uri)
        .finish();
    format!("{}?{query}", config.hosted_ui_endpoint("/logout"))
}

/// The `state` of a callback query (`?code=...&state=...` or `code=...&state=...`), if any.
fn callback_state(query: &str) -> Option<State> {
    query_value(query, "state").map(State::new)
}

/// Checks a callback query against the sign-in this tab started and yields the code.
///
/// The state is checked before anything else: a missing, unknown (already used, or never
/// started here) or different state is refused without looking at `code` or `error`.
pub fn check_callback(
    query: &str,
    pending: Option<&PendingSignIn>,
    now: i64,
) -> Result<AuthorizationCode, AuthError> {
    let state = callback_state(query).ok_or(AuthError::MissingState)?;
    let pending = pending.ok_or(AuthError::UnknownState)?;
    if pending.state != state {
        return Err(AuthError::StateMismatch);
    }
    if now - pending.created_at > MAX_SIGN_IN_SECONDS {
        return Err(AuthError::SignInExpired {
            max_minutes: MAX_SIGN_IN_SECONDS / 60,
        });
    }
    if let Some(error) = query_value(query, "error") {
        return Err(AuthError::HostedUi {
            error,
            description: query_value(query, "error_description"),
        });
    }
    query_value(query, "code")
        .map(AuthorizationCode::new)
        .ok_or(AuthError::MissingCode)
}

/// The first non-empty value of `name`; a repeated parameter counts once, as servers do.
fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config() -> AppConfig {
        crate::config::tests::shipped()
    }

    fn pending() -> PendingSignIn {
        PendingSignIn {
            verifier: PkceCodeVerifier::new("v"),
            state: State::new("state-1"),
            nonce: Nonce::new("nonce-1"),
            return_path: "/profile".into(),
            created_at: 1000,
        }
    }

    fn params(url: &str) -> (String, HashMap<String, String>) {
        let (base, query) = url.split_once('?').unwrap();
        (
            base.to_owned(),
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    #[test]
    fn authorize_url_has_every_parameter() {
        let url = authorize_url(
            &config(),
            &State::new("st"),
            &Nonce::new("no"),
            &PkceCodeChallenge::new("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        );
        let (base, params) = params(&url);
        assert_eq!(base, "http://localhost:9229/oauth2/authorize");
        let expected = [
            ("response_type", "code"),
            ("client_id", "3n4b5urk1ft4fl3mg5e62d9ado"),
            ("redirect_uri", "http://localhost:8080/callback"),
            (
                "scope",
                "openid email profile api/read api/write aws.cognito.signin.user.admin",
            ),
            ("state", "st"),
            ("nonce", "no"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ];
        assert_eq!(params.len(), expected.len());
        for (key, value) in expected {
            assert_eq!(params.get(key).map(String::as_str), Some(value), "{key}");
        }
        assert!(
            url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback"),
            "{url}"
        );
    }

    #[test]
    fn logout_url_has_client_id_and_logout_uri() {
        let (base, params) = params(&logout_url(&config()));
        assert_eq!(base, "http://localhost:9229/logout");
        assert_eq!(params.len(), 2);
        assert_eq!(params["client_id"], "3n4b5urk1ft4fl3mg5e62d9ado");
        assert_eq!(params["logout_uri"], "http://localhost:8080/signed-out");
    }

    #[test]
    fn a_good_callback_yields_the_code() {
        let code = check_callback("?code=abc%2B1&state=state-1", Some(&pending()), 1010).unwrap();
        assert_eq!(code.secret(), "abc+1");
    }

    #[test]
    fn a_callback_without_state_is_refused_first() {
        assert_eq!(
            check_callback("?code=abc", Some(&pending()), 1010),
            Err(AuthError::MissingState)
        );
        assert_eq!(check_callback("", None, 1010), Err(AuthError::MissingState));
        assert_eq!(
            check_callback("?error=access_denied&state=", Some(&pending()), 1010),
            Err(AuthError::MissingState)
        );
    }

    #[test]
    fn a_callback_with_no_pending_sign_in_is_refused() {
        // What a reload of a used callback looks like: the pending sign-in was taken already.
        assert_eq!(
            check_callback("?code=abc&state=state-1", None, 1010),
            Err(AuthError::UnknownState)
        );
        assert_eq!(
            check_callback("?error=access_denied&state=state-1", None, 1010),
            Err(AuthError::UnknownState),
            "state before error"
        );
    }

    #[test]
    fn a_callback_with_another_state_is_refused() {
        assert_eq!(
            check_callback("?code=abc&state=state-2", Some(&pending()), 1010),
            Err(AuthError::StateMismatch)
        );
    }

    #[test]
    fn a_stale_sign_in_is_refused() {
        assert!(matches!(
            check_callback(
                "?code=abc&state=state-1",
                Some(&pending()),
                1000 + MAX_SIGN_IN_SECONDS + 1
            ),
            Err(AuthError::SignInExpired { max_minutes: 15 })
        ));
    }

    #[test]
    fn hosted_ui_errors_are_reported_with_their_description() {
        let error = check_callback(
            "?error=invalid_scope&error_description=scope+api%2Fdelete+is+not+allowed&state=state-1",
            Some(&pending()),
            1010,
        )
        .unwrap_err();
        assert_eq!(
            error,
            AuthError::HostedUi {
                error: "invalid_scope".into(),
                description: Some("scope api/delete is not allowed".into())
            }
        );
        assert!(
            error.to_string().contains("check `scopes` in config.json"),
            "{error}"
        );
    }

    #[test]
    fn a_callback_without_code_is_refused() {
        assert_eq!(
            check_callback("?state=state-1", Some(&pending()), 1010),
            Err(AuthError::MissingCode)
        );
    }
}
