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
