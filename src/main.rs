//! The `single-window` command: a thin clap front end over the library.

mod cli;

// The engine and the traffic generator allocate many small strings; glibc's allocator spends
// up to 40 % of a replay in malloc/free (perf), mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "single-window",
    version,
    about = "A simulator of China's single window for cross-border e-commerce exports (9610/9710/9810)"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode and check CEB messages (files, or folders of *.xml); print every finding.
    Check {
        /// One JSON object per business document, one per line.
        #[arg(long)]
        json: bool,
        /// Write the receipt each message would get back into this folder.
        #[arg(long, value_name = "DIR")]
        receipts: Option<PathBuf>,
        /// Enterprise registry (TOML, like seeds/enterprises.toml) replacing the shipped one.
        #[arg(long, value_name = "FILE")]
        registry: Option<PathBuf>,
        /// Files or folders to check.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// List the rules of the catalog, or explain one.
    Rules {
        /// A rule code, e.g. SUM-TOTAL-PRICE.
        code: Option<String>,
        /// Print the whole catalog as Markdown (docs/rules.md is this output).
        #[arg(long)]
        markdown: bool,
    },
    /// Replay a tax scenario (TOML) through the engine on virtual time; write receipts,
    /// ledger, treatments, annual summary and a report.
    Replay {
        /// The scenario file, e.g. seeds/scenarios/zone-retail-no-invoices.toml.
        #[arg(value_name = "SCENARIO")]
        scenario: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "replay-out", value_name = "DIR")]
        out: PathBuf,
        /// Run again with a changed parameter (dotted key, e.g.
        /// enterprise.4403960001.assumptions.invoice_share=0.5) and compare; repeatable.
        #[arg(long = "what-if", value_name = "KEY=VALUE")]
        what_if: Vec<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Run the single window over HTTP on an embedded store (data in ./data, 127.0.0.1:8080).
    Serve {
        /// Configuration file (TOML); every key is optional.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Folder of the store and generated tokens (default: data).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Address to listen on (default: 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Enterprise registry (TOML, like seeds/enterprises.toml) replacing the shipped one.
        #[arg(long, value_name = "FILE")]
        registry: Option<PathBuf>,
        /// Log as JSON lines instead of text.
        #[arg(long)]
        log_json: bool,
        /// Move a data folder of the previous layout (one events.log) to this one, then serve.
        #[arg(long)]
        migrate: bool,
    },
    /// Generate fragmented-parcel traffic and drive an HTTP endpoint with it (open or closed
    /// model), or write it into a folder; report throughput and latencies.
    Load(Box<cli::load::LoadArgs>),
    /// Write our XSD for every supported message into a folder (default: schemas).
    Schemas {
        #[arg(default_value = "schemas", value_name = "DIR")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match args.command {
        Command::Check {
            json,
            receipts,
            registry,
            paths,
        } => cli::check::run(&paths, json, receipts.as_deref(), registry.as_deref()),
        Command::Rules { code, markdown } => cli::rules::run(code.as_deref(), markdown),
        Command::Schemas { dir } => cli::schemas::run(&dir),
        Command::Load(args) => cli::load::run(*args),
        Command::Replay {
            scenario,
            out,
            what_if,
            quiet,
        } => cli::replay::run(&scenario, &out, &what_if, quiet),
        Command::Serve {
            config,
            data,
            listen,
            registry,
            log_json,
            migrate,
        } => cli::serve::run(cli::serve::Options {
            config,
            data,
            listen,
            registry,
            log_json,
            migrate,
        }),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`… | head`): as any Unix tool, stop without a word.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("single-window: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
