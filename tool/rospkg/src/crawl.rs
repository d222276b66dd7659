//! Finding packages and stacks on the search path (port of `rospack`'s `crawlDetail` and
//! `rospkg.rospack.list_by_path`).
//!
//! One parallel walk finds every directory holding a manifest, for both the package and the
//! stack view. Rules, in order, per directory: `CATKIN_IGNORE` (and, when asked, `COLCON_IGNORE` /
//! `AMENT_IGNORE`) hides the directory and everything below; a `package.xml` or `manifest.xml`
//! makes it a leaf; `rospack_nosubdirs` makes it a leaf; otherwise every subdirectory whose name
//! does not start with `.` is visited. `stack.xml` is recorded but not a leaf (stacks contain
//! packages). Symlinks are followed; a symlink back to one of its own ancestors (same device and
//! inode) is a loop, reported once and not followed. Results come back in a deterministic order:
//! search-path entry first, then path order with sorted directory listings (rospack uses the
//! unsorted `readdir` order, so "first found wins" inside one entry is ours to define).
//!
//! Debian's rospack and rospkg append `/usr/share` to the search path and look only at its direct
//! children; [`SearchPath::usr_share`] does the same.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags};

use crate::diagnostic::Diagnostic;
use crate::environment::{AMENT_PREFIX_PATH, Environment, ROS_PACKAGE_PATH};

/// The environment variable that forces Debian's `/usr/share` convention on (`1`) or off (`0`).
pub const USR_SHARE_ENV: &str = "ROSDEB_USR_SHARE";

/// Deepest directory nesting the crawl follows (rospack's limit).
pub const MAX_DEPTH: usize = 1000;

/// Where to look for packages, in precedence order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchPath {
    /// `ROS_PACKAGE_PATH` entries (or any list), crawled recursively, first entry wins.
    pub entries: Vec<PathBuf>,
    /// Append `/usr/share` (its direct children only), as Debian's patched tools do.
    pub usr_share: bool,
    /// ROS 2 install prefixes whose ament resource index lists packages (`AMENT_PREFIX_PATH`).
    pub ament_prefixes: Vec<PathBuf>,
}

impl SearchPath {
    /// The search path rospack uses: `ROS_PACKAGE_PATH` split on `:` (empty entries dropped),
    /// `/usr/share` appended when [`usr_share_default`] says so. ROS_ROOT is not used (rospack).
    pub fn from_env(env: &Environment) -> Self {
        SearchPath {
            entries: split_path_list(env.get(ROS_PACKAGE_PATH).unwrap_or("")),
            usr_share: usr_share_default(env),
            ament_prefixes: Vec::new(),
        }
    }

    /// The same, plus the ament resource index of every `AMENT_PREFIX_PATH` prefix.
    #[must_use]
    pub fn with_ament_prefixes(mut self, env: &Environment) -> Self {
        self.ament_prefixes = split_path_list(env.get(AMENT_PREFIX_PATH).unwrap_or(""));
        self
    }

    /// Every root in precedence order, as shown to users (`ROS path [i]=...`).
    pub fn roots(&self) -> Vec<PathBuf> {
        let mut roots = self.entries.clone();
        if self.usr_share {
            roots.push(PathBuf::from(USR_SHARE));
        }
        roots
    }

    /// A string identifying this search path, used to key the index cache.
    pub fn key(&self) -> String {
        let mut key = String::new();
        for e in &self.entries {
            key.push_str(&e.to_string_lossy());
            key.push('\0');
        }
        key.push_str(if self.usr_share { "usr_share=1\0" } else { "usr_share=0\0" });
        for p in &self.ament_prefixes {
            key.push_str("ament=");
            key.push_str(&p.to_string_lossy());
            key.push('\0');
        }
        key
    }
}

const USR_SHARE: &str = "/usr/share";

/// Splits a `:`-separated list, dropping empty entries.
pub fn split_path_list(value: &str) -> Vec<PathBuf> {
    value.split(':').filter(|p| !p.is_empty()).map(PathBuf::from).collect()
}

