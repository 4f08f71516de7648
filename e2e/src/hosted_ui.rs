//! The user's steps on the hosted UI's account pages (sign up, a code from the mailbox, an
//! authenticator's code, a new password), for the account-flow scenarios.

use crate::{Browser, Scenario};
use anyhow::{Context, Result, bail};
use fantoccini::Locator;

impl Browser {
    /// Follows the link whose text is `text` (e.g. "Sign up" on the hosted UI's login page).
    pub async fn click_link(&self, text: &str) -> Result<()> {
        let link = self
            .wait_for(&format!("a link {text:?}"), || async move {
                let link = self.client().find(Locator::LinkText(text)).await?;
                Ok(link.is_displayed().await?.then_some(link))
            })
            .await?;
        link.click().await?;
        Ok(())
    }

    /// The text of the first element matching `css`, once it shows.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        Ok(self.element(css).await?.text().await?)
    }
}

impl Scenario {
    /// The newest code devstack's mailbox received for `to` (what the user reads in the e-mail).
    pub fn mailed_code(&self, to: &str) -> Result<String> {
        self.stack()?
            .mailbox()
            .into_iter()
            .find(|mail| mail.to == to)
            .map(|mail| mail.code)
            .with_context(|| format!("no e-mail to {to} in devstack's mailbox"))
    }

    /// What an authenticator app with this base32 secret shows now (the stack's clock).
    pub fn authenticator_code(&self, secret: &str) -> Result<String> {
        let secret = devstack::TotpSecret::from_base32(secret)
            .map_err(|error| anyhow::anyhow!("the secret {error}"))?;
        Ok(secret.code_at(self.stack()?.clock().now_secs()))
    }

    /// Types `code` on the hosted UI's code page and presses `button`.
    pub async fn enter_code(&self, code: &str, button: &str) -> Result<()> {
        self.browser.fill("#code", code).await?;
        self.browser.click_button(button).await
    }

    /// Types a new password twice and presses `button`.
    pub async fn choose_password(&self, password: &str, button: &str) -> Result<()> {
        self.browser.fill("#password", password).await?;
        self.browser
            .fill("#password_confirmation", password)
            .await?;
        self.browser.click_button(button).await
    }

    /// The secret the authenticator setup page shows, read from its Key URI (as an app that
    /// scanned the QR code would).
    pub async fn secret_on_setup_page(&self) -> Result<String> {
        let uri = self.browser.text_of("code.uri").await?;
        let Some((_, query)) = uri.split_once('?') else {
            bail!("the Key URI has no query: {uri}");
        };
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "secret")
            .map(|(_, secret)| secret.into_owned())
            .with_context(|| format!("no secret in the Key URI {uri}"))
    }
}
