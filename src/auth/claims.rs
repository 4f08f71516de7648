//! Claim checks for Cognito's tokens: the ID token per OpenID Connect Core 3.1.3.7 and the access
//! token per the AWS guide. Signatures are checked before these, by [`crate::auth::crypto`].

use super::error::TokenError;
use super::jwt::DecodedJwt;
use super::types::{ClientId, Nonce};
use crate::json::{Object, Value};

/// How far in the future `iat` may be, to allow for a visitor's clock that is behind: five
/// minutes, the tolerance OIDC clients commonly use (a tighter one fails every sign-in on a
/// computer whose clock is a few minutes slow).
pub const CLOCK_SKEW_SECONDS: i64 = 300;

const ID_TOKEN: &str = "ID token";
const ACCESS_TOKEN: &str = "access token";

/// What the tokens must say to be accepted.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// The configured issuer; `iss` must equal it exactly.
    pub issuer: &'a str,
    /// This app's client id.
    pub client_id: &'a ClientId,
    /// The current time, seconds since the epoch.
    pub now: i64,
}

/// The checked claims of an ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdClaims {
    /// Issuer.
    pub iss: String,
    /// The user's stable id.
    pub sub: String,
    /// Audiences (contains this app's client id).
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// `cognito:username`.
    pub username: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
}

/// The checked claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// The user's stable id.
    pub sub: String,
    /// The app client the token was issued to.
    pub client_id: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Granted scopes (from the space-separated `scope`).
    pub scopes: Vec<String>,
    /// `username`.
    pub username: Option<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
}

/// Checks an ID token's claims. `nonce` is the one sent with the sign-in; `None` when there is
/// none to compare (a refreshed ID token carries no nonce, OIDC Core 12.2).
pub fn validate_id_token(
    jwt: &DecodedJwt,
    expected: &Expected<'_>,
    nonce: Option<&Nonce>,
) -> Result<IdClaims, TokenError> {
    let claims = &jwt.claims;
    jwt.rs256_key_id(ID_TOKEN)?;
    let iss = check_issuer(claims, expected, ID_TOKEN)?;
    let aud = audiences(claims)?;
    if !aud
        .iter()
        .any(|audience| audience == expected.client_id.as_str())
    {
        return Err(TokenError::WrongAudience {
            client_id: expected.client_id.to_string(),
            found: aud,
        });
    }
    if aud.len() > 1 && optional_string(claims, "azp") != Some(expected.client_id.as_str()) {
        return Err(TokenError::WrongAuthorizedParty);
    }
    check_token_use(claims, "id", ID_TOKEN)?;
    let (exp, iat) = check_times(claims, expected.now, ID_TOKEN)?;
    if let Some(nonce) = nonce
        && optional_string(claims, "nonce") != Some(nonce.secret())
    {
        return Err(TokenError::NonceMismatch);
    }
    Ok(IdClaims {
        iss,
        sub: required_string(claims, "sub", ID_TOKEN)?.to_owned(),
        aud,
        exp,
        iat,
        username: optional_string(claims, "cognito:username").map(str::to_owned),
        email: optional_string(claims, "email").map(str::to_owned),
        groups: groups(claims),
    })
}

/// Checks an access token's claims (`token_use`, `client_id`, `iss`, `exp`).
pub fn validate_access_token(
    jwt: &DecodedJwt,
    expected: &Expected<'_>,
) -> Result<AccessClaims, TokenError> {
    let claims = &jwt.claims;
    jwt.rs256_key_id(ACCESS_TOKEN)?;
    let iss = check_issuer(claims, expected, ACCESS_TOKEN)?;
    check_token_use(claims, "access", ACCESS_TOKEN)?;
    let client_id = required_string(claims, "client_id", ACCESS_TOKEN)?;
    if client_id != expected.client_id.as_str() {
        return Err(TokenError::WrongClient {
            expected: expected.client_id.to_string(),
            found: client_id.to_owned(),
        });
    }
    let (exp, iat) = check_times(claims, expected.now, ACCESS_TOKEN)?;
    Ok(AccessClaims {
        iss,
        sub: required_string(claims, "sub", ACCESS_TOKEN)?.to_owned(),
        client_id: client_id.to_owned(),
        exp,
        iat,
        scopes: optional_string(claims, "scope")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        username: optional_string(claims, "username").map(str::to_owned),
        groups: groups(claims),
    })
}

