//! The `ros` backend: a ROS 1 node in the bridge process. rosrust provides the node itself
//! (its slave XML-RPC API) and the publishers (`publish_with_description::<RawMessage>`);
//! our own code does the master calls, the subscribers and the service client over TCPROS
//! (`ros/subscriber.rs`, `ros/service.rs`), and message types come from `bridge-rosmsg`.
//! A monitor task polls the master every 500 ms: availability, roscore restarts (a new
//! `/run_id` re-registers every publisher and subscriber), publisher discovery, graph events.

mod master;
mod monitor;
mod service;
mod subscriber;
mod tcpros;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bridge_protocol::DropPolicy;
use bridge_rosmsg::{MsgType, Registry, SrvType};
use rosrust::api::Ros;
use rosrust::{RawMessage, RawMessageDescription};
use serde_json::Value;
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;

use self::master::{Api, CallError};
use self::service::{Pools, Provider};
use crate::backend::{Backend, BackendError, GraphChange, Latest, Payload, Subscription};

/// How often the master is polled.
const POLL: Duration = Duration::from_millis(500);
/// Longest wait for one XML-RPC call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a service probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Messages rosrust queues per subscriber of one of our publishers (then it drops the
/// oldest): bounded, so a stalled ROS subscriber cannot grow the bridge without limit.
const PUBLISH_QUEUE: usize = 1000;

/// How long a ROS subscription outlives its last client subscription (or `get_latest`).
const LINGER: Duration = Duration::from_secs(30);

/// The default master when `ROS_MASTER_URI` is unset (as roscore's and rosrust's).
const DEFAULT_MASTER: &str = "http://localhost:11311/";

/// The ROS 1 backend.
#[derive(Debug)]
pub struct RosBackend {
    shared: Arc<Shared>,
    monitor: AbortHandle,
}

/// State shared by the backend, its monitor task and its connection tasks.
pub(crate) struct Shared {
    master: Api,
    caller_id: String,
    node_name: String,
    registry: Arc<Registry>,
    available: AtomicBool,
    /// The rosrust node, created once the master is first reachable; kept across restarts.
    node: Mutex<Option<Arc<Ros>>>,
    /// Advertised topics. A std lock, held only between awaits (clippy's `await_holding_lock`
    /// is denied for the crate): a slow master call for one topic never stalls publishing on
    /// another.
    publishers: Mutex<HashMap<String, Slot>>,
    topics: subscriber::Topics,
    pools: Pools,
    graph_tx: broadcast::Sender<GraphChange>,
    monitor: Mutex<MonitorState>,
    /// Service types by name, with the provider nodes they were probed from.
    service_types: Mutex<HashMap<String, (Vec<String>, String)>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("master", &self.master)
            .field("caller_id", &self.caller_id)
            .field("available", &self.available)
            .finish_non_exhaustive()
    }
}

/// A topic's entry in [`Shared::publishers`].
enum Slot {
    Ready(Pub),
    /// Being advertised (or re-advertised after a roscore restart) by the holder of a
    /// [`Claim`]; the receiver's `changed()` returns when that is over, either way.
    Pending(watch::Receiver<()>),
}

/// The right to advertise one topic: its slot is [`Slot::Pending`] until [`Claim::fulfil`];
/// dropped unfulfilled (failure, cancelled future), the slot is removed. Either way the
/// waiters wake.
struct Claim<'a> {
    shared: &'a Shared,
    topic: String,
    _done: watch::Sender<()>,
}

impl<'a> Claim<'a> {
    /// Marks `topic` pending in `publishers` (the caller holds the lock).
    fn new(shared: &'a Shared, topic: &str, publishers: &mut HashMap<String, Slot>) -> Self {
        let (done, waiting) = watch::channel(());
        publishers.insert(topic.to_owned(), Slot::Pending(waiting));
        Claim { shared, topic: topic.to_owned(), _done: done }
    }

    fn fulfil(self, publisher: Pub) {
        lock(&self.shared.publishers).insert(self.topic.clone(), Slot::Ready(publisher));
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut publishers = lock(&self.shared.publishers);
        if let Some(Slot::Pending(_)) = publishers.get(&self.topic) {
            publishers.remove(&self.topic);
        }
    }
}

