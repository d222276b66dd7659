//! Unit tests for `deb`: control parsing and checks, symlink containment, tar names and headers,
//! Installed-Size.

use std::os::unix::fs::{PermissionsExt as _, symlink};

use super::archive::TarWriter;
use super::control::{Control, ControlError, version_without_epoch};
use super::tree::{Entry, Kind, Tree, symlink_leaves_root};

const MINIMAL: &str = "Package: foo\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: M <m@example.org>\nDescription: foo\n";

#[test]
fn control_round_trips_with_continuation_lines_and_comments() {
    let text = "# a comment\nPackage: foo\nVersion: 1.0\nDescription: short\n long line one\n .\n line two\n\n";
    let control = Control::parse(text).unwrap();
    assert_eq!(control.get("package"), Some("foo"));
    assert_eq!(control.get("Description"), Some("short\n long line one\n .\n line two"));
    assert_eq!(
        control.render(),
        "Package: foo\nVersion: 1.0\nDescription: short\n long line one\n .\n line two\n"
    );
}

#[test]
fn control_with_an_empty_first_line_renders_without_trailing_space() {
    let control = Control::parse("Conffiles:\n /etc/a 123\n").unwrap();
    assert_eq!(control.render(), "Conffiles:\n /etc/a 123\n");
}

#[test]
fn control_syntax_errors() {
    assert_eq!(
        Control::parse("Package foo\n"),
        Err(ControlError::Syntax { line: 1, text: "Package foo".into() })
    );
    assert_eq!(
        Control::parse(" leading continuation\n"),
        Err(ControlError::Syntax { line: 1, text: " leading continuation".into() })
    );
    assert_eq!(
        Control::parse("Package: a\n\nPackage: b\n"),
        Err(ControlError::SecondParagraph { line: 3 })
    );
    assert_eq!(
        Control::parse("Package: a\npackage: b\n"),
        Err(ControlError::DuplicateField("package".into()))
    );
}

#[test]
fn set_after_inserts_or_replaces() {
    let mut control = Control::parse(MINIMAL).unwrap();
    control.set_after("Installed-Size", "12", Some("Maintainer"));
    control.set_after("Installed-Size", "13", Some("Maintainer"));
    control.set("Section", "misc");
    assert_eq!(
        control.render(),
        "Package: foo\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: M <m@example.org>\n\
         Installed-Size: 13\nDescription: foo\nSection: misc\n"
    );
}

#[test]
fn identity_requires_the_mandatory_fields() {
    for field in ["Package", "Version", "Architecture", "Maintainer", "Description"] {
        let text: String =
            MINIMAL.lines().filter(|l| !l.starts_with(field)).map(|l| format!("{l}\n")).collect();
        let control = Control::parse(&text).unwrap();
        assert_eq!(control.identity().unwrap_err(), ControlError::MissingField(field));
    }
    let identity = Control::parse(MINIMAL).unwrap().identity().unwrap();
    assert_eq!(
        (identity.package.as_str(), identity.version.as_str(), identity.architecture.as_str()),
        ("foo", "1.0-1", "amd64")
    );
}

