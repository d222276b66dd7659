//! `rosdeb distro ...`: distribution files: legacy `.rosdistro` (`stacks`, `variants`) and the
//! rosdistro index / distribution files / caches (`packages`, `show`, `validate`, `diff`).
//!
//! Inputs are paths, `file://` or `http(s)://` URLs (through [`crate::fetch`]: HTTP cache,
//! `--offline`, `--frozen` / `--lock`); `*.gz` caches are read transparently. The `--json`
//! shapes of `stacks`, `variants` and `packages` are plain maps (pinned by issue 3); `show`,
//! `validate` and `diff` documents carry `"schema": 1`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use indexmap::IndexMap;
use rospkg::Diagnostic;
use rospkg::distro::distribution::{self, DistributionFile, Loaded};
use rospkg::distro::{self as rdistro, index, legacy};
use serde::Serialize;

use crate::exit::{Hinted, Status, diagnostic_error, distro_error};
use crate::fetch::{self, FetchArgs, Fetcher};
use crate::json;

/// `rosdeb distro` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DistroCommand,
    #[command(flatten)]
    fetch: FetchArgs,
}

#[derive(Debug, Subcommand)]
enum DistroCommand {
    /// Stacks of a legacy .rosdistro file with their versions (null = unreleased).
    Stacks {
        /// The .rosdistro file (path, file:// or http(s):// URL).
        file: String,
        /// Print `{stack: version or null}`.
        #[arg(long)]
        json: bool,
    },
    /// Variants of a legacy .rosdistro file with their stacks, parents' stacks first (as
    /// rospkg's `Variant.get_stack_names(implicit=True)`, duplicates kept).
    Variants {
        /// The .rosdistro file (path, file:// or http(s):// URL).
        file: String,
        /// Print `{variant: [stack, ...]}`.
        #[arg(long)]
        json: bool,
    },
    /// Released packages of a distribution with their repository and release version.
    Packages {
        #[command(flatten)]
        source: Source,
        /// Print `{package: {"repository": ..., "version": ...}}`.
        #[arg(long)]
        json: bool,
    },
    /// Summary of a distribution (or legacy .rosdistro / index): platforms, counts, status.
    Show {
        #[command(flatten)]
        source: Source,
        /// Print a JSON document (`"schema": 1`).
        #[arg(long)]
        json: bool,
    },
    /// Check files as rosdistro / rospkg would, reporting every problem with file:line:col.
    /// Exits 1 when an error is found.
    Validate {
        /// Files to check: distribution files, caches, index files, .rosdistro files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Print a JSON document (`"schema": 1`).
        #[arg(long)]
        json: bool,
    },
    /// Packages added, removed and changed between two distributions (or .rosdistro stacks).
    Diff {
        /// The old file.
        a: String,
        /// The new file.
        b: String,
        /// Print a JSON document (`"schema": 1`).
        #[arg(long)]
        json: bool,
    },
}

/// The environment variable naming the rosdistro index (as bloom and rosdep read it).
const INDEX_ENV: &str = "ROSDISTRO_INDEX_URL";

/// Where a distribution comes from: a file / URL, or an index plus a distribution name.
/// `--distro NAME` and `--distro-file FILE` mean what they mean in every rosdeb command.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = true)]
struct Source {
    /// A distribution.yaml or a cache (*.yaml.gz): a path, a file:// or http(s):// URL.
    #[arg(conflicts_with_all = ["index", "distro", "distro_file"])]
    file: Option<String>,
    /// The same as FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["index", "distro"])]
    distro_file: Option<String>,
    /// An index file (index.yaml / index-v4.yaml): a path, a file:// or http(s):// URL
    /// [default: $ROSDISTRO_INDEX_URL].
    #[arg(long, requires = "distro")]
    index: Option<String>,
    /// The distribution to read from the index, e.g. noetic.
    #[arg(long)]
    distro: Option<String>,
}

