//! Property test: on random small ROS trees, `rosdeb rospack` answers `list`, `list-duplicates`, `depends*` and `depends-on*` exactly as Debian's `/usr/bin/rospack` does.
//!
//! Each case generates a tree in a temporary directory: one to three `ROS_PACKAGE_PATH`
//! entries holding package.xml packages (formats 1-3, every dependency tag, REP 149
//! conditions, dependencies on unknown keys), rosbuild manifest.xml packages, metapackages,
//! packages inside stack.xml stacks, packages hidden by `CATKIN_IGNORE`, a hidden directory,
//! `rospack_nosubdirs` or by sitting inside another package, and packages duplicated in a
//! second entry. Dependencies only point at earlier packages, so the graph is acyclic. No
//! name appears twice among the visible packages of one entry: which one wins there is
//! rospack's `readdir` order and our sorted order (a documented difference).
//!
//! Both tools run with the same environment (fresh `HOME` and `ROS_HOME` each, Debian's
//! `/usr/share` on for both). Orders that rospack takes from a hash map are compared as sets.
//! On a failure proptest shrinks the tree; the message shows the tree and a diff per command.
//! `PROPTEST_CASES` overrides the number of cases (default [`DEFAULT_CASES`]).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::harness::{
    Cmp, Invocation, RunDir, Sandbox, TempDir, base_env, describe, diff, excerpt, normalize,
    par_map, require_oracles, rosdeb, run,
};

/// Cases per run unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 32;
/// Most packages in one tree (a duplicate copy in another entry comes on top).
const MAX_PACKAGES: usize = 10;

// ---------------------------------------------------------------------------------------------
// The generated model

/// What kind of manifest a package has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// package.xml format 1, 2 or 3.
    PackageXml(u8),
    /// rosbuild manifest.xml (the directory name is the package name).
    Rosbuild,
    /// A package.xml format 2 metapackage (not a package for rospack).
    Meta,
}

/// Why a package may be invisible to the crawl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hide {
    Visible,
    /// `CATKIN_IGNORE` in the package directory.
    IgnoreSelf,
    /// `CATKIN_IGNORE` in a parent directory.
    IgnoreParent,
    /// A parent directory whose name starts with `.`.
    HiddenParent,
    /// `rospack_nosubdirs` in a parent directory.
    NoSubdirsParent,
    /// Below the directory of an earlier package (raw index).
    Nested(usize),
}

/// One dependency: a raw target index (mapped onto an earlier package) and a raw tag.
type Dep = (usize, u8);

/// A second copy of a package, in another search-path entry.
#[derive(Clone, Debug)]
struct Copy {
    kind: Kind,
    /// Entry offset (added to the original's entry, modulo the entry count, never 0).
    offset: usize,
    deps: Vec<Dep>,
}

#[derive(Clone, Debug)]
struct PkgSpec {
    kind: Kind,
    entry: usize,
    depth: usize,
    stack: Option<usize>,
    hide: Hide,
    /// package.xml kinds: the directory is not named after the package.
    dir_differs: bool,
    /// A `rospack_nosubdirs` marker inside the package directory (no effect on a package).
    nosubdirs_self: bool,
    deps: Vec<Dep>,
    /// Dependencies on keys that are no package (raw key, raw tag).
    unknown: Vec<Dep>,
    copy: Option<Copy>,
}

#[derive(Clone, Debug)]
struct TreeSpec {
    entries: usize,
    packages: Vec<PkgSpec>,
    /// Raw indices of the packages to query (one past the end: a name that exists nowhere).
    queries: Vec<usize>,
    trailing_colon: bool,
    missing_entry: bool,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::PackageXml(2)),
        2 => Just(Kind::PackageXml(1)),
        2 => Just(Kind::PackageXml(3)),
        3 => Just(Kind::Rosbuild),
        1 => Just(Kind::Meta),
    ]
}

fn hide() -> impl Strategy<Value = Hide> {
    prop_oneof![
        12 => Just(Hide::Visible),
        1 => Just(Hide::IgnoreSelf),
        1 => Just(Hide::IgnoreParent),
        1 => Just(Hide::HiddenParent),
        1 => Just(Hide::NoSubdirsParent),
        1 => (0..MAX_PACKAGES).prop_map(Hide::Nested),
    ]
}

fn deps(max: usize) -> impl Strategy<Value = Vec<Dep>> {
    prop::collection::vec((0..MAX_PACKAGES, 0..16u8), 0..=max)
}

fn copy() -> impl Strategy<Value = Copy> {
    (kind().prop_filter("a copy is a package", |k| *k != Kind::Meta), 1..3usize, deps(3))
        .prop_map(|(kind, offset, deps)| Copy { kind, offset, deps })
}

