//! `rosdeb build PKG_DIR... --distro NAME --os OS:CODENAME --out DIR`: `.deb` packages of
//! several ROS packages, in dependency order, with a progress bar and a summary table.
//!
//! Build type `none` (metapackages, `<export><build_type>none</build_type>`; nothing else is
//! guessed to need no build: message packages are compiled) is staged as bloom's catkin install
//! lays it out: `/opt/ros/<distro>/share/<name>/package.xml`, plus (for a non-metapackage) every
//! other file of the package folder under `share/<name>/` (hidden entries, symlinks, `debian/`,
//! `packaging/`, `build/`, `install/`, `log/` left out), for any target.
//!
//! The compiling build types (catkin, cmake, ament_cmake, ament_python, cargo) are built by
//! `debgen::build` into a staging tree, on this host when the target is its own OS and codename,
//! or inside `--chroot DIR` (a root directory of the target; needs root); another codename
//! without `--chroot` is refused with why. Their output goes to `<out>/<name>.build.log`; a
//! failure shows its last lines. `Architecture` is `all` without ELF files, else the build's
//! `dpkg --print-architecture`; `${shlibs:Depends}` comes from `dpkg-shlibdeps`.
//! `--via dpkg-buildpackage` hands the generated `debian/` tree to Debian's tools instead.
//! Control fields come from the `debian/` tree `debgen::generate` renders (`debgen::binary`),
//! then `debgen::deb` writes `<package>_<version>_<arch>.deb` into `--out`.
//!
//! Order: the given packages sorted by their dependencies among themselves (every kind but
//! test, doc, conflict and replace); a cycle fails its members (named). A package whose
//! build-time dependency among them failed is not built. One failure never stops the others;
//! any failure exits 1. stdout: the .deb paths, or with `--json` a list of
//! `{name, version, architecture, path, sha256}`; stderr: progress, errors, the summary table.
//!
//! A PKG_DIR without package.xml but with `pyproject.toml` or `setup.py` is a Python
//! application, packaged with a virtual environment under `/opt/venvs/<name>` ([`app`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use debgen::deb::{BuiltDeb, DebBuilder};
use debgen::generate::{self, Input, Target as DebTarget};
use debgen::templates::Templates;
use rospkg::Manifest;
use rospkg::environment::Environment;
use rospkg::manifest::{self, DependKind, ManifestKind};
use rospkg::rosdep::{Rules, Target};

use super::debian::{ReleaseArgs, generate_error, read_optional, read_shipped, timestamp};
use crate::exit::{Hinted, Status};
use crate::json;

mod app;

/// `rosdeb build` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Package folders (each holding package.xml, or a Python application's pyproject.toml or
    /// setup.py), built in dependency order.
    #[arg(value_name = "PKG_DIR", required = true)]
    packages: Vec<PathBuf>,
    #[command(flatten)]
    release: ReleaseArgs,
    /// Directory the .deb files are written to (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A root directory of the target system to compile in (needed for another codename).
    #[arg(long, value_name = "DIR")]
    chroot: Option<PathBuf>,
    /// How compiling packages are built: natively, or by Debian's `dpkg-buildpackage`.
    #[arg(long, value_enum, default_value_t = Via::Native)]
    via: Via,
    /// Print a JSON list of `{name, version, architecture, path, sha256}` instead of the paths.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    fetch: crate::fetch::FetchArgs,
    /// A local Python project installed into every Python application's venv from this folder
    /// (never from PyPI), e.g. `--embed bridge/python` for pyros; repeatable.
    #[arg(long, value_name = "DIR")]
    embed: Vec<PathBuf>,
}

/// The build path of the packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Via {
    /// rosdeb drives the build and writes the .deb itself.
    Native,
    /// `dpkg-buildpackage -b -us -uc` on the generated debian/ tree (needs debhelper).
    #[value(name = "dpkg-buildpackage")]
    DpkgBuildpackage,
}

