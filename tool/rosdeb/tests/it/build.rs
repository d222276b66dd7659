//! Integration tests of `rosdeb build`: build type `none` packages (a metapackage and a data
//! package from fixtures/build) for ubuntu:focal and debian:bookworm, checked with the real
//! `dpkg-deb` and `lintian`; dependency order, byte-identical rebuilds, `--json`, the refusal of
//! a compiling package (others still built, exit 1) and a dependency cycle.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::harness::{TempDir, rosdeb};

const EPOCH: &str = "1700000000";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").canonicalize().unwrap()
}

/// `rosdeb build PKGS --distro noetic --os OS --out OUT` in fixtures/build, with the tiny rules
/// file, no system sources lists and the host pinned to Debian bookworm.
fn build(packages: &[&str], os: &str, out: &Path, extra: &[&str]) -> Output {
    let empty = TempDir::new("build-empty");
    let dir = fixtures().join("build");
    let distro_file = fixtures().join("rosdistro/noetic/distribution.yaml");
    Command::new(rosdeb())
        .current_dir(&dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", empty.path())
        .env("ROSDEP_SOURCE_PATH", empty.path())
        .env("ROS_OS_OVERRIDE", "debian:12:bookworm")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .arg("build")
        .args(packages)
        .args(["--distro", "noetic", "--os", os, "--rosdep", "rosdep.yaml"])
        .arg("--distro-file")
        .arg(distro_file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn dpkg_deb(flag: &str, deb: &Path) -> String {
    let out = Command::new("dpkg-deb").arg(flag).arg(deb).output().unwrap();
    assert!(out.status.success(), "dpkg-deb {flag} {}: {}", deb.display(), text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn builds_none_packages_in_dependency_order_for_focal_and_bookworm() {
    for (os, codename) in [("ubuntu:focal", "focal"), ("debian:bookworm", "bookworm")] {
        let tmp = TempDir::new("build-none");
        let out = build(&["demo_robot", "demo_description"], os, tmp.path(), &[]);
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{os}: {stderr}");
        let robot = tmp.path().join(format!("ros-noetic-demo-robot_1.0.0-0{codename}_all.deb"));
        let data =
            tmp.path().join(format!("ros-noetic-demo-description_0.3.1-0{codename}_all.deb"));
        // The metapackage depends on the data package: built second although given first.
        assert_eq!(text(&out.stdout), format!("{}\n{}\n", data.display(), robot.display()));
        assert!(stderr.contains("NAME") && stderr.contains("2 built, 0 failed"), "{stderr}");

        let info = dpkg_deb("--info", &robot);
        assert!(info.contains(" Package: ros-noetic-demo-robot\n"), "{info}");
        assert!(info.contains(&format!(" Version: 1.0.0-0{codename}\n")), "{info}");
        assert!(info.contains(" Architecture: all\n"), "{info}");
        assert!(info.contains(" Depends: ros-noetic-demo-description\n"), "{info}");
        assert!(!info.contains("${"), "no substitution variable left: {info}");
        let contents = dpkg_deb("--contents", &robot);
        assert!(contents.contains("./opt/ros/noetic/share/demo_robot/package.xml"), "{contents}");
        assert!(!contents.contains("CMakeLists.txt"), "a metapackage ships its package.xml only");
        assert!(contents.contains("./usr/share/doc/ros-noetic-demo-robot/copyright"), "{contents}");
        assert!(contents.contains("changelog.Debian.gz"), "{contents}");

        let info = dpkg_deb("--info", &data);
        assert!(info.contains(" Package: ros-noetic-demo-description\n"), "{info}");
        assert!(info.contains(" Architecture: all\n"), "{info}");
        assert!(info.contains(" Depends: ros-noetic-xacro\n"), "{info}");
        let contents = dpkg_deb("--contents", &data);
        for file in ["package.xml", "urdf/robot.urdf", "launch/display.launch"] {
            let path = format!("./opt/ros/noetic/share/demo_description/{file}");
            assert!(contents.contains(&path), "{path} missing: {contents}");
        }

        let lintian = Command::new("lintian").arg(&robot).arg(&data).output().unwrap();
        let report = text(&lintian.stdout);
        assert!(!report.lines().any(|l| l.starts_with("E:")), "lintian errors:\n{report}");
    }
}

#[test]
fn rebuild_is_byte_identical_and_json_lists_the_debs() {
    let first = TempDir::new("build-first");
    let second = TempDir::new("build-second");
    let out = build(&["demo_description", "demo_robot"], "ubuntu:focal", first.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out =
        build(&["demo_description", "demo_robot"], "ubuntu:focal", second.path(), &["--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = doc.as_array().expect("a JSON list");
    assert_eq!(list.len(), 2);
    for (entry, name, version) in [
        (&list[0], "ros-noetic-demo-description", "0.3.1-0focal"),
        (&list[1], "ros-noetic-demo-robot", "1.0.0-0focal"),
    ] {
        let keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 5, "{entry}");
        for key in ["name", "version", "architecture", "path", "sha256"] {
            assert!(keys.contains(&key), "{key} missing: {entry}");
        }
        assert_eq!(entry["name"], name);
        assert_eq!(entry["version"], version);
        assert_eq!(entry["architecture"], "all");
        let file = format!("{name}_{version}_all.deb");
        let path = PathBuf::from(entry["path"].as_str().unwrap());
        assert_eq!(path, second.path().join(&file));
        let a = fs_err::read(first.path().join(&file)).unwrap();
        let b = fs_err::read(&path).unwrap();
        assert_eq!(a, b, "{file}: a rebuild gives the same bytes");
        assert_eq!(entry["sha256"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn compiling_packages_are_refused_and_the_others_still_build() {
    let tmp = TempDir::new("build-catkin");
    // Another codename than the (pinned) host's, without --chroot: refused, with why.
    let out =
        build(&["demo_driver", "demo_description", "demo_robot"], "ubuntu:focal", tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: demo_driver: build type `catkin` compiles"), "{stderr}");
    assert!(stderr.contains("ubuntu:focal is not this debian:bookworm host"), "{stderr}");
    assert!(stderr.contains("hint: pass --chroot DIR"), "{stderr}");
    assert!(stderr.contains("2 built, 1 failed"), "{stderr}");
    assert_eq!(text(&out.stdout).lines().count(), 2, "the none packages are still built");
    assert!(tmp.path().join("ros-noetic-demo-robot_1.0.0-0focal_all.deb").is_file());

    // The host's own codename (or --chroot): refused as not built yet.
    for (os, extra) in [("debian:bookworm", &[][..]), ("ubuntu:focal", &["--chroot", "/"][..])] {
        let out = build(&["demo_driver", "demo_description"], os, tmp.path(), extra);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("error: demo_driver: build type `catkin` is not built by rosdeb yet"),
            "{os}: {stderr}"
        );
        assert_eq!(text(&out.stdout).lines().count(), 1, "{os}");
    }
}

#[test]
fn a_dependency_cycle_names_its_members() {
    let tmp = TempDir::new("build-cycle");
    let out = build(&["cycle_a", "demo_description", "cycle_b"], "ubuntu:focal", tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: cycle_a: dependency cycle among cycle_a, cycle_b"), "{stderr}");
    assert!(stderr.contains("error: cycle_b: dependency cycle among cycle_a, cycle_b"), "{stderr}");
    assert!(stderr.contains("1 built, 2 failed"), "{stderr}");
    assert!(tmp.path().join("ros-noetic-demo-description_0.3.1-0focal_all.deb").is_file());
}
