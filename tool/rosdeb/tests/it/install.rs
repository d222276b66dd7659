//! The whole release path in a real Debian bookworm root: `rosdeb build` (a fixture distribution
//! that lists `debian: [bookworm]`), `rosdeb apt publish --sign-key`, then `apt-get update` and
//! `apt-get install` inside a root made by `debootstrap --variant=minbase` (run as root;
//! the bootstrapped root is cached as `target/debootstrap-bookworm-<YYYYMMDD>.tar`). The same
//! root, with build tools installed, serves `rosdeb build --chroot`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::{TempDir, repo_root, rosdeb};

/// The mirror this machine's apt uses (/etc/apt/sources.list.d/debian.sources).
const MIRROR: &str = "http://deb.debian.org/debian";

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let log = text(&out);
    assert!(out.status.success(), "{cmd:?} failed:\n{log}");
    log
}

/// The cached minbase root of today, bootstrapped when missing (older ones are removed).
pub(crate) fn bootstrapped_tarball() -> PathBuf {
    cached_tarball("debootstrap-bookworm", |root| {
        run(Command::new("/usr/sbin/debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(root)
            .arg(MIRROR));
    })
}

/// Today's minbase root plus the tools to build the demo packages, cached the same way.
pub(crate) fn build_root_tarball() -> PathBuf {
    let base = bootstrapped_tarball();
    cached_tarball("debootstrap-bookworm-build", |root| {
        fs_err::create_dir_all(root).unwrap();
        run(Command::new("tar").arg("-C").arg(root).arg("-xf").arg(&base));
        fs_err::copy("/etc/resolv.conf", root.join("etc/resolv.conf")).unwrap();
        run(&mut chroot(root, &["apt-get", "update"]));
        apt_install(root, &["cmake", "make", "g++", "dpkg-dev", "libtinyxml2-dev"]);
        run(&mut chroot(root, &["apt-get", "clean"]));
    })
}

/// `target/<name>-<YYYYMMDD>.tar`, made by `make(root)` when missing; older ones are removed.
fn cached_tarball(name: &str, make: impl FnOnce(&Path)) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from);
    let today = run(Command::new("date").args(["-u", "+%Y%m%d"])).trim().to_owned();
    let tarball = target.join(format!("{name}-{today}.tar"));
    if tarball.is_file() {
        return tarball;
    }
    assert!(
        Path::new("/usr/sbin/debootstrap").exists(),
        "debootstrap is missing: apt-get install debootstrap"
    );
    fs_err::create_dir_all(&target).unwrap();
    let dated = |n: &str| {
        n.strip_prefix(name)
            .and_then(|r| r.strip_prefix('-'))
            .and_then(|r| r.strip_suffix(".tar"))
            .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
    };
    for entry in fs_err::read_dir(&target).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        if dated(&file) && target.join(&file) != tarball {
            let _ = fs_err::remove_file(target.join(file));
        }
    }
    let work = TempDir::new(name);
    let root = work.path().join("root");
    make(&root);
    let partial = target.join(format!(".{name}-{today}.tar.{}", std::process::id()));
    run(Command::new("tar").arg("-C").arg(&root).arg("-cf").arg(&partial).arg("."));
    fs_err::rename(&partial, &tarball).unwrap();
    tarball
}

