//! The index daemon: one background process per search path that keeps the index in memory,
//! watches every directory the crawl listed (and every manifest it read) with inotify, and
//! answers rospack/rosstack queries without touching the disk.
//!
//! Exactness: inotify queues an event inside the system call that changes a watched directory
//! or file, so a change that finished before a client connected is already queued when the
//! daemon drains the queue before answering. The daemon also re-stats the search path roots and
//! every symlink the crawl went through (whose targets' parents are not watched), and treats a
//! change of the mount table, a queue overflow or a watch it lost as a change. After a change
//! the index is validated by stat as a process without a daemon would do it, and watches are
//! added for new directories before that validation is trusted. What it cannot see: changes on
//! remote file systems (it declines every query there) and writes through `mmap`.
//!
//! Files, beside the index cache (`$ROS_HOME/rosdeb/index/<key>.*`): `.sock` (the socket, mode
//! 0600; both sides check the peer's uid), `.lock` (held by the running daemon), `.log`.
//! `ROSDEB_DAEMON=0` turns the daemon off; `ROSDEB_DAEMON_IDLE_SECS` sets its idle exit.

mod protocol;
mod server;
mod watch;

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rospkg::crawl::CrawlOptions;
use rospkg::environment::Environment;

use crate::commands::compat::{Answer, Tool};
use crate::context::Context;
pub use protocol::Status;
use protocol::{Reply, Request};
pub use server::serve;

/// `0`, `off`, `no` or `false`: never use nor start a daemon.
pub const MODE_ENV: &str = "ROSDEB_DAEMON";
/// Seconds without a query after which the daemon exits.
pub const IDLE_ENV: &str = "ROSDEB_DAEMON_IDLE_SECS";
/// The idle exit when [`IDLE_ENV`] is not set: 30 minutes.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
/// The longest socket path the kernel accepts (`sun_path` less its terminating NUL).
const MAX_SOCKET_PATH: usize = 107;
/// How long a client waits for an answer before answering locally: long enough for the
/// revalidation of a large tree after a change on a busy machine, short enough that a stopped
/// (`SIGSTOP`) or wedged daemon costs a pipeline seconds, not minutes.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The files of the daemon serving one search path.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The Unix socket.
    pub socket: PathBuf,
    lock: PathBuf,
    log: PathBuf,
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

impl Endpoint {
    /// The daemon endpoint for `context`, or `None` when no daemon may serve it: turned off,
    /// no index cache, a relative `ROS_PACKAGE_PATH` entry or `ROS_HOME` (they would resolve
    /// against the daemon's directory, which is `/`), or a socket path the kernel cannot take.
    pub fn for_context(context: &Context) -> Option<Self> {
        if context.env.get(MODE_ENV).is_some_and(is_off) {
            return None;
        }
        Self::of(context)
    }

    /// The endpoint whatever [`MODE_ENV`] says (for `rosdeb daemon`).
    pub fn of(context: &Context) -> Option<Self> {
        let cache_dir = context.cache_dir.as_ref().filter(|d| d.is_absolute())?;
        if !context.search.entries.iter().all(|e| e.is_absolute()) {
            return None;
        }
        let name = rospkg::index::cache_file_name(&context.search, CrawlOptions::default());
        let stem = cache_dir.join(name.trim_end_matches(".idx"));
        let with = |ext: &str| {
            let mut path = stem.clone().into_os_string();
            path.push(ext);
            PathBuf::from(path)
        };
        let socket = with(".sock");
        // Room for the temporary name the daemon binds first ([`Endpoint::fresh_socket`]).
        if socket.as_os_str().len() + 12 > MAX_SOCKET_PATH {
            return None;
        }
        Some(Endpoint { socket, lock: with(".lock"), log: with(".log") })
    }

    /// The name a starting daemon binds before renaming it over [`Endpoint::socket`].
    fn fresh_socket(&self) -> PathBuf {
        let mut path = self.socket.clone().into_os_string();
        path.push(format!(".{}", std::process::id() % 1_000_000));
        PathBuf::from(path)
    }

    fn connect(&self) -> Option<UnixStream> {
        let stream = UnixStream::connect(&self.socket).ok()?;
        // A socket in a shared ROS_HOME could belong to somebody else: trust only our own uid.
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
        let Ok(file) = std::fs::File::open(&self.lock) else { return false };
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

    fn spawn(&self) -> std::io::Result<()> {
        let exe = std::env::current_exe()?;
        if let Some(dir) = self.log.parent() {
            fs_err::create_dir_all(dir)?;
        }
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        std::process::Command::new(exe)
            .args(["daemon", "run", "--detach"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .map(drop)
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
                anyhow::bail!("the daemon did not answer within 30 s (see {})", self.log.display());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The daemon's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }
}

/// `0`, `off`, `no`, `false` (any case).
fn is_off(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "0" | "off" | "no" | "false")
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
