//! The auth context in a real browser: start-up, every way a callback is refused before any
//! network call, and how a kept session lives through refreshes that fail, hang or come back
//! after a sign-out, against a stand-in issuer put in place of `fetch` (the whole flow against
//! devstack is covered by the end-to-end tests).
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::cell::RefCell;
use std::rc::Rc;

use cognito_spa::auth::endpoints;
use cognito_spa::auth::flow::PendingSignIn;
use cognito_spa::auth::storage::{TOKENS_KEY, save_pending_sign_in, take_pending_sign_in};
use cognito_spa::auth::tabs::TabMessage;
use cognito_spa::auth::{
    AccessToken, Auth, AuthError, AuthState, Nonce, PkceCodeVerifier, RefreshToken, SignOutReason,
    State, TokenError, provide_auth, use_auth,
};
use cognito_spa::config::AppConfig;
use js_sys::{Function, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod support;
use support::{settles, wait_until};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh auth context under its own reactive owner (kept alive by the caller). Tokens a previous
/// page left in sessionStorage are put there before the context starts, as a reload would find them.
fn start(token_storage: &str, stored_tokens: Option<&str>) -> (Auth, Owner) {
    start_with_issuer(token_storage, stored_tokens, "http://localhost:9229")
}

/// As [`start`], with the hosted UI and the issuer at `origin`.
fn start_with_issuer(
    token_storage: &str,
    stored_tokens: Option<&str>,
    origin: &str,
) -> (Auth, Owner) {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    session_storage().clear().unwrap();
    if let Some(tokens) = stored_tokens {
        session_storage().set_item(TOKENS_KEY, tokens).unwrap();
    }
    let owner = Owner::new();
    owner.set();
    let config = serde_json::json!({
        "hosted_ui_url": origin,
        "issuer": format!("{origin}/us-east-1_DevStack01"),
        "client_id": "webtestclient",
        "redirect_uri": "http://localhost:8080/callback",
        "sign_out_uri": "http://localhost:8080/signed-out",
        "scopes": ["openid"],
        "api_base_url": "http://localhost:3000",
        "token_storage": token_storage
    });
    let auth = provide_auth(AppConfig::from_json(&config.to_string()).unwrap());
    (auth, owner)
}

fn session_storage() -> web_sys::Storage {
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
}

fn local_storage_len() -> u32 {
    let window = web_sys::window().unwrap();
    window.local_storage().unwrap().unwrap().length().unwrap()
}

async fn wait_for_state(auth: Auth, expected: &AuthState) {
    assert!(
        settles(|| auth.state().get_untracked() == *expected).await,
        "state is {:?}, expected {expected:?}",
        auth.state().get_untracked()
    );
}

fn pending(state: &str, created_at: i64) -> PendingSignIn {
    PendingSignIn {
        verifier: PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        state: State::new(state),
        nonce: Nonce::new("nonce-1"),
        return_path: "/profile".into(),
        created_at,
    }
}

fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Puts a query in the address bar, as the hosted UI's redirect does.
fn visit(query: &str) {
    let history = web_sys::window().unwrap().history().unwrap();
    let path = web_sys::window().unwrap().location().pathname().unwrap();
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{query}")))
        .unwrap();
}

fn address_bar_query() -> String {
    web_sys::window().unwrap().location().search().unwrap()
}

#[wasm_bindgen_test]
async fn memory_mode_starts_signed_out_and_is_the_context() {
    let (auth, owner) = start("memory", None);
    wait_for_state(auth, &AuthState::SignedOut(None)).await;
    assert_eq!(auth.signed_in(), Some(false));
    assert_eq!(auth.access_token(), None);
    let provided = owner.with(use_auth);
    assert_eq!(provided.config().client_id.as_str(), "webtestclient");
    assert_eq!(auth.refresh().await, Err(AuthError::NotSignedIn));
    assert_eq!(
        auth.state().get_untracked(),
        AuthState::SignedOut(None),
        "nothing to end, no reason shown"
    );
    assert_eq!(auth.user_info().await, Err(AuthError::NotSignedIn));
    assert_eq!(auth.callback_return_path(), "/", "no sign-in was taken up");
    assert_eq!(local_storage_len(), 0);
}

#[wasm_bindgen_test]
async fn a_callback_nobody_started_is_refused_and_leaves_the_address_bar() {
    let (auth, _owner) = start("memory", None);
    visit("?code=stolen-code&state=forged");
    let result = auth
        .complete_sign_in("?code=stolen-code&state=forged")
        .await;
    assert_eq!(result, Err(AuthError::UnknownState));
    assert_eq!(
        auth.state().get_untracked(),
        AuthState::Failed(AuthError::UnknownState)
    );
    assert_eq!(address_bar_query(), "", "code and state are gone");
}

#[wasm_bindgen_test]
async fn a_callback_without_state_is_refused() {
    let (auth, _owner) = start("memory", None);
    save_pending_sign_in(&pending("state-1", now())).unwrap();
    let result = auth.complete_sign_in("?code=abc").await;
    assert_eq!(result, Err(AuthError::MissingState));
    assert_eq!(take_pending_sign_in(), Ok(None), "the attempt used it up");
}

#[wasm_bindgen_test]
async fn a_callback_with_another_state_is_refused_and_the_state_is_used_up() {
    let (auth, _owner) = start("memory", None);
    save_pending_sign_in(&pending("state-1", now())).unwrap();
    let result = auth.complete_sign_in("?code=abc&state=state-2").await;
    assert_eq!(result, Err(AuthError::StateMismatch));
    assert_eq!(
        auth.callback_return_path(),
        "/profile",
        "Try again goes back to where the sign-in was going"
    );
    // Replaying the right state afterwards finds nothing: one-time.
    let replay = auth.complete_sign_in("?code=abc&state=state-1").await;
    assert_eq!(replay, Err(AuthError::UnknownState));
}

#[wasm_bindgen_test]
async fn a_hosted_ui_error_is_reported_in_plain_words() {
    let (auth, _owner) = start("memory", None);
    save_pending_sign_in(&pending("state-1", now())).unwrap();
    let result = auth
        .complete_sign_in("?error=access_denied&error_description=User+cancelled&state=state-1")
        .await;
    let error = result.unwrap_err();
    assert_eq!(
        error,
        AuthError::HostedUi {
            error: "access_denied".into(),
            description: Some("User cancelled".into())
        }
    );
    assert!(error.to_string().starts_with("Sign-in was cancelled"));
}

#[wasm_bindgen_test]
async fn a_stale_sign_in_is_refused() {
    let (auth, _owner) = start("memory", None);
    save_pending_sign_in(&pending("state-1", now() - 3600)).unwrap();
    let result = auth.complete_sign_in("?code=abc&state=state-1").await;
    assert!(
        matches!(result, Err(AuthError::SignInExpired { .. })),
        "{result:?}"
    );
}

#[wasm_bindgen_test]
async fn session_mode_drops_unreadable_tokens_with_a_reason() {
    let (auth, _owner) = start(
        "session",
        Some(
            r#"{"id_token":"not-a-jwt","access_token":"x.y.z","refresh_token":null,"session_id":"s","renewals":0}"#,
        ),
    );
    let expected = AuthState::SignedOut(Some(SignOutReason::RestoreFailed(AuthError::Token(
        TokenError::Malformed {
            token: "ID token",
            reason: "it does not have exactly three dot-separated parts".into(),
        },
    ))));
    wait_for_state(auth, &expected).await;
    assert_eq!(session_storage().get_item(TOKENS_KEY).unwrap(), None);
    assert_eq!(local_storage_len(), 0);
}

#[wasm_bindgen_test]
async fn reloading_a_used_callback_with_a_kept_session_goes_home() {
    let (auth, _owner) = start(
        "session",
        Some(
            r#"{"id_token":"a.b.c","access_token":"a.b.c","refresh_token":null,"session_id":"s","renewals":0}"#,
        ),
    );
    visit("?code=used-code&state=used-state");
    let result = auth
        .complete_sign_in("?code=used-code&state=used-state")
        .await;
    assert_eq!(result, Ok("/".to_owned()));
    assert_eq!(address_bar_query(), "");
    // The restore of those (unusable) tokens then settles on its own; wait for it so that it
    // cannot touch the storage of the next test.
    assert!(
        settles(|| matches!(auth.state().get_untracked(), AuthState::SignedOut(Some(_)))).await,
        "the restore did not settle: {:?}",
        auth.state().get_untracked()
    );
}

/// A JWT with an RS256 header naming key `k1` and `{}` as claims; its signature is never
/// checked here, since the keys cannot be fetched.
const UNCHECKABLE_JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln";

#[wasm_bindgen_test]
async fn a_saved_session_is_kept_when_the_issuer_cannot_be_reached() {
    let stored = format!(
        r#"{{"id_token":"{UNCHECKABLE_JWT}","access_token":"{UNCHECKABLE_JWT}","refresh_token":null,"session_id":"s","renewals":0}}"#
    );
    // Port 9 is refused by the browser before any connection: the key set cannot be fetched.
    let (auth, _owner) = start_with_issuer("session", Some(&stored), "http://127.0.0.1:9");
    // Settled or not, the state below says what happened.
    settles(|| auth.state().get_untracked() != AuthState::Initializing).await;
    let state = auth.state().get_untracked();
    assert!(
        matches!(
            &state,
            AuthState::SignedOut(Some(SignOutReason::RestorePostponed(AuthError::Unreachable {
                endpoint,
                ..
            }))) if endpoint.contains("jwks")
        ),
        "{state:?}"
    );
    assert_eq!(
        session_storage().get_item(TOKENS_KEY).unwrap().as_deref(),
        Some(stored.as_str()),
        "a session that may well be fine is kept for a reload"
    );
    if let AuthState::SignedOut(Some(reason)) = &state {
        assert!(reason.to_string().contains("reload the page"), "{reason}");
    }
}

#[wasm_bindgen_test]
async fn a_revocation_that_gets_no_answer_is_given_up() {
    // A server that never answers: fetch settles only when its request is aborted.
    let window = web_sys::window().unwrap();
    let original = Reflect::get(&window, &"fetch".into()).unwrap();
    let silent = Function::new_with_args(
        "input",
        "return new Promise((_, reject) => input.signal.addEventListener('abort', () => reject(input.signal.reason)));",
    );
    Reflect::set(&window, &"fetch".into(), &silent).unwrap();
    let (auth, _owner) = start("memory", None);
    let config = auth.config();
    let outcome: Rc<RefCell<Option<Result<(), AuthError>>>> = Rc::default();
    let sink = Rc::clone(&outcome);
    let started = js_sys::Date::now();
    wasm_bindgen_futures::spawn_local(async move {
        let result = endpoints::revoke(&config, &RefreshToken::new("r")).await;
        sink.borrow_mut().replace(result);
    });
    // The real fetch comes back before anything is asserted, whatever happened.
    settles(|| outcome.borrow().is_some()).await;
    Reflect::set(&window, &"fetch".into(), &original).unwrap();
    let elapsed = js_sys::Date::now() - started;
    let result = outcome.borrow_mut().take();
    assert!(
        matches!(result, Some(Err(AuthError::Unreachable { .. }))),
        "{result:?} after {elapsed} ms"
    );
    assert!(
        elapsed >= f64::from(endpoints::REVOKE_TIMEOUT_MS) - 50.0,
        "gave up after {elapsed} ms, before its time"
    );
}

/// Where the stand-in issuer below pretends to live: nothing is ever sent there.
const FAKE_ORIGIN: &str = "http://127.0.0.1:9";

/// A stand-in for the sign-in service, made with WebCrypto: an RSA key whose public half is
/// the key set, and `tokens(lifetime, refreshToken)` issuing signed ID and access tokens.
const FAKE_ISSUER: &str = r#"
return (async () => {
    const pair = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const b64 = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes)))
        .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const encode = value => b64(new TextEncoder().encode(JSON.stringify(value)));
    const sign = async claims => {
        const signed = encode({ alg: 'RS256', kid: 'k1' }) + '.' + encode(claims);
        const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey,
            new TextEncoder().encode(signed));
        return signed + '.' + b64(signature);
    };
    const stub = { log: [], held: [] };
    stub.jwks = { keys: [{ kid: 'k1', kty: 'RSA', alg: 'RS256', use: 'sig', n: jwk.n, e: jwk.e }] };
    stub.tokens = async (lifetime, refreshToken) => {
        const now = Math.floor(Date.now() / 1000);
        const common = { iss: issuer, sub: 'user-1', exp: now + lifetime, iat: now, auth_time: now };
        const tokens = {
            id_token: await sign({ ...common, aud: clientId, token_use: 'id', 'cognito:username': 'demo' }),
            access_token: await sign({ ...common, client_id: clientId, token_use: 'access', scope: 'openid' }),
        };
        if (refreshToken) tokens.refresh_token = refreshToken;
        return tokens;
    };
    // The token endpoint holds every request until the test answers it.
    stub.answer = (status, body) => stub.held.shift()(new Response(JSON.stringify(body),
        { status, headers: { 'content-type': 'application/json' } }));
    stub.fetch = input => {
        const url = input.url;
        const json = body => new Response(JSON.stringify(body),
            { status: 200, headers: { 'content-type': 'application/json' } });
        if (url.endsWith('/jwks.json')) return Promise.resolve(json(stub.jwks));
        if (url.endsWith('/oauth2/token')) return input.text().then(body => {
            stub.log.push('token ' + body);
            return new Promise(resolve => stub.held.push(resolve));
        });
        if (url.endsWith('/oauth2/revoke')) return input.text().then(body => {
            stub.log.push('revoke ' + body);
            return new Response('', { status: 200 });
        });
        return Promise.reject(new TypeError('unexpected request to ' + url));
    };
    return stub;
})();
"#;

