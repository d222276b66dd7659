//! apt repository publication checked with the real tools: `apt-get update`, `apt-cache show`
//! and `apt-get download` against the repository with an isolated apt configuration, and
//! `dpkg-deb --field` for the Packages stanzas.

use std::path::{Path, PathBuf};
use std::process::Command;

use debgen::apt::{AptError, PublishOptions, Repository, Signer, publish};
use debgen::deb::{Control, DebBuilder};
use md5::Md5;
use sha2::{Digest as _, Sha256};

const EPOCH: u64 = 1_700_000_000;

fn options() -> PublishOptions {
    PublishOptions {
        architectures: Vec::new(),
        date: 1_700_000_000,
        origin: "rosdeb".into(),
        label: "rosdeb test".into(),
        signer: None,
        lock_timeout: debgen::apt::DEFAULT_LOCK_TIMEOUT,
    }
}

/// Builds `<name>_<version>_<arch>.deb` under `dir/<label>/`; `payload` makes the content differ.
fn build(dir: &Path, label: &str, name: &str, version: &str, arch: &str, payload: &str) -> PathBuf {
    let staging = dir.join(format!("staging-{label}"));
    let doc = staging.join("usr/share/doc").join(name);
    fs_err::create_dir_all(&doc).unwrap();
    fs_err::write(doc.join("README"), payload).unwrap();
    let control = Control::parse(&format!(
        "Package: {name}\nVersion: {version}\nArchitecture: {arch}\n\
         Maintainer: Jane Doe <jane@example.org>\nSection: misc\nPriority: optional\n\
         Depends: libc6\nDescription: test package {name}\n built for the apt tests.\n"
    ))
    .unwrap();
    DebBuilder::new(control, &staging, Some(EPOCH)).build(&dir.join(label)).unwrap().path
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file the Release of `codename` lists exists with that size, MD5 and SHA-256, and
/// every index file of the codename is listed.
fn check_release_matches(repo: &Path, codename: &str) {
    let dir = repo.join("dists").join(codename);
    let release = fs_err::read_to_string(dir.join("Release")).unwrap();
    let mut section = "";
    let mut listed = Vec::new();
    for line in release.lines() {
        if let Some(entry) = line.strip_prefix(' ') {
            let parts: Vec<&str> = entry.split_whitespace().collect();
            let [hash, size, name] = parts[..] else { panic!("bad line {line}") };
            let bytes = fs_err::read(dir.join(name)).unwrap();
            assert_eq!(size.parse::<usize>().unwrap(), bytes.len(), "{name}");
            match section {
                "MD5Sum" => assert_eq!(hash, md5_hex(&bytes), "{name}"),
                "SHA256" => assert_eq!(hash, sha256_hex(&bytes), "{name}"),
                other => panic!("unexpected section {other}"),
            }
            if section == "SHA256" {
                let by_hash = Path::new(name).parent().unwrap().join("by-hash/SHA256").join(hash);
                assert_eq!(fs_err::read(dir.join(by_hash)).unwrap(), bytes, "{name} by hash");
            }
            listed.push(name.to_owned());
        } else {
            section = line.split(':').next().unwrap();
        }
    }
    let mut on_disk = Vec::new();
    for arch in fs_err::read_dir(dir.join("main")).unwrap() {
        let arch = arch.unwrap().file_name().into_string().unwrap();
        for ext in ["", ".gz", ".xz"] {
            on_disk.push(format!("main/{arch}/Packages{ext}"));
        }
    }
    listed.sort();
    listed.dedup();
    on_disk.sort();
    assert_eq!(listed, on_disk);
}

/// apt with a private configuration: sources list, state and cache under `tmp`.
struct Apt {
    tmp: PathBuf,
    arch: String,
}

impl Apt {
    fn new(tmp: &Path, repo: &Path, codename: &str, arch: &str) -> Apt {
        Apt::with_options(tmp, repo, codename, arch, "trusted=yes")
    }

    /// `options`: what goes between the brackets of the sources line.
    fn with_options(tmp: &Path, repo: &Path, codename: &str, arch: &str, options: &str) -> Apt {
        for sub in ["state/lists/partial", "cache/archives/partial", "etc/preferences.d"] {
            fs_err::create_dir_all(tmp.join(sub)).unwrap();
        }
        fs_err::write(
            tmp.join("sources.list"),
            format!("deb [{options}] file:{} {codename} main\n", repo.display()),
        )
        .unwrap();
        fs_err::write(tmp.join("status"), "").unwrap();
        Apt { tmp: tmp.to_owned(), arch: arch.to_owned() }
    }

    fn run(&self, tool: &str, args: &[&str], cwd: &Path) -> (bool, String) {
        let t = |p: &str| self.tmp.join(p).display().to_string();
        let out = Command::new(tool)
            .args([
                "-o",
                &format!("Dir::Etc::sourcelist={}", t("sources.list")),
                "-o",
                "Dir::Etc::sourceparts=-",
                "-o",
                &format!("Dir::Etc::preferencesparts={}", t("etc/preferences.d")),
                "-o",
                &format!("Dir::State={}", t("state")),
                "-o",
                &format!("Dir::State::status={}", t("status")),
                "-o",
                &format!("Dir::Cache={}", t("cache")),
                "-o",
                "Debug::NoLocking=1",
                "-o",
                &format!("APT::Architecture={}", self.arch),
                "-o",
                "APT::Architectures::=",
                "-o",
                "Acquire::Languages=none",
                "-o",
                "APT::Sandbox::User=root",
            ])
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

fn dpkg_field(deb: &Path, field: &str) -> String {
    let out = Command::new("dpkg-deb").arg("--field").arg(deb).arg(field).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

fn stanza_of<'a>(packages: &'a str, name: &str, version: &str) -> &'a str {
    packages
        .split("\n\n")
        .find(|s| {
            s.starts_with(&format!("Package: {name}\n"))
                && s.contains(&format!("\nVersion: {version}\n"))
        })
        .unwrap_or_else(|| panic!("no {name} {version} in\n{packages}"))
}

#[test]
fn real_apt_reads_the_unsigned_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = dir.join("repo");
    let tool = build(dir, "a", "ros-test-tool", "1:1.2.0-1", "amd64", "tool");
    let data = build(dir, "b", "ros-test-data", "0.3-1", "all", "data");
    let arm = build(dir, "c", "ros-test-tool", "1:1.2.0-1", "arm64", "arm");

    let done =
        publish(&repo, "jammy", &[tool.clone(), data.clone(), arm.clone()], &options()).unwrap();
    assert_eq!(done.added.len(), 3);
    assert!(done.rewritten);
    let noble = PublishOptions { architectures: vec!["amd64".into()], ..options() };
    publish(&repo, "noble", std::slice::from_ref(&data), &noble).unwrap();

    assert!(repo.join("pool/main/r/ros-test-tool/ros-test-tool_1.2.0-1_amd64.deb").is_file());
    assert!(repo.join("pool/main/r/ros-test-data/ros-test-data_0.3-1_all.deb").is_file());
    check_release_matches(&repo, "jammy");
    check_release_matches(&repo, "noble");

    // The all package is in every architecture's index; stanza fields are the deb's own.
    let amd64 =
        fs_err::read_to_string(repo.join("dists/jammy/main/binary-amd64/Packages")).unwrap();
    let arm64 =
        fs_err::read_to_string(repo.join("dists/jammy/main/binary-arm64/Packages")).unwrap();
    assert!(amd64.starts_with("Package: ros-test-data\n"), "sorted by name:\n{amd64}");
    assert!(arm64.contains("Package: ros-test-data\n"));
    assert!(!arm64.contains("Architecture: amd64"));
    let stanza = stanza_of(&amd64, "ros-test-tool", "1:1.2.0-1");
    for field in [
        "Package",
        "Version",
        "Architecture",
        "Maintainer",
        "Installed-Size",
        "Depends",
        "Section",
        "Priority",
    ] {
        let expected = format!("{field}: {}", dpkg_field(&tool, field));
        assert!(stanza.lines().any(|l| l == expected), "{expected} not in\n{stanza}");
    }
    let bytes = fs_err::read(&tool).unwrap();
    assert!(stanza.contains(&format!("\nSize: {}\n", bytes.len())));
    assert!(stanza.contains(&format!("\nSHA256: {}\n", sha256_hex(&bytes))));
    assert!(stanza.contains(&format!("\nMD5sum: {}\n", md5_hex(&bytes))));
    assert!(
        stanza.ends_with("Description: test package ros-test-tool\n built for the apt tests.\n")
    );

    // The real apt: update, show, download (amd64 view of jammy).
    let apt = Apt::new(&dir.join("apt"), &repo, "jammy", "amd64");
    let (ok, log) = apt.run("apt-get", &["update"], dir);
    assert!(ok && !log.contains("W:") && !log.contains("E:"), "{log}");
    let (ok, show) = apt.run("apt-cache", &["show", "ros-test-tool"], dir);
    assert!(ok, "{show}");
    assert!(show.contains("Version: 1:1.2.0-1") && show.contains("Architecture: amd64"), "{show}");
    let (ok, show) = apt.run("apt-cache", &["show", "ros-test-data"], dir);
    assert!(ok && show.contains("Architecture: all"), "{show}");
    let downloads = dir.join("downloads");
    fs_err::create_dir_all(&downloads).unwrap();
    let (ok, log) = apt.run("apt-get", &["download", "ros-test-tool", "ros-test-data"], &downloads);
    assert!(ok && !log.contains("W:"), "{log}");
    assert_eq!(fs_err::read(downloads.join("ros-test-tool_1%3a1.2.0-1_amd64.deb")).unwrap(), bytes);

    // noble holds only the all package, indexed for amd64.
    let apt = Apt::new(&dir.join("apt-noble"), &repo, "noble", "amd64");
    let (ok, log) = apt.run("apt-get", &["update"], dir);
    assert!(ok && !log.contains("W:") && !log.contains("E:"), "{log}");
    let (ok, _) = apt.run("apt-cache", &["show", "ros-test-data"], dir);
    assert!(ok);
    let (ok, _) = apt.run("apt-cache", &["show", "ros-test-tool"], dir);
    assert!(!ok);

    // Reading back gives what was published.
    let read = Repository::open(&repo).unwrap();
    let names: Vec<&str> = read.suites.keys().map(String::as_str).collect();
    assert_eq!(names, ["jammy", "noble"]);
    let jammy = &read.suites["jammy"];
    let listed: Vec<String> = jammy
        .entries()
        .map(|e| format!("{} {} {}", e.package, e.version, e.architecture))
        .collect();
    assert_eq!(
        listed,
        [
            "ros-test-data 0.3-1 all",
            "ros-test-tool 1:1.2.0-1 amd64",
            "ros-test-tool 1:1.2.0-1 arm64"
        ]
    );
}

/// Every file under `root` with its bytes (symlinks as their targets).
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for item in fs_err::read_dir(&dir).unwrap() {
            let path = item.unwrap().path();
            let meta = fs_err::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = fs_err::read_link(&path).unwrap();
                out.push((path, target.into_os_string().into_encoded_bytes()));
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), fs_err::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A repository at `dir/repo` with one package (`ros-test-pkg` 1.0-1 amd64) published in
/// `jammy`, the .deb, and the repository's snapshot.
fn one_package_repo(dir: &Path, payload: &str) -> (PathBuf, PathBuf, Vec<(PathBuf, Vec<u8>)>) {
    let repo = dir.join("repo");
    let deb = build(dir, "a", "ros-test-pkg", "1.0-1", "amd64", payload);
    publish(&repo, "jammy", std::slice::from_ref(&deb), &options()).unwrap();
    let before = snapshot(&repo);
    (repo, deb, before)
}

#[test]
fn republishing_is_a_no_op_and_different_content_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (repo, first, before) = one_package_repo(dir, "first");

    let later = PublishOptions { date: 1_800_000_000, ..options() };
    let again = publish(&repo, "jammy", std::slice::from_ref(&first), &later).unwrap();
    assert!(!again.rewritten);
    assert!(again.added.is_empty());
    assert_eq!(again.unchanged.len(), 1);
    assert_eq!(snapshot(&repo), before, "nothing changed");

    let other = build(dir, "b", "ros-test-pkg", "1.0-1", "amd64", "second");
    let err = publish(&repo, "jammy", std::slice::from_ref(&other), &later).unwrap_err();
    assert!(matches!(err, AptError::Conflict(_)), "{err}");
    assert!(
        err.to_string().contains("`ros-test-pkg` 1.0-1 (amd64) is already in `jammy`"),
        "{err}"
    );
    // The same version as `all` would land in the same amd64 index.
    let all = build(dir, "c", "ros-test-pkg", "1.0-1", "all", "third");
    assert!(matches!(publish(&repo, "jammy", &[all], &later), Err(AptError::Conflict(_))));
    // Another codename may not bring a different file under the same pool name.
    let err = publish(&repo, "noble", std::slice::from_ref(&other), &later).unwrap_err();
    assert!(matches!(err, AptError::PoolConflict { .. }), "{err}");
    // A conflict among the new files themselves, next to an acceptable one.
    let fresh = build(dir, "d", "ros-test-new", "2.0-1", "amd64", "new");
    let fresh2 = build(dir, "e", "ros-test-new", "2.0-1", "amd64", "new2");
    assert!(matches!(
        publish(&repo, "jammy", &[fresh.clone(), fresh2], &later),
        Err(AptError::Conflict(_))
    ));
    assert_eq!(snapshot(&repo), before, "refusals change nothing");

    // A new version next to the old one; the old Release directory is replaced, and the old
    // indexes stay reachable by hash.
    let old_packages = fs_err::read(repo.join("dists/jammy/main/binary-amd64/Packages")).unwrap();
    let old_by_hash =
        format!("dists/jammy/main/binary-amd64/by-hash/SHA256/{}", sha256_hex(&old_packages));
    assert_eq!(fs_err::read(repo.join(&old_by_hash)).unwrap(), old_packages);
    let newer = build(dir, "f", "ros-test-pkg", "1.0-2", "amd64", "newer");
    let done = publish(&repo, "jammy", &[newer, fresh], &later).unwrap();
    assert_eq!(done.added.len(), 2);
    check_release_matches(&repo, "jammy");
    assert_eq!(fs_err::read(repo.join(&old_by_hash)).unwrap(), old_packages, "carried forward");
    let packages =
        fs_err::read_to_string(repo.join("dists/jammy/main/binary-amd64/Packages")).unwrap();
    let order: Vec<&str> = packages
        .lines()
        .filter(|l| l.starts_with("Package:") || l.starts_with("Version:"))
        .collect();
    assert_eq!(
        order,
        [
            "Package: ros-test-new",
            "Version: 2.0-1",
            "Package: ros-test-pkg",
            "Version: 1.0-1",
            "Package: ros-test-pkg",
            "Version: 1.0-2"
        ]
    );
    let hidden: Vec<String> = fs_err::read_dir(repo.join("dists"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(hidden.len(), 2, "the codename link and one directory: {hidden:?}");
}

#[test]
fn only_all_packages_need_an_architecture() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = build(dir, "a", "ros-test-data", "0.3-1", "all", "data");
    let err = publish(&dir.join("repo"), "jammy", &[data], &options()).unwrap_err();
    assert!(matches!(err, AptError::NoArchitecture { .. }), "{err}");
    assert!(!dir.join("repo/dists").exists() && !dir.join("repo/pool").exists());
}

fn gpgv(keyring: &Path, args: &[&Path]) -> (bool, String) {
    let out = Command::new("gpgv").arg("--keyring").arg(keyring).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn signed_repository_is_verified_by_gpgv_and_apt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = dir.join("repo");
    let signer = Signer::generate("rosdeb test <test@example.org>").unwrap();
    let keyring = dir.join("repo-key.gpg");
    fs_err::write(&keyring, signer.public_keyring().unwrap()).unwrap();
    let armored = dir.join("repo-key.asc");
    fs_err::write(&armored, signer.public_armored().unwrap()).unwrap();
    // Signatures made at the Release date (SOURCE_DATE_EPOCH), but never before the key.
    let date = signer.created() + 60;
    let signed = PublishOptions { date, signer: Some(signer.clone()), ..options() };
    let tool = build(dir, "a", "ros-test-tool", "1.0-1", "amd64", "tool");
    publish(&repo, "jammy", std::slice::from_ref(&tool), &signed).unwrap();
    check_release_matches(&repo, "jammy");

    let dists = repo.join("dists/jammy");
    let (release, in_release, release_gpg) =
        (dists.join("Release"), dists.join("InRelease"), dists.join("Release.gpg"));
    let (ok, log) = gpgv(&keyring, &[&in_release]);
    assert!(ok && log.contains("Good signature"), "{log}");
    let (ok, log) = gpgv(&keyring, &[&release_gpg, &release]);
    assert!(ok && log.contains("Good signature"), "{log}");
    let text = fs_err::read_to_string(&in_release).unwrap();
    assert!(text.contains(&fs_err::read_to_string(&release).unwrap()), "{text}");

    // The real apt, without trusted=yes, with the binary and the armored key.
    for (name, key) in [("apt", &keyring), ("apt-asc", &armored)] {
        let apt = Apt::with_options(
            &dir.join(name),
            &repo,
            "jammy",
            "amd64",
            &format!("signed-by={}", key.display()),
        );
        let (ok, log) = apt.run("apt-get", &["update"], dir);
        assert!(ok && !log.contains("W:") && !log.contains("E:"), "{name}: {log}");
        let (ok, show) = apt.run("apt-cache", &["show", "ros-test-tool"], dir);
        assert!(ok && show.contains("Version: 1.0-1"), "{show}");
    }
    // Another key is refused.
    let stranger = dir.join("stranger.gpg");
    fs_err::write(&stranger, Signer::generate("x").unwrap().public_keyring().unwrap()).unwrap();
    let apt = Apt::with_options(
        &dir.join("apt-stranger"),
        &repo,
        "jammy",
        "amd64",
        &format!("signed-by={}", stranger.display()),
    );
    let (ok, log) = apt.run("apt-get", &["update"], dir);
    assert!(!ok || log.contains("E:") || log.contains("W:"), "{log}");
    assert!(log.contains("NO_PUBKEY") || log.contains("not signed"), "{log}");

    // Publishing unsigned over a signed codename is refused; republishing with the key is a
    // no-op; the same packages signed by a new key are re-signed.
    let unsigned = PublishOptions { date, ..options() };
    let err = publish(&repo, "jammy", std::slice::from_ref(&tool), &unsigned).unwrap_err();
    assert!(matches!(err, AptError::SigningKeyRequired { .. }), "{err}");
    let again = publish(&repo, "jammy", std::slice::from_ref(&tool), &signed).unwrap();
    assert!(!again.rewritten);
    let new_key = Signer::generate("new key").unwrap();
    let resigned = PublishOptions { signer: Some(new_key.clone()), ..signed.clone() };
    let done = publish(&repo, "jammy", std::slice::from_ref(&tool), &resigned).unwrap();
    assert!(done.rewritten && done.added.is_empty());
    assert!(new_key.verifies(&fs_err::read_to_string(&in_release).unwrap()));
    let new_keyring = dir.join("new.gpg");
    fs_err::write(&new_keyring, new_key.public_keyring().unwrap()).unwrap();
    let (ok, log) = gpgv(&new_keyring, &[&release_gpg, &release]);
    assert!(ok, "{log}");

    // A tampered Release (in the published directory itself) fails gpgv and apt.
    let target = repo.join("dists").join(fs_err::read_link(&dists).unwrap());
    for name in ["InRelease", "Release"] {
        let path = target.join(name);
        let text = fs_err::read_to_string(&path).unwrap();
        fs_err::write(&path, text.replace("Label: rosdeb test", "Label: rosdeb evil")).unwrap();
    }
    let (ok, _) = gpgv(&new_keyring, &[&in_release]);
    assert!(!ok);
    let (ok, _) = gpgv(&new_keyring, &[&release_gpg, &release]);
    assert!(!ok);
    let apt = Apt::with_options(
        &dir.join("apt-tampered"),
        &repo,
        "jammy",
        "amd64",
        &format!("signed-by={}", new_keyring.display()),
    );
    let (ok, log) = apt.run("apt-get", &["update"], dir);
    assert!(!ok || log.contains("E:"), "{log}");
    assert!(log.contains("BADSIG") || log.contains("not signed"), "{log}");
    let (ok, _) = apt.run("apt-cache", &["show", "ros-test-tool"], dir);
    assert!(!ok, "nothing from a tampered repository is used");
}

/// A `.deb` built by the real `dpkg-deb` from `control` (which it accepts even when hostile).
fn dpkg_deb_build(dir: &Path, label: &str, control: &str) -> PathBuf {
    let tree = dir.join(format!("tree-{label}"));
    fs_err::create_dir_all(tree.join("DEBIAN")).unwrap();
    fs_err::create_dir_all(tree.join("usr/share/doc/x")).unwrap();
    fs_err::write(tree.join("usr/share/doc/x/README"), label).unwrap();
    fs_err::write(tree.join("DEBIAN/control"), control).unwrap();
    let deb = dir.join(format!("{label}.deb"));
    let out = Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&tree)
        .arg(&deb)
        .output()
        .unwrap();
    assert!(out.status.success(), "dpkg-deb accepts it: {}", String::from_utf8_lossy(&out.stderr));
    deb
}

