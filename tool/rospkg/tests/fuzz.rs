//! Property-based fuzzing of every parser that reads a stranger's text: package.xml and the
//! rosbuild manifests, REP 149 conditions, distribution files, rosdep rule files.
//!
//! Each property asserts the same contract: no panic, no abort (a stack overflow kills the test
//! binary, so it fails too), and a refused input is an error that says where. The generators mix
//! well-formed documents, hostile values (control characters, deep nesting, huge repetition,
//! YAML aliases) and mutations of valid text (truncation, inserted and deleted bytes).
//!
//! CI runs proptest's default 256 cases per property; `cargo xtask fuzz --minutes N` runs them
//! again and again with fresh seeds (`PROPTEST_CASES`, `PROPTEST_RNG_SEED`).

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::select;
use rospkg::manifest::Condition;
use rospkg::{Diagnostic, ManifestKind, manifest};

/// Text fragments that are hard on parsers: markup, control characters, quoting, long runs.
fn hostile_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        "[ -~]{0,40}",
        any::<String>().prop_map(|s| s.chars().take(40).collect()),
        select(vec![
            "\n",
            "\r\n",
            "\t",
            "\u{0}",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{feff}",
            "\u{2028}",
            "&amp;",
            "&lt;",
            "&#0;",
            "&#x110000;",
            "&unknown;",
            "<![CDATA[x]]>",
            "<!-- c -->",
            "]]>",
            "<?pi x?>",
            "\"",
            "'",
            "$ROS_VERSION",
            "==",
            "(",
            ")",
            "and",
            "or",
            ":",
            "- ",
            "{",
            "}",
            "[",
            "]",
            "*anchor",
            "&anchor",
            "!!binary",
            "%TAG",
            "---",
            "...",
            "\\",
        ])
        .prop_map(str::to_owned),
        (select(vec!["(", "[", "{", "<a>", "- ", "a: "]), 0usize..3000)
            .prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_fragment(), 0..8).prop_map(|parts| parts.concat())
}

/// Cuts, inserts and deletes at random byte offsets of `base` (kept valid UTF-8 by working on
/// characters).
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    let len = base.chars().count();
    let edit = (0..=len, 0usize..4, hostile_fragment());
    prop::collection::vec(edit, 0..4).prop_map(move |edits| {
        let mut chars: Vec<char> = base.chars().collect();
        for (at, kind, fragment) in edits {
            let at = at.min(chars.len());
            match kind {
                0 => chars.truncate(at),
                1 => {
                    let end = (at + fragment.len()).min(chars.len());
                    chars.drain(at..end);
                }
                _ => {
                    chars.splice(at..at, fragment.chars());
                }
            }
        }
        chars.into_iter().collect()
    })
}

/// A refused input must say where (`file:line:col`), the position inside the text.
fn assert_positioned(what: &str, text: &str, error: &Diagnostic) {
    let Some(position) = error.position else {
        panic!("{what}: error without a position: {error}\ninput: {text:?}");
    };
    let lines = text.split('\n').count() as u32;
    assert!(
        position.line >= 1 && position.line <= lines + 1,
        "{what}: line {} outside the {lines}-line input: {error}",
        position.line
    );
}

const PACKAGE_XML: &str = r#"<?xml version="1.0"?>
<package format="3">
  <name>demo_pkg</name>
  <version>1.2.3</version>
  <description>A demo. It has two sentences.</description>
  <maintainer email="jane@example.com">Jane Doe</maintainer>
  <license>BSD</license>
  <url type="website">https://example.com</url>
  <buildtool_depend>catkin</buildtool_depend>
  <depend condition="$ROS_VERSION == 1">roscpp</depend>
  <exec_depend version_gte="1.0">std_msgs</exec_depend>
  <export><build_type>catkin</build_type></export>
</package>
"#;

const MANIFEST_XML: &str = r#"<package>
  <description brief="demo">A rosbuild package</description>
  <author>Jane</author>
  <license>BSD</license>
  <depend package="roscpp"/>
  <rosdep name="boost"/>
  <export><cpp cflags="-I${prefix}/include"/></export>
</package>
"#;

/// A package.xml whose elements carry generated values.
fn package_xml() -> impl Strategy<Value = String> {
    (
        hostile_text(),
        hostile_text(),
        hostile_text(),
        hostile_text(),
        prop::collection::vec(
            (select(vec!["depend", "build_depend", "exec_depend", "test_depend"]), hostile_text()),
            0..4,
        ),
        1u8..5,
    )
        .prop_map(|(name, description, maintainer, condition, deps, format)| {
            let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
            let mut xml = format!(
                "<?xml version=\"1.0\"?>\n<package format=\"{format}\">\n<name>{}</name>\n\
                 <version>1.0.0</version>\n<description>{}</description>\n\
                 <maintainer email=\"a@b.c\">{}</maintainer>\n<license>BSD</license>\n",
                esc(&name),
                esc(&description),
                esc(&maintainer)
            );
            for (tag, dep) in deps {
                xml.push_str(&format!(
                    "<{tag} condition=\"{}\">{}</{tag}>\n",
                    esc(&condition),
                    esc(&dep)
                ));
            }
            xml.push_str("</package>\n");
            xml
        })
}

