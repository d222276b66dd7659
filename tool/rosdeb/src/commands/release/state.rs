//! What earlier runs built, kept under `<work>/state/`: per package x target the key of its
//! inputs and the .deb it made; per codename what was last published where. Each record is
//! written to a temporary file and renamed, after the .deb it names exists, so a run killed at
//! any point leaves records that are either absent or true.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic_write::{Readers, write_atomic};

/// A built package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Built {
    /// SHA-256 over the inputs (see `release::input_key`).
    pub(super) key: String,
    /// The .deb's file name under `<work>/debs/<codename>/`.
    pub(super) deb: String,
    /// SHA-256 of the .deb.
    pub(super) sha256: String,
    /// Its Debian version.
    pub(super) version: String,
}

/// What was last published for a codename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Published {
    /// The repository (as given, made absolute).
    pub(super) repo: PathBuf,
    /// (file name, SHA-256) of every .deb published, sorted.
    pub(super) debs: Vec<(String, String)>,
}

/// The state folder of one work directory.
pub(super) struct Store {
    dir: PathBuf,
}

impl Store {
    pub(super) fn new(work: &Path) -> Store {
        Store { dir: work.join("state") }
    }

    fn built_path(&self, codename: &str, package: &str) -> PathBuf {
        self.dir.join(codename).join(format!("{package}.json"))
    }

    fn published_path(&self, codename: &str) -> PathBuf {
        self.dir.join(codename).join(".published.json")
    }

    /// The record of `package` for `codename`; `None` when absent or unreadable.
    pub(super) fn built(&self, codename: &str, package: &str) -> Option<Built> {
        read(&self.built_path(codename, package))
    }

    pub(super) fn set_built(
        &self,
        codename: &str,
        package: &str,
        built: &Built,
    ) -> anyhow::Result<()> {
        write(&self.built_path(codename, package), built)
    }

    pub(super) fn published(&self, codename: &str) -> Option<Published> {
        read(&self.published_path(codename))
    }

    pub(super) fn set_published(
        &self,
        codename: &str,
        published: &Published,
    ) -> anyhow::Result<()> {
        write(&self.published_path(codename), published)
    }
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let text = fs_err::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

fn write<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_atomic(path, &serde_json::to_vec_pretty(value)?, Readers::Owner)
}
