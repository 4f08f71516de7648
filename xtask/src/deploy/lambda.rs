//! The Lambda: its architecture, and its build by cargo-lambda into the zip that the template's
//! `CodeUri` names.

use super::aws::Tools;
use crate::cmd::{self, project_root};
use anyhow::{Result, bail};

/// Where `cargo lambda build` puts the zip that `infra/template.yaml`'s `CodeUri` names.
const LAMBDA_DIR: &str = "target/lambda";
/// The api crate's binary: provided.al2023 runs an executable called `bootstrap`.
const LAMBDA_BIN: &str = "bootstrap";
/// The Cargo profile the Lambda is built with: the root Cargo.toml's `server` profile (speed),
/// not `release`, which is tuned for the size of the wasm bundle.
const LAMBDA_PROFILE: &str = "server";

/// The Lambda's instruction set: AWS's default here is Graviton; an emulator that runs the
/// bootstrap as a local process needs the machine's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LambdaArch {
    Arm64,
    X86_64,
}

impl LambdaArch {
    /// `--arch`'s value.
    pub(super) fn parse(value: &str) -> Result<Self> {
        match value {
            "arm64" | "aarch64" => Ok(Self::Arm64),
            "x86_64" | "x86-64" | "amd64" => Ok(Self::X86_64),
            other => bail!("--arch `{other}`: use arm64 or x86_64"),
        }
    }

    /// The template's `LambdaArchitecture` (CloudFormation's `Architectures` value).
    pub(super) fn template_value(self) -> &'static str {
        match self {
            Self::Arm64 => "arm64",
            Self::X86_64 => "x86_64",
        }
    }

    /// cargo-lambda's flag for it.
    fn cargo_lambda_flag(self) -> &'static str {
        match self {
            Self::Arm64 => "--arm64",
            Self::X86_64 => "--x86-64",
        }
    }
}

/// `cargo lambda build` arguments. Whatever the profile, cargo-lambda writes
/// `<lambda dir>/<binary>/bootstrap.zip`, the template's `CodeUri`.
fn build_args(arch: LambdaArch) -> [&'static str; 13] {
    [
        "lambda",
        "build",
        "--profile",
        LAMBDA_PROFILE,
        arch.cargo_lambda_flag(),
        "--package",
        "api",
        "--bin",
        LAMBDA_BIN,
        "--output-format",
        "zip",
        "--lambda-dir",
        LAMBDA_DIR,
    ]
}

/// `cargo lambda build` into the zip that the template's `CodeUri` names.
pub(super) fn build(tools: &Tools, arch: LambdaArch) -> Result<()> {
    println!(
        "==> building the Lambda (cargo lambda, {}, profile {LAMBDA_PROFILE})",
        arch.template_value()
    );
    cmd::run(tools.cargo().args(build_args(arch)))?;
    let zip = project_root()
        .join(LAMBDA_DIR)
        .join(LAMBDA_BIN)
        .join("bootstrap.zip");
    if !zip.is_file() {
        bail!(
            "cargo lambda did not produce {} (the template's CodeUri)",
            zip.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::TEMPLATE;

    #[test]
    fn the_architecture_picks_cargo_lambdas_flag() {
        assert_eq!(build_args(LambdaArch::X86_64)[4], "--x86-64");
        assert_eq!(build_args(LambdaArch::Arm64)[4], "--arm64");
        assert_eq!(LambdaArch::parse("aarch64").unwrap(), LambdaArch::Arm64);
        assert_eq!(
            LambdaArch::parse("amd64").unwrap().template_value(),
            "x86_64"
        );
    }

    #[test]
    fn the_template_deploys_the_zip_that_cargo_lambda_builds() {
        let template = std::fs::read_to_string(project_root().join(TEMPLATE)).unwrap();
        let code_uris: Vec<&str> = template
            .lines()
            .filter_map(|line| line.trim().strip_prefix("CodeUri:"))
            .map(str::trim)
            .collect();
        // Relative to infra/, where the template lives.
        assert_eq!(
            code_uris,
            [format!("../{LAMBDA_DIR}/{LAMBDA_BIN}/bootstrap.zip")]
        );

        let manifest: toml::Table = toml::from_str(
            &std::fs::read_to_string(project_root().join("api/Cargo.toml")).unwrap(),
        )
        .unwrap();
        let bins: Vec<&str> = manifest["bin"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|bin| bin.get("name")?.as_str())
            .collect();
        assert!(bins.contains(&LAMBDA_BIN), "api's binaries: {bins:?}");
    }

    #[test]
    fn the_lambda_is_built_with_the_servers_profile() {
        let args = build_args(LambdaArch::Arm64);
        let profile = args
            .iter()
            .position(|arg| *arg == "--profile")
            .and_then(|at| args.get(at + 1));
        assert_eq!(profile, Some(&LAMBDA_PROFILE));
        // Cargo refuses --release together with --profile.
        assert!(!args.contains(&"--release"), "{args:?}");
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(project_root().join("Cargo.toml")).unwrap())
                .unwrap();
        let server = &manifest["profile"][LAMBDA_PROFILE];
        assert_eq!(server["inherits"].as_str(), Some("release"));
        assert_ne!(
            server.get("opt-level").and_then(toml::Value::as_str),
            Some("z"),
            "the server profile should optimise for speed"
        );
    }
}
