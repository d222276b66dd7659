//! Unit tests for OS detection: file parsing, the override, each detector rule on small roots.

use std::path::Path;

use super::*;

/// A temporary root holding `files` (relative path, content).
fn root_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(&path, text).unwrap();
    }
    dir
}

fn info(name: &str, version: &str, codename: &str) -> OsInfo {
    OsInfo::new(name, version, codename)
}

fn detect_in(files: &[(&str, &str)]) -> Result<OsInfo, OsDetectError> {
    let root = root_with(files);
    detect_files(root.path())
}

#[test]
fn os_release_parsing_handles_quotes_escapes_and_comments() {
    let text = "# a comment\n\nNAME=\"Foo Linux\"\nID=foo\nPRETTY='Foo \"1\"'\n\
                ESC=\"a \\\"b\\\" \\\\ c\"\n# VERSION=\"20230816\"\nTRAIL=bar # note\n\
                EMPTY=\"\"\nnot an assignment\n  SPACED = x \n";
    let m = parse_os_release(text);
    assert_eq!(m["NAME"], "Foo Linux");
    assert_eq!(m["ID"], "foo");
    assert_eq!(m["PRETTY"], "Foo \"1\"");
    assert_eq!(m["ESC"], "a \"b\" \\ c");
    assert_eq!(m["TRAIL"], "bar");
    assert_eq!(m["EMPTY"], "");
    assert_eq!(m["SPACED"], "x");
    assert!(!m.contains_key("VERSION"), "a commented-out key is not a key");
    assert_eq!(m.len(), 7);
}

#[test]
fn override_parsing_matches_rospkg() {
    assert_eq!(parse_override("fubuntu:04.10").unwrap(), info("fubuntu", "04.10", ""));
    assert_eq!(parse_override("arch").unwrap(), info("arch", "", ""));
    assert_eq!(parse_override("a:b:c:d").unwrap(), info("a", "b", "c"));
    assert_eq!(parse_override("debian::").unwrap(), info("debian", "", ""));
    assert!(matches!(parse_override(""), Err(OsDetectError::EmptyOverride(_))));
    assert!(matches!(parse_override(":1:x"), Err(OsDetectError::EmptyOverride(_))));
}

#[test]
fn override_wins_over_files() {
    let root = root_with(&[("etc/os-release", "ID=fedora\nVERSION_ID=40\n")]);
    let env = Environment::from_pairs([(ROS_OS_OVERRIDE, "ubuntu:24.04:noble")]);
    assert_eq!(detect(root.path(), &env).unwrap(), info("ubuntu", "24.04", "noble"));
    // Even a root with nothing in it, or no root at all.
    assert_eq!(detect(Path::new("/nonexistent/root"), &env).unwrap().name, "ubuntu");
    let plain = detect(root.path(), &Environment::default()).unwrap();
    assert_eq!(plain, info("fedora", "40", "40"));
}

