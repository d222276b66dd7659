//! catkin, cmake and ament_cmake: configure, build and `DESTDIR=<staging> cmake --install`, with
//! the cache variables bloom's `debian/rules` pass (templates/rules/{catkin,cmake,ament_cmake}.j2).

use std::ffi::OsString;

use super::{CompileError, Context, arg};

/// Builds in `<src>/.obj-rosdeb` (inside the mapped work folder) and installs into the staging
/// tree.
pub(super) fn build(ctx: &Context<'_>, log: &mut fs_err::File) -> Result<(), CompileError> {
    ctx.runner.require("cmake", "cmake")?;
    let prefix = ctx.req.prefix;
    let build = ctx.src.join(".obj-rosdeb");
    let flags = ctx.build_flags(log)?;
    let mut configure: Vec<OsString> = vec![
        "-S".into(),
        arg(&ctx.src),
        "-B".into(),
        arg(&build),
        format!("-DCMAKE_INSTALL_PREFIX={prefix}").into(),
        format!("-DCMAKE_PREFIX_PATH={prefix}").into(),
        "-DCMAKE_BUILD_TYPE=RelWithDebInfo".into(),
        "-DBUILD_TESTING=OFF".into(),
        "-DCMAKE_VERBOSE_MAKEFILE=ON".into(),
        // Link with the install RPATH: a build-tree RPATH names the (random) work folder, and
        // the build ID is computed before `cmake --install` rewrites it.
        "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON".into(),
        "-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON".into(),
    ];
    match ctx.req.build_type {
        "catkin" => configure.extend([
            "-DCATKIN_BUILD_BINARY_PACKAGE=1".into(),
            "-DCATKIN_ENABLE_TESTING=OFF".into(),
            "-DPYTHON_EXECUTABLE=/usr/bin/python3".into(),
            "-DSETUPTOOLS_DEB_LAYOUT=ON".into(),
        ]),
        "ament_cmake" => configure.push(format!("-DAMENT_PREFIX_PATH={prefix}").into()),
        _ => {}
    }
    let with_env = |mut cmd: std::process::Command| {
        for (k, v) in &flags {
            cmd.env(k, v);
        }
        cmd.env("PKG_CONFIG_PATH", format!("{prefix}/lib/pkgconfig"));
        cmd.env("CMAKE_PREFIX_PATH", prefix);
        cmd
    };
    ctx.runner.run(with_env(ctx.command("cmake", &configure)), log)?;
    let jobs = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let build_args: Vec<OsString> =
        vec!["--build".into(), arg(&build), "--parallel".into(), jobs.to_string().into()];
    ctx.runner.run(with_env(ctx.command("cmake", &build_args)), log)?;
    let install: Vec<OsString> = vec!["--install".into(), arg(&build)];
    let mut cmd = with_env(ctx.command("cmake", &install));
    cmd.env("DESTDIR", &ctx.staging);
    ctx.runner.run(cmd, log)
}
