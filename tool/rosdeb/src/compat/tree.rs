//! The commands over the whole tree: list, list-names, list-duplicates, langs, profile.

use std::collections::BTreeSet;
use std::time::Instant;

use rospkg::crawl::SearchPath;
use rospkg::rospack::Catalog;

use super::args::Invocation;
use super::output::{Run, raw, shown_dir};
use super::table::{Command, Opt};
use super::{CRAWL, Caller};
use crate::context::Context;

/// Runs a whole-tree `command`.
pub fn whole_tree(
    run: &mut Run,
    inv: &Invocation,
    command: Command,
    catalog: &Catalog,
    caller: &Caller<'_>,
    context: &Context,
    started: Instant,
) {
    match command {
        Command::List => {
            for item in catalog.list() {
                run.line([item.name.as_bytes(), b" ", raw(&item.dir)].concat());
            }
        }
        Command::ListNames => {
            for item in catalog.list() {
                run.line(&item.name);
            }
        }
        Command::ListDuplicates => {
            for dup in catalog.duplicates() {
                run.line(&dup.name);
                for dir in &dup.dirs {
                    run.line([b"- ", raw(dir)].concat());
                }
            }
        }
        Command::Langs => langs(run, catalog, caller),
        Command::Profile => profile(run, inv, &context.search, started),
        _ => run.error(&format!("command {command} not implemented")),
    }
}

/// The packages depending on `roslang`, less those in `ROS_LANG_DISABLE`.
fn langs(run: &mut Run, catalog: &Catalog, caller: &Caller<'_>) {
    let disabled: BTreeSet<String> = caller
        .env
        .get("ROS_LANG_DISABLE")
        .unwrap_or_default()
        .split(':')
        .map(str::to_owned)
        .collect();
    match catalog.depends_on("roslang", false) {
        Ok(langs) => {
            let langs: Vec<String> = langs.into_iter().filter(|l| !disabled.contains(l)).collect();
            run.line(langs.join(" "));
        }
        Err(_) => {
            run.error("no such package roslang");
            run.line("");
        }
    }
}

/// The slowest directories of a fresh crawl (or, with `--zombie-only`, those without manifest).
fn profile(run: &mut Run, inv: &Invocation, search: &SearchPath, started: Instant) {
    let length: usize = match inv.value(Opt::Length).map(str::parse).transpose() {
        Ok(n) => n.unwrap_or(20),
        Err(_) => {
            run.error("invalid option(s) given");
            return;
        }
    };
    let timed = rospkg::crawl::profile(search, CRAWL);
    let total = started.elapsed().as_secs_f64();
    if inv.has(Opt::ZombieOnly) {
        for dir in timed.iter().filter(|d| d.zombie) {
            run.line(shown_dir(&dir.dir));
        }
        return;
    }
    run.line(format!("Full tree crawl took {total:.6} seconds."));
    run.line("Directories marked with (*) contain no manifest.  You may");
    run.line("want to delete these directories.");
    run.line("To get just of list of directories without manifests,");
    run.line("re-run the profile with --zombie-only");
    run.line("-------------------------------------------------------------");
    for dir in timed.iter().take(length) {
        let mark = if dir.zombie { '*' } else { ' ' };
        run.line([format!("{:.6} {mark} ", dir.seconds).as_bytes(), &shown_dir(&dir.dir)].concat());
    }
}
