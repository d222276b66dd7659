//! package.xml dependencies → Debian relationship fields, through rosdep.
//!
//! Kinds map as bloom maps them, with its mistakes fixed (docs/bloom-differences.md):
//! - Build-Depends: buildtool + build (+ `depend`), test dependencies with the `<!nocheck>` profile.
//! - Depends: exec/run + buildtool_export + build_export (as bloom: catkin_pkg's `run_depends`
//!   holds `build_export_depend` and `exec_depend`).
//! - Conflicts / Replaces from `<conflict>` / `<replace>`; those may stay unresolved.
//! - A key whose only rule is for another installer (pip, gem) is unresolved, not a bogus
//!   Depends on a package that does not exist in apt.
//! - Version constraints are kept only for ROS packages (whose Debian version starts with the
//!   upstream version); on system packages bloom's copy compares unrelated version schemes.
//! - Every name a rule gives must be a Debian package name (`deb822::is_package_name`), and a
//!   `version_*` attribute a Debian version: anything else is reported with the key, the
//!   target and the rules file, never written into a relationship field.

use std::collections::{BTreeMap, BTreeSet};

use rospkg::Manifest;
use rospkg::manifest::{Condition, DependKind, Dependency};
use rospkg::rosdep::{Failure, Policy, ROS_INSTALLER, Rules, Target as RosdepTarget};

use super::Target;

/// The Debian relationship fields of one package, each entry rendered (`name (>= 1.0)`), sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Depends {
    /// Build-Depends (without debhelper and the build type's tools; those come from the build type).
    pub build: BTreeSet<String>,
    /// Build-Depends with the `<!nocheck>` profile.
    pub test: BTreeSet<String>,
    /// Depends.
    pub run: BTreeSet<String>,
    /// Conflicts.
    pub conflicts: BTreeSet<String>,
    /// Replaces.
    pub replaces: BTreeSet<String>,
}

/// A rosdep key that did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The key.
    pub key: String,
    /// The tags that declared it (`build_depend`, `exec_depend`, ...), sorted.
    pub tags: Vec<&'static str>,
    /// Why it did not resolve.
    pub reason: String,
    /// Which kind of failure (bloom gives each its own exit code).
    pub kind: UnresolvedKind,
}

/// The kinds of unresolved keys bloom tells apart (its exit codes 73, 74 and 75).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnresolvedKind {
    /// No rule file defines the key, and it is not a package of the distribution.
    UnknownKey,
    /// The key has no usable rule for this OS and codename (none, `null`, a ROS package not
    /// released for the target, a malformed rule).
    NoRuleForTarget,
    /// The only rule uses another installer than the OS's (pip, gem, ...).
    OtherInstaller,
}

impl UnresolvedKind {
    fn of(failure: &Failure) -> UnresolvedKind {
        match failure {
            Failure::NoRule => UnresolvedKind::UnknownKey,
            Failure::WrongInstaller { .. } => UnresolvedKind::OtherInstaller,
            _ => UnresolvedKind::NoRuleForTarget,
        }
    }
}

/// The condition variables of `target` (REP 149): `ROS_DISTRO`, `ROS_VERSION`, `ROS_PYTHON_VERSION`.
pub fn condition_vars(target: &Target) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    vars.insert("ROS_DISTRO".to_owned(), target.distro.clone());
    if let Some(v) = target.ros_version {
        vars.insert("ROS_VERSION".to_owned(), v.to_string());
    }
    if let Some(v) = target.python_version {
        vars.insert("ROS_PYTHON_VERSION".to_owned(), v.to_string());
    }
    vars
}

/// True when `dep`'s condition holds for `vars` (no condition: true; an unparsable one: false,
/// as catkin_pkg drops it).
pub fn holds(dep: &Dependency, vars: &BTreeMap<String, String>) -> bool {
    dep.condition.as_deref().is_none_or(|c| {
        Condition::parse(c).map(|c| c.evaluate(&|v| vars.get(v).cloned())).unwrap_or(false)
    })
}

/// The Debian name of ROS package `name` in `distro`: `ros-<distro>-<name with dashes>`.
pub fn ros_package_name(distro: &str, name: &str) -> String {
    format!("ros-{distro}-{}", name.replace('_', "-"))
}

