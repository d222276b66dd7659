//! `cargo xtask ci`: exactly what CI runs, in order, stopping at the first failure.
//!
//! Debug builds only (the CI machine has 2 cores): fmt, clippy with `-D warnings`, then the
//! tests through cargo-nextest when it is installed, else `cargo test`.

use std::time::Instant;

use anyhow::Context as _;
use xshell::{Shell, cmd};

use crate::{banner, root_shell};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<()> {
    let sh = root_shell()?;
    let start = Instant::now();
    let nextest = has_nextest(&sh);
    let steps: [(&str, xshell::Cmd<'_>); 3] = [
        ("format", cmd!(sh, "cargo fmt --all --check")),
        ("lint", cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings")),
        (
            "test",
            if nextest {
                cmd!(sh, "cargo nextest run --workspace --no-fail-fast")
            } else {
                cmd!(sh, "cargo test --workspace --no-fail-fast")
            },
        ),
    ];
    let total = steps.len();
    for (i, (name, step)) in steps.into_iter().enumerate() {
        banner(&format!("ci [{}/{total}] {name}: {step}", i + 1));
        let step_start = Instant::now();
        step.run().with_context(|| format!("ci step `{name}` failed"))?;
        eprintln!(
            "==> ci [{}/{total}] {name}: ok ({:.1} s)",
            i + 1,
            step_start.elapsed().as_secs_f64()
        );
    }
    if !nextest {
        eprintln!("note: cargo-nextest is not installed; the tests ran with `cargo test`");
    }
    banner(&format!("ci: all {total} steps passed in {:.1} s", start.elapsed().as_secs_f64()));
    Ok(())
}

fn has_nextest(sh: &Shell) -> bool {
    cmd!(sh, "cargo nextest --version").quiet().ignore_stdout().ignore_stderr().run().is_ok()
}
