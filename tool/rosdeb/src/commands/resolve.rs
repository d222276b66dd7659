//! `rosdeb resolve KEY... --os OS:CODENAME...`: rosdep keys to system packages, every key for
//! every target in one table, with the reason for each failure.
//!
//! Rules come from `--rosdep FILE` (first), then the sources lists of `ROSDEP_SOURCE_PATH` (or
//! `/etc/ros/rosdep/sources.list.d`), as rosdep reads them: paths, `file://` and `http(s)://`
//! URLs, the latter through the HTTP cache (`--offline`, `--frozen`, `--lock`). `--distro NAME`
//! (through the index at `ROSDISTRO_INDEX_URL`) or `--distro-file FILE` adds the released
//! packages of a distribution: they print as `ros-<distro>-<name-with-dashes>` with the OS's
//! default installer (`apt` on Debian and Ubuntu), as rosdep generates them.
//!
//! Only the OS's default installer counts as resolved (a binary package can depend on nothing
//! else); `--any-installer` accepts pip, gem, ... as `rosdep resolve` does.
//!
//! Text: one `KEY<TAB>OS:CODENAME<TAB>INSTALLER<TAB>PACKAGES` line per answer on stdout,
//! failures on stderr. `--json`: `{key: {"os:codename": {"installer", "packages"} or
//! {"error"}}}` (the pinned shape, no schema field). Exit 1 when any key fails anywhere.

use std::collections::BTreeSet;

use anyhow::Context as _;
use indexmap::IndexMap;
use rospkg::distro as rdistro;
use rospkg::distro::distribution::DistributionFile;
use rospkg::environment::Environment;
use rospkg::rosdep::{
    self, Failure, Outcome, Policy, ROS_INSTALLER, RosDistro, RuleFile, Rules, Target,
};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;

use crate::exit::{Hinted, Status, diagnostic_error, distro_error};
use crate::fetch::Fetcher;

/// The environment variable naming the rosdistro index.
pub const INDEX_ENV: &str = "ROSDISTRO_INDEX_URL";

/// `rosdeb resolve` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// rosdep keys (e.g. boost, python3-yaml) or ROS package names of the distribution.
    #[arg(required = true, value_name = "KEY")]
    keys: Vec<String>,
    /// A target platform, OS:CODENAME (e.g. ubuntu:jammy); repeat for several.
    #[arg(long = "os", value_name = "OS:CODENAME", required = true)]
    targets: Vec<Target>,
    /// A rosdep rule file (path, file:// or http(s):// URL), before the sources lists; repeatable.
    #[arg(long = "rosdep", value_name = "FILE")]
    rosdep: Vec<String>,
    /// The ROS distribution (e.g. humble), read through the index at $ROSDISTRO_INDEX_URL;
    /// with --distro-file, the name to give that file's packages.
    #[arg(long, value_name = "NAME")]
    distro: Option<String>,
    /// The ROS distribution's distribution.yaml (path or file:// URL); its name is the folder's
    /// (`humble/distribution.yaml`) unless --distro gives one.
    #[arg(long, value_name = "FILE")]
    distro_file: Option<String>,
    /// Accept rules for any installer of the OS (pip, gem, npm), as `rosdep resolve` does.
    #[arg(long)]
    any_installer: bool,
    /// Print `{key: {"os:codename": {"installer": ..., "packages": [...]} or {"error": ...}}}`.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    fetch: crate::fetch::FetchArgs,
}

