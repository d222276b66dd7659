//! `RosPack` and `RosStack`: the package and stack views of an index (port of `rospkg.rospack`).
//!
//! A [`Catalog`] picks, from an [`Index`], the winner for every name (first search-path entry
//! wins; inside one entry, the first in sorted path order), records duplicates, and builds the
//! dependency [`Graph`]. Broken manifests are left out with a diagnostic; the rest still works.
//!
//! Deliberate differences from rospack/rospkg, all documented in `docs/rospack-differences.md`:
//! a broken package.xml is a diagnostic instead of an abort; rosstack's view holds stack.xml stacks
//! and metapackages only (rospack's rosstack lists every package.xml package) unless
//! [`Options::stack_list_compat`] is set; cycles are errors naming every member.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::crawl::{CrawlOptions, SearchPath};
use crate::diagnostic::Diagnostic;
use crate::environment::Environment;
use crate::graph::{Cycle, Graph, NodeId};
use crate::index::{CacheOutcome, Entry, Index, Summary};
use crate::manifest::{self, Condition, DependKind, Manifest, ManifestKind};

/// Which dependency tags count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Semantics {
    /// rospack: run-time tags only (`run_depend`, `exec_depend`, `depend`; rosbuild `<depend>`).
    #[default]
    Run,
    /// Python rospkg: buildtool + build + build_export + exec/run + depend + test.
    Rospkg,
}

/// How to open a catalog.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Crawl options.
    pub crawl: CrawlOptions,
    /// Folder of the index cache (`None`: always crawl).
    pub cache_dir: Option<PathBuf>,
    /// Which dependency tags count.
    pub semantics: Semantics,
    /// Evaluate REP 149 conditions with these variables; `None` ignores conditions (rospack).
    pub conditions: Option<Environment>,
    /// rosstack compatibility: every package.xml package is also a stack (rospack's quirk).
    pub stack_list_compat: bool,
    /// rosdep keys known to be system dependencies; a dependency that is not a package of the
    /// catalog and is one of these is [`DepClass::System`], otherwise [`DepClass::Unknown`].
    pub system_keys: Option<std::sync::Arc<HashSet<String>>>,
}

/// Packages or stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// rospack: manifest.xml packages and non-metapackage package.xml packages.
    Packages,
    /// rosstack: stack.xml stacks and package.xml metapackages.
    Stacks,
}

/// One package or stack of a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its name (directory name for rosbuild manifests, `<name>` for package.xml).
    pub name: String,
    /// Its directory, as found on the search path.
    pub dir: PathBuf,
    /// The manifest that defines it.
    pub kind: ManifestKind,
    /// Index of the search-path root it came from.
    pub root: u32,
    entry: usize,
}

impl Item {
    /// The manifest file.
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(self.kind.file_name())
    }
}

/// How a declared dependency resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepClass {
    /// A package (or stack) of this catalog.
    Local,
    /// A rosdep key (system dependency).
    System,
    /// Neither: not on the search path and not a known rosdep key.
    Unknown,
}

/// A dependency with its resolution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolvedDep {
    /// Name.
    pub name: String,
    /// Tag.
    pub kind: DependKind,
    /// Resolution.
    pub class: DepClass,
}

/// A name found in more than one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The name.
    pub name: String,
    /// Every directory, the winner first.
    pub dirs: Vec<PathBuf>,
}

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The name is not in the catalog.
    #[error("{name} not found")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// A dependency cycle was met.
    #[error("dependency cycle: {}", members.join(" -> "))]
    Cycle {
        /// The members, in walking order.
        members: Vec<String>,
    },
    /// The manifest could not be read.
    #[error("{0}")]
    Manifest(Diagnostic),
}

/// A transitive dependency query's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    /// Dependencies in rospack's post-order.
    pub names: Vec<String>,
    /// `(package, dependency)` pairs met on the way where the dependency is not local.
    pub missing: Vec<(String, ResolvedDep)>,
}

