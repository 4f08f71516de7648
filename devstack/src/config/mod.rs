//! The devstack configuration: one TOML file (`devstack.toml` is the embedded default).
//!
//! Parsing refuses unknown keys and wrong types (toml's error names the line and the key);
//! [`Config::validate`] then checks what Cognito itself would refuse, naming the field.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

mod pool;
mod validate;

pub use pool::{MfaConfiguration, PasswordPolicy, UserPoolConfig};

/// The configuration compiled into the binary: what `cargo run -p devstack` serves.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../devstack.toml");

/// Scopes every Cognito user pool knows without a resource server.
pub const STANDARD_SCOPES: [&str; 5] = [
    "openid",
    "email",
    "profile",
    "phone",
    "aws.cognito.signin.user.admin",
];

/// Cognito's bounds for access and ID token lifetimes: 5 minutes to 1 day.
const SHORT_TOKEN_MINUTES: std::ops::RangeInclusive<u32> = 5..=1440;
/// Cognito's bounds for refresh token lifetimes: 60 minutes to 10 years.
const REFRESH_TOKEN_MINUTES: std::ops::RangeInclusive<u32> = 60..=3650 * 1440;
/// Cognito's bounds for `RetryGracePeriodSeconds`: 0 (none) to 60 seconds.
const RETRY_GRACE_SECONDS: std::ops::RangeInclusive<u32> = 0..=60;
/// Bounds of `testing.token_lifetime_seconds_override`: long enough to use a token once, short
/// enough that nobody mistakes it for a real setting.
const OVERRIDE_SECONDS: std::ops::RangeInclusive<u32> = 5..=3600;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The user pool: its id names the issuer.
    pub user_pool: UserPoolConfig,
    /// Resource servers and their custom scopes.
    #[serde(default)]
    pub resource_servers: Vec<ResourceServerConfig>,
    /// App clients (public, no secret).
    pub app_clients: Vec<AppClientConfig>,
    /// Users who can sign in.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// The API Gateway side: routes and CORS (see [`crate::gateway`] for the format).
    #[serde(default)]
    pub api: crate::gateway::ApiConfig,
    /// What the SPA is told in `/config.json`.
    #[serde(default)]
    pub spa: SpaConfig,
    /// Switches for tests of the clients' error paths.
    #[serde(default)]
    pub testing: TestingConfig,
}

/// `[[resource_servers]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerConfig {
    /// Prefix of its scopes, e.g. `api` for `api/read`.
    pub identifier: String,
    /// A display name.
    #[serde(default)]
    pub name: String,
    /// Scope names without the prefix, e.g. `read`.
    pub scopes: Vec<String>,
}

/// `[[app_clients]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppClientConfig {
    /// The client id (public client: there is no secret).
    pub client_id: String,
    /// A display name, shown on the login page.
    #[serde(default)]
    pub name: String,
    /// Allowed `redirect_uri` values, compared exactly.
    pub callback_urls: Vec<String>,
    /// Allowed `logout_uri` values, compared exactly.
    #[serde(default)]
    pub logout_urls: Vec<String>,
    /// Scopes the client may ask for.
    pub allowed_scopes: Vec<String>,
    /// Access token lifetime, 5 to 1440.
    #[serde(default = "default_short_token_minutes")]
    pub access_token_validity_minutes: u32,
    /// ID token lifetime, 5 to 1440.
    #[serde(default = "default_short_token_minutes")]
    pub id_token_validity_minutes: u32,
    /// Refresh token lifetime, 60 to 5256000 (10 years).
    #[serde(default = "default_refresh_token_minutes")]
    pub refresh_token_validity_minutes: u32,
    /// Whether a refresh returns a new refresh token (valid for what is left of the sign-in's
    /// refresh-token lifetime) and retires the one it was given (Cognito's
    /// `RefreshTokenRotation.Feature`). Needs `ALLOW_REFRESH_TOKEN_AUTH` off.
    #[serde(default)]
    pub refresh_token_rotation: bool,
    /// With rotation, how many seconds (0 to 60) a retired refresh token keeps working after it
    /// was rotated, for a client's retry after a lost answer (Cognito's
    /// `RefreshTokenRotation.RetryGracePeriodSeconds`). 0 when absent: retired at once.
    #[serde(default)]
    pub refresh_token_retry_grace_seconds: u32,
    /// Flows of the identity-provider JSON API (`InitiateAuth`) the client may use, e.g.
    /// `ALLOW_USER_PASSWORD_AUTH` (off by default, as in Cognito). Default: refresh only, as the
    /// deployed client; Cognito's own default adds SRP and custom auth, which devstack lacks.
    #[serde(default = "default_explicit_auth_flows")]
    pub explicit_auth_flows: Vec<String>,
}

/// The flows `explicit_auth_flows` may name (Cognito's `ExplicitAuthFlows`).
pub const AUTH_FLOWS: [&str; 6] = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_AUTH",
];

fn default_explicit_auth_flows() -> Vec<String> {
    vec!["ALLOW_REFRESH_TOKEN_AUTH".into()]
}

