//! The identity-provider JSON API (what `aws cognito-idp ...`, boto3 and AWS's browser SDK
//! call): `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>` and a JSON
//! body (`application/x-amz-json-1.1`). Answers are 200 with a JSON object, or 400
//! `{"__type", "message"}` with `x-amzn-ErrorType`, as AWS's JSON protocol has them
//! (`shared/reference/account-lifecycle.md`, section 1).
//!
//! This file: dispatch by target, the error answer, the headers of every answer (a request id,
//! CORS for browsers) and the preflight. The operations, by job: `sign_in.rs` (InitiateAuth and
//! the challenges), `accounts.rs` (sign-up and password reset), `admin.rs` (the SigV4-signed
//! Admin* operations), `me.rs` (the access-token operations); `request.rs` reads bodies.
//!
//! Choices where AWS documents nothing are listed in devstack/README.md ("The identity-provider JSON API").

mod accounts;
mod admin;
mod me;
mod request;
mod sign_in;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::CognitoState;
use crate::accounts::{AccountError, User};
use crate::config::AppClientConfig;
use request::Request;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const AMZ_JSON: &str = "application/x-amz-json-1.1";
/// How long a browser may cache the preflight: Chromium's cap.
const PREFLIGHT_MAX_AGE_SECS: &str = "7200";
/// The headers a browser script may read: AWS's browser SDK reads the error type from
/// `x-amzn-ErrorType` when a body is not JSON.
const EXPOSED_HEADERS: &str = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date";
/// What a preflight allows when it names no headers: what AWS's browser SDK sends.
const DEFAULT_ALLOWED_HEADERS: &str = "content-type, x-amz-target, x-amz-user-agent, cache-control";

/// A refusal as AWS's JSON protocol sends it: `{"__type": kind, "message": message}`, 400 for a
/// client error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub(super) struct AwsError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl AwsError {
    fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind,
            message: message.into(),
        }
    }

    fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    fn not_authorized(message: impl Into<String>) -> Self {
        Self::new("NotAuthorizedException", message)
    }

    /// A server fault (signing failed, a password check panicked): 500, and logged, since it is
    /// devstack's bug. The message never carries request data.
    fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::error!("identity-provider API failed: {message}");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "InternalErrorException",
            message,
        }
    }
}

impl From<AccountError> for AwsError {
    fn from(error: AccountError) -> Self {
        Self::new(error.kind.name(), error.message)
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let body = json!({ "__type": self.kind, "message": self.message });
        let mut response = amz_json(self.status, &body);
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static("x-amzn-errortype"),
            HeaderValue::from_static(self.kind),
        );
        if let Ok(message) = HeaderValue::from_str(&self.message) {
            headers.insert(HeaderName::from_static("x-amzn-errormessage"), message);
        }
        response
    }
}

/// What an operation answers.
type Answer = Result<Value, AwsError>;

fn amz_json(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, AMZ_JSON)], body.to_string()).into_response()
}

/// The operations devstack implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    InitiateAuth,
    RespondToAuthChallenge,
    AdminInitiateAuth,
    AdminRespondToAuthChallenge,
    SignUp,
    ConfirmSignUp,
    ResendConfirmationCode,
    ForgotPassword,
    ConfirmForgotPassword,
    AdminCreateUser,
    AdminSetUserPassword,
    AdminGetUser,
    AdminAddUserToGroup,
    AdminDeleteUser,
    AdminResetUserPassword,
    GetUser,
    ChangePassword,
    GlobalSignOut,
    AssociateSoftwareToken,
    VerifySoftwareToken,
    SetUserMfaPreference,
}

impl Operation {
    const ALL: [Self; 21] = [
        Self::InitiateAuth,
        Self::RespondToAuthChallenge,
        Self::AdminInitiateAuth,
        Self::AdminRespondToAuthChallenge,
        Self::SignUp,
        Self::ConfirmSignUp,
        Self::ResendConfirmationCode,
        Self::ForgotPassword,
        Self::ConfirmForgotPassword,
        Self::AdminCreateUser,
        Self::AdminSetUserPassword,
        Self::AdminGetUser,
        Self::AdminAddUserToGroup,
        Self::AdminDeleteUser,
        Self::AdminResetUserPassword,
        Self::GetUser,
        Self::ChangePassword,
        Self::GlobalSignOut,
        Self::AssociateSoftwareToken,
        Self::VerifySoftwareToken,
        Self::SetUserMfaPreference,
    ];

