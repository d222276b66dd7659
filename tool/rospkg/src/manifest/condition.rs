//! REP 149 conditions (`condition="$ROS_VERSION == 2"`), a port of `catkin_pkg.condition`.
//!
//! catkin_pkg builds the grammar with pyparsing; this is a hand-written recursive-descent parser
//! that accepts exactly the same language, quirks included: `and`/`or` are matched as plain
//! literals (so `a == b oranges == c` reads as `a == b or anges == c`), comparisons are pure
//! string comparisons, and unknown variables are the empty string.

use std::fmt;

/// The deepest nesting of parentheses a condition may have. Real manifests nest a handful
/// (catkin_pkg's parser needs time exponential in the depth); the bound keeps a hostile
/// manifest from exhausting the stack, here and in every recursive walk of the tree.
pub(super) const MAX_DEPTH: usize = 64;

/// Longest expression quoted whole in a [`ConditionError`]; longer ones are cut.
const QUOTE_LIMIT: usize = 200;

/// A parsed REP 149 condition.
///
/// Grammar (whitespace is space, tab, CR or LF and may appear between any two tokens):
///
/// ```text
/// or_expr    := and_expr ("or" and_expr)*
/// and_expr   := operand ("and" operand)*
/// operand    := term OP term | "(" or_expr ")"
/// term       := "$" [A-Za-z0-9_]+ | [A-Za-z0-9_-]+ | '"' [^"\r\n]* '"' | "'" [^'\r\n]* "'"
/// OP         := "==" | "!=" | ">=" | ">" | "<=" | "<"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    expr: String,
    root: Expr,
}

/// A condition that does not parse (catkin_pkg raises `ValueError` for it).
///
/// An expression longer than 200 characters is quoted by its start and its length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("condition {} failed to parse: expected {expected} at column {column}", quoted(expr))]
pub struct ConditionError {
    /// The offending expression, as given.
    pub expr: String,
    /// 1-based column (in characters) where parsing stopped.
    pub column: usize,
    /// What the parser wanted to see there.
    pub expected: &'static str,
}

/// `expr` in single quotes for an error message: whole, or its first [`QUOTE_LIMIT`]
/// characters, `...` and its length when longer.
fn quoted(expr: &str) -> String {
    match expr.char_indices().nth(QUOTE_LIMIT) {
        None => format!("'{expr}'"),
        Some((cut, _)) => format!("'{}...' ({} characters)", &expr[..cut], expr.chars().count()),
    }
}

impl Condition {
    /// Parses `expr` with catkin_pkg's grammar; more than [`MAX_DEPTH`] nested parentheses
    /// are an error at the first one too many.
    pub fn parse(expr: &str) -> Result<Condition, ConditionError> {
        let mut parser = Parser { input: expr, pos: 0, depth: 0, too_deep: None };
        let root = parser.or_expr();
        let root = match (root, parser.too_deep) {
            (_, Some(pos)) => Err((pos, TOO_DEEP)),
            (Ok(root), None) => {
                parser.skip_whitespace();
                if parser.pos == expr.len() {
                    Ok(root)
                } else {
                    Err(parser.pos_error("end of text"))
                }
            }
            (Err(e), None) => Err(e),
        };
        root.map(|root| Condition { expr: expr.to_owned(), root }).map_err(|(pos, expected)| {
            let column = expr.get(..pos).map_or(pos, |s| s.chars().count()) + 1;
            ConditionError { expr: expr.to_owned(), column, expected }
        })
    }

    /// Evaluates the condition; `vars` gives the value of `$NAME` (unknown variables are "").
    pub fn evaluate(&self, vars: &dyn Fn(&str) -> Option<String>) -> bool {
        self.root.evaluate(vars)
    }

    /// The expression as given to [`Condition::parse`].
    pub fn as_str(&self) -> &str {
        &self.expr
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}

impl std::str::FromStr for Condition {
    type Err = ConditionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Condition::parse(s)
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Ge,
    Gt,
    Le,
    Lt,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// `$NAME` (the name without `$`).
    Variable(String),
    /// A bare or quoted literal (quotes removed).
    Literal(String),
}

impl Term {
    fn value(&self, vars: &dyn Fn(&str) -> Option<String>) -> String {
        match self {
            Term::Variable(name) => vars(name).unwrap_or_default(),
            Term::Literal(value) => value.clone(),
        }
    }
}

/// The syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Compare(Term, Op, Term),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

impl Expr {
    fn evaluate(&self, vars: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Expr::Compare(left, op, right) => {
                let (left, right) = (left.value(vars), right.value(vars));
                match op {
                    Op::Eq => left == right,
                    Op::Ne => left != right,
                    Op::Ge => left >= right,
                    Op::Gt => left > right,
                    Op::Le => left <= right,
                    Op::Lt => left < right,
                }
            }
            Expr::And(operands) => operands.iter().all(|e| e.evaluate(vars)),
            Expr::Or(operands) => operands.iter().any(|e| e.evaluate(vars)),
        }
    }
}

