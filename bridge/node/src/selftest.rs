//! `pyros-bridge selftest`: starts the node with the mock backend on a temporary socket and
//! runs the protocol conformance suite against it. The last line is `N passed, M failed`.
//! `selftest --socket PATH` checks a running bridge instead ([`live`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use bridge_protocol::frame::Frame;
use bridge_protocol::reply::Stamp;
use bridge_protocol::{
    DEFAULT_MAX_FRAME, DropPolicy, ErrorCode, Event, Op, Reply, Request, ServerMessage,
    SubscribeMode,
};
use pyros::wire::RawConnection;
use serde_json::{Value, json};
use tokio::net::UnixListener;

use bridge_node::access::Policy;
use bridge_node::mock::MockBackend;
use bridge_node::server::{Config, run};

mod live;

pub(crate) use live::run_live;

const CHECK_TIMEOUT: Duration = Duration::from_secs(20);
/// `max_frame` of the node under test (small, so the oversized check is cheap).
const TEST_MAX_FRAME: usize = 1024 * 1024;
const TEST_MAX_INFLIGHT: usize = 8;

/// A connection that completed `hello` with `capabilities`.
pub(crate) async fn greeted(path: &Path, capabilities: &[&str]) -> Result<RawConnection> {
    Ok(RawConnection::greeted(path, "selftest", capabilities).await?)
}

/// The result of a successful reply, or an error describing the failure.
pub(crate) fn ok(reply: Reply) -> Result<Value> {
    reply.outcome.map_err(|e| anyhow!("expected success, got {}: {}", e.code, e.message))
}

/// Checks that the reply failed with `code`.
pub(crate) fn fails_with(reply: Reply, code: ErrorCode) -> Result<()> {
    match reply.outcome {
        Err(error) if error.code == code => Ok(()),
        Err(error) => bail!("expected {code}, got {}: {}", error.code, error.message),
        Ok(value) => bail!("expected {code}, got success: {value}"),
    }
}

/// The configuration the suite expects: everything readable, `/test/**` parameters
/// writable, `/secret/**` denied.
pub(crate) fn selftest_config() -> Config {
    let allow: Vec<String> =
        ["subscribe=/*", "publish=/*", "call=/*", "param_read=/*", "param_write=/test/*"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let policy = Policy::from_specs(&allow, &["/secret/*".to_string()]).unwrap_or_default();
    let mut config = Config::new(policy);
    config.max_frame = TEST_MAX_FRAME;
    config.max_inflight = TEST_MAX_INFLIGHT;
    config
}

/// Running node under test.
struct Node {
    path: PathBuf,
    backend: Arc<MockBackend>,
}

/// Runs the suite, writing one line per check and the summary; returns (passed, failed).
pub(crate) async fn run_selftest(out: &mut (impl Write + Send)) -> Result<(usize, usize)> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("pyros.sock");
    let listener =
        UnixListener::bind(&path).with_context(|| format!("binding `{}`", path.display()))?;
    let backend = Arc::new(MockBackend::default());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(listener, selftest_config(), backend.clone(), async {
        let _ = stop_rx.await;
    }));
    let node = Node { path, backend };
    let mut passed = 0;
    let mut failed = 0;
    macro_rules! check {
        ($name:literal, $check:ident) => {
            let started = Instant::now();
            let result = match tokio::time::timeout(CHECK_TIMEOUT, $check(&node)).await {
                Ok(result) => result,
                Err(_) => Err(anyhow!("timed out after {CHECK_TIMEOUT:?}")),
            };
            match result {
                Ok(()) => {
                    passed += 1;
                    writeln!(out, "ok     {} ({} ms)", $name, started.elapsed().as_millis())?;
                }
                Err(error) => {
                    failed += 1;
                    writeln!(out, "FAILED {}: {error:#}", $name)?;
                }
            }
        };
    }
    check!("hello", hello);
    check!("hello: wrong protocol version", hello_version);
    check!("request before hello", before_hello);
    check!("ping", ping);
    check!("list topics, services, params", list);
    check!("describe", describe);
    check!("publish/subscribe with sequence numbers", pub_sub);
    check!("drop policy and dropped counts", drops);
    check!("slow subscriber: drops counted, bridge unaffected", slow_subscriber);
    check!("binary attachments and base64 fallback", binary);
    check!("unsubscribe", unsubscribe);
    check!("get_latest", get_latest);
    check!("call_service", call);
    check!("call_service with timeout", call_timeout);
    check!("concurrent requests on one connection", concurrent);
    check!("overloaded", overloaded);
    check!("params", params);
    check!("not_allowed", not_allowed);
    check!("watch_graph", watch_graph);
    check!("ros_unavailable (fault injection)", unavailable);
    check!("malformed frames answered with an error frame", malformed);
    check!("invalid requests", invalid_requests);
    check!("client disconnects mid-request", disconnect);
    check!("oversized frame", oversized);
    check!("peer uid check (SO_PEERCRED)", peer_uid);
    check!("shutdown notifies clients", shutdown);
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    writeln!(out, "{passed} passed, {failed} failed")?;
    Ok((passed, failed))
}

