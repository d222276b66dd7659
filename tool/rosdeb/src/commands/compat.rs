//! `rosdeb rospack ...` / `rosdeb rosstack ...`: C++ rospack's and rosstack's command lines, output
//! and exit statuses (rospack 2.6.2 as Debian ships it), on top of the rospkg library.
//!
//! Differences on purpose (one broken manifest is a warning, not an abort; cycles never break
//! unrelated queries; errors always exit non-zero; rosstack lists stacks and metapackages only;
//! the package of the current directory is named by its package.xml `<name>`) are listed in
//! `docs/rospack-differences.md`.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rospkg::crawl::CrawlOptions;
use rospkg::environment::Environment;
use rospkg::index::{CacheOutcome, Index};
use rospkg::manifest::ManifestKind;
use rospkg::rospack::{Catalog, Flavor, Item, QueryError, RosPack, RosStack};

use crate::context::Context;
use crate::daemon::Asked;
use crate::exit::Status;

/// Which tool to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tool {
    /// rospack
    Rospack,
    /// rosstack
    Rosstack,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Rospack => "rospack",
            Tool::Rosstack => "rosstack",
        }
    }
}

/// The parsed command line (boost::program_options style: `--opt=value` or `--opt value`).
#[derive(Debug, Default)]
struct Invocation {
    command: Option<String>,
    package: Option<String>,
    deps_only: bool,
    zombie_only: bool,
    quiet: bool,
    /// `-h` (rospack prints its usage); `--help` alone counts as no command, as in rospack.
    short_help: bool,
    lang: Option<String>,
    attrib: Option<String>,
    top: Option<String>,
    target: Option<String>,
    length: Option<String>,
}

impl Invocation {
    fn parse(args: &[OsString]) -> Result<Self, String> {
        let mut inv = Invocation::default();
        let mut positional = Vec::new();
        let mut iter = args.iter().map(|a| a.to_string_lossy().into_owned());
        while let Some(arg) = iter.next() {
            if arg == "-q" {
                inv.quiet = true;
                continue;
            }
            if arg == "-h" {
                inv.short_help = true;
                continue;
            }
            if arg == "--help" {
                continue;
            }
            let Some(long) = arg.strip_prefix("--") else {
                if arg.starts_with('-') && arg.len() > 1 {
                    return Err(UNRECOGNISED.to_owned());
                }
                positional.push(arg);
                continue;
            };
            let (key, inline) = match long.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (long.to_owned(), None),
            };
            match key.as_str() {
                "deps-only" => inv.deps_only = true,
                "zombie-only" => inv.zombie_only = true,
                "lang" | "attrib" | "top" | "target" | "length" => {
                    let value = match inline {
                        Some(v) if v.is_empty() => return Err(EMPTY_VALUE.to_owned()),
                        Some(v) => v,
                        None => iter.next().ok_or_else(|| {
                            format!("failed to parse command-line options: the required argument for option '--{key}' is missing")
                        })?,
                    };
                    let slot = match key.as_str() {
                        "lang" => &mut inv.lang,
                        "attrib" => &mut inv.attrib,
                        "top" => &mut inv.top,
                        "target" => &mut inv.target,
                        _ => &mut inv.length,
                    };
                    if slot.is_some() {
                        return Err(REPEATED.to_owned());
                    }
                    *slot = Some(value);
                }
                _ => return Err(UNRECOGNISED.to_owned()),
            }
        }
        if positional.len() > 2 {
            return Err("failed to parse command-line options: too many positional options have been specified on the command line".to_owned());
        }
        let mut positional = positional.into_iter();
        inv.command = positional.next();
        inv.package = positional.next();
        Ok(inv)
    }

    /// The options given, for the "invalid option(s) given" check.
    fn options_given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.deps_only {
            given.push("deps-only");
        }
        if self.zombie_only {
            given.push("zombie-only");
        }
        for (set, name) in [
            (self.lang.is_some(), "lang"),
            (self.attrib.is_some(), "attrib"),
            (self.top.is_some(), "top"),
            (self.target.is_some(), "target"),
            (self.length.is_some(), "length"),
        ] {
            if set {
                given.push(name);
            }
        }
        given
    }
}

// rospack prints boost::program_options' placeholder literally.
const UNRECOGNISED: &str =
    "failed to parse command-line options: unrecognised option '%canonical_option%'";
const EMPTY_VALUE: &str = "failed to parse command-line options: the argument for option '%canonical_option%' should follow immediately after the equal sign";
const REPEATED: &str = "failed to parse command-line options: option '%canonical_option%' cannot be specified more than once";

/// Output and error collection for one run.
struct Run {
    tool: Tool,
    quiet: bool,
    out: Vec<u8>,
    /// Captured stderr (daemon answers); `None` writes stderr at once, as rospack does, so that
    /// it interleaves with the output of backquoted export commands.
    err: Option<Vec<u8>>,
    failed: bool,
}

