//! A Python application (a folder with `pyproject.toml` or `setup.py`, not a ROS package) as a
//! `.deb` that carries a virtual environment in dh-virtualenv's layout,
//! `/opt/venvs/<package>/`: the application, its dependencies from PyPI and local embedded
//! projects (`--embed`), for the target's `python3` (from [`crate::targets`]).
//!
//! pip runs from a throw-away venv of the host's `/usr/bin/python3`: local projects are copied
//! into the work folder and turned into wheels (`pip wheel --no-deps --use-pep517`), then
//! everything is installed with `pip install --target --python-version X.Y
//! --only-binary=:all: --no-compile` from those wheel files (given by path, so an embedded
//! project never comes from an index) plus the index for the declared dependencies. An
//! application that names an embedded project among its own dependencies is refused
//! (dependency confusion). [`layout`] turns the result into the venv; the package is then
//! refused if any file still names the work folder.

mod layout;
pub mod project;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::build::{CompileError, Runner};
use crate::deb::{BuildError, BuiltDeb, Control, DebBuilder};
use crate::deb822::{self, Place, ValueError};
use crate::targets::{self, UnknownCodename};
pub use project::{Metadata, Project, normalize, requirement_name};

/// The interpreter pip runs on (never a shim on the PATH).
const PYTHON: &str = "/usr/bin/python3";

/// Why an application could not be packaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VenvError {
    /// `pyproject.toml` (or the built metadata) is missing something or holds a bad value.
    #[error("{}: {message}", place(file, *position))]
    Project {
        /// The file.
        file: PathBuf,
        /// Line and column, where known.
        position: Option<(usize, usize)>,
        /// What is wrong.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// The folder is neither a `pyproject.toml` nor a `setup.py` project.
    #[error("`{0}` has no pyproject.toml or setup.py")]
    NotAnApplication(PathBuf),
    /// The application depends on a project that is embedded from a local folder.
    #[error(
        "{}: the dependency `{requirement}` names the embedded project `{embedded}`: the index \
         could supply another project of that name",
        place(file, *position)
    )]
    Confusion {
        /// The file naming the dependency.
        file: PathBuf,
        /// Its position, where known.
        position: Option<(usize, usize)>,
        /// The requirement.
        requirement: String,
        /// The embedded project's name.
        embedded: String,
    },
    /// pip could not find a distribution for a requirement.
    #[error(
        "pip found no distribution for `{requirement}` (for Python {python}); the last lines \
         of the log:\n{tail}"
    )]
    NotFound {
        /// The requirement, as pip names it.
        requirement: String,
        /// The target's python version.
        python: String,
        /// The last lines of the log.
        tail: String,
    },
    /// The target codename is unknown.
    #[error(transparent)]
    Target(#[from] UnknownCodename),
    /// A value refused for the control file.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A command failed, or a tool is missing.
    #[error(transparent)]
    Command(#[from] CompileError),
    /// Writing the `.deb`.
    #[error(transparent)]
    Deb(#[from] BuildError),
    /// The finished tree still names the build's work folder.
    #[error("the package would hold the build folder `{work}` in {files}")]
    BuildPath {
        /// The work folder.
        work: String,
        /// The files holding it.
        files: String,
    },
    /// Reading or writing files (the message names the file).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn place(file: &Path, position: Option<(usize, usize)>) -> String {
    match position {
        Some((line, col)) => format!("{}:{line}:{col}", file.display()),
        None => file.display().to_string(),
    }
}

impl VenvError {
    /// A one-line advice for the user.
    pub fn hint(&self) -> String {
        match self {
            VenvError::Project { hint, .. } => hint.clone(),
            VenvError::NotAnApplication(_) => {
                "give a ROS package (package.xml) or a Python project folder".to_owned()
            }
            VenvError::Confusion { embedded, .. } => format!(
                "remove `{embedded}` from the application's dependencies: `--embed` provides it"
            ),
            VenvError::NotFound { requirement, .. } => format!(
                "check the name and version of `{requirement}` on the index, and that it has a \
                 wheel for this Python version (source distributions are not built)"
            ),
            VenvError::Target(e) => e.hint(),
            VenvError::Value(e) => e.hint().to_owned(),
            VenvError::Command(e) => match e.missing_package() {
                Some(p) => format!("install it: apt-get install {p}"),
                None => "the build log holds the whole output".to_owned(),
            },
            VenvError::Deb(_) | VenvError::Io(_) => "see the message".to_owned(),
            VenvError::BuildPath { .. } => {
                "a file of the application or a dependency records where it was built; report \
                 it"
                .to_owned()
            }
        }
    }
}

/// One application to package.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The project folder (`pyproject.toml` or `setup.py`).
    pub app: &'a Path,
    /// Local projects installed into the venv from their folders, never from the index.
    pub embeds: &'a [PathBuf],
    /// The target codename (`bookworm`): the python version and the version suffix.
    pub codename: &'a str,
    /// The Debian increment (`<version>-<inc><codename>`).
    pub inc: u32,
    /// `SOURCE_DATE_EPOCH`: file times, the changelog date.
    pub source_date_epoch: Option<u64>,
}

/// Whether `dir` is a Python application: no `package.xml`, but `pyproject.toml` or `setup.py`.
pub fn is_application(dir: &Path) -> bool {
    !dir.join("package.xml").exists()
        && (dir.join("pyproject.toml").is_file() || dir.join("setup.py").is_file())
}

/// The Debian package name of a project name: lowercase, runs of `_`, `.` and `-` as `-`.
pub fn debian_name(project: &str) -> String {
    normalize(project)
}

/// `<version>-<inc><codename>`, as bloom writes a version.
pub fn debian_version(version: &str, inc: u32, codename: &str) -> String {
    format!("{version}-{inc}{codename}")
}

/// `pyproject.toml` read and checked, or `None` for a `setup.py` project.
pub fn read_project(dir: &Path) -> Result<Option<Project>, VenvError> {
    let file = dir.join("pyproject.toml");
    if file.is_file() {
        let text = fs_err::read_to_string(&file)?;
        // A pyproject.toml without [project] (only [build-system]) goes with a setup.py.
        if dir.join("setup.py").is_file() && !text.lines().any(|l| l.trim() == "[project]") {
            return Ok(None);
        }
        return project::parse_pyproject(&file, &text).map(Some);
    }
    if dir.join("setup.py").is_file() {
        return Ok(None);
    }
    Err(VenvError::NotAnApplication(dir.to_owned()))
}

/// The requirements among `dependencies` that name one of `embedded` (normalised names).
pub fn confused<'a>(dependencies: &'a [String], embedded: &[String]) -> Vec<(&'a str, String)> {
    dependencies
        .iter()
        .filter_map(|d| {
            let name = normalize(requirement_name(d));
            embedded.iter().find(|e| normalize(e) == name).map(|e| (d.as_str(), e.clone()))
        })
        .collect()
}

