//! API Gateway's JWT authorizer for HTTP APIs.
//!
//! The rules (AWS developer guide, "http-api-jwt-authorizer"):
//! - the token comes from the `Authorization` header, with or without `Bearer `;
//! - RS256 only (the algorithm is pinned; `alg: none` and HMAC are refused); `kid` must name a
//!   key of the issuer's JWKS;
//! - `iss` equals the configured issuer; `aud`, or `client_id` when there is no `aud`, is one of
//!   the configured audiences;
//! - `exp` is after now (a token is refused in the second it expires), `nbf` and `iat` are not
//!   in the future, by the stand-in's [`Clock`] (no leeway: the Cognito side issues tokens by
//!   the same clock, so advancing it in a test expires tokens here too and never makes new ones
//!   look issued in the future);
//! - a route with authorization scopes needs one of them in the token's `scope` (or `scp`).
//!
//! Every failure is 401 `{"message":"Unauthorized"}` with `www-authenticate: Bearer scope=""
//! error="invalid_token" error_description="…"`, the form API Gateway's troubleshooting guide
//! shows; a request without a token gets the bare challenge `Bearer` (RFC 6750 3.1: no error
//! code when no credentials were sent). A missing scope is 403 `{"message":"Forbidden"}` with
//! `error="insufficient_scope"`. Error descriptions are fixed texts: nothing from the token is
//! echoed into headers, and the token is never logged.
//!
//! Verified signatures are remembered (the stand-in's choice; how API Gateway caches is not
//! documented): checking an RS256 signature is most of the authorizer's cost (ring rebuilds the
//! public key for every check and offers no prepared verification key), and an SPA sends the same
//! access token with every call. The cache is keyed by the token's exact text, compared in full,
//! and the same bytes cannot verify differently, so only the signature check (and turning the
//! claims into the integration's strings and scopes, which depend on the token alone) is
//! skipped: issuer, audience, `exp`/`nbf`/`iat` by the clock and the route's scopes are checked
//! on every request. It holds at most [`VERIFIED_TOKENS_CAPACITY`] tokens and forgets the oldest
//! first.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation, decode, decode_header,
    errors::ErrorKind,
    jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm},
};
use serde_json::{Map, Value, json};

use crate::Clock;

/// How many verified tokens the authorizer remembers.
pub const VERIFIED_TOKENS_CAPACITY: usize = 10_000;

/// What a token whose signature verified tells every request that presents it, worked out
/// once: its claims (for the issuer, audience and time checks), the same claims stringified for
/// the integration, and its scopes.
#[derive(Debug, PartialEq)]
struct VerifiedToken {
    claims: Map<String, Value>,
    context_claims: Arc<HashMap<String, String>>,
    scopes: Arc<[String]>,
}

impl VerifiedToken {
    fn new(claims: Map<String, Value>) -> Self {
        Self {
            context_claims: Arc::new(
                claims
                    .iter()
                    .map(|(name, value)| (name.clone(), claim_to_string(value)))
                    .collect(),
            ),
            scopes: token_scopes(&claims).into(),
            claims,
        }
    }
}

/// The pool's issuer and audiences, the public keys to check signatures with, and the clock to
/// check `exp`, `nbf` and `iat` by.
#[derive(Clone)]
pub struct JwtAuthorizer {
    issuer: String,
    audiences: Vec<String>,
    keys: HashMap<String, DecodingKey>,
    clock: Clock,
    verified: Arc<VerifiedTokens>,
}

impl std::fmt::Debug for JwtAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthorizer")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("clock", &self.clock)
            .field("verified_tokens", &self.verified.len())
            .finish()
    }
}

/// A key of the JWKS that the authorizer cannot use.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// A key has no `kid`, so no token could name it.
    #[error("JWKS key #{index} has no `kid`")]
    MissingKid {
        /// Position of the key in `keys`.
        index: usize,
    },
    /// A key is not an RS256 RSA key (API Gateway's JWT authorizer only supports RSA).
    #[error("JWKS key {kid:?} is not an RSA key for RS256")]
    NotRs256 {
        /// The key's id.
        kid: String,
    },
    /// A key's modulus or exponent cannot be decoded.
    #[error("JWKS key {kid:?} cannot be read: {source}")]
    Unreadable {
        /// The key's id.
        kid: String,
        /// What the JWT library said.
        source: jsonwebtoken::errors::Error,
    },
}