fn check_manifest(kind: ManifestKind, text: &str) {
    let path = Path::new("/fuzz").join(kind.file_name());
    match manifest::parse(kind, text, &path) {
        Ok(manifest) => {
            // Conditions of a parsed manifest are evaluated by every query: they must not blow
            // the stack either.
            for dependency in &manifest.dependencies {
                if let Some(condition) = &dependency.condition
                    && let Ok(parsed) = Condition::parse(condition)
                {
                    let _ = parsed.evaluate(&|_| Some("1".to_owned()));
                }
            }
            for diagnostic in &manifest.diagnostics {
                assert!(!diagnostic.message.is_empty(), "empty diagnostic for {text:?}");
            }
        }
        Err(error) => assert_positioned(kind.file_name(), text, &error),
    }
}

proptest! {
    #[test]
    fn package_xml_generated(text in package_xml()) {
        check_manifest(ManifestKind::PackageXml, &text);
    }

    #[test]
    fn package_xml_mutated(text in mutated(PACKAGE_XML)) {
        check_manifest(ManifestKind::PackageXml, &text);
    }

    #[test]
    fn manifest_xml_mutated(text in mutated(MANIFEST_XML)) {
        check_manifest(ManifestKind::ManifestXml, &text);
    }

    #[test]
    fn manifest_raw_text(text in hostile_text()) {
        check_manifest(ManifestKind::PackageXml, &text);
        check_manifest(ManifestKind::StackXml, &text);
    }

    #[test]
    fn condition(expr in prop_oneof![
        hostile_text(),
        mutated("$ROS_VERSION == 1 and ($ROS_DISTRO != noetic or \"a\" < 'b')"),
        (1usize..20_000).prop_map(|n| format!("{}a == b{}", "(".repeat(n), ")".repeat(n))),
        (1usize..20_000).prop_map(|n| "a == b and ".repeat(n) + "a == b"),
    ]) {
        match Condition::parse(&expr) {
            Ok(condition) => {
                let _ = condition.evaluate(&|_| None);
            }
            Err(error) => {
                let columns = expr.chars().count() + 1;
                prop_assert!(
                    error.column >= 1 && error.column <= columns,
                    "column {} outside 1..={columns}", error.column
                );
            }
        }
    }
}

const DISTRIBUTION: &str = r#"%YAML 1.1
---
release_platforms:
  ubuntu: [focal]
repositories:
  demo:
    doc: {type: git, url: 'https://example.com/demo.git', version: main}
    release:
      packages: [demo_a, demo_b]
      tags: {release: 'release/noetic/{package}/{version}'}
      url: https://example.com/demo-release.git
      version: 1.2.3-1
    source: {type: git, url: 'https://example.com/demo.git', version: main}
    status: maintained
type: distribution
version: 2
"#;

const RULES: &str = r#"boost:
  debian: [libboost-all-dev]
  ubuntu:
    focal: [libboost-all-dev]
    '*': [libboost-dev]
python3-yaml:
  debian: [python3-yaml]
  ubuntu:
    pip:
      packages: [pyyaml]
"#;

fn yaml_input(base: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => mutated(base),
        1 => hostile_text(),
        // Alias expansion ("billion laughs") and deep flow nesting.
        1 => (1usize..12).prop_map(|n| {
            let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..n {
                let prev = i - 1;
                text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
            }
            text
        }),
        1 => (1usize..20_000).prop_map(|n| format!("key: {}{}\n", "[".repeat(n), "]".repeat(n))),
    ]
}

proptest! {
    #[test]
    fn distribution_file(text in yaml_input(DISTRIBUTION)) {
        let path = Path::new("/fuzz/distribution.yaml");
        if let Err(error) = rospkg::distro::distribution::parse(path, &text, "noetic") {
            assert_positioned("distribution.yaml", &text, &error);
        }
    }

    #[test]
    fn rosdep_rules(text in yaml_input(RULES)) {
        let path = Path::new("/fuzz/base.yaml");
        match rospkg::rosdep::rules::RuleFile::parse(path, &text) {
            Ok(file) => {
                for diagnostic in &file.diagnostics {
                    assert_positioned("base.yaml", &text, diagnostic);
                }
            }
            Err(error) => assert_positioned("base.yaml", &text, &error),
        }
    }
}

/// Found by the fuzzer: a few dozen nested YAML collections overflowed a 2 MiB thread stack
/// before serde-saphyr's default depth budget was reached.
#[test]
fn deep_yaml_nesting_is_a_positioned_error() {
    for depth in [25, 64, 20_000] {
        let text = format!("key: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let error = rospkg::distro::distribution::parse(Path::new("/d.yaml"), &text, "noetic")
            .expect_err("too deep");
        assert_positioned("distribution.yaml", &text, &error);
        let error = rospkg::rosdep::rules::RuleFile::parse(Path::new("/r.yaml"), &text)
            .expect_err("too deep");
        assert_positioned("base.yaml", &text, &error);
    }
    // Real files nest far less.
    let ok = format!("key: {}{}\n", "[".repeat(20), "]".repeat(20));
    assert!(rospkg::rosdep::rules::RuleFile::parse(Path::new("/r.yaml"), &ok).is_ok());
}
