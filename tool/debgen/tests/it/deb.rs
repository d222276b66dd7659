//! `.deb` builder checked with the real tools: dpkg-deb, dpkg and lintian (`cargo xtask ci`
//! installs lintian).

use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use debgen::deb::{BuildError, BuiltDeb, Control, ControlError, DebBuilder};

const EPOCH: u64 = 1_700_000_000; // 2023-11-14 22:13:20 UTC

const CONTROL: &str = "\
Package: hello-ros
Version: 1:1.2.3-1
Architecture: all
Maintainer: Jane Doe <jane@example.org>
Section: misc
Priority: optional
Homepage: https://example.org/hello
Description: greets the ROS world
 A small test package built by debgen's native .deb writer. It holds a
 script, a configuration file, a nested data directory and a symlink.
";

const POSTINST: &str =
    "#!/bin/sh\nset -e\n\nif [ \"$1\" = configure ]; then\n    echo configured >/dev/null\nfi\n";

fn write(path: &Path, text: &str, mode: u32) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, text).unwrap();
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A staging tree: a file, an executable, a nested dir, a symlink, a conffile, doc files.
fn staging(dir: &Path) -> PathBuf {
    let root = dir.join("staging");
    write(&root.join("usr/bin/hello-ros"), "#!/bin/sh\necho hello\n", 0o775);
    write(&root.join("usr/share/hello-ros/nested/deeper/data.txt"), "data\n", 0o600);
    write(&root.join("etc/hello-ros.conf"), "greeting=hello\n", 0o664);
    let doc = root.join("usr/share/doc/hello-ros");
    write(
        &doc.join("copyright"),
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
         Upstream-Name: hello-ros\n\nFiles: *\nCopyright: 2023 Jane Doe\nLicense: MIT\n \
         Permission is hereby granted, free of charge, to any person obtaining a copy.\n",
        0o644,
    );
    let changelog = doc.join("changelog.Debian");
    write(
        &changelog,
        "hello-ros (1:1.2.3-1) unstable; urgency=medium\n\n  * Initial release.\n\n \
         -- Jane Doe <jane@example.org>  Tue, 14 Nov 2023 22:13:20 +0000\n",
        0o644,
    );
    run(Command::new("gzip").args(["-9n"]).arg(&changelog));
    symlink("hello-ros", root.join("usr/bin/hello-ros-link")).unwrap();
    fs_err::create_dir_all(root.join("usr/lib")).unwrap();
    symlink("../share/hello-ros/nested", root.join("usr/lib/hello-nested")).unwrap();
    root
}

fn builder(staging: &Path) -> DebBuilder {
    DebBuilder::new(Control::parse(CONTROL).unwrap(), staging, Some(EPOCH))
        .conffiles(["/etc/hello-ros.conf"])
        .maintainer_script("postinst", POSTINST)
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.env("TZ", "UTC").output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run(cmd).stdout).unwrap()
}

fn build(dir: &Path) -> BuiltDeb {
    builder(&staging(dir)).build(&dir.join("out")).unwrap()
}

#[test]
fn names_the_file_and_reports_identity() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    assert_eq!(deb.path, dir.path().join("out/hello-ros_1.2.3-1_all.deb"));
    assert_eq!(
        (deb.name.as_str(), deb.version.as_str(), deb.architecture.as_str()),
        ("hello-ros", "1:1.2.3-1", "all")
    );
    let bytes = fs_err::read(&deb.path).unwrap();
    assert_eq!(deb.size, bytes.len() as u64);
    let sha = stdout(Command::new("sha256sum").arg(&deb.path));
    assert_eq!(sha.split_whitespace().next().unwrap(), deb.sha256);
    let mode = fs_err::metadata(&deb.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    // Nothing but the .deb is left in the output directory.
    let names: Vec<_> =
        fs_err::read_dir(dir.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["hello-ros_1.2.3-1_all.deb"]);
}

