//! bloom-compatible release repositories: imports an upstream tag and writes bloom's refs
//! (`upstream`, `release/<distro>/<pkg>`, `debian/<distro>/<codename>/<pkg>`, their tags and
//! `tracks.yaml` on `master`) in a scratch copy, verifies it, then moves the real repository's
//! refs all at once in one `git2::Transaction`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Signature, Time};

pub mod checkout;

pub use git2::Oid as ObjectId;
#[cfg(test)]
mod tests;

/// Why a release cannot be made. Nothing in the release repository changed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A git operation failed.
    #[error("{what}: {source}")]
    Git {
        /// What was being done.
        what: String,
        /// The libgit2 error.
        source: git2::Error,
    },
    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The release repository's work tree has changes.
    #[error("`{path}`: the release repository's work tree has uncommitted changes")]
    Dirty {
        /// The repository.
        path: PathBuf,
    },
    /// A branch moved since bloom's last release (not at one of its tags).
    #[error("`{path}`: branch `{branch}` has commits that no release tag holds ({head})")]
    Diverged {
        /// The repository.
        path: PathBuf,
        /// The branch.
        branch: String,
        /// Its head.
        head: String,
    },
    /// A tag exists with different content.
    #[error("`{path}`: tag `{tag}` exists with a different tree")]
    TagConflict {
        /// The repository.
        path: PathBuf,
        /// The tag.
        tag: String,
    },
    /// The version is older than the newest released one.
    #[error("version {version} is older than the released upstream/{newest}")]
    Backwards {
        /// The version asked for.
        version: String,
        /// The newest `upstream/<ver>` tag's version.
        newest: String,
    },
    /// Something read from the repositories or given is not usable.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// The debian/ tree of a package could not be generated.
    #[error("{package} ({codename}): {message}")]
    Render {
        /// The ROS package.
        package: String,
        /// The codename.
        codename: String,
        /// What went wrong.
        message: String,
    },
    /// The scratch copy does not hold what was intended.
    #[error("verification failed: {0}")]
    Verify(String),
}

impl Error {
    /// How to fix it.
    pub fn hint(&self) -> String {
        match self {
            Error::Git { .. } => "check that the paths are git repositories".into(),
            Error::Io(_) => {
                "check the permissions and the free space of the temporary folder".into()
            }
            Error::Dirty { .. } => {
                "commit or stash the changes, or release from a bare clone".into()
            }
            Error::Diverged { branch, .. } => format!(
                "move the commits on `{branch}` to the upstream repository and tag a new version, \
                 or reset `{branch}` to its last release tag"
            ),
            Error::TagConflict { tag, .. } => format!(
                "the upstream tag changed after it was released: tag a new version upstream, or \
                 delete `{tag}` if it was never published"
            ),
            Error::Backwards { .. } => "release a version newer than the last one".into(),
            Error::Invalid { hint, .. } => hint.clone(),
            Error::Render { .. } => "run `rosdeb debian generate` on the package to see why".into(),
            Error::Verify(_) => "this is a bug in rosdeb; nothing was changed".into(),
        }
    }
}

fn git<T>(what: impl Into<String>, r: Result<T, git2::Error>) -> Result<T, Error> {
    r.map_err(|source| Error::Git { what: what.into(), source })
}

fn invalid(message: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::Invalid { message: message.into(), hint: hint.into() }
}

/// One target platform.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Platform {
    /// `ubuntu`, `debian`.
    pub os: String,
    /// `focal`, `bookworm`.
    pub codename: String,
}

/// A generated debian/ tree: path under `debian/` (without the prefix) → (contents, executable).
pub type DebianTree = BTreeMap<String, (Vec<u8>, bool)>;

