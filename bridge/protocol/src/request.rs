//! Client requests: `{"id": <u64>, "op": "<name>", ...fields}` and their validation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::frame::Frame;
use crate::payload;
use crate::reply::ErrorCode;

#[cfg(test)]
mod tests;

/// A validated client request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Client-chosen correlation id, echoed in the reply.
    pub id: u64,
    pub op: Op,
    /// Binary attachments referenced from `msg`/`args`/`value` by `{"$bin": index}`.
    pub attachments: Vec<Vec<u8>>,
}

/// Every operation with its fields. Unknown extra fields are ignored (forward compatibility);
/// known fields with the wrong JSON type are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Hello {
        protocol: u32,
        #[serde(default)]
        client: Option<String>,
        #[serde(default)]
        pid: Option<u32>,
        #[serde(default)]
        capabilities: Vec<String>,
    },
    Ping {},
    ListTopics {
        #[serde(default)]
        filter: Option<String>,
    },
    ListServices {
        #[serde(default)]
        filter: Option<String>,
    },
    ListParams {
        #[serde(default)]
        filter: Option<String>,
    },
    Describe {
        #[serde(rename = "type")]
        type_name: String,
    },
    Advertise {
        topic: String,
        #[serde(rename = "type")]
        type_name: String,
        #[serde(default)]
        latch: bool,
    },
    Unadvertise {
        topic: String,
    },
    Publish {
        topic: String,
        msg: Value,
        #[serde(default, rename = "type")]
        type_name: Option<String>,
        #[serde(default)]
        ack: bool,
    },
    Subscribe {
        topic: String,
        sub_id: u64,
        #[serde(default, rename = "type")]
        type_name: Option<String>,
        #[serde(default)]
        mode: SubscribeMode,
        #[serde(default)]
        queue_length: Option<u32>,
        #[serde(default)]
        policy: DropPolicy,
        #[serde(default)]
        throttle_ms: Option<u64>,
    },
    Unsubscribe {
        sub_id: u64,
    },
    GetLatest {
        topic: String,
        #[serde(default)]
        max_age_ms: Option<u64>,
        #[serde(default)]
        wait_ms: Option<u64>,
        #[serde(default)]
        after_seq: Option<u64>,
    },
    CallService {
        service: String,
        #[serde(default = "empty_object")]
        args: Value,
        #[serde(default, rename = "type")]
        type_name: Option<String>,
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    ParamGet {
        name: String,
    },
    ParamSet {
        name: String,
        value: Value,
    },
    ParamDelete {
        name: String,
    },
    WatchGraph {},
    UnwatchGraph {},
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// Names of all operations, in `Op` order.
pub const OP_NAMES: &[&str] = &[
    "hello",
    "ping",
    "list_topics",
    "list_services",
    "list_params",
    "describe",
    "advertise",
    "unadvertise",
    "publish",
    "subscribe",
    "unsubscribe",
    "get_latest",
    "call_service",
    "param_get",
    "param_set",
    "param_delete",
    "watch_graph",
    "unwatch_graph",
];

/// Subscription delivery mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscribeMode {
    /// Every message is pushed as a `msg` event (default queue length 32).
    #[default]
    Stream,
    /// Only the newest message is kept (queue length 1).
    Latest,
}

/// What a full subscription queue drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropPolicy {
    #[default]
    DropOldest,
    DropNewest,
}

/// Why a frame is not a valid request. `id` is set when the header had a usable id, so the
/// error reply can be correlated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct RequestError {
    pub id: Option<u64>,
    pub kind: RequestErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestErrorKind {
    #[error("missing or invalid `id` (expected an unsigned 64-bit integer)")]
    BadId,
    #[error("missing or invalid `op` (expected a string)")]
    BadOp,
    #[error("unknown op `{0}`")]
    UnknownOp(String),
    #[error("invalid fields for `{op}`: {message}")]
    InvalidField { op: String, message: String },
    #[error("{0}")]
    Attachment(#[from] payload::BinRefError),
}

impl RequestError {
    /// The protocol error code for this error.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidRequest
    }
}

