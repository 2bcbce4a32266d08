//! `serve`: the single window over HTTP, on an embedded sled store.
//!
//! Requests are checked on the HTTP workers (the pure `check`), then stored by the core's
//! writer with group commit and answered only once flushed; the engine thread plays every
//! stored entry through the pure engine; receipts go out by pull, push and file drop. See
//! `core` for why a replay of the log after a crash gives back every receipt under its id.
//!
//! Routes (enterprise routes take `Authorization: Bearer <token>` of that enterprise):
//!
//! | route | what |
//! | --- | --- |
//! | `POST /ceb` | a CEB message, bare or `DxpMsg`-wrapped, UTF-8 or GBK → the e-port's receipt |
//! | `GET /receipts?after=ID&limit=N&wait=S` | the caller's receipts after a cursor (JSON) |
//! | `GET /receipts/{id}` | one receipt's XML |
//! | `GET /push`, `DELETE /push` | the caller's push backlog; clear it |
//! | `GET /tax/declarations`, `GET /tax/summary`, `GET /fx` | the caller's tax and FX (see `tax`) |
//! | `POST /test/force`, `GET /test/documents`, `POST /test/reset` | test support (admin token) |
//! | `GET /metrics`, `GET /healthz` | Prometheus text; liveness |
//! | `POST /baseline` | reads the body and answers without storing (benchmark baseline) |

pub mod admin;
pub mod admission;
pub mod config;
pub mod core;
pub mod delivery;
pub mod filedrop;
pub mod ingest;
pub mod metrics;
pub mod problem;
pub mod push;
pub mod receipts;
pub mod retention;
pub mod tax;

use crate::model::registry::Registry;
use crate::rules::Params;
use crate::store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
pub use config::Config;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;

/// Why the server could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("registry: {0}")]
    Registry(String),
    #[error("tax configuration: {0}")]
    Tax(String),
    // The io error's text follows as its source (`{:#}`): not repeated here.
    #[error(
        "cannot listen on {addr} (is another server there? stop it, or give another address: --listen, or `listen` in the configuration)"
    )]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What every handler shares.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub registry: Arc<Registry>,
    pub params: Params,
    /// token → dxpId.
    tokens: HashMap<String, String>,
    admin_token: String,
    pub core: core::Core,
    pub metrics: Arc<metrics::Metrics>,
    /// Every push and file-drop channel, for backlogs.
    pub channels: Vec<Arc<delivery::Channel>>,
    /// The tax book and who each enterprise is, for the tax routes.
    pub tax: tax::TaxDesk,
    /// What is in flight, for load shedding.
    pub admission: Arc<admission::Admission>,
    /// How far each enterprise has pulled its receipts, for their retention.
    pub pulled: retention::Pulled,
}

impl App {
    /// The enterprise (dxpId) a request authenticates as, or 401.
    pub fn enterprise(&self, headers: &HeaderMap) -> Result<String, Unauthorized> {
        bearer(headers)
            .and_then(|t| self.tokens.get(t))
            .cloned()
            .ok_or_else(|| {
                self.metrics
                    .unauthorized
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Unauthorized::NoToken
            })
    }

    /// Passes requests bearing the admin token; 403 for an enterprise's, 401 for the others.
    pub fn admin(&self, headers: &HeaderMap) -> Result<(), Unauthorized> {
        match bearer(headers) {
            Some(t) if t == self.admin_token => Ok(()),
            Some(t) if self.tokens.contains_key(t) => Err(Unauthorized::NotAdmin),
            _ => Err(Unauthorized::NoToken),
        }
    }

    /// Passes requests for `/metrics` and `/baseline`: the admin token's, or anyone's with
    /// `public_metrics`.
    pub fn operator(&self, headers: &HeaderMap) -> Result<(), Unauthorized> {
        if self.config.public_metrics {
            return Ok(());
        }
        self.admin(headers)
    }

    /// The delivery channel of `kind` (`push`, `filedrop`) for `dxp`, if configured.
    pub fn channel(&self, kind: &str, dxp: &str) -> Option<Arc<delivery::Channel>> {
        push::find(&self.channels, kind, dxp)
    }

