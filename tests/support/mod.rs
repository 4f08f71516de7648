//! Shared by the browser tests: waiting for a condition, with a deadline.

use gloo_timers::future::TimeoutFuture;

/// How long a test waits for something to happen: generous, because a loaded machine can delay
/// the browser's timers a lot, and the wait ends as soon as the condition holds.
const DEADLINE_MS: f64 = 10_000.0;

/// Waits until `condition` holds, for at most [`DEADLINE_MS`]; whether it came to hold.
pub async fn settles(condition: impl Fn() -> bool) -> bool {
    let deadline = js_sys::Date::now() + DEADLINE_MS;
    while !condition() {
        if js_sys::Date::now() >= deadline {
            return false;
        }
        TimeoutFuture::new(10).await;
    }
    true
}

/// Waits until `condition` holds, failing the test with `what` after [`DEADLINE_MS`].
pub async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    assert!(settles(condition).await, "timed out waiting for {what}");
}