/// The dependency side of a catalog.
#[derive(Debug, Clone)]
struct Links {
    graph: Graph,
    /// Declared dependencies of each node, resolved.
    deps: Vec<Vec<ResolvedDep>>,
    /// Whether each node lists itself.
    self_dependent: Vec<bool>,
}

/// A package or stack view over one search path.
#[derive(Debug, Clone)]
pub struct Catalog {
    flavor: Flavor,
    search: SearchPath,
    index: std::sync::Arc<Index>,
    cache: CacheOutcome,
    items: Vec<Item>,
    by_name: HashMap<String, usize>,
    duplicates: Vec<Duplicate>,
    links: std::sync::OnceLock<Links>,
    problems: Vec<Diagnostic>,
    skipped: Vec<Diagnostic>,
    notices: Vec<Diagnostic>,
    options: Options,
}

impl Catalog {
    /// Opens the catalog of `flavor` on `search`.
    pub fn open(flavor: Flavor, search: &SearchPath, options: Options) -> Self {
        let started = std::time::Instant::now();
        let (index, cache) = Index::load(search, options.crawl, options.cache_dir.as_deref());
        tracing::debug!("index loaded ({cache:?}) in {:?}", started.elapsed());
        let catalog = Self::from_index(flavor, search, std::sync::Arc::new(index), cache, options);
        tracing::debug!("catalog built in {:?}", started.elapsed());
        catalog
    }

    /// The catalog of `flavor` over an index already loaded (to share one crawl between views).
    pub fn from_index(
        flavor: Flavor,
        search: &SearchPath,
        index: std::sync::Arc<Index>,
        cache: CacheOutcome,
        options: Options,
    ) -> Self {
        let mut problems = index.diagnostics.clone();
        let mut skipped = Vec::new();
        let mut notices = Vec::new();
        let mut items: Vec<Item> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut dup_dirs: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for (i, entry) in index.entries.iter().enumerate() {
            let Some((name, kind)) = select(
                flavor,
                entry,
                options.stack_list_compat,
                &mut problems,
                &mut skipped,
                &mut notices,
            ) else {
                continue;
            };
            if let Some(&winner) = by_name.get(&name) {
                let list = dup_dirs.entry(name).or_insert_with(|| vec![items[winner].dir.clone()]);
                list.push(entry.found.dir.clone());
                continue;
            }
            by_name.insert(name.clone(), items.len());
            items.push(Item {
                name,
                dir: entry.found.dir.clone(),
                kind,
                root: entry.found.root,
                entry: i,
            });
        }
        // Present items sorted by name; ids follow that order.
        items.sort_by(|a, b| a.name.cmp(&b.name));
        let by_name: HashMap<String, usize> =
            items.iter().enumerate().map(|(i, it)| (it.name.clone(), i)).collect();
        let duplicates =
            dup_dirs.into_iter().map(|(name, dirs)| Duplicate { name, dirs }).collect();

        Catalog {
            flavor,
            search: search.clone(),
            index,
            cache,
            items,
            by_name,
            duplicates,
            links: std::sync::OnceLock::new(),
            problems,
            skipped,
            notices,
            options,
        }
    }

    /// The dependency graph and resolved dependencies, built on first use (listing and finding
    /// never need them).
    fn links(&self) -> &Links {
        self.links.get_or_init(|| self.build_links())
    }

    fn build_links(&self) -> Links {
        let mut deps = Vec::with_capacity(self.items.len());
        let mut edges = Vec::with_capacity(self.items.len());
        let mut self_dependent = Vec::with_capacity(self.items.len());
        for item in &self.items {
            let summary = self.summary_of(item);
            let resolved: Vec<ResolvedDep> = self
                .declared(item, summary)
                .into_iter()
                .map(|(name, kind)| {
                    let class = if self.by_name.contains_key(&name) {
                        DepClass::Local
                    } else if self
                        .options
                        .system_keys
                        .as_ref()
                        .is_some_and(|keys| keys.contains(&name))
                    {
                        DepClass::System
                    } else {
                        DepClass::Unknown
                    };
                    ResolvedDep { name, kind, class }
                })
                .collect();
            self_dependent.push(resolved.iter().any(|d| d.name == item.name));
            edges.push(
                resolved
                    .iter()
                    .filter(|d| d.class == DepClass::Local && d.name != item.name)
                    .filter_map(|d| self.by_name.get(&d.name).map(|&i| to_id(i)))
                    .collect(),
            );
            deps.push(resolved);
        }
        let graph = Graph::new(self.items.iter().map(|i| i.name.clone()).collect(), edges);
        Links { graph, deps, self_dependent }
    }

