//! Tests for configuration files: both formats, every key, and the errors.

use super::*;
use crate::access::Class;

fn accounts() -> Accounts {
    Accounts::fixed(
        &[("root", 0), ("www-data", 33)],
        &[("root", 0), ("www-data", 33), ("pyros", 998)],
    )
}

#[test]
fn system_accounts_resolve_through_nss() {
    // root is uid and gid 0 on every system, whichever database answers.
    let system = Accounts::system();
    assert_eq!((system.uid("root"), system.gid("root")), (Some(0), Some(0)));
    assert_eq!(system.uid("no-such-user-here"), None);
}

fn ok(name: &str, text: &str) -> BridgeConfig {
    parse(Path::new(name), text, &accounts()).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses `text` as file `name`, expects an error and returns its rendering.
fn err(name: &str, text: &str) -> String {
    match parse(Path::new(name), text, &accounts()) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(error) => error.to_string(),
    }
}

const TOML: &str = r#"
backend = "mock"

[profiles.web]
socket = "/run/pyros/web.sock"
mode = "0660"
group = "www-data"
uids = ["www-data", 1000]
gids = ["pyros"]
allow.subscribe = ["/odom", "/camera/*"]
allow.call = ["/get_plan"]
deny.all = ["/camera/secret*"]

[profiles.admin]
socket = "/run/pyros/admin.sock"
allow.all = ["*"]
deny.param_write = ["/robot/*"]

[profiles.admin.limits]
max_frame = 1048576
send_budget = 65536
max_inflight = 8
"#;

