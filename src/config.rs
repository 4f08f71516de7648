//! The runtime configuration, fetched from `/config.json` at start, so one build serves any stack.
//!
//! Every problem is reported with the field it concerns and what is wrong with it, because the
//! person reading the message is the one who edits `config.json`.

use crate::auth::{ClientId, RedirectUri};
use crate::json::{self, Object, Value};

use contract::FIELDS;
/// Where the tokens of a session are kept. Never `localStorage`.
pub use contract::TokenStorage;

/// The validated contents of `/config.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// Base of the hosted UI (`/oauth2/authorize`, `/oauth2/token`, `/logout`, ...), without a
    /// trailing slash.
    pub hosted_ui_url: String,
    /// The token issuer, exactly as it appears in the `iss` claim. Its origin is also the
    /// identity-provider JSON API's endpoint (Cognito's issuer is
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`, devstack serves both on one
    /// origin), so that needs no field of its own: [`crate::idp::wire::endpoint`].
    pub issuer: String,
    /// The app client id.
    pub client_id: ClientId,
    /// The callback URL, exactly as registered for the app client.
    pub redirect_uri: RedirectUri,
    /// Where `/logout` sends the browser afterwards, exactly as registered for the app client.
    pub sign_out_uri: String,
    /// The scopes asked for on sign-in; always contains `openid`.
    pub scopes: Vec<String>,
    /// Base of the API, without a trailing slash.
    pub api_base_url: String,
    /// Where tokens are kept.
    pub token_storage: TokenStorage,
}

/// Why `/config.json` could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be fetched at all.
    #[error("could not fetch /config.json: {0}. Check that the app is served with its config.json")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error(
        "fetching /config.json answered HTTP {0}. Check that config.json is deployed next to index.html"
    )]
    Status(u16),
    /// The server answered with a web page: on CloudFront and devstack, a missing file gets the
    /// app's `index.html` (the single-page fallback), with 200.
    #[error(
        "/config.json answered with a web page, not JSON: the file is most likely missing and the server sent the app's index.html instead. Check that config.json is deployed next to index.html"
    )]
    WebPage,
    /// The file is not valid JSON (or not a JSON object).
    #[error("/config.json is not a valid JSON object: {0}")]
    NotJson(String),
    /// A required field is absent.
    #[error("/config.json: the field `{field}` is missing")]
    Missing {
        /// The field's name.
        field: &'static str,
    },
    /// A field that this app does not know, most likely a typo.
    #[error("/config.json: unknown field `{field}` (expected one of: {})", FIELDS.join(", "))]
    UnknownField {
        /// The field's name as written.
        field: String,
    },
    /// A field is present but its value is not acceptable.
    #[error("/config.json: the field `{field}` {problem}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// What is wrong, phrased to follow the field name.
        problem: String,
    },
}

impl AppConfig {
    /// Parses (with the browser's `JSON.parse`) and validates the text of `config.json`.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        if text.trim_start().starts_with('<') {
            return Err(ConfigError::WebPage);
        }
        Self::from_value(
            json::parse(text).map_err(ConfigError::NotJson)?,
            browser_url,
        )
    }

    /// Validates the parsed `config.json`, reading its URLs with `read_url` ([`browser_url`]).
    pub fn from_value(value: Value, read_url: ReadUrl) -> Result<Self, ConfigError> {
        let Value::Object(fields) = value else {
            return Err(ConfigError::NotJson(
                "the top level must be an object { ... }".into(),
            ));
        };
        if let Some(unknown) = fields.names().find(|name| !FIELDS.contains(name)) {
            return Err(ConfigError::UnknownField {
                field: unknown.to_owned(),
            });
        }
        Ok(Self {
            hosted_ui_url: base_url(&fields, "hosted_ui_url", read_url)?,
            issuer: issuer(&fields, read_url)?,
            client_id: ClientId::new(client_id(&fields)?),
            redirect_uri: RedirectUri::new(exact_url(&fields, "redirect_uri", read_url)?),
            sign_out_uri: exact_url(&fields, "sign_out_uri", read_url)?,
            scopes: scopes(&fields)?,
            api_base_url: base_url(&fields, "api_base_url", read_url)?,
            token_storage: token_storage(&fields)?,
        })
    }

    /// The issuer's key set: `<issuer>/.well-known/jwks.json`.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer)
    }

    /// An endpoint of the hosted UI, e.g. `hosted_ui_endpoint("/oauth2/token")`.
    pub fn hosted_ui_endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.hosted_ui_url)
    }
}

/// Fetches `/config.json` from the app's own origin and validates it.
pub async fn load() -> Result<AppConfig, ConfigError> {
    let response = gloo_net::http::Request::get("/config.json")
        .send()
        .await
        .map_err(|error| ConfigError::Unreachable(error.to_string()))?;
    if !response.ok() {
        return Err(ConfigError::Status(response.status()));
    }
    let text = response
        .text()
        .await
        .map_err(|error| ConfigError::Unreachable(error.to_string()))?;
    AppConfig::from_json(&text)
}

fn invalid(field: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        problem: problem.into(),
    }
}

fn string<'a>(fields: &'a Object, field: &'static str) -> Result<&'a str, ConfigError> {
    match fields.get(field) {
        None | Some(Value::Null) => Err(ConfigError::Missing { field }),
        Some(Value::String(text)) if text.trim().is_empty() => Err(invalid(field, "is empty")),
        Some(Value::String(text)) if text.trim() != text => {
            Err(invalid(field, "has spaces around the value"))
        }
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(invalid(
            field,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What the checks below need of a URL, as the browser's parser (WHATWG URL) reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct ParsedUrl {
    /// The scheme with its colon, lower-cased: `https:`.
    pub scheme: String,
    /// The host, normalised: lower-cased, IPv4 addresses in four decimal parts, IPv6 ones
    /// compressed and in brackets (`[::1]`).
    pub host: String,
    /// Scheme, host and port, as the browser writes them: `https://a.example.com:8443`.
    pub origin: String,
    /// Whether there is a user name or a password.
    pub has_user_info: bool,
}

