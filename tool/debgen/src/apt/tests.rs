//! Unit tests of the apt repository writer: version order, names, pool paths, Release text.

use std::cmp::Ordering;

use super::*;

fn check_order(a: &str, b: &str, expected: Ordering) {
    assert_eq!(compare_versions(a, b), expected, "{a} vs {b}");
    assert_eq!(compare_versions(b, a), expected.reverse(), "{b} vs {a}");
}

#[test]
fn versions_follow_dpkg() {
    check_order("1.0", "1.0", Ordering::Equal);
    check_order("1.0", "1.00", Ordering::Equal);
    check_order("1.0~rc1", "1.0", Ordering::Less);
    check_order("1.0", "1.0-1", Ordering::Less);
    check_order("1.0-1", "1.0-2", Ordering::Less);
    check_order("1.10", "1.9", Ordering::Greater);
    check_order("1:0.1", "2.0", Ordering::Greater);
    check_order("1.0a", "1.0+", Ordering::Less);
    check_order("1.0~~", "1.0~", Ordering::Less);
    check_order("1.2.3-1focal", "1.2.3-1", Ordering::Greater);
    check_order("0.9-1", "0.10-1", Ordering::Less);
}

#[test]
fn keys_sort_by_name_then_debian_version() {
    let k =
        |p: &str, v: &str| Key { package: p.into(), version: v.into(), architecture: "all".into() };
    let mut keys = [k("b", "1.0"), k("a", "1.10"), k("a", "1.9"), k("a", "1.9~rc")];
    keys.sort();
    let names: Vec<String> = keys.iter().map(|k| format!("{}={}", k.package, k.version)).collect();
    assert_eq!(names, ["a=1.9~rc", "a=1.9", "a=1.10", "b=1.0"]);
}

#[test]
fn names_are_checked() {
    assert!(check_name("codename", "jammy").is_ok());
    assert!(check_name("codename", "focal-updates").is_ok());
    for bad in ["", "Jammy", "../x", "a/b", ".hidden", "-x"] {
        assert!(check_name("codename", bad).is_err(), "{bad}");
    }
    assert!(check_name("architecture", "all").is_err());
    assert!(check_name("architecture", "arm64").is_ok());
}

#[test]
fn release_lists_every_index_with_hashes() {
    let options = PublishOptions {
        architectures: Vec::new(),
        date: 1_700_000_000,
        origin: "o".into(),
        label: "l".into(),
        signer: None,
        lock_timeout: DEFAULT_LOCK_TIMEOUT,
    };
    let suite = Suite { architectures: ["amd64".to_owned()].into(), entries: BTreeMap::new() };
    let files = render_dists("jammy", &suite, &options).unwrap();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "Release",
            "main/binary-amd64/Packages",
            "main/binary-amd64/Packages.gz",
            "main/binary-amd64/Packages.xz"
        ]
    );
    let release = String::from_utf8(files["Release"].clone()).unwrap();
    assert!(release.starts_with(
        "Origin: o\nLabel: l\nSuite: jammy\nCodename: jammy\n\
         Date: Tue, 14 Nov 2023 22:13:20 UTC\nArchitectures: amd64\nComponents: main\n\
         Acquire-By-Hash: yes\nMD5Sum:\n"
    ));
    assert!(release.contains(
        " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855                0 \
         main/binary-amd64/Packages\n"
    ));
    assert!(!release.contains("Release\n"), "Release does not list itself");
    assert_eq!(render_dists("jammy", &suite, &options).unwrap(), files, "deterministic");
}

