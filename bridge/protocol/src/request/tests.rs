//! Tests for request validation.

use serde_json::json;

use super::*;

fn parse(v: Value) -> Result<Request, RequestError> {
    parse_with(v, 0)
}

fn parse_with(v: Value, attachments: usize) -> Result<Request, RequestError> {
    let frame = Frame {
        header: v.as_object().cloned().unwrap_or_default(),
        attachments: vec![vec![1]; attachments],
    };
    Request::from_frame(frame)
}

fn kind(v: Value) -> RequestErrorKind {
    parse(v).unwrap_err().kind
}

#[test]
fn hello() {
    let r = parse(json!({"id": 1, "op": "hello", "protocol": 1, "client": "t", "capabilities": ["binary"], "future": 1})).unwrap();
    assert_eq!(r.id, 1);
    assert_eq!(
        r.op,
        Op::Hello {
            protocol: 1,
            client: Some("t".into()),
            pid: None,
            capabilities: vec!["binary".into()]
        }
    );
}

#[test]
fn defaults() {
    let r = parse(json!({"id": 2, "op": "subscribe", "topic": "/a", "sub_id": 5})).unwrap();
    assert_eq!(
        r.op,
        Op::Subscribe {
            topic: "/a".into(),
            sub_id: 5,
            type_name: None,
            mode: SubscribeMode::Stream,
            queue_length: None,
            policy: DropPolicy::DropOldest,
            throttle_ms: None
        }
    );
    let r = parse(json!({"id": 3, "op": "call_service", "service": "/s"})).unwrap();
    assert!(matches!(r.op, Op::CallService { args, .. } if args == json!({})));
    assert_eq!(parse(json!({"id": 4, "op": "ping"})).unwrap().op, Op::Ping {});
}

#[test]
fn every_op_round_trips() {
    let ops = vec![
        Op::Hello { protocol: 1, client: None, pid: Some(3), capabilities: vec![] },
        Op::Ping {},
        Op::ListTopics { filter: Some("/a/*".into()) },
        Op::ListServices { filter: None },
        Op::ListParams { filter: None },
        Op::Describe { type_name: "std_msgs/String".into() },
        Op::Advertise { topic: "/a".into(), type_name: "std_msgs/String".into(), latch: true },
        Op::Unadvertise { topic: "/a".into() },
        Op::Publish { topic: "/a".into(), msg: json!({"data": "x"}), type_name: None, ack: true },
        Op::Subscribe {
            topic: "/a".into(),
            sub_id: 1,
            type_name: None,
            mode: SubscribeMode::Latest,
            queue_length: Some(3),
            policy: DropPolicy::DropNewest,
            throttle_ms: Some(5),
        },
        Op::Unsubscribe { sub_id: 1 },
        Op::GetLatest {
            topic: "/a".into(),
            max_age_ms: Some(1),
            wait_ms: None,
            after_seq: Some(2),
        },
        Op::CallService {
            service: "/s".into(),
            args: json!({"a": 1}),
            type_name: None,
            timeout_ms: Some(10),
        },
        Op::ParamGet { name: "/p".into() },
        Op::ParamSet { name: "/p".into(), value: json!(false) },
        Op::ParamDelete { name: "/p".into() },
        Op::WatchGraph {},
        Op::UnwatchGraph {},
    ];
    assert_eq!(ops.len(), OP_NAMES.len());
    for (i, op) in ops.into_iter().enumerate() {
        assert_eq!(op.name(), OP_NAMES[i]);
        let request = Request { id: i as u64, op, attachments: vec![] };
        let frame = request.to_frame();
        assert_eq!(frame.header["op"], OP_NAMES[i]);
        assert_eq!(Request::from_frame(frame).unwrap(), request);
    }
}

#[test]
fn bad_id() {
    assert_eq!(kind(json!({"op": "ping"})), RequestErrorKind::BadId);
    assert_eq!(kind(json!({"id": -1, "op": "ping"})), RequestErrorKind::BadId);
    assert_eq!(kind(json!({"id": "1", "op": "ping"})), RequestErrorKind::BadId);
    assert_eq!(kind(json!({"id": 1.5, "op": "ping"})), RequestErrorKind::BadId);
}

#[test]
fn bad_op() {
    assert_eq!(kind(json!({"id": 1})), RequestErrorKind::BadOp);
    assert_eq!(kind(json!({"id": 1, "op": 3})), RequestErrorKind::BadOp);
    let err = parse(json!({"id": 9, "op": "explode"})).unwrap_err();
    assert_eq!(err.id, Some(9));
    assert_eq!(err.kind, RequestErrorKind::UnknownOp("explode".into()));
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
}

#[test]
fn wrong_field_types() {
    for v in [
        json!({"id": 1, "op": "subscribe", "topic": 5, "sub_id": 1}),
        json!({"id": 1, "op": "subscribe", "topic": "/a", "sub_id": "1"}),
        json!({"id": 1, "op": "subscribe", "topic": "/a", "sub_id": 1, "policy": "drop_all"}),
        json!({"id": 1, "op": "publish", "topic": "/a"}),
        json!({"id": 1, "op": "hello"}),
        json!({"id": 1, "op": "call_service", "service": "/s", "timeout_ms": -5}),
        json!({"id": 1, "op": "advertise", "topic": "/a", "type": "t", "latch": "yes"}),
    ] {
        assert!(matches!(kind(v.clone()), RequestErrorKind::InvalidField { .. }), "{v}");
    }
}

#[test]
fn attachment_refs() {
    let v = json!({"id": 1, "op": "publish", "topic": "/a", "msg": {"data": {"$bin": 0}}});
    assert!(parse_with(v.clone(), 1).is_ok());
    assert!(matches!(parse_with(v, 0).unwrap_err().kind, RequestErrorKind::Attachment(_)));
}

#[test]
fn ros_names_are_checked() {
    for good in ["/chatter", "/a/b_2/c", "/camera/image_raw", "/robot/x1"] {
        assert_eq!(check_ros_name(good, false), Ok(()), "{good}");
    }
    assert_eq!(check_ros_name("/", true), Ok(()));
    assert_eq!(check_ros_name("/node/_hidden", true), Ok(()));
    let long = format!("/{}", "a".repeat(1024));
    for bad in [
        "", "/", "//a", "/a/", "/a//b", "/1a", "/a-b", "/a b", "a/", "/ä", "~x", "chatter", "/_x",
        &long,
    ] {
        assert!(check_ros_name(bad, false).is_err(), "{bad:?} accepted");
    }
    let frame = |v: serde_json::Value| Frame {
        header: v.as_object().unwrap().clone(),
        attachments: vec![],
    };
    let refused = Request::from_frame(frame(serde_json::json!(
        {"id": 1, "op": "subscribe", "topic": "/bad-name", "sub_id": 1}
    )))
    .unwrap_err();
    assert_eq!(refused.id, Some(1));
    assert!(refused.to_string().contains("illegal ROS name `/bad-name`"), "{refused}");
    let refused = Request::from_frame(frame(serde_json::json!(
        {"id": 2, "op": "param_set", "name": "/a//b", "value": 1}
    )))
    .unwrap_err();
    assert!(refused.to_string().contains("`name`"), "{refused}");
}
