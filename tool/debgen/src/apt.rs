//! An apt repository on disk, published from `.deb` files: `pool/` plus one
//! `dists/<codename>/` per codename, with one component, `main`.
//!
//! Layout (what reprepro writes; `InRelease` and `Release.gpg` only when signing, see `sign.rs`):
//! `pool/main/<prefix>/<source>/<package>_<version>_<arch>.deb` (prefix: the first letter, or
//! `libX` for `lib*` names) and `dists/<codename>/{Release, main/binary-<arch>/Packages{,.gz,.xz}}`.
//! `Architecture: all` packages are listed in every `binary-<arch>/Packages`. Several versions of
//! a package may live side by side; a name, version and architecture that is already published
//! is never replaced with different content.
//!
//! Publication is atomic per codename: the new `dists/<codename>` is written whole into the
//! hidden sibling `dists/.<codename>.<hash>/` and `dists/<codename>` is a symlink swapped to it
//! with one `rename`, so a reader always sees a `Release` together with the `Packages` files it
//! describes. `Acquire-By-Hash` is on and the previous generation's indexes are carried under
//! `by-hash/`, so an apt that read the old `Release` just before a swap still finds the
//! matching `Packages`. Pool files are written to a temporary file and renamed, and never overwritten.
//! Publishers of one repository take turns: each holds an exclusive lock on the repository
//! (`lock.rs`) from reading its state to the swap, and first removes what a crashed one left.
//!
//! Every `.deb` is verified whole before anything is written (`verify.rs`: ar structure, both
//! tar members decompressed to their end), and every control field that forms a pool path or is
//! copied into `Packages` is checked where it enters (`fields.rs`); the pool path must stay inside
//! the repository, through real directories only.
//!
//! The repository's state is read back from disk (`Release` and `Packages` files); there is no
//! private database.

mod fields;
mod lock;
mod sign;
mod verify;
mod version;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Read, Write as _};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use md5::Md5;
use sha2::{Digest as _, Sha256};

use crate::deb::{Control, ControlError};

pub use lock::LOCK_FILE;
pub use sign::{SignError, Signer, write_new};
pub use version::compare_versions;

/// The one component every codename has.
pub const COMPONENT: &str = "main";

