//! The index daemon behind `rosdeb rospack`/`rosdeb rosstack`: its answers are byte for byte those of a local run (`ROSDEB_DAEMON=0`) and, after every kind of change to the tree, those of Debian's rospack at once; its lifecycle (`rosdeb daemon start|stop|status`, opt-in start, one daemon for every search path, idle exit, exit when its socket goes), many clients at once, slow clients that cannot hold it, and daemon files under ROS_HOME that another user could plant.
//!
//! Every test has its own sandbox `ROS_HOME` (so its own daemon) and stops it on the way out,
//! failed or not ([`Daemon`]'s `Drop`). `served` in `rosdeb daemon status --json` proves that
//! answers came from the daemon. Nothing waits for the daemon to notice a change: the query
//! that follows a change is expected to be exact already. `daemon_sees_mounts` bind-mounts a
//! directory and needs root, like the full-disk tests (CI runs as root).

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    Cmp, Invocation, Outcome, ROSPACK, RunDir, Sandbox, TempDir, Tool, base_env, diff, excerpt,
    normalize, par_map, report, require_oracles, rosdeb, run, set_env, workspaces,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// How long a test waits for a daemon to come up or go away (not for it to see a change).
const PATIENCE: Duration = Duration::from_secs(10);

/// `OsString` arguments from string slices.
fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// A copy of `fixtures/workspaces/<from>` at `to` (`cp -a`, so the daemon watches a tree the
/// tests own).
fn copy_fixture(from: &str, to: &Path) {
    if let Some(parent) = to.parent() {
        fs_err::create_dir_all(parent).expect("create the parent of a fixture copy");
    }
    let status = Command::new("cp")
        .arg("-a")
        .arg(workspaces().join(from))
        .arg(to)
        .status()
        .expect("running cp -a");
    assert!(status.success(), "cp -a {from} {} failed", to.display());
}

/// The environment of one daemon (one search path, one sandbox `ROS_HOME`) and of the local
/// runs it is compared with (`ROSDEB_DAEMON=0`, their own `ROS_HOME`, so that nothing the
/// daemon writes can reach them). Dropping it stops the daemon.
struct Daemon {
    sandbox: Sandbox,
    local: Sandbox,
    /// `ROSDEB_DAEMON` unset: queries go through a running daemon (and never start one).
    env: Vec<(OsString, OsString)>,
}

impl Daemon {
    /// `label` must stay short: the socket path lives under the sandbox and the kernel takes
    /// at most 107 bytes.
    fn new(label: &str, rpp: &OsString) -> Daemon {
        let sandbox = Sandbox::new(label);
        let local = Sandbox::new(&format!("{label}-l"));
        let mut env = base_env(&sandbox, Some(rpp));
        set_env(&mut env, "ROSDEB_DAEMON", None);
        // The trees are compared as a closed world (the oracle side drops /usr/share lines).
        set_env(&mut env, "ROSDEB_USR_SHARE", Some("0".into()));
        // A daemon a crashed test could not stop still goes away.
        set_env(&mut env, "ROSDEB_DAEMON_IDLE_SECS", Some("120".into()));
        Daemon { sandbox, local, env }
    }

    /// The daemon-side environment with `changes` applied (`None` removes a variable).
    fn env_with(&self, changes: &[(&str, Option<&str>)]) -> Vec<(OsString, OsString)> {
        let mut env = self.env.clone();
        for (k, v) in changes {
            set_env(&mut env, k, v.map(OsString::from));
        }
        env
    }

    /// The environment of a local run: the same variables, `ROSDEB_DAEMON=0`, its own homes.
    fn local_env(&self, changes: &[(&str, Option<&str>)]) -> Vec<(OsString, OsString)> {
        let mut env = self.env_with(changes);
        set_env(&mut env, "ROSDEB_DAEMON", Some("0".into()));
        set_env(&mut env, "HOME", Some(self.local.home().into_os_string()));
        set_env(&mut env, "ROS_HOME", Some(self.local.ros_home().into_os_string()));
        env
    }

    fn ros_home(&self) -> PathBuf {
        self.sandbox.ros_home()
    }

    /// `rosdeb <args>` in `dir` with `env`.
    fn run_in(env: Vec<(OsString, OsString)>, args: Vec<OsString>, dir: RunDir) -> Outcome {
        let inv = Invocation { program: rosdeb(), args, env, dir, stdin: None };
        let out = run(&inv);
        if let Some(crash) = out.crash() {
            panic!("rosdeb {:?} {crash}\n{}", inv.args, excerpt(&out.stderr));
        }
        out
    }

    /// `rosdeb daemon <args>` in the sandbox.
    fn daemon(&self, args: &[&str]) -> Outcome {
        let mut argv = os(&["daemon"]);
        argv.extend(os(args));
        Self::run_in(self.env.clone(), argv, RunDir::Path(self.sandbox.cwd()))
    }

    /// `rosdeb daemon start`: asserts success and returns the socket path it printed.
    fn start(&self) -> PathBuf {
        let out = self.daemon(&["start"]);
        assert_eq!(
            out.code,
            0,
            "rosdeb daemon start failed\nstdout:\n{}stderr:\n{}",
            excerpt(&out.stdout),
            excerpt(&out.stderr)
        );
        let text = out.stdout_str();
        let socket = text
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("rosdeb daemon start: stdout is not one line: {text:?}"));
        assert!(!socket.contains('\n'), "rosdeb daemon start: stdout is not one line: {text:?}");
        let socket = PathBuf::from(socket);
        let is_socket = std::fs::symlink_metadata(&socket).is_ok_and(|m| m.file_type().is_socket());
        assert!(
            is_socket,
            "rosdeb daemon start printed {}, which is not a socket",
            socket.display()
        );
        socket
    }

    /// `rosdeb daemon stop`, which must succeed whether or not a daemon runs.
    fn stop(&self) {
        let out = self.daemon(&["stop"]);
        assert_eq!(out.code, 0, "rosdeb daemon stop failed\n{}", excerpt(&out.stderr));
    }

    /// `rosdeb daemon status --json`, checked against the documented shape.
    fn status(&self) -> Value {
        status_of(self.env.clone(), self.sandbox.cwd())
    }

    /// The running daemon's pid and `served` counter; panics when none runs.
    fn running(&self) -> (u32, u64) {
        let s = self.status();
        assert_eq!(s["running"], Value::Bool(true), "no daemon runs: {s}");
        let pid = s["pid"].as_u64().unwrap_or_else(|| panic!("status without a pid: {s}"));
        let served = s["served"].as_u64().unwrap_or_else(|| panic!("status without served: {s}"));
        (u32::try_from(pid).expect("pid fits u32"), served)
    }

    /// Polls `status --json` until a daemon runs (a query with `ROSDEB_DAEMON=1` starts one in
    /// the background).
    fn wait_running(&self) -> (u32, u64) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let s = self.status();
            if s["running"] == Value::Bool(true) {
                return self.running();
            }
            assert!(Instant::now() < deadline, "no daemon came up within {PATIENCE:?}: {s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `rosdeb <tool> <args>` through the daemon (`changes` applied to its environment).
    fn query(&self, args: &[OsString], dir: &RunDir, changes: &[(&str, Option<&str>)]) -> Outcome {
        Self::run_in(self.env_with(changes), args.to_vec(), dir.clone())
    }

    /// The same command line run locally.
    fn local(&self, args: &[OsString], dir: &RunDir, changes: &[(&str, Option<&str>)]) -> Outcome {
        Self::run_in(self.local_env(changes), args.to_vec(), dir.clone())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Never panic here (a panic while unwinding aborts the test binary).
        let inv = Invocation {
            program: rosdeb(),
            args: os(&["daemon", "stop"]),
            env: self.env.clone(),
            dir: RunDir::Path(self.sandbox.cwd()),
            stdin: None,
        };
        let _ = std::panic::catch_unwind(|| run(&inv));
    }
}

/// `rosdeb daemon status --json` with `env`: exit 0, schema 1, and when not running, every
/// counter null or absent.
fn status_of(env: Vec<(OsString, OsString)>, cwd: PathBuf) -> Value {
    let out = Daemon::run_in(env, os(&["daemon", "status", "--json"]), RunDir::Path(cwd));
    assert_eq!(out.code, 0, "rosdeb daemon status --json failed\n{}", excerpt(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("rosdeb daemon status --json is not JSON ({e}):\n{}", out.stdout_str())
    });
    assert_eq!(doc["schema"], Value::from(1), "status --json schema: {doc}");
    match &doc["running"] {
        Value::Bool(true) => {
            for key in ["pid", "served", "revalidations", "watches", "packages"] {
                assert!(doc[key].is_u64(), "status --json of a running daemon: {key} in {doc}");
            }
            assert!(doc["socket"].is_string(), "status --json: socket in {doc}");
        }
        Value::Bool(false) => {
            for key in ["pid", "served", "revalidations", "watches", "packages"] {
                assert!(doc[key].is_null(), "status --json when not running: {key} in {doc}");
            }
        }
        other => panic!("status --json: running is {other}"),
    }
    doc
}

