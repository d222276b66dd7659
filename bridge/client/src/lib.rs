//! Rust client of the pyros bridge (`pyros-bridge`): topics, services and parameters of ROS
//! over the bridge's Unix socket, with an async API on tokio and a blocking one.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pyros::Error> {
//! let client = pyros::Client::connect_default().await?; // $PYROS_SOCKET, else the system bridge
//! let mut sub = client.subscribe("/chatter").await?;
//! client.publish("/chatter", serde_json::json!({"data": "hi"})).await?;
//! let message = sub.next().await.expect("a message");
//! println!("#{} (dropped {}): {}", message.seq, message.dropped, message.msg);
//! # Ok(()) }
//! ```
//!
//! Layout:
//! - `client`: [`Client`], connecting, every operation, options;
//! - `connection`: the writer task and the reader task that routes replies by request id and
//!   events to subscriptions (one multiplexed connection per `Client` and its clones);
//! - `message`: [`Message`], [`Payload`] (JSON plus binary attachments) and listing types;
//! - `subscription`: [`Subscription`] and [`GraphWatch`] (streams, unsubscribing on drop);
//! - `spawn`: a private `pyros-bridge` child process ([`Client::spawn`]);
//! - `blocking`: the same API without async ([`blocking::Client`], and
//!   [`blocking::RawConnection`]);
//! - `wire`: the protocol-level interface for conformance tests and tools
//!   ([`wire::RawConnection`]: any operation, id, attachments or raw bytes, every frame read
//!   in order); the connection tasks run its halves;
//! - `error`: [`Error`], one variant per protocol error code plus client-side failures.

#![warn(missing_docs)]

pub mod blocking;
mod client;
mod connection;
mod error;
mod message;
mod spawn;
mod subscription;
pub mod wire;

use std::path::PathBuf;

/// The wire protocol crate, for the [`wire`] layer's operations and frames.
pub use bridge_protocol as protocol;
pub use bridge_protocol::reply::Stamp;
pub use bridge_protocol::{DropPolicy, ErrorCode, SubscribeMode};
pub use client::{
    CallOptions, Client, ConnectOptions, LatestOptions, PublishOptions, SubscribeOptions,
};
pub use error::{Error, Remote, Result};
pub use message::{Field, GraphEvent, Message, Payload, ServiceInfo, TopicInfo, TypeDescription};
pub use spawn::{Backend, SpawnOptions};
pub use subscription::{GraphWatch, Subscription};

/// Folder of the system bridge's sockets (the systemd unit's `RuntimeDirectory=pyros`).
pub const SYSTEM_SOCKET_DIR: &str = "/run/pyros";
/// The system bridge's default profile; its socket is `/run/pyros/default.sock`.
pub const DEFAULT_PROFILE: &str = "default";

/// The socket a client uses when none is given: `$PYROS_SOCKET` if set and not empty, else
/// the system bridge's default profile, `/run/pyros/default.sock` (as the Python client).
pub fn default_socket() -> PathBuf {
    match std::env::var_os("PYROS_SOCKET") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => profile_socket(DEFAULT_PROFILE),
    }
}

/// The system bridge's socket of `profile`: `/run/pyros/<profile>.sock`.
pub fn profile_socket(profile: &str) -> PathBuf {
    PathBuf::from(SYSTEM_SOCKET_DIR).join(format!("{profile}.sock"))
}
