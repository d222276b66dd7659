//! Integration tests of `rosdeb build`: build type `none` packages (a metapackage and a data
//! package from fixtures/build) for ubuntu:focal and debian:bookworm, checked with the real
//! `dpkg-deb` and `lintian`; dependency order, byte-identical rebuilds, `--json`, the refusal of
//! a compiling package for another codename (others still built, exit 1) and a dependency cycle.
//! The compiling build types (catkin, cmake, cargo, setup.py) are built for this Debian
//! bookworm host with the real cmake, cargo and python3, natively and through
//! `dpkg-buildpackage`; a failed build is one row and its dependents are skipped. Real catkin
//! message packages (common_msgs 1.13.2 in fixtures/release/sources) build against Debian's
//! own ROS packages, and their generated Python agrees with Debian's.

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
    build_with(packages, os, out, extra, &[])
}

/// [`build`] with extra environment variables.
fn build_with(
    packages: &[&str],
    os: &str,
    out: &Path,
    extra: &[&str],
    env: &[(String, String)],
) -> Output {
    let distro_file = fixtures().join("rosdistro/noetic/distribution.yaml");
    let (mut command, _empty) =
        build_command(&fixtures().join("build"), packages, os, &distro_file);
    command
        .args(["--rosdep", "rosdep.yaml", "--out"])
        .arg(out)
        .args(extra)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

/// `rosdeb build PKGS --distro noetic --os OS --distro-file FILE` in `dir`, with no system
/// sources lists (the empty folder returned, to keep while it runs), the host pinned to Debian
/// bookworm and `SOURCE_DATE_EPOCH` set.
fn build_command(
    dir: &Path,
    packages: &[&str],
    os: &str,
    distro_file: &Path,
) -> (Command, TempDir) {
    let empty = TempDir::new("build-empty");
    let mut command = Command::new(rosdeb());
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", empty.path())
        .env("ROSDEP_SOURCE_PATH", empty.path())
        .env("ROS_OS_OVERRIDE", "debian:12:bookworm")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .arg("build")
        .args(packages)
        .args(["--distro", "noetic", "--os", os, "--distro-file"])
        .arg(distro_file);
    (command, empty)
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
fn compiling_for_another_codename_without_chroot_is_refused() {
    let tmp = TempDir::new("build-catkin");
    // Another codename than the (pinned) host's, without --chroot: refused, with why.
    let out =
        build(&["demo_driver", "demo_cmake", "demo_description"], "ubuntu:focal", tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: demo_driver: build type `catkin` compiles"), "{stderr}");
    assert!(stderr.contains("ubuntu:focal is not this debian:bookworm host"), "{stderr}");
    assert!(stderr.contains("hint: pass --chroot DIR"), "{stderr}");
    assert!(stderr.contains("1 built, 2 failed"), "{stderr}");
    assert_eq!(text(&out.stdout).lines().count(), 1, "the none package is still built");
    assert!(tmp.path().join("ros-noetic-demo-description_0.3.1-0focal_all.deb").is_file());

    let out = build(&["demo_catkin", "demo_cmake"], "ubuntu:jammy", tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for (name, build_type) in [("demo_catkin", "catkin"), ("demo_cmake", "cmake")] {
        let refusal = format!(
            "error: {name}: build type `{build_type}` compiles, and ubuntu:jammy is not this \
             debian:bookworm host: the binaries would link against the host's libraries"
        );
        assert!(stderr.contains(&refusal), "{stderr}");
    }
    assert!(stderr.contains("hint: pass --chroot DIR with a root directory of ubuntu:jammy"));
    assert!(stderr.contains("0 built, 2 failed"), "{stderr}");
    assert!(!tmp.path().join("demo_cmake.build.log").exists(), "nothing was run");
}

/// The environment the compiling tests add: cargo's folder on the PATH and rustup's homes
/// (the test's HOME is empty).
fn toolchain_env() -> Vec<(String, String)> {
    let cargo = std::env::var("CARGO").map(PathBuf::from).unwrap_or_else(|_| "cargo".into());
    let cargo = cargo.canonicalize().unwrap_or(cargo);
    let mut path = String::from("/usr/bin:/bin");
    if let Some(dir) = cargo.parent().filter(|d| !d.as_os_str().is_empty()) {
        path = format!("{}:{path}", dir.display());
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let mut env = vec![("PATH".to_owned(), path)];
    for (var, default) in
        [("RUSTUP_HOME", format!("{home}/.rustup")), ("CARGO_HOME", format!("{home}/.cargo"))]
    {
        env.push((var.to_owned(), std::env::var(var).unwrap_or(default)));
    }
    if let Ok(toolchain) = std::env::var("RUSTUP_TOOLCHAIN") {
        env.push(("RUSTUP_TOOLCHAIN".to_owned(), toolchain));
    }
    env
}

/// lintian's errors and warnings (info and pedantic tags are accepted).
fn lintian_complaints(debs: &[PathBuf]) -> Vec<String> {
    let out = Command::new("lintian").args(debs).output().unwrap();
    text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:"))
        .map(str::to_owned)
        .collect()
}

const COMPILED: [&str; 4] = ["demo_cmake", "demo_catkin", "demo_rust", "demo_py"];

#[test]
fn compiles_catkin_cmake_cargo_and_setup_py_for_the_host_reproducibly() {
    let first = TempDir::new("build-compiled-1");
    let out = build_with(&COMPILED, "debian:bookworm", first.path(), &[], &toolchain_env());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("4 built, 0 failed"), "{stderr}");
    let arch = text(&Command::new("dpkg").arg("--print-architecture").output().unwrap().stdout)
        .trim()
        .to_owned();
    let deb = |name: &str, version: &str, arch: &str| {
        first.path().join(format!("ros-noetic-{name}_{version}-0bookworm_{arch}.deb"))
    };
    let cmake = deb("demo-cmake", "1.4.0", &arch);
    let catkin = deb("demo-catkin", "0.2.0", &arch);
    let rust = deb("demo-rust", "0.3.0", &arch);
    let py = deb("demo-py", "0.5.0", "all");
    let debs = [cmake.clone(), catkin.clone(), rust.clone(), py.clone()];
    assert_eq!(
        text(&out.stdout),
        debs.iter().map(|d| format!("{}\n", d.display())).collect::<String>()
    );

    let expect = |deb: &Path, arch: &str, depends: &[&str], files: &[&str]| {
        let info = dpkg_deb("--info", deb);
        assert!(info.contains(&format!(" Architecture: {arch}\n")), "{info}");
        assert!(!info.contains("${"), "no substitution variable left: {info}");
        let line = info.lines().find(|l| l.starts_with(" Depends: ")).unwrap_or_default();
        for d in depends {
            assert!(line.contains(d), "{} lacks `{d}`: {info}", deb.display());
        }
        let contents = dpkg_deb("--contents", deb);
        for f in files {
            assert!(contents.contains(&format!(" ./{f}\n")), "{f} missing: {contents}");
        }
        contents
    };
    // The executable links tinyxml2: dpkg-shlibdeps adds the library package.
    expect(
        &cmake,
        &arch,
        &["libtinyxml2-9 (>= ", "libc6 (>= ", "libstdc++6"],
        &["opt/ros/noetic/bin/demo_xml_root", "opt/ros/noetic/share/demo_cmake/package.xml"],
    );
    // catkin's layout: library in lib/, node in lib/<name>/, cmake config and pkg-config file;
    // the package's own library is not a dependency.
    let contents = expect(
        &catkin,
        &arch,
        &["libstdc++6"],
        &[
            "opt/ros/noetic/lib/libdemo_catkin.so",
            "opt/ros/noetic/lib/demo_catkin/demo_catkin_node",
            "opt/ros/noetic/include/demo_catkin/greeter.h",
            "opt/ros/noetic/share/demo_catkin/cmake/demo_catkinConfig.cmake",
            "opt/ros/noetic/share/demo_catkin/package.xml",
            "opt/ros/noetic/lib/pkgconfig/demo_catkin.pc",
        ],
    );
    assert!(!contents.contains("setup.sh"), "binary packages ship no catkin setup files");
    assert!(!dpkg_deb("--info", &catkin).contains("demo-catkin ("), "no self-dependency");
    expect(&rust, &arch, &["libc6 (>= "], &["opt/ros/noetic/bin/demo_rust"]);
    let contents = expect(
        &py,
        "all",
        &["python3"],
        &[
            "opt/ros/noetic/bin/demo_py_hello",
            "opt/ros/noetic/lib/python3.11/site-packages/demo_py/__init__.py",
            "opt/ros/noetic/share/demo_py/package.xml",
        ],
    );
    assert!(!contents.contains(".pyc"), "no byte-compiled files: {contents}");

    // The built programs run.
    let root = TempDir::new("build-compiled-root");
    for d in &debs {
        let x = Command::new("dpkg-deb").arg("-x").arg(d).arg(root.path()).status().unwrap();
        assert!(x.success());
    }
    let prefix = root.path().join("opt/ros/noetic");
    let run = Command::new(prefix.join("lib/demo_catkin/demo_catkin_node"))
        .env("LD_LIBRARY_PATH", prefix.join("lib"))
        .output()
        .unwrap();
    assert_eq!(text(&run.stdout), "hello, robot (./src/greeter.cpp)\n", "source paths are mapped");
    let run = Command::new(prefix.join("bin/demo_xml_root"))
        .arg(fixtures().join("build/demo_cmake/package.xml"))
        .output()
        .unwrap();
    assert_eq!(text(&run.stdout), "package\n");
    let run = Command::new(prefix.join("bin/demo_rust")).output().unwrap();
    assert_eq!(text(&run.stdout), "demo_rust says hello to robot\n");

    for name in COMPILED {
        let log = fs_err::read_to_string(first.path().join(format!("{name}.build.log"))).unwrap();
        assert!(log.starts_with("$ "), "{name}: the log records the commands: {log}");
    }
    assert_eq!(lintian_complaints(&debs), Vec::<String>::new(), "lintian: no error, no warning");

    let second = TempDir::new("build-compiled-2");
    let out = build_with(&COMPILED, "debian:bookworm", second.path(), &[], &toolchain_env());
    assert!(out.status.success(), "{}", text(&out.stderr));
    for d in &debs {
        let name = d.file_name().unwrap();
        let a = fs_err::read(d).unwrap();
        let b = fs_err::read(second.path().join(name)).unwrap();
        assert!(a == b, "{}: a rebuild gives the same bytes", name.to_string_lossy());
    }
}

#[test]
fn a_failed_build_is_one_row_and_its_dependents_are_skipped() {
    let tmp = TempDir::new("build-broken");
    let out = build(
        &["demo_needs_broken", "demo_broken", "demo_description"],
        "debian:bookworm",
        tmp.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: demo_broken: `cmake --build"), "{stderr}");
    assert!(stderr.contains("this_does_not_compile"), "the log's tail is shown: {stderr}");
    let log = tmp.path().join("demo_broken.build.log");
    assert!(stderr.contains(&format!("hint: the whole output is in `{}`", log.display())));
    assert!(fs_err::read_to_string(&log).unwrap().contains("this_does_not_compile"));
    assert!(
        stderr.contains(
            "error: demo_needs_broken: not built: its build dependency `demo_broken` failed"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("1 built, 2 failed"), "{stderr}");
    let table: Vec<&str> = stderr.lines().filter(|l| l.ends_with("FAILED")).collect();
    assert_eq!(table.len(), 2, "{stderr}");
    let files: Vec<String> = fs_err::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut files = files;
    files.sort();
    assert_eq!(
        files,
        ["demo_broken.build.log", "ros-noetic-demo-description_0.3.1-0bookworm_all.deb"],
        "no temporary or half-written file is left"
    );
}

#[test]
fn via_dpkg_buildpackage_builds_with_debhelper() {
    assert!(
        Path::new("/usr/bin/dh").exists(),
        "debhelper is missing: apt-get install debhelper dpkg-dev"
    );
    let tmp = TempDir::new("build-dpkg");
    let out = build(
        &["demo_cmake", "demo_description"],
        "debian:bookworm",
        tmp.path(),
        &["--via", "dpkg-buildpackage", "--json"],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = doc.as_array().unwrap();
    assert_eq!(list.len(), 2, "{doc}");
    let cmake = PathBuf::from(list[0]["path"].as_str().unwrap());
    assert_eq!(list[0]["name"], "ros-noetic-demo-cmake");
    assert_eq!(list[0]["version"], "1.4.0-0bookworm");
    assert_eq!(list[1]["architecture"], "all");
    let info = dpkg_deb("--info", &cmake);
    assert!(info.contains("libtinyxml2-9"), "dh_shlibdeps ran: {info}");
    let contents = dpkg_deb("--contents", &cmake);
    assert!(contents.contains("./opt/ros/noetic/bin/demo_xml_root"), "{contents}");
    let log = fs_err::read_to_string(tmp.path().join("demo_cmake.build.log")).unwrap();
    assert!(log.contains("dh_auto_configure"), "debhelper built it: {log}");
    let data = PathBuf::from(list[1]["path"].as_str().unwrap());
    // rules/none.j2 ships what the native build stages.
    let files = |deb: &Path| -> Vec<String> {
        dpkg_deb("--contents", deb)
            .lines()
            .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
            .filter(|f| f.starts_with("./opt/") && !f.ends_with('/'))
            .collect()
    };
    let native = TempDir::new("build-dpkg-native");
    let out = build(&["demo_description"], "debian:bookworm", native.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected =
        files(&native.path().join("ros-noetic-demo-description_0.3.1-0bookworm_all.deb"));
    assert!(expected.contains(&"./opt/ros/noetic/share/demo_description/urdf/robot.urdf".into()));
    assert_eq!(files(&data), expected);
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

/// `fixtures/build/demo_description` copied as `name` into `dir`, package.xml changed by `edit`.
fn demo_copy(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> String {
    let pkg = dir.join(name);
    fs_err::create_dir_all(pkg.join("urdf")).unwrap();
    let xml = fs_err::read_to_string(fixtures().join("build/demo_description/package.xml"))
        .unwrap()
        .replace("<name>demo_description</name>", &format!("<name>{name}</name>"));
    fs_err::write(pkg.join("package.xml"), edit(xml)).unwrap();
    fs_err::write(pkg.join("urdf/demo.urdf"), "<robot name=\"demo\"/>\n").unwrap();
    pkg.display().to_string()
}

/// Hostile values in package.xml and in rosdep rules: each such package fails with an error that
/// names the file and field (or the rules file), no .deb of it (nor of an injected stanza) is
/// written, and the good package of the same run is still built and readable by dpkg-deb.
#[test]
fn injected_fields_and_bad_rule_names_fail_their_package_only() {
    let tmp = TempDir::new("build-inject");
    let src = tmp.path().join("src");
    let rules = tmp.path().join("evil.yaml");
    fs_err::write(
        &rules,
        "evil_newline:\n  ubuntu:\n    focal: [\"ros-noetic-xacro\\nPre-Depends: evil\"]\n\
         evil_names:\n  ubuntu:\n    focal: [\"a b (>> 1\"]\n\
         evil_upper:\n  ubuntu:\n    focal: [UPPER, \"x|y\"]\n\
         evil_empty:\n  ubuntu:\n    focal: [\"\"]\n\
         evil_nested:\n  ubuntu:\n    focal: [[a, b]]\n",
    )
    .unwrap();
    let maintainer = demo_copy(&src, "inj_maintainer", |x| {
        x.replace(">Jane Doe<", ">Jane Doe\nPre-Depends: evil<")
    });
    let url = demo_copy(&src, "inj_url", |x| {
        x.replace(
            "https://example.org/demo_description",
            "https://example.org\n\nPackage: coreutils\nPre-Depends: evil",
        )
    });
    let rule = demo_copy(&src, "inj_rule", |x| {
        x.replace("<exec_depend>xacro</exec_depend>", "<exec_depend>evil_newline</exec_depend>")
    });
    let names = demo_copy(&src, "bad_names", |x| {
        x.replace(
            "<exec_depend>xacro</exec_depend>",
            "<exec_depend>evil_names</exec_depend><exec_depend>evil_empty</exec_depend>\
             <exec_depend>evil_upper</exec_depend>\
             <exec_depend>evil_nested</exec_depend>",
        )
    });
    let rules_arg = rules.display().to_string();
    let out_dir = tmp.path().join("out");
    let out = build(
        &[&maintainer, &url, &rule, &names, "demo_description"],
        "ubuntu:focal",
        &out_dir,
        &["--rosdep", &rules_arg],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 built, 4 failed"), "{stderr}");
    for needle in [
        "debian/control field `Maintainer`",
        "debian/control field `Homepage`",
        "package.xml <url>",
        "evil.yaml:",
        "evil_newline",
        "evil_names",
        "evil_empty",
        "evil_nested",
        "evil_upper",
        "not a Debian package name",
    ] {
        assert!(stderr.contains(needle), "`{needle}` missing from:\n{stderr}");
    }
    let debs: Vec<String> = fs_err::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".deb"))
        .collect();
    assert_eq!(debs, ["ros-noetic-demo-description_0.3.1-0focal_all.deb"]);
    let info = dpkg_deb("--field", &out_dir.join(&debs[0]));
    assert!(!info.contains("Pre-Depends") && !info.contains("evil"), "{info}");
}

/// The folder of the tools `cargo xtask dist` and `cargo xtask ci` install from the package
/// registries (zig); cargo-zigbuild is in cargo's own bin folder.
fn zig_tools() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
    let tools = target.join("tools/bin");
    assert!(
        tools.join("zig").exists(),
        "zig is missing from {}: `cargo xtask ci` (or `cargo xtask dist`) installs it",
        tools.display()
    );
    tools
}

/// The highest GLIBC_x.y symbol version `file` needs, read by binutils' objdump.
fn objdump_glibc(file: &Path) -> (u32, u32) {
    let out = Command::new("objdump").arg("-T").arg(file).output().unwrap();
    assert!(out.status.success());
    text(&out.stdout)
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut p = v.split('.').map(|n| n.parse::<u32>().ok());
            Some((p.next()??, p.next()??))
        })
        .max()
        .expect("a dynamically linked binary needs glibc symbols")
}

#[test]
fn cargo_for_an_older_release_links_against_its_glibc() {
    let tmp = TempDir::new("build-zig");
    let mut env = toolchain_env();
    let path = env.iter_mut().find(|(k, _)| k == "PATH").unwrap();
    let cargo_home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
    path.1 = format!("{}:{cargo_home}/bin:{}", zig_tools().display(), path.1);
    // Focal has glibc 2.31; this bookworm host 2.36.
    let out = build_with(&["demo_rust"], "ubuntu:focal", tmp.path(), &[], &env);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let deb = tmp.path().join("ros-noetic-demo-rust_0.3.0-0focal_amd64.deb");
    let x = tmp.path().join("x");
    let status = Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&x).status().unwrap();
    assert!(status.success());
    let binary = x.join("opt/ros/noetic/bin/demo_rust");
    let needed = objdump_glibc(&binary);
    assert!(needed <= (2, 31), "the focal binary needs GLIBC_{}.{}", needed.0, needed.1);
    // Its libc6 relation is what it was linked against, not this host's symbols file's minimum.
    let depends = dpkg_deb("--field", &deb);
    let libc = depends.lines().find_map(|l| l.strip_prefix("Depends: ")).unwrap_or_default();
    assert!(
        libc.split(", ").any(|r| r == format!("libc6 (>= {}.{})", needed.0, needed.1)),
        "{depends}"
    );
    assert!(lintian_complaints(&[deb]).is_empty());

    // The same package for bookworm, natively: linked against this host's newer glibc, which
    // the focal check would refuse (the one rosdeb applies after every build).
    let native = TempDir::new("build-native");
    let out = build_with(&["demo_rust"], "debian:bookworm", native.path(), &[], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deb = native.path().join("ros-noetic-demo-rust_0.3.0-0bookworm_amd64.deb");
    let x = native.path().join("x");
    let status = Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&x).status().unwrap();
    assert!(status.success());
    assert!(objdump_glibc(&x.join("opt/ros/noetic/bin/demo_rust")) > (2, 31));
}

/// A copy of fixtures/build/demo_service in `dir` (`cp -a`: modes and folders as they are).
fn service_copy(dir: &Path) -> PathBuf {
    let pkg = dir.join("demo_service");
    let status = Command::new("cp")
        .arg("-a")
        .arg(fixtures().join("build/demo_service"))
        .arg(&pkg)
        .status()
        .unwrap();
    assert!(status.success());
    pkg
}

#[test]
fn a_rosdeb_export_names_the_package_and_ships_units_conffiles_and_scripts() {
    let tmp = TempDir::new("build-service");
    let out = build(&["demo_service"], "debian:bookworm", tmp.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deb = tmp.path().join("demo-service_0.2.0-0bookworm_all.deb");
    assert!(deb.is_file(), "{}", text(&out.stdout));
    let listing = dpkg_deb("--contents", &deb);
    for file in [
        "./lib/systemd/system/demo-service.service",
        "./etc/demo-service/demo.conf",
        "./usr/share/demo_service/package.xml",
    ] {
        assert!(listing.lines().any(|l| l.ends_with(file)), "{file} missing:\n{listing}");
    }
    assert!(!listing.contains("./opt/"), "{listing}");
    let control = tmp.path().join("control");
    let status =
        Command::new("dpkg-deb").arg("--control").arg(&deb).arg(&control).status().unwrap();
    assert!(status.success());
    assert_eq!(
        fs_err::read_to_string(control.join("conffiles")).unwrap(),
        "/etc/demo-service/demo.conf\n"
    );
    let postinst = fs_err::read_to_string(control.join("postinst")).unwrap();
    assert!(postinst.starts_with("#!/bin/sh") && !postinst.contains("#DEBHELPER#"), "{postinst}");
    let complaints = lintian_complaints(&[deb]);
    assert!(complaints.is_empty(), "{complaints:?}");

    // A symbolic link in packaging/root could ship a file of the building machine: refused.
    let copy = TempDir::new("build-service-link");
    let pkg = service_copy(copy.path());
    std::os::unix::fs::symlink("/etc/shadow", pkg.join("packaging/root/etc/demo-service/stolen"))
        .unwrap();
    let out = build(&[pkg.to_str().unwrap()], "debian:bookworm", &copy.path().join("out"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("only folders and regular files are shipped from packaging/root"),
        "{stderr}"
    );
    assert!(!copy.path().join("out/demo-service_0.2.0-0bookworm_all.deb").exists());

    // A prefix outside /usr and /opt is refused where it is read, with the place.
    let bad = TempDir::new("build-service-prefix");
    let pkg = service_copy(bad.path());
    let xml = fs_err::read_to_string(pkg.join("package.xml")).unwrap();
    fs_err::write(
        pkg.join("package.xml"),
        xml.replace("prefix=\"/usr\"", "prefix=\"/etc/../usr\""),
    )
    .unwrap();
    let out = build(&[pkg.to_str().unwrap()], "debian:bookworm", &bad.path().join("out"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("package.xml:10:5: <export><rosdeb>: prefix `/etc/../usr`"),
        "{stderr}"
    );
}

/// `rosdeb build PKGS --os debian:bookworm` of packages of the real common_msgs 1.13.2
/// (fixtures/release/sources/common_msgs), with the real rosdep rules plus the fixture's rules
/// mapping catkin and the message tooling to Debian bookworm's own packages.
fn build_common_msgs(packages: &[&str], out: &Path) -> Output {
    let data = fixtures().join("data/rosdistro");
    let dir = fixtures().join("release/sources/common_msgs");
    let distro_file = data.join("noetic/distribution.yaml");
    let (mut command, _empty) = build_command(&dir, packages, "debian:bookworm", &distro_file);
    command
        .arg("--rosdep")
        .arg(data.join("rosdep/base.yaml"))
        .arg("--rosdep")
        .arg(data.join("rosdep/python.yaml"))
        .arg("--rosdep")
        .arg(fixtures().join("release/common_msgs-rosdep.yaml"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// `python3` printing `<type> <md5sum>` of each message class, with `path` (if any) first on
/// `sys.path`; without it, the modules Debian installed.
fn message_md5s(path: Option<&Path>, classes: &[(&str, &str)]) -> String {
    let mut script = String::from("import sys\n");
    if let Some(path) = path {
        script.push_str(&format!("sys.path.insert(0, {:?})\n", path.display().to_string()));
    }
    for (module, class) in classes {
        script.push_str(&format!(
            "from {module} import {class}\nprint({class}._type, {class}._md5sum, \
             sys.modules[{class}.__module__].__file__)\n"
        ));
    }
    let out = Command::new("/usr/bin/python3").arg("-c").arg(&script).env_clear().output().unwrap();
    assert!(out.status.success(), "python3: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn builds_real_catkin_message_packages_reproducibly_without_bytecode() {
    let first = TempDir::new("build-msgs-1");
    let out = build_common_msgs(&["sensor_msgs", "geometry_msgs"], first.path());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let geometry = first.path().join("ros-noetic-geometry-msgs_1.13.2-1bookworm_all.deb");
    let sensor = first.path().join("ros-noetic-sensor-msgs_1.13.2-1bookworm_all.deb");
    // sensor_msgs build-depends on geometry_msgs: built second although given first.
    assert_eq!(text(&out.stdout), format!("{}\n{}\n", geometry.display(), sensor.display()));

    let info = dpkg_deb("--info", &sensor);
    assert!(info.contains(" Package: ros-noetic-sensor-msgs\n"), "{info}");
    assert!(info.contains(" Architecture: all\n"), "{info}");
    let depends = info.lines().find(|l| l.starts_with(" Depends: ")).unwrap_or_default();
    for dep in ["ros-noetic-geometry-msgs", "ros-message-runtime", "libstd-msgs-dev"] {
        assert!(depends.contains(dep), "{dep} missing: {info}");
    }
    let prefix = "./opt/ros/noetic";
    let py = "lib/python3/dist-packages";
    for (deb, files) in [
        (
            &geometry,
            vec![
                format!("{prefix}/include/geometry_msgs/Twist.h"),
                format!("{prefix}/{py}/geometry_msgs/msg/_Twist.py"),
                format!("{prefix}/share/geometry_msgs/msg/Twist.msg"),
                format!("{prefix}/share/geometry_msgs/cmake/geometry_msgsConfig.cmake"),
            ],
        ),
        (
            &sensor,
            vec![
                format!("{prefix}/include/sensor_msgs/Imu.h"),
                format!("{prefix}/include/sensor_msgs/SetCameraInfo.h"),
                format!("{prefix}/include/sensor_msgs/point_cloud2_iterator.h"),
                format!("{prefix}/{py}/sensor_msgs/msg/_Imu.py"),
                format!("{prefix}/{py}/sensor_msgs/srv/_SetCameraInfo.py"),
                format!("{prefix}/{py}/sensor_msgs/point_cloud2.py"),
                format!("{prefix}/share/sensor_msgs/srv/SetCameraInfo.srv"),
            ],
        ),
    ] {
        let contents = dpkg_deb("--contents", deb);
        for file in files {
            assert!(contents.contains(&format!(" {file}\n")), "{file} missing:\n{contents}");
        }
        // genmsg byte-compiles the generated modules; as dh_python3 does, none is shipped.
        assert!(
            !contents.contains("__pycache__") && !contents.contains(".pyc\n"),
            "byte-compiled Python shipped in {}:\n{contents}",
            deb.display()
        );
    }

    // The generated Python agrees with Debian's own build of these messages (same types and
    // MD5 sums), read from the two debs unpacked into one root.
    let root = TempDir::new("build-msgs-root");
    for deb in [&geometry, &sensor] {
        let out = Command::new("dpkg-deb").arg("-x").arg(deb).arg(root.path()).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let classes = [("geometry_msgs.msg", "Twist"), ("sensor_msgs.msg", "Imu")];
    let ours = message_md5s(Some(&root.path().join("opt/ros/noetic").join(py)), &classes);
    let debians = message_md5s(None, &classes);
    let strip = |s: &str| -> Vec<String> {
        s.lines().map(|l| l.rsplit_once(' ').map_or(l, |(a, _)| a).to_owned()).collect()
    };
    assert_eq!(strip(&ours), strip(&debians), "ours:\n{ours}\nDebian's:\n{debians}");
    assert!(ours.contains(&root.path().display().to_string()), "not our modules: {ours}");

    // Byte-identical when built again (alone this time).
    let second = TempDir::new("build-msgs-2");
    let out = build_common_msgs(&["geometry_msgs"], second.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = second.path().join(geometry.file_name().unwrap());
    assert!(
        fs_err::read(&geometry).unwrap() == fs_err::read(&again).unwrap(),
        "geometry_msgs rebuilt differs"
    );
}