/// One package to build: its folder and what was read from it.
pub(super) struct Package {
    pub(super) dir: PathBuf,
    pub(super) manifest: Option<Manifest>,
    pub(super) name: String,
    pub(super) version: String,
    /// Why it could not be read (then `name` is the folder).
    pub(super) error: Option<String>,
    /// A `debian/` tree shipped with the sources (bloom's, in a release repository's debian
    /// tag), used as it is instead of generating one.
    pub(super) debian: Option<generate::Tree>,
}

/// Builds packages of one target into one folder: everything shared by the packages of a run.
/// `build_one` takes `&self`, so independent packages may be built on several threads.
pub(super) struct Builder<'a> {
    pub(super) env: Environment,
    pub(super) rules: &'a Rules,
    pub(super) distribution: Option<&'a rospkg::distro::distribution::DistributionFile>,
    pub(super) target: DebTarget,
    /// The target as given (`OS:CODENAME`).
    pub(super) spec: Target,
    /// ROS package name -> Debian package name, for the packages released together.
    pub(super) peers: BTreeMap<String, String>,
    pub(super) templates: Templates,
    pub(super) epoch: Option<u64>,
    /// The Debian increment when the distribution does not list the version.
    pub(super) inc: u32,
    /// Where the .deb files and build logs go.
    pub(super) out: PathBuf,
    pub(super) chroot: Option<PathBuf>,
    pub(super) via: Via,
    pub(super) host: std::sync::OnceLock<Result<rospkg::os_detect::OsInfo, String>>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let env = Environment::from_process();
    let epoch = DebBuilder::source_date_epoch_from_env()?;
    let packages: Vec<Package> = args.packages.iter().map(|dir| load(dir)).collect();
    let mut warnings = String::new();
    // Python applications need neither the distribution nor the rosdep rules.
    let (rules, distribution, target) = if args.packages.iter().all(|d| app::is_app(d)) {
        let target = DebTarget {
            distro: args.release.distro.clone(),
            os: args.release.target.os.clone(),
            codename: args.release.target.codename.clone(),
            ros_version: None,
            python_version: None,
        };
        (Rules::new(), None, target)
    } else {
        args.release.load(&args.fetch, &env, &mut warnings)?
    };
    let _ = std::io::stderr().lock().write_all(warnings.as_bytes());
    // Their Debian names (a broken <rosdeb> export fails when that package is generated).
    let peers: BTreeMap<String, String> = packages
        .iter()
        .filter_map(|p| {
            let manifest = p.manifest.as_ref()?;
            let package = generate::layout(manifest, &p.name, &target.distro).map_or_else(
                |_| generate::ros_package_name(&target.distro, &p.name),
                |l| l.package,
            );
            Some((p.name.clone(), package))
        })
        .collect();
    let run = Builder {
        env,
        rules: &rules,
        distribution: distribution.as_ref(),
        target,
        spec: args.release.target.clone(),
        peers,
        templates: Templates::default(),
        epoch,
        inc: args.release.inc,
        out: args.out.clone(),
        chroot: args.chroot.clone(),
        via: args.via,
        host: std::sync::OnceLock::new(),
    };

    let mut results: BTreeMap<usize, anyhow::Result<BuiltDeb>> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        if let Some(e) = &p.error {
            results.insert(i, Err(anyhow::anyhow!("{e}")));
        }
    }
    let (order, cycle) = order(&packages);
    if !cycle.is_empty() {
        let members: Vec<&str> = cycle.iter().map(|&i| packages[i].name.as_str()).collect();
        for &i in &cycle {
            results.insert(
                i,
                Err(Hinted::error(
                    format!("dependency cycle among {}", members.join(", ")),
                    "remove one of the dependencies between these packages",
                )),
            );
        }
    }
    for i in 0..packages.len() {
        if !order.contains(&i) && !results.contains_key(&i) {
            results.insert(i, Err(anyhow::anyhow!("depends on a package of a dependency cycle")));
        }
    }

    let bar = progress_bar(order.len());
    for &i in &order {
        let p = &packages[i];
        bar.set_message(p.name.clone());
        let failed_dep = build_deps(p).into_iter().find(|d| {
            packages
                .iter()
                .position(|q| &q.name == d)
                .is_some_and(|j| results.get(&j).is_some_and(Result::is_err))
        });
        let result = match failed_dep {
            Some(d) => Err(anyhow::anyhow!("not built: its build dependency `{d}` failed")),
            None if p.manifest.is_none() => app::build(
                p,
                &args.embed,
                &args.release.target.codename,
                args.release.inc,
                epoch,
                &args.out,
            ),
            None => run.build_one(p),
        };
        if let Err(e) = &result {
            bar.suspend(|| print_error(&p.name, e));
        }
        results.insert(i, result);
        bar.inc(1);
    }
    bar.finish_and_clear();
    for (&i, result) in &results {
        if !order.contains(&i)
            && let Err(e) = result
        {
            print_error(&packages[i].name, e);
        }
    }

    let built: Vec<&BuiltDeb> = order.iter().filter_map(|i| results[i].as_ref().ok()).collect();
    let failed = results.values().filter(|r| r.is_err()).count();
    summary(&packages, &order, &results, built.len(), failed);

    let mut text = String::new();
    if args.json {
        let list: Vec<json::BuiltPackage> = built
            .iter()
            .map(|d| json::BuiltPackage {
                name: d.name.clone(),
                version: d.version.clone(),
                architecture: d.architecture.clone(),
                path: d.path.display().to_string(),
                sha256: d.sha256.clone(),
            })
            .collect();
        text = serde_json::to_string_pretty(&list)?;
        text.push('\n');
    } else {
        for d in &built {
            let _ = writeln!(text, "{}", d.path.display());
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    Ok(if failed == 0 { Status::Success } else { Status::Failure })
}

/// Reads `dir/package.xml`; on failure `manifest` is `None` and `error` says why.
pub(super) fn load(dir: &Path) -> Package {
    let xml = dir.join("package.xml");
    let fail = |message: String| Package {
        dir: dir.to_owned(),
        manifest: None,
        name: dir.display().to_string(),
        version: String::new(),
        error: Some(message),
        debian: None,
    };
    if !xml.is_file() && app::is_app(dir) {
        return app::load(dir);
    }
    if !xml.is_file() {
        return fail(format!("no package.xml in `{}`", dir.display()));
    }
    let manifest = match manifest::parse_file(ManifestKind::PackageXml, &xml) {
        Ok(m) => m,
        Err(d) => return fail(d.to_string()),
    };
    if let Some(d) = manifest.diagnostics.iter().find(|d| d.is_error()) {
        return fail(format!("package.xml is invalid: {d}"));
    }
    let Some(name) = manifest.name.clone() else {
        return fail(format!("{}: the package has no <name>", xml.display()));
    };
    Package {
        dir: dir.to_owned(),
        version: manifest.version.clone(),
        manifest: Some(manifest),
        name,
        error: None,
        debian: None,
    }
}

/// Names this package depends on for ordering (every kind but test, doc, conflict, replace).
fn order_deps(p: &Package) -> BTreeSet<String> {
    deps_of(p, |k| {
        !matches!(
            k,
            DependKind::Test | DependKind::Doc | DependKind::Conflict | DependKind::Replace
        )
    })
}

/// Names this package needs at build time.
fn build_deps(p: &Package) -> BTreeSet<String> {
    deps_of(p, |k| {
        matches!(
            k,
            DependKind::Build
                | DependKind::Buildtool
                | DependKind::BuildExport
                | DependKind::Depend
                | DependKind::Run
        )
    })
}

fn deps_of(p: &Package, keep: impl Fn(DependKind) -> bool) -> BTreeSet<String> {
    p.manifest
        .iter()
        .flat_map(|m| &m.dependencies)
        .filter(|d| keep(d.kind) && d.name != p.name)
        .map(|d| d.name.clone())
        .collect()
}

/// The build order of the loaded packages (indexes; dependencies first, else command-line
/// order), and the members of dependency cycles.
fn order(packages: &[Package]) -> (Vec<usize>, Vec<usize>) {
    use rospkg::graph::{Graph, NodeId};
    let loaded: Vec<usize> = (0..packages.len()).filter(|&i| packages[i].error.is_none()).collect();
    let node = |n: usize| NodeId::try_from(n).unwrap_or(NodeId::MAX);
    let index: BTreeMap<&str, NodeId> =
        loaded.iter().enumerate().map(|(n, &i)| (packages[i].name.as_str(), node(n))).collect();
    let edges = loaded
        .iter()
        .map(|&i| {
            order_deps(&packages[i]).iter().filter_map(|d| index.get(d.as_str()).copied()).collect()
        })
        .collect();
    let graph = Graph::new(loaded.iter().map(|&i| packages[i].name.clone()).collect(), edges);
    let order = graph.build_order().order.iter().map(|&n| loaded[n as usize]).collect();
    let members = graph.cycles().into_iter().flatten().map(|n| loaded[n as usize]).collect();
    (order, members)
}

impl Builder<'_> {
    /// Builds one package into `self.out`.
    pub(super) fn build_one(&self, p: &Package) -> anyhow::Result<BuiltDeb> {
        let manifest = p.manifest.as_ref().context("no manifest")?;
        let mut build_type = generate::build_type(manifest, &self.target);
        if manifest.is_metapackage() {
            build_type = "none".to_owned();
        }
        let compiling = debgen::build::COMPILED_BUILD_TYPES.contains(&build_type.as_str());
        let cross = if compiling { self.check_target(&build_type)? } else { Cross::Native };
        let xml = p.dir.join("package.xml");
        let mut inc = self.inc;
        if let Some(dist) = &self.distribution
            && let Some(released) = dist.package_version(&p.name)
            && let Some(n) = released.strip_prefix(&format!("{}-", manifest.version))
            && let Ok(n) = n.parse()
        {
            inc = n;
        }
        let depends = generate::resolve(manifest, self.rules, &self.target, &self.peers).map_err(
            |unresolved| {
                let keys: Vec<String> =
                    unresolved.iter().map(|u| format!("{} ({})", u.key, u.reason)).collect();
                Hinted::error(
                    format!(
                        "{}: rosdep keys do not resolve on {}: {}",
                        xml.display(),
                        self.spec,
                        keys.join("; ")
                    ),
                    "add rules for these keys to a rosdep YAML file and pass it with --rosdep FILE",
                )
            },
        )?;
        let changelog = read_optional(&p.dir.join("CHANGELOG.rst"))?;
        let mut license_files = BTreeMap::new();
        for l in &manifest.licenses {
            if let Some(file) = &l.file
                && let Some(text) = read_optional(&p.dir.join(file))?
            {
                license_files.insert(file.clone(), text);
            }
        }
        let shipped = read_shipped(&p.dir.join("packaging/debian"))?;
        let timestamp = timestamp(&self.env, &xml)?;
        let mut input = Input {
            manifest,
            target: &self.target,
            depends: &depends,
            inc,
            timestamp,
            changelog: changelog.as_deref(),
            license_files: &license_files,
            staged_has_elf: if compiling { None } else { Some(false) },
            shipped: &shipped,
            templates: &self.templates,
        };
        let tree = match &p.debian {
            Some(shipped) => shipped.clone(),
            None => generate::generate(&input).map_err(|e| generate_error(&xml, e))?,
        };
        // Without SOURCE_DATE_EPOCH, package.xml's time caps the staged files' (fresh) mtimes.
        let epoch = self.epoch.or(u64::try_from(timestamp).ok());
        let generate::Layout { package, prefix } =
            generate::layout(manifest, &p.name, &self.target.distro)
                .map_err(|e| generate_error(&xml, e))?;
        let request = debgen::build::Request {
            build_type: &build_type,
            source: &p.dir,
            name: &p.name,
            package: &package,
            prefix: &prefix,
            chroot: self.chroot.as_deref(),
            source_date_epoch: epoch,
            glibc: match cross {
                Cross::Glibc(glibc) => Some(glibc),
                Cross::Native | Cross::PurePython => None,
            },
        };

        if self.via == Via::DpkgBuildpackage {
            let mut log = BuildLog::create(&self.out, &p.name)?;
            let log_path = log.path.clone();
            let result = debgen::build::dpkg_buildpackage(&request, &tree, &self.out, log.file())
                .map_err(|e| compile_error(e, &log_path));
            return log.finish(result);
        }
        if !compiling {
            // Modes (the temporary root's 0700 included) are normalised by `binary::builder`.
            let staging = tempfile::Builder::new().prefix("rosdeb-build-").tempdir()?;
            debgen::binary::stage_share(
                &p.dir,
                &p.name,
                &prefix,
                manifest.is_metapackage(),
                staging.path(),
            )
            .with_context(|| format!("staging `{}`", p.dir.display()))?;
            debgen::binary::stage_root_overlay(&p.dir.join("packaging/root"), staging.path())?;
            let deb = debgen::binary::builder(&tree, staging.path(), epoch)?
                .build(&self.out)
                .with_context(|| format!("building the .deb of `{}`", p.name))?;
            return Ok(deb);
        }

        let mut log = BuildLog::create(&self.out, &p.name)?;
        let result = (|| {
            let log_path = log.path.clone();
            let file = log.file();
            let compiled =
                debgen::build::compile(&request, file).map_err(|e| compile_error(e, &log_path))?;
            compiled.strip(file).map_err(|e| compile_error(e, &log_path))?;
            let has_elf = !compiled.elf_files()?.is_empty();
            if has_elf && cross == Cross::PurePython {
                return Err(Hinted::error(
                    format!(
                        "`{}` built ELF files, so it is not pure Python and cannot be built for \
                         {} on this host",
                        p.name, self.spec
                    ),
                    format!("pass --chroot DIR with a root of {}", self.spec),
                ));
            }
            let glibc = self.check_glibc(&compiled, file, &log_path)?;
            debgen::binary::stage_root_overlay(&p.dir.join("packaging/root"), &compiled.staging())?;
            input.staged_has_elf = Some(has_elf);
            let tree = match &p.debian {
                Some(shipped) => shipped.clone(),
                None => generate::generate(&input).map_err(|e| generate_error(&xml, e))?,
            };
            let mut subst = debgen::binary::Substitutions {
                architecture: Some(
                    compiled.architecture(file).map_err(|e| compile_error(e, &log_path))?,
                ),
                ..Default::default()
            };
            subst.vars = compiled
                .substvars(&tree["debian/control"].contents, file)
                .map_err(|e| compile_error(e, &log_path))?;
            if let (Cross::Glibc(_), Some(glibc), Some(shlibs)) =
                (cross, glibc, subst.vars.get_mut("shlibs:Depends"))
            {
                // dpkg-shlibdeps read this host's libc6 symbols file, whose minimum versions
                // are this host's; what the binaries need is what zig linked against.
                *shlibs = debgen::build::with_libc6_floor(shlibs, glibc);
            }
            let deb = debgen::binary::builder_with(&tree, &compiled.staging(), epoch, &subst)?
                .build(&self.out)
                .with_context(|| format!("building the .deb of `{}`", p.name))?;
            Ok(deb)
        })();
        log.finish(result)
    }

    /// How a compiling package is built for the target: on this host when it is the target's
    /// own OS and codename, or inside `--chroot DIR`; for another release without a root, cargo
    /// links against that release's glibc with cargo-zigbuild and setup.py packages must come
    /// out pure Python (no ELF file). Anything else is refused with why.
    fn check_target(&self, build_type: &str) -> anyhow::Result<Cross> {
        let target = &self.spec;
        if let Some(root) = &self.chroot {
            if !root.join("bin/sh").exists() && !root.join("usr/bin/sh").exists() {
                return Err(Hinted::error(
                    format!("--chroot `{}` is not a root directory (no bin/sh)", root.display()),
                    format!(
                        "make one with: debootstrap --variant=buildd {} DIR MIRROR",
                        target.codename
                    ),
                ));
            }
            if !is_root() {
                return Err(Hinted::error(
                    "--chroot needs root (it runs the build with chroot)",
                    "run rosdeb build as root, e.g. with sudo",
                ));
            }
            return Ok(Cross::Native);
        }
        let env = &self.env;
        let host = self.host.get_or_init(|| {
            rospkg::os_detect::detect(Path::new("/"), env).map_err(|e| e.to_string())
        });
        let same =
            host.as_ref().is_ok_and(|h| h.name == target.os && h.codename == target.codename);
        if same {
            return Ok(Cross::Native);
        }
        if build_type == "ament_python" {
            return Ok(Cross::PurePython);
        }
        if build_type == "cargo" {
            return match debgen::targets::lookup(&target.codename) {
                Some(t) => Ok(Cross::Glibc(t.glibc)),
                None => Err(Hinted::error(
                    format!(
                        "{target}: rosdeb does not know which glibc `{}` has, so it cannot link \
                         a cargo package against it",
                        target.codename
                    ),
                    format!(
                        "build on {target} or pass --chroot DIR; {}",
                        debgen::targets::UnknownCodename(target.codename.clone()).hint()
                    ),
                )),
            };
        }
        let host = match host {
            Ok(h) => format!("this {}:{} host", h.name, h.codename),
            Err(e) => format!("this host ({e})"),
        };
        Err(Hinted::error(
            format!(
                "build type `{build_type}` compiles, and {target} is not {host}: the \
                 binaries would link against the host's libraries, not {target}'s"
            ),
            format!("pass --chroot DIR with a root directory of {target}, or build on {target}"),
        ))
    }
}

