//! `rosdeb`: the command-line front end (argument parsing, output, exit codes; no domain logic).
//!
//! Invoked through a symlink named `rospack` or `rosstack`, it behaves as `rosdeb rospack` /
//! `rosdeb rosstack`.
//!
//! Layout: [`commands`] holds one module per command family, [`compat`] the rospack/rosstack
//! engine (its command table, parsing, answers) that both the CLI and the daemon use, [`context`] turns the environment
//! and global flags into an opened catalog, [`exit`] is the table of exit codes, [`export_shell`] evaluates
//! backquoted exports, [`daemon`] the index daemon, [`fetch`] reads inputs by path or URL (HTTP cache, lock file), [`json`] the
//! `--json` output types.

#![allow(unreachable_pub)] // a binary crate: `pub` marks each module's interface to the others

mod atomic_write;
mod commands;
mod compat;
mod context;
mod daemon;
mod exit;
mod export_shell;
mod fetch;
mod json;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

/// A short-lived process that builds many small strings from the index cache: mimalloc makes
/// that allocation and the page faults behind it markedly cheaper than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// ROS release tool: rospack/rosstack drop-in and package queries.
#[derive(Debug, Parser)]
#[command(name = "rosdeb", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    /// More log output on stderr (-v, -vv); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run as C++ rospack: same command line, same output, same exit status.
    #[command(disable_help_flag = true)]
    Rospack {
        /// rospack's own arguments, e.g. `depends roscpp`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Run as C++ rosstack: same command line, same output, same exit status.
    #[command(disable_help_flag = true)]
    Rosstack {
        /// rosstack's own arguments, e.g. `contents ros_comm`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Query packages on the search path (list, find, deps, rdeps, why, graph, ...).
    Pkg(commands::pkg::Args),
    /// Detect the operating system: name, version, codename (as rospkg's OsDetect).
    Os(commands::os::Args),
    /// Read distribution files: legacy .rosdistro and REP 143 index / distribution.yaml.
    Distro(commands::distro::Args),
    /// Resolve rosdep keys to system packages for OS:CODENAME targets (one table, reasons).
    Resolve(commands::resolve::Args),
    /// Build .deb archives natively (`deb build STAGING_DIR --control FILE --out DIR`).
    Deb(commands::deb::Args),
    /// Debian packaging of ROS packages: `debian generate` writes a package's debian/ folder.
    Debian(commands::debian::Args),
    /// Release a repository as bloom-release does: upstream import, release/ and debian/ refs.
    Bloom(commands::bloom::Args),
    /// A local apt repository: `apt publish DEB... --repo DIR --codename NAME`, `apt list`.
    Apt(commands::apt::Args),
    /// Build .debs of ROS packages in dependency order (`build PKG_DIR... --distro --os --out`).
    Build(commands::build::Args),
    /// From a distribution to a signed apt repository: check out release tags, build in
    /// dependency order, publish (`release --distro NAME --repo DIR`; `--plan` for the job graph).
    Release(commands::release::Args),
    /// CI pipelines from a release plan: `ci generate --github-actions|--gitlab-ci --plan FILE`.
    Ci(commands::ci::Args),
    /// The index daemon that answers rospack/rosstack queries from memory (start, stop, status).
    Daemon(commands::daemon::Args),
    /// Shell completions (`completions bash|zsh|fish`) generated from this command line.
    Completions(commands::manuals::CompletionsArgs),
    /// Man pages (`manpages --out DIR`: rosdeb.1 and one page per subcommand).
    Manpages(commands::manuals::ManpagesArgs),
}

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let status = match invoked_as.as_str() {
        "rospack" => commands::compat::run(compat::Tool::Rospack, &args.split_off(1)),
        "rosstack" => commands::compat::run(compat::Tool::Rosstack, &args.split_off(1)),
        _ => {
            let cli = Cli::parse_from(args);
            init_tracing(cli.verbose);
            match cli.command {
                Command::Rospack { args } => commands::compat::run(compat::Tool::Rospack, &args),
                Command::Rosstack { args } => commands::compat::run(compat::Tool::Rosstack, &args),
                Command::Pkg(args) => exit::report(commands::pkg::run(args)),
                Command::Os(args) => exit::report(commands::os::run(args)),
                Command::Distro(args) => exit::report(commands::distro::run(args)),
                Command::Resolve(args) => exit::report(commands::resolve::run(args)),
                Command::Deb(args) => exit::report(commands::deb::run(args)),
                Command::Debian(args) => exit::report(commands::debian::run(args)),
                Command::Bloom(args) => exit::report(commands::bloom::run(args)),
                Command::Apt(args) => exit::report(commands::apt::run(args)),
                Command::Build(args) => exit::report(commands::build::run(args)),
                Command::Release(args) => exit::report(commands::release::run(args)),
                Command::Ci(args) => exit::report(commands::ci::run(args)),
                Command::Daemon(args) => exit::report(commands::daemon::run(args)),
                Command::Completions(args) => {
                    exit::report(commands::manuals::completions(&args, Cli::command()))
                }
                Command::Manpages(args) => {
                    exit::report(commands::manuals::manpages(&args, Cli::command()))
                }
            }
        }
    };
    status.into()
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
