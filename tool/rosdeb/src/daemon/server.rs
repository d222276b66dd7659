//! The daemon's main loop: hold the lock, keep one index per search path current with a
//! [`Watcher`], read requests from many clients at once without blocking, answer them one at a
//! time, drop indexes that are idle or whose roots are gone, exit when it serves nothing, when
//! stopped, or when its socket is gone.
//!
//! Clients cannot hold it: every connection is non-blocking and polled with the rest; a request
//! must arrive whole within [`REQUEST_DEADLINE`] of the connection and its reply must be taken
//! within [`ANSWER_TIMEOUT`] of being ready, else the connection is closed. At most [`MAX_CONNECTIONS`]
//! are open; when full, the oldest one still sending its request is closed for the new one.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::os::fd::AsFd as _;
use std::os::unix::ffi::OsStringExt as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rospkg::environment::Environment;
use rospkg::index::CacheOutcome;
use rospkg::private_dir::PrivateDir;

use super::protocol::{self, MAX_REQUEST, Reply, Request, Status};
use super::watch::Watcher;
use super::{ANSWER_TIMEOUT, DEFAULT_IDLE, Endpoint, IDLE_ENV, LOCK, SOCKET};
use crate::compat::{self, Caller, Views};
use crate::context::Context;

/// How long a client has to send its whole request after connecting.
const REQUEST_DEADLINE: Duration = Duration::from_secs(2);
/// Connections open at once (reading a request or writing a reply).
const MAX_CONNECTIONS: usize = 64;

/// File system types whose changes made elsewhere inotify never reports.
const REMOTE_FS: &[(i64, &str)] = &[
    (0x6969, "nfs"),
    (0x517b, "smb"),
    (0xff53_4d42, "cifs"),
    (0xfe53_4d42, "smb2"),
    (0x6573_5546, "fuse"),
    (0x00c3_6400, "ceph"),
    (0x5346_414f, "afs"),
    (0x0102_1997, "9p"),
    (0x7375_7245, "coda"),
    (0x0116_1970, "gfs2"),
    (0x7461_636f, "ocfs2"),
];

/// The index of one search path and what keeps it current.
struct Served {
    context: Context,
    watcher: Option<Watcher>,
    views: Option<Views>,
    /// Why its queries are declined (remote file system, no inotify, refused cache).
    declining: Option<String>,
    /// File systems (device numbers) already checked for being remote.
    checked_devs: HashSet<u64>,
    last_used: Instant,
}

struct Daemon {
    endpoint: Endpoint,
    dir: PrivateDir,
    identity: String,
    /// One per search path, keyed by [`key`].
    indexes: HashMap<String, Served>,
    served: u64,
    revalidations: u64,
    /// When the last request was answered.
    last_request: Instant,
}

/// Whether the loop goes on after a request.
enum Next {
    Serve,
    Exit,
}

/// One client connection.
struct Connection {
    stream: UnixStream,
    /// When the connection was accepted (reading) or its reply was ready (writing).
    since: Instant,
    state: State,
}

enum State {
    /// Reading the request (the bytes so far).
    Reading(Vec<u8>),
    /// Writing the reply from `pos`; exit after it when `exit`.
    Writing { reply: Vec<u8>, pos: usize, exit: bool },
}

/// What became of a connection after some I/O.
enum Progress {
    Open,
    Closed,
    /// The reply was a `Stopping` or `Stale`: exit once it is written.
    Exit,
}

