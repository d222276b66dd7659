//! `cargo xtask bench release`: the packaging steps of a release, rosdeb vs the tools it
//! replaces, measured side by side in one run.
//!
//! 1. `debian/` generation for 20 real ROS 1 packages (fixtures/workspaces/real/noetic):
//!    `rosdeb debian generate` vs `bloom-generate rosdebian`, both offline with the same rosdep
//!    sources list (the fixtures' base.yaml) and the fixtures' rosdistro index. bloom writes into
//!    a copy of each package (its `debian/` is removed before every run).
//! 2. `.deb` building of one staging tree (a copy of `/usr/share/perl5`): `rosdeb deb build` vs
//!    `dpkg-deb --root-owner-group -Zxz -z6 --build`, same control file and md5sums, same
//!    `SOURCE_DATE_EPOCH`; the two archives are checked to be byte-identical.
//! 3. Publishing 1,000 tiny `.deb`s into a fresh repository with one `rosdeb apt publish`.
//! 4. The release workflow on the real common_msgs 1.13.2 (fixtures/release/sources/, 10
//!    catkin message packages) for debian:bookworm: `rosdeb build` of the package folders, then
//!    `rosdeb release` from a release repository made by `rosdeb bloom` (from scratch, and again
//!    with nothing changed), and `rosdeb release --plan --json` for all of noetic x 2 targets.
//!
//! Every tool is timed as a whole process, start-up included.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::{
    Invocation, Plan, Timing, bench_dir, deb_version, fmt_count, fmt_duration, fmt_ratio,
    machine_header, measure, measure_with_stdout, timer_header,
};

const BLOOM: &str = "/usr/bin/bloom-generate";
const ROSDEP: &str = "/usr/bin/rosdep";
const DPKG_DEB: &str = "/usr/bin/dpkg-deb";
const EPOCH: &str = "1700000000";
/// The staging tree of part 2 (copied under target/).
const STAGING_SOURCE: &str = "/usr/share/perl5";

/// The packages of the real common_msgs repository (fixtures/release/sources/common_msgs).
const COMMON_MSGS: [&str; 10] = [
    "actionlib_msgs",
    "common_msgs",
    "diagnostic_msgs",
    "geometry_msgs",
    "nav_msgs",
    "sensor_msgs",
    "shape_msgs",
    "stereo_msgs",
    "trajectory_msgs",
    "visualization_msgs",
];
/// The upstream tag of those sources (the version noetic's distribution.yaml releases).
const COMMON_MSGS_TAG: &str = "1.13.2";

/// Real noetic packages (relative to fixtures/workspaces/real/noetic) whose keys all resolve
/// with the fixtures' base.yaml and noetic distribution.yaml.
const PACKAGES: [&str; 20] = [
    "std_msgs",
    "common_msgs/geometry_msgs",
    "common_msgs/nav_msgs",
    "common_msgs/actionlib_msgs",
    "common_msgs/diagnostic_msgs",
    "common_msgs/visualization_msgs",
    "common_msgs/trajectory_msgs",
    "common_msgs/shape_msgs",
    "ros_comm_msgs/std_srvs",
    "ros_comm_msgs/rosgraph_msgs",
    "geometry2/tf2",
    "geometry2/tf2_msgs",
    "geometry2/tf2_ros",
    "ros_comm/clients/roscpp",
    "ros_comm/tools/topic_tools",
    "ros_comm/utilities/message_filters",
    "navigation/costmap_2d",
    "navigation/move_base",
    "navigation/map_server",
    "ros_tutorials/turtlesim",
];

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Timed runs of `rosdeb debian generate` per package.
    #[arg(long, default_value_t = 10)]
    gen_runs: usize,
    /// Timed runs of `bloom-generate` per package (about 1 s each).
    #[arg(long, default_value_t = 3)]
    bloom_runs: usize,
    /// Timed runs of each `.deb` builder.
    #[arg(long, default_value_t = 5)]
    deb_runs: usize,
    /// Number of tiny `.deb`s published in one call.
    #[arg(long, default_value_t = 1000)]
    debs: usize,
    /// Timed runs of `rosdeb apt publish` (each into a fresh repository).
    #[arg(long, default_value_t = 5)]
    publish_runs: usize,
    /// Timed runs of the common_msgs build and of the release from scratch (about a minute
    /// each).
    #[arg(long, default_value_t = 1)]
    workflow_runs: usize,
    /// Only these parts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "generate,deb,publish,workflow")]
    parts: Vec<Part>,
    /// Use this rosdeb binary instead of building one with `cargo build --release` (e.g. while
    /// the workspace does not build); the report says so.
    #[arg(long, value_name = "PATH")]
    rosdeb: Option<PathBuf>,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    Generate,
    Deb,
    Publish,
    Workflow,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    if args.gen_runs == 0
        || args.bloom_runs == 0
        || args.deb_runs == 0
        || args.publish_runs == 0
        || args.workflow_runs == 0
        || args.debs == 0
    {
        bail!("nothing to measure: give runs and --debs > 0");
    }
    for tool in [BLOOM, ROSDEP, DPKG_DEB] {
        if !Path::new(tool).exists() {
            bail!("`{tool}` is missing (Debian packages python3-bloom, python3-rosdep2, dpkg)");
        }
    }
    let (rosdeb, prebuilt) = match &args.rosdeb {
        Some(path) => {
            if !path.is_file() {
                bail!("--rosdeb `{}` is not a file", path.display());
            }
            (path.canonicalize()?, true)
        }
        None => (crate::build_rosdeb_release()?, false),
    };
    let rosdeb = rosdeb.as_path();
    let dir = bench_dir().join("release");
    fs_err::create_dir_all(&dir)?;

    let mut report = String::from(
        "# Benchmark: release (debian/ generation, .deb, apt, the release workflow)\n\n",
    );
    report.push_str(&machine_header());
    report.push_str(&timer_header()?);
    let _ = writeln!(
        report,
        "- tools: bloom {} (Debian python3-bloom), rosdep {}, dpkg-deb {}, rosdeb `{}`",
        deb_version("python3-bloom"),
        deb_version("python3-rosdep2"),
        deb_version("dpkg"),
        super::shown(rosdeb)
    );
    if prebuilt {
        let path = rosdeb.to_string_lossy();
        let built = super::probe("date", &["-u", "-r", &path, "+%Y-%m-%d %H:%M UTC"])
            .unwrap_or_else(|| "unknown".to_owned());
        let _ = writeln!(
            report,
            "- rosdeb: a prebuilt release binary given with `--rosdeb` (built {built}), not built \
             by this run"
        );
    }
    report.push_str(
        "- method: every tool timed as a whole process from exec to exit by hyperfine (what is \
         removed before each run: its `--prepare` command, not timed); medians (min) of the \
         runs given in each cell; ratio = peer median / rosdeb median\n",
    );
    if args.parts.contains(&Part::Generate) {
        report.push_str(&generate(args, rosdeb, &dir)?);
    }
    if args.parts.contains(&Part::Deb) {
        report.push_str(&deb_build(args, rosdeb, &dir)?);
    }
    if args.parts.contains(&Part::Publish) {
        report.push_str(&publish(args, rosdeb, &dir)?);
    }
    if args.parts.contains(&Part::Workflow) {
        report.push_str(&workflow(args, rosdeb, &dir)?);
    }
    println!("{report}");
    if let Some(out) = &args.out {
        fs_err::write(out, &report)?;
        eprintln!("wrote `{}`", out.display());
    }
    Ok(())
}

