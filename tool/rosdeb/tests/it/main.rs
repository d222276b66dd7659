//! Integration tests of the `rosdeb` binary (one test binary; see `harness` and `conformance`).

mod conformance;
mod distro;
mod fetch;
mod harness;
mod os;
mod pkg;
mod property;
mod resolve;