impl Run {
    fn error(&mut self, message: &str) {
        self.failed = true;
        if !self.quiet {
            self.stderr_line(&format!("[{}] Error: {message}", self.tool.name()));
        }
    }

    fn warning(&mut self, message: &str) {
        if !self.quiet {
            self.stderr_line(&format!("[{}] Warning: {message}", self.tool.name()));
        }
    }

    fn stderr_line(&mut self, text: &str) {
        match &mut self.err {
            Some(buffer) => {
                buffer.extend_from_slice(text.as_bytes());
                buffer.push(b'\n');
            }
            None => eprintln_lossy(text),
        }
    }

    /// One output line; bytes, so that paths that are not UTF-8 print as they are.
    fn line(&mut self, text: impl AsRef<[u8]>) {
        self.out.extend_from_slice(text.as_ref());
        self.out.push(b'\n');
    }
}

/// A path's bytes as the kernel has them.
fn raw(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// A crawled directory as rospack prints it: Debian's `/usr/share` root keeps its trailing slash.
fn shown_dir(dir: &Path) -> Vec<u8> {
    if dir == Path::new("/usr/share") { b"/usr/share/".to_vec() } else { raw(dir).to_vec() }
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Paths separated by single spaces.
fn join_paths(paths: &[PathBuf]) -> Vec<u8> {
    paths.iter().map(|p| raw(p)).collect::<Vec<_>>().join(&b' ')
}

fn eprintln_lossy(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Who is asking: the environment and working directory a query is answered for (this
/// process's, or a daemon client's).
pub struct Caller<'a> {
    /// Environment variables.
    pub env: &'a Environment,
    /// Working directory (names the package of commands given none).
    pub cwd: Option<&'a Path>,
}

/// The rospack and rosstack views of one search path, each built on first use from one index.
pub struct Views {
    context: Context,
    index: OnceLock<(Arc<Index>, CacheOutcome)>,
    rospack: OnceLock<RosPack>,
    rosstack: OnceLock<RosStack>,
}

/// The crawl options of the compatibility commands (rospack ignores ROS 2 markers).
const CRAWL: CrawlOptions = CrawlOptions { ros2_markers: false };

impl Views {
    /// Views on `context`'s search path; the index is loaded (or crawled) on first use.
    pub fn new(context: Context) -> Self {
        Views {
            context,
            index: OnceLock::new(),
            rospack: OnceLock::new(),
            rosstack: OnceLock::new(),
        }
    }

    /// Views over an index already loaded.
    pub fn with_index(context: Context, index: Arc<Index>, outcome: CacheOutcome) -> Self {
        let views = Self::new(context);
        let _ = views.index.set((index, outcome));
        views
    }

    /// The search path, cache folder and environment behind these views.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Loads the index of the compatibility commands for `context` (cache validated by stat;
    /// a cache that is not safe to use is left alone, and the log says so once).
    pub fn load_index(context: &Context) -> (Index, CacheOutcome) {
        Index::load(&context.search, CRAWL, context.cache_dir.as_deref())
    }

    fn index(&self) -> &(Arc<Index>, CacheOutcome) {
        self.index.get_or_init(|| {
            let (index, outcome) = Self::load_index(&self.context);
            (Arc::new(index), outcome)
        })
    }

    fn catalog(&self, flavor: Flavor) -> Catalog {
        let (index, outcome) = self.index();
        Catalog::from_index(
            flavor,
            &self.context.search,
            Arc::clone(index),
            *outcome,
            self.context.options(CRAWL),
        )
    }

    /// rospack's view.
    pub fn rospack(&self) -> &RosPack {
        self.rospack.get_or_init(|| RosPack::from_catalog(self.catalog(Flavor::Packages)))
    }

    /// rosstack's view.
    pub fn rosstack(&self) -> &RosStack {
        self.rosstack.get_or_init(|| RosStack::from_catalog(self.catalog(Flavor::Stacks)))
    }

    /// The number of packages and stacks found.
    pub fn entries(&self) -> usize {
        self.index().0.entries.len()
    }
}

/// A query's whole result, for the daemon to send back.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    /// What rospack prints on stdout (as one byte string on the wire, not a sequence of bytes).
    #[serde(with = "serde_bytes")]
    pub stdout: Vec<u8>,
    /// What it prints on stderr.
    #[serde(with = "serde_bytes")]
    pub stderr: Vec<u8>,
    /// Whether it exits non-zero.
    pub failed: bool,
}

/// Whether the daemon may answer this command line: pure queries of the index, no shell, no
/// timing. Anything else (and anything that does not parse) runs in the caller's process.
pub fn served_by_daemon(tool: Tool, args: &[OsString]) -> bool {
    let Ok(inv) = Invocation::parse(args) else { return false };
    let Some(command) = inv.command.as_deref().map(canonical) else { return false };
    if inv.short_help || allowed_options(tool, command).is_none() {
        return false;
    }
    match tool {
        Tool::Rospack => matches!(
            command,
            "find"
                | "list"
                | "list-names"
                | "list-duplicates"
                | "langs"
                | "depends"
                | "depends1"
                | "depends-manifests"
                | "depends-msgsrv"
                | "depends-indent"
                | "depends-why"
                | "depends-on"
                | "depends-on1"
                | "rosdep"
                | "rosdep0"
                | "vcs"
                | "vcs0"
        ),
        Tool::Rosstack => matches!(
            command,
            "find"
                | "list"
                | "list-names"
                | "list-duplicates"
                | "contents"
                | "contains"
                | "contains-path"
                | "depends"
                | "depends1"
                | "depends-manifests"
                | "depends-indent"
                | "depends-why"
                | "depends-on"
                | "depends-on1"
        ),
    }
}

/// Answers one command line for `caller` from `views`, printing nothing (the daemon's side).
pub fn answer(tool: Tool, args: &[OsString], caller: &Caller<'_>, views: &Views) -> Answer {
    let mut run = Run {
        tool,
        quiet: args.iter().any(|a| a == "-q"),
        out: Vec::new(),
        err: Some(Vec::new()),
        failed: false,
    };
    execute(&mut run, args, caller, views);
    Answer { stdout: run.out, stderr: run.err.unwrap_or_default(), failed: run.failed }
}

fn execute(run: &mut Run, args: &[OsString], caller: &Caller<'_>, views: &Views) {
    match Invocation::parse(args) {
        Ok(inv) => {
            run.quiet = inv.quiet;
            dispatch(run, &inv, caller, views);
        }
        Err(message) => run.error(&message),
    }
}

/// Runs rospack or rosstack with `args` (without the program name): through the index daemon
/// when one runs (unless `ROSDEB_DAEMON=0`), else in this process (then, with
/// `ROSDEB_DAEMON=1` only, starting a daemon for next time).
pub fn run(tool: Tool, args: &[OsString]) -> Status {
    let env = Environment::from_process();
    let context = Context::from_env(env.clone(), None, None, false);
    let mut daemon = served_by_daemon(tool, args)
        .then(|| crate::daemon::Endpoint::for_context(&context))
        .flatten();
    if let Some(endpoint) = &daemon {
        match endpoint.ask(tool, args, &env) {
            Asked::Answer(answer) => {
                let _ = std::io::stderr().write_all(&answer.stderr);
                return write_stdout(tool, &answer.stdout, answer.failed);
            }
            Asked::Declined => daemon = None,
            Asked::NotRunning => {}
        }
    }
    let cwd = std::env::current_dir().ok();
    let caller = Caller { env: &env, cwd: cwd.as_deref() };
    let mut run = Run {
        tool,
        quiet: args.iter().any(|a| a == "-q"),
        out: Vec::new(),
        err: None,
        failed: false,
    };
    let start = crate::daemon::Mode::of(&context) == crate::daemon::Mode::Start;
    execute(&mut run, args, &caller, &Views::new(context));
    if let Some(endpoint) = &daemon
        && start
    {
        endpoint.start_in_background();
    }
    write_stdout(tool, &run.out, run.failed)
}

fn write_stdout(tool: Tool, out: &[u8], failed: bool) -> Status {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln_lossy(&format!("[{}] Error: writing output: {e}", tool.name()));
        return Status::Failure;
    }
    if failed { Status::Failure } else { Status::Success }
}

/// Which options each command accepts.
fn allowed_options(tool: Tool, command: &str) -> Option<&'static [&'static str]> {
    let common: &[&str] = &[];
    let flags: &[&str] = &["deps-only"];
    Some(match (tool, command) {
        (_, "help") => common,
        (
            Tool::Rospack,
            "cflags-only-I" | "cflags-only-other" | "libs-only-L" | "libs-only-l"
            | "libs-only-other",
        ) => flags,
        (Tool::Rospack, "export") => &["deps-only", "lang", "attrib"],
        (Tool::Rospack, "plugins") => &["attrib", "top"],
        (Tool::Rospack, "profile") => &["length", "zombie-only"],
        (Tool::Rosstack, "profile") => &["length"],
        (_, "depends-why") => &["target"],
        (
            Tool::Rospack,
            "find" | "list" | "list-names" | "list-duplicates" | "langs" | "depends" | "depends1",
        )
        | (
            Tool::Rospack,
            "depends-manifests" | "depends-msgsrv" | "depends-indent" | "depends-on"
            | "depends-on1",
        )
        | (Tool::Rospack, "rosdep" | "rosdep0" | "vcs" | "vcs0") => common,
        (
            Tool::Rosstack,
            "find" | "contents" | "list" | "list-names" | "list-duplicates" | "depends"
            | "depends1",
        )
        | (Tool::Rosstack, "depends-manifests" | "depends-indent" | "depends-on" | "depends-on1")
        | (Tool::Rosstack, "contains" | "contains-path") => common,
        _ => return None,
    })
}

