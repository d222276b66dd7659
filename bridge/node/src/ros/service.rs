//! Our own TCPROS service client (replacing rosrust's, which opens a connection per call):
//! type discovery by probe (`probe=1`), and one pool of persistent connections
//! (`persistent=1`) per service, reused across calls. A reused connection that fails is
//! replaced by a fresh one and the call retried once; a provider that cannot keep a
//! connection open (rosrust servers) is then called with a new connection each time. At most
//! `MAX_IDLE` calls per service are in flight; more wait their turn.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::tcpros;

/// What a probe learned about a service provider.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Provider {
    /// `host:port` from the `rosrpc://` URI.
    pub(crate) addr: String,
    pub(crate) type_name: String,
    pub(crate) md5sum: String,
}

/// `rosrpc://host:port[/]` → `host:port`.
pub(crate) fn rosrpc_addr(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("rosrpc://")?;
    let addr = rest.trim_end_matches('/');
    (!addr.is_empty()).then(|| addr.to_owned())
}

/// Asks the provider at `addr` for the service's type and md5sum (what `rosservice` does).
pub(crate) async fn probe(addr: &str, caller_id: &str, service: &str) -> io::Result<Provider> {
    let mut stream = TcpStream::connect(addr).await?;
    let header = tcpros::encode_header(&[
        ("callerid", caller_id),
        ("service", service),
        ("md5sum", "*"),
        ("probe", "1"),
    ]);
    tokio::io::AsyncWriteExt::write_all(&mut stream, &header).await?;
    let fields = tcpros::read_header(&mut stream).await?;
    if let Some(error) = fields.get("error") {
        return Err(io::Error::other(error.clone()));
    }
    let field = |key: &str| fields.get(key).cloned().unwrap_or_default();
    Ok(Provider { addr: addr.to_owned(), type_name: field("type"), md5sum: field("md5sum") })
}

/// One open service connection after the header exchange.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
}

impl Connection {
    /// Connects and exchanges headers; `Err(Ok(message))` when the server refused us.
    pub(crate) async fn open(
        provider: &Provider,
        caller_id: &str,
        service: &str,
        persistent: bool,
    ) -> io::Result<Result<Connection, String>> {
        let mut stream = TcpStream::connect(&provider.addr).await?;
        stream.set_nodelay(true)?;
        let mut fields = vec![
            ("callerid", caller_id),
            ("service", service),
            ("md5sum", provider.md5sum.as_str()),
            ("type", provider.type_name.as_str()),
        ];
        if persistent {
            fields.push(("persistent", "1"));
        }
        tokio::io::AsyncWriteExt::write_all(&mut stream, &tcpros::encode_header(&fields)).await?;
        let reply = tcpros::read_header(&mut stream).await?;
        Ok(match reply.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(Connection { stream }),
        })
    }

    /// Sends one request; `Ok(Err(message))` is the service handler's failure.
    pub(crate) async fn call(&mut self, request: &[u8]) -> io::Result<Result<Vec<u8>, String>> {
        tcpros::write_frame(&mut self.stream, request).await?;
        tcpros::read_response(&mut self.stream).await
    }
}

/// Per service: the provider last probed, idle persistent connections, and whether the
/// provider keeps connections open.
#[derive(Debug, Default)]
pub(crate) struct Pools {
    entries: Mutex<HashMap<String, Entry>>,
    /// Per service, the calls allowed in flight at once ([`MAX_IDLE`]): more wait for a
    /// connection instead of opening hundreds at once (rospy's listen backlog is small, and
    /// it starts a thread per connection).
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
}

#[derive(Debug)]
struct Entry {
    provider: Provider,
    idle: Vec<Connection>,
    persistent: bool,
}

/// Idle connections kept per service, and calls in flight per service.
const MAX_IDLE: usize = 8;

impl Pools {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The limit of calls in flight to `service`.
    fn limit(&self, service: &str) -> Arc<Semaphore> {
        let mut limits = self.limits.lock().unwrap_or_else(|e| e.into_inner());
        limits
            .entry(service.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(MAX_IDLE)))
            .clone()
    }

    /// The cached provider of `service`, if any.
    pub(crate) fn provider(&self, service: &str) -> Option<Provider> {
        self.lock().get(service).map(|e| e.provider.clone())
    }

    /// Records a (possibly new) provider; connections to an older one are dropped.
    pub(crate) fn set_provider(&self, service: &str, provider: Provider) {
        let mut entries = self.lock();
        match entries.get_mut(service) {
            Some(entry) if entry.provider == provider => {}
            _ => {
                entries.insert(
                    service.to_owned(),
                    Entry { provider, idle: Vec::new(), persistent: true },
                );
            }
        }
    }

    /// Forgets a service (its provider went away or changed).
    pub(crate) fn forget(&self, service: &str) {
        self.lock().remove(service);
    }

    /// Forgets everything (the master restarted).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// An idle connection to `provider`, and whether connections should be persistent.
    pub(crate) fn take(&self, service: &str, provider: &Provider) -> (Option<Connection>, bool) {
        match self.lock().get_mut(service) {
            Some(entry) if entry.provider == *provider => (entry.idle.pop(), entry.persistent),
            _ => (None, true),
        }
    }

    /// Returns a connection after a successful call.
    pub(crate) fn put(&self, service: &str, provider: &Provider, connection: Connection) {
        if let Some(entry) = self.lock().get_mut(service)
            && entry.provider == *provider
            && entry.persistent
            && entry.idle.len() < MAX_IDLE
        {
            entry.idle.push(connection);
        }
    }

    /// Whether connections to the provider of `service` are kept.
    pub(crate) fn persistent(&self, service: &str) -> bool {
        self.lock().get(service).is_none_or(|e| e.persistent)
    }

    /// The provider closed a reused connection: stop keeping connections to it.
    pub(crate) fn mark_not_persistent(&self, service: &str) {
        if let Some(entry) = self.lock().get_mut(service) {
            entry.persistent = false;
            entry.idle.clear();
        }
    }
}

/// One request/response on a pooled persistent connection, or on a new one. A kept
/// connection that fails (the provider closed it: rosrust servers do after one call) stops
/// the pooling for that provider and the request goes once more on a new connection.
pub(crate) async fn exchange(
    pools: &Pools,
    caller_id: &str,
    service: &str,
    provider: &Provider,
    request: &[u8],
) -> io::Result<Result<Vec<u8>, String>> {
    let _in_flight = pools.limit(service).acquire_owned().await.map_err(io::Error::other)?;
    let (idle, persistent) = pools.take(service, provider);
    if let Some(mut connection) = idle {
        match connection.call(request).await {
            Ok(response) => {
                pools.put(service, provider, connection);
                return Ok(response);
            }
            Err(error) => {
                tracing::debug!(service, %error, "kept connection failed");
                pools.mark_not_persistent(service);
            }
        }
    }
    let persistent = persistent && pools.persistent(service);
    let mut connection = Connection::open(provider, caller_id, service, persistent)
        .await?
        .map_err(io::Error::other)?;
    let response = connection.call(request).await?;
    if persistent {
        pools.put(service, provider, connection);
    }
    Ok(response)
}
