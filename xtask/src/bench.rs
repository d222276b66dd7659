//! `cargo xtask bench <suite>`: benchmarks of rosdeb against the tools it replaces.
//!
//! Each suite is a sibling module (`crawl`, `distro`, `release`, `bridge`). This file
//! holds what they share: timing whole processes, peak RSS, the machine header, the isolated
//! `ROS_HOME` with an offline rosdep cache, and Markdown formatting.

mod bridge;
mod crawl;
mod distro;
mod release;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

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

/// Where benchmark trees and their `ROS_HOME`s live (never outside `target/`).
fn bench_dir() -> PathBuf {
    crate::target_dir().join("bench-trees")
}

/// One command to time: program, arguments, environment, and what to do before each run.
struct Invocation {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, OsString)>,
    /// The working directory (default: inherited).
    cwd: Option<PathBuf>,
    /// Runs before every execution, outside the timed section (e.g. removing a cache).
    before_each: Option<Box<dyn Fn() -> anyhow::Result<()>>>,
}

impl Invocation {
    fn new(program: impl Into<PathBuf>, args: &[&str], env: &[(String, OsString)]) -> Invocation {
        Invocation {
            program: program.into(),
            args: args.iter().map(|&a| a.to_owned()).collect(),
            env: env.to_vec(),
            cwd: None,
            before_each: None,
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

    fn before_each(mut self, f: impl Fn() -> anyhow::Result<()> + 'static) -> Invocation {
        self.before_each = Some(Box::new(f));
        self
    }

    /// The command line as a user would type it (environment not included).
    fn display(&self) -> String {
        let mut s = self.program.display().to_string();
        for arg in &self.args {
            if arg.contains([' ', '\'', '"', '(', ';']) {
                s.push_str(&format!(" '{}'", arg.replace('\'', "'\\''")));
            } else {
                s.push(' ');
                s.push_str(arg);
            }
        }
        s
    }

    /// The command, optionally wrapped (`wrapper ARGS... program args...`), with a clean ROS
    /// environment: every inherited `ROS*` variable is removed before ours are set.
    fn command(&self, wrapper: Option<(&Path, &[&str])>) -> Command {
        let mut cmd = match wrapper {
            Some((wrapper, wrapper_args)) => {
                let mut cmd = Command::new(wrapper);
                cmd.args(wrapper_args).arg(&self.program);
                cmd
            }
            None => Command::new(&self.program),
        };
        cmd.args(&self.args);
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

    /// Runs once (after `before_each`), returning the wall time and the standard output.
    fn run_once(&self) -> anyhow::Result<(Duration, String)> {
        if let Some(prepare) = &self.before_each {
            prepare()?;
        }
        let mut cmd = self.command(None);
        let start = Instant::now();
        let output = cmd.output().with_context(|| format!("running `{}`", self.display()))?;
        let elapsed = start.elapsed();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> =
                stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
            bail!("`{}` exited with {}: {}", self.display(), output.status, tail.join(" / "));
        }
        Ok((elapsed, String::from_utf8_lossy(&output.stdout).into_owned()))
    }

    /// Peak resident set size in KiB of one run, measured by `/usr/bin/time -f %M`.
    fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            bail!("`/usr/bin/time` is missing (Debian package `time`)");
        }
        if let Some(prepare) = &self.before_each {
            prepare()?;
        }
        let report = tempfile_path("rss")?;
        let report_arg = report.to_str().context("temporary path is not UTF-8")?.to_owned();
        let output = self
            .command(Some((time, &["-f", "%M", "-o", &report_arg])))
            .output()
            .with_context(|| format!("running `{}` under /usr/bin/time", self.display()))?;
        let text = fs_err::read_to_string(&report)?;
        fs_err::remove_file(&report)?;
        if !output.status.success() {
            bail!("`{}` exited with {} under /usr/bin/time", self.display(), output.status);
        }
        let kib = text.lines().last().unwrap_or_default().trim();
        kib.parse().with_context(|| format!("parsing /usr/bin/time output `{kib}`"))
    }
}

/// A fresh path in the bench directory for a short-lived file.
fn tempfile_path(stem: &str) -> anyhow::Result<PathBuf> {
    let dir = bench_dir();
    fs_err::create_dir_all(&dir)?;
    Ok(dir.join(format!(".{stem}-{}.tmp", std::process::id())))
}

/// How many times to run one command.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// At most this many timed runs.
    max_runs: usize,
    /// Fewer runs when they would take longer than this in total (at least one run).
    budget: Duration,
    /// One untimed run first (fills the tool's cache).
    warmup: bool,
}

/// Timed runs of one command.
#[derive(Debug, Clone)]
struct Timing {
    /// Wall times, sorted.
    runs: Vec<Duration>,
    max_runs: usize,
}

impl Timing {
    fn median(&self) -> Duration {
        let n = self.runs.len();
        if n % 2 == 1 { self.runs[n / 2] } else { (self.runs[n / 2 - 1] + self.runs[n / 2]) / 2 }
    }

    fn min(&self) -> Duration {
        self.runs[0]
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

/// Times `invocation` according to `plan`; returns the timing and the first timed run's stdout.
fn measure(invocation: &Invocation, plan: Plan) -> anyhow::Result<(Timing, String)> {
    if plan.warmup {
        invocation.run_once()?;
    }
    let (first, stdout) = invocation.run_once()?;
    let mut runs = vec![first];
    let affordable = plan.budget.as_secs_f64() / first.as_secs_f64().max(1e-6);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 1..=max_runs"
    )]
    let wanted = (affordable.floor() as usize).clamp(1, plan.max_runs.max(1));
    for _ in 1..wanted {
        runs.push(invocation.run_once()?.0);
    }
    runs.sort_unstable();
    Ok((Timing { runs, max_runs: plan.max_runs }, stdout))
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
