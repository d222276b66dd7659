//! Unit tests of rosdep rules on small inline files: every rule form, precedence between files,
//! tags, distribution packages, the installer policy, sources lists and bad input.

use std::path::Path;

use indexmap::IndexMap;

use super::*;

fn file(text: &str) -> RuleFile {
    RuleFile::parse(Path::new("r.yaml"), text).unwrap()
}

fn rules(texts: &[&str]) -> Rules {
    let mut r = Rules::new();
    for t in texts {
        r.push(file(t));
    }
    r
}

fn t(s: &str) -> Target {
    s.parse().unwrap()
}

fn ok(installer: &str, packages: &[&str]) -> Outcome {
    Ok(Resolution {
        installer: installer.into(),
        packages: packages.iter().map(|p| (*p).to_owned()).collect(),
    })
}

const BASE: &str = "
list: {ubuntu: [a, b], debian: [c]}
string: {ubuntu: 'x y'}
long: {ubuntu: {apt: {packages: [l1, l2]}}}
longcode: {ubuntu: {jammy: {packages: 'z1  z2'}}}
short: {ubuntu: {packages: [s]}}
pip: {ubuntu: {pip: {packages: [tf]}}}
codenames:
  ubuntu:
    focal: [f]
    jammy: null
    '*': [star]
nostar: {ubuntu: {focal: [f]}}
nested: {ubuntu: {jammy: {apt: {packages: [n]}}, noble: {pip: [p]}}}
wild: {'*': {pip: [w]}, debian: [d]}
badwild: {'*': [w]}
nullos: {ubuntu: null}
number: {ubuntu: 5}
src: {ubuntu: {source: {uri: 'http://x/y.rdmanifest'}}}
";

#[test]
fn rule_forms() {
    let r = rules(&[BASE]);
    let j = t("ubuntu:jammy");
    assert_eq!(r.resolve("list", &j), ok("apt", &["a", "b"]));
    assert_eq!(r.resolve("list", &t("debian:bookworm")), ok("apt", &["c"]));
    assert_eq!(r.resolve("string", &j), ok("apt", &["x", "y"]));
    assert_eq!(r.resolve("long", &j), ok("apt", &["l1", "l2"]));
    assert_eq!(r.resolve("longcode", &j), ok("apt", &["z1", "z2"]));
    // Directly under the OS, `packages` is read as a codename, as rosdep does.
    assert_eq!(r.resolve("short", &j), Err(Failure::NoCodename));
    assert_eq!(r.resolve("pip", &j), ok("pip", &["tf"]));
    assert_eq!(r.resolve("codenames", &t("ubuntu:focal")), ok("apt", &["f"]));
    assert_eq!(r.resolve("codenames", &j), Err(Failure::NotAvailable));
    assert_eq!(r.resolve("codenames", &t("ubuntu:noble")), ok("apt", &["star"]));
    assert_eq!(r.resolve("nostar", &j), Err(Failure::NoCodename));
    assert_eq!(r.resolve("nested", &j), ok("apt", &["n"]));
    assert_eq!(r.resolve("nested", &t("ubuntu:noble")), ok("pip", &["p"]));
    assert_eq!(r.resolve("wild", &j), ok("pip", &["w"]));
    assert_eq!(r.resolve("wild", &t("debian:bookworm")), ok("apt", &["d"]));
    assert!(matches!(r.resolve("badwild", &j), Err(Failure::Invalid(m)) if m.contains("r.yaml:")));
    assert_eq!(r.resolve("nullos", &j), Err(Failure::NotAvailable));
    assert!(matches!(r.resolve("number", &j), Err(Failure::Invalid(m)) if m.contains("value 5")));
    assert_eq!(r.resolve("src", &j), Err(Failure::SourceInstaller));
    assert_eq!(r.resolve("list", &t("fedora:39")), Err(Failure::NoOs));
    assert_eq!(r.resolve("missing", &j), Err(Failure::NoRule));
    assert_eq!(r.resolve("list", &t("plan9:4")), Err(Failure::UnsupportedOs));
}

#[test]
fn first_file_wins_per_os() {
    let r = rules(&["k: {ubuntu: [first]}\n", "k: {ubuntu: [second], debian: [deb]}\n"]);
    assert_eq!(r.resolve("k", &t("ubuntu:jammy")), ok("apt", &["first"]));
    // The later file still adds the OS the first does not mention (rosdep's reverse_merge).
    assert_eq!(r.resolve("k", &t("debian:bookworm")), ok("apt", &["deb"]));
    // A named OS in a later file beats a wildcard in an earlier one.
    let r = rules(&["k: {'*': {pip: [w]}}\n", "k: {ubuntu: [u]}\n"]);
    assert_eq!(r.resolve("k", &t("ubuntu:jammy")), ok("apt", &["u"]));
}

