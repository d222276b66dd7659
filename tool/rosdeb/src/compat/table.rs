//! The command table: every rospack and rosstack command once, with its aliases, the options
//! each tool accepts with it, what it needs, and whether the index daemon may answer it.
//! Parsing, help, routing and error wording are derived from here.

use std::fmt;

/// Which tool to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tool {
    /// rospack
    Rospack,
    /// rosstack
    Rosstack,
}

impl Tool {
    /// The program name, as it appears in messages.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Rospack => "rospack",
            Tool::Rosstack => "rosstack",
        }
    }
}

/// An option of the command line (`--name` or `--name=value`; `-q` and `-h` are parsed apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Opt {
    /// `--deps-only`
    DepsOnly,
    /// `--zombie-only`
    ZombieOnly,
    /// `--lang=LANG`
    Lang,
    /// `--attrib=ATTRIB`
    Attrib,
    /// `--top=PACKAGE`
    Top,
    /// `--target=PACKAGE`
    Target,
    /// `--length=N`
    Length,
}

impl Opt {
    /// Every option.
    pub const ALL: [Opt; 7] = [
        Opt::DepsOnly,
        Opt::ZombieOnly,
        Opt::Lang,
        Opt::Attrib,
        Opt::Top,
        Opt::Target,
        Opt::Length,
    ];

    /// The name after `--`.
    pub fn name(self) -> &'static str {
        match self {
            Opt::DepsOnly => "deps-only",
            Opt::ZombieOnly => "zombie-only",
            Opt::Lang => "lang",
            Opt::Attrib => "attrib",
            Opt::Top => "top",
            Opt::Target => "target",
            Opt::Length => "length",
        }
    }

    /// Whether it takes a value.
    pub fn takes_value(self) -> bool {
        !matches!(self, Opt::DepsOnly | Opt::ZombieOnly)
    }

    /// The option called `name`.
    pub fn named(name: &str) -> Option<Opt> {
        Opt::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// What a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// The whole tree: no package (a second word is an invalid option).
    Tree,
    /// A package (rospack) or stack (rosstack); by default the one holding the working directory.
    Item,
    /// A package, for rosstack's `contains` commands.
    Package,
    /// An item and these options, all required; rospack's message when one is missing.
    ItemWith {
        /// Options that must be given.
        required: &'static [Opt],
        /// The error when the item or one of them is missing.
        missing: &'static str,
    },
}

/// How an unknown package or stack is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// `no such package NAME` (the dependency commands).
    NoSuchPackage,
    /// `package 'NAME' not found` / `stack 'NAME' not found`.
    NotFound,
}

/// One command's row in the table.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The name rospack documents.
    pub name: &'static str,
    /// Other names for it.
    pub aliases: &'static [&'static str],
    /// The options rospack accepts with it; `None`: not a rospack command.
    pub rospack: Option<&'static [Opt]>,
    /// The options rosstack accepts with it; `None`: not a rosstack command.
    pub rosstack: Option<&'static [Opt]>,
    /// What it works on.
    pub operand: Operand,
    /// Whether the index daemon may answer it: a pure query of the index (no shell, no timing).
    pub daemon: bool,
    /// How an unknown package is reported.
    pub unknown: Unknown,
    /// Its answer is one space-separated line, printed (empty) even for an unknown package.
    pub one_line: bool,
}

/// A rospack or rosstack command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Help,
    Find,
    List,
    ListNames,
    ListDuplicates,
    Langs,
    Depends,
    Depends1,
    DependsManifests,
    DependsMsgsrv,
    DependsIndent,
    DependsWhy,
    DependsOn,
    DependsOn1,
    Rosdep,
    Rosdep0,
    Vcs,
    Vcs0,
    Export,
    Plugins,
    CflagsOnlyI,
    CflagsOnlyOther,
    LibsOnlyL,
    LibsOnlyLower,
    LibsOnlyOther,
    Profile,
    Contents,
    Contains,
    ContainsPath,
}

const NONE: &[Opt] = &[];
const DEPS_ONLY: &[Opt] = &[Opt::DepsOnly];

