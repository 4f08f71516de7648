//! End-to-end harness: the release build of the SPA (`dist/`) served by devstack on three
//! loopback origins, driven in headless Chromium through chromedriver. One scenario serves the
//! SPA with the real `trunk serve` instead (debug build, live reload; [`trunk`]), beside devstack
//! with no SPA of its own; another runs the real deployment (`cargo xtask deploy`) into
//! ministack, an independent AWS emulator ([`ministack`]).
//!
//! Every test starts what it needs (devstack in-process, its own chromedriver and a fresh
//! Chromium profile) and everything stops when the test ends, also when it fails: a scenario
//! runs inside [`Scenario::run`], which tears down whatever its body returns. At most two
//! browsers run at once per test binary (the machines have two cores), so the tests are safe to
//! run in parallel.
//!
//! Run: `cargo xtask build` (writes `dist/`), then `cargo test -p e2e`. Needs Debian's
//! `chromium` and `chromedriver`, and for the trunk scenario `trunk` and `wasm-bindgen`, on
//! `PATH` (`cargo xtask setup`). Screenshots of every page visited go to
//! `$CARGO_TARGET_DIR/e2e-screenshots/` (or `target/e2e-screenshots/`), named
//! `<scenario>-<page>.png`; a wait that times out saves `<scenario>-timeout.png` and says so.

pub mod aws;
pub mod browser;
pub mod driver;
mod hosted_ui;
pub mod ministack;
pub mod scenario;
pub mod trunk;

pub use browser::{Browser, DEADLINE};
pub use scenario::{Scenario, assert_contains};

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// A user from devstack's embedded default configuration.
#[derive(Debug, Clone, Copy)]
pub struct User {
    pub username: &'static str,
    pub password: &'static str,
}

/// `demo`, in the `users` group.
pub const DEMO: User = User {
    username: "demo",
    password: "Demo-Passw0rd!",
};

/// `admin`, in the `admin` and `users` groups.
pub const ADMIN: User = User {
    username: "admin",
    password: "Admin-Passw0rd!",
};

/// Starts devstack on three ephemeral loopback ports (three origins, as in AWS), serving the
/// release build from `dist/`. The embedded default configuration is pointed at the SPA's real
/// origin first, then `adjust` may change it (lifetimes, rotation, CORS, token storage...).
/// For tokens that expire while the test watches, set
/// `config.testing.token_lifetime_seconds_override` (devstack's test switch).
pub async fn start_devstack(adjust: impl FnOnce(&mut devstack::Config)) -> Result<devstack::Stack> {
    let dist = dist_dir()?;
    let listeners = devstack::Listeners::loopback_ephemeral()
        .await
        .context("binding devstack's listeners")?;
    let mut config = devstack::Config::embedded_default();
    config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
    adjust(&mut config);
    // What devstack's own start would refuse (a rotating client allowing REFRESH_TOKEN_AUTH,
    // ...), a test must not run with either.
    config
        .validate()
        .context("the adjusted devstack configuration")?;
    devstack::spawn(config, listeners, Some(dist))
        .await
        .context("starting devstack")
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let e2e_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    e2e_dir.parent().unwrap_or(e2e_dir).to_path_buf()
}

/// The SPA's release build, which the tests serve. Fails with what to run when it is missing.
pub fn dist_dir() -> Result<PathBuf> {
    let dist = workspace_root().join("dist");
    if !dist.join("index.html").is_file() {
        bail!(
            "{} is missing: build the SPA first with `cargo xtask build` (the end-to-end tests serve that release build)",
            dist.join("index.html").display()
        );
    }
    Ok(dist)
}

/// Where screenshots go: `$CARGO_TARGET_DIR/e2e-screenshots`, or `target/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("e2e-screenshots")
}
