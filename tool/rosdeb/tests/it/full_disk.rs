//! A full disk under the output: `deb build`, `debian generate` and `apt publish` fail with an
//! error naming the file, leave nothing half-written, and leave a repository whose index
//! matches its pool. The small file system is a real tmpfs (mounting needs root, as in CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use debgen::deb::{Control, DebBuilder};

use crate::harness::{TempDir, rosdeb};

/// A tmpfs of `kib` KiB mounted on a fresh folder; unmounted on drop.
struct SmallFs {
    dir: TempDir,
}

impl SmallFs {
    fn mount(kib: u32) -> SmallFs {
        let uid = Command::new("id").arg("-u").output().expect("running id -u");
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the full-disk tests mount a small tmpfs and need root (CI runs them as root)"
        );
        let dir = TempDir::new("full-disk");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k,mode=0755"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("running mount");
        assert!(status.success(), "mounting a tmpfs on {} failed", dir.path().display());
        SmallFs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Every file below `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&d) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(rosdeb())
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

/// A staging tree with `bytes` of incompressible data.
fn staging(dir: &Path, name: &str, bytes: usize) -> PathBuf {
    let staging = dir.join(format!("staging-{name}"));
    let share = staging.join("usr/share").join(name);
    fs_err::create_dir_all(&share).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let data: Vec<u8> = (0..bytes)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    fs_err::write(share.join("data.bin"), data).unwrap();
    staging
}

fn control(name: &str) -> String {
    format!(
        "Package: {name}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: A <a@example.org>\n\
         Description: full disk test\n of {name}.\n"
    )
}

#[test]
fn deb_build_on_a_full_disk_leaves_nothing() {
    let work = TempDir::new("full-disk-deb");
    let small = SmallFs::mount(256);
    let tree = staging(work.path(), "big", 1024 * 1024);
    let control_file = work.path().join("control");
    fs_err::write(&control_file, control("big")).unwrap();
    let out = run(
        &[
            "deb",
            "build",
            tree.to_str().unwrap(),
            "--control",
            control_file.to_str().unwrap(),
            "--out",
            small.path().to_str().unwrap(),
        ],
        work.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains(small.path().to_str().unwrap()), "the error names no path: {stderr}");
    assert_eq!(files(small.path()), Vec::<String>::new(), "something was left behind");
}

#[test]
fn debian_generate_on_a_full_disk_leaves_nothing() {
    let work = TempDir::new("full-disk-generate");
    let small = SmallFs::mount(8);
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/workspaces/real/noetic/std_msgs");
    let index =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rosdistro/index-v4.yaml");
    let base =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rosdistro/rosdep/base.yaml");
    let out = Command::new(rosdeb())
        .args(["debian", "generate"])
        .arg(&pkg)
        .args(["--distro", "noetic", "--os", "ubuntu:focal", "--rosdep"])
        .arg(&base)
        .arg("--out")
        .arg(small.path())
        .env("ROSDISTRO_INDEX_URL", format!("file://{}", index.canonicalize().unwrap().display()))
        .env("ROSDEP_SOURCE_PATH", work.path())
        .env("HOME", work.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(files(small.path()), Vec::<String>::new(), "something was left behind");
}

#[test]
fn apt_publish_on_a_full_disk_keeps_the_repository_consistent() {
    let work = TempDir::new("full-disk-apt");
    let small = SmallFs::mount(512);
    let repo = small.path().join("repo");
    let deb = |name: &str, bytes: usize| {
        let tree = staging(work.path(), name, bytes);
        let control = Control::parse(&control(name)).unwrap();
        DebBuilder::new(control, &tree, Some(1_700_000_000))
            .build(&work.path().join(format!("out-{name}")))
            .unwrap()
            .path
    };
    let small_deb = deb("small", 1024);
    let big_deb = deb("big", 1024 * 1024);
    let publish = |debs: &[&Path]| {
        let mut args = vec!["apt", "publish"];
        args.extend(debs.iter().map(|d| d.to_str().unwrap()));
        args.extend([
            "--repo",
            repo.to_str().unwrap(),
            "--codename",
            "bookworm",
            "--arch",
            "amd64",
        ]);
        run(&args, work.path())
    };
    let first = publish(&[&small_deb]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let before = files(&repo);
    let failed = publish(&[&big_deb]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(files(&repo), before, "the failed publish changed the repository");
    let list = run(&["apt", "list", "--repo", repo.to_str().unwrap()], work.path());
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.status.success() && listed.contains("small") && !listed.contains("big"),
        "{listed}"
    );
}
