//! The authorization code flow as the load generator drives it: sign in once through the
//! managed login form (for its session cookie), then get codes from `/oauth2/authorize`, which
//! skips the form with that cookie, and exchange them at `/oauth2/token`.

use crate::load::expect_status;
use crate::stack::{SpaConfig, loopback};
use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use sha2::{Digest, Sha256};
use url::Url;

/// A public client of the stand-in, signed in as one user.
#[derive(Clone)]
pub struct CodeFlow {
    client: reqwest::Client,
    cognito: Url,
    spa: SpaConfig,
    /// `cognito=<session id>`.
    session_cookie: String,
}

/// One code with the verifier its challenge was made from.
pub struct Code {
    code: String,
    verifier: String,
}

/// A PKCE verifier (43..128 unreserved characters), distinct per `index`.
fn verifier(index: usize) -> String {
    format!("bench-code-verifier-{index:032}")
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The value of the cookie `name` set by `response`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next()?.split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().to_owned())
}

impl CodeFlow {
    /// Signs `username` in through the managed login form. `client` must not follow redirects.
    pub async fn sign_in(
        client: reqwest::Client,
        cognito: &Url,
        spa: SpaConfig,
        username: &str,
        password: &str,
    ) -> Result<Self> {
        let cognito = loopback(cognito)?;
        let mut flow = Self {
            client,
            cognito,
            spa,
            session_cookie: String::new(),
        };
        let login = flow.url_with_authorize_query("login", &verifier(0))?;
        let form = expect_status(flow.client.get(login.clone()), StatusCode::OK).await?;
        let csrf = set_cookie(&form, "XSRF-TOKEN")
            .context("the login form did not set its XSRF-TOKEN cookie")?;
        let submitted = expect_status(
            flow.client
                .post(login)
                .header(COOKIE, format!("XSRF-TOKEN={csrf}"))
                .form(&[
                    ("username", username),
                    ("password", password),
                    ("_csrf", csrf.as_str()),
                ]),
            StatusCode::FOUND,
        )
        .await
        .context("signing in through the login form")?;
        let session = set_cookie(&submitted, "cognito")
            .context("signing in did not set the `cognito` session cookie")?;
        flow.session_cookie = format!("cognito={session}");
        Ok(flow)
    }

    /// `<cognito>/<path>?response_type=code&...` for the SPA's client.
    fn url_with_authorize_query(&self, path: &str, verifier: &str) -> Result<Url> {
        let mut url = self.cognito.join(path)?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.spa.client_id)
            .append_pair("redirect_uri", &self.spa.redirect_uri)
            .append_pair("scope", &self.spa.scopes.join(" "))
            .append_pair("state", "bench-state")
            .append_pair("nonce", "bench-nonce")
            .append_pair("code_challenge", &challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }

    /// A fresh code from `/oauth2/authorize` (the session cookie skips the form).
    pub async fn code(&self, index: usize) -> Result<Code> {
        let verifier = verifier(index);
        let url = self.url_with_authorize_query("oauth2/authorize", &verifier)?;
        let response = expect_status(
            self.client
                .get(url)
                .header(COOKIE, self.session_cookie.as_str()),
            StatusCode::FOUND,
        )
        .await?;
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .context("authorize answered 302 without a Location")?;
        let location = Url::parse(location).context("authorize's Location is not a URL")?;
        let Some(code) = location
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
        else {
            // The query has `error` and `error_description`, no secrets.
            bail!(
                "authorize answered without a code: {}",
                location.query().unwrap_or_default()
            );
        };
        Ok(Code { code, verifier })
    }

    /// Exchanges `code` at the token endpoint; returns the access token.
    pub async fn exchange(&self, code: &Code) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Tokens {
            access_token: String,
        }
        let response = expect_status(
            self.client.post(self.cognito.join("oauth2/token")?).form(&[
                ("grant_type", "authorization_code"),
                ("client_id", &self.spa.client_id),
                ("code", &code.code),
                ("redirect_uri", &self.spa.redirect_uri),
                ("code_verifier", &code.verifier),
            ]),
            StatusCode::OK,
        )
        .await
        .context("exchanging a code")?;
        let tokens: Tokens = response.json().await.context("the token response")?;
        Ok(tokens.access_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_the_rfc_7636_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_valid_and_distinct() {
        for index in [0, 1, usize::MAX] {
            let verifier = verifier(index);
            assert!((43..=128).contains(&verifier.len()), "{verifier}");
            assert!(
                verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            );
        }
        assert_ne!(verifier(1), verifier(2));
    }
}
