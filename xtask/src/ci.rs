//! `cargo xtask ci`: exactly what CI runs, in order, stopping at the first failure.
//!
//! First the Debian packages the tests compare against (the real rospack, rospkg, ...): installed
//! with apt when missing and running as root, else a clear error saying what to install. Then,
//! debug builds only (the CI machine has 2 cores): fmt, clippy with `-D warnings`, and the tests
//! through cargo-nextest when it is installed, else `cargo test`.

use std::time::Instant;

use anyhow::Context as _;
use xshell::{Shell, cmd};

use crate::{banner, root_shell};

#[cfg(test)]
mod tests;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Debian packages the tests and benchmarks need: the real peers they compare against, and
/// `time` for peak memory in `cargo xtask bench`.
pub(crate) const DEBIAN_PACKAGES: &[&str] = &[
    "rospack-tools",
    "python3-rospkg",
    "python3-catkin-pkg",
    "python3-rosdistro",
    "python3-rosdep2",
    "python3-bloom",
    "python3-yaml",
    "lintian",
    "hyperfine",
    "time",
    // rosdeb build: compiling build types (and `--via dpkg-buildpackage`), the apt install check
    // in a bookworm root, and what the fixture packages build with
    "cmake",
    "catkin",
    "debootstrap",
    "debhelper",
    "dpkg-dev",
    "g++",
    "make",
    "libtinyxml2-dev",
    "python3-setuptools",
    "python3-venv",
    "binutils",
    // `systemd-analyze verify` of the bridge's unit
    "systemd",
    // the system liblzma for .deb compression (as dpkg-deb), found with pkg-config
    "liblzma-dev",
    "pkg-config",
    // git2's https transport links the system OpenSSL; the https tests make a certificate
    // with the openssl command
    "libssl-dev",
    "openssl",
    // pyros: the real-roscore tests and `cargo xtask bench bridge`
    "ros-core",
    "ros-std-msgs",
    "python3-std-msgs",
    "ros-std-srvs",
    "python3-std-srvs",
    "ros-geometry-msgs",
    "python3-geometry-msgs",
    "ros-sensor-msgs",
    "python3-sensor-msgs",
    // rosdeb build of the real common_msgs (fixtures/release/sources) on this host: catkin's
    // message generation and the message packages they build on (Debian's own, under /usr)
    "ros-message-generation",
    "libstd-msgs-dev",
    "libgeometry-msgs-dev",
    "libactionlib-msgs-dev",
    "ros-actionlib-msgs",
    "libsensor-msgs-dev",
];

pub(crate) fn run(_args: &Args) -> anyhow::Result<()> {
    let sh = root_shell()?;
    let start = Instant::now();
    ensure_debian_packages(&sh, "ci", DEBIAN_PACKAGES)?;
    // The cross-release cargo build test links with zig (not in Debian: from the registries).
    crate::tools::ensure_zig()?;
    // The tests of `rosdeb ci generate` validate pipelines against the engines' schemas.
    crate::tools::ensure_check_jsonschema()?;
    let nextest = has_nextest(&sh);
    let steps: [(&str, xshell::Cmd<'_>); 3] = [
        ("format", cmd!(sh, "cargo fmt --all --check")),
        ("lint", cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings")),
        (
            "test",
            if nextest {
                cmd!(sh, "cargo nextest run --workspace --no-fail-fast")
            } else {
                cmd!(sh, "cargo test --workspace --no-fail-fast")
            },
        ),
    ];
    let total = steps.len();
    for (i, (name, step)) in steps.into_iter().enumerate() {
        banner(&format!("ci [{}/{total}] {name}: {step}", i + 1));
        let step_start = Instant::now();
        step.run().with_context(|| format!("ci step `{name}` failed"))?;
        eprintln!(
            "==> ci [{}/{total}] {name}: ok ({:.1} s)",
            i + 1,
            step_start.elapsed().as_secs_f64()
        );
    }
    if !nextest {
        eprintln!("note: cargo-nextest is not installed; the tests ran with `cargo test`");
    }
    banner(&format!("ci: all {total} steps passed in {:.1} s", start.elapsed().as_secs_f64()));
    Ok(())
}

/// Installs the missing [`DEBIAN_PACKAGES`] (one `apt-get update`, then one install) when running
/// as root; otherwise fails with the command to run.
/// Installs the missing ones of `packages` (one `apt-get update`, one `apt-get install`) when
/// run as root; otherwise fails naming them. `job` names the caller in messages.
pub(crate) fn ensure_debian_packages(
    sh: &Shell,
    job: &str,
    packages: &[&str],
) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            let format = "-f=${db:Status-Status}";
            let status = cmd!(sh, "dpkg-query -W {format} {p}").quiet().ignore_stderr().read();
            status.map(|s| s.trim() != "installed").unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        eprintln!("==> {job}: Debian packages present: {}", packages.join(" "));
        return Ok(());
    }
    let uid = cmd!(sh, "id -u").quiet().read().unwrap_or_default();
    if uid.trim() != "0" {
        anyhow::bail!(
            "missing Debian packages: {}\n  hint: run `sudo apt-get install {}` (or run `cargo xtask {job}` as root)",
            missing.join(" "),
            missing.join(" ")
        );
    }
    banner(&format!("{job}: installing Debian packages: {}", missing.join(" ")));
    cmd!(sh, "apt-get update").run().context("apt-get update")?;
    cmd!(sh, "apt-get install -y --no-install-recommends {missing...}")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
        .context("apt-get install")?;
    Ok(())
}

fn has_nextest(sh: &Shell) -> bool {
    cmd!(sh, "cargo nextest --version").quiet().ignore_stdout().ignore_stderr().run().is_ok()
}
