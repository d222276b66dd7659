//! `pyros-bridge selftest --socket PATH`: checks a running bridge (the installed service, any
//! backend) without knowing the robot's topics and without changing anything on the robot:
//! connect, the protocol handshake and version, ping, the ROS master connection, listing what
//! the profile exposes, clear errors for unknown names and malformed frames, and a subscribe /
//! unsubscribe on the first exposed topic; with `--topic NAME` also a `std_msgs/String`
//! publish / subscribe round trip on that (allow-listed) test topic. Same output as the
//! in-process suite: one line per check, then `N passed, M failed`.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use bridge_protocol::{DropPolicy, ErrorCode, Event, Op, ServerMessage, SubscribeMode};
use pyros::wire::{RawConnection, WireError};
use serde_json::{Value, json};

use super::{fails_with, ok, raw_frame};

/// Longest a single check may take against a live bridge.
const CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// What the checks learn from the bridge as they go.
#[derive(Debug, Default)]
struct Live {
    /// The `hello` result, once the handshake passed.
    welcome: Option<Value>,
    /// Topics the profile exposes for subscribing, as `list_topics` gave them.
    subscribable: Vec<String>,
}

/// Runs the checks against the bridge listening on `path` (plus the round trip on `topic`
/// when given), writing one line per check and the summary; returns (passed, failed). A
/// bridge that cannot be reached is one failed check (`connect`) whose line says why and what
/// to do.
pub(crate) async fn run_live(
    path: &Path,
    topic: Option<&str>,
    out: &mut (impl Write + Send),
) -> Result<(usize, usize)> {
    let mut live = Live::default();
    let mut passed = 0;
    let mut failed = 0;
    macro_rules! check {
        ($name:literal, $check:expr) => {{
            let started = Instant::now();
            let result = match tokio::time::timeout(CHECK_TIMEOUT, $check).await {
                Ok(result) => result,
                Err(_) => Err(anyhow!("timed out after {CHECK_TIMEOUT:?}")),
            };
            match result {
                Ok(note) => {
                    passed += 1;
                    let note: String = note;
                    let note = if note.is_empty() { note } else { format!(": {note}") };
                    writeln!(out, "ok     {}{note} ({} ms)", $name, started.elapsed().as_millis())?;
                    true
                }
                Err(error) => {
                    failed += 1;
                    writeln!(out, "FAILED {}: {error:#}", $name)?;
                    false
                }
            }
        }};
    }
    writeln!(out, "checking the bridge at {}", path.display())?;
    if !check!("connect", connect(path)) || !check!("hello (protocol 1)", hello(path, &mut live)) {
        writeln!(out, "{passed} passed, {failed} failed")?;
        return Ok((passed, failed));
    }
    check!("hello: wrong protocol version refused", hello_version(path));
    check!("ping round trip", ping(path));
    check!("ROS master connection", master(&live));
    check!("list topics", list_topics(path, &mut live));
    check!("list services", list(path, Op::ListServices { filter: None }, "services"));
    check!("list params", list(path, Op::ListParams { filter: None }, "params"));
    check!("unknown names answered clearly", unknown_names(path));
    check!("malformed frame answered with an error frame", malformed(path));
    check!("subscribe and unsubscribe an exposed topic", subscribe(path, &live));
    if let Some(topic) = topic {
        check!("publish/subscribe round trip on the test topic", round_trip(path, topic));
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    Ok((passed, failed))
}

/// The socket accepts a connection; otherwise why not, with what to do about it.
async fn connect(path: &Path) -> Result<String> {
    let shown = path.display();
    match RawConnection::connect(path).await {
        Ok(_) => Ok(String::new()),
        Err(WireError::Connect { source: error, .. }) => {
            let (what, hint) = match error.kind() {
                std::io::ErrorKind::NotFound => (
                    format!("no socket at `{shown}`"),
                    "is the bridge running? `systemctl status pyros-bridge`; the system \
                     bridge's sockets are the `socket` keys of /etc/pyros/bridge.toml"
                        .to_owned(),
                ),
                std::io::ErrorKind::PermissionDenied => (
                    format!("permission denied on `{shown}`"),
                    format!(
                        "the socket is open to its owner and group only (`ls -l {shown}`): \
                         join that group (`adduser $USER pyros`) and log in again, or run \
                         as root"
                    ),
                ),
                std::io::ErrorKind::ConnectionRefused => (
                    format!("nothing is listening on `{shown}` (a socket file left behind?)"),
                    "start the bridge: `systemctl restart pyros-bridge`".to_owned(),
                ),
                _ => (
                    format!("cannot connect to `{shown}`: {error}"),
                    "give the path of a pyros-bridge socket".to_owned(),
                ),
            };
            bail!("{what}\nhint: {hint}")
        }
        Err(error) => Err(error.into()),
    }
}

/// `hello` with protocol 1: the welcome names the protocol, the server, the session and the
/// backend. A refused peer uid is reported as such.
async fn hello(path: &Path, live: &mut Live) -> Result<String> {
    let mut client = RawConnection::connect(path).await?;
    // A bridge that refuses this uid answers at once and closes, possibly before `hello` is
    // written: a failed write still leaves its answer to read.
    let sent = client
        .send(
            Op::Hello {
                protocol: 1,
                client: Some("selftest".into()),
                pid: Some(std::process::id()),
                capabilities: vec!["binary".into()],
            },
            Vec::new(),
        )
        .await;
    let id = sent.as_ref().ok().copied();
    let reply = loop {
        match client.recv().await? {
            Some(ServerMessage::Reply(reply)) if id.is_some() && reply.id == id => break reply,
            Some(ServerMessage::Reply(reply)) if reply.id.is_none() => {
                let uid = rustix::process::getuid().as_raw();
                match reply.outcome {
                    Err(error) if error.code == ErrorCode::NotAllowed => bail!(
                        "the bridge refused this user (uid {uid}): {}\nhint: add the uid to \
                         `uids`, or one of its groups to `gids`, in this socket's profile \
                         (/etc/pyros/bridge.toml), then `systemctl restart pyros-bridge`",
                        error.message
                    ),
                    Err(error) => {
                        bail!("error before the handshake: {}: {}", error.code, error.message)
                    }
                    Ok(value) => bail!("unexpected uncorrelated reply: {value}"),
                }
            }
            Some(_) => {}
            None => match sent {
                Err(error) => return Err(anyhow::Error::from(error).context("sending hello")),
                Ok(_) => bail!("the bridge closed the connection during the handshake"),
            },
        }
    };
    let welcome = ok(reply)?;
    ensure!(welcome["protocol"] == 1, "the bridge speaks protocol {}, not 1", welcome["protocol"]);
    ensure!(welcome["session_id"].is_string(), "no session_id in {welcome}");
    let version = welcome["server_version"].as_str().context("no server_version")?.to_owned();
    let backend = welcome["backend"].as_str().context("no backend")?.to_owned();
    ensure!(welcome["limits"]["max_frame"].is_u64(), "no limits.max_frame in {welcome}");
    live.welcome = Some(welcome);
    Ok(format!("pyros-bridge {version}, backend {backend}"))
}

async fn hello_version(path: &Path) -> Result<String> {
    let mut client = RawConnection::connect(path).await?;
    let reply = client
        .request(Op::Hello { protocol: 99, client: None, pid: None, capabilities: vec![] })
        .await?;
    let detail = reply.outcome.as_ref().err().and_then(|e| e.detail.clone());
    fails_with(reply, ErrorCode::InvalidRequest)?;
    let supported = detail.as_ref().map(|d| d["supported"].clone()).unwrap_or_default();
    ensure!(
        supported.as_array().is_some_and(|s| s.contains(&1.into())),
        "the refusal does not list protocol 1 as supported: {detail:?}"
    );
    Ok(String::new())
}

async fn ping(path: &Path) -> Result<String> {
    let mut client = super::greeted(path, &[]).await?;
    let started = Instant::now();
    let pong = ok(client.request(Op::Ping {}).await?)?;
    let elapsed = started.elapsed();
    ensure!(pong["time"]["secs"].is_u64(), "pong without a time: {pong}");
    Ok(format!("{} µs", elapsed.as_micros()))
}

/// The welcome says the backend reaches ROS.
async fn master(live: &Live) -> Result<String> {
    let welcome = live.welcome.as_ref().context("no handshake")?;
    if welcome["ros"]["connected"] == true {
        return Ok(String::new());
    }
    bail!(
        "the bridge is not connected to the ROS master\nhint: is roscore running? The system \
         bridge reads ROS_MASTER_URI from /etc/default/pyros-bridge"
    )
}

/// A list reply's error, explained.
fn list_error(what: &str, reply: bridge_protocol::Reply) -> Result<Value> {
    match reply.outcome {
        Ok(value) => Ok(value),
        Err(error) if error.code == ErrorCode::RosUnavailable => bail!(
            "listing {what}: the ROS master does not answer ({})\nhint: is roscore running?",
            error.message
        ),
        Err(error) => bail!("listing {what}: {}: {}", error.code, error.message),
    }
}

/// Every entry of `value[key]`, checked to carry a graph name.
fn names<'a>(value: &'a Value, key: &str) -> Result<Vec<&'a Value>> {
    let entries = value[key].as_array().with_context(|| format!("no `{key}` array: {value}"))?;
    for entry in entries {
        let name = entry.as_str().or_else(|| entry["name"].as_str());
        ensure!(
            name.is_some_and(|n| n.starts_with('/')),
            "`{key}` entry without a global name: {entry}"
        );
    }
    Ok(entries.iter().collect())
}

