//! The job graph of a release: one node per package x target, its sources (bloom's debian tag,
//! the release tag, or a `--sources` folder), its build dependencies among the nodes, its level
//! and a hash over everything it is built from. package.xml comes from the release tag, else a
//! distribution cache's `release_package_xmls`, else the `--sources` folder. Reading it builds
//! nothing and writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use debgen::generate::{self, Target as DebTarget};
use rospkg::Manifest;
use rospkg::distro::distribution::DistributionFile;
use rospkg::manifest::{self, DependKind, ManifestKind};
use sha2::{Digest as _, Sha256};

/// Where a node's sources come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceKind {
    /// bloom's `debian/<debpkg>_<version>_<codename>` tag: the sources and their debian/.
    DebianTag,
    /// `release/<distro>/<package>/<version>`: the sources; debian/ is generated.
    ReleaseTag,
    /// A package folder under `--sources`; debian/ is generated.
    Folder,
}

impl SourceKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            SourceKind::DebianTag => "debian-tag",
            SourceKind::ReleaseTag => "release-tag",
            SourceKind::Folder => "sources",
        }
    }
}

/// A node's sources.
#[derive(Debug, Clone)]
pub(super) struct Source {
    pub(super) kind: SourceKind,
    /// The release repository as the distribution names it, or the package folder.
    pub(super) location: String,
    /// The tag, for the git kinds.
    pub(super) reference: Option<String>,
    /// The tree id, for the git kinds.
    pub(super) tree: Option<release::ObjectId>,
    /// The index of the opened repository in [`Graph::repos`], for the git kinds.
    pub(super) repo: Option<usize>,
    /// The folder, for [`SourceKind::Folder`].
    pub(super) dir: Option<PathBuf>,
}

/// One package built for one target.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) package: String,
    pub(super) repository: String,
    /// `<version>-<inc>` as the distribution lists it.
    pub(super) version: String,
    /// Index into [`Graph::targets`].
    pub(super) target: usize,
    pub(super) debian_package: String,
    pub(super) source: Option<Source>,
    /// Why the sources could not be found or read, if so.
    pub(super) problem: Option<String>,
    /// Nodes (same target) it needs at build time.
    pub(super) depends: Vec<usize>,
    pub(super) level: u32,
    pub(super) hash: Option<String>,
}

/// The whole graph.
pub(super) struct Graph {
    pub(super) targets: Vec<DebTarget>,
    /// Nodes in build order: by level, then target, then package.
    pub(super) nodes: Vec<Node>,
    /// package.xml of each package, when found.
    pub(super) manifests: BTreeMap<String, Manifest>,
    /// Opened release repositories (libgit2 handles are used by one thread at a time).
    pub(super) repos: Vec<std::sync::Mutex<release::checkout::Source>>,
    /// Packages whose sources were found nowhere.
    pub(super) unknown: Vec<String>,
    /// Node ids left out because they are in (or behind) a dependency cycle.
    pub(super) cycles: Vec<String>,
}

/// What the graph is made from.
pub(super) struct Inputs<'a> {
    pub(super) distribution: &'a DistributionFile,
    pub(super) targets: Vec<DebTarget>,
    /// The packages asked for (empty: all the distribution releases).
    pub(super) packages: &'a [String],
    /// Only those, not what they need.
    pub(super) no_deps: bool,
    /// `--sources` folders.
    pub(super) sources: &'a [PathBuf],
    /// package.xml texts by package, from a distribution cache given as the distribution file.
    pub(super) package_xmls: Option<&'a indexmap::IndexMap<String, String>>,
    /// What to do with release repositories over http(s): fetch them into local copies, or
    /// read the copies as they are (the plan never touches the network).
    pub(super) remote: release::checkout::Remote<'a>,
}

/// A node's id in the plan: `<package>@<os>:<codename>`.
pub(super) fn node_id(package: &str, target: &DebTarget) -> String {
    format!("{package}@{}:{}", target.os, target.codename)
}

