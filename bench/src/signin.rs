//! Sign-in as the user feels it, in headless Chromium (the e2e crate's harness): from the
//! navigation start of the callback document to the signed-in view, the requests the callback
//! document made until then, and the CORS preflights per API call once the cache is warm.

use crate::stack::Devstack;
use anyhow::{Context, Result};
use e2e::{Browser, DEMO};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The signed-in view: the address has left `/callback` and the header shows the user.
pub const SIGNED_IN_SELECTOR: &str = "a.session-user";

/// Runs in every new document of the tab before the page's own scripts (Chrome DevTools
/// `Page.addScriptToEvaluateOnNewDocument`, which the page's CSP does not apply to). On the
/// callback document, a MutationObserver notes `performance.now()` (milliseconds since that
/// document's navigation start) in the microtask after the DOM change that shows the signed-in
/// view, before it is painted: the moment comes from what the page shows, so the app carries no
/// code for the benchmark.
const OBSERVER_SCRIPT: &str = r#"
(() => {
  if (location.pathname !== '/callback') return;
  const signedIn = () =>
    location.pathname !== '/callback' && document.querySelector('SELECTOR') !== null;
  const observer = new MutationObserver(() => {
    if (window.__benchSignedIn === undefined && signedIn()) {
      window.__benchSignedIn = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
})();
"#;

/// Read once the signed-in moment is noted: the timing and the requests up to that moment.
const READ_SCRIPT: &str = r#"
const signedIn = window.__benchSignedIn;
if (signedIn === undefined) return null;
const nav = performance.getEntriesByType('navigation')[0];
const resources = performance.getEntriesByType('resource')
  .filter(entry => entry.startTime <= signedIn)
  .map(entry => ({ url: entry.name }));
return {
  signed_in_ms: signedIn,
  response_end_ms: nav ? nav.responseEnd : null,
  resources,
};
"#;

/// The callback document's figures from one sign-in.
#[derive(Debug, Clone, Deserialize)]
pub struct SignInSample {
    /// Navigation start to the signed-in view.
    pub signed_in_ms: f64,
    /// Navigation start to the end of the callback document's response.
    pub response_end_ms: Option<f64>,
    /// Resource Timing entries started before the signed-in view.
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    pub url: String,
}

impl SignInSample {
    /// The navigation itself plus the resources the document fetched.
    pub fn requests(&self) -> usize {
        1 + self.resources.len()
    }
}

/// How the browser got to the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// No managed-login session: the form, the password check, then the callback.
    Form,
    /// A managed-login session cookie: authorize redirects straight back with a code.
    Session,
}

/// Preflights the API listener saw.
#[derive(Debug, Clone, Serialize)]
pub struct Preflights {
    /// API calls made from the API console with a cold preflight cache.
    pub cold_calls: usize,
    pub cold_preflights: usize,
    /// API calls made afterwards.
    pub warm_calls: usize,
    pub warm_preflights: usize,
}

pub struct SignInBench<'a> {
    browser: Browser,
    stack: &'a mut Devstack,
}

impl<'a> SignInBench<'a> {
    pub async fn start(stack: &'a mut Devstack) -> Result<Self> {
        let browser = Browser::launch("bench-sign-in").await?;
        let source = OBSERVER_SCRIPT.replace("SELECTOR", SIGNED_IN_SELECTOR);
        browser
            .devtools(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": source }),
            )
            .await
            .context("installing the signed-in observer")?;
        Ok(Self { browser, stack })
    }

    /// One sign-in, starting from a protected page (which sends the visitor to sign in).
    pub async fn sign_in(&self, path: Path) -> Result<SignInSample> {
        let spa = &self.stack.spa_url;
        if path == Path::Form {
            // Cookies are per origin in WebDriver: forget the managed-login session there.
            self.browser
                .goto(self.stack.cognito_url.join("oauth2/userInfo")?.as_str())
                .await?;
            self.browser.client().delete_all_cookies().await?;
        }
        // A new document: the SPA keeps tokens in memory, so it starts signed out.
        self.browser.goto(spa.join("profile")?.as_str()).await?;
        if path == Path::Form {
            self.browser
                .sign_in_on_hosted_ui(&self.stack.cognito_url, DEMO)
                .await?;
        }
        let sample: SignInSample = self
            .browser
            .wait_for("the signed-in view after the callback", || async {
                let value = self.browser.script(READ_SCRIPT).await?;
                if value.is_null() {
                    return Ok(None);
                }
                Ok(Some(serde_json::from_value(value)?))
            })
            .await?;
        Ok(sample)
    }

    /// From the signed-in profile page, opens the API console and sends every protected GET and
    /// the POST once (cold), then `rounds` more times (warm); counts the OPTIONS requests the API
    /// listener logged in each phase.
    pub async fn preflights(&mut self, rounds: usize) -> Result<Preflights> {
        const BUTTONS: [(&str, &str, &str); 3] = [
            ("get-hello-result", "GET", "/hello"),
            ("get-echo-result", "GET", "/echo"),
            ("post-echo-result", "POST", "/echo"),
        ];
        let http = reqwest::Client::builder().no_proxy().build()?;
        // A click on the header link: a client-side navigation that keeps the in-memory tokens.
        self.browser
            .follow_link("/api")
            .await
            .context("opening the API console")?;
        let before = self.stack.sync_log(&http).await?;
        for (result_id, method, path) in BUTTONS {
            self.call(result_id, method, path).await?;
        }
        let cold_end = self.stack.sync_log(&http).await?;
        for _ in 0..rounds {
            for (result_id, method, path) in BUTTONS {
                self.call(result_id, method, path).await?;
            }
        }
        let warm_end = self.stack.sync_log(&http).await?;
        let logged = self.stack.logged();
        let options = |range: std::ops::Range<usize>| {
            logged[range]
                .iter()
                .filter(|r| r.service == "api" && r.method == "OPTIONS")
                .count()
        };
        Ok(Preflights {
            cold_calls: BUTTONS.len(),
            cold_preflights: options(before..cold_end),
            warm_calls: BUTTONS.len() * rounds,
            warm_preflights: options(cold_end..warm_end),
        })
    }

    /// Clicks the console's Send button for one route and waits until the API answered it.
    async fn call(&mut self, result_id: &str, method: &str, path: &str) -> Result<()> {
        let answered = |logged: &[crate::stack::LoggedRequest]| {
            logged
                .iter()
                .filter(|r| r.service == "api" && r.method == method && r.path == path)
                .count()
        };
        let before = answered(&self.stack.logged());
        let click = format!(
            "const button = document.querySelector('button[aria-controls=\"{result_id}\"]');
             if (!button || button.disabled) return false;
             button.click();
             return true;"
        );
        self.browser
            .wait_for(&format!("the Send button of {method} {path}"), || async {
                Ok(self
                    .browser
                    .script(&click)
                    .await?
                    .as_bool()
                    .filter(|&clicked| clicked))
            })
            .await?;
        self.stack
            .wait_until(&format!("the answer to {method} {path}"), |logged| {
                answered(logged) > before
            })
            .await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.browser.close().await
    }
}
