//! `rosdeb pkg ...`: package queries for people and scripts, each with `--json`.
//!
//! Unlike the rospack compatibility mode, these commands evaluate REP 149 conditions (with
//! `ROS_VERSION`, `ROS_DISTRO`, `ROS_PYTHON_VERSION` from the environment) unless
//! `--ignore-conditions`, honour `COLCON_IGNORE` / `AMENT_IGNORE` and the ament resource index,
//! and report every problem with file:line:col.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use rospkg::crawl::CrawlOptions;
use rospkg::locate::Verdict;
use rospkg::rospack::{Catalog, DepClass, Flavor, QueryError, Semantics};

use crate::context::Context;
use crate::exit::{Hinted, Status};
use crate::json;

/// `rosdeb pkg` arguments.
#[derive(Debug, Parser)]
pub struct Args {
    /// Search these directories instead of ROS_PACKAGE_PATH (repeatable, first wins).
    #[arg(long = "path", value_name = "DIR", global = true)]
    paths: Vec<PathBuf>,
    /// Also search /usr/share one level deep (Debian's convention; default: on when
    /// /etc/debian_version exists, or as ROSDEB_USR_SHARE says).
    #[arg(long, global = true, overrides_with = "no_usr_share")]
    usr_share: bool,
    /// Do not search /usr/share.
    #[arg(long, global = true)]
    no_usr_share: bool,
    /// Crawl from scratch; neither read nor write the index cache.
    #[arg(long, global = true)]
    no_cache: bool,
    /// Which dependency tags count: `run` (rospack: exec/run/depend) or `all` (rospkg: also
    /// build, buildtool and test).
    #[arg(long, value_enum, default_value_t = Deps::Run, global = true)]
    deps: Deps,
    /// Count every dependency whatever its REP 149 condition.
    #[arg(long, global = true)]
    ignore_conditions: bool,
    /// A rosdep rule file (e.g. rosdistro's rosdep/base.yaml): dependencies that are keys of it
    /// are classified `system` instead of `unknown`; repeatable.
    #[arg(long = "rosdep", value_name = "FILE", global = true)]
    rosdep: Vec<String>,
    /// Print a JSON document (`"schema": 1`) instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: PkgCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Deps {
    Run,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
}

