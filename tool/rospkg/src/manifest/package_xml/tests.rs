//! Unit tests for the package.xml parser: fields, every catkin_pkg validation rule, positions.

use std::path::Path;

use super::parse;
use crate::diagnostic::{Diagnostic, Severity};
use crate::manifest::{DependKind, Manifest};

fn parse_ok(xml: &str) -> Manifest {
    parse(xml, Path::new("foo/package.xml")).unwrap_or_else(|e| panic!("unexpected failure: {e}"))
}

fn parse_err(xml: &str) -> Diagnostic {
    match parse(xml, Path::new("foo/package.xml")) {
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

/// Parses and compares the diagnostics with `expected`.
fn check(xml: &str, expected: &[&str]) -> Manifest {
    let manifest = parse_ok(xml);
    assert_eq!(diagnostics(&manifest), expected, "{xml}");
    manifest
}

/// A valid package of `format` with `body` from line 7 on.
fn package(format: u8, body: &str) -> String {
    format!(
        "<package format=\"{format}\">\n  <name>foo</name>\n  <version>1.0.0</version>\n  <description>Foo</description>\n  \
         <maintainer email=\"a@example.org\">A</maintainer>\n  <license>BSD</license>\n{body}\n</package>\n"
    )
}

fn names(manifest: &Manifest, kind: DependKind) -> Vec<&str> {
    manifest.dependencies.iter().filter(|d| d.kind == kind).map(|d| d.name.as_str()).collect()
}

#[test]
fn minimal_valid_package() {
    let m = check(&package(2, ""), &[]);
    assert_eq!(m.format, 2);
    assert_eq!(m.name.as_deref(), Some("foo"));
    assert_eq!(m.version, "1.0.0");
    assert_eq!(m.description, "Foo");
    assert_eq!(m.maintainers[0].name, "A");
    assert_eq!(m.maintainers[0].email.as_deref(), Some("a@example.org"));
    assert_eq!(m.licenses[0].name, "BSD");
    assert!(!m.has_errors());
}

#[test]
fn all_fields() {
    let xml = r#"<?xml version="1.0"?>
<?xml-model href="http://download.ros.org/schema/package_format3.xsd" schematypens="http://www.w3.org/2001/XMLSchema"?>
<package format="3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <name>
     foo
  </name>
  <version compatibility="1.0.0">1.2.3</version>
  <description>A <b>bold</b> package.</description>
  <maintainer email="a@example.org">  Ann  </maintainer>
  <author email="b@example.org">Bob</author>
  <author>Carl</author>
  <license file="LICENSE">Apache-2.0</license>
  <url type="repository">https://example.org/foo.git</url>
  <url>https://example.org</url>
  <buildtool_depend>ament_cmake</buildtool_depend>
  <buildtool_export_depend>ament_cmake_core</buildtool_export_depend>
  <build_depend version_gte="1.0" version_lt="2.0">rclcpp</build_depend>
  <build_export_depend>rclcpp_headers</build_export_depend>
  <exec_depend condition="$ROS_PYTHON_VERSION == 3">python3-yaml</exec_depend>
  <depend>std_msgs</depend>
  <test_depend>ament_lint_auto</test_depend>
  <doc_depend>doxygen</doc_depend>
  <conflict>bar</conflict>
  <replace version_eq="0.1.0">baz</replace>
  <group_depend condition="$ROS_VERSION == 2">rosidl_interface_packages</group_depend>
  <member_of_group>my_group</member_of_group>
  <export>
    <build_type condition="$ROS_VERSION == 2">ament_cmake</build_type>
    <build_type condition="$ROS_VERSION == 1">catkin</build_type>
    <rviz plugin="${prefix}/plugins.xml" xsi:type="x"/>
    <deprecated>
      use bar
    </deprecated>
    <architecture_independent/>
  </export>
</package>
"#;
    let m = check(xml, &[]);
    assert_eq!(m.format, 3);
    assert_eq!(m.name.as_deref(), Some("foo"));
    assert_eq!(m.version, "1.2.3");
    assert_eq!(m.description, "A <b>bold</b> package.");
    assert_eq!(m.maintainers[0].name, "Ann");
    assert_eq!(m.authors.len(), 2);
    assert_eq!(m.authors[1].email, None);
    assert_eq!(m.licenses[0].file.as_deref(), Some("LICENSE"));
    assert_eq!((m.urls[0].kind.as_str(), m.urls[1].kind.as_str()), ("repository", "website"));
    let kinds: Vec<DependKind> = m.dependencies.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [
            DependKind::Buildtool,
            DependKind::BuildtoolExport,
            DependKind::Build,
            DependKind::BuildExport,
            DependKind::Exec,
            DependKind::Depend,
            DependKind::Test,
            DependKind::Doc,
            DependKind::Conflict,
            DependKind::Replace,
        ]
    );
    let rclcpp = &m.dependencies[2];
    assert_eq!(rclcpp.version.gte.as_deref(), Some("1.0"));
    assert_eq!(rclcpp.version.lt.as_deref(), Some("2.0"));
    assert_eq!((rclcpp.position.line, rclcpp.position.column), (17, 3));
    assert_eq!(m.dependencies[4].condition.as_deref(), Some("$ROS_PYTHON_VERSION == 3"));
    assert_eq!(m.dependencies[9].version.eq.as_deref(), Some("0.1.0"));
    assert_eq!(m.group_depends[0].name, "rosidl_interface_packages");
    assert_eq!(m.group_depends[0].condition.as_deref(), Some("$ROS_VERSION == 2"));
    assert_eq!(m.member_of_groups[0].name, "my_group");
    let tags: Vec<&str> = m.exports.iter().map(|e| e.tag.as_str()).collect();
    assert_eq!(
        tags,
        ["build_type", "build_type", "rviz", "deprecated", "architecture_independent"]
    );
    assert_eq!(m.exports[2].attribute("plugin"), Some("${prefix}/plugins.xml"));
    assert_eq!(m.exports[2].attribute("xsi:type"), Some("x"));
    assert_eq!(m.deprecated(), Some("use bar"));
    assert!(m.is_architecture_independent());
    assert!(!m.is_metapackage());
    let ros2 = |name: &str| (name == "ROS_VERSION").then(|| "2".to_owned());
    let ros1 = |name: &str| (name == "ROS_VERSION").then(|| "1".to_owned());
    assert_eq!(m.build_type(&ros2), "ament_cmake");
    assert_eq!(m.build_type(&ros1), "catkin");
}

#[test]
fn malformed_xml_is_an_error_with_position() {
    let e = parse_err("<package>\n  <name>foo</nam>\n</package>\n");
    assert!(e.is_error());
    assert!(e.message.starts_with("invalid XML"), "{e}");
    let p = e.position.unwrap_or_default();
    assert_eq!(p.line, 2, "{e}");
    assert!(e.to_string().starts_with("foo/package.xml:2:"), "{e}");

    let e = parse_err("");
    assert!(e.message.starts_with("invalid XML"), "{e}");
    let e = parse_err("not xml");
    assert!(e.message.starts_with("invalid XML"), "{e}");
}

#[test]
fn dtd_and_entity_bomb_are_refused() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<package><name>&lol3;</name></package>
"#;
    let e = parse_err(bomb);
    assert!(e.message.contains("invalid XML"), "{e}");
    assert_eq!(e.position.map(|p| p.line), Some(2), "{e}");
    assert!(e.hint.as_deref().is_some_and(|h| h.contains("DOCTYPE")), "{e}");
}

