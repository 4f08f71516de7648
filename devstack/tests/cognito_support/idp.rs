//! The identity-provider JSON API as the AWS CLI speaks it: `POST /` with `X-Amz-Target`, an
//! `Authorization: AWS4-HMAC-SHA256 ...` header on the Admin* operations (devstack checks only
//! that it is there), TOTP codes computed from the secret at the stack's clock, as an
//! authenticator app computes them, and the mailbox.

use devstack::config::UserConfig;
use devstack::{Mail, MailKind};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Answer, Harness, read};

/// The command line's app client of the embedded config (USER_PASSWORD_AUTH,
/// ADMIN_USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH).
pub const CLI_CLIENT_ID: &str = "5fq8cli4devstack0local0cli1";
/// The embedded config's pool.
pub const POOL_ID: &str = "us-east-1_DevStack01";
/// A user with an authenticator set up (see [`totp_user`]).
pub const TOTP_USER: (&str, &str) = ("totp-user", "Totp-User-Passw0rd!");
/// Its base32 secret (20 bytes).
pub const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// What the AWS CLI sends with dummy credentials, signature shortened.
const SIGV4: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/cognito-idp/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00";

/// A `[[users]]` entry from JSON (the config's own field names).
pub fn user_config(entry: Value) -> UserConfig {
    serde_json::from_value(entry).unwrap()
}

/// [`TOTP_USER`], with [`TOTP_SECRET`] enabled and preferred.
pub fn totp_user() -> UserConfig {
    user_config(json!({
        "username": TOTP_USER.0,
        "email": "totp-user@example.com",
        "password": TOTP_USER.1,
        "totp_secret": TOTP_SECRET,
    }))
}

/// The code an authenticator app shows for `secret` (base32) at `at` (Unix seconds): RFC 6238,
/// HMAC-SHA1, 30-second steps, 6 digits.
pub fn totp_code(secret: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret.as_bytes().to_vec())
        .build_noncompliant()
        .generate(at)
        .to_string()
}

/// Six digits that are not the code of `secret` at `at`, nor of the step before or after (the
/// window Cognito accepts).
pub fn wrong_code(secret: &str, at: u64) -> String {
    let near = [at - 30, at, at + 30].map(|t| totp_code(secret, t));
    (0..4)
        .map(|i| format!("{i}{i}{i}{i}{i}{i}"))
        .find(|code| !near.contains(code))
        .unwrap()
}

/// Asserts Cognito's error answer: 400, `x-amzn-ErrorType`, `{"__type", "message"}` exactly.
pub fn assert_aws_error(answer: &Answer, kind: &str, message: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.header("x-amzn-errortype"), Some(kind));
    assert_eq!(answer.json(), json!({"__type": kind, "message": message}));
}

/// Asserts a 200 answer and returns its JSON.
pub fn ok(answer: &Answer) -> Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

impl Harness {
    /// Calls `operation` with `body`, unsigned.
    pub async fn idp(&self, operation: &str, body: Value) -> Answer {
        self.idp_request(operation, &body.to_string(), false).await
    }

    /// Calls an Admin* `operation` signed, with this pool's `UserPoolId` added.
    pub async fn admin(&self, operation: &str, mut body: Value) -> Answer {
        body["UserPoolId"] = POOL_ID.into();
        self.idp_request(operation, &body.to_string(), true).await
    }

    /// Posts `body` as it is to `operation`.
    pub async fn idp_request(&self, operation: &str, body: &str, signed: bool) -> Answer {
        let mut request = reqwest::Client::new()
            .post(self.cognito("/"))
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .body(body.to_owned());
        if signed {
            request = request.header("authorization", SIGV4);
        }
        read(request.send().await.unwrap()).await
    }

    /// InitiateAuth USER_PASSWORD_AUTH with the CLI client.
    pub async fn initiate_password_auth(&self, user: (&str, &str)) -> Answer {
        self.idp(
            "InitiateAuth",
            json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": CLI_CLIENT_ID,
                "AuthParameters": {"USERNAME": user.0, "PASSWORD": user.1},
            }),
        )
        .await
    }

    /// Signs `user` in with the CLI client, expecting tokens at once: the
    /// `AuthenticationResult`.
    pub async fn cli_tokens(&self, user: (&str, &str)) -> Value {
        let answer = ok(&self.initiate_password_auth(user).await);
        assert_eq!(answer["ChallengeParameters"], json!({}), "{answer}");
        answer["AuthenticationResult"].clone()
    }

    /// Signs `user` in with the CLI client, expecting `challenge`: the whole answer.
    pub async fn cli_challenge(&self, user: (&str, &str), challenge: &str) -> Value {
        let answer = ok(&self.initiate_password_auth(user).await);
        assert_eq!(answer["ChallengeName"], challenge, "{answer}");
        answer
    }

    /// RespondToAuthChallenge for the CLI client.
    pub async fn respond(&self, challenge: &str, session: &Value, responses: Value) -> Answer {
        self.idp(
            "RespondToAuthChallenge",
            json!({
                "ClientId": CLI_CLIENT_ID,
                "ChallengeName": challenge,
                "Session": session,
                "ChallengeResponses": responses,
            }),
        )
        .await
    }

    /// The code of `secret` at the stack's clock.
    pub fn totp_now(&self, secret: &str) -> String {
        totp_code(secret, self.stack.clock().now_secs())
    }

    /// A code of `secret` that the stack refuses now.
    pub fn wrong_totp_now(&self, secret: &str) -> String {
        wrong_code(secret, self.stack.clock().now_secs())
    }

    /// The newest message of `kind` about `username`.
    pub fn last_mail(&self, username: &str, kind: MailKind) -> Mail {
        self.stack
            .mailbox()
            .into_iter()
            .find(|m| m.username == username && m.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} mail for {username}"))
    }

    /// The access token's user operation `operation` with `body` plus `AccessToken`.
    pub async fn with_token(&self, operation: &str, token: &Value, mut body: Value) -> Answer {
        body["AccessToken"] = token.clone();
        self.idp(operation, body).await
    }
}
