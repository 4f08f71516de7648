//! Paths and process helpers shared by the xtask commands.

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of `xtask/`).
///
/// Read from the environment `cargo run` sets, not from the path compiled in: with a target
/// directory shared between checkouts (as CI's cache is), `cargo run` may start a binary that
/// another checkout built, which would then work on that checkout.
pub fn project_root() -> PathBuf {
    let xtask_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    xtask_dir
        .parent()
        .map_or_else(|| xtask_dir.clone(), Path::to_path_buf)
}

/// Project-local tools that do not belong in the user's global bin directories:
/// the npm `binaryen` package (wasm-opt) and the Python virtualenv. Git-ignored.
pub fn tools_dir() -> PathBuf {
    project_root().join(".tools")
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin_dir() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    cargo_home.join("bin")
}

pub fn npm_bin_dir() -> PathBuf {
    tools_dir().join("npm/node_modules/.bin")
}

pub fn venv_dir() -> PathBuf {
    tools_dir().join("venv")
}

/// `PATH` with the project's tools first, so that a stale `wasm-opt` or `trunk` elsewhere on the
/// machine never shadows the versions `setup` installed.
pub fn tool_path() -> OsString {
    let mut dirs = vec![npm_bin_dir(), cargo_bin_dir(), venv_dir().join("bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command that runs in the project root with the project's tools on `PATH`.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(project_root()).env("PATH", tool_path());
    command
}

/// Runs a command with inherited output and fails if it does not succeed.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("could not start {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs a command and returns its trimmed standard output, or `None` if it cannot start or fails.
pub fn output_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

pub fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    format!("`{}`", words.join(" "))
}

/// Cargo's target directory for this workspace (`CARGO_TARGET_DIR` and config included).
pub fn target_dir() -> Result<PathBuf> {
    let metadata = output_of(command("cargo").args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]))
    .context("`cargo metadata` failed")?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).context("reading `cargo metadata`")?;
    metadata
        .get("target_directory")
        .and_then(serde_json::Value::as_str)
        .map(PathBuf::from)
        .context("`cargo metadata` did not name the target directory")
}
