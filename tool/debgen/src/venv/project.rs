//! What a Python application says about itself: the `[project]` table of `pyproject.toml`
//! (read with positions, so that a bad value is reported as `file:line:col`) and the core
//! metadata (`METADATA`) of a built wheel, the one source for `setup.py` projects.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::VenvError;

/// The `[project]` table of a `pyproject.toml`, as far as packaging needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Project {
    /// The file read.
    pub file: PathBuf,
    /// `name`.
    pub name: String,
    /// `version`; `None` when listed in `dynamic`.
    pub version: Option<String>,
    /// `dependencies`: each requirement with its position.
    pub dependencies: Vec<(String, (usize, usize))>,
    /// Whether an author or maintainer has an email address.
    pub has_maintainer: bool,
    /// The position of the `[project]` table.
    pub position: Option<(usize, usize)>,
}

impl Project {
    /// Checks what an application needs beyond a project: an author or maintainer with an
    /// email address (the package's Maintainer).
    pub fn check_application(&self) -> Result<(), VenvError> {
        if self.has_maintainer {
            return Ok(());
        }
        Err(VenvError::Project {
            file: self.file.clone(),
            position: self.position,
            message: "[project] names no author or maintainer with an email address: the \
                      package needs a Maintainer"
                .to_owned(),
            hint: "add authors = [{ name = \"...\", email = \"...@...\" }] (or maintainers)"
                .to_owned(),
        })
    }
}

#[derive(Debug, Deserialize)]
struct Document {
    project: Option<Spanned<Table>>,
}

#[derive(Debug, Deserialize)]
struct Table {
    name: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    #[serde(default)]
    dynamic: Vec<String>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    #[serde(default)]
    authors: Vec<Person>,
    #[serde(default)]
    maintainers: Vec<Person>,
}

#[derive(Debug, Deserialize)]
struct Person {
    #[allow(dead_code)]
    name: Option<String>,
    email: Option<String>,
}

/// Line and column (1-based, columns in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Reads and checks `pyproject.toml`: a `[project]` table with a valid `name` and a `version`
/// (or `dynamic = ["version"]`).
pub fn read_pyproject(file: &Path) -> Result<Project, VenvError> {
    let text = fs_err::read_to_string(file)?;
    parse_pyproject(file, &text)
}

/// [`read_pyproject`] on `text`, the contents of `file`.
pub fn parse_pyproject(file: &Path, text: &str) -> Result<Project, VenvError> {
    let at = |offset: usize| Some(line_column(text, offset));
    let error = |position, message: String, hint: &str| VenvError::Project {
        file: file.to_owned(),
        position,
        message,
        hint: hint.to_owned(),
    };
    let doc: Document = toml::from_str(text).map_err(|e| {
        error(
            e.span().and_then(|s| at(s.start)),
            format!("invalid pyproject.toml: {}", e.message().trim()),
            "see the `[project]` table specification (PEP 621) for the keys and their types",
        )
    })?;
    let Some(project) = doc.project else {
        return Err(error(
            None,
            "no [project] table".to_owned(),
            "declare the application's name, version, description and authors in a [project] \
             table (PEP 621)",
        ));
    };
    let table_at = at(project.span().start);
    let project = project.into_inner();
    let Some(name) = project.name else {
        return Err(error(table_at, "[project] has no `name`".to_owned(), "add name = \"...\""));
    };
    if !is_project_name(name.get_ref()) {
        return Err(error(
            at(name.span().start),
            format!("`{}` is not a valid Python project name", name.get_ref()),
            "use ASCII letters, digits, `.`, `_` and `-`, starting and ending with a letter or \
             digit (PEP 508)",
        ));
    }
    let version = match project.version {
        Some(v) => {
            if let Some(problem) = crate::deb822::version_problem(v.get_ref()) {
                return Err(error(
                    at(v.span().start),
                    format!(
                        "version `{}` {problem}: it cannot start a Debian version",
                        v.get_ref()
                    ),
                    "use a public PEP 440 version without epoch (`1.2.3`, `1.0rc1`)",
                ));
            }
            Some(v.into_inner())
        }
        None if project.dynamic.iter().any(|d| d == "version") => None,
        None => {
            return Err(error(
                table_at,
                "[project] has no `version` (and does not list it in `dynamic`)".to_owned(),
                "add version = \"1.0.0\"",
            ));
        }
    };
    let has_maintainer = project
        .authors
        .iter()
        .chain(&project.maintainers)
        .any(|p| p.email.as_deref().is_some_and(|e| e.contains('@')));
    let dependencies = project
        .dependencies
        .into_iter()
        .map(|d| {
            let position = line_column(text, d.span().start);
            (d.into_inner(), position)
        })
        .collect();
    Ok(Project {
        file: file.to_owned(),
        name: name.into_inner(),
        version,
        dependencies,
        has_maintainer,
        position: table_at,
    })
}

/// True for a valid project name (PEP 508): ASCII letters and digits, `.`, `_`, `-` inside.
pub fn is_project_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

/// The core metadata of a distribution (`METADATA`, email-header format).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Header fields in order (repeated ones repeated), continuation lines joined.
    pub fields: Vec<(String, String)>,
    /// The body (the long description), if any.
    pub body: String,
}

impl Metadata {
    /// Parses `METADATA` text.
    pub fn parse(text: &str) -> Metadata {
        let text = text.replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = fields.last_mut() {
                    v.push('\n');
                    v.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        Metadata { fields, body: body.to_owned() }
    }

    /// The first value of `name` (case-insensitive).
    pub fn get<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.all(name).next()
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Name <email>` of the first maintainer, else the first author, with an email address.
    pub fn maintainer(&self) -> Option<String> {
        for (name_field, email_field) in
            [("Maintainer", "Maintainer-email"), ("Author", "Author-email")]
        {
            let Some(emails) = self.get(email_field) else { continue };
            let first = emails.split(',').next().unwrap_or_default().trim();
            if !first.contains('@') {
                continue;
            }
            if first.contains('<') {
                return Some(first.replace('"', ""));
            }
            let name = self.get(name_field).map(str::trim).filter(|n| !n.is_empty());
            return Some(match name {
                Some(n) => format!("{n} <{first}>"),
                None => format!("{} <{first}>", first.split('@').next().unwrap_or(first)),
            });
        }
        None
    }

    /// The license: `License-Expression`, else a one-line `License`, else the classifiers'.
    pub fn license(&self) -> Option<String> {
        if let Some(l) = self.get("License-Expression") {
            return Some(l.to_owned());
        }
        if let Some(l) = self.get("License").filter(|l| !l.contains('\n') && !l.trim().is_empty()) {
            return Some(l.trim().to_owned());
        }
        let classifiers: Vec<&str> = self
            .all("Classifier")
            .filter_map(|c| c.strip_prefix("License :: "))
            .map(|c| c.rsplit(" :: ").next().unwrap_or(c))
            .collect();
        (!classifiers.is_empty()).then(|| classifiers.join(", "))
    }
}

/// The distribution name a requirement (`Requires-Dist`, `dependencies`) asks for.
pub fn requirement_name(requirement: &str) -> &str {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        .unwrap_or(requirement.len());
    &requirement[..end]
}

/// The normalised form of a project name (PEP 503): lowercase, runs of `-`, `_`, `.` as `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if "-_.".contains(c) {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}
