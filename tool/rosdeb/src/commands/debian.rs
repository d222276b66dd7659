//! `rosdeb debian generate PKG_DIR --distro NAME --os OS:CODENAME`: the `debian/` folder of one
//! ROS package, rendered by `debgen` from the embedded templates (`--templates DIR` overrides
//! single files).
//!
//! Inputs are found as bloom finds them: the distribution through `ROSDISTRO_INDEX_URL` (or
//! `--distro-file`), rosdep rules from `--rosdep FILE`s, then the sources lists of
//! `ROSDEP_SOURCE_PATH` (or the system's). Every unresolved key is reported in one table (exit 1);
//! nothing is written unless everything rendered. The tree is written into a temporary folder
//! beside `--out DIR/debian`, then renamed over it. stdout: the written paths, or `--json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use debgen::generate::{self, GenerateError, Input, Target as DebTarget, UnresolvedKind};
use debgen::templates::Templates;
use rospkg::environment::Environment;
use rospkg::manifest::{self, ManifestKind};
use rospkg::rosdep::Target;
use serde::Serialize;

use super::resolve::{INDEX_ENV, RuleInputs, load_rules};
use crate::exit::{Bloom, Hinted, Status};

/// ROS 1 distributions (`ROS_VERSION=1`) when the index does not say.
const ROS1_DISTROS: &[&str] = &[
    "boxturtle",
    "cturtle",
    "diamondback",
    "electric",
    "fuerte",
    "groovy",
    "hydro",
    "indigo",
    "jade",
    "kinetic",
    "lunar",
    "melodic",
    "noetic",
];

/// `ROS_VERSION` of a distribution from its name.
pub(super) fn ros_version_by_name(distro: &str) -> u8 {
    if ROS1_DISTROS.contains(&distro) { 1 } else { 2 }
}

/// Files of `PKG_DIR/packaging/debian/` copied into `debian/` as `<package>.<name>`.
const SHIPPED_NAMES: &[&str] = &["preinst", "postinst", "prerm", "postrm", "config", "triggers"];

/// `rosdeb debian` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write PKG_DIR/debian (or --out DIR/debian) for ROS packages, as bloom-generate rosdebian.
    Generate(GenerateArgs),
}

/// `rosdeb debian generate` arguments.
#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// The package folder (holding package.xml); several are generated in one run, which reads
    /// the distribution and the rosdep rules once.
    #[arg(value_name = "PKG_DIR", required = true)]
    packages: Vec<PathBuf>,
    #[command(flatten)]
    release: ReleaseArgs,
    /// Where to write debian/ [default: PKG_DIR]; with several packages, DIR/<folder name>/debian.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// A folder of templates (same names as templates/, e.g. control.j2, rules/catkin.j2) that
    /// replace the embedded ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// The package's staged (installed) files: without any ELF file, `Architecture: all`.
    #[arg(long, value_name = "DIR")]
    staged: Option<PathBuf>,
    /// Print a JSON document instead of the written paths.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    fetch: crate::fetch::FetchArgs,
}

/// `--json` document of one package.
#[derive(Serialize)]
struct Report {
    schema: u32,
    package: String,
    version: String,
    architecture: String,
    directory: String,
    files: Vec<String>,
}

/// `--json` document of several packages.
#[derive(Serialize)]
struct Reports<'a> {
    schema: u32,
    packages: &'a [Report],
}

/// `--json` document for unresolved keys.
#[derive(Serialize)]
struct UnresolvedReport<'a> {
    schema: u32,
    target: String,
    unresolved: Vec<UnresolvedKey<'a>>,
}

fn unresolved_keys(list: &[generate::Unresolved]) -> Vec<UnresolvedKey<'_>> {
    list.iter()
        .map(|u| UnresolvedKey { key: &u.key, tags: &u.tags, reason: &u.reason, kind: u.kind })
        .collect()
}

/// `--json` document for unresolved keys when several packages were given.
#[derive(Serialize)]
struct UnresolvedReports<'a> {
    schema: u32,
    target: String,
    packages: Vec<UnresolvedPackage<'a>>,
}

#[derive(Serialize)]
struct UnresolvedPackage<'a> {
    package_xml: String,
    unresolved: Vec<UnresolvedKey<'a>>,
}

#[derive(Serialize)]
struct UnresolvedKey<'a> {
    key: &'a str,
    tags: &'a [&'static str],
    reason: &'a str,
    kind: UnresolvedKind,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    match args.command {
        Command::Generate(args) => run_generate(&args),
    }
}

