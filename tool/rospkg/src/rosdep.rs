//! rosdep rules and key resolution (REP 111, rosdep2's `RosdepDefinition.get_rule_for_platform`).
//!
//! - [`rules`]: rule files (`base.yaml`, `python.yaml`, ...): key → OS → (installer | codename)
//!   → packages, with `*` wildcards, `null` ("not available") and the long `{packages: [...]}`
//!   form.
//! - [`sources`]: sources lists (`*.list` files, lines `yaml <url> [tags...]`) and where rosdep
//!   looks for them (`ROSDEP_SOURCE_PATH`, else `/etc/ros/rosdep/sources.list.d`).
//! - [`Rules`]: the files in precedence order plus, optionally, one ROS distribution whose
//!   released packages are keys too; [`Rules::resolve`] answers one key for one target,
//!   [`Rules::resolve_table`] every key for every target in one pass.
//!
//! Precedence is rosdep's: the first file defining a key wins, but later files still add the
//! OSes it does not mention (rosdep's `reverse_merge`); the distribution comes last. A file with
//! tags is used for a target only when every tag is the distribution name, the OS or the codename.
//!
//! A key that is a released package of the distribution resolves to the installer
//! [`ROS_INSTALLER`] (`"ros"`) with the package name itself: this library stays free of Debian
//! naming, the caller turns it into a package name (rosdep itself generates
//! `ros-<distro>-<name-with-dashes>` for the OS's default installer). Such a key is only
//! available for the distribution's `release_platforms`; anything else is
//! [`Failure::NotReleased`].

use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;

use crate::distro::distribution::DistributionFile;

pub mod rules;
pub mod sources;

use crate::distro::yaml;

#[cfg(test)]
mod tests;

pub use crate::distro::Error;
pub use rules::{Data, Map, RuleFile};

/// The installer name of a key that is a released ROS package of the distribution.
pub const ROS_INSTALLER: &str = "ros";

/// One target platform: an OS name and a codename (or version, e.g. `rhel:8`), `os:codename`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// OS name as rosdep spells it (`ubuntu`, `debian`, `fedora`, ...).
    pub os: String,
    /// Codename or version (`jammy`, `bookworm`, `39`).
    pub codename: String,
}

impl Target {
    /// `os`:`codename`.
    pub fn new(os: impl Into<String>, codename: impl Into<String>) -> Self {
        Target { os: os.into(), codename: codename.into() }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.os, self.codename)
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some((os, codename)) if !os.is_empty() && !codename.is_empty() => {
                Ok(Target::new(os, codename))
            }
            _ => Err(format!("'{s}' is not OS:CODENAME (e.g. ubuntu:jammy)")),
        }
    }
}

/// rosdep's installers for an OS, in the order rosdep tries them, or `None` for an OS rosdep
/// does not know. Aliases (`pop`, `mx`, `centos`, ...) are not included: rosdep maps them
/// before it resolves.
pub fn installer_keys(os: &str) -> Option<&'static [&'static str]> {
    Some(match os {
        "alpine" => &["apk", "pip", "source"],
        "arch" => &["source", "pacman", "pip"],
        "cygwin" => &["source", "apt-cyg"],
        "debian" | "ubuntu" => &["apt", "pip", "gem", "npm", "source"],
        "fedora" | "rhel" => &["pip", "dnf", "yum", "source"],
        "freebsd" => &["pkg", "pip"],
        "gentoo" => &["portage", "source"],
        "nixos" => &["nix"],
        "openembedded" => &["opkg"],
        "opensuse" => &["source", "pip", "zypper"],
        "osx" => &["homebrew", "macports", "pip", "source"],
        "slackware" => &["sbotools", "pip", "source", "slackpkg"],
        _ => return None,
    })
}

/// rosdep's default installer for a target (`apt` for Debian and Ubuntu; `dnf` for Fedora > 21
/// and RHEL >= 8, else `yum`), or `None` for an OS rosdep does not know.
pub fn default_installer(target: &Target) -> Option<&'static str> {
    let major = |v: &str| v.split('.').next().and_then(|m| m.parse::<u32>().ok());
    Some(match target.os.as_str() {
        "alpine" => "apk",
        "arch" => "pacman",
        "cygwin" => "apt-cyg",
        "debian" | "ubuntu" => "apt",
        "fedora" => {
            if target.codename.bytes().all(|b| b.is_ascii_digit())
                && major(&target.codename).is_some_and(|v| v > 21)
            {
                "dnf"
            } else {
                "yum"
            }
        }
        "rhel" => {
            if major(&target.codename).is_some_and(|v| v >= 8) {
                "dnf"
            } else {
                "yum"
            }
        }
        "freebsd" => "pkg",
        "gentoo" => "portage",
        "nixos" => "nix",
        "openembedded" => "opkg",
        "opensuse" => "zypper",
        "osx" => "homebrew",
        "slackware" => "sbotools",
        _ => return None,
    })
}

