//! The server's configuration: a TOML file, every key optional (the defaults need no file).

use crate::engine::EngineConfig;
use crate::scenario::{EnterpriseSpec, FxRateSpec, TaxSpec, dates_as_strings};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything `serve` can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Folder of the store (`db/`) and of generated tokens (`tokens.toml`).
    pub data: PathBuf,
    /// Enterprise registry replacing the shipped one (like `seeds/enterprises.toml`).
    pub registry: Option<PathBuf>,
    /// Largest request body accepted (bytes); larger ones get 413.
    pub max_body_bytes: usize,
    /// Messages waiting to be stored before new ones get 503.
    pub queue: usize,
    /// Connections open at once; past it new ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// `POST /ceb` requests being read, checked or stored at once; past it 503.
    pub max_in_flight: usize,
    /// Bytes of `POST /ceb` bodies held at once (MiB); past it 503.
    pub max_in_flight_mb: usize,
    /// Answers later than this (ms, the runtime's scheduling lag or the smoothed time to
    /// acknowledge) shed new messages with 503, more the later they are; 0: never.
    pub latency_budget_ms: u64,
    /// `/metrics` and `/baseline` without the admin token (they name every enterprise's DXP
    /// id, so they need it unless this is set).
    pub public_metrics: bool,
    /// At SIGTERM, requests and deliveries in flight get this long (s) to finish.
    pub shutdown_grace_secs: u64,
    /// Most messages written by one flush (group commit).
    pub max_batch: usize,
    /// Shortest time (ms) from one flush to the next: under steady load more messages share a
    /// flush (each costs the disk and the CPU about the same whatever it holds); a message
    /// arriving after a quiet spell is written at once. 0 flushes as soon as one is free.
    pub commit_ms: u64,
    /// How often (ms) the engine's clock moves on when nothing arrives.
    pub tick_ms: u64,
    /// A checkpoint of the engine's state is made this often (s) when anything arrived …
    pub checkpoint_secs: u64,
    /// … or after this many log entries, whichever comes first. A start replays at most
    /// about this much of the log.
    pub checkpoint_records: u64,
    /// Checkpoints kept (the newest good one is used; the others in case it is damaged).
    pub checkpoints_kept: usize,
    /// A log segment is closed once it is this large (MiB).
    pub log_segment_mb: u64,
    /// Closed log segments that every kept checkpoint covers are removed once closed this
    /// long (minutes, by the server's time).
    pub log_retention_minutes: u64,
    /// Block cache of the settled ledger (MiB).
    pub ledger_cache_mb: u64,
    /// A receipt its enterprise has (pushed, dropped, or pulled past) is removed once this
    /// old (minutes, by the server's time); one it does not have yet is kept (see
    /// `retention`).
    pub receipt_retention_minutes: u64,
    /// Move a data folder of the previous layout to this one (`serve --migrate`).
    #[serde(skip)]
    pub migrate: bool,
    /// The test-support API under `/test/` (on by default; a simulator).
    pub test_support: bool,
    /// Token of the test-support API; generated into `tokens.toml` when not set.
    pub admin_token: Option<String>,
    /// Enterprises that may connect; when none is given, every enterprise of the registry
    /// with a DXP id gets a token generated into `<data>/tokens.toml`.
    pub enterprise: Vec<EnterpriseConfig>,
    /// File-drop folders, one set per enterprise.
    pub filedrop: Vec<FileDropConfig>,
    pub push: PushConfig,
    pub customs: CustomsConfig,
    /// Tax tables and parameters, as a scenario's `[tax]` (paths relative to the working
    /// folder); the per-line draws of the tax assumptions use `customs.seed`.
    pub tax: TaxSpec,
    /// Extra or overriding exchange rates, as a scenario's `[[fx_rate]]`.
    #[serde(rename = "fx_rate")]
    pub fx_rates: Vec<FxRateSpec>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data: "data".into(),
            registry: None,
            max_body_bytes: 4 * 1024 * 1024,
            queue: 16_384,
            max_connections: 4096,
            max_in_flight: 4096,
            max_in_flight_mb: 256,
            latency_budget_ms: 200,
            public_metrics: false,
            shutdown_grace_secs: 10,
            max_batch: 4096,
            commit_ms: 2,
            tick_ms: 100,
            checkpoint_secs: 10,
            checkpoint_records: 50_000,
            checkpoints_kept: 3,
            log_segment_mb: 64,
            log_retention_minutes: 60,
            ledger_cache_mb: 64,
            receipt_retention_minutes: 7 * 24 * 60,
            migrate: false,
            test_support: true,
            admin_token: None,
            enterprise: Vec::new(),
            filedrop: Vec::new(),
            push: PushConfig::default(),
            customs: CustomsConfig::default(),
            tax: TaxSpec::default(),
            fx_rates: Vec::new(),
        }
    }
}

