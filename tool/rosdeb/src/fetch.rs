//! Reading inputs (index, distribution and rosdep files) from paths, `file://` and `http(s)://`
//! URLs, with an on-disk HTTP cache revalidated by ETag / Last-Modified, `--offline` (cache only)
//! and a lock file of sha256 hashes checked by `--frozen`.
//!
//! - [`FetchArgs`]: the global flags `--offline --frozen --lock --cache-dir --timeout
//!   --max-download`.
//! - [`Fetcher`]: [`Fetcher::get`] returns the bytes and sha256 of one input; [`Fetcher::finish`]
//!   writes the lock file (with `--lock`, not under `--frozen`).
//! - `cache`: the content cache (`<key>.body` + `<key>.json`, atomic writes).
//! - `lock`: the lock file (`{"schema": 1, "inputs": {source: sha256}}`).
//! - `parsed`: parse results (distribution and rosdep files) cached by content, for
//!   [`Fetcher::get_parsed`].
//!
//! Using it from another command (e.g. `rosdeb resolve` for `yaml https://...` lines of a rosdep
//! sources list): flatten [`FetchArgs`] into the command's clap `Args`, build
//! `let fetcher = Fetcher::new(args.fetch.options())?;`, read each source with
//! `let fetched = fetcher.get(url)?;` (`fetched.bytes`, `fetched.path` for diagnostics, or
//! [`Fetcher::get_text`] for UTF-8 text with gzip undone), and call `fetcher.finish()?` once
//! the command succeeded so the lock file is written. Relative URLs inside a fetched file resolve
//! with [`join_url`].
//!
//! Every error is one line naming the URL (HTTP status, timeout, connection failure, a body cut
//! off after N of M bytes, a body beyond the download limit) plus a hint; nothing partial ever
//! reaches the cache. A body is read with a counter and given up past the limit, so an endless
//! download costs at most the limit in memory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rospkg::distro as rdistro;
use sha2::{Digest as _, Sha256};

use crate::exit::Hinted;

mod cache;
mod lock;
mod parsed;
#[cfg(test)]
mod tests;

pub use cache::Cache;
pub use lock::Lock;
pub use parsed::ParsedCache;

/// Overrides the HTTP cache folder (`--cache-dir`).
pub const CACHE_DIR_ENV: &str = "ROSDEB_HTTP_CACHE";
/// The lock file `--frozen` reads when `--lock` is not given.
pub const DEFAULT_LOCK: &str = "rosdeb.lock";
/// The default of `--max-download`: far above the largest rosdistro or rosdep file (a few MB).
pub const DEFAULT_MAX_DOWNLOAD: u64 = 256 << 20;

/// Global flags for commands that read inputs by URL.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Use only the HTTP cache; fail for a URL that is not cached.
    #[arg(long, global = true)]
    offline: bool,
    /// Fail unless every input matches the sha256 recorded in the lock file (--lock, default
    /// ./rosdeb.lock); the lock file is not written.
    #[arg(long, global = true)]
    frozen: bool,
    /// Record the sha256 of every input read in FILE (merged into what it holds); with
    /// --frozen, the file to check against.
    #[arg(long, global = true, value_name = "FILE")]
    lock: Option<PathBuf>,
    /// HTTP cache folder [default: $XDG_CACHE_HOME/rosdeb/http, else ~/.cache/rosdeb/http].
    #[arg(long, global = true, value_name = "DIR", env = CACHE_DIR_ENV)]
    cache_dir: Option<PathBuf>,
    /// Seconds an HTTP connection may stay silent before the request fails.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,
    /// Largest body one download may have: bytes, or with a suffix K, M, G (powers of 1024;
    /// KiB, MiB, GiB, KB, MB, GB read the same); larger downloads fail, nothing cached.
    #[arg(long, global = true, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_download: u64,
}

/// A `--max-download` size: a positive whole number of bytes, or of K / M / G (1024-based;
/// `KiB`, `KB` and the like are accepted as the same, any case).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim_start().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("'{text}' is not a size (a number of bytes, or with K, M or G)")),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size (a number of bytes, or with K, M or G)"))?;
    match n.checked_mul(1 << shift) {
        Some(0) => Err("the download limit must be at least 1 byte".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("'{text}' is too large")),
    }
}

