//! One writer at a time: an exclusive `flock` on `<repository>/.rosdeb-apt.lock`, held from
//! reading the repository's state to the swap of `dists/<codename>`, and the clean-up of what a
//! crashed writer left behind, done under that lock.
//!
//! The lock file is opened without following a symlink (a link planted there could make the
//! lock land on, or create, a file elsewhere) and must be a regular file. A second writer waits
//! for the lock up to its timeout, then fails naming the lock file.

use std::io;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, OFlags, flock};

use super::AptError;

/// The lock file's name, in the repository's root.
pub const LOCK_FILE: &str = ".rosdeb-apt.lock";

/// The exclusive lock on a repository; released when dropped (the file is closed).
#[derive(Debug)]
pub(crate) struct RepositoryLock {
    _file: std::fs::File,
}

impl RepositoryLock {
    /// Takes the lock of the repository at `root` (created when missing), waiting up to
    /// `timeout` for another writer to finish.
    pub(crate) fn acquire(root: &Path, timeout: Duration) -> Result<RepositoryLock, AptError> {
        fs_err::create_dir_all(root)?;
        let path = root.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags((OFlags::NOFOLLOW | OFlags::CLOEXEC).bits() as i32)
            .open(&path)
            .map_err(|e| {
                if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                    bad_lock(&path, "is a symlink")
                } else {
                    io::Error::new(
                        e.kind(),
                        format!("opening the lock file `{}`: {e}", path.display()),
                    )
                    .into()
                }
            })?;
        if !file.metadata()?.is_file() {
            return Err(bad_lock(&path, "is not a regular file"));
        }
        let start = Instant::now();
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(RepositoryLock { _file: file }),
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    if start.elapsed() >= timeout {
                        return Err(AptError::Locked { path, waited: timeout });
                    }
                    tracing::debug!(lock = %path.display(), "waiting for another publisher");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => {
                    return Err(io::Error::new(
                        io::Error::from(e).kind(),
                        format!("locking `{}`: {e}", path.display()),
                    )
                    .into());
                }
            }
        }
    }
}

fn bad_lock(path: &Path, reason: &str) -> AptError {
    AptError::BadRepository {
        path: path.to_owned(),
        reason: format!("{reason}; the repository lock must be a regular file"),
    }
}

/// Removes what an interrupted publisher left (call with the lock held): in `dists/`, hidden
/// `.<codename>.*` directories no `dists/<codename>` symlink points to and `.<codename>.link-*`
/// symlinks; in `pool/`, `.pool.*` temporary files. Returns what was removed.
pub(crate) fn clean_stale(root: &Path) -> Result<Vec<PathBuf>, AptError> {
    let mut removed = Vec::new();
    let dists = root.join("dists");
    if let Ok(listing) = fs_err::read_dir(&dists) {
        let mut referenced = Vec::new();
        let mut hidden = Vec::new();
        for item in listing {
            let item = item?;
            let Some(name) = item.file_name().to_str().map(str::to_owned) else { continue };
            if name.starts_with('.') {
                hidden.push(name);
            } else if let Ok(target) = fs_err::read_link(item.path()) {
                referenced.push(target);
            }
        }
        for name in hidden {
            // Only names this module writes: `.<codename>.<rest>`.
            let ours = name[1..].split_once('.').is_some_and(|(codename, rest)| {
                !codename.is_empty() && !rest.is_empty() && !rest.contains('/')
            });
            if !ours || referenced.iter().any(|t| t == Path::new(&name)) {
                continue;
            }
            let path = dists.join(&name);
            let meta = fs_err::symlink_metadata(&path)?;
            if meta.is_dir() {
                fs_err::remove_dir_all(&path)?;
            } else {
                fs_err::remove_file(&path)?;
            }
            removed.push(path);
        }
    }
    clean_pool(&root.join("pool"), 0, &mut removed)?;
    removed.sort();
    for path in &removed {
        tracing::info!(path = %path.display(), "removed a leftover of an interrupted publish");
    }
    Ok(removed)
}

/// `pool/<component>/<prefix>/<source>/.pool.*`: temporary files of `copy_to_pool`.
fn clean_pool(dir: &Path, depth: usize, removed: &mut Vec<PathBuf>) -> Result<(), AptError> {
    let listing = match fs_err::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for item in listing {
        let item = item?;
        let file_type = item.file_type()?;
        let path = item.path();
        if file_type.is_dir() && depth < 3 {
            clean_pool(&path, depth + 1, removed)?;
        } else if file_type.is_file()
            && depth == 3
            && item.file_name().to_str().is_some_and(|n| n.starts_with(".pool."))
        {
            fs_err::remove_file(&path)?;
            removed.push(path);
        }
    }
    Ok(())
}
