//! The folders rosdeb keeps under `ROS_HOME` (index cache, index daemon files), opened so that
//! another user can neither feed nor redirect them.
//!
//! A [`PrivateDir`] is an open handle on a folder whose last [`OWN_DEPTH`] components (the ones
//! rosdeb creates, e.g. `$ROS_HOME/rosdeb/index`) were each opened relative to their parent's
//! handle without following a symlink, created with mode 0700 when missing, and checked: owned
//! by this user, not writable by group or others. Files in it are opened the same way
//! (`O_NOFOLLOW`, owner and mode checked on the open file), so a symlink planted at a file's name
//! is never followed and another uid's file is never trusted. Later operations go through the
//! handle, so renaming a folder on the way does not redirect them.

use std::ffi::OsStr;
use std::io::Write as _;
use std::os::fd::{AsFd, AsRawFd as _, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// How many trailing components of a private folder's path rosdeb owns and checks.
pub const OWN_DEPTH: usize = 2;

/// Why a folder or file under `ROS_HOME` is not used.
#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    /// Owned by another user (whose content could be crafted).
    #[error("{}: owned by uid {owner}, not by this user (uid {me})", path.display())]
    Foreign {
        /// The folder or file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's effective uid.
        me: u32,
    },
    /// Writable by group or others (anybody could replace what is in it).
    #[error("{}: writable by other users (mode {mode:04o})", path.display())]
    Writable {
        /// The folder or file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A symbolic link where a folder or file of rosdeb's should be.
    #[error("{}: is a symbolic link, which rosdeb does not follow here", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// Something else than expected (a file where a folder should be, a folder for a file).
    #[error("{}: not a {expected}", path.display())]
    WrongType {
        /// The path.
        path: PathBuf,
        /// What was expected.
        expected: &'static str,
    },
    /// Any other failure.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl PrivateError {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            PrivateError::Foreign { path, .. } => {
                format!("remove {} (or set ROS_HOME to a folder of your own)", path.display())
            }
            PrivateError::Writable { path, .. } => format!("chmod go-w {}", path.display()),
            PrivateError::Symlink { path } | PrivateError::WrongType { path, .. } => {
                format!("remove {}; rosdeb creates it again", path.display())
            }
            PrivateError::Io { .. } => "check the permissions of ROS_HOME".to_owned(),
        }
    }

    fn io(path: PathBuf, e: Errno) -> Self {
        PrivateError::Io { path, source: e.into() }
    }
}

/// An open folder of rosdeb's under `ROS_HOME`, checked (see the module documentation).
#[derive(Debug)]
pub struct PrivateDir {
    fd: OwnedFd,
    path: PathBuf,
}

/// Checks an open file's owner and mode (and type).
fn check(fd: impl AsFd, path: &Path, dir: bool) -> Result<(), PrivateError> {
    let st = rustix::fs::fstat(fd).map_err(|e| PrivateError::io(path.to_owned(), e))?;
    let kind = FileType::from_raw_mode(st.st_mode);
    let expected = if dir { FileType::Directory } else { FileType::RegularFile };
    if kind != expected {
        let expected = if dir { "folder" } else { "regular file" };
        return Err(PrivateError::WrongType { path: path.to_owned(), expected });
    }
    let me = rustix::process::geteuid().as_raw();
    if st.st_uid != me {
        return Err(PrivateError::Foreign { path: path.to_owned(), owner: st.st_uid, me });
    }
    let mode = st.st_mode & 0o7777;
    if mode & 0o022 != 0 {
        return Err(PrivateError::Writable { path: path.to_owned(), mode });
    }
    Ok(())
}

/// Maps the error of an `O_NOFOLLOW` open: `ELOOP` (or `ENOTDIR` with `O_DIRECTORY`) on a
/// symlink means a planted link.
fn open_error(parent: impl AsFd, name: &OsStr, path: &Path, e: Errno) -> PrivateError {
    if matches!(e, Errno::LOOP | Errno::NOTDIR | Errno::MLINK)
        && rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink)
    {
        return PrivateError::Symlink { path: path.to_owned() };
    }
    PrivateError::io(path.to_owned(), e)
}

impl PrivateDir {
    /// Opens `dir`: everything above its last [`OWN_DEPTH`] components as the user named it
    /// (created when `create`), those components without following symlinks, created with
    /// mode 0700 when missing and `create`, and checked. Errors name the offending path.
    pub fn open(dir: &Path, create: bool) -> Result<Self, PrivateError> {
        let parts: Vec<&OsStr> = dir
            .components()
            .filter_map(|c| match c {
                Component::Normal(name) => Some(name),
                _ => None,
            })
            .collect();
        let own = parts.len().min(OWN_DEPTH);
        let own_parts = &parts[parts.len() - own..];
        let mut base = dir.to_path_buf();
        for _ in 0..own {
            base.pop();
        }
        if create && !base.as_os_str().is_empty() {
            fs_err::create_dir_all(&base)
                .map_err(|e| PrivateError::Io { path: base.clone(), source: e })?;
        }
        let base_path = if base.as_os_str().is_empty() { Path::new(".") } else { &base };
        let mut fd = rustix::fs::open(
            base_path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| PrivateError::io(base.clone(), e))?;
        let mut path = base;
        for name in own_parts {
            path.push(name);
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let opened = match rustix::fs::openat(&fd, *name, flags, Mode::empty()) {
                Err(Errno::NOENT) if create => {
                    match rustix::fs::mkdirat(&fd, *name, Mode::from_raw_mode(0o700)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(PrivateError::io(path, e)),
                    }
                    rustix::fs::openat(&fd, *name, flags, Mode::empty())
                }
                other => other,
            };
            let next = opened.map_err(|e| open_error(&fd, name, &path, e))?;
            check(&next, &path, true)?;
            fd = next;
        }
        Ok(PrivateDir { fd, path })
    }

