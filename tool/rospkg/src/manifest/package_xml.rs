//! `package.xml` formats 1, 2 and 3 (REP 127/140/149): a port of catkin_pkg's
//! `parse_package_string` and `Package.validate`, made lenient: every problem catkin_pkg raises
//! `InvalidPackage` for (or warns about) becomes a [`Diagnostic`] at the element's line:column,
//! and parsing goes on.
//!
//! Deliberate differences from catkin_pkg, all in what is reported, not in what is accepted:
//! - all problems are reported at once (catkin_pkg stops at the first "exactly one" / missing
//!   attribute problem), each at its element, with catkin_pkg's wording and often a hint;
//! - one self-dependency error per offending element, naming its tag (catkin_pkg repeats it per
//!   expanded kind, e.g. three times for `<depend>`);
//! - catkin_pkg's extra "Please replace <run_depend> tags ..." error is the hint of the unknown-tag
//!   error; an empty email gives only "Maintainers must have an email address";
//! - warnings catkin_pkg does not give: a `condition` that does not parse (catkin_pkg only fails
//!   when the condition is evaluated), several unconditional `<build_type>` exports (catkin_pkg
//!   fails in `get_build_type`), and an empty dependency tag, which is also left out of
//!   [`Manifest::dependencies`];
//! - dependency, group and export tags are kept even when the format does not allow them (the
//!   unknown-tag error is reported), as rospack reads them regardless of the format;
//! - `description` is the inner XML as written (entities not re-serialised as minidom's `toxml`
//!   does); export text is the stripped direct text, not the inner XML.

use std::collections::BTreeMap;
use std::path::Path;

use roxmltree::Node;

use super::xml::{Cursor, Xml, parse_document};
use super::{
    Condition, DependKind, Dependency, Export, Group, License, Manifest, ManifestKind, Person, Url,
    VersionConstraint,
};
use crate::diagnostic::{Diagnostic, Position};

/// Parses the text of a `package.xml`.
pub(super) fn parse(text: &str, path: &Path) -> Result<Manifest, Diagnostic> {
    let doc = parse_document(text, path)?;
    let cursor = Cursor::default();
    let xml = Xml::new(&doc, &cursor);
    let root = doc.root_element();
    let root_name = xml.qname(root);
    if root_name != "package" {
        return Err(Diagnostic::error(
            path,
            format!("The manifest must contain a single \"package\" root tag, not \"{root_name}\""),
        )
        .at(xml.position(root))
        .with_hint("a package.xml has the root element <package format=\"3\">"));
    }
    let mut parser = Parser { xml, path, diagnostics: Vec::new() };
    let mut manifest = parser.read(root);
    parser.validate(root, &manifest);
    // Stable sort: document order, problems about the whole file (at the root) first.
    parser.diagnostics.sort_by_key(|d| d.position);
    manifest.diagnostics = parser.diagnostics;
    Ok(manifest)
}

/// Version attributes every dependency tag accepts.
const VERSION_ATTRIBUTES: &[&str] =
    &["version_lt", "version_lte", "version_eq", "version_gte", "version_gt"];
/// Version attributes plus `condition` (format 3).
const VERSION_AND_CONDITION_ATTRIBUTES: &[&str] =
    &["version_lt", "version_lte", "version_eq", "version_gte", "version_gt", "condition"];

/// The attributes catkin_pkg accepts on a direct child `tag` of `<package>` in `format`, or
/// `None` when the tag itself is not allowed in that format.
fn known_attributes(tag: &str, format: u8) -> Option<&'static [&'static str]> {
    let depend = if format > 2 { VERSION_AND_CONDITION_ATTRIBUTES } else { VERSION_ATTRIBUTES };
    Some(match tag {
        "name" | "description" | "export" => &[],
        "version" => &["compatibility"],
        "maintainer" | "author" => &["email"],
        "license" if format > 2 => &["file"],
        "license" => &[],
        "url" => &["type"],
        "build_depend" | "buildtool_depend" | "test_depend" | "conflict" | "replace" => depend,
        "run_depend" if format == 1 => depend,
        "build_export_depend"
        | "buildtool_export_depend"
        | "depend"
        | "exec_depend"
        | "doc_depend"
            if format != 1 =>
        {
            depend
        }
        "group_depend" | "member_of_group" if format > 2 => &["condition"],
        _ => return None,
    })
}

