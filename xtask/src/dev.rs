//! `cargo xtask dev`: the whole system on localhost, with no AWS account.
//!
//! - Default: one build of the SPA, served by devstack as CloudFront serves it (the CSP with the
//!   loader's hash); an edit means stopping and running it again.
//! - `--watch`: the edit-and-reload loop. `trunk serve` builds the SPA, serves it on
//!   http://localhost:8080, rebuilds on every change and reloads the page; devstack runs beside it
//!   with `--spa-origin http://localhost:8080` (no SPA of its own, trunk's origin as callback,
//!   sign-out and CORS origin), and trunk proxies `/config.json` to it (Trunk.toml). Ctrl-C stops
//!   both; either one stopping stops the other.

use crate::build::{self, Profile};
use crate::cmd;
use crate::setup;
use crate::supervise::{self, Process, Stopped};
use anyhow::{Context, Result, bail};

/// trunk serve's origin (Trunk.toml `[serve]`), which devstack is told with `--spa-origin`.
const TRUNK_ORIGIN: &str = "http://localhost:8080";

/// devstack flags that `--watch` sets itself or that would break what Trunk.toml names
/// (devstack's default Cognito and API origins, in its proxy and CSP).
const FLAGS_FIXED_BY_WATCH: [&str; 5] = [
    "--cognito-addr",
    "--api-addr",
    "--spa-addr",
    "--spa-dir",
    "--spa-origin",
];

#[derive(Debug, PartialEq, Eq)]
struct Options {
    release: bool,
    watch: bool,
    /// Passed on to devstack.
    devstack_args: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let release = args.iter().any(|arg| arg == "--release");
        let watch = args.iter().any(|arg| arg == "--watch");
        let devstack_args: Vec<String> = args
            .iter()
            .filter(|arg| !matches!(arg.as_str(), "--release" | "--watch"))
            .cloned()
            .collect();
        if watch
            && let Some(flag) = devstack_args.iter().find_map(|arg| {
                let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
                FLAGS_FIXED_BY_WATCH.contains(&name).then_some(name)
            })
        {
            bail!(
                "`cargo xtask dev --watch` does not take {flag}: trunk serves the SPA on {TRUNK_ORIGIN}, and \
                 Trunk.toml's /config.json proxy and CSP name devstack's default addresses \
                 (http://localhost:9229, http://localhost:3000). To move them, run `trunk serve` and \
                 devstack yourself and change Trunk.toml to match (README: Develop with live reload)"
            );
        }
        Ok(Self {
            release,
            watch,
            devstack_args,
        })
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    setup::run(setup::Mode::Quiet)?;
    if options.watch {
        return watch(&options);
    }
    build::spa(if options.release {
        Profile::Release
    } else {
        Profile::Debug
    })?;
    // devstack prints the URLs and the demo users' credentials once it listens.
    cmd::run(
        devstack()
            .arg("--spa-dir")
            .arg(build::dist_dir())
            .args(&options.devstack_args),
    )
}

/// `cargo run` of devstack's `server` profile (built already, so this starts at once).
fn devstack() -> std::process::Command {
    let mut command = cmd::command("cargo");
    command.args([
        "run",
        "--quiet",
        "--profile",
        "server",
        "--package",
        "devstack",
        "--",
    ]);
    command
}

fn watch(options: &Options) -> Result<()> {
    // Built first, so that its compilation does not compete with trunk's for the cores.
    println!("==> building devstack");
    cmd::run(cmd::command("cargo").args([
        "build",
        "--quiet",
        "--profile",
        "server",
        "--package",
        "devstack",
    ]))?;
    // trunk runs cargo with --offline (no tool or crate downloads at run time).
    cmd::run(cmd::command("cargo").args(["fetch", "--quiet"]))?;

    let mut devstack_command = devstack();
    devstack_command
        .args(["--spa-origin", TRUNK_ORIGIN])
        .args(&options.devstack_args);
    let mut trunk = cmd::command("trunk");
    trunk.args(["--skip-version-check", "serve", "--offline"]);
    if options.release {
        trunk.arg("--release");
    }
    println!(
        "==> trunk serve on {TRUNK_ORIGIN} (rebuilds and reloads on every change) beside devstack; Ctrl-C stops both"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the process supervisor")?;
    let stopped = runtime.block_on(async {
        let stop = supervise::stop_signals()?;
        supervise::run_together(
            vec![
                Process {
                    name: "devstack",
                    command: devstack_command,
                },
                Process {
                    name: "trunk serve",
                    command: trunk,
                },
            ],
            stop,
        )
        .await
    })?;
    match stopped {
        Stopped::Requested(_) => Ok(()),
        Stopped::Exited(name, status) => {
            let other = if name == "devstack" {
                "trunk serve"
            } else {
                "devstack"
            };
            bail!("{name} stopped ({status}); {other} was stopped with it")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn passes_other_arguments_to_devstack() {
        let options =
            Options::parse(&args(&["--watch", "--config", "my.toml", "--release"])).expect("valid");
        assert_eq!(
            options,
            Options {
                release: true,
                watch: true,
                devstack_args: args(&["--config", "my.toml"]),
            }
        );
        let options = Options::parse(&args(&["--cognito-addr", "127.0.0.1:9000"])).expect("valid");
        assert!(!options.watch, "without --watch, addresses may move");
    }

    #[test]
    fn watch_refuses_the_addresses_trunk_toml_names() {
        for flag in ["--cognito-addr", "--api-addr=127.0.0.1:1", "--spa-origin"] {
            let error = Options::parse(&args(&["--watch", flag, "x"])).expect_err(flag);
            let name = flag.split('=').next().unwrap_or(flag);
            assert!(
                error
                    .to_string()
                    .contains(&format!("does not take {name}:")),
                "{error}"
            );
        }
    }
}