/// True when a sources-list entry with `tags` applies to `target` (rosdep's
/// `DataSourceMatcher`): every tag is the OS, the codename or the distribution name.
pub fn tags_match(tags: &[String], target: &Target, distro: Option<&str>) -> bool {
    tags.iter().all(|t| *t == target.os || *t == target.codename || distro == Some(t.as_str()))
}

/// A key resolved for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// rosdep's installer name (`apt`, `pip`, `dnf`, ...), or [`ROS_INSTALLER`].
    pub installer: String,
    /// The installer's packages (for [`ROS_INSTALLER`]: the ROS package name).
    pub packages: Vec<String>,
}

/// Why a key does not resolve for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No rule file defines the key and it is not a package of the distribution.
    NoRule,
    /// rosdep does not know this OS.
    UnsupportedOs,
    /// The key has no rule for the OS (and no `*` OS wildcard).
    NoOs,
    /// The key's rule for the OS has no entry for the codename (and no `*`).
    NoCodename,
    /// The rule is `null`: "not available" on this target.
    NotAvailable,
    /// The key is a ROS package of the distribution, which is not released for this target.
    NotReleased {
        /// The distribution.
        distro: String,
        /// Its `release_platforms`, as `os:codename`.
        platforms: Vec<String>,
    },
    /// The rule uses an installer other than the OS's default (e.g. pip on Ubuntu) while only
    /// the default was accepted ([`Policy::default_installer_only`]).
    WrongInstaller {
        /// The rule's installer.
        installer: String,
        /// The OS's default installer.
        default: String,
        /// The rule's packages.
        packages: Vec<String>,
    },
    /// A `source` rule: it names a manifest to download, not packages.
    SourceInstaller,
    /// The rule is malformed (rosdep raises `InvalidData`); `message` names file:line:col.
    Invalid(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoRule => f.write_str("no rosdep rule for this key"),
            Failure::UnsupportedOs => f.write_str("rosdep does not know this OS"),
            Failure::NoOs => f.write_str("no rule for this OS"),
            Failure::NoCodename => f.write_str("no rule for this OS version"),
            Failure::NotAvailable => f.write_str("defined as not available (null) on this target"),
            Failure::NotReleased { distro, platforms } => write!(
                f,
                "ROS package of {distro}, not released for this target (release platforms: {})",
                if platforms.is_empty() { "none".to_owned() } else { platforms.join(", ") }
            ),
            Failure::WrongInstaller { installer, default, packages } => write!(
                f,
                "only a {installer} rule ({}), not {default}",
                if packages.is_empty() { "no packages".to_owned() } else { packages.join(" ") }
            ),
            Failure::SourceInstaller => {
                f.write_str("only a source rule (a manifest to download), no packages")
            }
            Failure::Invalid(message) => write!(f, "invalid rule: {message}"),
        }
    }
}

/// The answer for one key on one target.
pub type Outcome = Result<Resolution, Failure>;

/// Which resolutions count as success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Reject rules for any installer but the OS's default (bloom's release check: a binary
    /// package can only depend on the system package manager's packages). ROS packages pass.
    pub default_installer_only: bool,
}

/// A ROS distribution seen as a rule source: its released packages and platforms.
#[derive(Debug, Clone, Default)]
pub struct RosDistro {
    /// The distribution name (`humble`); also the tag it matches.
    pub name: String,
    /// `release_platforms`: OS → codenames.
    pub platforms: IndexMap<String, Vec<String>>,
    /// Released package → its release repository.
    pub packages: IndexMap<String, String>,
}

impl RosDistro {
    /// The released packages and platforms of `file`, under the name `name`.
    pub fn from_distribution(name: &str, file: &DistributionFile) -> Self {
        RosDistro {
            name: name.to_owned(),
            platforms: file.release_platforms.clone(),
            packages: file.release_packages.clone(),
        }
    }
}

/// Rule files in precedence order (first wins) plus an optional distribution.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    files: Vec<RuleFile>,
    distro: Option<RosDistro>,
}

/// One key for every target: target (`os:codename`) → outcome, in the targets' order.
pub type Row = IndexMap<Target, Outcome>;

