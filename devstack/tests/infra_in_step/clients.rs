//! The app clients: the SPA's (managed login, code grant) and the command line's (password
//! sign-in through the identity-provider API).

use devstack::Config;
use devstack::config::AppClientConfig;
use serde_norway::Value;

use crate::template::{
    Differences, entries, intrinsic, local_clients, optional_entries, parameters, resolve, sorted,
    split_spa_urls, template, template_client, text, url_paths,
};

/// A client's access, ID and refresh token lifetimes in minutes, as the template gives them.
fn lifetimes(client: &Value) -> [Option<u64>; 3] {
    let minutes = |property: &str, unit_key: &str| -> Option<u64> {
        let amount = client[property].as_u64()?;
        let factor = match client["TokenValidityUnits"][unit_key].as_str()? {
            "seconds" => return Some(amount / 60),
            "minutes" => 1,
            "hours" => 60,
            "days" => 1440,
            _ => return None,
        };
        Some(amount * factor)
    };
    [
        minutes("AccessTokenValidity", "AccessToken"),
        minutes("IdTokenValidity", "IdToken"),
        minutes("RefreshTokenValidity", "RefreshToken"),
    ]
}

fn local_lifetimes(client: &AppClientConfig) -> [Option<u64>; 3] {
    [
        client.access_token_validity_minutes,
        client.id_token_validity_minutes,
        client.refresh_token_validity_minutes,
    ]
    .map(|minutes| Some(u64::from(minutes)))
}

/// Whether the client rotates refresh tokens with the template's default parameters.
fn rotates_by_default(
    template: &Value,
    client: &Value,
    differences: &mut Differences,
) -> Option<bool> {
    let defaults = parameters(template, &[]);
    match resolve(
        template,
        &client["RefreshTokenRotation"]["Feature"],
        &defaults,
    ) {
        // Absent: Cognito's default, no rotation.
        Ok(None) => Some(false),
        Ok(Some(feature)) => feature.as_str().map(|feature| feature == "ENABLED"),
        Err(problem) => {
            differences.note(problem);
            None
        }
    }
}

/// With the template's default parameters, the seconds a rotated refresh token keeps working
/// (`RetryGracePeriodSeconds`), or `None` when the client does not rotate.
fn grace_by_default(
    template: &Value,
    client: &Value,
    differences: &mut Differences,
) -> Option<u64> {
    if rotates_by_default(template, client, differences) != Some(true) {
        return None;
    }
    let defaults = parameters(template, &[]);
    let grace = &client["RefreshTokenRotation"]["RetryGracePeriodSeconds"];
    match resolve(template, grace, &defaults) {
        Ok(Some(seconds)) => {
            let seconds = seconds.as_u64();
            if seconds.is_none() {
                differences.note(format!(
                    "RetryGracePeriodSeconds is not a number of seconds: {grace:?}"
                ));
            }
            seconds
        }
        // AWS documents no default for a rotating client without one.
        Ok(None) => {
            differences.note(
                "RetryGracePeriodSeconds: the client rotates but names no grace period (AWS \
                 documents no default)"
                    .into(),
            );
            None
        }
        Err(problem) => {
            differences.note(problem);
            None
        }
    }
}

/// devstack's grace period, `None` when the client does not rotate.
fn local_grace(client: &AppClientConfig) -> Option<u64> {
    client
        .refresh_token_rotation
        .then_some(u64::from(client.refresh_token_retry_grace_seconds))
}