/// What a valid token tells the integration (`requestContext.authorizer.jwt`). Shared with
/// every request that presents the same token, so authorizing one costs no copy of its claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// Every claim, stringified as API Gateway does (see [`claim_to_string`]).
    pub claims: Arc<HashMap<String, String>>,
    /// The token's scopes when the route checks scopes; `None` otherwise (API Gateway then
    /// sends `"scopes": null`).
    pub scopes: Option<Arc<[String]>>,
}

/// Why the authorizer refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizerError {
    /// No token in the `Authorization` header.
    #[error("no token in the Authorization header")]
    MissingToken,
    /// The token is not valid; the text is the `error_description` sent back.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token is valid but has none of the route's scopes.
    #[error("the token has none of the scopes {required:?}")]
    InsufficientScope {
        /// The route's authorization scopes.
        required: Vec<String>,
    },
}

impl IntoResponse for AuthorizerError {
    fn into_response(self) -> Response {
        let (status, message, challenge) = match &self {
            Self::MissingToken => (
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Bearer".to_owned(),
            ),
            Self::InvalidToken(description) => (
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                format!(
                    "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{description}\""
                ),
            ),
            Self::InsufficientScope { required } => (
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!(
                    "Bearer scope=\"{}\" error=\"insufficient_scope\" error_description=\"expected scopes: [{}]\"",
                    required.join(" "),
                    required.join(" ")
                ),
            ),
        };
        let mut response = (status, Json(json!({ "message": message }))).into_response();
        // Scopes are validated as printable ASCII without quotes, so this cannot fail.
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl JwtAuthorizer {
    /// An authorizer for tokens of `issuer` meant for one of `audiences` (app client ids),
    /// checked with the RS256 keys of `jwks`, their times by `clock` (the stack's own, so that
    /// [`Clock::advance`] moves the issuer and the API together; `Clock::system()` elsewhere).
    pub fn new(
        issuer: impl Into<String>,
        audiences: Vec<String>,
        jwks: &JwkSet,
        clock: Clock,
    ) -> Result<Self, JwksError> {
        let mut keys = HashMap::new();
        for (index, jwk) in jwks.keys.iter().enumerate() {
            let kid = jwk
                .common
                .key_id
                .clone()
                .ok_or(JwksError::MissingKid { index })?;
            let rs256 = matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
                && jwk
                    .common
                    .key_algorithm
                    .is_none_or(|alg| alg == KeyAlgorithm::RS256);
            if !rs256 {
                return Err(JwksError::NotRs256 { kid });
            }
            let key = DecodingKey::from_jwk(jwk).map_err(|source| JwksError::Unreadable {
                kid: kid.clone(),
                source,
            })?;
            keys.insert(kid, key);
        }
        Ok(Self {
            issuer: issuer.into(),
            audiences,
            keys,
            clock,
            verified: Arc::new(VerifiedTokens::new(VERIFIED_TOKENS_CAPACITY)),
        })
    }

    /// The issuer tokens must name in `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Checks the request's token against API Gateway's rules and the route's `scopes` (any
    /// one of them suffices; none configured means no scope check).
    pub fn authorize(
        &self,
        headers: &HeaderMap,
        scopes: &[String],
    ) -> Result<Authorized, AuthorizerError> {
        let token = bearer_token(headers)?;
        let verified = self.verify(token)?;
        if !scopes.is_empty() && !scopes.iter().any(|s| verified.scopes.contains(s)) {
            return Err(AuthorizerError::InsufficientScope {
                required: scopes.to_vec(),
            });
        }
        Ok(Authorized {
            claims: verified.context_claims.clone(),
            scopes: (!scopes.is_empty()).then(|| verified.scopes.clone()),
        })
    }

    fn verify(&self, token: &str) -> Result<Arc<VerifiedToken>, AuthorizerError> {
        use AuthorizerError::InvalidToken;
        let verified = match self.verified.get(token) {
            Some(verified) => verified,
            None => {
                let verified = Arc::new(VerifiedToken::new(self.verify_signature(token)?));
                self.verified.insert(token, verified.clone());
                verified
            }
        };
        let claims = &verified.claims;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(InvalidToken("the token does not have a valid issuer"));
        }
        if !self.audience_matches(claims) {
            return Err(InvalidToken("the token does not have a valid audience"));
        }
        // Whole seconds, as the Cognito side stamps its tokens.
        check_times(claims, self.clock.now_secs())?;
        Ok(verified)
    }

    /// The header (RS256, a known `kid`), the signature and the presence of `exp`; the claims
    /// that depend on the request's moment or the authorizer's settings are [`Self::verify`]'s.
    fn verify_signature(&self, token: &str) -> Result<Map<String, Value>, AuthorizerError> {
        use AuthorizerError::InvalidToken;
        // `alg: none` is not an algorithm jsonwebtoken knows, so such a header fails here.
        let header = decode_header(token).map_err(|_| InvalidToken("the token is malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(InvalidToken(
                "the signing method is invalid: only RS256 is accepted",
            ));
        }
        let kid = header.kid.ok_or(InvalidToken("the token has no kid"))?;
        let key = self.keys.get(&kid).ok_or(InvalidToken(
            "no key in the issuer's JWKS matches the token's kid",
        ))?;

        let mut validation = Validation::new(Algorithm::RS256);
        // Times are checked below by the stack's clock; jsonwebtoken would use the system's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        // The audience rule (aud, else client_id) is API Gateway's own, and the issuer is
        // checked with it on every request, cached or not.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        decode::<Map<String, Value>>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|error| {
                InvalidToken(match error.kind() {
                    ErrorKind::InvalidSignature => "the token signature is invalid",
                    ErrorKind::MissingRequiredClaim(_) => "the token has no exp claim",
                    _ => "the token is malformed",
                })
            })
    }

    /// `aud` (a string or an array) when present, else `client_id`.
    fn audience_matches(&self, claims: &Map<String, Value>) -> bool {
        let allowed = |value: &Value| {
            value
                .as_str()
                .is_some_and(|text| self.audiences.iter().any(|a| a == text))
        };
        match claims.get("aud") {
            Some(Value::Array(items)) => items.iter().any(allowed),
            Some(aud) => allowed(aud),
            None => claims.get("client_id").is_some_and(allowed),
        }
    }
}

