//! `rosdeb bloom REPOSITORY --distro NAME`: bloom-release's job without prompts. Imports the
//! upstream tag into the release repository and writes bloom's refs (`upstream`,
//! `release/<distro>/<pkg>`, `debian/<distro>/<codename>/<pkg>`, their tags, `tracks.yaml` on
//! `master`) with the `release` crate: built and verified in a scratch copy, then moved all at
//! once. `--pr-patch FILE` writes the distribution.yaml change as a unified diff.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use debgen::generate::{self, Target as DebTarget};
use rospkg::environment::Environment;
use rospkg::manifest::{self, ManifestKind};
use rospkg::rosdep::Target;
use serde::Serialize;

use super::debian::{PackageSource, load_templates, release_facts, render, ros_version_by_name};
use super::resolve::{RuleInputs, load_rules, require_distro};
use crate::atomic_write::{Readers, write_atomic};
use crate::exit::{Hinted, Status};

/// `rosdeb bloom` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository's name in the distribution file.
    #[arg(value_name = "REPOSITORY")]
    repository: String,
    /// The ROS distribution (e.g. noetic), read through $ROSDISTRO_INDEX_URL unless --distro-file.
    #[arg(long, value_name = "NAME")]
    distro: String,
    /// The distribution's distribution.yaml (path or file:// URL) instead of the index.
    #[arg(long, value_name = "FILE")]
    distro_file: Option<String>,
    /// The release repository (a local path or file:// URL) [default: the distribution's release url].
    #[arg(long, value_name = "PATH_OR_URL")]
    release_repo: Option<String>,
    /// The upstream repository (a path, a file://, http:// or https:// URL) [default: the
    /// source url].
    #[arg(long, value_name = "PATH_OR_URL")]
    upstream: Option<String>,
    /// The upstream version [default: the distribution's, else the newest X.Y.Z tag].
    #[arg(long, value_name = "X.Y.Z")]
    version: Option<String>,
    /// Only these platforms (OS:CODENAME) of the distribution's release_platforms; repeatable.
    #[arg(long = "os", value_name = "OS:CODENAME")]
    os: Vec<Target>,
    /// A rosdep rule file (path, file:// or http(s):// URL), before the sources lists; repeatable.
    #[arg(long = "rosdep", value_name = "FILE")]
    rosdep: Vec<String>,
    /// Author and committer, `Name <email>` [default: rosdeb <rosdeb@localhost>].
    #[arg(long, value_name = "NAME <EMAIL>")]
    author: Option<String>,
    /// Write the distribution.yaml change as a unified diff (`git apply`, `patch -p1`).
    #[arg(long, value_name = "FILE")]
    pr_patch: Option<PathBuf>,
    /// Print a JSON document instead of the refs.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    fetch: crate::fetch::FetchArgs,
}

#[derive(Serialize)]
struct Report {
    schema: u32,
    repository: String,
    version: String,
    inc: u32,
    packages: Vec<String>,
    refs: Vec<RefReport>,
}

#[derive(Serialize)]
struct RefReport {
    name: String,
    oid: String,
    changed: bool,
}

