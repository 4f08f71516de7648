//! The user operations of Cognito's identity-provider JSON API as the page sends them, and what
//! comes back: `POST <endpoint>/` with `Content-Type: application/x-amz-json-1.1`,
//! `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>` and a JSON body carrying the
//! access token as `AccessToken` (never an `Authorization` header). Errors are a 4xx or 5xx with
//! `{"__type": "<Exception>", "message": "..."}`, the type also in `x-amzn-ErrorType`.

use super::totp::TotpSecret;
use crate::auth::AccessToken;
use crate::json::{self, Object, Value};

/// The body's media type (AWS JSON 1.1).
pub const AMZ_JSON: &str = "application/x-amz-json-1.1";

/// The scope every access token sent to these operations must carry.
pub const USER_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// Whether the app asks for [`USER_ADMIN_SCOPE`] (config.json's `scopes`), so that the Account
/// security page is offered.
pub fn scope_requested(config_scopes: &[String]) -> bool {
    config_scopes.iter().any(|scope| scope == USER_ADMIN_SCOPE)
}

/// The endpoint: the origin of the issuer, plus `/`. Cognito's issuer is
/// `https://cognito-idp.<region>.amazonaws.com/<pool id>`, whose origin is the JSON API's
/// endpoint; devstack serves both on one origin too. `issuer` is config.json's, which was
/// checked to be an absolute http(s) URL with no user info, query or fragment.
pub fn endpoint(issuer: &str) -> String {
    let authority_start = issuer.find("://").map_or(0, |i| i + 3);
    let authority_end = issuer[authority_start..]
        .find('/')
        .map_or(issuer.len(), |i| authority_start + i);
    format!("{}/", &issuer[..authority_end])
}

/// A password typed into the change-password form. `Debug` prints `[redacted]`; it goes
/// nowhere but the ChangePassword body.
#[derive(PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    /// Wraps what was typed.
    pub fn new(text: String) -> Self {
        Self(text)
    }
}

/// What the page does, each one operation of the API (two use SetUserMFAPreference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Reads whether an authenticator is set up and preferred.
    GetUser,
    /// Starts setting up an authenticator: a new secret.
    AssociateSoftwareToken,
    /// Checks the first code of the new secret.
    VerifySoftwareToken,
    /// SetUserMFAPreference: the authenticator enabled and preferred.
    TurnOnTotp,
    /// SetUserMFAPreference: the authenticator disabled.
    TurnOffTotp,
    /// Changes the password.
    ChangePassword,
    /// Signs the user out of every device.
    GlobalSignOut,
}

impl Operation {
    /// The operation's name in the API.
    pub const fn name(self) -> &'static str {
        match self {
            Operation::GetUser => "GetUser",
            Operation::AssociateSoftwareToken => "AssociateSoftwareToken",
            Operation::VerifySoftwareToken => "VerifySoftwareToken",
            Operation::TurnOnTotp | Operation::TurnOffTotp => "SetUserMFAPreference",
            Operation::ChangePassword => "ChangePassword",
            Operation::GlobalSignOut => "GlobalSignOut",
        }
    }

    /// The `X-Amz-Target` header.
    pub fn target(self) -> String {
        format!("AWSCognitoIdentityProviderService.{}", self.name())
    }
}

/// One call, with what it sends besides the access token.
#[derive(Debug)]
pub enum Request {
    /// `GetUser {AccessToken}`.
    GetUser,
    /// `AssociateSoftwareToken {AccessToken}`.
    AssociateSoftwareToken,
    /// `VerifySoftwareToken {AccessToken, UserCode, FriendlyDeviceName?}`.
    VerifySoftwareToken {
        /// Six digits, checked with [`super::totp::check_code`].
        code: String,
        /// Sent only when not empty.
        device_name: String,
    },
    /// `SetUserMFAPreference {AccessToken, SoftwareTokenMfaSettings {Enabled, PreferredMfa}}`:
    /// on means enabled and preferred, off means neither.
    SetTotp {
        /// On or off.
        enabled: bool,
    },
    /// `ChangePassword {AccessToken, PreviousPassword, ProposedPassword}`.
    ChangePassword {
        /// The current password.
        previous: Password,
        /// The new one.
        proposed: Password,
    },
    /// `GlobalSignOut {AccessToken}`.
    GlobalSignOut,
}

