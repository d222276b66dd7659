//! debian/ generation: a parsed package.xml, a target and resolved dependencies rendered through
//! the templates into a map of relative path → file. Pure: no IO, no clock; the same inputs give
//! byte-identical output. Writing the tree to disk is the caller's job.
//!
//! Names and versions follow bloom (`ros-<distro>-<name-with-dashes>`, `<version>-<inc><codename>`);
//! the deliberate differences are listed in docs/bloom-differences.md.

pub mod changelog;
pub mod depends;
pub mod layout;

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, UndefinedBehavior};
use rospkg::Manifest;
use serde::Serialize;

pub use depends::{Depends, Unresolved, UnresolvedKind, resolve, ros_package_name};
pub use layout::{Layout, layout};

use crate::deb822::{self, Place, ValueError};
use crate::templates::Templates;

/// The platform a package is generated for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// ROS distribution (`noetic`, `humble`).
    pub distro: String,
    /// OS name (`ubuntu`).
    pub os: String,
    /// OS codename (`jammy`): the changelog's distribution and the version suffix.
    pub codename: String,
    /// `ROS_VERSION` (1 or 2) from the index's `distribution_type`, when known.
    pub ros_version: Option<u8>,
    /// `ROS_PYTHON_VERSION` from the index's `python_version`, when known.
    pub python_version: Option<u8>,
}

/// Everything [`generate`] needs.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The package.
    pub manifest: &'a Manifest,
    /// The target platform.
    pub target: &'a Target,
    /// Resolved dependencies (see [`resolve`]).
    pub depends: &'a Depends,
    /// The Debian increment.
    pub inc: u32,
    /// `SOURCE_DATE_EPOCH`: the date of a changelog entry CHANGELOG.rst does not give.
    pub timestamp: i64,
    /// The text of the package's CHANGELOG.rst, if it has one.
    pub changelog: Option<&'a str>,
    /// License texts by the `file=` attribute of `<license>` (format 3), read by the caller.
    pub license_files: &'a BTreeMap<String, String>,
    /// Whether the staged (built) files hold an ELF file; `Some(false)` makes `Architecture: all`.
    pub staged_has_elf: Option<bool>,
    /// Files the package ships in its own `debian/` folder (maintainer scripts `postinst`,
    /// `prerm`, ..., systemd units `*.service`), by name, copied as `<package>.<name>`.
    pub shipped: &'a BTreeMap<String, String>,
    /// The templates.
    pub templates: &'a Templates,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The contents.
    pub contents: String,
    /// Whether it gets mode 0755 (debian/rules, maintainer scripts) rather than 0644.
    pub executable: bool,
}

/// The generated tree: path relative to the package directory (`debian/control`) → file.
pub type Tree = BTreeMap<String, File>;

