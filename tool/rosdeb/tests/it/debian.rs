//! Integration tests of `rosdeb debian generate`: golden debian/ trees (fixtures/generate/<case>/
//! {in,out}; `SNAPSHOTS=overwrite` rewrites `out/`), the error cases (unresolved keys in one
//! table, an unknown template variable, invalid name / version, no licence, no package.xml,
//! a field injection: nothing written, bloom's exit codes where bloom has one), the files of an
//! existing debian/ that are kept, the one ELF detector, and comparisons with Debian's
//! `bloom-generate rosdebian`, run at test time offline.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BLOOM: &str = "/usr/bin/bloom-generate";
const ROSDEP: &str = "/usr/bin/rosdep";
const EPOCH: &str = "1700000000";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").canonicalize().unwrap()
}

fn index_url() -> String {
    format!("file://{}", fixtures().join("rosdistro/index-v4.yaml").display())
}

fn base_yaml() -> String {
    fixtures().join("rosdistro/rosdep/base.yaml").display().to_string()
}

/// `rosdeb debian generate ...` in `cwd`, with an empty `ROSDEP_SOURCE_PATH` (never the
/// machine's /etc/ros), the fixtures' index and a fixed `SOURCE_DATE_EPOCH`.
fn generate(cwd: &Path, args: &[String]) -> Output {
    let empty = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_rosdeb"))
        .current_dir(cwd)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", empty.path())
        .env("ROSDEP_SOURCE_PATH", empty.path())
        .env("ROSDISTRO_INDEX_URL", index_url())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["debian", "generate"])
        .args(args)
        .output()
        .unwrap()
}

/// Every file under `dir`: relative path → (contents, executable).
fn tree(dir: &Path) -> BTreeMap<String, (String, bool)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (String, bool)>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                let mode = fs_err::metadata(&path).unwrap().permissions().mode();
                out.insert(rel, (fs_err::read_to_string(&path).unwrap(), mode & 0o111 != 0));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out
}

fn case_args(case: &Path, out: &Path) -> Vec<String> {
    let text = fs_err::read_to_string(case.join("in/args")).unwrap();
    let mut args = vec!["pkg".to_owned()];
    args.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
    args.extend(["--out".to_owned(), out.display().to_string()]);
    args
}