/// Whether to append `/usr/share`: `ROSDEB_USR_SHARE` (`1`/`0`, also yes/no, on/off, true/false)
/// if set, else whether `/etc/debian_version` exists (Debian's patched rospack).
pub fn usr_share_default(env: &Environment) -> bool {
    match env.get(USR_SHARE_ENV).map(str::to_ascii_lowercase).as_deref() {
        Some("1" | "yes" | "on" | "true") => true,
        Some("0" | "no" | "off" | "false") => false,
        _ => Path::new("/etc/debian_version").exists(),
    }
}

/// How to crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrawlOptions {
    /// Also honour `COLCON_IGNORE` and `AMENT_IGNORE` (ROS 2 workspaces). rospack does not.
    pub ros2_markers: bool,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions { ros2_markers: true }
    }
}

/// Which marker files a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Markers {
    /// `package.xml`
    pub package_xml: bool,
    /// `manifest.xml`
    pub manifest_xml: bool,
    /// `stack.xml`
    pub stack_xml: bool,
    /// `rospack_nosubdirs`
    pub nosubdirs: bool,
}

impl Markers {
    /// True when the directory holds any manifest.
    pub fn any_manifest(self) -> bool {
        self.package_xml || self.manifest_xml || self.stack_xml
    }
}

/// A directory holding at least one manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Found {
    /// The directory, as reached from the search-path entry (symlinks not resolved).
    pub dir: PathBuf,
    /// Index of the search-path root it was found under ([`SearchPath::roots`]).
    pub root: u32,
    /// The manifests it holds.
    pub markers: Markers,
    /// True when an ancestor below the root holds a `stack.xml` (rosstack never looks there).
    pub inside_stack: bool,
    /// The directory's stamp when it was listed (`None` where it was not listed, as for
    /// `/usr/share` children and the ament index).
    pub stamp: Option<Stamp>,
}

/// A directory's identity and change stamp, recorded so a cache can tell whether it changed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Stamp {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Size in bytes.
    pub size: u64,
    /// Status-change time, nanoseconds since the epoch: an edit that keeps size and mtime (the
    /// mtime set back afterwards) still moves it.
    pub ctime_ns: i64,
}

impl Stamp {
    /// The stamp of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> Self {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            mtime_ns: nanos(meta.mtime(), meta.mtime_nsec()),
            size: meta.size(),
            ctime_ns: nanos(meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The stamp of a raw `stat` result (same values as [`Stamp::of`] for the same file).
    pub fn of_stat(st: &rustix::fs::Stat) -> Self {
        Stamp {
            dev: st.st_dev,
            ino: st.st_ino,
            mtime_ns: nanos(st.st_mtime, i64::try_from(st.st_mtime_nsec).unwrap_or(0)),
            size: u64::try_from(st.st_size).unwrap_or(0),
            ctime_ns: nanos(st.st_ctime, i64::try_from(st.st_ctime_nsec).unwrap_or(0)),
        }
    }

    /// The later of the modification and status-change times: what the racy check compares.
    pub fn changed_ns(&self) -> i64 {
        self.mtime_ns.max(self.ctime_ns)
    }

    /// The stamp of `path` (following symlinks), if it can be stat'ed.
    pub fn read(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| Stamp::of(&m))
    }
}

/// A timestamp in nanoseconds since the epoch (saturating far from now).
fn nanos(secs: i64, nsecs: i64) -> i64 {
    secs.saturating_mul(1_000_000_000).saturating_add(nsecs)
}

/// What a symlink the crawl did not descend through leads to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum LinkTarget {
    /// Nothing (dangling, or a loop).
    Missing,
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Something else.
    Other,
}

