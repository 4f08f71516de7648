//! Driving the hosted UI's account pages as a browser would: open a page of one authorize
//! request, fill in its form (the CSRF token and hidden fields come along), read what the page
//! says. Every answer's Location is kept, and the request log is captured, so a test can check
//! that no code, password or secret ever reached either.

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use devstack::Config;
use devstack::config::UserConfig;
use reqwest::StatusCode;
use serde_json::Value;

use super::{Answer, Harness, Pkce, html_unescape, read, verify_jwt};

/// The default pool's policy, as the pages list it and in the order they name broken rules.
pub const RULES: [&str; 5] = [
    "at least 12 characters",
    "an uppercase letter",
    "a lowercase letter",
    "a number",
    "a symbol such as ! @ # $ % ^ & *",
];
/// The login form's answer to a challenge session that ended.
pub const TOOK_TOO_LONG: &str = "Your sign-in took too long. Please sign in again.";
/// The login form's answer to a form without the right CSRF token.
pub const FORM_EXPIRED: &str = "This form has expired. Please sign in again.";

/// A `[[users]]` entry, as the configuration file would have it.
pub fn user(fields: Value) -> UserConfig {
    serde_json::from_value(fields).unwrap()
}

/// Adds `[[users]]` entries to the config.
pub fn with_users(config: &mut Config, users: Vec<Value>) {
    config.users.extend(users.into_iter().map(user));
}

/// A stack for hosted-UI tests: the embedded default config, `edit`ed, with this test
/// binary's log captured.
pub async fn start(edit: impl FnOnce(&mut Config)) -> Harness {
    capture_request_log();
    Harness::start(edit).await
}

/// Every Location header the [`Browser`]s of this test binary were answered.
static LOCATIONS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// One browser (its own cookies) in one authorize request.
pub struct Browser<'a> {
    pub harness: &'a Harness,
    pub pkce: Pkce,
    client: reqwest::Client,
}

impl<'a> Browser<'a> {
    pub fn new(harness: &'a Harness) -> Self {
        Self {
            harness,
            pkce: Pkce::new(),
            client: Harness::new_browser(),
        }
    }

    /// The authorize query every page carries.
    pub fn query(&self) -> String {
        let url = url::Url::parse(&self.harness.authorize_url(&self.pkce, &[])).unwrap();
        url.query().unwrap().to_owned()
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let answer = read(request.send().await.unwrap()).await;
        if let Some(location) = answer.header("location") {
            LOCATIONS.lock().unwrap().push(location.to_owned());
        }
        answer
    }

    /// `GET <path>?<authorize query>`.
    pub async fn open(&self, path: &str) -> Answer {
        let url = self.harness.cognito(&format!("{path}?{}", self.query()));
        self.send(self.client.get(url)).await
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Answer {
        self.send(self.client.get(url)).await
    }

    /// The login form, reached from `/oauth2/authorize` as the SPA sends the browser there.
    pub async fn login_page(&self) -> Answer {
        let authorize = self.get(&self.harness.authorize_url(&self.pkce, &[])).await;
        assert_eq!(authorize.status, StatusCode::FOUND, "{}", authorize.body);
        assert_eq!(authorize.location().path(), "/login");
        let page = self.open("/login").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(title(&page), "Sign in");
        page
    }

    /// Posts `fields` to `path_and_query` as they are (no CSRF token added).
    pub async fn post(&self, path_and_query: &str, fields: &[(&str, &str)]) -> Answer {
        let url = self.harness.cognito(path_and_query);
        self.send(self.client.post(url).form(fields)).await
    }

    /// Submits the page's (first) form with `fields`, its CSRF token and hidden fields.
    pub async fn submit(&self, page: &Answer, fields: &[(&str, &str)]) -> Answer {
        self.submit_to(page, &page.form_action(), fields).await
    }

    /// Submits the page's form to `path` (with the authorize query) instead: a second
    /// button's `formaction`.
    pub async fn submit_to(&self, page: &Answer, path: &str, fields: &[(&str, &str)]) -> Answer {
        let hidden = hidden_fields(page);
        let mut form: Vec<(&str, &str)> = hidden
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        form.extend_from_slice(fields);
        let action = if path.contains('?') {
            path.to_owned()
        } else {
            format!("{path}?{}", self.query())
        };
        self.post(&action, &form).await
    }

    /// Signs in on the login form; returns the answer.
    pub async fn sign_in(&self, username: &str, password: &str) -> Answer {
        let page = self.login_page().await;
        self.submit(&page, &[("username", username), ("password", password)])
            .await
    }

    /// The answer is the redirect to the callback with a code (and this request's state):
    /// exchanges it, checks the tokens name `username` and work with the API, and returns the
    /// ID token's claims.
    pub async fn signed_in_as(
        &self,
        answer: &Answer,
        username: &str,
    ) -> serde_json::Map<String, Value> {
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
        let location = answer.location();
        assert!(
            location.as_str().starts_with(&self.harness.redirect_uri),
            "{location}"
        );
        assert_eq!(answer.location_param("state").as_deref(), Some("state-123"));
        let code = answer.location_param("code").expect("a code");
        let tokens = self.harness.exchange(&code, &self.pkce.verifier).await;
        assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
        let tokens = tokens.json();
        let jwks = self.harness.jwks().await;
        let (_, claims) = verify_jwt(tokens["id_token"].as_str().unwrap(), &jwks).unwrap();
        assert_eq!(claims["cognito:username"], username);
        let hello = self
            .harness
            .api_get("/hello", tokens["access_token"].as_str().unwrap())
            .await;
        assert_eq!(hello.json()["message"], format!("Hello, {username}!"));
        claims
    }
}

impl Harness {
    /// The newest code mailed to `to`.
    pub fn latest_code(&self, to: &str) -> String {
        self.stack
            .mailbox()
            .into_iter()
            .find(|mail| mail.to == to)
            .unwrap_or_else(|| panic!("no mail to {to}"))
            .code
    }

