//! One connection to the bridge: a writer task fed by a channel, and a reader task that
//! routes replies to the waiting request (by id), `msg` events to subscription channels and
//! `graph` events to graph watchers. The tasks drive the two halves of [`crate::wire`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bridge_protocol::frame::FrameError;
use bridge_protocol::{DEFAULT_MAX_FRAME, ErrorBody, Event, Op, Reply, Request, ServerMessage};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::error::{Error, Remote, Result};
use crate::message::{GraphEvent, Message, Payload};
use crate::wire::{self, FrameReader, FrameWriter, WireError};

/// Messages buffered per subscription in the client before it drops (and counts) them.
pub(crate) const SUBSCRIPTION_BUFFER: usize = 1024;

/// State shared by the tasks of a connection and every handle using it.
#[derive(Debug)]
pub(crate) struct Shared {
    out: mpsc::UnboundedSender<Vec<u8>>,
    state: Mutex<State>,
    next_id: AtomicU64,
    max_frame: AtomicUsize,
}

#[derive(Debug, Default)]
struct State {
    pending: HashMap<u64, oneshot::Sender<Reply>>,
    subs: HashMap<u64, SubSlot>,
    graph: HashMap<u64, mpsc::UnboundedSender<GraphEvent>>,
    /// Set once the connection is over; with the bridge's last uncorrelated error, if any.
    closed: Option<Option<ErrorBody>>,
    /// An error reply with `"id": null` (e.g. a refused peer uid), reported when the
    /// connection then closes.
    uncorrelated: Option<ErrorBody>,
}

#[derive(Debug)]
struct SubSlot {
    tx: mpsc::Sender<Message>,
    /// Messages lost in this client since the last one queued.
    lost: u64,
}

/// The reader and writer tasks; aborted when the last handle goes.
#[derive(Debug)]
pub(crate) struct Tasks {
    reader: AbortHandle,
    writer: AbortHandle,
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Connects to `path` and starts the reader and writer tasks.
pub(crate) async fn open(path: &std::path::Path) -> Result<(Arc<Shared>, Tasks)> {
    let stream = UnixStream::connect(path)
        .await
        .map_err(|source| Error::Connect { path: path.to_owned(), source })?;
    let (reader, writer) = wire::split(stream);
    let (out, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        out,
        state: Mutex::new(State::default()),
        next_id: AtomicU64::new(1),
        max_frame: AtomicUsize::new(DEFAULT_MAX_FRAME),
    });
    let writer = tokio::spawn(write_loop(writer, rx)).abort_handle();
    let reader = tokio::spawn(read_loop(shared.clone(), reader)).abort_handle();
    Ok((shared, Tasks { reader, writer }))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the frame limit announced by the bridge.
    pub(crate) fn set_max_frame(&self, max_frame: usize) {
        self.max_frame.store(max_frame, Ordering::Relaxed);
    }

