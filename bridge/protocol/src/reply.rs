//! Server-to-client frames: replies (`{"id", "ok", "result" | "error"}`) and events
//! (`{"event": "msg" | "graph" | "status", ...}`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::frame::{Frame, FrameError};

#[cfg(test)]
mod tests;

/// Protocol error codes (`error.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    NotAllowed,
    TypeMismatch,
    Timeout,
    RosUnavailable,
    Overloaded,
    TooLarge,
    InvalidRequest,
    ServiceError,
    NoData,
    Internal,
    /// A code this version does not know (sent by a newer server); treat as a failure.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::TypeMismatch => "type_mismatch",
            ErrorCode::Timeout => "timeout",
            ErrorCode::RosUnavailable => "ros_unavailable",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::ServiceError => "service_error",
            ErrorCode::NoData => "no_data",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` object of a failed reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody { code, message: message.into(), detail: None }
    }
}

/// The single terminal reply to a request. `id` is `None` when the request could not be
/// correlated (e.g. a malformed frame).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub id: Option<u64>,
    pub outcome: Result<Value, ErrorBody>,
    pub attachments: Vec<Vec<u8>>,
}

impl Reply {
    pub fn ok(id: u64, result: Value) -> Self {
        Reply { id: Some(id), outcome: Ok(result), attachments: Vec::new() }
    }

    pub fn err(id: Option<u64>, error: ErrorBody) -> Self {
        Reply { id, outcome: Err(error), attachments: Vec::new() }
    }

    pub fn to_frame(&self) -> Frame {
        let mut header = Map::new();
        header.insert("id".into(), self.id.map_or(Value::Null, Value::from));
        match &self.outcome {
            Ok(result) => {
                header.insert("ok".into(), true.into());
                header.insert("result".into(), result.clone());
            }
            Err(error) => {
                header.insert("ok".into(), false.into());
                header.insert("error".into(), json!(error));
            }
        }
        Frame { header, attachments: self.attachments.clone() }
    }
}

/// Unsolicited server frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A message on a subscription. `seq` starts at 1 per subscription; `dropped` counts
    /// messages dropped since the previous delivery.
    Msg { sub_id: u64, topic: String, seq: u64, dropped: u64, stamp_recv: Stamp, msg: Value },
    /// Names that appeared or disappeared in the graph (for `watch_graph`).
    Graph { added: Vec<String>, removed: Vec<String> },
    /// Out-of-band information: drops, overload, backend state, shutdown.
    Status {
        level: String,
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sub_id: Option<u64>,
    },
    /// An event kind this version does not know (sent by a newer server); ignore it.
    #[serde(other)]
    Unknown,
}

/// ROS-style time: seconds and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stamp {
    pub secs: u32,
    pub nsecs: u32,
}

impl Event {
    pub fn to_frame(&self, attachments: Vec<Vec<u8>>) -> Frame {
        Frame { header: self.header(), attachments }
    }

    /// The encoded frame, with borrowed attachments (copied once, into the frame).
    pub fn encode(&self, attachments: &[&[u8]], max_frame: usize) -> Result<Vec<u8>, FrameError> {
        crate::frame::encode_parts(&self.header(), attachments, max_frame)
    }

    fn header(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// Any frame the server sends, as parsed by a client.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    Reply(Reply),
    Event(Event, Vec<Vec<u8>>),
}

/// Why a server frame could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server frame: {0}")]
pub struct ServerMessageError(pub String);

impl ServerMessage {
    pub fn from_frame(frame: Frame) -> Result<Self, ServerMessageError> {
        let Frame { header, attachments } = frame;
        if header.contains_key("event") {
            let event = serde_json::from_value(Value::Object(header))
                .map_err(|e| ServerMessageError(e.to_string()))?;
            return Ok(ServerMessage::Event(event, attachments));
        }
        let id = match header.get("id") {
            Some(Value::Null) | None => None,
            Some(v) => {
                Some(v.as_u64().ok_or_else(|| ServerMessageError("`id` is not a u64".into()))?)
            }
        };
        let outcome = match header.get("ok") {
            Some(Value::Bool(true)) => Ok(header.get("result").cloned().unwrap_or(Value::Null)),
            Some(Value::Bool(false)) => {
                Err(serde_json::from_value(header.get("error").cloned().unwrap_or(Value::Null))
                    .map_err(|e| ServerMessageError(format!("`error`: {e}")))?)
            }
            _ => return Err(ServerMessageError("missing boolean `ok`".into())),
        };
        Ok(ServerMessage::Reply(Reply { id, outcome, attachments }))
    }
}
