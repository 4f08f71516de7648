//! Where tokens and the pending sign-in are kept: this tab's memory or its `sessionStorage`.
//! Never `localStorage`: anything there outlives the tab and is shared by every tab for good.

use std::cell::RefCell;

use serde::Serialize;
use serde::de::DeserializeOwned;
use web_sys::Storage;

use super::crypto::describe;
use super::error::AuthError;
use super::flow::PendingSignIn;
use super::session::StoredTokens;
use crate::config::TokenStorage;
use crate::json;

/// The `sessionStorage` key of the session's tokens (with `token_storage: "session"`).
pub const TOKENS_KEY: &str = "cognito-spa.tokens";
/// The `sessionStorage` key of the sign-in in progress.
pub const PENDING_SIGN_IN_KEY: &str = "cognito-spa.pending-sign-in";

/// Where the session's tokens live, as configured by `token_storage`.
#[derive(Debug)]
pub enum TokenStore {
    /// In this tab's memory: gone on reload.
    Memory(RefCell<Option<StoredTokens>>),
    /// In this tab's `sessionStorage`: kept across reloads, gone when the tab closes.
    Session,
}

impl TokenStore {
    /// An empty store of the configured kind.
    pub fn new(kind: TokenStorage) -> Self {
        match kind {
            TokenStorage::Memory => Self::Memory(RefCell::new(None)),
            TokenStorage::Session => Self::Session,
        }
    }

    /// The stored tokens, if any. Unreadable leftovers are removed and count as none.
    pub fn load(&self) -> Result<Option<StoredTokens>, AuthError> {
        match self {
            Self::Memory(tokens) => Ok(tokens.borrow().clone()),
            Self::Session => read(TOKENS_KEY),
        }
    }

    /// Keeps `tokens`, replacing what was there.
    pub fn save(&self, tokens: &StoredTokens) -> Result<(), AuthError> {
        match self {
            Self::Memory(slot) => {
                slot.replace(Some(tokens.clone()));
                Ok(())
            }
            Self::Session => write(TOKENS_KEY, tokens),
        }
    }

    /// Forgets the tokens.
    pub fn clear(&self) -> Result<(), AuthError> {
        match self {
            Self::Memory(slot) => {
                slot.replace(None);
                Ok(())
            }
            Self::Session => remove(TOKENS_KEY),
        }
    }
}

/// Keeps the sign-in this tab is starting (always in `sessionStorage`: it must survive the trip
/// to the hosted UI and back, and only this tab may finish it).
pub fn save_pending_sign_in(pending: &PendingSignIn) -> Result<(), AuthError> {
    write(PENDING_SIGN_IN_KEY, pending)
}

/// Takes the pending sign-in out of storage, so its state can be used only once.
pub fn take_pending_sign_in() -> Result<Option<PendingSignIn>, AuthError> {
    let pending = read(PENDING_SIGN_IN_KEY)?;
    remove(PENDING_SIGN_IN_KEY)?;
    Ok(pending)
}

fn session_storage() -> Result<Storage, AuthError> {
    let unavailable = |message: String| AuthError::Browser {
        action: "use sessionStorage",
        message,
    };
    web_sys::window()
        .ok_or_else(|| unavailable("there is no window".into()))?
        .session_storage()
        .map_err(|error| unavailable(describe(&error)))?
        .ok_or_else(|| unavailable("it is disabled in this browser".into()))
}

fn read<T: DeserializeOwned>(key: &str) -> Result<Option<T>, AuthError> {
    let storage = session_storage()?;
    let text = storage.get_item(key).map_err(|error| AuthError::Browser {
        action: "read sessionStorage",
        message: describe(&error),
    })?;
    match text.map(|text| json::from_text(&text)) {
        None => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        // Written by another version of the app, or edited by hand: start afresh.
        Some(Err(_)) => remove(key).map(|()| None),
    }
}

fn write<T: Serialize>(key: &str, value: &T) -> Result<(), AuthError> {
    let text = json::to_text(value).map_err(|message| AuthError::Browser {
        action: "write sessionStorage",
        message,
    })?;
    session_storage()?
        .set_item(key, &text)
        .map_err(|error| AuthError::Browser {
            action: "write sessionStorage",
            message: describe(&error),
        })
}

fn remove(key: &str) -> Result<(), AuthError> {
    session_storage()?
        .remove_item(key)
        .map_err(|error| AuthError::Browser {
            action: "clear sessionStorage",
            message: describe(&error),
        })
}