async fn hello(node: &Node) -> Result<()> {
    let mut client = RawConnection::connect(&node.path).await?;
    let welcome = ok(client
        .request(Op::Hello {
            protocol: 1,
            client: Some("selftest".into()),
            pid: None,
            capabilities: vec!["binary".into(), "future-thing".into()],
        })
        .await?)?;
    ensure!(welcome["protocol"] == 1, "protocol: {welcome}");
    ensure!(welcome["session_id"].is_string(), "session_id: {welcome}");
    ensure!(welcome["capabilities"] == json!(["binary"]), "capabilities: {welcome}");
    ensure!(welcome["limits"]["max_frame"] == TEST_MAX_FRAME, "limits: {welcome}");
    Ok(())
}

async fn hello_version(node: &Node) -> Result<()> {
    let mut client = RawConnection::connect(&node.path).await?;
    let reply = client
        .request(Op::Hello { protocol: 99, client: None, pid: None, capabilities: vec![] })
        .await?;
    fails_with(reply, ErrorCode::InvalidRequest)
}

async fn before_hello(node: &Node) -> Result<()> {
    let mut client = RawConnection::connect(&node.path).await?;
    fails_with(client.request(Op::Ping {}).await?, ErrorCode::InvalidRequest)
}

async fn ping(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let pong = ok(client.request(Op::Ping {}).await?)?;
    ensure!(pong["time"]["secs"].is_u64(), "pong: {pong}");
    Ok(())
}

async fn list(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let topics = ok(client.request(Op::ListTopics { filter: None }).await?)?;
    let names: Vec<&str> = topics["topics"]
        .as_array()
        .context("topics")?
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    ensure!(names.contains(&"/chatter"), "topics: {names:?}");
    ensure!(!names.contains(&"/secret/plan"), "denied topic listed: {names:?}");
    let chatter = topics["topics"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "/chatter"))
        .context("chatter")?;
    ensure!(chatter["type"] == "std_msgs/String", "{chatter}");
    let filtered = ok(client.request(Op::ListTopics { filter: Some("/cam*".into()) }).await?)?;
    ensure!(filtered["topics"].as_array().map(Vec::len) == Some(1), "filtered: {filtered}");
    let services = ok(client.request(Op::ListServices { filter: None }).await?)?;
    let services = services["services"].to_string();
    ensure!(services.contains("/echo") && !services.contains("/secret"), "{services}");
    let params = ok(client.request(Op::ListParams { filter: None }).await?)?;
    ensure!(params["params"].to_string().contains("/robot/name"), "{params}");
    Ok(())
}

async fn describe(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let described =
        ok(client.request(Op::Describe { type_name: "std_msgs/String".into() }).await?)?;
    ensure!(described["definition"] == "string data\n", "{described}");
    ensure!(described["fields"] == json!([{"name": "data", "type": "string"}]), "{described}");
    let missing = client.request(Op::Describe { type_name: "nope_msgs/Nope".into() }).await?;
    fails_with(missing, ErrorCode::NotFound)
}

fn subscribe_op(topic: &str, sub_id: u64) -> Op {
    Op::Subscribe {
        topic: topic.into(),
        sub_id,
        type_name: None,
        mode: SubscribeMode::Stream,
        queue_length: None,
        policy: DropPolicy::DropOldest,
        throttle_ms: None,
    }
}

