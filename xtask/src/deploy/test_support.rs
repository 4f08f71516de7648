//! Fixtures the deploy modules' tests share: a command line read with a given environment, and
//! the outputs of a deployed stack.

use super::options::{Invocation, Options};
use anyhow::Result;
use std::collections::BTreeMap;

/// [`Invocation::parse`] of `args`, with `env` as the whole environment.
pub fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Invocation> {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    Invocation::parse(&args, |name| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

/// The options of a deploy invocation.
pub fn options(invocation: Invocation) -> Options {
    match invocation {
        Invocation::Deploy(options) => options,
        Invocation::Help => panic!("expected a deploy invocation"),
    }
}

/// A deployed stack's outputs, as infra/template.yaml names them.
pub fn sample_outputs() -> BTreeMap<String, String> {
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
