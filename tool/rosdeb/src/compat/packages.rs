//! rospack's commands on one package: find, the dependency queries, rosdep, vcs, export and
//! plugins.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rospkg::manifest::ManifestKind;
use rospkg::rospack::{Item, RosPack};

use super::args::Invocation;
use super::output::{Run, join_paths, raw};
use super::query::{closure, cycle_among_dependents, depends_indent, depends_why, query_error};
use super::table::{Command, Opt, Unknown};

/// Runs `command` on package `name`.
pub fn package_command(
    run: &mut Run,
    inv: &Invocation,
    command: Command,
    rp: &RosPack,
    name: &str,
) {
    let spec = command.spec();
    if let Err(e) = rp.require(name) {
        query_error(run, spec.unknown, &e);
        if spec.one_line {
            run.line("");
        }
        return;
    }
    match command {
        Command::Find => {
            if let Ok(dir) = rp.get_path(name) {
                run.line(raw(dir));
            }
        }
        Command::Depends | Command::DependsManifests | Command::DependsMsgsrv => {
            let Some(names) = closure(run, spec.unknown, rp, name) else { return };
            match command {
                Command::Depends => names.iter().for_each(|n| run.line(n)),
                Command::DependsManifests => {
                    let paths: Vec<PathBuf> =
                        names.iter().filter_map(|n| rp.get(n)).map(Item::manifest_path).collect();
                    run.line(join_paths(&paths));
                }
                _ => {
                    let mut markers: Vec<PathBuf> = Vec::new();
                    for item in names.iter().filter_map(|n| rp.get(n)) {
                        for sub in ["msg_gen", "srv_gen"] {
                            let marker = item.dir.join(sub).join("generated");
                            if marker.is_file() {
                                markers.push(marker);
                            }
                        }
                    }
                    run.line(join_paths(&markers));
                }
            }
        }
        Command::Depends1 => {
            // rospack walks the whole closure here too, reporting its problems (not cycles).
            if let Ok(c) = rp.depends(name) {
                let mut all = c.names;
                all.push(name.to_owned());
                super::query::check_closure(run, rp, &all);
            } else {
                super::query::check_closure(run, rp, &[name.to_owned()]);
            }
            if rp.summary(name).is_ok_and(|s| s.error.is_none())
                && let Ok(deps) = rp.depends1(name)
            {
                deps.iter().for_each(|d| run.line(d));
            }
        }
        Command::DependsIndent => depends_indent(run, rp, name),
        Command::DependsWhy => depends_why(run, inv.value(Opt::Target), rp, name),
        Command::DependsOn | Command::DependsOn1 => {
            let implicit = command == Command::DependsOn;
            if implicit && let Some(cycle) = cycle_among_dependents(rp, name) {
                // rospack fails when computing the dependents meets a cycle (docs D6).
                run.error(&format!(
                    "maximum dependency depth exceeded (likely circular dependency: {})",
                    cycle.join(", ")
                ));
                return;
            }
            if let Ok(names) = rp.depends_on(name, implicit) {
                names.iter().for_each(|n| run.line(n));
            }
        }
        Command::Rosdep | Command::Rosdep0 => rosdep(run, command, rp, name),
        Command::Vcs | Command::Vcs0 => vcs(run, command, rp, name),
        Command::Export => {
            let (Some(lang), Some(attrib)) = (inv.value(Opt::Lang), inv.value(Opt::Attrib)) else {
                run.error("must specify both --lang and --attrib");
                return;
            };
            if let Some(values) =
                evaluated_exports(run, rp, name, lang, attrib, inv.has(Opt::DepsOnly), true)
            {
                run.line(values.join(" "));
            }
        }
        Command::Plugins => plugins(run, inv, rp, name),
        Command::CflagsOnlyI
        | Command::CflagsOnlyOther
        | Command::LibsOnlyL
        | Command::LibsOnlyLower
        | Command::LibsOnlyOther => super::flags::flags(run, inv, command, rp, name),
        _ => run.error(&format!("command {command} not implemented")),
    }
}

/// The packages a recursive command (`rosdep`, `vcs`) reads: `name` and its closure, or `name`
/// alone for the `0` variants; `None` after reporting a hard error.
fn package_and_closure(
    run: &mut Run,
    recursive: bool,
    unknown: Unknown,
    rp: &RosPack,
    name: &str,
) -> Option<Vec<String>> {
    if !recursive {
        return Some(vec![name.to_owned()]);
    }
    let deps = closure(run, unknown, rp, name)?;
    Some(std::iter::once(name.to_owned()).chain(deps).collect())
}

