//! The one error type of the crate: lookup, parse, encode and decode failures.

use std::path::PathBuf;

/// What went wrong finding, parsing, encoding or decoding a message type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The name is not `package/Name` (both parts `[A-Za-z][A-Za-z0-9_]*`).
    #[error("invalid type name `{type_name}` (expected `package/Name`)")]
    InvalidName {
        /// The name as given.
        type_name: String,
    },
    /// No `.msg` / `.srv` file for the type under any root.
    #[error("{}", not_found_message(kind, type_name, needed_by.as_deref(), searched))]
    NotFound {
        /// `"message"` or `"service"`.
        kind: &'static str,
        /// The type looked for.
        type_name: String,
        /// The type whose field needs it, if any.
        needed_by: Option<String>,
        /// The roots searched, in order.
        searched: Vec<PathBuf>,
    },
    /// A `.msg` / `.srv` line genmsg would refuse.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file (or `message_definition of pkg/Type` for a connection header's text).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A type contains itself (it would have no finite size).
    #[error("message type `{type_name}` contains itself (through {chain})")]
    Cycle {
        /// The type seen twice.
        type_name: String,
        /// The chain of types leading back to it.
        chain: String,
    },
    /// Reading a definition file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A JSON value does not fit the message type.
    #[error("{}", if field.is_empty() { message.clone() } else { format!("field `{field}`: {message}") })]
    Encode {
        /// Path of the field (`linear.x`, `points[3].x`; empty for the message itself).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Bytes that are not a message of the type (truncated, trailing bytes, bad lengths).
    #[error("cannot decode: {message}")]
    Decode {
        /// What is wrong, with the field path where known.
        message: String,
    },
}

fn not_found_message(
    kind: &str,
    type_name: &str,
    needed_by: Option<&str>,
    searched: &[PathBuf],
) -> String {
    let mut message = format!("{kind} type `{type_name}` not found");
    if let Some(parent) = needed_by {
        message.push_str(&format!(" (needed by `{parent}`)"));
    }
    if searched.is_empty() {
        message.push_str("; no roots to search");
    } else {
        let roots: Vec<String> = searched.iter().map(|r| r.display().to_string()).collect();
        message.push_str(&format!("; searched: {}", roots.join(", ")));
    }
    message
}
