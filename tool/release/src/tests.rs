//! Unit tests of the release crate: versions, ref components, tracks.yaml quoting.

use super::*;

#[test]
fn versions_compare_numerically() {
    assert_eq!(compare_versions("1.10.0", "1.9.0"), std::cmp::Ordering::Greater);
    assert!(check_version_text("1.2.3").is_ok());
    assert!(check_version_text("1.2").is_err());
    assert!(check_version_text("1.2.3-1").is_err());
}

#[test]
fn ref_components_refuse_hostile_names() {
    assert!(is_ref_component("std_msgs"));
    for bad in ["", "a/b", "..", "a b", "-x", "a\nb", "a~1", "a:b"] {
        assert!(!is_ref_component(bad), "{bad:?}");
    }
}

#[test]
fn tracks_yaml_quotes_the_uri() {
    let t = tracks_yaml("noetic", "file:///x'y", "1.0.0", 2).unwrap();
    assert!(t.contains("    vcs_uri: 'file:///x''y'\n"), "{t}");
    assert!(tracks_yaml("noetic", "a\nb: c", "1.0.0", 1).is_err());
}

fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// An upstream repository with one package tagged 1.0.0 and an empty bare release repository.
fn repos() -> (tempfile::TempDir, Request) {
    let dir = tempfile::tempdir().unwrap();
    let up = dir.path().join("up");
    fs_err::create_dir_all(up.join("pkg_a")).unwrap();
    fs_err::write(
        up.join("pkg_a/package.xml"),
        "<package format=\"2\"><name>pkg_a</name><version>1.0.0</version><description>d\
         </description><maintainer email=\"m@example.org\">m</maintainer><license>BSD</license>\
         </package>\n",
    )
    .unwrap();
    run_git(&up, &["init", "-q"]);
    run_git(&up, &["add", "-A"]);
    run_git(&up, &["commit", "-q", "-m", "1.0.0"]);
    run_git(&up, &["tag", "1.0.0"]);
    run_git(dir.path(), &["init", "-q", "--bare", "rel.git"]);
    let req = Request {
        distro: "noetic".into(),
        upstream: up.display().to_string(),
        vcs_uri: "https://example.org/up.git".into(),
        release_repo: dir.path().join("rel.git"),
        version: None,
        platforms: vec![Platform { os: "ubuntu".into(), codename: "focal".into() }],
        author_name: "rosdeb".into(),
        author_email: "rosdeb@localhost".into(),
        time: 1_700_000_000,
    };
    (dir, req)
}

fn good_tree() -> DebianTree {
    let mut t = DebianTree::new();
    t.insert(
        "control".into(),
        (b"Source: ros-noetic-pkg-a\n\nPackage: ros-noetic-pkg-a\n".to_vec(), false),
    );
    t.insert(
        "changelog".into(),
        (b"ros-noetic-pkg-a (1.0.0-1focal) focal; urgency=high\n".to_vec(), false),
    );
    t.insert("rules".into(), (b"#!/usr/bin/make -f\n".to_vec(), true));
    t.insert("source/format".into(), (b"3.0 (quilt)\n".to_vec(), false));
    t
}

fn refs_of(req: &Request) -> String {
    run_git(&req.release_repo, &["for-each-ref", "--format=%(refname) %(objectname)"])
}

#[test]
fn a_failed_verification_changes_nothing() {
    let (_dir, req) = repos();
    // A renderer that forgets debian/control: the scratch copy fails verification.
    let mut render = |_: &RenderRequest<'_>| {
        let mut t = good_tree();
        t.remove("control");
        Ok(t)
    };
    let e = release(&req, &mut render).unwrap_err();
    assert!(matches!(e, Error::Verify(_)), "{e}");
    assert_eq!(refs_of(&req), "");
    // Nothing was written into the release repository's objects either.
    let objects = run_git(&req.release_repo, &["count-objects"]);
    assert!(objects.starts_with("0 objects"), "{objects}");

    let mut render = |_: &RenderRequest<'_>| Ok(good_tree());
    let out = release(&req, &mut render).unwrap();
    assert_eq!(out.inc, 1);
    let rules =
        run_git(&req.release_repo, &["ls-tree", "debian/noetic/focal/pkg_a", "debian/rules"]);
    assert!(rules.starts_with("100755 blob"), "{rules}");
    let format = run_git(
        &req.release_repo,
        &["show", "debian/ros-noetic-pkg-a_1.0.0-1_focal:debian/source/format"],
    );
    assert_eq!(format, "3.0 (quilt)\n");
}

#[test]
fn a_ref_moved_meanwhile_refuses_every_update() {
    let (_dir, req) = repos();
    let mut render = |_: &RenderRequest<'_>| Ok(good_tree());
    release(&req, &mut render).unwrap();
    let before = refs_of(&req);
    // While the second release is built, someone moves master in the release repository.
    let repo = req.release_repo.clone();
    let mut moved = String::new();
    let mut render = |_: &RenderRequest<'_>| {
        run_git(&repo, &["update-ref", "refs/heads/master", "upstream"]);
        moved = refs_of(&req);
        Ok(good_tree())
    };
    let e = release(&req, &mut render).unwrap_err();
    assert!(matches!(e, Error::Diverged { .. }), "{e}");
    // Only the outside change is there: none of the second release's refs moved.
    assert_ne!(moved, before);
    assert_eq!(refs_of(&req), moved);
}

#[test]
fn unsafe_generated_paths_are_refused() {
    let (_dir, req) = repos();
    let mut render = |_: &RenderRequest<'_>| {
        let mut t = good_tree();
        t.insert("../escape".into(), (b"x".to_vec(), false));
        Ok(t)
    };
    assert!(release(&req, &mut render).is_err());
    assert_eq!(refs_of(&req), "");
}

#[test]
fn hostile_distro_and_codename_are_refused_before_any_write() {
    let (_dir, mut req) = repos();
    let mut render = |_: &RenderRequest<'_>| Ok(good_tree());
    req.platforms[0].codename = "focal/evil".into();
    let e = release(&req, &mut render).unwrap_err();
    assert!(e.to_string().contains("codename"), "{e}");
    req.platforms[0].codename = "focal".into();
    req.distro = "noetic/evil".into();
    let e = release(&req, &mut render).unwrap_err();
    assert!(e.to_string().contains("distribution name"), "{e}");
    assert_eq!(refs_of(&req), "");
}

#[test]
fn other_tracks_are_kept() {
    let ours = tracks_yaml("noetic", "u", "1.1.0", 1).unwrap();
    let existing = "tracks:\n  melodic:\n    name: upstream\n    release_inc: '3'\n  noetic:\n    \
                    last_version: 1.0.0\n    release_inc: '1'\n";
    let merged = merge_tracks(Some(existing), "noetic", &ours);
    assert!(
        merged.starts_with(
            "tracks:\n  melodic:\n    name: upstream\n    release_inc: '3'\n  noetic:\n"
        ),
        "{merged}"
    );
    assert!(merged.contains("last_version: 1.1.0"), "{merged}");
    assert!(!merged.contains("last_version: 1.0.0"), "{merged}");
    assert_eq!(merge_tracks(None, "noetic", &ours), ours);
    let added = merge_tracks(Some("tracks:\n  melodic:\n    name: x\n"), "noetic", &ours);
    assert!(added.starts_with("tracks:\n  melodic:\n    name: x\n  noetic:\n"), "{added}");
}