/// Reads an absolute URL, or `None` for text that is not one.
pub type ReadUrl = fn(&str) -> Option<ParsedUrl>;

/// The browser's reading of `text` (`new URL(text)`). Its own parser, rather than one shipped
/// in the wasm: the `url` crate would bring its Unicode tables to every visitor, and a
/// hand-written one its IP address parsers.
pub fn browser_url(text: &str) -> Option<ParsedUrl> {
    let url = web_sys::Url::new(text).ok()?;
    Some(ParsedUrl {
        scheme: url.protocol(),
        host: url.hostname(),
        origin: url.origin(),
        has_user_info: !url.username().is_empty() || !url.password().is_empty(),
    })
}

/// An absolute http(s) URL without query, fragment or user info; plain http only for loopback
/// hosts; written as the browser reads it (so that what is compared or joined character by
/// character is what the browser will request).
fn url(fields: &Object, field: &'static str, read_url: ReadUrl) -> Result<(), ConfigError> {
    let text = string(fields, field)?;
    // The browser would drop control characters and read a backslash as `/`, silently.
    if text.contains(|c: char| c == '\\' || c.is_ascii_control()) {
        return Err(invalid(
            field,
            format!("must not contain backslashes or control characters: `{text}`"),
        ));
    }
    let url = read_url(text)
        .ok_or_else(|| invalid(field, format!("is not an absolute URL: `{text}`")))?;
    match url.scheme.as_str() {
        "https:" => {}
        "http:" if is_loopback(&url.host) => {}
        "http:" => {
            return Err(invalid(
                field,
                format!("must use https (plain http is only allowed for localhost): `{text}`"),
            ));
        }
        other => {
            return Err(invalid(
                field,
                format!("must be an http(s) URL, not `{other}`"),
            ));
        }
    }
    if text.contains(['?', '#']) {
        return Err(invalid(
            field,
            format!("must not have a query or fragment: `{text}`"),
        ));
    }
    if url.has_user_info {
        return Err(invalid(field, "must not contain a user name or password"));
    }
    let written = text.get(..url.origin.len());
    if !written.is_some_and(|written| written.eq_ignore_ascii_case(&url.origin)) {
        return Err(invalid(
            field,
            format!(
                "must start with its origin as the browser writes it, `{}`: `{text}`",
                url.origin
            ),
        ));
    }
    Ok(())
}

