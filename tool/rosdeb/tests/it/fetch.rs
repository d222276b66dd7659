//! Integration tests of fetching by URL (`rosdeb distro ... http://...`): a real HTTP/1.1 server
//! on 127.0.0.1 (an ephemeral port, one thread per connection, written here) serves
//! `fixtures/data/rosdistro` with ETag / Last-Modified, and can answer 404, 500, hang, or cut a
//! body short or stream one without end. Covers download, revalidation (304), `--offline`,
//! `--frozen` / `--lock`, one-line errors, the download limit and the cache never holding a
//! partial body.

use std::collections::HashMap;
use std::ffi::OsString;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Invocation, Outcome, RunDir, Sandbox, base_env, rosdeb, run};

const LAST_MODIFIED: &str = "Sat, 01 Nov 2025 00:00:00 GMT";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/data/rosdistro")
        .canonicalize()
        .expect("the rosdistro data is missing (fixtures/data/rosdistro)")
}

/// How the server answers one path.
#[derive(Clone, Debug)]
enum Mode {
    /// This status with a short text body.
    Status(u16),
    /// Read the request, then say nothing for a few seconds.
    Hang,
    /// Announce the full Content-Length, send a third of the body, close.
    Truncate,
    /// Serve these bytes instead of the file.
    Body(Vec<u8>),
    /// Serve the file with Last-Modified only (no ETag).
    NoEtag,
    /// 200 without Content-Length, then bytes until the client goes away.
    Endless,
    /// Announce this Content-Length, then send bytes until the client goes away.
    Announce(u64),
}

#[derive(Default)]
struct State {
    modes: HashMap<String, Mode>,
    /// (path, status) of every answer, in order.
    log: Vec<(String, u16)>,
    /// Body bytes the client took of the last `Endless` / `Announce` answer.
    streamed: u64,
}

struct Server {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        Server { port, state }
    }
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
    fn set(&self, path: &str, mode: Option<Mode>) {
        let mut s = self.state.lock().unwrap();
        match mode {
            Some(m) => s.modes.insert(format!("/{path}"), m),
            None => s.modes.remove(&format!("/{path}")),
        };
    }
    /// Statuses answered so far for `path`, and the log is cleared.
    fn take(&self, path: &str) -> Vec<u16> {
        let mut s = self.state.lock().unwrap();
        let want = format!("/{path}");
        let statuses = s.log.iter().filter(|(p, _)| *p == want).map(|(_, c)| *c).collect();
        s.log.clear();
        statuses
    }
}