#[test]
fn dpkg_deb_info_shows_the_control_members_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    let info = stdout(Command::new("dpkg-deb").arg("--info").arg(&deb.path));
    for want in [
        " Package: hello-ros\n",
        " Version: 1:1.2.3-1\n",
        " Architecture: all\n",
        " Maintainer: Jane Doe <jane@example.org>\n",
        &format!(" Installed-Size: {}\n", deb.installed_size_kib),
        " Description: greets the ROS world\n",
    ] {
        assert!(info.contains(want), "missing {want:?} in:\n{info}");
    }
    for member in ["control", "md5sums", "conffiles", "postinst"] {
        assert!(
            info.lines().any(|l| l.split_whitespace().any(|w| w == member)),
            "no {member} in:\n{info}"
        );
    }
    let field = |name| stdout(Command::new("dpkg-deb").args(["--field"]).arg(&deb.path).arg(name));
    assert_eq!(field("Installed-Size").trim(), deb.installed_size_kib.to_string());
    // Installed-Size goes right after Maintainer, as dpkg-gencontrol orders it.
    let control = stdout(Command::new("dpkg-deb").args(["--field"]).arg(&deb.path));
    assert!(
        control.contains("Maintainer: Jane Doe <jane@example.org>\nInstalled-Size: "),
        "{control}"
    );
    let conffiles =
        stdout(Command::new("dpkg-deb").args(["--info"]).arg(&deb.path).arg("conffiles"));
    assert_eq!(conffiles, "/etc/hello-ros.conf\n");
    let postinst = stdout(Command::new("dpkg-deb").args(["--info"]).arg(&deb.path).arg("postinst"));
    assert_eq!(postinst, POSTINST);
    let md5sums = stdout(Command::new("dpkg-deb").args(["--info"]).arg(&deb.path).arg("md5sums"));
    let expected = stdout(
        Command::new("md5sum").arg("usr/bin/hello-ros").current_dir(dir.path().join("staging")),
    );
    assert!(md5sums.contains(&expected), "{md5sums}");
    assert_eq!(md5sums.lines().count(), 5, "{md5sums}");
}

#[test]
fn dpkg_deb_contents_are_sorted_root_owned_with_staged_modes() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    let contents = stdout(Command::new("dpkg-deb").arg("--contents").arg(&deb.path));
    let rows: Vec<(String, String, String)> = contents
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_owned(), f[1].to_owned(), f[5..].join(" "))
        })
        .collect();
    let expected = [
        ("drwxr-xr-x", "./"),
        ("drwxr-xr-x", "./etc/"),
        ("-rw-rw-r--", "./etc/hello-ros.conf"),
        ("drwxr-xr-x", "./usr/"),
        ("drwxr-xr-x", "./usr/bin/"),
        ("-rwxrwxr-x", "./usr/bin/hello-ros"),
        ("drwxr-xr-x", "./usr/lib/"),
        ("drwxr-xr-x", "./usr/share/"),
        ("drwxr-xr-x", "./usr/share/doc/"),
        ("drwxr-xr-x", "./usr/share/doc/hello-ros/"),
        ("-rw-r--r--", "./usr/share/doc/hello-ros/changelog.Debian.gz"),
        ("-rw-r--r--", "./usr/share/doc/hello-ros/copyright"),
        ("drwxr-xr-x", "./usr/share/hello-ros/"),
        ("drwxr-xr-x", "./usr/share/hello-ros/nested/"),
        ("drwxr-xr-x", "./usr/share/hello-ros/nested/deeper/"),
        ("-rw-------", "./usr/share/hello-ros/nested/deeper/data.txt"),
        // dpkg-deb writes symlinks last, so a link never precedes its target.
        ("lrwxrwxrwx", "./usr/bin/hello-ros-link -> hello-ros"),
        ("lrwxrwxrwx", "./usr/lib/hello-nested -> ../share/hello-ros/nested"),
    ];
    let got: Vec<(&str, &str)> = rows.iter().map(|(m, _, p)| (m.as_str(), p.as_str())).collect();
    assert_eq!(got, expected, "{contents}");
    for (_, owner, _) in &rows {
        assert_eq!(owner, "root/root", "{contents}");
    }
    for line in contents.lines() {
        assert!(line.contains("2023-11-14 22:13"), "mtime not clamped: {line}");
    }
}

#[test]
fn dpkg_deb_extract_gives_back_the_staging_tree() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    let extracted = dir.path().join("extracted");
    run(Command::new("dpkg-deb").arg("--extract").arg(&deb.path).arg(&extracted));
    let listing = |root: &Path| {
        stdout(Command::new("find").arg(".").args(["-printf", "%y %P %l\n"]).current_dir(root))
    };
    let sorted = |s: String| {
        let mut v: Vec<String> = s.lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    let staging = dir.path().join("staging");
    assert_eq!(sorted(listing(&extracted)), sorted(listing(&staging)));
    run(Command::new("diff").arg("-r").arg("--no-dereference").arg(&staging).arg(&extracted));
    let mode = |p: &str| fs_err::metadata(extracted.join(p)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode("usr/bin/hello-ros"), 0o775);
    assert_eq!(mode("usr/share/hello-ros/nested/deeper/data.txt"), 0o600);
}

