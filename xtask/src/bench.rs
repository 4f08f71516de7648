//! `cargo xtask bench`: builds what the report measures, then runs the `bench` binary, which
//! measures and writes `<target dir>/bench/report.md` and `report.json`.
//!
//! Built here: the SPA's release build (`dist/`); the same without the Account security page
//! (`--no-default-features`, into `<target dir>/bench/without-account-page/`); the opt-in
//! `--smallest` build (into `<target dir>/bench/smallest/`); the floor, a plain
//! Leptos + leptos_router hello page generated under `<target dir>/bench/floor/` and built the
//! same way (same release profile, Cargo.lock and Cargo config, Trunk with wasm-opt -Oz); and
//! devstack and the bench binary with the `server` profile. Not part of `cargo xtask test`: it
//! takes minutes and wants a quiet machine.

use crate::build::{self, Profile, dist_dir};
use crate::cmd::{self, project_root};
use crate::setup;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

const FLOOR_MAIN: &str = r#"//! The floor of the size report: a plain Leptos CSR page with leptos_router.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=|| "Not found.">
                <Route path=path!("/") view=|| view! { <h1>"Hello, world!"</h1> } />
            </Routes>
        </Router>
    }
}
"#;

const FLOOR_INDEX: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>floor</title>
    <link data-trunk rel="rust" data-wasm-opt="z" />
  </head>
  <body></body>
</html>
"#;

pub fn run(args: &[String]) -> Result<()> {
    let mut quick = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            other => bail!(
                "`cargo xtask bench` takes only `--quick` (fewer, shorter runs), not `{other}`"
            ),
        }
    }
    setup::run(setup::Mode::Quiet)?;
    let target = cmd::target_dir()?;
    let out = target.join("bench");

    println!("==> SPA release build");
    build::spa(Profile::Release)?;
    println!("==> SPA release build without the Account security page");
    let without_account = out.join("without-account-page");
    cmd::run(
        cmd::command("trunk")
            .args(["--skip-version-check", "build", "--release", "--offline"])
            .arg("--no-default-features")
            .arg("--dist")
            .arg(&without_account),
    )?;
    println!("==> the opt-in smallest build (cargo xtask build --smallest)");
    let smallest = out.join("smallest");
    build::smallest(&smallest)?;
    println!("==> floor: a plain Leptos + leptos_router page, built the same way");
    let floor = write_floor(&out.join("floor"))?;
    cmd::run(
        cmd::command("trunk")
            .args(["--skip-version-check", "build", "--release", "--offline"])
            .current_dir(&floor)
            .env("CARGO_TARGET_DIR", floor.join("target")),
    )?;
    println!("==> devstack and the bench binary (--profile server)");
    cmd::run(cmd::command("cargo").args([
        "build",
        "--locked",
        "--profile",
        "server",
        "-p",
        "devstack",
        "-p",
        "bench",
    ]))?;

    let binaries = target.join("server");
    let mut bench = cmd::command(binaries.join("bench"));
    bench
        .arg("--dist")
        .arg(dist_dir())
        .arg("--without-account-dist")
        .arg(&without_account)
        .arg("--smallest-dist")
        .arg(&smallest)
        .arg("--floor-dist")
        .arg(floor.join("dist"))
        .arg("--devstack")
        .arg(binaries.join("devstack"))
        .arg("--out")
        .arg(&out);
    if quick {
        bench.arg("--quick");
    }
    cmd::run(&mut bench)
}

/// Writes the floor crate into `dir` (its own workspace, with the root's Cargo.lock and release
/// profile, so the comparison is like for like) and returns `dir`.
fn write_floor(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let manifest_path = project_root().join("Cargo.toml");
    let manifest: toml::Table = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?
        .parse()
        .with_context(|| format!("parsing {}", manifest_path.display()))?;
    write_if_changed(&dir.join("Cargo.toml"), &floor_manifest(&manifest)?)?;
    write_if_changed(&dir.join("src/main.rs"), FLOOR_MAIN)?;
    write_if_changed(&dir.join("index.html"), FLOOR_INDEX)?;
    // The same Cargo config (the wasm rustflags), so the floor is built exactly like the app.
    std::fs::create_dir_all(dir.join(".cargo"))
        .with_context(|| format!("creating {}", dir.join(".cargo").display()))?;
    let config = std::fs::read_to_string(project_root().join(".cargo/config.toml"))
        .context("reading the workspace's .cargo/config.toml")?;
    write_if_changed(&dir.join(".cargo/config.toml"), &config)?;
    let lock = std::fs::read_to_string(project_root().join("Cargo.lock"))
        .context("reading the workspace's Cargo.lock")?;
    write_if_changed(&dir.join("Cargo.lock"), &lock)?;
    Ok(dir.to_path_buf())
}

