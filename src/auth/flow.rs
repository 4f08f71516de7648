//! The redirects of the authorization code flow: the authorize URL, the callback, the logout URL.

use serde::{Deserialize, Serialize};

use super::error::AuthError;
use super::types::{AuthorizationCode, Nonce, PkceCodeChallenge, PkceCodeVerifier, State};
use crate::config::AppConfig;
use crate::encoding;

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

/// A query string's or a form's parameters, in order, before the browser encodes them
/// ([`encoding::form`]) or after it decoded them ([`encoding::query_pairs`]).
pub type Parameters = Vec<(&'static str, String)>;

/// The parameters of `/oauth2/authorize` for the code flow with PKCE S256 (always sent: Cognito
/// treats PKCE as optional, so only the client can insist on it).
pub fn authorize_parameters(
    config: &AppConfig,
    state: &State,
    nonce: &Nonce,
    challenge: &PkceCodeChallenge,
) -> Parameters {
    vec![
        ("response_type", "code".into()),
        ("client_id", config.client_id.to_string()),
        ("redirect_uri", config.redirect_uri.to_string()),
        ("scope", config.scopes.join(" ")),
        ("state", state.secret().into()),
        ("nonce", nonce.secret().into()),
        ("code_challenge", challenge.to_string()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// `{hosted_ui_url}/oauth2/authorize?...` with [`authorize_parameters`].
pub fn authorize_url(
    config: &AppConfig,
    state: &State,
    nonce: &Nonce,
    challenge: &PkceCodeChallenge,
) -> String {
    let query = encoding::form(&authorize_parameters(config, state, nonce, challenge));
    format!("{}?{query}", config.hosted_ui_endpoint("/oauth2/authorize"))
}

/// The parameters of `/logout`: ends the hosted UI's own session and comes back to the
/// sign-out page.
pub fn logout_parameters(config: &AppConfig) -> Parameters {
    vec![
        ("client_id", config.client_id.to_string()),
        ("logout_uri", config.sign_out_uri.clone()),
    ]
}

/// `{hosted_ui_url}/logout?client_id=...&logout_uri=...` ([`logout_parameters`]).
pub fn logout_url(config: &AppConfig) -> String {
    let query = encoding::form(&logout_parameters(config));
    format!("{}?{query}", config.hosted_ui_endpoint("/logout"))
}

/// Checks a callback's query parameters (decoded by [`encoding::query_pairs`]) against the
/// sign-in this tab started and yields the code.
///
/// The state is checked before anything else: a missing, unknown (already used, or never
/// started here) or different state is refused without looking at `code` or `error`.
pub fn check_callback(
    query: &[(String, String)],
    pending: Option<&PendingSignIn>,
    now: i64,
) -> Result<AuthorizationCode, AuthError> {
    let state = query_value(query, "state")
        .map(State::new)
        .ok_or(AuthError::MissingState)?;
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
fn query_value(query: &[(String, String)], name: &str) -> Option<String> {
    query
        .iter()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.clone())
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

    /// A callback's query as the browser decodes it.
    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn as_map(parameters: Parameters) -> HashMap<&'static str, String> {
        parameters.into_iter().collect()
    }

    // How the browser encodes them into the URLs: tests/web_encoding.rs.
    #[test]
    fn authorize_has_every_parameter() {
        let parameters = authorize_parameters(
            &config(),
            &State::new("st"),
            &Nonce::new("no"),
            &PkceCodeChallenge::new("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        );
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
        let parameters = as_map(parameters);
        assert_eq!(parameters.len(), expected.len());
        for (key, value) in expected {
            assert_eq!(
                parameters.get(key).map(String::as_str),
                Some(value),
                "{key}"
            );
        }
    }

    #[test]
    fn logout_has_client_id_and_logout_uri() {
        let parameters = as_map(logout_parameters(&config()));
        assert_eq!(parameters.len(), 2);
        assert_eq!(parameters["client_id"], "3n4b5urk1ft4fl3mg5e62d9ado");
        assert_eq!(parameters["logout_uri"], "http://localhost:8080/signed-out");
    }

    #[test]
    fn a_good_callback_yields_the_code() {
        let code = check_callback(
            &query(&[("code", "abc+1"), ("state", "state-1")]),
            Some(&pending()),
            1010,
        )
        .unwrap();
        assert_eq!(code.secret(), "abc+1");
    }

    #[test]
    fn a_callback_without_state_is_refused_first() {
        assert_eq!(
            check_callback(&query(&[("code", "abc")]), Some(&pending()), 1010),
            Err(AuthError::MissingState)
        );
        assert_eq!(
            check_callback(&query(&[]), None, 1010),
            Err(AuthError::MissingState)
        );
        assert_eq!(
            check_callback(
                &query(&[("error", "access_denied"), ("state", "")]),
                Some(&pending()),
                1010
            ),
            Err(AuthError::MissingState)
        );
    }

    #[test]
    fn a_callback_with_no_pending_sign_in_is_refused() {
        // What a reload of a used callback looks like: the pending sign-in was taken already.
        assert_eq!(
            check_callback(&query(&[("code", "abc"), ("state", "state-1")]), None, 1010),
            Err(AuthError::UnknownState)
        );
        assert_eq!(
            check_callback(
                &query(&[("error", "access_denied"), ("state", "state-1")]),
                None,
                1010
            ),
            Err(AuthError::UnknownState),
            "state before error"
        );
    }

    #[test]
    fn a_callback_with_another_state_is_refused() {
        assert_eq!(
            check_callback(
                &query(&[("code", "abc"), ("state", "state-2")]),
                Some(&pending()),
                1010
            ),
            Err(AuthError::StateMismatch)
        );
    }

    #[test]
    fn a_stale_sign_in_is_refused() {
        assert!(matches!(
            check_callback(
                &query(&[("code", "abc"), ("state", "state-1")]),
                Some(&pending()),
                1000 + MAX_SIGN_IN_SECONDS + 1
            ),
            Err(AuthError::SignInExpired { max_minutes: 15 })
        ));
    }

    #[test]
    fn hosted_ui_errors_are_reported_with_their_description() {
        let error = check_callback(
            &query(&[
                ("error", "invalid_scope"),
                ("error_description", "scope api/delete is not allowed"),
                ("state", "state-1"),
            ]),
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
            check_callback(&query(&[("state", "state-1")]), Some(&pending()), 1010),
            Err(AuthError::MissingCode)
        );
    }
}
