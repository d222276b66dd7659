//! The staging tree walked into archive entries: sorted, checked, never following a symlink.
//!
//! Modes are kept as they are on disk, special bits included (`dpkg-deb` keeps them: a 0600
//! file stays private), and a regular file reached again through another hard link becomes a
//! hard-link entry naming its first path, as GNU tar writes it for `dpkg-deb`.
//!
//! Also computes `Installed-Size` the way `dpkg-gencontrol` does: 1 KiB per directory (or other
//! non-file object), ceil(size / 1024) per file or symlink, hard links counted once.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use super::BuildError;

/// One archive entry. `rel` is the path below the staging root without a leading `./`
/// (empty for the root itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) rel: String,
    pub(crate) kind: Kind,
    /// Permission bits with setuid, setgid and sticky (`mode & 0o7777`); 0o777 for symlinks.
    pub(crate) mode: u32,
    /// Seconds since the epoch, before clamping.
    pub(crate) mtime: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File {
        size: u64,
    },
    /// Another name of a regular file met earlier in the walk (`target`: its `rel`).
    HardLink {
        target: String,
    },
    Symlink {
        target: String,
    },
}

impl Entry {
    /// The name as dpkg-deb writes it: `./`, `./usr/`, `./usr/bin/tool`.
    pub(crate) fn tar_name(&self) -> String {
        match (&self.kind, self.rel.is_empty()) {
            (_, true) => "./".to_owned(),
            (Kind::Dir, false) => format!("./{}/", self.rel),
            _ => format!("./{}", self.rel),
        }
    }
}

/// The walked staging tree.
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) root: PathBuf,
    /// Pre-order, the children of each directory sorted by name (bytes), symlinks moved last.
    pub(crate) entries: Vec<Entry>,
    pub(crate) installed_size_kib: u64,
    pub(crate) newest_mtime: u64,
}

impl Tree {
    /// Walks `root`; refuses non-UTF-8 names, names with newlines, a top-level `DEBIAN`,
    /// device nodes, FIFOs and sockets, and symlinks that point out of the tree.
    pub(crate) fn walk(root: &Path) -> Result<Tree, BuildError> {
        let meta = fs_err::metadata(root)?;
        if !meta.is_dir() {
            return Err(BuildError::BadPath {
                path: root.display().to_string(),
                reason: "the staging root is not a directory",
            });
        }
        let root = fs_err::canonicalize(root)?;
        let mut walk = Walk {
            root: &root,
            entries: Vec::new(),
            size: 0,
            newest: 0,
            seen: HashSet::new(),
            links: HashMap::new(),
        };
        walk.account(&meta);
        walk.entries.push(Entry {
            rel: String::new(),
            kind: Kind::Dir,
            mode: meta.permissions().mode() & 0o7777,
            mtime: mtime(&meta),
        });
        walk.dir(&root, "")?;
        let Walk { mut entries, size, newest, .. } = walk;
        // dpkg-deb writes symlinks after everything else, so that a link never comes before
        // its target on extraction; keep that order (a stable partition of the pre-order walk).
        entries.sort_by_key(|e| matches!(e.kind, Kind::Symlink { .. }));
        Ok(Tree { root, entries, installed_size_kib: size, newest_mtime: newest })
    }
}

struct Walk<'a> {
    root: &'a Path,
    entries: Vec<Entry>,
    size: u64,
    newest: u64,
    seen: HashSet<(u64, u64)>,
    /// (device, inode) of regular files with several links → the first path met.
    links: HashMap<(u64, u64), String>,
}

