//! `cargo xtask dist`: the main job on the bundled default. A release build of rosdeb, a demo of
//! the queries on a generated 1,000-package tree and the bundled distribution files, then the
//! release path on the bundled demo packages (`fixtures/build`, released for Debian bookworm by
//! `fixtures/install/distribution.yaml`): `.deb`s built in dependency order, a signing key, a
//! signed apt repository, its listing, and lintian on the debs when it is installed. Artefacts
//! go to `target/dist/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::banner;
use crate::gen_tree::{self, Params};

mod glibc;
mod repo;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// What the release path runs besides cargo: dpkg-shlibdeps, strip and readelf, python3's venv
/// and setuptools (the client, the venv debs, zig), lintian.
const DEBIAN_PACKAGES: &[&str] =
    &["dpkg-dev", "binutils", "python3-venv", "python3-setuptools", "lintian"];

pub(crate) fn run(_args: &Args) -> anyhow::Result<()> {
    crate::ci::ensure_debian_packages(&crate::root_shell()?, "dist", DEBIAN_PACKAGES)?;
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
        "apt repo:  {} (deb [signed-by={}] file:{} <focal|jammy|noble|bookworm> main)",
        repo.display(),
        repo.join(repo::PUBLIC_KEY).display(),
        repo.display()
    );
    Ok(())
}

/// The targets of the bundled release (`fixtures/release/distribution.yaml`), as `OS:CODENAME`.
pub(crate) const TARGETS: [(&str, &str); 4] =
    [("ubuntu", "focal"), ("ubuntu", "jammy"), ("ubuntu", "noble"), ("debian", "bookworm")];

/// The ROS packages of the pyros release for `codename`, as paths of the repository: the bridge
/// node and the Python client, and the metapackage `pyros` (the two plus ROS 1) where the
/// release has ROS 1: Ubuntu noble carries no ROS 1 packages (neither the ROS archive nor
/// Ubuntu's universe), so the bridge and client there talk to a ROS master elsewhere.
fn pyros_packages(codename: &str) -> Vec<&'static str> {
    let mut packages = vec!["bridge/node", "bridge/python"];
    if codename != "noble" {
        packages.push("bridge/meta");
    }
    packages
}

/// The release path: pyros (bridge, client, metapackage) and the demo Python application for
/// every target, the bundled demo ROS packages and rosdeb itself for this host's bookworm; the
/// glibc each binary needs checked against its target's, lintian on every deb, and one signed
/// apt repository at `target/apt`, swapped in whole (see [`repo`]).
fn release(
    binary: &Path,
    root: &Path,
    out: &Path,
    host: &serde_json::Value,
    package_path: &Path,
    ros_home: &Path,
) -> anyhow::Result<PathBuf> {
    if out.exists() {
        fs_err::remove_dir_all(out)?;
    }
    fs_err::create_dir_all(out)?;
    let fixtures = root.join("fixtures");
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let release = fixtures.join("release");
    let pyros = |codename: &str| -> Vec<String> {
        pyros_packages(codename).iter().map(|p| path(&root.join(p))).collect()
    };

    // Every rosdep key of every package on every target, before anything is built.
    banner("dist: rosdep keys of the pyros packages on every target");
    preflight(binary, &pyros, &release, out, package_path, ros_home)?;

    let tools = crate::tools::ensure_zig()?;
    let search_path = std::env::join_paths(
        std::iter::once(tools)
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )?;
    let cargo_target = crate::target_dir().join("rosdeb-cargo");
    let mut debs: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for (os, codename) in TARGETS {
        let dir = out.join("debs").join(codename);
        let mut args: Vec<String> = vec!["build".into()];
        args.extend(pyros(codename));
        args.push(path(&fixtures.join("apps/pyros_topic_web")));
        args.extend(["--embed".into(), path(&root.join("bridge/python"))]);
        args.extend(
            [
                "--distro",
                "noetic",
                "--os",
                &format!("{os}:{codename}"),
                "--distro-file",
                &path(&release.join("distribution.yaml")),
                "--rosdep",
                &path(&release.join("rosdep.yaml")),
                "--out",
                &path(&dir),
                "--json",
            ]
            .map(str::to_owned),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let built = rosdeb(binary, &args, package_path, ros_home, |cmd| {
            cmd.env("PATH", &search_path).env("ROSDEB_CARGO_TARGET_DIR", &cargo_target);
        })?;
        debs.push((codename.to_owned(), built_paths(&built)?));
    }

    // The demo ROS packages (fixtures/build, released for bookworm by fixtures/install) and
    // rosdeb itself (cargo-deb, linked against this host's glibc) go to bookworm only.
    let bookworm = out.join("debs/bookworm");
    let mut demo = vec![
        path(&fixtures.join("build/demo_robot")),
        path(&fixtures.join("build/demo_description")),
    ];
    if host["name"] == "debian" && host["codename"] == "bookworm" {
        demo.push(path(&fixtures.join("build/demo_rust")));
    } else {
        eprintln!(
            "    (not Debian bookworm: the cargo package `demo_rust` is left out; it compiles only for the host)"
        );
    }
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(demo);
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
            &path(&bookworm),
            "--json",
        ]
        .map(str::to_owned),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let built = rosdeb(binary, &args, package_path, ros_home, |_| {})?;
    let mut extra = built_paths(&built)?;
    extra.push(crate::debs::rosdeb(binary, &bookworm)?);
    if let Some((_, list)) = debs.iter_mut().find(|(c, _)| c == "bookworm") {
        list.extend(extra);
    }

    banner("dist: the glibc every shipped binary needs, against its target's");
    for (codename, files) in &debs {
        for deb in files {
            glibc::check(deb, codename)?;
        }
    }

    let all: Vec<&PathBuf> = debs.iter().flat_map(|(_, files)| files).collect();
    let mut lintian = "not run";
    if Path::new("/usr/bin/lintian").exists() {
        banner(&format!("dist: lintian on the {} debs", all.len()));
        let status = Command::new("/usr/bin/lintian")
            .args(["--fail-on", "error,warning"])
            .args(&all)
            .status()
            .context("running lintian")?;
        if !status.success() {
            bail!("lintian found errors or warnings in {}", out.join("debs").display());
        }
        eprintln!("    lintian: no errors, no warnings");
        lintian = "clean";
    } else {
        eprintln!("    (lintian is not installed: apt-get install lintian to check the debs)");
    }

    let apt = crate::target_dir().join("apt");
    repo::publish(&debs, &apt, &|args| rosdeb(binary, args, package_path, ros_home, |_| {}))?;
    let listing = rosdeb(
        binary,
        &["apt", "list", "--repo", &path(&apt), "--json"],
        package_path,
        ros_home,
        |_| {},
    )?;
    let listing: serde_json::Value =
        serde_json::from_str(&listing).context("parsing `apt list --json`")?;
    summary(&listing, lintian);
    Ok(apt)
}

