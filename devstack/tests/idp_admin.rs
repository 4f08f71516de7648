//! The administrators' operations through the JSON API (signed as the AWS CLI signs them):
//! AdminCreateUser with its invitation, AdminInitiateAuth / AdminRespondToAuthChallenge
//! (seeds 003 and 004), AdminSetUserPassword, AdminResetUserPassword, AdminGetUser,
//! AdminAddUserToGroup, AdminDeleteUser, and the refusals of an unsigned call or another pool.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use cognito_support::idp::{CLI_CLIENT_ID, TOTP_USER, assert_aws_error, ok, totp_user};
use cognito_support::{CLIENT_ID, DEMO, Harness, verify_jwt};
use devstack::MailKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn create(username: &str, extra: Value) -> Value {
    let mut body = json!({
        "Username": username,
        "UserAttributes": [
            {"Name": "email", "Value": format!("{username}@example.com")},
            {"Name": "email_verified", "Value": "true"},
        ],
    });
    for (name, value) in extra.as_object().unwrap() {
        body[name] = value.clone();
    }
    body
}

fn admin_password_auth(client: &str, username: &str, password: &str) -> Value {
    json!({
        "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
        "ClientId": client,
        "AuthParameters": {"USERNAME": username, "PASSWORD": password},
    })
}

fn new_password(session: &Value, username: &str, password: &str) -> Value {
    json!({
        "ClientId": CLI_CLIENT_ID,
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session,
        "ChallengeResponses": {"USERNAME": username, "NEW_PASSWORD": password},
    })
}

