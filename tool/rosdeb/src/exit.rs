//! Exit codes: one table for the whole tool, documented in the README.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the command ran and failed: not found, dependency cycle, broken manifest, problems found |
//! | 2 | bad invocation (unknown flag, missing argument) |
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
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Usage => 2,
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
            Status::Failure
        }
    }
}

/// An error message with a hint line.
#[derive(Debug)]
pub struct Hinted {
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Hinted {
    /// An error `message` with `hint`.
    pub fn error(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Hinted { message: message.into(), hint: hint.into() })
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
