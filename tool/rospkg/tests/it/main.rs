//! Integration tests of the `rospkg` library against the real tools (Python rospkg, rosdistro,
//! rosdep2, catkin_pkg) on real data, one test binary. The property-based fuzz targets stay in
//! their own binary (`tests/fuzz.rs`), which `cargo xtask fuzz` runs alone.

mod distro;
mod environment;
mod manifests;
mod os_detect;
mod rosdep;