/// Part 1: `debian/` generation per package, rosdeb vs bloom-generate.
fn generate(args: &Args, rosdeb: &Path, dir: &Path) -> anyhow::Result<String> {
    let fixtures = crate::project_root().join("fixtures");
    let base = fixtures.join("rosdistro/rosdep/base.yaml");
    let index = format!("file://{}", fixtures.join("rosdistro/index-v4.yaml").display());
    let work = dir.join("generate");
    let sources = work.join("sources.list.d");
    fs_err::create_dir_all(&sources)?;
    super::write_if_changed(
        &sources.join("20-base.list"),
        &format!("yaml file://{}\n", base.display()),
    )?;
    let env: Vec<(String, OsString)> = vec![
        ("PATH".to_owned(), "/usr/bin:/bin".into()),
        ("HOME".to_owned(), work.join("home").into()),
        ("XDG_CACHE_HOME".to_owned(), work.join("home/.cache").into()),
        ("ROS_HOME".to_owned(), work.join("ros_home").into()),
        ("ROSDEP_SOURCE_PATH".to_owned(), sources.clone().into()),
        ("ROSDISTRO_INDEX_URL".to_owned(), index.into()),
        ("LC_ALL".to_owned(), "C.UTF-8".into()),
        ("SOURCE_DATE_EPOCH".to_owned(), EPOCH.into()),
    ];
    // bloom reads rosdep's cache: build it once, offline, from the same sources list.
    if !work.join("ros_home/rosdep/sources.cache/index").exists() {
        eprintln!("building the offline rosdep cache in `{}`", work.join("ros_home").display());
        let mut update = Command::new(ROSDEP);
        update.args(["update", "--rosdistro", "noetic"]).stdin(Stdio::null());
        clean_ros_env(&mut update);
        update.envs(env.iter().map(|(k, v)| (k, v)));
        let output = update.output().context("running `rosdep update`")?;
        if !output.status.success() {
            bail!(
                "offline `rosdep update` failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    let mut rows = String::new();
    let mut ours_total = Duration::ZERO;
    let mut bloom_total = Duration::ZERO;
    let mut ratios = Vec::new();
    let mut issues = Vec::new();
    for rel in PACKAGES {
        let source = fixtures.join("workspaces/real/noetic").join(rel);
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let ours_out = work.join("rosdeb").join(name);
        let source_arg = source.to_string_lossy().into_owned();
        let out_arg = ours_out.to_string_lossy().into_owned();
        let ours = Invocation::new(
            rosdeb,
            &[
                "debian",
                "generate",
                &source_arg,
                "--distro",
                "noetic",
                "--os",
                "ubuntu:focal",
                "--out",
                &out_arg,
            ],
            &env,
        );
        let plan = Plan { max_runs: args.gen_runs, budget: Duration::from_secs(10), warmup: true };
        let ours_timing = measure(&ours, plan)?;
        let our_control = fs_err::read_to_string(ours_out.join("debian/control"))?;
        let our_changelog = fs_err::read_to_string(ours_out.join("debian/changelog"))?;
        let our_version = our_changelog.split(['(', ')']).nth(1).unwrap_or_default().to_owned();
        let inc = our_version
            .rsplit_once('-')
            .map(|(_, inc)| inc.trim_end_matches("focal").to_owned())
            .unwrap_or_else(|| "0".to_owned());

        let copy = work.join("bloom").join(name);
        if copy.exists() {
            fs_err::remove_dir_all(&copy)?;
        }
        copy_tree(&source, &copy)?;
        let debian = copy.join("debian");
        let bloom = Invocation::new(
            BLOOM,
            &[
                "rosdebian",
                "--ros-distro",
                "noetic",
                "--os-name",
                "ubuntu",
                "--os-version",
                "focal",
                "-i",
                &inc,
            ],
            &env,
        )
        .current_dir(&copy)
        .removing(&[&debian]);
        let plan =
            Plan { max_runs: args.bloom_runs, budget: Duration::from_secs(30), warmup: false };
        let bloom_timing = measure(&bloom, plan)?;
        let their_control = fs_err::read_to_string(copy.join("debian/control"))?;
        let their_changelog = fs_err::read_to_string(copy.join("debian/changelog"))?;
        let their_version = their_changelog.split(['(', ')']).nth(1).unwrap_or_default();

        let mut check = Vec::new();
        for field in ["Source", "Package"] {
            if control_field(&our_control, field) != control_field(&their_control, field) {
                check.push(format!("{field} differs"));
            }
        }
        if our_version != their_version {
            check.push(format!("version {our_version} vs {their_version}"));
        }
        let check = if check.is_empty() {
            "same".to_owned()
        } else {
            issues.push(format!("{name}: {}", check.join(", ")));
            format!("⚠ {}", check.join(", "))
        };
        let package = control_field(&our_control, "Source").unwrap_or(name).to_owned();
        ours_total += ours_timing.median();
        bloom_total += bloom_timing.median();
        ratios.push(bloom_timing.median().as_secs_f64() / ours_timing.median().as_secs_f64());
        let _ = writeln!(
            rows,
            "| `{package}` | {} | {} | {} | {check} |",
            bloom_timing.cell(),
            ours_timing.cell(),
            fmt_ratio(bloom_timing.median(), ours_timing.median())
        );
        eprintln!(
            "[generate {name}] bloom {} · rosdeb {}",
            fmt_duration(bloom_timing.median()),
            fmt_duration(ours_timing.median())
        );
    }
    ratios.sort_by(f64::total_cmp);
    let median_ratio = ratios[ratios.len() / 2];
    let (lo, hi) = (ratios[0], ratios[ratios.len() - 1]);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## debian/ generation, {} real noetic packages (target: at least 100× faster per package \
         than bloom-generate)\n",
        PACKAGES.len()
    );
    let _ = writeln!(
        out,
        "Offline, for ubuntu:focal, with the same inputs: rosdep rules from one sources list \
         (fixtures/rosdistro/rosdep/base.yaml; bloom through a `rosdep update` cache built once \
         before timing), the distribution through `ROSDISTRO_INDEX_URL` = fixtures/rosdistro/\
         index-v4.yaml. bloom = `bloom-generate rosdebian --ros-distro noetic --os-name ubuntu \
         --os-version focal -i N` in a copy of the package, its debian/ removed before every run, \
         up to {} runs (it takes about 1 s); rosdeb = `rosdeb debian generate PKG --distro noetic \
         --os ubuntu:focal --out DIR`, one warm-up, then up to {} runs. The check compares \
         Source, Package and the changelog version of the two debian/ folders.\n",
        args.bloom_runs, args.gen_runs
    );
    out.push_str("| package | bloom-generate | rosdeb | ratio | check |\n|---|---|---|---|---|\n");
    out.push_str(&rows);
    let _ = writeln!(
        out,
        "| **all {}, sum of medians** | {} | {} | **{}** | |",
        PACKAGES.len(),
        fmt_duration(bloom_total),
        fmt_duration(ours_total),
        fmt_ratio(bloom_total, ours_total)
    );
    let verdict = if lo >= 100.0 { "met for every package" } else { "not met for every package" };
    let _ = writeln!(
        out,
        "\nPer-package ratio, one package per process: median {median_ratio:.0}×, range \
         {lo:.0}×-{hi:.0}× (target 100×: \
         {verdict})."
    );
    // The same 20 packages in one process, as a release of many packages runs.
    let sources: Vec<String> = PACKAGES
        .iter()
        .map(|rel| fixtures.join("workspaces/real/noetic").join(rel).to_string_lossy().into_owned())
        .collect();
    let batch_out = work.join("rosdeb-batch").to_string_lossy().into_owned();
    let mut batch_args: Vec<&str> = vec!["debian", "generate"];
    batch_args.extend(sources.iter().map(String::as_str));
    batch_args.extend(["--distro", "noetic", "--os", "ubuntu:focal", "--out", &batch_out]);
    let batch = Invocation::new(rosdeb, &batch_args, &env);
    let plan = Plan { max_runs: args.gen_runs, budget: Duration::from_secs(10), warmup: true };
    let batch_timing = measure(&batch, plan)?;
    let count = u32::try_from(PACKAGES.len()).unwrap_or(1);
    let per_package = batch_timing.median() / count;
    let bloom_per_package = bloom_total / count;
    let _ = writeln!(
        out,
        "\nAll {} packages in one `rosdeb debian generate PKG_DIR... --out DIR` process: {} \
         (median), {} per package, against bloom-generate's {} per package (its median, one \
         package per process as bloom works): **{}** per package (target 100×: {}).",
        PACKAGES.len(),
        batch_timing.cell(),
        fmt_duration(per_package),
        fmt_duration(bloom_per_package),
        fmt_ratio(bloom_per_package, per_package),
        if bloom_per_package.as_secs_f64() >= 100.0 * per_package.as_secs_f64() {
            "met"
        } else {
            "not met"
        }
    );
    let (cold, warm) = cold_generate(rosdeb, &env, &fixtures, &work)?;
    let _ = writeln!(
        out,
        "\nrosdeb runs read the distribution and the rosdep rules from its cache of parse results \
         (`~/.cache/rosdeb/parsed`, filled by the warm-up run; bloom likewise reads the rosdep \
         cache `rosdep update` built before timing). Without it (the folder removed before each \
         run, so noetic's 380 KB distribution.yaml and base.yaml are parsed again), `std_msgs` \
         takes {} against {} with it (median of 5 runs each).",
        fmt_duration(cold),
        fmt_duration(warm)
    );
    if !issues.is_empty() {
        let _ = writeln!(out, "\nDisagreements: {}", issues.join("; "));
    }
    Ok(out)
}

/// `rosdeb debian generate std_msgs` without (cold) and with (warm) the cache of parse results:
/// medians of 5 runs each.
fn cold_generate(
    rosdeb: &Path,
    env: &[(String, OsString)],
    fixtures: &Path,
    work: &Path,
) -> anyhow::Result<(Duration, Duration)> {
    let source = fixtures.join("workspaces/real/noetic/std_msgs").to_string_lossy().into_owned();
    let out = work.join("parse-probe").to_string_lossy().into_owned();
    let args = [
        "debian",
        "generate",
        &source,
        "--distro",
        "noetic",
        "--os",
        "ubuntu:focal",
        "--out",
        &out,
    ];
    let parsed = work.join("home/.cache/rosdeb/parsed");
    let cold = Invocation::new(rosdeb, &args, env).removing(&[&parsed]);
    let plan = Plan { max_runs: 5, budget: Duration::from_secs(10), warmup: false };
    let cold = measure(&cold, plan)?;
    let warm = Invocation::new(rosdeb, &args, env);
    let plan = Plan { max_runs: 5, budget: Duration::from_secs(10), warmup: true };
    let warm = measure(&warm, plan)?;
    Ok((cold.median(), warm.median()))
}

/// Part 2: one staging tree, `rosdeb deb build` vs `dpkg-deb --build`.
fn deb_build(args: &Args, rosdeb: &Path, dir: &Path) -> anyhow::Result<String> {
    let work = dir.join("deb");
    let tree = work.join("tree");
    let marker = work.join(".tree-complete");
    if !marker.exists() {
        if work.exists() {
            fs_err::remove_dir_all(&work)?;
        }
        let share = tree.join("usr/share");
        fs_err::create_dir_all(&share)?;
        eprintln!("copying `{STAGING_SOURCE}` into `{}`", share.display());
        run_checked(Command::new("cp").arg("-a").arg(STAGING_SOURCE).arg(&share))?;
        fs_err::write(&marker, "")?;
    }
    let (files, bytes) = tree_size(&tree)?;
    let control = work.join("control");
    super::write_if_changed(
        &control,
        "Package: bench-staging\nVersion: 1.0-1\nArchitecture: all\n\
         Maintainer: Bench <bench@example.com>\nDescription: benchmark staging tree\n \
         A copy of /usr/share/perl5.\n",
    )?;
    let ours_out = work.join("out-rosdeb");
    let env = vec![("SOURCE_DATE_EPOCH".to_owned(), OsString::from(EPOCH))];
    let tree_arg = tree.to_string_lossy().into_owned();
    let control_arg = control.to_string_lossy().into_owned();
    let out_arg = ours_out.to_string_lossy().into_owned();
    let ours = Invocation::new(
        rosdeb,
        &[
            "deb",
            "build",
            &tree_arg,
            "--control",
            &control_arg,
            "--out",
            &out_arg,
            "--xz-level",
            "6",
        ],
        &env,
    );
    let plan = Plan { max_runs: args.deb_runs, budget: Duration::from_secs(60), warmup: true };
    let (ours_timing, stdout) = measure_with_stdout(&ours, plan)?;
    let our_deb = PathBuf::from(stdout.trim());

    // dpkg-deb's tree: the same files (hard links) plus DEBIAN/ holding rosdeb's control and
    // md5sums, so that both archives carry the same control member.
    let root = work.join("root");
    if root.exists() {
        fs_err::remove_dir_all(&root)?;
    }
    fs_err::create_dir_all(&root)?;
    run_checked(Command::new("cp").arg("-al").arg(tree.join("usr")).arg(&root))?;
    run_checked(Command::new(DPKG_DEB).arg("--control").arg(&our_deb).arg(root.join("DEBIAN")))?;
    let their_deb = work.join("dpkg-deb.deb");
    let root_arg = root.to_string_lossy().into_owned();
    let their_arg = their_deb.to_string_lossy().into_owned();
    let dpkg = Invocation::new(
        DPKG_DEB,
        &["--root-owner-group", "-Zxz", "-z6", "--build", &root_arg, &their_arg],
        &env,
    );
    let dpkg_timing = measure(&dpkg, plan)?;
    let identical = fs_err::read(&our_deb)? == fs_err::read(&their_deb)?;
    let size = fs_err::metadata(&our_deb)?.len();
    eprintln!(
        "[deb] dpkg-deb {} · rosdeb {}",
        fmt_duration(dpkg_timing.median()),
        fmt_duration(ours_timing.median())
    );

    let mut out = String::new();
    out.push_str(
        "\n## .deb building, one staging tree (target: no slower than dpkg-deb at the same \
         compression)\n\n",
    );
    let _ = writeln!(
        out,
        "A copy of `{STAGING_SOURCE}` ({} files, {:.1} MB; {:.2} MB .deb), xz preset 6 for both, \
         `SOURCE_DATE_EPOCH={EPOCH}`. rosdeb = `rosdeb deb build TREE --control FILE --out DIR \
         --xz-level 6` (it also computes md5sums and Installed-Size); dpkg-deb = `dpkg-deb \
         --root-owner-group -Zxz -z6 --build ROOT OUT.deb` on the same files with rosdeb's \
         control and md5sums in ROOT/DEBIAN (so it skips that work). One warm-up each, then up \
         to {} runs.\n",
        fmt_count(u64::try_from(files).unwrap_or(u64::MAX)),
        mb(bytes),
        mb(size),
        args.deb_runs
    );
    out.push_str("| tree | dpkg-deb | rosdeb | ratio | outputs |\n|---|---|---|---|---|\n");
    let _ = writeln!(
        out,
        "| `{STAGING_SOURCE}` | {} | {} | **{}** | {} |",
        dpkg_timing.cell(),
        ours_timing.cell(),
        fmt_ratio(dpkg_timing.median(), ours_timing.median()),
        if identical { "byte-identical" } else { "⚠ differ" }
    );
    Ok(out)
}

/// Part 3: publishing `--debs` tiny packages in one `rosdeb apt publish`.
fn publish(args: &Args, rosdeb: &Path, dir: &Path) -> anyhow::Result<String> {
    let work = dir.join("publish");
    let debs_dir = work.join(format!("debs-{}", args.debs));
    let marker = debs_dir.join(".complete");
    if !marker.exists() {
        eprintln!("building {} tiny .debs in `{}`", args.debs, debs_dir.display());
        let trees = work.join("trees");
        for d in [&debs_dir, &trees] {
            if d.exists() {
                fs_err::remove_dir_all(d)?;
            }
        }
        for i in 0..args.debs {
            let name = format!("bench-pkg-{i:05}");
            let tree = trees.join(&name);
            let doc = tree.join("usr/share/doc").join(&name);
            fs_err::create_dir_all(&doc)?;
            fs_err::write(doc.join("README"), format!("{name}: a tiny benchmark package.\n"))?;
            let control = trees.join(format!("{name}.control"));
            fs_err::write(
                &control,
                format!(
                    "Package: {name}\nVersion: 1.0-1\nArchitecture: all\n\
                     Maintainer: Bench <bench@example.com>\nDescription: tiny package {i}\n"
                ),
            )?;
            run_checked(
                Command::new(rosdeb)
                    .args(["deb", "build"])
                    .arg(&tree)
                    .arg("--control")
                    .arg(&control)
                    .arg("--out")
                    .arg(&debs_dir)
                    .env("SOURCE_DATE_EPOCH", EPOCH),
            )?;
        }
        fs_err::remove_dir_all(&trees)?;
        fs_err::write(&marker, "")?;
    }
    let mut debs: Vec<String> = fs_err::read_dir(&debs_dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    debs.sort();
    if debs.len() != args.debs {
        bail!("expected {} .debs in `{}`, found {}", args.debs, debs_dir.display(), debs.len());
    }
    let bytes: u64 =
        debs.iter().map(|d| fs_err::metadata(d).map(|m| m.len())).sum::<Result<_, _>>()?;

    let repo = work.join("repo");
    let repo_arg = repo.to_string_lossy().into_owned();
    let mut cli: Vec<&str> = vec!["apt", "publish"];
    cli.extend(debs.iter().map(String::as_str));
    cli.extend(["--repo", &repo_arg, "--codename", "focal", "--arch", "amd64"]);
    let env = vec![("SOURCE_DATE_EPOCH".to_owned(), OsString::from(EPOCH))];
    let invocation = Invocation::new(rosdeb, &cli, &env).removing(&[&repo]);
    let plan = Plan { max_runs: args.publish_runs, budget: Duration::from_secs(60), warmup: true };
    let (timing, stdout) = measure_with_stdout(&invocation, plan)?;
    let added = stdout.lines().filter(|l| l.starts_with("added ")).count();
    eprintln!("[publish] rosdeb {}", fmt_duration(timing.median()));

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Publishing {} .debs into a fresh repository (target: under 5 s)\n",
        fmt_count(u64::try_from(args.debs).unwrap_or(u64::MAX))
    );
    let _ = writeln!(
        out,
        "{} tiny `Architecture: all` packages ({:.1} MB in all), built once with `rosdeb deb \
         build`; `rosdeb apt publish DEB... --repo DIR --codename focal --arch amd64` in one call, \
         the repository removed before every run (not timed). One warm-up, then up to {} runs.\n",
        fmt_count(u64::try_from(args.debs).unwrap_or(u64::MAX)),
        mb(bytes),
        args.publish_runs
    );
    out.push_str("| operation | rosdeb | target | check |\n|---|---|---|---|\n");
    let verdict = if timing.median() < Duration::from_secs(5) { "met" } else { "⚠ not met" };
    let check = if added == args.debs {
        format!("{} added", fmt_count(u64::try_from(added).unwrap_or(u64::MAX)))
    } else {
        format!("⚠ {added} added of {}", args.debs)
    };
    let _ = writeln!(
        out,
        "| publish {} debs | {} | 5 s: **{verdict}** | {check} |",
        fmt_count(u64::try_from(args.debs).unwrap_or(u64::MAX)),
        timing.cell()
    );
    Ok(out)
}

/// Part 4: the release workflow on the real common_msgs for debian:bookworm.
///
/// Setup (not timed): an upstream git repository of fixtures/release/sources/common_msgs
/// tagged `1.13.2`, an empty bare release repository filled by `rosdeb bloom`, and the real
/// noetic distribution.yaml with common_msgs' URLs pointing at those two. Rows: (a) `rosdeb
/// build` of the 10 fixture folders (the same tree as the tag), (b) `rosdeb release` of the 10
/// packages from scratch, (c) the same again with nothing changed, (d) `rosdeb release --plan
/// --json` for all of noetic x 2 targets. A row whose command is missing or fails says so
/// instead of failing the bench, so that the others are still measured.
fn workflow(args: &Args, rosdeb: &Path, dir: &Path) -> anyhow::Result<String> {
    let root = crate::project_root();
    let fixtures = root.join("fixtures");
    let sources = fixtures.join("release/sources/common_msgs");
    let noetic = fixtures.join("data/rosdistro/noetic/distribution.yaml");
    let rules = rosdep_rules(&fixtures);
    let work = dir.join("workflow");
    if work.exists() {
        fs_err::remove_dir_all(&work)?;
    }
    let home = work.join("home");
    let no_sources = work.join("sources.list.d");
    fs_err::create_dir_all(&home)?;
    fs_err::create_dir_all(&no_sources)?;
    let env: Vec<(String, OsString)> = vec![
        ("PATH".to_owned(), "/usr/bin:/bin".into()),
        ("HOME".to_owned(), home.clone().into()),
        ("ROS_HOME".to_owned(), home.join("ros").into()),
        ("ROSDEP_SOURCE_PATH".to_owned(), no_sources.into()),
        ("ROS_OS_OVERRIDE".to_owned(), "debian:12:bookworm".into()),
        ("LC_ALL".to_owned(), "C.UTF-8".into()),
        ("SOURCE_DATE_EPOCH".to_owned(), EPOCH.into()),
    ];

    // Setup: upstream repository, release repository, distribution file.
    let upstream = work.join("upstream");
    copy_tree(&sources, &upstream)?;
    git(&upstream, &["init", "-q", "-b", "noetic-devel"])?;
    git(&upstream, &["add", "-A"])?;
    git(&upstream, &["commit", "-q", "-m", COMMON_MSGS_TAG])?;
    git(&upstream, &["tag", COMMON_MSGS_TAG])?;
    let release_repo = work.join("common_msgs-release.git");
    git(&work, &["init", "-q", "--bare", "common_msgs-release.git"])?;
    let distro_file = work.join("noetic/distribution.yaml");
    fs_err::create_dir_all(work.join("noetic"))?;
    let text = fs_err::read_to_string(&noetic)?;
    fs_err::write(&distro_file, local_common_msgs(&text, &release_repo, &upstream)?)?;
    let distro_arg = distro_file.to_string_lossy().into_owned();
    let mut rosdep_args: Vec<String> = Vec::new();
    for rule in &rules {
        rosdep_args.extend(["--rosdep".to_owned(), rule.to_string_lossy().into_owned()]);
    }
    let mut bloom_args: Vec<&str> =
        vec!["bloom", "common_msgs", "--distro", "noetic", "--distro-file", &distro_arg];
    bloom_args.extend(rosdep_args.iter().map(String::as_str));
    let bloom = Invocation::new(rosdeb, &bloom_args, &env);
    // Setup, run exactly once; its time is reported by the way.
    let once = Plan { max_runs: 1, budget: Duration::ZERO, warmup: false };
    let bloomed = measure(&bloom, once).map(|timing| timing.median());
    if let Ok(took) = &bloomed {
        eprintln!("[workflow] rosdeb bloom common_msgs: {}", fmt_duration(*took));
    }

    // (a) rosdeb build of the checked-out package folders.
    let build_out = work.join("build-out");
    let mut build_args: Vec<String> = vec!["build".to_owned()];
    build_args.extend(COMMON_MSGS.iter().map(|p| sources.join(p).to_string_lossy().into_owned()));
    build_args.extend(
        ["--distro", "noetic", "--distro-file", &distro_arg, "--os", "debian:bookworm"]
            .map(str::to_owned),
    );
    build_args.extend(rosdep_args.iter().cloned());
    build_args.extend(["--out".to_owned(), build_out.to_string_lossy().into_owned()]);
    let build_refs: Vec<&str> = build_args.iter().map(String::as_str).collect();
    let build = Invocation::new(rosdeb, &build_refs, &env).removing(&[&build_out]);
    let heavy =
        Plan { max_runs: args.workflow_runs, budget: Duration::from_secs(300), warmup: false };
    let (build_timing, build_stdout) = measure_with_stdout(&build, heavy)?;
    let built = build_stdout.lines().filter(|l| l.ends_with(".deb")).count();
    eprintln!("[workflow] rosdeb build: {}", fmt_duration(build_timing.median()));

    // (b)-(d): `rosdeb release`, when this rosdeb has it.
    let has_release = Invocation::new(rosdeb, &["release", "--help"], &env).stdout().is_ok();
    let release_work = work.join("release-work");
    let repo = work.join("repo");
    let mut release_args: Vec<String> =
        ["release", "--distro", "noetic", "--distro-file"].map(str::to_owned).to_vec();
    release_args.push(distro_arg.clone());
    release_args.extend(rosdep_args.iter().cloned());
    release_args.extend(["--os", "debian:bookworm", "--no-deps", "--work"].map(str::to_owned));
    release_args.push(release_work.to_string_lossy().into_owned());
    release_args.push("--repo".to_owned());
    release_args.push(repo.to_string_lossy().into_owned());
    release_args.extend(COMMON_MSGS.map(str::to_owned));
    let release_refs: Vec<&str> = release_args.iter().map(String::as_str).collect();
    let unavailable = |why: &str| Row::Unavailable(why.to_owned());
    let (scratch, again) = if !has_release {
        let why = "this rosdeb has no `release` command yet";
        (unavailable(why), unavailable(why))
    } else if let Err(e) = &bloomed {
        let why = format!("the release repository could not be made: {e:#}");
        (unavailable(&why), unavailable(&why))
    } else {
        let from_scratch =
            Invocation::new(rosdeb, &release_refs, &env).removing(&[&release_work, &repo]);
        let scratch = Row::from(measure(&from_scratch, heavy));
        let again = if matches!(scratch, Row::Measured(..)) {
            let nothing_changed = Invocation::new(rosdeb, &release_refs, &env);
            let plan = Plan { max_runs: 5, budget: Duration::from_secs(20), warmup: false };
            Row::from(measure(&nothing_changed, plan))
        } else {
            unavailable("the release from scratch failed")
        };
        (scratch, again)
    };
    let published = published_packages(&repo, "bookworm");
    let plan_row = if has_release {
        let noetic_arg = noetic.to_string_lossy().into_owned();
        let manifests = fixtures.join("data/manifests").to_string_lossy().into_owned();
        let plan_args = [
            "release",
            "--plan",
            "--json",
            "--distro",
            "noetic",
            "--distro-file",
            &noetic_arg,
            "--os",
            "ubuntu:focal",
            "--os",
            "debian:bookworm",
            "--sources",
            &manifests,
        ];
        let plan_cmd = Invocation::new(rosdeb, &plan_args, &env);
        let plan = Plan { max_runs: 10, budget: Duration::from_secs(10), warmup: true };
        Row::from(measure_with_stdout(&plan_cmd, plan))
    } else {
        unavailable("this rosdeb has no `release` command yet")
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## The release workflow: the real common_msgs {COMMON_MSGS_TAG} (10 packages) for \
         debian:bookworm\n"
    );
    let _ = writeln!(
        out,
        "Setup, not timed: an upstream git repository of fixtures/release/sources/common_msgs \
         (the whole upstream tree at tag `{COMMON_MSGS_TAG}`) committed and tagged with the git \
         CLI, an empty bare release repository filled by `rosdeb bloom common_msgs` ({}), and \
         the real noetic distribution.yaml with the common_msgs entry's release and source URLs \
         replaced by those two paths. The rosdep rules: {}; no system sources lists; host pinned \
         to debian:12:bookworm. (a) `rosdeb build` of the 10 package folders of the fixture (the \
         same tree as the tag) `--distro noetic --distro-file F --os debian:bookworm --out DIR`, \
         DIR removed before each run; (b) `rosdeb release --distro noetic --distro-file F --os \
         debian:bookworm --no-deps --work W --repo R` with the 10 package names, W and R removed \
         before each run; (c) the same command again, nothing changed; (d) `rosdeb release --plan \
         --json` of all of noetic for ubuntu:focal and debian:bookworm with the real \
         distribution file and `--sources fixtures/data/manifests`. (a) and (b): up to {} run(s) \
         each; (c) up to 5; (d) one warm-up, then up to 10.\n",
        match &bloomed {
            Ok(took) => format!("took {}", fmt_duration(*took)),
            Err(_) => "⚠ failed".to_owned(),
        },
        rules.iter().map(|r| format!("`{}`", super::shown(r))).collect::<Vec<_>>().join(", "),
        args.workflow_runs
    );
    out.push_str("| row | rosdeb | ratio to (a) | target | check |\n|---|---|---|---|---|\n");
    let _ = writeln!(
        out,
        "| (a) `rosdeb build`, 10 package folders | {} | 1.0× | (reference) | {} |",
        build_timing.cell(),
        if built == COMMON_MSGS.len() {
            format!("{built} debs")
        } else {
            format!("⚠ {built} debs of {}", COMMON_MSGS.len())
        }
    );
    let budget = build_timing.median() * 3;
    let _ = writeln!(
        out,
        "| (b) `rosdeb release`, from scratch | {} | {} | under 3× (a) ({}): {} | {} |",
        scratch.cell(),
        scratch.ratio_to(build_timing.median()),
        fmt_duration(budget),
        scratch.verdict(budget),
        match published {
            Some(n) if n == COMMON_MSGS.len() => format!("{n} packages in the repository"),
            Some(n) => format!("⚠ {n} packages in the repository"),
            None => "–".to_owned(),
        }
    );
    let second = Duration::from_secs(1);
    let _ = writeln!(
        out,
        "| (c) `rosdeb release`, again, nothing changed | {} | | under 1 s: {} | |",
        again.cell(),
        again.verdict(second)
    );
    let _ = writeln!(
        out,
        "| (d) `rosdeb release --plan --json`, noetic x 2 targets | {} | | under 1 s: {} | {} |",
        plan_row.cell(),
        plan_row.verdict(second),
        plan_row.json_check()
    );
    Ok(out)
}

/// One row of the workflow table: measured (with the standard output of an untimed run when
/// the row checks it), or why not.
enum Row {
    Measured(Timing, Option<String>),
    Unavailable(String),
}

impl From<anyhow::Result<Timing>> for Row {
    fn from(result: anyhow::Result<Timing>) -> Row {
        match result {
            Ok(timing) => Row::Measured(timing, None),
            Err(e) => Row::Unavailable(format!("failed: {e:#}")),
        }
    }
}

impl From<anyhow::Result<(Timing, String)>> for Row {
    fn from(result: anyhow::Result<(Timing, String)>) -> Row {
        match result {
            Ok((timing, stdout)) => Row::Measured(timing, Some(stdout)),
            Err(e) => Row::Unavailable(format!("failed: {e:#}")),
        }
    }
}

impl Row {
    fn cell(&self) -> String {
        match self {
            Row::Measured(timing, _) => timing.cell(),
            Row::Unavailable(why) => {
                // One table cell: no pipes, one line.
                format!("not available: {}", why.replace('|', "/").replace('\n', " "))
            }
        }
    }

    fn ratio_to(&self, reference: Duration) -> String {
        match self {
            Row::Measured(timing, _) => {
                let ratio = timing.median().as_secs_f64() / reference.as_secs_f64().max(1e-9);
                format!("{ratio:.2}×")
            }
            Row::Unavailable(_) => String::new(),
        }
    }

    fn verdict(&self, limit: Duration) -> &'static str {
        match self {
            Row::Measured(timing, _) if timing.median() < limit => "**met**",
            Row::Measured(..) => "**⚠ not met**",
            Row::Unavailable(_) => "not measured",
        }
    }

    /// For the plan: whether the output is a JSON document, and its node count when it has a
    /// `nodes` list.
    fn json_check(&self) -> String {
        let Row::Measured(_, Some(stdout)) = self else { return String::new() };
        match serde_json::from_str::<serde_json::Value>(stdout) {
            Ok(doc) => match doc.get("nodes").and_then(serde_json::Value::as_array) {
                Some(nodes) => {
                    format!("{} nodes", fmt_count(u64::try_from(nodes.len()).unwrap_or(u64::MAX)))
                }
                None => "a JSON document".to_owned(),
            },
            Err(e) => format!("⚠ not JSON: {e}"),
        }
    }
}

