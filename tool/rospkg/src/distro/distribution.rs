//! Distribution files (REP 141 version 1, REP 143 version 2) and distribution caches
//! (`type: cache`, `*.yaml.gz`), read as Python rosdistro's `DistributionFile` reads them.
//!
//! What rosdistro asserts (wrong `type`, unknown `version`, a release without `url`, a
//! duplicate package, an unknown status, ...) is an error [`Diagnostic`]; structural problems
//! (not YAML, wrong types where a value is needed) stop parsing, the rest are collected in
//! [`DistributionFile::diagnostics`] so `validate` can show them all.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::yaml::{self, Mapping, Node, Value};
use super::{Error, read_text, resolve_source};

mod repr;
use crate::diagnostic::Diagnostic;

/// Repository statuses REP 143 allows.
pub const VALID_STATUSES: [&str; 4] = ["developed", "maintained", "unmaintained", "end-of-life"];

/// A distribution: one file, or several merged (later files win), or a cache's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionFile {
    /// The distribution name (from the index or cache; empty when read alone).
    pub name: String,
    /// Which generation of file this came from.
    pub format: Format,
    /// File format version (1 or 2 for distribution files, 1 for REP 137, 0 for gbpdistro).
    pub version: u32,
    /// `release_platforms`: OS name → codenames.
    pub release_platforms: IndexMap<String, Vec<String>>,
    /// Repositories, sorted by name (as rosdistro iterates them).
    pub repositories: IndexMap<String, Repository>,
    /// File-level `tags`.
    pub tags: Vec<String>,
    /// Released package → repository name, in rosdistro's insertion order.
    pub release_packages: IndexMap<String, String>,
    /// Problems rosdistro would reject the file for (and a few warnings).
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

/// The generation of a distribution file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `type: distribution` (REP 141 version 1, REP 143 version 2).
    Distribution,
    /// `type: release` (REP 137, groovy / hydro `release.yaml`); rosdistro no longer reads it.
    Release,
    /// `type: gbp` (fuerte's `releases/fuerte.yaml`, read by rosdep's gbpdistro support): each
    /// repository releases one package of the same name.
    Gbp,
}

/// One repository entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repository {
    /// The key under `repositories`.
    pub name: String,
    /// `release` section.
    pub release: Option<ReleaseRepository>,
    /// `source` section.
    pub source: Option<SourceRepository>,
    /// `doc` section.
    pub doc: Option<DocRepository>,
    /// `status`.
    pub status: Option<String>,
    /// `status_description`.
    pub status_description: Option<String>,
    /// `status_per_package`: package → (status, description).
    pub status_per_package: IndexMap<String, PackageStatus>,
}

/// `status_per_package` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageStatus {
    /// `status`.
    pub status: Option<String>,
    /// `status_description`.
    pub status_description: Option<String>,
}

/// What every section has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositorySpec {
    /// `type` (default `git`).
    #[serde(rename = "type")]
    pub kind: String,
    /// `url`.
    pub url: String,
    /// `version`, verbatim (a release version like `1.17.4-1`, or a branch / tag / hash).
    pub version: Option<String>,
}

/// The `release` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "repr::ReleaseRepr", from = "repr::ReleaseRepr")]
pub struct ReleaseRepository {
    /// type, url, version.
    pub spec: RepositorySpec,
    /// `tags`, e.g. `release: release/noetic/{package}/{version}`.
    pub tags: IndexMap<String, String>,
    /// Package names, sorted; the repository name when `packages` is absent or empty.
    pub packages: Vec<String>,
}

impl Repository {
    /// A repository with only a release section (REP 137 and gbpdistro files).
    fn released(name: &str, release: ReleaseRepository, status: Option<String>) -> Self {
        Repository {
            name: name.to_owned(),
            release: Some(release),
            source: None,
            doc: None,
            status,
            status_description: None,
            status_per_package: IndexMap::new(),
        }
    }
}

impl ReleaseRepository {
    /// The part of the version before the first `-` (rosdistro's `upstream_version`).
    pub fn upstream_version(&self) -> Option<&str> {
        self.spec.version.as_deref().map(|v| v.split('-').next().unwrap_or(v))
    }

