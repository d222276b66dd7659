//! Integration tests of `rosdeb resolve`: the pinned `--json` shape, text output, exit codes,
//! where rules come from (`--rosdep`, `ROSDEP_SOURCE_PATH` with `file://` URLs and paths, an
//! http entry that cannot be fetched reported with a hint; fetching itself is tested in
//! `fetch.rs`), `--distro` / `--distro-file`, bad input, and agreement with
//! Debian's `rosdep resolve` (run at test time on an offline cache) on a few keys.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{Invocation, Outcome, RunDir, Sandbox, TempDir, base_env, rosdeb, run};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/data/rosdistro")
        .canonicalize()
        .expect("the rosdistro data is missing (fixtures/data/rosdistro)")
}

fn rules(name: &str) -> String {
    data_dir().join("rosdep").join(name).display().to_string()
}

fn index_url() -> String {
    format!("file://{}", data_dir().join("index-v4.yaml").display())
}

/// `rosdeb resolve <args>` with extra environment; `ROSDEP_SOURCE_PATH` points at an empty
/// folder unless `env` sets it, so the machine's /etc/ros is never read.
fn resolve(args: &[&str], env: &[(&str, String)]) -> Outcome {
    let sandbox = Sandbox::new("resolve");
    let mut all = vec![OsString::from("resolve")];
    all.extend(args.iter().map(OsString::from));
    let mut e = base_env(&sandbox, None);
    let empty = sandbox.home().join("no-sources");
    e.push(("ROSDEP_SOURCE_PATH".into(), empty.into_os_string()));
    for (k, v) in env {
        e.retain(|(key, _)| key != k);
        e.push(((*k).into(), v.into()));
    }
    let out = run(&Invocation {
        program: rosdeb(),
        args: all,
        env: e,
        dir: RunDir::Path(sandbox.cwd()),
        stdin: None,
    });
    assert!(out.crash().is_none(), "rosdeb resolve {args:?} crashed:\n{}", out.stderr_str());
    out
}

fn json_of(out: &Outcome) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout_str(), out.stderr_str()))
}