/// The stand-in issuer, answering this page's `fetch` until [`FakeIssuer::stop`].
struct FakeIssuer {
    stub: JsValue,
    original_fetch: JsValue,
}

impl FakeIssuer {
    async fn start() -> Self {
        let make = Function::new_with_args("issuer, clientId", FAKE_ISSUER);
        let issuer = format!("{FAKE_ORIGIN}/us-east-1_DevStack01");
        let made = make
            .call2(&JsValue::NULL, &issuer.into(), &"webtestclient".into())
            .unwrap();
        let stub = JsFuture::from(Promise::from(made)).await.unwrap();
        let window = web_sys::window().unwrap();
        let original_fetch = Reflect::get(&window, &"fetch".into()).unwrap();
        let fake_fetch = Reflect::get(&stub, &"fetch".into()).unwrap();
        Reflect::set(&window, &"fetch".into(), &fake_fetch).unwrap();
        Self {
            stub,
            original_fetch,
        }
    }

    fn stop(&self) {
        let window = web_sys::window().unwrap();
        Reflect::set(&window, &"fetch".into(), &self.original_fetch).unwrap();
    }

    fn method(&self, name: &str) -> Function {
        Reflect::get(&self.stub, &name.into()).unwrap().into()
    }

    /// Signed tokens valid for `lifetime` seconds, as the token endpoint's JSON answer.
    async fn tokens(&self, lifetime: u32, refresh_token: Option<&str>) -> JsValue {
        let refresh_token = refresh_token.map_or(JsValue::NULL, JsValue::from);
        let promise = self
            .method("tokens")
            .call2(&self.stub, &lifetime.into(), &refresh_token)
            .unwrap();
        JsFuture::from(Promise::from(promise)).await.unwrap()
    }