    /// rosdistro's `get_release_tag`: the `release` tag template filled in.
    pub fn release_tag(&self, package: &str) -> Option<String> {
        let mut tag = self.tags.get("release")?.clone();
        tag = tag.replace("{package}", package);
        if let Some(v) = self.spec.version.as_deref().filter(|v| !v.is_empty()) {
            tag = tag.replace("{version}", v);
            tag = tag.replace("{upstream_version}", v.split('-').next().unwrap_or(v));
        }
        Some(tag)
    }
}

/// The `source` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "repr::SourceRepr", from = "repr::SourceRepr")]
pub struct SourceRepository {
    /// type, url, version.
    pub spec: RepositorySpec,
    /// `test_commits`.
    pub test_commits: Option<bool>,
    /// `test_pull_requests`.
    pub test_pull_requests: Option<bool>,
    /// `test_abi`.
    pub test_abi: Option<bool>,
}

/// The `doc` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "repr::DocRepr", from = "repr::DocRepr")]
pub struct DocRepository {
    /// type, url, version.
    pub spec: RepositorySpec,
    /// `blacklist_packages`, sorted.
    pub blacklist_packages: Vec<String>,
    /// `depends`, sorted.
    pub depends: Vec<String>,
}

/// A distribution cache (`type: cache`, version 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cache {
    /// The distribution name.
    pub name: String,
    /// The merged distribution files it carries.
    pub distribution: DistributionFile,
    /// `release_package_xmls`: package → package.xml text.
    pub release_package_xmls: IndexMap<String, String>,
}

/// What a file turned out to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Loaded {
    /// A distribution file.
    Distribution(DistributionFile),
    /// A distribution cache.
    Cache(Cache),
}

impl Loaded {
    /// The distribution, whichever it was.
    pub fn into_distribution(self) -> DistributionFile {
        match self {
            Loaded::Distribution(d) => d,
            Loaded::Cache(c) => c.distribution,
        }
    }
}

/// Reads a distribution file or cache from a path or `file://` URL (gzip is detected).
pub fn load(source: &str) -> Result<Loaded, Error> {
    let path = resolve_source(source)?;
    let text = read_text(&path)?;
    parse(&path, &text, "").map_err(Error::Invalid)
}

/// Reads and merges several distribution files (an index entry's list), as rosdistro's
/// `create_distribution_file`.
pub fn load_merged(name: &str, sources: &[String]) -> Result<DistributionFile, Error> {
    let mut merged: Option<DistributionFile> = None;
    for source in sources {
        let path = resolve_source(source)?;
        let text = read_text(&path)?;
        let file = match parse(&path, &text, name)? {
            Loaded::Distribution(d) => d,
            Loaded::Cache(_) => {
                return Err(Error::Invalid(Diagnostic::error(
                    &path,
                    "expected a distribution file, found a distribution cache",
                )));
            }
        };
        merged = Some(match merged {
            None => file,
            Some(mut m) => {
                m.merge(file, &path);
                m
            }
        });
    }
    merged.ok_or_else(|| {
        Error::Invalid(Diagnostic::error(
            PathBuf::new(),
            format!("distribution '{name}' lists no distribution files"),
        ))
    })
}

/// Parses a distribution file or cache (`path` is for diagnostics).
///
/// A first pass reads the YAML without node positions (the common case of a clean file); if
/// it finds any problem, the file is read again with positions so that every diagnostic says
/// file:line:col.
pub fn parse(path: &Path, text: &str, name: &str) -> Result<Loaded, Diagnostic> {
    let started = std::time::Instant::now();
    let loaded = parse_twice(path, text, name);
    tracing::debug!(parse_us = started.elapsed().as_micros(), "parsed {}", path.display());
    loaded
}

fn parse_twice(path: &Path, text: &str, name: &str) -> Result<Loaded, Diagnostic> {
    let fast = yaml::without_positions(|| match yaml::split_section(text, "repositories") {
        Some((first, second)) => parse_split(path, &first, &second, name),
        None => parse_tree(path, text, name),
    });
    let clean = match &fast {
        Ok(Loaded::Distribution(d)) => d.diagnostics.is_empty(),
        Ok(Loaded::Cache(c)) => c.distribution.diagnostics.is_empty(),
        Err(_) => false,
    };
    if clean { fast } else { parse_tree(path, text, name) }
}

