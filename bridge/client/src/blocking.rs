//! The blocking API: [`Client`] wraps the async client, whose connection tasks run on a
//! current-thread tokio runtime in a background thread of its own (as `reqwest::blocking`).
//! [`RawConnection`] is the blocking [`crate::wire::RawConnection`]. Do not call them from
//! inside an async runtime.

mod raw;

pub use raw::RawConnection;

use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::Stamp;
use crate::client::{CallOptions, ConnectOptions, LatestOptions, PublishOptions, SubscribeOptions};
use crate::error::{Error, Remote, Result};
use crate::message::{GraphEvent, Message, Payload, ServiceInfo, TopicInfo, TypeDescription};
use crate::spawn::SpawnOptions;

/// The runtime thread; stopped when the last client or stream using it is dropped.
#[derive(Debug)]
struct Runtime {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runtime {
    fn start() -> Result<Arc<Runtime>> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("pyros-runtime".into()).spawn(move || {
            runtime.block_on(async {
                let _ = stopped.await;
            });
        })?;
        Ok(Arc::new(Runtime { handle, stop: Some(stop), thread: Some(thread) }))
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A blocking client of the bridge; see [`crate::Client`] for the operations. Cheap to
/// clone and usable from many threads at once (requests are multiplexed).
#[derive(Debug, Clone)]
pub struct Client {
    // Field order is drop order: the connection goes before the runtime thread.
    inner: crate::Client,
    runtime: Arc<Runtime>,
}

impl Client {
    /// Connects to the bridge socket at `path`.
    pub fn connect(path: impl AsRef<Path>) -> Result<Client> {
        let options =
            ConnectOptions { socket: Some(path.as_ref().to_owned()), ..Default::default() };
        Client::connect_with(options)
    }

    /// Connects to `$PYROS_SOCKET`, else to the system bridge (`/run/pyros/default.sock`).
    pub fn connect_default() -> Result<Client> {
        Client::connect_with(ConnectOptions::default())
    }

    /// Connects with explicit options.
    pub fn connect_with(options: ConnectOptions) -> Result<Client> {
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(crate::Client::connect_with(options))?;
        Ok(Client { inner, runtime })
    }

    /// Starts a private bridge and connects to it; see [`crate::Client::spawn`].
    pub fn spawn(options: SpawnOptions) -> Result<Client> {
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(crate::Client::spawn(options))?;
        Ok(Client { inner, runtime })
    }

    /// The async client sharing this connection (use it on [`Client::block_on`]'s runtime).
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// The socket this client is connected to.
    pub fn socket(&self) -> &Path {
        self.inner.socket()
    }

    /// The bridge's session id.
    pub fn session_id(&self) -> &str {
        self.inner.session_id()
    }

    /// The process id of the private bridge started by [`Client::spawn`].
    pub fn bridge_pid(&self) -> Option<u32> {
        self.inner.bridge_pid()
    }

    /// Round trip to the bridge; returns its clock.
    pub fn ping(&self) -> Result<Stamp> {
        self.runtime.block_on(self.inner.ping())
    }

    /// Publishes `msg` on a topic the bridge knows.
    pub fn publish(&self, topic: &str, msg: impl Into<Payload>) -> Result<()> {
        self.runtime.block_on(self.inner.publish(topic, msg))
    }

    /// Publishes with a type and/or an acknowledgement.
    pub fn publish_with(
        &self,
        topic: &str,
        msg: impl Into<Payload>,
        options: PublishOptions,
    ) -> Result<Option<u64>> {
        self.runtime.block_on(self.inner.publish_with(topic, msg, options))
    }

    /// Declares a topic and its type.
    pub fn advertise(&self, topic: &str, type_name: &str) -> Result<()> {
        self.runtime.block_on(self.inner.advertise(topic, type_name))
    }

    /// Subscribes to `topic`; the subscription is an iterator of messages.
    pub fn subscribe(&self, topic: &str) -> Result<Subscription> {
        self.subscribe_with(topic, SubscribeOptions::default())
    }

    /// Subscribes with options.
    pub fn subscribe_with(&self, topic: &str, options: SubscribeOptions) -> Result<Subscription> {
        let inner = self.runtime.block_on(self.inner.subscribe_with(topic, options))?;
        Ok(Subscription { inner, runtime: self.runtime.clone() })
    }

    /// The newest message on `topic`, waiting up to `wait` for one.
    pub fn get_latest(&self, topic: &str, wait: Duration) -> Result<Message> {
        self.runtime.block_on(self.inner.get_latest(topic, wait))
    }

