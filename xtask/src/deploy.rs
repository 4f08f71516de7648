//! `cargo xtask deploy`: the whole stack on AWS in one command (infra/README.md).
//!
//! Checks the tools and the AWS credentials first and stops before touching anything when one is
//! missing; then builds the Lambda (cargo-lambda) and the SPA (Trunk), deploys
//! `infra/template.yaml` (`sam package` uploads the Lambda zip, `aws cloudformation deploy` applies
//! the template), writes `dist/config.json` from the stack outputs, uploads `dist/` to the bucket
//! and invalidates the CloudFront cache.
//!
//! Everything AWS-side goes through the `aws` and `sam` CLIs, so xtask needs no AWS SDK.

use crate::build::{self, Profile};
use crate::cmd::{self, project_root};
use anyhow::{Context, Result, bail};
use contract::{SpaConfig, TokenStorage};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const USAGE: &str = "\
usage: cargo xtask deploy [options]

Builds the Lambda and the SPA, deploys infra/template.yaml, writes dist/config.json from the
stack outputs, uploads dist/ and invalidates CloudFront. Needs AWS credentials, the AWS CLI, the
SAM CLI and cargo-lambda (see infra/README.md).

The stack's settings (domain prefix, local origin, sign-up, MFA, rotation) that a run does not
name keep what the stack has; a new stack starts from the defaults below (those of devstack).

options:
  --stack-name NAME         CloudFormation stack (default: $COGNITO_SPA_STACK or cognito-spa)
  --region REGION           AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1)
  --domain-prefix PREFIX    hosted-UI domain prefix (default: <stack name>-<hash of account,
                            region and stack>, without the words Cognito reserves)
  --local-origin ORIGIN     also allow a locally served SPA, e.g. http://localhost:8080
  --no-local-origin         stop allowing the local origin given earlier
  --self-sign-up            anyone may create an account, confirmed by an e-mailed code (default)
  --no-self-sign-up         only administrators create users (AdminCreateUser)
  --mfa OFF|OPTIONAL|ON     TOTP multi-factor authentication (default OPTIONAL: users may turn
                            an authenticator app on)
  --refresh-token-rotation  rotate refresh tokens on every refresh (default, as in devstack;
                            the old one works 10 s more)
  --no-refresh-token-rotation
                            stop rotating them: one refresh token for its 30 days
  --token-storage memory|session
                            where the SPA keeps its tokens (default memory; not a stack setting:
                            give it on every run that should not use the default)
  --arch arm64|x86_64       the Lambda's architecture (default arm64; not a stack setting)
  --endpoint-url URL        send every AWS call (aws and sam CLIs) to URL instead of AWS, e.g. an
                            emulator: http://127.0.0.1:4566 (default: $AWS_ENDPOINT_URL, which
                            both CLIs read themselves; see infra/README.md)";

/// Said after every refusal that happens before anything was built or changed.
const NOTHING_CHANGED: &str = "Nothing was built, deployed or uploaded.";

/// A new stack's settings, the template's parameter defaults (a test compares them).
const DEFAULT_SELF_SIGN_UP: bool = true;
const DEFAULT_MFA: &str = "OPTIONAL";
const DEFAULT_REFRESH_TOKEN_ROTATION: bool = true;

/// Where `cargo lambda build` puts the zip that `infra/template.yaml`'s `CodeUri` names.
const LAMBDA_DIR: &str = "target/lambda";
/// The api crate's binary: provided.al2023 runs an executable called `bootstrap`.
const LAMBDA_BIN: &str = "bootstrap";
const TEMPLATE: &str = "infra/template.yaml";
const PACKAGED_TEMPLATE: &str = "target/infra/packaged.yaml";

pub fn run(args: &[String]) -> Result<()> {
    let options = match Invocation::parse(args, |name| std::env::var(name).ok())? {
        Invocation::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        Invocation::Deploy(options) => options,
    };
    let tools = Tools::from_path().with_endpoint_url(options.endpoint_url.clone());
    deploy(&options, &tools)
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
enum Invocation {
    Help,
    Deploy(Options),
}

/// The stack settings (`domain_prefix` to `refresh_token_rotation`) are `None` when the command
/// line does not name them: the stack then keeps its current value (see [`choose_parameters`]).
#[derive(Debug, PartialEq, Eq)]
struct Options {
    stack_name: String,
    region: String,
    domain_prefix: Option<String>,
    /// `Some("")`: `--no-local-origin`.
    local_origin: Option<String>,
    self_sign_up: Option<bool>,
    mfa: Option<String>,
    refresh_token_rotation: Option<bool>,
    token_storage: TokenStorage,
    /// The Lambda's architecture, `arm64` or `x86_64` (see [`LambdaArch`]).
    arch: LambdaArch,
    /// Where the AWS calls go instead of AWS (an emulator); `None`: AWS.
    endpoint_url: Option<String>,
}

/// The Lambda's instruction set: AWS's default here is Graviton; an emulator that runs the
/// bootstrap as a local process needs the machine's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LambdaArch {
    Arm64,
    X86_64,
}

impl LambdaArch {
    fn parse(value: &str) -> Result<Self> {
        match value {
            "arm64" | "aarch64" => Ok(Self::Arm64),
            "x86_64" | "x86-64" | "amd64" => Ok(Self::X86_64),
            other => bail!("--arch `{other}`: use arm64 or x86_64"),
        }
    }

    /// The template's `LambdaArchitecture` (CloudFormation's `Architectures` value).
    fn template_value(self) -> &'static str {
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

impl Invocation {
    /// Reads the flags, falling back to the environment (looked up through `env`) and defaults.
    fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut options = Options {
            stack_name: env("COGNITO_SPA_STACK").unwrap_or_else(|| "cognito-spa".to_owned()),
            region: env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .filter(|region| !region.is_empty())
                .unwrap_or_else(|| "us-east-1".to_owned()),
            domain_prefix: None,
            local_origin: None,
            self_sign_up: None,
            mfa: None,
            refresh_token_rotation: None,
            token_storage: TokenStorage::Memory,
            arch: LambdaArch::Arm64,
            endpoint_url: None,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .cloned()
                    .with_context(|| format!("`{flag}` needs a value\n\n{USAGE}"))
            };
            match flag.as_str() {
                "-h" | "--help" => return Ok(Self::Help),
                "--stack-name" => options.stack_name = value()?,
                "--region" => options.region = value()?,
                "--domain-prefix" => options.domain_prefix = Some(value()?),
                "--local-origin" => options.local_origin = Some(value()?),
                "--no-local-origin" => options.local_origin = Some(String::new()),
                "--self-sign-up" => options.self_sign_up = Some(true),
                "--no-self-sign-up" => options.self_sign_up = Some(false),
                "--mfa" => options.mfa = Some(value()?.to_ascii_uppercase()),
                "--refresh-token-rotation" => options.refresh_token_rotation = Some(true),
                "--no-refresh-token-rotation" => options.refresh_token_rotation = Some(false),
                "--token-storage" => {
                    options.token_storage = match value()?.as_str() {
                        "memory" => TokenStorage::Memory,
                        "session" => TokenStorage::Session,
                        other => bail!(
                            "--token-storage `{other}`: use memory or session (never localStorage)"
                        ),
                    }
                }
                "--arch" => options.arch = LambdaArch::parse(&value()?)?,
                "--endpoint-url" => options.endpoint_url = Some(value()?),
                other => bail!("unknown option `{other}`\n\n{USAGE}"),
            }
        }
        options.validate()?;
        Ok(Self::Deploy(options))
    }
}

