//! Integration tests of `rosdeb distro …`: `stacks` / `variants` against Python rospkg on every
//! legacy `.rosdistro` file, `packages` against Python rosdistro on noetic, melodic, humble and
//! jazzy (by file, `file://` URL and `--index --distro`), and `show`, `validate`, `diff` and bad
//! input (positions, exit codes, no panics). Python runs at test time; nothing is hand-copied.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{
    Invocation, Outcome, PYTHON, RunDir, Sandbox, TempDir, base_env, par_map, rosdeb, run,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/data/rosdistro")
        .canonicalize()
        .expect("the rosdistro data is missing (fixtures/data/rosdistro)")
}

/// `rosdeb distro <args>` in a fresh sandbox.
fn distro(args: &[&str]) -> Outcome {
    let sandbox = Sandbox::new("distro");
    let mut all = vec![OsString::from("distro")];
    all.extend(args.iter().map(OsString::from));
    let out = run(&Invocation {
        program: rosdeb(),
        args: all,
        env: base_env(&sandbox, None),
        dir: RunDir::Path(sandbox.cwd()),
        stdin: None,
    });
    assert!(
        out.crash().is_none(),
        "rosdeb distro {args:?} crashed: {:?}\n{}",
        out.crash(),
        out.stderr_str()
    );
    out
}

fn json_of(out: &Outcome, what: &str) -> Value {
    assert_eq!(out.code, 0, "{what}: exit {}\n{}", out.code, out.stderr_str());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: not JSON ({e})"))
}