#[test]
fn wrong_root_element() {
    let e = parse_err("<?xml version=\"1.0\"?>\n<stack><name>foo</name></stack>");
    assert_eq!(e.message, "The manifest must contain a single \"package\" root tag, not \"stack\"");
    assert_eq!(e.position.map(|p| (p.line, p.column)), Some((2, 1)));
}

#[test]
fn missing_name() {
    let xml = "<package format=\"2\">\n  <version>1.0.0</version>\n  <description>Foo</description>\n  \
               <maintainer email=\"a@example.org\">A</maintainer>\n  <license>BSD</license>\n</package>\n";
    let m = check(xml, &["1:1: error: The manifest must contain exactly one \"name\" tag"]);
    assert_eq!(m.name, None);
    assert_eq!(m.version, "1.0.0");
    assert!(m.has_errors());
}

#[test]
fn missing_everything() {
    check(
        "<package/>",
        &[
            "1:1: error: The manifest must contain exactly one \"name\" tag",
            "1:1: error: The manifest must contain exactly one \"version\" tag",
            "1:1: error: The manifest must contain exactly one \"description\" tag",
            "1:1: error: Package must declare at least one maintainer",
            "1:1: error: The package node must contain at least one \"license\" tag",
        ],
    );
}

#[test]
fn repeated_single_tags() {
    let m = check(
        &package(
            2,
            "  <name>bar</name>\n  <version>2.0.0</version>\n  <description>Bar</description>\n  <export/>\n  <export/>",
        ),
        &[
            "7:3: error: The manifest must contain exactly one \"name\" tag",
            "8:3: error: The manifest must contain exactly one \"version\" tag",
            "9:3: error: The manifest must contain exactly one \"description\" tag",
            "11:3: error: The manifest must not contain more than one \"export\" tags",
        ],
    );
    assert_eq!(m.name.as_deref(), Some("foo"));
    assert_eq!(m.version, "1.0.0");
}

