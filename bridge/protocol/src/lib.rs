//! pyros wire protocol: frames, requests, replies and events (see `bridge/PROTOCOL.md`).
//!
//! Pure data and codec, no async runtime and no I/O: callers feed byte buffers to
//! [`frame::decode`] and write the bytes produced by [`Frame::encode`].

pub mod frame;
pub mod payload;
pub mod reply;
pub mod request;

pub use frame::{DEFAULT_MAX_FRAME, Frame, FrameError};
pub use reply::{ErrorBody, ErrorCode, Event, Reply, ServerMessage, ServerMessageError};
pub use request::{DropPolicy, Op, Request, RequestError, SubscribeMode};

/// Protocol version spoken by this crate (the `protocol` field of `hello`).
pub const PROTOCOL_VERSION: u32 = 1;