/// Whether a normalised host (see [`ParsedUrl::host`]) is this machine: `localhost`,
/// `127.x.x.x` or `[::1]`.
fn is_loopback(host: &str) -> bool {
    // A host of digits and dots only is an IPv4 address: the browser refuses any other.
    let ipv4 = || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    host == "localhost" || host == "[::1]" || (host.starts_with("127.") && ipv4())
}

/// A base URL that paths are appended to: no trailing slash, whatever was written.
fn base_url(
    fields: &Object,
    field: &'static str,
    read_url: ReadUrl,
) -> Result<String, ConfigError> {
    url(fields, field, read_url)?;
    Ok(string(fields, field)?.trim_end_matches('/').to_owned())
}

/// A URL that must match a registration character for character, so it is kept as written.
fn exact_url(
    fields: &Object,
    field: &'static str,
    read_url: ReadUrl,
) -> Result<String, ConfigError> {
    url(fields, field, read_url)?;
    Ok(string(fields, field)?.to_owned())
}

fn issuer(fields: &Object, read_url: ReadUrl) -> Result<String, ConfigError> {
    let text = exact_url(fields, "issuer", read_url)?;
    if text.ends_with('/') {
        // `iss` is compared exactly; Cognito's issuer never ends with a slash.
        return Err(invalid(
            "issuer",
            format!("must not end with `/`: `{text}`"),
        ));
    }
    Ok(text)
}

fn client_id(fields: &Object) -> Result<String, ConfigError> {
    let text = string(fields, "client_id")?;
    // Cognito's pattern for client ids is `[\w+]+`, at most 128 characters.
    if text.len() > 128
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+')
    {
        return Err(invalid(
            "client_id",
            "must be the app client id: letters, digits, `_` or `+`, at most 128 characters",
        ));
    }
    Ok(text.to_owned())
}

fn scopes(fields: &Object) -> Result<Vec<String>, ConfigError> {
    let field = "scopes";
    let items = match fields.get(field) {
        None | Some(Value::Null) => return Err(ConfigError::Missing { field }),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(invalid(
                field,
                format!("must be an array of strings, not {}", json_kind(other)),
            ));
        }
    };
    let mut scopes = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(scope)
                if !scope.is_empty()
                    && scope
                        .chars()
                        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\') =>
            {
                scopes.push(scope.clone());
            }
            other => {
                return Err(invalid(
                    field,
                    format!("contains {other}, which is not a scope name (no spaces or quotes)"),
                ));
            }
        }
    }
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(invalid(
            field,
            "must contain \"openid\" (without it there is no ID token)",
        ));
    }
    Ok(scopes)
}

