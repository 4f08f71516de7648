//! `cargo xtask dev`: the whole system on localhost, with no AWS account.

use crate::build::{self, Profile};
use crate::cmd;
use crate::setup;
use anyhow::Result;

pub fn run(args: &[String]) -> Result<()> {
    let release = args.iter().any(|arg| arg == "--release");
    let devstack_args: Vec<&String> = args.iter().filter(|arg| *arg != "--release").collect();
    setup::run(setup::Mode::Quiet)?;
    build::spa(if release {
        Profile::Release
    } else {
        Profile::Debug
    })?;
    // devstack prints the URLs and the demo users' credentials once it listens.
    cmd::run(
        cmd::command("cargo")
            .args([
                "run",
                "--quiet",
                "--profile",
                "server",
                "--package",
                "devstack",
                "--",
                "--spa-dir",
            ])
            .arg(build::dist_dir())
            .args(devstack_args),
    )
}
