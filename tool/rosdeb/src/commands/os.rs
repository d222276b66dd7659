//! `rosdeb os`: being written (issue 3).

use crate::exit::Status;

/// `rosdeb os` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<Status> {
    anyhow::bail!("`rosdeb os` is not implemented yet")
}
