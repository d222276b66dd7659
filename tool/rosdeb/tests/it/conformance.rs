//! Black-box conformance of `rosdeb rospack …` and `rosdeb rosstack …` against Debian's C++ rospack/rosstack and Python rospkg, run at test time on the fixture trees.
//!
//! Every case runs the reference tool and `rosdeb` with the same arguments, the same
//! `ROS_PACKAGE_PATH` and fresh, separate `ROS_HOME`/`HOME` directories, and compares stdout
//! (byte for byte unless the case says otherwise), the exit status and the first
//! `[rospack] Error: …` line. Where rospack misbehaves on purpose-built input the case names
//! a row of [`DIFFERENCES`] (mirrored in `docs/rospack-differences.md`) and asserts our
//! documented behaviour instead. Cases can also pin rospack's own output to the values
//! expected by the upstream test suites (`spec`), which guards the hand-rebuilt fixture files.
//!
//! All cases of a test function run before it fails; the failure lists every case with a diff.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::harness::{
    Cmp, Invocation, Outcome, PyClass, PyQuery, PyResult, RunDir, Sandbox, TempDir, Tool, base_env,
    boost_hash_1_74, describe, diff, escape_bytes, excerpt, normalize, par_map, py_batch, render,
    render_rpp, repo_root, report, require_oracles, rosdeb, run, set_env, without_usr_share,
};

// =============================================================================================
// Documented differences

/// One deliberate difference from Debian's rospack 2.6.2; `docs/rospack-differences.md`
/// lists the same ids.
pub(crate) struct Difference {
    pub(crate) id: &'static str,
    pub(crate) rospack: &'static str,
    pub(crate) ours: &'static str,
}

/// Where we deliberately do not copy rospack (each case using one says so with `differs`).
pub(crate) const DIFFERENCES: &[Difference] = &[
    Difference {
        id: "D1-malformed-package-xml",
        rospack: "one unparsable package.xml anywhere on the path aborts every command (SIGABRT, exit 134)",
        ours: "the broken package is skipped with a warning naming the file; the command works on the rest (exit 0)",
    },
    Difference {
        id: "D2-rospack-no-command",
        rospack: "`rospack` without a command prints `no command given` and exits 0",
        ours: "same message, exit 1",
    },
    Difference {
        id: "D3-rosstack-no-command",
        rospack: "`rosstack` without a command prints `no command given` and exits 0",
        ours: "same message, exit 1",
    },
    Difference {
        id: "D4-rosstack-contents-unknown",
        rospack: "`rosstack contents <unknown>` prints `stack <unknown> not found` and exits 0",
        ours: "same message, exit 1",
    },
    Difference {
        id: "D5-rosstack-wet-packages",
        rospack: "rosstack treats every package.xml package as a stack (list, list-names, find, contains, contains-path)",
        ours: "rosstack sees only stack.xml stacks and package.xml metapackages, like Python rospkg's RosStack",
    },
    Difference {
        id: "D6-depends-on-unrelated-cycle",
        rospack: "a dependency cycle anywhere on the path makes every `depends-on` fail (exit 1, no output)",
        ours: "`depends-on X` answers for X unless X's own dependents cannot be computed because of the cycle",
    },
    Difference {
        id: "D7-symlink-loops",
        rospack: "follows directory symlink loops until ELOOP, warns per level and records the looped copies as duplicates",
        ours: "detects loops by device and inode, visits every directory once, no looped duplicates",
    },
    Difference {
        id: "D8-huge-manifest",
        rospack: "parses a manifest of any size",
        ours: "refuses a manifest larger than 4 MiB before parsing: the package is skipped with a warning naming the file",
    },
    Difference {
        id: "D9-cwd-package-name",
        rospack: "names the package of the current directory after the directory (`no such package <dir>` when package.xml's <name> differs)",
        ours: "names it by the <name> of its package.xml",
    },
    Difference {
        id: "D10-manifest-dtd",
        rospack: "tinyxml2 skips a DOCTYPE with internal entities and lists the package",
        ours: "refuses manifests with a DTD (entity bombs): the package is skipped with a warning naming the file",
    },
    Difference {
        id: "D11-non-utf8-package-name",
        rospack: "lists a rosbuild package whose directory name is not UTF-8, under that byte string",
        ours: "leaves such a package out with a warning naming the directory (ROS package names are ASCII); paths that are not UTF-8 are still printed byte for byte",
    },
];

// =============================================================================================
// Case model

/// A check on rosdeb's result. Without explicit checks a case uses [`Check::SameAsOracle`].
#[derive(Clone, Debug)]
enum Check {
    /// stdout (per the case's [`Cmp`]), exit status and first error line equal the oracle's.
    SameAsOracle,
    Exit(i32),
    /// stdout equals this template (per the case's [`Cmp`]).
    Stdout(&'static str),
    /// stdout equals one of these templates (order that rospack leaves undefined).
    StdoutOneOf(&'static [&'static str]),
    /// These names start a line of stdout (`list`, `list-names`).
    Lists(&'static [&'static str]),
    /// These names start no line of stdout.
    NotLists(&'static [&'static str]),
    /// stderr contains this template (a diagnostic naming a file).
    StderrHas(&'static str),
    /// `name` is listed, or else stderr names `file`.
    ListedOrDiagnosed {
        name: &'static str,
        file: &'static str,
    },
    /// stdout equals the oracle's stdout without the lines whose first word is not in the
    /// case's Python result (rosstack without the wet packages, D5).
    OracleFilteredByPy,
}

/// Where the command runs.
#[derive(Clone, Copy, Debug)]
enum Cwd {
    /// An empty directory of the run's sandbox (not inside any package).
    Sandbox,
    /// A fixture directory (template).
    At(&'static str),
    /// A directory deleted after `cd`.
    Deleted,
}

/// Extra set-up of the run's sandbox (the `ROS_HOME` cases of rospack's tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prep {
    None,
    /// Run once, overwrite every file under ROS_HOME with `#SOMETHING`, run again.
    CorruptCache,
    /// ROS_HOME points to a directory that does not exist yet.
    RosHomeMissing,
    /// ROS_HOME is a regular file.
    RosHomeIsFile,
    /// ROS_HOME has mode 000 (only meaningful when not running as root).
    RosHomeLocked,
    /// HOME is unset (ROS_HOME stays set so that nothing is written to the real home).
    NoHome,
    /// rospack must write `rospack_cache_<boost hash of ROS_PACKAGE_PATH>` in `ROS_HOME`.
    CacheFileName,
}

/// How a case uses Python rospkg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PyUse {
    /// Our stdout lines (minus `strip`) must equal Python's result as a set; a Python
    /// exception means we must exit non-zero. The oracle is held to the same.
    Compare,
    /// The Python result only feeds [`Check::OracleFilteredByPy`].
    Filter,
}

#[derive(Clone, Debug)]
struct PySpec {
    class: PyClass,
    /// ROS paths in the ROS_PACKAGE_PATH shorthand of [`render_rpp`].
    paths: &'static str,
    expr: &'static str,
    strip: &'static str,
    usage: PyUse,
}

#[derive(Clone, Debug)]
struct Case {
    name: String,
    tool: Tool,
    /// ROS_PACKAGE_PATH shorthand ([`render_rpp`]); `None` leaves it unset.
    rpp: Option<&'static str>,
    args: Vec<&'static str>,
    cwd: Cwd,
    env: Vec<(&'static str, Option<&'static str>)>,
    cmp: Cmp,
    prep: Prep,
    /// rospack's stdout as the upstream tests expect it, compared per `cmp`.
    spec: Option<String>,
    /// rospack's documented exit status (default: 0 when `spec` is given).
    spec_exit: Option<i32>,
    /// rospack and rosdeb must both leave stderr empty (`-q`).
    quiet: bool,
    py: Option<PySpec>,
    /// Id of the [`Difference`] this case demonstrates.
    differs: Option<&'static str>,
    checks: Vec<Check>,
}

fn case(tool: Tool, rpp: &'static str, args: &[&'static str]) -> Case {
    Case {
        name: format!("{} {}", tool.name(), args.join(" ")),
        tool,
        rpp: Some(rpp),
        args: args.to_vec(),
        cwd: Cwd::Sandbox,
        env: Vec::new(),
        cmp: Cmp::Exact,
        prep: Prep::None,
        spec: None,
        spec_exit: None,
        quiet: false,
        py: None,
        differs: None,
        checks: Vec::new(),
    }
}

/// A rospack case; the name is `rospack <args> @ <rpp>`.
fn rp(rpp: &'static str, args: &[&'static str]) -> Case {
    let mut c = case(Tool::Rospack, rpp, args);
    c.name = format!("{} @ {rpp}", c.name);
    c
}

/// A rosstack case.
fn rs(rpp: &'static str, args: &[&'static str]) -> Case {
    let mut c = case(Tool::Rosstack, rpp, args);
    c.name = format!("{} @ {rpp}", c.name);
    c
}

impl Case {
    fn named(mut self, suffix: &str) -> Self {
        self.name = format!("{} [{suffix}]", self.name);
        self
    }
    fn cmp(mut self, cmp: Cmp) -> Self {
        self.cmp = cmp;
        self
    }
    fn spec(mut self, out: impl Into<String>) -> Self {
        self.spec = Some(out.into());
        self
    }
    fn exit(mut self, code: i32) -> Self {
        self.spec_exit = Some(code);
        self
    }
    fn cwd(mut self, cwd: Cwd) -> Self {
        self.cwd = cwd;
        self
    }
    fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.env.push((key, Some(value)));
        self
    }
    fn unset_rpp(mut self) -> Self {
        self.rpp = None;
        self
    }
    fn prep(mut self, prep: Prep) -> Self {
        self.prep = prep;
        self
    }
    fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }
    fn py(mut self, class: PyClass, paths: &'static str, expr: &'static str) -> Self {
        self.py = Some(PySpec { class, paths, expr, strip: "", usage: PyUse::Compare });
        self
    }
    fn py_strip(mut self, prefix: &'static str) -> Self {
        if let Some(p) = self.py.as_mut() {
            p.strip = prefix;
        }
        self
    }
    fn py_filter(mut self, class: PyClass, paths: &'static str, expr: &'static str) -> Self {
        self.py = Some(PySpec { class, paths, expr, strip: "", usage: PyUse::Filter });
        self
    }
    fn differs(mut self, id: &'static str) -> Self {
        self.differs = Some(id);
        self
    }
    fn ours(mut self, checks: &[Check]) -> Self {
        self.checks = checks.to_vec();
        self
    }
}

// =============================================================================================
// Running and judging one case

struct Side {
    inv: Invocation,
    out: Outcome,
    /// Messages about the sandbox (HOME written to, cache file missing …).
    notes: Vec<String>,
}

