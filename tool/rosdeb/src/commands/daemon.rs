//! `rosdeb daemon start | stop | status | run`: the index daemon of this user and `ROS_HOME`
//! (see [`crate::daemon`]), which serves every search path it is asked about and starts with
//! the current environment's. Only these commands (and queries with `ROSDEB_DAEMON=1`) start
//! one.
//!
//! `start` prints the socket path; `status --json` prints `{"schema": 1, "running": ...,
//! "unavailable", "pid", "socket", "log", "served", "revalidations", "watches", "packages",
//! "indexes", "declining"}` (exit 0 even when no daemon can serve this environment: then
//! `unavailable` says why). `start`, `stop` and `run` exit 1 when no daemon can serve this
//! environment (relative `ROS_PACKAGE_PATH` entry, cache disabled, an unsafe cache folder) or
//! it does not come up.

use std::io::Write;

use crate::context::Context;
use crate::daemon::{self, Endpoint};
use crate::exit::{Hinted, Status};

/// `rosdeb daemon` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Start the daemon (if not running) with this environment's search path and wait until it
    /// answers.
    Start,
    /// Stop it (nothing to do if it does not run).
    Stop,
    /// Whether it runs, and its counters.
    Status {
        /// Print a JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run it in the foreground (what `start` runs in the background; for service managers).
    Run {
        /// Leave the caller's session (used when started in the background).
        #[arg(long, hide = true)]
        detach: bool,
    },
}

/// Why no daemon can serve an environment, for `status` and as the error of the others.
const UNAVAILABLE: &str = "no index daemon can serve this environment";
const UNAVAILABLE_HINT: &str = "the daemon needs absolute ROS_PACKAGE_PATH entries and the \
     index cache (ROSDEB_NO_CACHE unset, an absolute ROS_HOME)";

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let context = Context::new(None, None, false);
    let endpoint = Endpoint::of(&context);
    let mut out = std::io::stdout().lock();
    match (args.command, endpoint) {
        // Not an error where no daemon can run: the answer is "not running", and why.
        (Command::Status { json }, endpoint) => print_status(&mut out, endpoint.as_ref(), json)?,
        (_, None) => return Err(Hinted::error(UNAVAILABLE, UNAVAILABLE_HINT)),
        (Command::Start, Some(endpoint)) => {
            let status = endpoint.start_and_wait()?;
            if let Some(reason) = &status.declining {
                tracing::warn!("the daemon runs but declines: {reason}");
            }
            writeln!(out, "{}", endpoint.socket.display())?;
        }
        (Command::Stop, Some(endpoint)) => {
            endpoint.stop();
        }
        (Command::Run { detach }, Some(endpoint)) => {
            drop(out);
            daemon::serve(context, endpoint, detach)?;
        }
    }
    Ok(Status::Success)
}

/// `status`: the running daemon's counters, or why none runs (`endpoint` is `None` where none
/// can).
fn print_status(
    out: &mut impl Write,
    endpoint: Option<&Endpoint>,
    json: bool,
) -> anyhow::Result<()> {
    let status = endpoint.and_then(Endpoint::status);
    let unavailable = endpoint.is_none().then(|| format!("{UNAVAILABLE} ({UNAVAILABLE_HINT})"));
    if json {
        let doc = serde_json::json!({
            "schema": 1,
            "running": status.is_some(),
            "unavailable": unavailable,
            "socket": endpoint.map(|e| &e.socket),
            "log": endpoint.map(Endpoint::log),
            "pid": status.as_ref().map(|s| s.pid),
            "served": status.as_ref().map(|s| s.served),
            "revalidations": status.as_ref().map(|s| s.revalidations),
            "watches": status.as_ref().map(|s| s.watches),
            "packages": status.as_ref().map(|s| s.packages),
            "indexes": status.as_ref().map(|s| s.indexes),
            "declining": status.as_ref().and_then(|s| s.declining.clone()),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    match (status, unavailable) {
        (Some(s), _) => {
            writeln!(
                out,
                "running: pid {}, {} search paths, {} packages, {} watches, {} queries served, \
                 {} revalidations",
                s.pid, s.indexes, s.packages, s.watches, s.served, s.revalidations
            )?;
            if let Some(reason) = s.declining {
                writeln!(out, "declining: {reason}")?;
            }
        }
        (None, Some(why)) => writeln!(out, "not running: {why}")?,
        (None, None) => writeln!(out, "not running")?,
    }
    if let Some(e) = endpoint {
        writeln!(out, "socket: {}", e.socket.display())?;
        writeln!(out, "log: {}", e.log().display())?;
    }
    Ok(())
}
