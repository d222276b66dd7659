//! The blocking API: its own runtime thread, usable from plain threads.

use std::time::Duration;

use pyros::blocking::Client;
use pyros::{Error, PublishOptions};
use serde_json::json;

use super::options;

#[test]
fn blocking_round_trip() {
    let client = Client::spawn(options()).expect("spawning the test bridge");
    let mut sub = client.subscribe("/t/blocking").unwrap();
    let publish = PublishOptions { type_name: Some("std_msgs/Int32".into()), ack: true };
    for i in 1..=3 {
        assert_eq!(
            client.publish_with("/t/blocking", json!({"data": i}), publish.clone()).unwrap(),
            Some(i)
        );
    }
    let received: Vec<_> = sub.by_ref().take(3).map(|m| (m.seq, m.msg["data"].clone())).collect();
    assert_eq!(received, [(1, json!(1)), (2, json!(2)), (3, json!(3))]);
    let error = sub.recv_timeout(Duration::from_millis(100)).unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");

    let sum =
        client.call("/add_two_ints", json!({"a": 1, "b": 2}), Duration::from_secs(5)).unwrap();
    assert_eq!(sum, json!({"sum": 3}));
    let error = client.get_latest("/chatter", Duration::from_millis(100)).unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    let error = client.param_get("/use_sim_time").unwrap_err();
    assert!(matches!(error, Error::NotAllowed(_)), "{error:?}");
    sub.unsubscribe().unwrap();
}

#[test]
fn blocking_client_shared_by_threads() {
    let client = Client::spawn(options()).expect("spawning the test bridge");
    std::thread::scope(|scope| {
        for t in 0..8i64 {
            let client = client.clone();
            scope.spawn(move || {
                for i in 0..20i64 {
                    let values = client
                        .call("/add_two_ints", json!({"a": t, "b": i}), Duration::from_secs(5))
                        .expect("call");
                    assert_eq!(values["sum"], t + i);
                }
            });
        }
    });
    client.ping().unwrap();
}