impl LinkTarget {
    /// What `path` leads to now.
    pub fn of(path: &Path) -> Self {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => LinkTarget::Dir,
            Ok(m) if m.is_file() => LinkTarget::File,
            Ok(_) => LinkTarget::Other,
            Err(_) => LinkTarget::Missing,
        }
    }

    fn of_stat(st: Option<&rustix::fs::Stat>) -> Self {
        match st.map(|st| FileType::from_raw_mode(st.st_mode)) {
            Some(FileType::Directory) => LinkTarget::Dir,
            Some(FileType::RegularFile) => LinkTarget::File,
            Some(_) => LinkTarget::Other,
            None => LinkTarget::Missing,
        }
    }
}

/// What a crawl saw.
#[derive(Debug, Clone)]
pub struct Crawl<R = ()> {
    /// Manifest directories in precedence order, each with what the reader made of it.
    pub found: Vec<(Found, R)>,
    /// Every other directory that was listed (no manifest in it), with its stamp, so a cache can
    /// tell when to crawl again; manifest directories carry theirs in [`Found::stamp`].
    pub visited: Vec<(PathBuf, Stamp)>,
    /// Symlinks in listed directories that did not lead to a directory, with what they led to:
    /// one that starts to lead to a package (its target created) changes nothing a stamp sees.
    pub links: Vec<(PathBuf, LinkTarget)>,
    /// Problems met on the way (unreadable directories, symlink loops, too deep).
    pub diagnostics: Vec<Diagnostic>,
}

impl<R> Default for Crawl<R> {
    fn default() -> Self {
        Crawl { found: Vec::new(), visited: Vec::new(), links: Vec::new(), diagnostics: Vec::new() }
    }
}

/// Reads what a found directory holds while the crawl has it open: called once per manifest
/// directory, in parallel, with a handle on the directory when there is one (so reading
/// `package.xml` resolves one path component, not the whole path).
pub type Reader<'a, R> = dyn Fn(&Found, Option<BorrowedFd<'_>>) -> R + Sync + 'a;

/// Crawls `search` in parallel.
pub fn crawl(search: &SearchPath, options: CrawlOptions) -> Crawl {
    crawl_with(search, options, &|_, _| ())
}