    /// The name in `X-Amz-Target`.
    fn name(self) -> &'static str {
        match self {
            Self::InitiateAuth => "InitiateAuth",
            Self::RespondToAuthChallenge => "RespondToAuthChallenge",
            Self::AdminInitiateAuth => "AdminInitiateAuth",
            Self::AdminRespondToAuthChallenge => "AdminRespondToAuthChallenge",
            Self::SignUp => "SignUp",
            Self::ConfirmSignUp => "ConfirmSignUp",
            Self::ResendConfirmationCode => "ResendConfirmationCode",
            Self::ForgotPassword => "ForgotPassword",
            Self::ConfirmForgotPassword => "ConfirmForgotPassword",
            Self::AdminCreateUser => "AdminCreateUser",
            Self::AdminSetUserPassword => "AdminSetUserPassword",
            Self::AdminGetUser => "AdminGetUser",
            Self::AdminAddUserToGroup => "AdminAddUserToGroup",
            Self::AdminDeleteUser => "AdminDeleteUser",
            Self::AdminResetUserPassword => "AdminResetUserPassword",
            Self::GetUser => "GetUser",
            Self::ChangePassword => "ChangePassword",
            Self::GlobalSignOut => "GlobalSignOut",
            Self::AssociateSoftwareToken => "AssociateSoftwareToken",
            Self::VerifySoftwareToken => "VerifySoftwareToken",
            Self::SetUserMfaPreference => "SetUserMFAPreference",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// AWS wants these signed with IAM credentials (SigV4).
    fn is_admin(self) -> bool {
        self.name().starts_with("Admin")
    }

    /// These hash or check passwords (argon2): they run on the bounded blocking pool.
    fn checks_passwords(self) -> bool {
        matches!(
            self,
            Self::InitiateAuth
                | Self::RespondToAuthChallenge
                | Self::AdminInitiateAuth
                | Self::AdminRespondToAuthChallenge
                | Self::SignUp
                | Self::ConfirmForgotPassword
                | Self::AdminCreateUser
                | Self::AdminSetUserPassword
                | Self::ChangePassword
        )
    }

    fn run(self, state: &CognitoState, request: &Request) -> Answer {
        match self {
            Self::InitiateAuth => sign_in::initiate_auth(state, request),
            Self::RespondToAuthChallenge => sign_in::respond_to_auth_challenge(state, request),
            Self::AdminInitiateAuth => sign_in::admin_initiate_auth(state, request),
            Self::AdminRespondToAuthChallenge => {
                sign_in::admin_respond_to_auth_challenge(state, request)
            }
            Self::SignUp => accounts::sign_up(state, request),
            Self::ConfirmSignUp => accounts::confirm_sign_up(state, request),
            Self::ResendConfirmationCode => accounts::resend_confirmation_code(state, request),
            Self::ForgotPassword => accounts::forgot_password(state, request),
            Self::ConfirmForgotPassword => accounts::confirm_forgot_password(state, request),
            Self::AdminCreateUser => admin::create_user(state, request),
            Self::AdminSetUserPassword => admin::set_user_password(state, request),
            Self::AdminGetUser => admin::get_user(state, request),
            Self::AdminAddUserToGroup => admin::add_user_to_group(state, request),
            Self::AdminDeleteUser => admin::delete_user(state, request),
            Self::AdminResetUserPassword => admin::reset_user_password(state, request),
            Self::GetUser => me::get_user(state, request),
            Self::ChangePassword => me::change_password(state, request),
            Self::GlobalSignOut => me::global_sign_out(state, request),
            Self::AssociateSoftwareToken => me::associate_software_token(state, request),
            Self::VerifySoftwareToken => me::verify_software_token(state, request),
            Self::SetUserMfaPreference => me::set_user_mfa_preference(state, request),
        }
    }
}

/// `POST /`.
pub(super) async fn dispatch(
    State(state): State<Arc<CognitoState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let response = match handle(state, &headers, body).await {
        Ok(answer) => amz_json(StatusCode::OK, &answer),
        Err(error) => error.into_response(),
    };
    with_common_headers(response)
}

async fn handle(state: Arc<CognitoState>, headers: &HeaderMap, body: Body) -> Answer {
    let operation = operation(headers)?;
    if operation.is_admin() && !is_signed(headers) {
        return Err(missing_authentication());
    }
    let request = Request::read(body).await?;
    if !operation.checks_passwords() {
        return operation.run(&state, &request);
    }
    // argon2 is CPU and memory work: off the async workers, bounded.
    let checker = state.clone();
    state
        .password_checks
        .run(move || operation.run(&checker, &request))
        .await
        .unwrap_or_else(|| Err(AwsError::internal("the password check failed")))
}

fn operation(headers: &HeaderMap) -> Result<Operation, AwsError> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match target.strip_prefix(TARGET_PREFIX) {
        Some(name) if !name.is_empty() => Operation::from_name(name).ok_or_else(|| {
            AwsError::new(
                "UnknownOperationException",
                format!("devstack does not implement the operation {name}"),
            )
        }),
        _ => Err(AwsError::new(
            "UnknownOperationException",
            format!("Send the operation as X-Amz-Target: {TARGET_PREFIX}<Operation>"),
        )),
    }
}

