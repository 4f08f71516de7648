//! Runs long-lived processes side by side (`cargo xtask dev --watch`: trunk serve and devstack)
//! and stops them together: on Ctrl-C, or as soon as one of them stops.
//!
//! Each process gets its own process group, so that stopping it reaches what it started too
//! (trunk's cargo and wasm-bindgen), and so that the terminal's Ctrl-C reaches only xtask, which
//! then stops each group in order: SIGINT (trunk and devstack shut down cleanly on it), and
//! SIGKILL for a group still there after the grace period.

use anyhow::{Context, Result, bail};
use std::future::Future;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;

/// How long a process group may take to exit after SIGINT before it is killed.
const GRACE: Duration = Duration::from_secs(10);

/// One of the processes to run.
pub struct Process {
    /// What the messages call it, e.g. `trunk serve`.
    pub name: &'static str,
    pub command: std::process::Command,
}

/// Why the processes were stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The user asked (Ctrl-C, SIGTERM, SIGHUP): every process was stopped.
    Requested(&'static str),
    /// This process exited first, with this status; the others were stopped.
    Exited(&'static str, ExitStatus),
}

/// Ctrl-C, SIGTERM or SIGHUP to xtask, whichever comes first; resolves to the name of the one
/// that did. Listens from the call on (before anything is started), so that none of them can
/// end xtask and leave the process groups running.
pub fn stop_signals() -> Result<impl Future<Output = Result<&'static str>>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
    Ok(async move {
        Ok(tokio::select! {
            _ = interrupt.recv() => "Ctrl-C",
            _ = terminate.recv() => "SIGTERM",
            _ = hangup.recv() => "SIGHUP",
        })
    })
}

/// Starts every process, waits until `stop` resolves or one process exits, then stops the rest
/// (and what each one started) and returns why. A process that cannot be started stops those
/// already running.
pub async fn run_together(
    processes: Vec<Process>,
    stop: impl Future<Output = Result<&'static str>>,
) -> Result<Stopped> {
    let (exited_tx, mut exited) = mpsc::unbounded_channel();
    let mut groups = Vec::new();
    for Process { name, command } in processes {
        let mut command = Command::from(command);
        command.stdin(Stdio::null()).process_group(0);
        let spawned = command
            .spawn()
            .with_context(|| format!("could not start {name}"))
            .and_then(|child| match child.id() {
                Some(pid) => Ok((child, pid)),
                None => Err(anyhow::anyhow!("{name} exited before it could be watched")),
            });
        let (mut child, pid) = match spawned {
            Ok(spawned) => spawned,
            Err(error) => {
                stop_groups(&groups, 0, &mut exited).await;
                return Err(error);
            }
        };
        groups.push((name, pid));
        let exited_tx = exited_tx.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            // The receiver lives as long as run_together, which waits for every process.
            let _ = exited_tx.send((name, status));
        });
    }
    drop(exited_tx);

    let stopped = tokio::select! {
        requested = stop => Stopped::Requested(requested?),
        first = exited.recv() => match first {
            Some((name, Ok(status))) => Stopped::Exited(name, status),
            Some((name, Err(error))) => {
                stop_groups(&groups, 1, &mut exited).await;
                return Err(error).with_context(|| format!("waiting for {name}"));
            }
            None => bail!("no process to run"),
        },
    };
    match &stopped {
        Stopped::Requested(why) => {
            println!("\n{why}: stopping {}", names(&groups));
            stop_groups(&groups, 0, &mut exited).await;
        }
        Stopped::Exited(name, status) => {
            let others: Vec<_> = groups.iter().filter(|(n, _)| n != name).cloned().collect();
            println!("\n{name} stopped ({status}): stopping {}", names(&others));
            // Its own group too: what it started may still run.
            stop_groups(&groups, 1, &mut exited).await;
        }
    }
    Ok(stopped)
}

