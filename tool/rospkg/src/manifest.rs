//! Manifests: `package.xml` (formats 1-3, REP 127/140/149), rosbuild `manifest.xml` and `stack.xml`.
//!
//! Ports `rospkg.manifest` and the parts of `catkin_pkg.package` that read a package. One model,
//! [`Manifest`], holds all three kinds. [`parse`] is a pure function over the file's text: it fails
//! only when the file cannot be read as a manifest at all (bad XML, wrong root element, a DTD);
//! everything catkin_pkg's validation would say (errors and warnings) lands in
//! [`Manifest::diagnostics`], so rospack-compatible callers can ignore it and strict callers can
//! refuse the package.

mod condition;
mod package_xml;
mod rosbuild;
mod xml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use condition::{Condition, ConditionError};

use crate::diagnostic::{Diagnostic, Position};

/// The three manifest file kinds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ManifestKind {
    /// catkin / ament `package.xml`.
    PackageXml,
    /// rosbuild `manifest.xml` (a "dry" package).
    ManifestXml,
    /// rosbuild `stack.xml`.
    StackXml,
}

impl ManifestKind {
    /// The file name of this kind of manifest.
    pub fn file_name(self) -> &'static str {
        match self {
            ManifestKind::PackageXml => "package.xml",
            ManifestKind::ManifestXml => "manifest.xml",
            ManifestKind::StackXml => "stack.xml",
        }
    }
}

/// The tag a dependency was declared with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum DependKind {
    /// `<buildtool_depend>`
    Buildtool,
    /// `<buildtool_export_depend>` (format 2+)
    BuildtoolExport,
    /// `<build_depend>`
    Build,
    /// `<build_export_depend>` (format 2+)
    BuildExport,
    /// `<exec_depend>` (format 2+)
    Exec,
    /// `<run_depend>` (format 1: build_export + exec)
    Run,
    /// `<depend>` (format 2+: build + build_export + exec)
    Depend,
    /// `<test_depend>`
    Test,
    /// `<doc_depend>` (format 2+)
    Doc,
    /// `<conflict>`
    Conflict,
    /// `<replace>`
    Replace,
    /// rosbuild `<depend package="..."/>` in manifest.xml
    RosbuildPackage,
    /// rosbuild `<depend stack="..."/>` in stack.xml
    RosbuildStack,
}

impl DependKind {
    /// The XML tag name (`depend` for both rosbuild kinds).
    pub fn tag(self) -> &'static str {
        match self {
            DependKind::Buildtool => "buildtool_depend",
            DependKind::BuildtoolExport => "buildtool_export_depend",
            DependKind::Build => "build_depend",
            DependKind::BuildExport => "build_export_depend",
            DependKind::Exec => "exec_depend",
            DependKind::Run => "run_depend",
            DependKind::Depend | DependKind::RosbuildPackage | DependKind::RosbuildStack => {
                "depend"
            }
            DependKind::Test => "test_depend",
            DependKind::Doc => "doc_depend",
            DependKind::Conflict => "conflict",
            DependKind::Replace => "replace",
        }
    }

    /// True for the kinds rospack follows as run-time dependencies of a package.xml
    /// (`run_depend`, `exec_depend`, `depend`), and for rosbuild `<depend>`.
    pub fn is_rospack_run(self) -> bool {
        matches!(
            self,
            DependKind::Run
                | DependKind::Exec
                | DependKind::Depend
                | DependKind::RosbuildPackage
                | DependKind::RosbuildStack
        )
    }

    /// True for the kinds Python rospkg follows: buildtool, build, build_export, exec/run,
    /// depend and test (not doc, not buildtool_export, not conflict/replace).
    pub fn is_rospkg(self) -> bool {
        matches!(
            self,
            DependKind::Buildtool
                | DependKind::Build
                | DependKind::BuildExport
                | DependKind::Exec
                | DependKind::Run
                | DependKind::Depend
                | DependKind::Test
                | DependKind::RosbuildPackage
                | DependKind::RosbuildStack
        )
    }
}

