//! `single-window serve`: reads the configuration, sets up logging and runs the server.

use anyhow::Context as _;
use single_window::server::{self, Config};
use std::path::PathBuf;
use std::process::ExitCode;

/// Command-line settings; each overrides the configuration file.
pub struct Options {
    pub config: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub listen: Option<String>,
    pub registry: Option<PathBuf>,
    pub log_json: bool,
    pub migrate: bool,
}

pub fn run(options: Options) -> anyhow::Result<ExitCode> {
    let mut config = match &options.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(data) = options.data {
        config.data = data;
    }
    if let Some(listen) = options.listen {
        config.listen = listen;
    }
    if let Some(registry) = options.registry {
        config.registry = Some(registry);
    }
    config.migrate = options.migrate;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,fjall=warn,lsm_tree=warn"));
    // Colours only on a terminal: logs sent to a file stay plain text.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if options.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(server::run(config))?;
    Ok(ExitCode::SUCCESS)
}