/// Tokens whose signature verified, by the token's exact text; at most `capacity` of them, the
/// oldest forgotten first. Shared by clones of the authorizer.
///
/// The key is the whole token, compared in full on every lookup, so no other token can ever be
/// taken for a verified one; std's randomly keyed SipHash picks the bucket. (Keying by the token
/// costs its length per entry, under 2 KB for Cognito's tokens, and hashing it is a third of
/// what a SHA-256 digest of it costs.)
struct VerifiedTokens {
    capacity: usize,
    state: Mutex<VerifiedState>,
}

#[derive(Default)]
struct VerifiedState {
    tokens: HashMap<Arc<str>, Arc<VerifiedToken>>,
    /// Tokens in the order they were added, to forget the oldest.
    order: VecDeque<Arc<str>>,
}

impl VerifiedTokens {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: Mutex::default(),
        }
    }

    fn get(&self, token: &str) -> Option<Arc<VerifiedToken>> {
        self.lock().tokens.get(token).cloned()
    }

    fn insert(&self, token: &str, verified: Arc<VerifiedToken>) {
        let mut state = self.lock();
        // Two requests with the same new token may both verify it; remember it once.
        if !state.tokens.contains_key(token) {
            let token: Arc<str> = token.into();
            state.tokens.insert(token.clone(), verified);
            state.order.push_back(token);
        }
        while state.order.len() > self.capacity {
            if let Some(oldest) = state.order.pop_front() {
                state.tokens.remove(&oldest);
            }
        }
    }

    fn len(&self) -> usize {
        self.lock().tokens.len()
    }

    /// The state stays consistent even if a holder panicked: each change is one map operation.
    fn lock(&self) -> std::sync::MutexGuard<'_, VerifiedState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The token of the `Authorization` header, with or without the `Bearer ` prefix.
fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthorizerError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(AuthorizerError::MissingToken);
    };
    let value = value
        .to_str()
        .map_err(|_| AuthorizerError::InvalidToken("the token is malformed"))?
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim_start(),
        None if value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    };
    if token.is_empty() {
        return Err(AuthorizerError::MissingToken);
    }
    Ok(token)
}

/// The token's scopes: `scope` (space separated), else `scp` (space separated or an array).
fn token_scopes(claims: &Map<String, Value>) -> Vec<String> {
    match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(text)) => text.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A claim as API Gateway hands it to the integration: strings as they are, numbers in decimal,
/// arrays as `[a b]` (so `cognito:groups` arrives as `"[admin users]"`). Objects become JSON
/// text and `null` an empty string; API Gateway's documents say nothing of those (unverified).
pub fn claim_to_string(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(claim_to_string).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Bool(_) | Value::Number(_) | Value::Object(_) => value.to_string(),
    }
}

