//! `pyros-bridge run --config FILE`: several profiles (sockets) with different exposure and
//! peer checks served by one process and one backend.

use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bridge_protocol::{ErrorCode, Event, Op, Reply, ServerMessage};
use serde_json::json;

use super::{RawConnection, bridge_exe, connect, recv, subscribe};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(path: &Path, child: &mut Child) {
    let started = Instant::now();
    while !path.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("pyros-bridge exited with {status}");
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no socket `{}`", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn code(reply: &Reply) -> Option<ErrorCode> {
    reply.outcome.as_ref().err().map(|e| e.code)
}

fn call(service: &str) -> Op {
    Op::CallService {
        service: service.into(),
        args: json!({"x": 1}),
        type_name: None,
        timeout_ms: None,
    }
}

#[test]
fn two_profiles_with_different_exposure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (uid, gid) = (rustix::process::getuid().as_raw(), rustix::process::getgid().as_raw());
    let reader = dir.path().join("reader.sock");
    let writer = dir.path().join("writer.sock");
    let by_group = dir.path().join("group.sock");
    let stranger = dir.path().join("stranger.sock");
    let config = dir.path().join("bridge.toml");
    let text = format!(
        r#"backend = "mock"

[profiles.reader]
socket = "{reader}"
mode = "0600"
allow.subscribe = ["/chatter"]

[profiles.writer]
socket = "{writer}"
mode = "0660"
allow.all = ["/chatter"]
allow.call = ["/echo"]
deny.subscribe = ["/chatter"]

# Accepted through the group only.
[profiles.group]
socket = "{by_group}"
uids = [{other}]
gids = [{gid}]
allow.call = ["/echo"]

# Refused: neither uid nor group matches.
[profiles.stranger]
socket = "{stranger}"
uids = [{other}]
allow.all = ["*"]
"#,
        reader = reader.display(),
        writer = writer.display(),
        by_group = by_group.display(),
        stranger = stranger.display(),
        other = uid.wrapping_add(12345),
    );
    fs_err::File::create(&config).unwrap().write_all(text.as_bytes()).unwrap();
    let mut child = Command::new(bridge_exe())
        .args(["run", "--config"])
        .arg(&config)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning pyros-bridge");
    for socket in [&reader, &writer, &by_group, &stranger] {
        wait_for(socket, &mut child);
    }
    let _bridge = KillOnDrop(child);

    let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&reader), mode(&writer)), (0o600, 0o660));
    assert_eq!(fs_err::metadata(&reader).unwrap().uid(), uid);

    let mut reading = connect(&reader);
    let mut writing = connect(&writer);
    // The reader may subscribe, not publish or call; the writer the other way round.
    assert!(reading.request(subscribe("/chatter", 1, None, None)).expect("reply").outcome.is_ok());
    assert_eq!(
        code(&writing.request(subscribe("/chatter", 1, None, None)).expect("reply")),
        Some(ErrorCode::NotAllowed)
    );
    let publish = |topic: &str| Op::Publish {
        topic: topic.into(),
        msg: json!({"data": "across profiles"}),
        type_name: None,
        ack: true,
    };
    assert_eq!(
        code(&reading.request(publish("/chatter")).expect("reply")),
        Some(ErrorCode::NotAllowed)
    );
    assert_eq!(code(&reading.request(call("/echo")).expect("reply")), Some(ErrorCode::NotAllowed));
    assert!(writing.request(call("/echo")).expect("reply").outcome.is_ok());
    assert!(writing.request(publish("/chatter")).expect("reply").outcome.is_ok());
    assert_eq!(
        code(&writing.request(publish("/counter")).expect("reply")),
        Some(ErrorCode::NotAllowed)
    );
    // One backend: the writer's message reaches the reader's subscription.
    loop {
        if let ServerMessage::Event(Event::Msg { sub_id, msg, .. }, _) = recv(&mut reading) {
            assert_eq!((sub_id, msg), (1, json!({"data": "across profiles"})));
            break;
        }
    }

    let mut grouped = connect(&by_group);
    assert!(grouped.request(call("/echo")).expect("reply").outcome.is_ok());

    let mut refused = RawConnection::connect(&stranger).unwrap();
    refused.set_timeout(Some(Duration::from_secs(5)));
    match recv(&mut refused) {
        ServerMessage::Reply(reply) => {
            assert_eq!((reply.id, code(&reply)), (None, Some(ErrorCode::NotAllowed)));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn bad_config_is_reported_with_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bridge.yaml");
    fs_err::write(
        &config,
        "backend: mock\nprofiles:\n  p:\n    socket: /tmp/x.sock\n    alow: {}\n",
    )
    .unwrap();
    let output =
        Command::new(bridge_exe()).args(["run", "--config"]).arg(&config).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bridge.yaml:5:5: invalid configuration: unknown field `alow`"),
        "{stderr}"
    );
    assert!(stderr.contains("\nhint: "), "{stderr}");
    let output = Command::new(bridge_exe())
        .args(["run", "--socket", "/tmp/x.sock", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "--config and --socket are exclusive");
}

fn repo_file(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

/// The shipped default configuration parses, is safe (read-only, one harmless topic) and
/// listens where the clients look by default.
#[test]
fn shipped_debian_config_is_safe() {
    use bridge_node::access::Class;
    use bridge_node::config::{Accounts, BackendKind, parse};

    let path = repo_file("bridge/node/packaging/root/etc/pyros/bridge.toml");
    let text = fs_err::read_to_string(&path).unwrap();
    // The `pyros` group is created by the package's postinst, not present on a build machine.
    let accounts = Accounts::fixed(&[], &[("pyros", 998)]);
    let config = parse(&path, &text, &accounts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.backend, BackendKind::Ros);
    let [profile] = config.profiles.as_slice() else { panic!("one profile expected") };
    assert_eq!(profile.socket, Path::new("/run/pyros/default.sock"));
    assert_eq!((profile.mode, profile.group), (Some(0o660), Some(998)));
    assert_eq!(
        (profile.config.allowed_uids.as_slice(), profile.config.allowed_gids.as_slice()),
        (&[0][..], &[998][..])
    );
    let policy = &profile.config.policy;
    assert!(policy.allows(Class::Subscribe, "/rosout_agg"));
    for name in ["/rosout_agg", "/rosout", "/cmd_vel", "/robot/name", "/any/service"] {
        for class in [Class::Publish, Class::Call, Class::ParamRead, Class::ParamWrite] {
            assert!(!policy.allows(class, name), "{name} exposed for {}", class.name());
        }
    }
    assert!(!policy.allows(Class::Subscribe, "/cmd_vel"));

    // The clients' default system socket is this one.
    let python = fs_err::read_to_string(repo_file("bridge/python/pyros/client.py")).unwrap();
    assert!(python.contains("DEFAULT_SOCKET_DIR = \"/run/pyros\""), "Python socket folder");
    assert!(python.contains("DEFAULT_PROFILE = \"default\""), "Python default profile");
    let rust = fs_err::read_to_string(repo_file("bridge/client/src/lib.rs")).unwrap();
    assert!(rust.contains("SYSTEM_SOCKET_DIR: &str = \"/run/pyros\""), "Rust socket folder");
    assert!(rust.contains("DEFAULT_PROFILE: &str = \"default\""), "Rust default profile");
}

/// The unit runs the shipped configuration, and `systemd-analyze verify` accepts it (with
/// the binary path pointed at the built one, since verify checks that it exists).
#[test]
fn shipped_systemd_unit_verifies() {
    let unit =
        fs_err::read_to_string(repo_file("bridge/node/packaging/debian/pyros-bridge.service"))
            .unwrap();
    let exec: Vec<&str> = unit.lines().filter(|l| l.starts_with("ExecStart=")).collect();
    assert_eq!(exec, ["ExecStart=/usr/bin/pyros-bridge run --config /etc/pyros/bridge.toml"]);
    for line in
        ["User=pyros", "RuntimeDirectory=pyros", "NoNewPrivileges=yes", "ProtectSystem=strict"]
    {
        assert!(unit.lines().any(|l| l == line), "missing `{line}`");
    }
    for script in ["bridge/node/packaging/debian/postinst", "bridge/node/packaging/debian/postrm"] {
        let path = repo_file(script);
        let text = fs_err::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/bin/sh\n") && text.contains("\nset -e\n"), "{script}");
        assert!(
            fs_err::metadata(&path).unwrap().permissions().mode() & 0o111 != 0,
            "{script} not executable"
        );
        let syntax = Command::new("sh").arg("-n").arg(&path).status().unwrap();
        assert!(syntax.success(), "{script}: shell syntax");
    }

    let analyze = Path::new("/usr/bin/systemd-analyze");
    assert!(
        analyze.exists(),
        "systemd-analyze is missing: apt-get install systemd (`cargo xtask ci` as root does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("pyros-bridge.service");
    fs_err::write(&copy, unit.replace("/usr/bin/pyros-bridge", bridge_exe())).unwrap();
    let output = Command::new(analyze).arg("verify").arg(&copy).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "systemd-analyze verify failed:\n{stderr}");
    assert!(!stderr.contains("pyros-bridge.service"), "systemd-analyze warns:\n{stderr}");
}