#[test]
fn rebuilds_are_byte_identical_and_follow_source_date_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let staging = staging(dir.path());
    let first = builder(&staging).build(&dir.path().join("a")).unwrap();
    // Touching files (mtime now, after the epoch) changes nothing: mtimes are clamped.
    run(Command::new("touch").arg(staging.join("usr/bin/hello-ros")));
    let second = builder(&staging).build(&dir.path().join("b")).unwrap();
    assert_eq!(fs_err::read(&first.path).unwrap(), fs_err::read(&second.path).unwrap());
    assert_eq!(first.sha256, second.sha256);
    // Building again into the same place replaces the file.
    let again = builder(&staging).build(&dir.path().join("a")).unwrap();
    assert_eq!(again.sha256, first.sha256);

    let other = DebBuilder::new(Control::parse(CONTROL).unwrap(), &staging, Some(EPOCH + 1))
        .conffiles(["/etc/hello-ros.conf"])
        .maintainer_script("postinst", POSTINST)
        .build(&dir.path().join("c"))
        .unwrap();
    assert_ne!(other.sha256, first.sha256);
}

#[test]
fn equals_dpkg_deb_build_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    // dpkg-deb's own input: our package unpacked (DEBIAN/ with md5sums etc.).
    let tree = dir.path().join("tree");
    run(Command::new("dpkg-deb").arg("--raw-extract").arg(&deb.path).arg(&tree));
    let reference = dir.path().join("reference.deb");
    run(Command::new("dpkg-deb")
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(["--root-owner-group", "-Zxz", "-z6", "--build"])
        .arg(&tree)
        .arg(&reference));
    assert!(
        fs_err::read(&reference).unwrap() == fs_err::read(&deb.path).unwrap(),
        "differs from `dpkg-deb --build` output"
    );
}

/// The staging tree itself (copied with `cp -a`, so modes and hard links are the staged ones)
/// plus our control members, built by the real dpkg-deb.
fn dpkg_deb_build_of_the_staging_tree(dir: &Path, staging: &Path, deb: &Path) -> Vec<u8> {
    let tree = dir.join("dpkg-tree");
    run(Command::new("cp").arg("-a").arg(staging).arg(&tree));
    run(Command::new("dpkg-deb").arg("--control").arg(deb).arg(tree.join("DEBIAN")));
    let reference = dir.join("dpkg-deb.deb");
    run(Command::new("dpkg-deb")
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(["--root-owner-group", "-Zxz", "-z6", "--build"])
        .arg(&tree)
        .arg(&reference));
    fs_err::read(&reference).unwrap()
}

#[test]
fn keeps_private_modes_special_bits_and_hard_links_like_dpkg_deb() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("staging");
    write(&root.join("etc/secret.conf"), "token=1\n", 0o600);
    write(&root.join("usr/lib/tool/helper"), "#!/bin/sh\n", 0o750);
    write(&root.join("usr/bin/suid"), "#!/bin/sh\nid\n", 0o4755);
    write(&root.join("usr/bin/sgid"), "#!/bin/sh\nid -g\n", 0o2755);
    write(&root.join("usr/share/data/a.txt"), "shared\n", 0o640);
    // Hard links: in the same directory, across directories, and to the private file.
    fs_err::hard_link(root.join("usr/share/data/a.txt"), root.join("usr/share/data/b.txt"))
        .unwrap();
    fs_err::create_dir_all(root.join("opt/other")).unwrap();
    fs_err::hard_link(root.join("usr/share/data/a.txt"), root.join("opt/other/c.txt")).unwrap();
    fs_err::hard_link(root.join("etc/secret.conf"), root.join("usr/lib/tool/secret")).unwrap();
    let mode = |p: &str, m: u32| {
        fs_err::set_permissions(root.join(p), std::fs::Permissions::from_mode(m)).unwrap();
    };
    fs_err::create_dir_all(root.join("var/tmp-sticky")).unwrap();
    fs_err::create_dir_all(root.join("var/lib/group-dir")).unwrap();
    mode("var/tmp-sticky", 0o1777);
    mode("var/lib/group-dir", 0o2775);
    mode("usr/lib/tool", 0o750);

    let deb = DebBuilder::new(Control::parse(CONTROL).unwrap(), &root, Some(EPOCH))
        .conffiles(["/etc/secret.conf"])
        .build(&dir.path().join("out"))
        .unwrap();
    let reference = dpkg_deb_build_of_the_staging_tree(dir.path(), &root, &deb.path);
    assert!(reference == fs_err::read(&deb.path).unwrap(), "differs from `dpkg-deb --build`");

    let contents = stdout(Command::new("dpkg-deb").arg("--contents").arg(&deb.path));
    for want in [
        "-rw------- root/root         8 2023-11-14 22:13 ./etc/secret.conf",
        "-rwsr-xr-x root/root",
        "-rwxr-sr-x root/root",
        "drwxrwxrwt root/root",
        "drwxrwsr-x root/root",
        "drwxr-x--- root/root",
        "hrw-r----- root/root         0 2023-11-14 22:13 ./usr/share/data/b.txt link to ./opt/other/c.txt",
        "hrw------- root/root         0 2023-11-14 22:13 ./usr/lib/tool/secret link to ./etc/secret.conf",
    ] {
        assert!(contents.contains(want), "no {want:?} in:\n{contents}");
    }
}

