//! Project automation, in the style of rust-analyzer's `cargo xtask`:
//! `cargo xtask setup | build | dev | test | bench | deploy`.
//!
//! Every command is plain Rust calling the tools as processes, so a fresh machine needs only
//! `cargo` to start: `setup` installs the rest from the package registries.

mod bench;
mod build;
mod cmd;
mod deploy;
mod dev;
mod setup;
mod setup_emulator;
mod size_budget;
mod supervise;
mod test;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup          install what is missing (wasm32 target, trunk, wasm-bindgen-cli, wasm-opt,
                 chromium + chromedriver, the Python virtualenvs: linters, AWS CLI, SAM CLI,
                 cargo-lambda, the ministack emulator); idempotent
  build          build the SPA for release into dist/ (trunk, wasm-opt applied);
                 `--smallest`: opt-in, ~20 kB gzip less, the standard library rebuilt with
                 nightly features on the stable compiler (RUSTC_BOOTSTRAP=1, rust-src)
  dev            set up, build the SPA and run the whole system locally (devstack);
                 `--watch`: trunk serve (rebuild and reload on every change) beside devstack
  test           set up, then run every check and test; exits non-zero on any failure
  bench          build, then measure sizes (with the --smallest build beside them), the first
                 load over a slow link, sign-in and the stand-in under load; writes
                 target/bench/report.md and report.json (`--quick`: fewer, shorter runs)
  deploy         build and deploy the whole stack to AWS (see infra/README.md)
  help           print this text";

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    match command {
        "setup" => setup::run(setup::Mode::Verbose).map(drop),
        "build" => build::run(rest),
        "dev" => dev::run(rest),
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "deploy" => deploy::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}
