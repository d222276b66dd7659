//! Integration tests of `rosdeb apt publish` and `rosdeb apt list`: output, `--json`, refusals
//! (exit 1, nothing changed) and the repository read by the real `apt-get`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use debgen::deb::{Control, DebBuilder};
use serde_json::Value;

use crate::harness::{TempDir, rosdeb};

fn build(dir: &Path, label: &str, name: &str, version: &str, arch: &str, payload: &str) -> PathBuf {
    let staging = dir.join(format!("staging-{label}"));
    let doc = staging.join("usr/share/doc").join(name);
    fs_err::create_dir_all(&doc).unwrap();
    fs_err::write(doc.join("README"), payload).unwrap();
    let control = Control::parse(&format!(
        "Package: {name}\nVersion: {version}\nArchitecture: {arch}\n\
         Maintainer: A <a@example.org>\nDescription: cli apt test\n of {name}.\n"
    ))
    .unwrap();
    DebBuilder::new(control, &staging, Some(1_700_000_000)).build(&dir.join(label)).unwrap().path
}

fn apt(dir: &Path, args: &[&str]) -> Output {
    Command::new(rosdeb())
        .arg("apt")
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn publish_and_list() {
    let tmp = TempDir::new("apt-publish");
    let dir = tmp.path();
    build(dir, "a", "cli-tool", "1.0-1", "amd64", "tool");
    build(dir, "b", "cli-data", "2:0.1-1", "all", "data");

    let out = apt(
        dir,
        &[
            "publish",
            "a/cli-tool_1.0-1_amd64.deb",
            "b/cli-data_0.1-1_all.deb",
            "--repo",
            "repo",
            "--codename",
            "jammy",
        ],
    );
    assert_eq!(
        stdout(&out),
        "added pool/main/c/cli-tool/cli-tool_1.0-1_amd64.deb\n\
         added pool/main/c/cli-data/cli-data_0.1-1_all.deb\n"
    );
    let out = apt(
        dir,
        &[
            "publish",
            "b/cli-data_0.1-1_all.deb",
            "--repo",
            "repo",
            "--codename",
            "noble",
            "--arch",
            "arm64",
            "--json",
        ],
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["codename"], "noble");
    assert_eq!(doc["added"][0]["name"], "cli-data");
    assert_eq!(doc["added"][0]["version"], "2:0.1-1");
    assert_eq!(doc["unchanged"], Value::Array(Vec::new()));
    let release = fs_err::read_to_string(dir.join("repo/dists/noble/Release")).unwrap();
    assert!(
        release.contains("\nDate: Tue, 14 Nov 2023 22:13:20 UTC\nArchitectures: arm64\n"),
        "{release}"
    );

    let out = apt(
        dir,
        &["publish", "a/cli-tool_1.0-1_amd64.deb", "--repo", "repo", "--codename", "jammy"],
    );
    assert_eq!(stdout(&out), "unchanged pool/main/c/cli-tool/cli-tool_1.0-1_amd64.deb\n");

    let out = apt(dir, &["list", "--repo", "repo"]);
    assert_eq!(
        stdout(&out),
        "jammy cli-data 2:0.1-1 all\njammy cli-tool 1.0-1 amd64\nnoble cli-data 2:0.1-1 all\n"
    );
    let out = apt(dir, &["list", "--repo", "repo", "--json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["codenames"][0]["codename"], "jammy");
    assert_eq!(doc["codenames"][0]["architectures"], serde_json::json!(["amd64"]));
    assert_eq!(
        doc["codenames"][0]["packages"][1]["filename"],
        "pool/main/c/cli-tool/cli-tool_1.0-1_amd64.deb"
    );
    assert_eq!(doc["codenames"][1]["architectures"], serde_json::json!(["arm64"]));
    let empty = apt(dir, &["list", "--repo", "nothing-here"]);
    assert_eq!(stdout(&empty), "");
}

#[test]
fn a_changed_package_is_refused_with_a_hint() {
    let tmp = TempDir::new("apt-refused");
    let dir = tmp.path();
    build(dir, "a", "cli-tool", "1.0-1", "amd64", "first");
    build(dir, "b", "cli-tool", "1.0-1", "amd64", "second");
    build(dir, "c", "cli-data", "0.1-1", "all", "data");
    let out = apt(
        dir,
        &["publish", "a/cli-tool_1.0-1_amd64.deb", "--repo", "repo", "--codename", "jammy"],
    );
    stdout(&out);
    let packages = fs_err::read(dir.join("repo/dists/jammy/main/binary-amd64/Packages")).unwrap();

    let out = apt(
        dir,
        &["publish", "b/cli-tool_1.0-1_amd64.deb", "--repo", "repo", "--codename", "jammy"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("error: publishing to `jammy` in `repo`\n"), "{stderr}");
    assert!(
        stderr.contains("caused by: `cli-tool` 1.0-1 (amd64) is already in `jammy`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: give the new build a new version"), "{stderr}");
    assert_eq!(
        fs_err::read(dir.join("repo/dists/jammy/main/binary-amd64/Packages")).unwrap(),
        packages
    );

    let out = apt(
        dir,
        &["publish", "c/cli-data_0.1-1_all.deb", "--repo", "repo2", "--codename", "jammy"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("hint: name the architectures to index with --arch"), "{stderr}");
    assert!(!dir.join("repo2").exists());

    let out =
        apt(dir, &["publish", "c/cli-data_0.1-1_all.deb", "--repo", "repo", "--codename", "../x"]);
    assert_eq!(out.status.code(), Some(1));
    let out = apt(dir, &["publish", "--repo", "repo", "--codename", "jammy"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn real_apt_installs_from_the_published_repository() {
    let tmp = TempDir::new("apt-real");
    let dir = tmp.path();
    build(dir, "a", "cli-tool", "1.0-1", "amd64", "tool");
    let out = apt(
        dir,
        &["publish", "a/cli-tool_1.0-1_amd64.deb", "--repo", "repo", "--codename", "jammy"],
    );
    stdout(&out);
    let state = dir.join("apt");
    for sub in ["state/lists/partial", "cache/archives/partial"] {
        fs_err::create_dir_all(state.join(sub)).unwrap();
    }
    fs_err::write(state.join("status"), "").unwrap();
    let sources = format!("deb [trusted=yes] file:{} jammy main\n", dir.join("repo").display());
    fs_err::write(state.join("sources.list"), sources).unwrap();
    let s = |p: &str| state.join(p).display().to_string();
    let options = [
        format!("Dir::Etc::sourcelist={}", s("sources.list")),
        "Dir::Etc::sourceparts=-".to_owned(),
        format!("Dir::State={}", s("state")),
        format!("Dir::State::status={}", s("status")),
        format!("Dir::Cache={}", s("cache")),
        "Debug::NoLocking=1".to_owned(),
        "APT::Architecture=amd64".to_owned(),
        "Acquire::Languages=none".to_owned(),
        // Running as root, apt would hand the download to `_apt`, who cannot write the temp dir.
        "APT::Sandbox::User=root".to_owned(),
    ];
    let downloads = dir.join("downloads");
    fs_err::create_dir_all(&downloads).unwrap();
    let run = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.current_dir(&downloads);
        for option in &options {
            command.arg("-o").arg(option);
        }
        let out = command.args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !text.contains("W:"), "{text}");
        text
    };
    run(&["update"]);
    // A simulated install resolves the package from the repository (a `file:` source is used
    // in place, so `--download-only` caches nothing; `download` copies the file).
    let plan = run(&["install", "--simulate", "cli-tool"]);
    assert!(plan.contains("Inst cli-tool (1.0-1 "), "{plan}");
    run(&["download", "cli-tool"]);
    let fetched = fs_err::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("apt-get download wrote a .deb");
    assert_eq!(
        fs_err::read(fetched).unwrap(),
        fs_err::read(dir.join("a/cli-tool_1.0-1_amd64.deb")).unwrap()
    );
}

#[test]
fn key_generate_and_signed_publish_are_accepted_by_gpgv_and_apt() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = TempDir::new("apt-signed");
    let dir = tmp.path();
    build(dir, "a", "cli-tool", "1.0-1", "amd64", "tool");
    let generate = ["key", "generate", "--out-secret", "repo.key", "--out-public"];
    let out = apt(
        dir,
        &[&generate[..], &["repo.gpg", "--name", "CLI Test", "--email", "t@e.org"]].concat(),
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("fingerprint ") && text.len() == "fingerprint \n".len() + 40,
        "{text}"
    );
    let mode = fs_err::metadata(dir.join("repo.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = apt(dir, &[&generate[..], &["repo.asc", "--json"]].concat());
    assert_eq!(out.status.code(), Some(1), "the secret key exists");
    assert!(String::from_utf8_lossy(&out.stderr).contains("never overwritten"));
    let generate2 = ["key", "generate", "--out-secret", "other.key", "--out-public", "repo.asc"];
    let doc: Value =
        serde_json::from_str(&stdout(&apt(dir, &[&generate2[..], &["--json"]].concat()))).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["user_id"], "rosdeb apt repository");
    assert_eq!(doc["public"], "repo.asc");
    let armored = fs_err::read_to_string(dir.join("repo.asc")).unwrap();
    assert!(armored.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));

    let publish =
        ["publish", "a/cli-tool_1.0-1_amd64.deb", "--repo", "repo", "--codename", "jammy"];
    stdout(&apt(dir, &[&publish[..], &["--sign-key", "repo.key"]].concat()));
    let dists = dir.join("repo/dists/jammy");
    for args in [vec!["InRelease"], vec!["Release.gpg", "Release"]] {
        let out = Command::new("gpgv")
            .arg("--keyring")
            .arg(dir.join("repo.gpg"))
            .args(&args)
            .current_dir(&dists)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && log.contains("Good signature from \"CLI Test <t@e.org>\""),
            "{log}"
        );
    }
    // Without the key, publishing to the signed codename is refused.
    let out = apt(dir, &publish);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hint: give the key it was signed with: --sign-key FILE"), "{stderr}");

    // The real apt, no trusted=yes: the key given with signed-by.
    let state = dir.join("apt");
    for sub in ["state/lists/partial", "cache/archives/partial"] {
        fs_err::create_dir_all(state.join(sub)).unwrap();
    }
    fs_err::write(state.join("status"), "").unwrap();
    let sources = format!(
        "deb [signed-by={}] file:{} jammy main\n",
        dir.join("repo.gpg").display(),
        dir.join("repo").display()
    );
    fs_err::write(state.join("sources.list"), sources).unwrap();
    let s = |p: &str| state.join(p).display().to_string();
    let out = Command::new("apt-get")
        .args(["-o", &format!("Dir::Etc::sourcelist={}", s("sources.list"))])
        .args(["-o", "Dir::Etc::sourceparts=-"])
        .args(["-o", &format!("Dir::State={}", s("state"))])
        .args(["-o", &format!("Dir::State::status={}", s("status"))])
        .args(["-o", &format!("Dir::Cache={}", s("cache"))])
        .args(["-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64"])
        .args(["-o", "Acquire::Languages=none", "-o", "APT::Sandbox::User=root", "update"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !text.contains("W:") && !text.contains("E:"), "{text}");
    assert!(text.contains("InRelease"), "{text}");
}

/// `apt-get update` then `apt-cache` over `repo`'s `codename` with a private state under
/// `state`; returns the names `apt-cache pkgnames` knows.
pub(crate) fn apt_known_packages(state: &Path, repo: &Path, codename: &str) -> Vec<String> {
    for sub in ["state/lists/partial", "cache/archives/partial"] {
        fs_err::create_dir_all(state.join(sub)).unwrap();
    }
    fs_err::write(state.join("status"), "").unwrap();
    let sources = format!("deb [trusted=yes] file:{} {codename} main\n", repo.display());
    fs_err::write(state.join("sources.list"), sources).unwrap();
    let s = |p: &str| state.join(p).display().to_string();
    let run = |tool: &str, args: &[&str]| {
        let out = Command::new(tool)
            .args(["-o", &format!("Dir::Etc::sourcelist={}", s("sources.list"))])
            .args(["-o", "Dir::Etc::sourceparts=-"])
            .args(["-o", &format!("Dir::State={}", s("state"))])
            .args(["-o", &format!("Dir::State::status={}", s("status"))])
            .args(["-o", &format!("Dir::Cache={}", s("cache"))])
            .args(["-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64"])
            .args(["-o", "Acquire::Languages=none", "-o", "APT::Sandbox::User=root"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let log = text.clone() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !log.contains("W:") && !log.contains("E:"), "{log}");
        text
    };
    run("apt-get", &["update"]);
    let mut names: Vec<String> =
        run("apt-cache", &["pkgnames"]).lines().map(str::to_owned).collect();
    names.sort();
    names
}

#[test]
fn concurrent_publishers_lose_no_package() {
    let tmp = TempDir::new("apt-concurrent");
    let dir = tmp.path();
    let mut batches = Vec::new();
    for publisher in 0..4 {
        let mut debs = Vec::new();
        for n in 0..3 {
            let name = format!("cli-p{publisher}-n{n}");
            let label = format!("p{publisher}-{n}");
            let deb = build(dir, &label, &name, "1.0-1", "amd64", &name);
            debs.push(deb.strip_prefix(dir).unwrap().display().to_string());
        }
        batches.push(debs);
    }
    // Four real processes started together, each publishing three packages.
    let children: Vec<_> = batches
        .iter()
        .map(|debs| {
            Command::new(rosdeb())
                .args(["apt", "publish"])
                .args(debs)
                .args(["--repo", "repo", "--codename", "jammy"])
                .current_dir(dir)
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    }
    let mut expected: Vec<String> =
        (0..4).flat_map(|p| (0..3).map(move |n| format!("cli-p{p}-n{n}"))).collect();
    expected.sort();
    assert_eq!(apt_known_packages(&dir.join("apt"), &dir.join("repo"), "jammy"), expected);
    // No hidden generation but the live one is left behind.
    let live = fs_err::read_link(dir.join("repo/dists/jammy")).unwrap();
    let hidden: Vec<_> = fs_err::read_dir(dir.join("repo/dists"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(hidden, [live.into_os_string()]);
}

#[test]
fn a_held_lock_times_out_with_a_hint() {
    let tmp = TempDir::new("apt-locked");
    let dir = tmp.path();
    build(dir, "a", "cli-tool", "1.0-1", "amd64", "tool");
    let publish =
        ["publish", "a/cli-tool_1.0-1_amd64.deb", "--repo", "repo", "--codename", "jammy"];
    stdout(&apt(dir, &publish));
    build(dir, "b", "cli-data", "0.1-1", "amd64", "data");
    let before = fs_err::read(dir.join("repo/dists/jammy/main/binary-amd64/Packages")).unwrap();
    // Another writer holds the lock (the real flock(1), as a second publisher would).
    let mut holder = Command::new("flock")
        .args(["--exclusive", "--no-fork"])
        .arg(dir.join("repo/.rosdeb-apt.lock"))
        .args(["sleep", "60"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    let out = apt(
        dir,
        &[
            "publish",
            "b/cli-data_0.1-1_amd64.deb",
            "--repo",
            "repo",
            "--codename",
            "jammy",
            "--lock-timeout",
            "1",
        ],
    );
    let waited = started.elapsed();
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("repo/.rosdeb-apt.lock` is held by another publisher; gave up after 1 s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: another `rosdeb apt publish` is writing this repository"),
        "{stderr}"
    );
    assert!(waited >= std::time::Duration::from_secs(1), "{waited:?}");
    assert_eq!(
        fs_err::read(dir.join("repo/dists/jammy/main/binary-amd64/Packages")).unwrap(),
        before
    );
    // Once the lock is free, the same command goes through.
    let out = apt(
        dir,
        &["publish", "b/cli-data_0.1-1_amd64.deb", "--repo", "repo", "--codename", "jammy"],
    );
    assert_eq!(stdout(&out), "added pool/main/c/cli-data/cli-data_0.1-1_amd64.deb\n");
}

#[test]
fn hostile_and_truncated_debs_exit_1_naming_the_file_and_field() {
    let tmp = TempDir::new("apt-hostile");
    let dir = tmp.path();
    let tree = dir.join("tree");
    fs_err::create_dir_all(tree.join("DEBIAN")).unwrap();
    fs_err::create_dir_all(tree.join("usr/share/doc/evil")).unwrap();
    fs_err::write(tree.join("usr/share/doc/evil/README"), "evil").unwrap();
    fs_err::write(
        tree.join("DEBIAN/control"),
        "Package: evil\nSource: ../../../../../outside/ESCAPED\nVersion: 1.0\nArchitecture: all\n\
         Maintainer: A <a@example.org>\nDescription: d\n d\n",
    )
    .unwrap();
    let built = Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build", "tree", "evil.deb"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let out = apt(
        dir,
        &["publish", "evil.deb", "--repo", "repo", "--codename", "jammy", "--arch", "amd64"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr
            .contains("caused by: `evil.deb`: field `Source`: \"../../../../../outside/ESCAPED\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: this control field cannot go into an apt repository"),
        "{stderr}"
    );
    assert!(!dir.join("repo").exists() && !dir.join("outside").exists());

    build(dir, "a", "cli-tool", "1.0-1", "amd64", "tool");
    let bytes = fs_err::read(dir.join("a/cli-tool_1.0-1_amd64.deb")).unwrap();
    fs_err::write(dir.join("cut.deb"), &bytes[..bytes.len() - 200]).unwrap();
    let out = apt(dir, &["publish", "cut.deb", "--repo", "repo", "--codename", "jammy"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("caused by: `cut.deb` is not a usable .deb: truncated"), "{stderr}");
    assert!(stderr.contains("hint: the file is truncated or damaged"), "{stderr}");
    assert!(!dir.join("repo").exists());
}
