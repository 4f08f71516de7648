//! One newtype per protocol value, so a state can never be passed where a nonce is expected and a
//! secret can never reach a log through `Debug`.

use serde::{Deserialize, Serialize};

/// A value that may be shown and logged: `Debug` prints it.
macro_rules! public_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A value that must never be shown: `Debug` prints `[redacted]` and there is no `Display`.
macro_rules! secret_value {
    ($(#[$doc:meta])* $name:ident $(, $derive:ident)*) => {
        $(#[$doc])*
        #[derive(PartialEq, Eq, Serialize, Deserialize $(, $derive)*)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret.
            pub fn new(secret: impl Into<String>) -> Self {
                Self(secret.into())
            }

            /// The secret itself, for the one place that has to send it.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

public_value!(
    /// The app client id registered in the user pool (a public client: there is no secret).
    ClientId
);
public_value!(
    /// The exact callback URL registered for the app client.
    RedirectUri
);
secret_value!(
    /// The one-time `state` that ties a callback to the sign-in this tab started. Secret like
    /// oauth2-rs's `CsrfToken`: whoever knows it can finish this tab's sign-in with their own code.
    State, Clone
);
secret_value!(
    /// The `nonce` sent on the authorize request and expected back in the ID token. Secret like
    /// openidconnect's `Nonce`: it binds the ID token to this sign-in.
    Nonce, Clone
);
public_value!(
    /// Names one sign-in's chain of tokens: made at sign-in, kept by every renewal. A tab opened
    /// from another starts with a copy of its `sessionStorage`, so the two share it.
    SessionId
);
public_value!(
    /// `BASE64URL(SHA256(code_verifier))`, sent on the authorize request (RFC 7636 4.2).
    PkceCodeChallenge
);
secret_value!(
    /// The PKCE code verifier (RFC 7636 4.1). Not `Clone`: it is created once, stored once and
    /// sent once.
    PkceCodeVerifier
);
secret_value!(
    /// The single-use authorization code from the callback.
    AuthorizationCode
);
secret_value!(
    /// The access token sent as `Authorization: Bearer` to the API.
    AccessToken, Clone
);
secret_value!(
    /// The ID token: who signed in.
    IdToken, Clone
);
secret_value!(
    /// The refresh token: trades for new ID and access tokens at the token endpoint.
    RefreshToken, Clone
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let rendered = format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            PkceCodeVerifier::new("verifier-value"),
            AuthorizationCode::new("code-value"),
            AccessToken::new("access-value"),
            IdToken::new("id-value"),
            RefreshToken::new("refresh-value"),
            State::new("state-value"),
            Nonce::new("nonce-value"),
        );
        assert!(!rendered.contains("value"), "{rendered}");
        assert!(rendered.contains("AccessToken([redacted])"), "{rendered}");
        assert!(
            rendered.contains("State([redacted]) Nonce([redacted])"),
            "{rendered}"
        );
    }
}