impl Builder<'_> {
    /// Fails when an ELF file of `compiled` needs a newer glibc than the target release has
    /// (its highest `GLIBC_x.y` symbol version, read with readelf): it would not start there.
    /// Returns the highest version any of them needs.
    fn check_glibc(
        &self,
        compiled: &debgen::build::Compiled,
        log: &mut fs_err::File,
        log_path: &Path,
    ) -> anyhow::Result<Option<(u32, u32)>> {
        let target = &self.spec;
        let needed = compiled.glibc_needed(log).map_err(|e| compile_error(e, log_path))?;
        let highest = needed.iter().map(|(_, v)| *v).max();
        let Some(release) = debgen::targets::lookup(&target.codename) else {
            return Ok(highest);
        };
        let (major, minor) = release.glibc;
        let too_new: Vec<String> = needed
            .iter()
            .filter(|(_, v)| *v > (u32::from(major), u32::from(minor)))
            .map(|(file, (a, b))| format!("/{} needs GLIBC_{a}.{b}", file.display()))
            .collect();
        if too_new.is_empty() {
            return Ok(highest);
        }
        Err(Hinted::error(
            format!("{target} has glibc {major}.{minor}, and {}", too_new.join(", ")),
            "build in a root of the target (--chroot DIR), or let rosdeb link a cargo package \
             against the target's glibc (cargo-zigbuild) by building for it from another host",
        ))
    }
}