fn names(groups: &[(&'static str, u32)]) -> String {
    let names: Vec<&str> = groups.iter().map(|(name, _)| *name).collect();
    names.join(" and ")
}

/// SIGINT to every group, waits for `running` more processes to exit (up to [`GRACE`]), then
/// SIGKILL to every group, so that nothing is left whatever the processes did.
async fn stop_groups(
    groups: &[(&'static str, u32)],
    already_exited: usize,
    exited: &mut mpsc::UnboundedReceiver<(&'static str, std::io::Result<ExitStatus>)>,
) {
    for (_, pid) in groups {
        signal_group("-INT", *pid);
    }
    let waiting = groups.len().saturating_sub(already_exited);
    let all_exited = async {
        for _ in 0..waiting {
            if exited.recv().await.is_none() {
                break;
            }
        }
    };
    if tokio::time::timeout(GRACE, all_exited).await.is_err() {
        println!("still running after {GRACE:?}: killing");
    }
    for (_, pid) in groups {
        signal_group("-KILL", *pid);
    }
}

/// `kill <signal> -- -<pgid>`; a group that is already gone is not an error.
fn signal_group(signal: &str, pgid: u32) {
    let _ = std::process::Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn shell(name: &'static str, script: &str) -> Process {
        let mut command = std::process::Command::new("sh");
        command.args(["-c", script]);
        Process { name, command }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    /// Whether a process of the group still runs (in /proc, and not a zombie: an orphan's
    /// zombie lingers until whoever adopted it reaps it).
    fn group_alive(pgid: u32) -> bool {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return false;
        };
        entries.filter_map(Result::ok).any(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // `pid (comm) state ppid pgrp ...`; comm may hold spaces, so split after the `)`.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
        })
    }

    /// Waits (up to 5 s) until no process of the group runs.
    fn group_gone(pgid: u32) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while group_alive(pgid) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    fn pid_from(file: &std::path::Path) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(pid) = std::fs::read_to_string(file)
                .ok()
                .and_then(|text| text.trim().parse().ok())
            {
                return pid;
            }
            assert!(
                Instant::now() < deadline,
                "{} never written",
                file.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn one_exiting_stops_the_other_with_what_it_started() {
        let dir = tempfile_dir();
        let pid_file = dir.join("pid");
        // A long runner that started a child of its own (as trunk starts cargo), in the background.
        let runner = shell(
            "runner",
            &format!("sleep 300 & echo $$ > {}; wait", pid_file.display()),
        );
        let crasher = shell(
            "crasher",
            &format!(
                "while [ ! -s {} ]; do sleep 0.05; done; exit 3",
                pid_file.display()
            ),
        );
        let started = Instant::now();
        let stopped = runtime()
            .block_on(run_together(vec![runner, crasher], std::future::pending()))
            .expect("run_together");
        match stopped {
            Stopped::Exited(name, status) => {
                assert_eq!(name, "crasher");
                assert_eq!(status.code(), Some(3));
            }
            other => panic!("{other:?}"),
        }
        let runner_group = pid_from(&pid_file);
        assert!(group_gone(runner_group), "the runner's sleep survived");
        assert!(started.elapsed() < GRACE, "SIGINT should have been enough");
        std::fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn a_stop_request_stops_every_process() {
        let dir = tempfile_dir();
        let pid_file = dir.join("pid");
        let runner = shell(
            "runner",
            &format!("echo $$ > {}; sleep 300", pid_file.display()),
        );
        let other = shell("other", "sleep 300");
        let file = pid_file.clone();
        let stop = async move {
            // Asked once the runner is up, as a person pressing Ctrl-C would be.
            tokio::task::spawn_blocking(move || pid_from(&file))
                .await
                .context("waiting for the runner")?;
            Ok("Ctrl-C")
        };
        let stopped = runtime()
            .block_on(run_together(vec![runner, other], stop))
            .expect("run_together");
        assert_eq!(stopped, Stopped::Requested("Ctrl-C"));
        assert!(group_gone(pid_from(&pid_file)));
        std::fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn a_process_that_cannot_start_is_an_error_naming_it() {
        let mut command = std::process::Command::new("/nonexistent/trunk");
        command.arg("serve");
        let error = runtime()
            .block_on(run_together(
                vec![
                    shell("first", "sleep 300"),
                    Process {
                        name: "trunk serve",
                        command,
                    },
                ],
                std::future::pending(),
            ))
            .expect_err("cannot start");
        assert!(
            error.to_string().contains("could not start trunk serve"),
            "{error:#}"
        );
    }

    fn tempfile_dir() -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-supervise-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }
}
