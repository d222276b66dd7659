//! `rosdeb distro`: being written (issue 3).

use crate::exit::Status;

/// `rosdeb distro` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<Status> {
    anyhow::bail!("`rosdeb distro` is not implemented yet")
}
