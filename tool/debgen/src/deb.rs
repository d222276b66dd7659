//! `.deb` archives built natively from a staging tree, byte for byte reproducible.
//!
//! The archive is what `dpkg-deb --root-owner-group -Zxz --build` writes: an ar file holding
//! `debian-binary`, `control.tar.xz` (control, md5sums, conffiles, maintainer scripts) and
//! `data.tar.xz`. Entries are sorted, named `./…`, owned by root:root, dated no later than
//! `SOURCE_DATE_EPOCH`; modes are kept as staged, setuid, setgid and sticky bits included, and
//! hard links stay hard links (so a 0600 file stays private, as with dpkg-deb). The result is
//! written to a temporary file and renamed into place. For the same tree, control file and
//! epoch, the bytes equal those of `dpkg-deb --root-owner-group -Zxz --build` (the tests check
//! this on trees with private files, special bits and hard links).
//!
//! Layout: `control` parses and checks the control paragraph, `tree` walks the staging tree
//! (sorting, refusals, Installed-Size), `archive` writes the tar and ar bytes.

mod archive;
mod control;
mod tree;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

pub use control::{Control, ControlError};

use archive::{HashingWriter, TarWriter};
use tree::{Kind, Tree};

/// The maintainer scripts a binary package may carry (Debian Policy §6).
pub const MAINTAINER_SCRIPTS: &[&str] = &["config", "postinst", "postrm", "preinst", "prerm"];