    /// What a delivery loop needs, stopping when `stop` turns true.
    pub fn delivery_env(&self, stop: &watch::Receiver<bool>) -> delivery::Env {
        delivery::Env {
            store: self.store.clone(),
            latest: self.core.latest.clone(),
            stop: stop.clone(),
            retry: self.config.push.clone(),
            metrics: self.metrics.clone(),
        }
    }

    /// Undelivered receipts per channel: (channel, dxpId, count).
    pub fn backlogs(&self) -> Vec<(&'static str, String, u64)> {
        self.channels
            .iter()
            .map(|c| (c.kind, c.dxp.clone(), c.backlog(&self.store).0))
            .collect()
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A request without a valid token (401), or with an enterprise's where the admin's is
/// needed (403).
pub enum Unauthorized {
    NoToken,
    NotAdmin,
}

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        match self {
            Unauthorized::NoToken => problem::Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "缺少令牌或令牌错误（Authorization: Bearer <令牌>）",
                "missing or wrong bearer token (Authorization: Bearer <token>)",
            ),
            Unauthorized::NotAdmin => problem::Problem::new(
                StatusCode::FORBIDDEN,
                "admin-only",
                "此处需要管理令牌（admin_token），企业令牌不能用",
                "this needs the admin token (admin_token); an enterprise's token does not do",
            ),
        }
        .into_response()
    }
}