fn canonical(command: &str) -> &str {
    match command {
        "deps" => "depends",
        "deps1" => "depends1",
        "deps-manifests" => "depends-manifests",
        "deps-msgsrv" => "depends-msgsrv",
        "deps-indent" => "depends-indent",
        "deps-why" => "depends-why",
        "rosdeps" => "rosdep",
        "rosdeps0" => "rosdep0",
        other => other,
    }
}

/// Commands that work on the whole tree and take no package.
fn takes_no_package(command: &str) -> bool {
    matches!(command, "list" | "list-names" | "list-duplicates" | "langs" | "profile" | "help")
}

fn dispatch(run: &mut Run, inv: &Invocation, caller: &Caller<'_>, views: &Views) {
    let tool = run.tool;
    if inv.short_help {
        run.out.extend_from_slice(usage(tool).as_bytes());
        return;
    }
    let Some(command) = inv.command.as_deref().map(canonical) else {
        // rospack exits 0 here (also for `--help`); an invocation that does nothing is an error
        // for us (docs/rospack-differences.md, D2 and D3).
        run.error(&format!("no command given.  Try '{} help'", tool.name()));
        return;
    };
    let Some(allowed) = allowed_options(tool, command) else {
        run.error(&format!("command {command} not implemented"));
        return;
    };
    if command == "help" {
        run.out.extend_from_slice(help(tool, inv.package.as_deref()).as_bytes());
        return;
    }
    // rospack checks what a command needs (package, --lang, ...) before unexpected options.
    let package = if takes_no_package(command) {
        inv.package.clone()
    } else {
        inv.package.clone().or_else(|| package_of_cwd(tool, caller.cwd))
    };
    let missing = match command {
        "export" => (package.is_none() || inv.lang.is_none() || inv.attrib.is_none())
            .then_some("no package / lang / attrib given"),
        "plugins" => {
            (package.is_none() || inv.attrib.is_none()).then_some("no package / attrib given")
        }
        "depends-why" => {
            (package.is_none() || inv.target.is_none()).then_some("no package or target given")
        }
        _ if takes_no_package(command) => None,
        "contains" | "contains-path" => package.is_none().then_some("no package given"),
        _ if tool == Tool::Rosstack => package.is_none().then_some("no stack given"),
        _ => package.is_none().then_some("no package given"),
    };
    if let Some(message) = missing {
        run.error(message);
        return;
    }
    if inv.options_given().iter().any(|o| !allowed.contains(o))
        || (takes_no_package(command) && inv.package.is_some())
    {
        run.error("invalid option(s) given");
        return;
    }
    let started = Instant::now();
    let catalog: &Catalog = match tool {
        Tool::Rospack => views.rospack(),
        Tool::Rosstack => views.rosstack(),
    };
    for skipped in catalog.skipped() {
        run.warning(&format!("{skipped} (left out; rospack would abort here)"));
    }
    for notice in catalog.notices() {
        run.warning(&notice.to_string());
    }
    let Some(name) = package else {
        whole_tree(run, inv, command, catalog, caller, views.context(), started);
        return;
    };
    match tool {
        Tool::Rospack => package_command(run, inv, command, views.rospack(), &name),
        Tool::Rosstack => stack_command(run, inv, command, views.rosstack(), &name),
    }
}

