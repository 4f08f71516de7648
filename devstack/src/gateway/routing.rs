//! Route selection as API Gateway does it: the most specific matching route wins.

use std::collections::HashMap;

use axum::http::Method;

use super::config::{ApiConfig, AuthorizerKind, RouteConfig, Segment, parse_path};

/// A configured route, ready to match requests.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// `None` for `ANY`.
    method: Option<Method>,
    segments: Vec<Segment>,
    /// API Gateway's route key, e.g. `GET /hello`; it goes into the request context.
    pub(crate) key: String,
    /// Whether the JWT authorizer guards the route.
    pub(crate) authorizer: AuthorizerKind,
    /// The token must carry at least one of these (when not empty).
    pub(crate) scopes: Vec<String>,
}

/// A route chosen for a request, with the path parameters it captured.
#[derive(Debug)]
pub(crate) struct Matched<'a> {
    pub(crate) route: &'a Route,
    pub(crate) path_parameters: HashMap<String, String>,
}

impl Route {
    /// Compiles a route whose config passed [`ApiConfig::validate`].
    fn compile(config: &RouteConfig) -> Result<Self, String> {
        let method = match config.method.as_str() {
            "ANY" => None,
            name => Some(Method::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?),
        };
        Ok(Self {
            method,
            segments: parse_path(&config.path)?,
            key: config.route_key(),
            authorizer: config.authorizer,
            scopes: config.authorization_scopes.clone(),
        })
    }

    fn captures(&self, path: &[&str]) -> Option<HashMap<String, String>> {
        let mut parameters = HashMap::new();
        let mut rest = path;
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => {
                    let (first, tail) = rest.split_first()?;
                    if first != text {
                        return None;
                    }
                    rest = tail;
                }
                Segment::Param(name) => {
                    let (first, tail) = rest.split_first()?;
                    parameters.insert(name.clone(), (*first).to_owned());
                    rest = tail;
                }
                Segment::Greedy(name) => {
                    if rest.is_empty() {
                        return None;
                    }
                    parameters.insert(name.clone(), rest.join("/"));
                    rest = &[];
                }
            }
        }
        rest.is_empty().then_some(parameters)
    }

    /// Higher is more specific: no greedy segment, then more literal segments, then a named
    /// method over `ANY`.
    fn specificity(&self) -> (bool, usize, bool) {
        let greedy = self
            .segments
            .iter()
            .any(|s| matches!(s, Segment::Greedy(_)));
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        (!greedy, literals, self.method.is_some())
    }
}

/// All routes of the API.
#[derive(Debug, Clone)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Compiles validated routes.
    pub(crate) fn new(config: &ApiConfig) -> Result<Self, String> {
        let routes = config
            .routes
            .iter()
            .map(Route::compile)
            .collect::<Result<_, _>>()?;
        Ok(Self { routes })
    }

    /// The most specific route for `method path`, or `None` (API Gateway's 404 Not Found, also
    /// when only the method differs). `path` is the raw path; empty segments never match.
    pub(crate) fn find(&self, method: &Method, path: &str) -> Option<Matched<'_>> {
        let segments: Vec<&str> = match path.strip_prefix('/') {
            Some("") => Vec::new(),
            Some(rest) => rest.split('/').collect(),
            None => return None,
        };
        if segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        self.routes
            .iter()
            .filter(|route| route.method.as_ref().is_none_or(|m| m == method))
            .filter_map(|route| {
                route.captures(&segments).map(|path_parameters| Matched {
                    route,
                    path_parameters,
                })
            })
            .max_by_key(|matched| matched.route.specificity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::config::Integration;

    fn table(routes: &[(&str, &str)]) -> RouteTable {
        let config = ApiConfig {
            routes: routes
                .iter()
                .map(|(method, path)| RouteConfig {
                    method: (*method).into(),
                    path: (*path).into(),
                    integration: Integration::Api,
                    authorizer: AuthorizerKind::None,
                    authorization_scopes: vec![],
                })
                .collect(),
            ..ApiConfig::default()
        };
        config.validate().expect("valid");
        RouteTable::new(&config).expect("compiles")
    }

    fn key(table: &RouteTable, method: Method, path: &str) -> Option<String> {
        table.find(&method, path).map(|m| m.route.key.clone())
    }

    #[test]
    fn exact_routes_match_method_and_path() {
        let table = table(&[("GET", "/echo"), ("POST", "/echo"), ("GET", "/")]);
        assert_eq!(
            key(&table, Method::GET, "/echo").as_deref(),
            Some("GET /echo")
        );
        assert_eq!(
            key(&table, Method::POST, "/echo").as_deref(),
            Some("POST /echo")
        );
        assert_eq!(key(&table, Method::GET, "/").as_deref(), Some("GET /"));
        assert_eq!(key(&table, Method::DELETE, "/echo"), None);
        assert_eq!(key(&table, Method::GET, "/echo/"), None);
        assert_eq!(key(&table, Method::GET, "/Echo"), None);
        assert_eq!(key(&table, Method::GET, "//echo"), None);
    }

    #[test]
    fn the_most_specific_route_wins() {
        let table = table(&[
            ("ANY", "/{proxy+}"),
            ("GET", "/items/{id}"),
            ("ANY", "/items/special"),
            ("GET", "/items/special"),
        ]);
        assert_eq!(
            key(&table, Method::GET, "/items/special").as_deref(),
            Some("GET /items/special")
        );
        assert_eq!(
            key(&table, Method::PUT, "/items/special").as_deref(),
            Some("ANY /items/special")
        );
        let matched = table.find(&Method::GET, "/items/42").expect("matches");
        assert_eq!(matched.route.key, "GET /items/{id}");
        assert_eq!(matched.path_parameters["id"], "42");
        let matched = table.find(&Method::DELETE, "/a/b/c").expect("greedy");
        assert_eq!(matched.route.key, "ANY /{proxy+}");
        assert_eq!(matched.path_parameters["proxy"], "a/b/c");
        assert_eq!(
            key(&table, Method::GET, "/"),
            None,
            "greedy needs a segment"
        );
    }
}
