//! `rosdeb apt`: a local apt repository: `publish` adds .deb files to a codename, `list` shows
//! what is there. A thin wrapper of `debgen::apt`; the repository is unsigned for now.
//!
//! `publish` prints one line per .deb, `added <pool path>` or `unchanged <pool path>`; `list`
//! prints `<codename> <package> <version> <architecture>` lines. `--json` prints the documents
//! of `json::AptPublished` and `json::AptList`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use debgen::apt::{self, AptError, Entry, PublishOptions, Repository};

use crate::exit::{Hinted, Status};
use crate::json;

/// `rosdeb apt` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Add .deb files to a codename of a repository (pool/ and dists/<codename>/).
    Publish(PublishArgs),
    /// Show the codenames, architectures and packages of a repository.
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// The .deb files to add.
    #[arg(value_name = "DEB", required = true)]
    debs: Vec<PathBuf>,
    /// The repository's root directory (created when missing).
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The distribution codename, e.g. `jammy`.
    #[arg(long, value_name = "NAME")]
    codename: String,
    /// Also index this architecture (repeatable); needed when only `all` packages are given.
    #[arg(long = "arch", value_name = "ARCH")]
    architectures: Vec<String>,
    /// The Release file's `Origin`.
    #[arg(long, value_name = "TEXT", default_value = "rosdeb")]
    origin: String,
    /// The Release file's `Label`.
    #[arg(long, value_name = "TEXT", default_value = "rosdeb")]
    label: String,
    /// The Release file's `Date`, seconds since 1970 (default: now).
    #[arg(long, value_name = "SECONDS", env = "SOURCE_DATE_EPOCH")]
    source_date_epoch: Option<i64>,
    /// Print `{"schema": 1, "codename", "added", "unchanged"}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// The repository's root directory.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// Print `{"schema": 1, "codenames": [{"codename", "architectures", "packages"}]}`.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    match args.command {
        Command::Publish(args) => publish(args),
        Command::List(args) => list(&args),
    }
}

fn publish(args: PublishArgs) -> anyhow::Result<Status> {
    let date = match args.source_date_epoch {
        Some(date) => date,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    let options = PublishOptions {
        architectures: args.architectures,
        date,
        origin: one_line("--origin", args.origin)?,
        label: one_line("--label", args.label)?,
    };
    let context = || format!("publishing to `{}` in `{}`", args.codename, args.repo.display());
    let done = match apt::publish(&args.repo, &args.codename, &args.debs, &options) {
        Ok(done) => done,
        Err(e @ AptError::Conflict(_)) => {
            let hint = "give the new build a new version (e.g. bump the Debian revision)";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e @ AptError::NoArchitecture { .. }) => {
            let hint = "name the architectures to index with --arch, e.g. --arch amd64";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e) => return Err(anyhow::Error::new(e).context(context())),
    };
    let output = if args.json {
        let mut text = serde_json::to_string_pretty(&json::AptPublished {
            schema: json::SCHEMA,
            codename: args.codename,
            added: done.added.iter().map(package).collect(),
            unchanged: done.unchanged.iter().map(package).collect(),
        })?;
        text.push('\n');
        text
    } else {
        let mut text = String::new();
        for (verb, entries) in [("added", &done.added), ("unchanged", &done.unchanged)] {
            for entry in entries {
                text.push_str(&format!("{verb} {}\n", entry.filename));
            }
        }
        text
    };
    write_stdout(&output)?;
    Ok(Status::Success)
}

fn one_line(flag: &str, value: String) -> anyhow::Result<String> {
    if value.trim().is_empty() || value.contains(['\n', '\r']) {
        return Err(Hinted::error(
            format!("{flag} `{value}` is empty or spans lines"),
            "give one line of text",
        ));
    }
    Ok(value)
}

fn list(args: &ListArgs) -> anyhow::Result<Status> {
    let repository = Repository::open(&args.repo)
        .with_context(|| format!("reading the apt repository `{}`", args.repo.display()))?;
    let output = if args.json {
        let codenames = repository
            .suites
            .iter()
            .map(|(codename, suite)| json::AptSuite {
                codename: codename.clone(),
                architectures: suite.architectures.iter().cloned().collect(),
                packages: suite.entries().map(package).collect(),
            })
            .collect();
        let mut text =
            serde_json::to_string_pretty(&json::AptList { schema: json::SCHEMA, codenames })?;
        text.push('\n');
        text
    } else {
        let mut text = String::new();
        for (codename, suite) in &repository.suites {
            for entry in suite.entries() {
                text.push_str(&format!(
                    "{codename} {} {} {}\n",
                    entry.package, entry.version, entry.architecture
                ));
            }
        }
        text
    };
    write_stdout(&output)?;
    Ok(Status::Success)
}

fn package(entry: &Entry) -> json::AptPackage {
    json::AptPackage {
        name: entry.package.clone(),
        version: entry.version.clone(),
        architecture: entry.architecture.clone(),
        filename: entry.filename.clone(),
        sha256: entry.sha256.clone(),
        size: entry.size,
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