    /// Declared dependencies that count under the options, deduplicated, in the order rospack
    /// uses (for package.xml: all run_depend, then exec_depend, then depend).
    fn declared(&self, item: &Item, summary: &Summary) -> Vec<(String, DependKind)> {
        let wanted = |kind: DependKind| match (self.flavor, item.kind) {
            (Flavor::Stacks, ManifestKind::StackXml) => kind == DependKind::RosbuildStack,
            (Flavor::Packages, ManifestKind::ManifestXml) => kind == DependKind::RosbuildPackage,
            _ => match self.options.semantics {
                Semantics::Run => {
                    matches!(kind, DependKind::Run | DependKind::Exec | DependKind::Depend)
                }
                Semantics::Rospkg => kind.is_rospkg(),
            },
        };
        let holds = |condition: &Option<String>| match (&self.options.conditions, condition) {
            (Some(env), Some(c)) => {
                Condition::parse(c).is_ok_and(|c| c.evaluate(&|v| env.get(v).map(str::to_owned)))
            }
            _ => true,
        };
        let mut selected: Vec<(usize, &crate::index::SummaryDep)> = summary
            .deps
            .iter()
            .filter(|d| wanted(d.kind) && holds(&d.condition))
            .map(|d| (tag_rank(self.options.semantics, item.kind, d.kind), d))
            .collect();
        selected.sort_by_key(|(rank, _)| *rank); // stable: document order inside one tag
        let mut seen = HashSet::new();
        selected
            .into_iter()
            .filter(|(_, d)| seen.insert(d.name.clone()))
            .map(|(_, d)| (d.name.clone(), d.kind))
            .collect()
    }

    fn summary_of(&self, item: &Item) -> &Summary {
        let entry = &self.index.entries[item.entry];
        entry.manifest(item.kind).unwrap_or(&entry.manifests[0])
    }

    /// Which view this is.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The search path.
    pub fn search_path(&self) -> &SearchPath {
        &self.search
    }