/// The rosdep rule files of the workflow: the real base.yaml and python.yaml, plus
/// fixtures/release/common_msgs-rosdep.yaml when it exists.
fn rosdep_rules(fixtures: &Path) -> Vec<PathBuf> {
    let mut rules = vec![
        fixtures.join("data/rosdistro/rosdep/base.yaml"),
        fixtures.join("data/rosdistro/rosdep/python.yaml"),
    ];
    let extra = fixtures.join("release/common_msgs-rosdep.yaml");
    if extra.is_file() {
        rules.push(extra);
    }
    rules
}

/// `text` (noetic's distribution.yaml) with the common_msgs entry's release URL pointing at
/// `release` and its source (and doc) URL at `upstream`, both as file:// URLs; every other byte
/// unchanged.
fn local_common_msgs(text: &str, release: &Path, upstream: &Path) -> anyhow::Result<String> {
    let start = text
        .find("\n  common_msgs:\n")
        .context("the distribution file has no `common_msgs` repository")?
        + 1;
    // The entry ends at the next line indented by exactly two spaces (the next repository).
    let body = &text[start + "  common_msgs:\n".len()..];
    let len = body
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| body[i..].starts_with("  ") && !body[i..].starts_with("   "))
        .unwrap_or(body.len());
    let end = start + "  common_msgs:\n".len() + len;
    let entry = &text[start..end];
    let release_url = "url: https://github.com/ros-gbp/common_msgs-release.git";
    let source_url = "url: https://github.com/ros/common_msgs.git";
    if entry.matches(release_url).count() != 1 || entry.matches(source_url).count() == 0 {
        bail!("the common_msgs entry does not have the expected URLs:\n{entry}");
    }
    let entry = entry
        .replace(release_url, &format!("url: file://{}", release.display()))
        .replace(source_url, &format!("url: file://{}", upstream.display()));
    Ok(format!("{}{entry}{}", &text[..start], &text[end..]))
}