fn pkg_spec() -> impl Strategy<Value = PkgSpec> {
    (
        (kind(), 0..3usize, 0..3usize, prop::option::weighted(0.25, 0..2usize), hide()),
        (prop::bool::weighted(0.2), prop::bool::weighted(0.1)),
        (deps(4), prop::collection::vec((0..4usize, 0..16u8), 0..=2)),
        prop::option::weighted(0.25, copy()),
    )
        .prop_map(
            |(
                (kind, entry, depth, stack, hide),
                (dir_differs, nosubdirs_self),
                (deps, unknown),
                copy,
            )| PkgSpec {
                kind,
                entry,
                depth,
                stack,
                hide,
                dir_differs,
                nosubdirs_self,
                deps,
                unknown,
                copy,
            },
        )
}

fn tree_spec() -> impl Strategy<Value = TreeSpec> {
    (
        1..=3usize,
        prop::collection::vec(pkg_spec(), 1..=MAX_PACKAGES),
        prop::collection::vec(0..=MAX_PACKAGES, 1..=3),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(entries, packages, queries, trailing_colon, missing_entry)| TreeSpec {
            entries,
            packages,
            queries,
            trailing_colon,
            missing_entry,
        })
}

// ---------------------------------------------------------------------------------------------
// Writing a tree

fn name_of(i: usize) -> String {
    format!("p{i}")
}

/// Tags of one package.xml format: (tag, counts for rospack).
fn tags(format: u8) -> &'static [&'static str] {
    if format == 1 {
        &["run_depend", "build_depend", "test_depend", "buildtool_depend", "run_depend"]
    } else {
        &[
            "depend",
            "exec_depend",
            "build_depend",
            "test_depend",
            "build_export_depend",
            "doc_depend",
            "exec_depend",
            "depend",
        ]
    }
}

/// Resolved dependencies: (name, raw tag).
fn resolve_deps(i: usize, deps: &[Dep], unknown: &[Dep]) -> Vec<(String, u8)> {
    let mut out = Vec::new();
    if i > 0 {
        out.extend(deps.iter().map(|&(t, tag)| (name_of(t % i), tag)));
    }
    out.extend(unknown.iter().map(|&(k, tag)| (format!("sysdep_{k}"), tag)));
    out
}

fn manifest(kind: Kind, name: &str, deps: &[(String, u8)]) -> (&'static str, String) {
    let mut x = String::new();
    match kind {
        Kind::Rosbuild => {
            x.push_str("<package>\n  <description brief=\"generated\">generated</description>\n");
            x.push_str("  <author>a</author>\n  <license>BSD</license>\n");
            for (d, tag) in deps {
                if d.starts_with("sysdep_") && tag % 2 == 0 {
                    let _ = writeln!(x, "  <rosdep name=\"{d}\"/>");
                } else {
                    let _ = writeln!(x, "  <depend package=\"{d}\"/>");
                }
            }
            x.push_str("</package>\n");
            ("manifest.xml", x)
        }
        Kind::PackageXml(_) | Kind::Meta => {
            let format = if let Kind::PackageXml(f) = kind { f } else { 2 };
            x.push_str("<?xml version=\"1.0\"?>\n");
            if format == 1 {
                x.push_str("<package>\n");
            } else {
                let _ = writeln!(x, "<package format=\"{format}\">");
            }
            let _ = writeln!(x, "  <name>{name}</name>");
            x.push_str("  <version>1.0.0</version>\n  <description>generated</description>\n");
            x.push_str("  <maintainer email=\"m@example.com\">m</maintainer>\n");
            x.push_str("  <license>BSD</license>\n");
            x.push_str("  <buildtool_depend>catkin</buildtool_depend>\n");
            let tags = tags(format);
            for (d, tag) in deps {
                let t = if kind == Kind::Meta {
                    "exec_depend"
                } else {
                    tags[usize::from(*tag) % tags.len()]
                };
                // Format 3: conditions (rospack ignores them; so must `rosdeb rospack`).
                let cond = match (format, tag / 8) {
                    (3, 1) if tag % 2 == 0 => " condition=\"$ROS_VERSION == 2\"",
                    (3, 1) => " condition=\"$ROS_PYTHON_VERSION == 3\"",
                    _ => "",
                };
                let _ = writeln!(x, "  <{t}{cond}>{d}</{t}>");
            }
            if kind == Kind::Meta {
                x.push_str("  <export>\n    <metapackage/>\n  </export>\n");
            }
            x.push_str("</package>\n");
            ("package.xml", x)
        }
    }
}

