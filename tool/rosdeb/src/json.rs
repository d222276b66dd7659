//! `--json` output types: the stable, versioned documents of the native commands.
//!
//! Every document here is an object with `"schema": 1` first. These types are the compatibility
//! boundary: change them only by adding fields. The few shapes an issue pinned exactly (`rosdeb
//! os`, `distro stacks|variants|packages`, `resolve`, `build`) are written by their commands as
//! specified, without the schema field.

use serde::Serialize;

/// The schema version of every document below.
pub const SCHEMA: u32 = 1;

/// A problem, as shown in JSON.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// File the problem is in.
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// `error` or `warning`.
    pub severity: rospkg::Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl From<&rospkg::Diagnostic> for Problem {
    fn from(d: &rospkg::Diagnostic) -> Self {
        Problem {
            path: d.path.display().to_string(),
            line: d.position.map(|p| p.line),
            column: d.position.map(|p| p.column),
            severity: d.severity,
            message: d.message.clone(),
            hint: d.hint.clone(),
        }
    }
}

/// One package in a listing.
#[derive(Debug, Serialize)]
pub struct Package {
    /// Name.
    pub name: String,
    /// Directory.
    pub path: String,
    /// `package.xml`, `manifest.xml` or `stack.xml`.
    pub manifest: &'static str,
    /// Version ("" when the manifest has none).
    pub version: String,
}

/// `rosdeb pkg list --json`
#[derive(Debug, Serialize)]
pub struct List {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// Packages sorted by name.
    pub packages: Vec<Package>,
    /// Problems met (broken manifests left out, unreadable directories, ...).
    pub problems: Vec<Problem>,
}

/// `rosdeb pkg find --json`
#[derive(Debug, Serialize)]
pub struct Find {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The package.
    pub package: Package,
}

/// One dependency in `deps --json`.
#[derive(Debug, Serialize)]
pub struct Dependency {
    /// Name.
    pub name: String,
    /// `local`, `system` or `unknown`.
    pub class: rospkg::rospack::DepClass,
    /// The package that declares it (for transitive queries).
    pub required_by: String,
}

/// `rosdeb pkg deps --json`
#[derive(Debug, Serialize)]
pub struct Deps {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The package asked about.
    pub package: String,
    /// True when only direct dependencies are listed.
    pub direct: bool,
    /// Local packages, dependencies first (rospack's order).
    pub packages: Vec<String>,
    /// Every non-local dependency met, with its class.
    pub other: Vec<Dependency>,
}

/// `rosdeb pkg rdeps --json`
#[derive(Debug, Serialize)]
pub struct Rdeps {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The package asked about.
    pub package: String,
    /// True when only direct dependents are listed.
    pub direct: bool,
    /// Dependents, sorted.
    pub dependents: Vec<String>,
}

/// `rosdeb pkg why --json`
#[derive(Debug, Serialize)]
pub struct Why {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// From.
    pub package: String,
    /// To.
    pub target: String,
    /// Every chain, each from `package` to `target`.
    pub chains: Vec<Vec<String>>,
}

/// `rosdeb pkg graph --format json`
#[derive(Debug, Serialize)]
pub struct Graph {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// Nodes, sorted.
    pub nodes: Vec<String>,
    /// `[from, to]` edges: `from` depends on `to`.
    pub edges: Vec<[String; 2]>,
    /// Dependency cycles, each once.
    pub cycles: Vec<Vec<String>>,
}

/// One row of `licenses --json`.
#[derive(Debug, Serialize)]
pub struct LicenseRow {
    /// Package.
    pub package: String,
    /// Its declared licences.
    pub licenses: Vec<String>,
}

/// `rosdeb pkg licenses --json`
#[derive(Debug, Serialize)]
pub struct Licenses {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The package and its dependencies, in dependency order.
    pub packages: Vec<LicenseRow>,
    /// Every licence with the packages declaring it, sorted.
    pub by_license: std::collections::BTreeMap<String, Vec<String>>,
}

/// One row of `duplicates --json`.
#[derive(Debug, Serialize)]
pub struct DuplicateRow {
    /// Name.
    pub name: String,
    /// The directory that wins (first on the search path).
    pub winner: String,
    /// The directories it shadows.
    pub shadowed: Vec<String>,
}

/// `rosdeb pkg duplicates --json`
#[derive(Debug, Serialize)]
pub struct Duplicates {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// Names found more than once.
    pub duplicates: Vec<DuplicateRow>,
}

/// One finding of `diagnose NAME`.
#[derive(Debug, Serialize)]
pub struct Finding {
    /// A directory holding a manifest for the name.
    pub path: String,
    /// `found`, `shadowed`, `ignored`, `hidden`, `nosubdirs`, `nested`, `parse-error`,
    /// `metapackage` or `outside-search-path`.
    pub status: &'static str,
    /// Explanation.
    pub detail: String,
}

/// `rosdeb pkg diagnose --json`
#[derive(Debug, Serialize)]
pub struct Diagnose {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The name asked about, if any.
    pub package: Option<String>,
    /// Findings about that name.
    pub findings: Vec<Finding>,
    /// Every problem on the search path.
    pub problems: Vec<Problem>,
}

/// One value of `exports --json`.
#[derive(Debug, Serialize)]
pub struct ExportRow {
    /// The package exporting it.
    pub package: String,
    /// The value (`${prefix}` replaced, shell evaluated when allowed).
    pub value: String,
}

/// `rosdeb pkg exports --json`
#[derive(Debug, Serialize)]
pub struct Exports {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// Values in rospack's order: the package, then its dependencies depth first.
    pub exports: Vec<ExportRow>,
}

