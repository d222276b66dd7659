//! The bookworm part: Debian's `ros-core` and the three pyros debs installed with apt into a
//! fresh minbase root, the bridge run as its unit says, a topic read over HTTP through
//! `pyros-topic-web`, a rospy service called through `import pyros`, then a purge that must
//! leave no file, folder, user or group of ours behind.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::cache::{self, Suite};
use super::names::*;
use super::procs::{Group, free_port, http_get, wait_for};
use super::root::{Root, describe};
use super::{Ctx, unit};
use crate::banner;

/// Published on /chatter and expected back over HTTP.
const HELLO: &str = "hello e2e";
/// The service the rospy server offers.
const SERVICE: &str = "/e2e/check";

/// A service type with both its `.srv` (for the bridge) and its genpy module (for rospy).
#[derive(Debug, Clone)]
struct ServiceType {
    package: String,
    name: String,
}

/// Service types e2e knows how to call, best first, with a request and the server's answer
/// (as Python expressions on `req`).
const KNOWN_SERVICES: [(&str, &str, &str, &str); 2] = [
    (
        "std_srvs",
        "SetBool",
        r#"{"data": true}"#,
        r#"SetBoolResponse(success=req.data, message="e2e got %s" % req.data)"#,
    ),
    ("std_srvs", "Trigger", "{}", r#"TriggerResponse(success=True, message="e2e got trigger")"#),
];

pub(crate) fn run(ctx: &Ctx) -> anyhow::Result<String> {
    let suite = Suite { name: "bookworm", mirror: super::mirror("bookworm"), options: Vec::new() };
    let tarball = cache::bootstrapped(&ctx.target, &suite, &ctx.today)?;
    banner(&format!("e2e: bookworm: fresh root from {}", tarball.display()));
    let root = Root::unpack(&ctx.target, "bookworm", &tarball)?;
    let proc_mount = root.mount_proc()?;
    super::add_repository(ctx, &root, "bookworm")?;
    super::apt_update(&root, "bookworm")?;
    banner(&format!("e2e: bookworm: apt-get install {ROS_CORE} {}", PYROS_DEBS.join(" ")));
    let mut packages = vec![ROS_CORE];
    packages.extend(PYROS_DEBS);
    super::apt_install(&root, &packages)?;
    let service = service_type(&root)?;
    let listed = owned_paths(&root)?;
    let unit = UNITS.into_iter().find(|u| listed.iter().any(|p| p == u)).with_context(|| {
        format!("`dpkg -L {BRIDGE_PKG}` lists no systemd unit ({})", UNITS.join(" or "))
    })?;

    let checks = exercise(&root, &service, unit)?;

    banner(&format!("e2e: bookworm: apt-get purge {}", PYROS_DEBS.join(" ")));
    let mut purge = vec!["apt-get", "-o", "Dpkg::Use-Pty=0", "purge", "-y"];
    purge.extend(PYROS_DEBS);
    root.run(&purge)?;
    check_purged(&root, &listed)?;
    drop(proc_mount);
    drop(root);
    Ok(format!(
        "ros-core + {}; {checks}; purge left nothing ({} paths checked)",
        PYROS_DEBS.join(", "),
        listed.len()
    ))
}

/// A service type ros-core's packages provide for both sides; when none does, Debian's
/// `ros-std-srvs` + `python3-std-srvs` are installed (loudly).
fn service_type(root: &Root) -> anyhow::Result<ServiceType> {
    let find = || {
        KNOWN_SERVICES.iter().find_map(|(package, name, _, _)| {
            let srv = root.join(&format!("/usr/share/{package}/srv/{name}.srv"));
            let py = root.join(&format!("/usr/lib/python3/dist-packages/{package}/srv/_{name}.py"));
            (srv.is_file() && py.is_file())
                .then(|| ServiceType { package: (*package).to_owned(), name: (*name).to_owned() })
        })
    };
    if let Some(found) = find() {
        eprintln!("    service type from ros-core's packages: {}/{}", found.package, found.name);
        return Ok(found);
    }
    eprintln!();
    eprintln!(
        "    NOTE: ros-core installs no service type that both rospy (a genpy module) and the"
    );
    eprintln!(
        "    bridge (a .srv file: Debian ships roscpp's services as Python modules only) can use;"
    );
    eprintln!("    installing Debian's ros-std-srvs and python3-std-srvs for the service check.");
    super::apt_install(root, &["ros-std-srvs", "python3-std-srvs"])?;
    find().context(
        "std_srvs is installed but /usr/share/std_srvs/srv or its Python module is missing",
    )
}

/// Every path `dpkg -L` lists for the pyros debs (before the purge).
fn owned_paths(root: &Root) -> anyhow::Result<Vec<String>> {
    let mut args = vec!["dpkg", "-L"];
    args.extend(PYROS_DEBS);
    let out = root.run(&args)?;
    let mut paths: Vec<String> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('/') && *l != "/.")
        .map(str::to_owned)
        .collect();
    paths.sort();
    paths.dedup();
    for must in [BRIDGE_BIN, CONFIG, WEB_BIN, VENV] {
        if !paths.iter().any(|p| p == must) {
            bail!("`dpkg -L {}` does not list {must}", PYROS_DEBS.join(" "));
        }
    }
    Ok(paths)
}

