//! Keeps `infra/template.yaml` (what AWS runs) and devstack's embedded default configuration
//! (what runs locally) in step: routes and their authorizers and scopes, CORS, the callback and
//! sign-out URL shapes, token lifetimes, refresh-token rotation, scopes, auth flows, the resource
//! server, groups and the Content-Security-Policy. Change one side without the other and the test fails
//! listing every difference.
//!
//! The template is read as YAML with its CloudFormation tags (`!Sub`, `!Ref`, `!If`, ...) kept as
//! tagged values; placeholders like `${Distribution.DomainName}` stay as text.

use std::collections::{BTreeMap, BTreeSet};

use devstack::Config;
use devstack::gateway::AuthorizerKind;
use serde_norway::Value;
use url::Url;

/// The template's two SPA origins: the CloudFront distribution and the optional local one.
const TEMPLATE_SPA_ORIGINS: [&str; 2] = ["https://${Distribution.DomainName}", "${LocalDevOrigin}"];

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let text = std::fs::read_to_string(path).expect("infra/template.yaml is readable");
    serde_norway::from_str(&text).expect("infra/template.yaml is valid YAML")
}

/// Differences found so far, each naming what differs and both values.
#[derive(Default)]
struct Differences(Vec<String>);

impl Differences {
    fn compare<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, template: T, devstack: T) {
        if template != devstack {
            self.0.push(format!(
                "{what}: infra/template.yaml has {template:?}, devstack has {devstack:?}"
            ));
        }
    }

    /// Two parts of one side that must agree with each other.
    fn agree<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, one: T, other: T) {
        if one != other {
            self.0
                .push(format!("{what} disagree: {one:?} vs. {other:?}"));
        }
    }

    fn note(&mut self, difference: String) {
        self.0.push(difference);
    }

    fn assert_none(self, topic: &str) {
        assert!(
            self.0.is_empty(),
            "{topic}: infra/template.yaml and devstack's default configuration (devstack/devstack.toml, \
             devstack::gateway::config) differ; change both together:\n  - {}",
            self.0.join("\n  - ")
        );
    }
}

/// A CloudFormation intrinsic function: `!Name arg`, `{"Fn::Name": arg}` or `{"Ref": arg}`.
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let (key, argument) = mapping.iter().next()?;
            let key = key.as_str()?;
            let name = key.strip_prefix("Fn::").or((key == "Ref").then_some(key))?;
            Some((name.to_owned(), argument))
        }
        _ => None,
    }
}

/// A string as the template writes it: plain, `!Sub` text (placeholders kept) or `!Ref X` as
/// `${X}`.
fn text(value: &Value) -> Option<String> {
    // Intrinsics first: the YAML crate's `as_str` sees through tags.
    match intrinsic(value) {
        Some((name, Value::Sequence(parts))) if name == "Sub" => {
            parts.first().and_then(Value::as_str).map(str::to_owned)
        }
        Some((name, argument)) if name == "Sub" => argument.as_str().map(str::to_owned),
        Some((name, argument)) if name == "Ref" => argument
            .as_str()
            .map(|parameter| format!("${{{parameter}}}")),
        Some(_) => None,
        None => value.as_str().map(str::to_owned),
    }
}

/// The entries of a list, with `!If [condition, entry, !Ref AWS::NoValue]` read as an optional
/// entry; entries that are not strings are reported through `unreadable`.
fn entries(value: &Value, unreadable: &mut Vec<String>) -> Vec<String> {
    let Some(items) = value.as_sequence() else {
        unreadable.push(format!("expected a list, found {value:?}"));
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let item = match intrinsic(item) {
                Some((name, Value::Sequence(branches))) if name == "If" && branches.len() == 3 => {
                    &branches[1]
                }
                _ => item,
            };
            let read = text(item);
            if read.is_none() {
                unreadable.push(format!("cannot read the list entry {item:?}"));
            }
            read
        })
        .collect()
}

/// A parameter's default, for properties given as `!Ref Parameter`.
fn resolve_default(template: &Value, value: &Value) -> Value {
    match intrinsic(value) {
        Some((name, Value::String(parameter))) if name == "Ref" => {
            template["Parameters"][parameter.as_str()]["Default"].clone()
        }
        _ => value.clone(),
    }
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("the template has Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .filter_map(|(name, resource)| Some((name.as_str()?, resource)))
        .collect()
}

/// The one resource of a type (the template has one pool, one client, one HTTP API).
fn single<'a>(template: &'a Value, kind: &str) -> &'a Value {
    let found = resources_of_type(template, kind);
    assert_eq!(
        found.len(),
        1,
        "expected one {kind} in the template, found {}",
        found.len()
    );
    &found[0].1["Properties"]
}

