//! The index daemon: one background process per user (per `ROS_HOME`) that keeps the index of
//! every search path it was asked about in memory, watches every directory the crawl listed
//! (and every manifest it read) with inotify, and answers rospack/rosstack queries without
//! touching the disk.
//!
//! Exactness: inotify queues an event inside the system call that changes a watched directory
//! or file, so a change that finished before a client connected is already queued when the
//! daemon drains the queue before answering. The daemon also re-stats the search path roots and
//! every symlink the crawl went through (whose targets' parents are not watched), and treats a
//! change of the mount table, a queue overflow or a watch it lost as a change. After a change
//! the index is validated by stat as a process without a daemon would do it, and watches are
//! added for new directories before that validation is trusted. What it cannot see: changes on
//! remote file systems (it declines every query of an index that reaches one) and writes through
//! `mmap`.
//!
//! Opt-in: it is started only by `rosdeb daemon start` (or `run`, for a service manager) or by a
//! query with `ROSDEB_DAEMON=1`. A running daemon is used unless `ROSDEB_DAEMON=0`. Files, in
//! the index cache folder `$ROS_HOME/rosdeb/index/` (opened through [`PrivateDir`]: owned by
//! this user, not writable by others, no symlink followed): `daemon.sock` (the socket, mode
//! 0600; both sides check the peer's uid), `daemon.lock` (held by the running daemon),
//! `daemon.log`. `ROSDEB_DAEMON_IDLE_SECS` sets its idle exit.

mod protocol;
mod server;
mod watch;

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rospkg::environment::Environment;
use rospkg::private_dir::{PrivateDir, PrivateError};

use crate::compat::Tool;
use crate::context::Context;
pub use protocol::Status;
use protocol::{Answer, Reply, Request};
pub use server::serve;

/// `0`, `off`, `no` or `false`: never use nor start a daemon; `1`, `on`, `yes` or `true`: use
/// one, and let a query start one when none runs; unset (or anything else): use a running one.
pub const MODE_ENV: &str = "ROSDEB_DAEMON";
/// Seconds without a query after which the daemon drops an index (and exits when it has none
/// left); `0`: never.
pub const IDLE_ENV: &str = "ROSDEB_DAEMON_IDLE_SECS";
/// The idle time when [`IDLE_ENV`] is not set: 10 minutes.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(10 * 60);
/// How long a client waits for an answer before answering locally: long enough for the
/// revalidation of a large tree after a change on a busy machine, short enough that a stopped
/// (`SIGSTOP`) or wedged daemon costs a pipeline seconds, not minutes.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// File names in the cache folder.
const SOCKET: &str = "daemon.sock";
const LOCK: &str = "daemon.lock";
const LOG: &str = "daemon.log";

/// The files of the daemon of one `ROS_HOME`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The cache folder holding them.
    dir: PathBuf,
    /// The Unix socket (for messages; it is reached through the folder's handle).
    pub socket: PathBuf,
}

/// What asking a daemon gave.
pub enum Asked {
    /// The daemon's answer.
    Answer(Answer),
    /// No daemon runs (or it runs another build of rosdeb and is exiting).
    NotRunning,
    /// A daemon runs and declined; answer locally, start nothing.
    Declined,
}

/// What [`MODE_ENV`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Neither use nor start one.
    Off,
    /// Use one that runs.
    Use,
    /// Use one, starting it when none runs.
    Start,
}

impl Mode {
    /// The mode `context`'s environment asks for.
    pub fn of(context: &Context) -> Self {
        match context.env.get(MODE_ENV).map(str::to_ascii_lowercase).as_deref() {
            Some("0" | "off" | "no" | "false") => Mode::Off,
            Some("1" | "on" | "yes" | "true") => Mode::Start,
            _ => Mode::Use,
        }
    }
}

impl Endpoint {
    /// The daemon endpoint for a query in `context`, or `None` when no daemon may serve it:
    /// turned off, or [`Endpoint::of`] gives none.
    pub fn for_context(context: &Context) -> Option<Self> {
        if Mode::of(context) == Mode::Off {
            return None;
        }
        Self::of(context)
    }

    /// The endpoint whatever [`MODE_ENV`] says (for `rosdeb daemon`), or `None` when no
    /// daemon can serve `context`: no index cache, or a relative `ROS_PACKAGE_PATH` entry or
    /// `ROS_HOME` (they would resolve against the daemon's directory, which is `/`).
    pub fn of(context: &Context) -> Option<Self> {
        let dir = context.cache_dir.as_ref().filter(|d| d.is_absolute())?;
        if !context.search.entries.iter().all(|e| e.is_absolute()) {
            return None;
        }
        Some(Endpoint { dir: dir.clone(), socket: dir.join(SOCKET) })
    }