/// Runs the daemon for `context` in this process until it serves nothing (every index idle or
/// gone), is stopped, or its socket is removed. Returns at once when another daemon holds the
/// lock. The index of `context`'s search path is loaded first.
pub fn serve(context: Context, endpoint: Endpoint, detach: bool) -> anyhow::Result<()> {
    if detach {
        close_inherited_descriptors();
        // Leave the client's session (no terminal hang-up or job-control signal reaches us) and
        // its directory (which must stay unmountable).
        let _ = rustix::process::setsid();
        let _ = std::env::set_current_dir("/");
    }
    let dir = PrivateDir::open(endpoint.dir(), true).map_err(super::hinted)?;
    let lock = dir.open_lock(LOCK).map_err(super::hinted)?;
    if !take_lock(&lock) {
        tracing::info!("another daemon serves {}", endpoint.socket.display());
        return Ok(());
    }
    let idle = match context.env.get(IDLE_ENV).and_then(|v| v.parse::<u64>().ok()) {
        Some(0) => None,
        Some(secs) => Some(Duration::from_secs(secs)),
        None => Some(DEFAULT_IDLE),
    };
    let mut daemon = Daemon {
        endpoint,
        dir,
        identity: super::identity(),
        indexes: HashMap::new(),
        served: 0,
        revalidations: 0,
        last_request: Instant::now(),
    };
    if let Err(reason) = daemon.index_for(context) {
        tracing::warn!("not serving this environment's search path: {reason}");
    }
    let (listener, socket_id) = bind(&daemon.dir)?;
    tracing::info!(
        "serving {} (pid {}, {} watches)",
        daemon.endpoint.socket.display(),
        std::process::id(),
        daemon
            .indexes
            .values()
            .filter_map(|s| s.watcher.as_ref())
            .map(Watcher::watches)
            .sum::<usize>()
    );
    let mut connections: Vec<Connection> = Vec::new();
    let mut ever_served = !daemon.indexes.is_empty();
    loop {
        let woken = wait(&listener, &daemon.indexes, &connections);
        for (served, changed) in daemon.indexes.values_mut().zip(woken.watchers) {
            if let Some(w) = served.watcher.as_mut() {
                // Polling the mount table consumed its change: remember it here.
                w.dirty |= changed.1;
                if changed.0 {
                    w.drain();
                }
            }
        }
        if woken.client {
            accept(&listener, &mut connections);
        }
        let mut exit = false;
        let readiness = woken.connections.into_iter().chain(std::iter::repeat(false));
        let mut kept = Vec::with_capacity(connections.len());
        for (mut connection, ready) in connections.drain(..).zip(readiness) {
            let progress = if ready { daemon.progress(&mut connection) } else { Progress::Open };
            match progress {
                Progress::Exit => exit = true,
                Progress::Closed => {}
                Progress::Open if connection.expired() => {
                    tracing::debug!("closing a connection past its deadline");
                }
                Progress::Open => kept.push(connection),
            }
        }
        connections = kept;
        if exit {
            return daemon.exit(socket_id);
        }
        let socket_moved =
            daemon.dir.stat(SOCKET).is_none_or(|st| (st.st_dev, st.st_ino) != socket_id);
        if socket_moved {
            tracing::info!("socket removed or replaced: exiting");
            return Ok(());
        }
        daemon.drop_unused(idle);
        ever_served |= !daemon.indexes.is_empty();
        let idle_out = idle.is_some_and(|idle| daemon.last_request.elapsed() > idle);
        if daemon.indexes.is_empty() && connections.is_empty() && (ever_served || idle_out) {
            tracing::info!("serving no search path: exiting");
            return daemon.exit(socket_id);
        }
    }
}

/// Accepts every waiting client (of our uid), closing the oldest connection still sending its
/// request when [`MAX_CONNECTIONS`] are open.
fn accept(listener: &UnixListener, connections: &mut Vec<Connection>) {
    let own_uid = rustix::process::geteuid();
    while let Ok((stream, _)) = listener.accept() {
        let trusted = rustix::net::sockopt::socket_peercred(stream.as_fd())
            .is_ok_and(|peer| peer.uid == own_uid);
        if !trusted || stream.set_nonblocking(true).is_err() {
            continue;
        }
        if connections.len() >= MAX_CONNECTIONS {
            let oldest = connections
                .iter()
                .enumerate()
                .filter(|(_, c)| matches!(c.state, State::Reading(_)))
                .min_by_key(|(_, c)| c.since)
                .map(|(i, _)| i);
            match oldest {
                Some(i) => {
                    tracing::debug!("{MAX_CONNECTIONS} connections open: closing the oldest");
                    connections.swap_remove(i);
                }
                // Every one is being answered: the newcomer waits in the listen queue.
                None => continue,
            }
        }
        connections.push(Connection {
            stream,
            since: Instant::now(),
            state: State::Reading(Vec::new()),
        });
    }
}

