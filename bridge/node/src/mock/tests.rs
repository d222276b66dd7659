//! Tests for the mock backend's queues, topics, services and parameters.

use super::*;
use crate::backend::{Backend, SubQueue};

fn payload(n: i64) -> Payload {
    Payload { msg: json!({"data": n}), attachments: vec![] }
}

async fn drain(queue: &SubQueue) -> Vec<(u64, u64, Value)> {
    let mut out = Vec::new();
    while !queue.is_empty() {
        if let Some(d) = queue.pop().await {
            out.push((d.seq, d.dropped, d.sample.payload.msg["data"].clone()));
        }
    }
    out
}

#[tokio::test]
async fn drop_oldest_keeps_newest() {
    let backend = MockBackend::default();
    let sub = backend.subscribe("/counter", None, 2, DropPolicy::DropOldest).await.unwrap();
    for i in 1..=5 {
        backend.publish("/counter", None, payload(i)).await.unwrap();
    }
    assert_eq!(drain(&sub.queue).await, vec![(4, 3, json!(4)), (5, 0, json!(5))]);
}

#[tokio::test]
async fn drop_newest_keeps_oldest() {
    let backend = MockBackend::default();
    let sub = backend.subscribe("/counter", None, 2, DropPolicy::DropNewest).await.unwrap();
    for i in 1..=5 {
        backend.publish("/counter", None, payload(i)).await.unwrap();
    }
    assert_eq!(drain(&sub.queue).await, vec![(1, 3, json!(1)), (2, 0, json!(2))]);
}

#[tokio::test]
async fn dropped_subscription_is_detached() {
    let backend = MockBackend::default();
    let sub = backend.subscribe("/counter", None, 2, DropPolicy::DropOldest).await.unwrap();
    let queue = sub.queue.clone();
    drop(sub);
    assert!(queue.pop().await.is_none());
    backend.publish("/counter", None, payload(1)).await.unwrap();
    let state = backend.state.lock().unwrap();
    assert_eq!(state.topics["/counter"].fanout.subscriber_count(), 0);
}

#[tokio::test]
async fn types_are_checked() {
    let backend = MockBackend::default();
    assert!(matches!(
        backend.publish("/counter", Some("std_msgs/String"), payload(1)).await,
        Err(BackendError::TypeMismatch(_))
    ));
    assert!(matches!(
        backend.publish("/new", None, payload(1)).await,
        Err(BackendError::NotFound(_))
    ));
    assert_eq!(backend.publish("/new", Some("std_msgs/Int32"), payload(1)).await, Ok(1));
}

#[tokio::test]
async fn services() {
    let backend = MockBackend::default();
    let long = Duration::from_secs(5);
    let args = |msg: Value| Payload { msg, attachments: vec![] };
    assert_eq!(
        backend.call("/echo", None, args(json!({"a": 1})), long).await,
        Ok(args(json!({"a": 1})))
    );
    assert_eq!(
        backend
            .call("/slow", None, args(json!({"delay_ms": 1000})), Duration::from_millis(10))
            .await,
        Err(BackendError::Timeout("/slow".into()))
    );
    assert!(matches!(
        backend.call("/fail", None, args(json!({})), long).await,
        Err(BackendError::Service { .. })
    ));
    backend.set_available(false);
    assert_eq!(
        backend.call("/echo", None, args(json!({})), long).await,
        Err(BackendError::Unavailable)
    );
}

#[tokio::test]
async fn params_and_graph_events() {
    let backend = MockBackend::default();
    let mut events = backend.graph_events();
    backend.param_set("/x", json!(false)).await.unwrap();
    assert_eq!(backend.param_get("/x").await, Ok(json!(false)));
    backend.param_delete("/x").await.unwrap();
    assert!(backend.param_get("/x").await.is_err());
    assert_eq!(events.try_recv().unwrap().added, vec!["/x".to_string()]);
    assert_eq!(events.try_recv().unwrap().removed, vec!["/x".to_string()]);
}
