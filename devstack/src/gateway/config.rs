//! The `[api]` section of the devstack configuration: routes and CORS, as an API Gateway HTTP API
//! declares them (`AWS::ApiGatewayV2::Route` and the API's `CorsConfiguration`).

use std::collections::HashSet;

use serde::Deserialize;
use url::Url;

/// API Gateway's bound for `CorsConfiguration.MaxAge`, in seconds.
const MAX_AGE_LIMIT: u32 = 86_400;

/// `[api]`: the HTTP API. Missing keys take the defaults of the project's contract (the five
/// routes of the `api` crate and the SPA's CORS policy on `http://localhost:8080`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// `[[api.routes]]`, matched as API Gateway does (most specific path first).
    pub routes: Vec<RouteConfig>,
    /// `[api.cors]`: once configured, the gateway answers preflights itself.
    pub cors: CorsConfig,
    /// `audiences`: the app client ids the JWT authorizer accepts (`aud`, or `client_id` of an
    /// access token). Absent means the SPA's client only, as the deployed authorizer has it;
    /// [`crate::Config::api_audiences`] resolves it and [`crate::Config::validate`] checks that
    /// each names a configured client.
    pub audiences: Option<Vec<String>>,
}

/// One `[[api.routes]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// An HTTP method in capitals, or `ANY`.
    pub method: String,
    /// `/literal/{param}/{greedy+}`: starts with `/`; a `{name+}` segment only at the end.
    pub path: String,
    /// What serves the route; only the in-process `api` crate exists.
    #[serde(default)]
    pub integration: Integration,
    /// `none` or `jwt` (the pool's JWT authorizer).
    #[serde(default)]
    pub authorizer: AuthorizerKind,
    /// With `authorizer = "jwt"`: the token's `scope` must contain at least one of these.
    #[serde(default)]
    pub authorization_scopes: Vec<String>,
}

/// The integration behind a route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integration {
    /// The `api` crate's Router, called in-process with a payload-2.0 request context.
    #[default]
    Api,
}

/// The authorization type of a route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizerKind {
    /// Open route (`AuthorizationType: NONE`).
    #[default]
    None,
    /// API Gateway's JWT authorizer with the pool as issuer (`AuthorizationType: JWT`).
    Jwt,
}

/// `[api.cors]`: API Gateway's `CorsConfiguration`. Names are case-insensitive where HTTP says so
/// (methods and headers); origins match exactly, as API Gateway matches them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Origins like `http://localhost:8080` (scheme, host, port; no path), or `*`.
    pub allow_origins: Vec<String>,
    /// Methods a preflight may ask for, or `*`.
    pub allow_methods: Vec<String>,
    /// Request headers a preflight may ask for, or `*`.
    pub allow_headers: Vec<String>,
    /// Response headers the browser may show to scripts.
    pub expose_headers: Vec<String>,
    /// How long browsers may cache a preflight, in seconds (0 to 86400); unset sends none.
    pub max_age: Option<u32>,
    /// Sends `Access-Control-Allow-Credentials: true`; not allowed with the origin `*`.
    pub allow_credentials: bool,
}

