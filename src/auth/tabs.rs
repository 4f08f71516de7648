//! Coordination between tabs of this app: a sign-out in one signs out the others, a tab that
//! renewed its session's tokens hands them to the tabs that share the session
//! (`BroadcastChannel`), and refreshes are serialized (the Web Locks API) so that a rotated
//! refresh token is never used by two refreshes at once.
//!
//! web-sys only exposes `LockManager` with `--cfg=web_sys_unstable_apis`, which would have to be
//! set for every build of the workspace; one `Reflect` lookup and one function call do the same.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{AbortSignal, BroadcastChannel, MessageEvent};

use super::session::StoredTokens;
use crate::json;

/// What one tab tells the others (as JSON; the channel is same-origin only).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TabMessage {
    /// The user signed out: the other tabs end their sessions too.
    SignedOut,
    /// The sender renewed its session's tokens. Tabs of the same session take them up (after
    /// checking them as a refresh's), since with rotation their refresh token stopped working.
    Renewed(StoredTokens),
}

impl TabMessage {
    /// The message in `text`; `None` for anything else (another app's or version's message).
    pub fn parse(text: &str) -> Option<Self> {
        json::from_text(text).ok()
    }

    /// The message as sent.
    pub fn to_json(&self) -> String {
        // Strings and numbers only: serializing cannot fail.
        json::to_text(self).unwrap_or_default()
    }
}

/// A channel to the other tabs of this app with the same client id.
pub struct TabChannel {
    channel: BroadcastChannel,
    // Kept alive as long as the channel listens.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl TabChannel {
    /// Listens for the other tabs' messages; `None` where the browser has no
    /// `BroadcastChannel` (each tab then stays on its own).
    pub fn open(name: &str, on_message: impl Fn(TabMessage) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(name).ok()?;
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(message) = event
                .data()
                .as_string()
                .as_deref()
                .and_then(TabMessage::parse)
            {
                on_message(message);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _on_message: listener,
        })
    }

    /// Tells the other tabs. A tab does not hear its own messages.
    pub fn announce(&self, message: &TabMessage) {
        // Nothing useful to do if the channel is closed: each tab then carries on alone.
        let _ = self
            .channel
            .post_message(&JsValue::from_str(&message.to_json()));
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Why [`with_lock`] did not run its work to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another tab held the lock for longer than the caller would wait (a frozen or very busy
    /// tab); the work did not run.
    #[error("another tab held the lock for more than {waited_ms} ms")]
    TimedOut {
        /// How long the caller waited, in milliseconds.
        waited_ms: u32,
    },
    /// The browser released the lock before the work finished.
    #[error("the browser released the lock before the work finished")]
    Released,
}

/// Runs `work` while holding the exclusive Web Lock `name`, shared by all tabs of this origin,
/// waiting at most `wait_ms` for it (`AbortSignal.timeout`): a frozen tab holding it must not
/// block the others for good. Where the browser has no Web Locks API, `work` runs without it.
pub async fn with_lock<T: 'static>(
    name: &str,
    wait_ms: u32,
    work: impl Future<Output = T> + 'static,
) -> Result<T, LockError> {
    // The work is taken by whoever runs it: the lock's callback, or this function if the lock
    // could not be requested at all.
    let work = Rc::new(RefCell::new(Some(Box::pin(work))));
    let result: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    let mut timed_out = false;
    if let Some(request) = request_lock(name, wait_ms, Rc::clone(&work), Rc::clone(&result)) {
        // A rejection means the lock was not granted in time, or was lost: told apart below.
        if let Err(rejection) = JsFuture::from(request).await {
            timed_out = error_name(&rejection).as_deref() == Some("TimeoutError");
        }
    }
    if let Some(finished) = result.borrow_mut().take() {
        return Ok(finished);
    }
    let never_started = work.borrow_mut().take();
    match never_started {
        Some(_) if timed_out => Err(LockError::TimedOut { waited_ms: wait_ms }),
        Some(work) => Ok(work.await),
        None => Err(LockError::Released),
    }
}

fn request_lock<F: Future<Output = T> + 'static, T: 'static>(
    name: &str,
    wait_ms: u32,
    work: Rc<RefCell<Option<std::pin::Pin<Box<F>>>>>,
    result: Rc<RefCell<Option<T>>>,
) -> Option<Promise> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into()
        .ok()?;
    // The signal only ends a request still waiting; once granted, the lock is held to the end.
    let options = Object::new();
    Reflect::set(
        &options,
        &JsValue::from_str("signal"),
        &AbortSignal::timeout_with_u32(wait_ms),
    )
    .ok()?;
    let callback = Closure::once_into_js(move |_lock: JsValue| -> Promise {
        let taken = work.borrow_mut().take();
        future_to_promise(async move {
            if let Some(work) = taken {
                let value = work.await;
                result.borrow_mut().replace(value);
            }
            Ok(JsValue::UNDEFINED)
        })
    });
    request
        .call3(&locks, &JsValue::from_str(name), &options, &callback)
        .ok()?
        .dyn_into()
        .ok()
}

/// The `name` of a rejection's `DOMException` (`TimeoutError`, `AbortError`...).
fn error_name(rejection: &JsValue) -> Option<String> {
    Reflect::get(rejection, &JsValue::from_str("name"))
        .ok()?
        .as_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::types::{AccessToken, IdToken, RefreshToken, SessionId};

    // Their trip through JSON, which the browser parses: tests/web_tabs.rs.
    #[test]
    fn the_debug_form_of_a_renewal_hides_the_tokens() {
        let renewed = TabMessage::Renewed(StoredTokens {
            id_token: IdToken::new("id-secret"),
            access_token: AccessToken::new("access-secret"),
            refresh_token: Some(RefreshToken::new("refresh-secret")),
            session_id: SessionId::new("s"),
            renewals: 1,
        });
        assert!(!format!("{renewed:?}").contains("secret"));
    }
}