/// A generated tree on disk and the files it holds (for failure messages).
struct Tree {
    dir: TempDir,
    rpp: OsString,
    /// Files relative to `dir`, with their contents.
    files: Vec<(String, String)>,
    queries: Vec<String>,
}

impl Tree {
    fn write(&mut self, rel: &Path, contents: &str) {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).expect("create a tree directory");
        }
        fs_err::write(&path, contents).expect("write a tree file");
        self.files.push((rel.display().to_string(), contents.to_owned()));
    }

    /// The tree as text: every file, manifests with their contents.
    fn layout(&self) -> String {
        let mut files = self.files.clone();
        files.sort();
        let mut s = format!("  ROS_PACKAGE_PATH={}\n", self.rpp.to_string_lossy());
        for (path, contents) in files {
            let _ = writeln!(s, "  {path}");
            for line in contents.lines().filter(|l| {
                let t = l.trim();
                !t.is_empty()
                    && !t.starts_with("<?xml")
                    && !t.starts_with("<version")
                    && !t.starts_with("<description")
                    && !t.starts_with("<maintainer")
                    && !t.starts_with("<author")
                    && !t.starts_with("<license")
                    && t != "</package>"
            }) {
                let _ = writeln!(s, "      {}", line.trim());
            }
        }
        s
    }
}

fn build(spec: &TreeSpec) -> Tree {
    let dir = TempDir::new("proptree");
    let mut parts: Vec<OsString> =
        (0..spec.entries).map(|e| dir.path().join(format!("ws{e}")).into_os_string()).collect();
    if spec.missing_entry {
        parts.insert(parts.len() / 2, dir.path().join("missing").into_os_string());
    }
    let mut rpp = OsString::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            rpp.push(":");
        }
        rpp.push(p);
    }
    if spec.trailing_colon {
        rpp.push(":");
    }
    let n = spec.packages.len();
    let mut tree = Tree { dir, rpp, files: Vec::new(), queries: Vec::new() };
    for e in 0..spec.entries {
        tree.write(Path::new(&format!("ws{e}/README")), "entry\n");
    }
    // Package directories relative to the tree root, in creation order (for nesting).
    let mut dirs: Vec<PathBuf> = Vec::with_capacity(n);
    for (i, p) in spec.packages.iter().enumerate() {
        let name = name_of(i);
        let entry = p.entry % spec.entries;
        let mut rel = PathBuf::from(format!("ws{entry}"));
        match p.hide {
            Hide::Nested(j) if i > 0 => {
                rel = dirs[j % i].join("sub");
            }
            Hide::IgnoreParent => {
                rel.push(format!("ign_{i}"));
                tree.write(&rel.join("CATKIN_IGNORE"), "");
            }
            Hide::HiddenParent => rel.push(format!(".hid_{i}")),
            Hide::NoSubdirsParent => {
                rel.push(format!("nosub_{i}"));
                tree.write(&rel.join("rospack_nosubdirs"), "");
            }
            _ => {}
        }
        if let Some(s) = p.stack {
            rel.push(format!("stk{s}"));
            let stack_xml = format!(
                "<stack>\n  <description brief=\"stk{s}\">generated</description>\n  \
                 <author>a</author>\n  <license>BSD</license>\n  <depend stack=\"ros\"/>\n</stack>\n"
            );
            if !tree.files.iter().any(|(f, _)| Path::new(f) == rel.join("stack.xml")) {
                tree.write(&rel.join("stack.xml"), &stack_xml);
            }
        }
        for d in 0..p.depth {
            rel.push(format!("g{d}"));
        }
        let dir_name = if p.dir_differs && p.kind != Kind::Rosbuild {
            format!("dir_{name}")
        } else {
            name.clone()
        };
        rel.push(dir_name);
        let deps = resolve_deps(i, &p.deps, &p.unknown);
        let (file, contents) = manifest(p.kind, &name, &deps);
        tree.write(&rel.join(file), &contents);
        if p.hide == Hide::IgnoreSelf {
            tree.write(&rel.join("CATKIN_IGNORE"), "");
        }
        if p.nosubdirs_self {
            tree.write(&rel.join("rospack_nosubdirs"), "");
        }
        if let Some(c) = p.copy.as_ref().filter(|_| spec.entries > 1) {
            let other = (entry + 1 + (c.offset - 1) % (spec.entries - 1)) % spec.entries;
            let copy_rel = PathBuf::from(format!("ws{other}/dup")).join(&name);
            let deps = resolve_deps(i, &c.deps, &[]);
            let (file, contents) = manifest(c.kind, &name, &deps);
            tree.write(&copy_rel.join(file), &contents);
        }
        dirs.push(rel);
    }
    tree.queries =
        spec.queries.iter().map(|&q| if q >= n { "nope".to_owned() } else { name_of(q) }).collect();
    tree.queries.dedup();
    tree
}