/// The hint for a tag the format does not allow (catkin_pkg's extra errors for two of them).
fn unknown_tag_hint(tag: &str) -> String {
    match (tag, first_format_with(tag)) {
        ("run_depend", _) => "Please replace <run_depend> tags with <exec_depend> tags.".to_owned(),
        ("exec_depend", _) => "Either update to a newer format or replace <exec_depend> tags \
                               with <run_depend> tags."
            .to_owned(),
        (_, Some(needed)) => {
            format!("<{tag}> needs format {needed} or newer: <package format=\"{needed}\">")
        }
        (_, None) => {
            "remove it or fix its spelling; REP 149 lists the tags of each format".to_owned()
        }
    }
}

/// The dependency kind of a tag, whatever the format.
fn depend_kind(tag: &str) -> Option<DependKind> {
    Some(match tag {
        "buildtool_depend" => DependKind::Buildtool,
        "buildtool_export_depend" => DependKind::BuildtoolExport,
        "build_depend" => DependKind::Build,
        "build_export_depend" => DependKind::BuildExport,
        "exec_depend" => DependKind::Exec,
        "run_depend" => DependKind::Run,
        "depend" => DependKind::Depend,
        "test_depend" => DependKind::Test,
        "doc_depend" => DependKind::Doc,
        "conflict" => DependKind::Conflict,
        "replace" => DependKind::Replace,
        _ => return None,
    })
}

/// The oldest format that allows `tag`, for tags that some format allows.
fn first_format_with(tag: &str) -> Option<u8> {
    (1..=3).find(|&format| known_attributes(tag, format).is_some())
}

/// The elements catkin_pkg wants exactly one of (or at most one, for `export`), kept for checks.
#[derive(Default)]
struct Singles<'a, 'input> {
    names: Vec<Node<'a, 'input>>,
    versions: Vec<Node<'a, 'input>>,
    descriptions: Vec<Node<'a, 'input>>,
    exports: Vec<Node<'a, 'input>>,
    licenses: Vec<Node<'a, 'input>>,
}

struct Parser<'a, 'input, 'p> {
    xml: Xml<'a, 'input>,
    path: &'p Path,
    diagnostics: Vec<Diagnostic>,
}