/// Why a debian/ tree cannot be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// package.xml has no `<name>`.
    #[error("{path}: the package has no <name>")]
    NoName {
        /// package.xml.
        path: String,
    },
    /// The generated name is not a valid Debian package name.
    #[error("`{name}` is not a valid Debian package name (from ROS package `{package}`)")]
    InvalidName {
        /// The Debian name.
        name: String,
        /// The ROS package name.
        package: String,
    },
    /// The version is not `X.Y.Z`.
    #[error("{path}: invalid version `{version}`: ROS packages use MAJOR.MINOR.PATCH (REP 127)")]
    InvalidVersion {
        /// package.xml.
        path: String,
        /// The version.
        version: String,
    },
    /// No `<license>`.
    #[error("{path}: no <license>: debian/copyright needs at least one")]
    MissingLicense {
        /// package.xml.
        path: String,
    },
    /// No `<maintainer>`.
    #[error("{path}: no <maintainer>: debian/control needs one")]
    MissingMaintainer {
        /// package.xml.
        path: String,
    },
    /// A `<license file="...">` whose text the caller did not provide.
    #[error("{path}: license file `{file}` not found")]
    MissingLicenseFile {
        /// package.xml.
        path: String,
        /// The `file=` attribute.
        file: String,
    },
    /// A build type with no rules template.
    #[error("{path}: unknown build type `{build_type}` (known: {known})")]
    UnknownBuildType {
        /// package.xml.
        path: String,
        /// The build type.
        build_type: String,
        /// The known build types.
        known: String,
    },
    /// `<export><rosdeb prefix="...">` is neither `/usr` nor a clean path under `/opt/`.
    #[error("{origin}: prefix `{prefix}` is neither /usr nor a clean absolute path under /opt/")]
    InvalidPrefix {
        /// package.xml and the element's position.
        origin: String,
        /// The prefix given.
        prefix: String,
    },
    /// A value of the package (package.xml, CHANGELOG.rst, a licence file) or of a rosdep rule
    /// that cannot go into a deb822 file as it is (a line break, a control character).
    #[error(transparent)]
    Value(Box<ValueError>),
    /// A template failed to render (syntax error, unknown variable, ...).
    #[error("template `{template}`: {message}")]
    Template {
        /// The template name.
        template: String,
        /// minijinja's message, with the line.
        message: String,
    },
}

impl From<ValueError> for GenerateError {
    fn from(e: ValueError) -> GenerateError {
        GenerateError::Value(Box::new(e))
    }
}

/// Build types with a rules template.
pub const BUILD_TYPES: [&str; 6] =
    ["ament_cmake", "ament_python", "cargo", "catkin", "cmake", "none"];

/// The build-time tools of each build type, added to Build-Depends.
fn build_type_depends(build_type: &str) -> &'static [&'static str] {
    match build_type {
        "ament_python" => &["dh-python", "python3-all", "python3-setuptools"],
        "cargo" => &["cargo", "rustc"],
        "catkin" | "cmake" | "ament_cmake" => &["cmake"],
        _ => &[],
    }
}

/// True for a valid Debian binary package name (Policy 5.6.1): [`deb822::is_package_name`].
pub fn is_debian_name(name: &str) -> bool {
    deb822::is_package_name(name)
}