#[test]
fn golden_trees() {
    let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite");
    let mut cases: Vec<PathBuf> = fs_err::read_dir(fixtures().join("generate"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("in/args").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "expected at least 5 cases in fixtures/generate, found {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = tempfile::tempdir().unwrap();
        let out = generate(&case.join("in"), &case_args(case, tmp.path()));
        assert!(
            out.status.success(),
            "{name}: rosdeb failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = tree(&tmp.path().join("debian"));
        let expected_dir = case.join("out/debian");
        if overwrite {
            if expected_dir.exists() {
                fs_err::remove_dir_all(&expected_dir).unwrap();
            }
            for (rel, (text, exec)) in &got {
                let path = expected_dir.join(rel);
                fs_err::create_dir_all(path.parent().unwrap()).unwrap();
                fs_err::write(&path, text).unwrap();
                let mode = if *exec { 0o755 } else { 0o644 };
                fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            }
            continue;
        }
        let expected = tree(&expected_dir);
        if got != expected {
            let mut diff = String::new();
            let names: BTreeSet<&String> = got.keys().chain(expected.keys()).collect();
            for n in names {
                match (got.get(n), expected.get(n)) {
                    (Some(g), Some(e)) if g == e => {}
                    (Some(g), Some(e)) => {
                        diff.push_str(&format!(
                            "--- {n} expected\n{}\n+++ {n} got\n{}\n",
                            e.0, g.0
                        ));
                        if g.1 != e.1 {
                            diff.push_str(&format!("{n}: executable {} vs {}\n", g.1, e.1));
                        }
                    }
                    (Some(_), None) => diff.push_str(&format!("{n}: not expected\n")),
                    (None, _) => diff.push_str(&format!("{n}: missing\n")),
                }
            }
            failures.push(format!("case {name}:\n{diff}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run with SNAPSHOTS=overwrite to accept)",
        failures.join("\n")
    );
}

#[test]
fn output_is_deterministic() {
    let case = fixtures().join("generate/catkin_cpp");
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    assert!(generate(&case.join("in"), &case_args(&case, a.path())).status.success());
    assert!(generate(&case.join("in"), &case_args(&case, b.path())).status.success());
    assert_eq!(tree(&a.path().join("debian")), tree(&b.path().join("debian")));
}

/// A package folder holding `package.xml` with `body` inside `<package format="2">`.
fn package(dir: &Path, body: &str) -> PathBuf {
    let pkg = dir.join("pkg");
    fs_err::create_dir_all(&pkg).unwrap();
    fs_err::write(
        pkg.join("package.xml"),
        format!("<?xml version=\"1.0\"?>\n<package format=\"2\">\n{body}\n</package>\n"),
    )
    .unwrap();
    pkg
}

const HEAD: &str = "<name>demo_pkg</name><version>1.2.3</version>\
    <description>Demo. Longer text.</description>\
    <maintainer email=\"jane@example.com\">Jane Doe</maintainer>";

fn noetic_args(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["pkg", "--distro", "noetic", "--os", "ubuntu:focal", "--rosdep"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    args.push(base_yaml());
    args.push("--out".to_owned());
    args.push(dir.join("out").display().to_string());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unresolved_keys_are_one_table_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("pip.yaml");
    fs_err::write(&rules, "python3-only-pip:\n  ubuntu:\n    pip:\n      packages: [onlypip]\n")
        .unwrap();
    package(
        dir.path(),
        &format!(
            "{HEAD}<license>BSD</license><buildtool_depend>catkin</buildtool_depend>\
             <build_depend>no_such_key_a</build_depend><exec_depend>no_such_key_b</exec_depend>\
             <depend>python3-only-pip</depend>"
        ),
    );
    let rules = rules.display().to_string();
    let out = generate(dir.path(), &noetic_args(dir.path(), &["--rosdep", &rules]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(73), "bloom's `no such rosdep key`: {err}");
    for needle in ["3 rosdep keys", "no_such_key_a", "no_such_key_b", "python3-only-pip", "pip"] {
        assert!(err.contains(needle), "`{needle}` missing from:\n{err}");
    }
    assert!(err.contains("build_depend") && err.contains("exec_depend"), "{err}");
    assert!(!err.contains("onlypip,") && !dir.path().join("out").exists(), "{err}");

    let json = generate(dir.path(), &noetic_args(dir.path(), &["--rosdep", &rules, "--json"]));
    assert_eq!(json.status.code(), Some(73));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["unresolved"].as_array().map(Vec::len), Some(3), "{doc}");
    let kinds: BTreeMap<&str, &str> = doc["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["key"].as_str().unwrap(), u["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds["no_such_key_a"], "unknown_key");
    assert_eq!(kinds["python3-only-pip"], "other_installer");

    // Without unknown keys the code says what is left: 74 (no rule for this OS / codename),
    // then 75 (only another installer), as bloom's.
    let narrow = dir.path().join("narrow.yaml");
    fs_err::write(
        &narrow,
        "python3-only-pip:\n  ubuntu:\n    pip:\n      packages: [onlypip]\n\
         debian-only:\n  debian: [libdebianonly]\n",
    )
    .unwrap();
    let narrow = narrow.display().to_string();
    for (deps, code) in [
        ("<depend>debian-only</depend><depend>python3-only-pip</depend>", 74),
        ("<depend>python3-only-pip</depend>", 75),
    ] {
        package(dir.path(), &format!("{HEAD}<license>BSD</license>{deps}"));
        let out = generate(dir.path(), &noetic_args(dir.path(), &["--rosdep", &narrow]));
        assert_eq!(out.status.code(), Some(code), "{deps}: {}", stderr(&out));
    }
}

#[test]
fn no_package_xml_is_blooms_code_6() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate(dir.path(), &noetic_args(dir.path(), &[]));
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(stderr(&out).contains("no package.xml"), "{}", stderr(&out));
}

#[test]
fn unknown_template_variable_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), &format!("{HEAD}<license>BSD</license>"));
    let templates = dir.path().join("templates");
    fs_err::create_dir_all(&templates).unwrap();
    fs_err::write(
        templates.join("control.j2"),
        "Source: {{ source }}\nX: {{ no_such_variable }}\n",
    )
    .unwrap();
    let t = templates.display().to_string();
    let out = generate(dir.path(), &noetic_args(dir.path(), &["--templates", &t]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(72), "bloom's template error: {err}");
    assert!(err.contains("control.j2") && err.contains("line 2"), "{err}");
    assert!(err.contains("undefined"), "{err}");
    assert!(!dir.path().join("out/debian").exists());

    // An override whose name matches no template is refused, with the list.
    fs_err::remove_file(templates.join("control.j2")).unwrap();
    fs_err::write(templates.join("contrl.j2"), "x").unwrap();
    let out = generate(dir.path(), &noetic_args(dir.path(), &["--templates", &t]));
    assert_eq!(out.status.code(), Some(72));
    assert!(stderr(&out).contains("no template is named `contrl.j2`"), "{}", stderr(&out));
}

#[test]
fn template_override_replaces_one_file() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), &format!("{HEAD}<license>BSD</license>"));
    let templates = dir.path().join("templates/source");
    fs_err::create_dir_all(&templates).unwrap();
    fs_err::write(templates.join("format.j2"), "3.0 (native)\n").unwrap();
    let t = dir.path().join("templates").display().to_string();
    let out = generate(dir.path(), &noetic_args(dir.path(), &["--templates", &t]));
    assert!(out.status.success(), "{}", stderr(&out));
    let format = fs_err::read_to_string(dir.path().join("out/debian/source/format")).unwrap();
    assert_eq!(format, "3.0 (native)\n");
    assert!(dir.path().join("out/debian/control").is_file());
}

