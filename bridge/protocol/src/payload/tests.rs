//! Tests for attachment references and base64.

use serde_json::json;

use super::*;

#[test]
fn base64_vectors() {
    for (input, expected) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(input.as_bytes()), expected);
    }
}

#[test]
fn refs_checked() {
    let v = json!({"a": [{"data": {"$bin": 0}}], "b": {"$bin": 1, "x": 2}});
    assert!(check_bin_refs(&v, 1).is_ok());
    let err = check_bin_refs(&json!({"a": [1, {"$bin": 3}]}), 1).unwrap_err();
    assert_eq!(err.path, ".a[1]");
    assert!(check_bin_refs(&json!({"$bin": "x"}), 1).is_err());
    assert!(check_bin_refs(&json!({"$bin": -1}), 1).is_err());
}

#[test]
fn inline() {
    let v = json!({"data": {"$bin": 0}, "n": [1]});
    assert_eq!(inline_base64(&v, &[b"foo".to_vec()]), json!({"data": "Zm9v", "n": [1]}));
}