impl Request {
    /// Validates a decoded frame as a request.
    pub fn from_frame(frame: Frame) -> Result<Request, RequestError> {
        let Frame { mut header, attachments } = frame;
        let id = header.get("id").and_then(Value::as_u64);
        let err = |kind| RequestError { id, kind };
        let Some(id) = id else {
            return Err(err(RequestErrorKind::BadId));
        };
        header.remove("id");
        let op_name = match header.get("op") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(err(RequestErrorKind::BadOp)),
        };
        if !OP_NAMES.contains(&op_name.as_str()) {
            return Err(err(RequestErrorKind::UnknownOp(op_name)));
        }
        let op: Op = serde_json::from_value(Value::Object(header)).map_err(|e| {
            err(RequestErrorKind::InvalidField { op: op_name.clone(), message: e.to_string() })
        })?;
        if let Some((field, name, is_param)) = op.ros_name()
            && let Err(message) = check_ros_name(name, is_param)
        {
            let message = format!("`{field}`: {message}");
            return Err(err(RequestErrorKind::InvalidField { op: op_name, message }));
        }
        for value in op.payloads() {
            payload::check_bin_refs(value, attachments.len()).map_err(|e| err(e.into()))?;
        }
        Ok(Request { id, op, attachments })
    }

    /// Encodes the request as a frame (used by clients and the conformance suite).
    pub fn to_frame(&self) -> Frame {
        let mut header = match serde_json::to_value(&self.op) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        header.insert("id".into(), self.id.into());
        Frame { header, attachments: self.attachments.clone() }
    }
}

/// Checks a ROS graph resource name (topic, service or parameter) as PROTOCOL.md §4 wants
/// them: absolute (`/` first), at most 1024 bytes, segments of letters, digits and `_`
/// separated by single `/`, each segment starting with a letter (`_` too for parameters), no
/// trailing `/` (a parameter may be `/` itself: the whole tree).
pub fn check_ros_name(name: &str, is_param: bool) -> Result<(), String> {
    if name.len() > 1024 {
        return Err(format!("a ROS name of {} bytes (at most 1024)", name.len()));
    }
    if is_param && name == "/" {
        return Ok(());
    }
    let Some(rest) = name.strip_prefix('/') else {
        return Err(format!("`{name}` is not an absolute ROS name (it must start with `/`)"));
    };
    if rest.is_empty() || rest.ends_with('/') {
        return Err(format!("illegal ROS name `{name}` (empty last segment)"));
    }
    for segment in rest.split('/') {
        let mut chars = segment.chars();
        let first_ok = match chars.next() {
            Some(c) => c.is_ascii_alphabetic() || (is_param && c == '_'),
            None => false,
        };
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "illegal ROS name `{name}`: segments are a letter, then letters, digits and `_`"
            ));
        }
    }
    Ok(())
}

impl Op {
    /// The ROS name the operation is about, with its field and whether it is a parameter.
    pub fn ros_name(&self) -> Option<(&'static str, &str, bool)> {
        match self {
            Op::Advertise { topic, .. }
            | Op::Unadvertise { topic }
            | Op::Publish { topic, .. }
            | Op::Subscribe { topic, .. }
            | Op::GetLatest { topic, .. } => Some(("topic", topic, false)),
            Op::CallService { service, .. } => Some(("service", service, false)),
            Op::ParamGet { name } | Op::ParamSet { name, .. } | Op::ParamDelete { name } => {
                Some(("name", name, true))
            }
            _ => None,
        }
    }

    /// The wire name of the operation.
    pub fn name(&self) -> &'static str {
        let index = match self {
            Op::Hello { .. } => 0,
            Op::Ping {} => 1,
            Op::ListTopics { .. } => 2,
            Op::ListServices { .. } => 3,
            Op::ListParams { .. } => 4,
            Op::Describe { .. } => 5,
            Op::Advertise { .. } => 6,
            Op::Unadvertise { .. } => 7,
            Op::Publish { .. } => 8,
            Op::Subscribe { .. } => 9,
            Op::Unsubscribe { .. } => 10,
            Op::GetLatest { .. } => 11,
            Op::CallService { .. } => 12,
            Op::ParamGet { .. } => 13,
            Op::ParamSet { .. } => 14,
            Op::ParamDelete { .. } => 15,
            Op::WatchGraph {} => 16,
            Op::UnwatchGraph {} => 17,
        };
        OP_NAMES[index]
    }

    /// JSON values that may carry `{"$bin": i}` attachment references.
    fn payloads(&self) -> Vec<&Value> {
        match self {
            Op::Publish { msg, .. } => vec![msg],
            Op::CallService { args, .. } => vec![args],
            Op::ParamSet { value, .. } => vec![value],
            _ => Vec::new(),
        }
    }
}
