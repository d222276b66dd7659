//! Our own TCPROS subscriber (replacing rosrust's, whose reader thread drops bursts silently
//! in a bounded(8) channel): one tokio task per publisher connection reads frames as fast as
//! TCP delivers them, decodes each once and offers it to the topic's fan-out, whose bounded
//! per-subscription queues count every drop. Publishers are found through
//! `registerSubscriber` (its answer, and again whenever the master's publisher list changes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bridge_rosmsg::MsgType;
use tokio::net::TcpStream;
use tokio::task::AbortHandle;

use super::master::Api;
use super::{Shared, tcpros};
use crate::backend::{Fanout, Payload};

/// Longest wait for `requestTopic`, the TCP connection and the publisher's header.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a publisher connection ended early (logged; the link is retried after a while).
#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("no answer within {CONNECT_TIMEOUT:?}")]
    Timeout(#[from] tokio::time::error::Elapsed),
    #[error("requestTopic: {0}")]
    Request(#[from] super::master::CallError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("publisher refused: {0}")]
    Refused(String),
    #[error("their message definition: {0}")]
    Definition(#[from] bridge_rosmsg::Error),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// How long a failed publisher connection waits before it may be tried again.
const RETRY_AFTER: Duration = Duration::from_secs(3);

/// Everything the bridge knows about one subscribed topic.
#[derive(Debug, Default)]
pub(crate) struct Topic {
    pub(crate) fanout: Fanout,
    /// The topic's type, once the master, a client or a publisher told it.
    pub(crate) type_name: Option<String>,
    /// Registered with the current master.
    pub(crate) registered: bool,
    /// Publisher nodes seen in the last `getSystemState`.
    pub(crate) publishers: Vec<String>,
    /// Open connections by publisher slave URI.
    pub(crate) links: HashMap<String, AbortHandle>,
    /// Since when no client subscription uses the topic (or since the last `get_latest`).
    pub(crate) idle_since: Option<Instant>,
}

/// The subscribed topics.
#[derive(Debug, Default)]
pub(crate) struct Topics {
    map: Mutex<HashMap<String, Topic>>,
}

impl Topics {
    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<String, Topic>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Starts a connection task to each publisher URI not connected yet.
pub(crate) fn connect_publishers(shared: &Arc<Shared>, topic: &str, uris: Vec<String>) {
    let mut topics = shared.topics.lock();
    let Some(entry) = topics.get_mut(topic) else { return };
    entry.links.retain(|_, handle| !handle.is_finished());
    for uri in uris {
        if entry.links.contains_key(&uri) {
            continue;
        }
        let task = tokio::spawn(link(shared.clone(), topic.to_owned(), uri.clone()));
        entry.links.insert(uri, task.abort_handle());
    }
}

/// One publisher connection: `requestTopic`, TCPROS header exchange, then frames until EOF.
async fn link(shared: Arc<Shared>, topic: String, uri: String) {
    if let Err(error) = run_link(&shared, &topic, &uri).await {
        tracing::info!(topic, publisher = uri, %error, "publisher connection failed");
        // Stay in the topic's links for a while, so that the master poll does not reconnect
        // (and fail) twice a second.
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

async fn run_link(shared: &Arc<Shared>, topic: &str, uri: &str) -> Result<(), LinkError> {
    let slave = Api::new(uri, &shared.caller_id);
    let request = topic.to_owned();
    let (host, port) = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio::task::spawn_blocking(move || slave.request_topic(&request)),
    )
    .await???;
    let mut stream =
        tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port))).await??;
    stream.set_nodelay(true)?;
    let known = shared.topics.lock().get(topic).and_then(|t| t.type_name.clone());
    let local = match &known {
        Some(type_name) => shared.message_type(type_name).await.ok(),
        None => None,
    };
    let (md5, type_name) = match &local {
        Some(t) => (t.md5sum().to_owned(), t.name().to_owned()),
        None => ("*".to_owned(), "*".to_owned()),
    };
    let header = tcpros::encode_header(&[
        ("callerid", &shared.caller_id),
        ("topic", topic),
        ("md5sum", &md5),
        ("type", &type_name),
        ("tcp_nodelay", "1"),
    ]);
    tokio::io::AsyncWriteExt::write_all(&mut stream, &header).await?;
    let fields = tokio::time::timeout(CONNECT_TIMEOUT, tcpros::read_header(&mut stream)).await??;
    if let Some(error) = fields.get("error") {
        return Err(LinkError::Refused(error.clone()));
    }
    let their_type = fields.get("type").cloned().unwrap_or_default();
    let their_md5 = fields.get("md5sum").cloned().unwrap_or_default();
    let decoder = decoder(shared, local, &their_type, &their_md5, &fields).await?;
    {
        let mut topics = shared.topics.lock();
        if let Some(entry) = topics.get_mut(topic)
            && entry.type_name.is_none()
        {
            entry.type_name = Some(their_type.clone());
        }
    }
    tracing::debug!(topic, publisher = uri, r#type = their_type, "connected to publisher");
    loop {
        let frame = match tcpros::read_frame(&mut stream, tcpros::MAX_MESSAGE).await {
            Ok(frame) => frame,
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        match decoder.decode(&frame) {
            Ok((msg, attachments)) => {
                let mut topics = shared.topics.lock();
                let Some(entry) = topics.get_mut(topic) else { return Ok(()) };
                entry.fanout.publish(Payload { msg, attachments });
            }
            Err(error) => {
                tracing::warn!(topic, publisher = uri, %error, "undecodable message skipped");
            }
        }
    }
}

/// The decoder for a connection: the local `.msg` when its md5sum matches the publisher's,
/// else the definition from the publisher's connection header.
async fn decoder(
    shared: &Arc<Shared>,
    local: Option<Arc<MsgType>>,
    their_type: &str,
    their_md5: &str,
    fields: &HashMap<String, String>,
) -> Result<Arc<MsgType>, LinkError> {
    if let Some(local) = local.filter(|t| t.md5sum() == their_md5 && t.name() == their_type) {
        return Ok(local);
    }
    if let Ok(local) = shared.message_type(their_type).await
        && local.md5sum() == their_md5
    {
        return Ok(local);
    }
    let definition = fields.get("message_definition").cloned().unwrap_or_default();
    let registry = shared.registry.clone();
    let type_name = their_type.to_owned();
    let built = tokio::task::spawn_blocking(move || {
        registry.message_from_definition(&type_name, &definition)
    })
    .await??;
    Ok(built)
}