    /// How the index was obtained.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.cache
    }

    /// The shared index.
    pub fn index(&self) -> &std::sync::Arc<Index> {
        &self.index
    }

    /// Every item, sorted by name.
    pub fn list(&self) -> &[Item] {
        &self.items
    }

    /// The item called `name`.
    pub fn get(&self, name: &str) -> Option<&Item> {
        self.by_name.get(name).map(|&i| &self.items[i])
    }

    /// The item called `name`, or [`QueryError::NotFound`].
    pub fn require(&self, name: &str) -> Result<&Item, QueryError> {
        self.get(name).ok_or_else(|| QueryError::NotFound { name: name.to_owned() })
    }

    /// The directory of `name`.
    pub fn get_path(&self, name: &str) -> Result<&Path, QueryError> {
        self.require(name).map(|i| i.dir.as_path())
    }

    /// The index summary (name, version, deps, licences) of `name`.
    pub fn summary(&self, name: &str) -> Result<&Summary, QueryError> {
        self.require(name).map(|i| self.summary_of(i))
    }

    /// The full manifest of `name`, read from disk now.
    pub fn manifest(&self, name: &str) -> Result<Manifest, QueryError> {
        let item = self.require(name)?;
        manifest::parse_file(item.kind, &item.manifest_path()).map_err(QueryError::Manifest)
    }

    /// Names found more than once, with every location (winner first).
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    /// Every problem: crawl diagnostics, manifests left out ([`Catalog::skipped`]) and findings
    /// in the manifests that were kept.
    pub fn problems(&self) -> Vec<Diagnostic> {
        self.skipped.iter().chain(&self.notices).chain(&self.problems).cloned().collect()
    }

    /// Manifests left out because they could not be parsed at all (rospack aborts on these).
    pub fn skipped(&self) -> &[Diagnostic] {
        &self.skipped
    }

    /// Warnings about how names were chosen: both manifest kinds in one directory, a
    /// package.xml without `<name>`, a directory name that is not UTF-8.
    pub fn notices(&self) -> &[Diagnostic] {
        &self.notices
    }

    /// The dependency graph (node id = position in [`Catalog::list`]).
    pub fn graph(&self) -> &Graph {
        &self.links().graph
    }

    /// The node of `name`.
    pub fn node(&self, name: &str) -> Result<NodeId, QueryError> {
        self.by_name
            .get(name)
            .map(|&i| to_id(i))
            .ok_or_else(|| QueryError::NotFound { name: name.to_owned() })
    }

    /// Declared dependencies of `name` with their resolution (local / system / unknown).
    pub fn dependencies(&self, name: &str) -> Result<&[ResolvedDep], QueryError> {
        self.node(name).map(|n| self.links().deps[n as usize].as_slice())
    }

    /// True when `name` lists itself as a dependency.
    pub fn depends_on_itself(&self, name: &str) -> bool {
        self.node(name).is_ok_and(|n| self.links().self_dependent[n as usize])
    }

    /// Direct local dependencies of `name`, declaration order.
    pub fn depends1(&self, name: &str) -> Result<Vec<String>, QueryError> {
        let n = self.node(name)?;
        Ok(self
            .links()
            .graph
            .names_of(self.links().graph.direct(n))
            .into_iter()
            .map(str::to_owned)
            .collect())
    }

    /// Transitive local dependencies of `name` in rospack's post-order, with every non-local
    /// dependency met on the way.
    pub fn depends(&self, name: &str) -> Result<Closure, QueryError> {
        let n = self.node(name)?;
        let order = self.links().graph.depends(n).map_err(|c| self.cycle_error(&c))?;
        let mut missing = Vec::new();
        for &m in std::iter::once(&n).chain(order.iter()) {
            for d in self.links().deps[m as usize].iter().filter(|d| d.class != DepClass::Local) {
                missing.push((self.links().graph.name(m).to_owned(), d.clone()));
            }
        }
        let names = order.iter().map(|&m| self.links().graph.name(m).to_owned()).collect();
        Ok(Closure { names, missing })
    }

    /// Every item depending on `name` (transitively when `implicit`), sorted by name.
    pub fn depends_on(&self, name: &str, implicit: bool) -> Result<Vec<String>, QueryError> {
        let n = self.node(name)?;
        let nodes = if implicit {
            self.links().graph.depends_on(n)
        } else {
            self.links().graph.direct_dependents(n)
        };
        Ok(nodes.iter().map(|&m| self.links().graph.name(m).to_owned()).collect())
    }

    /// The parse errors of the manifests of `names` (packages listed although their manifest does
    /// not parse: rosbuild packages, as rospack lists them).
    pub fn broken(&self, names: &[String]) -> Vec<&Diagnostic> {
        names.iter().filter_map(|n| self.summary(n).ok()).filter_map(|s| s.error.as_ref()).collect()
    }

    /// Every dependency cycle, each once, members sorted.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        self.links()
            .graph
            .cycles()
            .iter()
            .map(|c| c.iter().map(|&m| self.links().graph.name(m).to_owned()).collect())
            .collect()
    }

    /// Licences declared by `name`.
    pub fn licenses(&self, name: &str) -> Result<Vec<String>, QueryError> {
        self.summary(name).map(|s| s.licenses.clone())
    }

    fn cycle_error(&self, cycle: &Cycle) -> QueryError {
        QueryError::Cycle {
            members: cycle.members.iter().map(|&m| self.links().graph.name(m).to_owned()).collect(),
        }
    }
}