#[test]
fn name_rules() {
    let with_name =
        |name: &str| package(2, "").replace("<name>foo</name>", &format!("<name>{name}</name>"));
    check(
        &with_name("my.pkg"),
        &["2:3: error: Package name \"my.pkg\" does not follow naming conventions"],
    );
    check(&with_name(""), &["2:3: error: Package name must not be empty"]);
    check(
        &with_name("MyPkg"),
        &[
            "2:3: warning: Package name \"MyPkg\" does not follow the naming conventions. It should start with a \
           lower case letter and only contain lower case letters, digits, underscores, and dashes.",
        ],
    );
    check(
        &with_name("1pkg"),
        &["2:3: warning: Package name \"1pkg\" does not follow the naming conventions. It \
           should start with a lower case letter and only contain lower case letters, digits, underscores, and dashes."],
    );
    check(&with_name("my-pkg_2"), &[]);
}

#[test]
fn version_rules() {
    let with_version = |v: &str| package(2, "").replace("<version>1.0.0</version>", v);
    check(
        &with_version("<version>1.2</version>"),
        &["3:3: error: Package version \"1.2\" does not follow version conventions"],
    );
    check(
        &with_version("<version>1.2.3-rc1</version>"),
        &["3:3: error: Package version \"1.2.3-rc1\" does not follow version conventions"],
    );
    check(
        &with_version("<version> </version>"),
        &["3:3: error: Package version must not be empty"],
    );
    check(
        &with_version("<version>01.2.3</version>"),
        &[
            "3:3: warning: Package \"foo\" does not follow the version conventions. It should not contain leading zeros \
           (unless the number is 0).",
        ],
    );
    check(&with_version("<version>0.10.0</version>"), &[]);
    check(
        &with_version("<version compatibility=\"1.0\">1.0.0</version>"),
        &["3:3: error: Package compatibility version '1.0' does not follow version conventions"],
    );
}

#[test]
fn description_rules() {
    let with_description = |d: &str| package(2, "").replace("<description>Foo</description>", d);
    check(
        &with_description("<description>  \n </description>"),
        &["4:3: error: Package description must not be empty"],
    );
    check(
        &with_description("<description/>"),
        &["4:3: error: Package description must not be empty"],
    );
    let m = check(
        &with_description("<description>\n  a &amp; <a href=\"x>y\">b</a><br/>\n</description>"),
        &[],
    );
    assert_eq!(m.description, "a &amp; <a href=\"x>y\">b</a><br/>");
}

#[test]
fn maintainer_and_author_rules() {
    let with_maintainer =
        |m: &str| package(2, "").replace("<maintainer email=\"a@example.org\">A</maintainer>", m);
    check(
        &with_maintainer(""),
        &["1:1: error: Package 'foo' must declare at least one maintainer"],
    );
    check(
        &with_maintainer("<maintainer>A</maintainer>"),
        &["5:3: error: The \"maintainer\" tag must have the attribute \"email\""],
    );
    check(
        &with_maintainer("<maintainer email=\"\">A</maintainer>"),
        &["5:3: error: Maintainers must have an email address"],
    );
    check(
        &with_maintainer("<maintainer email=\"foo@bar\">A</maintainer>"),
        &["5:3: error: Invalid email \"foo@bar\" for person \"A\""],
    );
    check(
        &with_maintainer("<maintainer email=\"first.last+tag@sub.example.co\">A</maintainer>"),
        &[],
    );
    check(
        &package(2, "<author email=\"x@y.z\">B</author>"),
        &["7:1: error: Invalid email \"x@y.z\" for person \"B\""],
    );
    check(
        &package(2, "<author email=\"\">B</author>"),
        &["7:1: error: Invalid email \"\" for person \"B\""],
    );
    check(&package(2, "<author>B</author>"), &[]);
}

