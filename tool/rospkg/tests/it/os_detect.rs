//! Conformance of `rospkg::os_detect` with Python rospkg's `OsDetect`, run at test time on every sample under `fixtures/data/os-release/`.
//!
//! The Python side (`os_detect_oracle.py`, run by `/usr/bin/python3` with Debian's
//! python3-rospkg 1.4) loads a fresh copy of `rospkg/os_detect.py` for each sample with
//! `os.path.exists`, `codecs.open` and `open` redirected into the sample root and `distro`
//! replaced by `distro.LinuxDistribution(root_dir=<sample>)`, so every detector (Fdo, Lsb and the
//! special-file ones) reads the sample, never the host. It reports rospkg 1.4's answer and the
//! answer with upstream 1.6.1's extra Fdo detectors (raspbian, fedora-asahi, openeuler) placed
//! where 1.6.1 registers them. Our answer must equal rospkg 1.4's on every sample, except the
//! rows of the table in `docs/os-detect-differences.md`, which must state both answers exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rospkg::environment::Environment;
use rospkg::os_detect::{self, OsInfo};
use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";

type Answer = Option<[String; 3]>;

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/data/os-release")
        .canonicalize()
        .expect("the os-release samples are missing (fixtures/data/os-release)")
}

fn samples() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "expected the full sample set, found {}", dirs.len());
    dirs
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

fn ours(root: &Path) -> Answer {
    os_detect::detect(root, &Environment::default())
        .ok()
        .map(|OsInfo { name, version, codename }| [name, version, codename])
}

fn answer(v: &Value) -> Answer {
    match v {
        Value::Null => None,
        Value::Array(items) => {
            let s: Vec<String> = items.iter().map(|i| i.as_str().unwrap().to_owned()).collect();
            Some(s.try_into().expect("three fields"))
        }
        other => panic!("unexpected answer {other}"),
    }
}

/// `{sample: (rospkg 1.4 answer, answer with 1.6.1's extra detectors)}`.
fn python(roots: &[PathBuf]) -> BTreeMap<String, (Answer, Answer)> {
    assert!(Path::new(PYTHON).exists(), "{PYTHON} is missing (apt-get install python3-rospkg)");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/os_detect_oracle.py");
    let out = Command::new(PYTHON)
        .arg(&script)
        .args(roots)
        .env_remove("ROS_OS_OVERRIDE")
        .output()
        .expect("run python3");
    assert!(out.status.success(), "oracle failed: {}", String::from_utf8_lossy(&out.stderr));
    let doc: BTreeMap<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    doc.into_iter().map(|(k, v)| (k, (answer(&v["rospkg"]), answer(&v["upstream"])))).collect()
}

/// The first table of `docs/os-detect-differences.md`: `{sample: (rospkg 1.4, rosdeb)}`.
fn documented() -> BTreeMap<String, (Answer, Answer)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/os-detect-differences.md");
    let text = fs_err::read_to_string(path).unwrap();
    let section = text
        .split("## On the samples")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("section `## On the samples`");
    let cell = |c: &str| -> Answer {
        let c = c.trim().trim_matches('`');
        if c == "not detected" {
            None
        } else {
            answer(&serde_json::from_str(c).unwrap_or_else(|e| panic!("cell {c:?}: {e}")))
        }
    };
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').collect();
        let sample = cells[1].trim().trim_matches('`').to_owned();
        assert!(
            rows.insert(sample.clone(), (cell(cells[2]), cell(cells[3]))).is_none(),
            "{sample} twice"
        );
    }
    assert!(!rows.is_empty(), "no rows in the differences table");
    rows
}

#[test]
fn every_sample_agrees_with_python_rospkg_or_is_documented() {
    let roots = samples();
    let py = python(&roots);
    let doc = documented();
    let mut failures = Vec::new();
    for root in &roots {
        let sample = name(root);
        let mine = ours(root);
        let (rospkg14, upstream) = py.get(&sample).cloned().expect("oracle answered every sample");
        assert!(mine.is_some(), "{sample}: we must detect every sample");
        if rospkg14 != upstream && mine != upstream {
            failures
                .push(format!("{sample}: ours {mine:?}, upstream 1.6.1 detectors {upstream:?}"));
        }
        match doc.get(&sample) {
            Some((doc_rospkg, doc_ours)) => {
                if *doc_rospkg != rospkg14 {
                    failures.push(format!(
                        "{sample}: table says rospkg gives {doc_rospkg:?}, it gives {rospkg14:?}"
                    ));
                }
                if *doc_ours != mine {
                    failures.push(format!("{sample}: table says we give {doc_ours:?}, we give {mine:?}"));
                }
                if mine == rospkg14 {
                    failures.push(format!("{sample}: listed as a difference but both agree"));
                }
            }
            None if mine != rospkg14 => failures.push(format!(
                "{sample}: ours {mine:?} != rospkg {rospkg14:?} and not in docs/os-detect-differences.md"
            )),
            None => {}
        }
    }
    for sample in doc.keys() {
        if !roots.iter().any(|r| name(r) == *sample) {
            failures.push(format!("table row {sample} names no sample"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_python_side_reads_the_sample_not_the_host() {
    // Two samples that no Debian host could be mistaken for.
    let roots: Vec<PathBuf> = ["fedora-42", "opensuse-tumbleweed-20230816"]
        .iter()
        .map(|s| samples_dir().join(s))
        .collect();
    let py = python(&roots);
    assert_eq!(py["fedora-42"].0.as_ref().unwrap()[0], "fedora");
    assert_eq!(py["opensuse-tumbleweed-20230816"].0.as_ref().unwrap()[1], "20230816");
}

#[test]
fn override_wins_on_every_sample() {
    let env = Environment::from_pairs([("ROS_OS_OVERRIDE", "fubuntu:04.10")]);
    for root in samples() {
        let got = os_detect::detect(&root, &env).unwrap();
        assert_eq!(
            (got.name.as_str(), got.version.as_str(), got.codename.as_str()),
            ("fubuntu", "04.10", "")
        );
    }
}

#[test]
fn the_host_agrees_with_python_rospkg() {
    let out = Command::new(PYTHON)
        .args([
            "-c",
            "import json, rospkg.os_detect as o\ntry:\n    print(json.dumps(list(o.OsDetect().detect_os(env={}))))\nexcept o.OsNotDetected:\n    print('null')",
        ])
        .env_remove("ROS_OS_OVERRIDE")
        .output()
        .expect("run python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs = answer(&serde_json::from_slice(&out.stdout).unwrap());
    if theirs.is_some() {
        assert_eq!(ours(Path::new("/")), theirs);
    }
}
