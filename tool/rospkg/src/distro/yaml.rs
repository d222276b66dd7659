//! The one place that configures serde-saphyr: budgets sized for rosdistro files, duplicate keys
//! rejected, and parse errors turned into [`Diagnostic`]s with file:line:col.

use std::fmt;
use std::path::Path;

use indexmap::IndexMap;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, Spanned};

use crate::diagnostic::{Diagnostic, Position};

/// How deep YAML collections may nest in a rosdistro or rosdep file.
pub(crate) const MAX_DEPTH: usize = 24;

/// Parser options: duplicate keys are an error; budgets are raised so a 10 MB distribution cache
/// fits, while alias replay stays bounded (alias bombs fail fast) and nesting stays shallow.
pub(crate) fn options() -> Options {
    let mut budget = Budget::default();
    // Real distribution and rosdep files nest fewer than ten levels. Deserialising a level costs
    // a couple of dozen stack frames, so the crate's default of 64 levels can overflow a 2 MiB
    // thread stack (a test thread, a rayon worker) before it is reached.
    budget.max_depth = MAX_DEPTH;
    budget.max_events = 50_000_000;
    budget.max_nodes = 50_000_000;
    budget.max_reader_input_bytes = Some(512 * 1024 * 1024);
    budget.max_total_scalar_bytes = 512 * 1024 * 1024;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    // PyYAML's YAML 1.1 booleans are exact words (see `pyyaml_bool`), not saphyr's
    // case-insensitive set that includes `y` and `n`.
    options.strict_booleans = true;
    options.alias_limits.max_total_replayed_events = 100_000;
    options
}

/// Parses `text` (the content of `path`) into `T`.
pub(crate) fn from_str<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, Diagnostic> {
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| to_diagnostic(path, &e))
}

/// Splits a block-style YAML document whose top level holds the mapping `section:` into two
/// documents: the first with everything but the second half of that section's entries, the
/// second with just `section:` and those entries, so that both parse on their own. `None` when
/// the document does not have that simple shape (flow style, tabs, anchors, a small section),
/// in which case it is to be parsed whole.
pub(crate) fn split_section(text: &str, section: &str) -> Option<(String, String)> {
    if text.contains(" &") || text.contains(" *") || text.contains('\t') {
        return None; // maybe anchors, aliases or tabs: not worth the risk
    }
    let header = format!("{section}:");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| l.trim_end() == header)?;
    // The section runs until the next line that starts at column 0 (not a comment).
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.starts_with([' ', '#', '\n', '\r']) && !l.trim().is_empty())
        .map_or(lines.len(), |i| start + 1 + i);
    // Entry starts: exactly two spaces of indentation, then a key.
    let entries: Vec<usize> = (start + 1..end)
        .filter(|&i| {
            let l = lines[i];
            l.starts_with("  ") && !l.starts_with("   ") && !l[2..].starts_with(['#', '-', ' '])
        })
        .collect();
    if entries.len() < 64 || entries[0] != start + 1 {
        return None;
    }
    let cut = entries[entries.len() / 2];
    let mut first = String::with_capacity(text.len());
    for l in lines[..cut].iter().chain(&lines[end..]) {
        first.push_str(l);
    }
    let mut second = String::with_capacity(text.len() / 2);
    second.push_str(&header);
    second.push('\n');
    for l in &lines[cut..end] {
        second.push_str(l);
    }
    Some((first, second))
}

/// True when `text` holds no YAML content (only blank lines, comments, directives).
pub(crate) fn is_empty_document(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l.starts_with('%') || l == "---" || l == "..."
    })
}

