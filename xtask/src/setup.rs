//! `cargo xtask setup`: installs what the build and the tests need, from the package registries
//! only (crates.io, npm, PyPI, Debian), and nothing that is already there in the right version.

use crate::cmd::{self, cargo_bin_dir, npm_bin_dir, output_of, project_root, tools_dir, venv_dir};
use anyhow::{Context, Result, bail};
use std::process::Command;

/// The Trunk release that builds with this project's Rust (0.22 needs a newer rustc).
pub const TRUNK_VERSION: &str = "0.21.14";
/// The npm `binaryen` release whose `wasm-opt` Trunk runs on release builds.
pub const BINARYEN_VERSION: &str = "132.0.0";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Says what is already in place as well as what it installs.
    Verbose,
    /// Says only what it installs (used before `dev` and `test`).
    Quiet,
}

struct Step {
    name: &'static str,
    /// What is in place, or why it is missing or wrong.
    check: fn() -> Result<String, String>,
    install: fn() -> Result<()>,
}

const STEPS: &[Step] = &[
    Step {
        name: "Rust target wasm32-unknown-unknown",
        check: check_wasm_target,
        install: install_wasm_target,
    },
    Step {
        name: "trunk",
        check: check_trunk,
        install: install_trunk,
    },
    Step {
        name: "wasm-bindgen-cli",
        check: check_wasm_bindgen,
        install: install_wasm_bindgen,
    },
    Step {
        name: "wasm-opt (npm binaryen)",
        check: check_wasm_opt,
        install: install_wasm_opt,
    },
    Step {
        name: "wasm-opt on PATH (cargo bin directory)",
        check: check_wasm_opt_link,
        install: link_wasm_opt,
    },
    Step {
        name: "chromium + chromedriver",
        check: check_chromium,
        install: install_chromium,
    },
    Step {
        name: "Python virtualenv (.tools/venv)",
        check: check_venv,
        install: install_venv,
    },
];

/// Brings every tool to the wanted version. Returns how many steps installed something.
pub fn run(mode: Mode) -> Result<usize> {
    let mut installed = 0;
    for step in STEPS {
        match (step.check)() {
            Ok(found) => {
                if mode == Mode::Verbose {
                    println!("ok         {}: {found}", step.name);
                }
            }
            Err(reason) => {
                println!("installing {}: {reason}", step.name);
                (step.install)().with_context(|| format!("installing {}", step.name))?;
                let found = (step.check)().map_err(|reason| {
                    anyhow::anyhow!(
                        "{} is still not right after installing: {reason}",
                        step.name
                    )
                })?;
                println!("installed  {}: {found}", step.name);
                installed += 1;
            }
        }
    }
    if installed == 0 {
        if mode == Mode::Verbose {
            println!("setup: everything is already in place; nothing to do");
        }
    } else {
        println!("setup: installed or fixed {installed} tool(s)");
    }
    Ok(installed)
}

fn check_wasm_target() -> Result<String, String> {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .ok_or("`rustup target list` failed (is rustup installed?)")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        Ok("installed".into())
    } else {
        Err("not installed".into())
    }
}

fn install_wasm_target() -> Result<()> {
    cmd::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// Checks the binary `cargo install` put in place, so that another one earlier on `PATH` cannot
/// pass for it; xtask puts the cargo bin directory first on `PATH` when it runs the tools.
fn check_cargo_installed(binary: &str, wanted: &str) -> Result<String, String> {
    let path = cargo_bin_dir().join(binary);
    let version = output_of(Command::new(&path).arg("--version"))
        .ok_or_else(|| format!("{} not found", path.display()))?;
    // `trunk 0.21.14`, `wasm-bindgen 0.2.130`
    match version.split_whitespace().nth(1) {
        Some(found) if found == wanted => Ok(format!("{binary} {found}")),
        Some(found) => Err(format!("found {binary} {found}, need {wanted}")),
        None => Err(format!("could not read the version from `{version}`")),
    }
}

fn check_trunk() -> Result<String, String> {
    check_cargo_installed("trunk", TRUNK_VERSION)
}

fn install_trunk() -> Result<()> {
    cmd::run(Command::new("cargo").args([
        "install",
        "trunk",
        "--version",
        TRUNK_VERSION,
        "--locked",
        "--force",
    ]))
}

fn check_wasm_bindgen() -> Result<String, String> {
    let wanted = locked_wasm_bindgen_version().map_err(|error| format!("{error:#}"))?;
    check_cargo_installed("wasm-bindgen", &wanted)?;
    check_cargo_installed("wasm-bindgen-test-runner", &wanted)
        .map(|_| format!("wasm-bindgen {wanted} (= Cargo.lock)"))
}

fn install_wasm_bindgen() -> Result<()> {
    let version = locked_wasm_bindgen_version()?;
    // No `--locked`: the CLI's own lock file names a crate version the registry no longer has.
    cmd::run(Command::new("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--force",
    ]))
}

/// The CLI must equal the `wasm-bindgen` library version the SPA links against.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock_path = project_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    let lock: toml::Table = lock
        .parse()
        .with_context(|| format!("parsing {}", lock_path.display()))?;
    let packages = lock.get("package").and_then(|packages| packages.as_array());
    let version = packages
        .into_iter()
        .flatten()
        .filter(|package| {
            package.get("name").and_then(|name| name.as_str()) == Some("wasm-bindgen")
        })
        .find_map(|package| package.get("version")?.as_str());
    match version {
        Some(version) => Ok(version.to_owned()),
        None => bail!("Cargo.lock has no wasm-bindgen package"),
    }
}

