//! OS detection (port of `rospkg.os_detect`): name, version and codename, lsb_release style.
//!
//! [`detect`] answers as rospkg's `OsDetect().detect_os(env)`: `ROS_OS_OVERRIDE`
//! (`name[:version[:codename]]`) wins; otherwise rospkg's detectors are tried in rospkg's order
//! ([`DETECTORS`], upstream 1.6.1) and the first that recognises the system answers.
//!
//! Everything is read below a root directory, so a chroot, a container image or a test sample
//! can be examined: `etc/os-release` (else `usr/lib/os-release`), `etc/lsb-release` and the
//! special files (`etc/arch-release`, `etc/gentoo-release`, `etc/SuSE-brand`, ...). Detectors
//! that run a command (macOS `sw_vers`, FreeBSD and QNX `uname`, Cygwin `uname -r`) do so only
//! when the root is `/`; under another root they never match (Cygwin then reports version `""`).
//!
//! rospkg's `LsbDetect` asks the `distro` Python package; here the same answer is computed from
//! os-release (`ID`, `VERSION_ID`, `VERSION_CODENAME`/`UBUNTU_CODENAME`/`VERSION`) with
//! `etc/lsb-release` standing in for the `lsb_release` command. Deliberate differences from
//! Debian's rospkg 1.4 (listed in `docs/os-detect-differences.md`):
//! - the detectors of upstream 1.6.1 (raspbian, fedora-asahi, openeuler) and its tables (Debian
//!   14 forky, 15 duke, rodete; macOS 13 to 26) are used;
//! - Debian testing/sid (no `VERSION_ID`) has version `""` and the codename from
//!   `VERSION_CODENAME` (rospkg: `""`, `""`);
//! - Arch and Manjaro are also recognised by their os-release `ID` (rospkg needs
//!   `etc/arch-release` / `etc/manjaro-release`);
//! - an LSB codename taken from the free text of `VERSION` ("14.04.3 LTS, Trusty Tahr") is
//!   reduced to its first word in lower case (`trusty`);
//! - inputs on which rospkg raises (unknown macOS version, malformed SuSE-brand, short
//!   gentoo-release) give an empty field instead; `/etc/debian_version` is never read.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::environment::Environment;

/// `ROS_OS_OVERRIDE`: `name[:version[:codename]]`, wins over detection.
pub const ROS_OS_OVERRIDE: &str = "ROS_OS_OVERRIDE";

/// What [`detect`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OsInfo {
    /// rospkg's OS key: `ubuntu`, `debian`, `fedora`, `osx`, ...
    pub name: String,
    /// The release number (`24.04`, `12`, `9.2`); `""` where the OS has none.
    pub version: String,
    /// The release name in lower case (`noble`, `bookworm`); `""` where the OS has none.
    pub codename: String,
}

impl OsInfo {
    fn new(name: &str, version: impl Into<String>, codename: impl Into<String>) -> Self {
        OsInfo { name: name.to_owned(), version: version.into(), codename: codename.into() }
    }
}

/// Why detection failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsDetectError {
    /// No detector recognised the system (rospkg's `OsNotDetected`).
    #[error("could not detect the operating system under {}, tried {}", root.display(), tried.join(", "))]
    NotDetected {
        /// The root directory examined.
        root: PathBuf,
        /// The OS names tried, in order.
        tried: Vec<&'static str>,
    },
    /// `ROS_OS_OVERRIDE` is set but names no OS (rospkg raises `OsNotDetected` too).
    #[error("ROS_OS_OVERRIDE is set but its name part is empty: {0:?}")]
    EmptyOverride(String),
    /// The root directory does not exist or is not a directory.
    #[error("root directory {} is not a directory", .0.display())]
    BadRoot(PathBuf),
}

