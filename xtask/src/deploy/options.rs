//! The command line of `cargo xtask deploy`: flags, their fallbacks in the environment, and the
//! checks that refuse a bad value before anything is built.

use super::lambda::LambdaArch;
use anyhow::{Context, Result, bail};
use contract::TokenStorage;

pub(super) const USAGE: &str = "\
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

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Invocation {
    Help,
    Deploy(Options),
}

/// The stack settings (`domain_prefix` to `refresh_token_rotation`) are `None` when the command
/// line does not name them: the stack then keeps its current value (see
/// [`super::parameters::choose_parameters`]).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Options {
    pub(super) stack_name: String,
    pub(super) region: String,
    pub(super) domain_prefix: Option<String>,
    /// `Some("")`: `--no-local-origin`.
    pub(super) local_origin: Option<String>,
    pub(super) self_sign_up: Option<bool>,
    pub(super) mfa: Option<String>,
    pub(super) refresh_token_rotation: Option<bool>,
    pub(super) token_storage: TokenStorage,
    /// The Lambda's architecture, `arm64` or `x86_64` (see [`LambdaArch`]).
    pub(super) arch: LambdaArch,
    /// Where the AWS calls go instead of AWS (an emulator); `None`: AWS.
    pub(super) endpoint_url: Option<String>,
}

impl Invocation {
    /// Reads the flags, falling back to the environment (looked up through `env`) and defaults.
    pub(super) fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Self> {
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
pub(super) const RESERVED_IN_DOMAIN_PREFIX: [&str; 3] = ["aws", "amazon", "cognito"];

/// Cognito's rule for a hosted-UI domain prefix (the template's `AllowedPattern` plus the
/// reserved words), checked here so a bad prefix fails before the build rather than mid-deploy.
pub(super) fn check_domain_prefix(prefix: &str) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::test_support::{options, parse};

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
}
