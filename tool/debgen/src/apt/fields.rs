//! Checks of the control fields a published `.deb` brings into the repository, where they enter:
//! the fields that form its pool path (`Package`, `Source`, `Version`, `Architecture`) and every
//! field copied into a `Packages` stanza.
//!
//! dpkg-deb builds packages whose control file says `Source: ../../outside` or holds control
//! characters, so a third-party `.deb` may carry anything; nothing of it reaches a path or an
//! index before these checks pass. Names and values are judged by [`crate::deb822`], the one rule
//! for every value written into a deb822 file.

use crate::deb822;

/// A refused field: its name, its value and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadField {
    pub(crate) field: String,
    pub(crate) value: String,
    pub(crate) reason: &'static str,
}

fn bad(field: &str, value: &str, reason: &'static str) -> BadField {
    BadField { field: field.to_owned(), value: value.to_owned(), reason }
}

/// A package name (Debian Policy 5.6.1, 5.6.7), by the crate's one rule.
pub(crate) fn package_name(field: &str, value: &str) -> Result<(), BadField> {
    if deb822::is_package_name(value) {
        Ok(())
    } else {
        Err(bad(field, value, "is not a Debian package name ([a-z0-9][a-z0-9+.-]+)"))
    }
}

/// A version as dpkg parses it, by the crate's one rule ([`deb822::version_problem`]).
pub(crate) fn version(field: &str, value: &str) -> Result<(), BadField> {
    match deb822::version_problem(value) {
        None => Ok(()),
        Some(reason) => Err(bad(field, value, reason)),
    }
}

/// An architecture name ([`deb822::is_architecture`]).
pub(crate) fn architecture(value: &str) -> Result<(), BadField> {
    if deb822::is_architecture(value) {
        Ok(())
    } else {
        Err(bad("Architecture", value, "is not one Debian architecture name"))
    }
}

/// `Source: name` or `Source: name (version)` (Policy 5.6.1); returns the name.
pub(crate) fn source(value: &str) -> Result<&str, BadField> {
    let (name, rest) = match value.split_once(' ') {
        Some((name, rest)) => (name, Some(rest)),
        None => (value, None),
    };
    package_name("Source", name).map_err(|_| {
        bad("Source", value, "is not `name` or `name (version)` with a Debian package name")
    })?;
    if let Some(rest) = rest {
        let inner = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')'));
        let Some(inner) = inner else {
            return Err(bad("Source", value, "is not `name` or `name (version)`"));
        };
        version("Source", inner).map_err(|e| BadField { value: value.to_owned(), ..e })?;
    }
    Ok(name)
}

/// A field copied into `Packages`, by the crate's one rule for multi-line values
/// ([`deb822::multi_line`]).
pub(crate) fn copied_value(field: &str, value: &str) -> Result<(), BadField> {
    let place = deb822::Place::new("Packages", field);
    deb822::multi_line(&place, value).map(|_| ()).map_err(|e| match e.problem {
        deb822::Problem::BlankContinuation => {
            bad(field, value, "has a blank continuation line (write ` .` instead)")
        }
        _ => bad(field, value, "holds a control character"),
    })
}
