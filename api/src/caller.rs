//! Who is calling: the claims and scopes that API Gateway's JWT authorizer passed on.

use std::collections::HashMap;

use axum::{extract::FromRequestParts, http::request::Parts};
use lambda_http::request::RequestContext;

use crate::AppError;

/// The caller as API Gateway's JWT authorizer describes it in the payload-2.0 request context
/// (`requestContext.authorizer.jwt`). Every claim value is a string there: numbers arrive as their
/// decimal text and arrays as `[a b]`.
///
/// The extractor rejects a request without that context with [`AppError::MissingAuthorizer`];
/// behind a correctly deployed API (or devstack) a protected route never runs without it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's claims, values stringified by API Gateway.
    pub claims: HashMap<String, String>,
    /// The token's scopes, as API Gateway lists them (empty when it sent none).
    pub scopes: Vec<String>,
}

impl Caller {
    /// The user name: `username` in access tokens, `cognito:username` in ID tokens.
    pub fn username(&self) -> Result<&str, AppError> {
        self.claim("username")
            .or_else(|| self.claim("cognito:username"))
            .ok_or(AppError::MissingClaim("username"))
    }

    /// The user's stable identifier.
    pub fn sub(&self) -> Result<&str, AppError> {
        self.claim("sub").ok_or(AppError::MissingClaim("sub"))
    }

    /// The Cognito groups of the user, from the `cognito:groups` claim.
    pub fn groups(&self) -> Vec<String> {
        self.claim("cognito:groups")
            .map(parse_groups)
            .unwrap_or_default()
    }

    fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).map(String::as_str)
    }
}

/// Reads `cognito:groups` in the forms it can take: API Gateway's stringified array `[admin users]`,
/// a JSON array `["admin","users"]` (as other gateways or tests may pass it), or a single name.
/// Cognito group names cannot contain whitespace, so splitting on it is safe.
pub fn parse_groups(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(groups) = serde_json::from_str::<Vec<String>>(raw) {
        return groups;
    }
    let inner = raw
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(raw);
    inner.split_whitespace().map(str::to_owned).collect()
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>()
        else {
            return Err(AppError::MissingAuthorizer);
        };
        let jwt = context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .ok_or(AppError::MissingAuthorizer)?;
        Ok(Self {
            claims: jwt.claims.clone(),
            scopes: jwt.scopes.clone().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_groups;

    #[test]
    fn groups_in_api_gateway_form() {
        assert_eq!(parse_groups("[admin users]"), ["admin", "users"]);
        assert_eq!(parse_groups("[users]"), ["users"]);
        assert!(parse_groups("[]").is_empty());
    }

    #[test]
    fn groups_as_json_array_or_single_name() {
        assert_eq!(parse_groups(r#"["admin","users"]"#), ["admin", "users"]);
        assert_eq!(parse_groups("admin"), ["admin"]);
        assert!(parse_groups("").is_empty());
    }
}