impl Rules {
    /// No rules.
    pub fn new() -> Self {
        Rules::default()
    }

    /// Adds a file after (below) the ones already added.
    pub fn push(&mut self, file: RuleFile) {
        self.files.push(file);
    }

    /// Sets the distribution whose released packages are keys.
    pub fn set_distro(&mut self, distro: RosDistro) {
        self.distro = Some(distro);
    }

    /// The distribution, if set.
    pub fn distro(&self) -> Option<&RosDistro> {
        self.distro.as_ref()
    }

    /// The files, in precedence order.
    pub fn files(&self) -> &[RuleFile] {
        &self.files
    }

    /// Every key of every file (first occurrence order), then the distribution's packages.
    pub fn keys(&self) -> Vec<&str> {
        let mut seen = indexmap::IndexSet::new();
        for f in &self.files {
            seen.extend(f.keys().map(String::as_str));
        }
        if let Some(d) = &self.distro {
            seen.extend(d.packages.keys().map(String::as_str));
        }
        seen.into_iter().collect()
    }

    /// True when `key` is a released package of the distribution (rosdep's `_is_ros`).
    pub fn is_ros_package(&self, key: &str) -> bool {
        self.distro.as_ref().is_some_and(|d| d.packages.contains_key(key))
    }

    /// Resolves `key` for `target`, accepting any installer of the OS.
    pub fn resolve(&self, key: &str, target: &Target) -> Outcome {
        self.resolve_with(key, target, Policy::default())
    }

    /// Resolves `key` for `target` under `policy`.
    pub fn resolve_with(&self, key: &str, target: &Target, policy: Policy) -> Outcome {
        let resolution = self.lookup(key, target)?;
        if policy.default_installer_only && resolution.installer != ROS_INSTALLER {
            let default = default_installer(target).unwrap_or_default();
            if resolution.installer != default {
                return Err(Failure::WrongInstaller {
                    installer: resolution.installer,
                    default: default.to_owned(),
                    packages: resolution.packages,
                });
            }
        }
        Ok(resolution)
    }

    /// Every key for every target, in one pass: key → target → outcome.
    pub fn resolve_table<K: AsRef<str>>(
        &self,
        keys: &[K],
        targets: &[Target],
        policy: Policy,
    ) -> IndexMap<String, Row> {
        keys.iter()
            .map(|k| {
                let k = k.as_ref();
                let row = targets.iter().map(|t| (t.clone(), self.resolve_with(k, t, policy)));
                (k.to_owned(), row.collect())
            })
            .collect()
    }

    fn matches(&self, file: &RuleFile, target: &Target) -> bool {
        tags_match(&file.tags, target, self.distro.as_ref().map(|d| d.name.as_str()))
    }

    /// rosdep's `get_rule_for_platform` over the merged definition of `key`.
    fn lookup(&self, key: &str, target: &Target) -> Outcome {
        let defs: Vec<(&RuleFile, &rules::KeyRules)> = self
            .files
            .iter()
            .filter(|f| self.matches(f, target))
            .filter_map(|f| f.get(key).map(|k| (f, k)))
            .collect();
        let ros = self.distro.as_ref().filter(|d| d.packages.contains_key(key));
        if defs.is_empty() && ros.is_none() {
            return Err(Failure::NoRule);
        }
        let Some(installers) = installer_keys(&target.os) else {
            return Err(Failure::UnsupportedOs);
        };
        let default = default_installer(target).unwrap_or_default();
        // The OS entry: the first file naming the OS, then the distribution (for its platforms
        // and osx), then the first `*` wildcard.
        let named = defs.iter().find_map(|(f, k)| k.os.get(&target.os).map(|d| (*f, k, d)));
        let (file, krules, data) = match named {
            Some(x) => x,
            None => {
                if let Some(d) = ros
                    && (d.platforms.contains_key(&target.os) || target.os == "osx")
                {
                    return ros_rule(d, key, target);
                }
                match defs.iter().find_map(|(f, k)| k.os.get("*").map(|d| (*f, k, d))) {
                    Some((f, k, d)) => {
                        if !matches!(d, Data::Map(_)) {
                            return Err(Failure::Invalid(format!(
                                "{}: the OS wildcard `*` of '{key}' must name an installer",
                                f.place(k)
                            )));
                        }
                        (f, k, d)
                    }
                    None => {
                        return Err(match ros {
                            Some(d) => not_released(d),
                            None => Failure::NoOs,
                        });
                    }
                }
            }
        };
        let mut installer = default;
        let mut data = data;
        if let Data::Map(m) = data {
            if let Some((i, d)) = installers.iter().find_map(|i| m.get(i).map(|d| (*i, d))) {
                installer = i;
                data = d;
            } else {
                let entry = match m.get(&target.codename) {
                    Some(Data::Null) => return Err(Failure::NotAvailable),
                    Some(d) => d,
                    None => match m.get("*") {
                        Some(d) => d,
                        None => return Err(Failure::NoCodename),
                    },
                };
                data = entry;
                if let Data::Map(m) = data
                    && let Some((i, d)) = installers.iter().find_map(|i| m.get(i).map(|d| (*i, d)))
                {
                    installer = i;
                    data = d;
                }
            }
        }
        if matches!(data, Data::Null) {
            return Err(Failure::NotAvailable);
        }
        if installer == "source" {
            return Err(Failure::SourceInstaller);
        }
        let packages = data.packages().ok_or_else(|| {
            Failure::Invalid(format!(
                "{}: the rule of '{key}' for {} must be a mapping, a string or a list, not {}",
                file.place(krules),
                target.os,
                data.describe()
            ))
        })?;
        if let Err(problem) = check_packages(data) {
            return Err(Failure::Invalid(format!(
                "{}: the rule of '{key}' for {target}: {problem}",
                file.place(krules)
            )));
        }
        let packages = match data {
            Data::Str(_) => packages.into_iter().filter(|p| !p.is_empty()).collect(),
            _ => packages,
        };
        Ok(Resolution { installer: installer.to_owned(), packages })
    }