    /// What a tab keeps in `sessionStorage` for a session with those tokens.
    async fn stored_session(&self, lifetime: u32, refresh_token: &str) -> String {
        let tokens = self.tokens(lifetime, Some(refresh_token)).await;
        let text = js_sys::JSON::stringify(&tokens)
            .unwrap()
            .as_string()
            .unwrap();
        let mut stored: serde_json::Value = serde_json::from_str(&text).unwrap();
        stored["session_id"] = "s".into();
        stored["renewals"] = 0.into();
        stored.to_string()
    }

    /// Answers the oldest request the token endpoint is holding.
    fn answer(&self, status: u16, body: &JsValue) {
        self.method("answer")
            .call2(&self.stub, &status.into(), body)
            .unwrap();
    }

    fn log(&self) -> Vec<String> {
        js_sys::Array::from(&Reflect::get(&self.stub, &"log".into()).unwrap())
            .iter()
            .filter_map(|entry| entry.as_string())
            .collect()
    }

    fn logged(&self, prefix: &str) -> bool {
        self.log().iter().any(|entry| entry.starts_with(prefix))
    }

    fn token_requests(&self) -> usize {
        self.log()
            .iter()
            .filter(|entry| entry.starts_with("token "))
            .count()
    }
}

/// A signed-in tab restored from `stored`, with the stand-in issuer answering.
async fn signed_in_with(issuer: &FakeIssuer, stored: &str) -> (Auth, Owner) {
    let started = start_with_issuer("session", Some(stored), FAKE_ORIGIN);
    let auth = started.0;
    wait_until("the restore", || {
        matches!(auth.state().get_untracked(), AuthState::SignedIn(_))
    })
    .await;
    assert!(!issuer.logged("token "), "restored without renewing");
    started
}