impl<'a, 'input> Parser<'a, 'input, '_> {
    /// Reports an error at `node`; the caller may set a hint on the returned diagnostic.
    fn error(&mut self, node: Node<'_, '_>, message: impl Into<String>) -> &mut Diagnostic {
        let position = self.xml.position(node);
        self.push(Diagnostic::error(self.path, message).at(position))
    }

    /// Reports a warning at `node`.
    fn warning(&mut self, node: Node<'_, '_>, message: impl Into<String>) -> &mut Diagnostic {
        let position = self.xml.position(node);
        self.push(Diagnostic::warning(self.path, message).at(position))
    }

    fn push(&mut self, diagnostic: Diagnostic) -> &mut Diagnostic {
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("a diagnostic was just pushed")
    }

    /// Reads every field; reports tag-level problems (counts, unknown tags and attributes,
    /// missing `email`, redundant dependencies).
    fn read(&mut self, root: Node<'a, 'input>) -> Manifest {
        let format = self.format(root);
        let mut manifest =
            Manifest { format, ..Manifest::empty(ManifestKind::PackageXml, self.path) };
        let mut singles = Singles::default();
        for child in Xml::elements(root) {
            let tag = self.xml.qname(child);
            match tag {
                "name" => singles.names.push(child),
                "version" => singles.versions.push(child),
                "description" => singles.descriptions.push(child),
                "maintainer" => {
                    let email = child.attribute("email").map(str::to_owned);
                    if email.is_none() {
                        self.error(
                            child,
                            "The \"maintainer\" tag must have the attribute \"email\"",
                        )
                        .hint = Some(
                            "write <maintainer email=\"you@example.com\">Your Name</maintainer>"
                                .into(),
                        );
                    }
                    manifest.maintainers.push(Person { name: Xml::text(child), email });
                }
                "author" => manifest.authors.push(Person {
                    name: Xml::text(child),
                    email: child.attribute("email").map(str::to_owned),
                }),
                "license" => {
                    singles.licenses.push(child);
                    manifest.licenses.push(License {
                        name: Xml::text(child),
                        file: child.attribute("file").map(str::to_owned),
                    });
                }
                "url" => manifest.urls.push(Url {
                    url: Xml::text(child),
                    kind: child.attribute("type").unwrap_or("website").to_owned(),
                }),
                "export" => {
                    singles.exports.push(child);
                    for node in Xml::elements(child) {
                        let export = self.export(node);
                        manifest.exports.push(export);
                    }
                }
                "group_depend" | "member_of_group" => {
                    let condition = self.condition(child);
                    let group = Group { name: Xml::text(child), condition };
                    if tag == "group_depend" {
                        manifest.group_depends.push(group);
                    } else {
                        manifest.member_of_groups.push(group);
                    }
                }
                _ => {
                    if let Some(kind) = depend_kind(tag)
                        && let Some(dependency) = self.dependency(child, tag, kind)
                    {
                        manifest.dependencies.push(dependency);
                    }
                }
            }
        }

        let name = self.exactly_one(root, &singles.names, "name");
        manifest.name = name.map(Xml::text);
        if let Some(version) = self.exactly_one(root, &singles.versions, "version") {
            manifest.version = Xml::text(version);
        }
        if let Some(description) = self.exactly_one(root, &singles.descriptions, "description") {
            manifest.description = self.xml.inner_xml(description).to_owned();
        }
        if let Some(second) = singles.exports.get(1) {
            self.error(*second, "The manifest must not contain more than one \"export\" tags")
                .hint = Some("merge the <export> blocks into one".into());
        }

        self.check_redundant_depends(&manifest);
        self.check_tags(root, &manifest);
        self.validate_singles(root, &manifest, &singles);
        manifest
    }

    /// The `format` attribute; 1 when absent, the nearest supported format when unusable.
    fn format(&mut self, root: Node<'_, '_>) -> u8 {
        let Some(value) = root.attribute("format") else {
            return 1;
        };
        match python_int(value) {
            Some(n @ 1..=3) => u8::try_from(n).unwrap_or(1),
            Some(n) if n > 3 => {
                self.error(
                    root,
                    format!("Unable to handle package.xml format version '{value}'"),
                )
                .hint = Some(
                    "formats 1, 2 and 3 exist (REP 127, 140, 149); the file is read as format 3"
                        .into(),
                );
                3
            }
            _ => {
                let message = "The \"format\" attribute of the package must contain a positive \
                               integer if present";
                self.error(root, message).hint =
                    Some("write format=\"3\" (or 1 or 2); the file is read as format 1".into());
                1
            }
        }
    }

    /// The single element of `nodes`, reporting none or several.
    fn exactly_one(
        &mut self,
        root: Node<'a, 'input>,
        nodes: &[Node<'a, 'input>],
        tag: &str,
    ) -> Option<Node<'a, 'input>> {
        let message = format!("The manifest must contain exactly one \"{tag}\" tag");
        match nodes {
            [] => {
                self.error(root, message).hint =
                    Some(format!("add a <{tag}> element to <package>"));
                None
            }
            [first, rest @ ..] => {
                for extra in rest {
                    self.error(*extra, message.clone()).hint =
                        Some(format!("remove the extra <{tag}> element"));
                }
                Some(*first)
            }
        }
    }

    fn dependency(
        &mut self,
        node: Node<'_, '_>,
        tag: &str,
        kind: DependKind,
    ) -> Option<Dependency> {
        let condition = self.condition(node);
        let name = Xml::text(node);
        if name.is_empty() {
            self.warning(node, format!("The \"{tag}\" tag is empty and is ignored")).hint =
                Some(format!("write the dependency's name inside <{tag}>, or remove the tag"));
            return None;
        }
        let attribute = |name: &str| node.attribute(name).map(str::to_owned);
        Some(Dependency {
            name,
            kind,
            version: VersionConstraint {
                lt: attribute("version_lt"),
                lte: attribute("version_lte"),
                eq: attribute("version_eq"),
                gte: attribute("version_gte"),
                gt: attribute("version_gt"),
            },
            condition,
            position: self.xml.position(node),
        })
    }

    /// The `condition` attribute; warns when it does not parse.
    fn condition(&mut self, node: Node<'_, '_>) -> Option<String> {
        let condition = node.attribute("condition")?;
        if let Err(e) = Condition::parse(condition) {
            self.warning(node, e.to_string()).hint = Some(
                "a condition compares $VARIABLES, words or quoted strings with ==, !=, <, <=, >, \
                 >=, \
                 joined by 'and' / 'or'"
                    .into(),
            );
        }
        Some(condition.to_owned())
    }

    fn export(&mut self, node: Node<'a, 'input>) -> Export {
        let attributes: BTreeMap<String, String> = node
            .attributes()
            .map(|a| (self.xml.attribute_qname(&a).to_owned(), a.value().to_owned()))
            .collect();
        if node.attribute("condition").is_some() {
            self.condition(node);
        }
        Export {
            tag: self.xml.qname(node).to_owned(),
            attributes,
            text: Xml::text(node),
            position: self.xml.position(node),
        }
    }

    /// Format 2+: a `<depend>` equal to a build/build_export/exec dependency (catkin_pkg compares
    /// name, version constraints and condition; earlier `<depend>`s count too).
    /// Format 1: a `<test_depend>` equal to a build or run dependency.
    fn check_redundant_depends(&mut self, manifest: &Manifest) {
        let same = |a: &Dependency, b: &Dependency| {
            a.name == b.name && a.version == b.version && a.condition == b.condition
        };
        let of_kind =
            |kind: DependKind| manifest.dependencies.iter().filter(move |d| d.kind == kind);
        let mut findings: Vec<(Position, String)> = Vec::new();
        if manifest.format != 1 {
            let mut build: Vec<&Dependency> = of_kind(DependKind::Build).collect();
            let mut build_export: Vec<&Dependency> = of_kind(DependKind::BuildExport).collect();
            let mut exec: Vec<&Dependency> = of_kind(DependKind::Exec).collect();
            for depend in of_kind(DependKind::Depend) {
                let count = |list: &[&Dependency]| list.iter().filter(|d| same(d, depend)).count();
                let (b, be, e) = (count(&build), count(&build_export), count(&exec));
                if b + be + e > 0 {
                    let tags: Vec<&str> = std::iter::repeat_n("build_depend", b)
                        .chain(std::iter::repeat_n("build_export_depend", be))
                        .chain(std::iter::repeat_n("exec_depend", e))
                        .collect();
                    findings.push((
                        depend.position,
                        format!(
                            "The generic dependency on '{}' is redundant with: {}",
                            depend.name,
                            tags.join(", ")
                        ),
                    ));
                }
                if b == 0 {
                    build.push(depend);
                }
                if be == 0 {
                    build_export.push(depend);
                }
                if e == 0 {
                    exec.push(depend);
                }
            }
        } else {
            for test in of_kind(DependKind::Test) {
                let b = of_kind(DependKind::Build).filter(|d| same(d, test)).count();
                let run = of_kind(DependKind::Run).any(|d| same(d, test));
                if b > 0 || run {
                    let tags: Vec<&str> = std::iter::repeat_n("build_depend", b)
                        .chain(run.then_some("run_depend"))
                        .collect();
                    findings.push((
                        test.position,
                        format!(
                            "The test dependency on \"{}\" is redundant with: {}",
                            test.name,
                            tags.join(", ")
                        ),
                    ));
                }
            }
        }
        for (position, message) in findings {
            let hint = if message.starts_with("The generic") {
                "<depend> already means build_depend + build_export_depend + exec_depend; \
                 remove one of them"
            } else {
                "a build or run dependency is available to tests already; remove the <test_depend>"
            };
            self.push(Diagnostic::error(self.path, message).at(position).with_hint(hint));
        }
    }

    /// Unknown tags for the format, unknown attributes, child elements inside simple tags.
    fn check_tags(&mut self, root: Node<'a, 'input>, manifest: &Manifest) {
        let format = manifest.format;
        self.check_attributes(root, &["format"]);
        let mut unknown: Vec<&str> = Vec::new();
        for child in Xml::elements(root) {
            let tag = self.xml.qname(child);
            let Some(known) = known_attributes(tag, format) else {
                if !unknown.contains(&tag) {
                    unknown.push(tag);
                    let package =
                        manifest.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
                    let message = format!(
                        "The manifest of package{package} (with format version {format}) must not \
                         contain the following tags: {tag}"
                    );
                    self.error(child, message).hint = Some(unknown_tag_hint(tag));
                }
                continue;
            };
            self.check_attributes(child, known);
            if tag != "description" && tag != "export" {
                let children: Vec<&str> = Xml::elements(child).map(|n| self.xml.qname(n)).collect();
                if !children.is_empty() {
                    self.error(
                        child,
                        format!(
                            "The \"{tag}\" tag must not contain the following children: {}",
                            children.join(", ")
                        ),
                    )
                    .hint = Some(format!("<{tag}> holds plain text only"));
                }
            }
        }
    }

    fn check_attributes(&mut self, node: Node<'a, 'input>, known: &[&str]) {
        let unknown: Vec<&str> = node
            .attributes()
            .map(|a| self.xml.attribute_qname(&a))
            .filter(|name| !(known.contains(name) || *name == "xmlns" || name.contains(':')))
            .collect();
        if unknown.is_empty() {
            return;
        }
        let tag = self.xml.qname(node);
        let hint =
            if unknown.contains(&"condition") || (tag == "license" && unknown.contains(&"file")) {
                "this attribute needs format 3: <package format=\"3\">".to_owned()
            } else if known.is_empty() {
                format!("<{tag}> takes no attributes")
            } else {
                format!("<{tag}> accepts: {}", known.join(", "))
            };
        self.error(
            node,
            format!(
                "The \"{tag}\" tag must not have the following attributes: {}",
                unknown.join(", ")
            ),
        )
        .hint = Some(hint);
    }

    /// `Package.validate` for name, version, description and licenses.
    fn validate_singles(
        &mut self,
        root: Node<'a, 'input>,
        manifest: &Manifest,
        singles: &Singles<'a, 'input>,
    ) {
        if let (Some(node), Some(name)) = (singles.names.first(), &manifest.name) {
            if name.is_empty() {
                self.error(*node, "Package name must not be empty");
            } else if !is_valid_name(name) {
                let message = format!("Package name \"{name}\" does not follow naming conventions");
                self.error(*node, message).hint = Some(
                    "a package name starts with a letter or digit and holds only letters, digits, \
                     '_' and '-'"
                        .into(),
                );
            } else if !is_conventional_name(name) {
                self.warning(
                    *node,
                    format!(
                        "Package name \"{name}\" does not follow the naming conventions. It should \
                         start with a lower case letter and only contain lower case letters, digits, \
                         underscores, and dashes."
                    ),
                );
            }
        }
        if let Some(node) = singles.versions.first() {
            let version = &manifest.version;
            if version.is_empty() {
                self.error(*node, "Package version must not be empty").hint =
                    Some("write MAJOR.MINOR.PATCH, e.g. <version>1.0.0</version>".into());
            } else if !is_version(version) {
                self.error(
                    *node,
                    format!("Package version \"{version}\" does not follow version conventions"),
                )
                .hint =
                    Some("write three dot-separated numbers, MAJOR.MINOR.PATCH, e.g. 1.2.3".into());
            } else if !is_version_without_leading_zeros(version) {
                let name = manifest.name.as_deref().unwrap_or_default();
                self.warning(
                    *node,
                    format!(
                        "Package \"{name}\" does not follow the version conventions. It should not \
                         contain leading zeros (unless the number is 0)."
                    ),
                );
            }
            if let Some(compatibility) = node.attribute("compatibility")
                && !compatibility.is_empty()
                && !is_version(compatibility)
            {
                let message = format!(
                    "Package compatibility version '{compatibility}' does not follow version \
                     conventions"
                );
                self.error(*node, message).hint =
                    Some("write three dot-separated numbers, MAJOR.MINOR.PATCH, e.g. 1.2.3".into());
            }
        }
        if let Some(node) = singles.descriptions.first()
            && manifest.description.is_empty()
        {
            self.error(*node, "Package description must not be empty");
        }
        self.validate_people(root, manifest);
        if manifest.licenses.is_empty() {
            self.error(root, "The package node must contain at least one \"license\" tag").hint =
                Some("add e.g. <license>BSD-3-Clause</license>".into());
        }
        for (node, license) in singles.licenses.iter().zip(&manifest.licenses) {
            if license.name.trim().is_empty() {
                self.error(
                    *node,
                    "The license tag must neither be empty nor only contain whitespaces",
                );
            }
        }
    }

    /// Maintainers (at least one, with a valid email) and author emails.
    fn validate_people(&mut self, root: Node<'a, 'input>, manifest: &Manifest) {
        if manifest.maintainers.is_empty() {
            let package = manifest.name.as_deref().map(|n| format!(" '{n}'")).unwrap_or_default();
            self.error(root, format!("Package{package} must declare at least one maintainer"))
                .hint =
                Some("add <maintainer email=\"you@example.com\">Your Name</maintainer>".into());
        }
        let people: Vec<(Node<'a, 'input>, &str)> = Xml::elements(root)
            .filter_map(|n| match self.xml.qname(n) {
                tag @ ("maintainer" | "author") => Some((n, tag)),
                _ => None,
            })
            .collect();
        for (node, tag) in people {
            let Some(email) = node.attribute("email") else {
                continue;
            };
            if tag == "maintainer" && email.is_empty() {
                self.error(node, "Maintainers must have an email address");
            } else if !is_email(email) {
                self.error(
                    node,
                    format!("Invalid email \"{email}\" for person \"{}\"", Xml::text(node)),
                )
                .hint = Some("an email looks like name@example.com".into());
            }
        }
    }

    /// `Package.validate` for dependencies, groups and metapackages.
    fn validate(&mut self, root: Node<'a, 'input>, manifest: &Manifest) {
        if let Some(name) = manifest.name.as_deref().filter(|n| !n.is_empty()) {
            for dependency in &manifest.dependencies {
                if dependency.name == name
                    && !matches!(dependency.kind, DependKind::Conflict | DependKind::Replace)
                {
                    let tag = dependency.kind.tag();
                    let message = format!(
                        "The package \"{name}\" must not \"{tag}\" on a package with the same name as \
                         this package"
                    );
                    self.push(
                        Diagnostic::error(self.path, message)
                            .at(dependency.position)
                            .with_hint("remove the dependency on itself"),
                    );
                }
            }
        }
        let xml = self.xml;
        for group in Xml::elements(root).filter(|n| xml.qname(*n) == "group_depend") {
            let group_name = Xml::text(group);
            if manifest.member_of_groups.iter().any(|g| g.name == group_name) {
                let message = "The package must not 'group_depend' on a package which it also \
                               declares to be a member of";
                self.error(group, message).hint = Some(format!(
                    "remove <group_depend>{group_name}</group_depend> or the <member_of_group>"
                ));
            }
        }
        let unconditional_build_types: Vec<&Export> = manifest
            .exports
            .iter()
            .filter(|e| e.tag == "build_type" && e.attribute("condition").is_none())
            .collect();
        if let Some(second) = unconditional_build_types.get(1) {
            self.push(
                Diagnostic::warning(self.path, "Only one <build_type> element is permitted.")
                    .at(second.position)
                    .with_hint("keep one <build_type>, or give each a condition (format 3)"),
            );
        }
        if let Some(metapackage) = manifest.exports.iter().find(|e| e.tag == "metapackage") {
            let position = metapackage.position;
            let name = manifest.name.as_deref().unwrap_or_default();
            let of_kind =
                |kind: DependKind| manifest.dependencies.iter().filter(move |d| d.kind == kind);
            if !of_kind(DependKind::Buildtool).any(|d| d.name == "catkin") {
                self.push(
                    Diagnostic::warning(
                        self.path,
                        format!("Metapackage \"{name}\" must buildtool_depend on catkin."),
                    )
                    .at(position)
                    .with_hint("add <buildtool_depend>catkin</buildtool_depend>"),
                );
            }
            let invalid = of_kind(DependKind::Build).next().is_some()
                || (manifest.format != 1 && of_kind(DependKind::Depend).next().is_some())
                || of_kind(DependKind::Buildtool).any(|d| d.name != "catkin")
                || of_kind(DependKind::Test).next().is_some();
            if invalid {
                let allowed = if manifest.format == 1 { "run_depends" } else { "exec_depends" };
                let message = format!(
                    "Metapackage \"{name}\" should not have other dependencies besides a \
                     buildtool_depend on catkin and {allowed}."
                );
                self.push(Diagnostic::warning(self.path, message).at(position));
            }
        }
    }
}