/// roscore, the bridge as its unit says, a publisher, the web application and a service;
/// everything stopped before returning, and no process left in the root.
fn exercise(root: &Root, service: &ServiceType, unit: &str) -> anyhow::Result<String> {
    let port = free_port()?;
    let master = format!("http://127.0.0.1:{port}");
    let ros_env =
        [("ROS_MASTER_URI", master.as_str()), ("ROS_IP", "127.0.0.1"), ("ROS_HOME", "/root/.ros")];
    // Every process started in the root knows the master (never 11311: the host may run its
    // own roscore there).
    let ros = |args: &[&str]| {
        let mut cmd = root.command(args);
        cmd.envs(ros_env);
        cmd
    };
    banner(&format!("e2e: bookworm: roscore -p {port}"));
    let mut roscore = Group::spawn(
        ros(&["/usr/bin/roscore", "-p", &port.to_string()]),
        "roscore",
        &root.log("roscore.log"),
    )?;
    wait_for(Duration::from_secs(60), "roscore to answer `rosparam get /run_id`", || {
        roscore.check_alive()?;
        let ok = ros(&["rosparam", "get", "/run_id"]).output()?.status.success();
        Ok(ok.then_some(()))
    })
    .map_err(|e| anyhow::anyhow!("{e:#}\n{}", roscore.log_tail()))?;

    configure(root, &master)?;
    let mut bridge = start_bridge(root, unit)?;
    wait_for(Duration::from_secs(30), &format!("the bridge's socket {SOCKET}"), || {
        bridge.check_alive()?;
        Ok(root.join(SOCKET).exists().then_some(()))
    })
    .map_err(|e| anyhow::anyhow!("{e:#}\n{}", bridge.log_tail()))?;
    let live = root
        .run(&[BRIDGE_BIN, "selftest", "--socket", SOCKET])
        .map_err(|e| anyhow::anyhow!("{e:#}\n{}", bridge.log_tail()))?;
    let live = live.lines().rfind(|l| l.contains("passed")).unwrap_or_default().trim().to_owned();
    eprintln!("    selftest --socket {SOCKET}: {live}");

    banner("e2e: bookworm: rostopic pub, pyros-topic-web, GET /topic/chatter");
    let data = format!("data: {HELLO}");
    let mut publisher = Group::spawn(
        ros(&["rostopic", "pub", "-r", "5", "/chatter", "std_msgs/String", &data]),
        "rostopic pub",
        &root.log("rostopic.log"),
    )?;
    let web_port = free_port()?;
    let listen = format!("127.0.0.1:{web_port}");
    let mut web = Group::spawn(
        ros(&[WEB_BIN, "--listen", &listen, "--socket", SOCKET]),
        WEB_PKG,
        &root.log("topic-web.log"),
    )?;
    let mut last = String::from("no answer yet");
    let body = wait_for(Duration::from_secs(60), "GET /topic/chatter to carry the message", || {
        for group in [&mut web, &mut publisher, &mut bridge] {
            group.check_alive()?;
        }
        match http_get(web_port, "/topic/chatter") {
            Ok((200, body)) if body.contains(HELLO) => return Ok(Some(body)),
            Ok((code, body)) => last = format!("HTTP {code}: {}", body.trim()),
            Err(err) => last = format!("{err:#}"),
        }
        Ok(None)
    })
    .map_err(|e| {
        anyhow::anyhow!("{e:#}; last answer: {last}\n{}\n{}", web.log_tail(), bridge.log_tail())
    })?;
    eprintln!("    GET /topic/chatter: {}", body.trim());

    banner(&format!(
        "e2e: bookworm: rospy {}/{} server, called through `import pyros`",
        service.package, service.name
    ));
    let (request, expected) = write_scripts(root, service)?;
    let mut server = Group::spawn(
        ros(&["python3", "/root/e2e_service.py"]),
        "rospy service",
        &root.log("service.log"),
    )?;
    let mut last = String::new();
    let answer =
        wait_for(Duration::from_secs(60), &format!("a call of {SERVICE} to succeed"), || {
            server.check_alive()?;
            bridge.check_alive()?;
            let out = ros(&["python3", "/root/e2e_call.py"]).output()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.status.success() {
                return Ok(Some(text));
            }
            last =
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned();
            Ok(None)
        })
        .map_err(|e| {
            anyhow::anyhow!(
                "{e:#}; last error: {last}\n{}\n{}",
                server.log_tail(),
                bridge.log_tail()
            )
        })?;
    let answer: serde_json::Value = serde_json::from_str(answer.trim())
        .with_context(|| format!("the call printed `{}`, not JSON", answer.trim()))?;
    if answer != expected {
        bail!("{SERVICE} with {request} answered {answer}, expected {expected}");
    }
    eprintln!("    {SERVICE} {request} -> {answer}");

    banner("e2e: bookworm: stopping every process");
    for group in [&mut web, &mut server, &mut publisher, &mut bridge, &mut roscore] {
        group.stop();
    }
    let left = wait_for(Duration::from_secs(10), "the root's processes to end", || {
        let left = root.processes();
        Ok(left.is_empty().then_some(()))
    });
    if left.is_err() {
        bail!("processes still run in the root after stopping: {:?}", root.processes());
    }
    Ok(format!(
        "bridge as its unit says ({live}); /chatter over HTTP; {}/{} call through pyros",
        service.package, service.name
    ))
}

