//! The configuration's parsing and validation: every refusal names its field.

use super::*;

fn with(edit: impl FnOnce(&mut toml::Table)) -> Result<Config, ConfigError> {
    let mut table: toml::Table = toml::from_str(EMBEDDED_DEFAULT).unwrap();
    edit(&mut table);
    Config::from_toml_str(&toml::to_string(&table).unwrap())
}

fn client(table: &mut toml::Table) -> &mut toml::Table {
    table["app_clients"].as_array_mut().unwrap()[0]
        .as_table_mut()
        .unwrap()
}

fn invalid_field(result: Result<Config, ConfigError>) -> (String, String) {
    match result {
        Err(ConfigError::Invalid { field, reason }) => (field, reason),
        other => panic!("expected a semantic error, got {other:?}"),
    }
}

#[test]
fn embedded_default_matches_the_contract() {
    let config = Config::embedded_default();
    assert_eq!(config.user_pool.id, "us-east-1_DevStack01");
    let client = config.client("3n4b5urk1ft4fl3mg5e62d9ado").unwrap();
    assert_eq!(client.callback_urls, ["http://localhost:8080/callback"]);
    assert_eq!(client.logout_urls, ["http://localhost:8080/signed-out"]);
    assert_eq!(
        client.allowed_scopes,
        [
            "openid",
            "email",
            "profile",
            "api/read",
            "api/write",
            "aws.cognito.signin.user.admin"
        ]
    );
    assert_eq!(client.refresh_token_validity_minutes, 30 * 1440);
    // Rotation with a grace period, as the template's defaults have it.
    assert!(client.refresh_token_rotation);
    assert_eq!(client.refresh_token_retry_grace_seconds, 10);
    // No flow of the JSON API: no SRP or password (devstack implements no SRP, the deployed
    // client allows no sign-in by API), and no REFRESH_TOKEN_AUTH on a rotating client.
    assert!(client.explicit_auth_flows.is_empty());
    // Without the list, a client that does not rotate may refresh by InitiateAuth.
    let unlisted = with(|t| {
        self::client(t).remove("explicit_auth_flows");
        self::client(t).insert("refresh_token_rotation".into(), false.into());
        self::client(t).remove("refresh_token_retry_grace_seconds");
    })
    .unwrap();
    assert_eq!(
        unlisted.app_clients[0].explicit_auth_flows,
        ["ALLOW_REFRESH_TOKEN_AUTH"]
    );
    assert_eq!(unlisted.app_clients[0].refresh_token_retry_grace_seconds, 0);
    let names: Vec<_> = config.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["demo", "admin"]);
    assert!(!config.testing.tamper_signatures);
    assert_eq!(config.testing.token_lifetime_seconds_override, None);
    let contract = crate::gateway::ApiConfig::default();
    assert_eq!(
        (&config.api.routes, &config.api.cors),
        (&contract.routes, &contract.cors),
        "the file spells out the contract's API"
    );
    // The command line's client: JSON-API sign-in only, accepted by the API.
    let cli = config.client("5fq8cli4devstack0local0cli1").unwrap();
    assert!(cli.callback_urls.is_empty() && cli.allowed_scopes.is_empty());
    // It refreshes with REFRESH_TOKEN_AUTH, so it does not rotate.
    assert!(!cli.refresh_token_rotation);
    assert_eq!(
        cli.explicit_auth_flows,
        [
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH"
        ]
    );
    assert_eq!(
        config.api_audiences(),
        ["3n4b5urk1ft4fl3mg5e62d9ado", "5fq8cli4devstack0local0cli1"]
    );
    // The account settings the template has.
    assert!(config.user_pool.allow_self_sign_up);
    assert_eq!(config.user_pool.mfa, MfaConfiguration::Optional);
    assert_eq!(config.user_pool.password_policy.minimum_length, 12);
    assert_eq!(config.user_pool.temporary_password_validity_days, 7);
    assert_eq!(config.group_names(), ["admin", "users"]);
    assert_eq!(config.spa.token_storage, TokenStorage::Memory);
}

