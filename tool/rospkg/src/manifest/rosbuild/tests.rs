//! Unit tests for the rosbuild manifest.xml / stack.xml parser.

use std::path::Path;

use super::parse;
use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::manifest::{DependKind, Manifest, ManifestKind, Platform, VersionControl};

fn parse_ok(kind: ManifestKind, xml: &str) -> Manifest {
    parse(kind, xml, Path::new("stuff/foo/manifest.xml"))
        .unwrap_or_else(|e| panic!("unexpected failure: {e}"))
}

fn parse_err(kind: ManifestKind, xml: &str) -> Diagnostic {
    match parse(kind, xml, Path::new("stuff/foo/manifest.xml")) {
        Ok(m) => panic!("unexpected success: {m:#?}"),
        Err(e) => e,
    }
}

/// `line:col: error|warning: message` for every diagnostic.
fn diagnostics(manifest: &Manifest) -> Vec<String> {
    manifest
        .diagnostics
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let p = d.position.unwrap_or_default();
            format!("{}:{}: {level}: {}", p.line, p.column, d.message)
        })
        .collect()
}

fn check(kind: ManifestKind, xml: &str, expected: &[&str]) -> Manifest {
    let manifest = parse_ok(kind, xml);
    assert_eq!(diagnostics(&manifest), expected, "{xml}");
    manifest
}

const FULL: &str = r#"<package>
  <description brief="a brief description">Line 1
Line <b>2</b>
  </description>
  <author>Alice</author>
  <author>Bob</author>
  <license url="http://example.org/license">BSD</license>
  <review status="Doc reviewed" notes="ok"/>
  <url>http://pr.willowgarage.com/package/</url>
  <version>1.2.3</version>
  <logo>http://www.willowgarage.com/files/willowgarage/robot10.jpg</logo>
  <depend package="pkgname" />
  <depend package="common"/>
  <depend thirdparty="ignored"/>
  <export>
    <cpp cflags="-I${prefix}/include" lflags="-L${prefix}/lib -lros"/>
    <cpp os="osx" cflags="-I${prefix}/include" lflags="-L${prefix}/lib -lrosthread -framework CoreServices"/>
  </export>
  <rosdep name="python" />
  <rosdep name="bar" />
  <versioncontrol type="svn" url="https://example.org/svn"/>
  <versioncontrol/>
  <platform os="ubuntu" version="9.04"/>
  <platform os="macports" version="macports" notes="tested"/>
  <export>
    <python path="${prefix}/src"> text </python>
  </export>
  <unknown_tag><depend package="nested_is_ignored"/></unknown_tag>
</package>
"#;

#[test]
fn manifest_xml_fields() {
    let m = check(ManifestKind::ManifestXml, FULL, &[]);
    assert_eq!(m.kind, ManifestKind::ManifestXml);
    assert_eq!(m.format, 0);
    assert_eq!(m.name, None);
    assert_eq!(m.description, "Line 1\nLine <b>2</b>");
    assert_eq!(m.brief, "a brief description");
    let authors: Vec<&str> = m.authors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(authors, ["Alice", "Bob"]);
    assert_eq!(m.licenses.len(), 1);
    assert_eq!(m.licenses[0].name, "BSD");
    assert_eq!(m.urls[0].url, "http://pr.willowgarage.com/package/");
    assert_eq!(m.version, "1.2.3");
    assert_eq!((m.review_status.as_str(), m.review_notes.as_str()), ("Doc reviewed", "ok"));
    let depends: Vec<(&str, DependKind)> =
        m.dependencies.iter().map(|d| (d.name.as_str(), d.kind)).collect();
    assert_eq!(
        depends,
        [("pkgname", DependKind::RosbuildPackage), ("common", DependKind::RosbuildPackage)]
    );
    assert_eq!((m.dependencies[0].position.line, m.dependencies[0].position.column), (12, 3));
    assert_eq!(m.rosdeps, ["python", "bar"]);
    let exports: Vec<(&str, Option<&str>)> =
        m.exports.iter().map(|e| (e.tag.as_str(), e.attribute("os"))).collect();
    assert_eq!(exports, [("cpp", None), ("cpp", Some("osx")), ("python", None)]);
    assert_eq!(m.exports[0].attribute("lflags"), Some("-L${prefix}/lib -lros"));
    assert_eq!(m.exports[2].text, "text");
    assert_eq!(
        m.version_control,
        [
            VersionControl {
                kind: Some("svn".into()),
                url: Some("https://example.org/svn".into())
            },
            VersionControl { kind: None, url: None },
        ]
    );
    assert_eq!(
        m.platforms,
        [
            Platform { os: "ubuntu".into(), version: "9.04".into(), notes: None },
            Platform {
                os: "macports".into(),
                version: "macports".into(),
                notes: Some("tested".into())
            },
        ]
    );
}

#[test]
fn defaults() {
    let m = check(ManifestKind::ManifestXml, "<package/>", &[]);
    assert_eq!(m.review_status, "unreviewed");
    assert_eq!((m.description.as_str(), m.brief.as_str(), m.version.as_str()), ("", "", ""));
    assert!(m.licenses.is_empty() && m.dependencies.is_empty() && m.exports.is_empty());
    let m = check(ManifestKind::ManifestXml, "<package><review notes=\"n\"/></package>", &[]);
    assert_eq!((m.review_status.as_str(), m.review_notes.as_str()), ("", "n"));
}