#[test]
fn tags_select_files_per_target() {
    let mut r = Rules::new();
    let mut tagged = file("k: {ubuntu: [tagged]}\n");
    tagged.tags = vec!["focal".into()];
    r.push(tagged);
    r.push(file("k: {ubuntu: [plain]}\n"));
    assert_eq!(r.resolve("k", &t("ubuntu:focal")), ok("apt", &["tagged"]));
    assert_eq!(r.resolve("k", &t("ubuntu:jammy")), ok("apt", &["plain"]));
}

fn distro() -> RosDistro {
    let mut platforms = IndexMap::new();
    platforms.insert("ubuntu".to_owned(), vec!["jammy".to_owned()]);
    platforms.insert("rhel".to_owned(), vec!["8".to_owned()]);
    let mut packages = IndexMap::new();
    packages.insert("std_msgs".to_owned(), "common_msgs".to_owned());
    packages.insert("both".to_owned(), "both".to_owned());
    RosDistro { name: "humble".into(), platforms, packages }
}

#[test]
fn distribution_packages() {
    let mut r = rules(&["both: {debian: [from-yaml]}\n"]);
    r.set_distro(distro());
    assert!(r.is_ros_package("std_msgs"));
    assert_eq!(r.resolve("std_msgs", &t("ubuntu:jammy")), ok(ROS_INSTALLER, &["std_msgs"]));
    assert_eq!(r.resolve("std_msgs", &t("rhel:8")), ok(ROS_INSTALLER, &["std_msgs"]));
    let not = Err(Failure::NotReleased {
        distro: "humble".into(),
        platforms: vec!["ubuntu:jammy".into(), "rhel:8".into()],
    });
    assert_eq!(r.resolve("std_msgs", &t("ubuntu:focal")), not);
    assert_eq!(r.resolve("std_msgs", &t("debian:bookworm")), not);
    assert_eq!(
        r.resolve("std_msgs", &t("osx:sonoma")),
        ok("homebrew", &["ros/humble/common_msgs"])
    );
    // The rule file wins for the OSes it names; the distribution fills in the others.
    assert_eq!(r.resolve("both", &t("debian:bookworm")), ok("apt", &["from-yaml"]));
    assert_eq!(r.resolve("both", &t("ubuntu:jammy")), ok(ROS_INSTALLER, &["both"]));
    assert!(r.keys().contains(&"std_msgs"));
    assert!(r.resolve("std_msgs", &t("ubuntu:focal")).unwrap_err().to_string().contains("humble"));
}

#[test]
fn default_installer_policy_and_table() {
    let mut r = rules(&[BASE]);
    r.set_distro(distro());
    let strict = Policy { default_installer_only: true };
    let targets = [t("ubuntu:jammy"), t("ubuntu:focal")];
    let table = r.resolve_table(&["pip", "list", "std_msgs"], &targets, strict);
    assert_eq!(table.len(), 3);
    assert_eq!(
        table["pip"][&targets[0]],
        Err(Failure::WrongInstaller {
            installer: "pip".into(),
            default: "apt".into(),
            packages: vec!["tf".into()]
        })
    );
    assert_eq!(table["list"][&targets[1]], ok("apt", &["a", "b"]));
    assert_eq!(table["std_msgs"][&targets[0]], ok(ROS_INSTALLER, &["std_msgs"]));
    assert!(table["std_msgs"][&targets[1]].is_err());
    let msg = table["pip"][&targets[0]].clone().unwrap_err().to_string();
    assert_eq!(msg, "only a pip rule (tf), not apt");
}

#[test]
fn default_installers() {
    assert_eq!(default_installer(&t("ubuntu:jammy")), Some("apt"));
    assert_eq!(default_installer(&t("fedora:39")), Some("dnf"));
    assert_eq!(default_installer(&t("fedora:21")), Some("yum"));
    assert_eq!(default_installer(&t("rhel:8")), Some("dnf"));
    assert_eq!(default_installer(&t("rhel:7")), Some("yum"));
    assert_eq!(default_installer(&t("plan9:4")), None);
    assert!("ubuntu".parse::<Target>().is_err());
    assert!(":jammy".parse::<Target>().is_err());
    assert_eq!(t("ubuntu:jammy").to_string(), "ubuntu:jammy");
}