/// What a renderer is asked for: one package's debian/ folder for one platform.
#[derive(Debug, Clone, Copy)]
pub struct RenderRequest<'a> {
    /// The package's source folder (holding package.xml).
    pub dir: &'a Path,
    /// Its name.
    pub name: &'a str,
    /// Every package of the release, this one included, sorted: its dependencies on them
    /// resolve to their Debian names, as bloom's peer packages do.
    pub peers: &'a [String],
    /// The platform.
    pub platform: &'a Platform,
    /// The Debian increment.
    pub inc: u32,
}

/// Renders a package's debian/ folder.
pub type Renderer<'a> = dyn FnMut(&RenderRequest<'_>) -> Result<DebianTree, String> + 'a;

/// What to release.
#[derive(Debug, Clone)]
pub struct Request {
    /// The ROS distribution.
    pub distro: String,
    /// The upstream repository: a local path, a file://, http:// or https:// URL.
    pub upstream: String,
    /// The upstream URL written to tracks.yaml (`vcs_uri`).
    pub vcs_uri: String,
    /// The release repository (a local path, bare or not).
    pub release_repo: PathBuf,
    /// The upstream version (its tag has the same name); `None`: the newest X.Y.Z tag.
    pub version: Option<String>,
    /// The platforms to generate debian/ for.
    pub platforms: Vec<Platform>,
    /// Author and committer name.
    pub author_name: String,
    /// Author and committer e-mail.
    pub author_email: String,
    /// Commit time (seconds since the epoch).
    pub time: i64,
}

/// A ref written (or kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// Full ref name (`refs/heads/upstream`).
    pub name: String,
    /// Its new target.
    pub oid: Oid,
    /// Its previous target, if any.
    pub old: Option<Oid>,
}

/// What a release wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The upstream version.
    pub version: String,
    /// The Debian increment.
    pub inc: u32,
    /// The packages found, sorted.
    pub packages: Vec<String>,
    /// Every ref set, in name order.
    pub refs: Vec<RefUpdate>,
}