/// How long [`publish`] waits for another publisher of the same repository by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// Why a repository could not be read or published. Nothing changes on disk on error, apart
/// from pool files of packages that were checked and are not yet listed anywhere, and the
/// repository's lock file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AptError {
    /// A file given to publish that is not a readable binary package.
    #[error("`{path}` is not a usable .deb: {reason}")]
    NotADeb {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A control field of a `.deb` that cannot go into a pool path or a `Packages` stanza.
    #[error("`{path}`: field `{field}`: {value:?} {reason}")]
    BadField {
        /// The `.deb`.
        path: PathBuf,
        /// The field name.
        field: String,
        /// Its value.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Another publisher held the repository's lock for the whole timeout.
    #[error("`{path}` is held by another publisher; gave up after {} s", .waited.as_secs())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// How long this run waited.
        waited: Duration,
    },
    /// The control file inside a `.deb` or a stanza of a `Packages` file is malformed.
    #[error("`{path}`: {source}")]
    Control {
        /// The `.deb` or `Packages` file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: ControlError,
    },
    /// The same package name and version is already published with different content.
    #[error(
        "`{}` {} ({}) is already in `{}` with different content (published sha256 {}, new \
         sha256 {})",
        .0.package, .0.version, .0.architecture, .0.codename, .0.published, .0.new
    )]
    Conflict(Box<Conflict>),
    /// A pool file of the same name exists with different content (another codename has it).
    #[error("`{path}` already exists in the pool with different content")]
    PoolConflict {
        /// The pool file.
        path: PathBuf,
    },
    /// A codename or architecture that cannot be a directory name of a repository, or an
    /// `Origin` / `Label` that cannot be a one-line `Release` field.
    #[error("`{value}` is not a valid {what}: {reason}")]
    BadName {
        /// `codename`, `architecture`, or the `Release` field.
        what: &'static str,
        /// The value given.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// A codename that would have no `binary-<arch>` index.
    #[error("`{codename}` has no architecture: only `Architecture: all` packages were given")]
    NoArchitecture {
        /// The codename.
        codename: String,
    },
    /// The repository on disk is not in the shape this module writes.
    #[error("`{path}`: {reason}")]
    BadRepository {
        /// The offending file or directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The codename is signed (`InRelease`) but no key was given: publishing would drop the
    /// signature apt clients require.
    #[error("`{codename}` is signed (it has an InRelease); publishing to it needs the signing key")]
    SigningKeyRequired {
        /// The codename.
        codename: String,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Reading or writing (the message names the file).
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A package refused because its name and version are published with different content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The codename.
    pub codename: String,
    /// The package name.
    pub package: String,
    /// The version.
    pub version: String,
    /// The architecture of the new package.
    pub architecture: String,
    /// SHA-256 of what is published.
    pub published: String,
    /// SHA-256 of the new file.
    pub new: String,
}

/// One package of a codename, as its `Packages` stanza says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `Package`.
    pub package: String,
    /// `Version`.
    pub version: String,
    /// `Architecture` (`all` or one architecture).
    pub architecture: String,
    /// `Filename`: the pool path, relative to the repository root.
    pub filename: String,
    /// `Size` in bytes.
    pub size: u64,
    /// `SHA256`, lowercase hex.
    pub sha256: String,
    /// The whole stanza.
    stanza: Control,
}

/// The ordering key of entries: package, then Debian version order, then architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    package: String,
    version: String,
    architecture: String,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.package
            .cmp(&other.package)
            .then_with(|| compare_versions(&self.version, &other.version))
            // Equal under Debian's order (`1.0` and `1.00`) but different strings.
            .then_with(|| self.version.cmp(&other.version))
            .then_with(|| self.architecture.cmp(&other.architecture))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// One codename of a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suite {
    /// The `binary-<arch>` indexes (never `all`).
    pub architectures: BTreeSet<String>,
    entries: BTreeMap<Key, Entry>,
}

impl Suite {
    /// The packages, sorted by name, then version (Debian order), then architecture; an
    /// `Architecture: all` package once.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }
}

/// A repository as read from disk: codename → suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repository {
    /// The codenames, sorted.
    pub suites: BTreeMap<String, Suite>,
}

/// Settings of [`publish`].
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Architectures to index besides those of the packages (needed when only
    /// `Architecture: all` packages are published).
    pub architectures: Vec<String>,
    /// The `Release` file's `Date`, seconds since 1970 (`SOURCE_DATE_EPOCH`).
    pub date: i64,
    /// `Origin` of the `Release` file.
    pub origin: String,
    /// `Label` of the `Release` file.
    pub label: String,
    /// Sign `Release`: `InRelease` and `Release.gpg`, made at `date`.
    pub signer: Option<Signer>,
    /// How long to wait for another publisher of the repository ([`DEFAULT_LOCK_TIMEOUT`]).
    pub lock_timeout: Duration,
}

/// What [`publish`] did with each `.deb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Packages newly listed in the codename, in the order given.
    pub added: Vec<Entry>,
    /// Packages that were already there with the same content (nothing done).
    pub unchanged: Vec<Entry>,
    /// Whether `dists/<codename>` was rewritten.
    pub rewritten: bool,
}

impl Repository {
    /// Reads every `dists/<codename>` of the repository at `root` (none when `root` or its
    /// `dists/` is missing).
    pub fn open(root: &Path) -> Result<Repository, AptError> {
        let mut repository = Repository::default();
        let dists = root.join("dists");
        if !dists.exists() {
            return Ok(repository);
        }
        let mut names = Vec::new();
        for item in fs_err::read_dir(&dists)? {
            let name = item?.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.starts_with('.') {
                names.push(name.to_owned());
            }
        }
        names.sort();
        for codename in names {
            let suite = read_suite(&dists.join(&codename))?;
            repository.suites.insert(codename, suite);
        }
        Ok(repository)
    }
}