/// One package of a `debian generate` run.
struct Package {
    dir: PathBuf,
    xml: PathBuf,
    manifest: manifest::Manifest,
}

fn run_generate(args: &GenerateArgs) -> anyhow::Result<Status> {
    let env = Environment::from_process();
    let mut warnings = String::new();
    if args.packages.len() > 1 && args.staged.is_some() {
        return Err(Hinted::error(
            "--staged describes one package, and several were given",
            "generate that package on its own with --staged",
        ));
    }
    // Every manifest is read before anything else, so that a bad one fails the run early.
    let mut packages = Vec::new();
    for dir in &args.packages {
        let xml = dir.join("package.xml");
        if !xml.is_file() {
            return Err(Hinted::bloom(
                format!("no package.xml in `{}`", dir.display()),
                "pass the folder of a ROS package",
                Bloom::NoPackageXml,
            ));
        }
        let manifest = manifest::parse_file(ManifestKind::PackageXml, &xml)
            .map_err(|d| anyhow::anyhow!("{}", d))?;
        if let Some(d) = manifest.diagnostics.iter().find(|d| d.is_error()) {
            return Err(anyhow::anyhow!("{d}").context("package.xml is invalid"));
        }
        packages.push(Package { dir: dir.clone(), xml, manifest });
    }
    let outs = out_dirs(args, &packages)?;

    let keys: BTreeSet<String> = packages
        .iter()
        .flat_map(|p| p.manifest.dependencies.iter().map(|d| d.name.clone()))
        .collect();
    let (rules, distribution, target) =
        args.release.load_keys(&args.fetch, &env, &mut warnings, Some(&keys))?;

    // Resolve every package before writing any: unresolved keys are reported all at once.
    let mut resolved = Vec::new();
    let mut unresolved = Vec::new();
    for p in &packages {
        let (peers, inc) =
            release_facts(&p.manifest, &target.distro, distribution.as_ref(), args.release.inc);
        match generate::resolve(&p.manifest, &rules, &target, &peers) {
            Ok(depends) => resolved.push((depends, inc)),
            Err(keys) => unresolved.push((p, keys)),
        }
    }
    if !unresolved.is_empty() {
        flush_warnings(&warnings);
        return report_unresolved(args, &unresolved);
    }

    let templates = load_templates(args.templates.as_deref())?;
    let staged_has_elf = match &args.staged {
        Some(dir) => Some(
            debgen::build::has_elf(dir)
                .with_context(|| format!("looking for ELF files in `{}`", dir.display()))?,
        ),
        None => None,
    };
    let mut trees = Vec::new();
    for (p, (depends, inc)) in packages.iter().zip(&resolved) {
        let package = PackageSource { dir: &p.dir, xml: &p.xml, manifest: &p.manifest };
        trees.push(render(&package, &target, depends, *inc, &templates, &env, staged_has_elf)?);
    }

    let mut reports = Vec::new();
    let mut text = String::new();
    for ((p, tree), (out, (_, inc))) in packages.iter().zip(&trees).zip(outs.iter().zip(&resolved))
    {
        let written = write_tree(out, tree)?;
        let debian = &written.debian;
        if !written.replaced.is_empty() {
            let _ = writeln!(
                warnings,
                "note: `{}`: replaced {} generated file{}: {} (kept {} file{} it does not \
                 generate)",
                debian.display(),
                written.replaced.len(),
                if written.replaced.len() == 1 { "" } else { "s" },
                written.replaced.join(", "),
                written.kept,
                if written.kept == 1 { "" } else { "s" },
            );
        }
        let name = p.manifest.name.clone().unwrap_or_default();
        let control = tree.get("debian/control").map_or("", |f| f.contents.as_str());
        let architecture =
            control.lines().find_map(|l| l.strip_prefix("Architecture: ")).unwrap_or("any");
        reports.push(Report {
            schema: crate::json::SCHEMA,
            package: generate::layout(&p.manifest, &name, &target.distro)
                .map_or_else(|_| generate::ros_package_name(&target.distro, &name), |l| l.package),
            version: format!("{}-{inc}{}", p.manifest.version, target.codename),
            architecture: architecture.to_owned(),
            directory: debian.display().to_string(),
            files: tree.keys().cloned().collect(),
        });
        for path in tree.keys() {
            let _ = writeln!(text, "{}", out.join(path).display());
        }
    }
    flush_warnings(&warnings);
    if args.json {
        text = match reports.as_slice() {
            [one] => serde_json::to_string_pretty(one)?,
            _ => serde_json::to_string_pretty(&Reports {
                schema: crate::json::SCHEMA,
                packages: &reports,
            })?,
        };
        text.push('\n');
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    Ok(Status::Success)
}

/// A package's source folder, its package.xml and the parsed manifest.
pub(super) struct PackageSource<'a> {
    pub(super) dir: &'a Path,
    pub(super) xml: &'a Path,
    pub(super) manifest: &'a manifest::Manifest,
}

