//! The identity-provider JSON API (`aws cognito-idp initiate-auth`): InitiateAuth only.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use cognito_support::{Answer, CLIENT_ID, DEMO, Harness, claim_names, read, verify_jwt};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn call(harness: &Harness, operation: &str, body: &Value) -> Answer {
    let response = reqwest::Client::new()
        .post(harness.cognito("/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    read(response).await
}

fn assert_aws_error(answer: &Answer, kind: &str, message: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.header("x-amzn-errortype"), Some(kind));
    assert_eq!(answer.json(), json!({"__type": kind, "message": message}));
}

fn password_auth(username: &str, password: &str) -> Value {
    json!({
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": CLIENT_ID,
        "AuthParameters": {"USERNAME": username, "PASSWORD": password}
    })
}

#[tokio::test]
async fn user_password_auth_needs_the_flow_enabled() {
    let harness = Harness::start(|_| {}).await;
    let answer = call(&harness, "InitiateAuth", &password_auth(DEMO.0, DEMO.1)).await;
    assert_aws_error(
        &answer,
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn initiate_auth_with_password_then_refresh() {
    let harness = Harness::start(|config| {
        config.app_clients[0]
            .explicit_auth_flows
            .push("ALLOW_USER_PASSWORD_AUTH".into());
    })
    .await;

    let answer = call(&harness, "InitiateAuth", &password_auth(DEMO.0, DEMO.1)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    let result = answer.json();
    assert_eq!(result["ChallengeParameters"], json!({}));
    let tokens = &result["AuthenticationResult"];
    assert_eq!(tokens["TokenType"], "Bearer");
    assert_eq!(tokens["ExpiresIn"], 3600);
    let jwks = harness.jwks().await;
    let access = tokens["AccessToken"].as_str().unwrap();
    let (_, access_claims) = verify_jwt(access, &jwks).unwrap();
    let (_, id_claims) = verify_jwt(tokens["IdToken"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(access_claims["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(id_claims["cognito:username"], "demo");
    assert!(!claim_names(&id_claims).contains(&"nonce"));
    // Without api/read, the API's scoped routes refuse the token, as API Gateway would.
    assert_eq!(
        harness.api_get("/hello", access).await.status,
        StatusCode::FORBIDDEN
    );

    let refresh = json!({
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": CLIENT_ID,
        "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"]}
    });
    let answer = call(&harness, "InitiateAuth", &refresh).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let refreshed = &answer.json()["AuthenticationResult"];
    assert!(refreshed.get("RefreshToken").is_none(), "{refreshed}");
    let (_, new_id) = verify_jwt(refreshed["IdToken"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(new_id["origin_jti"], id_claims["origin_jti"]);

    // The same refresh token works at the token endpoint too.
    let answer = harness
        .refresh(tokens["RefreshToken"].as_str().unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn initiate_auth_refusals() {
    let harness = Harness::start(|config| {
        config.app_clients[0]
            .explicit_auth_flows
            .push("ALLOW_USER_PASSWORD_AUTH".into());
    })
    .await;
    for (username, password) in [(DEMO.0, "wrong"), ("nobody", DEMO.1)] {
        let answer = call(&harness, "InitiateAuth", &password_auth(username, password)).await;
        assert_aws_error(
            &answer,
            "NotAuthorizedException",
            "Incorrect username or password.",
        );
    }
    let missing = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": CLIENT_ID, "AuthParameters": {"USERNAME": "demo"}});
    assert_aws_error(
        &call(&harness, "InitiateAuth", &missing).await,
        "InvalidParameterException",
        "Missing required parameter PASSWORD",
    );
    let unknown_client =
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "nope", "AuthParameters": {}});
    assert_aws_error(
        &call(&harness, "InitiateAuth", &unknown_client).await,
        "ResourceNotFoundException",
        "User pool client nope does not exist.",
    );
    let bad_refresh = json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": CLIENT_ID, "AuthParameters": {"REFRESH_TOKEN": "x"}});
    assert_aws_error(
        &call(&harness, "InitiateAuth", &bad_refresh).await,
        "NotAuthorizedException",
        "Invalid Refresh Token",
    );

    let unknown_operation = call(&harness, "SignUp", &json!({})).await;
    assert_eq!(unknown_operation.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown_operation.json()["__type"],
        "UnknownOperationException"
    );
    let not_json = reqwest::Client::new()
        .post(harness.cognito("/"))
        .header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .body("{not json")
        .send()
        .await
        .unwrap();
    let not_json = read(not_json).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.json()["__type"], "SerializationException");
    harness.stack.shutdown().await;
}