const YAML: &str = r#"
backend: mock
profiles:
  web:
    socket: /run/pyros/web.sock
    mode: "0660"
    group: www-data
    uids: [www-data, 1000]
    gids: [pyros]
    allow:
      subscribe: [/odom, /camera/*]
      call: [/get_plan]
    deny:
      all: [/camera/secret*]
  admin:
    socket: /run/pyros/admin.sock
    allow: {all: ["*"]}
    deny: {param_write: [/robot/*]}
    limits: {max_frame: 1048576, send_budget: 65536, max_inflight: 8}
"#;

fn check_example(config: &BridgeConfig) {
    assert_eq!(config.backend, BackendKind::Mock);
    let names: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["admin", "web"]);
    let (admin, web) = (&config.profiles[0], &config.profiles[1]);

    assert_eq!(web.socket, Path::new("/run/pyros/web.sock"));
    assert_eq!((web.mode, web.group), (Some(0o660), Some(33)));
    assert_eq!(web.config.allowed_uids, [33, 1000]);
    assert_eq!(web.config.allowed_gids, [998]);
    let policy = &web.config.policy;
    assert!(policy.allows(Class::Subscribe, "/odom"));
    assert!(policy.allows(Class::Subscribe, "/camera/front"));
    assert!(!policy.allows(Class::Subscribe, "/camera/secret_cam"), "deny wins");
    assert!(!policy.allows(Class::Publish, "/odom"), "subscribe only");
    assert!(policy.allows(Class::Call, "/get_plan"));
    assert!(!policy.allows(Class::ParamRead, "/get_plan"));
    assert_eq!(web.config.max_frame, bridge_protocol::DEFAULT_MAX_FRAME);

    assert_eq!((admin.mode, admin.group), (None, None));
    let own = rustix::process::getuid().as_raw();
    assert_eq!(admin.config.allowed_uids, [own, 0], "default peers: own uid and root");
    assert!(admin.config.allowed_gids.is_empty());
    assert!(admin.config.policy.allows(Class::ParamWrite, "/other"));
    assert!(!admin.config.policy.allows(Class::ParamWrite, "/robot/name"));
    assert!(admin.config.policy.allows(Class::ParamRead, "/robot/name"));
    let c = &admin.config;
    assert_eq!((c.max_frame, c.send_budget, c.max_inflight), (1_048_576, 65_536, 8));
}

#[test]
fn toml_profiles() {
    check_example(&ok("bridge.toml", TOML));
}

#[test]
fn yaml_profiles() {
    check_example(&ok("bridge.yaml", YAML));
    check_example(&ok("bridge.yml", YAML));
}

#[test]
fn empty_peer_lists_accept_everyone() {
    let config = ok("b.toml", "backend = \"ros\"\n[profiles.p]\nsocket = \"/s\"\nuids = []\n");
    assert_eq!(config.backend, BackendKind::Ros);
    assert!(config.profiles[0].config.allowed_uids.is_empty());
    assert!(config.profiles[0].config.allowed_gids.is_empty());
    assert!(!config.profiles[0].config.policy.allows(Class::Subscribe, "/rosout"), "deny all");
}

/// A robot's bridge talks to ROS: a file that names no backend gets `ros`, never the mock.
#[test]
fn backend_defaults_to_ros() {
    let config = ok("b.toml", "[profiles.p]\nsocket = \"/s\"\n");
    assert_eq!(config.backend, BackendKind::Ros);
    let config = ok("b.yaml", "profiles:\n  p:\n    socket: /s\n");
    assert_eq!(config.backend, BackendKind::Ros);
    let config = ok("b.toml", "backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\n");
    assert_eq!(config.backend, BackendKind::Mock);
}

#[test]
fn unknown_keys_are_errors_with_positions() {
    let error = err("b.toml", "backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\nsokcet = 1\n");
    assert!(
        error.starts_with("b.toml:4:1: invalid configuration: unknown field `sokcet`"),
        "{error}"
    );
    assert!(error.contains("\nhint: "), "{error}");
    let error =
        err("b.toml", "backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\nallow.publsh = []\n");
    assert!(error.starts_with("b.toml:4:"), "{error}");
    assert!(error.contains("unknown field `publsh`"), "{error}");
    let error = err(
        "b.yaml",
        "backend: mock\nprofiles:\n  p:\n    socket: /s\n    limits: {max_frames: 1}\n",
    );
    assert!(error.starts_with("b.yaml:5:"), "{error}");
    assert!(error.contains("unknown field `max_frames`"), "{error}");
    let error = err("b.toml", "backend = \"mock\"\ncolour = 1\n[profiles.p]\nsocket = \"/s\"\n");
    assert!(error.starts_with("b.toml:2:1:") && error.contains("`colour`"), "{error}");
}

#[test]
fn syntax_and_type_errors() {
    let error = err("b.toml", "backend = \"mock\"\n[profiles.p\n");
    assert!(error.starts_with("b.toml:2:"), "{error}");
    let error = err("b.toml", "backend = \"rosrust\"\n[profiles.p]\nsocket = \"/s\"\n");
    assert!(error.starts_with("b.toml:1:11:") && error.contains("rosrust"), "{error}");
    let error = err("b.yaml", "backend: mock\nbackend: ros\n");
    assert!(error.starts_with("b.yaml:2:") && error.contains("duplicate"), "{error}");
}

#[test]
fn values_are_checked() {
    let profile =
        |body: &str| format!("backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\n{body}\n");
    let error = err("b.toml", &profile("mode = 0o660"));
    assert!(error.starts_with("b.toml:4:8:") && error.contains("\"0660\""), "{error}");
    let error = err("b.toml", &profile("mode = \"0999\""));
    assert!(error.contains("not an octal permission"), "{error}");
    let error = err("b.toml", "backend = \"mock\"\n[profiles.p]\nsocket = \"run/p.sock\"\n");
    assert!(error.starts_with("b.toml:3:10:") && error.contains("absolute"), "{error}");
    let error = err("b.toml", &profile("allow.call = [\"echo\"]"));
    assert!(error.contains("did you mean `/echo`"), "{error}");
    let error = err("b.toml", &profile("deny.all = [\"call=/x\"]"));
    assert!(error.contains("without `=`"), "{error}");
    let error = err("b.toml", &profile("uids = [-1]"));
    assert!(error.contains("negative"), "{error}");
}

#[test]
fn semantic_errors_name_the_profile() {
    let error = err("b.toml", "backend = \"mock\"\n");
    assert!(error.contains("no profile") && error.contains("hint: add"), "{error}");
    let error = err(
        "b.toml",
        "backend = \"mock\"\n[profiles.a]\nsocket = \"/s\"\n[profiles.b]\nsocket = \"/s\"\n",
    );
    assert!(error.contains("profiles `a` and `b` use the same socket `/s`"), "{error}");
    let error = err(
        "b.toml",
        "backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\ngroup = \"nobody-here\"\n",
    );
    assert_eq!(
        error,
        "b.toml: profile `p`: unknown group `nobody-here`\nhint: create the group first, or give its numeric id"
    );
    let error =
        err("b.toml", "backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\nuids = [\"ghost\"]\n");
    assert!(error.contains("profile `p`: unknown user `ghost`"), "{error}");
    let error = err(
        "b.toml",
        "backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\nlimits.max_inflight = 0\n",
    );
    assert!(error.contains("profile `p`: limits.max_inflight must be greater than 0"), "{error}");
    let error =
        err("b.toml", "backend = \"mock\"\n[profiles.p]\nsocket = \"/s\"\nlimits.max_frame = 10\n");
    assert!(error.contains("limits.max_frame 10 is out of range"), "{error}");
}

#[test]
fn positions_from_offsets() {
    assert_eq!(line_column("ab\ncd", 0), (1, 1));
    assert_eq!(line_column("ab\ncd", 4), (2, 2));
    assert_eq!(line_column("ab\ncd", 99), (2, 3));
}
