//! The protocol-level interface, for conformance tests and tools: [`RawConnection`] sends any
//! [`Op`] with a chosen id and attachments, or raw bytes, and reads the bridge's frames one by
//! one in the order they came ([`ServerMessage`]: replies and events). Nothing is done behind
//! the caller's back: no `hello` unless asked, no limits applied from the welcome, no
//! background task. [`FrameReader`] and [`FrameWriter`] are its two halves; the high-level
//! [`Client`](crate::Client) runs them in its reader and writer tasks.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bridge_protocol::frame::{self, FrameError};
use bridge_protocol::{
    DEFAULT_MAX_FRAME, ErrorBody, Event, Op, PROTOCOL_VERSION, Reply, Request, ServerMessage,
    ServerMessageError,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

/// How long [`RawConnection`] waits for a frame unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Bytes read from the socket at a time (at least).
const READ_CHUNK: usize = 16 * 1024;

/// A failure of the protocol-level interface.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The socket could not be connected.
    #[error("connecting to `{}`: {source}", path.display())]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Reading or writing failed (also starting a blocking connection's runtime).
    #[error("I/O error on the bridge connection: {0}")]
    Io(#[from] io::Error),
    /// The bytes are not a frame: the stream is out of step and the connection unusable.
    #[error("invalid frame from the bridge: {0}")]
    Frame(FrameError),
    /// A well-formed frame that is no server message; it was consumed and the connection
    /// stays usable.
    #[error(transparent)]
    Message(#[from] ServerMessageError),
    /// A request that cannot be encoded (too large, too many attachments).
    #[error("request not sent: {0}")]
    Encode(FrameError),
    /// No frame from the bridge within the timeout.
    #[error("no frame from the bridge within {0:?}")]
    Timeout(Duration),
    /// The bridge closed the connection while a reply or an event was awaited.
    #[error("the bridge closed the connection while waiting for {0}")]
    Closed(String),
    /// `hello` was refused.
    #[error("hello refused: {}: {}", .0.code, .0.message)]
    Refused(ErrorBody),
}

/// The reading half: decodes the bridge's frames from the socket.
#[derive(Debug)]
pub struct FrameReader {
    stream: OwnedReadHalf,
    buffer: Vec<u8>,
    /// Bytes of `buffer` already decoded.
    start: usize,
    max_frame: usize,
}

impl FrameReader {
    /// Reads frames from `stream`, refusing frames larger than [`DEFAULT_MAX_FRAME`].
    pub fn new(stream: OwnedReadHalf) -> Self {
        FrameReader {
            stream,
            buffer: Vec::with_capacity(READ_CHUNK),
            start: 0,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// Sets the largest frame body accepted.
    pub fn set_max_frame(&mut self, max_frame: usize) {
        self.max_frame = max_frame;
    }

    /// The next frame from the bridge; `None` once the bridge closed the connection (a
    /// partial frame left at that point is dropped). Cancel safe: a dropped call loses no
    /// bytes. After [`WireError::Message`] the connection is still usable; after any other
    /// error it is not.
    pub async fn recv(&mut self) -> Result<Option<ServerMessage>, WireError> {
        loop {
            if let Some((frame, used)) = frame::decode(&self.buffer[self.start..], self.max_frame)
                .map_err(WireError::Frame)?
            {
                self.start += used;
                return Ok(Some(ServerMessage::from_frame(frame)?));
            }
            self.buffer.drain(..self.start);
            self.start = 0;
            self.buffer.reserve(READ_CHUNK);
            if self.stream.read_buf(&mut self.buffer).await? == 0 {
                return Ok(None);
            }
        }
    }
}

/// The writing half: requests and raw bytes to the bridge.
#[derive(Debug)]
pub struct FrameWriter {
    stream: OwnedWriteHalf,
    max_frame: usize,
}

impl FrameWriter {
    /// Writes to `stream`, encoding requests up to [`DEFAULT_MAX_FRAME`].
    pub fn new(stream: OwnedWriteHalf) -> Self {
        FrameWriter { stream, max_frame: DEFAULT_MAX_FRAME }
    }

    /// Sets the largest frame body encoded by [`FrameWriter::send`].
    pub fn set_max_frame(&mut self, max_frame: usize) {
        self.max_frame = max_frame;
    }

    /// Sends `op` as request `id` with `attachments` (referenced as `{"$bin": i}`).
    pub async fn send(
        &mut self,
        id: u64,
        op: Op,
        attachments: Vec<Vec<u8>>,
    ) -> Result<(), WireError> {
        let bytes = Request { id, op, attachments }
            .to_frame()
            .encode(self.max_frame)
            .map_err(WireError::Encode)?;
        self.send_raw(&bytes).await
    }

    /// Writes `bytes` as they are: a malformed frame, half a frame, a bare length prefix.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        Ok(self.stream.write_all(bytes).await?)
    }

    /// Closes the writing direction (the bridge sees end of stream).
    pub async fn shutdown(&mut self) -> Result<(), WireError> {
        Ok(self.stream.shutdown().await?)
    }
}

/// Splits a connected stream into its two halves.
pub fn split(stream: UnixStream) -> (FrameReader, FrameWriter) {
    let (read_half, write_half) = stream.into_split();
    (FrameReader::new(read_half), FrameWriter::new(write_half))
}

/// One connection at the protocol level. Frames read while waiting for a particular reply or
/// event are kept, in order, for the next [`RawConnection::recv`], [`RawConnection::reply`]
/// or [`RawConnection::event`]. Every wait for a frame gives up after the timeout
/// ([`DEFAULT_TIMEOUT`]; see [`RawConnection::set_timeout`]).
#[derive(Debug)]
pub struct RawConnection {
    reader: FrameReader,
    writer: FrameWriter,
    buffered: VecDeque<ServerMessage>,
    next_id: u64,
    timeout: Option<Duration>,
}

impl RawConnection {
    /// Connects to the socket at `path`; sends nothing.
    pub async fn connect(path: impl AsRef<Path>) -> Result<Self, WireError> {
        let path = path.as_ref();
        let stream = UnixStream::connect(path)
            .await
            .map_err(|source| WireError::Connect { path: path.to_owned(), source })?;
        Ok(Self::from_stream(stream))
    }

    /// Connects and completes `hello` (protocol 1) announcing `client` and `capabilities`.
    pub async fn greeted(
        path: impl AsRef<Path>,
        client: &str,
        capabilities: &[&str],
    ) -> Result<Self, WireError> {
        let mut connection = Self::connect(path).await?;
        connection.hello(client, capabilities).await?;
        Ok(connection)
    }

    /// A connection on an already connected stream.
    pub fn from_stream(stream: UnixStream) -> Self {
        let (reader, writer) = split(stream);
        RawConnection {
            reader,
            writer,
            buffered: VecDeque::new(),
            next_id: 1,
            timeout: Some(DEFAULT_TIMEOUT),
        }
    }

    /// How long to wait for each frame; `None` waits for ever.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Sets the largest frame body sent and accepted (default [`DEFAULT_MAX_FRAME`]).
    pub fn set_max_frame(&mut self, max_frame: usize) {
        self.reader.set_max_frame(max_frame);
        self.writer.set_max_frame(max_frame);
    }

    /// Sends `hello` with this crate's protocol version, `client`, this process id and
    /// `capabilities`; returns the welcome, or [`WireError::Refused`].
    pub async fn hello(&mut self, client: &str, capabilities: &[&str]) -> Result<Value, WireError> {
        let op = Op::Hello {
            protocol: PROTOCOL_VERSION,
            client: Some(client.to_owned()),
            pid: Some(std::process::id()),
            capabilities: capabilities.iter().map(|c| (*c).to_owned()).collect(),
        };
        self.request(op).await?.outcome.map_err(WireError::Refused)
    }

    /// Sends `op` with the next id of this connection (1, 2, ...; ids given to
    /// [`RawConnection::send_with_id`] do not count); returns the id.
    pub async fn send(&mut self, op: Op, attachments: Vec<Vec<u8>>) -> Result<u64, WireError> {
        let id = self.next_id;
        self.next_id += 1;
        self.writer.send(id, op, attachments).await?;
        Ok(id)
    }

    /// Sends `op` as request `id`.
    pub async fn send_with_id(
        &mut self,
        id: u64,
        op: Op,
        attachments: Vec<Vec<u8>>,
    ) -> Result<(), WireError> {
        self.writer.send(id, op, attachments).await
    }

    /// Writes `bytes` as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.writer.send_raw(bytes).await
    }

    /// The next frame: the oldest kept one, else the next from the socket; `None` when the
    /// bridge closed the connection.
    pub async fn recv(&mut self) -> Result<Option<ServerMessage>, WireError> {
        if let Some(message) = self.buffered.pop_front() {
            return Ok(Some(message));
        }
        self.read().await
    }

    async fn read(&mut self) -> Result<Option<ServerMessage>, WireError> {
        match self.timeout {
            None => self.reader.recv().await,
            Some(limit) => tokio::time::timeout(limit, self.reader.recv())
                .await
                .map_err(|_| WireError::Timeout(limit))?,
        }
    }

    /// Waits for the reply to request `id` (`None`: an uncorrelated error reply), keeping
    /// the frames before it.
    pub async fn reply(&mut self, id: Option<u64>) -> Result<Reply, WireError> {
        let wanted =
            |message: &ServerMessage| matches!(message, ServerMessage::Reply(r) if r.id == id);
        if let Some(ServerMessage::Reply(reply)) = self.take_kept(wanted) {
            return Ok(reply);
        }
        loop {
            match self.read().await? {
                Some(ServerMessage::Reply(reply)) if reply.id == id => return Ok(reply),
                Some(other) => self.buffered.push_back(other),
                None => return Err(WireError::Closed(format!("reply {id:?}"))),
            }
        }
    }

    /// Sends `op` and waits for its reply.
    pub async fn request(&mut self, op: Op) -> Result<Reply, WireError> {
        self.request_with(op, Vec::new()).await
    }

    /// Sends `op` with `attachments` and waits for its reply.
    pub async fn request_with(
        &mut self,
        op: Op,
        attachments: Vec<Vec<u8>>,
    ) -> Result<Reply, WireError> {
        let id = self.send(op, attachments).await?;
        self.reply(Some(id)).await
    }

    /// Waits for the next event, keeping the replies before it.
    pub async fn event(&mut self) -> Result<(Event, Vec<Vec<u8>>), WireError> {
        let is_event = |message: &ServerMessage| matches!(message, ServerMessage::Event(..));
        if let Some(ServerMessage::Event(event, attachments)) = self.take_kept(is_event) {
            return Ok((event, attachments));
        }
        loop {
            match self.read().await? {
                Some(ServerMessage::Event(event, attachments)) => return Ok((event, attachments)),
                Some(other) => self.buffered.push_back(other),
                None => return Err(WireError::Closed("an event".into())),
            }
        }
    }

    /// Takes the oldest kept frame that is `wanted`.
    fn take_kept(&mut self, wanted: impl Fn(&ServerMessage) -> bool) -> Option<ServerMessage> {
        let index = self.buffered.iter().position(wanted)?;
        self.buffered.remove(index)
    }

    /// The frames read but not yet taken, oldest first.
    pub fn buffered(&self) -> impl Iterator<Item = &ServerMessage> {
        self.buffered.iter()
    }

    /// Takes the frames read but not yet taken, oldest first.
    pub fn take_buffered(&mut self) -> Vec<ServerMessage> {
        self.buffered.drain(..).collect()
    }

    /// Reads (and drops) frames until the bridge closes the connection: `true` if it did
    /// (end of stream or a reset), `false` on a timeout or any other error.
    pub async fn closed(&mut self) -> bool {
        self.buffered.clear();
        loop {
            match self.read().await {
                Ok(None) => return true,
                Ok(Some(_)) => {}
                Err(WireError::Io(error)) => {
                    return error.kind() == io::ErrorKind::ConnectionReset;
                }
                Err(_) => return false,
            }
        }
    }
}
