//! The system-call floor of a cold crawl: the least any crawler must ask the kernel to list a
//! tree (open, `fstat` and list every directory; open, `fstat` and read every manifest), done by
//! two threads with no parsing, no cache and no output. It is measured in the same run as the
//! tools, so the cold `list` row can say how close to the machine's limit they are.

use std::ffi::CString;
use std::os::fd::{AsFd as _, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustix::fs::{CWD, FileType, Mode, OFlags, RawDir};

/// A directory to list: its parent's handle, its name, and how many more levels to descend.
struct Job {
    parent: Option<Arc<OwnedFd>>,
    name: CString,
    depth: usize,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    busy: usize,
}

/// One walk of `roots` (each with its depth limit) by `threads` threads; the wall time and the
/// number of manifests read.
pub(super) fn walk(
    roots: &[(PathBuf, usize)],
    threads: usize,
) -> anyhow::Result<(Duration, usize)> {
    let mut jobs = Vec::new();
    for (root, depth) in roots {
        let name = CString::new(root.as_os_str().as_encoded_bytes())?;
        jobs.push(Job { parent: None, name, depth: *depth });
    }
    let queue = (Mutex::new(Queue { jobs, busy: 0 }), Condvar::new());
    let manifests = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| worker(&queue, &manifests));
        }
    });
    Ok((started.elapsed(), manifests.into_inner()))
}

fn worker(queue: &(Mutex<Queue>, Condvar), manifests: &std::sync::atomic::AtomicUsize) {
    let (lock, wake) = queue;
    let mut listing = vec![std::mem::MaybeUninit::uninit(); 32 * 1024];
    let mut text = vec![0_u8; 64 * 1024];
    loop {
        let job = {
            let mut q = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            loop {
                if let Some(job) = q.jobs.pop() {
                    q.busy += 1;
                    break job;
                }
                if q.busy == 0 {
                    wake.notify_all();
                    return;
                }
                q = wake.wait(q).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        let children = visit(&job, &mut listing, &mut text, manifests);
        let mut q = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        q.jobs.extend(children);
        q.busy -= 1;
        wake.notify_all();
    }
}

/// Lists one directory; reads its manifest if it has one, else returns its subdirectories.
fn visit(
    job: &Job,
    listing: &mut [std::mem::MaybeUninit<u8>],
    text: &mut [u8],
    manifests: &std::sync::atomic::AtomicUsize,
) -> Vec<Job> {
    let base = job.parent.as_ref().map_or(CWD, |p| p.as_fd());
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let Ok(fd) = rustix::fs::openat(base, job.name.as_c_str(), flags, Mode::empty()) else {
        return Vec::new();
    };
    let _ = rustix::fs::fstat(&fd);
    let mut manifest = None;
    let mut subdirs = Vec::new();
    let mut dir = RawDir::new(&fd, listing);
    while let Some(Ok(entry)) = dir.next() {
        let name = entry.file_name();
        match name.to_bytes() {
            b"package.xml" | b"manifest.xml" => manifest = Some(name.to_owned()),
            [b'.', ..] => {}
            _ if entry.file_type() == FileType::Directory => subdirs.push(name.to_owned()),
            _ => {}
        }
    }
    if let Some(file) = manifest {
        if let Ok(m) = rustix::fs::openat(&fd, file.as_c_str(), OFlags::RDONLY, Mode::empty()) {
            let _ = rustix::fs::fstat(&m);
            let _ = rustix::io::read(&m, &mut *text);
            manifests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        return Vec::new();
    }
    if job.depth == 0 {
        return Vec::new();
    }
    let parent = Arc::new(fd);
    subdirs
        .into_iter()
        .map(|name| Job { parent: Some(Arc::clone(&parent)), name, depth: job.depth - 1 })
        .collect()
}

/// The roots of a tree as the bench's tools crawl it: `<tree>/ws` in full and Debian's
/// `/usr/share` one level deep.
pub(super) fn roots(ws: &Path) -> Vec<(PathBuf, usize)> {
    vec![(ws.to_path_buf(), usize::MAX), (PathBuf::from("/usr/share"), 1)]
}

#[cfg(test)]
mod tests {
    #[test]
    fn walks_every_manifest_once() {
        let t = tempfile::tempdir().expect("tempdir");
        for dir in ["a/p1", "a/p2", "b/c/p3", "p4", "p4/inner", ".hidden/p5"] {
            fs_err::create_dir_all(t.path().join(dir)).expect("mkdir");
            fs_err::write(t.path().join(dir).join("package.xml"), "<package/>").expect("write");
        }
        let (_, n) = super::walk(&[(t.path().to_path_buf(), usize::MAX)], 2).expect("walk");
        // p4/inner is below a package, .hidden is hidden.
        assert_eq!(n, 4);
    }
}