/// Renders one package's debian/ tree from its folder (CHANGELOG.rst, licence files,
/// packaging/debian/) and its resolved dependencies: what `debian generate` and `bloom` write.
pub(super) fn render(
    p: &PackageSource<'_>,
    target: &DebTarget,
    depends: &generate::Depends,
    inc: u32,
    templates: &Templates,
    env: &Environment,
    staged_has_elf: Option<bool>,
) -> anyhow::Result<generate::Tree> {
    let changelog = read_optional(&p.dir.join("CHANGELOG.rst"))?;
    let mut license_files = BTreeMap::new();
    for l in &p.manifest.licenses {
        if let Some(file) = &l.file
            && let Some(text) = read_optional(&p.dir.join(file))?
        {
            license_files.insert(file.clone(), text);
        }
    }
    let shipped = read_shipped(&p.dir.join("packaging/debian"))?;
    let input = Input {
        manifest: p.manifest,
        target,
        depends,
        inc,
        timestamp: timestamp(env, p.xml)?,
        changelog: changelog.as_deref(),
        license_files: &license_files,
        staged_has_elf,
        shipped: &shipped,
        templates,
    };
    generate::generate(&input).map_err(|e| generate_error(p.xml, e))
}

/// Where each package's debian/ goes: `--out DIR` for one package, `DIR/<folder name>` for
/// several, else the package folder. Two packages may not share one.
fn out_dirs(args: &GenerateArgs, packages: &[Package]) -> anyhow::Result<Vec<PathBuf>> {
    let outs: Vec<PathBuf> = packages
        .iter()
        .map(|p| match (&args.out, packages.len()) {
            (Some(out), 1) => out.clone(),
            (Some(out), _) => out.join(p.dir.file_name().unwrap_or(p.dir.as_os_str())),
            (None, _) => p.dir.clone(),
        })
        .collect();
    let mut seen = BTreeSet::new();
    for out in &outs {
        if !seen.insert(out) {
            return Err(Hinted::error(
                format!("two packages would write `{}`", out.join("debian").display()),
                "give each package folder once, and folders with different names with --out",
            ));
        }
    }
    Ok(outs)
}

/// The packages released from the same repository (they resolve to their own Debian names) and
/// the Debian increment: the distribution's, when it releases this version, else `inc`.
pub(super) fn release_facts(
    manifest: &manifest::Manifest,
    distro: &str,
    distribution: Option<&rospkg::distro::distribution::DistributionFile>,
    inc: u32,
) -> (BTreeMap<String, String>, u32) {
    let name = manifest.name.clone().unwrap_or_default();
    let mut peers = BTreeMap::new();
    let mut inc = inc;
    if let Some(dist) = distribution {
        if let Some(repo) = dist.release_packages.get(&name) {
            peers.extend(
                dist.release_packages
                    .iter()
                    .filter(|(_, r)| *r == repo)
                    .map(|(p, _)| (p.clone(), generate::ros_package_name(distro, p))),
            );
        }
        if let Some(released) = dist.package_version(&name)
            && let Some(n) = released.strip_prefix(&format!("{}-", manifest.version))
            && let Ok(n) = n.parse()
        {
            inc = n;
        }
    }
    (peers, inc)
}

fn flush_warnings(warnings: &str) {
    let _ = std::io::stderr().lock().write_all(warnings.as_bytes());
}

/// The target of every command that makes Debian packages (`debian generate`, `build`): the
/// distribution, the OS and codename, the rosdep rules, the Debian increment.
#[derive(Debug, clap::Args)]
pub(super) struct ReleaseArgs {
    /// The ROS distribution (e.g. noetic), read through the index at $ROSDISTRO_INDEX_URL unless
    /// --distro-file is given.
    #[arg(long, value_name = "NAME")]
    pub(super) distro: String,
    /// The distribution's distribution.yaml (path or file:// URL) instead of the index.
    #[arg(long, value_name = "FILE")]
    pub(super) distro_file: Option<String>,
    /// The target platform, OS:CODENAME (e.g. ubuntu:jammy).
    #[arg(long = "os", value_name = "OS:CODENAME")]
    pub(super) target: Target,
    /// A rosdep rule file (path, file:// or http(s):// URL), before the sources lists; repeatable.
    #[arg(long = "rosdep", value_name = "FILE")]
    pub(super) rosdep: Vec<String>,
    /// The Debian increment when the distribution does not list this version.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(super) inc: u32,
}

