//! Integration tests for `pyros-bridge`: the selftest binary, client crashes against a real
//! bridge process, the Python client, and the `ros` backend against a real roscore (also under
//! load: many clients, a stalled reader, a bridge restart).

mod config;
mod crash;
mod load;
mod python;
mod ros;
mod roscore;
mod selftest;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bridge_protocol::frame;
use bridge_protocol::{DEFAULT_MAX_FRAME, Op, Reply, Request, ServerMessage};

fn bridge_exe() -> &'static str {
    env!("CARGO_BIN_EXE_pyros-bridge")
}

/// A `pyros-bridge run` child process, killed on drop.
struct Bridge {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Bridge {
    fn start() -> Bridge {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("pyros.sock");
        let child = Command::new(bridge_exe())
            .args(["run", "--backend", "mock", "--allow", "*", "--socket"])
            .arg(&socket)
            .spawn()
            .expect("spawning pyros-bridge");
        let started = Instant::now();
        while !socket.exists() {
            assert!(started.elapsed() < Duration::from_secs(10), "bridge did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Bridge { child, socket, _dir: dir }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking protocol client.
struct Client {
    stream: UnixStream,
    buffer: Vec<u8>,
    next_id: u64,
}

impl Client {
    fn connect(socket: &Path) -> Client {
        let stream = UnixStream::connect(socket).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let mut client = Client { stream, buffer: Vec::new(), next_id: 1 };
        let welcome = client.request(Op::Hello {
            protocol: 1,
            client: Some("it".into()),
            pid: Some(std::process::id()),
            capabilities: vec![],
        });
        assert!(welcome.outcome.is_ok(), "{welcome:?}");
        client
    }

    fn send(&mut self, op: Op) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let bytes = Request { id, op, attachments: vec![] }
            .to_frame()
            .encode(DEFAULT_MAX_FRAME)
            .expect("encode");
        self.stream.write_all(&bytes).expect("write");
        id
    }

    fn recv(&mut self) -> ServerMessage {
        loop {
            if let Some((frame, used)) =
                frame::decode(&self.buffer, DEFAULT_MAX_FRAME).expect("frame")
            {
                self.buffer.drain(..used);
                return ServerMessage::from_frame(frame).expect("server message");
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "bridge closed the connection");
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }

    fn request(&mut self, op: Op) -> Reply {
        let id = self.send(op);
        loop {
            if let ServerMessage::Reply(reply) = self.recv()
                && reply.id == Some(id)
            {
                return reply;
            }
        }
    }
}

/// A streamed `subscribe` with the drop-oldest policy.
fn subscribe(topic: &str, sub_id: u64, type_name: Option<&str>, queue_length: Option<u32>) -> Op {
    Op::Subscribe {
        topic: topic.into(),
        sub_id,
        type_name: type_name.map(str::to_owned),
        mode: bridge_protocol::SubscribeMode::Stream,
        queue_length,
        policy: bridge_protocol::DropPolicy::DropOldest,
        throttle_ms: None,
    }
}