/// Whether process `pid` exists and is not a zombie (the test machine's init may not reap).
fn alive(pid: u32) -> bool {
    let Ok(stat) = fs_err::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

/// Polls until process `pid` is gone.
fn wait_gone(pid: u32, why: &str) {
    let deadline = Instant::now() + PATIENCE;
    while alive(pid) {
        assert!(Instant::now() < deadline, "daemon {pid} still runs {PATIENCE:?} after {why}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Live processes other than this one whose environment has `ROS_HOME=<ros_home>`: a daemon
/// started for that sandbox inherits its client's environment. Immediate, no waiting: a
/// client that starts a daemon has spawned it before it exits.
fn processes_with_ros_home(ros_home: &Path) -> Vec<u32> {
    let mut want = b"ROS_HOME=".to_vec();
    want.extend_from_slice(ros_home.as_os_str().as_bytes());
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && alive(pid))
        .filter(|pid| {
            fs_err::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == want.as_slice()))
        })
        .collect()
}

/// Differences between two runs of one command line (stdout, stderr, exit status), or `None`.
fn compare_exact(label: &str, want: &Outcome, got: &Outcome) -> Option<String> {
    if want.code == got.code && want.stdout == got.stdout && want.stderr == got.stderr {
        return None;
    }
    let mut msg = format!("{label}\n  exit: local {} / daemon {}\n", want.code, got.code);
    if want.stdout != got.stdout {
        msg.push_str(&format!(
            "  stdout (- local, + daemon):\n{}",
            diff(&want.stdout, &got.stdout)
        ));
    }
    if want.stderr != got.stderr {
        msg.push_str(&format!(
            "  stderr (- local, + daemon):\n{}",
            diff(&want.stderr, &got.stderr)
        ));
    }
    Some(msg)
}

/// A `package.xml` (format 1, `<run_depend>`s only, as rospack reads them).
fn package_xml(name: &str, deps: &[&str]) -> String {
    let deps: String = deps.iter().map(|d| format!("  <run_depend>{d}</run_depend>\n")).collect();
    format!(
        "<?xml version=\"1.0\"?>\n<package>\n  <name>{name}</name>\n  <version>1.0.0</version>\n  \
         <description>{name}</description>\n  <maintainer email=\"m@example.org\">M</maintainer>\n  \
         <license>BSD</license>\n{deps}</package>\n"
    )
}

/// Writes `dir/package.xml` (creating `dir`).
fn write_package(dir: &Path, name: &str, deps: &[&str]) {
    fs_err::create_dir_all(dir).expect("create a package directory");
    fs_err::write(dir.join("package.xml"), package_xml(name, deps)).expect("write package.xml");
}

/// The path as a `ROS_PACKAGE_PATH` list.
fn rpp(entries: &[&Path]) -> OsString {
    let mut out = OsString::new();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(":");
        }
        out.push(e.as_os_str());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Answers: byte for byte those of a local run

/// One command line of [`daemon_answers_like_local`].
struct Line {
    args: Vec<OsString>,
    dir: RunDir,
    env: Vec<(&'static str, Option<&'static str>)>,
}

fn line(tool: Tool, args: &[&str], dir: &Path) -> Line {
    let mut argv = os(&[tool.name()]);
    argv.extend(os(args));
    Line { args: argv, dir: RunDir::Path(dir.to_path_buf()), env: Vec::new() }
}

/// The rospack and rosstack query commands on a search path of copied fixtures (rosbuild and
/// catkin packages, stacks, duplicates, a cycle, a malformed manifest, invalid manifests, a
/// package named unlike its directory), run through the daemon and locally.
#[test]
fn daemon_answers_like_local() {
    let tmp = TempDir::new("dm-like");
    let t = tmp.path();
    let trees = [
        ("rospack/test", "test"),
        ("rospack/test2", "test2"),
        ("real/fuerte", "fuerte"),
        ("real/noetic", "noetic"),
        ("bad/cycle", "cycle"),
        ("bad/malformed_xml", "malformed"),
        ("bad/dirname_differs", "dirname"),
        ("rospkg/stack_tests", "stacks"),
    ];
    for (from, to) in trees {
        copy_fixture(from, &t.join(to));
    }
    let entries: Vec<PathBuf> = trees.iter().map(|(_, to)| t.join(to)).collect();
    let d = Daemon::new("dm-like", &rpp(&entries.iter().map(PathBuf::as_path).collect::<Vec<_>>()));
    let home = d.sandbox.cwd();
    let (rp, rs) = (Tool::Rospack, Tool::Rosstack);

    // Commands the daemon answers.
    let mut served: Vec<Line> = Vec::new();
    for args in [
        &["list"][..],
        &["list-names"],
        &["list-duplicates"],
        &["langs"],
        &["deps", "deps_dup"],
        &["deps1", "deps"],
        &["deps-manifests", "deps"],
        &["deps-msgsrv", "geometry_msgs"],
        &["deps-why", "--target=base", "deps_dup"],
        &["depends-why", "--target=roscpp", "rospy"],
        &["depends-why", "--target=nope", "rospy"],
        &["rosdeps", "base"],
        &["rosdeps0", "deps"],
        &["-q", "find", "nope"],
        &["find", "-q", "nope"],
        &["depends", "-q", "nope"],
    ] {
        served.push(line(rp, args, &home));
    }
    let packages = [
        "roscpp",
        "rospy",
        "std_msgs",
        "costmap_2d",
        "deps_dup",
        "depth-0",
        "base",
        "roslang",
        "precedence1",
        "cycle_a",
        "good_user",
        "good_base",
        "good_b",
        "broken",
        "invalid",
        "deps_invalid",
        "deps_nonexistent",
        "no_package_attribute",
        "other_name",
        "pkg_dir",
        "nope",
    ];
    for cmd in [
        "find",
        "depends",
        "depends1",
        "depends-manifests",
        "depends-msgsrv",
        "depends-indent",
        "depends-on",
        "depends-on1",
        "rosdep",
        "rosdep0",
        "vcs",
        "vcs0",
    ] {
        for p in packages {
            served.push(line(rp, &[cmd, p], &home));
        }
    }
    let stacks = ["ros_comm", "ros", "common_msgs", "std_msgs", "foo", "bar", "test2", "nope"];
    for cmd in [
        "find",
        "contents",
        "depends",
        "depends1",
        "depends-manifests",
        "depends-indent",
        "depends-on",
        "depends-on1",
    ] {
        for s in stacks {
            served.push(line(rs, &[cmd, s], &home));
        }
    }
    for p in ["roscpp", "foo_pkg", "precedence3", "std_msgs", "nope"] {
        served.push(line(rs, &["contains", p], &home));
        served.push(line(rs, &["contains-path", p], &home));
    }
    for args in [
        &["list"][..],
        &["list-names"],
        &["list-duplicates"],
        &["depends-why", "--target=ros", "ros_comm"],
    ] {
        served.push(line(rs, args, &home));
    }
    // The caller's environment and working directory go with the query.
    for disable in ["rosfoo", "rosfoo:rosbar", ""] {
        let mut l = line(rp, &["langs"], &home);
        l.env.push(("ROS_LANG_DISABLE", Some(disable)));
        served.push(l);
    }
    for (dir, args) in [
        (t.join("dirname/pkg_dir"), &["find"][..]),
        (t.join("dirname/pkg_dir"), &["depends1"]),
        (t.join("test/deps"), &["find"]),
        (t.join("test/deps"), &["depends"]),
        (t.join("test/deps"), &["depends-on"]),
        (t.join("test/deps"), &["rosdep"]),
        (t.join("fuerte/ros_comm/clients"), &["find"]),
        (t.join("fuerte/ros_comm"), &["find"]),
        (home.clone(), &["find"]),
        (home.clone(), &["depends"]),
    ] {
        assert!(dir.is_dir(), "{} is missing from the fixture copy", dir.display());
        served.push(line(rp, args, &dir));
    }
    served.push(line(rs, &["find"], &t.join("fuerte/ros_comm")));
    served.push(line(rs, &["contents"], &t.join("fuerte/ros_comm")));
    for (i, args) in [&["find"][..], &["list"], &["depends"]].into_iter().enumerate() {
        let mut l = line(rp, args, &home);
        l.dir = RunDir::Deleted(home.join(format!("gone-{i}")));
        served.push(l);
    }

    // Commands that always run in the caller's process.
    let local_only: Vec<Line> = [
        &["export", "--lang=cpp", "--attrib=cflags", "roscpp"][..],
        &["export", "--lang=cpp", "--attrib=lflags", "deps"],
        &["cflags-only-I", "backquote"],
        &["cflags-only-other", "platform_specific_exports"],
        &["libs-only-l", "deps"],
        &["libs-only-L", "backquote"],
        &["libs-only-other", "lflags_with_archive_lib"],
        &["libs-only-l", "nope"],
        &["plugins", "--attrib=cmake", "base"],
        &["plugins", "--attrib=plugin", "nav_core"],
        &["help"],
        &["help", "find"],
        &["-h"],
        &[],
    ]
    .into_iter()
    .map(|args| line(rp, args, &home))
    .chain([&["help"][..], &[]].into_iter().map(|args| line(rs, args, &home)))
    .collect();

    // Argument errors: whoever answers, the answer must be the same.
    let errors: Vec<Line> = [
        &["--fake", "deps", "deps"][..],
        &["deps", "--lang=cpp", "deps"],
        &["deps", "--length=10"],
        &["list", "deps"],
        &["langs", "deps"],
        &["find", "a", "b"],
        &["depends-why", "deps"],
        &["bogus"],
    ]
    .into_iter()
    .map(|args| line(rp, args, &home))
    .chain([&["contents", "a", "b"][..], &["bogus"]].into_iter().map(|args| line(rs, args, &home)))
    .collect();

    d.start();
    let (pid, before) = d.running();
    let mut failures = Vec::new();
    let mut judge = |group: &[Line]| {
        let results = par_map(group, |l| {
            let label = format!(
                "rosdeb {}{}",
                l.args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
                match &l.dir {
                    RunDir::Path(p) => format!(" (cwd {})", p.display()),
                    RunDir::Deleted(_) => " (cwd deleted)".to_owned(),
                }
            );
            let dir_for = |suffix: &str| match &l.dir {
                RunDir::Deleted(p) => RunDir::Deleted(p.with_extension(suffix)),
                other => other.clone(),
            };
            let got = d.query(&l.args, &dir_for("daemon"), &l.env);
            let want = d.local(&l.args, &dir_for("local"), &l.env);
            compare_exact(&label, &want, &got)
        });
        failures.extend(results.into_iter().flatten());
    };
    judge(&served);
    let (_, after_served) = d.running();
    judge(&local_only);
    let (_, after_local) = d.running();
    judge(&errors);
    let (pid_end, _) = d.running();
    if after_served - before != served.len() as u64 {
        failures.push(format!(
            "`served` grew by {} over {} daemon-served command lines",
            after_served - before,
            served.len()
        ));
    }
    if after_local != after_served {
        failures.push(format!(
            "`served` grew by {} over {} command lines that must run locally \
             (export, flags, plugins, help, no command)",
            after_local - after_served,
            local_only.len()
        ));
    }
    if pid_end != pid {
        failures.push(format!("the daemon changed from pid {pid} to {pid_end} during the test"));
    }
    let total = served.len() + local_only.len() + errors.len();
    report("daemon answers like a local run", total, failures);
}

// ---------------------------------------------------------------------------------------------
// Changes: the next query sees them

/// A tree under a temporary directory whose `entries` (relative) make ROS_PACKAGE_PATH.
struct ChangeTree {
    tmp: TempDir,
    /// Short: it names the sandboxes, and the socket path must fit.
    label: &'static str,
    entries: &'static [&'static str],
}