fn visible(count: usize, what: &str) -> String {
    if count == 0 {
        "none exposed to this user (see the profile's allow.* in /etc/pyros/bridge.toml)".to_owned()
    } else {
        format!("{count} {what} exposed")
    }
}

async fn list_topics(path: &Path, live: &mut Live) -> Result<String> {
    let mut client = super::greeted(path, &[]).await?;
    let topics = list_error("topics", client.request(Op::ListTopics { filter: None }).await?)?;
    let entries = names(&topics, "topics")?;
    for topic in &entries {
        ensure!(topic["type"].as_str().is_some_and(|t| t.contains('/')), "topic type: {topic}");
    }
    let mut subscribable: Vec<String> = entries
        .iter()
        .filter(|t| t["subscribe"] == true)
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    subscribable.sort();
    live.subscribable = subscribable;
    Ok(visible(entries.len(), "topic(s)"))
}

async fn list(path: &Path, op: Op, key: &str) -> Result<String> {
    let mut client = super::greeted(path, &[]).await?;
    let value = list_error(key, client.request(op).await?)?;
    Ok(visible(names(&value, key)?.len(), key))
}

/// A parameter that does not exist is `not_found` (or `not_allowed` when the profile hides
/// it), never a crash or a success.
async fn unknown_names(path: &Path) -> Result<String> {
    let mut client = super::greeted(path, &[]).await?;
    let name = format!("/pyros_selftest_{}/absent", std::process::id());
    let reply = client.request(Op::ParamGet { name: name.clone() }).await?;
    match reply.outcome {
        Err(error)
            if matches!(error.code, ErrorCode::NotFound | ErrorCode::NotAllowed)
                && !error.message.is_empty() =>
        {
            Ok(format!("{name}: {}", error.code))
        }
        Err(error) => bail!(
            "{name}: expected not_found or not_allowed, got {}: {}",
            error.code,
            error.message
        ),
        Ok(value) => bail!("{name}: expected not_found or not_allowed, got a value: {value}"),
    }
}

