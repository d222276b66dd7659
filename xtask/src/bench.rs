//! `cargo xtask bench <suite>`: benchmarks of rosdeb against the tools it replaces.
//!
//! Each suite is a sibling module (`crawl`, `distro`, `release`, `bridge`). This file
//! holds what they share: timing whole processes with hyperfine ([`hyperfine`]; what must be
//! reset before each run is its `--prepare` command, the standard output a suite checks comes
//! from one more, untimed run), peak RSS, the machine header, the isolated `ROS_HOME` with an
//! offline rosdep cache, and Markdown formatting.

mod bridge;
mod crawl;
mod distro;
mod hyperfine;
mod release;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

use hyperfine::Hyperfine;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Bench {
    /// Crawl and dependency queries on synthetic trees: rospack vs rospkg vs rosdeb.
    Crawl(crawl::Args),
    /// Reading real distribution files: Python rosdistro vs rosdeb.
    Distro(distro::Args),
    /// Packaging: debian/ generation vs bloom-generate, .deb building vs dpkg-deb, apt publish.
    Release(release::Args),
    /// The pyros bridge: Python client through the bridge vs direct rospy (real roscore).
    Bridge(bridge::Args),
}

pub(crate) fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Crawl(args) => crawl::run(&args),
        Bench::Distro(args) => distro::run(&args),
        Bench::Release(args) => release::run(&args),
        Bench::Bridge(args) => bridge::run(&args),
    }
}

/// A path as a report shows it: relative to the repository when inside it (a report names no
/// folder of the machine it ran on).
fn shown(path: &Path) -> String {
    path.strip_prefix(crate::project_root()).unwrap_or(path).display().to_string()
}

/// Where benchmark trees and their `ROS_HOME`s live (never outside `target/`).
fn bench_dir() -> PathBuf {
    crate::target_dir().join("bench-trees")
}

/// One command to time: program, arguments, environment, working directory, and the command
/// hyperfine runs before each run (`--prepare`).
struct Invocation {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, OsString)>,
    /// The working directory (default: inherited).
    cwd: Option<PathBuf>,
    /// Runs before every execution, outside the timed section (e.g. removing a cache): the
    /// words of one command, run with the same environment and working directory.
    prepare: Option<Vec<String>>,
    /// Exit codes that count as success (default: 0 only).
    success: Vec<i32>,
}

impl Invocation {
    fn new(program: impl Into<PathBuf>, args: &[&str], env: &[(String, OsString)]) -> Invocation {
        Invocation {
            program: program.into(),
            args: args.iter().map(|&a| a.to_owned()).collect(),
            env: env.to_vec(),
            cwd: None,
            prepare: None,
            success: vec![0],
        }
    }

