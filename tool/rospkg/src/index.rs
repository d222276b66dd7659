//! The package index and its on-disk cache, validated by stat.
//!
//! An [`Index`] is what a crawl found plus a [`Summary`] of every manifest (name, version,
//! dependencies, licences, problems): enough to answer list / find / depends without reading a
//! manifest again. The cache file lives in its own folder (`$ROS_HOME/rosdeb/index/`), one file
//! per search path, and is trusted only after every directory the crawl listed and every manifest
//! it read still has the same device, inode, size, mtime and ctime: a package added, removed or
//! edited is seen at once, with no time-to-live. Stamps younger than [`RACY_NS`] at write time are not
//! trusted (coarse timestamps). Files are written to a temporary file and renamed, so a crash
//! never leaves a partial cache; an unreadable or foreign-format cache file is ignored and
//! rewritten. The folder and file are opened through [`PrivateDir`]: another user's cache, one
//! writable by others or a symlink is refused ([`CacheOutcome::Refused`]: crawled, not written).

use std::collections::HashMap;
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::crawl::{self, Crawl, CrawlOptions, Found, LinkTarget, SearchPath, Stamp};
use crate::diagnostic::Diagnostic;
use crate::manifest::{self, DependKind, Manifest, ManifestKind};
use crate::private_dir::{PrivateDir, PrivateError};

/// Cache file format version; bump on any change to the stored types.
pub const FORMAT_VERSION: u32 = 5;
const MAGIC: &[u8; 8] = b"RDBIDX\0\x01";
/// Stamps this close to the cache's write time are re-checked on every load.
pub const RACY_NS: i64 = 2_000_000_000;

/// One dependency as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SummaryDep {
    /// The name.
    pub name: String,
    /// The tag.
    pub kind: DependKind,
    /// REP 149 condition, unevaluated.
    pub condition: Option<String>,
}

/// What the index keeps of one manifest file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Which manifest file.
    pub kind: ManifestKind,
    /// The file's stamp when it was read (`None` when it could not be stat'ed).
    pub stamp: Option<Stamp>,
    /// package.xml `<name>`.
    pub name: Option<String>,
    /// `<version>`.
    pub version: String,
    /// `<export><metapackage/>`.
    pub metapackage: bool,
    /// Dependencies in document order.
    pub deps: Vec<SummaryDep>,
    /// Licence names.
    pub licenses: Vec<String>,
    /// Set when the file could not be parsed at all (the package is then left out).
    pub error: Option<Diagnostic>,
    /// Validation findings (catkin_pkg errors and warnings, rosbuild problems rospack tolerates).
    pub diagnostics: Vec<Diagnostic>,
}

impl Summary {
    /// Reads and summarises the manifest of `kind` in `dir`.
    pub fn read(dir: &Path, kind: ManifestKind) -> Self {
        Self::read_in(None, dir, kind)
    }

    /// Reads and summarises the manifest of `kind` in `dir`, through the directory's open handle
    /// when there is one (one open, one fstat, one read).
    fn read_in(handle: Option<BorrowedFd<'_>>, dir: &Path, kind: ManifestKind) -> Self {
        let path = dir.join(kind.file_name());
        let (stamp, parsed) = match read_stamped(handle, &path, kind) {
            Ok((stamp, text)) => (Some(stamp), manifest::parse(kind, &text, &path)),
            Err(error) => (None, Err(error)),
        };
        match parsed {
            Ok(m) => Summary::of(&m, stamp),
            Err(error) => Summary {
                kind,
                stamp,
                name: None,
                version: String::new(),
                metapackage: false,
                deps: Vec::new(),
                licenses: Vec::new(),
                error: Some(error),
                diagnostics: Vec::new(),
            },
        }
    }

    /// The summary of a parsed manifest.
    pub fn of(m: &Manifest, stamp: Option<Stamp>) -> Self {
        Summary {
            kind: m.kind,
            stamp,
            name: m.name.clone(),
            version: m.version.clone(),
            metapackage: m.is_metapackage(),
            deps: m
                .dependencies
                .iter()
                .map(|d| SummaryDep {
                    name: d.name.clone(),
                    kind: d.kind,
                    condition: d.condition.clone(),
                })
                .collect(),
            licenses: m.licenses.iter().map(|l| l.name.clone()).collect(),
            error: None,
            diagnostics: m.diagnostics.clone(),
        }
    }
}

/// A directory holding manifests, with their summaries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Where and what the crawl found.
    pub found: Found,
    /// One summary per manifest file in the directory (package.xml, manifest.xml, stack.xml order).
    pub manifests: Vec<Summary>,
}