/// What an administrator does before starting the unit: the master in
/// /etc/default/pyros-bridge, /chatter and the service allowed in /etc/pyros/bridge.toml.
fn configure(root: &Root, master: &str) -> anyhow::Result<()> {
    fs_err::write(root.join(DEFAULTS), format!("ROS_MASTER_URI={master}\nROS_IP=127.0.0.1\n"))?;
    let config = root.join(CONFIG);
    let text = fs_err::read_to_string(&config)?;
    let edited = allow_in_default_profile(&text, "/chatter", SERVICE)
        .with_context(|| format!("editing {}", config.display()))?;
    fs_err::write(&config, edited)?;
    Ok(())
}

/// The shipped configuration with `topic` added to the default profile's `allow.subscribe`
/// and an `allow.call` for `service`: the edit an administrator makes.
pub(crate) fn allow_in_default_profile(
    text: &str,
    topic: &str,
    service: &str,
) -> anyhow::Result<String> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut done = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        if section == "[profiles.default]"
            && let Some(list) = trimmed.strip_prefix("allow.subscribe")
            && let Some(list) = list.trim_start().strip_prefix('=')
            && let Some(items) = list.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']'))
        {
            let items = items.trim().trim_end_matches(',');
            let sep = if items.is_empty() { "" } else { ", " };
            out.push(format!("allow.subscribe = [{items}{sep}\"{topic}\"]"));
            out.push(format!("allow.call = [\"{service}\"]"));
            done = true;
            continue;
        }
        if section == "[profiles.default]" && trimmed.starts_with("allow.call") {
            bail!(
                "the default profile already has an allow.call line: e2e expects the shipped default"
            );
        }
        out.push(line.to_owned());
    }
    if !done {
        bail!(
            "no one-line `allow.subscribe = [...]` in [profiles.default]\nhint: e2e edits the shipped default configuration; keep that line"
        );
    }
    Ok(out.join("\n") + "\n")
}