fn publish_op(topic: &str, msg: Value) -> Op {
    Op::Publish { topic: topic.into(), msg, type_name: None, ack: true }
}

struct Msg {
    sub_id: u64,
    seq: u64,
    dropped: u64,
    msg: Value,
    attachments: Vec<Vec<u8>>,
}

async fn next_msg(client: &mut RawConnection) -> Result<Msg> {
    loop {
        match client.event().await? {
            (
                Event::Msg { sub_id, seq, dropped, msg, stamp_recv: Stamp { .. }, .. },
                attachments,
            ) => {
                return Ok(Msg { sub_id, seq, dropped, msg, attachments });
            }
            _ => continue,
        }
    }
}

async fn pub_sub(node: &Node) -> Result<()> {
    let mut subscriber = greeted(&node.path, &[]).await?;
    let mut publisher = greeted(&node.path, &[]).await?;
    ok(subscriber.request(subscribe_op("/chatter", 7)).await?)?;
    for i in 1..=3 {
        ok(publisher
            .request(publish_op("/chatter", json!({"data": format!("hello {i}")})))
            .await?)?;
    }
    for i in 1..=3u64 {
        let msg = next_msg(&mut subscriber).await?;
        ensure!(msg.sub_id == 7, "sub_id {}", msg.sub_id);
        ensure!(msg.seq == i && msg.dropped == 0, "seq {} dropped {}", msg.seq, msg.dropped);
        ensure!(msg.msg == json!({"data": format!("hello {i}")}), "{}", msg.msg);
    }
    // Type mismatch on a known topic.
    let reply = publisher
        .request(Op::Publish {
            topic: "/chatter".into(),
            msg: json!({"data": 1}),
            type_name: Some("std_msgs/Int32".into()),
            ack: true,
        })
        .await?;
    fails_with(reply, ErrorCode::TypeMismatch)?;
    // Unknown topic without a type.
    fails_with(publisher.request(publish_op("/nowhere", json!({}))).await?, ErrorCode::NotFound)?;
    // Duplicate sub_id.
    fails_with(subscriber.request(subscribe_op("/chatter", 7)).await?, ErrorCode::InvalidRequest)
}

async fn drops(node: &Node) -> Result<()> {
    let mut subscriber = greeted(&node.path, &[]).await?;
    let mut publisher = greeted(&node.path, &[]).await?;
    ok(publisher
        .request(Op::Advertise {
            topic: "/drops".into(),
            type_name: "std_msgs/Int32".into(),
            latch: false,
        })
        .await?)?;
    ok(subscriber
        .request(Op::Subscribe {
            topic: "/drops".into(),
            sub_id: 1,
            type_name: None,
            mode: SubscribeMode::Latest,
            queue_length: Some(1),
            policy: DropPolicy::DropOldest,
            throttle_ms: Some(1000),
        })
        .await?)?;
    ok(publisher.request(publish_op("/drops", json!({"data": 1}))).await?)?;
    let first = next_msg(&mut subscriber).await?;
    // The subscription now sleeps for the throttle; 2..6 compete for one queue slot.
    for i in 2..=6 {
        ok(publisher.request(publish_op("/drops", json!({"data": i}))).await?)?;
    }
    let second = next_msg(&mut subscriber).await?;
    ensure!(
        first.seq == 1 && first.dropped == 0,
        "first seq {} dropped {}",
        first.seq,
        first.dropped
    );
    ensure!(second.seq == 6, "second seq {}", second.seq);
    ensure!(second.dropped == 4, "second dropped {}", second.dropped);
    ensure!(second.msg == json!({"data": 6}), "drop_oldest keeps the newest: {}", second.msg);
    Ok(())
}

