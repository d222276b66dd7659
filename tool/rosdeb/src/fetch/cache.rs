//! The HTTP content cache: per URL, `<key>.body` (the bytes as received) and `<key>.json`
//! ([`Meta`]: URL, ETag, Last-Modified, sha256, size, fetched-at), `key` = the first 32 hex digits
//! of the URL's sha256.
//!
//! Entries are written only from a completely received body, each file through a temporary file
//! and a rename, body first. An entry is trusted only when its metadata names the same URL and
//! the body has the recorded size and sha256, so a crash between the two renames (or any damage)
//! reads as "not cached", never as wrong content.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::sha256_hex;
use crate::atomic_write::{Readers, write_atomic};

/// The metadata file's format version.
const META_SCHEMA: u32 = 1;

/// What the cache knows about one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Format version.
    pub schema: u32,
    /// The URL.
    pub url: String,
    /// The `ETag` response header, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` response header, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// sha256 of the body, lowercase hex.
    pub sha256: String,
    /// Body length in bytes.
    pub size: u64,
    /// When the body was received, seconds since the Unix epoch.
    pub fetched_at: u64,
}

/// A cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Self {
        Cache { dir }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The body and metadata files of `url`.
    pub fn paths(&self, url: &str) -> (PathBuf, PathBuf) {
        let key = &sha256_hex(url.as_bytes())[..32];
        (self.dir.join(format!("{key}.body")), self.dir.join(format!("{key}.json")))
    }

    /// The cached entry of `url`, if present and intact.
    pub fn get(&self, url: &str) -> Option<(Meta, Vec<u8>)> {
        let (body_path, meta_path) = self.paths(url);
        let meta: Meta = serde_json::from_slice(&fs_err::read(&meta_path).ok()?).ok()?;
        if meta.schema != META_SCHEMA || meta.url != url {
            return None;
        }
        let body = fs_err::read(&body_path).ok()?;
        if body.len() as u64 != meta.size || sha256_hex(&body) != meta.sha256 {
            tracing::debug!("cache entry for {url} is damaged; ignoring it");
            return None;
        }
        Some((meta, body))
    }

    /// Stores a completely received `body` for `url`; returns the metadata written.
    pub fn put(
        &self,
        url: &str,
        etag: Option<String>,
        last_modified: Option<String>,
        body: &[u8],
    ) -> anyhow::Result<Meta> {
        let meta = Meta {
            schema: META_SCHEMA,
            url: url.to_owned(),
            etag,
            last_modified,
            sha256: sha256_hex(body),
            size: body.len() as u64,
            fetched_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        let (body_path, meta_path) = self.paths(url);
        write_atomic(&body_path, body, Readers::Owner)?;
        let mut json = serde_json::to_vec_pretty(&meta)?;
        json.push(b'\n');
        write_atomic(&meta_path, &json, Readers::Owner)?;
        Ok(meta)
    }
}