impl Walk<'_> {
    fn dir(&mut self, abs: &Path, rel: &str) -> Result<(), BuildError> {
        let mut children = Vec::new();
        for dirent in fs_err::read_dir(abs)? {
            let dirent = dirent?;
            let os_name = dirent.file_name();
            let child_rel_display = || join(rel, &os_name.to_string_lossy());
            let Some(name) = os_name.to_str() else {
                return Err(BuildError::BadPath {
                    path: child_rel_display(),
                    reason: "the name is not valid UTF-8",
                });
            };
            if name.contains(['\n', '\r']) {
                return Err(BuildError::BadPath {
                    path: child_rel_display(),
                    reason: "the name contains a line break",
                });
            }
            if rel.is_empty() && name == "DEBIAN" {
                return Err(BuildError::BadPath {
                    path: name.to_owned(),
                    reason: "the staging tree holds a DEBIAN directory; pass the control file and scripts to the builder instead",
                });
            }
            children.push(name.to_owned());
        }
        children.sort_unstable();
        for name in children {
            let child_abs = abs.join(&name);
            let child_rel = join(rel, &name);
            let meta = fs_err::symlink_metadata(&child_abs)?;
            let file_type = meta.file_type();
            let kind = if file_type.is_dir() {
                Kind::Dir
            } else if file_type.is_file() && meta.nlink() > 1 {
                match self.links.entry((meta.dev(), meta.ino())) {
                    std::collections::hash_map::Entry::Occupied(first) => {
                        Kind::HardLink { target: first.get().clone() }
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(child_rel.clone());
                        Kind::File { size: meta.len() }
                    }
                }
            } else if file_type.is_file() {
                Kind::File { size: meta.len() }
            } else if file_type.is_symlink() {
                let target = fs_err::read_link(&child_abs)?;
                let Some(target) = target.to_str() else {
                    return Err(BuildError::BadPath {
                        path: child_rel,
                        reason: "the symlink target is not valid UTF-8",
                    });
                };
                self.check_symlink(&child_rel, target)?;
                Kind::Symlink { target: target.to_owned() }
            } else {
                return Err(BuildError::BadPath {
                    path: child_rel,
                    reason: "not a file, directory or symlink (device, FIFO or socket)",
                });
            };
            self.account(&meta);
            let is_dir = kind == Kind::Dir;
            let mode = meta.permissions().mode() & 0o7777;
            self.entries.push(Entry { rel: child_rel.clone(), kind, mode, mtime: mtime(&meta) });
            if is_dir {
                self.dir(&child_abs, &child_rel)?;
            }
        }
        Ok(())
    }

    fn account(&mut self, meta: &std::fs::Metadata) {
        self.newest = self.newest.max(mtime(meta));
        let file_type = meta.file_type();
        if file_type.is_file() || file_type.is_symlink() {
            let key = (meta.dev(), meta.ino());
            if !self.seen.contains(&key) {
                self.size += meta.len().div_ceil(1024);
            }
            if meta.nlink() > 1 {
                self.seen.insert(key);
            }
        } else {
            self.size += 1;
        }
    }

    fn check_symlink(&self, rel: &str, target: &str) -> Result<(), BuildError> {
        let escapes = |reason| BuildError::SymlinkEscapes {
            path: rel.to_owned(),
            target: target.to_owned(),
            reason,
        };
        if target.is_empty() {
            return Err(escapes("the target is empty"));
        }
        if target.starts_with('/') && Path::new(target).starts_with(self.root) {
            return Err(escapes("the target is the staging directory on the build host"));
        }
        if symlink_leaves_root(rel, target) {
            return Err(escapes("the target climbs above the package root"));
        }
        Ok(())
    }
}

/// Whether a symlink at `rel` (below the root) pointing at `target` resolves, lexically, to a
/// place above the package root. Absolute targets resolve from the root, as dpkg installs them.
pub(crate) fn symlink_leaves_root(rel: &str, target: &str) -> bool {
    let mut stack: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        stack.extend(rel.split('/').filter(|c| !c.is_empty()));
        stack.pop(); // the link's own name
    }
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return true;
                }
            }
            other => stack.push(other),
        }
    }
    false
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() { name.to_owned() } else { format!("{rel}/{name}") }
}

fn mtime(meta: &std::fs::Metadata) -> u64 {
    u64::try_from(meta.mtime()).unwrap_or(0)
}
