//! Shared by the Cognito-side integration tests: a stack on ephemeral ports, a browser-like
//! HTTP client (cookies kept, redirects not followed), PKCE and an independent JWT check.
#![allow(dead_code)] // each test file uses a different part
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

pub mod aws_tools;
pub mod idp;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use devstack::{Config, Listeners, Stack};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

pub mod hosted_ui;

pub const CLIENT_ID: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
pub const DEMO: (&str, &str) = ("demo", "Demo-Passw0rd!");
pub const ADMIN: (&str, &str) = ("admin", "Admin-Passw0rd!");

pub struct Harness {
    pub stack: Stack,
    /// Keeps cookies per origin like a browser; never follows redirects (tests read Location).
    pub browser: reqwest::Client,
    pub redirect_uri: String,
    pub logout_uri: String,
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// The answer of a request, read fully.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Url {
        let location = self
            .headers
            .get(LOCATION)
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
            .to_str()
            .unwrap();
        Url::parse(location)
            .or_else(|_| {
                Url::parse("http://relative.invalid/")
                    .unwrap()
                    .join(location)
            })
            .unwrap()
    }

    /// A query parameter of the Location header.
    pub fn location_param(&self, name: &str) -> Option<String> {
        self.location()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The value of the login form's hidden CSRF field.
    pub fn csrf_field(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field: {}", self.body))
            + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        self.body[start..end].to_owned()
    }

    /// The login form's `action`, HTML-unescaped.
    pub fn form_action(&self) -> String {
        let marker = "<form method=\"post\" action=\"";
        let start = self.body.find(marker).unwrap() + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        html_unescape(&self.body[start..end])
    }
}

fn html_unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub async fn read(response: reqwest::Response) -> Answer {
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

impl Harness {
    /// The embedded default, moved to the SPA listener's origin, then `edit`ed.
    pub async fn start(edit: impl FnOnce(&mut Config)) -> Self {
        let listeners = Listeners::loopback_ephemeral().await.unwrap();
        let mut config = Config::embedded_default();
        config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
        edit(&mut config);
        config.validate().unwrap();
        let redirect_uri = config.app_clients[0].callback_urls[0].clone();
        let logout_uri = config.app_clients[0].logout_urls[0].clone();
        let stack = devstack::spawn(config, listeners, None).await.unwrap();
        Self {
            stack,
            browser: Self::new_browser(),
            redirect_uri,
            logout_uri,
        }
    }

    pub fn new_browser() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn cognito(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.stack.cognito_url().as_str().trim_end_matches('/'),
            path_and_query
        )
    }

    pub fn api(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.stack.api_url().as_str().trim_end_matches('/'),
            path
        )
    }

    /// An authorize URL with every parameter the SPA sends; `extra` overrides or adds.
    pub fn authorize_url(&self, pkce: &Pkce, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", &self.redirect_uri),
            ("state", "state-123"),
            ("scope", "openid email profile api/read api/write"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("nonce", "nonce-456"),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| n != name);
            params.push((name, value));
        }
        let mut url = Url::parse(&self.cognito("/oauth2/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    pub async fn get(&self, url: &str) -> Answer {
        read(self.browser.get(url).send().await.unwrap()).await
    }

    /// GET /oauth2/authorize, expecting the redirect to the login page; returns the page.
    pub async fn open_login_page(&self, authorize_url: &str) -> Answer {
        let redirect = self.get(authorize_url).await;
        assert_eq!(redirect.status, StatusCode::FOUND, "{}", redirect.body);
        let login = redirect.location();
        assert_eq!(login.path(), "/login");
        let page = self
            .get(&self.cognito(&format!("/login?{}", login.query().unwrap())))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page
    }

    /// Posts the login form of `page` with these credentials.
    pub async fn submit_login(&self, page: &Answer, username: &str, password: &str) -> Answer {
        let csrf = page.csrf_field();
        let form = [
            ("_csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ];
        let response = self
            .browser
            .post(self.cognito(&page.form_action()))
            .form(&form)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// The whole browser part: authorize, login (skipped when this browser has a session),
    /// redirect with code. Returns the code.
    pub async fn sign_in(&self, pkce: &Pkce, user: (&str, &str)) -> String {
        let authorize_url = self.authorize_url(pkce, &[]);
        let first = self.get(&authorize_url).await;
        let answer = if first.location().path() == "/login" {
            let page = self.open_login_page(&authorize_url).await;
            self.submit_login(&page, user.0, user.1).await
        } else {
            first
        };
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
        assert_eq!(answer.location_param("state").as_deref(), Some("state-123"));
        answer.location_param("code").expect("a code")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = reqwest::Client::new()
            .post(self.cognito(path))
            .form(form)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Answer {
        self.post_form(
            "/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Answer {
        self.post_form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// Signs `user` in and exchanges the code: the token response.
    pub async fn tokens(&self, user: (&str, &str)) -> Value {
        let pkce = Pkce::new();
        let code = self.sign_in(&pkce, user).await;
        let answer = self.exchange(&code, &pkce.verifier).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()
    }

    pub async fn api_get(&self, path: &str, token: &str) -> Answer {
        let response = reqwest::Client::new()
            .get(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    pub async fn user_info(&self, token: &str) -> Answer {
        let response = reqwest::Client::new()
            .get(self.cognito("/oauth2/userInfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// The served JWKS.
    pub async fn jwks(&self) -> Value {
        let url = format!("{}/.well-known/jwks.json", self.stack.issuer());
        read(reqwest::get(url).await.unwrap()).await.json()
    }
}

/// Checks a JWT's RS256 signature against a JWKS with the `rsa` crate (independent of the
/// `jsonwebtoken` library the stand-in signs with) and returns (header, claims).
pub fn verify_jwt(token: &str, jwks: &Value) -> Result<(Value, Map<String, Value>), String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err(format!("{} parts", parts.len()));
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let header: Value = serde_json::from_slice(&decode(header)?).map_err(|e| e.to_string())?;
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .ok_or("unknown kid")?;
    let number = |name: &str| -> Result<BigUint, String> {
        Ok(BigUint::from_bytes_be(&decode(
            key[name].as_str().unwrap(),
        )?))
    };
    let public = RsaPublicKey::new(number("n")?, number("e")?).map_err(|e| e.to_string())?;
    let signature =
        Signature::try_from(decode(signature)?.as_slice()).map_err(|e| e.to_string())?;
    VerifyingKey::<Sha256>::new(public)
        .verify(format!("{}.{}", parts[0], payload).as_bytes(), &signature)
        .map_err(|_| "bad signature".to_owned())?;
    let claims = serde_json::from_slice(&decode(payload)?).map_err(|e| e.to_string())?;
    Ok((header, claims))
}

pub fn claim_names(claims: &Map<String, Value>) -> Vec<&str> {
    let mut names: Vec<&str> = claims.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}
