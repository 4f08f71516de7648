//! `POST /oauth2/token` (authorization_code with PKCE, refresh_token) and `POST /oauth2/revoke`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::minting::{IssuedTokens, RefreshRefusal, SignIn};
use super::{CognitoState, FormError, OAuthErrorBody, json_response, read_form};
use crate::config::AppClientConfig;

/// A refused token or revoke request: 400 with `{"error", "error_description"}` (RFC 6749 5.2).
/// Cognito's own descriptions are not documented; these say what to fix.
#[derive(Debug, thiserror::Error)]
pub(super) enum TokenError {
    /// A parameter is missing, repeated or malformed.
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// The body is larger than the endpoint accepts.
    #[error("invalid_request: {0}")]
    TooLarge(String),
    /// Unknown client.
    #[error("invalid_client: {0}")]
    InvalidClient(&'static str),
    /// The code or refresh token is unknown, used, expired, revoked, or bound to something else.
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    /// The client may not use this grant or token.
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(&'static str),
    /// A grant type other than authorization_code and refresh_token.
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(&'static str),
    /// Revocation of something that is not a refresh token.
    #[error("unsupported_token_type: {0}")]
    UnsupportedTokenType(&'static str),
    /// Signing failed.
    #[error("server_error: {0}")]
    Server(String),
}

impl From<FormError> for TokenError {
    fn from(error: FormError) -> Self {
        match error {
            FormError::TooLarge => Self::TooLarge(error.to_string()),
            FormError::ContentType | FormError::Malformed(_) => {
                Self::InvalidRequest(error.to_string())
            }
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, error, description) = match self {
            Self::InvalidRequest(d) => (StatusCode::BAD_REQUEST, "invalid_request", d),
            Self::TooLarge(d) => (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", d),
            Self::InvalidClient(d) => (StatusCode::BAD_REQUEST, "invalid_client", d.to_owned()),
            Self::InvalidGrant(d) => (StatusCode::BAD_REQUEST, "invalid_grant", d.to_owned()),
            Self::UnauthorizedClient(d) => {
                (StatusCode::BAD_REQUEST, "unauthorized_client", d.to_owned())
            }
            Self::UnsupportedGrantType(d) => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                d.to_owned(),
            ),
            Self::UnsupportedTokenType(d) => (
                StatusCode::BAD_REQUEST,
                "unsupported_token_type",
                d.to_owned(),
            ),
            Self::Server(d) => {
                tracing::error!("token endpoint failed: {d}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the tokens could not be signed".to_owned(),
                )
            }
        };
        json_response(
            status,
            &OAuthErrorBody {
                error,
                error_description: description,
            },
        )
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    // Other parameters (`scope` on refresh, as Cognito) are ignored.
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    token_type: &'static str,
    expires_in: u64,
}

impl TokenResponse {
    fn new(tokens: IssuedTokens, refresh_token: Option<String>) -> Self {
        Self {
            access_token: tokens.access_token,
            id_token: tokens.id_token,
            refresh_token,
            token_type: "Bearer",
            expires_in: tokens.expires_in,
        }
    }
}

fn required(value: Option<String>, name: &str) -> Result<String, TokenError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| TokenError::InvalidRequest(format!("{name} is missing")))
}

impl CognitoState {
    fn public_client(
        &self,
        client_id: Option<String>,
        secret: Option<&String>,
    ) -> Result<&AppClientConfig, TokenError> {
        let client_id = required(client_id, "client_id")?;
        let client = self.client(&client_id).ok_or(TokenError::InvalidClient(
            "client_id is unknown to this user pool",
        ))?;
        if secret.is_some() {
            return Err(TokenError::InvalidClient(
                "this app client is public and has no secret",
            ));
        }
        Ok(client)
    }

    fn exchange_code(&self, request: TokenRequest) -> Result<TokenResponse, TokenError> {
        let client = self.public_client(request.client_id, request.client_secret.as_ref())?;
        let code = required(request.code, "code")?;
        let redirect_uri = required(request.redirect_uri, "redirect_uri")?;
        let now = self.clock.now_secs();
        let grant = self
            .grants()
            .take_code(&code)
            .ok_or(TokenError::InvalidGrant(
                "the code is unknown or was already used",
            ))?;
        if grant.expires_at <= now {
            return Err(TokenError::InvalidGrant("the code has expired"));
        }
        if grant.client_id != client.client_id {
            return Err(TokenError::InvalidGrant(
                "the code was issued to another client",
            ));
        }
        if grant.redirect_uri != redirect_uri {
            return Err(TokenError::InvalidGrant(
                "redirect_uri differs from the authorize request's",
            ));
        }
        if let Some(challenge) = &grant.code_challenge {
            let verifier = request.code_verifier.ok_or(TokenError::InvalidGrant(
                "code_verifier is missing; the code was issued with a code_challenge",
            ))?;
            if !is_verifier(&verifier) {
                return Err(TokenError::InvalidGrant(
                    "code_verifier must be 43 to 128 unreserved characters",
                ));
            }
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                return Err(TokenError::InvalidGrant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        let user = self
            .accounts
            .user(&grant.username)
            .ok_or(TokenError::InvalidGrant("the user no longer exists"))?;
        let id_token = grant.scopes.iter().any(|s| s == "openid");
        let sign_in = SignIn {
            scopes: grant.scopes,
            id_token,
            auth_time: grant.auth_time,
            nonce: grant.nonce.as_deref(),
        };
        let (tokens, refresh_token) = self
            .start_sign_in(client, &user, sign_in)
            .map_err(|e| TokenError::Server(e.to_string()))?;
        Ok(TokenResponse::new(tokens, Some(refresh_token)))
    }

    fn refresh(&self, request: TokenRequest) -> Result<TokenResponse, TokenError> {
        let client = self.public_client(request.client_id, request.client_secret.as_ref())?;
        let token = required(request.refresh_token, "refresh_token")?;
        let (tokens, refresh_token) =
            self.refresh_sign_in(client, &token)
                .map_err(|refusal| match refusal {
                    RefreshRefusal::Refused(reason) => TokenError::InvalidGrant(reason),
                    RefreshRefusal::Sign(e) => TokenError::Server(e.to_string()),
                })?;
        Ok(TokenResponse::new(tokens, refresh_token))
    }
}

/// RFC 7636 4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `POST /oauth2/token`.
pub(super) async fn token(
    State(state): State<Arc<CognitoState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let request: TokenRequest = read_form(&headers, body).await?;
        match request.grant_type.as_deref() {
            Some("authorization_code") => state.exchange_code(request),
            Some("refresh_token") => state.refresh(request),
            Some("client_credentials") => Err(TokenError::UnauthorizedClient(
                "a public client cannot use client_credentials",
            )),
            Some(_) => Err(TokenError::UnsupportedGrantType(
                "grant_type must be authorization_code or refresh_token",
            )),
            None => Err(TokenError::InvalidRequest("grant_type is missing".into())),
        }
    }
    .await;
    match result {
        Ok(tokens) => json_response(StatusCode::OK, &tokens),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct RevokeRequest {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    // `token_type_hint` (RFC 7009) is ignored: the token's shape tells.
}

/// `POST /oauth2/revoke`: revokes a refresh token and the access tokens of its sign-in.
pub(super) async fn revoke(
    State(state): State<Arc<CognitoState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let request: RevokeRequest = read_form(&headers, body).await?;
        let client = state.public_client(request.client_id, request.client_secret.as_ref())?;
        let token = required(request.token, "token")?;
        // A JWT (header.payload.signature) is an access or ID token, which cannot be revoked here.
        if token.split('.').count() == 3 {
            return Err(TokenError::UnsupportedTokenType(
                "only refresh tokens can be revoked",
            ));
        }
        let mut grants = state.grants();
        match grants.refresh_tokens.client_of(&token) {
            Some(owner) if owner != client.client_id => Err(TokenError::UnauthorizedClient(
                "the token was issued to another client",
            )),
            // RFC 7009 2.2: an unknown token is answered like a revoked one.
            _ => {
                grants.refresh_tokens.revoke(
                    &token,
                    state.clock.now_secs(),
                    state.longest_access_token_lifetime(),
                );
                Ok(())
            }
        }
    }
    .await;
    match result {
        Ok(()) => super::no_store(StatusCode::OK.into_response()),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_rules_follow_rfc_7636() {
        assert!(is_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!is_verifier("short"));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", "a".repeat(42))));
        // RFC 7636 appendix B.
        assert_eq!(
            URL_SAFE_NO_PAD.encode(Sha256::digest(
                b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
            )),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
