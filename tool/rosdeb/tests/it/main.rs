//! Integration tests of the `rosdeb` binary (one test binary; see `harness` and `conformance`).

mod apt;
mod bloom;
mod build;
mod ci;
mod conformance;
mod daemon;
mod deb;
mod debian;
mod distro;
mod fetch;
mod full_disk;
mod harness;
mod install;
mod manuals;
mod os;
mod pkg;
mod property;
mod release;
mod resolve;
mod venv;
