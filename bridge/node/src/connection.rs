//! Reading frames from and writing frames to one Unix stream, with the per-connection
//! outbound byte budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bridge_protocol::frame::{self, Frame, FrameError};
use bridge_protocol::{Event, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

/// The part of a connection's send budget kept for what the queue does not count (the frame
/// being rendered, the subscription queues, buffers), as a fraction: 1/8 (512 KiB of the
/// default 4 MiB). Stream events may fill the rest, so that a connection that stops reading
/// costs at most its budget.
const RESERVE_DIVISOR: usize = 8;

/// What the reader got from the stream.
#[derive(Debug)]
pub(crate) enum Incoming {
    Frame(Frame),
    /// A body that is not a valid frame; the stream is still in sync.
    Malformed(FrameError),
    /// A length prefix that cannot be honoured (too large or too short); the stream is lost.
    Fatal(FrameError),
    Closed,
}

/// Buffered frame reader.
#[derive(Debug)]
pub(crate) struct FrameReader {
    stream: OwnedReadHalf,
    buffer: Vec<u8>,
    max_frame: usize,
}

impl FrameReader {
    pub(crate) fn new(stream: OwnedReadHalf, max_frame: usize) -> Self {
        FrameReader { stream, buffer: Vec::with_capacity(8 * 1024), max_frame }
    }

    /// Reads the next frame. I/O errors count as a closed connection.
    pub(crate) async fn next(&mut self) -> Incoming {
        loop {
            match frame::decode(&self.buffer, self.max_frame) {
                Ok(Some((frame, used))) => {
                    self.buffer.drain(..used);
                    return Incoming::Frame(frame);
                }
                Ok(None) => {}
                Err(error @ (FrameError::TooLarge { .. } | FrameError::TooShort { .. })) => {
                    return Incoming::Fatal(error);
                }
                Err(error) => {
                    // The prefix was valid and the whole body is buffered: skip it.
                    let len = frame::body_len(&self.buffer, self.max_frame)
                        .ok()
                        .flatten()
                        .map_or(self.buffer.len(), |l| 4 + l);
                    self.buffer.drain(..len.min(self.buffer.len()));
                    return Incoming::Malformed(error);
                }
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Incoming::Closed,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

/// The sending side shared by all tasks of a connection. Replies are always queued; stream
/// events are refused while the queued bytes exceed the budget.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
    budget: usize,
    max_frame: usize,
}

impl Outbox {
    /// Spawns the writer task for `stream`.
    pub(crate) fn spawn(
        stream: OwnedWriteHalf,
        budget: usize,
        max_frame: usize,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let writer = tokio::spawn(write_loop(stream, rx, queued.clone()));
        (Outbox { tx, queued, budget, max_frame }, writer)
    }

    pub(crate) fn reply(&self, reply: &Reply) {
        let bytes = match reply.to_frame().encode(self.max_frame) {
            Ok(bytes) => bytes,
            Err(error) => {
                let fallback = Reply::err(
                    reply.id,
                    bridge_protocol::ErrorBody::new(
                        bridge_protocol::ErrorCode::TooLarge,
                        format!("reply cannot be sent: {error}"),
                    ),
                );
                match fallback.to_frame().encode(self.max_frame) {
                    Ok(bytes) => bytes,
                    Err(_) => return,
                }
            }
        };
        self.send(bytes);
    }

    /// Whether `bytes` more would still fit in the budget (checked before rendering a large
    /// message, so that a connection that does not read costs no copies of what it will miss).
    pub(crate) fn has_room(&self, bytes: usize) -> bool {
        self.queued.load(Ordering::Acquire) + bytes <= self.event_limit()
    }

    /// The bytes of events that may be queued: the budget less its reserve.
    fn event_limit(&self) -> usize {
        self.budget - self.budget / RESERVE_DIVISOR
    }

    /// Queues an event unless the budget is exhausted; returns whether it was queued.
    pub(crate) fn event(&self, event: &Event, attachments: Vec<Vec<u8>>) -> bool {
        let attachments: Vec<&[u8]> = attachments.iter().map(Vec::as_slice).collect();
        self.event_parts(event, &attachments)
    }

    /// [`Outbox::event`] with borrowed attachments (copied once, into the frame).
    pub(crate) fn event_parts(&self, event: &Event, attachments: &[&[u8]]) -> bool {
        let Ok(bytes) = event.encode(attachments, self.max_frame) else {
            return false;
        };
        if self.queued.load(Ordering::Acquire) + bytes.len() > self.event_limit() {
            return false;
        }
        self.send(bytes);
        true
    }

    /// Waits until the queued bytes are within the budget. The reader calls this before
    /// reading the next request, so a client that sends without reading is slowed down by
    /// its own socket instead of growing the reply queue.
    pub(crate) async fn wait_for_room(&self) {
        while self.queued.load(Ordering::Acquire) > self.budget && !self.tx.is_closed() {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    fn send(&self, bytes: Vec<u8>) {
        self.queued.fetch_add(bytes.len(), Ordering::AcqRel);
        if self.tx.send(bytes).is_err() {
            tracing::debug!("connection writer gone");
        }
    }
}

async fn write_loop(
    mut stream: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(bytes) = rx.recv().await {
        let result = stream.write_all(&bytes).await;
        queued.fetch_sub(bytes.len(), Ordering::AcqRel);
        if let Err(error) = result {
            tracing::debug!(%error, "write failed, closing writer");
            return;
        }
    }
    let _ = stream.shutdown().await;
}