/// The Debian-family OSes bloom generates debian/ for.
const DEBIAN_OSES: &[&str] = &["debian", "ubuntu"];

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    let env = Environment::from_process();
    let mut warnings = String::new();
    // The distribution first: its release_platforms are the targets the rules are read for.
    let fetcher = crate::fetch::Fetcher::new(args.fetch.options())?;
    let probe =
        RuleInputs::distribution_only(&args.distro, args.distro_file.as_deref(), &args.fetch);
    let distribution = require_distro(&probe, &env, &fetcher)?;
    let platforms = platforms(&distribution, &args.os)?;
    let targets: Vec<Target> = platforms
        .iter()
        .map(|p| Target { os: p.os.clone(), codename: p.codename.clone() })
        .collect();
    let inputs = RuleInputs { rosdep: &args.rosdep, targets: &targets, ..probe };
    let (rules, _) = load_rules(&inputs, &env, &mut warnings)?;
    let _ = std::io::stderr().lock().write_all(warnings.as_bytes());
    let repo = distribution.repositories.get(&args.repository).ok_or_else(|| {
        Hinted::error(
            format!("the {} distribution has no repository `{}`", args.distro, args.repository),
            "check the name with `rosdeb distro` or add the repository to distribution.yaml",
        )
    })?;
    let release = repo.release.as_ref();
    let release_repo = args
        .release_repo
        .clone()
        .or_else(|| release.map(|r| r.spec.url.clone()))
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Hinted::error(
                format!("`{}` has no release url", args.repository),
                "pass --release-repo PATH",
            )
        })?;
    let release_path = match release_repo.strip_prefix("file://") {
        Some(p) => PathBuf::from(p),
        None if release_repo.contains("://") || release_repo.starts_with("git@") => {
            return Err(Hinted::error(
                format!("release repository `{release_repo}` is not local"),
                "clone it first (git clone --mirror URL DIR), pass --release-repo DIR, then push",
            ));
        }
        None => PathBuf::from(&release_repo),
    };
    let upstream = args
        .upstream
        .clone()
        .or_else(|| repo.source.as_ref().map(|s| s.spec.url.clone()))
        .ok_or_else(|| {
            Hinted::error(
                format!("`{}` has no source url", args.repository),
                "pass --upstream PATH",
            )
        })?;
    let vcs_uri = repo.source.as_ref().map_or_else(|| upstream.clone(), |s| s.spec.url.clone());
    let version = args
        .version
        .clone()
        .or_else(|| release.and_then(|r| r.upstream_version()).map(str::to_owned));

    let (author_name, author_email) = parse_author(args.author.as_deref())?;
    let time = match env.get("SOURCE_DATE_EPOCH") {
        Some(s) => s.parse().map_err(|_| {
            Hinted::error(format!("SOURCE_DATE_EPOCH `{s}` is not a number"), "unset it or fix it")
        })?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
    };
    let request = release::Request {
        distro: args.distro.clone(),
        upstream,
        vcs_uri,
        release_repo: release_path,
        version,
        platforms,
        author_name,
        author_email,
        time,
    };

    // --pr-patch is checked before any ref moves: the file and its release section exist.
    let pr_url = release.map_or(release_repo.as_str(), |r| r.spec.url.as_str());
    let pr_source = match &args.pr_patch {
        None => None,
        Some(_) => {
            let file = args.distro_file.as_deref().ok_or_else(|| {
                Hinted::error(
                    "--pr-patch needs --distro-file",
                    "pass the distribution.yaml of your rosdistro checkout",
                )
            })?;
            let path = file.strip_prefix("file://").unwrap_or(file).to_owned();
            let text = fs_err::read_to_string(&path)?;
            let probe = pr_patch(&text, "x", &args.repository, pr_url, &args.distro, "0-0", &[]);
            if probe.is_none() {
                return Err(Hinted::error(
                    format!(
                        "{path}: cannot find repositories/{}/release to patch",
                        args.repository
                    ),
                    "--pr-patch edits rosdistro's own layout (two-space indentation, a release \
                     section)",
                ));
            }
            Some((path, text))
        }
    };
    let templates = load_templates(None)?;
    let ros_version = Some(ros_version_by_name(&args.distro));
    let mut render_one = |r: &release::RenderRequest<'_>| -> Result<release::DebianTree, String> {
        let (dir, name, platform, inc) = (r.dir, r.name, r.platform, r.inc);
        let xml = dir.join("package.xml");
        let m = manifest::parse_file(ManifestKind::PackageXml, &xml).map_err(|d| d.to_string())?;
        let target = DebTarget {
            distro: args.distro.clone(),
            os: platform.os.clone(),
            codename: platform.codename.clone(),
            ros_version,
            python_version: None,
        };
        let (mut peers, _) = release_facts(&m, &args.distro, Some(&distribution), inc);
        // The packages released together, even before the distribution lists them.
        peers.extend(
            r.peers.iter().map(|p| (p.clone(), generate::ros_package_name(&args.distro, p))),
        );
        let depends = generate::resolve(&m, &rules, &target, &peers).map_err(|keys| {
            let mut s = String::from("unresolved rosdep keys:");
            for k in keys {
                let _ = write!(s, " {} ({})", k.key, k.reason);
            }
            s
        })?;
        let source = PackageSource { dir, xml: &xml, manifest: &m };
        let tree = render(&source, &target, &depends, inc, &templates, &env, None)
            .map_err(|e| format!("{e:#}"))?;
        tracing::info!(package = name, codename = %platform.codename, "debian/ generated");
        Ok(tree
            .into_iter()
            .filter_map(|(path, f)| {
                path.strip_prefix("debian/")
                    .map(|p| (p.to_owned(), (f.contents.into_bytes(), f.executable)))
            })
            .collect())
    };
    eprintln!("releasing {} for {} ...", args.repository, args.distro);
    let outcome = release::release(&request, &mut render_one).map_err(|e| {
        let hint = e.hint();
        Hinted::error(e.to_string(), hint)
    })?;

    if let Some(expected) = release.map(|r| &r.packages).filter(|p| !p.is_empty()) {
        let found: BTreeSet<&String> = outcome.packages.iter().collect();
        let listed: BTreeSet<&String> = expected.iter().collect();
        if found != listed {
            eprintln!(
                "warning: the distribution lists packages {listed:?}, the upstream tag holds \
                 {found:?}"
            );
        }
    }
    if let (Some(out), Some((path, text))) = (&args.pr_patch, &pr_source) {
        let patch = pr_patch(
            text,
            &format!("{}/distribution.yaml", args.distro),
            &args.repository,
            pr_url,
            &args.distro,
            &format!("{}-{}", outcome.version, outcome.inc),
            &outcome.packages,
        )
        .ok_or_else(|| anyhow::anyhow!("{path}: the release section disappeared"))?;
        write_atomic(out, patch.as_bytes(), Readers::Everyone)?;
    }

    let text = if args.json {
        let report = Report {
            schema: crate::json::SCHEMA,
            repository: args.repository.clone(),
            version: outcome.version.clone(),
            inc: outcome.inc,
            packages: outcome.packages.clone(),
            refs: outcome
                .refs
                .iter()
                .map(|r| RefReport {
                    name: r.name.clone(),
                    oid: r.oid.to_string(),
                    changed: r.old != Some(r.oid),
                })
                .collect(),
        };
        format!("{}\n", serde_json::to_string_pretty(&report)?)
    } else {
        outcome.refs.iter().map(|r| format!("{} {}\n", r.oid, r.name)).collect()
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).context("writing to stdout")?;
    Ok(Status::Success)
}