fn exec(c: &Case, ours: bool, runtime: Option<&Path>) -> Side {
    let sandbox = Sandbox::new(&c.name);
    let rpp = c.rpp.map(|r| render_rpp(r, runtime));
    let mut env = base_env(&sandbox, rpp.as_deref());
    for (k, v) in &c.env {
        set_env(&mut env, k, v.map(OsString::from));
    }
    let mut ros_home = sandbox.ros_home();
    match c.prep {
        Prep::RosHomeMissing => {
            ros_home = sandbox.ros_home().join("missing");
            set_env(&mut env, "ROS_HOME", Some(ros_home.clone().into_os_string()));
        }
        Prep::RosHomeIsFile => {
            ros_home = sandbox.dir.path().join("ros_home_file");
            fs_err::write(&ros_home, b"not a directory\n").expect("create ROS_HOME file");
            set_env(&mut env, "ROS_HOME", Some(ros_home.clone().into_os_string()));
        }
        Prep::RosHomeLocked => {
            std::fs::set_permissions(&ros_home, std::fs::Permissions::from_mode(0o000))
                .expect("chmod ROS_HOME");
        }
        Prep::NoHome => set_env(&mut env, "HOME", None),
        Prep::None | Prep::CorruptCache | Prep::CacheFileName => {}
    }
    let dir = match c.cwd {
        Cwd::Sandbox => RunDir::Path(sandbox.cwd()),
        Cwd::At(t) => RunDir::Path(PathBuf::from(render(t, runtime))),
        Cwd::Deleted => RunDir::Deleted(sandbox.cwd().join("deleted")),
    };
    let (program, mut args): (PathBuf, Vec<OsString>) = if ours {
        (rosdeb(), vec![c.tool.name().into()])
    } else {
        (c.tool.oracle().into(), Vec::new())
    };
    args.extend(c.args.iter().map(|a| render(a, runtime)));
    let inv = Invocation { program, args, env, dir, stdin: None };
    let mut notes = Vec::new();
    let mut out = run(&inv);
    if c.prep == Prep::CorruptCache {
        let mut corrupted = 0;
        corrupt_files(&ros_home, &mut corrupted);
        if !ours && corrupted == 0 {
            notes.push("rospack wrote no cache file into ROS_HOME to corrupt".into());
        }
        out = run(&inv);
    }
    if c.prep == Prep::RosHomeLocked {
        let _ = std::fs::set_permissions(&ros_home, std::fs::Permissions::from_mode(0o755));
    }
    if !ours {
        match c.prep {
            Prep::RosHomeMissing if !ros_home.is_dir() => {
                notes.push("rospack did not create the missing ROS_HOME".into());
            }
            Prep::CacheFileName => {
                let raw = rpp.as_deref().map(|r| r.as_bytes()).unwrap_or(b"");
                let want = format!(
                    "{}_cache_{}",
                    c.tool.name(),
                    if raw.is_empty() { "0".repeat(20) } else { boost_hash_1_74(raw) }
                );
                if !ros_home.join(&want).is_file() {
                    let found: Vec<String> = std::fs::read_dir(&ros_home)
                        .map(|d| {
                            d.flatten()
                                .map(|e| e.file_name().to_string_lossy().into_owned())
                                .collect()
                        })
                        .unwrap_or_default();
                    notes.push(format!(
                        "expected rospack's cache file {want} in ROS_HOME, found {found:?}"
                    ));
                }
            }
            _ => {}
        }
    }
    // Nothing may be written to HOME while ROS_HOME is set.
    if let Ok(entries) = std::fs::read_dir(sandbox.home()) {
        let written: Vec<String> =
            entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        if !written.is_empty() {
            notes.push(format!("wrote into HOME although ROS_HOME was set: {written:?}"));
        }
    }
    Side { inv, out, notes }
}

fn corrupt_files(dir: &Path, count: &mut usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            corrupt_files(&p, count);
        } else if p.is_file() {
            fs_err::write(&p, b"#SOMETHING\n").expect("overwrite a cache file");
            *count += 1;
        }
    }
}

/// Words starting each non-empty line.
fn first_words(out: &[u8]) -> BTreeSet<Vec<u8>> {
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.split(|b| *b == b' ').next().unwrap_or(l).to_vec())
        .collect()
}

fn lines_set(out: &[u8], strip: &str) -> BTreeSet<String> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix(strip).unwrap_or(l).to_string())
        .collect()
}

fn render_bytes(t: &str, runtime: Option<&Path>) -> Vec<u8> {
    render(t, runtime).as_bytes().to_vec()
}

/// Runs one case and returns its failure report, if any.
fn judge(c: &Case, py: Option<&PyResult>, runtime: Option<&Path>) -> Option<String> {
    let oracle = exec(c, false, runtime);
    let mut problems: Vec<String> = Vec::new();
    let tool = c.tool;

    // --- the oracle against the upstream tests' expected output and against Python rospkg
    let mut oracle_notes = oracle.notes.clone();
    if let Some(spec) = &c.spec {
        let want = normalize(c.cmp, &render_bytes(spec, runtime));
        let got = normalize(c.cmp, &oracle.out.stdout);
        if want != got {
            oracle_notes.push(format!(
                "stdout differs from the expected output (cmp {:?}; - expected, + rospack):\n{}",
                c.cmp,
                diff(&want, &got)
            ));
        }
    }
    let want_exit = c.spec_exit.or(c.spec.as_ref().map(|_| 0));
    if let Some(code) = want_exit.filter(|c| *c != oracle.out.code) {
        oracle_notes
            .push(format!("exit status {} instead of the documented {code}", oracle.out.code));
    }
    if c.quiet && !oracle.out.stderr.is_empty() {
        oracle_notes.push("stderr not empty with -q".into());
    }
    let oracle_py =
        c.py.as_ref()
            .zip(py)
            .filter(|(p, _)| p.usage == PyUse::Compare && c.differs.is_none())
            .and_then(|(p, res)| py_mismatch(res, &oracle.out, p.strip).map(|m| (p, m)));
    if let Some((p, msg)) = oracle_py {
        oracle_notes.push(format!("disagrees with Python rospkg `{}`: {msg}", p.expr));
    }
    if !oracle_notes.is_empty() {
        problems.push(format!(
            "  reference {} (fixture or expected output out of date?):\n    {}\n{}",
            tool.oracle(),
            oracle_notes.join("\n    "),
            side_dump(&oracle)
        ));
    }

    // --- rosdeb
    {
        let ours = exec(c, true, runtime);
        let mut notes = ours.notes.clone();
        if let Some(crash) = ours.out.crash() {
            notes.push(format!("rosdeb crashed: {crash}"));
        }
        let default = [Check::SameAsOracle];
        let checks: &[Check] = if c.checks.is_empty() { &default } else { &c.checks };
        for check in checks {
            if let Some(msg) = run_check(c, check, &oracle.out, &ours.out, py, runtime) {
                notes.push(msg);
            }
        }
        if c.quiet && !ours.out.stderr.is_empty() {
            notes.push("stderr must stay empty with -q".into());
        }
        let ours_py =
            c.py.as_ref()
                .zip(py)
                .filter(|(p, _)| p.usage == PyUse::Compare)
                .and_then(|(p, res)| py_mismatch(res, &ours.out, p.strip).map(|m| (p, m)));
        if let Some((p, msg)) = ours_py {
            notes.push(format!("disagrees with Python rospkg `{}`: {msg}", p.expr));
        }
        if !notes.is_empty() {
            problems.push(format!(
                "  rosdeb{}:\n    {}\n{}  reference run:\n{}",
                c.differs.map(|d| format!(" (documented difference {d})")).unwrap_or_default(),
                notes.join("\n    "),
                side_dump(&ours),
                side_dump(&oracle)
            ));
        }
    }
    if problems.is_empty() {
        None
    } else {
        Some(format!("FAIL [{}]\n{}", c.name, problems.join("")))
    }
}

fn side_dump(side: &Side) -> String {
    format!(
        "    $ {}\n    exit {}\n    stderr:\n{}",
        describe(&side.inv),
        side.out.code,
        excerpt(&side.out.stderr)
    )
}

fn py_mismatch(res: &PyResult, out: &Outcome, strip: &str) -> Option<String> {
    match res {
        PyResult::Err(e) if out.code == 0 => {
            Some(format!("Python raised {e}, but the command exited 0"))
        }
        PyResult::Err(_) => None,
        PyResult::Ok(_) if out.code != 0 => {
            Some(format!("Python succeeded, but the command exited {}", out.code))
        }
        PyResult::Ok(want) => {
            let got = lines_set(&without_usr_share(&out.stdout), strip);
            (want != &got).then(|| format!("Python {want:?} vs command {got:?}"))
        }
    }
}