#[test]
fn hostile_control_fields_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (repo, _, before) = one_package_repo(dir, "good");
    let head = "Package: evil\nVersion: 1.0\nArchitecture: all\nMaintainer: A <a@example.org>\n";
    let cases = [
        ("source-climbs", "Source: ../../../../../outside/ESCAPED\n", "Source"),
        ("source-absolute", "Source: /tmp/outside\n", "Source"),
        ("source-version-climbs", "Source: evil (1.0/../../../x)\n", "Source"),
        ("source-two-words", "Source: evil extra\n", "Source"),
        ("escape-sequence", "X-Note: a\x1b[31mred\n", "X-Note"),
        ("carriage-return", "Homepage: https://example.org/\rX-Injected: yes\n", "Homepage"),
    ];
    for (label, extra, field) in cases {
        let deb = dpkg_deb_build(dir, label, &format!("{head}{extra}Description: d\n d\n"));
        let err = publish(&repo, "jammy", std::slice::from_ref(&deb), &options()).unwrap_err();
        let text = err.to_string();
        match &err {
            AptError::BadField { path, field: f, .. } => {
                assert_eq!((path, f.as_str()), (&deb, field), "{label}: {err}");
                assert!(
                    text.starts_with(&format!("`{}`: field `{field}`", deb.display())),
                    "{text}"
                );
            }
            // Control characters are already refused by the control-file parser (the crate's one
            // rule for deb822 values), at the line of the field.
            AptError::Control { path, .. }
                if label == "escape-sequence" || label == "carriage-return" =>
            {
                assert_eq!(path, &deb, "{label}: {err}");
                assert!(text.contains("control character"), "{label}: {text}");
                assert!(text.contains(field), "{label}: {text}");
            }
            other => panic!("{label}: {other:?}"),
        }
        assert_eq!(snapshot(&repo), before, "{label} changed the repository");
    }
    assert!(!dir.join("outside").exists() && !Path::new("/tmp/outside").exists());
    // The accepted forms of Source: a name, and a name with a version.
    let fine = dpkg_deb_build(
        dir,
        "source-with-version",
        &format!("{head}Source: evil-src (1:2.0-1)\nDescription: d\n d\n"),
    );
    publish(&repo, "jammy", std::slice::from_ref(&fine), &options()).unwrap();
    assert!(repo.join("pool/main/e/evil-src/evil_1.0_all.deb").is_file());
}

