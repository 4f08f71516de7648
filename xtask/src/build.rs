//! `cargo xtask build`: the SPA's release build into `dist/`; `--smallest`, an opt-in build that
//! trades the stable toolchain's guarantees for about 20 kB gzip less (see [`smallest`]).

use crate::cmd::{self, project_root};
use crate::setup;
use anyhow::{Context, Result, bail};
use std::path::Path;

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
    let smallest_build = match args {
        [] => false,
        [flag] if flag == "--smallest" => true,
        [other, ..] => bail!(
            "`cargo xtask build` takes only `--smallest` (the opt-in build with the standard \
             library rebuilt), not `{other}`"
        ),
    };
    setup::run(setup::Mode::Quiet)?;
    if smallest_build {
        smallest(&dist_dir())
    } else {
        spa(Profile::Release)
    }
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

/// The release build with the standard library rebuilt for size (`-Zbuild-std`) and panics that
/// abort at once, without formatting a message (`-Cpanic=immediate-abort`), into `dist`.
///
/// Both are unstable, so this build switches the stable compiler's nightly features on with
/// `RUSTC_BOOTSTRAP=1` and needs the `rust-src` component: that is why it is opt-in and never
/// the default build that users copy. It uses its own target directory (`<target>/smallest`), so
/// the default build's artifacts stay as they are.
pub fn smallest(dist: &Path) -> Result<()> {
    let installed =
        cmd::output_of(cmd::command("rustup").args(["component", "list", "--installed"]))
            .context("`rustup component list` failed")?;
    let had_rust_src = installed.lines().any(|line| line.starts_with("rust-src"));
    if !had_rust_src {
        cmd::run(cmd::command("rustup").args(["component", "add", "rust-src"])).context(
            "the smallest build rebuilds the standard library from the rust-src component",
        )?;
    }
    let built = build_smallest(dist);
    // With rust-src present, rustc writes the panic locations of std's inlined code with the local
    // source path instead of `/rustc/<hash>/…`: about 0.6 kB gzip more in the default build. So
    // the toolchain is left as it was found, and the default build measures the same everywhere.
    if !had_rust_src {
        cmd::run(cmd::command("rustup").args(["component", "remove", "rust-src"]))?;
    }
    built
}

fn build_smallest(dist: &Path) -> Result<()> {
    let config = project_root().join(".cargo/config.toml");
    let config: toml::Table = std::fs::read_to_string(&config)
        .with_context(|| format!("reading {}", config.display()))?
        .parse()
        .with_context(|| format!("parsing {}", config.display()))?;
    let rustflags = smallest_rustflags(&config)?;
    let target = cmd::target_dir()?.join("smallest");
    let with_env = |command: &mut std::process::Command| {
        command
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", &rustflags)
            .env("CARGO_TARGET_DIR", &target);
    };
    // The standard library's own dependencies come from crates.io, like the project's.
    let mut fetch = cmd::command("cargo");
    fetch.args(["fetch", "--quiet", "--target", "wasm32-unknown-unknown"]);
    with_env(&mut fetch);
    cmd::run(&mut fetch)?;
    let mut trunk = cmd::command("trunk");
    trunk
        .args(["--skip-version-check", "build", "--offline", "--release"])
        .arg("--dist")
        .arg(dist);
    with_env(&mut trunk);
    cmd::run(&mut trunk)
}

/// The wasm rustflags of the project's Cargo config (an environment variable would replace them,
/// not add to them) followed by the immediate-abort panic strategy.
fn smallest_rustflags(config: &toml::Table) -> Result<String> {
    let flags = config
        .get("target")
        .and_then(|target| target.get("wasm32-unknown-unknown"))
        .and_then(|wasm| wasm.get("rustflags"))
        .and_then(toml::Value::as_array)
        .context(".cargo/config.toml has no [target.wasm32-unknown-unknown] rustflags list")?;
    let mut words = flags
        .iter()
        .map(|flag| {
            flag.as_str().map(str::to_owned).with_context(|| {
                format!("a rustflag in .cargo/config.toml is not a string: {flag}")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    words.extend([
        "-Zunstable-options".into(),
        "-Cpanic=immediate-abort".into(),
    ]);
    Ok(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_keeps_the_configured_flags_and_adds_immediate_abort() {
        let config: toml::Table = "[target.wasm32-unknown-unknown]\n\
                                   rustflags = [\"--cfg\", \"erase_components\"]\n"
            .parse()
            .expect("toml");
        assert_eq!(
            smallest_rustflags(&config).expect("flags"),
            "--cfg erase_components -Zunstable-options -Cpanic=immediate-abort"
        );
    }

    #[test]
    fn smallest_names_what_is_missing_in_the_config() {
        let config: toml::Table = "[alias]\nxtask = \"run\"\n".parse().expect("toml");
        let error = smallest_rustflags(&config).expect_err("no rustflags");
        assert!(error.to_string().contains("rustflags"), "{error}");
        let config: toml::Table = "[target.wasm32-unknown-unknown]\nrustflags = [1]\n"
            .parse()
            .expect("toml");
        let error = smallest_rustflags(&config).expect_err("not a string");
        assert!(error.to_string().contains("not a string"), "{error}");
    }

    #[test]
    fn the_project_config_gives_the_smallest_build_its_flags() {
        let config = project_root().join(".cargo/config.toml");
        let config: toml::Table = std::fs::read_to_string(config)
            .expect("the project's Cargo config")
            .parse()
            .expect("parses");
        let flags = smallest_rustflags(&config).expect("flags");
        assert!(flags.contains("erase_components"), "{flags}");
    }
}
