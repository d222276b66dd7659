//! `cargo xtask bench distro`: reading real distribution files, Python rosdistro vs rosdeb,
//! measured side by side in one run.
//!
//! Python is measured generously: only the parse inside one interpreter (`yaml.safe_load` plus
//! `DistributionFile`, what `rosdistro.get_distribution_file` does), interpreter start-up and
//! imports excluded. rosdeb is measured as whole `rosdeb distro packages FILE --json` processes,
//! start-up and output included. Both answers are checked to list the same packages.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::{
    Invocation, Plan, Timing, deb_version, fmt_duration, fmt_ratio, machine_header,
    measure_with_stdout, timer_header,
};

const PYTHON: &str = "/usr/bin/python3";
const DISTROS: [&str; 4] = ["noetic", "melodic", "humble", "jazzy"];

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Timed runs per distribution and tool.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Python: parse `file` `runs` times in one interpreter; prints one duration in seconds per line,
/// then `packages N` (the number of released packages, for the cross-check).
const PYTHON_PARSE: &str = r#"
import sys, time, yaml
from rosdistro.distribution_file import create_distribution_file
path, name, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(path, encoding="utf-8").read()
for _ in range(runs):
    start = time.perf_counter()
    dist = create_distribution_file(name, yaml.safe_load(text))
    print(time.perf_counter() - start)
print("packages", len(dist.release_packages))
"#;

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    if args.runs == 0 {
        bail!("nothing to measure: give --runs > 0");
    }
    let rosdeb = crate::build_rosdeb_release()?;
    let data = crate::project_root().join("fixtures/data/rosdistro");
    if !data.is_dir() {
        bail!(
            "`{}` is missing: the benchmark reads the real distribution files there",
            data.display()
        );
    }
    let mut report = String::from("# Benchmark: distribution files\n\n");
    report.push_str(&machine_header());
    report.push_str(&timer_header()?);
    let _ = writeln!(
        report,
        "- tools: Python rosdistro {} (Debian python3-rosdistro, PyYAML {}), rosdeb `{}`",
        deb_version("python3-rosdistro"),
        deb_version("python3-yaml"),
        super::shown(&rosdeb)
    );
    let _ = writeln!(
        report,
        "- method: Python = in-process parse only (`yaml.safe_load` + `create_distribution_file`, start-up and imports \
         excluded), median of {runs}; rosdeb parse = the same step inside `rosdeb distro packages` (its `parse_us` \
         debug log: YAML to the distribution model); rosdeb whole process = `rosdeb distro packages FILE --json` from \
         exec to exit (hyperfine, after one warm-up run; rosdeb's parse-result cache emptied before each run), \
         output included; medians of {runs}\n",
        runs = args.runs
    );
    report.push_str(
        "| distribution | size | Python rosdistro parse | rosdeb parse | ratio | rosdeb whole process | ratio | packages |\n",
    );
    report.push_str("|---|---|---|---|---|---|---|---|\n");
    // rosdeb caches parse results by content; the whole-process runs start from an empty cache
    // (as a first run does), so they include the parse.
    let cold_cache = super::bench_dir().join("distro-cold-cache");
    for distro in DISTROS {
        let file = data.join(distro).join("distribution.yaml");
        let size = fs_err::metadata(&file)?.len();
        let (python, python_packages) = python_parse(&file, distro, args.runs)?;
        let invocation = Invocation::new(
            &rosdeb,
            &["distro", "packages", &file.to_string_lossy(), "--json"],
            &[],
        )
        .env("XDG_CACHE_HOME", &cold_cache)
        .removing(&[&cold_cache]);
        let plan = Plan { max_runs: args.runs, budget: Duration::from_secs(30), warmup: true };
        let (ours, stdout) = measure_with_stdout(&invocation, plan)?;
        let parse = rosdeb_parse(&rosdeb, &file, args.runs)?;
        let doc: serde_json::Value =
            serde_json::from_str(&stdout).context("parsing rosdeb's --json output")?;
        let our_packages = doc.as_object().map_or(0, serde_json::Map::len);
        let check = if our_packages == python_packages {
            format!("{our_packages} (same)")
        } else {
            format!("⚠ rosdeb {our_packages}, rosdistro {python_packages}")
        };
        let _ = writeln!(
            report,
            "| {distro} | {} KB | {} | {} | {} | {} | {} | {check} |",
            size / 1000,
            python.cell(),
            parse.cell(),
            fmt_ratio(python.median(), parse.median()),
            ours.cell(),
            fmt_ratio(python.median(), ours.median())
        );
        eprintln!(
            "[{distro}] rosdistro {} · rosdeb {}",
            fmt_duration(python.median()),
            fmt_duration(ours.median())
        );
    }
    report.push_str(&resolve_all(&rosdeb, &data, args.runs)?);
    println!("{report}");
    if let Some(out) = &args.out {
        fs_err::write(out, &report)?;
        eprintln!("wrote `{}`", out.display());
    }
    Ok(())
}