impl ReleaseArgs {
    /// The rosdep rules (all keys, or only `keys`), the distribution and the Debian target
    /// (warnings are appended to `warnings`).
    pub(super) fn load(
        &self,
        fetch: &crate::fetch::FetchArgs,
        env: &Environment,
        warnings: &mut String,
    ) -> anyhow::Result<(
        rospkg::rosdep::Rules,
        Option<rospkg::distro::distribution::DistributionFile>,
        DebTarget,
    )> {
        self.load_keys(fetch, env, warnings, None)
    }

    /// [`Self::load`] keeping only the rules of `keys` (those of the packages at hand).
    pub(super) fn load_keys(
        &self,
        fetch: &crate::fetch::FetchArgs,
        env: &Environment,
        warnings: &mut String,
        keys: Option<&BTreeSet<String>>,
    ) -> anyhow::Result<(
        rospkg::rosdep::Rules,
        Option<rospkg::distro::distribution::DistributionFile>,
        DebTarget,
    )> {
        let targets = [self.target.clone()];
        let inputs = RuleInputs {
            rosdep: &self.rosdep,
            distro: Some(&self.distro),
            distro_file: self.distro_file.as_deref(),
            targets: &targets,
            fetch,
            keys,
        };
        let (rules, distribution) = load_rules(&inputs, env, warnings)?;
        let (ros_version, python_version) = self.index_versions(fetch, env)?;
        let target = DebTarget {
            distro: self.distro.clone(),
            os: self.target.os.clone(),
            codename: self.target.codename.clone(),
            ros_version,
            python_version,
        };
        Ok((rules, distribution, target))
    }

    /// `ROS_VERSION` and `ROS_PYTHON_VERSION` from the index entry (when the distribution comes
    /// from the index), else from the distribution's name.
    pub(super) fn index_versions(
        &self,
        fetch: &crate::fetch::FetchArgs,
        env: &Environment,
    ) -> anyhow::Result<(Option<u8>, Option<u8>)> {
        let by_name = || (Some(ros_version_by_name(&self.distro)), None);
        if self.distro_file.is_some() {
            return Ok(by_name());
        }
        let Some(url) = env.get(INDEX_ENV).filter(|u| !u.is_empty()) else {
            return Ok(by_name());
        };
        let fetcher = crate::fetch::Fetcher::new(fetch.options())?;
        let entry = crate::commands::distro::load_index_entry(&fetcher, url, &self.distro)?;
        let ros = match entry.distribution_type.as_deref() {
            Some("ros1") => Some(1),
            Some("ros2") => Some(2),
            _ => by_name().0,
        };
        let python = entry.python_version.and_then(|v| u8::try_from(v).ok());
        Ok((ros, python))
    }
}

/// Prints every unresolved key in one table (stderr), or the `--json` document (stdout).
fn report_unresolved(
    args: &GenerateArgs,
    unresolved: &[(&Package, Vec<generate::Unresolved>)],
) -> anyhow::Result<Status> {
    if args.json {
        let target = args.release.target.to_string();
        let mut text = match (args.packages.len(), unresolved) {
            (1, [(_, list)]) => serde_json::to_string_pretty(&UnresolvedReport {
                schema: crate::json::SCHEMA,
                target,
                unresolved: unresolved_keys(list),
            })?,
            _ => serde_json::to_string_pretty(&UnresolvedReports {
                schema: crate::json::SCHEMA,
                target,
                packages: unresolved
                    .iter()
                    .map(|(p, list)| UnresolvedPackage {
                        package_xml: p.xml.display().to_string(),
                        unresolved: unresolved_keys(list),
                    })
                    .collect(),
            })?,
        };
        text.push('\n');
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes()).context("writing to stdout")?;
    }
    let mut text = String::new();
    for (p, list) in unresolved {
        let key_width = list.iter().map(|u| u.key.len()).max().unwrap_or(3).max(3);
        let tag_width = list.iter().map(|u| u.tags.join(",").len()).max().unwrap_or(8).max(8);
        let _ = writeln!(
            text,
            "error: {}: {} rosdep key{} do not resolve on {}; nothing was written",
            p.xml.display(),
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            args.release.target
        );
        let _ = writeln!(text, "  {:key_width$}  {:tag_width$}  REASON", "KEY", "TAGS");
        for u in list {
            let tags = u.tags.join(",");
            let _ = writeln!(text, "  {:key_width$}  {tags:tag_width$}  {}", u.key, u.reason);
        }
    }
    text.push_str(
        "  hint: add rules for these keys to a rosdep YAML file and pass it with --rosdep FILE\n",
    );
    flush_warnings(&text);
    // bloom stops at the first key; all are reported here, with the code of the gravest kind.
    let gravest = unresolved.iter().flat_map(|(_, list)| list).map(|u| u.kind).min();
    let code = match gravest {
        Some(UnresolvedKind::UnknownKey) => Bloom::NoSuchKey,
        Some(UnresolvedKind::NoRuleForTarget) => Bloom::NoRuleForPlatform,
        Some(UnresolvedKind::OtherInstaller) | None => Bloom::OtherInstaller,
    };
    Ok(Status::Bloom(code))
}

