//! The daemon's main loop: hold the lock, keep the index current with [`Watcher`], answer one
//! client at a time, exit when idle, stopped, or when its socket is gone.

use std::ffi::OsString;
use std::os::fd::AsFd as _;
use std::os::unix::ffi::OsStringExt as _;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rospkg::environment::Environment;

use super::protocol::{self, Reply, Request, Status};
use super::watch::Watcher;
use super::{ANSWER_TIMEOUT, DEFAULT_IDLE, Endpoint, IDLE_ENV};
use crate::commands::compat::{self, Caller, Views};
use crate::context::Context;

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

struct Daemon {
    context: Context,
    endpoint: Endpoint,
    identity: String,
    watcher: Option<Watcher>,
    views: Option<Views>,
    declining: Option<String>,
    served: u64,
    revalidations: u64,
}

/// Whether the loop goes on after a request.
enum Next {
    Serve,
    Exit,
}

/// Runs the daemon for `context` in this process until it is idle for the configured time,
/// stopped, or its socket is removed. Returns at once when another daemon holds the lock.
pub fn serve(context: Context, endpoint: Endpoint, detach: bool) -> anyhow::Result<()> {
    if detach {
        close_inherited_descriptors();
        // Leave the client's session (no terminal hang-up or job-control signal reaches us) and
        // its directory (which must stay unmountable).
        let _ = rustix::process::setsid();
        let _ = std::env::set_current_dir("/");
    }
    if let Some(dir) = endpoint.socket.parent() {
        fs_err::create_dir_all(dir)?;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&endpoint.lock)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", endpoint.lock.display()))?;
    if !take_lock(&lock) {
        tracing::info!("another daemon serves {}", endpoint.socket.display());
        return Ok(());
    }
    let idle = context
        .env
        .get(IDLE_ENV)
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(DEFAULT_IDLE, Duration::from_secs);
    let mut daemon = Daemon {
        declining: remote_roots(&context),
        context,
        endpoint,
        identity: super::identity(),
        watcher: None,
        views: None,
        served: 0,
        revalidations: 0,
    };
    if daemon.declining.is_none() {
        match Watcher::new() {
            Ok(w) => daemon.watcher = Some(w),
            Err(e) => daemon.declining = Some(e.0),
        }
    }
    daemon.refresh();
    let (listener, socket_id) = bind(&daemon.endpoint)?;
    tracing::info!(
        "serving {} (pid {}, {} watches)",
        daemon.endpoint.socket.display(),
        std::process::id(),
        daemon.watcher.as_ref().map_or(0, Watcher::watches)
    );
    if let Some(reason) = &daemon.declining {
        tracing::warn!("declining every query: {reason}");
    }
    let mut last_query = Instant::now();
    loop {
        let woken = wait(&listener, daemon.watcher.as_ref());
        if let Some(w) = daemon.watcher.as_mut() {
            // Polling the mount table consumed its change: remember it here.
            w.dirty |= woken.mounts;
            if woken.events {
                w.drain();
            }
        }
        if woken.client {
            while let Ok((stream, _)) = listener.accept() {
                last_query = Instant::now();
                if let Next::Exit = daemon.handle(stream) {
                    return daemon.exit(socket_id);
                }
            }
        }
        let socket_moved = std::fs::symlink_metadata(&daemon.endpoint.socket)
            .map_or(true, |m| (m.dev(), m.ino()) != socket_id);
        if socket_moved {
            tracing::info!("socket removed or replaced: exiting");
            return Ok(());
        }
        if last_query.elapsed() > idle {
            tracing::info!("idle for {idle:?}: exiting");
            return daemon.exit(socket_id);
        }
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
/// never connects to a half-set-up socket). Returns the listener and the socket's identity.
fn bind(endpoint: &Endpoint) -> anyhow::Result<(UnixListener, (u64, u64))> {
    use std::os::unix::fs::PermissionsExt as _;
    let fresh = endpoint.fresh_socket();
    let _ = fs_err::remove_file(&fresh);
    let listener = UnixListener::bind(&fresh)
        .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", fresh.display()))?;
    fs_err::set_permissions(&fresh, std::fs::Permissions::from_mode(0o600))?;
    fs_err::rename(&fresh, &endpoint.socket)?;
    listener.set_nonblocking(true)?;
    let meta = fs_err::symlink_metadata(&endpoint.socket)?;
    Ok((listener, (meta.dev(), meta.ino())))
}

/// What woke the main loop.
#[derive(Debug, Default)]
struct Woken {
    /// A client is waiting.
    client: bool,
    /// inotify events are queued.
    events: bool,
    /// The mount table changed (reported once per change: the poll acknowledged it).
    mounts: bool,
}

/// Waits up to a second for a client or a change.
fn wait(listener: &UnixListener, watcher: Option<&Watcher>) -> Woken {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = vec![PollFd::new(listener, PollFlags::IN)];
    if let Some(w) = watcher {
        fds.push(PollFd::new(w.fd(), PollFlags::IN));
        if let Some(m) = w.mounts() {
            fds.push(PollFd::new(m, PollFlags::PRI));
        }
    }
    let second = Timespec { tv_sec: 1, tv_nsec: 0 };
    if poll(&mut fds, Some(&second)).is_err() {
        return Woken::default();
    }
    let ready = |i: usize| fds.get(i).is_some_and(|fd| !fd.revents().is_empty());
    Woken { client: ready(0), events: ready(1), mounts: ready(2) }
}

/// The first search-path root on a file system whose remote changes inotify cannot see.
fn remote_roots(context: &Context) -> Option<String> {
    context.search.roots().iter().find_map(|root| {
        let fs = rustix::fs::statfs(root.as_path()).ok()?;
        let kind = fs.f_type;
        REMOTE_FS.iter().find(|(magic, _)| *magic == kind).map(|(_, name)| {
            format!(
                "{} is on {name}, where inotify does not see changes made elsewhere",
                root.display()
            )
        })
    })
}

impl Daemon {
    /// Validates the index and watches again after a change.
    fn refresh(&mut self) {
        let Some(watcher) = self.watcher.as_mut() else { return };
        self.views = None;
        self.revalidations += 1;
        let context = &self.context;
        match watcher.settle(&context.search, || Views::load_index(context)) {
            Ok(Some((index, outcome))) => {
                self.views =
                    Some(Views::with_index(self.context.clone(), Arc::new(index), outcome));
            }
            Ok(None) => tracing::info!("the tree keeps changing; answering locally for now"),
            Err(e) => {
                tracing::warn!("{e}");
                self.declining = Some(e.0);
                self.watcher = None;
            }
        }
    }

    fn handle(&mut self, mut stream: UnixStream) -> Next {
        let own_uid = rustix::process::geteuid();
        let trusted = rustix::net::sockopt::socket_peercred(stream.as_fd())
            .is_ok_and(|peer| peer.uid == own_uid);
        if !trusted
            || stream.set_nonblocking(false).is_err()
            || stream.set_read_timeout(Some(Duration::from_secs(5))).is_err()
            || stream.set_write_timeout(Some(ANSWER_TIMEOUT)).is_err()
        {
            return Next::Serve;
        }
        let Ok(request) = protocol::receive::<Request>(&mut stream) else { return Next::Serve };
        let (reply, next) = match request {
            Request::Status => (Reply::Status(self.status()), Next::Serve),
            Request::Stop => (Reply::Stopping, Next::Exit),
            Request::Query { identity, .. } if identity != self.identity => {
                tracing::info!("a client of another rosdeb build asked: exiting");
                (Reply::Stale, Next::Exit)
            }
            Request::Query { tool, args, env, cwd, .. } => {
                (self.query(tool, &args, env, cwd), Next::Serve)
            }
        };
        let _ = protocol::send(&mut stream, &reply);
        next
    }

    fn query(
        &mut self,
        tool: compat::Tool,
        args: &[Vec<u8>],
        env: Vec<(String, String)>,
        cwd: Option<Vec<u8>>,
    ) -> Reply {
        if let Some(reason) = &self.declining {
            return Reply::Decline(reason.clone());
        }
        let env = Environment::from_pairs(env);
        let theirs = Context::from_env(env.clone(), None, None, false);
        if theirs.search.key() != self.context.search.key()
            || theirs.cache_dir != self.context.cache_dir
        {
            return Reply::Decline("another search path".to_owned());
        }
        if let Some(w) = self.watcher.as_mut() {
            w.drain();
            if w.anchors_moved() {
                w.dirty = true;
            }
        }
        if self.views.is_none() || self.watcher.as_ref().is_some_and(|w| w.dirty) {
            self.refresh();
        }
        let Some(views) = &self.views else {
            return Reply::Decline("the tree is changing".to_owned());
        };
        let args: Vec<OsString> = args.iter().cloned().map(OsString::from_vec).collect();
        let cwd = cwd.map(|c| PathBuf::from(OsString::from_vec(c)));
        let caller = Caller { env: &env, cwd: cwd.as_deref() };
        self.served += 1;
        Reply::Answer(compat::answer(tool, &args, &caller, views))
    }

    fn status(&self) -> Status {
        Status {
            pid: std::process::id(),
            served: self.served,
            revalidations: self.revalidations,
            watches: self.watcher.as_ref().map_or(0, Watcher::watches),
            packages: self.views.as_ref().map_or(0, Views::entries),
            declining: self.declining.clone(),
            identity: self.identity.clone(),
        }
    }

    /// Removes the socket if it is still ours, and exits the loop.
    fn exit(&self, socket_id: (u64, u64)) -> anyhow::Result<()> {
        remove_if_ours(&self.endpoint.socket, socket_id);
        Ok(())
    }
}

fn remove_if_ours(socket: &Path, id: (u64, u64)) {
    if std::fs::symlink_metadata(socket).is_ok_and(|m| (m.dev(), m.ino()) == id) {
        let _ = fs_err::remove_file(socket);
    }
}