/// One answer in `--json`.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Resolved { installer: String, packages: Vec<String> },
    Failed { error: String },
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let env = Environment::from_process();
    let mut warnings = String::new();
    let inputs = RuleInputs {
        rosdep: &args.rosdep,
        distro: args.distro.as_deref(),
        distro_file: args.distro_file.as_deref(),
        targets: &args.targets,
        fetch: &args.fetch,
        keys: Some(&args.keys.iter().cloned().collect()),
    };
    let (rules, _) = load_rules(&inputs, &env, &mut warnings)?;
    let policy = Policy { default_installer_only: !args.any_installer };
    let table = rules.resolve_table(&args.keys, &args.targets, policy);

    let mut out = String::new();
    let mut failed = 0usize;
    let mut doc: IndexMap<&str, IndexMap<String, Answer>> = IndexMap::new();
    for (key, row) in &table {
        let answers = doc.entry(key.as_str()).or_default();
        for (target, outcome) in row {
            let answer = answer(&rules, target, outcome);
            match &answer {
                Answer::Resolved { installer, packages } => {
                    if !args.json {
                        let _ =
                            writeln!(out, "{key}\t{target}\t{installer}\t{}", packages.join(" "));
                    }
                }
                Answer::Failed { error } => {
                    failed += 1;
                    if !args.json {
                        let _ =
                            writeln!(warnings, "error: cannot resolve {key} on {target}: {error}");
                    }
                }
            }
            answers.insert(target.to_string(), answer);
        }
    }
    if args.json {
        out.push_str(&serde_json::to_string_pretty(&doc)?);
        out.push('\n');
    }
    if failed > 0 && args.json {
        let total: usize = table.values().map(IndexMap::len).sum();
        let _ =
            writeln!(warnings, "error: {failed} of {total} answers failed (see their \"error\")");
    }
    let no_rule = table.values().flat_map(|r| r.values()).any(|o| o == &Err(Failure::NoRule));
    if no_rule && rules.distro().is_none() && !args.json {
        let _ = writeln!(
            warnings,
            "  hint: keys that are ROS packages resolve with --distro NAME or --distro-file FILE"
        );
    }
    let _ = std::io::stderr().lock().write_all(warnings.as_bytes());
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    Ok(if failed > 0 { Status::Failure } else { Status::Success })
}

/// An outcome as printed: a ROS package becomes `ros-<distro>-<name-with-dashes>` for the OS's
/// default installer.
fn answer(rules: &Rules, target: &Target, outcome: &Outcome) -> Answer {
    match outcome {
        Ok(r) if r.installer == ROS_INSTALLER => {
            let distro = rules.distro().map_or("", |d| d.name.as_str());
            Answer::Resolved {
                installer: rosdep::default_installer(target).unwrap_or("apt").to_owned(),
                packages: r
                    .packages
                    .iter()
                    .map(|p| format!("ros-{distro}-{p}").replace('_', "-"))
                    .collect(),
            }
        }
        Ok(r) => Answer::Resolved { installer: r.installer.clone(), packages: r.packages.clone() },
        Err(f) => Answer::Failed { error: f.to_string() },
    }
}

/// Where rosdep rules and the distribution come from; shared by `resolve` and `debian generate`.
pub struct RuleInputs<'a> {
    /// `--rosdep FILE`s, first in precedence.
    pub rosdep: &'a [String],
    /// `--distro NAME` (through `ROSDISTRO_INDEX_URL` unless `distro_file` is given).
    pub distro: Option<&'a str>,
    /// `--distro-file FILE`.
    pub distro_file: Option<&'a str>,
    /// The targets (sources list entries whose tags match none are not read).
    pub targets: &'a [Target],
    /// HTTP cache flags.
    pub fetch: &'a crate::fetch::FetchArgs,
    /// The only keys that will be asked about (`None`: any); rule files keep just these.
    pub keys: Option<&'a BTreeSet<String>>,
}

impl<'a> RuleInputs<'a> {
    /// Inputs that name only the distribution (`--distro`, `--distro-file`): no rule file, no
    /// target, every key.
    pub fn distribution_only(
        distro: &'a str,
        distro_file: Option<&'a str>,
        fetch: &'a crate::fetch::FetchArgs,
    ) -> RuleInputs<'a> {
        RuleInputs {
            rosdep: &[],
            distro: Some(distro),
            distro_file,
            targets: &[],
            fetch,
            keys: None,
        }
    }
}

/// The distribution file `args` name, which must be there (commands that release need one).
pub(super) fn require_distro(
    args: &RuleInputs<'_>,
    env: &Environment,
    fetcher: &Fetcher,
) -> anyhow::Result<DistributionFile> {
    let (_, distribution) = load_distro(args, env, fetcher)?.ok_or_else(|| {
        crate::exit::Hinted::error("no distribution file was read", "pass --distro-file FILE")
    })?;
    Ok(distribution)
}