/// The package (rospack) or stack (rosstack) holding the working directory `cwd`.
fn package_of_cwd(tool: Tool, cwd: Option<&Path>) -> Option<String> {
    let cwd = cwd?;
    match tool {
        Tool::Rospack => rospkg::rospack::package_name_of(cwd),
        Tool::Rosstack => cwd
            .ancestors()
            .find(|d| d.join("stack.xml").is_file())
            .and_then(|d| d.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
    }
}

fn whole_tree(
    run: &mut Run,
    inv: &Invocation,
    command: &str,
    catalog: &Catalog,
    caller: &Caller<'_>,
    context: &Context,
    started: Instant,
) {
    match command {
        "list" => {
            for item in catalog.list() {
                run.line(concat(&[item.name.as_bytes(), b" ", raw(&item.dir)]));
            }
        }
        "list-names" => {
            for item in catalog.list() {
                run.line(&item.name);
            }
        }
        "list-duplicates" => {
            for dup in catalog.duplicates() {
                run.line(&dup.name);
                for dir in &dup.dirs {
                    run.line(concat(&[b"- ", raw(dir)]));
                }
            }
        }
        "langs" => {
            let disabled: BTreeSet<String> = caller
                .env
                .get("ROS_LANG_DISABLE")
                .unwrap_or_default()
                .split(':')
                .map(str::to_owned)
                .collect();
            match catalog.depends_on("roslang", false) {
                Ok(langs) => {
                    let langs: Vec<String> =
                        langs.into_iter().filter(|l| !disabled.contains(l)).collect();
                    run.line(langs.join(" "));
                }
                Err(_) => {
                    run.error("no such package roslang");
                    run.line("");
                }
            }
        }
        "profile" => profile(run, inv, context, started),
        _ => run.error(&format!("command {command} not implemented")),
    }
}

fn profile(run: &mut Run, inv: &Invocation, context: &Context, started: Instant) {
    let length: usize = match inv.length.as_deref().map(str::parse).transpose() {
        Ok(n) => n.unwrap_or(20),
        Err(_) => {
            run.error("invalid option(s) given");
            return;
        }
    };
    let timed = rospkg::crawl::profile(&context.search, CrawlOptions { ros2_markers: false });
    let total = started.elapsed().as_secs_f64();
    if inv.zombie_only {
        for dir in timed.iter().filter(|d| d.zombie) {
            run.line(shown_dir(&dir.dir));
        }
        return;
    }
    run.line(format!("Full tree crawl took {total:.6} seconds."));
    run.line("Directories marked with (*) contain no manifest.  You may");
    run.line("want to delete these directories.");
    run.line("To get just of list of directories without manifests,");
    run.line("re-run the profile with --zombie-only");
    run.line("-------------------------------------------------------------");
    for dir in timed.iter().take(length) {
        let mark = if dir.zombie { '*' } else { ' ' };
        run.line(concat(&[format!("{:.6} {mark} ", dir.seconds).as_bytes(), &shown_dir(&dir.dir)]));
    }
}

/// Reports a query error with rospack's wording for `command`.
fn query_error(run: &mut Run, command: &str, error: &QueryError) {
    let message = match error {
        QueryError::NotFound { name } => match command {
            "depends" | "depends1" | "depends-on" | "depends-on1" => {
                format!("no such package {name}")
            }
            _ if run.tool == Tool::Rosstack => format!("stack '{name}' not found"),
            _ => format!("package '{name}' not found"),
        },
        QueryError::Cycle { members } if members.len() == 1 => {
            format!("package '{}' depends on itself", members[0])
        }
        QueryError::Cycle { members } => {
            format!(
                "maximum dependency depth exceeded (likely circular dependency: {})",
                members.join(", ")
            )
        }
        QueryError::Manifest(d) => d.to_string(),
    };
    run.error(&message);
}

/// Checks the manifests a query will read: self-dependencies, manifests that do not parse,
/// `<depend>` without a package attribute, and dependencies that do not exist (rosbuild
/// packages only: Debian's rospack, without a rosdep cache, takes a missing package.xml
/// dependency for a system dependency). Reports each problem; returns false if any.
fn check_closure(run: &mut Run, catalog: &Catalog, names: &[String]) -> bool {
    let mut ok = true;
    for name in names {
        let Some(item) = catalog.get(name) else { continue };
        let Ok(summary) = catalog.summary(name) else { continue };
        let path = item.manifest_path();
        if summary.error.is_some() {
            run.error(&format!("error parsing manifest of package {name} at {}", path.display()));
            ok = false;
            continue;
        }
        if summary
            .diagnostics
            .iter()
            .any(|d| d.kind == rospkg::diagnostic::DiagnosticKind::DependWithoutTarget)
        {
            run.error(&format!(
                "bad depend syntax (no 'package/stack' attribute) in manifest {name} at {}",
                path.display()
            ));
            ok = false;
        }
        if catalog.depends_on_itself(name) {
            run.error(&format!("package '{name}' depends on itself"));
            ok = false;
        }
        if item.kind != ManifestKind::PackageXml {
            for dep in catalog.dependencies(name).unwrap_or_default() {
                if dep.class != rospkg::rospack::DepClass::Local && dep.name != *name {
                    run.error(&format!(
                        "package '{name}' depends on non-existent package '{}' and rosdep claims that it is not a system dependency. Check the ROS_PACKAGE_PATH or try calling 'rosdep update'",
                        dep.name
                    ));
                    ok = false;
                }
            }
        }
    }
    ok
}

/// The transitive closure with rospack's checks; `None` (after reporting) on a hard error.
fn closure(run: &mut Run, command: &str, catalog: &Catalog, name: &str) -> Option<Vec<String>> {
    if catalog.depends_on_itself(name) {
        run.error(&format!("package '{name}' depends on itself"));
        return None;
    }
    match catalog.depends(name) {
        Ok(c) => {
            // rospack reports problems as its post-order walk meets them: dependencies first.
            let mut all = c.names.clone();
            all.push(name.to_owned());
            check_closure(run, catalog, &all);
            Some(c.names)
        }
        Err(e) => {
            query_error(run, command, &e);
            None
        }
    }
}

/// Commands whose answer is one space-separated line; rospack prints that line (empty) even
/// when the package is unknown.
fn one_line_answer(command: &str) -> bool {
    matches!(command, "depends-manifests" | "depends-msgsrv" | "export")
}

fn package_command(run: &mut Run, inv: &Invocation, command: &str, rp: &RosPack, name: &str) {
    if let Err(e) = rp.require(name) {
        let shown = if command == "plugins" { "depends" } else { command };
        query_error(run, shown, &e);
        if one_line_answer(command) {
            run.line("");
        }
        return;
    }
    match command {
        "find" => {
            if let Ok(dir) = rp.get_path(name) {
                run.line(raw(dir));
            }
        }
        "depends" | "depends-manifests" | "depends-msgsrv" => {
            let Some(names) = closure(run, command, rp, name) else { return };
            match command {
                "depends" => names.iter().for_each(|n| run.line(n)),
                "depends-manifests" => {
                    let paths: Vec<PathBuf> =
                        names.iter().filter_map(|n| rp.get(n)).map(Item::manifest_path).collect();
                    run.line(join_paths(&paths));
                }
                _ => {
                    let mut markers: Vec<PathBuf> = Vec::new();
                    for item in names.iter().filter_map(|n| rp.get(n)) {
                        for sub in ["msg_gen", "srv_gen"] {
                            let marker = item.dir.join(sub).join("generated");
                            if marker.is_file() {
                                markers.push(marker);
                            }
                        }
                    }
                    run.line(join_paths(&markers));
                }
            }
        }
        "depends1" => {
            // rospack walks the whole closure here too, reporting its problems (not cycles).
            if let Ok(c) = rp.depends(name) {
                let mut all = c.names;
                all.push(name.to_owned());
                check_closure(run, rp, &all);
            } else {
                check_closure(run, rp, &[name.to_owned()]);
            }
            if rp.summary(name).is_ok_and(|s| s.error.is_none())
                && let Ok(deps) = rp.depends1(name)
            {
                deps.iter().for_each(|d| run.line(d));
            }
        }
        "depends-indent" => depends_indent(run, command, rp, name),
        "depends-why" => depends_why(run, inv, command, rp, name),
        "depends-on" | "depends-on1" => {
            let implicit = command == "depends-on";
            if implicit && let Some(cycle) = cycle_among_dependents(rp, name) {
                // rospack fails when computing the dependents meets a cycle (docs D6).
                run.error(&format!(
                    "maximum dependency depth exceeded (likely circular dependency: {})",
                    cycle.join(", ")
                ));
                return;
            }
            if let Ok(names) = rp.depends_on(name, implicit) {
                names.iter().for_each(|n| run.line(n));
            }
        }
        "rosdep" | "rosdep0" => {
            let packages = if command == "rosdep" {
                let Some(deps) = closure(run, command, rp, name) else { return };
                std::iter::once(name.to_owned()).chain(deps).collect()
            } else {
                vec![name.to_owned()]
            };
            let mut keys = BTreeSet::new();
            for p in &packages {
                if rp.get(p).is_some_and(|i| i.kind == ManifestKind::ManifestXml) {
                    match rp.manifest(p) {
                        Ok(m) => keys.extend(m.rosdeps),
                        Err(e) => query_error(run, command, &e),
                    }
                } else if let Ok(summary) = rp.summary(p) {
                    // Debian's rospack without a rosdep cache takes every dependency tag of a
                    // package.xml for a rosdep key.
                    keys.extend(summary.deps.iter().map(|d| d.name.clone()));
                }
            }
            keys.iter().for_each(|k| run.line(format!("name: {k}")));
        }
        "vcs" | "vcs0" => {
            let packages = if command == "vcs" {
                let Some(deps) = closure(run, command, rp, name) else { return };
                std::iter::once(name.to_owned()).chain(deps).collect()
            } else {
                vec![name.to_owned()]
            };
            for p in &packages {
                match rp.manifest(p) {
                    Ok(m) => {
                        for vc in &m.version_control {
                            let mut line = String::new();
                            if let Some(kind) = &vc.kind {
                                line.push_str(&format!("type: {kind}"));
                            }
                            if let Some(url) = &vc.url {
                                line.push_str(&format!("\turl: {url}"));
                            }
                            run.line(&line);
                        }
                    }
                    Err(_) => {
                        let path = rp.get(p).map(|i| i.manifest_path()).unwrap_or_default();
                        run.error(&format!(
                            "error parsing manifest of package {p} at {}",
                            path.display()
                        ));
                    }
                }
            }
        }
        "export" => {
            let (Some(lang), Some(attrib)) = (inv.lang.as_deref(), inv.attrib.as_deref()) else {
                run.error("must specify both --lang and --attrib");
                return;
            };
            if let Some(values) =
                evaluated_exports(run, rp, name, lang, attrib, inv.deps_only, true)
            {
                run.line(values.join(" "));
            }
        }
        "plugins" => plugins(run, inv, rp, name),
        "cflags-only-I" | "cflags-only-other" | "libs-only-L" | "libs-only-l"
        | "libs-only-other" => {
            flags(run, inv, command, rp, name);
        }
        _ => run.error(&format!("command {command} not implemented")),
    }
}

/// A cycle that `name` or one of its dependents is part of.
fn cycle_among_dependents(catalog: &Catalog, name: &str) -> Option<Vec<String>> {
    let mut involved = catalog.depends_on(name, true).ok()?;
    involved.push(name.to_owned());
    catalog.cycles().into_iter().find(|cycle| cycle.iter().any(|m| involved.contains(m)))
}

/// The whole dependency tree, two spaces per level, subtrees repeated (rospack's depends-indent).
fn depends_indent(run: &mut Run, command: &str, catalog: &Catalog, name: &str) {
    if closure(run, command, catalog, name).is_none() {
        return;
    }
    if let Ok(node) = catalog.node(name)
        && let Ok(tree) = catalog.graph().tree(node)
    {
        for (depth, n) in tree {
            run.line(format!("{}{}", "  ".repeat(depth), catalog.graph().name(n)));
        }
    }
}

fn depends_why(run: &mut Run, inv: &Invocation, command: &str, catalog: &Catalog, name: &str) {
    let Some(target) = inv.target.as_deref() else {
        run.error("you must specify --target");
        return;
    };
    if closure(run, command, catalog, name).is_none() {
        return;
    }
    let (Ok(from), Ok(to)) = (catalog.node(name), catalog.node(target)) else {
        query_error(run, command, &QueryError::NotFound { name: target.to_owned() });
        return;
    };
    run.line(format!("Dependency chains from {name} to {target}:"));
    for chain in catalog.graph().chains(from, to, usize::MAX) {
        let names = catalog.graph().names_of(&chain);
        run.line(format!("* {} ", names.join(" -> ")));
    }
}

/// Export values with backquoted / `$` shell evaluated by `/bin/sh`, as rospack does.
fn evaluated_exports(
    run: &mut Run,
    rp: &RosPack,
    name: &str,
    lang: &str,
    attrib: &str,
    deps_only: bool,
    empty_line_on_failure: bool,
) -> Option<Vec<String>> {
    // rospack prints nothing for export and flag commands once the closure has a problem.
    if closure(run, "export", rp, name).is_none() || run.failed {
        return None;
    }
    let exports = match rp.exports(name, lang, attrib, deps_only) {
        Ok(e) => e,
        Err(e) => {
            query_error(run, "export", &e);
            return None;
        }
    };
    let mut values = Vec::new();
    for (package, value) in exports {
        if crate::export_shell::needs_shell(&value) {
            match crate::export_shell::evaluate(&value, rp.get_path(&package).ok()) {
                Ok(v) => values.push(v),
                Err(crate::export_shell::ShellFailed::Status) => {
                    // rospack shows the shell's own complaint and fails; `export` still prints
                    // its (empty) line, the flag commands do not.
                    run.failed = true;
                    if empty_line_on_failure {
                        run.line("");
                    }
                    return None;
                }
                Err(crate::export_shell::ShellFailed::Spawn(message)) => {
                    run.error(&message);
                    return None;
                }
            }
        } else {
            values.push(value);
        }
    }
    Some(values)
}

fn plugins(run: &mut Run, inv: &Invocation, rp: &RosPack, name: &str) {
    let Some(attrib) = inv.attrib.as_deref() else {
        run.error("you must specify --attrib");
        return;
    };
    let mut candidates = vec![name.to_owned()];
    candidates.extend(rp.depends_on(name, false).unwrap_or_default());
    if let Some(top) = inv.top.as_deref() {
        let Some(mut scope) = closure(run, "plugins", rp, top) else { return };
        scope.push(top.to_owned());
        candidates.retain(|c| scope.contains(c));
    }
    for package in candidates {
        let Ok(manifest) = rp.manifest(&package) else { continue };
        let dir = rp.get_path(&package).map(Path::to_path_buf).unwrap_or_default();
        for export in manifest.exports.iter().filter(|e| e.tag == name) {
            if let Some(v) = export.attribute(attrib) {
                run.line(format!("{package} {}", v.replace("${prefix}", &dir.to_string_lossy())));
            }
        }
    }
}

/// cflags-only-I and friends: rosbuild exports of `cpp cflags/lflags` (pkg-config for package.xml
/// packages), tokenised and filtered as rospack does.
fn flags(run: &mut Run, inv: &Invocation, command: &str, rp: &RosPack, name: &str) {
    let cflags = command.starts_with("cflags");
    let is_wet = rp.get(name).is_some_and(|i| i.kind == ManifestKind::PackageXml);
    let tokens: Vec<String> = if is_wet {
        let mut pc = std::process::Command::new("pkg-config");
        pc.arg(format!("--{command}")).arg(name);
        match pc.output() {
            Ok(o) if o.status.success() => {
                String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_owned).collect()
            }
            Ok(o) => {
                let _ = std::io::stderr().write_all(&o.stderr);
                run.error(&format!(
                    "python function 'rosdep2.rospack.call_pkg_config' could not call 'pkg-config --{command} {name}' without errors"
                ));
                return;
            }
            Err(e) => {
                run.error(&format!("could not run pkg-config: {e}"));
                return;
            }
        }
    } else {
        let attrib = if cflags { "cflags" } else { "lflags" };
        let Some(values) = evaluated_exports(run, rp, name, "cpp", attrib, inv.deps_only, false)
        else {
            return;
        };
        values.iter().flat_map(|v| v.split_whitespace().map(str::to_owned)).collect()
    };
    let mut picked: Vec<String> = Vec::new();
    for token in &tokens {
        let item = match command {
            "cflags-only-I" => token.strip_prefix("-I").map(str::to_owned),
            "cflags-only-other" => (!token.starts_with("-I")).then(|| token.clone()),
            "libs-only-L" => token.strip_prefix("-L").map(str::to_owned),
            "libs-only-l" => token
                .strip_prefix("-l")
                .map(str::to_owned)
                .or_else(|| is_archive(token).then(|| token.clone())),
            _ => (!(token.starts_with("-l") || token.starts_with("-L") || is_archive(token)))
                .then(|| token.clone()),
        };
        if let Some(item) = item {
            picked.push(item);
        }
    }
    // Deduplicate: first occurrence wins, except -l where the last one does (link order).
    let deduped = if command == "libs-only-l" {
        let mut seen = BTreeSet::new();
        let mut rev: Vec<String> =
            picked.into_iter().rev().filter(|t| seen.insert(t.clone())).collect();
        rev.reverse();
        rev
    } else {
        let mut seen = BTreeSet::new();
        picked.into_iter().filter(|t| seen.insert(t.clone())).collect()
    };
    run.line(deduped.join(" "));
}

