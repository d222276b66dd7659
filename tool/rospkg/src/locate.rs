//! Why is a package (not) found? Every manifest on disk that claims a name, with the crawl rule
//! that hides it or the entry that shadows it (the `diagnose` command).
//!
//! Unlike the crawl, this walk does not stop at ignore markers, hidden directories or packages:
//! it looks everywhere below the search-path roots (symlink loops excepted) and then explains.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::manifest::{self, ManifestKind};
use crate::rospack::Catalog;

/// Deepest nesting the explaining walk follows.
const MAX_DEPTH: usize = 64;

/// Why a manifest directory is or is not the package of its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It is the package.
    Found,
    /// Another directory with the same name comes first on the search path.
    Shadowed {
        /// The winner.
        by: PathBuf,
    },
    /// A `CATKIN_IGNORE` (or `COLCON_IGNORE` / `AMENT_IGNORE`) file hides it.
    Ignored {
        /// The marker file.
        marker: PathBuf,
    },
    /// A directory on the way starts with `.`.
    Hidden {
        /// The hidden directory.
        dir: PathBuf,
    },
    /// A `rospack_nosubdirs` file above it stops the crawl.
    NoSubdirs {
        /// The marker file.
        marker: PathBuf,
    },
    /// It sits inside another package (the crawl stops at the first manifest).
    Nested {
        /// The enclosing package directory.
        inside: PathBuf,
    },
    /// Its manifest does not parse.
    ParseError(crate::Diagnostic),
    /// It is a metapackage (a stack for rosstack, not a package).
    Metapackage,
    /// Found in this view's other flavour, or another reason.
    Other(String),
}

/// A manifest directory on disk claiming the name asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The directory.
    pub dir: PathBuf,
    /// What the crawl makes of it.
    pub verdict: Verdict,
}

/// Every directory below the search path whose manifest claims `name`, explained.
pub fn locate(catalog: &Catalog, name: &str) -> Vec<Location> {
    let search = catalog.search_path();
    let mut out = Vec::new();
    for root in search.roots() {
        let limit = if root == Path::new("/usr/share") { 1 } else { MAX_DEPTH };
        let mut chain = Vec::new();
        walk(&root, &root, name, limit, &mut chain, &mut out);
    }
    out.into_iter().map(|dir| explain(catalog, name, dir)).collect()
}

fn walk(
    root: &Path,
    dir: &Path,
    name: &str,
    limit: usize,
    chain: &mut Vec<(u64, u64)>,
    out: &mut Vec<(PathBuf, PathBuf)>,
) {
    let Ok(meta) = std::fs::metadata(dir) else { return };
    let id = (meta.dev(), meta.ino());
    if chain.contains(&id) || chain.len() > limit {
        return;
    }
    if claims(dir, name) {
        out.push((root.to_path_buf(), dir.to_path_buf()));
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut subdirs: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    subdirs.sort();
    chain.push(id);
    for sub in subdirs {
        walk(root, &sub, name, limit, chain, out);
    }
    chain.pop();
}

/// True when `dir` holds a manifest for `name`.
fn claims(dir: &Path, name: &str) -> bool {
    let dir_name_matches = dir.file_name().is_some_and(|n| n == name);
    if dir_name_matches && (dir.join("manifest.xml").is_file() || dir.join("stack.xml").is_file()) {
        return true;
    }
    let package_xml = dir.join("package.xml");
    if !package_xml.is_file() {
        return false;
    }
    match manifest::parse_file(ManifestKind::PackageXml, &package_xml) {
        Ok(m) => m.name.as_deref().map_or(dir_name_matches, |n| n == name),
        Err(_) => {
            dir_name_matches || fs_err::read_to_string(&package_xml).is_ok_and(|t| t.contains(name))
        }
    }
}

fn explain(catalog: &Catalog, name: &str, (root, dir): (PathBuf, PathBuf)) -> Location {
    let verdict = verdict(catalog, name, &root, &dir);
    Location { dir, verdict }
}

fn verdict(catalog: &Catalog, name: &str, root: &Path, dir: &Path) -> Verdict {
    let below: Vec<&Path> = dir.ancestors().take_while(|a| a.starts_with(root)).collect();
    for a in below.iter().rev() {
        if a != &root && a.file_name().is_some_and(|n| n.as_encoded_bytes().starts_with(b".")) {
            return Verdict::Hidden { dir: a.to_path_buf() };
        }
    }
    for a in below.iter().rev() {
        for marker in ["CATKIN_IGNORE", "COLCON_IGNORE", "AMENT_IGNORE"] {
            let m = a.join(marker);
            if m.is_file() {
                return Verdict::Ignored { marker: m };
            }
        }
    }
    for a in below.iter().rev().filter(|a| **a != dir) {
        let m = a.join("rospack_nosubdirs");
        if m.is_file() {
            return Verdict::NoSubdirs { marker: m };
        }
        if a.join("package.xml").is_file() || a.join("manifest.xml").is_file() {
            return Verdict::Nested { inside: a.to_path_buf() };
        }
    }
    let package_xml = dir.join("package.xml");
    if package_xml.is_file() && !dir.join("manifest.xml").is_file() {
        match manifest::parse_file(ManifestKind::PackageXml, &package_xml) {
            Err(d) => return Verdict::ParseError(d),
            Ok(m) if m.is_metapackage() && catalog.flavor() == crate::rospack::Flavor::Packages => {
                return Verdict::Metapackage;
            }
            Ok(_) => {}
        }
    }
    match catalog.get(name) {
        Some(item) if item.dir == dir => Verdict::Found,
        Some(item) => Verdict::Shadowed { by: item.dir.clone() },
        None => Verdict::Other(
            "not a package in this view (a stack.xml stack, or a manifest in a stack view)".into(),
        ),
    }
}