fn default_short_token_minutes() -> u32 {
    60
}

fn default_refresh_token_minutes() -> u32 {
    30 * 1440
}

/// `[[users]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The sign-in name (`cognito:username`).
    pub username: String,
    /// The `email` attribute.
    pub email: String,
    /// `email_verified`.
    #[serde(default = "default_true")]
    pub email_verified: bool,
    /// Plain text in the file (demo users only); hashed with argon2 at start.
    pub password: Password,
    /// Group names, reported in `cognito:groups`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// `password` is temporary: the first sign-in asks for a new one (`FORCE_CHANGE_PASSWORD`),
    /// within `user_pool.temporary_password_validity_days` of devstack's start.
    #[serde(default)]
    pub password_is_temporary: bool,
    /// A base32 TOTP secret: the user has this authenticator set up, enabled and preferred, so
    /// tests and scripts can compute its codes.
    #[serde(default)]
    pub totp_secret: Option<Password>,
}

fn default_true() -> bool {
    true
}

/// A password from the config file; `Debug` does not print it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// A password given in code (tests, embedders).
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The plain text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `[spa]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpaConfig {
    /// The app client the SPA uses; the first one when absent.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Where the SPA keeps tokens.
    #[serde(default)]
    pub token_storage: TokenStorage,
}

/// Where the SPA keeps its tokens (never localStorage): config.json's `token_storage`.
pub use contract::TokenStorage;

/// `[testing]`: switches that make the stand-in behave unlike Cognito, for tests only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestingConfig {
    /// Issue tokens with a corrupted signature, so clients' refusal can be tested end to end.
    #[serde(default)]
    pub tamper_signatures: bool,
    /// Access and ID tokens of every client (and `expires_in`) last this many seconds (5 to
    /// 3600) instead of the client's minutes, so a client's automatic renewal can be tested in
    /// seconds. Cognito never issues tokens shorter than 5 minutes.
    #[serde(default)]
    pub token_lifetime_seconds_override: Option<u32>,
}

impl TestingConfig {
    /// Seconds an access or ID token lives whose client says `configured_minutes`: the
    /// override when set.
    pub fn token_lifetime_secs(&self, configured_minutes: u32) -> u64 {
        self.token_lifetime_seconds_override
            .map_or(u64::from(configured_minutes) * 60, u64::from)
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file asked for.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key or a value of the wrong type (the message has line and key).
    #[error("config is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// A value Cognito would refuse.
    #[error("config field `{field}` is not valid: {reason}")]
    Invalid {
        /// Path of the field, e.g. `app_clients[0].callback_urls[1]`.
        field: String,
        /// What is wrong and what would be right.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

impl Config {
    /// The embedded default (`devstack.toml`).
    pub fn embedded_default() -> Self {
        match Self::from_toml_str(EMBEDDED_DEFAULT) {
            Ok(config) => config,
            // The embedded file is checked by a unit test; it cannot be wrong in a build.
            Err(error) => panic!("the embedded devstack.toml is not valid: {error}"),
        }
    }

    /// Parses and validates a configuration.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and validates a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// The app client with this id.
    pub fn client(&self, client_id: &str) -> Option<&AppClientConfig> {
        self.app_clients.iter().find(|c| c.client_id == client_id)
    }

    /// The app client the SPA is pointed at.
    pub fn spa_client(&self) -> Option<&AppClientConfig> {
        match &self.spa.client_id {
            Some(id) => self.client(id),
            None => self.app_clients.first(),
        }
    }

    /// The pool's groups: `user_pool.groups` and every group a user is in, sorted.
    pub fn group_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .user_pool
            .groups
            .iter()
            .chain(self.users.iter().flat_map(|u| &u.groups))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The client ids the API's JWT authorizer accepts as audience: `[api] audiences`, or the
    /// SPA's client alone (the deployed authorizer's `audience = [SpaClient]`), so a token of
    /// another client is refused locally as it is on AWS.
    pub fn api_audiences(&self) -> Vec<String> {
        match &self.api.audiences {
            Some(audiences) => audiences.clone(),
            None => self
                .spa_client()
                .map(|client| vec![client.client_id.clone()])
                .unwrap_or_default(),
        }
    }

    /// Moves every URL on `from`'s origin (callback, sign-out and CORS origins) to `to`'s origin.
    ///
    /// Tests bind the SPA on an ephemeral port and use this to point the default client at it:
    /// `config.move_spa_origin("http://localhost:8080", &listeners.spa_url())`.
    pub fn move_spa_origin(&mut self, from: &Url, to: &Url) {
        let from = from.origin().ascii_serialization();
        let to = to.origin().ascii_serialization();
        let rebase = |url: &mut String| {
            if let Some(rest) = url.strip_prefix(&from)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                *url = format!("{to}{rest}");
            }
        };
        for client in &mut self.app_clients {
            client.callback_urls.iter_mut().for_each(rebase);
            client.logout_urls.iter_mut().for_each(rebase);
        }
        self.api.cors.allow_origins.iter_mut().for_each(rebase);
    }
}

#[cfg(test)]
mod tests;
