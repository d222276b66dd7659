//! The protocol-level layer (`pyros::wire`, here its blocking form) against a private mock
//! bridge: frames kept in order while waiting, raw bytes, encoding limits, a closed connection.

use pyros::blocking::{Client, RawConnection};
use pyros::protocol::{
    DEFAULT_MAX_FRAME, DropPolicy, ErrorCode, Event, Op, ServerMessage, SubscribeMode,
};
use pyros::wire::WireError;
use serde_json::json;

use super::options;

fn bridge() -> (Client, RawConnection) {
    let client = Client::spawn(options()).expect("spawning the test bridge");
    let raw = RawConnection::greeted(client.socket(), "wire-test", &[]).expect("hello");
    (client, raw)
}

fn code(reply: pyros::protocol::Reply) -> Option<ErrorCode> {
    reply.outcome.err().map(|error| error.code)
}

#[test]
fn frames_read_while_waiting_are_kept() {
    let (client, mut raw) = bridge();
    let subscribe = Op::Subscribe {
        topic: "/t/wire".into(),
        sub_id: 5,
        type_name: Some("std_msgs/String".into()),
        mode: SubscribeMode::Stream,
        queue_length: None,
        policy: DropPolicy::DropOldest,
        throttle_ms: None,
    };
    assert_eq!(code(raw.request(subscribe).unwrap()), None);
    client.publish("/t/wire", json!({"data": "kept"})).unwrap();
    let ping = raw.send(Op::Ping {}, Vec::new()).unwrap();
    // Waiting for the event keeps the ping's reply if it came first, and the other way round.
    match raw.event().unwrap() {
        (Event::Msg { sub_id, seq, msg, .. }, _) => {
            assert_eq!((sub_id, seq, msg), (5, 1, json!({"data": "kept"})));
        }
        (other, _) => panic!("expected the message, got {other:?}"),
    }
    let reply = raw.reply(Some(ping)).unwrap();
    assert!(reply.outcome.unwrap()["time"]["secs"].is_u64());
    assert_eq!(raw.buffered().count(), 0);
    // A chosen id is echoed.
    raw.send_with_id(4242, Op::Ping {}, Vec::new()).unwrap();
    match raw.recv().unwrap() {
        Some(ServerMessage::Reply(reply)) => assert_eq!(reply.id, Some(4242)),
        other => panic!("expected the reply to 4242, got {other:?}"),
    }
}

#[test]
fn raw_bytes_and_limits() {
    let (_client, mut raw) = bridge();
    // A frame whose header is not JSON: an uncorrelated error, and the connection goes on.
    let header = b"{not json";
    let mut frame = ((4 + header.len()) as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&(header.len() as u32).to_be_bytes());
    frame.extend_from_slice(header);
    raw.send_raw(&frame).unwrap();
    assert_eq!(code(raw.reply(None).unwrap()), Some(ErrorCode::InvalidRequest));
    assert_eq!(code(raw.request(Op::Ping {}).unwrap()), None);
    // A request over the connection's own limit is not sent.
    raw.set_max_frame(64);
    let big = Op::ParamGet { name: format!("/t/{}", "x".repeat(100)) };
    let error = raw.send(big, Vec::new()).unwrap_err();
    assert!(matches!(error, WireError::Encode(_)), "{error:?}");
    raw.set_max_frame(DEFAULT_MAX_FRAME);
    // A length prefix over the bridge's limit: too_large, then the bridge hangs up.
    raw.send_raw(&u32::MAX.to_be_bytes()).unwrap();
    assert_eq!(code(raw.reply(None).unwrap()), Some(ErrorCode::TooLarge));
    assert!(raw.closed());
}