async fn slow_subscriber(node: &Node) -> Result<()> {
    let mut subscriber = greeted(&node.path, &[]).await?;
    let mut publisher = greeted(&node.path, &[]).await?;
    ok(publisher
        .request(Op::Advertise {
            topic: "/flood".into(),
            type_name: "std_msgs/String".into(),
            latch: false,
        })
        .await?)?;
    ok(subscriber
        .request(Op::Subscribe {
            topic: "/flood".into(),
            sub_id: 1,
            type_name: None,
            mode: SubscribeMode::Stream,
            queue_length: Some(8),
            policy: DropPolicy::DropOldest,
            throttle_ms: None,
        })
        .await?)?;
    // 60 × 200 kB while the subscriber does not read: three times the 4 MiB send budget.
    let big = "x".repeat(200_000);
    let started = Instant::now();
    for _ in 0..60 {
        ok(publisher.request(publish_op("/flood", json!({"data": big}))).await?)?;
    }
    ensure!(
        started.elapsed() < Duration::from_secs(10),
        "publisher was slowed down by the subscriber"
    );
    // Everything queued before this reply is now read (and stashed as events).
    ok(subscriber.request(Op::Ping {}).await?)?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    ok(publisher.request(publish_op("/flood", json!({"data": "end"}))).await?)?;
    let mut previous = 0;
    let mut delivered = 0;
    loop {
        let msg = next_msg(&mut subscriber).await?;
        ensure!(
            msg.seq == previous + msg.dropped + 1,
            "seq {} after {previous} with dropped {}",
            msg.seq,
            msg.dropped
        );
        previous = msg.seq;
        delivered += 1;
        if msg.msg["data"] == "end" {
            break;
        }
    }
    ensure!(previous == 61, "last seq {previous}");
    ensure!(delivered < 61, "nothing was dropped ({delivered} delivered)");
    Ok(())
}

async fn binary(node: &Node) -> Result<()> {
    let mut raw = greeted(&node.path, &["binary"]).await?;
    let mut legacy = greeted(&node.path, &[]).await?;
    ok(raw.request(subscribe_op("/camera/image", 1)).await?)?;
    ok(legacy.request(subscribe_op("/camera/image", 1)).await?)?;
    let image =
        json!({"height": 1, "width": 3, "encoding": "mono8", "step": 3, "data": {"$bin": 0}});
    ok(raw.request_with(publish_op("/camera/image", image), vec![b"foo".to_vec()]).await?)?;
    let got = next_msg(&mut raw).await?;
    ensure!(got.msg["data"] == json!({"$bin": 0}), "{}", got.msg);
    ensure!(got.attachments == vec![b"foo".to_vec()], "attachments {:?}", got.attachments);
    let got = next_msg(&mut legacy).await?;
    ensure!(got.msg["data"] == "Zm9v" && got.attachments.is_empty(), "{}", got.msg);
    // A reference to an attachment that is not there.
    let bad = raw.request(publish_op("/camera/image", json!({"data": {"$bin": 3}}))).await?;
    fails_with(bad, ErrorCode::InvalidRequest)
}

async fn unsubscribe(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    ok(client.request(subscribe_op("/counter", 3)).await?)?;
    ok(client.request(Op::Unsubscribe { sub_id: 3 }).await?)?;
    ok(client.request(publish_op("/counter", json!({"data": 1}))).await?)?;
    ok(client.request(Op::Ping {}).await?)?;
    ensure!(
        !client.buffered().any(|m| matches!(m, ServerMessage::Event(..))),
        "event after unsubscribe"
    );
    fails_with(client.request(Op::Unsubscribe { sub_id: 3 }).await?, ErrorCode::NotFound)
}

fn latest_op(topic: &str, wait_ms: Option<u64>, after_seq: Option<u64>) -> Op {
    Op::GetLatest { topic: topic.into(), max_age_ms: None, wait_ms, after_seq }
}