    /// The cache folder, checked (created when `create`).
    fn open_dir(&self, create: bool) -> Result<PrivateDir, PrivateError> {
        PrivateDir::open(&self.dir, create)
    }

    fn connect(&self) -> Option<UnixStream> {
        let dir = self.open_dir(false).ok()?;
        // Only a socket of ours, reached through the checked folder's handle.
        if !dir.is_own_socket(SOCKET) {
            return None;
        }
        let stream = UnixStream::connect(dir.via_handle(SOCKET)).ok()?;
        // Trust only a daemon of our own uid.
        let peer = rustix::net::sockopt::socket_peercred(&stream).ok()?;
        (peer.uid == rustix::process::geteuid()).then_some(())?;
        stream.set_read_timeout(Some(ANSWER_TIMEOUT)).ok()?;
        stream.set_write_timeout(Some(ANSWER_TIMEOUT)).ok()?;
        Some(stream)
    }

    fn call(&self, request: &Request) -> Option<Reply> {
        let mut stream = self.connect()?;
        protocol::send(&mut stream, request).ok()?;
        protocol::receive(&mut stream).ok()
    }

    /// Asks the daemon to answer a command line for this process.
    pub fn ask(&self, tool: Tool, args: &[OsString], env: &Environment) -> Asked {
        let Some(mut stream) = self.connect() else { return Asked::NotRunning };
        let request = Request::Query {
            identity: identity(),
            tool,
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            env: env.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
            cwd: std::env::current_dir().ok().map(|d| d.into_os_string().into_vec()),
        };
        if protocol::send(&mut stream, &request).is_err() {
            return Asked::NotRunning;
        }
        match protocol::receive(&mut stream) {
            Ok(Reply::Answer(answer)) => Asked::Answer(answer),
            Ok(Reply::Decline(_)) => Asked::Declined,
            _ => Asked::NotRunning,
        }
    }

    /// The running daemon's counters.
    pub fn status(&self) -> Option<Status> {
        match self.call(&Request::Status)? {
            Reply::Status(status) => Some(status),
            _ => None,
        }
    }

    /// Stops the running daemon and waits (up to 10 s) until it has let go of its lock.
    pub fn stop(&self) -> bool {
        let stopped = matches!(self.call(&Request::Stop), Some(Reply::Stopping));
        if stopped {
            let deadline = Instant::now() + Duration::from_secs(10);
            while self.daemon_holds_lock() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        stopped
    }

    /// True while a daemon (running or starting) holds the lock file.
    fn daemon_holds_lock(&self) -> bool {
        let Ok(dir) = self.open_dir(false) else { return false };
        let Ok(Some(file)) = dir.open_read(LOCK) else { return false };
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockShared) {
            Ok(()) => false,
            Err(e) => e == rustix::io::Errno::WOULDBLOCK,
        }
    }

    /// Starts a daemon for this process's environment unless one is running or starting; does
    /// not wait. Failures only cost the speed-up, so they are logged at debug level.
    pub fn start_in_background(&self) {
        if self.daemon_holds_lock() {
            return;
        }
        if let Err(e) = self.spawn() {
            tracing::debug!("not starting the index daemon: {e}");
        }
    }

    fn spawn(&self) -> anyhow::Result<()> {
        let exe = std::env::current_exe()?;
        let log = self.open_dir(true).and_then(|d| d.open_append(LOG)).map_err(hinted)?;
        std::process::Command::new(exe)
            .args(["daemon", "run", "--detach"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()?;
        Ok(())
    }

    /// Starts a daemon if none of this build runs (stopping one of another build) and waits
    /// (up to 30 s) until it answers.
    pub fn start_and_wait(&self) -> anyhow::Result<Status> {
        match self.status() {
            Some(status) if status.identity == identity() => return Ok(status),
            Some(_) => {
                self.stop();
            }
            None => {}
        }
        if !self.daemon_holds_lock() {
            self.spawn()?;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.status().filter(|s| s.identity == identity()) {
                return Ok(status);
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "the daemon did not answer within 30 s (see {})",
                    self.log().display()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The daemon's log file.
    pub fn log(&self) -> PathBuf {
        self.dir.join(LOG)
    }

    /// The cache folder the daemon's files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A refused file or folder under `ROS_HOME` as an error with its hint.
fn hinted(e: PrivateError) -> anyhow::Error {
    let hint = e.hint();
    crate::exit::Hinted::error(e.to_string(), hint)
}

/// This binary: version, and device, inode, size and mtime of the executable, so that a
/// rebuilt or upgraded rosdeb never talks to a daemon running the old code.
pub fn identity() -> String {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    match meta {
        Ok(m) => format!(
            "{} {}:{}:{}:{}.{}",
            env!("CARGO_PKG_VERSION"),
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec()
        ),
        Err(_) => format!("{} unknown", env!("CARGO_PKG_VERSION")),
    }
}