/// `apt-get install -y --no-install-recommends PACKAGES` inside `root` (which must succeed);
/// returns its output.
pub(crate) fn apt_install(root: &Path, packages: &[&str]) -> String {
    let mut args =
        vec!["apt-get", "-o", "Dpkg::Use-Pty=0", "install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run(&mut chroot(root, &args))
}

pub(crate) fn chroot(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("/usr/sbin/chroot");
    cmd.arg(root)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env("LC_ALL", "C.UTF-8");
    cmd
}

pub(crate) fn require_root() {
    let uid = run(Command::new("id").arg("-u"));
    assert_eq!(
        uid.trim(),
        "0",
        "this test makes a Debian root with debootstrap and works in it with chroot: \
         run it as root (CI does), e.g. `sudo -E cargo nextest run -p rosdeb -E 'test(install)'`"
    );
}

/// A fresh bookworm root under `tmp` (from a cached tarball), ready for apt.
pub(crate) fn fresh_root(tmp: &TempDir, tarball: &Path) -> PathBuf {
    let root = tmp.path().join("root");
    fs_err::create_dir_all(&root).unwrap();
    run(Command::new("tar").arg("-C").arg(&root).arg("-xf").arg(tarball));
    // apt's sandbox user must be able to reach the repository through `/`.
    fs_err::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    fs_err::copy("/etc/resolv.conf", root.join("etc/resolv.conf")).unwrap();
    root
}

#[test]
fn built_debs_install_with_apt_in_a_debootstrapped_bookworm_root() {
    require_root();
    let tmp = TempDir::new("install");
    let root = fresh_root(&tmp, &bootstrapped_tarball());

    // Build the packages for bookworm from the fixture distribution.
    let fixtures = repo_root().join("fixtures");
    let out = tmp.path().join("out");
    let empty = tmp.path().join("empty");
    fs_err::create_dir_all(&empty).unwrap();
    run(Command::new(rosdeb())
        .current_dir(fixtures.join("build"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &empty)
        .env("ROSDEP_SOURCE_PATH", &empty)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "build",
            "demo_cmake",
            "demo_catkin",
            "--distro",
            "noetic",
            "--os",
            "debian:bookworm",
        ])
        .arg("--distro-file")
        .arg(fixtures.join("install/distribution.yaml"))
        .arg("--rosdep")
        .arg(fixtures.join("install/rosdep.yaml"))
        .arg("--out")
        .arg(&out));
    let debs: Vec<PathBuf> = fs_err::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    assert_eq!(debs.len(), 2, "{debs:?}");
    // The distribution releases demo_cmake 1.4.0-2: its increment is used.
    assert!(
        debs.iter().any(|d| d.ends_with(format!(
            "ros-noetic-demo-cmake_1.4.0-2bookworm_{}.deb",
            run(Command::new("dpkg").arg("--print-architecture")).trim()
        ))),
        "{debs:?}"
    );

    // Publish them, signed, into a repository inside the root.
    let keys = tmp.path().join("keys");
    fs_err::create_dir_all(&keys).unwrap();
    run(Command::new(rosdeb()).current_dir(&keys).args([
        "apt",
        "key",
        "generate",
        "--out-secret",
        "repo.key",
        "--out-public",
        "repo.asc",
        "--name",
        "rosdeb install test",
    ]));
    let repo = root.join("srv/rosdeb");
    run(Command::new(rosdeb())
        .args(["apt", "publish"])
        .args(&debs)
        .arg("--repo")
        .arg(&repo)
        .args(["--codename", "bookworm", "--sign-key"])
        .arg(keys.join("repo.key")));
    fs_err::create_dir_all(root.join("etc/apt/keyrings")).unwrap();
    fs_err::copy(keys.join("repo.asc"), root.join("etc/apt/keyrings/rosdeb.asc")).unwrap();
    fs_err::write(
        root.join("etc/apt/sources.list.d/rosdeb.list"),
        "deb [signed-by=/etc/apt/keyrings/rosdeb.asc] file:/srv/rosdeb bookworm main\n",
    )
    .unwrap();

    // apt inside the root: the signature is checked, the Debian dependency comes from the mirror.
    let update = run(&mut chroot(&root, &["apt-get", "update"]));
    assert!(update.contains("file:/srv/rosdeb bookworm InRelease"), "{update}");
    assert!(!update.contains("W:") && !update.contains("E:"), "{update}");
    assert!(!is_installed(&root, "libtinyxml2-9"), "minbase has no tinyxml2");
    let install = apt_install(&root, &["ros-noetic-demo-cmake", "ros-noetic-demo-catkin"]);
    assert!(!install.contains("W:") && !install.contains("E:"), "{install}");
    assert!(is_installed(&root, "libtinyxml2-9"), "the library dependency was pulled in");
    for file in [
        "opt/ros/noetic/bin/demo_xml_root",
        "opt/ros/noetic/share/demo_cmake/package.xml",
        "opt/ros/noetic/lib/libdemo_catkin.so",
        "opt/ros/noetic/lib/demo_catkin/demo_catkin_node",
        "usr/share/doc/ros-noetic-demo-cmake/copyright",
    ] {
        assert!(root.join(file).is_file(), "{file} is not installed");
    }
    let xml_root = run(&mut chroot(
        &root,
        &["/opt/ros/noetic/bin/demo_xml_root", "/opt/ros/noetic/share/demo_cmake/package.xml"],
    ));
    assert_eq!(xml_root, "package\n");
    let mut node = chroot(&root, &["/opt/ros/noetic/lib/demo_catkin/demo_catkin_node"]);
    node.env("LD_LIBRARY_PATH", "/opt/ros/noetic/lib");
    assert_eq!(run(&mut node), "hello, robot (./src/greeter.cpp)\n");
    let status = run(&mut chroot(
        &root,
        &["dpkg-query", "-W", "-f", "${Version} ${Status}\\n", "ros-noetic-demo-cmake"],
    ));
    assert_eq!(status, "1.4.0-2bookworm install ok installed\n");
}

