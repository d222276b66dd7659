//! `cargo xtask dist`: the main job on the bundled default. A release build of rosdeb, a demo of
//! the queries on a generated 1,000-package tree and the bundled distribution files, then the
//! release path on the bundled demo packages (`fixtures/build`, released for Debian bookworm by
//! `fixtures/install/distribution.yaml`): `.deb`s built in dependency order, a signing key, a
//! signed apt repository, its listing, and lintian on the debs when it is installed. Artefacts
//! go to `target/dist/`.

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

    let host: serde_json::Value = serde_json::from_str(&os).context("parsing `os --json`")?;
    let out = crate::target_dir().join("dist");
    let repo = release(&binary, &root, &out, &host, &package_path, &ros_home)?;

    banner("dist: done");
    eprintln!("binary:    {}", binary.display());
    eprintln!("demo tree: {} (ROS_PACKAGE_PATH={})", tree.display(), package_path.display());
    eprintln!("debs:      {}", out.join("debs").display());
    eprintln!(
        "apt repo:  {} (deb [signed-by={}] file:{} bookworm main)",
        repo.display(),
        out.join("repo.asc").display(),
        repo.display()
    );
    Ok(())
}

/// The release path on the bundled demo packages: build, sign, publish, list, lint. The
/// compiled package (`demo_rust`, cargo only) is built when this machine is Debian bookworm,
/// the target of the bundled distribution; the others need no compiler.
fn release(
    binary: &Path,
    root: &Path,
    out: &Path,
    host: &serde_json::Value,
    package_path: &Path,
    ros_home: &Path,
) -> anyhow::Result<std::path::PathBuf> {
    if out.exists() {
        fs_err::remove_dir_all(out)?;
    }
    fs_err::create_dir_all(out)?;
    let fixtures = root.join("fixtures");
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let mut packages = vec![
        path(&fixtures.join("build/demo_robot")),
        path(&fixtures.join("build/demo_description")),
    ];
    if host["name"] == "debian" && host["codename"] == "bookworm" {
        packages.push(path(&fixtures.join("build/demo_rust")));
    } else {
        eprintln!(
            "    (not Debian bookworm: the cargo package `demo_rust` is left out; it compiles only for the host)"
        );
    }
    let debs = out.join("debs");
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(packages);
    args.extend(
        [
            "--distro",
            "noetic",
            "--os",
            "debian:bookworm",
            "--distro-file",
            &path(&fixtures.join("install/distribution.yaml")),
            "--rosdep",
            &path(&fixtures.join("install/rosdep.yaml")),
            "--rosdep",
            &path(&fixtures.join("build/rosdep.yaml")),
            "--out",
            &path(&debs),
            "--json",
        ]
        .map(str::to_owned),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let built = demo_run(binary, &args, package_path, ros_home)?;
    let built: Vec<serde_json::Value> =
        serde_json::from_str(&built).context("parsing `rosdeb build --json`")?;
    let mut files: Vec<String> =
        built.iter().filter_map(|d| d["path"].as_str().map(str::to_owned)).collect();
    for deb in &built {
        eprintln!("    {} {} {}", deb["name"], deb["version"], deb["architecture"]);
    }
    // rosdeb itself, packaged with cargo-deb for the host.
    files.push(path(&crate::debs::rosdeb(binary, &debs)?));

    let (secret, public) = (out.join("repo.key"), out.join("repo.asc"));
    demo_run(
        binary,
        &[
            "apt",
            "key",
            "generate",
            "--out-secret",
            &path(&secret),
            "--out-public",
            &path(&public),
            "--name",
            "rosdeb dist demo",
        ],
        package_path,
        ros_home,
    )?;
    let repo = out.join("repo");
    let mut args: Vec<&str> = vec!["apt", "publish"];
    args.extend(files.iter().map(String::as_str));
    let (repo_arg, secret_arg) = (path(&repo), path(&secret));
    args.extend([
        "--repo",
        &repo_arg,
        "--codename",
        "bookworm",
        "--arch",
        "amd64",
        "--sign-key",
        &secret_arg,
    ]);
    demo_run(binary, &args, package_path, ros_home)?;
    let listing =
        demo_run(binary, &["apt", "list", "--repo", &repo_arg, "--json"], package_path, ros_home)?;
    let listing: serde_json::Value =
        serde_json::from_str(&listing).context("parsing `apt list --json`")?;
    let mut lintian = "not run";
    if Path::new("/usr/bin/lintian").exists() {
        banner("dist: lintian on the debs");
        let status = Command::new("/usr/bin/lintian")
            .args(["--fail-on", "error,warning"])
            .args(&files)
            .status()
            .context("running lintian")?;
        if !status.success() {
            bail!("lintian found errors or warnings in {}", debs.display());
        }
        eprintln!("    lintian: no errors, no warnings");
        lintian = "clean";
    } else {
        eprintln!("    (lintian is not installed: apt-get install lintian to check the debs)");
    }
    summary(&listing, lintian);
    Ok(repo)
}

/// The closing table: every package of the published repository with its codename, version,
/// architecture, size and lintian verdict.
fn summary(listing: &serde_json::Value, lintian: &str) {
    banner("dist: summary");
    let mut rows = vec![[
        "codename".to_owned(),
        "package".to_owned(),
        "version".to_owned(),
        "arch".to_owned(),
        "bytes".to_owned(),
        "lintian".to_owned(),
    ]];
    for suite in listing["codenames"].as_array().into_iter().flatten() {
        for package in suite["packages"].as_array().into_iter().flatten() {
            let text = |key: &str| package[key].as_str().unwrap_or_default().to_owned();
            rows.push([
                suite["codename"].as_str().unwrap_or_default().to_owned(),
                text("name"),
                text("version"),
                text("architecture"),
                package["size"].as_u64().unwrap_or_default().to_string(),
                lintian.to_owned(),
            ]);
        }
    }
    let widths: Vec<usize> =
        (0..6).map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0)).collect();
    for row in &rows {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        eprintln!("    {}", cells.join("  ").trim_end());
    }
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
        // A one-shot job: leave no index daemon running behind it.
        .env("ROSDEB_DAEMON", "0")
        // The machine's rosdep sources may name URLs; the demo reads only bundled files.
        .env("ROSDEP_SOURCE_PATH", ros_home)
        // The same inputs give the same debs.
        .env("SOURCE_DATE_EPOCH", "1700000000")
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
