//! Errors: one variant per protocol error code (PROTOCOL.md §3) plus the client's own
//! failures (connecting, a lost connection, a private bridge that does not start).

use std::fmt;
use std::io;
use std::path::PathBuf;

use bridge_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;

/// `Result` with the client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the bridge said about a failed request: its message and optional `detail`.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    /// Human-readable message from the bridge (or from the client, for its own timeouts).
    pub message: String,
    /// The error's `detail` object, when the bridge sent one.
    pub detail: Option<Value>,
}

impl Remote {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Remote { message: message.into(), detail: None }
    }
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failed request or connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The topic, service, parameter, type or subscription does not exist.
    #[error("not_found: {0}")]
    NotFound(Remote),
    /// The name is not exposed by this socket's profile for this operation (or the peer's
    /// uid / gid is not allowed on the socket).
    #[error("not_allowed: {0}")]
    NotAllowed(Remote),
    /// A type differs from the topic's type, or a field has the wrong type.
    #[error("type_mismatch: {0}")]
    TypeMismatch(Remote),
    /// A service did not answer in time, `get_latest` with a wait saw nothing in time, or the
    /// bridge did not reply within the client's timeout.
    #[error("timeout: {0}")]
    Timeout(Remote),
    /// The ROS master (or the mock's injected fault) is down.
    #[error("ros_unavailable: {0}")]
    RosUnavailable(Remote),
    /// Too many requests in flight on this connection.
    #[error("overloaded: {0}")]
    Overloaded(Remote),
    /// A frame exceeds `max_frame` (a request the client refused to send, or the bridge's
    /// answer).
    #[error("too_large: {0}")]
    TooLarge(Remote),
    /// The bridge found the request malformed (bad field, invalid name, ...).
    #[error("invalid_request: {0}")]
    InvalidRequest(Remote),
    /// The service handler failed.
    #[error("service_error: {0}")]
    ServiceError(Remote),
    /// `get_latest` without a wait found no suitable message.
    #[error("no_data: {0}")]
    NoData(Remote),
    /// A bug in the bridge.
    #[error("internal: {0}")]
    Internal(Remote),
    /// An error code this client does not know (from a newer bridge).
    #[error("unknown error code: {0}")]
    Unknown(Remote),
    /// The socket could not be connected.
    #[error("cannot connect to the bridge at `{}`", path.display())]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// An I/O error outside the connection (e.g. starting the blocking client's runtime).
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The connection to the bridge ended (the bridge stopped or closed it).
    #[error("connection to the bridge lost")]
    ConnectionLost,
    /// The bridge sent something that is not the protocol.
    #[error("invalid answer from the bridge: {0}")]
    Protocol(String),
    /// A private bridge could not be started.
    #[error("cannot start the private bridge `{}`: {message}", binary.display())]
    Spawn {
        /// The `pyros-bridge` binary.
        binary: PathBuf,
        /// What went wrong, with a hint.
        message: String,
        /// The underlying I/O error, if any.
        #[source]
        source: Option<io::Error>,
    },
}

impl Error {
    /// The protocol error code, for errors the bridge reported (and client-side timeouts).
    pub fn code(&self) -> Option<ErrorCode> {
        Some(match self {
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::NotAllowed(_) => ErrorCode::NotAllowed,
            Error::TypeMismatch(_) => ErrorCode::TypeMismatch,
            Error::Timeout(_) => ErrorCode::Timeout,
            Error::RosUnavailable(_) => ErrorCode::RosUnavailable,
            Error::Overloaded(_) => ErrorCode::Overloaded,
            Error::TooLarge(_) => ErrorCode::TooLarge,
            Error::InvalidRequest(_) => ErrorCode::InvalidRequest,
            Error::ServiceError(_) => ErrorCode::ServiceError,
            Error::NoData(_) => ErrorCode::NoData,
            Error::Internal(_) => ErrorCode::Internal,
            Error::Unknown(_) => ErrorCode::Unknown,
            Error::Connect { .. }
            | Error::Io(_)
            | Error::ConnectionLost
            | Error::Protocol(_)
            | Error::Spawn { .. } => return None,
        })
    }

    /// The bridge's message and detail, for errors the bridge reported.
    pub fn remote(&self) -> Option<&Remote> {
        match self {
            Error::NotFound(r)
            | Error::NotAllowed(r)
            | Error::TypeMismatch(r)
            | Error::Timeout(r)
            | Error::RosUnavailable(r)
            | Error::Overloaded(r)
            | Error::TooLarge(r)
            | Error::InvalidRequest(r)
            | Error::ServiceError(r)
            | Error::NoData(r)
            | Error::Internal(r)
            | Error::Unknown(r) => Some(r),
            _ => None,
        }
    }
}

impl From<ErrorBody> for Error {
    fn from(body: ErrorBody) -> Self {
        let remote = Remote { message: body.message, detail: body.detail };
        match body.code {
            ErrorCode::NotFound => Error::NotFound(remote),
            ErrorCode::NotAllowed => Error::NotAllowed(remote),
            ErrorCode::TypeMismatch => Error::TypeMismatch(remote),
            ErrorCode::Timeout => Error::Timeout(remote),
            ErrorCode::RosUnavailable => Error::RosUnavailable(remote),
            ErrorCode::Overloaded => Error::Overloaded(remote),
            ErrorCode::TooLarge => Error::TooLarge(remote),
            ErrorCode::InvalidRequest => Error::InvalidRequest(remote),
            ErrorCode::ServiceError => Error::ServiceError(remote),
            ErrorCode::NoData => Error::NoData(remote),
            ErrorCode::Internal => Error::Internal(remote),
            ErrorCode::Unknown => Error::Unknown(remote),
        }
    }
}