/// Resolves every dependency of `manifest` for `target`. `peers` are the packages released
/// together with this one, by ROS name, with their Debian names (`ros-<distro>-<name>`, or what
/// their `<export><rosdeb package=...>` says): they are used before rosdep is asked. Every
/// unresolved key is returned at once, sorted by key.
pub fn resolve(
    manifest: &Manifest,
    rules: &Rules,
    target: &Target,
    peers: &BTreeMap<String, String>,
) -> Result<Depends, Vec<Unresolved>> {
    let vars = condition_vars(target);
    let rosdep_target = RosdepTarget::new(target.os.clone(), target.codename.clone());
    let policy = Policy { default_installer_only: true };
    let mut out = Depends::default();
    let mut failures: BTreeMap<String, (BTreeSet<&'static str>, (String, UnresolvedKind))> =
        BTreeMap::new();
    for dep in manifest.dependencies.iter().filter(|d| holds(d, &vars)) {
        let (build, test, run, conflict, replace) = match dep.kind {
            DependKind::Buildtool | DependKind::Build => (true, false, false, false, false),
            DependKind::BuildtoolExport | DependKind::BuildExport | DependKind::Exec => {
                (false, false, true, false, false)
            }
            DependKind::Run => (false, false, true, false, false),
            DependKind::Depend => (true, false, true, false, false),
            DependKind::Test => (false, true, false, false, false),
            DependKind::Conflict => (false, false, false, true, false),
            DependKind::Replace => (false, false, false, false, true),
            DependKind::Doc | DependKind::RosbuildPackage | DependKind::RosbuildStack => continue,
        };
        let resolved: Result<(Vec<String>, bool), (String, UnresolvedKind)> =
            if let Some(package) = peers.get(&dep.name) {
                Ok((vec![package.clone()], true))
            } else {
                match rules.resolve_with(&dep.name, &rosdep_target, policy) {
                    Ok(r) if r.installer == ROS_INSTALLER => Ok((
                        r.packages.iter().map(|p| ros_package_name(&target.distro, p)).collect(),
                        true,
                    )),
                    Ok(r) => Ok((r.packages, false)),
                    Err(f) => {
                        let reason = match &f {
                            Failure::WrongInstaller { installer, .. } => format!(
                                "only a {installer} rule: {installer} packages cannot be Debian \
                             dependencies"
                            ),
                            other => other.to_string(),
                        };
                        Err((reason, UnresolvedKind::of(&f)))
                    }
                }
            };
        let (packages, is_ros) = match resolved {
            Ok(x) => x,
            Err(_) if conflict || replace => continue, // bloom tolerates these too
            Err(reason) => {
                let entry = failures.entry(dep.name.clone()).or_insert((BTreeSet::new(), reason));
                entry.0.insert(dep.kind.tag());
                continue;
            }
        };
        // What enters the Debian layer from a rule or package.xml is checked here.
        let invalid = packages.iter().find(|p| !crate::deb822::is_package_name(p));
        let suffix = if is_ros { version_suffix(dep) } else { Ok(String::new()) };
        let problem = match (invalid, &suffix) {
            (Some(p), _) => Some(format!(
                "{}gives {p:?}, which is not a Debian package name (lowercase a-z, 0-9, `+-.`, \
                 at least 2 characters, starting with a letter or digit; rosdep rules have no \
                 version constraints)",
                rules
                    .place_of(&dep.name, &rosdep_target)
                    .map(|place| format!("the rule at {place} "))
                    .unwrap_or_default()
            )),
            (None, Err(version)) => Some(format!(
                "{}: the version attribute {version:?} is not a Debian version",
                manifest.path.display()
            )),
            (None, Ok(_)) => None,
        };
        if let Some(reason) = problem {
            let entry = failures
                .entry(dep.name.clone())
                .or_insert((BTreeSet::new(), (reason, UnresolvedKind::NoRuleForTarget)));
            entry.0.insert(dep.kind.tag());
            continue;
        }
        let suffix = suffix.unwrap_or_default();
        for p in packages {
            let rendered = format!("{p}{suffix}");
            if build {
                out.build.insert(rendered.clone());
            }
            if test {
                out.test.insert(rendered.clone());
            }
            if run {
                out.run.insert(rendered.clone());
            }
            if conflict {
                out.conflicts.insert(rendered.clone());
            }
            if replace {
                out.replaces.insert(rendered);
            }
        }
    }
    // A test dependency that is also a build dependency is needed without the profile.
    let build = out.build.clone();
    out.test.retain(|t| !build.contains(t));
    if failures.is_empty() {
        Ok(out)
    } else {
        Err(failures
            .into_iter()
            .map(|(key, (tags, (reason, kind)))| Unresolved {
                key,
                tags: tags.into_iter().collect(),
                reason,
                kind,
            })
            .collect())
    }
}

/// ` (>= 1.0)` etc. from the `version_*` attributes; several give several relations, which
/// Debian cannot put on one name, so only the first (lt, lte, eq, gte, gt) is kept. A value
/// that is not a Debian version (digits first, then `A-Za-z0-9.+~-`) is the error.
fn version_suffix(dep: &Dependency) -> Result<String, String> {
    let v = &dep.version;
    let pairs = [("<<", &v.lt), ("<=", &v.lte), ("=", &v.eq), (">=", &v.gte), (">>", &v.gt)];
    let Some((op, value)) = pairs.iter().find_map(|(op, value)| value.as_ref().map(|v| (op, v)))
    else {
        return Ok(String::new());
    };
    let valid = value.starts_with(|c: char| c.is_ascii_digit())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~-".contains(&b));
    if valid { Ok(format!(" ({op} {value})")) } else { Err(value.clone()) }
}
