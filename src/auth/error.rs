//! What can go wrong while signing in, keeping a session or signing out, in words a person can
//! act on.

/// Why a token was not accepted. A token that fails any check signs nobody in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is not a well-formed JWT (three base64url parts, JSON header and claims).
    #[error("the {token} is not a well-formed JWT: {reason}")]
    Malformed {
        /// Which token ("ID token" or "access token").
        token: &'static str,
        /// What is broken.
        reason: String,
    },
    /// The header names an algorithm other than RS256 (for example `none`).
    #[error("the {token} is signed with `{alg}`; only RS256 is accepted")]
    UnsupportedAlgorithm {
        /// Which token.
        token: &'static str,
        /// The algorithm from the header.
        alg: String,
    },
    /// The header has no `kid`, so no key of the issuer can be chosen.
    #[error("the {token} names no signing key (`kid`)")]
    MissingKeyId {
        /// Which token.
        token: &'static str,
    },
    /// No key with this `kid` is published by the issuer, even after fetching the keys again.
    #[error(
        "the {token} was signed with key `{kid}`, which the issuer does not publish; check that `issuer` in config.json is the pool that issued it"
    )]
    UnknownKeyId {
        /// Which token.
        token: &'static str,
        /// The key id from the header.
        kid: String,
    },
    /// The signature does not match the issuer's key: the token was altered or forged.
    #[error("the {token}'s signature does not verify with the issuer's key")]
    BadSignature {
        /// Which token.
        token: &'static str,
    },
    /// A claim that must be present is absent or has the wrong type.
    #[error("the {token} has no valid `{claim}` claim")]
    MissingClaim {
        /// Which token.
        token: &'static str,
        /// The claim's name.
        claim: &'static str,
    },
    /// `iss` is not the configured issuer.
    #[error("the {token} was issued by `{found}`, expected `{expected}`")]
    WrongIssuer {
        /// Which token.
        token: &'static str,
        /// The configured issuer.
        expected: String,
        /// The `iss` claim.
        found: String,
    },
    /// `aud` does not contain this app's client id.
    #[error("the ID token is meant for {found:?}, not for this app (`{client_id}`)")]
    WrongAudience {
        /// This app's client id.
        client_id: String,
        /// The `aud` claim.
        found: Vec<String>,
    },
    /// Several audiences, and `azp` is not this app's client id (OIDC Core 3.1.3.7, 4-5).
    #[error("the ID token has several audiences and its authorized party is not this app")]
    WrongAuthorizedParty,
    /// The access token's `client_id` is not this app's.
    #[error("the access token was issued to client `{found}`, not to this app (`{expected}`)")]
    WrongClient {
        /// This app's client id.
        expected: String,
        /// The `client_id` claim.
        found: String,
    },
    /// `token_use` says this is another kind of token (an access token given as ID token...).
    #[error("the {token} has token_use `{found}`, expected `{expected}`")]
    WrongTokenUse {
        /// Which token.
        token: &'static str,
        /// The expected `token_use`.
        expected: &'static str,
        /// The `token_use` claim.
        found: String,
    },
    /// `exp` is not in the future.
    #[error("the {token} expired at {exp} (now {now}); check the computer's clock if this repeats")]
    Expired {
        /// Which token.
        token: &'static str,
        /// The `exp` claim (seconds since the epoch).
        exp: i64,
        /// The current time (seconds since the epoch).
        now: i64,
    },
    /// `iat` is further in the future than clock skew explains.
    #[error(
        "the {token} claims to be issued at {iat}, in the future (now {now}); check the computer's clock"
    )]
    IssuedInTheFuture {
        /// Which token.
        token: &'static str,
        /// The `iat` claim.
        iat: i64,
        /// The current time.
        now: i64,
    },
    /// The ID token's `nonce` is absent or not the one this sign-in sent: a replayed token.
    #[error("the ID token's nonce does not match this sign-in (a replayed or injected token)")]
    NonceMismatch,
    /// The ID token's `at_hash` does not match the access token: they were not issued together.
    #[error(
        "the ID token's at_hash does not match the access token (they were not issued together)"
    )]
    AccessTokenHashMismatch,
    /// The ID and access tokens describe different users.
    #[error("the ID token and the access token belong to different users")]
    SubjectMismatch,
    /// A refreshed ID token names another issuer, subject or audience than the session's.
    #[error("the refreshed ID token changed `{claim}`; it belongs to another user or issuer")]
    IdentityChanged {
        /// The claim that changed (`iss`, `sub` or `aud`).
        claim: &'static str,
    },
}