fn run_check(
    c: &Case,
    check: &Check,
    oracle: &Outcome,
    ours: &Outcome,
    py: Option<&PyResult>,
    runtime: Option<&Path>,
) -> Option<String> {
    let stdout_vs = |want: &[u8], what: &str| -> Option<String> {
        let want = normalize(c.cmp, want);
        let got = normalize(c.cmp, &ours.stdout);
        (want != got).then(|| {
            format!(
                "stdout differs from {what} (cmp {:?}; - expected, + rosdeb):\n{}",
                c.cmp,
                diff(&want, &got)
            )
        })
    };
    match check {
        Check::SameAsOracle => {
            let mut msgs = Vec::new();
            if let Some(m) = stdout_vs(&oracle.stdout, c.tool.oracle()) {
                msgs.push(m);
            }
            if oracle.code != ours.code {
                msgs.push(format!(
                    "exit status {} but {} exits {}",
                    ours.code,
                    c.tool.oracle(),
                    oracle.code
                ));
            }
            let (want, got) = (oracle.first_error_line(c.tool), ours.first_error_line(c.tool));
            if want.is_some() && want != got {
                msgs.push(format!(
                    "first error line differs:\n      expected {:?}\n      rosdeb   {:?}",
                    want.unwrap_or_default(),
                    got.unwrap_or_default()
                ));
            }
            (!msgs.is_empty()).then(|| msgs.join("\n    "))
        }
        Check::Exit(code) => {
            (ours.code != *code).then(|| format!("exit status {} instead of {code}", ours.code))
        }
        Check::Stdout(t) => stdout_vs(&render_bytes(t, runtime), "the documented output"),
        Check::StdoutOneOf(ts) => {
            let got = normalize(c.cmp, &ours.stdout);
            let ok = ts.iter().any(|t| normalize(c.cmp, &render_bytes(t, runtime)) == got);
            (!ok).then(|| {
                format!(
                    "stdout {:?} is none of {:?}",
                    escape_bytes(&got),
                    ts.iter()
                        .map(|t| render(t, runtime).to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                )
            })
        }
        Check::Lists(names) => {
            let words = first_words(&ours.stdout);
            let missing: Vec<&str> =
                names.iter().copied().filter(|n| !words.contains(n.as_bytes())).collect();
            (!missing.is_empty()).then(|| format!("does not list {missing:?}"))
        }
        Check::NotLists(names) => {
            let words = first_words(&ours.stdout);
            let present: Vec<&str> =
                names.iter().copied().filter(|n| words.contains(n.as_bytes())).collect();
            (!present.is_empty()).then(|| format!("must not list {present:?}"))
        }
        Check::StderrHas(t) => {
            let needle = render(t, runtime).to_string_lossy().into_owned();
            (!ours.stderr_str().contains(&needle))
                .then(|| format!("stderr does not mention {needle:?}"))
        }
        Check::ListedOrDiagnosed { name, file } => {
            let listed = first_words(&ours.stdout).contains(name.as_bytes());
            let needle = render(file, runtime).to_string_lossy().into_owned();
            (!listed && !ours.stderr_str().contains(&needle)).then(|| {
                format!("{name} is neither listed nor diagnosed (stderr must name {needle:?})")
            })
        }
        Check::OracleFilteredByPy => {
            let Some(PyResult::Ok(keep)) = py else {
                return Some(format!("Python rospkg gave no result to filter with: {py:?}"));
            };
            let mut want = Vec::new();
            for line in oracle.stdout.split_inclusive(|b| *b == b'\n') {
                let word = line.split(|b| *b == b' ' || *b == b'\n').next().unwrap_or(line);
                if keep.contains(String::from_utf8_lossy(word).as_ref()) {
                    want.extend_from_slice(line);
                }
            }
            stdout_vs(&want, "rosstack's output restricted to rospkg's RosStack.list()")
        }
    }
}

/// Runs a table: validates it, evaluates its Python queries in one batch, runs all cases in
/// parallel and reports every failure.
fn run_table(suite: &str, cases: &[Case], runtime: Option<&Path>) {
    require_oracles();
    let mut names = BTreeSet::new();
    for c in cases {
        assert!(names.insert(c.name.clone()), "duplicate case name {:?}", c.name);
        if let Some(id) = c.differs {
            assert!(
                DIFFERENCES.iter().any(|d| d.id == id),
                "case {:?} names unknown difference {id}",
                c.name
            );
            assert!(
                !c.checks.is_empty() && !c.checks.iter().any(|k| matches!(k, Check::SameAsOracle)),
                "case {:?} documents a difference but compares with rospack",
                c.name
            );
        }
    }
    let queries: Vec<PyQuery> = cases
        .iter()
        .filter_map(|c| c.py.as_ref())
        .map(|p| PyQuery {
            class: p.class,
            paths: render_rpp(p.paths, runtime)
                .as_bytes()
                .split(|b| *b == b':')
                .filter(|s| !s.is_empty())
                .map(|s| OsString::from(std::ffi::OsStr::from_bytes(s)))
                .collect(),
            expr: p.expr.to_string(),
        })
        .collect();
    let mut answers = py_batch(&queries).into_iter();
    let with_py: Vec<(&Case, Option<PyResult>)> = cases
        .iter()
        .map(|c| (c, c.py.as_ref().map(|_| answers.next().expect("one answer per query"))))
        .collect();
    let failures: Vec<String> =
        par_map(&with_py, |(c, py)| judge(c, py.as_ref(), runtime)).into_iter().flatten().collect();
    report(suite, cases.len(), failures);
}

// =============================================================================================
// Tables

/// `depth-100` … `depth-1`, one per line (rospack's post-order for `deps depth-0`).
fn depth_chain_down(from: u32, to: u32) -> String {
    (to..=from).rev().map(|i| format!("depth-{i}\n")).collect()
}

const T: &str = "rospack/test";

/// rospack's `utest` cases on `test/test` (dependencies, exports, flags, langs, errors).
fn rospack_test_tree_cases() -> Vec<Case> {
    vec![
        // --- depends / depends1 (post-order, declaration order)
        rp(T, &["deps", "deps"]).spec("base\nbase_two\n"),
        rp(T, &["depends", "deps"]).spec("base\nbase_two\n"),
        rp(T, &["deps", "deps_higher"]).spec("base\nbase_two\ndeps\n"),
        rp(T, &["deps", "deps_dup"]).spec("base\nbase_two\ndeps\ndeps_higher\n"),
        rp(T, &["deps", "depth-0"]).spec(depth_chain_down(100, 1)),
        rp(T, &["deps", "depth-100"]).spec(""),
        rp(T, &["deps1", "deps"]).spec("base\nbase_two\n"),
        rp(T, &["depends1", "deps_higher"]).spec("deps\n"),
        rp(T, &["deps1", "depth-0"]).spec("depth-1\n"),
        rp(T, &["deps1", "depth-98"]).spec("depth-99\n"),
        rp(T, &["deps1", "deps_dup"]).spec("base\nbase_two\ndeps_higher\n"),
        // --- depends-on / depends-on1 (hash-map order: sets)
        rp(T, &["depends-on", "base"])
            .cmp(Cmp::LineSet)
            .spec("plugins\ndeps_dup\ndeps\ndeps_higher\n"),
        rp(T, &["depends-on", "deps"]).cmp(Cmp::LineSet).spec("deps_higher\ndeps_dup\n"),
        rp(T, &["depends-on", "depth-0"]).cmp(Cmp::LineSet).spec(""),
        rp(T, &["depends-on", "depth-100"]).cmp(Cmp::LineSet).spec(depth_chain_down(99, 0)),
        rp(T, &["depends-on1", "base"]).cmp(Cmp::LineSet).spec("deps\ndeps_dup\nplugins\n"),
        rp(T, &["depends-on1", "base_two"]).cmp(Cmp::LineSet).spec("deps\ndeps_dup\n"),
        rp(T, &["depends-on1", "deps"]).cmp(Cmp::LineSet).spec("deps_higher\n"),
        rp(T, &["depends-on1", "depth-50"]).cmp(Cmp::LineSet).spec("depth-49\n"),
        rp(T, &["depends-on1", "roslang"]).cmp(Cmp::LineSet).spec("rosbar\nrosfoo\n"),
        // --- depends-indent / depends-manifests / depends-msgsrv / depends-why
        rp(T, &["deps-indent", "deps_higher"]).spec("deps\n  base\n  base_two\n"),
        rp(T, &["depends-indent", "deps_dup"]),
        rp(T, &["depends-indent", "depth-90"]),
        rp(T, &["deps-manifests", "deps"])
            .spec("{ws}/rospack/test/base/manifest.xml {ws}/rospack/test/base_two/manifest.xml\n"),
        rp(T, &["depends-manifests", "deps_dup"]),
        rp(T, &["depends-manifests", "base"]),
        rp(T, &["deps-msgsrv", "deps"]),
        rp(T, &["depends-msgsrv", "deps_dup"]),
        rp(T, &["depends-msgsrv", "msg_gen_no_cpp"]),
        rp(T, &["deps-why", "--target=base", "deps_dup"]).spec(
            "Dependency chains from deps_dup to base:\n* deps_dup -> base \n\
             * deps_dup -> deps_higher -> deps -> base \n",
        ),
        rp(T, &["depends-why", "--target=base_two", "deps_higher"]),
        rp(T, &["depends-why", "--target=plugins", "deps"]),
        rp(T, &["depends-why", "deps"]).exit(1),
        // --- rosdep / rosdep0
        rp(T, &["rosdep", "base"]).spec("name: foo\n"),
        rp(T, &["rosdeps", "base"]).spec("name: foo\n"),
        rp(T, &["rosdep0", "deps"]).spec("name: bar\n"),
        rp(T, &["rosdeps0", "deps"]).spec("name: bar\n"),
        rp(T, &["rosdep", "deps"]).spec("name: bar\nname: foo\n"),
        rp(T, &["rosdep", "deps_dup"]),
        rp(T, &["rosdep0", "empty"]),
        // --- vcs / vcs0
        rp(T, &["vcs", "deps"]).spec(
            "type: svn\turl: https://ros.svn.sourceforge.net/svnroot/ros/trunk\n\
             type: svn\turl: https://ros.svn.sourceforge.net/svnroot/ros/branches\n",
        ),
        rp(T, &["vcs0", "empty"]).spec("type: \turl: \n"),
        rp(T, &["vcs", "deps_empty"]).spec("type: svn\turl: \ntype: \turl: \n"),
        rp(T, &["vcs0", "vc_no_type_or_url"]).spec("\n"),
        rp(T, &["vcs0", "deps"]).spec(""),
        rp(T, &["vcs", "deps_dup"]),
        // --- export
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "base"]).spec("-lfoo\n"),
        rp(T, &["export", "--attrib=lflags", "--lang=cpp", "base"]).spec("-lfoo\n"),
        rp(T, &["export", "--lang=cpp", "--attrib=cflags", "base"]).spec("-Isomething\n"),
        rp(T, &["export", "--attrib=cflags", "--lang=cpp", "base"]).spec("-Isomething\n"),
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "deps"]).spec("-lloki -lfoo -lbar\n"),
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "--deps-only", "deps"])
            .spec("-lfoo -lbar\n"),
        rp(T, &["export", "--lang=roslang", "--attrib=cmake", "base"]).spec("something.cmake\n"),
        rp(T, &["export", "--lang=cpp", "--attrib=fake", "base"]).spec("\n"),
        rp(T, &["export", "--lang=foo", "--attrib=bar", "msg_gen_no_cpp"]).spec("bat\n"),
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "msg_gen_no_cpp"]).spec("\n"),
        rp(T, &["export", "--lang=cpp", "--attrib=cflags", "msg_gen_no_cflags"]),
        rp(T, &["export", "--lang=cpp", "--attrib=cflags", "platform_specific_exports"]),
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "backquote"]),
        rp(T, &["export", "--lang=cpp", "--attrib=cflags", "backquote"]),
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "deps_dup"]),
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "backquote_invalid"]).exit(1),
        // --- plugins
        rp(T, &["plugins", "--attrib=cmake", "base"])
            .cmp(Cmp::LineSet)
            .spec("deps foo.cmake\nplugins bat.cmake\n"),
        rp(T, &["plugins", "--attrib=cmake", "--top=deps", "base"]).spec("deps foo.cmake\n"),
        rp(T, &["plugins", "--attrib=cmake", "base_two"]).spec("deps bar.cmake\n"),
        rp(T, &["plugins", "--attrib=cmake", "--top=deps_dup", "base"]).cmp(Cmp::LineSet),
        // --- flag commands
        rp(T, &["libs-only-l", "base"]).spec("foo\n"),
        rp(T, &["libs-only-l", "deps"]).spec("loki foo bar\n"),
        rp(T, &["libs-only-l", "--deps-only", "deps"]).spec("foo bar\n"),
        rp(T, &["libs-only-l", "deps_dup"]),
        rp(T, &["libs-only-l", "backquote"]).spec("loki foo backquote\n"),
        rp(T, &["libs-only-L", "backquote"]).spec("odin\n"),
        rp(T, &["cflags-only-I", "backquote"]).spec("blah backquote\n"),
        rp(T, &["cflags-only-other", "backquote"]),
        rp(T, &["libs-only-other", "backquote"]),
        rp(T, &["libs-only-l", "lflags_with_archive_lib"]).spec("/usr/lib/libfoo.a\n"),
        rp(T, &["libs-only-other", "lflags_with_archive_lib"]).spec("/a/bad/flag\n"),
        rp(T, &["cflags-only-other", "platform_specific_exports"]).spec("-DLINUX\n"),
        rp(T, &["cflags-only-I", "msg_gen_no_export"])
            .spec("{ws}/rospack/test/msg_gen_no_export/msg_gen/cpp/include\n"),
        rp(T, &["cflags-only-I", "msg_gen_no_cpp"])
            .spec("{ws}/rospack/test/msg_gen_no_cpp/msg_gen/cpp/include\n"),
        rp(T, &["cflags-only-I", "msg_gen_no_cflags"])
            .spec("{ws}/rospack/test/msg_gen_no_cflags/msg_gen/cpp/include\n"),
        rp(T, &["cflags-only-I", "--deps-only", "deps"]),
        rp(T, &["libs-only-L", "deps"]),
        rp(T, &["libs-only-l", "deps_empty"]),
        rp(T, &["libs-only-L", "deps_empty"]),
        rp(T, &["libs-only-other", "deps_empty"]),
        rp(T, &["cflags-only-I", "deps_empty"]),
        rp(T, &["cflags-only-other", "deps_empty"]),
        // --- langs
        rp(T, &["langs"]).cmp(Cmp::WordSet).spec("rosfoo rosbar\n"),
        rp(T, &["langs"])
            .env("ROS_LANG_DISABLE", "rosfoo")
            .named("ROS_LANG_DISABLE=rosfoo")
            .cmp(Cmp::WordSet)
            .spec("rosbar\n"),
        rp(T, &["langs"])
            .env("ROS_LANG_DISABLE", "rosfoo:rosbar")
            .named("ROS_LANG_DISABLE=rosfoo:rosbar")
            .cmp(Cmp::WordSet)
            .spec(""),
        rp("rospack/test2", &["langs"]).spec("\n"),
        rp("rospack/test_empty", &["langs"]).exit(1),
        // --- failures (rospack's expected failures)
        rp(T, &["deps", "deps_invalid"]).exit(1),
        rp(T, &["deps", "deps_nonexistent"]).exit(1),
        rp(T, &["deps1", "invalid"]).exit(1),
        rp(T, &["vcs", "invalid"]).exit(1),
        rp(T, &["libs-only-l", "invalid"]).exit(1),
        rp(T, &["libs-only-l", "no_package_attribute"]).exit(1),
        rp(T, &["libs-only-other", "backquote_invalid"]).exit(1),
        rp(T, &["find", "nonexistentpackage"]).exit(1),
        rp(T, &["-q", "find", "nonexistentpackage"]).exit(1).quiet(),
        rp(T, &["find", "-q", "nonexistentpackage"]).exit(1).quiet(),
        rp(T, &["depends-on", "nonexistentpackage"]).exit(1),
        rp(T, &["deps", "nope"]).exit(1),
        rp(T, &["depends1", "nope"]).exit(1),
        rp(T, &["depends-on1", "nope"]).exit(1),
        rp(T, &["depends-indent", "nope"]).exit(1),
        rp(T, &["depends-manifests", "nope"]).exit(1),
        rp(T, &["depends-why", "--target=base", "nope"]).exit(1),
        rp(T, &["rosdep", "nope"]).exit(1),
        rp(T, &["vcs0", "nope"]).exit(1),
        rp(T, &["export", "--lang=cpp", "--attrib=cflags", "nope"]).exit(1),
        rp(T, &["plugins", "--attrib=cmake", "nope"]).exit(1),
        rp(T, &["cflags-only-I", "nope"]).exit(1),
        rp(T, &["deps1", "no_package_attribute"]).exit(1),
        rp(T, &["rosdep", "invalid"]).exit(1),
        // --- argument errors
        rp(T, &["--fake", "deps", "deps"]).exit(1),
        rp(T, &["deps", "--lang=cpp", "--attrib=flags", "deps"]).exit(1),
        rp(T, &["deps", "--lang=cpp", "deps"]).exit(1),
        rp(T, &["deps", "--attrib=lflags", "deps"]).exit(1),
        rp(T, &["deps", "--length=10"]).exit(1),
        rp(T, &["deps", "--zombie-only"]).exit(1),
        rp(T, &["profile", "--length="]).exit(1),
        rp(T, &["profile", "--deps-only"]).exit(1),
        rp(T, &["profile", "deps"]).exit(1),
        rp(T, &["list", "deps"]).exit(1),
        rp(T, &["list-names", "deps"]).exit(1),
        rp(T, &["list-duplicates", "deps"]).exit(1),
        rp(T, &["langs", "deps"]).exit(1),
        rp(T, &["export", "--lang=", "--attrib=lflags", "base"]).exit(1),
        rp(T, &["export", "--lang=cpp", "--attrib=", "base"]).exit(1),
        rp(T, &["export", "--attrib=lflags", "base"]).exit(1),
        rp(T, &["export", "--lang=cpp", "base"]).exit(1),
        rp(T, &["export", "--lang=cpp", "--lang=python", "--attrib=lflags", "base"]).exit(1),
        rp(T, &["export", "--lang=cpp", "--attrib=lflags", "--attrib=cflags", "base"]).exit(1),
        rp(T, &["export", "--lang=cpp", "--attrib=cflags", "--top=foo", "base"]).exit(1),
        rp(T, &["export", "--lang=cpp", "--attrib=cflags", "--top=", "base"]).exit(1),
        rp(T, &["plugins", "base"]).exit(1),
        rp(T, &["plugins", "--lang=cpp", "base"]).exit(1),
        rp(T, &["plugins", "--attrib=", "base"]).exit(1),
        rp(T, &["plugins", "--top=foo", "base"]).exit(1),
        rp(T, &["bogus"]).exit(1),
        rp(T, &["bogus", "deps"]).exit(1),
        // --- help
        rp(T, &["help"]).exit(0),
        rp(T, &["help", "find"]).exit(0),
        rp(T, &["help", "export"]).exit(0),
        rp(T, &["-h"]).exit(0),
        rp(T, &["--help"]).exit(0).differs("D2-rospack-no-command").ours(&[
            Check::Exit(1),
            Check::Stdout(""),
            Check::StderrHas("[rospack] Error: no command given.  Try 'rospack help'"),
        ]),
        // --- no command: documented difference
        rp(T, &[]).exit(0).differs("D2-rospack-no-command").ours(&[
            Check::Exit(1),
            Check::Stdout(""),
            Check::StderrHas("[rospack] Error: no command given.  Try 'rospack help'"),
        ]),
    ]
}