/// Version constraints of a dependency (`version_lt` ... `version_gt` attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionConstraint {
    /// `version_lt`
    pub lt: Option<String>,
    /// `version_lte`
    pub lte: Option<String>,
    /// `version_eq`
    pub eq: Option<String>,
    /// `version_gte`
    pub gte: Option<String>,
    /// `version_gt`
    pub gt: Option<String>,
}

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dependency {
    /// The dependency's name (a package name or a rosdep key), stripped.
    pub name: String,
    /// The tag it was declared with.
    pub kind: DependKind,
    /// Version constraints, if any.
    pub version: VersionConstraint,
    /// REP 149 `condition` attribute, unevaluated.
    pub condition: Option<String>,
    /// Where the element starts.
    pub position: Position,
}

/// A maintainer or author.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    /// Name (element text).
    pub name: String,
    /// `email` attribute.
    pub email: Option<String>,
}

/// A `<license>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct License {
    /// The licence name (element text).
    pub name: String,
    /// `file` attribute (format 3).
    pub file: Option<String>,
}

/// A `<url>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Url {
    /// The URL (element text).
    pub url: String,
    /// `type` attribute: website (default), bugtracker, repository.
    pub kind: String,
}

/// A `group_depend` or `member_of_group` (format 3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Group {
    /// The group name.
    pub name: String,
    /// REP 149 `condition`, unevaluated.
    pub condition: Option<String>,
}

/// One child element of `<export>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Export {
    /// Element name, e.g. `cpp`, `build_type`, `metapackage`, `rviz`.
    pub tag: String,
    /// Attributes (sorted), e.g. `cflags`, `lflags`, `os`, `plugin`; `condition` is kept here too.
    pub attributes: BTreeMap<String, String>,
    /// Text content, stripped (e.g. `ament_cmake` for `<build_type>`).
    pub text: String,
    /// Where the element starts.
    pub position: Position,
}

impl Export {
    /// The attribute `name`, if present.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }
}

/// A rosbuild `<versioncontrol type="..." url="..."/>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionControl {
    /// `type` attribute, if present.
    pub kind: Option<String>,
    /// `url` attribute, if present.
    pub url: Option<String>,
}

/// A rosbuild `<platform os="..." version="..."/>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Platform {
    /// `os` attribute.
    pub os: String,
    /// `version` attribute.
    pub version: String,
    /// `notes` attribute.
    pub notes: Option<String>,
}

/// A parsed manifest of any kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Which file kind this came from.
    pub kind: ManifestKind,
    /// The manifest file's path, as given to [`parse`].
    pub path: PathBuf,
    /// package.xml `format` attribute (1 when absent); 0 for rosbuild files.
    pub format: u8,
    /// package.xml `<name>` text, stripped; `None` for rosbuild files and when missing.
    pub name: Option<String>,
    /// `<version>` text, stripped ("" when missing).
    pub version: String,
    /// `<description>` inner content as written (XHTML kept), stripped.
    pub description: String,
    /// rosbuild `description@brief` ("" when missing).
    pub brief: String,
    /// `<maintainer>` elements (package.xml).
    pub maintainers: Vec<Person>,
    /// `<author>` elements.
    pub authors: Vec<Person>,
    /// `<license>` elements.
    pub licenses: Vec<License>,
    /// `<url>` elements.
    pub urls: Vec<Url>,
    /// Every dependency tag in document order.
    pub dependencies: Vec<Dependency>,
    /// `group_depend` elements.
    pub group_depends: Vec<Group>,
    /// `member_of_group` elements.
    pub member_of_groups: Vec<Group>,
    /// rosbuild `<rosdep name="..."/>` names, in document order (tags without `name` skipped).
    pub rosdeps: Vec<String>,
    /// Children of `<export>` in document order.
    pub exports: Vec<Export>,
    /// rosbuild `<versioncontrol>` elements.
    pub version_control: Vec<VersionControl>,
    /// rosbuild `<platform>` elements.
    pub platforms: Vec<Platform>,
    /// rosbuild `<review status="...">` (rospkg's `Manifest.status`): `unreviewed` when there is
    /// no `<review>`, "" when it has no `status`; always "" for package.xml.
    #[serde(default)]
    pub review_status: String,
    /// rosbuild `<review notes="...">` (rospkg's `Manifest.notes`), "" when missing.
    #[serde(default)]
    pub review_notes: String,
    /// catkin_pkg's validation findings (errors and warnings) and rosbuild problems that rospack
    /// tolerates. Empty for a clean manifest.
    pub diagnostics: Vec<Diagnostic>,
}

