//! `-h` and `help [command]`: rospack's usage and per-command texts (`help.txt`, one
//! `=== command` section each; rosstack prints rospack's, program name included).

use super::table::{Command, Tool};

const HELP: &str = include_str!("help.txt");

/// The usage text `-h` prints.
pub fn usage(tool: Tool) -> &'static str {
    match tool {
        Tool::Rospack => include_str!("rospack_usage.txt"),
        Tool::Rosstack => include_str!("rosstack_usage.txt"),
    }
}

/// The sections of `help.txt`: `(command, text)`.
fn entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    HELP.split("=== ").filter_map(|section| section.split_once('\n'))
}

/// The commands `help.txt` has a text for.
#[cfg(test)]
pub fn sections() -> Vec<&'static str> {
    entries().map(|(command, _)| command).collect()
}

/// `help [topic]`; an alias is shown as the user typed it.
pub fn help(tool: Tool, topic: Option<&str>) -> String {
    let Some(topic) = topic else { return usage(tool).to_owned() };
    let wanted: &str = match Command::named(topic) {
        Some(command) => command.name(),
        None => topic,
    };
    match entries().find(|(command, _)| *command == wanted) {
        Some((_, body)) => body.replacen(
            &format!("Usage: rospack {wanted}"),
            &format!("Usage: rospack {topic}"),
            1,
        ),
        None => format!("Usage: rospack {topic}\n"),
    }
}
