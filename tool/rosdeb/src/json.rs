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