/// Crawls `search` in parallel, calling `read` on every manifest directory as it is found.
///
/// Directories are opened relative to their parent's open handle and stamped with `fstat` on
/// their own handle, so each costs a handful of cheap system calls: the crawl is bound by them.
pub fn crawl_with<R: Send>(
    search: &SearchPath,
    options: CrawlOptions,
    read: &Reader<'_, R>,
) -> Crawl<R> {
    let state = State { options, read, out: Mutex::new(Crawl::default()) };
    rayon::scope(|scope| {
        for (root, entry) in search.entries.iter().enumerate() {
            let Ok(fd) = open_dir(CWD, entry) else { continue };
            let state = &state;
            let dir = entry.clone();
            scope.spawn(move |scope| state.visit(scope, fd, dir, to_u32(root), Vec::new(), false));
        }
        if search.usr_share {
            state.crawl_usr_share(Path::new(USR_SHARE), to_u32(search.entries.len()));
        }
    });
    let mut out = state.out.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    let usr_share_root = to_u32(search.entries.len()) + u32::from(search.usr_share);
    ament_index(&search.ament_prefixes, usr_share_root, read, &mut out);
    out.found.sort_by(|a, b| (a.0.root, &a.0.dir).cmp(&(b.0.root, &b.0.dir)));
    out.visited.sort();
    out.links.sort();
    out.diagnostics.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

thread_local! {
    /// The buffer `getdents` fills, one per crawl thread.
    static LISTING_BUFFER: std::cell::RefCell<Vec<std::mem::MaybeUninit<u8>>> =
        std::cell::RefCell::new(vec![std::mem::MaybeUninit::uninit(); 32 * 1024]);
}

/// Opens a directory (following symlinks) for listing, relative to `base`.
fn open_dir<P: rustix::path::Arg>(base: BorrowedFd<'_>, path: P) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        base,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

struct State<'r, R> {
    options: CrawlOptions,
    read: &'r Reader<'r, R>,
    out: Mutex<Crawl<R>>,
}

/// One directory listing, reduced to what the crawl rules need.
#[derive(Default)]
struct Listing {
    stamp: Option<Stamp>,
    markers: Markers,
    ignored: bool,
    /// Subdirectories (and symlinks that may lead to one): name, and whether it is a symlink.
    subdirs: Vec<(std::ffi::CString, bool)>,
    /// Symlinks (not hidden) that do not lead to a directory.
    links: Vec<(std::ffi::CString, LinkTarget)>,
}

impl<R: Send> State<'_, R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Crawl<R>> {
        self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn diagnostic(&self, d: Diagnostic) {
        self.lock().diagnostics.push(d);
    }

    /// Lists the open directory `fd` and stamps it; returns the listing and the handle, still
    /// usable for lookups relative to the directory.
    fn list(&self, fd: OwnedFd, path: &Path) -> Option<(Listing, OwnedFd)> {
        let stamp = rustix::fs::fstat(&fd).ok().map(|st| Stamp::of_stat(&st));
        let mut listing = Listing { stamp, ..Listing::default() };
        let result = LISTING_BUFFER.with_borrow_mut(|buffer| {
            let mut dir = rustix::fs::RawDir::new(&fd, buffer.as_mut_slice());
            while let Some(entry) = dir.next() {
                let entry = entry?;
                let name = entry.file_name();
                let bytes = name.to_bytes();
                if bytes == b"." || bytes == b".." {
                    continue;
                }
                let file_type = entry.file_type();
                let (is_dir, is_file, is_symlink) = match file_type {
                    FileType::Directory => (true, false, false),
                    FileType::RegularFile => (false, true, false),
                    FileType::Symlink | FileType::Unknown => {
                        let st = rustix::fs::statat(&fd, name, AtFlags::empty()).ok();
                        let target = LinkTarget::of_stat(st.as_ref());
                        let is_symlink = file_type == FileType::Symlink;
                        if is_symlink && target != LinkTarget::Dir && bytes.first() != Some(&b'.') {
                            listing.links.push((name.to_owned(), target));
                        }
                        (target == LinkTarget::Dir, target == LinkTarget::File, is_symlink)
                    }
                    _ => (false, false, false),
                };
                if is_file {
                    match bytes {
                        b"package.xml" => listing.markers.package_xml = true,
                        b"manifest.xml" => listing.markers.manifest_xml = true,
                        b"stack.xml" => listing.markers.stack_xml = true,
                        b"rospack_nosubdirs" => listing.markers.nosubdirs = true,
                        b"CATKIN_IGNORE" => listing.ignored = true,
                        b"COLCON_IGNORE" | b"AMENT_IGNORE" if self.options.ros2_markers => {
                            listing.ignored = true
                        }
                        _ => {}
                    }
                } else if is_dir && bytes.first() != Some(&b'.') {
                    listing.subdirs.push((name.to_owned(), is_symlink));
                }
            }
            Ok::<(), rustix::io::Errno>(())
        });
        if let Err(e) = result {
            self.unreadable(path, &std::io::Error::from(e));
            return None;
        }
        listing.subdirs.sort();
        Some((listing, fd))
    }

    fn unreadable(&self, dir: &Path, e: &std::io::Error) {
        self.diagnostic(Diagnostic::warning(dir, format!("cannot read directory: {e}")).with_hint(
            "packages below it are not found; fix its permissions or mark it CATKIN_IGNORE",
        ));
    }

    /// Visits the open directory `fd` at `dir`; `chain` holds the (device, inode) of its ancestors.
    fn visit<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        fd: OwnedFd,
        dir: PathBuf,
        root: u32,
        mut chain: Vec<(u64, u64)>,
        inside_stack: bool,
    ) where
        R: 's,
    {
        if chain.len() > MAX_DEPTH {
            self.diagnostic(
                Diagnostic::warning(
                    &dir,
                    format!("more than {MAX_DEPTH} nested directories; not descending"),
                )
                .with_hint("a symlink or bind mount may make the tree endless"),
            );
            return;
        }
        let Some((listing, handle)) = self.list(fd, &dir) else { return };
        if let Some(stamp) = listing.stamp {
            let id = (stamp.dev, stamp.ino);
            if chain.contains(&id) {
                self.diagnostic(
                    Diagnostic::warning(
                        &dir,
                        "symlink loop: this directory is one of its own ancestors; not followed",
                    )
                    .with_hint("remove the symlink or mark it CATKIN_IGNORE"),
                );
                return;
            }
            chain.push(id);
        }
        if !listing.links.is_empty() {
            let links = listing.links.iter().map(|(name, target)| (dir_join(&dir, name), *target));
            self.lock().links.extend(links);
        }
        let m = listing.markers;
        if listing.ignored || !m.any_manifest() {
            if let Some(stamp) = listing.stamp {
                self.lock().visited.push((dir.clone(), stamp));
            }
            if listing.ignored {
                return;
            }
        } else {
            let found =
                Found { dir: dir.clone(), root, markers: m, inside_stack, stamp: listing.stamp };
            let read = (self.read)(&found, Some(handle.as_fd()));
            self.lock().found.push((found, read));
        }
        if m.package_xml || m.manifest_xml || m.nosubdirs {
            return;
        }
        let parent = std::sync::Arc::new(handle);
        for (name, _is_symlink) in listing.subdirs {
            let parent = std::sync::Arc::clone(&parent);
            let chain = chain.clone();
            let stack = inside_stack || m.stack_xml;
            let sub = dir_join(&dir, &name);
            scope.spawn(move |scope| match open_dir(parent.as_fd(), name.as_c_str()) {
                Ok(fd) => {
                    drop(parent);
                    self.visit(scope, fd, sub, root, chain, stack);
                }
                Err(e) => self.unreadable(&sub, &std::io::Error::from(e)),
            });
        }
    }

    /// Debian's rule: only the direct children of `/usr/share` are looked at.
    fn crawl_usr_share(&self, dir: &Path, root: u32) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut visited = Vec::new();
        if let Some(stamp) = Stamp::read(dir) {
            visited.push((dir.to_path_buf(), stamp));
        }
        let mut children: Vec<PathBuf> = Vec::new();
        for entry in entries.flatten() {
            if is_hidden(&entry.file_name()) {
                continue;
            }
            let path = entry.path();
            if let Some(stamp) = std::fs::metadata(&path)
                .ok()
                .filter(std::fs::Metadata::is_dir)
                .map(|m| Stamp::of(&m))
            {
                visited.push((path.clone(), stamp));
                children.push(path);
            }
        }
        children.sort();
        self.lock().visited.extend(visited);
        let found: Vec<(Found, R)> = children
            .into_iter()
            .filter_map(|child| {
                let listing = quiet_list(&child);
                (!listing.ignored && listing.markers.any_manifest()).then(|| {
                    let found = Found {
                        dir: child,
                        root,
                        markers: listing.markers,
                        inside_stack: false,
                        stamp: None,
                    };
                    let fd = open_dir(CWD, &found.dir).ok();
                    let read = (self.read)(&found, fd.as_ref().map(AsFd::as_fd));
                    (found, read)
                })
            })
            .collect();
        self.lock().found.extend(found);
    }
}