#[test]
fn unknown_key_is_refused_with_its_name() {
    let error =
        Config::from_toml_str(&format!("{EMBEDDED_DEFAULT}\n[extra]\nx = 1\n")).unwrap_err();
    assert!(matches!(error, ConfigError::Parse(_)));
    assert!(
        error.to_string().contains("unknown field `extra`"),
        "{error}"
    );

    let error = with(|t| {
        client(t).insert("secret".into(), "x".into());
    })
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `secret`"),
        "{error}"
    );
}

#[test]
fn wrong_type_names_the_key() {
    let error = with(|t| {
        client(t).insert("refresh_token_rotation".into(), "yes".into());
    })
    .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("refresh_token_rotation"), "{message}");
    assert!(message.contains("expected a boolean"), "{message}");
}

#[test]
fn lifetimes_outside_cognito_bounds_are_refused() {
    let (field, reason) = invalid_field(with(|t| {
        client(t).insert("access_token_validity_minutes".into(), 4.into());
    }));
    assert_eq!(field, "app_clients[0].access_token_validity_minutes");
    assert!(reason.contains("5 to 1440"), "{reason}");

    let (field, _) = invalid_field(with(|t| {
        client(t).insert("id_token_validity_minutes".into(), 1441.into());
    }));
    assert_eq!(field, "app_clients[0].id_token_validity_minutes");

    let (field, reason) = invalid_field(with(|t| {
        client(t).insert("refresh_token_validity_minutes".into(), 59.into());
    }));
    assert_eq!(field, "app_clients[0].refresh_token_validity_minutes");
    assert!(reason.contains("60 to 5256000"), "{reason}");

    assert!(
        with(|t| {
            client(t).insert("refresh_token_validity_minutes".into(), 5_256_000.into());
            client(t).insert("access_token_validity_minutes".into(), 5.into());
        })
        .is_ok()
    );
}

#[test]
fn the_testing_lifetime_override_has_bounds_and_replaces_minutes() {
    let set = |seconds: i64| {
        with(|t| {
            t["testing"]
                .as_table_mut()
                .unwrap()
                .insert("token_lifetime_seconds_override".into(), seconds.into());
        })
    };
    for seconds in [4, 3601] {
        let (field, reason) = invalid_field(set(seconds));
        assert_eq!(field, "testing.token_lifetime_seconds_override");
        assert!(reason.contains("5 to 3600 seconds"), "{reason}");
    }
    let error = set(-1).unwrap_err().to_string();
    assert!(
        error.contains("token_lifetime_seconds_override"),
        "toml names the key: {error}"
    );
    for seconds in [5, 3600] {
        let config = set(seconds).unwrap();
        assert_eq!(config.testing.token_lifetime_secs(60), seconds as u64);
    }
    assert_eq!(
        Config::embedded_default().testing.token_lifetime_secs(60),
        3600
    );
    // The client's own fields keep Cognito's bounds.
    let (field, _) = invalid_field(with(|t| {
        t["testing"]
            .as_table_mut()
            .unwrap()
            .insert("token_lifetime_seconds_override".into(), 20.into());
        client(t).insert("access_token_validity_minutes".into(), 1.into());
    }));
    assert_eq!(field, "app_clients[0].access_token_validity_minutes");
}