/// rosdeb's own parse time (its `parse_us` debug log line) over `runs` runs. Each run has an
/// empty cache folder: a parse result read from rosdeb's cache of parse results logs no parse.
fn rosdeb_parse(rosdeb: &Path, file: &Path, runs: usize) -> anyhow::Result<Timing> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let cache = tempfile::tempdir().context("creating an empty cache folder")?;
        let output = std::process::Command::new(rosdeb)
            .args(["distro", "packages"])
            .arg(file)
            .env("XDG_CACHE_HOME", cache.path())
            .env("RUST_LOG", "rospkg::distro=debug")
            .env("NO_COLOR", "1")
            .output()
            .context("running rosdeb distro packages")?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let micros = stderr
            .split("parse_us=")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<u64>().ok())
            .with_context(|| format!("no `parse_us=` in rosdeb's debug log: {stderr}"))?;
        times.push(Duration::from_micros(micros));
    }
    Ok(Timing::from_runs(times, runs))
}

/// Runs [`PYTHON_PARSE`]; returns the timings and the package count.
fn python_parse(file: &Path, distro: &str, runs: usize) -> anyhow::Result<(Timing, usize)> {
    let output = std::process::Command::new(PYTHON)
        .args(["-c", PYTHON_PARSE])
        .arg(file)
        .arg(distro)
        .arg(runs.to_string())
        .output()
        .with_context(|| {
            format!("running {PYTHON} (Debian packages python3-rosdistro, python3-yaml)")
        })?;
    if !output.status.success() {
        bail!(
            "Python rosdistro failed on `{}`: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut times = Vec::new();
    let mut packages = 0;
    for line in stdout.lines() {
        if let Some(n) = line.strip_prefix("packages ") {
            packages = n.trim().parse().context("package count")?;
        } else {
            times.push(Duration::from_secs_f64(line.trim().parse().context("a duration")?));
        }
    }
    Ok((Timing::from_runs(times, runs), packages))
}

/// `rosdeb resolve` of every key of rosdep's base.yaml for one target, as one process (the
/// issue's target: under 50 ms). Some keys have no rule for the target, so exit 1 is expected.
fn resolve_all(rosdeb: &Path, data: &Path, runs: usize) -> anyhow::Result<String> {
    let base = data.join("rosdep/base.yaml");
    let keys_script = "import sys, yaml; print('\\n'.join(yaml.safe_load(open(sys.argv[1]))))";
    let output = std::process::Command::new(PYTHON)
        .args(["-c", keys_script])
        .arg(&base)
        .output()
        .context("listing base.yaml's keys with PyYAML")?;
    if !output.status.success() {
        bail!("listing base.yaml's keys failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let keys: Vec<String> =
        String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
    let base_arg = base.to_string_lossy().into_owned();
    let mut resolve_args = vec!["resolve"];
    resolve_args.extend(keys.iter().map(String::as_str));
    resolve_args.extend(["--os", "ubuntu:jammy", "--rosdep", &base_arg, "--json"]);
    let env = [("ROSDEP_SOURCE_PATH".to_owned(), data.join("rosdep/no-sources").into_os_string())];
    // Some keys have no rule for the target: exit 1 is expected.
    // From an empty parse-result cache, as the first resolve on a machine.
    let cold_cache = super::bench_dir().join("resolve-cold-cache");
    let invocation = Invocation::new(rosdeb, &resolve_args, &env)
        .env("XDG_CACHE_HOME", &cold_cache)
        .removing(&[&cold_cache])
        .also_succeeds_with(&[1]);
    // One warm-up run (the page cache), then `runs`.
    let plan = Plan { max_runs: runs, budget: Duration::from_secs(60), warmup: true };
    let (timing, stdout) =
        measure_with_stdout(&invocation, plan).context("timing rosdeb resolve")?;
    let doc: serde_json::Value = serde_json::from_str(&stdout).context("parsing resolve --json")?;
    let resolved = doc
        .as_object()
        .map_or(0, |m| m.values().filter(|v| v["ubuntu:jammy"].get("packages").is_some()).count());
    Ok(format!(
        "\n`rosdeb resolve` of all {} keys of rosdep's base.yaml for ubuntu:jammy, whole process from an empty parse-result cache (target: under 50 ms): \
         {} ({resolved} keys resolve, the rest have no apt rule there)\n",
        keys.len(),
        timing.cell()
    ))
}