/// Ordering of tags for rospack's dependency list: run_depend, exec_depend, depend.
fn tag_rank(semantics: Semantics, manifest: ManifestKind, kind: DependKind) -> usize {
    if semantics == Semantics::Rospkg || manifest != ManifestKind::PackageXml {
        return 0;
    }
    match kind {
        DependKind::Run => 0,
        DependKind::Exec => 1,
        _ => 2,
    }
}

fn to_id(i: usize) -> NodeId {
    NodeId::try_from(i).unwrap_or(NodeId::MAX)
}

/// Chooses the name and manifest kind of `entry` for `flavor`, or why it is left out.
fn select(
    flavor: Flavor,
    entry: &Entry,
    stack_list_compat: bool,
    problems: &mut Vec<Diagnostic>,
    skipped: &mut Vec<Diagnostic>,
    notices: &mut Vec<Diagnostic>,
) -> Option<(String, ManifestKind)> {
    let found = &entry.found;
    let m = found.markers;
    match flavor {
        Flavor::Packages if m.manifest_xml => {
            if m.package_xml {
                notices.push(
                    Diagnostic::warning(
                        found.dir.join("package.xml"),
                        "directory holds both manifest.xml and package.xml; manifest.xml wins (rospack's rule)",
                    )
                    .with_hint("delete the one that is out of date"),
                );
            }
            // rospack lists a rosbuild package whose manifest does not parse and fails only when
            // it is queried; the problem is reported all the same.
            if let Some(error) =
                entry.manifest(ManifestKind::ManifestXml).and_then(|s| s.error.as_ref())
            {
                problems.push(error.clone());
            }
            Some((dir_name(found, notices)?, ManifestKind::ManifestXml))
        }
        Flavor::Stacks if m.stack_xml && !found.inside_stack => {
            if let Some(error) =
                entry.manifest(ManifestKind::StackXml).and_then(|s| s.error.as_ref())
            {
                problems.push(error.clone());
            }
            Some((dir_name(found, notices)?, ManifestKind::StackXml))
        }
        _ if m.package_xml && !(flavor == Flavor::Stacks && m.manifest_xml) => {
            let summary = entry.manifest(ManifestKind::PackageXml)?;
            if let Some(error) = &summary.error {
                skipped.push(error.clone());
                return None;
            }
            let keep = match flavor {
                Flavor::Packages => !summary.metapackage,
                Flavor::Stacks => summary.metapackage || stack_list_compat,
            };
            if !keep {
                return None;
            }
            problems.extend(summary.diagnostics.iter().cloned());
            match &summary.name {
                Some(name) if !name.is_empty() => Some((name.clone(), ManifestKind::PackageXml)),
                _ => {
                    notices.push(
                        Diagnostic::warning(found.dir.join("package.xml"), "package.xml has no <name>; the directory name is used (rospack's rule)")
                            .with_hint("add <name> to package.xml"),
                    );
                    Some((dir_name(found, notices)?, ManifestKind::PackageXml))
                }
            }
        }
        _ => None,
    }
}

/// The directory name of a found entry, or a diagnostic when it is not UTF-8.
fn dir_name(found: &crate::crawl::Found, problems: &mut Vec<Diagnostic>) -> Option<String> {
    match found.dir.file_name().and_then(|n| n.to_str()) {
        Some(n) => Some(n.to_owned()),
        None => {
            problems.push(
                Diagnostic::warning(
                    &found.dir,
                    "directory name is not UTF-8; the package is left out",
                )
                .with_hint("rename the directory; ROS package names are ASCII"),
            );
            None
        }
    }
}

/// The package view (rospkg's `RosPack`).
#[derive(Debug, Clone)]
pub struct RosPack(Catalog);

impl RosPack {
    /// Opens the package view on `search`.
    pub fn open(search: &SearchPath, options: Options) -> Self {
        RosPack(Catalog::open(Flavor::Packages, search, options))
    }

