//! Distribution files: legacy `.rosdistro` (Python `rospkg.distro`) and the rosdistro formats
//! (REP 137/141/143/153: `index.yaml`, `distribution.yaml`, distribution caches `*.yaml.gz`).
//!
//! - [`legacy`]: `.rosdistro` stacks, rules and variants with rospkg's exact semantics.
//! - [`index`]: the index file (versions 2-4) and its distributions.
//! - [`distribution`]: distribution files (versions 1-2), caches, merging, release packages.
//! - `yaml`: the single serde-saphyr configuration (budgets, duplicate keys) used by both.
//!
//! Every problem in an input file is a [`Diagnostic`] with file:line:col where known; nothing
//! here panics on bad input. Inputs are local paths or `file://` URLs; callers that fetch by URL
//! (the `rosdeb` CLI) hand the bytes to [`decode_text`] and the `parse` functions.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;

pub mod distribution;
pub mod index;
pub mod legacy;
pub(crate) mod yaml;

#[cfg(test)]
mod tests;

/// Why a distribution input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid distribution input.
    #[error("{0}")]
    Invalid(Diagnostic),
    /// A URL scheme this version cannot fetch.
    #[error("cannot fetch {url}: only local paths and file:// URLs are supported for now")]
    Unsupported {
        /// The URL.
        url: String,
    },
}

impl Error {
    /// The diagnostic, for [`Error::Invalid`].
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            Error::Invalid(d) => Some(d),
            _ => None,
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Invalid(d)
    }
}

/// Turns a local path or `file://` URL into a path; other URLs are [`Error::Unsupported`].
pub fn resolve_source(source: &str) -> Result<PathBuf, Error> {
    if let Some(rest) = source.strip_prefix("file://") {
        // file:///abs/path or file://localhost/abs/path
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        return Ok(PathBuf::from(percent_decode(rest)));
    }
    if let Some((scheme, _)) = source.split_once("://")
        && !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return Err(Error::Unsupported { url: source.to_owned() });
    }
    Ok(PathBuf::from(source))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2)))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: Option<&u8>) -> Option<u8> {
    let b = *b?;
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Reads a text file, transparently gunzipping `*.gz` (or any gzip-magic) files. A truncated or
/// corrupt gzip stream is an [`Error::Invalid`] naming the file.
pub fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = fs_err::read(path).map_err(|source| Error::Io { path: path.into(), source })?;
    decode_text(path, bytes)
}

/// [`read_text`] for bytes already read (e.g. fetched by URL): gunzips gzip-magic data and
/// checks UTF-8; `path` names the input in errors.
pub fn decode_text(path: &Path, bytes: Vec<u8>) -> Result<String, Error> {
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut out).map_err(|e| {
            Diagnostic::error(path, format!("corrupt or truncated gzip data: {e}"))
                .with_hint("download the file again")
        })?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(
            Diagnostic::error(
                path,
                format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
            )
            .with_hint("distribution files are UTF-8 YAML"),
        )
    })
}
