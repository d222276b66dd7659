//! Unit tests for the daemon loop's checks.

use std::path::{Path, PathBuf};

use rospkg::crawl::Stamp;
use rospkg::environment::Environment;
use rospkg::index::Index;

use super::*;

/// A context whose search path is `root` (and nothing else).
fn context_for(root: &Path, home: &Path) -> Context {
    let env = Environment::from_pairs([
        ("ROS_PACKAGE_PATH", root.to_string_lossy().into_owned()),
        ("ROS_HOME", home.to_string_lossy().into_owned()),
        ("ROSDEB_USR_SHARE", "0".to_owned()),
    ]);
    Context::from_env(env, None, None, false)
}

/// The file system type of `path`.
fn fs_type(path: &Path) -> i64 {
    rustix::fs::statfs(path).expect("statfs").f_type
}

/// Every file system an index reaches is checked, not only the roots': a listed directory on
/// another file system (here /proc, standing for a remote mount under the tree) declines the
/// search path, though its root is local.
#[test]
fn every_file_system_of_an_index_is_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("ws");
    fs_err::create_dir_all(&root).expect("mkdir");
    let elsewhere = PathBuf::from("/proc");
    assert_ne!(fs_type(&root), fs_type(&elsewhere), "the two paths share a file system type");
    let table = [(fs_type(&elsewhere), "remotefs")];
    let index = Index {
        visited: [&root, &elsewhere]
            .into_iter()
            .map(|p| (p.clone(), Stamp::read(p).expect("stamp")))
            .collect(),
        ..Index::default()
    };

    let mut served = Served::new(context_for(&root, &tmp.path().join("home")));
    assert_eq!(remote_among([root.clone()], &table), None, "the root alone looks local");
    served.check_file_systems_among(&index, &table);
    let reason = served.declining.clone().expect("declined");
    assert!(reason.contains("/proc") && reason.contains("remotefs"), "{reason}");
    assert!(served.watcher.is_none(), "the watches of a declined index are released");

    // Nothing remote: nothing declined.
    let mut served = Served::new(context_for(&root, &tmp.path().join("home")));
    served.check_file_systems_among(&index, &[]);
    assert_eq!(served.declining, None);
}
