//! The `mock` backend: in-memory topics with fan-out to bounded per-subscription queues,
//! scripted services, a parameter store and fault-injection hooks. No ROS needed.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bridge_protocol::reply::Stamp;
use bridge_protocol::{DropPolicy, ErrorBody, ErrorCode};
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast, watch};

#[cfg(test)]
mod tests;

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
    fn new(capacity: usize, policy: DropPolicy) -> Self {
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

    fn push(&self, sample: Arc<Sample>) {
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

#[derive(Debug)]
struct Topic {
    type_name: Option<String>,
    seq: u64,
    latest: Option<Arc<Sample>>,
    subscribers: Vec<Arc<SubQueue>>,
    latest_tx: watch::Sender<u64>,
}

impl Topic {
    fn new(type_name: Option<String>) -> Self {
        Topic {
            type_name,
            seq: 0,
            latest: None,
            subscribers: Vec::new(),
            latest_tx: watch::channel(0).0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Script {
    Echo,
    Slow,
    Fail,
    AddTwoInts,
}

#[derive(Debug)]
struct State {
    topics: BTreeMap<String, Topic>,
    services: BTreeMap<String, (String, Script)>,
    params: BTreeMap<String, Value>,
    available: bool,
    extra_call_delay: Duration,
}

/// The in-memory backend.
#[derive(Debug)]
pub struct MockBackend {
    state: Mutex<State>,
    graph_tx: broadcast::Sender<GraphChange>,
}

impl Default for MockBackend {
    fn default() -> Self {
        let mut topics = BTreeMap::new();
        for (name, type_name) in [
            ("/chatter", "std_msgs/String"),
            ("/counter", "std_msgs/Int32"),
            ("/camera/image", "sensor_msgs/Image"),
            ("/secret/plan", "std_msgs/String"),
        ] {
            topics.insert(name.to_owned(), Topic::new(Some(type_name.to_owned())));
        }
        let services = [
            ("/echo", "pyros_test/Echo", Script::Echo),
            ("/slow", "pyros_test/Slow", Script::Slow),
            ("/fail", "pyros_test/Fail", Script::Fail),
            ("/add_two_ints", "rospy_tutorials/AddTwoInts", Script::AddTwoInts),
            ("/secret/launch", "std_srvs/Trigger", Script::Echo),
        ]
        .into_iter()
        .map(|(n, t, s)| (n.to_owned(), (t.to_owned(), s)))
        .collect();
        let params = [
            ("/robot/name", json!("mock")),
            ("/robot/max_speed", json!(1.5)),
            ("/use_sim_time", json!(false)),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
        MockBackend {
            state: Mutex::new(State {
                topics,
                services,
                params,
                available: true,
                extra_call_delay: Duration::ZERO,
            }),
            graph_tx: broadcast::channel(64).0,
        }
    }
}

/// Message definitions the mock can describe.
const DEFINITIONS: &[(&str, &str)] = &[
    ("std_msgs/String", "string data\n"),
    ("std_msgs/Int32", "int32 data\n"),
    ("std_msgs/Header", "uint32 seq\ntime stamp\nstring frame_id\n"),
    (
        "sensor_msgs/Image",
        "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n",
    ),
];

pub fn now_stamp() -> Stamp {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Stamp { secs: u32::try_from(now.as_secs()).unwrap_or(u32::MAX), nsecs: now.subsec_nanos() }
}

impl MockBackend {
    fn lock(&self) -> Result<MutexGuard<'_, State>, BackendError> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.available { Ok(state) } else { Err(BackendError::Unavailable) }
    }

    /// Fault injection: simulate the ROS master going away (`false`) or coming back.
    pub fn set_available(&self, available: bool) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).available = available;
    }

    /// Fault injection: extra latency added to every service call.
    pub fn set_call_delay(&self, delay: Duration) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).extra_call_delay = delay;
    }

    pub fn graph_events(&self) -> broadcast::Receiver<GraphChange> {
        self.graph_tx.subscribe()
    }

    /// Topics with a known type, as `(name, type)`.
    pub fn topics(&self) -> Result<Vec<(String, String)>, BackendError> {
        Ok(self
            .lock()?
            .topics
            .iter()
            .filter_map(|(n, t)| Some((n.clone(), t.type_name.clone()?)))
            .collect())
    }

    pub fn services(&self) -> Result<Vec<(String, String)>, BackendError> {
        Ok(self.lock()?.services.iter().map(|(n, (t, _))| (n.clone(), t.clone())).collect())
    }

    pub fn params(&self) -> Result<Vec<String>, BackendError> {
        Ok(self.lock()?.params.keys().cloned().collect())
    }

    pub fn describe(&self, type_name: &str) -> Result<Value, BackendError> {
        drop(self.lock()?);
        let (_, definition) = DEFINITIONS
            .iter()
            .find(|(t, _)| *t == type_name)
            .ok_or_else(|| BackendError::NotFound(type_name.to_owned()))?;
        let fields: Vec<Value> = definition
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(t, n)| json!({"name": n, "type": t}))
            .collect();
        Ok(json!({"type": type_name, "definition": definition, "fields": fields}))
    }

    /// Declares (or checks) the type of a topic; creates it if needed.
    pub fn advertise(&self, topic: &str, type_name: &str) -> Result<(), BackendError> {
        let mut state = self.lock()?;
        let created = ensure_topic(&mut state, topic, Some(type_name))?;
        drop(state);
        if created {
            let _ =
                self.graph_tx.send(GraphChange { added: vec![topic.to_owned()], removed: vec![] });
        }
        Ok(())
    }

    /// Publishes to every subscription of `topic`; returns the topic sequence number.
    pub fn publish(
        &self,
        topic: &str,
        type_name: Option<&str>,
        payload: Payload,
    ) -> Result<u64, BackendError> {
        let mut state = self.lock()?;
        if type_name.is_none() && !state.topics.contains_key(topic) {
            return Err(BackendError::NotFound(format!(
                "{topic}` (unknown topic: advertise it or pass `type`"
            )));
        }
        let created = ensure_topic(&mut state, topic, type_name)?;
        let entry =
            state.topics.get_mut(topic).ok_or_else(|| BackendError::NotFound(topic.to_owned()))?;
        entry.seq += 1;
        let sample = Arc::new(Sample {
            seq: entry.seq,
            stamp: now_stamp(),
            received: Instant::now(),
            payload,
        });
        entry.latest = Some(sample.clone());
        entry.subscribers.retain(|q| !q.is_closed());
        for queue in &entry.subscribers {
            queue.push(sample.clone());
        }
        entry.latest_tx.send_replace(entry.seq);
        let seq = entry.seq;
        drop(state);
        if created {
            let _ =
                self.graph_tx.send(GraphChange { added: vec![topic.to_owned()], removed: vec![] });
        }
        Ok(seq)
    }

    /// Subscribes with a bounded queue. Unknown topics are allowed (lazy exposure).
    pub fn subscribe(
        &self,
        topic: &str,
        type_name: Option<&str>,
        capacity: usize,
        policy: DropPolicy,
    ) -> Result<Subscription, BackendError> {
        let mut state = self.lock()?;
        ensure_topic(&mut state, topic, type_name)?;
        let queue = Arc::new(SubQueue::new(capacity, policy));
        if let Some(entry) = state.topics.get_mut(topic) {
            entry.subscribers.push(queue.clone());
        }
        Ok(Subscription { queue })
    }

    /// The newest message on `topic` (if any) and a receiver that changes on each publish.
    pub fn latest(
        &self,
        topic: &str,
    ) -> Result<(Option<Arc<Sample>>, watch::Receiver<u64>), BackendError> {
        let state = self.lock()?;
        let entry =
            state.topics.get(topic).ok_or_else(|| BackendError::NotFound(topic.to_owned()))?;
        Ok((entry.latest.clone(), entry.latest_tx.subscribe()))
    }

    /// Calls a scripted service.
    pub async fn call(
        &self,
        service: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Value, BackendError> {
        let (script, delay) = {
            let state = self.lock()?;
            let (_, script) = state
                .services
                .get(service)
                .ok_or_else(|| BackendError::NotFound(service.to_owned()))?;
            (*script, state.extra_call_delay)
        };
        let work = async {
            tokio::time::sleep(delay).await;
            run_script(service, script, args).await
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| BackendError::Timeout(service.to_owned()))?
    }

    pub fn param_get(&self, name: &str) -> Result<Value, BackendError> {
        self.lock()?
            .params
            .get(name)
            .cloned()
            .ok_or_else(|| BackendError::NotFound(name.to_owned()))
    }

    pub fn param_set(&self, name: &str, value: Value) -> Result<(), BackendError> {
        let added = self.lock()?.params.insert(name.to_owned(), value).is_none();
        if added {
            let _ =
                self.graph_tx.send(GraphChange { added: vec![name.to_owned()], removed: vec![] });
        }
        Ok(())
    }

    pub fn param_delete(&self, name: &str) -> Result<(), BackendError> {
        self.lock()?.params.remove(name).ok_or_else(|| BackendError::NotFound(name.to_owned()))?;
        let _ = self.graph_tx.send(GraphChange { added: vec![], removed: vec![name.to_owned()] });
        Ok(())
    }
}

/// Creates the topic if missing; checks the type if both sides know it. Returns whether a
/// typed topic was created (a graph change).
fn ensure_topic(
    state: &mut State,
    topic: &str,
    type_name: Option<&str>,
) -> Result<bool, BackendError> {
    let entry = state.topics.entry(topic.to_owned()).or_insert_with(|| Topic::new(None));
    match (&entry.type_name, type_name) {
        (Some(existing), Some(wanted)) if existing != wanted => Err(BackendError::TypeMismatch(
            format!("`{topic}` has type `{existing}`, not `{wanted}`"),
        )),
        (None, Some(wanted)) => {
            entry.type_name = Some(wanted.to_owned());
            Ok(true)
        }
        _ => Ok(false),
    }
}

async fn run_script(service: &str, script: Script, args: Value) -> Result<Value, BackendError> {
    match script {
        Script::Echo => Ok(args),
        Script::Slow => {
            let ms = args.get("delay_ms").and_then(Value::as_u64).unwrap_or(1000);
            tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
            Ok(json!({"slept_ms": ms}))
        }
        Script::Fail => Err(BackendError::Service {
            service: service.to_owned(),
            message: "scripted failure".into(),
        }),
        Script::AddTwoInts => {
            let get = |k: &str| {
                args.get(k).and_then(Value::as_i64).ok_or_else(|| {
                    BackendError::TypeMismatch(format!("field `{k}` must be an int64"))
                })
            };
            Ok(json!({"sum": get("a")?.wrapping_add(get("b")?)}))
        }
    }
}