    /// The authenticator's code for `secret` at the stack's time, `steps` steps of 30 s on.
    pub fn totp(&self, secret: &str, steps: u64) -> String {
        devstack::TotpSecret::from_base32(secret)
            .unwrap()
            .code_at(self.stack.clock().now_secs() + steps * 30)
    }
}

/// A six-digit code that the authenticator of `secret` does not show now, a step before or a
/// step after.
pub fn wrong_totp(harness: &Harness, secret: &str) -> String {
    let secret = devstack::TotpSecret::from_base32(secret).unwrap();
    let now = harness.stack.clock().now_secs();
    let valid: Vec<String> = [now - 30, now, now + 30, now + 60]
        .map(|at| secret.code_at(at))
        .to_vec();
    (0..)
        .map(|n| format!("{:06}", n * 111_111 % 1_000_000))
        .find(|code| !valid.contains(code))
        .unwrap()
}

/// Checks that no Location answered to a [`Browser`] so far, and no line of the request log,
/// holds any of `secrets`.
pub fn assert_nothing_leaked(secrets: &[&str]) {
    let locations = LOCATIONS.lock().unwrap();
    let log = request_log();
    assert!(
        log.contains("devstack::request_log"),
        "the request log was not captured"
    );
    for secret in secrets {
        assert!(secret.len() >= 6, "too short to look for: {secret:?}");
        for location in locations.iter() {
            assert!(
                !location.contains(secret),
                "{secret:?} is in Location {location}"
            );
        }
        assert!(!log.contains(secret), "{secret:?} is in the request log");
    }
}

/// The text of the first `<tag ...>` element after `marker`, unescaped.
fn element_text(body: &str, marker: &str, close: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    let end = start + body[start..].find(close)?;
    Some(html_unescape(&body[start..end]))
}

/// The page's `<h1>`.
pub fn title(page: &Answer) -> String {
    element_text(&page.body, "<h1>", "</h1>").unwrap_or_else(|| panic!("no title: {}", page.body))
}

/// The page's error message, if any.
pub fn error(page: &Answer) -> Option<String> {
    element_text(&page.body, "<p class=\"error\" role=\"alert\">", "</p>")
}

/// The page's notice, if any.
pub fn notice(page: &Answer) -> Option<String> {
    element_text(&page.body, "<p class=\"notice\" role=\"status\">", "</p>")
}

/// The page's first plain paragraph (after the title and any message): what it asks for.
pub fn intro(page: &Answer) -> String {
    element_text(&page.body, "<p>", "</p>").unwrap_or_else(|| panic!("no intro: {}", page.body))
}

/// The rules listed under a new-password field.
pub fn listed_rules(page: &Answer) -> Vec<String> {
    let list = element_text(
        &page.body,
        "<ul class=\"rules\" aria-label=\"The password needs\">",
        "</ul>",
    )
    .unwrap_or_else(|| panic!("no rules: {}", page.body));
    list.split("</li>")
        .filter_map(|item| item.strip_prefix("<li>"))
        .map(str::to_owned)
        .collect()
}

/// `name` and `value` of every hidden input of the page's first form, CSRF token first.
pub fn hidden_fields(page: &Answer) -> Vec<(String, String)> {
    let form_end = page.body.find("</form>").unwrap_or(page.body.len());
    let form = &page.body[..form_end];
    let marker = "<input type=\"hidden\" name=\"";
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(start) = rest.find(marker) {
        rest = &rest[start + marker.len()..];
        let name_end = rest.find('"').unwrap();
        let name = html_unescape(&rest[..name_end]);
        let value_start = rest.find("value=\"").unwrap() + "value=\"".len();
        let value_end = value_start + rest[value_start..].find('"').unwrap();
        fields.push((name, html_unescape(&rest[value_start..value_end])));
        rest = &rest[value_end..];
    }
    fields
}

/// The value of the page's hidden field `name`.
pub fn hidden(page: &Answer, name: &str) -> String {
    hidden_fields(page)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no hidden {name}: {}", page.body))
        .1
}

/// The form's fields without the CSRF token: for posting a form as a forger would.
pub fn without_csrf(page: &Answer) -> Vec<(String, String)> {
    hidden_fields(page)
        .into_iter()
        .filter(|(name, _)| name != "_csrf")
        .collect()
}

/// What the tracing subscriber of this test binary wrote: devstack's request log.
static REQUEST_LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        REQUEST_LOG
            .get_or_init(Mutex::default)
            .lock()
            .unwrap()
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of this process (all levels) to [`request_log`].
pub fn capture_request_log() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// Everything logged so far.
pub fn request_log() -> String {
    let log = REQUEST_LOG.get_or_init(Mutex::default).lock().unwrap();
    String::from_utf8_lossy(&log).into_owned()
}
