//! The binary package's `control` file: one deb822 paragraph, parsed, checked and written back.
//!
//! Field order is kept as given; names compare case-insensitively (Debian Policy §5.1).

use std::fmt::Write as _;

use crate::deb822::{self, Place, ValueError};

/// A binary package control paragraph (`DEBIAN/control`), fields in their given order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    /// (name, value); a multi-line value keeps its continuation lines as `\n` + the line.
    fields: Vec<(String, String)>,
}

/// What is wrong with a control paragraph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// A line that is neither `Name: value`, a continuation, nor a comment.
    #[error("line {line}: expected `Field: value`, found `{text}`")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// The offending line.
        text: String,
    },
    /// More than one paragraph.
    #[error("line {line}: a binary control file holds one paragraph, found a second one")]
    SecondParagraph {
        /// 1-based line number where the second paragraph starts.
        line: usize,
    },
    /// A value that would break its field (a line break, a control character).
    #[error(transparent)]
    Value(Box<ValueError>),
    /// The same field twice.
    #[error("field `{0}` appears twice")]
    DuplicateField(String),
    /// A mandatory field is absent or empty.
    #[error("mandatory field `{0}` is missing")]
    MissingField(&'static str),
    /// A field value dpkg would refuse.
    #[error("field `{field}`: `{value}` {reason}")]
    InvalidValue {
        /// The field name.
        field: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
}

/// The identity of a checked control paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) package: String,
    pub(crate) version: String,
    pub(crate) architecture: String,
}

impl Control {
    /// Parses the text of a control file (one paragraph; `#` comment lines are skipped).
    pub fn parse(text: &str) -> Result<Control, ControlError> {
        let mut control = Control::default();
        let mut ended_at = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if line.starts_with('#') {
                continue;
            }
            if let Some(c) = line.chars().find(|c| c.is_control() && *c != '\t') {
                return Err(ControlError::Syntax {
                    line: number,
                    text: format!("{line:?} (control character U+{:04X})", u32::from(c)),
                });
            }
            if line.trim().is_empty() {
                if !control.fields.is_empty() {
                    ended_at.get_or_insert(number);
                }
                continue;
            }
            if ended_at.is_some() {
                return Err(ControlError::SecondParagraph { line: number });
            }
            if line.starts_with([' ', '\t']) {
                let Some((_, value)) = control.fields.last_mut() else {
                    return Err(ControlError::Syntax { line: number, text: line.to_owned() });
                };
                value.push('\n');
                value.push_str(line.trim_end());
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(ControlError::Syntax { line: number, text: line.to_owned() });
            };
            if !valid_field_name(name) {
                return Err(ControlError::Syntax { line: number, text: line.to_owned() });
            }
            if control.get(name).is_some() {
                return Err(ControlError::DuplicateField(name.to_owned()));
            }
            control.fields.push((name.to_owned(), value.trim().to_owned()));
        }
        Ok(control)
    }

    /// The value of a field (case-insensitive name), continuation lines included.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The fields in their order: (name, value), continuation lines as `\n` + the line.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Sets a field: replaced in place when present, else appended. Unchecked: for values built
    /// by the caller; a value from package metadata, rules or a `.deb` goes through
    /// [`Control::try_set`].
    pub fn set(&mut self, name: &str, value: &str) {
        self.set_after(name, value, None);
    }

    /// [`Control::set`] with the value checked by the deb822 rule ([`crate::deb822`]): one line,
    /// or continuation lines (`\n` + a space or tab + text, ` .` for a blank line); never a line
    /// break that would start another field or paragraph.
    pub fn try_set(&mut self, name: &str, value: &str) -> Result<(), ControlError> {
        check_value(name, value)?;
        self.set_after(name, value, None);
        Ok(())
    }

    /// Sets a field: replaced in place when present, else inserted after `after` when that
    /// field exists, else appended.
    pub(crate) fn set_after(&mut self, name: &str, value: &str, after: Option<&str>) {
        if let Some(slot) = self.fields.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            slot.1 = value.to_owned();
            return;
        }
        let at = after
            .and_then(|a| self.fields.iter().position(|(n, _)| n.eq_ignore_ascii_case(a)))
            .map_or(self.fields.len(), |i| i + 1);
        self.fields.insert(at, (name.to_owned(), value.to_owned()));
    }

    /// The paragraph as control file text, each line ending in `\n`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.fields {
            if value.starts_with('\n') {
                let _ = writeln!(out, "{name}:{value}");
            } else {
                let _ = writeln!(out, "{name}: {value}");
            }
        }
        out
    }

    /// Checks the fields dpkg needs and returns package, version and architecture.
    pub(crate) fn identity(&self) -> Result<Identity, ControlError> {
        let package = self.required("Package")?;
        let version = self.required("Version")?;
        let architecture = self.required("Architecture")?;
        self.required("Maintainer")?;
        let description = self.required("Description")?;
        if description.lines().next().is_none_or(|l| l.trim().is_empty()) {
            return Err(ControlError::MissingField("Description"));
        }
        check_package(package)?;
        check_version(version)?;
        check_architecture(architecture)?;
        Ok(Identity {
            package: package.to_owned(),
            version: version.to_owned(),
            architecture: architecture.to_owned(),
        })
    }

    fn required(&self, name: &'static str) -> Result<&str, ControlError> {
        match self.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(ControlError::MissingField(name)),
        }
    }
}

/// A field value as [`Control::set`] takes it, checked by the deb822 rule.
fn check_value(name: &str, value: &str) -> Result<(), ControlError> {
    let place = Place::new("DEBIAN/control", name);
    if !valid_field_name(name) {
        return Err(ControlError::Syntax { line: 0, text: format!("{name}: {value}") });
    }
    let mut lines = value.split('\n');
    let boxed = |e| ControlError::Value(Box::new(e));
    deb822::single_line(&place, lines.next().unwrap_or_default()).map_err(boxed)?;
    for line in lines {
        let Some(text) = line.strip_prefix([' ', '\t']) else {
            return Err(ControlError::Syntax { line: 0, text: format!("{name}: {value:?}") });
        };
        if text.trim().is_empty() {
            return Err(ControlError::Syntax { line: 0, text: format!("{name}: {value:?}") });
        }
        deb822::single_line(&place, &text.replace('\t', " ")).map_err(boxed)?;
    }
    Ok(())
}

fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['#', '-'])
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

fn check_package(value: &str) -> Result<(), ControlError> {
    if deb822::is_package_name(value) {
        Ok(())
    } else {
        Err(ControlError::InvalidValue {
            field: "Package",
            value: value.to_owned(),
            reason: "is not a Debian package name ([a-z0-9][a-z0-9+.-]+)",
        })
    }
}

fn check_version(value: &str) -> Result<(), ControlError> {
    match deb822::version_problem(value) {
        None => Ok(()),
        Some(reason) => {
            Err(ControlError::InvalidValue { field: "Version", value: value.to_owned(), reason })
        }
    }
}

fn check_architecture(value: &str) -> Result<(), ControlError> {
    if deb822::is_architecture(value) {
        Ok(())
    } else {
        Err(ControlError::InvalidValue {
            field: "Architecture",
            value: value.to_owned(),
            reason: "is not a single Debian architecture name",
        })
    }
}

/// The version as dpkg-deb puts it in file names: without the epoch.
pub(crate) fn version_without_epoch(version: &str) -> &str {
    version.split_once(':').map_or(version, |(_, rest)| rest)
}
