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

/// A version as dpkg parses it: `[epoch:]upstream[-revision]`, the epoch digits, the upstream
/// part starting with a digit, only `[A-Za-z0-9.+~:-]`, no empty revision.
pub(crate) fn version(field: &str, value: &str) -> Result<(), BadField> {
    let upstream = match value.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(field, value, "has an epoch that is not a number"));
            }
            rest
        }
        None => value,
    };
    if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad(field, value, "is not a Debian version (it does not start with a digit)"));
    }
    if !upstream.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~:-".contains(&b)) {
        return Err(bad(
            field,
            value,
            "is not a Debian version (characters outside [A-Za-z0-9.+~:-])",
        ));
    }
    if upstream.ends_with('-') {
        return Err(bad(field, value, "is not a Debian version (empty Debian revision)"));
    }
    Ok(())
}

/// An architecture name: `all`, or `[a-z0-9][a-z0-9-]*` (`amd64`, `arm64`, `musl-linux-arm64`).
pub(crate) fn architecture(value: &str) -> Result<(), BadField> {
    let ok = value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok { Ok(()) } else { Err(bad("Architecture", value, "is not one Debian architecture name")) }
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
