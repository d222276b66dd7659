//! The lock file: `{"schema": 1, "inputs": {source: sha256}}`, sorted, written atomically.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic_write::{Readers, write_atomic};
use crate::exit::Hinted;

/// The lock file's format version.
pub const LOCK_SCHEMA: u32 = 1;

/// The recorded sha256 of every input, keyed by the source as given (URL or path).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Format version ([`LOCK_SCHEMA`]).
    pub schema: u32,
    /// Source → lowercase hex sha256 of its bytes as read (compressed bodies stay compressed).
    pub inputs: BTreeMap<String, String>,
}

impl Lock {
    /// An empty lock.
    pub fn new() -> Self {
        Lock { schema: LOCK_SCHEMA, inputs: BTreeMap::new() }
    }

    /// Parses a lock file's text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<Lock> {
        let lock: Lock = serde_json::from_str(text).map_err(|e| {
            Hinted::error(
                format!(
                    "{}:{}:{}: not a rosdeb lock file: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                ),
                "delete it and run again with --lock (without --frozen) to write a new one",
            )
        })?;
        if lock.schema != LOCK_SCHEMA {
            return Err(Hinted::error(
                format!("{}: lock file schema {} is not supported", path.display(), lock.schema),
                format!(
                    "this rosdeb reads schema {LOCK_SCHEMA}; write a new lock without --frozen"
                ),
            ));
        }
        Ok(lock)
    }

    /// Reads `path`; `None` when it does not exist.
    pub fn read(path: &Path) -> anyhow::Result<Option<Lock>> {
        match fs_err::read_to_string(path) {
            Ok(text) => Lock::parse(path, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The document as written: pretty JSON, sorted keys, final newline.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the lock to `path` through a temporary file and a rename.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        write_atomic(path, self.to_text().as_bytes(), Readers::Everyone)
    }

    /// Checks `sha256` of `source` against the lock (for `--frozen`); `lock_path` names the file.
    pub fn check(&self, lock_path: &Path, source: &str, sha256: &str) -> anyhow::Result<()> {
        match self.inputs.get(source) {
            Some(recorded) if recorded == sha256 => Ok(()),
            Some(recorded) => Err(Hinted::error(
                format!(
                    "{source} does not match the lock file {}: sha256 {} recorded, {} read (--frozen)",
                    lock_path.display(),
                    short(recorded),
                    short(sha256)
                ),
                "the input changed; review it, then run without --frozen to update the lock",
            )),
            None => Err(Hinted::error(
                format!("{source} is not in the lock file {} (--frozen)", lock_path.display()),
                format!("run without --frozen, with --lock {}, to record it", lock_path.display()),
            )),
        }
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