#[test]
fn a_pool_directory_that_is_a_symlink_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = dir.join("repo");
    let outside = dir.join("outside");
    fs_err::create_dir_all(repo.join("pool/main")).unwrap();
    fs_err::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("pool/main/r")).unwrap();
    let deb = build(dir, "a", "ros-test-pkg", "1.0-1", "amd64", "x");
    let err = publish(&repo, "jammy", std::slice::from_ref(&deb), &options()).unwrap_err();
    assert!(matches!(&err, AptError::BadRepository { path, .. } if path.ends_with("pool/main/r")));
    assert!(fs_err::read_dir(&outside).unwrap().next().is_none(), "nothing written outside");
}

/// A `.deb` rebuilt with `ar` from the members of `deb`, in `order`.
fn reordered(dir: &Path, deb: &Path, order: &[&str]) -> PathBuf {
    let members = dir.join("members");
    fs_err::create_dir_all(&members).unwrap();
    assert!(Command::new("ar").arg("x").arg(deb).current_dir(&members).status().unwrap().success());
    let out = dir.join("reordered.deb");
    assert!(
        Command::new("ar")
            .arg("rc")
            .arg(&out)
            .args(order)
            .current_dir(&members)
            .status()
            .unwrap()
            .success()
    );
    out
}

/// Whether the real dpkg-deb can read the whole package (control and every data byte).
fn dpkg_deb_reads_it(deb: &Path) -> bool {
    let info = Command::new("dpkg-deb").arg("--info").arg(deb).output().unwrap();
    let data = Command::new("dpkg-deb").arg("--fsys-tarfile").arg(deb).output().unwrap();
    let listed = data.status.success()
        && Command::new("tar")
            .arg("-t")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .and_then(|mut tar| {
                use std::io::Write as _;
                tar.stdin.take().unwrap().write_all(&data.stdout)?;
                tar.wait()
            })
            .unwrap()
            .success();
    info.status.success() && listed
}

