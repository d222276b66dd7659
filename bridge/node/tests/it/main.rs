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

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bridge_protocol::{Op, ServerMessage};
use pyros::blocking::RawConnection;

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

/// A connection that completed `hello`.
fn connect(socket: &Path) -> RawConnection {
    RawConnection::greeted(socket, "it", &[]).expect("connect")
}

/// The next frame from the bridge, which must not have closed the connection.
fn recv(connection: &mut RawConnection) -> ServerMessage {
    connection.recv().expect("recv").expect("bridge closed the connection")
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
