//! Reading `infra/template.yaml`: its CloudFormation intrinsics, the values properties take with
//! given parameters, and the list of differences each test reports.

use std::collections::{BTreeMap, BTreeSet};

use devstack::Config;
use devstack::config::AppClientConfig;
use serde_norway::Value;
use url::Url;

/// The template's two SPA origins: the CloudFront distribution and the optional local one.
pub const TEMPLATE_SPA_ORIGINS: [&str; 2] =
    ["https://${Distribution.DomainName}", "${LocalDevOrigin}"];

pub fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let text = std::fs::read_to_string(path).expect("infra/template.yaml is readable");
    serde_norway::from_str(&text).expect("infra/template.yaml is valid YAML")
}

/// Differences found so far, each naming what differs and both values.
#[derive(Default)]
pub struct Differences(Vec<String>);

impl Differences {
    pub fn compare<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: &str,
        template: T,
        devstack: T,
    ) {
        if template != devstack {
            self.0.push(format!(
                "{what}: infra/template.yaml has {template:?}, devstack has {devstack:?}"
            ));
        }
    }

    /// Two parts of one side that must agree with each other.
    pub fn agree<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, one: T, other: T) {
        if one != other {
            self.0
                .push(format!("{what} disagree: {one:?} vs. {other:?}"));
        }
    }

    pub fn note(&mut self, difference: String) {
        self.0.push(difference);
    }

    /// Notes every problem of reading the template.
    pub fn unreadable(&mut self, problems: Vec<String>) {
        self.0.extend(problems);
    }

    pub fn assert_none(self, topic: &str) {
        assert!(
            self.0.is_empty(),
            "{topic}: infra/template.yaml and devstack's default configuration (devstack/devstack.toml, \
             devstack::gateway::config) differ; change both together:\n  - {}",
            self.0.join("\n  - ")
        );
    }
}

/// A CloudFormation intrinsic function: `!Name arg`, `{"Fn::Name": arg}` or `{"Ref": arg}`.
pub fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let (key, argument) = mapping.iter().next()?;
            let key = key.as_str()?;
            let name = key
                .strip_prefix("Fn::")
                .or((key == "Ref" || key == "Condition").then_some(key))?;
            Some((name.to_owned(), argument))
        }
        _ => None,
    }
}

/// A string as the template writes it: plain, `!Sub` text (placeholders kept) or `!Ref X` as
/// `${X}`.
pub fn text(value: &Value) -> Option<String> {
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
pub fn entries(value: &Value, unreadable: &mut Vec<String>) -> Vec<String> {
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

/// [`entries`] of a list that may be absent (CloudFormation's default: none).
pub fn optional_entries(value: &Value, unreadable: &mut Vec<String>) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        value => entries(value, unreadable),
    }
}

/// Parameter values: each parameter's default, then `overrides`.
pub fn parameters(template: &Value, overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = template["Parameters"]
        .as_mapping()
        .expect("the template has Parameters")
        .iter()
        .filter_map(|(name, parameter)| {
            Some((
                name.as_str()?.to_owned(),
                parameter["Default"].as_str()?.to_owned(),
            ))
        })
        .collect();
    for (name, value) in overrides {
        values.insert((*name).to_owned(), (*value).to_owned());
    }
    values
}

/// The value a property takes once CloudFormation resolves `!Ref <parameter>` and
/// `!If [<condition>, ...]` with these parameter values; `None` for an absent property or
/// `!Ref AWS::NoValue`. Other intrinsics stay as written.
pub fn resolve(
    template: &Value,
    value: &Value,
    parameters: &BTreeMap<String, String>,
) -> Result<Option<Value>, String> {
    match intrinsic(value) {
        Some((name, Value::String(target))) if name == "Ref" => {
            if target == "AWS::NoValue" {
                return Ok(None);
            }
            match parameters.get(target) {
                Some(parameter) => Ok(Some(Value::String(parameter.clone()))),
                None => Ok(Some(value.clone())),
            }
        }
        Some((name, Value::Sequence(branches))) if name == "If" && branches.len() == 3 => {
            let condition = branches[0]
                .as_str()
                .ok_or_else(|| format!("!If names no condition: {value:?}"))?;
            let chosen = if condition_holds(template, condition, parameters)? {
                &branches[1]
            } else {
                &branches[2]
            };
            resolve(template, chosen, parameters)
        }
        _ if value.is_null() => Ok(None),
        _ => Ok(Some(value.clone())),
    }
}

