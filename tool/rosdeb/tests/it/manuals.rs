//! Integration tests of `rosdeb manpages` and `rosdeb completions`: a page for every command
//! that `man` renders without a warning (the check lintian makes), and a bash completion that
//! bash loads and that completes real subcommands and flags.

use std::process::Command;

use crate::harness::rosdeb;

/// The subcommands `rosdeb --help` lists (the names in its "Commands:" table).
fn subcommands() -> Vec<String> {
    let help = Command::new(rosdeb()).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn manpages_cover_every_command_and_render_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(rosdeb()).arg("manpages").arg("--out").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8(out.stdout).unwrap();
    let commands = subcommands();
    assert!(commands.len() >= 10, "subcommands parsed from --help: {commands:?}");
    for name in
        std::iter::once("rosdeb".to_owned()).chain(commands.iter().map(|c| format!("rosdeb-{c}")))
    {
        let page = dir.path().join(format!("{name}.1"));
        assert!(page.is_file(), "no man page {}", page.display());
        assert!(listed.contains(&page.display().to_string()), "{} not printed", page.display());
        // lintian's manpage check: man renders the page with warnings on and says nothing.
        let rendered = Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(rendered.status.success(), "man failed on {name}");
        assert!(
            rendered.stderr.is_empty(),
            "man warns on {name}: {}",
            String::from_utf8_lossy(&rendered.stderr)
        );
    }
    // Nested subcommands get their own page.
    assert!(dir.path().join("rosdeb-apt-publish.1").is_file());
}

#[test]
fn bash_completion_completes_commands_and_flags() {
    let out = Command::new(rosdeb()).args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("rosdeb.bash");
    fs_err::write(&script, &out.stdout).unwrap();
    let complete = |words: &str, cword: usize| {
        let program = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; \
             COMP_POINT=${{#COMP_LINE}}; \
             _rosdeb rosdeb \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = Command::new("bash").arg("-c").arg(program).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let commands = complete("rosdeb ap", 1);
    assert_eq!(commands.split_whitespace().collect::<Vec<_>>(), ["apt"], "{commands}");
    let flags = complete("rosdeb apt publish --lo", 3);
    assert!(flags.split_whitespace().any(|f| f == "--lock-timeout"), "{flags}");
    for shell in ["zsh", "fish"] {
        let out = Command::new(rosdeb()).args(["completions", shell]).output().unwrap();
        assert!(out.status.success() && out.stdout.len() > 1000, "{shell} completion");
    }
}