fn is_installed(root: &Path, package: &str) -> bool {
    chroot(root, &["dpkg-query", "-W", "-f", "${Status}", package])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout == b"install ok installed")
}

#[test]
fn install_root_builds_with_chroot_for_a_target_that_is_not_the_host() {
    require_root();
    let tmp = TempDir::new("install-chroot");
    let root = fresh_root(&tmp, &build_root_tarball());
    let out = tmp.path().join("out");
    // The host pretends to be Ubuntu jammy: bookworm is another codename.
    let build = |extra: &[&str]| build_demo_cmake(&tmp, "ubuntu:22.04:jammy", &out, extra);
    let refused = build(&[]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("hint: pass --chroot DIR"), "{}", text(&refused));
    let root_arg = root.display().to_string();
    let built = build(&["--chroot", &root_arg]);
    assert!(built.status.success(), "{}", text(&built));
    let arch = run(&mut chroot(&root, &["dpkg", "--print-architecture"]));
    let deb = out.join(format!("ros-noetic-demo-cmake_1.4.0-2bookworm_{}.deb", arch.trim()));
    let info = run(Command::new("dpkg-deb").arg("--info").arg(&deb));
    assert!(info.contains("libtinyxml2-9 (>= "), "dpkg-shlibdeps ran in the root: {info}");
    let log = fs_err::read_to_string(out.join("demo_cmake.build.log")).unwrap();
    assert!(log.contains(&format!("$ chroot {root_arg} /bin/sh -c")), "{log}");
    let left: Vec<_> = fs_err::read_dir(root.join("tmp")).unwrap().collect();
    assert!(left.is_empty(), "the work folder in the root is removed: {left:?}");
    // The same bytes as the host build of the same package.
    let host = tmp.path().join("host");
    let out = build_demo_cmake(&tmp, "debian:12:bookworm", &host, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let same =
        fs_err::read(&deb).unwrap() == fs_err::read(host.join(deb.file_name().unwrap())).unwrap();
    assert!(same, "a chroot build of bookworm equals the bookworm host's build");
}

/// `rosdeb build demo_cmake` for bookworm from the bundled fixture distribution, on a host that
/// says it is `os_override` (`ROS_OS_OVERRIDE`), into `out`.
fn build_demo_cmake(
    tmp: &TempDir,
    os_override: &str,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let fixtures = repo_root().join("fixtures");
    Command::new(rosdeb())
        .current_dir(fixtures.join("build"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", tmp.path())
        .env("ROSDEP_SOURCE_PATH", tmp.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("ROS_OS_OVERRIDE", os_override)
        .args(["build", "demo_cmake", "--distro", "noetic", "--os", "debian:bookworm"])
        .arg("--distro-file")
        .arg(fixtures.join("install/distribution.yaml"))
        .arg("--rosdep")
        .arg(fixtures.join("install/rosdep.yaml"))
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}
