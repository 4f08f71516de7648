//! The identity-provider JSON API (what `aws cognito-idp ...` calls): `POST /` with
//! `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`. Only `InitiateAuth` with
//! `USER_PASSWORD_AUTH` and `REFRESH_TOKEN_AUTH` (or `REFRESH_TOKEN`) is implemented; other
//! operations answer `UnknownOperationException`.
//!
//! Try it: `aws cognito-idp initiate-auth --endpoint-url http://localhost:9229 --region us-east-1
//! --auth-flow USER_PASSWORD_AUTH --client-id <id> --auth-parameters USERNAME=demo,PASSWORD=...`
//! (the client needs `ALLOW_USER_PASSWORD_AUTH` in `explicit_auth_flows`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::tokens::{IssuedTokens, RefreshRefusal, SignIn};
use super::{CognitoState, MAX_FORM_BYTES};

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const AMZ_JSON: &str = "application/x-amz-json-1.1";

/// An error as the AWS JSON protocol sends it: 400 `{"__type", "message"}` and
/// `x-amzn-ErrorType`.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
struct AwsError {
    kind: &'static str,
    message: String,
}

fn aws_error(kind: &'static str, message: impl Into<String>) -> AwsError {
    AwsError {
        kind,
        message: message.into(),
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "__type": self.kind, "message": self.message });
        let mut response = amz_json(StatusCode::BAD_REQUEST, &body);
        if let Ok(kind) = HeaderValue::from_str(self.kind) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-amzn-errortype"), kind);
        }
        response
    }
}

fn amz_json(status: StatusCode, body: &impl Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, AMZ_JSON)], text).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateAuthRequest {
    auth_flow: Option<String>,
    client_id: Option<String>,
    #[serde(default)]
    auth_parameters: HashMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AuthenticationResult {
    access_token: String,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    token_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateAuthResponse {
    authentication_result: AuthenticationResult,
    challenge_parameters: HashMap<String, String>,
}

impl InitiateAuthResponse {
    fn new(tokens: IssuedTokens, refresh_token: Option<String>) -> Self {
        Self {
            authentication_result: AuthenticationResult {
                access_token: tokens.access_token,
                expires_in: tokens.expires_in,
                id_token: tokens.id_token,
                refresh_token,
                token_type: "Bearer",
            },
            challenge_parameters: HashMap::new(),
        }
    }
}

/// `POST /`.
pub(super) async fn dispatch(
    State(state): State<Arc<CognitoState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let result = match target.strip_prefix(TARGET_PREFIX) {
        Some("InitiateAuth") => match read_json(body).await {
            // Password hashing is CPU and memory work: off the async workers, bounded.
            Ok(request) => {
                let checker = state.clone();
                state
                    .password_checks
                    .run(move || checker.initiate_auth(request))
                    .await
                    .unwrap_or_else(|| {
                        Err(aws_error(
                            "InternalErrorException",
                            "the password check failed",
                        ))
                    })
            }
            Err(error) => Err(error),
        },
        Some(operation) if !operation.is_empty() => Err(aws_error(
            "UnknownOperationException",
            format!("devstack does not implement {operation}; only InitiateAuth"),
        )),
        _ => Err(aws_error(
            "UnknownOperationException",
            format!("send X-Amz-Target: {TARGET_PREFIX}<Operation>"),
        )),
    };
    match result {
        Ok(answer) => amz_json(StatusCode::OK, &answer),
        Err(error) => error.into_response(),
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, AwsError> {
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            aws_error(
                "InvalidParameterException",
                format!("the request body is larger than {MAX_FORM_BYTES} bytes"),
            )
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        aws_error(
            "SerializationException",
            format!("the body is not a valid request: {e}"),
        )
    })
}

impl CognitoState {
    fn initiate_auth(
        &self,
        request: InitiateAuthRequest,
    ) -> Result<InitiateAuthResponse, AwsError> {
        let client_id = request.client_id.unwrap_or_default();
        let client = self.client(&client_id).ok_or_else(|| {
            aws_error(
                "ResourceNotFoundException",
                format!("User pool client {client_id} does not exist."),
            )
        })?;
        let allows = |flow: &str| client.explicit_auth_flows.iter().any(|f| f == flow);
        let parameter = |name: &str| {
            request
                .auth_parameters
                .get(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    aws_error(
                        "InvalidParameterException",
                        format!("Missing required parameter {name}"),
                    )
                })
        };
        match request.auth_flow.as_deref() {
            Some("USER_PASSWORD_AUTH") => {
                if !allows("ALLOW_USER_PASSWORD_AUTH") {
                    return Err(aws_error(
                        "InvalidParameterException",
                        "USER_PASSWORD_AUTH flow not enabled for this client",
                    ));
                }
                let username = parameter("USERNAME")?;
                let password = parameter("PASSWORD")?;
                // One answer for an unknown user and a wrong password
                // (PreventUserExistenceErrors).
                let progress = self
                    .accounts
                    .sign_in(&client.client_id, username, password, self.clock.now_secs())
                    .map_err(|e| aws_error(e.kind.name(), e.message))?;
                let user = self.accounts.user(&progress.username).ok_or_else(|| {
                    aws_error("NotAuthorizedException", "Incorrect username or password.")
                })?;
                let sign_in = SignIn {
                    // Tokens of the JSON API carry this scope only, and always an ID token.
                    scopes: vec!["aws.cognito.signin.user.admin".into()],
                    id_token: true,
                    auth_time: self.clock.now_secs(),
                    nonce: None,
                };
                let (tokens, refresh_token) = self
                    .start_sign_in(client, &user, sign_in)
                    .map_err(|e| aws_error("InternalErrorException", e.to_string()))?;
                Ok(InitiateAuthResponse::new(tokens, Some(refresh_token)))
            }
            Some("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN") => {
                if !allows("ALLOW_REFRESH_TOKEN_AUTH") {
                    return Err(aws_error(
                        "InvalidParameterException",
                        "REFRESH_TOKEN_AUTH flow not enabled for this client",
                    ));
                }
                let token = parameter("REFRESH_TOKEN")?;
                let (tokens, refresh_token) =
                    self.refresh_sign_in(client, token)
                        .map_err(|refusal| match refusal {
                            RefreshRefusal::Refused(_) => {
                                aws_error("NotAuthorizedException", "Invalid Refresh Token")
                            }
                            RefreshRefusal::Sign(e) => {
                                aws_error("InternalErrorException", e.to_string())
                            }
                        })?;
                Ok(InitiateAuthResponse::new(tokens, refresh_token))
            }
            Some(flow) => Err(aws_error(
                "InvalidParameterException",
                format!(
                    "devstack does not support the auth flow {flow}; use USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH"
                ),
            )),
            None => Err(aws_error(
                "InvalidParameterException",
                "Missing required parameter AuthFlow",
            )),
        }
    }
}
