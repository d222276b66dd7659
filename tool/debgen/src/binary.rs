//! A binary package from a generated `debian/` tree and a staging tree: what `dh_installdocs`,
//! `dh_installchangelogs`, `dh_lintian` and `dh_gencontrol` would add, without debhelper.
//!
//! [`stage_share`] stages a package that needs no build (build type `none`, metapackages) the
//! way bloom's catkin install lays ROS packages out; [`builder`] adds the documentation files
//! (`usr/share/doc/<pkg>/copyright`, `changelog.Debian.gz`, the lintian overrides) to the
//! staging tree and turns the generated `debian/control` into the binary control paragraph.

use std::io::{self, Write as _};
use std::path::Path;

use crate::deb::{Control, ControlError, DebBuilder, MAINTAINER_SCRIPTS};
use crate::generate::Tree;

/// Why a generated tree cannot become a binary package.
#[derive(Debug, thiserror::Error)]
pub enum BinaryError {
    /// The generated tree lacks a file.
    #[error("the generated debian/ tree has no `{0}`")]
    Missing(String),
    /// The generated control or changelog is not what [`crate::generate`] writes.
    #[error("generated `{file}`: {reason}")]
    Malformed {
        /// The file.
        file: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The binary control paragraph was refused.
    #[error("binary control paragraph: {0}")]
    Control(#[from] ControlError),
    /// Writing into the staging tree.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Files and folders of a package folder that never go into the package.
const NOT_SHIPPED: &[&str] = &["debian", "packaging", "build", "install", "log"];

/// Stages a package without a build step: `<prefix>/share/<name>/package.xml`, and for a package
/// that is not a metapackage every other file of `package_dir` under `<prefix>/share/<name>/`
/// (hidden entries, symlinks and the `debian/`, `packaging/`, `build/`, `install/`, `log/`
/// folders left out). `prefix` is absolute (`/opt/ros/noetic`).
pub fn stage_share(
    package_dir: &Path,
    name: &str,
    prefix: &str,
    metapackage: bool,
    staging: &Path,
) -> io::Result<()> {
    let share = staging.join(prefix.trim_start_matches('/')).join("share").join(name);
    fs_err::create_dir_all(&share)?;
    if metapackage {
        fs_err::copy(package_dir.join("package.xml"), share.join("package.xml"))?;
        return Ok(());
    }
    copy_tree(package_dir, &share, true)
}

/// Copies the files a package ships as they are, `<package dir>/packaging/root/` (e.g.
/// `packaging/root/etc/pyros/bridge.toml` → `/etc/pyros/bridge.toml`, a conffile), into
/// `staging`: folders and regular files only; a symbolic link or any other kind of entry is
/// refused (it could pull a file of the building machine into the package).
pub fn stage_root_overlay(overlay: &Path, staging: &Path) -> io::Result<()> {
    if !fs_err::symlink_metadata(overlay).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    let mut stack = vec![(overlay.to_owned(), staging.to_owned())];
    while let Some((from, to)) = stack.pop() {
        fs_err::create_dir_all(&to)?;
        for entry in fs_err::read_dir(&from)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let target = to.join(entry.file_name());
            if kind.is_dir() {
                stack.push((entry.path(), target));
            } else if kind.is_file() {
                fs_err::copy(entry.path(), target)?;
            } else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: only folders and regular files are shipped from packaging/root",
                        entry.path().display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path, top: bool) -> io::Result<()> {
    let mut entries: Vec<_> = fs_err::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for entry in entries {
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        if name.starts_with('.') || (top && NOT_SHIPPED.contains(&name.as_ref())) {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&file_name);
        if kind.is_dir() {
            fs_err::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target, false)?;
        } else if kind.is_file() {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// One deb822 paragraph: (field, value) with continuation lines kept as `\n` + line.
type Paragraph = Vec<(String, String)>;

fn paragraphs(text: &str) -> Vec<Paragraph> {
    let mut out: Vec<Paragraph> = Vec::new();
    let mut current: Paragraph = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push('\n');
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn field<'a>(p: &'a Paragraph, name: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The binary control paragraph of the first binary stanza of the generated `debian/control`,
/// as `dh_gencontrol` writes it: the version from `debian/changelog`, substitution variables
/// dropped (nothing was built, so they are empty), the source stanza's Maintainer, Section,
/// Priority and Homepage.
pub fn control(tree: &Tree) -> Result<Control, BinaryError> {
    control_with(tree, &Substitutions::default())
}

/// What a build found out that the generated `debian/control` leaves open.
#[derive(Debug, Clone, Default)]
pub struct Substitutions {
    /// Substitution variables (`shlibs:Depends` → `libc6 (>= 2.34)`); the others are dropped.
    pub vars: std::collections::BTreeMap<String, String>,
    /// The architecture that replaces `any` (the build's `dpkg --print-architecture`).
    pub architecture: Option<String>,
}

/// [`control`] with the substitution variables and the architecture of a build.
pub fn control_with(tree: &Tree, subst: &Substitutions) -> Result<Control, BinaryError> {
    let text =
        tree.get("debian/control").ok_or_else(|| BinaryError::Missing("debian/control".into()))?;
    let stanzas = paragraphs(&text.contents);
    let malformed =
        |reason: &str| BinaryError::Malformed { file: "debian/control", reason: reason.to_owned() };
    // Exactly two: a third paragraph could only come from a value that broke its field.
    let [source, binary] = stanzas.as_slice() else {
        return Err(malformed(&format!(
            "expected a source and a binary stanza, found {} paragraphs",
            stanzas.len()
        )));
    };
    let version = changelog_version(tree)?;
    let mut out = String::new();
    let mut put = |name: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            out.push_str(&format!("{name}: {v}\n"));
        }
    };
    let package = field(binary, "Package");
    put("Package", package);
    if field(source, "Source") != package {
        put("Source", field(source, "Source"));
    }
    put("Version", Some(&version));
    let architecture = match (field(binary, "Architecture"), &subst.architecture) {
        (Some("any"), Some(arch)) => Some(arch.as_str()),
        (declared, _) => declared,
    };
    put("Architecture", architecture);
    put("Maintainer", field(source, "Maintainer"));
    for relation in ["Pre-Depends", "Depends", "Recommends", "Suggests", "Conflicts", "Replaces"] {
        let value = field(binary, relation).map(|v| {
            let mut seen: Vec<String> = Vec::new();
            for d in v.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                let expanded = match d.strip_prefix("${").and_then(|d| d.strip_suffix('}')) {
                    Some(var) => subst.vars.get(var).cloned().unwrap_or_default(),
                    None => d.to_owned(),
                };
                for e in expanded.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                    if !seen.iter().any(|s| s == e) {
                        seen.push(e.to_owned());
                    }
                }
            }
            seen.join(", ")
        });
        put(relation, value.as_deref());
    }
    put("Section", field(binary, "Section").or(field(source, "Section")));
    put("Priority", field(binary, "Priority").or(field(source, "Priority")));
    put("Homepage", field(source, "Homepage"));
    put("Description", field(binary, "Description"));
    Ok(Control::parse(&out)?)
}

/// The version of the newest entry of the generated `debian/changelog`.
fn changelog_version(tree: &Tree) -> Result<String, BinaryError> {
    let text = tree
        .get("debian/changelog")
        .ok_or_else(|| BinaryError::Missing("debian/changelog".into()))?;
    let first = text.contents.lines().next().unwrap_or_default();
    first
        .split_once(" (")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(v, _)| v.to_owned())
        .ok_or_else(|| BinaryError::Malformed {
            file: "debian/changelog",
            reason: format!("first line `{first}` has no `(version)`"),
        })
}

/// Writes the documentation files into `staging` and returns the builder of the package:
/// `usr/share/doc/<pkg>/copyright`, `usr/share/doc/<pkg>/changelog.Debian.gz` (`gzip -9n`),
/// `usr/share/lintian/overrides/<pkg>`, and the generated maintainer scripts.
pub fn builder(
    tree: &Tree,
    staging: &Path,
    source_date_epoch: Option<u64>,
) -> Result<DebBuilder, BinaryError> {
    builder_with(tree, staging, source_date_epoch, &Substitutions::default())
}

/// [`builder`] for a compiled package: the substitution variables and architecture of its build.
pub fn builder_with(
    tree: &Tree,
    staging: &Path,
    source_date_epoch: Option<u64>,
    subst: &Substitutions,
) -> Result<DebBuilder, BinaryError> {
    let control = control_with(tree, subst)?;
    let package = control.get("Package").unwrap_or_default().to_owned();
    let doc = staging.join("usr/share/doc").join(&package);
    fs_err::create_dir_all(&doc)?;
    let copyright = tree
        .get("debian/copyright")
        .ok_or_else(|| BinaryError::Missing("debian/copyright".into()))?;
    fs_err::write(doc.join("copyright"), &copyright.contents)?;
    let changelog = &tree["debian/changelog"].contents;
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    gz.write_all(changelog.as_bytes())?;
    fs_err::write(doc.join("changelog.Debian.gz"), gz.finish()?)?;
    if let Some(overrides) = tree.get(&format!("debian/{package}.lintian-overrides")) {
        let dir = staging.join("usr/share/lintian/overrides");
        fs_err::create_dir_all(&dir)?;
        fs_err::write(dir.join(&package), with_opt_parents(&overrides.contents))?;
    }
    // Systemd units as dh_installsystemd installs them (neither enabled nor started here: the
    // administrator does that, so installing a package starts nothing).
    let unit_prefix = format!("debian/{package}.");
    for (path, file) in tree {
        let Some(unit) = path.strip_prefix(&unit_prefix) else { continue };
        if [".service", ".socket", ".timer"].iter().any(|s| unit.ends_with(s))
            && !unit.contains('/')
        {
            let dir = staging.join("lib/systemd/system");
            fs_err::create_dir_all(&dir)?;
            fs_err::write(dir.join(unit), &file.contents)?;
        }
    }
    fix_permissions(staging)?;
    let conffiles = conffiles(staging)?;
    let mut builder = DebBuilder::new(control, staging, source_date_epoch).conffiles(conffiles);
    for script in MAINTAINER_SCRIPTS {
        if let Some(file) = tree.get(&format!("debian/{package}.{script}")) {
            // debhelper puts its snippets at `#DEBHELPER#`; this build adds none.
            let contents = file.contents.replace("#DEBHELPER#\n", "");
            builder = builder.maintainer_script(*script, contents);
        }
    }
    Ok(builder)
}

/// Every regular file under `<staging>/etc`, as an installed path (`/etc/...`), sorted: they
/// are conffiles, as dh_installdeb makes them.
fn conffiles(staging: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![staging.join("etc")];
    while let Some(dir) = stack.pop() {
        if !fs_err::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        for entry in fs_err::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file()
                && let Ok(rel) = entry.path().strip_prefix(staging)
            {
                out.push(format!("/{}", rel.display()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Normalises the modes of a staged package as `dh_fixperms` does in a dpkg-buildpackage
/// build: directories 0755, files 0755 when any execute bit is set and 0644 otherwise, no
/// setuid, setgid or sticky bit; symbolic links are left alone and never followed. A build's
/// umask (077 gives 0600 files) or a source checkout's modes then never reach a robot, while
/// `deb build` keeps the modes it is given, as dpkg-deb does.
pub fn fix_permissions(staging: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut stack = vec![staging.to_owned()];
    while let Some(dir) = stack.pop() {
        fs_err::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
        for entry in fs_err::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                let mode = entry.metadata()?.permissions().mode();
                let fixed = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
                fs_err::set_permissions(entry.path(), std::fs::Permissions::from_mode(fixed))?;
            }
        }
    }
    Ok(())
}

/// The overrides with, for every `dir-or-file-in-opt [opt/a/b/*]`, the folders above it that
/// the package creates and lintian flags too (`[opt/a/]`); the generated file covers only the
/// prefix and below.
fn with_opt_parents(text: &str) -> String {
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for line in text.lines() {
        let Some((package, rest)) = line.split_once(": dir-or-file-in-opt [") else { continue };
        let Some(pointer) = rest.strip_suffix("/*]") else { continue };
        let mut parent = pointer;
        while let Some((up, _)) = parent.rsplit_once('/') {
            if up == "opt" || up.is_empty() {
                break;
            }
            let extra = format!("{package}: dir-or-file-in-opt [{up}/]");
            if !text.lines().any(|l| l == extra) {
                out.push_str(&extra);
                out.push('\n');
            }
            parent = up;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn staged_modes_are_normalised_as_dh_fixperms_does() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mode = |p: &std::path::Path| {
            fs_err::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
        };
        let set = |p: &std::path::Path, m: u32| {
            fs_err::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        };
        fs_err::create_dir_all(root.join("opt/x/bin")).unwrap();
        fs_err::write(root.join("opt/x/secret"), "umask 077").unwrap();
        fs_err::write(root.join("opt/x/bin/tool"), "#!/bin/sh\n").unwrap();
        fs_err::write(root.join("opt/x/suid"), "s").unwrap();
        std::os::unix::fs::symlink("/etc/shadow", root.join("opt/x/link")).unwrap();
        set(&root.join("opt/x/secret"), 0o600);
        set(&root.join("opt/x/bin/tool"), 0o700);
        set(&root.join("opt/x/suid"), 0o4755);
        set(&root.join("opt/x/bin"), 0o700);
        set(root, 0o700);
        super::fix_permissions(root).unwrap();
        assert_eq!(mode(root), 0o755);
        assert_eq!(mode(&root.join("opt/x/bin")), 0o755);
        assert_eq!(mode(&root.join("opt/x/secret")), 0o644);
        assert_eq!(mode(&root.join("opt/x/bin/tool")), 0o755);
        assert_eq!(mode(&root.join("opt/x/suid")), 0o755);
        // The link itself is untouched and its target was not followed.
        assert!(
            fs_err::symlink_metadata(root.join("opt/x/link")).unwrap().file_type().is_symlink()
        );
    }

    use super::*;
    use crate::generate::File;

    fn tree() -> Tree {
        let mut t = Tree::new();
        let mut put = |p: &str, c: &str| {
            t.insert(p.to_owned(), File { contents: c.to_owned(), executable: false });
        };
        put(
            "debian/control",
            "Source: ros-noetic-a\nSection: misc\nPriority: optional\nMaintainer: M <m@x.org>\n\
             Build-Depends: debhelper-compat (= 13)\nHomepage: http://x.org\n\n\
             Package: ros-noetic-a\nArchitecture: all\nDepends: ${shlibs:Depends}, ${misc:Depends}, ros-noetic-b\n\
             Description: A thing\n More about it.\n .\n End.\n",
        );
        put("debian/changelog", "ros-noetic-a (1.2.3-0focal) focal; urgency=high\n\n  * x\n");
        put("debian/copyright", "Format: x\n");
        put("debian/ros-noetic-a.lintian-overrides", "ros-noetic-a: dir-or-file-in-opt\n");
        put("debian/ros-noetic-a.postinst", "#!/bin/sh\nexit 0\n");
        t
    }

    #[test]
    fn control_takes_the_binary_stanza_and_the_changelog_version() {
        let c = control(&tree()).unwrap();
        assert_eq!(
            c.render(),
            "Package: ros-noetic-a\nVersion: 1.2.3-0focal\nArchitecture: all\n\
             Maintainer: M <m@x.org>\nDepends: ros-noetic-b\nSection: misc\nPriority: optional\n\
             Homepage: http://x.org\nDescription: A thing\n More about it.\n .\n End.\n"
        );
    }

    #[test]
    fn empty_depends_is_left_out_and_a_bad_changelog_is_an_error() {
        let mut t = tree();
        let text = t["debian/control"].contents.replace(", ros-noetic-b", "");
        t.get_mut("debian/control").unwrap().contents = text;
        assert!(control(&t).unwrap().get("Depends").is_none());
        t.get_mut("debian/changelog").unwrap().contents = "nonsense\n".into();
        assert!(matches!(control(&t), Err(BinaryError::Malformed { .. })));
        t.remove("debian/control");
        assert!(matches!(control(&t), Err(BinaryError::Missing(_))));
    }

    #[test]
    fn a_third_paragraph_is_refused_not_taken_for_the_binary_stanza() {
        let mut t = tree();
        let text = t["debian/control"].contents.replace(
            "Homepage: http://x.org\n",
            "Homepage: http://x.org\n\nPackage: coreutils\nPre-Depends: evil\n",
        );
        t.get_mut("debian/control").unwrap().contents = text;
        let err = control(&t).unwrap_err();
        assert!(err.to_string().contains("found 3 paragraphs"), "{err}");
    }

    #[test]
    fn overrides_cover_the_folders_above_the_prefix() {
        assert_eq!(
            with_opt_parents("# c\np: dir-or-file-in-opt [opt/ros/noetic/*]\n"),
            "# c\np: dir-or-file-in-opt [opt/ros/noetic/*]\np: dir-or-file-in-opt [opt/ros/]\n"
        );
        assert_eq!(with_opt_parents("p: other\n"), "p: other\n");
    }

    #[test]
    fn builder_stages_docs_and_builds() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        fs_err::create_dir_all(pkg.join("launch")).unwrap();
        fs_err::create_dir_all(pkg.join("debian")).unwrap();
        fs_err::write(pkg.join("package.xml"), "<package/>").unwrap();
        fs_err::write(pkg.join("launch/a.launch"), "<launch/>").unwrap();
        fs_err::write(pkg.join(".hidden"), "").unwrap();
        let staging = dir.path().join("staging");
        stage_share(&pkg, "a", "/opt/ros/noetic", false, &staging).unwrap();
        let share = staging.join("opt/ros/noetic/share/a");
        assert!(share.join("package.xml").is_file());
        assert!(share.join("launch/a.launch").is_file());
        assert!(!share.join(".hidden").exists() && !share.join("debian").exists());
        let deb = builder(&tree(), &staging, Some(1_700_000_000))
            .unwrap()
            .build(&dir.path().join("out"))
            .unwrap();
        assert_eq!(deb.name, "ros-noetic-a");
        assert!(deb.path.ends_with("ros-noetic-a_1.2.3-0focal_all.deb"));
        let gz =
            fs_err::read(staging.join("usr/share/doc/ros-noetic-a/changelog.Debian.gz")).unwrap();
        assert_eq!(gz[8], 2, "XFL: maximum compression, as gzip -9");

        let meta = dir.path().join("meta");
        stage_share(&pkg, "m", "/opt/ros/noetic", true, &meta).unwrap();
        let files: Vec<_> =
            fs_err::read_dir(meta.join("opt/ros/noetic/share/m")).unwrap().collect();
        assert_eq!(files.len(), 1);
    }
}
