//! rosstack's commands on one stack (or, for `contains`, one package).

use std::path::PathBuf;

use rospkg::rospack::{Item, RosStack};

use super::args::Invocation;
use super::output::{Run, join_paths, raw};
use super::query::{closure, depends_indent, depends_why, query_error};
use super::table::{Command, Opt};

/// Runs `command` on stack `name`.
pub fn stack_command(run: &mut Run, inv: &Invocation, command: Command, rs: &RosStack, name: &str) {
    let unknown = command.spec().unknown;
    match command {
        Command::Contains | Command::ContainsPath => {
            // `name` is a package here: find the stack holding it.
            for stack in rs.list() {
                if rs.packages_of(&stack.name).is_ok_and(|p| p.iter().any(|p| p == name)) {
                    let shown = if command == Command::Contains {
                        stack.name.as_bytes()
                    } else {
                        raw(&stack.dir)
                    };
                    run.line(shown);
                    return;
                }
            }
            run.error(&format!("stack containing package {name} not found"));
            return;
        }
        Command::Contents if rs.get(name).is_none() => {
            // rospack's wording; rospack exits 0 here (docs/rospack-differences.md, D4).
            run.error(&format!("stack {name} not found"));
            return;
        }
        _ => {}
    }
    if let Err(e) = rs.require(name) {
        query_error(run, unknown, &e);
        return;
    }
    match command {
        Command::Find => {
            if let Ok(dir) = rs.get_path(name) {
                run.line(raw(dir));
            }
        }
        Command::Contents => match rs.packages_of(name) {
            Ok(packages) => packages.iter().for_each(|p| run.line(p)),
            Err(e) => query_error(run, unknown, &e),
        },
        Command::Depends | Command::DependsManifests => {
            let Some(names) = closure(run, unknown, rs, name) else { return };
            if command == Command::Depends {
                names.iter().for_each(|n| run.line(n));
            } else {
                let paths: Vec<PathBuf> =
                    names.iter().filter_map(|n| rs.get(n)).map(Item::manifest_path).collect();
                run.line(join_paths(&paths));
            }
        }
        Command::Depends1 => {
            if let Ok(deps) = rs.depends1(name) {
                deps.iter().for_each(|d| run.line(d));
            }
        }
        Command::DependsIndent => depends_indent(run, rs, name),
        Command::DependsWhy => depends_why(run, inv.value(Opt::Target), rs, name),
        Command::DependsOn | Command::DependsOn1 => {
            if let Ok(names) = rs.depends_on(name, command == Command::DependsOn) {
                names.iter().for_each(|n| run.line(n));
            }
        }
        _ => run.error(&format!("command {command} not implemented")),
    }
}