/// The `path` of every deb of a `rosdeb build --json` document.
fn built_paths(json: &str) -> anyhow::Result<Vec<PathBuf>> {
    let built: Vec<serde_json::Value> =
        serde_json::from_str(json).context("parsing `rosdeb build --json`")?;
    for deb in &built {
        eprintln!("    {} {} {}", deb["name"], deb["version"], deb["architecture"]);
    }
    Ok(built.iter().filter_map(|d| d["path"].as_str().map(PathBuf::from)).collect())
}

/// Resolves the rosdep keys of `packages(codename)` on every target with `rosdeb debian
/// generate --json` (into a scratch folder) and fails with one table of every missing key x
/// target.
fn preflight(
    binary: &Path,
    packages: &dyn Fn(&str) -> Vec<String>,
    release: &Path,
    out: &Path,
    package_path: &Path,
    ros_home: &Path,
) -> anyhow::Result<()> {
    // key -> package.xml files and the targets it is missing on.
    let mut missing: std::collections::BTreeMap<
        String,
        (std::collections::BTreeSet<String>, Vec<&str>),
    > = std::collections::BTreeMap::new();
    let scratch = out.join("preflight");
    for (os, codename) in TARGETS {
        let dir = scratch.join(codename);
        let mut cmd = Command::new(binary);
        cmd.args(["debian", "generate"])
            .args(packages(codename))
            .args(["--distro", "noetic", "--os", &format!("{os}:{codename}"), "--json", "--out"])
            .arg(&dir)
            .arg("--distro-file")
            .arg(release.join("distribution.yaml"))
            .arg("--rosdep")
            .arg(release.join("rosdep.yaml"));
        let output = demo_env(&mut cmd, package_path, ros_home)
            .stderr(Stdio::null())
            .output()
            .context("running `rosdeb debian generate`")?;
        if output.status.success() {
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&output.stdout).with_context(|| {
            format!("`rosdeb debian generate` failed for {os}:{codename} without a --json report")
        })?;
        for package in doc["packages"].as_array().into_iter().flatten() {
            for key in package["unresolved"].as_array().into_iter().flatten() {
                let entry =
                    missing.entry(key["key"].as_str().unwrap_or_default().to_owned()).or_default();
                entry.0.insert(package["package_xml"].as_str().unwrap_or_default().to_owned());
                if !entry.1.contains(&codename) {
                    entry.1.push(codename);
                }
            }
        }
    }
    fs_err::remove_dir_all(&scratch).ok();
    if missing.is_empty() {
        eprintln!("    every key resolves on {}", TARGETS.map(|(_, c)| c).join(", "));
        return Ok(());
    }
    let width = missing.keys().map(String::len).max().unwrap_or(3).max(3);
    let mut table = format!("{:width$}", "KEY");
    for (_, codename) in TARGETS {
        table.push_str(&format!("  {codename:8}"));
    }
    table.push_str("  USED BY\n");
    for (key, (users, targets)) in &missing {
        table.push_str(&format!("{key:width$}"));
        for (_, codename) in TARGETS {
            let mark = if targets.contains(&codename) { "MISSING" } else { "ok" };
            table.push_str(&format!("  {mark:8}"));
        }
        table.push_str(&format!("  {}\n", users.iter().cloned().collect::<Vec<_>>().join(", ")));
    }
    bail!(
        "rosdep keys without a rule, nothing was built:\n{table}hint: add the rules to {}",
        release.join("rosdep.yaml").display()
    )
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
    rosdeb(binary, args, package_path, ros_home, |_| {})
}

