//! The `mock` backend: in-memory topics with fan-out to bounded per-subscription queues,
//! scripted services, a parameter store and fault-injection hooks. No ROS needed.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bridge_protocol::DropPolicy;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::backend::{Backend, BackendError, Fanout, GraphChange, Latest, Payload, Subscription};

#[cfg(test)]
mod tests;

#[derive(Debug)]
struct Topic {
    type_name: Option<String>,
    fanout: Fanout,
}

impl Topic {
    fn new(type_name: Option<String>) -> Self {
        Topic { type_name, fanout: Fanout::default() }
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

async fn run_script(
    service: &str,
    script: Script,
    payload: Payload,
) -> Result<Payload, BackendError> {
    let args = payload.msg;
    let reply = |msg: Value| Payload { msg, attachments: Vec::new() };
    match script {
        Script::Echo => Ok(Payload { msg: args, attachments: payload.attachments }),
        Script::Slow => {
            let ms = args.get("delay_ms").and_then(Value::as_u64).unwrap_or(1000);
            tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
            Ok(reply(json!({"slept_ms": ms})))
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
            Ok(reply(json!({"sum": get("a")?.wrapping_add(get("b")?)})))
        }
    }
}

#[async_trait]
impl Backend for MockBackend {
    fn name(&self) -> &'static str {
        "mock"
    }

    fn available(&self) -> bool {
        self.lock().is_ok()
    }

    fn graph_events(&self) -> broadcast::Receiver<GraphChange> {
        self.graph_tx.subscribe()
    }

    /// Topics with a known type, as `(name, type)`.
    async fn topics(&self) -> Result<Vec<(String, String)>, BackendError> {
        Ok(self
            .lock()?
            .topics
            .iter()
            .filter_map(|(n, t)| Some((n.clone(), t.type_name.clone()?)))
            .collect())
    }

    async fn services(&self) -> Result<Vec<(String, String)>, BackendError> {
        Ok(self.lock()?.services.iter().map(|(n, (t, _))| (n.clone(), t.clone())).collect())
    }

    async fn params(&self) -> Result<Vec<String>, BackendError> {
        Ok(self.lock()?.params.keys().cloned().collect())
    }

    async fn describe(&self, type_name: &str) -> Result<Value, BackendError> {
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
    async fn advertise(
        &self,
        topic: &str,
        type_name: &str,
        _latch: bool,
    ) -> Result<(), BackendError> {
        let mut state = self.lock()?;
        let created = ensure_topic(&mut state, topic, Some(type_name))?;
        drop(state);
        if created {
            let _ =
                self.graph_tx.send(GraphChange { added: vec![topic.to_owned()], removed: vec![] });
        }
        Ok(())
    }

    async fn unadvertise(&self, _topic: &str) -> Result<(), BackendError> {
        Ok(())
    }

    /// Publishes to every subscription of `topic`; returns the topic sequence number.
    async fn publish(
        &self,
        topic: &str,
        type_name: Option<&str>,
        payload: Payload,
    ) -> Result<u64, BackendError> {
        let mut state = self.lock()?;
        if type_name.is_none() && !state.topics.contains_key(topic) {
            return Err(BackendError::unknown_topic(topic));
        }
        let created = ensure_topic(&mut state, topic, type_name)?;
        let entry =
            state.topics.get_mut(topic).ok_or_else(|| BackendError::NotFound(topic.to_owned()))?;
        let seq = entry.fanout.publish(payload);
        drop(state);
        if created {
            let _ =
                self.graph_tx.send(GraphChange { added: vec![topic.to_owned()], removed: vec![] });
        }
        Ok(seq)
    }

    /// Subscribes with a bounded queue. Unknown topics are allowed (lazy exposure).
    async fn subscribe(
        &self,
        topic: &str,
        type_name: Option<&str>,
        capacity: usize,
        policy: DropPolicy,
    ) -> Result<Subscription, BackendError> {
        let mut state = self.lock()?;
        ensure_topic(&mut state, topic, type_name)?;
        let entry =
            state.topics.get_mut(topic).ok_or_else(|| BackendError::NotFound(topic.to_owned()))?;
        Ok(entry.fanout.subscribe(capacity, policy))
    }

    /// The newest message on `topic` (if any) and a receiver that changes on each publish.
    async fn latest(&self, topic: &str) -> Result<Latest, BackendError> {
        let state = self.lock()?;
        let entry =
            state.topics.get(topic).ok_or_else(|| BackendError::NotFound(topic.to_owned()))?;
        Ok(entry.fanout.latest())
    }

    /// Calls a scripted service.
    async fn call(
        &self,
        service: &str,
        _type_name: Option<&str>,
        args: Payload,
        timeout: Duration,
    ) -> Result<Payload, BackendError> {
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

    async fn param_get(&self, name: &str) -> Result<Value, BackendError> {
        self.lock()?
            .params
            .get(name)
            .cloned()
            .ok_or_else(|| BackendError::NotFound(name.to_owned()))
    }

    async fn param_set(&self, name: &str, value: Value) -> Result<(), BackendError> {
        let added = self.lock()?.params.insert(name.to_owned(), value).is_none();
        if added {
            let _ =
                self.graph_tx.send(GraphChange { added: vec![name.to_owned()], removed: vec![] });
        }
        Ok(())
    }

    async fn param_delete(&self, name: &str) -> Result<(), BackendError> {
        self.lock()?.params.remove(name).ok_or_else(|| BackendError::NotFound(name.to_owned()))?;
        let _ = self.graph_tx.send(GraphChange { added: vec![], removed: vec![name.to_owned()] });
        Ok(())
    }
}
