//! Tests for replies and events.

use serde_json::json;

use super::*;

#[test]
fn reply_round_trip() {
    for reply in [
        Reply::ok(7, json!({"a": 1})),
        Reply::err(None, ErrorBody::new(ErrorCode::TooLarge, "big")),
        Reply::err(Some(3), ErrorBody::new(ErrorCode::NotAllowed, "no")),
    ] {
        let parsed = ServerMessage::from_frame(reply.to_frame()).unwrap();
        assert_eq!(parsed, ServerMessage::Reply(reply));
    }
}

#[test]
fn error_wire_shape() {
    let frame = Reply::err(Some(1), ErrorBody::new(ErrorCode::RosUnavailable, "down")).to_frame();
    assert_eq!(
        Value::Object(frame.header),
        json!({"id": 1, "ok": false, "error": {"code": "ros_unavailable", "message": "down"}})
    );
}

#[test]
fn event_round_trip() {
    let event = Event::Msg {
        sub_id: 1,
        topic: "/a".into(),
        seq: 4,
        dropped: 2,
        stamp_recv: Stamp { secs: 1, nsecs: 2 },
        msg: json!({"data": 1}),
    };
    let frame = event.to_frame(vec![]);
    assert_eq!(frame.header["event"], "msg");
    assert_eq!(ServerMessage::from_frame(frame).unwrap(), ServerMessage::Event(event, vec![]));
}

#[test]
fn bad_server_frames() {
    let f = |v: Value| Frame::new(v.as_object().cloned().unwrap_or_default());
    assert!(ServerMessage::from_frame(f(json!({"id": 1}))).is_err());
    assert!(ServerMessage::from_frame(f(json!({"id": "x", "ok": true}))).is_err());
    let no_message = json!({"id": 1, "ok": false, "error": {"code": "not_found"}});
    assert!(ServerMessage::from_frame(f(no_message)).is_err());
    assert!(ServerMessage::from_frame(f(json!({"event": "msg", "sub_id": "x"}))).is_err());
}

#[test]
fn newer_server_is_tolerated() {
    let f = |v: Value| Frame::new(v.as_object().cloned().unwrap_or_default());
    let reply = ServerMessage::from_frame(f(json!({
        "id": 1, "ok": false, "error": {"code": "quota", "message": "m"}, "extra": 1
    })));
    let Ok(ServerMessage::Reply(Reply { outcome: Err(error), .. })) = reply else {
        panic!("{reply:?}");
    };
    assert_eq!(error.code, ErrorCode::Unknown);
    let event = ServerMessage::from_frame(f(json!({"event": "telemetry", "x": 1})));
    assert_eq!(event, Ok(ServerMessage::Event(Event::Unknown, vec![])));
}