    /// The package view over an existing catalog's index.
    pub fn from_catalog(catalog: Catalog) -> Self {
        RosPack(catalog)
    }

    /// The name of the stack holding `package`: the basename of the nearest directory, from the
    /// package's own upwards, that holds a stack.xml; `None` when there is none.
    pub fn stack_of(&self, package: &str) -> Result<Option<String>, QueryError> {
        let dir = self.get_path(package)?;
        Ok(dir
            .ancestors()
            .find(|d| d.join("stack.xml").is_file())
            .and_then(|d| d.file_name())
            .map(|n| n.to_string_lossy().into_owned()))
    }

    /// rosbuild `<rosdep name>` keys of `package` (and of its dependencies when `implicit`),
    /// sorted and deduplicated. package.xml packages: their non-local dependencies.
    pub fn rosdeps(&self, package: &str, implicit: bool) -> Result<Vec<String>, QueryError> {
        let mut packages = vec![package.to_owned()];
        if implicit {
            packages.extend(self.depends(package)?.names);
        }
        let mut keys = std::collections::BTreeSet::new();
        for p in &packages {
            let item = self.require(p)?;
            if item.kind == ManifestKind::PackageXml {
                let summary = self.summary(p)?;
                keys.extend(
                    summary
                        .deps
                        .iter()
                        .filter(|d| self.get(&d.name).is_none())
                        .map(|d| d.name.clone()),
                );
            } else {
                keys.extend(self.manifest(p)?.rosdeps);
            }
        }
        Ok(keys.into_iter().collect())
    }
}

impl std::ops::Deref for RosPack {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        &self.0
    }
}

/// The stack view (rospkg's `RosStack`).
#[derive(Debug, Clone)]
pub struct RosStack(Catalog);

impl RosStack {
    /// Opens the stack view on `search`.
    pub fn open(search: &SearchPath, options: Options) -> Self {
        RosStack(Catalog::open(Flavor::Stacks, search, options))
    }

    /// The stack view over an existing catalog.
    pub fn from_catalog(catalog: Catalog) -> Self {
        RosStack(catalog)
    }

    /// The packages inside `stack` (a fresh crawl of its directory), sorted by name.
    pub fn packages_of(&self, stack: &str) -> Result<Vec<String>, QueryError> {
        let dir = self.get_path(stack)?;
        let search = SearchPath {
            entries: vec![dir.to_path_buf()],
            usr_share: false,
            ament_prefixes: Vec::new(),
        };
        let options = Options { cache_dir: None, ..self.0.options.clone() };
        let packages = Catalog::open(Flavor::Packages, &search, options);
        Ok(packages.list().iter().map(|i| i.name.clone()).collect())
    }

    /// The stack's version: `<version>` of a catkin-era stack.xml, else the argument of
    /// `rosbuild_make_distribution(...)` in its CMakeLists.txt, else `None`.
    pub fn stack_version(&self, stack: &str) -> Result<Option<String>, QueryError> {
        Ok(stack_version_by_dir(self.get_path(stack)?))
    }
}

impl std::ops::Deref for RosStack {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        &self.0
    }
}

/// rospkg's `expand_to_packages`: each name that is a package is kept; a stack is replaced by
/// its packages; anything else goes to the second list.
pub fn expand_to_packages(
    names: &[&str],
    rospack: &RosPack,
    rosstack: &RosStack,
) -> (Vec<String>, Vec<String>) {
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for &name in names {
        if rospack.get(name).is_some() {
            valid.push(name.to_owned());
        } else if let Ok(packages) = rosstack.packages_of(name) {
            valid.extend(packages);
        } else {
            invalid.push(name.to_owned());
        }
    }
    (valid, invalid)
}