/// Makes the release: builds every ref in a scratch copy, verifies it, then moves the release
/// repository's refs in one transaction.
pub fn release(req: &Request, render: &mut Renderer<'_>) -> Result<Outcome, Error> {
    // Values that become ref names: validated before anything is read.
    if !is_ref_component(&req.distro) {
        return Err(invalid(
            format!("distribution name `{}` is not usable in a git ref", req.distro.escape_debug()),
            "use the distribution's name from the index (e.g. noetic)",
        ));
    }
    if let Some(p) = req.platforms.iter().find(|p| !is_ref_component(&p.codename)) {
        return Err(invalid(
            format!("codename `{}` is not usable in a git ref", p.codename.escape_debug()),
            "fix release_platforms in distribution.yaml",
        ));
    }
    let real = open_release(&req.release_repo)?;
    // An http(s) upstream is fetched into a temporary bare copy first.
    let mut _upstream_copy = None;
    let upstream_path = if checkout::is_remote(&req.upstream) {
        let dir = tempfile::Builder::new().prefix("rosdeb-upstream-").tempdir()?;
        let path = checkout::mirror(&req.upstream, dir.path(), true)?
            .ok_or_else(|| Error::Verify("the upstream copy was not made".into()))?;
        _upstream_copy = Some(dir);
        path
    } else {
        local_path(&req.upstream)?
    };
    let upstream = git(
        format!("opening the upstream repository `{}`", upstream_path.display()),
        Repository::open(&upstream_path),
    )?;
    let version = match &req.version {
        Some(v) => v.clone(),
        None => newest_tag(&upstream)?,
    };
    check_version_text(&version)?;
    let upstream_tag = git(
        format!("finding tag `{version}` in `{}`", upstream_path.display()),
        upstream.revparse_single(&format!("refs/tags/{version}")),
    )
    .map_err(|_| {
        invalid(
            format!("the upstream repository has no tag `{version}`"),
            "tag the version upstream (git tag X.Y.Z) or pass --version",
        )
    })?;
    let upstream_commit = git("peeling the upstream tag", upstream_tag.peel_to_commit())?.id();

    // The scratch copy: every ref of the release repository, plus the upstream commit.
    let scratch_dir = tempfile::tempdir()?;
    let scratch = git("creating the scratch copy", Repository::init_bare(scratch_dir.path()))?;
    fetch(
        &scratch,
        &req.release_repo,
        &["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
    )?;
    fetch(&scratch, &upstream_path, &[&format!("+refs/tags/{version}:refs/rosdeb/upstream")])?;
    let base = all_refs(&scratch)?;

    // Refusals on what exists.
    let (newest, released_incs) = released(&base, &req.distro, &version);
    if let Some(newest) = newest
        && compare_versions(&newest, &version) == std::cmp::Ordering::Greater
    {
        return Err(Error::Backwards { version, newest });
    }
    let inc = released_incs.map_or(1, |n| n + 1);
    let sig = git(
        "making the signature",
        Signature::new(&req.author_name, &req.author_email, &Time::new(req.time, 0)),
    )?;
    let mut plan = Builder { repo: &scratch, sig, base: &base, refs: BTreeMap::new() };

    // upstream: one commit holding the tag's tree.
    let tree = git("reading the upstream tree", scratch.find_commit(upstream_commit))?.tree_id();
    let upstream_tag_name = format!("refs/tags/upstream/{version}");
    plan.check_branch_at_tag("refs/heads/upstream", "refs/tags/upstream/", &req.release_repo)?;
    let upstream_head = match base.get(&upstream_tag_name) {
        Some(&old) => {
            if commit_tree(&scratch, old)? != tree {
                return Err(Error::TagConflict {
                    path: req.release_repo.clone(),
                    tag: format!("upstream/{version}"),
                });
            }
            old
        }
        None => plan.commit(
            "refs/heads/upstream",
            tree,
            &format!("Imported upstream version '{version}' of '{}'", req.vcs_uri),
        )?,
    };
    plan.set("refs/heads/upstream", upstream_head);
    plan.new_tag(&upstream_tag_name, upstream_head, &req.release_repo)?;

    // The packages, as bloom finds them: a folder holding package.xml, not looked into further.
    let src = tempfile::tempdir()?;
    let upstream_tree = git("reading the upstream tree", scratch.find_tree(tree))?;
    checkout::write_tree(&scratch, &upstream_tree, src.path(), Path::new(""))?;
    let mut packages = Vec::new();
    find_packages(src.path(), src.path(), &mut packages)?;
    if packages.is_empty() {
        return Err(invalid(
            format!("upstream tag `{version}` holds no package.xml"),
            "release a repository of ROS packages",
        ));
    }
    let mut names = Vec::new();
    for rel in &packages {
        let xml = src.path().join(rel).join("package.xml");
        let m = rospkg::manifest::parse_file(rospkg::manifest::ManifestKind::PackageXml, &xml)
            .map_err(|d| invalid(format!("{rel}/package.xml: {d}"), "fix package.xml upstream"))?;
        let name = m.name.clone().unwrap_or_default();
        if !is_ref_component(&name) {
            return Err(invalid(
                format!("{rel}/package.xml: package name `{name}` is not usable in a git ref"),
                "name ROS packages with lower-case letters, digits and underscores",
            ));
        }
        if m.version != version {
            return Err(invalid(
                format!("{rel}/package.xml: version {} is not the tag's {version}", m.version),
                "bump package.xml to the version before tagging it (catkin_prepare_release)",
            ));
        }
        names.push((name, rel.clone()));
    }
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(invalid(
            format!("two package.xml files name the package `{}`", w[0].0),
            "give each package its own name",
        ));
    }

    let peers: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    let mut debian_trees = Vec::new();
    for (name, rel) in &names {
        let pkg_tree = if rel.is_empty() {
            tree
        } else {
            git(format!("finding `{rel}`"), upstream_tree.get_path(Path::new(rel)))?.id()
        };
        let branch = format!("refs/heads/release/{}/{name}", req.distro);
        let prefix = format!("refs/tags/release/{}/{name}/", req.distro);
        plan.check_branch_at_tag(&branch, &prefix, &req.release_repo)?;
        let commit = plan.commit(
            &branch,
            pkg_tree,
            &format!("Release of '{name}' {version}-{inc} for '{}'", req.distro),
        )?;
        plan.set(&branch, commit);
        plan.new_tag(&format!("{prefix}{version}-{inc}"), commit, &req.release_repo)?;
        for platform in &req.platforms {
            let dir = src.path().join(rel);
            let request = RenderRequest { dir: &dir, name, peers: &peers, platform, inc };
            let debian = render(&request).map_err(|message| Error::Render {
                package: name.clone(),
                codename: platform.codename.clone(),
                message,
            })?;
            let full = with_debian(&scratch, pkg_tree, &debian)?;
            let branch = format!("refs/heads/debian/{}/{}/{name}", req.distro, platform.codename);
            let commit = plan.commit(
                &branch,
                full,
                &format!(
                    "Generated debian/ of '{name}' {version}-{inc} for {}:{}",
                    platform.os, platform.codename
                ),
            )?;
            plan.set(&branch, commit);
            let tag = format!(
                "refs/tags/debian/{}_{version}-{inc}_{}",
                debgen::generate::ros_package_name(&req.distro, name),
                platform.codename
            );
            plan.new_tag(&tag, commit, &req.release_repo)?;
            debian_trees.push((tag, full));
        }
    }

    // tracks.yaml on master.
    let ours = tracks_yaml(&req.distro, &req.vcs_uri, &version, inc)?;
    let existing = match base.get("refs/heads/master") {
        Some(&c) => {
            let tree = git("reading master", scratch.find_commit(c).and_then(|c| c.tree()))?;
            match tree.get_name("tracks.yaml") {
                Some(e) => {
                    let blob = git("reading tracks.yaml", scratch.find_blob(e.id()))?;
                    Some(String::from_utf8_lossy(blob.content()).into_owned())
                }
                None => None,
            }
        }
        None => None,
    };
    let tracks = merge_tracks(existing.as_deref(), &req.distro, &ours);
    let master_tree = {
        let mut tb = match base.get("refs/heads/master") {
            Some(&c) => {
                let t = git("reading master", scratch.find_commit(c).and_then(|c| c.tree()))?;
                git("reading master", scratch.treebuilder(Some(&t)))?
            }
            None => git("building master", scratch.treebuilder(None))?,
        };
        let blob = git("writing tracks.yaml", scratch.blob(tracks.as_bytes()))?;
        git("writing tracks.yaml", tb.insert("tracks.yaml", blob, 0o100644))?;
        git("writing master", tb.write())?
    };
    let master = plan.commit(
        "refs/heads/master",
        master_tree,
        &format!("Updating tracks.yaml: {} {version}-{inc}", req.distro),
    )?;
    plan.set("refs/heads/master", master);

    let refs = plan.refs;
    verify(&scratch, &refs, &debian_trees)?;
    tracing::info!(refs = refs.len(), "scratch copy verified");
    let updates = apply(&real, &scratch, &req.release_repo, &base, &refs)?;
    tracing::info!(repo = %req.release_repo.display(), "release refs moved");
    Ok(Outcome {
        version,
        inc,
        packages: names.into_iter().map(|(n, _)| n).collect(),
        refs: updates,
    })
}