fn python_json(script: &str, args: &[String]) -> Value {
    let out = std::process::Command::new(PYTHON).arg("-c").arg(script).args(args).output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn legacy_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in fs_err::read_dir(data_dir().join("legacy")).unwrap() {
        for f in fs_err::read_dir(dir.unwrap().path()).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "rosdistro") {
                files.push(f);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    files
}

const ROSPKG_ORACLE: &str = r#"
import json, sys
import rospkg.distro as d
res = {}
for f in sys.argv[1:]:
    try:
        x = d.load_distro(f)
        res[f] = {"stacks": {k: v.version for k, v in x.stacks.items()},
                  "variants": {k: v.get_stack_names(implicit=True) for k, v in x.variants.items()}}
    except Exception as e:
        res[f] = {"error": str(e)}
print(json.dumps(res))
"#;

#[test]
fn stacks_and_variants_match_rospkg_on_every_legacy_file() {
    let files = legacy_files();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let expected = python_json(ROSPKG_ORACLE, &names);
    let results =
        par_map(&names, |f| (distro(&["stacks", f, "--json"]), distro(&["variants", f, "--json"])));
    let mut rejected = 0;
    for (f, (stacks, variants)) in names.iter().zip(&results) {
        let theirs = &expected[f];
        if theirs.get("error").is_some() {
            rejected += 1;
            for out in [stacks, variants] {
                assert_eq!(
                    out.code, 1,
                    "{f}: rospkg rejects it ({}), we exit {}",
                    theirs["error"], out.code
                );
                let err = out.stderr_str();
                assert!(
                    err.starts_with(&format!("error: {f}")),
                    "{f}: error must name the file:\n{err}"
                );
                assert!(out.stdout.is_empty(), "{f}: nothing on stdout on error");
            }
            continue;
        }
        assert_eq!(json_of(stacks, f), theirs["stacks"], "{f}: stacks");
        // Lists are compared in order: rospkg's implicit order, duplicates kept.
        assert_eq!(json_of(variants, f), theirs["variants"], "{f}: variants");
    }
    assert!(rejected >= 8, "expected the bad*.rosdistro files to be rejected, got {rejected}");
}

#[test]
fn stacks_and_variants_json_keep_rospkgs_order() {
    let f = data_dir().join("legacy/ros-infrastructure__rospkg/diamondback.rosdistro");
    let f = f.display().to_string();
    let order = python_json(
        "import json, sys, rospkg.distro as d\nx = d.load_distro(sys.argv[1])\nprint(json.dumps([list(x.stacks), list(x.variants)]))",
        std::slice::from_ref(&f),
    );
    for (i, cmd) in ["stacks", "variants"].into_iter().enumerate() {
        let text = distro(&[cmd, &f, "--json"]).stdout_str();
        // Top-level keys are the lines indented by exactly two spaces.
        let keys: Vec<Value> = text
            .lines()
            .filter(|l| l.starts_with("  \""))
            .filter_map(|l| l[3..].split('"').next().map(|k| Value::from(k.to_owned())))
            .collect();
        assert_eq!(Value::from(keys), order[i], "{cmd}: key order");
    }
}

const ROSDISTRO_ORACLE: &str = r#"
import json, sys
import rosdistro
i = rosdistro.get_index("file://" + sys.argv[1])
res = {}
for name in sys.argv[2:]:
    f = rosdistro.get_distribution_file(i, name)
    res[name] = {p: {"repository": pk.repository_name,
                     "version": f.repositories[pk.repository_name].release_repository.version}
                 for p, pk in f.release_packages.items()}
print(json.dumps(res))
"#;

const DISTROS: [&str; 4] = ["noetic", "melodic", "humble", "jazzy"];

#[test]
fn packages_match_rosdistro_on_four_distributions() {
    let index = data_dir().join("index-v4.yaml").display().to_string();
    let mut args = vec![index.clone()];
    args.extend(DISTROS.iter().map(|d| (*d).to_owned()));
    let expected = python_json(ROSDISTRO_ORACLE, &args);
    let runs = par_map(&DISTROS, |d| {
        let file = data_dir().join(d).join("distribution.yaml").display().to_string();
        let url = format!("file://{file}");
        (
            distro(&["packages", "--index", &index, "--distro", d, "--json"]),
            distro(&["packages", &file, "--json"]),
            distro(&["packages", &url, "--json"]),
        )
    });
    for (d, (by_index, by_file, by_url)) in DISTROS.iter().zip(&runs) {
        let theirs = &expected[*d];
        assert!(theirs.as_object().unwrap().len() > 2000);
        assert_eq!(&json_of(by_index, d), theirs, "{d}: --index --distro");
        assert_eq!(&json_of(by_file, d), theirs, "{d}: FILE");
        assert_eq!(&json_of(by_url, d), theirs, "{d}: file:// URL");
    }
}

#[test]
fn show_validate_and_diff() {
    let noetic = data_dir().join("noetic/distribution.yaml").display().to_string();
    let melodic = data_dir().join("melodic/distribution.yaml").display().to_string();
    let index = data_dir().join("index-v4.yaml").display().to_string();
    let show = json_of(&distro(&["show", &noetic, "--json"]), "show");
    assert_eq!(show["schema"], 1);
    assert_eq!(show["release_platforms"]["ubuntu"], serde_json::json!(["focal"]));
    assert!(show["release_packages"].as_u64().unwrap() > 2000);
    let text = distro(&["show", "--index", &index, "--distro", "humble"]);
    assert!(text.stdout_str().contains("distribution: humble"), "{}", text.stdout_str());
    let legacy = data_dir().join("legacy/ros-infrastructure__rospkg/diamondback.rosdistro");
    let show = json_of(&distro(&["show", &legacy.display().to_string(), "--json"]), "show legacy");
    assert_eq!(show["name"], "diamondback");

    let idx = json_of(&distro(&["show", &index, "--json"]), "show index");
    assert_eq!((idx["schema"].clone(), idx["kind"].clone()), (1.into(), "index".into()));
    assert_eq!(idx["distributions"]["jazzy"]["distribution_type"], "ros2");
    let fuerte = data_dir().join("releases/fuerte.yaml").display().to_string();
    let gbp = json_of(&distro(&["packages", &fuerte, "--json"]), "fuerte packages");
    assert_eq!(gbp["catkin"]["repository"], "catkin");

    let ok = distro(&["validate", &noetic, &index, "--json"]);
    let doc = json_of(&ok, "validate");
    assert_eq!(doc["schema"], 1);
    assert!(doc["files"].as_array().unwrap().iter().all(|f| f["valid"] == true), "{doc}");

    let diff = json_of(&distro(&["diff", &melodic, &noetic, "--json"]), "diff");
    assert_eq!(diff["schema"], 1);
    assert!(diff["removed"].as_object().unwrap().len() > 100);
    assert!(diff["added"].as_object().unwrap().len() > 10);
    let same = json_of(&distro(&["diff", &noetic, &noetic, "--json"]), "diff same");
    assert!(
        same["changed"].as_object().unwrap().is_empty()
            && same["added"].as_object().unwrap().is_empty()
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    fs_err::write(&p, bytes).unwrap();
    p.display().to_string()
}

#[test]
fn bad_input_gives_positioned_errors_not_panics() {
    let tmp = TempDir::new("distro-bad");
    let dir = tmp.path();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = "a".to_owned();
    for n in ["b", "c", "d", "e", "f", "g", "h", "i"] {
        bomb.push_str(&format!("{n}: &{n} [{}]\n", vec![format!("*{prev}"); 10].join(", ")));
        prev = n.to_owned();
    }
    let cases: Vec<(String, &str)> = vec![
        (write(dir, "bomb.yaml", bomb.as_bytes()), "bomb.yaml:"),
        (write(dir, "dup.yaml", b"type: distribution\nversion: 2\nrepositories:\n  a: {}\n  a: {}\n"), "dup.yaml:5:"),
        (write(dir, "v9.yaml", b"type: distribution\nversion: 9\n"), "v9.yaml:2:10: unable to handle"),
        (write(dir, "types.yaml", b"type: distribution\nversion: 2\nrepositories:\n  a:\n    release: [1]\n"), "types.yaml:5:"),
        (write(dir, "dups.yaml", b"type: distribution\nversion: 2\nrepositories:\n  a: {release: {url: u, packages: [p]}}\n  b: {release: {url: u, packages: [p]}}\n"), "duplicate package name 'p'"),
        (write(dir, "index.yaml", b"type: index\nversion: 4\n"), "--index"),
        ("ftp://example.org/noetic/distribution.yaml".to_owned(), "is not supported"),
        (dir.join("missing.yaml").display().to_string(), "missing.yaml"),
    ];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&fs_err::read(data_dir().join("noetic/distribution.yaml")).unwrap()).unwrap();
    let bytes = gz.finish().unwrap();
    let truncated = write(dir, "cut.yaml.gz", &bytes[..bytes.len() / 3]);
    let mut cases = cases;
    cases.push((truncated, "truncated gzip"));
    for (file, want) in &cases {
        let out = distro(&["packages", file, "--json"]);
        assert_eq!(out.code, 1, "{file}: exit {}\n{}", out.code, out.stderr_str());
        assert!(out.stdout.is_empty(), "{file}");
        assert!(out.stderr_str().contains(want), "{file}: want {want:?} in\n{}", out.stderr_str());
    }
    let v = distro(&["validate", &cases[4].0]);
    assert_eq!(v.code, 1);
    assert!(
        v.stdout_str().contains("dups.yaml:5:6: error: duplicate package name"),
        "{}",
        v.stdout_str()
    );
    let good = write(dir, "good.gz", &bytes);
    let out = distro(&["packages", &good]);
    assert_eq!(out.code, 0, "{}", out.stderr_str());
    assert!(out.stdout_str().lines().any(|l| l.starts_with("roscpp\t")));
}

#[test]
fn usage_errors() {
    assert_eq!(distro(&["packages"]).code, 2);
    assert_eq!(distro(&["packages", "--index", "x"]).code, 2);
    assert_eq!(distro(&["packages", "f", "--index", "x", "--distro", "y"]).code, 2);
    let out = distro(&[
        "packages",
        "--index",
        &data_dir().join("index-v4.yaml").display().to_string(),
        "--distro",
        "nope",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr_str().contains("no distribution named 'nope'")
            && out.stderr_str().contains("noetic")
    );
}

/// `--distro NAME` reads the index at `$ROSDISTRO_INDEX_URL` when no `--index` is given, and
/// `--distro-file FILE` is the same as the FILE argument: the two flags mean the same as in
/// `rosdeb resolve`.
#[test]
fn distro_flags_mean_the_same_as_everywhere() {
    let index = format!("file://{}", data_dir().join("index-v4.yaml").display());
    let file = data_dir().join("noetic/distribution.yaml").display().to_string();
    let by_file = distro(&["packages", &file, "--json"]);
    assert_eq!(by_file.code, 0, "{}", by_file.stderr_str());
    let by_flag = distro(&["packages", "--distro-file", &file, "--json"]);
    assert_eq!(by_flag.stdout_str(), by_file.stdout_str());

    let sandbox = Sandbox::new("distro-env");
    let mut env = base_env(&sandbox, None);
    env.push(("ROSDISTRO_INDEX_URL".into(), index.into()));
    let by_env = run(&Invocation {
        program: rosdeb(),
        args: ["distro", "packages", "--distro", "noetic", "--json"].map(OsString::from).to_vec(),
        env,
        dir: RunDir::Path(sandbox.cwd()),
        stdin: None,
    });
    assert_eq!(by_env.code, 0, "{}", by_env.stderr_str());
    assert_eq!(by_env.stdout_str(), by_file.stdout_str());

    let no_index = distro(&["packages", "--distro", "noetic"]);
    assert_eq!(no_index.code, 1);
    assert!(no_index.stderr_str().contains("ROSDISTRO_INDEX_URL"), "{}", no_index.stderr_str());
}

/// A distribution read through the cache of parse results answers exactly as a fresh parse,
/// diagnostics included, and a damaged cache entry is parsed again.
#[test]
fn parse_cache_answers_like_a_fresh_parse() {
    let sandbox = Sandbox::new("distro-parsed");
    let noetic = data_dir().join("noetic/distribution.yaml").display().to_string();
    let tmp = TempDir::new("distro-parsed-in");
    // A distribution whose parse records a diagnostic (an invalid repository status).
    let text = fs_err::read_to_string(&noetic).unwrap().replacen(
        "    status: maintained\n",
        "    status: sideways\n",
        1,
    );
    let odd = write(tmp.path(), "distribution.yaml", text.as_bytes());
    let cache = sandbox.home().join("http-cache");
    let run_distro = |args: &[&str]| {
        let mut env = base_env(&sandbox, None);
        env.push(("ROSDEB_HTTP_CACHE".into(), cache.clone().into_os_string()));
        let mut all = vec![OsString::from("distro")];
        all.extend(args.iter().map(OsString::from));
        run(&Invocation {
            program: rosdeb(),
            args: all,
            env,
            dir: RunDir::Path(sandbox.cwd()),
            stdin: None,
        })
    };
    let parsed = sandbox.home().join("parsed");
    let mut outcomes = Vec::new();
    for file in [&noetic, &odd] {
        let fresh = run_distro(&["packages", file, "--json"]);
        let entries = fs_err::read_dir(&parsed).map(Iterator::count).unwrap_or(0);
        assert!(entries > 0, "no parse result cached in {}", parsed.display());
        let cached = run_distro(&["packages", file, "--json"]);
        assert_eq!(
            (cached.code, &cached.stdout, cached.stderr_str()),
            (fresh.code, &fresh.stdout, fresh.stderr_str())
        );
        outcomes.push(fresh);
    }
    assert_eq!(outcomes[0].code, 0, "{}", outcomes[0].stderr_str());
    assert_ne!(outcomes[1].code, 0);
    assert!(
        outcomes[1].stderr_str().contains("invalid status 'sideways'"),
        "{}",
        outcomes[1].stderr_str()
    );
    for entry in fs_err::read_dir(&parsed).unwrap() {
        fs_err::write(entry.unwrap().path(), b"damaged").unwrap();
    }
    let again = run_distro(&["packages", &odd, "--json"]);
    assert_eq!(
        (again.code, &again.stdout, again.stderr_str()),
        (outcomes[1].code, &outcomes[1].stdout, outcomes[1].stderr_str())
    );
}
