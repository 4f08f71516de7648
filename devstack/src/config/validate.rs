//! [`Config::validate`]: what Cognito and API Gateway would refuse, each error naming the field.

use std::collections::HashSet;

use url::Url;

use super::{
    AUTH_FLOWS, AppClientConfig, Config, ConfigError, OVERRIDE_SECONDS, REFRESH_TOKEN_MINUTES,
    RETRY_GRACE_SECONDS, SHORT_TOKEN_MINUTES, STANDARD_SCOPES, invalid,
};

impl Config {
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
            check_rotation(client)
                .map_err(|(name, reason)| invalid(format!("{field}.{name}"), reason))?;
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

/// Cognito's rules for refresh-token rotation: the grace period's bounds, and no
/// `REFRESH_TOKEN_AUTH` on a client that rotates (Cognito developer guide, "Refresh token
/// rotation": the flow is not compatible with rotation and must be disabled in the app client;
/// `RefreshTokenRotationType`: rotation is completed through GetTokensFromRefreshToken or the
/// token endpoint). The field (under the client) and the reason.
fn check_rotation(client: &AppClientConfig) -> Result<(), (String, String)> {
    let grace = client.refresh_token_retry_grace_seconds;
    if !RETRY_GRACE_SECONDS.contains(&grace) {
        return Err((
            "refresh_token_retry_grace_seconds".into(),
            format!(
                "{grace} is outside Cognito's bounds of {} to {} seconds",
                RETRY_GRACE_SECONDS.start(),
                RETRY_GRACE_SECONDS.end()
            ),
        ));
    }
    if client.refresh_token_rotation
        && let Some(j) = client
            .explicit_auth_flows
            .iter()
            .position(|f| f == "ALLOW_REFRESH_TOKEN_AUTH")
    {
        return Err((
            format!("explicit_auth_flows[{j}]"),
            "ALLOW_REFRESH_TOKEN_AUTH cannot be allowed on a client with refresh_token_rotation \
             (Cognito: REFRESH_TOKEN_AUTH does not rotate; such a client refreshes through \
             /oauth2/token). Remove it; without explicit_auth_flows a client allows it, so write \
             explicit_auth_flows = [] for none"
                .into(),
        ));
    }
    Ok(())
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
