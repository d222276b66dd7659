//! Test harness for the rospack/rosstack conformance suite: fixture paths, sandboxes, running a command with a controlled environment, output normalisation and diffs.
//!
//! The reference tools are Debian's `/usr/bin/rospack`, `/usr/bin/rosstack` and Python
//! rospkg (`/usr/bin/python3`); they are run at test time, never replaced by recorded output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Debian's C++ rospack, the reference implementation.
pub(crate) const ROSPACK: &str = "/usr/bin/rospack";
/// Debian's C++ rosstack.
pub(crate) const ROSSTACK: &str = "/usr/bin/rosstack";
/// The system interpreter that has Debian's `python3-rospkg` (not a pyenv shim).
pub(crate) const PYTHON: &str = "/usr/bin/python3";
/// Per-process time limit; every command of the suite normally finishes in well under a second.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// The `rosdeb` binary under test.
pub(crate) fn rosdeb() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rosdeb"))
}

/// Absolute, canonical path of `fixtures/workspaces` at the repository root.
pub(crate) fn workspaces() -> &'static Path {
    static WS: OnceLock<PathBuf> = OnceLock::new();
    WS.get_or_init(|| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/workspaces");
        p.canonicalize()
            .unwrap_or_else(|e| panic!("fixture directory {} is missing: {e}", p.display()))
    })
}

/// Absolute path of the repository root (for `docs/`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root must exist")
}

/// Fails loudly (never skips) when the reference tools are not installed.
pub(crate) fn require_oracles() {
    for tool in [ROSPACK, ROSSTACK] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: the conformance suite runs Debian's rospack at test time. \
             Run `bash .ci/run`, which installs rospack-tools (apt-get install rospack-tools)."
        );
    }
    assert!(
        Path::new(PYTHON).exists(),
        "{PYTHON} is missing: run `bash .ci/run`, which installs python3-rospkg"
    );
}

/// The two command-line front ends being compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tool {
    Rospack,
    Rosstack,
}

impl Tool {
    pub(crate) fn oracle(self) -> &'static str {
        match self {
            Tool::Rospack => ROSPACK,
            Tool::Rosstack => ROSSTACK,
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tool::Rospack => "rospack",
            Tool::Rosstack => "rosstack",
        }
    }
    /// Prefix of rospack's error lines, e.g. `[rospack] Error: `.
    pub(crate) fn error_prefix(self) -> String {
        format!("[{}] Error: ", self.name())
    }
}

// ---------------------------------------------------------------------------------------------
// Sandboxes

/// A private temporary directory, removed on drop (permissions are restored first).
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "rosdeb-it-{}-{n}-{}",
            std::process::id(),
            label.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        if path.exists() {
            remove_tree(&path);
        }
        fs_err::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        remove_tree(&self.path);
    }
}

/// Removes a tree even when a test made some directory unreadable.
pub(crate) fn remove_tree(path: &Path) {
    if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
        return;
    }
    fn unlock(p: &Path) {
        let is_dir = std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
        if is_dir {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755));
            if let Ok(entries) = std::fs::read_dir(p) {
                for e in entries.flatten() {
                    unlock(&e.path());
                }
            }
        }
    }
    unlock(path);
    let _ = std::fs::remove_dir_all(path);
}

/// One run's private directories: `home` (HOME), `ros_home` (ROS_HOME) and `cwd`.
pub(crate) struct Sandbox {
    pub(crate) dir: TempDir,
}

impl Sandbox {
    pub(crate) fn new(label: &str) -> Sandbox {
        let dir = TempDir::new(label);
        for sub in ["home", "ros_home", "cwd"] {
            fs_err::create_dir_all(dir.path().join(sub)).expect("create sandbox subdirectory");
        }
        Sandbox { dir }
    }
    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub(crate) fn ros_home(&self) -> PathBuf {
        self.dir.path().join("ros_home")
    }
    pub(crate) fn cwd(&self) -> PathBuf {
        self.dir.path().join("cwd")
    }
}

// ---------------------------------------------------------------------------------------------
// Running commands