/// One advertised topic.
struct Pub {
    publisher: rosrust::Publisher<RawMessage>,
    msg_type: Arc<MsgType>,
    latch: bool,
    seq: u64,
    /// The last message, re-sent after a roscore restart when latched.
    last: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
struct MonitorState {
    run_id: Option<String>,
    names: BTreeSet<String>,
    params: Option<BTreeSet<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The master URI from `ROS_MASTER_URI`, else roscore's default.
pub fn master_uri() -> String {
    std::env::var("ROS_MASTER_URI")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_MASTER.to_owned())
}

impl RosBackend {
    /// Starts the backend: loads the message registry from the environment, checks the
    /// master once, and starts the monitor. A master that is down is not an error: every
    /// operation answers `ros_unavailable` until it comes up.
    pub async fn start() -> Result<RosBackend, BackendError> {
        let registry = tokio::task::spawn_blocking(Registry::from_env)
            .await
            .map_err(|e| BackendError::Internal(format!("loading the message definitions: {e}")))?;
        tracing::info!(roots = ?registry.roots(), "message definitions");
        let node_name = format!("pyros_bridge_{}", std::process::id());
        let namespace = std::env::var("ROS_NAMESPACE").unwrap_or_default();
        let caller_id = format!("/{}/{node_name}", namespace.trim_matches('/')).replace("//", "/");
        let master = master_uri();
        tracing::info!(master, caller_id, "ros backend starting");
        let shared = Arc::new(Shared {
            master: Api::new(&master, &caller_id),
            caller_id,
            node_name,
            registry: Arc::new(registry),
            available: AtomicBool::new(false),
            node: Mutex::new(None),
            publishers: Mutex::new(HashMap::new()),
            topics: subscriber::Topics::default(),
            pools: Pools::default(),
            graph_tx: broadcast::channel(256).0,
            monitor: Mutex::new(MonitorState::default()),
            service_types: Mutex::new(HashMap::new()),
        });
        shared.poll().await;
        let task = tokio::spawn({
            let shared = shared.clone();
            async move {
                loop {
                    tokio::time::sleep(POLL).await;
                    shared.poll().await;
                }
            }
        });
        Ok(RosBackend { shared, monitor: task.abort_handle() })
    }

