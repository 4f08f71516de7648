//! The contract between the SPA, devstack and the AWS deployment, written once.
//!
//! - [`SpaConfig`]: the shape of the SPA's `/config.json`. devstack generates it for itself,
//!   `cargo xtask deploy` writes it from the stack's outputs, and the SPA reads it at start
//!   (src/config.rs checks every field with a message naming it, against [`FIELDS`]).
//! - [`csp`] (feature `csp`): the Content-Security-Policy of the served SPA, with the SHA-256 of
//!   each inline script of the built index.html. devstack sends it; the deploy passes the same
//!   hashes to the template's response-headers policy. One implementation, so an index.html
//!   cannot get one policy locally and another on AWS.
//!
//! - [`is_spa_route`]: which requests get index.html and which name a file (a missing one is a
//!   404). devstack applies it; the template's CloudFront Function is held to it by a test.
//!
//! Other parts of the contract live where one side owns them and a test holds the other side to
//! them: the API's routes and scopes (devstack's `ApiConfig::default`, the SPA's `api::Route`,
//! the template, checked by devstack/tests/infra_in_step), the SPA's routes (`routes::Page`, the
//! callback and sign-out URLs of both configurations).

#[cfg(feature = "csp")]
pub mod csp;
mod spa_routes;

pub use spa_routes::is_spa_route;

use serde::{Deserialize, Serialize};

/// Where the SPA keeps its tokens. Never `localStorage`: any script of the origin could read
/// tokens there, for good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStorage {
    /// In the tab's memory only: a reload signs the user out (the default, and the safest).
    #[default]
    Memory,
    /// In the tab's `sessionStorage`: survives a reload, not the tab.
    Session,
}

impl TokenStorage {
    /// The value in config.json: `memory` or `session`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Session => "session",
        }
    }
}

/// `/config.json`: one build of the SPA serves any stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpaConfig {
    /// Base of the hosted UI (`/oauth2/authorize`, `/oauth2/token`, `/logout`, ...), no trailing
    /// slash.
    pub hosted_ui_url: String,
    /// The token issuer, exactly as in the `iss` claim. Its origin is also the
    /// identity-provider JSON API's endpoint (`https://cognito-idp.<region>.amazonaws.com`).
    pub issuer: String,
    /// The public app client's id.
    pub client_id: String,
    /// The callback URL, exactly as registered for the app client.
    pub redirect_uri: String,
    /// Where `/logout` sends the browser back to, exactly as registered.
    pub sign_out_uri: String,
    /// The scopes asked for on sign-in; always `openid`.
    pub scopes: Vec<String>,
    /// Base of the HTTP API, no trailing slash.
    pub api_base_url: String,
    /// Where the tokens are kept; `memory` when absent.
    #[serde(default)]
    pub token_storage: TokenStorage,
}

/// The fields of config.json, in order: what the SPA accepts (anything else is refused as a
/// likely typo).
pub const FIELDS: [&str; 8] = [
    "hosted_ui_url",
    "issuer",
    "client_id",
    "redirect_uri",
    "sign_out_uri",
    "scopes",
    "api_base_url",
    "token_storage",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SpaConfig {
        SpaConfig {
            hosted_ui_url: "http://localhost:9229".into(),
            issuer: "http://localhost:9229/us-east-1_DevStack01".into(),
            client_id: "3n4b5urk1ft4fl3mg5e62d9ado".into(),
            redirect_uri: "http://localhost:8080/callback".into(),
            sign_out_uri: "http://localhost:8080/signed-out".into(),
            scopes: vec!["openid".into(), "api/read".into()],
            api_base_url: "http://localhost:3000".into(),
            token_storage: TokenStorage::Session,
        }
    }

    #[test]
    fn the_json_names_every_field_in_order() {
        let text = serde_json::to_string_pretty(&sample()).unwrap();
        let parsed: SpaConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, sample());
        let order: Vec<usize> = FIELDS
            .iter()
            .map(|field| text.find(&format!("\"{field}\"")).expect(field))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(text.contains("\"token_storage\": \"session\""), "{text}");
        let mut extra = serde_json::to_value(sample()).unwrap();
        extra["secret"] = "x".into();
        assert!(
            serde_json::from_value::<SpaConfig>(extra).is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn token_storage_defaults_to_memory_and_knows_no_local_storage() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value.as_object_mut().unwrap().remove("token_storage");
        let parsed: SpaConfig = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(parsed.token_storage, TokenStorage::Memory);
        value["token_storage"] = "local".into();
        assert!(serde_json::from_value::<SpaConfig>(value).is_err());
        assert_eq!(TokenStorage::Session.as_str(), "session");
    }
}
