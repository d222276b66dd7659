//! The check that every shipped binary starts on its target: the highest `GLIBC_x.y` symbol
//! version each ELF file of a deb needs (readelf), against the glibc of the deb's codename.

use std::path::Path;

use anyhow::{Context as _, bail};

/// Unpacks `deb` (dpkg-deb -x) and fails when one of its ELF files needs a newer glibc than
/// `codename` has; prints one line per ELF file.
pub(crate) fn check(deb: &Path, codename: &str) -> anyhow::Result<()> {
    let target = debgen::targets::lookup(codename)
        .with_context(|| format!("no glibc is known for `{codename}`"))?;
    let tmp = tempfile::Builder::new().prefix("dist-glibc-").tempdir()?;
    let status = std::process::Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(tmp.path())
        .status()
        .context("running dpkg-deb -x")?;
    anyhow::ensure!(status.success(), "dpkg-deb -x {} failed", deb.display());
    let log_path = tmp.path().join(".readelf.log");
    let mut log = fs_err::File::create(&log_path)?;
    let (major, minor) = target.glibc;
    let name = deb.file_name().unwrap_or_default().to_string_lossy();
    for file in debgen::build::elf_files_in(tmp.path())? {
        let needed = debgen::build::glibc_needed(&tmp.path().join(&file), &mut log)?;
        let Some((a, b)) = needed else {
            eprintln!("    {codename:8} {name}: /{} needs no glibc", file.display());
            continue;
        };
        eprintln!(
            "    {codename:8} {name}: /{} needs GLIBC_{a}.{b} (has {major}.{minor})",
            file.display()
        );
        if (a, b) > (u32::from(major), u32::from(minor)) {
            bail!(
                "{}: /{} needs GLIBC_{a}.{b}, and {codename} has glibc {major}.{minor}: it would \
                 not start there",
                deb.display(),
                file.display()
            );
        }
    }
    Ok(())
}
