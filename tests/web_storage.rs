//! Token and sign-in storage in a real browser: memory and sessionStorage round-trips, and
//! nothing ever in localStorage.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use cognito_spa::auth::flow::PendingSignIn;
use cognito_spa::auth::session::StoredTokens;
use cognito_spa::auth::storage::{
    PENDING_SIGN_IN_KEY, TOKENS_KEY, TokenStore, save_pending_sign_in, take_pending_sign_in,
};
use cognito_spa::auth::{
    AccessToken, IdToken, Nonce, PkceCodeVerifier, RefreshToken, SessionId, State,
};
use cognito_spa::config::TokenStorage;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::Storage;

wasm_bindgen_test_configure!(run_in_browser);

fn session_storage() -> Storage {
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
}

fn local_storage_is_empty() -> bool {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .length()
        .unwrap()
        == 0
}

fn tokens(suffix: &str) -> StoredTokens {
    StoredTokens {
        id_token: IdToken::new(format!("id-{suffix}")),
        access_token: AccessToken::new(format!("access-{suffix}")),
        refresh_token: Some(RefreshToken::new(format!("refresh-{suffix}"))),
        session_id: SessionId::new("session-1"),
        renewals: 0,
    }
}

#[wasm_bindgen_test]
fn memory_store_round_trip_touches_no_web_storage() {
    session_storage().clear().unwrap();
    let store = TokenStore::new(TokenStorage::Memory);
    assert_eq!(store.load(), Ok(None));
    store.save(&tokens("1")).unwrap();
    store.save(&tokens("2")).unwrap();
    assert_eq!(store.load(), Ok(Some(tokens("2"))));
    assert_eq!(session_storage().length().unwrap(), 0);
    assert!(local_storage_is_empty());
    store.clear().unwrap();
    assert_eq!(store.load(), Ok(None));
}

#[wasm_bindgen_test]
fn session_store_round_trip_uses_session_storage_only() {
    session_storage().clear().unwrap();
    let store = TokenStore::new(TokenStorage::Session);
    assert_eq!(store.load(), Ok(None));
    store.save(&tokens("1")).unwrap();
    assert!(session_storage().get_item(TOKENS_KEY).unwrap().is_some());
    // A second store (as after a reload) reads the same tokens.
    assert_eq!(
        TokenStore::new(TokenStorage::Session).load(),
        Ok(Some(tokens("1")))
    );
    assert!(local_storage_is_empty());
    store.clear().unwrap();
    assert_eq!(store.load(), Ok(None));
    assert_eq!(session_storage().get_item(TOKENS_KEY).unwrap(), None);
}

#[wasm_bindgen_test]
fn unreadable_stored_tokens_are_dropped() {
    session_storage().set_item(TOKENS_KEY, "{not json").unwrap();
    assert_eq!(TokenStore::new(TokenStorage::Session).load(), Ok(None));
    assert_eq!(session_storage().get_item(TOKENS_KEY).unwrap(), None);
}

#[wasm_bindgen_test]
fn a_pending_sign_in_can_be_taken_once() {
    session_storage().clear().unwrap();
    let pending = || PendingSignIn {
        verifier: PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        state: State::new("state-1"),
        nonce: Nonce::new("nonce-1"),
        return_path: "/profile".into(),
        created_at: 1_800_000_000,
    };
    save_pending_sign_in(&pending()).unwrap();
    assert!(
        session_storage()
            .get_item(PENDING_SIGN_IN_KEY)
            .unwrap()
            .is_some()
    );
    assert!(local_storage_is_empty());
    assert_eq!(take_pending_sign_in(), Ok(Some(pending())));
    assert_eq!(take_pending_sign_in(), Ok(None), "one-time");
    assert_eq!(session_storage().length().unwrap(), 0);
    assert!(local_storage_is_empty());
}
