//! The ROS environment: ROS_ROOT, ROS_PACKAGE_PATH, ROS_HOME and friends (port of `rospkg.environment`).
//!
//! Every getter reads from an [`Environment`], a snapshot of variables, so callers and tests can
//! pass an explicit mapping exactly as rospkg's `env=` argument allows. Defaults and precedence
//! are rospkg's upstream ones; Debian's `/usr/share` convention is not applied here but by the
//! search path builder in [`crate::crawl`].

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// `ROS_ROOT`
pub const ROS_ROOT: &str = "ROS_ROOT";
/// `ROS_PACKAGE_PATH`
pub const ROS_PACKAGE_PATH: &str = "ROS_PACKAGE_PATH";
/// `ROS_HOME`
pub const ROS_HOME: &str = "ROS_HOME";
/// `ROS_LOG_DIR`
pub const ROS_LOG_DIR: &str = "ROS_LOG_DIR";
/// `ROS_TEST_RESULTS_DIR`
pub const ROS_TEST_RESULTS_DIR: &str = "ROS_TEST_RESULTS_DIR";
/// `ROS_ETC_DIR`
pub const ROS_ETC_DIR: &str = "ROS_ETC_DIR";
/// `ROS_DISTRO`
pub const ROS_DISTRO: &str = "ROS_DISTRO";
/// `AMENT_PREFIX_PATH` (ROS 2 install prefixes holding an ament resource index).
pub const AMENT_PREFIX_PATH: &str = "AMENT_PREFIX_PATH";

/// A snapshot of environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: BTreeMap<String, String>,
}

impl Environment {
    /// The current process environment (variables that are not UTF-8 are left out).
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Environment { vars }
    }

    /// Every variable, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// An explicit mapping, as rospkg's `env=` argument.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Environment { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// The raw value of `name`, if set (an empty value is `Some("")`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Sets `name` to `value` (for callers building an environment by hand).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// `ROS_ROOT`, normalised as `os.path.normpath` does; an empty value stays empty; `None` if unset.
    pub fn ros_root(&self) -> Option<PathBuf> {
        self.get(ROS_ROOT)
            .map(|v| if v.is_empty() { PathBuf::new() } else { normpath(Path::new(v)) })
    }

    /// The raw `ROS_PACKAGE_PATH` string (no splitting, no `~` expansion), `None` if unset.
    pub fn ros_package_path(&self) -> Option<&str> {
        self.get(ROS_PACKAGE_PATH)
    }

    /// rospkg's ROS paths: `ROS_ROOT` (if set and non-blank) then each non-blank
    /// `ROS_PACKAGE_PATH` entry, in order, without dedup or `~` expansion.
    pub fn ros_paths(&self) -> Vec<PathBuf> {
        compute_package_paths(self.get(ROS_ROOT), self.get(ROS_PACKAGE_PATH))
    }

    /// `ROS_HOME` if the variable is present (even empty), else `~/.ros`.
    pub fn ros_home(&self) -> PathBuf {
        match self.get(ROS_HOME) {
            Some(v) => PathBuf::from(v),
            None => self.home_dir().join(".ros"),
        }
    }

    /// `ROS_LOG_DIR` if present, else `<ros_home>/log`.
    pub fn log_dir(&self) -> PathBuf {
        self.get(ROS_LOG_DIR).map_or_else(|| self.ros_home().join("log"), PathBuf::from)
    }

    /// `ROS_TEST_RESULTS_DIR` if present, else `<ros_home>/test_results`.
    pub fn test_results_dir(&self) -> PathBuf {
        self.get(ROS_TEST_RESULTS_DIR)
            .map_or_else(|| self.ros_home().join("test_results"), PathBuf::from)
    }

    /// `ROS_ETC_DIR` if present, else `/etc/ros`.
    pub fn etc_ros_dir(&self) -> PathBuf {
        self.get(ROS_ETC_DIR).map_or_else(|| PathBuf::from("/etc/ros"), PathBuf::from)
    }

    /// `ROS_DISTRO`, if set and not empty.
    pub fn ros_distro(&self) -> Option<&str> {
        self.get(ROS_DISTRO).filter(|v| !v.is_empty())
    }

    /// True if `path` (after `~` expansion and symlink resolution) is, or is under, one of the ROS
    /// paths. Like Python's `os.path.realpath`, paths need not exist.
    pub fn on_ros_path(&self, path: &Path) -> bool {
        let target = realpath(&self.expand_user(path));
        self.ros_paths().iter().any(|p| target.starts_with(realpath(&self.expand_user(p))))
    }

    /// The user's home directory: `$HOME` (`/` when it is empty), else the home of the current
    /// user in the user database (as Python's `expanduser` and rospack do), else `/`.
    pub fn home_dir(&self) -> PathBuf {
        match self.get("HOME") {
            // Python: a present but empty HOME expands `~` to `/`.
            Some("") => PathBuf::from("/"),
            Some(home) => PathBuf::from(home),
            None => passwd_home().unwrap_or_else(|| PathBuf::from("/")),
        }
    }

    /// Expands a leading `~` or `~/` to the home directory.
    pub fn expand_user(&self, path: &Path) -> PathBuf {
        match path.strip_prefix("~") {
            Ok(rest) => self.home_dir().join(rest),
            Err(_) => path.to_path_buf(),
        }
    }
}

