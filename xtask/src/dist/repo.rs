//! The apt repository of `cargo xtask dist` at `target/apt`: built whole in a fresh folder beside
//! it (`target/.apt-<pid>.partial`), then swapped in with one `renameat2(RENAME_EXCHANGE)`, so a
//! reader sees the old repository or the new one, never a Release that does not match its
//! Packages; an interrupted run leaves at most a `.partial` folder, removed by the next run,
//! which rebuilds the repository from its debs. The signing key is made once and kept in
//! `target/apt-key/` (the secret key, mode 0600) so machines that trust it keep trusting it;
//! its public half is published as `target/apt/archive-key.asc`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The public key's name inside the repository.
pub(crate) const PUBLIC_KEY: &str = "archive-key.asc";

/// Publishes `debs` (codename -> .deb files) into a new repository and swaps it in at `apt`.
/// `rosdeb` runs the rosdeb binary with the given arguments.
pub(crate) fn publish(
    debs: &[(String, Vec<PathBuf>)],
    apt: &Path,
    rosdeb: &dyn Fn(&[&str]) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let parent = apt.parent().context("target/apt has no parent folder")?;
    remove_partials(parent)?;
    let (secret, public) = key(parent, rosdeb)?;
    let partial = parent.join(format!(".apt-{}.partial", std::process::id()));
    fs_err::create_dir_all(&partial)?;
    let text = |p: &Path| p.to_string_lossy().into_owned();
    for (codename, files) in debs {
        let mut args: Vec<String> = vec!["apt".into(), "publish".into()];
        args.extend(files.iter().map(|f| text(f)));
        args.extend(
            [
                "--repo",
                &text(&partial),
                "--codename",
                codename,
                "--arch",
                "amd64",
                "--sign-key",
                &text(&secret),
            ]
            .map(str::to_owned),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rosdeb(&args)?;
    }
    fs_err::copy(&public, partial.join(PUBLIC_KEY))?;
    swap_in(&partial, apt)
}

/// Removes `.apt-*.partial` folders left by interrupted runs.
fn remove_partials(parent: &Path) -> anyhow::Result<()> {
    for entry in fs_err::read_dir(parent)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".apt-") && name.ends_with(".partial") {
            eprintln!("    removing {name}, left by an interrupted run");
            fs_err::remove_dir_all(entry.path())?;
        }
    }
    Ok(())
}

/// The repository's signing key (secret, public), generated into `target/apt-key/` when missing.
fn key(
    parent: &Path,
    rosdeb: &dyn Fn(&[&str]) -> anyhow::Result<String>,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = parent.join("apt-key");
    let (secret, public) = (dir.join("archive.key"), dir.join(PUBLIC_KEY));
    if secret.is_file() && public.is_file() {
        return Ok((secret, public));
    }
    fs_err::create_dir_all(&dir)?;
    let (s, p) = (secret.to_string_lossy(), public.to_string_lossy());
    rosdeb(&[
        "apt",
        "key",
        "generate",
        "--out-secret",
        &s,
        "--out-public",
        &p,
        "--name",
        "rosdeb dist (pyros)",
    ])?;
    Ok((secret, public))
}

/// Puts the complete repository `new` at `apt`: an atomic exchange when `apt` exists (the old
/// one is then removed), a rename when it does not.
fn swap_in(new: &Path, apt: &Path) -> anyhow::Result<()> {
    if fs_err::symlink_metadata(apt).is_err() {
        fs_err::rename(new, apt)?;
        return Ok(());
    }
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        new,
        rustix::fs::CWD,
        apt,
        rustix::fs::RenameFlags::EXCHANGE,
    )
    .with_context(|| format!("exchanging {} and {}", new.display(), apt.display()))?;
    // `new` now names the previous repository.
    fs_err::remove_dir_all(new)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_repository_replaces_the_old_one_whole_and_partials_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let apt = dir.path().join("apt");
        fs_err::create_dir_all(apt.join("dists/old")).unwrap();
        let stale = dir.path().join(".apt-1.partial");
        fs_err::create_dir_all(stale.join("dists/half")).unwrap();
        remove_partials(dir.path()).unwrap();
        assert!(!stale.exists());
        let new = dir.path().join(".apt-2.partial");
        fs_err::create_dir_all(new.join("dists/bookworm")).unwrap();
        swap_in(&new, &apt).unwrap();
        assert!(apt.join("dists/bookworm").is_dir());
        assert!(!apt.join("dists/old").exists());
        assert!(!new.exists());
        // No repository yet: a plain rename.
        let fresh = dir.path().join("fresh");
        let next = dir.path().join(".apt-3.partial");
        fs_err::create_dir_all(next.join("dists/focal")).unwrap();
        swap_in(&next, &fresh).unwrap();
        assert!(fresh.join("dists/focal").is_dir());
    }
}