#[test]
fn invalid_name_version_and_missing_licence_are_errors() {
    // (package.xml body, expected text, exit code). `1.2` is already refused by catkin_pkg's
    // validation of package.xml, as in bloom (its code 30 is for release versions).
    let cases = [
        (
            "<name>Demo_Pkg</name><version>1.2.3</version><description>D. E.</description>\
          <maintainer email=\"j@e.com\">J</maintainer><license>BSD</license>",
            "not a valid Debian package name",
            1,
        ),
        (
            "<name>demo_pkg</name><version>1.2</version><description>D. E.</description>\
          <maintainer email=\"j@e.com\">J</maintainer><license>BSD</license>",
            "1.2",
            1,
        ),
        (HEAD, "license", 1),
    ];
    for (body, needle, code) in cases {
        let dir = tempfile::tempdir().unwrap();
        package(dir.path(), body);
        let out = generate(dir.path(), &noetic_args(dir.path(), &[]));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{body}: {err}");
        assert!(err.contains(needle), "{body}: `{needle}` missing from:\n{err}");
        assert!(!dir.path().join("out").join("debian").exists(), "{body}: debian/ was written");
    }
}

#[test]
fn previous_debian_folder_keeps_files_it_does_not_generate() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), &format!("{HEAD}<license>BSD</license>"));
    let own = dir.path().join("out/debian/own-file");
    fs_err::create_dir_all(own.parent().unwrap()).unwrap();
    fs_err::write(&own, "mine").unwrap();
    let out = generate(dir.path(), &noetic_args(dir.path(), &[]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs_err::read_to_string(&own).unwrap(), "mine", "kept, as bloom keeps it");
    let leftovers: Vec<_> =
        fs_err::read_dir(dir.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["debian"]);
}

/// `Field: a, b (>= 1), c <!nocheck>` → {a, b, c}, without substitution variables.
fn relation_names(control: &str, field: &str) -> BTreeSet<String> {
    let prefix = format!("{field}: ");
    control
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .flat_map(|v| v.split(','))
        .map(|d| d.split_whitespace().next().unwrap_or("").to_owned())
        .filter(|d| !d.is_empty() && !d.starts_with("${"))
        .collect()
}

fn field<'a>(control: &'a str, name: &str) -> Option<&'a str> {
    control.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// Differences from bloom that are deliberate (docs/bloom-differences.md): debhelper through
/// `debhelper-compat (= 13)`, and `cmake` declared for the CMake-based build types.
const DOCUMENTED_BUILD_DEPENDS: [&str; 3] = ["debhelper", "debhelper-compat", "cmake"];