fn rosdep(run: &mut Run, command: Command, rp: &RosPack, name: &str) {
    let unknown = command.spec().unknown;
    let Some(packages) = package_and_closure(run, command == Command::Rosdep, unknown, rp, name)
    else {
        return;
    };
    let mut keys = BTreeSet::new();
    for p in &packages {
        if rp.get(p).is_some_and(|i| i.kind == ManifestKind::ManifestXml) {
            match rp.manifest(p) {
                Ok(m) => keys.extend(m.rosdeps),
                Err(e) => query_error(run, unknown, &e),
            }
        } else if let Ok(summary) = rp.summary(p) {
            // Debian's rospack without a rosdep cache takes every dependency tag of a
            // package.xml for a rosdep key.
            keys.extend(summary.deps.iter().map(|d| d.name.clone()));
        }
    }
    keys.iter().for_each(|k| run.line(format!("name: {k}")));
}

fn vcs(run: &mut Run, command: Command, rp: &RosPack, name: &str) {
    let unknown = command.spec().unknown;
    let Some(packages) = package_and_closure(run, command == Command::Vcs, unknown, rp, name)
    else {
        return;
    };
    for p in &packages {
        match rp.manifest(p) {
            Ok(m) => {
                for vc in &m.version_control {
                    let mut line = String::new();
                    if let Some(kind) = &vc.kind {
                        line.push_str(&format!("type: {kind}"));
                    }
                    if let Some(url) = &vc.url {
                        line.push_str(&format!("\turl: {url}"));
                    }
                    run.line(&line);
                }
            }
            Err(_) => {
                let path = rp.get(p).map(|i| i.manifest_path()).unwrap_or_default();
                run.error(&format!("error parsing manifest of package {p} at {}", path.display()));
            }
        }
    }
}

/// Export values with backquoted / `$` shell evaluated by `/bin/sh`, as rospack does.
pub fn evaluated_exports(
    run: &mut Run,
    rp: &RosPack,
    name: &str,
    lang: &str,
    attrib: &str,
    deps_only: bool,
    empty_line_on_failure: bool,
) -> Option<Vec<String>> {
    let unknown = Command::Export.spec().unknown;
    // rospack prints nothing for export and flag commands once the closure has a problem.
    if closure(run, unknown, rp, name).is_none() || run.failed {
        return None;
    }
    let exports = match rp.exports(name, lang, attrib, deps_only) {
        Ok(e) => e,
        Err(e) => {
            query_error(run, unknown, &e);
            return None;
        }
    };
    let mut values = Vec::new();
    for (package, value) in exports {
        if crate::export_shell::needs_shell(&value) {
            match crate::export_shell::evaluate(&value, rp.get_path(&package).ok()) {
                Ok(v) => values.push(v),
                Err(crate::export_shell::ShellFailed::Status) => {
                    // rospack shows the shell's own complaint and fails; `export` still prints
                    // its (empty) line, the flag commands do not.
                    run.failed = true;
                    if empty_line_on_failure {
                        run.line("");
                    }
                    return None;
                }
                Err(crate::export_shell::ShellFailed::Spawn(message)) => {
                    run.error(&message);
                    return None;
                }
            }
        } else {
            values.push(value);
        }
    }
    Some(values)
}

fn plugins(run: &mut Run, inv: &Invocation, rp: &RosPack, name: &str) {
    let Some(attrib) = inv.value(Opt::Attrib) else {
        run.error("you must specify --attrib");
        return;
    };
    let mut candidates = vec![name.to_owned()];
    candidates.extend(rp.depends_on(name, false).unwrap_or_default());
    if let Some(top) = inv.value(Opt::Top) {
        let Some(mut scope) = closure(run, Unknown::NotFound, rp, top) else { return };
        scope.push(top.to_owned());
        candidates.retain(|c| scope.contains(c));
    }
    for package in candidates {
        let Ok(manifest) = rp.manifest(&package) else { continue };
        let dir = rp.get_path(&package).map(Path::to_path_buf).unwrap_or_default();
        for export in manifest.exports.iter().filter(|e| e.tag == name) {
            if let Some(v) = export.attribute(attrib) {
                run.line(format!("{package} {}", v.replace("${prefix}", &dir.to_string_lossy())));
            }
        }
    }
}