/// A generation error with the package.xml place and a hint.
pub(super) fn generate_error(xml: &Path, e: GenerateError) -> anyhow::Error {
    let hint = match &e {
        GenerateError::InvalidName { .. } => {
            "Debian names allow lowercase letters, digits, `+`, `-` and `.` only (Policy 5.6.7)"
        }
        GenerateError::InvalidVersion { .. } => "set <version> in package.xml to e.g. 1.2.3",
        GenerateError::MissingLicense { .. } => {
            "add e.g. <license>BSD-3-Clause</license> to package.xml"
        }
        GenerateError::MissingLicenseFile { .. } => {
            "the file= of <license> is relative to the package folder"
        }
        GenerateError::MissingMaintainer { .. } => {
            "add <maintainer email=\"...\">Name</maintainer> to package.xml"
        }
        GenerateError::UnknownBuildType { .. } => "set <build_type> in <export> to a known one",
        GenerateError::Template { .. } => {
            "templates/README.md lists the variables of each template"
        }
        GenerateError::NoName { .. } => "add <name> to package.xml",
        GenerateError::InvalidPrefix { .. } => {
            "use <rosdeb prefix=\"/usr\"/>, or leave prefix out for bloom's /opt/ros/<distro>"
        }
        GenerateError::Value(v) => v.hint(),
    };
    let _ = xml;
    let code = match &e {
        GenerateError::InvalidVersion { .. } => Some(Bloom::InvalidVersion),
        GenerateError::UnknownBuildType { .. } => Some(Bloom::UnknownBuildType),
        GenerateError::Template { .. } => Some(Bloom::Template),
        _ => None,
    };
    match code {
        Some(code) => Hinted::bloom(e.to_string(), hint, code),
        None => Hinted::error(e.to_string(), hint),
    }
}

/// The embedded templates, with every `*.j2` of `dir` (by relative path) replacing its namesake.
pub(super) fn load_templates(dir: Option<&Path>) -> anyhow::Result<Templates> {
    let mut templates = Templates::default();
    let Some(dir) = dir else { return Ok(templates) };
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    for (rel, path) in files {
        if !rel.ends_with(".j2") {
            continue;
        }
        let text = fs_err::read_to_string(&path)?;
        if !templates.set(&rel, text) {
            let known: Vec<&str> = templates.names().collect();
            return Err(Hinted::bloom(
                format!("{}: no template is named `{rel}`", path.display()),
                format!("the templates are: {}", known.join(", ")),
                Bloom::Template,
            ));
        }
    }
    Ok(templates)
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = fs_err::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push((rel.to_string_lossy().into_owned(), path.clone()));
        }
    }
    Ok(())
}

pub(super) fn read_optional(path: &Path) -> anyhow::Result<Option<String>> {
    if path.is_file() { Ok(Some(fs_err::read_to_string(path)?)) } else { Ok(None) }
}

/// Maintainer scripts and systemd units the package ships in `packaging/debian/`.
pub(super) fn read_shipped(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut shipped = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(shipped);
    }
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    for (rel, path) in files {
        let known = SHIPPED_NAMES.contains(&rel.as_str())
            || [".service", ".socket", ".timer"].iter().any(|s| rel.ends_with(s));
        if known && !rel.contains('/') {
            shipped.insert(rel, fs_err::read_to_string(&path)?);
        }
    }
    Ok(shipped)
}

