//! One module per command family.

pub mod compat;
pub mod pkg;