impl Options {
    fn validate(&self) -> Result<()> {
        let stack = &self.stack_name;
        // CloudFormation's rule, kept shorter so the names derived from it (hosted-UI prefix,
        // origin access control, log group) stay within their own limits.
        if stack.is_empty()
            || stack.len() > 40
            || !stack.starts_with(|c: char| c.is_ascii_alphabetic())
            || !stack.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            bail!(
                "stack name `{stack}`: use 1-40 letters, digits and hyphens, starting with a letter"
            );
        }
        let region = &self.region;
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            bail!("region `{region}` does not look like an AWS region (e.g. us-east-1)");
        }
        if let Some(prefix) = &self.domain_prefix {
            check_domain_prefix(prefix)?;
        }
        if let Some(origin) = self
            .local_origin
            .as_deref()
            .filter(|origin| !origin.is_empty())
        {
            check_local_origin(origin)?;
        }
        if let Some(mfa) = self
            .mfa
            .as_deref()
            .filter(|mfa| !["OFF", "OPTIONAL", "ON"].contains(mfa))
        {
            bail!("--mfa `{mfa}`: use OFF, OPTIONAL or ON");
        }
        if let Some(url) = &self.endpoint_url {
            check_endpoint_url(url)?;
        }
        Ok(())
    }
}

/// `--endpoint-url`: an http(s) URL with a host, as the AWS CLI's `--endpoint-url` takes it.
fn check_endpoint_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    if host.is_none_or(str::is_empty) || url.chars().any(char::is_whitespace) {
        bail!(
            "--endpoint-url `{url}`: give an http:// or https:// URL, e.g. http://127.0.0.1:4566"
        );
    }
    Ok(())
}

/// Words Cognito refuses in a hosted-UI domain prefix.
const RESERVED_IN_DOMAIN_PREFIX: [&str; 3] = ["aws", "amazon", "cognito"];

/// Cognito's rule for a hosted-UI domain prefix (the template's `AllowedPattern` plus the
/// reserved words), checked here so a bad prefix fails before the build rather than mid-deploy.
fn check_domain_prefix(prefix: &str) -> Result<()> {
    let well_formed = (1..=63).contains(&prefix.len())
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !prefix.starts_with('-')
        && !prefix.ends_with('-');
    if !well_formed {
        bail!(
            "hosted-UI domain prefix `{prefix}`: use 1-63 lowercase letters, digits and inner hyphens"
        );
    }
    if let Some(word) = RESERVED_IN_DOMAIN_PREFIX
        .iter()
        .find(|word| prefix.contains(*word))
    {
        bail!("hosted-UI domain prefix `{prefix}`: Cognito does not allow the word `{word}` in it");
    }
    Ok(())
}

/// The default prefix: the stack name without Cognito's reserved words, plus a short hash of
/// account, region and stack, which makes it unique in practice (prefixes are global per region)
/// without showing every visitor the account id.
fn default_domain_prefix(stack_name: &str, account: &str, region: &str) -> String {
    let mut base = stack_name.to_ascii_lowercase();
    for word in RESERVED_IN_DOMAIN_PREFIX {
        base = base.replace(word, "");
    }
    let words: Vec<&str> = base.split('-').filter(|word| !word.is_empty()).collect();
    let base = if words.is_empty() {
        "spa".to_owned()
    } else {
        words.join("-")
    };
    let digest = Sha256::digest(format!("{account}\n{region}\n{stack_name}"));
    // 10 hex digits (40 bits); the stack name (at most 40) keeps the prefix within 63.
    let suffix: String = digest
        .iter()
        .take(5)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{base}-{suffix}")
}

/// Cognito accepts plain-http redirect URLs only for localhost (the template checks the same).
fn check_local_origin(origin: &str) -> Result<()> {
    let port = origin.strip_prefix("http://localhost");
    let valid = match port {
        Some("") => true,
        Some(rest) => rest.strip_prefix(':').is_some_and(|digits| {
            (1..=5).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
        }),
        None => false,
    };
    if !valid {
        bail!(
            "--local-origin `{origin}`: give an origin like http://localhost:8080 (no path, no trailing slash)"
        );
    }
    Ok(())
}

/// The programs deploy drives, by name or path (tests substitute fakes).
struct Tools {
    aws: OsString,
    sam: OsString,
    cargo: OsString,
    trunk: OsString,
    /// `AWS_ENDPOINT_URL` for the `aws` and `sam` commands (`--endpoint-url`).
    endpoint_url: Option<String>,
}

impl Tools {
    fn from_path() -> Self {
        Self {
            aws: "aws".into(),
            sam: "sam".into(),
            cargo: "cargo".into(),
            trunk: "trunk".into(),
            endpoint_url: None,
        }
    }

    fn with_endpoint_url(self, endpoint_url: Option<String>) -> Self {
        Self {
            endpoint_url,
            ..self
        }
    }

    /// A `sam` command, sent to the same endpoint as the `aws` ones.
    fn sam(&self) -> Command {
        let mut command = cmd::command(&self.sam);
        command.env("SAM_CLI_TELEMETRY", "0").stdin(Stdio::null());
        self.point_at_endpoint(&mut command);
        command
    }

    /// Both CLIs (and the SDKs under them) read `AWS_ENDPOINT_URL` for every service.
    fn point_at_endpoint(&self, command: &mut Command) {
        if let Some(url) = &self.endpoint_url {
            command.env("AWS_ENDPOINT_URL", url);
        }
    }

    /// An `aws` command for `region` that never pages, prompts or hangs on instance metadata.
    fn aws(&self, region: &str) -> Command {
        let mut command = cmd::command(&self.aws);
        command
            .env("AWS_PAGER", "")
            .stdin(Stdio::null())
            .args(["--region", region]);
        self.point_at_endpoint(&mut command);
        // Outside EC2 the CLI's credential chain would wait on the metadata service; keep that
        // short unless the caller chose otherwise.
        for (name, value) in [
            ("AWS_METADATA_SERVICE_TIMEOUT", "1"),
            ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1"),
        ] {
            if std::env::var_os(name).is_none() {
                command.env(name, value);
            }
        }
        command
    }
}

/// Who the credentials belong to.
#[derive(Debug, PartialEq, Eq)]
struct CallerIdentity {
    account: String,
    arn: String,
}

/// Everything that must be in place before anything is built or changed. Credentials first:
/// they are the most common thing to be missing.
fn preflight(tools: &Tools, region: &str) -> Result<CallerIdentity> {
    let identity = caller_identity(tools, region)?;
    require(
        tools.sam().arg("--version"),
        "the AWS SAM CLI (`sam`), which packages the Lambda: run `cargo xtask setup` (see infra/README.md)",
    )?;
    require(
        cmd::command(&tools.cargo).args(["lambda", "--version"]),
        "cargo-lambda, which builds the Lambda for Linux: run `cargo xtask setup` (it brings zig) or see infra/README.md",
    )?;
    require(
        cmd::command(&tools.trunk).arg("--version"),
        "trunk, which builds the SPA: run `cargo xtask setup`",
    )?;
    Ok(identity)
}

fn require(command: &mut Command, what: &str) -> Result<()> {
    match command.stdin(Stdio::null()).output() {
        Ok(output) if output.status.success() => Ok(()),
        _ => bail!(
            "{} does not run: install {what}. {NOTHING_CHANGED}",
            cmd::describe(command)
        ),
    }
}

fn caller_identity(tools: &Tools, region: &str) -> Result<CallerIdentity> {
    let mut sts = tools.aws(region);
    sts.args([
        "sts",
        "get-caller-identity",
        "--output",
        "json",
        "--cli-connect-timeout",
        "10",
    ]);
    let output = match sts.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "the AWS CLI (`aws`) is not installed or not on PATH: install AWS CLI v2 and configure \
             credentials (see infra/README.md). {NOTHING_CHANGED}"
        ),
        Err(error) => bail!("could not start the AWS CLI: {error}. {NOTHING_CHANGED}"),
    };
    if !output.status.success() {
        bail!(
            "no usable AWS credentials: `aws sts get-caller-identity` failed: {}\n\
             Configure credentials (`aws configure`, `aws sso login`, AWS_PROFILE or \
             AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and try again. {NOTHING_CHANGED}",
            last_line(&output.stderr)
        );
    }
    parse_caller_identity(&String::from_utf8_lossy(&output.stdout))
}