fn read_suite(dir: &Path) -> Result<Suite, AptError> {
    let release_path = dir.join("Release");
    let release = parse_stanzas(&release_path, &fs_err::read_to_string(&release_path)?)?;
    let architectures: BTreeSet<String> = release
        .first()
        .and_then(|r| r.get("Architectures"))
        .unwrap_or_default()
        .split_whitespace()
        .filter(|a| *a != "all")
        .map(str::to_owned)
        .collect();
    let mut suite = Suite { architectures, entries: BTreeMap::new() };
    for arch in suite.architectures.clone() {
        let path = dir.join(COMPONENT).join(format!("binary-{arch}")).join("Packages");
        for stanza in parse_stanzas(&path, &fs_err::read_to_string(&path)?)? {
            let entry = entry_from_stanza(&path, stanza)?;
            suite.entries.insert(key(&entry), entry);
        }
    }
    Ok(suite)
}

fn parse_stanzas(path: &Path, text: &str) -> Result<Vec<Control>, AptError> {
    let mut stanzas = Vec::new();
    for paragraph in text.split("\n\n") {
        if paragraph.trim().is_empty() {
            continue;
        }
        let control = Control::parse(paragraph)
            .map_err(|source| AptError::Control { path: path.to_owned(), source })?;
        stanzas.push(control);
    }
    Ok(stanzas)
}

fn entry_from_stanza(path: &Path, stanza: Control) -> Result<Entry, AptError> {
    let field = |name: &str| {
        stanza.get(name).map(str::to_owned).ok_or_else(|| AptError::BadRepository {
            path: path.to_owned(),
            reason: format!("a stanza has no `{name}` field"),
        })
    };
    let size = field("Size")?;
    let size = size.parse().map_err(|_| AptError::BadRepository {
        path: path.to_owned(),
        reason: format!("`Size: {size}` is not a number"),
    })?;
    Ok(Entry {
        package: field("Package")?,
        version: field("Version")?,
        architecture: field("Architecture")?,
        filename: field("Filename")?,
        size,
        sha256: field("SHA256")?,
        stanza,
    })
}

fn key(entry: &Entry) -> Key {
    Key {
        package: entry.package.clone(),
        version: entry.version.clone(),
        architecture: entry.architecture.clone(),
    }
}

/// A `.deb` read for publication.
struct Incoming {
    path: PathBuf,
    entry: Entry,
}

