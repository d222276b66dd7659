//! [`Client`]: connecting (`hello`), and every operation of the protocol as a method.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bridge_protocol::reply::Stamp;
use bridge_protocol::{DropPolicy, Op, PROTOCOL_VERSION, SubscribeMode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::connection::{self, Shared, Tasks};
use crate::error::{Error, Remote, Result};
use crate::message::{Message, Payload, ServiceInfo, TopicInfo, TypeDescription};
use crate::spawn::{PrivateBridge, SpawnOptions};
use crate::subscription::{GraphWatch, Subscription};

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The socket; `None` means [`default_socket`](crate::default_socket)
    /// (`$PYROS_SOCKET`, else `/run/pyros/default.sock`).
    pub socket: Option<PathBuf>,
    /// The name sent in `hello` (shown in the bridge's logs).
    pub client_name: String,
    /// How long to wait for a reply beyond the operation's own wait (service timeout,
    /// `get_latest` wait). Default 10 s.
    pub timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            socket: None,
            client_name: "pyros-rust".into(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Options of [`Client::publish_with`].
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// The message type; required when the topic is not known to the bridge yet.
    pub type_name: Option<String>,
    /// Ask for the topic's sequence number of this message.
    pub ack: bool,
}

/// Options of [`Client::subscribe_with`].
#[derive(Debug, Clone, Default)]
pub struct SubscribeOptions {
    /// Checked against the topic's type if both are known.
    pub type_name: Option<String>,
    /// `Stream` (default queue 32) or `Latest` (queue 1).
    pub mode: SubscribeMode,
    /// The bridge's queue bound for this subscription (1..=10000).
    pub queue_length: Option<u32>,
    /// What a full queue drops (default: the oldest).
    pub policy: DropPolicy,
    /// Minimum time between two deliveries.
    pub throttle: Option<Duration>,
}

/// Options of [`Client::get_latest_with`].
#[derive(Debug, Clone, Default)]
pub struct LatestOptions {
    /// Wait up to this long for a suitable message (then [`Error::Timeout`]); zero means
    /// answer at once (then [`Error::NoData`]).
    pub wait: Duration,
    /// Only a message received at most this long ago.
    pub max_age: Option<Duration>,
    /// Only a message with a topic sequence number greater than this.
    pub after_seq: Option<u64>,
}

/// Options of [`Client::call_with`].
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// How long the bridge waits for the service (default 10 s).
    pub timeout: Duration,
    /// The service type, checked by the bridge when given.
    pub type_name: Option<String>,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions { timeout: Duration::from_secs(10), type_name: None }
    }
}

/// What the bridge said in its `hello` reply.
#[derive(Debug, Clone, serde::Deserialize)]
struct Welcome {
    session_id: String,
    #[serde(default)]
    backend: String,
    #[serde(default)]
    limits: Limits,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct Limits {
    max_frame: Option<usize>,
}

/// Owns what must end with the last handle: the connection's tasks and a private bridge.
#[derive(Debug)]
struct Guard {
    // Field order is drop order: close the connection before killing the bridge.
    _tasks: Tasks,
    _bridge: Option<PrivateBridge>,
}

/// A connection to the bridge. Cheap to clone: clones share one multiplexed connection, and
/// requests from many tasks run concurrently on it. The connection (and a private bridge
/// started by [`Client::spawn`]) ends when the last clone, [`Subscription`] and
/// [`GraphWatch`] are dropped.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    _guard: Arc<Guard>,
    welcome: Arc<Welcome>,
    socket: Arc<PathBuf>,
    timeout: Duration,
    bridge_pid: Option<u32>,
}

/// Subscription and graph watcher ids, unique in the process (so per connection too).
static NEXT_SUB_ID: AtomicU64 = AtomicU64::new(1);

