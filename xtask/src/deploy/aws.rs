//! The programs deploy drives (the `aws` and `sam` CLIs, cargo-lambda, Trunk) and the preflight
//! that checks them and the AWS credentials before anything is built or changed.
//!
//! Everything AWS-side goes through the `aws` and `sam` CLIs, so xtask needs no AWS SDK.

use super::NOTHING_CHANGED;
use crate::cmd;
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::process::{Command, Stdio};

/// The programs deploy drives, by name or path (tests substitute fakes).
pub(super) struct Tools {
    pub(super) aws: OsString,
    pub(super) sam: OsString,
    pub(super) cargo: OsString,
    pub(super) trunk: OsString,
    /// `AWS_ENDPOINT_URL` for the `aws` and `sam` commands (`--endpoint-url`).
    pub(super) endpoint_url: Option<String>,
}

impl Tools {
    pub(super) fn from_path() -> Self {
        Self {
            aws: "aws".into(),
            sam: "sam".into(),
            cargo: "cargo".into(),
            trunk: "trunk".into(),
            endpoint_url: None,
        }
    }

    pub(super) fn with_endpoint_url(self, endpoint_url: Option<String>) -> Self {
        Self {
            endpoint_url,
            ..self
        }
    }

    /// A `sam` command, sent to the same endpoint as the `aws` ones.
    pub(super) fn sam(&self) -> Command {
        let mut command = cmd::command(&self.sam);
        command.env("SAM_CLI_TELEMETRY", "0").stdin(Stdio::null());
        self.point_at_endpoint(&mut command);
        command
    }

    /// A `cargo` command (cargo-lambda is a cargo subcommand).
    pub(super) fn cargo(&self) -> Command {
        cmd::command(&self.cargo)
    }

    /// Both CLIs (and the SDKs under them) read `AWS_ENDPOINT_URL` for every service.
    fn point_at_endpoint(&self, command: &mut Command) {
        if let Some(url) = &self.endpoint_url {
            command.env("AWS_ENDPOINT_URL", url);
        }
    }

    /// An `aws` command for `region` that never pages, prompts or hangs on instance metadata.
    pub(super) fn aws(&self, region: &str) -> Command {
        let mut command = cmd::command(&self.aws);
        command
            .env("AWS_PAGER", "")
            .stdin(Stdio::null())
            .args(["--region", region]);
        self.point_at_endpoint(&mut command);
        // Outside EC2 the CLI's credential chain would wait on the metadata service; keep that
        // short unless the caller chose otherwise.
        for (name, value) in [
            ("AWS_METADATA_SERVICE_TIMEOUT", "1"),
            ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1"),
        ] {
            if std::env::var_os(name).is_none() {
                command.env(name, value);
            }
        }
        command
    }
}

/// Who the credentials belong to.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct CallerIdentity {
    pub(super) account: String,
    pub(super) arn: String,
}

/// Everything that must be in place before anything is built or changed. Credentials first:
/// they are the most common thing to be missing.
pub(super) fn preflight(tools: &Tools, region: &str) -> Result<CallerIdentity> {
    let identity = caller_identity(tools, region)?;
    require(
        tools.sam().arg("--version"),
        "the AWS SAM CLI (`sam`), which packages the Lambda: run `cargo xtask setup` (see infra/README.md)",
    )?;
    require(
        tools.cargo().args(["lambda", "--version"]),
        "cargo-lambda, which builds the Lambda for Linux: run `cargo xtask setup` (it brings zig) or see infra/README.md",
    )?;
    require(
        cmd::command(&tools.trunk).arg("--version"),
        "trunk, which builds the SPA: run `cargo xtask setup`",
    )?;
    Ok(identity)
}

fn require(command: &mut Command, what: &str) -> Result<()> {
    match command.stdin(Stdio::null()).output() {
        Ok(output) if output.status.success() => Ok(()),
        _ => bail!(
            "{} does not run: install {what}. {NOTHING_CHANGED}",
            cmd::describe(command)
        ),
    }
}

fn caller_identity(tools: &Tools, region: &str) -> Result<CallerIdentity> {
    let mut sts = tools.aws(region);
    sts.args([
        "sts",
        "get-caller-identity",
        "--output",
        "json",
        "--cli-connect-timeout",
        "10",
    ]);
    let output = match sts.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "the AWS CLI (`aws`) is not installed or not on PATH: install AWS CLI v2 and configure \
             credentials (see infra/README.md). {NOTHING_CHANGED}"
        ),
        Err(error) => bail!("could not start the AWS CLI: {error}. {NOTHING_CHANGED}"),
    };
    if !output.status.success() {
        bail!(
            "no usable AWS credentials: `aws sts get-caller-identity` failed: {}\n\
             Configure credentials (`aws configure`, `aws sso login`, AWS_PROFILE or \
             AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and try again. {NOTHING_CHANGED}",
            last_line(&output.stderr)
        );
    }
    parse_caller_identity(&String::from_utf8_lossy(&output.stdout))
}

fn parse_caller_identity(json: &str) -> Result<CallerIdentity> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Raw {
        account: String,
        arn: String,
    }
    let raw: Raw = serde_json::from_str(json)
        .context("`aws sts get-caller-identity` printed something other than its JSON answer")?;
    Ok(CallerIdentity {
        account: raw.account,
        arn: raw.arn,
    })
}

/// The last non-empty line of a tool's error output: usually the one that says what went wrong.
pub(super) fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("(no message)")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_reaches_every_aws_and_sam_command() {
        let endpoint = |command: &Command| {
            command
                .get_envs()
                .find(|(name, _)| *name == "AWS_ENDPOINT_URL")
                .and_then(|(_, value)| value)
                .map(|value| value.to_string_lossy().into_owned())
        };
        let aws = Tools::from_path();
        assert_eq!(endpoint(&aws.aws("us-east-1")), None);
        assert_eq!(endpoint(&aws.sam()), None);
        let emulated =
            Tools::from_path().with_endpoint_url(Some("http://127.0.0.1:4566".to_owned()));
        for command in [emulated.aws("us-east-1"), emulated.sam()] {
            assert_eq!(
                endpoint(&command).as_deref(),
                Some("http://127.0.0.1:4566"),
                "{}",
                cmd::describe(&command)
            );
        }
    }

    #[test]
    fn the_caller_identity_is_read() {
        let identity = parse_caller_identity(
            r#"{"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/dev"}"#,
        )
        .unwrap();
        assert_eq!(identity.account, "123456789012");
        assert_eq!(identity.arn, "arn:aws:iam::123456789012:user/dev");
        assert!(parse_caller_identity("{}").is_err());
    }
}