impl Connection {
    /// The time left before the connection's deadline: the whole request within
    /// [`REQUEST_DEADLINE`] of `accept`, the whole reply taken within [`ANSWER_TIMEOUT`] of
    /// its being ready.
    fn time_left(&self) -> Duration {
        let allowed = match self.state {
            State::Reading(_) => REQUEST_DEADLINE,
            State::Writing { .. } => ANSWER_TIMEOUT,
        };
        allowed.saturating_sub(self.since.elapsed())
    }

    /// Whether the connection is past its deadline.
    fn expired(&self) -> bool {
        self.time_left().is_zero()
    }

    /// Writes what the socket takes of the reply.
    fn write_some(&mut self) -> Progress {
        let State::Writing { reply, pos, exit } = &mut self.state else { return Progress::Open };
        while *pos < reply.len() {
            match self.stream.write(&reply[*pos..]) {
                Ok(0) => return Progress::Closed,
                Ok(n) => *pos += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Progress::Open,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return if *exit { Progress::Exit } else { Progress::Closed },
            }
        }
        if *exit { Progress::Exit } else { Progress::Closed }
    }
}

/// Closes every descriptor above stderr that the process inherited from its client (a shell's
/// `7>&1`, a make jobserver): a daemon holding the write end of a pipe keeps the client's
/// pipeline from ending.
#[allow(unsafe_code)]
fn close_inherited_descriptors() {
    use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
    let Ok(listing) = rustix::fs::open(
        "/proc/self/fd",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) else {
        return;
    };
    let own = listing.as_raw_fd();
    let Ok(mut dir) = rustix::fs::Dir::new(listing) else { return };
    let mut inherited = Vec::new();
    while let Some(Ok(entry)) = dir.read() {
        let fd = entry.file_name().to_str().ok().and_then(|n| n.parse::<i32>().ok());
        if let Some(fd) = fd.filter(|fd| *fd > 2 && *fd != own) {
            inherited.push(fd);
        }
    }
    drop(dir);
    for fd in inherited {
        // SAFETY: this runs first in the detached daemon, before it opens any file, so no
        // object of this process owns a descriptor above 2 but the listing's, which is skipped
        // and already closed; each number is open (it was listed) and closed exactly once.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}

/// Takes the lock file, waiting up to 2 s for a daemon that is exiting.
fn take_lock(lock: &std::fs::File) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match rustix::fs::flock(lock, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return true,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return false,
        }
    }
}

/// Binds the socket under a temporary name with mode 0600, then renames it into place (a client
/// never connects to a half-set-up socket); all through the folder's handle. Returns the
/// listener and the socket's identity.
fn bind(dir: &PrivateDir) -> anyhow::Result<(UnixListener, (u64, u64))> {
    let fresh = format!("{SOCKET}.{}", std::process::id());
    dir.remove(&fresh);
    let listener = UnixListener::bind(dir.via_handle(&fresh))
        .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", dir.file_path(&fresh).display()))?;
    dir.chmod(&fresh, 0o600)?;
    dir.rename(&fresh, SOCKET)?;
    listener.set_nonblocking(true)?;
    let st = dir
        .stat(SOCKET)
        .ok_or_else(|| anyhow::anyhow!("{} vanished", dir.file_path(SOCKET).display()))?;
    Ok((listener, (st.st_dev, st.st_ino)))
}