#[test]
fn license_rules() {
    let with_license = |l: &str| package(2, "").replace("<license>BSD</license>", l);
    check(
        &with_license(""),
        &["1:1: error: The package node must contain at least one \"license\" tag"],
    );
    check(
        &with_license("<license> </license>"),
        &["6:3: error: The license tag must neither be empty nor only contain whitespaces"],
    );
    check(
        &with_license("<license file=\"LICENSE\">BSD</license>"),
        &["6:3: error: The \"license\" tag must not have the following attributes: file"],
    );
    let m = parse_ok(&with_license("<license file=\"LICENSE\">BSD</license>"));
    assert_eq!(
        m.diagnostics[0].hint.as_deref(),
        Some("this attribute needs format 3: <package format=\"3\">")
    );
    check(
        &with_license("<license file=\"LICENSE\">BSD</license>")
            .replace("format=\"2\"", "format=\"3\""),
        &[],
    );
}

#[test]
fn self_dependency() {
    check(
        &package(
            2,
            "  <build_depend>foo</build_depend>\n  <depend>foo</depend>\n  <conflict>foo</conflict>",
        ),
        &[
            "7:3: error: The package \"foo\" must not \"build_depend\" on a package with the same name as this package",
            "8:3: error: The generic dependency on 'foo' is redundant with: build_depend",
            "8:3: error: The package \"foo\" must not \"depend\" on a package with the same name as this package",
        ],
    );
}

#[test]
fn redundant_depend() {
    check(
        &package(
            2,
            "  <depend>bar</depend>\n  <exec_depend>bar</exec_depend>\n  <build_depend>bar</build_depend>",
        ),
        &[
            "7:3: error: The generic dependency on 'bar' is redundant with: build_depend, exec_depend",
        ],
    );
    // Equality includes version constraints, and earlier <depend>s count.
    check(
        &package(
            2,
            "  <depend>bar</depend>\n  <build_depend version_gte=\"1.0.0\">bar</build_depend>",
        ),
        &[],
    );
    check(
        &package(2, "  <depend>bar</depend>\n  <depend>bar</depend>"),
        &[
            "8:3: error: The generic dependency on 'bar' is redundant with: build_depend, build_export_depend, exec_depend",
        ],
    );
}

#[test]
fn format1_run_depend_and_test_duplicates() {
    let m = check(
        &package(
            1,
            "  <build_depend>a</build_depend>\n  <run_depend>b</run_depend>\n  <test_depend>a</test_depend>\n  \
                     <test_depend>b</test_depend>\n  <test_depend>c</test_depend>",
        ),
        &[
            "9:3: error: The test dependency on \"a\" is redundant with: build_depend",
            "10:3: error: The test dependency on \"b\" is redundant with: run_depend",
        ],
    );
    assert_eq!(names(&m, DependKind::Run), ["b"]);
    assert!(
        m.dependencies
            .iter()
            .filter(|d| d.kind == DependKind::Run)
            .all(|d| d.kind.is_rospack_run())
    );
    check(
        &package(1, "  <run_depend>b</run_depend>\n  <depend>b</depend>"),
        &[
            "8:3: error: The manifest of package \"foo\" (with format version 1) must not contain the following tags: depend",
        ],
    );
}

#[test]
fn unknown_tags_per_format() {
    let m = check(
        &package(2, "  <run_depend>a</run_depend>\n  <run_depend>b</run_depend>\n  <bad_tag/>"),
        &[
            "7:3: error: The manifest of package \"foo\" (with format version 2) must not contain the following tags: run_depend",
            "9:3: error: The manifest of package \"foo\" (with format version 2) must not contain the following tags: bad_tag",
        ],
    );
    assert_eq!(
        m.diagnostics[0].hint.as_deref(),
        Some("Please replace <run_depend> tags with <exec_depend> tags.")
    );
    // Kept anyway, as rospack reads them.
    assert_eq!(names(&m, DependKind::Run), ["a", "b"]);

    let m = check(
        &package(1, "  <exec_depend>a</exec_depend>"),
        &[
            "7:3: error: The manifest of package \"foo\" (with format version 1) must not contain the following tags: exec_depend",
        ],
    );
    assert_eq!(
        m.diagnostics[0].hint.as_deref(),
        Some(
            "Either update to a newer format or replace <exec_depend> tags with <run_depend> tags."
        )
    );

    let m = check(
        &package(2, "  <group_depend>g</group_depend>"),
        &[
            "7:3: error: The manifest of package \"foo\" (with format version 2) must not contain the following tags: group_depend",
        ],
    );
    assert_eq!(
        m.diagnostics[0].hint.as_deref(),
        Some("<group_depend> needs format 3 or newer: <package format=\"3\">")
    );
}