fn etag_of(body: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mode = state.lock().unwrap().modes.get(&path).cloned();
    let mut out = stream;
    let file = || {
        (!path.contains(".."))
            .then(|| fs_err::read(data_dir().join(path.trim_start_matches('/'))).ok())
            .flatten()
    };
    let (status, body, etag) = match mode {
        Some(Mode::Hang) => {
            std::thread::sleep(Duration::from_secs(4));
            return Ok(());
        }
        Some(Mode::Status(code)) => (code, format!("status {code}\n").into_bytes(), false),
        Some(Mode::Body(b)) => (200, b, true),
        Some(Mode::NoEtag) => file().map_or((404, Vec::new(), false), |b| (200, b, false)),
        Some(Mode::Endless | Mode::Announce(_)) => {
            let length = match mode {
                Some(Mode::Announce(n)) => format!("Content-Length: {n}\r\n"),
                _ => String::new(),
            };
            state.lock().unwrap().log.push((path, 200));
            write!(out, "HTTP/1.1 200 OK\r\n{length}Connection: close\r\n\r\n")?;
            let chunk = vec![b'x'; 64 << 10];
            loop {
                // Stops when the client closes the connection (or after 16 GiB).
                out.write_all(&chunk)?;
                let mut s = state.lock().unwrap();
                s.streamed += chunk.len() as u64;
                if s.streamed > 16 << 30 {
                    return Ok(());
                }
            }
        }
        Some(Mode::Truncate) => {
            let body = file().unwrap_or_default();
            state.lock().unwrap().log.push((path, 200));
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body[..body.len() / 3])?;
            return out.flush();
        }
        None => file().map_or((404, b"not found\n".to_vec(), false), |b| (200, b, true)),
    };
    let tag = etag_of(&body);
    let not_modified = status == 200
        && if etag {
            headers.get("if-none-match") == Some(&tag)
        } else {
            headers.get("if-modified-since").map(String::as_str) == Some(LAST_MODIFIED)
        };
    let status = if not_modified { 304 } else { status };
    state.lock().unwrap().log.push((path, status));
    let reason = match status {
        200 => "OK",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Other",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
    if status == 200 || status == 304 {
        head.push_str(&format!("Last-Modified: {LAST_MODIFIED}\r\n"));
        if etag {
            head.push_str(&format!("ETag: {tag}\r\n"));
        }
    }
    let body: &[u8] = if status == 304 { b"" } else { &body };
    if status != 304 {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

/// A sandbox with a cache folder and a lock file path; runs `rosdeb distro ...`.
struct Env {
    sandbox: Sandbox,
}

impl Env {
    fn new(label: &str) -> Env {
        Env { sandbox: Sandbox::new(label) }
    }
    fn cache(&self) -> PathBuf {
        self.sandbox.dir.path().join("cache")
    }
    fn lock(&self) -> PathBuf {
        self.sandbox.dir.path().join("rosdeb.lock")
    }
    fn distro(&self, args: &[&str]) -> Outcome {
        let mut all: Vec<OsString> = vec!["distro".into()];
        all.extend(args.iter().map(OsString::from));
        all.extend(["--cache-dir".into(), self.cache().into_os_string()]);
        all.extend(["--timeout".into(), "1".into()]);
        let out = run(&Invocation {
            program: rosdeb(),
            args: all,
            env: base_env(&self.sandbox, None),
            dir: RunDir::Path(self.sandbox.cwd()),
            stdin: None,
        });
        assert!(out.crash().is_none() && !out.timed_out, "{args:?} crashed\n{}", out.stderr_str());
        out
    }
    fn cache_files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs_err::read_dir(self.cache())
            .map(|rd| {
                rd.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into()).collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

fn ok(out: &Outcome, what: &str) -> String {
    assert_eq!(out.code, 0, "{what}: exit {}\n{}", out.code, out.stderr_str());
    out.stdout_str()
}

/// Exit 1, nothing on stdout, one `error:` line containing every `want`, no `caused by`.
fn one_line_error(out: &Outcome, want: &[&str]) -> String {
    let err = out.stderr_str();
    assert_eq!(out.code, 1, "exit {}\n{err}", out.code);
    assert!(out.stdout.is_empty(), "stdout must be empty on error");
    let first = err.lines().next().unwrap_or_default().to_owned();
    assert!(first.starts_with("error: "), "{err}");
    for w in want {
        assert!(first.contains(w), "want {w:?} in the error line:\n{err}");
    }
    assert!(!err.contains("caused by") && !err.contains("panicked"), "{err}");
    assert!(err.lines().skip(1).all(|l| l.starts_with("  hint: ")), "{err}");
    first
}

const NOETIC: &str = "noetic/distribution.yaml";

#[test]
fn download_revalidate_offline_and_same_output_as_the_local_file() {
    let server = Server::start();
    let env = Env::new("fetch-basic");
    let url = server.url(NOETIC);
    let local = data_dir().join(NOETIC).display().to_string();
    let expected = ok(&env.distro(&["packages", &local, "--json"]), "local file");
    assert!(expected.len() > 100_000);

    assert_eq!(ok(&env.distro(&["packages", &url, "--json"]), "first fetch"), expected);
    assert_eq!(server.take(NOETIC), [200], "the first fetch downloads");
    assert_eq!(env.cache_files().len(), 2, "one body + one metadata file: {:?}", env.cache_files());
    assert_eq!(ok(&env.distro(&["packages", &url, "--json"]), "second fetch"), expected);
    assert_eq!(server.take(NOETIC), [304], "the second fetch revalidates");

    // --offline never asks the server (which now fails every request).
    server.set(NOETIC, Some(Mode::Status(500)));
    assert_eq!(ok(&env.distro(&["packages", &url, "--json", "--offline"]), "offline"), expected);
    assert_eq!(server.take(NOETIC), Vec::<u16>::new(), "--offline sends no request");
    let other = server.url("melodic/distribution.yaml");
    let line = one_line_error(&env.distro(&["packages", &other, "--offline"]), &[&other]);
    assert!(line.contains("not in the HTTP cache (--offline)"), "{line}");

    // An index by URL: its relative entries resolve against the index URL.
    server.set(NOETIC, None);
    let index = server.url("index-v4.yaml");
    let by_index = env.distro(&["packages", "--index", &index, "--distro", "noetic", "--json"]);
    assert_eq!(ok(&by_index, "--index URL"), expected);
    assert_eq!(server.take(NOETIC), [304], "the distribution file came from the cache");
    let show = ok(&env.distro(&["show", &index, "--json"]), "show index URL");
    assert!(show.contains(&server.url(NOETIC)), "{show}");
}

#[test]
fn last_modified_alone_revalidates() {
    let server = Server::start();
    let env = Env::new("fetch-lm");
    let path = "melodic/distribution.yaml";
    server.set(path, Some(Mode::NoEtag));
    let url = server.url(path);
    let first = ok(&env.distro(&["packages", &url]), "first");
    assert_eq!(ok(&env.distro(&["packages", &url]), "second"), first);
    assert_eq!(server.take(path), [200, 304]);
}

#[test]
fn frozen_checks_every_input_against_the_lock() {
    let server = Server::start();
    let env = Env::new("fetch-frozen");
    let url = server.url(NOETIC);
    let lock = env.lock().display().to_string();
    let local = data_dir().join("melodic/distribution.yaml").display().to_string();

    // --frozen without a lock file.
    let line = one_line_error(&env.distro(&["packages", &url, "--frozen", "--lock", &lock]), &[]);
    assert!(line.contains("--frozen needs a lock file"), "{line}");

    ok(&env.distro(&["packages", &url, "--lock", &lock]), "write the lock");
    ok(&env.distro(&["packages", &local, "--lock", &lock]), "add a local file");
    let doc: serde_json::Value =
        serde_json::from_slice(&fs_err::read(env.lock()).unwrap()).unwrap();
    assert_eq!(doc["schema"], 1);
    let inputs = doc["inputs"].as_object().unwrap();
    assert_eq!(inputs.keys().collect::<Vec<_>>(), [&local, &url], "both inputs, sorted");
    assert_eq!(inputs[&url].as_str().unwrap().len(), 64);

    ok(&env.distro(&["packages", &url, "--frozen", "--lock", &lock]), "frozen, same content");
    ok(&env.distro(&["packages", &local, "--frozen", "--lock", &lock]), "frozen, local file");
    let before = fs_err::read(env.lock()).unwrap();

    // The server now serves other (valid) content: --frozen refuses it, naming the URL.
    let mut changed = fs_err::read(data_dir().join(NOETIC)).unwrap();
    changed.extend_from_slice(b"\n# changed\n");
    server.set(NOETIC, Some(Mode::Body(changed)));
    let out = env.distro(&["packages", &url, "--frozen", "--lock", &lock]);
    let line = one_line_error(&out, &[&url, "does not match the lock file"]);
    assert!(line.contains("--frozen"), "{line}");
    assert_eq!(fs_err::read(env.lock()).unwrap(), before, "--frozen never writes the lock");
    let other = server.url("humble/distribution.yaml");
    one_line_error(
        &env.distro(&["packages", &other, "--frozen", "--lock", &lock]),
        &[&other, "is not in the lock file"],
    );
}

#[test]
fn http_errors_are_one_line_and_never_corrupt_the_cache() {
    let server = Server::start();
    let env = Env::new("fetch-errors");

    let missing = server.url("nope/distribution.yaml");
    one_line_error(&env.distro(&["packages", &missing]), &[&missing, "HTTP 404 Not Found"]);
    let path = "jazzy/distribution.yaml";
    let url = server.url(path);
    server.set(path, Some(Mode::Status(500)));
    one_line_error(&env.distro(&["packages", &url]), &[&url, "HTTP 500 Internal Server Error"]);

    server.set(path, Some(Mode::Hang));
    let started = std::time::Instant::now();
    one_line_error(&env.distro(&["packages", &url]), &[&url, "timed out after 1s"]);
    assert!(started.elapsed() < Duration::from_secs(4), "the timeout must end the request");

    server.set(path, Some(Mode::Truncate));
    let size = fs_err::metadata(data_dir().join(path)).unwrap().len();
    let line = one_line_error(&env.distro(&["packages", &url]), &[&url, "cut off after"]);
    assert!(line.contains(&format!("of {size} bytes")), "{line}");
    assert_eq!(env.cache_files(), Vec::<String>::new(), "nothing cached from failed fetches");

    // A good entry survives a later truncated download.
    server.set(path, None);
    let good = ok(&env.distro(&["packages", &url, "--json"]), "good fetch");
    let files = env.cache_files();
    let snapshot: Vec<Vec<u8>> =
        files.iter().map(|f| fs_err::read(env.cache().join(f)).unwrap()).collect();
    server.set(path, Some(Mode::Truncate));
    one_line_error(&env.distro(&["packages", &url]), &[&url, "cut off after"]);
    assert_eq!(env.cache_files(), files, "no temporary files left");
    let now: Vec<Vec<u8>> =
        files.iter().map(|f| fs_err::read(env.cache().join(f)).unwrap()).collect();
    assert!(now == snapshot, "the cache entry is unchanged");
    assert_eq!(ok(&env.distro(&["packages", &url, "--json", "--offline"]), "offline"), good);

    // Nobody listening: a connection error naming the URL.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = format!("http://127.0.0.1:{closed}/{NOETIC}");
    one_line_error(&env.distro(&["packages", &dead]), &[&dead, "cannot connect"]);

    // A bad YAML body by URL: positioned like a file.
    server.set(path, Some(Mode::Body(b"type: distribution\nversion: 9\n".to_vec())));
    one_line_error(&env.distro(&["packages", &url]), &[&format!("{url}:2:10: unable to handle")]);
}

/// `rosdeb resolve` reads `yaml http://...` sources-list lines through the same HTTP cache,
/// and `--offline` then answers from the cache alone.
#[test]
fn resolve_reads_rosdep_rules_by_url() {
    let server = Server::start();
    let env = Env::new("fetch-resolve");
    let lists = env.sandbox.dir.path().join("sources.list.d");
    fs_err::create_dir_all(&lists).expect("mkdir");
    let base = "rosdep/base.yaml";
    fs_err::write(lists.join("20-default.list"), format!("yaml {}\n", server.url(base)))
        .expect("write");
    let resolve = |extra: &[&str]| {
        let mut args: Vec<OsString> =
            ["resolve", "boost", "--os", "ubuntu:jammy", "--json", "--cache-dir"]
                .map(OsString::from)
                .to_vec();
        args.push(env.cache().into_os_string());
        args.extend(extra.iter().map(OsString::from));
        let mut environment = base_env(&env.sandbox, None);
        environment.push(("ROSDEP_SOURCE_PATH".into(), lists.clone().into_os_string()));
        run(&Invocation {
            program: rosdeb(),
            args,
            env: environment,
            dir: RunDir::Path(env.sandbox.cwd()),
            stdin: None,
        })
    };
    let first = ok(&resolve(&[]), "resolve over HTTP");
    assert!(first.contains("libboost"), "{first}");
    assert_eq!(server.take(base), [200]);
    server.set(base, Some(Mode::Status(500)));
    assert_eq!(ok(&resolve(&["--offline"]), "resolve offline"), first);
    assert_eq!(server.take(base), Vec::<u16>::new(), "--offline sends no request");
}

/// A URL that streams without end used to take memory until the machine ran out. The body is
/// now counted as it arrives and given up one byte past `--max-download`: the run ends quickly
/// with a true message, the client took little more than the limit (whatever the socket
/// buffers hold), and the cache keeps its previous entry. A Content-Length above the limit
/// fails before any of the body is read.
#[test]
fn downloads_beyond_the_limit_fail_fast_and_cache_nothing() {
    let server = Server::start();
    let env = Env::new("fetch-limit");
    let path = "noetic/distribution.yaml";
    let url = server.url(path);
    let size = fs_err::metadata(data_dir().join(path)).unwrap().len();
    // A good entry first; a file under the limit downloads.
    let limit = (size + 1).to_string();
    let good = ok(&env.distro(&["packages", &url, "--json", "--max-download", &limit]), "good");
    let files = env.cache_files();
    let snapshot: Vec<Vec<u8>> =
        files.iter().map(|f| fs_err::read(env.cache().join(f)).unwrap()).collect();
    let unchanged = |what: &str| {
        assert_eq!(env.cache_files(), files, "{what}: no temporary files left");
        let now: Vec<Vec<u8>> =
            files.iter().map(|f| fs_err::read(env.cache().join(f)).unwrap()).collect();
        assert!(now == snapshot, "{what}: the cache entry is unchanged");
    };

    // One byte too small a limit: a new body of the same size fails.
    let small = (size - 1).to_string();
    server.set(path, Some(Mode::Body(vec![b'#'; size as usize])));
    one_line_error(
        &env.distro(&["packages", &url, "--max-download", &small]),
        &[&url, &format!("exceeds the download limit of {small} bytes")],
    );
    unchanged("a body one byte over the limit");

    server.set(path, Some(Mode::Endless));
    let started = std::time::Instant::now();
    let line = one_line_error(
        &env.distro(&["packages", &url, "--max-download", "1M"]),
        &[&url, "the body exceeds the download limit of 1048576 bytes"],
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(!line.contains("connection closed"), "{line}");
    let streamed = std::mem::take(&mut server.state.lock().unwrap().streamed);
    assert!(streamed < (1 << 20) + (32 << 20), "the client took {streamed} bytes");
    unchanged("an endless body");

    // The default limit (256 MiB) holds too, with the hint naming the flag.
    let out = env.distro(&["packages", &url]);
    let err = out.stderr_str();
    one_line_error(&out, &[&url, "exceeds the download limit of 268435456 bytes"]);
    assert!(err.contains("--max-download"), "{err}");
    let streamed = std::mem::take(&mut server.state.lock().unwrap().streamed);
    assert!(streamed < (256 << 20) + (32 << 20), "the client took {streamed} bytes");
    unchanged("an endless body, default limit");

    // An announced length over the limit fails before the body is read.
    server.set(path, Some(Mode::Announce(10 << 30)));
    one_line_error(
        &env.distro(&["packages", &url, "--max-download", "1M"]),
        &[&url, "the announced size (10737418240 bytes) exceeds the download limit"],
    );
    unchanged("an announced length over the limit");

    // A body shorter than its Content-Length says so, not something else.
    server.set(path, Some(Mode::Truncate));
    one_line_error(
        &env.distro(&["packages", &url]),
        &[&url, &format!("cut off after {} of {size} bytes (the server closed", size / 3)],
    );
    unchanged("a short body");

    server.set(path, None);
    assert_eq!(ok(&env.distro(&["packages", &url, "--json", "--offline"]), "offline"), good);
    let bad = env.distro(&["packages", &url, "--max-download", "lots"]);
    assert_eq!(bad.code, 2, "a bad size is a usage error\n{}", bad.stderr_str());
}
