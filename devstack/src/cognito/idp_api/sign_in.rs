//! Signing in through the API: InitiateAuth and AdminInitiateAuth (a password, or a refresh
//! token), then RespondToAuthChallenge or AdminRespondToAuthChallenge for each challenge
//! (`NEW_PASSWORD_REQUIRED`, `SOFTWARE_TOKEN_MFA`, `MFA_SETUP`) until the tokens.
//!
//! Tokens carry the scope `aws.cognito.signin.user.admin` only, as Cognito's API flows do, and
//! always an ID token. A session from InitiateAuth may be answered by either respond operation
//! of the same client (seed 004 does so).

use serde_json::{Value, json};

use super::request::{Parameters, Request};
use super::{Answer, AwsError, CognitoState, check_attribute_names, check_pool, client};
use crate::accounts::{AccountError, Challenge, Next, Progress};
use crate::cognito::minting::{IssuedTokens, RefreshRefusal, SignIn};
use crate::config::AppClientConfig;

/// The only scope of the API flows' access tokens: what the user operations (GetUser, ...)
/// require.
pub(super) const USER_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// The `AuthFlow` values Cognito knows (its validation lists them); devstack runs some.
const KNOWN_FLOWS: [&str; 8] = [
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
];

/// Which operation a sign-in step came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Public,
    Admin,
}

pub(super) fn initiate_auth(state: &CognitoState, request: &Request) -> Answer {
    initiate(state, request, Caller::Public)
}

pub(super) fn admin_initiate_auth(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    initiate(state, request, Caller::Admin)
}

pub(super) fn respond_to_auth_challenge(state: &CognitoState, request: &Request) -> Answer {
    respond(state, request)
}

pub(super) fn admin_respond_to_auth_challenge(state: &CognitoState, request: &Request) -> Answer {
    check_pool(state, request)?;
    respond(state, request)
}

fn require_flow(client: &AppClientConfig, flow: &str, allowed_as: &str) -> Result<(), AwsError> {
    if client.explicit_auth_flows.iter().any(|f| f == allowed_as) {
        Ok(())
    } else {
        Err(flow_not_enabled(flow))
    }
}

fn flow_not_enabled(flow: &str) -> AwsError {
    AwsError::invalid_parameter(format!("{flow} flow not enabled for this client"))
}

fn initiate(state: &CognitoState, request: &Request, caller: Caller) -> Answer {
    let client = client(state, request)?;
    let flow = request.str("AuthFlow")?;
    let parameters = request.parameters("AuthParameters")?;
    match (flow, caller) {
        ("USER_PASSWORD_AUTH", Caller::Public) => {
            require_flow(client, flow, "ALLOW_USER_PASSWORD_AUTH")?;
            password_sign_in(state, client, &parameters)
        }
        ("ADMIN_USER_PASSWORD_AUTH", Caller::Admin) => {
            require_flow(client, flow, "ALLOW_ADMIN_USER_PASSWORD_AUTH")?;
            password_sign_in(state, client, &parameters)
        }
        ("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN", _) => {
            // Cognito: "You can't authenticate with REFRESH_TOKEN_AUTH in app clients with
            // refresh token rotation enabled" (developer guide, "Refresh tokens"); such a client
            // cannot allow the flow (the configuration refuses it), so it is not enabled. Checked
            // here too for a Config built in code, which nothing validates.
            if client.refresh_token_rotation {
                return Err(flow_not_enabled("REFRESH_TOKEN_AUTH"));
            }
            require_flow(client, "REFRESH_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")?;
            refresh(state, client, parameters.required("REFRESH_TOKEN")?)
        }
        // Cognito's answer for a flow of the other operation (USER_PASSWORD_AUTH is not an
        // AdminInitiateAuth flow, nor ADMIN_USER_PASSWORD_AUTH an InitiateAuth one).
        ("USER_PASSWORD_AUTH" | "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", _) => Err(
            AwsError::invalid_parameter("Initiate Auth method not supported."),
        ),
        (flow, _) if KNOWN_FLOWS.contains(&flow) => Err(AwsError::invalid_parameter(format!(
            "devstack does not implement the auth flow {flow}: use USER_PASSWORD_AUTH, \
             ADMIN_USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH"
        ))),
        (flow, _) => Err(AwsError::invalid_parameter(format!(
            "1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy \
             constraint: Member must satisfy enum value set: [{}]",
            KNOWN_FLOWS.join(", ")
        ))),
    }
}

fn password_sign_in(
    state: &CognitoState,
    client: &AppClientConfig,
    parameters: &Parameters,
) -> Answer {
    let username = parameters.required("USERNAME")?;
    let password = parameters.required("PASSWORD")?;
    // One answer for an unknown user and a wrong password (PreventUserExistenceErrors).
    let progress = state.accounts.sign_in(
        &client.client_id,
        username,
        password,
        state.clock.now_secs(),
    )?;
    answer(state, client, progress)
}

fn refresh(state: &CognitoState, client: &AppClientConfig, token: &str) -> Answer {
    let (tokens, refresh_token) =
        state
            .refresh_sign_in(client, token)
            .map_err(|refusal| match refusal {
                RefreshRefusal::Refused(_) => AwsError::not_authorized("Invalid Refresh Token"),
                RefreshRefusal::Sign(e) => AwsError::internal(e.to_string()),
            })?;
    Ok(authentication_result(tokens, refresh_token))
}