/// The list logic of `rospkg.environment._compute_package_paths`.
fn compute_package_paths(ros_root: Option<&str>, ros_package_path: Option<&str>) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    // rospkg passes ROS_ROOT through `normpath` and keeps any non-empty value, blank or not.
    if let Some(root) = ros_root.filter(|r| !r.is_empty()) {
        paths.push(normpath(Path::new(root)));
    }
    if let Some(rpp) = ros_package_path {
        paths.extend(rpp.split(':').filter(|p| !p.trim().is_empty()).map(PathBuf::from));
    }
    paths
}

/// The home directory of the current user from the user database (`getpwuid_r`, so NSS:
/// `/etc/passwd`, LDAP, systemd-userdb, ...).
fn passwd_home() -> Option<PathBuf> {
    nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.dir)
}

/// Python's `os.path.realpath`: symlinks resolved as far as the path exists, the rest appended
/// (normalised), relative paths taken from the current directory.
fn realpath(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let absolute = normpath(&absolute);
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return rest.iter().rev().fold(real, |acc: PathBuf, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Lexical normalisation like Python's `os.path.normpath` (no filesystem access).
pub fn normpath(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn compute_package_paths_matches_rospkg_cases() {
        assert!(compute_package_paths(None, None).is_empty());
        assert_eq!(compute_package_paths(Some("foo"), Some("")), vec![PathBuf::from("foo")]);
        assert_eq!(
            compute_package_paths(Some("foo"), Some("bar:bz::blah")),
            ["foo", "bar", "bz", "blah"].map(PathBuf::from).to_vec()
        );
        assert_eq!(
            compute_package_paths(Some("  "), Some(" :x")),
            ["  ", "x"].map(PathBuf::from).to_vec()
        );
        assert_eq!(compute_package_paths(Some("/a/./b/../c/"), None), vec![PathBuf::from("/a/c")]);
    }

    #[test]
    fn ros_home_precedence() {
        assert_eq!(env(&[("HOME", "/h")]).ros_home(), PathBuf::from("/h/.ros"));
        assert_eq!(env(&[("HOME", "/h"), ("ROS_HOME", "/r")]).ros_home(), PathBuf::from("/r"));
        // Present but empty wins, as in rospkg.
        assert_eq!(env(&[("HOME", "/h"), ("ROS_HOME", "")]).ros_home(), PathBuf::from(""));
    }

    #[test]
    fn derived_dirs() {
        let e = env(&[("ROS_HOME", "/r")]);
        assert_eq!(e.log_dir(), PathBuf::from("/r/log"));
        assert_eq!(e.test_results_dir(), PathBuf::from("/r/test_results"));
        assert_eq!(e.etc_ros_dir(), PathBuf::from("/etc/ros"));
        let e =
            env(&[("ROS_LOG_DIR", "/l"), ("ROS_TEST_RESULTS_DIR", "/t"), ("ROS_ETC_DIR", "/e")]);
        assert_eq!(e.log_dir(), PathBuf::from("/l"));
        assert_eq!(e.test_results_dir(), PathBuf::from("/t"));
        assert_eq!(e.etc_ros_dir(), PathBuf::from("/e"));
    }

    #[test]
    fn ros_root_is_normalised() {
        assert_eq!(env(&[("ROS_ROOT", "/a/./b/../c/")]).ros_root(), Some(PathBuf::from("/a/c")));
        assert_eq!(env(&[("ROS_ROOT", "")]).ros_root(), Some(PathBuf::new()));
        assert_eq!(env(&[]).ros_root(), None);
    }

    #[test]
    fn on_ros_path_follows_real_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inside = dir.path().join("pkg");
        fs_err::create_dir(&inside).expect("mkdir");
        let e = env(&[("ROS_PACKAGE_PATH", dir.path().to_str().expect("utf-8 temp path"))]);
        assert!(e.on_ros_path(&inside));
        assert!(e.on_ros_path(dir.path()));
        assert!(!e.on_ros_path(Path::new("/")));
        assert!(e.on_ros_path(&inside.join("not_created_yet")));
        assert!(!env(&[]).on_ros_path(dir.path()));
    }

    #[test]
    fn expand_user_only_leading_tilde() {
        let e = env(&[("HOME", "/home/me")]);
        assert_eq!(e.expand_user(Path::new("~/x")), PathBuf::from("/home/me/x"));
        assert_eq!(e.expand_user(Path::new("~")), PathBuf::from("/home/me"));
        assert_eq!(e.expand_user(Path::new("/a/~")), PathBuf::from("/a/~"));
    }
}
