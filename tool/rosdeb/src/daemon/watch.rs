//! The daemon's view of change: inotify watches on every directory the index listed and every
//! manifest it read, stat'ed anchors (search-path roots, symlinks the crawl went through), and
//! the mount table.

use std::collections::{HashMap, HashSet};
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rospkg::crawl::{LinkTarget, SearchPath, Stamp};
use rospkg::index::Index;
use rustix::fs::inotify::{self, ReadFlags, WatchFlags};
use rustix::io::Errno;

/// What a watch stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A listed directory: entries added, removed or renamed matter, and changes of the
    /// manifest files in it.
    Dir,
    /// A manifest file: any change of its content or metadata (also through another hard link).
    File,
}

impl Kind {
    fn mask(self) -> WatchFlags {
        let own = WatchFlags::MODIFY
            | WatchFlags::ATTRIB
            | WatchFlags::CLOSE_WRITE
            | WatchFlags::DELETE_SELF
            | WatchFlags::MOVE_SELF;
        match self {
            Kind::Dir => {
                own | WatchFlags::CREATE
                    | WatchFlags::DELETE
                    | WatchFlags::MOVED_FROM
                    | WatchFlags::MOVED_TO
                    | WatchFlags::ONLYDIR
            }
            Kind::File => own,
        }
    }
}

/// One watched path.
#[derive(Debug, Clone, Copy)]
struct Watched {
    wd: i32,
    kind: Kind,
    /// Identity of what was watched (from the index's stamp); a new inode at the path gets a new
    /// watch.
    dev: u64,
    ino: u64,
    /// The path is a symlink: what it leads to is re-stat'ed before every answer, since the
    /// directories above the target are not watched.
    symlink: bool,
}

/// A path whose resolution is checked by stat before every answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Anchor {
    path: PathBuf,
    kind: AnchorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnchorKind {
    /// A root or a symlinked directory: which directory it resolves to.
    Dir,
    /// A symlinked manifest: which file, and its content stamp.
    File,
    /// A symlink that led to no directory: what it leads to.
    Link,
}

/// What an anchor resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Stamp(Option<Stamp>),
    Link(LinkTarget),
}

/// Why the daemon cannot keep a tree under watch.
#[derive(Debug)]
pub struct WatchError(pub String);

impl std::fmt::Display for WatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Changes of a tree, as inotify reports them.
pub struct Watcher {
    fd: OwnedFd,
    watched: HashMap<PathBuf, Watched>,
    live: HashMap<i32, Kind>,
    anchors: Vec<Anchor>,
    /// Stamps of the anchors when the index was last validated.
    anchor_stamps: Vec<Seen>,
    mounts: Option<std::fs::File>,
    /// Something changed since the index was last validated.
    pub dirty: bool,
    buffer: Vec<MaybeUninit<u8>>,
}

/// The manifest file names whose changes matter inside a listed directory.
fn is_manifest_name(name: &[u8]) -> bool {
    matches!(name, b"package.xml" | b"manifest.xml" | b"stack.xml")
}