/// The requirement pip names in "No matching distribution found for X" (or "Could not find a
/// version that satisfies the requirement X"), from its output.
pub fn missing_requirement(log: &str) -> Option<String> {
    for marker in [
        "No matching distribution found for ",
        "Could not find a version that satisfies the requirement ",
    ] {
        if let Some(line) = log.lines().rev().find(|l| l.contains(marker)) {
            let rest = &line[line.find(marker).unwrap_or(0) + marker.len()..];
            let requirement = rest.split(" (from").next().unwrap_or(rest).trim();
            if !requirement.is_empty() {
                return Some(requirement.to_owned());
            }
        }
    }
    None
}

/// Packages the application into a `.deb` in `out` (nothing is written there on failure);
/// commands and their output go to `log`.
pub fn build(req: &Request<'_>, out: &Path, log: &mut fs_err::File) -> Result<BuiltDeb, VenvError> {
    let target = targets::require(req.codename)?;
    let python = target.python3;
    let project = read_project(req.app)?;
    let mut embedded_projects = Vec::new();
    for dir in req.embeds {
        embedded_projects.push(read_project(dir)?);
    }
    if let Some(p) = &project {
        p.check_application()?;
        let names: Vec<String> =
            embedded_projects.iter().flatten().map(|e| e.name.clone()).collect();
        let deps: Vec<String> = p.dependencies.iter().map(|(d, _)| d.clone()).collect();
        if let Some((requirement, embedded)) = confused(&deps, &names).into_iter().next() {
            let position = p.dependencies.iter().find(|(d, _)| d == requirement).map(|(_, at)| *at);
            return Err(VenvError::Confusion {
                file: p.file.clone(),
                position,
                requirement: requirement.to_owned(),
                embedded,
            });
        }
    }

    let runner = Runner::new(None, req.source_date_epoch);
    if !Path::new(PYTHON).is_file() {
        return Err(missing(PYTHON, "python3"));
    }
    let work = tempfile::Builder::new().prefix("rosdeb-venv-").tempdir()?;
    let w = work.path();
    let env = w.join("pip-env");
    let probe = runner.command(w, PYTHON, &["-c".into(), "import ensurepip, venv".into()]);
    if runner.run(probe, log).is_err() {
        return Err(missing("python3 -m venv", "python3-venv"));
    }
    runner.run(runner.command(w, PYTHON, &["-m".into(), "venv".into(), arg(&env)]), log)?;
    let pip_python = env.join("bin/python3");
    let pip = |args: &[OsString]| {
        let mut all: Vec<OsString> = vec!["-m".into(), "pip".into()];
        all.extend_from_slice(args);
        let mut cmd = runner.command(w, &pip_python.to_string_lossy(), &all);
        cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1").env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    };
    if runner.run(pip(&["--version".into()]), log).is_err() {
        // The venv's pip comes from ensurepip, which python3-venv (python3-pip-whl) provides.
        return Err(missing("pip in the build venv", "python3-venv"));
    }

    // Local projects: copied (their build leaves no trace in the source), then one wheel each.
    let mut wheels: Vec<(PathBuf, Metadata)> = Vec::new();
    for (i, dir) in
        std::iter::once(req.app).chain(req.embeds.iter().map(PathBuf::as_path)).enumerate()
    {
        let src = w.join("src").join(i.to_string());
        copy_project(dir, &src)?;
        let dest = w.join("wheels").join(i.to_string());
        runner.run(
            pip(&[
                "wheel".into(),
                "--no-deps".into(),
                // A bare setup.py project too is built in an isolated env with `wheel`.
                "--use-pep517".into(),
                "--wheel-dir".into(),
                arg(&dest),
                arg(&src),
            ]),
            log,
        )?;
        let wheel = single_wheel(&dest)?;
        let text = runner.output(
            runner.command(
                w,
                &pip_python.to_string_lossy(),
                &["-c".into(), READ_METADATA.into(), arg(&wheel)],
            ),
            log,
        )?;
        wheels.push((wheel, Metadata::parse(&text)));
    }
    let app_meta = wheels[0].1.clone();
    let meta_file = req.app.join(if project.is_some() { "pyproject.toml" } else { "setup.py" });
    let meta_error = |message: String, hint: &str| VenvError::Project {
        file: meta_file.clone(),
        position: None,
        message,
        hint: hint.to_owned(),
    };
    let name = app_meta.get("Name").map(str::to_owned).ok_or_else(|| {
        meta_error("the built wheel has no Name".into(), "give the project a name")
    })?;
    let version = app_meta.get("Version").map(str::to_owned).ok_or_else(|| {
        meta_error("the built wheel has no Version".into(), "give the project a version")
    })?;
    let embedded_names: Vec<String> =
        wheels[1..].iter().filter_map(|(_, m)| m.get("Name").map(str::to_owned)).collect();
    if embedded_names.iter().any(|e| normalize(e) == normalize(&name)) {
        return Err(meta_error(
            format!("the application `{name}` is also given with --embed"),
            "give the application once, as PKG_DIR",
        ));
    }
    let requires: Vec<String> = app_meta.all("Requires-Dist").map(str::to_owned).collect();
    if let Some((requirement, embedded)) = confused(&requires, &embedded_names).into_iter().next() {
        return Err(VenvError::Confusion {
            file: meta_file.clone(),
            position: None,
            requirement: requirement.to_owned(),
            embedded,
        });
    }

    let package = debian_name(&name);
    deb822::package_name(
        &Place::new("DEBIAN/control", "Package").from(meta_file.display().to_string()),
        &package,
    )?;
    let deb_version = debian_version(&version, req.inc, req.codename);
    if let Some(problem) = deb822::version_problem(&deb_version) {
        return Err(meta_error(
            format!(
                "version `{version}` gives the Debian version `{deb_version}`, which {problem}"
            ),
            "use a public PEP 440 version without epoch (`1.2.3`, `1.0rc1`)",
        ));
    }
    let maintainer = app_meta.maintainer().ok_or_else(|| {
        meta_error(
            "the project names no author or maintainer with an email address: the package needs \
             a Maintainer"
                .into(),
            "add authors = [{ name = \"...\", email = \"...@...\" }] to [project] (setup.py: \
             author and author_email)",
        )
    })?;

    // Everything into a site folder for the target's python, local wheels by path.
    let site = w.join("site");
    let mut install: Vec<OsString> = vec![
        "install".into(),
        "--target".into(),
        arg(&site),
        "--python-version".into(),
        format!("{}.{}", python.0, python.1).into(),
        "--only-binary=:all:".into(),
        "--no-compile".into(),
    ];
    install.extend(wheels.iter().map(|(p, _)| arg(p)));
    if let Err(e) = runner.run(pip(&install), log) {
        let mut text = String::new();
        if let Ok(bytes) = fs_err::read(log.path()) {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        if let (Some(requirement), CompileError::Failed { tail, .. }) =
            (missing_requirement(&text), &e)
        {
            return Err(VenvError::NotFound {
                requirement,
                python: format!("{}.{}", python.0, python.1),
                tail: tail.clone(),
            });
        }
        return Err(e.into());
    }

    let staging = w.join("staging");
    let root = layout::lay_out(&layout::Installed { site }, &staging, &package, python)?;
    let site = root.join(format!("lib/python{}.{}/site-packages", python.0, python.1));
    let scripts = console_scripts(&site, &name)?;
    let usr_bin = staging.join("usr/bin");
    for script in &scripts {
        if !root.join("bin").join(script).is_file() {
            continue;
        }
        fs_err::create_dir_all(&usr_bin)?;
        std::os::unix::fs::symlink(
            format!("/opt/venvs/{package}/bin/{script}"),
            usr_bin.join(script),
        )?;
    }

    let epoch = req.source_date_epoch.map_or(0, |e| i64::try_from(e).unwrap_or(0));
    let docs = Docs {
        package: &package,
        version: &deb_version,
        codename: req.codename,
        maintainer: &maintainer,
        epoch,
    };
    let doc = staging.join("usr/share/doc").join(&package);
    fs_err::create_dir_all(&doc)?;
    fs_err::write(doc.join("copyright"), copyright(&name, &version, &app_meta, &site, epoch)?)?;
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    gz.write_all(docs.changelog(&name, &version)?.as_bytes())?;
    fs_err::write(doc.join("changelog.Debian.gz"), gz.finish()?)?;
    let overrides = staging.join("usr/share/lintian/overrides");
    fs_err::create_dir_all(&overrides)?;
    fs_err::write(overrides.join(&package), lintian_overrides(&package, &scripts))?;

    let needle = w.to_string_lossy().into_owned();
    let leaks = layout::files_containing(&staging, needle.as_bytes())?;
    if !leaks.is_empty() {
        let files: Vec<String> = leaks.iter().map(|p| p.display().to_string()).collect();
        return Err(VenvError::BuildPath { work: needle, files: files.join(", ") });
    }
    crate::binary::fix_permissions(&staging)?;
    let architecture = if crate::build::has_elf(&staging)? {
        runner
            .output(runner.command(w, "dpkg", &["--print-architecture".into()]), log)?
            .trim()
            .to_owned()
    } else {
        "all".to_owned()
    };
    let control = control(&ControlInput {
        package: &package,
        version: &deb_version,
        architecture: &architecture,
        maintainer: &maintainer,
        python,
        metadata: &app_meta,
        origin: &meta_file.display().to_string(),
    })?;
    let deb = DebBuilder::new(control, &staging, req.source_date_epoch).build(out)?;
    Ok(deb)
}

fn missing(tool: &str, package: &str) -> VenvError {
    VenvError::Command(CompileError::MissingTool {
        tool: tool.to_owned(),
        place: String::new(),
        package: package.to_owned(),
    })
}

fn arg(p: &Path) -> OsString {
    p.as_os_str().to_owned()
}

/// Prints the `METADATA` of the wheel given as argument (stdlib only).
const READ_METADATA: &str = "import sys, zipfile\n\
z = zipfile.ZipFile(sys.argv[1])\n\
names = [n for n in z.namelist() if n.count('/') == 1 and n.endswith('.dist-info/METADATA')]\n\
sys.stdout.write(z.read(names[0]).decode('utf-8'))\n";

/// The one `.whl` file in `dir`.
fn single_wheel(dir: &Path) -> Result<PathBuf, VenvError> {
    let mut wheels: Vec<PathBuf> = fs_err::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    wheels.sort();
    match wheels.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(VenvError::Command(CompileError::Unexpected(format!(
            "`pip wheel` wrote {} wheels into `{}`, expected one",
            wheels.len(),
            dir.display()
        )))),
    }
}

/// Folders of a project folder that are build output, never source.
const NOT_SOURCE: &[&str] = &["build", "dist", "__pycache__", "debian"];

/// Copies the project folder `from` to `to`: hidden entries, symlinks, build output and
/// `*.egg-info` left out.
fn copy_project(from: &Path, to: &Path) -> std::io::Result<()> {
    fs_err::create_dir_all(to)?;
    let mut entries: Vec<_> = fs_err::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if text.starts_with('.')
            || NOT_SOURCE.contains(&text.as_ref())
            || text.ends_with(".egg-info")
        {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_project(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            fs_err::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// The console and GUI scripts the application `name` declares (its `entry_points.txt`),
/// sorted; names that could not be a file name in `/usr/bin` are left out.
fn console_scripts(site: &Path, name: &str) -> Result<Vec<String>, VenvError> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(site)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "dist-info") {
            continue;
        }
        let Ok(meta) = fs_err::read_to_string(path.join("METADATA")) else { continue };
        if Metadata::parse(&meta).get("Name").map(normalize) != Some(normalize(name)) {
            continue;
        }
        let Ok(points) = fs_err::read_to_string(path.join("entry_points.txt")) else { continue };
        out.extend(entry_point_scripts(&points));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The script names of the `[console_scripts]` and `[gui_scripts]` sections of
/// `entry_points.txt` that are safe file names (`[A-Za-z0-9._+-]`, not starting with `.` or
/// `-`).
pub fn entry_point_scripts(text: &str) -> Vec<String> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_owned();
        } else if (section == "console_scripts" || section == "gui_scripts")
            && let Some((name, _)) = line.split_once('=')
        {
            let name = name.trim();
            let safe = !name.is_empty()
                && !name.starts_with(['.', '-'])
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
            if safe {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// What the control paragraph is made of.
struct ControlInput<'a> {
    package: &'a str,
    version: &'a str,
    architecture: &'a str,
    maintainer: &'a str,
    python: (u8, u8),
    metadata: &'a Metadata,
    origin: &'a str,
}

/// The binary control paragraph; every value from the metadata passes [`deb822`].
fn control(c: &ControlInput<'_>) -> Result<Control, VenvError> {
    let place = |field: &str| Place::new("DEBIAN/control", field).from(c.origin);
    let maintainer = deb822::required(&place("Maintainer"), c.maintainer)?;
    let summary = c.metadata.get("Summary").unwrap_or_default();
    let summary = deb822::required(&place("Description"), summary)?;
    let (major, minor) = c.python;
    let mut text = format!(
        "Package: {}\nVersion: {}\nArchitecture: {}\nMaintainer: {maintainer}\n\
         Depends: python3 (>= {major}.{minor}), python3 (<< {major}.{})\n\
         Section: python\nPriority: optional\n",
        c.package,
        c.version,
        c.architecture,
        u16::from(minor) + 1
    );
    if let Some(home) = homepage(c.metadata) {
        let home = deb822::single_line(&place("Homepage"), &home)?;
        text.push_str(&format!("Homepage: {home}\n"));
    }
    text.push_str(&format!("Description: {summary}\n"));
    let mut long = first_paragraph(&c.metadata.body);
    if !long.is_empty() {
        long.push_str("\n\n");
    }
    long.push_str(&format!(
        "The package carries a Python {major}.{minor} virtual environment in\n/opt/venvs/{} \
         with the application and its Python dependencies.",
        c.package
    ));
    for line in deb822::fold(&place("Description"), &long)? {
        text.push(' ');
        text.push_str(&line);
        text.push('\n');
    }
    Control::parse(&text).map_err(|e| VenvError::Deb(BuildError::from(e)))
}

/// `Home-page`, else the `Project-URL` labelled homepage, when it is an http(s) URL.
fn homepage(m: &Metadata) -> Option<String> {
    let url = m.get("Home-page").map(str::to_owned).or_else(|| {
        m.all("Project-URL").find_map(|v| {
            let (label, url) = v.split_once(',')?;
            label.trim().eq_ignore_ascii_case("homepage").then(|| url.trim().to_owned())
        })
    })?;
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

/// The first paragraph of a long description, wrapped to 79 columns (Markdown headings left
/// out); empty when there is none.
pub fn first_paragraph(body: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    for line in body.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with("===") || line.starts_with("---") {
            if words.is_empty() {
                continue;
            }
            break;
        }
        if line.is_empty() {
            if words.is_empty() {
                continue;
            }
            break;
        }
        words.extend(line.split_whitespace());
    }
    let mut out = String::new();
    let mut width = 0;
    for word in words {
        if width > 0 && width + 1 + word.len() > 79 {
            out.push('\n');
            width = 0;
        } else if width > 0 {
            out.push(' ');
            width += 1;
        }
        out.push_str(word);
        width += word.len();
    }
    out
}

/// The changelog and its inputs.
struct Docs<'a> {
    package: &'a str,
    version: &'a str,
    codename: &'a str,
    maintainer: &'a str,
    epoch: i64,
}

impl Docs<'_> {
    fn changelog(&self, name: &str, version: &str) -> Result<String, VenvError> {
        let place = Place::new("debian/changelog", "signoff");
        let maintainer = deb822::required(&place, self.maintainer)?;
        Ok(format!(
            "{} ({}) {}; urgency=medium\n\n  * {name} {version} in a Python virtual environment \
             (rosdeb build).\n\n -- {maintainer}  {}\n",
            self.package,
            self.version,
            self.codename,
            crate::date::rfc2822(self.epoch)
        ))
    }
}

/// `usr/share/doc/<pkg>/copyright`: the application's authors and license, then every
/// distribution in the venv with its license.
fn copyright(
    name: &str,
    version: &str,
    app: &Metadata,
    site: &Path,
    epoch: i64,
) -> Result<String, VenvError> {
    let place = |field: &str| Place::new("copyright", field);
    let one = |field: &str, v: &str| -> Result<String, VenvError> {
        Ok(deb822::single_line(&place(field), v)?.to_owned())
    };
    let authors = app
        .get("Author-email")
        .or(app.get("Author"))
        .or(app.get("Maintainer-email"))
        .unwrap_or("the authors");
    let mut text = format!(
        "{} {} in a Python virtual environment, packaged by rosdeb.\n\n\
         Copyright: {} {}\nLicense: {}\n\n\
         The virtual environment holds these Python distributions, each under its own license \
         (the full texts are in their lib/python*/site-packages/*.dist-info/ folders):\n\n",
        one("Upstream-Name", name)?,
        one("Version", version)?,
        crate::date::year(epoch),
        one("Copyright", authors)?,
        one("License", &app.license().unwrap_or_else(|| "not stated".to_owned()))?,
    );
    let mut entries: Vec<PathBuf> = fs_err::read_dir(site)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dist-info"))
        .collect();
    entries.sort();
    for dist in entries {
        let meta = Metadata::parse(&fs_err::read_to_string(dist.join("METADATA"))?);
        let license = meta.license().unwrap_or_else(|| "not stated".to_owned());
        text.push_str(&format!(
            " {} {}: {}\n",
            one("Name", meta.get("Name").unwrap_or("?"))?,
            one("Version", meta.get("Version").unwrap_or("?"))?,
            one("License", &license)?
        ));
    }
    Ok(text)
}

/// The lintian overrides, each with its reason.
pub fn lintian_overrides(package: &str, scripts: &[String]) -> String {
    let mut text = format!(
        "# The virtual environment lives in /opt/venvs/{package}, dh-virtualenv's layout for \
         self-contained Python applications.\n\
         {package}: dir-or-file-in-opt [opt/venvs/*]\n\
         {package}: dir-or-file-in-opt [opt/venvs/]\n\
         # The scripts of a venv run its own interpreter (a link to /usr/bin/python3): that is\n\
         # what puts the venv's site-packages, not the system's, on their path.\n\
         {package}: wrong-path-for-interpreter /opt/venvs/{package}/bin/python3 != \
         /usr/bin/python3 [opt/venvs/{package}/bin/*]\n\
         # Modules in site-packages may start with their upstream's #! line: they are imported,\n\
         # not run, and are shipped as their authors published them.\n\
         {package}: script-not-executable [opt/venvs/{package}/lib/*]\n\
         {package}: unusual-interpreter * [opt/venvs/{package}/lib/*]\n"
    );
    if !scripts.is_empty() {
        text.push_str(
            "# Console scripts are generated by pip; their documentation is their --help.\n",
        );
        for s in scripts {
            text.push_str(&format!("{package}: no-manual-page [usr/bin/{s}]\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests;
