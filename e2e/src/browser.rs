//! One headless Chromium session and the checks the scenarios make in it.

use crate::driver::{ChromeDriver, find_on_path};
use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::wd::{WebDriverCompatibleCommand, WindowHandle};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::sync::{Semaphore, SemaphorePermit};
use url::Url;

/// How long any one wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);
/// Query and fragment parameters that must never stay in an address or in history.
const SECRET_PARAMS: [&str; 4] = ["code", "access_token", "id_token", "refresh_token"];

/// Browsers running at once in one test binary: the machine has two cores.
static BROWSER_SLOTS: Semaphore = Semaphore::const_new(2);

/// A headless Chromium driven over WebDriver, with its own chromedriver and a fresh profile.
///
/// Fields drop in order: the session, then chromedriver (killing anything left), then the profile.
pub struct Browser {
    client: Client,
    scenario: String,
    /// CSP reports read from the browser log so far (reading the log empties it).
    csp_violations: Mutex<Vec<String>>,
    _driver: ChromeDriver,
    _profile: TempDir,
    _slot: SemaphorePermit<'static>,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium. `scenario` names the screenshots.
    pub async fn launch(scenario: &str) -> Result<Self> {
        Self::launch_with_args(scenario, &[]).await
    }

    /// [`Browser::launch`] with more Chromium switches (e.g. `--host-resolver-rules=...`).
    pub async fn launch_with_args(scenario: &str, extra_args: &[String]) -> Result<Self> {
        let slot = BROWSER_SLOTS
            .acquire()
            .await
            .context("browser slots closed")?;
        let chromium = find_on_path("chromium")
            .context("chromium is not on PATH: install Debian's chromium (`cargo xtask setup`)")?;
        let profile = tempfile::Builder::new()
            .prefix("e2e-chromium-")
            .tempdir()
            .context("could not create a Chromium profile directory")?;
        let temp_dir = profile.path().join("tmp");
        std::fs::create_dir(&temp_dir)
            .context("could not create Chromium's temporary directory")?;
        let driver = ChromeDriver::start(&temp_dir)?;
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend_from_slice(extra_args);
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
            },
            // Console messages, where Chromium reports Content-Security-Policy violations.
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            bail!("capabilities must be a JSON object");
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(driver.url())
            .await
            .with_context(|| format!("could not open a Chromium session at {}", driver.url()))?;
        Ok(Self {
            client,
            scenario: scenario.to_owned(),
            csp_violations: Mutex::new(Vec::new()),
            _driver: driver,
            _profile: profile,
            _slot: slot,
        })
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the session cleanly (chromedriver is killed when `self` drops in any case).
    pub async fn close(self) -> Result<()> {
        self.client
            .clone()
            .close()
            .await
            .context("closing the browser")
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("navigating to {url}"))
    }

    pub async fn current_url(&self) -> Result<Url> {
        Ok(self.client.current_url().await?)
    }

    /// The visible text of the page (`document.body.innerText`).
    pub async fn page_text(&self) -> Result<String> {
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Polls `probe` until it yields a value, failing after [`DEADLINE`] with the current URL
    /// and page text, so a failure shows what the user would have seen.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, probe: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        self.wait_for_within(DEADLINE, what, probe).await
    }

    /// [`Browser::wait_for`] with another deadline, for what takes longer by design (a token
    /// that expires in a minute).
    pub async fn wait_for_within<T, F, Fut>(
        &self,
        timeout: Duration,
        what: &str,
        mut probe: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let deadline = Instant::now() + timeout;
        let mut last_error = None;
        loop {
            match probe().await {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {}
                Err(error) => last_error = Some(error),
            }
            if Instant::now() >= deadline {
                return Err(self.timed_out(timeout, what, last_error).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn timed_out(
        &self,
        timeout: Duration,
        what: &str,
        last_error: Option<anyhow::Error>,
    ) -> anyhow::Error {
        let url = self
            .current_url()
            .await
            .map_or_else(|e| format!("<unknown: {e}>"), |url| url.to_string());
        let text = self
            .page_text()
            .await
            .unwrap_or_else(|e| format!("<unreadable: {e}>"));
        let screenshot = self
            .screenshot("timeout")
            .await
            .map_or_else(|e| format!("<not saved: {e}>"), |p| p.display().to_string());
        let last_error = last_error.map_or_else(String::new, |e| format!("\nlast error: {e:#}"));
        anyhow!(
            "timed out after {timeout:?} waiting for {what}\ncurrent URL: {url}\nscreenshot: {screenshot}\npage text:\n{}{last_error}",
            truncate(&text, 3000)
        )
    }

    /// Waits until the page text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) -> Result<()> {
        self.wait_for(&format!("the text {needle:?}"), || async move {
            Ok(self.page_text().await?.contains(needle).then_some(()))
        })
        .await
    }

    /// Waits until the current URL satisfies `condition` and returns it.
    pub async fn wait_for_url(&self, what: &str, condition: impl Fn(&Url) -> bool) -> Result<Url> {
        let condition = &condition;
        self.wait_for(what, || async move {
            let url = self.current_url().await?;
            Ok(condition(&url).then_some(url))
        })
        .await
    }

    /// Waits until the current URL is on `origin` with this path.
    pub async fn wait_for_path(&self, origin: &Url, path: &str) -> Result<Url> {
        let origin = origin.origin();
        self.wait_for_url(
            &format!("the path {path} on {}", origin.ascii_serialization()),
            |url| url.origin() == origin && url.path() == path,
        )
        .await
    }

    /// Waits for a displayed element matching a CSS selector.
    pub async fn element(&self, css: &str) -> Result<Element> {
        self.wait_for(&format!("an element `{css}`"), || async move {
            let element = self.client.find(Locator::Css(css)).await?;
            Ok(element.is_displayed().await?.then_some(element))
        })
        .await
    }

    /// The visible texts of every element matching a CSS selector (none yet: empty).
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await? {
            texts.push(element.text().await?);
        }
        Ok(texts)
    }

    /// Waits for a displayed button whose text is `label`.
    pub async fn button(&self, label: &str) -> Result<Element> {
        if label.contains('\'') {
            bail!("button labels with a quote are not supported: {label:?}");
        }
        let xpath = format!("//button[normalize-space()='{label}']");
        let xpath = xpath.as_str();
        self.wait_for(&format!("a button {label:?}"), || async move {
            let element = self.client.find(Locator::XPath(xpath)).await?;
            Ok(element.is_displayed().await?.then_some(element))
        })
        .await
    }

    pub async fn click_button(&self, label: &str) -> Result<()> {
        self.button(label).await?.click().await?;
        Ok(())
    }

    /// Replaces the value of the input matching `css`.
    /// Presses Send on the API console's card for `slug` (e.g. `get-hello`) and returns what
    /// the card shows once the answer is in.
    pub async fn call_route(&self, slug: &str) -> Result<String> {
        self.element(&format!("button[aria-controls='{slug}-result']"))
            .await?
            .click()
            .await?;
        let result = format!("#{slug}-result");
        let result = result.as_str();
        self.wait_for(&format!("the answer to {slug}"), || async move {
            let card = self.client.find(Locator::Css(result)).await?;
            let busy = card.attr("aria-busy").await?;
            let text = card.text().await?;
            Ok((busy.as_deref() == Some("false") && !text.trim().is_empty()).then_some(text))
        })
        .await
    }

    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let input = self.element(css).await?;
        input.clear().await?;
        input.send_keys(value).await?;
        Ok(())
    }

    /// Signs in on the hosted UI's page (devstack's managed login), which must be showing or
    /// about to show: fills in the form and submits it.
    pub async fn sign_in_on_hosted_ui(&self, hosted_ui: &Url, user: crate::User) -> Result<()> {
        let origin = hosted_ui.origin();
        self.wait_for_url("the hosted UI's sign-in page", |url| url.origin() == origin)
            .await?;
        self.fill("#username", user.username).await?;
        self.fill("#password", user.password).await?;
        self.click_button("Sign in").await
    }

    /// Follows an in-app link (a client-side navigation: a reload would lose a session kept
    /// in memory).
    pub async fn follow_link(&self, href: &str) -> Result<()> {
        self.element(&format!("a[href='{href}']"))
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Opens `url` in a new tab (a fresh sessionStorage) and switches to it; returns its handle.
    pub async fn open_tab(&self, url: &str) -> Result<WindowHandle> {
        let tab = self.client.new_window(true).await?.handle;
        self.client.switch_to_window(tab.clone()).await?;
        self.goto(url).await?;
        Ok(tab)
    }

    /// Opens `url` with `window.open` from the current page, as a link opened in a new tab
    /// would: the new tab starts with a copy of this tab's sessionStorage. Switches to it.
    pub async fn open_tab_from_page(&self, url: &str) -> Result<WindowHandle> {
        let before = self.client.windows().await?;
        self.client
            .execute("window.open(arguments[0], '_blank');", vec![json!(url)])
            .await?;
        let tab = self
            .wait_for("the tab window.open made", || async {
                let now = self.client.windows().await?;
                Ok(now.into_iter().find(|handle| !before.contains(handle)))
            })
            .await?;
        self.client.switch_to_window(tab.clone()).await?;
        Ok(tab)
    }

    /// Makes `tab` the one the next commands act on.
    pub async fn switch_to(&self, tab: &WindowHandle) -> Result<()> {
        Ok(self.client.switch_to_window(tab.clone()).await?)
    }

    /// The handle of the current tab.
    pub async fn current_tab(&self) -> Result<WindowHandle> {
        Ok(self.client.window().await?)
    }

    /// Runs `script` (a function body) in the page and returns its result.
    pub async fn script(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// The keys in the current origin's localStorage.
    pub async fn local_storage_keys(&self) -> Result<Vec<String>> {
        string_list(
            self.script("return Object.keys(window.localStorage);")
                .await?,
        )
    }

    /// The keys in the current tab's sessionStorage for the current origin.
    pub async fn session_storage_keys(&self) -> Result<Vec<String>> {
        string_list(
            self.script("return Object.keys(window.sessionStorage);")
                .await?,
        )
    }

    /// Every value in sessionStorage, joined: for looking for a token without knowing the keys.
    pub async fn session_storage_text(&self) -> Result<String> {
        let text = self
            .script(
                "return Object.keys(sessionStorage).map(k => k + '=' + sessionStorage.getItem(k)).join('\\n');",
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Sends a Chrome DevTools Protocol command to the current tab (through chromedriver's
    /// `goog/cdp/execute`) and returns its result.
    pub async fn devtools(&self, command: &str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(ChromeCommand::cdp(command, params))
            .await
            .with_context(|| format!("DevTools command {command}"))
    }

    /// The URL of every entry in this tab's session history (Chrome DevTools
    /// `Page.getNavigationHistory`): what Back and Forward could bring back.
    pub async fn history_urls(&self) -> Result<Vec<String>> {
        let history = self
            .devtools("Page.getNavigationHistory", json!({}))
            .await
            .context("reading the navigation history")?;
        let entries = history
            .get("entries")
            .and_then(Value::as_array)
            .context("Page.getNavigationHistory answered without entries")?;
        Ok(entries
            .iter()
            .filter_map(|entry| entry.get("url").and_then(Value::as_str))
            .map(str::to_owned)
            .collect())
    }

    /// Reads the browser log and keeps its Content-Security-Policy reports; returns all found
    /// so far in this session.
    pub async fn csp_violations(&self) -> Result<Vec<String>> {
        let log = self
            .client
            .issue_cmd(ChromeCommand::browser_log())
            .await
            .context("reading the browser log")?;
        let found: Vec<String> = log
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.get("message").and_then(Value::as_str))
            .filter(|message| is_csp_report(message))
            .map(str::to_owned)
            .collect();
        let mut all = self
            .csp_violations
            .lock()
            .map_err(|_| anyhow!("CSP report list poisoned"))?;
        all.extend(found);
        Ok(all.clone())
    }

    /// The checks that hold on every page (scenario 8): no token or code in the address bar or in
    /// any history entry, nothing in localStorage, no Content-Security-Policy violation so far.
    pub async fn assert_clean(&self) -> Result<()> {
        let url = self.current_url().await?;
        if let Some(param) = secret_param(&url) {
            bail!("the address bar shows `{param}`: {url}");
        }
        for entry in self.history_urls().await? {
            if let Ok(parsed) = Url::parse(&entry)
                && let Some(param) = secret_param(&parsed)
            {
                bail!("a history entry keeps `{param}`: {entry}");
            }
        }
        if matches!(url.scheme(), "http" | "https") {
            let keys = self.local_storage_keys().await?;
            if !keys.is_empty() {
                bail!("localStorage must stay empty, but has {keys:?} on {url}");
            }
        }
        let violations = self.csp_violations().await?;
        if !violations.is_empty() {
            bail!(
                "Content-Security-Policy violations:\n{}",
                violations.join("\n")
            );
        }
        Ok(())
    }

    /// [`Browser::assert_clean`], then a screenshot of the page: what every scenario does on
    /// each page it shows.
    pub async fn assert_clean_and_screenshot(&self, page: &str) -> Result<()> {
        self.assert_clean().await?;
        self.screenshot(page).await?;
        Ok(())
    }

    /// Saves a screenshot as `<target>/e2e-screenshots/<scenario>-<page>.png`.
    pub async fn screenshot(&self, page: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let dir = crate::screenshot_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let path = dir.join(format!("{}-{page}.png", self.scenario));
        std::fs::write(&path, png)
            .with_context(|| format!("could not write {}", path.display()))?;
        Ok(path)
    }
}

/// The first parameter from [`SECRET_PARAMS`] in the URL's query or fragment.
pub fn secret_param(url: &Url) -> Option<&'static str> {
    let names: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .chain(
            url.fragment()
                .map(|fragment| {
                    url::form_urlencoded::parse(fragment.as_bytes())
                        .map(|(name, _)| name.into_owned())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        )
        .collect();
    SECRET_PARAMS
        .into_iter()
        .find(|secret| names.iter().any(|name| name == secret))
}

/// Chromium's console wording for a CSP violation ("Refused to ... because it violates the
/// following Content Security Policy directive ...").
fn is_csp_report(message: &str) -> bool {
    message.contains("Content Security Policy")
}

fn string_list(value: Value) -> Result<Vec<String>> {
    let Value::Array(items) = value else {
        bail!("expected a list of strings, got {value}");
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => Ok(text),
            other => Err(anyhow!("expected a string, got {other}")),
        })
        .collect()
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// chromedriver's own endpoints, beyond the W3C protocol.
#[derive(Debug)]
struct ChromeCommand {
    /// Below `session/<id>/`.
    path: &'static str,
    body: Value,
}

impl ChromeCommand {
    /// A Chrome DevTools Protocol command on the current tab.
    fn cdp(cmd: &str, params: Value) -> Self {
        Self {
            path: "goog/cdp/execute",
            body: json!({ "cmd": cmd, "params": params }),
        }
    }

    /// The console messages logged since the last read.
    fn browser_log() -> Self {
        Self {
            path: "se/log",
            body: json!({ "type": "browser" }),
        }
    }
}

impl WebDriverCompatibleCommand for ChromeCommand {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn finds_secrets_in_query_and_fragment() {
        assert_eq!(
            secret_param(&url("http://a/callback?code=x&state=y")),
            Some("code")
        );
        assert_eq!(
            secret_param(&url("http://a/#access_token=x")),
            Some("access_token")
        );
        assert_eq!(
            secret_param(&url("http://a/?x=1#id_token=x")),
            Some("id_token")
        );
    }

    #[test]
    fn a_code_challenge_is_not_a_code() {
        let authorize = url(
            "http://a/oauth2/authorize?response_type=code&code_challenge=abc&code_challenge_method=S256&state=s",
        );
        assert_eq!(secret_param(&authorize), None);
        assert_eq!(secret_param(&url("http://a/profile")), None);
    }

    #[test]
    fn recognises_chromium_csp_reports() {
        assert!(is_csp_report(
            "http://127.0.0.1:1/ - Refused to execute inline script because it violates the following Content Security Policy directive: \"script-src 'self'\"."
        ));
        assert!(!is_csp_report(
            "http://127.0.0.1:1/x - Failed to load resource: 404"
        ));
    }
}
