//! Backquoted shell in manifest exports (`cflags="`pkg-config --cflags foo`"`), evaluated as
//! rospack does: `/bin/sh -c 'ret="VALUE" && echo $ret'`. rospack always does this; the native
//! commands only with `--allow-shell`, since it runs code from manifests.

use std::path::Path;

/// True when a value needs the shell (a backquote or a `$`).
pub fn needs_shell(value: &str) -> bool {
    value.contains('`') || value.contains('$')
}

/// Why evaluation failed.
pub enum ShellFailed {
    /// The shell ran and failed (its stderr was shown).
    Status,
    /// The shell could not be started.
    Spawn(String),
}

/// rospack's evaluation: `ret="VALUE" && echo $ret`, newlines turned into spaces; the shell's
/// stderr goes to ours.
pub fn evaluate(value: &str, dir: Option<&Path>) -> Result<String, ShellFailed> {
    let script = format!("ret=\"{value}\" && echo $ret");
    let mut command = std::process::Command::new("/bin/sh");
    command.arg("-c").arg(&script).stderr(std::process::Stdio::inherit());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command
        .output()
        .map_err(|e| ShellFailed::Spawn(format!("could not run /bin/sh for {value}: {e}")))?;
    if !output.status.success() {
        return Err(ShellFailed::Status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().replace('\n', " "))
}
