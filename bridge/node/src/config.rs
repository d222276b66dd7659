//! Configuration files for `pyros-bridge run --config FILE` (TOML, or YAML for `.yaml` /
//! `.yml`): the backend and one or more profiles, each a socket with its permissions, the
//! peers it accepts (`SO_PEERCRED` uids / gids), allow and deny patterns per operation class
//! and limits. Unknown keys are errors; errors carry `file:line:col` when the parser gives
//! one, and a hint.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::access::Policy;
use crate::server::Config;

#[cfg(test)]
mod tests;

/// Which backend the bridge runs; `ros` unless the file says `backend = "mock"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The ROS master from the environment.
    #[default]
    Ros,
    /// In-memory topics, scripted services and parameters.
    Mock,
}

/// A loaded configuration: one backend shared by every profile.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    pub backend: BackendKind,
    /// Sorted by name.
    pub profiles: Vec<Profile>,
}

/// One listener: a socket with its permissions, exposure and limits.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub socket: PathBuf,
    /// Permission bits of the socket file (e.g. `0o660`).
    pub mode: Option<u32>,
    /// Group owning the socket file.
    pub group: Option<u32>,
    /// Exposure, limits and accepted peers.
    pub config: Config,
}

/// A configuration that cannot be used: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// How user and group names are resolved: the system's databases (`getpwnam_r`,
/// `getgrnam_r`, so NSS: `/etc/passwd`, LDAP, systemd-userdb, ...), or fixed tables.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// `None`: the system's; else (users, groups) by name.
    fixed: Option<(BTreeMap<String, u32>, BTreeMap<String, u32>)>,
}

impl Accounts {
    /// The system's user and group databases.
    pub fn system() -> Accounts {
        Accounts { fixed: None }
    }

    /// Only these users and groups (name, id): for checking a configuration meant for another
    /// machine.
    pub fn fixed(users: &[(&str, u32)], groups: &[(&str, u32)]) -> Accounts {
        let table =
            |rows: &[(&str, u32)]| rows.iter().map(|(n, id)| ((*n).to_owned(), *id)).collect();
        Accounts { fixed: Some((table(users), table(groups))) }
    }

    fn uid(&self, name: &str) -> Option<u32> {
        match &self.fixed {
            Some((users, _)) => users.get(name).copied(),
            None => nix::unistd::User::from_name(name).ok().flatten().map(|u| u.uid.as_raw()),
        }
    }

    fn gid(&self, name: &str) -> Option<u32> {
        match &self.fixed {
            Some((_, groups)) => groups.get(name).copied(),
            None => nix::unistd::Group::from_name(name).ok().flatten().map(|g| g.gid.as_raw()),
        }
    }
}

/// Reads and checks a configuration file, resolving user and group names on this system.
pub fn load(path: &Path) -> Result<BridgeConfig, ConfigError> {
    let text = fs_err::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_owned(),
        position: None,
        message: format!("cannot read the configuration: {e}"),
        hint: None,
    })?;
    parse(path, &text, &Accounts::system())
}

/// Parses configuration `text` (the content of `path`; the extension picks the format).
pub fn parse(path: &Path, text: &str, accounts: &Accounts) -> Result<BridgeConfig, ConfigError> {
    let error = |position, message: String, hint: &str| ConfigError {
        path: path.to_owned(),
        position,
        message,
        hint: Some(hint.to_owned()),
    };
    let yaml = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
    let raw: RawConfig = if yaml {
        let mut options = serde_saphyr::Options::default();
        options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
        options.strict_booleans = true;
        serde_saphyr::from_str_with_options(text, options).map_err(|e| {
            let plain = e.without_snippet().to_string();
            let first = plain.lines().next().unwrap_or_default().trim();
            let message = first.split_once(" at line ").map_or(first, |(m, _)| m).to_owned();
            let position = e.location().filter(|l| l.line() > 0).map(|l| {
                (usize::try_from(l.line()).unwrap_or(0), usize::try_from(l.column()).unwrap_or(0))
            });
            error(position, format!("invalid configuration: {message}"), HINT)
        })?
    } else {
        toml::from_str(text).map_err(|e| {
            let position = e.span().map(|span| line_column(text, span.start));
            let message = e.message().trim().to_owned();
            error(position, format!("invalid configuration: {message}"), HINT)
        })?
    };
    raw.check(accounts).map_err(|(message, hint)| error(None, message, &hint))
}