/// A static library given by path (`/usr/lib/libfoo.a`), which rospack counts as a `-l` flag.
fn is_archive(token: &str) -> bool {
    token.starts_with('/') && token.ends_with(".a")
}

fn stack_command(run: &mut Run, inv: &Invocation, command: &str, rs: &RosStack, name: &str) {
    match command {
        "contains" | "contains-path" => {
            // `name` is a package here: find the stack holding it.
            for stack in rs.list() {
                if rs.packages_of(&stack.name).is_ok_and(|p| p.iter().any(|p| p == name)) {
                    let shown =
                        if command == "contains" { stack.name.as_bytes() } else { raw(&stack.dir) };
                    run.line(shown);
                    return;
                }
            }
            run.error(&format!("stack containing package {name} not found"));
            return;
        }
        "contents" if rs.get(name).is_none() => {
            // rospack's wording; rospack exits 0 here (docs/rospack-differences.md, D4).
            run.error(&format!("stack {name} not found"));
            return;
        }
        _ => {}
    }
    if let Err(e) = rs.require(name) {
        query_error(run, command, &e);
        return;
    }
    match command {
        "find" => {
            if let Ok(dir) = rs.get_path(name) {
                run.line(raw(dir));
            }
        }
        "contents" => match rs.packages_of(name) {
            Ok(packages) => packages.iter().for_each(|p| run.line(p)),
            Err(e) => query_error(run, command, &e),
        },
        "depends" | "depends-manifests" => {
            let Some(names) = closure(run, command, rs, name) else { return };
            if command == "depends" {
                names.iter().for_each(|n| run.line(n));
            } else {
                let paths: Vec<PathBuf> =
                    names.iter().filter_map(|n| rs.get(n)).map(Item::manifest_path).collect();
                run.line(join_paths(&paths));
            }
        }
        "depends1" => {
            if let Ok(deps) = rs.depends1(name) {
                deps.iter().for_each(|d| run.line(d));
            }
        }
        "depends-indent" => depends_indent(run, command, rs, name),
        "depends-why" => depends_why(run, inv, command, rs, name),
        "depends-on" | "depends-on1" => {
            if let Ok(names) = rs.depends_on(name, command == "depends-on") {
                names.iter().for_each(|n| run.line(n));
            }
        }
        _ => run.error(&format!("command {command} not implemented")),
    }
}

fn usage(tool: Tool) -> &'static str {
    match tool {
        Tool::Rospack => include_str!("compat/rospack_usage.txt"),
        Tool::Rosstack => include_str!("compat/rosstack_usage.txt"),
    }
}

/// `help [command]`: rospack's texts (rosstack prints rospack's too, program name included).
fn help(tool: Tool, topic: Option<&str>) -> String {
    let Some(topic) = topic else { return usage(tool).to_owned() };
    let wanted = canonical(topic);
    let text = include_str!("compat/help.txt")
        .split("=== ")
        .filter_map(|section| section.split_once('\n'))
        .find(|(command, _)| *command == wanted)
        .map(|(_, body)| body);
    match text {
        Some(body) => body.replacen(
            &format!("Usage: rospack {wanted}"),
            &format!("Usage: rospack {topic}"),
            1,
        ),
        None => format!("Usage: rospack {topic}\n"),
    }
}