async fn get_latest(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let mut publisher = greeted(&node.path, &[]).await?;
    ok(client
        .request(Op::Advertise {
            topic: "/latest".into(),
            type_name: "std_msgs/Int32".into(),
            latch: false,
        })
        .await?)?;
    fails_with(client.request(latest_op("/latest", None, None)).await?, ErrorCode::NoData)?;
    fails_with(client.request(latest_op("/unknown", None, None)).await?, ErrorCode::NotFound)?;
    ok(publisher.request(publish_op("/latest", json!({"data": 1}))).await?)?;
    ok(publisher.request(publish_op("/latest", json!({"data": 2}))).await?)?;
    let latest = ok(client.request(latest_op("/latest", None, None)).await?)?;
    ensure!(latest["seq"] == 2 && latest["msg"] == json!({"data": 2}), "{latest}");
    // Wait for a newer message than seq 2.
    let id = client.send(latest_op("/latest", Some(3000), Some(2)), vec![]).await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    ok(publisher.request(publish_op("/latest", json!({"data": 3}))).await?)?;
    let waited = ok(client.reply(Some(id)).await?)?;
    ensure!(waited["seq"] == 3, "{waited}");
    // Nothing newer arrives: no_data after the wait.
    let started = Instant::now();
    fails_with(client.request(latest_op("/latest", Some(100), Some(3))).await?, ErrorCode::NoData)?;
    ensure!(started.elapsed() >= Duration::from_millis(90), "returned early");
    // Freshness.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let stale = client
        .request(Op::GetLatest {
            topic: "/latest".into(),
            max_age_ms: Some(10),
            wait_ms: None,
            after_seq: None,
        })
        .await?;
    fails_with(stale, ErrorCode::NoData)
}

fn call_op(service: &str, args: Value, timeout_ms: Option<u64>) -> Op {
    Op::CallService { service: service.into(), args, type_name: None, timeout_ms }
}

async fn call(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let echo = ok(client.request(call_op("/echo", json!({"x": [1, 2]}), None)).await?)?;
    ensure!(echo["values"] == json!({"x": [1, 2]}), "{echo}");
    let sum = ok(client.request(call_op("/add_two_ints", json!({"a": 2, "b": 40}), None)).await?)?;
    ensure!(sum["values"]["sum"] == 42, "{sum}");
    fails_with(
        client.request(call_op("/add_two_ints", json!({"a": "2"}), None)).await?,
        ErrorCode::TypeMismatch,
    )?;
    fails_with(client.request(call_op("/fail", json!({}), None)).await?, ErrorCode::ServiceError)?;
    fails_with(client.request(call_op("/missing", json!({}), None)).await?, ErrorCode::NotFound)
}

async fn call_timeout(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let started = Instant::now();
    fails_with(
        client.request(call_op("/slow", json!({"delay_ms": 5000}), Some(100))).await?,
        ErrorCode::Timeout,
    )?;
    ensure!(started.elapsed() < Duration::from_secs(2), "timeout not honoured");
    let done = ok(client.request(call_op("/slow", json!({"delay_ms": 10}), Some(2000))).await?)?;
    ensure!(done["values"]["slept_ms"] == 10, "{done}");
    Ok(())
}

async fn concurrent(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let slow = client.send(call_op("/slow", json!({"delay_ms": 500}), None), vec![]).await?;
    let ping = client.send(Op::Ping {}, vec![]).await?;
    // The first reply to arrive must be the ping: a slow call does not block the connection.
    match client.recv().await? {
        Some(ServerMessage::Reply(reply)) if reply.id == Some(ping) => {}
        other => bail!("expected the ping reply first, got {other:?}"),
    }
    ok(client.reply(Some(slow)).await?)?;
    Ok(())
}

async fn overloaded(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let mut ids = Vec::new();
    for _ in 0..TEST_MAX_INFLIGHT + 2 {
        ids.push(client.send(call_op("/slow", json!({"delay_ms": 300}), None), vec![]).await?);
    }
    let mut overloaded = 0;
    for id in ids {
        match client.reply(Some(id)).await?.outcome {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::Overloaded => overloaded += 1,
            Err(e) => bail!("unexpected {}: {}", e.code, e.message),
        }
    }
    ensure!(overloaded == 2, "{overloaded} overloaded replies, expected 2");
    Ok(())
}