pub(super) fn parse_tree(path: &Path, text: &str, name: &str) -> Result<Loaded, Diagnostic> {
    let root: Node = yaml::from_str(path, text)?;
    build(path, &root, name)
}

/// The two halves of a file split by [`yaml::split_section`], parsed on two threads and joined
/// back into one tree (the second half's repositories after the first's, as in the file).
/// Anything unexpected (a repository in both halves, a parse error) is reported as an error, so
/// the caller reads the whole file again the ordinary way and reports it precisely.
pub(super) fn parse_split(
    path: &Path,
    first: &str,
    second: &str,
    name: &str,
) -> Result<Loaded, Diagnostic> {
    let (a, b) = rayon::join(
        || yaml::from_str::<Node>(path, first),
        || yaml::from_str::<Node>(path, second),
    );
    let (mut root, rest) = (a?, b?);
    let split_failed = || Diagnostic::error(path, "the split parse did not line up");
    let (Value::Map(top), Value::Map(mut rest_top)) = (&mut root.value, rest.value) else {
        return Err(split_failed());
    };
    let (Some(Node { value: Value::Map(repos), .. }), Some(Node { value: Value::Map(more), .. })) =
        (top.get_mut("repositories"), rest_top.swap_remove("repositories"))
    else {
        return Err(split_failed());
    };
    for (key, node) in more {
        if repos.insert(key, node).is_some() {
            return Err(split_failed());
        }
    }
    build(path, &root, name)
}

/// The distribution model of a parsed file.
fn build(path: &Path, root: &Node, name: &str) -> Result<Loaded, Diagnostic> {
    let r = Reader { path };
    let map = r.map(root, "the file")?;
    match map.get("type").map(|n| &n.value) {
        Some(Value::Str(t)) if t == "cache" => r.cache(root, map).map(Loaded::Cache),
        Some(Value::Str(t)) if t == "release" => {
            r.release_file(root, map, name).map(Loaded::Distribution)
        }
        Some(Value::Str(t)) if t == "gbp" => r.gbp_file(map, name).map(Loaded::Distribution),
        _ => r.distribution(root, name).map(Loaded::Distribution),
    }
}

pub(super) struct Reader<'a> {
    pub(super) path: &'a Path,
}