/// The rules of `--rosdep` files, then the sources lists of `ROSDEP_SOURCE_PATH` (or the
/// system's), plus the distribution (also returned whole, for its release versions).
pub fn load_rules(
    args: &RuleInputs<'_>,
    env: &Environment,
    warnings: &mut String,
) -> anyhow::Result<(Rules, Option<DistributionFile>)> {
    let fetcher = Fetcher::new(args.fetch.options())?;
    let mut rules = Rules::new();
    let loaded = load_distro(args, env, &fetcher)?;
    let (distro, file) = match loaded {
        Some((d, f)) => (Some(d), Some(f)),
        None => (None, None),
    };
    let distro_name = distro.as_ref().map(|d| d.name.clone());
    for file in args.rosdep {
        push_file(&mut rules, rule_file(&fetcher, file, Vec::new(), args.keys)?, warnings);
    }
    let dirs = rosdep::sources::list_dirs(env.get(rosdep::sources::SOURCE_PATH_ENV));
    let entries = rosdep::sources::read_dirs(&dirs).map_err(distro_error)?;
    for entry in entries {
        if entry.kind == rosdep::sources::Kind::Gbpdistro {
            continue; // electric / fuerte only; rosdep ignores them for later distributions
        }
        // Entries whose tags cannot match any target are not read (rosdep skips them too).
        let usable =
            args.targets.iter().any(|t| rosdep::tags_match(&entry.tags, t, distro_name.as_deref()));
        if !usable {
            continue;
        }
        match rule_file(&fetcher, &entry.url, entry.tags.clone(), args.keys) {
            Ok(file) => push_file(&mut rules, file, warnings),
            // Like rosdep, a source that cannot be read is skipped with a warning when other
            // rules were given explicitly; otherwise it is an error.
            Err(e) if !args.rosdep.is_empty() => {
                let _ = writeln!(warnings, "warning: {}: skipped: {e:#}", entry.place());
            }
            Err(e) => {
                return Err(Hinted::error(
                    format!("{}: {e:#}", entry.place()),
                    "pass the rules with --rosdep FILE, or fix the sources list",
                ));
            }
        }
    }
    if let Some(d) = distro {
        rules.set_distro(d);
    }
    fetcher.finish()?;
    if rules.files().is_empty() && rules.distro().is_none() {
        return Err(Hinted::error(
            "no rosdep rules: no --rosdep file, and no sources list entry",
            "pass --rosdep FILE (e.g. rosdistro's rosdep/base.yaml), or set ROSDEP_SOURCE_PATH \
             to a directory of *.list files",
        ));
    }
    Ok((rules, file))
}

/// Reads one rule file by path, `file://` or `http(s)://` URL (through the HTTP cache), keeping
/// only `keys` when given. The parse is cached (see [`CachedRules`]).
fn rule_file(
    fetcher: &Fetcher,
    source: &str,
    tags: Vec<String>,
    keys: Option<&BTreeSet<String>>,
) -> anyhow::Result<RuleFile> {
    const KIND: &str = "rosdep-rules";
    let (fetched, cached) = fetcher.get_with_parsed_bytes(source, KIND)?;
    let from_cache =
        cached.as_deref().and_then(|bytes| CachedRules::decode(bytes, &fetched.path, keys));
    let mut file = match from_cache {
        Some(file) => file,
        None => {
            let text = Fetcher::text_of(&fetched)?;
            let file = RuleFile::parse(&fetched.path, &text).map_err(|d| diagnostic_error(&d))?;
            if let Some(bytes) = CachedRules::encode(&file) {
                fetcher.store_parsed(&fetched, KIND, &bytes);
            }
            match keys {
                Some(keys) => CachedRules::keep(file, keys),
                None => file,
            }
        }
    };
    file.tags = tags;
    Ok(file)
}