#[test]
fn agrees_with_bloom_generate() {
    assert!(
        Path::new(BLOOM).exists() && Path::new(ROSDEP).exists(),
        "{BLOOM} is missing: this test runs Debian's bloom at test time. `cargo xtask ci` \
         installs it (apt-get install python3-bloom)"
    );
    let work = tempfile::tempdir().unwrap();
    let sources = work.path().join("sources.list.d");
    fs_err::create_dir_all(&sources).unwrap();
    fs_err::write(sources.join("20-local.list"), format!("yaml file://{}\n", base_yaml())).unwrap();
    let env = |c: &mut Command| {
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", work.path().join("home"))
            .env("ROS_HOME", work.path().join("ros_home"))
            .env("ROSDEP_SOURCE_PATH", &sources)
            .env("ROSDISTRO_INDEX_URL", index_url())
            .env("LC_ALL", "C.UTF-8");
    };
    let mut update = Command::new(ROSDEP);
    env(&mut update);
    let out = update.args(["update", "--rosdistro", "noetic"]).output().unwrap();
    assert!(out.status.success(), "offline rosdep update failed:\n{}", stderr(&out));

    for case in ["catkin_cpp", "metapackage"] {
        let case_dir = fixtures().join("generate").join(case);
        let ours_dir = tempfile::tempdir().unwrap();
        let out = generate(&case_dir.join("in"), &case_args(&case_dir, ours_dir.path()));
        assert!(out.status.success(), "{case}: {}", stderr(&out));
        let ours = fs_err::read_to_string(ours_dir.path().join("debian/control")).unwrap();
        let our_changelog =
            fs_err::read_to_string(ours_dir.path().join("debian/changelog")).unwrap();
        let our_version = our_changelog.split(['(', ')']).nth(1).unwrap().to_owned();
        let inc = our_version.rsplit_once('-').unwrap().1.trim_end_matches("focal").to_owned();

        let copy = work.path().join(case);
        fs_err::create_dir_all(&copy).unwrap();
        for entry in fs_err::read_dir(case_dir.join("in/pkg")).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                fs_err::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
            }
        }
        let mut bloom = Command::new(BLOOM);
        env(&mut bloom);
        let out = bloom
            .current_dir(&copy)
            .args(["rosdebian", "--ros-distro", "noetic", "--os-name", "ubuntu"])
            .args(["--os-version", "focal", "-i", &inc])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{case}: bloom-generate failed:\n{}", stderr(&out));
        let theirs = fs_err::read_to_string(copy.join("debian/control")).unwrap();
        let their_changelog = fs_err::read_to_string(copy.join("debian/changelog")).unwrap();

        assert_eq!(field(&ours, "Source"), field(&theirs, "Source"), "{case}: Source");
        assert_eq!(field(&ours, "Package"), field(&theirs, "Package"), "{case}: Package");
        assert_eq!(
            their_changelog.split(['(', ')']).nth(1),
            Some(our_version.as_str()),
            "{case}: version"
        );
        let strip = |mut s: BTreeSet<String>| {
            s.retain(|d| !DOCUMENTED_BUILD_DEPENDS.contains(&d.as_str()));
            s
        };
        assert_eq!(
            strip(relation_names(&ours, "Build-Depends")),
            strip(relation_names(&theirs, "Build-Depends")),
            "{case}: Build-Depends"
        );
        // build_export_depend goes into Depends (a documented fix); these packages have none.
        assert_eq!(
            relation_names(&ours, "Depends"),
            relation_names(&theirs, "Depends"),
            "{case}: Depends"
        );
    }
}

