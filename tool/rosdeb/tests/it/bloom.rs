//! Integration tests of `rosdeb bloom`: an upstream repository and an empty bare release
//! repository made at test time with the `git` CLI from fixtures/build packages, a tiny
//! distribution file; the refs are read back with `git for-each-ref`, `git show`, `git ls-tree`
//! (the oracle), and the refusals leave the release repository untouched.
//!
//! Debian's bloom-release runs offline on the same inputs: ref names and the upstream and
//! release trees are compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EPOCH: &str = "1700000000";

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").canonicalize().unwrap()
}

pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Up Stream")
        .env("GIT_AUTHOR_EMAIL", "up@example.org")
        .env("GIT_COMMITTER_NAME", "Up Stream")
        .env("GIT_COMMITTER_EMAIL", "up@example.org")
        .env("GIT_AUTHOR_DATE", "@1600000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1600000000 +0000")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for e in fs_err::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs_err::copy(e.path(), &target).unwrap();
        }
    }
}

/// Sets every package.xml's version to `version`, commits and tags it upstream.
fn tag_upstream(up: &Path, version: &str) {
    for e in fs_err::read_dir(up).unwrap() {
        let xml = e.unwrap().path().join("package.xml");
        if !xml.is_file() {
            continue;
        }
        let text = fs_err::read_to_string(&xml).unwrap();
        let start = text.find("<version>").unwrap() + "<version>".len();
        let end = text.find("</version>").unwrap();
        fs_err::write(&xml, format!("{}{version}{}", &text[..start], &text[end..])).unwrap();
    }
    git(up, &["add", "-A"]);
    git(up, &["commit", "-q", "--allow-empty", "-m", version]);
    git(up, &["tag", version]);
}

