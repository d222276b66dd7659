//! `rosdeb build` of Python applications: fixtures/apps/pyros_topic_web with
//! `--embed bridge/python` becomes a deb carrying a venv under `/opt/venvs/pyros-topic-web`
//! (pip fetches bottle from PyPI at build time), checked with the real dpkg-deb and lintian,
//! byte-identical when built twice, for bookworm's python 3.11 and focal's 3.8, installed with
//! apt into a debootstrapped bookworm root and run there; the demo's own HTTP tests
//! (fixtures/apps/pyros_topic_web/tests) run on the packaged venv; a setup.py project builds
//! too. A dependency that PyPI lacks fails its application alone, names the requirement and
//! writes nothing into --out; an application that lists an embedded project, or has a bad
//! pyproject.toml, is refused before pip runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::{TempDir, repo_root, rosdeb};

const EPOCH: &str = "1700000000";

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// `rosdeb build APPS --os OS --embed bridge/python --out OUT` (pip's own settings of this
/// machine, `PIP_*`, passed on; a fresh HOME).
fn build(apps: &[&Path], os: &str, out: &Path, home: &Path) -> Output {
    let root = repo_root();
    let mut cmd = Command::new(rosdeb());
    cmd.current_dir(&root)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        // Work folders and kept logs of failed builds go there, removed with the test's folder.
        .env("TMPDIR", home)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .envs(std::env::vars().filter(|(k, _)| k.starts_with("PIP_") || k.ends_with("_proxy")))
        .arg("build")
        .args(apps)
        .args(["--distro", "noetic", "--os", os, "--embed"])
        .arg(root.join("bridge/python"))
        .arg("--out")
        .arg(out);
    cmd.output().unwrap()
}