/// Whether a condition of the template's `Conditions` holds with these parameter values.
pub fn condition_holds(
    template: &Value,
    name: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<bool, String> {
    let definition = &template["Conditions"][name];
    if definition.is_null() {
        return Err(format!("no condition {name} in the template"));
    }
    evaluate(template, definition, parameters)
}

fn evaluate(
    template: &Value,
    expression: &Value,
    parameters: &BTreeMap<String, String>,
) -> Result<bool, String> {
    let unsupported = || format!("cannot evaluate the condition {expression:?}");
    let (name, argument) = intrinsic(expression).ok_or_else(unsupported)?;
    let operands = || argument.as_sequence().ok_or_else(unsupported);
    match name.as_str() {
        "Equals" => {
            let sides = operands()?
                .iter()
                .map(|side| {
                    let resolved = resolve(template, side, parameters)?;
                    resolved
                        .as_ref()
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(unsupported)
                })
                .collect::<Result<Vec<_>, _>>()?;
            match sides.as_slice() {
                [left, right] => Ok(left == right),
                _ => Err(unsupported()),
            }
        }
        "Not" => match operands()?.as_slice() {
            [operand] => Ok(!evaluate(template, operand, parameters)?),
            _ => Err(unsupported()),
        },
        "And" | "Or" => {
            let values = operands()?
                .iter()
                .map(|operand| evaluate(template, operand, parameters))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if name == "And" {
                values.iter().all(|value| *value)
            } else {
                values.iter().any(|value| *value)
            })
        }
        "Condition" => condition_holds(
            template,
            argument.as_str().ok_or_else(unsupported)?,
            parameters,
        ),
        _ => Err(unsupported()),
    }
}

pub fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("the template has Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .filter_map(|(name, resource)| Some((name.as_str()?, resource)))
        .collect()
}

/// The one resource of a type (the template has one pool, one HTTP API, ...).
pub fn single<'a>(template: &'a Value, kind: &str) -> &'a Value {
    let found = resources_of_type(template, kind);
    assert_eq!(
        found.len(),
        1,
        "expected one {kind} in the template, found {}",
        found.len()
    );
    &found[0].1["Properties"]
}

/// The template's two app clients, `SpaClient` and `CliClient`, by their logical names.
pub const TEMPLATE_CLIENTS: [&str; 2] = ["CliClient", "SpaClient"];

/// The properties of one of [`TEMPLATE_CLIENTS`], after checking that the template has exactly
/// those app clients.
pub fn template_client<'a>(template: &'a Value, name: &str) -> &'a Value {
    let names = sorted(
        resources_of_type(template, "AWS::Cognito::UserPoolClient")
            .into_iter()
            .map(|(name, _)| name),
    );
    assert_eq!(
        names, TEMPLATE_CLIENTS,
        "the template's app clients are the SPA's and the command line's"
    );
    &template["Resources"][name]["Properties"]
}

/// devstack's two app clients: the SPA's and the command line's (the other one).
pub fn local_clients(config: &Config) -> (&AppClientConfig, &AppClientConfig) {
    let spa = config.spa_client().expect("devstack has an SPA client");
    let others: Vec<&AppClientConfig> = config
        .app_clients
        .iter()
        .filter(|client| client.client_id != spa.client_id)
        .collect();
    assert_eq!(
        others.len(),
        1,
        "devstack's default configuration has two app clients, the SPA's and the command line's"
    );
    (spa, others[0])
}

pub fn sorted(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    let mut items: Vec<String> = items.into_iter().map(Into::into).collect();
    items.sort();
    items
}

/// Paths of URLs on the SPA's origins, and the origins themselves; anything else is reported.
pub fn split_spa_urls(
    urls: &[String],
    differences: &mut Differences,
    what: &str,
) -> BTreeSet<String> {
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

pub fn url_paths(urls: &[String]) -> BTreeSet<String> {
    urls.iter()
        .map(|url| {
            Url::parse(url).map_or_else(
                |_| format!("unparseable {url}"),
                |url| url.path().to_owned(),
            )
        })
        .collect()
}

pub fn url_origins(urls: &[String]) -> BTreeSet<String> {
    urls.iter()
        .map(|url| {
            Url::parse(url).map_or_else(
                |_| format!("unparseable {url}"),
                |url| url.origin().ascii_serialization(),
            )
        })
        .collect()
}
