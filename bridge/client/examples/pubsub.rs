//! Publish, subscribe and call a service through a pyros bridge.
//!
//! With `$PYROS_SOCKET` set, uses that bridge; otherwise starts a private mock bridge
//! (`$PYROS_BRIDGE_EXE`, else `pyros-bridge` on PATH):
//!
//! ```sh
//! cargo build -p bridge-node
//! PYROS_BRIDGE_EXE=target/debug/pyros-bridge cargo run -p pyros --example pubsub
//! ```

use std::time::Duration;

use pyros::{Client, SpawnOptions};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), pyros::Error> {
    let client = if std::env::var_os("PYROS_SOCKET").is_some() {
        Client::connect_default().await?
    } else {
        Client::spawn(SpawnOptions {
            allow: vec!["/chatter".into(), "call=/add_two_ints".into()],
            ..Default::default()
        })
        .await?
    };
    let mut sub = client.subscribe("/chatter").await?;
    client.publish("/chatter", json!({"data": "hello from Rust"})).await?;
    if let Some(message) = sub.next().await {
        println!(
            "{} #{} (dropped {}): {}",
            message.topic, message.seq, message.dropped, message.msg
        );
    }
    let sum = client.call("/add_two_ints", json!({"a": 1, "b": 2}), Duration::from_secs(5)).await?;
    println!("/add_two_ints: {sum}");
    match client.param_get("/not/exposed").await {
        Err(error @ pyros::Error::NotAllowed(_)) => println!("refused as expected: {error}"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
