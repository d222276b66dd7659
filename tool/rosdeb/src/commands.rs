//! One module per command family.

pub mod apt;
pub mod bloom;
pub mod build;
pub mod ci;
pub mod compat;
pub mod daemon;
pub mod deb;
pub mod debian;
pub mod distro;
pub mod manuals;
pub mod os;
pub mod pkg;
pub mod release;
pub mod resolve;
