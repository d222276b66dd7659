//! Diagnostics: one problem in one file, with position and an optional hint.
//!
//! Every error the library reports about an input file is a [`Diagnostic`]; its `Display` form is
//! `file:line:col: error: message` followed by a `hint:` line when there is one, the shape
//! compilers use so editors can jump to it.

use std::fmt;
use std::path::PathBuf;

/// A 1-based line and column in a text file.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
}

impl Position {
    /// A position at `line`:`column`.
    pub fn new(line: u32, column: u32) -> Self {
        Position { line, column }
    }
}

/// Whether a diagnostic stops the input from being used.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input is rejected (catkin_pkg raises `InvalidPackage`, rospack aborts).
    Error,
    /// The input is used, but something is off (catkin_pkg prints a warning).
    Warning,
}

/// What kind of problem a diagnostic is, for code that must tell problems apart: messages are
/// for people (and follow the peers' wording), so no code matches on their text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticKind {
    /// Any other problem; the message says what.
    #[default]
    Other,
    /// The file is not well-formed: XML or YAML that does not parse.
    Syntax,
    /// A rosbuild `<depend>` with neither a `package` nor a `stack` attribute (rospack refuses
    /// the dependency queries of such a package).
    DependWithoutTarget,
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The file (or directory) the problem is in.
    pub path: PathBuf,
    /// Where in the file, when known.
    pub position: Option<Position>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, one sentence, no trailing period.
    pub message: String,
    /// How to fix it, when we know.
    pub hint: Option<String>,
    /// What kind of problem it is.
    pub kind: DiagnosticKind,
}

impl Diagnostic {
    /// An error at `path` (no position yet).
    pub fn error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            position: None,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
            kind: DiagnosticKind::Other,
        }
    }

    /// A warning at `path` (no position yet).
    pub fn warning(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(path, message) }
    }

    /// The same diagnostic at `position`.
    #[must_use]
    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    /// The same diagnostic with a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same diagnostic, of `kind`.
    #[must_use]
    pub fn of_kind(mut self, kind: DiagnosticKind) -> Self {
        self.kind = kind;
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(p) = self.position {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {level}: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}
