//! Accept loop and per-connection handling: `run(listener, config, backend, shutdown)`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bridge_protocol::{ErrorBody, ErrorCode, Event, FrameError, Op, Reply, Request};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::{AbortHandle, JoinSet};
use tracing::Instrument;

use crate::access::{Class, Policy};
use crate::backend::Backend;
use crate::cmd;
use crate::connection::{FrameReader, Incoming, Outbox};

/// Limits and exposure of one listener (a "profile").
#[derive(Debug, Clone)]
pub struct Config {
    pub policy: Policy,
    /// Maximum frame body in bytes, both directions.
    pub max_frame: usize,
    /// Requests handled concurrently per connection; more answer `overloaded`.
    pub max_inflight: usize,
    /// Outbound bytes queued per connection before stream messages are dropped.
    pub send_budget: usize,
    /// Peer uids accepted (checked with SO_PEERCRED); empty (with empty `allowed_gids`)
    /// accepts everyone.
    pub allowed_uids: Vec<u32>,
    /// Peer groups accepted besides `allowed_uids` (primary or supplementary group).
    pub allowed_gids: Vec<u32>,
}

impl Config {
    /// Defaults from PROTOCOL.md: 64 MiB frames, 64 in flight, 4 MiB budget, own uid and root.
    pub fn new(policy: Policy) -> Self {
        Config {
            policy,
            max_frame: bridge_protocol::DEFAULT_MAX_FRAME,
            max_inflight: 64,
            send_budget: 4 * 1024 * 1024,
            allowed_uids: vec![rustix::process::getuid().as_raw(), 0],
            allowed_gids: Vec::new(),
        }
    }
}

/// Serves connections on `listener` until `shutdown` completes, then tells every client
/// (`status` event `shutting_down`) and closes.
pub async fn run(
    listener: UnixListener,
    config: Config,
    backend: Arc<dyn Backend>,
    shutdown: impl Future<Output = ()>,
) {
    let config = Arc::new(config);
    let session_id = new_session_id();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut next_connection = 0u64;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    next_connection += 1;
                    let span = tracing::info_span!("connection", n = next_connection);
                    connections.spawn(
                        serve(stream, config.clone(), backend.clone(), session_id.clone(), stop_rx.clone())
                            .instrument(span),
                    );
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next() => {}
            () = &mut shutdown => break,
        }
    }
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(2), drain).await.is_err() {
        connections.abort_all();
    }
}

fn new_session_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{:x}-{:x}", std::process::id(), nanos)
}

/// State shared by the tasks of one connection.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) config: Arc<Config>,
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) out: Outbox,
    pub(crate) session_id: String,
    /// The client announced the `binary` capability.
    pub(crate) binary: AtomicBool,
    pub(crate) subscriptions: Mutex<HashMap<u64, AbortHandle>>,
    pub(crate) graph_watch: Mutex<Option<AbortHandle>>,
}

impl Session {
    /// `not_allowed` unless the profile exposes `name` for `class`.
    pub(crate) fn check(&self, class: Class, name: &str) -> Result<(), ErrorBody> {
        check_name(name)?;
        if self.config.policy.allows(class, name) {
            Ok(())
        } else {
            tracing::info!(name, class = class.name(), "denied");
            Err(ErrorBody::new(
                ErrorCode::NotAllowed,
                format!("`{name}` is not exposed for {}", class.name()),
            ))
        }
    }

    fn close(&self) {
        for (_, handle) in self.subscriptions.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            handle.abort();
        }
        if let Some(handle) = self.graph_watch.lock().unwrap_or_else(|e| e.into_inner()).take() {
            handle.abort();
        }
    }
}

/// ROS graph resource names: absolute, at most 1024 bytes, no whitespace or control chars.
fn check_name(name: &str) -> Result<(), ErrorBody> {
    if name.starts_with('/')
        && name.len() <= 1024
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Ok(())
    } else {
        Err(ErrorBody::new(
            ErrorCode::InvalidRequest,
            format!("`{name}` is not a valid absolute ROS name"),
        ))
    }
}

