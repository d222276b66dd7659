//! Unit tests for the index cache: every change on disk is seen at once.

use std::path::Path;

use super::*;

const PKG: &str = r#"<package format="2"><name>NAME</name><version>1.0.0</version>
<description>d</description><maintainer email="m@example.com">m</maintainer><license>BSD</license>
DEPS</package>"#;

fn write_pkg(dir: &Path, name: &str, deps: &[&str]) {
    fs_err::create_dir_all(dir).expect("mkdir");
    let deps: String = deps.iter().map(|d| format!("<depend>{d}</depend>")).collect();
    fs_err::write(dir.join("package.xml"), PKG.replace("NAME", name).replace("DEPS", &deps))
        .expect("write");
}

/// A temporary directory with a workspace root `ws` (the search path) and a cache folder.
struct Scene {
    t: tempfile::TempDir,
    ws: PathBuf,
    cache: PathBuf,
    search: SearchPath,
    opts: CrawlOptions,
}

impl Scene {
    fn new() -> Self {
        let t = tempfile::tempdir().expect("tempdir");
        let ws = t.path().join("ws");
        let cache = t.path().join("cache");
        let search =
            SearchPath { entries: vec![ws.clone()], usr_share: false, ament_prefixes: Vec::new() };
        Scene { t, ws, cache, search, opts: CrawlOptions::default() }
    }
}

/// Simulates time passing: shifts the cache's built time forward so no stamp counts as racy
/// (otherwise every young stamp is checked again and a missed change could not show).
fn age_cache(cache: &Path) {
    let file = fs_err::read_dir(cache).expect("dir").next().expect("file").expect("entry").path();
    let name = file.file_name().and_then(|n| n.to_str()).expect("UTF-8 name").to_owned();
    let dir = PrivateDir::open(cache, false).expect("open the cache folder");
    let mut stored = read_cache(&dir, &name).expect("safe").expect("cache");
    stored.built_ns = now_ns() + 10 * RACY_NS;
    write_cache(&dir, &name, &stored).expect("write");
}

fn names(index: &Index) -> Vec<String> {
    index.entries.iter().filter_map(|e| e.manifests[0].name.clone()).collect()
}

#[test]
fn cache_sees_additions_edits_and_removals() {
    let Scene { t: _t, ws, cache, search, opts } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);

    let (i, outcome) = Index::load(&search, opts, Some(&cache));
    assert_eq!((names(&i), outcome), (vec!["a".to_owned()], CacheOutcome::Miss));

    // Stamps this young are not trusted (coarse timestamps): re-checked, never a blind miss.
    let (_, outcome) = Index::load(&search, opts, Some(&cache));
    assert_ne!(outcome, CacheOutcome::Miss);

    // Add a package: seen at once.
    write_pkg(&ws.join("grp/b"), "b", &["a"]);
    let (i, outcome) = Index::load(&search, opts, Some(&cache));
    assert_eq!(names(&i), ["a", "b"]);
    assert_eq!(outcome, CacheOutcome::Refreshed);

    // Edit a manifest in place (rename the package): seen at once.
    write_pkg(&ws.join("grp/b"), "b2", &["a"]);
    let (i, _) = Index::load(&search, opts, Some(&cache));
    assert_eq!(names(&i), ["a", "b2"]);

    // Remove one: gone at once.
    fs_err::remove_dir_all(ws.join("a")).expect("rm");
    let (i, _) = Index::load(&search, opts, Some(&cache));
    assert_eq!(names(&i), ["b2"]);
}

#[test]
fn cache_sees_a_root_that_comes_back() {
    let Scene { t, ws, cache, search, opts } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);
    Index::load(&search, opts, Some(&cache));

    // The root moves away: nothing found, and that empty index is cached.
    fs_err::rename(&ws, t.path().join("away")).expect("mv");
    let (i, _) = Index::load(&search, opts, Some(&cache));
    assert!(names(&i).is_empty());
    age_cache(&cache);

    // It comes back: seen at once, although no cached directory changed.
    fs_err::rename(t.path().join("away"), &ws).expect("mv");
    let (i, outcome) = Index::load(&search, opts, Some(&cache));
    assert_eq!((names(&i), outcome), (vec!["a".to_owned()], CacheOutcome::Refreshed));
}

