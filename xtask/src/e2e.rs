//! `cargo xtask e2e`: the end-to-end check of what `cargo xtask dist` publishes, in fresh
//! roots. bookworm: a debootstrapped minbase root gets Debian's `ros-core` and the pyros debs
//! from the signed repository `target/apt` with apt, runs roscore, the bridge exactly as its
//! installed systemd unit says, a rostopic publisher, `pyros-topic-web` and a rospy service
//! called through the Python client, then purges the debs and checks nothing is left.
//! focal and jammy (when the Ubuntu archive answers): `pyros-bridge` installed from the same
//! repository runs its selftest. Needs root (debootstrap, chroot, mount).
//!
//! Layout: [`cache`] (cached debootstrap tarballs, mirror probe), [`root`] (unpacked roots,
//! mounts, chroot), [`procs`] (process groups, deadlines, HTTP), [`unit`] (the systemd unit's
//! `ExecStart=` / `User=`), [`bookworm`] and [`ubuntu`] (the parts).

mod bookworm;
mod cache;
mod procs;
mod root;
#[cfg(test)]
mod tests;
mod ubuntu;
mod unit;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::banner;

/// What e2e installs and checks: package names and the paths their packages own.
pub(crate) mod names {
    pub(crate) const BRIDGE_PKG: &str = "pyros-bridge";
    pub(crate) const PYTHON_PKG: &str = "python3-pyros";
    pub(crate) const WEB_PKG: &str = "pyros-topic-web";
    /// Every pyros deb the bookworm part installs and purges.
    pub(crate) const PYROS_DEBS: [&str; 3] = [BRIDGE_PKG, PYTHON_PKG, WEB_PKG];
    /// Debian's ROS command-line tools and master.
    pub(crate) const ROS_CORE: &str = "ros-core";
    /// The bridge's systemd unit: where Debian has put units, then the merged-/usr spelling.
    pub(crate) const UNITS: [&str; 2] = [
        "/lib/systemd/system/pyros-bridge.service",
        "/usr/lib/systemd/system/pyros-bridge.service",
    ];
    pub(crate) const CONFIG: &str = "/etc/pyros/bridge.toml";
    pub(crate) const CONFIG_DIR: &str = "/etc/pyros";
    pub(crate) const DEFAULTS: &str = "/etc/default/pyros-bridge";
    /// The unit's `RuntimeDirectory=` and `StateDirectory=`.
    pub(crate) const RUNTIME_DIR: &str = "/run/pyros";
    pub(crate) const STATE_DIR: &str = "/var/lib/pyros";
    pub(crate) const SOCKET: &str = "/run/pyros/default.sock";
    pub(crate) const VENV: &str = "/opt/venvs/pyros-topic-web";
    pub(crate) const WEB_BIN: &str = "/usr/bin/pyros-topic-web";
    pub(crate) const BRIDGE_BIN: &str = "/usr/bin/pyros-bridge";
    pub(crate) const SYSTEM_USER: &str = "pyros";
    /// Where the repository and its key are put inside a root.
    pub(crate) const REPO_INSIDE: &str = "/srv/pyros-apt";
    pub(crate) const KEYRING_INSIDE: &str = "/usr/share/keyrings/pyros-e2e.asc";
    pub(crate) const SOURCES_INSIDE: &str = "/etc/apt/sources.list.d/pyros-e2e.list";
    /// The repository's public key, relative to the repository.
    pub(crate) const REPO_KEY: &str = "archive-key.asc";
}

/// The mirrors (each overridable with its environment variable).
const DEBIAN_MIRROR: (&str, &str) = ("E2E_DEBIAN_MIRROR", "http://deb.debian.org/debian");
const UBUNTU_MIRROR: (&str, &str) = ("E2E_UBUNTU_MIRROR", "http://archive.ubuntu.com/ubuntu");

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Run only these parts (repeatable; default: all).
    #[arg(long, value_enum)]
    only: Vec<Part>,
    /// The signed apt repository to test (default: `target/apt`, made by `cargo xtask dist`).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    Bookworm,
    Focal,
    Jammy,
}

impl Part {
    fn suite(self) -> &'static str {
        match self {
            Part::Bookworm => "bookworm",
            Part::Focal => "focal",
            Part::Jammy => "jammy",
        }
    }
}

/// What every part needs.
pub(crate) struct Ctx {
    /// Cargo's target directory: caches and roots live there.
    pub(crate) target: PathBuf,
    /// The signed repository on the host.
    pub(crate) repo: PathBuf,
    /// `YYYYMMDD` (UTC): the cache's date.
    pub(crate) today: String,
}