/// Starts `auth.refresh()`; its result lands in the returned cell.
fn spawn_refresh(auth: Auth) -> Rc<RefCell<Option<Result<(), AuthError>>>> {
    let result: Rc<RefCell<Option<Result<(), AuthError>>>> = Rc::default();
    let sink = Rc::clone(&result);
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = auth.refresh().await;
        sink.borrow_mut().replace(outcome);
    });
    result
}

#[wasm_bindgen_test]
async fn a_refresh_answered_after_a_sign_out_does_not_sign_back_in() {
    let issuer = FakeIssuer::start().await;
    let stored = issuer.stored_session(3600, "r1").await;
    let (auth, _owner) = signed_in_with(&issuer, &stored).await;
    // A refresh goes out and waits for the token endpoint...
    let refreshed = spawn_refresh(auth);
    wait_until("the refresh request", || issuer.token_requests() == 1).await;
    // ...while the user signs out in another tab.
    let other_tab = web_sys::BroadcastChannel::new("cognito-spa.auth.webtestclient").unwrap();
    other_tab
        .post_message(&JsValue::from_str(&TabMessage::SignedOut.to_json()))
        .unwrap();
    let signed_out_elsewhere = AuthState::SignedOut(Some(SignOutReason::SignedOutElsewhere));
    wait_for_state(auth, &signed_out_elsewhere).await;
    wait_until("the session's refresh token to be revoked", || {
        issuer.logged("revoke token=r1&")
    })
    .await;
    // Then the token endpoint answers, with good tokens and a new refresh token.
    issuer.answer(200, &issuer.tokens(3600, Some("rotated-r2")).await);
    wait_until("the refresh to finish", || refreshed.borrow().is_some()).await;
    wait_until("the unkept refresh token to be revoked", || {
        issuer.logged("revoke token=rotated-r2&")
    })
    .await;
    issuer.stop();
    other_tab.close();
    assert_eq!(
        refreshed.borrow_mut().take(),
        Some(Err(AuthError::NotSignedIn))
    );
    assert_eq!(auth.state().get_untracked(), signed_out_elsewhere);
    assert_eq!(session_storage().get_item(TOKENS_KEY).unwrap(), None);
}

