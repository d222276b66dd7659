//! rosbuild `manifest.xml` (root `<package>`) and `stack.xml` (root `<stack>`): a port of
//! `rospkg.manifest.parse_manifest`, with rospack's wording where rospack reports the problem.
//!
//! Only direct children of the root are read. What rospkg raises `InvalidManifest` for becomes an
//! error diagnostic and parsing goes on: a `<depend>` without its `package`/`stack` attribute
//! (left out of the dependencies), a `<rosdep>` without `name` (rospack ignores it), a
//! `<platform>` without `os`/`version`, a repeated `description`/`license`/`url`/`version`
//! (the first one is kept), and `<export>`/`<rosdep>` content in a stack.xml. Several `<author>`
//! elements are separate [`Person`]s (rospkg joins them with ", "). Unknown tags are ignored, as
//! both rospkg and rospack do.

use std::collections::BTreeMap;
use std::path::Path;

use roxmltree::Node;

use super::xml::{Cursor, Xml, parse_document};
use super::{
    DependKind, Dependency, Export, License, Manifest, ManifestKind, Person, Platform, Url,
    VersionConstraint, VersionControl,
};
use crate::diagnostic::{Diagnostic, DiagnosticKind};

/// Parses the text of a `manifest.xml` ([`ManifestKind::ManifestXml`]) or `stack.xml`
/// ([`ManifestKind::StackXml`]).
pub(super) fn parse(kind: ManifestKind, text: &str, path: &Path) -> Result<Manifest, Diagnostic> {
    let (root_tag, depend_attribute, depend_kind) = match kind {
        ManifestKind::StackXml => ("stack", "stack", DependKind::RosbuildStack),
        ManifestKind::ManifestXml | ManifestKind::PackageXml => {
            ("package", "package", DependKind::RosbuildPackage)
        }
    };
    let doc = parse_document(text, path)?;
    let cursor = Cursor::default();
    let xml = Xml::new(&doc, &cursor);
    let root = doc.root_element();
    if xml.qname(root) != root_tag {
        return Err(Diagnostic::error(
            path,
            format!("manifest must have a single '{root_tag}' element"),
        )
        .at(xml.position(root))
        .with_hint(format!(
            "the root element of a {} is <{root_tag}>, not <{}>",
            kind.file_name(),
            xml.qname(root)
        )));
    }

    let mut manifest =
        Manifest { review_status: "unreviewed".to_owned(), ..Manifest::empty(kind, path) };
    let mut reader = Reader { xml, path, diagnostics: Vec::new(), seen: BTreeMap::new() };
    let mut reviewed = false;
    let mut stack_export_reported = false;
    for child in Xml::elements(root) {
        let tag = xml.qname(child);
        // Text tags that may appear once: the first one is used, the others are errors.
        let first = match tag {
            "description" | "license" | "url" | "version" => reader.first(tag, child),
            _ => true,
        };
        match tag {
            "description" if first => {
                manifest.description = xml.inner_xml(child).to_owned();
                manifest.brief = child.attribute("brief").unwrap_or_default().to_owned();
            }
            "license" if first => {
                manifest.licenses.push(License { name: element_text(child), file: None })
            }
            "url" if first => {
                manifest.urls.push(Url { url: element_text(child), kind: "website".to_owned() })
            }
            "version" if first => manifest.version = element_text(child),
            "author" => {
                let name = element_text(child);
                if !name.is_empty() {
                    manifest.authors.push(Person { name, email: None });
                }
            }
            "depend" => {
                if let Some(dependency) =
                    reader.depend(child, depend_attribute, depend_kind, &manifest)
                {
                    manifest.dependencies.push(dependency);
                }
            }
            "rosdep" => reader.rosdep(child, kind, &mut manifest),
            "export" => {
                let exports: Vec<Export> =
                    Xml::elements(child).map(|node| reader.export(node)).collect();
                if kind == ManifestKind::StackXml && !exports.is_empty() && !stack_export_reported {
                    stack_export_reported = true;
                    reader.error(child, "stack manifests are not allowed to have exports").hint =
                        Some("move the <export> block into the manifest.xml of a package".into());
                }
                manifest.exports.extend(exports);
            }
            "versioncontrol" => manifest.version_control.push(VersionControl {
                kind: child.attribute("type").map(str::to_owned),
                url: child.attribute("url").map(str::to_owned),
            }),
            "platform" => {
                if let Some(platform) = reader.platform(child) {
                    manifest.platforms.push(platform);
                }
            }
            "review" if !reviewed => {
                reviewed = true;
                manifest.review_status = child.attribute("status").unwrap_or_default().to_owned();
                manifest.review_notes = child.attribute("notes").unwrap_or_default().to_owned();
            }
            _ => {}
        }
    }
    manifest.diagnostics = reader.diagnostics;
    Ok(manifest)
}

