//! Long-running processes of an e2e part, each the leader of its own process group and
//! stopped with its whole group (SIGINT, then SIGTERM, then SIGKILL) when its guard is dropped;
//! deadlines; free ports; a minimal HTTP GET.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rustix::process::Signal;

use super::cache::tail;

/// A child in its own process group, its output in a log file; the group is stopped on drop.
pub(crate) struct Group {
    child: Option<Child>,
    name: String,
    log: PathBuf,
}

impl Group {
    /// Spawns `cmd` as a process-group leader with stdout and stderr into `log`.
    pub(crate) fn spawn(mut cmd: Command, name: &str, log: &Path) -> anyhow::Result<Group> {
        let file = fs_err::File::create(log)?;
        cmd.stdout(file.try_clone()?.into_file()).stderr(file.into_file()).process_group(0);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        Ok(Group { child: Some(child), name: name.to_owned(), log: log.to_path_buf() })
    }

    /// The last lines of the log, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        let text = fs_err::read_to_string(&self.log).unwrap_or_default();
        format!("--- last lines of {} ({}) ---\n{}", self.name, self.log.display(), tail(&text, 20))
    }

    /// An error when the process has already ended (callers add the log tails they want).
    pub(crate) fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(child) = self.child.as_mut()
            && let Some(status) = child.try_wait()?
        {
            bail!("{} exited early ({status})", self.name);
        }
        Ok(())
    }

    /// Stops the group: SIGINT, SIGTERM after 5 s, SIGKILL after 3 s more; waits for the leader.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pgid = child.id();
        for (signal, grace) in [
            (Signal::INT, Duration::from_secs(5)),
            (Signal::TERM, Duration::from_secs(3)),
            (Signal::KILL, Duration::from_secs(3)),
        ] {
            signal_group(signal, pgid);
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                if matches!(child.try_wait(), Ok(Some(_))) && !group_alive(pgid) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = child.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Signals the process group `pgid`, led by a process e2e started (a zero or out-of-range id
/// does nothing).
fn signal_group(signal: Signal, pgid: u32) {
    let Some(pgid) = i32::try_from(pgid).ok().and_then(rustix::process::Pid::from_raw) else {
        return;
    };
    let _ = rustix::process::kill_process_group(pgid, signal);
}

/// Whether any process of group `pgid` is still there (signal 0).
fn group_alive(pgid: u32) -> bool {
    let Some(pgid) = i32::try_from(pgid).ok().and_then(rustix::process::Pid::from_raw) else {
        return false;
    };
    rustix::process::test_kill_process_group(pgid).is_ok()
}

/// Polls `check` every 200 ms until it gives `Some` or `limit` passes.
pub(crate) fn wait_for<T>(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check()? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("timed out after {} s waiting for {what}", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A TCP port nobody listens on right now (never 11311, roscore's default).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    loop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        if port != 11311 {
            return Ok(port);
        }
    }
}

/// `GET path` on `127.0.0.1:port` (HTTP/1.0); the status code and body.
pub(crate) fn http_get(port: u16, path: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no HTTP status line in `{}`", tail(head, 3)))?;
    Ok((code, body.to_owned()))
}