/// A field of `[api]` that API Gateway (or devstack) would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config field `{field}` is not valid: {reason}")]
pub struct ApiConfigError {
    /// Path of the field, e.g. `api.routes[2].path`.
    pub field: String,
    /// What is wrong and what would be right.
    pub reason: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiConfigError {
    ApiConfigError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The one scope of the access tokens Cognito issues through its JSON API (the command line's
/// sign-in): the read routes accept it besides `api/read`, so `aws cognito-idp initiate-auth`
/// tokens can call them. Writing stays with `api/write`, which only the SPA's client has.
const USER_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

impl Default for ApiConfig {
    fn default() -> Self {
        let route = |method: &str, path: &str, scopes: &[&str]| RouteConfig {
            method: method.into(),
            path: path.into(),
            integration: Integration::Api,
            authorizer: if scopes.is_empty() {
                AuthorizerKind::None
            } else {
                AuthorizerKind::Jwt
            },
            authorization_scopes: scopes.iter().map(|s| s.to_string()).collect(),
        };
        Self {
            routes: vec![
                route("GET", "/open", &[]),
                route("GET", "/hello", &["api/read", USER_ADMIN_SCOPE]),
                route("GET", "/echo", &["api/read", USER_ADMIN_SCOPE]),
                route("POST", "/echo", &["api/write"]),
                route("GET", "/admin", &["api/read", USER_ADMIN_SCOPE]),
            ],
            cors: CorsConfig::default(),
            audiences: None,
        }
    }
}

impl Default for CorsConfig {
    fn default() -> Self {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Self {
            allow_origins: strings(&["http://localhost:8080"]),
            allow_methods: strings(&["GET", "POST", "OPTIONS"]),
            allow_headers: strings(&["authorization", "content-type"]),
            expose_headers: strings(&["x-request-id"]),
            max_age: Some(3600),
            allow_credentials: false,
        }
    }
}

impl ApiConfig {
    /// Checks what API Gateway would refuse; the error names the field (`api.…`) and the reason.
    pub fn validate(&self) -> Result<(), ApiConfigError> {
        let mut route_keys = HashSet::new();
        for (i, route) in self.routes.iter().enumerate() {
            route.validate(&format!("api.routes[{i}]"))?;
            let key = route.route_key();
            if !route_keys.insert(key.clone()) {
                return Err(invalid(
                    format!("api.routes[{i}]"),
                    format!("the route key {key:?} is declared twice"),
                ));
            }
        }
        self.cors.validate()
    }
}

impl RouteConfig {
    /// API Gateway's route key, e.g. `GET /hello`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn validate(&self, field: &str) -> Result<(), ApiConfigError> {
        const METHODS: [&str; 8] = [
            "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
        ];
        if !METHODS.contains(&self.method.as_str()) {
            return Err(invalid(
                format!("{field}.method"),
                format!("{:?} is not one of {}", self.method, METHODS.join(", ")),
            ));
        }
        parse_path(&self.path).map_err(|reason| invalid(format!("{field}.path"), reason))?;
        match self.authorizer {
            AuthorizerKind::None if !self.authorization_scopes.is_empty() => Err(invalid(
                format!("{field}.authorization_scopes"),
                "scopes need `authorizer = \"jwt\"`; an open route cannot check them",
            )),
            _ => match self.authorization_scopes.iter().position(|s| !is_scope(s)) {
                Some(j) => Err(invalid(
                    format!("{field}.authorization_scopes[{j}]"),
                    format!(
                        "{:?} is not a scope (printable ASCII without spaces or quotes)",
                        self.authorization_scopes[j]
                    ),
                )),
                None => Ok(()),
            },
        }
    }
}

fn is_scope(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

/// One segment of a route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Matches itself exactly.
    Literal(String),
    /// `{name}`: matches any one non-empty segment.
    Param(String),
    /// `{name+}`: matches the rest of the path (at least one segment).
    Greedy(String),
}

/// Splits a route path into segments, or says why it is not one API Gateway accepts.
pub(crate) fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("{path:?} must start with \"/\""));
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let is_last = i + 1 == parts.len();
        let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => match name.strip_suffix('+') {
                Some(name) if is_last && is_param_name(name) => Segment::Greedy(name.into()),
                Some(_) if !is_last => {
                    return Err(format!(
                        "{path:?}: a greedy {{name+}} segment must come last"
                    ));
                }
                None if is_param_name(name) => Segment::Param(name.into()),
                _ => {
                    return Err(format!(
                        "{path:?}: {part:?} is not a path parameter like {{name}} (letters, digits, _ or -)"
                    ));
                }
            },
            None if part.is_empty() => {
                return Err(format!(
                    "{path:?} has an empty segment (\"//\" or a trailing \"/\")"
                ));
            }
            None if part.contains(['{', '}']) => {
                return Err(format!("{path:?}: {part:?} mixes text and braces"));
            }
            None => Segment::Literal((*part).to_owned()),
        };
        segments.push(segment);
    }
    Ok(segments)
}

fn is_param_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl CorsConfig {
    /// True when every origin is allowed (`*`).
    pub(crate) fn any_origin(&self) -> bool {
        self.allow_origins.iter().any(|o| o == "*")
    }

    fn validate(&self) -> Result<(), ApiConfigError> {
        for (i, origin) in self.allow_origins.iter().enumerate() {
            if origin != "*" && !is_origin(origin) {
                return Err(invalid(
                    format!("api.cors.allow_origins[{i}]"),
                    format!(
                        "{origin:?} is not an origin: write scheme, host and port only, like \"http://localhost:8080\" (no path, no trailing \"/\"), or \"*\""
                    ),
                ));
            }
        }
        if self.allow_credentials && self.any_origin() {
            return Err(invalid(
                "api.cors.allow_credentials",
                "cannot be true while allow_origins contains \"*\" (API Gateway refuses it, and so do browsers)",
            ));
        }
        let lists = [
            ("allow_methods", &self.allow_methods),
            ("allow_headers", &self.allow_headers),
            ("expose_headers", &self.expose_headers),
        ];
        for (name, items) in lists {
            if let Some(i) = items.iter().position(|item| !is_token(item) && item != "*") {
                return Err(invalid(
                    format!("api.cors.{name}[{i}]"),
                    format!("{:?} is not an HTTP token (or \"*\")", items[i]),
                ));
            }
        }
        match self.max_age {
            Some(age) if age > MAX_AGE_LIMIT => Err(invalid(
                "api.cors.max_age",
                format!("{age} is over API Gateway's limit of {MAX_AGE_LIMIT} seconds"),
            )),
            _ => Ok(()),
        }
    }
}

fn is_origin(origin: &str) -> bool {
    Url::parse(origin).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.origin().ascii_serialization() == origin
    })
}