/// Where the command runs.
#[derive(Clone, Debug)]
pub(crate) enum RunDir {
    Path(PathBuf),
    /// A directory that is removed after `cd`-ing into it (rospack's "unlinked cwd" test).
    Deleted(PathBuf),
}

/// Everything that defines one process invocation.
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    /// The complete environment (the parent's environment is cleared).
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) dir: RunDir,
    pub(crate) stdin: Option<Vec<u8>>,
}

/// Result of one process.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outcome {
    /// Exit status; a death by signal N is reported as 128 + N, like a shell (SIGABRT = 134).
    pub(crate) code: i32,
    pub(crate) signal: Option<i32>,
    pub(crate) timed_out: bool,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

impl Outcome {
    pub(crate) fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub(crate) fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// First stderr line that starts with `[tool] Error: `, normalised (see [`normalize_error_line`]).
    pub(crate) fn first_error_line(&self, tool: Tool) -> Option<String> {
        let prefix = tool.error_prefix();
        self.stderr_str().lines().find(|l| l.starts_with(&prefix)).map(normalize_error_line)
    }
    /// Crash signs: Rust panic (101 or a panic message), a signal, or the time limit.
    pub(crate) fn crash(&self) -> Option<String> {
        if self.timed_out {
            return Some(format!("timed out after {}s", TIMEOUT.as_secs()));
        }
        if let Some(sig) = self.signal {
            return Some(format!("killed by signal {sig}"));
        }
        if self.code == 101 || self.stderr_str().contains("panicked at") {
            return Some(format!("panicked (exit {})", self.code));
        }
        None
    }
}

/// Sorts the member list of rospack's cycle message, whose order follows hash-map iteration:
/// `maximum dependency depth exceeded (likely circular dependency: b, c, a)`.
pub(crate) fn normalize_error_line(line: &str) -> String {
    const MARK: &str = "(likely circular dependency: ";
    let line = line.trim_end();
    let found = line.find(MARK).and_then(|start| line[start..].find(')').map(|len| (start, len)));
    if let Some((start, len)) = found {
        let inner = &line[start + MARK.len()..start + len];
        let mut members: Vec<&str> = inner.split(", ").collect();
        members.sort_unstable();
        return format!("{}{MARK}{}{}", &line[..start], members.join(", "), &line[start + len..]);
    }
    line.to_string()
}