/// devstack cannot check IAM credentials; it asks only that the request be SigV4-signed, as
/// the AWS CLI and SDKs sign with any credentials (dummy ones locally).
fn is_signed(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256"))
}

/// AWS's common error for a request without a signature (its documented status is 403).
fn missing_authentication() -> AwsError {
    AwsError {
        status: StatusCode::FORBIDDEN,
        kind: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token".into(),
    }
}

/// Every answer of `POST /` and `OPTIONS /`: a request id, and CORS for browser scripts of any
/// origin (AWS's browser SDK calls the API cross-origin; no cookies are involved).
fn with_common_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(HeaderName::from_static("x-amzn-requestid"), id);
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
    response
}

/// `OPTIONS /`: the CORS preflight, allowed for any origin and the headers asked for.
pub(super) async fn preflight(headers: HeaderMap) -> Response {
    let allowed = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOWED_HEADERS));
    let mut response = StatusCode::OK.into_response();
    let answer = response.headers_mut();
    answer.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    answer.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed);
    answer.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECS),
    );
    answer.insert(
        header::VARY,
        HeaderValue::from_static("Access-Control-Request-Headers"),
    );
    with_common_headers(response)
}

/// The app client `ClientId` names.
fn client<'a>(state: &'a CognitoState, request: &Request) -> Result<&'a AppClientConfig, AwsError> {
    let client_id = request.str("ClientId")?;
    state.client(client_id).ok_or_else(|| {
        AwsError::new(
            "ResourceNotFoundException",
            format!("User pool client {client_id} does not exist."),
        )
    })
}

/// Checks that `UserPoolId` names this pool (the Admin* operations).
fn check_pool(state: &CognitoState, request: &Request) -> Result<(), AwsError> {
    let pool_id = request.str("UserPoolId")?;
    if pool_id == state.config.user_pool.id {
        Ok(())
    } else {
        Err(AwsError::new(
            "ResourceNotFoundException",
            format!("User pool {pool_id} does not exist."),
        ))
    }
}

/// The user's attributes as Cognito lists them: `[{"Name", "Value"}]`, values strings.
fn attributes(user: &User) -> Value {
    json!([
        {"Name": "sub", "Value": user.sub},
        {"Name": "email_verified", "Value": user.email_verified.to_string()},
        {"Name": "email", "Value": user.email},
    ])
}

/// The attributes a request may set: devstack's users have only `email` (and `email_verified`,
/// which only administrators set). `allow_verified` is for AdminCreateUser.
fn check_attribute_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
    allow_verified: bool,
) -> Result<(), AwsError> {
    for name in names {
        match name {
            "email" => {}
            "email_verified" if allow_verified => {}
            // Cognito's answer for an attribute the app client may not write.
            "email_verified" | "sub" => {
                return Err(AwsError::not_authorized(
                    "A client attempted to write unauthorized attribute",
                ));
            }
            other => {
                return Err(AwsError::invalid_parameter(format!(
                    "Attributes did not conform to the schema: {other}: Attribute does not exist \
                     in the schema."
                )));
            }
        }
    }
    Ok(())
}

/// `CodeDeliveryDetails`: always e-mail here.
fn code_delivery(destination: &str) -> Value {
    json!({
        "Destination": destination,
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_round_trip_through_their_names() {
        for operation in Operation::ALL {
            assert_eq!(Operation::from_name(operation.name()), Some(operation));
        }
        assert_eq!(Operation::from_name("ListUsers"), None);
        assert_eq!(Operation::ALL.iter().filter(|op| op.is_admin()).count(), 8);
        assert_eq!(
            Operation::from_name("SetUserMFAPreference"),
            Some(Operation::SetUserMfaPreference)
        );
    }

    #[test]
    fn only_the_email_attribute_can_be_written() {
        assert!(check_attribute_names(["email"], false).is_ok());
        assert!(check_attribute_names(["email", "email_verified"], true).is_ok());
        assert_eq!(
            check_attribute_names(["email_verified"], false)
                .unwrap_err()
                .kind,
            "NotAuthorizedException"
        );
        assert_eq!(
            check_attribute_names(["name"], true).unwrap_err().message,
            "Attributes did not conform to the schema: name: Attribute does not exist in the schema."
        );
    }
}