/// How many distinct packages the `Packages` indexes of `repo`'s `codename` list; `None`
/// without any.
fn published_packages(repo: &Path, codename: &str) -> Option<usize> {
    let main = repo.join("dists").join(codename).join("main");
    let mut names = std::collections::BTreeSet::new();
    for entry in fs_err::read_dir(&main).ok()? {
        let index = entry.ok()?.path().join("Packages");
        if let Ok(text) = fs_err::read_to_string(&index) {
            names.extend(
                text.lines().filter_map(|l| l.strip_prefix("Package: ")).map(str::to_owned),
            );
        }
    }
    (!names.is_empty()).then_some(names.len())
}

/// `git ARGS` in `dir` with a fixed author, committer and dates.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    run_checked(
        Command::new("git")
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "Up Stream")
            .env("GIT_AUTHOR_EMAIL", "up@example.org")
            .env("GIT_COMMITTER_NAME", "Up Stream")
            .env("GIT_COMMITTER_EMAIL", "up@example.org")
            .env("GIT_AUTHOR_DATE", "@1745624062 +0000")
            .env("GIT_COMMITTER_DATE", "@1745624062 +0000")
            .args(args),
    )
}

/// `Field: value` of a control file's first paragraph.
fn control_field<'a>(control: &'a str, name: &str) -> Option<&'a str> {
    control.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

