//! What one run prints: stdout bytes, stderr lines in rospack's `[tool] Error: ...` form, and
//! whether it fails.

use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use super::table::Tool;

/// Output and error collection for one run.
pub struct Run {
    /// The tool whose name prefixes messages.
    pub tool: Tool,
    /// `-q`: no error or warning lines.
    pub quiet: bool,
    /// Standard output so far.
    pub out: Vec<u8>,
    /// Captured stderr (daemon answers); `None` writes stderr at once, as rospack does, so that
    /// it interleaves with the output of backquoted export commands.
    pub err: Option<Vec<u8>>,
    /// Whether the run exits non-zero.
    pub failed: bool,
}

impl Run {
    /// A run whose stderr is captured (`capture`) or written at once.
    pub fn new(tool: Tool, capture: bool) -> Run {
        Run { tool, quiet: false, out: Vec::new(), err: capture.then(Vec::new), failed: false }
    }

    /// Reports an error and fails.
    pub fn error(&mut self, message: &str) {
        self.failed = true;
        if !self.quiet {
            self.stderr_line(&format!("[{}] Error: {message}", self.tool.name()));
        }
    }

    /// Reports a warning.
    pub fn warning(&mut self, message: &str) {
        if !self.quiet {
            self.stderr_line(&format!("[{}] Warning: {message}", self.tool.name()));
        }
    }

    fn stderr_line(&mut self, text: &str) {
        let mut line = text.as_bytes().to_vec();
        line.push(b'\n');
        self.stderr(&line);
    }

    /// Bytes for stderr as they are (a child's own complaint).
    pub fn stderr(&mut self, bytes: &[u8]) {
        match &mut self.err {
            Some(buffer) => buffer.extend_from_slice(bytes),
            None => {
                let _ = std::io::stderr().lock().write_all(bytes);
            }
        }
    }

    /// One output line; bytes, so that paths that are not UTF-8 print as they are.
    pub fn line(&mut self, text: impl AsRef<[u8]>) {
        self.out.extend_from_slice(text.as_ref());
        self.out.push(b'\n');
    }
}

/// A path's bytes as the kernel has them.
pub fn raw(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// A crawled directory as rospack prints it: Debian's `/usr/share` root keeps its trailing slash.
pub fn shown_dir(dir: &Path) -> Vec<u8> {
    if dir == Path::new("/usr/share") { b"/usr/share/".to_vec() } else { raw(dir).to_vec() }
}

/// Paths separated by single spaces.
pub fn join_paths(paths: &[PathBuf]) -> Vec<u8> {
    paths.iter().map(|p| raw(p)).collect::<Vec<_>>().join(&b' ')
}