/// How one detector recognises its OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// rospkg `FdoDetect(id)`: os-release `ID` equals `id` and `VERSION_ID` is present.
    Fdo(&'static str),
    /// rospkg `LsbDetect(name)`: the distro id equals `name`, case-insensitively.
    Lsb(&'static str),
    /// rospkg `Debian`: `Lsb("debian")` with the codename from the major-version table.
    Debian,
    /// `platform.system() == "Windows"`.
    Windows,
    /// `etc/slackware-version` exists; version is its second word.
    Slackware,
    /// `/bin/uname` prints `QNX` (host only).
    Qnx,
    /// `/usr/bin/sw_vers` exists (host only).
    Osx,
    /// `brand` file's first word is `openSUSE`; codename from `release` (`CODENAME = x`).
    OpenSuseBrand {
        /// Brand file under the root.
        brand: &'static str,
        /// Release file under the root (`None`: codename `""`).
        release: Option<&'static str>,
    },
    /// `etc/gentoo-release` starts with `first second`; version is the fifth word.
    GentooRelease(&'static str, &'static str),
    /// `/usr/bin/uname` prints `FreeBSD` (host only).
    FreeBsd,
    /// `usr/bin/cygwin1.dll` exists.
    Cygwin,
    /// A marker file exists under the root, or os-release `ID` equals the id; no version.
    Marker(&'static str, &'static str),
}

/// rospkg's detectors in detection order (upstream 1.6.1; `conda` and `openembedded`, which
/// only react to `ROS_OS_OVERRIDE`, are left out because the override wins before them).
pub const DETECTORS: &[(&str, Rule)] = &[
    ("zorin", Rule::Lsb("Zorin")),
    ("windows", Rule::Windows),
    ("nixos", Rule::Fdo("nixos")),
    ("clearlinux", Rule::Fdo("clear-linux-os")),
    ("ubuntu", Rule::Lsb("Ubuntu")),
    ("slackware", Rule::Slackware),
    ("rocky", Rule::Fdo("rocky")),
    ("rhel", Rule::Fdo("rhel")),
    ("raspbian", Rule::Fdo("raspbian")),
    ("qnx", Rule::Qnx),
    ("pop", Rule::Lsb("Pop")),
    ("osx", Rule::Osx),
    ("sailfishos", Rule::Fdo("sailfishos")),
    ("tizen", Rule::Fdo("tizen")),
    ("oracle", Rule::Fdo("ol")),
    ("opensuse", Rule::Fdo("opensuse")),
    ("opensuse", Rule::Fdo("opensuse-leap")),
    ("opensuse", Rule::Fdo("opensuse-tumbleweed")),
    ("opensuse", Rule::OpenSuseBrand { brand: "etc/SUSE-brand", release: None }),
    (
        "opensuse",
        Rule::OpenSuseBrand { brand: "etc/SuSE-brand", release: Some("etc/SuSE-release") },
    ),
    ("neon", Rule::Lsb("neon")),
    ("mx", Rule::Lsb("MX")),
    ("mint", Rule::Lsb("LinuxMint")),
    ("linaro", Rule::Lsb("Linaro")),
    ("gentoo", Rule::GentooRelease("Gentoo", "Base")),
    ("funtoo", Rule::GentooRelease("Funtoo", "Linux")),
    ("freebsd", Rule::FreeBsd),
    ("fedora-asahi", Rule::Fdo("fedora-asahi-remix")),
    ("fedora", Rule::Fdo("fedora")),
    ("elementary", Rule::Lsb("elementary")),
    ("elementary", Rule::Lsb("elementary OS")),
    ("debian", Rule::Debian),
    ("cygwin", Rule::Cygwin),
    ("openeuler", Rule::Fdo("openeuler")),
    ("openeuler", Rule::Fdo("openEuler")),
    ("euleros", Rule::Fdo("euleros")),
    ("centos", Rule::Fdo("centos")),
    ("manjaro", Rule::Marker("etc/manjaro-release", "manjaro")),
    ("buildroot", Rule::Fdo("buildroot")),
    ("arch", Rule::Marker("etc/arch-release", "arch")),
    ("amazon", Rule::Fdo("amzn")),
    ("alpine", Rule::Fdo("alpine")),
    ("almalinux", Rule::Fdo("almalinux")),
];

/// Detects the OS under `root` as rospkg's `OsDetect().detect_os(env)` would:
/// `ROS_OS_OVERRIDE` in `env` wins; otherwise the first matching detector of [`DETECTORS`].
pub fn detect(root: &Path, env: &Environment) -> Result<OsInfo, OsDetectError> {
    if let Some(value) = env.get(ROS_OS_OVERRIDE) {
        return parse_override(value);
    }
    detect_files(root)
}

/// Parses a `ROS_OS_OVERRIDE` value as rospkg does: `name[:version[:codename]]`, missing parts
/// `""`, anything after a third `:` ignored; an empty name is an error.
pub fn parse_override(value: &str) -> Result<OsInfo, OsDetectError> {
    let mut parts = value.split(':');
    let name = parts.next().unwrap_or_default();
    if name.is_empty() {
        return Err(OsDetectError::EmptyOverride(value.to_owned()));
    }
    let version = parts.next().unwrap_or_default();
    let codename = parts.next().unwrap_or_default();
    Ok(OsInfo::new(name, version, codename))
}

/// Detects the OS under `root` from its files only (no `ROS_OS_OVERRIDE`).
pub fn detect_files(root: &Path) -> Result<OsInfo, OsDetectError> {
    if !root.is_dir() {
        return Err(OsDetectError::BadRoot(root.to_path_buf()));
    }
    let system = System::read(root);
    for (name, rule) in DETECTORS {
        if let Some(info) = system.apply(name, *rule) {
            tracing::debug!(os = name, ?rule, "OS detected");
            return Ok(info);
        }
    }
    let mut tried: Vec<&'static str> = Vec::new();
    for (name, _) in DETECTORS {
        if !tried.contains(name) {
            tried.push(name);
        }
    }
    Err(OsDetectError::NotDetected { root: root.to_path_buf(), tried })
}

/// Parses os-release / lsb-release text (`KEY=VALUE` lines, shell-style quotes and backslash
/// escapes, `#` comments, blank lines). Lines that are not assignments are skipped.
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else { continue };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        map.insert(key.to_owned(), unquote(raw.trim()));
    }
    map
}

