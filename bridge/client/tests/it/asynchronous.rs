//! The async API against a private mock bridge.

use std::time::{Duration, Instant};

use pyros::{Client, Error, ErrorCode, Payload, PublishOptions, SubscribeOptions};
use serde_json::json;

use super::options;

async fn client() -> Client {
    Client::spawn(options()).await.expect("spawning the test bridge")
}

fn typed(type_name: &str) -> PublishOptions {
    PublishOptions { type_name: Some(type_name.into()), ack: true }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_subscribe_round_trip() {
    let client = client().await;
    let mut sub = client.subscribe("/t/pubsub").await.unwrap();
    assert_eq!(sub.queue_length(), Some(32));
    let mut seqs = Vec::new();
    for i in 0..3 {
        let msg = json!({"data": format!("m{i}")});
        seqs.push(client.publish_with("/t/pubsub", msg, typed("std_msgs/String")).await.unwrap());
    }
    assert_eq!(seqs, [Some(1), Some(2), Some(3)]);
    for i in 0..3u64 {
        let message = tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .expect("a message in time")
            .expect("subscription open");
        assert_eq!(message.topic, "/t/pubsub");
        assert_eq!((message.seq, message.dropped), (i + 1, 0));
        assert_eq!(message.msg, json!({"data": format!("m{i}")}));
    }
    // Without `ack` a publish still waits for the bridge's reply, but carries no sequence.
    client.publish("/t/pubsub", json!({"data": "plain"})).await.unwrap();
    let message = sub.next().await.unwrap();
    assert_eq!(message.seq, 4);
    sub.unsubscribe().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_messages_are_counted() {
    let client = client().await;
    let options = SubscribeOptions {
        type_name: Some("std_msgs/Int32".into()),
        queue_length: Some(1),
        throttle: Some(Duration::from_millis(200)),
        ..Default::default()
    };
    let mut sub = client.subscribe_with("/t/drops", options).await.unwrap();
    for i in 0..6 {
        client.publish_with("/t/drops", json!({"data": i}), typed("std_msgs/Int32")).await.unwrap();
    }
    let mut previous = 0;
    let mut total_dropped = 0;
    loop {
        let message = sub.next().await.unwrap();
        assert_eq!(message.seq - previous - 1, message.dropped, "{message:?}");
        previous = message.seq;
        total_dropped += message.dropped;
        if message.msg["data"] == 5 {
            break;
        }
    }
    assert_eq!(previous, 6);
    assert!(total_dropped >= 1, "a queue of 1 with a 200 ms throttle must drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_attachments_travel_as_bytes() {
    let client = client().await;
    let mut sub = client.subscribe("/camera/image").await.unwrap();
    let pixels: Vec<u8> = (0..=255u8).cycle().take(640 * 480 * 3).collect();
    let mut payload = Payload::default();
    let data = payload.attach(pixels.clone());
    payload.value =
        json!({"height": 480, "width": 640, "encoding": "rgb8", "step": 1920, "data": data});
    client.publish("/camera/image", payload).await.unwrap();
    let message = sub.next().await.unwrap();
    assert_eq!(message.msg["data"], json!({"$bin": 0}));
    assert_eq!(message.bytes("/data"), Some(pixels.as_slice()));
    let latest = client.get_latest("/camera/image", Duration::ZERO).await.unwrap();
    assert_eq!(latest.bytes("/data"), Some(pixels.as_slice()));
    assert_eq!(latest.msg["width"], 640);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_calls() {
    let client = client().await;
    let timeout = Duration::from_secs(5);
    let sum = client.call("/add_two_ints", json!({"a": 2, "b": 40}), timeout).await.unwrap();
    assert_eq!(sum, json!({"sum": 42}));
    let echo = client.call("/echo", json!({"x": [1, 2]}), timeout).await.unwrap();
    assert_eq!(echo, json!({"x": [1, 2]}));
    let error = client.call("/fail", json!({}), timeout).await.unwrap_err();
    assert!(matches!(error, Error::ServiceError(_)), "{error:?}");
    let started = Instant::now();
    let error = client
        .call("/slow", json!({"delay_ms": 5000}), Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let error = client.call("/add_two_ints", json!({"a": "x", "b": 1}), timeout).await.unwrap_err();
    assert!(matches!(error, Error::TypeMismatch(_)), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_map_to_variants() {
    let client = client().await;
    let secret = client.subscribe("/secret/plan").await.unwrap_err();
    assert!(matches!(secret, Error::NotAllowed(_)), "{secret:?}");
    assert_eq!(secret.code(), Some(ErrorCode::NotAllowed));
    assert!(secret.to_string().starts_with("not_allowed: "), "{secret}");
    let error = client.publish("/secret/plan", json!({"data": "x"})).await.unwrap_err();
    assert!(matches!(error, Error::NotAllowed(_)), "{error:?}");
    let error = client.call("/secret/launch", json!({}), Duration::from_secs(1)).await.unwrap_err();
    assert!(matches!(error, Error::NotAllowed(_)), "{error:?}");
    let error = client.param_get("/use_sim_time").await.unwrap_err();
    assert!(matches!(error, Error::NotAllowed(_)), "{error:?}");
    let error = client.param_set("/robot/name", "other").await.unwrap_err();
    assert!(matches!(error, Error::NotAllowed(_)), "read-only parameter: {error:?}");
    let error = client.publish("/t/unknown_type", json!({"data": 1})).await.unwrap_err();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    let error = client
        .publish_with("/chatter", json!({"data": 1}), typed("std_msgs/Int32"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::TypeMismatch(_)), "{error:?}");
    let error = client.describe("nope/Nothing").await.unwrap_err();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    let error = client.param_get("/t/missing").await.unwrap_err();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    let error = client.subscribe("relative/name").await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client.get_latest("/t/never_seen", Duration::ZERO).await.unwrap_err();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    // The connection is still usable after every error.
    client.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_latest_waits_then_times_out() {
    let client = client().await;
    client.advertise("/t/latest", "std_msgs/String").await.unwrap();
    let error = client.get_latest("/t/latest", Duration::ZERO).await.unwrap_err();
    assert!(matches!(error, Error::NoData(_)), "{error:?}");
    let started = Instant::now();
    let error = client.get_latest("/t/latest", Duration::from_millis(300)).await.unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );

    // A waiting get_latest is answered by a publish from another task.
    let publisher = client.clone();
    let later = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        publisher.publish("/t/latest", json!({"data": "late"})).await
    });
    let message = client.get_latest("/t/latest", Duration::from_secs(5)).await.unwrap();
    assert_eq!((message.seq, message.msg.clone()), (1, json!({"data": "late"})));
    later.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_from_many_tasks() {
    let client = client().await;
    // A slow call does not hold up the others on the same connection.
    let slow_client = client.clone();
    let slow = tokio::spawn(async move {
        slow_client.call("/slow", json!({"delay_ms": 4000}), Duration::from_secs(5)).await
    });
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..40i64 {
        let client = client.clone();
        tasks.spawn(async move {
            for i in 0..10i64 {
                let (a, b) = (task * 1000, i);
                let sum = client
                    .call("/add_two_ints", json!({"a": a, "b": b}), Duration::from_secs(5))
                    .await
                    .expect("call");
                assert_eq!(sum["sum"], a + b);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task panicked");
    }
    assert!(!slow.is_finished(), "400 calls waited for the slow one");
    assert_eq!(slow.await.unwrap().unwrap(), json!({"slept_ms": 4000}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn params_listings_and_describe() {
    let client = client().await;
    assert_eq!(client.param_get("/robot/name").await.unwrap(), json!("mock"));
    client.param_set("/t/flag", false).await.unwrap();
    assert_eq!(client.param_get("/t/flag").await.unwrap(), json!(false));
    client.param_set("/robot/max_speed", 2.5).await.unwrap();
    assert_eq!(client.param_get("/robot/max_speed").await.unwrap(), json!(2.5));
    client.param_delete("/t/flag").await.unwrap();
    assert!(matches!(client.param_get("/t/flag").await, Err(Error::NotFound(_))));
    let params = client.params().await.unwrap();
    assert_eq!(params, ["/robot/max_speed", "/robot/name"]);

    let topics = client.topics().await.unwrap();
    let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"/chatter") && !names.contains(&"/secret/plan"), "{names:?}");
    let chatter = topics.iter().find(|t| t.name == "/chatter").unwrap();
    assert_eq!(chatter.type_name, "std_msgs/String");
    assert!(chatter.subscribe && chatter.publish);
    let services = client.services().await.unwrap();
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["/add_two_ints", "/echo", "/fail", "/slow"]);

    let string = client.describe("std_msgs/String").await.unwrap();
    assert_eq!(string.definition, "string data\n");
    assert_eq!(string.fields[0].name, "data");
    assert_eq!(string.fields[0].type_name, "string");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_graph_reports_new_names() {
    let client = client().await;
    let mut watch = client.watch_graph().await.unwrap();
    client.param_set("/t/appeared", 1).await.unwrap();
    client.advertise("/t/topic_appeared", "std_msgs/String").await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let event = tokio::time::timeout(Duration::from_secs(5), watch.next())
            .await
            .expect("graph event in time")
            .expect("watch open");
        seen.extend(event.added);
    }
    seen.sort();
    assert_eq!(seen, ["/t/appeared", "/t/topic_appeared"]);
    client.param_delete("/t/appeared").await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), watch.next()).await.unwrap().unwrap();
    assert_eq!(event.removed, ["/t/appeared"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_connection_ends_streams_and_fails_requests() {
    let client = client().await;
    let mut sub = client.subscribe("/chatter").await.unwrap();
    let pid = client.bridge_pid().expect("private bridge pid");
    let status = std::process::Command::new("kill").arg(pid.to_string()).status().unwrap();
    assert!(status.success());
    let end = tokio::time::timeout(Duration::from_secs(5), sub.next()).await.expect("stream ends");
    assert!(end.is_none(), "{end:?}");
    let error = client.ping().await.unwrap_err();
    assert!(matches!(error, Error::ConnectionLost), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.sock");
    let error = Client::connect(&missing).await.unwrap_err();
    assert!(matches!(&error, Error::Connect { path, .. } if *path == missing), "{error:?}");
    assert_eq!(pyros::profile_socket("web"), std::path::Path::new("/run/pyros/web.sock"));
}
