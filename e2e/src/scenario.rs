//! One end-to-end scenario: devstack serving the release SPA (or `trunk serve` serving the debug
//! build beside it) and one headless Chromium, with the steps a user takes in the app (sign in,
//! open a page, press Send on the API console).

use crate::trunk::{FIRST_BUILD_DEADLINE, TrunkServe};
use crate::{Browser, User, start_devstack};
use anyhow::{Context, Result};
use serde_json::json;
use url::Url;

/// The sessionStorage key where the SPA keeps tokens with `token_storage: "session"`.
pub const TOKENS_KEY: &str = "cognito-spa.tokens";

/// devstack and a browser for one test. Build it only through [`Scenario::run`] or
/// [`Scenario::run_with`], which tear both down whatever the scenario's body returns.
///
/// A panic in the body (a failed `assert!`) unwinds past that teardown; the parts' `Drop`s cover
/// it: chromedriver's guard kills its process group (Chromium with it), trunk's kills its own,
/// and the dropped stack tells its servers to stop.
pub struct Scenario {
    /// The browser the user drives; its screenshots are named `<scenario>-<page>.png`.
    pub browser: Browser,
    /// `None` once [`Scenario::stop_stack`] stopped it.
    stack: Option<devstack::Stack>,
    /// The SPA's server when it is not devstack ([`Scenario::run_with_trunk_serve`]).
    trunk: Option<TrunkServe>,
    // Copied from the stack, so they stay readable after it stopped.
    spa_url: Url,
    cognito_url: Url,
    api_url: Url,
    issuer: String,
}

impl Scenario {
    /// Runs `body` against devstack's default configuration. `name` names the screenshots.
    pub async fn run(
        name: &str,
        body: impl AsyncFnOnce(&mut Scenario) -> Result<()>,
    ) -> Result<()> {
        Self::run_with(name, |_| {}, body).await
    }

    /// Starts devstack with its configuration changed by `adjust` (see [`start_devstack`]),
    /// launches Chromium, runs `body`, then closes the browser and shuts the stack down, also
    /// when `body` failed. The body's error comes first; a teardown error is reported only
    /// when the body succeeded.
    pub async fn run_with(
        name: &str,
        adjust: impl FnOnce(&mut devstack::Config),
        body: impl AsyncFnOnce(&mut Scenario) -> Result<()>,
    ) -> Result<()> {
        let stack = start_devstack(adjust).await?;
        Self::run_on(name, stack, None, body).await
    }

    /// Runs `body` with the SPA served by the real `trunk serve` from Trunk.toml (debug build,
    /// live reload) on a free port, and devstack beside it serving no SPA, its origins moved to
    /// trunk's as `--spa-origin` does. Waits for trunk's first build before the browser starts.
    pub async fn run_with_trunk_serve(
        name: &str,
        body: impl AsyncFnOnce(&mut Scenario) -> Result<()>,
    ) -> Result<()> {
        let port = free_port()?;
        let origin = devstack::SpaOrigin::parse(&format!("http://localhost:{port}"))?;
        let listeners = devstack::Listeners::loopback_ephemeral_without_spa(origin)
            .await
            .context("binding devstack's listeners")?;
        let mut config = devstack::Config::embedded_default();
        config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
        let stack = devstack::spawn(config, listeners, None)
            .await
            .context("starting devstack")?;
        let trunk = TrunkServe::start(
            port,
            &stack.spa_config_url(),
            stack.cognito_url(),
            stack.api_url(),
        );
        let mut trunk = match trunk {
            Ok(trunk) => trunk,
            Err(error) => {
                stack.shutdown().await;
                return Err(error);
            }
        };
        if let Err(error) = trunk.wait_until_serving(FIRST_BUILD_DEADLINE).await {
            stack.shutdown().await;
            return Err(error);
        }
        Self::run_on(name, stack, Some(trunk), body).await
    }

    async fn run_on(
        name: &str,
        stack: devstack::Stack,
        trunk: Option<TrunkServe>,
        body: impl AsyncFnOnce(&mut Scenario) -> Result<()>,
    ) -> Result<()> {
        let browser = match Browser::launch(name).await {
            Ok(browser) => browser,
            Err(error) => {
                stack.shutdown().await;
                return Err(error);
            }
        };
        let mut scenario = Scenario {
            browser,
            spa_url: stack.spa_url().clone(),
            cognito_url: stack.cognito_url().clone(),
            api_url: stack.api_url().clone(),
            issuer: stack.issuer().to_owned(),
            stack: Some(stack),
            trunk,
        };
        let outcome = body(&mut scenario).await;
        let teardown = scenario.finish().await;
        outcome.and(teardown)
    }

    /// Closes the browser, then shuts the stack down if it still runs; trunk (if any) is
    /// killed with its process group.
    async fn finish(self) -> Result<()> {
        let closed = self.browser.close().await;
        if let Some(stack) = self.stack {
            stack.shutdown().await;
        }
        drop(self.trunk);
        closed
    }

