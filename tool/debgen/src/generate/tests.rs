//! Unit tests of debian/ generation: names, versions, descriptions, dependency mapping,
//! changelog parsing and dates, architecture, strict templates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rospkg::manifest::{self, ManifestKind};
use rospkg::rosdep::{RuleFile, Rules};

use super::*;

fn manifest(body: &str) -> Manifest {
    let xml = format!("<?xml version=\"1.0\"?>\n<package format=\"2\">\n{body}\n</package>\n");
    manifest::parse(ManifestKind::PackageXml, &xml, Path::new("pkg/package.xml")).unwrap()
}

const HEAD: &str = "<name>demo_pkg</name><version>1.2.3</version>\
    <description>Demo package. It has a longer text.</description>\
    <maintainer email=\"jane@example.com\">Jane Doe</maintainer><license>BSD</license>";

fn target() -> Target {
    Target {
        distro: "noetic".into(),
        os: "ubuntu".into(),
        codename: "focal".into(),
        ros_version: Some(1),
        python_version: Some(3),
    }
}

fn rules() -> Rules {
    let yaml = "boost:\n  ubuntu: [libboost-all-dev]\n\
                transforms3d:\n  ubuntu:\n    pip:\n      packages: [transforms3d]\n\
                roscpp:\n  ubuntu: [ros-noetic-roscpp]\n";
    let mut rules = Rules::new();
    rules.push(RuleFile::parse(Path::new("rules.yaml"), yaml).unwrap());
    rules
}

fn render(
    m: &Manifest,
    depends: &Depends,
    staged_has_elf: Option<bool>,
) -> Result<Tree, GenerateError> {
    let templates = Templates::default();
    let empty = BTreeMap::new();
    let t = target();
    generate(&Input {
        manifest: m,
        target: &t,
        depends,
        inc: 2,
        timestamp: 1_714_521_600,
        changelog: None,
        license_files: &empty,
        staged_has_elf,
        shipped: &empty,
        templates: &templates,
    })
}

fn control(m: &Manifest, staged_has_elf: Option<bool>) -> String {
    render(m, &Depends::default(), staged_has_elf).unwrap()["debian/control"].contents.clone()
}

#[test]
fn names_and_versions() {
    assert_eq!(ros_package_name("noetic", "roscpp_tutorials"), "ros-noetic-roscpp-tutorials");
    assert!(is_debian_name("ros-noetic-a-b"));
    assert!(!is_debian_name("ros-noetic-Demo"));
    assert!(!is_debian_name("x"));
    assert!(is_ros_version("1.2.3"));
    for bad in ["1.2", "1.2.3.4", "1.a.3", "", "1..3"] {
        assert!(!is_ros_version(bad), "{bad}");
    }
}

#[test]
fn bad_packages_are_errors() {
    let m = manifest(&HEAD.replace("demo_pkg", "Demo"));
    assert!(matches!(
        render(&m, &Depends::default(), None),
        Err(GenerateError::InvalidName { .. })
    ));
    let m = manifest(&HEAD.replace("<license>BSD</license>", ""));
    assert!(matches!(
        render(&m, &Depends::default(), None),
        Err(GenerateError::MissingLicense { .. })
    ));
    let mut m = manifest(HEAD);
    m.version = "1.2".into();
    assert!(matches!(
        render(&m, &Depends::default(), None),
        Err(GenerateError::InvalidVersion { .. })
    ));
}

fn place() -> Place {
    Place::new("debian/control", "Description")
}

#[test]
fn description_has_synopsis_and_extended_text() {
    let (synopsis, extended) =
        description(&place(), "Demo <b>package</b>.  It has\n more.", "demo", "noetic").unwrap();
    assert_eq!(synopsis, "Demo package");
    assert_eq!(extended[0], "It has more.");
    assert_eq!(extended[1], ".");
    // One sentence still gets an extended description (bloom leaves it empty), one that does
    // not repeat the synopsis (lintian: description-synopsis-is-duplicated).
    let (synopsis, extended) =
        description(&place(), "Only one sentence.", "demo", "noetic").unwrap();
    assert_eq!(synopsis, "Only one sentence");
    assert_eq!(
        extended,
        ["This is the ROS package demo, packaged for the ROS distribution noetic."]
    );
    // A cut synopsis keeps the whole sentence in the extended description.
    let long = "word ".repeat(40);
    let (synopsis, extended) = description(&place(), &long, "demo", "noetic").unwrap();
    assert!(synopsis.len() <= 79 && synopsis.ends_with("word..."), "{synopsis}");
    assert!(extended[0].starts_with("word word"), "{extended:?}");
}

