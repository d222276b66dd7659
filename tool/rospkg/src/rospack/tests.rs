//! Unit tests for the package and stack views.

use std::path::Path;

use super::*;

fn touch(path: &Path, text: &str) {
    fs_err::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs_err::write(path, text).expect("write");
}

fn wet(dir: &Path, name: &str, body: &str) {
    touch(
        &dir.join("package.xml"),
        &format!(
            r#"<package format="2"><name>{name}</name><version>1.0.0</version><description>d</description>
<maintainer email="m@example.com">m</maintainer><license>BSD</license>{body}</package>"#
        ),
    );
}

fn dry(dir: &Path, deps: &[&str]) {
    let deps: String = deps.iter().map(|d| format!(r#"<depend package="{d}"/>"#)).collect();
    touch(&dir.join("manifest.xml"), &format!("<package><license>BSD</license>{deps}</package>"));
}

fn search(entries: &[&Path]) -> SearchPath {
    SearchPath {
        entries: entries.iter().map(|p| p.to_path_buf()).collect(),
        usr_share: false,
        ament_prefixes: vec![],
    }
}

fn names(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.name.as_str()).collect()
}

#[test]
fn first_entry_wins_and_duplicates_are_recorded() {
    let t = tempfile::tempdir().expect("tempdir");
    let (p1, p2) = (t.path().join("p1"), t.path().join("p2"));
    dry(&p1.join("foo"), &[]);
    dry(&p2.join("foo"), &[]);
    dry(&p2.join("baz"), &["foo"]);
    let rp = RosPack::open(&search(&[&p1, &p2]), Options::default());
    assert_eq!(names(rp.list()), ["baz", "foo"]);
    assert_eq!(rp.get_path("foo").expect("found"), p1.join("foo"));
    assert_eq!(rp.duplicates()[0].dirs, [p1.join("foo"), p2.join("foo")]);
    assert!(matches!(rp.get_path("fake"), Err(QueryError::NotFound { .. })));
}

#[test]
fn rospack_dependency_order_and_semantics() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    for n in ["a", "b", "c", "d", "t"] {
        wet(&ws.join(n), n, "");
    }
    wet(
        &ws.join("top"),
        "top",
        "<depend>c</depend><exec_depend>b</exec_depend><build_depend>d</build_depend>\
         <test_depend>t</test_depend><exec_depend>boost</exec_depend>",
    );
    let rp = RosPack::open(&search(&[ws]), Options::default());
    // rospack: exec_depend before depend, build/test ignored, unknown keys not listed.
    assert_eq!(rp.depends1("top").expect("deps"), ["b", "c"]);
    let closure = rp.depends("top").expect("deps");
    assert_eq!(closure.missing.len(), 1);
    assert_eq!(closure.missing[0].1.name, "boost");
    let rospkg = RosPack::open(
        &search(&[ws]),
        Options { semantics: Semantics::Rospkg, ..Options::default() },
    );
    assert_eq!(rospkg.depends1("top").expect("deps"), ["c", "b", "d", "t"]);
    assert_eq!(rp.depends_on("b", false).expect("rdeps"), ["top"]);
}

#[test]
fn conditions_are_evaluated_only_when_asked() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    wet(&ws.join("py2"), "py2", "");
    wet(&ws.join("py3"), "py3", "");
    wet(
        &ws.join("top"),
        "top",
        r#"<exec_depend condition="$ROS_PYTHON_VERSION == 2">py2</exec_depend>
           <exec_depend condition="$ROS_PYTHON_VERSION == 3">py3</exec_depend>"#,
    );
    // format 2 has no condition attribute, so use format 3.
    let text = fs_err::read_to_string(ws.join("top/package.xml"))
        .expect("read")
        .replace("format=\"2\"", "format=\"3\"");
    fs_err::write(ws.join("top/package.xml"), text).expect("write");
    let all = RosPack::open(&search(&[ws]), Options::default());
    assert_eq!(all.depends1("top").expect("deps"), ["py2", "py3"]);
    let env = Environment::from_pairs([("ROS_PYTHON_VERSION", "3")]);
    let evaluated =
        RosPack::open(&search(&[ws]), Options { conditions: Some(env), ..Options::default() });
    assert_eq!(evaluated.depends1("top").expect("deps"), ["py3"]);
}