#[test]
fn equals_dpkg_deb_build_on_a_real_tree_at_another_level() {
    let dir = tempfile::tempdir().unwrap();
    let staging = dir.path().join("staging");
    fs_err::create_dir_all(staging.join("usr/share/perl5")).unwrap();
    run(Command::new("cp")
        .arg("-a")
        .arg("/usr/share/perl5/Dpkg")
        .arg(staging.join("usr/share/perl5")));
    let deb = DebBuilder::new(Control::parse(CONTROL).unwrap(), &staging, Some(EPOCH))
        .xz_level(1)
        .build(&dir.path().join("out"))
        .unwrap();
    let tree = dir.path().join("tree");
    run(Command::new("dpkg-deb").arg("--raw-extract").arg(&deb.path).arg(&tree));
    let reference = dir.path().join("reference.deb");
    run(Command::new("dpkg-deb")
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(["--root-owner-group", "-Zxz", "-z1", "--build"])
        .arg(&tree)
        .arg(&reference));
    assert!(fs_err::read(&reference).unwrap() == fs_err::read(&deb.path).unwrap());
    let err = DebBuilder::new(Control::parse(CONTROL).unwrap(), &staging, Some(EPOCH))
        .xz_level(10)
        .build(&dir.path().join("out"))
        .unwrap_err();
    assert!(matches!(err, BuildError::CompressionLevel(10)), "{err:?}");
}

#[test]
fn dpkg_installs_it_into_a_scratch_root() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    let root = dir.path().join("root");
    let admin = root.join("var/lib/dpkg");
    for sub in ["updates", "info", "triggers"] {
        fs_err::create_dir_all(admin.join(sub)).unwrap();
    }
    fs_err::write(admin.join("status"), "").unwrap();
    run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .arg(format!("--admindir={}", admin.display()))
        .args([
            "--force-not-root",
            "--force-depends",
            "--force-script-chrootless",
            "--no-triggers",
            "--install",
        ])
        .arg(&deb.path));
    let status =
        stdout(Command::new("dpkg-query").arg(format!("--admindir={}", admin.display())).args([
            "-W",
            "-f",
            "${Status} ${Version}",
            "hello-ros",
        ]));
    assert_eq!(status, "install ok installed 1:1.2.3-1");
    assert_eq!(
        fs_err::read_to_string(root.join("etc/hello-ros.conf")).unwrap(),
        "greeting=hello\n"
    );
    assert_eq!(
        fs_err::read_link(root.join("usr/bin/hello-ros-link")).unwrap(),
        Path::new("hello-ros")
    );
    let conffiles =
        stdout(Command::new("dpkg-query").arg(format!("--admindir={}", admin.display())).args([
            "-W",
            "-f",
            "${Conffiles}",
            "hello-ros",
        ]));
    assert!(conffiles.contains("/etc/hello-ros.conf"), "{conffiles}");
}

#[test]
fn lintian_reports_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    let out = Command::new("lintian").arg("--no-cfg").arg(&deb.path).output();
    let out = match out {
        Ok(out) => out,
        Err(e) => panic!("lintian is needed by this test ({e}); `cargo xtask ci` installs it"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn long_names_and_link_targets_survive() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("staging");
    let long_dir = format!("usr/share/{}", "d".repeat(80));
    let long_file = format!("{long_dir}/{}.txt", "f".repeat(60));
    write(&root.join(&long_file), "long\n", 0o644);
    let target = format!("../share/{}/{}.txt", "d".repeat(80), "f".repeat(60));
    fs_err::create_dir_all(root.join("usr/lib")).unwrap();
    symlink(&target, root.join("usr/lib/long-link")).unwrap();
    let deb = DebBuilder::new(Control::parse(CONTROL).unwrap(), &root, Some(EPOCH))
        .build(dir.path())
        .unwrap();
    let contents = stdout(Command::new("dpkg-deb").arg("--contents").arg(&deb.path));
    assert!(contents.contains(&format!(" ./{long_file}\n")), "{contents}");
    assert!(contents.contains(&format!(" ./usr/lib/long-link -> {target}\n")), "{contents}");
    let extracted = dir.path().join("x");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb.path).arg(&extracted));
    assert_eq!(fs_err::read_to_string(extracted.join("usr/lib/long-link")).unwrap(), "long\n");
}