/// `SOURCE_DATE_EPOCH`, else package.xml's modification time (never the clock).
pub(super) fn timestamp(env: &Environment, xml: &Path) -> anyhow::Result<i64> {
    if let Some(v) = env.get("SOURCE_DATE_EPOCH").filter(|v| !v.is_empty()) {
        return v.trim().parse().map_err(|_| {
            Hinted::error(
                format!("SOURCE_DATE_EPOCH=`{v}` is not a number of seconds"),
                "set it to a Unix timestamp, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
            )
        });
    }
    let modified = fs_err::metadata(xml)?.modified()?;
    Ok(modified
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
}

/// What [`write_tree`] did to an existing `debian/`.
struct Written {
    /// `out/debian`.
    debian: PathBuf,
    /// Generated files that replaced files of the same name (relative to `debian/`), sorted.
    replaced: Vec<String>,
    /// How many files of the old `debian/` were kept (files this command does not generate).
    kept: usize,
}

/// Writes `tree` into a temporary folder in `out` that first receives every file of the existing
/// `out/debian` that is not generated (as bloom, which keeps them: maintainer scripts,
/// `patches/`, ...), then renames it to `out/debian` (the old folder is removed only after the
/// new one is complete). Generated files replace their namesakes, as bloom's do.
fn write_tree(out: &Path, tree: &generate::Tree) -> anyhow::Result<Written> {
    fs_err::create_dir_all(out)?;
    let debian = out.join("debian");
    let old_kind = fs_err::symlink_metadata(&debian).ok().map(|m| m.file_type());
    if old_kind.is_some_and(|k| !k.is_dir()) {
        return Err(Hinted::error(
            format!("`{}` exists and is not a folder", debian.display()),
            "remove it or choose another --out DIR",
        ));
    }
    let staging = tempfile::Builder::new()
        .prefix(".debian-")
        .tempdir_in(out)
        .with_context(|| format!("creating a temporary folder in `{}`", out.display()))?;
    let generated: BTreeSet<&str> =
        tree.keys().map(|k| k.strip_prefix("debian/").unwrap_or(k)).collect();
    let mut written = Written { debian: debian.clone(), replaced: Vec::new(), kept: 0 };
    if old_kind.is_some() {
        keep_others(&debian, staging.path(), "", &generated, &mut written)?;
    }
    for (rel, file) in tree {
        let rel = rel.strip_prefix("debian/").unwrap_or(rel);
        let path = staging.path().join(rel);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(&path, &file.contents)?;
        let mode = if file.executable { 0o755 } else { 0o644 };
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    fs_err::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))?;
    let old = out.join(format!(".debian-old-{}", std::process::id()));
    let had_old = old_kind.is_some();
    if had_old {
        fs_err::rename(&debian, &old)?;
    }
    let staging = staging.keep();
    if let Err(e) = fs_err::rename(&staging, &debian) {
        if had_old {
            let _ = fs_err::rename(&old, &debian);
        }
        let _ = fs_err::remove_dir_all(&staging);
        return Err(e.into());
    }
    if had_old {
        fs_err::remove_dir_all(&old)?;
    }
    Ok(written)
}

/// Copies the entries of `from` (the old `debian/`, at `rel`) into `to`, except the generated
/// files, which are listed as replaced. Folders keep their mode; symbolic links are copied as
/// links; files with their mode.
fn keep_others(
    from: &Path,
    to: &Path,
    rel: &str,
    generated: &BTreeSet<&str>,
    written: &mut Written,
) -> anyhow::Result<()> {
    let mut entries: Vec<_> = fs_err::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let rel = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
        let kind = entry.file_type()?;
        let target = to.join(&*name);
        if generated.contains(rel.as_str()) {
            written.replaced.push(rel);
        } else if kind.is_dir() {
            fs_err::create_dir_all(&target)?;
            keep_others(&entry.path(), &target, &rel, generated, written)?;
            fs_err::set_permissions(&target, fs_err::metadata(entry.path())?.permissions())?;
        } else if kind.is_symlink() {
            fs_err::os::unix::fs::symlink(fs_err::read_link(entry.path())?, &target)?;
            written.kept += 1;
        } else if kind.is_file() {
            fs_err::copy(entry.path(), &target)?;
            written.kept += 1;
        } else {
            return Err(Hinted::error(
                format!("`{}` is neither a file, a folder nor a link", entry.path().display()),
                "remove it from debian/",
            ));
        }
    }
    Ok(())
}
