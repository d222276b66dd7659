//! Legacy `.rosdistro` files (pre-Fuerte), read exactly as Python `rospkg.distro.load_distro`
//! reads them: release name, version, `_rules` with `$STACK_NAME` / `$STACK_VERSION` /
//! `$RELEASE_NAME` expansion, svn / git / hg / bzr configurations, variants with `extends`.
//!
//! Where rospkg crashes with a Python exception (a stack that is not a mapping, an `extends`
//! cycle, a rule value that is not a string), this module reports an [`Error`] instead.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;

use super::Error;
use super::yaml::{self, Mapping, Node, Value};
use crate::diagnostic::Diagnostic;

/// The URL template of a stack's release tarball (rospkg's `TARBALL_URI_EVAL`).
pub const TARBALL_URI_EVAL: &str = "http://svn.code.sf.net/p/ros-dry-releases/code/download/stacks/$STACK_NAME/$STACK_NAME-$STACK_VERSION/$STACK_NAME-$STACK_VERSION.tar.bz2";
/// The version template of a stack's release tarball (rospkg's `TARBALL_VERSION_EVAL`).
pub const TARBALL_VERSION_EVAL: &str = "$STACK_NAME-$STACK_VERSION";

/// A loaded `.rosdistro` file (rospkg's `Distro`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distro {
    /// `release`, e.g. `diamondback`.
    pub release_name: String,
    /// `version` after SVN keyword handling (`$Revision: 8596 $` → `r8596`; a bare `$Revision$`
    /// is `0`, which rospkg returns as the integer 0).
    pub version: String,
    /// Every stack, in file order.
    pub stacks: IndexMap<String, DistroStack>,
    /// Every variant, in file order.
    pub variants: IndexMap<String, Variant>,
}

impl Distro {
    /// Stacks with a (truthy) version: rospkg's `released_stacks`.
    pub fn released_stacks(&self) -> impl Iterator<Item = &DistroStack> {
        self.stacks.values().filter(|s| s.version.as_deref().is_some_and(|v| !v.is_empty()))
    }
}

/// One stack (rospkg's `DistroStack`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistroStack {
    /// Stack name.
    pub name: String,
    /// Released version, `None` when unreleased. Non-string YAML scalars are kept in their
    /// Python `str()` form.
    pub version: Option<String>,
    /// The rules' `repo`.
    pub repo: Option<String>,
    /// The VCS configuration, `None` when the rules name no svn / git / hg / bzr section.
    pub vcs_config: Option<VcsConfig>,
}

/// Which VCS a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VcsKind {
    /// Subversion.
    Svn,
    /// Git.
    Git,
    /// Mercurial.
    Hg,
    /// Bazaar.
    Bzr,
}

impl VcsKind {
    /// rospkg's order of `_vcs_configs`: the first present in a rule set wins.
    pub const ALL: [VcsKind; 4] = [VcsKind::Svn, VcsKind::Git, VcsKind::Hg, VcsKind::Bzr];

    /// `svn`, `git`, `hg`, `bzr`.
    pub fn as_str(self) -> &'static str {
        match self {
            VcsKind::Svn => "svn",
            VcsKind::Git => "git",
            VcsKind::Hg => "hg",
            VcsKind::Bzr => "bzr",
        }
    }
}

/// A stack's VCS configuration with every rule expanded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VcsConfig {
    /// The VCS.
    #[serde(rename = "type")]
    pub kind: VcsKind,
    /// Expanded [`TARBALL_URI_EVAL`].
    pub tarball_url: String,
    /// Expanded [`TARBALL_VERSION_EVAL`].
    pub tarball_version: String,
    /// The branch views.
    pub urls: VcsUrls,
}

/// The URLs of a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum VcsUrls {
    /// svn: one URL per view, plus anonymous ones.
    Svn {
        /// `dev`.
        dev: String,
        /// `distro-tag`.
        distro_tag: String,
        /// `release-tag`.
        release_tag: String,
        /// `anon-dev` (default `dev`).
        anon_dev: String,
        /// `anon-distro-tag` (default `distro-tag`).
        anon_distro_tag: String,
        /// `anon-release-tag` (default `release-tag`).
        anon_release_tag: String,
    },
    /// git / hg / bzr: one repository, a branch or tag per view.
    Dvcs {
        /// `uri`.
        repo_uri: String,
        /// `anon-uri` (default `uri`).
        anon_repo_uri: String,
        /// `dev-branch`.
        dev_branch: String,
        /// `distro-tag`.
        distro_tag: String,
        /// `release-tag`.
        release_tag: String,
    },
}

