//! The build driver for the build types that compile: the real build (cmake, cargo, setup.py)
//! run into a staging root, on the host or inside a root directory of the target (`chroot`).
//!
//! [`compile`] copies the package source into a work folder (`/tmp/rosdeb-build-XXXX` of the
//! root it runs in), builds there and installs into `<work>/debian/<package>/` as debhelper
//! does; [`Compiled`] then strips the ELF files (as `dh_strip`), reads the architecture
//! (`dpkg --print-architecture`) and the library dependencies (`dpkg-shlibdeps`) and is packaged
//! by [`crate::binary::builder_with`]. [`dpkg_buildpackage`] hands a generated `debian/` tree to
//! Debian's own tools instead. Every command's output goes to the caller's log; a failure carries
//! the log's last lines.
//!
//! Reproducibility: paths of the (random) work folder are mapped to `.` in compiler output
//! (`-ffile-prefix-map`, `--remap-path-prefix`), times come from `SOURCE_DATE_EPOCH`, and
//! debug information is stripped.
//!
//! Layout: `cmake` (catkin, cmake, ament_cmake), `cargo`, `python` (ament_python, setup.py),
//! `dpkg` (`--via dpkg-buildpackage`).

mod cargo;
mod cmake;
mod dpkg;
mod python;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use dpkg::dpkg_buildpackage;

/// The build types [`compile`] knows.
pub const COMPILED_BUILD_TYPES: &[&str] =
    &["ament_cmake", "ament_python", "cargo", "catkin", "cmake"];

/// A glibc symbol version, `GLIBC_<major>.<minor>` as (major, minor).
pub type GlibcVersion = (u32, u32);

/// How many lines of the log a failure carries.
const TAIL_LINES: usize = 25;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A build type this driver does not compile.
    #[error("build type `{0}` is not compiled by rosdeb")]
    UnknownBuildType(String),
    /// A tool the build needs is missing.
    #[error("`{tool}` is not installed{place}")]
    MissingTool {
        /// The program.
        tool: String,
        /// ` in <root>` for a chroot, else empty.
        place: String,
        /// The Debian package that provides it.
        package: String,
    },
    /// cargo-zigbuild or zig, needed to link against an older release's glibc, is missing.
    #[error("linking against glibc {glibc} needs cargo-zigbuild and zig on the PATH")]
    MissingZig {
        /// The glibc version (`2.31`).
        glibc: String,
    },
    /// A build step exited with an error.
    #[error("`{command}` failed ({status}); the last lines of the log:\n{tail}")]
    Failed {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// The last lines of the log.
        tail: String,
    },
    /// The build produced something unexpected.
    #[error("{0}")]
    Unexpected(String),
    /// Copying, reading or writing files (the message names the file).
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl CompileError {
    /// The Debian package to install when a tool is missing.
    pub fn missing_package(&self) -> Option<&str> {
        match self {
            CompileError::MissingTool { package, .. } => Some(package),
            _ => None,
        }
    }
}

/// One package to compile.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `catkin`, `cmake`, `ament_cmake`, `ament_python` or `cargo`.
    pub build_type: &'a str,
    /// The package folder (holding package.xml).
    pub source: &'a Path,
    /// The ROS package name.
    pub name: &'a str,
    /// The Debian package name (`ros-noetic-foo`).
    pub package: &'a str,
    /// The install prefix (`/opt/ros/noetic`).
    pub prefix: &'a str,
    /// A root directory of the target to build in with `chroot`; `None`: the host.
    pub chroot: Option<&'a Path>,
    /// `SOURCE_DATE_EPOCH`, passed to the build.
    pub source_date_epoch: Option<u64>,
    /// The C library (glibc major, minor) of a target older than this host, to link against
    /// (cargo only, with cargo-zigbuild); `None`: the build root's own.
    pub glibc: Option<(u8, u8)>,
}

/// Where commands run: the host, or a root directory entered with `chroot`. Paths given to
/// commands are paths inside the root.
#[derive(Debug, Clone)]
pub(crate) struct Runner {
    root: Option<PathBuf>,
    env: Vec<(String, OsString)>,
}

