//! Calls to the hosted UI's OAuth endpoints and to the issuer's key set, with `fetch`.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use web_sys::AbortSignal;

use super::error::AuthError;
use super::flow::Parameters;
use super::jwt::Jwks;
use super::session::TokenResponse;
use super::types::{AccessToken, AuthorizationCode, PkceCodeVerifier, RefreshToken};
use crate::config::AppConfig;
use crate::encoding;
use crate::json::{self, Object, Value};

const TOKEN_ENDPOINT: &str = "the token endpoint";
const REVOKE_ENDPOINT: &str = "the revoke endpoint";
const USER_INFO_ENDPOINT: &str = "the userInfo endpoint";
const JWKS_ENDPOINT: &str = "the issuer's key set (jwks.json)";
const FORM: &str = "application/x-www-form-urlencoded";
/// How long a revocation may take: signing out goes on to `/logout` after it whatever happened,
/// and must not hang on a server that does not answer.
pub const REVOKE_TIMEOUT_MS: u32 = 3000;

/// The form for `grant_type=authorization_code` (a public client: no secret, the verifier instead).
pub fn code_exchange_form(
    config: &AppConfig,
    code: &AuthorizationCode,
    verifier: &PkceCodeVerifier,
) -> Parameters {
    vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", config.client_id.to_string()),
        ("code", code.secret().into()),
        ("redirect_uri", config.redirect_uri.to_string()),
        ("code_verifier", verifier.secret().into()),
    ]
}

/// The form for `grant_type=refresh_token`.
pub fn refresh_form(config: &AppConfig, refresh_token: &RefreshToken) -> Parameters {
    vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", config.client_id.to_string()),
        ("refresh_token", refresh_token.secret().into()),
    ]
}

/// The form for `/oauth2/revoke`.
pub fn revoke_form(config: &AppConfig, refresh_token: &RefreshToken) -> Parameters {
    vec![
        ("token", refresh_token.secret().into()),
        ("client_id", config.client_id.to_string()),
    ]
}

/// Trades the callback's code (and the verifier only this tab knows) for tokens.
pub async fn exchange_code(
    config: &AppConfig,
    code: &AuthorizationCode,
    verifier: &PkceCodeVerifier,
) -> Result<TokenResponse, AuthError> {
    post_token(config, code_exchange_form(config, code, verifier)).await
}

/// Trades the refresh token for new tokens.
pub async fn refresh(
    config: &AppConfig,
    refresh_token: &RefreshToken,
) -> Result<TokenResponse, AuthError> {
    post_token(config, refresh_form(config, refresh_token)).await
}

/// Revokes the refresh token and the access tokens issued from it, giving up (as
/// [`AuthError::Unreachable`]) after [`REVOKE_TIMEOUT_MS`].
pub async fn revoke(config: &AppConfig, refresh_token: &RefreshToken) -> Result<(), AuthError> {
    let request = form_post(&config.hosted_ui_endpoint("/oauth2/revoke"))
        .abort_signal(Some(&AbortSignal::timeout_with_u32(REVOKE_TIMEOUT_MS)))
        .body(encoding::form(&revoke_form(config, refresh_token)));
    let response = send(request, REVOKE_ENDPOINT).await?;
    if response.ok() {
        Ok(())
    } else {
        Err(oauth_error(response, REVOKE_ENDPOINT).await)
    }
}

/// The user's attributes from `/oauth2/userInfo`. A 401 is reported as
/// [`AuthError::Status`] so the caller can refresh once and retry.
pub async fn user_info(
    config: &AppConfig,
    access_token: &AccessToken,
) -> Result<Object, AuthError> {
    let request = Request::get(&config.hosted_ui_endpoint("/oauth2/userInfo"))
        .header(
            "Authorization",
            &format!("Bearer {}", access_token.secret()),
        )
        .build();
    let response = send(request, USER_INFO_ENDPOINT).await?;
    let text = body_text(response, USER_INFO_ENDPOINT).await?;
    match json::parse(&text) {
        Ok(Value::Object(attributes)) => Ok(attributes),
        Ok(_) => Err(bad_response(
            USER_INFO_ENDPOINT,
            "the answer is not a JSON object".into(),
        )),
        Err(message) => Err(bad_response(USER_INFO_ENDPOINT, message)),
    }
}

