//! `--spa-origin`: the SPA is served by someone else (`trunk serve`), and devstack only has to
//! know its origin for the client's callback and sign-out URLs and the API's CORS origin.

use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::config::Config;

/// Where devstack serves the SPA's runtime configuration when the SPA is served elsewhere: on
/// the Cognito side, for a dev server to proxy `/config.json` to (Trunk.toml's `[[proxy]]`).
/// Cognito has no such path; devstack's own pages (the mailbox) share the prefix.
pub const SPA_CONFIG_PATH: &str = "/devstack/spa-config.json";

/// An http(s) origin the SPA is served from, such as `http://localhost:8080`: scheme, host and
/// port, nothing else. http only on `localhost`, as Cognito allows for callback URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaOrigin(Url);

/// Why a `--spa-origin` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a usable SPA origin: {reason}")]
pub struct SpaOriginError {
    value: String,
    reason: String,
}

impl SpaOrigin {
    /// Parses and checks an origin; the error says what is wrong and what to write instead.
    pub fn parse(value: &str) -> Result<Self, SpaOriginError> {
        let refuse = |reason: String| SpaOriginError {
            value: value.to_owned(),
            reason,
        };
        let url = Url::parse(value).map_err(|e| {
            refuse(format!(
                "not an absolute URL ({e}); write it as http://localhost:8080"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse(format!(
                "the scheme must be http or https, not {}",
                url.scheme()
            )));
        }
        let origin = url.origin().ascii_serialization();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("an origin has no user name or password".into()));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(refuse(format!(
                "an origin is scheme, host and port only, without a path, query or fragment: \
                 write {origin}"
            )));
        }
        if url.scheme() == "http" && url.host_str() != Some("localhost") {
            return Err(refuse(
                "Cognito allows http callback URLs only on localhost (not 127.0.0.1 or [::1]): \
                 write http://localhost:<port>, or use https"
                    .into(),
            ));
        }
        Ok(Self(url))
    }

    /// The origin as a URL with the path `/`, e.g. `http://localhost:8080/`.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// What a config lacks for the SPA on this origin to sign in and call the API: a callback or
    /// sign-out URL of the SPA's client, or the API's CORS origin. Empty when nothing is missing.
    pub fn missing_in(&self, config: &Config) -> Vec<&'static str> {
        let origin = self.0.origin();
        let on_origin = |urls: &[String]| {
            urls.iter()
                .any(|u| Url::parse(u).is_ok_and(|u| u.origin() == origin))
        };
        let mut missing = Vec::new();
        let (callbacks, logouts) = config
            .spa_client()
            .map(|c| (c.callback_urls.as_slice(), c.logout_urls.as_slice()))
            .unwrap_or_default();
        if !on_origin(callbacks) {
            missing.push("callback URLs");
        }
        if !on_origin(logouts) {
            missing.push("sign-out URLs");
        }
        // API Gateway's `*` lets every origin in.
        let cors = &config.api.cors.allow_origins;
        if !cors.iter().any(|o| o == "*") && !on_origin(cors) {
            missing.push("[api.cors] allow_origins");
        }
        missing
    }
}

impl FromStr for SpaOrigin {
    type Err = SpaOriginError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl fmt::Display for SpaOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.origin().ascii_serialization())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(value: &str) -> String {
        match SpaOrigin::parse(value) {
            Ok(origin) => panic!("{value:?} was accepted as {origin}"),
            Err(error) => error.reason,
        }
    }

    #[test]
    fn accepts_localhost_http_and_any_https_origin() {
        for (value, shown) in [
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://localhost:8080/", "http://localhost:8080"),
            ("HTTP://LOCALHOST:9000", "http://localhost:9000"),
            ("https://dev.example.com", "https://dev.example.com"),
            ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ] {
            let origin = SpaOrigin::parse(value).unwrap();
            assert_eq!(origin.to_string(), shown, "{value}");
            assert_eq!(origin.url().path(), "/");
        }
    }

    #[test]
    fn refuses_what_is_not_an_origin_and_says_why() {
        assert!(reason("localhost:8080").contains("scheme must be http or https"));
        assert!(reason("8080").contains("not an absolute URL"));
        assert!(reason("ftp://localhost:8080").contains("not ftp"));
        assert!(reason("http://localhost:8080/app").contains("write http://localhost:8080"));
        assert!(reason("http://localhost:8080/?x=1").contains("without a path, query"));
        assert!(reason("http://localhost:8080/#top").contains("fragment"));
        assert!(reason("http://me@localhost:8080").contains("user name"));
        assert!(reason("http://127.0.0.1:8080").contains("only on localhost"));
        assert!(reason("http://[::1]:8080").contains("only on localhost"));
        let error = SpaOrigin::parse("http://127.0.0.1:8080").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("\"http://127.0.0.1:8080\" is not a usable"),
            "{error}"
        );
    }

    #[test]
    fn names_what_a_config_lacks_for_the_origin() {
        let mut config = Config::embedded_default();
        let default = SpaOrigin::parse("http://localhost:8080").unwrap();
        assert!(default.missing_in(&config).is_empty());
        let other = SpaOrigin::parse("http://localhost:8081").unwrap();
        assert_eq!(other.missing_in(&config).len(), 3);
        config.move_spa_origin(default.url(), other.url());
        assert!(other.missing_in(&config).is_empty());
        assert_eq!(
            default.missing_in(&config),
            ["callback URLs", "sign-out URLs", "[api.cors] allow_origins"]
        );
        config.api.cors.allow_origins = vec!["*".into()];
        assert_eq!(
            default.missing_in(&config),
            ["callback URLs", "sign-out URLs"],
            "* allows every origin"
        );
    }
}
