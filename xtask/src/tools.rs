//! Build tools that Debian does not package, installed from the package registries under
//! `target/tools/` when missing: cargo-zigbuild (crates.io, `cargo install --locked`) and zig
//! (PyPI's `ziglang` wheel, in a virtual environment). With them `rosdeb build` links a cargo
//! package against an older release's glibc (Ubuntu focal's 2.31) from this Debian 12 host.

use std::path::PathBuf;

use anyhow::Context as _;
use xshell::cmd;

use crate::{banner, root_shell, target_dir};

/// The cargo-zigbuild release we build with (its `--locked` dependencies).
const CARGO_ZIGBUILD_VERSION: &str = "0.24.1";
/// The zig release (PyPI `ziglang`) cargo-zigbuild drives.
const ZIG_VERSION: &str = "0.13.0";

/// Installs cargo-zigbuild and zig when missing; returns the folder to put first on the PATH
/// of `rosdeb build` (it holds `zig`; cargo-zigbuild is in cargo's own bin folder).
pub(crate) fn ensure_zig() -> anyhow::Result<PathBuf> {
    let sh = root_shell()?;
    // `cargo zigbuild --version` is cargo's own flag parser refusing it; the binary answers.
    let zigbuild_ok = cmd!(sh, "cargo-zigbuild --version")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|v| v.contains(CARGO_ZIGBUILD_VERSION));
    if !zigbuild_ok {
        banner(&format!(
            "installing cargo-zigbuild {CARGO_ZIGBUILD_VERSION} (cargo install --locked)"
        ));
        cmd!(sh, "cargo install --locked cargo-zigbuild --version {CARGO_ZIGBUILD_VERSION}")
            .run()
            .context("installing cargo-zigbuild")?;
    }
    let tools = target_dir().join("tools");
    let bin = tools.join("bin");
    let zig = bin.join("zig");
    let zig_ok = cmd!(sh, "{zig} version")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|v| v.trim() == ZIG_VERSION);
    if !zig_ok {
        banner(&format!("installing zig {ZIG_VERSION} (PyPI ziglang, in target/tools/zig-venv)"));
        let venv = tools.join("zig-venv");
        if venv.exists() {
            fs_err::remove_dir_all(&venv)?;
        }
        cmd!(sh, "/usr/bin/python3 -m venv {venv}")
            .run()
            .context("making a virtual environment for zig (apt-get install python3-venv)")?;
        let pip = venv.join("bin/pip");
        cmd!(sh, "{pip} install --quiet --disable-pip-version-check ziglang=={ZIG_VERSION}")
            .run()
            .context("installing zig from PyPI (ziglang)")?;
        let python = venv.join("bin/python3");
        let package =
            cmd!(sh, "{python} -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))'")
                .quiet()
                .read()?;
        fs_err::create_dir_all(&bin)?;
        let _ = fs_err::remove_file(&zig);
        std::os::unix::fs::symlink(PathBuf::from(package.trim()).join("zig"), &zig)
            .context("linking target/tools/bin/zig")?;
        let version = cmd!(sh, "{zig} version").quiet().read()?;
        anyhow::ensure!(
            version.trim() == ZIG_VERSION,
            "zig says it is {version}, not {ZIG_VERSION}"
        );
    }
    Ok(bin)
}
