//! Integration tests of `rosdeb deb build`: the path on stdout, the `--json` document, the
//! archive checked with dpkg-deb, and exit codes (1 on a refused input, 2 on a bad flag).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::harness::{TempDir, rosdeb};

const CONTROL: &str = "Package: cli-test\nVersion: 2:0.1-1\nArchitecture: all\n\
Maintainer: A <a@example.org>\nDescription: cli test\n built by rosdeb deb build\n";

fn setup(dir: &Path) {
    let bin = dir.join("staging/usr/bin");
    fs_err::create_dir_all(&bin).unwrap();
    fs_err::write(bin.join("tool"), "#!/bin/sh\necho hi\n").unwrap();
    fs_err::set_permissions(bin.join("tool"), std::fs::Permissions::from_mode(0o700)).unwrap();
    fs_err::write(dir.join("control"), CONTROL).unwrap();
    fs_err::write(dir.join("postinst"), "#!/bin/sh\nexit 0\n").unwrap();
}

fn deb(dir: &Path, args: &[&str]) -> Output {
    Command::new(rosdeb())
        .args(["deb", "build"])
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

#[test]
fn build_prints_the_path_and_json() {
    let tmp = TempDir::new("deb-build");
    let dir = tmp.path();
    setup(dir);
    let out =
        deb(dir, &["staging", "--control", "control", "--out", "out", "--script", "postinst"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "out/cli-test_0.1-1_all.deb\n");
    let contents = Command::new("dpkg-deb")
        .arg("-c")
        .arg(dir.join("out/cli-test_0.1-1_all.deb"))
        .output()
        .unwrap();
    let contents = String::from_utf8(contents.stdout).unwrap();
    // The staged 0700 stays 0700, as dpkg-deb keeps it.
    assert!(contents.contains("-rwx------ root/root"), "{contents}");

    let out = deb(
        dir,
        &["staging", "--control", "control", "--out", "out2", "--script", "postinst", "--json"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["name"], "cli-test");
    assert_eq!(doc["version"], "2:0.1-1");
    assert_eq!(doc["architecture"], "all");
    assert_eq!(doc["path"], "out2/cli-test_0.1-1_all.deb");
    let first = fs_err::read(dir.join("out/cli-test_0.1-1_all.deb")).unwrap();
    let second = fs_err::read(dir.join("out2/cli-test_0.1-1_all.deb")).unwrap();
    assert_eq!(first, second, "same inputs, same bytes");
    assert_eq!(doc["size"], first.len());
    assert_eq!(doc["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn refused_inputs_exit_1_and_bad_flags_exit_2() {
    let tmp = TempDir::new("deb-refused");
    let dir = tmp.path();
    setup(dir);
    std::os::unix::fs::symlink("../../../../etc/passwd", dir.join("staging/usr/bin/evil")).unwrap();
    let out = deb(dir, &["staging", "--control", "control", "--out", "out"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: building a .deb from `staging`"), "{stderr}");
    assert!(stderr.contains("symlink `usr/bin/evil`"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(!dir.join("out/cli-test_0.1-1_all.deb").exists());

    let out = deb(dir, &["staging", "--control", "control", "--out", "out", "--script", "control"]);
    assert_eq!(out.status.code(), Some(1));
    let out = deb(dir, &["staging", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
}