/// Runs the server on `config.listen` until SIGTERM or Ctrl-C (see `serve`).
pub async fn run(config: Config) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|source| ServerError::Listen {
            addr: config.listen.clone(),
            source,
        })?;
    serve(config, listener, None, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` completes, then stops gracefully: no new
/// connections, the requests and deliveries in flight given `shutdown_grace_secs`,
/// everything stored flushed, receipts stored. The log and checkpoints go on `disk` (a
/// simulated one in tests) or the data folder.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    disk: Option<Arc<dyn crate::store::disk::Disk>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let started = std::time::Instant::now();
    config.check().map_err(|message| {
        ServerError::Config(config::ConfigError::Invalid {
            path: "configuration".into(),
            message,
        })
    })?;
    std::fs::create_dir_all(&config.data)?;
    let registry = Arc::new(match &config.registry {
        Some(path) => Registry::load(path).map_err(|e| ServerError::Registry(e.to_string()))?,
        None => Registry::shipped().clone(),
    });
    let (tokens, admin_token) = tokens(&config, &registry)?;
    let tax = tax::TaxDesk::new(&config, &registry, tokens.values().cloned())
        .map_err(ServerError::Tax)?;
    let db = config.data.join("db");
    let options = config.store_options();
    // Off the runtime's threads: opening may wait for a server still stopping.
    let store = tokio::task::spawn_blocking(move || match disk {
        Some(disk) => Store::open_on(&db, disk, &options),
        None => Store::open_with(&db, &options),
    })
    .await
    .map_err(|e| ServerError::Io(std::io::Error::other(e)))??;
    let metrics = Arc::new(metrics::Metrics::default());
    let params = Params::default();
    let setup = core::Setup {
        engine: config.customs.engine_config(),
        params: params.clone(),
        registry: registry.clone(),
        config: config.core_config(),
        metrics: metrics.clone(),
        clock: Arc::new(core::clock::WallClock),
    };
    let (core, threads) = core::start(store.clone(), setup)?;
    metrics.startup_millis.store(
        started.elapsed().as_millis() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    let mut channels = Vec::new();
    for e in config.enterprise.iter().filter(|e| e.callback.is_some()) {
        channels.push(Arc::new(delivery::Channel::open(
            &store, "push", &e.dxp_id,
        )?));
    }
    for f in &config.filedrop {
        channels.push(Arc::new(delivery::Channel::open(
            &store, "filedrop", &f.dxp_id,
        )?));
    }
    let admission = Arc::new(admission::Admission::new(config.bounds()));
    let pulled = retention::Pulled::load(&store, tokens.values().cloned())?;
    let grace = std::time::Duration::from_secs(config.shutdown_grace_secs);
    let app = Arc::new(App {
        store,
        registry,
        params,
        tokens,
        admin_token,
        core,
        metrics,
        channels,
        tax,
        admission,
        pulled,
        config,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    push::spawn_all(&app, &stop_rx, &mut tasks);
    filedrop::spawn_all(&app, &stop_rx, &mut tasks)?;
    tasks.spawn(app.admission.clone().watch_lag(stop_rx.clone()));
    tasks.spawn(retention::run(app.clone(), stop_rx.clone()));
    tracing::info!(
        listen = %listener.local_addr().map_or_else(|e| e.to_string(), |a| a.to_string()),
        data = %app.config.data.display(),
        enterprises = app.tokens.len(),
        test_support = app.config.test_support,
        startup_ms = started.elapsed().as_millis() as u64,
        "single window serving"
    );
    let (signalled_tx, mut signalled) = watch::channel(false);
    let server = axum::serve(app.admission.listener(listener), router(app.clone()))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = signalled_tx.send(true);
        });
    // Graceful, but bounded: a client waiting on a long poll or a slow upload does not hold
    // the stop for ever. (Its connection's task is not cancelled: it ends with the process,
    // and whatever it still asks of the stopped core is answered 503.)
    let overdue = async {
        let _ = signalled.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served?,
        () = overdue => tracing::warn!(grace_secs = grace.as_secs(), "requests still open after the grace period: closed"),
    }
    tracing::info!("stopping: delivering no more, flushing");
    let _ = stop_tx.send(true);
    let drained = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!("deliveries still running after the grace period: stopped");
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    app.core.stop();
    drop(app);
    for t in threads {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The routes.
pub fn router(app: Arc<App>) -> Router {
    let limit = app.config.max_body_bytes;
    let mut router = Router::new()
        .route("/ceb", post(ingest::post_ceb))
        .route("/baseline", post(ingest::baseline))
        .route("/receipts", get(receipts::list))
        .route("/receipts/{id}", get(receipts::one))
        .route("/push", get(push::status).delete(push::clear))
        .route("/tax/declarations", get(tax::declarations))
        .route("/tax/summary", get(tax::summary))
        .route("/fx", get(tax::fx))
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(metrics::healthz));
    if app.config.test_support {
        router = router
            .route("/test/force", post(admin::force))
            .route("/test/documents", get(admin::document))
            .route("/test/reset", post(admin::reset));
    }
    router
        .fallback(no_such_route)
        .method_not_allowed_fallback(no_such_method)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

async fn no_such_method(method: axum::http::Method, uri: axum::http::Uri) -> problem::Problem {
    problem::Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "no-such-method",
        format!("{} 不接受 {method} 请求（见 docs/serving.md）", uri.path()),
        format!(
            "{} does not take {method} (see docs/serving.md)",
            uri.path()
        ),
    )
}

async fn no_such_route(uri: axum::http::Uri) -> problem::Problem {
    problem::Problem::new(
        StatusCode::NOT_FOUND,
        "no-such-route",
        format!("没有 {} 这个地址（见 docs/serving.md）", uri.path()),
        format!("no route {} (see docs/serving.md)", uri.path()),
    )
}

/// The configured enterprise tokens, or those generated into the data folder; and the
/// admin token.
fn tokens(
    config: &Config,
    registry: &Registry,
) -> Result<(HashMap<String, String>, String), ServerError> {
    let generated = if config.enterprise.is_empty() || config.admin_token.is_none() {
        let ids = registry
            .enterprises()
            .iter()
            .filter_map(|e| e.dxp_id.clone());
        Some(config::Tokens::load_or_create(
            &config.data.join("tokens.toml"),
            ids,
        )?)
    } else {
        None
    };
    let mut tokens: HashMap<String, String> = config
        .enterprise
        .iter()
        .map(|e| (e.token.clone(), e.dxp_id.clone()))
        .collect();
    if config.enterprise.is_empty()
        && let Some(g) = &generated
    {
        tokens.extend(g.enterprise.iter().map(|(d, t)| (t.clone(), d.clone())));
    }
    let admin = config
        .admin_token
        .clone()
        .or_else(|| generated.map(|g| g.admin))
        .unwrap_or_else(config::new_token);
    Ok((tokens, admin))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
