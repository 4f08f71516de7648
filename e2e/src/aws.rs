//! The AWS side of the emulator test, as a user drives it: `cargo xtask deploy` and the AWS CLI
//! (both from `cargo xtask setup`), pointed at an emulator with dummy credentials that can reach
//! nothing else.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The region every call names (the template's outputs and the emulator's state are per region).
pub const REGION: &str = "us-east-1";
/// How long one `cargo xtask deploy` may take: on a cold machine it builds the Lambda and the SPA.
const DEPLOY_DEADLINE: Duration = Duration::from_secs(25 * 60);
/// How long one AWS CLI call may take.
const CLI_DEADLINE: Duration = Duration::from_secs(120);

/// Dummy credentials and an endpoint for every AWS call made from here, and nothing from the
/// developer's own AWS configuration.
pub struct EmulatedAws {
    endpoint_url: String,
    /// Holds the empty AWS config files and the deploy logs.
    scratch: tempfile::TempDir,
}

impl EmulatedAws {
    pub fn new(endpoint_url: String) -> Result<Self> {
        let scratch = tempfile::Builder::new()
            .prefix("e2e-aws-")
            .tempdir()
            .context("could not create a directory for the AWS CLI's configuration")?;
        Ok(Self {
            endpoint_url,
            scratch,
        })
    }

    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// The environment of every command: the emulator's dummy account, no profile, no real
    /// credentials or config files, no instance metadata.
    fn isolate(&self, command: &mut Command) {
        let none = self.scratch.path().join("no-aws-config");
        for name in [
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_CA_BUNDLE",
            "COGNITO_SPA_STACK",
        ] {
            command.env_remove(name);
        }
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_REGION", REGION)
            .env("AWS_CONFIG_FILE", &none)
            .env("AWS_SHARED_CREDENTIALS_FILE", &none)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env("SAM_CLI_TELEMETRY", "0")
            .stdin(Stdio::null());
    }

    /// `cargo xtask deploy --endpoint-url <emulator> --arch x86_64 <args>`, as a user types it.
    /// Returns what it printed; fails with the end of it.
    pub fn deploy(&self, log_name: &str, args: &[&str]) -> Result<String> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let log_path = self.scratch.path().join(format!("{log_name}.log"));
        let log = File::create(&log_path)
            .with_context(|| format!("could not create {}", log_path.display()))?;
        let mut command = Command::new(cargo);
        command
            .current_dir(crate::workspace_root())
            .args(["xtask", "deploy", "--endpoint-url", &self.endpoint_url])
            .args(["--arch", "x86_64", "--region", REGION])
            .args(args)
            .stdout(log.try_clone()?)
            .stderr(log);
        self.isolate(&mut command);
        let started = Instant::now();
        let outcome = run_until(&mut command, DEPLOY_DEADLINE);
        let printed = std::fs::read_to_string(&log_path).unwrap_or_default();
        keep_log(log_name, &printed);
        match outcome {
            Ok(()) => Ok(printed),
            Err(error) => bail!(
                "`cargo xtask deploy` ({log_name}) failed after {:.0?}: {error:#}\nits last lines:\n{}",
                started.elapsed(),
                last_lines(&printed, 60)
            ),
        }
    }

    /// `aws <args> --output json --region us-east-1` against the emulator, its answer parsed. An
    /// error names the service and operation only: the other arguments may hold a password.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        let text = self.text(args)?;
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| {
            format!(
                "`aws {}` printed something other than JSON: {text}",
                operation(args)
            )
        })
    }

    /// `aws <args>` against the emulator; its standard output.
    pub fn text(&self, args: &[&str]) -> Result<String> {
        let aws = crate::workspace_root().join(".tools/venv/bin/aws");
        if !aws.is_file() {
            bail!("{} is missing: run `cargo xtask setup`", aws.display());
        }
        let mut command = Command::new(&aws);
        command
            .args(args)
            .args(["--output", "json", "--region", REGION])
            .args(["--endpoint-url", &self.endpoint_url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.isolate(&mut command);
        let child = command
            .spawn()
            .with_context(|| format!("could not start {}", aws.display()))?;
        let output = wait_output(child, CLI_DEADLINE)
            .with_context(|| format!("`aws {}`", operation(args)))?;
        if !output.status.success() {
            bail!(
                "`aws {}` failed ({}): {}",
                operation(args),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The stack as `describe-stacks` reports it: status, outputs and parameters.
    pub fn stack(&self, stack: &str) -> Result<StackView> {
        let answer = self.json(&["cloudformation", "describe-stacks", "--stack-name", stack])?;
        let stack = answer
            .pointer("/Stacks/0")
            .with_context(|| format!("describe-stacks lists no stack {stack}: {answer}"))?;
        let pairs = |list: &str, key: &str, value: &str| -> BTreeMap<String, String> {
            stack
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|item| {
                    Some((
                        item.get(key)?.as_str()?.to_owned(),
                        item.get(value)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    ))
                })
                .collect()
        };
        Ok(StackView {
            status: stack
                .get("StackStatus")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            outputs: pairs("Outputs", "OutputKey", "OutputValue"),
            parameters: pairs("Parameters", "ParameterKey", "ParameterValue"),
        })
    }
}

/// What the test reads of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackView {
    pub status: String,
    pub outputs: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
}

impl StackView {
    pub fn output(&self, key: &str) -> Result<&str> {
        self.outputs
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("the stack has no output {key}: {:?}", self.outputs))
    }

    pub fn parameter(&self, key: &str) -> Result<&str> {
        self.parameters
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("the stack has no parameter {key}: {:?}", self.parameters))
    }
}

/// `cloudformation describe-stacks` for an error message: the first two arguments.
fn operation(args: &[&str]) -> String {
    args.iter().take(2).copied().collect::<Vec<_>>().join(" ")
}

/// Runs `command` to its end, killing it at the deadline.
fn run_until(command: &mut Command, deadline: Duration) -> Result<()> {
    let mut child = command.spawn().context("could not start the command")?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if status.success() {
                return Ok(());
            }
            bail!("it exited with {status}");
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("it did not finish within {deadline:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `wait_with_output` with a deadline (the pipes are drained on their own threads).
fn wait_output(child: std::process::Child, deadline: Duration) -> Result<std::process::Output> {
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(output) => Ok(output?),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            bail!("no answer within {deadline:?}; killed")
        }
    }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// Copies a deploy's output next to the screenshots, for a person reading a CI run.
fn keep_log(name: &str, text: &str) {
    let dir: PathBuf = crate::screenshot_dir();
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("aws-emulator-{name}.log")), text);
    }
}

/// The SPA build the deployment uploaded: every file of `dist/` but hidden ones, as S3 keys.
pub fn dist_keys(dist: &Path) -> Result<Vec<String>> {
    fn walk(root: &Path, dir: &Path, keys: &mut Vec<String>) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, keys)?;
            } else if let Ok(relative) = path.strip_prefix(root) {
                keys.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
        Ok(())
    }
    let mut keys = Vec::new();
    walk(dist, dist, &mut keys)?;
    keys.sort();
    Ok(keys)
}
