//! `cargo xtask deploy`: the whole stack on AWS in one command (infra/README.md).
//!
//! [`deploy`] is the sequence a user sees, one step per module:
//!
//! 1. [`options`]: the command line, checked before anything runs.
//! 2. [`aws`]: the tools and the AWS credentials; a missing one stops the run before anything
//!    is built or changed.
//! 3. [`lambda`] and [`site`]: the Lambda (cargo-lambda) and the SPA (Trunk) are built.
//! 4. [`stack`] with [`parameters`]: `sam package` uploads the Lambda zip, and `aws
//!    cloudformation deploy` applies `infra/template.yaml` with the parameters chosen for this
//!    run (named now, else kept from the stack, else the defaults).
//! 5. [`site`]: `dist/config.json` is written from the stack outputs, `dist/` is uploaded to the
//!    bucket and CloudFront's cache invalidated.

mod aws;
mod lambda;
mod options;
mod parameters;
mod site;
mod stack;
#[cfg(test)]
mod test_support;

use anyhow::Result;
use aws::Tools;
use options::{Invocation, Options, USAGE};
use stack::output;
use std::collections::BTreeMap;

/// Said after every refusal that happens before anything was built or changed.
const NOTHING_CHANGED: &str = "Nothing was built, deployed or uploaded.";

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

fn deploy(options: &Options, tools: &Tools) -> Result<()> {
    let region = options.region.as_str();
    let stack_name = options.stack_name.as_str();
    let identity = aws::preflight(tools, region)?;
    println!(
        "==> deploying stack {stack_name} to {region} in account {} as {}",
        identity.account, identity.arn
    );
    let existing = stack::describe(tools, stack_name, region)?;
    if let Some(existing) = &existing {
        existing.check_updatable(stack_name, region)?;
    }

    lambda::build(tools, options.arch)?;
    let built = site::build()?;

    stack::package(tools, stack_name, region)?;
    let mut parameters = parameters::choose_parameters(
        options,
        existing.as_ref(),
        parameters::default_domain_prefix(stack_name, &identity.account, region),
        &built.script_hashes,
    );
    options::check_domain_prefix(&parameters.domain_prefix)?;
    println!(
        "==> stack parameters (given now, else kept from the stack, else defaults):\n  {}",
        parameters.overrides().join("\n  ")
    );
    let mut deployed = stack::deploy(tools, stack_name, region, &parameters)?;
    // The CSP can name the API only once the API exists (see the template's ApiOrigin): on the
    // first deployment, or if the API was replaced, deploy once more with its origin.
    let api_base_url = deployed.output("ApiBaseUrl")?.to_owned();
    if parameters.api_origin.as_deref() != Some(api_base_url.as_str()) {
        println!("==> narrowing the CSP's connect-src to {api_base_url}");
        parameters.api_origin = Some(api_base_url);
        deployed = stack::deploy(tools, stack_name, region, &parameters)?;
    }
    let outputs = deployed.outputs;

    site::write_config(&built.dist, &outputs, options.token_storage)?;
    site::upload(
        tools,
        region,
        &built.dist,
        output(&outputs, "SiteBucketName")?,
    )?;
    site::invalidate(tools, region, output(&outputs, "DistributionId")?)?;

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

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::{options, parse, sample_outputs};

    #[test]
    fn the_summary_names_the_cli_client_and_how_to_get_a_user() {
        let open = summary(&sample_outputs(), "us-east-1", true).unwrap();
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
        let closed = summary(&sample_outputs(), "us-east-1", false).unwrap();
        assert!(closed.contains("(sign-up is closed)"), "{closed}");
        assert!(!closed.contains("Sign up on"), "{closed}");

        let mut older = sample_outputs();
        older.remove("CliClientId");
        let error = summary(&older, "us-east-1", true).unwrap_err().to_string();
        assert!(error.contains("no output `CliClientId`"), "{error}");
    }

    /// Fake tools: shell scripts in a fresh directory that record each call in `calls.log`.
    #[cfg(unix)]
    mod fakes {
        use super::*;
        use std::ffi::OsString;
        use std::os::unix::fs::PermissionsExt;
        use std::path::PathBuf;

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