/// Builds commits and records the refs to set.
struct Builder<'r> {
    repo: &'r Repository,
    sig: Signature<'static>,
    base: &'r BTreeMap<String, Oid>,
    refs: BTreeMap<String, Oid>,
}

impl Builder<'_> {
    /// A commit of `tree` on top of `branch` (as planned so far, else as it was); the branch head
    /// itself when it already holds `tree`.
    fn commit(&mut self, branch: &str, tree: Oid, message: &str) -> Result<Oid, Error> {
        let parent = self.refs.get(branch).or_else(|| self.base.get(branch)).copied();
        let tree_obj = git("reading a tree", self.repo.find_tree(tree))?;
        let parents = match parent {
            Some(p) => vec![git("reading a commit", self.repo.find_commit(p))?],
            None => vec![],
        };
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = git(
            format!("committing on `{branch}`"),
            self.repo.commit(None, &self.sig, &self.sig, message, &tree_obj, &parent_refs),
        )?;
        let r = git(
            format!("setting `{branch}` in the scratch copy"),
            self.repo.reference(branch, id, true, "rosdeb bloom"),
        );
        r.map(|_| id)
    }

    fn set(&mut self, name: &str, oid: Oid) {
        self.refs.insert(name.to_owned(), oid);
    }

    /// A tag that must not exist with another tree.
    fn new_tag(&mut self, name: &str, commit: Oid, path: &Path) -> Result<(), Error> {
        if let Some(&old) = self.base.get(name) {
            if commit_tree(self.repo, old)? != commit_tree(self.repo, commit)? {
                return Err(Error::TagConflict {
                    path: path.to_owned(),
                    tag: name.trim_start_matches("refs/tags/").to_owned(),
                });
            }
            self.set(name, old);
            return Ok(());
        }
        git(format!("tagging `{name}`"), self.repo.reference(name, commit, true, "rosdeb bloom"))?;
        self.set(name, commit);
        Ok(())
    }

    /// Refuses a branch whose head is not the commit of one of the tags under `prefix`.
    fn check_branch_at_tag(&self, branch: &str, prefix: &str, path: &Path) -> Result<(), Error> {
        let Some(&head) = self.base.get(branch) else { return Ok(()) };
        let tagged = self.base.iter().any(|(n, &o)| {
            n.starts_with(prefix)
                && self
                    .repo
                    .find_object(o, None)
                    .and_then(|ob| ob.peel(ObjectType::Commit))
                    .map(|c| c.id())
                    .ok()
                    == Some(head)
        });
        if tagged {
            return Ok(());
        }
        Err(Error::Diverged {
            path: path.to_owned(),
            branch: branch.trim_start_matches("refs/heads/").to_owned(),
            head: head.to_string(),
        })
    }
}