#[test]
fn refuses_a_symlink_escaping_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = staging(dir.path());
    symlink("../../../etc/passwd", root.join("usr/bin/evil")).unwrap();
    let err = builder(&root).build(&dir.path().join("out")).unwrap_err();
    assert!(
        matches!(&err, BuildError::SymlinkEscapes { path, .. } if path == "usr/bin/evil"),
        "{err:?}"
    );
    assert!(!dir.path().join("out/hello-ros_1.2.3-1_all.deb").exists());
}

#[test]
fn refuses_a_symlink_to_the_host_staging_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = staging(dir.path());
    let host = fs_err::canonicalize(&root).unwrap().join("usr/bin/hello-ros");
    symlink(&host, root.join("usr/bin/host-link")).unwrap();
    let err = builder(&root).build(&dir.path().join("out")).unwrap_err();
    assert!(matches!(&err, BuildError::SymlinkEscapes { .. }), "{err:?}");
}

#[test]
fn refuses_dot_dot_paths() {
    let dir = tempfile::tempdir().unwrap();
    let root = staging(dir.path());
    for bad in ["/etc/../../etc/hello-ros.conf", "../etc/hello-ros.conf", "/etc/./hello-ros.conf"] {
        let err = builder(&root).conffiles([bad]).build(&dir.path().join("out")).unwrap_err();
        assert!(matches!(&err, BuildError::Conffile { path, .. } if path == bad), "{bad}: {err:?}");
    }
    let err =
        builder(&root).conffiles(["/etc/missing.conf"]).build(&dir.path().join("out")).unwrap_err();
    assert!(matches!(&err, BuildError::Conffile { .. }), "{err:?}");
    let err = builder(&root)
        .maintainer_script("../postinst", POSTINST)
        .build(&dir.path().join("out"))
        .unwrap_err();
    assert!(matches!(&err, BuildError::MaintainerScript { .. }), "{err:?}");
    assert!(!dir.path().join("out").join("hello-ros_1.2.3-1_all.deb").exists());
}

#[test]
fn refuses_an_output_directory_inside_the_staging_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = staging(dir.path());
    let err = builder(&root).build(&root.join("usr/out")).unwrap_err();
    assert!(matches!(&err, BuildError::BadPath { .. }), "{err:?}");
    assert!(fs_err::read_dir(root.join("usr/out")).unwrap().next().is_none());
}

#[test]
fn refuses_a_missing_control_field() {
    let dir = tempfile::tempdir().unwrap();
    let root = staging(dir.path());
    let text = CONTROL.replace("Maintainer: Jane Doe <jane@example.org>\n", "");
    let err = DebBuilder::new(Control::parse(&text).unwrap(), &root, Some(EPOCH))
        .build(&dir.path().join("out"))
        .unwrap_err();
    assert!(
        matches!(err, BuildError::Control(ControlError::MissingField("Maintainer"))),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "control file: mandatory field `Maintainer` is missing");
}

#[test]
fn refuses_non_utf8_names_and_special_files() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("staging");
    write(&root.join("usr/share/x"), "x", 0o644);
    fs_err::write(root.join(std::ffi::OsStr::from_bytes(b"usr/bad-\xff")), "x").unwrap();
    let err = DebBuilder::new(Control::parse(CONTROL).unwrap(), &root, Some(EPOCH))
        .build(&dir.path().join("out"))
        .unwrap_err();
    assert!(matches!(&err, BuildError::BadPath { .. }), "{err:?}");

    let root = dir.path().join("staging2");
    fs_err::create_dir_all(&root).unwrap();
    run(Command::new("mkfifo").arg(root.join("fifo")));
    let err = DebBuilder::new(Control::parse(CONTROL).unwrap(), &root, Some(EPOCH))
        .build(&dir.path().join("out"))
        .unwrap_err();
    assert!(matches!(&err, BuildError::BadPath { path, .. } if path == "fifo"), "{err:?}");
}
