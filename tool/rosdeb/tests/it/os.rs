//! Integration tests of `rosdeb os`: text and `--json` output on the os-release samples (`--root`), `ROS_OS_OVERRIDE` winning over detection, and exit codes (1 when nothing is detected, 2 on a bad flag).
//!
//! The answers themselves are checked against Python rospkg in `tool/rospkg/tests/it/os_detect.rs`;
//! here the command line around them is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{Invocation, Outcome, RunDir, Sandbox, TempDir, base_env, rosdeb, run};

fn sample(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/data/os-release").join(name);
    p.canonicalize().unwrap_or_else(|e| panic!("sample {} is missing: {e}", p.display()))
}

/// Runs `rosdeb os <args>` in a sandbox; `override_` sets ROS_OS_OVERRIDE.
fn os(args: &[&OsString], override_: Option<&str>) -> Outcome {
    let sandbox = Sandbox::new("os");
    let mut env = base_env(&sandbox, None);
    if let Some(v) = override_ {
        env.push(("ROS_OS_OVERRIDE".into(), v.into()));
    }
    let mut all: Vec<OsString> = vec!["os".into()];
    all.extend(args.iter().map(|a| (*a).clone()));
    run(&Invocation {
        program: rosdeb(),
        args: all,
        env,
        dir: RunDir::Path(sandbox.cwd()),
        stdin: None,
    })
}

fn os_root(root: &Path, json: bool, override_: Option<&str>) -> Outcome {
    let flag: OsString = "--root".into();
    let dir: OsString = root.as_os_str().to_owned();
    let j: OsString = "--json".into();
    let mut args = vec![&flag, &dir];
    if json {
        args.push(&j);
    }
    os(&args, override_)
}

fn json_of(out: &Outcome) -> Value {
    assert_eq!(out.code, 0, "stderr: {}", out.stderr_str());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout_str()))
}

#[test]
fn json_is_exactly_name_version_codename() {
    let cases = [
        ("ubuntu-24.04", json!({"name": "ubuntu", "version": "24.04", "codename": "noble"})),
        ("debian-12", json!({"name": "debian", "version": "12", "codename": "bookworm"})),
        (
            "debian-testing-trixie-sid",
            json!({"name": "debian", "version": "", "codename": "trixie"}),
        ),
        ("raspbian-10", json!({"name": "raspbian", "version": "10", "codename": "buster"})),
        ("fedora-42", json!({"name": "fedora", "version": "42", "codename": "forty two"})),
        ("linuxmint-22", json!({"name": "mint", "version": "22", "codename": "wilma"})),
        ("arch-rolling", json!({"name": "arch", "version": "", "codename": ""})),
        ("opensuse-leap-15.6", json!({"name": "opensuse", "version": "15.6", "codename": "15.6"})),
    ];
    for (name, expected) in cases {
        let out = os_root(&sample(name), true, None);
        assert_eq!(json_of(&out), expected, "{name}");
        assert!(out.stderr.is_empty(), "{name}: stderr {}", out.stderr_str());
        // Field order is fixed: name, version, codename.
        let text = out.stdout_str();
        let (n, v, c) =
            (text.find("\"name\""), text.find("\"version\""), text.find("\"codename\""));
        assert!(n < v && v < c, "{name}: {text}");
    }
}

#[test]
fn text_is_three_key_value_lines() {
    let out = os_root(&sample("ubuntu-24.04"), false, None);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert_eq!(out.stdout_str(), "name: ubuntu\nversion: 24.04\ncodename: noble\n");
    let out = os_root(&sample("arch-rolling"), false, None);
    assert_eq!(out.stdout_str(), "name: arch\nversion:\ncodename:\n");
}

#[test]
fn every_sample_is_detected() {
    let dir = sample("");
    let mut n = 0;
    for entry in fs_err::read_dir(&dir).unwrap() {
        let root = entry.unwrap().path();
        let doc = json_of(&os_root(&root, true, None));
        let obj = doc.as_object().unwrap();
        assert_eq!(obj.len(), 3, "{}", root.display());
        assert!(!obj["name"].as_str().unwrap().is_empty(), "{}", root.display());
        n += 1;
    }
    assert!(n >= 20);
}

#[test]
fn empty_root_fails_with_a_message_and_exit_1() {
    let empty = TempDir::new("os-empty");
    for json in [false, true] {
        let out = os_root(empty.path(), json, None);
        assert_eq!(out.code, 1);
        assert!(out.stdout.is_empty(), "stdout: {}", out.stdout_str());
        let err = out.stderr_str();
        assert!(err.starts_with("error: could not detect the operating system under "), "{err}");
        assert!(err.contains("hint: set ROS_OS_OVERRIDE="), "{err}");
    }
    let out = os_root(&empty.path().join("missing"), true, None);
    assert_eq!(out.code, 1);
    assert!(out.stderr_str().contains("is not a directory"), "{}", out.stderr_str());
}

#[test]
fn ros_os_override_wins() {
    let out = os_root(&sample("fedora-42"), true, Some("ubuntu:24.04:noble"));
    assert_eq!(json_of(&out), json!({"name": "ubuntu", "version": "24.04", "codename": "noble"}));
    // Even where nothing could be detected; missing parts are empty (rospkg's parsing).
    let empty = TempDir::new("os-override");
    let out = os_root(empty.path(), true, Some("fubuntu:04.10"));
    assert_eq!(json_of(&out), json!({"name": "fubuntu", "version": "04.10", "codename": ""}));
    let out = os_root(empty.path(), false, Some("arch"));
    assert_eq!(out.stdout_str(), "name: arch\nversion:\ncodename:\n");
    // An override without a name is an error, as in rospkg.
    let out = os_root(&sample("debian-12"), true, Some(""));
    assert_eq!(out.code, 1);
    assert!(out.stderr_str().contains("ROS_OS_OVERRIDE"), "{}", out.stderr_str());
}

#[test]
fn host_and_bad_flags() {
    let out = os(&[], None);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert_eq!(out.stdout_str().lines().count(), 3);
    assert!(out.stdout_str().starts_with("name: "));
    let bad: OsString = "--bogus".into();
    assert_eq!(os(&[&bad], None).code, 2);
}