/// What woke the main loop.
#[derive(Debug, Default)]
struct Woken {
    /// A client is waiting to be accepted.
    client: bool,
    /// Per index (in the map's order): inotify events queued, mount table changed (reported
    /// once per change: the poll acknowledged it).
    watchers: Vec<(bool, bool)>,
    /// Per connection: ready for its next read or write.
    connections: Vec<bool>,
}

/// Waits up to a second (less when a connection's deadline comes first) for a client, a
/// change, or a connection ready for I/O.
fn wait(
    listener: &UnixListener,
    indexes: &HashMap<String, Served>,
    connections: &[Connection],
) -> Woken {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = vec![PollFd::new(listener, PollFlags::IN)];
    let mut watcher_slots = Vec::with_capacity(indexes.len());
    for served in indexes.values() {
        let Some(w) = served.watcher.as_ref() else {
            watcher_slots.push((None, None));
            continue;
        };
        fds.push(PollFd::new(w.fd(), PollFlags::IN));
        let events = fds.len() - 1;
        let mounts = w.mounts().map(|m| {
            fds.push(PollFd::new(m, PollFlags::PRI));
            fds.len() - 1
        });
        watcher_slots.push((Some(events), mounts));
    }
    let first_connection = fds.len();
    for c in connections {
        let flags = match c.state {
            State::Reading(_) => PollFlags::IN,
            State::Writing { .. } => PollFlags::OUT,
        };
        fds.push(PollFd::new(&c.stream, flags));
    }
    let next_deadline = connections
        .iter()
        .map(|c| c.time_left() + Duration::from_millis(1))
        .min()
        .unwrap_or(Duration::from_secs(1))
        .min(Duration::from_secs(1));
    let timeout = Timespec {
        tv_sec: i64::try_from(next_deadline.as_secs()).unwrap_or(1),
        tv_nsec: i64::from(next_deadline.subsec_nanos()),
    };
    if poll(&mut fds, Some(&timeout)).is_err() {
        return Woken {
            watchers: vec![(false, false); indexes.len()],
            connections: vec![false; connections.len()],
            ..Woken::default()
        };
    }
    let ready =
        |i: Option<usize>| i.and_then(|i| fds.get(i)).is_some_and(|fd| !fd.revents().is_empty());
    Woken {
        client: ready(Some(0)),
        watchers: watcher_slots.iter().map(|(e, m)| (ready(*e), ready(*m))).collect(),
        connections: (0..connections.len()).map(|i| ready(Some(first_connection + i))).collect(),
    }
}

/// The first of `paths` on a file system whose remote changes inotify cannot see, as a reason.
fn remote(paths: impl IntoIterator<Item = PathBuf>) -> Option<String> {
    remote_among(paths, REMOTE_FS)
}

/// [`remote`] with the table of remote file system types `table`.
fn remote_among(paths: impl IntoIterator<Item = PathBuf>, table: &[(i64, &str)]) -> Option<String> {
    paths.into_iter().find_map(|path| {
        let fs = rustix::fs::statfs(path.as_path()).ok()?;
        let kind = fs.f_type;
        table.iter().find(|(magic, _)| *magic == kind).map(|(_, name)| {
            format!(
                "{} is on {name}, where inotify does not see changes made elsewhere",
                path.display()
            )
        })
    })
}

/// The key of a search path's index: what the answers depend on besides the caller's own
/// environment and directory (search path, `/usr/share`, cache folder).
fn key(context: &Context) -> String {
    let cache = context.cache_dir.as_ref().map(|d| d.to_string_lossy()).unwrap_or_default();
    format!("{}\0cache={cache}", context.search.key())
}

impl Served {
    /// A new index for `context` (not loaded yet).
    fn new(context: Context) -> Self {
        let mut declining = remote(context.search.roots());
        let watcher = match declining {
            Some(_) => None,
            None => match Watcher::new() {
                Ok(w) => Some(w),
                Err(e) => {
                    declining = Some(e.0);
                    None
                }
            },
        };
        Served {
            context,
            watcher,
            views: None,
            declining,
            checked_devs: HashSet::new(),
            last_used: Instant::now(),
        }
    }

