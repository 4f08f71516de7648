//! Time as the stand-in sees it: the system clock plus an offset that tests can advance, so codes,
//! sessions and tokens can be expired without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A shared clock; clones see the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicU64>,
}

impl Clock {
    /// The system clock, not advanced.
    pub fn system() -> Self {
        Self::default()
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.as_secs(), Ordering::SeqCst);
    }

    /// Seconds since the Unix epoch, as JWT `iat`/`exp` use them.
    pub fn now_secs(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        system + self.offset_secs.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_a_clone_moves_the_original() {
        let clock = Clock::system();
        let before = clock.now_secs();
        clock.clone().advance(Duration::from_secs(301));
        let after = clock.now_secs();
        assert!(
            (301..=303).contains(&(after - before)),
            "{before} -> {after}"
        );
    }
}