#[test]
fn broken_manifest_is_a_diagnostic_and_the_rest_still_works() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    wet(&ws.join("good"), "good", "");
    touch(&ws.join("bad/package.xml"), "<package format=\"2\"><name>bad</name");
    let rp = RosPack::open(&search(&[ws]), Options::default());
    assert_eq!(names(rp.list()), ["good"]);
    let problems = rp.problems();
    let problem =
        problems.iter().find(|d| d.path.ends_with("bad/package.xml")).expect("diagnostic");
    assert!(problem.is_error());
    assert!(problem.position.is_some(), "{problem}");
}

#[test]
fn metapackages_are_stacks_not_packages() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    wet(&ws.join("p"), "p", "");
    wet(&ws.join("meta"), "meta", "<exec_depend>p</exec_depend><export><metapackage/></export>");
    touch(&ws.join("st/stack.xml"), "<stack><license>BSD</license></stack>");
    dry(&ws.join("st/inner"), &[]);
    let rp = RosPack::open(&search(&[ws]), Options::default());
    assert_eq!(names(rp.list()), ["inner", "p"]);
    assert_eq!(rp.stack_of("inner").expect("found"), Some("st".to_owned()));
    assert_eq!(rp.stack_of("p").expect("found"), None);
    let rs = RosStack::open(&search(&[ws]), Options::default());
    assert_eq!(names(rs.list()), ["meta", "st"]);
    assert_eq!(rs.packages_of("st").expect("found"), ["inner"]);
    let compat =
        RosStack::open(&search(&[ws]), Options { stack_list_compat: true, ..Options::default() });
    assert_eq!(names(compat.list()), ["meta", "p", "st"]);
}

#[test]
fn cycles_are_errors_naming_every_member() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    dry(&ws.join("c1"), &["c2"]);
    dry(&ws.join("c2"), &["c3"]);
    dry(&ws.join("c3"), &["c1"]);
    dry(&ws.join("user"), &["c2"]);
    let rp = RosPack::open(&search(&[ws]), Options::default());
    assert_eq!(
        rp.depends("user").expect_err("cycle"),
        QueryError::Cycle { members: vec!["c2".into(), "c3".into(), "c1".into()] }
    );
    assert_eq!(rp.cycles(), [vec!["c1".to_owned(), "c2".into(), "c3".into()]]);
    assert_eq!(rp.depends_on("c1", true).expect("rdeps"), ["c2", "c3", "user"]);
}

#[test]
fn stack_versions() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    touch(&d.join("a/stack.xml"), "<stack><version>1.6.0-manifest</version></stack>");
    touch(&d.join("b/stack.xml"), "<stack/>");
    touch(&d.join("b/CMakeLists.txt"), "x\nrosbuild_make_distribution(1.5.0-cmake)\n");
    touch(&d.join("c/stack.xml"), "<stack/>");
    assert_eq!(stack_version_by_dir(&d.join("a")).as_deref(), Some("1.6.0-manifest"));
    assert_eq!(stack_version_by_dir(&d.join("b")).as_deref(), Some("1.5.0-cmake"));
    assert_eq!(stack_version_by_dir(&d.join("c")), None);
}

#[test]
fn package_name_of_walks_up() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    wet(&d.join("dirname_differs"), "real_name", "");
    touch(&d.join("dirname_differs/src/x.cpp"), "");
    assert_eq!(package_name_of(&d.join("dirname_differs/src")).as_deref(), Some("real_name"));
    assert_eq!(package_name_of(d), None);
}

#[test]
fn expand_to_packages_and_system_keys() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path();
    touch(&ws.join("st/stack.xml"), "<stack><license>BSD</license></stack>");
    dry(&ws.join("st/a"), &[]);
    dry(&ws.join("st/b"), &[]);
    wet(
        &ws.join("p"),
        "p",
        "<exec_depend>a</exec_depend><exec_depend>boost</exec_depend><exec_depend>nope</exec_depend>",
    );
    let keys: HashSet<String> = ["boost".to_owned()].into();
    let options = Options { system_keys: Some(std::sync::Arc::new(keys)), ..Options::default() };
    let rp = RosPack::open(&search(&[ws]), options);
    let rs = RosStack::open(&search(&[ws]), Options::default());
    let (valid, invalid) = expand_to_packages(&["p", "st", "zz"], &rp, &rs);
    assert_eq!((valid, invalid), (vec!["p".into(), "a".into(), "b".into()], vec!["zz".to_owned()]));
    let classes: Vec<(&str, DepClass)> =
        rp.dependencies("p").expect("deps").iter().map(|d| (d.name.as_str(), d.class)).collect();
    assert_eq!(
        classes,
        [("a", DepClass::Local), ("boost", DepClass::System), ("nope", DepClass::Unknown)]
    );
}