const HINT: &str = "see bridge/README.md (configuration files) for the keys and their types; \
                    unknown keys are errors";

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.len(), |i| before.len() - i - 1) + 1;
    (line, column)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    backend: BackendKind,
    #[serde(default)]
    profiles: BTreeMap<String, RawProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    socket: SocketPath,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default)]
    group: Option<Account>,
    #[serde(default)]
    uids: Option<Vec<Account>>,
    #[serde(default)]
    gids: Option<Vec<Account>>,
    #[serde(default)]
    allow: Patterns,
    #[serde(default)]
    deny: Patterns,
    #[serde(default)]
    limits: Limits,
}

/// Patterns per operation class; `all` applies to every class.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Patterns {
    #[serde(default)]
    all: Vec<Pattern>,
    #[serde(default)]
    subscribe: Vec<Pattern>,
    #[serde(default)]
    publish: Vec<Pattern>,
    #[serde(default)]
    call: Vec<Pattern>,
    #[serde(default)]
    param_read: Vec<Pattern>,
    #[serde(default)]
    param_write: Vec<Pattern>,
}

impl Patterns {
    /// `[CLASS=]GLOB` specs for [`Policy::add`].
    fn specs(&self) -> Vec<String> {
        let classes = [
            ("subscribe", &self.subscribe),
            ("publish", &self.publish),
            ("call", &self.call),
            ("param_read", &self.param_read),
            ("param_write", &self.param_write),
        ];
        let mut specs: Vec<String> = self.all.iter().map(|p| p.0.clone()).collect();
        for (class, patterns) in classes {
            specs.extend(patterns.iter().map(|p| format!("{class}={}", p.0)));
        }
        specs
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    #[serde(default)]
    max_frame: Option<usize>,
    #[serde(default)]
    send_budget: Option<usize>,
    #[serde(default)]
    max_inflight: Option<usize>,
}

impl RawConfig {
    fn check(self, accounts: &Accounts) -> Result<BridgeConfig, (String, String)> {
        if self.profiles.is_empty() {
            return Err((
                "no profile: nothing to listen on".into(),
                "add at least one `[profiles.NAME]` table with a `socket`".into(),
            ));
        }
        let mut profiles: Vec<Profile> = Vec::new();
        for (name, raw) in self.profiles {
            if let Some(other) = profiles.iter().find(|p| p.socket == raw.socket.0) {
                return Err((
                    format!(
                        "profiles `{}` and `{name}` use the same socket `{}`",
                        other.name,
                        raw.socket.0.display()
                    ),
                    "give every profile a socket of its own".into(),
                ));
            }
            profiles.push(
                raw.check(&name, accounts)
                    .map_err(|(message, hint)| (format!("profile `{name}`: {message}"), hint))?,
            );
        }
        Ok(BridgeConfig { backend: self.backend, profiles })
    }
}

impl RawProfile {
    fn check(self, name: &str, accounts: &Accounts) -> Result<Profile, (String, String)> {
        let resolve = |account: &Account, what: &str| -> Result<u32, (String, String)> {
            match account {
                Account::Id(id) => Ok(*id),
                Account::Name(n) => {
                    let found = if what == "user" { accounts.uid(n) } else { accounts.gid(n) };
                    found.ok_or_else(|| {
                        (
                            format!("unknown {what} `{n}`"),
                            format!("create the {what} first, or give its numeric id"),
                        )
                    })
                }
            }
        };
        let mut policy = Policy::default();
        for (specs, allow) in [(self.allow.specs(), true), (self.deny.specs(), false)] {
            for spec in specs {
                policy
                    .add(&spec, allow)
                    .map_err(|e| (format!("pattern `{spec}`: {e}"), HINT.to_owned()))?;
            }
        }
        let mut config = Config::new(policy);
        let limits = [
            ("max_frame", self.limits.max_frame, &mut config.max_frame),
            ("send_budget", self.limits.send_budget, &mut config.send_budget),
            ("max_inflight", self.limits.max_inflight, &mut config.max_inflight),
        ];
        for (key, value, slot) in limits {
            match value {
                Some(0) => {
                    return Err((
                        format!("limits.{key} must be greater than 0"),
                        "leave it out for the default".into(),
                    ));
                }
                Some(value) => *slot = value,
                None => {}
            }
        }
        if config.max_frame > u32::MAX as usize || config.max_frame < 1024 {
            return Err((
                format!("limits.max_frame {} is out of range", config.max_frame),
                "use between 1024 and 4294967295 bytes (default 67108864)".into(),
            ));
        }
        if self.uids.is_some() || self.gids.is_some() {
            config.allowed_uids = (self.uids.iter().flatten())
                .map(|a| resolve(a, "user"))
                .collect::<Result<_, _>>()?;
            config.allowed_gids = (self.gids.iter().flatten())
                .map(|a| resolve(a, "group"))
                .collect::<Result<_, _>>()?;
        }
        Ok(Profile {
            name: name.to_owned(),
            socket: self.socket.0,
            mode: self.mode.map(|m| m.0),
            group: self.group.as_ref().map(|g| resolve(g, "group")).transpose()?,
            config,
        })
    }
}

/// An absolute socket path.
#[derive(Debug)]
struct SocketPath(PathBuf);

impl<'de> Deserialize<'de> for SocketPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let path = PathBuf::from(String::deserialize(deserializer)?);
        if path.is_absolute() {
            Ok(SocketPath(path))
        } else {
            Err(de::Error::custom(format!(
                "socket `{}` is not an absolute path (e.g. /run/pyros/default.sock)",
                path.display()
            )))
        }
    }
}