#[test]
fn the_spa_client_matches() {
    let template = template();
    let client = template_client(&template, "SpaClient");
    let config = Config::embedded_default();
    let (local, _) = local_clients(&config);
    let mut differences = Differences::default();
    let mut unreadable = Vec::new();

    // Callback and sign-out URLs: same paths on each side's SPA origin.
    let callback_paths = split_spa_urls(
        &entries(&client["CallbackURLs"], &mut unreadable),
        &mut differences,
        "CallbackURLs",
    );
    differences.compare(
        "callback URL paths",
        &callback_paths,
        &url_paths(&local.callback_urls),
    );
    let sign_out_paths = split_spa_urls(
        &entries(&client["LogoutURLs"], &mut unreadable),
        &mut differences,
        "LogoutURLs",
    );
    differences.compare(
        "sign-out URL paths",
        &sign_out_paths,
        &url_paths(&local.logout_urls),
    );
    // The outputs that become config.json's redirect_uri and sign_out_uri.
    for (output, paths) in [
        ("RedirectUri", &callback_paths),
        ("SignOutUri", &sign_out_paths),
    ] {
        let value = text(&template["Outputs"][output]["Value"]).unwrap_or_default();
        let path = split_spa_urls(&[value], &mut differences, output);
        differences.agree(
            &format!("the template's output {output} path and its client's URL paths"),
            &path,
            paths,
        );
    }

    // Scopes, as allowed to the client and as the SPA asks for them (output Scopes).
    let allowed = sorted(entries(&client["AllowedOAuthScopes"], &mut unreadable));
    differences.compare(
        "AllowedOAuthScopes",
        allowed.clone(),
        sorted(local.allowed_scopes.iter().cloned()),
    );
    let requested = text(&template["Outputs"]["Scopes"]["Value"]).unwrap_or_default();
    differences.agree(
        "the template's output Scopes and AllowedOAuthScopes",
        sorted(requested.split_whitespace()),
        allowed,
    );

    differences.agree(
        "the template's output ClientId and its SPA client",
        text(&template["Outputs"]["ClientId"]["Value"]).as_deref(),
        Some("${SpaClient}"),
    );
    differences.compare(
        "token lifetimes (access, ID, refresh; minutes)",
        lifetimes(client),
        local_lifetimes(local),
    );
    // Rotation: the template's default (a parameter) against devstack's.
    let rotates = rotates_by_default(&template, client, &mut differences);
    differences.compare(
        "refresh-token rotation by default",
        rotates,
        Some(local.refresh_token_rotation),
    );
    let grace = grace_by_default(&template, client, &mut differences);
    differences.compare(
        "the rotated refresh token's grace period by default (seconds)",
        grace,
        local_grace(local),
    );

    // Flows of the identity-provider API. The template switches them with rotation (Cognito
    // refuses REFRESH_TOKEN_AUTH then): compare the branch devstack's rotation setting selects.
    let flows = &client["ExplicitAuthFlows"];
    let deployed_flows = match intrinsic(flows) {
        Some((name, Value::Sequence(branches))) if name == "If" && branches.len() == 3 => {
            if branches[0].as_str() != Some("RotationEnabled") {
                differences.note(format!(
                    "ExplicitAuthFlows: expected a switch on RotationEnabled, found {:?}",
                    branches[0]
                ));
            }
            // Either way, the public client id must not allow signing in by API: the SPA
            // signs in through managed login only.
            for branch in &branches[1..] {
                for flow in entries(branch, &mut unreadable) {
                    if flow != "ALLOW_REFRESH_TOKEN_AUTH" {
                        differences.note(format!(
                            "ExplicitAuthFlows: {flow} lets anyone with the public client id sign in by API"
                        ));
                    }
                }
            }
            let branch = if local.refresh_token_rotation {
                &branches[1]
            } else {
                &branches[2]
            };
            entries(branch, &mut unreadable)
        }
        _ => entries(flows, &mut unreadable),
    };
    // Compared as they are. devstack's SPA client, like the deployed one, allows no sign-in by
    // API: signing in by password is the command line's client's job.
    differences.compare(
        "ExplicitAuthFlows",
        sorted(deployed_flows),
        sorted(local.explicit_auth_flows.iter().cloned()),
    );

    // devstack's clients are public and code-only; so must the deployed one be.
    differences.compare(
        "GenerateSecret",
        client["GenerateSecret"].as_bool(),
        Some(false),
    );
    differences.compare(
        "AllowedOAuthFlows",
        entries(&client["AllowedOAuthFlows"], &mut unreadable),
        vec!["code".to_owned()],
    );
    differences.unreadable(unreadable);
    differences.assert_none("SPA client");
}

