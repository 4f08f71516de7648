//! boto3's cognito-idp client against devstack: `boto3_flows.py` (beside this file) signs in
//! with a TOTP code, signs an invited user in, signs up and confirms, and reads an error,
//! asking this test for what only it knows (the authenticator's code at the stack's clock, the
//! mailbox). Then the tokens it got call the API.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

mod cognito_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

use cognito_support::Harness;
use cognito_support::aws_tools::venv_command;
use cognito_support::idp::{CLI_CLIENT_ID, POOL_ID, TOTP_SECRET, TOTP_USER, totp_user};
use devstack::MailKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Runs the script to its end, answering its questions; returns its `done` object.
fn run_script(harness: &Harness) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/boto3_flows.py");
    let mut child = venv_command("python")
        .arg(script)
        .args([
            harness.stack.cognito_url().as_str(),
            CLI_CLIENT_ID,
            POOL_ID,
            TOTP_USER.0,
            TOTP_USER.1,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let traceback = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut done = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let message: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if let Some(result) = message.get("done") {
            done = Some(result.clone());
            continue;
        }
        let answer = match message["ask"].as_str().unwrap() {
            "totp_code" => harness.totp_now(TOTP_SECRET),
            "mail" => {
                let kind = match message["kind"].as_str().unwrap() {
                    "invitation" => MailKind::Invitation,
                    _ => MailKind::SignUpCode,
                };
                harness
                    .last_mail(message["username"].as_str().unwrap(), kind)
                    .code
            }
            other => panic!("the script asked for {other}"),
        };
        writeln!(stdin, "{}", json!({ "answer": answer })).unwrap();
    }
    let status = child.wait().unwrap();
    let traceback = traceback.join().unwrap();
    assert!(
        status.success(),
        "boto3_flows.py failed ({status}): {traceback}"
    );
    done.unwrap_or_else(|| panic!("boto3_flows.py ended without a result: {traceback}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_runs_the_seed_flows() {
    let harness = Harness::start(|config| config.users.push(totp_user())).await;
    let done = tokio::task::block_in_place(|| run_script(&harness));

    for (token, greeting) in [
        ("mfa", "Hello, totp-user!"),
        ("invited", "Hello, boto-invitee!"),
        ("signed_up", "Hello, boto-newcomer!"),
    ] {
        let answer = harness
            .api_get("/hello", done[token].as_str().unwrap())
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{token}: {}", answer.body);
        assert_eq!(answer.json()["message"], greeting);
    }
    assert_eq!(done["created_status"], "FORCE_CHANGE_PASSWORD");
    assert_eq!(
        done["code_delivery"],
        json!({"Destination": "b***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    );
    assert_eq!(done["get_user"]["Username"], "boto-newcomer");
    assert_eq!(
        done["get_user"]["UserAttributes"][2],
        json!({"Name": "email", "Value": "boto-newcomer@example.com"})
    );
    assert_eq!(done["wrong_password"]["Code"], "NotAuthorizedException");
    assert_eq!(
        done["wrong_password"]["Message"],
        "Incorrect username or password."
    );
    harness.stack.shutdown().await;
}
