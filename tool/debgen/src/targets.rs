//! What debgen knows of each target codename: the version of its `python3` and of its glibc.

/// One Debian or Ubuntu release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The codename (`bookworm`, `jammy`).
    pub codename: &'static str,
    /// The version of the release's `python3` package (major, minor).
    pub python3: (u8, u8),
    /// The version of the release's glibc (`libc6`), (major, minor).
    pub glibc: (u8, u8),
}

/// Every known target, sorted by codename.
pub const TARGETS: &[Target] = &[
    Target { codename: "bookworm", python3: (3, 11), glibc: (2, 36) },
    Target { codename: "bullseye", python3: (3, 9), glibc: (2, 31) },
    Target { codename: "focal", python3: (3, 8), glibc: (2, 31) },
    Target { codename: "jammy", python3: (3, 10), glibc: (2, 35) },
    Target { codename: "noble", python3: (3, 12), glibc: (2, 39) },
    Target { codename: "trixie", python3: (3, 13), glibc: (2, 41) },
];

/// The target of `codename`, if debgen knows it.
pub fn lookup(codename: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.codename == codename)
}

/// [`lookup`], or the error naming the codename and the known ones.
pub fn require(codename: &str) -> Result<&'static Target, UnknownCodename> {
    lookup(codename).ok_or_else(|| UnknownCodename(codename.to_owned()))
}

/// A codename missing from [`TARGETS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown target codename `{0}`: its python3 and glibc versions are not known")]
pub struct UnknownCodename(pub String);

impl UnknownCodename {
    /// A one-line advice for the user.
    pub fn hint(&self) -> String {
        let known: Vec<&str> = TARGETS.iter().map(|t| t.codename).collect();
        format!("use one of {} (e.g. --os debian:bookworm)", known.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_lookup_finds_every_row() {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.codename).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for t in TARGETS {
            assert_eq!(lookup(t.codename), Some(t));
        }
        assert_eq!(lookup("focal").map(|t| t.python3), Some((3, 8)));
        assert_eq!(lookup("noble").map(|t| t.glibc), Some((2, 39)));
    }

    #[test]
    fn an_unknown_codename_is_an_error_with_the_known_ones_as_hint() {
        let err = require("buster").unwrap_err();
        assert!(err.to_string().contains("`buster`"), "{err}");
        assert!(err.hint().contains("bookworm, bullseye, focal"), "{}", err.hint());
    }
}