/// [`demo_run`] with `customize` applied to the command (its PATH, say).
fn rosdeb(
    binary: &Path,
    args: &[&str],
    package_path: &Path,
    ros_home: &Path,
    customize: impl FnOnce(&mut Command),
) -> anyhow::Result<String> {
    banner(&format!("dist: rosdeb {}", args.join(" ")));
    let mut cmd = Command::new(binary);
    cmd.args(args);
    demo_env(&mut cmd, package_path, ros_home);
    customize(&mut cmd);
    let output = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running `{}`", binary.display()))?;
    if !output.status.success() {
        bail!("`rosdeb {}` exited with {}", args.join(" "), output.status);
    }
    String::from_utf8(output.stdout).context("rosdeb printed non-UTF-8 output")
}

/// The environment of every rosdeb run of dist: the demo tree, a private `ROS_HOME`, no daemon,
/// no rosdep sources of this machine, a fixed `SOURCE_DATE_EPOCH`.
fn demo_env<'a>(cmd: &'a mut Command, package_path: &Path, ros_home: &Path) -> &'a mut Command {
    cmd.env("ROS_PACKAGE_PATH", package_path)
        .env("ROS_HOME", ros_home)
        // A one-shot job: leave no index daemon running behind it.
        .env("ROSDEB_DAEMON", "0")
        // The machine's rosdep sources may name URLs; the demo reads only bundled files.
        .env("ROSDEP_SOURCE_PATH", ros_home)
        // The same inputs give the same debs.
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("ROS_ROOT")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// The rosdeb binary of this workspace (built before any test runs by `cargo nextest run
    /// --workspace`, for rosdeb's own integration tests).
    fn rosdeb_binary() -> PathBuf {
        let binary = crate::target_dir().join("debug/rosdeb");
        assert!(binary.is_file(), "{} is missing: cargo build -p rosdeb", binary.display());
        binary
    }

    #[test]
    fn every_missing_rosdep_key_is_one_table_of_key_by_target_before_any_build() {
        let root = crate::project_root();
        let tmp = tempfile::tempdir().unwrap();
        let release = tmp.path().join("release");
        fs_err::create_dir_all(&release).unwrap();
        fs_err::copy(
            root.join("fixtures/release/distribution.yaml"),
            release.join("distribution.yaml"),
        )
        .unwrap();
        // The bundled rules less adduser on jammy and noble and all of ros_core.
        let rules = fs_err::read_to_string(root.join("fixtures/release/rosdep.yaml")).unwrap();
        let rules: String = rules
            .split_inclusive('\n')
            .filter(|l| !matches!(l.trim(), "jammy: [adduser]" | "noble: [adduser]"))
            .collect::<String>();
        let rules = rules.split("ros_core:").next().unwrap().to_owned();
        fs_err::write(release.join("rosdep.yaml"), rules).unwrap();
        let packages = |codename: &str| -> Vec<String> {
            super::pyros_packages(codename)
                .iter()
                .map(|p| root.join(p).to_string_lossy().into_owned())
                .collect()
        };
        let home = tmp.path().join("ros_home");
        fs_err::create_dir_all(&home).unwrap();
        let out = tmp.path().join("out");
        let err = super::preflight(
            &rosdeb_binary(),
            &packages,
            &release,
            &out,
            Path::new("/nonexistent"),
            &home,
        )
        .unwrap_err()
        .to_string();
        let row = |key: &str| {
            err.lines()
                .find(|l| l.starts_with(&format!("{key} ")))
                .unwrap_or_else(|| panic!("no row for {key}:\n{err}"))
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        // Columns: focal, jammy, noble, bookworm, then the package.xml files using the key.
        assert_eq!(row("adduser")[1..5], ["ok", "MISSING", "MISSING", "ok"], "{err}");
        // The metapackage is not released for noble (no ROS 1 there): no row entry.
        assert_eq!(row("ros_core")[1..5], ["MISSING", "MISSING", "ok", "MISSING"], "{err}");
        assert!(row("ros_core")[5].ends_with("bridge/meta/package.xml"), "{err}");
        assert!(err.contains("nothing was built"), "{err}");
        assert!(!out.join("debs").exists());
        // The bundled rules resolve everything.
        super::preflight(
            &rosdeb_binary(),
            &packages,
            &root.join("fixtures/release"),
            &out,
            Path::new("/nonexistent"),
            &home,
        )
        .unwrap();
    }
}