impl Entry {
    /// The summary of the manifest of `kind`, if the directory has one.
    pub fn manifest(&self, kind: ManifestKind) -> Option<&Summary> {
        self.manifests.iter().find(|s| s.kind == kind)
    }
}

/// Everything found on one search path.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Index {
    /// The search path's key ([`SearchPath::key`]).
    pub key: String,
    /// Manifest directories in precedence order.
    pub entries: Vec<Entry>,
    /// Every directory the crawl listed that holds no manifest, with its stamp (manifest
    /// directories keep theirs in their [`Found`]).
    pub visited: Vec<(PathBuf, Stamp)>,
    /// Symlinks that did not lead to a directory, with what they led to ([`Crawl::links`]).
    pub links: Vec<(PathBuf, LinkTarget)>,
    /// Crawl problems (unreadable directories, symlink loops).
    pub diagnostics: Vec<Diagnostic>,
    /// When the index was built, ns since the epoch.
    pub built_ns: i64,
}

/// How [`Index::load`] got its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// No cache was asked for.
    Disabled,
    /// The cache was valid as it was.
    Hit,
    /// The cache existed but something changed; it was brought up to date.
    Refreshed,
    /// No usable cache file; crawled from scratch.
    Miss,
    /// The cache folder or file is not safe to use (another user's, writable by others, a
    /// symlink); crawled from scratch, nothing written.
    Refused,
}

impl Index {
    /// Crawls and parses everything, in parallel, with no cache.
    pub fn build(search: &SearchPath, options: CrawlOptions) -> Self {
        Self::build_reusing(search, options, &HashMap::new())
    }

    /// Crawls, reusing the summaries of `previous` manifests whose stamp has not changed.
    /// Manifests are read during the crawl, relative to their directory's open handle.
    fn build_reusing(
        search: &SearchPath,
        options: CrawlOptions,
        previous: &HashMap<PathBuf, Summary>,
    ) -> Self {
        let built_ns = now_ns();
        let read = |found: &Found, dir: Option<BorrowedFd<'_>>| -> Vec<Summary> {
            kinds(found)
                .map(|kind| {
                    let reusable = previous
                        .get(&found.dir.join(kind.file_name()))
                        .filter(|s| s.stamp.is_some() && s.stamp == stat_in(dir, &found.dir, kind));
                    match reusable {
                        Some(s) => s.clone(),
                        None => Summary::read_in(dir, &found.dir, kind),
                    }
                })
                .collect()
        };
        let Crawl { found, visited, links, diagnostics } =
            crawl::crawl_with(search, options, &read);
        let entries =
            found.into_iter().map(|(found, manifests)| Entry { found, manifests }).collect();
        Index { key: search.key(), entries, visited, links, diagnostics, built_ns }
    }

    /// The index for `search`, from the cache folder `cache_dir` when it is still valid, else
    /// crawled (and the cache rewritten). Cache problems are never errors: the index is then
    /// built from disk.
    pub fn load(
        search: &SearchPath,
        options: CrawlOptions,
        cache_dir: Option<&Path>,
    ) -> (Self, CacheOutcome) {
        let (index, outcome, _) = Self::load_checked(search, options, cache_dir);
        (index, outcome)
    }

    /// [`Index::load`], also returning why the cache was refused ([`CacheOutcome::Refused`]):
    /// a cache folder or file owned by another user, writable by others, or a symlink (see
    /// [`PrivateDir`]). The index is then built from disk and nothing is written.
    pub fn load_checked(
        search: &SearchPath,
        options: CrawlOptions,
        cache_dir: Option<&Path>,
    ) -> (Self, CacheOutcome, Option<PrivateError>) {
        let Some(cache_dir) = cache_dir else {
            return (Self::build(search, options), CacheOutcome::Disabled, None);
        };
        let refused = |e: PrivateError| {
            // Said once per process (through the log, which a CLI shows on stderr).
            static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
            if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
                tracing::warn!("not using the index cache: {e}\nhint: {}", e.hint());
            }
            (Self::build(search, options), CacheOutcome::Refused, Some(e))
        };
        let dir = match PrivateDir::open(cache_dir, true) {
            Ok(dir) => dir,
            Err(e) => return refused(e),
        };
        let name = cache_file_name(search, options, cache_dir);
        let key = search.key();
        let started = std::time::Instant::now();
        let cached = match read_cache(&dir, &name) {
            Ok(cached) => cached.filter(|c| c.key == key),
            Err(e) => return refused(e),
        };
        tracing::debug!("index cache read in {:?}", started.elapsed());
        let Some(mut cached) = cached else {
            let index = Self::build(search, options);
            index.store(&dir, &name);
            return (index, CacheOutcome::Miss, None);
        };
        let trusted_before = cached.built_ns - RACY_NS;
        let mut changed = changed_stamps(&cached, trusted_before);
        if appeared_roots(search, &cached)
            || cached.links.iter().any(|(path, target)| LinkTarget::of(path) != *target)
        {
            changed.push(Check::Dir);
        }
        if changed.iter().any(|c| matches!(c, Check::Dir)) {
            let previous = cached
                .entries
                .into_iter()
                .flat_map(|e| {
                    let dir = e.found.dir;
                    e.manifests.into_iter().map(move |s| (dir.join(s.kind.file_name()), s))
                })
                .collect();
            let index = Self::build_reusing(search, options, &previous);
            index.store(&dir, &name);
            return (index, CacheOutcome::Refreshed, None);
        }
        let stale: Vec<(usize, usize)> = changed
            .into_iter()
            .filter_map(|c| match c {
                Check::Manifest { entry, slot } => Some((entry, slot)),
                Check::Dir => None,
            })
            .collect();
        tracing::debug!("index cache validated in {:?}", started.elapsed());
        if stale.is_empty() {
            return (cached, CacheOutcome::Hit, None);
        }
        for (i, j) in stale {
            let entry = &mut cached.entries[i];
            let kind = entry.manifests[j].kind;
            entry.manifests[j] = Summary::read(&entry.found.dir, kind);
        }
        cached.built_ns = now_ns();
        cached.store(&dir, &name);
        (cached, CacheOutcome::Refreshed, None)
    }

    /// Writes the index to `file` atomically; failures are logged and otherwise ignored (the cache
    /// is an optimisation).
    fn store(&self, dir: &PrivateDir, name: &str) {
        if let Err(e) = write_cache(dir, name, self) {
            tracing::debug!("not writing the index cache: {e}");
        }
    }
}

