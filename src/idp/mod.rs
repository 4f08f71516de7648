//! Cognito's identity-provider JSON API, the user operations the Account security page needs:
//! GetUser, AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference, ChangePassword,
//! GlobalSignOut, each authorised by the session's access token (which must carry
//! `aws.cognito.signin.user.admin`).
//!
//! Pure and tested on the host: [`wire`] (the endpoint, request bodies, reading answers),
//! [`explain`] (errors in words), [`totp`] (the secret, the Key URI, the QR code). The one
//! browser function is [`call`].

pub mod explain;
pub mod totp;
pub mod wire;

use gloo_net::http::{Method, RequestBuilder};
use serde_json::Value;

use crate::auth::{Auth, AuthError};
pub use explain::{Trouble, explain};
pub use wire::{IdpError, Operation, Request};

/// The endpoint the calls go to (the origin of config.json's issuer, see [`wire::endpoint`]).
pub fn endpoint(auth: Auth) -> String {
    wire::endpoint(&auth.config().issuer)
}

/// `error`, met while doing `operation`, explained (see [`explain()`]).
pub fn explained(auth: Auth, operation: Operation, error: &IdpError) -> Trouble {
    explain(operation, error, &endpoint(auth))
}

/// Sends `request` with the session's access token (renewed first when it is about to expire)
/// and returns the operation's JSON answer, or what went wrong in words. The request, and any
/// password in it, is dropped when the call ends.
pub async fn call(auth: Auth, request: Request) -> Result<Value, Trouble> {
    let endpoint = endpoint(auth);
    send(auth, &endpoint, &request)
        .await
        .map_err(|error| explain(request.operation(), &error, &endpoint))
}

async fn send(auth: Auth, endpoint: &str, request: &Request) -> Result<Value, IdpError> {
    let token = auth
        .fresh_access_token()
        .await
        .map_err(|error| match error {
            AuthError::NotSignedIn => IdpError::NotSignedIn,
            error => IdpError::TokenNotRenewed(error),
        })?;
    let built = RequestBuilder::new(endpoint)
        .method(Method::POST)
        .header("Content-Type", wire::AMZ_JSON)
        .header("X-Amz-Target", &request.operation().target())
        .body(request.body(&token));
    // Building fails only on an address the browser cannot parse; the issuer was checked.
    let response = match built.map_err(|_| IdpError::Unreachable)?.send().await {
        Ok(response) => response,
        Err(_) if crate::api::answers_without_cors(endpoint).await => {
            return Err(IdpError::BlockedByCors);
        }
        Err(_) => return Err(IdpError::Unreachable),
    };
    let status = response.status();
    let error_type = response.headers().get("x-amzn-errortype");
    let text = response.text().await.unwrap_or_default();
    wire::read_answer(status, error_type.as_deref(), &text)
}