/// Dependencies needed to build a package, as catkin_pkg lists them (build, buildtool, and
/// the export kinds, which a format 1 `run_depend` is too), whose condition holds for `target`.
fn build_deps(m: &Manifest, target: &DebTarget) -> BTreeSet<String> {
    let vars = generate::depends::condition_vars(target);
    m.dependencies
        .iter()
        .filter(|d| {
            matches!(
                d.kind,
                DependKind::Build
                    | DependKind::Buildtool
                    | DependKind::BuildExport
                    | DependKind::BuildtoolExport
                    | DependKind::Depend
                    | DependKind::Run
            ) && generate::depends::holds(d, &vars)
        })
        .map(|d| d.name.clone())
        .collect()
}

/// Everything a package needs installed (build and run), to close a selection over.
fn needed(m: &Manifest) -> impl Iterator<Item = &str> {
    m.dependencies
        .iter()
        .filter(|d| {
            !matches!(
                d.kind,
                DependKind::Test | DependKind::Doc | DependKind::Conflict | DependKind::Replace
            )
        })
        .map(|d| d.name.as_str())
}

/// The package folders under `roots` by package name (the first found wins; the walk stops at
/// a package.xml and skips hidden folders and CATKIN_IGNORE'd ones).
fn crawl_sources(roots: &[PathBuf]) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        if dir.join("package.xml").is_file() {
            out.push(dir.to_owned());
            return;
        }
        if dir.join("CATKIN_IGNORE").exists() || dir.join("COLCON_IGNORE").exists() {
            return;
        }
        let Ok(entries) = fs_err::read_dir(dir) else { return };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        for d in dirs {
            walk(&d, out);
        }
    }
    let mut found = BTreeMap::new();
    for root in roots {
        let mut dirs = Vec::new();
        walk(root, &mut dirs);
        for dir in dirs {
            let name = manifest::parse_file(ManifestKind::PackageXml, &dir.join("package.xml"))
                .ok()
                .and_then(|m| m.name);
            if let Some(name) = name {
                found.entry(name).or_insert(dir);
            }
        }
    }
    found
}

