//! ROS 1 message and service types known only at run time: finding `.msg` / `.srv` files,
//! md5sums and full definitions as genmsg computes them, and rosbridge-style JSON <-> wire bytes.
//!
//! Pure library: no networking, no async runtime, no rosrust.
//!
//! Layout:
//! - [`registry`]: [`Registry`], the search roots and the cache of compiled types.
//! - [`msg_type`]: [`MsgType`] / [`SrvType`]: md5sum, full definition, description, defaults.
//! - `codec`: [`MsgType::encode`] / [`MsgType::decode`].
//! - `parse`: the `.msg` / `.srv` text format.
//! - [`error`]: the [`Error`] type.

#![warn(missing_docs)]

mod codec;
pub mod error;
pub mod msg_type;
mod parse;
pub mod registry;

pub use error::Error;
pub use msg_type::{MsgType, SrvType};
pub use registry::Registry;