#[test]
fn unknown_attributes() {
    check(
        &package(
            2,
            "  <exec_depend condition=\"$ROS_VERSION == 2\">a</exec_depend>\n  <url kind=\"x\" type=\"website\">u</url>",
        ),
        &[
            "7:3: error: The \"exec_depend\" tag must not have the following attributes: condition",
            "8:3: error: The \"url\" tag must not have the following attributes: kind",
        ],
    );
    check(
        &package(2, "").replace("format=\"2\"", "format=\"2\" foo=\"1\""),
        &["1:1: error: The \"package\" tag must not have the following attributes: foo"],
    );
    // xmlns declarations and prefixed attributes are always fine.
    check(
        &package(2, "").replace(
            "format=\"2\"",
            "format=\"2\" xmlns=\"urn:x\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xsi:noNamespaceSchemaLocation=\"http://download.ros.org/schema/package_format2.xsd\"",
        ),
        &[],
    );
}

#[test]
fn children_in_simple_tags() {
    check(
        &package(2, "  <exec_depend>a<b/><c/></exec_depend>"),
        &["7:3: error: The \"exec_depend\" tag must not contain the following children: b, c"],
    );
}

#[test]
fn format_attribute() {
    let with_format = |f: &str| package(2, "").replace("format=\"2\"", &format!("format=\"{f}\""));
    let positive = "1:1: error: The \"format\" attribute of the package must contain a positive integer if present";
    assert_eq!(check(&with_format("abc"), &[positive]).format, 1);
    check(&with_format("0"), &[positive]);
    check(&with_format("-1"), &[positive]);
    check(&with_format(""), &[positive]);
    let m =
        check(&with_format("4"), &["1:1: error: Unable to handle package.xml format version '4'"]);
    assert_eq!(m.format, 3);
    assert_eq!(check(&with_format(" 3 "), &[]).format, 3);
    assert_eq!(check(&package(2, "").replace(" format=\"2\"", ""), &[]).format, 1);
}

#[test]
fn format3_groups() {
    let m = check(
        &package(
            3,
            "  <group_depend>g1</group_depend>\n  <group_depend condition=\"$ROS_VERSION == 2\">g2</group_depend>\n  \
             <member_of_group>g1</member_of_group>\n  <member_of_group>g3</member_of_group>",
        ),
        &[
            "7:3: error: The package must not 'group_depend' on a package which it also declares to be a member of",
        ],
    );
    let groups: Vec<(&str, Option<&str>)> =
        m.group_depends.iter().map(|g| (g.name.as_str(), g.condition.as_deref())).collect();
    assert_eq!(groups, [("g1", None), ("g2", Some("$ROS_VERSION == 2"))]);
    let members: Vec<&str> = m.member_of_groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(members, ["g1", "g3"]);
}

#[test]
fn unparsable_condition_is_a_warning() {
    let m = check(
        &package(3, "  <exec_depend condition=\"$ROS_VERSION = 2\">a</exec_depend>"),
        &[
            "7:3: warning: condition '$ROS_VERSION = 2' failed to parse: expected a comparison operator (==, !=, <, \
           <=, >, >=) at column 14",
        ],
    );
    assert_eq!(m.dependencies[0].condition.as_deref(), Some("$ROS_VERSION = 2"));
    assert!(!m.has_errors());
}

#[test]
fn metapackage_warnings() {
    check(
        &package(
            2,
            "  <buildtool_depend>catkin</buildtool_depend>\n  <exec_depend>a</exec_depend>\n  <export><metapackage/></export>",
        ),
        &[],
    );
    check(
        &package(2, "  <exec_depend>a</exec_depend>\n  <export>\n    <metapackage/>\n  </export>"),
        &["9:5: warning: Metapackage \"foo\" must buildtool_depend on catkin."],
    );
    check(
        &package(
            1,
            "  <buildtool_depend>catkin</buildtool_depend>\n  <build_depend>a</build_depend>\n  <export><metapackage/></export>",
        ),
        &[
            "9:11: warning: Metapackage \"foo\" should not have other dependencies besides a buildtool_depend on catkin \
           and run_depends.",
        ],
    );
    check(
        &package(
            2,
            "  <buildtool_depend>catkin</buildtool_depend>\n  <depend>a</depend>\n  <export><metapackage/></export>",
        ),
        &[
            "9:11: warning: Metapackage \"foo\" should not have other dependencies besides a buildtool_depend on catkin \
           and exec_depends.",
        ],
    );
}