    fn env(mut self, key: &str, value: impl Into<OsString>) -> Invocation {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.into()));
        self
    }

    fn current_dir(mut self, dir: impl Into<PathBuf>) -> Invocation {
        self.cwd = Some(dir.into());
        self
    }

    /// Runs `steps` (each the words of one command) in order before each execution, outside
    /// the timing; several steps run as one `/bin/sh -c 'A && B'`.
    fn prepare(mut self, steps: &[&[&str]]) -> Invocation {
        let words = |step: &[&str]| step.iter().map(|&w| w.to_owned()).collect::<Vec<_>>();
        self.prepare = match steps {
            [] => None,
            [step] => Some(words(step)),
            _ => {
                let script: Vec<String> =
                    steps.iter().map(|step| hyperfine::command_line(step)).collect();
                Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), script.join(" && ")])
            }
        };
        self
    }

    /// Before each execution, removes `paths` (`rm -rf`).
    fn removing(self, paths: &[&Path]) -> Invocation {
        let paths: Vec<String> = paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        let mut step = vec!["/bin/rm", "-rf", "--"];
        step.extend(paths.iter().map(String::as_str));
        self.prepare(&[&step])
    }

    /// Exit codes besides 0 that count as success (e.g. `rosdeb resolve`'s 1 for keys without
    /// a rule).
    fn also_succeeds_with(mut self, codes: &[i32]) -> Invocation {
        self.success.extend(codes);
        self
    }

    /// The program and its arguments as words.
    fn words(&self) -> Vec<String> {
        let mut words = vec![self.program.to_string_lossy().into_owned()];
        words.extend(self.args.iter().cloned());
        words
    }

    /// The command line as a user would type it (environment not included).
    fn display(&self) -> String {
        hyperfine::command_line(&self.words())
    }

    /// `program args...` with this invocation's clean ROS environment: every inherited `ROS*`
    /// variable is removed before ours are set; our working directory; no stdin.
    fn command(
        &self,
        program: impl AsRef<std::ffi::OsStr>,
        args: &[impl AsRef<std::ffi::OsStr>],
    ) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ROS") {
                cmd.env_remove(&key);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs the prepare command, if any, as hyperfine would.
    fn run_prepare(&self) -> anyhow::Result<()> {
        let Some(words) = &self.prepare else { return Ok(()) };
        let output = self
            .command(&words[0], &words[1..])
            .output()
            .with_context(|| format!("running `{}`", hyperfine::command_line(words)))?;
        if !output.status.success() {
            bail!(
                "`{}` (run before `{}`) exited with {}: {}",
                hyperfine::command_line(words),
                self.display(),
                output.status,
                tail(&output.stderr)
            );
        }
        Ok(())
    }

    /// One untimed run (after the prepare command); its standard output.
    fn stdout(&self) -> anyhow::Result<String> {
        self.run_prepare()?;
        let output = self
            .command(&self.program, &self.args)
            .output()
            .with_context(|| format!("running `{}`", self.display()))?;
        if !output.status.code().is_some_and(|c| self.success.contains(&c)) {
            bail!("`{}` exited with {}: {}", self.display(), output.status, tail(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Peak resident set size in KiB of one run, measured by `/usr/bin/time -f %M`.
    fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            bail!("`/usr/bin/time` is missing (Debian package `time`)");
        }
        self.run_prepare()?;
        let report = tempfile_path("rss")?;
        let mut args: Vec<OsString> = ["-f", "%M", "-o"].map(OsString::from).to_vec();
        args.push(report.clone().into());
        args.push(self.program.clone().into());
        args.extend(self.args.iter().map(OsString::from));
        let output = self
            .command(time, &args)
            .output()
            .with_context(|| format!("running `{}` under /usr/bin/time", self.display()))?;
        let text = fs_err::read_to_string(&report)?;
        fs_err::remove_file(&report)?;
        if !output.status.code().is_some_and(|c| self.success.contains(&c)) {
            bail!("`{}` exited with {} under /usr/bin/time", self.display(), output.status);
        }
        let kib = text.lines().last().unwrap_or_default().trim();
        kib.parse().with_context(|| format!("parsing /usr/bin/time output `{kib}`"))
    }
}

/// The last lines of a command's standard error, on one line.
fn tail(stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let tail: Vec<&str> =
        stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
    tail.join(" / ")
}

/// A fresh path in the bench directory for a short-lived file.
fn tempfile_path(stem: &str) -> anyhow::Result<PathBuf> {
    let dir = bench_dir();
    fs_err::create_dir_all(&dir)?;
    Ok(dir.join(format!(".{stem}-{}.tmp", std::process::id())))
}

/// How many times to run one command (hyperfine's `--warmup`, `--min-runs`, `--max-runs` and
/// `--min-benchmarking-time`).
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// At most this many timed runs.
    max_runs: usize,
    /// Fewer runs when they would take longer than this in total (at least one run): hyperfine
    /// runs once, then as many times as fit in the budget by that first run (its prepare
    /// command included), at most `max_runs` in all.
    budget: Duration,
    /// One untimed run first (fills the tool's cache).
    warmup: bool,
}

/// Timed runs of one command.
#[derive(Debug, Clone)]
struct Timing {
    /// Wall times, sorted.
    runs: Vec<Duration>,
    median: Duration,
    min: Duration,
    max_runs: usize,
}

impl Timing {
    /// From wall times measured in-process (at least one).
    fn from_runs(mut runs: Vec<Duration>, max_runs: usize) -> Timing {
        runs.sort_unstable();
        let n = runs.len();
        let median = if n % 2 == 1 { runs[n / 2] } else { (runs[n / 2 - 1] + runs[n / 2]) / 2 };
        Timing { min: runs[0], median, runs, max_runs }
    }

    fn median(&self) -> Duration {
        self.median
    }

    fn min(&self) -> Duration {
        self.min
    }

