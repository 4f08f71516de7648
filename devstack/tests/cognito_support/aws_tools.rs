//! The real AWS clients from the project's virtualenv (`.tools/venv`, made by `cargo xtask
//! setup` from xtask/python-requirements.txt): the AWS CLI and boto3's Python. They run with
//! dummy credentials, no config files, no retries and short timeouts, so they talk to devstack
//! only and fail fast.
//!
//! The stack runs on the test's own runtime: tests that run these use a multi-threaded runtime
//! and wait for the processes inside `tokio::task::block_in_place`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::Harness;

/// `.tools/venv` at the workspace root, or a failure saying how to make it.
pub fn venv() -> PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let venv = root.join(".tools/venv");
    for tool in ["bin/aws", "bin/python"] {
        assert!(
            venv.join(tool).is_file(),
            "{} is missing: run `cargo xtask setup`, which makes the project's Python \
             virtualenv with the AWS CLI and boto3 (xtask/python-requirements.txt)",
            venv.join(tool).display()
        );
    }
    venv
}

/// A command of the virtualenv with an environment that reaches nothing but devstack.
pub fn venv_command(program: &str) -> Command {
    let mut command = Command::new(venv().join("bin").join(program));
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", std::env::temp_dir())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "");
    command
}

/// What `aws cognito-idp ...` did.
pub struct CliRun {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CliRun {
    /// The JSON it printed, after asserting it succeeded.
    pub fn json(&self) -> Value {
        assert!(self.success, "the AWS CLI failed: {}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl Harness {
    /// Runs `aws cognito-idp <args>` against this stack's Cognito side.
    pub fn aws(&self, args: &[&str]) -> CliRun {
        let mut command = venv_command("aws");
        command
            .arg("cognito-idp")
            .args(args)
            .args(["--endpoint-url", self.stack.cognito_url().as_str()])
            .args(["--output", "json"])
            .args(["--cli-connect-timeout", "5", "--cli-read-timeout", "20"]);
        let output = tokio::task::block_in_place(|| command.output()).unwrap();
        CliRun {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