/// Runs a `distro` subcommand.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let f = &Fetcher::new(args.fetch.options())?;
    let mut out = String::new();
    let status = match args.command {
        DistroCommand::Stacks { file, json } => stacks(f, &file, json, &mut out)?,
        DistroCommand::Variants { file, json } => variants(f, &file, json, &mut out)?,
        DistroCommand::Packages { source, json } => packages(f, &source, json, &mut out)?,
        DistroCommand::Show { source, json } => show(f, &source, json, &mut out)?,
        DistroCommand::Validate { files, json } => validate(f, &files, json, &mut out)?,
        DistroCommand::Diff { a, b, json } => diff(f, &a, &b, json, &mut out)?,
    };
    f.finish()?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    Ok(status)
}

fn push_json(out: &mut String, doc: &impl Serialize) -> anyhow::Result<()> {
    out.push_str(&serde_json::to_string_pretty(doc)?);
    out.push('\n');
    Ok(())
}

fn load_legacy(f: &Fetcher, file: &str) -> anyhow::Result<legacy::Distro> {
    let (path, text) = f.get_text(file)?;
    legacy::parse_distro(&path, &text).map_err(|d| diagnostic_error(&d))
}

/// Reads an index; entries of an index fetched by URL resolve against that URL.
fn load_index(f: &Fetcher, source: &str) -> anyhow::Result<(PathBuf, index::Index)> {
    let (path, text) = f.get_text(source)?;
    let mut idx = index::parse(&path, &text).map_err(|d| diagnostic_error(&d))?;
    if fetch::is_http(source) {
        // Parsed against an empty folder, relative entries stay as written.
        let raw = index::parse(Path::new(""), &text).map_err(|d| diagnostic_error(&d))?;
        let join = |r: &String| fetch::join_url(source, r).unwrap_or_else(|| r.clone());
        for (entry, raw) in idx.distributions.values_mut().zip(raw.distributions.values()) {
            entry.distribution = raw.distribution.iter().map(join).collect();
            entry.distribution_cache = raw.distribution_cache.as_ref().map(join);
        }
    }
    Ok((path, idx))
}

/// The entry of `name` in the index at `source`: its type (`ros1`/`ros2`) and Python version.
pub(crate) fn load_index_entry(
    f: &Fetcher,
    source: &str,
    name: &str,
) -> anyhow::Result<index::IndexEntry> {
    let (index_path, idx) = load_index(f, source)?;
    Ok(idx.entry(name, &index_path).map_err(distro_error)?.clone())
}

/// The merged distribution files of `name` in the index at `source` (rosdistro's
/// `get_distribution_file`).
pub(crate) fn load_from_index(
    f: &Fetcher,
    source: &str,
    name: &str,
) -> anyhow::Result<DistributionFile> {
    let (index_path, idx) = load_index(f, source)?;
    let entry = idx.entry(name, &index_path).map_err(distro_error)?;
    let mut merged: Option<DistributionFile> = None;
    for file in &entry.distribution {
        let (path, loaded) = parse_cached(f, file, name)?;
        let dist = match loaded {
            Loaded::Distribution(d) => d,
            Loaded::Cache(_) => {
                return Err(diagnostic_error(&Diagnostic::error(
                    &path,
                    "expected a distribution file, found a distribution cache",
                )));
            }
        };
        merged = Some(match merged {
            None => dist,
            Some(mut m) => {
                m.merge(dist, &path);
                m
            }
        });
    }
    merged.ok_or_else(|| {
        anyhow::anyhow!("{source}: distribution '{name}' lists no distribution files")
    })
}

fn stacks(f: &Fetcher, file: &str, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    let distro = load_legacy(f, file)?;
    if as_json {
        let doc: IndexMap<&str, Option<&str>> =
            distro.stacks.values().map(|s| (s.name.as_str(), s.version.as_deref())).collect();
        push_json(out, &doc)?;
    } else {
        for s in distro.stacks.values() {
            let _ = writeln!(out, "{} {}", s.name, s.version.as_deref().unwrap_or("-"));
        }
    }
    Ok(Status::Success)
}

