//! rosdep sources lists: `*.list` files of lines `yaml <url> [tags...]` (or the legacy
//! `gbpdistro <url> <tag>`), `#` comments, in the directories of `ROSDEP_SOURCE_PATH` (a
//! `:`-separated list that replaces the system directory) or `/etc/ros/rosdep/sources.list.d`.
//! Files are read in sorted order per directory, lines in order: that is the precedence.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Position};
use crate::distro::Error;

/// The environment variable naming the sources list directories.
pub const SOURCE_PATH_ENV: &str = "ROSDEP_SOURCE_PATH";

/// The system's sources list directory.
pub const SYSTEM_DIR: &str = "/etc/ros/rosdep/sources.list.d";

/// The kind of a sources list entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A rule file.
    Yaml,
    /// A legacy (electric / fuerte) gbpdistro file; rosdep ignores it for later distributions.
    Gbpdistro,
}

/// One line of a sources list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `yaml` or `gbpdistro`.
    pub kind: Kind,
    /// The URL (or path).
    pub url: String,
    /// Tags: the entry applies only where all of them match.
    pub tags: Vec<String>,
    /// The list file.
    pub origin: PathBuf,
    /// The 1-based line in it.
    pub line: u32,
}

impl Entry {
    /// `origin:line` for messages.
    pub fn place(&self) -> String {
        format!("{}:{}", self.origin.display(), self.line)
    }
}

/// The directories rosdep reads: those of `source_path` (the value of `ROSDEP_SOURCE_PATH`)
/// that exist, or, when it is unset, [`SYSTEM_DIR`] if it exists.
pub fn list_dirs(source_path: Option<&str>) -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = match source_path {
        Some(v) => v.split(':').map(PathBuf::from).collect(),
        None => vec![PathBuf::from(SYSTEM_DIR)],
    };
    dirs.into_iter().filter(|d| !d.as_os_str().is_empty() && d.exists()).collect()
}

/// Every entry of the `*.list` files of `dirs`, files sorted per directory.
pub fn read_dirs(dirs: &[PathBuf]) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    for dir in dirs {
        let mut files: Vec<PathBuf> = fs_err::read_dir(dir)
            .map_err(|source| Error::Io { path: dir.clone(), source })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "list"))
            .collect();
        files.sort();
        for file in files {
            let text = fs_err::read_to_string(&file)
                .map_err(|source| Error::Io { path: file.clone(), source })?;
            entries.extend(parse(&file, &text)?);
        }
    }
    Ok(entries)
}

/// Parses one sources list (`path` is for diagnostics).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, Diagnostic> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let column = u32::try_from(raw.len() - raw.trim_start().len() + 1).unwrap_or(1);
        let at = Position::new(line_no, column);
        let mut words = line.split_whitespace();
        let kind = match words.next() {
            Some("yaml") => Kind::Yaml,
            Some("gbpdistro") => Kind::Gbpdistro,
            Some(other) => {
                return Err(Diagnostic::error(path, format!("unknown source type '{other}'"))
                    .at(at)
                    .with_hint("a line is `yaml <url> [tags...]`"));
            }
            None => continue,
        };
        let Some(url) = words.next() else {
            return Err(Diagnostic::error(path, "a source line needs a URL")
                .at(at)
                .with_hint("a line is `yaml <url> [tags...]`"));
        };
        entries.push(Entry {
            kind,
            url: url.to_owned(),
            tags: words.map(str::to_owned).collect(),
            origin: path.to_owned(),
            line: line_no,
        });
    }
    Ok(entries)
}