/// Builds the graph (reads the release repositories' tags and package.xml files; writes
/// nothing).
pub(super) fn build(inputs: &Inputs<'_>) -> anyhow::Result<Graph> {
    let dist = inputs.distribution;
    let mut repos: Vec<release::checkout::Source> = Vec::new();
    let mut opened: BTreeMap<String, Result<usize, String>> = BTreeMap::new();
    let folders = crawl_sources(inputs.sources);
    let mut manifests: BTreeMap<String, Manifest> = BTreeMap::new();
    let mut problems: BTreeMap<String, String> = BTreeMap::new();
    let distro = inputs.targets.first().map(|t| t.distro.clone()).unwrap_or_default();

    // package.xml of one package: from its release tag, else its `--sources` folder.
    let mut read_manifest = |name: &str,
                             repos: &mut Vec<release::checkout::Source>,
                             manifests: &mut BTreeMap<String, Manifest>,
                             problems: &mut BTreeMap<String, String>| {
        if manifests.contains_key(name) || problems.contains_key(name) {
            return;
        }
        let mut why = String::from("no release repository or --sources folder holds it");
        if let Some(repo_name) = dist.release_packages.get(name)
            && let Some(release) = dist.repositories.get(repo_name).and_then(|r| r.release.as_ref())
        {
            let url = release.spec.url.clone();
            let index = opened
                .entry(repo_name.clone())
                .or_insert_with(|| match release::checkout::Source::open_url(&url, inputs.remote) {
                    Ok(s) => {
                        repos.push(s);
                        Ok(repos.len() - 1)
                    }
                    Err(e) => Err(e.to_string()),
                })
                .clone();
            match index {
                Ok(i) => {
                    if let Some(tag) = release.release_tag(name) {
                        match repos[i].tag_tree(&tag).and_then(|t| match t {
                            Some(t) => repos[i].read(t, "package.xml"),
                            None => Ok(None),
                        }) {
                            Ok(Some(bytes)) => {
                                let text = String::from_utf8_lossy(&bytes);
                                let path = PathBuf::from(format!("{url}@{tag}/package.xml"));
                                match manifest::parse(ManifestKind::PackageXml, &text, &path) {
                                    Ok(m) => {
                                        manifests.insert(name.to_owned(), m);
                                        return;
                                    }
                                    Err(d) => why = d.to_string(),
                                }
                            }
                            Ok(None) => {
                                why = format!("`{url}` has no tag `{tag}` with a package.xml")
                            }
                            Err(e) => why = e.to_string(),
                        }
                    }
                }
                Err(e) => why = e,
            }
        }
        if let Some(text) = inputs.package_xmls.and_then(|x| x.get(name)) {
            let path = PathBuf::from(format!("release_package_xmls/{name}/package.xml"));
            match manifest::parse(ManifestKind::PackageXml, text, &path) {
                Ok(m) => {
                    manifests.insert(name.to_owned(), m);
                    return;
                }
                Err(d) => why = d.to_string(),
            }
        }
        if let Some(dir) = folders.get(name) {
            match manifest::parse_file(ManifestKind::PackageXml, &dir.join("package.xml")) {
                Ok(m) => {
                    manifests.insert(name.to_owned(), m);
                    return;
                }
                Err(d) => why = d.to_string(),
            }
        }
        problems.insert(name.to_owned(), why);
    };

    // The selection, closed over what it needs among the released packages.
    let mut selected: BTreeSet<String> = if inputs.packages.is_empty() {
        dist.release_packages.keys().cloned().collect()
    } else {
        inputs.packages.iter().cloned().collect()
    };
    let mut queue: Vec<String> = selected.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        read_manifest(&name, &mut repos, &mut manifests, &mut problems);
        if inputs.no_deps {
            continue;
        }
        let Some(m) = manifests.get(&name) else { continue };
        let more: Vec<String> = needed(m)
            .filter(|d| dist.release_packages.contains_key(*d) && !selected.contains(*d))
            .map(str::to_owned)
            .collect();
        for d in more {
            selected.insert(d.clone());
            queue.push(d);
        }
    }

    // Nodes, per target.
    let mut nodes: Vec<Node> = Vec::new();
    for (t, target) in inputs.targets.iter().enumerate() {
        for name in &selected {
            let repository = dist.release_packages.get(name).cloned().unwrap_or_default();
            let release = dist.repositories.get(&repository).and_then(|r| r.release.as_ref());
            let version = release.and_then(|r| r.spec.version.clone()).unwrap_or_default();
            let debian_package = manifests
                .get(name)
                .and_then(|m| generate::layout(m, name, &distro).ok())
                .map_or_else(|| generate::ros_package_name(&distro, name), |l| l.package);
            let mut source = None;
            let mut problem = problems.get(name).cloned();
            if manifests.contains_key(name) {
                let repo = opened.get(&repository).and_then(|r| r.as_ref().ok()).copied();
                source = locate(
                    name,
                    target,
                    &debian_package,
                    &version,
                    release,
                    repo,
                    &repos,
                    &folders,
                )?;
                if source.is_none() {
                    problem = Some("its sources are in no release tag or --sources folder".into());
                }
            }
            nodes.push(Node {
                package: name.clone(),
                repository,
                version,
                target: t,
                debian_package,
                source,
                problem,
                depends: Vec::new(),
                level: 0,
                hash: None,
            });
        }
    }

    // Edges, levels (Kahn), hashes in dependency order.
    let index: BTreeMap<(usize, &str), usize> =
        nodes.iter().enumerate().map(|(i, n)| ((n.target, n.package.as_str()), i)).collect();
    let deps: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            let Some(m) = manifests.get(&n.package) else { return Vec::new() };
            build_deps(m, &inputs.targets[n.target])
                .iter()
                .filter(|d| **d != n.package)
                .filter_map(|d| index.get(&(n.target, d.as_str())).copied())
                .collect()
        })
        .collect();
    let graph = rospkg::graph::Graph::new(
        nodes.iter().map(|n| node_id(&n.package, &inputs.targets[n.target])).collect(),
        deps.iter()
            .map(|d| {
                d.iter().map(|&i| rospkg::graph::NodeId::try_from(i).unwrap_or(u32::MAX)).collect()
            })
            .collect(),
    );
    let built = graph.build_order();
    let order: Vec<usize> = built.order.iter().map(|&n| n as usize).collect();
    let level: Vec<u32> = built.level.iter().map(|l| l.unwrap_or(0)).collect();
    let tool = format!("rosdeb {}", env!("CARGO_PKG_VERSION"));
    let mut hashes: Vec<Option<String>> = vec![None; nodes.len()];
    for &i in &order {
        let n = &nodes[i];
        let Some(source) = &n.source else { continue };
        let mut h = Sha256::new();
        let target = &inputs.targets[n.target];
        for part in [&tool, &target.distro, &target.os, &target.codename, &n.package, &n.version] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.update(source.kind.name());
        match (&source.tree, &source.dir) {
            (Some(tree), _) => h.update(tree.as_bytes()),
            (None, Some(dir)) => hash_folder(dir, Path::new(""), &mut h)?,
            (None, None) => {}
        }
        let mut complete = true;
        for &d in &deps[i] {
            match &hashes[d] {
                Some(dh) => h.update(dh.as_bytes()),
                None => complete = false,
            }
        }
        if complete {
            hashes[i] = Some(hex::encode(h.finalize()));
        }
    }
    let in_order: BTreeSet<usize> = order.iter().copied().collect();
    let cycles: Vec<String> = (0..nodes.len())
        .filter(|i| !in_order.contains(i))
        .map(|i| node_id(&nodes[i].package, &inputs.targets[nodes[i].target]))
        .collect();
    for (i, n) in nodes.iter_mut().enumerate() {
        n.level = level[i];
        n.hash = hashes[i].take();
        n.depends = deps[i].clone();
    }
    // Renumber into build order: level, target, package; cycle members are dropped.
    let mut keep: Vec<usize> = order;
    keep.sort_by(|&a, &b| {
        (nodes[a].level, nodes[a].target, &nodes[a].package).cmp(&(
            nodes[b].level,
            nodes[b].target,
            &nodes[b].package,
        ))
    });
    let renumber: BTreeMap<usize, usize> =
        keep.iter().enumerate().map(|(new, &old)| (old, new)).collect();
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let mut nodes: Vec<Node> = Vec::with_capacity(keep.len());
    for old in keep {
        let mut n = slots[old].take().expect("each node is kept once");
        n.depends = n.depends.iter().filter_map(|d| renumber.get(d).copied()).collect();
        n.depends.sort_unstable();
        nodes.push(n);
    }
    let unknown: Vec<String> =
        selected.iter().filter(|p| !manifests.contains_key(*p)).cloned().collect();
    let repos = repos.into_iter().map(std::sync::Mutex::new).collect();
    Ok(Graph { targets: inputs.targets.clone(), nodes, manifests, repos, unknown, cycles })
}