    /// The folder's path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` in the folder (for messages).
    pub fn file_path(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// A path that reaches `name` through this handle (`/proc/self/fd/N/name`), for system calls
    /// that take only paths (binding and connecting Unix sockets): immune to the folder being
    /// renamed meanwhile, and short whatever `ROS_HOME` is.
    pub fn via_handle(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}/{name}", self.fd.as_raw_fd()))
    }

    /// The open handle.
    pub fn handle(&self) -> &OwnedFd {
        &self.fd
    }

    fn open_file(&self, name: &str, flags: OFlags) -> Result<Option<std::fs::File>, PrivateError> {
        let path = self.file_path(name);
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(open_error(&self.fd, OsStr::new(name), &path, e)),
        };
        check(&fd, &path, false)?;
        Ok(Some(std::fs::File::from(fd)))
    }

    /// Opens `name` for reading; `None` when it does not exist.
    pub fn open_read(&self, name: &str) -> Result<Option<std::fs::File>, PrivateError> {
        // Non-blocking: a FIFO planted there must not hang the open (it is then refused).
        let file = self.open_file(name, OFlags::RDONLY | OFlags::NONBLOCK)?;
        if let Some(f) = &file {
            let flags = rustix::fs::fcntl_getfl(f)
                .map_err(|e| PrivateError::io(self.file_path(name), e))?;
            let _ = rustix::fs::fcntl_setfl(f, flags - OFlags::NONBLOCK);
        }
        Ok(file)
    }

    /// Opens (creating with mode 0600) `name` for reading and writing, as a lock file.
    pub fn open_lock(&self, name: &str) -> Result<std::fs::File, PrivateError> {
        self.open_file(name, OFlags::RDWR | OFlags::CREATE | OFlags::NONBLOCK)?
            .ok_or_else(|| PrivateError::io(self.file_path(name), Errno::NOENT))
    }

    /// Opens (creating with mode 0600) `name` for appending, as a log file.
    pub fn open_append(&self, name: &str) -> Result<std::fs::File, PrivateError> {
        let flags = OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::NONBLOCK;
        self.open_file(name, flags)?
            .ok_or_else(|| PrivateError::io(self.file_path(name), Errno::NOENT))
    }

    /// Writes `bytes` to a new file (mode 0600) in the folder and renames it over `name`: never
    /// a partial file, and a symlink at `name` is replaced, not followed.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), PrivateError> {
        let tmp = format!(".{name}.{}.tmp", std::process::id());
        let tmp_path = self.file_path(&tmp);
        let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, tmp.as_str(), flags, Mode::from_raw_mode(0o600))
            .map_err(|e| PrivateError::io(tmp_path.clone(), e))?;
        let mut file = std::fs::File::from(fd);
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_data())
            .map_err(|e| PrivateError::Io { path: tmp_path.clone(), source: e })
            .and_then(|()| {
                rustix::fs::renameat(&self.fd, tmp.as_str(), &self.fd, name)
                    .map_err(|e| PrivateError::io(self.file_path(name), e))
            });
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
        }
        written
    }

    /// The type, owner and identity of `name` without following a symlink, `None` if missing.
    pub fn stat(&self, name: &str) -> Option<rustix::fs::Stat> {
        rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW).ok()
    }

    /// Whether `name` is a socket owned by this user (what a client may connect to).
    pub fn is_own_socket(&self, name: &str) -> bool {
        self.stat(name).is_some_and(|st| {
            FileType::from_raw_mode(st.st_mode) == FileType::Socket
                && st.st_uid == rustix::process::geteuid().as_raw()
        })
    }

    /// Renames `from` over `to` inside the folder.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), PrivateError> {
        rustix::fs::renameat(&self.fd, from, &self.fd, to)
            .map_err(|e| PrivateError::io(self.file_path(to), e))
    }

    /// Sets the mode of `name` (not following a symlink's target: `name` must be ours).
    pub fn chmod(&self, name: &str, mode: u32) -> Result<(), PrivateError> {
        rustix::fs::chmodat(&self.fd, name, Mode::from_raw_mode(mode), AtFlags::empty())
            .map_err(|e| PrivateError::io(self.file_path(name), e))
    }

    /// Removes `name` (a file, socket or symlink; never what a symlink points to).
    pub fn remove(&self, name: &str) {
        let _ = rustix::fs::unlinkat(&self.fd, name, AtFlags::empty());
    }
}