impl Client {
    /// Connects to the bridge socket at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> Result<Client> {
        let options =
            ConnectOptions { socket: Some(path.as_ref().to_owned()), ..Default::default() };
        Client::connect_with(options).await
    }

    /// Connects to `$PYROS_SOCKET`, else to the system bridge (`/run/pyros/default.sock`).
    pub async fn connect_default() -> Result<Client> {
        Client::connect_with(ConnectOptions::default()).await
    }

    /// Connects with explicit options.
    pub async fn connect_with(options: ConnectOptions) -> Result<Client> {
        let socket = options.socket.clone().unwrap_or_else(crate::default_socket);
        Client::open(socket, &options, None).await
    }

    /// Starts a private `pyros-bridge` on a temporary socket and connects to it. The bridge
    /// is killed (and its socket removed) when the last handle of this client is dropped.
    pub async fn spawn(options: SpawnOptions) -> Result<Client> {
        let bridge = PrivateBridge::start(&options).await?;
        let socket = bridge.socket().to_owned();
        let connect = ConnectOptions { socket: Some(socket.clone()), ..Default::default() };
        Client::open(socket, &connect, Some(bridge)).await
    }

    async fn open(
        socket: PathBuf,
        options: &ConnectOptions,
        bridge: Option<PrivateBridge>,
    ) -> Result<Client> {
        let (shared, tasks) = tokio::time::timeout(options.timeout, connection::open(&socket))
            .await
            .map_err(|_| Error::Connect {
                path: socket.clone(),
                source: std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
            })??;
        let bridge_pid = bridge.as_ref().map(PrivateBridge::pid);
        let guard = Arc::new(Guard { _tasks: tasks, _bridge: bridge });
        let hello = Op::Hello {
            protocol: PROTOCOL_VERSION,
            client: Some(options.client_name.clone()),
            pid: Some(std::process::id()),
            capabilities: vec!["binary".into()],
        };
        let reply = shared.request(hello, Vec::new(), options.timeout).await?;
        let welcome: Welcome = parse(reply.value)?;
        if let Some(max_frame) = welcome.limits.max_frame {
            shared.set_max_frame(max_frame);
        }
        tracing::debug!(socket = %socket.display(), session = welcome.session_id, "connected");
        Ok(Client {
            shared,
            _guard: guard,
            welcome: Arc::new(welcome),
            socket: Arc::new(socket),
            timeout: options.timeout,
            bridge_pid,
        })
    }

    /// The socket this client is connected to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The bridge's session id (changes on every bridge start).
    pub fn session_id(&self) -> &str {
        &self.welcome.session_id
    }

    /// The bridge's backend (`mock` or `ros`).
    pub fn backend(&self) -> &str {
        &self.welcome.backend
    }

    /// The process id of the private bridge started by [`Client::spawn`].
    pub fn bridge_pid(&self) -> Option<u32> {
        self.bridge_pid
    }

    async fn request(&self, op: Op, attachments: Vec<Vec<u8>>, extra: Duration) -> Result<Payload> {
        self.shared.request(op, attachments, self.timeout + extra).await
    }

    async fn request_value(&self, op: Op) -> Result<Value> {
        Ok(self.request(op, Vec::new(), Duration::ZERO).await?.value)
    }

    /// Round trip to the bridge; returns its clock.
    pub async fn ping(&self) -> Result<Stamp> {
        #[derive(serde::Deserialize)]
        struct Pong {
            time: Stamp,
        }
        Ok(parse::<Pong>(self.request_value(Op::Ping {}).await?)?.time)
    }

    /// Publishes `msg` on a topic the bridge knows (advertised, or with a known type).
    pub async fn publish(&self, topic: &str, msg: impl Into<Payload>) -> Result<()> {
        self.publish_with(topic, msg, PublishOptions::default()).await.map(drop)
    }

    /// Publishes with a type and/or an acknowledgement; returns the topic's sequence number
    /// of the message when `ack` is set.
    pub async fn publish_with(
        &self,
        topic: &str,
        msg: impl Into<Payload>,
        options: PublishOptions,
    ) -> Result<Option<u64>> {
        let Payload { value, attachments } = msg.into();
        let op = Op::Publish {
            topic: topic.into(),
            msg: value,
            type_name: options.type_name,
            ack: options.ack,
        };
        let result = self.request(op, attachments, Duration::ZERO).await?.value;
        Ok(result.get("seq").and_then(Value::as_u64))
    }

    /// Declares a topic and its type.
    pub async fn advertise(&self, topic: &str, type_name: &str) -> Result<()> {
        let op = Op::Advertise { topic: topic.into(), type_name: type_name.into(), latch: false };
        self.request_value(op).await.map(drop)
    }

    /// Subscribes to `topic` (it need not exist yet) with the default stream mode.
    pub async fn subscribe(&self, topic: &str) -> Result<Subscription> {
        self.subscribe_with(topic, SubscribeOptions::default()).await
    }

    /// Subscribes with options. The subscription is a stream of [`Message`]s; dropping it
    /// unsubscribes.
    pub async fn subscribe_with(
        &self,
        topic: &str,
        options: SubscribeOptions,
    ) -> Result<Subscription> {
        let sub_id = NEXT_SUB_ID.fetch_add(1, Ordering::Relaxed);
        let rx = self.shared.add_subscription(sub_id);
        let op = Op::Subscribe {
            topic: topic.into(),
            sub_id,
            type_name: options.type_name,
            mode: options.mode,
            queue_length: options.queue_length,
            policy: options.policy,
            throttle_ms: options.throttle.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        };
        match self.request_value(op).await {
            Ok(result) => {
                let queue_length = result.get("queue_length").and_then(Value::as_u64);
                Ok(Subscription::new(self.clone(), sub_id, topic.into(), queue_length, rx))
            }
            Err(error) => {
                self.shared.remove_subscription(sub_id);
                Err(error)
            }
        }
    }

    /// The newest message on `topic`, waiting up to `wait` for one ([`Error::Timeout`] when
    /// none arrives; with a zero wait, [`Error::NoData`] when there is none).
    pub async fn get_latest(&self, topic: &str, wait: Duration) -> Result<Message> {
        self.get_latest_with(topic, LatestOptions { wait, ..Default::default() }).await
    }

    /// [`Client::get_latest`] with freshness conditions.
    pub async fn get_latest_with(&self, topic: &str, options: LatestOptions) -> Result<Message> {
        let op = Op::GetLatest {
            topic: topic.into(),
            max_age_ms: options.max_age.map(millis),
            wait_ms: (!options.wait.is_zero()).then(|| millis(options.wait)),
            after_seq: options.after_seq,
        };
        let reply = match self.request(op, Vec::new(), options.wait).await {
            Err(Error::NoData(remote)) if !options.wait.is_zero() => {
                return Err(Error::Timeout(Remote {
                    message: format!(
                        "no message on `{topic}` within {:.3} s ({})",
                        options.wait.as_secs_f64(),
                        remote.message
                    ),
                    detail: remote.detail,
                }));
            }
            other => other?,
        };
        #[derive(serde::Deserialize)]
        struct Latest {
            topic: String,
            seq: u64,
            stamp_recv: Stamp,
            #[serde(default)]
            msg: Value,
        }
        let latest: Latest = parse(reply.value)?;
        Ok(Message {
            topic: latest.topic,
            seq: latest.seq,
            dropped: 0,
            stamp: latest.stamp_recv,
            msg: latest.msg,
            attachments: reply.attachments,
        })
    }

    /// Calls `service` with `args` (JSON or a [`Payload`] with attachments); the bridge waits
    /// up to `timeout` for the service. Returns the response values.
    pub async fn call(
        &self,
        service: &str,
        args: impl Into<Payload>,
        timeout: Duration,
    ) -> Result<Value> {
        let options = CallOptions { timeout, type_name: None };
        Ok(self.call_with(service, args, options).await?.value)
    }

    /// [`Client::call`] with options, returning the response values with their attachments.
    pub async fn call_with(
        &self,
        service: &str,
        args: impl Into<Payload>,
        options: CallOptions,
    ) -> Result<Payload> {
        let Payload { value, attachments } = args.into();
        let op = Op::CallService {
            service: service.into(),
            args: value,
            type_name: options.type_name,
            timeout_ms: Some(millis(options.timeout)),
        };
        let mut reply = self.request(op, attachments, options.timeout).await?;
        reply.value = match reply.value {
            Value::Object(mut map) => map.remove("values").unwrap_or(Value::Null),
            other => return Err(Error::Protocol(format!("`call_service` result {other}"))),
        };
        Ok(reply)
    }

    /// The value of parameter `name`.
    pub async fn param_get(&self, name: &str) -> Result<Value> {
        let mut result = self.request_value(Op::ParamGet { name: name.into() }).await?;
        Ok(result.get_mut("value").map(Value::take).unwrap_or(Value::Null))
    }

    /// Sets parameter `name` to any JSON value.
    pub async fn param_set(&self, name: &str, value: impl Into<Value>) -> Result<()> {
        self.request_value(Op::ParamSet { name: name.into(), value: value.into() }).await.map(drop)
    }

    /// Deletes parameter `name`.
    pub async fn param_delete(&self, name: &str) -> Result<()> {
        self.request_value(Op::ParamDelete { name: name.into() }).await.map(drop)
    }

    /// Topics this profile may subscribe to or publish on.
    pub async fn topics(&self) -> Result<Vec<TopicInfo>> {
        field(self.request_value(Op::ListTopics { filter: None }).await?, "topics")
    }

    /// Services this profile may call.
    pub async fn services(&self) -> Result<Vec<ServiceInfo>> {
        field(self.request_value(Op::ListServices { filter: None }).await?, "services")
    }

    /// Parameters this profile may read.
    pub async fn params(&self) -> Result<Vec<String>> {
        field(self.request_value(Op::ListParams { filter: None }).await?, "params")
    }

    /// A message type's definition and fields.
    pub async fn describe(&self, type_name: &str) -> Result<TypeDescription> {
        parse(self.request_value(Op::Describe { type_name: type_name.into() }).await?)
    }

    /// Watches the graph: a stream of [`GraphEvent`]s (names this profile exposes that
    /// appeared or disappeared). Dropping the last watcher stops the bridge's watch.
    pub async fn watch_graph(&self) -> Result<GraphWatch> {
        let watch_id = NEXT_SUB_ID.fetch_add(1, Ordering::Relaxed);
        let rx = self.shared.add_graph_watcher(watch_id);
        let watch = GraphWatch::new(self.clone(), watch_id, rx);
        self.request_value(Op::WatchGraph {}).await?;
        Ok(watch)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::Protocol(e.to_string()))
}

fn field<T: DeserializeOwned>(mut value: Value, name: &str) -> Result<T> {
    parse(value.get_mut(name).map(Value::take).unwrap_or(Value::Null))
}