/// A frame whose header is not JSON gets an `invalid_request` error frame and the connection
/// stays usable.
async fn malformed(path: &Path) -> Result<String> {
    let mut client = super::greeted(path, &[]).await?;
    let header = b"{not json";
    let mut body = (header.len() as u32).to_be_bytes().to_vec();
    body.extend_from_slice(header);
    client.send_raw(&raw_frame(&body)).await?;
    fails_with(client.reply(None).await?, ErrorCode::InvalidRequest)?;
    ok(client.request(Op::Ping {}).await?)?;
    Ok(String::new())
}

/// Subscribes to the first topic the profile exposes for reading and unsubscribes; no message
/// is needed. Passes with a note when nothing is exposed.
async fn subscribe(path: &Path, live: &Live) -> Result<String> {
    let Some(topic) = live.subscribable.first() else {
        return Ok("no topic exposed for subscribing; nothing to try".to_owned());
    };
    let mut client = super::greeted(path, &[]).await?;
    let op = Op::Subscribe {
        topic: topic.clone(),
        sub_id: 1,
        type_name: None,
        mode: SubscribeMode::Stream,
        queue_length: Some(1),
        policy: DropPolicy::DropOldest,
        throttle_ms: None,
    };
    ok(client.request(op).await?).with_context(|| format!("subscribing to {topic}"))?;
    ok(client.request(Op::Unsubscribe { sub_id: 1 }).await?)
        .with_context(|| format!("unsubscribing from {topic}"))?;
    Ok(topic.clone())
}