fn variants(f: &Fetcher, file: &str, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    let distro = load_legacy(f, file)?;
    if as_json {
        let doc: IndexMap<&str, &[String]> =
            distro.variants.values().map(|v| (v.name.as_str(), v.get_stack_names(true))).collect();
        push_json(out, &doc)?;
    } else {
        for v in distro.variants.values() {
            let _ = writeln!(out, "{}: {}", v.name, v.get_stack_names(true).join(" "));
        }
    }
    Ok(Status::Success)
}

/// Loads the distribution a [`Source`] names; errors rosdistro would raise fail the command.
fn load_source(f: &Fetcher, source: &Source) -> anyhow::Result<DistributionFile> {
    let index_env = std::env::var(INDEX_ENV).ok().filter(|v| !v.is_empty());
    let dist = match (
        source.file.as_ref().or(source.distro_file.as_ref()),
        &source.index,
        &source.distro,
    ) {
        (Some(file), _, _) => load_distribution_file(f, file)?,
        (None, Some(idx), Some(name)) => load_from_index(f, idx, name)?,
        (None, None, Some(name)) => match &index_env {
            Some(idx) => load_from_index(f, idx, name)?,
            None => {
                return Err(Hinted::error(
                    format!(
                        "--distro {name} needs the rosdistro index, and {INDEX_ENV} is not set"
                    ),
                    format!(
                        "pass --index INDEX, set {INDEX_ENV}=file:///path/to/index-v4.yaml, or give the distribution FILE"
                    ),
                ));
            }
        },
        _ => {
            return Err(Hinted::error(
                "no distribution given",
                "give a distribution FILE (or --distro-file FILE), or --distro NAME with --index INDEX or $ROSDISTRO_INDEX_URL",
            ));
        }
    };
    if let Some(d) = dist.diagnostics.iter().find(|d| d.is_error()) {
        let n = dist.diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(diagnostic_error(d).context(format!(
            "the distribution is invalid ({n} error(s); `rosdeb distro validate` lists them)"
        )));
    }
    Ok(dist)
}

pub(crate) fn load_distribution_file(f: &Fetcher, file: &str) -> anyhow::Result<DistributionFile> {
    Ok(parse_cached(f, file, "")?.1.into_distribution())
}

/// The package.xml of every released package, by name, when `file` is a distribution cache
/// (rosdistro's `release_package_xmls`); `None` for a distribution file.
pub(crate) fn load_release_package_xmls(
    f: &Fetcher,
    file: &str,
) -> anyhow::Result<Option<indexmap::IndexMap<String, String>>> {
    Ok(match parse_cached(f, file, "")?.1 {
        Loaded::Cache(c) => Some(c.release_package_xmls),
        Loaded::Distribution(_) => None,
    })
}

/// A distribution file or cache as parsed (`name` set), through the cache of parse results.
fn parse_cached(f: &Fetcher, source: &str, name: &str) -> anyhow::Result<(PathBuf, Loaded)> {
    /// The parse result with its diagnostics, which the serde form of a distribution leaves out.
    #[derive(Serialize, serde::Deserialize)]
    struct Parsed {
        loaded: Loaded,
        diagnostics: Vec<Diagnostic>,
    }
    fn diagnostics(loaded: &mut Loaded) -> &mut Vec<Diagnostic> {
        match loaded {
            Loaded::Distribution(d) => &mut d.diagnostics,
            Loaded::Cache(c) => &mut c.distribution.diagnostics,
        }
    }
    let kind = format!("distribution {name}");
    let (path, parsed) = f.get_parsed(source, &kind, |path, text| {
        let mut loaded =
            distribution::parse(path, &text, name).map_err(|d| diagnostic_error(&d))?;
        let diagnostics = std::mem::take(diagnostics(&mut loaded));
        Ok(Parsed { loaded, diagnostics })
    })?;
    let Parsed { mut loaded, diagnostics: found } = parsed;
    *diagnostics(&mut loaded) = found;
    Ok((path, loaded))
}

#[derive(Serialize)]
struct PackageRow<'a> {
    repository: &'a str,
    version: Option<&'a str>,
}