#[test]
fn maintainer_scripts_and_units_are_shipped() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(dir.path(), &format!("{HEAD}<license>BSD</license>"));
    let packaging = pkg.join("packaging/debian");
    fs_err::create_dir_all(&packaging).unwrap();
    fs_err::write(packaging.join("postinst"), "#!/bin/sh\nset -e\n#DEBHELPER#\n").unwrap();
    fs_err::write(packaging.join("demo.service"), "[Unit]\nDescription=demo\n").unwrap();
    fs_err::write(packaging.join("README"), "not shipped").unwrap();
    let out = generate(dir.path(), &noetic_args(dir.path(), &[]));
    assert!(out.status.success(), "{}", stderr(&out));
    let files = tree(&dir.path().join("out/debian"));
    assert!(files["ros-noetic-demo-pkg.postinst"].1, "postinst is executable");
    assert!(files.contains_key("ros-noetic-demo-pkg.demo.service"));
    assert!(!files.keys().any(|k| k.contains("README")));
    assert!(files["rules"].0.contains("dh_installsystemd --name=demo"));
}

/// Several packages in one run: each gets the tree a run of its own would give, under
/// `--out DIR/<folder>`; one unresolved key anywhere writes nothing for any of them.
#[test]
fn several_packages_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/workspaces/real/noetic");
    let names = ["std_msgs", "std_srvs", "rosgraph_msgs"];
    let sources: Vec<String> = [
        real.join("std_msgs"),
        real.join("ros_comm_msgs/std_srvs"),
        real.join("ros_comm_msgs/rosgraph_msgs"),
    ]
    .iter()
    .map(|p| p.display().to_string())
    .collect();
    let common = |out: &Path| -> Vec<String> {
        ["--distro", "noetic", "--os", "ubuntu:focal", "--rosdep", &base_yaml(), "--out"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([out.display().to_string()])
            .collect()
    };
    let batch = dir.path().join("batch");
    let mut args = sources.clone();
    args.extend(common(&batch));
    args.push("--json".into());
    let out = generate(dir.path(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], 1);
    let packages: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["package"].as_str().unwrap())
        .collect();
    assert_eq!(
        packages,
        ["ros-noetic-std-msgs", "ros-noetic-std-srvs", "ros-noetic-rosgraph-msgs"]
    );
    for (name, source) in names.iter().zip(&sources) {
        let single = dir.path().join("single").join(name);
        let mut args = vec![source.clone()];
        args.extend(common(&single));
        let one = generate(dir.path(), &args);
        assert!(one.status.success(), "{}", stderr(&one));
        assert_eq!(read_tree(&batch.join(name).join("debian")), read_tree(&single.join("debian")));
    }

    // One package with an unresolved key: nothing is written for any, one table per package.
    let bad =
        package(dir.path(), &format!("{HEAD}<license>BSD</license><depend>no_such_key</depend>"));
    let none = dir.path().join("none");
    let mut args = vec![sources[0].clone(), bad.display().to_string()];
    args.extend(common(&none));
    let out = generate(dir.path(), &args);
    assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
    assert!(stderr(&out).contains("no_such_key") && !none.exists(), "{}", stderr(&out));
    args.push("--json".into());
    let doc: serde_json::Value =
        serde_json::from_slice(&generate(dir.path(), &args).stdout).unwrap();
    assert_eq!(doc["packages"][0]["unresolved"][0]["key"], "no_such_key", "{doc}");

    // Two folders with one name cannot share --out.
    let mut args = vec![sources[0].clone(), sources[0].clone()];
    args.extend(common(&none));
    let out = generate(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("two packages would write"), "{}", stderr(&out));
}

/// Every file below `dir` with its contents, by relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(rel, fs_err::read(&path).unwrap());
            }
        }
    }
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

/// A work folder where `rosdep update` ran offline on the fixtures' base.yaml, and a function
/// preparing a `bloom-generate` command in it.
fn bloom_setup() -> (tempfile::TempDir, impl Fn(&mut Command)) {
    assert!(Path::new(BLOOM).exists() && Path::new(ROSDEP).exists(), "{BLOOM} is missing");
    let work = tempfile::tempdir().unwrap();
    let sources = work.path().join("sources.list.d");
    fs_err::create_dir_all(&sources).unwrap();
    fs_err::write(sources.join("20-local.list"), format!("yaml file://{}\n", base_yaml())).unwrap();
    let root = work.path().to_owned();
    let env = move |c: &mut Command| {
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", root.join("home"))
            .env("ROS_HOME", root.join("ros_home"))
            .env("ROSDEP_SOURCE_PATH", root.join("sources.list.d"))
            .env("ROSDISTRO_INDEX_URL", index_url())
            .env("LC_ALL", "C.UTF-8");
    };
    let mut update = Command::new(ROSDEP);
    env(&mut update);
    let out = update.args(["update", "--rosdistro", "noetic"]).output().unwrap();
    assert!(out.status.success(), "offline rosdep update failed:\n{}", stderr(&out));
    (work, env)
}