fn respond(state: &CognitoState, request: &Request) -> Answer {
    let client = client(state, request)?;
    let challenge = request.str("ChallengeName")?;
    let session = request.str("Session")?;
    let responses = request.parameters("ChallengeResponses")?;
    let username = responses.required("USERNAME")?;
    let now = state.clock.now_secs();
    let client_id = client.client_id.as_str();
    let accounts = &state.accounts;
    let progress = match challenge {
        "NEW_PASSWORD_REQUIRED" => {
            let new_password = responses.required("NEW_PASSWORD")?;
            check_new_attributes(state, username, &responses)?;
            accounts.answer_new_password(session, client_id, Some(username), new_password, now)?
        }
        "SOFTWARE_TOKEN_MFA" => {
            let code = responses.required("SOFTWARE_TOKEN_MFA_CODE")?;
            accounts.answer_mfa_code(session, client_id, Some(username), code, now)?
        }
        "MFA_SETUP" => accounts.answer_mfa_setup(session, client_id, Some(username), now)?,
        other => {
            return Err(AwsError::invalid_parameter(format!(
                "devstack does not implement the challenge {other}: it sends \
                 NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA and MFA_SETUP"
            )));
        }
    };
    answer(state, client, progress)
}

/// `userAttributes.<name>` answers of `NEW_PASSWORD_REQUIRED`: Cognito lets them set writable
/// attributes, but not change a required one that has a value. devstack's users have only the
/// required `email`, so it may be repeated unchanged and nothing else may be sent.
fn check_new_attributes(
    state: &CognitoState,
    username: &str,
    responses: &Parameters,
) -> Result<(), AwsError> {
    let sent: Vec<(&str, &str)> = responses.with_prefix("userAttributes.").collect();
    check_attribute_names(sent.iter().map(|(name, _)| *name), false)?;
    let current = state.accounts.find(username).map(|user| user.email);
    for (_, value) in sent {
        if current.as_deref().is_some_and(|email| email != value) {
            return Err(AwsError::invalid_parameter(
                "Cannot modify an already provided email",
            ));
        }
    }
    Ok(())
}

/// A step's answer: the next challenge, or the tokens.
fn answer(state: &CognitoState, client: &AppClientConfig, progress: Progress) -> Answer {
    let challenge = match progress.next {
        Next::SignedIn => return signed_in(state, client, &progress.username),
        Next::Challenge(challenge) => challenge,
    };
    let user = state
        .accounts
        .user(&progress.username)
        .ok_or_else(AccountError::invalid_session)?;
    let parameters = match challenge {
        Challenge::NewPasswordRequired => {
            // A JSON object of the current attributes, as a string (Cognito's shape).
            let attributes = json!({
                "email_verified": user.email_verified.to_string(),
                "email": user.email,
            });
            json!({
                "USER_ID_FOR_SRP": user.username,
                "requiredAttributes": "[]",
                "userAttributes": attributes.to_string(),
            })
        }
        Challenge::SoftwareTokenMfa => {
            let device = user
                .authenticator
                .as_ref()
                .and_then(|a| a.device_name.clone());
            match device {
                Some(name) => {
                    json!({"USER_ID_FOR_SRP": user.username, "FRIENDLY_DEVICE_NAME": name})
                }
                None => json!({"USER_ID_FOR_SRP": user.username}),
            }
        }
        Challenge::MfaSetup => json!({
            "MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]",
            "USER_ID_FOR_SRP": user.username,
        }),
        // The managed login's own step; the API refuses unconfirmed users before it.
        Challenge::ConfirmSignUp => {
            return Err(AwsError::new(
                "UserNotConfirmedException",
                "User is not confirmed.",
            ));
        }
    };
    Ok(json!({
        "ChallengeName": challenge.name(),
        "Session": progress.session.unwrap_or_default(),
        "ChallengeParameters": parameters,
    }))
}

/// A new sign-in's tokens.
fn signed_in(state: &CognitoState, client: &AppClientConfig, username: &str) -> Answer {
    let user = state
        .accounts
        .user(username)
        .ok_or_else(AccountError::wrong_credentials)?;
    let sign_in = SignIn {
        scopes: vec![USER_ADMIN_SCOPE.into()],
        id_token: true,
        auth_time: state.clock.now_secs(),
        nonce: None,
    };
    let (tokens, refresh_token) = state
        .start_sign_in(client, &user, sign_in)
        .map_err(|e| AwsError::internal(e.to_string()))?;
    Ok(authentication_result(tokens, Some(refresh_token)))
}

fn authentication_result(tokens: IssuedTokens, refresh_token: Option<String>) -> Value {
    let mut result = json!({
        "AccessToken": tokens.access_token,
        "ExpiresIn": tokens.expires_in,
        "TokenType": "Bearer",
    });
    if let Some(id_token) = tokens.id_token {
        result["IdToken"] = id_token.into();
    }
    if let Some(refresh_token) = refresh_token {
        result["RefreshToken"] = refresh_token.into();
    }
    json!({"ChallengeParameters": {}, "AuthenticationResult": result})
}