fn packages(
    f: &Fetcher,
    source: &Source,
    as_json: bool,
    out: &mut String,
) -> anyhow::Result<Status> {
    let dist = load_source(f, source)?;
    let mut names: Vec<&String> = dist.release_packages.keys().collect();
    names.sort();
    let rows: Vec<(&str, PackageRow<'_>)> = names
        .iter()
        .map(|n| {
            let repo = dist.release_packages[*n].as_str();
            (n.as_str(), PackageRow { repository: repo, version: dist.package_version(n) })
        })
        .collect();
    if as_json {
        let doc: IndexMap<&str, &PackageRow<'_>> = rows.iter().map(|(n, r)| (*n, r)).collect();
        push_json(out, &doc)?;
    } else {
        for (n, r) in &rows {
            let _ = writeln!(out, "{n}\t{}\t{}", r.version.unwrap_or("-"), r.repository);
        }
    }
    Ok(Status::Success)
}

/// `rosdeb distro show --json`
#[derive(Serialize)]
struct ShowDoc<'a> {
    schema: u32,
    kind: &'static str,
    format: distribution::Format,
    name: &'a str,
    version: String,
    release_platforms: &'a IndexMap<String, Vec<String>>,
    tags: &'a [String],
    repositories: usize,
    release_repositories: usize,
    release_packages: usize,
    source_repositories: usize,
    doc_repositories: usize,
    statuses: BTreeMap<String, usize>,
}

fn show(f: &Fetcher, source: &Source, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    if let Some(file) = source.file.as_deref()
        && is_legacy(file)
    {
        let d = load_legacy(f, file)?;
        let released = d.released_stacks().count();
        if as_json {
            #[derive(Serialize)]
            struct LegacyShow<'a> {
                schema: u32,
                kind: &'static str,
                name: &'a str,
                version: &'a str,
                stacks: usize,
                released_stacks: usize,
                variants: Vec<&'a str>,
            }
            push_json(
                out,
                &LegacyShow {
                    schema: json::SCHEMA,
                    kind: "rosdistro",
                    name: &d.release_name,
                    version: &d.version,
                    stacks: d.stacks.len(),
                    released_stacks: released,
                    variants: d.variants.keys().map(String::as_str).collect(),
                },
            )?;
        } else {
            let _ = writeln!(out, "release: {}\nversion: {}", d.release_name, d.version);
            let _ = writeln!(out, "stacks: {} ({released} released)", d.stacks.len());
            let names: Vec<&str> = d.variants.keys().map(String::as_str).collect();
            let _ = writeln!(out, "variants: {}", names.join(" "));
        }
        return Ok(Status::Success);
    }
    if let Some(file) = source.file.as_deref()
        && is_index(f, file)
    {
        return show_index(f, file, as_json, out);
    }
    let dist = load_source(f, source)?;
    let mut statuses = BTreeMap::new();
    for r in dist.repositories.values() {
        *statuses.entry(r.status.clone().unwrap_or_else(|| "(none)".into())).or_insert(0) += 1;
    }
    let name =
        if dist.name.is_empty() { source.distro.as_deref().unwrap_or("") } else { &dist.name };
    let doc = ShowDoc {
        schema: json::SCHEMA,
        kind: "distribution",
        format: dist.format,
        name,
        version: dist.version.to_string(),
        release_platforms: &dist.release_platforms,
        tags: &dist.tags,
        repositories: dist.repositories.len(),
        release_repositories: dist.repositories.values().filter(|r| r.release.is_some()).count(),
        release_packages: dist.release_packages.len(),
        source_repositories: dist.repositories.values().filter(|r| r.source.is_some()).count(),
        doc_repositories: dist.repositories.values().filter(|r| r.doc.is_some()).count(),
        statuses,
    };
    if as_json {
        push_json(out, &doc)?;
    } else {
        if !doc.name.is_empty() {
            let _ = writeln!(out, "distribution: {}", doc.name);
        }
        let format = match doc.format {
            distribution::Format::Distribution => "distribution (REP 141/143)",
            distribution::Format::Release => "release (REP 137)",
            distribution::Format::Gbp => "gbpdistro (fuerte)",
        };
        let _ = writeln!(out, "format: {format}, version {}", doc.version);
        for (os, codes) in doc.release_platforms {
            let _ = writeln!(out, "platform: {os} {}", codes.join(" "));
        }
        let _ = writeln!(
            out,
            "repositories: {} ({} release, {} source, {} doc)",
            doc.repositories,
            doc.release_repositories,
            doc.source_repositories,
            doc.doc_repositories
        );
        let _ = writeln!(out, "released packages: {}", doc.release_packages);
        for (s, n) in &doc.statuses {
            let _ = writeln!(out, "status {s}: {n}");
        }
    }
    Ok(Status::Success)
}

