//! `cargo xtask test`: every check and test the project has, in one command.
//!
//! Runs them all even when one fails, so that one run shows every problem, then prints a
//! summary and exits non-zero if anything failed.

use crate::build::{self, Profile};
use crate::cmd::{self, describe, venv_dir};
use crate::setup;
use crate::size_budget;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

struct Outcome {
    name: &'static str,
    elapsed: Duration,
    result: Result<()>,
}

/// Test counts gathered from the runners' closing lines.
#[derive(Default, Debug, PartialEq, Eq)]
struct Tally {
    passed: u64,
    failed: u64,
}

pub fn run(args: &[String]) -> Result<()> {
    if let Some(unknown) = args.first() {
        bail!("`cargo xtask test` takes no arguments (got `{unknown}`)");
    }
    setup::run(setup::Mode::Quiet)?;

    let mut tally = Tally::default();
    let mut outcomes = Vec::new();
    let mut step = |name: &'static str, body: &mut dyn FnMut(&mut Tally) -> Result<()>| {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = body(&mut tally);
        if let Err(error) = &result {
            println!("FAILED: {name}: {error:#}");
        }
        outcomes.push(Outcome {
            name,
            elapsed: started.elapsed(),
            result,
        });
    };

    step("rustfmt", &mut |_| {
        cmd::run(cargo().args(["fmt", "--all", "--", "--check"]))
    });
    step("clippy (host)", &mut |_| {
        cmd::run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    });
    step("clippy (wasm32, SPA)", &mut |_| {
        cmd::run(&mut clippy_spa(&[]))
    });
    // The build the bench prices the Account security page with, kept compiling.
    step(
        "clippy (wasm32, SPA without the Account security page)",
        &mut |_| cmd::run(&mut clippy_spa(&["--no-default-features"])),
    );
    // The end-to-end tests in `cargo test --workspace` serve this build.
    step("SPA release build (trunk, wasm-opt)", &mut |_| {
        build::spa(Profile::Release)
    });
    step(
        "size budget of the first load (xtask/size-budget.toml)",
        &mut |_| size_budget::check(&build::dist_dir()),
    );
    step(
        "unit, integration and end-to-end tests (host)",
        &mut |tally| run_counting(cargo().args(["test", "--workspace", "--locked"]), tally),
    );
    step(
        "browser tests (wasm-bindgen-test, headless Chromium)",
        &mut |tally| {
            let chromedriver = cmd::output_of(Command::new("which").arg("chromedriver"))
                .context("chromedriver is not on PATH (run `cargo xtask setup`)")?;
            // The runner's Chromium makes a profile directory (tens of MB) in TMPDIR per test
            // file and leaves it behind: keep them where this step removes them.
            let temp_dir = cmd::target_dir()?.join("wasm-bindgen-test-tmp");
            let _ = std::fs::remove_dir_all(&temp_dir);
            std::fs::create_dir_all(&temp_dir)
                .with_context(|| format!("creating {}", temp_dir.display()))?;
            let result = run_counting(
                cargo()
                    .args([
                        "test",
                        "--package",
                        "cognito-spa",
                        "--locked",
                        "--target",
                        WASM_TARGET,
                        "--test",
                        "web_*",
                    ])
                    .env("CHROMEDRIVER", chromedriver)
                    .env(
                        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                        "wasm-bindgen-test-runner",
                    )
                    .env("TMPDIR", &temp_dir),
                tally,
            );
            let _ = std::fs::remove_dir_all(&temp_dir);
            result
        },
    );
    step("cfn-lint infra/template.yaml", &mut |_| {
        cmd::run(cmd::command(venv_dir().join("bin/cfn-lint")).arg("infra/template.yaml"))
    });
    step("cfn-lint infra/github-deploy-role.yaml", &mut |_| {
        cmd::run(cmd::command(venv_dir().join("bin/cfn-lint")).arg("infra/github-deploy-role.yaml"))
    });
    // cfn-lint 1.x no longer runs the SAM transform: lint what CloudFormation will really get.
    step("cfn-lint after the SAM transform", &mut |_| {
        cmd::run(cmd::command(venv_dir().join("bin/python")).arg("infra/lint_sam_transform.py"))
    });

    // The workflows cannot run here; their linters can. Any finding fails the step.
    step("actionlint .github/workflows", &mut |_| {
        cmd::run(cmd::command(venv_dir().join("bin/actionlint")).arg("-no-color"))
    });
    step("zizmor .github/workflows", &mut |_| {
        cmd::run(cmd::command(venv_dir().join("bin/zizmor")).args([
            "--offline",
            "--no-progress",
            ".github/workflows",
        ]))
    });

    println!("\n==> summary");
    for outcome in &outcomes {
        let verdict = if outcome.result.is_ok() {
            "ok    "
        } else {
            "FAILED"
        };
        println!(
            "{verdict} {:>6.1}s  {}",
            outcome.elapsed.as_secs_f64(),
            outcome.name
        );
    }
    let failed_steps = outcomes
        .iter()
        .filter(|outcome| outcome.result.is_err())
        .count();
    println!("tests: {} passed, {} failed", tally.passed, tally.failed);
    if failed_steps > 0 {
        bail!("{failed_steps} of {} steps failed", outcomes.len());
    }
    Ok(())
}

fn cargo() -> Command {
    cmd::command("cargo")
}

/// Clippy on the SPA for wasm32, warnings denied, with `features` (cargo's feature flags).
fn clippy_spa(features: &[&str]) -> Command {
    let mut clippy = cargo();
    clippy
        .args([
            "clippy",
            "--package",
            "cognito-spa",
            "--all-targets",
            "--locked",
        ])
        .args(features)
        .args(["--target", WASM_TARGET, "--", "-D", "warnings"]);
    clippy
}

/// Runs a test command, echoing its output, and adds its `test result:` lines to the tally.
fn run_counting(command: &mut Command, tally: &mut Tally) -> Result<()> {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {}", describe(command)))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            if let Some(counts) = parse_test_result(&line) {
                tally.passed += counts.passed;
                tally.failed += counts.failed;
            }
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{} failed ({status})", describe(command));
    }
    Ok(())
}

/// Reads libtest's closing line, `test result: ok. 12 passed; 0 failed; 0 ignored; ...`, which
/// wasm-bindgen-test-runner prints in the same form.
fn parse_test_result(line: &str) -> Option<Tally> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_, counts) = rest.split_once(". ")?;
    let count = |label: &str| {
        counts
            .split(';')
            .find_map(|part| part.trim().strip_suffix(label)?.trim().parse::<u64>().ok())
    };
    Some(Tally {
        passed: count(" passed")?,
        failed: count(" failed")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libtest_closing_lines() {
        let line = "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(
            parse_test_result(line),
            Some(Tally {
                passed: 12,
                failed: 0
            })
        );
        let failing =
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(
            parse_test_result(failing),
            Some(Tally {
                passed: 3,
                failed: 2
            })
        );
    }

    #[test]
    fn ignores_other_lines() {
        assert_eq!(parse_test_result("running 12 tests"), None);
        assert_eq!(parse_test_result("test auth::pkce ... ok"), None);
        assert_eq!(parse_test_result("test result: garbled"), None);
    }
}