enum Verdict {
    Passed(String),
    Failed(anyhow::Error),
    Skipped(String),
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let started = Instant::now();
    if !rustix::process::geteuid().is_root() {
        bail!(
            "cargo xtask e2e must run as root: it bootstraps Debian and Ubuntu roots with debootstrap and works in them with chroot and mount\nhint: sudo -E env PATH=\"$PATH\" cargo xtask e2e"
        );
    }
    for tool in ["/usr/sbin/debootstrap", "/usr/sbin/chroot"] {
        if !Path::new(tool).exists() {
            bail!("{tool} is missing\nhint: apt-get install debootstrap coreutils");
        }
    }
    let target = crate::target_dir();
    let repo = args.repo.clone().unwrap_or_else(|| target.join("apt"));
    let in_release = repo.join("dists/bookworm/InRelease");
    if !in_release.is_file() {
        bail!(
            "{} is missing: there is no signed repository to test\nhint: run `cargo xtask dist` first (it publishes target/apt)",
            in_release.display()
        );
    }
    if !repo.join(names::REPO_KEY).is_file() {
        bail!(
            "{} is missing: apt could not check the repository's signature\nhint: run `cargo xtask dist` again",
            repo.join(names::REPO_KEY).display()
        );
    }
    root::dispose_stale(&target);
    let today =
        root::run(std::process::Command::new("date").args(["-u", "+%Y%m%d"]))?.trim().to_owned();
    let ctx = Ctx { target, repo, today };
    let parts: Vec<Part> = if args.only.is_empty() {
        vec![Part::Bookworm, Part::Focal, Part::Jammy]
    } else {
        args.only.clone()
    };
    let mut results = Vec::new();
    for part in parts {
        banner(&format!("e2e: {} part", part.suite()));
        let start = Instant::now();
        let verdict = match part {
            Part::Bookworm => match bookworm::run(&ctx) {
                Ok(details) => Verdict::Passed(details),
                Err(err) => Verdict::Failed(err),
            },
            Part::Focal | Part::Jammy => ubuntu::run(&ctx, part.suite()),
        };
        if let Verdict::Failed(err) = &verdict {
            eprintln!("e2e: {} FAILED: {err:#}", part.suite());
        }
        results.push((part, verdict, start.elapsed()));
    }
    summary(&results, started.elapsed());
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, v, _)| matches!(v, Verdict::Failed(_)))
        .map(|(p, _, _)| p.suite())
        .collect();
    if !failed.is_empty() {
        bail!("e2e failed: {}", failed.join(", "));
    }
    Ok(())
}

fn summary(results: &[(Part, Verdict, Duration)], total: Duration) {
    banner("e2e: summary");
    for (part, verdict, time) in results {
        let (word, detail) = match verdict {
            Verdict::Passed(d) => ("passed", d.clone()),
            Verdict::Failed(e) => ("FAILED", headline(&format!("{e:#}"))),
            Verdict::Skipped(d) => ("SKIPPED", d.clone()),
        };
        eprintln!("    {:<9} {word:<8} {:>6.1} s  {detail}", part.suite(), time.as_secs_f64());
    }
    eprintln!("    total {:.1} s", total.as_secs_f64());
}

/// The first line of an error, with the next one when the first ends in `:`.
fn headline(error: &str) -> String {
    let mut lines = error.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default().trim();
    match lines.next() {
        Some(next) if first.ends_with(':') => format!("{first} {}", next.trim()),
        _ => first.to_owned(),
    }
}

/// The environment variable that overrides the mirror of `suite`.
pub(crate) fn mirror_variable(suite: &str) -> &'static str {
    if suite == "bookworm" { DEBIAN_MIRROR.0 } else { UBUNTU_MIRROR.0 }
}

/// The mirror of `suite`: its environment variable, else the default.
pub(crate) fn mirror(suite: &str) -> String {
    let (var, default) = if suite == "bookworm" { DEBIAN_MIRROR } else { UBUNTU_MIRROR };
    std::env::var(var).ok().filter(|m| !m.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// Copies the repository and its key into `root` and adds it as an apt source for `suite`.
pub(crate) fn add_repository(ctx: &Ctx, root: &root::Root, suite: &str) -> anyhow::Result<()> {
    let inside = root.join(names::REPO_INSIDE);
    if let Some(parent) = inside.parent() {
        fs_err::create_dir_all(parent)?;
    }
    root::run(std::process::Command::new("cp").arg("-a").arg(&ctx.repo).arg(&inside))
        .context("copying the repository into the root")?;
    let keyring = root.join(names::KEYRING_INSIDE);
    fs_err::create_dir_all(keyring.parent().context("keyring has a parent")?)?;
    fs_err::copy(ctx.repo.join(names::REPO_KEY), &keyring)?;
    fs_err::write(
        root.join(names::SOURCES_INSIDE),
        format!(
            "deb [signed-by={}] file:{} {suite} main\n",
            names::KEYRING_INSIDE,
            names::REPO_INSIDE
        ),
    )?;
    Ok(())
}

/// `apt-get update` in the root; an error unless our repository's InRelease was read cleanly.
pub(crate) fn apt_update(root: &root::Root, suite: &str) -> anyhow::Result<()> {
    banner(&format!("e2e: {suite}: apt-get update"));
    let log = root.run(&["apt-get", "update"])?;
    let ours = format!("file:{} {suite} InRelease", names::REPO_INSIDE);
    if !log.contains(&ours) || log.lines().any(|l| l.starts_with("W:") || l.starts_with("E:")) {
        bail!("apt-get update did not read {ours} cleanly:\n{log}");
    }
    Ok(())
}

/// `apt-get install -y --no-install-recommends PACKAGES` in the root.
pub(crate) fn apt_install(root: &root::Root, packages: &[&str]) -> anyhow::Result<String> {
    let mut args =
        vec!["apt-get", "-o", "Dpkg::Use-Pty=0", "install", "-y", "--no-install-recommends"];
    args.extend(packages);
    root.run(&args)
}