/// Permission bits, written as a quoted octal string (`"0660"`).
#[derive(Debug)]
struct Mode(u32);

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ModeVisitor;
        impl Visitor<'_> for ModeVisitor {
            type Value = Mode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quoted octal mode such as \"0660\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Mode, E> {
                let digits = s.strip_prefix("0o").unwrap_or(s);
                match u32::from_str_radix(digits, 8) {
                    Ok(mode) if mode <= 0o777 && !digits.is_empty() => Ok(Mode(mode)),
                    _ => Err(E::custom(format!(
                        "mode `{s}` is not an octal permission such as \"0660\""
                    ))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Mode, E> {
                Err(E::custom(format!(
                    "mode {v} is a number: write it as a quoted octal string such as \"0660\""
                )))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Mode, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        deserializer.deserialize_any(ModeVisitor)
    }
}

/// A user or group, by numeric id or by name.
#[derive(Debug)]
enum Account {
    Id(u32),
    Name(String),
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AccountVisitor;
        impl Visitor<'_> for AccountVisitor {
            type Value = Account;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a numeric id or a user / group name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Account, E> {
                if s.is_empty() {
                    return Err(E::custom("empty user / group name"));
                }
                Ok(match s.parse() {
                    Ok(id) => Account::Id(id),
                    Err(_) => Account::Name(s.to_owned()),
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Account, E> {
                u32::try_from(v)
                    .map(Account::Id)
                    .map_err(|_| E::custom(format!("id {v} is out of range")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Account, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("id {v} is negative")))
                    .and_then(|v| self.visit_u64(v))
            }
        }
        deserializer.deserialize_any(AccountVisitor)
    }
}

/// An allow / deny glob over absolute ROS names.
#[derive(Debug)]
struct Pattern(String);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        if pattern.is_empty() || pattern.contains('=') || pattern.contains(char::is_whitespace) {
            return Err(de::Error::custom(format!(
                "`{pattern}` is not a name pattern (a glob such as `/arm/*`, without `=` or spaces)"
            )));
        }
        if !pattern.starts_with(['/', '*', '?']) {
            return Err(de::Error::custom(format!(
                "pattern `{pattern}` can never match: names are absolute (did you mean `/{pattern}`?)"
            )));
        }
        Ok(Pattern(pattern))
    }
}
