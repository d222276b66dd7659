//! `rosdeb apt`: a local apt repository: `publish` adds .deb files to a codename, `list` shows
//! what is there, `key generate` makes an Ed25519 signing key. A thin wrapper of `debgen::apt`;
//! with `--sign-key` publish also writes `InRelease` and `Release.gpg`.
//!
//! `publish` prints one line per .deb, `added <pool path>` or `unchanged <pool path>`; `list`
//! prints `<codename> <package> <version> <architecture>` lines; `key generate` prints
//! `fingerprint <FPR>`. `--json` prints the documents of `json::AptPublished`, `json::AptList`
//! and `json::AptKey`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use debgen::apt::{self, AptError, Entry, PublishOptions, Repository, Signer};

use crate::exit::{Hinted, Status};
use crate::json;

/// `rosdeb apt` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Add .deb files to a codename of a repository (pool/ and dists/<codename>/).
    Publish(PublishArgs),
    /// Show the codenames, architectures and packages of a repository.
    List(ListArgs),
    /// Repository signing keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, clap::Subcommand)]
enum KeyCommand {
    /// Make an Ed25519 signing key (no passphrase: the secret file is written mode 0600) and
    /// export its public key for apt's `Signed-By`.
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// Where to write the secret key (ASCII-armored; must not exist). Keep it private.
    #[arg(long, value_name = "FILE")]
    out_secret: PathBuf,
    /// Where to write the public key (must not exist): ASCII-armored when FILE ends in `.asc`,
    /// else a binary keyring (`.gpg`); give it to apt with `[signed-by=FILE]`.
    #[arg(long, value_name = "FILE")]
    out_public: PathBuf,
    /// The user id's name.
    #[arg(long, value_name = "TEXT", default_value = "rosdeb apt repository")]
    name: String,
    /// The user id's email address.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// Print `{"schema": 1, "fingerprint", "user_id", "secret", "public"}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// The .deb files to add.
    #[arg(value_name = "DEB", required = true)]
    debs: Vec<PathBuf>,
    /// The repository's root directory (created when missing).
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The distribution codename, e.g. `jammy`.
    #[arg(long, value_name = "NAME")]
    codename: String,
    /// Also index this architecture (repeatable); needed when only `all` packages are given.
    #[arg(long = "arch", value_name = "ARCH")]
    architectures: Vec<String>,
    /// The Release file's `Origin`.
    #[arg(long, value_name = "TEXT", default_value = "rosdeb")]
    origin: String,
    /// The Release file's `Label`.
    #[arg(long, value_name = "TEXT", default_value = "rosdeb")]
    label: String,
    /// Sign with this secret key (`rosdeb apt key generate`): writes InRelease and Release.gpg.
    #[arg(long, value_name = "FILE")]
    sign_key: Option<PathBuf>,
    /// The Release file's `Date` and the signature time, seconds since 1970 (default: now).
    #[arg(long, value_name = "SECONDS", env = "SOURCE_DATE_EPOCH")]
    source_date_epoch: Option<i64>,
    /// Wait at most this long for another publisher of the same repository, then fail.
    #[arg(long, value_name = "SECONDS", default_value_t = apt::DEFAULT_LOCK_TIMEOUT.as_secs())]
    lock_timeout: u64,
    /// Print `{"schema": 1, "codename", "added", "unchanged"}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// The repository's root directory.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// Print `{"schema": 1, "codenames": [{"codename", "architectures", "packages"}]}`.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Status> {
    match args.command {
        Command::Publish(args) => publish(args),
        Command::List(args) => list(&args),
        Command::Key(KeyCommand::Generate(args)) => generate(&args),
    }
}

