//! The server's time: the wall clock, made monotone over the whole history of the data
//! folder. Entries are stamped with it and customs' timers run on it, so if the wall clock
//! steps back (a time-zone change, a DST fall-back, an NTP step, a restart on another
//! machine) the server's time waits for it instead of going back: receipt ids and contents
//! stay what they were, and timers do not freeze.

use chrono::NaiveDateTime;
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

/// Stamps from a clock that never go back: each is at least the one before, and the first at
/// least the floor the store's history sets.
pub struct Monotone {
    clock: Arc<dyn Clock>,
    last: NaiveDateTime,
}

impl Monotone {
    pub fn new(clock: Arc<dyn Clock>, floor: NaiveDateTime) -> Monotone {
        Monotone { clock, last: floor }
    }

    pub fn stamp(&mut self) -> NaiveDateTime {
        let now = self.clock.now();
        if now > self.last {
            self.last = now;
        }
        self.last
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
        let mut stamps = Monotone::new(Arc::new(clock.clone()), t + Duration::seconds(5));
        assert_eq!(
            stamps.stamp(),
            t + Duration::seconds(5),
            "the history's floor"
        );
        clock.set(t + Duration::seconds(10));
        assert_eq!(stamps.stamp(), t + Duration::seconds(10));
        // DST fall-back: an hour back.
        clock.set(t + Duration::seconds(10) - Duration::hours(1));
        assert_eq!(stamps.stamp(), t + Duration::seconds(10));
        clock.set(t + Duration::seconds(11));
        assert_eq!(stamps.stamp(), t + Duration::seconds(11));
    }
}