impl Request {
    /// What the page does with it.
    pub fn operation(&self) -> Operation {
        match self {
            Request::GetUser => Operation::GetUser,
            Request::AssociateSoftwareToken => Operation::AssociateSoftwareToken,
            Request::VerifySoftwareToken { .. } => Operation::VerifySoftwareToken,
            Request::SetTotp { enabled: true } => Operation::TurnOnTotp,
            Request::SetTotp { enabled: false } => Operation::TurnOffTotp,
            Request::ChangePassword { .. } => Operation::ChangePassword,
            Request::GlobalSignOut => Operation::GlobalSignOut,
        }
    }

    /// The JSON body, with `token` as `AccessToken`.
    pub fn body(&self, token: &AccessToken) -> String {
        let mut body = Object::new();
        body.push("AccessToken", token.secret());
        match self {
            Request::GetUser | Request::AssociateSoftwareToken | Request::GlobalSignOut => {}
            Request::VerifySoftwareToken { code, device_name } => {
                body.push("UserCode", code.as_str());
                if !device_name.trim().is_empty() {
                    body.push("FriendlyDeviceName", device_name.trim());
                }
            }
            Request::SetTotp { enabled } => {
                let mut settings = Object::new();
                settings.push("Enabled", *enabled);
                settings.push("PreferredMfa", *enabled);
                body.push("SoftwareTokenMfaSettings", settings);
            }
            Request::ChangePassword { previous, proposed } => {
                body.push("PreviousPassword", previous.0.as_str());
                body.push("ProposedPassword", proposed.0.as_str());
            }
        }
        Value::Object(body).to_string()
    }
}

