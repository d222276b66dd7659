//! ament_python and plain setup.py packages: `setup.py install --root <staging>` with the
//! layout templates/rules/ament_python.j2 gives pybuild (`<prefix>/lib/pythonX.Y/site-packages`,
//! scripts in `<prefix>/bin`), no byte-compiled files (dh_python3 compiles them at install).
//! With the prefix `/usr` (a `<rosdeb prefix="/usr"/>` package) modules go where Debian puts
//! them for every python3 version, `/usr/lib/python3/dist-packages`.

use std::ffi::OsString;

use super::{CompileError, Context, arg};

/// The system interpreter (never a shim on the PATH).
const PYTHON: &str = "/usr/bin/python3";

pub(super) fn build(ctx: &Context<'_>, log: &mut fs_err::File) -> Result<(), CompileError> {
    if !ctx.runner.host_path(std::path::Path::new(PYTHON)).is_file() {
        return Err(CompileError::MissingTool {
            tool: PYTHON.to_owned(),
            place: String::new(),
            package: "python3-setuptools".to_owned(),
        });
    }
    let version = ctx.runner.output(
        ctx.runner.command(
            &ctx.src,
            PYTHON,
            &["-c".into(), "import sys; print('python%d.%d' % sys.version_info[:2])".into()],
        ),
        log,
    )?;
    let prefix = ctx.req.prefix;
    let lib = if prefix == "/usr" {
        "/usr/lib/python3/dist-packages".to_owned()
    } else {
        format!("{prefix}/lib/{}/site-packages", version.trim())
    };
    let args: Vec<OsString> = vec![
        "setup.py".into(),
        "build".into(),
        "--build-base".into(),
        arg(&ctx.work.join("build")),
        "install".into(),
        "--root".into(),
        arg(&ctx.staging),
        format!("--prefix={prefix}").into(),
        format!("--install-lib={lib}").into(),
        format!("--install-scripts={prefix}/bin").into(),
        format!("--install-data={prefix}").into(),
        "--no-compile".into(),
        "--single-version-externally-managed".into(),
    ];
    let mut cmd = ctx.command(PYTHON, &args);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1");
    ctx.runner.run(cmd, log)
}
