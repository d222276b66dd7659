//! Reading released sources out of a release repository without a work tree: a tag's tree id,
//! one file of it, or the whole tree written into a fresh folder (regular files with their
//! executable bit, relative symlinks that stay inside the tree; nothing else). Repositories
//! over http(s) are read through a local bare copy, fetched on demand ([`mirror`]).

use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid, Repository};
use sha2::Digest as _;

use crate::{Error, git, invalid};

/// A release repository opened for reading.
pub struct Source {
    repo: Repository,
    location: String,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("location", &self.location).finish_non_exhaustive()
    }
}

/// The local path of a repository URL (a path or a `file://` URL); `None` for a remote URL.
pub fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(p) = url.strip_prefix("file://") {
        return Some(PathBuf::from(p));
    }
    if url.contains("://") || url.starts_with("git@") {
        return None;
    }
    Some(PathBuf::from(url))
}

/// Whether `url` is fetched over the network: `http://` or `https://`.
pub fn is_remote(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// The local bare copy of the remote repository `url` (http or https) under `dir`:
/// `<dir>/<first 16 hex digits of the URL's SHA-256>.git`. With `fetch`, its branches and tags
/// are fetched now (the copy is made on first use, whole or not at all); without, it is used
/// as the last fetch left it, and `None` means there is none yet.
pub fn mirror(url: &str, dir: &Path, fetch: bool) -> Result<Option<PathBuf>, Error> {
    if !is_remote(url) || url.chars().any(char::is_control) {
        return Err(invalid(
            format!("`{}` is not an http or https URL", url.escape_debug()),
            "use a path, a file://, http:// or https:// URL",
        ));
    }
    let digest = sha2::Sha256::digest(url.as_bytes());
    let path = dir.join(format!("{}.git", &hex::encode(digest)[..16]));
    if !fetch {
        return Ok(path.is_dir().then_some(path));
    }
    if !path.is_dir() {
        fs_err::create_dir_all(dir)?;
        let tmp = tempfile::Builder::new().prefix(".mirror-").tempdir_in(dir)?;
        git("making a local copy", Repository::init_bare(tmp.path()))?;
        fs_err::rename(tmp.path(), &path)?;
        let _ = tmp.keep();
    }
    let repo = git(format!("opening `{}`", path.display()), Repository::open_bare(&path))?;
    let mut remote = git("making a remote", repo.remote_anonymous(url))?;
    let mut opts = git2::FetchOptions::new();
    opts.download_tags(git2::AutotagOption::None);
    git(
        format!("fetching `{url}`"),
        remote.fetch(
            &["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
            Some(&mut opts),
            None,
        ),
    )?;
    Ok(Some(path))
}

/// What [`Source::open_url`] does with an http(s) URL.
#[derive(Debug, Clone, Copy)]
pub enum Remote<'a> {
    /// Fetch it into a local copy under this folder, then read the copy.
    Fetch(&'a Path),
    /// Read the local copy under this folder as the last fetch left it (no network).
    Offline(&'a Path),
}

impl Source {
    /// Opens the repository at `url`: a path or `file://` URL (bare or not), or an http(s)
    /// URL through its local copy ([`mirror`]).
    pub fn open_url(url: &str, remote: Remote<'_>) -> Result<Source, Error> {
        if !is_remote(url) {
            return Source::open(url);
        }
        let path = match remote {
            Remote::Fetch(dir) => mirror(url, dir, true)?,
            Remote::Offline(dir) => mirror(url, dir, false)?,
        }
        .ok_or_else(|| {
            invalid(
                format!("release repository `{url}` has not been fetched yet"),
                "`rosdeb release` (without --plan) fetches the release repositories it builds from",
            )
        })?;
        let repo = git(format!("opening `{}`", path.display()), Repository::open_bare(&path))?;
        Ok(Source { repo, location: url.to_owned() })
    }

    /// Opens the repository at `url` (a path or `file://` URL; bare or not).
    pub fn open(url: &str) -> Result<Source, Error> {
        let path = local_path(url).ok_or_else(|| {
            invalid(
                format!("release repository `{url}` is not local"),
                "use a path, a file://, http:// or https:// URL (ssh is not supported: clone \
                 it with git clone --mirror URL DIR and point the distribution at DIR)",
            )
        })?;
        let repo = git(
            format!("opening the release repository `{}`", path.display()),
            Repository::open(&path),
        )?;
        Ok(Source { repo, location: url.to_owned() })
    }

    /// Where it was opened from, as given.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The tree of tag `name` (`refs/tags/<name>`), or `None` when there is no such tag.
    pub fn tag_tree(&self, name: &str) -> Result<Option<Oid>, Error> {
        let Ok(reference) = self.repo.find_reference(&format!("refs/tags/{name}")) else {
            return Ok(None);
        };
        let tree = git(format!("reading tag `{name}`"), reference.peel_to_tree())?;
        Ok(Some(tree.id()))
    }

    /// The contents of the regular file at `path` (`/`-separated) in `tree`, if there is one.
    pub fn read(&self, tree: Oid, path: &str) -> Result<Option<Vec<u8>>, Error> {
        let tree = git("reading a tree", self.repo.find_tree(tree))?;
        let Ok(entry) = tree.get_path(Path::new(path)) else { return Ok(None) };
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == 0o120000 {
            return Ok(None);
        }
        let blob = git(format!("reading `{path}`"), self.repo.find_blob(entry.id()))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// Writes `tree` into `dest`, which must not exist: built in a temporary sibling folder and
    /// renamed into place, so `dest` is either absent or complete.
    pub fn export(&self, tree: Oid, dest: &Path) -> Result<(), Error> {
        let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs_err::create_dir_all(parent)?;
        let tmp = tempfile::Builder::new().prefix(".export-").tempdir_in(parent)?;
        let tree = git("reading a tree", self.repo.find_tree(tree))?;
        write_tree(&self.repo, &tree, tmp.path(), Path::new(""))?;
        fs_err::rename(tmp.path(), dest)?;
        // Renamed away: nothing left for the guard to remove.
        let _ = tmp.keep();
        Ok(())
    }
}

/// Writes the entries of `tree` (at `rel` inside the exported tree) under `dir`.
pub(crate) fn write_tree(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    dir: &Path,
    rel: &Path,
) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    fs_err::create_dir_all(dir)?;
    for entry in tree.iter() {
        let name = entry
            .name()
            .ok()
            .filter(|n| !n.is_empty() && *n != "." && *n != ".." && !n.contains('/'))
            .ok_or_else(|| {
                invalid(
                    format!("`{}` holds an entry with an unsafe name", rel.display()),
                    "fix the release repository",
                )
            })?;
        let path = dir.join(name);
        let rel = rel.join(name);
        match (entry.kind(), entry.filemode()) {
            (Some(ObjectType::Tree), _) => {
                let sub = git("reading a tree", repo.find_tree(entry.id()))?;
                write_tree(repo, &sub, &path, &rel)?;
            }
            (Some(ObjectType::Blob), 0o120000) => {
                let blob = git("reading a symlink", repo.find_blob(entry.id()))?;
                let target = std::str::from_utf8(blob.content())
                    .ok()
                    .filter(|t| stays_inside(&rel, Path::new(t)))
                    .ok_or_else(|| {
                        invalid(
                            format!("symlink `{}` points outside the package", rel.display()),
                            "make it a relative link to a file of the package",
                        )
                    })?;
                std::os::unix::fs::symlink(target, &path).map_err(|e| {
                    Error::Io(std::io::Error::new(e.kind(), format!("{e}: {}", path.display())))
                })?;
            }
            (Some(ObjectType::Blob), mode) => {
                let blob = git("reading a file", repo.find_blob(entry.id()))?;
                fs_err::write(&path, blob.content())?;
                let mode = if mode == 0o100755 { 0o755 } else { 0o644 };
                fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
            }
            // Submodules (commits) are not part of a release.
            _ => {}
        }
    }
    Ok(())
}

/// Whether symlink `link` (a path inside the tree) pointing at `target` stays inside the tree.
fn stays_inside(link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth = link.components().count().saturating_sub(1) as i64;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_must_stay_inside_the_tree() {
        assert!(stays_inside(Path::new("a/link"), Path::new("../b/file")));
        assert!(stays_inside(Path::new("link"), Path::new("./file")));
        assert!(!stays_inside(Path::new("link"), Path::new("../etc/passwd")));
        assert!(!stays_inside(Path::new("a/link"), Path::new("../../x")));
        assert!(!stays_inside(Path::new("a/link"), Path::new("b/../../../x")));
        assert!(!stays_inside(Path::new("link"), Path::new("/etc/passwd")));
    }
}
