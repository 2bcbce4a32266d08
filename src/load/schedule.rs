//! When each message is due: a constant arrival rate, or a linear ramp from one rate to
//! another, then steady (like k6's ramping-arrival-rate executor).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Messages per second at the start.
    pub rate: f64,
    /// The rate reached at the end of the ramp (and kept after it); `None`: constant.
    pub ramp_to: Option<f64>,
    /// How long the ramp lasts.
    pub ramp: Duration,
}

impl Schedule {
    pub fn constant(rate: f64) -> Schedule {
        Schedule {
            rate,
            ramp_to: None,
            ramp: Duration::ZERO,
        }
    }

    /// When message `k` (from 0) is due, counted from the start.
    pub fn due(&self, k: u64) -> Duration {
        let k = k as f64;
        let r0 = self.rate.max(0.0);
        let secs = match self.ramp_to {
            Some(r1) if self.ramp > Duration::ZERO => {
                let r1 = r1.max(0.0);
                let t_ramp = self.ramp.as_secs_f64();
                // Messages due during the ramp: ∫ r(t) dt over it.
                let in_ramp = (r0 + r1) / 2.0 * t_ramp;
                if k >= in_ramp {
                    t_ramp + (k - in_ramp) / r1.max(f64::MIN_POSITIVE)
                } else {
                    // Solve r0·t + a·t² = k with a = (r1 − r0) / (2·T).
                    let a = (r1 - r0) / (2.0 * t_ramp);
                    if a.abs() < 1e-12 {
                        k / r0.max(f64::MIN_POSITIVE)
                    } else {
                        (-r0 + (r0 * r0 + 4.0 * a * k).max(0.0).sqrt()) / (2.0 * a)
                    }
                }
            }
            _ => k / r0.max(f64::MIN_POSITIVE),
        };
        Duration::from_secs_f64(secs.clamp(0.0, 1e9))
    }

    /// The rate due at time `t` (messages per second).
    pub fn rate_at(&self, t: Duration) -> f64 {
        match self.ramp_to {
            Some(r1) if t < self.ramp => {
                self.rate + (r1 - self.rate) * t.as_secs_f64() / self.ramp.as_secs_f64()
            }
            Some(r1) => r1,
            None => self.rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_rate_spaces_messages_evenly() {
        let s = Schedule::constant(1000.0);
        assert_eq!(s.due(0), Duration::ZERO);
        assert_eq!(s.due(1000), Duration::from_secs(1));
        assert_eq!(s.due(1500).as_millis(), 1500);
    }

    #[test]
    fn a_ramp_sends_the_integral_of_its_rate_then_goes_steady() {
        let s = Schedule {
            rate: 0.0,
            ramp_to: Some(100.0),
            ramp: Duration::from_secs(10),
        };
        // 0 → 100/s over 10 s: 500 messages in the ramp, the first 125 in its first 5 s.
        assert!((s.due(125).as_secs_f64() - 5.0).abs() < 1e-6);
        assert!((s.due(500).as_secs_f64() - 10.0).abs() < 1e-6);
        assert!((s.due(600).as_secs_f64() - 11.0).abs() < 1e-6);
        let down = Schedule {
            rate: 100.0,
            ramp_to: Some(50.0),
            ramp: Duration::from_secs(2),
        };
        assert!((down.due(150).as_secs_f64() - 2.0).abs() < 1e-6);
        assert!(down.due(10) < down.due(11));
    }
}