    /// Unregisters what the bridge registered with the master (best effort).
    pub async fn shutdown(&self) {
        self.monitor.abort();
        let topics: Vec<String> = self.shared.topics.lock().keys().cloned().collect();
        for topic in topics {
            self.shared.unregister_subscriber(topic).await;
        }
        let publishers = std::mem::take(&mut *lock(&self.shared.publishers));
        let node = self.shared.node();
        // Dropping a rosrust publisher unregisters it (a blocking XML-RPC call); shutting the
        // node down unregisters its `/rosout` publisher.
        let _ = tokio::task::spawn_blocking(move || {
            drop(publishers);
            if let Some(ros) = node {
                ros.shutdown_sender().shutdown();
            }
        })
        .await;
    }
}

impl Drop for RosBackend {
    fn drop(&mut self) {
        self.monitor.abort();
    }
}

impl Shared {
    /// Runs a master call on the blocking pool, with a timeout; an unreachable master marks
    /// the backend unavailable.
    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Api) -> Result<T, CallError> + Send + 'static,
    ) -> Result<T, CallError> {
        let api = self.master.clone();
        let task = tokio::task::spawn_blocking(move || call(&api));
        let result = match tokio::time::timeout(CALL_TIMEOUT, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(CallError::Failure(join.to_string())),
            Err(_) => Err(CallError::Unreachable {
                uri: self.master.uri().to_owned(),
                message: "no answer within 5 s".into(),
            }),
        };
        if let Err(CallError::Unreachable { .. }) = &result {
            self.set_available(false);
        }
        result
    }

    /// A master call whose `Failure` means "`name` does not exist".
    async fn lookup<T: Send + 'static>(
        &self,
        name: &str,
        call: impl FnOnce(&Api) -> Result<T, CallError> + Send + 'static,
    ) -> Result<T, BackendError> {
        self.blocking(call).await.map_err(|error| match error {
            CallError::Unreachable { .. } => BackendError::Unavailable,
            CallError::Failure(_) => BackendError::NotFound(name.to_owned()),
        })
    }

    fn set_available(&self, available: bool) {
        let was = self.available.swap(available, Ordering::SeqCst);
        if was != available {
            if available {
                tracing::info!(master = self.master.uri(), "ROS master is up");
            } else {
                tracing::warn!(master = self.master.uri(), "ROS master is unreachable");
            }
        }
    }

    fn check(&self) -> Result<(), BackendError> {
        if self.available.load(Ordering::SeqCst) { Ok(()) } else { Err(BackendError::Unavailable) }
    }

    fn node(&self) -> Option<Arc<Ros>> {
        lock(&self.node).clone()
    }

    fn node_uri(&self) -> Option<String> {
        self.node().map(|ros| ros.uri().to_owned())
    }

    /// A message type from the local definitions.
    pub(crate) async fn message_type(&self, type_name: &str) -> Result<Arc<MsgType>, BackendError> {
        let registry = self.registry.clone();
        let name = type_name.to_owned();
        tokio::task::spawn_blocking(move || registry.message(&name))
            .await
            .map_err(|e| BackendError::Internal(e.to_string()))?
            .map_err(|e| registry_error(type_name, &e))
    }

    async fn service_type(&self, type_name: &str) -> Result<Arc<SrvType>, BackendError> {
        let registry = self.registry.clone();
        let name = type_name.to_owned();
        tokio::task::spawn_blocking(move || registry.service(&name))
            .await
            .map_err(|e| BackendError::Internal(e.to_string()))?
            .map_err(|e| registry_error(type_name, &e))
    }

    /// The type the master has for `topic`, if any.
    async fn topic_type(&self, topic: &str) -> Result<Option<String>, BackendError> {
        let types = self.blocking(Api::get_topic_types).await.map_err(unavailable)?;
        Ok(types.into_iter().find(|(name, t)| name == topic && t != "*").map(|(_, t)| t))
    }

    /// Sends graph events when names appeared or disappeared (parameters only while someone
    /// watches, since that costs one more call per round).
    async fn graph_events(&self, state: &master::SystemState) {
        let names: BTreeSet<String> = state
            .publishers
            .keys()
            .chain(state.subscribers.keys())
            .chain(state.services.keys())
            .cloned()
            .collect();
        let watched = self.graph_tx.receiver_count() > 0;
        let params: Option<BTreeSet<String>> = if watched {
            self.blocking(Api::get_param_names).await.ok().map(|p| p.into_iter().collect())
        } else {
            None
        };
        let mut monitor = lock(&self.monitor);
        let mut added: Vec<String> = names.difference(&monitor.names).cloned().collect();
        let mut removed: Vec<String> = monitor.names.difference(&names).cloned().collect();
        if let (Some(new), Some(old)) = (&params, &monitor.params) {
            added.extend(new.difference(old).cloned());
            removed.extend(old.difference(new).cloned());
        }
        monitor.names = names;
        monitor.params = params;
        drop(monitor);
        if watched && (!added.is_empty() || !removed.is_empty()) {
            let _ = self.graph_tx.send(GraphChange { added, removed });
        }
    }

    /// The provider of `service`: `lookupService` then a probe for its type.
    async fn resolve_service(&self, service: &str) -> Result<Provider, BackendError> {
        let name = service.to_owned();
        let uri = self.lookup(service, move |m| m.lookup_service(&name)).await?;
        let addr = service::rosrpc_addr(&uri)
            .ok_or_else(|| BackendError::Internal(format!("bad service URI `{uri}`")))?;
        let provider =
            tokio::time::timeout(PROBE_TIMEOUT, service::probe(&addr, &self.caller_id, service))
                .await
                .map_err(|_| BackendError::Timeout(service.to_owned()))?
                .map_err(|e| BackendError::Service {
                    service: service.to_owned(),
                    message: format!("probing `{addr}` failed: {e}"),
                })?;
        self.pools.set_provider(service, provider.clone());
        Ok(provider)
    }

    async fn call(
        &self,
        service: &str,
        type_name: Option<&str>,
        args: Payload,
    ) -> Result<Payload, BackendError> {
        let provider = match self.pools.provider(service) {
            Some(provider) => provider,
            None => self.resolve_service(service).await?,
        };
        if let Some(wanted) = type_name
            && wanted != provider.type_name
        {
            return Err(BackendError::TypeMismatch(format!(
                "`{service}` has type `{}`, not `{wanted}`",
                provider.type_name
            )));
        }
        let srv = self.service_type(&provider.type_name).await?;
        if provider.md5sum != "*" && provider.md5sum != srv.md5sum() {
            return Err(BackendError::TypeMismatch(format!(
                "`{service}` serves `{}` with md5sum {}, but the local definition has {}",
                provider.type_name,
                provider.md5sum,
                srv.md5sum()
            )));
        }
        let request = srv
            .request()
            .encode(&args.msg, &args.attachments)
            .map_err(|e| BackendError::TypeMismatch(e.to_string()))?;
        let response =
            match service::exchange(&self.pools, &self.caller_id, service, &provider, &request)
                .await
            {
                Ok(response) => response,
                Err(first) => {
                    // The provider may have moved (restarted on another port): look it up again.
                    tracing::debug!(service, error = %first, "service connection failed");
                    self.pools.forget(service);
                    let provider = self.resolve_service(service).await?;
                    service::exchange(&self.pools, &self.caller_id, service, &provider, &request)
                        .await
                        .map_err(|e| BackendError::Service {
                            service: service.to_owned(),
                            message: format!("connection failed: {e}"),
                        })?
                }
            };
        let bytes = response
            .map_err(|message| BackendError::Service { service: service.to_owned(), message })?;
        let (msg, attachments) = srv.response().decode(&bytes).map_err(|e| {
            BackendError::Service { service: service.to_owned(), message: e.to_string() }
        })?;
        Ok(Payload { msg, attachments })
    }

    /// Makes sure `topic` has a ROS subscription; `type_name` is checked against what is known.
    async fn ensure_topic(
        self: &Arc<Self>,
        topic: &str,
        type_name: Option<&str>,
    ) -> Result<bool, BackendError> {
        let exists = self.topics.lock().contains_key(topic);
        if !exists {
            let master_type = self.topic_type(topic).await?;
            if let (Some(known), Some(wanted)) = (&master_type, type_name)
                && known != wanted
            {
                return Err(mismatch(topic, known, wanted));
            }
            let mut topics = self.topics.lock();
            let entry = topics.entry(topic.to_owned()).or_default();
            if entry.type_name.is_none() {
                entry.type_name = master_type.or_else(|| type_name.map(str::to_owned));
            }
            return Ok(true);
        }
        let topics = self.topics.lock();
        if let (Some(known), Some(wanted)) =
            (topics.get(topic).and_then(|t| t.type_name.as_deref()), type_name)
            && known != wanted
        {
            return Err(mismatch(topic, known, wanted));
        }
        Ok(false)
    }
}

