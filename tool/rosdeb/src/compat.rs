//! rospack's and rosstack's command lines, output and exit statuses (rospack 2.6.2 as Debian
//! ships it), answered from the rospkg library: the engine behind `rosdeb rospack` /
//! `rosdeb rosstack` and the index daemon.
//!
//! [`table`] lists every command once; [`args`] parses a command line; [`dispatch`] checks it
//! against the table and hands it to [`tree`] (whole-tree commands), [`packages`] (and
//! [`flags`]) or [`stacks`], which share [`query`]; [`output`] collects what a run prints;
//! [`help`] holds the usage texts. Nothing here talks to the daemon or the terminal's exit status.
//!
//! Differences on purpose (one broken manifest is a warning, not an abort; cycles never break
//! unrelated queries; errors always exit non-zero; rosstack lists stacks and metapackages only;
//! the package of the current directory is named by its package.xml `<name>`) are listed in
//! `docs/rospack-differences.md`.

mod args;
mod flags;
mod help;
mod output;
mod packages;
mod query;
mod stacks;
pub mod table;
mod tree;

use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rospkg::crawl::CrawlOptions;
use rospkg::environment::Environment;
use rospkg::index::{CacheOutcome, Index};
use rospkg::rospack::{Catalog, Flavor, RosPack, RosStack};

use crate::context::Context;
pub use args::Invocation;
use output::Run;
pub use table::Tool;
use table::{Command, Operand};

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

/// A run's whole result.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// What rospack prints on stdout.
    pub stdout: Vec<u8>,
    /// What it prints on stderr (empty when it was written as it came).
    pub stderr: Vec<u8>,
    /// Whether it exits non-zero.
    pub failed: bool,
}

/// Answers one command line for `caller` from `views`. With `capture`, stderr is collected into
/// the output (the daemon's side); without, it is written as it comes, as rospack does, so that
/// it interleaves with the output of backquoted export commands.
pub fn answer(
    tool: Tool,
    args: &[OsString],
    caller: &Caller<'_>,
    views: &Views,
    capture: bool,
) -> Output {
    let mut run = Run::new(tool, capture);
    run.quiet = args.iter().any(|a| a == "-q");
    match Invocation::parse(args) {
        Ok(inv) => {
            run.quiet = inv.quiet;
            dispatch(&mut run, &inv, caller, views);
        }
        Err(message) => run.error(&message),
    }
    Output { stdout: run.out, stderr: run.err.unwrap_or_default(), failed: run.failed }
}

/// Checks the command line against the table and runs the command.
fn dispatch(run: &mut Run, inv: &Invocation, caller: &Caller<'_>, views: &Views) {
    let tool = run.tool;
    if inv.short_help {
        run.out.extend_from_slice(help::usage(tool).as_bytes());
        return;
    }
    let command = match inv.command() {
        // rospack exits 0 here (also for `--help`); an invocation that does nothing is an error
        // for us (docs/rospack-differences.md, D2 and D3).
        None => {
            run.error(&format!("no command given.  Try '{} help'", tool.name()));
            return;
        }
        Some(Err(word)) => {
            run.error(&format!("command {word} not implemented"));
            return;
        }
        Some(Ok(command)) if command.options(tool).is_none() => {
            run.error(&format!("command {command} not implemented"));
            return;
        }
        Some(Ok(command)) => command,
    };
    if command == Command::Help {
        run.out.extend_from_slice(help::help(tool, inv.package.as_deref()).as_bytes());
        return;
    }
    // rospack checks what a command needs (package, --lang, ...) before unexpected options.
    let whole_tree = command.spec().operand == Operand::Tree;
    let package = if whole_tree {
        inv.package.clone()
    } else {
        inv.package.clone().or_else(|| package_of_cwd(tool, caller.cwd))
    };
    if let Some(message) = command.missing(tool, package.is_some(), |o| inv.has(o)) {
        run.error(message);
        return;
    }
    if inv.unexpected_option(tool, command) || (whole_tree && inv.package.is_some()) {
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
        tree::whole_tree(run, inv, command, catalog, caller, views.context(), started);
        return;
    };
    match tool {
        Tool::Rospack => packages::package_command(run, inv, command, views.rospack(), &name),
        Tool::Rosstack => stacks::stack_command(run, inv, command, views.rosstack(), &name),
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