impl FetchArgs {
    /// The fetcher options these flags describe (default cache folder from the environment).
    pub fn options(&self) -> Options {
        let cache_dir = self.cache_dir.clone().or_else(|| {
            default_cache_dir(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
        });
        let timeout = if self.timeout.is_finite() && self.timeout > 0.0 {
            Duration::from_secs_f64(self.timeout.min(86_400.0))
        } else {
            Duration::from_secs(30)
        };
        Options {
            cache_dir,
            offline: self.offline,
            frozen: self.frozen,
            lock: self.lock.clone(),
            timeout,
            max_download: self.max_download,
        }
    }
}

/// `$XDG_CACHE_HOME/rosdeb/http` (absolute values only, as the XDG spec says), else
/// `$HOME/.cache/rosdeb/http`; `None` without either.
pub fn default_cache_dir(
    xdg_cache_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let base = xdg_cache_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("rosdeb").join("http"))
}

/// How a [`Fetcher`] behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The HTTP cache folder; `None` disables caching.
    pub cache_dir: Option<PathBuf>,
    /// Never use the network.
    pub offline: bool,
    /// Check every input against the lock file; never write it.
    pub frozen: bool,
    /// The lock file to write (or, with `frozen`, to check; default [`DEFAULT_LOCK`]).
    pub lock: Option<PathBuf>,
    /// Connect / read timeout.
    pub timeout: Duration,
    /// Largest body a download may have, in bytes.
    pub max_download: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cache_dir: None,
            offline: false,
            frozen: false,
            lock: None,
            timeout: Duration::from_secs(30),
            max_download: DEFAULT_MAX_DOWNLOAD,
        }
    }
}

/// Where fetched bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A local file (path or `file://` URL).
    Local,
    /// Downloaded now (HTTP 200).
    Downloaded,
    /// The cache, confirmed by the server (HTTP 304).
    Revalidated,
    /// The cache, without asking (`--offline`).
    Cached,
}

/// One input's content.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The source as given (path or URL): the lock file's key.
    pub source: String,
    /// The name for diagnostics: the local path, or the URL.
    pub path: PathBuf,
    /// The bytes as stored (a `*.gz` body stays compressed).
    pub bytes: Arc<[u8]>,
    /// sha256 of `bytes`, lowercase hex.
    pub sha256: String,
    /// Where the bytes came from.
    pub origin: Origin,
}

/// Reads inputs; remembers each source's content for the rest of the run (one request per URL)
/// and the hashes for the lock file.
#[derive(Debug)]
pub struct Fetcher {
    options: Options,
    cache: Option<Cache>,
    /// The lock checked under `--frozen`.
    frozen_lock: Option<(PathBuf, Lock)>,
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
    seen: Mutex<HashMap<String, Fetched>>,
    parsed: Option<ParsedCache>,
}