fn commit_tree(repo: &Repository, oid: Oid) -> Result<Oid, Error> {
    let obj = git("reading a ref's target", repo.find_object(oid, None))?;
    Ok(git("reading a ref's commit", obj.peel_to_commit())?.tree_id())
}

fn open_release(path: &Path) -> Result<Repository, Error> {
    let repo = git(
        format!("opening the release repository `{}`", path.display()),
        Repository::open(path),
    )?;
    if !repo.is_bare() {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).include_ignored(false);
        let statuses = git("reading the work tree's status", repo.statuses(Some(&mut opts)))?;
        if !statuses.is_empty() {
            return Err(Error::Dirty { path: path.to_owned() });
        }
    }
    Ok(repo)
}

/// A local path from a path or file:// URL; other URLs are refused.
fn local_path(url: &str) -> Result<PathBuf, Error> {
    checkout::local_path(url).ok_or_else(|| {
        invalid(
            format!("upstream `{url}` is neither local nor an http(s) URL"),
            "use a path, a file://, http:// or https:// URL (ssh is not supported: clone it first \
             with git clone URL DIR and pass --upstream DIR)",
        )
    })
}

fn fetch(into: &Repository, from: &Path, refspecs: &[&str]) -> Result<(), Error> {
    let url = from.canonicalize()?;
    let url = url.to_str().ok_or_else(|| invalid("the path is not UTF-8", "rename it"))?;
    let mut remote = git("making a remote", into.remote_anonymous(url))?;
    let mut opts = git2::FetchOptions::new();
    opts.download_tags(git2::AutotagOption::None);
    git(
        format!("fetching from `{}`", from.display()),
        remote.fetch(refspecs, Some(&mut opts), None),
    )
}

