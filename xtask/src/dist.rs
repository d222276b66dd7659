//! `cargo xtask dist`: release artefacts. For now a release build of rosdeb plus a demo run on a
//! generated 1,000-package tree; the Debian release pipeline (cargo deb, lintian) is not built yet.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::banner;
use crate::gen_tree::{self, Params};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<()> {
    let binary = crate::build_rosdeb_release()?;
    let demo = crate::target_dir().join("dist-demo");
    let tree = demo.join("tree");
    let meta = gen_tree::ensure_tree(&tree, &Params::with_packages(1000))?;
    let ros_home = demo.join("ros_home");
    fs_err::create_dir_all(&ros_home)?;
    let package_path = tree.join("ws");

    let list = demo_run(&binary, &["rospack", "list"], &package_path, &ros_home)?;
    let listed = list.lines().filter(|l| !l.trim().is_empty()).count();
    eprintln!("    {listed} packages listed (the tree has {})", meta.packages);
    if list.lines().filter(|l| l.starts_with("pkg_")).count() != meta.packages {
        bail!("`rosdeb rospack list` did not list the {} generated packages", meta.packages);
    }

    let deps = demo_run(&binary, &["pkg", "deps", &meta.deep], &package_path, &ros_home)?;
    let first: Vec<&str> = deps.lines().take(5).collect();
    eprintln!(
        "    {} output lines for {} (closure of {} packages per meta.json); first lines:",
        deps.lines().count(),
        meta.deep,
        meta.deep_closure
    );
    for line in first {
        eprintln!("      {line}");
    }

    // The distribution side, on the real files bundled in fixtures/rosdistro.
    let root = crate::project_root();
    let rosdistro = root.join("fixtures/rosdistro");
    let index = rosdistro.join("index-v4.yaml");
    let packages = demo_run(
        &binary,
        &[
            "distro",
            "packages",
            "--index",
            &index.to_string_lossy(),
            "--distro",
            "noetic",
            "--json",
        ],
        &package_path,
        &ros_home,
    )?;
    let doc: serde_json::Value =
        serde_json::from_str(&packages).context("parsing `distro packages --json`")?;
    eprintln!("    noetic releases {} packages", doc.as_object().map_or(0, serde_json::Map::len));
    let os = demo_run(&binary, &["os", "--json"], &package_path, &ros_home)?;
    eprintln!("    this machine: {}", os.split_whitespace().collect::<Vec<_>>().join(" "));
    let resolved = demo_run(
        &binary,
        &[
            "resolve",
            "boost",
            "roscpp",
            "--os",
            "ubuntu:focal",
            "--rosdep",
            &rosdistro.join("rosdep/base.yaml").to_string_lossy(),
            "--distro-file",
            &rosdistro.join("noetic/distribution.yaml").to_string_lossy(),
        ],
        &package_path,
        &ros_home,
    )?;
    for line in resolved.lines() {
        eprintln!("    {line}");
    }

    banner("dist: done");
    eprintln!("binary:    {}", binary.display());
    eprintln!("demo tree: {} (ROS_PACKAGE_PATH={})", tree.display(), package_path.display());
    eprintln!(
        "note: the Debian release pipeline (cargo deb, man page, completions, lintian) is not built yet;"
    );
    eprintln!("      `cargo xtask dist` only builds the release binary and runs this demo");
    Ok(())
}

/// Runs `rosdeb ARGS` on the demo tree with a private `ROS_HOME`; returns its stdout.
fn demo_run(
    binary: &Path,
    args: &[&str],
    package_path: &Path,
    ros_home: &Path,
) -> anyhow::Result<String> {
    banner(&format!("dist: ROS_PACKAGE_PATH={} rosdeb {}", package_path.display(), args.join(" ")));
    let output = Command::new(binary)
        .args(args)
        .env("ROS_PACKAGE_PATH", package_path)
        .env("ROS_HOME", ros_home)
        // The machine's rosdep sources may name URLs; the demo reads only bundled files.
        .env("ROSDEP_SOURCE_PATH", ros_home)
        .env_remove("ROS_ROOT")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running `{}`", binary.display()))?;
    if !output.status.success() {
        bail!("`rosdeb {}` exited with {}", args.join(" "), output.status);
    }
    String::from_utf8(output.stdout).context("rosdeb printed non-UTF-8 output")
}