pub(crate) struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    pub(crate) fn new() -> Setup {
        Setup::with(&["demo_cmake", "demo_catkin"])
    }

    /// An upstream repository holding these packages of fixtures/build, tagged 1.0.0.
    pub(crate) fn with(packages: &[&str]) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let up = dir.path().join("upstream");
        for pkg in packages {
            copy_dir(&fixtures().join("build").join(pkg), &up.join(pkg));
        }
        git(&up, &["init", "-q", "-b", "main"]);
        tag_upstream(&up, "1.0.0");
        git(dir.path(), &["init", "-q", "--bare", "release.git"]);
        let s = Setup { dir };
        fs_err::create_dir_all(s.path().join("noetic")).unwrap();
        fs_err::write(s.distro_file(), s.distribution("1.0.0-0")).unwrap();
        s
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn upstream(&self) -> PathBuf {
        self.path().join("upstream")
    }

    pub(crate) fn release(&self) -> PathBuf {
        self.path().join("release.git")
    }

    pub(crate) fn distro_file(&self) -> PathBuf {
        self.path().join("noetic/distribution.yaml")
    }

    pub(crate) fn distribution(&self, version: &str) -> String {
        format!(
            "%YAML 1.1\n---\nrelease_platforms:\n  debian:\n  - bookworm\n  ubuntu:\n  - focal\n\
             repositories:\n  demo:\n    release:\n      tags:\n        release: \
             release/noetic/{{package}}/{{version}}\n      url: file://{}\n      version: \
             {version}\n    source:\n      type: git\n      url: file://{}\n      version: main\n    \
             status: developed\ntype: distribution\nversion: 2\n",
            self.release().display(),
            self.upstream().display()
        )
    }

    pub(crate) fn bloom(&self, extra: &[&str]) -> Output {
        let empty = tempfile::tempdir().unwrap();
        Command::new(env!("CARGO_BIN_EXE_rosdeb"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", empty.path())
            .env("ROSDEP_SOURCE_PATH", empty.path())
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .args(["bloom", "demo", "--distro", "noetic", "--distro-file"])
            .arg(self.distro_file())
            .arg("--rosdep")
            .arg(fixtures().join("build/rosdep.yaml"))
            .args(extra)
            .output()
            .unwrap()
    }

    fn refs(&self) -> String {
        git(&self.release(), &["for-each-ref", "--format=%(refname) %(objectname)"])
    }
}

pub(crate) fn ok(out: &Output) -> String {
    assert!(out.status.success(), "rosdeb bloom failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn ref_names(s: &Setup) -> Vec<String> {
    git(&s.release(), &["for-each-ref", "--format=%(refname)"]).lines().map(str::to_owned).collect()
}

#[test]
fn first_release_writes_blooms_refs() {
    let s = Setup::new();
    let stdout = ok(&s.bloom(&[]));
    let mut expected: Vec<String> = [
        "refs/heads/debian/noetic/bookworm/demo_catkin",
        "refs/heads/debian/noetic/bookworm/demo_cmake",
        "refs/heads/debian/noetic/focal/demo_catkin",
        "refs/heads/debian/noetic/focal/demo_cmake",
        "refs/heads/master",
        "refs/heads/release/noetic/demo_catkin",
        "refs/heads/release/noetic/demo_cmake",
        "refs/heads/upstream",
        "refs/tags/debian/ros-noetic-demo-catkin_1.0.0-1_bookworm",
        "refs/tags/debian/ros-noetic-demo-catkin_1.0.0-1_focal",
        "refs/tags/debian/ros-noetic-demo-cmake_1.0.0-1_bookworm",
        "refs/tags/debian/ros-noetic-demo-cmake_1.0.0-1_focal",
        "refs/tags/release/noetic/demo_catkin/1.0.0-1",
        "refs/tags/release/noetic/demo_cmake/1.0.0-1",
        "refs/tags/upstream/1.0.0",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    expected.sort();
    assert_eq!(ref_names(&s), expected);
    // stdout names every ref written, with its object.
    let listed: Vec<&str> =
        stdout.lines().filter_map(|l| l.split_once(' ').map(|(_, n)| n)).collect();
    assert_eq!(listed, expected);

    let r = s.release();
    // upstream holds the upstream tag's tree.
    assert_eq!(
        git(&r, &["rev-parse", "upstream^{tree}"]),
        git(&s.upstream(), &["rev-parse", "1.0.0^{tree}"])
    );
    // release/<distro>/<pkg>: the package's folder at the root.
    let files = git(&r, &["ls-tree", "--name-only", "release/noetic/demo_cmake/1.0.0-1"]);
    assert!(files.lines().any(|l| l == "package.xml"), "{files}");
    assert!(!files.lines().any(|l| l == "demo_cmake"), "{files}");
    // debian/ on top of the release tree.
    let control = git(&r, &["show", "debian/ros-noetic-demo-cmake_1.0.0-1_focal:debian/control"]);
    assert!(control.contains("Source: ros-noetic-demo-cmake"), "{control}");
    assert!(control.contains("libtinyxml2-dev"), "{control}");
    let changelog =
        git(&r, &["show", "debian/ros-noetic-demo-cmake_1.0.0-1_bookworm:debian/changelog"]);
    assert!(
        changelog.starts_with("ros-noetic-demo-cmake (1.0.0-1bookworm) bookworm;"),
        "{changelog}"
    );
    let rules = git(&r, &["ls-tree", "debian/noetic/focal/demo_catkin", "debian/rules"]);
    assert!(rules.starts_with("100755 "), "{rules}");
    // tracks.yaml on master.
    let tracks = git(&r, &["show", "master:tracks.yaml"]);
    for field in [
        "  noetic:\n",
        "    last_version: 1.0.0\n",
        "    release_inc: '1'\n",
        "    release_tag: :{version}\n",
        "    ros_distro: noetic\n",
        "    vcs_type: git\n",
        "    devel_branch: null\n",
    ] {
        assert!(tracks.contains(field), "{field:?} missing from {tracks}");
    }
    // Commits are rosdeb's, at SOURCE_DATE_EPOCH.
    assert_eq!(
        git(&r, &["log", "-1", "--format=%an <%ae> %at", "upstream"]),
        format!("rosdeb <rosdeb@localhost> {EPOCH}\n")
    );
}

#[test]
fn same_inputs_same_objects() {
    let a = Setup::new();
    let b = Setup::new();
    ok(&a.bloom(&[]));
    ok(&b.bloom(&[]));
    let names = |s: &Setup| {
        git(
            &s.release(),
            &["for-each-ref", "--format=%(refname) %(objectname)", "refs/tags/release"],
        )
    };
    // Same trees and commits, whatever the temp folder (the upstream URL is in commit messages
    // of `upstream` only through tracks.yaml and the import message, so compare release tags).
    assert_eq!(names(&a), names(&b));
}

#[test]
fn second_release_of_a_version_increments_and_new_version_resets() {
    let s = Setup::new();
    ok(&s.bloom(&[]));
    let upstream_before = git(&s.release(), &["rev-parse", "upstream"]);
    ok(&s.bloom(&[]));
    let names = ref_names(&s);
    assert!(names.contains(&"refs/tags/release/noetic/demo_cmake/1.0.0-2".to_owned()), "{names:?}");
    assert!(names.contains(&"refs/tags/debian/ros-noetic-demo-cmake_1.0.0-2_focal".to_owned()));
    // The same upstream tree is not imported twice.
    assert_eq!(git(&s.release(), &["rev-parse", "upstream"]), upstream_before);
    assert!(git(&s.release(), &["show", "master:tracks.yaml"]).contains("release_inc: '2'"));
    // The release branch moved forward: the old tag is its parent.
    assert_eq!(
        git(&s.release(), &["rev-parse", "release/noetic/demo_cmake~1"]),
        git(&s.release(), &["rev-parse", "release/noetic/demo_cmake/1.0.0-1"])
    );

    tag_upstream(&s.upstream(), "1.1.0");
    ok(&s.bloom(&["--version", "1.1.0"]));
    let names = ref_names(&s);
    assert!(names.contains(&"refs/tags/upstream/1.1.0".to_owned()));
    assert!(
        names.contains(&"refs/tags/release/noetic/demo_catkin/1.1.0-1".to_owned()),
        "{names:?}"
    );
    assert_eq!(
        git(&s.release(), &["rev-parse", "upstream~1"]),
        git(&s.release(), &["rev-parse", "upstream/1.0.0"])
    );
}

fn refused(s: &Setup, extra: &[&str], needle: &str) {
    let before = s.refs();
    let out = s.bloom(extra);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert_eq!(s.refs(), before, "the release repository changed");
}

#[test]
fn refuses_a_version_that_goes_backwards() {
    let s = Setup::new();
    tag_upstream(&s.upstream(), "1.1.0");
    ok(&s.bloom(&["--version", "1.1.0"]));
    refused(&s, &["--version", "1.0.0"], "older than the released upstream/1.1.0");
}

#[test]
fn refuses_a_tag_with_other_content() {
    let s = Setup::new();
    ok(&s.bloom(&[]));
    // The upstream tag 1.0.0 is moved to another tree.
    fs_err::write(s.upstream().join("demo_cmake/NEW"), "x").unwrap();
    git(&s.upstream(), &["add", "-A"]);
    git(&s.upstream(), &["commit", "-q", "-m", "moved"]);
    git(&s.upstream(), &["tag", "-f", "1.0.0"]);
    refused(&s, &[], "tag `upstream/1.0.0` exists with a different tree");
}

#[test]
fn refuses_a_diverged_branch() {
    let s = Setup::new();
    ok(&s.bloom(&[]));
    // Someone commits on `upstream` by hand in the release repository.
    let tree = git(&s.release(), &["rev-parse", "upstream^{tree}"]);
    let commit =
        git(&s.release(), &["commit-tree", "-p", "upstream", "-m", "by hand", tree.trim()]);
    git(&s.release(), &["update-ref", "refs/heads/upstream", commit.trim()]);
    refused(&s, &[], "branch `upstream` has commits that no release tag holds");
}

#[test]
fn refuses_a_dirty_work_tree() {
    let s = Setup::new();
    let work = s.path().join("work");
    git(s.path(), &["clone", "-q", s.release().to_str().unwrap(), "work"]);
    git(&work, &["commit", "-q", "--allow-empty", "-m", "init"]);
    fs_err::write(work.join("dirty"), "x").unwrap();
    let before = git(&work, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    let out = s.bloom(&["--release-repo", work.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("uncommitted changes"), "{stderr}");
    assert_eq!(git(&work, &["for-each-ref", "--format=%(refname) %(objectname)"]), before);
}

#[test]
fn pr_patch_applies_to_the_distribution_file() {
    let s = Setup::new();
    let patch = s.path().join("pr.patch");
    ok(&s.bloom(&["--pr-patch", patch.to_str().unwrap()]));
    let text = fs_err::read_to_string(&patch).unwrap();
    assert!(text.contains("+      version: 1.0.0-1\n"), "{text}");
    assert!(text.contains("+      - demo_catkin\n+      - demo_cmake\n"), "{text}");
    // The oracle: git apply on a copy of the checkout.
    let checkout = s.path().join("rosdistro");
    fs_err::create_dir_all(checkout.join("noetic")).unwrap();
    fs_err::copy(s.distro_file(), checkout.join("noetic/distribution.yaml")).unwrap();
    git(&checkout, &["init", "-q"]);
    git(&checkout, &["apply", "--check", patch.to_str().unwrap()]);
    git(&checkout, &["apply", patch.to_str().unwrap()]);
    let patched = fs_err::read_to_string(checkout.join("noetic/distribution.yaml")).unwrap();
    // The patched file read by rosdistro itself (python3-rosdistro).
    let script = "import sys, yaml\nfrom rosdistro.distribution_file import DistributionFile\n\
                  d = DistributionFile('noetic', yaml.safe_load(open(sys.argv[1])))\n\
                  r = d.repositories['demo'].release_repository\n\
                  print(r.version, ' '.join(r.package_names), r.tags['release'])\n";
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(checkout.join("noetic/distribution.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1.0.0-1 demo_catkin demo_cmake release/noetic/{package}/{version}\n"
    );
    assert!(patched.contains("      url: file://"), "{patched}");
}

const BLOOM_RELEASE: &str = "/usr/bin/bloom-release";

/// Runs Debian's bloom-release offline on `s`'s upstream and distribution (index and rosdep
/// sources as file:// URLs, a private ROS_HOME) into its own bare release repository
/// `<returned>/release.git`, whose master holds a track with bloom's default settings (without
/// one, bloom prompts for it even with --non-interactive). `s` must have been released by
/// `rosdeb bloom` first (its tracks.yaml is the seed). Returns bloom's folder.
pub(crate) fn debian_bloom_release(s: &Setup) -> PathBuf {
    assert!(
        Path::new(BLOOM_RELEASE).exists(),
        "{BLOOM_RELEASE} is missing: this test runs Debian's bloom at test time (python3-bloom)"
    );
    let b = s.path().join("bloom");
    fs_err::create_dir_all(&b).unwrap();
    git(&b, &["init", "-q", "--bare", "release.git"]);
    let seed = b.join("seed");
    git(&b, &["init", "-q", "-b", "master", "seed"]);
    // The track as bloom's `git-bloom-config new` would write it with its defaults.
    let tracks = git(&s.release(), &["show", "master:tracks.yaml"])
        .replace("devel_branch: null", "devel_branch: main")
        .replace("last_version: 1.0.0", "last_version: null")
        .replace("release_inc: '1'", "release_inc: '0'");
    fs_err::write(seed.join("tracks.yaml"), tracks).unwrap();
    git(&seed, &["add", "-A"]);
    git(&seed, &["commit", "-q", "-m", "track"]);
    git(&seed, &["push", "-q", b.join("release.git").to_str().unwrap(), "master"]);
    let dist = s.distribution("1.0.0-0").replace(
        &format!("file://{}", s.release().display()),
        &format!("file://{}", b.join("release.git").display()),
    );
    fs_err::create_dir_all(b.join("noetic")).unwrap();
    fs_err::write(b.join("noetic/distribution.yaml"), dist).unwrap();
    fs_err::write(
        b.join("index-v4.yaml"),
        "%YAML 1.1\n---\ndistributions:\n  noetic:\n    distribution: [noetic/distribution.yaml]\n    \
         distribution_status: active\n    distribution_type: ros1\n    python_version: 3\n\
         type: index\nversion: 4\n",
    )
    .unwrap();
    fs_err::create_dir_all(b.join("sources")).unwrap();
    fs_err::write(
        b.join("sources/20-local.list"),
        format!("yaml file://{}\n", fixtures().join("build/rosdep.yaml").display()),
    )
    .unwrap();
    let home = b.join("home");
    fs_err::create_dir_all(&home).unwrap();
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .current_dir(&b)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("ROS_HOME", &home)
            .env("ROSDISTRO_INDEX_URL", format!("file://{}", b.join("index-v4.yaml").display()))
            .env("ROSDEP_SOURCE_PATH", b.join("sources"))
            .env("GIT_AUTHOR_NAME", "bloom")
            .env("GIT_AUTHOR_EMAIL", "bloom@localhost")
            .env("GIT_COMMITTER_NAME", "bloom")
            .env("GIT_COMMITTER_EMAIL", "bloom@localhost")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run("/usr/bin/rosdep", &["update"]);
    run(
        BLOOM_RELEASE,
        &[
            "demo",
            "--rosdistro",
            "noetic",
            "--track",
            "noetic",
            "-y",
            "--no-pull-request",
            "--non-interactive",
        ],
    );
    b
}

/// Debian's bloom-release, run offline on the same upstream and distribution (index and rosdep
/// sources as file:// URLs, a private ROS_HOME), into its own bare release repository whose
/// master holds a track with bloom's default settings (without one, bloom prompts for it even
/// with --non-interactive). Ours must write every ref name bloom writes except bloom's own
/// bookkeeping (`patches/*`) and template (`debian/<distro>/<pkg>`) branches, with the same
/// upstream and release trees.
#[test]
fn ref_names_match_debians_bloom_release() {
    let s = Setup::new();
    ok(&s.bloom(&[]));

    let b = debian_bloom_release(&s);

    let theirs: Vec<String> = git(&b.join("release.git"), &["for-each-ref", "--format=%(refname)"])
        .lines()
        .filter(|n| !n.starts_with("refs/heads/patches/"))
        .filter(|n| {
            // debian/<distro>/<pkg>: bloom's template branches (three components).
            !(n.starts_with("refs/heads/debian/") && n.split('/').count() == 5)
        })
        .map(str::to_owned)
        .collect();
    assert!(theirs.len() > 10, "{theirs:?}");
    assert_eq!(ref_names(&s), theirs);
    for tag in [
        "upstream/1.0.0",
        "release/noetic/demo_cmake/1.0.0-1",
        "release/noetic/demo_catkin/1.0.0-1",
    ] {
        let spec = format!("{tag}^{{tree}}");
        assert_eq!(
            git(&s.release(), &["rev-parse", &spec]),
            git(&b.join("release.git"), &["rev-parse", &spec]),
            "{tag}"
        );
    }
}

#[test]
fn os_restricts_the_platforms_and_json_lists_the_refs() {
    let s = Setup::new();
    let out = ok(&s.bloom(&["--os", "ubuntu:focal", "--json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["inc"], 1);
    assert_eq!(doc["packages"], serde_json::json!(["demo_catkin", "demo_cmake"]));
    let names = ref_names(&s);
    assert!(names.iter().all(|n| !n.contains("bookworm")), "{names:?}");
    assert!(names.contains(&"refs/tags/debian/ros-noetic-demo-cmake_1.0.0-1_focal".to_owned()));
    let listed: Vec<&str> =
        doc["refs"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(listed, names);
}

#[test]
fn pr_patch_that_cannot_be_written_refuses_before_any_ref_moves() {
    let s = Setup::new();
    // The same distribution with the release section in flow style: readable, not patchable.
    let text = s.distribution("1.0.0-0");
    let start = text.find("    release:\n").unwrap();
    let end = text.find("    source:\n").unwrap();
    let flow = format!(
        "    release: {{tags: {{release: 'release/noetic/{{package}}/{{version}}'}}, url: 'file://{}', \
         version: 1.0.0-0}}\n",
        s.release().display()
    );
    fs_err::write(s.distro_file(), format!("{}{flow}{}", &text[..start], &text[end..])).unwrap();
    let patch = s.path().join("pr.patch");
    refused(&s, &["--pr-patch", patch.to_str().unwrap()], "cannot find repositories/demo/release");
    assert!(!patch.exists());
}

#[test]
fn a_clean_work_tree_follows_its_branch() {
    let s = Setup::new();
    let work = s.path().join("work");
    git(s.path(), &["clone", "-q", s.release().to_str().unwrap(), "work"]);
    git(&work, &["checkout", "-q", "-b", "master"]);
    git(&work, &["commit", "-q", "--allow-empty", "-m", "init"]);
    ok(&s.bloom(&["--release-repo", work.to_str().unwrap()]));
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
    assert!(fs_err::read_to_string(work.join("tracks.yaml")).unwrap().contains("  noetic:\n"));
    assert_eq!(
        git(&work, &["rev-parse", "master~1^{tree}"]),
        git(&work, &["rev-parse", "4b825dc642cb6eb9a060e54bf8d69288fbee4904^{tree}"])
    );
}

#[test]
fn packages_of_one_release_resolve_to_each_other_before_the_distribution_lists_them() {
    // demo_driver depends on demo_description; the distribution lists no packages yet.
    let s = Setup::with(&["demo_driver", "demo_description"]);
    ok(&s.bloom(&[]));
    let control =
        git(&s.release(), &["show", "debian/ros-noetic-demo-driver_1.0.0-1_focal:debian/control"]);
    assert!(control.contains("ros-noetic-demo-description"), "{control}");
}

#[test]
fn an_upstream_over_http_is_fetched() {
    let s = Setup::new();
    let server = crate::release::GitHttp::serve(s.path());
    let url = format!("{}/upstream/.git", server.url);
    ok(&s.bloom(&["--upstream", &url]));
    // The import is the upstream tag's tree, as from a local path.
    assert_eq!(
        git(&s.release(), &["rev-parse", "upstream/1.0.0^{tree}"]),
        git(&s.upstream(), &["rev-parse", "1.0.0^{tree}"])
    );
    assert!(git(&s.release(), &["tag"]).contains("release/noetic/demo_cmake/1.0.0-1"));
}
