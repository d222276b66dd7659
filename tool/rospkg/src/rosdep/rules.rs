//! Rule files (`base.yaml`, `python.yaml`, ...): a mapping key → OS → rule, where a rule is
//! a package list or string (the OS's default installer), a mapping installer → rule, a
//! mapping codename (or `*`) → rule, the long form `{packages: [...]}`, or `null`.
//!
//! The file is read once into a plain tree ([`Data`]) keyed by key and OS; how the tree is
//! interpreted for a target is [`super::Rules::resolve`]'s business, as in rosdep.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::yaml::{self, Node, Value};
use crate::diagnostic::{Diagnostic, Position};
use crate::distro::{Error, read_text, resolve_source};

/// A YAML value as rosdep sees it (PyYAML's `safe_load` types).
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// `null` / `~` / empty.
    Null,
    /// A string.
    Str(String),
    /// Any other scalar (bool, int, float), in Python's `str()` form.
    Scalar(String),
    /// A list.
    Seq(Vec<Data>),
    /// A mapping (keys in Python's `str()` form).
    Map(IndexMap<String, Data>),
}

impl Data {
    fn from_node(node: Node) -> Data {
        match node.value {
            Value::Null => Data::Null,
            Value::Str(s) => Data::Str(s),
            Value::Seq(items) => Data::Seq(items.into_iter().map(Data::from_node).collect()),
            Value::Map(m) => {
                Data::Map(m.into_iter().map(|(k, v)| (k, Data::from_node(v))).collect())
            }
            scalar => Data::Scalar(scalar.python_str()),
        }
    }

    /// The packages of a rule, as rosdep's `PackageManagerInstaller.resolve`: a mapping's
    /// `packages` (a list, or a string split on whitespace; none → empty), a string split on
    /// spaces, a list as is. `None` for anything else (rosdep's `InvalidData`).
    pub fn packages(&self) -> Option<Vec<String>> {
        match self {
            Data::Map(m) => match m.get("packages") {
                None | Some(Data::Null) => Some(Vec::new()),
                Some(Data::Str(s)) => Some(s.split_whitespace().map(str::to_owned).collect()),
                Some(Data::Seq(items)) => Some(items.iter().map(Data::python_str).collect()),
                Some(other) => Some(vec![other.python_str()]),
            },
            Data::Str(s) => Some(s.split(' ').map(str::to_owned).collect()),
            Data::Seq(items) => Some(items.iter().map(Data::python_str).collect()),
            Data::Null | Data::Scalar(_) => None,
        }
    }

    fn python_str(&self) -> String {
        match self {
            Data::Null => "None".into(),
            Data::Str(s) | Data::Scalar(s) => s.clone(),
            Data::Seq(_) => "[...]".into(),
            Data::Map(_) => "{...}".into(),
        }
    }

    /// A short description for messages: the scalar itself, or `a list` / `a mapping`.
    pub fn describe(&self) -> String {
        match self {
            Data::Null => "null".into(),
            Data::Str(s) => format!("the string '{s}'"),
            Data::Scalar(s) => format!("the value {s}"),
            Data::Seq(_) => "a list".into(),
            Data::Map(_) => "a mapping".into(),
        }
    }
}

/// The rules of one key in one file: OS (or `*`) → rule.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRules {
    /// Where the key's rules start.
    pub position: Option<Position>,
    /// OS → rule, in file order.
    pub os: IndexMap<String, Data>,
}

/// One rule file.
#[derive(Debug, Clone, Default)]
pub struct RuleFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Sources-list tags: the file applies to a target only when each tag is its OS, codename
    /// or the distribution name. Empty for files given directly.
    pub tags: Vec<String>,
    keys: IndexMap<String, KeyRules>,
    /// Keys left out (a rule that is not a mapping of OSes), as warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl RuleFile {
    /// Reads a rule file from a path or `file://` URL.
    pub fn load(source: &str, tags: Vec<String>) -> Result<RuleFile, Error> {
        let path = resolve_source(source)?;
        let text = read_text(&path)?;
        let mut file = RuleFile::parse(&path, &text)?;
        file.tags = tags;
        Ok(file)
    }

    /// Parses the text of a rule file (`path` is for diagnostics).
    pub fn parse(path: &Path, text: &str) -> Result<RuleFile, Diagnostic> {
        let mut file = RuleFile { path: path.to_owned(), ..RuleFile::default() };
        if yaml::is_empty_document(text) {
            return Ok(file);
        }
        let root: Node = yaml::from_str(path, text)?;
        let root_position = yaml::position(&root);
        let top = match root.value {
            Value::Map(m) => m,
            Value::Null => return Ok(file),
            other => {
                let mut d = Diagnostic::error(
                    path,
                    format!("a rosdep file must be a mapping of keys, not {}", other.type_name()),
                )
                .with_hint("each top-level entry is `key:` followed by its OS rules");
                if let Some(p) = root_position {
                    d = d.at(p);
                }
                return Err(d);
            }
        };
        for (key, node) in top {
            let position = yaml::position(&node);
            match node.value {
                Value::Map(m) => {
                    let os = m.into_iter().map(|(k, v)| (k, Data::from_node(v))).collect();
                    file.keys.insert(key, KeyRules { position, os });
                }
                other => {
                    let mut d = Diagnostic::warning(
                        path,
                        format!(
                            "the rules of '{key}' must be a mapping of OS names, not {}; key left out",
                            other.type_name()
                        ),
                    )
                    .with_hint("write `key:` then one `os: [packages]` line per OS");
                    if let Some(p) = position {
                        d = d.at(p);
                    }
                    file.diagnostics.push(d);
                }
            }
        }
        Ok(file)
    }

    /// The keys, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.keys.keys()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the file defines no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The rules of `key`.
    pub fn get(&self, key: &str) -> Option<&KeyRules> {
        self.keys.get(key)
    }

    /// `path:line:col` of a key's rules.
    pub(crate) fn place(&self, k: &KeyRules) -> String {
        match k.position {
            Some(p) => format!("{}:{}:{}", self.path.display(), p.line, p.column),
            None => self.path.display().to_string(),
        }
    }
}