fn publish(args: PublishArgs) -> anyhow::Result<Status> {
    let date = match args.source_date_epoch {
        Some(date) => date,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    let signer = match &args.sign_key {
        Some(path) => Some(
            Signer::read(path)
                .with_context(|| format!("reading the signing key `{}`", path.display()))?,
        ),
        None => None,
    };
    let options = PublishOptions {
        signer,
        architectures: args.architectures,
        date,
        origin: one_line("--origin", args.origin)?,
        label: one_line("--label", args.label)?,
        lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
    };
    let context = || format!("publishing to `{}` in `{}`", args.codename, args.repo.display());
    let done = match apt::publish(&args.repo, &args.codename, &args.debs, &options) {
        Ok(done) => done,
        Err(e @ AptError::Conflict(_)) => {
            let hint = "give the new build a new version (e.g. bump the Debian revision)";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e @ AptError::SigningKeyRequired { .. }) => {
            let hint = "give the key it was signed with: --sign-key FILE";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e @ AptError::NoArchitecture { .. }) => {
            let hint = "name the architectures to index with --arch, e.g. --arch amd64";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e @ AptError::Locked { .. }) => {
            let hint = "another `rosdeb apt publish` is writing this repository: wait for it, \
                        or give it longer with --lock-timeout SECONDS";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e @ AptError::NotADeb { .. }) => {
            let hint = "the file is truncated or damaged: build or download it again \
                        (`dpkg-deb --info FILE` shows what dpkg makes of it); nothing was published";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e @ AptError::BadField { .. }) => {
            let hint = "this control field cannot go into an apt repository (Debian Policy \
                        5.6: package names, versions, architectures; no control characters); \
                        rebuild the .deb with a valid one; nothing was published";
            return Err(Hinted::error(e.to_string(), hint).context(context()));
        }
        Err(e) => return Err(anyhow::Error::new(e).context(context())),
    };
    let output = if args.json {
        let mut text = serde_json::to_string_pretty(&json::AptPublished {
            schema: json::SCHEMA,
            codename: args.codename,
            added: done.added.iter().map(package).collect(),
            unchanged: done.unchanged.iter().map(package).collect(),
        })?;
        text.push('\n');
        text
    } else {
        let mut text = String::new();
        for (verb, entries) in [("added", &done.added), ("unchanged", &done.unchanged)] {
            for entry in entries {
                text.push_str(&format!("{verb} {}\n", entry.filename));
            }
        }
        text
    };
    write_stdout(&output)?;
    Ok(Status::Success)
}

fn generate(args: &GenerateArgs) -> anyhow::Result<Status> {
    let name = one_line("--name", args.name.clone())?;
    let user_id = match &args.email {
        Some(email) => format!("{name} <{}>", one_line("--email", email.clone())?),
        None => name,
    };
    for path in [&args.out_secret, &args.out_public] {
        if path.exists() {
            return Err(Hinted::error(
                format!("`{}` already exists", path.display()),
                "remove it or choose another file; keys are never overwritten",
            ));
        }
    }
    let signer = Signer::generate(&user_id)?;
    let public = if args.out_public.extension().is_some_and(|e| e == "asc") {
        signer.public_armored()?.into_bytes()
    } else {
        signer.public_keyring()?
    };
    signer
        .write_secret(&args.out_secret)
        .with_context(|| format!("writing `{}`", args.out_secret.display()))?;
    apt::write_new(&args.out_public, &public, 0o644)
        .with_context(|| format!("writing `{}`", args.out_public.display()))?;
    let output = if args.json {
        let mut text = serde_json::to_string_pretty(&json::AptKey {
            schema: json::SCHEMA,
            fingerprint: signer.fingerprint(),
            user_id,
            secret: args.out_secret.display().to_string(),
            public: args.out_public.display().to_string(),
        })?;
        text.push('\n');
        text
    } else {
        format!("fingerprint {}\n", signer.fingerprint())
    };
    write_stdout(&output)?;
    Ok(Status::Success)
}

fn one_line(flag: &str, value: String) -> anyhow::Result<String> {
    if value.trim().is_empty() || value.contains(['\n', '\r']) {
        return Err(Hinted::error(
            format!("{flag} `{value}` is empty or spans lines"),
            "give one line of text",
        ));
    }
    Ok(value)
}

fn list(args: &ListArgs) -> anyhow::Result<Status> {
    let repository = Repository::open(&args.repo)
        .with_context(|| format!("reading the apt repository `{}`", args.repo.display()))?;
    let output = if args.json {
        let codenames = repository
            .suites
            .iter()
            .map(|(codename, suite)| json::AptSuite {
                codename: codename.clone(),
                architectures: suite.architectures.iter().cloned().collect(),
                packages: suite.entries().map(package).collect(),
            })
            .collect();
        let mut text =
            serde_json::to_string_pretty(&json::AptList { schema: json::SCHEMA, codenames })?;
        text.push('\n');
        text
    } else {
        let mut text = String::new();
        for (codename, suite) in &repository.suites {
            for entry in suite.entries() {
                text.push_str(&format!(
                    "{codename} {} {} {}\n",
                    entry.package, entry.version, entry.architecture
                ));
            }
        }
        text
    };
    write_stdout(&output)?;
    Ok(Status::Success)
}

fn package(entry: &Entry) -> json::AptPackage {
    json::AptPackage {
        name: entry.package.clone(),
        version: entry.version.clone(),
        architecture: entry.architecture.clone(),
        filename: entry.filename.clone(),
        sha256: entry.sha256.clone(),
        size: entry.size,
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