/// How a compiling package is built for its target (see [`Builder::check_target`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cross {
    /// On this host or in `--chroot`, against that system's own libraries.
    Native,
    /// cargo, linked against this glibc (major, minor) with cargo-zigbuild.
    Glibc((u8, u8)),
    /// setup.py, for another release: the result must hold no ELF file.
    PurePython,
}

/// Whether the process runs as root (`id -u`).
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A compile error as a user-facing error, with a hint.
fn compile_error(e: debgen::build::CompileError, log: &Path) -> anyhow::Error {
    let hint = match (&e, e.missing_package()) {
        (_, Some(package)) => format!("install it: apt-get install {package}"),
        (debgen::build::CompileError::MissingZig { .. }, None) => {
            "`cargo install --locked cargo-zigbuild` and zig from PyPI (`pip install ziglang`, \
             then put its `zig` on the PATH); `cargo xtask dist` installs both under \
             target/tools"
                .to_owned()
        }
        (_, None) => format!("the whole output is in `{}`", log.display()),
    };
    Hinted::error(e.to_string(), hint)
}

/// `<out>/<name>.build.log`, written as `.<name>.build.log.tmp` and renamed when the build ends.
struct BuildLog {
    file: fs_err::File,
    tmp: PathBuf,
    path: PathBuf,
}