/// Runs one process with a time limit, capturing stdout and stderr.
pub(crate) fn run(inv: &Invocation) -> Outcome {
    let mut cmd;
    match &inv.dir {
        RunDir::Path(dir) => {
            cmd = Command::new(&inv.program);
            cmd.args(&inv.args).current_dir(dir);
        }
        RunDir::Deleted(dir) => {
            fs_err::create_dir_all(dir).expect("create the directory to delete");
            cmd = Command::new("/bin/sh");
            cmd.arg("-c")
                .arg(r#"cd "$1" && rmdir "$1" && shift && exec "$@""#)
                .arg("sh")
                .arg(dir)
                .arg(&inv.program)
                .args(&inv.args)
                .current_dir("/");
        }
    }
    cmd.env_clear()
        .envs(inv.env.iter().map(|(k, v)| (k, v)))
        .stdin(if inv.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child =
        cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", inv.program.display()));
    let stdin_thread = inv.stdin.clone().map(|data| {
        let mut pipe = child.stdin.take().expect("stdin was piped");
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let mut out_pipe = child.stdout.take().expect("stdout was piped");
    let mut err_pipe = child.stderr.take().expect("stderr was piped");
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait().expect("waiting for a child process") {
            Some(status) => break status,
            None if start.elapsed() > TIMEOUT => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("waiting for a killed child process");
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    if let Some(t) = stdin_thread {
        let _ = t.join();
    }
    let stdout = out_thread.join().expect("stdout reader thread");
    let stderr = err_thread.join().expect("stderr reader thread");
    let signal = status.signal();
    let code = status.code().unwrap_or_else(|| 128 + signal.unwrap_or(0));
    Outcome { code, signal: if timed_out { None } else { signal }, timed_out, stdout, stderr }
}

/// Shell-like rendering of an invocation for failure messages.
pub(crate) fn describe(inv: &Invocation) -> String {
    let mut s = String::new();
    for (k, v) in &inv.env {
        if k == "ROS_PACKAGE_PATH" || k == "ROS_LANG_DISABLE" || k == "ROS_CACHE_TIMEOUT" {
            s.push_str(&format!("{}={} ", k.to_string_lossy(), quote(v)));
        }
    }
    if !inv.env.iter().any(|(k, _)| k == "ROS_PACKAGE_PATH") {
        s.push_str("(ROS_PACKAGE_PATH unset) ");
    }
    match &inv.dir {
        RunDir::Path(p) => s.push_str(&format!("(cwd {}) ", p.display())),
        RunDir::Deleted(_) => s.push_str("(cwd deleted) "),
    }
    s.push_str(&inv.program.display().to_string());
    for a in &inv.args {
        s.push(' ');
        s.push_str(&quote(a));
    }
    s
}

fn quote(s: &OsStr) -> String {
    let t = s.to_string_lossy();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "-_=./:{}@,+".contains(c)) {
        t.into_owned()
    } else {
        format!("'{}'", t.replace('\'', r"'\''"))
    }
}

/// The base environment of every run: only what rospack needs, all state in the sandbox, and
/// no index daemon (`ROSDEB_DAEMON=0`): these runs test the local path; `daemon.rs` tests the
/// daemon against them.
pub(crate) fn base_env(sandbox: &Sandbox, rpp: Option<&OsStr>) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("HOME".into(), sandbox.home().into_os_string()),
        ("ROS_HOME".into(), sandbox.ros_home().into_os_string()),
        // rospack aborts in catkin_pkg's reorder_paths for flag commands without it.
        ("CMAKE_PREFIX_PATH".into(), "/usr".into()),
        ("LC_ALL".into(), "C.UTF-8".into()),
        ("ROSDEB_DAEMON".into(), "0".into()),
    ];
    if let Some(rpp) = rpp {
        env.push(("ROS_PACKAGE_PATH".into(), rpp.to_os_string()));
    }
    env
}

/// Sets (`Some`) or removes (`None`) one variable.
pub(crate) fn set_env(env: &mut Vec<(OsString, OsString)>, key: &str, value: Option<OsString>) {
    env.retain(|(k, _)| k != key);
    if let Some(v) = value {
        env.push((key.into(), v));
    }
}

// ---------------------------------------------------------------------------------------------
// Templates and ROS_PACKAGE_PATH shorthand

/// Replaces `{ws}` with the fixture workspaces directory and `{rt}` with `runtime` (a tree
/// built at test time), working on bytes so that non-UTF-8 runtime paths survive.
pub(crate) fn render(template: &str, runtime: Option<&Path>) -> OsString {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = template;
    while let Some(pos) = rest.find('{') {
        out.extend_from_slice(&rest.as_bytes()[..pos]);
        let tail = &rest[pos..];
        if let Some(t) = tail.strip_prefix("{ws}") {
            out.extend_from_slice(workspaces().as_os_str().as_bytes());
            rest = t;
        } else if let Some(t) = tail.strip_prefix("{rt}") {
            let rt = runtime.expect("template uses {rt} outside a runtime tree");
            out.extend_from_slice(rt.as_os_str().as_bytes());
            rest = t;
        } else {
            out.push(b'{');
            rest = &tail[1..];
        }
    }
    out.extend_from_slice(rest.as_bytes());
    OsString::from_vec(out)
}

/// Expands the ROS_PACKAGE_PATH shorthand: entries are separated by `:`; an entry that is
/// empty, absolute, starts with `{` or starts with `./` is kept as written (`./x` becomes the
/// relative entry `x`), any other entry is relative to `fixtures/workspaces`.
pub(crate) fn render_rpp(shorthand: &str, runtime: Option<&Path>) -> OsString {
    let parts: Vec<String> = shorthand
        .split(':')
        .map(|e| {
            if e.is_empty() || e.starts_with('/') || e.starts_with('{') {
                e.to_string()
            } else if let Some(rel) = e.strip_prefix("./") {
                rel.to_string()
            } else {
                format!("{{ws}}/{e}")
            }
        })
        .collect();
    render(&parts.join(":"), runtime)
}

// ---------------------------------------------------------------------------------------------
// Output comparison

/// How two stdout streams are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    /// Byte for byte.
    Exact,
    /// As a set of non-empty lines (rospack's order is hash-map or readdir order).
    LineSet,
    /// As a set of whitespace-separated words (`langs`).
    WordSet,
    /// `list-duplicates`: names in order, the `- path` lines of each name as a set.
    Duplicates,
    /// `profile`: the first line with digits masked, plus the number of lines.
    Shape,
}

/// The names of the ROS packages directly under `/usr/share` (`ros-core`, `catkin`, ... put
/// them there; Debian's rospack, rosstack and rospkg always search there, one level deep).
fn usr_share_packages() -> &'static BTreeSet<Vec<u8>> {
    static NAMES: std::sync::OnceLock<BTreeSet<Vec<u8>>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let Ok(entries) = fs_err::read_dir("/usr/share") else { return BTreeSet::new() };
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                ["package.xml", "manifest.xml", "stack.xml"]
                    .iter()
                    .any(|m| e.path().join(m).is_file())
            })
            .map(|e| e.file_name().as_encoded_bytes().to_vec())
            .collect()
    })
}