#[test]
fn truncated_corrupt_and_misordered_debs_are_refused_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (repo, _, before) = one_package_repo(dir, "first");

    // A package with some bulk, so that every member spans many bytes.
    let staging = dir.join("staging-big");
    fs_err::create_dir_all(staging.join("usr/share/big")).unwrap();
    let noise: Vec<u8> =
        (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    fs_err::write(staging.join("usr/share/big/noise"), &noise).unwrap();
    let control = Control::parse(
        "Package: ros-test-big\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: A <a@example.org>\n\
         Description: big\n test.\n",
    )
    .unwrap();
    let good = DebBuilder::new(control, &staging, Some(EPOCH)).build(&dir.join("big")).unwrap();
    let bytes = fs_err::read(&good.path).unwrap();
    let len = bytes.len();
    // Offsets of the members: debian-binary's data at 68, control.tar.xz's header at 72.
    let control_size: usize =
        std::str::from_utf8(&bytes[72 + 48..72 + 58]).unwrap().trim().parse().unwrap();
    let data_header = 72 + 60 + control_size + control_size % 2;

    let data_size: usize = std::str::from_utf8(&bytes[data_header + 48..data_header + 58])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Cut inside the xz stream's last bytes (not the ar padding byte after an odd-sized member).
    let last_data_byte = data_header + 60 + data_size - 1;
    let mut bad: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [
        7,
        40,
        70,
        100,
        72 + 60 + control_size / 2,
        data_header + 30,
        data_header + 200,
        len / 2,
        len - 100,
        last_data_byte,
    ] {
        bad.push((format!("truncated-at-{cut}"), bytes[..cut].to_vec()));
    }
    let mut corrupt = bytes.clone();
    corrupt[data_header + 60 + (len - data_header - 60) / 2] ^= 0x55;
    bad.push(("corrupt-data".to_owned(), corrupt));
    let mut corrupt = bytes.clone();
    corrupt[72 + 60 + control_size / 2] ^= 0x55;
    bad.push(("corrupt-control".to_owned(), corrupt));
    for (label, content) in &bad {
        let path = dir.join(format!("{label}.deb"));
        fs_err::write(&path, content).unwrap();
    }
    let misordered =
        reordered(dir, &good.path, &["debian-binary", "data.tar.xz", "control.tar.xz"]);
    let renamed = dir.join("misordered.deb");
    fs_err::rename(&misordered, &renamed).unwrap();
    let mut paths: Vec<PathBuf> =
        bad.iter().map(|(label, _)| dir.join(format!("{label}.deb"))).collect();
    paths.push(renamed);

    for path in &paths {
        assert!(!dpkg_deb_reads_it(path), "{} is readable by dpkg-deb", path.display());
        // Alone, and after a good package in the same run: nothing is published either way.
        for debs in [vec![path.clone()], vec![good.path.clone(), path.clone()]] {
            let err = publish(&repo, "jammy", &debs, &options()).unwrap_err();
            match &err {
                AptError::NotADeb { path: p, reason } => {
                    assert_eq!(p, path, "{reason}");
                }
                other => panic!("{}: {other:?}", path.display()),
            }
            assert!(err.to_string().contains(&path.display().to_string()), "{err}");
            assert_eq!(snapshot(&repo), before, "{} changed the repository", path.display());
        }
    }
    // The intact package goes in.
    assert!(dpkg_deb_reads_it(&good.path));
    publish(&repo, "jammy", std::slice::from_ref(&good.path), &options()).unwrap();
}