#[test]
fn empty_and_missing_roots_are_errors() {
    let root = root_with(&[]);
    match detect_files(root.path()) {
        Err(OsDetectError::NotDetected { tried, .. }) => {
            assert_eq!(tried.first(), Some(&"zorin"));
            assert_eq!(tried.last(), Some(&"almalinux"));
            assert_eq!(tried.iter().filter(|n| **n == "opensuse").count(), 1);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(detect_files(Path::new("/nonexistent/root")), Err(OsDetectError::BadRoot(_))));
}

#[test]
fn fdo_codename_follows_rospkg() {
    let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    assert_eq!(fdo_codename(&m(&[("VERSION", "9.6 (Plow)"), ("VERSION_ID", "9.6")])), "plow");
    assert_eq!(fdo_codename(&m(&[("VERSION", "15.2"), ("VERSION_ID", "15.2")])), "15.2");
    assert_eq!(fdo_codename(&m(&[("VERSION_ID", "3.23.2")])), "3.23.2");
    // No '"' in the value: the whole VERSION, lower-cased.
    assert_eq!(fdo_codename(&m(&[("VERSION", "14.04, Trusty Tahr")])), "14.04, trusty tahr");
    assert_eq!(fdo_codename(&m(&[("VERSION", "1 \"x\", Big Cat")])), "big");
    // Python slicing: a missing ')' cuts the last character; ')' before '(' gives "".
    assert_eq!(fdo_codename(&m(&[("VERSION", "1 (abc")])), "ab");
    assert_eq!(fdo_codename(&m(&[("VERSION", "1) (abc")])), "");
}

#[test]
fn version_text_codename_is_distros_match_reduced_to_a_word() {
    assert_eq!(version_text_codename("14.04.3 LTS, Trusty Tahr").as_deref(), Some("trusty"));
    assert_eq!(version_text_codename("16.04.1 LTS (Xenial Xerus)").as_deref(), Some("xenial"));
    assert_eq!(version_text_codename("40 (Workstation Edition)").as_deref(), Some("workstation"));
    assert_eq!(version_text_codename("7 (Core 7)").as_deref(), None);
    assert_eq!(version_text_codename("15.2"), None);
}

#[test]
fn tables() {
    assert_eq!(debian_codename("12"), Some("bookworm"));
    assert_eq!(debian_codename("12.5"), Some("bookworm"));
    assert_eq!(debian_codename("14"), Some("forky"));
    assert_eq!(debian_codename("unstable"), Some("sid"));
    assert_eq!(debian_codename(""), None);
    assert_eq!(osx_codename("10.6.5"), Some("snow"));
    assert_eq!(osx_codename("10.7"), Some("lion"));
    assert_eq!(osx_codename("11.2.3"), Some("big sur"));
    assert_eq!(osx_codename("26.0"), Some("tahoe"));
    assert_eq!(osx_codename("10"), None);
    assert_eq!(osx_codename("9.1"), None);
    assert_eq!(osx_codename("x"), None);
}

#[test]
fn lsb_detectors_use_os_release_then_lsb_release() {
    let ubuntu = "ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.3 LTS (Noble Numbat)\"\n\
                  VERSION_CODENAME=noble\n";
    assert_eq!(detect_in(&[("etc/os-release", ubuntu)]).unwrap(), info("ubuntu", "24.04", "noble"));
    // No os-release: lsb-release stands in for the lsb_release command.
    let lsb = "DISTRIB_ID=LinuxMint\nDISTRIB_RELEASE=17.3\nDISTRIB_CODENAME=rosa\n";
    assert_eq!(detect_in(&[("etc/lsb-release", lsb)]).unwrap(), info("mint", "17.3", "rosa"));
    // UBUNTU_CODENAME when VERSION_CODENAME is absent.
    let old = "ID=ubuntu\nVERSION_ID=\"16.04\"\nVERSION=\"16.04.1 LTS (Xenial Xerus)\"\n\
               UBUNTU_CODENAME=xenial\n";
    assert_eq!(detect_in(&[("etc/os-release", old)]).unwrap(), info("ubuntu", "16.04", "xenial"));
    // "elementary OS" never matches (distro ids have no blanks), "elementary" does.
    let elementary = "ID=elementary\nVERSION_ID=7\nVERSION_CODENAME=horus\n";
    assert_eq!(
        detect_in(&[("etc/os-release", elementary)]).unwrap(),
        info("elementary", "7", "horus")
    );
}

#[test]
fn debian_codename_from_table_then_version_codename() {
    let stable = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
    assert_eq!(detect_in(&[("etc/os-release", stable)]).unwrap(), info("debian", "12", "bookworm"));
    let testing =
        "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\nVERSION_CODENAME=trixie\n";
    assert_eq!(detect_in(&[("etc/os-release", testing)]).unwrap(), info("debian", "", "trixie"));
    let forky = "ID=debian\nVERSION_ID=\"14\"\nVERSION_CODENAME=forky\n";
    assert_eq!(detect_in(&[("etc/os-release", forky)]).unwrap(), info("debian", "14", "forky"));
}

#[test]
fn fdo_needs_exact_id_and_version_id() {
    assert!(detect_in(&[("etc/os-release", "ID=rhel\n")]).is_err());
    assert!(detect_in(&[("etc/os-release", "ID=RHEL\nVERSION_ID=9\n")]).is_err());
    let rhel = "ID=\"rhel\"\nVERSION_ID=\"9.6\"\nVERSION=\"9.6 (Plow)\"\n";
    assert_eq!(detect_in(&[("etc/os-release", rhel)]).unwrap(), info("rhel", "9.6", "plow"));
    // usr/lib/os-release when etc/os-release is missing.
    let alpine = "ID=alpine\nVERSION_ID=3.23.2\n";
    assert_eq!(
        detect_in(&[("usr/lib/os-release", alpine)]).unwrap(),
        info("alpine", "3.23.2", "3.23.2")
    );
}

#[test]
fn special_files() {
    assert_eq!(detect_in(&[("etc/arch-release", "")]).unwrap(), info("arch", "", ""));
    assert_eq!(detect_in(&[("etc/os-release", "ID=arch\n")]).unwrap(), info("arch", "", ""));
    assert_eq!(
        detect_in(&[("etc/manjaro-release", ""), ("etc/arch-release", "")]).unwrap(),
        info("manjaro", "", "")
    );
    assert_eq!(
        detect_in(&[("etc/gentoo-release", "Gentoo Base System release 2.0.1\n")]).unwrap(),
        info("gentoo", "2.0.1", "")
    );
    assert_eq!(
        detect_in(&[("etc/gentoo-release", "Funtoo Linux - baselayout 2.2.0\n")]).unwrap(),
        info("funtoo", "2.2.0", "")
    );
    assert_eq!(
        detect_in(&[("etc/gentoo-release", "Gentoo Base\n")]).unwrap(),
        info("gentoo", "", "")
    );
    assert_eq!(
        detect_in(&[("etc/slackware-version", "Slackware 14.2\n")]).unwrap(),
        info("slackware", "14.2", "")
    );
    assert_eq!(
        detect_in(&[
            ("etc/SuSE-brand", "openSUSE\nVERSION = 11.2\n"),
            ("etc/SuSE-release", "openSUSE 11.2 (x86_64)\nVERSION = 11.2\nCODENAME = Emerald\n"),
        ])
        .unwrap(),
        info("opensuse", "11.2", "Emerald")
    );
    assert_eq!(
        detect_in(&[("etc/SUSE-brand", "openSUSE\nVERSION = 13.1\n")]).unwrap(),
        info("opensuse", "13.1", "")
    );
    assert_eq!(
        detect_in(&[("usr/bin/cygwin1.dll", "")]).unwrap(),
        info("cygwin", "", ""),
        "no command is run under a root other than /"
    );
}

#[test]
fn order_decides_between_matching_detectors() {
    // Ubuntu (Lsb) comes before Debian; Fdo rocky before the arch marker.
    let files = [("etc/os-release", "ID=rocky\nVERSION_ID=9.2\n"), ("etc/arch-release", "")];
    assert_eq!(detect_in(&files).unwrap().name, "rocky");
}

#[cfg(unix)]
#[test]
fn absolute_symlink_resolves_inside_the_root() {
    let root = root_with(&[(
        "usr/lib/os-release",
        "ID=fedora\nVERSION_ID=42\nVERSION=\"42 (Forty Two)\"\n",
    )]);
    fs_err::create_dir_all(root.path().join("etc")).unwrap();
    std::os::unix::fs::symlink("/usr/lib/os-release", root.path().join("etc/os-release")).unwrap();
    assert_eq!(detect_files(root.path()).unwrap(), info("fedora", "42", "forty two"));
}