fn all_refs(repo: &Repository) -> Result<BTreeMap<String, Oid>, Error> {
    let mut out = BTreeMap::new();
    for r in git("listing refs", repo.references())? {
        let r = git("reading a ref", r)?;
        if let (Ok(name), Some(oid)) = (r.name(), r.target()) {
            out.insert(name.to_owned(), oid);
        }
    }
    Ok(out)
}

/// The newest `upstream/<ver>` and the highest increment of `version` in the release tags.
fn released(
    refs: &BTreeMap<String, Oid>,
    distro: &str,
    version: &str,
) -> (Option<String>, Option<u32>) {
    let newest = refs
        .keys()
        .filter_map(|n| n.strip_prefix("refs/tags/upstream/"))
        .filter(|v| check_version_text(v).is_ok())
        .max_by(|a, b| compare_versions(a, b))
        .map(str::to_owned);
    let prefix = format!("refs/tags/release/{distro}/");
    let inc = refs
        .keys()
        .filter_map(|n| n.strip_prefix(&prefix))
        .filter_map(|rest| rest.split_once('/').map(|(_, v)| v))
        .filter_map(|v| v.strip_prefix(version)?.strip_prefix('-')?.parse::<u32>().ok())
        .max();
    (newest, inc)
}

/// X.Y.Z with numeric parts (REP 127).
fn check_version_text(v: &str) -> Result<(), Error> {
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ok(());
    }
    Err(invalid(
        format!("version `{v}` is not X.Y.Z"),
        "ROS versions are three numbers, e.g. 1.2.3",
    ))
}

fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |v: &str| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    key(a).cmp(&key(b))
}

fn newest_tag(repo: &Repository) -> Result<String, Error> {
    let names = git("listing upstream tags", repo.tag_names(None))?;
    names
        .iter()
        .flatten()
        .flatten()
        .filter(|n| check_version_text(n).is_ok())
        .max_by(|a, b| compare_versions(a, b))
        .map(str::to_owned)
        .ok_or_else(|| {
            invalid("the upstream repository has no X.Y.Z tag", "tag a release upstream")
        })
}

/// A name usable as one component of a ref.
fn is_ref_component(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !name.starts_with('-')
}

fn find_packages(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
    if dir.join("package.xml").is_file() {
        let rel = dir.strip_prefix(root).unwrap_or(dir);
        out.push(rel.to_string_lossy().into_owned());
        return Ok(());
    }
    if dir.join("CATKIN_IGNORE").exists() || dir.join("COLCON_IGNORE").exists() {
        return Ok(());
    }
    let mut entries: Vec<_> = fs_err::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if e.file_type()?.is_dir() && !name.to_string_lossy().starts_with('.') {
            find_packages(root, &e.path(), out)?;
        }
    }
    Ok(())
}

/// `tree` with `debian/` replaced by `debian`.
fn with_debian(repo: &Repository, tree: Oid, debian: &DebianTree) -> Result<Oid, Error> {
    #[derive(Default)]
    struct Dir {
        files: BTreeMap<String, (Oid, i32)>,
        dirs: BTreeMap<String, Dir>,
    }
    fn write(repo: &Repository, dir: &Dir) -> Result<Oid, Error> {
        let mut tb = git("building debian/", repo.treebuilder(None))?;
        for (name, (oid, mode)) in &dir.files {
            git("building debian/", tb.insert(name, *oid, *mode))?;
        }
        for (name, sub) in &dir.dirs {
            let oid = write(repo, sub)?;
            git("building debian/", tb.insert(name, oid, 0o040000))?;
        }
        git("building debian/", tb.write())
    }
    let mut root = Dir::default();
    for (path, (contents, exec)) in debian {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.iter().any(|c| c.is_empty() || *c == "." || *c == "..") {
            return Err(Error::Verify(format!("generated path `debian/{path}` is unsafe")));
        }
        let blob = git("writing a debian/ file", repo.blob(contents))?;
        let mode = if *exec { 0o100755 } else { 0o100644 };
        let (file, dirs) = parts.split_last().unwrap_or((&"", &[]));
        let mut d = &mut root;
        for c in dirs {
            d = d.dirs.entry((*c).to_owned()).or_default();
        }
        d.files.insert((*file).to_owned(), (blob, mode));
    }
    let debian_tree = write(repo, &root)?;
    let base = git("reading the release tree", repo.find_tree(tree))?;
    let mut tb = git("building the debian tree", repo.treebuilder(Some(&base)))?;
    git("adding debian/", tb.insert("debian", debian_tree, 0o040000))?;
    git("writing the debian tree", tb.write())
}