#[tokio::test]
async fn a_created_user_is_invited_then_sets_a_password_at_the_first_admin_sign_in() {
    let harness = Harness::start(|_| {}).await;
    let before = harness.stack.clock().now_secs();
    let created = ok(&harness
        .admin("AdminCreateUser", create("newbie", json!({})))
        .await);
    let user = &created["User"];
    let sub = user["Attributes"][0]["Value"].as_str().unwrap();
    let created_at = user["UserCreateDate"].as_u64().unwrap();
    assert!((before..=before + 5).contains(&created_at), "{user}");
    assert_eq!(
        created,
        json!({"User": {
            "Username": "newbie",
            "Attributes": [
                {"Name": "sub", "Value": sub},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "email", "Value": "newbie@example.com"},
            ],
            "UserCreateDate": created_at,
            "UserLastModifiedDate": created_at,
            "Enabled": true,
            "UserStatus": "FORCE_CHANGE_PASSWORD",
        }})
    );
    let invitation = harness.last_mail("newbie", MailKind::Invitation);
    assert_eq!(invitation.to, "newbie@example.com");
    let temporary = invitation.code.clone();
    assert_eq!(
        invitation.body,
        format!("Your username is newbie and temporary password is {temporary}.")
    );

    let challenge = ok(&harness
        .admin(
            "AdminInitiateAuth",
            admin_password_auth(CLI_CLIENT_ID, "newbie", &temporary),
        )
        .await);
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let attributes: Value = serde_json::from_str(
        challenge["ChallengeParameters"]["userAttributes"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        attributes,
        json!({"email": "newbie@example.com", "email_verified": "true"})
    );
    let done = ok(&harness
        .admin(
            "AdminRespondToAuthChallenge",
            new_password(&challenge["Session"], "newbie", "Newbie-Passw0rd!"),
        )
        .await);
    let access = done["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap();
    let hello = harness.api_get("/hello", access).await;
    assert_eq!(hello.json()["message"], "Hello, newbie!");
    let described = ok(&harness
        .admin("AdminGetUser", json!({"Username": "newbie"}))
        .await);
    assert_eq!(described["UserStatus"], "CONFIRMED");
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn an_initiate_auth_session_can_be_answered_by_the_admin_operation() {
    // Seed 004: initiate-auth, then admin-respond-to-auth-challenge with its session.
    let harness = Harness::start(|_| {}).await;
    let body = create(
        "seed",
        json!({"TemporaryPassword": "Seed-Temp-Passw0rd!", "MessageAction": "SUPPRESS"}),
    );
    ok(&harness.admin("AdminCreateUser", body).await);
    assert!(
        harness.stack.mailbox().is_empty(),
        "SUPPRESS sends no invitation"
    );
    let challenge = harness
        .cli_challenge(("seed", "Seed-Temp-Passw0rd!"), "NEW_PASSWORD_REQUIRED")
        .await;
    let done = ok(&harness
        .admin(
            "AdminRespondToAuthChallenge",
            new_password(&challenge["Session"], "seed", "Seed-New-Passw0rd!"),
        )
        .await);
    assert!(
        done["AuthenticationResult"]["IdToken"].is_string(),
        "{done}"
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn admin_create_user_refusals() {
    let harness = Harness::start(|_| {}).await;
    let cases = [
        (
            create("demo", json!({})),
            "UsernameExistsException",
            "User account already exists",
        ),
        (
            json!({"Username": "noemail"}),
            "InvalidParameterException",
            "Attributes did not conform to the schema: email: The attribute is required",
        ),
        (
            create("weak", json!({"TemporaryPassword": "weak-pass"})),
            "InvalidPasswordException",
            "Password did not conform with policy: Password not long enough",
        ),
        (
            create("again", json!({"MessageAction": "RESEND"})),
            "InvalidParameterException",
            "devstack does not implement MessageAction RESEND: give the user a new temporary \
             password with AdminSetUserPassword (Permanent false)",
        ),
        (
            create("loud", json!({"MessageAction": "SHOUT"})),
            "InvalidParameterException",
            "1 validation error detected: Value 'SHOUT' at 'messageAction' failed to satisfy \
             constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]",
        ),
        (
            json!({"Username": "odd", "UserAttributes": [
                {"Name": "email", "Value": "odd@example.com"},
                {"Name": "email_verified", "Value": "maybe"},
            ]}),
            "InvalidParameterException",
            "email_verified must be \"true\" or \"false\"",
        ),
        (
            json!({"Username": "taken", "UserAttributes": [
                {"Name": "email", "Value": "demo@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ]}),
            "AliasExistsException",
            "An account with the email already exists.",
        ),
    ];
    for (body, kind, message) in cases {
        assert_aws_error(&harness.admin("AdminCreateUser", body).await, kind, message);
    }
    assert!(harness.stack.mailbox().is_empty());
    harness.stack.shutdown().await;
}

async fn status(harness: &Harness, username: &str) -> Value {
    ok(&harness
        .admin("AdminGetUser", json!({"Username": username}))
        .await)["UserStatus"]
        .clone()
}

#[tokio::test]
async fn admin_set_user_password_permanent_or_temporary() {
    let harness = Harness::start(|_| {}).await;
    let body = create("pat", json!({"MessageAction": "SUPPRESS"}));
    ok(&harness.admin("AdminCreateUser", body).await);
    let set = |username: &str, password: &str, permanent: bool| json!({"Username": username, "Password": password, "Permanent": permanent});
    let answer = harness
        .admin(
            "AdminSetUserPassword",
            set("pat", "Pat-Permanent-Passw0rd!", true),
        )
        .await;
    assert_eq!(ok(&answer), json!({}));
    assert_eq!(status(&harness, "pat").await, "CONFIRMED");
    harness.cli_tokens(("pat", "Pat-Permanent-Passw0rd!")).await;

    // Temporary: the next sign-in must set a new one.
    ok(&harness
        .admin(
            "AdminSetUserPassword",
            set("demo", "Demo-Temporary-Passw0rd!", false),
        )
        .await);
    assert_eq!(status(&harness, "demo").await, "FORCE_CHANGE_PASSWORD");
    harness
        .cli_challenge(
            ("demo", "Demo-Temporary-Passw0rd!"),
            "NEW_PASSWORD_REQUIRED",
        )
        .await;
    assert_aws_error(
        &harness.initiate_password_auth(DEMO).await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );

    let cases = [
        (
            set("nobody", "Nobody-Passw0rd!", true),
            "UserNotFoundException",
            "User does not exist.",
        ),
        (
            set("pat", "short", true),
            "InvalidPasswordException",
            "Password did not conform with policy: Password not long enough",
        ),
        (
            json!({"Username": "pat", "Password": "Pat-Permanent-Passw0rd!", "Permanent": "yes"}),
            "SerializationException",
            "Member Permanent must be a boolean",
        ),
    ];
    for (body, kind, message) in cases {
        assert_aws_error(
            &harness.admin("AdminSetUserPassword", body).await,
            kind,
            message,
        );
    }
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_reset_required_by_an_administrator_takes_the_mailed_code() {
    let harness = Harness::start(|_| {}).await;
    let answer = harness
        .admin("AdminResetUserPassword", json!({"Username": "demo"}))
        .await;
    assert_eq!(ok(&answer), json!({}));
    assert_eq!(status(&harness, "demo").await, "RESET_REQUIRED");
    assert_aws_error(
        &harness.initiate_password_auth(DEMO).await,
        "PasswordResetRequiredException",
        "Password reset required for the user",
    );
    let code = harness.last_mail("demo", MailKind::PasswordResetCode).code;
    let confirm = json!({
        "ClientId": CLI_CLIENT_ID,
        "Username": "demo",
        "ConfirmationCode": code,
        "Password": "Demo-Reset-Passw0rd!",
    });
    assert_eq!(
        ok(&harness.idp("ConfirmForgotPassword", confirm).await),
        json!({})
    );
    assert_eq!(status(&harness, "demo").await, "CONFIRMED");
    harness.cli_tokens(("demo", "Demo-Reset-Passw0rd!")).await;
    assert_aws_error(
        &harness
            .admin("AdminResetUserPassword", json!({"Username": "nobody"}))
            .await,
        "UserNotFoundException",
        "User does not exist.",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn admin_get_user_describes_the_user_and_its_authenticator() {
    let harness = Harness::start(|config| config.users.push(totp_user())).await;
    let demo = ok(&harness
        .admin("AdminGetUser", json!({"Username": "demo"}))
        .await);
    let created = demo["UserCreateDate"].as_u64().unwrap();
    assert_eq!(
        demo,
        json!({
            "Username": "demo",
            "UserAttributes": [
                {"Name": "sub", "Value": demo["UserAttributes"][0]["Value"]},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "email", "Value": "demo@example.com"},
            ],
            "UserCreateDate": created,
            "UserLastModifiedDate": created,
            "Enabled": true,
            "UserStatus": "CONFIRMED",
        })
    );
    // By the verified e-mail address too (an alias), answering the real username.
    let by_email = ok(&harness
        .admin("AdminGetUser", json!({"Username": "totp-user@example.com"}))
        .await);
    assert_eq!(by_email["Username"], TOTP_USER.0);
    assert_eq!(
        by_email["UserMFASettingList"],
        json!(["SOFTWARE_TOKEN_MFA"])
    );
    assert_eq!(by_email["PreferredMfaSetting"], "SOFTWARE_TOKEN_MFA");
    assert_aws_error(
        &harness
            .admin("AdminGetUser", json!({"Username": "nobody"}))
            .await,
        "UserNotFoundException",
        "User does not exist.",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_group_added_shows_in_the_next_tokens() {
    let harness = Harness::start(|_| {}).await;
    let before = harness.cli_tokens(DEMO).await;
    let forbidden = harness
        .api_get("/admin", before["AccessToken"].as_str().unwrap())
        .await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.body
    );
    let add = |group: &str| json!({"Username": "demo", "GroupName": group});
    assert_eq!(
        ok(&harness.admin("AdminAddUserToGroup", add("admin")).await),
        json!({})
    );
    assert_aws_error(
        &harness.admin("AdminAddUserToGroup", add("owners")).await,
        "ResourceNotFoundException",
        "Group not found.",
    );
    let after = harness.cli_tokens(DEMO).await;
    let jwks = harness.jwks().await;
    for token in ["AccessToken", "IdToken"] {
        let (_, claims) = verify_jwt(after[token].as_str().unwrap(), &jwks).unwrap();
        assert_eq!(
            claims["cognito:groups"],
            json!(["users", "admin"]),
            "{token}"
        );
    }
    let allowed = harness
        .api_get("/admin", after["AccessToken"].as_str().unwrap())
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn a_deleted_user_is_gone_with_its_sign_ins() {
    let harness = Harness::start(|_| {}).await;
    let tokens = harness.cli_tokens(DEMO).await;
    let answer = harness
        .admin("AdminDeleteUser", json!({"Username": "demo"}))
        .await;
    assert_eq!(ok(&answer), json!({}));
    assert_aws_error(
        &harness
            .admin("AdminDeleteUser", json!({"Username": "demo"}))
            .await,
        "UserNotFoundException",
        "User does not exist.",
    );
    assert_aws_error(
        &harness.initiate_password_auth(DEMO).await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    assert_aws_error(
        &harness
            .with_token("GetUser", &tokens["AccessToken"], json!({}))
            .await,
        "NotAuthorizedException",
        "Access Token has been revoked",
    );
    // A user created again under the name is not reached with the old refresh token.
    let body = create(
        "demo",
        json!({"TemporaryPassword": DEMO.1, "MessageAction": "SUPPRESS"}),
    );
    ok(&harness.admin("AdminCreateUser", body).await);
    let refresh = json!({
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": CLI_CLIENT_ID,
        "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"]},
    });
    assert_aws_error(
        &harness.idp("InitiateAuth", refresh).await,
        "NotAuthorizedException",
        "Invalid Refresh Token",
    );
    harness.stack.shutdown().await;
}

#[tokio::test]
async fn admin_operations_need_a_signature_this_pool_and_the_admin_flow() {
    let harness = Harness::start(|_| {}).await;
    let body = json!({"UserPoolId": "us-east-1_DevStack01", "Username": "demo"}).to_string();
    for operation in ["AdminGetUser", "AdminCreateUser", "AdminInitiateAuth"] {
        let unsigned = harness.idp_request(operation, &body, false).await;
        assert_eq!(unsigned.status, StatusCode::FORBIDDEN, "{}", unsigned.body);
        assert_eq!(
            unsigned.header("x-amzn-errortype"),
            Some("MissingAuthenticationTokenException")
        );
        assert_eq!(
            unsigned.json(),
            json!({
                "__type": "MissingAuthenticationTokenException",
                "message": "Missing Authentication Token",
            })
        );
    }
    // A bearer token is no signature.
    let bearer = reqwest::Client::new()
        .post(harness.cognito("/"))
        .header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.AdminGetUser",
        )
        .header("authorization", "Bearer something")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::FORBIDDEN);

    let cases = [
        (
            "AdminGetUser",
            json!({"UserPoolId": "us-east-1_Other", "Username": "demo"}),
            "ResourceNotFoundException",
            "User pool us-east-1_Other does not exist.",
        ),
        (
            "AdminGetUser",
            json!({"Username": "demo"}),
            "InvalidParameterException",
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy \
             constraint: Member must not be null",
        ),
    ];
    for (operation, body, kind, message) in cases {
        let answer = harness
            .idp_request(operation, &body.to_string(), true)
            .await;
        assert_aws_error(&answer, kind, message);
    }
    let cases = [
        (
            admin_password_auth(CLIENT_ID, DEMO.0, DEMO.1),
            "ADMIN_USER_PASSWORD_AUTH flow not enabled for this client",
        ),
        (
            json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": CLI_CLIENT_ID,
                "AuthParameters": {"USERNAME": DEMO.0, "PASSWORD": DEMO.1},
            }),
            "Initiate Auth method not supported.",
        ),
    ];
    for (body, message) in cases {
        assert_aws_error(
            &harness.admin("AdminInitiateAuth", body).await,
            "InvalidParameterException",
            message,
        );
    }
    let tokens = ok(&harness
        .admin(
            "AdminInitiateAuth",
            admin_password_auth(CLI_CLIENT_ID, DEMO.0, DEMO.1),
        )
        .await);
    assert!(
        tokens["AuthenticationResult"]["RefreshToken"].is_string(),
        "{tokens}"
    );
    harness.stack.shutdown().await;
}