/// Text of an element: its direct text children, stripped of whitespace (rospkg's
/// `_get_text(...).strip()`).
fn element_text(node: Node<'_, '_>) -> String {
    let text: String = node.children().filter(Node::is_text).filter_map(|n| n.text()).collect();
    text.trim().to_owned()
}

struct Reader<'a, 'input, 'p> {
    xml: Xml<'a, 'input>,
    path: &'p Path,
    diagnostics: Vec<Diagnostic>,
    /// How many times each single-valued tag was seen.
    seen: BTreeMap<&'input str, usize>,
}

impl<'a, 'input> Reader<'a, 'input, '_> {
    /// Reports an error at `node`; the caller may set a hint on the returned diagnostic.
    fn error(&mut self, node: Node<'_, '_>, message: impl Into<String>) -> &mut Diagnostic {
        let position = self.xml.position(node);
        self.diagnostics.push(Diagnostic::error(self.path, message).at(position));
        self.diagnostics.last_mut().expect("a diagnostic was just pushed")
    }

    /// True the first time `tag` is seen; an error the next times.
    fn first(&mut self, tag: &'input str, node: Node<'_, '_>) -> bool {
        let count = self.seen.entry(tag).or_insert(0);
        *count += 1;
        if *count == 1 {
            return true;
        }
        self.error(node, format!("must have a single '{tag}' element")).hint =
            Some(format!("remove the extra <{tag}> element; the first one is used"));
        false
    }

    /// `<depend package="..."/>` / `<depend stack="..."/>`; `thirdparty` depends are skipped.
    fn depend(
        &mut self,
        node: Node<'a, 'input>,
        attribute: &str,
        kind: DependKind,
        manifest: &Manifest,
    ) -> Option<Dependency> {
        if node.has_attribute("thirdparty") {
            return None;
        }
        match node.attribute(attribute) {
            Some(name) if !name.is_empty() => Some(Dependency {
                name: name.to_owned(),
                kind,
                version: VersionConstraint::default(),
                condition: None,
                position: self.xml.position(node),
            }),
            Some(_) => {
                self.error(
                    node,
                    format!("bad '{attribute}' attribute: the dependency name is empty"),
                )
                .hint = Some(format!("write <depend {attribute}=\"NAME\"/>"));
                None
            }
            None => {
                let name = manifest
                    .dir()
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let d = self.error(
                    node,
                    format!(
                        "bad depend syntax (no 'package/stack' attribute) in manifest {name} at {}",
                        self.path.display()
                    ),
                );
                d.hint = Some(format!("write <depend {attribute}=\"NAME\"/>"));
                d.kind = DiagnosticKind::DependWithoutTarget;
                None
            }
        }
    }

    /// `<rosdep name="..."/>`: an error without `name` or in a stack.xml.
    fn rosdep(&mut self, node: Node<'a, 'input>, kind: ManifestKind, manifest: &mut Manifest) {
        match node.attribute("name") {
            Some(name) if !name.is_empty() => {
                if kind == ManifestKind::StackXml {
                    self.error(node, "stack manifests are not allowed to have rosdeps").hint =
                        Some("move the <rosdep> into the manifest.xml of a package".into());
                }
                manifest.rosdeps.push(name.to_owned());
            }
            _ => {
                self.error(node, "invalid rosdep tag").hint = Some(
                    "write <rosdep name=\"KEY\"/>; rospack ignores this tag, rospkg rejects the \
                     manifest"
                        .into(),
                );
            }
        }
    }

    /// `<platform os="..." version="..." notes="..."/>`; `os` and `version` are required.
    fn platform(&mut self, node: Node<'a, 'input>) -> Option<Platform> {
        for required in ["os", "version"] {
            if node.attribute(required).is_none_or(str::is_empty) {
                self.error(
                    node,
                    format!("<platform> tag is missing required '{required}' attribute"),
                )
                .hint = Some("write <platform os=\"ubuntu\" version=\"9.04\"/>".into());
                return None;
            }
        }
        Some(Platform {
            os: node.attribute("os").unwrap_or_default().to_owned(),
            version: node.attribute("version").unwrap_or_default().to_owned(),
            notes: node.attribute("notes").map(str::to_owned),
        })
    }

    fn export(&self, node: Node<'a, 'input>) -> Export {
        Export {
            tag: self.xml.qname(node).to_owned(),
            attributes: node
                .attributes()
                .map(|a| (self.xml.attribute_qname(&a).to_owned(), a.value().to_owned()))
                .collect(),
            text: element_text(node),
            position: self.xml.position(node),
        }
    }
}

#[cfg(test)]
mod tests;