async fn serve(
    stream: UnixStream,
    config: Arc<Config>,
    backend: Arc<dyn Backend>,
    session_id: String,
    mut stop: watch::Receiver<bool>,
) {
    let peer = stream.peer_cred().ok();
    let uid = peer.as_ref().map(|p| p.uid());
    tracing::debug!(?uid, pid = ?peer.as_ref().and_then(|p| p.pid()), "connected");
    let (read_half, write_half) = stream.into_split();
    let (out, writer) = Outbox::spawn(write_half, config.send_budget, config.max_frame);
    if !crate::peer::allowed(&config.allowed_uids, &config.allowed_gids, peer.as_ref()) {
        tracing::warn!(?uid, "peer uid refused");
        out.reply(&Reply::err(
            None,
            ErrorBody::new(ErrorCode::NotAllowed, "peer uid not allowed on this socket"),
        ));
        drop(out);
        let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
        return;
    }
    let session = Arc::new(Session {
        config: config.clone(),
        backend,
        out: out.clone(),
        session_id,
        binary: AtomicBool::new(false),
        subscriptions: Mutex::new(HashMap::new()),
        graph_watch: Mutex::new(None),
    });
    let mut reader = FrameReader::new(read_half, config.max_frame);
    let inflight = Arc::new(Semaphore::new(config.max_inflight));
    let mut tasks = JoinSet::new();
    let mut greeted = false;
    loop {
        let incoming = tokio::select! {
            incoming = async {
                out.wait_for_room().await;
                reader.next().await
            } => incoming,
            _ = stop.changed() => {
                out.event(&Event::Status {
                    level: "warning".into(),
                    code: "shutting_down".into(),
                    message: "the bridge is shutting down".into(),
                    sub_id: None,
                }, vec![]);
                break;
            }
        };
        while tasks.try_join_next().is_some() {}
        let request = match incoming {
            Incoming::Closed => break,
            Incoming::Fatal(error) => {
                let code = match error {
                    FrameError::TooLarge { .. } => ErrorCode::TooLarge,
                    _ => ErrorCode::InvalidRequest,
                };
                tracing::info!(%error, "closing connection after fatal frame error");
                out.reply(&Reply::err(None, ErrorBody::new(code, error.to_string())));
                break;
            }
            Incoming::Malformed(error) => {
                out.reply(&Reply::err(
                    None,
                    ErrorBody::new(ErrorCode::InvalidRequest, format!("malformed frame: {error}")),
                ));
                continue;
            }
            Incoming::Frame(frame) => match Request::from_frame(frame) {
                Ok(request) => request,
                Err(error) => {
                    out.reply(&Reply::err(
                        error.id,
                        ErrorBody::new(error.code(), error.to_string()),
                    ));
                    continue;
                }
            },
        };
        if let Op::Hello { .. } = request.op {
            let reply = cmd::hello(&session, &request);
            greeted |= reply.outcome.is_ok();
            out.reply(&reply);
            continue;
        }
        if !greeted {
            out.reply(&Reply::err(
                Some(request.id),
                ErrorBody::new(ErrorCode::InvalidRequest, "the first request must be `hello`"),
            ));
            continue;
        }
        let Ok(permit) = inflight.clone().try_acquire_owned() else {
            out.reply(&Reply::err(
                Some(request.id),
                ErrorBody::new(
                    ErrorCode::Overloaded,
                    format!("more than {} requests in flight", config.max_inflight),
                ),
            ));
            continue;
        };
        let session = session.clone();
        tasks.spawn(
            async move {
                cmd::execute(&session, request).await;
                drop(permit);
            }
            .in_current_span(),
        );
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    // After the request tasks are gone, so none can start a subscription behind our back.
    session.close();
    drop(session);
    drop(out);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
    tracing::debug!("disconnected");
}

pub(crate) fn binary(session: &Session) -> bool {
    session.binary.load(Ordering::Relaxed)
}