/// True for a ROS version: three dot-separated unsigned integers.
pub fn is_ros_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The build type of `manifest` for `target` (`none` for metapackages and packages without
/// a build system, as the caller decides), conditions evaluated.
pub fn build_type(manifest: &Manifest, target: &Target) -> String {
    let vars = depends::condition_vars(target);
    manifest.build_type(&|v| vars.get(v).cloned())
}

/// Renders the debian/ tree.
pub fn generate(input: &Input<'_>) -> Result<Tree, GenerateError> {
    let m = input.manifest;
    let t = input.target;
    let path = m.path.display().to_string();
    let name = m.name.clone().ok_or_else(|| GenerateError::NoName { path: path.clone() })?;
    let Layout { package, prefix } = layout(m, &name, &t.distro)?;
    if !is_debian_name(&package) {
        return Err(GenerateError::InvalidName { name: package, package: name });
    }
    if !is_ros_version(&m.version) {
        return Err(GenerateError::InvalidVersion { path, version: m.version.clone() });
    }
    if m.licenses.is_empty() {
        return Err(GenerateError::MissingLicense { path });
    }
    let maintainer = m
        .maintainers
        .first()
        .ok_or_else(|| GenerateError::MissingMaintainer { path: path.clone() })?;
    let origin = |element: &str| format!("{path} <{element}>");
    let maintainer = person(
        &Place::new("debian/control", "Maintainer").from(origin("maintainer")),
        &maintainer.name,
        maintainer.email.as_deref(),
    )?;
    let mut build_type = build_type(m, t);
    if m.is_metapackage() {
        build_type = "none".to_owned();
    }
    if !BUILD_TYPES.contains(&build_type.as_str()) {
        return Err(GenerateError::UnknownBuildType {
            path,
            build_type,
            known: BUILD_TYPES.join(", "),
        });
    }
    // The codename becomes the changelog's distribution and part of every version: a name in
    // Debian's package-name syntax (`focal`, `bookworm`) cannot break either.
    deb822::package_name(
        &Place::new("debian/changelog", "distribution").from("the target's codename"),
        &t.codename,
    )?;
    let version = format!("{}-{}{}", m.version, input.inc, t.codename);

    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    let render = |template: &str, ctx: &dyn erased::Ctx| -> Result<String, GenerateError> {
        let text = input.templates.get(template).unwrap_or_default();
        env.render_named_str(template, text, ctx.value()).map_err(|e| GenerateError::Template {
            template: template.to_owned(),
            message: template_message(&e),
        })
    };

    let mut tree = Tree::new();
    let mut put = |path: String, contents: String, executable: bool| {
        tree.insert(path, File { contents, executable });
    };

    // control
    let mut build_depends: BTreeSet<String> = BTreeSet::new();
    build_depends.insert("debhelper-compat (= 13)".to_owned());
    build_depends.extend(build_type_depends(&build_type).iter().map(|s| (*s).to_owned()));
    build_depends.extend(input.depends.build.iter().cloned());
    build_depends.extend(input.depends.test.iter().map(|d| format!("{d} <!nocheck>")));
    let shlibs =
        if build_type == "ament_python" { "${python3:Depends}" } else { "${shlibs:Depends}" };
    let mut depends = vec![shlibs.to_owned(), "${misc:Depends}".to_owned()];
    depends.extend(input.depends.run.iter().cloned());
    // bloom always writes `any`. Declared exports win; otherwise the staged files decide when
    // given, and pure-Python and no-build packages are `all`.
    let independent = m.is_architecture_independent()
        || m.is_metapackage()
        || match input.staged_has_elf {
            Some(has_elf) => !has_elf,
            None => build_type == "none" || build_type == "ament_python",
        };
    let (synopsis, extended) = description(
        &Place::new("debian/control", "Description").from(origin("description")),
        &m.description,
        &name,
        &t.distro,
    )?;
    let homepage = m.urls.iter().find(|u| u.kind == "website" || u.kind.is_empty());
    let homepage = match homepage {
        Some(u) => Some(deb822::single_line(
            &Place::new("debian/control", "Homepage").from(origin("url")),
            u.url.trim(),
        )?),
        None => None,
    };
    for (field, list) in [
        ("Build-Depends", &build_depends),
        ("Depends", &depends.iter().cloned().collect()),
        ("Conflicts", &input.depends.conflicts),
        ("Replaces", &input.depends.replaces),
    ] {
        for value in list {
            deb822::single_line(&Place::new("debian/control", field), value)?;
        }
    }
    let control = ControlContext {
        source: &package,
        package: &package,
        maintainer: &maintainer,
        build_depends: build_depends.into_iter().collect(),
        homepage,
        architecture: if independent { "all" } else { "any" },
        depends,
        conflicts: input.depends.conflicts.iter().cloned().collect(),
        replaces: input.depends.replaces.iter().cloned().collect(),
        synopsis,
        extended,
        name: &name,
        version: &version,
        build_type: &build_type,
    };
    put("debian/control".into(), render("control.j2", &control)?, false);

    // changelog
    let entries = changelog_entries(input, &maintainer, &m.path.with_file_name("CHANGELOG.rst"))?;
    let ctx = ChangelogContext { package: &package, codename: &t.codename, entries };
    put("debian/changelog".into(), render("changelog.j2", &ctx)?, false);

    // copyright
    let mut licenses = Vec::new();
    for l in &m.licenses {
        let text = match &l.file {
            Some(file) => {
                let Some(text) = input.license_files.get(file) else {
                    return Err(GenerateError::MissingLicenseFile { path, file: file.clone() });
                };
                deb822::fold(
                    &Place::new("debian/copyright", "License")
                        .from(format!("{}", m.path.with_file_name(file).display())),
                    text,
                )?
            }
            None => common_license_text(&l.name),
        };
        let place = Place::new("debian/copyright", "License").from(origin("license"));
        let short = license_short_name(deb822::required(&place, &l.name)?);
        licenses.push(LicenseContext { name: short, text });
    }
    let (people, element) =
        if m.authors.is_empty() { (&m.maintainers, "maintainer") } else { (&m.authors, "author") };
    let holders = people
        .iter()
        .map(|p| {
            let place = Place::new("debian/copyright", "Copyright").from(origin(element));
            person(&place, &p.name, p.email.as_deref())
        })
        .collect::<Result<Vec<String>, ValueError>>()?;
    let source_url = match m.urls.iter().find(|u| u.kind == "repository") {
        Some(u) => Some(deb822::single_line(
            &Place::new("debian/copyright", "Source").from(origin("url")),
            u.url.trim(),
        )?),
        None => None,
    };
    let ctx = CopyrightContext {
        name: &name,
        contact: &maintainer,
        source_url,
        holders,
        year: changelog::year(input.timestamp),
        license_expression: licenses
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>()
            .join(" and "),
        licenses,
    };
    put("debian/copyright".into(), render("copyright.j2", &ctx)?, false);

    // rules, source/, lintian overrides
    let systemd_units: Vec<String> = input
        .shipped
        .keys()
        .filter_map(|f| f.strip_suffix(".service"))
        .map(str::to_owned)
        .collect();
    let ctx = RulesContext {
        package: &package,
        name: &name,
        prefix: &prefix,
        distro: &t.distro,
        metapackage: m.is_metapackage(),
        systemd_units,
    };
    put("debian/rules".into(), render(&format!("rules/{build_type}.j2"), &ctx)?, true);
    if prefix.starts_with("/opt/") {
        let ctx =
            LintianContext { package: &package, prefix: &prefix, prefix_relative: &prefix[1..] };
        put(
            format!("debian/{package}.lintian-overrides"),
            render("lintian-overrides.j2", &ctx)?,
            false,
        );
    }
    let empty = EmptyContext {};
    put("debian/source/format".into(), render("source/format.j2", &empty)?, false);
    put("debian/source/options".into(), render("source/options.j2", &empty)?, false);

    for (file, contents) in input.shipped {
        let executable =
            ["preinst", "postinst", "prerm", "postrm", "config"].contains(&file.as_str());
        put(format!("debian/{package}.{file}"), contents.clone(), executable);
    }
    Ok(tree)
}

/// `Name <email>`, or `Name` alone, checked for one line of `place`.
fn person(place: &Place, name: &str, email: Option<&str>) -> Result<String, ValueError> {
    let text = match email {
        Some(e) if !e.is_empty() => format!("{name} <{e}>"),
        _ => name.to_owned(),
    };
    deb822::required(place, name)?;
    deb822::single_line(place, &text)?;
    Ok(text)
}

/// minijinja's error with its line, on one line.
fn template_message(e: &minijinja::Error) -> String {
    let mut message = e.to_string();
    if let Some(line) = e.line() {
        message = format!("line {line}: {message}");
    }
    if matches!(e.kind(), minijinja::ErrorKind::UndefinedError) {
        message.push_str(" (see templates/README.md for the variables of each template)");
    }
    message
}

/// Synopsis and extended description lines (already `.`-escaped for blank lines).
///
/// As bloom: markup removed, whitespace collapsed, split after the first sentence. Unlike bloom,
/// a one-sentence description still gets an extended description that does not repeat it
/// (lintian's `extended-description-is-empty` and `description-synopsis-is-duplicated` are
/// errors): a line naming the package and its distribution. A first sentence too long for the
/// synopsis is cut there and given whole in the extended description, so no text is lost.
/// A control character left after collapsing whitespace is an error naming `place`.
fn description(
    place: &Place,
    raw: &str,
    name: &str,
    distro: &str,
) -> Result<(String, Vec<String>), ValueError> {
    let mut text = String::new();
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    deb822::single_line(place, &text)?;
    let (mut synopsis, rest) = match text.find(". ") {
        Some(i) => (text[..=i].to_owned(), text[i + 2..].to_owned()),
        None => (text.clone(), String::new()),
    };
    if synopsis.is_empty() {
        synopsis = format!("ROS package {name}");
    }
    let synopsis = synopsis.trim_end_matches('.').to_owned();
    // Policy 3.4.1: the synopsis fits in one line; cut at a word, never inside one.
    let synopsis = if synopsis.len() > 79 {
        let mut cut = String::new();
        for word in synopsis.split(' ') {
            if cut.len() + word.len() + 1 > 75 {
                break;
            }
            if !cut.is_empty() {
                cut.push(' ');
            }
            cut.push_str(word);
        }
        format!("{}...", cut.trim_end_matches([',', ';', ':']))
    } else {
        synopsis
    };
    // A one-sentence description is the synopsis already: repeating it as the extended
    // description is lintian's `description-synopsis-is-duplicated` (an error). A synopsis that
    // had to be cut lost the end of its sentence: the whole text follows, first sentence included.
    let paragraph = match (rest.is_empty(), synopsis.ends_with("...")) {
        (_, true) => text.clone(),
        (false, false) => rest,
        (true, false) => String::new(),
    };
    let mut lines = wrap(&paragraph, 78);
    if !lines.is_empty() {
        lines.push(".".to_owned());
    }
    lines.extend(wrap(
        &format!("This is the ROS package {name}, packaged for the ROS distribution {distro}."),
        78,
    ));
    Ok((synopsis, lines))
}

/// Words of `text` wrapped at `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Changelog entries: CHANGELOG.rst's sections that are not newer than the package version, each
/// with its own version; an entry for the package version when CHANGELOG.rst has none.
fn changelog_entries(
    input: &Input<'_>,
    maintainer: &str,
    source: &std::path::Path,
) -> Result<Vec<ChangelogEntry>, ValueError> {
    let m = input.manifest;
    let t = input.target;
    let debian_version = |v: &str| format!("{v}-{}{}", input.inc, t.codename);
    let sections = input.changelog.map(changelog::parse).unwrap_or_default();
    let mut entries = Vec::new();
    if !sections.iter().any(|s| s.version == m.version) {
        entries.push(ChangelogEntry {
            version: debian_version(&m.version),
            lines: vec![
                "  * Autogenerated, no changelog for this version found in CHANGELOG.rst.".into(),
            ],
            signoff: maintainer.to_owned(),
            date: changelog::rfc2822(input.timestamp),
        });
    }
    for s in sections {
        if version_key(&s.version) > version_key(&m.version) {
            continue;
        }
        let mut lines: Vec<String> = Vec::new();
        for item in &s.items {
            let place = Place::new("debian/changelog", "changes").from(format!(
                "{} ({})",
                source.display(),
                s.version
            ));
            deb822::single_line(&place, &item.split_whitespace().collect::<Vec<_>>().join(" "))?;
            let wrapped = wrap(item, 74);
            for (i, l) in wrapped.iter().enumerate() {
                lines.push(if i == 0 { format!("  * {l}") } else { format!("    {l}") });
            }
        }
        if lines.is_empty() {
            lines.push("  * No changes listed in CHANGELOG.rst.".into());
        }
        entries.push(ChangelogEntry {
            version: debian_version(&s.version),
            lines,
            signoff: maintainer.to_owned(),
            date: changelog::rfc2822(s.days * 86_400),
        });
    }
    Ok(entries)
}

/// A version as numbers, for ordering.
fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The DEP-5 short name of a license: the SPDX name of common spellings, else the name with
/// spaces turned into `-` (DEP-5 short names have no spaces).
fn license_short_name(name: &str) -> String {
    match common_license(name) {
        Some((spdx, _)) => spdx.to_owned(),
        None => name.trim().replace(' ', "-"),
    }
}

/// SPDX name and `/usr/share/common-licenses` file of the common spellings of a license.
fn common_license(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name.trim() {
        "Apache-2.0" | "Apache License 2.0" | "Apache 2.0" | "Apache License, Version 2.0" => {
            ("Apache-2.0", "Apache-2.0")
        }
        "GPL-2.0" | "GPLv2" | "GPL-2.0-only" => ("GPL-2.0-only", "GPL-2"),
        "GPL-3.0" | "GPLv3" | "GPL-3.0-only" => ("GPL-3.0-only", "GPL-3"),
        "LGPL-2.1" | "LGPLv2.1" | "LGPL-2.1-only" => ("LGPL-2.1-only", "LGPL-2.1"),
        "LGPL-3.0" | "LGPLv3" | "LGPL-3.0-only" => ("LGPL-3.0-only", "LGPL-3"),
        "MPL-2.0" => ("MPL-2.0", "MPL-2.0"),
        _ => return None,
    })
}

