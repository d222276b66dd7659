//! cargo (Rust packages, workspace members included): `cargo build --release --bins` and the
//! package's executables copied into `<staging><prefix>/bin`, as templates/rules/cargo.j2 does
//! with `cargo install`; offline, and `--locked` when the workspace has a Cargo.lock.
//!
//! On the host the package is built where it is (no copy: a workspace member needs its
//! workspace, and cargo writes only into the target folder), with the workspace root mapped to
//! `.` in the binaries; `ROSDEB_CARGO_TARGET_DIR` names a target folder kept between runs (the
//! four targets of one release then compile the dependencies once), else it is inside the work
//! folder. For a release whose C library is older than this host's (`Request::glibc`), the
//! build is `cargo zigbuild --target <host triple>.<major>.<minor>`: zig links against that
//! glibc's symbol versions, so the binary runs there.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{CompileError, Context, arg};

/// Builds the package and copies its executables into `<staging><prefix>/bin`.
pub(super) fn build(ctx: &Context<'_>, log: &mut fs_err::File) -> Result<(), CompileError> {
    ctx.runner.require("cargo", "cargo")?;
    let manifest = ctx.src.join("Cargo.toml");
    let workspace = workspace_root(ctx, &manifest, log)?;
    let mut args: Vec<OsString> = Vec::new();
    match ctx.req.glibc {
        None => args.push("build".into()),
        Some((major, minor)) => {
            if !ctx.runner.has("cargo-zigbuild") || !ctx.runner.has("zig") {
                return Err(CompileError::MissingZig { glibc: format!("{major}.{minor}") });
            }
            let host = host_triple(ctx, log)?;
            args.extend([
                "zigbuild".into(),
                "--target".into(),
                format!("{host}.{major}.{minor}").into(),
            ]);
        }
    }
    args.extend([
        "--release".into(),
        "--offline".into(),
        "--bins".into(),
        "--message-format=json-render-diagnostics".into(),
    ]);
    if ctx.runner.host_path(&workspace.join("Cargo.lock")).is_file() {
        args.push("--locked".into());
    }
    args.extend(["--manifest-path".into(), arg(&manifest)]);
    let target_dir = match (&ctx.runner.root, std::env::var_os("ROSDEB_CARGO_TARGET_DIR")) {
        (None, Some(dir)) if !dir.is_empty() => PathBuf::from(dir),
        _ => ctx.work.join("target"),
    };
    let mut cmd = ctx.runner.command(&ctx.src, "cargo", &args);
    cmd.env("CARGO_TARGET_DIR", &target_dir);
    cmd.env_remove("RUSTFLAGS");
    cmd.env_remove("CARGO_BUILD_RUSTFLAGS");
    cmd.env_remove("CARGO_BUILD_TARGET");
    cmd.env("CARGO_ENCODED_RUSTFLAGS", format!("--remap-path-prefix={}=.", workspace.display()));
    cmd.env("CARGO_TERM_COLOR", "never");
    let messages = ctx.runner.output(cmd, log)?;
    let executables = executables(&messages, &manifest);
    if executables.is_empty() {
        return Err(CompileError::Unexpected(format!(
            "`cargo build` of {} made no executable (a package needs a [[bin]] target)",
            manifest.display()
        )));
    }
    let bin =
        ctx.runner.host_path(&ctx.staging.join(ctx.req.prefix.trim_start_matches('/')).join("bin"));
    fs_err::create_dir_all(&bin)?;
    for exe in executables {
        let name = exe.file_name().unwrap_or_default();
        fs_err::copy(ctx.runner.host_path(&exe), bin.join(name))?;
    }
    Ok(())
}

/// The root of the workspace `manifest` belongs to (its own folder when it is none).
fn workspace_root(
    ctx: &Context<'_>,
    manifest: &Path,
    log: &mut fs_err::File,
) -> Result<PathBuf, CompileError> {
    let args: Vec<OsString> = vec![
        "locate-project".into(),
        "--workspace".into(),
        "--message-format=plain".into(),
        "--manifest-path".into(),
        arg(manifest),
    ];
    let cmd = ctx.runner.command(&ctx.src, "cargo", &args);
    let root = ctx.runner.output(cmd, log)?;
    let root = PathBuf::from(root.trim());
    Ok(root.parent().map_or_else(|| ctx.src.clone(), Path::to_owned))
}

/// The host's target triple (`x86_64-unknown-linux-gnu`), from `rustc -vV`.
fn host_triple(ctx: &Context<'_>, log: &mut fs_err::File) -> Result<String, CompileError> {
    ctx.runner.require("rustc", "rustc")?;
    let cmd = ctx.runner.command(&ctx.src, "rustc", &["-vV".into()]);
    let out = ctx.runner.output(cmd, log)?;
    out.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_owned())
        .ok_or_else(|| CompileError::Unexpected("`rustc -vV` printed no `host:` line".to_owned()))
}

/// The executables cargo's JSON messages report for the package of `manifest`, sorted.
fn executables(messages: &str, manifest: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| m["manifest_path"].as_str().is_some_and(|p| Path::new(p) == manifest))
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    #[test]
    fn executables_are_those_of_the_package_only() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","manifest_path":"/w/dep/Cargo.toml","executable":"/t/release/dep-tool"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","manifest_path":"/w/app/Cargo.toml","executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","manifest_path":"/w/app/Cargo.toml","executable":"/t/release/app"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
            "\nnot json\n"
        );
        assert_eq!(
            super::executables(messages, Path::new("/w/app/Cargo.toml")),
            vec![PathBuf::from("/t/release/app")]
        );
    }
}
