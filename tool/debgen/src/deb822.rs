//! The one rule for values written into deb822 files (`debian/control`, `debian/changelog`,
//! `debian/copyright`, `DEBIAN/control`, apt's `Packages` and `Release`): a value that comes from
//! package metadata, rosdep rules or a `.deb` is checked here before any writer puts it in a
//! field, so that no value can end a field, start another one or open a second paragraph.
//!
//! - [`single_line`]: a one-line field value: no control character (newlines included) and no
//!   Unicode line or paragraph separator.
//! - [`fold`]: multi-line text folded as Debian Policy §5.1 folds it: each line a continuation
//!   line, a blank line as ` .`; other control characters (but tab) are refused.
//! - [`multi_line`]: a multi-line value as read back from a paragraph (a `.deb`'s control file
//!   copied into `Packages`): lines free of control characters but tab, no blank continuation.
//! - [`package_name`]: a Debian package name (Policy §5.6.1); [`version_problem`] and
//!   [`is_architecture`]: the syntax dpkg accepts for a version and an architecture name.

use std::fmt;

/// Where a value is going: the file and the field, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file written (`debian/control`, `debian/changelog`, ...).
    pub file: String,
    /// The field (`Maintainer`, `Homepage`, `Depends`, ...).
    pub field: String,
    /// Where the value comes from (`pkg/package.xml <maintainer>`, `rules.yaml:3:5`), if known.
    pub origin: Option<String>,
}

impl Place {
    /// The value of `field` in `file`.
    pub fn new(file: &str, field: &str) -> Place {
        Place { file: file.to_owned(), field: field.to_owned(), origin: None }
    }

    /// The same place, with the value's origin.
    #[must_use]
    pub fn from(mut self, origin: impl Into<String>) -> Place {
        self.origin = Some(origin.into());
        self
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        write!(f, "{} field `{}`", self.file, self.field)
    }
}

/// A value refused for a deb822 file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {value:?} {problem}")]
pub struct ValueError {
    /// Where the value was going.
    pub place: Place,
    /// The value (shown escaped).
    pub value: String,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A control character (a newline, a carriage return, escape, ...) or a line separator.
    ControlCharacter(char),
    /// Empty where a value is required.
    Empty,
    /// Not a Debian package name.
    NotPackageName,
    /// A continuation line that is empty or only white space (it ends the paragraph).
    BlankContinuation,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ControlCharacter(c) => write!(
                f,
                "holds the control character U+{:04X}: a field value may not break the line \
                 (it would end the field and start another one)",
                u32::from(*c)
            ),
            Problem::Empty => f.write_str("is empty"),
            Problem::BlankContinuation => f.write_str(
                "has a blank continuation line (it would end the paragraph; Policy writes ` .`)",
            ),
            Problem::NotPackageName => f.write_str(
                "is not a Debian package name (lowercase letters, digits, `+`, `-` and `.`, at \
                 least two characters, starting with a letter or digit; Policy 5.6.1)",
            ),
        }
    }
}

impl ValueError {
    /// A one-line advice for the user.
    pub fn hint(&self) -> &'static str {
        match self.problem {
            Problem::ControlCharacter(_) => {
                "write the value on one line, without control characters"
            }
            Problem::Empty => "give the value",
            Problem::BlankContinuation => "write an empty line of a multi-line value as ` .`",
            Problem::NotPackageName => {
                "a rosdep rule for apt lists Debian package names only, e.g. `focal: [libfoo-dev]`"
            }
        }
    }
}

/// True for characters that may not appear in a one-line value: C0 and C1 controls, DEL, and
/// the Unicode line and paragraph separators.
fn breaks(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// `value` when it fits on one line of a deb822 field; else the error naming `place`.
pub fn single_line<'a>(place: &Place, value: &'a str) -> Result<&'a str, ValueError> {
    match value.chars().find(|c| breaks(*c)) {
        Some(c) => Err(ValueError {
            place: place.clone(),
            value: value.to_owned(),
            problem: Problem::ControlCharacter(c),
        }),
        None => Ok(value),
    }
}

/// [`single_line`], and not empty after trimming.
pub fn required<'a>(place: &Place, value: &'a str) -> Result<&'a str, ValueError> {
    single_line(place, value)?;
    if value.trim().is_empty() {
        return Err(ValueError {
            place: place.clone(),
            value: value.to_owned(),
            problem: Problem::Empty,
        });
    }
    Ok(value)
}

/// The lines of `text` as continuation lines of a multi-line field, without their leading space
/// (the writer adds it): trailing whitespace removed, a blank line as `.`, leading and trailing
/// blank lines dropped. `\r\n` counts as a line break and a form feed as a blank line; any other
/// control character but tab is refused.
pub fn fold(place: &Place, text: &str) -> Result<Vec<String>, ValueError> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line).replace('\u{c}', "");
        if let Some(c) = line.chars().find(|c| breaks(*c) && *c != '\t') {
            return Err(ValueError {
                place: place.clone(),
                value: text.to_owned(),
                problem: Problem::ControlCharacter(c),
            });
        }
        let line = line.trim_end();
        lines.push(if line.is_empty() { ".".to_owned() } else { line.to_owned() });
    }
    while lines.last().is_some_and(|l| l == ".") {
        lines.pop();
    }
    let first = lines.iter().position(|l| l != ".").unwrap_or(lines.len());
    Ok(lines.split_off(first))
}

/// `value` when it is a well-formed multi-line field value as a paragraph parser returns it
/// (continuation lines joined by `\n` without their leading space): no control character in any
/// line but tab, and no blank continuation line.
pub fn multi_line<'a>(place: &Place, value: &'a str) -> Result<&'a str, ValueError> {
    let refuse = |problem| ValueError { place: place.clone(), value: value.to_owned(), problem };
    for (index, line) in value.split('\n').enumerate() {
        if let Some(c) = line.chars().find(|c| breaks(*c) && *c != '\t') {
            return Err(refuse(Problem::ControlCharacter(c)));
        }
        if index > 0 && line.trim().is_empty() {
            return Err(refuse(Problem::BlankContinuation));
        }
    }
    Ok(value)
}

/// True for a Debian package name (Policy 5.6.1): at least two characters of `a-z0-9+-.`,
/// starting with a letter or digit.
pub fn is_package_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+-.".contains(c))
}

/// What is wrong with `value` as a version dpkg parses (`[epoch:]upstream[-revision]`: the
/// epoch digits, the upstream part starting with a digit, only `[A-Za-z0-9.+~:-]`, no empty
/// revision); `None` when it is one.
pub fn version_problem(value: &str) -> Option<&'static str> {
    let upstream = match value.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Some("has an epoch that is not a number");
            }
            rest
        }
        None => value,
    };
    if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
        Some("does not start with a digit")
    } else if !upstream.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~:-".contains(&b)) {
        Some("has characters outside [A-Za-z0-9.+~:-]")
    } else if upstream.ends_with('-') {
        Some("has an empty Debian revision")
    } else {
        None
    }
}

/// True for one Debian architecture name: `all`, or `[a-z0-9][a-z0-9-]*` (`amd64`, `arm64`).
pub fn is_architecture(value: &str) -> bool {
    value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `name` when it is a Debian package name; else the error naming `place`.
pub fn package_name<'a>(place: &Place, name: &'a str) -> Result<&'a str, ValueError> {
    if is_package_name(name) {
        Ok(name)
    } else {
        Err(ValueError {
            place: place.clone(),
            value: name.to_owned(),
            problem: Problem::NotPackageName,
        })
    }
}

#[cfg(test)]
mod tests;
