//! The `ros` backend against Debian's roscore, rospy nodes and rostopic / rosparam, through a
//! real `pyros-bridge run --backend ros` (raw protocol frames, and the Python client).
//! Each test runs its own roscore on its own port.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bridge_protocol::{ErrorCode, Event, Op, Reply, ServerMessage};
use pyros::wire::WireError;
use serde_json::{Value, json};

use super::roscore::{PYTHON, Proc, Roscore, python, ros_bridge};
use super::{RawConnection, connect, recv, subscribe};

/// A rospy publisher: `TOPIC HZ` publishes `std_msgs/String` "msg N".
const PUBLISHER: &str = r#"
import sys, rospy
from std_msgs.msg import String
rospy.init_node('it_pub', anonymous=True)
pub = rospy.Publisher(sys.argv[1], String, queue_size=100)
rate = rospy.Rate(float(sys.argv[2]))
n = 0
while not rospy.is_shutdown():
    pub.publish(String(data='msg %d' % n))
    n += 1
    rate.sleep()
"#;

/// rospy services: `/it/set_bool` (std_srvs/SetBool), `/it/set_camera_info`
/// (sensor_msgs/SetCameraInfo, whose request nests std_msgs/Header), `/it/slow` (answers
/// after 3 s) and `/it/broken` (raises).
const SERVICES: &str = r#"
import time, rospy
from std_srvs.srv import SetBool, SetBoolResponse, Trigger, TriggerResponse
from sensor_msgs.srv import SetCameraInfo, SetCameraInfoResponse
rospy.init_node('it_srv')
rospy.Service('/it/set_bool', SetBool,
              lambda req: SetBoolResponse(success=not req.data, message='rospy saw %s' % req.data))
def camera(req):
    info = req.camera_info
    return SetCameraInfoResponse(success=info.header.frame_id == 'cam',
                                 status_message='%s %dx%d %s' % (info.header.frame_id, info.width, info.height, info.distortion_model))
rospy.Service('/it/set_camera_info', SetCameraInfo, camera)
def slow(req):
    time.sleep(3)
    return TriggerResponse(success=True, message='late')
rospy.Service('/it/slow', Trigger, slow)
def broken(req):
    raise RuntimeError('scripted failure')
rospy.Service('/it/broken', Trigger, broken)
rospy.spin()
"#;

/// A rospy burst: waits for a subscriber, then publishes `N` std_msgs/UInt64 without pause.
const BURST: &str = r#"
import sys, time, rospy
from std_msgs.msg import UInt64
rospy.init_node('it_burst')
pub = rospy.Publisher('/it/burst', UInt64, queue_size=100000, tcp_nodelay=True)
while pub.get_num_connections() == 0:
    time.sleep(0.01)
time.sleep(0.3)
for i in range(int(sys.argv[1])):
    pub.publish(UInt64(data=i))
rospy.spin()
"#;

fn ok(reply: Result<Reply, WireError>) -> Value {
    match reply.expect("reply").outcome {
        Ok(result) => result,
        Err(error) => panic!("expected success, got {error:?}"),
    }
}

fn code(reply: Result<Reply, WireError>) -> ErrorCode {
    match reply.expect("reply").outcome {
        Ok(result) => panic!("expected an error, got {result}"),
        Err(error) => error.code,
    }
}

/// The next `msg` event of `sub_id` as `(seq, dropped, msg)`, waiting up to `limit`.
fn next_msg(client: &mut RawConnection, sub_id: u64, limit: Duration) -> (u64, u64, Value) {
    client.set_timeout(Some(limit));
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < limit, "no message within {limit:?}");
        if let ServerMessage::Event(Event::Msg { sub_id: id, seq, dropped, msg, .. }, _) =
            recv(client)
            && id == sub_id
        {
            return (seq, dropped, msg);
        }
    }
}

