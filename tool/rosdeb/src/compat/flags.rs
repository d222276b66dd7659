//! `cflags-only-I` and friends: rosbuild exports of `cpp cflags/lflags` (pkg-config for
//! package.xml packages), tokenised and filtered as rospack does.

use std::collections::BTreeSet;

use rospkg::manifest::ManifestKind;
use rospkg::rospack::RosPack;

use super::args::Invocation;
use super::output::Run;
use super::packages::evaluated_exports;
use super::table::{Command, Opt};

/// Runs one flag command on package `name`.
pub fn flags(run: &mut Run, inv: &Invocation, command: Command, rp: &RosPack, name: &str) {
    let is_wet = rp.get(name).is_some_and(|i| i.kind == ManifestKind::PackageXml);
    let tokens: Vec<String> = if is_wet {
        let Some(out) = pkg_config(run, command, name) else { return };
        out.split_whitespace().map(str::to_owned).collect()
    } else {
        let attrib = match command {
            Command::CflagsOnlyI | Command::CflagsOnlyOther => "cflags",
            _ => "lflags",
        };
        let deps_only = inv.has(Opt::DepsOnly);
        let Some(values) = evaluated_exports(run, rp, name, "cpp", attrib, deps_only, false) else {
            return;
        };
        values.iter().flat_map(|v| v.split_whitespace().map(str::to_owned)).collect()
    };
    let picked = tokens.iter().filter_map(|token| pick(command, token));
    // Deduplicate: first occurrence wins, except -l where the last one does (link order).
    let mut seen = BTreeSet::new();
    let deduped: Vec<String> = if command == Command::LibsOnlyLower {
        let mut rev: Vec<String> = picked
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .filter(|t| seen.insert(t.clone()))
            .collect();
        rev.reverse();
        rev
    } else {
        picked.filter(|t| seen.insert(t.clone())).collect()
    };
    run.line(deduped.join(" "));
}

/// `pkg-config --COMMAND NAME`'s output; on failure its stderr goes to the run's stderr and
/// rospack's error is reported.
fn pkg_config(run: &mut Run, command: Command, name: &str) -> Option<String> {
    let output =
        std::process::Command::new("pkg-config").arg(format!("--{command}")).arg(name).output();
    match output {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => {
            run.stderr(&o.stderr);
            run.error(&format!(
                "python function 'rosdep2.rospack.call_pkg_config' could not call 'pkg-config --{command} {name}' without errors"
            ));
            None
        }
        Err(e) => {
            run.error(&format!("could not run pkg-config: {e}"));
            None
        }
    }
}

/// What `command` keeps of one token.
fn pick(command: Command, token: &str) -> Option<String> {
    match command {
        Command::CflagsOnlyI => token.strip_prefix("-I").map(str::to_owned),
        Command::CflagsOnlyOther => (!token.starts_with("-I")).then(|| token.to_owned()),
        Command::LibsOnlyL => token.strip_prefix("-L").map(str::to_owned),
        Command::LibsOnlyLower => token
            .strip_prefix("-l")
            .map(str::to_owned)
            .or_else(|| is_archive(token).then(|| token.to_owned())),
        _ => (!(token.starts_with("-l") || token.starts_with("-L") || is_archive(token)))
            .then(|| token.to_owned()),
    }
}

/// A static library given by path (`/usr/lib/libfoo.a`), which rospack counts as a `-l` flag.
fn is_archive(token: &str) -> bool {
    token.starts_with('/') && token.ends_with(".a")
}