/// Why a `.deb` could not be built. Nothing is left at the destination on error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The control paragraph is malformed or lacks a mandatory field.
    #[error("control file: {0}")]
    Control(#[from] ControlError),
    /// A path in the staging tree (relative to its root) that cannot go into a package.
    #[error("`{path}`: {reason}")]
    BadPath {
        /// The path, relative to the staging root.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A symlink that points out of the package.
    #[error("symlink `{path}` -> `{target}` points out of the package: {reason}")]
    SymlinkEscapes {
        /// The link, relative to the staging root.
        path: String,
        /// Its target as stored.
        target: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A conffile entry that is not a regular file of the package.
    #[error("conffile `{path}`: {reason}")]
    Conffile {
        /// The conffile as given.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A maintainer script with a bad name or content.
    #[error("maintainer script `{name}`: {reason}")]
    MaintainerScript {
        /// The script name as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// An xz level outside 0..=9.
    #[error("xz compression level {0} is out of range (0 to 9)")]
    CompressionLevel(u32),
    /// `SOURCE_DATE_EPOCH` is set but not a number of seconds.
    #[error("SOURCE_DATE_EPOCH=`{0}` is not a non-negative integer")]
    SourceDateEpoch(String),
    /// Reading the staging tree (the message names the file).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Writing the archive.
    #[error("writing `{path}`")]
    Write {
        /// The file being written (its final name).
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// An I/O error of [`DebBuilder::write_data`] that is about the output (the disk is full,
/// a quota, a read-only file system) as a [`BuildError::Write`] naming the output file; errors
/// reading the staging tree keep their own message, which names the file read.
fn output_error(error: BuildError, path: &Path) -> BuildError {
    match error {
        BuildError::Io(source)
            if matches!(
                source.kind(),
                io::ErrorKind::StorageFull
                    | io::ErrorKind::QuotaExceeded
                    | io::ErrorKind::ReadOnlyFilesystem
                    | io::ErrorKind::FileTooLarge
            ) =>
        {
            BuildError::Write { path: path.to_owned(), source }
        }
        other => other,
    }
}

/// A `.deb` that has been written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltDeb {
    /// Where it is: `<out_dir>/<package>_<version without epoch>_<arch>.deb`.
    pub path: PathBuf,
    /// The package name.
    pub name: String,
    /// The version, epoch included.
    pub version: String,
    /// The architecture.
    pub architecture: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// File size in bytes.
    pub size: u64,
    /// The `Installed-Size` written into the control file, in KiB.
    pub installed_size_kib: u64,
}

/// Builds one `.deb` from a control paragraph and a staging tree (the future `/`).
#[derive(Debug, Clone)]
pub struct DebBuilder {
    control: Control,
    staging: PathBuf,
    source_date_epoch: Option<u64>,
    conffiles: Vec<String>,
    scripts: BTreeMap<String, String>,
    xz_level: u32,
}

impl DebBuilder {
    /// A builder for `staging` (its contents become the package's files).
    ///
    /// `source_date_epoch` caps every timestamp in the archive; `None` takes the newest mtime in
    /// the staging tree, so identical trees still give identical archives.
    pub fn new(
        control: Control,
        staging: impl Into<PathBuf>,
        source_date_epoch: Option<u64>,
    ) -> Self {
        DebBuilder {
            control,
            staging: staging.into(),
            source_date_epoch,
            conffiles: Vec::new(),
            scripts: BTreeMap::new(),
            xz_level: 6,
        }
    }

    /// Reads `SOURCE_DATE_EPOCH` from the environment: `None` when unset or empty.
    pub fn source_date_epoch_from_env() -> Result<Option<u64>, BuildError> {
        match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if v.trim().is_empty() => Ok(None),
            Ok(v) => v.trim().parse().map(Some).map_err(|_| BuildError::SourceDateEpoch(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(v)) => {
                Err(BuildError::SourceDateEpoch(v.to_string_lossy().into_owned()))
            }
        }
    }

    /// Marks files as conffiles: absolute paths in the installed system, e.g. `/etc/foo.conf`.
    #[must_use]
    pub fn conffiles<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.conffiles.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Adds a maintainer script (`preinst`, `postinst`, `prerm`, `postrm` or `config`).
    #[must_use]
    pub fn maintainer_script(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.scripts.insert(name.into(), text.into());
        self
    }

    /// The xz preset for both tar members, 0 to 9 (default 6, as `dpkg-deb -Zxz`).
    #[must_use]
    pub fn xz_level(mut self, level: u32) -> Self {
        self.xz_level = level;
        self
    }

    /// Writes `<out_dir>/<package>_<version>_<arch>.deb` (created or replaced atomically).
    pub fn build(&self, out_dir: &Path) -> Result<BuiltDeb, BuildError> {
        if self.xz_level > 9 {
            return Err(BuildError::CompressionLevel(self.xz_level));
        }
        let identity = self.control.identity()?;
        self.check_scripts()?;
        let tree = Tree::walk(&self.staging)?;
        self.check_conffiles(&tree)?;
        let epoch = self.source_date_epoch.unwrap_or(tree.newest_mtime);

        let file_name = format!(
            "{}_{}_{}.deb",
            identity.package,
            control::version_without_epoch(&identity.version),
            identity.architecture
        );
        let path = out_dir.join(&file_name);
        let write_err = |source: io::Error| BuildError::Write { path: path.clone(), source };

        fs_err::create_dir_all(out_dir)?;
        if fs_err::canonicalize(out_dir)?.starts_with(&tree.root) {
            return Err(BuildError::BadPath {
                path: out_dir.display().to_string(),
                reason: "the output directory is inside the staging tree",
            });
        }
        let data_file = tempfile::tempfile_in(out_dir).map_err(write_err)?;
        let (mut data_file, md5sums) =
            self.write_data(&tree, epoch, data_file).map_err(|e| output_error(e, &path))?;
        let data_size = data_file.stream_position().map_err(write_err)?;
        data_file.seek(SeekFrom::Start(0)).map_err(write_err)?;

        let mut control = self.control.clone();
        control.set_after(
            "Installed-Size",
            &tree.installed_size_kib.to_string(),
            Some("Maintainer"),
        );
        let control_tar = self.control_tar(&control, &md5sums, epoch).map_err(write_err)?;

        let out = tempfile::Builder::new()
            .prefix(&format!(".{file_name}."))
            .tempfile_in(out_dir)
            .map_err(write_err)?;
        let mut writer = HashingWriter::new(BufWriter::new(out.as_file()));
        writer = archive::write_ar(
            writer,
            epoch,
            &control_tar,
            io::BufReader::new(&data_file),
            data_size,
        )
        .map_err(write_err)?;
        writer.flush().map_err(write_err)?;
        let (sha256, size) = (writer.sha256_hex(), writer.written);
        drop(writer);
        let file = out.as_file();
        file.set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        out.persist(&path).map_err(|e| write_err(e.error))?;

        Ok(BuiltDeb {
            path,
            name: identity.package,
            version: identity.version,
            architecture: identity.architecture,
            sha256,
            size,
            installed_size_kib: tree.installed_size_kib,
        })
    }

    fn check_scripts(&self) -> Result<(), BuildError> {
        for (name, text) in &self.scripts {
            let bad = |reason| BuildError::MaintainerScript { name: name.clone(), reason };
            if !MAINTAINER_SCRIPTS.contains(&name.as_str()) {
                return Err(bad("not one of config, postinst, postrm, preinst, prerm"));
            }
            if !text.starts_with("#!") {
                return Err(bad("does not start with a `#!` interpreter line"));
            }
        }
        Ok(())
    }

    fn check_conffiles(&self, tree: &Tree) -> Result<(), BuildError> {
        let mut seen = std::collections::HashSet::new();
        for conffile in &self.conffiles {
            let bad = |reason| BuildError::Conffile { path: conffile.clone(), reason };
            let Some(rel) = conffile.strip_prefix('/') else {
                return Err(bad("not an absolute path (dpkg needs `/etc/...`)"));
            };
            if conffile.contains(['\n', '\r']) {
                return Err(bad("contains a line break"));
            }
            if rel.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
                return Err(bad("has an empty, `.` or `..` component"));
            }
            if !seen.insert(rel) {
                return Err(bad("listed twice"));
            }
            let is_file = tree.entries.iter().any(|e| {
                e.rel == rel && matches!(e.kind, Kind::File { .. } | Kind::HardLink { .. })
            });
            if !is_file {
                return Err(bad("not a regular file in the staging tree"));
            }
        }
        Ok(())
    }

    /// Streams `data.tar.xz` into `file`; returns it and the md5sums lines' data.
    fn write_data(
        &self,
        tree: &Tree,
        epoch: u64,
        file: std::fs::File,
    ) -> Result<(std::fs::File, Vec<(String, String)>), BuildError> {
        let encoder =
            liblzma::write::XzEncoder::new_stream(BufWriter::new(file), xz_stream(self.xz_level)?);
        let mut tar = TarWriter::new(BufWriter::with_capacity(256 * 1024, encoder), 0);
        let mut md5sums = Vec::new();
        let mut first_md5: std::collections::HashMap<&str, String> =
            std::collections::HashMap::new();
        for entry in &tree.entries {
            tar.set_mtime(entry.mtime.min(epoch));
            let name = entry.tar_name();
            match &entry.kind {
                Kind::Dir => tar.dir(&name, entry.mode)?,
                Kind::Symlink { target } => tar.symlink(&name, target)?,
                Kind::File { size } => {
                    let source = fs_err::File::open(tree.root.join(&entry.rel))?;
                    let md5 = tar.file_reader(&name, entry.mode, *size, source)?;
                    first_md5.insert(entry.rel.as_str(), md5.clone());
                    md5sums.push((entry.rel.clone(), md5));
                }
                Kind::HardLink { target } => {
                    tar.hard_link(&name, entry.mode, &format!("./{target}"))?;
                    let md5 = first_md5.get(target.as_str()).cloned().unwrap_or_default();
                    md5sums.push((entry.rel.clone(), md5));
                }
            }
        }
        let buffered = tar.finish()?;
        let encoder = buffered.into_inner().map_err(io::IntoInnerError::into_error)?;
        let file = encoder.finish()?.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok((file, md5sums))
    }

    /// `control.tar.xz` in memory: members sorted by name, as dpkg-deb writes them.
    fn control_tar(
        &self,
        control: &Control,
        md5sums: &[(String, String)],
        epoch: u64,
    ) -> io::Result<Vec<u8>> {
        let mut members: BTreeMap<&str, (u32, Vec<u8>)> = BTreeMap::new();
        members.insert("control", (0o644, control.render().into_bytes()));
        if !md5sums.is_empty() {
            let text: String = md5sums.iter().map(|(rel, md5)| format!("{md5}  {rel}\n")).collect();
            members.insert("md5sums", (0o644, text.into_bytes()));
        }
        if !self.conffiles.is_empty() {
            let text: String = self.conffiles.iter().map(|c| format!("{c}\n")).collect();
            members.insert("conffiles", (0o644, text.into_bytes()));
        }
        for (name, text) in &self.scripts {
            members.insert(name, (0o755, text.clone().into_bytes()));
        }
        let encoder = liblzma::write::XzEncoder::new_stream(Vec::new(), xz_stream(self.xz_level)?);
        let mut tar = TarWriter::new(encoder, epoch);
        tar.dir("./", 0o755)?;
        for (name, (mode, data)) in &members {
            tar.file_bytes(&format!("./{name}"), *mode, data)?;
        }
        tar.finish()?.finish()
    }
}

/// An xz encoder as dpkg-deb sets it up: liblzma's multi-threaded encoder, CRC64, the preset's
/// default block size. Its output depends on the preset and block size only, never on the thread
/// count, so archives stay reproducible across machines.
fn xz_stream(level: u32) -> io::Result<liblzma::stream::Stream> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    liblzma::stream::MtStreamBuilder::new()
        .preset(level)
        .check(liblzma::stream::Check::Crc64)
        .threads(u32::try_from(threads).unwrap_or(1))
        .encoder()
        .map_err(io::Error::other)
}