fn token_storage(fields: &Object) -> Result<TokenStorage, ConfigError> {
    let field = "token_storage";
    match fields.get(field) {
        None | Some(Value::Null) => Ok(TokenStorage::default()),
        Some(Value::String(kind)) if kind == "memory" => Ok(TokenStorage::Memory),
        Some(Value::String(kind)) if kind == "session" => Ok(TokenStorage::Session),
        Some(Value::String(kind)) if kind == "local" || kind == "localStorage" => Err(invalid(
            field,
            "must not be localStorage (any script on the origin could read tokens there for good); use \"memory\" or \"session\"",
        )),
        Some(other) => Err(invalid(
            field,
            format!("must be \"memory\" or \"session\", not {other}"),
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The `url` crate's reading of `text`, which follows the same standard as browsers (WHATWG
    /// URL): the host's stand-in for [`browser_url`], which tests/web_config.rs runs.
    fn host_url(text: &str) -> Option<ParsedUrl> {
        let url = url::Url::parse(text).ok()?;
        Some(ParsedUrl {
            scheme: format!("{}:", url.scheme()),
            host: url.host_str().unwrap_or_default().to_owned(),
            origin: url.origin().ascii_serialization(),
            has_user_info: !url.username().is_empty() || url.password().is_some(),
        })
    }

    /// `config.json` as the browser would parse it, its URLs read as the browser would.
    fn from_value(value: serde_json::Value) -> Result<AppConfig, ConfigError> {
        AppConfig::from_value(value.into(), host_url)
    }

    /// public/config.json, as the browser would read it.
    pub(crate) fn shipped() -> AppConfig {
        let text = include_str!("../public/config.json");
        from_value(serde_json::from_str(text).unwrap()).unwrap()
    }

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "hosted_ui_url": "http://localhost:9229",
            "issuer": "http://localhost:9229/us-east-1_DevStack01",
            "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
            "redirect_uri": "http://localhost:8080/callback",
            "sign_out_uri": "http://localhost:8080/signed-out",
            "scopes": ["openid", "email", "profile", "api/read", "api/write"],
            "api_base_url": "http://localhost:3000",
            "token_storage": "memory"
        })
    }

    fn parse_with(
        change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> Result<AppConfig, ConfigError> {
        let mut value = sample();
        if let serde_json::Value::Object(fields) = &mut value {
            change(fields);
        }
        from_value(value)
    }

    fn problem_of(result: Result<AppConfig, ConfigError>) -> (String, String) {
        match result {
            Err(ConfigError::Invalid { field, problem }) => (field.to_owned(), problem),
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn the_shipped_config_parses() {
        let config = shipped();
        assert_eq!(config.client_id.as_str(), "3n4b5urk1ft4fl3mg5e62d9ado");
        assert_eq!(config.token_storage, TokenStorage::Memory);
        assert_eq!(
            config.jwks_url(),
            "http://localhost:9229/us-east-1_DevStack01/.well-known/jwks.json"
        );
        assert_eq!(
            config.hosted_ui_endpoint("/oauth2/token"),
            "http://localhost:9229/oauth2/token"
        );
    }

    #[test]
    fn token_storage_defaults_to_memory_and_accepts_session() {
        let config = parse_with(|fields| {
            fields.remove("token_storage");
        })
        .unwrap();
        assert_eq!(config.token_storage, TokenStorage::Memory);
        let config = parse_with(|fields| {
            fields.insert("token_storage".into(), "session".into());
        })
        .unwrap();
        assert_eq!(config.token_storage, TokenStorage::Session);
    }

    #[test]
    fn local_storage_is_refused_with_the_reason() {
        let (field, problem) = problem_of(parse_with(|fields| {
            fields.insert("token_storage".into(), "local".into());
        }));
        assert_eq!(field, "token_storage");
        assert!(problem.contains("localStorage"), "{problem}");
        let (_, problem) = problem_of(parse_with(|fields| {
            fields.insert("token_storage".into(), "cookie".into());
        }));
        assert!(problem.contains("\"memory\" or \"session\""), "{problem}");
    }

    #[test]
    fn base_urls_lose_their_trailing_slash() {
        let config = parse_with(|fields| {
            fields.insert(
                "api_base_url".into(),
                "https://api.example.com/prod/".into(),
            );
            fields.insert(
                "hosted_ui_url".into(),
                "https://x.auth.us-east-1.amazoncognito.com/".into(),
            );
        })
        .unwrap();
        assert_eq!(config.api_base_url, "https://api.example.com/prod");
        assert_eq!(
            config.hosted_ui_url,
            "https://x.auth.us-east-1.amazoncognito.com"
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        for field in FIELDS.iter().filter(|field| **field != "token_storage") {
            let error = parse_with(|fields| {
                fields.remove(*field);
            })
            .unwrap_err();
            assert_eq!(error, ConfigError::Missing { field });
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    #[test]
    fn an_unknown_field_is_named() {
        let error = parse_with(|fields| {
            fields.insert("token_storge".into(), "session".into());
        })
        .unwrap_err();
        assert_eq!(
            error,
            ConfigError::UnknownField {
                field: "token_storge".into()
            }
        );
        assert!(
            error.to_string().contains("token_storage"),
            "lists the known fields: {error}"
        );
    }

    #[test]
    fn not_an_object_is_reported() {
        // Text that is not JSON at all: tests/web_json.rs, where the browser parses it.
        assert!(matches!(
            from_value(serde_json::json!([1])),
            Err(ConfigError::NotJson(_))
        ));
    }

    #[test]
    fn the_single_page_fallback_in_place_of_the_file_is_named() {
        let index = "\n  <!DOCTYPE html>\n<html lang=\"en\"><head></head></html>";
        let error = AppConfig::from_json(index).unwrap_err();
        assert_eq!(error, ConfigError::WebPage);
        assert!(
            error.to_string().contains("deployed next to index.html"),
            "{error}"
        );
    }

    #[test]
    fn wrong_types_are_reported() {
        let (field, problem) = problem_of(parse_with(|fields| {
            fields.insert("client_id".into(), 42.into());
        }));
        assert_eq!(
            (field.as_str(), problem.as_str()),
            ("client_id", "must be a string, not a number")
        );
        let (field, problem) = problem_of(parse_with(|fields| {
            fields.insert("scopes".into(), "openid email".into());
        }));
        assert_eq!(field, "scopes");
        assert!(problem.contains("array"), "{problem}");
    }

    include!("../tests/support/url_cases.rs");

    #[test]
    fn urls_are_checked_as_a_browser_reads_them() {
        for (text, expected) in URL_CASES {
            let result = parse_with(|fields| {
                fields.insert("hosted_ui_url".into(), text.into());
            });
            if expected.is_empty() {
                assert!(result.is_ok(), "{text}: {result:?}");
            } else {
                let (field, problem) = problem_of(result);
                assert_eq!(field, "hosted_ui_url");
                assert!(problem.contains(expected), "{text}: {problem}");
            }
        }
    }

    #[test]
    fn a_broken_url_is_quoted() {
        let (field, problem) = problem_of(parse_with(|fields| {
            fields.insert(
                "api_base_url".into(),
                "https://api.example.com:70000".into(),
            );
        }));
        assert_eq!(field, "api_base_url");
        assert_eq!(
            problem,
            "is not an absolute URL: `https://api.example.com:70000`"
        );
    }

    #[test]
    fn loopback_may_use_plain_http() {
        let config = parse_with(|fields| {
            fields.insert(
                "redirect_uri".into(),
                "http://127.0.0.1:41234/callback".into(),
            );
        })
        .unwrap();
        assert_eq!(
            config.redirect_uri.as_str(),
            "http://127.0.0.1:41234/callback"
        );
    }

    #[test]
    fn the_issuer_must_not_end_with_a_slash() {
        let (field, problem) = problem_of(parse_with(|fields| {
            fields.insert("issuer".into(), "http://localhost:9229/pool/".into());
        }));
        assert_eq!(field, "issuer");
        assert!(problem.contains("must not end with `/`"), "{problem}");
    }

    #[test]
    fn client_ids_are_checked() {
        let (field, _) = problem_of(parse_with(|fields| {
            fields.insert("client_id".into(), "abc def".into());
        }));
        assert_eq!(field, "client_id");
    }

    #[test]
    fn scopes_need_openid_and_plain_names() {
        let (_, problem) = problem_of(parse_with(|fields| {
            fields.insert("scopes".into(), serde_json::json!(["email"]));
        }));
        assert!(problem.contains("openid"), "{problem}");
        let (_, problem) = problem_of(parse_with(|fields| {
            fields.insert("scopes".into(), serde_json::json!(["openid", "api read"]));
        }));
        assert!(problem.contains("\"api read\""), "{problem}");
        let (_, problem) = problem_of(parse_with(|fields| {
            fields.insert("scopes".into(), serde_json::json!(["openid", 3]));
        }));
        assert!(problem.contains('3'), "{problem}");
    }
}