#[derive(Debug, Subcommand)]
enum PkgCommand {
    /// List every package: name and directory, sorted by name.
    List,
    /// Print the directory of a package.
    Find {
        /// Package name.
        name: String,
    },
    /// Dependencies of a package, dependencies first.
    Deps {
        /// Package name.
        name: String,
        /// Only direct dependencies.
        #[arg(long)]
        direct: bool,
    },
    /// Packages that depend on a package.
    Rdeps {
        /// Package name.
        name: String,
        /// Only direct dependents.
        #[arg(long)]
        direct: bool,
    },
    /// Every dependency chain from a package to another.
    Why {
        /// Package name.
        name: String,
        /// The dependency to explain.
        target: String,
    },
    /// The dependency graph (of one package's closure, or of everything), as DOT or JSON.
    Graph {
        /// Package name (default: every package).
        name: Option<String>,
        /// Output format (`--json` is the same as `--format json`).
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Licences of a package and its dependencies.
    Licenses {
        /// Package name.
        name: String,
    },
    /// Names found more than once, with the directory that wins.
    Duplicates,
    /// Values of `<export><LANG ATTRIB="..."/>` of a package and its dependencies (rospack's
    /// `export`), `${prefix}` replaced by the package directory.
    Exports {
        /// Package name.
        name: String,
        /// The export element, e.g. `cpp`.
        #[arg(long)]
        lang: String,
        /// The attribute, e.g. `cflags`.
        #[arg(long)]
        attrib: String,
        /// Leave the package itself out.
        #[arg(long)]
        deps_only: bool,
        /// Evaluate backquoted shell in values (runs code from manifests; off by default).
        #[arg(long)]
        allow_shell: bool,
    },
    /// Why a package is not found (ignored, hidden, shadowed, broken, ...), or every problem
    /// on the search path when no name is given. Exits 1 when errors are found.
    Diagnose {
        /// Package name.
        name: Option<String>,
    },
}

/// Runs a `pkg` subcommand.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let usr_share = if args.no_usr_share {
        Some(false)
    } else if args.usr_share {
        Some(true)
    } else {
        None
    };
    let paths = (!args.paths.is_empty()).then(|| args.paths.clone());
    let context = Context::new(paths, usr_share, args.no_cache);
    let mut options = context.options(CrawlOptions { ros2_markers: true });
    options.semantics = match args.deps {
        Deps::Run => Semantics::Run,
        Deps::All => Semantics::Rospkg,
    };
    if !args.ignore_conditions {
        options.conditions = Some(context.env.clone());
    }
    if !args.rosdep.is_empty() {
        let mut keys = std::collections::HashSet::new();
        for file in &args.rosdep {
            let rules = rospkg::rosdep::RuleFile::load(file, Vec::new())
                .map_err(anyhow::Error::new)
                .with_context(|| format!("reading rosdep rules `{file}`"))?;
            keys.extend(rules.keys().cloned());
        }
        options.system_keys = Some(std::sync::Arc::new(keys));
    }
    let search = context.search.clone().with_ament_prefixes(&context.env);
    let catalog = Catalog::open(Flavor::Packages, &search, options);
    let mut out = String::new();
    let status = match &args.command {
        PkgCommand::List => list(&catalog, args.json, &mut out)?,
        PkgCommand::Find { name } => find(&catalog, name, args.json, &mut out)?,
        PkgCommand::Deps { name, direct } => deps(&catalog, name, *direct, args.json, &mut out)?,
        PkgCommand::Rdeps { name, direct } => {
            let dependents =
                catalog.depends_on(name, !direct).map_err(|e| not_found(e, &catalog))?;
            if args.json {
                let doc = json::Rdeps {
                    schema: json::SCHEMA,
                    package: name.clone(),
                    direct: *direct,
                    dependents,
                };
                push_json(&mut out, &doc)?;
            } else {
                dependents.iter().for_each(|d| push_line(&mut out, d));
            }
            Status::Success
        }
        PkgCommand::Why { name, target } => why(&catalog, name, target, args.json, &mut out)?,
        PkgCommand::Graph { name, format } => {
            let format = if args.json { GraphFormat::Json } else { *format };
            graph(&catalog, name.as_deref(), format, &mut out)?
        }
        PkgCommand::Licenses { name } => licenses(&catalog, name, args.json, &mut out)?,
        PkgCommand::Duplicates => duplicates(&catalog, args.json, &mut out)?,
        PkgCommand::Exports { name, lang, attrib, deps_only, allow_shell } => {
            let query =
                ExportQuery { lang, attrib, deps_only: *deps_only, allow_shell: *allow_shell };
            exports(&catalog, name, &query, args.json, &mut out)?
        }
        PkgCommand::Diagnose { name } => diagnose(&catalog, name.as_deref(), args.json, &mut out)?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    Ok(status)
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

fn push_json(out: &mut String, doc: &impl serde::Serialize) -> anyhow::Result<()> {
    out.push_str(&serde_json::to_string_pretty(doc)?);
    out.push('\n');
    Ok(())
}

/// Turns a query error into a user-facing error with a hint.
fn not_found(error: QueryError, catalog: &Catalog) -> anyhow::Error {
    match error {
        QueryError::NotFound { name } => {
            let roots: Vec<String> =
                catalog.search_path().roots().iter().map(|r| r.display().to_string()).collect();
            Hinted::error(
                format!("package `{name}` not found on the search path ({})", roots.join(":")),
                format!(
                    "run `rosdeb pkg diagnose {name}` to see whether it is ignored, shadowed or broken"
                ),
            )
        }
        QueryError::Cycle { members } => Hinted::error(
            format!("dependency cycle: {}", members.join(" -> ")),
            "break the cycle: one of these packages must stop depending on the next",
        ),
        QueryError::Manifest(d) => anyhow::anyhow!("{d}"),
    }
}

fn package_json(catalog: &Catalog, item: &rospkg::rospack::Item) -> json::Package {
    json::Package {
        name: item.name.clone(),
        path: item.dir.display().to_string(),
        manifest: item.kind.file_name(),
        version: catalog.summary(&item.name).map(|s| s.version.clone()).unwrap_or_default(),
    }
}

/// Prints the problems of the catalog that matter (errors, and manifests left out) on stderr.
fn warn_problems(catalog: &Catalog) {
    let mut err = std::io::stderr().lock();
    for d in catalog.skipped() {
        let _ = writeln!(err, "warning: left out: {d}");
    }
    let other = catalog.problems().len() - catalog.skipped().len();
    if other > 0 {
        let _ = writeln!(
            err,
            "note: {other} other problem(s) on the search path; see `rosdeb pkg diagnose`"
        );
    }
}

fn list(catalog: &Catalog, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    if catalog.search_path().roots().is_empty() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "warning: the search path is empty\n  hint: set ROS_PACKAGE_PATH, or pass --path DIR"
        );
    }
    if as_json {
        let doc = json::List {
            schema: json::SCHEMA,
            packages: catalog.list().iter().map(|i| package_json(catalog, i)).collect(),
            problems: catalog.problems().iter().map(json::Problem::from).collect(),
        };
        push_json(out, &doc)?;
    } else {
        warn_problems(catalog);
        for item in catalog.list() {
            let _ = writeln!(out, "{} {}", item.name, item.dir.display());
        }
    }
    Ok(Status::Success)
}

