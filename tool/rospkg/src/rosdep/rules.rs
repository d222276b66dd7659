//! Rule files (`base.yaml`, `python.yaml`, ...): a mapping key → OS → rule, where a rule is
//! a package list or string (the OS's default installer), a mapping installer → rule, a
//! mapping codename (or `*`) → rule, the long form `{packages: [...]}`, or `null`.
//!
//! The file is read once into a plain tree ([`Data`]) keyed by key and OS; how the tree is
//! interpreted for a target is [`super::Rules::resolve`]'s business, as in rosdep.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::yaml;
use crate::diagnostic::{Diagnostic, Position};
use crate::distro::{Error, read_text, resolve_source};

/// A YAML value as rosdep sees it (PyYAML's `safe_load` types).
///
/// Its serde form is the plain derived one (for caches of parsed files); reading YAML goes
/// through [`FromYaml`], which applies PyYAML's typing.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    Map(Map),
}

/// A mapping in file order. Rule mappings are small (a few OSes, codenames or installers), so a
/// vector searched linearly beats hashing; duplicate keys never get here (the parser rejects
/// them).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Map(Vec<(String, Data)>);

impl Map {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Data> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Data)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `map["key"]`: the value, or [`Data::Null`] when absent.
impl std::ops::Index<&str> for Map {
    type Output = Data;

    fn index(&self, key: &str) -> &Data {
        self.get(key).unwrap_or(&Data::Null)
    }
}

impl Data {
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyRules {
    /// Where the key's rules start.
    pub position: Option<Position>,
    /// OS → rule, in file order.
    pub os: Map,
}

/// One rule file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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
        // Read straight into `Data` (positions kept for the keys only): the file is large and
        // this is most of the cost of a resolution.
        let top: IndexMap<String, Spanned<FromYaml>> = yaml::from_str(path, text)?;
        for (key, node) in top {
            let loc = node.referenced;
            let position = (loc.line() > 0).then(|| {
                Position::new(
                    u32::try_from(loc.line()).unwrap_or(u32::MAX),
                    u32::try_from(loc.column()).unwrap_or(u32::MAX),
                )
            });
            match node.value.0 {
                Data::Map(os) => {
                    file.keys.insert(key, KeyRules { position, os });
                }
                other => {
                    let mut d = Diagnostic::warning(
                        path,
                        format!(
                            "the rules of '{key}' must be a mapping of OS names, not {}; key left out",
                            other.describe()
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

    /// A rule file from its parts (e.g. read back from a cache of parse results).
    pub fn from_parts(
        path: PathBuf,
        keys: IndexMap<String, KeyRules>,
        diagnostics: Vec<Diagnostic>,
    ) -> RuleFile {
        RuleFile { path, tags: Vec::new(), keys, diagnostics }
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

/// [`Data`] read from YAML with PyYAML's typing (scalars in Python's `str()` form).
struct FromYaml(Data);

impl<'de> de::Deserialize<'de> for FromYaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DataVisitor).map(FromYaml)
    }
}

/// PyYAML's YAML 1.1 boolean words beyond `true` / `false` (as `distro::yaml` reads them).
fn pyyaml_bool(s: &str) -> Option<&'static str> {
    match s {
        "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some("True"),
        "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some("False"),
        _ => None,
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Data, E> {
        Ok(Data::Scalar(if v { "True" } else { "False" }.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Data, E> {
        Ok(Data::Scalar(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Data, E> {
        Ok(Data::Scalar(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Data, E> {
        Ok(Data::Scalar(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Data, E> {
        Ok(Data::Scalar(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Data, E> {
        let s = if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
            format!("{v:.1}")
        } else {
            format!("{v}")
        };
        Ok(Data::Scalar(s))
    }
    fn visit_str<E>(self, v: &str) -> Result<Data, E> {
        Ok(pyyaml_bool(v).map_or_else(|| Data::Str(v.to_owned()), |b| Data::Scalar(b.into())))
    }
    fn visit_string<E>(self, v: String) -> Result<Data, E> {
        Ok(match pyyaml_bool(&v) {
            Some(b) => Data::Scalar(b.into()),
            None => Data::Str(v),
        })
    }
    fn visit_unit<E>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }
    fn visit_none<E>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Data, D::Error> {
        <FromYaml as de::Deserialize>::deserialize(d).map(|v| v.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
        let mut items = Vec::new();
        while let Some(FromYaml(item)) = seq.next_element::<FromYaml>()? {
            items.push(item);
        }
        Ok(Data::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
        let mut items = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(FromYaml(key)) = map.next_key::<FromYaml>()? {
            let key = match key {
                Data::Str(s) | Data::Scalar(s) => s,
                Data::Null => "None".to_owned(),
                Data::Seq(_) | Data::Map(_) => {
                    return Err(de::Error::custom("a mapping key must be a scalar"));
                }
            };
            items.push((key, map.next_value::<FromYaml>()?.0));
        }
        Ok(Data::Map(Map(items)))
    }
}