impl Watcher {
    /// A watcher with no watches yet.
    pub fn new() -> Result<Self, WatchError> {
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)
            .map_err(|e| WatchError(format!("inotify is not available: {e}")))?;
        let mounts = std::fs::File::open("/proc/self/mountinfo").ok();
        Ok(Watcher {
            fd,
            watched: HashMap::new(),
            live: HashMap::new(),
            anchors: Vec::new(),
            anchor_stamps: Vec::new(),
            mounts,
            dirty: true,
            buffer: vec![MaybeUninit::uninit(); 64 * 1024],
        })
    }

    /// The inotify descriptor (readable when events are queued).
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// The mount table (priority-readable when it changed).
    pub fn mounts(&self) -> Option<&std::fs::File> {
        self.mounts.as_ref()
    }

    /// The number of watches held.
    pub fn watches(&self) -> usize {
        self.live.len()
    }

    /// Reads every queued event; any that matters marks the watcher dirty. Also checks the mount
    /// table. Called before every answer: events of changes that finished earlier are queued.
    pub fn drain(&mut self) {
        let mut reader = inotify::Reader::new(&self.fd, &mut self.buffer);
        loop {
            match reader.next() {
                Ok(event) => {
                    let flags = event.events();
                    if flags.contains(ReadFlags::IGNORED) {
                        // The watched inode is gone (or the watch was removed by us).
                        if self.live.remove(&event.wd()).is_some() {
                            self.dirty = true;
                        }
                        continue;
                    }
                    if flags.intersects(ReadFlags::QUEUE_OVERFLOW | ReadFlags::UNMOUNT) {
                        self.dirty = true;
                        continue;
                    }
                    let matters = match self.live.get(&event.wd()) {
                        None => false,
                        Some(Kind::File) => true,
                        Some(Kind::Dir) => {
                            flags.intersects(
                                ReadFlags::CREATE
                                    | ReadFlags::DELETE
                                    | ReadFlags::MOVED_FROM
                                    | ReadFlags::MOVED_TO
                                    | ReadFlags::DELETE_SELF
                                    | ReadFlags::MOVE_SELF,
                            ) || event.file_name().is_none_or(|n| is_manifest_name(n.to_bytes()))
                        }
                    };
                    self.dirty |= matters;
                }
                Err(Errno::INTR) => {}
                Err(_) => break, // AGAIN: the queue is empty
            }
        }
        if self.mounts_changed() {
            self.dirty = true;
        }
    }

    /// Whether the mount table changed since the last poll of it (the kernel reports each
    /// change to one poll, which acknowledges it).
    fn mounts_changed(&self) -> bool {
        let Some(file) = self.mounts.as_ref() else { return false };
        let mut fds = [rustix::event::PollFd::new(file, rustix::event::PollFlags::PRI)];
        let zero = rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 };
        rustix::event::poll(&mut fds, Some(&zero)).is_ok_and(|n| n > 0)
    }

    /// True when an anchor no longer resolves to what it did when the index was validated.
    pub fn anchors_moved(&self) -> bool {
        self.stamp_anchors() != self.anchor_stamps
    }

    fn stamp_anchors(&self) -> Vec<Seen> {
        self.anchors
            .iter()
            .map(|a| match a.kind {
                // A directory's mtime changes with its entries, which its watch reports.
                AnchorKind::Dir => Seen::Stamp(Stamp::read(&a.path).map(|s| Stamp {
                    mtime_ns: 0,
                    ctime_ns: 0,
                    size: 0,
                    ..s
                })),
                AnchorKind::File => Seen::Stamp(Stamp::read(&a.path)),
                AnchorKind::Link => Seen::Link(LinkTarget::of(&a.path)),
            })
            .collect()
    }

    /// Brings the watches in line with `index` (new paths watched, paths no longer in it
    /// released) and returns whether any watch or anchor is new: then a change may have
    /// happened before it was in place, and the index must be validated once more.
    fn watch_index(&mut self, search: &SearchPath, index: &Index) -> Result<bool, WatchError> {
        let manifests: Vec<(PathBuf, Stamp)> = index
            .entries
            .iter()
            .flat_map(|e| {
                e.manifests
                    .iter()
                    .filter_map(|m| Some((e.found.dir.join(m.kind.file_name()), m.stamp?)))
            })
            .collect();
        let dirs = index.visited.iter().map(|(dir, stamp)| (dir.as_path(), Kind::Dir, *stamp));
        let packages = index
            .entries
            .iter()
            .filter_map(|e| Some((e.found.dir.as_path(), Kind::Dir, e.found.stamp?)));
        let files = manifests.iter().map(|(path, stamp)| (path.as_path(), Kind::File, *stamp));
        let wanted: Vec<(&Path, Kind, Stamp)> = dirs.chain(packages).chain(files).collect();
        let mut added = false;
        let mut next: HashMap<PathBuf, Watched> = HashMap::with_capacity(wanted.len());
        for (path, kind, stamp) in wanted {
            let (dev, ino) = (stamp.dev, stamp.ino);
            if let Some(w) = self.watched.get(path)
                && w.dev == dev
                && w.ino == ino
                && w.kind == kind
                && self.live.contains_key(&w.wd)
            {
                next.insert(path.to_owned(), *w);
                continue;
            }
            match inotify::add_watch(&self.fd, path, kind.mask()) {
                Ok(wd) => {
                    added = true;
                    self.live.insert(wd, kind);
                    let symlink = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
                    next.insert(path.to_owned(), Watched { wd, kind, dev, ino, symlink });
                }
                // Gone or replaced since the crawl: validate again.
                Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => self.dirty = true,
                Err(Errno::NOSPC) => {
                    return Err(WatchError(
                        "the inotify watch limit is reached (raise fs.inotify.max_user_watches)"
                            .to_owned(),
                    ));
                }
                Err(e) => {
                    return Err(WatchError(format!("cannot watch {}: {e}", path.display())));
                }
            }
        }
        let kept: HashSet<i32> = next.values().map(|w| w.wd).collect();
        let released: Vec<i32> =
            self.live.keys().copied().filter(|wd| !kept.contains(wd)).collect();
        for wd in released {
            self.live.remove(&wd);
            let _ = inotify::remove_watch(&self.fd, wd);
        }
        self.watched = next;
        let mut anchors: Vec<Anchor> =
            search.roots().into_iter().map(|path| Anchor { path, kind: AnchorKind::Dir }).collect();
        let mut links: Vec<Anchor> = self
            .watched
            .iter()
            .filter(|(_, w)| w.symlink)
            .map(|(path, w)| Anchor {
                path: path.clone(),
                kind: match w.kind {
                    Kind::Dir => AnchorKind::Dir,
                    Kind::File => AnchorKind::File,
                },
            })
            .collect();
        links.sort_by(|a, b| a.path.cmp(&b.path));
        anchors.extend(links);
        anchors.extend(
            index
                .links
                .iter()
                .map(|(path, _)| Anchor { path: path.clone(), kind: AnchorKind::Link }),
        );
        if anchors != self.anchors {
            self.anchors = anchors;
            added = true;
        }
        Ok(added)
    }

    /// Validates `load`'s index against the disk until it is known to be current with every
    /// watch in place: drain, note the anchors, load (stat validation), watch what the index
    /// names, drain again; repeat while watches were new or anything moved meanwhile.
    pub fn settle<T>(
        &mut self,
        search: &SearchPath,
        mut load: impl FnMut() -> (Index, T),
    ) -> Result<Option<(Index, T)>, WatchError> {
        for _ in 0..8 {
            self.drain();
            self.dirty = false;
            let before = self.stamp_anchors();
            let (index, extra) = load();
            let added = self.watch_index(search, &index)?;
            self.drain();
            let after = self.stamp_anchors();
            if !added && !self.dirty && before == after {
                self.anchor_stamps = after;
                return Ok(Some((index, extra)));
            }
        }
        self.dirty = true;
        Ok(None)
    }
}