/// Everything that can go wrong in the auth flows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The callback URL has no `state`, so it cannot be matched to a sign-in.
    #[error("the sign-in answer carries no state; start signing in again from this app")]
    MissingState,
    /// No sign-in is pending in this tab: the callback was already used (a reload or the back
    /// button) or the sign-in was started elsewhere.
    #[error("this sign-in answer was already used or was not started in this tab; sign in again")]
    UnknownState,
    /// The callback's `state` is not the one this tab sent: possibly a forged sign-in.
    #[error("the sign-in answer does not belong to the sign-in this tab started; sign in again")]
    StateMismatch,
    /// The sign-in was started too long ago; codes are only valid for a few minutes.
    #[error("the sign-in took too long (more than {max_minutes} minutes); sign in again")]
    SignInExpired {
        /// The limit, in minutes.
        max_minutes: i64,
    },
    /// The hosted UI sent the user back with `error=` instead of a code.
    #[error("{}", hosted_ui_message(.error, .description.as_deref()))]
    HostedUi {
        /// The OAuth error code, e.g. `access_denied`.
        error: String,
        /// The hosted UI's own description, if any.
        description: Option<String>,
    },
    /// The callback has a valid state but no `code`.
    #[error("the sign-in answer carries neither a code nor an error; sign in again")]
    MissingCode,
    /// A token failed validation.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// An OAuth endpoint (token, revoke) refused the request with an OAuth error.
    #[error("{}", refusal_message(.endpoint, .error, .description.as_deref()))]
    Refused {
        /// Which endpoint.
        endpoint: &'static str,
        /// The OAuth error code, e.g. `invalid_grant`.
        error: String,
        /// The server's description, if any.
        description: Option<String>,
    },
    /// The token endpoint answered without an ID token, or without an access token.
    #[error(
        "the token endpoint's answer has no {0}; check that the `openid` scope is allowed for the app client"
    )]
    MissingToken(&'static str),
    /// An endpoint answered with an unexpected HTTP status.
    #[error("{endpoint} answered HTTP {status}")]
    Status {
        /// Which endpoint.
        endpoint: &'static str,
        /// The status code.
        status: u16,
    },
    /// An endpoint could not be reached (network down, server down, or blocked by CORS).
    #[error(
        "could not reach {endpoint}: {message}. Check the network and that the server allows this origin (CORS)"
    )]
    Unreachable {
        /// Which endpoint.
        endpoint: &'static str,
        /// The browser's message.
        message: String,
    },
    /// An endpoint's answer is not the JSON it should be.
    #[error("{endpoint} answered with unexpected content: {message}")]
    BadResponse {
        /// Which endpoint.
        endpoint: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// `/oauth2/userInfo` describes another user than the ID token.
    #[error("the user info belongs to another user (sub `{found}`) than the signed-in one")]
    UserInfoMismatch {
        /// The `sub` from userInfo.
        found: String,
    },
    /// There is no session for this operation.
    #[error("you are not signed in")]
    NotSignedIn,
    /// The session has no refresh token, so it cannot be renewed.
    #[error("the session cannot be renewed (there is no refresh token); sign in again")]
    NoRefreshToken,
    /// A browser facility this app needs is missing or failed (WebCrypto, sessionStorage...).
    #[error("the browser could not {action}: {message}")]
    Browser {
        /// What was attempted.
        action: &'static str,
        /// The browser's message.
        message: String,
    },
}

impl AuthError {
    /// Whether a failed renewal means the session is over: the token endpoint refused the
    /// refresh token or this client, there is no refresh token, or the new tokens failed their
    /// checks. Anything else (the network, a server error, an unexpected answer, the browser)
    /// may pass, so the session is kept and renewing is tried again later.
    pub fn ends_session(&self) -> bool {
        match self {
            AuthError::Refused { error, .. } => matches!(
                error.as_str(),
                "invalid_grant"
                    | "invalid_client"
                    | "unauthorized_client"
                    | "unsupported_grant_type"
                    | "invalid_request"
            ),
            AuthError::Unreachable { .. }
            | AuthError::Status { .. }
            | AuthError::BadResponse { .. }
            | AuthError::Browser { .. } => false,
            AuthError::MissingState
            | AuthError::UnknownState
            | AuthError::StateMismatch
            | AuthError::SignInExpired { .. }
            | AuthError::HostedUi { .. }
            | AuthError::MissingCode
            | AuthError::Token(_)
            | AuthError::MissingToken(_)
            | AuthError::UserInfoMismatch { .. }
            | AuthError::NotSignedIn
            | AuthError::NoRefreshToken => true,
        }
    }
}