/// Removes every inherited `ROS*` variable (the machine's ROS_DISTRO would change bloom's mind).
fn clean_ros_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ROS") {
            cmd.env_remove(&key);
        }
    }
}

fn run_checked(cmd: &mut Command) -> anyhow::Result<()> {
    let output = cmd.stdin(Stdio::null()).output().with_context(|| format!("running {cmd:?}"))?;
    if !output.status.success() {
        bail!("{cmd:?} exited with {}: {}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// Copies a package folder (files and subfolders; symbolic links are skipped).
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Number of regular files and their total size under `dir`.
fn tree_size(dir: &Path) -> anyhow::Result<(usize, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            let (f, b) = tree_size(&entry.path())?;
            files += f;
            bytes += b;
        } else if kind.is_file() {
            files += 1;
            bytes += entry.metadata()?.len();
        }
    }
    Ok((files, bytes))
}

fn mb(bytes: u64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let b = bytes as f64;
    b / 1e6
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn only_common_msgs_urls_point_at_the_local_repositories() {
        let real = crate::project_root().join("fixtures/data/rosdistro/noetic/distribution.yaml");
        let text = fs_err::read_to_string(real).unwrap();
        let (release, upstream) = (Path::new("/tmp/r.git"), Path::new("/tmp/up"));
        let local = super::local_common_msgs(&text, release, upstream).unwrap();
        let entry = |t: &str| {
            let start = t.find("\n  common_msgs:\n").unwrap();
            let end = start + t[start..].find("\n  common_tutorials:\n").unwrap();
            t[start..end].to_owned()
        };
        let ours = entry(&local);
        assert_eq!(ours.matches("url: file:///tmp/r.git\n").count(), 1, "{ours}");
        // The source and doc entries.
        assert_eq!(ours.matches("url: file:///tmp/up\n").count(), 2, "{ours}");
        assert!(!ours.contains("https://"), "{ours}");
        // Every other line is unchanged.
        let before: Vec<&str> = text.lines().collect();
        let after: Vec<&str> = local.lines().collect();
        assert_eq!(before.len(), after.len());
        let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 3);
        // Another repository's entry keeps its URLs.
        assert!(local.contains("url: https://github.com/ros/common_tutorials.git\n"));
        assert!(super::local_common_msgs("repositories: {}\n", release, upstream).is_err());
    }
}
