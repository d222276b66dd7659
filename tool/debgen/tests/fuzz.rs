//! Property-based fuzzing of what debgen reads from strangers: deb822 control paragraphs and
//! `.deb` archives (ar, tar, compression) handed to `apt publish`.
//!
//! The contract: no panic, no abort, and a refused input is an error that says where (the line of
//! a control paragraph; the file of a .deb). A refused .deb leaves the repository untouched.
//! `cargo xtask fuzz --minutes N` runs these with fresh seeds for longer.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use debgen::apt::{PublishOptions, publish};
use debgen::deb::{Control, ControlError, DebBuilder};
use proptest::prelude::*;
use proptest::sample::select;

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z-]{1,12}",
        "[ -~]{0,30}",
        any::<String>().prop_map(|s| s.chars().take(30).collect()),
        select(vec![
            "\n",
            "\n ",
            "\n .",
            "\n\n",
            "\r",
            "\t",
            "\u{0}",
            ":",
            ": ",
            "#",
            "Package: ",
            "Version: ",
            "Architecture: ",
            "Pre-Depends: evil",
            "../",
            "\u{feff}",
        ])
        .prop_map(str::to_owned),
    ]
}

fn control_text() -> impl Strategy<Value = String> {
    let base = "Package: demo\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Jane Doe <j@e.org>\n\
                Description: a demo\n second line\n .\n third\n";
    let len = base.len();
    prop_oneof![
        prop::collection::vec(fragment(), 0..10).prop_map(|p| p.concat()),
        prop::collection::vec((0..=len, any::<bool>(), fragment()), 0..4).prop_map(move |edits| {
            let mut text = base.to_owned();
            for (at, cut, fragment) in edits {
                let mut at = at.min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                if cut {
                    text.truncate(at);
                } else {
                    text.insert_str(at, &fragment);
                }
            }
            text
        }),
    ]
}

proptest! {
    #[test]
    fn control_paragraph(text in control_text()) {
        match Control::parse(&text) {
            Ok(control) => {
                // What parses renders and parses back to the same fields.
                let rendered = control.render();
                let again = Control::parse(&rendered);
                prop_assert!(again.is_ok(), "rendered paragraph does not parse: {rendered:?}");
            }
            Err(ControlError::Syntax { line, .. } | ControlError::SecondParagraph { line }) => {
                let lines = text.lines().count();
                prop_assert!(line >= 1 && line <= lines, "line {line} outside 1..={lines}");
            }
            Err(_) => {}
        }
    }
}

/// Two small valid .debs (`demo`, the base of the mutations, and `other`), built once per test
/// process.
fn valid_debs() -> &'static (Vec<u8>, Vec<u8>) {
    static DEBS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    DEBS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let build = |name: &str| {
            let staging = dir.path().join(name);
            let doc = staging.join("usr/share/doc").join(name);
            fs_err::create_dir_all(&doc).unwrap();
            fs_err::write(doc.join("README"), "fuzz\n".repeat(50)).unwrap();
            let control = Control::parse(&format!(
                "Package: {name}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Jane <j@e.org>\n\
                 Description: fuzz input\n for the .deb reader.\n"
            ))
            .unwrap();
            let built =
                DebBuilder::new(control, &staging, Some(1_700_000_000)).build(dir.path()).unwrap();
            fs_err::read(built.path).unwrap()
        };
        (build("demo"), build("other"))
    })
}

fn valid_deb() -> &'static [u8] {
    &valid_debs().0
}

#[derive(Debug, Clone)]
enum Edit {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
}

fn deb_bytes() -> impl Strategy<Value = Vec<u8>> {
    let len = valid_deb().len();
    let edit = prop_oneof![
        (0..len).prop_map(Edit::Truncate),
        (0..len, 1u8..=255).prop_map(|(at, x)| Edit::Flip(at, x)),
        (0..len, prop::collection::vec(any::<u8>(), 1..64)).prop_map(|(at, b)| Edit::Insert(at, b)),
    ];
    prop_oneof![
        4 => prop::collection::vec(edit, 1..4).prop_map(|edits| {
            let mut bytes = valid_deb().to_vec();
            for edit in edits {
                match edit {
                    Edit::Truncate(at) => bytes.truncate(at),
                    Edit::Flip(at, x) => {
                        if let Some(b) = bytes.get_mut(at) {
                            *b ^= x;
                        }
                    }
                    Edit::Insert(at, b) => {
                        let at = at.min(bytes.len());
                        bytes.splice(at..at, b);
                    }
                }
            }
            bytes
        }),
        1 => prop::collection::vec(any::<u8>(), 0..512)
            .prop_map(|tail| [b"!<arch>\n".as_slice(), &tail].concat()),
    ]
}

fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                out.push((path.clone(), fs_err::read(&path).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Each case writes files; keep CI's share of this property modest.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    #[test]
    fn deb_to_publish(bytes in deb_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let deb = dir.path().join("input.deb");
        fs_err::write(&deb, &bytes).unwrap();
        let repo = dir.path().join("repo");
        // A repository with another package in it: a refused input must leave it as it was.
        let good = dir.path().join("other.deb");
        fs_err::write(&good, &valid_debs().1).unwrap();
        let options = PublishOptions {
            architectures: vec!["amd64".to_owned()],
            date: 1_700_000_000,
            origin: "fuzz".into(),
            label: "fuzz".into(),
            signer: None,
            lock_timeout: debgen::apt::DEFAULT_LOCK_TIMEOUT,
        };
        publish(&repo, "jammy", std::slice::from_ref(&good), &options).unwrap();
        let before = tree(&repo);
        match publish(&repo, "jammy", std::slice::from_ref(&deb), &options) {
            Ok(_) => {
                // What is published must be whole: dpkg-deb reads every member to the end.
                for args in [&["--info"][..], &["--fsys-tarfile"][..]] {
                    let status = std::process::Command::new("dpkg-deb")
                        .args(args)
                        .arg(&deb)
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .status()
                        .unwrap();
                    prop_assert!(status.success(), "published a .deb that dpkg-deb {args:?} refuses");
                }
            }
            Err(error) => {
                let message = error.to_string();
                prop_assert!(message.contains("input.deb"), "error does not name the file: {message}");
                prop_assert_eq!(tree(&repo), before, "a refused .deb changed the repository");
            }
        }
    }
}
