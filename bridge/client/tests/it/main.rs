//! Integration tests of the `pyros` client against a real `pyros-bridge` (mock backend),
//! started as a private bridge by `Client::spawn`.

mod asynchronous;
mod blocking;
mod spawn;
mod wire;

use std::path::PathBuf;

use pyros::SpawnOptions;

/// Exposure of the test bridge: `/secret/*` and `/robot/name` writes stay hidden.
const ALLOW: &[&str] = &[
    "/chatter",
    "/counter",
    "/camera/image",
    "/t/*",
    "call=/echo",
    "call=/slow",
    "call=/fail",
    "call=/add_two_ints",
    "param_read=/robot/*",
    "param_write=/robot/max_speed",
    "param_write=/t/*",
    "param_read=/t/*",
];

/// `target/debug/pyros-bridge`, next to this test's `deps/` folder. `cargo nextest run
/// --workspace` (and `cargo xtask ci`) build it before running tests.
fn bridge_exe() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let target = exe.parent().and_then(|deps| deps.parent()).expect("target/debug");
    let bridge = target.join("pyros-bridge");
    assert!(
        bridge.exists(),
        "`{}` is missing\nhint: build it first with `cargo build -p bridge-node`",
        bridge.display()
    );
    bridge
}

fn options() -> SpawnOptions {
    SpawnOptions {
        bridge_binary: Some(bridge_exe()),
        allow: ALLOW.iter().map(|s| (*s).to_owned()).collect(),
        ..SpawnOptions::default()
    }
}