fn parse_caller_identity(json: &str) -> Result<CallerIdentity> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Raw {
        account: String,
        arn: String,
    }
    let raw: Raw = serde_json::from_str(json)
        .context("`aws sts get-caller-identity` printed something other than its JSON answer")?;
    Ok(CallerIdentity {
        account: raw.account,
        arn: raw.arn,
    })
}

/// The last non-empty line of a tool's error output: usually the one that says what went wrong.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("(no message)")
        .to_owned()
}

fn deploy(options: &Options, tools: &Tools) -> Result<()> {
    let region = options.region.as_str();
    let stack = options.stack_name.as_str();
    let identity = preflight(tools, region)?;
    println!(
        "==> deploying stack {stack} to {region} in account {} as {}",
        identity.account, identity.arn
    );
    let existing = describe_stack(tools, stack, region)?;
    if let Some(existing) = &existing {
        existing.check_updatable(stack, region)?;
    }

    build_lambda(tools, options.arch)?;
    let (dist, script_hashes) = build_spa()?;

    println!("==> packaging (sam package uploads the Lambda zip)");
    std::fs::create_dir_all(project_root().join("target/infra"))?;
    cmd::run(
        tools
            .sam()
            .args(["package", "--template-file", TEMPLATE])
            .args(["--output-template-file", PACKAGED_TEMPLATE])
            .args(["--resolve-s3", "--s3-prefix", stack, "--region", region]),
    )?;

    let mut parameters = choose_parameters(
        options,
        existing.as_ref(),
        default_domain_prefix(stack, &identity.account, region),
        &script_hashes,
    );
    check_domain_prefix(&parameters.domain_prefix)?;
    println!(
        "==> stack parameters (given now, else kept from the stack, else defaults):\n  {}",
        parameters.overrides().join("\n  ")
    );
    let mut deployed = deploy_stack(tools, stack, region, &parameters)?;
    // The CSP can name the API only once the API exists (see the template's ApiOrigin): on the
    // first deployment, or if the API was replaced, deploy once more with its origin.
    let api_base_url = deployed.output("ApiBaseUrl")?.to_owned();
    if parameters.api_origin.as_deref() != Some(api_base_url.as_str()) {
        println!("==> narrowing the CSP's connect-src to {api_base_url}");
        parameters.api_origin = Some(api_base_url);
        deployed = deploy_stack(tools, stack, region, &parameters)?;
    }
    let outputs = deployed.outputs;

    let config = spa_config_json(&outputs, options.token_storage)?;
    std::fs::write(dist.join("config.json"), config)
        .with_context(|| format!("writing {}", dist.join("config.json").display()))?;

    upload(tools, region, &dist, output(&outputs, "SiteBucketName")?)?;

    let distribution = output(&outputs, "DistributionId")?;
    println!("==> invalidating the CloudFront cache of {distribution}");
    cmd::run(
        tools
            .aws(region)
            .args(["cloudfront", "create-invalidation", "--output", "text"])
            .args(["--distribution-id", distribution, "--paths", "/*"])
            .args(["--query", "Invalidation.Id"]),
    )?;

    println!("{}", summary(&outputs, region, parameters.self_sign_up)?);
    Ok(())
}

/// What a finished deployment prints: the SPA's URL, the command line's client id and how to
/// get a user.
fn summary(outputs: &BTreeMap<String, String>, region: &str, self_sign_up: bool) -> Result<String> {
    let create_user = format!(
        "aws cognito-idp admin-create-user --region {region} --user-pool-id {} \
         --username demo --user-attributes Name=email,Value=you@example.com Name=email_verified,Value=true",
        output(outputs, "UserPoolId")?
    );
    let users = if self_sign_up {
        "Sign up on the hosted UI (its sign-in page links to it), or create a user:"
    } else {
        "Create a user to sign in with (sign-up is closed):"
    };
    Ok(format!(
        "\nDeployed: {}\nCLI app client: {} (signing in from a terminal: docs/cli.md)\n\n\
         {users}\n  {create_user}\n\
         Remove everything again: see infra/README.md (\"Deleting the stack\").",
        output(outputs, "SpaUrl")?,
        output(outputs, "CliClientId")?,
    ))
}

/// The Cargo profile the Lambda is built with: the root Cargo.toml's `server` profile (speed),
/// not `release`, which is tuned for the size of the wasm bundle.
const LAMBDA_PROFILE: &str = "server";

