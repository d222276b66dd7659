//! Unit tests for the crawler rules.

use std::path::Path;

use super::*;

fn touch(path: &Path, text: &str) {
    fs_err::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs_err::write(path, text).expect("write");
}

fn closed(root: &Path) -> SearchPath {
    SearchPath { entries: vec![root.to_path_buf()], usr_share: false, ament_prefixes: Vec::new() }
}

fn found_dirs(root: &Path, options: CrawlOptions) -> Vec<String> {
    crawl(&closed(root), options)
        .found
        .iter()
        .map(|(f, ())| f.dir.strip_prefix(root).expect("under root").to_string_lossy().into_owned())
        .collect()
}

#[test]
fn rospack_rules() {
    let t = tempfile::tempdir().expect("tempdir");
    let r = t.path();
    touch(&r.join("a/package.xml"), "");
    touch(&r.join("a/inner/package.xml"), ""); // below a package: never seen
    touch(&r.join("b/sub/manifest.xml"), "");
    touch(&r.join("ignored/CATKIN_IGNORE"), "");
    touch(&r.join("ignored/c/package.xml"), "");
    touch(&r.join("colcon/COLCON_IGNORE"), "");
    touch(&r.join("colcon/d/package.xml"), "");
    touch(&r.join(".hidden/e/package.xml"), "");
    touch(&r.join("nosub/rospack_nosubdirs"), "");
    touch(&r.join("nosub/f/package.xml"), "");
    touch(&r.join("stack/stack.xml"), "");
    touch(&r.join("stack/g/manifest.xml"), "");
    assert_eq!(found_dirs(r, CrawlOptions::default()), ["a", "b/sub", "stack", "stack/g"]);
    assert_eq!(
        found_dirs(r, CrawlOptions { ros2_markers: false }),
        ["a", "b/sub", "colcon/d", "stack", "stack/g"]
    );
    let c = crawl(&closed(r), CrawlOptions::default());
    let g = c.found.iter().find(|(f, ())| f.dir.ends_with("stack/g")).expect("g");
    assert!(g.0.inside_stack);
}

#[test]
fn symlink_loops_are_reported_and_not_followed() {
    let t = tempfile::tempdir().expect("tempdir");
    let r = t.path();
    touch(&r.join("x/p/package.xml"), "");
    std::os::unix::fs::symlink("..", r.join("x/loop")).expect("symlink");
    std::os::unix::fs::symlink(r.join("x/p"), r.join("copy")).expect("symlink");
    let c = crawl(&closed(r), CrawlOptions::default());
    let dirs: Vec<_> =
        c.found.iter().map(|(f, ())| f.dir.strip_prefix(r).expect("under").to_owned()).collect();
    assert_eq!(dirs, [Path::new("copy"), Path::new("x/p")]);
    assert_eq!(c.diagnostics.len(), 1, "{:?}", c.diagnostics);
    assert!(c.diagnostics[0].message.contains("symlink loop"));
}

#[test]
fn entry_pointing_at_a_package_and_missing_entries() {
    let t = tempfile::tempdir().expect("tempdir");
    let r = t.path();
    touch(&r.join("p/manifest.xml"), "");
    let search = SearchPath {
        entries: vec![r.join("missing"), r.join("p")],
        usr_share: false,
        ament_prefixes: Vec::new(),
    };
    let c = crawl(&search, CrawlOptions::default());
    assert_eq!(c.found.len(), 1);
    assert_eq!(c.found[0].0.root, 1);
}

#[test]
fn ament_resource_index() {
    let t = tempfile::tempdir().expect("tempdir");
    let prefix = t.path().join("install");
    touch(&prefix.join("share/ament_index/resource_index/packages/demo"), "");
    touch(&prefix.join("share/demo/package.xml"), "");
    touch(&prefix.join("share/ament_index/resource_index/packages/nodir"), "");
    let search =
        SearchPath { entries: Vec::new(), usr_share: false, ament_prefixes: vec![prefix.clone()] };
    let c = crawl(&search, CrawlOptions::default());
    assert_eq!(c.found.len(), 1);
    assert_eq!(c.found[0].0.dir, prefix.join("share/demo"));
}

#[test]
fn usr_share_switch() {
    let env = Environment::from_pairs([(USR_SHARE_ENV, "0")]);
    assert!(!usr_share_default(&env));
    let env = Environment::from_pairs([(USR_SHARE_ENV, "yes")]);
    assert!(usr_share_default(&env));
    let env = Environment::from_pairs([(ROS_PACKAGE_PATH, "a::b:"), (USR_SHARE_ENV, "1")]);
    let s = SearchPath::from_env(&env);
    assert_eq!(s.roots(), ["a", "b", "/usr/share"].map(PathBuf::from).to_vec());
}