/// What one stamp in the cache stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// A listed directory: a change means entries were added or removed there.
    Dir,
    /// A manifest file: a change means it must be parsed again.
    Manifest { entry: usize, slot: usize },
}

/// Every recorded stamp that no longer matches the disk (or is too young to trust).
///
/// Stamps are checked relative to an open handle on the parent of each package directory, so the
/// kernel resolves one or two path components per check instead of the whole path: the checks
/// are most of a warm run's cost.
fn changed_stamps(index: &Index, trusted_before: i64) -> Vec<Check> {
    type Group<'a> = (&'a Path, Vec<(PathBuf, Option<Stamp>, Check)>);
    fn push<'a>(
        groups: &mut Vec<Group<'a>>,
        path: &'a Path,
        rel: PathBuf,
        stamp: Option<Stamp>,
        check: Check,
    ) {
        let base = path.parent().unwrap_or(Path::new("/"));
        match groups.last_mut() {
            Some((b, items)) if *b == base => items.push((rel, stamp, check)),
            _ => groups.push((base, vec![(rel, stamp, check)])),
        }
    }
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (dir, stamp) in &index.visited {
        let rel = dir.file_name().map_or_else(|| PathBuf::from("."), PathBuf::from);
        push(&mut groups, dir, rel, Some(*stamp), Check::Dir);
    }
    for (entry, e) in index.entries.iter().enumerate() {
        let name = e.found.dir.file_name().map_or_else(|| PathBuf::from("."), PathBuf::from);
        if e.found.stamp.is_some() {
            push(&mut groups, &e.found.dir, name.clone(), e.found.stamp, Check::Dir);
        }
        for (slot, m) in e.manifests.iter().enumerate() {
            let rel = name.join(m.kind.file_name());
            push(&mut groups, &e.found.dir, rel, m.stamp, Check::Manifest { entry, slot });
        }
    }
    groups
        .par_iter()
        .flat_map_iter(|(base, items)| {
            let handle = rustix::fs::open(
                *base,
                rustix::fs::OFlags::PATH
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .ok();
            items.iter().filter_map(move |(rel, expected, check)| {
                let trusted = expected.is_some_and(|s| s.changed_ns() < trusted_before);
                let now = handle.as_ref().and_then(|h| {
                    rustix::fs::statat(h, rel, rustix::fs::AtFlags::empty())
                        .ok()
                        .map(|st| Stamp::of_stat(&st))
                });
                (!trusted || now != *expected).then_some(*check)
            })
        })
        .collect()
}