#[test]
fn build_types() {
    check(
        &package(
            3,
            "  <export>\n    <build_type>cmake</build_type>\n    <build_type>ament_cmake</build_type>\n  </export>",
        ),
        &["9:5: warning: Only one <build_type> element is permitted."],
    );
    let m = parse_ok(&package(2, "  <export><build_type>ament_python</build_type></export>"));
    assert_eq!(m.build_type(&|_| None), "ament_python");
    assert_eq!(parse_ok(&package(2, "")).build_type(&|_| None), "catkin");
}

#[test]
fn empty_dependency_is_skipped_with_a_warning() {
    let m = check(
        &package(2, "  <exec_depend>  </exec_depend>"),
        &["7:3: warning: The \"exec_depend\" tag is empty and is ignored"],
    );
    assert!(m.dependencies.is_empty());
}

#[test]
fn text_is_stripped_and_comments_ignored() {
    let m = check(
        &package(
            2,
            "  <exec_depend>\n\t  bar <!-- a comment --> \n</exec_depend>\n  <exec_depend><![CDATA[baz]]></exec_depend>",
        ),
        &[],
    );
    assert_eq!(names(&m, DependKind::Exec), ["bar", "baz"]);
}

#[test]
fn positions_count_characters() {
    let m = parse_ok(&package(2, "<!-- ü --><exec_depend>a</exec_depend>"));
    let p = m.dependencies[0].position;
    assert_eq!((p.line, p.column), (7, 11));
}

#[test]
fn several_problems_at_once() {
    let xml = "<package format=\"2\">\n  <name>My.Pkg</name>\n  <version>1</version>\n  <description/>\n  \
               <maintainer>A</maintainer>\n  <run_depend>x</run_depend>\n</package>";
    check(
        xml,
        &[
            "1:1: error: The package node must contain at least one \"license\" tag",
            "2:3: error: Package name \"My.Pkg\" does not follow naming conventions",
            "3:3: error: Package version \"1\" does not follow version conventions",
            "4:3: error: Package description must not be empty",
            "5:3: error: The \"maintainer\" tag must have the attribute \"email\"",
            "6:3: error: The manifest of package \"My.Pkg\" (with format version 2) must not contain the following \
             tags: run_depend",
        ],
    );
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 50_000;
    let xml = format!("<package>{}{}</package>", "<a>".repeat(depth), "</a>".repeat(depth));
    // Either refused by roxmltree or parsed; never a stack overflow.
    if let Ok(m) = parse(&xml, Path::new("package.xml")) {
        assert!(m.has_errors());
    }
    let xml = format!(
        "<package><description>{}{}</description></package>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    if let Ok(m) = parse(&xml, Path::new("package.xml")) {
        assert!(m.has_errors());
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Bad input never panics: arbitrary text spliced into a valid manifest.
    #[test]
    fn spliced_garbage_never_panics(at in 0usize..400, garbage in "[<>/=\"'a-z &;!\\[\\]\n-]{0,40}") {
        let valid = package(3, "  <depend condition=\"$A == b\">x</depend>\n  <export><build_type>cmake</build_type></export>");
        let at = (0..=at.min(valid.len())).rev().find(|i| valid.is_char_boundary(*i)).unwrap_or(0);
        let text = format!("{}{garbage}{}", &valid[..at], &valid[at..]);
        let _ = parse(&text, Path::new("package.xml"));
        let _ = crate::manifest::rosbuild::parse(crate::manifest::ManifestKind::ManifestXml, &text, Path::new("manifest.xml"));
    }

    /// Conditions never panic either.
    #[test]
    fn arbitrary_conditions_never_panic(expr in "\\PC{0,30}") {
        if let Ok(c) = crate::manifest::Condition::parse(&expr) {
            let _ = c.evaluate(&|_| None);
        }
    }
}
