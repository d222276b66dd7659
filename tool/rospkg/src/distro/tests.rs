//! Unit tests of the distribution readers on small inline documents: rospkg's legacy rules and
//! variants, rosdistro's distribution / index / cache rules, and bad input (alias bombs,
//! duplicate keys, wrong types, unknown versions, truncated gzip) giving positioned errors.

use std::io::Write as _;
use std::path::Path;

use super::distribution::{self, Loaded};
use super::legacy::{self, Branch, VcsKind, expand_rule};
use super::{Error, index, read_text, resolve_source};
use crate::diagnostic::Position;

fn legacy_ok(text: &str) -> legacy::Distro {
    legacy::parse_distro(Path::new("t.rosdistro"), text).unwrap()
}

fn legacy_err(text: &str) -> crate::Diagnostic {
    legacy::parse_distro(Path::new("t.rosdistro"), text).unwrap_err()
}

const RULES: &str = "_rules:\n  r:\n    repo: wg\n    svn: {dev: 'https://x/$STACK_NAME/trunk', distro-tag: 'https://x/$STACK_NAME/tags/$RELEASE_NAME', release-tag: 'https://x/$STACK_NAME/tags/$STACK_NAME-$STACK_VERSION'}\n  g:\n    git: {uri: 'git://g/$STACK_NAME.git', anon-uri: 'https://g/$STACK_NAME.git', dev-branch: master, distro-tag: '$RELEASE_NAME', release-tag: '$STACK_NAME-$STACK_VERSION'}\n";

#[test]
fn expand_rule_is_plain_substring_replacement() {
    assert_eq!(expand_rule("$STACK_NAME-$STACK_VERSION", "s", Some("1.0"), "d"), "s-1.0");
    assert_eq!(expand_rule("$STACK_NAME-$STACK_VERSION", "s", None, "d"), "s-$STACK_VERSION");
    assert_eq!(expand_rule("$STACK_NAME-$STACK_VERSION", "s", Some(""), "d"), "s-$STACK_VERSION");
    assert_eq!(
        expand_rule("$RELEASE_NAME_released", "s", None, "diamondback"),
        "diamondback_released"
    );
    assert_eq!(expand_rule("$DISTRO_NAME", "s", None, "d"), "$DISTRO_NAME");
}

