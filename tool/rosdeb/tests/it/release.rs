//! Integration tests of `rosdeb release`: upstream and release repositories made at test time
//! (git CLI, `rosdeb bloom`, Debian's bloom-release), the distribution patched with bloom's
//! `--pr-patch` by `git apply`, the published repository read by apt, and the plan's edges
//! checked against catkin_pkg (python3-catkin-pkg) on the real noetic manifests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::apt::apt_known_packages;
use crate::bloom::{Setup, debian_bloom_release, fixtures, git, ok};

const EPOCH: &str = "1700000000";

/// A `rosdeb bloom` release of demo_cmake and demo_catkin 1.0.0, with the distribution file
/// patched by bloom's own patch (packages, version 1.0.0-1).
fn released() -> Setup {
    let s = Setup::new();
    let patch = s.path().join("pr.patch");
    ok(&s.bloom(&["--pr-patch", patch.to_str().unwrap()]));
    git(s.path(), &["apply", patch.to_str().unwrap()]);
    s
}

/// `rosdeb release --distro noetic --distro-file FILE ARGS...` in `s`'s folder, offline, with
/// an empty environment.
fn release_command(s: &Setup, distro_file: &Path, args: &[&str]) -> Command {
    let empty = s.path().join("empty");
    fs_err::create_dir_all(&empty).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rosdeb"));
    command
        .current_dir(s.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &empty)
        .env("ROSDEP_SOURCE_PATH", &empty)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["release", "--distro", "noetic", "--distro-file"])
        .arg(distro_file)
        .args(args);
    command
}

fn release(s: &Setup, distro_file: &Path, args: &[&str]) -> Output {
    release_command(s, distro_file, args).output().unwrap()
}

fn rules() -> String {
    fixtures().join("build/rosdep.yaml").display().to_string()
}

fn report(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr)))
}