/// `exp` after `now`, `nbf` and `iat` not after it (no leeway): a token is refused in the second
/// it expires, as AWS's "exp after now" says.
fn check_times(claims: &Map<String, Value>, now: u64) -> Result<(), AuthorizerError> {
    use AuthorizerError::InvalidToken;
    let now = now as f64;
    let time = |name: &str, not_a_number: &'static str| match claims.get(name) {
        None => Ok(None),
        Some(value) => value.as_f64().map(Some).ok_or(InvalidToken(not_a_number)),
    };
    // Present and a whole number: jsonwebtoken's required-claim check has seen to that.
    let exp = time("exp", "the token has no exp claim")?;
    if exp.is_some_and(|exp| exp <= now) {
        return Err(InvalidToken("the token has expired"));
    }
    let nbf = time("nbf", "the token's nbf is not a number")?;
    if nbf.is_some_and(|nbf| nbf > now) {
        return Err(InvalidToken("the token is not valid yet"));
    }
    let iat = time("iat", "the token's iat is not a number")?;
    if iat.is_some_and(|iat| iat > now) {
        return Err(InvalidToken("the token was issued in the future"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refused_in_the_second_it_expires() {
        let claims = json!({"exp": 1_000, "nbf": 900, "iat": 900});
        let claims = claims.as_object().expect("object");
        assert_eq!(check_times(claims, 999), Ok(()));
        assert_eq!(
            check_times(claims, 1_000),
            Err(AuthorizerError::InvalidToken("the token has expired"))
        );
        assert_eq!(
            check_times(claims, 899),
            Err(AuthorizerError::InvalidToken("the token is not valid yet"))
        );
    }

    #[test]
    fn claims_are_stringified_like_api_gateway() {
        assert_eq!(claim_to_string(&json!("demo")), "demo");
        assert_eq!(claim_to_string(&json!(1_732_243_600)), "1732243600");
        assert_eq!(claim_to_string(&json!(true)), "true");
        assert_eq!(claim_to_string(&json!(["admin", "users"])), "[admin users]");
        assert_eq!(claim_to_string(&json!([])), "[]");
        assert_eq!(claim_to_string(&json!({"a": 1})), r#"{"a":1}"#);
    }

    #[test]
    fn the_token_comes_with_or_without_bearer() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), Err(AuthorizerError::MissingToken));
        for (value, token) in [
            ("Bearer abc", "abc"),
            ("bearer  abc", "abc"),
            ("abc", "abc"),
        ] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer_token(&headers), Ok(token), "{value}");
        }
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer_token(&headers), Err(AuthorizerError::MissingToken));
    }

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let claims = |value: Value| value.as_object().cloned().expect("object");
        assert_eq!(
            token_scopes(&claims(json!({"scope": "openid  api/read"}))),
            ["openid", "api/read"]
        );
        assert_eq!(
            token_scopes(&claims(json!({"scp": ["a", "b"]}))),
            ["a", "b"]
        );
        assert_eq!(token_scopes(&claims(json!({"scp": "a b"}))), ["a", "b"]);
        assert!(token_scopes(&claims(json!({"sub": "x"}))).is_empty());
    }

    #[test]
    fn verified_tokens_stay_bounded_and_forget_the_oldest_first() {
        let cache = VerifiedTokens::new(3);
        let claims = |n: u64| {
            Arc::new(VerifiedToken::new(
                json!({ "n": n }).as_object().cloned().expect("object"),
            ))
        };
        for n in 0..5 {
            cache.insert(&format!("token-{n}"), claims(n));
        }
        cache.insert("token-4", claims(4));
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.lock().order.len(), 3);
        assert!(cache.get("token-0").is_none());
        assert!(cache.get("token-1").is_none());
        for n in 2..5 {
            assert_eq!(
                cache.get(&format!("token-{n}")),
                Some(claims(n)),
                "token-{n}"
            );
        }
        assert!(cache.get("token-5").is_none());
    }

    #[test]
    fn refusals_answer_like_api_gateway() {
        let response = AuthorizerError::InvalidToken("the token has expired").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token has expired\""
        );
        let response = AuthorizerError::InsufficientScope {
            required: vec!["api/read".into()],
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer scope=\"api/read\" error=\"insufficient_scope\" error_description=\"expected scopes: [api/read]\""
        );
    }
}
