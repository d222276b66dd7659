//! Integration tests of the `debgen` library (one test binary): .deb archives checked by dpkg-deb
//! and lintian, apt repositories read by apt. The property-based fuzz target stays in its own
//! binary (`tests/fuzz.rs`), which `cargo xtask fuzz` runs alone.

mod apt;
mod deb;
