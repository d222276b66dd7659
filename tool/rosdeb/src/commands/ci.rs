//! `rosdeb ci generate --github-actions | --gitlab-ci --plan FILE`: a CI pipeline from the plan
//! of `rosdeb release --plan --json`, one build job per node (or per batch of nodes) across many
//! runners, debs passed between jobs as artifacts in dependency order, one publish job at the
//! end.
//!
//! Jobs. `--batch N` (default 1) puts up to N nodes of the same target and the same level in
//! one job, named `build-<os>-<codename>-l<level>-b<index>` (an identifier both engines take;
//! the packages are in GitHub's display `name` and in the command). A job needs the jobs that
//! hold its nodes' dependencies. It checks out the repository, installs rosdeb (the variable
//! `ROSDEB_INSTALL`, default per engine, `--install-command` to change it), downloads the
//! artifacts of the jobs it needs into `rosdeb-work/debs/`, runs one
//! `rosdeb release --os <target> --no-deps --no-publish --work rosdeb-work <package>...` and
//! uploads `rosdeb-work/debs/` as its artifact: the downloaded debs with its own, so a job's
//! artifact holds the debs of every node its nodes need, however deep. The `publish` job needs
//! every build job, downloads every artifact and runs `rosdeb apt publish` per codename into
//! `apt/`, signed with the key of the CI secret `ROSDEB_SIGN_KEY` (written to a private
//! temporary file by the job), and uploads `apt/` as the artifact `apt-repository`.
//!
//! GitLab accepts at most 50 entries in a job's `needs:`. Stages are the levels
//! (`build-l0`, `build-l1`, ..., `publish`), so the scheme is always correct: a job lists its
//! `needs:` when there are at most 50 of them (it starts as soon as they are done and gets
//! only their artifacts), and when there are more it has no `needs:` at all and falls back to
//! stage ordering (it waits for every earlier stage and gets all their artifacts, a superset).
//! GitHub has no such limit on `needs`, but does not start a workflow file over 500 KB and
//! runs about 256 jobs in a run: past those a warning says to batch.
//!
//! Every value of the plan that reaches the file is checked where it is read (package names
//! `[a-z][a-z0-9_-]*`, targets `os:codename` of `[a-z0-9]`, the distribution name, paths and
//! URLs of one line without quotes, `$`, backslashes or a leading `-`; node ids, dependencies
//! and levels consistent), shell-quoted in the command and written by serde (no hand-made
//! YAML). A plan that fails is refused whole, naming each bad node, and nothing is written.
//! Output is deterministic; `--out FILE` is written to a temporary file and renamed.

mod github;
mod gitlab;
mod plan;

#[cfg(test)]
mod tests;

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::atomic_write::{Readers, write_atomic};
use crate::exit::{Hinted, Status};
use crate::json::ReleasePlan;

pub use plan::Pipeline;

/// `rosdeb ci` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write a GitHub Actions workflow or a GitLab CI pipeline that builds a release plan
    /// (`rosdeb release --plan --json`) on many runners and publishes one apt repository.
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("engine").required(true).args(["github_actions", "gitlab_ci"])))]
struct GenerateArgs {
    /// Write a GitHub Actions workflow (`.github/workflows/*.yml`).
    #[arg(long)]
    github_actions: bool,
    /// Write a GitLab CI pipeline (`.gitlab-ci.yml`).
    #[arg(long)]
    gitlab_ci: bool,
    /// The plan: the output of `rosdeb release --plan --json` (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// Up to N nodes of the same target and level per build job.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    batch: u32,
    /// Where to write the pipeline (written whole, then renamed); default: standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The shell command that installs rosdeb on a runner (the default value of the variable
    /// `ROSDEB_INSTALL`); default: `apt-get install` of `./rosdeb_*.deb` at the repository root.
    #[arg(long, value_name = "TEXT")]
    install_command: Option<String>,
    /// GitHub: the runner label of every job.
    #[arg(long, value_name = "LABEL", default_value = "ubuntu-latest")]
    runs_on: String,
    /// GitLab: the container image of every job.
    #[arg(long, value_name = "IMAGE", default_value = "debian:bookworm")]
    image: String,
}

/// The CI engines a pipeline can be written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// GitHub Actions.
    GithubActions,
    /// GitLab CI.
    GitlabCi,
}

/// Everything a pipeline is written from besides the plan.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The command that installs rosdeb on a runner.
    pub install: String,
    /// GitHub's `runs-on`.
    pub runs_on: String,
    /// GitLab's `image`.
    pub image: String,
}

/// GitHub does not start a workflow file larger than this.
const GITHUB_MAX_FILE: usize = 500 * 1024;
/// About how many jobs GitHub runs in one workflow run.
const GITHUB_MAX_JOBS: usize = 256;

/// Runs `rosdeb ci`.
pub fn run(args: Args) -> anyhow::Result<Status> {
    match args.command {
        Command::Generate(args) => generate(args),
    }
}