// ---------------------------------------------------------------------------------------------
// Running both tools

struct Query {
    args: Vec<String>,
    cmp: Cmp,
}

fn queries(tree: &Tree) -> Vec<Query> {
    let mut qs = vec![
        Query { args: vec!["list".into()], cmp: Cmp::LineSet },
        Query { args: vec!["list-duplicates".into()], cmp: Cmp::Duplicates },
    ];
    for p in &tree.queries {
        for (cmd, cmp) in [
            ("depends", Cmp::Exact),
            ("depends1", Cmp::Exact),
            ("depends-on", Cmp::LineSet),
            ("depends-on1", Cmp::LineSet),
        ] {
            qs.push(Query { args: vec![cmd.into(), p.clone()], cmp });
        }
    }
    qs
}

fn invocation(tree: &Tree, sandbox: &Sandbox, ours: bool, args: &[String]) -> Invocation {
    let (program, mut argv): (PathBuf, Vec<OsString>) = if ours {
        (rosdeb(), vec!["rospack".into()])
    } else {
        (PathBuf::from(crate::harness::ROSPACK), Vec::new())
    };
    argv.extend(args.iter().map(OsString::from));
    Invocation {
        program,
        args: argv,
        env: base_env(sandbox, Some(&tree.rpp)),
        dir: RunDir::Path(sandbox.cwd()),
        stdin: None,
    }
}

/// Runs every query with both tools and returns the differences, one message each.
fn compare(tree: &Tree) -> Vec<String> {
    // Separate sandboxes: each tool has its own cache in its own ROS_HOME.
    let theirs = Sandbox::new("prop-rospack");
    let mine = Sandbox::new("prop-rosdeb");
    let qs = queries(tree);
    let jobs: Vec<(usize, bool)> = (0..qs.len()).flat_map(|i| [(i, false), (i, true)]).collect();
    let outcomes = par_map(&jobs, |&(i, ours)| {
        let inv = invocation(tree, if ours { &mine } else { &theirs }, ours, &qs[i].args);
        let out = run(&inv);
        (inv, out)
    });
    let mut problems = Vec::new();
    for (i, q) in qs.iter().enumerate() {
        let (_, expected) = &outcomes[2 * i];
        let (inv, actual) = &outcomes[2 * i + 1];
        if let Some(crash) = actual.crash() {
            problems.push(format!(
                "`{}`: rosdeb {crash}\n{}",
                describe(inv),
                excerpt(&actual.stderr)
            ));
            continue;
        }
        let mut want = normalize(q.cmp, &expected.stdout);
        let mut got = normalize(q.cmp, &actual.stdout);
        if q.cmp == Cmp::LineSet {
            // Set normalisation drops the final newline; put it back for a readable diff.
            for v in [&mut want, &mut got] {
                if !v.is_empty() {
                    v.push(b'\n');
                }
            }
        }
        if want != got || expected.code != actual.code {
            problems.push(format!(
                "`rospack {}` ({:?}): exit rospack {} / rosdeb {}\n  stdout diff (- rospack, + rosdeb):\n{}  rospack stderr:\n{}  rosdeb stderr:\n{}",
                q.args.join(" "),
                q.cmp,
                expected.code,
                actual.code,
                diff(&want, &got),
                excerpt(&expected.stderr),
                excerpt(&actual.stderr),
            ));
        }
    }
    problems
}

fn check(spec: &TreeSpec) -> Result<(), TestCaseError> {
    let tree = build(spec);
    let problems = compare(&tree);
    if problems.is_empty() {
        return Ok(());
    }
    Err(TestCaseError::fail(format!(
        "rosdeb rospack and /usr/bin/rospack disagree on this tree:\n{}\n{}",
        tree.layout(),
        problems.join("\n")
    )))
}

#[test]
fn rospack_agrees_on_random_trees() {
    require_oracles();
    let cases =
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    let config = Config {
        cases,
        failure_persistence: None,
        // Each case starts about 30 processes; keep shrinking bounded.
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let started = std::time::Instant::now();
    match runner.run(&tree_spec(), |spec| check(&spec)) {
        Ok(()) => {
            eprintln!("property: {cases} random trees agree ({:.1?})", started.elapsed());
        }
        Err(TestError::Fail(reason, spec)) => {
            panic!("{reason}\nminimal failing input (after shrinking): {spec:?}")
        }
        Err(TestError::Abort(reason)) => panic!("proptest aborted: {reason}"),
    }
}
