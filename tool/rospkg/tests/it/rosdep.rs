//! Conformance of `rospkg::rosdep` with Debian's rosdep (python3-rosdep2), run at test time.
//!
//! A private `ROS_HOME` gets an offline rosdep cache: `rosdep update --rosdistro humble` with a
//! sources list pointing at the real `base.yaml`, `python.yaml` and `ruby.yaml` through `file://`
//! URLs and `ROSDISTRO_INDEX_URL` at the local `index-v4.yaml`. Then every key of those files,
//! a sample of humble's released packages and an unknown key are resolved for ubuntu:jammy,
//! debian:bookworm and ubuntu:focal, by rosdep2 (`rosdep_oracle.py`, the code path of
//! `rosdep resolve`, cross-checked against the real `rosdep resolve` on a few keys) and by us,
//! comparing installer and packages, or the kind of failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rospkg::distro::index;
use rospkg::rosdep::{
    self, Failure, Outcome, Policy, ROS_INSTALLER, RosDistro, RuleFile, Rules, Target, sources,
};
use serde_json::{Value, json};

const PYTHON: &str = "/usr/bin/python3";
const ROSDEP: &str = "/usr/bin/rosdep";
const DISTRO: &str = "humble";
const TARGETS: [&str; 3] = ["ubuntu:jammy", "debian:bookworm", "ubuntu:focal"];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/data/rosdistro")
        .canonicalize()
        .expect("the rosdistro data is missing (fixtures/data/rosdistro)")
}

fn index_url() -> String {
    format!("file://{}", data_dir().join("index-v4.yaml").display())
}

/// A temporary directory with `sources.list.d/20-local.list` and an offline rosdep cache.
struct Offline {
    _dir: tempfile::TempDir,
    sources: PathBuf,
    ros_home: PathBuf,
    home: PathBuf,
}

impl Offline {
    fn new() -> Offline {
        for tool in [PYTHON, ROSDEP] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing (apt-get install python3-rosdep2)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let sources = dir.path().join("sources.list.d");
        fs_err::create_dir_all(&sources).unwrap();
        let rules = data_dir().join("rosdep");
        let list: String = ["base", "python", "ruby"]
            .iter()
            .map(|f| format!("yaml file://{}/{f}.yaml\n", rules.display()))
            .collect();
        fs_err::write(sources.join("20-local.list"), list).unwrap();
        let o = Offline {
            sources,
            ros_home: dir.path().join("ros_home"),
            home: dir.path().join("home"),
            _dir: dir,
        };
        let out = o.command(ROSDEP).args(["update", "--rosdistro", DISTRO]).output().unwrap();
        assert!(
            out.status.success() && o.ros_home.join("rosdep/sources.cache").is_dir(),
            "offline `rosdep update` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        o
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.home)
            .env("ROS_HOME", &self.ros_home)
            .env("ROSDEP_SOURCE_PATH", &self.sources)
            .env("ROSDISTRO_INDEX_URL", index_url())
            .env("ROS_DISTRO", DISTRO)
            .env("LC_ALL", "C.UTF-8");
        c
    }
}

/// Our rules, read the way the CLI reads them: the same sources list, then the distribution.
fn our_rules(sources_dir: &Path) -> Rules {
    let mut rules = Rules::new();
    let dirs = sources::list_dirs(Some(sources_dir.to_str().unwrap()));
    for entry in sources::read_dirs(&dirs).unwrap() {
        rules.push(RuleFile::load(&entry.url, entry.tags).unwrap());
    }
    let dist = index::load_distribution(&index_url(), DISTRO).unwrap();
    rules.set_distro(RosDistro::from_distribution(DISTRO, &dist));
    rules
}

/// An outcome in the oracle's terms (ROS packages named as rosdep generates them).
fn as_oracle(rules: &Rules, target: &Target, outcome: &Outcome) -> Value {
    match outcome {
        Ok(r) if r.installer == ROS_INSTALLER => json!({
            "installer": rosdep::default_installer(target).unwrap(),
            "packages": r.packages.iter()
                .map(|p| format!("ros-{DISTRO}-{p}").replace('_', "-"))
                .collect::<Vec<_>>(),
        }),
        Ok(r) => json!({"installer": r.installer, "packages": r.packages}),
        Err(f) => {
            let kind = match f {
                Failure::NoRule => "no-rule",
                Failure::NoOs => "no-os",
                Failure::NoCodename => "no-codename",
                Failure::NotAvailable => "not-available",
                Failure::SourceInstaller => "source",
                Failure::Invalid(_) => "invalid",
                Failure::NotReleased { .. } => {
                    let d = rules.distro().unwrap();
                    if d.platforms.contains_key(&target.os) { "no-codename" } else { "no-os" }
                }
                Failure::UnsupportedOs => "unsupported-os",
                Failure::WrongInstaller { .. } => "wrong-installer",
            };
            json!({ "error": kind })
        }
    }
}