const STRUCT: &str = "rospack/structure_test";

/// rospack's `utest` cases on paths, precedence, crawl structure, cycles, errors and cwd.
fn rospack_paths_cases() -> Vec<Case> {
    let st = |p: &str| format!("{{ws}}/rospack/structure_test/{p}\n");
    vec![
        // --- precedence between ROS_PACKAGE_PATH entries
        rp("rospack/test:rospack/test2", &["libs-only-l", "precedence1"]).spec("test\n"),
        rp("rospack/test2:rospack/test", &["libs-only-l", "precedence1"]).spec("test2\n"),
        rp("rospack/test:rospack/test2:rospack/test3", &["libs-only-l", "precedence2"])
            .spec("test2\n"),
        rp("rospack/test:rospack/test3:rospack/test2", &["libs-only-l", "precedence2"])
            .spec("test3\n"),
        rp(
            "rospack/test:rospack/test2/precedence2:rospack/test3/precedence3",
            &["libs-only-l", "precedence2"],
        )
        .spec("test2\n"),
        rp(
            "rospack/test:rospack/test2/precedence2:rospack/test3/precedence3",
            &["libs-only-l", "precedence3"],
        )
        .spec("test3\n"),
        rp("rospack/test2:rospack/test", &["find", "roslang"]).spec("{ws}/rospack/test2/roslang\n"),
        // --- empty entries, trailing slashes, bad entries
        rp("::rospack/test:::", &["deps", "deps"]).spec("base\nbase_two\n"),
        rp(":::rospack/test:rospack/test2:", &["libs-only-l", "precedence1"]).spec("test\n"),
        rp("::rospack/test2::rospack/test3/::", &["libs-only-l", "precedence2"]).spec("test2\n"),
        rp("rospack/test/", &["find", "base"]).spec("{ws}/rospack/test/base\n"),
        rp("rospack/test:rospack/nonexistent", &["libs-only-l", "precedence1"]).spec("test\n"),
        rp(":rospack/nonexistent:rospack/test2", &["libs-only-l", "precedence2"]).spec("test2\n"),
        rp("rospack/test2:rospack/nonexistent", &["libs-only-l", "precedence2"]).spec("test2\n"),
        rp("", &["list"]).named("empty ROS_PACKAGE_PATH"),
        rp(T, &["list"]).unset_rpp().named("ROS_PACKAGE_PATH unset"),
        rp(T, &["find", "base"]).unset_rpp().named("ROS_PACKAGE_PATH unset").exit(1),
        // relative ROS_PACKAGE_PATH entries are printed relative, as given
        rp("./test", &["find", "base"]).cwd(Cwd::At("{ws}/rospack")).spec("test/base\n"),
        rp("./test", &["deps-manifests", "deps"]).cwd(Cwd::At("{ws}/rospack")),
        // --- find roslang through test_empty and direct package entries
        rp("rospack/test_empty:rospack/test:rospack/test2", &["find", "roslang"])
            .spec("{ws}/rospack/test/roslang\n"),
        rp("rospack/test_empty:rospack/test:rospack/test2/roslang", &["find", "roslang"])
            .spec("{ws}/rospack/test/roslang\n"),
        rp("rospack/test_empty:rospack/test/roslang:rospack/test2", &["find", "roslang"])
            .spec("{ws}/rospack/test/roslang\n"),
        rp("rospack/test_empty:rospack/test/roslang:rospack/test2/roslang", &["find", "roslang"])
            .spec("{ws}/rospack/test/roslang\n"),
        // --- list-duplicates
        rp("rospack/test:rospack/test2:rospack/test3", &["list-duplicates"])
            .cmp(Cmp::Duplicates)
            .spec(
                "precedence1\n- {ws}/rospack/test/precedence1\n- {ws}/rospack/test2/precedence1\n\
                 - {ws}/rospack/test3/precedence1\nprecedence2\n- {ws}/rospack/test2/precedence2\n\
                 - {ws}/rospack/test3/precedence2\nprecedence3\n- {ws}/rospack/test2/precedence3\n\
                 - {ws}/rospack/test3/precedence3\nroslang\n- {ws}/rospack/test/roslang\n\
                 - {ws}/rospack/test2/roslang\n",
            ),
        rp("rospack/test2:rospack/test3", &["list-duplicates"]).cmp(Cmp::Duplicates),
        rp(T, &["list-duplicates"]).spec(""),
        rp("rospack/test:rospack/test2:rospack/test3", &["list"]),
        rp("rospack/test:rospack/test2:rospack/test3", &["list-names"]),
        rp(T, &["list"]),
        rp(T, &["list-names"]),
        // --- structure_test: nesting, .hidden, rospack_nosubdirs
        rp(STRUCT, &["list"]).spec(format!(
            "package1 {a}package2 {b}package3 {c}package4 {d}package5 {e}package6 {f}package7 {g}",
            a = st("package1"),
            b = st("package2"),
            c = st("subdir1/package3"),
            d = st("subdir1/subdir1_1/package4"),
            e = st("subdir1/subdir1_1/package5"),
            f = st("subdir3/package6"),
            g = st("subdir3/package7"),
        )),
        rp(STRUCT, &["list-names"])
            .spec("package1\npackage2\npackage3\npackage4\npackage5\npackage6\npackage7\n"),
        rp("rospack/structure_test:rospack/structure_test", &["list"]).named("same entry twice"),
        rp("rospack/structure_test:rospack/structure_test", &["list-duplicates"])
            .cmp(Cmp::Duplicates),
        rp(STRUCT, &["find", "package1"]).spec(st("package1")),
        rp(STRUCT, &["find", "package2"]).spec(st("package2")),
        rp(STRUCT, &["find", "package3"]).spec(st("subdir1/package3")),
        rp(STRUCT, &["find", "package4"]).spec(st("subdir1/subdir1_1/package4")),
        rp(STRUCT, &["find", "package5"]).spec(st("subdir1/subdir1_1/package5")),
        rp(STRUCT, &["find", "package6"]).spec(st("subdir3/package6")),
        rp(STRUCT, &["find", "package7"]).spec(st("subdir3/package7")),
        rp(STRUCT, &["find", "not_a_package_2_1a"]).exit(1),
        rp(STRUCT, &["find", ".hidden"]).exit(1),
        rp("rospack/structure_test/package1", &["find", "package1"]).spec(st("package1")),
        rp("rospack/test:rospack/structure_test/package2", &["find", "package2"])
            .spec(st("package2")),
        // --- test_empty
        rp("rospack/test_empty", &["list"]).spec(""),
        rp("rospack/test_empty", &["list-names"]).spec(""),
        rp("rospack/test_empty", &["list-duplicates"]).spec(""),
        rp("rospack/test_empty", &["find", "package"]).exit(1),
        // --- cycles
        rp("rospack/test:rospack/test_circular/cycle0", &["deps", "self_ref"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle1", &["deps", "friend1"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle1", &["deps", "friend2"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle2", &["deps", "friend1"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle2", &["deps", "friend2"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle2", &["deps", "friend3"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle2", &["depends-on", "friend3"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle2", &["deps1", "friend1"]).spec("friend2\n"),
        rp("rospack/test:rospack/test_circular/cycle2", &["depends-on1", "friend1"])
            .cmp(Cmp::LineSet)
            .spec("friend3\n"),
        rp("rospack/test:rospack/test_circular/cycle2", &["depends-indent", "friend1"]).exit(1),
        rp("rospack/test:rospack/test_circular/cycle2", &["libs-only-l", "friend1"]).exit(1),
        rp("rospack/test_circular/cycle0", &["deps1", "self_ref"]),
        rp("rospack/test:rospack/test_circular/cycle2", &["depends-on", "base"])
            .exit(1)
            .spec("")
            .differs("D6-depends-on-unrelated-cycle")
            .ours(&[Check::Exit(0), Check::Stdout("plugins\ndeps_dup\ndeps\ndeps_higher\n")])
            .cmp(Cmp::LineSet),
        // --- test_errors (gtest multiple_errors: best-effort output)
        rp("rospack/test_errors", &["deps", "invalid_package_two"])
            .exit(1)
            .spec("base\nbase2\nvalid_package\ninvalid_package_one\nanother_valid_package\n"),
        rp("rospack/test_errors", &["deps", "direct_deps_valid"]).exit(1),
        rp("rospack/test_errors", &["deps", "invalid_roslang_package"]).exit(1),
        rp("rospack/test_errors", &["deps", "valid_package"]).spec("base\nbase2\n"),
        rp("rospack/test_errors", &["deps1", "invalid_package_two"]),
        rp("rospack/test_errors", &["depends-indent", "invalid_package_two"]),
        rp("rospack/test_errors", &["depends-on", "base"]).cmp(Cmp::LineSet),
        rp("rospack/test_errors", &["depends-on1", "invalid_package_one"]).cmp(Cmp::LineSet),
        rp("rospack/test_errors", &["depends-manifests", "invalid_package_two"]),
        // --- package from the current directory
        rp(T, &["depends1"])
            .cwd(Cwd::At("{ws}/rospack/test/deps"))
            .named("cwd test/deps")
            .cmp(Cmp::LineSet)
            .spec("base\nbase_two\n"),
        rp(T, &["deps"])
            .cwd(Cwd::At("{ws}/rospack/test/deps"))
            .named("cwd test/deps")
            .spec("base\nbase_two\n"),
        rp(T, &["find"])
            .cwd(Cwd::At("{ws}/rospack/test/deps"))
            .named("cwd test/deps")
            .spec("{ws}/rospack/test/deps\n"),
        rp(T, &["depends-on1"])
            .cwd(Cwd::At("{ws}/rospack/test/deps"))
            .named("cwd test/deps")
            .cmp(Cmp::LineSet)
            .spec("deps_higher\n"),
        rp(T, &["export", "--lang=foo", "--attrib=bar"])
            .cwd(Cwd::At("{ws}/rospack/test/msg_gen_no_cpp/msg_gen"))
            .named("cwd inside a package")
            .spec("bat\n"),
        rp(T, &["depends1"]).cwd(Cwd::Deleted).named("deleted cwd").exit(1),
        rp(T, &["depends-on1"]).cwd(Cwd::At("/")).named("cwd /").exit(1),
        rp(T, &["depends1"]).named("cwd outside packages").exit(1),
    ]
}

/// rospack's `ROS_HOME` handling and `ROS_CACHE_TIMEOUT` cases, plus `profile`.
fn rospack_cache_cases() -> Vec<Case> {
    vec![
        rp(T, &["profile"]).cmp(Cmp::Shape),
        rp(T, &["profile", "--length=3"]).cmp(Cmp::Shape),
        rp(T, &["profile", "--length=10"]).cmp(Cmp::Shape),
        rp(T, &["profile", "--zombie-only"]).cmp(Cmp::LineSet),
        // Ignored folders, and folders with rospack_nosubdirs and no manifest, are no row (not
        // even a zombie).
        rp("bad/ignore_markers", &["profile", "--zombie-only"]).cmp(Cmp::LineSet),
        rp(T, &["profile"]).env("ROS_CACHE_TIMEOUT", "0").named("timeout 0").cmp(Cmp::Shape),
        rp(T, &["profile"]).env("ROS_CACHE_TIMEOUT", "-1").named("timeout -1").cmp(Cmp::Shape),
        rp(T, &["profile"]).env("ROS_CACHE_TIMEOUT", ".001").named("timeout .001").cmp(Cmp::Shape),
        rp(T, &["list"]).env("ROS_CACHE_TIMEOUT", "0").named("timeout 0"),
        rp(T, &["list"]).env("ROS_CACHE_TIMEOUT", "-1").named("timeout -1"),
        rp(T, &["list"]).prep(Prep::CacheFileName).named("cache file name"),
        rp("/usr/share", &["list"]).prep(Prep::CacheFileName).named("cache file name"),
        rp(T, &["list"]).prep(Prep::CorruptCache).named("corrupted cache"),
        rp(T, &["deps", "deps_dup"]).prep(Prep::CorruptCache).named("corrupted cache"),
        rp(T, &["profile"]).prep(Prep::RosHomeMissing).named("missing ROS_HOME").cmp(Cmp::Shape),
        rp(T, &["list"]).prep(Prep::RosHomeIsFile).named("ROS_HOME is a file"),
        rp(T, &["profile"]).prep(Prep::RosHomeIsFile).named("ROS_HOME is a file").cmp(Cmp::Shape),
        rp(T, &["list"]).prep(Prep::RosHomeLocked).named("ROS_HOME mode 000"),
        rp(T, &["profile"]).prep(Prep::NoHome).named("HOME unset").cmp(Cmp::Shape),
        rp(T, &["deps", "deps"]).prep(Prep::NoHome).named("HOME unset"),
        rs("rospack/test2", &["profile"]).cmp(Cmp::Shape),
        rs("rospack/test2", &["list"]).prep(Prep::CacheFileName).named("cache file name"),
        rs("rospack/test2", &["list"]).prep(Prep::CorruptCache).named("corrupted cache"),
    ]
}

const P12: &str = "rospkg/package_tests/p1:rospkg/package_tests/p2";
const S13: &str = "rospkg/stack_tests/s1:rospkg/stack_tests/s3";

/// The black-box cases of rospkg's own tests (on its fixtures), each also checked against Python
/// rospkg with explicit ros_paths.
fn rospkg_cases() -> Vec<Case> {
    use PyClass::{RosPack, RosStack};
    vec![
        // --- package_tests
        rp("rospkg/package_tests", &["find", "foo"]).ours(&[
            Check::Exit(0),
            Check::StdoutOneOf(&[
                "{ws}/rospkg/package_tests/p1/foo\n",
                "{ws}/rospkg/package_tests/p2/foo\n",
            ]),
        ]),
        rp("rospkg/package_tests", &["list-duplicates"]).cmp(Cmp::Duplicates),
        rp(P12, &["find", "foo"]).spec("{ws}/rospkg/package_tests/p1/foo\n").py(
            RosPack,
            P12,
            "r.get_path('foo')",
        ),
        rp(P12, &["find", "bar"]).spec("{ws}/rospkg/package_tests/p1/bar\n").py(
            RosPack,
            P12,
            "r.get_path('bar')",
        ),
        rp(P12, &["find", "baz"]).spec("{ws}/rospkg/package_tests/p2/baz\n").py(
            RosPack,
            P12,
            "r.get_path('baz')",
        ),
        rp(P12, &["find", "fake"]).exit(1).py(RosPack, P12, "r.get_path('fake')"),
        rp("rospkg/package_tests/p2:rospkg/package_tests/p1", &["find", "foo"])
            .spec("{ws}/rospkg/package_tests/p2/foo\n")
            .py(RosPack, "rospkg/package_tests/p2:rospkg/package_tests/p1", "r.get_path('foo')"),
        rp(P12, &["depends", "baz"]).cmp(Cmp::LineSet).spec("foo\nbar\n").py(
            RosPack,
            P12,
            "r.get_depends('baz')",
        ),
        rp(P12, &["depends", "bar"]).spec("foo\n").py(RosPack, P12, "r.get_depends('bar')"),
        rp(P12, &["depends", "foo"]).spec("").py(RosPack, P12, "r.get_depends('foo')"),
        rp(P12, &["depends1", "baz"]).cmp(Cmp::LineSet).spec("bar\nfoo\n").py(
            RosPack,
            P12,
            "r.get_depends('baz', implicit=False)",
        ),
        rp(P12, &["depends1", "bar"]).spec("foo\n").py(
            RosPack,
            P12,
            "r.get_depends('bar', implicit=False)",
        ),
        rp(P12, &["depends-on1", "foo"]).cmp(Cmp::LineSet).spec("bar\nbaz\n").py(
            RosPack,
            P12,
            "r.get_depends_on('foo', implicit=False)",
        ),
        rp(P12, &["depends-on1", "bar"]).cmp(Cmp::LineSet).spec("baz\n").py(
            RosPack,
            P12,
            "r.get_depends_on('bar', implicit=False)",
        ),
        rp(P12, &["depends-on1", "baz"]).cmp(Cmp::LineSet).spec("").py(
            RosPack,
            P12,
            "r.get_depends_on('baz', implicit=False)",
        ),
        rp(P12, &["depends-on", "foo"]).cmp(Cmp::LineSet).spec("bar\nbaz\n").py(
            RosPack,
            P12,
            "r.get_depends_on('foo')",
        ),
        rp(P12, &["depends-on", "bar"]).cmp(Cmp::LineSet).py(
            RosPack,
            P12,
            "r.get_depends_on('bar')",
        ),
        rp(P12, &["rosdep0", "foo"])
            .spec("name: foo_rosdep1\nname: foo_rosdep2\nname: foo_rosdep3\n")
            .py(RosPack, P12, "r.get_rosdeps('foo', implicit=False)")
            .py_strip("name: "),
        rp(P12, &["rosdep0", "bar"])
            .spec("name: bar_rosdep1\nname: bar_rosdep2\n")
            .py(RosPack, P12, "r.get_rosdeps('bar', implicit=False)")
            .py_strip("name: "),
        rp(P12, &["rosdep0", "baz"])
            .spec("name: baz_rosdep1\n")
            .py(RosPack, P12, "r.get_rosdeps('baz', implicit=False)")
            .py_strip("name: "),
        rp(P12, &["rosdep", "bar"]).py(RosPack, P12, "r.get_rosdeps('bar')").py_strip("name: "),
        rp(P12, &["rosdep", "baz"])
            .spec(
                "name: bar_rosdep1\nname: bar_rosdep2\nname: baz_rosdep1\nname: foo_rosdep1\n\
                 name: foo_rosdep2\nname: foo_rosdep3\n",
            )
            .py(RosPack, P12, "r.get_rosdeps('baz')")
            .py_strip("name: "),
        rp(P12, &["depends", "invalid"]).exit(1).py(RosPack, P12, "r.get_depends('invalid')"),
        rp(P12, &["list-names"]),
        // --- stack_tests
        rs("rospkg/stack_tests", &["find", "bar"]).spec("{ws}/rospkg/stack_tests/s1/bar\n").py(
            RosStack,
            "rospkg/stack_tests",
            "r.get_path('bar')",
        ),
        rs("rospkg/stack_tests", &["find", "fake"]).exit(1).py(
            RosStack,
            "rospkg/stack_tests",
            "r.get_path('fake')",
        ),
        rs("rospkg/stack_tests/s1:rospkg/stack_tests/s2", &["find", "foo"])
            .spec("{ws}/rospkg/stack_tests/s1/foo\n")
            .py(RosStack, "rospkg/stack_tests/s1:rospkg/stack_tests/s2", "r.get_path('foo')"),
        rs("rospkg/stack_tests/s1:rospkg/stack_tests/s2", &["find", "baz"])
            .spec("{ws}/rospkg/stack_tests/s2/baz\n")
            .py(RosStack, "rospkg/stack_tests/s1:rospkg/stack_tests/s2", "r.get_path('baz')"),
        rs("rospkg/stack_tests/s2:rospkg/stack_tests/s1", &["find", "foo"])
            .spec("{ws}/rospkg/stack_tests/s2/foo\n")
            .py(RosStack, "rospkg/stack_tests/s2:rospkg/stack_tests/s1", "r.get_path('foo')"),
        rs(
            "rospkg/stack_tests/notapath:rospkg/stack_tests/s2:rospkg/stack_tests/s1",
            &["find", "foo"],
        )
        .spec("{ws}/rospkg/stack_tests/s2/foo\n")
        .py(
            RosStack,
            "rospkg/stack_tests/notapath:rospkg/stack_tests/s2:rospkg/stack_tests/s1",
            "r.get_path('foo')",
        ),
        rs(S13, &["depends", "baz"]).cmp(Cmp::LineSet).spec("foo\nbar\n").py(
            RosStack,
            S13,
            "r.get_depends('baz')",
        ),
        rs(S13, &["depends", "bar"]).spec("foo\n").py(RosStack, S13, "r.get_depends('bar')"),
        rs(S13, &["depends", "foo"]).spec("").py(RosStack, S13, "r.get_depends('foo')"),
        rs(S13, &["depends1", "baz"]).cmp(Cmp::LineSet).spec("bar\nfoo\n").py(
            RosStack,
            S13,
            "r.get_depends('baz', implicit=False)",
        ),
        rs(S13, &["depends1", "bar"]).spec("foo\n").py(
            RosStack,
            S13,
            "r.get_depends('bar', implicit=False)",
        ),
        rs(S13, &["depends-on", "foo"]).cmp(Cmp::LineSet).spec("bar\nbaz\n").py(
            RosStack,
            S13,
            "r.get_depends_on('foo')",
        ),
        rs(S13, &["depends-on1", "bar"]).cmp(Cmp::LineSet).spec("baz\n").py(
            RosStack,
            S13,
            "r.get_depends_on('bar', implicit=False)",
        ),
        rs(S13, &["depends-indent", "baz"]).spec("foo\nbar\n  foo\n"),
        rs(S13, &["depends-manifests", "baz"]).spec(
            "{ws}/rospkg/stack_tests/s1/foo/stack.xml {ws}/rospkg/stack_tests/s1/bar/stack.xml\n",
        ),
        rs(S13, &["depends-why", "--target=foo", "baz"])
            .spec("Dependency chains from baz to foo:\n* baz -> foo \n* baz -> bar -> foo \n"),
        rs(S13, &["list"]),
        rs(S13, &["list-names"]).py(RosStack, S13, "r.list()"),
        rs("rospkg/stack_tests/s1", &["contents", "foo"]).spec("foo_pkg\nfoo_pkg_2\n").py(
            RosStack,
            "rospkg/stack_tests/s1",
            "r.packages_of('foo')",
        ),
        rs("rospkg/stack_tests/s1", &["contents", "bar"]).spec("bar_pkg\n").py(
            RosStack,
            "rospkg/stack_tests/s1",
            "r.packages_of('bar')",
        ),
        rs("rospkg/stack_tests/s1", &["contains", "foo_pkg"]).spec("foo\n").py(
            RosPack,
            "rospkg/stack_tests/s1",
            "r.stack_of('foo_pkg')",
        ),
        rs("rospkg/stack_tests/s1", &["contains", "foo_pkg_2"]).spec("foo\n").py(
            RosPack,
            "rospkg/stack_tests/s1",
            "r.stack_of('foo_pkg_2')",
        ),
        rs("rospkg/stack_tests/s1", &["contains", "bar_pkg"]).spec("bar\n").py(
            RosPack,
            "rospkg/stack_tests/s1",
            "r.stack_of('bar_pkg')",
        ),
        rs("rospkg/stack_tests/s1", &["contains-path", "bar_pkg"])
            .spec("{ws}/rospkg/stack_tests/s1/bar\n"),
        rs("rospkg/stack_tests/s1", &["contains", "nope"]).exit(1),
        rs("rospkg/stack_tests/s1", &["contains-path", "nope"]).exit(1),
        rp("rospkg/stack_tests/s1", &["list-names"]).spec("bar_pkg\nfoo_pkg\nfoo_pkg_2\n").py(
            RosPack,
            "rospkg/stack_tests/s1",
            "r.list()",
        ),
        rs("rospkg/stack_tests/s1:rospkg/stack_tests/s2", &["list-duplicates"])
            .cmp(Cmp::Duplicates)
            .spec("foo\n- {ws}/rospkg/stack_tests/s1/foo\n- {ws}/rospkg/stack_tests/s2/foo\n"),
        // --- unary_tests: one directory with manifest.xml and stack.xml
        rp("rospkg/unary_tests", &["find", "unary"]).spec("{ws}/rospkg/unary_tests/unary\n").py(
            RosPack,
            "rospkg/unary_tests",
            "r.get_path('unary')",
        ),
        rs("rospkg/unary_tests", &["find", "unary"]).spec("{ws}/rospkg/unary_tests/unary\n").py(
            RosStack,
            "rospkg/unary_tests",
            "r.get_path('unary')",
        ),
        rs("rospkg/unary_tests", &["contents", "unary"]).spec("unary\n").py(
            RosStack,
            "rospkg/unary_tests",
            "r.packages_of('unary')",
        ),
        rs("rospkg/unary_tests", &["contains", "unary"]).spec("unary\n").py(
            RosPack,
            "rospkg/unary_tests",
            "r.stack_of('unary')",
        ),
        // --- catkin_package_tests: a package.xml package is a package, not a stack
        rp("rospkg/catkin_package_tests", &["list-names"]).spec("foo\n").py(
            RosPack,
            "rospkg/catkin_package_tests",
            "r.list()",
        ),
        rp("rospkg/catkin_package_tests", &["find", "foo"])
            .spec("{ws}/rospkg/catkin_package_tests/p1/foo\n")
            .py(RosPack, "rospkg/catkin_package_tests", "r.get_path('foo')"),
        rp("rospkg/catkin_package_tests", &["depends1", "foo"]),
        rs("rospkg/catkin_package_tests", &["list-names"])
            .spec("foo\n")
            .py(RosStack, "rospkg/catkin_package_tests", "r.list()")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(0), Check::Stdout("")]),
        rs("rospkg/catkin_package_tests", &["list"])
            .py_filter(RosStack, "rospkg/catkin_package_tests", "r.list()")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(0), Check::OracleFilteredByPy]),
    ]
}

const SI: &str = "rospack/stack_install";
const SO: &str = "rospack/stack_overlay";

/// rosstack cases of rospack's tests and utest_rosstack, plus rosstack on the real trees.
fn rosstack_cases() -> Vec<Case> {
    use PyClass::RosStack;
    let stack = "{ws}/rospack/stack_install/stack\n";
    vec![
        rs("rospack/stack_install:rospack/stack_overlay", &["find", "stack"]).spec(stack),
        rs("rospack/stack_install:rospack/stack_overlay/stack", &["find", "stack"]).spec(stack),
        rs("rospack/stack_install/stack:rospack/stack_overlay/stack", &["find", "stack"])
            .spec(stack),
        rs("rospack/stack_install/stack:rospack/stack_overlay", &["find", "stack"]).spec(stack),
        rs("rospack/stack_overlay:rospack/stack_install", &["find", "stack"])
            .spec("{ws}/rospack/stack_overlay/stack\n"),
        rs("rospack/stack_install:rospack/stack_overlay", &["list"])
            .spec("stack {ws}/rospack/stack_install/stack\n"),
        rs("rospack/stack_install:rospack/stack_overlay", &["list-names"]).spec("stack\n"),
        rs("rospack/stack_install:rospack/stack_overlay", &["list-duplicates"])
            .cmp(Cmp::Duplicates)
            .spec(
                "stack\n- {ws}/rospack/stack_install/stack\n- {ws}/rospack/stack_overlay/stack\n",
            ),
        rs("rospack/stack_install:rospack/stack_overlay", &["contents", "stack"]).spec("package\n"),
        rs("rospack/stack_install:rospack/stack_overlay", &["contains", "package"]).spec("stack\n"),
        rs("rospack/stack_install:rospack/stack_overlay", &["contains-path", "package"])
            .spec(stack),
        rp("rospack/stack_install:rospack/stack_overlay", &["find", "package"])
            .spec("{ws}/rospack/stack_install/stack/package\n"),
        rs(SI, &["depends", "stack"]).spec(""),
        rs(SO, &["depends-on", "stack"]).spec(""),
        rs("rospack/test2", &["contents", "test2"])
            .cmp(Cmp::LineSet)
            .spec("precedence1\nprecedence2\nprecedence3\nroslang\n"),
        rs("rospack/test2", &["list"]).spec("test2 {ws}/rospack/test2\n"),
        rs("rospack/test2", &["find", "test2"]).spec("{ws}/rospack/test2\n"),
        rs("rospack/test2", &["contains", "precedence3"]).spec("test2\n"),
        rs("rospack/test2", &["contains-path", "roslang"]).spec("{ws}/rospack/test2\n"),
        rs("rospack/test:rospack/test2", &["contains", "roslang"]),
        rs("rospack/test2", &["depends1", "test2"]).spec(""),
        rs("rospack/test2", &["depends-indent", "test2"]).spec(""),
        rs("rospack/test2", &["depends-manifests", "test2"]),
        // utest_rosstack argument handling, on test/test (no stacks at all)
        rs(T, &["--fake", "deps", "deps"]).exit(1),
        rs(T, &["list", "--length=10", "deps"]).exit(1),
        rs(T, &["help"]).exit(0),
        rs(T, &["help", "contents"]).exit(0),
        rs(T, &["profile"]).cmp(Cmp::Shape),
        rs(T, &["list"]).spec(""),
        rs(T, &["list-names"]).spec(""),
        rs(T, &["profile", "deps"]).exit(1),
        rs(T, &["list", "deps"]).exit(1),
        rs(T, &["list-names", "deps"]).exit(1),
        rs(T, &["find", "nope"]).exit(1),
        rs(T, &["depends", "nope"]).exit(1),
        rs(T, &["depends-on", "nope"]).exit(1),
        rs(T, &["langs"]).exit(1),
        rs(T, &["cflags-only-I", "deps"]).exit(1),
        rs(T, &["bogus"]).exit(1),
        rs(T, &["contains"]).exit(1).named("no package given"),
        rs(T, &["find"]).exit(1).named("no stack given"),
        rs(T, &[]).exit(0).differs("D3-rosstack-no-command").ours(&[
            Check::Exit(1),
            Check::Stdout(""),
            Check::StderrHas("[rosstack] Error: no command given.  Try 'rosstack help'"),
        ]),
        rs("rospack/test2", &["contents", "nope"])
            .exit(0)
            .spec("")
            .differs("D4-rosstack-contents-unknown")
            .ours(&[
                Check::Exit(1),
                Check::Stdout(""),
                Check::StderrHas("[rosstack] Error: stack nope not found"),
            ]),
        // --- real rosbuild stacks (fuerte)
        rs(FUERTE, &["list"]),
        rs(FUERTE, &["list-names"]),
        rs(FUERTE, &["list-duplicates"]),
        rs(FUERTE, &["find", "ros_comm"]),
        rs(FUERTE, &["find", "std_msgs"]),
        rs(FUERTE, &["contents", "common_msgs"]),
        rs(FUERTE, &["contents", "ros_comm"]),
        rs(FUERTE, &["contents", "std_msgs"]).spec("std_msgs\n"),
        rs(FUERTE, &["contains", "roscpp"]).spec("ros_comm\n"),
        // With Debian's libgeometry-msgs-dev installed (the common_msgs build tests need it),
        // rosstack takes /usr/share/geometry_msgs (a wet package) for a stack of its own.
        rs(FUERTE, &["contains", "geometry_msgs"])
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(0), Check::Stdout("common_msgs\n")]),
        // With Debian's ros-core installed, rosstack also takes /usr/share/rostopic (a wet
        // package) for a stack containing rostopic.
        rs(FUERTE, &["contains-path", "rostopic"])
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(0), Check::Stdout("{ws}/real/fuerte/ros_comm\n")]),
        rs(FUERTE, &["contains", "roslang"]).spec("ros\n"),
        rs(FUERTE, &["depends", "ros_comm"]),
        rs(FUERTE, &["depends1", "common_msgs"]),
        rs(FUERTE, &["depends-on", "ros"]).cmp(Cmp::LineSet),
        rs(FUERTE, &["depends-indent", "ros_comm"]),
        rs(FUERTE, &["depends-manifests", "ros_comm"]),
        rs(FUERTE, &["profile"]).cmp(Cmp::Shape),
        // --- real catkin metapackages (noetic)
        rs(NOETIC, &["find", "navigation"]).spec("{ws}/real/noetic/navigation/navigation\n"),
        rs(NOETIC, &["find", "ros_comm"]),
        rs(NOETIC, &["contents", "geometry2"]).spec(""),
        rs(NOETIC, &["contents", "ros_tutorials"]),
        rs("real/noetic:real/fuerte", &["find", "common_msgs"])
            .spec("{ws}/real/noetic/common_msgs/common_msgs\n"),
        rs("real/fuerte:real/noetic", &["find", "common_msgs"])
            .spec("{ws}/real/fuerte/common_msgs\n"),
        rs(NOETIC, &["list"])
            .py_filter(RosStack, NOETIC, "r.list()")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(0), Check::OracleFilteredByPy]),
        rs(NOETIC, &["list-names"])
            .py_filter(RosStack, NOETIC, "r.list()")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(0), Check::OracleFilteredByPy]),
        rs("real/noetic:real/fuerte", &["list-names"])
            .py_filter(RosStack, "real/noetic:real/fuerte", "r.list()")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(0), Check::OracleFilteredByPy]),
        rs(NOETIC, &["find", "roscpp"])
            .spec("{ws}/real/noetic/ros_comm/clients/roscpp\n")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(1), Check::Stdout("")]),
        rs(NOETIC, &["contains", "roscpp"])
            .spec("roscpp\n")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(1), Check::Stdout("")]),
        rs(NOETIC, &["contains-path", "tf2"])
            .spec("{ws}/real/noetic/geometry2/tf2\n")
            .differs("D5-rosstack-wet-packages")
            .ours(&[Check::Exit(1), Check::Stdout("")]),
    ]
}

