//! `rosdeb deb build`: a `.deb` written natively from a staging tree and a control file.
//!
//! The archive is named `<package>_<version>_<arch>.deb` (version without epoch) in `--out`.
//! Text output is the path of the `.deb` on stdout; `--json` prints
//! `{"schema": 1, "name", "version", "architecture", "path", "sha256", "size"}`.
//! Timestamps are capped at `SOURCE_DATE_EPOCH` (or `--source-date-epoch`); without either the
//! newest mtime in the tree is used, so identical trees give identical archives.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use debgen::deb::{Control, DebBuilder, MAINTAINER_SCRIPTS};

use crate::exit::{Hinted, Status};
use crate::json;

/// `rosdeb deb` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Build a .deb from a staging tree (the future `/`) and a control file.
    Build(BuildArgs),
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// The staging tree: its contents become the package's files.
    #[arg(value_name = "STAGING_DIR")]
    staging: PathBuf,
    /// The binary control file (Package, Version, Architecture, Maintainer, Description, ...).
    #[arg(long, value_name = "FILE")]
    control: PathBuf,
    /// Directory the .deb is written to (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Mark an installed path as a conffile, e.g. `/etc/foo.conf` (repeatable).
    #[arg(long, value_name = "PATH")]
    conffile: Vec<String>,
    /// A maintainer script; its file name says which (preinst, postinst, prerm, postrm, config).
    #[arg(long, value_name = "FILE")]
    script: Vec<PathBuf>,
    /// xz preset 0-9 for the archive members (dpkg-deb's -z).
    #[arg(long, value_name = "N", default_value_t = 6)]
    xz_level: u32,
    /// Cap on every timestamp in the archive, seconds since 1970.
    #[arg(long, value_name = "SECONDS", env = "SOURCE_DATE_EPOCH")]
    source_date_epoch: Option<u64>,
    /// Print `{"schema": 1, "name", "version", "architecture", "path", "sha256", "size"}`.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    match args.command {
        Command::Build(args) => build(args),
    }
}

fn build(args: BuildArgs) -> anyhow::Result<Status> {
    let text = fs_err::read_to_string(&args.control)?;
    let control = Control::parse(&text)
        .with_context(|| format!("reading control file `{}`", args.control.display()))?;
    let mut builder = DebBuilder::new(control, &args.staging, args.source_date_epoch)
        .conffiles(args.conffile)
        .xz_level(args.xz_level);
    for script in &args.script {
        let name = script.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !MAINTAINER_SCRIPTS.contains(&name) {
            return Err(Hinted::error(
                format!("`{}` is not a maintainer script name", script.display()),
                "name the file preinst, postinst, prerm, postrm or config",
            ));
        }
        let name = name.to_owned();
        builder = builder.maintainer_script(name, fs_err::read_to_string(script)?);
    }
    let deb = builder
        .build(&args.out)
        .with_context(|| format!("building a .deb from `{}`", args.staging.display()))?;
    let mut output = if args.json {
        serde_json::to_string_pretty(&json::DebBuilt {
            schema: json::SCHEMA,
            name: deb.name,
            version: deb.version,
            architecture: deb.architecture,
            path: deb.path.display().to_string(),
            sha256: deb.sha256,
            size: deb.size,
        })?
    } else {
        deb.path.display().to_string()
    };
    output.push('\n');
    let mut out = std::io::stdout().lock();
    out.write_all(output.as_bytes())?;
    out.flush()?;
    Ok(Status::Success)
}
