//! Runs the Python client's `unittest` suite (`bridge/python/tests`) against a real
//! `pyros-bridge run --backend mock` with a restricted allow list. The reconnect tests start
//! (and restart) their own bridge from `PYROS_BRIDGE_EXE`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::bridge_exe;

const PYTHON: &str = "/usr/bin/python3";

/// The allow list the Python tests expect (`bridge/python/tests/allow-list.txt`, which
/// `support.py` reads too): one pattern per line, `#` comments.
fn allow_list() -> Vec<String> {
    let path = workspace_root().join("bridge/python/tests/allow-list.txt");
    let text = fs_err::read_to_string(&path).expect("the allow list");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn python_client_unittests() {
    assert!(Path::new(PYTHON).exists(), "{PYTHON} is required for the Python client tests");
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("pyros.sock");
    let mut command = Command::new(bridge_exe());
    command.args(["run", "--backend", "mock", "--socket"]).arg(&socket);
    for pattern in allow_list() {
        command.args(["--allow", &pattern]);
    }
    let _bridge = KillOnDrop(command.spawn().expect("spawning pyros-bridge"));
    let started = Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "bridge did not start");
        std::thread::sleep(Duration::from_millis(20));
    }

    let root = workspace_root();
    let output = Command::new(PYTHON)
        .args(["-m", "unittest", "discover", "-s", "bridge/python/tests", "-v"])
        .current_dir(&root)
        .env("PYTHONPATH", root.join("bridge/python"))
        .env("PYROS_SOCKET", &socket)
        .env("PYROS_BRIDGE_EXE", bridge_exe())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("running python3 -m unittest");
    let report = String::from_utf8_lossy(&output.stderr);
    eprintln!("{report}");
    assert!(output.status.success(), "Python client tests failed");
    assert!(report.contains("\nOK"), "no OK summary");
    assert!(!report.contains("skipped"), "some Python tests were skipped");
}
