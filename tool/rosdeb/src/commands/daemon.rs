//! `rosdeb daemon start | stop | status | run`: the index daemon of the current environment's
//! search path (see [`crate::daemon`]). `rospack`/`rosstack` queries start one on their own;
//! these commands are for scripts, benchmarks and service managers.
//!
//! `start` prints the socket path; `status --json` prints `{"schema": 1, "running": ...,
//! "unavailable", "pid", "socket", "log", "served", "revalidations", "watches", "packages",
//! "declining"}` (exit 0 even when no daemon can serve this environment: then `unavailable`
//! says why). `start`, `stop` and `run` exit 1 when no daemon can serve this environment
//! (relative `ROS_PACKAGE_PATH` entry, cache disabled, socket path too long) or it does not
//! come up.

use std::io::Write as _;

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
    /// Start the daemon for this environment (if not running) and wait until it answers.
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
const UNAVAILABLE_HINT: &str = "the daemon needs absolute ROS_PACKAGE_PATH entries, the index \
     cache (ROSDEB_NO_CACHE unset) and a ROS_HOME short enough for a socket path";

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let context = Context::new(None, None, false);
    let endpoint = Endpoint::of(&context);
    let mut out = std::io::stdout().lock();
    let endpoint = match (endpoint, &args.command) {
        (Some(endpoint), _) => endpoint,
        (None, Command::Status { json }) => {
            // Not an error: the answer is "not running", and why none can.
            if *json {
                let doc = serde_json::json!({
                    "schema": 1,
                    "running": false,
                    "unavailable": format!("{UNAVAILABLE} ({UNAVAILABLE_HINT})"),
                    "socket": null, "log": null, "pid": null, "served": null,
                    "revalidations": null, "watches": null, "packages": null, "declining": null,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            } else {
                writeln!(out, "not running: {UNAVAILABLE} ({UNAVAILABLE_HINT})")?;
            }
            return Ok(Status::Success);
        }
        (None, _) => return Err(Hinted::error(UNAVAILABLE, UNAVAILABLE_HINT)),
    };
    match args.command {
        Command::Start => {
            let status = endpoint.start_and_wait()?;
            if let Some(reason) = &status.declining {
                tracing::warn!("the daemon runs but declines every query: {reason}");
            }
            writeln!(out, "{}", endpoint.socket.display())?;
        }
        Command::Stop => {
            endpoint.stop();
        }
        Command::Status { json } => {
            let status = endpoint.status();
            if json {
                let doc = serde_json::json!({
                    "schema": 1,
                    "running": status.is_some(),
                    "unavailable": null,
                    "socket": endpoint.socket,
                    "log": endpoint.log(),
                    "pid": status.as_ref().map(|s| s.pid),
                    "served": status.as_ref().map(|s| s.served),
                    "revalidations": status.as_ref().map(|s| s.revalidations),
                    "watches": status.as_ref().map(|s| s.watches),
                    "packages": status.as_ref().map(|s| s.packages),
                    "declining": status.as_ref().and_then(|s| s.declining.clone()),
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            } else {
                match status {
                    Some(s) => {
                        writeln!(
                            out,
                            "running: pid {}, {} packages, {} watches, {} queries served, {} revalidations",
                            s.pid, s.packages, s.watches, s.served, s.revalidations
                        )?;
                        if let Some(reason) = s.declining {
                            writeln!(out, "declining every query: {reason}")?;
                        }
                    }
                    None => writeln!(out, "not running")?,
                }
                writeln!(out, "socket: {}", endpoint.socket.display())?;
                writeln!(out, "log: {}", endpoint.log().display())?;
            }
        }
        Command::Run { detach } => {
            drop(out);
            daemon::serve(context, endpoint, detach)?;
        }
    }
    Ok(Status::Success)
}