/// A serde-saphyr error as a diagnostic: the plain message, at the error's position.
pub(crate) fn to_diagnostic(path: &Path, error: &serde_saphyr::Error) -> Diagnostic {
    let plain = error.without_snippet().to_string();
    // The plain form may still end with " at line L column C"; keep only the message.
    let first = plain.lines().next().unwrap_or_default().trim();
    let message = first
        .split_once(" at line ")
        .map_or(first, |(m, _)| m)
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    let mut d = Diagnostic::error(path, format!("invalid YAML: {message}"))
        .of_kind(crate::diagnostic::DiagnosticKind::Syntax)
        .with_hint(format!(
            "fix the YAML at that position (duplicate keys, alias bombs and nesting deeper \
             than {MAX_DEPTH} levels are rejected)"
        ));
    if let Some(loc) = error.location()
        && loc.line() > 0
    {
        d = d.at(Position::new(
            u32::try_from(loc.line()).unwrap_or(u32::MAX),
            u32::try_from(loc.column()).unwrap_or(u32::MAX),
        ));
    }
    d
}

/// A YAML node with its position (line and column 0 when positions were not asked for).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub(crate) value: Value,
    line: u32,
    column: u32,
}

thread_local! {
    /// Whether [`Node`]s record their position. Reading positions costs about a third of the
    /// parse of a distribution file, and they are only needed to report a problem, so
    /// [`without_positions`] lets a caller try a fast pass first.
    static POSITIONS: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Runs `parse` with nodes that do not record their position.
pub(crate) fn without_positions<T>(parse: impl FnOnce() -> T) -> T {
    let before = POSITIONS.replace(false);
    let result = parse();
    POSITIONS.set(before);
    result
}

impl<'de> de::Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if POSITIONS.get() {
            let spanned = Spanned::<Value>::deserialize(deserializer)?;
            let loc = spanned.referenced;
            Ok(Node {
                value: spanned.value,
                line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
                column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
            })
        } else {
            Ok(Node { value: Value::deserialize(deserializer)?, line: 0, column: 0 })
        }
    }
}

/// A mapping node's entries (a fast hasher: the keys are the file's own, and hashing them
/// with SipHash was a visible share of parsing a distribution file).
pub(crate) type Mapping = IndexMap<String, Node, rustc_hash::FxBuildHasher>;

/// The position of a node, when it was recorded.
pub(crate) fn position(node: &Node) -> Option<Position> {
    (node.line > 0).then(|| Position::new(node.line, node.column))
}

/// A generic YAML value, typed the way PyYAML's `safe_load` types plain scalars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `~`, `null`, empty.
    Null,
    /// `true`, `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping; keys are scalars in their Python `str()` form.
    Map(Mapping),
}

impl Value {
    /// Python's `str(value)` for scalars; a short description otherwise.
    pub(crate) fn python_str(&self) -> String {
        match self {
            Value::Null => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => python_float(*f),
            Value::Str(s) => s.clone(),
            Value::Seq(_) => "[...]".into(),
            Value::Map(_) => "{...}".into(),
        }
    }

    /// Python truthiness.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Seq(s) => !s.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The Python type name (`str`, `int`, `dict`, ...).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Seq(_) => "list",
            Value::Map(_) => "dict",
        }
    }
}

/// PyYAML's YAML 1.1 boolean words beyond `true` / `false`. (A quoted `'yes'` reaches us the
/// same way as a plain one, so it is read as a boolean too: a known, rare difference.)
fn pyyaml_bool(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn python_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{f}")
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or_else(|_| Value::Str(v.to_string()), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(pyyaml_bool(v).map_or_else(|| Value::Str(v.to_owned()), Value::Bool))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(pyyaml_bool(&v).map_or(Value::Str(v), Value::Bool))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut items = Mapping::default();
        while let Some(key) = map.next_key::<Value>()? {
            let key = match key {
                Value::Seq(_) | Value::Map(_) => {
                    return Err(de::Error::custom("a mapping key must be a scalar"));
                }
                scalar => scalar.python_str(),
            };
            let value = map.next_value::<Node>()?;
            items.insert(key, value);
        }
        Ok(Value::Map(items))
    }
}
