//! Project automation: `cargo xtask <task>`, one module per task.
//!
//! Layout:
//! - [`ci`]: exactly what CI runs (fmt, clippy, tests).
//! - [`gen_tree`]: the deterministic synthetic ROS tree generator.
//! - [`bench`]: benchmarks against the C++ and Python tools (`bench crawl`, ...).
//! - [`dist`]: the main job on the bundled default (release build, demo, debs, signed repo).
//! - [`fuzz`]: long runs of the property-based fuzz targets.
//! - [`e2e`]: the published debs installed and exercised in fresh Debian and Ubuntu roots.

mod bench;
mod ci;
mod debs;
mod dist;
mod e2e;
mod fuzz;
mod gen_tree;
mod tools;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Project automation for the rosdeb workspace"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run exactly what CI runs: fmt --check, clippy -D warnings, the tests.
    Ci(ci::Args),
    /// Generate a deterministic synthetic ROS source tree (wet packages, rosbuild stacks,
    /// metapackages, ignored shadows).
    GenTree(gen_tree::Args),
    /// Benchmark rosdeb against the C++ and Python tools.
    #[command(subcommand)]
    Bench(bench::Bench),
    /// The main job on the bundled default: release build, query demo, demo packages to .debs
    /// and a signed apt repository (target/dist/).
    Dist(dist::Args),
    /// Install and exercise the debs of target/apt in fresh debootstrapped roots (bookworm:
    /// ros-core, the bridge as its unit says, pyros-topic-web, a service, purge; focal and
    /// jammy: the bridge's selftest). Needs root.
    E2e(e2e::Args),
    /// Run the property-based fuzz targets with fresh seeds for a while (`--minutes N`).
    Fuzz(fuzz::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Ci(args) => ci::run(&args),
        Task::GenTree(args) => gen_tree::run(&args),
        Task::Bench(bench) => bench::run(bench),
        Task::Dist(args) => dist::run(&args),
        Task::Fuzz(args) => fuzz::run(&args),
        Task::E2e(args) => e2e::run(&args),
    };
    if let Err(err) = result {
        eprintln!("error: {err}");
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(1);
    }
}

/// The workspace root (the parent of this crate's directory).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Cargo's target directory (`CARGO_TARGET_DIR` if set, else `<root>/target`).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => project_root().join(dir),
        _ => project_root().join("target"),
    }
}

/// `cargo build --release -p rosdeb`; returns the path of the binary.
fn build_rosdeb_release() -> anyhow::Result<PathBuf> {
    let sh = root_shell()?;
    banner("building rosdeb (release)");
    xshell::cmd!(sh, "cargo build --release -p rosdeb")
        .run()
        .context("building rosdeb in release mode")?;
    let binary = target_dir().join("release/rosdeb");
    anyhow::ensure!(binary.exists(), "`{}` is missing after the build", binary.display());
    Ok(binary)
}

/// A `Shell` whose working directory is the workspace root.
fn root_shell() -> anyhow::Result<xshell::Shell> {
    let sh = xshell::Shell::new()?;
    sh.change_dir(project_root());
    Ok(sh)
}

/// Prints a step banner on stderr.
fn banner(text: &str) {
    eprintln!();
    eprintln!("==> {text}");
}