    fn encode(&self, op: Op, attachments: Vec<Vec<u8>>) -> Result<(u64, Vec<u8>)> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let name = op.name();
        let bytes = Request { id, op, attachments }
            .to_frame()
            .encode(self.max_frame.load(Ordering::Relaxed))
            .map_err(|error| match error {
                FrameError::TooLarge { .. } => {
                    Error::TooLarge(Remote::new(format!("`{name}` request not sent: {error}")))
                }
                other => Error::InvalidRequest(Remote::new(other.to_string())),
            })?;
        Ok((id, bytes))
    }

    fn closed_error(state: &State) -> Error {
        match &state.closed {
            Some(Some(body)) => Error::from(body.clone()),
            _ => Error::ConnectionLost,
        }
    }

    /// Sends a request and waits up to `timeout` for its reply.
    pub(crate) async fn request(
        self: &Arc<Self>,
        op: Op,
        attachments: Vec<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Payload> {
        let name = op.name();
        let (id, bytes) = self.encode(op, attachments)?;
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.lock();
            if state.closed.is_some() {
                return Err(Self::closed_error(&state));
            }
            state.pending.insert(id, tx);
        }
        // Removes the pending entry when the caller gives up (timeout or a dropped future).
        let _forget = Forget { shared: self, id };
        if self.out.send(bytes).is_err() {
            return Err(Error::ConnectionLost);
        }
        match tokio::time::timeout(timeout, rx).await {
            Err(_) => Err(Error::Timeout(Remote::new(format!(
                "no reply to `{name}` within {:.3} s",
                timeout.as_secs_f64()
            )))),
            Ok(Err(_)) => Err(Self::closed_error(&self.lock())),
            Ok(Ok(reply)) => match reply.outcome {
                Ok(value) => Ok(Payload { value, attachments: reply.attachments }),
                Err(body) => Err(Error::from(body)),
            },
        }
    }

    /// Sends a request whose reply nobody waits for (unsubscribing from `Drop`).
    pub(crate) fn send_nowait(&self, op: Op) {
        if self.lock().closed.is_some() {
            return;
        }
        if let Ok((_, bytes)) = self.encode(op, Vec::new()) {
            let _ = self.out.send(bytes);
        }
    }

    /// Registers subscription `sub_id` before it is requested, so no event is missed.
    pub(crate) fn add_subscription(&self, sub_id: u64) -> mpsc::Receiver<Message> {
        let (tx, rx) = mpsc::channel(SUBSCRIPTION_BUFFER);
        self.lock().subs.insert(sub_id, SubSlot { tx, lost: 0 });
        rx
    }

    pub(crate) fn remove_subscription(&self, sub_id: u64) {
        self.lock().subs.remove(&sub_id);
    }

    /// Registers a graph watcher.
    pub(crate) fn add_graph_watcher(&self, watch_id: u64) -> mpsc::UnboundedReceiver<GraphEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().graph.insert(watch_id, tx);
        rx
    }

    /// Removes a graph watcher; returns whether none is left.
    pub(crate) fn remove_graph_watcher(&self, watch_id: u64) -> bool {
        let mut state = self.lock();
        state.graph.remove(&watch_id);
        state.graph.is_empty()
    }

    fn dispatch(&self, message: ServerMessage) {
        match message {
            ServerMessage::Reply(reply) => match reply.id {
                Some(id) => {
                    let slot = self.lock().pending.remove(&id);
                    if let Some(tx) = slot {
                        let _ = tx.send(reply);
                    }
                }
                None => {
                    if let Err(body) = reply.outcome {
                        tracing::warn!(code = %body.code, message = body.message, "bridge error");
                        self.lock().uncorrelated = Some(body);
                    }
                }
            },
            ServerMessage::Event(
                Event::Msg { sub_id, topic, seq, dropped, stamp_recv, msg },
                attachments,
            ) => {
                let mut state = self.lock();
                let Some(slot) = state.subs.get_mut(&sub_id) else {
                    return;
                };
                let message = Message {
                    topic,
                    seq,
                    dropped: dropped + slot.lost,
                    stamp: stamp_recv,
                    msg,
                    attachments,
                };
                match slot.tx.try_send(message) {
                    Ok(()) => slot.lost = 0,
                    Err(mpsc::error::TrySendError::Full(message)) => {
                        slot.lost = message.dropped + 1
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        state.subs.remove(&sub_id);
                    }
                }
            }
            ServerMessage::Event(Event::Graph { added, removed }, _) => {
                let event = GraphEvent { added, removed };
                self.lock().graph.retain(|_, tx| tx.send(event.clone()).is_ok());
            }
            ServerMessage::Event(Event::Status { level, code, message, .. }, _) => {
                tracing::info!(level, code, message, "bridge status");
            }
            ServerMessage::Event(Event::Unknown, _) => {}
        }
    }

    fn close(&self) {
        let mut state = self.lock();
        let reason = state.uncorrelated.take();
        state.closed = Some(reason);
        // Dropping the senders wakes every waiting request and ends every stream.
        state.pending.clear();
        state.subs.clear();
        state.graph.clear();
    }
}

/// Forgets a pending request when its caller stops waiting.
struct Forget<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.shared.lock().pending.remove(&self.id);
    }
}

async fn read_loop(shared: Arc<Shared>, mut reader: FrameReader) {
    loop {
        reader.set_max_frame(shared.max_frame.load(Ordering::Relaxed));
        match reader.recv().await {
            Ok(Some(message)) => shared.dispatch(message),
            Ok(None) => break,
            Err(WireError::Message(error)) => {
                tracing::warn!(%error, "ignoring a frame from the bridge");
            }
            Err(WireError::Frame(error)) => {
                tracing::warn!(%error, "invalid frame from the bridge; closing the connection");
                break;
            }
            Err(error) => {
                tracing::debug!(%error, "reading from the bridge failed");
                break;
            }
        }
    }
    shared.close();
}

async fn write_loop(mut writer: FrameWriter, mut rx: mpsc::UnboundedReceiver<Vec<u8>>) {
    while let Some(bytes) = rx.recv().await {
        if let Err(error) = writer.send_raw(&bytes).await {
            tracing::debug!(%error, "writing to the bridge failed");
            return;
        }
    }
    let _ = writer.shutdown().await;
}