fn oracle(o: &Offline, keys: &[String]) -> Value {
    let request = o.ros_home.with_file_name("request.json");
    fs_err::write(&request, json!({"targets": TARGETS, "keys": keys}).to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/rosdep_oracle.py");
    let out = o.command(PYTHON).arg(&script).arg(&request).output().unwrap();
    assert!(
        out.status.success(),
        "rosdep_oracle.py failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `rosdep resolve K... --os OS:CODENAME`: key → (installer, packages), and its exit status.
fn rosdep_resolve(o: &Offline, keys: &[&str], target: &str) -> (Vec<(String, Value)>, bool) {
    let out = o.command(ROSDEP).arg("resolve").args(keys).args(["--os", target]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut rows = Vec::new();
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        let key = line.strip_prefix("#ROSDEP[").and_then(|l| l.strip_suffix(']')).unwrap();
        if lines.peek().is_some_and(|l| l.starts_with("#ROSDEP[")) || lines.peek().is_none() {
            continue; // no rule: nothing printed for this key
        }
        let installer = lines.next().unwrap().trim_start_matches('#').to_owned();
        let packages: Vec<&str> = lines.next().unwrap().split(' ').collect();
        rows.push((key.to_owned(), json!({"installer": installer, "packages": packages})));
    }
    (rows, out.status.success())
}

#[test]
fn resolution_agrees_with_debian_rosdep() {
    let o = Offline::new();
    let rules = our_rules(&o.sources);
    let mut keys: Vec<String> = rules.files().iter().flat_map(|f| f.keys().cloned()).collect();
    keys.sort();
    keys.dedup();
    let released: Vec<&String> = rules.distro().unwrap().packages.keys().collect();
    assert!(released.len() > 1000, "humble has {} released packages", released.len());
    keys.extend(released.iter().step_by(released.len() / 40).map(|s| (*s).clone()));
    keys.extend(["std_msgs", "rclcpp", "no_such_key_xyz"].map(String::from));
    let expected = oracle(&o, &keys);

    let targets: Vec<Target> = TARGETS.iter().map(|t| t.parse().unwrap()).collect();
    let table = rules.resolve_table(&keys, &targets, Policy::default());
    let mut mismatches = Vec::new();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for (key, row) in &table {
        for (target, outcome) in row {
            let ours = as_oracle(&rules, target, outcome);
            let theirs = &expected[target.to_string()][key];
            let kind = theirs
                .get("error")
                .or_else(|| theirs.get("installer"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            *kinds.entry(kind.to_owned()).or_default() += 1;
            if &ours != theirs {
                mismatches.push(format!("{key} on {target}: rosdep {theirs}, we {ours}"));
            }
        }
    }
    eprintln!("compared {} keys x {} targets: {kinds:?}", keys.len(), targets.len());
    assert!(
        mismatches.is_empty(),
        "{} of {} answers differ from rosdep, e.g.:\n{}",
        mismatches.len(),
        keys.len() * targets.len(),
        mismatches.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
    // The sample covers every kind of answer the issue names.
    for kind in ["apt", "pip", "no-rule", "no-os", "no-codename", "not-available"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "no '{kind}' answer in the sample");
    }
    assert_eq!(
        rules.resolve("std_msgs", &targets[0]),
        Ok(rosdep::Resolution {
            installer: ROS_INSTALLER.into(),
            packages: vec!["std_msgs".into()]
        })
    );

    // The oracle script answers as the `rosdep resolve` command does.
    let jammy = &expected["ubuntu:jammy"];
    let pip_key = keys.iter().find(|k| jammy[k.as_str()]["installer"] == "pip").unwrap();
    let sample = ["boost", pip_key.as_str(), "std_msgs", "no_such_key_xyz"];
    let (rows, success) = rosdep_resolve(&o, &sample, "ubuntu:jammy");
    assert!(!success, "an unknown key makes `rosdep resolve` fail");
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (key, got) in rows {
        assert_eq!(&got, &jammy[key.as_str()], "`rosdep resolve {key}` vs the oracle script");
    }
}

#[test]
fn every_base_key_for_one_target_is_fast() {
    let base = data_dir().join("rosdep/base.yaml");
    let start = Instant::now();
    let mut rules = Rules::new();
    rules.push(RuleFile::load(base.to_str().unwrap(), vec![]).unwrap());
    let loaded = start.elapsed();
    let keys = rules.keys();
    let target: Target = "ubuntu:jammy".parse().unwrap();
    let t = Instant::now();
    let table = rules.resolve_table(&keys, std::slice::from_ref(&target), Policy::default());
    let resolved = t.elapsed();
    let ok = table.values().filter(|r| r[&target].is_ok()).count();
    eprintln!(
        "base.yaml: {} keys, {ok} resolved for {target}; load {loaded:?}, resolve {resolved:?}",
        keys.len()
    );
    assert!(keys.len() > 1000 && ok > 900, "{} keys, {ok} resolved", keys.len());
}