async fn params(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let name = ok(client.request(Op::ParamGet { name: "/robot/name".into() }).await?)?;
    ensure!(name["value"] == "mock", "{name}");
    for value in [json!(false), json!(0), json!(""), json!({"a": [1.5, null]})] {
        ok(client.request(Op::ParamSet { name: "/test/p".into(), value: value.clone() }).await?)?;
        let got = ok(client.request(Op::ParamGet { name: "/test/p".into() }).await?)?;
        ensure!(got["value"] == value, "set {value}, got {got}");
    }
    ok(client.request(Op::ParamDelete { name: "/test/p".into() }).await?)?;
    fails_with(
        client.request(Op::ParamGet { name: "/test/p".into() }).await?,
        ErrorCode::NotFound,
    )?;
    fails_with(
        client.request(Op::ParamDelete { name: "/test/p".into() }).await?,
        ErrorCode::NotFound,
    )
}

async fn not_allowed(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let denied = [
        subscribe_op("/secret/plan", 1),
        publish_op("/secret/plan", json!({"data": "x"})),
        latest_op("/secret/plan", None, None),
        call_op("/secret/launch", json!({}), None),
        Op::ParamSet { name: "/robot/name".into(), value: json!("hacked") },
        Op::ParamDelete { name: "/robot/name".into() },
        Op::ParamGet { name: "/secret/key".into() },
    ];
    for op in denied {
        let name = op.name();
        fails_with(client.request(op).await?, ErrorCode::NotAllowed)
            .with_context(|| format!("op `{name}`"))?;
    }
    let name = ok(client.request(Op::ParamGet { name: "/robot/name".into() }).await?)?;
    ensure!(name["value"] == "mock", "param changed: {name}");
    fails_with(client.request(subscribe_op("relative/name", 2)).await?, ErrorCode::InvalidRequest)
}

async fn watch_graph(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    ok(client.request(Op::WatchGraph {}).await?)?;
    // A hidden name appearing produces no event for this client.
    bridge_node::backend::Backend::advertise(
        &*node.backend,
        "/secret/hidden",
        "std_msgs/String",
        false,
    )
    .await?;
    ok(client
        .request(Op::Advertise {
            topic: "/graph/new".into(),
            type_name: "std_msgs/String".into(),
            latch: false,
        })
        .await?)?;
    match client.event().await? {
        (Event::Graph { added, removed }, _) => {
            ensure!(added == vec!["/graph/new".to_string()], "added {added:?}");
            ensure!(removed.is_empty(), "removed {removed:?}");
        }
        (other, _) => bail!("expected a graph event, got {other:?}"),
    }
    ok(client.request(Op::UnwatchGraph {}).await?)?;
    Ok(())
}

async fn unavailable(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    node.backend.set_available(false);
    let result = async {
        fails_with(
            client.request(Op::ListTopics { filter: None }).await?,
            ErrorCode::RosUnavailable,
        )?;
        fails_with(
            client.request(call_op("/echo", json!({}), None)).await?,
            ErrorCode::RosUnavailable,
        )
    }
    .await;
    node.backend.set_available(true);
    result?;
    ok(client.request(Op::ListTopics { filter: None }).await?)?;
    Ok(())
}

fn raw_frame(body: &[u8]) -> Vec<u8> {
    let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(body);
    bytes
}

async fn malformed(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let header = b"{not json";
    let mut body = (header.len() as u32).to_be_bytes().to_vec();
    body.extend_from_slice(header);
    client.send_raw(&raw_frame(&body)).await?;
    fails_with(client.reply(None).await?, ErrorCode::InvalidRequest)?;
    // Header length pointing past the body.
    client.send_raw(&raw_frame(b"\0\0\0\x50{}")).await?;
    fails_with(client.reply(None).await?, ErrorCode::InvalidRequest)?;
    // Header that is JSON but not an object.
    client.send_raw(&raw_frame(b"\0\0\0\x02[]")).await?;
    fails_with(client.reply(None).await?, ErrorCode::InvalidRequest)?;
    // The connection is still usable.
    ok(client.request(Op::Ping {}).await?)?;
    Ok(())
}