    /// `96.1 ms (min 90.2 ms)`, `1.15 s (min 1.10 s, 3 runs)`, `135 s (1 run)`.
    fn cell(&self) -> String {
        let n = self.runs.len();
        if n == 1 {
            return format!("{} (1 run)", fmt_duration(self.median()));
        }
        let runs = if n < self.max_runs { format!(", {n} runs") } else { String::new() };
        format!("{} (min {}{runs})", fmt_duration(self.median()), fmt_duration(self.min()))
    }
}

/// Times `invocation` according to `plan` with hyperfine (`--shell=none`, stdout through a
/// pipe and discarded, as a caller reading it would); the runs come from its `--export-json`
/// file.
fn measure(invocation: &Invocation, plan: Plan) -> anyhow::Result<Timing> {
    let hyperfine = Hyperfine::get()?;
    let export = tempfile::Builder::new()
        .prefix(".hyperfine-")
        .suffix(".json")
        .tempfile_in({
            let dir = bench_dir();
            fs_err::create_dir_all(&dir)?;
            dir
        })
        .context("creating hyperfine's export file")?;
    let max_runs = plan.max_runs.max(1).to_string();
    let budget = format!("{:.6}", plan.budget.as_secs_f64());
    let mut args: Vec<OsString> = vec![
        "--style=none".into(),
        "--shell=none".into(),
        "--output=pipe".into(),
        "--export-json".into(),
        export.path().into(),
        "--min-runs=1".into(),
        format!("--max-runs={max_runs}").into(),
        // Hidden in hyperfine's --help (1.15 to 1.20 at least), but what sets its budget.
        format!("--min-benchmarking-time={budget}").into(),
    ];
    if plan.warmup {
        args.push("--warmup=1".into());
    }
    if let Some(words) = &invocation.prepare {
        args.push("--prepare".into());
        args.push(hyperfine::command_line(words).into());
    }
    if invocation.success != [0] {
        args.push("--ignore-failure".into());
    }
    args.push("--".into());
    args.push(invocation.display().into());
    let output = invocation
        .command(&hyperfine.path, &args)
        .output()
        .with_context(|| format!("running hyperfine on `{}`", invocation.display()))?;
    if !output.status.success() {
        bail!(
            "hyperfine on `{}` exited with {}: {}",
            invocation.display(),
            output.status,
            tail(&output.stderr)
        );
    }
    let runs = hyperfine::Runs::parse(&fs_err::read_to_string(export.path())?)?;
    if let Some(code) =
        runs.exit_codes().iter().find(|c| !c.is_some_and(|c| invocation.success.contains(&c)))
    {
        bail!(
            "`{}` exited with {} in a timed run",
            invocation.display(),
            code.map_or_else(|| "a signal".to_owned(), |c| format!("exit status {c}"))
        );
    }
    let mut times = runs.times();
    times.sort_unstable();
    Ok(Timing { runs: times, median: runs.median(), min: runs.min(), max_runs: plan.max_runs })
}

/// [`measure`], after one untimed run whose standard output is returned (so a failing command
/// is reported with its standard error before anything is timed).
fn measure_with_stdout(invocation: &Invocation, plan: Plan) -> anyhow::Result<(Timing, String)> {
    let stdout = invocation.stdout()?;
    Ok((measure(invocation, plan)?, stdout))
}

/// The header line naming the timer.
fn timer_header() -> anyhow::Result<String> {
    let hyperfine = Hyperfine::get()?;
    Ok(format!(
        "- timer: hyperfine {} (`--shell=none --output=pipe --export-json`: no shell, stdout \
         through a pipe; its wall-clock `times`, `median` and `min`)\n",
        hyperfine.version
    ))
}

fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 0.01 {
        format!("{:.2} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 100.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.0} s")
    }
}

/// `12.3×` (how many times slower the peer is than rosdeb).
fn fmt_ratio(peer: Duration, ours: Duration) -> String {
    let ratio = peer.as_secs_f64() / ours.as_secs_f64().max(1e-9);
    if ratio >= 100.0 { format!("{ratio:.0}×") } else { format!("{ratio:.1}×") }
}

fn fmt_kib(kib: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let mib = kib as f64 / 1024.0;
    format!("{mib:.1} MiB")
}