/// Adds `debs` to `codename` of the repository at `root` (created when missing) and rewrites
/// `dists/<codename>` when anything changed.
///
/// Every `.deb` is verified whole and its fields checked first, then the repository is locked
/// (waiting up to `options.lock_timeout` for another publisher), leftovers of an interrupted
/// publish are removed, and the state is read.
///
/// Everything is checked before anything is written: a package whose name, version and
/// architecture are already published (or that would share a `Packages` index with a published
/// `all` / architecture-specific build of the same version) with different content is refused,
/// as is a pool file that exists with different content. Republishing identical files is a
/// no-op.
pub fn publish(
    root: &Path,
    codename: &str,
    debs: &[PathBuf],
    options: &PublishOptions,
) -> Result<Published, AptError> {
    check_name("codename", codename)?;
    for arch in &options.architectures {
        check_name("architecture", arch)?;
    }
    for (what, value) in
        [("Release field `Origin`", &options.origin), ("Release field `Label`", &options.label)]
    {
        let place = crate::deb822::Place::new("Release", what);
        crate::deb822::single_line(&place, value).map_err(|_| AptError::BadName {
            what,
            value: value.clone(),
            reason: "a Release field value is one line without control characters",
        })?;
    }
    let mut incoming: Vec<Incoming> = Vec::new();
    for path in debs {
        incoming.push(read_deb(path)?);
    }
    // A new codename of only `all` packages has no index: say so before creating anything.
    let only_all = incoming.iter().all(|i| i.entry.architecture == "all");
    let link = root.join("dists").join(codename);
    if only_all && options.architectures.is_empty() && fs_err::symlink_metadata(&link).is_err() {
        return Err(AptError::NoArchitecture { codename: codename.to_owned() });
    }
    // Held from reading the state to the swap: concurrent publishers take turns.
    let _lock = lock::RepositoryLock::acquire(root, options.lock_timeout)?;
    lock::clean_stale(root)?;
    let repository = Repository::open(root)?;
    let mut suite = repository.suites.get(codename).cloned().unwrap_or_default();
    let existed = repository.suites.contains_key(codename);
    let mut published = Published { added: Vec::new(), unchanged: Vec::new(), rewritten: false };
    let mut to_copy: Vec<&Incoming> = Vec::new();
    for (index, new) in incoming.iter().enumerate() {
        let earlier = incoming[..index].iter().map(|i| &i.entry);
        let clash = suite.entries.values().chain(earlier).find(|old| {
            old.package == new.entry.package
                && old.version == new.entry.version
                && (old.architecture == new.entry.architecture
                    || old.architecture == "all"
                    || new.entry.architecture == "all")
        });
        if let Some(old) = clash {
            if old.sha256 == new.entry.sha256 && old.architecture == new.entry.architecture {
                if !published.unchanged.iter().chain(&published.added).any(|e| e == old) {
                    published.unchanged.push(old.clone());
                }
                continue;
            }
            return Err(AptError::Conflict(Box::new(Conflict {
                codename: codename.to_owned(),
                package: new.entry.package.clone(),
                version: new.entry.version.clone(),
                architecture: new.entry.architecture.clone(),
                published: old.sha256.clone(),
                new: new.entry.sha256.clone(),
            })));
        }
        let pool_file = root.join(&new.entry.filename);
        if pool_file.exists() && file_hashes(&pool_file)?.1 != new.entry.sha256 {
            return Err(AptError::PoolConflict { path: pool_file });
        }
        to_copy.push(new);
        published.added.push(new.entry.clone());
    }

    let mut architectures = suite.architectures.clone();
    architectures.extend(options.architectures.iter().cloned());
    for new in &to_copy {
        if new.entry.architecture != "all" {
            architectures.insert(new.entry.architecture.clone());
        }
    }
    if architectures.is_empty() {
        return Err(AptError::NoArchitecture { codename: codename.to_owned() });
    }
    // A codename signed before stays signed; one signed by another key (or not at all) is
    // re-signed by this key even when no package changed.
    let in_release = fs_err::read_to_string(root.join("dists").join(codename).join("InRelease"));
    let signed_ok = match (&options.signer, &in_release) {
        (None, Ok(_)) if existed => {
            return Err(AptError::SigningKeyRequired { codename: codename.to_owned() });
        }
        (None, _) => true,
        (Some(signer), Ok(text)) => signer.verifies(text),
        (Some(_), Err(_)) => false,
    };
    if existed && to_copy.is_empty() && architectures == suite.architectures && signed_ok {
        return Ok(published);
    }

    for new in &to_copy {
        pool_dir(root, &new.entry.filename)?;
        copy_to_pool(&new.path, &root.join(&new.entry.filename), &new.entry.sha256)?;
        suite.entries.insert(key(&new.entry), new.entry.clone());
    }
    suite.architectures = architectures;
    write_dists(root, codename, &suite, options)?;
    published.rewritten = true;
    Ok(published)
}

fn check_name(what: &'static str, value: &str) -> Result<(), AptError> {
    let bad = |reason| Err(AptError::BadName { what, value: value.to_owned(), reason });
    let ok = value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+.-".contains(&b));
    if !ok {
        return bad("expected [a-z0-9][a-z0-9.+-]*");
    }
    if what == "architecture" && value == "all" {
        return bad("`all` packages are listed in every architecture; name real ones");
    }
    Ok(())
}

