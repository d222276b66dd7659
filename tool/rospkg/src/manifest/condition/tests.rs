//! Unit tests for REP 149 conditions.

use super::*;

/// Evaluates `expr` with ROS_VERSION=2, ROS_DISTRO=humble, ROS_PYTHON_VERSION=3.
fn check(expr: &str, expected: bool) {
    let vars = |name: &str| match name {
        "ROS_VERSION" => Some("2".to_owned()),
        "ROS_DISTRO" => Some("humble".to_owned()),
        "ROS_PYTHON_VERSION" => Some("3".to_owned()),
        _ => None,
    };
    let condition = Condition::parse(expr).unwrap_or_else(|e| panic!("{expr:?}: {e}"));
    assert_eq!(condition.evaluate(&vars), expected, "{expr:?}");
}

fn check_error(expr: &str, column: usize) {
    match Condition::parse(expr) {
        Ok(c) => panic!("{expr:?} parsed as {c:?}"),
        Err(e) => {
            assert_eq!(e.expr, expr);
            assert_eq!(e.column, column, "{expr:?}: {e}");
            assert!(e.to_string().starts_with(&format!("condition '{expr}' failed to parse")));
        }
    }
}

#[test]
fn comparisons() {
    check("$ROS_VERSION == 2", true);
    check("$ROS_VERSION == 1", false);
    check("$ROS_VERSION != 1", true);
    check("$ROS_PYTHON_VERSION >= 3", true);
    check("$ROS_PYTHON_VERSION > 3", false);
    check("$ROS_PYTHON_VERSION <= 3", true);
    check("$ROS_PYTHON_VERSION < 3", false);
    check("$ROS_VERSION==2", true);
}

#[test]
fn string_comparison_not_numeric() {
    check("\"10\" < \"9\"", true);
    check("10 < 9", true);
    check("$ROS_DISTRO >= foxy", true);
    check("$ROS_DISTRO < foxy", false);
}

#[test]
fn unknown_variables_are_empty() {
    check("$NOPE == ''", true);
    check("$NOPE == \"\"", true);
    check("$NOPE != x", true);
}

#[test]
fn quoted_and_bare_literals() {
    check("'a b' == \"a b\"", true);
    check("-1 == -1", true);
    check("a_b-c == a_b-c", true);
    check("\"a\\\" == \"a\\\"", true);
}

#[test]
fn and_binds_tighter_than_or() {
    check("a == a or b == c and d == e", true);
    check("a == b or c == c and d == d", true);
    check("a == b or c == c and d == e", false);
    check("(a == a or b == c) and d == e", false);
    check("((a == a))", true);
}

#[test]
fn literal_keywords_without_word_boundary() {
    // pyparsing matches `or`/`and` as plain literals: this is `a == b or anges == anges`.
    check("a == b oranges == anges", true);
    check("and == and and and == and", true);
    check("a == a andb == c", false);
}

#[test]
fn parse_errors() {
    check_error("", 1);
    check_error("a = b", 3);
    check_error("$ == a", 1);
    check_error("$A-b == c", 3);
    check_error("a == b and", 8);
    check_error("a == b AND c == d", 8);
    check_error("(a == b", 8);
    check_error("a == \"b", 6);
    check_error("$A == \"x\ny\"", 7);
    check_error("$ROS_VERSION", 13);
    check_error("a == b c == d", 8);
}

#[test]
fn display_and_from_str() {
    let c: Condition = " $A == b ".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.to_string(), " $A == b ");
    assert_eq!(c.as_str(), " $A == b ");
}

fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth))
}

#[test]
fn nesting_up_to_the_limit_parses() {
    check(&nested(MAX_DEPTH, "$ROS_VERSION == 2"), true);
    check(&format!("a == b or {}", nested(MAX_DEPTH, "c == c")), true);
    assert!(TOO_DEEP.contains(&MAX_DEPTH.to_string()), "{TOO_DEEP}");
}

/// Thousands of nested parentheses used to overflow the stack (an abort, not an error).
#[test]
fn nesting_beyond_the_limit_is_an_error_at_the_first_parenthesis_too_many() {
    for depth in [MAX_DEPTH + 1, 5_000, 1_000_000] {
        let expr = nested(depth, "$ROS_VERSION == 2");
        let e = Condition::parse(&expr).expect_err("too deep");
        assert_eq!((e.column, e.expected), (MAX_DEPTH + 1, TOO_DEEP), "depth {depth}");
        assert_eq!(e.expr, expr);
    }
    // Behind `or` / `and`, whose failed right operand is otherwise backtracked over.
    let expr = format!("a == a or {}", nested(100_000, "b == b"));
    let e = Condition::parse(&expr).expect_err("too deep");
    assert_eq!((e.column, e.expected), (11 + MAX_DEPTH, TOO_DEEP));
    let e = Condition::parse(&format!("a == a and {}", nested(100_000, "b == b")))
        .expect_err("too deep");
    assert_eq!((e.column, e.expected), (12 + MAX_DEPTH, TOO_DEEP));
}

#[test]
fn long_expressions_are_quoted_by_their_start() {
    let expr = nested(5_000, "a == b");
    let message = Condition::parse(&expr).expect_err("too deep").to_string();
    assert!(message.len() < 400, "{message}");
    let start = "(".repeat(200);
    assert!(message.starts_with(&format!("condition '{start}...' (10006 characters) failed")));
    assert!(message.ends_with("expected at most 64 nested parentheses at column 65"), "{message}");
}