/// A YAML single-quoted scalar; control characters are refused.
fn quote(value: &str) -> Result<String, Error> {
    if value.chars().any(char::is_control) {
        return Err(invalid(
            format!("`{}` has a control character", value.escape_debug()),
            "fix the distribution file",
        ));
    }
    Ok(format!("'{}'", value.replace('\'', "''")))
}

/// bloom's current default actions (its config's newest action list): a track holding exactly
/// these is run by bloom-release without asking to upgrade it.
const ACTIONS: &[&str] = &[
    "bloom-export-upstream :{vcs_local_uri} :{vcs_type} --tag :{release_tag} --display-uri \
     :{vcs_uri} --name :{name} --output-dir :{archive_dir_path}",
    "git-bloom-import-upstream :{archive_path} :{patches} --release-version :{version} --replace",
    "git-bloom-generate -y rosrelease :{ros_distro} --source upstream -i :{release_inc}",
    "git-bloom-generate -y rosdebian --prefix release/:{ros_distro} :{ros_distro} -i \
     :{release_inc} --os-name ubuntu",
    "git-bloom-generate -y rosdebian --prefix release/:{ros_distro} :{ros_distro} -i \
     :{release_inc} --os-name debian --os-not-required",
    "git-bloom-generate -y rosrpm --prefix release/:{ros_distro} :{ros_distro} -i \
     :{release_inc} --os-name fedora",
    "git-bloom-generate -y rosrpm --prefix release/:{ros_distro} :{ros_distro} -i \
     :{release_inc} --os-name rhel",
];

/// bloom's tracks.yaml with one track named after the distribution (keys sorted, as bloom
/// writes them).
fn tracks_yaml(distro: &str, vcs_uri: &str, version: &str, inc: u32) -> Result<String, Error> {
    let mut out = format!("tracks:\n  {distro}:\n    actions:\n");
    for a in ACTIONS {
        out.push_str(&format!("    - {a}\n"));
    }
    out.push_str(&format!(
        "    devel_branch: null\n    last_version: {version}\n    name: upstream\n    patches: \
         null\n    release_inc: '{inc}'\n    release_repo_url: null\n    release_tag: \
         :{{version}}\n    ros_distro: {distro}\n    vcs_type: git\n    vcs_uri: {}\n    \
         version: :{{auto}}\n",
        quote(vcs_uri)?
    ));
    Ok(out)
}