/// `bloom-generate rosdebian` for noetic on focal in `dir`; returns its debian/control.
fn bloom_control(env: &impl Fn(&mut Command), dir: &Path) -> String {
    let mut bloom = Command::new(BLOOM);
    env(&mut bloom);
    let out = bloom
        .current_dir(dir)
        .args(["rosdebian", "--ros-distro", "noetic", "--os-name", "ubuntu"])
        .args(["--os-version", "focal", "-i", "0"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "bloom-generate failed in {}:\n{}", dir.display(), stderr(&out));
    fs_err::read_to_string(dir.join("debian/control")).unwrap()
}

/// The words of the Description field (synopsis and extended lines, ` .` left out).
fn description_words(control: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut inside = false;
    for line in control.lines() {
        if let Some(synopsis) = line.strip_prefix("Description:") {
            inside = true;
            words.extend(synopsis.split_whitespace().map(str::to_owned));
        } else if inside && line.starts_with(' ') && line.trim() != "." {
            words.extend(line.split_whitespace().map(str::to_owned));
        } else {
            inside = false;
        }
    }
    words
}

/// No description text is lost: on real manifests whose first sentence is too long for the
/// synopsis (tf2, costmap_2d from fixtures/workspaces/real), every word bloom-generate writes
/// in the Description is in ours, in the same order (ours adds the cut synopsis and a last
/// paragraph). The dependencies are left out of the copies: only the description matters here.
#[test]
fn long_first_sentences_lose_no_text_against_bloom() {
    let (work, env) = bloom_setup();
    let real = fixtures().join("workspaces/real/noetic");
    for rel in ["geometry2/tf2", "navigation/costmap_2d"] {
        let xml = fs_err::read_to_string(real.join(rel).join("package.xml")).unwrap();
        let kept: String = xml
            .lines()
            .filter(|l| !l.contains("depend>") && !l.contains("<depend ") && !l.contains("depend "))
            .map(|l| format!("{l}\n"))
            .collect();
        let name = rel.rsplit('/').next().unwrap();
        let copy = work.path().join(name);
        fs_err::create_dir_all(&copy).unwrap();
        fs_err::write(copy.join("package.xml"), &kept).unwrap();
        let theirs = description_words(&bloom_control(&env, &copy));

        let ours_dir = work.path().join(format!("ours-{name}"));
        let mut args = noetic_args(&ours_dir, &[]);
        args[0] = copy.display().to_string();
        fs_err::remove_dir_all(copy.join("debian")).unwrap();
        let out = generate(work.path(), &args);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let control = fs_err::read_to_string(ours_dir.join("out/debian/control")).unwrap();
        let ours = description_words(&control);
        // Every bloom word, in order, somewhere after our synopsis (which is cut, with `...`).
        let synopsis_len = control
            .lines()
            .find_map(|l| l.strip_prefix("Description: "))
            .map_or(0, |s| s.split_whitespace().count());
        let mut rest = ours[synopsis_len..].iter();
        for word in &theirs {
            let word = word.trim_end_matches('.');
            assert!(
                rest.any(|w| w.trim_end_matches('.') == word),
                "{name}: bloom's `{word}` is missing (or out of order) in ours:\n{control}"
            );
        }
    }
}

/// bloom 0.11.2 puts build_export_depend into Depends (catkin_pkg's run_depends), as we do.
#[test]
fn build_export_depend_is_in_depends_as_in_bloom() {
    let (work, env) = bloom_setup();
    let copy = work.path().join("export");
    fs_err::create_dir_all(&copy).unwrap();
    package(
        &copy,
        &format!("{HEAD}<license>BSD</license><build_export_depend>boost</build_export_depend>"),
    );
    let pkg = copy.join("pkg");
    let theirs = bloom_control(&env, &pkg);
    fs_err::remove_dir_all(pkg.join("debian")).unwrap();
    let out = generate(&copy, &noetic_args(&copy, &[]));
    assert!(out.status.success(), "{}", stderr(&out));
    let ours = fs_err::read_to_string(copy.join("out/debian/control")).unwrap();
    assert!(relation_names(&theirs, "Depends").contains("libboost-all-dev"), "{theirs}");
    assert_eq!(relation_names(&ours, "Depends"), relation_names(&theirs, "Depends"));
}

/// As bloom, a maintainer's own files in debian/ are kept; the generated files replace their
/// namesakes, and stderr names them.
#[test]
fn files_it_does_not_generate_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = package(dir.path(), &format!("{HEAD}<license>BSD</license>"));
    let debian = pkg.join("debian");
    fs_err::create_dir_all(debian.join("patches")).unwrap();
    fs_err::write(debian.join("postinst"), "#!/bin/sh\nexit 0\n").unwrap();
    fs_err::set_permissions(debian.join("postinst"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    fs_err::write(debian.join("patches/01.patch"), "--- a\n+++ b\n").unwrap();
    fs_err::write(debian.join("control"), "hand-written\n").unwrap();
    let mut args = noetic_args(dir.path(), &[]);
    let out_at = args.iter().position(|a| a == "--out").unwrap();
    args.drain(out_at..out_at + 2); // --out defaults to the package folder
    let out = generate(dir.path(), &args);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let files = tree(&debian);
    assert_eq!(files["postinst"], ("#!/bin/sh\nexit 0\n".to_owned(), true));
    assert_eq!(files["patches/01.patch"].0, "--- a\n+++ b\n");
    assert!(files["control"].0.starts_with("Source: ros-noetic-demo-pkg\n"));
    assert!(err.contains("replaced 1 generated file: control (kept 2 files"), "{err}");
    let leftovers: Vec<_> =
        fs_err::read_dir(&pkg).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>();
    assert_eq!(leftovers.len(), 2, "package.xml and debian/ only: {leftovers:?}");
}

/// A maintainer name with a line break is refused with the file and field named; nothing is
/// written.
#[test]
fn a_field_injection_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    package(
        dir.path(),
        &HEAD
            .replace(">Jane Doe<", ">Jane Doe\nPre-Depends: evil<")
            .replace("</maintainer>", "</maintainer><license>BSD</license>"),
    );
    let out = generate(dir.path(), &noetic_args(dir.path(), &[]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("package.xml <maintainer>: debian/control field `Maintainer`"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!dir.path().join("out/debian").exists());
}

/// One ELF detector: a staged tree whose only "ELF" files are a symbolic link to one, an object
/// file and a truncated header (the old `--staged` check said `any`, the build's said `all`)
/// gets `all`; a real executable gets `any`.
#[test]
fn staged_architecture_uses_the_build_detector() {
    let dir = tempfile::tempdir().unwrap();
    package(
        dir.path(),
        &format!("{HEAD}<license>BSD</license><export><build_type>cmake</build_type></export>"),
    );
    let staged = dir.path().join("staged");
    fs_err::create_dir_all(&staged).unwrap();
    std::os::unix::fs::symlink("/bin/sh", staged.join("sh")).unwrap();
    let mut object = b"\x7fELF\x02\x01\x01".to_vec();
    object.resize(16, 0);
    object.extend([1, 0]); // ET_REL
    fs_err::write(staged.join("a.o"), &object).unwrap();
    fs_err::write(staged.join("short"), b"\x7fELF").unwrap();
    let s = staged.display().to_string();
    let arch = |dir: &Path| {
        let out = generate(dir, &noetic_args(dir, &["--staged", &s]));
        assert!(out.status.success(), "{}", stderr(&out));
        let control = fs_err::read_to_string(dir.join("out/debian/control")).unwrap();
        field(&control, "Architecture").unwrap().to_owned()
    };
    assert_eq!(arch(dir.path()), "all");
    assert!(!debgen::build::has_elf(&staged).unwrap(), "the build's detector agrees");
    fs_err::copy("/bin/sh", staged.join("real-sh")).unwrap();
    assert_eq!(arch(dir.path()), "any");
    assert!(debgen::build::has_elf(&staged).unwrap());
}