/// True when a search-path root that did not exist (so was never listed) exists now.
fn appeared_roots(search: &SearchPath, index: &Index) -> bool {
    search.roots().iter().any(|root| {
        let listed = index.visited.binary_search_by(|(dir, _)| dir.as_path().cmp(root)).is_ok()
            || index.entries.iter().any(|e| e.found.dir == *root);
        !listed && root.is_dir()
    })
}

/// The stamp of the manifest of `kind` in `dir`, through the directory's handle when there is one.
fn stat_in(handle: Option<BorrowedFd<'_>>, dir: &Path, kind: ManifestKind) -> Option<Stamp> {
    match handle {
        Some(h) => rustix::fs::statat(h, kind.file_name(), rustix::fs::AtFlags::empty())
            .ok()
            .map(|st| Stamp::of_stat(&st)),
        None => Stamp::read(&dir.join(kind.file_name())),
    }
}

/// Reads a manifest's text together with the stamp of the file that was read.
fn read_stamped(
    handle: Option<BorrowedFd<'_>>,
    path: &Path,
    kind: ManifestKind,
) -> Result<(Stamp, String), Diagnostic> {
    use std::io::Read;
    let fail = |e: std::io::Error| Diagnostic::error(path, format!("cannot read: {e}"));
    let mut file = match handle {
        Some(dir) => {
            let fd = rustix::fs::openat(
                dir,
                kind.file_name(),
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .map_err(|e| fail(e.into()))?;
            std::fs::File::from(fd)
        }
        None => std::fs::File::open(path).map_err(fail)?,
    };
    let meta = file.metadata().map_err(fail)?;
    let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    if size > manifest::MAX_MANIFEST_BYTES {
        // Let the parser produce its "too large" diagnostic without reading gigabytes.
        let text = " ".repeat(manifest::MAX_MANIFEST_BYTES + 1);
        return Ok((Stamp::of(&meta), text));
    }
    // Read exactly the size the stamp records: no extra read to find the end, and what was
    // read always matches the stamp (a file that grows meanwhile gets a new mtime and is read
    // again on the next run).
    let mut bytes = vec![0; size];
    let mut filled = 0;
    while filled < size {
        match file.read(&mut bytes[filled..]).map_err(fail)? {
            0 => break,
            n => filled += n,
        }
    }
    bytes.truncate(filled);
    let text = String::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(path, format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
            .with_hint("manifests must be UTF-8 encoded")
    })?;
    Ok((Stamp::of(&meta), text))
}

/// The manifest kinds present in a found directory.
fn kinds(found: &Found) -> impl Iterator<Item = ManifestKind> + use<> {
    let m = found.markers;
    [
        (m.package_xml, ManifestKind::PackageXml),
        (m.manifest_xml, ManifestKind::ManifestXml),
        (m.stack_xml, ManifestKind::StackXml),
    ]
    .into_iter()
    .filter_map(|(present, kind)| present.then_some(kind))
}

/// `<16 hex digits of FNV-1a(cache folder, key)>.idx`: one file per cache folder (so per
/// `ROS_HOME`: the name cannot be predicted without it), search path and crawl option.
pub fn cache_file_name(search: &SearchPath, options: CrawlOptions, cache_dir: &Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let folder = cache_dir.as_os_str().as_bytes().iter().copied().chain([0]);
    for b in folder.chain(search.key().bytes()).chain([u8::from(options.ros2_markers)]) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}.idx")
}

/// The cache `name` in `dir`: `Ok(None)` when missing or unreadable (rebuilt, not reported),
/// an error when it is not safe to read (another user's file, writable by others, a symlink).
fn read_cache(dir: &PrivateDir, name: &str) -> Result<Option<Index>, PrivateError> {
    use std::io::Read as _;
    let Some(mut file) = dir.open_read(name)? else { return Ok(None) };
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return Ok(None);
    }
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else { return Ok(None) };
    let Some((version, rest)) = rest.split_first_chunk::<4>() else { return Ok(None) };
    if u32::from_le_bytes(*version) != FORMAT_VERSION {
        return Ok(None);
    }
    Ok(postcard::from_bytes(rest).ok())
}

fn write_cache(dir: &PrivateDir, name: &str, index: &Index) -> Result<(), PrivateError> {
    let body = postcard::to_allocvec(index).map_err(|e| PrivateError::Io {
        path: dir.file_path(name),
        source: std::io::Error::other(e),
    })?;
    let mut bytes = Vec::with_capacity(body.len() + 12);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&body);
    dir.write_atomic(name, &bytes)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