/// Why a call did not give the answer the page wanted.
#[derive(Clone, Debug, PartialEq)]
pub enum IdpError {
    /// Cognito refused: an error type (`NotAuthorizedException`, ...) and its message.
    Refused {
        /// The exception's name, without any `namespace#` prefix.
        kind: String,
        /// Cognito's text.
        message: String,
    },
    /// An HTTP status with no error type in it: not Cognito's answer (a proxy, a wrong
    /// endpoint), or a fault with no body.
    Status(u16),
    /// 200, but not the answer the operation gives; says what is missing.
    Unexpected(&'static str),
    /// The endpoint answers, but the browser withheld its answer from the page (CORS).
    BlockedByCors,
    /// Nothing answered (network, a wrong endpoint, or the page's CSP refusing the address).
    Unreachable,
    /// No session, so no access token.
    NotSignedIn,
    /// The access token had expired and could not be renewed: nothing was sent.
    TokenNotRenewed(crate::auth::AuthError),
}

impl IdpError {
    fn refused(kind: &str, message: &str) -> Self {
        IdpError::Refused {
            kind: kind.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// An answer's body as JSON: an empty body counts as `{}`, text that is not JSON as `None`.
/// Parsed by the browser ([`json::parse`]).
pub fn body_json(text: &str) -> Option<Value> {
    if text.trim().is_empty() {
        Some(Value::Object(Object::new()))
    } else {
        json::parse(text).ok()
    }
}

/// Reads an answer as AWS's SDKs do: a 2xx is the operation's JSON object (`json` is its body,
/// see [`body_json`]); anything else is an error whose type is `__type` (or `code`) with a
/// `namespace#` prefix dropped, else the `x-amzn-ErrorType` header up to a `:`; its text is
/// `message` (or `Message`).
pub fn read_answer(
    status: u16,
    error_type: Option<&str>,
    json: Option<Value>,
) -> Result<Value, IdpError> {
    if (200..300).contains(&status) {
        return json
            .filter(|json| json.as_object().is_some())
            .ok_or(IdpError::Unexpected("a JSON object"));
    }
    let field = |names: [&str; 2]| {
        json.as_ref().and_then(|json| {
            names
                .iter()
                .find_map(|name| json.get(name).and_then(Value::as_str))
        })
    };
    let kind = field(["__type", "code"])
        .map(|kind| kind.split_once('#').map_or(kind, |(_, name)| name))
        .or_else(|| error_type.and_then(|header| header.split(':').next()))
        .map(str::trim)
        .filter(|kind| !kind.is_empty());
    match kind {
        Some(kind) => Err(IdpError::refused(
            kind,
            field(["message", "Message"]).unwrap_or(""),
        )),
        None => Err(IdpError::Status(status)),
    }
}

/// The authenticator as GetUser tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaStatus {
    /// The user's username (for an authenticator app's label).
    pub username: String,
    /// Whether an authenticator app is enabled for sign-in (`SOFTWARE_TOKEN_MFA` in
    /// `UserMFASettingList`).
    pub totp_enabled: bool,
    /// Whether it is the preferred factor (`PreferredMfaSetting`).
    pub totp_preferred: bool,
}

/// The value of `SoftwareTokenMfaSettings` in Cognito's lists.
const SOFTWARE_TOKEN_MFA: &str = "SOFTWARE_TOKEN_MFA";

impl MfaStatus {
    /// Reads GetUser's answer.
    pub fn from_get_user(answer: &Value) -> Result<Self, IdpError> {
        let username = answer
            .get("Username")
            .and_then(Value::as_str)
            .ok_or(IdpError::Unexpected("Username"))?;
        let totp_enabled = answer
            .get("UserMFASettingList")
            .and_then(Value::as_array)
            .is_some_and(|list| {
                list.iter()
                    .any(|item| item.as_str() == Some(SOFTWARE_TOKEN_MFA))
            });
        let totp_preferred =
            answer.get("PreferredMfaSetting").and_then(Value::as_str) == Some(SOFTWARE_TOKEN_MFA);
        Ok(Self {
            username: username.to_owned(),
            totp_enabled,
            totp_preferred,
        })
    }
}

/// Reads AssociateSoftwareToken's answer: the new secret.
pub fn secret_from(answer: &Value) -> Result<TotpSecret, IdpError> {
    let code = answer
        .get("SecretCode")
        .and_then(Value::as_str)
        .ok_or(IdpError::Unexpected("SecretCode"))?;
    TotpSecret::new(code.to_owned())
        .ok_or(IdpError::Unexpected("a SecretCode of 16 letters or more"))
}

/// Reads VerifySoftwareToken's answer: `Status: "SUCCESS"`, or the code did not match.
pub fn verified(answer: &Value) -> Result<(), IdpError> {
    match answer.get("Status").and_then(Value::as_str) {
        Some("SUCCESS") => Ok(()),
        Some(_) => Err(IdpError::refused(
            "EnableSoftwareTokenMFAException",
            "VerifySoftwareToken answered Status ERROR",
        )),
        None => Err(IdpError::Unexpected("Status")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token() -> AccessToken {
        AccessToken::new("eyJ.access.token")
    }

    fn body_of(request: &Request) -> serde_json::Value {
        serde_json::from_str(&request.body(&token())).unwrap()
    }

    /// `read_answer` of a body that the browser parsed as `json`, or found not to be JSON.
    fn read(
        status: u16,
        error_type: Option<&str>,
        json: Option<serde_json::Value>,
    ) -> Result<Value, IdpError> {
        read_answer(status, error_type, json.map(Value::from))
    }

    fn answer(json: serde_json::Value) -> Value {
        json.into()
    }

    #[test]
    fn the_endpoint_is_the_issuers_origin() {
        assert_eq!(
            endpoint("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"),
            "https://cognito-idp.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            endpoint("http://localhost:9229/us-east-1_DevStack01"),
            "http://localhost:9229/"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:41234/a/b"),
            "http://127.0.0.1:41234/"
        );
        assert_eq!(
            endpoint("https://idp.example.com"),
            "https://idp.example.com/"
        );
    }

    #[test]
    fn the_page_is_offered_only_when_the_scope_is_asked_for() {
        let scopes = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(scope_requested(&scopes(&[
            "openid",
            "aws.cognito.signin.user.admin"
        ])));
        assert!(!scope_requested(&scopes(&["openid", "api/read"])));
        assert!(!scope_requested(&scopes(&["aws.cognito.signin.user"])));
    }

    #[test]
    fn targets_name_the_operations() {
        assert_eq!(
            Operation::GetUser.target(),
            "AWSCognitoIdentityProviderService.GetUser"
        );
        assert_eq!(
            Operation::TurnOffTotp.target(),
            "AWSCognitoIdentityProviderService.SetUserMFAPreference"
        );
        assert_eq!(
            Request::SetTotp { enabled: true }.operation(),
            Operation::TurnOnTotp
        );
    }

    #[test]
    fn bodies_carry_the_token_as_access_token() {
        for request in [
            Request::GetUser,
            Request::AssociateSoftwareToken,
            Request::GlobalSignOut,
        ] {
            assert_eq!(
                body_of(&request),
                json!({ "AccessToken": "eyJ.access.token" })
            );
        }
    }

    #[test]
    fn verify_sends_the_code_and_a_device_name_if_any() {
        let named = Request::VerifySoftwareToken {
            code: "123456".into(),
            device_name: " Jane's phone ".into(),
        };
        assert_eq!(
            body_of(&named),
            json!({
                "AccessToken": "eyJ.access.token",
                "UserCode": "123456",
                "FriendlyDeviceName": "Jane's phone"
            })
        );
        let unnamed = Request::VerifySoftwareToken {
            code: "123456".into(),
            device_name: "  ".into(),
        };
        assert_eq!(
            body_of(&unnamed),
            json!({ "AccessToken": "eyJ.access.token", "UserCode": "123456" })
        );
    }

    #[test]
    fn the_mfa_preference_is_enabled_and_preferred_or_neither() {
        assert_eq!(
            body_of(&Request::SetTotp { enabled: true }),
            json!({
                "AccessToken": "eyJ.access.token",
                "SoftwareTokenMfaSettings": { "Enabled": true, "PreferredMfa": true }
            })
        );
        assert_eq!(
            body_of(&Request::SetTotp { enabled: false })["SoftwareTokenMfaSettings"],
            json!({ "Enabled": false, "PreferredMfa": false })
        );
    }

    #[test]
    fn change_password_sends_both_and_debug_shows_neither() {
        let request = Request::ChangePassword {
            previous: Password::new("Old-Passw0rd!".into()),
            proposed: Password::new("New-Passw0rd!".into()),
        };
        assert_eq!(
            body_of(&request),
            json!({
                "AccessToken": "eyJ.access.token",
                "PreviousPassword": "Old-Passw0rd!",
                "ProposedPassword": "New-Passw0rd!"
            })
        );
        let debug = format!("{request:?}");
        assert!(!debug.contains("Passw0rd"), "{debug}");
        assert!(!debug.contains("eyJ"), "{debug}");
    }

    #[test]
    fn successes_are_json_objects() {
        // `body_json` of "" is `{}`, of "<html>" `None`: tests/web_json.rs.
        assert_eq!(read(200, None, Some(json!({}))), Ok(answer(json!({}))));
        assert_eq!(
            read(200, None, Some(json!({"SecretCode": "X"}))),
            Ok(answer(json!({"SecretCode": "X"})))
        );
        assert_eq!(
            read(200, None, None),
            Err(IdpError::Unexpected("a JSON object"))
        );
        assert_eq!(
            read(200, None, Some(json!([1]))),
            Err(IdpError::Unexpected("a JSON object"))
        );
    }

    #[test]
    fn errors_are_read_as_the_sdks_read_them() {
        let refused = |kind: &str, message: &str| IdpError::refused(kind, message);
        assert_eq!(
            read(
                400,
                Some("NotAuthorizedException"),
                Some(
                    json!({"__type": "NotAuthorizedException", "message": "Access Token has expired"})
                )
            ),
            Err(refused(
                "NotAuthorizedException",
                "Access Token has expired"
            ))
        );
        assert_eq!(
            read(
                400,
                None,
                Some(
                    json!({"__type": "com.amazonaws.cognito#CodeMismatchException", "Message": "Invalid code"})
                )
            ),
            Err(refused("CodeMismatchException", "Invalid code"))
        );
        assert_eq!(
            read(
                400,
                None,
                Some(
                    json!({"code": "LimitExceededException", "message": "Attempt limit exceeded"})
                )
            ),
            Err(refused("LimitExceededException", "Attempt limit exceeded"))
        );
        assert_eq!(
            read(
                500,
                Some("InternalErrorException:http://internal.amazon.com/"),
                Some(json!({}))
            ),
            Err(refused("InternalErrorException", ""))
        );
        assert_eq!(read(404, None, None), Err(IdpError::Status(404)));
        assert_eq!(read(502, None, Some(json!({}))), Err(IdpError::Status(502)));
    }

    #[test]
    fn get_user_tells_the_authenticators_state() {
        let status = MfaStatus::from_get_user(&answer(json!({
            "Username": "demo",
            "UserAttributes": [{"Name": "sub", "Value": "x"}],
            "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"],
            "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA"
        })))
        .unwrap();
        assert_eq!(
            status,
            MfaStatus {
                username: "demo".into(),
                totp_enabled: true,
                totp_preferred: true
            }
        );
        let none =
            MfaStatus::from_get_user(&answer(json!({"Username": "demo", "UserAttributes": []})));
        assert!(matches!(
            none,
            Ok(MfaStatus {
                totp_enabled: false,
                totp_preferred: false,
                ..
            })
        ));
        let sms_only = MfaStatus::from_get_user(&answer(json!({
            "Username": "demo",
            "UserMFASettingList": ["SMS_MFA"],
            "PreferredMfaSetting": "SMS_MFA"
        })))
        .unwrap();
        assert!(!sms_only.totp_enabled && !sms_only.totp_preferred);
        assert_eq!(
            MfaStatus::from_get_user(&answer(json!({}))),
            Err(IdpError::Unexpected("Username"))
        );
    }

    #[test]
    fn the_secret_code_is_taken_from_associate() {
        let secret = secret_from(&answer(
            json!({"SecretCode": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}),
        ))
        .unwrap();
        assert_eq!(secret.grouped().len(), 39);
        assert_eq!(
            secret_from(&answer(json!({"SecretCode": "short"}))).unwrap_err(),
            IdpError::Unexpected("a SecretCode of 16 letters or more")
        );
        assert_eq!(
            secret_from(&answer(json!({}))).unwrap_err(),
            IdpError::Unexpected("SecretCode")
        );
    }

    #[test]
    fn verify_succeeds_only_with_success() {
        assert_eq!(verified(&answer(json!({"Status": "SUCCESS"}))), Ok(()));
        assert!(matches!(
            verified(&answer(json!({"Status": "ERROR"}))),
            Err(IdpError::Refused { kind, .. }) if kind == "EnableSoftwareTokenMFAException"
        ));
        assert_eq!(
            verified(&answer(json!({}))),
            Err(IdpError::Unexpected("Status"))
        );
    }
}
