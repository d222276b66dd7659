//! The release plan as `ci generate` reads it: every value that reaches a pipeline file or a
//! shell line checked where it enters, the nodes grouped into jobs.

use std::collections::{BTreeMap, HashMap};

use crate::exit::Hinted;
use crate::json::ReleasePlan;

/// The folder every job works in (`rosdeb release --work`); the debs are under `debs/`.
pub const WORK: &str = "rosdeb-work";

/// A checked plan grouped into build jobs.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The `rosdeb release` arguments every job shares (`--distro ...`), checked.
    pub common: Vec<String>,
    /// The build jobs: by level, then target (in the plan's order), then batch.
    pub jobs: Vec<Job>,
    /// The codenames of the targets that have nodes, without repeats.
    pub codenames: Vec<String>,
    /// How many nodes.
    pub nodes: usize,
    /// How many levels (the deepest level plus one).
    pub levels: u32,
    /// Nodes in one longest chain of build dependencies (= levels).
    pub critical_path: usize,
    /// Nodes whose sources the plan does not know.
    pub unknown: usize,
}

/// One build job: up to `--batch` nodes of one target and one level.
#[derive(Debug, Clone)]
pub struct Job {
    /// `build-<os>-<codename>-l<level>-b<index>`.
    pub id: String,
    /// `OS:CODENAME`.
    pub target: String,
    /// The level of its nodes.
    pub level: u32,
    /// Its nodes' packages, sorted.
    pub packages: Vec<String>,
    /// Indexes (in [`Pipeline::jobs`]) of the jobs holding its nodes' dependencies, sorted.
    pub needs: Vec<usize>,
}

impl Job {
    /// The one command the job runs, shell-quoted.
    pub fn command(&self, common: &[String]) -> String {
        let mut words: Vec<&str> = vec!["rosdeb", "release"];
        words.extend(common.iter().map(String::as_str));
        words.extend(["--os", &self.target, "--no-deps", "--no-publish", "--work", WORK]);
        words.extend(self.packages.iter().map(String::as_str));
        // Every word was checked: no NUL, so quoting cannot fail.
        shlex::try_join(words).unwrap_or_default()
    }

    /// What a person reads: target, level and packages.
    pub fn title(&self) -> String {
        const SHOWN: usize = 8;
        let mut names = self.packages.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
        if self.packages.len() > SHOWN {
            names.push_str(&format!(" and {} more", self.packages.len() - SHOWN));
        }
        format!("{} level {}: {names}", self.target, self.level)
    }
}

/// The publish commands, one per codename (the signing key's file is `$ROSDEB_SIGN_KEY_FILE`).
pub fn publish_commands(codenames: &[String]) -> Vec<String> {
    codenames
        .iter()
        .map(|c| {
            format!(
                "rosdeb apt publish --repo apt --codename {c} --sign-key \"$ROSDEB_SIGN_KEY_FILE\" \
                 {WORK}/debs/{c}/*.deb"
            )
        })
        .collect()
}