/// A rosinstall view of a stack (rospkg's `branch` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// `devel`
    Devel,
    /// `distro`
    Distro,
    /// `release`
    Release,
    /// `release-tar`
    ReleaseTar,
}

impl VcsConfig {
    /// rospkg's `get_branch`: the URI and (for DVCS and tarballs) the version to check out.
    pub fn get_branch(&self, branch: Branch, anonymous: bool) -> (String, Option<String>) {
        if branch == Branch::ReleaseTar {
            return (self.tarball_url.clone(), Some(self.tarball_version.clone()));
        }
        match &self.urls {
            VcsUrls::Svn {
                dev,
                distro_tag,
                release_tag,
                anon_dev,
                anon_distro_tag,
                anon_release_tag,
            } => {
                let uri = match (branch, anonymous) {
                    (Branch::Devel, false) => dev,
                    (Branch::Devel, true) => anon_dev,
                    (Branch::Distro, false) => distro_tag,
                    (Branch::Distro, true) => anon_distro_tag,
                    (_, false) => release_tag,
                    (_, true) => anon_release_tag,
                };
                (uri.clone(), None)
            }
            VcsUrls::Dvcs { repo_uri, anon_repo_uri, dev_branch, distro_tag, release_tag } => {
                let tag = match branch {
                    Branch::Devel => dev_branch,
                    Branch::Distro => distro_tag,
                    _ => release_tag,
                };
                let uri = if anonymous { anon_repo_uri } else { repo_uri };
                (uri.clone(), Some(tag.clone()))
            }
        }
    }
}

/// A variant (rospkg's `Variant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// Name.
    pub name: String,
    /// The variants it extends, in order.
    pub extends: Vec<String>,
    /// Its own stacks.
    pub stack_names: Vec<String>,
    /// rospkg's `get_stack_names(implicit=True)`: for each parent in `extends` order, the
    /// parent's implicit list is put *in front of* the list so far; not de-duplicated.
    pub stack_names_implicit: Vec<String>,
}

impl Variant {
    /// rospkg's `get_stack_names(implicit)`.
    pub fn get_stack_names(&self, implicit: bool) -> &[String] {
        if implicit { &self.stack_names_implicit } else { &self.stack_names }
    }
}

/// rospkg's `expand_rule`: plain substring replacement, `$STACK_VERSION` only when the version
/// is non-empty.
pub fn expand_rule(
    rule: &str,
    stack_name: &str,
    stack_version: Option<&str>,
    release: &str,
) -> String {
    let mut s = rule.replace("$STACK_NAME", stack_name);
    if let Some(v) = stack_version.filter(|v| !v.is_empty()) {
        s = s.replace("$STACK_VERSION", v);
    }
    s.replace("$RELEASE_NAME", release)
}

/// Reads and loads a `.rosdistro` file.
pub fn load_distro(path: &Path) -> Result<Distro, Error> {
    let text =
        fs_err::read_to_string(path).map_err(|source| Error::Io { path: path.into(), source })?;
    parse_distro(path, &text).map_err(Error::Invalid)
}

/// Loads a `.rosdistro` document; `path` is used in diagnostics only.
pub fn parse_distro(path: &Path, text: &str) -> Result<Distro, Diagnostic> {
    if yaml::is_empty_document(text) {
        return Err(Diagnostic::error(path, "distro must be a dictionary (the file is empty)")
            .with_hint("a .rosdistro file is a YAML mapping with `release` and `stacks`"));
    }
    let root: Node = yaml::from_str(path, text)?;
    Loader { path: path.to_path_buf() }.load(&root)
}

struct Loader {
    path: PathBuf,
}

impl Loader {
    fn err(&self, node: Option<&Node>, message: impl Into<String>) -> Diagnostic {
        let mut d = Diagnostic::error(&self.path, message);
        if let Some(p) = node.and_then(yaml::position) {
            d = d.at(p);
        }
        d
    }