impl Fetcher {
    /// A fetcher; under `frozen` the lock file must exist and parse.
    pub fn new(options: Options) -> anyhow::Result<Self> {
        let frozen_lock = if options.frozen {
            let path = options.lock.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_LOCK));
            let lock = Lock::read(&path)?.ok_or_else(|| {
                Hinted::error(
                    format!("--frozen needs a lock file, and {} does not exist", path.display()),
                    format!(
                        "run once without --frozen, with --lock {}, to write it",
                        path.display()
                    ),
                )
            })?;
            Some((path, lock))
        } else {
            None
        };
        let cache = options.cache_dir.clone().map(Cache::new);
        let parsed = options.cache_dir.as_deref().map(ParsedCache::beside);
        Ok(Fetcher {
            options,
            cache,
            frozen_lock,
            client: OnceLock::new(),
            seen: Mutex::new(HashMap::new()),
            parsed,
        })
    }

    /// The bytes of `source`: a path, a `file://` URL or an `http(s)://` URL (through the cache).
    /// Under `--frozen` the sha256 must match the lock file.
    pub fn get(&self, source: &str) -> anyhow::Result<Fetched> {
        if let Some(f) = self.seen.lock().ok().and_then(|s| s.get(source).cloned()) {
            return Ok(f);
        }
        let fetched = match rdistro::resolve_source(source) {
            Ok(path) => {
                let bytes = fs_err::read(&path).map_err(|e| {
                    anyhow::Error::new(rdistro::Error::Io { path: path.clone(), source: e })
                })?;
                let sha256 = sha256_hex(&bytes);
                Fetched {
                    source: source.to_owned(),
                    path,
                    bytes: bytes.into(),
                    sha256,
                    origin: Origin::Local,
                }
            }
            Err(_) => {
                let url = parse_http_url(source)?;
                self.get_http(source, &url)?
            }
        };
        tracing::info!("{}: {:?}, sha256 {}", fetched.source, fetched.origin, fetched.sha256);
        if let Some((path, lock)) = &self.frozen_lock {
            lock.check(path, source, &fetched.sha256)?;
        }
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(source.to_owned(), fetched.clone());
        }
        Ok(fetched)
    }

    /// [`Fetcher::get`] as UTF-8 text, gzip undone (gzip magic or not): the name for diagnostics
    /// and the text. Damaged gzip and non-UTF-8 bytes are positioned errors naming the source.
    pub fn get_text(&self, source: &str) -> anyhow::Result<(PathBuf, String)> {
        let fetched = self.get(source)?;
        let text = Self::text_of(&fetched)?;
        Ok((fetched.path, text))
    }

    /// `source` parsed by `parse` (given the name for diagnostics and the text, gzip undone),
    /// through the cache of parse results: a content parsed before as the same `kind` from the
    /// same path is not parsed again. `kind` names everything else the result depends on.
    pub fn get_parsed<T>(
        &self,
        source: &str,
        kind: &str,
        parse: impl FnOnce(&Path, String) -> anyhow::Result<T>,
    ) -> anyhow::Result<(PathBuf, T)>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let fetched = self.get(source)?;
        let parse_text = || parse(&fetched.path, Self::text_of(&fetched)?);
        let value = match &self.parsed {
            Some(cache) => {
                cache.get_or_parse(&parsed_kind(kind, &fetched), &fetched.sha256, parse_text)?
            }
            None => parse_text()?,
        };
        Ok((fetched.path, value))
    }

    /// `source` and the bytes the cache of parse results holds for it as `kind` (same path,
    /// same content), for callers that decode them lazily; they [`store_parsed`] what they
    /// parse when there are none.
    ///
    /// [`store_parsed`]: Self::store_parsed
    pub fn get_with_parsed_bytes(
        &self,
        source: &str,
        kind: &str,
    ) -> anyhow::Result<(Fetched, Option<Vec<u8>>)> {
        let fetched = self.get(source)?;
        let bytes = self
            .parsed
            .as_ref()
            .and_then(|c| c.read(&parsed_kind(kind, &fetched), &fetched.sha256));
        Ok((fetched, bytes))
    }

    /// Stores the parse result of `fetched` as `kind` (see [`Self::get_with_parsed_bytes`]).
    pub fn store_parsed(&self, fetched: &Fetched, kind: &str, bytes: &[u8]) {
        if let Some(cache) = &self.parsed {
            cache.store(&parsed_kind(kind, fetched), &fetched.sha256, bytes);
        }
    }

    /// The text of a fetched input (gzip undone), as [`Self::get_text`] returns it.
    pub fn text_of(fetched: &Fetched) -> anyhow::Result<String> {
        rdistro::decode_text(&fetched.path, fetched.bytes.to_vec())
            .map_err(crate::exit::distro_error)
    }

    /// Every source read so far with its sha256, sorted.
    pub fn inputs(&self) -> BTreeMap<String, String> {
        self.seen
            .lock()
            .map(|s| s.iter().map(|(k, f)| (k.clone(), f.sha256.clone())).collect())
            .unwrap_or_default()
    }

    /// Ends a successful run: with `--lock FILE` (and not `--frozen`), merges the hashes of
    /// every input read into FILE, written atomically, only when something changed.
    pub fn finish(&self) -> anyhow::Result<()> {
        let Some(path) = self.options.lock.as_deref().filter(|_| !self.options.frozen) else {
            return Ok(());
        };
        let inputs = self.inputs();
        let old = Lock::read(path)?;
        let mut lock = old.clone().unwrap_or_else(Lock::new);
        lock.inputs.extend(inputs);
        if old.as_ref() != Some(&lock) {
            lock.write(path)?;
        }
        Ok(())
    }

    fn client(&self) -> anyhow::Result<&reqwest::blocking::Client> {
        let client = self.client.get_or_init(|| {
            reqwest::blocking::Client::builder()
                .user_agent(concat!("rosdeb/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(self.options.timeout)
                .timeout(self.options.timeout)
                .build()
                .map_err(|e| innermost(&e))
        });
        client.as_ref().map_err(|e| anyhow::anyhow!("cannot set up the HTTP client: {e}"))
    }

    fn get_http(&self, source: &str, url: &reqwest::Url) -> anyhow::Result<Fetched> {
        let cached = self.cache.as_ref().and_then(|c| c.get(url.as_str()));
        let done = |bytes: Vec<u8>, sha256: String, origin| Fetched {
            source: source.to_owned(),
            path: PathBuf::from(source),
            bytes: bytes.into(),
            sha256,
            origin,
        };
        if self.options.offline {
            return match cached {
                Some((meta, body)) => Ok(done(body, meta.sha256, Origin::Cached)),
                None => Err(Hinted::error(
                    format!("cannot fetch {source}: not in the HTTP cache (--offline)"),
                    match &self.cache {
                        Some(c) => format!(
                            "run once without --offline to fill the cache ({})",
                            c.dir().display()
                        ),
                        None => "set --cache-dir (no cache folder: neither XDG_CACHE_HOME nor \
                                 HOME is set)"
                            .to_owned(),
                    },
                )),
            };
        }
        let client = self.client()?;
        let mut request = client.get(url.clone());
        if let Some((meta, _)) = &cached {
            if let Some(etag) = &meta.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &meta.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
            }
        }
        let offline_hint = || {
            if cached.is_some() {
                "a cached copy exists: --offline uses it".to_owned()
            } else {
                "check the URL and the network, or pass a local file".to_owned()
            }
        };
        let mut response = request.send().map_err(|e| {
            Hinted::error(format!("cannot fetch {source}: {}", self.describe(&e)), offline_hint())
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            if let Some((meta, body)) = cached {
                tracing::debug!("{source}: not modified, using the cache");
                return Ok(done(body, meta.sha256, Origin::Revalidated));
            }
            anyhow::bail!(
                "cannot fetch {source}: HTTP 304 Not Modified to an unconditional request"
            );
        }
        if !status.is_success() {
            return Err(Hinted::error(
                format!("cannot fetch {source}: HTTP {status}"),
                if status.is_server_error() {
                    format!("the server failed; try again later ({})", offline_hint())
                } else {
                    offline_hint()
                },
            ));
        }
        let header =
            |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let expected = response.content_length();
        let limit = self.options.max_download;
        let too_large = |what: String| {
            Hinted::error(
                format!(
                    "cannot fetch {source}: {what} exceeds the download limit of {limit} bytes"
                ),
                "nothing was cached; raise the limit with --max-download SIZE (e.g. 1G) if the \
                 file is that large",
            )
        };
        if let Some(n) = expected
            && n > limit
        {
            return Err(too_large(format!("the announced size ({n} bytes)")));
        }
        let cut_off = |got: usize, why: String| {
            let of = expected.map(|n| format!(" of {n}")).unwrap_or_default();
            Hinted::error(
                format!(
                    "cannot fetch {source}: the body was cut off after {got}{of} bytes ({why})"
                ),
                format!("nothing was cached; try again ({})", offline_hint()),
            )
        };
        // Read at most one byte past the limit: memory stays bounded whatever the server sends.
        let mut body = Vec::with_capacity(expected.unwrap_or(0).min(limit).min(64 << 20) as usize);
        if let Err(e) = read_at_most(&mut response, limit.saturating_add(1), &mut body) {
            let why = if is_timeout_io(&e) {
                format!("timed out after {:?} without data", self.options.timeout)
            } else if expected.is_some_and(|n| n > body.len() as u64) && is_early_eof(&e) {
                "the server closed the connection before the announced length".to_owned()
            } else {
                innermost(&e)
            };
            return Err(cut_off(body.len(), why));
        }
        if body.len() as u64 > limit {
            return Err(too_large("the body".to_owned()));
        }
        if let Some(n) = expected
            && n != body.len() as u64
        {
            return Err(cut_off(body.len(), "the server sent less than it announced".to_owned()));
        }
        let sha256 = sha256_hex(&body);
        if let Some(cache) = &self.cache
            && let Err(e) = cache.put(url.as_str(), etag, last_modified, &body)
        {
            tracing::warn!("cannot cache {source}: {e:#}");
        }
        Ok(done(body, sha256, Origin::Downloaded))
    }

    /// A transport error in a few words: timeout, connection failure, or the innermost cause.
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!("timed out after {:?}", self.options.timeout)
        } else if e.is_connect() {
            format!("cannot connect ({})", innermost(e))
        } else {
            innermost(e)
        }
    }
}

