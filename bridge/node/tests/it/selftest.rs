//! `pyros-bridge selftest` passes and ends with the summary line; `selftest --socket PATH`
//! checks a running bridge (ros backend on a real roscore, mock backend), reports an
//! unreachable or refusing bridge clearly with a nonzero status; `run` without `--backend`
//! talks to ROS.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::roscore::{Roscore, ros_bridge};
use super::{Bridge, bridge_exe};

/// (passed, failed) from the last stdout line, `N passed, M failed`.
fn summary(output: &Output) -> (u32, u32) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    last.split_once(" passed, ")
        .and_then(|(p, f)| {
            Some((p.parse::<u32>().ok()?, f.strip_suffix(" failed")?.parse::<u32>().ok()?))
        })
        .unwrap_or_else(|| panic!("bad summary line {last:?}\n{stdout}"))
}

/// `pyros-bridge selftest --socket PATH`.
fn selftest_socket(socket: &Path) -> Output {
    Command::new(bridge_exe())
        .args(["selftest", "--socket"])
        .arg(socket)
        .output()
        .expect("running pyros-bridge selftest --socket")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every check of a live run passed, with the exit status 0.
fn assert_all_passed(output: &Output) -> String {
    let text = stdout(output);
    let (passed, failed) = summary(output);
    assert_eq!(failed, 0, "{text}");
    assert!(passed >= 10, "{text}");
    assert!(output.status.success(), "{text}");
    text
}

#[test]
fn selftest_passes() {
    let output =
        Command::new(bridge_exe()).arg("selftest").output().expect("running pyros-bridge selftest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (passed, failed) = summary(&output);
    assert_eq!(failed, 0, "{stdout}");
    assert!(passed >= 20, "{stdout}");
    assert!(output.status.success(), "{stdout}");
}

#[test]
fn selftest_socket_checks_a_ros_bridge_on_a_real_roscore() {
    let roscore = Roscore::start();
    let bridge = ros_bridge(&roscore, &["*"]);
    let text = assert_all_passed(&selftest_socket(&bridge.socket));
    assert!(text.contains("ok     hello (protocol 1): pyros-bridge "), "{text}");
    assert!(text.contains(", backend ros ("), "{text}");
    assert!(text.contains("ok     ROS master connection"), "{text}");
    // roscore's own rosout node publishes /rosout_agg: a topic to subscribe to exists.
    assert!(text.contains("ok     subscribe and unsubscribe an exposed topic: /"), "{text}");
    // With a test topic, a message goes out through ROS and comes back.
    let output = Command::new(bridge_exe())
        .args(["selftest", "--topic", "/pyros_selftest", "--socket"])
        .arg(&bridge.socket)
        .output()
        .unwrap();
    let text = assert_all_passed(&output);
    assert!(
        text.contains("ok     publish/subscribe round trip on the test topic: /pyros_selftest in "),
        "{text}"
    );
}

#[test]
fn selftest_socket_reports_a_test_topic_the_profile_does_not_allow() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("pyros.sock");
    let mut child = Command::new(bridge_exe())
        .args(["run", "--backend", "mock", "--allow", "subscribe=/*", "--socket"])
        .arg(&socket)
        .spawn()
        .expect("spawning pyros-bridge");
    wait_for(&socket);
    let output = Command::new(bridge_exe())
        .args(["selftest", "--topic", "/pyros_selftest", "--socket"])
        .arg(&socket)
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let text = stdout(&output);
    let (passed, failed) = summary(&output);
    assert!(passed >= 10 && failed == 1, "{text}");
    assert!(
        text.contains("FAILED publish/subscribe round trip on the test topic: advertising /pyros_selftest: not allowed"),
        "{text}"
    );
    assert!(text.contains("hint: the test topic needs `allow.publish`"), "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}");
}

#[test]
fn selftest_socket_reports_a_lost_ros_master() {
    let mut roscore = Roscore::start();
    let bridge = ros_bridge(&roscore, &["*"]);
    roscore.stop();
    let output = selftest_socket(&bridge.socket);
    let text = stdout(&output);
    let (_, failed) = summary(&output);
    assert!(failed >= 1, "{text}");
    assert!(text.contains("FAILED list topics"), "{text}");
    assert!(text.contains("hint: is roscore running?"), "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}");
}

#[test]
fn selftest_socket_checks_a_mock_bridge() {
    let bridge = Bridge::start();
    let text = assert_all_passed(&selftest_socket(&bridge.socket));
    assert!(text.contains(", backend mock ("), "{text}");
}

#[test]
fn selftest_socket_on_a_dead_path_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    // No file at all.
    let missing = dir.path().join("missing.sock");
    let output = selftest_socket(&missing);
    let text = stdout(&output);
    assert_eq!(summary(&output), (0, 1), "{text}");
    assert!(
        text.contains(&format!("FAILED connect: no socket at `{}`", missing.display())),
        "{text}"
    );
    assert!(text.contains("hint: is the bridge running?"), "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}");
    // A socket file nobody listens on (a bridge that died without cleaning up).
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let output = selftest_socket(&stale);
    let text = stdout(&output);
    assert_eq!(summary(&output), (0, 1), "{text}");
    assert!(text.contains("FAILED connect: nothing is listening on"), "{text}");
    assert!(text.contains("hint: start the bridge"), "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}");
}

#[test]
fn selftest_socket_reports_a_refused_user() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("pyros.sock");
    // Only a uid nobody has may connect.
    let mut child = Command::new(bridge_exe())
        .args(["run", "--backend", "mock", "--allow-uid", "4000000000", "--socket"])
        .arg(&socket)
        .spawn()
        .expect("spawning pyros-bridge");
    wait_for(&socket);
    let output = selftest_socket(&socket);
    let _ = child.kill();
    let _ = child.wait();
    let text = stdout(&output);
    assert_eq!(summary(&output), (1, 1), "{text}");
    assert!(
        text.contains("FAILED hello (protocol 1): the bridge refused this user (uid "),
        "{text}"
    );
    assert!(text.contains("hint: add the uid to `uids`"), "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}");
}

fn wait_for(socket: &Path) {
    let started = Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "bridge did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `pyros-bridge run` with neither `--backend` nor `--config` is a ROS node: the live check
/// sees the `ros` backend connected to the master.
#[test]
fn run_without_backend_uses_ros() {
    let roscore = Roscore::start();
    let dir = tempfile::tempdir().unwrap();
    let socket: PathBuf = dir.path().join("pyros.sock");
    let mut command = Command::new(bridge_exe());
    command.args(["run", "--allow", "*", "--socket"]).arg(&socket);
    let mut child = roscore.env(&mut command).spawn().expect("spawning pyros-bridge");
    wait_for(&socket);
    let output = selftest_socket(&socket);
    let _ = child.kill();
    let _ = child.wait();
    let text = assert_all_passed(&output);
    assert!(text.contains(", backend ros ("), "{text}");
}
