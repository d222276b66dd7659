//! What both tools' dependency commands share: rospack's checks of the manifests a query reads,
//! its error wording, the dependency closure, `depends-indent` and `depends-why`.

use rospkg::diagnostic::DiagnosticKind;
use rospkg::manifest::ManifestKind;
use rospkg::rospack::{Catalog, DepClass, QueryError};

use super::output::Run;
use super::table::{Command, Tool, Unknown};

/// Reports a query error with rospack's wording.
pub fn query_error(run: &mut Run, unknown: Unknown, error: &QueryError) {
    let message = match error {
        QueryError::NotFound { name } => match unknown {
            Unknown::NoSuchPackage => format!("no such package {name}"),
            Unknown::NotFound if run.tool == Tool::Rosstack => format!("stack '{name}' not found"),
            Unknown::NotFound => format!("package '{name}' not found"),
        },
        QueryError::Cycle { members } if members.len() == 1 => {
            format!("package '{}' depends on itself", members[0])
        }
        QueryError::Cycle { members } => {
            format!(
                "maximum dependency depth exceeded (likely circular dependency: {})",
                members.join(", ")
            )
        }
        QueryError::Manifest(d) => d.to_string(),
    };
    run.error(&message);
}

/// Checks the manifests a query will read: self-dependencies, manifests that do not parse,
/// `<depend>` without a package attribute, and dependencies that do not exist (rosbuild
/// packages only: Debian's rospack, without a rosdep cache, takes a missing package.xml
/// dependency for a system dependency). Reports each problem; returns false if any.
pub fn check_closure(run: &mut Run, catalog: &Catalog, names: &[String]) -> bool {
    let mut ok = true;
    for name in names {
        let Some(item) = catalog.get(name) else { continue };
        let Ok(summary) = catalog.summary(name) else { continue };
        let path = item.manifest_path();
        if summary.error.is_some() {
            run.error(&format!("error parsing manifest of package {name} at {}", path.display()));
            ok = false;
            continue;
        }
        if summary.diagnostics.iter().any(|d| d.kind == DiagnosticKind::DependWithoutTarget) {
            run.error(&format!(
                "bad depend syntax (no 'package/stack' attribute) in manifest {name} at {}",
                path.display()
            ));
            ok = false;
        }
        if catalog.depends_on_itself(name) {
            run.error(&format!("package '{name}' depends on itself"));
            ok = false;
        }
        if item.kind != ManifestKind::PackageXml {
            for dep in catalog.dependencies(name).unwrap_or_default() {
                if dep.class != DepClass::Local && dep.name != *name {
                    run.error(&format!(
                        "package '{name}' depends on non-existent package '{}' and rosdep claims that it is not a system dependency. Check the ROS_PACKAGE_PATH or try calling 'rosdep update'",
                        dep.name
                    ));
                    ok = false;
                }
            }
        }
    }
    ok
}

/// The transitive closure with rospack's checks; `None` (after reporting) on a hard error.
pub fn closure(
    run: &mut Run,
    unknown: Unknown,
    catalog: &Catalog,
    name: &str,
) -> Option<Vec<String>> {
    if catalog.depends_on_itself(name) {
        run.error(&format!("package '{name}' depends on itself"));
        return None;
    }
    match catalog.depends(name) {
        Ok(c) => {
            // rospack reports problems as its post-order walk meets them: dependencies first.
            let mut all = c.names.clone();
            all.push(name.to_owned());
            check_closure(run, catalog, &all);
            Some(c.names)
        }
        Err(e) => {
            query_error(run, unknown, &e);
            None
        }
    }
}

/// A cycle that `name` or one of its dependents is part of.
pub fn cycle_among_dependents(catalog: &Catalog, name: &str) -> Option<Vec<String>> {
    let mut involved = catalog.depends_on(name, true).ok()?;
    involved.push(name.to_owned());
    catalog.cycles().into_iter().find(|cycle| cycle.iter().any(|m| involved.contains(m)))
}

/// The whole dependency tree, two spaces per level, subtrees repeated (rospack's depends-indent).
pub fn depends_indent(run: &mut Run, catalog: &Catalog, name: &str) {
    if closure(run, Command::DependsIndent.spec().unknown, catalog, name).is_none() {
        return;
    }
    if let Ok(node) = catalog.node(name)
        && let Ok(tree) = catalog.graph().tree(node)
    {
        for (depth, n) in tree {
            run.line(format!("{}{}", "  ".repeat(depth), catalog.graph().name(n)));
        }
    }
}

/// Every dependency chain from `name` to `target`.
pub fn depends_why(run: &mut Run, target: Option<&str>, catalog: &Catalog, name: &str) {
    let Some(target) = target else {
        run.error("you must specify --target");
        return;
    };
    let unknown = Command::DependsWhy.spec().unknown;
    if closure(run, unknown, catalog, name).is_none() {
        return;
    }
    let (Ok(from), Ok(to)) = (catalog.node(name), catalog.node(target)) else {
        query_error(run, unknown, &QueryError::NotFound { name: target.to_owned() });
        return;
    };
    run.line(format!("Dependency chains from {name} to {target}:"));
    for chain in catalog.graph().chains(from, to, usize::MAX) {
        let names = catalog.graph().names_of(&chain);
        run.line(format!("* {} ", names.join(" -> ")));
    }
}