const NOETIC: &str = "real/noetic";
const FUERTE: &str = "real/fuerte";
const MIXED: &str = "real/noetic:real/fuerte";

/// rospack on real ROS 1 packages (package.xml from noetic, manifest.xml from fuerte).
fn rospack_real_cases() -> Vec<Case> {
    vec![
        rp(NOETIC, &["list"]),
        rp(NOETIC, &["list-names"]),
        rp(NOETIC, &["list-duplicates"]).spec(""),
        rp(NOETIC, &["find", "roscpp"]).spec("{ws}/real/noetic/ros_comm/clients/roscpp\n"),
        rp(NOETIC, &["find", "std_msgs"]).spec("{ws}/real/noetic/std_msgs\n"),
        rp(NOETIC, &["find", "navigation"]).exit(1).named("metapackage"),
        rp(NOETIC, &["depends", "navigation"]).exit(1).named("metapackage"),
        rp(NOETIC, &["depends", "roscpp"]),
        rp(NOETIC, &["depends", "move_base"]),
        rp(NOETIC, &["depends", "turtlesim"]),
        rp(NOETIC, &["depends", "tf2_ros"]),
        rp(NOETIC, &["depends1", "move_base"]),
        rp(NOETIC, &["depends1", "amcl"]),
        rp(NOETIC, &["depends-on", "roscpp"]).cmp(Cmp::LineSet),
        rp(NOETIC, &["depends-on", "std_msgs"]).cmp(Cmp::LineSet),
        rp(NOETIC, &["depends-on", "costmap_2d"]).cmp(Cmp::LineSet),
        rp(NOETIC, &["depends-on1", "std_msgs"]).cmp(Cmp::LineSet),
        rp(NOETIC, &["depends-on1", "geometry_msgs"]).cmp(Cmp::LineSet),
        rp(NOETIC, &["depends-indent", "tf2_ros"]),
        rp(NOETIC, &["depends-indent", "turtlesim"]),
        rp(NOETIC, &["depends-why", "--target=std_msgs", "turtlesim"]),
        rp(NOETIC, &["depends-why", "--target=roscpp", "move_base"]),
        rp(NOETIC, &["depends-manifests", "turtlesim"]),
        rp(NOETIC, &["depends-manifests", "amcl"]),
        rp(NOETIC, &["depends-msgsrv", "roscpp"]),
        rp(NOETIC, &["rosdep0", "roscpp"]),
        rp(NOETIC, &["rosdep", "roscpp"]),
        rp(NOETIC, &["rosdep", "turtlesim"]),
        rp(NOETIC, &["vcs", "roscpp"]),
        rp(NOETIC, &["vcs0", "std_msgs"]),
        rp(NOETIC, &["export", "--lang=cpp", "--attrib=cflags", "roscpp"]),
        rp(NOETIC, &["plugins", "--attrib=plugin", "nav_core"]).cmp(Cmp::LineSet),
        rp(NOETIC, &["plugins", "--attrib=plugin", "--top=move_base", "nav_core"])
            .cmp(Cmp::LineSet),
        rp(NOETIC, &["plugins", "--attrib=plugin", "costmap_2d"]).cmp(Cmp::LineSet),
        rp(NOETIC, &["plugins", "--attrib=plugin", "rotate_recovery"]).spec(""),
        rp(NOETIC, &["langs"]).cmp(Cmp::WordSet),
        // pkg-config searches no system folder, so a host with Debian's -dev packages (their
        // std_msgs.pc, roscpp.pc) gives the same answers.
        rp(NOETIC, &["cflags-only-I", "roscpp"])
            .env("PKG_CONFIG_LIBDIR", "/nonexistent")
            .exit(1)
            .named("no pkg-config file"),
        rp(NOETIC, &["libs-only-l", "std_msgs"])
            .env("PKG_CONFIG_LIBDIR", "/nonexistent")
            .exit(1)
            .named("no pkg-config file"),
        rp(NOETIC, &["profile"]).cmp(Cmp::Shape),
        rp(NOETIC, &["depends1"])
            .cwd(Cwd::At("{ws}/real/noetic/ros_comm/clients/roscpp"))
            .named("cwd roscpp"),
        rp(NOETIC, &["depends1"])
            .cwd(Cwd::At("{ws}/real/noetic/common_msgs/sensor_msgs/msg"))
            .named("cwd sensor_msgs/msg"),
        // fuerte: rosbuild manifest.xml with backquote exports and rosdep tags
        rp(FUERTE, &["list"]),
        rp(FUERTE, &["find", "roscpp"]).spec("{ws}/real/fuerte/ros_comm/clients/cpp/roscpp\n"),
        rp(FUERTE, &["depends", "roscpp"]),
        rp(FUERTE, &["depends", "rostopic"]),
        rp(FUERTE, &["depends-on", "roslang"]).cmp(Cmp::LineSet),
        rp(FUERTE, &["depends-on1", "roslib"]).cmp(Cmp::LineSet),
        rp(FUERTE, &["rosdep", "roscpp"]),
        rp(FUERTE, &["rosdep", "rospy"]),
        rp(FUERTE, &["vcs", "roscpp"]),
        rp(FUERTE, &["export", "--lang=roslang", "--attrib=cmake", "roscpp"]),
        rp(FUERTE, &["export", "--lang=python", "--attrib=path", "rospy"]),
        rp(FUERTE, &["export", "--lang=cpp", "--attrib=cflags", "roscpp"]).exit(1),
        rp(FUERTE, &["cflags-only-I", "roscpp"]).exit(1),
        rp(FUERTE, &["depends-msgsrv", "rospy"]),
        rp(FUERTE, &["langs"]).cmp(Cmp::WordSet).spec("rospy roslisp roscpp\n"),
        rp(FUERTE, &["plugins", "--attrib=cmake", "roslang"]).cmp(Cmp::LineSet),
        // both: duplicates and precedence between catkin and rosbuild copies
        rp(MIXED, &["list-duplicates"]).cmp(Cmp::Duplicates),
        rp(MIXED, &["list"]),
        rp(MIXED, &["langs"]).cmp(Cmp::WordSet).spec("roslisp\n"),
        rp(MIXED, &["find", "geometry_msgs"]).spec("{ws}/real/noetic/common_msgs/geometry_msgs\n"),
        rp("real/fuerte:real/noetic", &["find", "geometry_msgs"])
            .spec("{ws}/real/fuerte/common_msgs/geometry_msgs\n"),
        rp(MIXED, &["depends", "roslisp"]),
        rp(MIXED, &["depends-on1", "roslang"]).cmp(Cmp::LineSet),
    ]
}

