//! The CloudFormation stack: its state as `describe-stacks` reports it, and the template's
//! packaging (`sam package`) and deployment (`aws cloudformation deploy`).

use super::aws::{Tools, last_line};
use super::parameters::StackParameters;
use super::{PACKAGED_TEMPLATE, TEMPLATE};
use crate::cmd::{self, project_root};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;

/// A stack as `describe-stacks` reports it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct StackState {
    pub(super) status: String,
    pub(super) outputs: BTreeMap<String, String>,
    /// The values the stack was last deployed with.
    pub(super) parameters: BTreeMap<String, String>,
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
    pub(super) fn check_updatable(&self, stack: &str, region: &str) -> Result<()> {
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

    pub(super) fn output(&self, key: &str) -> Result<&str> {
        output(&self.outputs, key)
    }
}

/// One of the stack's outputs, or an error naming it.
pub(super) fn output<'a>(outputs: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str> {
    outputs.get(key).map(String::as_str).with_context(|| {
        format!("the stack has no output `{key}`: is it deployed from infra/template.yaml?")
    })
}

/// The stack's state, or `None` when there is no such stack yet.
pub(super) fn describe(tools: &Tools, stack: &str, region: &str) -> Result<Option<StackState>> {
    let output = tools
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

/// `sam package`: uploads the Lambda zip and writes the template that names it in S3.
pub(super) fn package(tools: &Tools, stack: &str, region: &str) -> Result<()> {
    println!("==> packaging (sam package uploads the Lambda zip)");
    std::fs::create_dir_all(project_root().join("target/infra"))?;
    cmd::run(
        tools
            .sam()
            .args(["package", "--template-file", TEMPLATE])
            .args(["--output-template-file", PACKAGED_TEMPLATE])
            .args(["--resolve-s3", "--s3-prefix", stack, "--region", region]),
    )
}

/// `aws cloudformation deploy` of the packaged template; returns the stack as it then is.
pub(super) fn deploy(
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
    describe(tools, stack, region)?
        .with_context(|| format!("stack {stack} is not there after its deployment"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