#[test]
fn cache_sees_a_dangling_symlink_come_to_life() {
    let Scene { t, ws, cache, search, opts } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);
    std::os::unix::fs::symlink(t.path().join("elsewhere"), ws.join("link")).expect("ln");
    let (i, _) = Index::load(&search, opts, Some(&cache));
    assert_eq!(names(&i), ["a"]);
    age_cache(&cache);

    // The link's target is created: no directory of the tree changes, the package is seen.
    write_pkg(&t.path().join("elsewhere/b"), "b", &[]);
    let (i, outcome) = Index::load(&search, opts, Some(&cache));
    assert_eq!(
        (names(&i), outcome),
        (vec!["a".to_owned(), "b".to_owned()], CacheOutcome::Refreshed)
    );
}

#[test]
fn cache_sees_an_edit_that_keeps_size_and_mtime() {
    let Scene { t: _t, ws, cache, search, opts } = Scene::new();
    write_pkg(&ws.join("a"), "a", &["b"]);
    Index::load(&search, opts, Some(&cache));
    age_cache(&cache);

    // Same length, other dependency, the modification time set back: only ctime tells.
    let manifest = ws.join("a/package.xml");
    let before = fs_err::metadata(&manifest).expect("stat");
    write_pkg(&ws.join("a"), "a", &["c"]);
    let file = fs_err::File::options().write(true).open(&manifest).expect("open");
    file.file().set_modified(before.modified().expect("mtime")).expect("set mtime");
    let after = fs_err::metadata(&manifest).expect("stat");
    assert_eq!((after.len(), after.modified().ok()), (before.len(), before.modified().ok()));

    let (i, outcome) = Index::load(&search, opts, Some(&cache));
    let deps: Vec<&str> = i.entries[0].manifests[0].deps.iter().map(|d| d.name.as_str()).collect();
    assert_eq!((deps, outcome), (vec!["c"], CacheOutcome::Refreshed));
}

#[test]
fn valid_cache_is_a_hit_and_equal_to_a_fresh_crawl() {
    let Scene { t: _t, ws, cache, search, opts } = Scene::new();
    for i in 0..20 {
        write_pkg(&ws.join(format!("g{}/p{i}", i % 3)), &format!("p{i}"), &["p0"]);
    }
    let (first, _) = Index::load(&search, opts, Some(&cache));
    age_cache(&cache);
    let (second, outcome) = Index::load(&search, opts, Some(&cache));
    assert_eq!(outcome, CacheOutcome::Hit);
    assert_eq!(first.entries, second.entries);
}

#[test]
fn corrupt_or_foreign_cache_is_ignored_and_rewritten() {
    let Scene { t: _t, ws, cache, search, opts } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);
    Index::load(&search, opts, Some(&cache));
    let file = fs_err::read_dir(&cache).expect("dir").next().expect("file").expect("entry").path();
    for garbage in [&b""[..], b"RDBIDX\0\x01\x01\0\0\0\xff\xff", b"#SOMETHING\n"] {
        fs_err::write(&file, garbage).expect("write");
        let (i, outcome) = Index::load(&search, opts, Some(&cache));
        assert_eq!((names(&i), outcome), (vec!["a".to_owned()], CacheOutcome::Miss));
        let dir = PrivateDir::open(&cache, false).expect("the cache folder");
        let name = file.file_name().and_then(|n| n.to_str()).expect("UTF-8 name");
        assert!(read_cache(&dir, name).expect("safe").is_some(), "rewritten");
    }
    // No temporary files are left behind.
    assert_eq!(fs_err::read_dir(&cache).expect("dir").count(), 1);
}

#[test]
fn unwritable_cache_dir_still_answers() {
    let t = tempfile::tempdir().expect("tempdir");
    let ws = t.path().join("ws");
    write_pkg(&ws.join("a"), "a", &[]);
    let blocker = t.path().join("file");
    fs_err::write(&blocker, "not a directory").expect("write");
    let search = SearchPath { entries: vec![ws], usr_share: false, ament_prefixes: Vec::new() };
    let (i, _) = Index::load(&search, CrawlOptions::default(), Some(&blocker.join("cache")));
    assert_eq!(names(&i), ["a"]);
}

// ---------------------------------------------------------------------------------------------
// A cache folder or file another user could write is never used (tests run as root in CI:
// `nobody` stands for the other user).

/// The uid of `nobody`.
const NOBODY: u32 = 65534;

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), None).expect("chown (the test needs root)");
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A valid, trusted cache file of another user is not used (it could drop or add packages).
#[test]
fn cache_file_of_another_user_is_refused() {
    let Scene { t: _t, ws, cache, search, opts } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);
    Index::load(&search, opts, Some(&cache));
    age_cache(&cache);
    assert_eq!(Index::load(&search, opts, Some(&cache)).1, CacheOutcome::Hit, "own cache used");
    let file = cache.join(cache_file_name(&search, opts, &cache));
    let before = fs_err::read(&file).expect("cache");
    chown(&file, NOBODY);
    let (i, outcome, why) = Index::load_checked(&search, opts, Some(&cache));
    assert_eq!((names(&i), outcome), (vec!["a".to_owned()], CacheOutcome::Refused));
    let why = why.expect("a reason");
    assert!(matches!(why, PrivateError::Foreign { owner: NOBODY, .. }), "{why}");
    assert!(why.to_string().contains(&file.display().to_string()), "names the file: {why}");
    assert_eq!(fs_err::read(&file).expect("cache"), before, "another user's file was rewritten");
}