/// An HTTP token (RFC 9110 5.6.2), as header names and methods are.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<ApiConfig, String> {
        let config: ApiConfig = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    #[test]
    fn the_default_is_the_contract() {
        let config = ApiConfig::default();
        config.validate().expect("default is valid");
        let keys: Vec<String> = config.routes.iter().map(RouteConfig::route_key).collect();
        assert_eq!(
            keys,
            [
                "GET /open",
                "GET /hello",
                "GET /echo",
                "POST /echo",
                "GET /admin"
            ]
        );
        assert_eq!(config.routes[3].authorization_scopes, ["api/write"]);
        assert_eq!(config.routes[0].authorizer, AuthorizerKind::None);
        assert_eq!(config.cors.max_age, Some(3600));
        assert_eq!(parse("").expect("empty section"), config);
    }

    #[test]
    fn a_full_section_parses() {
        let config = parse(
            r#"
            [[routes]]
            method = "ANY"
            path = "/items/{id}/{rest+}"
            integration = "api"
            authorizer = "jwt"
            authorization_scopes = ["api/read"]

            [cors]
            allow_origins = ["https://app.example.com"]
            allow_methods = ["*"]
            allow_headers = ["authorization"]
            expose_headers = []
            allow_credentials = true
            "#,
        )
        .expect("valid");
        assert_eq!(config.routes.len(), 1);
        assert_eq!(
            config.cors.max_age,
            Some(3600),
            "missing keys keep the defaults"
        );
        assert!(config.cors.allow_credentials);
    }

    #[test]
    fn unknown_keys_and_values_are_refused_by_name() {
        let error =
            parse("[[routes]]\nmethod = \"GET\"\npath = \"/a\"\nscopes = []\n").unwrap_err();
        assert!(error.contains("unknown field `scopes`"), "{error}");
        let error = parse("[[routes]]\nmethod = \"GET\"\npath = \"/a\"\nauthorizer = \"iam\"\n")
            .unwrap_err();
        assert!(error.contains("unknown variant `iam`"), "{error}");
        let error =
            parse("[[routes]]\nmethod = \"GET\"\npath = \"/a\"\nintegration = \"lambda\"\n")
                .unwrap_err();
        assert!(error.contains("unknown variant `lambda`"), "{error}");
    }

    #[test]
    fn bad_values_name_the_field_and_the_reason() {
        let cases = [
            (
                "[[routes]]\nmethod = \"get\"\npath = \"/a\"",
                "config field `api.routes[0].method` is not valid: \"get\" is not one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
            ),
            (
                "[[routes]]\nmethod = \"GET\"\npath = \"a\"",
                "config field `api.routes[0].path` is not valid: \"a\" must start with \"/\"",
            ),
            (
                "[[routes]]\nmethod = \"GET\"\npath = \"/a/\"",
                "config field `api.routes[0].path` is not valid: \"/a/\" has an empty segment (\"//\" or a trailing \"/\")",
            ),
            (
                "[[routes]]\nmethod = \"GET\"\npath = \"/{p+}/a\"",
                "config field `api.routes[0].path` is not valid: \"/{p+}/a\": a greedy {name+} segment must come last",
            ),
            (
                "[[routes]]\nmethod = \"GET\"\npath = \"/a\"\nauthorization_scopes = [\"api/read\"]",
                "config field `api.routes[0].authorization_scopes` is not valid: scopes need `authorizer = \"jwt\"`; an open route cannot check them",
            ),
            (
                "[[routes]]\nmethod = \"GET\"\npath = \"/a\"\n[[routes]]\nmethod = \"GET\"\npath = \"/a\"",
                "config field `api.routes[1]` is not valid: the route key \"GET /a\" is declared twice",
            ),
            (
                "[cors]\nallow_origins = [\"http://localhost:8080/\"]",
                "config field `api.cors.allow_origins[0]` is not valid: \"http://localhost:8080/\" is not an origin: write scheme, host and port only, like \"http://localhost:8080\" (no path, no trailing \"/\"), or \"*\"",
            ),
            (
                "[cors]\nallow_origins = [\"*\"]\nallow_credentials = true",
                "config field `api.cors.allow_credentials` is not valid: cannot be true while allow_origins contains \"*\" (API Gateway refuses it, and so do browsers)",
            ),
            (
                "[cors]\nallow_headers = [\"x y\"]",
                "config field `api.cors.allow_headers[0]` is not valid: \"x y\" is not an HTTP token (or \"*\")",
            ),
            (
                "[cors]\nmax_age = 86401",
                "config field `api.cors.max_age` is not valid: 86401 is over API Gateway's limit of 86400 seconds",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn paths_split_into_segments() {
        assert_eq!(parse_path("/"), Ok(vec![]));
        assert_eq!(
            parse_path("/a/{id}/{proxy+}"),
            Ok(vec![
                Segment::Literal("a".into()),
                Segment::Param("id".into()),
                Segment::Greedy("proxy".into()),
            ])
        );
        assert!(parse_path("/a{b}").is_err());
        assert!(parse_path("/{}").is_err());
    }
}
