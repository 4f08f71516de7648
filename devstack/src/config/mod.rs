//! The devstack configuration: one TOML file (`devstack.toml` is the embedded default).
//!
//! Parsing refuses unknown keys and wrong types (toml's error names the line and the key);
//! [`Config::validate`] then checks what Cognito itself would refuse, naming the field.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

mod pool;

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
    /// Whether a refresh returns a new refresh token and retires the old one.
    #[serde(default)]
    pub refresh_token_rotation: bool,
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

/// Where the SPA keeps its tokens (never localStorage).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStorage {
    /// In memory only: a reload signs the user out.
    #[default]
    Memory,
    /// In sessionStorage: survives a reload, not the tab.
    Session,
}

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

    /// Checks what Cognito would refuse; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_pool()?;
        let scopes = self.validate_resource_servers()?;
        self.validate_clients(&scopes)?;
        self.validate_users()?;
        if let Some(seconds) = self.testing.token_lifetime_seconds_override
            && !OVERRIDE_SECONDS.contains(&seconds)
        {
            return Err(invalid(
                "testing.token_lifetime_seconds_override",
                format!(
                    "{seconds} is outside {} to {} seconds",
                    OVERRIDE_SECONDS.start(),
                    OVERRIDE_SECONDS.end()
                ),
            ));
        }
        self.api
            .validate()
            .map_err(|e| invalid(e.field, e.reason))?;
        for (i, route) in self.api.routes.iter().enumerate() {
            for (j, scope) in route.authorization_scopes.iter().enumerate() {
                if !scopes.contains(scope) {
                    return Err(invalid(
                        format!("api.routes[{i}].authorization_scopes[{j}]"),
                        format!("{scope:?} is not a scope of this user pool"),
                    ));
                }
            }
        }
        if let Some(audiences) = &self.api.audiences {
            if audiences.is_empty() {
                return Err(invalid(
                    "api.audiences",
                    "API Gateway's JWT authorizer needs at least one audience; leave the key out \
                     to accept the SPA's client only",
                ));
            }
            for (i, audience) in audiences.iter().enumerate() {
                if self.client(audience).is_none() {
                    return Err(invalid(
                        format!("api.audiences[{i}]"),
                        format!("no app client has client_id {audience:?}"),
                    ));
                }
            }
        }
        let spa_client = match &self.spa.client_id {
            Some(id) => self
                .app_clients
                .iter()
                .position(|c| &c.client_id == id)
                .ok_or_else(|| {
                    invalid(
                        "spa.client_id",
                        format!("no app client has client_id {id:?}"),
                    )
                })?,
            None => 0,
        };
        if self.app_clients[spa_client].logout_urls.is_empty() {
            return Err(invalid(
                format!("app_clients[{spa_client}].logout_urls"),
                "the SPA's client needs a sign-out URL (it is `sign_out_uri` in /config.json)",
            ));
        }
        Ok(())
    }

    fn validate_pool(&self) -> Result<(), ConfigError> {
        self.user_pool
            .validate()
            .map_err(|(field, reason)| invalid(field, reason))
    }

    /// Returns every scope a client may be allowed: the standard ones and the custom ones.
    fn validate_resource_servers(&self) -> Result<HashSet<String>, ConfigError> {
        let mut scopes: HashSet<String> = STANDARD_SCOPES.iter().map(|s| s.to_string()).collect();
        let mut identifiers = HashSet::new();
        for (i, server) in self.resource_servers.iter().enumerate() {
            let field = format!("resource_servers[{i}]");
            if !is_token(&server.identifier) {
                return Err(invalid(
                    format!("{field}.identifier"),
                    "must be non-empty, without spaces",
                ));
            }
            if !identifiers.insert(&server.identifier) {
                return Err(invalid(
                    format!("{field}.identifier"),
                    format!("{:?} is used twice", server.identifier),
                ));
            }
            for (j, scope) in server.scopes.iter().enumerate() {
                if !is_token(scope) || scope.contains('/') {
                    return Err(invalid(
                        format!("{field}.scopes[{j}]"),
                        "must be non-empty, without spaces or '/' (the identifier is prefixed)",
                    ));
                }
                scopes.insert(format!("{}/{scope}", server.identifier));
            }
        }
        Ok(scopes)
    }

    fn validate_clients(&self, known_scopes: &HashSet<String>) -> Result<(), ConfigError> {
        if self.app_clients.is_empty() {
            return Err(invalid("app_clients", "at least one app client is needed"));
        }
        let mut ids = HashSet::new();
        for (i, client) in self.app_clients.iter().enumerate() {
            let field = format!("app_clients[{i}]");
            let id_ok = !client.client_id.is_empty()
                && client.client_id.len() <= 128
                && client.client_id.chars().all(|c| c.is_ascii_alphanumeric());
            if !id_ok {
                return Err(invalid(
                    format!("{field}.client_id"),
                    "must be 1 to 128 letters and digits",
                ));
            }
            if !ids.insert(&client.client_id) {
                return Err(invalid(
                    format!("{field}.client_id"),
                    format!("{:?} is used twice", client.client_id),
                ));
            }
            // A client without callback URLs has no OAuth flow (Cognito's
            // `AllowedOAuthFlowsUserPoolClient: false`): it signs in through the JSON API only,
            // so it has no hosted-UI scopes or sign-out URLs either.
            if client.callback_urls.is_empty()
                && (!client.allowed_scopes.is_empty() || !client.logout_urls.is_empty())
            {
                return Err(invalid(
                    format!("{field}.callback_urls"),
                    "a client with allowed_scopes or logout_urls signs in through managed login \
                     and needs at least one callback URL",
                ));
            }
            for (j, url) in client.callback_urls.iter().enumerate() {
                check_redirect_url(url)
                    .map_err(|r| invalid(format!("{field}.callback_urls[{j}]"), r))?;
            }
            for (j, url) in client.logout_urls.iter().enumerate() {
                check_redirect_url(url)
                    .map_err(|r| invalid(format!("{field}.logout_urls[{j}]"), r))?;
            }
            if !client.callback_urls.is_empty() && client.allowed_scopes.is_empty() {
                return Err(invalid(
                    format!("{field}.allowed_scopes"),
                    "at least one scope is needed",
                ));
            }
            for (j, scope) in client.allowed_scopes.iter().enumerate() {
                if !known_scopes.contains(scope) {
                    return Err(invalid(
                        format!("{field}.allowed_scopes[{j}]"),
                        format!(
                            "{scope:?} is neither a standard scope ({}) nor a resource server scope",
                            STANDARD_SCOPES.join(", ")
                        ),
                    ));
                }
            }
            let has_openid = client.allowed_scopes.iter().any(|s| s == "openid");
            if !has_openid
                && client
                    .allowed_scopes
                    .iter()
                    .any(|s| matches!(s.as_str(), "email" | "profile" | "phone"))
            {
                return Err(invalid(
                    format!("{field}.allowed_scopes"),
                    "email, profile and phone need openid as well (as in Cognito)",
                ));
            }
            if let Some(j) = client
                .explicit_auth_flows
                .iter()
                .position(|f| !AUTH_FLOWS.contains(&f.as_str()))
            {
                return Err(invalid(
                    format!("{field}.explicit_auth_flows[{j}]"),
                    format!(
                        "{:?} is not one of {}",
                        client.explicit_auth_flows[j],
                        AUTH_FLOWS.join(", ")
                    ),
                ));
            }
            let lifetimes = [
                (
                    "access_token_validity_minutes",
                    client.access_token_validity_minutes,
                    &SHORT_TOKEN_MINUTES,
                ),
                (
                    "id_token_validity_minutes",
                    client.id_token_validity_minutes,
                    &SHORT_TOKEN_MINUTES,
                ),
                (
                    "refresh_token_validity_minutes",
                    client.refresh_token_validity_minutes,
                    &REFRESH_TOKEN_MINUTES,
                ),
            ];
            for (name, minutes, bounds) in lifetimes {
                if !bounds.contains(&minutes) {
                    return Err(invalid(
                        format!("{field}.{name}"),
                        format!(
                            "{minutes} is outside Cognito's bounds of {} to {} minutes",
                            bounds.start(),
                            bounds.end()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_users(&self) -> Result<(), ConfigError> {
        let mut names = HashSet::new();
        let mut emails = HashSet::new();
        for (i, user) in self.users.iter().enumerate() {
            let field = format!("users[{i}]");
            if !is_token(&user.username) || user.username.len() > 128 {
                return Err(invalid(
                    format!("{field}.username"),
                    "must be 1 to 128 characters without spaces",
                ));
            }
            if !names.insert(user.username.to_lowercase()) {
                return Err(invalid(
                    format!("{field}.username"),
                    format!(
                        "{:?} is used twice (usernames are case-insensitive)",
                        user.username
                    ),
                ));
            }
            let email_ok = user.email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && is_token(&user.email)
            });
            if !email_ok {
                return Err(invalid(
                    format!("{field}.email"),
                    format!("{:?} is not an email address", user.email),
                ));
            }
            if user.username.contains('@') {
                return Err(invalid(
                    format!("{field}.username"),
                    "cannot be an email address: the pool signs in by email as an alias of the username",
                ));
            }
            if !emails.insert(user.email.to_lowercase()) {
                return Err(invalid(
                    format!("{field}.email"),
                    format!(
                        "{:?} belongs to another user (it is a sign-in alias)",
                        user.email
                    ),
                ));
            }
            let broken = self
                .user_pool
                .password_policy
                .violations(user.password.expose());
            if !broken.is_empty() {
                let needs: Vec<String> = broken.into_iter().map(|r| r.requirement()).collect();
                return Err(invalid(
                    format!("{field}.password"),
                    format!(
                        "breaks user_pool.password_policy: it needs {}",
                        needs.join(", ")
                    ),
                ));
            }
            if let Some(secret) = &user.totp_secret {
                crate::accounts::TotpSecret::from_base32(secret.expose())
                    .map_err(|e| invalid(format!("{field}.totp_secret"), e.to_string()))?;
            }
            for (j, group) in user.groups.iter().enumerate() {
                if !is_token(group) {
                    return Err(invalid(
                        format!("{field}.groups[{j}]"),
                        "must be non-empty, without spaces",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Non-empty and free of whitespace and control characters.
fn is_token(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Cognito's rule for callback and sign-out URLs: absolute, https (or http on `localhost` only,
/// not 127.0.0.1 or [::1]), no fragment.
fn check_redirect_url(value: &str) -> Result<(), String> {
    let url = Url::parse(value).map_err(|e| format!("{value:?} is not an absolute URL: {e}"))?;
    let local_http = url.scheme() == "http" && url.host_str() == Some("localhost");
    if url.scheme() != "https" && !local_http {
        return Err(format!(
            "{value:?} must use https (Cognito allows http only for localhost: write http://localhost:<port>/...)"
        ));
    }
    if url.fragment().is_some() {
        return Err(format!("{value:?} must not have a #fragment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(edit: impl FnOnce(&mut toml::Table)) -> Result<Config, ConfigError> {
        let mut table: toml::Table = toml::from_str(EMBEDDED_DEFAULT).unwrap();
        edit(&mut table);
        Config::from_toml_str(&toml::to_string(&table).unwrap())
    }

    fn client(table: &mut toml::Table) -> &mut toml::Table {
        table["app_clients"].as_array_mut().unwrap()[0]
            .as_table_mut()
            .unwrap()
    }

    fn invalid_field(result: Result<Config, ConfigError>) -> (String, String) {
        match result {
            Err(ConfigError::Invalid { field, reason }) => (field, reason),
            other => panic!("expected a semantic error, got {other:?}"),
        }
    }

    #[test]
    fn embedded_default_matches_the_contract() {
        let config = Config::embedded_default();
        assert_eq!(config.user_pool.id, "us-east-1_DevStack01");
        let client = config.client("3n4b5urk1ft4fl3mg5e62d9ado").unwrap();
        assert_eq!(client.callback_urls, ["http://localhost:8080/callback"]);
        assert_eq!(client.logout_urls, ["http://localhost:8080/signed-out"]);
        assert_eq!(
            client.allowed_scopes,
            [
                "openid",
                "email",
                "profile",
                "api/read",
                "api/write",
                "aws.cognito.signin.user.admin"
            ]
        );
        assert_eq!(client.refresh_token_validity_minutes, 30 * 1440);
        assert!(!client.refresh_token_rotation);
        // No SRP: devstack does not implement it, and the deployed client does not allow it.
        assert_eq!(client.explicit_auth_flows, ["ALLOW_REFRESH_TOKEN_AUTH"]);
        let unlisted = with(|t| {
            self::client(t).remove("explicit_auth_flows");
        })
        .unwrap();
        assert_eq!(
            unlisted.app_clients[0].explicit_auth_flows,
            ["ALLOW_REFRESH_TOKEN_AUTH"]
        );
        let names: Vec<_> = config.users.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["demo", "admin"]);
        assert!(!config.testing.tamper_signatures);
        assert_eq!(config.testing.token_lifetime_seconds_override, None);
        let contract = crate::gateway::ApiConfig::default();
        assert_eq!(
            (&config.api.routes, &config.api.cors),
            (&contract.routes, &contract.cors),
            "the file spells out the contract's API"
        );
        // The command line's client: JSON-API sign-in only, accepted by the API.
        let cli = config.client("5fq8cli4devstack0local0cli1").unwrap();
        assert!(cli.callback_urls.is_empty() && cli.allowed_scopes.is_empty());
        assert_eq!(
            cli.explicit_auth_flows,
            [
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH"
            ]
        );
        assert_eq!(
            config.api_audiences(),
            ["3n4b5urk1ft4fl3mg5e62d9ado", "5fq8cli4devstack0local0cli1"]
        );
        // The account settings the template has.
        assert!(config.user_pool.allow_self_sign_up);
        assert_eq!(config.user_pool.mfa, MfaConfiguration::Optional);
        assert_eq!(config.user_pool.password_policy.minimum_length, 12);
        assert_eq!(config.user_pool.temporary_password_validity_days, 7);
        assert_eq!(config.group_names(), ["admin", "users"]);
        assert_eq!(config.spa.token_storage, TokenStorage::Memory);
    }

    #[test]
    fn unknown_key_is_refused_with_its_name() {
        let error =
            Config::from_toml_str(&format!("{EMBEDDED_DEFAULT}\n[extra]\nx = 1\n")).unwrap_err();
        assert!(matches!(error, ConfigError::Parse(_)));
        assert!(
            error.to_string().contains("unknown field `extra`"),
            "{error}"
        );

        let error = with(|t| {
            client(t).insert("secret".into(), "x".into());
        })
        .unwrap_err();
        assert!(
            error.to_string().contains("unknown field `secret`"),
            "{error}"
        );
    }

    #[test]
    fn wrong_type_names_the_key() {
        let error = with(|t| {
            client(t).insert("refresh_token_rotation".into(), "yes".into());
        })
        .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("refresh_token_rotation"), "{message}");
        assert!(message.contains("expected a boolean"), "{message}");
    }

    #[test]
    fn lifetimes_outside_cognito_bounds_are_refused() {
        let (field, reason) = invalid_field(with(|t| {
            client(t).insert("access_token_validity_minutes".into(), 4.into());
        }));
        assert_eq!(field, "app_clients[0].access_token_validity_minutes");
        assert!(reason.contains("5 to 1440"), "{reason}");

        let (field, _) = invalid_field(with(|t| {
            client(t).insert("id_token_validity_minutes".into(), 1441.into());
        }));
        assert_eq!(field, "app_clients[0].id_token_validity_minutes");

        let (field, reason) = invalid_field(with(|t| {
            client(t).insert("refresh_token_validity_minutes".into(), 59.into());
        }));
        assert_eq!(field, "app_clients[0].refresh_token_validity_minutes");
        assert!(reason.contains("60 to 5256000"), "{reason}");

        assert!(
            with(|t| {
                client(t).insert("refresh_token_validity_minutes".into(), 5_256_000.into());
                client(t).insert("access_token_validity_minutes".into(), 5.into());
            })
            .is_ok()
        );
    }

    #[test]
    fn the_testing_lifetime_override_has_bounds_and_replaces_minutes() {
        let set = |seconds: i64| {
            with(|t| {
                t["testing"]
                    .as_table_mut()
                    .unwrap()
                    .insert("token_lifetime_seconds_override".into(), seconds.into());
            })
        };
        for seconds in [4, 3601] {
            let (field, reason) = invalid_field(set(seconds));
            assert_eq!(field, "testing.token_lifetime_seconds_override");
            assert!(reason.contains("5 to 3600 seconds"), "{reason}");
        }
        let error = set(-1).unwrap_err().to_string();
        assert!(
            error.contains("token_lifetime_seconds_override"),
            "toml names the key: {error}"
        );
        for seconds in [5, 3600] {
            let config = set(seconds).unwrap();
            assert_eq!(config.testing.token_lifetime_secs(60), seconds as u64);
        }
        assert_eq!(
            Config::embedded_default().testing.token_lifetime_secs(60),
            3600
        );
        // The client's own fields keep Cognito's bounds.
        let (field, _) = invalid_field(with(|t| {
            t["testing"]
                .as_table_mut()
                .unwrap()
                .insert("token_lifetime_seconds_override".into(), 20.into());
            client(t).insert("access_token_validity_minutes".into(), 1.into());
        }));
        assert_eq!(field, "app_clients[0].access_token_validity_minutes");
    }

    #[test]
    fn callback_urls_must_be_https_or_local_http() {
        for (url, accepted) in [
            ("https://app.example.com/callback", true),
            ("http://localhost:8080/callback", true),
            ("http://localhost/cb", true),
            ("http://127.0.0.1:9000/cb", false),
            ("http://[::1]:9000/cb", false),
            ("http://localhost.example.com/cb", false),
            ("http://app.example.com/callback", false),
            ("/callback", false),
            ("https://app.example.com/cb#frag", false),
        ] {
            let result = with(|t| {
                client(t).insert("callback_urls".into(), toml::Value::Array(vec![url.into()]));
            });
            if accepted {
                assert!(result.is_ok(), "{url}: {result:?}");
            } else {
                let (field, reason) = invalid_field(result);
                assert_eq!(field, "app_clients[0].callback_urls[0]", "{url}");
                assert!(reason.contains(url), "{reason}");
            }
        }
        let (field, _) = invalid_field(with(|t| {
            client(t).insert(
                "logout_urls".into(),
                toml::Value::Array(vec!["https://ok.example/".into(), "ftp://x/".into()]),
            );
        }));
        assert_eq!(field, "app_clients[0].logout_urls[1]");
    }

    #[test]
    fn scopes_must_exist() {
        let (field, reason) = invalid_field(with(|t| {
            client(t)["allowed_scopes"]
                .as_array_mut()
                .unwrap()
                .push("api/delete".into());
        }));
        assert_eq!(field, "app_clients[0].allowed_scopes[6]");
        assert!(reason.contains("\"api/delete\""), "{reason}");

        let (field, _) = invalid_field(with(|t| {
            client(t).insert(
                "allowed_scopes".into(),
                toml::Value::Array(vec!["email".into()]),
            );
        }));
        assert_eq!(field, "app_clients[0].allowed_scopes");
    }

    #[test]
    fn account_settings_are_checked() {
        fn pool(t: &mut toml::Table) -> &mut toml::Table {
            t.get_mut("user_pool").unwrap().as_table_mut().unwrap()
        }
        fn user(t: &mut toml::Table) -> &mut toml::Table {
            t["users"].as_array_mut().unwrap()[0]
                .as_table_mut()
                .unwrap()
        }
        let (field, reason) = invalid_field(with(|t| {
            pool(t)["password_policy"]
                .as_table_mut()
                .unwrap()
                .insert("minimum_length".into(), 5.into());
        }));
        assert_eq!(field, "user_pool.password_policy.minimum_length");
        assert!(reason.contains("6 to 99"), "{reason}");
        let (field, _) = invalid_field(with(|t| {
            pool(t).insert("temporary_password_validity_days".into(), 0.into());
        }));
        assert_eq!(field, "user_pool.temporary_password_validity_days");
        let error = with(|t| {
            pool(t).insert("mfa".into(), "SOMETIMES".into());
        })
        .unwrap_err();
        assert!(matches!(error, ConfigError::Parse(_)), "{error}");

        let (field, reason) = invalid_field(with(|t| {
            user(t).insert("password".into(), "short-password".into());
        }));
        assert_eq!(field, "users[0].password");
        assert_eq!(
            reason,
            "breaks user_pool.password_policy: it needs an uppercase letter, a number"
        );
        let (field, reason) = invalid_field(with(|t| {
            user(t).insert("totp_secret".into(), "JBSWY3DPEHPK3PXP".into());
        }));
        assert_eq!(field, "users[0].totp_secret");
        assert!(reason.contains("at least 16"), "{reason}");
        let (field, _) = invalid_field(with(|t| {
            user(t).insert("username".into(), "demo@example.com".into());
        }));
        assert_eq!(field, "users[0].username");
        let (field, reason) = invalid_field(with(|t| {
            user(t).insert("email".into(), "ADMIN@example.com".into());
        }));
        assert_eq!(field, "users[1].email");
        assert!(reason.contains("sign-in alias"), "{reason}");

        let (field, reason) = invalid_field(with(|t| {
            t["app_clients"].as_array_mut().unwrap()[1]
                .as_table_mut()
                .unwrap()
                .insert(
                    "allowed_scopes".into(),
                    toml::Value::Array(vec!["openid".into()]),
                );
        }));
        assert_eq!(field, "app_clients[1].callback_urls");
        assert!(reason.contains("managed login"), "{reason}");
    }

    #[test]
    fn usernames_are_unique_ignoring_case() {
        let (field, reason) = invalid_field(with(|t| {
            let users = t["users"].as_array_mut().unwrap();
            let mut twin = users[0].clone();
            twin.as_table_mut()
                .unwrap()
                .insert("username".into(), "DEMO".into());
            users.push(twin);
        }));
        assert_eq!(field, "users[2].username");
        assert!(reason.contains("used twice"), "{reason}");
    }

    #[test]
    fn pool_id_must_start_with_region() {
        let (field, _) = invalid_field(with(|t| {
            t["user_pool"]
                .as_table_mut()
                .unwrap()
                .insert("id".into(), "eu-west-1_Abc".into());
        }));
        assert_eq!(field, "user_pool.id");
    }

    #[test]
    fn duplicate_client_and_unknown_spa_client_are_refused() {
        let (field, _) = invalid_field(with(|t| {
            let clients = t["app_clients"].as_array_mut().unwrap();
            let twin = clients[0].clone();
            clients.push(twin);
        }));
        assert_eq!(field, "app_clients[2].client_id");

        let (field, _) = invalid_field(with(|t| {
            t["spa"]
                .as_table_mut()
                .unwrap()
                .insert("client_id".into(), "nope".into());
        }));
        assert_eq!(field, "spa.client_id");
    }

    #[test]
    fn the_spa_client_needs_a_sign_out_url() {
        let (field, reason) = invalid_field(with(|t| {
            client(t).insert("logout_urls".into(), toml::Value::Array(vec![]));
        }));
        assert_eq!(field, "app_clients[0].logout_urls");
        assert!(reason.contains("sign_out_uri"), "{reason}");
    }

    #[test]
    fn api_section_is_checked_against_the_pool() {
        let text = format!(
            "{EMBEDDED_DEFAULT}\n[[api.routes]]\nmethod = \"GET\"\npath = \"/x\"\nauthorizer = \"jwt\"\nauthorization_scopes = [\"api/delete\"]\n"
        );
        let (field, reason) = invalid_field(Config::from_toml_str(&text));
        assert_eq!(field, "api.routes[5].authorization_scopes[0]");
        assert!(reason.contains("not a scope of this user pool"), "{reason}");

        let text = EMBEDDED_DEFAULT.replace("allow_origins =", "allow_origin =");
        let error = Config::from_toml_str(&text).unwrap_err().to_string();
        assert!(error.contains("unknown field `allow_origin`"), "{error}");
    }

    #[test]
    fn api_audiences_default_to_the_spa_client_and_must_name_clients() {
        let second_client = |t: &mut toml::Table| {
            let clients = t["app_clients"].as_array_mut().unwrap();
            let mut second = clients[0].clone();
            second
                .as_table_mut()
                .unwrap()
                .insert("client_id".into(), "second".into());
            clients.push(second);
        };
        let config = with(|t| {
            second_client(t);
            t["api"].as_table_mut().unwrap().remove("audiences");
        })
        .unwrap();
        assert_eq!(config.api_audiences(), ["3n4b5urk1ft4fl3mg5e62d9ado"]);

        let config = with(|t| {
            second_client(t);
            t["api"].as_table_mut().unwrap().remove("audiences");
            t["spa"]
                .as_table_mut()
                .unwrap()
                .insert("client_id".into(), "second".into());
        })
        .unwrap();
        assert_eq!(
            config.api_audiences(),
            ["second"],
            "follows [spa] client_id"
        );

        let audiences = |ids: &[&str]| {
            let ids = ids.iter().map(|id| toml::Value::from(*id)).collect();
            move |t: &mut toml::Table| {
                second_client(t);
                t["api"]
                    .as_table_mut()
                    .unwrap()
                    .insert("audiences".into(), toml::Value::Array(ids));
            }
        };
        let config = with(audiences(&["3n4b5urk1ft4fl3mg5e62d9ado", "second"])).unwrap();
        assert_eq!(
            config.api_audiences(),
            ["3n4b5urk1ft4fl3mg5e62d9ado", "second"]
        );

        let (field, reason) = invalid_field(with(audiences(&["second", "nope"])));
        assert_eq!(field, "api.audiences[1]");
        assert!(
            reason.contains("no app client has client_id \"nope\""),
            "{reason}"
        );
        let (field, reason) = invalid_field(with(audiences(&[])));
        assert_eq!(field, "api.audiences");
        assert!(reason.contains("at least one audience"), "{reason}");
    }

    #[test]
    fn move_spa_origin_rewrites_only_that_origin() {
        let mut config = Config::embedded_default();
        config.app_clients[0]
            .callback_urls
            .push("https://other.example/callback".into());
        config.move_spa_origin(
            &Url::parse("http://localhost:8080").unwrap(),
            &Url::parse("http://localhost:41234/").unwrap(),
        );
        let client = &config.app_clients[0];
        assert_eq!(
            client.callback_urls,
            [
                "http://localhost:41234/callback",
                "https://other.example/callback"
            ]
        );
        assert_eq!(client.logout_urls, ["http://localhost:41234/signed-out"]);
        assert_eq!(config.api.cors.allow_origins, ["http://localhost:41234"]);
        config.validate().unwrap();
    }
}
