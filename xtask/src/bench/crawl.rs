//! `cargo xtask bench crawl`: crawl and dependency queries on synthetic trees,
//! C++ rospack vs Python rospkg vs `rosdeb rospack`, measured side by side in one run.
//!
//! Every operation is run by each tool as a whole process; outputs are cross-checked (same line
//! sets, counts as `meta.json` predicts) and disagreements become warning rows in the report.
//! rosdeb is measured twice: as users run it (warm queries answered by its index daemon, started
//! once and waited for outside the timed runs) and with `ROSDEB_DAEMON=0` (the index cache
//! validated by stat in every process). Cold runs have neither cache nor daemon.

mod floor;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::{
    Invocation, Plan, RosHome, Timing, bench_dir, deb_version, fmt_count, fmt_duration, fmt_kib,
    fmt_ratio, machine_header, measure_with_stdout, probe, timer_header,
};
use crate::gen_tree::{self, Meta, Params};

const ROSPACK: &str = "/usr/bin/rospack";
const PYTHON: &str = "/usr/bin/python3";
/// From this many packages on, the peers' slow queries (see [`is_slow`]) run only once.
const SLOW_SIZE: usize = 5000;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Tree sizes in packages, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    sizes: Vec<usize>,
    /// Timed runs per operation and tool (fewer when they would exceed --budget).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Seconds one tool may spend on one operation; slower operations get fewer runs (at least 1).
    #[arg(long, default_value_t = 30.0)]
    budget: f64,
    /// Skip the peers' slowest queries: rospack `depends-on`, rospkg `get_depends_on`.
    #[arg(long)]
    skip_slow: bool,
    /// Tools to measure, comma-separated (leave out rosdeb while it does not build).
    #[arg(long, value_delimiter = ',', default_value = "rospack,rospkg,rosdeb,rosdeb-no-daemon")]
    tools: Vec<Tool>,
    /// Seed of the generated trees.
    ///
    /// The default gives trees with a typical number of dependency paths (the cost of rospack's `depends-on`): Σ 6.8 M at 1k and 3.5 G at 10k packages, close
    /// to the trees of earlier measurements of rospack and rospkg (16.4 M and 3.93 G);
    /// seed 1's 10k tree is a low outlier (0.36 G).
    #[arg(long, default_value_t = 4)]
    seed: u64,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
enum Tool {
    Rospack,
    Rospkg,
    /// `rosdeb rospack` as users run it: warm queries answered by the index daemon.
    Rosdeb,
    /// `rosdeb rospack` with `ROSDEB_DAEMON=0`: every process validates the cache by stat.
    RosdebNoDaemon,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Rospack => "rospack",
            Tool::Rospkg => "rospkg",
            Tool::Rosdeb => "rosdeb",
            Tool::RosdebNoDaemon => "rosdeb, no daemon",
        }
    }

    fn is_ours(self) -> bool {
        matches!(self, Tool::Rosdeb | Tool::RosdebNoDaemon)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListCold,
    ListWarm,
    Find,
    Depends,
    DependsOn,
    DependsOn1,
}

const OPS: [Op; 6] =
    [Op::ListCold, Op::ListWarm, Op::Find, Op::Depends, Op::DependsOn, Op::DependsOn1];

impl Op {
    fn label(self, meta: &Meta) -> String {
        match self {
            Op::ListCold => "`list`, cold".to_owned(),
            Op::ListWarm => "`list`, warm".to_owned(),
            Op::Find => format!("`find {}`", meta.middle),
            Op::Depends => format!("`depends {}`", meta.deep),
            Op::DependsOn => format!("`depends-on {}`", meta.root),
            Op::DependsOn1 => format!("`depends-on1 {}`", meta.root),
        }
    }

    /// The rospack-style command line (for rospack and `rosdeb rospack`).
    fn rospack_args(self, meta: &Meta) -> Vec<&str> {
        match self {
            Op::ListCold | Op::ListWarm => vec!["list"],
            Op::Find => vec!["find", &meta.middle],
            Op::Depends => vec!["depends", &meta.deep],
            Op::DependsOn => vec!["depends-on", &meta.root],
            Op::DependsOn1 => vec!["depends-on1", &meta.root],
        }
    }