/// The `bad/` trees: no crash, good packages still listed, broken ones diagnosed.
fn bad_input_cases() -> Vec<Case> {
    let mx = "bad/malformed_xml";
    vec![
        // one unparsable package.xml: rospack aborts every command (D1)
        rp(mx, &["list"])
            .exit(134)
            .differs("D1-malformed-package-xml")
            .ours(&[
                Check::Exit(0),
                Check::Stdout(
                    "good_a {ws}/bad/malformed_xml/good_a\ngood_b {ws}/bad/malformed_xml/good_b\n",
                ),
                Check::StderrHas("{ws}/bad/malformed_xml/broken/package.xml"),
            ]),
        rp(mx, &["list-names"])
            .exit(134)
            .differs("D1-malformed-package-xml")
            .ours(&[Check::Exit(0), Check::Stdout("good_a\ngood_b\n")]),
        rp(mx, &["find", "good_b"])
            .exit(134)
            .differs("D1-malformed-package-xml")
            .ours(&[Check::Exit(0), Check::Stdout("{ws}/bad/malformed_xml/good_b\n")]),
        rp(mx, &["depends", "good_b"])
            .exit(134)
            .differs("D1-malformed-package-xml")
            .ours(&[Check::Exit(0), Check::Stdout("good_a\n")]),
        rp(mx, &["find", "broken"])
            .exit(134)
            .differs("D1-malformed-package-xml")
            .ours(&[
                Check::Exit(1),
                Check::Stdout(""),
                Check::StderrHas("{ws}/bad/malformed_xml/broken/package.xml"),
            ]),
        rs(mx, &["list"])
            .exit(134)
            .differs("D1-malformed-package-xml")
            .ours(&[Check::Exit(0), Check::Stdout("")]),
        // package.xml without <name>: rospack uses the directory name
        rp("bad/missing_name", &["list"]).ours(&[
            Check::SameAsOracle,
            Check::StderrHas("{ws}/bad/missing_name/noname/package.xml"),
        ]),
        rp("bad/missing_name", &["depends", "noname"]),
        // manifest.xml and package.xml in one directory: manifest.xml wins, directory name
        rp("bad/both_manifests", &["list"])
            .spec(
                "both_dir {ws}/bad/both_manifests/both_dir\ngood_a {ws}/bad/both_manifests/good_a\n",
            )
            .ours(&[
                Check::SameAsOracle,
                Check::StderrHas("{ws}/bad/both_manifests/both_dir"),
            ]),
        rp("bad/both_manifests", &["depends1", "both_dir"]).spec("good_a\n"),
        rp("bad/both_manifests", &["find", "wet_name"]).exit(1),
        // the same name in two directories of one path entry
        rp("bad/duplicate_names", &["list-names"]).spec("dup\ngood_a\n"),
        rp("bad/duplicate_names", &["list-duplicates"])
            .cmp(Cmp::Duplicates)
            .spec(
                "dup\n- {ws}/bad/duplicate_names/first/dup\n\
                 - {ws}/bad/duplicate_names/second/dup_copy\n",
            ),
        rp("bad/duplicate_names", &["find", "dup"]).ours(&[
            Check::Exit(0),
            Check::StdoutOneOf(&[
                "{ws}/bad/duplicate_names/first/dup\n",
                "{ws}/bad/duplicate_names/second/dup_copy\n",
            ]),
        ]),
        // a dependency cycle between package.xml packages
        rp("bad/cycle", &["list"]),
        rp("bad/cycle", &["depends", "cycle_a"]).exit(1),
        rp("bad/cycle", &["depends1", "cycle_a"]).spec("cycle_b\n"),
        rp("bad/cycle", &["depends", "good_user"]).spec("good_base\n"),
        rp("bad/cycle", &["depends-on1", "good_base"]).spec("good_user\n"),
        rp("bad/cycle", &["depends-on", "good_base"])
            .exit(1)
            .spec("")
            .differs("D6-depends-on-unrelated-cycle")
            .ours(&[Check::Exit(0), Check::Stdout("good_user\n")]),
        // package.xml <name> differs from its directory (package of the current directory)
        rp("bad/dirname_differs", &["list-names"]).spec("good_a\nother_name\n"),
        rp("bad/dirname_differs", &["find", "other_name"])
            .spec("{ws}/bad/dirname_differs/pkg_dir\n"),
        rp("bad/dirname_differs", &["find"])
            .cwd(Cwd::At("{ws}/bad/dirname_differs/pkg_dir"))
            .named("cwd pkg_dir")
            .exit(1)
            .differs("D9-cwd-package-name")
            .ours(&[
                Check::Exit(0),
                Check::Stdout("{ws}/bad/dirname_differs/pkg_dir\n"),
            ]),
        rp("bad/dirname_differs", &["depends1"])
            .cwd(Cwd::At("{ws}/bad/dirname_differs/pkg_dir"))
            .named("cwd pkg_dir")
            .exit(1)
            .differs("D9-cwd-package-name")
            .ours(&[Check::Exit(0), Check::Stdout("good_a\n")]),
        // an XML entity bomb
        rp("bad/entity_bomb", &["list"])
            .spec("bomb {ws}/bad/entity_bomb/bomb\ngood_a {ws}/bad/entity_bomb/good_a\n")
            .differs("D10-manifest-dtd")
            .ours(&[
            Check::Exit(0),
            Check::Lists(&["good_a"]),
            Check::ListedOrDiagnosed {
                name: "bomb",
                file: "{ws}/bad/entity_bomb/bomb/package.xml",
            },
        ]),
        rp("bad/entity_bomb", &["find", "good_a"]).spec("{ws}/bad/entity_bomb/good_a\n"),
        // hidden directories (rospkg skips only every other one; rospack all)
        rp("bad/hidden", &["list"]).spec("good_a {ws}/bad/hidden/good_a\n"),
        rp("bad/hidden", &["find", "hp3"]).exit(1),
        rp("bad/hidden", &["find", "inner_svn"]).exit(1),
        // CATKIN_IGNORE (honoured), COLCON_IGNORE / AMENT_IGNORE (not rospack markers)
        rp("bad/ignore_markers", &["list"]).ours(&[
            Check::SameAsOracle,
            Check::Lists(&["good_a"]),
            Check::NotLists(&["pkg_catkin_ignored", "self_ignored", "inner_pkg"]),
        ]),
        rp("bad/ignore_markers", &["find", "pkg_catkin_ignored"]).exit(1),
        rp("bad/ignore_markers", &["find", "self_ignored"]).exit(1),
        rp("bad/ignore_markers", &["find", "inner_pkg"]).exit(1),
        rp("bad/ignore_markers", &["find", "pkg_colcon_ignored"]),
        rp("bad/ignore_markers:bad/hidden:bad/cycle", &["list-names"]),
    ]
}

