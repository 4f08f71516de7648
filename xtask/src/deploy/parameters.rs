//! The template's parameters for a run: what the command line names, else what the stack has
//! now, else the defaults of a new stack; and the two that deploy derives itself (the hosted-UI
//! prefix of a new stack, the CSP's inline-script hashes).

use super::lambda::LambdaArch;
use super::options::{Options, RESERVED_IN_DOMAIN_PREFIX};
use super::stack::StackState;
use sha2::{Digest, Sha256};

/// A new stack's settings, the template's parameter defaults (a test compares them).
const DEFAULT_SELF_SIGN_UP: bool = true;
const DEFAULT_MFA: &str = "OPTIONAL";
const DEFAULT_REFRESH_TOKEN_ROTATION: bool = true;

/// The template's parameters, as `cargo xtask deploy` fills them.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct StackParameters {
    pub(super) domain_prefix: String,
    pub(super) script_hashes: Vec<String>,
    pub(super) api_origin: Option<String>,
    pub(super) local_origin: Option<String>,
    pub(super) self_sign_up: bool,
    pub(super) mfa: String,
    pub(super) refresh_token_rotation: bool,
    /// Follows the build (`--arch`), never kept from the stack.
    pub(super) architecture: LambdaArch,
}

impl StackParameters {
    /// `Key=Value` arguments for `aws cloudformation deploy --parameter-overrides`. Every
    /// parameter is given, even when empty: an omitted one would keep its previous value.
    pub(super) fn overrides(&self) -> Vec<String> {
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
pub(super) fn choose_parameters(
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

/// The default prefix: the stack name without Cognito's reserved words, plus a short hash of
/// account, region and stack, which makes it unique in practice (prefixes are global per region)
/// without showing every visitor the account id.
pub(super) fn default_domain_prefix(stack_name: &str, account: &str, region: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::project_root;
    use crate::deploy::TEMPLATE;
    use crate::deploy::options::check_domain_prefix;
    use crate::deploy::test_support::{options, parse, sample_outputs};

    fn stack_with_parameters(parameters: &[(&str, &str)]) -> StackState {
        StackState {
            status: "UPDATE_COMPLETE".into(),
            outputs: sample_outputs(),
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
}
