//! `--via dpkg-buildpackage`: the generated `debian/` tree written into a copy of the package
//! source and built by Debian's own tools (`dpkg-buildpackage -b -us -uc`, debhelper), for
//! buildfarm compatibility; the package's `.deb` is copied into the output folder.

use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use sha2::Digest as _;

use super::{CompileError, Request, Runner, copy_source};
use crate::deb::BuiltDeb;
use crate::generate::Tree;

/// Builds the package with `dpkg-buildpackage -b -us -uc` in a copy of its source holding the
/// generated `tree`, then copies `<package>_<version>_<arch>.deb` into `out` (temporary file +
/// rename). Build dependencies are checked by dpkg-buildpackage itself.
pub fn dpkg_buildpackage(
    req: &Request<'_>,
    tree: &Tree,
    out: &Path,
    log: &mut fs_err::File,
) -> Result<BuiltDeb, CompileError> {
    let runner = Runner::new(req.chroot, req.source_date_epoch);
    runner.require("dpkg-buildpackage", "dpkg-dev")?;
    runner.require("dh", "debhelper")?;
    let tmp = runner.host_path(Path::new("/tmp"));
    fs_err::create_dir_all(&tmp)?;
    let work = tempfile::Builder::new().prefix("rosdeb-build-").tempdir_in(&tmp)?;
    let inside = Path::new("/tmp").join(work.path().file_name().unwrap_or_default());
    let dir_name = req.package;
    let src = work.path().join(dir_name);
    copy_source(req.source, &src)?;
    let debian = src.join("debian");
    if debian.exists() {
        fs_err::remove_dir_all(&debian)?;
    }
    for (path, file) in tree {
        let target = src.join(path);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(&target, &file.contents)?;
        let mode = if file.executable { 0o755 } else { 0o644 };
        fs_err::set_permissions(&target, std::fs::Permissions::from_mode(mode))?;
    }
    let args: Vec<OsString> = vec!["-b".into(), "-us".into(), "-uc".into()];
    let mut cmd = runner.command(&inside.join(dir_name), "dpkg-buildpackage", &args);
    cmd.env("DEB_BUILD_OPTIONS", "nocheck");
    runner.run(cmd, log)?;

    let prefix = format!("{}_", req.package);
    let mut found = None;
    for entry in fs_err::read_dir(work.path())? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".deb") {
            found = Some(name);
        }
    }
    let Some(name) = found else {
        return Err(CompileError::Unexpected(format!("dpkg-buildpackage made no `{prefix}*.deb`")));
    };
    let built = work.path().join(&name);
    let mut field = |f: &str| -> Result<String, CompileError> {
        let cmd = Runner::new(None, None).command(
            work.path(),
            "dpkg-deb",
            &["-f".into(), built.clone().into_os_string(), f.into()],
        );
        Ok(Runner::new(None, None).output(cmd, log)?.trim().to_owned())
    };
    let version = field("Version")?;
    let architecture = field("Architecture")?;
    let installed_size_kib = field("Installed-Size")?.parse().unwrap_or(0);
    let bytes = fs_err::read(&built)?;
    fs_err::create_dir_all(out)?;
    let mut tmp = tempfile::Builder::new().prefix(".rosdeb-").tempfile_in(out)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    let path = out.join(&name);
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(BuiltDeb {
        path,
        name: req.package.to_owned(),
        version,
        architecture,
        sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        size: bytes.len() as u64,
        installed_size_kib,
    })
}