/// `cargo lambda build` arguments. Whatever the profile, cargo-lambda writes
/// `<lambda dir>/<binary>/bootstrap.zip`, the template's `CodeUri`.
fn lambda_build_args(arch: LambdaArch) -> [&'static str; 13] {
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
fn build_lambda(tools: &Tools, arch: LambdaArch) -> Result<()> {
    println!(
        "==> building the Lambda (cargo lambda, {}, profile {LAMBDA_PROFILE})",
        arch.template_value()
    );
    cmd::run(cmd::command(&tools.cargo).args(lambda_build_args(arch)))?;
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

/// The SPA's release build; returns `dist/` and the CSP hashes of its index.html.
fn build_spa() -> Result<(PathBuf, Vec<String>)> {
    println!("==> building the SPA (trunk, release)");
    build::spa(Profile::Release)?;
    let dist = build::dist_dir();
    let index_path = dist.join("index.html");
    let index_html = std::fs::read_to_string(&index_path)
        .with_context(|| format!("reading {}", index_path.display()))?;
    let script_hashes = contract::csp::inline_script_hashes(&index_html);
    if script_hashes.is_empty() {
        bail!(
            "{} has no inline script: Trunk's loader is expected there, and the CSP is built around its hash",
            index_path.display()
        );
    }
    Ok((dist, script_hashes))
}

/// Copies `dist/` to the bucket, each file with its type and caching (see [`upload_plan`]).
fn upload(tools: &Tools, region: &str, dist: &Path, bucket: &str) -> Result<()> {
    println!("==> uploading dist/ to s3://{bucket}");
    for upload in upload_plan(dist)? {
        cmd::run(
            tools
                .aws(region)
                .args(["s3", "cp", "--only-show-errors"])
                .arg(dist.join(&upload.key))
                .arg(format!("s3://{bucket}/{}", upload.key))
                .args(["--content-type", upload.content_type])
                .args(["--cache-control", upload.cache_control]),
        )?;
    }
    Ok(())
}

/// `aws cloudformation deploy` of the packaged template; returns the stack as it then is.
fn deploy_stack(
    tools: &Tools,
    stack: &str,
    region: &str,
    parameters: &StackParameters,
) -> Result<StackState> {
    println!("==> deploying {TEMPLATE} (aws cloudformation deploy)");
    cmd::run(
        tools
            .aws(region)
            .args([
                "cloudformation",
                "deploy",
                "--template-file",
                PACKAGED_TEMPLATE,
            ])
            .args(["--stack-name", stack, "--no-fail-on-empty-changeset"])
            .args(["--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            .args(["--tags", "project=cognito-spa"])
            .arg("--parameter-overrides")
            .args(parameters.overrides()),
    )?;
    describe_stack(tools, stack, region)?
        .with_context(|| format!("stack {stack} is not there after its deployment"))
}

/// The template's parameters, as `cargo xtask deploy` fills them.
#[derive(Debug, PartialEq, Eq)]
struct StackParameters {
    domain_prefix: String,
    script_hashes: Vec<String>,
    api_origin: Option<String>,
    local_origin: Option<String>,
    self_sign_up: bool,
    mfa: String,
    refresh_token_rotation: bool,
    /// Follows the build (`--arch`), never kept from the stack.
    architecture: LambdaArch,
}

impl StackParameters {
    /// `Key=Value` arguments for `aws cloudformation deploy --parameter-overrides`. Every
    /// parameter is given, even when empty: an omitted one would keep its previous value.
    fn overrides(&self) -> Vec<String> {
        let rotation = if self.refresh_token_rotation {
            "ENABLED"
        } else {
            "DISABLED"
        };
        vec![
            format!("HostedUiDomainPrefix={}", self.domain_prefix),
            format!("InlineScriptHashes={}", self.script_hashes.join(",")),
            format!("ApiOrigin={}", self.api_origin.as_deref().unwrap_or("")),
            format!(
                "LocalDevOrigin={}",
                self.local_origin.as_deref().unwrap_or("")
            ),
            format!("SelfSignUp={}", self.self_sign_up),
            format!("MfaConfiguration={}", self.mfa),
            format!("RefreshTokenRotation={rotation}"),
            format!("LambdaArchitecture={}", self.architecture.template_value()),
        ]
    }
}

/// The parameters for this run: what the command line gives, else what the stack has now (an
/// omitted flag must not undo an earlier choice), else the defaults. All of them are passed
/// explicitly rather than left to the CLI's handling of omitted parameters, so what is printed
/// is what is deployed.
fn choose_parameters(
    options: &Options,
    existing: Option<&StackState>,
    default_domain_prefix: String,
    built_script_hashes: &[String],
) -> StackParameters {
    let current = |key: &str| existing.and_then(|stack| stack.parameters.get(key).cloned());
    StackParameters {
        domain_prefix: options
            .domain_prefix
            .clone()
            .or_else(|| current("HostedUiDomainPrefix"))
            .unwrap_or(default_domain_prefix),
        script_hashes: csp_script_hashes(
            current("InlineScriptHashes").as_deref(),
            built_script_hashes,
        ),
        api_origin: existing.and_then(|stack| stack.outputs.get("ApiBaseUrl").cloned()),
        local_origin: options
            .local_origin
            .clone()
            .or_else(|| current("LocalDevOrigin"))
            .filter(|origin| !origin.is_empty()),
        // A stack from before the parameter existed had sign-up closed: it stays so.
        self_sign_up: options.self_sign_up.unwrap_or_else(|| match existing {
            Some(_) => current("SelfSignUp").is_some_and(|open| open == "true"),
            None => DEFAULT_SELF_SIGN_UP,
        }),
        mfa: options
            .mfa
            .clone()
            .or_else(|| current("MfaConfiguration"))
            .unwrap_or_else(|| DEFAULT_MFA.to_owned()),
        // A stack from before the parameter existed did not rotate: it stays so.
        refresh_token_rotation: options
            .refresh_token_rotation
            .unwrap_or_else(|| match existing {
                Some(_) => {
                    current("RefreshTokenRotation").is_some_and(|rotation| rotation == "ENABLED")
                }
                None => DEFAULT_REFRESH_TOKEN_ROTATION,
            }),
        architecture: options.arch,
    }
}

/// A stack as `describe-stacks` reports it.
#[derive(Debug, PartialEq, Eq)]
struct StackState {
    status: String,
    outputs: BTreeMap<String, String>,
    /// The values the stack was last deployed with.
    parameters: BTreeMap<String, String>,
}

impl StackState {
    /// `None` when the answer lists no stack.
    fn from_describe_json(json: &str) -> Result<Option<Self>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            stacks: Vec<Stack>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Stack {
            stack_status: String,
            #[serde(default)]
            outputs: Vec<StackOutput>,
            #[serde(default)]
            parameters: Vec<StackParameter>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct StackOutput {
            output_key: String,
            output_value: String,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct StackParameter {
            parameter_key: String,
            #[serde(default)]
            parameter_value: String,
        }
        let answer: Answer = serde_json::from_str(json)
            .context("`aws cloudformation describe-stacks` printed something unexpected")?;
        Ok(answer.stacks.into_iter().next().map(|stack| Self {
            status: stack.stack_status,
            outputs: stack
                .outputs
                .into_iter()
                .map(|output| (output.output_key, output.output_value))
                .collect(),
            parameters: stack
                .parameters
                .into_iter()
                .map(|parameter| (parameter.parameter_key, parameter.parameter_value))
                .collect(),
        }))
    }

    /// Refuses states that `aws cloudformation deploy` cannot update, saying what to do.
    fn check_updatable(&self, stack: &str, region: &str) -> Result<()> {
        if self.status == "ROLLBACK_COMPLETE" {
            bail!(
                "stack {stack} failed to create and was rolled back; CloudFormation cannot update it. \
                 See why with `aws cloudformation describe-stack-events --region {region} --stack-name {stack}`, \
                 delete it with `aws cloudformation delete-stack --region {region} --stack-name {stack}` \
                 and deploy again."
            );
        }
        if self.status.ends_with("_IN_PROGRESS") {
            bail!(
                "stack {stack} is busy ({}); wait until it has finished and deploy again",
                self.status
            );
        }
        Ok(())
    }

    fn output(&self, key: &str) -> Result<&str> {
        output(&self.outputs, key)
    }
}

fn output<'a>(outputs: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str> {
    outputs.get(key).map(String::as_str).with_context(|| {
        format!("the stack has no output `{key}`: is it deployed from infra/template.yaml?")
    })
}

/// The stack's state, or `None` when there is no such stack yet.
fn describe_stack(tools: &Tools, stack: &str, region: &str) -> Result<Option<StackState>> {
    let output: Output = tools
        .aws(region)
        .args(["cloudformation", "describe-stacks", "--output", "json"])
        .args(["--stack-name", stack])
        .output()
        .context("could not start the AWS CLI")?;
    if output.status.success() {
        return StackState::from_describe_json(&String::from_utf8_lossy(&output.stdout));
    }
    let error = last_line(&output.stderr);
    if error.contains("does not exist") {
        return Ok(None);
    }
    bail!("`aws cloudformation describe-stacks` failed: {error}")
}

/// `dist/config.json` ([`contract::SpaConfig`]) from the stack outputs.
fn spa_config_json(
    outputs: &BTreeMap<String, String>,
    token_storage: TokenStorage,
) -> Result<String> {
    let config = SpaConfig {
        hosted_ui_url: output(outputs, "HostedUiUrl")?.to_owned(),
        issuer: output(outputs, "Issuer")?.to_owned(),
        client_id: output(outputs, "ClientId")?.to_owned(),
        redirect_uri: output(outputs, "RedirectUri")?.to_owned(),
        sign_out_uri: output(outputs, "SignOutUri")?.to_owned(),
        scopes: output(outputs, "Scopes")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        api_base_url: output(outputs, "ApiBaseUrl")?.to_owned(),
        token_storage,
    };
    let mut json = serde_json::to_string_pretty(&config)?;
    json.push('\n');
    Ok(json)
}

/// The `InlineScriptHashes` to deploy: the new build's, then as many of the stack's current ones
/// (newest first, so the generation before this build) that the new build does not have.
///
/// The CSP changes minutes before the new index.html is uploaded and the cache invalidated; until
/// then visitors still get the old index.html, whose loader must stay allowed. Two generations at
/// most keep the header within CloudFront's limit; a generation is taken to be as many scripts as
/// the new build has (one index.html template makes them all). A redeploy of an unchanged build
/// yields the stack's list unchanged.
fn csp_script_hashes(deployed: Option<&str>, built: &[String]) -> Vec<String> {
    let mut hashes: Vec<String> = Vec::new();
    for hash in built {
        if !hashes.contains(hash) {
            hashes.push(hash.clone());
        }
    }
    let generation = hashes.len();
    let previous: Vec<String> = deployed
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|hash| !hash.is_empty() && !hashes.iter().any(|new| new == hash))
        .take(generation)
        .map(str::to_owned)
        .collect();
    hashes.extend(previous);
    hashes
}

/// One file of `dist/` and how S3 should serve it.
#[derive(Debug, PartialEq, Eq)]
struct Upload {
    /// Path relative to `dist/`, with `/` separators; also the S3 key.
    key: String,
    content_type: &'static str,
    cache_control: &'static str,
}

/// Content-hashed files (Trunk names them `name-<hex hash>…`) never change: cache them for a
/// year. Everything else (index.html, config.json) is revalidated on every load. Hashed files
/// go first and index.html last, so a fresh index.html never points at a file not yet uploaded.
fn upload_plan(dist: &Path) -> Result<Vec<Upload>> {
    let mut keys = Vec::new();
    collect_files(dist, dist, &mut keys)?;
    let mut plan: Vec<Upload> = keys
        .into_iter()
        .map(|key| {
            let cache_control = if is_content_hashed(&key) {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            Upload {
                content_type: content_type(&key),
                cache_control,
                key,
            }
        })
        .collect();
    plan.sort_by_key(|upload| {
        (
            upload.cache_control == "no-cache",
            upload.key == "index.html",
            upload.key.clone(),
        )
    });
    Ok(plan)
}

fn collect_files(root: &Path, dir: &Path, keys: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path: PathBuf = entry?.path();
        // Hidden entries (Trunk's `.stage` while it builds) are not part of the site.
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, keys)?;
        } else {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let key: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            keys.push(key.join("/"));
        }
    }
    Ok(())
}

/// Trunk's hashed names: `<stem>-<8 to 16 hex digits>` before the extension, and for the wasm
/// file `<stem>-<hash>_bg.wasm`.
fn is_content_hashed(key: &str) -> bool {
    let file = key.rsplit('/').next().unwrap_or(key);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(name, hash)| {
        !name.is_empty()
            && (8..=16).contains(&hash.len())
            && hash.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// Explicit types: the CLI's own guess may not know `.wasm`, and browsers compile wasm while
/// it streams only when it is served as `application/wasm`.
fn content_type(key: &str) -> &'static str {
    let extension = key.rsplit_once('.').map_or("", |(_, extension)| extension);
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Invocation> {
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        Invocation::parse(&args, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    fn options(invocation: Invocation) -> Options {
        match invocation {
            Invocation::Deploy(options) => options,
            Invocation::Help => panic!("expected a deploy invocation"),
        }
    }

    #[test]
    fn defaults_come_from_the_environment_then_fixed_values() {
        let plain = options(parse(&[], &[]).unwrap());
        assert_eq!(plain.stack_name, "cognito-spa");
        assert_eq!(plain.region, "us-east-1");
        assert_eq!(plain.token_storage, TokenStorage::Memory);
        // Stack settings not given: the stack keeps what it has (see choose_parameters).
        assert_eq!(plain.domain_prefix, None);
        assert_eq!(plain.local_origin, None);
        assert_eq!(plain.self_sign_up, None);
        assert_eq!(plain.mfa, None);
        assert_eq!(plain.refresh_token_rotation, None);

        let from_env = options(
            parse(
                &[],
                &[
                    ("COGNITO_SPA_STACK", "demo-stack"),
                    ("AWS_DEFAULT_REGION", "eu-west-1"),
                ],
            )
            .unwrap(),
        );
        assert_eq!(from_env.stack_name, "demo-stack");
        assert_eq!(from_env.region, "eu-west-1");

        let region_wins = options(
            parse(
                &[],
                &[
                    ("AWS_REGION", "eu-central-1"),
                    ("AWS_DEFAULT_REGION", "eu-west-1"),
                ],
            )
            .unwrap(),
        );
        assert_eq!(region_wins.region, "eu-central-1");
    }

    #[test]
    fn flags_override_the_environment() {
        let parsed = options(
            parse(
                &[
                    "--stack-name",
                    "other",
                    "--region",
                    "ap-southeast-2",
                    "--local-origin",
                    "http://localhost:8080",
                    "--no-self-sign-up",
                    "--mfa",
                    "optional",
                    "--refresh-token-rotation",
                    "--token-storage",
                    "session",
                    "--domain-prefix",
                    "my-login",
                    "--arch",
                    "x86_64",
                    "--endpoint-url",
                    "http://127.0.0.1:4566",
                ],
                &[
                    ("COGNITO_SPA_STACK", "demo-stack"),
                    ("AWS_REGION", "eu-west-1"),
                ],
            )
            .unwrap(),
        );
        assert_eq!(
            parsed,
            Options {
                stack_name: "other".into(),
                region: "ap-southeast-2".into(),
                domain_prefix: Some("my-login".into()),
                local_origin: Some("http://localhost:8080".into()),
                self_sign_up: Some(false),
                mfa: Some("OPTIONAL".into()),
                refresh_token_rotation: Some(true),
                token_storage: TokenStorage::Session,
                arch: LambdaArch::X86_64,
                endpoint_url: Some("http://127.0.0.1:4566".into()),
            }
        );
        assert_eq!(parse(&["--help"], &[]).unwrap(), Invocation::Help);

        let turned_off =
            options(parse(&["--no-local-origin", "--no-refresh-token-rotation"], &[]).unwrap());
        assert_eq!(turned_off.local_origin, Some(String::new()));
        assert_eq!(turned_off.refresh_token_rotation, Some(false));
        let opened = options(parse(&["--no-self-sign-up", "--self-sign-up"], &[]).unwrap());
        assert_eq!(opened.self_sign_up, Some(true), "the last flag wins");
    }

    fn stack_with_parameters(parameters: &[(&str, &str)]) -> StackState {
        StackState {
            status: "UPDATE_COMPLETE".into(),
            outputs: outputs(),
            parameters: parameters
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_rerun_keeps_the_stack_settings_it_does_not_name() {
        let built = vec!["b".repeat(43) + "="];
        let earlier = stack_with_parameters(&[
            ("HostedUiDomainPrefix", "my-login"),
            ("InlineScriptHashes", &("a".repeat(43) + "=")),
            (
                "ApiOrigin",
                "https://abc123defg.execute-api.us-east-1.amazonaws.com",
            ),
            ("LocalDevOrigin", "http://localhost:8080"),
            ("SelfSignUp", "false"),
            ("MfaConfiguration", "ON"),
            ("RefreshTokenRotation", "ENABLED"),
        ]);
        let default_prefix = || "spa-0123456789".to_owned();

        let plain = options(parse(&[], &[]).unwrap());
        let kept = choose_parameters(&plain, Some(&earlier), default_prefix(), &built);
        assert_eq!(
            kept,
            StackParameters {
                domain_prefix: "my-login".into(),
                script_hashes: vec!["b".repeat(43) + "=", "a".repeat(43) + "="],
                api_origin: Some("https://abc123defg.execute-api.us-east-1.amazonaws.com".into()),
                local_origin: Some("http://localhost:8080".into()),
                self_sign_up: false,
                mfa: "ON".into(),
                refresh_token_rotation: true,
                architecture: LambdaArch::Arm64,
            }
        );

        let changed = options(
            parse(
                &[
                    "--domain-prefix",
                    "other-login",
                    "--no-local-origin",
                    "--self-sign-up",
                    "--mfa",
                    "optional",
                    "--no-refresh-token-rotation",
                ],
                &[],
            )
            .unwrap(),
        );
        let chosen = choose_parameters(&changed, Some(&earlier), default_prefix(), &built);
        assert_eq!(chosen.domain_prefix, "other-login");
        assert_eq!(chosen.local_origin, None);
        assert!(chosen.self_sign_up);
        assert_eq!(chosen.mfa, "OPTIONAL");
        assert!(!chosen.refresh_token_rotation);

        // A new stack: the defaults, and no API origin yet.
        let fresh = choose_parameters(&plain, None, default_prefix(), &built);
        assert_eq!(
            fresh,
            StackParameters {
                domain_prefix: "spa-0123456789".into(),
                script_hashes: built.clone(),
                api_origin: None,
                local_origin: None,
                self_sign_up: true,
                mfa: "OPTIONAL".into(),
                refresh_token_rotation: true,
                architecture: LambdaArch::Arm64,
            }
        );
        // An empty LocalDevOrigin on the stack means none.
        let without_origin = stack_with_parameters(&[("LocalDevOrigin", "")]);
        let chosen = choose_parameters(&plain, Some(&without_origin), default_prefix(), &built);
        assert_eq!(chosen.local_origin, None);
        // A stack deployed before SelfSignUp existed had sign-up closed, and MFA as it was then;
        // one deployed before RefreshTokenRotation existed did not rotate.
        let older = stack_with_parameters(&[("MfaConfiguration", "OFF")]);
        let chosen = choose_parameters(&plain, Some(&older), default_prefix(), &built);
        assert!(!chosen.self_sign_up);
        assert_eq!(chosen.mfa, "OFF");
        assert!(!chosen.refresh_token_rotation);
        // One deployed without rotation keeps it off, unless the command line turns it on.
        let without = stack_with_parameters(&[("RefreshTokenRotation", "DISABLED")]);
        let chosen = choose_parameters(&plain, Some(&without), default_prefix(), &built);
        assert!(!chosen.refresh_token_rotation);
        let turned_on = options(parse(&["--refresh-token-rotation"], &[]).unwrap());
        let chosen = choose_parameters(&turned_on, Some(&without), default_prefix(), &built);
        assert!(chosen.refresh_token_rotation);
    }

    #[test]
    fn bad_flags_are_refused_with_the_reason() {
        let cases: [(&[&str], &str); 8] = [
            (&["--bogus"], "unknown option `--bogus`"),
            (&["--region"], "`--region` needs a value"),
            (&["--stack-name", "1abc"], "starting with a letter"),
            (
                &["--stack-name", "has_underscore"],
                "letters, digits and hyphens",
            ),
            (
                &["--local-origin", "http://example.com"],
                "http://localhost:8080",
            ),
            (
                &["--local-origin", "http://localhost:8080/"],
                "no trailing slash",
            ),
            (&["--mfa", "sms"], "use OFF, OPTIONAL or ON"),
            (&["--token-storage", "local"], "never localStorage"),
        ];
        for (args, expected) in cases {
            let error = parse(args, &[]).unwrap_err().to_string();
            assert!(error.contains(expected), "{args:?}: {error}");
        }
    }

    #[test]
    fn the_lambda_architecture_and_the_endpoint_are_options() {
        let plain = options(parse(&[], &[]).unwrap());
        assert_eq!(plain.arch, LambdaArch::Arm64);
        assert_eq!(plain.endpoint_url, None);
        // The CLIs read AWS_ENDPOINT_URL themselves; deploy does not copy it into its options.
        let from_env = options(parse(&[], &[("AWS_ENDPOINT_URL", "http://x:1")]).unwrap());
        assert_eq!(from_env.endpoint_url, None);
        assert_eq!(
            lambda_build_args(LambdaArch::X86_64)[4],
            "--x86-64",
            "cargo-lambda's flag"
        );
        assert_eq!(lambda_build_args(LambdaArch::Arm64)[4], "--arm64");
        for (args, expected) in [
            (&["--arch", "sparc"][..], "use arm64 or x86_64"),
            (&["--endpoint-url", "127.0.0.1:4566"], "http:// or https://"),
            (&["--endpoint-url", "http://"], "http:// or https://"),
            (&["--endpoint-url", "http://a b"], "http:// or https://"),
        ] {
            let error = parse(args, &[]).unwrap_err().to_string();
            assert!(error.contains(expected), "{args:?}: {error}");
        }
        assert!(check_endpoint_url("https://emulator.example:4566/").is_ok());
    }

    #[test]
    fn the_endpoint_reaches_every_aws_and_sam_command() {
        let endpoint = |command: &Command| {
            command
                .get_envs()
                .find(|(name, _)| *name == "AWS_ENDPOINT_URL")
                .and_then(|(_, value)| value)
                .map(|value| value.to_string_lossy().into_owned())
        };
        let aws = Tools::from_path();
        assert_eq!(endpoint(&aws.aws("us-east-1")), None);
        assert_eq!(endpoint(&aws.sam()), None);
        let emulated =
            Tools::from_path().with_endpoint_url(Some("http://127.0.0.1:4566".to_owned()));
        for command in [emulated.aws("us-east-1"), emulated.sam()] {
            assert_eq!(
                endpoint(&command).as_deref(),
                Some("http://127.0.0.1:4566"),
                "{}",
                cmd::describe(&command)
            );
        }
    }

    #[test]
    fn domain_prefixes_follow_cognito_rules() {
        assert!(check_domain_prefix("spa-123456789012").is_ok());
        for bad in ["", "-spa", "spa-", "Spa", "spa_1", &"a".repeat(64)] {
            assert!(check_domain_prefix(bad).is_err(), "{bad:?} accepted");
        }
        let reserved = check_domain_prefix("my-cognito-login")
            .unwrap_err()
            .to_string();
        assert!(reserved.contains("`cognito`"), "{reserved}");
    }

    #[test]
    fn the_default_domain_prefix_drops_reserved_words_and_hides_the_account() {
        let account = "123456789012";
        let prefix = |stack: &str, region: &str| default_domain_prefix(stack, account, region);
        let suffix = |prefix: &str| prefix.rsplit('-').next().unwrap_or_default().to_owned();

        // `printf '123456789012\nus-east-1\ncognito-spa' | sha256sum`, first 10 hex digits.
        assert_eq!(prefix("cognito-spa", "us-east-1"), "spa-297f909759");
        assert!(prefix("my-aws-demo", "us-east-1").starts_with("my-demo-"));
        assert!(prefix("Cognito", "us-east-1").starts_with("spa-"));
        // Deterministic, and different for another account, region or stack.
        assert_eq!(prefix("demo", "eu-west-1"), prefix("demo", "eu-west-1"));
        let others = [
            default_domain_prefix("demo", "210987654321", "eu-west-1"),
            prefix("demo", "eu-central-1"),
            prefix("demo2", "eu-west-1"),
        ];
        for other in &others {
            assert_ne!(suffix(other), suffix(&prefix("demo", "eu-west-1")));
        }
        let longest_stack = format!("a{}", "b".repeat(39));
        for stack in [
            "cognito-spa",
            "Cognito",
            "amazon-aws-cognito",
            "x",
            &longest_stack,
        ] {
            let prefix = prefix(stack, "us-east-1");
            assert!(!prefix.contains(account), "{prefix}");
            assert_eq!(suffix(&prefix).len(), 10, "{prefix}");
            assert!(
                check_domain_prefix(&prefix).is_ok(),
                "{stack} gave {prefix}"
            );
        }
    }

    fn outputs() -> BTreeMap<String, String> {
        [
            ("SpaUrl", "https://d111111abcdef8.cloudfront.net"),
            (
                "HostedUiUrl",
                "https://spa-297f909759.auth.us-east-1.amazoncognito.com",
            ),
            (
                "Issuer",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
            ),
            ("ClientId", "1example23456789"),
            ("CliClientId", "2example34567890"),
            (
                "RedirectUri",
                "https://d111111abcdef8.cloudfront.net/callback",
            ),
            (
                "SignOutUri",
                "https://d111111abcdef8.cloudfront.net/signed-out",
            ),
            ("Scopes", "openid email profile api/read api/write"),
            (
                "ApiBaseUrl",
                "https://abc123defg.execute-api.us-east-1.amazonaws.com",
            ),
            ("SiteBucketName", "cognito-spa-sitebucket-1a2b3c"),
            ("DistributionId", "E2EXAMPLE"),
            ("UserPoolId", "us-east-1_AbCdEf123"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
    }

    #[test]
    fn config_json_has_the_contract_shape() {
        let json = spa_config_json(&outputs(), TokenStorage::Memory).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "hosted_ui_url": "https://spa-297f909759.auth.us-east-1.amazoncognito.com",
                "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
                "client_id": "1example23456789",
                "redirect_uri": "https://d111111abcdef8.cloudfront.net/callback",
                "sign_out_uri": "https://d111111abcdef8.cloudfront.net/signed-out",
                "scopes": ["openid", "email", "profile", "api/read", "api/write"],
                "api_base_url": "https://abc123defg.execute-api.us-east-1.amazonaws.com",
                "token_storage": "memory"
            })
        );
        // Same field set as the local default the SPA ships with.
        let shipped: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project_root().join("public/config.json")).unwrap(),
        )
        .unwrap();
        let keys = |value: &serde_json::Value| {
            value
                .as_object()
                .map(|object| object.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(keys(&value), keys(&shipped));
    }

    #[test]
    fn the_summary_names_the_cli_client_and_how_to_get_a_user() {
        let open = summary(&outputs(), "us-east-1", true).unwrap();
        assert!(
            open.contains("Deployed: https://d111111abcdef8.cloudfront.net\n"),
            "{open}"
        );
        assert!(
            open.contains(
                "CLI app client: 2example34567890 (signing in from a terminal: docs/cli.md)"
            ),
            "{open}"
        );
        assert!(open.contains("Sign up on the hosted UI"), "{open}");
        assert!(
            open.contains(
                "aws cognito-idp admin-create-user --region us-east-1 --user-pool-id us-east-1_AbCdEf123 --username demo"
            ),
            "{open}"
        );
        let closed = summary(&outputs(), "us-east-1", false).unwrap();
        assert!(closed.contains("(sign-up is closed)"), "{closed}");
        assert!(!closed.contains("Sign up on"), "{closed}");

        let mut older = outputs();
        older.remove("CliClientId");
        let error = summary(&older, "us-east-1", true).unwrap_err().to_string();
        assert!(error.contains("no output `CliClientId`"), "{error}");
    }

    #[test]
    fn config_json_names_a_missing_output() {
        let mut partial = outputs();
        partial.remove("ClientId");
        let error = spa_config_json(&partial, TokenStorage::Memory)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no output `ClientId`"), "{error}");
    }

    #[test]
    fn describe_stacks_answers_are_read() {
        let json = r#"{"Stacks": [{"StackName": "cognito-spa", "StackStatus": "UPDATE_COMPLETE",
            "Parameters": [{"ParameterKey": "MfaConfiguration", "ParameterValue": "ON"},
                           {"ParameterKey": "LocalDevOrigin", "ParameterValue": ""}],
            "Outputs": [{"OutputKey": "ClientId", "OutputValue": "abc", "Description": "x"}]}]}"#;
        let state = StackState::from_describe_json(json).unwrap().unwrap();
        assert_eq!(state.status, "UPDATE_COMPLETE");
        assert_eq!(state.output("ClientId").unwrap(), "abc");
        assert_eq!(state.parameters["MfaConfiguration"], "ON");
        assert_eq!(state.parameters["LocalDevOrigin"], "");
        assert!(state.check_updatable("cognito-spa", "us-east-1").is_ok());

        let creating = r#"{"Stacks": [{"StackStatus": "CREATE_IN_PROGRESS"}]}"#;
        let state = StackState::from_describe_json(creating).unwrap().unwrap();
        assert!(state.outputs.is_empty());
        assert!(state.parameters.is_empty());
        assert!(state.check_updatable("s", "r").is_err());

        let failed = r#"{"Stacks": [{"StackStatus": "ROLLBACK_COMPLETE"}]}"#;
        let error = StackState::from_describe_json(failed)
            .unwrap()
            .unwrap()
            .check_updatable("cognito-spa", "us-east-1")
            .unwrap_err()
            .to_string();
        assert!(error.contains("delete-stack"), "{error}");

        assert_eq!(
            StackState::from_describe_json(r#"{"Stacks": []}"#).unwrap(),
            None
        );
        assert!(StackState::from_describe_json("not json").is_err());
    }

    #[test]
    fn the_csp_keeps_the_previous_generation_of_script_hashes() {
        let hash = |c: char| c.to_string().repeat(43) + "=";
        let (a, b, c, d) = (hash('a'), hash('b'), hash('c'), hash('d'));
        // First deployment: only the new build's.
        assert_eq!(
            csp_script_hashes(None, std::slice::from_ref(&a)),
            [a.as_str()]
        );
        // Next build: new first, then the one visitors may still have.
        assert_eq!(
            csp_script_hashes(Some(a.as_str()), std::slice::from_ref(&b)),
            [b.clone(), a.clone()]
        );
        // And the one after drops the oldest generation.
        let deployed = format!("{b},{a}");
        assert_eq!(
            csp_script_hashes(Some(&deployed), std::slice::from_ref(&c)),
            [c.clone(), b.clone()]
        );
        // An unchanged build redeploys the same list (no change set for the CSP).
        assert_eq!(
            csp_script_hashes(Some(&deployed), std::slice::from_ref(&b)),
            [b.clone(), a.clone()]
        );
        // Generations of two scripts keep two of the old ones; duplicates count once.
        let deployed = format!("{c},{d},{a},{b}");
        assert_eq!(
            csp_script_hashes(Some(&deployed), &[a.clone(), b.clone(), b.clone()]),
            [a, b, c, d]
        );
    }

    #[test]
    fn every_parameter_is_passed_even_when_empty() {
        let parameters = StackParameters {
            domain_prefix: "spa-123456789012".into(),
            script_hashes: vec!["a".repeat(43) + "=", "b".repeat(43) + "="],
            api_origin: None,
            local_origin: Some("http://localhost:8080".into()),
            self_sign_up: false,
            mfa: "OFF".into(),
            refresh_token_rotation: true,
            architecture: LambdaArch::Arm64,
        };
        assert_eq!(
            parameters.overrides(),
            [
                "HostedUiDomainPrefix=spa-123456789012".to_owned(),
                format!("InlineScriptHashes={}=,{}=", "a".repeat(43), "b".repeat(43)),
                "ApiOrigin=".to_owned(),
                "LocalDevOrigin=http://localhost:8080".to_owned(),
                "SelfSignUp=false".to_owned(),
                "MfaConfiguration=OFF".to_owned(),
                "RefreshTokenRotation=ENABLED".to_owned(),
                "LambdaArchitecture=arm64".to_owned(),
            ]
        );
    }

    /// The template's `Parameters:` section, line by line.
    fn template_parameter_lines() -> Vec<String> {
        let template = std::fs::read_to_string(project_root().join(TEMPLATE)).unwrap();
        let section = template
            .split("\nParameters:\n")
            .nth(1)
            .and_then(|rest| rest.split("\nConditions:\n").next())
            .unwrap();
        section.lines().map(str::to_owned).collect()
    }

    /// A parameter's `Default:` in the template, unquoted.
    fn template_default(parameter: &str) -> Option<String> {
        let lines = template_parameter_lines();
        let start = lines
            .iter()
            .position(|line| *line == format!("  {parameter}:"))?;
        lines[start + 1..]
            .iter()
            .take_while(|line| line.starts_with("    "))
            .find_map(|line| line.trim().strip_prefix("Default:"))
            .map(|value| value.trim().trim_matches('"').to_owned())
    }

    #[test]
    fn a_new_stack_gets_the_templates_defaults() {
        assert_eq!(
            template_default("MfaConfiguration").as_deref(),
            Some(DEFAULT_MFA)
        );
        assert_eq!(
            template_default("SelfSignUp"),
            Some(DEFAULT_SELF_SIGN_UP.to_string())
        );
        assert_eq!(
            template_default("RefreshTokenRotation").as_deref(),
            Some(if DEFAULT_REFRESH_TOKEN_ROTATION {
                "ENABLED"
            } else {
                "DISABLED"
            })
        );
    }

    #[test]
    fn the_template_declares_exactly_the_parameters_deploy_passes() {
        let lines = template_parameter_lines();
        let declared: Vec<&str> = lines
            .iter()
            .filter_map(|line| line.strip_prefix("  ")?.strip_suffix(':'))
            .filter(|name| !name.starts_with(' '))
            .collect();
        let parameters = StackParameters {
            domain_prefix: String::new(),
            script_hashes: Vec::new(),
            api_origin: None,
            local_origin: None,
            self_sign_up: false,
            mfa: String::new(),
            refresh_token_rotation: false,
            architecture: LambdaArch::Arm64,
        };
        let passed: Vec<String> = parameters
            .overrides()
            .iter()
            .filter_map(|pair| pair.split_once('=').map(|(key, _)| key.to_owned()))
            .collect();
        assert_eq!(declared, passed);
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
    fn the_api_access_log_shows_authorizer_refusals_and_no_credentials() {
        let template = std::fs::read_to_string(project_root().join(TEMPLATE)).unwrap();
        // The folded `Format: >-` block under the API's AccessLogSettings, as one line.
        let format: Vec<&str> = template
            .split("AccessLogSettings:")
            .nth(1)
            .and_then(|rest| rest.split("Format: >-\n").nth(1))
            .unwrap()
            .lines()
            .take_while(|line| line.starts_with("          "))
            .map(str::trim)
            .collect();
        let format: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&format.join(" ")).unwrap();
        let variables: Vec<&str> = format.values().filter_map(|value| value.as_str()).collect();
        for wanted in [
            "$context.requestId",
            "$context.routeKey",
            "$context.status",
            "$context.authorizer.error",
            "$context.integrationErrorMessage",
        ] {
            assert!(
                variables.contains(&wanted),
                "{wanted} missing: {variables:?}"
            );
        }
        for variable in variables {
            let lower = variable.to_ascii_lowercase();
            assert!(
                !["header", "querystring", "authorization"]
                    .iter()
                    .any(|secret| lower.contains(secret)),
                "{variable} may log credentials or query strings"
            );
        }
    }

    #[test]
    fn the_lambda_is_built_with_the_servers_profile() {
        let args = lambda_build_args(LambdaArch::Arm64);
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

    #[test]
    fn uploads_are_typed_cached_by_name_and_ordered_shell_last() {
        let dist = std::env::temp_dir().join(format!("xtask-deploy-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        for file in [
            "index.html",
            "config.json",
            "cognito-spa-9f8e7d6c5b4a3210_bg.wasm",
            "cognito-spa-9f8e7d6c5b4a3210.js",
            "main-a1b2c3d4e5f60718.css",
            "assets/logo.svg",
        ] {
            std::fs::write(dist.join(file), "x").unwrap();
        }
        std::fs::create_dir_all(dist.join(".stage")).unwrap();
        std::fs::write(dist.join(".stage/index.html"), "half-built").unwrap();
        let plan = upload_plan(&dist).unwrap();
        std::fs::remove_dir_all(&dist).unwrap();

        let summary: Vec<(&str, &str, &str)> = plan
            .iter()
            .map(|upload| {
                (
                    upload.key.as_str(),
                    upload.content_type,
                    upload.cache_control,
                )
            })
            .collect();
        let immutable = "public, max-age=31536000, immutable";
        assert_eq!(
            summary,
            [
                (
                    "cognito-spa-9f8e7d6c5b4a3210.js",
                    "text/javascript; charset=utf-8",
                    immutable
                ),
                (
                    "cognito-spa-9f8e7d6c5b4a3210_bg.wasm",
                    "application/wasm",
                    immutable
                ),
                (
                    "main-a1b2c3d4e5f60718.css",
                    "text/css; charset=utf-8",
                    immutable
                ),
                ("assets/logo.svg", "image/svg+xml", "no-cache"),
                ("config.json", "application/json", "no-cache"),
                ("index.html", "text/html; charset=utf-8", "no-cache"),
            ]
        );
    }

    #[test]
    fn only_trunk_style_hashes_count_as_content_hashed() {
        assert!(is_content_hashed("main-a1b2c3d4e5f60718.css"));
        assert!(is_content_hashed("app-deadbeef_bg.wasm"));
        assert!(!is_content_hashed("index.html"));
        assert!(!is_content_hashed("cognito-spa.js"));
        assert!(!is_content_hashed("my-file.txt"));
        assert!(!is_content_hashed("-a1b2c3d4.css"));
    }

    #[test]
    fn the_caller_identity_is_read() {
        let identity = parse_caller_identity(
            r#"{"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/dev"}"#,
        )
        .unwrap();
        assert_eq!(identity.account, "123456789012");
        assert_eq!(identity.arn, "arn:aws:iam::123456789012:user/dev");
        assert!(parse_caller_identity("{}").is_err());
    }

    /// Fake tools: shell scripts in a fresh directory that record each call in `calls.log`.
    #[cfg(unix)]
    mod fakes {
        use super::*;
        use std::os::unix::fs::PermissionsExt;

        pub struct FakeTools {
            pub dir: PathBuf,
        }

        impl FakeTools {
            pub fn new(test: &str) -> Self {
                let dir = std::env::temp_dir()
                    .join(format!("xtask-deploy-{test}-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                Self { dir }
            }

            /// A tool that logs its arguments, prints `stdout` and `stderr`, and exits `code`.
            pub fn script(&self, name: &str, stdout: &str, stderr: &str, code: i32) -> OsString {
                let path = self.dir.join(name);
                let log = self.dir.join("calls.log");
                std::fs::write(
                    &path,
                    format!(
                        "#!/bin/sh\necho \"{name} $*\" >> '{}'\nprintf '%s' '{stdout}'\nprintf '%s\\n' '{stderr}' >&2\nexit {code}\n",
                        log.display()
                    ),
                )
                .unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
                path.into_os_string()
            }

            pub fn calls(&self) -> Vec<String> {
                std::fs::read_to_string(self.dir.join("calls.log"))
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_owned)
                    .collect()
            }

            /// sam, cargo and trunk that work (and log that they were asked).
            pub fn tools_with_aws(&self, aws: OsString) -> Tools {
                Tools {
                    aws,
                    sam: self.script("sam", "SAM CLI, version 1.170.0", "", 0),
                    cargo: self.script("cargo", "cargo-lambda 1.9.2", "", 0),
                    trunk: self.script("trunk", "trunk 0.21.14", "", 0),
                    endpoint_url: None,
                }
            }
        }

        impl Drop for FakeTools {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }

    #[cfg(unix)]
    fn deploy_options() -> Options {
        options(parse(&[], &[]).unwrap())
    }

    #[cfg(unix)]
    #[test]
    fn without_credentials_deploy_stops_before_anything_else_runs() {
        let fakes = fakes::FakeTools::new("no-credentials");
        let aws = fakes.script(
            "aws",
            "",
            "Unable to locate credentials. You can configure credentials by running \"aws configure\".",
            253,
        );
        let tools = fakes.tools_with_aws(aws);

        let error = deploy(&deploy_options(), &tools).unwrap_err().to_string();

        assert!(error.contains("no usable AWS credentials"), "{error}");
        assert!(error.contains("Unable to locate credentials"), "{error}");
        assert!(error.contains(NOTHING_CHANGED), "{error}");
        // Only the credentials check ran: no build, no package, no deploy, no upload.
        let calls = fakes.calls();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert!(
            calls[0].starts_with("aws --region us-east-1 sts get-caller-identity"),
            "{calls:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn without_the_aws_cli_deploy_stops_at_once() {
        let fakes = fakes::FakeTools::new("no-aws-cli");
        let tools = fakes.tools_with_aws(fakes.dir.join("no-such-aws").into_os_string());

        let error = deploy(&deploy_options(), &tools).unwrap_err().to_string();

        assert!(
            error.contains("AWS CLI (`aws`) is not installed"),
            "{error}"
        );
        assert!(error.contains(NOTHING_CHANGED), "{error}");
        assert!(fakes.calls().is_empty(), "{:?}", fakes.calls());
    }

    #[cfg(unix)]
    #[test]
    fn with_credentials_but_no_sam_cli_deploy_still_changes_nothing() {
        let fakes = fakes::FakeTools::new("no-sam");
        let aws = fakes.script(
            "aws",
            r#"{"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/dev"}"#,
            "",
            0,
        );
        let mut tools = fakes.tools_with_aws(aws);
        tools.sam = fakes.dir.join("no-such-sam").into_os_string();

        let error = deploy(&deploy_options(), &tools).unwrap_err().to_string();

        assert!(error.contains("AWS SAM CLI"), "{error}");
        assert!(error.contains(NOTHING_CHANGED), "{error}");
        let calls = fakes.calls();
        assert_eq!(calls.len(), 1, "only the identity check: {calls:?}");
        assert!(calls[0].contains("sts get-caller-identity"), "{calls:?}");
    }
}