#[test]
fn stanzas_split_on_blank_lines() {
    let text = "Package: a\nVersion: 1\nArchitecture: all\nFilename: pool/a.deb\nSize: 3\n\
                SHA256: x\nDescription: d\n long\n\nPackage: b\nVersion: 2\nArchitecture: amd64\n\
                Filename: pool/b.deb\nSize: 4\nSHA256: y\n";
    let stanzas = parse_stanzas(Path::new("P"), text).unwrap();
    assert_eq!(stanzas.len(), 2);
    let entry = entry_from_stanza(Path::new("P"), stanzas[0].clone()).unwrap();
    assert_eq!((entry.package.as_str(), entry.size), ("a", 3));
    assert_eq!(entry.stanza.get("Description"), Some("d\n long"));
    let broken = Control::parse("Package: a\nVersion: 1\n").unwrap();
    assert!(matches!(
        entry_from_stanza(Path::new("P"), broken),
        Err(AptError::BadRepository { .. })
    ));
}

#[test]
fn opening_a_missing_repository_gives_no_suites() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Repository::open(&dir.path().join("none")).unwrap(), Repository::default());
}

#[test]
fn a_file_that_is_not_a_deb_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.deb");
    fs_err::write(&path, "not an archive").unwrap();
    let err = read_deb(&path).err().unwrap();
    assert!(matches!(err, AptError::NotADeb { .. }), "{err}");
}

#[test]
fn by_hash_paths_come_from_the_sha256_section_only() {
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let text = format!(
        "Codename: x\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 main/binary-amd64/Packages\n\
         SHA256:\n {sha} 0 main/binary-amd64/Packages\n {sha} 0 ../escape\n nothex 0 a/b\n"
    );
    let found = release_sha256(&text);
    assert_eq!(found, [(sha.to_owned(), "main/binary-amd64/Packages".to_owned())]);
    assert_eq!(
        by_hash_path("main/binary-amd64/Packages.gz", sha),
        format!("main/binary-amd64/by-hash/SHA256/{sha}")
    );
}

#[test]
fn source_fields_are_a_name_or_a_name_and_version() {
    assert_eq!(fields::source("ros-noetic-foo").unwrap(), "ros-noetic-foo");
    assert_eq!(fields::source("foo (1:2.0-1)").unwrap(), "foo");
    for bad in [
        "../../../../../outside/ESCAPED",
        "/tmp/x",
        "foo/bar",
        "Foo",
        "f",
        "foo (1.0/../x)",
        "foo (x1.0)",
        "foo 1.0",
        "foo (1.0",
        "foo  (1.0)",
        ".hidden",
    ] {
        let err = fields::source(bad).unwrap_err();
        assert_eq!((err.field.as_str(), err.value.as_str()), ("Source", bad));
    }
}

#[test]
fn copied_values_hold_no_control_characters() {
    assert!(fields::copied_value("Description", "short\n long line\n .\n more").is_ok());
    assert!(fields::copied_value("X-Tabbed", "a\tb").is_ok());
    for bad in ["a\x1b[31mred", "a\rX-Injected: 1", "nul\0", "del\x7f", "c1\u{85}", "a\n \n b"] {
        assert!(fields::copied_value("X", bad).is_err(), "{bad:?}");
    }
    assert!(fields::version("Version", "1:2.0~rc1-1").is_ok());
    assert!(fields::version("Version", "2.0/../x").is_err());
    assert!(fields::architecture("amd64").is_ok());
    assert!(fields::architecture("../amd64").is_err());
    assert!(fields::package_name("Package", "a/b").is_err());
}

#[test]
fn release_origin_and_label_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = crate::apt::PublishOptions {
        architectures: vec!["amd64".to_owned()],
        date: 1_700_000_000,
        origin: "rosdeb\nSuite: evil".to_owned(),
        label: "rosdeb".to_owned(),
        signer: None,
        lock_timeout: crate::apt::DEFAULT_LOCK_TIMEOUT,
    };
    let err = crate::apt::publish(dir.path(), "jammy", &[], &options).unwrap_err();
    assert!(err.to_string().contains("Origin"), "{err}");
    options.origin = "rosdeb".to_owned();
    options.label = "a\u{1b}[31m".to_owned();
    let err = crate::apt::publish(dir.path(), "jammy", &[], &options).unwrap_err();
    assert!(err.to_string().contains("Label"), "{err}");
    assert!(!dir.path().join("dists").exists(), "nothing is written");
}
