//! The JSON API's sign-in: InitiateAuth (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH) with the CLI
//! client, the tokens and what the API does with them, NEW_PASSWORD_REQUIRED, and every refusal.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use cognito_support::idp::{CLI_CLIENT_ID, assert_aws_error, ok, user_config};
use cognito_support::{CLIENT_ID, DEMO, Harness, claim_names, verify_jwt};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEWCOMER: (&str, &str) = ("newcomer", "Temp-Passw0rd!!");

fn with_newcomer(config: &mut devstack::Config) {
    config.users.push(user_config(json!({
        "username": NEWCOMER.0,
        "email": "newcomer@example.com",
        "password": NEWCOMER.1,
        "password_is_temporary": true,
    })));
}

fn sorted_keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_password_sign_in_gives_tokens_the_api_accepts() {
    let harness = Harness::start(|_| {}).await;
    let answer = harness.initiate_password_auth(DEMO).await;
    assert_eq!(
        answer.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    let answer = ok(&answer);
    assert_eq!(
        sorted_keys(&answer),
        ["AuthenticationResult", "ChallengeParameters"]
    );
    assert_eq!(answer["ChallengeParameters"], json!({}));
    let result = &answer["AuthenticationResult"];
    assert_eq!(
        sorted_keys(result),
        [
            "AccessToken",
            "ExpiresIn",
            "IdToken",
            "RefreshToken",
            "TokenType"
        ]
    );
    assert_eq!(result["TokenType"], "Bearer");
    assert_eq!(result["ExpiresIn"], 3600);

    let jwks = harness.jwks().await;
    let access = result["AccessToken"].as_str().unwrap();
    let id = result["IdToken"].as_str().unwrap();
    let (_, access_claims) = verify_jwt(access, &jwks).unwrap();
    let (_, id_claims) = verify_jwt(id, &jwks).unwrap();
    assert_eq!(access_claims["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(access_claims["client_id"], CLI_CLIENT_ID);
    assert_eq!(access_claims["username"], "demo");
    assert_eq!(access_claims["cognito:groups"], json!(["users"]));
    assert_eq!(id_claims["aud"], CLI_CLIENT_ID);
    assert_eq!(id_claims["email"], "demo@example.com");
    assert!(!claim_names(&id_claims).contains(&"nonce"));

    // The CLI client's access token calls the API (seed 001's last step); an ID token has no
    // scope, so the routes that require one refuse it.
    let hello = harness.api_get("/hello", access).await;
    assert_eq!(hello.status, StatusCode::OK, "{}", hello.body);
    assert_eq!(hello.json()["message"], "Hello, demo!");
    assert_eq!(hello.json()["sub"], access_claims["sub"]);
    let refused = harness.api_get("/hello", id).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.json(), json!({"message": "Forbidden"}));
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_refresh_token_refreshes_through_the_api_and_the_token_endpoint() {
    let harness = Harness::start(|_| {}).await;
    let tokens = harness.cli_tokens(DEMO).await;
    let jwks = harness.jwks().await;
    let (_, first) = verify_jwt(tokens["IdToken"].as_str().unwrap(), &jwks).unwrap();
    for flow in ["REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"] {
        let answer = ok(&harness
            .idp(
                "InitiateAuth",
                json!({
                    "AuthFlow": flow,
                    "ClientId": CLI_CLIENT_ID,
                    "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"]},
                }),
            )
            .await);
        let result = &answer["AuthenticationResult"];
        // No rotation on this client: no new refresh token, as Cognito.
        assert_eq!(
            sorted_keys(result),
            ["AccessToken", "ExpiresIn", "IdToken", "TokenType"]
        );
        let (_, id) = verify_jwt(result["IdToken"].as_str().unwrap(), &jwks).unwrap();
        assert_eq!(id["origin_jti"], first["origin_jti"]);
    }
    let answer = harness
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLI_CLIENT_ID),
                ("refresh_token", tokens["RefreshToken"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    // Another client's refresh token is refused (the SPA's client refreshes only at the token
    // endpoint: it rotates), as is one that was never issued.
    let spa_refresh = harness
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("refresh_token", tokens["RefreshToken"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(spa_refresh.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        spa_refresh.json(),
        json!({
            "error": "invalid_grant",
            "error_description": "the refresh token was issued to another client"
        })
    );
    let bogus = json!({
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": CLI_CLIENT_ID,
        "AuthParameters": {"REFRESH_TOKEN": "not-a-refresh-token"},
    });
    assert_aws_error(
        &harness.idp("InitiateAuth", bogus).await,
        "NotAuthorizedException",
        "Invalid Refresh Token",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn initiate_auth_refusals() {
    let harness = Harness::start(|_| {}).await;
    // A wrong password and an unknown user get one answer (PreventUserExistenceErrors).
    for user in [(DEMO.0, "Wrong-Passw0rd!"), ("nobody", DEMO.1)] {
        assert_aws_error(
            &harness.initiate_password_auth(user).await,
            "NotAuthorizedException",
            "Incorrect username or password.",
        );
    }
    let sign_up = harness
        .idp(
            "SignUp",
            json!({
                "ClientId": CLI_CLIENT_ID,
                "Username": "pending",
                "Password": "Pending-Passw0rd!",
                "UserAttributes": [{"Name": "email", "Value": "pending@example.com"}],
            }),
        )
        .await;
    ok(&sign_up);
    assert_aws_error(
        &harness
            .initiate_password_auth(("pending", "Pending-Passw0rd!"))
            .await,
        "UserNotConfirmedException",
        "User is not confirmed.",
    );

    let initiate = |client: &str, flow: &str, parameters: Value| json!({"AuthFlow": flow, "ClientId": client, "AuthParameters": parameters});
    let password = json!({"USERNAME": DEMO.0, "PASSWORD": DEMO.1});
    let cases = [
        // The SPA's client signs in by the hosted UI only.
        (
            initiate(CLIENT_ID, "USER_PASSWORD_AUTH", password.clone()),
            "InvalidParameterException",
            "USER_PASSWORD_AUTH flow not enabled for this client".to_owned(),
        ),
        (
            initiate("unknown-client", "USER_PASSWORD_AUTH", password.clone()),
            "ResourceNotFoundException",
            "User pool client unknown-client does not exist.".to_owned(),
        ),
        (
            initiate(
                CLI_CLIENT_ID,
                "USER_PASSWORD_AUTH",
                json!({"USERNAME": "demo"}),
            ),
            "InvalidParameterException",
            "Missing required parameter PASSWORD".to_owned(),
        ),
        (
            initiate(CLI_CLIENT_ID, "REFRESH_TOKEN_AUTH", json!({})),
            "InvalidParameterException",
            "Missing required parameter REFRESH_TOKEN".to_owned(),
        ),
        (
            initiate(CLI_CLIENT_ID, "ADMIN_USER_PASSWORD_AUTH", password.clone()),
            "InvalidParameterException",
            "Initiate Auth method not supported.".to_owned(),
        ),
        (
            initiate(
                CLI_CLIENT_ID,
                "USER_SRP_AUTH",
                json!({"USERNAME": "demo", "SRP_A": "1"}),
            ),
            "InvalidParameterException",
            "devstack does not implement the auth flow USER_SRP_AUTH: use USER_PASSWORD_AUTH, \
             ADMIN_USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH"
                .to_owned(),
        ),
        (
            initiate(CLI_CLIENT_ID, "PASSWORD", password.clone()),
            "InvalidParameterException",
            "1 validation error detected: Value 'PASSWORD' at 'authFlow' failed to satisfy \
             constraint: Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, \
             REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, \
             ADMIN_USER_PASSWORD_AUTH, USER_AUTH]"
                .to_owned(),
        ),
        (
            json!({"ClientId": CLI_CLIENT_ID, "AuthParameters": password}),
            "InvalidParameterException",
            "1 validation error detected: Value null at 'authFlow' failed to satisfy \
             constraint: Member must not be null"
                .to_owned(),
        ),
    ];
    for (body, kind, message) in cases {
        assert_aws_error(&harness.idp("InitiateAuth", body).await, kind, &message);
    }
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_temporary_password_is_replaced_before_the_tokens() {
    let harness = Harness::start(with_newcomer).await;
    let challenge = harness
        .cli_challenge(NEWCOMER, "NEW_PASSWORD_REQUIRED")
        .await;
    assert_eq!(
        sorted_keys(&challenge),
        ["ChallengeName", "ChallengeParameters", "Session"]
    );
    let parameters = &challenge["ChallengeParameters"];
    assert_eq!(
        sorted_keys(parameters),
        ["USER_ID_FOR_SRP", "requiredAttributes", "userAttributes"]
    );
    assert_eq!(parameters["USER_ID_FOR_SRP"], "newcomer");
    assert_eq!(parameters["requiredAttributes"], "[]");
    let attributes: Value =
        serde_json::from_str(parameters["userAttributes"].as_str().unwrap()).unwrap();
    assert_eq!(
        attributes,
        json!({"email": "newcomer@example.com", "email_verified": "true"})
    );
    let session = &challenge["Session"];
    assert!(session.as_str().unwrap().len() >= 20, "{session}");

    let answer = |responses: Value| harness.respond("NEW_PASSWORD_REQUIRED", session, responses);
    let refusals = [
        (
            json!({"USERNAME": "newcomer", "NEW_PASSWORD": "Sh0rt!"}),
            "InvalidPasswordException",
            "Password did not conform with policy: Password not long enough",
        ),
        (
            json!({"USERNAME": "newcomer", "NEW_PASSWORD": "no-uppercase-passw0rd!"}),
            "InvalidPasswordException",
            "Password did not conform with policy: Password must have uppercase characters",
        ),
        (
            json!({"USERNAME": "newcomer"}),
            "InvalidParameterException",
            "Missing required parameter NEW_PASSWORD",
        ),
        (
            json!({"USERNAME": "newcomer", "NEW_PASSWORD": "Brand-New-Passw0rd!", "userAttributes.name": "N"}),
            "InvalidParameterException",
            "Attributes did not conform to the schema: name: Attribute does not exist in the schema.",
        ),
        (
            json!({"USERNAME": "newcomer", "NEW_PASSWORD": "Brand-New-Passw0rd!", "userAttributes.email": "other@example.com"}),
            "InvalidParameterException",
            "Cannot modify an already provided email",
        ),
        (
            json!({"USERNAME": "newcomer", "NEW_PASSWORD": "Brand-New-Passw0rd!", "userAttributes.email_verified": "true"}),
            "NotAuthorizedException",
            "A client attempted to write unauthorized attribute",
        ),
        // The session belongs to newcomer.
        (
            json!({"USERNAME": "demo", "NEW_PASSWORD": "Brand-New-Passw0rd!"}),
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
        ),
    ];
    for (responses, kind, message) in refusals {
        assert_aws_error(&answer(responses).await, kind, message);
    }
    // Refusals kept the session: the right answer (the e-mail repeated unchanged) signs in.
    let done = ok(&answer(json!({
        "USERNAME": "newcomer",
        "NEW_PASSWORD": "Brand-New-Passw0rd!",
        "userAttributes.email": "newcomer@example.com",
    }))
    .await);
    assert_eq!(done["ChallengeParameters"], json!({}));
    let access = done["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap();
    let hello = harness.api_get("/hello", access).await;
    assert_eq!(hello.json()["message"], "Hello, newcomer!");

    // The session was used; the temporary password is gone, the new one signs in at once.
    assert_aws_error(
        &answer(json!({"USERNAME": "newcomer", "NEW_PASSWORD": "Other-New-Passw0rd!"})).await,
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    );
    assert_aws_error(
        &harness.initiate_password_auth(NEWCOMER).await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    harness
        .cli_tokens(("newcomer", "Brand-New-Passw0rd!"))
        .await;
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_temporary_password_expires_after_seven_days() {
    let harness = Harness::start(with_newcomer).await;
    harness
        .stack
        .clock()
        .advance(std::time::Duration::from_secs(7 * 24 * 3600));
    assert_aws_error(
        &harness.initiate_password_auth(NEWCOMER).await,
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn challenge_answers_need_their_own_session_client_and_challenge() {
    let harness = Harness::start(with_newcomer).await;
    let challenge = harness
        .cli_challenge(NEWCOMER, "NEW_PASSWORD_REQUIRED")
        .await;
    let session = &challenge["Session"];
    let responses = json!({"USERNAME": "newcomer", "NEW_PASSWORD": "Brand-New-Passw0rd!"});
    let respond = |client: &str, challenge: &str, session: &Value| {
        json!({
            "ClientId": client,
            "ChallengeName": challenge,
            "Session": session,
            "ChallengeResponses": responses,
        })
    };
    let cases = [
        (
            respond(CLI_CLIENT_ID, "SOFTWARE_TOKEN_MFA", session),
            "InvalidParameterException",
            "Missing required parameter SOFTWARE_TOKEN_MFA_CODE",
        ),
        (
            json!({
                "ClientId": CLI_CLIENT_ID,
                "ChallengeName": "SOFTWARE_TOKEN_MFA",
                "Session": session,
                "ChallengeResponses": {"USERNAME": "newcomer", "SOFTWARE_TOKEN_MFA_CODE": "123456"},
            }),
            "InvalidParameterException",
            "This session answers NEW_PASSWORD_REQUIRED, not SOFTWARE_TOKEN_MFA.",
        ),
        (
            respond(CLI_CLIENT_ID, "SMS_MFA", session),
            "InvalidParameterException",
            "devstack does not implement the challenge SMS_MFA: it sends NEW_PASSWORD_REQUIRED, \
             SOFTWARE_TOKEN_MFA and MFA_SETUP",
        ),
        // Sessions belong to the client that started the sign-in.
        (
            respond(CLIENT_ID, "NEW_PASSWORD_REQUIRED", session),
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
        ),
        (
            respond(
                CLI_CLIENT_ID,
                "NEW_PASSWORD_REQUIRED",
                &json!("made-up-session-string"),
            ),
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
        ),
        (
            json!({"ClientId": CLI_CLIENT_ID, "ChallengeName": "NEW_PASSWORD_REQUIRED", "ChallengeResponses": responses}),
            "InvalidParameterException",
            "1 validation error detected: Value null at 'session' failed to satisfy constraint: \
             Member must not be null",
        ),
        (
            json!({"ClientId": CLI_CLIENT_ID, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session, "ChallengeResponses": {"NEW_PASSWORD": "Brand-New-Passw0rd!"}}),
            "InvalidParameterException",
            "Missing required parameter USERNAME",
        ),
    ];
    for (body, kind, message) in cases {
        assert_aws_error(
            &harness.idp("RespondToAuthChallenge", body).await,
            kind,
            message,
        );
    }
    // Three minutes later the session has expired.
    harness
        .stack
        .clock()
        .advance(std::time::Duration::from_secs(3 * 60));
    assert_aws_error(
        &harness
            .respond("NEW_PASSWORD_REQUIRED", session, responses.clone())
            .await,
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    );
    harness.stack.shutdown().await;
}