#[wasm_bindgen_test]
async fn a_refresh_failure_that_may_pass_keeps_the_session_and_a_refusal_ends_it() {
    let issuer = FakeIssuer::start().await;
    let stored = issuer.stored_session(3600, "r1").await;
    let (auth, _owner) = signed_in_with(&issuer, &stored).await;
    let refreshed = spawn_refresh(auth);
    wait_until("the refresh request", || issuer.token_requests() == 1).await;
    issuer.answer(503, &JsValue::from_str("busy"));
    wait_until("the refresh to finish", || refreshed.borrow().is_some()).await;
    let unavailable = AuthError::Status {
        endpoint: "the token endpoint",
        status: 503,
    };
    assert_eq!(
        refreshed.borrow_mut().take(),
        Some(Err(unavailable.clone()))
    );
    assert!(matches!(
        auth.state().get_untracked(),
        AuthState::SignedIn(_)
    ));
    assert!(auth.access_token().is_some(), "the token is still good");
    assert_eq!(auth.renewal_problem(), Some(unavailable));
    let kept = session_storage().get_item(TOKENS_KEY).unwrap().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&kept).unwrap(),
        serde_json::from_str::<serde_json::Value>(&stored).unwrap(),
        "the session is kept as it was"
    );
    assert!(!issuer.logged("revoke "), "nothing was revoked");

    // The refresh token refused: that session is over.
    let refreshed = spawn_refresh(auth);
    wait_until("the second refresh request", || {
        issuer.token_requests() == 2
    })
    .await;
    let invalid_grant = JsValue::from_str(r#"{"error":"invalid_grant"}"#);
    issuer.answer(
        400,
        &js_sys::JSON::parse(&invalid_grant.as_string().unwrap()).unwrap(),
    );
    wait_until("the refresh to finish", || refreshed.borrow().is_some()).await;
    wait_until("the refused refresh token to be revoked", || {
        issuer.logged("revoke token=r1&")
    })
    .await;
    issuer.stop();
    let refused = AuthError::Refused {
        endpoint: "the token endpoint",
        error: "invalid_grant".into(),
        description: None,
    };
    assert_eq!(refreshed.borrow_mut().take(), Some(Err(refused.clone())));
    assert_eq!(
        auth.state().get_untracked(),
        AuthState::SignedOut(Some(SignOutReason::RefreshFailed(refused)))
    );
    assert_eq!(auth.renewal_problem(), None);
    assert_eq!(session_storage().get_item(TOKENS_KEY).unwrap(), None);
}

#[wasm_bindgen_test]
async fn an_access_token_about_to_expire_is_renewed_before_it_is_sent() {
    let issuer = FakeIssuer::start().await;
    // Valid for five more seconds: within the margin kept before sending.
    let stored = issuer.stored_session(5, "r1").await;
    let (auth, _owner) = signed_in_with(&issuer, &stored).await;
    let old = auth.access_token().unwrap();
    assert!(auth.access_token_due());
    let fresh: Rc<RefCell<Option<Result<AccessToken, AuthError>>>> = Rc::default();
    let sink = Rc::clone(&fresh);
    wasm_bindgen_futures::spawn_local(async move {
        let token = auth.fresh_access_token().await;
        sink.borrow_mut().replace(token);
    });
    wait_until("the refresh request", || issuer.token_requests() == 1).await;
    issuer.answer(200, &issuer.tokens(3600, None).await);
    wait_until("the fresh token", || fresh.borrow().is_some()).await;
    issuer.stop();
    let token = fresh.borrow_mut().take().unwrap().unwrap();
    assert_ne!(token, old, "the renewed token, not the one about to expire");
    assert_eq!(auth.access_token(), Some(token));
    assert!(!auth.access_token_due());
}