/// `dir/name` for a name read from the directory.
fn dir_join(dir: &Path, name: &std::ffi::CStr) -> PathBuf {
    use std::os::unix::ffi::OsStrExt as _;
    dir.join(OsStr::from_bytes(name.to_bytes()))
}

/// Marker files of one directory, without recording anything (for `/usr/share/<x>`).
fn quiet_list(dir: &Path) -> Listing {
    let mut listing = Listing::default();
    for name in ["package.xml", "manifest.xml", "stack.xml", "rospack_nosubdirs", "CATKIN_IGNORE"] {
        if dir.join(name).is_file() {
            match name {
                "package.xml" => listing.markers.package_xml = true,
                "manifest.xml" => listing.markers.manifest_xml = true,
                "stack.xml" => listing.markers.stack_xml = true,
                "rospack_nosubdirs" => listing.markers.nosubdirs = true,
                _ => listing.ignored = true,
            }
        }
    }
    listing
}

/// One directory's share of a crawl, for `rospack profile`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedDir {
    /// The directory.
    pub dir: PathBuf,
    /// Seconds spent crawling it and everything below.
    pub seconds: f64,
    /// True when no manifest was found in or below it.
    pub zombie: bool,
}

/// A serial, timed crawl with the same rules as [`crawl`]: every directory with the time spent
/// in its subtree, slowest first (rospack's `profile`).
pub fn profile(search: &SearchPath, options: CrawlOptions) -> Vec<TimedDir> {
    let read: &Reader<'_, ()> = &|_, _| ();
    let state = State { options, read, out: Mutex::new(Crawl::default()) };
    let mut timed = Vec::new();
    for entry in search.roots() {
        let depth_limit = if entry == Path::new(USR_SHARE) { 1 } else { MAX_DEPTH };
        state.timed_visit(&entry, Vec::new(), depth_limit, &mut timed);
    }
    timed.sort_by(|a, b| b.seconds.total_cmp(&a.seconds).then_with(|| a.dir.cmp(&b.dir)));
    timed
}

