//! What travels: outgoing payloads with binary attachments, received messages, and the
//! answers of the listing and `describe` operations.

use bridge_protocol::payload::bin_ref;
use bridge_protocol::reply::Stamp;
use serde::Deserialize;
use serde_json::{Value, json};

/// A JSON value plus the binary attachments its `{"$bin": i}` references point at: what a
/// publish, service call or reply carries. `uint8[]` fields travel as attachments, never as
/// base64.
///
/// ```no_run
/// let mut payload = pyros::Payload::default();
/// let data = payload.attach(vec![0u8; 640 * 480 * 3]);
/// payload.value = serde_json::json!({"width": 640, "height": 480, "data": data});
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payload {
    /// The JSON value (message, service arguments or response values).
    pub value: Value,
    /// Attachment `i` is the bytes of `{"$bin": i}` in `value`.
    pub attachments: Vec<Vec<u8>>,
}

impl Payload {
    /// A payload without attachments.
    pub fn new(value: Value) -> Self {
        Payload { value, attachments: Vec::new() }
    }

    /// Adds `bytes` as the next attachment and returns the `{"$bin": i}` value to put where
    /// the bytes belong in `value`.
    pub fn attach(&mut self, bytes: impl Into<Vec<u8>>) -> Value {
        self.attachments.push(bytes.into());
        json!({"$bin": self.attachments.len() - 1})
    }

    /// The bytes at a JSON pointer into `value` (e.g. `"/data"`), if it is an attachment
    /// reference.
    pub fn bytes(&self, pointer: &str) -> Option<&[u8]> {
        resolve(self.value.pointer(pointer)?, &self.attachments)
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Self {
        Payload::new(value)
    }
}

/// The bytes behind `value` if it is a `{"$bin": i}` reference to one of `attachments`.
fn resolve<'a>(value: &Value, attachments: &'a [Vec<u8>]) -> Option<&'a [u8]> {
    let index = usize::try_from(bin_ref(value)?.as_u64()?).ok()?;
    attachments.get(index).map(Vec::as_slice)
}

/// A message received on a subscription or from `get_latest`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The topic.
    pub topic: String,
    /// On a subscription, its sequence number (1 for the first message it saw, +1 for every
    /// message on the topic since, delivered or not); from `get_latest`, the topic's.
    pub seq: u64,
    /// Messages lost since the previous delivered one (bridge queue, send budget or this
    /// client's own queue), so `seq - previous_seq - 1 == dropped`. Always 0 from
    /// `get_latest`.
    pub dropped: u64,
    /// When the bridge received the message.
    pub stamp: Stamp,
    /// The message as rosbridge-style JSON; `uint8[]` fields are `{"$bin": i}` references.
    pub msg: Value,
    /// Binary attachments referenced from `msg`.
    pub attachments: Vec<Vec<u8>>,
}

impl Message {
    /// The bytes of a `uint8[]` field at a JSON pointer into `msg` (e.g. `"/data"`).
    pub fn bytes(&self, pointer: &str) -> Option<&[u8]> {
        resolve(self.msg.pointer(pointer)?, &self.attachments)
    }
}

/// An exposed topic (`topics()`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TopicInfo {
    /// Topic name.
    pub name: String,
    /// Message type, e.g. `std_msgs/String`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// This profile may subscribe to it.
    #[serde(default)]
    pub subscribe: bool,
    /// This profile may publish on it.
    #[serde(default)]
    pub publish: bool,
}

/// An exposed service (`services()`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceInfo {
    /// Service name.
    pub name: String,
    /// Service type, e.g. `rospy_tutorials/AddTwoInts`.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// A message type (`describe()`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TypeDescription {
    /// The type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The `.msg` text.
    pub definition: String,
    /// Top-level fields.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// The ROS md5sum, when the backend knows it.
    #[serde(default)]
    pub md5sum: Option<String>,
}

/// One field of a message type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Field {
    /// Field name.
    pub name: String,
    /// Field type as written in the `.msg`.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// Names (topics, services, parameters) that appeared or disappeared (`watch_graph()`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphEvent {
    /// Names that appeared.
    pub added: Vec<String>,
    /// Names that disappeared.
    pub removed: Vec<String>,
}
