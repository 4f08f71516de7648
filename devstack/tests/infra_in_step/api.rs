//! The HTTP API: routes with their authorizers and scopes, the JWT authorizer's issuer and
//! audiences (both app clients), and CORS.

use std::collections::{BTreeMap, BTreeSet};

use devstack::Config;
use devstack::gateway::AuthorizerKind;
use serde_norway::Value;

use crate::template::{
    Differences, TEMPLATE_SPA_ORIGINS, entries, local_clients, resources_of_type, single, sorted,
    template, template_client, text, url_origins,
};

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
fn the_jwt_authorizer_trusts_the_pool_and_both_clients() {
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
    const CLI_CLIENT: &str = "the command line's client";
    // Checks that the template has exactly these two clients.
    template_client(&template, "SpaClient");
    let mut unreadable = Vec::new();
    let deployed = sorted(
        entries(&authorizer["JwtConfiguration"]["audience"], &mut unreadable)
            .into_iter()
            .map(|audience| match audience.as_str() {
                "${SpaClient}" => SPA_CLIENT.to_owned(),
                "${CliClient}" => CLI_CLIENT.to_owned(),
                _ => audience,
            }),
    );
    let config = Config::embedded_default();
    let (spa, cli) = local_clients(&config);
    let local = sorted(config.api_audiences().into_iter().map(|audience| {
        if audience == spa.client_id {
            SPA_CLIENT.to_owned()
        } else if audience == cli.client_id {
            CLI_CLIENT.to_owned()
        } else {
            audience
        }
    }));
    differences.compare("audience", deployed, local);
    differences.unreadable(unreadable);
    differences.assert_none("JWT authorizer");
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
    let client = template_client(&template, "SpaClient");
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
    let (spa_client, _) = local_clients(&config);
    let local_origins: BTreeSet<String> = local.allow_origins.iter().cloned().collect();
    differences.agree(
        "devstack's CORS origins and its callback URLs' origins",
        &local_origins,
        &url_origins(&spa_client.callback_urls),
    );
    differences.unreadable(unreadable);
    differences.assert_none("CORS");
}
