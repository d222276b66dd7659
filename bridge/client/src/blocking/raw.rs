//! [`RawConnection`]: the protocol-level interface ([`crate::wire::RawConnection`]) without
//! async. Every raw connection of the process shares one runtime with one worker thread that
//! drives the sockets (a runtime per connection would cost several file descriptors each);
//! each call runs on the caller's thread.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bridge_protocol::{Event, Op, Reply, ServerMessage};
use serde_json::Value;
use tokio::runtime::{Handle, Runtime};

use crate::wire::{self, WireError};

/// A blocking [`wire::RawConnection`]: the same methods, without `async`.
#[derive(Debug)]
pub struct RawConnection {
    inner: wire::RawConnection,
    runtime: Handle,
}

/// The runtime of every blocking raw connection, started on first use.
fn runtime() -> Result<Handle, WireError> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime.handle().clone());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("pyros-wire")
        .enable_all()
        .build()?;
    // Another thread may have won the race; its runtime is the one kept.
    Ok(RUNTIME.get_or_init(|| runtime).handle().clone())
}

impl RawConnection {
    /// Connects to the socket at `path`; sends nothing.
    pub fn connect(path: impl AsRef<Path>) -> Result<Self, WireError> {
        let runtime = runtime()?;
        let inner = runtime.block_on(wire::RawConnection::connect(path))?;
        Ok(RawConnection { inner, runtime })
    }

    /// Connects and completes `hello` announcing `client` and `capabilities`.
    pub fn greeted(
        path: impl AsRef<Path>,
        client: &str,
        capabilities: &[&str],
    ) -> Result<Self, WireError> {
        let runtime = runtime()?;
        let inner = runtime.block_on(wire::RawConnection::greeted(path, client, capabilities))?;
        Ok(RawConnection { inner, runtime })
    }

    /// How long to wait for each frame; `None` waits for ever.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.inner.set_timeout(timeout);
    }

    /// Sets the largest frame body sent and accepted.
    pub fn set_max_frame(&mut self, max_frame: usize) {
        self.inner.set_max_frame(max_frame);
    }

    /// Sends `hello`; returns the welcome, or [`WireError::Refused`].
    pub fn hello(&mut self, client: &str, capabilities: &[&str]) -> Result<Value, WireError> {
        self.runtime.block_on(self.inner.hello(client, capabilities))
    }

    /// Sends `op` with the next id of this connection; returns the id.
    pub fn send(&mut self, op: Op, attachments: Vec<Vec<u8>>) -> Result<u64, WireError> {
        self.runtime.block_on(self.inner.send(op, attachments))
    }

    /// Sends `op` as request `id`.
    pub fn send_with_id(
        &mut self,
        id: u64,
        op: Op,
        attachments: Vec<Vec<u8>>,
    ) -> Result<(), WireError> {
        self.runtime.block_on(self.inner.send_with_id(id, op, attachments))
    }

    /// Writes `bytes` as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.runtime.block_on(self.inner.send_raw(bytes))
    }

    /// The next frame; `None` when the bridge closed the connection.
    pub fn recv(&mut self) -> Result<Option<ServerMessage>, WireError> {
        self.runtime.block_on(self.inner.recv())
    }

    /// Waits for the reply to request `id` (`None`: an uncorrelated error reply).
    pub fn reply(&mut self, id: Option<u64>) -> Result<Reply, WireError> {
        self.runtime.block_on(self.inner.reply(id))
    }

    /// Sends `op` and waits for its reply.
    pub fn request(&mut self, op: Op) -> Result<Reply, WireError> {
        self.runtime.block_on(self.inner.request(op))
    }

    /// Sends `op` with `attachments` and waits for its reply.
    pub fn request_with(&mut self, op: Op, attachments: Vec<Vec<u8>>) -> Result<Reply, WireError> {
        self.runtime.block_on(self.inner.request_with(op, attachments))
    }

    /// Waits for the next event.
    pub fn event(&mut self) -> Result<(Event, Vec<Vec<u8>>), WireError> {
        self.runtime.block_on(self.inner.event())
    }

    /// The frames read but not yet taken, oldest first.
    pub fn buffered(&self) -> impl Iterator<Item = &ServerMessage> {
        self.inner.buffered()
    }

    /// Takes the frames read but not yet taken, oldest first.
    pub fn take_buffered(&mut self) -> Vec<ServerMessage> {
        self.inner.take_buffered()
    }

    /// Reads frames until the bridge closes the connection: `true` if it did.
    pub fn closed(&mut self) -> bool {
        self.runtime.block_on(self.inner.closed())
    }
}