/// `out` without the lines about ROS packages that Debian installs under `/usr/share`: lines
/// with a `/usr/share/<package>` path, and lines that are only the name of such a package.
/// The fixture trees are compared as a closed world, and which packages the test machine has
/// under `/usr/share` (the ROS tests install `ros-core`) must not change the answers. Applied to
/// both sides of every comparison.
pub(crate) fn without_usr_share(out: &[u8]) -> Vec<u8> {
    let names = usr_share_packages();
    if names.is_empty() {
        return out.to_vec();
    }
    let about_usr_share = |line: &[u8]| {
        let mut words = line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
        let all: Vec<&[u8]> = words.by_ref().collect();
        let path = all.iter().any(|w| {
            w.strip_prefix(b"/usr/share/").is_some_and(|rest| {
                let name = rest.split(|b| *b == b'/').next().unwrap_or_default();
                names.contains(name)
            })
        });
        path || (all.len() == 1 && names.contains(all[0]))
    };
    let mut kept = Vec::with_capacity(out.len());
    // In `list-duplicates` output, the `- path` lines under a left-out name go with it.
    let mut in_left_out_group = false;
    for line in out.split_inclusive(|b| *b == b'\n') {
        if in_left_out_group && line.starts_with(b"- ") {
            continue;
        }
        in_left_out_group = about_usr_share(line) && !line.starts_with(b"- ");
        if !about_usr_share(line) {
            kept.extend_from_slice(line);
        }
    }
    kept
}

/// Normalises stdout for comparison according to `cmp`, after leaving out the lines about
/// the ROS packages Debian installs directly under `/usr/share` (see [`without_usr_share`];
/// not for [`Cmp::Shape`]).
pub(crate) fn normalize(cmp: Cmp, out: &[u8]) -> Vec<u8> {
    // `profile` lists the slowest directories, wherever they are: only its shape is compared.
    let out = &if cmp == Cmp::Shape { out.to_vec() } else { without_usr_share(out) };
    let lines = || out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec);
    match cmp {
        Cmp::Exact => out.to_vec(),
        Cmp::LineSet => {
            let set: BTreeSet<Vec<u8>> = lines().collect();
            join(set, b"\n")
        }
        Cmp::WordSet => {
            let set: BTreeSet<Vec<u8>> = out
                .split(|b| b.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            join(set, b" ")
        }
        Cmp::Duplicates => {
            let mut groups: Vec<(Vec<u8>, BTreeSet<Vec<u8>>)> = Vec::new();
            for l in lines() {
                match groups.last_mut() {
                    Some((_, paths)) if l.starts_with(b"- ") => {
                        paths.insert(l);
                    }
                    _ => groups.push((l, BTreeSet::new())),
                }
            }
            let mut res = Vec::new();
            for (name, paths) in groups {
                res.extend_from_slice(&name);
                res.push(b'\n');
                for p in paths {
                    res.extend_from_slice(&p);
                    res.push(b'\n');
                }
            }
            res
        }
        Cmp::Shape => {
            let text = String::from_utf8_lossy(out);
            let first: String = text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect();
            format!("{first}\n[{} lines]\n", text.lines().count()).into_bytes()
        }
    }
}

