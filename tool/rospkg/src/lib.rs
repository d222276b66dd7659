//! rospkg: the ROS package world read from disk, as Python rospkg and C++ rospack/rosstack read it.
//!
//! A standalone library (REP 127) any Rust tool can use. It knows nothing about Debian, templates
//! or terminals: it reads, it never prints, and partial success is a value (good packages plus
//! diagnostics), never an abort.
//!
//! Layout:
//! - [`environment`]: ROS_ROOT, ROS_PACKAGE_PATH, ROS_HOME, ... with rospkg's defaults.
//! - [`manifest`]: package.xml (formats 1-3), manifest.xml, stack.xml, REP 149 conditions.
//! - [`crawl`]: finding packages and stacks on the search path with rospack's rules.
//! - [`graph`]: the dependency graph: closures, reverse dependencies, chains, cycles.
//! - [`index`]: the on-disk crawl cache, validated by stat.
//! - [`locate`]: why a package is (not) found.
//! - [`rospack`]: the `RosPack` / `RosStack` APIs tying the above together.
//! - [`private_dir`]: rosdeb's folders under ROS_HOME, opened without following symlinks, owner-checked.
//! - [`os_detect`]: OS name, version and codename (`rospkg.os_detect`).
//! - [`distro`]: distribution files: legacy `.rosdistro` and REP 143 index / distribution.
//! - [`rosdep`]: rosdep rule files, sources lists, key resolution for `os:codename` targets.
//! - [`diagnostic`]: file:line:col problems with hints.

#![warn(missing_docs)]

pub mod crawl;
pub mod diagnostic;
pub mod distro;
pub mod environment;
pub mod graph;
pub mod index;
pub mod locate;
pub mod manifest;
pub mod os_detect;
pub mod private_dir;
pub mod rosdep;
pub mod rospack;

pub use diagnostic::{Diagnostic, DiagnosticKind, Position, Severity};
pub use manifest::{Manifest, ManifestKind};