/// Shell-style unquoting of one value: `"..."` (with `\` escapes), `'...'`, bare text; an
/// unquoted ` #` starts a comment.
fn unquote(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    let mut after_space = false;
    while let Some(c) = chars.next() {
        let space = c.is_whitespace();
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(next) = chars.next() {
                                if !matches!(next, '"' | '\\' | '$' | '`') {
                                    out.push('\\');
                                }
                                out.push(next);
                            }
                        }
                        c => out.push(c),
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '#' if after_space => {
                out.truncate(out.trim_end().len());
                break;
            }
            c => out.push(c),
        }
        after_space = space;
    }
    out
}

/// Reads `etc/os-release` under `root`, falling back to `usr/lib/os-release`; `None` when
/// neither can be read.
pub fn read_os_release(root: &Path) -> Option<BTreeMap<String, String>> {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|rel| read_in_root(root, rel))
        .map(|text| parse_os_release(&text))
}

/// Reads `rel` under `root`; an absolute symlink is resolved inside the root (one hop), so a
/// chroot's `/etc/os-release -> /usr/lib/os-release` does not read the host's file.
fn read_in_root(root: &Path, rel: &str) -> Option<String> {
    let path = resolve_in_root(root, rel);
    fs_err::read_to_string(path).ok()
}

fn resolve_in_root(root: &Path, rel: &str) -> PathBuf {
    let path = root.join(rel);
    if let Ok(target) = fs_err::read_link(&path)
        && let Ok(inside) = target.strip_prefix("/")
    {
        return root.join(inside);
    }
    path
}

/// The facts the detectors look at, read once.
struct System {
    root: PathBuf,
    /// The root is `/`: commands may be run.
    host: bool,
    os_release: Option<BTreeMap<String, String>>,
    lsb: Lsb,
}

/// `distro.id()`, `distro.version()`, `distro.codename()` as computed from the files.
#[derive(Debug, Default)]
struct Lsb {
    id: String,
    version: String,
    codename: String,
}

impl System {
    fn read(root: &Path) -> System {
        let host = root.canonicalize().is_ok_and(|p| p == Path::new("/"));
        let os_release = read_os_release(root);
        let lsb_release = read_in_root(root, "etc/lsb-release").map(|t| parse_os_release(&t));
        let lsb = lsb_info(os_release.as_ref(), lsb_release.as_ref());
        System { root: root.to_path_buf(), host, os_release, lsb }
    }

    fn exists(&self, rel: &str) -> bool {
        resolve_in_root(&self.root, rel).exists()
    }