impl Runner {
    pub(crate) fn new(root: Option<&Path>, source_date_epoch: Option<u64>) -> Runner {
        let mut env = vec![
            ("LC_ALL".to_owned(), OsString::from("C.UTF-8")),
            ("TZ".to_owned(), OsString::from("UTC")),
        ];
        if let Some(epoch) = source_date_epoch {
            env.push(("SOURCE_DATE_EPOCH".to_owned(), epoch.to_string().into()));
        }
        if root.is_some() {
            // The host's PATH may name folders the root does not have.
            env.push((
                "PATH".to_owned(),
                OsString::from("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            ));
        }
        Runner { root: root.map(Path::to_owned), env }
    }

    /// The host path of `inside` (a path inside the root).
    pub(crate) fn host_path(&self, inside: &Path) -> PathBuf {
        match &self.root {
            Some(root) => root.join(inside.strip_prefix("/").unwrap_or(inside)),
            None => inside.to_owned(),
        }
    }

    fn place(&self) -> String {
        self.root.as_ref().map(|r| format!(" in `{}`", r.display())).unwrap_or_default()
    }

    /// Whether `program` is on the PATH of the root.
    pub(crate) fn has(&self, program: &str) -> bool {
        let path = self
            .env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_default();
        std::env::split_paths(&path).any(|dir| self.host_path(&dir.join(program)).is_file())
    }

    /// Fails with [`CompileError::MissingTool`] unless `program` is there.
    pub(crate) fn require(&self, program: &str, package: &str) -> Result<(), CompileError> {
        if self.has(program) {
            Ok(())
        } else {
            Err(CompileError::MissingTool {
                tool: program.to_owned(),
                place: self.place(),
                package: package.to_owned(),
            })
        }
    }

    /// The command running `program args` in `cwd` (inside the root) with `env`.
    pub(crate) fn command(&self, cwd: &Path, program: &str, args: &[OsString]) -> Command {
        let mut cmd = match &self.root {
            None => {
                let mut c = Command::new(program);
                c.args(args).current_dir(cwd);
                c
            }
            Some(root) => {
                let mut c = Command::new("chroot");
                c.arg(root)
                    .args(["/bin/sh", "-c", "cd \"$0\" && exec \"$@\""])
                    .arg(cwd)
                    .arg(program)
                    .args(args);
                c
            }
        };
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs a command with its output appended to `log`; a failure carries the log's tail.
    pub(crate) fn run(&self, mut cmd: Command, log: &mut fs_err::File) -> Result<(), CompileError> {
        let line = describe(&cmd);
        tracing::debug!(command = %line, "running");
        use std::io::Write as _;
        writeln!(log, "$ {line}")?;
        log.flush()?;
        let out = log.file().try_clone()?;
        let err = log.file().try_clone()?;
        let status = cmd
            .stdout(out)
            .stderr(err)
            .status()
            .map_err(|e| io::Error::new(e.kind(), format!("running `{line}`: {e}")))?;
        if status.success() {
            return Ok(());
        }
        let status = match status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_owned(),
        };
        Err(CompileError::Failed { command: line, status, tail: tail(log)? })
    }

    /// Runs a command and returns its stdout (stderr to `log`).
    pub(crate) fn output(
        &self,
        mut cmd: Command,
        log: &mut fs_err::File,
    ) -> Result<String, CompileError> {
        let line = describe(&cmd);
        use std::io::Write as _;
        writeln!(log, "$ {line}")?;
        log.flush()?;
        let err = log.file().try_clone()?;
        let out = cmd
            .stderr(err)
            .output()
            .map_err(|e| io::Error::new(e.kind(), format!("running `{line}`: {e}")))?;
        if !out.status.success() {
            return Err(CompileError::Failed {
                command: line,
                status: format!("{}", out.status),
                tail: tail(log)?,
            });
        }
        String::from_utf8(out.stdout)
            .map_err(|_| CompileError::Unexpected(format!("`{line}` printed non-UTF-8 output")))
    }
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last [`TAIL_LINES`] lines of the log.
fn tail(log: &mut fs_err::File) -> io::Result<String> {
    let len = log.file().metadata()?.len();
    let mut file = log.file().try_clone()?;
    file.seek(SeekFrom::Start(len.saturating_sub(16 * 1024)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    file.seek(SeekFrom::End(0))?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    Ok(lines[start..].iter().map(|l| format!("  | {l}")).collect::<Vec<_>>().join("\n"))
}

/// A compiled package: its installed files in `staging()`, the work folder deleted on drop.
#[derive(Debug)]
pub struct Compiled {
    runner: Runner,
    work: tempfile::TempDir,
    /// The work folder inside the root.
    inside: PathBuf,
    package: String,
    prefix: String,
}

impl Compiled {
    /// The staging tree on the host (the future `/` of the package).
    pub fn staging(&self) -> PathBuf {
        self.work.path().join("debian").join(&self.package)
    }

    fn staging_inside(&self) -> PathBuf {
        self.inside.join("debian").join(&self.package)
    }

    /// The ELF files of the staging tree, relative to it, sorted.
    pub fn elf_files(&self) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        elf_files(&self.staging(), Path::new(""), &mut out)?;
        out.sort();
        Ok(out)
    }

    /// Strips the ELF files as `dh_strip` does (debug information and `.comment` / `.note`
    /// sections removed; shared objects `--strip-unneeded`).
    pub fn strip(&self, log: &mut fs_err::File) -> Result<(), CompileError> {
        let files = self.elf_files()?;
        if files.is_empty() {
            return Ok(());
        }
        self.runner.require("strip", "binutils")?;
        for file in files {
            let shared = file.file_name().is_some_and(|n| n.to_string_lossy().contains(".so"));
            let mut args: Vec<OsString> =
                vec!["--remove-section=.comment".into(), "--remove-section=.note".into()];
            if shared {
                args.push("--strip-unneeded".into());
            }
            args.push(self.staging_inside().join(&file).into_os_string());
            let cmd = self.runner.command(&self.inside, "strip", &args);
            self.runner.run(cmd, log)?;
        }
        Ok(())
    }

    /// Every ELF file of the staging tree that needs glibc symbols, with the highest
    /// `GLIBC_x.y` version it needs, sorted by file.
    pub fn glibc_needed(
        &self,
        log: &mut fs_err::File,
    ) -> Result<Vec<(PathBuf, GlibcVersion)>, CompileError> {
        let mut out = Vec::new();
        for file in self.elf_files()? {
            if let Some(v) = glibc_needed(&self.staging().join(&file), log)? {
                out.push((file, v));
            }
        }
        Ok(out)
    }

    /// The architecture of the package: `all` without ELF files, else the root's
    /// `dpkg --print-architecture`.
    pub fn architecture(&self, log: &mut fs_err::File) -> Result<String, CompileError> {
        if self.elf_files()?.is_empty() {
            return Ok("all".to_owned());
        }
        self.runner.require("dpkg", "dpkg")?;
        let cmd = self.runner.command(&self.inside, "dpkg", &["--print-architecture".into()]);
        Ok(self.runner.output(cmd, log)?.trim().to_owned())
    }

    /// The substitution variables of the package: `shlibs:Depends` from `dpkg-shlibdeps` on the
    /// ELF files (libraries of the package itself under `<prefix>/lib` are not dependencies),
    /// and `python3:Depends` (`python3:any`) when the package ships Python files. `control`
    /// is the generated `debian/control` (`dpkg-shlibdeps` reads it).
    pub fn substvars(
        &self,
        control: &str,
        log: &mut fs_err::File,
    ) -> Result<BTreeMap<String, String>, CompileError> {
        let mut vars = BTreeMap::new();
        let files = self.elf_files()?;
        if !files.is_empty() {
            self.runner.require("dpkg-shlibdeps", "dpkg-dev")?;
            fs_err::write(self.work.path().join("debian/control"), control)?;
            let staging = self.staging_inside();
            let mut args: Vec<OsString> = vec!["-O".into()];
            let lib = staging.join(self.prefix.trim_start_matches('/')).join("lib");
            let mut l = OsString::from("-l");
            l.push(&lib);
            args.push(l);
            args.extend(files.iter().map(|f| staging.join(f).into_os_string()));
            let cmd = self.runner.command(&self.inside, "dpkg-shlibdeps", &args);
            let out = self.runner.output(cmd, log)?;
            for line in out.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    vars.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
        if has_python(&self.staging())? {
            vars.insert("python3:Depends".to_owned(), "python3:any".to_owned());
        }
        Ok(vars)
    }
}

/// The highest `GLIBC_x.y` symbol version the ELF file `path` needs (its version needs, as
/// `readelf --version-info` lists them), `None` when it needs none (a static binary).
pub fn glibc_needed(
    path: &Path,
    log: &mut fs_err::File,
) -> Result<Option<(u32, u32)>, CompileError> {
    let runner = Runner::new(None, None);
    runner.require("readelf", "binutils")?;
    let cmd = runner.command(
        Path::new("/"),
        "readelf",
        &["--version-info".into(), "--wide".into(), path.as_os_str().to_owned()],
    );
    let text = runner.output(cmd, log)?;
    Ok(highest_glibc(&text))
}

/// `shlibs` (a `${shlibs:Depends}` value) with its `libc6 (>= ...)` relation replaced by
/// `libc6 (>= <major>.<minor>)`: the C library the binaries were linked against (by zig, for an
/// older release) rather than the minimum the building host's symbols file gives.
pub fn with_libc6_floor(shlibs: &str, (major, minor): (u32, u32)) -> String {
    shlibs
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            if r == "libc6" || r.starts_with("libc6 ") {
                format!("libc6 (>= {major}.{minor})")
            } else {
                r.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The highest `GLIBC_<major>.<minor>` named in `readelf --version-info` output (needs only:
/// the `.gnu.version_r` section).
fn highest_glibc(readelf: &str) -> Option<(u32, u32)> {
    let needs = readelf
        .split("Version needs section")
        .nth(1)?
        .split("Version definition section")
        .next()
        .unwrap_or_default();
    needs
        .split(|c: char| c.is_whitespace())
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(str::parse::<u32>);
            match (parts.next(), parts.next()) {
                (Some(Ok(major)), Some(Ok(minor))) => Some((major, minor)),
                _ => None,
            }
        })
        .max()
}

/// Compiles one package into a staging tree, with every command's output appended to `log`.
pub fn compile(req: &Request<'_>, log: &mut fs_err::File) -> Result<Compiled, CompileError> {
    if !COMPILED_BUILD_TYPES.contains(&req.build_type) {
        return Err(CompileError::UnknownBuildType(req.build_type.to_owned()));
    }
    let runner = Runner::new(req.chroot, req.source_date_epoch);
    let tmp = runner.host_path(Path::new("/tmp"));
    fs_err::create_dir_all(&tmp)?;
    let work = tempfile::Builder::new().prefix("rosdeb-build-").tempdir_in(&tmp)?;
    let inside = Path::new("/tmp").join(work.path().file_name().unwrap_or_default());
    // cargo on the host builds in place (a workspace member needs its workspace); everything
    // else builds in a copy of the package.
    let in_place = req.build_type == "cargo" && req.chroot.is_none();
    let src = if in_place {
        fs_err::canonicalize(req.source)?
    } else {
        copy_source(req.source, &work.path().join("src"))?;
        inside.join("src")
    };
    let compiled = Compiled {
        runner,
        inside,
        work,
        package: req.package.to_owned(),
        prefix: req.prefix.to_owned(),
    };
    fs_err::create_dir_all(compiled.staging())?;
    let ctx = Context {
        runner: &compiled.runner,
        work: &compiled.inside,
        src,
        staging: compiled.staging_inside(),
        req,
    };
    match req.build_type {
        "cargo" => cargo::build(&ctx, log)?,
        "ament_python" => python::build(&ctx, log)?,
        _ => cmake::build(&ctx, log)?,
    }
    // catkin's message generation (genmsg) byte-compiles the generated Python modules and
    // installs the `__pycache__/` folders; as dh_python3 does, none is shipped (the interpreter
    // writes them on the target, and their timestamps made rebuilds differ).
    remove_bytecode(&compiled.staging())?;
    Ok(compiled)
}

/// Removes every `__pycache__/` folder and `*.pyc` / `*.pyo` file under `dir` (symbolic links
/// are removed, never followed).
fn remove_bytecode(dir: &Path) -> io::Result<()> {
    remove_bytecode_and(dir, &|_, _| false)
}

/// [`remove_bytecode`], and also the files `also(folder, name)` names.
pub(crate) fn remove_bytecode_and(
    dir: &Path,
    also: &dyn Fn(&Path, &str) -> bool,
) -> io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if name == "__pycache__" {
                fs_err::remove_dir_all(entry.path())?;
            } else {
                remove_bytecode_and(&entry.path(), also)?;
            }
        } else if name == "__pycache__"
            || name.ends_with(".pyc")
            || name.ends_with(".pyo")
            || also(dir, &name)
        {
            fs_err::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// What the per-type builders need (paths inside the root).
pub(crate) struct Context<'a> {
    pub(crate) runner: &'a Runner,
    /// The work folder (the source copy, under it, is mapped to `.` in compiler output).
    pub(crate) work: &'a Path,
    /// The package source (a copy, except for cargo on the host).
    pub(crate) src: PathBuf,
    /// The staging root (`DESTDIR`).
    pub(crate) staging: PathBuf,
    pub(crate) req: &'a Request<'a>,
}

impl Context<'_> {
    /// A command in the source copy, with `<prefix>/setup.sh` sourced first when it exists (as
    /// bloom's rules do, so packages of the distribution installed there are found).
    pub(crate) fn command(&self, program: &str, args: &[OsString]) -> Command {
        let setup = Path::new(self.req.prefix).join("setup.sh");
        if !self.runner.host_path(&setup).is_file() {
            return self.runner.command(&self.src, program, args);
        }
        let mut wrapped: Vec<OsString> =
            vec!["-c".into(), ". \"$0\" && exec \"$@\"".into(), setup.into_os_string()];
        wrapped.push(program.into());
        wrapped.extend(args.iter().cloned());
        self.runner.command(&self.src, "/bin/sh", &wrapped)
    }

    /// The compiler flags of the root's `dpkg-buildflags` (hardening, as debhelper builds)
    /// with the work folder mapped to `.`; without dpkg-dev, `-g -O2` and the mapping.
    pub(crate) fn build_flags(
        &self,
        log: &mut fs_err::File,
    ) -> Result<Vec<(String, String)>, CompileError> {
        let map = format!("-ffile-prefix-map={}=.", self.src.display());
        let mut flags = Vec::new();
        for var in ["CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS"] {
            let value = if self.runner.has("dpkg-buildflags") {
                let mut cmd = self.runner.command(
                    &self.src,
                    "dpkg-buildflags",
                    &["--get".into(), var.into()],
                );
                cmd.env("DEB_BUILD_PATH", self.work);
                let v = self.runner.output(cmd, log)?.trim().to_owned();
                // dpkg-buildflags maps the build path itself; ours covers the build folder too.
                v.split_whitespace()
                    .filter(|f| {
                        !f.starts_with("-ffile-prefix-map=")
                            && !f.starts_with("-fdebug-prefix-map=")
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            } else if var.ends_with("FLAGS") && var.starts_with('C') && var != "CPPFLAGS" {
                "-g -O2".to_owned()
            } else {
                String::new()
            };
            let value = if var == "CFLAGS" || var == "CXXFLAGS" {
                format!("{value} {map}").trim().to_owned()
            } else {
                value
            };
            flags.push((var.to_owned(), value));
        }
        Ok(flags)
    }
}

/// Folders of a package source never copied into the work folder (build leftovers).
const NOT_COPIED: &[&str] = &[".git", "build", "install", "log", "target", ".obj-rosdeb"];

/// Copies a package source (regular files, folders and symlinks as they are).
pub(crate) fn copy_source(from: &Path, to: &Path) -> io::Result<()> {
    copy_dir(from, to, true)
}

fn copy_dir(from: &Path, to: &Path, top: bool) -> io::Result<()> {
    fs_err::create_dir_all(to)?;
    let mut entries: Vec<_> = fs_err::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if top && NOT_COPIED.iter().any(|n| name == *n) {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            copy_dir(&entry.path(), &target, false)?;
        } else if kind.is_symlink() {
            let link = fs_err::read_link(entry.path())?;
            fs_err::os::unix::fs::symlink(link, &target)?;
        } else if kind.is_file() {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// ELF executables and shared objects (not relocatable objects) under `dir`.
fn elf_files(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs_err::read_dir(root.join(rel))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = rel.join(entry.file_name());
        if kind.is_dir() {
            elf_files(root, &path, out)?;
        } else if kind.is_file() && is_elf(&entry.path())? {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether `dir` holds an ELF file as [`is_elf`] sees it (regular files only; symbolic links are
/// not followed). The one detector that decides `Architecture` for `build` and for
/// `debian generate --staged`.
pub fn has_elf(dir: &Path) -> io::Result<bool> {
    Ok(!elf_files_in(dir)?.is_empty())
}

/// The ELF files under `dir` as [`is_elf`] sees them, relative to `dir`, sorted.
pub fn elf_files_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    elf_files(dir, Path::new(""), &mut out)?;
    out.sort();
    Ok(out)
}

/// Whether the file starts with the ELF magic and is an executable or shared object.
pub fn is_elf(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; 18];
    let mut file = fs_err::File::open(path)?;
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => return Ok(false),
            n => read += n,
        }
    }
    if &head[..4] != b"\x7fELF" {
        return Ok(false);
    }
    let e_type = if head[5] == 2 {
        u16::from_be_bytes([head[16], head[17]])
    } else {
        u16::from_le_bytes([head[16], head[17]])
    };
    Ok(e_type == 2 || e_type == 3)
}

/// Whether `dir` holds a Python module (`*.py`) or a script run by python (`#!...python`).
fn has_python(dir: &Path) -> io::Result<bool> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if has_python(&entry.path())? {
                return Ok(true);
            }
        } else if kind.is_file() {
            if entry.file_name().to_string_lossy().ends_with(".py") {
                return Ok(true);
            }
            let mut head = [0u8; 64];
            let n = fs_err::File::open(entry.path())?.read(&mut head)?;
            let first = head[..n].split(|&b| b == b'\n').next().unwrap_or_default();
            if first.starts_with(b"#!") && first.windows(6).any(|w| w == b"python") {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The path as an argument.
pub(crate) fn arg(p: &Path) -> OsString {
    p.as_os_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The highest glibc version binutils' other reader, `objdump -T`, shows for `path`.
    fn objdump_highest_glibc(path: &Path) -> Option<(u32, u32)> {
        let out = Command::new("objdump").arg("-T").arg(path).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout)
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter_map(|w| w.strip_prefix("GLIBC_"))
            .filter_map(|v| {
                let mut p = v.split('.').map(str::parse::<u32>);
                match (p.next(), p.next()) {
                    (Some(Ok(a)), Some(Ok(b))) => Some((a, b)),
                    _ => None,
                }
            })
            .max()
    }

    #[test]
    fn the_libc6_relation_is_the_linked_glibc() {
        assert_eq!(
            with_libc6_floor("libc6 (>= 2.34), libgcc-s1 (>= 4.2)", (2, 30)),
            "libc6 (>= 2.30), libgcc-s1 (>= 4.2)"
        );
        assert_eq!(with_libc6_floor("libc6-dev, libc6", (2, 17)), "libc6-dev, libc6 (>= 2.17)");
    }

    #[test]
    fn the_glibc_a_binary_needs_agrees_with_objdump() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = fs_err::File::create(dir.path().join("log")).unwrap();
        for binary in [std::env::current_exe().unwrap(), PathBuf::from("/bin/sh")] {
            let ours = glibc_needed(&binary, &mut log).unwrap();
            assert!(ours.is_some(), "{} needs glibc symbols", binary.display());
            assert_eq!(ours, objdump_highest_glibc(&binary), "{}", binary.display());
        }
        // A file with no version needs (not dynamically linked against glibc).
        assert_eq!(highest_glibc("Version symbols section '.gnu.version' contains 1 entry:"), None);
    }

    #[test]
    fn elf_executables_and_shared_objects_are_found_and_text_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("script");
        fs_err::write(&text, "#!/bin/sh\n").unwrap();
        assert!(!is_elf(&text).unwrap());
        let short = dir.path().join("short");
        fs_err::write(&short, b"\x7fELF").unwrap();
        assert!(!is_elf(&short).unwrap());
        let mut object = b"\x7fELF\x02\x01\x01".to_vec();
        object.resize(16, 0);
        object.extend([1, 0]); // ET_REL: an object file, not shipped as a program
        fs_err::write(dir.path().join("a.o"), &object).unwrap();
        assert!(!is_elf(&dir.path().join("a.o")).unwrap());
        object[16] = 3; // ET_DYN
        fs_err::write(dir.path().join("lib.so"), &object).unwrap();
        assert!(is_elf(&dir.path().join("lib.so")).unwrap());
        assert!(is_elf(Path::new("/bin/sh")).unwrap());
        let mut found = Vec::new();
        elf_files(dir.path(), Path::new(""), &mut found).unwrap();
        assert_eq!(found, [PathBuf::from("lib.so")]);
    }

    #[test]
    fn byte_compiled_python_is_removed_and_sources_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("opt/ros/noetic/lib/python3/dist-packages/geometry_msgs");
        fs_err::create_dir_all(pkg.join("msg/__pycache__")).unwrap();
        fs_err::create_dir_all(pkg.join("__pycache__")).unwrap();
        fs_err::write(pkg.join("__init__.py"), "").unwrap();
        fs_err::write(pkg.join("msg/_Point.py"), "").unwrap();
        fs_err::write(pkg.join("msg/__pycache__/_Point.cpython-311.pyc"), "x").unwrap();
        fs_err::write(pkg.join("__pycache__/__init__.cpython-311.pyc"), "x").unwrap();
        fs_err::write(pkg.join("old.pyc"), "x").unwrap();
        fs_err::write(pkg.join("old.pyo"), "x").unwrap();
        // A link is removed, not followed: its target outside the tree stays.
        let outside = tempfile::tempdir().unwrap();
        fs_err::write(outside.path().join("keep.pyc"), "x").unwrap();
        fs_err::os::unix::fs::symlink(outside.path(), pkg.join("linked")).unwrap();
        fs_err::os::unix::fs::symlink(outside.path().join("keep.pyc"), pkg.join("link.pyc"))
            .unwrap();
        remove_bytecode(dir.path()).unwrap();
        assert!(pkg.join("__init__.py").is_file() && pkg.join("msg/_Point.py").is_file());
        for gone in ["__pycache__", "msg/__pycache__", "old.pyc", "old.pyo", "link.pyc"] {
            assert!(fs_err::symlink_metadata(pkg.join(gone)).is_err(), "{gone} is left");
        }
        assert!(outside.path().join("keep.pyc").is_file());
        assert!(fs_err::symlink_metadata(pkg.join("linked")).is_ok());
    }

    #[test]
    fn a_chroot_runner_maps_paths_and_enters_the_root() {
        let runner = Runner::new(Some(Path::new("/srv/root")), Some(1_700_000_000));
        assert_eq!(runner.host_path(Path::new("/tmp/x")), Path::new("/srv/root/tmp/x"));
        let cmd = runner.command(Path::new("/tmp/w"), "cmake", &["--build".into()]);
        assert_eq!(
            describe(&cmd),
            "chroot /srv/root /bin/sh -c cd \"$0\" && exec \"$@\" /tmp/w cmake --build"
        );
        let envs: Vec<_> = cmd.get_envs().collect();
        assert!(
            envs.iter()
                .any(|(k, v)| *k == "SOURCE_DATE_EPOCH" && v.is_some_and(|v| v == "1700000000"))
        );
        let host = Runner::new(None, None);
        assert_eq!(host.host_path(Path::new("/tmp/x")), Path::new("/tmp/x"));
        assert!(host.has("sh"));
        assert!(matches!(
            host.require("no-such-tool-rosdeb", "pkg"),
            Err(CompileError::MissingTool { ref package, .. }) if package == "pkg"
        ));
    }

    #[test]
    fn a_failed_command_carries_the_tail_of_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = fs_err::File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(dir.path().join("log"))
            .unwrap();
        let runner = Runner::new(None, None);
        let script = "for i in $(seq 1 40); do echo line $i; done; exit 3";
        let cmd = runner.command(dir.path(), "sh", &["-c".into(), script.into()]);
        let Err(CompileError::Failed { status, tail, .. }) = runner.run(cmd, &mut log) else {
            panic!("the command fails");
        };
        assert_eq!(status, "exit status 3");
        assert_eq!(tail.lines().count(), TAIL_LINES);
        assert!(tail.ends_with("  | line 40"), "{tail}");
    }
}
