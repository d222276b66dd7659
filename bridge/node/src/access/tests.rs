//! Tests for glob patterns and the allow/deny policy.

use super::*;

fn check(pattern: &str, name: &str, expected: bool) {
    assert_eq!(Glob::new(pattern).unwrap().matches(name), expected, "{pattern} vs {name}");
}

#[test]
fn globs() {
    check("*", "/a", true);
    check("*", "/a/b", true);
    check("/a/*", "/a/b", true);
    check("/a/*", "/a/b/c", true);
    check("/a/?", "/a/b", true);
    check("/a/?", "/a/bc", false);
    check("/a/**", "/a/b/c", true);
    check("/a/b", "/a/b", true);
    check("/a/b", "/a/bc", false);
    check("/a/*x", "/a/yyx", true);
    check("/**/x", "/a/b/x", true);
    check("/**/x", "/a/b/y", false);
    check("/b/*", "/a/b/c", false);
    // Only `*` and `?` are special.
    check("/a/[b]", "/a/[b]", true);
    check("/a/[b]", "/a/b", false);
    check("/a/{b,c}", "/a/b", false);
    check("/a/{b,c}", "/a/{b,c}", true);
    check("/a\\b*", "/a\\bc", true);
    check("/a/?", "/a//", true);
}

#[test]
fn matching_is_linear_whatever_the_pattern() {
    // A backtracking matcher does not finish this in a lifetime (C(200, 25) ways to place the
    // stars); globset's automaton reads the name once.
    let pattern = format!("{}b", "*a".repeat(25));
    let name = "a".repeat(200);
    assert!(!Glob::new(&pattern).unwrap().matches(&name));
    assert!(Glob::new(&pattern).unwrap().matches(&format!("{name}b")));
}

#[test]
fn deny_wins_and_classes() {
    let policy = Policy::from_specs(
        &["/a/**".into(), "publish=/cmd".into()],
        &["/a/secret".into(), "call=/a/**".into()],
    )
    .unwrap();
    assert!(policy.allows(Class::Subscribe, "/a/x"));
    assert!(!policy.allows(Class::Subscribe, "/a/secret"));
    assert!(!policy.allows(Class::Call, "/a/x"));
    assert!(policy.allows(Class::Publish, "/cmd"));
    assert!(!policy.allows(Class::Subscribe, "/cmd"));
    assert!(!policy.allows(Class::Subscribe, "/other"));
    assert!(!Policy::default().allows(Class::ParamRead, "/p"));
}

#[test]
fn bad_specs() {
    assert_eq!(
        Policy::from_specs(&["pub=/a".into()], &[]).unwrap_err(),
        PatternError::UnknownClass("pub".into())
    );
    assert_eq!(Policy::from_specs(&["".into()], &[]).unwrap_err(), PatternError::Empty);
}
