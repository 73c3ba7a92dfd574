//! Time as a dependency: core never calls `now()` itself, so every timeout, retention and
//! escalation rule can be tested on a simulated clock.

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// A source of the current instant (UTC).
pub trait Clock: Send + Sync + 'static {
    /// The current instant, in UTC, truncated to microseconds (the precision stored).
    fn now(&self) -> OffsetDateTime;
}

/// Truncate an instant to whole microseconds, the precision of the database columns.
pub fn to_micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// The instant for a number of microseconds since the Unix epoch.
pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        from_micros(to_micros(OffsetDateTime::now_utc()))
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug, Clone)]
pub struct SimulatedClock(Arc<Mutex<OffsetDateTime>>);

impl SimulatedClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        SimulatedClock(Arc::new(Mutex::new(from_micros(to_micros(start)))))
    }
    /// Move the clock forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().map(|t| *t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}