/// The sources of `name` for `target`: bloom's debian tag, else the release tag, else a
/// `--sources` folder.
#[allow(clippy::too_many_arguments)]
fn locate(
    name: &str,
    target: &DebTarget,
    debian_package: &str,
    version: &str,
    release: Option<&rospkg::distro::distribution::ReleaseRepository>,
    repo: Option<usize>,
    repos: &[release::checkout::Source],
    folders: &BTreeMap<String, PathBuf>,
) -> anyhow::Result<Option<Source>> {
    if let Some(release) = release {
        let url = &release.spec.url;
        if let Some(i) = repo {
            let debian_tag = format!("debian/{debian_package}_{version}_{}", target.codename);
            let candidates = [
                (SourceKind::DebianTag, Some(debian_tag)),
                (SourceKind::ReleaseTag, release.release_tag(name)),
            ];
            for (kind, tag) in candidates {
                let Some(tag) = tag else { continue };
                if let Some(tree) = repos[i].tag_tree(&tag)? {
                    return Ok(Some(Source {
                        kind,
                        location: url.clone(),
                        reference: Some(tag),
                        tree: Some(tree),
                        repo: Some(i),
                        dir: None,
                    }));
                }
            }
        }
    }
    Ok(folders.get(name).map(|dir| Source {
        kind: SourceKind::Folder,
        location: dir.display().to_string(),
        reference: None,
        tree: None,
        repo: None,
        dir: Some(dir.clone()),
    }))
}

