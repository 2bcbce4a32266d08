//! The server's time: the wall clock, made monotone over the whole history of the data
//! folder. Entries are stamped with it and customs' timers run on it, so if the wall clock
//! steps back (a time-zone change, a DST fall-back, an NTP step, a restart on another
//! machine) the server's time waits for it instead of going back: receipt ids and contents
//! stay what they were, and timers do not freeze.

use chrono::NaiveDateTime;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// Where the time comes from: the wall clock, or a test's hand.
pub trait Clock: Send + Sync {
    /// The time now, as the naive local time the engine works in.
    fn now(&self) -> NaiveDateTime;
}

/// The wall clock, in whole milliseconds: the log keeps milliseconds, and a replay must see
/// exactly the times the live engine saw.
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> NaiveDateTime {
        wall_clock()
    }
}

/// The wall clock's time now, as `WallClock` gives it.
pub fn wall_clock() -> NaiveDateTime {
    use chrono::SubsecRound as _;
    chrono::Local::now().naive_local().trunc_subsecs(3)
}

/// A clock a test moves by hand. Clones share the time.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<NaiveDateTime>>);

impl ManualClock {
    pub fn new(start: NaiveDateTime) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    /// Sets the time, forwards or back.
    pub fn set(&self, t: NaiveDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The server's time, shared: each reading is at least the one before (on any thread), and
/// the first at least the floor the store's history sets. The e-port's receipts are dated
/// by it when a message is checked, entries when they are stored, so an entry is never
/// stored before it was checked.
pub struct ServerClock {
    clock: Arc<dyn Clock>,
    /// The latest reading, in milliseconds since the epoch of naive time.
    last: AtomicI64,
}

impl ServerClock {
    pub fn new(clock: Arc<dyn Clock>, floor: NaiveDateTime) -> ServerClock {
        ServerClock {
            clock,
            last: AtomicI64::new(floor.and_utc().timestamp_millis()),
        }
    }

    pub fn now(&self) -> NaiveDateTime {
        let now = self.clock.now().and_utc().timestamp_millis();
        let last = self.last.fetch_max(now, Ordering::SeqCst).max(now);
        chrono::DateTime::from_timestamp_millis(last)
            .map(|t| t.naive_utc())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};

    #[test]
    fn stamps_wait_for_a_clock_that_went_back() {
        let t = NaiveDate::from_ymd_opt(2026, 11, 1)
            .and_then(|d| d.and_hms_opt(2, 0, 0))
            .unwrap();
        let clock = ManualClock::new(t);
        let server = ServerClock::new(Arc::new(clock.clone()), t + Duration::seconds(5));
        assert_eq!(
            server.now(),
            t + Duration::seconds(5),
            "the history's floor"
        );
        clock.set(t + Duration::seconds(10));
        assert_eq!(server.now(), t + Duration::seconds(10));
        // DST fall-back: an hour back.
        clock.set(t + Duration::seconds(10) - Duration::hours(1));
        assert_eq!(server.now(), t + Duration::seconds(10));
        clock.set(t + Duration::milliseconds(11_250));
        assert_eq!(server.now(), t + Duration::milliseconds(11_250));
    }
}