/// `12,345`
fn fmt_count(n: impl Into<u128>) -> String {
    let digits = n.into().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Stdout of a short helper command, trimmed; `None` when it fails.
fn probe(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).stdin(Stdio::null()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn deb_version(package: &str) -> String {
    probe("dpkg-query", &["-W", "-f=${Version}", package])
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "not installed".to_owned())
}

/// The Markdown header lines describing the machine and the moment.
fn machine_header() -> String {
    let date =
        probe("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(|| "unknown".to_owned());
    let nproc = probe("nproc", &[]).unwrap_or_else(|| "?".to_owned());
    let cpuinfo = fs_err::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let kernel =
        fs_err::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    let load = fs_err::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let mem_kib = fs_err::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:").map(|r| r.trim().trim_end_matches("kB").trim().to_owned())
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let mem_gib = mem_kib as f64 / (1024.0 * 1024.0);
    let load = load.join(" ");
    format!(
        "- date: {date}\n- machine: `nproc` {nproc}, {cpu}, {mem_gib:.0} GiB RAM, Linux {kernel}, \
         load average {load} at start\n"
    )
}

/// An isolated `ROS_HOME` holding an offline two-key rosdep cache, so that Python rospkg
/// resolves wet dependencies at all (without a rosdep cache it reports none) and rospack's
/// rosdep lookups succeed.
struct RosHome {
    path: PathBuf,
    sources: PathBuf,
}

impl RosHome {
    /// Creates (or reuses) `dir` with `dir/rosdep/sources.cache` built by `rosdep update`
    /// from local files only.
    fn prepare(dir: &Path) -> anyhow::Result<RosHome> {
        let rosdep_dir = bench_dir().join("rosdep");
        let sources = rosdep_dir.join("sources.list.d");
        let base = rosdep_dir.join("base.yaml");
        let index = rosdep_dir.join("index.yaml");
        fs_err::create_dir_all(&sources)?;
        let base_yaml = format!(
            "catkin:\n  debian: [catkin]\n  ubuntu: [catkin]\n{key}:\n  debian: [libboost-dev]\n  ubuntu: [libboost-dev]\n",
            key = crate::gen_tree::SYSTEM_DEP_KEY
        );
        write_if_changed(&base, &base_yaml)?;
        write_if_changed(
            &sources.join("10-bench.list"),
            &format!("yaml file://{}\n", base.display()),
        )?;
        // An empty rosdistro index, so `rosdep update` never goes to the network.
        write_if_changed(&index, "%YAML 1.1\n---\ndistributions: {}\ntype: index\nversion: 4\n")?;

        fs_err::create_dir_all(dir)?;
        let home = RosHome { path: dir.to_path_buf(), sources };
        if !dir.join("rosdep/sources.cache/index").exists() {
            let rosdep = Path::new("/usr/bin/rosdep");
            if !rosdep.exists() {
                bail!("`/usr/bin/rosdep` is missing (Debian package `python3-rosdep2`)");
            }
            eprintln!("building the offline rosdep cache in `{}`", dir.join("rosdep").display());
            let output = Command::new(rosdep)
                .arg("update")
                .env("ROS_HOME", dir)
                .env("ROSDEP_SOURCE_PATH", &home.sources)
                .env("ROSDISTRO_INDEX_URL", format!("file://{}", index.display()))
                .stdin(Stdio::null())
                .output()
                .context("running `rosdep update`")?;
            if !output.status.success() {
                bail!(
                    "`rosdep update` failed: {}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
        Ok(home)
    }

    /// The environment every tool runs with (inherited `ROS*` variables are removed).
    fn env(&self, package_path: &Path) -> Vec<(String, OsString)> {
        vec![
            ("ROS_HOME".to_owned(), self.path.clone().into()),
            ("ROS_PACKAGE_PATH".to_owned(), package_path.into()),
            ("ROSDEP_SOURCE_PATH".to_owned(), self.sources.clone().into()),
            // rosdeb's switch for Debian's `/usr/share` appending; rospack and rospkg always do it.
            ("ROSDEB_USR_SHARE".to_owned(), "1".into()),
        ]
    }
}

fn write_if_changed(path: &Path, contents: &str) -> anyhow::Result<()> {
    if fs_err::read_to_string(path).ok().as_deref() != Some(contents) {
        fs_err::write(path, contents)?;
    }
    Ok(())
}
