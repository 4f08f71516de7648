//! `cargo xtask build`: the SPA's release build into `dist/`.

use crate::cmd::{self, project_root};
use crate::setup;
use anyhow::{Result, bail};

/// Where Trunk writes the built SPA (see Trunk.toml).
pub fn dist_dir() -> std::path::PathBuf {
    project_root().join("dist")
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Debug,
    /// Size-tuned `release` profile, with `wasm-opt -Oz` applied by Trunk.
    Release,
}

pub fn run(args: &[String]) -> Result<()> {
    if let Some(unknown) = args.first() {
        bail!("`cargo xtask build` takes no arguments (got `{unknown}`)");
    }
    setup::run(setup::Mode::Quiet)?;
    spa(Profile::Release)
}

/// Builds the SPA with Trunk. `--offline` makes Trunk use the wasm-bindgen and wasm-opt that
/// `setup` installed (first on `PATH`) and fail rather than download anything; Trunk passes it on
/// to cargo too, so the crates are fetched first.
pub fn spa(profile: Profile) -> Result<()> {
    cmd::run(cmd::command("cargo").args(["fetch", "--quiet"]))?;
    let mut trunk = cmd::command("trunk");
    trunk.args(["--skip-version-check", "build", "--offline"]);
    if profile == Profile::Release {
        trunk.arg("--release");
    }
    cmd::run(&mut trunk)
}