impl ChangeTree {
    fn new(label: &'static str, entries: &'static [&'static str]) -> ChangeTree {
        ChangeTree { tmp: TempDir::new(label), label, entries }
    }

    /// Packages `dm_a` … in `ws/` and `outer/ws2/` (on the path), `ext/` (symlink targets, the
    /// other name of a hard link) and `outer_alt/` beside them.
    fn build() -> ChangeTree {
        let tree = ChangeTree::new("dm-change", &["ws", "outer/ws2"]);
        tree.package("ws/dm_a", "dm_a", &["dm_b"]);
        tree.package("ws/dm_b", "dm_b", &["dm_c"]);
        tree.package("ws/dm_c", "dm_c", &[]);
        tree.package("ws/group/dm_d", "dm_d", &["dm_a"]);
        tree.package("ws/group/dm_e", "dm_e", &["dm_c"]);
        tree.package("ws/dm_outer", "dm_outer", &[]);
        tree.package("ws/dm_outer/sub/dm_inner", "dm_inner", &["dm_c"]);
        fs_err::create_dir_all(tree.path("ext")).expect("create ext");
        fs_err::write(tree.path("ext/h.xml"), package_xml("dm_h", &["dm_c"])).expect("write h.xml");
        fs_err::create_dir_all(tree.path("ws/dm_h")).expect("create dm_h");
        fs_err::hard_link(tree.path("ext/h.xml"), tree.path("ws/dm_h/package.xml"))
            .expect("hard link");
        tree.package("ext/x1", "dm_x1", &["dm_c"]);
        tree.package("ext/x2", "dm_x2", &["dm_c"]);
        tree.link("ext/x1", "ws/link");
        tree.package("outer/ws2/dm_p", "dm_p", &["dm_c"]);
        tree.package("outer_alt/ws2/dm_q", "dm_q", &["dm_b"]);
        tree
    }

    /// Symlinks and renamed directories: `ws/`, `cur/ws2/` (`cur` is a symlink) and
    /// `fut/ws3/` (missing at first) on the path; `ext/` holds the directories the links point
    /// to, `mf/` the manifests (rospack's rosdep breaks on a dangling `package.xml` link).
    fn build_links() -> ChangeTree {
        let tree = ChangeTree::new("dm-links", &["ws", "cur/ws2", "fut/ws3"]);
        tree.package("ws/dm_a", "dm_a", &[]);
        tree.package("ws/dm_b", "dm_b", &["dm_a"]);
        tree.package("v1/ws2/dm_p1", "dm_p1", &["dm_a"]);
        tree.package("v2/ws2/dm_p2", "dm_p2", &["dm_b"]);
        tree.link("v1", "cur");
        fs_err::create_dir_all(tree.path("ext/dir")).expect("create ext/dir");
        tree.link("ext/dir", "ws/ld");
        tree.package("mf/one", "dm_ms", &["dm_a"]);
        tree.package("mf/two", "dm_ms", &[]);
        fs_err::create_dir_all(tree.path("ws/ms")).expect("create ws/ms");
        tree.link("mf/one/package.xml", "ws/ms/package.xml");
        tree.package("ext/real1", "dm_chain1", &["dm_a"]);
        tree.package("ext/real2", "dm_chain2", &["dm_b"]);
        tree.link("ext/real1", "ext/l2");
        tree.link("ext/l2", "ws/l1");
        tree.link("ext/notyet", "ws/dang");
        tree.package("ws/grp/dm_g", "dm_g", &["dm_a"]);
        tree.package("ws/.hid/dm_hid", "dm_hid", &["dm_a"]);
        tree
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }
    fn rpp(&self) -> OsString {
        let paths: Vec<PathBuf> = self.entries.iter().map(|e| self.path(e)).collect();
        rpp(&paths.iter().map(PathBuf::as_path).collect::<Vec<_>>())
    }
    /// `at` becomes a symlink to the absolute path of `target`.
    fn link(&self, target: &str, at: &str) {
        std::os::unix::fs::symlink(self.path(target), self.path(at)).expect("symlink");
    }
    /// `at` (a symlink) points to `target` from now on: a new link renamed over it.
    fn relink(&self, target: &str, at: &str) {
        self.link(target, "relink.tmp");
        self.mv("relink.tmp", at);
    }
    fn mv(&self, from: &str, to: &str) {
        fs_err::rename(self.path(from), self.path(to)).expect("rename");
    }
    fn touch(&self, rel: &str) {
        fs_err::write(self.path(rel), b"").expect("create a marker file");
    }
    fn rm(&self, rel: &str) {
        let p = self.path(rel);
        if p.is_dir() {
            fs_err::remove_dir_all(p).expect("remove a directory");
        } else {
            fs_err::remove_file(p).expect("remove a file");
        }
    }
    fn package(&self, rel: &str, name: &str, deps: &[&str]) {
        write_package(&self.path(rel), name, deps);
    }
    /// Rewrites an existing file in place (same inode: open, truncate, write).
    fn rewrite(&self, rel: &str, name: &str, deps: &[&str]) {
        fs_err::write(self.path(rel), package_xml(name, deps)).expect("rewrite a manifest");
    }
}

/// One change of [`daemon_sees_changes_at_once`] and the extra queries that look at it.
struct Step {
    what: &'static str,
    change: Box<dyn Fn(&ChangeTree)>,
    queries: Vec<Vec<&'static str>>,
}

fn step(
    what: &'static str,
    change: impl Fn(&ChangeTree) + 'static,
    queries: &[&[&'static str]],
) -> Step {
    Step { what, change: Box::new(change), queries: queries.iter().map(|q| q.to_vec()).collect() }
}

/// The steps after which every answer must stay the same (nothing else must change one).
const UNCHANGED: [&str; 3] =
    ["initial tree", "touch -d of a manifest, content unchanged", "empty directories created"];

/// How rospack's stdout is compared for a command (its `list` order is readdir order, its
/// `depends-on` order hash order).
fn rospack_cmp(args: &[&str]) -> Cmp {
    match args.first().copied() {
        Some("list" | "list-names" | "depends-on" | "depends-on1") => Cmp::LineSet,
        _ => Cmp::Exact,
    }
}

/// Each change to the tree is followed at once by queries through the daemon, which must
/// equal a local run byte for byte and Debian's rospack (run with `ROS_CACHE_TIMEOUT=0`) up to
/// order and the packages Debian installs under `/usr/share`.
#[test]
fn daemon_sees_changes_at_once() {
    require_oracles();
    let tree = ChangeTree::build();

    let steps = vec![
        step("initial tree", |_| {}, &[&["find", "dm_c"], &["depends", "dm_x1"]]),
        step(
            "package added",
            |t| t.package("ws/dm_f", "dm_f", &["dm_c"]),
            &[&["find", "dm_f"], &["depends", "dm_f"]],
        ),
        step(
            "<run_depend> changed in place (same size)",
            |t| t.rewrite("ws/dm_a/package.xml", "dm_a", &["dm_c"]),
            &[&["depends1", "dm_a"]],
        ),
        step(
            "manifest replaced by rename (an editor's save)",
            |t| {
                fs_err::write(t.path("ws/dm_b/.package.xml.swp"), package_xml("dm_b", &[]))
                    .expect("write the new manifest");
                t.mv("ws/dm_b/.package.xml.swp", "ws/dm_b/package.xml");
            },
            &[&["depends", "dm_b"]],
        ),
        step(
            "touch -d of a manifest, content unchanged",
            |t| {
                let status = Command::new("touch")
                    .args(["-d", "2001-02-03 04:05:06"])
                    .arg(t.path("ws/dm_a/package.xml"))
                    .status()
                    .expect("running touch");
                assert!(status.success(), "touch -d failed");
            },
            &[&["depends1", "dm_a"], &["find", "dm_a"]],
        ),
        step("package removed", |t| t.rm("ws/group/dm_e"), &[&["find", "dm_e"]]),
        step(
            "package directory renamed",
            |t| t.mv("ws/dm_c", "ws/dm_c_moved"),
            &[&["find", "dm_c"]],
        ),
        step(
            "package renamed in its manifest",
            |t| t.rewrite("ws/dm_f/package.xml", "dm_g", &["dm_c"]),
            &[&["find", "dm_f"], &["find", "dm_g"]],
        ),
        step(
            "CATKIN_IGNORE added in a package",
            |t| t.touch("ws/dm_b/CATKIN_IGNORE"),
            &[&["find", "dm_b"]],
        ),
        step(
            "CATKIN_IGNORE removed from a package",
            |t| t.rm("ws/dm_b/CATKIN_IGNORE"),
            &[&["find", "dm_b"]],
        ),
        step(
            "CATKIN_IGNORE added in a parent directory",
            |t| t.touch("ws/group/CATKIN_IGNORE"),
            &[&["find", "dm_d"]],
        ),
        step(
            "CATKIN_IGNORE removed from a parent directory",
            |t| t.rm("ws/group/CATKIN_IGNORE"),
            &[&["find", "dm_d"]],
        ),
        step(
            "symlink retargeted",
            |t| t.relink("ext/x2", "ws/link"),
            &[&["find", "dm_x1"], &["find", "dm_x2"]],
        ),
        step(
            "manifest behind a symlink edited",
            |t| t.rewrite("ext/x2/package.xml", "dm_x2", &["dm_b"]),
            &[&["depends", "dm_x2"]],
        ),
        step(
            "parent directory of a ROS_PACKAGE_PATH entry renamed away",
            |t| t.mv("outer", "outer_old"),
            &[&["find", "dm_p"]],
        ),
        step(
            "another directory renamed to the parent of a ROS_PACKAGE_PATH entry",
            |t| t.mv("outer_alt", "outer"),
            &[&["find", "dm_q"], &["depends", "dm_q"]],
        ),
        step(
            "hard-linked manifest edited under its other name",
            |t| t.rewrite("ext/h.xml", "dm_h", &["dm_b"]),
            &[&["depends", "dm_h"]],
        ),
        step(
            "manifest deleted: its subdirectories become visible",
            |t| t.rm("ws/dm_outer/package.xml"),
            &[&["find", "dm_inner"], &["find", "dm_outer"]],
        ),
        step(
            "package created in a new nested directory",
            |t| t.package("ws/n1/n2/n3/dm_n", "dm_n", &["dm_a"]),
            &[&["find", "dm_n"], &["depends", "dm_n"]],
        ),
        step(
            "rospack_nosubdirs added in a directory",
            |t| t.touch("ws/n1/rospack_nosubdirs"),
            &[&["find", "dm_n"]],
        ),
        step("ROS_PACKAGE_PATH entry removed", |t| t.rm("outer/ws2"), &[&["find", "dm_q"]]),
        step(
            "ROS_PACKAGE_PATH entry created again",
            |t| t.package("outer/ws2/dm_r", "dm_r", &["dm_a"]),
            &[&["find", "dm_r"], &["depends-on", "dm_a"]],
        ),
    ];
    let common: [&[&str]; 4] =
        [&["list"], &["depends", "dm_d"], &["depends-on", "dm_c"], &["depends-on1", "dm_b"]];
    check_steps("daemon sees every change at once", &tree, &common, &steps);
}

/// Like [`daemon_sees_changes_at_once`] for changes the daemon sees only through symlinks
/// (whose targets lie outside every watched directory) or through renamed, deleted and new
/// directories (whose watches must follow).
#[test]
fn daemon_sees_link_and_directory_changes() {
    require_oracles();
    let tree = ChangeTree::build_links();
    let steps = vec![
        step("initial tree", |_| {}, &[&["find", "dm_chain1"], &["depends", "dm_ms"]]),
        step(
            "symlink in a ROS_PACKAGE_PATH entry retargeted",
            |t| t.relink("v2", "cur"),
            &[&["find", "dm_p1"], &["find", "dm_p2"]],
        ),
        step(
            "package added in a symlinked directory",
            |t| t.package("ext/dir/dm_nd", "dm_nd", &["dm_b"]),
            &[&["find", "dm_nd"]],
        ),
        step(
            "manifest that is a symlink: its target edited",
            |t| t.rewrite("mf/one/package.xml", "dm_ms", &["dm_b"]),
            &[&["depends", "dm_ms"]],
        ),
        step(
            "manifest that is a symlink: retargeted",
            |t| t.relink("mf/two/package.xml", "ws/ms/package.xml"),
            &[&["depends", "dm_ms"]],
        ),
        step(
            "middle link of a symlink chain retargeted, outside the tree",
            |t| t.relink("ext/real2", "ext/l2"),
            &[&["find", "dm_chain1"], &["find", "dm_chain2"]],
        ),
        step(
            "target of a dangling symlink created",
            |t| t.package("ext/notyet", "dm_ny", &["dm_a"]),
            &[&["find", "dm_ny"]],
        ),
        step(
            "missing grandparent of a ROS_PACKAGE_PATH entry created",
            |t| t.package("fut/ws3/dm_f3", "dm_f3", &["dm_b"]),
            &[&["find", "dm_f3"]],
        ),
        step("directory of a package renamed", |t| t.mv("ws/grp", "ws/grp2"), &[&["find", "dm_g"]]),
        step(
            "package added in the renamed directory",
            |t| t.package("ws/grp2/dm_g2", "dm_g2", &["dm_b"]),
            &[&["find", "dm_g2"]],
        ),
        step(
            "manifest in the renamed directory edited",
            |t| t.rewrite("ws/grp2/dm_g/package.xml", "dm_g", &["dm_b"]),
            &[&["depends", "dm_g"]],
        ),
        step(
            "directory deleted and created again",
            |t| {
                t.rm("ws/grp2");
                t.package("ws/grp2/dm_g", "dm_g", &["dm_a"]);
            },
            &[&["find", "dm_g2"], &["depends", "dm_g"]],
        ),
        step(
            "manifest in the directory created again edited",
            |t| t.rewrite("ws/grp2/dm_g/package.xml", "dm_g", &[]),
            &[&["depends", "dm_g"]],
        ),
        step(
            "empty directories created",
            |t| fs_err::create_dir_all(t.path("ws/later/deeper")).expect("mkdir -p"),
            &[],
        ),
        step(
            "package added in the new empty directories",
            |t| t.package("ws/later/deeper/dm_l", "dm_l", &["dm_a"]),
            &[&["find", "dm_l"]],
        ),
        step(
            "hidden directory renamed to a visible one",
            |t| t.mv("ws/.hid", "ws/vis"),
            &[&["find", "dm_hid"]],
        ),
        step(
            "directory of every symlink target renamed away",
            |t| t.mv("ext", "ext_old"),
            &[&["find", "dm_ms"]],
        ),
        step("and renamed back", |t| t.mv("ext_old", "ext"), &[&["find", "dm_ms"]]),
    ];
    let common: [&[&str]; 3] = [&["list"], &["depends-on", "dm_a"], &["depends-on1", "dm_b"]];
    check_steps("daemon sees link and directory changes at once", &tree, &common, &steps);
}

/// A manifest rewritten in place with the same size, its modification time then set back:
/// inotify reports the write, and rospack (which reads every manifest) sees the new content.
/// A stat of size and mtime does not.
#[test]
fn daemon_sees_edits_that_keep_size_and_mtime() {
    require_oracles();
    let tree = ChangeTree::new("dm-mtime", &["ws"]);
    tree.package("ws/dm_a", "dm_a", &["dm_b"]);
    tree.package("ws/dm_b", "dm_b", &[]);
    tree.package("ws/dm_c", "dm_c", &[]);
    let keep_stat = |t: &ChangeTree| {
        let path = t.path("ws/dm_a/package.xml");
        let before = fs_err::metadata(&path).expect("stat package.xml");
        t.rewrite("ws/dm_a/package.xml", "dm_a", &["dm_c"]);
        let file = fs_err::File::options().write(true).open(&path).expect("open package.xml");
        file.file().set_modified(before.modified().expect("mtime")).expect("set the mtime back");
        let after = fs_err::metadata(&path).expect("stat package.xml");
        assert_eq!((after.len(), after.modified().ok()), (before.len(), before.modified().ok()));
    };
    let steps = vec![
        step("initial tree", |_| {}, &[&["depends1", "dm_a"]]),
        step(
            "<run_depend> edited in place, size and mtime kept",
            keep_stat,
            &[&["depends1", "dm_a"]],
        ),
    ];
    let common: [&[&str]; 2] = [&["depends-on1", "dm_b"], &["depends-on1", "dm_c"]];
    check_steps("daemon sees edits that keep size and mtime", &tree, &common, &steps);
}

/// Unmounts a directory on drop (a failed test must not leave a bind mount behind).
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).stderr(std::process::Stdio::null()).status();
    }
}