#[test]
fn depend_without_package_attribute() {
    let m = check(
        ManifestKind::ManifestXml,
        "<package>\n  <depend name=\"x\"/>\n  <depend package=\"\"/>\n  <depend package=\"ok\"/>\n</package>",
        &[
            "2:3: error: bad depend syntax (no 'package/stack' attribute) in manifest foo at stuff/foo/manifest.xml",
            "3:3: error: bad 'package' attribute: the dependency name is empty",
        ],
    );
    let names: Vec<&str> = m.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["ok"]);
    assert_eq!(m.diagnostics[0].hint.as_deref(), Some("write <depend package=\"NAME\"/>"));
    // Code tells the two apart by kind, not by wording.
    let kinds: Vec<DiagnosticKind> = m.diagnostics.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DiagnosticKind::DependWithoutTarget, DiagnosticKind::Other]);
    let e = parse_err(ManifestKind::ManifestXml, "<package>");
    assert_eq!(e.kind, DiagnosticKind::Syntax);
}

#[test]
fn rosdep_without_name() {
    let m = check(
        ManifestKind::ManifestXml,
        "<package>\n  <rosdep nam=\"x\"/>\n  <rosdep name=\"y\"/>\n</package>",
        &["2:3: error: invalid rosdep tag"],
    );
    assert_eq!(m.rosdeps, ["y"]);
}

#[test]
fn platform_without_os_or_version() {
    let m = check(
        ManifestKind::ManifestXml,
        "<package>\n  <platform version=\"1\"/>\n  <platform os=\"ubuntu\"/>\n</package>",
        &[
            "2:3: error: <platform> tag is missing required 'os' attribute",
            "3:3: error: <platform> tag is missing required 'version' attribute",
        ],
    );
    assert!(m.platforms.is_empty());
}

#[test]
fn repeated_text_tags() {
    let m = check(
        ManifestKind::ManifestXml,
        "<package>\n  <description>one</description>\n  <description>two</description>\n  <license>A</license>\n  \
         <license>B</license>\n  <url>u</url>\n  <url>v</url>\n  <version>1</version>\n  <version>2</version>\n</package>",
        &[
            "3:3: error: must have a single 'description' element",
            "5:3: error: must have a single 'license' element",
            "7:3: error: must have a single 'url' element",
            "9:3: error: must have a single 'version' element",
        ],
    );
    assert_eq!((m.description.as_str(), m.version.as_str()), ("one", "1"));
    assert_eq!(m.licenses.len(), 1);
    assert_eq!(m.urls.len(), 1);
}

#[test]
fn stack_xml() {
    let m = check(
        ManifestKind::StackXml,
        "<stack>\n  <description brief=\"b\">d</description>\n  <license>BSD</license>\n  <depend stack=\"ros\"/>\n  \
         <depend package=\"roscpp\"/>\n  <export/>\n</stack>",
        &[
            "5:3: error: bad depend syntax (no 'package/stack' attribute) in manifest foo at stuff/foo/manifest.xml",
        ],
    );
    assert_eq!(m.kind, ManifestKind::StackXml);
    let depends: Vec<(&str, DependKind)> =
        m.dependencies.iter().map(|d| (d.name.as_str(), d.kind)).collect();
    assert_eq!(depends, [("ros", DependKind::RosbuildStack)]);
    assert_eq!(m.diagnostics[0].hint.as_deref(), Some("write <depend stack=\"NAME\"/>"));

    check(
        ManifestKind::StackXml,
        "<stack>\n  <export><cpp cflags=\"x\"/></export>\n  <rosdep name=\"boost\"/>\n</stack>",
        &[
            "2:3: error: stack manifests are not allowed to have exports",
            "3:3: error: stack manifests are not allowed to have rosdeps",
        ],
    );
}

#[test]
fn wrong_root_and_bad_xml() {
    let e = parse_err(ManifestKind::ManifestXml, "<notpackage><license>x</license></notpackage>");
    assert_eq!(e.message, "manifest must have a single 'package' element");
    assert_eq!(e.position.map(|p| (p.line, p.column)), Some((1, 1)));
    let e = parse_err(ManifestKind::StackXml, "<?xml version=\"1.0\"?>\n<package/>");
    assert_eq!(e.message, "manifest must have a single 'stack' element");
    assert_eq!(e.position.map(|p| p.line), Some(2));
    let e = parse_err(ManifestKind::ManifestXml, "not xml");
    assert!(e.message.starts_with("invalid XML"), "{e}");
    let e = parse_err(ManifestKind::ManifestXml, "<package>\n<depend package='a'>\n</package>");
    assert!(e.message.starts_with("invalid XML"), "{e}");
    assert!(e.position.is_some());
    let e = parse_err(ManifestKind::ManifestXml, "<!DOCTYPE p [<!ENTITY a \"b\">]><package/>");
    assert!(e.hint.is_some(), "{e}");
}