/// (package, status) of every row of a `--json` report.
fn statuses(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["package"].as_str().unwrap().to_owned(), p["status"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn builds_publishes_and_a_second_run_builds_nothing() {
    let s = released();
    let args =
        ["--os", "debian:bookworm", "--rosdep", &rules(), "--repo", "apt", "--jobs", "2", "--json"];
    let out = release(&s, &s.distro_file(), &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = report(&out);
    assert_eq!(doc["schema"], 1);
    assert_eq!(
        statuses(&doc),
        [("demo_catkin".into(), "built".into()), ("demo_cmake".into(), "built".into())]
    );
    for p in doc["packages"].as_array().unwrap() {
        let deb = s.path().join(p["deb"].as_str().unwrap());
        // dpkg-deb is the oracle for what was written.
        let version =
            Command::new("dpkg-deb").args(["-f"]).arg(&deb).arg("Version").output().unwrap();
        assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), "1.0.0-1bookworm");
        assert_eq!(p["version"], "1.0.0-1bookworm");
        assert_eq!(p["sha256"].as_str().unwrap().len(), 64);
    }
    // apt reads the published repository.
    let known = apt_known_packages(&s.path().join("apt-state"), &s.path().join("apt"), "bookworm");
    assert_eq!(known, ["ros-noetic-demo-catkin", "ros-noetic-demo-cmake"]);

    // Nothing changed: nothing is built, and the repository is not written again.
    let release_file = s.path().join("apt/dists/bookworm/Release");
    let before = fs_err::read(&release_file).unwrap();
    let stamp = fs_err::metadata(&release_file).unwrap().modified().unwrap();
    let out = release(&s, &s.distro_file(), &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        statuses(&report(&out)),
        [("demo_catkin".into(), "unchanged".into()), ("demo_cmake".into(), "unchanged".into())]
    );
    assert_eq!(fs_err::read(&release_file).unwrap(), before);
    assert_eq!(fs_err::metadata(&release_file).unwrap().modified().unwrap(), stamp);

    // A deb that went missing is built again, and only that one.
    let cmake =
        s.path().join("rosdeb-work/debs/bookworm/ros-noetic-demo-cmake_1.0.0-1bookworm_amd64.deb");
    fs_err::remove_file(&cmake).unwrap();
    let out = release(&s, &s.distro_file(), &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        statuses(&report(&out)),
        [("demo_catkin".into(), "unchanged".into()), ("demo_cmake".into(), "built".into())]
    );
    assert!(cmake.is_file());
}

#[test]
fn unresolvable_keys_are_one_table_and_the_rest_is_built_and_resumed() {
    let s = released();
    // Without its rule demo_cmake's `tinyxml2` resolves nowhere; demo_catkin does not need it.
    let partial = s.path().join("partial.yaml");
    let all = fs_err::read_to_string(fixtures().join("build/rosdep.yaml")).unwrap();
    let without: String = without_key(&all, "tinyxml2");
    fs_err::write(&partial, &without).unwrap();
    let args = |rules: &Path| -> Vec<String> {
        ["--os", "debian:bookworm", "--os", "ubuntu:focal", "--rosdep"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([rules.display().to_string()])
            .chain(["--repo", "apt", "--json", "demo_cmake", "demo_catkin"].map(str::to_owned))
            .collect()
    };
    let a = args(&partial);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = release(&s, &s.distro_file(), &a);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let table =
        stderr.find("error: 1 rosdep key does not resolve").unwrap_or_else(|| panic!("{stderr}"));
    let header = &stderr[table..];
    assert!(header.contains("KEY       debian:bookworm"), "{stderr}");
    assert!(header.lines().nth(2).unwrap().trim_start().starts_with("tinyxml2"), "{stderr}");
    assert!(header.lines().nth(2).unwrap().ends_with("demo_cmake"), "{stderr}");
    let doc = report(&out);
    let rows = statuses(&doc);
    // demo_catkin is built for bookworm (the host); compiling for focal needs a root of focal.
    assert!(rows.contains(&("demo_catkin".into(), "built".into())), "{rows:?}");
    assert_eq!(rows.iter().filter(|(p, st)| p == "demo_cmake" && st == "failed").count(), 2);

    // With the key's rule, a second run builds what failed and keeps what was built.
    let rules = fixtures().join("build/rosdep.yaml");
    let a = args(&rules);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = release(&s, &s.distro_file(), &a);
    let doc = report(&out);
    let bookworm: Vec<(String, String)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["target"] == "debian:bookworm")
        .map(|p| {
            (p["package"].as_str().unwrap().to_owned(), p["status"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        bookworm,
        [("demo_catkin".into(), "unchanged".into()), ("demo_cmake".into(), "built".into())]
    );
    let known = apt_known_packages(&s.path().join("apt-state"), &s.path().join("apt"), "bookworm");
    assert_eq!(known, ["ros-noetic-demo-catkin", "ros-noetic-demo-cmake"]);
}

/// The rules file without `key`'s block.
fn without_key(rules: &str, key: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in rules.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            skipping = line.starts_with(&format!("{key}:"));
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_ne!(out, rules);
    out
}

#[test]
fn builds_from_the_debian_tree_debians_bloom_left_in_its_tag() {
    let s = released();
    let b = debian_bloom_release(&s);
    // The same distribution, released into bloom's repository.
    let dist = fs_err::read_to_string(s.distro_file()).unwrap().replace(
        &format!("file://{}", s.release().display()),
        &format!("file://{}", b.join("release.git").display()),
    );
    let file = s.path().join("bloom-distribution.yaml");
    fs_err::write(&file, dist).unwrap();
    let out = release(&s, &file, &["--plan", "--json", "--os", "debian:bookworm"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan = report(&out);
    for node in plan["nodes"].as_array().unwrap() {
        assert_eq!(node["source"]["kind"], "debian-tag", "{node}");
    }
    let args = [
        "--os",
        "debian:bookworm",
        "--rosdep",
        &rules(),
        "--no-publish",
        "--json",
        "--work",
        "w",
        "demo_cmake",
    ];
    let out = release(&s, &file, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = report(&out);
    let deb = s.path().join(doc["packages"][0]["deb"].as_str().unwrap());
    // Control fields come from bloom's debian/control in the tag (the oracle: git show).
    let control = git(
        &b.join("release.git"),
        &["show", "debian/ros-noetic-demo-cmake_1.0.0-1_bookworm:debian/control"],
    );
    let field = |name: &str| -> String {
        let out = Command::new("dpkg-deb").arg("-f").arg(&deb).arg(name).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let maintainer = control.lines().find_map(|l| l.strip_prefix("Maintainer: ")).unwrap();
    assert_eq!(field("Maintainer"), maintainer);
    let changelog = git(
        &b.join("release.git"),
        &["show", "debian/ros-noetic-demo-cmake_1.0.0-1_bookworm:debian/changelog"],
    );
    let version = changelog.split(['(', ')']).nth(1).unwrap();
    assert_eq!(field("Version"), version);
}

/// The ROS 1 folders of the real manifests (their package.xml files are noetic's).
fn noetic_sources() -> Vec<PathBuf> {
    let root = fixtures().join("data/manifests");
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with("ros2__") && name.matches("__").count() == 1
        })
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn plan_edges_are_catkin_pkgs_build_dependencies() {
    let s = Setup::new();
    let mut args =
        vec!["--plan".to_owned(), "--json".to_owned(), "--os".into(), "ubuntu:focal".into()];
    for d in noetic_sources() {
        args.push("--sources".into());
        args.push(d.display().to_string());
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let distribution = fixtures().join("data/rosdistro/noetic/distribution.yaml");
    let out = release(&s, &distribution, &a);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan = report(&out);
    let nodes = plan["nodes"].as_array().unwrap();
    assert!(nodes.len() > 2000, "every package of noetic is a node");
    let known: Vec<&serde_json::Value> =
        nodes.iter().filter(|n| n["source"]["kind"] == "sources").collect();
    assert!(known.len() > 80, "{}", known.len());
    // catkin_pkg reads each of those package.xml files: build, buildtool and their export
    // dependencies whose condition holds, among the plan's packages.
    let listing: String = known
        .iter()
        .map(|n| {
            format!(
                "{}\t{}\n",
                n["package"].as_str().unwrap(),
                n["source"]["location"].as_str().unwrap()
            )
        })
        .collect();
    let script = r#"
import sys
from catkin_pkg.package import parse_package
names = set(sys.argv[1].split())
for line in sys.stdin.read().splitlines():
    name, folder = line.split('\t')
    p = parse_package(folder)
    p.evaluate_conditions({'ROS_DISTRO': 'noetic', 'ROS_VERSION': '1'})
    deps = {d.name for d in p.build_depends + p.buildtool_depends + p.build_export_depends
            + p.buildtool_export_depends
            if d.evaluated_condition is not False}
    print(name, ' '.join(sorted(d for d in deps if d in names and d != name)))
"#;
    let names: Vec<&str> = nodes.iter().map(|n| n["package"].as_str().unwrap()).collect();
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script, &names.join(" ")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), listing.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected = String::from_utf8(out.stdout).unwrap();
    let ours: String = known
        .iter()
        .map(|n| {
            let mut deps: Vec<&str> = n["depends"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().split('@').next().unwrap())
                .collect();
            deps.sort_unstable();
            format!("{} {}\n", n["package"].as_str().unwrap(), deps.join(" "))
        })
        .collect();
    assert_eq!(ours, expected);
    // Levels: 0 without dependencies, else one more than the deepest dependency.
    let level: std::collections::BTreeMap<&str, u64> =
        nodes.iter().map(|n| (n["id"].as_str().unwrap(), n["level"].as_u64().unwrap())).collect();
    for n in nodes {
        let deepest =
            n["depends"].as_array().unwrap().iter().map(|d| level[d.as_str().unwrap()] + 1).max();
        assert_eq!(n["level"].as_u64().unwrap(), deepest.unwrap_or(0), "{n}");
    }
    let path = plan["critical_path"].as_array().unwrap();
    assert_eq!(path.len() as u64, plan["levels"].as_u64().unwrap());
    assert!(path.len() >= 5, "{path:?}");
}

#[test]
fn a_release_repository_over_ssh_is_refused_with_a_hint() {
    let s = Setup::new();
    let dist = fs_err::read_to_string(s.distro_file())
        .unwrap()
        .replace(
            &format!("file://{}", s.release().display()),
            "git@example.invalid:demo-release.git",
        )
        .replace("    release:\n", "    release:\n      packages:\n      - demo_cmake\n");
    fs_err::write(s.distro_file(), dist).unwrap();
    let out = release(&s, &s.distro_file(), &["--os", "debian:bookworm", "--no-publish"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("release repository `git@example.invalid:demo-release.git` is not local"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn a_run_killed_mid_build_leaves_no_repository_and_the_next_run_resumes() {
    use std::os::unix::process::CommandExt as _;
    let s = released();
    let rules = rules();
    let args = ["--os", "debian:bookworm", "--rosdep", &rules, "--repo", "apt", "--jobs", "1"];
    // demo_catkin is built first (same level, name order), then demo_cmake compiles for seconds.
    let mut child = release_command(&s, &s.distro_file(), &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let first = s.path().join("rosdeb-work/state/bookworm/demo_catkin.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !first.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it was killed");
        assert!(std::time::Instant::now() < deadline, "demo_catkin was never built");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // SIGKILL to the whole group (rosdeb and the compiler it runs), mid demo_cmake.
    let pgid = child.id().to_string();
    let killed =
        Command::new("kill").args(["-s", "KILL", "--", &format!("-{pgid}")]).status().unwrap();
    assert!(killed.success());
    let _ = child.wait();
    assert!(
        !s.path().join("rosdeb-work/state/bookworm/demo_cmake.json").exists(),
        "the run finished before it was killed"
    );
    // Nothing was published: apt finds no repository, not a half-written one.
    assert!(!s.path().join("apt/dists/bookworm").exists());

    let out = release(&s, &s.distro_file(), &[&args[..], &["--json"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        statuses(&report(&out)),
        [("demo_catkin".into(), "unchanged".into()), ("demo_cmake".into(), "built".into())]
    );
    let known = apt_known_packages(&s.path().join("apt-state"), &s.path().join("apt"), "bookworm");
    assert_eq!(known, ["ros-noetic-demo-catkin", "ros-noetic-demo-cmake"]);
}

#[test]
fn chroot_builds_a_target_that_is_not_the_host() {
    crate::install::require_root();
    let s = released();
    let tmp = crate::harness::TempDir::new("release-chroot");
    let root = crate::install::fresh_root(&tmp, &crate::install::build_root_tarball());
    let rules = rules();
    let base =
        ["--os", "debian:bookworm", "--rosdep", &rules, "--no-publish", "--json", "demo_cmake"];
    // The host says it is Ubuntu jammy: bookworm is another codename.
    let run = |extra: &[&str]| {
        release_command(&s, &s.distro_file(), &[&base[..], extra].concat())
            .env("ROS_OS_OVERRIDE", "ubuntu:22.04:jammy")
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --chroot DIR"));
    let chroot = format!("debian:bookworm={}", root.display());
    let built = run(&["--chroot", &chroot]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let doc = report(&built);
    assert_eq!(statuses(&doc), [("demo_cmake".into(), "built".into())]);
    let log =
        fs_err::read_to_string(s.path().join("rosdeb-work/debs/bookworm/demo_cmake.build.log"))
            .unwrap();
    assert!(log.contains(&format!("$ chroot {} /bin/sh -c", root.display())), "{log}");
}

/// `rosdeb bloom` of demo_driver (which depends on demo_description) and demo_description,
/// with the distribution patched by bloom's patch.
fn released_driver() -> Setup {
    let s = Setup::with(&["demo_driver", "demo_description"]);
    let patch = s.path().join("pr.patch");
    ok(&s.bloom(&["--pr-patch", patch.to_str().unwrap()]));
    git(s.path(), &["apply", patch.to_str().unwrap()]);
    s
}

/// (id, depends, source kind) of every plan node.
fn plan_rows(plan: &serde_json::Value) -> Vec<(String, String, String)> {
    plan["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let deps: Vec<&str> =
                n["depends"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
            let kind = n["source"]["kind"].as_str().unwrap_or("none").to_owned();
            (n["id"].as_str().unwrap().to_owned(), deps.join(" "), kind)
        })
        .collect()
}

#[test]
fn plan_reads_package_xml_from_a_cache_made_by_rosdistro() {
    let s = released_driver();
    let from_tags = release(&s, &s.distro_file(), &["--plan", "--json", "--os", "debian:bookworm"]);
    assert!(from_tags.status.success(), "{}", String::from_utf8_lossy(&from_tags.stderr));
    let expected = [
        ("demo_description@debian:bookworm".to_owned(), String::new(), "debian-tag".to_owned()),
        (
            "demo_driver@debian:bookworm".to_owned(),
            "demo_description@debian:bookworm".to_owned(),
            "debian-tag".to_owned(),
        ),
    ];
    assert_eq!(plan_rows(&report(&from_tags)), expected);

    // Python rosdistro builds the distribution cache from the release repository (the
    // buildfarm's input), then the release repository goes away.
    fs_err::write(
        s.path().join("index-v4.yaml"),
        "%YAML 1.1\n---\ndistributions:\n  noetic:\n    distribution: [noetic/distribution.yaml]\n    \
         distribution_status: active\n    distribution_type: ros1\n    python_version: 3\n\
         type: index\nversion: 4\n",
    )
    .unwrap();
    let index = format!("file://{}", s.path().join("index-v4.yaml").display());
    let out = Command::new("/usr/bin/rosdistro_build_cache")
        .current_dir(s.path())
        .args([index.as_str(), "noetic"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    fs_err::rename(s.release(), s.path().join("moved.git")).unwrap();
    let cache = s.path().join("noetic-cache.yaml.gz");
    let without = release(&s, &s.distro_file(), &["--plan", "--json", "--os", "debian:bookworm"]);
    assert_eq!(report(&without)["unknown"], serde_json::json!(["demo_description", "demo_driver"]));
    let out = release(&s, &cache, &["--plan", "--json", "--os", "debian:bookworm"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan = report(&out);
    assert_eq!(plan["unknown"], serde_json::json!([]));
    let rows: Vec<(String, String)> =
        plan_rows(&plan).into_iter().map(|(id, d, _)| (id, d)).collect();
    let expected: Vec<(String, String)> = expected.into_iter().map(|(id, d, _)| (id, d)).collect();
    assert_eq!(rows, expected, "the same edges, from the cache's package.xml");
    assert!(plan["nodes"].as_array().unwrap().iter().all(|n| n["source"].is_null()));
}

/// A smart-HTTP git server on 127.0.0.1 (`git_http_server.py`: `git http-backend` behind
/// Python's http.server) serving the repositories under `root`; killed when dropped.
pub(crate) struct GitHttp {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
}

impl GitHttp {
    pub(crate) fn serve(root: &Path) -> GitHttp {
        GitHttp::start(root, None)
    }

    /// Over TLS with `cert` and `key` (PEM files): `https://127.0.0.1:PORT`.
    pub(crate) fn serve_tls(root: &Path, cert: &Path, key: &Path) -> GitHttp {
        GitHttp::start(root, Some((cert, key)))
    }

    fn start(root: &Path, tls: Option<(&Path, &Path)>) -> GitHttp {
        use std::io::BufRead as _;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/git_http_server.py");
        let mut command = Command::new("/usr/bin/python3");
        command.arg(script).arg(root);
        if let Some((cert, key)) = tls {
            command.arg(cert).arg(key);
        }
        let mut child = command.stdout(std::process::Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("no port: {line:?}"));
        let scheme = if tls.is_some() { "https" } else { "http" };
        GitHttp { child, url: format!("{scheme}://127.0.0.1:{port}") }
    }
}

impl Drop for GitHttp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn release_repositories_over_http_are_fetched_and_the_plan_stays_offline() {
    let s = released();
    let server = GitHttp::serve(s.path());
    let dist = fs_err::read_to_string(s.distro_file()).unwrap().replace(
        &format!("file://{}", s.release().display()),
        &format!("{}/release.git", server.url),
    );
    let file = s.path().join("http-distribution.yaml");
    fs_err::write(&file, dist).unwrap();
    let plan = |work: &str| {
        let out =
            release(&s, &file, &["--plan", "--json", "--os", "debian:bookworm", "--work", work]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        report(&out)
    };
    // The plan never fetches: nothing fetched yet, nothing known.
    assert_eq!(plan("w")["unknown"], serde_json::json!(["demo_catkin", "demo_cmake"]));
    let rules = rules();
    let args =
        ["--os", "debian:bookworm", "--rosdep", &rules, "--work", "w", "--repo", "apt", "--json"];
    let out = release(&s, &file, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        statuses(&report(&out)),
        [("demo_catkin".into(), "built".into()), ("demo_cmake".into(), "built".into())]
    );
    let known = apt_known_packages(&s.path().join("apt-state"), &s.path().join("apt"), "bookworm");
    assert_eq!(known, ["ros-noetic-demo-catkin", "ros-noetic-demo-cmake"]);
    // Fetched once, the copy answers the plan offline, with the same trees as the original.
    let doc = plan("w");
    assert_eq!(doc["unknown"], serde_json::json!([]));
    for node in doc["nodes"].as_array().unwrap() {
        let tag = node["source"]["reference"].as_str().unwrap();
        assert_eq!(node["source"]["kind"], "debian-tag");
        let tree = git(&s.release(), &["rev-parse", &format!("{tag}^{{tree}}")]);
        assert_eq!(node["source"]["tree"].as_str().unwrap(), tree.trim());
    }
    // Server gone: the plan still reads the copy; a release fails to fetch and says so.
    drop(server);
    assert_eq!(plan("w")["unknown"], serde_json::json!([]));
    let out = release(&s, &file, &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fetching `http://127.0.0.1:"));
}

#[test]
fn release_repositories_over_https_need_a_trusted_certificate() {
    let s = released();
    // A self-signed certificate for 127.0.0.1, made with the openssl CLI.
    let (cert, key) = (s.path().join("cert.pem"), s.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-days", "2", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let server = GitHttp::serve_tls(s.path(), &cert, &key);
    let dist = fs_err::read_to_string(s.distro_file()).unwrap().replace(
        &format!("file://{}", s.release().display()),
        &format!("{}/release.git", server.url),
    );
    let file = s.path().join("https-distribution.yaml");
    fs_err::write(&file, dist).unwrap();
    let rules = rules();
    let args =
        ["--os", "debian:bookworm", "--rosdep", &rules, "--no-publish", "--json", "demo_cmake"];
    // Not trusted: refused, nothing fetched.
    let out = release_command(&s, &file, &args)
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("certificate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Trusted (OpenSSL's SSL_CERT_FILE): fetched and built.
    let out = release_command(&s, &file, &args).env("SSL_CERT_FILE", &cert).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(statuses(&report(&out)), [("demo_cmake".into(), "built".into())]);
}
