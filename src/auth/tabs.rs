//! Coordination between tabs of this app: a sign-out in one signs out the others
//! (`BroadcastChannel`), and refreshes are serialized (the Web Locks API) so that a rotated
//! refresh token is never used by two refreshes at once.
//!
//! web-sys only exposes `LockManager` with `--cfg=web_sys_unstable_apis`, which would have to be
//! set for every build of the workspace; one `Reflect` lookup and one function call do the same.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{BroadcastChannel, MessageEvent};

const SIGNED_OUT: &str = "signed-out";

/// A channel to the other tabs of this app with the same client id.
pub struct SignOutChannel {
    channel: BroadcastChannel,
    // Kept alive as long as the channel listens.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl SignOutChannel {
    /// Listens for sign-outs announced by other tabs; `None` where the browser has no
    /// `BroadcastChannel` (each tab then stays on its own).
    pub fn open(name: &str, on_sign_out_elsewhere: impl Fn() + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(name).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if event.data().as_string().as_deref() == Some(SIGNED_OUT) {
                on_sign_out_elsewhere();
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _on_message: on_message,
        })
    }

    /// Tells the other tabs that the user signed out. A tab does not hear its own messages.
    pub fn announce_sign_out(&self) {
        // Nothing useful to do if the channel is closed: this tab signs out regardless.
        let _ = self.channel.post_message(&JsValue::from_str(SIGNED_OUT));
    }
}

impl Drop for SignOutChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Runs `work` while holding the exclusive Web Lock `name`, shared by all tabs of this origin.
/// Where the browser has no Web Locks API, `work` runs without it. `None` only if the browser
/// dropped a granted lock before `work` finished.
pub async fn with_lock<T: 'static>(
    name: &str,
    work: impl Future<Output = T> + 'static,
) -> Option<T> {
    // The work is taken by whoever runs it: the lock's callback, or this function if the lock
    // could not be requested at all.
    let work = Rc::new(RefCell::new(Some(Box::pin(work))));
    let result: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    if let Some(request) = request_lock(name, Rc::clone(&work), Rc::clone(&result)) {
        // A rejection means the lock was not granted, or was lost: told apart below.
        let _ = JsFuture::from(request).await;
    }
    let finished = result.borrow_mut().take();
    if finished.is_some() {
        return finished;
    }
    let never_started = work.borrow_mut().take()?;
    Some(never_started.await)
}

fn request_lock<F: Future<Output = T> + 'static, T: 'static>(
    name: &str,
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
        .call2(&locks, &JsValue::from_str(name), &callback)
        .ok()?
        .dyn_into()
        .ok()
}