/// The copyright text of a license without a `file=`: a pointer to Debian's copy of common
/// licenses, else to the upstream repository.
fn common_license_text(name: &str) -> Vec<String> {
    match common_license(name) {
        Some((_, file)) => vec![format!(
            "On Debian systems, the full text of this license is in /usr/share/common-licenses/{file}."
        )],
        None => vec![format!(
            "The full text of the {name} license is in the upstream source repository."
        )],
    }
}

/// Template contexts: the contract between the code and the templates (templates/README.md).
mod erased {
    /// A context as a minijinja value.
    pub(super) trait Ctx {
        fn value(&self) -> minijinja::Value;
    }
    impl<T: serde::Serialize> Ctx for T {
        fn value(&self) -> minijinja::Value {
            minijinja::Value::from_serialize(self)
        }
    }
}

#[derive(Serialize)]
struct ControlContext<'a> {
    source: &'a str,
    package: &'a str,
    name: &'a str,
    version: &'a str,
    build_type: &'a str,
    maintainer: &'a str,
    build_depends: Vec<String>,
    homepage: Option<&'a str>,
    architecture: &'a str,
    depends: Vec<String>,
    conflicts: Vec<String>,
    replaces: Vec<String>,
    synopsis: String,
    extended: Vec<String>,
}

