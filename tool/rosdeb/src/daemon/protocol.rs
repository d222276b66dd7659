//! What a client and the index daemon say to each other: one request, one reply, each a
//! length-prefixed postcard frame on a Unix stream socket.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::compat::{Output, Tool};

/// Frames larger than this are refused (a rospack answer is a few MiB at most).
const MAX_FRAME: u32 = 256 << 20;
/// Requests larger than this are refused by the daemon (arguments and environment of a process
/// fit in a few hundred KiB).
pub const MAX_REQUEST: u32 = 4 << 20;

/// A client's request.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Answer a rospack/rosstack command line as the client would.
    Query {
        /// The client binary's identity ([`super::identity`]); a daemon built from another
        /// binary replies [`Reply::Stale`].
        identity: String,
        /// rospack or rosstack.
        tool: Tool,
        /// The arguments after the program name, as bytes.
        args: Vec<Vec<u8>>,
        /// The client's environment.
        env: Vec<(String, String)>,
        /// The client's working directory, as bytes.
        cwd: Option<Vec<u8>>,
    },
    /// Report counters.
    Status,
    /// Exit after replying.
    Stop,
}

/// The daemon's reply.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// The answer, exactly as a local run would give it.
    Answer(Answer),
    /// The client should answer locally (and not start another daemon); the reason is logged.
    Decline(String),
    /// The daemon runs another build of rosdeb; it exits after this reply.
    Stale,
    /// Counters.
    Status(Status),
    /// The daemon is exiting.
    Stopping,
}

/// A query's whole result, as a local run would give it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// What rospack prints on stdout (as one byte string on the wire, not a sequence of bytes).
    #[serde(with = "serde_bytes")]
    pub stdout: Vec<u8>,
    /// What it prints on stderr.
    #[serde(with = "serde_bytes")]
    pub stderr: Vec<u8>,
    /// Whether it exits non-zero.
    pub failed: bool,
}

impl From<Output> for Answer {
    fn from(output: Output) -> Self {
        Answer { stdout: output.stdout, stderr: output.stderr, failed: output.failed }
    }
}

/// What `rosdeb daemon status` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Process id.
    pub pid: u32,
    /// Queries answered.
    pub served: u64,
    /// Times the index was validated again after a change.
    pub revalidations: u64,
    /// inotify watches held.
    pub watches: usize,
    /// Package and stack directories in its indexes.
    pub packages: usize,
    /// Search paths (indexes) it serves.
    pub indexes: usize,
    /// Why queries are declined (a remote file system, no inotify), if so.
    pub declining: Option<String>,
    /// The daemon binary's identity ([`super::identity`]).
    pub identity: String,
}

/// One frame's bytes: length (u32, little endian), then the postcard body.
pub fn frame<T: Serialize>(message: &T) -> std::io::Result<Vec<u8>> {
    let body = postcard::to_allocvec(message).map_err(std::io::Error::other)?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&n| n <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::other("message too large"))?;
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// The body of the frame at the start of `buf` once it is complete (`None`: more bytes are
/// needed); an error when its length exceeds `max`.
pub fn complete_frame(buf: &[u8], max: u32) -> std::io::Result<Option<&[u8]>> {
    let Some((len, rest)) = buf.split_first_chunk::<4>() else { return Ok(None) };
    let len = u32::from_le_bytes(*len);
    if len > max {
        return Err(std::io::Error::other("frame too large"));
    }
    Ok(rest.get(..len as usize))
}

/// Decodes a frame's body.
pub fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> std::io::Result<T> {
    postcard::from_bytes(body).map_err(std::io::Error::other)
}

/// Writes one frame.
pub fn send<T: Serialize>(stream: &mut impl Write, message: &T) -> std::io::Result<()> {
    stream.write_all(&frame(message)?)?;
    stream.flush()
}

/// Reads one frame.
pub fn receive<T: for<'de> Deserialize<'de>>(stream: &mut impl Read) -> std::io::Result<T> {
    let mut len = [0; 4];
    stream.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len);
    if len > MAX_FRAME {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut body = vec![0; len as usize];
    stream.read_exact(&mut body)?;
    postcard::from_bytes(&body).map_err(std::io::Error::other)
}