fn find(catalog: &Catalog, name: &str, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    let item = catalog.require(name).map_err(|e| not_found(e, catalog))?;
    if as_json {
        push_json(out, &json::Find { schema: json::SCHEMA, package: package_json(catalog, item) })?;
    } else {
        push_line(out, &item.dir.display().to_string());
    }
    Ok(Status::Success)
}

fn deps(
    catalog: &Catalog,
    name: &str,
    direct: bool,
    as_json: bool,
    out: &mut String,
) -> anyhow::Result<Status> {
    let (packages, other) = if direct {
        let packages = catalog.depends1(name).map_err(|e| not_found(e, catalog))?;
        let other = catalog
            .dependencies(name)
            .map_err(|e| not_found(e, catalog))?
            .iter()
            .filter(|d| d.class != DepClass::Local)
            .map(|d| (name.to_owned(), d.clone()))
            .collect::<Vec<_>>();
        (packages, other)
    } else {
        let closure = catalog.depends(name).map_err(|e| not_found(e, catalog))?;
        (closure.names, closure.missing)
    };
    let mut involved = packages.clone();
    involved.push(name.to_owned());
    if let Some(broken) = catalog.broken(&involved).first() {
        return Err(anyhow::anyhow!("{broken}").context(format!(
            "cannot list the dependencies of `{name}`: a manifest on the way does not parse"
        )));
    }
    if as_json {
        let doc = json::Deps {
            schema: json::SCHEMA,
            package: name.to_owned(),
            direct,
            packages,
            other: other
                .into_iter()
                .map(|(by, d)| json::Dependency { name: d.name, class: d.class, required_by: by })
                .collect(),
        };
        push_json(out, &doc)?;
    } else {
        packages.iter().for_each(|p| push_line(out, p));
        if !other.is_empty() {
            let mut names: Vec<&str> = other.iter().map(|(_, d)| d.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            let _ = writeln!(
                std::io::stderr().lock(),
                "note: {} dependencies are not packages on the search path (system or unknown): {}",
                names.len(),
                names.join(" ")
            );
        }
    }
    Ok(Status::Success)
}

fn why(
    catalog: &Catalog,
    name: &str,
    target: &str,
    as_json: bool,
    out: &mut String,
) -> anyhow::Result<Status> {
    let from = catalog.node(name).map_err(|e| not_found(e, catalog))?;
    let to = catalog.node(target).map_err(|e| not_found(e, catalog))?;
    let graph = catalog.graph();
    let mut chains: Vec<Vec<String>> = graph
        .chains(from, to, 10_000)
        .iter()
        .map(|c| graph.names_of(c).into_iter().map(str::to_owned).collect())
        .collect();
    chains.sort_by_key(Vec::len); // shortest chain first
    if as_json {
        let found = !chains.is_empty();
        let doc = json::Why {
            schema: json::SCHEMA,
            package: name.to_owned(),
            target: target.to_owned(),
            chains,
        };
        push_json(out, &doc)?;
        // Same status as the text form: no chain is a failed query.
        return Ok(if found { Status::Success } else { Status::Failure });
    }
    if chains.is_empty() {
        return Err(Hinted::error(
            format!("`{name}` does not depend on `{target}`"),
            format!("`rosdeb pkg deps {name}` lists what it does depend on"),
        ));
    }
    for chain in chains {
        push_line(out, &chain.join(" -> "));
    }
    Ok(Status::Success)
}

fn graph(
    catalog: &Catalog,
    name: Option<&str>,
    format: GraphFormat,
    out: &mut String,
) -> anyhow::Result<Status> {
    let g = catalog.graph();
    let nodes: Vec<u32> = match name {
        Some(name) => {
            let node = catalog.node(name).map_err(|e| not_found(e, catalog))?;
            let mut nodes = catalog.depends(name).map_err(|e| not_found(e, catalog))?.names;
            nodes.push(name.to_owned());
            let _ = node;
            let mut ids: Vec<u32> = nodes.iter().filter_map(|n| g.id(n)).collect();
            g.sort_by_name(&mut ids);
            ids
        }
        None => (0..u32::try_from(g.len()).unwrap_or(u32::MAX)).collect(),
    };
    let in_set: std::collections::HashSet<u32> = nodes.iter().copied().collect();
    let mut edges = Vec::new();
    for &n in &nodes {
        for &d in g.direct(n) {
            if in_set.contains(&d) {
                edges.push([g.name(n).to_owned(), g.name(d).to_owned()]);
            }
        }
    }
    match format {
        GraphFormat::Json => {
            let doc = json::Graph {
                schema: json::SCHEMA,
                nodes: nodes.iter().map(|&n| g.name(n).to_owned()).collect(),
                edges,
                cycles: catalog.cycles(),
            };
            push_json(out, &doc)?;
        }
        GraphFormat::Dot => {
            push_line(out, "digraph dependencies {");
            for &n in &nodes {
                let _ = writeln!(out, "  \"{}\";", g.name(n));
            }
            for [a, b] in edges {
                let _ = writeln!(out, "  \"{a}\" -> \"{b}\";");
            }
            push_line(out, "}");
        }
    }
    Ok(Status::Success)
}

fn licenses(
    catalog: &Catalog,
    name: &str,
    as_json: bool,
    out: &mut String,
) -> anyhow::Result<Status> {
    let mut packages = catalog.depends(name).map_err(|e| not_found(e, catalog))?.names;
    packages.push(name.to_owned());
    let mut rows = Vec::new();
    let mut by_license: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in packages {
        let licenses = catalog.licenses(&p).map_err(|e| not_found(e, catalog))?;
        for l in &licenses {
            by_license.entry(l.clone()).or_default().push(p.clone());
        }
        rows.push(json::LicenseRow { package: p, licenses });
    }
    if as_json {
        push_json(out, &json::Licenses { schema: json::SCHEMA, packages: rows, by_license })?;
    } else {
        for (license, packages) in by_license {
            let _ = writeln!(out, "{license}: {}", packages.join(" "));
        }
        for row in rows.iter().filter(|r| r.licenses.is_empty()) {
            let _ = writeln!(out, "(none declared): {}", row.package);
        }
    }
    Ok(Status::Success)
}

/// What `pkg exports` asks for.
struct ExportQuery<'a> {
    lang: &'a str,
    attrib: &'a str,
    deps_only: bool,
    allow_shell: bool,
}

