//! `rosdeb rospack ...` / `rosdeb rosstack ...` (and the `rospack` / `rosstack` symlinks): asks
//! the index daemon when one runs and the table lets it answer, else answers in this process
//! with the [`crate::compat`] engine; prints the answer and turns it into an exit status.

use std::ffi::OsString;
use std::io::Write as _;

use rospkg::environment::Environment;

use crate::compat::{self, Caller, Invocation, Tool, Views};
use crate::context::Context;
use crate::daemon::{Asked, Endpoint, Mode};
use crate::exit::Status;

/// Runs rospack or rosstack with `args` (without the program name): through the index daemon
/// when one runs (unless `ROSDEB_DAEMON=0`), else in this process (then, with
/// `ROSDEB_DAEMON=1` only, starting a daemon for next time).
pub fn run(tool: Tool, args: &[OsString]) -> Status {
    let env = Environment::from_process();
    let context = Context::from_env(env.clone(), None, None, false);
    let served = Invocation::parse(args).is_ok_and(|inv| inv.served_by_daemon(tool));
    let mut daemon = served.then(|| Endpoint::for_context(&context)).flatten();
    if let Some(endpoint) = &daemon {
        match endpoint.ask(tool, args, &env) {
            Asked::Answer(answer) => {
                let _ = std::io::stderr().write_all(&answer.stderr);
                return write_stdout(tool, &answer.stdout, answer.failed);
            }
            Asked::Declined => daemon = None,
            Asked::NotRunning => {}
        }
    }
    let cwd = std::env::current_dir().ok();
    let caller = Caller { env: &env, cwd: cwd.as_deref() };
    let start = Mode::of(&context) == Mode::Start;
    let output = compat::answer(tool, args, &caller, &Views::new(context), false);
    if let Some(endpoint) = &daemon
        && start
    {
        endpoint.start_in_background();
    }
    write_stdout(tool, &output.stdout, output.failed)
}

fn write_stdout(tool: Tool, out: &[u8], failed: bool) -> Status {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(std::io::stderr().lock(), "[{}] Error: writing output: {e}", tool.name());
        return Status::Failure;
    }
    if failed { Status::Failure } else { Status::Success }
}
