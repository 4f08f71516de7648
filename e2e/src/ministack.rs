//! ministack, the independent AWS emulator, as a child process: started on two free loopback
//! ports by `e2e/ministack/launch.py` from the virtualenv `cargo xtask setup` makes, and killed
//! (with every Lambda bootstrap it started) when its guard drops, also when a test fails half-way.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tempfile::TempDir;

/// How long ministack may take to listen (it imports 90-odd service modules first).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// The emulator's log lines kept for an error message.
const LOG_TAIL: usize = 40;

/// A running ministack. Dropping it kills its process group and removes its state directory.
pub struct Ministack {
    child: Child,
    http_port: u16,
    https_port: u16,
    log: Arc<Mutex<Vec<String>>>,
    _state: TempDir,
}

impl Ministack {
    /// Starts the emulator on 127.0.0.1 only and waits until it listens. Fails, saying what to
    /// run, when `cargo xtask setup` has not made its virtualenv.
    pub fn start() -> Result<Self> {
        let root = crate::workspace_root();
        let python = root.join(".tools/ministack/bin/python");
        if !python.is_file() {
            bail!(
                "{} is missing: run `cargo xtask setup`, which installs the ministack emulator (xtask/ministack-requirements.txt)",
                python.display()
            );
        }
        let state = tempfile::Builder::new()
            .prefix("e2e-ministack-")
            .tempdir()
            .context("could not create ministack's state directory")?;
        let dir = |name: &str| -> PathBuf { state.path().join(name) };
        let mut child = Command::new(&python)
            .arg(root.join("e2e/ministack/launch.py"))
            // Everything it writes (RSA keys, certificate, S3 objects, Lambda code) stays in
            // this run's directory, and nothing is kept for the next run.
            .env("STATE_DIR", dir("state"))
            .env("S3_DATA_DIR", dir("s3"))
            .env("TMPDIR", state.path())
            .env("PERSIST_STATE", "0")
            .env("LOG_LEVEL", "WARNING")
            .env("PYTHONUNBUFFERED", "1")
            .env_remove("AWS_ENDPOINT_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: the Lambda bootstraps it starts are killed with it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("could not start {}", python.display()))?;
        let stdout = child.stdout.take().context("ministack has no stdout")?;
        let stderr = child.stderr.take().context("ministack has no stderr")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        keep_tail(stderr, Arc::clone(&log));
        let (ports_tx, ports_rx) = mpsc::channel();
        let stdout_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(ports) = announced_ports(&line) {
                    // Nobody waits any more once start() returned.
                    let _ = ports_tx.send(ports);
                }
                push_line(&stdout_log, line);
            }
        });
        let mut ministack = Self {
            child,
            http_port: 0,
            https_port: 0,
            log,
            _state: state,
        };
        match ports_rx.recv_timeout(START_DEADLINE) {
            Ok((http, https)) => {
                ministack.http_port = http;
                ministack.https_port = https;
                Ok(ministack)
            }
            Err(_) => {
                let status = ministack.child.try_wait().ok().flatten();
                bail!(
                    "ministack did not say it listens within {START_DEADLINE:?} (exit status: {status:?}); its last output:\n{}",
                    ministack.log_tail()
                )
            }
        }
    }

    /// The endpoint for the aws and sam CLIs, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The HTTPS port a browser reaches the deployed AWS host names on (see
    /// [`Ministack::host_resolver_rules`]).
    pub fn https_port(&self) -> u16 {
        self.https_port
    }

    /// Chromium's `--host-resolver-rules` value that sends the host names the stack outputs name
    /// (CloudFront, the hosted UI, the issuer, the API) to the emulator's HTTPS port, keeping
    /// the names themselves, as DNS would.
    pub fn host_resolver_rules(&self) -> String {
        ["*.cloudfront.net", "*.amazoncognito.com", "*.amazonaws.com"]
            .iter()
            .map(|pattern| format!("MAP {pattern} 127.0.0.1:{}", self.https_port))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The emulator's last lines of output, for an error message.
    pub fn log_tail(&self) -> String {
        self.log
            .lock()
            .map(|lines| lines.join("\n"))
            .unwrap_or_else(|_| "(log unavailable)".to_owned())
    }

    /// Whether it still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Ministack {
    fn drop(&mut self) {
        // The group holds the launcher and the Lambda bootstraps.
        crate::driver::kill_process_group(&mut self.child);
    }
}

fn push_line(log: &Mutex<Vec<String>>, line: String) {
    if let Ok(mut lines) = log.lock() {
        lines.push(line);
        if lines.len() > LOG_TAIL {
            let excess = lines.len() - LOG_TAIL;
            lines.drain(..excess);
        }
    }
}

/// Drains a pipe into the log tail, so the emulator never blocks on a full pipe.
fn keep_tail(pipe: impl Read + Send + 'static, log: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            push_line(&log, line);
        }
    });
}

/// `ministack listening http=41234 https=41235` -> (41234, 41235)
fn announced_ports(line: &str) -> Option<(u16, u16)> {
    let rest = line.strip_prefix("ministack listening ")?;
    let mut http = None;
    let mut https = None;
    for word in rest.split_whitespace() {
        if let Some(port) = word.strip_prefix("http=") {
            http = port.parse().ok();
        } else if let Some(port) = word.strip_prefix("https=") {
            https = port.parse().ok();
        }
    }
    Some((http?, https?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_announced_ports() {
        assert_eq!(
            announced_ports("ministack listening http=41234 https=41235"),
            Some((41234, 41235))
        );
        assert_eq!(announced_ports("ministack listening http=41234"), None);
        assert_eq!(announced_ports("Ready — 91 services available"), None);
    }

    #[test]
    fn keeps_only_the_last_lines() {
        let log = Mutex::new(Vec::new());
        for n in 0..LOG_TAIL + 5 {
            push_line(&log, n.to_string());
        }
        let lines = log.into_inner().unwrap_or_default();
        assert_eq!(lines.len(), LOG_TAIL);
        assert_eq!(lines.first().map(String::as_str), Some("5"));
    }
}