fn exports(
    catalog: &Catalog,
    name: &str,
    query: &ExportQuery<'_>,
    as_json: bool,
    out: &mut String,
) -> anyhow::Result<Status> {
    let rospack = rospkg::rospack::RosPack::from_catalog(catalog.clone());
    let values = rospack
        .exports(name, query.lang, query.attrib, query.deps_only)
        .map_err(|e| not_found(e, catalog))?;
    let mut rows = Vec::new();
    for (package, value) in values {
        let value = if crate::export_shell::needs_shell(&value) {
            if !query.allow_shell {
                return Err(Hinted::error(
                    format!("the export of `{package}` runs shell code: {value}"),
                    "pass --allow-shell to run it (it runs code from the manifest), as rospack always does",
                ));
            }
            let dir = catalog.get_path(&package).ok();
            match crate::export_shell::evaluate(&value, dir) {
                Ok(v) => v,
                Err(crate::export_shell::ShellFailed::Status) => {
                    anyhow::bail!("the shell failed evaluating the export of `{package}`: {value}")
                }
                Err(crate::export_shell::ShellFailed::Spawn(message)) => anyhow::bail!(message),
            }
        } else {
            value
        };
        rows.push(json::ExportRow { package, value });
    }
    if as_json {
        push_json(out, &json::Exports { schema: json::SCHEMA, exports: rows })?;
    } else {
        let values: Vec<&str> = rows.iter().map(|r| r.value.as_str()).collect();
        push_line(out, &values.join(" "));
    }
    Ok(Status::Success)
}

