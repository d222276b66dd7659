//! Conformance of `rospkg::distro` with Python, run at test time: `rospkg.distro.load_distro` on
//! every legacy `.rosdistro` file under `fixtures/data/rosdistro/legacy/`, and rosdistro's
//! `get_index` + `get_distribution_file` on the noetic, melodic, humble and jazzy
//! distribution files through `index-v4.yaml`.
//!
//! Python (`/usr/bin/python3` with Debian's python3-rospkg and python3-rosdistro) prints JSON;
//! nothing is copied by hand. Debian's rosdistro adds a distribution named `debian` to every
//! v4 index it loads; our index lists only what the file holds, so that one name is expected
//! on the Python side only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rospkg::distro::{distribution, index, legacy};
use serde_json::{Value, json};

const PYTHON: &str = "/usr/bin/python3";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/data/rosdistro")
        .canonicalize()
        .expect("the rosdistro data is missing (fixtures/data/rosdistro)")
}

fn legacy_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in fs_err::read_dir(data_dir().join("legacy")).unwrap() {
        let dir = dir.unwrap().path();
        for f in fs_err::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "rosdistro") {
                files.push(f);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 15, "expected every legacy file, found {}", files.len());
    files
}

fn python(script: &str, args: &[String]) -> Value {
    let out = Command::new(PYTHON).arg("-c").arg(script).args(args).output().expect("run python3");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        script
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

const LEGACY_ORACLE: &str = r#"
import json, sys
import rospkg.distro as d
res = {}
for f in sys.argv[1:]:
    try:
        x = d.load_distro(f)
    except Exception as e:
        res[f] = {"error": type(e).__name__ + ": " + str(e)}
        continue
    def cfg(s):
        c = s.vcs_config
        if c is None:
            return None
        out = {"type": c.type, "tarball_url": c.tarball_url, "tarball_version": c.tarball_version}
        for b in ["devel", "distro", "release"]:
            for anon in [True, False]:
                out["%s/%s" % (b, anon)] = list(c.get_branch(b, anon))
        return out
    res[f] = {
        "release": x.release_name,
        "version": str(x.version),
        "stacks": [[k, v.version, v.repo, cfg(v)] for k, v in x.stacks.items()],
        "released": sorted(x.released_stacks.keys()),
        "variants": [[k, v.extends, v.get_stack_names(False), v.get_stack_names(True)] for k, v in x.variants.items()],
    }
print(json.dumps(res))
"#;

fn ours_legacy(path: &Path) -> Value {
    let d = match legacy::load_distro(path) {
        Ok(d) => d,
        Err(e) => return json!({ "error": e.to_string() }),
    };
    let cfg = |s: &legacy::DistroStack| -> Value {
        let Some(c) = &s.vcs_config else { return Value::Null };
        let mut out = json!({
            "type": c.kind.as_str(),
            "tarball_url": c.tarball_url,
            "tarball_version": c.tarball_version,
        });
        for (name, b) in [
            ("devel", legacy::Branch::Devel),
            ("distro", legacy::Branch::Distro),
            ("release", legacy::Branch::Release),
        ] {
            for anon in [true, false] {
                let (uri, tag) = c.get_branch(b, anon);
                let key = format!("{name}/{}", if anon { "True" } else { "False" });
                out[key] = json!([uri, tag]);
            }
        }
        out
    };
    let mut released: Vec<&str> = d.released_stacks().map(|s| s.name.as_str()).collect();
    released.sort_unstable();
    json!({
        "release": d.release_name,
        "version": d.version,
        "stacks": d.stacks.values().map(|s| json!([s.name, s.version, s.repo, cfg(s)])).collect::<Vec<_>>(),
        "released": released,
        "variants": d.variants.values().map(|v| json!([v.name, v.extends, v.get_stack_names(false), v.get_stack_names(true)])).collect::<Vec<_>>(),
    })
}

#[test]
fn legacy_files_match_rospkg() {
    let files = legacy_files();
    let args: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let expected = python(LEGACY_ORACLE, &args);
    let (mut ok, mut rejected) = (0, 0);
    for f in &files {
        let key = f.display().to_string();
        let theirs = &expected[&key];
        let ours = ours_legacy(f);
        if theirs.get("error").is_some() {
            let err = ours.get("error").and_then(Value::as_str).unwrap_or_else(|| {
                panic!("{key}: rospkg rejects it ({}), we accept it", theirs["error"])
            });
            assert!(err.contains(&key), "{key}: the error must name the file: {err}");
            rejected += 1;
        } else {
            assert_eq!(&ours, theirs, "{key}: differs from rospkg");
            ok += 1;
        }
    }
    assert!(ok >= 6 && rejected >= 8, "ok {ok}, rejected {rejected}");
}

const ROSDISTRO_ORACLE: &str = r#"
import json, sys
import rosdistro
index_url = "file://" + sys.argv[1]
i = rosdistro.get_index(index_url)
res = {"names": sorted(i.distributions.keys()), "index": {}, "dists": {}}
for name, d in i.distributions.items():
    res["index"][name] = {k: d.get(k) for k in ["distribution", "distribution_cache", "distribution_status", "distribution_type", "python_version"]}
for name in sys.argv[2:]:
    f = rosdistro.get_distribution_file(i, name)
    repos = {}
    for rn, r in f.repositories.items():
        rr = r.release_repository
        sr = r.source_repository
        dr = r.doc_repository
        repos[rn] = {
            "release": None if rr is None else [rr.type, rr.url, rr.version, rr.tags, rr.package_names],
            "source": None if sr is None else [sr.type, sr.url, sr.version, sr.test_commits, sr.test_pull_requests, sr.test_abi],
            "doc": None if dr is None else [dr.type, dr.url, dr.version, dr.depends, dr.blacklist_packages],
            "status": r.status,
        }
    res["dists"][name] = {
        "version": f.version,
        "platforms": f.release_platforms,
        "tags": f.tags,
        "packages": {p: [pk.repository_name, f.repositories[pk.repository_name].release_repository.version] for p, pk in f.release_packages.items()},
        "repos": repos,
    }
print(json.dumps(res))
"#;

const DISTROS: [&str; 4] = ["noetic", "melodic", "humble", "jazzy"];

fn ours_distribution(f: &distribution::DistributionFile) -> Value {
    let repos: serde_json::Map<String, Value> = f
        .repositories
        .iter()
        .map(|(name, r)| {
            let v = json!({
                "release": r.release.as_ref().map(|x| json!([x.spec.kind, x.spec.url, x.spec.version, x.tags, x.packages])),
                "source": r.source.as_ref().map(|x| json!([x.spec.kind, x.spec.url, x.spec.version, x.test_commits, x.test_pull_requests, x.test_abi])),
                "doc": r.doc.as_ref().map(|x| json!([x.spec.kind, x.spec.url, x.spec.version, x.depends, x.blacklist_packages])),
                "status": r.status,
            });
            (name.clone(), v)
        })
        .collect();
    let packages: serde_json::Map<String, Value> = f
        .release_packages
        .iter()
        .map(|(p, r)| (p.clone(), json!([r, f.package_version(p)])))
        .collect();
    json!({
        "version": f.version,
        "platforms": f.release_platforms,
        "tags": f.tags,
        "packages": packages,
        "repos": repos,
    })
}

#[test]
fn distribution_files_match_rosdistro() {
    let index_path = data_dir().join("index-v4.yaml");
    let mut args = vec![index_path.display().to_string()];
    args.extend(DISTROS.iter().map(|s| (*s).to_owned()));
    let expected = python(ROSDISTRO_ORACLE, &args);

    let source = index_path.display().to_string();
    let (_, idx) = index::load(&source).unwrap();
    let mut names: Vec<&str> = expected["names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| *n != "debian") // added by Debian's python3-rosdistro, not in the file
        .collect();
    names.sort_unstable();
    let ours: Vec<&str> = idx.distributions.keys().map(String::as_str).collect();
    assert_eq!(ours, names);
    for (name, entry) in &idx.distributions {
        let theirs = &expected["index"][name];
        let files: Vec<String> = theirs["distribution"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().trim_start_matches("file://").to_owned())
            .collect();
        assert_eq!(entry.distribution, files, "{name}: distribution files");
        assert_eq!(entry.distribution_cache.as_deref(), theirs["distribution_cache"].as_str());
        assert_eq!(entry.distribution_status.as_deref(), theirs["distribution_status"].as_str());
        assert_eq!(entry.distribution_type.as_deref(), theirs["distribution_type"].as_str());
        assert_eq!(entry.python_version, theirs["python_version"].as_i64());
    }
    for name in DISTROS {
        let started = Instant::now();
        let dist = index::load_distribution(&source, name).unwrap();
        eprintln!("{name}: parsed in {:?}", started.elapsed());
        assert!(dist.is_valid(), "{name}: {:?}", dist.diagnostics);
        let theirs = &expected["dists"][name];
        let ours = ours_distribution(&dist);
        for key in ["version", "platforms", "tags", "packages"] {
            assert_eq!(ours[key], theirs[key], "{name}: {key} differs from rosdistro");
        }
        let (o, t) = (ours["repos"].as_object().unwrap(), theirs["repos"].as_object().unwrap());
        assert_eq!(o.len(), t.len(), "{name}: repository count");
        for (repo, v) in t {
            assert_eq!(&o[repo], v, "{name}: repository {repo} differs from rosdistro");
        }
        assert!(dist.release_packages.len() > 2000, "{name}: {}", dist.release_packages.len());
    }
}

#[test]
fn gzip_cache_of_a_real_distribution_file_reads_the_same_packages() {
    use std::io::Write as _;
    let text = fs_err::read_to_string(data_dir().join("jazzy/distribution.yaml")).unwrap();
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('%') && !l.starts_with("---") && !l.starts_with('#'))
        .map(|l| format!("  {l}\n"))
        .collect();
    let cache = format!(
        "type: cache\nversion: 2\nname: jazzy\ndistribution_file:\n- \n{body}release_package_xmls: {{}}\n"
    );
    let cache = cache.replacen("- \n  ", "- ", 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jazzy-cache.yaml.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(cache.as_bytes()).unwrap();
    fs_err::write(&path, gz.finish().unwrap()).unwrap();
    let from_cache = distribution::load(&path.display().to_string()).unwrap();
    let distribution::Loaded::Cache(c) = from_cache else { panic!("not read as a cache") };
    let plain =
        distribution::load(&data_dir().join("jazzy/distribution.yaml").display().to_string())
            .unwrap()
            .into_distribution();
    assert_eq!(c.name, "jazzy");
    assert_eq!(c.distribution.release_packages, plain.release_packages);
}

#[test]
fn fuerte_gbpdistro_packages_match_rosdep() {
    let path = data_dir().join("releases/fuerte.yaml");
    let script = r#"
import json, sys, warnings, yaml
warnings.simplefilter("ignore")
from rosdep2.gbpdistro_support import gbprepo_to_rosdep_data
data = yaml.safe_load(open(sys.argv[1]))
print(json.dumps(sorted(gbprepo_to_rosdep_data(data, {data["release-name"]: ["precise"]}).keys())))
"#;
    let expected = python(script, &[path.display().to_string()]);
    let dist = distribution::load(&path.display().to_string()).unwrap().into_distribution();
    assert_eq!(dist.format, distribution::Format::Gbp);
    assert_eq!(dist.name, "fuerte");
    let mut ours: Vec<&str> = dist.release_packages.keys().map(String::as_str).collect();
    ours.sort_unstable();
    assert_eq!(json!(ours), expected);
    assert_eq!(dist.package_version("catkin"), Some("0.4.6-0"));
}