fn check_wasm_opt() -> Result<String, String> {
    let path = npm_bin_dir().join("wasm-opt");
    let version = output_of(Command::new(&path).arg("--version"))
        .ok_or_else(|| format!("{} not found", path.display()))?;
    // `wasm-opt version 132 (version_132)`
    let major = BINARYEN_VERSION
        .split('.')
        .next()
        .unwrap_or(BINARYEN_VERSION);
    if version.split_whitespace().nth(2) == Some(major) {
        Ok(version)
    } else {
        Err(format!("found `{version}`, need version {major}"))
    }
}

fn install_wasm_opt() -> Result<()> {
    let prefix = tools_dir().join("npm");
    std::fs::create_dir_all(&prefix)?;
    cmd::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("binaryen@{BINARYEN_VERSION}")),
    )
}

/// A link in the cargo bin directory (on `PATH` wherever `cargo` is), so that a plain
/// `trunk build --release` finds this wasm-opt too, rather than trying to download one.
fn wasm_opt_link() -> std::path::PathBuf {
    cargo_bin_dir().join("wasm-opt")
}

fn check_wasm_opt_link() -> Result<String, String> {
    let link = wasm_opt_link();
    let installed = std::fs::canonicalize(npm_bin_dir().join("wasm-opt"))
        .map_err(|error| format!("the npm wasm-opt is missing: {error}"))?;
    match std::fs::canonicalize(&link) {
        Ok(target) if target == installed => {
            Ok(format!("{} -> {}", link.display(), installed.display()))
        }
        Ok(target) => Err(format!(
            "{} is {}, not the npm binaryen one",
            link.display(),
            target.display()
        )),
        Err(_) => Err(format!("{} does not exist", link.display())),
    }
}

fn link_wasm_opt() -> Result<()> {
    let link = wasm_opt_link();
    let installed = std::fs::canonicalize(npm_bin_dir().join("wasm-opt"))?;
    if std::fs::symlink_metadata(&link).is_ok() {
        std::fs::remove_file(&link).with_context(|| format!("replacing {}", link.display()))?;
    }
    std::os::unix::fs::symlink(&installed, &link)
        .with_context(|| format!("linking {} to {}", link.display(), installed.display()))
}

fn check_chromium() -> Result<String, String> {
    let browser =
        output_of(Command::new("chromium").arg("--version")).ok_or("chromium not found")?;
    let driver =
        output_of(Command::new("chromedriver").arg("--version")).ok_or("chromedriver not found")?;
    // `Chromium 156.0.8078.79 built on Debian ...`, `ChromeDriver 156.0.8078.79 (...)`
    let major = |text: &str| {
        text.split_whitespace()
            .nth(1)
            .and_then(|v| v.split('.').next())
            .map(str::to_owned)
    };
    match (major(&browser), major(&driver)) {
        (Some(b), Some(d)) if b == d => Ok(format!("Chromium and ChromeDriver {b}")),
        (b, d) => Err(format!(
            "versions differ: chromium {b:?}, chromedriver {d:?}"
        )),
    }
}

fn install_chromium() -> Result<()> {
    // Debian's packages: the browser and a driver of the same version. Needs root (or sudo).
    let apt = |args: &[&str]| -> Result<()> {
        let is_root = output_of(Command::new("id").arg("-u")).as_deref() == Some("0");
        let mut command = if is_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd::run(&mut command).context(
            "could not run apt-get; as root, run `apt-get update && apt-get install -y chromium chromium-driver`",
        )
    };
    apt(&["update", "-q"])?;
    apt(&["install", "-y", "-q", "chromium", "chromium-driver"])
}

fn requirements() -> Result<String> {
    let path = project_root().join("xtask/python-requirements.txt");
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// The virtualenv records the requirements it was made from, so that a changed pin reinstalls.
fn venv_stamp() -> std::path::PathBuf {
    venv_dir().join("requirements.installed")
}

fn check_venv() -> Result<String, String> {
    let wanted = requirements().map_err(|error| format!("{error:#}"))?;
    match std::fs::read_to_string(venv_stamp()) {
        Ok(stamp) if stamp == wanted => {}
        Ok(_) => return Err("the requirements changed since it was made".into()),
        Err(_) => return Err("not created yet".into()),
    }
    // cfn-lint lints the template; the AWS CLI drives devstack's JSON API in its tests.
    let mut versions = Vec::new();
    for tool in ["cfn-lint", "aws"] {
        let path = venv_dir().join("bin").join(tool);
        let version = output_of(Command::new(&path).arg("--version"))
            .ok_or_else(|| format!("{} does not run", path.display()))?;
        versions.push(version);
    }
    Ok(versions.join(", "))
}

fn install_venv() -> Result<()> {
    let venv = venv_dir();
    cmd::run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )?;
    cmd::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(project_root().join("xtask/python-requirements.txt")),
    )?;
    std::fs::write(venv_stamp(), requirements()?)?;
    Ok(())
}