/// Parses an `http(s)://` URL; any other scheme is a one-line error.
fn parse_http_url(source: &str) -> anyhow::Result<reqwest::Url> {
    let url = reqwest::Url::parse(source).map_err(|e| {
        Hinted::error(
            format!("cannot fetch {source}: not a valid URL ({e})"),
            "give a path, a file:// URL or an http(s):// URL",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Hinted::error(
            format!("cannot fetch {source}: the URL scheme '{}' is not supported", url.scheme()),
            "give a path, a file:// URL or an http(s):// URL",
        ));
    }
    Ok(url)
}

/// True when `source` is an `http://` or `https://` URL.
pub fn is_http(source: &str) -> bool {
    let lower = source.get(..8).unwrap_or(source).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Resolves `reference` (relative, host-absolute `/x`, or a full URL) against the URL `base`, as a
/// browser would; `None` when `base` is not a URL.
pub fn join_url(base: &str, reference: &str) -> Option<String> {
    let base = reqwest::Url::parse(base).ok()?;
    base.join(reference).ok().map(String::from)
}

/// The innermost cause of an error, which names the actual failure.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Appends what `reader` gives to `body` until its end or until `body` holds `cap` bytes. The
/// buffer grows by doubling but never past `cap`, so a body of any size costs at most `cap`
/// bytes (`read_to_end` would double a buffer of `cap - 1` bytes to twice that); memory that
/// cannot be had is an `OutOfMemory` error, not an abort.
fn read_at_most(
    reader: &mut impl std::io::Read,
    cap: u64,
    body: &mut Vec<u8>,
) -> std::io::Result<()> {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut chunk = vec![0u8; 64 << 10];
    while body.len() < cap {
        let want = chunk.len().min(cap - body.len());
        let n = match reader.read(&mut chunk[..want]) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if body.len() + n > body.capacity() {
            let target = body.capacity().saturating_mul(2).max(body.len() + n).min(cap);
            body.try_reserve_exact(target - body.len())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::OutOfMemory, e))?;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// True when `e` is the end of a body before its announced length (hyper's "incomplete
/// message"), as opposed to a reset or a local failure.
fn is_early_eof(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        return true;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(c) = cur {
        let text = c.to_string();
        if text.contains("end of file before message length reached")
            || text.contains("IncompleteMessage")
            || text.contains("connection closed before message completed")
        {
            return true;
        }
        cur = c.source();
    }
    false
}

fn is_timeout_io(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return true;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(c) = cur {
        if c.downcast_ref::<reqwest::Error>().is_some_and(reqwest::Error::is_timeout) {
            return true;
        }
        cur = c.source();
    }
    false
}

/// The key of a parse result besides the content: what it was parsed as, and the path its
/// diagnostics name.
fn parsed_kind(kind: &str, fetched: &Fetched) -> String {
    format!("{kind}\n{}", fetched.path.display())
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