#[test]
fn json_shape_reasons_and_exit_status() {
    let (base, python) = (rules("base.yaml"), rules("python.yaml"));
    let noetic = data_dir().join("noetic/distribution.yaml").display().to_string();
    let out = resolve(
        &[
            "boost",
            "python3-transforms3d",
            "std_msgs",
            "no_such_key",
            "--os",
            "ubuntu:jammy",
            "--os",
            "ubuntu:focal",
            "--rosdep",
            &base,
            "--rosdep",
            &python,
            "--distro-file",
            &noetic,
            "--json",
        ],
        &[],
    );
    assert_eq!(out.code, 1, "a failing key makes the command fail\n{}", out.stderr_str());
    let doc = json_of(&out);
    // Keys in command-line order, targets in --os order.
    let text = out.stdout_str();
    let at = |s: &str| text.find(&format!("\"{s}\"")).unwrap();
    assert!(at("boost") < at("python3-transforms3d") && at("std_msgs") < at("no_such_key"));
    assert!(at("ubuntu:jammy") < at("ubuntu:focal"));
    assert_eq!(doc.as_object().unwrap().len(), 4);
    assert_eq!(
        doc["boost"],
        json!({"ubuntu:jammy": {"installer": "apt", "packages": ["libboost-all-dev"]},
               "ubuntu:focal": {"installer": "apt", "packages": ["libboost-all-dev"]}})
    );
    assert_eq!(
        doc["std_msgs"]["ubuntu:focal"],
        json!({"installer": "apt", "packages": ["ros-noetic-std-msgs"]})
    );
    let err = |k: &str, t: &str| doc[k][t]["error"].as_str().unwrap().to_owned();
    assert!(err("std_msgs", "ubuntu:jammy").contains("not released"));
    assert!(err("std_msgs", "ubuntu:jammy").contains("ubuntu:focal"));
    assert!(err("python3-transforms3d", "ubuntu:focal").contains("pip"));
    assert!(err("no_such_key", "ubuntu:jammy").contains("no rosdep rule"));
    // Every answer is exactly {installer, packages} or {error}.
    for row in doc.as_object().unwrap().values() {
        for answer in row.as_object().unwrap().values() {
            let mut fields: Vec<&String> = answer.as_object().unwrap().keys().collect();
            fields.sort();
            assert!(fields == ["installer", "packages"] || fields == ["error"], "{answer}");
        }
    }
    // --any-installer accepts the pip rule, as `rosdep resolve` does.
    let out = resolve(
        &["python3-transforms3d", "--os", "ubuntu:focal", "--rosdep", &python, "--any-installer"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert_eq!(out.stdout_str(), "python3-transforms3d\tubuntu:focal\tpip\ttransforms3d\n");
}

#[test]
fn text_output_and_success() {
    let base = rules("base.yaml");
    let out = resolve(&["boost", "ack", "--os", "debian:bookworm", "--rosdep", &base], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert_eq!(
        out.stdout_str(),
        "boost\tdebian:bookworm\tapt\tlibboost-all-dev\nack\tdebian:bookworm\tapt\tack\n"
    );
    assert_eq!(out.stderr_str(), "");
    let out = resolve(&["nope", "--os", "debian:bookworm", "--rosdep", &base], &[]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout_str(), "");
    assert!(
        out.stderr_str().contains("cannot resolve nope on debian:bookworm"),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn sources_lists_and_precedence() {
    let dir = TempDir::new("resolve-sources");
    let lists = dir.path().join("lists");
    fs_err::create_dir_all(&lists).unwrap();
    let local = dir.path().join("local.yaml");
    fs_err::write(&local, "boost: {ubuntu: [my-boost]}\nmine: {ubuntu: [mine]}\n").unwrap();
    let tagged = dir.path().join("tagged.yaml");
    fs_err::write(&tagged, "boost: {ubuntu: [focal-boost]}\n").unwrap();
    fs_err::write(
        lists.join("10-local.list"),
        format!(
            "# a comment\nyaml {} focal\nyaml file://{}\nyaml https://example.org/osx.yaml osx\n",
            tagged.display(),
            rules("base.yaml")
        ),
    )
    .unwrap();
    let env = [("ROSDEP_SOURCE_PATH", lists.display().to_string())];
    let out = resolve(&["boost", "--os", "ubuntu:jammy", "--os", "ubuntu:focal", "--json"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    let doc = json_of(&out);
    assert_eq!(doc["boost"]["ubuntu:jammy"]["packages"], json!(["libboost-all-dev"]));
    assert_eq!(doc["boost"]["ubuntu:focal"]["packages"], json!(["focal-boost"]), "tagged first");
    // --rosdep files come before the sources lists.
    let local = local.display().to_string();
    let out = resolve(&["boost", "mine", "acl", "--os", "ubuntu:jammy", "--rosdep", &local], &env);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert_eq!(
        out.stdout_str(),
        "boost\tubuntu:jammy\tapt\tmy-boost\nmine\tubuntu:jammy\tapt\tmine\n\
         acl\tubuntu:jammy\tapt\tacl libacl1-dev\n"
    );
    // An http(s) entry that cannot be fetched (here: not in the cache, offline; the tests
    // reach no network) is an error naming the list line, with a hint...
    fs_err::write(lists.join("20-remote.list"), "yaml https://example.org/base.yaml\n").unwrap();
    let cache = dir.path().join("http-cache").display().to_string();
    let out = resolve(&["boost", "--os", "ubuntu:jammy", "--offline", "--cache-dir", &cache], &env);
    assert_eq!(out.code, 1);
    let err = out.stderr_str();
    assert!(err.contains("20-remote.list:1: "), "{err}");
    assert!(err.contains("https://example.org/base.yaml"), "{err}");
    assert!(err.contains("hint:") && err.contains("--rosdep FILE"), "{err}");
    // ... and a warning when --rosdep files are given.
    let out = resolve(
        &["boost", "--os", "ubuntu:jammy", "--rosdep", &local, "--offline", "--cache-dir", &cache],
        &env,
    );
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert!(out.stderr_str().contains("warning:"), "{}", out.stderr_str());
}

#[test]
fn distro_by_name_through_the_index() {
    let index = [("ROSDISTRO_INDEX_URL", index_url())];
    let out = resolve(&["rclcpp", "--os", "ubuntu:jammy", "--distro", "humble", "--json"], &index);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert_eq!(
        json_of(&out),
        json!({"rclcpp": {"ubuntu:jammy": {"installer": "apt", "packages": ["ros-humble-rclcpp"]}}})
    );
    let out = resolve(&["rclcpp", "--os", "ubuntu:jammy", "--distro", "humble"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr_str().contains("ROSDISTRO_INDEX_URL"), "{}", out.stderr_str());
    let out = resolve(&["rclcpp", "--os", "ubuntu:jammy", "--distro", "nosuch"], &index);
    assert_eq!(out.code, 1);
    assert!(out.stderr_str().contains("no distribution named 'nosuch'"), "{}", out.stderr_str());
}

#[test]
fn bad_input() {
    let dir = TempDir::new("resolve-bad");
    let bad = dir.path().join("bad.yaml");
    fs_err::write(&bad, "a: {ubuntu: [x]}\nb: {ubuntu: [y\n").unwrap();
    let bad = bad.display().to_string();
    let out = resolve(&["a", "--os", "ubuntu:jammy", "--rosdep", &bad], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr_str().contains(&format!("{bad}:")), "{}", out.stderr_str());
    let out = resolve(&["a", "--os", "jammy", "--rosdep", &bad], &[]);
    assert_eq!(out.code, 2, "a target without a codename is a usage error");
    let out = resolve(&["a", "--os", "ubuntu:jammy"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr_str().contains("no rosdep rules"), "{}", out.stderr_str());
    let out = resolve(&["a", "--os", "ubuntu:jammy", "--rosdep", "/does/not/exist.yaml"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr_str().contains("/does/not/exist.yaml"), "{}", out.stderr_str());
}

/// `rosdep resolve` answers, from an offline cache, as `{key: {"installer", "packages"}}`.
fn rosdep_answers(keys: &[&str], target: &str) -> Value {
    let dir = TempDir::new("resolve-rosdep");
    let lists = dir.path().join("lists");
    fs_err::create_dir_all(&lists).unwrap();
    let list: String = ["base.yaml", "python.yaml"]
        .iter()
        .map(|f| format!("yaml file://{}\n", rules(f)))
        .collect();
    fs_err::write(lists.join("20-local.list"), list).unwrap();
    let rosdep = |args: &[&str]| {
        std::process::Command::new("/usr/bin/rosdep")
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", dir.path().join("home"))
            .env("ROS_HOME", dir.path().join("ros_home"))
            .env("ROSDEP_SOURCE_PATH", &lists)
            .env("ROSDISTRO_INDEX_URL", index_url())
            .env("ROS_DISTRO", "humble")
            .output()
            .expect("/usr/bin/rosdep is missing (apt-get install python3-rosdep2)")
    };
    let update = rosdep(&["update", "--rosdistro", "humble"]);
    assert!(update.status.success(), "{}", String::from_utf8_lossy(&update.stderr));
    let mut doc = serde_json::Map::new();
    for key in keys {
        let out = rosdep(&["resolve", key, "--os", target]);
        assert!(
            out.status.success(),
            "rosdep resolve {key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        let installer = lines.next().unwrap().trim_start_matches('#');
        let packages: Vec<&str> = lines.next().unwrap().split(' ').collect();
        doc.insert(
            (*key).into(),
            json!({ target: {"installer": installer, "packages": packages} }),
        );
    }
    Value::Object(doc)
}

#[test]
fn agrees_with_debian_rosdep_resolve() {
    let keys = ["boost", "ack", "python3-yaml", "python3-flake8-builtins", "rclcpp", "std_msgs"];
    let expected = rosdep_answers(&keys, "ubuntu:jammy");
    let (base, python) = (rules("base.yaml"), rules("python.yaml"));
    let mut args = keys.to_vec();
    args.extend([
        "--os",
        "ubuntu:jammy",
        "--rosdep",
        &base,
        "--rosdep",
        &python,
        "--distro",
        "humble",
        "--any-installer",
        "--json",
    ]);
    let out = resolve(&args, &[("ROSDISTRO_INDEX_URL", index_url())]);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert_eq!(json_of(&out), expected);
}

/// Rules read back from the cache of parse results (only the keys asked about are decoded)
/// answer exactly like a fresh parse, for keys that resolve, keys that fail, and keys of
/// another file of the sources list.
#[test]
fn cached_rules_answer_like_a_fresh_parse() {
    let cache = TempDir::new("resolve-parsed");
    let sources = TempDir::new("resolve-sources");
    fs_err::write(
        sources.path().join("10-base.list"),
        format!("yaml file://{}\nyaml file://{}\n", rules("base.yaml"), rules("python.yaml")),
    )
    .unwrap();
    let env = [
        ("ROSDEB_HTTP_CACHE", cache.path().join("http").display().to_string()),
        ("ROSDEP_SOURCE_PATH", sources.path().display().to_string()),
    ];
    let ask = |keys: &[&str]| {
        let mut args = keys.to_vec();
        args.extend(["--os", "ubuntu:focal", "--os", "debian:bookworm", "--json"]);
        resolve(&args, &env)
    };
    let first = ask(&["boost", "python3-yaml", "no-such-key"]);
    assert_eq!(first.code, 1, "{}", first.stderr_str());
    let parsed = cache.path().join("parsed");
    assert_eq!(fs_err::read_dir(&parsed).unwrap().count(), 2, "one entry per rule file");
    for keys in [&["boost", "python3-yaml", "no-such-key"][..], &["python3-yaml"], &["libusb"]] {
        let cached = ask(keys);
        let fresh = {
            let other = TempDir::new("resolve-parsed-fresh");
            let env = [
                ("ROSDEB_HTTP_CACHE", other.path().join("http").display().to_string()),
                ("ROSDEP_SOURCE_PATH", sources.path().display().to_string()),
            ];
            let mut args = keys.to_vec();
            args.extend(["--os", "ubuntu:focal", "--os", "debian:bookworm", "--json"]);
            resolve(&args, &env)
        };
        assert_eq!(
            (cached.code, json_of(&cached), cached.stderr_str()),
            (fresh.code, json_of(&fresh), fresh.stderr_str()),
            "{keys:?}"
        );
    }
}