impl State<'_, ()> {
    /// Returns whether a manifest was found in or below `dir`.
    fn timed_visit(
        &self,
        dir: &Path,
        mut chain: Vec<(u64, u64)>,
        depth_limit: usize,
        out: &mut Vec<TimedDir>,
    ) -> bool {
        let started = std::time::Instant::now();
        let Ok(fd) = open_dir(CWD, dir) else { return false };
        let Some((listing, _)) = self.list(fd, dir) else { return false };
        if let Some(stamp) = listing.stamp {
            if chain.contains(&(stamp.dev, stamp.ino)) {
                return false;
            }
            chain.push((stamp.dev, stamp.ino));
        }
        let m = listing.markers;
        let mut found = !listing.ignored && m.any_manifest();
        if listing.ignored || (m.nosubdirs && !found) {
            // rospack returns before recording an ignored directory, or one it may not descend
            // and that is no package: no row at all, not even a zombie.
            return false;
        }
        if !(listing.ignored || m.package_xml || m.manifest_xml || m.nosubdirs)
            && chain.len() <= depth_limit
        {
            for (name, _) in &listing.subdirs {
                found |= self.timed_visit(&dir_join(dir, name), chain.clone(), depth_limit, out);
            }
        }
        out.push(TimedDir {
            dir: dir.to_path_buf(),
            seconds: started.elapsed().as_secs_f64(),
            zombie: !found,
        });
        found
    }
}

fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Packages registered in the ament resource index of each prefix
/// (`<prefix>/share/ament_index/resource_index/packages/<name>` → `<prefix>/share/<name>`).
fn ament_index<R>(prefixes: &[PathBuf], first_root: u32, read: &Reader<'_, R>, out: &mut Crawl<R>) {
    let mut seen = HashSet::new();
    for (i, prefix) in prefixes.iter().enumerate() {
        let index = prefix.join("share/ament_index/resource_index/packages");
        let Ok(entries) = std::fs::read_dir(&index) else { continue };
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let dir = prefix.join("share").join(&name);
            if dir.join("package.xml").is_file() && seen.insert(dir.clone()) {
                let found = Found {
                    dir,
                    root: first_root + to_u32(i),
                    markers: Markers { package_xml: true, ..Markers::default() },
                    inside_stack: false,
                    stamp: None,
                };
                let fd = open_dir(CWD, &found.dir).ok();
                let value = read(&found, fd.as_ref().map(AsFd::as_fd));
                out.found.push((found, value));
            }
        }
    }
}

#[cfg(test)]
mod tests;
