//! Integration tests of the native `rosdeb pkg …` commands: exact text and `--json` output on the fixture trees and on small trees built at test time, exit codes, errors, diagnose, dependency semantics, REP 149 conditions, the index cache, and `--deps all` against Python rospkg.
//!
//! Every run is a closed world: `--path DIR` (no ROS_PACKAGE_PATH), `--no-usr-share`, a fresh
//! sandbox (`HOME`, `ROS_HOME`, working directory) and, unless a test is about the cache,
//! `--no-cache`.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{
    Invocation, Outcome, PYTHON, RunDir, Sandbox, TempDir, base_env, excerpt, par_map, rosdeb, run,
    workspaces,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Runs `rosdeb <args>` in `sandbox` with the base environment plus `env` (`None` removes).
fn rosdeb_in(sandbox: &Sandbox, env: &[(&str, Option<&str>)], args: &[String]) -> Outcome {
    let mut vars = base_env(sandbox, None);
    for (k, v) in env {
        vars.retain(|(name, _)| name != k);
        if let Some(v) = v {
            vars.push(((*k).into(), (*v).into()));
        }
    }
    run(&Invocation {
        program: rosdeb(),
        args: args.iter().map(OsString::from).collect(),
        env: vars,
        dir: RunDir::Path(sandbox.cwd()),
        stdin: None,
    })
}

/// The arguments `pkg --path P… --no-usr-share [--no-cache] <rest>`.
fn pkg_args(paths: &[&Path], cache: bool, rest: &[&str]) -> Vec<String> {
    let mut args = vec!["pkg".to_owned()];
    for p in paths {
        args.push("--path".into());
        args.push(p.display().to_string());
    }
    args.push("--no-usr-share".into());
    if !cache {
        args.push("--no-cache".into());
    }
    args.extend(rest.iter().map(|s| (*s).to_owned()));
    args
}

/// `rosdeb pkg` on `paths` in a fresh sandbox, without the cache.
fn pkg(paths: &[&Path], rest: &[&str]) -> Outcome {
    pkg_env(paths, &[], rest)
}

/// Like [`pkg`] with extra environment variables.
fn pkg_env(paths: &[&Path], env: &[(&str, Option<&str>)], rest: &[&str]) -> Outcome {
    let sandbox = Sandbox::new("pkg");
    rosdeb_in(&sandbox, env, &pkg_args(paths, false, rest))
}

fn show(args: &[&str], out: &Outcome) -> String {
    format!(
        "`rosdeb pkg … {}`: exit {}\n  stdout:\n{}  stderr:\n{}",
        args.join(" "),
        out.code,
        excerpt(&out.stdout),
        excerpt(&out.stderr)
    )
}

/// Asserts success and returns stdout.
fn ok(paths: &[&Path], rest: &[&str]) -> String {
    let out = pkg(paths, rest);
    assert!(out.code == 0 && out.crash().is_none(), "expected exit 0\n{}", show(rest, &out));
    out.stdout_str()
}

/// Asserts stdout is exactly `want` and exit 0.
fn expect_stdout(paths: &[&Path], rest: &[&str], want: &str) {
    let got = ok(paths, rest);
    assert_eq!(got, want, "stdout of `rosdeb pkg … {}`", rest.join(" "));
}

/// Parses a `--json` document, checking that it is an object whose first field is `"schema": 1`.
fn doc(out: &Outcome, what: &str) -> Value {
    let text = out.stdout_str();
    assert!(
        text.starts_with("{\n  \"schema\": 1,"),
        "{what}: a --json document must start with `\"schema\": 1`:\n{}",
        excerpt(&out.stdout)
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: invalid JSON ({e}):\n{text}"))
}

/// Runs with `--json` (after the other arguments), asserts exit 0 and returns the document.
fn ok_json(paths: &[&Path], rest: &[&str]) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(rest);
    let out = pkg(paths, &args);
    assert!(out.code == 0 && out.crash().is_none(), "expected exit 0\n{}", show(&args, &out));
    doc(&out, &args.join(" "))
}

