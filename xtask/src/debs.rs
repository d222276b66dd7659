//! Our own binaries as Debian packages, made with cargo-deb from `[package.metadata.deb]`:
//! `rosdeb` (the binary, man pages and bash/zsh/fish completions generated from its clap
//! definitions). cargo-deb is installed with `cargo install` when it is missing.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use xshell::cmd;

use crate::{banner, root_shell, target_dir};

/// The cargo-deb release we build with (its `--locked` dependencies).
const CARGO_DEB_VERSION: &str = "3.8.0";

/// Installs cargo-deb when `cargo deb --version` fails.
pub(crate) fn ensure_cargo_deb() -> anyhow::Result<()> {
    let sh = root_shell()?;
    if cmd!(sh, "cargo deb --version").quiet().ignore_stdout().ignore_stderr().run().is_ok() {
        return Ok(());
    }
    banner(&format!("installing cargo-deb {CARGO_DEB_VERSION} (cargo install --locked)"));
    cmd!(sh, "cargo install --locked cargo-deb --version {CARGO_DEB_VERSION}")
        .run()
        .context("installing cargo-deb")?;
    Ok(())
}

/// Packages the release build `binary` of rosdeb into `out`; returns the .deb's path.
///
/// The man pages and completions are written by the binary itself (`rosdeb manpages`,
/// `rosdeb completions SHELL`) under `target/release/assets/rosdeb/`, where the package's
/// asset list takes them from.
pub(crate) fn rosdeb(binary: &Path, out: &Path) -> anyhow::Result<PathBuf> {
    ensure_cargo_deb()?;
    let sh = root_shell()?;
    let assets = target_dir().join("release/assets/rosdeb");
    if assets.exists() {
        fs_err::remove_dir_all(&assets)?;
    }
    let man = assets.join("man");
    let completions = assets.join("completions");
    fs_err::create_dir_all(&completions)?;
    banner("dist: rosdeb man pages and completions");
    cmd!(sh, "{binary} manpages --out {man}").quiet().ignore_stdout().run()?;
    // Debian installs man pages gzipped; -n leaves out the name and time (reproducible).
    for page in fs_err::read_dir(&man)? {
        let page = page?.path();
        cmd!(sh, "gzip -9nf {page}").quiet().run()?;
    }
    for (shell, file) in [("bash", "rosdeb.bash"), ("zsh", "_rosdeb"), ("fish", "rosdeb.fish")] {
        let script = cmd!(sh, "{binary} completions {shell}").quiet().read()?;
        fs_err::write(completions.join(file), script + "\n")?;
    }
    banner("dist: cargo deb -p rosdeb");
    fs_err::create_dir_all(out)?;
    let built = cmd!(sh, "cargo deb -p rosdeb --no-build --strip --output {out}")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .read()
        .context("cargo deb -p rosdeb")?;
    let deb = PathBuf::from(built.lines().last().unwrap_or_default().trim());
    anyhow::ensure!(deb.is_file(), "cargo deb printed `{built}`, not the path of a .deb");
    Ok(deb)
}
