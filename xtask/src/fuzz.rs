//! `cargo xtask fuzz --minutes N`: the property-based fuzz targets (`tests/fuzz.rs` of rospkg,
//! debgen and bridge-protocol) run round after round with fresh seeds until the time is up.
//!
//! CI runs each property with proptest's default case count; this task is for long runs. A
//! round is one `cargo test --test fuzz` with `PROPTEST_CASES` cases per property and a new
//! `PROPTEST_RNG_SEED`; the first failing round stops the run, prints the seed that reproduces
//! it and exits non-zero (proptest also records the shrunk case under the crate's
//! `proptest-regressions/`, which later runs try first).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use xshell::cmd;

use crate::{banner, root_shell};

/// The crates that have a `tests/fuzz.rs` target.
const CRATES: &[&str] = &["rospkg", "debgen", "bridge-protocol"];

/// Options of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// How long to run, in minutes.
    #[arg(long, default_value_t = 10)]
    minutes: u64,
    /// Cases per property in one round.
    #[arg(long, default_value_t = 1000)]
    cases: u32,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let sh = root_shell()?;
    let packages: Vec<String> =
        CRATES.iter().flat_map(|c| ["-p".to_owned(), (*c).to_owned()]).collect();
    let packages = &packages;
    banner("building the fuzz targets");
    let built = cmd!(sh, "cargo test {packages...} --test fuzz --no-run --message-format=json")
        .read()
        .context("building the fuzz targets")?;
    let binaries = executables(&built);
    anyhow::ensure!(
        binaries.len() == CRATES.len(),
        "expected {} fuzz binaries, cargo built {binaries:?}",
        CRATES.len()
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.minutes * 60);
    let mut rounds = 0u64;
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
    while Instant::now() < deadline {
        // A new seed each round (splitmix64 step), printed so a failure can be replayed.
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let round_seed = z ^ (z >> 31);
        let cases = args.cases.to_string();
        let seed_text = round_seed.to_string();
        banner(&format!("fuzz round {} (PROPTEST_RNG_SEED={round_seed})", rounds + 1));
        rounds += 1;
        for binary in &binaries {
            let output = cmd!(sh, "{binary} --quiet")
                .env("PROPTEST_CASES", &cases)
                .env("PROPTEST_RNG_SEED", &seed_text)
                .ignore_status()
                .output()
                .context("running the fuzz targets")?;
            if output.status.success() {
                continue;
            }
            eprintln!("{}", String::from_utf8_lossy(&output.stdout));
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            anyhow::bail!(
                "fuzz round {rounds} failed after {:.0} s\n  hint: replay it with \
                 `PROPTEST_CASES={cases} PROPTEST_RNG_SEED={round_seed} cargo test {} --test fuzz`",
                started.elapsed().as_secs_f64(),
                packages.join(" ")
            );
        }
    }
    banner(&format!(
        "fuzz: {rounds} rounds x {} cases per property, no failure, {:.0} s",
        args.cases,
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// The test executables named `fuzz` in cargo's `--message-format=json` output.
fn executables(messages: &str) -> Vec<String> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "fuzz")
        .filter_map(|m| m["executable"].as_str().map(str::to_owned))
        .collect()
}
