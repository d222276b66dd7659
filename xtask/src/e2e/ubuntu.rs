//! The Ubuntu parts (focal, jammy): when the Ubuntu archive answers, a minbase root from it
//! (cached like bookworm's), `pyros-bridge` installed from the repository's `dists/<suite>`
//! with apt, and its in-process selftest run there. An archive that does not answer skips the
//! part loudly; it never fails the run.

use std::path::Path;

use anyhow::{Context as _, bail};

use super::cache::{self, Suite};
use super::names::{BRIDGE_BIN, BRIDGE_PKG};
use super::root::Root;
use super::{Ctx, Verdict};
use crate::banner;

/// Where Debian's `ubuntu-keyring` puts the archive key.
const UBUNTU_KEYRING: &str = "/usr/share/keyrings/ubuntu-archive-keyring.gpg";

pub(super) fn run(ctx: &Ctx, suite: &'static str) -> Verdict {
    let mirror = super::mirror(suite);
    if let Err(err) = cache::probe(&mirror, suite) {
        let why = format!("{mirror} did not answer ({err:#})");
        eprintln!();
        eprintln!("    ************************************************************");
        eprintln!("    SKIPPED: {suite}: {why}");
        eprintln!("    ************************************************************");
        return Verdict::Skipped(why);
    }
    match part(ctx, suite, &mirror) {
        Ok(details) => Verdict::Passed(details),
        Err(err) => Verdict::Failed(err),
    }
}

fn part(ctx: &Ctx, suite: &'static str, mirror: &str) -> anyhow::Result<String> {
    if !ctx.repo.join(format!("dists/{suite}/InRelease")).is_file() {
        bail!(
            "{} has no signed dists/{suite}\nhint: run `cargo xtask dist` (it publishes focal, jammy, noble and bookworm)",
            ctx.repo.display()
        );
    }
    let mut options = vec!["--components=main".to_owned()];
    let mut note = String::new();
    if keyring()? {
        options.push(format!("--keyring={UBUNTU_KEYRING}"));
    } else {
        eprintln!();
        eprintln!("    !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!(
            "    NOTE: ubuntu-keyring is not installable here: debootstrap {suite} runs with"
        );
        eprintln!(
            "    --no-check-gpg (the Ubuntu packages of this root are NOT signature-checked;"
        );
        eprintln!("    apt inside the root checks our repository's signature as always).");
        eprintln!("    !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        options.push("--no-check-gpg".to_owned());
        note = " (debootstrap --no-check-gpg)".to_owned();
    }
    let suite_def = Suite { name: suite, mirror: mirror.to_owned(), options };
    let tarball = cache::bootstrapped(&ctx.target, &suite_def, &ctx.today)?;
    banner(&format!("e2e: {suite}: fresh root from {}", tarball.display()));
    let root = Root::unpack(&ctx.target, suite, &tarball)?;
    let proc_mount = root.mount_proc()?;
    super::add_repository(ctx, &root, suite)?;
    super::apt_update(&root, suite)?;
    banner(&format!("e2e: {suite}: apt-get install {BRIDGE_PKG}"));
    super::apt_install(&root, &[BRIDGE_PKG])?;
    banner(&format!("e2e: {suite}: pyros-bridge selftest"));
    let out = root.command(&[BRIDGE_BIN, "selftest"]).output().context("running the selftest")?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let verdict =
        text.lines().rfind(|l| l.contains("passed")).unwrap_or_default().trim().to_owned();
    if !out.status.success() || !verdict.ends_with(" 0 failed") {
        let hint = if text.contains("GLIBC_") && text.contains("not found") {
            format!(
                "\nhint: the binary needs a newer glibc than {suite} has: build it for the oldest target's glibc; apt installed it anyway, so its Depends lacks the libc6 version it needs"
            )
        } else {
            String::new()
        };
        bail!(
            "`pyros-bridge selftest` in {suite} failed ({}):\n{}{hint}",
            out.status,
            cache::tail(&text, 20)
        );
    }
    eprintln!("    {verdict}");
    drop(proc_mount);
    drop(root);
    Ok(format!("{BRIDGE_PKG} from apt, selftest: {verdict}{note}"))
}

/// Whether the Ubuntu archive keyring is there, installing Debian's `ubuntu-keyring` once.
fn keyring() -> anyhow::Result<bool> {
    if Path::new(UBUNTU_KEYRING).is_file() {
        return Ok(true);
    }
    let installed = std::process::Command::new("apt-get")
        .args(["install", "-y", "-qq", "ubuntu-keyring"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .is_ok_and(|o| o.status.success());
    Ok(installed && Path::new(UBUNTU_KEYRING).is_file())
}