fn generate(args: GenerateArgs) -> anyhow::Result<Status> {
    let engine = if args.github_actions { Engine::GithubActions } else { Engine::GitlabCi };
    let name = if args.plan.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        args.plan.display().to_string()
    };
    let text = if args.plan.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the plan from stdin")?;
        text
    } else {
        fs_err::read_to_string(&args.plan)?
    };
    let plan: ReleasePlan = serde_json::from_str(&text).map_err(|e| {
        Hinted::error(
            format!("{name}:{}:{}: not a release plan: {e}", e.line(), e.column()),
            "give the output of `rosdeb release --plan --json`",
        )
    })?;
    let settings = Settings {
        install: match args.install_command {
            Some(command) => command,
            None => default_install(engine).to_owned(),
        },
        runs_on: args.runs_on,
        image: args.image,
    };
    plan::check_setting("--install-command", &settings.install)?;
    plan::check_setting("--runs-on", &settings.runs_on)?;
    plan::check_setting("--image", &settings.image)?;
    let pipeline = Pipeline::from_plan(&plan, args.batch as usize).map_err(|problems| {
        const SHOWN: usize = 20;
        let mut lines = problems.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("\n  ");
        if problems.len() > SHOWN {
            lines.push_str(&format!("\n  and {} more problems", problems.len() - SHOWN));
        }
        Hinted::error(
            format!("{name}: the plan cannot become a pipeline:\n  {lines}"),
            "the plan is the output of `rosdeb release --plan --json`: package names are \
             [a-z][a-z0-9_-]*, targets os:codename, paths one line without quotes, `$`, `\\` \
             or a leading `-`",
        )
    })?;
    let (yaml, fallbacks) = render(engine, &pipeline, &settings)?;

    match &args.out {
        None => std::io::stdout().lock().write_all(yaml.as_bytes())?,
        // A file for the repository, not a secret.
        Some(out) => write_atomic(out, yaml.as_bytes(), Readers::Everyone)?,
    }

    let mut summary = format!(
        "ci generate: {} jobs ({} build + publish), {} nodes, {} levels, critical path {} \
         nodes, {} nodes with unknown sources",
        pipeline.jobs.len() + 1,
        pipeline.jobs.len(),
        pipeline.nodes,
        pipeline.levels,
        pipeline.critical_path,
        pipeline.unknown,
    );
    if engine == Engine::GitlabCi && fallbacks > 0 {
        let jobs = if fallbacks == 1 { "job" } else { "jobs" };
        summary.push_str(&format!(
            ", {fallbacks} {jobs} ordered by stage (more than {} needs)",
            gitlab::MAX_NEEDS
        ));
    }
    eprintln!("{summary}");
    for value in plan.distro_file.iter().chain(&plan.rosdep).chain(&plan.sources) {
        if value.starts_with('/') || value.starts_with("file:///") {
            eprintln!(
                "warning: `{value}` is an absolute path: a runner's checkout will not have it\n  \
                 hint: make the plan at the root of the repository, with relative paths"
            );
        }
    }
    if engine == Engine::GithubActions
        && (yaml.len() > GITHUB_MAX_FILE || pipeline.jobs.len() + 1 > GITHUB_MAX_JOBS)
    {
        eprintln!(
            "warning: {} jobs in {} KB: GitHub runs about {GITHUB_MAX_JOBS} jobs per workflow \
             run and does not start a file over {} KB\n  hint: group nodes with --batch N",
            pipeline.jobs.len() + 1,
            yaml.len().div_ceil(1024),
            GITHUB_MAX_FILE / 1024
        );
    }
    Ok(Status::Success)
}

/// The default of `ROSDEB_INSTALL`: rosdeb's own .deb (`cargo xtask dist` makes it) at the
/// root of the repository. GitHub's runners run as a user with sudo; GitLab's images as root.
pub fn default_install(engine: Engine) -> &'static str {
    match engine {
        Engine::GithubActions => "sudo apt-get update && sudo apt-get install -y ./rosdeb_*.deb",
        Engine::GitlabCi => "apt-get update && apt-get install -y ./rosdeb_*.deb",
    }
}

/// The pipeline file for `engine`, and how many GitLab jobs fall back to stage ordering.
pub fn render(
    engine: Engine,
    pipeline: &Pipeline,
    settings: &Settings,
) -> anyhow::Result<(String, usize)> {
    match engine {
        Engine::GithubActions => Ok((github::render(pipeline, settings)?, 0)),
        Engine::GitlabCi => gitlab::render(pipeline, settings),
    }
}

/// YAML through serde-saphyr: strings that another type's spelling (YAML 1.1 booleans, null,
/// numbers) quoted, every string on one line (commands stay readable; no folded blocks).
fn to_yaml<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    Ok(serde_saphyr::to_string_with_options(value, options)?)
}