#[test]
fn a_rotating_client_may_not_allow_refresh_token_auth() {
    let expected = "ALLOW_REFRESH_TOKEN_AUTH cannot be allowed on a client with \
                    refresh_token_rotation (Cognito: REFRESH_TOKEN_AUTH does not rotate; such a \
                    client refreshes through /oauth2/token). Remove it; without \
                    explicit_auth_flows a client allows it, so write explicit_auth_flows = [] \
                    for none";
    let flows = |names: &[&str]| toml::Value::Array(names.iter().map(|&n| n.into()).collect());
    let (field, reason) = invalid_field(with(|t| {
        client(t).insert("refresh_token_rotation".into(), true.into());
        client(t).insert(
            "explicit_auth_flows".into(),
            flows(&["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
        );
    }));
    assert_eq!(field, "app_clients[0].explicit_auth_flows[1]");
    assert_eq!(reason, expected);
    // Left out, the list is ALLOW_REFRESH_TOKEN_AUTH: refused the same way.
    let (field, reason) = invalid_field(with(|t| {
        client(t).insert("refresh_token_rotation".into(), true.into());
        client(t).remove("explicit_auth_flows");
    }));
    assert_eq!(field, "app_clients[0].explicit_auth_flows[0]");
    assert_eq!(reason, expected);
    // The command line's client refreshes by InitiateAuth: it cannot rotate.
    let (field, _) = invalid_field(with(|t| {
        t["app_clients"].as_array_mut().unwrap()[1]
            .as_table_mut()
            .unwrap()
            .insert("refresh_token_rotation".into(), true.into());
    }));
    assert_eq!(field, "app_clients[1].explicit_auth_flows[2]");
    // Without rotation, the flow is allowed.
    let config = with(|t| {
        client(t).insert("refresh_token_rotation".into(), false.into());
        client(t).insert(
            "explicit_auth_flows".into(),
            flows(&["ALLOW_REFRESH_TOKEN_AUTH"]),
        );
    })
    .unwrap();
    assert!(!config.app_clients[0].refresh_token_rotation);
}

#[test]
fn the_retry_grace_period_has_cognitos_bounds() {
    let grace = |seconds: i64| {
        with(|t| {
            client(t).insert("refresh_token_retry_grace_seconds".into(), seconds.into());
        })
    };
    let (field, reason) = invalid_field(grace(61));
    assert_eq!(field, "app_clients[0].refresh_token_retry_grace_seconds");
    assert_eq!(reason, "61 is outside Cognito's bounds of 0 to 60 seconds");
    let error = grace(-1).unwrap_err().to_string();
    assert!(
        error.contains("refresh_token_retry_grace_seconds"),
        "toml names the key: {error}"
    );
    for seconds in [0, 60] {
        let config = grace(seconds).unwrap();
        assert_eq!(
            i64::from(config.app_clients[0].refresh_token_retry_grace_seconds),
            seconds
        );
    }
}

#[test]
fn callback_urls_must_be_https_or_local_http() {
    for (url, accepted) in [
        ("https://app.example.com/callback", true),
        ("http://localhost:8080/callback", true),
        ("http://localhost/cb", true),
        ("http://127.0.0.1:9000/cb", false),
        ("http://[::1]:9000/cb", false),
        ("http://localhost.example.com/cb", false),
        ("http://app.example.com/callback", false),
        ("/callback", false),
        ("https://app.example.com/cb#frag", false),
    ] {
        let result = with(|t| {
            client(t).insert("callback_urls".into(), toml::Value::Array(vec![url.into()]));
        });
        if accepted {
            assert!(result.is_ok(), "{url}: {result:?}");
        } else {
            let (field, reason) = invalid_field(result);
            assert_eq!(field, "app_clients[0].callback_urls[0]", "{url}");
            assert!(reason.contains(url), "{reason}");
        }
    }
    let (field, _) = invalid_field(with(|t| {
        client(t).insert(
            "logout_urls".into(),
            toml::Value::Array(vec!["https://ok.example/".into(), "ftp://x/".into()]),
        );
    }));
    assert_eq!(field, "app_clients[0].logout_urls[1]");
}

#[test]
fn scopes_must_exist() {
    let (field, reason) = invalid_field(with(|t| {
        client(t)["allowed_scopes"]
            .as_array_mut()
            .unwrap()
            .push("api/delete".into());
    }));
    assert_eq!(field, "app_clients[0].allowed_scopes[6]");
    assert!(reason.contains("\"api/delete\""), "{reason}");

    let (field, _) = invalid_field(with(|t| {
        client(t).insert(
            "allowed_scopes".into(),
            toml::Value::Array(vec!["email".into()]),
        );
    }));
    assert_eq!(field, "app_clients[0].allowed_scopes");
}

#[test]
fn account_settings_are_checked() {
    fn pool(t: &mut toml::Table) -> &mut toml::Table {
        t.get_mut("user_pool").unwrap().as_table_mut().unwrap()
    }
    fn user(t: &mut toml::Table) -> &mut toml::Table {
        t["users"].as_array_mut().unwrap()[0]
            .as_table_mut()
            .unwrap()
    }
    let (field, reason) = invalid_field(with(|t| {
        pool(t)["password_policy"]
            .as_table_mut()
            .unwrap()
            .insert("minimum_length".into(), 5.into());
    }));
    assert_eq!(field, "user_pool.password_policy.minimum_length");
    assert!(reason.contains("6 to 99"), "{reason}");
    let (field, _) = invalid_field(with(|t| {
        pool(t).insert("temporary_password_validity_days".into(), 0.into());
    }));
    assert_eq!(field, "user_pool.temporary_password_validity_days");
    let error = with(|t| {
        pool(t).insert("mfa".into(), "SOMETIMES".into());
    })
    .unwrap_err();
    assert!(matches!(error, ConfigError::Parse(_)), "{error}");

    let (field, reason) = invalid_field(with(|t| {
        user(t).insert("password".into(), "short-password".into());
    }));
    assert_eq!(field, "users[0].password");
    assert_eq!(
        reason,
        "breaks user_pool.password_policy: it needs an uppercase letter, a number"
    );
    let (field, reason) = invalid_field(with(|t| {
        user(t).insert("totp_secret".into(), "JBSWY3DPEHPK3PXP".into());
    }));
    assert_eq!(field, "users[0].totp_secret");
    assert!(reason.contains("at least 16"), "{reason}");
    let (field, _) = invalid_field(with(|t| {
        user(t).insert("username".into(), "demo@example.com".into());
    }));
    assert_eq!(field, "users[0].username");
    let (field, reason) = invalid_field(with(|t| {
        user(t).insert("email".into(), "ADMIN@example.com".into());
    }));
    assert_eq!(field, "users[1].email");
    assert!(reason.contains("sign-in alias"), "{reason}");

    let (field, reason) = invalid_field(with(|t| {
        t["app_clients"].as_array_mut().unwrap()[1]
            .as_table_mut()
            .unwrap()
            .insert(
                "allowed_scopes".into(),
                toml::Value::Array(vec!["openid".into()]),
            );
    }));
    assert_eq!(field, "app_clients[1].callback_urls");
    assert!(reason.contains("managed login"), "{reason}");
}

#[test]
fn usernames_are_unique_ignoring_case() {
    let (field, reason) = invalid_field(with(|t| {
        let users = t["users"].as_array_mut().unwrap();
        let mut twin = users[0].clone();
        twin.as_table_mut()
            .unwrap()
            .insert("username".into(), "DEMO".into());
        users.push(twin);
    }));
    assert_eq!(field, "users[2].username");
    assert!(reason.contains("used twice"), "{reason}");
}

#[test]
fn pool_id_must_start_with_region() {
    let (field, _) = invalid_field(with(|t| {
        t["user_pool"]
            .as_table_mut()
            .unwrap()
            .insert("id".into(), "eu-west-1_Abc".into());
    }));
    assert_eq!(field, "user_pool.id");
}

#[test]
fn duplicate_client_and_unknown_spa_client_are_refused() {
    let (field, _) = invalid_field(with(|t| {
        let clients = t["app_clients"].as_array_mut().unwrap();
        let twin = clients[0].clone();
        clients.push(twin);
    }));
    assert_eq!(field, "app_clients[2].client_id");

    let (field, _) = invalid_field(with(|t| {
        t["spa"]
            .as_table_mut()
            .unwrap()
            .insert("client_id".into(), "nope".into());
    }));
    assert_eq!(field, "spa.client_id");
}

#[test]
fn the_spa_client_needs_a_sign_out_url() {
    let (field, reason) = invalid_field(with(|t| {
        client(t).insert("logout_urls".into(), toml::Value::Array(vec![]));
    }));
    assert_eq!(field, "app_clients[0].logout_urls");
    assert!(reason.contains("sign_out_uri"), "{reason}");
}

#[test]
fn api_section_is_checked_against_the_pool() {
    let text = format!(
        "{EMBEDDED_DEFAULT}\n[[api.routes]]\nmethod = \"GET\"\npath = \"/x\"\nauthorizer = \"jwt\"\nauthorization_scopes = [\"api/delete\"]\n"
    );
    let (field, reason) = invalid_field(Config::from_toml_str(&text));
    assert_eq!(field, "api.routes[5].authorization_scopes[0]");
    assert!(reason.contains("not a scope of this user pool"), "{reason}");

    let text = EMBEDDED_DEFAULT.replace("allow_origins =", "allow_origin =");
    let error = Config::from_toml_str(&text).unwrap_err().to_string();
    assert!(error.contains("unknown field `allow_origin`"), "{error}");
}

#[test]
fn api_audiences_default_to_the_spa_client_and_must_name_clients() {
    let second_client = |t: &mut toml::Table| {
        let clients = t["app_clients"].as_array_mut().unwrap();
        let mut second = clients[0].clone();
        second
            .as_table_mut()
            .unwrap()
            .insert("client_id".into(), "second".into());
        clients.push(second);
    };
    let config = with(|t| {
        second_client(t);
        t["api"].as_table_mut().unwrap().remove("audiences");
    })
    .unwrap();
    assert_eq!(config.api_audiences(), ["3n4b5urk1ft4fl3mg5e62d9ado"]);

    let config = with(|t| {
        second_client(t);
        t["api"].as_table_mut().unwrap().remove("audiences");
        t["spa"]
            .as_table_mut()
            .unwrap()
            .insert("client_id".into(), "second".into());
    })
    .unwrap();
    assert_eq!(
        config.api_audiences(),
        ["second"],
        "follows [spa] client_id"
    );

    let audiences = |ids: &[&str]| {
        let ids = ids.iter().map(|id| toml::Value::from(*id)).collect();
        move |t: &mut toml::Table| {
            second_client(t);
            t["api"]
                .as_table_mut()
                .unwrap()
                .insert("audiences".into(), toml::Value::Array(ids));
        }
    };
    let config = with(audiences(&["3n4b5urk1ft4fl3mg5e62d9ado", "second"])).unwrap();
    assert_eq!(
        config.api_audiences(),
        ["3n4b5urk1ft4fl3mg5e62d9ado", "second"]
    );

    let (field, reason) = invalid_field(with(audiences(&["second", "nope"])));
    assert_eq!(field, "api.audiences[1]");
    assert!(
        reason.contains("no app client has client_id \"nope\""),
        "{reason}"
    );
    let (field, reason) = invalid_field(with(audiences(&[])));
    assert_eq!(field, "api.audiences");
    assert!(reason.contains("at least one audience"), "{reason}");
}

#[test]
fn move_spa_origin_rewrites_only_that_origin() {
    let mut config = Config::embedded_default();
    config.app_clients[0]
        .callback_urls
        .push("https://other.example/callback".into());
    config.move_spa_origin(
        &Url::parse("http://localhost:8080").unwrap(),
        &Url::parse("http://localhost:41234/").unwrap(),
    );
    let client = &config.app_clients[0];
    assert_eq!(
        client.callback_urls,
        [
            "http://localhost:41234/callback",
            "https://other.example/callback"
        ]
    );
    assert_eq!(client.logout_urls, ["http://localhost:41234/signed-out"]);
    assert_eq!(config.api.cors.allow_origins, ["http://localhost:41234"]);
    config.validate().unwrap();
}
