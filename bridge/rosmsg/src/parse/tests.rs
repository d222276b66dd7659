//! Unit tests of the `.msg` / `.srv` parser: one `check` per declaration shape.

use super::*;

/// Parses `text` as `pkg/Msg` and renders fields and constants one per line.
fn check(text: &str, expected: &[&str]) {
    let spec = parse_msg("pkg/Msg", text, 1).unwrap_or_else(|e| panic!("{e:?}"));
    let mut got: Vec<String> = spec
        .constants
        .iter()
        .map(|c| format!("const {} {}={:?} ({:?})", c.type_name, c.name, c.value, c.text))
        .collect();
    got.extend(spec.fields.iter().map(|f| format!("{} {} {:?}", f.type_text, f.name, f.array)));
    assert_eq!(got, expected);
}

/// Parses `text` and expects an error at `line` mentioning `words`.
fn check_error(text: &str, line: usize, words: &str) {
    let error = parse_msg("pkg/Msg", text, 1).unwrap_err();
    assert_eq!(error.line, line, "{error:?}");
    assert!(error.message.contains(words), "{error:?} lacks `{words}`");
}

#[test]
fn builtins_keep_their_spelling() {
    check(
        "int32 a\nbyte b\nchar[4] c\nfloat64[36] cov\nstring[] names\n",
        &[
            "int32 a Single",
            "byte b Single",
            "char[4] c Fixed(4)",
            "float64[36] cov Fixed(36)",
            "string[] names Var",
        ],
    );
}

#[test]
fn message_types_are_resolved() {
    check(
        "Header header\nPoint p\ngeometry_msgs/Point[] points\nOther[3] others\n",
        &[
            "std_msgs/Header header Single",
            "pkg/Point p Single",
            "geometry_msgs/Point[] points Var",
            "pkg/Other[3] others Fixed(3)",
        ],
    );
}

#[test]
fn comments_whitespace_and_blank_lines() {
    check(
        "# only a comment\n\n   \n  int8   x   # trailing\n\tuint8\ty\t\n",
        &["int8 x Single", "uint8 y Single"],
    );
}

#[test]
fn constants() {
    check(
        "int8 A = -3 # comment\nstring S=  a # b = c  \nbool B=True\nfloat32 F=1.5e3\nuint64 U=18446744073709551615\n",
        &[
            "const int8 A=Int(-3) (\"-3\")",
            "const string S=String(\"a # b = c\") (\"a # b = c\")",
            "const bool B=Bool(true) (\"True\")",
            "const float32 F=Float(1500.0) (\"1.5e3\")",
            "const uint64 U=Int(18446744073709551615) (\"18446744073709551615\")",
        ],
    );
}

#[test]
fn errors_name_the_line() {
    check_error("int32 a\nint32\n", 2, "expected `TYPE NAME`");
    check_error("int32 a b\n", 1, "expected `TYPE NAME`");
    check_error("\n\nint32 1a\n", 3, "legal field name");
    check_error("int32[2][3] a\n", 1, "one array dimension");
    check_error("int32[x] a\n", 1, "one array dimension");
    check_error("int32 a\nfloat64 a\n", 2, "duplicate field `a`");
    check_error("uint8 X=256\n", 1, "out of range");
    check_error("int8 X=-129\n", 1, "out of range");
    check_error("time T=1\n", 1, "legal constant type");
    check_error("Foo X=1\n", 1, "legal constant type");
    check_error("bool B=maybe\n", 1, "invalid bool");
    check_error("int32 X=1=2\n", 1, "invalid constant declaration");
    check_error("a/b/c x\n", 1, "legal field type");
}

#[test]
fn line_numbers_start_where_asked() {
    let error = parse_msg("pkg/Msg", "int32 a\nbad\n", 10).unwrap_err();
    assert_eq!(error.line, 11);
}

#[test]
fn services_split_like_genmsg() {
    let (request, request_line, response, response_line) =
        split_srv("bool data\n---\nbool success\nstring message\n");
    assert_eq!((request.as_str(), request_line), ("bool data\n", 1));
    assert_eq!((response.as_str(), response_line), ("bool success\nstring message\n\n", 3));
    let (request, _, response, response_line) = split_srv("---");
    assert_eq!((request.as_str(), response.as_str(), response_line), ("", "", 2));
    let (request, _, response, _) = split_srv("int32 a\n");
    assert_eq!((request.as_str(), response.as_str()), ("int32 a\n\n", ""));
}

#[test]
fn type_names() {
    assert_eq!(split_type_name("std_msgs/String"), Some(("std_msgs", "String")));
    for bad in ["String", "a/b/c", "/x", "x/", "1a/B", "a/B-c", "../x"] {
        assert_eq!(split_type_name(bad), None, "{bad}");
    }
}