    /// The Python rospkg equivalent, if the row has one.
    fn rospkg_script(self, meta: &Meta) -> Option<String> {
        let body = match self {
            Op::ListCold => "print('\\n'.join(r.list()))".to_owned(),
            Op::Find => format!("print(r.get_path('{}'))", meta.middle),
            Op::Depends => format!("print('\\n'.join(r.get_depends('{}')))", meta.deep),
            Op::DependsOn => format!("print('\\n'.join(r.get_depends_on('{}')))", meta.root),
            // rospkg has no cache (a "warm" list is the same work), and depends-on1 is not in the plan.
            Op::ListWarm | Op::DependsOn1 => return None,
        };
        Some(format!("import rospkg; r = rospkg.RosPack(); {body}"))
    }

    /// The rospkg call shown in the report.
    fn rospkg_call(self) -> &'static str {
        match self {
            Op::ListCold => "list()",
            Op::Find => "get_path",
            Op::Depends => "get_depends",
            Op::DependsOn => "get_depends_on",
            Op::ListWarm | Op::DependsOn1 => "",
        }
    }

    fn uses_cache(self) -> bool {
        matches!(self, Op::ListWarm | Op::Find | Op::Depends)
    }

    /// Number of output lines a correct tool prints, from `meta.json` (`list` is checked apart).
    fn expected_lines(self, meta: &Meta) -> Option<usize> {
        match self {
            Op::Depends => Some(meta.deep_closure),
            Op::DependsOn => Some(meta.root_dependents),
            Op::DependsOn1 => Some(meta.root_direct_dependents),
            Op::ListCold | Op::ListWarm | Op::Find => None,
        }
    }
}

/// What one tool did for one operation.
enum Outcome {
    NotApplicable,
    Skipped,
    Failed(String),
    Done { timing: Timing, stdout: String },
}

impl Outcome {
    fn timing(&self) -> Option<&Timing> {
        match self {
            Outcome::Done { timing, .. } => Some(timing),
            _ => None,
        }
    }

    fn stdout(&self) -> Option<&str> {
        match self {
            Outcome::Done { stdout, .. } => Some(stdout),
            _ => None,
        }
    }
}

struct Row {
    label: String,
    outcomes: Vec<(Tool, Outcome)>,
    rss: Option<Result<u64, String>>,
    agreement: String,
    issues: Vec<String>,
}

impl Row {
    fn outcome(&self, tool: Tool) -> Option<&Outcome> {
        self.outcomes.iter().find(|(t, _)| *t == tool).map(|(_, o)| o)
    }
}

/// Everything needed to run the operations on one tree.
struct Setup<'a> {
    args: &'a Args,
    meta: Meta,
    home: RosHome,
    env: Vec<(String, std::ffi::OsString)>,
    rosdeb: Option<&'a Path>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let mut tools = args.tools.clone();
    tools.sort_unstable();
    tools.dedup();
    if args.sizes.is_empty() || tools.is_empty() || args.runs == 0 {
        bail!("nothing to measure: give --sizes, --tools and --runs > 0");
    }
    check_peers(&tools)?;
    let rosdeb = if tools.iter().any(|t| t.is_ours()) {
        Some(
            crate::build_rosdeb_release()
                .context("hint: measure the peers alone with `--tools rospack,rospkg`")?,
        )
    } else {
        None
    };

    let mut report = String::from("# Benchmark: crawl and dependency queries\n\n");
    report.push_str(&machine_header());
    report.push_str(&timer_header()?);
    report.push_str(&tools_header(&tools, rosdeb.as_deref()));
    report.push_str(&method_header(args));

    for &size in &args.sizes {
        let params = Params { seed: args.seed, ..Params::with_packages(size) };
        let name = format!("t{size}-s{}", args.seed);
        let tree = bench_dir().join(&name);
        let meta = gen_tree::ensure_tree(&tree, &params)?;
        let home = RosHome::prepare(&bench_dir().join(format!("home-{name}")))?;
        let env = home.env(&tree.join("ws"));
        let setup = Setup { args, meta, home, env, rosdeb: rosdeb.as_deref() };
        let rows = run_tree(&setup, &tools)?;
        report.push_str(&section(&setup, &tree, &tools, &rows));
        report.push_str(&floor_note(&tree, args.runs, &rows)?);
        if let Some(rosdeb) = &rosdeb {
            report.push_str(&daemon_note(&setup, rosdeb)?);
            daemon(&setup, rosdeb, &["stop"])?;
        }
    }

    println!("{report}");
    if let Some(out) = &args.out {
        fs_err::write(out, &report)?;
        eprintln!("wrote `{}`", out.display());
    }
    Ok(())
}