/// The distribution's Debian and Ubuntu codenames, restricted by `--os`.
fn platforms(
    distribution: &rospkg::distro::distribution::DistributionFile,
    only: &[Target],
) -> anyhow::Result<Vec<release::Platform>> {
    let mut platforms = Vec::new();
    for (os, codenames) in &distribution.release_platforms {
        if !DEBIAN_OSES.contains(&os.as_str()) {
            continue;
        }
        for codename in codenames {
            if only.is_empty() || only.iter().any(|t| &t.os == os && &t.codename == codename) {
                platforms.push(release::Platform { os: os.clone(), codename: codename.clone() });
            }
        }
    }
    if platforms.is_empty() {
        return Err(Hinted::error(
            "no Debian or Ubuntu platform to generate debian/ for",
            "check release_platforms in distribution.yaml and the --os values",
        ));
    }
    Ok(platforms)
}

fn parse_author(author: Option<&str>) -> anyhow::Result<(String, String)> {
    let Some(a) = author else { return Ok(("rosdeb".into(), "rosdeb@localhost".into())) };
    let bad = || {
        Hinted::error(
            format!("--author `{a}` is not `Name <email>`"),
            "e.g. --author 'Jane Doe <jane@example.org>'",
        )
    };
    let (name, rest) = a.split_once('<').ok_or_else(bad)?;
    let email = rest.strip_suffix('>').ok_or_else(bad)?;
    if a.chars().any(char::is_control) || email.contains(['<', '>']) || name.trim().is_empty() {
        return Err(bad());
    }
    Ok((name.trim().to_owned(), email.to_owned()))
}

/// The unified diff of `text` (at `path` in a rosdistro checkout) giving `repository` the
/// release section bloom writes. `None` when the section is not where rosdistro puts it.
fn pr_patch(
    text: &str,
    path: &str,
    repository: &str,
    url: &str,
    distro: &str,
    version: &str,
    packages: &[String],
) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start_repos = lines.iter().position(|l| *l == "repositories:")?;
    let repo_line = format!("  {repository}:");
    let repo_at = (start_repos + 1..lines.len()).find(|&i| lines[i] == repo_line)?;
    let repo_end = (repo_at + 1..lines.len())
        .find(|&i| !lines[i].is_empty() && !lines[i].starts_with("   "))
        .unwrap_or(lines.len());
    let rel_at = (repo_at + 1..repo_end).find(|&i| lines[i] == "    release:")?;
    let rel_end = (rel_at + 1..repo_end)
        .find(|&i| !lines[i].is_empty() && !lines[i].starts_with("     "))
        .unwrap_or(repo_end);
    let mut block = vec!["    release:".to_owned(), "      packages:".to_owned()];
    block.extend(packages.iter().map(|p| format!("      - {p}")));
    block.push("      tags:".to_owned());
    block.push(format!("        release: release/{distro}/{{package}}/{{version}}"));
    block.push(format!("      url: {url}"));
    block.push(format!("      version: {version}"));
    let mut new: Vec<String> = lines[..rel_at].iter().map(|l| (*l).to_owned()).collect();
    new.extend(block);
    new.extend(lines[rel_end..].iter().map(|l| (*l).to_owned()));
    Some(unified_diff(&lines, &new, path))
}

/// One hunk covering every changed line, with three lines of context.
fn unified_diff(old: &[&str], new: &[String], path: &str) -> String {
    let prefix = old.iter().zip(new).take_while(|(a, b)| **a == b.as_str()).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| **a == b.as_str())
        .count();
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    if prefix == old.len() && prefix == new.len() {
        return out;
    }
    let from = prefix.saturating_sub(3);
    let old_to = (old.len() - suffix + 3).min(old.len());
    let new_to = (new.len() - suffix + 3).min(new.len());
    let _ = writeln!(out, "@@ -{},{} +{},{} @@", from + 1, old_to - from, from + 1, new_to - from);
    for l in &old[from..prefix] {
        let _ = writeln!(out, " {l}");
    }
    for l in &old[prefix..old.len() - suffix] {
        let _ = writeln!(out, "-{l}");
    }
    for l in &new[prefix..new.len() - suffix] {
        let _ = writeln!(out, "+{l}");
    }
    for l in &old[old.len() - suffix..old_to] {
        let _ = writeln!(out, " {l}");
    }
    out
}