    fn load(&self, root: &Node) -> Result<Distro, Diagnostic> {
        let Value::Map(doc) = &root.value else {
            return Err(self
                .err(Some(root), "distro must be a dictionary")
                .with_hint("a .rosdistro file is a YAML mapping with `release` and `stacks`"));
        };
        let version = match doc.get("version") {
            None => "0".to_owned(),
            Some(node) => self.version(node)?,
        };
        let release = doc.get("release").ok_or_else(|| {
            self.err(Some(root), "distro is missing required 'release' key")
                .with_hint("add `release: <name>`, e.g. `release: diamondback`")
        })?;
        let release_name = self.string(release, "release")?;
        let stacks = self.stacks(root, doc, &release_name)?;
        let variants = match doc.get("variants") {
            Some(node) if node.value.truthy() => self.variants(node)?,
            _ => IndexMap::new(),
        };
        Ok(Distro { release_name, version, stacks, variants })
    }

    fn string(&self, node: &Node, what: &str) -> Result<String, Diagnostic> {
        match &node.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Seq(_) | Value::Map(_) | Value::Null => Err(self.err(
                Some(node),
                format!("{what} must be a string, not {}", node.value.type_name()),
            )),
            other => Ok(other.python_str()),
        }
    }

    /// rospkg's `_distro_version`.
    fn version(&self, node: &Node) -> Result<String, Diagnostic> {
        let mut v = node.value.python_str();
        if v == "$Revision$" {
            return Ok("0".into());
        }
        if let Some(rev) = svn_revision(&v) {
            v = format!("r{rev}");
        }
        if let Some(bad) =
            v.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~')))
        {
            return Err(self
                .err(Some(node), format!("version string {v} not valid (character {bad:?})"))
                .with_hint("use letters, digits, `.`, `+` and `~` only, or an SVN `$Revision: N $` keyword"));
        }
        Ok(v)
    }

    fn stacks(
        &self,
        root: &Node,
        doc: &Mapping,
        release: &str,
    ) -> Result<IndexMap<String, DistroStack>, Diagnostic> {
        let stacks_node = doc.get("stacks").ok_or_else(|| {
            self.err(Some(root), "distro is missing required 'stacks' key")
                .with_hint("add a `stacks:` mapping of stack name to `{version, _rules}`")
        })?;
        let empty = Mapping::default();
        let stack_props = match &stacks_node.value {
            Value::Map(m) => m,
            v if !v.truthy() => &empty,
            v => {
                return Err(self.err(
                    Some(stacks_node),
                    format!("'stacks' must be a mapping, not {}", v.type_name()),
                ));
            }
        };
        let named_rules = doc.get("_rules");
        let mut stacks = IndexMap::new();
        for (name, props) in stack_props {
            if name.starts_with('_') {
                continue;
            }
            let Value::Map(props_map) = &props.value else {
                return Err(self.err(
                    Some(props),
                    format!("stack [{name}] must be a mapping, not {}", props.value.type_name()),
                ));
            };
            let version = match props_map.get("version") {
                None => None,
                Some(n) if n.value == Value::Null => None,
                Some(n) => Some(self.string(n, &format!("version of stack [{name}]"))?),
            };
            // Last of (stacks, stacks[name]) holding `_rules` wins.
            let rules_holder = if props_map.contains_key("_rules") {
                props_map.get("_rules")
            } else {
                stack_props.get("_rules")
            };
            let rules = match rules_holder {
                None => None,
                Some(node) => self.resolve_rules(node, named_rules)?,
            };
            let Some((_, rules)) = rules.filter(|(_, r)| !r.is_empty()) else {
                return Err(self
                    .err(Some(props), format!("no VCS rules for stack [{name}]"))
                    .with_hint(
                        "give the stack a `_rules` entry, or add a default `_rules` under `stacks`",
                    ));
            };
            let repo = match rules.get("repo") {
                None => None,
                Some(n) if n.value == Value::Null => None,
                Some(n) => Some(self.string(n, "repo")?),
            };
            let eval = |s: &str| expand_rule(s, name, version.as_deref(), release);
            let vcs_config = self.vcs_config(name, rules, &eval)?;
            stacks.insert(
                name.clone(),
                DistroStack { name: name.clone(), version, repo, vcs_config },
            );
        }
        Ok(stacks)
    }

    /// rospkg's `_get_rules` after choosing the holder: a name is looked up in the top-level
    /// `_rules`, anything else must be a mapping.
    fn resolve_rules<'a>(
        &self,
        node: &'a Node,
        named: Option<&'a Node>,
    ) -> Result<Option<(&'a Node, &'a Mapping)>, Diagnostic> {
        let target = if let Value::Str(name) = &node.value {
            let found = match named.map(|n| &n.value) {
                Some(Value::Map(m)) => m.get(name),
                _ => None,
            };
            found.ok_or_else(|| {
                self.err(Some(node), format!("no _rules named [{name}]"))
                    .with_hint("define it under the top-level `_rules:` mapping")
            })?
        } else {
            node
        };
        match &target.value {
            Value::Map(m) => Ok(Some((target, m))),
            v => Err(self
                .err(Some(target), format!("invalid rules: {} <class '{}'>", v.python_str(), v.type_name()))
                .with_hint("rules are a mapping like `{repo: NAME, svn: {dev: ..., distro-tag: ..., release-tag: ...}}` or the name of one")),
        }
    }

    fn vcs_config(
        &self,
        stack: &str,
        rules: &Mapping,
        eval: &dyn Fn(&str) -> String,
    ) -> Result<Option<VcsConfig>, Diagnostic> {
        let Some((kind, node)) =
            VcsKind::ALL.iter().find_map(|k| rules.get(k.as_str()).map(|n| (*k, n)))
        else {
            return Ok(None);
        };
        let Value::Map(m) = &node.value else {
            return Err(self.err(
                Some(node),
                format!("{} rules of stack [{stack}] must be a mapping", kind.as_str()),
            ));
        };
        let get = |key: &str| -> Result<Option<String>, Diagnostic> {
            match m.get(key) {
                None => Ok(None),
                Some(n) => match &n.value {
                    Value::Str(s) => Ok(Some(eval(s))),
                    v => Err(self.err(
                        Some(n),
                        format!(
                            "{} rule '{key}' must be a string, not {}",
                            kind.as_str(),
                            v.type_name()
                        ),
                    )),
                },
            }
        };
        let require = |key: &str| -> Result<String, Diagnostic> {
            get(key)?.ok_or_else(|| {
                self.err(
                    Some(node),
                    format!("{} rules missing required {key} key (stack [{stack}])", kind.as_str()),
                )
                .with_hint(match kind {
                    VcsKind::Svn => "svn rules need `dev`, `distro-tag` and `release-tag`",
                    _ => "git / hg / bzr rules need `uri`, `dev-branch`, `distro-tag` and `release-tag`",
                })
            })
        };
        let tarball_url = eval(TARBALL_URI_EVAL);
        let tarball_version = eval(TARBALL_VERSION_EVAL);
        let urls = match kind {
            VcsKind::Svn => {
                let dev = require("dev")?;
                let distro_tag = require("distro-tag")?;
                let release_tag = require("release-tag")?;
                let (anon_dev, anon_distro_tag, anon_release_tag) = if m.contains_key("anon-dev") {
                    (
                        require("anon-dev")?,
                        require("anon-distro-tag")?,
                        require("anon-release-tag")?,
                    )
                } else {
                    (dev.clone(), distro_tag.clone(), release_tag.clone())
                };
                VcsUrls::Svn {
                    dev,
                    distro_tag,
                    release_tag,
                    anon_dev,
                    anon_distro_tag,
                    anon_release_tag,
                }
            }
            _ => {
                let repo_uri = require("uri")?;
                let anon_repo_uri = get("anon-uri")?.unwrap_or_else(|| repo_uri.clone());
                VcsUrls::Dvcs {
                    repo_uri,
                    anon_repo_uri,
                    dev_branch: require("dev-branch")?,
                    distro_tag: require("distro-tag")?,
                    release_tag: require("release-tag")?,
                }
            }
        };
        Ok(Some(VcsConfig { kind, tarball_url, tarball_version, urls }))
    }

    fn variants(&self, node: &Node) -> Result<IndexMap<String, Variant>, Diagnostic> {
        let hint =
            "variants are a list of single-key mappings: `- name: {stacks: [...], extends: other}`";
        let items = match &node.value {
            Value::Seq(items) => items,
            Value::Str(s) => {
                let first: String = s.chars().take(1).collect();
                return Err(self
                    .err(Some(node), format!("invalid variant spec: {first}"))
                    .with_hint(hint));
            }
            Value::Map(m) => {
                let first = m.keys().next().cloned().unwrap_or_default();
                return Err(self
                    .err(Some(node), format!("invalid variant spec: {first}"))
                    .with_hint(hint));
            }
            v => {
                return Err(self
                    .err(Some(node), format!("invalid variant spec: {}", v.python_str()))
                    .with_hint(hint));
            }
        };
        let mut raw: IndexMap<&str, &Node> = IndexMap::new();
        for item in items {
            match &item.value {
                Value::Map(m) if m.len() == 1 => {
                    let (name, data) = m.first().expect("one entry");
                    raw.insert(name.as_str(), data);
                }
                v => {
                    return Err(self
                        .err(Some(item), format!("invalid variant spec: {}", v.python_str()))
                        .with_hint(hint));
                }
            }
        }
        let mut variants = IndexMap::new();
        for name in raw.keys() {
            let v = self.variant(name, &raw, &mut Vec::new())?;
            variants.insert((*name).to_owned(), v);
        }
        Ok(variants)
    }

    /// rospkg's `_load_variant` (recursive, recomputing parents), with cycle detection.
    fn variant(
        &self,
        name: &str,
        raw: &IndexMap<&str, &Node>,
        stack: &mut Vec<String>,
    ) -> Result<Variant, Diagnostic> {
        let node = raw[name];
        if stack.iter().any(|s| s == name) {
            stack.push(name.to_owned());
            return Err(
                self.err(Some(node), format!("variant extends cycle: {}", stack.join(" -> ")))
            );
        }
        let empty = Mapping::default();
        let data = match &node.value {
            Value::Map(m) => m,
            Value::Null => &empty,
            v => {
                return Err(self.err(
                    Some(node),
                    format!("variant [{name}] must be a mapping, not {}", v.type_name()),
                ));
            }
        };
        let stack_names = match data.get("stacks") {
            None => Vec::new(),
            Some(n) => self.name_list(n, &format!("stacks of variant [{name}]"))?,
        };
        let extends = match data.get("extends") {
            None => Vec::new(),
            Some(n) => match &n.value {
                Value::Str(s) => vec![s.clone()],
                _ => self.name_list(n, &format!("extends of variant [{name}]"))?,
            },
        };
        let mut implicit = stack_names.clone();
        stack.push(name.to_owned());
        for parent in &extends {
            if !raw.contains_key(parent.as_str()) {
                return Err(self
                    .err(
                        data.get("extends"),
                        format!("variant [{name}] extends unknown variant [{parent}]"),
                    )
                    .with_hint("rospkg reports this as \"distro is missing required '...' key\""));
            }
            let p = self.variant(parent, raw, stack)?;
            let mut joined = p.stack_names_implicit;
            joined.extend(implicit);
            implicit = joined;
        }
        stack.pop();
        Ok(Variant { name: name.to_owned(), extends, stack_names, stack_names_implicit: implicit })
    }

    /// `list(value)` for a list of names (a mapping gives its keys, a string its characters,
    /// as in Python).
    fn name_list(&self, node: &Node, what: &str) -> Result<Vec<String>, Diagnostic> {
        match &node.value {
            Value::Seq(items) => {
                items.iter().map(|n| self.string(n, what)).collect::<Result<Vec<_>, _>>()
            }
            Value::Map(m) => Ok(m.keys().cloned().collect()),
            Value::Str(s) => Ok(s.chars().map(String::from).collect()),
            v => Err(self.err(Some(node), format!("{what} must be a list, not {}", v.type_name()))),
        }
    }
}

/// The number in an SVN `$Revision: N $` keyword, searched anywhere in `s` (digits may be
/// empty, as in rospkg's regex).
fn svn_revision(s: &str) -> Option<&str> {
    let mut rest = s;
    while let Some(i) = rest.find("$Revision:") {
        let after = &rest[i + "$Revision:".len()..];
        let trimmed = after.trim_start_matches(char::is_whitespace);
        let digits_end = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
        let (digits, tail) = trimmed.split_at(digits_end);
        if tail.trim_start_matches(char::is_whitespace).starts_with('$') {
            return Some(digits);
        }
        rest = &rest[i + 1..];
    }
    None
}