/// When the ID token carries `at_hash` (Cognito's always do), it must be `access_token_hash`,
/// the base64url of the left half of the access token's SHA-256 (OIDC Core 3.1.3.8), binding
/// the two tokens together. The browser computes it: [`crate::auth::crypto::at_hash`].
pub fn check_access_token_hash(
    id_token: &DecodedJwt,
    access_token_hash: &str,
) -> Result<(), TokenError> {
    match optional_string(&id_token.claims, "at_hash") {
        None => Ok(()),
        Some(at_hash) if at_hash == access_token_hash => Ok(()),
        Some(_) => Err(TokenError::AccessTokenHashMismatch),
    }
}

/// Whom an ID token is about, who issued it and for whom: what a refresh must not change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `iss`.
    pub iss: String,
    /// `sub`.
    pub sub: String,
    /// `aud`.
    pub aud: Vec<String>,
}

impl Identity {
    /// The identity of an ID token that was fully checked when it was stored (it may have
    /// expired since).
    pub fn of_stored(jwt: &DecodedJwt) -> Result<Self, TokenError> {
        Ok(Self {
            iss: required_string(&jwt.claims, "iss", ID_TOKEN)?.to_owned(),
            sub: required_string(&jwt.claims, "sub", ID_TOKEN)?.to_owned(),
            aud: audiences(&jwt.claims)?,
        })
    }
}

impl IdClaims {
    /// The identity these claims describe.
    pub fn identity(&self) -> Identity {
        Identity {
            iss: self.iss.clone(),
            sub: self.sub.clone(),
            aud: self.aud.clone(),
        }
    }
}

/// A refreshed ID token must describe the same user from the same issuer for the same client
/// (OIDC Core 12.2).
pub fn check_same_identity(before: &Identity, after: &Identity) -> Result<(), TokenError> {
    let changed = if before.iss != after.iss {
        Some("iss")
    } else if before.sub != after.sub {
        Some("sub")
    } else if before.aud != after.aud {
        Some("aud")
    } else {
        None
    };
    changed.map_or(Ok(()), |claim| Err(TokenError::IdentityChanged { claim }))
}

fn required_string<'a>(
    claims: &'a Object,
    claim: &'static str,
    token: &'static str,
) -> Result<&'a str, TokenError> {
    optional_string(claims, claim).ok_or(TokenError::MissingClaim { token, claim })
}

fn optional_string<'a>(claims: &'a Object, claim: &str) -> Option<&'a str> {
    claims.get(claim).and_then(Value::as_str)
}

fn required_time(
    claims: &Object,
    claim: &'static str,
    token: &'static str,
) -> Result<i64, TokenError> {
    claims
        .get(claim)
        .and_then(Value::as_i64)
        .ok_or(TokenError::MissingClaim { token, claim })
}

fn check_issuer(
    claims: &Object,
    expected: &Expected<'_>,
    token: &'static str,
) -> Result<String, TokenError> {
    let iss = required_string(claims, "iss", token)?;
    if iss != expected.issuer {
        return Err(TokenError::WrongIssuer {
            token,
            expected: expected.issuer.to_owned(),
            found: iss.to_owned(),
        });
    }
    Ok(iss.to_owned())
}

fn check_token_use(
    claims: &Object,
    expected: &'static str,
    token: &'static str,
) -> Result<(), TokenError> {
    let found = required_string(claims, "token_use", token)?;
    if found != expected {
        return Err(TokenError::WrongTokenUse {
            token,
            expected,
            found: found.to_owned(),
        });
    }
    Ok(())
}

