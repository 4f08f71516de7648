//! The OAuth 2.0 + OpenID Connect client: PKCE, the hosted-UI redirects, token validation and the
//! session.
//!
//! Pure protocol logic (tested on the host with `cargo test`): [`types`], [`flow`], [`jwt`],
//! [`claims`], [`session`], [`return_path`], [`error`]. Thin browser adapters (tested in headless
//! Chromium, `tests/web_*.rs`): [`crypto`] (WebCrypto), [`storage`], [`endpoints`] (fetch),
//! [`tabs`] (BroadcastChannel, Web Locks). The UI uses [`Auth`], from [`provide_auth`] /
//! [`use_auth`].

pub mod claims;
mod context;
pub mod crypto;
pub mod endpoints;
pub mod error;
pub mod flow;
pub mod jwt;
pub mod return_path;
pub mod session;
pub mod storage;
pub mod tabs;
pub mod types;

pub use context::{Auth, AuthFuture, AuthState, SignOutReason, UserInfo, provide_auth, use_auth};
pub use error::{AuthError, TokenError};
pub use return_path::sanitize_return_path;
pub use session::Session;
pub use types::{
    AccessToken, AuthorizationCode, ClientId, IdToken, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUri, RefreshToken, SessionId, State,
};