fn hosted_ui_message(error: &str, description: Option<&str>) -> String {
    let plain = match error {
        "access_denied" => "Sign-in was cancelled or access was denied.",
        "invalid_scope" => {
            "The app asked for a scope its app client may not use; check `scopes` in config.json."
        }
        "unauthorized_client" => {
            "The app client may not use the authorization code flow; enable it for the app client."
        }
        "unsupported_response_type" => "The sign-in service does not support this kind of sign-in.",
        "invalid_request" => "The sign-in service rejected the request as malformed.",
        "server_error" | "temporarily_unavailable" => {
            "The sign-in service had a problem; try again in a moment."
        }
        _ => "The sign-in service reported an error.",
    };
    with_details(plain, error, description)
}

fn refusal_message(endpoint: &str, error: &str, description: Option<&str>) -> String {
    let plain = match error {
        "invalid_grant" => {
            "The sign-in code or refresh token was refused (used already, expired or revoked); sign in again.".to_owned()
        }
        "invalid_client" | "unauthorized_client" => {
            format!("{endpoint} does not accept this app client; check `client_id` in config.json.")
        }
        "invalid_request" => format!("{endpoint} rejected the request as malformed."),
        _ => format!("{endpoint} refused the request."),
    };
    with_details(&plain, error, description)
}

fn with_details(plain: &str, error: &str, description: Option<&str>) -> String {
    match description {
        Some(description) if !description.is_empty() => {
            format!("{plain} ({error}: {description})")
        }
        _ => format!("{plain} ({error})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_ui_errors_are_in_plain_words_with_the_code() {
        let error = AuthError::HostedUi {
            error: "access_denied".into(),
            description: Some("User cancelled".into()),
        };
        assert_eq!(
            error.to_string(),
            "Sign-in was cancelled or access was denied. (access_denied: User cancelled)"
        );
        let error = AuthError::HostedUi {
            error: "weird".into(),
            description: None,
        };
        assert_eq!(
            error.to_string(),
            "The sign-in service reported an error. (weird)"
        );
    }

    fn refused(error: &str) -> AuthError {
        AuthError::Refused {
            endpoint: "the token endpoint",
            error: error.into(),
            description: None,
        }
    }

    #[test]
    fn only_definite_refusals_end_a_session() {
        for ending in [
            refused("invalid_grant"),
            refused("invalid_client"),
            refused("unauthorized_client"),
            AuthError::NoRefreshToken,
            AuthError::MissingToken("ID token"),
            AuthError::Token(TokenError::BadSignature { token: "ID token" }),
            AuthError::Token(TokenError::IdentityChanged { claim: "sub" }),
        ] {
            assert!(ending.ends_session(), "{ending:?}");
        }
        for passing in [
            AuthError::Unreachable {
                endpoint: "the token endpoint",
                message: "NetworkError".into(),
            },
            AuthError::Unreachable {
                endpoint: "the issuer's key set (jwks.json)",
                message: "NetworkError".into(),
            },
            AuthError::Status {
                endpoint: "the token endpoint",
                status: 503,
            },
            AuthError::BadResponse {
                endpoint: "the token endpoint",
                message: "expected value at line 1 column 1".into(),
            },
            AuthError::Browser {
                action: "wait for the refresh lock",
                message: "timed out".into(),
            },
            refused("temporarily_unavailable"),
        ] {
            assert!(!passing.ends_session(), "{passing:?}");
        }
    }

    #[test]
    fn token_endpoint_errors_say_what_to_do() {
        let error = AuthError::Refused {
            endpoint: "the token endpoint",
            error: "invalid_grant".into(),
            description: None,
        };
        assert!(error.to_string().contains("sign in again"), "{error}");
        let error = AuthError::Refused {
            endpoint: "the revoke endpoint",
            error: "invalid_client".into(),
            description: Some("unknown client".into()),
        };
        assert_eq!(
            error.to_string(),
            "the revoke endpoint does not accept this app client; check `client_id` in config.json. (invalid_client: unknown client)"
        );
    }
}