/// Verifies a `.deb` whole, checks the control fields that reach the repository, and computes
/// its pool path.
fn read_deb(path: &Path) -> Result<Incoming, AptError> {
    let verified = verify::verify(path).map_err(|refusal| match refusal {
        verify::Refusal::Invalid(reason) => AptError::NotADeb { path: path.to_owned(), reason },
        verify::Refusal::Io(e) => AptError::Io(e),
    })?;
    let control = Control::parse(&verified.control)
        .map_err(|source| AptError::Control { path: path.to_owned(), source })?;
    let identity =
        control.identity().map_err(|source| AptError::Control { path: path.to_owned(), source })?;
    let bad_field = |e: fields::BadField| AptError::BadField {
        path: path.to_owned(),
        field: e.field,
        value: e.value,
        reason: e.reason,
    };
    fields::package_name("Package", &identity.package).map_err(bad_field)?;
    fields::version("Version", &identity.version).map_err(bad_field)?;
    fields::architecture(&identity.architecture).map_err(bad_field)?;
    let source = match control.get("Source") {
        Some(value) => fields::source(value).map_err(bad_field)?.to_owned(),
        None => identity.package.clone(),
    };
    for (name, value) in control.fields() {
        fields::copied_value(name, value).map_err(bad_field)?;
    }
    let (md5, sha256, size) = (verified.md5, verified.sha256, verified.size);
    let prefix = if source.starts_with("lib") && source.len() > 3 {
        source.get(..4).unwrap_or(&source)
    } else {
        source.get(..1).unwrap_or(&source)
    };
    let version = identity.version.split_once(':').map_or(&*identity.version, |(_, v)| v);
    let filename = format!(
        "pool/{COMPONENT}/{prefix}/{source}/{}_{version}_{}.deb",
        identity.package, identity.architecture
    );
    // The checks above leave no way out of the pool; this keeps it so if they ever loosen.
    let inside = Path::new(&filename).components().all(|c| matches!(c, Component::Normal(_)));
    if !inside || filename.contains(['\n', '\r']) {
        return Err(AptError::BadField {
            path: path.to_owned(),
            field: "Filename".to_owned(),
            value: filename,
            reason: "would leave the repository's pool",
        });
    }

    let mut stanza = Control::default();
    for (name, value) in control.fields() {
        let generated = ["Description", "Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512"];
        if !generated.iter().any(|g| g.eq_ignore_ascii_case(name)) {
            stanza.set(name, value);
        }
    }
    stanza.set("Filename", &filename);
    stanza.set("Size", &size.to_string());
    stanza.set("MD5sum", &md5);
    stanza.set("SHA256", &sha256);
    if let Some(description) = control.get("Description") {
        stanza.set("Description", description);
    }
    Ok(Incoming {
        path: path.to_owned(),
        entry: Entry {
            package: identity.package,
            version: identity.version,
            architecture: identity.architecture,
            filename,
            size,
            sha256,
            stanza,
        },
    })
}