/// `rosdeb deb build --json`
#[derive(Debug, Serialize)]
pub struct DebBuilt {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The package name.
    pub name: String,
    /// The version, epoch included.
    pub version: String,
    /// The architecture.
    pub architecture: String,
    /// Where the .deb was written.
    pub path: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// File size in bytes.
    pub size: u64,
}

/// One package of an apt repository.
#[derive(Debug, Serialize)]
pub struct AptPackage {
    /// The package name.
    pub name: String,
    /// The version, epoch included.
    pub version: String,
    /// `all` or one architecture.
    pub architecture: String,
    /// The pool path, relative to the repository root.
    pub filename: String,
    /// SHA-256 of the .deb, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// `rosdeb apt publish --json`
#[derive(Debug, Serialize)]
pub struct AptPublished {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The codename published to.
    pub codename: String,
    /// Packages newly listed, in the order given.
    pub added: Vec<AptPackage>,
    /// Packages that were already there with the same content.
    pub unchanged: Vec<AptPackage>,
}

/// One codename in `rosdeb apt list --json`.
#[derive(Debug, Serialize)]
pub struct AptSuite {
    /// The codename.
    pub codename: String,
    /// The `binary-<arch>` indexes, sorted.
    pub architectures: Vec<String>,
    /// Packages sorted by name, then version (Debian order), then architecture.
    pub packages: Vec<AptPackage>,
}

/// `rosdeb apt list --json`
#[derive(Debug, Serialize)]
pub struct AptList {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// Codenames, sorted.
    pub codenames: Vec<AptSuite>,
}

/// `rosdeb apt key generate --json`
#[derive(Debug, Serialize)]
pub struct AptKey {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The key's fingerprint, uppercase hex.
    pub fingerprint: String,
    /// The key's user id.
    pub user_id: String,
    /// The secret key file (mode 0600).
    pub secret: String,
    /// The public key file, for apt's `Signed-By`.
    pub public: String,
}

/// One element of `rosdeb build --json`, a list (as the issue specifies) rather than a
/// `schema` object.
#[derive(Debug, Serialize)]
pub struct BuiltPackage {
    /// The package name.
    pub name: String,
    /// The version, epoch included.
    pub version: String,
    /// The architecture.
    pub architecture: String,
    /// Where the .deb was written.
    pub path: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// `rosdeb release --plan --json`: the job graph of a release, read back by `rosdeb ci
/// generate --plan FILE`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ReleasePlan {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The ROS distribution (`--distro`).
    pub distro: String,
    /// `--distro-file` as given, if any.
    pub distro_file: Option<String>,
    /// `--rosdep` values as given, in order.
    pub rosdep: Vec<String>,
    /// `--sources` folders as given, in order.
    pub sources: Vec<String>,
    /// The targets, `OS:CODENAME`, in the order built.
    pub targets: Vec<String>,
    /// Every package x target, sorted by level, then target, then package.
    pub nodes: Vec<PlanNode>,
    /// How many levels the graph has (the longest chain of build dependencies, in nodes).
    pub levels: u32,
    /// Node ids of one longest chain, first built first.
    pub critical_path: Vec<String>,
    /// Packages whose package.xml was found nowhere: their nodes have no known dependencies.
    pub unknown: Vec<String>,
}

/// One node of [`ReleasePlan`]: one package built for one target.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlanNode {
    /// `<package>@<os>:<codename>`, e.g. `std_msgs@ubuntu:focal`.
    pub id: String,
    /// The ROS package name.
    pub package: String,
    /// The distribution's repository that releases it.
    pub repository: String,
    /// The released version, `<version>-<inc>` as the distribution lists it.
    pub version: String,
    /// `OS:CODENAME`.
    pub target: String,
    /// The Debian package name.
    pub debian_package: String,
    /// Where its sources come from; `None` when nowhere is known.
    pub source: Option<PlanSource>,
    /// SHA-256 over the node's inputs (sources, dependencies' hashes, target, tool version);
    /// `None` when its sources are unknown.
    pub hash: Option<String>,
    /// 0 for a node that needs no other node, else one more than its deepest dependency.
    pub level: u32,
    /// Ids of the nodes (same target) it needs at build time, sorted.
    pub depends: Vec<String>,
}

/// Where a [`PlanNode`]'s sources come from.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlanSource {
    /// `debian-tag` (bloom's `debian/...` tag, debian/ included), `release-tag`
    /// (`release/<distro>/<package>/<version>`; debian/ generated) or `sources` (a `--sources`
    /// folder; debian/ generated).
    pub kind: String,
    /// The release repository (path or URL) or the package's folder.
    pub location: String,
    /// The tag, for the git kinds.
    pub reference: Option<String>,
    /// The git tree id of the package's sources, for the git kinds.
    pub tree: Option<String>,
}

/// `rosdeb release --json`: what one run did.
#[derive(Debug, Serialize)]
pub struct ReleaseReport {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// One row per package x target, in build order.
    pub packages: Vec<ReleasedPackage>,
    /// Where the debs were published (`--repo`), if they were.
    pub repository: Option<String>,
}

/// One row of [`ReleaseReport`].
#[derive(Debug, Serialize)]
pub struct ReleasedPackage {
    /// The ROS package name.
    pub package: String,
    /// The Debian version of the deb (or the distribution's version when it failed).
    pub version: String,
    /// `OS:CODENAME`.
    pub target: String,
    /// `built`, `unchanged` (inputs as before: not rebuilt), `failed` or `skipped`.
    pub status: String,
    /// The .deb, when there is one.
    pub deb: Option<String>,
    /// SHA-256 of the .deb, lowercase hex.
    pub sha256: Option<String>,
    /// Seconds spent on it in this run.
    pub seconds: f64,
    /// Why it failed or was skipped.
    pub error: Option<String>,
}
