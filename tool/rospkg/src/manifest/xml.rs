//! The XML layer both manifest parsers (package.xml, and rosbuild's manifest.xml / stack.xml)
//! stand on: parsing with DTDs refused, positions counted incrementally, names and text as
//! written.

use std::path::Path;

use roxmltree::{Attribute, Document, Node};

use crate::diagnostic::{Diagnostic, DiagnosticKind, Position};

/// Parses the XML (DTDs refused, which stops entity bombs), with the error at the offending line.
pub(crate) fn parse_document<'input>(
    text: &'input str,
    path: &Path,
) -> Result<Document<'input>, Diagnostic> {
    Document::parse(text).map_err(|e| {
        let diagnostic = xml_error(path, &e);
        // roxmltree reports a DTD at 1:1; point at the declaration itself.
        match (&e, text.find("<!DOCTYPE")) {
            (roxmltree::Error::DtdDetected, Some(offset)) => {
                let before = text.get(..offset).unwrap_or_default();
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
                diagnostic.at(Position::new(
                    u32::try_from(line).unwrap_or(u32::MAX),
                    u32::try_from(column).unwrap_or(u32::MAX),
                ))
            }
            _ => diagnostic,
        }
    })
}

/// Read-only helpers over a parsed document, shared with the rosbuild parser.
#[derive(Clone, Copy)]
pub(crate) struct Xml<'a, 'input> {
    text: &'input str,
    cursor: &'a Cursor,
}

/// The last position computed (byte offset, line, column): nodes are mostly asked for in
/// document order, so each position is counted on from the previous one instead of from the
/// start of the text (roxmltree's `text_pos_at` rescans the whole prefix every time).
#[derive(Debug)]
pub(crate) struct Cursor(std::cell::Cell<(usize, u32, u32)>);

impl Default for Cursor {
    fn default() -> Self {
        Cursor(std::cell::Cell::new((0, 1, 1)))
    }
}

impl<'a, 'input> Xml<'a, 'input> {
    /// Wraps a parsed document; `cursor` remembers the last position computed.
    pub(crate) fn new(doc: &Document<'input>, cursor: &'a Cursor) -> Self {
        Xml { text: doc.input_text(), cursor }
    }

    /// Line and column where `node` starts (columns count characters, as roxmltree's).
    pub(crate) fn position(self, node: Node<'_, '_>) -> Position {
        let target = node.range().start.min(self.text.len());
        let (mut offset, mut row, mut col) = self.cursor.0.get();
        if target < offset {
            (offset, row, col) = (0, 1, 1);
        }
        for c in self.text.get(offset..target).unwrap_or_default().chars() {
            if c == '\n' {
                row += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        self.cursor.0.set((target, row, col));
        Position::new(row, col)
    }

    /// The element name as written, with its namespace prefix (minidom's `tagName`).
    pub(crate) fn qname(self, node: Node<'a, 'input>) -> &'input str {
        let start = node.range().start + 1;
        let written = self.text.get(start..).map(|rest| {
            let end = rest
                .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
                .unwrap_or(rest.len());
            &rest[..end]
        });
        match written {
            Some(name) if !name.is_empty() => name,
            _ => node.tag_name().name(),
        }
    }

    /// The attribute name as written, with its namespace prefix.
    pub(crate) fn attribute_qname(self, attribute: &Attribute<'a, 'input>) -> &'input str {
        self.text.get(attribute.range_qname()).unwrap_or(attribute.name())
    }

    /// The element children of `node`, in document order.
    pub(crate) fn elements(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
        node.children().filter(Node::is_element)
    }

    /// The direct text children of `node`, concatenated and stripped of space, tab, CR and LF
    /// (catkin_pkg's `_get_node_value`).
    pub(crate) fn text(node: Node<'_, '_>) -> String {
        let text: String = node.children().filter(Node::is_text).filter_map(|n| n.text()).collect();
        strip(&text).to_owned()
    }

    /// The content of `node` as written between its start and end tags, stripped.
    pub(crate) fn inner_xml(self, node: Node<'_, '_>) -> &'input str {
        let Some(raw) = self.text.get(node.range()) else {
            return "";
        };
        // The start tag ends at the first '>' outside a quoted attribute value.
        let mut quote = None;
        let mut start_tag_end = None;
        for (i, c) in raw.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    start_tag_end = Some(i);
                    break;
                }
                (None, _) => {}
            }
        }
        let Some(end) = start_tag_end else { return "" };
        if raw[..end].ends_with('/') {
            return "";
        }
        let content_start = end + 1;
        match raw.rfind("</") {
            Some(content_end) if content_end >= content_start => {
                strip(&raw[content_start..content_end])
            }
            _ => "",
        }
    }
}

/// Strips space, tab, CR and LF at both ends, as catkin_pkg's `strip(' \n\r\t')`.
pub(crate) fn strip(text: &str) -> &str {
    text.trim_matches([' ', '\n', '\r', '\t'])
}

/// Turns a roxmltree error into a diagnostic at its position.
fn xml_error(path: &Path, error: &roxmltree::Error) -> Diagnostic {
    let pos = error.pos();
    let hint = match error {
        roxmltree::Error::DtdDetected => {
            Some("manifests never need a DTD; remove the <!DOCTYPE ...> declaration")
        }
        _ => None,
    };
    let d = Diagnostic::error(path, format!("invalid XML: {error}"))
        .at(Position::new(pos.row, pos.col))
        .of_kind(DiagnosticKind::Syntax);
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}
