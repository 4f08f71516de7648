//! The AWS emulator's own virtualenv, `.tools/ministack` (a step of `cargo xtask setup`).
//!
//! ministack pins botocore exactly, which the AWS CLI and SAM CLI in `.tools/venv` cannot
//! share, so it lives apart, made from `xtask/ministack-requirements.txt` alone.

use crate::cmd::{self, output_of, project_root, tools_dir};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::Command;

const REQUIREMENTS: &str = "xtask/ministack-requirements.txt";

/// `.tools/ministack`; its `bin/python` runs `e2e/ministack/launch.py`.
pub fn venv_dir() -> PathBuf {
    tools_dir().join("ministack")
}

fn requirements() -> Result<String> {
    let path = project_root().join(REQUIREMENTS);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// The virtualenv records the requirements it was made from, so that a changed pin reinstalls.
fn stamp() -> PathBuf {
    venv_dir().join("requirements.installed")
}

pub fn check() -> Result<String, String> {
    let wanted = requirements().map_err(|error| format!("{error:#}"))?;
    match std::fs::read_to_string(stamp()) {
        Ok(stamp) if stamp == wanted => {}
        Ok(_) => return Err(format!("{REQUIREMENTS} changed since it was made")),
        Err(_) => return Err("not created yet".into()),
    }
    let python = venv_dir().join("bin/python");
    output_of(Command::new(&python).args([
        "-c",
        "import importlib.metadata as m, samtranslator, cryptography; print('ministack', m.version('ministack'))",
    ]))
    .ok_or_else(|| format!("{} cannot import ministack", python.display()))
}

pub fn install() -> Result<()> {
    let venv = venv_dir();
    cmd::run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )?;
    cmd::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(project_root().join(REQUIREMENTS)),
    )?;
    std::fs::write(stamp(), requirements()?)?;
    Ok(())
}