#[test]
fn stacks_rules_and_vcs_configs() {
    let d = legacy_ok(&format!(
        "{RULES}release: rel\nversion: '$Revision: 42 $'\nstacks:\n  _rules: r\n  a: {{version: 1.2.3}}\n  b: {{_rules: g, version: 0.1.0}}\n  c: {{version: ~}}\n"
    ));
    assert_eq!(d.release_name, "rel");
    assert_eq!(d.version, "r42");
    assert_eq!(d.stacks.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
    let a = d.stacks["a"].vcs_config.as_ref().unwrap();
    assert_eq!(a.kind, VcsKind::Svn);
    assert_eq!(d.stacks["a"].repo.as_deref(), Some("wg"));
    assert_eq!(a.get_branch(Branch::Release, true), ("https://x/a/tags/a-1.2.3".into(), None));
    assert_eq!(a.get_branch(Branch::Distro, false).0, "https://x/a/tags/rel");
    assert_eq!(a.tarball_version, "a-1.2.3");
    let b = d.stacks["b"].vcs_config.as_ref().unwrap();
    assert_eq!(b.kind, VcsKind::Git);
    assert_eq!(
        b.get_branch(Branch::Devel, true),
        ("https://g/b.git".into(), Some("master".into()))
    );
    assert_eq!(b.get_branch(Branch::Devel, false).0, "git://g/b.git");
    assert_eq!(b.get_branch(Branch::Release, false).1.as_deref(), Some("b-0.1.0"));
    assert_eq!(b.get_branch(Branch::ReleaseTar, false).1.as_deref(), Some("b-0.1.0"));
    // Unreleased: `$STACK_VERSION` stays.
    let c = d.stacks["c"].vcs_config.as_ref().unwrap();
    assert_eq!(c.get_branch(Branch::Release, false).0, "https://x/c/tags/c-$STACK_VERSION");
    assert_eq!(d.released_stacks().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn version_forms() {
    let base = format!("{RULES}release: r\nstacks: {{}}\n");
    assert_eq!(legacy_ok(&base).version, "0");
    assert_eq!(legacy_ok(&format!("{base}version: $Revision$\n")).version, "0");
    assert_eq!(legacy_ok(&format!("{base}version: 7\n")).version, "7");
    assert_eq!(legacy_ok(&format!("{base}version: 1.0+b~1\n")).version, "1.0+b~1");
    let e = legacy_err(&format!("{base}version: 'a b'\n"));
    assert!(e.message.contains("not valid"), "{e}");
    assert_eq!(e.position, Some(Position::new(9, 10)));
}

#[test]
fn variants_put_each_parent_in_front_without_dedup() {
    let d = legacy_ok(&format!(
        "{RULES}release: r\nstacks: {{}}\nvariants:\n- base: {{stacks: [ros]}}\n- a: {{extends: base, stacks: [x]}}\n- b: {{extends: base, stacks: [y]}}\n- ab: {{extends: [a, b], stacks: [z]}}\n- lone: {{}}\n"
    ));
    assert_eq!(d.variants["a"].get_stack_names(true), ["ros", "x"]);
    assert_eq!(d.variants["a"].get_stack_names(false), ["x"]);
    // rospkg: implicit = parent(b) + (parent(a) + own)
    assert_eq!(d.variants["ab"].get_stack_names(true), ["ros", "y", "ros", "x", "z"]);
    assert!(d.variants["lone"].get_stack_names(true).is_empty());
}

#[test]
fn legacy_errors_name_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("- a\n", "must be a dictionary"),
        ("stacks: {}\n", "missing required 'release'"),
        ("release: r\n", "missing required 'stacks'"),
        ("release: r\nstacks: {a: {version: 1}}\n", "no VCS rules for stack [a]"),
        ("release: r\nstacks: {a: {_rules: nope}}\n", "no _rules named [nope]"),
        ("release: r\nstacks: {a: {_rules: 1}}\n", "invalid rules: 1 <class 'int'>"),
        ("release: r\nstacks: {a: {_rules: {svn: {dev: x}}}}\n", "missing required distro-tag"),
        ("release: r\nstacks: {a: {_rules: {git: {uri: x}}}}\n", "missing required dev-branch"),
        ("release: r\nstacks: {}\nvariants: s\n", "invalid variant spec: s"),
        ("release: r\nstacks: {}\nvariants: [x]\n", "invalid variant spec: x"),
        ("release: r\nstacks: {}\nvariants:\n- a: {extends: b}\n- b: {extends: a}\n", "cycle"),
        ("release: r\nstacks: {}\nvariants:\n- a: {extends: zz}\n", "unknown variant [zz]"),
        ("release: r\nstacks: {a: [1]}\n", "must be a mapping"),
        ("", "empty"),
        ("release: r\nrelease: s\nstacks: {}\n", "duplicate"),
        ("release: [\n", "invalid YAML"),
    ];
    for (text, want) in cases {
        let e = legacy_err(text);
        assert!(e.message.contains(want), "{text:?}: {e}");
        assert_eq!(e.path, Path::new("t.rosdistro"));
    }
}

#[test]
fn scalars_are_typed_like_pyyaml() {
    // PyYAML (YAML 1.1) reads `y`, `n`, `yEs` as strings; only its exact bool words are bools.
    let d = legacy_ok("release: r\nstacks: {}\nvariants:\n- v: {stacks: [y, n, yEs, 1.10]}\n");
    assert_eq!(d.variants["v"].get_stack_names(true), ["y", "n", "yEs", "1.1"]);
    let d = legacy_ok("release: r\nstacks: {}\nvariants:\n- v: {stacks: [Yes, off, true]}\n");
    assert_eq!(d.variants["v"].get_stack_names(true), ["True", "False", "True"]);
}

#[test]
fn rules_without_a_known_vcs_give_no_config() {
    let d = legacy_ok(
        "release: r\nstacks:\n  _rules: {dev-svn: 'x/$STACK_NAME'}\n  a: {version: 1.0.0}\n",
    );
    assert!(d.stacks["a"].vcs_config.is_none());
}

const DIST: &str = "%YAML 1.1\n---\nrelease_platforms:\n  ubuntu: [focal]\nrepositories:\n  one:\n    release:\n      packages: [p2, p1]\n      tags: {release: 'release/x/{package}/{version}'}\n      url: https://e/one-release.git\n      version: 1.2.3-1\n    source: {type: git, url: https://e/one.git, version: main, test_pull_requests: true}\n    status: maintained\n  two:\n    release: {url: https://e/two.git}\n    doc: {type: git, url: https://e/two.git, version: main, depends: [one]}\ntags: [a]\ntype: distribution\nversion: 2\n";

fn dist(text: &str) -> distribution::DistributionFile {
    match distribution::parse(Path::new("d.yaml"), text, "x").unwrap() {
        Loaded::Distribution(d) => d,
        Loaded::Cache(_) => panic!("a cache"),
    }
}

fn dist_err(text: &str) -> crate::Diagnostic {
    distribution::parse(Path::new("d.yaml"), text, "x").unwrap_err()
}

#[test]
fn distribution_packages_versions_and_sections() {
    let d = dist(DIST);
    assert!(d.is_valid(), "{:?}", d.diagnostics);
    assert_eq!(d.release_packages.keys().collect::<Vec<_>>(), ["p1", "p2", "two"]);
    assert_eq!(d.package_version("p1"), Some("1.2.3-1"));
    assert_eq!(d.package_version("two"), None);
    assert_eq!(d.release_platforms["ubuntu"], ["focal"]);
    let one = d.repositories["one"].release.as_ref().unwrap();
    assert_eq!(one.upstream_version(), Some("1.2.3"));
    assert_eq!(one.release_tag("p1").as_deref(), Some("release/x/p1/1.2.3-1"));
    assert_eq!(d.repositories["one"].source.as_ref().unwrap().test_pull_requests, Some(true));
    assert_eq!(d.repositories["two"].doc.as_ref().unwrap().depends, ["one"]);
    assert_eq!(d.tags, ["a"]);
}

#[test]
fn distribution_problems_rosdistro_asserts_on() {
    let d = dist(
        "type: distribution\nversion: 2\nrelease_platforms: {ubuntu: [a, a]}\nrepositories:\n  r1: {release: {url: u, version: 1-1}, status: bogus}\n  r2: {release: {url: u, packages: [r1]}}\n  r3: {doc: {url: u, depends: [nope]}}\n  r4: {release: {url: u, type: svn}}\n",
    );
    let text: Vec<String> = d.diagnostics.iter().map(ToString::to_string).collect();
    let all = text.join("\n");
    for want in [
        "no 'release' tag",
        "invalid status 'bogus'",
        "duplicate package name 'r1'",
        "non-existing repository 'nope'",
        "not git or tar",
        "multiple times",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
    assert!(d.diagnostics.iter().all(|d| d.position.is_some()), "{all}");
    assert!(!d.is_valid());
}

#[test]
fn distribution_structural_errors_have_positions() {
    let e = dist_err("type: distribution\nversion: 3\n");
    assert!(e.message.contains("format version '3'"), "{e}");
    assert_eq!(e.position, Some(Position::new(2, 10)));
    let e = dist_err("type: index\nversion: 4\n");
    assert!(e.hint.as_deref().unwrap_or("").contains("--index"), "{e}");
    let e = dist_err("type: distribution\nversion: 2\nrepositories:\n  a:\n    release: [1]\n");
    assert!(e.message.contains("a.release must be a mapping"), "{e}");
    assert_eq!(e.position.map(|p| p.line), Some(5));
    let e = dist_err("type: distribution\nversion: 2\nrepositories:\n  a: {}\n  a: {}\n");
    assert!(e.message.contains("duplicate mapping key"), "{e}");
    assert_eq!(e.position.map(|p| p.line), Some(5));
    let e = dist_err("version: 2\n");
    assert!(e.message.contains("'distribution'"), "{e}");
}

#[test]
fn alias_bomb_is_rejected_quickly() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        text.push_str(&format!("{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = n;
    }
    let started = std::time::Instant::now();
    let e = dist_err(&text);
    assert!(e.message.contains("invalid YAML"), "{e}");
    assert!(e.position.is_some(), "{e}");
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn merge_later_files_override() {
    let mut a = dist(DIST);
    let b = dist(
        "type: distribution\nversion: 2\nrelease_platforms: {ubuntu: [focal]}\nrepositories:\n  one: {release: {url: u, version: 9-1, tags: {release: t}, packages: [p3]}}\ntags: [a, b]\n",
    );
    a.merge(b, Path::new("b.yaml"));
    assert_eq!(a.release_packages.keys().collect::<Vec<_>>(), ["two", "p3"]);
    assert_eq!(a.package_version("p3"), Some("9-1"));
    assert_eq!(a.tags, ["a", "b"]);
    assert!(a.is_valid(), "{:?}", a.diagnostics);
}

#[test]
fn cache_carries_distribution_and_package_xmls() {
    let text = "type: cache\nversion: 2\nname: x\ndistribution_file:\n- type: distribution\n  version: 2\n  repositories: {r: {release: {url: u, version: 1-1, tags: {release: t}}}}\nrelease_package_xmls: {r: '<package/>'}\n";
    let Loaded::Cache(c) = distribution::parse(Path::new("c.yaml"), text, "").unwrap() else {
        panic!("not a cache")
    };
    assert_eq!(c.name, "x");
    assert_eq!(c.distribution.package_version("r"), Some("1-1"));
    assert_eq!(c.release_package_xmls["r"], "<package/>");
    let e = distribution::parse(Path::new("c.yaml"), "type: cache\nversion: 1\nname: x\n", "")
        .unwrap_err();
    assert!(e.message.contains("'cache' format version '1'"), "{e}");
}

#[test]
fn gzip_is_read_and_truncation_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(DIST.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let good = dir.path().join("d.yaml.gz");
    fs_err::write(&good, &bytes).unwrap();
    assert_eq!(read_text(&good).unwrap(), DIST);
    let bad = dir.path().join("t.yaml.gz");
    fs_err::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let e = read_text(&bad).unwrap_err();
    assert!(e.to_string().contains("truncated gzip"), "{e}");
    assert!(e.to_string().contains("t.yaml.gz"), "{e}");
}

#[test]
fn index_versions_and_entries() {
    let p = Path::new("/data/index.yaml");
    let v4 = "type: index\nversion: 4\ndistributions:\n  b:\n    distribution: [b/distribution.yaml, /abs/o.yaml]\n    distribution_cache: http://c/b-cache.yaml.gz\n    distribution_status: active\n    distribution_type: ros2\n    python_version: 3\n    future_key: ignored\n  a:\n    distribution: [a/distribution.yaml]\n";
    let idx = index::parse(p, v4).unwrap();
    assert_eq!(idx.distributions.keys().collect::<Vec<_>>(), ["a", "b"]);
    let b = &idx.distributions["b"];
    assert_eq!(b.distribution, ["/data/b/distribution.yaml", "/abs/o.yaml"]);
    assert_eq!(b.distribution_cache.as_deref(), Some("http://c/b-cache.yaml.gz"));
    assert_eq!(b.python_version, Some(3));
    let v2 = "type: index\nversion: 2\ndistributions:\n  a: {distribution: a/d.yaml, release_builds: []}\n";
    assert_eq!(index::parse(p, v2).unwrap().distributions["a"].distribution, ["/data/a/d.yaml"]);
    let bad: &[(&str, &str)] = &[
        ("type: index\nversion: 1\n", "anymore"),
        ("type: index\nversion: 5\n", "format version '5'"),
        ("type: index\nversion: 3\ndistributions: {a: {distribution: x}}\n", "wrong type"),
        ("type: index\nversion: 3\ndistributions: {a: {python_version: 3}}\n", "does not allow"),
        ("type: index\nversion: 3\ndistributions: {a: {zzz: 3}}\n", "unknown key"),
        ("type: index\nversion: 4\ndistributions: {a: {python_version: x}}\n", "wrong type"),
        ("type: distribution\nversion: 2\n", "'index'"),
    ];
    for (text, want) in bad {
        let e = index::parse(p, text).unwrap_err();
        assert!(e.message.contains(want), "{text:?}: {e}");
        assert!(e.position.is_some(), "{text:?}: {e}");
    }
}

#[test]
fn sources_are_paths_or_file_urls() {
    assert_eq!(resolve_source("a/b.yaml").unwrap(), Path::new("a/b.yaml"));
    assert_eq!(resolve_source("file:///x/a%20b.yaml").unwrap(), Path::new("/x/a b.yaml"));
    assert_eq!(resolve_source("file://localhost/x").unwrap(), Path::new("/x"));
    assert!(matches!(resolve_source("https://h/x.yaml"), Err(Error::Unsupported { .. })));
    assert!(matches!(resolve_source("http://h/x.yaml"), Err(Error::Unsupported { .. })));
}

#[test]
fn rep137_release_file_packages() {
    let text = "type: release\nversion: 1\nplatforms: {ubuntu: [precise, quantal]}\nrepositories:\n  catkin: {url: u, version: 0.5.65-0, tags: {release: 'release/hydro/{package}/{version}'}}\n  ros_comm:\n    url: v\n    version: 1.9.41-0\n    tags: {release: t}\n    packages: {rosbag: tools/rosbag, roscpp: null}\n";
    let d = dist(text);
    assert_eq!(d.format, distribution::Format::Release);
    assert_eq!(d.release_packages.keys().collect::<Vec<_>>(), ["catkin", "rosbag", "roscpp"]);
    assert_eq!(d.package_version("roscpp"), Some("1.9.41-0"));
    assert_eq!(d.release_platforms["ubuntu"], ["precise", "quantal"]);
    let e = dist_err("type: release\nversion: 2\n");
    assert!(e.message.contains("'release' format version '2'"), "{e}");
}

/// The two-thread parse of a distribution file (split at `repositories:`) gives exactly the
/// model of the ordinary parse, on every real distribution file.
#[test]
fn split_parse_equals_whole_parse() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/data/rosdistro");
    let mut checked = 0;
    for distro in ["noetic", "melodic", "humble", "jazzy"] {
        let path = data.join(distro).join("distribution.yaml");
        let Ok(text) = fs_err::read_to_string(&path) else { continue };
        let (first, second) = super::yaml::split_section(&text, "repositories").expect("splits");
        let split = super::yaml::without_positions(|| {
            super::distribution::parse_split(&path, &first, &second, distro)
        })
        .expect("split parse");
        let whole = super::yaml::without_positions(|| {
            super::distribution::parse_tree(&path, &text, distro)
        })
        .expect("whole parse");
        assert_eq!(split, whole, "{distro}");
        checked += 1;
    }
    assert!(checked == 4 || !data.exists(), "the real distribution files were not all read");
    // Small or unusual documents are parsed whole.
    assert!(
        super::yaml::split_section("repositories:\n  a:\n    x: 1\n", "repositories").is_none()
    );
    assert!(super::yaml::split_section("repositories: {a: 1}\n", "repositories").is_none());
}