impl BuildLog {
    fn create(out: &Path, name: &str) -> anyhow::Result<BuildLog> {
        fs_err::create_dir_all(out)?;
        let tmp = out.join(format!(".{name}.build.log.tmp"));
        let path = out.join(format!("{name}.build.log"));
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&tmp)?;
        Ok(BuildLog { file, tmp, path })
    }

    fn file(&mut self) -> &mut fs_err::File {
        &mut self.file
    }

    /// Renames the log into place and passes `result` on.
    fn finish<T>(self, result: anyhow::Result<T>) -> anyhow::Result<T> {
        drop(self.file);
        fs_err::rename(&self.tmp, &self.path)?;
        result
    }
}

/// A progress bar over `len` steps on stderr, hidden when stderr is not a terminal.
pub(super) fn progress_bar(len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// `error: NAME: ...` with the causes and the hint, on stderr.
pub(super) fn print_error(name: &str, e: &anyhow::Error) {
    let mut lines = format!("error: {name}: {e}");
    for cause in e.chain().skip(1) {
        let _ = write!(lines, "\n  caused by: {cause}");
    }
    if let Some(hint) = e.chain().find_map(|c| c.downcast_ref::<Hinted>()) {
        let _ = write!(lines, "\n  hint: {}", hint.hint);
    }
    let _ = writeln!(std::io::stderr().lock(), "{lines}");
}

/// The summary table on stderr: every package in build order, then the failed ones.
fn summary(
    packages: &[Package],
    order: &[usize],
    results: &BTreeMap<usize, anyhow::Result<BuiltDeb>>,
    built: usize,
    failed: usize,
) {
    let mut rows: Vec<[String; 5]> = Vec::new();
    let rest = (0..packages.len()).filter(|i| !order.contains(i));
    for i in order.iter().copied().chain(rest) {
        let p = &packages[i];
        rows.push(match &results[&i] {
            Ok(d) => [
                d.name.clone(),
                d.version.clone(),
                d.architecture.clone(),
                human_size(d.size),
                d.path.display().to_string(),
            ],
            Err(_) => [p.name.clone(), p.version.clone(), "-".into(), "-".into(), "FAILED".into()],
        });
    }
    let head = ["NAME", "VERSION", "ARCH", "SIZE", "PATH"];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(head.map(str::to_owned)).chain(rows) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {:>w3$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        let _ = writeln!(text, "{}", line.trim_end());
    }
    let _ = writeln!(text, "{built} built, {failed} failed");
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn human_size(bytes: u64) -> String {
    if bytes < 10 * 1024 { format!("{bytes} B") } else { format!("{} KiB", bytes / 1024) }
}