fn mismatch(topic: &str, known: &str, wanted: &str) -> BackendError {
    BackendError::TypeMismatch(format!("`{topic}` has type `{known}`, not `{wanted}`"))
}

fn unavailable(error: CallError) -> BackendError {
    match error {
        CallError::Unreachable { .. } => BackendError::Unavailable,
        CallError::Failure(message) => BackendError::Internal(message),
    }
}

fn registry_error(type_name: &str, error: &bridge_rosmsg::Error) -> BackendError {
    match error {
        bridge_rosmsg::Error::NotFound { .. } => BackendError::NotFound(type_name.to_owned()),
        bridge_rosmsg::Error::InvalidName { .. } => BackendError::Invalid(error.to_string()),
        _ => BackendError::Internal(format!("type `{type_name}`: {error}")),
    }
}

/// Advertises `topic` through rosrust (registration is a blocking master call).
async fn make_publisher(
    ros: Arc<Ros>,
    topic: &str,
    msg_type: Arc<MsgType>,
    latch: bool,
) -> Result<rosrust::Publisher<RawMessage>, BackendError> {
    let topic = topic.to_owned();
    let description = RawMessageDescription {
        msg_definition: msg_type.definition().to_owned(),
        md5sum: msg_type.md5sum().to_owned(),
        msg_type: msg_type.name().to_owned(),
    };
    tokio::task::spawn_blocking(move || {
        let mut publisher =
            ros.publish_with_description::<RawMessage>(&topic, PUBLISH_QUEUE, description)?;
        publisher.set_latching(latch);
        Ok::<_, rosrust::error::Error>(publisher)
    })
    .await
    .map_err(|e| BackendError::Internal(e.to_string()))?
    .map_err(|e| BackendError::Internal(format!("advertising failed: {e}")))
}