    fn words(&self, rel: &str) -> Option<Vec<String>> {
        read_in_root(&self.root, rel)
            .map(|t| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    }

    fn os_release_id(&self) -> Option<&str> {
        self.os_release.as_ref().and_then(|m| m.get("ID")).map(String::as_str)
    }

    fn apply(&self, name: &str, rule: Rule) -> Option<OsInfo> {
        match rule {
            Rule::Fdo(id) => {
                let release = self.os_release.as_ref()?;
                if release.get("ID").map(String::as_str) != Some(id) {
                    return None;
                }
                let version = release.get("VERSION_ID")?;
                Some(OsInfo::new(name, version.clone(), fdo_codename(release)))
            }
            Rule::Lsb(lsb_name) => (self.lsb.id.to_lowercase() == lsb_name.to_lowercase())
                .then(|| OsInfo::new(name, self.lsb.version.clone(), self.lsb.codename.clone())),
            Rule::Debian => (self.lsb.id == "debian").then(|| {
                let codename = debian_codename(&self.lsb.version)
                    .map(str::to_owned)
                    .unwrap_or_else(|| self.lsb.codename.to_lowercase());
                OsInfo::new(name, self.lsb.version.clone(), codename)
            }),
            Rule::Windows => (self.host && cfg!(windows)).then(|| OsInfo::new(name, "", "")),
            Rule::Slackware => self.exists("etc/slackware-version").then(|| {
                let version = self
                    .words("etc/slackware-version")
                    .and_then(|w| w.get(1).cloned())
                    .unwrap_or_default();
                OsInfo::new(name, version, "")
            }),
            Rule::Qnx => (self.host && run("/bin/uname", &[]).is_some_and(|out| out == "QNX"))
                .then(|| OsInfo::new(name, run("/bin/uname", &["-r"]).unwrap_or_default(), "")),
            Rule::FreeBsd => (self.host
                && run("/usr/bin/uname", &[]).is_some_and(|out| out == "FreeBSD"))
            .then(|| OsInfo::new(name, run("/usr/bin/uname", &["-r"]).unwrap_or_default(), "")),
            Rule::Osx => {
                if !(self.host && Path::new("/usr/bin/sw_vers").exists()) {
                    return None;
                }
                let version = run("/usr/bin/sw_vers", &["-productVersion"]).unwrap_or_default();
                let codename = osx_codename(&version).unwrap_or_default();
                Some(OsInfo::new(name, version, codename))
            }
            Rule::OpenSuseBrand { brand, release } => {
                let text = read_in_root(&self.root, brand)?;
                if text.split_whitespace().next() != Some("openSUSE") {
                    return None;
                }
                let lines: Vec<&str> = text.trim().split('\n').collect();
                let version = match lines.as_slice() {
                    [_, second] => match second.split(" = ").collect::<Vec<_>>().as_slice() {
                        ["VERSION", v, ..] => (*v).to_owned(),
                        _ => String::new(),
                    },
                    _ => String::new(),
                };
                let codename = release
                    .and_then(|rel| read_in_root(&self.root, rel))
                    .and_then(|t| {
                        t.trim().split('\n').find_map(|line| {
                            match line.split(" = ").collect::<Vec<_>>().as_slice() {
                                ["CODENAME", v, ..] => Some((*v).to_owned()),
                                _ => None,
                            }
                        })
                    })
                    .unwrap_or_default();
                Some(OsInfo::new(name, version, codename))
            }
            Rule::GentooRelease(first, second) => {
                let words = self.words("etc/gentoo-release")?;
                (words.first().map(String::as_str) == Some(first)
                    && words.get(1).map(String::as_str) == Some(second))
                .then(|| OsInfo::new(name, words.get(4).cloned().unwrap_or_default(), ""))
            }
            Rule::Cygwin => self.exists("usr/bin/cygwin1.dll").then(|| {
                let version = if self.host {
                    run("uname", &["-r"]).unwrap_or_default()
                } else {
                    String::new()
                };
                OsInfo::new(name, version, "")
            }),
            Rule::Marker(file, id) => (self.exists(file) || self.os_release_id() == Some(id))
                .then(|| OsInfo::new(name, "", "")),
        }
    }
}

/// rospkg `FdoDetect.get_codename`: the text inside the first `(...)` of `VERSION`, else (when
/// it holds a `"`) the first word after the comma, else all of `VERSION`; lower case. No
/// `VERSION`: `VERSION_ID`.
fn fdo_codename(release: &BTreeMap<String, String>) -> String {
    let Some(version) = release.get("VERSION") else {
        return release.get("VERSION_ID").cloned().unwrap_or_default();
    };
    let codename = if let Some(open) = version.find('(') {
        // Python: version[find("(") + 1 : find(")")], where a missing ")" is index -1.
        let start = open + 1;
        let end = match version.find(')') {
            Some(close) => close,
            None => version.len().saturating_sub(1),
        };
        version.get(start..end.max(start)).unwrap_or_default().to_owned()
    } else if version.contains('"') {
        let after = version.find(',').map_or(version.as_str(), |c| &version[c + 1..]);
        after.trim_start_matches(' ').split_whitespace().next().unwrap_or_default().to_owned()
    } else {
        version.clone()
    };
    codename.to_lowercase()
}

/// `distro`'s id/version/codename from os-release, with lsb-release standing in for the
/// `lsb_release` command.
fn lsb_info(
    os_release: Option<&BTreeMap<String, String>>,
    lsb_release: Option<&BTreeMap<String, String>>,
) -> Lsb {
    let os = |k: &str| os_release.and_then(|m| m.get(k)).filter(|v| !v.is_empty());
    let lsb = |k: &str| lsb_release.and_then(|m| m.get(k)).filter(|v| !v.is_empty());
    let normalize = |id: &str| {
        let id = id.to_lowercase().replace(' ', "_");
        match id.as_str() {
            "ol" | "enterpriseenterpriseas" | "enterpriseenterpriseserver" => "oracle".to_owned(),
            "opensuse-leap" => "opensuse".to_owned(),
            "redhatenterpriseworkstation"
            | "redhatenterpriseserver"
            | "redhatenterprisecomputenode" => "rhel".to_owned(),
            _ => id,
        }
    };
    let id = os("ID").or_else(|| lsb("DISTRIB_ID")).map(|v| normalize(v)).unwrap_or_default();
    let version = os("VERSION_ID").or_else(|| lsb("DISTRIB_RELEASE")).cloned().unwrap_or_default();
    let from_os_release = os_release.and_then(|m| {
        if let Some(c) = m.get("VERSION_CODENAME") {
            return Some(c.clone()); // may be "": the OS says it has no codename
        }
        if let Some(c) = m.get("UBUNTU_CODENAME") {
            return Some(c.clone());
        }
        m.get("VERSION").and_then(|v| version_text_codename(v))
    });
    let codename = from_os_release.or_else(|| lsb("DISTRIB_CODENAME").cloned()).unwrap_or_default();
    Lsb { id, version, codename }
}

/// The codename in the free text of `VERSION`, found as `distro` does (the leftmost match of
/// `\((\D+)\)` or `,\s*(\D+)`), reduced to its first word in lower case:
/// `"14.04.3 LTS, Trusty Tahr"` → `trusty`.
fn version_text_codename(version: &str) -> Option<String> {
    for (i, c) in version.char_indices() {
        let rest = &version[i + c.len_utf8()..];
        let run = &rest[..rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len())];
        let captured = match c {
            // `\D+` is greedy and `)` is not a digit: up to the last `)` of the run.
            '(' => run.rfind(')').filter(|&p| p > 0).map(|p| &run[..p]),
            ',' if !run.is_empty() => Some(run),
            _ => None,
        };
        if let Some(text) = captured {
            return Some(text.split_whitespace().next().unwrap_or_default().to_lowercase());
        }
    }
    None
}