/// rospkg's `get_stack_version_by_dir`.
pub fn stack_version_by_dir(dir: &Path) -> Option<String> {
    if let Ok(text) = fs_err::read_to_string(dir.join("stack.xml"))
        && let Ok(doc) = roxmltree::Document::parse(&text)
        && let Some(v) =
            doc.root_element().children().find(|n| n.has_tag_name("version")).and_then(|n| n.text())
        && !v.trim().is_empty()
    {
        return Some(v.trim().to_owned());
    }
    let cmake = fs_err::read_to_string(dir.join("CMakeLists.txt")).ok()?;
    let line = cmake.lines().find(|l| l.starts_with("rosbuild_make_distribution("))?;
    let arg = line.split(['(', ')']).nth(1)?.trim();
    (!arg.is_empty()).then(|| arg.to_owned())
}

/// rospkg's `get_package_name`: the package holding `path` (walking up), by package.xml
/// `<name>` or, for manifest.xml, the directory name.
pub fn package_name_of(path: &Path) -> Option<String> {
    let start = std::fs::canonicalize(path).ok()?;
    for dir in start.ancestors() {
        if dir.join("manifest.xml").is_file() {
            return dir.file_name().map(|n| n.to_string_lossy().into_owned());
        }
        let package_xml = dir.join("package.xml");
        if package_xml.is_file() {
            return manifest::parse_file(ManifestKind::PackageXml, &package_xml)
                .ok()
                .and_then(|m| m.name)
                .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()));
        }
    }
    None
}

#[cfg(test)]
mod tests;

/// The operating system name rospack matches `os` export attributes against.
pub const BUILD_OS: &str = "linux";

impl RosPack {
    /// Transitive dependencies of `package` in pre-order (the package first, then each direct
    /// dependency followed by its own, first occurrence kept), the order rospack's `export` and
    /// flag commands use.
    pub fn preorder(&self, package: &str) -> Result<Vec<String>, QueryError> {
        let start = self.node(package)?;
        self.graph().depends(start).map_err(|c| self.cycle_error(&c))?;
        let mut seen = vec![false; self.graph().len()];
        let mut out = Vec::new();
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n as usize], true) {
                continue;
            }
            out.push(self.graph().name(n).to_owned());
            stack.extend(self.graph().direct(n).iter().rev().copied());
        }
        Ok(out)
    }

    /// The `attrib` values of `<export><lang .../>` of `package` (unless `deps_only`) and of its
    /// dependencies in pre-order, one per package that has one, with `${prefix}` replaced by the
    /// package directory (rospack's `export`). Within a package, an element whose `os` attribute is
    /// [`BUILD_OS`] wins, else the first one. For `cpp`/`cflags`, rosbuild's generated message
    /// include directories are added when their `generated` marker exists. Backquoted shell is
    /// returned as written: evaluating it is the caller's decision.
    pub fn exports(
        &self,
        package: &str,
        lang: &str,
        attrib: &str,
        deps_only: bool,
    ) -> Result<Vec<(String, String)>, QueryError> {
        let mut out = Vec::new();
        for (i, name) in self.preorder(package)?.into_iter().enumerate() {
            if deps_only && i == 0 {
                continue;
            }
            let item = self.require(&name)?;
            let manifest = self.manifest(&name)?;
            let mut candidates = manifest.exports.iter().filter(|e| e.tag == lang);
            let first = candidates.clone().next();
            let chosen = candidates.find(|e| e.attribute("os") == Some(BUILD_OS)).or(first);
            let mut value = chosen
                .and_then(|e| e.attribute(attrib))
                .map(|v| v.replace("${prefix}", &item.dir.to_string_lossy()));
            if lang == "cpp" && attrib == "cflags" {
                for generated in ["msg_gen", "srv_gen"] {
                    let marker = item.dir.join(generated).join("generated");
                    if marker.is_file() {
                        let include =
                            format!("-I{}", item.dir.join(generated).join("cpp/include").display());
                        value = Some(match value {
                            Some(v) if !v.is_empty() => format!("{v} {include}"),
                            _ => include,
                        });
                    }
                }
            }
            if let Some(v) = value {
                out.push((name, v));
            }
        }
        Ok(out)
    }
}