impl Manifest {
    /// An empty manifest of `kind` at `path`: what the parsers fill in.
    pub fn empty(kind: ManifestKind, path: &Path) -> Self {
        Manifest {
            kind,
            path: path.to_path_buf(),
            format: 0,
            name: None,
            version: String::new(),
            description: String::new(),
            brief: String::new(),
            maintainers: Vec::new(),
            authors: Vec::new(),
            licenses: Vec::new(),
            urls: Vec::new(),
            dependencies: Vec::new(),
            group_depends: Vec::new(),
            member_of_groups: Vec::new(),
            rosdeps: Vec::new(),
            exports: Vec::new(),
            version_control: Vec::new(),
            platforms: Vec::new(),
            review_status: String::new(),
            review_notes: String::new(),
            diagnostics: Vec::new(),
        }
    }

    /// The directory holding the manifest.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// True when `<export>` holds `<metapackage/>`.
    pub fn is_metapackage(&self) -> bool {
        self.exports.iter().any(|e| e.tag == "metapackage")
    }

    /// True when `<export>` holds `<architecture_independent/>`.
    pub fn is_architecture_independent(&self) -> bool {
        self.exports.iter().any(|e| e.tag == "architecture_independent")
    }

    /// The text of `<export><deprecated>`, if the package is deprecated.
    pub fn deprecated(&self) -> Option<&str> {
        self.exports.iter().find(|e| e.tag == "deprecated").map(|e| e.text.as_str())
    }

    /// The text of `<export><message_generator>`, if any.
    pub fn message_generator(&self) -> Option<&str> {
        self.exports.iter().find(|e| e.tag == "message_generator").map(|e| e.text.as_str())
    }

    /// The build type: the text of the `<build_type>` export whose condition holds, else `catkin`.
    ///
    /// `eval` gives the value of a condition variable (`ROS_VERSION`, `ROS_DISTRO`, ...).
    pub fn build_type(&self, eval: &dyn Fn(&str) -> Option<String>) -> String {
        self.exports
            .iter()
            .filter(|e| e.tag == "build_type")
            .find(|e| {
                e.attribute("condition")
                    .is_none_or(|c| Condition::parse(c).map(|c| c.evaluate(eval)).unwrap_or(false))
            })
            .map_or_else(|| "catkin".to_owned(), |e| e.text.clone())
    }

    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Largest manifest accepted; anything bigger is refused before parsing (a "huge manifest").
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Parses the text of a manifest of the given kind.
///
/// Fails (with file:line:col) only when the text is not usable as that kind of manifest at all:
/// malformed XML, a DTD (entity bombs), more than [`MAX_MANIFEST_BYTES`], or a wrong root element.
/// Everything else, including every catkin_pkg validation rule, is reported in
/// [`Manifest::diagnostics`].
pub fn parse(kind: ManifestKind, text: &str, path: &Path) -> Result<Manifest, Diagnostic> {
    if text.len() > MAX_MANIFEST_BYTES {
        return Err(Diagnostic::error(
            path,
            format!(
                "manifest is {} bytes, more than the {} accepted",
                text.len(),
                MAX_MANIFEST_BYTES
            ),
        )
        .with_hint(
            "a real manifest is a few kilobytes; check that this file is what it claims to be",
        ));
    }
    match kind {
        ManifestKind::PackageXml => package_xml::parse(text, path),
        ManifestKind::ManifestXml | ManifestKind::StackXml => rosbuild::parse(kind, text, path),
    }
}

/// Reads and parses `path` as a manifest of `kind`.
pub fn parse_file(kind: ManifestKind, path: &Path) -> Result<Manifest, Diagnostic> {
    let bytes = fs_err::read(path).map_err(|e| Diagnostic::error(path, e.to_string()))?;
    let text =
        String::from_utf8(bytes).map_err(|e| Diagnostic::error(path, format!("not UTF-8: {e}")))?;
    parse(kind, &text, path)
}
