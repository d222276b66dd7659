//! Facts about the Debian and Ubuntu releases rosdeb builds for that a package's build needs but
//! no file of the package says: the C library a binary may require and the python3 a virtual
//! environment is made for.

/// One release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The codename (`focal`, `bookworm`).
    pub codename: &'static str,
    /// The version of its `python3` (major, minor).
    pub python3: (u8, u8),
    /// The version of its glibc (`libc6`), the newest `GLIBC_x.y` symbol version a binary may need.
    pub glibc: (u8, u8),
}

/// The releases, oldest first.
pub const TARGETS: &[Target] = &[
    Target { codename: "focal", python3: (3, 8), glibc: (2, 31) },
    Target { codename: "bullseye", python3: (3, 9), glibc: (2, 31) },
    Target { codename: "jammy", python3: (3, 10), glibc: (2, 35) },
    Target { codename: "bookworm", python3: (3, 11), glibc: (2, 36) },
    Target { codename: "noble", python3: (3, 12), glibc: (2, 39) },
    Target { codename: "trixie", python3: (3, 13), glibc: (2, 41) },
];

/// The release named `codename`, if rosdeb knows it.
pub fn lookup(codename: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.codename == codename)
}

/// The codenames rosdeb knows, for messages.
pub fn known() -> String {
    TARGETS.iter().map(|t| t.codename).collect::<Vec<_>>().join(", ")
}