/// `mount` or `umount` with `args`; mounting needs root, as the full-disk tests (CI runs them
/// as root).
fn mount(program: &str, args: &[&Path]) {
    let status = Command::new(program).args(args).status().expect("running mount");
    assert!(status.success(), "{program} {args:?} failed (the mount tests need root, as in CI)");
}

/// A bind mount over a directory of the tree, and its removal, change what a crawl sees
/// without any inotify event in the tree: the daemon watches the mount table.
#[test]
fn daemon_sees_mounts() {
    require_oracles();
    let tree = ChangeTree::new("dm-mount", &["ws"]);
    tree.package("ws/dm_a", "dm_a", &[]);
    fs_err::create_dir_all(tree.path("ws/mnt")).expect("create the mount point");
    tree.package("other/dm_m", "dm_m", &["dm_a"]);
    let _unmount = Unmount(tree.path("ws/mnt"));
    let steps = vec![
        step("initial tree", |_| {}, &[&["find", "dm_m"]]),
        step(
            "directory bind-mounted over a directory of the tree",
            |t| mount("mount", &[Path::new("--bind"), &t.path("other"), &t.path("ws/mnt")]),
            &[&["find", "dm_m"]],
        ),
        step(
            "manifest under the mount edited through its other path",
            |t| t.rewrite("other/dm_m/package.xml", "dm_m", &[]),
            &[&["depends", "dm_m"]],
        ),
        step("unmounted", |t| mount("umount", &[&t.path("ws/mnt")]), &[&["find", "dm_m"]]),
    ];
    let common: [&[&str]; 2] = [&["list"], &["depends-on", "dm_a"]];
    check_steps("daemon sees mounts", &tree, &common, &steps);
}