#[test]
fn the_cli_client_matches() {
    let template = template();
    let client = template_client(&template, "CliClient");
    let config = Config::embedded_default();
    let (_, local) = local_clients(&config);
    let mut differences = Differences::default();
    let mut unreadable = Vec::new();

    // Password sign-in through the identity-provider API (user and admin) and refreshes.
    differences.compare(
        "the CLI client's ExplicitAuthFlows",
        sorted(entries(&client["ExplicitAuthFlows"], &mut unreadable)),
        sorted(local.explicit_auth_flows.iter().cloned()),
    );
    // No hosted UI: no OAuth flows, scopes, callback or sign-out URLs.
    differences.compare(
        "the CLI client signs in through the hosted UI (AllowedOAuthFlowsUserPoolClient)",
        client["AllowedOAuthFlowsUserPoolClient"].as_bool(),
        Some(!local.callback_urls.is_empty()),
    );
    for (property, local_values) in [
        ("AllowedOAuthScopes", &local.allowed_scopes),
        ("CallbackURLs", &local.callback_urls),
        ("LogoutURLs", &local.logout_urls),
    ] {
        differences.compare(
            &format!("the CLI client's {property}"),
            &optional_entries(&client[property], &mut unreadable),
            local_values,
        );
    }
    // devstack has no OAuth flow without a callback URL.
    differences.compare(
        "the CLI client's AllowedOAuthFlows",
        optional_entries(&client["AllowedOAuthFlows"], &mut unreadable),
        Vec::new(),
    );
    differences.compare(
        "the CLI client's GenerateSecret",
        client["GenerateSecret"].as_bool(),
        Some(false),
    );
    differences.compare(
        "the CLI client's token lifetimes (access, ID, refresh; minutes)",
        lifetimes(client),
        local_lifetimes(local),
    );
    let rotates = rotates_by_default(&template, client, &mut differences);
    differences.compare(
        "the CLI client's refresh-token rotation",
        rotates,
        Some(local.refresh_token_rotation),
    );
    let grace = grace_by_default(&template, client, &mut differences);
    differences.compare(
        "the CLI client's grace period for rotated refresh tokens (seconds)",
        grace,
        local_grace(local),
    );
    differences.agree(
        "the template's output CliClientId and its CLI client",
        text(&template["Outputs"]["CliClientId"]["Value"]).as_deref(),
        Some("${CliClient}"),
    );
    differences.unreadable(unreadable);
    differences.assert_none("CLI client");
}

#[test]
fn both_clients_share_token_and_session_settings() {
    let template = template();
    let spa = template_client(&template, "SpaClient");
    let cli = template_client(&template, "CliClient");
    let mut differences = Differences::default();
    // The same tokens whichever way a user signs in.
    for property in [
        "AccessTokenValidity",
        "IdTokenValidity",
        "RefreshTokenValidity",
        "TokenValidityUnits",
        "EnableTokenRevocation",
        "PreventUserExistenceErrors",
        "AuthSessionValidity",
        "WriteAttributes",
    ] {
        differences.agree(
            &format!("{property} of SpaClient and CliClient"),
            &spa[property],
            &cli[property],
        );
    }
    // devstack revokes refresh tokens (/oauth2/revoke, GlobalSignOut) and answers an unknown
    // user as a wrong password; its challenge sessions live CHALLENGE_LIFETIME_SECS.
    differences.compare(
        "EnableTokenRevocation",
        spa["EnableTokenRevocation"].as_bool(),
        Some(true),
    );
    differences.compare(
        "PreventUserExistenceErrors",
        spa["PreventUserExistenceErrors"].as_str(),
        Some("ENABLED"),
    );
    differences.compare(
        "AuthSessionValidity (minutes to answer a challenge)",
        spa["AuthSessionValidity"].as_u64(),
        Some(devstack::CHALLENGE_LIFETIME_SECS / 60),
    );
    differences.assert_none("app clients");
}