/// Trees that cannot be committed: symlink loops, an unreadable directory, non-UTF-8
/// names, a huge manifest. Built under `{rt}` at test time.
fn runtime_cases() -> Vec<Case> {
    vec![
        rp("{rt}/loop", &["list"])
            .differs("D7-symlink-loops")
            .ours(&[Check::Exit(0), Check::Stdout("good_a {rt}/loop/good_a\n")]),
        rp("{rt}/loop", &["list-duplicates"])
            .differs("D7-symlink-loops")
            .ours(&[Check::Exit(0), Check::Stdout("")]),
        rp("{rt}/loop", &["find", "good_a"])
            .differs("D7-symlink-loops")
            .ours(&[Check::Exit(0), Check::Stdout("{rt}/loop/good_a\n")]),
        rp("{rt}/symlinked", &["list-names"]).ours(&[Check::Exit(0), Check::Stdout("good_a\n")]),
        rp("{rt}/symlinked", &["find", "good_a"]).ours(&[
            Check::Exit(0),
            Check::StdoutOneOf(&["{rt}/symlinked/good_a\n", "{rt}/symlinked/link_to_good_a\n"]),
        ]),
        rp("{rt}/locked", &["list"]).ours(&[Check::SameAsOracle, Check::Lists(&["good_a"])]),
        rp("{rt}/nonutf8", &["list"])
            .differs("D11-non-utf8-package-name")
            .ours(&[Check::Exit(0), Check::Lists(&["good_a", "good_b"])]),
        rp("{rt}/nonutf8", &["find", "good_b"]),
        rp("{rt}/large", &["list"]),
        rp("{rt}/large", &["depends", "large"]).spec("good_a\n"),
        rp("{rt}/large", &["depends-on", "good_a"]).cmp(Cmp::LineSet).spec("large\n"),
        rp("{rt}/huge", &["list"])
            .spec("good_a {rt}/huge/good_a\nhuge {rt}/huge/huge\n")
            .differs("D8-huge-manifest")
            .ours(&[
                Check::Exit(0),
                Check::Stdout("good_a {rt}/huge/good_a\n"),
                Check::StderrHas("{rt}/huge/huge/package.xml"),
            ]),
        rp("{rt}/huge", &["depends-on", "good_a"])
            .cmp(Cmp::LineSet)
            .spec("huge\n")
            .differs("D8-huge-manifest")
            .ours(&[Check::Exit(0), Check::Stdout("")]),
        rp("{rt}/huge", &["find", "huge"])
            .spec("{rt}/huge/huge\n")
            .differs("D8-huge-manifest")
            .ours(&[Check::Exit(1), Check::Stdout("")]),
    ]
}

