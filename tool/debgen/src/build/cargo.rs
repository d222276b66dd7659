//! cargo (our own Rust packages): `cargo install --path` into `<staging><prefix>`, as
//! templates/rules/cargo.j2 does; offline, and `--locked` when the package has a Cargo.lock.

use std::ffi::OsString;

use super::{CompileError, Context, arg};

/// Installs the package's binaries into `<staging><prefix>/bin` with the target folder inside
/// the mapped work folder.
pub(super) fn build(ctx: &Context<'_>, log: &mut fs_err::File) -> Result<(), CompileError> {
    ctx.runner.require("cargo", "cargo")?;
    let root = ctx.staging.join(ctx.req.prefix.trim_start_matches('/'));
    let mut args: Vec<OsString> = vec!["install".into(), "--offline".into(), "--no-track".into()];
    if ctx.runner.host_path(&ctx.src.join("Cargo.lock")).is_file() {
        args.push("--locked".into());
    }
    args.extend(["--path".into(), arg(&ctx.src), "--root".into(), arg(&root)]);
    let mut cmd = ctx.runner.command(&ctx.src, "cargo", &args);
    cmd.env("CARGO_TARGET_DIR", ctx.work.join("target"));
    cmd.env_remove("RUSTFLAGS");
    cmd.env_remove("CARGO_BUILD_RUSTFLAGS");
    cmd.env("CARGO_ENCODED_RUSTFLAGS", format!("--remap-path-prefix={}=.", ctx.work.display()));
    cmd.env("CARGO_TERM_COLOR", "never");
    ctx.runner.run(cmd, log)
}
