//! The `Backend` trait the operations (`cmd/`) run against, and the types both backends share:
//! payloads, samples, errors, graph changes, and the per-topic fan-out into bounded
//! per-subscription queues with `seq` / `dropped` accounting.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bridge_protocol::reply::Stamp;
use bridge_protocol::{DropPolicy, ErrorBody, ErrorCode};
use serde_json::Value;
use tokio::sync::{Notify, broadcast, watch};

/// What the bridge needs from ROS (or from a stand-in). Every method answers
/// [`BackendError::Unavailable`] at once while the master is down.
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The name reported in `hello` (`mock`, `ros`).
    fn name(&self) -> &'static str;
    /// Whether the ROS master (or the mock's injected fault) is up right now.
    fn available(&self) -> bool;
    /// Graph changes (topics, services, parameters appearing or disappearing).
    fn graph_events(&self) -> broadcast::Receiver<GraphChange>;

    /// Topics with a known type, as `(name, type)`, sorted by name.
    async fn topics(&self) -> Result<Vec<(String, String)>, BackendError>;
    /// Services as `(name, type)`; the type may be empty when it could not be learned.
    async fn services(&self) -> Result<Vec<(String, String)>, BackendError>;
    async fn params(&self) -> Result<Vec<String>, BackendError>;
    /// `{"type", "definition", "fields", ...}` of a message type.
    async fn describe(&self, type_name: &str) -> Result<Value, BackendError>;
    /// Declares (or checks) the type of a topic the client will publish on.
    async fn advertise(
        &self,
        topic: &str,
        type_name: &str,
        latch: bool,
    ) -> Result<(), BackendError>;
    /// The client will not publish on `topic` any more.
    async fn unadvertise(&self, topic: &str) -> Result<(), BackendError>;
    /// Publishes one message; returns the topic's sequence number.
    async fn publish(
        &self,
        topic: &str,
        type_name: Option<&str>,
        payload: Payload,
    ) -> Result<u64, BackendError>;
    /// Subscribes with a bounded queue. Unknown topics are allowed (lazy exposure).
    async fn subscribe(
        &self,
        topic: &str,
        type_name: Option<&str>,
        capacity: usize,
        policy: DropPolicy,
    ) -> Result<Subscription, BackendError>;
    /// The newest message on `topic` (if any) and a receiver that changes on each message.
    async fn latest(&self, topic: &str) -> Result<Latest, BackendError>;
    /// Calls a service; `type_name`, when given, is checked against the service's type.
    async fn call(
        &self,
        service: &str,
        type_name: Option<&str>,
        args: Payload,
        timeout: Duration,
    ) -> Result<Payload, BackendError>;
    async fn param_get(&self, name: &str) -> Result<Value, BackendError>;
    async fn param_set(&self, name: &str, value: Value) -> Result<(), BackendError>;
    async fn param_delete(&self, name: &str) -> Result<(), BackendError>;
}

/// The answer of [`Backend::latest`].
pub type Latest = (Option<Arc<Sample>>, watch::Receiver<u64>);

/// A message as published: JSON plus the attachments its `{"$bin": i}` refer to.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub msg: Value,
    pub attachments: Vec<Vec<u8>>,
}

/// One message received on a topic. `seq` is the topic's sequence number (from 1).
#[derive(Debug)]
pub struct Sample {
    pub seq: u64,
    pub stamp: Stamp,
    pub received: Instant,
    pub payload: Payload,
}

/// Backend failures, mapped one to one onto protocol error codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BackendError {
    #[error("`{0}` not found")]
    NotFound(String),
    #[error("{0}")]
    TypeMismatch(String),
    #[error("no reply from `{0}` within the timeout")]
    Timeout(String),
    #[error("ROS is unavailable")]
    Unavailable,
    #[error("service `{service}` failed: {message}")]
    Service { service: String, message: String },
    #[error("no message on `{0}` matches")]
    NoData(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Internal(String),
}

impl BackendError {
    /// Publishing without a type on a topic nobody has advertised.
    pub fn unknown_topic(topic: &str) -> Self {
        BackendError::NotFound(format!("{topic}` (unknown topic: advertise it or pass `type`"))
    }
}

impl From<BackendError> for ErrorBody {
    fn from(error: BackendError) -> Self {
        let code = match error {
            BackendError::NotFound(_) => ErrorCode::NotFound,
            BackendError::TypeMismatch(_) => ErrorCode::TypeMismatch,
            BackendError::Timeout(_) => ErrorCode::Timeout,
            BackendError::Unavailable => ErrorCode::RosUnavailable,
            BackendError::Service { .. } => ErrorCode::ServiceError,
            BackendError::NoData(_) => ErrorCode::NoData,
            BackendError::Invalid(_) => ErrorCode::InvalidRequest,
            BackendError::Internal(_) => ErrorCode::Internal,
        };
        ErrorBody::new(code, error.to_string())
    }
}

