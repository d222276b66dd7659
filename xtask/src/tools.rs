//! Build tools that Debian does not package, installed from the package registries under
//! `target/tools/` when missing: cargo-zigbuild (crates.io, `cargo install --locked`) and zig
//! (PyPI's `ziglang` wheel, in a virtual environment). With them `rosdeb build` links a cargo
//! package against an older release's glibc (Ubuntu focal's 2.31) from this Debian 12 host.
//! Also check-jsonschema (PyPI, in a virtual environment), whose bundled GitHub Actions and
//! GitLab CI schemas the tests of `rosdeb ci generate` validate the generated pipelines with.

use std::path::PathBuf;

use anyhow::Context as _;
use xshell::cmd;

use crate::{banner, root_shell, target_dir};

/// The cargo-zigbuild release we build with (its `--locked` dependencies).
const CARGO_ZIGBUILD_VERSION: &str = "0.24.1";
/// The zig release (PyPI `ziglang`) cargo-zigbuild drives.
const ZIG_VERSION: &str = "0.13.0";
/// The check-jsonschema release (PyPI) whose vendored schemas the pipelines are checked with.
const CHECK_JSONSCHEMA_VERSION: &str = "0.39.0";

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

/// Installs check-jsonschema into `target/tools/check-jsonschema-venv` when missing and links
/// it as `target/tools/bin/check-jsonschema`, where the tests of `rosdeb ci generate` find it.
pub(crate) fn ensure_check_jsonschema() -> anyhow::Result<PathBuf> {
    let sh = root_shell()?;
    let tools = target_dir().join("tools");
    let bin = tools.join("bin");
    let tool = bin.join("check-jsonschema");
    let ok = cmd!(sh, "{tool} --version")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|v| v.trim().ends_with(&format!("version {CHECK_JSONSCHEMA_VERSION}")));
    if !ok {
        banner(&format!(
            "installing check-jsonschema {CHECK_JSONSCHEMA_VERSION} (PyPI, in \
             target/tools/check-jsonschema-venv)"
        ));
        let venv = tools.join("check-jsonschema-venv");
        if venv.exists() {
            fs_err::remove_dir_all(&venv)?;
        }
        cmd!(sh, "/usr/bin/python3 -m venv {venv}").run().context(
            "making a virtual environment for check-jsonschema (apt-get install python3-venv)",
        )?;
        let pip = venv.join("bin/pip");
        let spec = format!("check-jsonschema=={CHECK_JSONSCHEMA_VERSION}");
        cmd!(sh, "{pip} install --quiet --disable-pip-version-check {spec}")
            .run()
            .context("installing check-jsonschema from PyPI")?;
        fs_err::create_dir_all(&bin)?;
        let _ = fs_err::remove_file(&tool);
        std::os::unix::fs::symlink(venv.join("bin/check-jsonschema"), &tool)
            .context("linking target/tools/bin/check-jsonschema")?;
        let version = cmd!(sh, "{tool} --version").quiet().read()?;
        anyhow::ensure!(
            version.trim().ends_with(&format!("version {CHECK_JSONSCHEMA_VERSION}")),
            "check-jsonschema says `{version}`, not {CHECK_JSONSCHEMA_VERSION}"
        );
    }
    Ok(tool)
}