/// The issuer's public keys.
pub async fn jwks(config: &AppConfig) -> Result<Jwks, AuthError> {
    let response = send(Request::get(&config.jwks_url()).build(), JWKS_ENDPOINT).await?;
    json_body(response, JWKS_ENDPOINT).await
}

async fn post_token(config: &AppConfig, form: Parameters) -> Result<TokenResponse, AuthError> {
    let response = send(
        form_post(&config.hosted_ui_endpoint("/oauth2/token")).body(encoding::form(&form)),
        TOKEN_ENDPOINT,
    )
    .await?;
    if response.ok() {
        json_body(response, TOKEN_ENDPOINT).await
    } else {
        Err(oauth_error(response, TOKEN_ENDPOINT).await)
    }
}

/// A form POST, waiting for its body; building it fails only on an unusable URL, which [`send`]
/// reports.
fn form_post(url: &str) -> RequestBuilder {
    Request::post(url).header("Content-Type", FORM)
}

async fn send(
    request: Result<Request, gloo_net::Error>,
    endpoint: &'static str,
) -> Result<Response, AuthError> {
    request
        .map_err(|error| unreachable(endpoint, &error))?
        .send()
        .await
        .map_err(|error| unreachable(endpoint, &error))
}

fn unreachable(endpoint: &'static str, error: &gloo_net::Error) -> AuthError {
    AuthError::Unreachable {
        endpoint,
        message: error.to_string(),
    }
}

fn bad_response(endpoint: &'static str, message: String) -> AuthError {
    AuthError::BadResponse { endpoint, message }
}

/// The body of a 2xx answer; any other status is [`AuthError::Status`].
async fn body_text(response: Response, endpoint: &'static str) -> Result<String, AuthError> {
    if !response.ok() {
        return Err(AuthError::Status {
            endpoint,
            status: response.status(),
        });
    }
    response
        .text()
        .await
        .map_err(|error| unreachable(endpoint, &error))
}

async fn json_body<T: DeserializeOwned>(
    response: Response,
    endpoint: &'static str,
) -> Result<T, AuthError> {
    let text = body_text(response, endpoint).await?;
    json::from_text(&text).map_err(|message| bad_response(endpoint, message))
}

/// `{"error": ..., "error_description": ...}` (RFC 6749 5.2), or the bare status.
async fn oauth_error(response: Response, endpoint: &'static str) -> AuthError {
    #[derive(Deserialize)]
    struct OAuthError {
        error: String,
        error_description: Option<String>,
    }
    let status = response.status();
    match response
        .text()
        .await
        .map(|text| json::from_text::<OAuthError>(&text))
    {
        Ok(Ok(OAuthError {
            error,
            error_description,
        })) => AuthError::Refused {
            endpoint,
            error,
            description: error_description,
        },
        _ => AuthError::Status { endpoint, status },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config() -> AppConfig {
        crate::config::tests::shipped()
    }

    fn fields(form: Parameters) -> HashMap<&'static str, String> {
        form.into_iter().collect()
    }

    #[test]
    fn the_code_exchange_sends_the_verifier_and_no_secret() {
        let form = code_exchange_form(
            &config(),
            &AuthorizationCode::new("the code"),
            &PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        );
        let fields = fields(form);
        assert_eq!(fields.len(), 5);
        assert_eq!(fields["grant_type"], "authorization_code");
        assert_eq!(fields["client_id"], "3n4b5urk1ft4fl3mg5e62d9ado");
        assert_eq!(fields["code"], "the code");
        assert_eq!(fields["redirect_uri"], "http://localhost:8080/callback");
        assert_eq!(
            fields["code_verifier"],
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }

    #[test]
    fn the_refresh_and_revoke_forms_carry_the_refresh_token() {
        let token = RefreshToken::new("r+1/=");
        let fields_refresh = fields(refresh_form(&config(), &token));
        assert_eq!(fields_refresh.len(), 3);
        assert_eq!(fields_refresh["grant_type"], "refresh_token");
        assert_eq!(fields_refresh["refresh_token"], "r+1/=");
        let fields_revoke = fields(revoke_form(&config(), &token));
        assert_eq!(fields_revoke.len(), 2);
        assert_eq!(fields_revoke["token"], "r+1/=");
        assert_eq!(fields_revoke["client_id"], "3n4b5urk1ft4fl3mg5e62d9ado");
    }
}