/// Encodes `payload` and hands it to the topic's publisher (rosrust queues it: no I/O here).
fn send(
    topic: &str,
    entry: &mut Pub,
    type_name: Option<&str>,
    payload: &Payload,
) -> Result<u64, BackendError> {
    if let Some(wanted) = type_name
        && wanted != entry.msg_type.name()
    {
        return Err(mismatch(topic, entry.msg_type.name(), wanted));
    }
    let bytes = entry
        .msg_type
        .encode(&payload.msg, &payload.attachments)
        .map_err(|e| BackendError::TypeMismatch(e.to_string()))?;
    entry
        .publisher
        .send(RawMessage(bytes.clone()))
        .map_err(|e| BackendError::Internal(format!("publishing failed: {e}")))?;
    if entry.latch {
        entry.last = Some(bytes);
    }
    entry.seq += 1;
    Ok(entry.seq)
}

#[async_trait]
impl Backend for RosBackend {
    fn name(&self) -> &'static str {
        "ros"
    }

    fn available(&self) -> bool {
        self.shared.available.load(Ordering::SeqCst)
    }

    fn graph_events(&self) -> broadcast::Receiver<GraphChange> {
        self.shared.graph_tx.subscribe()
    }

    async fn topics(&self) -> Result<Vec<(String, String)>, BackendError> {
        self.shared.check()?;
        let mut topics = self.shared.blocking(Api::get_topic_types).await.map_err(unavailable)?;
        // `*` is what type-less subscribers (ours included) register: not a type.
        topics.retain(|(_, type_name)| type_name != "*");
        Ok(topics)
    }

    async fn services(&self) -> Result<Vec<(String, String)>, BackendError> {
        self.shared.check()?;
        let state = self.shared.blocking(Api::get_system_state).await.map_err(unavailable)?;
        let mut out = Vec::new();
        let mut probes = tokio::task::JoinSet::new();
        for (name, nodes) in state.services {
            let cached = lock(&self.shared.service_types).get(&name).cloned();
            match cached {
                Some((seen, type_name)) if seen == nodes => out.push((name, type_name)),
                _ => {
                    let shared = self.shared.clone();
                    probes.spawn(async move {
                        let type_name = shared
                            .resolve_service(&name)
                            .await
                            .map(|p| p.type_name)
                            .unwrap_or_default();
                        lock(&shared.service_types)
                            .insert(name.clone(), (nodes, type_name.clone()));
                        (name, type_name)
                    });
                }
            }
        }
        while let Some(probed) = probes.join_next().await {
            if let Ok(entry) = probed {
                out.push(entry);
            }
        }
        out.sort();
        Ok(out)
    }

    async fn params(&self) -> Result<Vec<String>, BackendError> {
        self.shared.check()?;
        self.shared.blocking(Api::get_param_names).await.map_err(unavailable)
    }

    async fn describe(&self, type_name: &str) -> Result<Value, BackendError> {
        Ok(self.shared.message_type(type_name).await?.describe())
    }

    async fn advertise(
        &self,
        topic: &str,
        type_name: &str,
        latch: bool,
    ) -> Result<(), BackendError> {
        self.shared.check()?;
        // The lock is held only to look at the slot: the master calls below run without it,
        // and a second advertise of the same topic waits for the first.
        let claim = loop {
            let mut waiting = {
                let mut publishers = lock(&self.shared.publishers);
                match publishers.get_mut(topic) {
                    Some(Slot::Ready(existing)) => {
                        if existing.msg_type.name() != type_name {
                            return Err(mismatch(topic, existing.msg_type.name(), type_name));
                        }
                        if latch && !existing.latch {
                            existing.publisher.set_latching(true);
                            existing.latch = true;
                        }
                        return Ok(());
                    }
                    Some(Slot::Pending(waiting)) => waiting.clone(),
                    None => break Claim::new(&self.shared, topic, &mut publishers),
                }
            };
            let _ = waiting.changed().await;
        };
        if let Some(known) = self.shared.topic_type(topic).await?
            && known != type_name
        {
            return Err(mismatch(topic, &known, type_name));
        }
        let msg_type = self.shared.message_type(type_name).await?;
        let ros = self.shared.node().ok_or(BackendError::Unavailable)?;
        let publisher = make_publisher(ros, topic, msg_type.clone(), latch).await?;
        claim.fulfil(Pub { publisher, msg_type, latch, seq: 0, last: None });
        Ok(())
    }

    async fn unadvertise(&self, _topic: &str) -> Result<(), BackendError> {
        // Publishers linger (other clients may publish on the topic, and re-registering on
        // every advertise would make subscribers reconnect); they end with the bridge.
        Ok(())
    }

    async fn publish(
        &self,
        topic: &str,
        type_name: Option<&str>,
        payload: Payload,
    ) -> Result<u64, BackendError> {
        self.shared.check()?;
        loop {
            let waiting = {
                let mut publishers = lock(&self.shared.publishers);
                match publishers.get_mut(topic) {
                    Some(Slot::Ready(entry)) => return send(topic, entry, type_name, &payload),
                    Some(Slot::Pending(waiting)) => Some(waiting.clone()),
                    None => None,
                }
            };
            if let Some(mut waiting) = waiting {
                let _ = waiting.changed().await;
                continue;
            }
            let type_name = match type_name {
                Some(t) => t.to_owned(),
                None => self
                    .shared
                    .topic_type(topic)
                    .await?
                    .ok_or_else(|| BackendError::unknown_topic(topic))?,
            };
            self.advertise(topic, &type_name, false).await?;
        }
    }

    async fn subscribe(
        &self,
        topic: &str,
        type_name: Option<&str>,
        capacity: usize,
        policy: DropPolicy,
    ) -> Result<Subscription, BackendError> {
        self.shared.check()?;
        let created = self.shared.ensure_topic(topic, type_name).await?;
        let subscription = {
            let mut topics = self.shared.topics.lock();
            let entry = topics.entry(topic.to_owned()).or_default();
            entry.fanout.subscribe(capacity, policy)
        };
        if created && let Err(error) = self.shared.register_topic(topic).await {
            // The monitor retries registration on its next round.
            tracing::info!(topic, %error, "registering the subscriber failed");
        }
        Ok(subscription)
    }

    async fn latest(&self, topic: &str) -> Result<Latest, BackendError> {
        self.shared.check()?;
        if let Some(entry) = self.shared.topics.lock().get_mut(topic) {
            entry.idle_since = entry.idle_since.map(|_| Instant::now());
            return Ok(entry.fanout.latest());
        }
        // A lingering ROS subscription serves this and later `get_latest` calls.
        if self.shared.topic_type(topic).await?.is_none() {
            return Err(BackendError::NotFound(topic.to_owned()));
        }
        let created = self.shared.ensure_topic(topic, None).await?;
        if created {
            self.shared.register_topic(topic).await?;
        }
        let topics = self.shared.topics.lock();
        let entry = topics.get(topic).ok_or_else(|| BackendError::NotFound(topic.to_owned()))?;
        Ok(entry.fanout.latest())
    }

    async fn call(
        &self,
        service: &str,
        type_name: Option<&str>,
        args: Payload,
        timeout: Duration,
    ) -> Result<Payload, BackendError> {
        self.shared.check()?;
        tokio::time::timeout(timeout, self.shared.call(service, type_name, args))
            .await
            .map_err(|_| BackendError::Timeout(service.to_owned()))?
    }

    async fn param_get(&self, name: &str) -> Result<Value, BackendError> {
        self.shared.check()?;
        let key = name.to_owned();
        let value = self.shared.lookup(name, move |m| m.get_param(&key)).await?;
        Ok(master::xml_to_json(value))
    }

    async fn param_set(&self, name: &str, value: Value) -> Result<(), BackendError> {
        self.shared.check()?;
        let value = master::json_to_xml(&value).map_err(BackendError::Invalid)?;
        let key = name.to_owned();
        self.shared.blocking(move |m| m.set_param(&key, value)).await.map_err(unavailable)
    }

    async fn param_delete(&self, name: &str) -> Result<(), BackendError> {
        self.shared.check()?;
        let key = name.to_owned();
        if !self
            .shared
            .lookup(name, {
                let key = key.clone();
                move |m| m.has_param(&key)
            })
            .await?
        {
            return Err(BackendError::NotFound(name.to_owned()));
        }
        self.shared.lookup(name, move |m| m.delete_param(&key)).await
    }
}