    /// Validates the index and watches again after a change; returns whether it did.
    fn refresh(&mut self) -> bool {
        let Some(watcher) = self.watcher.as_mut() else { return false };
        self.views = None;
        let context = &self.context;
        match watcher.settle(&context.search, || Views::load_index(context)) {
            Ok(Some((index, outcome))) => {
                if outcome == CacheOutcome::Refused {
                    // The client says so and answers without the cache.
                    self.declining = Some("the index cache is refused".to_owned());
                    self.watcher = None;
                    return true;
                }
                self.check_file_systems(&index);
                if self.declining.is_none() {
                    self.views =
                        Some(Views::with_index(self.context.clone(), Arc::new(index), outcome));
                }
            }
            Ok(None) => tracing::info!("the tree keeps changing; answering locally for now"),
            Err(e) => {
                tracing::warn!("{e}");
                self.declining = Some(e.0);
                self.watcher = None;
            }
        }
        true
    }

    /// Checks every file system the index reaches (not only the roots') for being remote: a
    /// package directory can be a mount point or a symlink into another file system.
    fn check_file_systems(&mut self, index: &rospkg::index::Index) {
        self.check_file_systems_among(index, REMOTE_FS);
    }

    /// [`Served::check_file_systems`] with the table of remote file system types `table`.
    fn check_file_systems_among(&mut self, index: &rospkg::index::Index, table: &[(i64, &str)]) {
        let dirs = index.visited.iter().map(|(dir, stamp)| (dir, stamp.dev));
        let packages =
            index.entries.iter().filter_map(|e| Some((&e.found.dir, e.found.stamp?.dev)));
        let mut new: Vec<PathBuf> = Vec::new();
        for (dir, dev) in dirs.chain(packages) {
            if self.checked_devs.insert(dev) {
                new.push(dir.clone());
            }
        }
        if let Some(reason) = remote_among(new, table) {
            tracing::warn!("declining this search path: {reason}");
            self.declining = Some(reason);
            self.watcher = None;
        }
    }

    /// Whether every root of the search path is gone (nothing left to serve).
    fn roots_gone(&self) -> bool {
        self.context.search.roots().iter().all(|root| !root.exists())
    }
}

impl Daemon {
    /// The index for `context`'s search path, created (and loaded) on first use.
    fn index_for(&mut self, context: Context) -> Result<(), String> {
        if context.cache_dir.as_deref() != Some(self.endpoint.dir()) {
            return Err("another index cache folder (ROS_HOME)".to_owned());
        }
        if !context.search.entries.iter().all(|e| e.is_absolute()) {
            return Err("a relative ROS_PACKAGE_PATH entry".to_owned());
        }
        if context.search.roots().iter().all(|root| !root.exists()) {
            return Err("no root of the search path exists".to_owned());
        }
        let key = key(&context);
        let revalidations = &mut self.revalidations;
        let served = self.indexes.entry(key).or_insert_with(|| {
            let mut served = Served::new(context);
            if served.refresh() {
                *revalidations += 1;
            }
            served
        });
        served.last_used = Instant::now();
        Ok(())
    }

    /// Drops the indexes idle for longer than `idle` and those whose roots are all gone.
    fn drop_unused(&mut self, idle: Option<Duration>) {
        self.indexes.retain(|_, served| {
            let idle_out = idle.is_some_and(|idle| served.last_used.elapsed() > idle);
            let keep = !idle_out && !served.roots_gone();
            if !keep {
                tracing::info!(
                    "dropping the index of {}",
                    served.context.search.key().replace('\0', ":")
                );
            }
            keep
        });
    }