async fn invalid_requests(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let cases = [
        json!({"id": 100, "op": "explode"}),
        json!({"id": 101, "op": "subscribe", "topic": 5, "sub_id": 1}),
        json!({"id": 102, "op": "call_service", "service": "/echo", "timeout_ms": "soon"}),
        json!({"id": 103, "op": "subscribe", "topic": "/a", "sub_id": 1, "queue_length": 0}),
        json!({"id": 104, "op": "subscribe", "topic": "/bad name!", "sub_id": 1}),
        json!({"id": 105, "op": "param_get", "name": "/robot//name"}),
        json!({"id": 106, "op": "call_service", "service": "/1echo", "args": {}}),
    ];
    for case in cases {
        let id = case["id"].as_u64();
        let frame = Frame::new(case.as_object().cloned().unwrap_or_default());
        client.send_raw(&frame.encode(DEFAULT_MAX_FRAME)?).await?;
        fails_with(client.reply(id).await?, ErrorCode::InvalidRequest)
            .with_context(|| format!("request {case}"))?;
    }
    let frame = Frame::new(json!({"op": "ping"}).as_object().cloned().unwrap_or_default());
    client.send_raw(&frame.encode(DEFAULT_MAX_FRAME)?).await?;
    fails_with(client.reply(None).await?, ErrorCode::InvalidRequest)?;
    ok(client.request(Op::Ping {}).await?)?;
    Ok(())
}

async fn disconnect(node: &Node) -> Result<()> {
    {
        let mut client = greeted(&node.path, &[]).await?;
        ok(client.request(subscribe_op("/chatter", 1)).await?)?;
        client.send(call_op("/slow", json!({"delay_ms": 300}), None), vec![]).await?;
        // Half a frame, then the client goes away.
        let bytes = Request { id: 99, op: Op::Ping {}, attachments: vec![] }
            .to_frame()
            .encode(DEFAULT_MAX_FRAME)?;
        client.send_raw(&bytes[..bytes.len() / 2]).await?;
    }
    let mut other = greeted(&node.path, &[]).await?;
    ok(other.request(subscribe_op("/chatter", 1)).await?)?;
    ok(other.request(publish_op("/chatter", json!({"data": "still here"}))).await?)?;
    let msg = next_msg(&mut other).await?;
    ensure!(msg.msg["data"] == "still here", "{}", msg.msg);
    tokio::time::sleep(Duration::from_millis(400)).await;
    ok(other.request(Op::Ping {}).await?)?;
    Ok(())
}

async fn oversized(node: &Node) -> Result<()> {
    let mut client = greeted(&node.path, &[]).await?;
    let len = u32::try_from(TEST_MAX_FRAME + 1).unwrap_or(u32::MAX);
    // Only the prefix: the node must refuse before reading (or buffering) the body.
    client.send_raw(&len.to_be_bytes()).await?;
    fails_with(client.reply(None).await?, ErrorCode::TooLarge)?;
    ensure!(client.closed().await, "connection left open after too_large");
    // The node itself is fine.
    let mut other = greeted(&node.path, &[]).await?;
    ok(other.request(Op::Ping {}).await?)?;
    Ok(())
}

/// Starts a second node on its own socket; returns its path, the stop sender and the task.
async fn start_node(
    dir: &Path,
    config: Config,
) -> Result<(PathBuf, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>)> {
    let path = dir.join("extra.sock");
    let listener = UnixListener::bind(&path)?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, config, Arc::new(MockBackend::default()), async {
        let _ = stop_rx.await;
    }));
    Ok((path, stop_tx, task))
}

async fn peer_uid(_node: &Node) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = selftest_config();
    let own = rustix::process::getuid().as_raw();
    config.allowed_uids = vec![own.wrapping_add(12345)];
    let (path, stop, task) = start_node(dir.path(), config).await?;
    let mut client = RawConnection::connect(&path).await?;
    let refused = client.reply(None).await?;
    fails_with(refused, ErrorCode::NotAllowed)?;
    ensure!(client.closed().await, "connection left open");
    let _ = stop.send(());
    let _ = task.await;
    Ok(())
}

async fn shutdown(_node: &Node) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (path, stop, task) = start_node(dir.path(), selftest_config()).await?;
    let mut client = greeted(&path, &[]).await?;
    let _ = stop.send(());
    match client.event().await? {
        (Event::Status { code, .. }, _) if code == "shutting_down" => {}
        (other, _) => bail!("expected status shutting_down, got {other:?}"),
    }
    ensure!(client.closed().await, "connection left open");
    tokio::time::timeout(Duration::from_secs(5), task).await??;
    Ok(())
}
