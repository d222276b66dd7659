//! `rosdeb release --distro NAME [--os OS:CODENAME]... [PACKAGE...] --repo DIR`: the
//! buildfarm's job on one machine. For every package of the distribution (or those named and
//! the released packages they need) and every target (the distribution's Debian and Ubuntu
//! release_platforms, or `--os`): the sources come from the release repository with git2
//! (bloom's `debian/<debpkg>_<version>_<codename>` tag, its debian/ used as bloom left it; else
//! the release tag, debian/ generated; an http(s) repository is fetched into a local bare copy
//! under `<work>/mirrors/`, which `--plan` reads without fetching) or a `--sources` folder;
//! packages are built in dependency order (`--jobs N` builds independent ones in parallel) and
//! published into the signed repository.
//!
//! Before any work, one table lists every rosdep key that does not resolve, per target; those
//! packages (and what needs them) are not built, the others are. **Incremental**: a package
//! whose inputs (its source tree, the resolved dependencies, its dependencies' inputs, the
//! target, this rosdeb binary, `SOURCE_DATE_EPOCH`) are those of the .deb recorded under
//! `<work>/state/` is not rebuilt, and a codename whose debs are those last published is not
//! published again; so a second run with nothing changed builds nothing. Records are written
//! after their .deb and the repository is swapped in whole by `apt publish`, so an interrupted
//! run resumes where it stopped.
//!
//! `--plan` prints the job graph (package x target nodes with their sources, input hash, level
//! and build dependencies) and builds nothing; `--json` makes it the `ReleasePlan` document.
//! stdout: the .deb paths (or the `ReleaseReport` with `--json`); stderr: the key table,
//! progress, errors and the summary table. Exit 0 when everything was built (or unchanged)
//! and published, 1 when anything failed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use debgen::generate::{self, Target as DebTarget};
use rospkg::environment::Environment;
use rospkg::rosdep::Target;
use sha2::{Digest as _, Sha256};

use super::build::{Builder, Via, print_error, progress_bar};
use super::debian::ReleaseArgs;
use super::resolve::{RuleInputs, load_rules, require_distro};
use crate::exit::{Hinted, Status};
use crate::json;

mod plan;
mod state;

use plan::{Graph, SourceKind, node_id};

/// The Debian-family OSes a release builds for when `--os` is not given.
const DEBIAN_OSES: &[&str] = &["debian", "ubuntu"];

/// `rosdeb release` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Release only these packages and the released packages they need [default: all the
    /// distribution releases].
    #[arg(value_name = "PACKAGE")]
    packages: Vec<String>,
    /// The ROS distribution (e.g. noetic), read through $ROSDISTRO_INDEX_URL unless --distro-file.
    #[arg(long, value_name = "NAME")]
    distro: String,
    /// The distribution's distribution.yaml, or its rosdistro cache (`<distro>-cache.yaml[.gz]`,
    /// whose package.xml files the plan reads), as a path or file:// URL, instead of the index.
    #[arg(long, value_name = "FILE")]
    distro_file: Option<String>,
    /// A target, OS:CODENAME (repeatable) [default: the distribution's Debian and Ubuntu
    /// release_platforms].
    #[arg(long = "os", value_name = "OS:CODENAME")]
    os: Vec<Target>,
    /// A rosdep rule file (path, file:// or http(s):// URL), before the sources lists; repeatable.
    #[arg(long = "rosdep", value_name = "FILE")]
    rosdep: Vec<String>,
    /// A folder of package sources, for packages whose release repository is not local or has
    /// no release tag (repeatable; searched for package.xml files).
    #[arg(long, value_name = "DIR")]
    sources: Vec<PathBuf>,
    /// Only the packages named, not the released packages they need (built by an earlier run
    /// or job).
    #[arg(long)]
    no_deps: bool,
    /// The apt repository to publish into (created when missing).
    #[arg(long, value_name = "DIR", required_unless_present_any = ["plan", "no_publish"])]
    repo: Option<PathBuf>,
    /// Build, but publish nothing (the debs stay in <work>/debs/<codename>/).
    #[arg(long)]
    no_publish: bool,
    /// Sign the repository with this secret key (`rosdeb apt key generate`).
    #[arg(long, value_name = "FILE")]
    sign_key: Option<PathBuf>,
    /// Also index this architecture (repeatable) [default: this host's, when a codename has
    /// only `all` packages].
    #[arg(long = "arch", value_name = "ARCH")]
    architectures: Vec<String>,
    /// A root directory of a target to compile its packages in, OS:CODENAME=DIR (repeatable;
    /// needs root); without one, compiling packages are built for the host's codename only.
    #[arg(long, value_name = "OS:CODENAME=DIR", value_parser = parse_chroot)]
    chroot: Vec<(Target, PathBuf)>,
    /// The work folder: checked-out sources, debs and build logs, the incremental state.
    #[arg(long, value_name = "DIR", default_value = "rosdeb-work")]
    work: PathBuf,
    /// Build up to N independent packages at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    jobs: u32,
    /// Print the job graph and build nothing.
    #[arg(long)]
    plan: bool,
    /// Print a JSON document (the plan with --plan, else the report of the run).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    fetch: crate::fetch::FetchArgs,
}