/// The system-call floor of a cold crawl of `tree` ([`floor`]), against rospack's cold `list`.
fn floor_note(tree: &Path, runs: usize, rows: &[Row]) -> anyhow::Result<String> {
    let roots = floor::roots(&tree.join("ws"));
    floor::walk(&roots, 2)?; // the page cache, as for the tools' cold runs
    let mut times = Vec::new();
    let mut manifests = 0;
    for _ in 0..runs.max(1) {
        let (time, n) = floor::walk(&roots, 2)?;
        times.push(time);
        manifests = n;
    }
    let timing = Timing::from_runs(times, runs);
    eprintln!("cold crawl floor: median {}", fmt_duration(timing.median()));
    let rospack = rows
        .iter()
        .zip(OPS)
        .find(|(_, op)| *op == Op::ListCold)
        .and_then(|(row, _)| row.outcome(Tool::Rospack))
        .and_then(Outcome::timing)
        .map(|t| {
            format!(
                "; a cold `list` 10× faster than rospack's would take {}",
                fmt_duration(t.median() / 10)
            )
        })
        .unwrap_or_default();
    Ok(format!(
        "
System-call floor of a cold crawl of this tree (open, `fstat` and list every directory, open, `fstat` \
         and read every manifest — {} of them — by 2 threads; nothing parsed, cached or printed): {}{rospack}.\n",
        fmt_count(manifests as u64),
        timing.cell(),
    ))
}

/// `rosdeb daemon ARGS...` for the tree; its stdout.
fn daemon(setup: &Setup<'_>, rosdeb: &Path, args: &[&str]) -> anyhow::Result<String> {
    let mut all = vec!["daemon"];
    all.extend(args);
    Invocation::new(rosdeb, &all, &setup.env).stdout()
}

/// The daemon's size after the runs: watches, packages, peak RSS (`VmHWM`).
fn daemon_note(setup: &Setup<'_>, rosdeb: &Path) -> anyhow::Result<String> {
    let status: serde_json::Value =
        serde_json::from_str(&daemon(setup, rosdeb, &["status", "--json"])?)?;
    let Some(pid) = status["pid"].as_u64() else {
        return Ok("
The rosdeb index daemon was not running after the runs.
"
        .to_owned());
    };
    let hwm = fs_err::read_to_string(format!("/proc/{pid}/status"))?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches(" kB").to_owned()))
        .and_then(|v| v.parse::<u64>().ok());
    Ok(format!(
        "
rosdeb's index daemon for this tree after the runs: {} packages, {} inotify watches, {} queries served, {} validation(s), peak RSS {}.\n",
        fmt_count(status["packages"].as_u64().unwrap_or(0)),
        fmt_count(status["watches"].as_u64().unwrap_or(0)),
        fmt_count(status["served"].as_u64().unwrap_or(0)),
        status["revalidations"].as_u64().unwrap_or(0),
        hwm.map_or_else(|| "unknown".to_owned(), fmt_kib),
    ))
}

fn check_peers(tools: &[Tool]) -> anyhow::Result<()> {
    if tools.contains(&Tool::Rospack) && !Path::new(ROSPACK).exists() {
        bail!("`{ROSPACK}` is missing (Debian package `rospack-tools`; `.ci/run` installs it)");
    }
    if tools.contains(&Tool::Rospkg)
        && probe(PYTHON, &["-c", "import rospkg, catkin_pkg, rosdep2"]).is_none()
    {
        bail!(
            "`{PYTHON}` cannot import rospkg, catkin_pkg and rosdep2 (Debian packages python3-rospkg, ...)"
        );
    }
    Ok(())
}