/// `ours` (a whole tracks.yaml with one track) merged into `existing`: the other tracks and
/// top-level keys are kept as written, the track of `distro` is replaced (or added).
fn merge_tracks(existing: Option<&str>, distro: &str, ours: &str) -> String {
    let Some(existing) = existing else { return ours.to_owned() };
    let lines: Vec<&str> = existing.lines().collect();
    let Some(start) = lines.iter().position(|l| *l == "tracks:") else { return ours.to_owned() };
    let block_end = |from: usize, indent: usize| {
        (from..lines.len())
            .find(|&i| {
                let l = lines[i];
                !l.trim().is_empty() && l.len() - l.trim_start().len() <= indent
            })
            .unwrap_or(lines.len())
    };
    let tracks_end = block_end(start + 1, 0);
    let track = ours.strip_prefix("tracks:\n").unwrap_or(ours);
    let header = format!("  {distro}:");
    let mut out: Vec<String> = Vec::new();
    match (start + 1..tracks_end).find(|&i| lines[i] == header) {
        Some(at) => {
            let end = block_end(at + 1, 2);
            out.extend(lines[..at].iter().map(|l| (*l).to_owned()));
            out.extend(track.lines().map(str::to_owned));
            out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
        }
        None => {
            out.extend(lines[..tracks_end].iter().map(|l| (*l).to_owned()));
            out.extend(track.lines().map(str::to_owned));
            out.extend(lines[tracks_end..].iter().map(|l| (*l).to_owned()));
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// Every planned ref points where intended, and every debian/ tree is complete.
fn verify(
    scratch: &Repository,
    refs: &BTreeMap<String, Oid>,
    debian_trees: &[(String, Oid)],
) -> Result<(), Error> {
    for (name, &oid) in refs {
        let now = scratch.refname_to_id(name).ok();
        if now != Some(oid) {
            return Err(Error::Verify(format!("`{name}` is not at {oid} in the scratch copy")));
        }
        if scratch.find_commit(oid).is_err() {
            return Err(Error::Verify(format!("`{name}` does not point at a commit")));
        }
    }
    for (tag, tree) in debian_trees {
        let tree = git("reading a debian tree", scratch.find_tree(*tree))?;
        for file in ["debian/control", "debian/changelog", "debian/rules"] {
            let entry = tree
                .get_path(Path::new(file))
                .map_err(|_| Error::Verify(format!("`{tag}` has no {file}")))?;
            if file == "debian/control" {
                let blob = git("reading debian/control", scratch.find_blob(entry.id()))?;
                let text = String::from_utf8_lossy(blob.content());
                if !text.starts_with("Source: ") || !text.contains("\nPackage: ") {
                    return Err(Error::Verify(format!("`{tag}`: debian/control is incomplete")));
                }
            }
        }
    }
    Ok(())
}

/// Copies the new objects into the release repository, then moves every ref in one
/// transaction, refusing when a ref moved since the scratch copy was made.
fn apply(
    real: &Repository,
    scratch: &Repository,
    path: &Path,
    base: &BTreeMap<String, Oid>,
    refs: &BTreeMap<String, Oid>,
) -> Result<Vec<RefUpdate>, Error> {
    let from = git("opening the scratch objects", scratch.odb())?;
    let to = git("opening the release repository's objects", real.odb())?;
    let mut oids = Vec::new();
    git(
        "listing objects",
        from.foreach(|oid| {
            oids.push(*oid);
            true
        }),
    )?;
    for oid in oids {
        if !to.exists(oid) {
            let obj = git("reading an object", from.read(oid))?;
            git("writing an object", to.write(obj.kind(), obj.data()))?;
        }
    }
    let mut tx = git("starting the ref transaction", real.transaction())?;
    let mut updates = Vec::new();
    for (name, &oid) in refs {
        git(format!("locking `{name}`"), tx.lock_ref(name))?;
        let now = real.refname_to_id(name).ok();
        if now != base.get(name).copied() {
            return Err(Error::Diverged {
                path: path.to_owned(),
                branch: name.clone(),
                head: now.map_or_else(|| "deleted".into(), |o| o.to_string()),
            });
        }
        if now != Some(oid) {
            git(format!("setting `{name}`"), tx.set_target(name, oid, None, "rosdeb bloom"))?;
        }
        updates.push(RefUpdate { name: name.clone(), oid, old: now });
    }
    git("moving the refs", tx.commit())?;
    // A non-bare repository (clean, checked above) whose checked-out branch moved: its work
    // tree follows, as `git pull` would leave it.
    if !real.is_bare()
        && let Ok(head) = real.find_reference("HEAD")
        && let Some(branch) = head.symbolic_target().ok().flatten()
        && updates.iter().any(|u| u.name == branch && u.old != Some(u.oid))
    {
        let mut opts = git2::build::CheckoutBuilder::new();
        opts.force();
        git("updating the work tree", real.checkout_head(Some(&mut opts)))?;
    }
    Ok(updates)
}