/// Builds the trees of [`runtime_cases`] under `root`.
fn build_runtime_trees(root: &Path) {
    let pkg = |dir: &Path, name: &str, extra: &str| {
        fs_err::create_dir_all(dir).expect("create a runtime package directory");
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<package format=\"2\">\n  <name>{name}</name>\n  \
             <version>0.1.0</version>\n  <description>Runtime fixture {name}.</description>\n  \
             <maintainer email=\"fixtures@example.com\">Fixtures</maintainer>\n  \
             <license>BSD</license>\n{extra}</package>\n"
        );
        fs_err::write(dir.join("package.xml"), xml).expect("write a runtime package.xml");
    };
    // symlink loop: loop/sub/loop -> ..
    pkg(&root.join("loop/good_a"), "good_a", "");
    fs_err::create_dir_all(root.join("loop/sub")).expect("create loop/sub");
    std::os::unix::fs::symlink("..", root.join("loop/sub/loop")).expect("create symlink loop");
    // a symlinked copy of a package next to it
    pkg(&root.join("symlinked/good_a"), "good_a", "");
    std::os::unix::fs::symlink("good_a", root.join("symlinked/link_to_good_a"))
        .expect("create package symlink");
    // an unreadable directory (still readable when running as root)
    pkg(&root.join("locked/good_a"), "good_a", "");
    pkg(&root.join("locked/closed/hidden_pkg"), "hidden_pkg", "");
    std::fs::set_permissions(root.join("locked/closed"), std::fs::Permissions::from_mode(0o000))
        .expect("chmod 000");
    // non-UTF-8 directory names
    let nonutf = root.join("nonutf8");
    pkg(&nonutf.join("good_a"), "good_a", "");
    let weird_dir = nonutf.join(std::ffi::OsStr::from_bytes(b"\xff_dir"));
    pkg(&weird_dir.join("good_b"), "good_b", "  <exec_depend>good_a</exec_depend>\n");
    let latin1 = nonutf.join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    fs_err::create_dir_all(&latin1).expect("create a latin-1 named package");
    fs_err::write(latin1.join("manifest.xml"), "<package>\n</package>\n")
        .expect("write manifest.xml");
    // a large (≈2 MB, under the 4 MiB limit) and a huge (≈6 MB) valid manifest
    big_manifest(root, "large", 30_000, 20_000);
    big_manifest(root, "huge", 100_000, 60_000);
}

/// `<root>/<name>/good_a` plus `<root>/<name>/<name>/package.xml` with a long description
/// (`words` × 27 bytes) and `deps` build dependencies (ignored by rospack), depending on
/// `good_a`.
fn big_manifest(root: &Path, name: &str, words: usize, deps: usize) {
    let mut body = String::from("  <description>");
    body.push_str(&"lorem ipsum dolor sit amet ".repeat(words));
    body.push_str("</description>\n");
    for i in 0..deps {
        body.push_str(&format!("  <build_depend>not_a_package_{i}</build_depend>\n"));
    }
    body.push_str("  <exec_depend>good_a</exec_depend>\n");
    let good = root.join(name).join("good_a");
    fs_err::create_dir_all(&good).expect("create good_a");
    fs_err::write(
        good.join("package.xml"),
        "<?xml version=\"1.0\"?>\n<package format=\"2\">\n  <name>good_a</name>\n  \
         <version>0.1.0</version>\n  <description>Runtime fixture good_a.</description>\n  \
         <maintainer email=\"fixtures@example.com\">Fixtures</maintainer>\n  \
         <license>BSD</license>\n</package>\n",
    )
    .expect("write good_a/package.xml");
    let dir = root.join(name).join(name);
    fs_err::create_dir_all(&dir).expect("create the big package directory");
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<package format=\"2\">\n  <name>{name}</name>\n  \
         <version>0.1.0</version>\n  \
         <maintainer email=\"fixtures@example.com\">Fixtures</maintainer>\n  \
         <license>BSD</license>\n{body}</package>\n"
    );
    fs_err::write(dir.join("package.xml"), xml).expect("write a big manifest");
}

// =============================================================================================
// Tests

#[test]
fn rospack_test_tree() {
    run_table("rospack on test/test", &rospack_test_tree_cases(), None);
}

#[test]
fn rospack_paths_and_structure() {
    run_table("rospack paths, structure, cycles, cwd", &rospack_paths_cases(), None);
}

#[test]
fn rospack_cache_and_profile() {
    run_table("rospack ROS_HOME/cache/profile", &rospack_cache_cases(), None);
}

#[test]
fn rospkg_fixture_rows() {
    run_table("rospkg fixtures vs rospack and Python rospkg", &rospkg_cases(), None);
}

#[test]
fn rosstack_conformance() {
    run_table("rosstack", &rosstack_cases(), None);
}

#[test]
fn rospack_real_packages() {
    run_table("rospack on real ROS packages", &rospack_real_cases(), None);
}

#[test]
fn bad_inputs() {
    run_table("bad inputs", &bad_input_cases(), None);
}

#[test]
fn runtime_trees() {
    let root = TempDir::new("runtime-trees");
    build_runtime_trees(root.path());
    run_table("runtime-built trees", &runtime_cases(), Some(root.path()));
}

/// The documented differences and `docs/rospack-differences.md` list the same ids, and
/// every difference is demonstrated by at least one case.
#[test]
fn differences_are_documented() {
    let doc_path = repo_root().join("docs/rospack-differences.md");
    let doc = fs_err::read_to_string(&doc_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", doc_path.display()));
    let all: Vec<Case> = [
        rospack_test_tree_cases(),
        rospack_paths_cases(),
        rospack_cache_cases(),
        rospkg_cases(),
        rosstack_cases(),
        rospack_real_cases(),
        bad_input_cases(),
        runtime_cases(),
    ]
    .concat();
    let mut problems = Vec::new();
    for d in DIFFERENCES {
        if !doc.contains(d.id) {
            problems.push(format!("{} is missing from {}", d.id, doc_path.display()));
        }
        if !all.iter().any(|c| c.differs == Some(d.id)) {
            problems.push(format!("no case demonstrates {}", d.id));
        }
        assert!(!d.rospack.is_empty() && !d.ours.is_empty());
    }
    for line in doc.lines() {
        let Some(cell) = line.split('|').nth(1) else {
            continue;
        };
        let id = cell.trim().trim_matches('`');
        let looks_like_id = id.starts_with('D')
            && id[1..].starts_with(|c: char| c.is_ascii_digit())
            && id.contains('-');
        if looks_like_id && !DIFFERENCES.iter().any(|d| d.id == id) {
            problems.push(format!("{id} is documented but not in DIFFERENCES"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