/// True when `file` reads as an index (`type: index` at the top level).
fn is_index(f: &Fetcher, file: &str) -> bool {
    f.get_text(file).is_ok_and(|(_, t)| t.lines().any(|l| l.trim_end() == "type: index"))
}

/// `rosdeb distro show --json` for an index.
#[derive(Serialize)]
struct ShowIndexDoc<'a> {
    schema: u32,
    kind: &'static str,
    version: u32,
    distributions: &'a IndexMap<String, index::IndexEntry>,
}

fn show_index(f: &Fetcher, file: &str, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    let (_, idx) = load_index(f, file)?;
    if as_json {
        let doc = ShowIndexDoc {
            schema: json::SCHEMA,
            kind: "index",
            version: idx.version,
            distributions: &idx.distributions,
        };
        push_json(out, &doc)?;
    } else {
        let _ = writeln!(out, "index version {}", idx.version);
        for (name, e) in &idx.distributions {
            let _ = writeln!(
                out,
                "{name}\t{}\t{}\tpython {}\t{}",
                e.distribution_type.as_deref().unwrap_or("-"),
                e.distribution_status.as_deref().unwrap_or("-"),
                e.python_version.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                e.distribution.join(" ")
            );
        }
    }
    Ok(Status::Success)
}

fn is_legacy(file: &str) -> bool {
    Path::new(file).extension().is_some_and(|e| e == "rosdistro")
}

/// `rosdeb distro validate --json`
#[derive(Serialize)]
struct ValidateDoc {
    schema: u32,
    files: Vec<ValidatedFile>,
}

#[derive(Serialize)]
struct ValidatedFile {
    path: String,
    kind: &'static str,
    valid: bool,
    problems: Vec<json::Problem>,
}

fn validate(
    f: &Fetcher,
    files: &[String],
    as_json: bool,
    out: &mut String,
) -> anyhow::Result<Status> {
    let mut results = Vec::new();
    for file in files {
        let (kind, problems) = validate_one(f, file);
        let valid = !problems.iter().any(Diagnostic::is_error);
        results.push(ValidatedFile {
            path: file.clone(),
            kind,
            valid,
            problems: problems.iter().map(json::Problem::from).collect(),
        });
        if !as_json {
            for p in &problems {
                let _ = writeln!(out, "{p}");
            }
            if valid {
                let _ = writeln!(out, "{file}: ok ({kind})");
            }
        }
    }
    let ok = results.iter().all(|r| r.valid);
    if as_json {
        push_json(out, &ValidateDoc { schema: json::SCHEMA, files: results })?;
    }
    Ok(if ok { Status::Success } else { Status::Failure })
}