/// A change in the set of topics, services or parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// The wall clock as a ROS time.
pub fn now_stamp() -> Stamp {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Stamp { secs: u32::try_from(now.as_secs()).unwrap_or(u32::MAX), nsecs: now.subsec_nanos() }
}

/// A bounded queue between a topic and one subscription.
#[derive(Debug)]
pub struct SubQueue {
    state: Mutex<QueueState>,
    notify: Notify,
}

#[derive(Debug)]
struct QueueState {
    items: VecDeque<(u64, Arc<Sample>)>,
    capacity: usize,
    policy: DropPolicy,
    /// Messages offered to this subscription so far (its per-subscription sequence).
    offered: u64,
    dropped: u64,
    closed: bool,
}

/// A message taken from a subscription queue.
#[derive(Debug)]
pub struct Delivery {
    /// Per-subscription sequence number (from 1); gaps are drops.
    pub seq: u64,
    /// Messages dropped since the previous delivery.
    pub dropped: u64,
    pub sample: Arc<Sample>,
}

impl SubQueue {
    pub(crate) fn new(capacity: usize, policy: DropPolicy) -> Self {
        SubQueue {
            state: Mutex::new(QueueState {
                items: VecDeque::new(),
                capacity: capacity.max(1),
                policy,
                offered: 0,
                dropped: 0,
                closed: false,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, sample: Arc<Sample>) {
        let mut state = self.lock();
        state.offered += 1;
        let seq = state.offered;
        if state.items.len() >= state.capacity {
            state.dropped += 1;
            match state.policy {
                DropPolicy::DropNewest => return,
                DropPolicy::DropOldest => {
                    state.items.pop_front();
                }
            }
        }
        state.items.push_back((seq, sample));
        drop(state);
        self.notify.notify_one();
    }

    /// Waits for the next message; `None` once the queue is closed.
    pub async fn pop(&self) -> Option<Delivery> {
        loop {
            let notified = self.notify.notified();
            {
                let mut state = self.lock();
                if state.closed {
                    return None;
                }
                if let Some((seq, sample)) = state.items.pop_front() {
                    let dropped = std::mem::take(&mut state.dropped);
                    return Some(Delivery { seq, dropped, sample });
                }
            }
            notified.await;
        }
    }

    /// Messages waiting in the queue.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn close(&self) {
        self.lock().closed = true;
        self.notify.notify_one();
    }

    fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

/// A live subscription; dropping it detaches it from the topic.
#[derive(Debug)]
pub struct Subscription {
    pub queue: Arc<SubQueue>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.queue.close();
    }
}

/// One topic's fan-out: its sequence counter, newest sample and subscription queues. Callers
/// keep it behind their own lock.
#[derive(Debug)]
pub struct Fanout {
    seq: u64,
    latest: Option<Arc<Sample>>,
    subscribers: Vec<Arc<SubQueue>>,
    latest_tx: watch::Sender<u64>,
}

impl Default for Fanout {
    fn default() -> Self {
        Fanout { seq: 0, latest: None, subscribers: Vec::new(), latest_tx: watch::channel(0).0 }
    }
}

impl Fanout {
    /// Stamps `payload` with the next sequence number and offers it to every subscription.
    pub fn publish(&mut self, payload: Payload) -> u64 {
        self.seq += 1;
        let sample = Arc::new(Sample {
            seq: self.seq,
            stamp: now_stamp(),
            received: Instant::now(),
            payload,
        });
        self.latest = Some(sample.clone());
        self.subscribers.retain(|q| !q.is_closed());
        for queue in &self.subscribers {
            queue.push(sample.clone());
        }
        self.latest_tx.send_replace(self.seq);
        self.seq
    }

    pub fn subscribe(&mut self, capacity: usize, policy: DropPolicy) -> Subscription {
        let queue = Arc::new(SubQueue::new(capacity, policy));
        self.subscribers.push(queue.clone());
        Subscription { queue }
    }

    pub fn latest(&self) -> Latest {
        (self.latest.clone(), self.latest_tx.subscribe())
    }

    /// Live subscriptions (closed ones are pruned on the next message).
    pub fn subscriber_count(&self) -> usize {
        self.subscribers.iter().filter(|q| !q.is_closed()).count()
    }
}