/// Creates the directories of a pool file's path below `root`, refusing any that exists as
/// something else than a real directory (a symlink there could lead out of the repository).
fn pool_dir(root: &Path, filename: &str) -> Result<(), AptError> {
    let mut dir = root.to_owned();
    let parent = Path::new(filename).parent().unwrap_or(Path::new(""));
    for component in parent.components() {
        let Component::Normal(name) = component else {
            return Err(AptError::BadRepository {
                path: root.join(filename),
                reason: "the pool path is not a plain relative path".to_owned(),
            });
        };
        dir.push(name);
        match fs_err::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(AptError::BadRepository {
                    path: dir,
                    reason: "is not a directory (pool directories must be real directories, \
                             not symlinks)"
                        .to_owned(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs_err::create_dir(&dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e.into()),
                _ => {}
            },
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// MD5, SHA-256 (lowercase hex) and size of a file.
fn file_hashes(path: &Path) -> io::Result<(String, String, u64)> {
    let mut file = fs_err::File::open(path)?;
    let (mut md5, mut sha256, mut size) = (Md5::new(), Sha256::new(), 0u64);
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        md5.update(&buf[..n]);
        sha256.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(md5.finalize()), hex::encode(sha256.finalize()), size))
}

/// Copies a `.deb` into the pool through a temporary file, then checks what landed.
fn copy_to_pool(from: &Path, to: &Path, sha256: &str) -> Result<(), AptError> {
    if to.exists() {
        return Ok(()); // checked equal by the caller
    }
    let dir = to.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new().prefix(".pool.").tempfile_in(dir)?;
    io::copy(&mut fs_err::File::open(from)?, temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    if file_hashes(temp.path())?.1 != sha256 {
        return Err(AptError::NotADeb {
            path: from.to_owned(),
            reason: "it changed while being published".to_owned(),
        });
    }
    use std::os::unix::fs::PermissionsExt as _;
    temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    temp.persist_noclobber(to).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            AptError::PoolConflict { path: to.to_owned() }
        } else {
            AptError::Io(io::Error::new(e.error.kind(), format!("writing `{}`", to.display())))
        }
    })?;
    Ok(())
}

/// The files of `dists/<codename>/`, relative to it, in memory.
fn render_dists(
    codename: &str,
    suite: &Suite,
    options: &PublishOptions,
) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for arch in &suite.architectures {
        let mut packages = String::new();
        for entry in suite.entries.values() {
            if entry.architecture == *arch || entry.architecture == "all" {
                if !packages.is_empty() {
                    packages.push('\n');
                }
                packages.push_str(&entry.stanza.render());
            }
        }
        let base = format!("{COMPONENT}/binary-{arch}/Packages");
        let mut gz =
            flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
        gz.write_all(packages.as_bytes())?;
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(packages.as_bytes())?;
        files.insert(format!("{base}.gz"), gz.finish()?);
        files.insert(format!("{base}.xz"), xz.finish()?);
        files.insert(base, packages.into_bytes());
    }
    let release = render_release(codename, suite, options, &files);
    files.insert("Release".to_owned(), release.into_bytes());
    Ok(files)
}

fn render_release(
    codename: &str,
    suite: &Suite,
    options: &PublishOptions,
    files: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut out = String::new();
    let architectures: Vec<&str> = suite.architectures.iter().map(String::as_str).collect();
    let _ = writeln!(out, "Origin: {}", options.origin);
    let _ = writeln!(out, "Label: {}", options.label);
    let _ = writeln!(out, "Suite: {codename}");
    let _ = writeln!(out, "Codename: {codename}");
    let date = crate::date::release_date(options.date);
    let _ = writeln!(out, "Date: {date}");
    let _ = writeln!(out, "Architectures: {}", architectures.join(" "));
    let _ = writeln!(out, "Components: {COMPONENT}");
    out.push_str("Acquire-By-Hash: yes\n");
    out.push_str("MD5Sum:\n");
    for (name, bytes) in files {
        let _ = writeln!(out, " {} {:>16} {name}", hex::encode(Md5::digest(bytes)), bytes.len());
    }
    out.push_str("SHA256:\n");
    for (name, bytes) in files {
        let _ = writeln!(out, " {} {:>16} {name}", hex::encode(Sha256::digest(bytes)), bytes.len());
    }
    out
}

/// `main/binary-amd64/Packages` → `main/binary-amd64/by-hash/SHA256/<sha256>`.
fn by_hash_path(name: &str, sha256: &str) -> String {
    match name.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/by-hash/SHA256/{sha256}"),
        None => format!("by-hash/SHA256/{sha256}"),
    }
}

/// The `(sha256, path)` lines of a Release file's `SHA256` section; paths that could leave the
/// directory are skipped.
fn release_sha256(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(' ') {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            if let (true, [hash, _, name]) = (in_section, parts.as_slice()) {
                let safe = !name.starts_with('/') && !name.split('/').any(|c| c == "..");
                let hex_ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
                if safe && hex_ok {
                    out.push(((*hash).to_owned(), (*name).to_owned()));
                }
            }
        } else {
            in_section = line.trim_end() == "SHA256:";
        }
    }
    out
}

