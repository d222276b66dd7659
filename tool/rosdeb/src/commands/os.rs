//! `rosdeb os`: the operating system as rospkg's `OsDetect` names it (name, version, codename).
//!
//! Text output is three lines, `name: …`, `version: …`, `codename: …` (a field the OS lacks
//! is empty: `codename:`); `--json` prints `{"name": …, "version": …, "codename": …}` (the
//! shape the issue pins, without a `schema` field). `ROS_OS_OVERRIDE=name[:version[:codename]]`
//! wins over detection. `--root DIR` examines another system's files (a chroot, an image);
//! detectors that run a command (macOS `sw_vers`, FreeBSD/QNX `uname`) only do so when the
//! root is `/`. The deliberate differences from Python rospkg are in
//! `docs/os-detect-differences.md`.
//! Nothing detected: a message on stderr and exit 1.

use std::io::Write as _;
use std::path::PathBuf;

use rospkg::environment::Environment;
use rospkg::os_detect::{self, OsDetectError, OsInfo};

use crate::exit::{Hinted, Status};

/// `rosdeb os` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Examine the system whose root directory is DIR (a chroot, an image).
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Print `{"name": ..., "version": ..., "codename": ...}` instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let env = Environment::from_process();
    let info = match os_detect::detect(&args.root, &env) {
        Ok(info) => info,
        Err(e @ OsDetectError::NotDetected { .. }) => {
            return Err(Hinted::error(
                e.to_string(),
                "set ROS_OS_OVERRIDE=name:version:codename (e.g. ubuntu:24.04:noble)",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let text = if args.json { json(&info)? } else { text(&info) };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(Status::Success)
}

fn json(info: &OsInfo) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(info)?;
    text.push('\n');
    Ok(text)
}

fn text(info: &OsInfo) -> String {
    let mut text = String::new();
    for (key, value) in
        [("name", &info.name), ("version", &info.version), ("codename", &info.codename)]
    {
        text.push_str(key);
        text.push(':');
        if !value.is_empty() {
            text.push(' ');
            text.push_str(value);
        }
        text.push('\n');
    }
    text
}
