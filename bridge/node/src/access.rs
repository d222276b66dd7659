//! Allow/deny patterns per operation class; deny wins, and anything not allowed is refused.
//!
//! Patterns are fnmatch-style globs over ROS names, anchored at both ends (as in rosbridge):
//! `*` matches any sequence of characters including `/`, `?` matches one character, every other
//! character only itself. A pattern may be prefixed with an operation class
//! and `=` (`publish=/cmd/*`); without a prefix it applies to every class.

use std::fmt;

#[cfg(test)]
mod tests;

/// What a client wants to do with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Subscribe, get_latest, list topics.
    Subscribe,
    Publish,
    Call,
    ParamRead,
    ParamWrite,
}

impl Class {
    pub const ALL: [Class; 5] =
        [Class::Subscribe, Class::Publish, Class::Call, Class::ParamRead, Class::ParamWrite];

    pub fn name(self) -> &'static str {
        match self {
            Class::Subscribe => "subscribe",
            Class::Publish => "publish",
            Class::Call => "call",
            Class::ParamRead => "param_read",
            Class::ParamWrite => "param_write",
        }
    }
}

/// A pattern that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "unknown operation class `{0}` in pattern (expected subscribe, publish, call, param_read or param_write)"
    )]
    UnknownClass(String),
    #[error("empty pattern")]
    Empty,
    #[error("invalid pattern: {0}")]
    Invalid(String),
}

/// One compiled glob (globset, so matching is linear in the name whatever the pattern).
#[derive(Debug, Clone)]
pub struct Glob {
    source: String,
    matcher: globset::GlobMatcher,
}

impl PartialEq for Glob {
    fn eq(&self, other: &Glob) -> bool {
        self.source == other.source
    }
}

impl Eq for Glob {}

impl Glob {
    pub fn new(source: &str) -> Result<Self, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        // Only `*` and `?` are special here: a run of `*` is one `*` (matching `/` too), and
        // globset's other syntax (`[...]`, `{a,b}`, `\`) is escaped to stand for itself.
        let mut syntax = String::with_capacity(source.len());
        let mut star = false;
        for c in source.chars() {
            match c {
                '*' if star => {}
                '[' | ']' | '{' | '}' | '\\' => {
                    syntax.push('\\');
                    syntax.push(c);
                }
                _ => syntax.push(c),
            }
            star = c == '*';
        }
        let matcher = globset::GlobBuilder::new(&syntax)
            .literal_separator(false)
            .backslash_escape(true)
            .empty_alternates(false)
            .build()
            .map_err(|e| PatternError::Invalid(e.to_string()))?
            .compile_matcher();
        Ok(Glob { source: source.to_owned(), matcher })
    }

    pub fn matches(&self, name: &str) -> bool {
        self.matcher.is_match(name)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Allow and deny lists for every class.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    rules: Vec<(Option<Class>, bool, Glob)>,
}

impl Policy {
    /// Adds `[class=]pattern` as an allow (`allow = true`) or deny rule.
    pub fn add(&mut self, spec: &str, allow: bool) -> Result<(), PatternError> {
        let (class, pattern) = match spec.split_once('=') {
            Some((class, pattern)) => {
                let class = Class::ALL
                    .into_iter()
                    .find(|c| c.name() == class)
                    .ok_or_else(|| PatternError::UnknownClass(class.to_owned()))?;
                (Some(class), pattern)
            }
            None => (None, spec),
        };
        self.rules.push((class, allow, Glob::new(pattern)?));
        Ok(())
    }

    /// A policy from lists of allow and deny specs.
    pub fn from_specs(allow: &[String], deny: &[String]) -> Result<Self, PatternError> {
        let mut policy = Policy::default();
        for spec in allow {
            policy.add(spec, true)?;
        }
        for spec in deny {
            policy.add(spec, false)?;
        }
        Ok(policy)
    }

    /// Whether `name` is exposed for `class`: some allow rule matches and no deny rule does.
    pub fn allows(&self, class: Class, name: &str) -> bool {
        let applicable = || {
            self.rules
                .iter()
                .filter(move |(c, _, glob)| c.is_none_or(|c| c == class) && glob.matches(name))
        };
        applicable().any(|(_, allow, _)| *allow) && !applicable().any(|(_, allow, _)| !allow)
    }
}
