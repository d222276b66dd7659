//! Python applications given to `rosdeb build`: a PKG_DIR without package.xml but with
//! `pyproject.toml` or `setup.py` becomes a `.deb` carrying a virtual environment under
//! `/opt/venvs/<name>` (`debgen::venv`), with the `--embed DIR` projects (pyros) inside.
//!
//! The distribution and rosdep rules play no part (`--distro` is ignored); the target's
//! codename picks the python version. pip's output goes to a log outside `--out` while it runs:
//! a failed application leaves nothing in `--out` (a failed command's error carries the log's
//! last lines and where the whole log is kept, in the temporary folder); a built one's log is
//! moved to `<out>/<name>.build.log`.

use std::path::Path;

use anyhow::Context as _;
use debgen::deb::BuiltDeb;
use debgen::venv::{self, VenvError};

use super::Package;
use crate::exit::Hinted;

/// Whether `dir` is a Python application rather than a ROS package.
pub(super) fn is_app(dir: &Path) -> bool {
    venv::is_application(dir)
}

/// The command-line entry of an application: name and version from `pyproject.toml` (the
/// folder name for a `setup.py` project, whose metadata is known only once built); an
/// unreadable `pyproject.toml` is the package's error.
pub(super) fn load(dir: &Path) -> Package {
    let folder = dir.display().to_string();
    match venv::read_project(dir).and_then(|p| match p {
        Some(p) => p.check_application().map(|()| Some(p)),
        None => Ok(None),
    }) {
        Ok(Some(p)) => Package {
            dir: dir.to_owned(),
            manifest: None,
            name: p.name,
            version: p.version.unwrap_or_default(),
            error: None,
            debian: None,
        },
        Ok(None) => Package {
            dir: dir.to_owned(),
            manifest: None,
            name: folder,
            version: String::new(),
            error: None,
            debian: None,
        },
        Err(e) => Package {
            dir: dir.to_owned(),
            manifest: None,
            name: folder,
            version: String::new(),
            error: Some(format!("{e}\n  hint: {}", e.hint())),
            debian: None,
        },
    }
}

/// Builds the application `p` into `out`.
pub(super) fn build(
    p: &Package,
    embeds: &[std::path::PathBuf],
    codename: &str,
    inc: u32,
    epoch: Option<u64>,
    out: &Path,
) -> anyhow::Result<BuiltDeb> {
    // A setup.py project is named by its folder until built.
    let base = match p.dir.file_name() {
        Some(folder) if p.name.contains('/') => folder.to_string_lossy().into_owned(),
        _ => p.name.clone(),
    };
    let safe: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
        .collect();
    let log = tempfile::Builder::new()
        .prefix(&format!("rosdeb-{safe}-"))
        .suffix(".build.log")
        .tempfile()
        .context("creating the build log")?;
    let (file, log_path) = log.keep().context("keeping the build log")?;
    let mut file = fs_err::File::from_parts(file, &log_path);
    let request = venv::Request { app: &p.dir, embeds, codename, inc, source_date_epoch: epoch };
    match venv::build(&request, out, &mut file) {
        Ok(deb) => {
            drop(file);
            let dest = out.join(format!("{safe}.build.log"));
            // The log crosses file systems (/tmp): copied to a hidden name, then renamed.
            let tmp = out.join(format!(".{safe}.build.log.tmp"));
            fs_err::copy(&log_path, &tmp)?;
            fs_err::rename(&tmp, &dest)?;
            let _ = fs_err::remove_file(&log_path);
            Ok(deb)
        }
        Err(e) => {
            drop(file);
            Err(app_error(&e, &log_path))
        }
    }
}

/// The error with its hint; the log is kept (and named) when it tells more than the error.
fn app_error(e: &VenvError, log: &Path) -> anyhow::Error {
    let hint = match e {
        VenvError::Command(c) if c.missing_package().is_none() => {
            format!("the whole output is in `{}`", log.display())
        }
        VenvError::NotFound { .. } => {
            format!("{} (the whole output is in `{}`)", e.hint(), log.display())
        }
        _ => {
            let _ = fs_err::remove_file(log);
            e.hint()
        }
    };
    Hinted::error(e.to_string(), hint)
}