#[derive(Serialize)]
struct ChangelogEntry {
    version: String,
    lines: Vec<String>,
    signoff: String,
    date: String,
}

#[derive(Serialize)]
struct ChangelogContext<'a> {
    package: &'a str,
    codename: &'a str,
    entries: Vec<ChangelogEntry>,
}

#[derive(Serialize)]
struct LicenseContext {
    name: String,
    text: Vec<String>,
}

#[derive(Serialize)]
struct CopyrightContext<'a> {
    name: &'a str,
    contact: &'a str,
    source_url: Option<&'a str>,
    holders: Vec<String>,
    /// The year of the release (`SOURCE_DATE_EPOCH`), for the copyright notice.
    year: i64,
    license_expression: String,
    licenses: Vec<LicenseContext>,
}

#[derive(Serialize)]
struct RulesContext<'a> {
    package: &'a str,
    name: &'a str,
    prefix: &'a str,
    distro: &'a str,
    /// A metapackage ships its package.xml only (build type `none`).
    metapackage: bool,
    systemd_units: Vec<String>,
}

#[derive(Serialize)]
struct LintianContext<'a> {
    package: &'a str,
    prefix: &'a str,
    prefix_relative: &'a str,
}

#[derive(Serialize)]
struct EmptyContext {}

#[cfg(test)]
mod tests;