/// Starts `ExecStart=` of the installed unit as its `User=` / `Group=`, with its environment
/// and the folders it asks systemd for.
fn start_bridge(root: &Root, unit_path: &str) -> anyhow::Result<Group> {
    let unit_file = root.join(unit_path);
    let text = fs_err::read_to_string(&unit_file)?;
    let service = unit::parse(&text, unit_path)?;
    let mut env: Vec<(String, String)> = service.environment.clone();
    for (file, optional) in &service.environment_files {
        match fs_err::read_to_string(root.join(file)) {
            Ok(text) => env.extend(unit::parse_environment_file(&text, file)?),
            Err(_) if *optional => {}
            Err(err) => return Err(err.into()),
        }
    }
    // What systemd makes before starting: `RuntimeDirectory=` and `StateDirectory=`.
    for (dir, mode) in &service.directories {
        root.run(&["install", "-d", "-o", &service.user, "-g", &service.group, "-m", mode, dir])?;
    }
    if !service.directories.iter().any(|(d, _)| d == RUNTIME_DIR) {
        bail!(
            "{unit_path} has no RuntimeDirectory=pyros: nothing would make {RUNTIME_DIR} for the socket"
        );
    }
    let id = |flag: &str| -> anyhow::Result<String> {
        Ok(root.run(&["id", flag, &service.user])?.trim().to_owned())
    };
    let (uid, groups) = (id("-u")?, id("-G")?);
    let group_id = root.run(&["getent", "group", &service.group])?;
    let group_id = group_id.split(':').nth(2).context("getent group: no id")?.to_owned();
    let passwd = root.run(&["getent", "passwd", &service.user])?;
    let home = passwd.split(':').nth(5).unwrap_or("/").to_owned();
    let mut cmd = Command::new("/usr/sbin/chroot");
    cmd.arg(format!("--userspec={uid}:{group_id}"))
        .arg(format!("--groups={}", groups.split_whitespace().collect::<Vec<_>>().join(",")))
        .arg(root.path())
        .args(&service.exec_start)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .env("HOME", home)
        .env("USER", &service.user)
        .env("LOGNAME", &service.user)
        .env("LANG", "C.UTF-8")
        .envs(env.iter().map(|(k, v)| (k, v)));
    banner(&format!(
        "e2e: bookworm: {} (as {}:{})",
        service.exec_start.join(" "),
        service.user,
        service.group
    ));
    eprintln!("    {}", describe(&cmd));
    Group::spawn(cmd, BRIDGE_PKG, &root.log("bridge.log"))
}

/// The rospy server and the pyros client scripts, written into the root; the request (JSON)
/// and the answer the server gives to it.
fn write_scripts(
    root: &Root,
    service: &ServiceType,
) -> anyhow::Result<(String, serde_json::Value)> {
    let (_, _, request, response) = KNOWN_SERVICES
        .iter()
        .find(|(p, n, _, _)| *p == service.package && *n == service.name)
        .context("an unknown service type")?;
    let (package, name) = (&service.package, &service.name);
    fs_err::write(
        root.join("/root/e2e_service.py"),
        format!(
            "import rospy\n\
             from {package}.srv import {name}, {name}Response\n\
             rospy.init_node('e2e_service', anonymous=True)\n\
             def handle(req):\n    return {response}\n\
             rospy.Service('{SERVICE}', {name}, handle)\n\
             print('ready', flush=True)\n\
             rospy.spin()\n"
        ),
    )?;
    fs_err::write(
        root.join("/root/e2e_call.py"),
        format!(
            "import json, pyros\n\
             client = pyros.Client(socket='{SOCKET}', timeout=10)\n\
             print(json.dumps(client.call('{SERVICE}', json.loads('{request}'), timeout=10)))\n"
        ),
    )?;
    let expected = match name.as_str() {
        "SetBool" => serde_json::json!({"success": true, "message": "e2e got True"}),
        _ => serde_json::json!({"success": true, "message": "e2e got trigger"}),
    };
    Ok(((*request).to_owned(), expected))
}

/// After the purge: nothing `dpkg -L` listed is left unless another package owns it,
/// the configuration, state and venv folders gone, no `pyros` user or group.
fn check_purged(root: &Root, listed: &[String]) -> anyhow::Result<()> {
    let mut left = Vec::new();
    for path in listed {
        if fs_err::symlink_metadata(root.join(path)).is_err() {
            continue;
        }
        // Still owned by an installed package: a shared folder (`/usr/bin`, merged-/usr's
        // `/lib` link), not ours.
        let owner = root.command(&["dpkg-query", "-S", path]).output()?;
        if !owner.status.success() {
            left.push(path.clone());
        }
    }
    for dir in [CONFIG_DIR, STATE_DIR, VENV] {
        if fs_err::symlink_metadata(root.join(dir)).is_ok() && !left.iter().any(|l| l == dir) {
            left.push(dir.to_owned());
        }
    }
    if !left.is_empty() {
        bail!("after `apt-get purge`, still there: {}", left.join(", "));
    }
    for db in ["passwd", "group"] {
        let out = root.command(&["getent", db, SYSTEM_USER]).output()?;
        if out.status.success() {
            bail!(
                "after `apt-get purge`, `getent {db} {SYSTEM_USER}` still finds `{}`",
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
    }
    eprintln!("    purge: no file, folder, user or group left");
    Ok(())
}
