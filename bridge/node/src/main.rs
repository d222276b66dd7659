//! `pyros-bridge`: parses flags, sets up tracing, binds the socket and runs the node.

mod selftest;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use bridge_node::access::Policy;
use bridge_node::config::BackendKind;
use bridge_node::mock::MockBackend;
use bridge_node::ros::RosBackend;
use bridge_node::{Config, run};
use clap::{Parser, Subcommand, ValueEnum};
use tokio::net::UnixListener;

/// Messages of up to megabytes (images) are allocated and freed per client at the stream's
/// rate: mimalloc gives the memory of a freed frame back, where glibc's malloc (its mmap
/// threshold rises after the first large free) keeps it, and a stalled client's cost would
/// exceed its send budget.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// ROS bridge node: exposes topics, services and parameters over a Unix socket.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// More logging (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve clients on a Unix socket.
    Run(RunArgs),
    /// Run the protocol conformance suite against an in-process mock node, or, with
    /// `--socket PATH`, check a running bridge (read-only). Exit status: 0 every check passed,
    /// 1 a check failed (including: no bridge reachable at PATH), 2 bad invocation.
    Selftest(SelftestArgs),
}

#[derive(Debug, clap::Args)]
struct SelftestArgs {
    /// Check the running bridge listening on this socket (e.g. /run/pyros/default.sock)
    /// instead of an in-process mock node: connect, handshake, ping, ROS master, listings,
    /// error answers, a subscribe to an exposed topic. Changes nothing on the robot unless
    /// `--topic` is given.
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// With `--socket`: also publish `std_msgs/String` messages on this topic and receive
    /// them back (the profile must allow publishing and subscribing it; nothing else should
    /// use it).
    #[arg(long, value_name = "TOPIC", requires = "socket")]
    topic: Option<String>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Read the backend and the profiles (sockets, permissions, peers, exposure, limits) from
    /// a TOML or YAML file instead of the other flags (see bridge/README.md).
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "socket", "backend", "allow", "deny", "max_frame", "send_budget", "allow_uid", "replace",
    ])]
    config: Option<PathBuf>,
    /// Path of the Unix socket to create.
    #[arg(long, required_unless_present = "config")]
    socket: Option<PathBuf>,
    /// Backend: `ros` (a ROS 1 node; ROS_MASTER_URI, default http://localhost:11311) or
    /// `mock` (in memory, no ROS; for tests and demos).
    #[arg(long, value_enum, default_value_t = Backend::Ros)]
    backend: Backend,
    /// Expose names matching `[CLASS=]GLOB` (classes: subscribe, publish, call, param_read,
    /// param_write; `*` matches anything). Nothing is exposed by default.
    #[arg(long = "allow", value_name = "PATTERN")]
    allow: Vec<String>,
    /// Hide names matching `[CLASS=]GLOB`; deny wins over allow.
    #[arg(long = "deny", value_name = "PATTERN")]
    deny: Vec<String>,
    /// Maximum frame body in bytes.
    #[arg(long, default_value_t = bridge_protocol::DEFAULT_MAX_FRAME)]
    max_frame: usize,
    /// Outbound bytes queued per connection before stream messages are dropped.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    send_budget: usize,
    /// Peer uids allowed to connect (default: the bridge's own uid and root).
    #[arg(long = "allow-uid", value_name = "UID")]
    allow_uid: Vec<u32>,
    /// Remove a stale socket file at PATH before binding.
    #[arg(long)]
    replace: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Backend {
    Mock,
    Ros,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .init();
    match real_main(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    match cli.command {
        Command::Run(args) => runtime.block_on(serve(args)).map(|()| ExitCode::SUCCESS),
        Command::Selftest(args) => {
            let mut out = std::io::stdout();
            let (_, failed) = match &args.socket {
                Some(socket) => {
                    runtime.block_on(selftest::run_live(socket, args.topic.as_deref(), &mut out))?
                }
                None => runtime.block_on(selftest::run_selftest(&mut out))?,
            };
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

async fn serve(args: RunArgs) -> Result<()> {
    if let Some(path) = &args.config {
        return serve_config(path).await;
    }
    let socket = args.socket.clone().context("`--socket` or `--config` is required")?;
    let policy = Policy::from_specs(&args.allow, &args.deny).context("parsing --allow/--deny")?;
    let mut config = Config::new(policy);
    config.max_frame = args.max_frame;
    config.send_budget = args.send_budget;
    if !args.allow_uid.is_empty() {
        config.allowed_uids = args.allow_uid;
    }
    if args.replace && socket.exists() {
        fs_err::remove_file(&socket)?;
    }
    let listener =
        UnixListener::bind(&socket).with_context(|| format!("binding `{}`", socket.display()))?;
    tracing::info!(socket = %socket.display(), "listening");
    let kind = match args.backend {
        Backend::Mock => BackendKind::Mock,
        Backend::Ros => BackendKind::Ros,
    };
    let (backend, ros) = start_backend(kind).await?;
    tracing::info!(backend = backend.name(), "backend ready");
    run(listener, config, backend, shutdown_signal()).await;
    if let Some(ros) = ros {
        ros.shutdown().await;
    }
    let _ = fs_err::remove_file(&socket);
    Ok(())
}

/// `run --config FILE`: one listener per profile, all on one backend.
async fn serve_config(path: &std::path::Path) -> Result<()> {
    let file = bridge_node::config::load(path)?;
    let mut listeners = Vec::new();
    for profile in &file.profiles {
        listeners.push((bridge_node::listener::bind(profile)?, profile.config.clone()));
    }
    let (backend, ros) = start_backend(file.backend).await?;
    tracing::info!(backend = backend.name(), profiles = file.profiles.len(), "backend ready");
    bridge_node::listener::run_all(listeners, backend, shutdown_signal()).await;
    if let Some(ros) = ros {
        ros.shutdown().await;
    }
    for profile in &file.profiles {
        let _ = fs_err::remove_file(&profile.socket);
    }
    Ok(())
}

/// The backend of `kind`, and the ROS backend again when it is that one (to shut it down).
async fn start_backend(
    kind: BackendKind,
) -> Result<(Arc<dyn bridge_node::backend::Backend>, Option<Arc<RosBackend>>)> {
    Ok(match kind {
        BackendKind::Mock => (Arc::new(MockBackend::default()), None),
        BackendKind::Ros => {
            let ros = Arc::new(RosBackend::start().await.context("starting the ros backend")?);
            (ros.clone(), Some(ros))
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