fn app(name: &str) -> PathBuf {
    repo_root().join("fixtures/apps").join(name)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs_err::read_dir(dir) {
        Ok(entries) => {
            entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
        }
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[test]
fn demo_app_becomes_a_lintian_clean_reproducible_venv_deb_and_a_missing_dependency_fails_alone() {
    let tmp = TempDir::new("venv-bookworm");
    let out = tmp.path().join("out");
    let home = tmp.path().join("home");
    fs_err::create_dir_all(&home).unwrap();
    let built = build(
        &[&app("missing_dependency"), &app("pyros_topic_web")],
        "debian:bookworm",
        &out,
        &home,
    );
    let log = text(&built);
    // The failed application: exit 1, the requirement named, nothing of it in --out.
    assert_eq!(built.status.code(), Some(1), "{log}");
    assert!(
        log.contains("pip found no distribution for `rosdeb-test-no-such-project-3f9c2a`"),
        "{log}"
    );
    assert!(log.contains("hint: check the name and version"), "{log}");
    let kept = format!("the whole output is in `{}/rosdeb-missing-dependency-", home.display());
    assert!(log.contains(&kept), "pip's log is kept outside --out: {log}");
    assert!(log.contains("1 built, 1 failed"), "{log}");
    let deb_name = "pyros-topic-web_0.1.0-0bookworm_all.deb";
    assert_eq!(files_in(&out), [deb_name, "pyros_topic_web.build.log"], "{log}");
    let deb = out.join(deb_name);
    assert_eq!(String::from_utf8_lossy(&built.stdout), format!("{}\n", deb.display()));

    let info = run(Command::new("dpkg-deb").arg("-I").arg(&deb));
    for field in [
        "Package: pyros-topic-web\n",
        "Version: 0.1.0-0bookworm\n",
        "Architecture: all\n",
        "Maintainer: rosdeb developers <rosdeb@example.org>\n",
        "Depends: python3 (>= 3.11), python3 (<< 3.12)\n",
        "Section: python\n",
        "Priority: optional\n",
        "Description: HTTP service that serves the latest message of ROS topics read through pyros\n",
    ] {
        assert!(info.contains(&format!(" {field}")), "{field}: {info}");
    }
    let listing = run(Command::new("dpkg-deb").arg("-c").arg(&deb));
    let venv = "./opt/venvs/pyros-topic-web";
    for entry in [
        format!("{venv}/pyvenv.cfg\n"),
        format!("{venv}/bin/python3 -> /usr/bin/python3\n"),
        format!("{venv}/bin/python -> python3\n"),
        format!("{venv}/bin/pyros-topic-web\n"),
        format!("{venv}/lib/python3.11/site-packages/pyros/client.py\n"),
        format!("{venv}/lib/python3.11/site-packages/pyros_topic_web/__init__.py\n"),
        format!("{venv}/lib/python3.11/site-packages/bottle.py\n"),
        "./usr/bin/pyros-topic-web -> /opt/venvs/pyros-topic-web/bin/pyros-topic-web\n".to_owned(),
        "./usr/share/doc/pyros-topic-web/copyright\n".to_owned(),
        "./usr/share/doc/pyros-topic-web/changelog.Debian.gz\n".to_owned(),
    ] {
        assert!(listing.contains(&entry), "{entry}: {listing}");
    }
    for absent in ["__pycache__", ".pyc", "direct_url.json", "/RECORD"] {
        assert!(!listing.contains(absent), "{absent}: {listing}");
    }

    // No build path: the extracted tree never names the work folder, pip's venv or the source.
    let tree = tmp.path().join("tree");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&tree));
    let source = repo_root().display().to_string();
    for needle in ["rosdeb-venv-", "pip-env", source.as_str()] {
        let grep = Command::new("grep").args(["-rlF", needle]).arg(&tree).output().unwrap();
        assert!(grep.stdout.is_empty(), "{needle} in {}", String::from_utf8_lossy(&grep.stdout));
    }
    let script =
        fs_err::read_to_string(tree.join("opt/venvs/pyros-topic-web/bin/pyros-topic-web")).unwrap();
    assert!(script.starts_with("#!/opt/venvs/pyros-topic-web/bin/python3\n"), "{script}");
    let cfg = fs_err::read_to_string(tree.join("opt/venvs/pyros-topic-web/pyvenv.cfg")).unwrap();
    assert_eq!(cfg, "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n");

    let lintian = Command::new("lintian").args(["--fail-on", "error,warning"]).arg(&deb).output();
    let lintian = lintian.unwrap();
    assert!(lintian.status.success(), "lintian: {}", text(&lintian));

    // The application's HTTP answers, run on the packaged venv (its python is a link to this
    // host's /usr/bin/python3; pyvenv.cfg puts the venv's site-packages on the path).
    let tests = app("pyros_topic_web").join("tests");
    let unittest = Command::new(tree.join("opt/venvs/pyros-topic-web/bin/python3"))
        .args(["-m", "unittest", "discover", "-v", "-s"])
        .arg(&tests)
        .current_dir(tmp.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(unittest.status.success(), "{}", text(&unittest));
    assert!(text(&unittest).contains("Ran 3 tests"), "{}", text(&unittest));

    // The same inputs again (pip's cache now warm): the same bytes.
    let again = tmp.path().join("again");
    let second = build(&[&app("pyros_topic_web")], "debian:bookworm", &again, &home);
    assert!(second.status.success(), "{}", text(&second));
    let same = fs_err::read(&deb).unwrap() == fs_err::read(again.join(deb_name)).unwrap();
    assert!(same, "two builds of the same application differ");
}

#[test]
fn a_focal_build_on_this_host_has_a_python_3_8_venv_and_setup_py_apps_build_too() {
    let tmp = TempDir::new("venv-focal");
    let out = tmp.path().join("out");
    let apps = [app("pyros_topic_web"), app("setup_py_tool")];
    let built = build(&[&apps[0], &apps[1]], "ubuntu:focal", &out, tmp.path());
    assert!(built.status.success(), "{}", text(&built));
    // setup.py: name, version, maintainer and summary come from the built wheel's metadata.
    let tool = out.join("setup-py-tool_2.1.0-0focal_all.deb");
    let info = run(Command::new("dpkg-deb").arg("-I").arg(&tool));
    for field in [
        " Package: setup-py-tool\n",
        " Maintainer: Tool Author <tool@example.org>\n",
        " Description: A setup.py application: a command that prints a greeting\n",
        "  It exists to test rosdeb build on setup.py projects.\n",
    ] {
        assert!(info.contains(field), "{field}: {info}");
    }
    let listing = run(Command::new("dpkg-deb").arg("-c").arg(&tool));
    assert!(
        listing.contains("./usr/bin/setup-py-tool -> /opt/venvs/setup-py-tool/bin/setup-py-tool\n"),
        "{listing}"
    );
    let source = files_in(&apps[1]);
    assert_eq!(source, ["setup.py", "setup_py_tool"], "the build leaves nothing in the source");
    let deb = out.join("pyros-topic-web_0.1.0-0focal_all.deb");
    let listing = run(Command::new("dpkg-deb").arg("-c").arg(&deb));
    assert!(
        listing.contains("./opt/venvs/pyros-topic-web/lib/python3.8/site-packages/bottle.py\n"),
        "{listing}"
    );
    assert!(!listing.contains("python3.11"), "{listing}");
    let depends = run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends"));
    assert_eq!(depends, "python3 (>= 3.8), python3 (<< 3.9)\n");
}

/// A throw-away application whose pyproject.toml is `pyproject`.
fn temp_app(tmp: &TempDir, pyproject: &str) -> PathBuf {
    let dir = tmp.path().join("app");
    fs_err::create_dir_all(dir.join("app")).unwrap();
    fs_err::write(dir.join("pyproject.toml"), pyproject).unwrap();
    fs_err::write(dir.join("app/__init__.py"), "").unwrap();
    dir
}

#[test]
fn an_app_listing_an_embedded_project_or_a_bad_version_is_refused_before_pip() {
    let tmp = TempDir::new("venv-refused");
    let out = tmp.path().join("out");
    let confused = temp_app(
        &tmp,
        "[project]\nname = \"app\"\nversion = \"1.0\"\ndependencies = [\"bottle\", \"PyRos>=0.4\"]\n\
         authors = [{ name = \"A\", email = \"a@example.org\" }]\n",
    );
    let refused = build(&[&confused], "debian:bookworm", &out, tmp.path());
    let log = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{log}");
    assert!(
        log.contains(
            "pyproject.toml:4:27: the dependency `PyRos>=0.4` names the embedded project `pyros`"
        ),
        "{log}"
    );
    assert!(log.contains("hint: remove `pyros` from the application's dependencies"), "{log}");
    assert!(files_in(&out).is_empty(), "{:?}", files_in(&out));

    let bad = temp_app(
        &tmp,
        "[project]\nname = \"app\"\nversion = \"1!1.0\"\n\
         authors = [{ name = \"A\", email = \"a@example.org\" }]\n",
    );
    let refused = build(&[&bad], "debian:bookworm", &out, tmp.path());
    let log = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{log}");
    assert!(log.contains("pyproject.toml:3:11: version `1!1.0`"), "{log}");
    assert!(log.contains("hint: use a public PEP 440 version"), "{log}");

    let unknown = build(&[&app("pyros_topic_web")], "debian:buster", &out, tmp.path());
    let log = text(&unknown);
    assert_eq!(unknown.status.code(), Some(1), "{log}");
    assert!(log.contains("unknown target codename `buster`"), "{log}");
    assert!(log.contains("hint: use one of bookworm"), "{log}");
    assert!(files_in(&out).is_empty(), "{:?}", files_in(&out));
}

#[test]
fn the_venv_deb_installs_and_runs_in_a_debootstrapped_bookworm_root() {
    use crate::install::{apt_install, bootstrapped_tarball, chroot, fresh_root, require_root};
    require_root();
    let tmp = TempDir::new("venv-install");
    let out = tmp.path().join("out");
    let built = build(&[&app("pyros_topic_web")], "debian:bookworm", &out, tmp.path());
    assert!(built.status.success(), "{}", text(&built));
    let root = fresh_root(&tmp, &bootstrapped_tarball());
    let deb = "pyros-topic-web_0.1.0-0bookworm_all.deb";
    fs_err::copy(out.join(deb), root.join("tmp").join(deb)).unwrap();
    run(&mut chroot(&root, &["apt-get", "update"]));
    let install = apt_install(&root, &[&format!("/tmp/{deb}")]);
    assert!(!install.contains("E:"), "{install}");
    let help = run(&mut chroot(&root, &["pyros-topic-web", "--help"]));
    assert!(help.contains("--listen HOST:PORT") && help.contains("--socket PATH"), "{help}");
    let imported = run(&mut chroot(
        &root,
        &[
            "/opt/venvs/pyros-topic-web/bin/python3",
            "-c",
            "import bottle, pyros, sys; print(pyros.__file__); print(sys.prefix)",
        ],
    ));
    assert_eq!(
        imported,
        "/opt/venvs/pyros-topic-web/lib/python3.11/site-packages/pyros/__init__.py\n\
         /opt/venvs/pyros-topic-web\n"
    );
}