/// The floor's Cargo.toml: leptos and leptos_router as the workspace asks for them, and the
/// workspace's `[profile.release]`.
fn floor_manifest(workspace: &toml::Table) -> Result<String> {
    let release = workspace
        .get("profile")
        .and_then(|profile| profile.get("release"))
        .context("the root Cargo.toml has no [profile.release]")?;
    let dependency = |name: &str| -> Result<toml::Value> {
        let spec = workspace
            .get("workspace")
            .and_then(|w| w.get("dependencies"))
            .and_then(|deps| deps.get(name))
            .with_context(|| format!("the root Cargo.toml has no workspace dependency `{name}`"))?;
        let version = match spec {
            toml::Value::String(version) => version.clone(),
            other => other
                .get("version")
                .and_then(toml::Value::as_str)
                .with_context(|| format!("workspace dependency `{name}` has no version"))?
                .to_owned(),
        };
        let mut table = toml::Table::new();
        table.insert("version".into(), version.into());
        Ok(table.into())
    };
    let mut leptos = dependency("leptos")?;
    if let Some(table) = leptos.as_table_mut() {
        table.insert("features".into(), vec!["csr"].into());
    }
    let mut manifest: toml::Table = "[package]\nname = \"bench-floor\"\nversion = \"0.1.0\"\n\
         edition = \"2024\"\npublish = false\n\n[workspace]\n"
        .parse()?;
    let mut dependencies = toml::Table::new();
    dependencies.insert("leptos".into(), leptos);
    dependencies.insert("leptos_router".into(), dependency("leptos_router")?);
    manifest.insert("dependencies".into(), dependencies.into());
    let mut profile = toml::Table::new();
    profile.insert("release".into(), release.clone());
    manifest.insert("profile".into(), profile.into());
    Ok(format!(
        "# Generated by `cargo xtask bench`: the floor of the size report.\n{}",
        toml::to_string(&manifest)?
    ))
}

/// Leaves an unchanged file alone, so that Cargo does not rebuild the floor for nothing.
fn write_if_changed(path: &Path, content: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_manifest_copies_versions_and_the_release_profile() {
        let workspace: toml::Table = r#"
            [workspace.dependencies]
            leptos = "0.8"
            leptos_router = { version = "0.8.2", default-features = false }
            [profile.release]
            opt-level = "z"
            lto = true
            [profile.server]
            inherits = "release"
        "#
        .parse()
        .expect("toml");
        let manifest: toml::Table = floor_manifest(&workspace)
            .expect("manifest")
            .parse()
            .expect("generated toml parses");
        assert_eq!(
            manifest["dependencies"]["leptos"]["version"].as_str(),
            Some("0.8")
        );
        assert_eq!(
            manifest["dependencies"]["leptos"]["features"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        assert_eq!(
            manifest["dependencies"]["leptos_router"]["version"].as_str(),
            Some("0.8.2")
        );
        assert_eq!(
            manifest["profile"]["release"]["opt-level"].as_str(),
            Some("z")
        );
        assert_eq!(manifest["profile"]["release"]["lto"].as_bool(), Some(true));
        assert!(manifest["profile"].get("server").is_none());
        assert!(manifest.contains_key("workspace"), "its own workspace");
    }

    #[test]
    fn floor_manifest_needs_a_release_profile() {
        let workspace: toml::Table =
            "[workspace.dependencies]\nleptos = \"0.8\"\nleptos_router = \"0.8\"\n"
                .parse()
                .expect("toml");
        let error = floor_manifest(&workspace).expect_err("no profile");
        assert!(error.to_string().contains("[profile.release]"), "{error}");
    }
}
