//! `rosdeb completions SHELL` and `rosdeb manpages --out DIR`: shell completions and man pages
//! generated from the clap definitions, so they never drift from the real command line.
//!
//! The Debian package of rosdeb ships both (built by `cargo xtask dist`); users of a
//! `cargo install` build can write them where their shell looks.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap_complete::Shell;

use crate::atomic_write::{Readers, write_atomic};
use crate::exit::Status;

/// `rosdeb completions` arguments.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish (also elvish, powershell).
    shell: Shell,
}

/// `rosdeb manpages` arguments.
#[derive(Debug, clap::Args)]
pub struct ManpagesArgs {
    /// Where to write `rosdeb.1` and `rosdeb-<subcommand>.1` (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Prints the completion script for `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs, mut command: clap::Command) -> anyhow::Result<Status> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rosdeb", &mut script);
    std::io::stdout().lock().write_all(&script).context("writing to stdout")?;
    Ok(Status::Success)
}

/// Writes one man page for rosdeb and one for each subcommand (nested ones included) into
/// `args.out`, each through a temporary file and a rename; prints the paths written.
pub fn manpages(args: &ManpagesArgs, command: clap::Command) -> anyhow::Result<Status> {
    fs_err::create_dir_all(&args.out)?;
    let command = command.version(env!("CARGO_PKG_VERSION"));
    let mut written = Vec::new();
    write_pages(&args.out, command, "", &mut written)?;
    let mut stdout = std::io::stdout().lock();
    for path in written {
        writeln!(stdout, "{}", path.display()).context("writing to stdout")?;
    }
    Ok(Status::Success)
}

/// One page for `command` (named `<prefix><name>.1`), then its visible subcommands, depth first.
fn write_pages(
    dir: &std::path::Path,
    command: clap::Command,
    prefix: &str,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let name = format!("{prefix}{}", command.get_name());
    let page_command = command.clone().name(name.clone()).bin_name(name.replace('-', " "));
    let mut page = Vec::new();
    // No date in the footer: the pages are the same bytes for the same command line.
    clap_mangen::Man::new(page_command)
        .render(&mut page)
        .with_context(|| format!("rendering the man page of `{name}`"))?;
    let path = dir.join(format!("{name}.1"));
    write_atomic(&path, &page, Readers::Everyone)?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        write_pages(dir, sub.clone(), &format!("{name}-"), written)?;
    }
    Ok(())
}