#[test]
fn architecture_all_for_independent_packages() {
    assert!(control(&manifest(HEAD), None).contains("Architecture: any"));
    assert!(control(&manifest(HEAD), Some(false)).contains("Architecture: all"));
    let meta = manifest(&format!("{HEAD}<export><metapackage/></export>"));
    assert!(control(&meta, Some(true)).contains("Architecture: all"));
    let indep = manifest(&format!("{HEAD}<export><architecture_independent/></export>"));
    assert!(control(&indep, None).contains("Architecture: all"));
    let python = manifest(&format!("{HEAD}<export><build_type>ament_python</build_type></export>"));
    let c = control(&python, None);
    assert!(c.contains("Architecture: all") && c.contains("${python3:Depends}"), "{c}");
}

#[test]
fn control_and_changelog_fields() {
    let tree = render(&manifest(HEAD), &Depends::default(), None).unwrap();
    let c = &tree["debian/control"].contents;
    assert!(c.starts_with("Source: ros-noetic-demo-pkg\n"), "{c}");
    assert!(c.contains("Maintainer: Jane Doe <jane@example.com>\n"));
    assert!(c.contains("Build-Depends: cmake, debhelper-compat (= 13)\n"), "{c}");
    assert!(c.contains("Description: Demo package\n It has a longer text.\n .\n"), "{c}");
    let log = &tree["debian/changelog"].contents;
    assert!(log.starts_with("ros-noetic-demo-pkg (1.2.3-2focal) focal; urgency=high\n"), "{log}");
    assert!(log.ends_with(" -- Jane Doe <jane@example.com>  Wed, 01 May 2024 00:00:00 +0000\n"));
    assert!(tree["debian/rules"].executable);
    assert!(tree.contains_key("debian/ros-noetic-demo-pkg.lintian-overrides"));
    assert_eq!(tree["debian/source/format"].contents, "3.0 (quilt)\n");
}

#[test]
fn dependency_kinds_map_to_fields() {
    let m = manifest(&format!(
        "{HEAD}<buildtool_depend>catkin</buildtool_depend>\
         <build_export_depend>boost</build_export_depend>\
         <exec_depend version_gte=\"1.0\">roscpp</exec_depend>\
         <test_depend>boost</test_depend><test_depend>peer_pkg</test_depend>\
         <doc_depend>no_such_doc_key</doc_depend><conflict>no_such_conflict</conflict>"
    ));
    let peers: BTreeMap<String, String> = ["catkin", "peer_pkg"]
        .iter()
        .map(|s| ((*s).to_owned(), ros_package_name("noetic", s)))
        .collect();
    let d = resolve(&m, &rules(), &target(), &peers).unwrap();
    let set = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(d.build, set(&["ros-noetic-catkin"]));
    // build_export_depend is a run-time dependency (as bloom's); the version constraint of
    // a system package is not copied (roscpp resolves through apt here, so none either).
    assert_eq!(d.run, set(&["libboost-all-dev", "ros-noetic-roscpp"]));
    assert_eq!(d.test, set(&["libboost-all-dev", "ros-noetic-peer-pkg"]));
    assert!(d.conflicts.is_empty());
}

#[test]
fn pip_only_and_missing_keys_are_unresolved_together() {
    let m = manifest(&format!(
        "{HEAD}<exec_depend>transforms3d</exec_depend><build_depend>nope_a</build_depend>\
         <depend>nope_b</depend>"
    ));
    let err = resolve(&m, &rules(), &target(), &BTreeMap::new()).unwrap_err();
    let keys: Vec<&str> = err.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["nope_a", "nope_b", "transforms3d"]);
    assert!(err[2].reason.contains("pip"), "{}", err[2].reason);
    assert_eq!(err[1].tags, ["depend"]);
}

#[test]
fn conditions_filter_dependencies() {
    let m = manifest(&format!(
        "{HEAD}<exec_depend condition=\"$ROS_VERSION == 2\">nope_ros2</exec_depend>\
         <exec_depend condition=\"$ROS_VERSION == 1\">boost</exec_depend>"
    ))
    .clone();
    let mut m = m;
    m.format = 3;
    let d = resolve(&m, &rules(), &target(), &BTreeMap::new()).unwrap();
    assert_eq!(d.run.len(), 1);
}

