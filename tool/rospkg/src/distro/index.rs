//! The rosdistro index (`index.yaml` version 2/3, `index-v4.yaml` version 4, REP 143/153), read
//! as Python rosdistro's `Index` reads it: distribution file lists resolved against the index's
//! folder, v4's `distribution_status` / `distribution_type` / `python_version`.

use std::path::Path;

use indexmap::IndexMap;
use serde::Serialize;

use super::distribution::{self, DistributionFile, Reader};
use super::yaml::{self, Node, Value};
use super::{Error, read_text, resolve_source};
use crate::diagnostic::Diagnostic;

/// An index file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    /// Format version (2, 3 or 4).
    pub version: u32,
    /// Distributions, sorted by name.
    pub distributions: IndexMap<String, IndexEntry>,
}

/// One distribution in an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexEntry {
    /// Distribution files (one in v2, a list in v3/v4), resolved to paths or URLs.
    pub distribution: Vec<String>,
    /// `distribution_cache` URL, resolved.
    pub distribution_cache: Option<String>,
    /// v4 `distribution_status` (prerelease, active, end-of-life, rolling).
    pub distribution_status: Option<String>,
    /// v4 `distribution_type` (ros1, ros2).
    pub distribution_type: Option<String>,
    /// v4 `python_version`.
    pub python_version: Option<i64>,
}

impl Index {
    /// The entry for `name`, or an error listing the known names.
    pub fn entry(&self, name: &str, path: &Path) -> Result<&IndexEntry, Error> {
        self.distributions.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.distributions.keys().map(String::as_str).collect();
            Error::Invalid(
                Diagnostic::error(path, format!("no distribution named '{name}' in the index"))
                    .with_hint(format!("known distributions: {}", known.join(", "))),
            )
        })
    }
}

/// Reads an index from a path or `file://` URL.
pub fn load(source: &str) -> Result<(std::path::PathBuf, Index), Error> {
    let path = resolve_source(source)?;
    let text = read_text(&path)?;
    let index = parse(&path, &text)?;
    Ok((path, index))
}

/// Reads the index at `source` and the (merged) distribution files of `name`.
pub fn load_distribution(source: &str, name: &str) -> Result<DistributionFile, Error> {
    let (path, index) = load(source)?;
    let entry = index.entry(name, &path)?;
    distribution::load_merged(name, &entry.distribution)
}

/// Parses an index (`path` locates it: relative entries resolve against its folder).
pub fn parse(path: &Path, text: &str) -> Result<Index, Diagnostic> {
    let root: Node = yaml::from_str(path, text)?;
    let r = Reader { path };
    let map = r.map(&root, "an index file")?;
    match map.get("type") {
        Some(t) if t.value == Value::Str("index".into()) => {}
        Some(t) => {
            return Err(r.err(
                Some(t),
                format!("expected file type is 'index', not '{}'", t.value.python_str()),
            ));
        }
        None => return Err(r.err(Some(&root), "expected file type is 'index'")),
    }
    let version_node = map
        .get("version")
        .ok_or_else(|| r.err(Some(&root), "index file lacks required version information"))?;
    let version = r.int(version_node, "version")?;
    if version <= 1 {
        return Err(r
            .err(
                Some(version_node),
                format!("unable to handle 'index' format version '{version}' anymore"),
            )
            .with_hint("update your index file to version 2, 3 or 4"));
    }
    if version > 4 {
        return Err(r
            .err(Some(version_node), format!("unable to handle 'index' format version '{version}'"))
            .with_hint("this rosdeb reads index versions 2, 3 and 4"));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let resolve = |v: &str| -> String {
        if v.contains("://") || Path::new(v).is_absolute() {
            v.to_owned()
        } else {
            base.join(v).display().to_string()
        }
    };
    let mut distributions = IndexMap::new();
    if let Some(dists) = r.opt_map(map.get("distributions"), "distributions")? {
        let mut names: Vec<&String> = dists.keys().collect();
        names.sort();
        for name in names {
            let node = &dists[name];
            let data = r.opt_map(Some(node), &format!("distribution '{name}'"))?;
            let mut entry = IndexEntry {
                distribution: Vec::new(),
                distribution_cache: None,
                distribution_status: None,
                distribution_type: None,
                python_version: None,
            };
            for (key, value) in data.into_iter().flatten() {
                match key.as_str() {
                    "distribution_status" | "distribution_type" | "python_version" => {
                        if version < 4 {
                            return Err(r.err(
                                Some(value),
                                format!("'index' format version '{version}' does not allow a '{key}' entry"),
                            ));
                        }
                        match (key.as_str(), &value.value) {
                            ("python_version", Value::Int(i)) => {
                                entry.python_version = i64::try_from(*i).ok();
                            }
                            ("distribution_status", Value::Str(s)) => {
                                entry.distribution_status = Some(s.clone())
                            }
                            ("distribution_type", Value::Str(s)) => {
                                entry.distribution_type = Some(s.clone())
                            }
                            _ => {
                                return Err(
                                    r.err(Some(value), format!("wrong type of key \"{key}\""))
                                );
                            }
                        }
                    }
                    "distribution" => {
                        let list = matches!(value.value, Value::Seq(_));
                        if list != (version >= 3) {
                            return Err(r
                                .err(Some(value), format!("wrong type of key \"{key}\""))
                                .with_hint(if version >= 3 {
                                    "index versions 3 and 4 take a list: `distribution: [noetic/distribution.yaml]`"
                                } else {
                                    "index version 2 takes one path"
                                }));
                        }
                        entry.distribution = if list {
                            r.string_list(Some(value), key)?
                        } else {
                            r.scalar(Some(value), key)?.into_iter().collect()
                        };
                        entry.distribution =
                            entry.distribution.iter().map(|d| resolve(d)).collect();
                    }
                    "distribution_cache" => {
                        entry.distribution_cache = r.scalar(Some(value), key)?.map(|c| resolve(&c));
                    }
                    "release_builds" | "source_builds" | "doc_builds" if version >= 3 => {
                        return Err(r.err(
                            Some(value),
                            format!("'index' format version '{version}' does not allow a '{key}' entry anymore"),
                        ));
                    }
                    "release_builds" | "source_builds" | "doc_builds" => {} // v2 build files: unused
                    _ if version <= 3 => {
                        return Err(r.err(Some(value), format!("unknown key \"{key}\"")));
                    }
                    _ => {} // v4: unknown keys are ignored (REP 153)
                }
            }
            distributions.insert(name.clone(), entry);
        }
    }
    Ok(Index { version: u32::try_from(version).unwrap_or(4), distributions })
}