fn duplicates(catalog: &Catalog, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    let rows: Vec<json::DuplicateRow> = catalog
        .duplicates()
        .iter()
        .map(|d| json::DuplicateRow {
            name: d.name.clone(),
            winner: d.dirs[0].display().to_string(),
            shadowed: d.dirs[1..].iter().map(|p| p.display().to_string()).collect(),
        })
        .collect();
    if as_json {
        push_json(out, &json::Duplicates { schema: json::SCHEMA, duplicates: rows })?;
    } else {
        for row in rows {
            let _ =
                writeln!(out, "{}\n  * {} (wins: first on the search path)", row.name, row.winner);
            for s in row.shadowed {
                let _ = writeln!(out, "  - {s}");
            }
        }
    }
    Ok(Status::Success)
}

fn diagnose(
    catalog: &Catalog,
    name: Option<&str>,
    as_json: bool,
    out: &mut String,
) -> anyhow::Result<Status> {
    let problems = catalog.problems();
    let findings: Vec<json::Finding> = name
        .map(|n| rospkg::locate::locate(catalog, n))
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            let (status, detail) = match l.verdict {
                Verdict::Found => ("found", "this is the package".to_owned()),
                Verdict::Shadowed { by } => {
                    ("shadowed", format!("{} comes first on the search path", by.display()))
                }
                Verdict::Ignored { marker } => {
                    ("ignored", format!("hidden by {}", marker.display()))
                }
                Verdict::Hidden { dir } => ("hidden", format!("{} starts with '.'", dir.display())),
                Verdict::NoSubdirs { marker } => {
                    ("nosubdirs", format!("the crawl stops at {}", marker.display()))
                }
                Verdict::Nested { inside } => {
                    ("nested", format!("inside the package at {}", inside.display()))
                }
                Verdict::ParseError(d) => ("parse-error", d.to_string()),
                Verdict::Metapackage => (
                    "metapackage",
                    "a metapackage is a stack, not a package: try `rosdeb rosstack find`"
                        .to_owned(),
                ),
                Verdict::Other(why) => ("other", why),
            };
            json::Finding { path: l.dir.display().to_string(), status, detail }
        })
        .collect();
    let failed = match name {
        Some(_) => !findings.iter().any(|f| f.status == "found"),
        None => problems.iter().any(rospkg::Diagnostic::is_error),
    };
    if as_json {
        let doc = json::Diagnose {
            schema: json::SCHEMA,
            package: name.map(str::to_owned),
            findings,
            problems: problems.iter().map(json::Problem::from).collect(),
        };
        push_json(out, &doc)?;
    } else if let Some(name) = name {
        if findings.is_empty() {
            let roots: Vec<String> =
                catalog.search_path().roots().iter().map(|r| r.display().to_string()).collect();
            let _ = writeln!(
                out,
                "{name}: no manifest anywhere below the search path ({})",
                roots.join(":")
            );
        }
        for f in &findings {
            let _ = writeln!(out, "{}: {}: {}", f.path, f.status, f.detail);
        }
        return Ok(if findings.iter().any(|f| f.status == "found") {
            Status::Success
        } else {
            Status::Failure
        });
    } else {
        for d in &problems {
            push_line(out, &d.to_string());
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} problem(s), {} error(s), {} package(s) found",
            problems.len(),
            problems.iter().filter(|d| d.is_error()).count(),
            catalog.list().len()
        );
    }
    Ok(if failed { Status::Failure } else { Status::Success })
}