/// A parse failure: byte offset and what was expected there.
type ParseError = (usize, &'static str);

/// What a condition nested too deeply was expected to have.
const TOO_DEEP: &str = "at most 64 nested parentheses";

/// Recursive-descent parser over the expression text; `pos` is a byte offset on a char boundary.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
    /// Parentheses open around `pos`.
    depth: usize,
    /// Where the first parenthesis beyond [`MAX_DEPTH`] was: the parse fails there, whatever
    /// the backtracking of `and` / `or` makes of it.
    too_deep: Option<usize>,
}

/// Characters of a bare literal (pyparsing `alphanums + '_-'`).
fn is_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Characters of a variable name after `$` (pyparsing `alphanums + '_'`).
fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        self.pos += rest.len() - trimmed.len();
    }

    fn pos_error(&self, expected: &'static str) -> ParseError {
        (self.pos, expected)
    }

    /// Skips whitespace, then consumes `literal` if the text continues with it (no word-boundary
    /// check, as pyparsing's `Literal`).
    fn eat(&mut self, literal: &str) -> bool {
        self.skip_whitespace();
        if self.rest().starts_with(literal) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.and_expr()?];
        loop {
            let save = self.pos;
            if !self.eat("or") {
                self.pos = save;
                break;
            }
            match self.and_expr() {
                Ok(e) => operands.push(e),
                Err(_) => {
                    // pyparsing backtracks to before the "or"; the caller then fails on it.
                    self.pos = save;
                    break;
                }
            }
        }
        Ok(if operands.len() == 1 { operands.remove(0) } else { Expr::Or(operands) })
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.operand()?];
        loop {
            let save = self.pos;
            if !self.eat("and") {
                self.pos = save;
                break;
            }
            match self.operand() {
                Ok(e) => operands.push(e),
                Err(_) => {
                    self.pos = save;
                    break;
                }
            }
        }
        Ok(if operands.len() == 1 { operands.remove(0) } else { Expr::And(operands) })
    }

    fn operand(&mut self) -> Result<Expr, ParseError> {
        self.skip_whitespace();
        if self.rest().starts_with('(') {
            if self.depth == MAX_DEPTH {
                self.too_deep.get_or_insert(self.pos);
                return Err(self.pos_error(TOO_DEEP));
            }
            self.pos += 1;
            self.depth += 1;
            let inner = self.or_expr();
            self.depth -= 1;
            let inner = inner?;
            if !self.eat(")") {
                return Err(self.pos_error("')'"));
            }
            return Ok(inner);
        }
        let left = self.term()?;
        let op = self.operator()?;
        let right = self.term()?;
        Ok(Expr::Compare(left, op, right))
    }

    fn operator(&mut self) -> Result<Op, ParseError> {
        const OPERATORS: [(&str, Op); 6] = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">=", Op::Ge),
            (">", Op::Gt),
            ("<=", Op::Le),
            ("<", Op::Lt),
        ];
        self.skip_whitespace();
        for (text, op) in OPERATORS {
            if self.rest().starts_with(text) {
                self.pos += text.len();
                return Ok(op);
            }
        }
        Err(self.pos_error("a comparison operator (==, !=, <, <=, >, >=)"))
    }

    fn term(&mut self) -> Result<Term, ParseError> {
        const EXPECTED: &str = "a $VARIABLE, a word or a quoted string";
        self.skip_whitespace();
        let rest = self.rest();
        let mut chars = rest.chars();
        match chars.next() {
            Some('$') => {
                let name_len: usize =
                    chars.take_while(|&c| is_identifier_char(c)).map(char::len_utf8).sum();
                if name_len == 0 {
                    return Err(self.pos_error(EXPECTED));
                }
                let name = rest.get(1..=name_len).unwrap_or("").to_owned();
                self.pos += 1 + name_len;
                Ok(Term::Variable(name))
            }
            Some(quote @ ('"' | '\'')) => {
                let body = rest.get(1..).unwrap_or("");
                match body.find([quote, '\r', '\n']) {
                    Some(end) if body[end..].starts_with(quote) => {
                        self.pos += 1 + end + 1;
                        Ok(Term::Literal(body[..end].to_owned()))
                    }
                    _ => Err(self.pos_error(EXPECTED)),
                }
            }
            Some(c) if is_value_char(c) => {
                let len: usize =
                    rest.chars().take_while(|&c| is_value_char(c)).map(char::len_utf8).sum();
                let value = rest.get(..len).unwrap_or("").to_owned();
                self.pos += len;
                Ok(Term::Literal(value))
            }
            _ => Err(self.pos_error(EXPECTED)),
        }
    }
}

#[cfg(test)]
mod tests;