fn run_tree(setup: &Setup<'_>, tools: &[Tool]) -> anyhow::Result<Vec<Row>> {
    let meta = &setup.meta;
    let mut rows = Vec::new();
    for op in OPS {
        let label = op.label(meta);
        let mut outcomes = Vec::new();
        for &tool in tools {
            let outcome = match invocation(setup, tool, op) {
                None => Outcome::NotApplicable,
                Some(_) if setup.args.skip_slow && is_slow(tool, op) => Outcome::Skipped,
                Some((invocation, plan)) => {
                    eprint!("[{}] {label} · {}: ", fmt_count(meta.packages as u64), tool.name());
                    match measure_with_stdout(&invocation, plan) {
                        Ok((timing, stdout)) => {
                            eprintln!(
                                "{} run(s), median {}",
                                timing.runs.len(),
                                fmt_duration(timing.median())
                            );
                            Outcome::Done { timing, stdout }
                        }
                        Err(err) => {
                            eprintln!("failed");
                            eprintln!("warning: {err:#}");
                            Outcome::Failed(format!("{err:#}"))
                        }
                    }
                }
            };
            outcomes.push((tool, outcome));
        }
        let ours = tools.iter().copied().find(|t| t.is_ours());
        let rss = ours
            .and_then(|tool| invocation(setup, tool, op))
            .map(|(invocation, _)| invocation.peak_rss_kib().map_err(|err| format!("{err:#}")));
        let mut row = Row { label, outcomes, rss, agreement: String::new(), issues: Vec::new() };
        check_outputs(op, meta, &mut row);
        for issue in &row.issues {
            eprintln!("warning: {}: {issue}", row.label);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The peers' whole-graph reverse queries (minutes for rospack on 10k packages, rospkg tens of seconds).
fn is_slow(tool: Tool, op: Op) -> bool {
    matches!((tool, op), (Tool::Rospack | Tool::Rospkg, Op::DependsOn))
}

fn invocation(setup: &Setup<'_>, tool: Tool, op: Op) -> Option<(Invocation, Plan)> {
    let meta = &setup.meta;
    // A whole-graph query of a peer takes minutes on big trees: once is enough there.
    let once = is_slow(tool, op) && meta.packages >= SLOW_SIZE;
    let plan = Plan {
        max_runs: if once { 1 } else { setup.args.runs },
        budget: Duration::from_secs_f64(setup.args.budget.max(0.0)),
        warmup: op.uses_cache() && tool != Tool::Rospkg,
    };
    let ros_home = &setup.home.path;
    let invocation = match tool {
        Tool::Rospack => Invocation::new(ROSPACK, &op.rospack_args(meta), &setup.env),
        // A cold run has no daemon either way: one column says it.
        Tool::RosdebNoDaemon if op == Op::ListCold => return None,
        Tool::Rosdeb | Tool::RosdebNoDaemon => {
            let mut args = vec!["rospack"];
            args.extend(op.rospack_args(meta));
            Invocation::new(setup.rosdeb?, &args, &setup.env)
        }
        Tool::Rospkg => Invocation::new(PYTHON, &["-c", &op.rospkg_script(meta)?], &setup.env),
    };
    let rosdeb = setup.rosdeb.map(|p| p.to_string_lossy().into_owned());
    let invocation = match (op, tool) {
        (Op::ListCold, Tool::Rospack) => {
            let home = ros_home.to_string_lossy();
            invocation.prepare(&[&[
                "/usr/bin/find",
                &home,
                "-mindepth",
                "1",
                "-maxdepth",
                "1",
                "-type",
                "f",
                "-name",
                "rospack_cache_*",
                "-delete",
            ]])
        }
        (Op::ListCold, _) => {
            // `rosdeb daemon stop` acts whatever ROSDEB_DAEMON says.
            let cache = ros_home.join("rosdeb").to_string_lossy().into_owned();
            invocation.env("ROSDEB_DAEMON", "0").prepare(&[
                &[rosdeb.as_deref()?, "daemon", "stop"],
                &["/bin/rm", "-rf", "--", &cache],
            ])
        }
        (_, Tool::Rosdeb) => {
            // The daemon is opt-in: started here before the first timed run, waited for after.
            invocation.prepare(&[&[rosdeb.as_deref()?, "daemon", "start"]])
        }
        (_, Tool::RosdebNoDaemon) => invocation.env("ROSDEB_DAEMON", "0"),
        // Warm: the 60 s expiry of rospack's cache must not turn a warm run cold.
        _ => invocation.env("ROS_CACHE_TIMEOUT", "-1"),
    };
    Some((invocation, plan))
}

fn lines(stdout: &str) -> BTreeSet<&str> {
    stdout.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// `names` without Debian's own ROS packages (`/usr/share/<name>/package.xml`).
fn generated(names: BTreeSet<&str>) -> BTreeSet<&str> {
    static DEBIAN: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    let debian = DEBIAN.get_or_init(|| {
        fs_err::read_dir("/usr/share")
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.path().join("package.xml").is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    });
    names.into_iter().filter(|n| !debian.contains(*n)).collect()
}

/// First words of the lines (`rospack list` prints `name path`, rospkg's `list()` only names).
fn names(stdout: &str) -> BTreeSet<&str> {
    stdout.lines().filter_map(|l| l.split_whitespace().next()).collect()
}

/// `3 lines only in rospack (e.g. `a`), 1 only in rosdeb (e.g. `b`)`, or `None` when equal.
fn diff(a_name: &str, a: &BTreeSet<&str>, b_name: &str, b: &BTreeSet<&str>) -> Option<String> {
    if a == b {
        return None;
    }
    let only_a: Vec<&&str> = a.difference(b).collect();
    let only_b: Vec<&&str> = b.difference(a).collect();
    let example = |v: &[&&str]| v.first().map(|s| format!(" (e.g. `{s}`)")).unwrap_or_default();
    Some(format!(
        "{a_name} and {b_name} disagree: {} lines only in {a_name}{}, {} only in {b_name}{}",
        only_a.len(),
        example(&only_a),
        only_b.len(),
        example(&only_b)
    ))
}

/// Cross-checks the outputs of one row: tools against each other and against `meta.json`.
fn check_outputs(op: Op, meta: &Meta, row: &mut Row) {
    let mut issues = Vec::new();
    for (tool, outcome) in &row.outcomes {
        if let Outcome::Failed(err) = outcome {
            issues.push(format!("{} failed: {err}", tool.name()));
        }
    }
    let stdout = |tool| row.outcome(tool).and_then(Outcome::stdout);
    let (rospack, rospkg, rosdeb, rosdeb_local) = (
        stdout(Tool::Rospack),
        stdout(Tool::Rospkg),
        stdout(Tool::Rosdeb),
        stdout(Tool::RosdebNoDaemon),
    );

    // Tools against each other: rosdeb must print exactly rospack's lines; rospkg is compared on
    // names where it prints less (list).
    let is_list = matches!(op, Op::ListCold | Op::ListWarm);
    let pairs = [
        (("rospack", rospack), ("rosdeb", rosdeb), true),
        (("rospack", rospack), ("rosdeb, no daemon", rosdeb_local), true),
        (("rosdeb", rosdeb), ("rosdeb, no daemon", rosdeb_local), true),
        (("rospack", rospack), ("rospkg", rospkg), !is_list),
        (("rospkg", if rospack.is_none() { rospkg } else { None }), ("rosdeb", rosdeb), !is_list),
    ];
    for ((a_name, a), (b_name, b), full) in pairs {
        if let (Some(a), Some(b)) = (a, b) {
            let (a, b) = if full {
                (lines(a), lines(b))
            } else {
                // rospkg's build + run semantics also reach Debian's own packages in /usr/share
                // (catkin, as a buildtool dependency): compare the generated tree only.
                (generated(names(a)), generated(names(b)))
            };
            issues.extend(diff(a_name, &a, b_name, &b));
        }
    }

    // Each tool against what the generator predicts.
    let mut counts = BTreeSet::new();
    for (tool, outcome) in &row.outcomes {
        let Some(out) = outcome.stdout() else { continue };
        let found = lines(out);
        match op {
            Op::ListCold | Op::ListWarm => {
                let names = names(out);
                let generated = names.iter().filter(|n| n.starts_with("pkg_")).count();
                if generated != meta.packages {
                    issues.push(format!(
                        "{} lists {generated} generated packages, expected {}",
                        tool.name(),
                        meta.packages
                    ));
                }
                if let Some(meta_pkg) = names.iter().find(|n| n.starts_with("meta_")) {
                    issues.push(format!("{} lists the metapackage `{meta_pkg}`", tool.name()));
                }
                if out.contains("/shadow/") {
                    issues.push(format!(
                        "{} lists a shadow package (below `ws/shadow/`)",
                        tool.name()
                    ));
                }
            }
            Op::Find => {
                let path = out.trim();
                if !path.ends_with(&format!("/{}", meta.middle)) || path.contains("/shadow/") {
                    issues.push(format!("{} found `{path}`", tool.name()));
                }
            }
            Op::Depends | Op::DependsOn | Op::DependsOn1 => {
                let expected = op.expected_lines(meta).expect("dependency queries have a count");
                let printed = generated(found.clone()).len();
                if printed != expected {
                    issues.push(format!(
                        "{} printed {printed} generated packages, meta.json expects {expected}",
                        tool.name(),
                    ));
                }
            }
        }
        counts.insert(found.len());
    }
    let compared = row.outcomes.iter().filter(|(_, o)| o.stdout().is_some()).count();
    let line_count = || {
        let n = *counts.first().expect("one count");
        format!("{} line{}", fmt_count(n as u64), if n == 1 { "" } else { "s" })
    };
    row.agreement = match (issues.is_empty(), compared, counts.len()) {
        (false, ..) => "⚠ see below".to_owned(),
        (true, 0, _) => "—".to_owned(),
        (true, 1, _) => format!("checked ({})", line_count()),
        (true, _, 1) => format!("agree ({})", line_count()),
        (true, ..) => "agree".to_owned(),
    };
    row.issues = issues;
}

fn tools_header(tools: &[Tool], rosdeb: Option<&Path>) -> String {
    let mut s = String::new();
    for tool in tools {
        let _ = match tool {
            Tool::Rospack => writeln!(
                s,
                "- rospack: `{ROSPACK}` (Debian `rospack-tools` {})",
                deb_version("rospack-tools")
            ),
            Tool::Rospkg => writeln!(
                s,
                "- rospkg: `{PYTHON} -c` (Debian `python3-rospkg` {}, `python3-catkin-pkg` {}, `python3-rosdep2` {})",
                deb_version("python3-rospkg"),
                deb_version("python3-catkin-pkg"),
                deb_version("python3-rosdep2")
            ),
            Tool::RosdebNoDaemon => writeln!(
                s,
                "- rosdeb, no daemon: the same with `ROSDEB_DAEMON=0` (index cache validated by stat in each process)\n\
                 - what a user gets: the \"rosdeb, no daemon\" column by default; the \"rosdeb\" column after `rosdeb daemon start` (or its systemd user unit, or a query with `ROSDEB_DAEMON=1`), since the daemon is opt-in"
            ),
            Tool::Rosdeb => {
                let commit = probe(
                    "git",
                    &[
                        "-C",
                        &crate::project_root().to_string_lossy(),
                        "rev-parse",
                        "--short",
                        "HEAD",
                    ],
                )
                .unwrap_or_else(|| "no commit yet".to_owned());
                let dirty = probe(
                    "git",
                    &["-C", &crate::project_root().to_string_lossy(), "status", "--porcelain"],
                )
                .is_some_and(|s| !s.is_empty());
                let path = rosdeb.map(super::shown).unwrap_or_default();
                writeln!(
                    s,
                    "- rosdeb: `{path} rospack` (release build of {commit}{}); warm queries answered by its index daemon",
                    if dirty { " + uncommitted changes" } else { "" }
                )
            }
        };
    }
    s
}

fn method_header(args: &Args) -> String {
    format!(
        "- method: wall clock of whole processes timed by hyperfine, median (min) of {} runs per tool and \
         operation (fewer, as marked, when one tool would need more than {:.0} s by its first run); stdout of \
         one more, untimed run (after the same preparation) cross-checked. \
         Cold = cache removed before each run (hyperfine `--prepare`: `$ROS_HOME/rospack_cache_*`, \
         `$ROS_HOME/rosdeb`, rosdeb's daemon stopped and `ROSDEB_DAEMON=0`; the OS page cache stays warm). \
         Warm = after one untimed run (`--warmup 1`), with \
         `ROS_CACHE_TIMEOUT=-1`; for rosdeb, `rosdeb daemon start` (the daemon is opt-in; this starts it once and \
         returns at once when it already answers) runs before each timed run (`--prepare`), outside the timing. \
         `ROS_PACKAGE_PATH=<tree>/ws`; every tool appends Debian's `/usr/share` (`ROSDEB_USR_SHARE=1` for rosdeb). \
         rospkg runs `{PYTHON} -c 'import rospkg; ...'` (interpreter start and import included) with an offline \
         two-key rosdep cache in `$ROS_HOME` so that it sees wet dependencies; it has no cache, so it appears only \
         in the cold `list` row. Peak RSS by `/usr/bin/time -f %M` in one extra run.{}\n",
        args.runs,
        args.budget,
        if args.skip_slow {
            " `--skip-slow`: rospack `depends-on` and rospkg `get_depends_on` skipped."
        } else {
            ""
        }
    )
}

fn section(setup: &Setup<'_>, tree: &Path, tools: &[Tool], rows: &[Row]) -> String {
    let meta = &setup.meta;
    let mut s = format!("\n## {} packages\n\n", fmt_count(meta.packages as u64));
    let _ = writeln!(
        s,
        "Tree `{}` (seed {}): {} wet + {} dry packages in {} stacks, {} metapackage(s), {} edges, {} files; \
         deep package `{}` (closure {}, {} dependency paths; Σ {} paths over all packages), \
         root `{}` ({} dependents, {} direct), `find` target `{}`.\n",
        super::shown(tree),
        meta.params.seed,
        fmt_count(meta.wet as u64),
        fmt_count(meta.dry as u64),
        meta.stacks,
        meta.metapackages,
        fmt_count(meta.edges as u64),
        fmt_count(meta.files as u64),
        meta.deep,
        fmt_count(meta.deep_closure as u64),
        fmt_count(meta.deep_paths),
        fmt_count(meta.total_paths),
        meta.root,
        fmt_count(meta.root_dependents as u64),
        fmt_count(meta.root_direct_dependents as u64),
        meta.middle,
    );

    let ours: Vec<Tool> = tools.iter().copied().filter(|t| t.is_ours()).collect();
    let has_rosdeb = !ours.is_empty();
    let peers: Vec<Tool> = tools.iter().copied().filter(|t| !t.is_ours()).collect();
    let mut header = vec!["operation".to_owned()];
    header.extend(tools.iter().map(|t| format!("{} median (min)", t.name())));
    if has_rosdeb {
        for peer in &peers {
            header.extend(ours.iter().map(|o| format!("{} / {}", peer.name(), o.name())));
        }
        header.push(format!("{} peak RSS", ours[0].name()));
    }
    header.push("outputs".to_owned());
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let aligns: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 0 || i == header.len() - 1 { "---" } else { "---:" })
        .collect();
    let _ = writeln!(s, "| {} |", aligns.join(" | "));

    for (row, op) in rows.iter().zip(OPS) {
        let mut cells = vec![row.label.clone()];
        for &tool in tools {
            let cell = match row.outcome(tool) {
                Some(Outcome::Done { timing, .. }) => {
                    let call = if tool == Tool::Rospkg {
                        format!("`{}` ", op.rospkg_call())
                    } else {
                        String::new()
                    };
                    format!("{call}{}", timing.cell())
                }
                Some(Outcome::Skipped) => "skipped".to_owned(),
                Some(Outcome::Failed(_)) => "failed".to_owned(),
                Some(Outcome::NotApplicable) | None => "—".to_owned(),
            };
            cells.push(cell);
        }
        if has_rosdeb {
            for &peer in &peers {
                let theirs = row.outcome(peer).and_then(Outcome::timing);
                for &our in &ours {
                    // The cold row has one rosdeb column: both ratios use it.
                    let mine = row
                        .outcome(our)
                        .and_then(Outcome::timing)
                        .or_else(|| row.outcome(Tool::Rosdeb).and_then(Outcome::timing));
                    cells.push(match (theirs, mine) {
                        (Some(t), Some(o)) => fmt_ratio(t.median(), o.median()),
                        _ => "—".to_owned(),
                    });
                }
            }
            cells.push(match &row.rss {
                Some(Ok(kib)) => fmt_kib(*kib),
                Some(Err(_)) => "failed".to_owned(),
                None => "—".to_owned(),
            });
        }
        cells.push(row.agreement.clone());
        let _ = writeln!(s, "| {} |", cells.join(" | "));
        for issue in &row.issues {
            let mut warning = vec![format!("⚠ {}", row.label)];
            warning.extend(std::iter::repeat_n(String::new(), header.len() - 2));
            warning.push(issue.replace('|', "\\|"));
            let _ = writeln!(s, "| {} |", warning.join(" | "));
        }
    }
    if let Some(Err(err)) = rows.iter().find_map(|r| r.rss.as_ref().filter(|r| r.is_err())) {
        let _ = writeln!(s, "\nPeak RSS measurement failed: {err}");
    }
    s
}