/// Hashes the names, modes and contents of every file under `dir` (sorted; symlinks by target).
fn hash_folder(dir: &Path, rel: &Path, h: &mut Sha256) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut entries: Vec<fs_err::DirEntry> = fs_err::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for e in entries {
        let name = e.file_name();
        let rel = rel.join(&name);
        let kind = e.file_type()?;
        h.update(rel.as_os_str().as_encoded_bytes());
        h.update([0]);
        if kind.is_dir() {
            hash_folder(&e.path(), &rel, h)?;
        } else if kind.is_symlink() {
            h.update(fs_err::read_link(e.path())?.as_os_str().as_encoded_bytes());
        } else if kind.is_file() {
            h.update(e.metadata()?.permissions().mode().to_le_bytes());
            h.update(fs_err::read(e.path())?);
        }
        h.update([0]);
    }
    Ok(())
}

impl Graph {
    /// The plan document.
    pub(super) fn to_json(&self, invocation: &super::Invocation<'_>) -> crate::json::ReleasePlan {
        let ids: Vec<String> =
            self.nodes.iter().map(|n| node_id(&n.package, &self.targets[n.target])).collect();
        let nodes = self
            .nodes
            .iter()
            .zip(&ids)
            .map(|(n, id)| crate::json::PlanNode {
                id: id.clone(),
                package: n.package.clone(),
                repository: n.repository.clone(),
                version: n.version.clone(),
                target: format!(
                    "{}:{}",
                    self.targets[n.target].os, self.targets[n.target].codename
                ),
                debian_package: n.debian_package.clone(),
                source: n.source.as_ref().map(|s| crate::json::PlanSource {
                    kind: s.kind.name().to_owned(),
                    location: s.location.clone(),
                    reference: s.reference.clone(),
                    tree: s.tree.map(|t| t.to_string()),
                }),
                hash: n.hash.clone(),
                level: n.level,
                depends: n.depends.iter().map(|&d| ids[d].clone()).collect(),
            })
            .collect();
        crate::json::ReleasePlan {
            schema: crate::json::SCHEMA,
            distro: invocation.distro.to_owned(),
            distro_file: invocation.distro_file.map(str::to_owned),
            rosdep: invocation.rosdep.to_vec(),
            sources: invocation.sources.iter().map(|s| s.display().to_string()).collect(),
            targets: self.targets.iter().map(|t| format!("{}:{}", t.os, t.codename)).collect(),
            nodes,
            levels: self.nodes.iter().map(|n| n.level + 1).max().unwrap_or(0),
            critical_path: self.critical_path().into_iter().map(|i| ids[i].clone()).collect(),
            unknown: self.unknown.clone(),
        }
    }

    /// One longest chain of nodes (by count), first built first.
    pub(super) fn critical_path(&self) -> Vec<usize> {
        let Some(mut at) =
            (0..self.nodes.len()).max_by_key(|&i| (self.nodes[i].level, std::cmp::Reverse(i)))
        else {
            return Vec::new();
        };
        let mut path = vec![at];
        while let Some(&d) = self.nodes[at]
            .depends
            .iter()
            .filter(|&&d| self.nodes[d].level + 1 == self.nodes[at].level)
            .min()
        {
            path.push(d);
            at = d;
        }
        path.reverse();
        path
    }
}
