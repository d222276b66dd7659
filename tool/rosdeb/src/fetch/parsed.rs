//! Parse results of inputs, cached on disk by content: a distribution file or a rosdep rule file
//! is parsed once per content, then read back in a few milliseconds.
//!
//! An entry is `<dir>/<kind>-<key>.postcard` (postcard, a compact binary serde format), `key` the first 32 hex digits of the sha256 of the
//! input's sha256, the kind and the identity of the running binary (its size and mtime), so a
//! new build never reads an entry an older build wrote. Only successful parses are stored;
//! entries are written through a temporary file and a rename, and one that does not decode is
//! ignored and rewritten. The folder is `parsed/` beside the HTTP cache
//! (`~/.cache/rosdeb/parsed`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::sha256_hex;
use crate::atomic_write::{Readers, write_atomic};

/// A folder of parse results.
#[derive(Debug, Clone)]
pub struct ParsedCache {
    dir: PathBuf,
}

impl ParsedCache {
    /// The cache of parse results beside the HTTP cache folder `http_dir`.
    pub fn beside(http_dir: &Path) -> ParsedCache {
        let dir = match http_dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("parsed"),
            _ => http_dir.join("parsed"),
        };
        ParsedCache { dir }
    }

    /// The parse result of content `sha256` as `kind` (which names everything besides the
    /// content that the result depends on): read from the cache, or made by `parse` and stored.
    /// Cache failures are never errors (the input is then parsed).
    pub fn get_or_parse<T, E>(
        &self,
        kind: &str,
        sha256: &str,
        parse: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
    {
        if let Some(bytes) = self.read(kind, sha256) {
            match postcard::from_bytes(&bytes) {
                Ok(value) => return Ok(value),
                Err(e) => tracing::debug!("{kind}: cached parse result does not decode: {e}"),
            }
        }
        let value = parse()?;
        if let Ok(bytes) = postcard::to_stdvec(&value) {
            self.store(kind, sha256, &bytes);
        }
        Ok(value)
    }

    /// The cached bytes of content `sha256` as `kind`, if any. Callers that decode them
    /// themselves (e.g. borrowing from them) [`store`](Self::store) what they parsed.
    pub fn read(&self, kind: &str, sha256: &str) -> Option<Vec<u8>> {
        let file = self.file(kind, sha256)?;
        let started = std::time::Instant::now();
        let bytes = fs_err::read(&file).ok()?;
        let read_us = started.elapsed().as_micros();
        tracing::debug!(read_us, "parse result read from {}", file.display());
        Some(bytes)
    }

    /// Stores `bytes` as the entry of content `sha256` as `kind` (atomically; failures are
    /// logged and otherwise ignored).
    pub fn store(&self, kind: &str, sha256: &str, bytes: &[u8]) {
        let Some(file) = self.file(kind, sha256) else { return };
        if let Err(e) = write_atomic(&file, bytes, Readers::Owner) {
            tracing::debug!("not caching the parse result in {}: {e:#}", file.display());
        }
    }

    fn file(&self, kind: &str, sha256: &str) -> Option<PathBuf> {
        let binary = binary_identity()?;
        let key = sha256_hex(format!("{sha256}\n{kind}\n{binary}").as_bytes());
        let prefix: String = kind
            .chars()
            .take(40)
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        Some(self.dir.join(format!("{prefix}-{}.postcard", &key[..32])))
    }
}

/// Size and mtime of the running executable, or `None` when it cannot be stat'ed.
fn binary_identity() -> Option<&'static str> {
    static IDENTITY: OnceLock<Option<String>> = OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            let meta = fs_err::metadata(exe).ok()?;
            let mtime = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
            Some(format!("{}:{}.{}", meta.len(), mtime.as_secs(), mtime.subsec_nanos()))
        })
        .as_deref()
}