#[test]
fn bad_files_are_positioned_errors() {
    let d =
        RuleFile::parse(Path::new("b.yaml"), "a: {ubuntu: [x]}\na: {ubuntu: [y]}\n").unwrap_err();
    assert!(d.to_string().starts_with("b.yaml:2:"), "{d}");
    let d = RuleFile::parse(Path::new("b.yaml"), "- a\n- b\n").unwrap_err();
    assert!(d.message.contains("map") && d.position.is_some(), "{d}");
    let f = RuleFile::parse(Path::new("b.yaml"), "good: {ubuntu: [x]}\nbad: [y]\n").unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f.diagnostics.len(), 1);
    assert_eq!(f.diagnostics[0].position.map(|p| p.line), Some(2));
    assert!(RuleFile::parse(Path::new("e.yaml"), "# nothing\n").unwrap().is_empty());
    let d = RuleFile::parse(Path::new("b.yaml"), "a: [unclosed\n").unwrap_err();
    assert!(d.position.is_some(), "{d}");
}

#[test]
fn sources_lists() {
    let text = "# comment\n\nyaml file:///r/base.yaml\n  yaml https://x/osx.yaml osx\ngbpdistro https://x/fuerte.yaml fuerte\n";
    let e = sources::parse(Path::new("10.list"), text).unwrap();
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].url, "file:///r/base.yaml");
    assert!(e[0].tags.is_empty());
    assert_eq!(e[1].tags, ["osx"]);
    assert_eq!(e[1].place(), "10.list:4");
    assert_eq!(e[2].kind, sources::Kind::Gbpdistro);
    let d = sources::parse(Path::new("x.list"), "yaml\n").unwrap_err();
    assert_eq!(d.position, Some(crate::Position::new(1, 1)));
    let d = sources::parse(Path::new("x.list"), "ok file:///a\n  tarball x\n").unwrap_err();
    assert!(d.to_string().starts_with("x.list:1:1"), "{d}");
}

#[test]
fn sources_dirs_and_loading() {
    let dir = tempfile::tempdir().unwrap();
    let rules_path = dir.path().join("base.yaml");
    fs_err::write(&rules_path, "k: {ubuntu: [v]}\n").unwrap();
    let lists = dir.path().join("lists");
    fs_err::create_dir_all(&lists).unwrap();
    fs_err::write(lists.join("20-b.list"), "yaml https://example.org/b.yaml\n").unwrap();
    fs_err::write(lists.join("10-a.list"), format!("yaml file://{}\n", rules_path.display()))
        .unwrap();
    fs_err::write(lists.join("ignored.txt"), "junk\n").unwrap();
    let source_path = format!("{}:/does/not/exist", lists.display());
    let dirs = sources::list_dirs(Some(&source_path));
    assert_eq!(dirs, std::slice::from_ref(&lists));
    let entries = sources::read_dirs(&dirs).unwrap();
    assert_eq!(entries.len(), 2);
    let f = RuleFile::load(&entries[0].url, entries[0].tags.clone()).unwrap();
    assert_eq!(f.get("k").unwrap().os["ubuntu"], Data::Seq(vec![Data::Str("v".into())]));
    assert!(matches!(RuleFile::load(&entries[1].url, vec![]), Err(Error::Unsupported { .. })));
}

#[test]
fn package_names_must_be_non_empty_strings_without_whitespace() {
    let r = rules(&[r#"
nested: {ubuntu: {focal: [[a, b]]}}
number: {ubuntu: [7]}
empty: {ubuntu: [""]}
newline: {ubuntu: ["a\nPre-Depends: evil"]}
spaced: {ubuntu: ["a b"]}
long: {ubuntu: {apt: {packages: [[x]]}}}
string: {ubuntu: "a  b"}
fine: {ubuntu: [UPPER, "x|y"]}
"#]);
    let focal = t("ubuntu:focal");
    for key in ["nested", "number", "empty", "newline", "spaced", "long"] {
        match r.resolve(key, &focal) {
            Err(Failure::Invalid(m)) => {
                assert!(m.starts_with("r.yaml:") && m.contains(key), "{key}: {m}");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    // A string rule is split on spaces, as rosdep does; repeated spaces give no empty name.
    assert_eq!(r.resolve("string", &focal), ok("apt", &["a", "b"]));
    // What a valid name is for an installer is not this library's business.
    assert_eq!(r.resolve("fine", &focal), ok("apt", &["UPPER", "x|y"]));
    assert_eq!(r.place_of("fine", &focal).as_deref(), Some("r.yaml:9:7"));
}
