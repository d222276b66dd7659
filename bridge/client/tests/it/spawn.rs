//! Private bridges: started on a temporary socket, killed when the client goes.

use std::path::Path;
use std::time::{Duration, Instant};

use pyros::{Client, Error, SpawnOptions};

use super::options;

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_bridge_is_killed_on_drop() {
    let client = Client::spawn(options()).await.unwrap();
    let pid = client.bridge_pid().expect("pid");
    let socket = client.socket().to_owned();
    assert_eq!(client.backend(), "mock");
    assert!(process_exists(pid) && socket.exists());
    // A subscription keeps the bridge alive after the client handle is gone.
    let sub = client.subscribe("/chatter").await.unwrap();
    drop(client);
    assert!(process_exists(pid), "bridge killed while a subscription lives");
    drop(sub);
    let started = Instant::now();
    while process_exists(pid) {
        assert!(started.elapsed() < Duration::from_secs(5), "bridge {pid} still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!socket.exists(), "socket `{}` left behind", socket.display());
    assert!(!socket.parent().unwrap().exists(), "temporary folder left behind");
}

#[test]
fn blocking_private_bridge_is_killed_on_drop() {
    let client = pyros::blocking::Client::spawn(options()).unwrap();
    let pid = client.bridge_pid().expect("pid");
    client.ping().unwrap();
    drop(client);
    assert!(!process_exists(pid), "bridge {pid} still running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_errors_name_the_binary() {
    let options = SpawnOptions {
        bridge_binary: Some("/nonexistent/pyros-bridge".into()),
        ..SpawnOptions::default()
    };
    let error = Client::spawn(options).await.unwrap_err();
    assert!(matches!(&error, Error::Spawn { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/pyros-bridge"), "{error}");

    // A bridge that exits at once (bad pattern) is reported, not waited for.
    let mut options = options_with_bad_pattern();
    options.startup_timeout = Duration::from_secs(30);
    let started = Instant::now();
    let error = Client::spawn(options).await.unwrap_err();
    assert!(error.to_string().contains("exited"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn options_with_bad_pattern() -> SpawnOptions {
    SpawnOptions { allow: vec!["nope=/x".into()], ..options() }
}