fn join(items: impl IntoIterator<Item = Vec<u8>>, sep: &[u8]) -> Vec<u8> {
    let mut res = Vec::new();
    for (i, it) in items.into_iter().enumerate() {
        if i > 0 {
            res.extend_from_slice(sep);
        }
        res.extend_from_slice(&it);
    }
    res
}

/// A readable line diff (`-` expected, `+` actual), with long outputs abbreviated.
pub(crate) fn diff(expected: &[u8], actual: &[u8]) -> String {
    let e = escape_bytes(expected);
    let a = escape_bytes(actual);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let show = |l: &str| l.replace('\t', "\\t").replace('\n', "\\n");
    let mut out = String::new();
    if el.len() * al.len() > 4_000_000 {
        out.push_str(&format!(
            "    (outputs too long for a diff: {} vs {} lines)\n",
            el.len(),
            al.len()
        ));
        return out;
    }
    // Longest common subsequence table.
    let (n, m) = (el.len(), al.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if el[i] == al[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut shown, mut same_run) = (0, 0, 0usize, 0usize);
    let mut push = |out: &mut String, line: String| {
        if shown < 60 {
            out.push_str(&line);
        } else if shown == 60 {
            out.push_str("    ... (diff truncated)\n");
        }
        shown += 1;
    };
    while i < n || j < m {
        if i < n && j < m && el[i] == al[j] {
            same_run += 1;
            if same_run <= 2 {
                push(&mut out, format!("      {}\n", show(el[i])));
            }
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            same_run = 0;
            push(&mut out, format!("    + {}\n", show(al[j])));
            j += 1;
        } else {
            same_run = 0;
            push(&mut out, format!("    - {}\n", show(el[i])));
            i += 1;
        }
    }
    if n == 0 && m == 0 {
        out.push_str("    (both empty)\n");
    }
    out
}

/// Text with every byte that is not valid UTF-8 shown as `\xNN` (non-UTF-8 paths stay visible).
pub(crate) fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Abbreviated stderr for failure messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let s = escape_bytes(bytes);
    let mut lines: Vec<&str> = s.lines().take(8).collect();
    if s.lines().count() > 8 {
        lines.push("...");
    }
    lines
        .iter()
        .map(|l| {
            let l: String = l.chars().take(300).collect();
            format!("    | {l}\n")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Python rospkg

/// Python rospkg manager class to instantiate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PyClass {
    RosPack,
    RosStack,
}

/// One query evaluated by Python rospkg with explicit `ros_paths`; `r` is a fresh instance.
#[derive(Clone, Debug)]
pub(crate) struct PyQuery {
    pub(crate) class: PyClass,
    pub(crate) paths: Vec<OsString>,
    pub(crate) expr: String,
}

/// Result of a Python query: the items (a `str` result is one item, `None` none), or the
/// exception type name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PyResult {
    Ok(BTreeSet<String>),
    Err(String),
}

const PY_SCRIPT: &str = r#"
import sys
import rospkg
for line in sys.stdin.read().splitlines():
    qid, cls, paths, expr = line.split('\t')
    try:
        inst = getattr(rospkg, cls)(ros_paths=[p for p in paths.split('\x1f') if p])
        value = eval(expr, {'r': inst, 'rospkg': rospkg})
        if value is None:
            items = []
        elif isinstance(value, str):
            items = [value]
        else:
            items = list(value)
        sys.stdout.write('@@ %s ok\n' % qid)
        for item in items:
            sys.stdout.write('@= %s\n' % item)
    except Exception as e:
        sys.stdout.write('@@ %s err %s\n' % (qid, type(e).__name__))
sys.stdout.write('@@ end\n')
"#;

/// Evaluates all queries in one Python process (interpreter start-up dominates otherwise).
pub(crate) fn py_batch(queries: &[PyQuery]) -> Vec<PyResult> {
    if queries.is_empty() {
        return Vec::new();
    }
    let sandbox = Sandbox::new("python");
    let mut input = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let cls = match q.class {
            PyClass::RosPack => "RosPack",
            PyClass::RosStack => "RosStack",
        };
        let paths = join(q.paths.iter().map(|p| p.as_bytes().to_vec()), b"\x1f");
        input.extend_from_slice(format!("{i}\t{cls}\t").as_bytes());
        input.extend_from_slice(&paths);
        input.extend_from_slice(format!("\t{}\n", q.expr).as_bytes());
    }
    let inv = Invocation {
        program: PYTHON.into(),
        args: vec!["-c".into(), PY_SCRIPT.into()],
        env: vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), sandbox.home().into_os_string()),
            ("ROS_HOME".into(), sandbox.ros_home().into_os_string()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
        ],
        dir: RunDir::Path(sandbox.cwd()),
        stdin: Some(input),
    };
    let out = run(&inv);
    let text = out.stdout_str();
    assert!(
        out.code == 0 && text.ends_with("@@ end\n"),
        "Python rospkg failed (exit {}); is python3-rospkg installed? (`bash .ci/run` installs it)\n{}",
        out.code,
        excerpt(&out.stderr)
    );
    let mut results: BTreeMap<usize, PyResult> = BTreeMap::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some(item) = line.strip_prefix("@= ") {
            let id = current.expect("item line before any header");
            if let Some(PyResult::Ok(set)) = results.get_mut(&id) {
                set.insert(item.to_string());
            }
        } else if let Some(head) = line.strip_prefix("@@ ") {
            let mut parts = head.splitn(3, ' ');
            let id = parts.next().unwrap_or("");
            if id == "end" {
                break;
            }
            let id: usize = id.parse().expect("numeric query id");
            let res = match parts.next() {
                Some("ok") => PyResult::Ok(BTreeSet::new()),
                _ => PyResult::Err(parts.next().unwrap_or("?").to_string()),
            };
            results.insert(id, res);
            current = Some(id);
        }
        // Anything else (warnings printed by rospkg/rosdep) is ignored.
    }
    (0..queries.len())
        .map(|i| results.remove(&i).unwrap_or_else(|| PyResult::Err("NoResult".into())))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Parallel execution and failure collection

