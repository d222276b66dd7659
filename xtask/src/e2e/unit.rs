//! What e2e takes from the installed systemd unit: the `[Service]` section's `ExecStart=`
//! (split as systemd splits it), `User=`, `Group=`, `Environment=` and `EnvironmentFile=`, so
//! the bridge starts exactly as systemd would start it. Pure: text in, values out.

use anyhow::{Context as _, bail};

/// The `[Service]` settings e2e needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Service {
    /// `ExecStart=`: the program and its arguments.
    pub(crate) exec_start: Vec<String>,
    pub(crate) user: String,
    /// `Group=`, else the user's name (what `chroot --userspec USER:GROUP` wants).
    pub(crate) group: String,
    /// `Environment=` assignments in order (later ones win).
    pub(crate) environment: Vec<(String, String)>,
    /// `EnvironmentFile=` paths with whether a leading `-` made them optional.
    pub(crate) environment_files: Vec<(String, bool)>,
    /// The folders systemd makes before starting (`RuntimeDirectory=` under `/run`,
    /// `StateDirectory=` under `/var/lib`), each with its mode (`...DirectoryMode=`, default
    /// `0755`), owned by the service's user and group.
    pub(crate) directories: Vec<(String, String)>,
}

/// Parses a unit file's text; `file` names it in errors.
pub(crate) fn parse(text: &str, file: &str) -> anyhow::Result<Service> {
    let mut section = String::new();
    let mut exec_start: Option<(usize, Vec<String>)> = None;
    let mut user = None;
    let mut group = None;
    let mut environment = Vec::new();
    let mut environment_files = Vec::new();
    let mut runtime = (Vec::new(), "0755".to_owned());
    let mut state = (Vec::new(), "0755".to_owned());
    for (line_no, line) in logical_lines(text) {
        let at = || format!("{file}:{line_no}");
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        if section != "Service" {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("{}: expected KEY=VALUE, found `{line}`", at());
        };
        let value = value.trim();
        match key.trim() {
            "ExecStart" => {
                if value.is_empty() {
                    exec_start = None;
                    continue;
                }
                if exec_start.is_some() {
                    bail!(
                        "{}: a second ExecStart= (Type=simple allows one)\nhint: keep one ExecStart= line",
                        at()
                    );
                }
                if let Some(prefix) = value.chars().next().filter(|c| "-@:+!|".contains(*c)) {
                    bail!(
                        "{}: ExecStart= starts with the special prefix `{prefix}`, which e2e does not emulate\nhint: ship a plain command line",
                        at()
                    );
                }
                let words = split_words(value).with_context(at)?;
                for word in &words {
                    if word.contains('$') || word.contains('%') {
                        bail!(
                            "{}: ExecStart= argument `{word}` uses a variable or specifier, which e2e does not expand\nhint: ship literal arguments",
                            at()
                        );
                    }
                }
                if !words[0].starts_with('/') {
                    bail!("{}: ExecStart= program `{}` is not an absolute path", at(), words[0]);
                }
                exec_start = Some((line_no, words));
            }
            "RuntimeDirectory" | "StateDirectory" => {
                let names =
                    if key.trim() == "RuntimeDirectory" { &mut runtime.0 } else { &mut state.0 };
                for name in value.split_whitespace() {
                    if name.starts_with('/')
                        || name.split('/').any(|c| c.is_empty() || c == "." || c == "..")
                    {
                        bail!(
                            "{}: {}= `{name}` must be a relative path without `.` or `..`",
                            at(),
                            key.trim()
                        );
                    }
                    names.push(name.to_owned());
                }
            }
            "RuntimeDirectoryMode" | "StateDirectoryMode" => {
                if value.is_empty()
                    || value.len() > 4
                    || !value.bytes().all(|b| (b'0'..=b'7').contains(&b))
                {
                    bail!("{}: {}= `{value}` is not an octal mode", at(), key.trim());
                }
                let mode = format!("{value:0>4}");
                if key.trim() == "RuntimeDirectoryMode" { runtime.1 = mode } else { state.1 = mode }
            }
            "User" => user = Some(value.to_owned()),
            "Group" => group = Some(value.to_owned()),
            "Environment" => {
                for word in split_words(value).with_context(at)? {
                    let Some((k, v)) = word.split_once('=') else {
                        bail!("{}: Environment= entry `{word}` has no `=`", at());
                    };
                    environment.push((k.to_owned(), v.to_owned()));
                }
            }
            "EnvironmentFile" => {
                let (path, optional) = match value.strip_prefix('-') {
                    Some(rest) => (rest, true),
                    None => (value, false),
                };
                environment_files.push((path.to_owned(), optional));
            }
            _ => {}
        }
    }
    let Some((_, exec_start)) = exec_start else {
        bail!("{file}: no ExecStart= in [Service]\nhint: the unit must say what to run");
    };
    let Some(user) = user.filter(|u| !u.is_empty()) else {
        bail!(
            "{file}: no User= in [Service]: the bridge would run as root\nhint: ship `User=pyros`"
        );
    };
    let group = group.filter(|g| !g.is_empty()).unwrap_or_else(|| user.clone());
    for name in [&user, &group] {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            || name.starts_with('-')
        {
            bail!("{file}: user or group name `{name}` is not a plain system name");
        }
    }
    let directories = runtime
        .0
        .iter()
        .map(|n| (format!("/run/{n}"), runtime.1.clone()))
        .chain(state.0.iter().map(|n| (format!("/var/lib/{n}"), state.1.clone())))
        .collect();
    Ok(Service { exec_start, user, group, environment, environment_files, directories })
}

/// Reads an environment file as systemd does for simple files: `KEY=VALUE` lines, `#` and
/// `;` comments, values optionally in double or single quotes.
pub(crate) fn parse_environment_file(
    text: &str,
    file: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("{file}:{}: expected KEY=VALUE, found `{line}`", n + 1);
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        out.push((key.trim().to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// Lines joined across a trailing backslash, each with the number of its first line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let (start, mut joined) = pending.take().unwrap_or((n + 1, String::new()));
        match line.strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                joined.push(' ');
                pending = Some((start, joined));
            }
            None => {
                joined.push_str(line);
                out.push((start, joined));
            }
        }
    }
    out.extend(pending);
    out
}

/// Splits a command line the way systemd does for the cases a unit ships: words separated by
/// whitespace, double or single quotes around a word, backslash escapes of `\\ \" \' \ `.
fn split_words(value: &str) -> anyhow::Result<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    None => bail!("unterminated {first} quote in `{value}`"),
                    Some(c) if c == first => break,
                    Some('\\') => word.push(escape(chars.next(), value)?),
                    Some(c) => word.push(c),
                }
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                bail!("a quoted word must be followed by whitespace in `{value}`");
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    word.push(escape(chars.next(), value)?);
                } else if c == '"' || c == '\'' {
                    bail!("a quote inside a word in `{value}`");
                } else {
                    word.push(c);
                }
            }
        }
        words.push(word);
    }
    if words.is_empty() {
        bail!("an empty command line");
    }
    Ok(words)
}

fn escape(next: Option<char>, value: &str) -> anyhow::Result<char> {
    match next {
        Some(c @ ('\\' | '"' | '\'' | ' ')) => Ok(c),
        Some('n') => Ok('\n'),
        Some('t') => Ok('\t'),
        other => bail!("unsupported escape `\\{}` in `{value}`", other.unwrap_or(' ')),
    }
}
