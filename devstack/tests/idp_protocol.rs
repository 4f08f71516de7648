//! The JSON API's protocol: every answer's headers (a request id, CORS for browser scripts of
//! any origin), the preflight, and clear 400s for what is not a request: no operation, an
//! unknown one, a body that is not JSON, members of the wrong type, a body too large.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::sync::{Arc, Mutex};

use cognito_support::idp::{CLI_CLIENT_ID, assert_aws_error, ok};
use cognito_support::{Answer, DEMO, Harness, read};
use reqwest::StatusCode;
use serde_json::json;

const EXPOSED: &str = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date";

fn request_id(answer: &Answer) -> String {
    let id = answer.header("x-amzn-requestid").unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    id
}

#[tokio::test]
async fn browsers_of_any_origin_may_call_it() {
    let harness = Harness::start(|_| {}).await;
    // What AWS's browser SDK asks before calling GetUser from the SPA's origin.
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, harness.cognito("/"))
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "cache-control,content-type,x-amz-target,x-amz-user-agent",
        )
        .send()
        .await
        .unwrap();
    let preflight = read(preflight).await;
    assert_eq!(preflight.status, StatusCode::OK);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("POST, OPTIONS")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("cache-control,content-type,x-amz-target,x-amz-user-agent")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("7200"));
    request_id(&preflight);
    let bare = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, harness.cognito("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        read(bare).await.header("access-control-allow-headers"),
        Some("content-type, x-amz-target, x-amz-user-agent, cache-control")
    );

    // Answers, refusals and the unsigned admin call alike carry the CORS headers and their own
    // request id.
    let success = harness.initiate_password_auth(DEMO).await;
    ok(&success);
    let refusal = harness
        .initiate_password_auth((DEMO.0, "Wrong-Passw0rd!"))
        .await;
    let unsigned = harness
        .idp(
            "AdminGetUser",
            json!({"UserPoolId": "us-east-1_DevStack01", "Username": "demo"}),
        )
        .await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);
    let mut ids = Vec::new();
    for answer in [&success, &refusal, &unsigned] {
        assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            answer.header("access-control-expose-headers"),
            Some(EXPOSED)
        );
        assert!(answer.header("date").is_some());
        ids.push(request_id(answer));
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(
        refusal.header("x-amzn-errormessage"),
        Some("Incorrect username or password.")
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn what_is_not_a_request_is_a_clear_400() {
    let harness = Harness::start(|_| {}).await;
    let post = |target: Option<&str>, body: String| {
        let mut request = reqwest::Client::new().post(harness.cognito("/")).body(body);
        if let Some(target) = target {
            request = request.header("x-amz-target", target);
        }
        request.send()
    };
    let no_target = read(post(None, "{}".into()).await.unwrap()).await;
    assert_aws_error(
        &no_target,
        "UnknownOperationException",
        "Send the operation as X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>",
    );
    let other_service = read(
        post(Some("DynamoDB_20120810.ListTables"), "{}".into())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(other_service.json()["__type"], "UnknownOperationException");
    assert_aws_error(
        &harness.idp("ListUsers", json!({})).await,
        "UnknownOperationException",
        "devstack does not implement the operation ListUsers",
    );

    let password = "Secret-Passw0rd!";
    let cases = [
        (
            "InitiateAuth",
            "{not json".to_owned(),
            "SerializationException",
            "The request body is not JSON: key must be a string at line 1 column 2",
        ),
        (
            "InitiateAuth",
            format!("[\"{password}\"]"),
            "SerializationException",
            "The request body must be a JSON object",
        ),
        (
            "InitiateAuth",
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": 5}).to_string(),
            "SerializationException",
            "Member ClientId must be a string",
        ),
        (
            "InitiateAuth",
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": CLI_CLIENT_ID, "AuthParameters": {"USERNAME": "demo", "PASSWORD": [password]}}).to_string(),
            "SerializationException",
            "Member AuthParameters must be an object of strings",
        ),
        (
            "SignUp",
            json!({"ClientId": CLI_CLIENT_ID, "Username": "x", "Password": password, "UserAttributes": {"email": "x@example.com"}}).to_string(),
            "SerializationException",
            "Member UserAttributes must be a list of {\"Name\", \"Value\"} objects of strings",
        ),
        // An empty body is an empty request: its required members are missing.
        (
            "ForgotPassword",
            String::new(),
            "InvalidParameterException",
            "1 validation error detected: Value null at 'clientId' failed to satisfy \
             constraint: Member must not be null",
        ),
        (
            "InitiateAuth",
            json!({"ClientId": ""}).to_string(),
            "InvalidParameterException",
            "1 validation error detected: Value at 'clientId' failed to satisfy constraint: \
             Member must have length greater than or equal to 1",
        ),
        (
            "SignUp",
            format!("{{\"ClientId\": \"{CLI_CLIENT_ID}\", \"Username\": \"big\", \"Password\": \"{}\"}}", "x".repeat(17 * 1024)),
            "InvalidParameterException",
            "The request body is larger than 16384 bytes",
        ),
    ];
    for (operation, body, kind, message) in cases {
        let answer = harness.idp_request(operation, &body, false).await;
        assert_aws_error(&answer, kind, message);
        assert!(!answer.body.contains(password), "{}", answer.body);
    }
    harness.stack.shutdown().await;
}

/// Everything the stack logs in this test binary.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_password_code_or_token_reaches_the_log() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let harness = Harness::start(|_| {}).await;
    let password = "Logged-Never-Passw0rd!";
    let sign_up = json!({
        "ClientId": CLI_CLIENT_ID,
        "Username": "quiet",
        "Password": password,
        "UserAttributes": [{"Name": "email", "Value": "quiet@example.com"}],
    });
    ok(&harness.idp("SignUp", sign_up).await);
    let code = harness
        .last_mail("quiet", devstack::MailKind::SignUpCode)
        .code;
    let confirm = json!({"ClientId": CLI_CLIENT_ID, "Username": "quiet", "ConfirmationCode": code});
    ok(&harness.idp("ConfirmSignUp", confirm).await);
    let tokens = harness.cli_tokens(("quiet", password)).await;
    ok(&harness
        .with_token("GetUser", &tokens["AccessToken"], json!({}))
        .await);
    harness
        .initiate_password_auth((DEMO.0, "Wrong-Logged-Passw0rd!"))
        .await;
    harness.stack.shutdown().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("path=/ status=200"),
        "the requests were logged"
    );
    assert!(log.contains("path=/ status=400"), "the refusal was logged");
    let secrets = [
        ("the password", password),
        ("the wrong password", "Wrong-Logged-Passw0rd!"),
        ("the confirmation code", &code),
        ("the access token", tokens["AccessToken"].as_str().unwrap()),
        (
            "the refresh token",
            tokens["RefreshToken"].as_str().unwrap(),
        ),
        ("the ID token", tokens["IdToken"].as_str().unwrap()),
    ];
    for (what, secret) in secrets {
        // The failure names the secret without printing the log that holds it.
        let lines = log.lines().filter(|line| line.contains(secret)).count();
        assert_eq!(lines, 0, "{lines} log lines hold {what}");
    }
}
