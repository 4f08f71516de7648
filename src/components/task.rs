//! [`Task`]: async work a page starts and shows, as two signals. It does what `LocalResource`,
//! `Action` and `Suspense`/`Transition` did here at a fraction of their size in the wasm (the
//! first `LocalResource` with a `Suspense` alone cost about 15 kB gzip): the pages only ever
//! need "not yet", "running" and "done, with this outcome".

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// One piece of async work and its outcome. `Copy`, so move it into closures freely.
pub struct Task<T: 'static> {
    outcome: RwSignal<Option<T>, LocalStorage>,
    running: RwSignal<bool>,
}

impl<T: 'static> Clone for Task<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Task<T> {}

impl<T: 'static> Task<T> {
    /// A task that has not run yet.
    pub fn new() -> Self {
        Self {
            outcome: RwSignal::new_local(None),
            running: RwSignal::new(false),
        }
    }

    /// A task already started with `work`.
    pub fn started(work: impl Future<Output = T> + 'static) -> Self {
        let task = Self::new();
        task.run(work);
        task
    }

    /// Starts `work`, unless a run is under way (a second click does nothing). The outcome
    /// replaces the last one when it arrives; if the page has gone by then, it is dropped.
    pub fn run(self, work: impl Future<Output = T> + 'static) {
        self.run_boxed(Box::pin(work));
    }

    /// [`Task::run`], not generic over the work: one future per kind of outcome.
    fn run_boxed(self, work: Pin<Box<dyn Future<Output = T>>>) {
        if self.running.get_untracked() {
            return;
        }
        self.running.set(true);
        spawn_local(async move {
            let outcome = work.await;
            // The signals are gone with the page that owned them: nothing to show any more.
            if self.outcome.try_set(Some(outcome)).is_none() {
                self.running.try_set(false);
            }
        });
    }

    /// Whether a run is under way. Reactive.
    pub fn running(self) -> bool {
        self.running.get()
    }

    /// Whether a run is under way, not tracked: for event handlers.
    pub fn running_untracked(self) -> bool {
        self.running.get_untracked()
    }

    /// The last outcome, read in place. Reactive.
    pub fn with<R>(self, read: impl FnOnce(Option<&T>) -> R) -> R {
        self.outcome.with(|outcome| read(outcome.as_ref()))
    }
}

impl<T: Clone + 'static> Task<T> {
    /// A copy of the last outcome. Reactive.
    pub fn outcome(self) -> Option<T> {
        self.outcome.get()
    }
}

impl<T: 'static> Default for Task<T> {
    fn default() -> Self {
        Self::new()
    }
}
