//! The one error type of the handlers, answered as JSON `{"message": ...}`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Everything a handler can refuse; each variant's message is safe to show to the caller.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A protected route ran without API Gateway's JWT authorizer in front of it. Only a
    /// deployment mistake (a route without `AuthorizationType: JWT`) leads here.
    #[error("Unauthorized: this route expects API Gateway's JWT authorizer, and none ran")]
    MissingAuthorizer,
    /// The authorizer passed a token that lacks a claim this handler needs.
    #[error("The token has no `{0}` claim")]
    MissingClaim(&'static str),
    /// The caller is not in the Cognito group `admin`.
    #[error("Forbidden: /admin is only for members of the `admin` group")]
    NotAdmin,
    /// The body was sent with a content type other than JSON.
    #[error("Send the body as JSON, with `content-type: application/json`")]
    UnsupportedMediaType,
    /// The body is not a JSON document.
    #[error("The body is not valid JSON: {0}")]
    InvalidJson(String),
    /// The body is larger than the handler accepts.
    #[error("The body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The largest body accepted, in bytes.
        limit: usize,
    },
    /// The body could not be read (the connection broke, or it was malformed on the wire).
    #[error("The request body could not be read")]
    UnreadableBody,
    /// No route matches the method and path.
    #[error("Not Found")]
    NotFound,
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            Self::MissingAuthorizer => StatusCode::UNAUTHORIZED,
            Self::MissingClaim(_) | Self::NotAdmin => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidJson(_) | Self::UnreadableBody => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status(), Json(json!({ "message": self.to_string() }))).into_response()
    }
}