/// A parsed rule file as the cache of parse results keeps it: each key's rules encoded on their
/// own, so that a command asking about a few keys decodes just those (a rule file has over a
/// thousand).
#[derive(Serialize, serde::Deserialize)]
struct CachedRules<'a> {
    diagnostics: Vec<rospkg::Diagnostic>,
    #[serde(borrow)]
    keys: Vec<(&'a str, &'a [u8])>,
}

impl CachedRules<'_> {
    fn encode(file: &RuleFile) -> Option<Vec<u8>> {
        let encoded: Vec<(&str, Vec<u8>)> = file
            .keys()
            .map(|k| Some((k.as_str(), postcard::to_stdvec(file.get(k)?).ok()?)))
            .collect::<Option<_>>()?;
        let keys = encoded.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        postcard::to_stdvec(&CachedRules { diagnostics: file.diagnostics.clone(), keys }).ok()
    }

    /// The rule file of the cached `bytes` (`None` when they do not decode).
    fn decode(
        bytes: &[u8],
        path: &std::path::Path,
        keys: Option<&BTreeSet<String>>,
    ) -> Option<RuleFile> {
        let cached: CachedRules<'_> = postcard::from_bytes(bytes).ok()?;
        let mut map = IndexMap::new();
        for (key, rules) in cached.keys {
            if keys.is_none_or(|k| k.contains(key)) {
                map.insert(key.to_owned(), postcard::from_bytes(rules).ok()?);
            }
        }
        Some(RuleFile::from_parts(path.to_owned(), map, cached.diagnostics))
    }

    fn keep(file: RuleFile, keys: &BTreeSet<String>) -> RuleFile {
        let map = file
            .keys()
            .filter(|k| keys.contains(*k))
            .filter_map(|k| Some((k.clone(), file.get(k)?.clone())))
            .collect();
        RuleFile::from_parts(file.path.clone(), map, file.diagnostics.clone())
    }
}

fn push_file(rules: &mut Rules, file: RuleFile, warnings: &mut String) {
    for d in &file.diagnostics {
        let _ = writeln!(warnings, "{d}");
    }
    rules.push(file);
}

/// The distribution of `--distro-file` or `--distro` (through `ROSDISTRO_INDEX_URL`).
pub(super) fn load_distro(
    args: &RuleInputs<'_>,
    env: &Environment,
    fetcher: &Fetcher,
) -> anyhow::Result<Option<(RosDistro, DistributionFile)>> {
    let (dist, name) = match (args.distro_file, args.distro) {
        (Some(file), name) => {
            let dist = crate::commands::distro::load_distribution_file(fetcher, file)?;
            let name = match name {
                Some(n) => n.to_owned(),
                None if !dist.name.is_empty() => dist.name.clone(),
                None => name_from_path(file).ok_or_else(|| {
                    Hinted::error(
                        format!("cannot tell the distribution name of {file}"),
                        "add --distro NAME",
                    )
                })?,
            };
            (dist, name)
        }
        (None, Some(name)) => {
            let Some(url) = env.get(INDEX_ENV).filter(|u| !u.is_empty()) else {
                return Err(Hinted::error(
                    format!(
                        "--distro {name} needs the rosdistro index, and {INDEX_ENV} is not set"
                    ),
                    format!(
                        "set {INDEX_ENV}=file:///path/to/rosdistro/index-v4.yaml, or pass \
                         --distro-file FILE"
                    ),
                ));
            };
            let dist = crate::commands::distro::load_from_index(fetcher, url, name)?;
            (dist, name.to_owned())
        }
        (None, None) => return Ok(None),
    };
    if let Some(d) = dist.diagnostics.iter().find(|d| d.is_error()) {
        return Err(diagnostic_error(d).context("the distribution file is invalid"));
    }
    Ok(Some((RosDistro::from_distribution(&name, &dist), dist)))
}

/// `humble` from `.../humble/distribution.yaml` (rosdistro's layout; other names give `None`).
fn name_from_path(file: &str) -> Option<String> {
    let path = rdistro::resolve_source(file).ok()?;
    if path.file_name()? != "distribution.yaml" {
        return None;
    }
    let parent = path.parent()?.file_name()?.to_str()?;
    (!parent.is_empty()).then(|| parent.to_owned())
}