#[test]
fn leftovers_of_a_crashed_publish_are_removed_under_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = dir.join("repo");
    let first = build(dir, "a", "ros-test-pkg", "1.0-1", "amd64", "first");
    publish(&repo, "jammy", std::slice::from_ref(&first), &options()).unwrap();
    let live = fs_err::read_link(repo.join("dists/jammy")).unwrap();
    // What a publisher killed at each step leaves behind.
    let dists = repo.join("dists");
    fs_err::create_dir_all(dists.join(".jammy.tmp-AbC123/main/binary-amd64")).unwrap();
    fs_err::write(dists.join(".jammy.tmp-AbC123/Release"), "half").unwrap();
    fs_err::create_dir_all(dists.join(".jammy.0123456789abcdef/main")).unwrap();
    fs_err::create_dir_all(dists.join(".noble.fedcba9876543210")).unwrap();
    std::os::unix::fs::symlink(".jammy.0123456789abcdef", dists.join(".jammy.link-4242")).unwrap();
    let pool = repo.join("pool/main/r/ros-test-pkg");
    fs_err::write(pool.join(".pool.XyZ789"), "partial copy").unwrap();
    // Not ours: kept.
    fs_err::write(dists.join(".keep-me"), "x").unwrap();

    let second = build(dir, "b", "ros-test-other", "2.0-1", "amd64", "second");
    publish(&repo, "jammy", std::slice::from_ref(&second), &options()).unwrap();
    let mut hidden: Vec<String> = fs_err::read_dir(&dists)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    hidden.sort();
    let now = fs_err::read_link(repo.join("dists/jammy")).unwrap();
    assert_ne!(now, live);
    let mut expected = [".keep-me".to_owned(), now.display().to_string()];
    expected.sort();
    assert_eq!(hidden, expected);
    assert!(!pool.join(".pool.XyZ789").exists());
    assert!(pool.join("ros-test-pkg_1.0-1_amd64.deb").is_file());
    assert!(repo.join(debgen::apt::LOCK_FILE).is_file());
    check_release_matches(&repo, "jammy");
    let listed: Vec<String> = Repository::open(&repo).unwrap().suites["jammy"]
        .entries()
        .map(|e| e.package.clone())
        .collect();
    assert_eq!(listed, ["ros-test-other", "ros-test-pkg"]);
}