    /// `file:line:col` of the rules of `key` that apply to `target` (the first file defining
    /// it), for messages about what a resolution gave.
    pub fn place_of(&self, key: &str, target: &Target) -> Option<String> {
        self.files
            .iter()
            .filter(|f| self.matches(f, target))
            .find_map(|f| f.get(key).map(|k| f.place(k)))
    }
}

/// Checks the package names of a rule, generically (any installer): every list item is a
/// non-empty string without whitespace or control characters; a string rule (split on spaces)
/// holds no other whitespace or control character. What a valid name is for an installer is
/// the caller's business.
fn check_packages(data: &Data) -> Result<(), String> {
    let name = |p: &str| -> Result<(), String> {
        if p.is_empty() {
            Err("an empty package name".to_owned())
        } else if let Some(c) = p.chars().find(|c| c.is_whitespace() || c.is_control()) {
            Err(format!("the package name {p:?} holds {c:?} (whitespace or a control character)"))
        } else {
            Ok(())
        }
    };
    let items = |items: &[Data]| -> Result<(), String> {
        for item in items {
            match item {
                Data::Str(p) => name(p)?,
                other => {
                    return Err(format!(
                        "a package name must be a string, not {}",
                        other.describe()
                    ));
                }
            }
        }
        Ok(())
    };
    match data {
        Data::Str(s) => s.split(' ').filter(|p| !p.is_empty()).try_for_each(name),
        Data::Seq(list) => items(list),
        Data::Map(m) => match m.get("packages") {
            Some(Data::Seq(list)) => items(list),
            Some(Data::Str(s)) => s.split_whitespace().try_for_each(name),
            Some(Data::Null) | None => Ok(()),
            Some(other) => {
                Err(format!("`packages` must be a list or a string, not {}", other.describe()))
            }
        },
        Data::Null | Data::Scalar(_) => Ok(()),
    }
}

/// The rule rosdep generates for a released package: the package on each release platform;
/// on osx always homebrew's `ros/<distro>/<repository>`.
fn ros_rule(d: &RosDistro, key: &str, target: &Target) -> Outcome {
    if target.os == "osx" {
        let repo = d.packages.get(key).map_or(key, String::as_str);
        return Ok(Resolution {
            installer: "homebrew".into(),
            packages: vec![format!("ros/{}/{repo}", d.name)],
        });
    }
    let released = d.platforms.get(&target.os).is_some_and(|c| c.contains(&target.codename));
    if released {
        Ok(Resolution { installer: ROS_INSTALLER.into(), packages: vec![key.to_owned()] })
    } else {
        Err(not_released(d))
    }
}

fn not_released(d: &RosDistro) -> Failure {
    Failure::NotReleased {
        distro: d.name.clone(),
        platforms: d
            .platforms
            .iter()
            .flat_map(|(os, codes)| codes.iter().map(move |c| format!("{os}:{c}")))
            .collect(),
    }
}
