//! Allow/deny patterns per operation class; deny wins, and anything not allowed is refused.
//!
//! Patterns are fnmatch-style globs over ROS names, anchored at both ends (as in rosbridge):
//! `*` matches any sequence of characters including `/`, `?` matches one character. A pattern may be prefixed with an operation class
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
}

/// One compiled glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    source: String,
}

impl Glob {
    pub fn new(source: &str) -> Result<Self, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(Glob { source: source.to_owned() })
    }

    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.source.as_bytes(), name.as_bytes())
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern {
        [] => name.is_empty(),
        [b'*', b'*', ..] => glob_match(&pattern[1..], name),
        [b'*', rest @ ..] => (0..=name.len()).any(|i| glob_match(rest, &name[i..])),
        [b'?', rest @ ..] => !name.is_empty() && glob_match(rest, &name[1..]),
        [c, rest @ ..] => name.first() == Some(c) && glob_match(rest, &name[1..]),
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