/// `exp` must be in the future and `iat` not further ahead than the clock skew.
fn check_times(claims: &Object, now: i64, token: &'static str) -> Result<(i64, i64), TokenError> {
    let exp = required_time(claims, "exp", token)?;
    let iat = required_time(claims, "iat", token)?;
    if exp <= now {
        return Err(TokenError::Expired { token, exp, now });
    }
    if iat > now + CLOCK_SKEW_SECONDS {
        return Err(TokenError::IssuedInTheFuture { token, iat, now });
    }
    Ok((exp, iat))
}

/// `aud` is a string or an array of strings (RFC 7519 4.1.3).
fn audiences(claims: &Object) -> Result<Vec<String>, TokenError> {
    let missing = TokenError::MissingClaim {
        token: ID_TOKEN,
        claim: "aud",
    };
    match claims.get("aud") {
        Some(Value::String(audience)) => Ok(vec![audience.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or(missing.clone()))
            .collect(),
        _ => Err(missing),
    }
}

fn groups(claims: &Object) -> Vec<String> {
    match claims.get("cognito:groups") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    pub(crate) const ISSUER: &str = "http://localhost:9229/us-east-1_DevStack01";
    pub(crate) const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
    pub(crate) const NOW: i64 = 1_800_000_000;

    pub(crate) fn id_claims() -> Value {
        json!({
            "iss": ISSUER, "sub": "user-1", "aud": CLIENT, "token_use": "id",
            "exp": NOW + 3600, "iat": NOW, "auth_time": NOW, "nonce": "nonce-1",
            "cognito:username": "demo", "email": "demo@example.com", "cognito:groups": ["users"]
        })
    }

    pub(crate) fn access_claims() -> Value {
        json!({
            "iss": ISSUER, "sub": "user-1", "client_id": CLIENT, "token_use": "access",
            "exp": NOW + 3600, "iat": NOW, "scope": "openid api/read", "username": "demo"
        })
    }

    pub(crate) fn jwt(claims: &Value) -> DecodedJwt {
        DecodedJwt::for_test(json!({"alg": "RS256", "kid": "k1"}), claims.clone())
    }

    fn with(mut claims: Value, change: impl FnOnce(&mut Map<String, Value>)) -> DecodedJwt {
        if let Value::Object(map) = &mut claims {
            change(map);
        }
        jwt(&claims)
    }

    fn check_id(jwt: &DecodedJwt) -> Result<IdClaims, TokenError> {
        let client = ClientId::new(CLIENT);
        let expected = Expected {
            issuer: ISSUER,
            client_id: &client,
            now: NOW,
        };
        validate_id_token(jwt, &expected, Some(&Nonce::new("nonce-1")))
    }

    fn check_access(jwt: &DecodedJwt) -> Result<AccessClaims, TokenError> {
        let client = ClientId::new(CLIENT);
        validate_access_token(
            jwt,
            &Expected {
                issuer: ISSUER,
                client_id: &client,
                now: NOW,
            },
        )
    }

    #[test]
    fn a_good_id_token_passes_with_its_claims() {
        let claims = check_id(&jwt(&id_claims())).unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.aud, vec![CLIENT.to_owned()]);
        assert_eq!(claims.username.as_deref(), Some("demo"));
        assert_eq!(claims.groups, vec!["users".to_owned()]);
        assert_eq!(claims.exp, NOW + 3600);
    }

    #[test]
    fn id_token_with_alg_none_fails() {
        let jwt = DecodedJwt::for_test(json!({"alg": "none", "kid": "k1"}), id_claims());
        assert!(
            matches!(check_id(&jwt), Err(TokenError::UnsupportedAlgorithm { alg, .. }) if alg == "none")
        );
    }

    #[test]
    fn id_token_from_another_issuer_fails() {
        let jwt = with(id_claims(), |c| {
            c.insert("iss".into(), format!("{ISSUER}/").into());
        });
        assert!(matches!(
            check_id(&jwt),
            Err(TokenError::WrongIssuer { .. })
        ));
    }

    #[test]
    fn id_token_without_issuer_fails() {
        let jwt = with(id_claims(), |c| {
            c.remove("iss");
        });
        assert_eq!(
            check_id(&jwt),
            Err(TokenError::MissingClaim {
                token: ID_TOKEN,
                claim: "iss"
            })
        );
    }

    #[test]
    fn id_token_for_another_client_fails() {
        let jwt = with(id_claims(), |c| {
            c.insert("aud".into(), "other-client".into());
        });
        assert!(matches!(
            check_id(&jwt),
            Err(TokenError::WrongAudience { .. })
        ));
    }

    #[test]
    fn id_token_without_audience_fails() {
        let jwt = with(id_claims(), |c| {
            c.remove("aud");
        });
        assert_eq!(
            check_id(&jwt),
            Err(TokenError::MissingClaim {
                token: ID_TOKEN,
                claim: "aud"
            })
        );
    }

    #[test]
    fn id_token_with_several_audiences_needs_our_azp() {
        let jwt = with(id_claims(), |c| {
            c.insert("aud".into(), json!([CLIENT, "other"]));
        });
        assert_eq!(check_id(&jwt), Err(TokenError::WrongAuthorizedParty));
        let jwt = with(id_claims(), |c| {
            c.insert("aud".into(), json!([CLIENT, "other"]));
            c.insert("azp".into(), CLIENT.into());
        });
        assert_eq!(check_id(&jwt).unwrap().aud.len(), 2);
    }

    #[test]
    fn an_access_token_given_as_id_token_fails() {
        let jwt = with(id_claims(), |c| {
            c.insert("token_use".into(), "access".into());
        });
        assert!(matches!(
            check_id(&jwt),
            Err(TokenError::WrongTokenUse { expected: "id", .. })
        ));
    }

    #[test]
    fn an_expired_id_token_fails() {
        let jwt = with(id_claims(), |c| {
            c.insert("exp".into(), NOW.into());
        });
        assert!(matches!(check_id(&jwt), Err(TokenError::Expired { .. })));
    }

    #[test]
    fn id_token_without_expiry_fails() {
        let jwt = with(id_claims(), |c| {
            c.insert("exp".into(), "tomorrow".into());
        });
        assert_eq!(
            check_id(&jwt),
            Err(TokenError::MissingClaim {
                token: ID_TOKEN,
                claim: "exp"
            })
        );
    }

    #[test]
    fn id_token_issued_in_the_future_fails_beyond_the_skew() {
        let jwt = with(id_claims(), |c| {
            c.insert("iat".into(), (NOW + CLOCK_SKEW_SECONDS + 1).into());
        });
        assert!(matches!(
            check_id(&jwt),
            Err(TokenError::IssuedInTheFuture { .. })
        ));
        let jwt = with(id_claims(), |c| {
            c.insert("iat".into(), (NOW + CLOCK_SKEW_SECONDS).into());
        });
        assert!(check_id(&jwt).is_ok(), "within the skew");
    }

    #[test]
    fn id_token_with_another_nonce_fails() {
        let jwt = with(id_claims(), |c| {
            c.insert("nonce".into(), "nonce-2".into());
        });
        assert_eq!(check_id(&jwt), Err(TokenError::NonceMismatch));
    }

    #[test]
    fn id_token_without_nonce_fails_when_one_was_sent() {
        let jwt = with(id_claims(), |c| {
            c.remove("nonce");
        });
        assert_eq!(check_id(&jwt), Err(TokenError::NonceMismatch));
    }

    #[test]
    fn id_token_without_subject_fails() {
        let jwt = with(id_claims(), |c| {
            c.remove("sub");
        });
        assert_eq!(
            check_id(&jwt),
            Err(TokenError::MissingClaim {
                token: ID_TOKEN,
                claim: "sub"
            })
        );
    }

    #[test]
    fn a_refreshed_id_token_needs_no_nonce() {
        let jwt = with(id_claims(), |c| {
            c.remove("nonce");
        });
        let client = ClientId::new(CLIENT);
        let expected = Expected {
            issuer: ISSUER,
            client_id: &client,
            now: NOW,
        };
        assert!(validate_id_token(&jwt, &expected, None).is_ok());
    }

    #[test]
    fn a_good_access_token_passes_with_its_scopes() {
        let claims = check_access(&jwt(&access_claims())).unwrap();
        assert_eq!(
            claims.scopes,
            vec!["openid".to_owned(), "api/read".to_owned()]
        );
        assert_eq!(claims.client_id, CLIENT);
    }

    #[test]
    fn an_id_token_given_as_access_token_fails() {
        let jwt = with(access_claims(), |c| {
            c.insert("token_use".into(), "id".into());
        });
        assert!(matches!(
            check_access(&jwt),
            Err(TokenError::WrongTokenUse {
                expected: "access",
                ..
            })
        ));
    }

    #[test]
    fn an_access_token_for_another_client_fails() {
        let jwt = with(access_claims(), |c| {
            c.insert("client_id".into(), "other".into());
        });
        assert!(matches!(
            check_access(&jwt),
            Err(TokenError::WrongClient { .. })
        ));
    }

    #[test]
    fn an_access_token_without_client_id_fails() {
        let jwt = with(access_claims(), |c| {
            c.remove("client_id");
        });
        assert_eq!(
            check_access(&jwt),
            Err(TokenError::MissingClaim {
                token: ACCESS_TOKEN,
                claim: "client_id"
            })
        );
    }

    #[test]
    fn an_access_token_from_another_issuer_fails() {
        let jwt = with(access_claims(), |c| {
            c.insert("iss".into(), "https://evil.example".into());
        });
        assert!(matches!(
            check_access(&jwt),
            Err(TokenError::WrongIssuer { .. })
        ));
    }

    #[test]
    fn an_expired_access_token_fails() {
        let jwt = with(access_claims(), |c| {
            c.insert("exp".into(), (NOW - 1).into());
        });
        assert!(matches!(
            check_access(&jwt),
            Err(TokenError::Expired { .. })
        ));
    }

    #[test]
    fn an_access_token_with_alg_hs256_fails() {
        let jwt = DecodedJwt::for_test(json!({"alg": "HS256", "kid": "k1"}), access_claims());
        assert!(matches!(
            check_access(&jwt),
            Err(TokenError::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn refreshed_identity_must_not_change() {
        let before = check_id(&jwt(&id_claims())).unwrap().identity();
        assert_eq!(Identity::of_stored(&jwt(&id_claims())), Ok(before.clone()));
        assert_eq!(check_same_identity(&before, &before.clone()), Ok(()));
        type Change = fn(&mut Identity);
        let changes: [(&str, Change); 3] = [
            ("iss", |identity| identity.iss = "https://other".into()),
            ("sub", |identity| identity.sub = "user-2".into()),
            ("aud", |identity| identity.aud = vec!["other".into()]),
        ];
        for (claim, change) in changes {
            let mut after = before.clone();
            change(&mut after);
            assert_eq!(
                check_same_identity(&before, &after),
                Err(TokenError::IdentityChanged { claim })
            );
        }
    }

    #[test]
    fn at_hash_binds_the_access_token() {
        // `crypto::at_hash` of "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" and of "another access token"
        // (tests/web_crypto.rs checks the first).
        let (ours, another) = ("zFKdmxuKgzYy8vEAuCkuLw", "wQFkUtMS3mcGZYkrkP8tUw");
        let id = with(id_claims(), |c| {
            c.insert("at_hash".into(), ours.into());
        });
        assert_eq!(check_access_token_hash(&id, ours), Ok(()));
        assert_eq!(
            check_access_token_hash(&id, another),
            Err(TokenError::AccessTokenHashMismatch)
        );
        // Optional in the code flow: absent is fine.
        assert_eq!(check_access_token_hash(&jwt(&id_claims()), another), Ok(()));
    }

    #[test]
    fn a_stored_identity_may_have_expired() {
        let expired = with(id_claims(), |c| {
            c.insert("exp".into(), (NOW - 10_000).into());
        });
        assert_eq!(Identity::of_stored(&expired).unwrap().sub, "user-1");
    }
}