fn sorted(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    let mut items: Vec<String> = items.into_iter().map(Into::into).collect();
    items.sort();
    items
}

/// How a route is protected: the authorizer kind and its scopes.
#[derive(Debug, PartialEq, Eq)]
struct Protection {
    authorizer: &'static str,
    scopes: Vec<String>,
}

#[test]
fn routes_authorizers_and_scopes_match() {
    let template = template();
    let api = single(&template, "AWS::Serverless::HttpApi");
    let default_authorizer = api["Auth"]["DefaultAuthorizer"].as_str();
    let authorizers = &api["Auth"]["Authorizers"];

    let mut deployed = BTreeMap::new();
    let mut differences = Differences::default();
    for (function, resource) in resources_of_type(&template, "AWS::Serverless::Function") {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (event, definition) in events {
            let event = event.as_str().unwrap_or("?");
            if definition["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let properties = &definition["Properties"];
            let key = format!(
                "{} {}",
                properties["Method"]
                    .as_str()
                    .unwrap_or("?")
                    .to_ascii_uppercase(),
                properties["Path"].as_str().unwrap_or("?")
            );
            let authorizer = match properties["Auth"]["Authorizer"]
                .as_str()
                .or(default_authorizer)
            {
                None | Some("NONE") => "none",
                Some(name) if authorizers[name]["JwtConfiguration"].is_mapping() => "jwt",
                Some(name) => {
                    differences.note(format!(
                        "{function}.{event}: authorizer `{name}` is not a JWT authorizer of the HttpApi"
                    ));
                    "unknown"
                }
            };
            let mut unreadable = Vec::new();
            let scopes = match &properties["Auth"]["AuthorizationScopes"] {
                Value::Null => Vec::new(),
                scopes => sorted(entries(scopes, &mut unreadable)),
            };
            unreadable
                .into_iter()
                .for_each(|problem| differences.note(format!("{function}.{event}: {problem}")));
            deployed.insert(key, Protection { authorizer, scopes });
        }
    }

    let served: BTreeMap<String, Protection> = Config::embedded_default()
        .api
        .routes
        .iter()
        .map(|route| {
            let authorizer = match route.authorizer {
                AuthorizerKind::None => "none",
                AuthorizerKind::Jwt => "jwt",
            };
            let protection = Protection {
                authorizer,
                scopes: sorted(route.authorization_scopes.iter().cloned()),
            };
            (route.route_key(), protection)
        })
        .collect();

    for (key, protection) in &deployed {
        match served.get(key) {
            None => differences.note(format!("route {key} is in the template only")),
            Some(local) => differences.compare(&format!("route {key}"), protection, local),
        }
    }
    for key in served.keys().filter(|key| !deployed.contains_key(*key)) {
        differences.note(format!("route {key} is in devstack only"));
    }
    differences.assert_none("routes");
}

#[test]
fn the_jwt_authorizer_trusts_the_pool_and_the_spa_client() {
    let template = template();
    let api = single(&template, "AWS::Serverless::HttpApi");
    let name = api["Auth"]["DefaultAuthorizer"]
        .as_str()
        .expect("a default authorizer");
    let authorizer = &api["Auth"]["Authorizers"][name];
    let mut differences = Differences::default();
    // devstack's authorizer reads the bearer token from Authorization and trusts its own pool as
    // issuer; both sides name their audiences, compared by role (the ids differ by nature).
    differences.compare(
        "identity source",
        authorizer["IdentitySource"].as_str(),
        Some("$request.header.Authorization"),
    );
    differences.compare(
        "issuer",
        text(&authorizer["JwtConfiguration"]["issuer"]).as_deref(),
        Some("https://${UserPool.ProviderURL}"),
    );
    const SPA_CLIENT: &str = "the SPA's client";
    let clients = resources_of_type(&template, "AWS::Cognito::UserPoolClient");
    assert_eq!(
        clients.len(),
        1,
        "the template has one app client, the SPA's"
    );
    let template_spa_client = format!("${{{}}}", clients[0].0);
    let mut unreadable = Vec::new();
    let deployed: Vec<String> =
        entries(&authorizer["JwtConfiguration"]["audience"], &mut unreadable)
            .into_iter()
            .map(|audience| {
                if audience == template_spa_client {
                    SPA_CLIENT.to_owned()
                } else {
                    audience
                }
            })
            .collect();
    let config = Config::embedded_default();
    let local_spa_client = config.spa_client().expect("devstack has an SPA client");
    let local: Vec<String> = config
        .api_audiences()
        .into_iter()
        .map(|audience| {
            if audience == local_spa_client.client_id {
                SPA_CLIENT.to_owned()
            } else {
                audience
            }
        })
        .collect();
    differences.compare("audience", deployed, local);
    unreadable
        .into_iter()
        .for_each(|problem| differences.note(problem));
    differences.assert_none("JWT authorizer");
}

/// Paths of URLs on the SPA's origins, and the origins themselves; anything else is reported.
fn split_spa_urls(urls: &[String], differences: &mut Differences, what: &str) -> BTreeSet<String> {
    urls.iter()
        .filter_map(|url| {
            let path = TEMPLATE_SPA_ORIGINS
                .iter()
                .find_map(|origin| url.strip_prefix(origin));
            if path.is_none() {
                differences.note(format!("{what}: `{url}` is not on the SPA's origin"));
            }
            path.map(str::to_owned)
        })
        .collect()
}

fn url_paths(urls: &[String]) -> BTreeSet<String> {
    urls.iter()
        .map(|url| {
            Url::parse(url).map_or_else(
                |_| format!("unparseable {url}"),
                |url| url.path().to_owned(),
            )
        })
        .collect()
}

fn url_origins(urls: &[String]) -> BTreeSet<String> {
    urls.iter()
        .map(|url| {
            Url::parse(url).map_or_else(
                |_| format!("unparseable {url}"),
                |url| url.origin().ascii_serialization(),
            )
        })
        .collect()
}

#[test]
fn cors_settings_and_origins_match() {
    let template = template();
    let cors = &single(&template, "AWS::Serverless::HttpApi")["CorsConfiguration"];
    let config = Config::embedded_default();
    let local = &config.api.cors;
    let mut differences = Differences::default();
    let mut unreadable = Vec::new();
    let upper =
        |items: Vec<String>| sorted(items.into_iter().map(|item| item.to_ascii_uppercase()));
    let lower =
        |items: Vec<String>| sorted(items.into_iter().map(|item| item.to_ascii_lowercase()));

    differences.compare(
        "CORS AllowMethods",
        upper(entries(&cors["AllowMethods"], &mut unreadable)),
        upper(local.allow_methods.clone()),
    );
    differences.compare(
        "CORS AllowHeaders",
        lower(entries(&cors["AllowHeaders"], &mut unreadable)),
        lower(local.allow_headers.clone()),
    );
    differences.compare(
        "CORS ExposeHeaders",
        lower(entries(&cors["ExposeHeaders"], &mut unreadable)),
        lower(local.expose_headers.clone()),
    );
    differences.compare(
        "CORS MaxAge",
        cors["MaxAge"].as_u64(),
        local.max_age.map(u64::from),
    );
    differences.compare(
        "CORS AllowCredentials",
        cors["AllowCredentials"].as_bool().unwrap_or(false),
        local.allow_credentials,
    );

    // Origins differ by nature (CloudFront vs localhost); their shape must not: the API admits
    // exactly the SPA's origins, the ones its callback URLs are on.
    let client = single(&template, "AWS::Cognito::UserPoolClient");
    let template_origins: BTreeSet<String> = entries(&cors["AllowOrigins"], &mut unreadable)
        .into_iter()
        .collect();
    let template_callback_origins: BTreeSet<String> =
        entries(&client["CallbackURLs"], &mut unreadable)
            .iter()
            .filter_map(|url| {
                TEMPLATE_SPA_ORIGINS
                    .iter()
                    .find(|origin| url.starts_with(*origin))
            })
            .map(|origin| (*origin).to_owned())
            .collect();
    differences.agree(
        "the template's CORS origins and its callback URLs' origins",
        &template_origins,
        &template_callback_origins,
    );
    let spa_client = config.spa_client().expect("devstack has an SPA client");
    let local_origins: BTreeSet<String> = local.allow_origins.iter().cloned().collect();
    differences.agree(
        "devstack's CORS origins and its callback URLs' origins",
        &local_origins,
        &url_origins(&spa_client.callback_urls),
    );
    unreadable
        .into_iter()
        .for_each(|problem| differences.note(problem));
    differences.assert_none("CORS");
}

#[test]
fn the_app_client_matches() {
    let template = template();
    let client = single(&template, "AWS::Cognito::UserPoolClient");
    let config = Config::embedded_default();
    let local = config.spa_client().expect("devstack has an SPA client");
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

    // Token lifetimes, in minutes.
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
    differences.compare(
        "access token lifetime (minutes)",
        minutes("AccessTokenValidity", "AccessToken"),
        Some(u64::from(local.access_token_validity_minutes)),
    );
    differences.compare(
        "ID token lifetime (minutes)",
        minutes("IdTokenValidity", "IdToken"),
        Some(u64::from(local.id_token_validity_minutes)),
    );
    differences.compare(
        "refresh token lifetime (minutes)",
        minutes("RefreshTokenValidity", "RefreshToken"),
        Some(u64::from(local.refresh_token_validity_minutes)),
    );

    // Rotation: the template's default (a parameter) against devstack's.
    let feature = resolve_default(&template, &client["RefreshTokenRotation"]["Feature"]);
    differences.compare(
        "refresh-token rotation by default",
        feature.as_str().map(|feature| feature == "ENABLED"),
        Some(local.refresh_token_rotation),
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
    // Compared as they are. devstack's default, like the deployed client, allows no sign-in by
    // API; its own tests of InitiateAuth add ALLOW_USER_PASSWORD_AUTH to their copy of the
    // config (tests/cognito_idp_api.rs), never to the default.
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
    unreadable
        .into_iter()
        .for_each(|problem| differences.note(problem));
    differences.assert_none("app client");
}

#[test]
fn resource_servers_and_groups_match() {
    let template = template();
    let config = Config::embedded_default();
    let mut differences = Differences::default();

    let deployed_servers: BTreeMap<String, Vec<String>> =
        resources_of_type(&template, "AWS::Cognito::UserPoolResourceServer")
            .into_iter()
            .map(|(_, resource)| {
                let properties = &resource["Properties"];
                let scopes = properties["Scopes"]
                    .as_sequence()
                    .map(|scopes| {
                        sorted(
                            scopes
                                .iter()
                                .filter_map(|scope| scope["ScopeName"].as_str()),
                        )
                    })
                    .unwrap_or_default();
                (
                    properties["Identifier"].as_str().unwrap_or("?").to_owned(),
                    scopes,
                )
            })
            .collect();
    let local_servers: BTreeMap<String, Vec<String>> = config
        .resource_servers
        .iter()
        .map(|server| {
            (
                server.identifier.clone(),
                sorted(server.scopes.iter().cloned()),
            )
        })
        .collect();
    differences.compare(
        "resource servers and their scopes",
        deployed_servers,
        local_servers,
    );

    let deployed_groups: BTreeSet<String> =
        resources_of_type(&template, "AWS::Cognito::UserPoolGroup")
            .into_iter()
            .filter_map(|(_, resource)| {
                resource["Properties"]["GroupName"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
    let local_groups: BTreeSet<String> = config
        .users
        .iter()
        .flat_map(|user| user.groups.iter().cloned())
        .collect();
    differences.compare("groups", deployed_groups, local_groups);
    differences.assert_none("user pool");
}

#[test]
fn the_content_security_policy_matches() {
    let template = template();
    let policy = single(&template, "AWS::CloudFront::ResponseHeadersPolicy");
    let csp = &policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
        ["ContentSecurityPolicy"];
    let deployed = text(csp).expect("the CSP is a !Sub string");
    // Name the variable parts alike on both sides, then compare the rest word for word.
    let deployed = deployed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("${ScriptHashes}", "<inline script hashes>")
        .replace(
            "https://${HostedUiDomainPrefix}.auth.${AWS::Region}.amazoncognito.com",
            "<hosted UI>",
        )
        .replace(
            "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}",
            "<issuer>",
        )
        .replace("${ApiConnectSource}", "<API>");

    let index_html = "<!DOCTYPE html><html><head><script type=\"module\">import init from '/app-1a2b.js';</script></head></html>";
    let local =
        devstack::content_security_policy(index_html, &["<hosted UI>", "<issuer>", "<API>"]);
    let local = local
        .split_whitespace()
        .map(|word| {
            let is_hash =
                word.starts_with("'sha256-") && (word.ends_with('\'') || word.ends_with("';"));
            match (is_hash, word.ends_with(';')) {
                (true, true) => "<inline script hashes>;",
                (true, false) => "<inline script hashes>",
                _ => word,
            }
        })
        .collect::<Vec<_>>()
        .join(" ");

    let mut differences = Differences::default();
    differences.compare("Content-Security-Policy", deployed, local);
    differences.assert_none("Content-Security-Policy");
}
