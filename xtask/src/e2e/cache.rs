//! Cached minbase roots: `target/debootstrap-<suite>-<YYYYMMDD>.tar` (the name
//! `tool/rosdeb/tests/it/install.rs` uses, so CI and e2e share one bookworm root). A cache is
//! made in a hidden work folder, tarred into a hidden `.partial` file and renamed only when
//! complete; on any failure (or panic) both are removed, so a reader finds a whole tarball or
//! none. The mirror is probed first, so an unreachable archive is named with its cause before
//! debootstrap runs.

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::root::unmount_under;

/// A debootstrap suite and where to fetch it from.
#[derive(Debug, Clone)]
pub(crate) struct Suite {
    pub(crate) name: &'static str,
    pub(crate) mirror: String,
    /// Extra debootstrap options (keyring, components).
    pub(crate) options: Vec<String>,
}

/// `target/debootstrap-<suite>-<today>.tar`, bootstrapped from `suite.mirror` when missing.
pub(crate) fn bootstrapped(target: &Path, suite: &Suite, today: &str) -> anyhow::Result<PathBuf> {
    let name = format!("debootstrap-{}", suite.name);
    let tarball = target.join(format!("{name}-{today}.tar"));
    if tarball.is_file() {
        return Ok(tarball);
    }
    probe(&suite.mirror, suite.name).with_context(|| {
        format!(
            "cannot bootstrap {}: the mirror {} did not answer\nhint: check the network, or set {} to a reachable mirror",
            suite.name,
            suite.mirror,
            super::mirror_variable(suite.name)
        )
    })?;
    cached_tarball(target, &name, today, |root| {
        crate::banner(&format!(
            "e2e: debootstrap --variant=minbase {} from {} (cached afterwards)",
            suite.name, suite.mirror
        ));
        let out = Command::new("/usr/sbin/debootstrap")
            .arg("--variant=minbase")
            .args(&suite.options)
            .arg(suite.name)
            .arg(root)
            .arg(&suite.mirror)
            .output()
            .context("running /usr/sbin/debootstrap (apt-get install debootstrap)")?;
        if !out.status.success() {
            let log = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            bail!(
                "debootstrap of {} from {} failed ({}):\n{}\nhint: check that the mirror carries {}; set {} to another mirror",
                suite.name,
                suite.mirror,
                out.status,
                tail(&log, 15),
                suite.name,
                super::mirror_variable(suite.name)
            );
        }
        Ok(())
    })
}

/// `target/<name>-<today>.tar`, made by `make(root)` when missing. The root is made in a
/// hidden work folder of `target`, tarred (numeric owners) into a hidden `.partial` file and
/// renamed; older dated tarballs of the same name are removed. On failure nothing is left.
pub(crate) fn cached_tarball(
    target: &Path,
    name: &str,
    today: &str,
    make: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<PathBuf> {
    let tarball = target.join(format!("{name}-{today}.tar"));
    if tarball.is_file() {
        return Ok(tarball);
    }
    fs_err::create_dir_all(target)?;
    let pid = std::process::id();
    let work = Leftover(target.join(format!(".{name}-{today}.work.{pid}")));
    let partial = Leftover(target.join(format!(".{name}-{today}.tar.partial.{pid}")));
    fs_err::create_dir_all(&work.0)?;
    let root = work.0.join("root");
    make(&root)?;
    unmount_under(&work.0)?;
    let out = Command::new("tar")
        .arg("--numeric-owner")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&partial.0)
        .arg(".")
        .output()
        .context("running tar")?;
    if !out.status.success() {
        bail!(
            "tar of {} into {} failed: {}",
            root.display(),
            partial.0.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    fs_err::rename(&partial.0, &tarball)?;
    for entry in fs_err::read_dir(target)? {
        let file = entry?.file_name().to_string_lossy().into_owned();
        if is_dated(&file, name) && target.join(&file) != tarball {
            let _ = fs_err::remove_file(target.join(file));
        }
    }
    Ok(tarball)
}

/// `<name>-<8 digits>.tar`.
fn is_dated(file: &str, name: &str) -> bool {
    file.strip_prefix(name)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_suffix(".tar"))
        .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A path removed on drop (after unmounting anything below it), unless it was renamed away.
struct Leftover(PathBuf);

impl Drop for Leftover {
    fn drop(&mut self) {
        match fs_err::symlink_metadata(&self.0) {
            Ok(meta) if meta.is_dir() => {
                if let Err(err) = unmount_under(&self.0) {
                    eprintln!(
                        "warning: {} is left behind (something below it is still mounted): {err:#}",
                        self.0.display()
                    );
                    return;
                }
                let _ = fs_err::remove_dir_all(&self.0);
            }
            Ok(_) => {
                let _ = fs_err::remove_file(&self.0);
            }
            Err(_) => {}
        }
    }
}

/// Asks `<mirror>/dists/<suite>/Release` with a short timeout; an error says why it failed.
/// Only `http://` mirrors are fetched; for other schemes a TCP connection is enough.
pub(crate) fn probe(mirror: &str, suite: &str) -> anyhow::Result<()> {
    let timeout = Duration::from_secs(5);
    let (scheme, rest) = mirror
        .split_once("://")
        .with_context(|| format!("`{mirror}` is not a URL (scheme://host/path)"))?;
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let default_port = if scheme == "https" { 443 } else { 80 };
    let host_port = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        authority.to_owned()
    } else {
        format!("{authority}:{default_port}")
    };
    let addr = host_port
        .to_socket_addrs()
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .with_context(|| format!("{authority} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("connecting to {addr}"))?;
    if scheme != "http" {
        return Ok(());
    }
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let path = format!("/{}/dists/{suite}/Release", path.trim_end_matches('/'))
        .replace("//dists", "/dists");
    write!(stream, "HEAD {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: xtask-e2e\r\nConnection: close\r\n\r\n")
        .context("sending the request")?;
    // The status line may arrive in several pieces: read up to its end.
    let mut line = String::new();
    std::io::BufReader::new(stream.take(512)).read_line(&mut line).context("reading the answer")?;
    let line = line.trim_end();
    let code = line.split_whitespace().nth(1).unwrap_or_default();
    if !code.starts_with('2') && !code.starts_with('3') {
        bail!("HEAD {path} answered `{line}`");
    }
    Ok(())
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