fn ws(rel: &str) -> PathBuf {
    workspaces().join(rel)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A package.xml (format 2 unless `format` says otherwise) with raw dependency lines.
fn package_xml(format: u8, name: &str, body: &[&str]) -> String {
    let open =
        if format == 1 { "<package>".to_owned() } else { format!("<package format=\"{format}\">") };
    let mut x = format!(
        "<?xml version=\"1.0\"?>\n{open}\n  <name>{name}</name>\n  <version>1.2.3</version>\n  \
         <description>Test package {name}.</description>\n  \
         <maintainer email=\"m@example.com\">M</maintainer>\n  <license>BSD</license>\n"
    );
    for line in body {
        x.push_str("  ");
        x.push_str(line);
        x.push('\n');
    }
    x.push_str("</package>\n");
    x
}

/// Writes `files` (path relative to the tree, contents) into a fresh temporary tree.
fn tree(label: &str, files: &[(&str, String)]) -> TempDir {
    let dir = TempDir::new(label);
    for (rel, contents) in files {
        let path = dir.path().join(rel);
        fs_err::create_dir_all(path.parent().expect("a parent directory"))
            .expect("create a tree directory");
        fs_err::write(&path, contents).expect("write a tree file");
    }
    dir
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

// ---------------------------------------------------------------------------------------------
// list, find, duplicates

#[test]
fn list_text_and_json() {
    let cycle = ws("bad/cycle");
    let c = s(&cycle);
    expect_stdout(
        &[&cycle],
        &["list"],
        &format!(
            "cycle_a {c}/cycle_a\ncycle_b {c}/cycle_b\ncycle_c {c}/cycle_c\n\
             good_base {c}/good_base\ngood_user {c}/good_user\n"
        ),
    );
    let d = ok_json(&[&cycle], &["list"]);
    let package = |name: &str| json!({"name": name, "path": format!("{c}/{name}"), "manifest": "package.xml", "version": "0.1.0"});
    let packages: Vec<Value> =
        ["cycle_a", "cycle_b", "cycle_c", "good_base", "good_user"].map(package).into();
    assert_eq!(d, json!({"schema": 1, "packages": packages, "problems": []}));

    // rosbuild packages: no version; both entries of rospkg's precedence test.
    let (p1, p2) = (ws("rospkg/package_tests/p1"), ws("rospkg/package_tests/p2"));
    let d = ok_json(&[&p1, &p2], &["list"]);
    let names: Vec<&str> = d["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.starts_with(&["bar", "baz", "foo"]),
        "sorted by name, one entry per name: {names:?}"
    );
    let foo = &d["packages"][2];
    assert_eq!(foo["path"], json!(format!("{}/foo", s(&p1))), "the first entry wins");
    assert_eq!(foo["manifest"], json!("manifest.xml"));
    assert_eq!(foo["version"], json!(""));
}

#[test]
fn find_text_and_json() {
    let (p1, p2) = (ws("rospkg/package_tests/p1"), ws("rospkg/package_tests/p2"));
    expect_stdout(&[&p1, &p2], &["find", "foo"], &format!("{}/foo\n", s(&p1)));
    expect_stdout(&[&p2, &p1], &["find", "foo"], &format!("{}/foo\n", s(&p2)));
    expect_stdout(&[&p1, &p2], &["find", "baz"], &format!("{}/baz\n", s(&p2)));
    assert_eq!(
        ok_json(&[&p1, &p2], &["find", "foo"]),
        json!({"schema": 1, "package": {
            "name": "foo", "path": format!("{}/foo", s(&p1)), "manifest": "manifest.xml", "version": ""
        }})
    );
    let noetic = ws("real/noetic");
    let d = ok_json(&[&noetic], &["find", "roscpp"]);
    assert_eq!(d["package"]["path"], json!(format!("{}/ros_comm/clients/roscpp", s(&noetic))));
    assert_eq!(d["package"]["manifest"], json!("package.xml"));
    assert!(
        d["package"]["version"].as_str().is_some_and(|v| v.split('.').count() == 3),
        "a package.xml version: {d}"
    );
}

#[test]
fn duplicates_text_and_json() {
    let (p1, p2) = (ws("rospkg/package_tests/p1"), ws("rospkg/package_tests/p2"));
    expect_stdout(
        &[&p1, &p2],
        &["duplicates"],
        &format!("foo\n  * {}/foo (wins: first on the search path)\n  - {}/foo\n", s(&p1), s(&p2)),
    );
    assert_eq!(
        ok_json(&[&p2, &p1], &["duplicates"]),
        json!({"schema": 1, "duplicates": [
            {"name": "foo", "winner": format!("{}/foo", s(&p2)), "shadowed": [format!("{}/foo", s(&p1))]}
        ]})
    );
    expect_stdout(&[&p1], &["duplicates"], "");
    assert_eq!(ok_json(&[&p1], &["duplicates"]), json!({"schema": 1, "duplicates": []}));
}

// ---------------------------------------------------------------------------------------------
// deps, rdeps, why, licenses, graph

#[test]
fn deps_rdeps_why_licenses_exact() {
    let (p1, p2) = (ws("rospkg/package_tests/p1"), ws("rospkg/package_tests/p2"));
    let t: &[&Path] = &[&p1, &p2];
    // baz: <depend package="foo"/> <depend package="bar"/>; bar: foo.
    expect_stdout(t, &["deps", "baz"], "foo\nbar\n");
    expect_stdout(t, &["deps", "--direct", "baz"], "foo\nbar\n");
    expect_stdout(t, &["deps", "bar"], "foo\n");
    expect_stdout(t, &["deps", "foo"], "");
    expect_stdout(t, &["rdeps", "foo"], "bar\nbaz\n");
    expect_stdout(t, &["rdeps", "--direct", "bar"], "baz\n");
    expect_stdout(t, &["rdeps", "baz"], "");
    expect_stdout(t, &["why", "baz", "foo"], "baz -> foo\nbaz -> bar -> foo\n");
    expect_stdout(t, &["licenses", "baz"], "BSD: foo bar baz\n");

    assert_eq!(
        ok_json(t, &["deps", "baz"]),
        json!({"schema": 1, "package": "baz", "direct": false, "packages": ["foo", "bar"], "other": []})
    );
    assert_eq!(
        ok_json(t, &["deps", "--direct", "bar"]),
        json!({"schema": 1, "package": "bar", "direct": true, "packages": ["foo"], "other": []})
    );
    assert_eq!(
        ok_json(t, &["rdeps", "foo"]),
        json!({"schema": 1, "package": "foo", "direct": false, "dependents": ["bar", "baz"]})
    );
    assert_eq!(
        ok_json(t, &["rdeps", "--direct", "foo"]),
        json!({"schema": 1, "package": "foo", "direct": true, "dependents": ["bar", "baz"]})
    );
    assert_eq!(
        ok_json(t, &["why", "baz", "foo"]),
        json!({"schema": 1, "package": "baz", "target": "foo",
               "chains": [["baz", "foo"], ["baz", "bar", "foo"]]})
    );
    assert_eq!(
        ok_json(t, &["licenses", "baz"]),
        json!({"schema": 1,
               "packages": [{"package": "foo", "licenses": ["BSD"]},
                            {"package": "bar", "licenses": ["BSD"]},
                            {"package": "baz", "licenses": ["BSD"]}],
               "by_license": {"BSD": ["foo", "bar", "baz"]}})
    );

    // package.xml packages and a cycle next to them.
    let cycle = ws("bad/cycle");
    expect_stdout(&[&cycle], &["deps", "good_user"], "good_base\n");
    expect_stdout(&[&cycle], &["rdeps", "good_base"], "good_user\n");
    expect_stdout(&[&cycle], &["rdeps", "--direct", "cycle_a"], "cycle_c\n");
}

#[test]
fn deps_reports_dependencies_that_are_not_packages() {
    // std_msgs: buildtool catkin, build message_generation, run message_runtime; neither
    // message_* is a package of the tree.
    let noetic = ws("real/noetic");
    let out = pkg(&[&noetic], &["deps", "std_msgs"]);
    assert_eq!((out.code, out.stdout_str()), (0, String::new()), "{}", show(&["deps"], &out));
    assert!(
        out.stderr_str().contains("message_runtime") && out.stderr_str().starts_with("note: "),
        "a note on stderr names the non-package dependency:\n{}",
        excerpt(&out.stderr)
    );
    let d = ok_json(&[&noetic], &["deps", "std_msgs"]);
    let other = d["other"].as_array().expect("other");
    assert_eq!(other.len(), 1, "{d}");
    assert_eq!(other[0]["name"], json!("message_runtime"));
    assert_eq!(other[0]["required_by"], json!("std_msgs"));
    assert_eq!(other[0]["class"], json!("unknown"), "no rosdep rules given: {d}");

    // With rosdep rules, a key they define is a system dependency; anything else stays unknown.
    let rules = tree(
        "pkg-rosdep",
        &[("rules.yaml", "message_runtime:\n  ubuntu: [ros-message-runtime]\n".into())],
    );
    let rules = s(&rules.path().join("rules.yaml"));
    let d = ok_json(&[&noetic], &["deps", "std_msgs", "--rosdep", &rules]);
    assert_eq!(d["other"][0]["class"], json!("system"), "{d}");
    let d = ok_json(&[&noetic], &["deps", "roscpp", "--rosdep", &rules]);
    let classes: BTreeSet<String> = d["other"]
        .as_array()
        .expect("other")
        .iter()
        .map(|o| o["class"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(classes.contains("unknown") && classes.contains("system"), "{d}");
}

/// Checks that `text` looks like the DOT we print: a `digraph` with quoted node statements
/// and quoted edges between declared nodes. Returns (nodes, edges).
fn parse_dot(text: &str) -> (BTreeSet<String>, Vec<(String, String)>) {
    let all = lines(text);
    assert!(all.len() >= 2, "DOT too short:\n{text}");
    assert_eq!(all[0], "digraph dependencies {", "DOT header:\n{text}");
    assert_eq!(all[all.len() - 1], "}", "DOT footer:\n{text}");
    assert!(text.ends_with("}\n"), "DOT ends with a newline");
    let quoted = |s: &str| -> String {
        assert!(
            s.len() >= 2
                && s.starts_with('"')
                && s.ends_with('"')
                && !s[1..s.len() - 1].contains('"'),
            "not a quoted DOT id: {s:?}"
        );
        s[1..s.len() - 1].to_owned()
    };
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    for line in &all[1..all.len() - 1] {
        let stmt = line
            .strip_prefix("  ")
            .and_then(|l| l.strip_suffix(';'))
            .unwrap_or_else(|| panic!("DOT statement not `  …;`: {line:?}"));
        if let Some((a, b)) = stmt.split_once(" -> ") {
            edges.push((quoted(a), quoted(b)));
        } else {
            assert!(edges.is_empty(), "node statements come before edges: {line:?}");
            assert!(nodes.insert(quoted(stmt)), "node declared twice: {line:?}");
        }
    }
    for (a, b) in &edges {
        assert!(nodes.contains(a) && nodes.contains(b), "edge {a} -> {b} between undeclared nodes");
    }
    assert_eq!(text.matches('{').count(), 1, "braces");
    assert_eq!(text.matches('}').count(), 1, "braces");
    (nodes, edges)
}

#[test]
fn graph_dot_and_json() {
    let (p1, p2) = (ws("rospkg/package_tests/p1"), ws("rospkg/package_tests/p2"));
    expect_stdout(
        &[&p1, &p2],
        &["graph", "baz"],
        "digraph dependencies {\n  \"bar\";\n  \"baz\";\n  \"foo\";\n  \
         \"bar\" -> \"foo\";\n  \"baz\" -> \"foo\";\n  \"baz\" -> \"bar\";\n}\n",
    );
    assert_eq!(
        ok(&[&p1, &p2], &["graph", "baz"]),
        ok(&[&p1, &p2], &["graph", "baz", "--format", "dot"])
    );

    // The whole real tree: DOT and JSON agree, nodes are `list`, edges are `deps --direct`.
    let noetic = ws("real/noetic");
    let (nodes, edges) = parse_dot(&ok(&[&noetic], &["graph"]));
    let listed: BTreeSet<String> = ok(&[&noetic], &["list"])
        .lines()
        .map(|l| l.split(' ').next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(nodes, listed, "graph nodes are the packages of `list`");
    let d = ok_json(&[&noetic], &["graph", "--format", "json"]);
    let json_nodes: BTreeSet<String> = d["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n.as_str().expect("node name").to_owned())
        .collect();
    let json_edges: Vec<(String, String)> = d["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (e[0].as_str().expect("from").to_owned(), e[1].as_str().expect("to").to_owned()))
        .collect();
    assert_eq!(json_nodes, nodes, "JSON and DOT nodes");
    assert_eq!(json_edges, edges, "JSON and DOT edges");
    assert_eq!(d["cycles"], json!([]));
    let roscpp_direct: Vec<String> =
        edges.iter().filter(|(a, _)| a == "roscpp").map(|(_, b)| b.clone()).collect();
    let direct: Vec<String> =
        ok(&[&noetic], &["deps", "--direct", "roscpp"]).lines().map(str::to_owned).collect();
    assert_eq!(roscpp_direct, direct, "graph edges of roscpp = deps --direct roscpp");

    // One package's graph: itself plus its closure.
    let (nodes, _) = parse_dot(&ok(&[&noetic], &["graph", "turtlesim"]));
    let mut closure: BTreeSet<String> =
        ok(&[&noetic], &["deps", "turtlesim"]).lines().map(str::to_owned).collect();
    closure.insert("turtlesim".into());
    assert_eq!(nodes, closure, "graph turtlesim = turtlesim and its dependencies");

    // Cycles are listed in JSON and the DOT stays well-formed.
    let cycle = ws("bad/cycle");
    parse_dot(&ok(&[&cycle], &["graph"]));
    assert_eq!(
        ok_json(&[&cycle], &["graph", "--format", "json"])["cycles"],
        json!([["cycle_a", "cycle_b", "cycle_c"]])
    );
}

// ---------------------------------------------------------------------------------------------
// Exit codes and errors

/// Asserts exit 1, nothing on stdout, and `error: …` naming `needle` then a `hint:` line.
fn assert_failure(paths: &[&Path], rest: &[&str], needle: &str) {
    let out = pkg(paths, rest);
    let err = out.stderr_str();
    let ctx = show(rest, &out);
    assert_eq!(out.code, 1, "exit status of a failed query\n{ctx}");
    assert!(out.crash().is_none(), "{ctx}");
    assert!(out.stdout.is_empty(), "nothing on stdout on failure\n{ctx}");
    let first = err.lines().next().unwrap_or("");
    assert!(first.starts_with("error: ") && first.contains(needle), "first stderr line\n{ctx}");
    assert!(err.lines().any(|l| l.trim_start().starts_with("hint: ")), "a hint line\n{ctx}");
}

#[test]
fn failed_queries_exit_1_with_error_and_hint() {
    let (p1, p2) = (ws("rospkg/package_tests/p1"), ws("rospkg/package_tests/p2"));
    let t: &[&Path] = &[&p1, &p2];
    for rest in [
        &["find", "nope"][..],
        &["deps", "nope"],
        &["deps", "--direct", "nope"],
        &["rdeps", "nope"],
        &["rdeps", "--direct", "nope"],
        &["why", "nope", "foo"],
        &["why", "foo", "nope"],
        &["graph", "nope"],
        &["licenses", "nope"],
        &["--json", "find", "nope"],
        &["--json", "deps", "nope"],
        &["--json", "licenses", "nope"],
    ] {
        assert_failure(t, rest, "`nope` not found");
    }
    // The hint names the command to run next.
    let out = pkg(t, &["find", "nope"]);
    assert!(out.stderr_str().contains("rosdeb pkg diagnose nope"), "{}", show(&["find"], &out));

    // No chain: an error in text mode.
    assert_failure(t, &["why", "foo", "baz"], "does not depend on");
    // A dependency cycle names its members.
    let cycle = ws("bad/cycle");
    assert_failure(&[&cycle], &["deps", "cycle_a"], "cycle_a -> cycle_b -> cycle_c");
    assert_failure(&[&cycle], &["licenses", "cycle_b"], "dependency cycle");
}

#[test]
fn usage_errors_exit_2() {
    let p1 = ws("rospkg/package_tests/p1");
    for rest in [
        &[][..],
        &["deps"],
        &["why", "foo"],
        &["--bogus", "list"],
        &["list", "extra"],
        &["graph", "--format", "png"],
        &["--deps", "some", "deps", "foo"],
        &["frobnicate"],
    ] {
        let out = pkg(&[&p1], rest);
        let ctx = show(rest, &out);
        assert_eq!(out.code, 2, "usage errors exit 2\n{ctx}");
        assert!(out.stdout.is_empty(), "nothing on stdout\n{ctx}");
        assert!(out.stderr_str().contains("error:") || rest.is_empty(), "clap's error\n{ctx}");
    }
    let out = pkg(&[&p1], &["--help"]);
    assert_eq!(out.code, 0, "{}", show(&["--help"], &out));
    assert!(out.stdout_str().contains("diagnose"), "help on stdout");
}

// ---------------------------------------------------------------------------------------------
// diagnose

/// Two entries: a good package, a CATKIN_IGNORE'd one, one below a hidden directory, a broken
/// package.xml, one nested in another package, and a name in both entries.
fn diagnose_tree() -> TempDir {
    let p = |name: &str| package_xml(2, name, &["<buildtool_depend>catkin</buildtool_depend>"]);
    tree(
        "diagnose",
        &[
            ("ws1/good/package.xml", p("good")),
            ("ws1/ign/CATKIN_IGNORE", String::new()),
            ("ws1/ign/ignored_pkg/package.xml", p("ignored_pkg")),
            ("ws1/.hidden_dir/hidden_pkg/package.xml", p("hidden_pkg")),
            (
                "ws1/broken_pkg/package.xml",
                "<?xml version=\"1.0\"?>\n<package format=\"2\">\n  <name>broken_pkg</name>\n  \
                 <version>1.0.0</version>\n  <description>unclosed\n</package>\n"
                    .into(),
            ),
            ("ws1/good/nested_pkg/package.xml", p("nested_pkg")),
            ("ws1/shadowed_pkg/package.xml", p("shadowed_pkg")),
            ("ws2/shadowed_pkg/package.xml", p("shadowed_pkg")),
        ],
    )
}

#[test]
fn diagnose_explains_missing_packages() {
    let dir = diagnose_tree();
    let (w1, w2) = (dir.path().join("ws1"), dir.path().join("ws2"));
    let t: &[&Path] = &[&w1, &w2];
    let (a, b) = (s(&w1), s(&w2));
    let expect = |name: &str, code: i32, want: &str| {
        let out = pkg(t, &["diagnose", name]);
        assert_eq!(
            (out.code, out.stdout_str()),
            (code, want.to_owned()),
            "diagnose {name}\n{}",
            show(&["diagnose", name], &out)
        );
    };
    expect("good", 0, &format!("{a}/good: found: this is the package\n"));
    expect(
        "ignored_pkg",
        1,
        &format!("{a}/ign/ignored_pkg: ignored: hidden by {a}/ign/CATKIN_IGNORE\n"),
    );
    expect(
        "hidden_pkg",
        1,
        &format!("{a}/.hidden_dir/hidden_pkg: hidden: {a}/.hidden_dir starts with '.'\n"),
    );
    expect(
        "nested_pkg",
        1,
        &format!("{a}/good/nested_pkg: nested: inside the package at {a}/good\n"),
    );
    expect(
        "shadowed_pkg",
        0,
        &format!(
            "{a}/shadowed_pkg: found: this is the package\n\
             {b}/shadowed_pkg: shadowed: {a}/shadowed_pkg comes first on the search path\n"
        ),
    );
    expect("absent", 1, &format!("absent: no manifest anywhere below the search path ({a}:{b})\n"));

    let out = pkg(t, &["diagnose", "broken_pkg"]);
    let prefix = format!("{a}/broken_pkg: parse-error: {a}/broken_pkg/package.xml:");
    assert!(
        out.code == 1
            && out.stdout_str().starts_with(&prefix)
            && out.stdout_str().contains(": error: "),
        "diagnose broken_pkg names the file, line and column\n{}",
        show(&["diagnose", "broken_pkg"], &out)
    );

    // JSON findings (the exit status of `--json diagnose NAME` is checked in
    // `diagnose_json_exit_status_matches_text`).
    let json_of = |name: &str| {
        let out = pkg(t, &["--json", "diagnose", name]);
        assert!(out.crash().is_none(), "{}", show(&["--json", "diagnose", name], &out));
        doc(&out, name)
    };
    let d = json_of("ignored_pkg");
    assert_eq!(d["package"], json!("ignored_pkg"));
    assert_eq!(
        d["findings"],
        json!([{"path": format!("{a}/ign/ignored_pkg"), "status": "ignored",
                "detail": format!("hidden by {a}/ign/CATKIN_IGNORE")}])
    );
    assert_eq!(json_of("hidden_pkg")["findings"][0]["status"], json!("hidden"));
    assert_eq!(json_of("nested_pkg")["findings"][0]["status"], json!("nested"));
    assert_eq!(json_of("absent")["findings"], json!([]));
    let d = json_of("shadowed_pkg");
    let statuses: Vec<&Value> =
        d["findings"].as_array().expect("findings").iter().map(|f| &f["status"]).collect();
    assert_eq!(statuses, [&json!("found"), &json!("shadowed")]);
    let d = json_of("broken_pkg");
    assert_eq!(d["findings"][0]["status"], json!("parse-error"));
    let problem = d["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .find(|p| p["path"] == json!(format!("{a}/broken_pkg/package.xml")))
        .unwrap_or_else(|| panic!("the broken manifest is a problem: {d}"));
    assert_eq!(problem["severity"], json!("error"));
    assert!(
        problem["line"].as_u64().is_some() && problem["column"].as_u64().is_some(),
        "{problem}"
    );

    // Without a name: every problem on stdout (file:line:col: error: …), exit 1 for errors.
    let out = pkg(t, &["diagnose"]);
    let ctx = show(&["diagnose"], &out);
    assert_eq!(out.code, 1, "{ctx}");
    assert!(
        out.stdout_str()
            .lines()
            .any(|l| l.starts_with(&format!("{a}/broken_pkg/package.xml:"))
                && l.contains(": error: ")),
        "{ctx}"
    );
    assert!(out.stderr_str().contains("1 error(s), 2 package(s) found"), "{ctx}");

    // The broken package is left out of the list with a warning; the rest answers.
    let out = pkg(t, &["list"]);
    assert_eq!(
        out.stdout_str(),
        format!("good {a}/good\nshadowed_pkg {a}/shadowed_pkg\n"),
        "{}",
        show(&["list"], &out)
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stderr_str().contains("warning: left out:") && out.stderr_str().contains("broken_pkg")
    );

    // A clean tree: nothing to report, exit 0.
    let out = pkg(&[&w2], &["diagnose"]);
    assert_eq!((out.code, out.stdout_str()), (0, String::new()), "{}", show(&["diagnose"], &out));
    assert_eq!(
        ok_json(&[&w2], &["diagnose"]),
        json!({"schema": 1, "package": null, "findings": [], "problems": []})
    );
}

/// `diagnose NAME` exits 0 when NAME is found and 1 when it is not, with or without `--json`.
#[test]
fn diagnose_json_exit_status_matches_text() {
    let dir = diagnose_tree();
    let (w1, w2) = (dir.path().join("ws1"), dir.path().join("ws2"));
    let clean = ws("bad/ignore_markers");
    let mut failures = Vec::new();
    // ws1 holds a broken package.xml (an error elsewhere on the path); ignore_markers is clean.
    for (paths, name) in [
        (vec![w1.as_path(), w2.as_path()], "good"),
        (vec![&w1, &w2], "shadowed_pkg"),
        (vec![&w1, &w2], "ignored_pkg"),
        (vec![&w1, &w2], "broken_pkg"),
        (vec![&clean], "good_a"),
        (vec![&clean], "pkg_catkin_ignored"),
        (vec![&clean], "absent"),
    ] {
        let text = pkg(&paths, &["diagnose", name]);
        let json = pkg(&paths, &["--json", "diagnose", name]);
        let found = text.stdout_str().lines().any(|l| l.contains(": found: "));
        let want = i32::from(!found);
        if text.code != want || json.code != want {
            failures.push(format!(
                "diagnose {name} on {paths:?}: found={found}, exit text {} / --json {} (want {want})",
                text.code, json.code
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "BUG: `rosdeb pkg --json diagnose NAME` takes its exit status from every error on the \
         search path instead of whether NAME is found (text mode does the latter):\n{}",
        failures.join("\n")
    );
}

/// rospkg's own fixture `p1/invalid/manifest.xml` is `<invalid>` (no `<package>` root): rospack
/// answers `error parsing manifest of package invalid` (exit 1) and rospkg raises
/// `InvalidManifest`. The native commands must not treat it as a healthy package.
#[test]
fn broken_rosbuild_manifest_is_reported() {
    let p1 = ws("rospkg/package_tests/p1");
    let file = format!("{}/invalid/manifest.xml", s(&p1));
    let out = pkg(&[&p1], &["diagnose"]);
    assert!(
        out.code == 1 && out.stdout_str().contains(&file),
        "BUG: `rosdeb pkg diagnose` does not report the unparsable rosbuild manifest {file} \
         (expected exit 1 and a `{file}:…: error: …` line)\n{}",
        show(&["diagnose"], &out)
    );
    let out = pkg(&[&p1], &["deps", "invalid"]);
    assert!(
        out.code == 1 && out.stderr_str().starts_with("error: "),
        "BUG: `rosdeb pkg deps invalid` answers as if the manifest were fine (rospack: `error \
         parsing manifest of package invalid`, exit 1)\n{}",
        show(&["deps", "invalid"], &out)
    );
}

// ---------------------------------------------------------------------------------------------
// Dependency semantics and conditions

#[test]
fn deps_all_counts_build_and_test_tags() {
    let noetic = ws("real/noetic");
    // std_msgs: only run dependency message_runtime (not a package); buildtool catkin is.
    expect_stdout(&[&noetic], &["deps", "std_msgs"], "");
    expect_stdout(&[&noetic], &["--deps", "run", "deps", "std_msgs"], "");
    expect_stdout(&[&noetic], &["--deps", "all", "deps", "std_msgs"], "catkin\n");
    expect_stdout(&[&noetic], &["deps", "geometry_msgs"], "std_msgs\n");
    expect_stdout(&[&noetic], &["--deps", "all", "deps", "geometry_msgs"], "catkin\nstd_msgs\n");

    let files = [
        (
            "ws/a/package.xml",
            package_xml(
                2,
                "a",
                &[
                    "<build_depend>b</build_depend>",
                    "<test_depend>c</test_depend>",
                    "<exec_depend>d</exec_depend>",
                    "<doc_depend>e</doc_depend>",
                ],
            ),
        ),
        ("ws/b/package.xml", package_xml(1, "b", &["<build_depend>e</build_depend>"])),
        ("ws/c/package.xml", package_xml(2, "c", &[])),
        ("ws/d/package.xml", package_xml(2, "d", &[])),
        ("ws/e/package.xml", package_xml(2, "e", &[])),
    ];
    let dir = tree("depsall", &files);
    let w = dir.path().join("ws");
    expect_stdout(&[&w], &["deps", "a"], "d\n");
    expect_stdout(&[&w], &["--deps", "all", "deps", "a"], "e\nb\nc\nd\n");
    expect_stdout(&[&w], &["--deps", "all", "deps", "--direct", "a"], "b\nc\nd\n");
    expect_stdout(&[&w], &["rdeps", "b"], "");
    expect_stdout(&[&w], &["--deps", "all", "rdeps", "e"], "a\nb\n");
    assert_eq!(
        ok_json(&[&w], &["--deps", "all", "deps", "a"])["packages"],
        json!(["e", "b", "c", "d"])
    );
    // The default is rospack's semantics.
    let sandbox = Sandbox::new("depsall-rospack");
    let out = rosdeb_in(
        &sandbox,
        &[("ROS_PACKAGE_PATH", Some(&s(&w))), ("ROSDEB_USR_SHARE", Some("0"))],
        &["rospack".into(), "depends".into(), "a".into()],
    );
    assert_eq!((out.code, out.stdout_str()), (0, "d\n".to_owned()), "rosdeb rospack depends a");
}

#[test]
fn conditions_are_evaluated_unless_ignored() {
    let files = [
        (
            "ws/cond_user/package.xml",
            package_xml(
                3,
                "cond_user",
                &[
                    "<exec_depend condition=\"$ROS_PYTHON_VERSION == 3\">py3_only</exec_depend>",
                    "<exec_depend condition=\"$ROS_PYTHON_VERSION == 2\">py2_only</exec_depend>",
                    "<depend condition=\"$ROS_VERSION == 1 and $ROS_PYTHON_VERSION != 2\">ros1_py3</depend>",
                    "<exec_depend>always</exec_depend>",
                ],
            ),
        ),
        ("ws/py3_only/package.xml", package_xml(3, "py3_only", &[])),
        ("ws/py2_only/package.xml", package_xml(3, "py2_only", &[])),
        ("ws/ros1_py3/package.xml", package_xml(3, "ros1_py3", &[])),
        ("ws/always/package.xml", package_xml(3, "always", &[])),
    ];
    let dir = tree("conditions", &files);
    let w = dir.path().join("ws");
    let t: &[&Path] = &[&w];
    let deps = |env: &[(&str, Option<&str>)], extra: &[&str]| {
        let mut rest = extra.to_vec();
        rest.extend(["deps", "--direct", "cond_user"]);
        let out = pkg_env(t, env, &rest);
        assert_eq!(out.code, 0, "{}", show(&rest, &out));
        out.stdout_str()
    };
    let py3 = [("ROS_PYTHON_VERSION", Some("3")), ("ROS_VERSION", Some("1"))];
    let py2 = [("ROS_PYTHON_VERSION", Some("2")), ("ROS_VERSION", Some("1"))];
    // rospack's tag order: exec_depend (document order), then depend.
    assert_eq!(deps(&py3, &[]), "py3_only\nalways\nros1_py3\n", "ROS_PYTHON_VERSION=3");
    assert_eq!(deps(&py2, &[]), "py2_only\nalways\n", "ROS_PYTHON_VERSION=2");
    // Unset variables compare as "" (catkin_pkg): only the unconditional dependency holds.
    assert_eq!(deps(&[], &[]), "always\n", "ROS_PYTHON_VERSION unset");
    let all = "py3_only\npy2_only\nalways\nros1_py3\n";
    assert_eq!(deps(&py3, &["--ignore-conditions"]), all, "--ignore-conditions");
    assert_eq!(deps(&[], &["--ignore-conditions"]), all, "--ignore-conditions, nothing set");
    // Transitive and reverse queries see the same graph.
    let out = pkg_env(t, &py2, &["rdeps", "py3_only"]);
    assert_eq!(out.stdout_str(), "", "ROS_PYTHON_VERSION=2: nobody depends on py3_only");
    let out = pkg_env(t, &py3, &["rdeps", "py3_only"]);
    assert_eq!(out.stdout_str(), "cond_user\n", "ROS_PYTHON_VERSION=3");
    // rospack ignores conditions, and so does `rosdeb rospack`.
    let sandbox = Sandbox::new("conditions-rospack");
    let mut env = py2.to_vec();
    let rpp = s(&w);
    env.push(("ROS_PACKAGE_PATH", Some(&rpp)));
    let out = rosdeb_in(&sandbox, &env, &["rospack".into(), "depends1".into(), "cond_user".into()]);
    assert_eq!(out.stdout_str(), all, "`rosdeb rospack depends1` counts every condition");
}

// ---------------------------------------------------------------------------------------------
// The index cache

#[test]
fn cached_runs_answer_like_uncached_runs() {
    let noetic = ws("real/noetic");
    let (p1, p2) = (ws("rospkg/package_tests/p1"), ws("rospkg/package_tests/p2"));
    let sandbox = Sandbox::new("pkg-cache");
    let commands: Vec<(Vec<&Path>, Vec<&str>)> = vec![
        (vec![&noetic], vec!["list"]),
        (vec![&noetic], vec!["--json", "list"]),
        (vec![&noetic], vec!["deps", "roscpp"]),
        (vec![&noetic], vec!["--deps", "all", "deps", "turtlesim"]),
        (vec![&noetic], vec!["rdeps", "std_msgs"]),
        (vec![&noetic], vec!["graph", "--format", "json"]),
        (vec![&noetic], vec!["licenses", "rospy"]),
        (vec![&noetic], vec!["diagnose"]),
        (vec![&p1, &p2], vec!["duplicates"]),
        (vec![&p1, &p2], vec!["find", "nope"]),
    ];
    let index = sandbox.ros_home().join("rosdeb/index");
    for (paths, rest) in &commands {
        let uncached = rosdeb_in(&sandbox, &[], &pkg_args(paths, false, rest));
        let first = rosdeb_in(&sandbox, &[], &pkg_args(paths, true, rest));
        let second = rosdeb_in(&sandbox, &[], &pkg_args(paths, true, rest));
        for (label, out) in [("first cached run", &first), ("second cached run", &second)] {
            assert_eq!(
                (out.code, &out.stdout, &out.stderr),
                (uncached.code, &uncached.stdout, &uncached.stderr),
                "{label} differs from --no-cache\n{}\n--no-cache:\n{}",
                show(rest, out),
                show(rest, &uncached)
            );
        }
        let files: Vec<PathBuf> = std::fs::read_dir(&index)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(
            files.iter().any(|f| f.extension().is_some_and(|e| e == "idx")),
            "a cached run writes $ROS_HOME/rosdeb/index/<hash>.idx; found {files:?}"
        );
    }
    assert!(
        std::fs::read_dir(sandbox.home()).map(|mut d| d.next().is_none()).unwrap_or(true),
        "nothing is written to HOME when ROS_HOME is set"
    );
}

#[test]
fn cache_sees_added_and_edited_packages() {
    let dir = tree(
        "cache-edit",
        &[
            ("ws/a/package.xml", package_xml(2, "a", &["<exec_depend>b</exec_depend>"])),
            ("ws/b/package.xml", package_xml(2, "b", &[])),
        ],
    );
    let w = dir.path().join("ws");
    let sandbox = Sandbox::new("pkg-cache-edit");
    let run_cached = |rest: &[&str]| {
        let out = rosdeb_in(&sandbox, &[], &pkg_args(&[&w], true, rest));
        assert_eq!(out.code, 0, "{}", show(rest, &out));
        out.stdout_str()
    };
    let ws_s = s(&w);
    assert_eq!(run_cached(&["list"]), format!("a {ws_s}/a\nb {ws_s}/b\n"));
    assert_eq!(run_cached(&["deps", "a"]), "b\n");
    // Add a package deep below the tree and make `a` depend on it.
    fs_err::create_dir_all(w.join("sub/c")).expect("mkdir");
    fs_err::write(w.join("sub/c/package.xml"), package_xml(2, "c", &[])).expect("write c");
    fs_err::write(
        w.join("a/package.xml"),
        package_xml(2, "a", &["<exec_depend>b</exec_depend>", "<exec_depend>c</exec_depend>"]),
    )
    .expect("rewrite a");
    assert_eq!(
        run_cached(&["list"]),
        format!("a {ws_s}/a\nb {ws_s}/b\nc {ws_s}/sub/c\n"),
        "an added package is seen at once"
    );
    assert_eq!(run_cached(&["deps", "a"]), "b\nc\n", "an edited manifest is seen at once");
    // Remove one.
    fs_err::remove_dir_all(w.join("b")).expect("remove b");
    assert_eq!(run_cached(&["list"]), format!("a {ws_s}/a\nc {ws_s}/sub/c\n"), "a removed package");
}

// ---------------------------------------------------------------------------------------------
// --deps all against Python rospkg

/// A `ROS_HOME` holding an offline rosdep cache built by `rosdep update` from a local sources
/// list: without one, rospkg reports no package.xml dependencies at all.
fn offline_rosdep_home(dir: &Path) -> PathBuf {
    let rosdep = Path::new("/usr/bin/rosdep");
    assert!(rosdep.exists(), "/usr/bin/rosdep is missing (apt-get install python3-rosdep2)");
    let sources = dir.join("sources.list.d");
    fs_err::create_dir_all(&sources).expect("mkdir sources.list.d");
    let base = dir.join("base.yaml");
    fs_err::write(&base, "boost:\n  debian: [libboost-dev]\n  ubuntu: [libboost-dev]\n")
        .expect("write base.yaml");
    fs_err::write(sources.join("10-local.list"), format!("yaml file://{}\n", base.display()))
        .expect("write the sources list");
    // An empty rosdistro index, so that `rosdep update` never goes to the network.
    let index = dir.join("index.yaml");
    fs_err::write(&index, "%YAML 1.1\n---\ndistributions: {}\ntype: index\nversion: 4\n")
        .expect("write index.yaml");
    let ros_home = dir.join("ros_home");
    let out = run(&Invocation {
        program: rosdep.into(),
        args: vec!["update".into()],
        env: vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), dir.join("home").into()),
            ("ROS_HOME".into(), ros_home.clone().into()),
            ("ROSDEP_SOURCE_PATH".into(), sources.into()),
            ("ROSDISTRO_INDEX_URL".into(), format!("file://{}", index.display()).into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
        ],
        dir: RunDir::Path(dir.to_path_buf()),
        stdin: None,
    });
    assert!(
        out.code == 0 && ros_home.join("rosdep/sources.cache").is_dir(),
        "offline `rosdep update` failed (exit {}):\n{}{}",
        out.code,
        excerpt(&out.stdout),
        excerpt(&out.stderr)
    );
    ros_home
}

const PY_DEPENDS: &str = r#"
import json, sys
import rospkg
paths = sys.argv[1:]
r = rospkg.RosPack(ros_paths=paths)
out = {}
for p in sorted(r.list()):
    try:
        out[p] = {'implicit': sorted(r.get_depends(p, implicit=True)),
                  'direct': sorted(r.get_depends(p, implicit=False))}
    except Exception as e:
        out[p] = {'error': type(e).__name__ + ': ' + str(e)}
json.dump(out, sys.stdout)
"#;

/// Python rospkg's `get_depends` (implicit and direct) of every package on `paths`.
fn rospkg_depends(ros_home: &Path, paths: &[&Path]) -> BTreeMap<String, Value> {
    let sandbox = Sandbox::new("rospkg-depends");
    let mut args: Vec<OsString> = vec!["-c".into(), PY_DEPENDS.into()];
    args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    let out = run(&Invocation {
        program: PYTHON.into(),
        args,
        env: vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), sandbox.home().into()),
            ("ROS_HOME".into(), ros_home.into()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
        ],
        dir: RunDir::Path(sandbox.cwd()),
        stdin: None,
    });
    assert_eq!(out.code, 0, "Python rospkg failed:\n{}", excerpt(&out.stderr));
    assert!(
        !out.stderr_str().contains("rosdep view is empty"),
        "rospkg did not see the offline rosdep cache:\n{}",
        excerpt(&out.stderr)
    );
    serde_json::from_slice::<BTreeMap<String, Value>>(&out.stdout).expect("JSON from rospkg")
}

/// Compares `rosdeb pkg --deps all deps [--direct] P` with rospkg for every package on `paths`.
fn compare_with_rospkg(ros_home: &Path, paths: &[&Path]) -> (usize, Vec<String>) {
    let py = rospkg_depends(ros_home, paths);
    let ours_list: BTreeSet<String> = ok(paths, &["list"])
        .lines()
        .map(|l| l.split(' ').next().unwrap_or("").to_owned())
        .collect();
    let py_list: BTreeSet<String> = py.keys().cloned().collect();
    let mut failures = Vec::new();
    if ours_list != py_list {
        failures.push(format!("package lists differ: ours {ours_list:?}, rospkg {py_list:?}"));
    }
    let names: Vec<&String> = py.keys().collect();
    let results = par_map(&names, |name| {
        let set = |rest: &[&str]| -> BTreeSet<String> {
            ok(paths, rest).lines().map(str::to_owned).collect()
        };
        (
            set(&["--deps", "all", "deps", name.as_str()]),
            set(&["--deps", "all", "deps", "--direct", name.as_str()]),
        )
    });
    for (name, (implicit, direct)) in names.iter().zip(results) {
        let entry = &py[name.as_str()];
        if let Some(e) = entry.get("error") {
            failures.push(format!("{name}: rospkg raised {e}"));
            continue;
        }
        let want = |k: &str| -> BTreeSet<String> {
            entry[k]
                .as_array()
                .expect("list")
                .iter()
                .map(|v| v.as_str().expect("name").to_owned())
                .collect()
        };
        for (label, ours, theirs) in [
            ("implicit=True", implicit, want("implicit")),
            ("implicit=False", direct, want("direct")),
        ] {
            if ours != theirs {
                failures.push(format!(
                    "{name} ({label}): rospkg {theirs:?}, `rosdeb pkg --deps all deps{}` {ours:?}",
                    if label == "implicit=False" { " --direct" } else { "" }
                ));
            }
        }
    }
    (names.len(), failures)
}

#[test]
fn deps_all_matches_python_rospkg() {
    let work = TempDir::new("rosdep-home");
    let ros_home = offline_rosdep_home(work.path());
    // Every tag, formats 1-3, an unknown key, a system key, a metapackage and a chain.
    let files = [
        (
            "ws/top/package.xml",
            package_xml(
                2,
                "top",
                &[
                    "<buildtool_depend>catkin_like</buildtool_depend>",
                    "<build_depend>b1</build_depend>",
                    "<build_export_depend>bx</build_export_depend>",
                    "<exec_depend>e1</exec_depend>",
                    "<test_depend>t1</test_depend>",
                    "<doc_depend>doc_only</doc_depend>",
                    "<depend>boost</depend>",
                    "<depend>not_a_key</depend>",
                    "<exec_depend>meta</exec_depend>",
                ],
            ),
        ),
        ("ws/catkin_like/package.xml", package_xml(2, "catkin_like", &[])),
        ("ws/g/b1/package.xml", package_xml(1, "b1", &["<run_depend>r1</run_depend>"])),
        ("ws/g/r1/package.xml", package_xml(1, "r1", &["<build_depend>deep</build_depend>"])),
        ("ws/g/h/deep/package.xml", package_xml(3, "deep", &[])),
        (
            "ws/bx/package.xml",
            package_xml(2, "bx", &["<buildtool_export_depend>bte</buildtool_export_depend>"]),
        ),
        ("ws/bte/package.xml", package_xml(2, "bte", &[])),
        ("ws/e1/package.xml", package_xml(3, "e1", &["<depend>deep</depend>"])),
        ("ws/t1/package.xml", package_xml(2, "t1", &["<test_depend>e1</test_depend>"])),
        ("ws/doc_only/package.xml", package_xml(2, "doc_only", &[])),
        (
            "ws/meta/package.xml",
            package_xml(
                2,
                "meta",
                &["<exec_depend>e1</exec_depend>", "<export><metapackage/></export>"],
            ),
        ),
    ];
    let dir = tree("rospkg-deps", &files);
    let w = dir.path().join("ws");
    let (n, mut failures) = compare_with_rospkg(&ros_home, &[&w]);
    assert_eq!(n, files.len() - 1, "rospkg lists every package but the metapackage");
    let noetic = ws("real/noetic");
    let (n_noetic, more) = compare_with_rospkg(&ros_home, &[&noetic]);
    failures.extend(more);
    assert!(n_noetic > 50, "real/noetic holds {n_noetic} packages");
    assert!(
        failures.is_empty(),
        "`rosdeb pkg --deps all` differs from rospkg's get_depends:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile manifests

/// One package whose `condition` nests 5,000 parentheses used to overflow the stack of every
/// command on its search path (exit 134). Now that package alone carries a positioned warning:
/// `pkg` lists and resolves everything, and `rospack` / `rosstack` answer as Debian's do on
/// the same tree (which ignores conditions).
#[test]
fn deeply_nested_condition_is_a_diagnostic_for_its_package_only() {
    use crate::harness::{Cmp, ROSPACK, ROSSTACK, normalize};
    let condition = format!("{}$ROS_VERSION == 1{}", "(".repeat(5_000), ")".repeat(5_000));
    let depend = format!("<depend condition=\"{condition}\">good_b</depend>");
    let t = tree(
        "nested-condition",
        &[
            ("evil/package.xml", package_xml(3, "evil", &[&depend])),
            ("good_a/package.xml", package_xml(3, "good_a", &[])),
            (
                "good_b/package.xml",
                package_xml(3, "good_b", &["<exec_depend>good_a</exec_depend>"]),
            ),
            (
                "meta/package.xml",
                package_xml(
                    2,
                    "meta",
                    &[
                        "<buildtool_depend>catkin</buildtool_depend>",
                        "<exec_depend>good_b</exec_depend>",
                        "<export><metapackage/></export>",
                    ],
                ),
            ),
        ],
    );
    let root = s(t.path());
    expect_stdout(
        &[t.path()],
        &["list"],
        &format!("evil {root}/evil\ngood_a {root}/good_a\ngood_b {root}/good_b\n"),
    );
    expect_stdout(&[t.path()], &["deps", "good_b"], "good_a\n");
    let out = pkg(&[t.path()], &["diagnose"]);
    let report = out.stdout_str();
    let line = report.lines().find(|l| l.contains("nested parentheses")).unwrap_or_else(|| {
        panic!("no diagnostic about the nesting\n{}", show(&["diagnose"], &out))
    });
    assert!(
        line.starts_with(&format!("{root}/evil/package.xml:8:3: warning: condition '((((")),
        "{line}"
    );
    assert!(line.ends_with("expected at most 64 nested parentheses at column 65"), "{line}");
    assert!(line.len() < 400, "the expression is quoted by its start: {line}");
    assert_eq!(report.matches(": warning: ").count() + report.matches(": error: ").count(), 1);

    // The compatibility front ends against Debian's rospack / rosstack on the same tree.
    let cases: [(&str, &str, &[&str]); 6] = [
        ("rospack", ROSPACK, &["list"]),
        ("rospack", ROSPACK, &["list-names"]),
        ("rospack", ROSPACK, &["depends", "evil"]),
        ("rospack", ROSPACK, &["depends-on", "good_a"]),
        ("rospack", ROSPACK, &["find", "good_b"]),
        ("rosstack", ROSSTACK, &["list-names"]),
    ];
    for (tool, oracle, args) in cases {
        let side = |ours: bool| {
            let sandbox = Sandbox::new("nested-condition");
            let (program, mut all): (PathBuf, Vec<OsString>) =
                if ours { (rosdeb(), vec![tool.into()]) } else { (oracle.into(), Vec::new()) };
            all.extend(args.iter().map(OsString::from));
            run(&Invocation {
                program,
                args: all,
                env: base_env(&sandbox, Some(t.path().as_os_str())),
                dir: RunDir::Path(sandbox.cwd()),
                stdin: None,
            })
        };
        let (theirs, ours) = (side(false), side(true));
        let what = format!("{tool} {}", args.join(" "));
        assert!(ours.crash().is_none() && ours.code == 0, "{what}: {}", show(args, &ours));
        assert_eq!(ours.code, theirs.code, "{what}: exit status");
        if tool == "rosstack" {
            // Debian's rosstack and ours disagree on what a stack is (D5); ours lists the
            // metapackage (and the metapackages Debian installs under /usr/share, left out).
            let listed = crate::harness::without_usr_share(ours.stdout_str().as_bytes());
            assert_eq!(String::from_utf8_lossy(&listed), "meta\n", "{what}");
        } else {
            let (theirs, ours) =
                (normalize(Cmp::LineSet, &theirs.stdout), normalize(Cmp::LineSet, &ours.stdout));
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{what}: stdout"
            );
        }
    }
}