/// A cache folder (or file) writable by group or others, or owned by another user, is refused.
#[test]
fn cache_folder_writable_by_others_or_foreign_is_refused() {
    for (what, mode, owner) in
        [("o+w", 0o707, None), ("g+w", 0o770, None), ("nobody's", 0o700, Some(NOBODY))]
    {
        let Scene { t: _t, ws, cache, search, opts } = Scene::new();
        write_pkg(&ws.join("a"), "a", &[]);
        Index::load(&search, opts, Some(&cache));
        age_cache(&cache);
        chmod(&cache, mode);
        if let Some(uid) = owner {
            chown(&cache, uid);
        }
        let (i, outcome, why) = Index::load_checked(&search, opts, Some(&cache));
        assert_eq!(
            (names(&i), outcome),
            (vec!["a".to_owned()], CacheOutcome::Refused),
            "{what} cache folder"
        );
        assert!(why.is_some_and(|w| w.to_string().contains(&cache.display().to_string())));
    }
    // A file writable by others, in a good folder.
    let Scene { t: _t, ws, cache, search, opts } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);
    Index::load(&search, opts, Some(&cache));
    age_cache(&cache);
    chmod(&cache.join(cache_file_name(&search, opts, &cache)), 0o666);
    assert_eq!(Index::load(&search, opts, Some(&cache)).1, CacheOutcome::Refused, "0666 file");
}

/// Symlinks planted at the cache folder or the cache file are not followed: what they point to
/// stays untouched.
#[test]
fn symlinks_under_the_cache_folder_are_not_followed() {
    let Scene { t, ws, search, opts, .. } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);
    // $ROS_HOME/rosdeb -> victim: the cache would be written into the victim folder.
    let ros_home = t.path().join("ros_home");
    let victim = t.path().join("victim");
    fs_err::create_dir_all(&ros_home).expect("mkdir");
    fs_err::create_dir_all(&victim).expect("mkdir");
    std::os::unix::fs::symlink(&victim, ros_home.join("rosdeb")).expect("symlink");
    let cache = ros_home.join("rosdeb").join("index");
    let (i, outcome, why) = Index::load_checked(&search, opts, Some(&cache));
    assert_eq!((names(&i), outcome), (vec!["a".to_owned()], CacheOutcome::Refused));
    assert!(matches!(why, Some(PrivateError::Symlink { .. })), "{why:?}");
    let left: Vec<_> = fs_err::read_dir(&victim).expect("victim").collect();
    assert!(left.is_empty(), "written through the planted folder link: {left:?}");

    // <cache>/<name>.idx -> victim file.
    let cache = t.path().join("own").join("index");
    let target = t.path().join("victim.txt");
    fs_err::write(&target, "keep\n").expect("write");
    fs_err::create_dir_all(&cache).expect("mkdir");
    chmod(&cache, 0o700);
    std::os::unix::fs::symlink(&target, cache.join(cache_file_name(&search, opts, &cache)))
        .expect("symlink");
    let (i, outcome) = Index::load(&search, opts, Some(&cache));
    assert_eq!((names(&i), outcome), (vec!["a".to_owned()], CacheOutcome::Refused));
    assert_eq!(fs_err::read_to_string(&target).expect("victim"), "keep\n");
}

/// The cache file's name depends on the cache folder (so on ROS_HOME), not on the search path
/// alone: it cannot be predicted and planted for another user's ROS_HOME.
#[test]
fn cache_name_depends_on_the_cache_folder() {
    let Scene { t, ws, search, opts, .. } = Scene::new();
    write_pkg(&ws.join("a"), "a", &[]);
    let names: Vec<String> = ["one", "two"]
        .iter()
        .map(|home| {
            let cache = t.path().join(home).join("rosdeb").join("index");
            Index::load(&search, opts, Some(&cache));
            let mut files: Vec<String> = fs_err::read_dir(&cache)
                .expect("cache folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            files.join(",")
        })
        .collect();
    assert_ne!(names[0], names[1], "two ROS_HOMEs, one cache file name");
}
