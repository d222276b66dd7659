//! A private bridge: `pyros-bridge run` as a child process on a temporary socket, killed
//! when the client goes away (the original pyros model, for development and tests).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The backend of a private bridge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// In-memory topics, scripted services and parameters; no ROS needed.
    #[default]
    Mock,
    /// The ROS master from the environment.
    Ros,
}

impl Backend {
    fn as_str(self) -> &'static str {
        match self {
            Backend::Mock => "mock",
            Backend::Ros => "ros",
        }
    }
}

/// How to start a private bridge ([`Client::spawn`](crate::Client::spawn)).
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// The `pyros-bridge` binary; default `$PYROS_BRIDGE_EXE`, else `pyros-bridge` on `PATH`.
    pub bridge_binary: Option<PathBuf>,
    /// The backend (default `mock`).
    pub backend: Backend,
    /// `--allow` patterns (`[CLASS=]GLOB`); nothing is exposed without one.
    pub allow: Vec<String>,
    /// `--deny` patterns; deny wins.
    pub deny: Vec<String>,
    /// More arguments for `pyros-bridge run`.
    pub extra_args: Vec<OsString>,
    /// How long to wait for the socket to appear (default 10 s).
    pub startup_timeout: Duration,
}

impl Default for SpawnOptions {
    fn default() -> Self {
        SpawnOptions {
            bridge_binary: None,
            backend: Backend::Mock,
            allow: Vec::new(),
            deny: Vec::new(),
            extra_args: Vec::new(),
            startup_timeout: Duration::from_secs(10),
        }
    }
}

/// A running child bridge; killed and its socket folder removed on drop.
#[derive(Debug)]
pub(crate) struct PrivateBridge {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivateBridge {
    pub(crate) async fn start(options: &SpawnOptions) -> Result<PrivateBridge> {
        let binary = options
            .bridge_binary
            .clone()
            .or_else(|| std::env::var_os("PYROS_BRIDGE_EXE").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("pyros-bridge"));
        let fail = |message: String, source: Option<std::io::Error>| Error::Spawn {
            binary: binary.clone(),
            message,
            source,
        };
        let dir = tempfile::Builder::new()
            .prefix("pyros-")
            .tempdir()
            .map_err(|e| fail("creating a temporary folder".into(), Some(e)))?;
        let socket = dir.path().join("bridge.sock");
        let mut command = Command::new(&binary);
        command
            .arg("run")
            .arg("--backend")
            .arg(options.backend.as_str())
            .arg("--socket")
            .arg(&socket);
        for pattern in &options.allow {
            command.arg("--allow").arg(pattern);
        }
        for pattern in &options.deny {
            command.arg("--deny").arg(pattern);
        }
        command.args(&options.extra_args).stdin(Stdio::null()).stdout(Stdio::null());
        let child = command.spawn().map_err(|e| {
            fail(
                "hint: build it with `cargo build -p bridge-node`, or set `bridge_binary` or \
                 $PYROS_BRIDGE_EXE"
                    .into(),
                Some(e),
            )
        })?;
        let mut bridge = PrivateBridge { child, socket, _dir: dir };
        let started = Instant::now();
        while !bridge.socket.exists() {
            if let Ok(Some(status)) = bridge.child.try_wait() {
                return Err(fail(
                    format!("it exited with {status} before creating its socket"),
                    None,
                ));
            }
            if started.elapsed() > options.startup_timeout {
                return Err(fail(
                    format!("no socket after {:.1} s", options.startup_timeout.as_secs_f64()),
                    None,
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tracing::debug!(pid = bridge.child.id(), socket = %bridge.socket.display(), "private bridge started");
        Ok(bridge)
    }

    pub(crate) fn socket(&self) -> &Path {
        &self.socket
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for PrivateBridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