    /// Reads from or writes to a ready connection; answers a request once it is whole.
    fn progress(&mut self, connection: &mut Connection) -> Progress {
        if let State::Writing { .. } = connection.state {
            return connection.write_some();
        }
        let State::Reading(buf) = &mut connection.state else { return Progress::Open };
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match connection.stream.read(&mut chunk) {
                Ok(0) => return Progress::Closed,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Progress::Closed,
            }
            if buf.len() > MAX_REQUEST as usize + 4 {
                return Progress::Closed;
            }
        }
        let request = match protocol::complete_frame(buf, MAX_REQUEST) {
            Ok(Some(body)) => protocol::decode::<Request>(body),
            Ok(None) => return Progress::Open,
            Err(_) => return Progress::Closed,
        };
        let Ok(request) = request else { return Progress::Closed };
        let (reply, next) = self.handle(request);
        let Ok(reply) = protocol::frame(&reply) else { return Progress::Closed };
        connection.state = State::Writing { reply, pos: 0, exit: matches!(next, Next::Exit) };
        connection.since = Instant::now();
        connection.write_some()
    }

    fn handle(&mut self, request: Request) -> (Reply, Next) {
        self.last_request = Instant::now();
        match request {
            Request::Status => (Reply::Status(self.status()), Next::Serve),
            Request::Stop => (Reply::Stopping, Next::Exit),
            Request::Query { identity, .. } if identity != self.identity => {
                tracing::info!("a client of another rosdeb build asked: exiting");
                (Reply::Stale, Next::Exit)
            }
            Request::Query { tool, args, env, cwd, .. } => {
                (self.query(tool, &args, env, cwd), Next::Serve)
            }
        }
    }

    fn query(
        &mut self,
        tool: compat::Tool,
        args: &[Vec<u8>],
        env: Vec<(String, String)>,
        cwd: Option<Vec<u8>>,
    ) -> Reply {
        let env = Environment::from_pairs(env);
        let theirs = Context::from_env(env.clone(), None, None, false);
        let key = key(&theirs);
        if !self.indexes.contains_key(&key)
            && let Err(reason) = self.index_for(theirs)
        {
            return Reply::Decline(reason);
        }
        let Some(served) = self.indexes.get_mut(&key) else {
            return Reply::Decline("no index".to_owned());
        };
        served.last_used = Instant::now();
        if let Some(reason) = &served.declining {
            return Reply::Decline(reason.clone());
        }
        if let Some(w) = served.watcher.as_mut() {
            w.drain();
            if w.anchors_moved() {
                w.dirty = true;
            }
        }
        if (served.views.is_none() || served.watcher.as_ref().is_some_and(|w| w.dirty))
            && served.refresh()
        {
            self.revalidations += 1;
        }
        if let Some(reason) = &served.declining {
            return Reply::Decline(reason.clone());
        }
        let Some(views) = &served.views else {
            return Reply::Decline("the tree is changing".to_owned());
        };
        let args: Vec<OsString> = args.iter().cloned().map(OsString::from_vec).collect();
        let cwd = cwd.map(|c| PathBuf::from(OsString::from_vec(c)));
        let caller = Caller { env: &env, cwd: cwd.as_deref() };
        let answer = compat::answer(tool, &args, &caller, views, true);
        self.served += 1;
        Reply::Answer(answer.into())
    }

    fn status(&self) -> Status {
        let declining: Vec<String> =
            self.indexes.values().filter_map(|s| s.declining.clone()).collect();
        Status {
            pid: std::process::id(),
            served: self.served,
            revalidations: self.revalidations,
            watches: self
                .indexes
                .values()
                .filter_map(|s| s.watcher.as_ref())
                .map(Watcher::watches)
                .sum(),
            packages: self
                .indexes
                .values()
                .filter_map(|s| s.views.as_ref())
                .map(Views::entries)
                .sum(),
            indexes: self.indexes.len(),
            declining: (!declining.is_empty()).then(|| declining.join("; ")),
            identity: self.identity.clone(),
        }
    }

    /// Removes the socket if it is still ours, and exits the loop.
    fn exit(&self, socket_id: (u64, u64)) -> anyhow::Result<()> {
        if self.dir.stat(SOCKET).is_some_and(|st| (st.st_dev, st.st_ino) == socket_id) {
            self.dir.remove(SOCKET);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