#[test]
fn changelog_sections_and_dates() {
    let text = "Changelog\n=========\n\n1.2.3 (2024-05-01)\n------------------\n* Fixed a\n  thing\n\
                * Contributors: Jane\n\n1.2.2 (2020-02-29)\n------------------\n* Older\n";
    let s = changelog::parse(text);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].version, "1.2.3");
    assert_eq!(s[0].items, ["Fixed a thing", "Contributors: Jane"]);
    assert_eq!(changelog::rfc2822(s[1].days * 86_400), "Sat, 29 Feb 2020 00:00:00 +0000");
    assert_eq!(changelog::rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    assert_eq!(changelog::rfc2822(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
}

#[test]
fn strict_templates_reject_unknown_variables() {
    let mut templates = Templates::default();
    assert!(templates.set("control.j2", "{{ source }} {{ missing_var }}".into()));
    let empty = BTreeMap::new();
    let m = manifest(HEAD);
    let t = target();
    let err = generate(&Input {
        manifest: &m,
        target: &t,
        depends: &Depends::default(),
        inc: 0,
        timestamp: 0,
        changelog: None,
        license_files: &empty,
        staged_has_elf: None,
        shipped: &empty,
        templates: &templates,
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("control.j2") && message.contains("undefined"), "{message}");
}

#[test]
fn shipped_scripts_and_units() {
    let mut shipped = BTreeMap::new();
    shipped.insert("postinst".to_owned(), "#!/bin/sh\nset -e\n".to_owned());
    shipped.insert("demo.service".to_owned(), "[Unit]\n".to_owned());
    let templates = Templates::default();
    let empty = BTreeMap::new();
    let m = manifest(HEAD);
    let t = target();
    let tree = generate(&Input {
        manifest: &m,
        target: &t,
        depends: &Depends::default(),
        inc: 0,
        timestamp: 0,
        changelog: None,
        license_files: &empty,
        staged_has_elf: None,
        shipped: &shipped,
        templates: &templates,
    })
    .unwrap();
    assert!(tree["debian/ros-noetic-demo-pkg.postinst"].executable);
    assert!(tree.contains_key("debian/ros-noetic-demo-pkg.demo.service"));
    assert!(tree["debian/rules"].contents.contains("dh_installsystemd --name=demo"));
}

#[test]
fn licence_files_and_short_names() {
    let m = manifest(&HEAD.replace(
        "<license>BSD</license>",
        "<license file=\"LICENSE\">Apache License 2.0</license><license>My Licence</license>",
    ));
    let templates = Templates::default();
    let empty = BTreeMap::new();
    let t = target();
    let mut input = Input {
        manifest: &m,
        target: &t,
        depends: &Depends::default(),
        inc: 0,
        timestamp: 1_700_000_000,
        changelog: None,
        license_files: &empty,
        staged_has_elf: None,
        shipped: &empty,
        templates: &templates,
    };
    let err = generate(&input).unwrap_err();
    assert!(matches!(err, GenerateError::MissingLicenseFile { ref file, .. } if file == "LICENSE"));
    let mut files = BTreeMap::new();
    files.insert("LICENSE".to_owned(), "Line one\n\nLine two\n".to_owned());
    input.license_files = &files;
    let copyright = generate(&input).unwrap()["debian/copyright"].contents.clone();
    assert!(copyright.contains("License: Apache-2.0 and My-Licence\n"), "{copyright}");
    assert!(copyright.contains("License: Apache-2.0\n Line one\n .\n Line two\n"), "{copyright}");
    // A year makes it a copyright notice (lintian copyright-without-copyright-notice).
    assert!(copyright.contains("Copyright: 2023 Jane Doe <jane@example.com>\n"), "{copyright}");
}

#[test]
fn a_cut_first_sentence_is_given_whole_and_nothing_is_lost() {
    // tf2's description: the synopsis is cut inside the first sentence, more sentences follow.
    let raw = "tf2 is the second generation of the transform library, which lets the user keep \
               track of multiple coordinate frames over time. tf2 maintains the relationship \
               between coordinate frames in a tree structure buffered in time.";
    let (synopsis, extended) = description(&place(), raw, "tf2", "noetic").unwrap();
    assert!(synopsis.len() <= 79 && synopsis.ends_with("..."), "{synopsis}");
    let all = format!("{synopsis} {}", extended.join(" "));
    for word in raw.split_whitespace() {
        assert!(all.contains(word.trim_end_matches('.')), "`{word}` lost: {all}");
    }
    assert!(extended.join(" ").starts_with(raw), "the whole text follows: {extended:?}");
}

#[test]
fn metadata_that_breaks_a_field_is_an_error_naming_file_and_field() {
    let cases = [
        (
            HEAD.replace(">Jane Doe<", ">Jane Doe\nPre-Depends: evil<"),
            "debian/control field `Maintainer`",
        ),
        (
            format!("{HEAD}<url>https://x.org\n\nPackage: coreutils\nPre-Depends: evil</url>"),
            "debian/control field `Homepage`",
        ),
        (
            format!("{HEAD}<url type=\"repository\">https://x.org/\u{9b}2J</url>"),
            "debian/copyright field `Source`",
        ),
        (
            HEAD.replace("<license>BSD</license>", "<license>BSD\nFiles: *</license>"),
            "debian/copyright field `License`",
        ),
        (format!("{HEAD}<author>A\u{85}Files: *</author>"), "debian/copyright field `Copyright`"),
        (
            HEAD.replace("It has a longer text.", "It has \u{9b} a CSI."),
            "debian/control field `Description`",
        ),
    ];
    for (body, needle) in cases {
        let err = render(&manifest(&body), &Depends::default(), None).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, GenerateError::Value(_)), "{body}: {text}");
        assert!(text.contains(needle) && text.contains("pkg/package.xml"), "{needle}: {text}");
    }
    // The changelog sign-off is the maintainer: the same check covers it, and CHANGELOG.rst
    // items are checked too.
    let templates = Templates::default();
    let empty = BTreeMap::new();
    let t = target();
    let m = manifest(HEAD);
    let log = "1.2.3 (2024-05-01)\n------------------\n* fix \u{1b}]0;evil\u{7}\n";
    let err = generate(&Input {
        manifest: &m,
        target: &t,
        depends: &Depends::default(),
        inc: 0,
        timestamp: 0,
        changelog: Some(log),
        license_files: &empty,
        staged_has_elf: None,
        shipped: &empty,
        templates: &templates,
    })
    .unwrap_err();
    assert!(err.to_string().contains("debian/changelog"), "{err}");
}

#[test]
fn a_codename_that_would_break_the_changelog_is_refused() {
    let templates = Templates::default();
    let empty = BTreeMap::new();
    let m = manifest(HEAD);
    for codename in ["focal\nPre-Depends: evil", "focal; urgency=high", "", "Focal"] {
        let t = Target { codename: codename.into(), ..target() };
        let err = generate(&Input {
            manifest: &m,
            target: &t,
            depends: &Depends::default(),
            inc: 0,
            timestamp: 0,
            changelog: None,
            license_files: &empty,
            staged_has_elf: None,
            shipped: &empty,
            templates: &templates,
        })
        .unwrap_err();
        assert!(matches!(err, GenerateError::Value(_)), "{codename:?}: {err}");
        assert!(err.to_string().contains("debian/changelog field `distribution`"), "{err}");
    }
    let t = Target { codename: "bookworm".into(), ..target() };
    assert!(
        generate(&Input {
            manifest: &m,
            target: &t,
            depends: &Depends::default(),
            inc: 0,
            timestamp: 0,
            changelog: None,
            license_files: &empty,
            staged_has_elf: None,
            shipped: &empty,
            templates: &templates,
        })
        .is_ok()
    );
}

#[test]
fn licence_file_text_is_folded() {
    let templates = Templates::default();
    let empty = BTreeMap::new();
    let mut files = BTreeMap::new();
    files.insert("LICENSE".to_owned(), "Line one\r\n\r\nLicense: evil\n\u{c}\nend\n".to_owned());
    let t = target();
    let m =
        manifest(&HEAD.replace("<license>BSD</license>", "<license file=\"LICENSE\">X</license>"));
    let input = Input {
        manifest: &m,
        target: &t,
        depends: &Depends::default(),
        inc: 0,
        timestamp: 0,
        changelog: None,
        license_files: &files,
        staged_has_elf: None,
        shipped: &empty,
        templates: &templates,
    };
    let copyright = generate(&input).unwrap()["debian/copyright"].contents.clone();
    assert!(
        copyright.ends_with("License: X\n Line one\n .\n License: evil\n .\n end\n"),
        "{copyright}"
    );
    let mut bad = files.clone();
    bad.insert("LICENSE".to_owned(), "a\u{1b}b".to_owned());
    let input = Input { license_files: &bad, ..input };
    assert!(matches!(generate(&input), Err(GenerateError::Value(_))));
}

#[test]
fn rule_outputs_must_be_debian_package_names() {
    let yaml = "spaced:\n  ubuntu:\n    focal: [\"a b (>> 1\"]\n\
                upper:\n  ubuntu:\n    focal: [UPPER]\n\
                alt:\n  ubuntu:\n    focal: [\"x|y\"]\n\
                injected:\n  ubuntu:\n    focal: [\"ros-noetic-xacro\\nPre-Depends: evil\"]\n\
                empty:\n  ubuntu:\n    focal: [\"\"]\n\
                nested:\n  ubuntu:\n    focal: [[a, b]]\n\
                fine:\n  ubuntu:\n    focal: [libfine-dev]\n";
    let mut rules = Rules::new();
    rules.push(RuleFile::parse(Path::new("bad.yaml"), yaml).unwrap());
    let keys = ["spaced", "upper", "alt", "injected", "empty", "nested"];
    let body: String = keys.iter().map(|k| format!("<exec_depend>{k}</exec_depend>")).collect();
    let m = manifest(&format!("{HEAD}{body}<exec_depend>fine</exec_depend>"));
    let unresolved = resolve(&m, &rules, &target(), &BTreeMap::new()).unwrap_err();
    let got: Vec<&str> = unresolved.iter().map(|u| u.key.as_str()).collect();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{unresolved:#?}");
    for u in &unresolved {
        assert!(u.reason.contains("bad.yaml:"), "the rules file and position: {u:?}");
        assert_eq!(u.kind, UnresolvedKind::NoRuleForTarget);
    }
    // A version attribute is checked too.
    let m =
        manifest(&format!("{HEAD}<exec_depend version_gte=\"1\nPre-Depends: x\">p</exec_depend>"));
    let peers: BTreeMap<String, String> = [("p".to_owned(), "ros-noetic-p".to_owned())].into();
    let unresolved = resolve(&m, &rules, &target(), &peers).unwrap_err();
    assert!(unresolved[0].reason.contains("not a Debian version"), "{unresolved:?}");
}

#[test]
fn a_rosdeb_export_names_the_package_and_sets_its_prefix() {
    let exported = |attrs: &str| {
        manifest(&format!("{HEAD}<export><build_type>cmake</build_type><rosdeb {attrs}/></export>"))
    };
    let m = exported("package=\"demo-tool\" prefix=\"/usr\"");
    assert_eq!(
        layout(&m, "demo_pkg", "noetic").unwrap(),
        Layout { package: "demo-tool".into(), prefix: "/usr".into() }
    );
    let tree = render(&m, &Depends::default(), None).unwrap();
    assert!(tree["debian/control"].contents.contains("Package: demo-tool\n"));
    assert!(tree["debian/rules"].contents.contains("-DCMAKE_INSTALL_PREFIX=\"/usr\""));
    // Nothing under /opt: no dir-or-file-in-opt overrides.
    assert!(!tree.keys().any(|k| k.ends_with(".lintian-overrides")), "{:?}", tree.keys());
    // Without the export: bloom's name and prefix, and the /opt overrides.
    let plain = manifest(HEAD);
    assert_eq!(
        layout(&plain, "demo_pkg", "noetic").unwrap(),
        Layout { package: "ros-noetic-demo-pkg".into(), prefix: "/opt/ros/noetic".into() }
    );
    let tree = render(&plain, &Depends::default(), None).unwrap();
    assert!(tree.contains_key("debian/ros-noetic-demo-pkg.lintian-overrides"));

    // Hostile values are refused where they are read, with the element's place.
    let err = layout(&exported("package=\"Demo Tool\""), "demo_pkg", "noetic").unwrap_err();
    assert!(err.to_string().contains("pkg/package.xml:3:"), "{err}");
    assert!(err.to_string().contains("<export><rosdeb>"), "{err}");
    for prefix in ["/etc", "/usr/../etc", "/opt/../../etc", "relative"] {
        let err =
            layout(&exported(&format!("prefix=\"{prefix}\"")), "demo_pkg", "noetic").unwrap_err();
        assert!(matches!(err, GenerateError::InvalidPrefix { .. }), "{prefix}: {err}");
    }
}
