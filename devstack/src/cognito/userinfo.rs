//! `GET /oauth2/userInfo`: the user's attributes for an access token with the `openid` scope.
//! Unlike API Gateway's authorizer, this endpoint knows about revocation (`access_token.rs`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::access_token::AccessTokenError;
use super::minting::{AccessClaims, releases_email};
use super::{CognitoState, OAuthErrorBody, json_response};

/// Why userInfo refused (RFC 6750 3.1), with the statuses Cognito documents for it
/// (<https://docs.aws.amazon.com/cognito/latest/developerguide/userinfo-endpoint.html>, "Sample
/// negative responses"): 400 `invalid_request` for a request without a bearer token, 401
/// `invalid_token` for a token that is "expired, revoked, malformed, or invalid".
#[derive(Debug, thiserror::Error)]
enum BearerError {
    /// No `Authorization: Bearer <token>` header (missing, another scheme, or no token).
    #[error("invalid_request")]
    InvalidRequest,
    /// Malformed, badly signed, expired or revoked token.
    #[error("invalid_token")]
    InvalidToken(&'static str),
    /// The token lacks the `openid` scope.
    #[error("insufficient_scope")]
    InsufficientScope,
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, description) = match &self {
            Self::InvalidRequest => (
                StatusCode::BAD_REQUEST,
                "send the access token as Authorization: Bearer <access token>",
            ),
            Self::InvalidToken(d) => (StatusCode::UNAUTHORIZED, *d),
            Self::InsufficientScope => (
                StatusCode::FORBIDDEN,
                "the access token lacks the openid scope",
            ),
        };
        let error: &'static str = match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        };
        let mut response = json_response(
            status,
            &OAuthErrorBody {
                error,
                error_description: description.to_owned(),
            },
        );
        if let Ok(value) = HeaderValue::from_str(&format!(
            "Bearer error=\"{error}\", error_description=\"{description}\""
        )) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Cognito answers `email_verified` as a string ("true"/"false") here, unlike in the ID token.
/// `email` and `email_verified` only when the token's scopes release them (as in the ID token).
#[derive(Serialize)]
struct UserInfo<'a> {
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    username: &'a str,
}

impl CognitoState {
    fn check_bearer_token(&self, headers: &HeaderMap) -> Result<AccessClaims, BearerError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|token| !token.trim().is_empty())
            .ok_or(BearerError::InvalidRequest)?;
        let claims = self
            .verify_access_token(token)
            .map_err(|error| match error {
                AccessTokenError::Invalid(why) => BearerError::InvalidToken(why),
                AccessTokenError::Expired => {
                    BearerError::InvalidToken("the access token has expired")
                }
                AccessTokenError::Revoked => {
                    BearerError::InvalidToken("the access token has been revoked")
                }
            })?;
        if !claims.scope.split(' ').any(|s| s == "openid") {
            return Err(BearerError::InsufficientScope);
        }
        Ok(claims)
    }
}

/// `GET` or `POST /oauth2/userInfo`.
pub(super) async fn user_info(
    State(state): State<Arc<CognitoState>>,
    headers: HeaderMap,
) -> Response {
    let claims = match state.check_bearer_token(&headers) {
        Ok(claims) => claims,
        Err(error) => return error.into_response(),
    };
    match state
        .accounts
        .user(&claims.username)
        .filter(|u| u.sub == claims.sub)
    {
        Some(user) => {
            let email = releases_email(claims.scope.split(' '));
            json_response(
                StatusCode::OK,
                &UserInfo {
                    sub: &user.sub,
                    email_verified: email.then(|| user.email_verified.to_string()),
                    email: email.then_some(user.email.as_str()),
                    username: &user.username,
                },
            )
        }
        None => BearerError::InvalidToken("the user no longer exists").into_response(),
    }
}