/// A query of the index that both tools answer alike.
const fn query(name: &'static str, aliases: &'static [&'static str], rosstack: bool) -> Spec {
    Spec {
        name,
        aliases,
        rospack: Some(NONE),
        rosstack: if rosstack { Some(NONE) } else { None },
        operand: Operand::Item,
        daemon: true,
        unknown: Unknown::NotFound,
        one_line: false,
    }
}

/// A rospack flag command (`cflags-only-I`, ...): exports evaluated by the shell, pkg-config.
const fn flags(name: &'static str) -> Spec {
    Spec { rosstack: None, rospack: Some(DEPS_ONLY), daemon: false, ..query(name, &[], false) }
}

/// A command over the whole tree.
const fn tree(name: &'static str, rosstack: bool) -> Spec {
    Spec { operand: Operand::Tree, ..query(name, &[], rosstack) }
}

impl Command {
    /// Every command.
    pub const ALL: [Command; 29] = [
        Command::Help,
        Command::Find,
        Command::List,
        Command::ListNames,
        Command::ListDuplicates,
        Command::Langs,
        Command::Depends,
        Command::Depends1,
        Command::DependsManifests,
        Command::DependsMsgsrv,
        Command::DependsIndent,
        Command::DependsWhy,
        Command::DependsOn,
        Command::DependsOn1,
        Command::Rosdep,
        Command::Rosdep0,
        Command::Vcs,
        Command::Vcs0,
        Command::Export,
        Command::Plugins,
        Command::CflagsOnlyI,
        Command::CflagsOnlyOther,
        Command::LibsOnlyL,
        Command::LibsOnlyLower,
        Command::LibsOnlyOther,
        Command::Profile,
        Command::Contents,
        Command::Contains,
        Command::ContainsPath,
    ];

    /// The command's row.
    pub const fn spec(self) -> Spec {
        let no_such = Unknown::NoSuchPackage;
        match self {
            Command::Help => Spec { daemon: false, ..tree("help", true) },
            Command::Find => query("find", &[], true),
            Command::List => tree("list", true),
            Command::ListNames => tree("list-names", true),
            Command::ListDuplicates => tree("list-duplicates", true),
            Command::Langs => tree("langs", false),
            Command::Depends => Spec { unknown: no_such, ..query("depends", &["deps"], true) },
            Command::Depends1 => Spec { unknown: no_such, ..query("depends1", &["deps1"], true) },
            Command::DependsManifests => {
                Spec { one_line: true, ..query("depends-manifests", &["deps-manifests"], true) }
            }
            Command::DependsMsgsrv => {
                Spec { one_line: true, ..query("depends-msgsrv", &["deps-msgsrv"], false) }
            }
            Command::DependsIndent => query("depends-indent", &["deps-indent"], true),
            Command::DependsWhy => Spec {
                rospack: Some(&[Opt::Target]),
                rosstack: Some(&[Opt::Target]),
                operand: Operand::ItemWith {
                    required: &[Opt::Target],
                    missing: "no package or target given",
                },
                ..query("depends-why", &["deps-why"], true)
            },
            Command::DependsOn => Spec { unknown: no_such, ..query("depends-on", &[], true) },
            Command::DependsOn1 => Spec { unknown: no_such, ..query("depends-on1", &[], true) },
            Command::Rosdep => query("rosdep", &["rosdeps"], false),
            Command::Rosdep0 => query("rosdep0", &["rosdeps0"], false),
            Command::Vcs => query("vcs", &[], false),
            Command::Vcs0 => query("vcs0", &[], false),
            Command::Export => Spec {
                rospack: Some(&[Opt::DepsOnly, Opt::Lang, Opt::Attrib]),
                operand: Operand::ItemWith {
                    required: &[Opt::Lang, Opt::Attrib],
                    missing: "no package / lang / attrib given",
                },
                one_line: true,
                ..flags("export")
            },
            Command::Plugins => Spec {
                rospack: Some(&[Opt::Attrib, Opt::Top]),
                operand: Operand::ItemWith {
                    required: &[Opt::Attrib],
                    missing: "no package / attrib given",
                },
                // rospack words an unknown package as its dependency walk does.
                unknown: no_such,
                ..flags("plugins")
            },
            Command::CflagsOnlyI => flags("cflags-only-I"),
            Command::CflagsOnlyOther => flags("cflags-only-other"),
            Command::LibsOnlyL => flags("libs-only-L"),
            Command::LibsOnlyLower => flags("libs-only-l"),
            Command::LibsOnlyOther => flags("libs-only-other"),
            Command::Profile => Spec {
                rospack: Some(&[Opt::Length, Opt::ZombieOnly]),
                rosstack: Some(&[Opt::Length]),
                daemon: false,
                ..tree("profile", true)
            },
            Command::Contents => Spec { rospack: None, ..query("contents", &[], true) },
            Command::Contains => {
                Spec { rospack: None, operand: Operand::Package, ..query("contains", &[], true) }
            }
            Command::ContainsPath => Spec {
                rospack: None,
                operand: Operand::Package,
                ..query("contains-path", &[], true)
            },
        }
    }

    /// The documented name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The command called `word` (its name or an alias), whichever tool has it.
    pub fn named(word: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| {
            let spec = c.spec();
            spec.name == word || spec.aliases.contains(&word)
        })
    }

    /// The options `tool` accepts with it; `None` when `tool` has no such command.
    pub fn options(self, tool: Tool) -> Option<&'static [Opt]> {
        match tool {
            Tool::Rospack => self.spec().rospack,
            Tool::Rosstack => self.spec().rosstack,
        }
    }

    /// The error when no package (or a required option) is given, if that is one.
    pub fn missing(
        self,
        tool: Tool,
        package: bool,
        given: impl Fn(Opt) -> bool,
    ) -> Option<&'static str> {
        match self.spec().operand {
            Operand::Tree => None,
            Operand::Package => (!package).then_some("no package given"),
            Operand::Item => (!package).then_some(match tool {
                Tool::Rospack => "no package given",
                Tool::Rosstack => "no stack given",
            }),
            Operand::ItemWith { required, missing } => {
                (!package || !required.iter().all(|&o| given(o))).then_some(missing)
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique_and_found() {
        let mut words: Vec<&str> = Vec::new();
        for command in Command::ALL {
            let spec = command.spec();
            for word in std::iter::once(spec.name).chain(spec.aliases.iter().copied()) {
                assert!(!words.contains(&word), "`{word}` twice");
                words.push(word);
                assert_eq!(Command::named(word), Some(command), "{word}");
            }
            assert!(spec.rospack.is_some() || spec.rosstack.is_some(), "{command}: no tool");
        }
    }

    #[test]
    fn options_accepted_are_a_superset_of_those_required() {
        for command in Command::ALL {
            if let Operand::ItemWith { required, .. } = command.spec().operand {
                for tool in [Tool::Rospack, Tool::Rosstack] {
                    if let Some(accepted) = command.options(tool) {
                        assert!(required.iter().all(|o| accepted.contains(o)), "{command}");
                    }
                }
            }
        }
    }

    /// The usage text of each tool lists exactly its commands, with their aliases and options,
    /// except what the real tool accepts without listing it.
    #[test]
    fn usage_texts_list_the_table() {
        // rosstack answers `list-duplicates` but its usage text does not say so.
        let unlisted = [(Tool::Rosstack, Command::ListDuplicates)];
        for tool in [Tool::Rospack, Tool::Rosstack] {
            let usage = crate::compat::help::usage(tool);
            let listed: Vec<&str> = usage
                .lines()
                .skip_while(|l| !l.contains("Allowed commands:"))
                .skip(1)
                .take_while(|l| l.starts_with("    "))
                .filter_map(|l| l.split_whitespace().next())
                .collect();
            let mut expected: Vec<&str> = Command::ALL
                .into_iter()
                .filter(|&c| c.options(tool).is_some() && !unlisted.contains(&(tool, c)))
                .map(Command::name)
                .collect();
            let mut listed_sorted = listed.clone();
            listed_sorted.sort_unstable();
            expected.sort_unstable();
            assert_eq!(listed_sorted, expected, "{tool:?}");
            for command in Command::ALL
                .into_iter()
                .filter(|&c| c.options(tool).is_some() && !unlisted.contains(&(tool, c)))
            {
                let line = usage
                    .lines()
                    .find(|l| l.split_whitespace().next() == Some(command.name()))
                    .unwrap_or_default();
                for alias in command.spec().aliases {
                    assert!(line.contains(&format!("(alias: {alias})")), "{tool:?} {command}");
                }
                for opt in command.options(tool).unwrap_or_default() {
                    assert!(line.contains(&format!("--{}", opt.name())), "{tool:?} {command}");
                }
            }
        }
    }

    /// `rospack help COMMAND` has a text for every rospack command and for nothing else.
    #[test]
    fn help_sections_match_rospack_commands() {
        let mut sections = crate::compat::help::sections();
        sections.sort_unstable();
        let mut commands: Vec<&str> = Command::ALL
            .into_iter()
            .filter(|c| c.options(Tool::Rospack).is_some())
            .map(Command::name)
            .collect();
        commands.sort_unstable();
        assert_eq!(sections, commands);
    }
}
