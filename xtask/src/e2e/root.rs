//! A throw-away root unpacked from a cached tarball: `chroot` commands into it, `/proc`
//! mounted with a guaranteed unmount, and on drop (also after an error or a panic) every mount
//! below it undone before the folder is removed; a folder something is still mounted in is
//! left in place with a warning, never deleted through the mount. Logs of the processes run
//! in a root stay in `target/e2e-logs/<label>/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context as _, bail};

use super::cache::tail;

/// An unpacked root under `target/e2e/`, removed on drop.
pub(crate) struct Root {
    /// The folder holding `root/`.
    work: PathBuf,
    root: PathBuf,
    /// `target/e2e-logs/<label>/`: the logs of what ran in the root, kept after it is gone.
    logs: PathBuf,
}

impl Root {
    /// Unpacks `tarball` into a fresh `target/e2e/<label>-<pid>/root`.
    pub(crate) fn unpack(target: &Path, label: &str, tarball: &Path) -> anyhow::Result<Root> {
        let work = target.join("e2e").join(format!("{label}-{}", std::process::id()));
        if work.exists() {
            unmount_under(&work)?;
            fs_err::remove_dir_all(&work)?;
        }
        let root = work.join("root");
        fs_err::create_dir_all(&root)?;
        let logs = target.join("e2e-logs").join(label);
        if logs.exists() {
            fs_err::remove_dir_all(&logs)?;
        }
        fs_err::create_dir_all(&logs)?;
        let this = Root { work, root, logs };
        run(Command::new("tar")
            .arg("--numeric-owner")
            .arg("-C")
            .arg(&this.root)
            .arg("-xf")
            .arg(tarball))?;
        // apt's sandbox user reaches a file: repository through `/`.
        run(Command::new("chmod").arg("0755").arg(&this.root))?;
        fs_err::copy("/etc/resolv.conf", this.root.join("etc/resolv.conf"))?;
        Ok(this)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.root
    }

    /// A host path for a log file of this run (outside the root; kept after it is removed).
    pub(crate) fn log(&self, name: &str) -> PathBuf {
        self.logs.join(name)
    }

    /// `root/<inside>` for an absolute path inside the root.
    pub(crate) fn join(&self, inside: &str) -> PathBuf {
        self.root.join(inside.trim_start_matches('/'))
    }

    /// Mounts `/proc` inside the root; unmounted when the guard or the root is dropped.
    pub(crate) fn mount_proc(&self) -> anyhow::Result<Mount> {
        let point = self.join("/proc");
        fs_err::create_dir_all(&point)?;
        run(Command::new("mount").args(["-t", "proc", "proc"]).arg(&point))?;
        Ok(Mount(point))
    }

    /// `chroot ROOT ARGS` with a clean environment (PATH, noninteractive apt, UTF-8, no
    /// bytecode written into packaged folders).
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("/usr/sbin/chroot");
        cmd.arg(&self.root)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", "/root")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .env("LC_ALL", "C.UTF-8")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `args` in the root; its output on success, an error with its tail otherwise.
    pub(crate) fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        run(&mut self.command(args))
    }

    /// Processes whose root directory is this root (`/proc/PID/root`), as `pid command`.
    pub(crate) fn processes(&self) -> Vec<String> {
        processes_in(&self.root)
    }
}

/// Processes whose root directory is `root`, as `pid command`.
fn processes_in(root: &Path) -> Vec<String> {
    let Ok(canonical) = fs_err::canonicalize(root) else { return Vec::new() };
    let Ok(entries) = fs_err::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(root) = fs_err::read_link(entry.path().join("root")) else { continue };
        if root == canonical {
            let cmdline = fs_err::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push(format!("{name} {}", cmdline.trim()));
        }
    }
    found
}

impl Drop for Root {
    fn drop(&mut self) {
        dispose(&self.work, &self.root);
    }
}

/// Kills what still runs in `root`, unmounts everything below `work`, removes `work`.
fn dispose(work: &Path, root: &Path) {
    let stray = processes_in(root);
    for process in &stray {
        eprintln!("warning: killing a process left in {}: {process}", root.display());
        if let Some(pid) = process
            .split_whitespace()
            .next()
            .and_then(|p| p.parse::<i32>().ok())
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
    if !stray.is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    if let Err(err) = unmount_under(work) {
        eprintln!("warning: {} is left in place: {err:#}", work.display());
        return;
    }
    if let Err(err) = fs_err::remove_dir_all(work) {
        eprintln!("warning: removing {}: {err}", work.display());
    }
}

/// Removes the roots of earlier runs that did not clean up (killed by a signal): each
/// `target/e2e/<label>-<pid>` whose run is no longer alive.
pub(crate) fn dispose_stale(target: &Path) {
    let Ok(entries) = fs_err::read_dir(target.join("e2e")) else { return };
    for entry in entries.flatten() {
        let work = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.rsplit_once('-').and_then(|(_, p)| p.parse::<i32>().ok()) else {
            continue;
        };
        let alive = rustix::process::Pid::from_raw(pid)
            .is_some_and(|p| rustix::process::test_kill_process(p).is_ok());
        if !alive {
            eprintln!("    removing the root of an interrupted run: {}", work.display());
            dispose(&work, &work.join("root"));
        }
    }
}

/// A mount point unmounted on drop.
pub(crate) struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        if let Err(err) = umount(&self.0) {
            eprintln!("warning: {err:#}");
        }
    }
}

/// Unmounts `point` (lazily when it is busy).
fn umount(point: &Path) -> anyhow::Result<()> {
    if !mount_points().iter().any(|m| m == point) {
        return Ok(());
    }
    let ok = Command::new("umount").arg(point).stderr(Stdio::null()).status()?.success()
        || Command::new("umount").arg("-l").arg(point).status()?.success();
    if !ok {
        bail!("cannot unmount {}", point.display());
    }
    Ok(())
}

/// Unmounts everything mounted at or below `dir`, deepest first; an error when one stays.
pub(crate) fn unmount_under(dir: &Path) -> anyhow::Result<()> {
    let dir = fs_err::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut below: Vec<PathBuf> =
        mount_points().into_iter().filter(|m| m.starts_with(&dir)).collect();
    below.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    for point in &below {
        umount(point)?;
    }
    if let Some(left) = mount_points().into_iter().find(|m| m.starts_with(&dir)) {
        bail!("{} is still mounted", left.display());
    }
    Ok(())
}

/// Mount points from `/proc/self/mountinfo` (field 5, octal escapes decoded).
fn mount_points() -> Vec<PathBuf> {
    let text = fs_err::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines().filter_map(|l| l.split(' ').nth(4)).map(|p| PathBuf::from(unescape(p))).collect()
}

fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&field[i + 1..i + 4], 8)
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs `cmd`; stdout + stderr on success, an error naming the command with the tail otherwise.
pub(crate) fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out: Output = cmd.output().with_context(|| format!("starting {cmd:?}"))?;
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("{} failed ({}):\n{}", describe(cmd), out.status, tail(&log, 25));
    }
    Ok(log)
}

/// `program arg arg ...` without the environment.
pub(crate) fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
