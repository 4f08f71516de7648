//! The devstack binary: config errors, a port in use, the banner, and what the log leaves out.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_devstack");
const EPHEMERAL: [&str; 6] = [
    "--cognito-addr",
    "127.0.0.1:0",
    "--api-addr",
    "127.0.0.1:0",
    "--spa-addr",
    "127.0.0.1:0",
];

fn temp_file(contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("devstack-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_config_file_fails_at_start_naming_field_and_reason() {
    let bad = devstack::config::EMBEDDED_DEFAULT.replace(
        "access_token_validity_minutes = 60",
        "access_token_validity_minutes = 2",
    );
    let path = temp_file(&bad);
    let mut args = vec!["--config", path.to_str().unwrap()];
    args.extend(EPHEMERAL);
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("config field `app_clients[0].access_token_validity_minutes` is not valid: 2 is outside Cognito's bounds of 5 to 1440 minutes"),
        "{stderr}"
    );

    // The SPA's client rotates: it may not allow REFRESH_TOKEN_AUTH.
    let refresh_auth = devstack::config::EMBEDDED_DEFAULT.replacen(
        "explicit_auth_flows = []",
        "explicit_auth_flows = [\"ALLOW_REFRESH_TOKEN_AUTH\"]",
        1,
    );
    assert_ne!(refresh_auth, devstack::config::EMBEDDED_DEFAULT);
    std::fs::write(&path, refresh_auth).unwrap();
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "config field `app_clients[0].explicit_auth_flows[0]` is not valid: \
             ALLOW_REFRESH_TOKEN_AUTH cannot be allowed on a client with refresh_token_rotation"
        ),
        "{stderr}"
    );

    let typo = devstack::config::EMBEDDED_DEFAULT.replace(
        "refresh_token_rotation = true",
        "refresh_token_rotaton = true",
    );
    assert_ne!(
        typo,
        devstack::config::EMBEDDED_DEFAULT,
        "the typo was made"
    );
    std::fs::write(&path, typo).unwrap();
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unknown field `refresh_token_rotaton`"),
        "{stderr}"
    );
    assert!(stderr.contains("line"), "toml's error says where: {stderr}");
    std::fs::remove_file(&path).unwrap();

    let (code, _, stderr) = run(&["--config", "/nonexistent/devstack.toml"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot read config file /nonexistent/devstack.toml"),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, stderr) = run(&[
        "--cognito-addr",
        &addr,
        "--api-addr",
        "127.0.0.1:0",
        "--spa-addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let port = addr.rsplit(':').next().unwrap();
    assert!(
        stderr.contains(&format!("port {port} is in use")),
        "{stderr}"
    );
    assert!(stderr.contains("--cognito-addr"), "{stderr}");
}

#[test]
fn print_default_config_prints_the_embedded_file() {
    let (code, stdout, _) = run(&["--print-default-config"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, devstack::config::EMBEDDED_DEFAULT);
}

/// Starts the binary on ephemeral ports with `args`; returns it and its banner's lines.
fn start(args: &[&str]) -> (Child, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(EPHEMERAL)
        .args(["--spa-dir", "/nonexistent-dist"])
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, banner) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    while !printed
        .last()
        .is_some_and(|l: &String| l.contains("Ctrl-C stops"))
    {
        match banner.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => printed.push(line),
            Err(error) => {
                child.kill().unwrap();
                panic!("no banner ({error}): {printed:?}");
            }
        }
    }
    (child, printed)
}

#[test]
fn starts_prints_urls_and_logs_paths_without_query_strings() {
    let (mut child, printed) = start(&[]);
    let banner = printed.join("\n");
    assert!(!banner.contains("testing override"), "{banner}");
    assert!(banner.contains("demo / Demo-Passw0rd!"), "{banner}");
    let hosted_ui = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("hosted UI"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(hosted_ui.starts_with("http://localhost:"), "{hosted_ui}");
    for line in [
        format!("  mailbox      {hosted_ui}devstack/mailbox (the e-mails of sign-up and password-reset codes)"),
        "accounts: sign-up on (the login page's \"Sign up\" link); MFA OPTIONAL (users with an authenticator app are asked for its code)".to_owned(),
        "  cognito-spa  3n4b5urk1ft4fl3mg5e62d9ado  (hosted UI, code + PKCE)".to_owned(),
        "  cognito-spa-cli  5fq8cli4devstack0local0cli1  (command line: USER_PASSWORD_AUTH through the JSON API)".to_owned(),
    ] {
        assert!(printed.contains(&line), "no {line:?} in {banner}");
    }

    let url = format!("{hosted_ui}oauth2/authorize?client_id=x&code=SECRETCODE&state=SECRETSTATE");
    let status = std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async { reqwest::get(url).await.map(|r| r.status()) })
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);

    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("/oauth2/authorize"), "{log}");
    assert!(log.contains("status=400"), "{log}");
    assert!(
        !log.contains("SECRET"),
        "the query string is never logged: {log}"
    );
}

#[test]
fn the_banner_warns_of_testing_overrides() {
    let config = devstack::config::EMBEDDED_DEFAULT
        .replace(
            "# token_lifetime_seconds_override = 20",
            "token_lifetime_seconds_override = 20",
        )
        .replace("allow_self_sign_up = true", "allow_self_sign_up = false")
        .replace("mfa = \"OPTIONAL\"", "mfa = \"ON\"");
    let path = temp_file(&config);
    let (mut child, printed) = start(&["--config", path.to_str().unwrap()]);
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        printed
            .iter()
            .any(|line| line == "testing override: tokens live 20 s — not Cognito's behaviour"),
        "{printed:?}"
    );
    assert!(
        printed.iter().any(|line| line
            == "accounts: sign-up off (administrators create users); MFA ON (every user sets up an authenticator app at the first sign-in)"),
        "{printed:?}"
    );
    // A config file's passwords are not printed, even when they are the demo ones.
    assert!(
        printed
            .iter()
            .any(|line| line == "  demo (password from your config)"),
        "{printed:?}"
    );
    assert!(
        !printed.iter().any(|line| line.contains("Passw0rd")),
        "{printed:?}"
    );
}
