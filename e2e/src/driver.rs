//! The chromedriver process: started on a free loopback port, killed (with the Chromium it
//! launched) when its guard drops, also when a test fails half-way.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long chromedriver may take to say it listens.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// A running chromedriver. Dropping it kills its whole process group, so a browser left
/// behind by a failed test dies with it.
pub struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    /// Starts chromedriver on an ephemeral port (it picks one with `--port=0` and prints it) and
    /// waits until it listens. `temp_dir` is the `TMPDIR` of chromedriver and the browser it
    /// starts: Chromium leaves its scoped directories (tens of MB each) behind when it is killed,
    /// so they go where the caller removes them.
    pub fn start(temp_dir: &Path) -> Result<Self> {
        let program = find_on_path("chromedriver").context(
            "chromedriver is not on PATH: install Debian's chromium-driver (`cargo xtask setup`)",
        )?;
        let mut child = Command::new(&program)
            .arg("--port=0")
            .env("TMPDIR", temp_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so that the browser it starts can be killed with it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("could not start {}", program.display()))?;
        let stdout = child.stdout.take().context("chromedriver has no stdout")?;
        let mut driver = Self {
            child,
            url: String::new(),
        };
        let (port_tx, port_rx) = mpsc::channel();
        // Reads the announced port, then keeps draining so chromedriver never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = announced_port(&line) {
                    // The receiver is gone once start() returned; nothing is waiting then.
                    let _ = port_tx.send(port);
                }
            }
        });
        match port_rx.recv_timeout(START_DEADLINE) {
            Ok(port) => driver.url = format!("http://127.0.0.1:{port}"),
            Err(_) => {
                let status = driver.child.try_wait().ok().flatten();
                bail!(
                    "chromedriver did not announce its port within {START_DEADLINE:?} (exit status: {status:?})"
                );
            }
        }
        Ok(driver)
    }

    /// The WebDriver endpoint, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The group holds chromedriver, the chromium wrapper and its children.
        kill_process_group(&mut self.child);
    }
}

/// Kills `child` and every process in its process group (it was started with
/// `process_group(0)`), then reaps it. Errors are ignored: this runs on drop, when the processes
/// may have ended already.
pub(crate) fn kill_process_group(child: &mut Child) {
    // Negative pid: the whole group.
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// `ChromeDriver was started successfully on port 35091.` -> 35091
fn announced_port(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once("started successfully on port ")?;
    rest.trim().trim_end_matches('.').parse().ok()
}

/// The first executable called `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_announced_port() {
        assert_eq!(
            announced_port("ChromeDriver was started successfully on port 35091."),
            Some(35091)
        );
        assert_eq!(announced_port("Only local connections are allowed."), None);
        assert_eq!(
            announced_port("ChromeDriver was started successfully on port x."),
            None
        );
    }
}
