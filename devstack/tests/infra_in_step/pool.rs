//! The user pool: its account settings (self sign-up, MFA, e-mail verification, password policy,
//! temporary passwords, sign-in aliases), the resource server and the groups.

use std::collections::{BTreeMap, BTreeSet};

use devstack::config::{EMBEDDED_DEFAULT, MfaConfiguration};
use devstack::{Config, ConfigError};
use serde_norway::Value;

use crate::template::{
    Differences, entries, optional_entries, parameters, resolve, resources_of_type, single, sorted,
    template,
};

fn user_pool(template: &Value) -> &Value {
    single(template, "AWS::Cognito::UserPool")
}

/// devstack's default configuration changed by `edit`, as devstack loads it.
fn default_config_with(edit: impl FnOnce(&mut toml::Table)) -> Result<Config, ConfigError> {
    let mut table: toml::Table = EMBEDDED_DEFAULT.parse().expect("devstack.toml is TOML");
    edit(&mut table);
    Config::from_toml_str(&toml::to_string(&table).expect("a TOML table prints"))
}

/// The template's allowed values of a parameter, sorted.
fn allowed_values(template: &Value, parameter: &str, unreadable: &mut Vec<String>) -> Vec<String> {
    sorted(entries(
        &template["Parameters"][parameter]["AllowedValues"],
        unreadable,
    ))
}

/// A property with these parameter values, or the reason it cannot be read.
fn property_with(
    template: &Value,
    property: &Value,
    overrides: &[(&str, &str)],
    differences: &mut Differences,
) -> Option<Value> {
    resolve(template, property, &parameters(template, overrides)).unwrap_or_else(|problem| {
        differences.note(problem);
        None
    })
}

/// devstack's MFA settings in Cognito's spelling. The match makes a new setting a compile error
/// here, so that the template's AllowedValues follow.
fn devstack_mfa_settings() -> Vec<String> {
    use MfaConfiguration::{Off, On, Optional};
    sorted([Off, Optional, On].map(|setting| match setting {
        Off | Optional | On => setting.as_str(),
    }))
}

#[test]
fn mfa_matches() {
    let template = template();
    let pool = user_pool(&template);
    let config = Config::embedded_default();
    let mut differences = Differences::default();
    let mut unreadable = Vec::new();

    differences.compare(
        "MFA by default (parameter MfaConfiguration, user_pool.mfa)",
        template["Parameters"]["MfaConfiguration"]["Default"].as_str(),
        Some(config.user_pool.mfa.as_str()),
    );
    let allowed = allowed_values(&template, "MfaConfiguration", &mut unreadable);
    differences.compare(
        "MFA settings (MfaConfiguration's AllowedValues)",
        &allowed,
        &devstack_mfa_settings(),
    );
    for setting in &allowed {
        let chosen = [("MfaConfiguration", setting.as_str())];
        let mfa = property_with(
            &template,
            &pool["MfaConfiguration"],
            &chosen,
            &mut differences,
        );
        differences.agree(
            &format!(
                "with MfaConfiguration={setting}, the pool's MfaConfiguration and the parameter"
            ),
            mfa.as_ref().and_then(Value::as_str),
            Some(setting.as_str()),
        );
        // devstack's only factor is TOTP (an authenticator app): no SMS, no e-mail codes.
        let factors = property_with(&template, &pool["EnabledMfas"], &chosen, &mut differences)
            .map(|factors| entries(&factors, &mut unreadable));
        let local_factors = (setting != "OFF").then(|| vec!["SOFTWARE_TOKEN_MFA".to_owned()]);
        differences.compare(
            &format!("with MFA {setting}, EnabledMfas"),
            factors,
            local_factors,
        );
        // And devstack takes the setting in the same spelling.
        let local = default_config_with(|table| {
            table["user_pool"]["mfa"] = toml::Value::String(setting.clone());
        });
        differences.compare(
            &format!("the MFA setting {setting} as devstack reads it"),
            Some(setting.as_str()),
            local.ok().map(|config| config.user_pool.mfa.as_str()),
        );
    }
    // Nothing sends text messages.
    differences.compare("SmsConfiguration", &pool["SmsConfiguration"], &Value::Null);
    differences.unreadable(unreadable);
    differences.assert_none("MFA");
}

#[test]
fn self_sign_up_matches() {
    let template = template();
    let pool = user_pool(&template);
    let config = Config::embedded_default();
    let mut differences = Differences::default();
    let mut unreadable = Vec::new();

    let default = template["Parameters"]["SelfSignUp"]["Default"].as_str();
    differences.compare(
        "self sign-up by default (parameter SelfSignUp, user_pool.allow_self_sign_up)",
        default.map(|value| value == "true"),
        Some(config.user_pool.allow_self_sign_up),
    );
    differences.agree(
        "SelfSignUp's AllowedValues and a yes or no",
        allowed_values(&template, "SelfSignUp", &mut unreadable),
        sorted(["false", "true"]),
    );
    let admin_only = &pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"];
    for (setting, open) in [("true", true), ("false", false)] {
        let chosen = [("SelfSignUp", setting)];
        let admin_only = property_with(&template, admin_only, &chosen, &mut differences);
        differences.agree(
            &format!("with SelfSignUp={setting}, AllowAdminCreateUserOnly and the parameter"),
            admin_only.as_ref().and_then(Value::as_bool),
            Some(!open),
        );
        let local = default_config_with(|table| {
            table["user_pool"]["allow_self_sign_up"] = toml::Value::Boolean(open);
        });
        differences.compare(
            &format!("self sign-up {setting} as devstack reads it"),
            Some(open),
            local.ok().map(|config| config.user_pool.allow_self_sign_up),
        );
    }
    differences.unreadable(unreadable);
    differences.assert_none("self sign-up");
}

