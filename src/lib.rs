//! cognito-spa: a Leptos single-page app that signs users in through Amazon Cognito's
//! hosted UI (authorization code + PKCE) and calls an API Gateway HTTP API.

pub mod api;
pub mod app;
pub mod auth;
pub mod components;
pub mod config;
pub mod encoding;
#[cfg(feature = "account-page")]
pub mod idp;
pub mod json;
pub mod pages;
pub mod routes;

pub use app::App;
