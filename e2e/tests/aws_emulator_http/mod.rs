//! For `aws_emulator.rs`: the emulator's plain-HTTP port with the deployed host names in `Host`,
//! the API and the hosted UI's code flow with PKCE as the SPA's browser goes through them, without
//! a browser. (A directory with a `mod.rs`, so that Cargo does not take it for a test of its own.)

use anyhow::{Context, Result, ensure};
use e2e::aws::StackView;
use e2e::ministack::Ministack;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::hash::{BuildHasher, RandomState};
use url::Url;

use crate::USERNAME;

/// The emulator's plain-HTTP port with the deployed host names in `Host`, for the checks made
/// without a browser (the API and the hosted UI answer on either port).
pub(crate) struct ApiOverHttp {
    client: reqwest::Client,
    endpoint: Url,
    api_host: String,
    hosted_ui_host: String,
}

impl ApiOverHttp {
    pub(crate) fn new(emulator: &Ministack, stack: &StackView) -> Result<Self> {
        let host = |key: &str| -> Result<String> {
            Ok(Url::parse(stack.output(key)?)?
                .host_str()
                .context("no host")?
                .to_owned())
        };
        Ok(Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            endpoint: Url::parse(&emulator.endpoint_url())?,
            api_host: host("ApiBaseUrl")?,
            hosted_ui_host: host("HostedUiUrl")?,
        })
    }

    fn request(
        &self,
        method: reqwest::Method,
        host: &str,
        path: &str,
    ) -> Result<reqwest::RequestBuilder> {
        Ok(self
            .client
            .request(method, self.endpoint.join(path)?)
            .header(reqwest::header::HOST, host))
    }

    pub(crate) async fn api_get(&self, path: &str, token: Option<&str>) -> Result<(u16, String)> {
        let mut request = self.request(reqwest::Method::GET, &self.api_host, path)?;
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        Ok((response.status().as_u16(), response.text().await?))
    }

    /// The authorization code flow with PKCE, through the hosted UI's form, as the SPA's
    /// browser does it; returns the access token.
    pub(crate) async fn sign_in(&self, stack: &StackView, password: &str) -> Result<String> {
        let verifier = format!("{:064x}", RandomState::new().hash_one(password));
        let challenge = {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&verifier))
        };
        let client_id = stack.output("ClientId")?;
        let redirect = stack.output("RedirectUri")?;
        let mut authorize = Url::parse("http://authorize/oauth2/authorize")?;
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("scope", stack.output("Scopes")?)
            .append_pair("state", "state-from-the-test")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let path = format!(
            "/oauth2/authorize?{}",
            authorize.query().unwrap_or_default()
        );
        let page = self
            .request(reqwest::Method::GET, &self.hosted_ui_host, &path)?
            .send()
            .await?;
        ensure!(
            page.status() == 200,
            "the hosted UI answered {}",
            page.status()
        );
        let page = page.text().await?;
        let mut form = hidden_inputs(&page);
        ensure!(
            !form.is_empty(),
            "no sign-in form on the hosted UI:\n{page}"
        );
        form.push(("username".into(), USERNAME.into()));
        form.push(("password".into(), password.into()));
        let submitted = self
            .request(reqwest::Method::POST, &self.hosted_ui_host, "/login")?
            .form(&form)
            .send()
            .await?;
        let location = submitted
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .with_context(|| {
                format!(
                    "the sign-in answered {} without a redirect",
                    submitted.status()
                )
            })?;
        let back = Url::parse(&location)?;
        ensure!(
            back.as_str().starts_with(redirect),
            "redirected to {location}"
        );
        let code = back
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
            .context("no code on the redirect")?;
        let tokens: Value = self
            .request(reqwest::Method::POST, &self.hosted_ui_host, "/oauth2/token")?
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("code", code.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await?
            .json()
            .await?;
        tokens
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .context("the token endpoint issued no access token")
    }
}

/// `<input type="hidden" name="…" value="…">` pairs of a form (the hosted UI's own fields).
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(
            tag[start..end]
                .replace("&amp;", "&")
                .replace("&quot;", "\""),
        )
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}

#[test]
fn hidden_inputs_are_read_from_the_form() {
    let html = r#"<form><input type="hidden" name="client_id" value="abc">
        <input type="hidden" name="redirect_uri" value="https://x/callback?a=1&amp;b=2">
        <input type="text" id="username" name="username"></form>"#;
    assert_eq!(
        hidden_inputs(html),
        [
            ("client_id".to_owned(), "abc".to_owned()),
            (
                "redirect_uri".to_owned(),
                "https://x/callback?a=1&b=2".to_owned()
            ),
        ]
    );
}
