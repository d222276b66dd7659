//! Exit codes: one table for the whole tool, documented in the README.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the command ran and failed: not found, dependency cycle, broken manifest, problems found |
//! | 2 | bad invocation (unknown flag, missing argument) |
//! | 6, 30, 71-75 | `debian generate`: bloom's codes for the same situations ([`Bloom`]) |
//! | 101 | a bug (panic) |
//!
//! A closed stdout pipe (`rosdeb pkg list | head`) ends the program quietly with 0.

use std::process::ExitCode;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0
    Success,
    /// 1
    Failure,
    /// 2
    Usage,
    /// One of bloom's exit codes, where `rosdeb debian generate` meets the situation
    /// `bloom-generate` gives it for.
    Bloom(Bloom),
}

/// bloom's exit codes (bloom/util.py) for the situations `debian generate` shares with
/// `bloom-generate`; scripts written around bloom keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bloom {
    /// 6: the folder has no package.xml.
    NoPackageXml = 6,
    /// 30: the package version is not valid.
    InvalidVersion = 30,
    /// 71: an unknown build type.
    UnknownBuildType = 71,
    /// 72: a template could not be loaded or rendered.
    Template = 72,
    /// 73: a rosdep key that no rule file defines.
    NoSuchKey = 73,
    /// 74: a rosdep key with no rule for the target OS and codename.
    NoRuleForPlatform = 74,
    /// 75: a rosdep key that resolves only with another installer than the OS's (pip, ...).
    OtherInstaller = 75,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Usage => 2,
            Status::Bloom(code) => code as u8,
        })
    }
}

/// Prints an error chain as `error: ...` / `caused by: ...` / `hint: ...` on stderr and maps the
/// result to a status. A broken stdout pipe is success.
pub fn report(result: anyhow::Result<Status>) -> Status {
    match result {
        Ok(status) => status,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return Status::Success;
            }
            let mut lines = format!("error: {e}");
            for cause in e.chain().skip(1) {
                lines.push_str(&format!("\n  caused by: {cause}"));
            }
            if let Some(hint) = e.chain().find_map(|c| c.downcast_ref::<Hinted>()) {
                lines.push_str(&format!("\n  hint: {}", hint.hint));
            }
            eprintln_lossy(&lines);
            e.chain()
                .find_map(|c| c.downcast_ref::<Hinted>().and_then(|h| h.status))
                .unwrap_or(Status::Failure)
        }
    }
}

/// An error message with a hint line (and the exit status it ends the program with, when not
/// 1).
#[derive(Debug)]
pub struct Hinted {
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// The exit status (`None`: 1).
    pub status: Option<Status>,
}

impl Hinted {
    /// An error `message` with `hint`.
    pub fn error(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Hinted { message: message.into(), hint: hint.into(), status: None })
    }

    /// An error `message` with `hint` that ends the program with bloom's `code`.
    pub fn bloom(
        message: impl Into<String>,
        hint: impl Into<String>,
        code: Bloom,
    ) -> anyhow::Error {
        let status = Some(Status::Bloom(code));
        anyhow::Error::new(Hinted { message: message.into(), hint: hint.into(), status })
    }
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

fn eprintln_lossy(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A library diagnostic as a user-facing error: `file:line:col: message`, plus its hint.
pub fn diagnostic_error(d: &rospkg::Diagnostic) -> anyhow::Error {
    let mut place = d.path.display().to_string();
    if let Some(p) = d.position {
        place.push_str(&format!(":{}:{}", p.line, p.column));
    }
    let message = format!("{place}: {}", d.message);
    match &d.hint {
        Some(hint) => Hinted::error(message, hint.clone()),
        None => anyhow::anyhow!(message),
    }
}

/// An error of rospkg's distribution and rosdep readers as a user-facing error.
pub fn distro_error(e: rospkg::distro::Error) -> anyhow::Error {
    match e {
        rospkg::distro::Error::Invalid(d) => diagnostic_error(&d),
        rospkg::distro::Error::Unsupported { url } => Hinted::error(
            format!("cannot fetch {url}: the URL scheme is not supported"),
            "give a path, a file:// URL or an http(s):// URL",
        ),
        e @ rospkg::distro::Error::Io { .. } => anyhow::Error::new(e),
    }
}