impl Pipeline {
    /// Checks `plan` and groups its nodes, up to `batch` per job; every problem found, each
    /// naming its node or field, when it cannot be written.
    pub fn from_plan(plan: &ReleasePlan, batch: usize) -> Result<Pipeline, Vec<String>> {
        let mut problems = Vec::new();
        let mut bad = |what: String| problems.push(what);
        if plan.schema != crate::json::SCHEMA {
            bad(format!(
                "schema {} (this rosdeb reads schema {})",
                plan.schema,
                crate::json::SCHEMA
            ));
        }
        if let Err(e) = distro_name(&plan.distro) {
            bad(format!("distro `{}`: {e}", plan.distro.escape_debug()));
        }
        let mut common = vec!["--distro".to_owned(), plan.distro.clone()];
        let lists = [
            ("distro_file", "--distro-file", plan.distro_file.iter().collect::<Vec<_>>()),
            ("rosdep", "--rosdep", plan.rosdep.iter().collect()),
            ("sources", "--sources", plan.sources.iter().collect()),
        ];
        for (field, flag, values) in lists {
            for (i, value) in values.into_iter().enumerate() {
                match shell_value(value) {
                    Ok(()) => common.extend([flag.to_owned(), value.clone()]),
                    Err(e) => bad(format!("{field}[{i}] `{}`: {e}", value.escape_debug())),
                }
            }
        }
        for target in &plan.targets {
            if let Err(e) = split_target(target) {
                bad(format!("target `{}`: {e}", target.escape_debug()));
            }
        }
        if plan.nodes.is_empty() {
            bad("no nodes: nothing to build".to_owned());
        }

        // Ids first, so that dependencies can be checked in any order.
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut good = vec![true; plan.nodes.len()];
        for (i, node) in plan.nodes.iter().enumerate() {
            let id = node.id.escape_debug();
            let problem = if let Err(e) = package_name(&node.package) {
                Some(format!("package name `{}`: {e}", node.package.escape_debug()))
            } else if !plan.targets.contains(&node.target) {
                Some(format!(
                    "target `{}` is not one of the plan's targets",
                    node.target.escape_debug()
                ))
            } else if node.id != format!("{}@{}", node.package, node.target) {
                Some(format!("the id is not `{}@{}`", node.package, node.target))
            } else if index.insert(&node.id, i).is_some() {
                Some("listed twice".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                bad(format!("node `{id}`: {problem}"));
                good[i] = false;
            }
        }
        for node in plan.nodes.iter().zip(&good).filter(|(_, g)| **g).map(|(n, _)| n) {
            let mut deepest = None;
            let mut known = true;
            for dep in &node.depends {
                match index.get(dep.as_str()).map(|&d| &plan.nodes[d]) {
                    None => {
                        known = false;
                        bad(format!(
                            "node `{}`: depends on `{}`, which is not a node of the plan",
                            node.id,
                            dep.escape_debug()
                        ));
                    }
                    Some(d) if d.target != node.target => {
                        known = false;
                        bad(format!(
                            "node `{}`: depends on `{}`, a node of another target",
                            node.id, d.id
                        ));
                    }
                    Some(d) => deepest = deepest.max(Some(d.level)),
                }
            }
            let level = deepest.map_or(0, |l| l + 1);
            if known && node.level != level {
                bad(format!(
                    "node `{}`: level {} where its dependencies make it {level}",
                    node.id, node.level
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }

        // Groups of (level, target), packages sorted, cut into batches.
        let order: HashMap<&str, usize> =
            plan.targets.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
        let mut groups: BTreeMap<(u32, usize), Vec<usize>> = BTreeMap::new();
        for (i, node) in plan.nodes.iter().enumerate() {
            groups.entry((node.level, order[node.target.as_str()])).or_default().push(i);
        }
        let mut jobs = Vec::new();
        let mut job_of = vec![0; plan.nodes.len()];
        for ((level, target), mut members) in groups {
            members.sort_by(|&a, &b| plan.nodes[a].package.cmp(&plan.nodes[b].package));
            let target = &plan.targets[target];
            let (os, codename) = split_target(target).unwrap_or_default();
            for (b, chunk) in members.chunks(batch.max(1)).enumerate() {
                for &n in chunk {
                    job_of[n] = jobs.len();
                }
                jobs.push(Job {
                    id: format!("build-{os}-{codename}-l{level}-b{b}"),
                    target: target.clone(),
                    level,
                    packages: chunk.iter().map(|&n| plan.nodes[n].package.clone()).collect(),
                    needs: Vec::new(),
                });
            }
        }
        for (n, node) in plan.nodes.iter().enumerate() {
            for dep in &node.depends {
                let needed = job_of[index[dep.as_str()]];
                jobs[job_of[n]].needs.push(needed);
            }
        }
        for job in &mut jobs {
            job.needs.sort_unstable();
            job.needs.dedup();
        }
        // The codenames that have debs to publish, in the plan's order of targets.
        let mut codenames: Vec<String> = Vec::new();
        for job in &jobs {
            let (_, codename) = split_target(&job.target).unwrap_or_default();
            if !codenames.iter().any(|c| c == codename) {
                codenames.push(codename.to_owned());
            }
        }
        let levels = plan.nodes.iter().map(|n| n.level + 1).max().unwrap_or(0);
        Ok(Pipeline {
            common,
            jobs,
            codenames,
            nodes: plan.nodes.len(),
            levels,
            critical_path: levels as usize,
            unknown: plan.nodes.iter().filter(|n| n.source.is_none()).count(),
        })
    }
}

/// A ROS package name: REP 144's `[a-z][a-z0-9_]*`, plus the `-` catkin_pkg only warns about
/// (noetic releases `hpp-fcl`, `paho-mqtt-c`, ...); never a leading `-`, so never an option.
pub fn package_name(name: &str) -> Result<(), &'static str> {
    identifier(name, 100, true)
        .map_err(|()| "not a ROS package name ([a-z][a-z0-9_-]*, at most 100)")
}

/// A ROS distribution name (`noetic`).
pub fn distro_name(name: &str) -> Result<(), &'static str> {
    identifier(name, 64, false)
        .map_err(|()| "not a distribution name ([a-z][a-z0-9_]*, at most 64)")
}

fn identifier(name: &str, max: usize, dash: bool) -> Result<(), ()> {
    let mut chars = name.chars();
    let ok = name.len() <= max
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (dash && c == '-')
        });
    if ok { Ok(()) } else { Err(()) }
}

/// `os:codename`, each of `[a-z0-9]`, 1 to 32 characters (job ids stay under 100).
pub fn split_target(target: &str) -> Result<(&str, &str), &'static str> {
    let part = |s: &str| {
        !s.is_empty()
            && s.len() <= 32
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    match target.split_once(':') {
        Some((os, codename)) if part(os) && part(codename) => Ok((os, codename)),
        _ => Err("not a target (os:codename, each [a-z0-9], at most 32)"),
    }
}

/// A path or URL that goes into a command line: one line, no quotes, `$` (shell and GitHub
/// expansions), backslash or control character, not an option.
pub fn shell_value(value: &str) -> Result<(), &'static str> {
    if value.is_empty() || value.len() > 4096 {
        Err("empty or longer than 4096 bytes")
    } else if value.starts_with('-') {
        Err("starts with `-` (it would read as an option)")
    } else if value.chars().any(|c| c.is_control()) {
        Err("holds a newline or another control character")
    } else if value.contains(['\'', '"', '`', '$', '\\']) {
        Err("holds a quote, `$` or a backslash")
    } else {
        Ok(())
    }
}

/// A command-line setting written into the pipeline (`--install-command`, `--runs-on`,
/// `--image`): one line, no control characters, no GitHub expression.
pub fn check_setting(flag: &str, value: &str) -> anyhow::Result<()> {
    if value.trim().is_empty() || value.chars().any(|c| c.is_control()) || value.contains("${{") {
        return Err(anyhow::Error::new(Hinted {
            message: format!(
                "{flag} `{}`: not one non-empty line without `${{{{`",
                value.escape_debug()
            ),
            hint: "give it as a single line; use the engine's own variables for secrets".into(),
            status: Some(crate::exit::Status::Usage),
        }));
    }
    Ok(())
}