/// The command line facts a plan records, so a CI job can run the same release.
pub(super) struct Invocation<'a> {
    pub(super) distro: &'a str,
    pub(super) distro_file: Option<&'a str>,
    pub(super) rosdep: &'a [String],
    pub(super) sources: &'a [PathBuf],
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let env = Environment::from_process();
    let fetcher = crate::fetch::Fetcher::new(args.fetch.options())?;
    let probe =
        RuleInputs::distribution_only(&args.distro, args.distro_file.as_deref(), &args.fetch);
    let distribution = require_distro(&probe, &env, &fetcher)?;
    for p in &args.packages {
        if !distribution.release_packages.contains_key(p) {
            return Err(Hinted::error(
                format!("the {} distribution releases no package `{p}`", args.distro),
                "check the name with `rosdeb distro packages`, or add its repository to \
                 distribution.yaml",
            ));
        }
    }
    let specs = targets(&distribution, &args.os)?;
    let first = ReleaseArgs {
        distro: args.distro.clone(),
        distro_file: args.distro_file.clone(),
        target: specs[0].clone(),
        rosdep: args.rosdep.clone(),
        inc: 0,
    };
    let (ros_version, python_version) = first.index_versions(&args.fetch, &env)?;
    let deb_targets: Vec<DebTarget> = specs
        .iter()
        .map(|t| DebTarget {
            distro: args.distro.clone(),
            os: t.os.clone(),
            codename: t.codename.clone(),
            ros_version,
            python_version,
        })
        .collect();
    let package_xmls = match &args.distro_file {
        Some(file) => crate::commands::distro::load_release_package_xmls(&fetcher, file)?,
        None => None,
    };
    // Release repositories over http(s) are read through local copies under the work folder.
    let mirrors = args.work.join("mirrors");
    let graph = plan::build(&plan::Inputs {
        distribution: &distribution,
        targets: deb_targets,
        packages: &args.packages,
        no_deps: args.no_deps,
        sources: &args.sources,
        package_xmls: package_xmls.as_ref(),
        remote: if args.plan {
            release::checkout::Remote::Offline(&mirrors)
        } else {
            release::checkout::Remote::Fetch(&mirrors)
        },
    })?;
    let invocation = Invocation {
        distro: &args.distro,
        distro_file: args.distro_file.as_deref(),
        rosdep: &args.rosdep,
        sources: &args.sources,
    };
    if !graph.cycles.is_empty() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: dependency cycle: {} are left out\n  hint: remove one of the build \
             dependencies between these packages",
            graph.cycles.join(", ")
        );
    }
    if args.plan {
        print_plan(&graph, &invocation, args.json)?;
        return Ok(if graph.cycles.is_empty() { Status::Success } else { Status::Failure });
    }

    let mut warnings = String::new();
    let keys: BTreeSet<String> =
        graph.manifests.values().flat_map(|m| &m.dependencies).map(|d| d.name.clone()).collect();
    let inputs = RuleInputs { rosdep: &args.rosdep, targets: &specs, keys: Some(&keys), ..probe };
    let (rules, _) = load_rules(&inputs, &env, &mut warnings)?;
    let _ = std::io::stderr().lock().write_all(warnings.as_bytes());
    let epoch = debgen::deb::DebBuilder::source_date_epoch_from_env()?;
    let peers: BTreeMap<String, String> =
        graph.nodes.iter().map(|n| (n.package.clone(), n.debian_package.clone())).collect();
    let builders: Vec<Builder<'_>> = graph
        .targets
        .iter()
        .zip(&specs)
        .map(|(target, spec)| Builder {
            env: env.clone(),
            rules: &rules,
            distribution: Some(&distribution),
            target: target.clone(),
            spec: spec.clone(),
            peers: peers.clone(),
            templates: debgen::templates::Templates::default(),
            epoch,
            inc: 0,
            out: args.work.join("debs").join(&spec.codename),
            chroot: args.chroot.iter().find(|(t, _)| t == spec).map(|(_, dir)| dir.clone()),
            via: Via::Native,
            host: std::sync::OnceLock::new(),
        })
        .collect();

    let mut outcomes: Vec<Option<Outcome>> = (0..graph.nodes.len()).map(|_| None).collect();
    let resolved = unresolved_table(&graph, &builders, &mut outcomes);
    let run = Run {
        graph: &graph,
        builders: &builders,
        resolved,
        store: state::Store::new(&args.work),
        work: &args.work,
        identity: crate::daemon::identity(),
    };
    run.execute(&mut outcomes, args.jobs as usize);
    let outcomes: Vec<Outcome> =
        outcomes.into_iter().map(|o| o.unwrap_or_else(|| Outcome::failed("not run"))).collect();

    let mut failed =
        outcomes.iter().any(|o| matches!(o.status, NodeStatus::Failed | NodeStatus::Skipped));
    let mut published_to = None;
    if let (Some(repo), false) = (&args.repo, args.no_publish) {
        match publish(&run, &outcomes, repo, &args) {
            Ok(()) => published_to = Some(repo.display().to_string()),
            Err(e) => {
                print_error("publish", &e);
                failed = true;
            }
        }
    }
    summary(&graph, &outcomes);
    let mut text = String::new();
    if args.json {
        let report = json::ReleaseReport {
            schema: json::SCHEMA,
            packages: graph
                .nodes
                .iter()
                .zip(&outcomes)
                .map(|(n, o)| json::ReleasedPackage {
                    package: n.package.clone(),
                    version: o.version.clone().unwrap_or_else(|| n.version.clone()),
                    target: target_name(&graph.targets[n.target]),
                    status: o.status.name().to_owned(),
                    deb: o.deb.as_ref().map(|p| p.display().to_string()),
                    sha256: o.sha256.clone(),
                    seconds: o.seconds,
                    error: o.error.clone(),
                })
                .collect(),
            repository: published_to,
        };
        text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
    } else {
        for o in &outcomes {
            if let Some(deb) = &o.deb {
                let _ = writeln!(text, "{}", deb.display());
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    Ok(if failed { Status::Failure } else { Status::Success })
}

/// `--os` as given, else the distribution's Debian and Ubuntu release_platforms.
fn targets(
    distribution: &rospkg::distro::distribution::DistributionFile,
    given: &[Target],
) -> anyhow::Result<Vec<Target>> {
    let mut out: Vec<Target> = Vec::new();
    if given.is_empty() {
        for (os, codenames) in &distribution.release_platforms {
            if DEBIAN_OSES.contains(&os.as_str()) {
                out.extend(
                    codenames.iter().map(|c| Target { os: os.clone(), codename: c.clone() }),
                );
            }
        }
    } else {
        for t in given {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    if let Some(bad) = out.iter().find(|t| !is_name(&t.os) || !is_name(&t.codename)) {
        return Err(Hinted::error(
            format!(
                "target `{}` is not OS:CODENAME in lowercase letters and digits",
                bad.to_string().escape_debug()
            ),
            "fix release_platforms in distribution.yaml, or pass --os debian:bookworm",
        ));
    }
    if out.is_empty() {
        return Err(Hinted::error(
            "no Debian or Ubuntu target to release for",
            "check release_platforms in distribution.yaml, or pass --os OS:CODENAME",
        ));
    }
    Ok(out)
}

/// `OS:CODENAME=DIR`.
fn parse_chroot(value: &str) -> Result<(Target, PathBuf), String> {
    let (target, dir) =
        value.split_once('=').ok_or_else(|| "expected OS:CODENAME=DIR".to_owned())?;
    let target: Target =
        target.parse().map_err(|e: <Target as std::str::FromStr>::Err| e.to_string())?;
    if dir.is_empty() {
        return Err("expected OS:CODENAME=DIR".into());
    }
    Ok((target, PathBuf::from(dir)))
}

/// A name that is safe in a path and a Debian version: lowercase ASCII letters and digits.
fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn target_name(t: &DebTarget) -> String {
    format!("{}:{}", t.os, t.codename)
}

/// Prints the plan: the JSON document, or one line per node.
fn print_plan(graph: &Graph, invocation: &Invocation<'_>, as_json: bool) -> anyhow::Result<()> {
    let doc = graph.to_json(invocation);
    let mut text = String::new();
    if as_json {
        text = serde_json::to_string_pretty(&doc)?;
        text.push('\n');
    } else {
        let _ = writeln!(text, "LEVEL  NODE  SOURCE  NEEDS");
        for n in &doc.nodes {
            let source = n.source.as_ref().map_or("unknown".to_owned(), |s| match &s.reference {
                Some(r) => format!("{}:{r}", s.kind),
                None => format!("{}:{}", s.kind, s.location),
            });
            let _ = writeln!(text, "{}  {}  {source}  {}", n.level, n.id, n.depends.join(" "));
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    let _ = writeln!(
        std::io::stderr().lock(),
        "{} nodes ({} packages x {} targets), {} levels, critical path {} nodes; {} packages \
         with unknown sources",
        doc.nodes.len(),
        doc.nodes.iter().map(|n| &n.package).collect::<BTreeSet<_>>().len(),
        doc.targets.len(),
        doc.levels,
        doc.critical_path.len(),
        doc.unknown.len()
    );
    Ok(())
}

/// What happened to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeStatus {
    Built,
    Unchanged,
    Failed,
    Skipped,
}

impl NodeStatus {
    fn name(self) -> &'static str {
        match self {
            NodeStatus::Built => "built",
            NodeStatus::Unchanged => "unchanged",
            NodeStatus::Failed => "failed",
            NodeStatus::Skipped => "skipped",
        }
    }
}

/// The result of one node.
#[derive(Debug, Clone)]
struct Outcome {
    status: NodeStatus,
    key: Option<String>,
    deb: Option<PathBuf>,
    sha256: Option<String>,
    version: Option<String>,
    architecture: Option<String>,
    seconds: f64,
    error: Option<String>,
}

impl Outcome {
    fn failed(error: impl Into<String>) -> Outcome {
        Outcome {
            status: NodeStatus::Failed,
            key: None,
            deb: None,
            sha256: None,
            version: None,
            architecture: None,
            seconds: 0.0,
            error: Some(error.into()),
        }
    }
}

/// Resolves every node's rosdep keys; prints one table of those that do not resolve (key x
/// target) and fails their nodes. Returns the resolved dependencies of the others.
fn unresolved_table(
    graph: &Graph,
    builders: &[Builder<'_>],
    outcomes: &mut [Option<Outcome>],
) -> Vec<Option<generate::Depends>> {
    let mut resolved = Vec::with_capacity(graph.nodes.len());
    // key -> target -> (reason, packages)
    let mut table: BTreeMap<String, BTreeMap<usize, (String, BTreeSet<String>)>> = BTreeMap::new();
    for (i, n) in graph.nodes.iter().enumerate() {
        let Some(m) = graph.manifests.get(&n.package) else {
            resolved.push(None);
            continue;
        };
        let b = &builders[n.target];
        match generate::resolve(m, b.rules, &b.target, &b.peers) {
            Ok(d) => resolved.push(Some(d)),
            Err(list) => {
                let keys: Vec<&str> = list.iter().map(|u| u.key.as_str()).collect();
                outcomes[i] = Some(Outcome::failed(format!(
                    "rosdep keys do not resolve on {}: {}",
                    target_name(&b.target),
                    keys.join(", ")
                )));
                for u in list {
                    let cell = table.entry(u.key.clone()).or_default().entry(n.target).or_default();
                    cell.0 = u.reason.clone();
                    cell.1.insert(n.package.clone());
                }
                resolved.push(None);
            }
        }
    }
    if table.is_empty() {
        return resolved;
    }
    let mut head = vec!["KEY".to_owned()];
    head.extend(graph.targets.iter().map(target_name));
    head.push("PACKAGES".to_owned());
    let mut rows = vec![head];
    for (key, cells) in &table {
        let mut row = vec![key.clone()];
        for t in 0..graph.targets.len() {
            row.push(cells.get(&t).map_or_else(|| "ok".to_owned(), |c| c.0.clone()));
        }
        let packages: BTreeSet<&String> = cells.values().flat_map(|c| &c.1).collect();
        row.push(packages.into_iter().cloned().collect::<Vec<_>>().join(", "));
        rows.push(row);
    }
    let mut text = format!(
        "error: {} rosdep key{} not resolve; the packages that need them are not built:\n",
        table.len(),
        if table.len() == 1 { " does" } else { "s do" }
    );
    text.push_str(&columns(&rows, "  "));
    text.push_str(
        "  hint: add rules for these keys to a rosdep YAML file and pass it with --rosdep FILE\n",
    );
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    resolved
}

/// Rows as aligned columns, each line indented.
fn columns(rows: &[Vec<String>], indent: &str) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            if widths.len() <= i {
                widths.push(0);
            }
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let mut line = indent.to_owned();
        for (i, c) in row.iter().enumerate() {
            let _ = write!(line, "{c:w$}  ", w = widths[i]);
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text
}

/// One run's shared, read-only facts.
struct Run<'a> {
    graph: &'a Graph,
    builders: &'a [Builder<'a>],
    resolved: Vec<Option<generate::Depends>>,
    store: state::Store,
    work: &'a Path,
    /// This rosdeb binary ([`crate::daemon::identity`]), an input of every build.
    identity: String,
}

/// The scheduler's state.
struct Queue {
    outcomes: Vec<Option<Outcome>>,
    /// Nodes whose dependencies are all done, not started yet.
    ready: Vec<usize>,
    /// Dependencies not done yet, per node.
    waiting: Vec<usize>,
    running: BTreeSet<usize>,
}

impl Run<'_> {
    /// Runs every node not already decided, dependencies first, on `jobs` threads.
    fn execute(&self, outcomes: &mut Vec<Option<Outcome>>, jobs: usize) {
        let nodes = &self.graph.nodes;
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            for &d in &n.depends {
                dependents[d].push(i);
            }
        }
        let waiting: Vec<usize> = nodes.iter().map(|n| n.depends.len()).collect();
        let ready: Vec<usize> = (0..nodes.len()).filter(|&i| waiting[i] == 0).rev().collect();
        let queue = Mutex::new(Queue {
            outcomes: std::mem::take(outcomes),
            ready,
            waiting,
            running: BTreeSet::new(),
        });
        let wake = Condvar::new();
        let bar = progress_bar(nodes.len());
        let lock = || queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let worker = || loop {
            let mut q = lock();
            let i = loop {
                if let Some(i) = q.ready.pop() {
                    break Some(i);
                }
                if q.running.is_empty() {
                    break None;
                }
                q = wake.wait(q).unwrap_or_else(std::sync::PoisonError::into_inner);
            };
            let Some(i) = i else {
                wake.notify_all();
                return;
            };
            q.running.insert(i);
            let decided = q.outcomes[i].clone();
            let failed_dep = nodes[i].depends.iter().copied().find(|&d| {
                q.outcomes[d]
                    .as_ref()
                    .is_some_and(|o| matches!(o.status, NodeStatus::Failed | NodeStatus::Skipped))
            });
            let dep_keys: Vec<Option<String>> = nodes[i]
                .depends
                .iter()
                .map(|&d| q.outcomes[d].as_ref().and_then(|o| o.key.clone()))
                .collect();
            let names: Vec<String> = q
                .running
                .iter()
                .map(|&r| node_id(&nodes[r].package, &self.graph.targets[nodes[r].target]))
                .collect();
            bar.set_message(names.join(" "));
            drop(q);

            let outcome = match (decided, failed_dep) {
                (Some(o), _) => o,
                (None, Some(d)) => Outcome {
                    status: NodeStatus::Skipped,
                    error: Some(format!(
                        "not built: its build dependency `{}` failed",
                        nodes[d].package
                    )),
                    ..Outcome::failed("")
                },
                (None, None) => {
                    let start = Instant::now();
                    let mut o = self.node(i, &dep_keys).unwrap_or_else(|e| {
                        let o = Outcome::failed(format_error(&e));
                        bar.suspend(|| {
                            print_error(
                                &node_id(&nodes[i].package, &self.graph.targets[nodes[i].target]),
                                &e,
                            )
                        });
                        o
                    });
                    o.seconds = start.elapsed().as_secs_f64();
                    o
                }
            };
            let mut q = lock();
            q.running.remove(&i);
            q.outcomes[i] = Some(outcome);
            for &j in &dependents[i] {
                q.waiting[j] -= 1;
                if q.waiting[j] == 0 {
                    q.ready.push(j);
                }
            }
            bar.inc(1);
            wake.notify_all();
        };
        std::thread::scope(|s| {
            for _ in 0..jobs.min(nodes.len()).max(1) {
                s.spawn(worker);
            }
        });
        bar.finish_and_clear();
        *outcomes = queue.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).outcomes;
    }

    /// Builds node `i`, or finds its .deb unchanged.
    fn node(&self, i: usize, dep_keys: &[Option<String>]) -> anyhow::Result<Outcome> {
        let n = &self.graph.nodes[i];
        let target = &self.graph.targets[n.target];
        let (Some(source), Some(hash)) = (&n.source, &n.hash) else {
            return Err(Hinted::error(
                n.problem.clone().unwrap_or_else(|| "its sources were not found".into()),
                "point the distribution's release url at a local release repository, or pass \
                 --sources DIR with the package's sources",
            ));
        };
        let builder = &self.builders[n.target];
        let key =
            input_key(hash, self.resolved[i].as_ref(), dep_keys, builder.epoch, &self.identity);
        let codename = &target.codename;
        if let Some(built) = self.store.built(codename, &n.package)
            && built.key == key
        {
            let deb = builder.out.join(&built.deb);
            if file_sha256(&deb).is_ok_and(|sha| sha == built.sha256) {
                return Ok(Outcome {
                    status: NodeStatus::Unchanged,
                    key: Some(key),
                    deb: Some(deb),
                    sha256: Some(built.sha256),
                    version: Some(built.version),
                    architecture: None,
                    seconds: 0.0,
                    error: None,
                });
            }
        }
        let dir = self.checkout(source)?;
        let mut package = super::build::load(&dir);
        if let Some(e) = package.error.take() {
            anyhow::bail!("{e}");
        }
        if package.name != n.package {
            anyhow::bail!(
                "`{}` holds package `{}`, not `{}`",
                dir.display(),
                package.name,
                n.package
            );
        }
        if source.kind == SourceKind::DebianTag {
            package.debian =
                Some(read_debian(&dir, source.reference.as_deref().unwrap_or_default())?);
        }
        let deb = builder.build_one(&package)?;
        let file = deb
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .context("the .deb has no file name")?;
        self.store.set_built(
            codename,
            &n.package,
            &state::Built {
                key: key.clone(),
                deb: file,
                sha256: deb.sha256.clone(),
                version: deb.version.clone(),
            },
        )?;
        Ok(Outcome {
            status: NodeStatus::Built,
            key: Some(key),
            deb: Some(deb.path),
            sha256: Some(deb.sha256),
            version: Some(deb.version),
            architecture: Some(deb.architecture),
            seconds: 0.0,
            error: None,
        })
    }

    /// The package's folder: a `--sources` folder as it is, a git tree exported once into
    /// `<work>/src/<tree id>` (content-addressed, so an unchanged tree is not written again).
    fn checkout(&self, source: &plan::Source) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &source.dir {
            return Ok(dir.clone());
        }
        let (Some(tree), Some(repo)) = (source.tree, source.repo) else {
            anyhow::bail!("no sources for `{}`", source.location);
        };
        let dir = self.work.join("src").join(tree.to_string());
        if !dir.is_dir() {
            let repo =
                self.graph.repos[repo].lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            repo.export(tree, &dir).map_err(|e| {
                let hint = e.hint();
                Hinted::error(
                    format!(
                        "checking out `{}`: {e}",
                        source.reference.as_deref().unwrap_or_default()
                    ),
                    hint,
                )
            })?;
        }
        Ok(dir)
    }
}

