//! Tab coordination in a real browser: the sign-out broadcast and the refresh lock.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cognito_spa::auth::tabs::{SignOutChannel, with_lock};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::BroadcastChannel;

wasm_bindgen_test_configure!(run_in_browser);

/// Waits until `condition` holds, failing after two seconds.
async fn wait_for(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}");
}

#[wasm_bindgen_test]
async fn a_sign_out_announced_elsewhere_is_heard() {
    let heard = Rc::new(Cell::new(0));
    let counter = Rc::clone(&heard);
    let _listening =
        SignOutChannel::open("test-sign-out-in", move || counter.set(counter.get() + 1)).unwrap();
    let other_tab = BroadcastChannel::new("test-sign-out-in").unwrap();
    other_tab
        .post_message(&JsValue::from_str("something else"))
        .unwrap();
    other_tab
        .post_message(&JsValue::from_str("signed-out"))
        .unwrap();
    wait_for("the sign-out message", || heard.get() == 1).await;
    // The unrelated message was ignored: only one call.
    TimeoutFuture::new(50).await;
    assert_eq!(heard.get(), 1);
}

#[wasm_bindgen_test]
async fn a_sign_out_here_is_announced_to_the_others() {
    let received: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = Rc::clone(&received);
    let other_tab = BroadcastChannel::new("test-sign-out-out").unwrap();
    let on_message = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
        move |event: web_sys::MessageEvent| {
            sink.borrow_mut()
                .push(event.data().as_string().unwrap_or_default())
        },
    );
    other_tab.set_onmessage(Some(wasm_bindgen::JsCast::unchecked_ref(
        on_message.as_ref(),
    )));
    let heard_here = Rc::new(Cell::new(false));
    let flag = Rc::clone(&heard_here);
    let channel = SignOutChannel::open("test-sign-out-out", move || flag.set(true)).unwrap();
    channel.announce_sign_out();
    wait_for("the announcement", || !received.borrow().is_empty()).await;
    assert_eq!(*received.borrow(), vec!["signed-out".to_owned()]);
    assert!(
        !heard_here.get(),
        "a tab does not hear its own announcement"
    );
}

#[wasm_bindgen_test]
async fn the_lock_serializes_work_and_returns_its_result() {
    let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let task = |name_start: &'static str, name_end: &'static str, pause: u32| {
        let log = Rc::clone(&log);
        future_to_promise(async move {
            let value = with_lock("test-refresh-lock", async move {
                log.borrow_mut().push(name_start);
                TimeoutFuture::new(pause).await;
                log.borrow_mut().push(name_end);
                pause
            })
            .await;
            Ok(JsValue::from(value.unwrap()))
        })
    };
    // The first holds the lock for a while; the second must wait for it, not interleave.
    let both = Array::of2(&task("a-start", "a-end", 100), &task("b-start", "b-end", 1));
    let results = JsFuture::from(Promise::all(&both)).await.unwrap();
    assert_eq!(*log.borrow(), vec!["a-start", "a-end", "b-start", "b-end"]);
    let results: Vec<f64> = Array::from(&results)
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert_eq!(results, vec![100.0, 1.0]);
}
