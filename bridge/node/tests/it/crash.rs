//! A client process that crashes (abort) mid-request must not harm the bridge or its other
//! clients.

use std::process::Command;

use bridge_protocol::{DEFAULT_MAX_FRAME, Event, Op, Request, ServerMessage};
use serde_json::json;

use super::{Bridge, connect, recv, subscribe};

const SOCKET_ENV: &str = "PYROS_IT_CRASH_SOCKET";

/// Run as a child process by `client_crash_does_not_harm_bridge`: does some work, leaves a
/// request in flight and half a frame on the wire, then aborts. Does nothing otherwise.
#[test]
fn crash_helper() {
    let Some(socket) = std::env::var_os(SOCKET_ENV) else {
        return;
    };
    let mut client = connect(socket.as_ref());
    assert!(
        client.request(subscribe("/chatter", 1, None, Some(4))).expect("reply").outcome.is_ok()
    );
    let slow = Op::CallService {
        service: "/slow".into(),
        args: json!({"delay_ms": 300}),
        type_name: None,
        timeout_ms: None,
    };
    client.send(slow, vec![]).expect("send");
    let bytes = Request {
        id: 1000,
        op: Op::Publish {
            topic: "/chatter".into(),
            msg: json!({"data": "x".repeat(100_000)}),
            type_name: None,
            ack: true,
        },
        attachments: vec![],
    }
    .to_frame()
    .encode(DEFAULT_MAX_FRAME)
    .expect("encode");
    let _ = client.send_raw(&bytes[..bytes.len() / 2]);
    std::process::abort();
}

#[test]
fn client_crash_does_not_harm_bridge() {
    let mut bridge = Bridge::start();
    let mut survivor = connect(&bridge.socket);
    assert!(
        survivor.request(subscribe("/chatter", 9, None, Some(4))).expect("reply").outcome.is_ok()
    );
    for _ in 0..3 {
        let status = Command::new(std::env::current_exe().expect("test exe"))
            .args(["--exact", "crash::crash_helper", "--nocapture", "--test-threads=1"])
            .env(SOCKET_ENV, &bridge.socket)
            .status()
            .expect("running the crashing client");
        assert!(!status.success(), "the helper should have aborted");
    }
    assert!(bridge.alive(), "bridge died");
    let mut publisher = connect(&bridge.socket);
    let reply = publisher
        .request(Op::Publish {
            topic: "/chatter".into(),
            msg: json!({"data": "after the crash"}),
            type_name: None,
            ack: true,
        })
        .expect("reply");
    assert!(reply.outcome.is_ok(), "{reply:?}");
    loop {
        if let ServerMessage::Event(Event::Msg { sub_id, msg, seq, .. }, _) = recv(&mut survivor) {
            assert_eq!(sub_id, 9);
            assert_eq!(seq, 1);
            assert_eq!(msg, json!({"data": "after the crash"}));
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert!(survivor.request(Op::Ping {}).expect("reply").outcome.is_ok());
    assert!(bridge.alive(), "bridge died");
}
