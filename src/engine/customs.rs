//! Simulated customs: what happens to a list besides the plain path (manual review, inspection,
//! a refusal for fault drills, extra delay, a lost receipt), and how long each step takes.
//! Everything is drawn from the engine's seed and the list's GUID, so the arrival order of
//! documents never changes a list's fate; a scenario marker in the list's `note`, or the
//! configuration, forces an outcome on purpose.

use chrono::Duration;

/// The seeded profile of the simulated customs. Rates are per mille.
#[derive(Debug, Clone)]
pub struct Profile {
    pub seed: u64,
    /// Lists sent to manual review (300 人工审核) before 审结.
    pub review_per_mille: u32,
    /// Lists inspected (500 查验) before 审结.
    pub inspection_per_mille: u32,
    /// Consistent lists refused anyway (100), for fault drills.
    pub refusal_per_mille: u32,
    /// Each delay is drawn uniformly within ± this share of its nominal value.
    pub jitter_per_mille: u32,
    pub review_delay: Duration,
    pub inspection_delay: Duration,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            seed: 2025,
            review_per_mille: 20,
            inspection_per_mille: 10,
            refusal_per_mille: 0,
            jitter_per_mille: 500,
            review_delay: Duration::hours(1),
            inspection_delay: Duration::hours(4),
        }
    }
}

/// What customs does with one list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scenario {
    pub review: bool,
    pub inspect: bool,
    pub refuse: bool,
    /// No receipt is sent for this list (its state still moves on).
    pub silent: bool,
    /// Added to every step of the list.
    #[serde(with = "super::snapshot::millis")]
    pub extra_delay: Duration,
}

impl Scenario {
    /// Markers in a list's `note`: `[SW:review]`, `[SW:inspect]`, `[SW:refuse]`, `[SW:silent]`,
    /// `[SW:delay=SECONDS]`. `None` when the note has none (the profile decides).
    pub fn from_note(note: &str) -> Option<Scenario> {
        let mut found = false;
        let mut s = Scenario::default();
        for marker in note.split("[SW:").skip(1) {
            let Some(body) = marker.split(']').next() else {
                continue;
            };
            found = true;
            match body.trim() {
                "review" => s.review = true,
                "inspect" => s.inspect = true,
                "refuse" => s.refuse = true,
                "silent" => s.silent = true,
                other => {
                    if let Some(secs) = other
                        .strip_prefix("delay=")
                        .and_then(|n| n.trim().parse::<i64>().ok())
                    {
                        s.extra_delay = Duration::seconds(secs.clamp(0, 30 * 86_400));
                    }
                }
            }
        }
        found.then_some(s)
    }

    /// The profile's draw for one list.
    pub fn drawn(profile: &Profile, draws: Draws) -> Scenario {
        Scenario {
            review: draws.draw("review") < u64::from(profile.review_per_mille),
            inspect: draws.draw("inspect") < u64::from(profile.inspection_per_mille),
            refuse: draws.draw("refuse") < u64::from(profile.refusal_per_mille),
            ..Scenario::default()
        }
    }
}

/// A delay drawn around `nominal` for one step of one list.
pub fn jittered(profile: &Profile, draws: Draws, step: &str, nominal: Duration) -> Duration {
    let spread = i64::from(profile.jitter_per_mille.min(1000));
    // Uniform in [1000 − spread, 1000 + spread] per mille of the nominal delay.
    let factor = 1000 - spread + (draws.draw(step) as i64 * 2 * spread) / 1000;
    Duration::milliseconds(nominal.num_milliseconds() * factor / 1000)
}

/// The draws of one list: the profile's seed and the list's GUID, hashed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Draws(u64);

impl Draws {
    pub fn new(profile: &Profile, guid: &str) -> Draws {
        Draws(fnv_on(
            profile.seed ^ 0xcbf2_9ce4_8422_2325,
            guid.bytes().chain([0]),
        ))
    }

    /// A number in 0..1000 fixed by the seed, the list and what is being drawn.
    fn draw(self, what: &str) -> u64 {
        let mut h = fnv_on(self.0, what.bytes());
        // Final mix so that nearby inputs spread over the whole range.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h % 1000
    }
}

fn fnv_on(h: u64, bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