/// One enterprise allowed to connect.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseConfig {
    /// Its DXP id: it may send only messages whose `BaseTransfer/dxpId` is this.
    pub dxp_id: String,
    /// Bearer token it authenticates with.
    pub token: String,
    /// Receipts are POSTed here as they come, when set.
    pub callback: Option<String>,
    /// Its tax profile, written as a scenario's `[[enterprise]]` entry (`code` is its ebcCode,
    /// the registry's code of this DXP id); a documented default when absent.
    pub tax_profile: Option<EnterpriseSpec>,
}

/// An inbox the server watches for one enterprise, and where it puts what it did.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDropConfig {
    pub dxp_id: String,
    /// Where the enterprise drops messages (`*.xml`; names starting with `.` are skipped
    /// while being written).
    pub inbox: PathBuf,
    /// Where every receipt for the enterprise is written.
    pub outbox: PathBuf,
    /// Where stored messages are moved.
    pub archive: PathBuf,
    /// Where refused files are moved, each with a `.reason.txt` beside it.
    pub error: PathBuf,
    /// How often (ms) the inbox is looked at.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
}

fn default_poll_ms() -> u64 {
    200
}

/// Retries of push delivery.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// First wait after a failure (ms); doubles up to `retry_max_ms`.
    pub retry_min_ms: u64,
    pub retry_max_ms: u64,
    /// A callback slower than this (ms) counts as failed.
    pub timeout_ms: u64,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            retry_min_ms: 500,
            retry_max_ms: 60_000,
            timeout_ms: 10_000,
        }
    }
}

/// Timing and profile of the simulated customs (`engine::EngineConfig`); unset keys keep the
/// engine's defaults. Change these only on an empty store: the log is replayed with them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CustomsConfig {
    pub wait_window_ms: Option<i64>,
    pub store_delay_ms: Option<i64>,
    pub conclude_delay_ms: Option<i64>,
    pub release_delay_ms: Option<i64>,
    pub review_delay_ms: Option<i64>,
    pub inspection_delay_ms: Option<i64>,
    pub release_waits_for_arrival: Option<bool>,
    pub seed: Option<u64>,
    pub review_per_mille: Option<u32>,
    pub inspection_per_mille: Option<u32>,
    pub refusal_per_mille: Option<u32>,
    pub jitter_per_mille: Option<u32>,
    /// How long (minutes) an order or waybill waits in memory for its list (default 10);
    /// then it waits on disk, and its list (or any document naming it) brings it back.
    pub retention_minutes: Option<i64>,
}

impl CustomsConfig {
    /// The engine configuration these settings give.
    pub fn engine_config(&self) -> EngineConfig {
        let mut c = EngineConfig::default();
        let ms = chrono::Duration::milliseconds;
        let set = |slot: &mut chrono::Duration, v: Option<i64>| {
            if let Some(v) = v {
                *slot = ms(v.max(0));
            }
        };
        set(&mut c.wait_window, self.wait_window_ms);
        set(&mut c.store_delay, self.store_delay_ms);
        set(&mut c.conclude_delay, self.conclude_delay_ms);
        set(&mut c.release_delay, self.release_delay_ms);
        set(&mut c.profile.review_delay, self.review_delay_ms);
        set(&mut c.profile.inspection_delay, self.inspection_delay_ms);
        if let Some(m) = self.retention_minutes {
            c.retention = chrono::Duration::minutes(m.max(0));
        }
        if let Some(v) = self.release_waits_for_arrival {
            c.release_waits_for_arrival = v;
        }
        let p = &mut c.profile;
        p.seed = self.seed.unwrap_or(p.seed);
        p.review_per_mille = self.review_per_mille.unwrap_or(p.review_per_mille);
        p.inspection_per_mille = self.inspection_per_mille.unwrap_or(p.inspection_per_mille);
        p.refusal_per_mille = self.refusal_per_mille.unwrap_or(p.refusal_per_mille);
        p.jitter_per_mille = self.jitter_per_mille.unwrap_or(p.jitter_per_mille);
        c
    }
}

/// Errors reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // The io error's text follows as its source (`{:#}`): not repeated here.
    #[error("cannot read {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The largest message the server takes (`max_body_bytes` may not be set higher): a message
/// must fit one log record, which the log reads back up to a limit of its own.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

impl Config {
    /// What is wrong with settings that parse but cannot work together.
    pub fn check(&self) -> Result<(), String> {
        if self.max_body_bytes == 0 || self.max_body_bytes > MAX_MESSAGE_BYTES {
            return Err(format!(
                "max_body_bytes = {} must be between 1 and {MAX_MESSAGE_BYTES} (64 MiB): a \
                 message must fit one record of the event log",
                self.max_body_bytes
            ));
        }
        if self.max_connections == 0 || self.max_in_flight == 0 || self.max_in_flight_mb == 0 {
            return Err(
                "max_connections, max_in_flight and max_in_flight_mb must be at least 1".into(),
            );
        }
        if self.checkpoints_kept == 0 {
            return Err("checkpoints_kept must be at least 1".into());
        }
        Ok(())
    }