/// Python's `int(value)` for the `format` attribute: surrounding whitespace, a sign, digits with
/// single underscores between them. `None` when it is not an integer; saturates when huge.
fn python_int(value: &str) -> Option<i64> {
    let value = value.trim();
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let magnitude = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .fold(0i64, |acc, d| acc.saturating_mul(10).saturating_add(i64::from(d)));
    Some(if negative { -magnitude } else { magnitude })
}

/// `^[a-zA-Z0-9][a-zA-Z0-9_-]*$`
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `^[a-z][a-z0-9_-]*$`
fn is_conventional_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// `^[0-9]+\.[0-9]+\.[0-9]+$`
fn is_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// `^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`
fn is_version_without_leading_zeros(version: &str) -> bool {
    is_version(version) && version.split('.').all(|p| p == "0" || !p.starts_with('0'))
}

/// catkin_pkg's email pattern:
/// `^[-a-zA-Z0-9_%+]+(\.[-a-zA-Z0-9_%+]+)*@[-a-zA-Z0-9%]+(\.[-a-zA-Z0-9%]+)*\.[a-zA-Z]{2,}$`.
fn is_email(email: &str) -> bool {
    // Python's `$` also matches before a final newline.
    let email = email.strip_suffix('\n').unwrap_or(email);
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = local.split('.').all(|part| {
        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_%+".contains(c))
    });
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    local_ok
        && !rest.is_empty()
        && rest.iter().all(|l| {
            !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || "-%".contains(c))
        })
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests;