    /// [`Client::get_latest`] with freshness conditions.
    pub fn get_latest_with(&self, topic: &str, options: LatestOptions) -> Result<Message> {
        self.runtime.block_on(self.inner.get_latest_with(topic, options))
    }

    /// Calls `service`; returns the response values.
    pub fn call(
        &self,
        service: &str,
        args: impl Into<Payload>,
        timeout: Duration,
    ) -> Result<Value> {
        self.runtime.block_on(self.inner.call(service, args, timeout))
    }

    /// Calls `service` with options; returns the response values with their attachments.
    pub fn call_with(
        &self,
        service: &str,
        args: impl Into<Payload>,
        options: CallOptions,
    ) -> Result<Payload> {
        self.runtime.block_on(self.inner.call_with(service, args, options))
    }

    /// The value of parameter `name`.
    pub fn param_get(&self, name: &str) -> Result<Value> {
        self.runtime.block_on(self.inner.param_get(name))
    }

    /// Sets parameter `name`.
    pub fn param_set(&self, name: &str, value: impl Into<Value>) -> Result<()> {
        self.runtime.block_on(self.inner.param_set(name, value))
    }

    /// Deletes parameter `name`.
    pub fn param_delete(&self, name: &str) -> Result<()> {
        self.runtime.block_on(self.inner.param_delete(name))
    }

    /// Exposed topics.
    pub fn topics(&self) -> Result<Vec<TopicInfo>> {
        self.runtime.block_on(self.inner.topics())
    }

    /// Exposed services.
    pub fn services(&self) -> Result<Vec<ServiceInfo>> {
        self.runtime.block_on(self.inner.services())
    }

    /// Readable parameters.
    pub fn params(&self) -> Result<Vec<String>> {
        self.runtime.block_on(self.inner.params())
    }

    /// A message type's definition and fields.
    pub fn describe(&self, type_name: &str) -> Result<TypeDescription> {
        self.runtime.block_on(self.inner.describe(type_name))
    }

    /// Watches the graph; the watch is an iterator of changes.
    pub fn watch_graph(&self) -> Result<GraphWatch> {
        let inner = self.runtime.block_on(self.inner.watch_graph())?;
        Ok(GraphWatch { inner, runtime: self.runtime.clone() })
    }

    /// Runs a future of the async API on this client's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

fn timeout_error(what: &str, timeout: Duration) -> Error {
    Error::Timeout(Remote::new(format!("no {what} within {:.3} s", timeout.as_secs_f64())))
}

/// A blocking subscription: an iterator of [`Message`]s that ends when the connection is
/// lost. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    inner: crate::Subscription,
    runtime: Arc<Runtime>,
}

impl Subscription {
    /// The next message; `None` once the connection is lost.
    pub fn recv(&mut self) -> Option<Message> {
        self.runtime.block_on(self.inner.next())
    }

    /// The next message within `timeout` ([`Error::Timeout`] if none,
    /// [`Error::ConnectionLost`] once the connection is lost).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Message> {
        match self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, self.inner.next()).await })
        {
            Ok(Some(message)) => Ok(message),
            Ok(None) => Err(Error::ConnectionLost),
            Err(_) => Err(timeout_error(&format!("message on `{}`", self.inner.topic()), timeout)),
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        self.inner.topic()
    }

    /// Unsubscribes and waits for the bridge's answer.
    pub fn unsubscribe(self) -> Result<()> {
        let Subscription { inner, runtime } = self;
        runtime.block_on(inner.unsubscribe())
    }
}

impl Iterator for Subscription {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        self.recv()
    }
}

/// Blocking graph changes: an iterator of [`GraphEvent`]s.
#[derive(Debug)]
pub struct GraphWatch {
    inner: crate::GraphWatch,
    runtime: Arc<Runtime>,
}

impl GraphWatch {
    /// The next change; `None` once the connection is lost.
    pub fn recv(&mut self) -> Option<GraphEvent> {
        self.runtime.block_on(self.inner.next())
    }

    /// The next change within `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<GraphEvent> {
        match self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, self.inner.next()).await })
        {
            Ok(Some(event)) => Ok(event),
            Ok(None) => Err(Error::ConnectionLost),
            Err(_) => Err(timeout_error("graph change", timeout)),
        }
    }
}

impl Iterator for GraphWatch {
    type Item = GraphEvent;

    fn next(&mut self) -> Option<GraphEvent> {
        self.recv()
    }
}