/// rospkg 1.6.1's Debian codename table, keyed by the major version (`12.5` → `bookworm`).
pub fn debian_codename(version: &str) -> Option<&'static str> {
    let major = version.split('.').next().unwrap_or_default();
    Some(match major {
        "7" => "wheezy",
        "8" => "jessie",
        "9" => "stretch",
        "10" => "buster",
        "11" => "bullseye",
        "12" => "bookworm",
        "13" => "trixie",
        "14" => "forky",
        "15" => "duke",
        "unstable" => "sid",
        "rodete" => "trixie",
        _ => return None,
    })
}

/// rospkg 1.6.1's macOS codename table: `10.x` by minor version, later releases by major.
pub fn osx_codename(version: &str) -> Option<&'static str> {
    let mut parts = version.trim().split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next().map_or(Ok(0), str::parse).ok()?;
    Some(match (major, minor) {
        (10, 4) => "tiger",
        (10, 5) => "leopard",
        (10, 6) => "snow",
        (10, 7) => "lion",
        (10, 8) => "mountain lion",
        (10, 9) => "mavericks",
        (10, 10) => "yosemite",
        (10, 11) => "el capitan",
        (10, 12) => "sierra",
        (10, 13) => "high sierra",
        (10, 14) => "mojave",
        (10, 15) => "catalina",
        (11, _) => "big sur",
        (12, _) => "monterey",
        (13, _) => "ventura",
        (14, _) => "sonoma",
        (15, _) => "sequoia",
        (26, _) => "tahoe",
        _ => return None,
    })
}

/// Runs `program args` and returns its trimmed stdout (`None` if it cannot run or fails).
fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