    /// The `trunk serve` serving the SPA, in [`Scenario::run_with_trunk_serve`].
    pub fn trunk(&self) -> Option<&TrunkServe> {
        self.trunk.as_ref()
    }

    /// Stops every server of the stack while the page stays open in the browser.
    pub async fn stop_stack(&mut self) {
        if let Some(stack) = self.stack.take() {
            stack.shutdown().await;
        }
    }

    /// The running stack (its mailbox, its clock); an error once [`Scenario::stop_stack`]
    /// stopped it.
    pub fn stack(&self) -> Result<&devstack::Stack> {
        self.stack.as_ref().context("the stack was stopped")
    }

    /// The SPA's origin, e.g. `http://127.0.0.1:41234/`.
    pub fn spa_url(&self) -> &Url {
        &self.spa_url
    }

    /// The hosted UI's (Cognito's) origin.
    pub fn cognito_url(&self) -> &Url {
        &self.cognito_url
    }

    /// The API's origin.
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// The issuer of every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The SPA's address for `path` (which may carry a query), e.g. `/profile`.
    pub fn spa(&self, path: &str) -> Result<Url> {
        self.spa_url
            .join(path)
            .with_context(|| format!("joining {path:?} to the SPA's URL"))
    }

    /// Types the SPA's address for `path` into the address bar.
    pub async fn open(&self, path: &str) -> Result<()> {
        self.browser.goto(self.spa(path)?.as_str()).await
    }

    /// Waits until the browser shows `path` on the SPA's origin.
    pub async fn wait_for_spa_path(&self, path: &str) -> Result<Url> {
        self.browser.wait_for_path(&self.spa_url, path).await
    }

    /// Waits until the browser is on the hosted UI, and returns the address there.
    pub async fn wait_for_hosted_ui(&self) -> Result<Url> {
        let origin = self.cognito_url.origin();
        self.browser
            .wait_for_url("the hosted UI", |url| url.origin() == origin)
            .await
    }

    /// Fills in and submits the hosted UI's sign-in form (showing, or about to show) as `user`.
    pub async fn enter_password(&self, user: User) -> Result<()> {
        self.browser
            .sign_in_on_hosted_ui(&self.cognito_url, user)
            .await
    }

    /// Opens the home page and presses Sign in, which leads to the hosted UI.
    pub async fn press_sign_in_on_home(&self) -> Result<()> {
        self.open("/").await?;
        self.browser.click_button("Sign in").await
    }

    /// Presses Sign in on the home page and returns the `state` the SPA sent to the hosted UI.
    pub async fn start_sign_in(&self) -> Result<String> {
        self.press_sign_in_on_home().await?;
        let origin = self.cognito_url.origin();
        let at_hosted_ui = self
            .browser
            .wait_for_url("the hosted UI with a state", |url| {
                url.origin() == origin && url.query_pairs().any(|(name, _)| name == "state")
            })
            .await?;
        at_hosted_ui
            .query_pairs()
            .find(|(name, _)| name == "state")
            .map(|(_, state)| state.into_owned())
            .context("no state")
    }

    /// Opens the home page, presses Sign in, signs in as `user` on the hosted UI and waits for
    /// the app's greeting.
    pub async fn sign_in_as(&self, user: User) -> Result<()> {
        self.press_sign_in_on_home().await?;
        self.enter_password(user).await?;
        self.browser
            .wait_for_text(&format!("Hello, {}", user.username))
            .await
    }

    /// [`Browser::call_route`] in this scenario's browser.
    pub async fn call_route(&self, slug: &str) -> Result<String> {
        self.browser.call_route(slug).await
    }

    /// One of the tokens the current tab keeps in sessionStorage (`id_token`, `access_token`,
    /// `refresh_token`), if any.
    pub async fn stored_token(&self, name: &str) -> Result<Option<String>> {
        stored_token(&self.browser, name).await
    }

    /// How many entries of this tab's history are on the hosted UI's origin.
    pub async fn hosted_ui_history_entries(&self) -> Result<usize> {
        let origin = self.cognito_url.origin();
        Ok(self
            .browser
            .history_urls()
            .await?
            .iter()
            .filter(|url| Url::parse(url).is_ok_and(|url| url.origin() == origin))
            .count())
    }
}

/// One of the tokens `browser`'s current tab keeps in sessionStorage (`id_token`,
/// `access_token`, `refresh_token`), if any: also for a second browser of a scenario.
pub async fn stored_token(browser: &Browser, name: &str) -> Result<Option<String>> {
    let token = browser
        .client()
        .execute(
            "const stored = sessionStorage.getItem(arguments[0]);\
             return stored === null ? null : JSON.parse(stored)[arguments[1]];",
            vec![json!(TOKENS_KEY), json!(name)],
        )
        .await?;
    Ok(token.as_str().map(str::to_owned))
}

/// A port that was free a moment ago on 127.0.0.1, for a server that binds it itself.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Fails the test naming the first of `expected` that `text` lacks.
pub fn assert_contains(text: &str, expected: &[&str]) {
    for needle in expected {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }
}