/// Runs `f` on every item using a few worker threads; returns the results in input order.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 4);
    let next = AtomicUsize::new(0);
    let results: Mutex<HashMap<usize, R>> = Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    results.lock().expect("results lock").insert(i, r);
                }
            });
        }
    });
    let mut map = results.into_inner().expect("results lock");
    (0..items.len()).map(|i| map.remove(&i).expect("every item produced a result")).collect()
}

/// Panics with every collected failure, or returns if there are none.
pub(crate) fn report(suite: &str, total: usize, failures: Vec<String>) {
    if failures.is_empty() {
        eprintln!("{suite}: all {total} cases passed");
        return;
    }
    let mut msg = format!("{suite}: {} of {total} cases failed\n\n", failures.len());
    for f in &failures {
        msg.push_str(f);
        msg.push('\n');
    }
    panic!("{msg}");
}

/// rospack's cache file name: 20-digit decimal of Boost 1.74's 64-bit `hash<std::string>`
/// of the raw ROS_PACKAGE_PATH (unset or empty gives twenty zeros).
pub(crate) fn boost_hash_1_74(s: &[u8]) -> String {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    let mut h: u64 = 0;
    for &c in s {
        let mut k = (c as i8 as i64 as u64).wrapping_mul(M);
        k ^= k >> 47;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
        h = h.wrapping_add(0xe654_6b64);
    }
    format!("{h:020}")
}