fn call(service: &str, args: Value, type_name: Option<&str>) -> Op {
    Op::CallService {
        service: service.into(),
        args,
        type_name: type_name.map(str::to_owned),
        timeout_ms: Some(5000),
    }
}

/// Retries `op` until it succeeds (a rospy node registering takes a moment).
fn until_ok(client: &mut RawConnection, op: impl Fn() -> Op) -> Value {
    let started = Instant::now();
    loop {
        let reply = client.request(op()).expect("reply");
        match reply.outcome {
            Ok(result) => return result,
            Err(error) if started.elapsed() < Duration::from_secs(10) => {
                let _ = error;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(error) => panic!("still failing after 10 s: {error:?}"),
        }
    }
}

fn rostool(roscore: &Roscore, tool: &str, args: &[&str]) -> String {
    let mut command = Command::new(format!("/usr/bin/{tool}"));
    command.args(args);
    let output = roscore.env(&mut command).output().expect("running a ROS tool");
    assert!(
        output.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn ros_subscribe_to_rospy_publisher() {
    let roscore = Roscore::start();
    let _publisher = python(&roscore, PUBLISHER, &["/it/chatter", "20"]);
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    ok(client.request(subscribe("/it/chatter", 1, None, Some(32))));
    let (seq, dropped, msg) = next_msg(&mut client, 1, Duration::from_secs(10));
    assert_eq!((seq, dropped), (1, 0));
    let first: u64 = msg["data"].as_str().unwrap().trim_start_matches("msg ").parse().unwrap();
    let (seq, _, msg) = next_msg(&mut client, 1, Duration::from_secs(5));
    assert_eq!(seq, 2);
    assert_eq!(msg, json!({"data": format!("msg {}", first + 1)}));
    // The bridge's subscriber is visible to ROS tools, with the topic's type.
    let topics = ok(client.request(Op::ListTopics { filter: Some("/it/*".into()) }));
    assert_eq!(topics["topics"][0]["type"], "std_msgs/String", "{topics}");
    let info = rostool(&roscore, "rostopic", &["info", "/it/chatter"]);
    assert!(info.contains("/pyros_bridge_"), "{info}");
    // get_latest is served from the same subscription.
    let latest = ok(client.request(Op::GetLatest {
        topic: "/it/chatter".into(),
        max_age_ms: None,
        wait_ms: Some(2000),
        after_seq: None,
    }));
    assert!(latest["msg"]["data"].as_str().unwrap().starts_with("msg "), "{latest}");
    // A wrong type is refused.
    assert_eq!(
        code(client.request(subscribe("/it/chatter", 2, Some("std_msgs/Int32"), Some(1)))),
        ErrorCode::TypeMismatch
    );
}

#[test]
fn ros_burst_is_not_lost_silently() {
    const N: u64 = 5000;
    let roscore = Roscore::start();
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    // Small queue on purpose: drops must show up in `dropped`, never as silent gaps.
    ok(client.request(subscribe("/it/burst", 1, Some("std_msgs/UInt64"), Some(64))));
    let _burst = python(&roscore, BURST, &[&N.to_string()]);
    let (mut delivered, mut dropped, mut last_seq) = (0u64, 0u64, 0u64);
    loop {
        let (seq, gap, msg) = next_msg(&mut client, 1, Duration::from_secs(15));
        assert_eq!(seq, last_seq + gap + 1, "seq {seq} after {last_seq} with dropped {gap}");
        delivered += 1;
        dropped += gap;
        last_seq = seq;
        if msg["data"] == json!(N - 1) {
            break;
        }
    }
    assert_eq!(delivered + dropped, N, "delivered {delivered} + dropped {dropped}");
}

#[test]
fn ros_publish_reaches_rostopic_echo() {
    let roscore = Roscore::start();
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    let mut listener = connect(&bridge.socket);
    ok(listener.request(subscribe("/it/cmd_vel", 1, None, Some(32))));
    let mut command = Command::new("/usr/bin/rostopic");
    command.args(["echo", "-n", "1", "/it/cmd_vel"]).stdout(Stdio::piped()).stderr(Stdio::null());
    let echo = Proc(roscore.env(&mut command).spawn().expect("rostopic echo"));
    ok(client.request(Op::Advertise {
        topic: "/it/cmd_vel".into(),
        type_name: "geometry_msgs/Twist".into(),
        latch: false,
    }));
    let mut echo = echo;
    let started = Instant::now();
    loop {
        let reply = client.request(Op::Publish {
            topic: "/it/cmd_vel".into(),
            msg: json!({"linear": {"x": 1.5, "y": -2.0}, "angular": {"z": 0.25}}),
            type_name: None,
            ack: true,
        });
        assert!(ok(reply)["seq"].as_u64().is_some());
        if let Ok(Some(_)) = echo.0.try_wait() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "rostopic echo saw nothing");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = String::new();
    std::io::Read::read_to_string(echo.0.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(out.contains("x: 1.5") && out.contains("y: -2.0") && out.contains("z: 0.25"), "{out}");
    // A bridge client subscribed to the topic receives it through ROS as well.
    let (_, _, msg) = next_msg(&mut listener, 1, Duration::from_secs(10));
    assert_eq!(msg["linear"], json!({"x": 1.5, "y": -2.0, "z": 0.0}));
    // A field of the wrong type, and a type other than the topic's, are refused.
    let bad = |msg: Value, type_name: Option<&str>| Op::Publish {
        topic: "/it/cmd_vel".into(),
        msg,
        type_name: type_name.map(str::to_owned),
        ack: false,
    };
    assert_eq!(
        code(client.request(bad(json!({"linear": {"x": "fast"}}), None))),
        ErrorCode::TypeMismatch
    );
    assert_eq!(
        code(client.request(bad(json!({"data": "x"}), Some("std_msgs/String")))),
        ErrorCode::TypeMismatch
    );
}

#[test]
fn ros_call_rospy_services() {
    let roscore = Roscore::start();
    let _services = python(&roscore, SERVICES, &[]);
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    // The type is discovered by a TCPROS probe: the client does not name it.
    let result = until_ok(&mut client, || call("/it/set_bool", json!({"data": true}), None));
    assert_eq!(result["values"], json!({"success": false, "message": "rospy saw True"}));
    // Repeated calls reuse the persistent connection.
    for _ in 0..20 {
        let result = ok(client.request(call("/it/set_bool", json!({"data": false}), None)));
        assert_eq!(result["values"]["success"], json!(true));
    }
    let args = json!({"camera_info": {
        "header": {"seq": 0, "stamp": {"secs": 1, "nsecs": 2}, "frame_id": "cam"},
        "width": 640, "height": 480, "distortion_model": "plumb_bob",
        "D": [0.1, 0.2, 0.0, 0.0, 0.0],
    }});
    let result = ok(client.request(call("/it/set_camera_info", args, None)));
    assert_eq!(
        result["values"],
        json!({"success": true, "status_message": "cam 640x480 plumb_bob"})
    );
    let services = ok(client.request(Op::ListServices { filter: Some("/it/*".into()) }));
    assert_eq!(
        services["services"],
        json!([
            {"name": "/it/broken", "type": "std_srvs/Trigger"},
            {"name": "/it/set_bool", "type": "std_srvs/SetBool"},
            {"name": "/it/set_camera_info", "type": "sensor_msgs/SetCameraInfo"},
            {"name": "/it/slow", "type": "std_srvs/Trigger"},
        ])
    );
    assert_eq!(
        code(client.request(call("/it/set_bool", json!({}), Some("std_srvs/Trigger")))),
        ErrorCode::TypeMismatch
    );
    assert_eq!(
        code(client.request(call("/it/set_bool", json!({"data": "yes"}), None))),
        ErrorCode::TypeMismatch
    );
    assert_eq!(code(client.request(call("/it/none", json!({}), None))), ErrorCode::NotFound);
    let broken = client.request(call("/it/broken", json!({}), None));
    assert_eq!(code(broken), ErrorCode::ServiceError);
    let asked = Instant::now();
    let slow = client.request(Op::CallService {
        service: "/it/slow".into(),
        args: json!({}),
        type_name: None,
        timeout_ms: Some(300),
    });
    assert_eq!(code(slow), ErrorCode::Timeout);
    assert!(asked.elapsed() < Duration::from_secs(2), "{:?}", asked.elapsed());
    // The service still answers after the failures.
    let result = ok(client.request(call("/it/set_bool", json!({"data": true}), None)));
    assert_eq!(result["values"]["message"], "rospy saw True");
}

#[test]
fn ros_params_visible_to_rosparam() {
    let roscore = Roscore::start();
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    let set = |name: &str, value: Value| Op::ParamSet { name: name.into(), value };
    let get = |name: &str| Op::ParamGet { name: name.into() };
    ok(client.request(set("/it/speed", json!(7))));
    ok(client.request(set("/it/ratio", json!(1.5))));
    ok(client.request(set("/it/big", json!(3_000_000_000_i64))));
    ok(client.request(set("/it/off", json!(false))));
    ok(client.request(set("/it/nested", json!({"name": "r2", "list": [1, "two"]}))));
    assert_eq!(rostool(&roscore, "rosparam", &["get", "/it/speed"]).trim(), "7");
    assert_eq!(rostool(&roscore, "rosparam", &["get", "/it/ratio"]).trim(), "1.5");
    assert_eq!(rostool(&roscore, "rosparam", &["get", "/it/off"]).trim(), "false");
    assert_eq!(rostool(&roscore, "rosparam", &["get", "/it/nested/name"]).trim(), "r2");
    rostool(&roscore, "rosparam", &["set", "/it/from_cli", "hello"]);
    assert_eq!(ok(client.request(get("/it/from_cli")))["value"], "hello");
    assert_eq!(ok(client.request(get("/it/big")))["value"], json!(3_000_000_000.0));
    assert_eq!(
        ok(client.request(get("/it/nested")))["value"],
        json!({"list": [1, "two"], "name": "r2"})
    );
    let params = ok(client.request(Op::ListParams { filter: Some("/it/*".into()) }));
    assert!(params["params"].as_array().unwrap().contains(&json!("/it/from_cli")), "{params}");
    ok(client.request(Op::ParamDelete { name: "/it/speed".into() }));
    assert_eq!(code(client.request(get("/it/speed"))), ErrorCode::NotFound);
    assert_eq!(
        code(client.request(Op::ParamDelete { name: "/it/speed".into() })),
        ErrorCode::NotFound
    );
    assert_eq!(code(client.request(set("/it/null", Value::Null))), ErrorCode::InvalidRequest);
}

#[test]
fn ros_unexposed_names_are_refused() {
    let roscore = Roscore::start();
    let _services = python(&roscore, SERVICES, &[]);
    let bridge = ros_bridge(&roscore, &["subscribe=/ok/*", "param_read=/ok/*"]);
    let mut client = connect(&bridge.socket);
    assert_eq!(code(client.request(subscribe("/rosout", 1, None, Some(1)))), ErrorCode::NotAllowed);
    assert_eq!(
        code(client.request(call("/it/set_bool", json!({"data": true}), None))),
        ErrorCode::NotAllowed
    );
    assert_eq!(
        code(client.request(Op::ParamGet { name: "/run_id".into() })),
        ErrorCode::NotAllowed
    );
    assert_eq!(
        code(client.request(Op::ParamSet { name: "/ok/x".into(), value: json!(1) })),
        ErrorCode::NotAllowed
    );
    // Listings only show exposed names.
    let services = ok(client.request(Op::ListServices { filter: None }));
    assert_eq!(services["services"], json!([]));
    let params = ok(client.request(Op::ListParams { filter: None }));
    assert_eq!(params["params"], json!([]));
}

#[test]
fn ros_describe_type() {
    let roscore = Roscore::start();
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    let hello = ok(client.request(Op::Hello {
        protocol: 1,
        client: None,
        pid: None,
        capabilities: vec![],
    }));
    assert_eq!(hello["backend"], "ros");
    assert_eq!(hello["ros"]["connected"], true);
    let twist = ok(client.request(Op::Describe { type_name: "geometry_msgs/Twist".into() }));
    assert_eq!(twist["md5sum"], "9f195f881246fdfa2798d1d3eebca84a", "{twist}");
    assert_eq!(
        twist["fields"],
        json!([
            {"name": "linear", "type": "geometry_msgs/Vector3"},
            {"name": "angular", "type": "geometry_msgs/Vector3"},
        ])
    );
    assert_eq!(
        code(client.request(Op::Describe { type_name: "no_pkg/Nothing".into() })),
        ErrorCode::NotFound
    );
}

#[test]
fn ros_roscore_restart_resumes_subscription() {
    let mut roscore = Roscore::start();
    let publisher = python(&roscore, PUBLISHER, &["/it/chatter", "20"]);
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    ok(client.request(subscribe("/it/chatter", 1, None, Some(1000))));
    let (seq, _, _) = next_msg(&mut client, 1, Duration::from_secs(10));
    assert_eq!(seq, 1);
    ok(client.request(Op::Advertise {
        topic: "/it/out".into(),
        type_name: "std_msgs/String".into(),
        latch: false,
    }));
    ok(client.request(Op::Advertise {
        topic: "/it/latched".into(),
        type_name: "std_msgs/String".into(),
        latch: true,
    }));
    let publish = |client: &mut RawConnection, topic: &str, data: &str| {
        client.request(Op::Publish {
            topic: topic.into(),
            msg: json!({ "data": data }),
            type_name: None,
            ack: true,
        })
    };
    assert_eq!(ok(publish(&mut client, "/it/latched", "kept"))["seq"], 1);

    drop(publisher);
    roscore.stop();
    // While the master is down, requests answer ros_unavailable at once.
    let started = Instant::now();
    loop {
        let reply = client.request(Op::ListTopics { filter: None }).expect("reply");
        if reply.outcome.is_err() {
            assert_eq!(code(Ok(reply)), ErrorCode::RosUnavailable);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "still available");
        std::thread::sleep(Duration::from_millis(100));
    }
    let asked = Instant::now();
    assert_eq!(
        code(client.request(Op::ParamGet { name: "/run_id".into() })),
        ErrorCode::RosUnavailable
    );
    assert!(asked.elapsed() < Duration::from_secs(1));

    // Messages from before the stop that arrived while waiting for replies are kept by the
    // connection: drop them, so the next one must come from after the restart.
    client.take_buffered();
    roscore.restart();
    let _publisher = python(&roscore, PUBLISHER, &["/it/chatter", "20"]);
    // The same subscription resumes: no re-subscribe by the client.
    let (seq, _, msg) = next_msg(&mut client, 1, Duration::from_secs(15));
    assert!(seq >= 2, "seq {seq}");
    assert!(msg["data"].as_str().unwrap().starts_with("msg "), "{msg}");
    // The bridge registered again as the topic's subscriber and as /it/out's publisher.
    let info = rostool(&roscore, "rostopic", &["info", "/it/chatter"]);
    assert!(info.contains("/pyros_bridge_"), "{info}");
    let info = rostool(&roscore, "rostopic", &["info", "/it/out"]);
    assert!(info.contains("/pyros_bridge_"), "{info}");
    // The re-created publishers re-send the latched message and keep their sequence.
    let echo = rostool(&roscore, "rostopic", &["echo", "-n", "1", "/it/latched"]);
    assert!(echo.contains("data: \"kept\""), "{echo}");
    assert_eq!(ok(publish(&mut client, "/it/latched", "again"))["seq"], 2);
}

#[test]
fn ros_python_client() {
    let roscore = Roscore::start();
    let _publisher = python(&roscore, PUBLISHER, &["/it/chatter", "20"]);
    let _services = python(&roscore, SERVICES, &[]);
    let bridge = ros_bridge(&roscore, &["/it/*"]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = r#"
import time, pyros
c = pyros.Client()
sub = c.subscribe('/it/chatter')
first = next(iter(sub))
assert first.msg['data'].startswith('msg '), first
deadline = time.time() + 10
while True:
    try:
        values = c.call('/it/set_bool', {'data': True}, timeout=5)
        break
    except pyros.NotFound:
        assert time.time() < deadline
        time.sleep(0.1)
assert values == {'success': False, 'message': 'rospy saw True'}, values
c.param_set('/it/count', 0)
assert c.param_get('/it/count') == 0
try:
    c.param_get('/run_id')
    raise AssertionError('not refused')
except pyros.NotAllowed:
    pass
c.publish('/it/out', {'data': 'from python'}, type='std_msgs/String')
print('python client OK')
"#;
    let output = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .env("PYTHONPATH", root.join("bridge/python"))
        .env("PYROS_SOCKET", &bridge.socket)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("running the Python client");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("python client OK"), "{stderr}");
}

#[test]
fn ros_watch_graph_reports_new_topics() {
    let roscore = Roscore::start();
    let bridge = ros_bridge(&roscore, &["/it/*"]);
    let mut client = connect(&bridge.socket);
    ok(client.request(Op::WatchGraph {}));
    let _publisher = python(&roscore, PUBLISHER, &["/it/chatter", "20"]);
    client.set_timeout(Some(Duration::from_secs(15)));
    let started = Instant::now();
    let mut seen = Vec::new();
    while !seen.contains(&"/it/chatter".to_owned()) {
        assert!(started.elapsed() < Duration::from_secs(15), "no graph event, saw {seen:?}");
        if let ServerMessage::Event(Event::Graph { added, .. }, _) = recv(&mut client) {
            seen.extend(added);
        }
    }
    // Only exposed names are reported (the rospy node's logger services are not).
    assert!(seen.iter().all(|name| name.starts_with("/it/")), "{seen:?}");
}

#[test]
fn ros_bridge_started_before_roscore() {
    let mut roscore = Roscore::stopped();
    let bridge = ros_bridge(&roscore, &["*"]);
    let mut client = connect(&bridge.socket);
    let hello = ok(client.request(Op::Hello {
        protocol: 1,
        client: None,
        pid: None,
        capabilities: vec![],
    }));
    assert_eq!(hello["ros"]["connected"], false);
    assert_eq!(
        code(client.request(subscribe("/it/chatter", 1, None, Some(8)))),
        ErrorCode::RosUnavailable
    );
    roscore.restart();
    let _publisher = python(&roscore, PUBLISHER, &["/it/chatter", "20"]);
    until_ok(&mut client, || subscribe("/it/chatter", 1, None, Some(8)));
    let (seq, _, _) = next_msg(&mut client, 1, Duration::from_secs(10));
    assert_eq!(seq, 1);
}

/// A master proxy on 127.0.0.1: forwards XML-RPC requests to `upstream`, holding each
/// `registerPublisher` for `delay` while `slow` is set (keep-alive connections included).
struct SlowMaster {
    port: u16,
    slow: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// `registerPublisher` calls held so far.
    held: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// One HTTP message (head + Content-Length body) from `reader`; `None` at end of stream.
fn http_message(reader: &mut impl std::io::BufRead) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        message.extend_from_slice(line.as_bytes());
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let start = message.len();
    message.resize(start + length, 0);
    reader.read_exact(&mut message[start..]).ok()?;
    Some(message)
}

impl SlowMaster {
    fn start(upstream: u16, delay: Duration) -> SlowMaster {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let slow = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let held = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s, h) = (slow.clone(), held.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (slow, held) = (s.clone(), h.clone());
                std::thread::spawn(move || {
                    let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", upstream)) else {
                        return;
                    };
                    let mut from_client = std::io::BufReader::new(client.try_clone().unwrap());
                    let mut from_server = std::io::BufReader::new(server.try_clone().unwrap());
                    let (mut client, mut server) = (client, server);
                    while let Some(request) = http_message(&mut from_client) {
                        let text = String::from_utf8_lossy(&request);
                        if slow.load(Ordering::SeqCst) && text.contains("registerPublisher") {
                            held.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(delay);
                        }
                        use std::io::Write as _;
                        if server.write_all(&request).is_err() {
                            return;
                        }
                        let Some(response) = http_message(&mut from_server) else { return };
                        if client.write_all(&response).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SlowMaster { port, slow, held }
    }
}

/// The publishers lock used to be held across the master calls of `advertise`: one slow
/// `registerPublisher` (up to 5 s) stalled every publish on every topic. Now a publish on an
/// advertised topic answers while another topic's registration is held by a slow master.
#[test]
fn ros_slow_master_does_not_stall_publishing_on_other_topics() {
    use std::sync::atomic::Ordering;
    const DELAY: Duration = Duration::from_secs(3);
    let roscore = Roscore::start();
    let upstream: u16 = roscore.uri().rsplit(':').next().unwrap().parse().unwrap();
    let proxy = SlowMaster::start(upstream, DELAY);
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("pyros.sock");
    let mut command = Command::new(super::bridge_exe());
    command.args(["run", "--backend", "ros", "--allow", "*", "--socket"]).arg(&socket);
    roscore.env(&mut command).env("ROS_MASTER_URI", format!("http://127.0.0.1:{}", proxy.port));
    let log = fs_err::File::create(roscore.home().join("bridge.log")).expect("bridge log");
    command.stderr(log.into_parts().0);
    let bridge = super::Bridge { child: command.spawn().expect("pyros-bridge"), socket, _dir: dir };
    let started = Instant::now();
    while !bridge.socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "bridge did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut client = connect(&bridge.socket);
    let publish = |client: &mut RawConnection, n: u64| {
        client.request(Op::Publish {
            topic: "/it/fast".into(),
            msg: json!({"data": format!("msg {n}")}),
            type_name: None,
            ack: true,
        })
    };
    until_ok(&mut client, || Op::Advertise {
        topic: "/it/fast".into(),
        type_name: "std_msgs/String".into(),
        latch: false,
    });
    ok(publish(&mut client, 0));

    proxy.slow.store(true, Ordering::SeqCst);
    let path = bridge.socket.clone();
    let slow = std::thread::spawn(move || {
        let mut other = connect(&path);
        let started = Instant::now();
        let reply = other.request(Op::Advertise {
            topic: "/it/slow".into(),
            type_name: "std_msgs/String".into(),
            latch: false,
        });
        (reply, started.elapsed())
    });
    let started = Instant::now();
    while proxy.held.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "registerPublisher never came");
        std::thread::sleep(Duration::from_millis(10));
    }
    // registerPublisher of /it/slow is being held: publishing on /it/fast goes on.
    let held_since = Instant::now();
    for n in 1..=20 {
        let sent = Instant::now();
        ok(publish(&mut client, n));
        assert!(sent.elapsed() < Duration::from_millis(500), "publish {n}: {:?}", sent.elapsed());
    }
    assert!(held_since.elapsed() < DELAY, "the publishes ran while the master call was held");
    let (reply, took) = slow.join().expect("the slow advertise");
    ok(reply);
    assert!(took >= DELAY - Duration::from_millis(200), "the proxy held it: {took:?}");
}
