//! Scratch rosdeb that forwards to the real tools, to exercise the harness's comparison side.
use std::os::unix::process::CommandExt;
fn main() {
    let mut args = std::env::args_os().skip(1);
    let tool = args.next().expect("tool");
    let err = std::process::Command::new(std::path::Path::new("/usr/bin").join(tool)).args(args).exec();
    panic!("exec failed: {err}");
}