/// The reply's result, or an error that says which permission the profile lacks.
fn allowed(reply: bridge_protocol::Reply, what: &str, class: &str, topic: &str) -> Result<Value> {
    match reply.outcome {
        Ok(value) => Ok(value),
        Err(error) if error.code == ErrorCode::NotAllowed => bail!(
            "{what} {topic}: not allowed by this socket's profile ({})\nhint: the test topic \
             needs `allow.{class}` (and its other direction) in the profile, e.g. \
             allow.all = [\"{topic}\"]",
            error.message
        ),
        Err(error) => bail!("{what} {topic}: {}: {}", error.code, error.message),
    }
}

/// Publishes `std_msgs/String` messages on `topic` from one connection until another
/// connection's subscription delivers one of them (ROS connects publisher and subscriber
/// asynchronously, so the first messages may be missed).
async fn round_trip(path: &Path, topic: &str) -> Result<String> {
    let mut subscriber = super::greeted(path, &[]).await?;
    let mut publisher = super::greeted(path, &[]).await?;
    let op = Op::Subscribe {
        topic: topic.to_owned(),
        sub_id: 1,
        type_name: Some("std_msgs/String".into()),
        mode: SubscribeMode::Stream,
        queue_length: Some(10),
        policy: DropPolicy::DropOldest,
        throttle_ms: None,
    };
    allowed(subscriber.request(op).await?, "subscribing to", "subscribe", topic)?;
    let advertise = Op::Advertise {
        topic: topic.to_owned(),
        type_name: "std_msgs/String".into(),
        latch: false,
    };
    allowed(publisher.request(advertise).await?, "advertising", "publish", topic)?;
    let token = format!("pyros selftest {}", std::process::id());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(10);
    let received = loop {
        ensure!(Instant::now() < deadline, "no message came back on {topic} within 10 s");
        let publish = Op::Publish {
            topic: topic.to_owned(),
            msg: json!({"data": token}),
            type_name: None,
            ack: true,
        };
        allowed(publisher.request(publish).await?, "publishing on", "publish", topic)?;
        match tokio::time::timeout(Duration::from_millis(200), subscriber.event()).await {
            Ok(Ok((Event::Msg { msg, .. }, _))) if msg["data"] == token.as_str() => {
                break started.elapsed();
            }
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(error)) => return Err(error.into()),
        }
    };
    let _ = publisher.request(Op::Unadvertise { topic: topic.to_owned() }).await;
    let _ = subscriber.request(Op::Unsubscribe { sub_id: 1 }).await;
    Ok(format!("{topic} in {} ms", received.as_millis()))
}