    /// The core's tunables these settings give.
    pub fn core_config(&self) -> super::core::CoreConfig {
        use std::time::Duration;
        super::core::CoreConfig {
            queue: self.queue,
            max_batch: self.max_batch,
            max_batch_bytes: MAX_MESSAGE_BYTES,
            commit_cycle: Duration::from_millis(self.commit_ms),
            tick: Duration::from_millis(self.tick_ms.max(1)),
            checkpoint_records: self.checkpoint_records.max(1),
            checkpoint_interval: Duration::from_secs(self.checkpoint_secs.max(1)),
            checkpoints_kept: self.checkpoints_kept.max(1),
            log_retention: Duration::from_secs(self.log_retention_minutes.saturating_mul(60)),
        }
    }

    /// The bounds of load shedding.
    pub fn bounds(&self) -> super::admission::Bounds {
        super::admission::Bounds {
            max_connections: self.max_connections,
            max_in_flight: self.max_in_flight,
            max_in_flight_bytes: self.max_in_flight_mb.saturating_mul(1024 * 1024),
            latency_budget: std::time::Duration::from_millis(self.latency_budget_ms),
        }
    }

    /// How the store is opened.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            segment_bytes: self.log_segment_mb.max(1) << 20,
            migrate: self.migrate,
            ledger_cache_mb: self.ledger_cache_mb,
        }
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.display().to_string(),
            message,
        };
        toml::from_str(&text).or_else(|first: toml::de::Error| {
            // Bare TOML dates (in tax profiles) are read as text. Without any, the first error
            // stands: it names the line.
            let mut value: toml::Value =
                toml::from_str(&text).map_err(|_| invalid(first.to_string()))?;
            let written = value.clone();
            dates_as_strings(&mut value);
            let had_dates = value != written;
            Config::deserialize(value).map_err(|e| {
                invalid(if had_dates {
                    e.to_string()
                } else {
                    first.to_string()
                })
            })
        })
    }
}

/// Tokens generated on first start when the configuration names none, kept in the data folder.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    pub admin: String,
    /// dxpId → token.
    pub enterprise: BTreeMap<String, String>,
}

/// A fresh random token.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Tokens {
    /// Reads `<data>/tokens.toml`, or writes one with a token for every DXP id in `dxp_ids`.
    pub fn load_or_create(
        path: &Path,
        dxp_ids: impl Iterator<Item = String>,
    ) -> Result<Tokens, ConfigError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                path: shown,
                message: format!(
                    "{e}\nfix it, or remove the file: `serve` then writes one with new tokens"
                ),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let tokens = Tokens {
                    admin: new_token(),
                    enterprise: dxp_ids.map(|d| (d, new_token())).collect(),
                };
                let body = toml::to_string(&tokens).map_err(|e| ConfigError::Invalid {
                    path: shown.clone(),
                    message: e.to_string(),
                })?;
                let text = format!(
                    "# Bearer tokens generated by `single-window serve` on first start, because its\n\
                     # configuration named no [[enterprise]]. `admin` opens the test-support API.\n{body}"
                );
                write_private(path, &text).map_err(|source| ConfigError::Write {
                    path: shown,
                    source,
                })?;
                Ok(tokens)
            }
            Err(source) => Err(ConfigError::Read {
                path: shown,
                source,
            }),
        }
    }
}

/// Writes a file only its owner may read (replacing one that is there).
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults_and_unknown_keys_are_refused() {
        let c: Config = toml::from_str("").unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.data, PathBuf::from("data"));
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
        let c: Config = toml::from_str("[customs]\nstore_delay_ms = 10").unwrap();
        assert_eq!(
            c.customs.engine_config().store_delay,
            chrono::Duration::milliseconds(10)
        );
    }

    #[test]
    fn a_tax_profile_reads_like_a_scenario_enterprise_with_bare_dates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve.toml");
        let text = "[tax]\nsmall_scale_rate = \"0.01\"\n\
            [[enterprise]]\ndxp_id = \"D\"\ntoken = \"t\"\n\
            [enterprise.tax_profile]\ncode = \"4403966Z01\"\n\
            [[enterprise.tax_profile.period]]\nfrom = 2024-01-01\ntaxpayer = \"general\"\nkind = \"trading\"\n";
        std::fs::write(&path, text).unwrap();
        let c = Config::load(&path).unwrap();
        let p = c.enterprise[0].tax_profile.as_ref().unwrap();
        assert_eq!(p.periods[0].from.to_string(), "2024-01-01");
        assert_eq!(
            c.tax.small_scale_rate,
            Some(rust_decimal::Decimal::new(1, 2))
        );
        std::fs::write(&path, text.replace("taxpayer", "taxpayr")).unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("taxpayr"), "{e}");
        std::fs::write(&path, "lisen = 1\n").unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("lisen") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn tokens_are_generated_once_and_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        let first = Tokens::load_or_create(&path, ["DXPA".to_string()].into_iter()).unwrap();
        let again = Tokens::load_or_create(&path, std::iter::empty()).unwrap();
        assert_eq!(first.enterprise, again.enterprise);
        assert_eq!(first.admin, again.admin);
        assert_eq!(first.enterprise["DXPA"].len(), 32);
    }
}