#[test]
fn e_mail_addresses_are_confirmed_with_a_code() {
    let template = template();
    let pool = user_pool(&template);
    let mut differences = Differences::default();
    let mut unreadable = Vec::new();
    // devstack confirms a sign-up and resets a password with a code its mailbox receives
    // (ConfirmSignUp, ConfirmForgotPassword); no links.
    differences.compare(
        "AutoVerifiedAttributes",
        optional_entries(&pool["AutoVerifiedAttributes"], &mut unreadable),
        vec!["email".to_owned()],
    );
    differences.compare(
        "VerificationMessageTemplate.DefaultEmailOption",
        pool["VerificationMessageTemplate"]["DefaultEmailOption"].as_str(),
        Some("CONFIRM_WITH_CODE"),
    );
    let recovery: Vec<Option<&str>> = pool["AccountRecoverySetting"]["RecoveryMechanisms"]
        .as_sequence()
        .map(|mechanisms| mechanisms.iter().map(|m| m["Name"].as_str()).collect())
        .unwrap_or_default();
    differences.compare(
        "AccountRecoverySetting (how a forgotten password is reset)",
        recovery,
        vec![Some("verified_email")],
    );
    differences.unreadable(unreadable);
    differences.assert_none("e-mail verification");
}

#[test]
fn the_password_policy_matches() {
    let template = template();
    let policy = &user_pool(&template)["Policies"]["PasswordPolicy"];
    let config = Config::embedded_default();
    let local = &config.user_pool.password_policy;
    let mut differences = Differences::default();
    differences.compare(
        "MinimumLength (minimum_length)",
        policy["MinimumLength"].as_u64(),
        Some(u64::from(local.minimum_length)),
    );
    for (property, required) in [
        ("RequireUppercase", local.require_uppercase),
        ("RequireLowercase", local.require_lowercase),
        ("RequireNumbers", local.require_numbers),
        ("RequireSymbols", local.require_symbols),
    ] {
        differences.compare(property, policy[property].as_bool(), Some(required));
    }
    differences.compare(
        "TemporaryPasswordValidityDays (temporary_password_validity_days)",
        policy["TemporaryPasswordValidityDays"].as_u64(),
        Some(u64::from(config.user_pool.temporary_password_validity_days)),
    );
    differences.assert_none("password policy");
}

/// Why devstack refuses its default configuration with one more user, if it does.
fn refusal_of_extra_user(username: &str, email: &str) -> Option<(String, String)> {
    let loaded = default_config_with(|table| {
        let mut user = toml::Table::new();
        user.insert("username".into(), username.into());
        user.insert("email".into(), email.into());
        user.insert("password".into(), "Extra-Passw0rd!".into());
        table["users"]
            .as_array_mut()
            .expect("devstack.toml has [[users]]")
            .push(toml::Value::Table(user));
    });
    match loaded {
        Ok(_) => None,
        Err(ConfigError::Invalid { field, reason }) => Some((field, reason)),
        Err(other) => Some(("?".to_owned(), other.to_string())),
    }
}

#[test]
fn users_sign_in_by_username_or_e_mail_regardless_of_case() {
    let template = template();
    let pool = user_pool(&template);
    let config = Config::embedded_default();
    let extra = format!("users[{}].username", config.users.len());
    let mut differences = Differences::default();
    let mut unreadable = Vec::new();

    // The e-mail address is an alias of a username, not the username itself: devstack refuses
    // usernames of e-mail form, as Cognito does with an email alias.
    differences.compare(
        "AliasAttributes (sign-in by e-mail as an alias)",
        optional_entries(&pool["AliasAttributes"], &mut unreadable),
        vec!["email".to_owned()],
    );
    differences.compare(
        "UsernameAttributes (an e-mail address as the username)",
        &pool["UsernameAttributes"],
        &Value::Null,
    );
    differences.compare(
        "an e-mail address as a username",
        Some((
            extra.clone(),
            "cannot be an email address: the pool signs in by email as an alias of the username"
                .to_owned(),
        )),
        refusal_of_extra_user("extra@example.com", "extra@example.com"),
    );
    // `Demo` is `demo`: devstack refuses a second user whose name differs only in case.
    differences.compare(
        "UsernameConfiguration.CaseSensitive",
        pool["UsernameConfiguration"]["CaseSensitive"].as_bool(),
        Some(false),
    );
    differences.compare(
        "a username that differs from another only in case",
        Some((
            extra,
            "\"DEMO\" is used twice (usernames are case-insensitive)".to_owned(),
        )),
        refusal_of_extra_user("DEMO", "extra@example.com"),
    );
    differences.unreadable(unreadable);
    differences.assert_none("sign-in names");
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
    // user_pool.groups and every group a user is in.
    let local_groups: BTreeSet<String> = config.group_names().into_iter().collect();
    differences.compare("groups", deployed_groups, local_groups);
    differences.assert_none("user pool");
}