#[test]
fn a_symlinked_lock_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let repo = dir.join("repo");
    fs_err::create_dir_all(&repo).unwrap();
    let elsewhere = dir.join("elsewhere.lock");
    std::os::unix::fs::symlink(&elsewhere, repo.join(debgen::apt::LOCK_FILE)).unwrap();
    let deb = build(dir, "a", "ros-test-pkg", "1.0-1", "amd64", "x");
    let err = publish(&repo, "jammy", std::slice::from_ref(&deb), &options()).unwrap_err();
    assert!(matches!(&err, AptError::BadRepository { .. }), "{err:?}");
    assert!(err.to_string().contains(debgen::apt::LOCK_FILE), "{err}");
    assert!(!elsewhere.exists(), "the symlink was followed");
    assert!(!repo.join("dists").exists() && !repo.join("pool").exists());
}

#[test]
fn a_zstd_compressed_deb_is_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let tree = dir.join("tree");
    fs_err::create_dir_all(tree.join("DEBIAN")).unwrap();
    fs_err::create_dir_all(tree.join("usr/share/doc/z")).unwrap();
    fs_err::write(tree.join("usr/share/doc/z/README"), "z").unwrap();
    fs_err::write(
        tree.join("DEBIAN/control"),
        "Package: zpkg\nVersion: 1.0\nArchitecture: amd64\nMaintainer: A <a@example.org>\n\
         Description: z\n z.\n",
    )
    .unwrap();
    let deb = dir.join("z.deb");
    let out = Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zzstd", "--build"])
        .arg(&tree)
        .arg(&deb)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let repo = dir.join("repo");
    let err = publish(&repo, "jammy", std::slice::from_ref(&deb), &options()).unwrap_err();
    assert!(matches!(&err, AptError::NotADeb { path, .. } if *path == deb), "{err:?}");
    assert!(err.to_string().contains("`control.tar.zst` is compressed in a way"), "{err}");
    assert!(!repo.exists());
}