/// A local run that reads every manifest (no index cache).
const NO_CACHE: &[(&str, Option<&str>)] = &[("ROSDEB_NO_CACHE", Some("1"))];

/// Runs `steps` on `tree`: after each change, `common` and the step's own queries through the
/// daemon at once, then locally (with and without the index cache) and with rospack; every
/// difference is a failure.
fn check_steps(suite: &str, tree: &ChangeTree, common: &[&[&str]], steps: &[Step]) {
    let d = Daemon::new(tree.label, &tree.rpp());
    let oracle = Sandbox::new(&format!("{}-o", tree.label));
    let mut oracle_env = base_env(&oracle, Some(&tree.rpp()));
    set_env(&mut oracle_env, "ROS_CACHE_TIMEOUT", Some("0".into()));
    d.start();
    let (pid, before) = d.running();
    let cwd = RunDir::Path(d.sandbox.cwd());
    let mut failures = Vec::new();
    let mut queries_run = 0u64;
    // The last answer of each query (local, no cache).
    let mut previous: HashMap<Vec<&str>, (i32, Vec<u8>)> = HashMap::new();
    let argv = |q: &[&str]| {
        let mut a = os(&["rospack"]);
        a.extend(os(q));
        a
    };
    for (i, s) in steps.iter().enumerate() {
        let label = |q: &[&str]| format!("step {i} ({}): rospack {}", s.what, q.join(" "));
        let queries: Vec<Vec<&str>> =
            common.iter().map(|q| q.to_vec()).chain(s.queries.iter().cloned()).collect();
        // The change must change some answer, or a daemon that missed it would pass.
        let unknown: Vec<Vec<&str>> =
            queries.iter().filter(|q| !previous.contains_key(*q)).cloned().collect();
        let fresh_before = par_map(&unknown, |q| d.local(&argv(q), &cwd, NO_CACHE));
        for (q, out) in unknown.into_iter().zip(fresh_before) {
            previous.insert(q, (out.code, out.stdout));
        }
        let before_change: Vec<(i32, Vec<u8>)> =
            queries.iter().map(|q| previous[q].clone()).collect();
        (s.change)(tree);
        // Through the daemon first, right after the change.
        let daemon_out: Vec<Outcome> =
            queries.iter().map(|q| d.query(&argv(q), &cwd, &[])).collect();
        queries_run += queries.len() as u64;
        let references = par_map(&queries, |q| {
            let local = d.local(&argv(q), &cwd, &[]);
            let fresh = d.local(&argv(q), &cwd, NO_CACHE);
            // rospack's reverse dependencies cost it a quarter of a second (rosdep lookups for
            // the /usr/share packages): it is asked one `depends-on` per step, not two.
            let theirs = (q[0] != "depends-on1").then(|| {
                run(&Invocation {
                    program: ROSPACK.into(),
                    args: os(q),
                    env: oracle_env.clone(),
                    dir: RunDir::Path(oracle.cwd()),
                    stdin: None,
                })
            });
            (local, fresh, theirs)
        });
        let changed = before_change
            .iter()
            .zip(&references)
            .any(|(old, (_, new, _))| (old.0, &old.1) != (new.code, &new.stdout));
        for (q, (_, new, _)) in queries.iter().zip(&references) {
            previous.insert(q.clone(), (new.code, new.stdout.clone()));
        }
        if changed == UNCHANGED.contains(&s.what) {
            failures.push(format!(
                "step {i} ({}): the test's queries {} a change (local runs without the cache)",
                s.what,
                if changed { "saw" } else { "did not see" }
            ));
        }
        for ((q, ours), (local, fresh, theirs)) in queries.iter().zip(&daemon_out).zip(&references)
        {
            if let Some(f) = compare_exact(&label(q), local, ours) {
                failures.push(f);
            } else if let Some(f) = compare_exact(
                &format!("{} [local run with ROSDEB_NO_CACHE=1]", label(q)),
                fresh,
                ours,
            ) {
                failures.push(f);
            }
            let Some(theirs) = theirs else { continue };
            let cmp = rospack_cmp(q);
            // Line sets are joined without a final newline; one is added for the diff.
            let lines = |out: &[u8]| [normalize(cmp, out), b"\n".to_vec()].concat();
            let (a, b) = (lines(&theirs.stdout), lines(&ours.stdout));
            let (ea, eb) =
                (theirs.first_error_line(Tool::Rospack), ours.first_error_line(Tool::Rospack));
            if a != b || theirs.code != ours.code || ea != eb {
                failures.push(format!(
                    "{}\n  exit: rospack {} / daemon {}\n  first error: rospack {ea:?} / daemon {eb:?}\n  stdout (- rospack, + daemon, {cmp:?}):\n{}  rospack stderr:\n{}",
                    label(q),
                    theirs.code,
                    ours.code,
                    diff(&a, &b),
                    excerpt(&theirs.stderr)
                ));
            }
        }
    }
    let (pid_end, after) = d.running();
    if after - before != queries_run {
        failures.push(format!(
            "`served` grew by {} over {queries_run} queries: not every answer came from the daemon",
            after - before
        ));
    }
    if pid_end != pid {
        failures.push(format!("the daemon changed from pid {pid} to {pid_end} during the test"));
    }
    report(suite, queries_run as usize, failures);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

/// A small tree for the lifecycle tests: a copy of `bad/cycle` (five packages).
fn small_tree(label: &str) -> (TempDir, OsString) {
    let tmp = TempDir::new(label);
    let ws = tmp.path().join("ws");
    copy_fixture("bad/cycle", &ws);
    let rpp = ws.clone().into_os_string();
    (tmp, rpp)
}

/// Runs `rospack <args>` through the daemon environment and locally and asserts equal output.
fn assert_like_local(d: &Daemon, args: &[&str], changes: &[(&str, Option<&str>)]) -> Outcome {
    let mut argv = os(&["rospack"]);
    argv.extend(os(args));
    let cwd = RunDir::Path(d.sandbox.cwd());
    let got = d.query(&argv, &cwd, changes);
    let want = d.local(&argv, &cwd, &[]);
    if let Some(f) =
        compare_exact(&format!("rosdeb rospack {} with {changes:?}", args.join(" ")), &want, &got)
    {
        panic!("{f}");
    }
    got
}

/// status when none runs, `start` (twice: one daemon), queries served, `stop` (twice).
#[test]
fn daemon_start_status_stop() {
    let (_tmp, rpp) = small_tree("dm-life");
    let d = Daemon::new("dm-life", &rpp);
    assert_eq!(d.status()["running"], Value::Bool(false), "a fresh sandbox has no daemon");

    let socket = d.start();
    let (pid, served) = d.running();
    assert!(alive(pid), "status names pid {pid}, which does not run");
    assert_eq!(
        d.status()["socket"].as_str(),
        Some(socket.to_str().expect("UTF-8 socket path")),
        "status and start name different sockets"
    );
    assert_eq!(d.start(), socket, "a second start printed another socket");
    assert_eq!(d.running().0, pid, "a second start started another daemon");

    assert_like_local(&d, &["list"], &[]);
    assert_like_local(&d, &["depends", "good_user"], &[]);
    assert_eq!(d.running().1, served + 2, "two queries, `served` did not grow by two");

    d.stop();
    let s = d.status();
    assert_eq!(s["running"], Value::Bool(false), "still running after stop: {s}");
    assert!(std::fs::symlink_metadata(&socket).is_err(), "socket {} left behind", socket.display());
    wait_gone(pid, "rosdeb daemon stop");
    d.stop();
    // Without a daemon, queries still answer (and start none).
    assert_like_local(&d, &["list"], &[]);
    assert_eq!(d.status()["running"], Value::Bool(false), "a query started a daemon");
}

/// Opt-in: with `ROSDEB_DAEMON` unset (or `0`, `off`, `no`, `false`) no query starts a daemon;
/// with `1` (or `on`, `yes`, `true`) a query starts one and the next query (variable unset) is
/// served by it; `0`, `off`, `no` and `false` do not use a running one.
#[test]
fn daemon_is_opt_in() {
    let (_tmp, rpp) = small_tree("dm-auto");
    let d = Daemon::new("dm-auto", &rpp);
    let ros_home = d.ros_home();

    for off in [None, Some("0"), Some("off"), Some("no"), Some("false"), Some("")] {
        let changes = [("ROSDEB_DAEMON", off)];
        assert_like_local(&d, &["list"], &changes);
        assert_like_local(&d, &["depends", "cycle_a"], &changes);
        let started = processes_with_ros_home(&ros_home);
        assert!(started.is_empty(), "ROSDEB_DAEMON={off:?} started processes {started:?}");
        assert_eq!(d.status()["running"], Value::Bool(false), "ROSDEB_DAEMON={off:?} started one");
    }

    for on in ["1", "on", "yes", "TRUE"] {
        assert_like_local(&d, &["list"], &[("ROSDEB_DAEMON", Some(on))]);
        let (pid, served) = d.wait_running();
        assert_like_local(&d, &["depends", "good_user"], &[]);
        assert_eq!(
            d.running(),
            (pid, served + 1),
            "the query after ROSDEB_DAEMON={on} was not served"
        );
        d.stop();
        wait_gone(pid, "rosdeb daemon stop");
    }

    d.start();
    let (pid, served) = d.running();
    // A running daemon is not used when turned off.
    for off in ["0", "off", "no", "false"] {
        assert_like_local(&d, &["list"], &[("ROSDEB_DAEMON", Some(off))]);
    }
    assert_eq!(d.running(), (pid, served), "ROSDEB_DAEMON=0 queries went to the daemon");
}

/// The daemon exits within seconds when its socket file goes (here: ROS_HOME deleted), and
/// after `ROSDEB_DAEMON_IDLE_SECS` without a query.
#[test]
fn daemon_exits_without_socket_or_queries() {
    let (_tmp, rpp) = small_tree("dm-exit");
    let d = Daemon::new("dm-exit", &rpp);
    d.start();
    let (pid, _) = d.running();
    crate::harness::remove_tree(&d.ros_home());
    wait_gone(pid, "its ROS_HOME was deleted");
    fs_err::create_dir_all(d.ros_home()).expect("recreate ROS_HOME");

    let idle = Daemon::new("dm-idle", &rpp);
    let out = Daemon::run_in(
        idle.env_with(&[("ROSDEB_DAEMON_IDLE_SECS", Some("1"))]),
        os(&["daemon", "start"]),
        RunDir::Path(idle.sandbox.cwd()),
    );
    assert_eq!(out.code, 0, "rosdeb daemon start failed\n{}", excerpt(&out.stderr));
    let (pid, _) = idle.running();
    wait_gone(pid, "1 s without a query (ROSDEB_DAEMON_IDLE_SECS=1)");
}

/// A regular file or a dead socket at the socket path breaks neither answers nor the next
/// daemon.
#[test]
fn daemon_leftover_socket_path() {
    let (_tmp, rpp) = small_tree("dm-left");
    let d = Daemon::new("dm-left", &rpp);
    let socket = d.start();
    d.stop();
    for what in ["a regular file", "a dead socket"] {
        d.stop();
        assert_eq!(d.status()["running"], Value::Bool(false), "before planting {what}");
        assert!(std::fs::symlink_metadata(&socket).is_err(), "socket left before planting {what}");
        if what == "a regular file" {
            fs_err::write(&socket, b"not a socket\n").expect("write a file");
        } else {
            // Bound, then closed: the file stays, nobody listens.
            drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind a socket"));
        }
        assert_like_local(&d, &["list"], &[]);
        assert_like_local(&d, &["depends", "cycle_a"], &[]);
        assert_like_local(&d, &["find", "good_base"], &[]);
        let printed = d.start();
        assert_eq!(printed, socket, "with {what} left at the socket path");
        let (_, served) = d.running();
        assert_like_local(&d, &["depends-on1", "good_base"], &[]);
        assert_eq!(d.running().1, served + 1, "with {what} left: the query was not served");
        d.stop();
    }
}

/// A daemon started by a query keeps none of the client's descriptors: a pipeline whose last
/// command reads to the end of a pipe that the client had open as fd 7 ends with the client.
#[test]
fn daemon_keeps_no_descriptor_of_its_client() {
    let (_tmp, rpp) = small_tree("dm-fds");
    let d = Daemon::new("dm-fds", &rpp);
    let cwd = RunDir::Path(d.sandbox.cwd());
    let mut args = os(&["5", "/bin/sh", "-c", r#"( "$0" rospack list 7>&1 ) | cat"#]);
    args.push(rosdeb().into_os_string());
    let inv = Invocation {
        program: "/usr/bin/timeout".into(),
        args,
        env: d.env_with(&[("ROSDEB_DAEMON", Some("1"))]),
        dir: cwd.clone(),
        stdin: None,
    };
    let started = Instant::now();
    let out = run(&inv);
    let elapsed = started.elapsed();
    // The query did start a daemon (else this test would prove nothing).
    d.wait_running();
    assert_eq!(
        out.code, 0,
        "`( rosdeb rospack list 7>&1 ) | cat` did not end within 5 s ({elapsed:?}): the \
         daemon the query started holds the write end of the pipe (the client's fd 7)"
    );
    assert_eq!(out.stdout, d.local(&os(&["rospack", "list"]), &cwd, &[]).stdout);
}

/// No daemon when one cannot be exact: a relative ROS_PACKAGE_PATH entry (it would resolve
/// against the daemon's directory) or the index cache turned off. Answers stay local.
#[test]
fn daemon_not_used_for_relative_paths_or_without_cache() {
    require_oracles();
    let tmp = TempDir::new("dm-rel");
    copy_fixture("bad/cycle", &tmp.path().join("cycle"));
    copy_fixture("rospack/test2", &tmp.path().join("test2"));
    let mut relative = OsString::from("test2:");
    relative.push(tmp.path().join("cycle"));
    let d = Daemon::new("dm-rel", &relative);
    let dir = RunDir::Path(tmp.path().to_path_buf());
    for args in [&["list"][..], &["find", "precedence3"], &["depends", "good_user"]] {
        let mut argv = os(&["rospack"]);
        argv.extend(os(args));
        let got = d.query(&argv, &dir, &[]);
        let want = d.local(&argv, &dir, &[]);
        if let Some(f) = compare_exact(
            &format!("relative entry: rosdeb rospack {}", args.join(" ")),
            &want,
            &got,
        ) {
            panic!("{f}");
        }
        assert_eq!(
            got.code,
            0,
            "rospack {} with a relative entry\n{}",
            args.join(" "),
            excerpt(&got.stderr)
        );
    }
    // The relative entry is really used (test2 is found through it).
    let got = d.query(&os(&["rospack", "find", "precedence3"]), &dir, &[]);
    assert_eq!(got.stdout_str(), "test2/precedence3\n", "find through the relative entry");
    let started = processes_with_ros_home(&d.ros_home());
    assert!(started.is_empty(), "a relative ROS_PACKAGE_PATH entry started processes {started:?}");
    let start = Daemon::run_in(d.env.clone(), os(&["daemon", "start"]), dir.clone());
    assert_eq!(start.code, 1, "daemon start with a relative entry must fail");
    assert!(
        start.stdout.is_empty(),
        "daemon start with a relative entry printed {}",
        start.stdout_str()
    );
    assert!(!start.stderr.is_empty(), "daemon start with a relative entry: no error on stderr");
    let relative_env = d.env.clone();

    // ROSDEB_NO_CACHE=1: never started, and a daemon running for the same path is not asked.
    let (_tmp2, rpp) = small_tree("dm-nocache");
    let d = Daemon::new("dm-nocache", &rpp);
    let no_cache = [("ROSDEB_NO_CACHE", Some("1"))];
    assert_like_local(&d, &["list"], &no_cache);
    let started = processes_with_ros_home(&d.ros_home());
    assert!(started.is_empty(), "ROSDEB_NO_CACHE=1 started processes {started:?}");
    d.start();
    let (pid, served) = d.running();
    assert_like_local(&d, &["list"], &no_cache);
    assert_like_local(&d, &["depends", "good_user"], &no_cache);
    assert_eq!(d.running(), (pid, served), "ROSDEB_NO_CACHE=1 queries went to the daemon");

    // `status --json` answers (exit 0, not running) even where no daemon can run.
    let status = status_of(relative_env, tmp.path().to_path_buf());
    assert_eq!(status["running"], Value::Bool(false), "relative entry: {status}");
}

// ---------------------------------------------------------------------------------------------
// Concurrency

/// 32 clients at once (each two queries) all get the local answer from one daemon.
#[test]
fn daemon_serves_concurrent_clients() {
    let tmp = TempDir::new("dm-conc");
    copy_fixture("real/noetic", &tmp.path().join("noetic"));
    copy_fixture("rospack/test", &tmp.path().join("test"));
    let d = Daemon::new("dm-conc", &rpp(&[&tmp.path().join("noetic"), &tmp.path().join("test")]));
    let cwd = RunDir::Path(d.sandbox.cwd());
    let commands: Vec<Vec<OsString>> = [
        &["rospack", "list"][..],
        &["rospack", "depends", "roscpp"],
        &["rospack", "depends-on", "std_msgs"],
        &["rospack", "find", "rospy"],
        &["rospack", "depends", "depth-0"],
        &["rosstack", "list"],
        &["rospack", "depends-indent", "nope"],
        &["rospack", "depends-on1", "base"],
    ]
    .iter()
    .map(|a| os(a))
    .collect();
    let expected: Vec<Outcome> = commands.iter().map(|a| d.local(a, &cwd, &[])).collect();
    d.start();
    let (pid, before) = d.running();
    const CLIENTS: usize = 32;
    let barrier = std::sync::Barrier::new(CLIENTS);
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let (d, cwd, commands, expected, barrier) =
                    (&d, &cwd, &commands, &expected, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let mut failures = Vec::new();
                    for k in [i % commands.len(), (i + 3) % commands.len()] {
                        let got = d.query(&commands[k], cwd, &[]);
                        let label = format!("client {i}: rosdeb {:?}", commands[k]);
                        failures.extend(compare_exact(&label, &expected[k], &got));
                    }
                    failures
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("client thread")).collect()
    });
    let (pid_end, after) = d.running();
    let mut failures = failures;
    if after - before != 2 * CLIENTS as u64 {
        failures.push(format!("`served` grew by {} over {} queries", after - before, 2 * CLIENTS));
    }
    if pid_end != pid {
        failures.push(format!("the daemon changed from pid {pid} to {pid_end}"));
    }
    report("concurrent clients", 2 * CLIENTS, failures);
}

// ---------------------------------------------------------------------------------------------
// One daemon for every search path

/// One daemon serves a second search path too (its answers are the local ones); an index whose
/// roots are all gone is dropped, and the daemon exits when it serves nothing.
#[test]
fn daemon_serves_every_search_path() {
    let (tmp, rpp) = small_tree("dm-many");
    let other = tmp.path().join("test2");
    copy_fixture("rospack/test2", &other);
    let d = Daemon::new("dm-many", &rpp);
    d.start();
    let (pid, served) = d.running();
    let other_rpp = other.to_str().expect("UTF-8 path").to_owned();
    let second = [("ROS_PACKAGE_PATH", Some(other_rpp.as_str()))];
    let cwd = RunDir::Path(d.sandbox.cwd());
    for args in [&["rospack", "list"][..], &["rospack", "find", "precedence3"]] {
        let got = d.query(&os(args), &cwd, &second);
        let want = d.local(&os(args), &cwd, &second);
        if let Some(f) = compare_exact(&format!("second search path: {args:?}"), &want, &got) {
            panic!("{f}");
        }
    }
    assert_eq!(d.running(), (pid, served + 2), "the second search path was not served");
    assert_eq!(d.status()["indexes"], Value::from(2), "two search paths served");

    crate::harness::remove_tree(&other);
    let deadline = Instant::now() + PATIENCE;
    while d.status()["indexes"] != 1 {
        assert!(Instant::now() < deadline, "the index of a removed tree is still served");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_like_local(&d, &["list"], &[]);
    assert_eq!(d.running().0, pid, "the daemon changed");

    let first = PathBuf::from(&rpp);
    crate::harness::remove_tree(&first);
    wait_gone(pid, "the roots of every search path it served were removed");
}

// ---------------------------------------------------------------------------------------------
// Slow and idle clients

/// 20 connections that send nothing and one that sends its request a byte every 200 ms do not
/// delay a normal query; the daemon closes them after its whole-request deadline.
#[test]
fn daemon_slow_clients_do_not_hold_it() {
    use std::io::{Read as _, Write as _};
    use std::os::unix::net::UnixStream;
    let (_tmp, rpp) = small_tree("dm-slow");
    let d = Daemon::new("dm-slow", &rpp);
    let socket = d.start();
    let (pid, served) = d.running();
    let idle: Vec<UnixStream> =
        (0..20).map(|_| UnixStream::connect(&socket).expect("connect an idle client")).collect();
    let mut drip = UnixStream::connect(&socket).expect("connect the drip-feeding client");
    drip.write_all(&1000u32.to_le_bytes()).expect("write a length");
    let dripper = std::thread::spawn(move || {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if drip.write_all(&[0]).is_err() {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        None
    });
    std::thread::sleep(Duration::from_millis(300));

    let cwd = RunDir::Path(d.sandbox.cwd());
    let started = Instant::now();
    let got = d.query(&os(&["rospack", "list"]), &cwd, &[]);
    let took = started.elapsed();
    let want = d.local(&os(&["rospack", "list"]), &cwd, &[]);
    if let Some(f) = compare_exact("rospack list beside slow clients", &want, &got) {
        panic!("{f}");
    }
    assert_eq!(d.running(), (pid, served + 1), "the query beside slow clients was not served");
    assert!(took < Duration::from_secs(3), "a query beside 21 slow clients took {took:?}");

    let closed_after = dripper.join().expect("drip thread");
    assert!(
        closed_after.is_some_and(|t| t < Duration::from_secs(6)),
        "the drip-feeding client was not cut off by a whole-request deadline ({closed_after:?})"
    );
    for (i, mut stream) in idle.into_iter().enumerate() {
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let mut byte = [0u8; 1];
        let read = stream.read(&mut byte);
        assert!(matches!(read, Ok(0)), "idle client {i} not closed by the daemon: {read:?}");
    }
}

/// The daemon keeps a bounded number of connections: past it, the oldest one still sending its
/// request is closed at once for the newcomer (not only at its deadline), and a query that comes
/// after 100 idle connections is served.
#[test]
fn daemon_bounds_waiting_connections() {
    use std::io::Read as _;
    use std::os::unix::net::UnixStream;
    let (_tmp, rpp) = small_tree("dm-many-conn");
    let d = Daemon::new("dm-bound", &rpp);
    let socket = d.start();
    let (pid, served) = d.running();
    let started = Instant::now();
    let mut idle: Vec<UnixStream> =
        (0..100).map(|_| UnixStream::connect(&socket).expect("connect an idle client")).collect();
    let mut oldest = idle.remove(0);
    oldest.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let read = oldest.read(&mut [0u8; 1]);
    let after = started.elapsed();
    assert!(matches!(read, Ok(0)), "the oldest idle connection was not closed: {read:?}");
    // Its 2 s request deadline would close it too: this one must be much earlier.
    assert!(after < Duration::from_secs(1), "the oldest idle connection closed after {after:?}");
    assert_like_local(&d, &["list"], &[]);
    assert_eq!(d.running(), (pid, served + 1), "the query after 100 idle clients was not served");
    drop(idle);
}

// ---------------------------------------------------------------------------------------------
// Files under ROS_HOME another user could plant (tests run as root: `nobody` is the other user)

/// The daemon's files in the index cache folder (found by starting and stopping one).
fn daemon_files(d: &Daemon) -> Vec<PathBuf> {
    d.start();
    d.stop();
    let folder = d.ros_home().join("rosdeb").join("index");
    let mut files: Vec<PathBuf> = fs_err::read_dir(&folder)
        .expect("the index cache folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log" || e == "lock"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "a log and a lock file in {}: {files:?}", folder.display());
    files
}

/// Symlinks planted at the daemon's log and lock files are not followed: the file one points
/// at stays as it was, and the missing file the other points at is not created.
#[test]
fn daemon_does_not_follow_planted_symlinks() {
    let (tmp, rpp) = small_tree("dm-link");
    let d = Daemon::new("dm-link", &rpp);
    let victim = tmp.path().join("victim.txt");
    fs_err::write(&victim, "keep\n").expect("write the victim");
    let before = fs_err::metadata(&victim).expect("victim").modified().expect("mtime");
    let absent = tmp.path().join("must-not-exist");
    for file in daemon_files(&d) {
        fs_err::remove_file(&file).expect("remove a daemon file");
        let target = if file.extension().is_some_and(|e| e == "log") { &victim } else { &absent };
        std::os::unix::fs::symlink(target, &file).expect("plant a symlink");
    }
    let out = d.daemon(&["start"]);
    assert_eq!(out.code, 1, "daemon start through planted symlinks\n{}", excerpt(&out.stderr));
    let err = out.stderr_str();
    assert!(err.contains("symbolic link") && err.contains("hint:"), "stderr:\n{err}");
    assert_like_local(&d, &["list"], &[("ROSDEB_DAEMON", Some("1"))]);
    assert_eq!(fs_err::read_to_string(&victim).expect("victim"), "keep\n");
    let after = fs_err::metadata(&victim).expect("victim").modified().expect("mtime");
    assert_eq!(before, after, "the file a planted symlink points at was written");
    assert!(!absent.exists(), "a planted symlink was followed to create {}", absent.display());
}

fn chown_nobody(path: &Path) {
    let status = Command::new("chown").arg("-h").arg("nobody").arg(path).status().expect("chown");
    assert!(status.success(), "chown nobody {} (the test needs root)", path.display());
}

/// An index cache folder owned by another user or writable by others is not used: `daemon
/// start` fails naming it, with a hint; a query answers without the cache and says so once.
#[test]
fn daemon_refuses_a_folder_another_user_could_write() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_tmp, rpp) = small_tree("dm-own");
    for what in ["owned by nobody", "o+w rosdeb folder", "g+w index folder"] {
        let d = Daemon::new("dm-own", &rpp);
        let rosdeb = d.ros_home().join("rosdeb");
        let folder = rosdeb.join("index");
        // A first run creates the folders (and a valid cache another user could craft).
        assert_like_local(&d, &["list"], &[]);
        let culprit = match what {
            "owned by nobody" => {
                chown_nobody(&folder);
                folder.clone()
            }
            "o+w rosdeb folder" => {
                fs_err::set_permissions(&rosdeb, std::fs::Permissions::from_mode(0o777))
                    .expect("chmod");
                rosdeb.clone()
            }
            _ => {
                fs_err::set_permissions(&folder, std::fs::Permissions::from_mode(0o770))
                    .expect("chmod");
                folder.clone()
            }
        };
        let out = d.daemon(&["start"]);
        let err = out.stderr_str();
        assert_eq!(out.code, 1, "daemon start with a folder {what}\n{err}");
        assert!(err.contains(&culprit.display().to_string()), "{what}: names the folder\n{err}");
        assert!(err.contains("hint:"), "{what}: a hint\n{err}");

        let cwd = RunDir::Path(d.sandbox.cwd());
        let args = os(&["rospack", "list"]);
        let got = d.query(&args, &cwd, &[("ROSDEB_DAEMON", Some("1"))]);
        let want = d.local(&args, &cwd, &[]);
        assert_eq!((got.code, &got.stdout), (want.code, &want.stdout), "{what}: the answer");
        let err = got.stderr_str();
        assert_eq!(err.matches("not using the index cache").count(), 1, "{what}: once\n{err}");
        assert!(err.contains(&culprit.display().to_string()) && err.contains("hint:"), "{err}");
        assert_eq!(d.status()["running"], Value::Bool(false), "{what}: a daemon started");
    }
}

/// A socket at the daemon's socket path that belongs to another user is never connected to.
#[test]
fn daemon_socket_of_another_user_is_not_used() {
    let (_tmp, rpp) = small_tree("dm-sock");
    let d = Daemon::new("dm-sock", &rpp);
    let socket = d.start();
    d.stop();
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind a socket");
    listener.set_nonblocking(true).expect("non-blocking");
    chown_nobody(&socket);
    assert_like_local(&d, &["list"], &[]);
    assert_like_local(&d, &["depends", "cycle_a"], &[]);
    let accepted = listener.accept();
    assert!(accepted.is_err(), "a client connected to another user's socket");
}