/// The key of a build's inputs: the node's plan hash (sources, target, version, dependencies'
/// sources, rosdeb's version), the resolved dependencies (so the rosdep rules that matter), the
/// dependencies' keys, this very binary, and `SOURCE_DATE_EPOCH`.
fn input_key(
    hash: &str,
    resolved: Option<&generate::Depends>,
    dep_keys: &[Option<String>],
    epoch: Option<u64>,
    identity: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(hash.as_bytes());
    h.update(format!("{resolved:?}\0{epoch:?}\0").as_bytes());
    h.update(identity.as_bytes());
    for k in dep_keys {
        h.update(k.as_deref().unwrap_or("-").as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn file_sha256(path: &Path) -> anyhow::Result<String> {
    Ok(crate::fetch::sha256_hex(&fs_err::read(path)?))
}

/// The debian/ folder a debian tag holds, as the tree the .deb is made from. Only regular,
/// UTF-8 files of at most 1 MiB; debian/control, changelog and copyright must be there.
fn read_debian(dir: &Path, tag: &str) -> anyhow::Result<generate::Tree> {
    use std::os::unix::fs::PermissionsExt as _;
    fn walk(root: &Path, dir: &Path, tree: &mut generate::Tree) -> anyhow::Result<()> {
        for e in fs_err::read_dir(dir)? {
            let e = e?;
            let kind = e.file_type()?;
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            if kind.is_dir() {
                walk(root, &path, tree)?;
            } else if kind.is_file() {
                let meta = e.metadata()?;
                if meta.len() > 1 << 20 {
                    anyhow::bail!("`{rel}` is larger than 1 MiB");
                }
                let contents = String::from_utf8(fs_err::read(&path)?)
                    .map_err(|_| anyhow::anyhow!("`{rel}` is not UTF-8 text"))?;
                let executable = meta.permissions().mode() & 0o111 != 0;
                tree.insert(rel, generate::File { contents, executable });
            }
        }
        Ok(())
    }
    let mut tree = generate::Tree::new();
    walk(dir, &dir.join("debian"), &mut tree).map_err(|e| {
        Hinted::error(
            format!("the debian/ of tag `{tag}`: {e}"),
            "release it again with `rosdeb bloom`",
        )
    })?;
    for required in ["debian/control", "debian/changelog", "debian/copyright"] {
        if !tree.contains_key(required) {
            return Err(Hinted::error(
                format!("tag `{tag}` has no {required}"),
                "release it again with `rosdeb bloom`, or delete the debian tag so debian/ is \
                 generated",
            ));
        }
    }
    Ok(tree)
}

/// Publishes each codename's debs (built or unchanged), unless they are exactly those last
/// published into the same repository.
fn publish(run: &Run<'_>, outcomes: &[Outcome], repo: &Path, args: &Args) -> anyhow::Result<()> {
    let repo_abs = std::path::absolute(repo)?;
    let signer = match &args.sign_key {
        Some(path) => Some(
            debgen::apt::Signer::read(path)
                .with_context(|| format!("reading the signing key `{}`", path.display()))?,
        ),
        None => None,
    };
    let date = match run.builders.first().and_then(|b| b.epoch) {
        Some(e) => i64::try_from(e).unwrap_or(i64::MAX),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    for (t, target) in run.graph.targets.iter().enumerate() {
        let mut debs: Vec<(PathBuf, String, bool)> = Vec::new();
        for (n, o) in run.graph.nodes.iter().zip(outcomes) {
            if n.target == t
                && let (Some(deb), Some(sha)) = (&o.deb, &o.sha256)
            {
                let all = o.architecture.as_deref() == Some("all")
                    || deb.to_string_lossy().ends_with("_all.deb");
                debs.push((deb.clone(), sha.clone(), all));
            }
        }
        if debs.is_empty() {
            continue;
        }
        let mut record: Vec<(String, String)> = debs
            .iter()
            .map(|(p, sha, _)| {
                (p.file_name().unwrap_or_default().to_string_lossy().into_owned(), sha.clone())
            })
            .collect();
        record.sort();
        let record = state::Published { repo: repo_abs.clone(), debs: record };
        if run.store.published(&target.codename).as_ref() == Some(&record)
            && repo.join("dists").join(&target.codename).join("Release").is_file()
        {
            continue;
        }
        let mut architectures = args.architectures.clone();
        if architectures.is_empty() && debs.iter().all(|(_, _, all)| *all) {
            architectures.extend(host_architecture());
        }
        let options = debgen::apt::PublishOptions {
            signer: signer.clone(),
            architectures,
            date,
            origin: "rosdeb".into(),
            label: "rosdeb".into(),
            lock_timeout: debgen::apt::DEFAULT_LOCK_TIMEOUT,
        };
        let paths: Vec<PathBuf> = debs.into_iter().map(|(p, _, _)| p).collect();
        debgen::apt::publish(repo, &target.codename, &paths, &options).map_err(|e| {
            let hint = match &e {
                debgen::apt::AptError::Conflict(_) => {
                    "the repository holds another build of the same version: bump the \
                     distribution's release version (its Debian increment)"
                }
                debgen::apt::AptError::Locked { .. } => {
                    "another publisher is writing this repository: run again later"
                }
                _ => "see `rosdeb apt publish --help`",
            };
            Hinted::error(
                format!("publishing {} into `{}`: {e}", target.codename, repo.display()),
                hint,
            )
        })?;
        run.store.set_published(&target.codename, &record)?;
    }
    Ok(())
}

/// `dpkg --print-architecture`, if dpkg is there.
fn host_architecture() -> Option<String> {
    let out = std::process::Command::new("dpkg").arg("--print-architecture").output().ok()?;
    let arch = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !arch.is_empty()).then_some(arch)
}

fn format_error(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let _ = write!(text, ": {cause}");
    }
    text
}

/// The summary table on stderr: every node in build order.
fn summary(graph: &Graph, outcomes: &[Outcome]) {
    let mut rows =
        vec![["PACKAGE", "TARGET", "VERSION", "STATUS", "SECONDS"].map(str::to_owned).to_vec()];
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, o) in graph.nodes.iter().zip(outcomes) {
        *counts.entry(o.status.name()).or_default() += 1;
        rows.push(vec![
            n.package.clone(),
            target_name(&graph.targets[n.target]),
            o.version.clone().unwrap_or_else(|| n.version.clone()),
            o.status.name().to_owned(),
            format!("{:.1}", o.seconds),
        ]);
    }
    let mut text = columns(&rows, "");
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(
        text,
        "{}",
        if parts.is_empty() { "nothing to release".to_owned() } else { parts.join(", ") }
    );
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