fn validate_one(fetcher: &Fetcher, file: &str) -> (&'static str, Vec<Diagnostic>) {
    let as_diags = |e: rdistro::Error| -> Vec<Diagnostic> {
        match e {
            rdistro::Error::Invalid(d) => vec![d],
            other => vec![Diagnostic::error(file, format!("{other:#}"))],
        }
    };
    let text = match fetcher.get(file) {
        Ok(fetched) => rdistro::decode_text(&fetched.path, fetched.bytes.to_vec())
            .map(|t| (fetched.path, t))
            .map_err(as_diags),
        Err(e) => Err(vec![Diagnostic::error(file, format!("{e:#}"))]),
    };
    let (path, text) = match text {
        Ok(x) => x,
        Err(d) => return (if is_legacy(file) { "rosdistro" } else { "unknown" }, d),
    };
    if is_legacy(file) {
        let r = legacy::parse_distro(&path, &text);
        return ("rosdistro", r.err().into_iter().collect());
    }
    if is_index(fetcher, file) {
        return match index::parse(&path, &text) {
            Ok(idx) => {
                let mut problems = Vec::new();
                for (name, entry) in &idx.distributions {
                    for f in &entry.distribution {
                        if !f.contains("://") && !Path::new(f).exists() {
                            problems.push(Diagnostic::warning(
                                &path,
                                format!("distribution '{name}' lists {f}, which does not exist"),
                            ));
                        }
                    }
                }
                ("index", problems)
            }
            Err(d) => ("index", vec![d]),
        };
    }
    match distribution::parse(&path, &text, "") {
        Ok(Loaded::Distribution(d)) => ("distribution", d.diagnostics),
        Ok(Loaded::Cache(c)) => ("cache", c.distribution.diagnostics),
        Err(d) => ("distribution", vec![d]),
    }
}

/// Name → (version, repository) of either kind of file.
type Versions = BTreeMap<String, (Option<String>, Option<String>)>;

fn versions_of(f: &Fetcher, file: &str) -> anyhow::Result<Versions> {
    if is_legacy(file) {
        let d = load_legacy(f, file)?;
        return Ok(d
            .stacks
            .values()
            .map(|s| (s.name.clone(), (s.version.clone(), s.repo.clone())))
            .collect());
    }
    let dist = load_distribution_file(f, file)?;
    Ok(dist
        .release_packages
        .iter()
        .map(|(p, r)| (p.clone(), (dist.package_version(p).map(str::to_owned), Some(r.clone()))))
        .collect())
}

/// `rosdeb distro diff --json`
#[derive(Serialize)]
struct DiffDoc {
    schema: u32,
    added: BTreeMap<String, Option<String>>,
    removed: BTreeMap<String, Option<String>>,
    changed: BTreeMap<String, Change>,
}

#[derive(Serialize)]
struct Change {
    old: Option<String>,
    new: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_repository: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_repository: Option<String>,
}

fn diff(f: &Fetcher, a: &str, b: &str, as_json: bool, out: &mut String) -> anyhow::Result<Status> {
    let old = versions_of(f, a)?;
    let new = versions_of(f, b)?;
    let mut doc = DiffDoc {
        schema: json::SCHEMA,
        added: BTreeMap::new(),
        removed: BTreeMap::new(),
        changed: BTreeMap::new(),
    };
    for (name, (v, _)) in &old {
        if !new.contains_key(name) {
            doc.removed.insert(name.clone(), v.clone());
        }
    }
    for (name, (v, repo)) in &new {
        match old.get(name) {
            None => {
                doc.added.insert(name.clone(), v.clone());
            }
            Some((ov, orepo)) if ov != v || orepo != repo => {
                let moved = orepo != repo;
                doc.changed.insert(
                    name.clone(),
                    Change {
                        old: ov.clone(),
                        new: v.clone(),
                        old_repository: moved.then(|| orepo.clone()).flatten(),
                        new_repository: moved.then(|| repo.clone()).flatten(),
                    },
                );
            }
            Some(_) => {}
        }
    }
    if as_json {
        push_json(out, &doc)?;
    } else {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        for (n, v) in &doc.removed {
            let _ = writeln!(out, "- {n} {}", show(v));
        }
        for (n, v) in &doc.added {
            let _ = writeln!(out, "+ {n} {}", show(v));
        }
        for (n, c) in &doc.changed {
            let _ = write!(out, "~ {n} {} -> {}", show(&c.old), show(&c.new));
            if c.old_repository.is_some() || c.new_repository.is_some() {
                let _ = write!(
                    out,
                    " (repository {} -> {})",
                    show(&c.old_repository),
                    show(&c.new_repository)
                );
            }
            out.push('\n');
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} added, {} removed, {} changed",
            doc.added.len(),
            doc.removed.len(),
            doc.changed.len()
        );
    }
    Ok(Status::Success)
}
