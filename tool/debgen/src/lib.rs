//! debgen: a ROS package and a target (distribution, OS, codename) turned into Debian packaging.
//!
//! Layout:
//! - [`generate`]: the `debian/` tree of a package, rendered from the templates.
//! - [`templates`]: the embedded `templates/` and `--templates DIR` overrides.
//! - [`deb822`]: the one rule for values written into deb822 files (control, changelog,
//!   copyright, apt indexes): no line breaks, folded multi-line text, Debian package names.
//! - [`deb`]: `.deb` archives built from a staging tree, byte for byte reproducible.
//! - [`binary`]: a binary package from a generated tree and a staging tree (`none` staging).
//! - [`build`]: the build driver of compiling build types (cmake, cargo, setup.py), on the
//!   host or in a chroot, and `--via dpkg-buildpackage`.
//! - [`targets`]: per-release facts a build needs (glibc and python3 versions).
//! - [`date`]: RFC 2822 and apt `Release` dates, years, from Unix timestamps (the `time` crate).
//! - [`apt`]: an apt repository (`pool/`, `dists/`) published from `.deb` files.
//! - [`venv`]: a Python application as a `.deb` carrying a virtual environment (`/opt/venvs/`).

#![warn(missing_docs)]

pub mod apt;
pub mod binary;
pub mod build;
pub mod date;
pub mod deb;
pub mod deb822;
pub mod generate;
pub mod targets;
pub mod templates;
pub mod venv;
