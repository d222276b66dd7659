//! rospack's command line as boost::program_options reads it (`--opt=value` or `--opt value`),
//! with its error wording; the options are those of [`Opt`].

use std::collections::BTreeMap;
use std::ffi::OsString;

use super::table::{Command, Opt, Tool};

// rospack prints boost::program_options' placeholder literally.
const UNRECOGNISED: &str =
    "failed to parse command-line options: unrecognised option '%canonical_option%'";
const EMPTY_VALUE: &str = "failed to parse command-line options: the argument for option '%canonical_option%' should follow immediately after the equal sign";
const REPEATED: &str = "failed to parse command-line options: option '%canonical_option%' cannot be specified more than once";
const TOO_MANY: &str = "failed to parse command-line options: too many positional options have been specified on the command line";

/// The parsed command line.
#[derive(Debug, Default)]
pub struct Invocation {
    /// The first word, as given (an alias stays an alias here).
    pub command: Option<String>,
    /// The second word.
    pub package: Option<String>,
    /// `-q`.
    pub quiet: bool,
    /// `-h` (rospack prints its usage); `--help` alone counts as no command, as in rospack.
    pub short_help: bool,
    /// The options given, with their values (`""` for a flag).
    options: BTreeMap<Opt, String>,
}

impl Invocation {
    /// Parses `args` (without the program name); the error is rospack's message.
    pub fn parse(args: &[OsString]) -> Result<Self, String> {
        let mut inv = Invocation::default();
        let mut positional = Vec::new();
        let mut iter = args.iter().map(|a| a.to_string_lossy().into_owned());
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "-q" => inv.quiet = true,
                "-h" => inv.short_help = true,
                "--help" => {}
                _ => {
                    let Some(long) = arg.strip_prefix("--") else {
                        if arg.starts_with('-') && arg.len() > 1 {
                            return Err(UNRECOGNISED.to_owned());
                        }
                        positional.push(arg);
                        continue;
                    };
                    let (key, inline) = match long.split_once('=') {
                        Some((k, v)) => (k, Some(v.to_owned())),
                        None => (long, None),
                    };
                    let opt = Opt::named(key).ok_or_else(|| UNRECOGNISED.to_owned())?;
                    if !opt.takes_value() {
                        inv.options.insert(opt, String::new());
                        continue;
                    }
                    let value = match inline {
                        Some(v) if v.is_empty() => return Err(EMPTY_VALUE.to_owned()),
                        Some(v) => v,
                        None => iter.next().ok_or_else(|| {
                            format!("failed to parse command-line options: the required argument for option '--{key}' is missing")
                        })?,
                    };
                    if inv.options.insert(opt, value).is_some() {
                        return Err(REPEATED.to_owned());
                    }
                }
            }
        }
        if positional.len() > 2 {
            return Err(TOO_MANY.to_owned());
        }
        let mut positional = positional.into_iter();
        inv.command = positional.next();
        inv.package = positional.next();
        Ok(inv)
    }

    /// The command named, resolved through the table (`None` when none is given).
    pub fn command(&self) -> Option<Result<Command, &str>> {
        self.command.as_deref().map(|word| Command::named(word).ok_or(word))
    }

    /// Whether `opt` was given.
    pub fn has(&self, opt: Opt) -> bool {
        self.options.contains_key(&opt)
    }

    /// The value of `opt`, if given.
    pub fn value(&self, opt: Opt) -> Option<&str> {
        self.options.get(&opt).map(String::as_str)
    }

    /// Whether an option was given that `command` does not take with `tool`.
    pub fn unexpected_option(&self, tool: Tool, command: Command) -> bool {
        let accepted = command.options(tool).unwrap_or_default();
        self.options.keys().any(|o| !accepted.contains(o))
    }

    /// Whether the daemon may answer this command line for `tool`.
    pub fn served_by_daemon(&self, tool: Tool) -> bool {
        !self.short_help
            && matches!(self.command(), Some(Ok(c)) if c.options(tool).is_some() && c.spec().daemon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Invocation, String> {
        Invocation::parse(&words.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn values_inline_or_following_and_flags() {
        let inv = parse(&["export", "--lang=cpp", "--attrib", "cflags", "--deps-only", "roscpp"])
            .expect("parses");
        assert_eq!(inv.command.as_deref(), Some("export"));
        assert_eq!(inv.package.as_deref(), Some("roscpp"));
        assert_eq!(inv.value(Opt::Lang), Some("cpp"));
        assert_eq!(inv.value(Opt::Attrib), Some("cflags"));
        assert!(inv.has(Opt::DepsOnly));
        assert!(!inv.has(Opt::Top));
    }

    #[test]
    fn rospacks_errors() {
        assert_eq!(parse(&["find", "--nope"]).unwrap_err(), UNRECOGNISED);
        assert_eq!(parse(&["find", "-x"]).unwrap_err(), UNRECOGNISED);
        assert_eq!(parse(&["export", "--lang="]).unwrap_err(), EMPTY_VALUE);
        assert_eq!(parse(&["export", "--lang=a", "--lang=b"]).unwrap_err(), REPEATED);
        assert_eq!(parse(&["a", "b", "c"]).unwrap_err(), TOO_MANY);
        assert!(parse(&["export", "--lang"]).unwrap_err().contains("'--lang' is missing"));
        // A repeated flag is no error (boost's bool_switch).
        assert!(parse(&["cflags-only-I", "--deps-only", "--deps-only"]).is_ok());
    }

    #[test]
    fn daemon_routing_follows_the_table() {
        let served = |tool, words: &[&str]| parse(words).expect("parses").served_by_daemon(tool);
        assert!(served(Tool::Rospack, &["deps", "roscpp"]));
        assert!(served(Tool::Rosstack, &["contains", "roscpp"]));
        assert!(!served(Tool::Rospack, &["contains", "roscpp"]));
        assert!(!served(Tool::Rospack, &["export", "--lang=cpp", "--attrib=cflags", "x"]));
        assert!(!served(Tool::Rospack, &["profile"]));
        assert!(!served(Tool::Rospack, &["-h", "find", "x"]));
        assert!(!served(Tool::Rospack, &["nonsense"]));
    }
}