#[test]
fn identity_refuses_bad_values() {
    let check = |field: &str, value: &str| {
        let text = MINIMAL
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{field}:")) {
                    format!("{field}: {value}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect::<String>();
        Control::parse(&text).unwrap().identity()
    };
    for (field, value) in [
        ("Package", "Foo"),
        ("Package", "f"),
        ("Package", "foo_bar"),
        ("Package", "../x"),
        ("Version", "v1.0"),
        ("Version", "x:1.0"),
        ("Version", "1.0/2"),
        ("Version", "1.0-"),
        ("Architecture", "amd64 i386"),
        ("Architecture", "../x"),
    ] {
        assert!(
            matches!(check(field, value), Err(ControlError::InvalidValue { .. })),
            "{field}: {value} accepted"
        );
    }
    for (field, value) in [
        ("Version", "1:2.0~rc1+git.3-0ubuntu1"),
        ("Package", "ros-noetic-foo"),
        ("Architecture", "all"),
    ] {
        assert!(check(field, value).is_ok(), "{field}: {value} refused");
    }
}

#[test]
fn file_names_drop_the_epoch() {
    assert_eq!(version_without_epoch("1:2.0-1"), "2.0-1");
    assert_eq!(version_without_epoch("2.0-1"), "2.0-1");
}

#[test]
fn symlink_containment() {
    let cases = [
        ("usr/bin/a", "b", false),
        ("usr/bin/a", "../lib/b", false),
        ("usr/bin/a", "../../etc/b", false),
        ("usr/bin/a", "../../../etc/passwd", true),
        ("a", "..", true),
        ("a", "./b/../..", true),
        ("usr/bin/a", "/usr/lib/b", false),
        ("usr/bin/a", "/../etc", true),
        ("usr/bin/a", "/etc/alternatives/a", false),
    ];
    for (link, target, escapes) in cases {
        assert_eq!(symlink_leaves_root(link, target), escapes, "{link} -> {target}");
    }
}

#[test]
fn tar_names_follow_dpkg_deb() {
    let entry = |rel: &str, kind| Entry { rel: rel.into(), kind, mode: 0o755, mtime: 0 };
    assert_eq!(entry("", Kind::Dir).tar_name(), "./");
    assert_eq!(entry("usr", Kind::Dir).tar_name(), "./usr/");
    assert_eq!(entry("usr/a", Kind::File { size: 0 }).tar_name(), "./usr/a");
    assert_eq!(entry("usr/l", Kind::Symlink { target: "a".into() }).tar_name(), "./usr/l");
}

#[test]
fn tar_headers_are_gnu_with_root_owner_and_padded_records() {
    let mut tar = TarWriter::new(Vec::new(), 1_700_000_000);
    tar.dir("./", 0o755).unwrap();
    tar.file_bytes("./a", 0o644, b"hello").unwrap();
    let bytes = tar.finish().unwrap();
    assert_eq!(bytes.len(), 10240);
    assert_eq!(&bytes[..3], b"./\0");
    assert_eq!(&bytes[257..265], b"ustar  \0");
    assert_eq!(&bytes[265..270], b"root\0");
    assert_eq!(&bytes[297..302], b"root\0");
    // GNU tar's checksum layout: six octal digits, NUL, space.
    assert_eq!(bytes[154], 0);
    assert_eq!(bytes[155], b' ');
    let header = tar::Header::from_byte_slice(&bytes[512..1024]);
    assert_eq!(header.path_bytes().as_ref(), b"./a");
    assert_eq!(header.mode().unwrap(), 0o644);
    assert_eq!(header.size().unwrap(), 5);
    assert_eq!(
        header.cksum().unwrap(),
        bytes[512..1024]
            .iter()
            .enumerate()
            .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) })
            .sum::<u32>()
    );
    assert_eq!(&bytes[1024..1029], b"hello");
}

#[test]
fn tar_reader_refuses_a_short_file() {
    let mut tar = TarWriter::new(Vec::new(), 0);
    let err = tar.file_reader("./a", 0o644, 10, &b"short"[..]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    let mut tar = TarWriter::new(Vec::new(), 0);
    assert_eq!(
        tar.file_reader("./a", 0o644, 3, &b"abc"[..]).unwrap(),
        "900150983cd24fb0d6963f7d28e17f72"
    );
}

#[test]
fn installed_size_counts_like_dpkg_gencontrol() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs_err::create_dir_all(root.join("usr/bin")).unwrap();
    fs_err::write(root.join("usr/bin/a"), vec![0u8; 1025]).unwrap(); // 2 KiB
    fs_err::write(root.join("usr/bin/b"), b"").unwrap(); // 0 KiB
    fs_err::hard_link(root.join("usr/bin/a"), root.join("usr/bin/c")).unwrap(); // counted once
    symlink("a", root.join("usr/bin/l")).unwrap(); // 1 byte: 1 KiB
    fs_err::set_permissions(root.join("usr/bin/a"), std::fs::Permissions::from_mode(0o700))
        .unwrap();
    let tree = Tree::walk(root).unwrap();
    // Directories ., usr, usr/bin: 3 KiB.
    assert_eq!(tree.installed_size_kib, 3 + 2 + 1);
    let names: Vec<String> = tree.entries.iter().map(Entry::tar_name).collect();
    assert_eq!(
        names,
        ["./", "./usr/", "./usr/bin/", "./usr/bin/a", "./usr/bin/b", "./usr/bin/c", "./usr/bin/l"]
    );
    assert_eq!(tree.entries[3].kind, Kind::File { size: 1025 });
    assert_eq!(tree.entries[3].mode, 0o700);
    assert_eq!(tree.entries[5].kind, Kind::HardLink { target: "usr/bin/a".into() });
}

#[test]
fn try_set_and_parse_refuse_values_that_break_their_field() {
    let mut control = Control::parse(MINIMAL).unwrap();
    for value in ["M\nPre-Depends: evil", "M\n\nPackage: coreutils", "M\rX", "M\u{2028}X", "M\n"] {
        assert!(control.try_set("Maintainer", value).is_err(), "{value:?}");
    }
    assert_eq!(control.get("Maintainer"), Some("M <m@example.org>"), "left unchanged");
    control.try_set("Description", "foo\n more text\n .\n end").unwrap();
    let text = control.render();
    assert_eq!(Control::parse(&text).unwrap(), control, "what set accepts renders back as is");
    assert!(matches!(
        Control::parse("Package: a\u{1b}b\nVersion: 1\n"),
        Err(ControlError::Syntax { line: 1, .. })
    ));
}
