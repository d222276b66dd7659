//! The installed tree turned into dh-virtualenv's layout: `/opt/venvs/<name>/` with
//! `pyvenv.cfg`, `bin/python3 -> /usr/bin/python3`, `bin/python -> python3`,
//! `lib/pythonX.Y/site-packages/`, console scripts whose shebang is the venv's python, and the
//! build's traces removed (byte-compiled files, `direct_url.json`, `RECORD`).

use std::io;
use std::path::{Path, PathBuf};

/// Where `pip install --target` wrote: the packages, and the scripts in its `bin/`.
pub(super) struct Installed {
    pub(super) site: PathBuf,
}

/// Files in `*.dist-info/` that are dropped: `direct_url.json` names the build's folder,
/// `RECORD` lists paths and hashes of the layout pip saw (dpkg owns the files now).
const DROPPED_DIST_INFO: &[&str] = &["direct_url.json", "RECORD"];

/// Moves `installed` into `<staging>/opt/venvs/<package>/` and finishes the venv; returns the
/// venv root in the staging tree.
pub(super) fn lay_out(
    installed: &Installed,
    staging: &Path,
    package: &str,
    python: (u8, u8),
) -> io::Result<PathBuf> {
    let root = staging.join("opt/venvs").join(package);
    let lib = root.join(format!("lib/python{}.{}", python.0, python.1));
    fs_err::create_dir_all(&lib)?;
    let site = lib.join("site-packages");
    fs_err::rename(&installed.site, &site)?;
    let bin = root.join("bin");
    if site.join("bin").is_dir() {
        fs_err::rename(site.join("bin"), &bin)?;
    } else {
        fs_err::create_dir_all(&bin)?;
    }
    clean(&site)?;
    let shebang = format!("#!/opt/venvs/{package}/bin/python3");
    for entry in sorted(&bin)? {
        if entry.file_type()?.is_file() {
            rewrite_shebang(&entry.path(), &shebang)?;
        }
    }
    std::os::unix::fs::symlink("/usr/bin/python3", bin.join("python3"))?;
    std::os::unix::fs::symlink("python3", bin.join("python"))?;
    fs_err::write(root.join("pyvenv.cfg"), pyvenv_cfg(python))?;
    Ok(root)
}

/// `pyvenv.cfg` of a venv on the target's `/usr/bin/python3`.
pub(super) fn pyvenv_cfg(python: (u8, u8)) -> String {
    format!(
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = {}.{}\n",
        python.0, python.1
    )
}

fn sorted(dir: &Path) -> io::Result<Vec<fs_err::DirEntry>> {
    let mut entries: Vec<_> = fs_err::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    Ok(entries)
}

/// Removes `__pycache__/`, `*.pyc`, `*.pyo` and the dropped `*.dist-info` files under `dir`.
pub(super) fn clean(dir: &Path) -> io::Result<()> {
    crate::build::remove_bytecode_and(dir, &|folder, name| {
        folder.extension().is_some_and(|e| e == "dist-info") && DROPPED_DIST_INFO.contains(&name)
    })
}

/// Replaces a first line `#!...python...` (pip writes its own interpreter's path) by `shebang`.
pub(super) fn rewrite_shebang(path: &Path, shebang: &str) -> io::Result<()> {
    let bytes = fs_err::read(path)?;
    let Some(rest) = shebang_rest(&bytes) else { return Ok(()) };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(shebang.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(rest);
    fs_err::write(path, out)
}

/// The bytes after a first line that is a python shebang, or `None`.
pub(super) fn shebang_rest(bytes: &[u8]) -> Option<&[u8]> {
    if !bytes.starts_with(b"#!") {
        return None;
    }
    let end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let first = String::from_utf8_lossy(&bytes[..end]);
    let interpreter = first[2..].split_whitespace().next().unwrap_or_default();
    let base = interpreter.rsplit('/').next().unwrap_or_default();
    if !base.starts_with("python") {
        return None;
    }
    Some(bytes.get(end + 1..).unwrap_or_default())
}

/// The files under `dir` (relative paths) whose contents hold `needle`.
pub(super) fn files_containing(dir: &Path, needle: &[u8]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in sorted(&d)? {
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                let bytes = fs_err::read(entry.path())?;
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    out.push(entry.path().strip_prefix(dir).unwrap_or(&entry.path()).to_owned());
                }
            } else if kind.is_symlink() {
                let target = fs_err::read_link(entry.path())?;
                if target.as_os_str().as_encoded_bytes().windows(needle.len()).any(|w| w == needle)
                {
                    out.push(entry.path().strip_prefix(dir).unwrap_or(&entry.path()).to_owned());
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
