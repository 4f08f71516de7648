//! Tab coordination in a real browser: the messages between tabs and the refresh lock.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cognito_spa::auth::session::StoredTokens;
use cognito_spa::auth::tabs::{LockError, TabChannel, TabMessage, with_lock};
use cognito_spa::auth::{AccessToken, IdToken, RefreshToken, SessionId};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::BroadcastChannel;

mod support;
use support::wait_until;

wasm_bindgen_test_configure!(run_in_browser);

fn renewed(renewals: u64) -> TabMessage {
    TabMessage::Renewed(StoredTokens {
        id_token: IdToken::new("id"),
        access_token: AccessToken::new(format!("access-{renewals}")),
        refresh_token: Some(RefreshToken::new(format!("refresh-{renewals}"))),
        session_id: SessionId::new("session-1"),
        renewals,
    })
}

#[wasm_bindgen_test]
fn messages_survive_the_trip() {
    for message in [TabMessage::SignedOut, renewed(3)] {
        assert_eq!(TabMessage::parse(&message.to_json()), Some(message));
    }
    let absent = TabMessage::Renewed(StoredTokens {
        refresh_token: None,
        ..match renewed(1) {
            TabMessage::Renewed(tokens) => tokens,
            TabMessage::SignedOut => unreachable!(),
        }
    });
    assert_eq!(TabMessage::parse(&absent.to_json()), Some(absent));
}

#[wasm_bindgen_test]
fn anything_else_on_the_channel_is_ignored() {
    for text in ["", "signed-out", "{}", r#"{"renewed":{"id_token":"i"}}"#] {
        assert_eq!(TabMessage::parse(text), None, "{text:?}");
    }
}

#[wasm_bindgen_test]
fn messages_are_the_json_earlier_versions_sent() {
    // Tabs of the previous build (serde_json) may still be open: the text is unchanged.
    assert_eq!(TabMessage::SignedOut.to_json(), r#""signed_out""#);
    let text = r#"{"renewed":{"id_token":"id","access_token":"access-1","refresh_token":"refresh-1","session_id":"session-1","renewals":1}}"#;
    assert_eq!(renewed(1).to_json(), text);
    let without_refresh = text.replace(r#""refresh-1""#, "null");
    assert!(matches!(
        TabMessage::parse(&without_refresh),
        Some(TabMessage::Renewed(StoredTokens {
            refresh_token: None,
            ..
        }))
    ));
}

#[wasm_bindgen_test]
async fn messages_announced_elsewhere_are_heard_and_others_ignored() {
    let heard: Rc<RefCell<Vec<TabMessage>>> = Rc::default();
    let sink = Rc::clone(&heard);
    let _listening = TabChannel::open("test-tabs-in", move |message| {
        sink.borrow_mut().push(message)
    })
    .unwrap();
    let other_tab = BroadcastChannel::new("test-tabs-in").unwrap();
    for text in ["something else".to_owned(), TabMessage::SignedOut.to_json()] {
        other_tab.post_message(&JsValue::from_str(&text)).unwrap();
    }
    other_tab
        .post_message(&JsValue::from_str(&renewed(1).to_json()))
        .unwrap();
    wait_until("both messages", || heard.borrow().len() == 2).await;
    // One sender's messages arrive in order, so the unrelated first one was handled (and
    // ignored) before these two: exactly two calls, in order.
    assert_eq!(*heard.borrow(), vec![TabMessage::SignedOut, renewed(1)]);
}

#[wasm_bindgen_test]
async fn messages_announced_here_reach_the_other_tabs_only() {
    let heard_there: Rc<RefCell<Vec<TabMessage>>> = Rc::default();
    let sink = Rc::clone(&heard_there);
    let _other_tab = TabChannel::open("test-tabs-out", move |message| {
        sink.borrow_mut().push(message)
    })
    .unwrap();
    let heard_here = Rc::new(Cell::new(false));
    let flag = Rc::clone(&heard_here);
    let channel = TabChannel::open("test-tabs-out", move |_| flag.set(true)).unwrap();
    channel.announce(&renewed(2));
    channel.announce(&TabMessage::SignedOut);
    wait_until("the announcements", || heard_there.borrow().len() == 2).await;
    assert_eq!(
        *heard_there.borrow(),
        vec![renewed(2), TabMessage::SignedOut]
    );
    assert!(!heard_here.get(), "a tab does not hear its own messages");
}

#[wasm_bindgen_test]
async fn a_closed_channel_hears_nothing_more() {
    let heard = Rc::new(Cell::new(0));
    let counter = Rc::clone(&heard);
    let listening =
        TabChannel::open("test-tabs-closed", move |_| counter.set(counter.get() + 1)).unwrap();
    let other_tab = BroadcastChannel::new("test-tabs-closed").unwrap();
    let signed_out = JsValue::from_str(&TabMessage::SignedOut.to_json());
    other_tab.post_message(&signed_out).unwrap();
    wait_until("the first message", || heard.get() == 1).await;
    drop(listening);
    // A tab still listening hears the next message; by then the closed one would have too.
    let probe_heard = Rc::new(Cell::new(false));
    let probe_flag = Rc::clone(&probe_heard);
    let _probe = TabChannel::open("test-tabs-closed", move |_| probe_flag.set(true)).unwrap();
    other_tab.post_message(&signed_out).unwrap();
    wait_until("the probe to hear the second message", || probe_heard.get()).await;
    assert_eq!(heard.get(), 1);
}

#[wasm_bindgen_test]
async fn the_lock_serializes_work_and_returns_its_result() {
    let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let task = |name_start: &'static str, name_end: &'static str, pause: u32| {
        let log = Rc::clone(&log);
        future_to_promise(async move {
            let value = with_lock("test-refresh-lock", 10_000, async move {
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

#[wasm_bindgen_test]
async fn a_lock_held_by_a_frozen_tab_is_given_up_after_the_wait() {
    // A holder that never finishes, as a frozen tab would be.
    let held = Rc::new(Cell::new(false));
    let holding = Rc::clone(&held);
    wasm_bindgen_futures::spawn_local(async move {
        let _ = with_lock("test-frozen-lock", 10_000, async move {
            holding.set(true);
            std::future::pending::<()>().await;
        })
        .await;
    });
    wait_until("the lock to be held", || held.get()).await;
    let ran = Rc::new(Cell::new(false));
    let running = Rc::clone(&ran);
    let started = js_sys::Date::now();
    let waited = with_lock("test-frozen-lock", 200, async move { running.set(true) }).await;
    assert_eq!(waited, Err(LockError::TimedOut { waited_ms: 200 }));
    assert!(!ran.get(), "the work must not run without the lock");
    assert!(
        js_sys::Date::now() - started >= 190.0,
        "it waited for the lock first"
    );
}
