//! hyperfine, the timer of every whole-process measurement (Debian package `hyperfine`, 1.15 on
//! bookworm): finding it, the command lines it splits itself (`--shell=none`), and its
//! `--export-json` file.
//!
//! With `--shell=none` hyperfine splits each command (and each `--prepare` command) into words
//! as a POSIX shell would, without running one; [`command_line`] quotes words for that split.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// The hyperfine binary and its version.
#[derive(Debug)]
pub(super) struct Hyperfine {
    pub(super) path: PathBuf,
    /// `1.15.0`
    pub(super) version: String,
}

impl Hyperfine {
    /// `hyperfine` from the `PATH`, once per process; an error with an install hint when it is
    /// missing.
    pub(super) fn get() -> anyhow::Result<&'static Hyperfine> {
        static FOUND: std::sync::OnceLock<Hyperfine> = std::sync::OnceLock::new();
        if let Some(found) = FOUND.get() {
            return Ok(found);
        }
        let paths = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::split_paths(&paths)
            .map(|dir| dir.join("hyperfine"))
            .find(|candidate| candidate.is_file());
        let found = Hyperfine::at(path.as_deref().unwrap_or(Path::new("hyperfine")))?;
        Ok(FOUND.get_or_init(|| found))
    }

    /// The hyperfine at `path`, asked for its version.
    pub(super) fn at(path: &Path) -> anyhow::Result<Hyperfine> {
        let hint = "hint: `apt-get install hyperfine` (`cargo xtask ci` as root installs it); \
                    the benchmarks time every process with it";
        let output = std::process::Command::new(path)
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .output()
            .with_context(|| format!("`{}` cannot be run\n{hint}", path.display()))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let version = text.trim().strip_prefix("hyperfine ").map(str::to_owned);
        match version {
            Some(version) if output.status.success() => {
                Ok(Hyperfine { path: path.to_path_buf(), version })
            }
            _ => bail!(
                "`{} --version` printed `{}`, not a hyperfine version\n{hint}",
                path.display(),
                text.trim()
            ),
        }
    }
}

/// `words` as one command line that hyperfine's `--shell=none` splits back into exactly these
/// words (POSIX single quotes where a word needs any).
pub(super) fn command_line<S: AsRef<str>>(words: &[S]) -> String {
    words.iter().map(|w| quote(w.as_ref())).collect::<Vec<_>>().join(" ")
}

fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The part of hyperfine's JSON export the benchmarks read: the one command's runs.
#[derive(Debug, serde::Deserialize)]
struct Export {
    results: Vec<Runs>,
}

/// One command's timed runs as hyperfine reports them (seconds).
#[derive(Debug, serde::Deserialize)]
pub(super) struct Runs {
    /// Wall time of each timed run, in the order run (warm-up runs not included).
    times: Vec<f64>,
    median: f64,
    min: f64,
    /// `None` for a run ended by a signal.
    exit_codes: Vec<Option<i32>>,
}

impl Runs {
    /// The runs of the single command of a `--export-json` file.
    pub(super) fn parse(json: &str) -> anyhow::Result<Runs> {
        let export: Export =
            serde_json::from_str(json).context("parsing hyperfine's --export-json file")?;
        let [runs]: [Runs; 1] = export.results.try_into().map_err(|results: Vec<Runs>| {
            anyhow::anyhow!("hyperfine exported {} results, expected 1", results.len())
        })?;
        if runs.times.is_empty() || runs.times.len() != runs.exit_codes.len() {
            bail!(
                "hyperfine exported {} times and {} exit codes",
                runs.times.len(),
                runs.exit_codes.len()
            );
        }
        if let Some(bad) =
            runs.times.iter().chain([&runs.median, &runs.min]).find(|t| !t.is_finite() || **t < 0.0)
        {
            bail!("hyperfine exported the time {bad}");
        }
        Ok(runs)
    }

    /// Wall times of the timed runs, in the order run.
    pub(super) fn times(&self) -> Vec<Duration> {
        self.times.iter().map(|&s| Duration::from_secs_f64(s)).collect()
    }

    pub(super) fn median(&self) -> Duration {
        Duration::from_secs_f64(self.median)
    }

    pub(super) fn min(&self) -> Duration {
        Duration::from_secs_f64(self.min)
    }

    /// Exit codes of the timed runs (`None`: killed by a signal).
    pub(super) fn exit_codes(&self) -> &[Option<i32>] {
        &self.exit_codes
    }
}