/// Writes `dists/.<codename>.<hash>/` whole and swaps the `dists/<codename>` symlink to it.
fn write_dists(
    root: &Path,
    codename: &str,
    suite: &Suite,
    options: &PublishOptions,
) -> Result<(), AptError> {
    let dists = root.join("dists");
    fs_err::create_dir_all(&dists)?;
    let link = dists.join(codename);
    let old_target = match fs_err::symlink_metadata(&link) {
        Ok(meta) if meta.file_type().is_symlink() => Some(fs_err::read_link(&link)?),
        Ok(_) => {
            return Err(AptError::BadRepository {
                path: link,
                reason: "is not the symlink rosdeb publishes (a directory or file is in the way)"
                    .to_owned(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };

    let mut files = render_dists(codename, suite, options)?;
    let release = files.get("Release").cloned().unwrap_or_default();
    let mut by_hash = BTreeMap::new();
    for (name, bytes) in &files {
        if name != "Release" {
            by_hash.insert(by_hash_path(name, &hex::encode(Sha256::digest(bytes))), bytes.clone());
        }
    }
    // The previous generation's indexes stay reachable by hash, so an apt that read the old
    // Release just before the swap still gets the Packages that Release describes.
    if let Some(old) = &old_target {
        let old_dir = dists.join(old);
        let old_release = old_dir.join("Release");
        if let Ok(text) = fs_err::read_to_string(&old_release) {
            for (sha256, name) in release_sha256(&text) {
                let path = by_hash_path(&name, &sha256);
                if !by_hash.contains_key(&path)
                    && let Ok(bytes) = fs_err::read(old_dir.join(&path))
                    && hex::encode(Sha256::digest(&bytes)) == sha256
                {
                    by_hash.insert(path, bytes);
                }
            }
        }
    }
    files.extend(by_hash);
    // The signatures are written in the same hidden directory as the Release they sign, so the
    // swap publishes them together. The directory name covers them: a re-signed Release gets
    // a new directory.
    let mut identity = Sha256::new();
    identity.update(&release);
    if let Some(signer) = &options.signer {
        let text = String::from_utf8_lossy(&release);
        let in_release = signer.clearsign(&text, options.date)?.into_bytes();
        let detached = signer.detached(&release, options.date)?.into_bytes();
        identity.update(&in_release);
        files.insert("InRelease".to_owned(), in_release);
        files.insert("Release.gpg".to_owned(), detached);
    }
    let target_name = format!(".{codename}.{}", &hex::encode(identity.finalize())[..16]);
    let target = dists.join(&target_name);
    if !target.exists() {
        let temp =
            tempfile::Builder::new().prefix(&format!(".{codename}.tmp-")).tempdir_in(&dists)?;
        for (name, bytes) in &files {
            let path = temp.path().join(name);
            if let Some(parent) = path.parent() {
                fs_err::create_dir_all(parent)?;
            }
            let mut file = fs_err::File::create(&path)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        use std::os::unix::fs::PermissionsExt as _;
        fs_err::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755))?;
        fs_err::rename(temp.keep(), &target)?;
    }

    let temp_link = dists.join(format!(".{codename}.link-{}", std::process::id()));
    match fs_err::remove_file(&temp_link) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    fs_err::os::unix::fs::symlink(&target_name, &temp_link)?;
    fs_err::rename(&temp_link, &link)?;

    let ours = |old: &Path| {
        old != Path::new(&target_name)
            && old
                .to_str()
                .is_some_and(|o| o.starts_with(&format!(".{codename}.")) && !o.contains('/'))
    };
    if let Some(old) = old_target.filter(|old| ours(old)) {
        fs_err::remove_dir_all(dists.join(old))?;
    }
    Ok(())
}