impl Reader<'_> {
    pub(super) fn err(&self, node: Option<&Node>, message: impl Into<String>) -> Diagnostic {
        let mut d = Diagnostic::error(self.path, message);
        if let Some(p) = node.and_then(yaml::position) {
            d = d.at(p);
        }
        d
    }

    pub(super) fn map<'n>(&self, node: &'n Node, what: &str) -> Result<&'n Mapping, Diagnostic> {
        match &node.value {
            Value::Map(m) => Ok(m),
            v => {
                Err(self
                    .err(Some(node), format!("{what} must be a mapping, not {}", v.type_name())))
            }
        }
    }

    /// A mapping, or empty for null / absent.
    pub(super) fn opt_map<'n>(
        &self,
        node: Option<&'n Node>,
        what: &str,
    ) -> Result<Option<&'n Mapping>, Diagnostic> {
        match node {
            None => Ok(None),
            Some(n) if n.value == Value::Null => Ok(None),
            Some(n) => self.map(n, what).map(Some),
        }
    }

    /// A scalar as a string (Python `str()`); null is `None`.
    pub(super) fn scalar(
        &self,
        node: Option<&Node>,
        what: &str,
    ) -> Result<Option<String>, Diagnostic> {
        match node.map(|n| (n, &n.value)) {
            None | Some((_, Value::Null)) => Ok(None),
            Some((n, Value::Seq(_) | Value::Map(_))) => {
                Err(self
                    .err(Some(n), format!("{what} must be a scalar, not {}", n.value.type_name())))
            }
            Some((_, v)) => Ok(Some(v.python_str())),
        }
    }

    pub(super) fn string_list(
        &self,
        node: Option<&Node>,
        what: &str,
    ) -> Result<Vec<String>, Diagnostic> {
        match node.map(|n| (n, &n.value)) {
            None | Some((_, Value::Null)) => Ok(Vec::new()),
            Some((_, Value::Seq(items))) => items
                .iter()
                .map(|i| self.scalar(Some(i), what).map(Option::unwrap_or_default))
                .collect(),
            Some((n, v)) => {
                Err(self.err(Some(n), format!("{what} must be a list, not {}", v.type_name())))
            }
        }
    }

    /// `int(value)` as rosdistro does for `version`.
    pub(super) fn int(&self, node: &Node, what: &str) -> Result<i128, Diagnostic> {
        match &node.value {
            Value::Int(i) => Ok(*i),
            Value::Float(f) if f.is_finite() => Ok(f.trunc() as i128),
            Value::Bool(b) => Ok(i128::from(*b)),
            Value::Str(s) if s.trim().parse::<i128>().is_ok() => Ok(s.trim().parse().unwrap_or(0)),
            v => {
                Err(self
                    .err(Some(node), format!("{what} must be an integer, not {}", v.python_str())))
            }
        }
    }

    fn cache(&self, root: &Node, map: &Mapping) -> Result<Cache, Diagnostic> {
        let version = map
            .get("version")
            .ok_or_else(|| self.err(Some(root), "cache file lacks required version information"))?;
        let v = self.int(version, "version")?;
        if v != 2 {
            return Err(self
                .err(Some(version), format!("unable to handle 'cache' format version '{v}'"))
                .with_hint("distribution caches have version 2"));
        }
        let name_node = map.get("name");
        let name = self
            .scalar(name_node, "name")?
            .ok_or_else(|| self.err(Some(root), "cache lacks required 'name'"))?;
        let files = map
            .get("distribution_file")
            .ok_or_else(|| self.err(Some(root), "cache lacks required 'distribution_file'"))?;
        let nodes: Vec<&Node> = match &files.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(_) => vec![files],
            v => {
                return Err(self.err(
                    Some(files),
                    format!(
                        "'distribution_file' must be a list of mappings, not {}",
                        v.type_name()
                    ),
                ));
            }
        };
        let mut merged: Option<DistributionFile> = None;
        for node in nodes {
            let file = self.distribution(node, &name)?;
            merged = Some(match merged {
                None => file,
                Some(mut m) => {
                    m.merge(file, self.path);
                    m
                }
            });
        }
        let distribution =
            merged.ok_or_else(|| self.err(Some(files), "cache holds no distribution file"))?;
        let mut release_package_xmls = IndexMap::new();
        if let Some(xmls) = self.opt_map(map.get("release_package_xmls"), "release_package_xmls")? {
            for (pkg, xml) in xmls {
                if let Some(x) = self.scalar(Some(xml), "package.xml")? {
                    release_package_xmls.insert(pkg.clone(), x);
                }
            }
        }
        Ok(Cache { name, distribution, release_package_xmls })
    }

    pub(super) fn distribution(
        &self,
        root: &Node,
        name: &str,
    ) -> Result<DistributionFile, Diagnostic> {
        let map = self.map(root, "a distribution file")?;
        match map.get("type") {
            None => {
                return Err(self
                    .err(Some(root), "expected file type is 'distribution'")
                    .with_hint("add `type: distribution` and `version: 2`"));
            }
            Some(t) if t.value != Value::Str("distribution".into()) => {
                let hint = match &t.value {
                    Value::Str(s) if s == "index" => {
                        "this is an index: use --index FILE --distro NAME"
                    }
                    _ => "a REP 143 distribution file has `type: distribution`",
                };
                return Err(self
                    .err(
                        Some(t),
                        format!(
                            "expected file type is 'distribution', not '{}'",
                            t.value.python_str()
                        ),
                    )
                    .with_hint(hint));
            }
            Some(_) => {}
        }
        let version_node = map.get("version").ok_or_else(|| {
            self.err(Some(root), "distribution file lacks required version information")
        })?;
        let version = self.int(version_node, "version")?;
        if !(1..=2).contains(&version) {
            return Err(self
                .err(
                    Some(version_node),
                    format!("unable to handle 'distribution' format version '{version}'"),
                )
                .with_hint("distribution files have version 1 (REP 141) or 2 (REP 143)"));
        }
        let mut file = DistributionFile::empty(
            name.to_owned(),
            Format::Distribution,
            u32::try_from(version).unwrap_or(2),
        );
        let repos = self.opt_map(map.get("repositories"), "repositories")?;
        if let Some(repos) = repos {
            let mut names: Vec<&String> = repos.keys().collect();
            names.sort();
            for repo_name in names {
                let node = &repos[repo_name];
                let repo = self.repository(repo_name, node, &mut file.diagnostics)?;
                if let Some(release) = &repo.release {
                    self.add_packages(&mut file, repo_name, node, &release.packages);
                }
                if let Some(doc) = &repo.doc {
                    for dep in &doc.depends {
                        if !repos.contains_key(dep) {
                            file.diagnostics.push(self.err(
                                Some(node),
                                format!("doc repository '{repo_name}' depends on non-existing repository '{dep}'"),
                            ));
                        }
                    }
                }
                file.repositories.insert(repo_name.clone(), repo);
            }
        }
        if let Some(platforms) = self.opt_map(map.get("release_platforms"), "release_platforms")? {
            for (os, codes) in platforms {
                let list = self.string_list(Some(codes), &format!("release_platforms.{os}"))?;
                let mut seen: Vec<String> = Vec::new();
                for code in list {
                    if seen.contains(&code) {
                        file.diagnostics.push(self.err(
                            Some(codes),
                            format!("distribution specifies the os_code_name '{code}' multiple times for the os_name '{os}'"),
                        ));
                    } else {
                        seen.push(code);
                    }
                }
                file.release_platforms.insert(os.clone(), seen);
            }
        }
        file.tags = self.string_list(map.get("tags"), "tags")?;
        file.diagnostics.sort_by_key(|d| d.position);
        Ok(file)
    }

    /// A REP 137 `release.yaml`: `platforms`, and per repository `url`, `version`, `tags` and
    /// `packages` as a mapping of package name to subfolder (absent: the repository name).
    fn release_file(
        &self,
        root: &Node,
        map: &Mapping,
        name: &str,
    ) -> Result<DistributionFile, Diagnostic> {
        let version_node = map.get("version").ok_or_else(|| {
            self.err(Some(root), "release file lacks required version information")
        })?;
        let version = self.int(version_node, "version")?;
        if version != 1 {
            return Err(self
                .err(
                    Some(version_node),
                    format!("unable to handle 'release' format version '{version}'"),
                )
                .with_hint("REP 137 release files have version 1"));
        }
        let mut file = DistributionFile::empty(name.to_owned(), Format::Release, 1);
        if let Some(repos) = self.opt_map(map.get("repositories"), "repositories")? {
            let mut names: Vec<&String> = repos.keys().collect();
            names.sort();
            for repo_name in names {
                let node = &repos[repo_name];
                let m = self.map(node, &format!("repository '{repo_name}'"))?;
                let spec = self.spec(repo_name, "release", node, m, &mut file.diagnostics)?;
                let mut tags = IndexMap::new();
                if let Some(t) = self.opt_map(m.get("tags"), "tags")? {
                    for (k, v) in t {
                        tags.insert(k.clone(), v.value.python_str());
                    }
                }
                let packages = self.package_names(m, repo_name)?;
                self.add_packages(&mut file, repo_name, node, &packages);
                let status = self.scalar(m.get("status"), "status")?;
                let release = ReleaseRepository { spec, tags, packages };
                file.repositories
                    .insert(repo_name.clone(), Repository::released(repo_name, release, status));
            }
        }
        if let Some(platforms) = self.opt_map(map.get("platforms"), "platforms")? {
            for (os, codes) in platforms {
                file.release_platforms
                    .insert(os.clone(), self.string_list(Some(codes), "platforms")?);
            }
        }
        Ok(file)
    }

    /// Fuerte's gbpdistro (`type: gbp`, `release-name`, `repositories: {name: {url, version}}`):
    /// one package per repository, named like it.
    fn gbp_file(&self, map: &Mapping, name: &str) -> Result<DistributionFile, Diagnostic> {
        let release_name = self.scalar(map.get("release-name"), "release-name")?;
        let mut file = DistributionFile::empty(
            release_name.unwrap_or_else(|| name.to_owned()),
            Format::Gbp,
            0,
        );
        if let Some(repos) = self.opt_map(map.get("repositories"), "repositories")? {
            let mut names: Vec<&String> = repos.keys().collect();
            names.sort();
            for repo_name in names {
                let node = &repos[repo_name];
                let m = self.map(node, &format!("repository '{repo_name}'"))?;
                let spec = self.spec(repo_name, "release", node, m, &mut file.diagnostics)?;
                let packages = self.package_names(m, repo_name)?;
                self.add_packages(&mut file, repo_name, node, &packages);
                let release = ReleaseRepository { spec, tags: IndexMap::new(), packages };
                file.repositories
                    .insert(repo_name.clone(), Repository::released(repo_name, release, None));
            }
        }
        Ok(file)
    }

    /// REP 137 / gbpdistro `packages`: a mapping of name to subfolder (or a list); absent or
    /// empty means one package named like the repository. Sorted.
    fn package_names(&self, m: &Mapping, repo: &str) -> Result<Vec<String>, Diagnostic> {
        let mut packages: Vec<String> = match m.get("packages").map(|n| &n.value) {
            Some(Value::Map(p)) => p.keys().cloned().collect(),
            _ => self.string_list(m.get("packages"), "packages")?,
        };
        if packages.is_empty() {
            packages.push(repo.to_owned());
        }
        packages.sort();
        Ok(packages)
    }

    fn add_packages(
        &self,
        file: &mut DistributionFile,
        repo: &str,
        node: &Node,
        packages: &[String],
    ) {
        for pkg in packages {
            if let Some(other) = file.release_packages.get(pkg) {
                file.diagnostics.push(self.err(
                    Some(node),
                    format!("duplicate package name '{pkg}' exists in repository '{repo}' as well as in repository '{other}'"),
                ).with_hint("a package may be released from one repository only"));
            } else {
                file.release_packages.insert(pkg.clone(), repo.to_owned());
            }
        }
    }

    fn spec(
        &self,
        repo: &str,
        section: &str,
        node: &Node,
        map: &Mapping,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<RepositorySpec, Diagnostic> {
        let kind = self.scalar(map.get("type"), "type")?.unwrap_or_else(|| "git".into());
        let url = self.scalar(map.get("url"), "url")?.unwrap_or_default();
        if url.is_empty() {
            diagnostics.push(
                self.err(
                    Some(node),
                    format!("repository '{repo}' lacks required URL information ({section})"),
                )
                .with_hint("add `url: https://...`"),
            );
        }
        let version = self.scalar(map.get("version"), "version")?;
        Ok(RepositorySpec { kind, url, version })
    }

    fn repository(
        &self,
        name: &str,
        node: &Node,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Repository, Diagnostic> {
        let map = self.map(node, &format!("repository '{name}'"))?;
        let section = |key: &str| -> Result<Option<(&Node, &Mapping)>, Diagnostic> {
            match map.get(key) {
                Some(n) if n.value.truthy() => {
                    Ok(Some((n, self.map(n, &format!("{name}.{key}"))?)))
                }
                _ => Ok(None),
            }
        };
        let release = match section("release")? {
            None => None,
            Some((n, m)) => {
                let spec = self.spec(name, "release", n, m, diagnostics)?;
                if spec.kind != "git" && spec.kind != "tar" {
                    diagnostics.push(self.err(
                        m.get("type"),
                        format!(
                            "release repository '{name}' has type '{}', not git or tar",
                            spec.kind
                        ),
                    ));
                }
                let mut tags = IndexMap::new();
                if let Some(t) = self.opt_map(m.get("tags"), "tags")? {
                    for (k, v) in t {
                        tags.insert(k.clone(), v.value.python_str());
                    }
                }
                if spec.version.is_some() && !tags.contains_key("release") {
                    diagnostics.push(
                        self.err(
                            Some(n),
                            format!(
                                "release repository '{name}' has a version but no 'release' tag"
                            ),
                        )
                        .with_hint("add `tags: {release: release/<distro>/{package}/{version}}`"),
                    );
                }
                let mut packages = self.string_list(m.get("packages"), "packages")?;
                if packages.is_empty() {
                    packages.push(name.to_owned());
                }
                packages.sort();
                Some(ReleaseRepository { spec, tags, packages })
            }
        };
        let source = match section("source")? {
            None => None,
            Some((n, m)) => {
                let spec = self.spec(name, "source", n, m, diagnostics)?;
                let b = |k: &str| m.get(k).map(|v| v.value.truthy());
                Some(SourceRepository {
                    spec,
                    test_commits: b("test_commits"),
                    test_pull_requests: b("test_pull_requests"),
                    test_abi: b("test_abi"),
                })
            }
        };
        let doc = match section("doc")? {
            None => None,
            Some((n, m)) => {
                let spec = self.spec(name, "doc", n, m, diagnostics)?;
                let mut blacklist_packages =
                    self.string_list(m.get("blacklist_packages"), "blacklist_packages")?;
                blacklist_packages.sort();
                let mut depends = self.string_list(m.get("depends"), "depends")?;
                depends.sort();
                Some(DocRepository { spec, blacklist_packages, depends })
            }
        };
        let status = self.scalar(map.get("status"), "status")?;
        if let Some(s) = &status
            && !VALID_STATUSES.contains(&s.as_str())
        {
            diagnostics.push(
                self.err(
                    map.get("status"),
                    format!("repository '{name}' has invalid status '{s}'"),
                )
                .with_hint(format!("use one of: {}", VALID_STATUSES.join(", "))),
            );
        }
        let status_description =
            self.scalar(map.get("status_description"), "status_description")?;
        let mut status_per_package = IndexMap::new();
        if let Some(per) = self.opt_map(map.get("status_per_package"), "status_per_package")? {
            for (pkg, entry) in per {
                let m = self.opt_map(Some(entry), "status_per_package entry")?;
                let get = |k: &str| m.and_then(|m| m.get(k));
                let st = self.scalar(get("status"), "status")?.filter(|s| !s.is_empty());
                if let Some(s) = &st
                    && !VALID_STATUSES.contains(&s.as_str())
                {
                    diagnostics.push(self.err(
                        get("status"),
                        format!("package '{pkg}' of repository '{name}' has invalid status '{s}'"),
                    ));
                }
                let desc = self
                    .scalar(get("status_description"), "status_description")?
                    .filter(|s| !s.is_empty());
                if st.is_some() || desc.is_some() {
                    status_per_package.insert(
                        pkg.clone(),
                        PackageStatus { status: st, status_description: desc },
                    );
                }
            }
        }
        Ok(Repository {
            name: name.to_owned(),
            release,
            source,
            doc,
            status,
            status_description,
            status_per_package,
        })
    }
}

impl DistributionFile {
    /// A file of `format` and `version` with nothing in it yet.
    fn empty(name: String, format: Format, version: u32) -> Self {
        DistributionFile {
            name,
            format,
            version,
            release_platforms: IndexMap::new(),
            repositories: IndexMap::new(),
            tags: Vec::new(),
            release_packages: IndexMap::new(),
            diagnostics: Vec::new(),
        }
    }

    /// True when rosdistro would accept the file (no error diagnostics).
    pub fn is_valid(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The release version of a released package's repository.
    pub fn package_version(&self, package: &str) -> Option<&str> {
        let repo = self.release_packages.get(package)?;
        self.repositories.get(repo)?.release.as_ref()?.spec.version.as_deref()
    }

    /// rosdistro's `DistributionFile.merge`: `other` (a later file) overrides repositories,
    /// replaces the platforms and adds its tags. `path` is `other`'s file, for diagnostics.
    pub fn merge(&mut self, other: DistributionFile, path: &Path) {
        if other.version != self.version {
            self.diagnostics.push(Diagnostic::error(
                path,
                format!(
                    "merged distribution files have different versions ({} and {})",
                    self.version, other.version
                ),
            ));
        }
        for (os, codes) in &other.release_platforms {
            let known = self.release_platforms.get(os);
            if known.is_none_or(|k| codes.iter().any(|c| !k.contains(c))) {
                self.diagnostics.push(Diagnostic::error(
                    path,
                    format!("an overriding distribution file adds release platforms for '{os}'"),
                ));
            }
        }
        self.release_platforms = other.release_platforms;
        self.diagnostics.extend(other.diagnostics);
        for (name, repo) in other.repositories {
            if let Some(old) = self.repositories.get(&name)
                && let Some(rel) = &old.release
            {
                for pkg in &rel.packages {
                    self.release_packages.shift_remove(pkg);
                }
            }
            if let Some(rel) = &repo.release {
                for pkg in &rel.packages {
                    self.release_packages.insert(pkg.clone(), name.clone());
                }
            }
            self.repositories.insert(name, repo);
        }
        self.repositories.sort_keys();
        for tag in other.tags {
            if !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
    }
}
